-- Schema 21: the team (team mode). The people the team's hub names, by the hub's id: who a
-- conversation may be assigned to, and whose name the log's records carry. A removed person keeps
-- their row, since older records name them.
CREATE TABLE team_people (
    id      INTEGER PRIMARY KEY,
    name    TEXT NOT NULL,
    role    TEXT NOT NULL CHECK (role IN ('agent', 'supervisor')),
    removed INTEGER NOT NULL DEFAULT 0
);
