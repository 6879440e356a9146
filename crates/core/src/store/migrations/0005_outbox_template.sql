-- Schema 5: a reply may be an approved message template (WhatsApp outside its 24-hour window).
-- JSON {"id": "<the platform's template id>", "variables": {"1": "…"}}; NULL for a plain reply.
ALTER TABLE outbox ADD COLUMN template TEXT;
