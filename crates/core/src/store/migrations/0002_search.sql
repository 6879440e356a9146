-- Schema 2: full-text search over message text and contact fields.
-- The indexed text is `sb_terms(...)`: NFKC, lower case, and CJK runs split into overlapping
-- bigrams so that a Korean stem finds the word with its particle attached (주문 → 주문이).
-- Porter stemming makes "refund" find "Refunded". The tables are contentless: the text lives
-- once, in messages and contacts. Triggers keep the index in step with updates and deletes; new
-- messages and contacts are indexed by the core at the end of each write batch
-- (store::write::Writer::finish). Why: once FTS5 is part of a transaction, every later statement
-- that opens a statement journal (any INSERT here: foreign keys, unique keys) makes FTS5 flush
-- its pending index to disk. Indexing row by row amid the other writes meant a flush per row.

-- `channel` is indexed too (a message's channel never changes), so a search on one channel is an
-- intersection inside the index rather than a lookup of every match.
CREATE VIRTUAL TABLE message_fts USING fts5(
    terms, channel, content = '', contentless_delete = 1,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE contact_fts USING fts5(
    terms, content = '', contentless_delete = 1,
    tokenize = 'porter unicode61 remove_diacritics 2'
);

CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN
    DELETE FROM message_fts WHERE rowid = old.id;
    INSERT INTO message_fts(rowid, terms, channel)
    VALUES (new.id, sb_terms(new.body), (SELECT channel FROM conversations WHERE id = new.conversation_id));
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    DELETE FROM message_fts WHERE rowid = old.id;
END;

CREATE TRIGGER contacts_fts_update AFTER UPDATE OF name, email, phone ON contacts BEGIN
    DELETE FROM contact_fts WHERE rowid = old.id;
    INSERT INTO contact_fts(rowid, terms)
    VALUES (new.id, sb_terms(concat_ws(' ', new.name, new.email, new.phone)));
END;
CREATE TRIGGER contacts_fts_delete AFTER DELETE ON contacts BEGIN
    DELETE FROM contact_fts WHERE rowid = old.id;
END;

-- Stores created at schema 1 already hold messages and contacts.
INSERT INTO message_fts(rowid, terms, channel)
    SELECT m.id, sb_terms(m.body), c.channel FROM messages m JOIN conversations c ON c.id = m.conversation_id;
INSERT INTO contact_fts(rowid, terms)
    SELECT id, sb_terms(concat_ws(' ', name, email, phone)) FROM contacts;
