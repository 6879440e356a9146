-- Schema 12: incidents. A rule's `incident` action records the message here; when several
-- customers report the same key within an hour, their conversations are tagged and raised.
CREATE TABLE incident_hits (
    key             TEXT NOT NULL,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    contact_id      INTEGER,
    at              INTEGER NOT NULL
);
CREATE INDEX incident_hits_key ON incident_hits(key, at);
