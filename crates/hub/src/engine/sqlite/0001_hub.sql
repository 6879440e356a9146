-- Schema 1 of the hub's embedded engine (the PostgreSQL engine's is the same in its dialect).
-- Times are milliseconds since 1970 (UTC).

-- The log every desk follows. A record's number is one more than the last (rows are never
-- deleted); `key` makes an action sent twice one record.
CREATE TABLE log (
    seq   INTEGER PRIMARY KEY,
    at    INTEGER NOT NULL,
    actor INTEGER,
    key   TEXT UNIQUE,
    body  TEXT NOT NULL
);

-- Where each platform account's pull stopped, written with the records it covers.
CREATE TABLE cursors (
    account TEXT NOT NULL,
    stream  TEXT NOT NULL,
    value   TEXT NOT NULL,
    PRIMARY KEY (account, stream)
);

-- Which hub runs what (a platform account), until when.
CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);

-- The team. A removed person keeps their row (the log names them) and frees their name.
CREATE TABLE people (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL CHECK (role IN ('agent', 'supervisor')),
    created_at INTEGER NOT NULL,
    removed_at INTEGER
);
CREATE UNIQUE INDEX people_name ON people (lower(name)) WHERE removed_at IS NULL;

-- One-time enrolment codes and the desks' tokens, by their SHA-256 only.
CREATE TABLE enrolments (
    code_hash  TEXT PRIMARY KEY,
    person_id  INTEGER NOT NULL REFERENCES people (id),
    expires_at INTEGER NOT NULL
);
CREATE INDEX enrolments_person ON enrolments (person_id);
CREATE TABLE tokens (
    hash       TEXT PRIMARY KEY,
    person_id  INTEGER NOT NULL REFERENCES people (id),
    created_at INTEGER NOT NULL
);
CREATE INDEX tokens_person ON tokens (person_id);

-- Who has each conversation (by its account and its id on the platform); no row: nobody yet.
CREATE TABLE assignments (
    account      TEXT NOT NULL,
    conversation TEXT NOT NULL,
    assignee     INTEGER REFERENCES people (id),
    PRIMARY KEY (account, conversation)
);
