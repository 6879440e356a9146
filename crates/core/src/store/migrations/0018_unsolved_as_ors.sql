-- Schema 18: the partial indexes of schema 15 name the statuses whose clocks run as ORs, not as
-- `status IN ('open', 'pending', 'on_hold')`. SQLite evaluates an IN list of more than two
-- constants through a temporary table that it builds on each run of a statement, and it evaluates
-- a partial index's condition on every insert into and update of the table: with the IN lists,
-- each new conversation and each refresh of one built two such tables (7 % of an initial sync's
-- writing). Queries that read these indexes write the condition the same way (`util::UNSOLVED`).
DROP INDEX conversations_sla_due;
DROP INDEX conversations_sla_stale;
CREATE INDEX conversations_sla_due ON conversations(sla_due_at)
    WHERE (status = 'open' OR status = 'pending' OR status = 'on_hold');
CREATE INDEX conversations_sla_stale ON conversations(id)
    WHERE sla_fresh = 0 AND (status = 'open' OR status = 'pending' OR status = 'on_hold');
