-- Schema 22: replies in a team (team mode) go out through the hub. When the hub took a reply (its
-- answer, or the log's record of it): until then the desk keeps handing it over, also after a
-- restart; the hub knows a reply by its key, so handing it over twice is harmless.
ALTER TABLE outbox ADD COLUMN handed_at INTEGER;
CREATE INDEX outbox_to_hand ON outbox (id) WHERE state = 'queued' AND handed_at IS NULL;
