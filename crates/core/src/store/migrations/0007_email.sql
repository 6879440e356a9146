-- Schema 7: what only an email has, one row per email message. Threading looks messages up by
-- their Message-ID and, failing that, by the normalised subject within the customer's
-- conversations. `raw` is the message exactly as received, for export.
CREATE TABLE email_messages (
    message_id   INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    header_id    TEXT,                  -- Message-ID without angle brackets
    in_reply_to  TEXT NOT NULL DEFAULT '[]',
    refs         TEXT NOT NULL DEFAULT '[]',
    subject      TEXT,
    subject_key  TEXT,                  -- email::subject_key(subject)
    html         TEXT,                  -- sanitised
    remote_images_blocked INTEGER NOT NULL DEFAULT 0,
    folds        TEXT NOT NULL DEFAULT '[]',
    warning      TEXT,
    raw          BLOB
);
CREATE INDEX email_messages_header ON email_messages(header_id);
CREATE INDEX email_messages_subject ON email_messages(subject_key);
