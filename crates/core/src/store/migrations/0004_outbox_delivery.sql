-- Schema 4: what the outbox needs to deliver each reply exactly once and show it in the thread.
-- message_id: the agent's message in the thread, whose delivery state follows the outbox row.
-- next_attempt_at: when a reply that failed for a passing reason may be tried again.
ALTER TABLE outbox ADD COLUMN message_id INTEGER REFERENCES messages(id) ON DELETE SET NULL;
ALTER TABLE outbox ADD COLUMN next_attempt_at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX outbox_due ON outbox(state, next_attempt_at, id);
CREATE INDEX outbox_conversation ON outbox(conversation_id, id);
