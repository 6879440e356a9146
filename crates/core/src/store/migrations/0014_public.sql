-- Schema 14: public conversations. A public thread (comments under a Page post or Instagram
-- media, an X mention and its replies) hangs under a post; a comment can be hidden (never
-- deleted) with the reason recorded; the outbox also carries private replies to comments and
-- hide requests, each aimed at one public message (`target`, the platform's id).
CREATE TABLE posts (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    external_id TEXT NOT NULL,
    body        TEXT NOT NULL DEFAULT '',
    author_name TEXT,
    url         TEXT,
    posted_at   INTEGER NOT NULL,
    UNIQUE (account_id, external_id)
);
ALTER TABLE conversations ADD COLUMN post_id INTEGER REFERENCES posts(id) ON DELETE SET NULL;
ALTER TABLE messages ADD COLUMN hidden_at INTEGER;
ALTER TABLE messages ADD COLUMN hidden_reason TEXT;
ALTER TABLE outbox ADD COLUMN kind TEXT NOT NULL DEFAULT 'reply';
ALTER TABLE outbox ADD COLUMN target TEXT;
-- A comment takes one private reply (Meta refuses a second): a failed one may be tried again.
CREATE UNIQUE INDEX outbox_private_reply ON outbox(target) WHERE kind = 'private_reply' AND state != 'failed';
