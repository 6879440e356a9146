-- Schema 8: the app's settings (notifications and the like), one JSON value a key. The core
-- validates each value's shape on the way in.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
