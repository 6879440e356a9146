-- Schema 20: an agent's draft per conversation, kept across switching conversations, reloads and
-- restarts (in the encrypted store, like everything the agent writes), gone once the reply is
-- queued or the conversation is.
CREATE TABLE drafts (
    conversation_id INTEGER PRIMARY KEY REFERENCES conversations(id) ON DELETE CASCADE,
    body            TEXT NOT NULL,
    updated_at      INTEGER NOT NULL
);

-- A failed reply is retried from the thread message that shows it.
CREATE INDEX outbox_message ON outbox(message_id);
