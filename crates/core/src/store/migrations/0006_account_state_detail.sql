-- Schema 6: why an account is in its state (offline, needs re-authentication, error), in words for
-- the agent. Sync errors carry no token, URL or message text, so this holds none either.
ALTER TABLE accounts ADD COLUMN state_detail TEXT;
