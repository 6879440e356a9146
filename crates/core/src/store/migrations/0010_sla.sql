-- Schema 10: SLA clocks.
-- A conversation's status over time: the resolution clock pauses while it is pending or on hold.
-- Written by a trigger, so every way a status changes (an agent, a sync reopening it, an
-- import) is recorded.
CREATE TABLE status_changes (
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    at              INTEGER NOT NULL,
    status          TEXT NOT NULL
);
CREATE INDEX status_changes_conversation ON status_changes(conversation_id, at);
CREATE TRIGGER conversations_status_change AFTER UPDATE OF status ON conversations
WHEN old.status IS NOT new.status BEGIN
    INSERT INTO status_changes (conversation_id, at, status)
    VALUES (new.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), new.status);
END;

-- Policy conditions beyond priority and channel (JSON lists; empty: any).
ALTER TABLE sla_policies ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
ALTER TABLE sla_policies ADD COLUMN customer_statuses TEXT NOT NULL DEFAULT '[]';

-- Derived from messages with the other clock columns (store::write::refresh_conversation): the
-- first customer message, and the first agent answer after it.
ALTER TABLE conversations ADD COLUMN first_inbound_at INTEGER;
ALTER TABLE conversations ADD COLUMN first_reply_at INTEGER;
UPDATE conversations SET first_inbound_at =
    (SELECT min(sent_at) FROM messages m
      WHERE m.conversation_id = conversations.id AND m.direction = 'in' AND m.author_kind = 'customer');
UPDATE conversations SET first_reply_at =
    (SELECT min(sent_at) FROM messages m
      WHERE m.conversation_id = conversations.id AND m.direction = 'out' AND m.author_kind = 'agent'
        AND m.delivery NOT IN ('queued', 'failed') AND m.sent_at >= conversations.first_inbound_at);
CREATE INDEX conversations_open_clocks ON conversations(status, waiting_since);
