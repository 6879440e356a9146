-- Schema 3: narrow covering indexes for filtered searches.
-- A filtered search checks each match's conversation, status and time. Looked up in the
-- tables, every check lands on a large page (message text) that is rarely cached, and with
-- SQLCipher every miss is a decryption. These indexes hold just those columns, a few dozen
-- bytes a row, so they stay in the page cache even for a store of a million messages.
CREATE INDEX messages_search_filter ON messages(id, conversation_id, sent_at);
CREATE INDEX conversations_search_filter ON conversations(id, channel, status, contact_id);
