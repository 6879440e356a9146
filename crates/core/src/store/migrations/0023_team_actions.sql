-- Schema 23: what an agent on a desk in a team did to a conversation (team mode), applied here at
-- once and waiting to be sent to the team's hub, in order; each with the key the hub knows it by.
-- Gone once the hub took it.
CREATE TABLE team_actions (
    id              INTEGER PRIMARY KEY,
    key             TEXT NOT NULL UNIQUE,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    action          TEXT NOT NULL,
    created_at      INTEGER NOT NULL
);
