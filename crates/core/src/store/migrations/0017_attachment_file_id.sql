-- Schema 17: the platform's own id for an attachment it hands out by id rather than by link
-- (Telegram's file_id), so the app can fetch it to show it.
ALTER TABLE attachments ADD COLUMN file_id TEXT;
