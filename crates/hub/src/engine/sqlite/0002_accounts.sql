-- Schema 2: the platform accounts the hub runs, and their secrets (tokens, passwords), which
-- never leave the hub: no API answer and no log line carries them. On this engine the whole file
-- is encrypted; on PostgreSQL they are in the database, as the operator keeps it.
CREATE TABLE accounts (
    key        TEXT PRIMARY KEY,
    config     TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE secrets (
    account TEXT NOT NULL REFERENCES accounts (key) ON DELETE CASCADE,
    name    TEXT NOT NULL,
    value   TEXT NOT NULL,
    PRIMARY KEY (account, name)
);
