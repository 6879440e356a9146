-- Schema 1: every table of the domain model.
-- Times are UTC milliseconds since the Unix epoch; enumerations are their snake_case names;
-- JSON columns hold settings whose shape the core validates on the way in.

CREATE TABLE accounts (
    id          INTEGER PRIMARY KEY,
    key         TEXT NOT NULL UNIQUE,          -- "<channel>:<handle>", e.g. "messenger:acme-page"
    channel     TEXT NOT NULL,
    name        TEXT NOT NULL,
    config      TEXT NOT NULL DEFAULT '{}',    -- connector settings; secrets live in the keychain
    state       TEXT NOT NULL DEFAULT 'idle',
    created_at  INTEGER NOT NULL
);

CREATE TABLE contacts (
    id          INTEGER PRIMARY KEY,
    uid         TEXT NOT NULL UNIQUE,          -- stable across export and import
    name        TEXT NOT NULL,
    email       TEXT,
    phone       TEXT,
    language    TEXT,
    time_zone   TEXT,
    status      TEXT,                          -- e.g. "vip", "blocked"
    created_at  INTEGER NOT NULL
);

-- One person, many channel handles.
CREATE TABLE identities (
    id           INTEGER PRIMARY KEY,
    contact_id   INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    account_id   INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    handle       TEXT NOT NULL,
    display_name TEXT,
    UNIQUE (account_id, handle)
);
CREATE INDEX identities_contact ON identities(contact_id);

CREATE TABLE conversations (
    id              INTEGER PRIMARY KEY,
    account_id      INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    external_id     TEXT NOT NULL,
    channel         TEXT NOT NULL,             -- copied from the account so inbox views use one index
    contact_id      INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
    subject         TEXT,
    status          TEXT NOT NULL DEFAULT 'open',
    priority        TEXT NOT NULL DEFAULT 'normal',
    assignee        TEXT,
    public          INTEGER NOT NULL DEFAULT 0,
    unread          INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    -- Derived from messages, refreshed by the core after each write batch.
    last_message_id INTEGER,
    last_message_at INTEGER,
    last_inbound_at INTEGER,
    waiting_since   INTEGER,                   -- first customer message not yet answered by an agent
    UNIQUE (account_id, external_id)
);
CREATE INDEX conversations_recent   ON conversations(last_message_at DESC, id DESC);
CREATE INDEX conversations_status   ON conversations(status, last_message_at DESC, id DESC);
CREATE INDEX conversations_channel  ON conversations(channel, last_message_at DESC, id DESC);
CREATE INDEX conversations_assignee ON conversations(assignee, last_message_at DESC, id DESC);
CREATE INDEX conversations_contact  ON conversations(contact_id, last_message_at DESC);

CREATE TABLE messages (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    account_id      INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    external_id     TEXT NOT NULL,             -- the platform's id: replays upsert, never duplicate
    direction       TEXT NOT NULL,
    author_kind     TEXT NOT NULL,
    author_name     TEXT,
    author_handle   TEXT,
    body            TEXT NOT NULL DEFAULT '',
    sent_at         INTEGER NOT NULL,
    delivery        TEXT NOT NULL,
    UNIQUE (account_id, external_id)
);
CREATE INDEX messages_thread ON messages(conversation_id, sent_at);

CREATE TABLE attachments (
    message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    name       TEXT,
    mime       TEXT,
    url        TEXT,
    size       INTEGER,
    PRIMARY KEY (message_id, position)
) WITHOUT ROWID;

-- Replies are written here before any network call (see the sync crate).
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    idempotency_key TEXT NOT NULL UNIQUE,
    body            TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'queued',
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    external_id     TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX outbox_state ON outbox(state, id);

CREATE TABLE orders (
    id                 INTEGER PRIMARY KEY,
    shop               TEXT NOT NULL,
    external_id        TEXT NOT NULL,
    contact_id         INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
    number             TEXT NOT NULL,
    placed_at          INTEGER NOT NULL,
    currency           TEXT NOT NULL,
    total              TEXT NOT NULL,          -- decimal text: money is never a float
    financial_status   TEXT,
    fulfillment_status TEXT,
    items              TEXT NOT NULL DEFAULT '[]',
    tracking           TEXT NOT NULL DEFAULT '[]',
    UNIQUE (shop, external_id)
);
CREATE INDEX orders_contact ON orders(contact_id, placed_at DESC);

CREATE TABLE tags (
    id    INTEGER PRIMARY KEY,
    name  TEXT NOT NULL UNIQUE,
    color TEXT
);
CREATE TABLE conversation_tags (
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    tag_id          INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    PRIMARY KEY (conversation_id, tag_id)
) WITHOUT ROWID;
CREATE INDEX conversation_tags_tag ON conversation_tags(tag_id);
CREATE TABLE contact_tags (
    contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    tag_id     INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    PRIMARY KEY (contact_id, tag_id)
) WITHOUT ROWID;

-- Internal notes: never sent to the customer.
CREATE TABLE notes (
    id              INTEGER PRIMARY KEY,
    uid             TEXT NOT NULL UNIQUE,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    author          TEXT,
    body            TEXT NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX notes_conversation ON notes(conversation_id, created_at);

CREATE TABLE canned_replies (
    id       INTEGER PRIMARY KEY,
    shortcut TEXT NOT NULL UNIQUE,
    title    TEXT NOT NULL,
    actions  TEXT NOT NULL DEFAULT '[]'
);
-- '' in language or channel means "any".
CREATE TABLE canned_reply_variants (
    reply_id INTEGER NOT NULL REFERENCES canned_replies(id) ON DELETE CASCADE,
    language TEXT NOT NULL DEFAULT '',
    channel  TEXT NOT NULL DEFAULT '',
    body     TEXT NOT NULL,
    PRIMARY KEY (reply_id, language, channel)
) WITHOUT ROWID;

CREATE TABLE business_calendars (
    id        INTEGER PRIMARY KEY,
    name      TEXT NOT NULL UNIQUE,
    time_zone TEXT NOT NULL,
    hours     TEXT NOT NULL,                   -- {"mon": [["09:00","18:00"]], ...}
    holidays  TEXT NOT NULL DEFAULT '[]'       -- ["2026-09-25", ...]
);

CREATE TABLE sla_policies (
    id                  INTEGER PRIMARY KEY,
    name                TEXT NOT NULL UNIQUE,
    priority            TEXT,                  -- NULL: any
    channel             TEXT,                  -- NULL: any
    first_reply_minutes INTEGER,
    next_reply_minutes  INTEGER,
    resolution_minutes  INTEGER,
    calendar_id         INTEGER REFERENCES business_calendars(id) ON DELETE SET NULL
);

CREATE TABLE rules (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    position   INTEGER NOT NULL,
    enabled    INTEGER NOT NULL DEFAULT 1,
    conditions TEXT NOT NULL,
    actions    TEXT NOT NULL
);

-- Saved in the same transaction as the messages a cursor covers.
CREATE TABLE sync_cursors (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    stream     TEXT NOT NULL,
    cursor     TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, stream)
) WITHOUT ROWID;
