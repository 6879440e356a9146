-- Schema 9: customer context.
-- `notes` is the agent's free text about the customer (the profile panel's notes field).
ALTER TABLE contacts ADD COLUMN notes TEXT;

-- A merged-away customer keeps its row (so an un-merge gives back the same id and uid) and points
-- at the customer it became part of.
ALTER TABLE contacts ADD COLUMN merged_into INTEGER REFERENCES contacts(id);

-- A manual merge, kept so it can be undone exactly: `kept_before` is the kept customer's fields
-- and tags before the merge filled them in, `kept_after` what the merge made of them (an un-merge
-- restores a field only if nobody changed it since), and the id lists say what moved.
CREATE TABLE contact_merges (
    id            INTEGER PRIMARY KEY,
    kept_id       INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    absorbed_id   INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    kept_before   TEXT NOT NULL,
    kept_after    TEXT NOT NULL,
    identities    TEXT NOT NULL,
    conversations TEXT NOT NULL,
    orders        TEXT NOT NULL,
    merged_at     INTEGER NOT NULL,
    merged_by     TEXT
);
CREATE INDEX contact_merges_kept ON contact_merges(kept_id, id);

-- When a customer's orders were last looked up in the shop, so a thread refreshes them only when
-- the cache is older than the configured age; `error` says why the last lookup failed.
CREATE TABLE order_lookups (
    contact_id INTEGER PRIMARY KEY REFERENCES contacts(id) ON DELETE CASCADE,
    fetched_at INTEGER NOT NULL,
    error      TEXT
);

-- Internal notes are searchable like messages.
CREATE VIRTUAL TABLE note_fts USING fts5(
    terms, content = '', contentless_delete = 1,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER notes_fts_insert AFTER INSERT ON notes BEGIN
    INSERT INTO note_fts(rowid, terms) VALUES (new.id, sb_terms(new.body));
END;
CREATE TRIGGER notes_fts_update AFTER UPDATE OF body ON notes BEGIN
    DELETE FROM note_fts WHERE rowid = old.id;
    INSERT INTO note_fts(rowid, terms) VALUES (new.id, sb_terms(new.body));
END;
CREATE TRIGGER notes_fts_delete AFTER DELETE ON notes BEGIN
    DELETE FROM note_fts WHERE rowid = old.id;
END;
INSERT INTO note_fts(rowid, terms) SELECT id, sb_terms(body) FROM notes;

-- Phone numbers link a customer across SMS and WhatsApp like email addresses do.
CREATE INDEX contacts_phone ON contacts(phone);
CREATE INDEX contacts_email ON contacts(lower(email));
CREATE INDEX contacts_merged ON contacts(merged_into);
