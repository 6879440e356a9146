-- Schema 16: the columns a sync derives from a conversation's messages (first_inbound_at,
-- first_reply_at, waiting_since) are written only by the conversation refresh, which now marks the
-- breach instants stale itself. A trigger naming them made every refresh a statement with a
-- trigger, and SQLite keeps a statement journal for those: a copy of each page the refresh
-- touched, for every conversation of every batch.
DROP TRIGGER conversations_sla_changed;
CREATE TRIGGER conversations_sla_changed AFTER UPDATE OF status, priority, channel, contact_id
ON conversations
WHEN NEW.sla_fresh = 1 AND (OLD.status, OLD.priority, OLD.channel, OLD.contact_id)
     IS NOT (NEW.status, NEW.priority, NEW.channel, NEW.contact_id)
BEGIN
    UPDATE conversations SET sla_fresh = 0 WHERE id = NEW.id;
END;
