-- Schema 19: the inbox lists flagged conversations (a customer's sensitive data in public, schema
-- 11) first. Ordered by the flag and then by time in one query, SQLite could use no index and
-- sorted every conversation of the view for each page (1.2 s per page at 100,000 conversations).
-- The flagged ones are now read on their own, newest first, from this index (it holds only them),
-- and the rest from the inbox indexes as before.
CREATE INDEX conversations_flagged ON conversations(last_message_at DESC, id DESC) WHERE sensitive = 1;
