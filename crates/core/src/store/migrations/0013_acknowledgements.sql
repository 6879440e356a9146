-- Schema 13: setting expectations. When the conversation was last acknowledged automatically,
-- so it is acknowledged at most once per configured period.
ALTER TABLE conversations ADD COLUMN acknowledged_at INTEGER;
