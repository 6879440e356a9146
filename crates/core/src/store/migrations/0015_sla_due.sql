-- Schema 15: each open conversation's SLA breach instants, kept so the board and the inbox by
-- breach read them instead of working every clock out. A running clock's breach instant does not
-- move with time, only when what the clocks are made of changes: the conversation's messages,
-- status, priority, channel, customer or tags, or the policies and calendars. Those changes mark
-- it stale (`sla_fresh = 0`, by the triggers below); the next reader works the stale ones out.
ALTER TABLE conversations ADD COLUMN sla_due_at INTEGER;     -- the earliest running breach instant
ALTER TABLE conversations ADD COLUMN sla_fresh INTEGER NOT NULL DEFAULT 0;
-- Every running clock's breach instant, of conversations not solved (the board counts the day's).
CREATE TABLE sla_due_times (
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    due_at          INTEGER NOT NULL
);
CREATE INDEX sla_due_times_at ON sla_due_times(due_at);
CREATE INDEX sla_due_times_conversation ON sla_due_times(conversation_id);

-- Due soonest (the board's lists, the inbox by breach), the stale ones, and the board's queues
-- counted from the index alone.
CREATE INDEX conversations_sla_due ON conversations(sla_due_at) WHERE status IN ('open', 'pending', 'on_hold');
CREATE INDEX conversations_sla_stale ON conversations(id) WHERE sla_fresh = 0 AND status IN ('open', 'pending', 'on_hold');
CREATE INDEX conversations_board ON conversations(status, assignee, channel, waiting_since, sla_due_at);

CREATE TRIGGER conversations_sla_changed AFTER UPDATE OF status, priority, channel, contact_id, first_inbound_at, first_reply_at, waiting_since
ON conversations
WHEN NEW.sla_fresh = 1 AND (OLD.status, OLD.priority, OLD.channel, OLD.contact_id, OLD.first_inbound_at, OLD.first_reply_at, OLD.waiting_since)
     IS NOT (NEW.status, NEW.priority, NEW.channel, NEW.contact_id, NEW.first_inbound_at, NEW.first_reply_at, NEW.waiting_since)
BEGIN
    UPDATE conversations SET sla_fresh = 0 WHERE id = NEW.id;
END;

CREATE TRIGGER conversations_sla_solved AFTER UPDATE OF status ON conversations WHEN NEW.status = 'solved' AND OLD.status IS NOT 'solved' BEGIN
    DELETE FROM sla_due_times WHERE conversation_id = NEW.id;
END;

CREATE TRIGGER conversation_tags_sla_added AFTER INSERT ON conversation_tags BEGIN
    UPDATE conversations SET sla_fresh = 0 WHERE id = NEW.conversation_id AND sla_fresh = 1;
END;
CREATE TRIGGER conversation_tags_sla_removed AFTER DELETE ON conversation_tags BEGIN
    UPDATE conversations SET sla_fresh = 0 WHERE id = OLD.conversation_id AND sla_fresh = 1;
END;

CREATE TRIGGER contacts_sla_status AFTER UPDATE OF status ON contacts WHEN OLD.status IS NOT NEW.status BEGIN
    UPDATE conversations SET sla_fresh = 0 WHERE contact_id = NEW.id AND sla_fresh = 1;
END;

CREATE TRIGGER sla_policies_added AFTER INSERT ON sla_policies BEGIN
    UPDATE conversations SET sla_fresh = 0 WHERE sla_fresh = 1;
END;
CREATE TRIGGER sla_policies_changed AFTER UPDATE ON sla_policies BEGIN
    UPDATE conversations SET sla_fresh = 0 WHERE sla_fresh = 1;
END;
CREATE TRIGGER sla_policies_removed AFTER DELETE ON sla_policies BEGIN
    UPDATE conversations SET sla_fresh = 0 WHERE sla_fresh = 1;
END;
CREATE TRIGGER business_calendars_added AFTER INSERT ON business_calendars BEGIN
    UPDATE conversations SET sla_fresh = 0 WHERE sla_fresh = 1;
END;
CREATE TRIGGER business_calendars_changed AFTER UPDATE ON business_calendars BEGIN
    UPDATE conversations SET sla_fresh = 0 WHERE sla_fresh = 1;
END;
CREATE TRIGGER business_calendars_removed AFTER DELETE ON business_calendars BEGIN
    UPDATE conversations SET sla_fresh = 0 WHERE sla_fresh = 1;
END;
