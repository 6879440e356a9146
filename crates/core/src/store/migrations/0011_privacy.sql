-- Schema 11: the privacy guard. A public conversation (a mention, a comment) in which a customer
-- posted sensitive data (a card number, a password, a code…) is flagged at the top of the inbox.
-- `sb_sensitive(text)` is the core's detector (privacy::detect).
ALTER TABLE conversations ADD COLUMN sensitive INTEGER NOT NULL DEFAULT 0;
UPDATE conversations SET sensitive = 1
 WHERE public = 1 AND EXISTS (SELECT 1 FROM messages m
                               WHERE m.conversation_id = conversations.id AND m.direction = 'in' AND sb_sensitive(m.body));
