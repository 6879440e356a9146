//! Messages: a message's row and attachments, and an email's threading and its own part.

use super::upsert::{json, Upserter};
use crate::error::{Error, Result};
use crate::interchange::*;
use crate::model::time::to_ms;
use crate::model::{AuthorKind, Direction};
use crate::store::util::upsert_sql;
use rusqlite::{params, OptionalExtension};

impl Upserter<'_> {
    pub(crate) fn message(&mut self, m: &MessageRecord) -> Result<i64> {
        if m.id.is_empty() {
            return Err(Error::invalid("a message id is empty"));
        }
        let at = to_ms(m.at);
        let (account_id, _) = self.account(&m.account)?;
        let thread = match &m.email {
            Some(email) => self.email_thread(account_id, m, email)?,
            None => m.conversation.clone(),
        };
        let from_customer = m.author.kind == AuthorKind::Customer && m.direction == Direction::In;
        let (conversation, contact) =
            self.ensure_conversation(&m.account, &thread, at, true, from_customer.then_some(&m.author))?;
        if from_customer && contact.is_none() {
            if let Some(customer) = self.customer_for(&m.account, &m.author)? {
                self.tx
                    .prepare_cached("UPDATE conversations SET contact_id = ?2 WHERE id = ?1 AND contact_id IS NULL")?
                    .execute(params![conversation, customer])?;
                self.conversations
                    .insert((account_id, thread.clone()), (conversation, Some(customer)));
            }
        }
        let delivery = m.delivery();
        // Inserted first and looked up only when already there: a sync's messages are mostly new.
        // Not `RETURNING id`: SQLite runs RETURNING as a trigger, and a statement with a trigger
        // keeps a statement journal, copying every page it touches (a tenth of a sync's writing).
        let inserted = self
            .tx
            .prepare_cached(
                "INSERT INTO messages (conversation_id, account_id, external_id, direction, author_kind,
                                       author_name, author_handle, body, sent_at, delivery)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                 ON CONFLICT (account_id, external_id) DO NOTHING",
            )?
            .execute(params![
                conversation,
                account_id,
                m.id,
                m.direction,
                m.author.kind,
                m.author.name,
                m.author.handle,
                m.text,
                at,
                delivery
            ])?
            == 1;
        let id = if inserted {
            let id = self.tx.last_insert_rowid();
            self.unindexed_messages.push(id);
            self.insert_attachments(id, &m.attachments)?;
            if self.live && from_customer {
                *self.new_from_customers.entry(conversation).or_default() += 1;
                self.settled.remove(&conversation);
                self.from_customers.push((conversation, at, id));
            }
            id
        } else {
            let (id, stored_kind, stored_name, ours): (i64, AuthorKind, Option<String>, bool) = self
                .tx
                .prepare_cached(
                    "SELECT m.id, m.author_kind, m.author_name, EXISTS (SELECT 1 FROM outbox o WHERE o.message_id = m.id)
                     FROM messages m WHERE m.account_id = ?1 AND m.external_id = ?2",
                )?
                .query_row(params![account_id, m.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
            // A reply sent from here keeps the name of the agent who wrote it: the platform's
            // copy names the business at most.
            let name = if ours && stored_name.is_some() { stored_name } else { m.author.name.clone() };
            // Our automated replies (acknowledgements) come back from the platform as the
            // business's messages: they stay the bot's, so they never count as an agent's answer.
            let kind = match stored_kind {
                AuthorKind::Bot if m.author.kind == AuthorKind::Agent => AuthorKind::Bot,
                _ => m.author.kind,
            };
            self.tx
                .prepare_cached(
                    "UPDATE messages SET direction = ?2, author_kind = ?3, author_name = ?4, author_handle = ?5,
                            body = ?6, sent_at = ?7, delivery = ?8
                     WHERE id = ?1 AND (direction, author_kind, author_name, author_handle, body, sent_at, delivery)
                           IS NOT (?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )?
                .execute(params![id, m.direction, kind, name, m.author.handle, m.text, at, delivery])?;
            let current = crate::store::rows::attachments(self.tx, id)?;
            if current != m.attachments {
                self.tx.execute("DELETE FROM attachments WHERE message_id = ?1", [id])?;
                self.insert_attachments(id, &m.attachments)?;
            }
            id
        };
        if let Some(email) = &m.email {
            self.email_part(id, conversation, email)?;
        }
        self.touched.insert(conversation);
        Ok(id)
    }
    /// The conversation an email belongs to, by its external id: the one it is already in;
    /// else the one holding a message it names in References (newest first), then In-Reply-To;
    /// else the sender's conversation with the same normalised subject; else a new one, `m.conversation`.
    pub(super) fn email_thread(
        &mut self,
        account_id: i64,
        m: &MessageRecord,
        email: &EmailRecord,
    ) -> Result<String> {
        let existing: Option<String> = self
            .tx
            .prepare_cached(
                "SELECT c.external_id FROM messages m JOIN conversations c ON c.id = m.conversation_id
                 WHERE m.account_id = ?1 AND m.external_id = ?2",
            )?
            .query_row(params![account_id, m.id], |r| r.get(0))
            .optional()?;
        if let Some(found) = existing {
            return Ok(found);
        }
        // Our own replies are known by the Message-ID they were sent with (their external id).
        let mut by_id = self.tx.prepare_cached(
            "SELECT c.external_id FROM email_messages e JOIN messages m ON m.id = e.message_id
               JOIN conversations c ON c.id = m.conversation_id
             WHERE e.header_id = ?2 AND m.account_id = ?1
             UNION ALL
             SELECT c.external_id FROM messages m JOIN conversations c ON c.id = m.conversation_id
             WHERE m.account_id = ?1 AND m.external_id = ?2 AND m.direction = 'out'
             LIMIT 1",
        )?;
        for id in email.references.iter().rev().chain(&email.in_reply_to) {
            let key = crate::email::id_key(id);
            if key.is_empty() {
                continue;
            }
            if let Some(found) = by_id
                .query_row(params![account_id, key], |r| r.get::<_, String>(0))
                .optional()?
            {
                return Ok(found);
            }
        }
        let subject = crate::email::subject_key(email.subject.as_deref().unwrap_or_default());
        let handle = m
            .author
            .handle
            .as_deref()
            .filter(|_| m.direction == Direction::In && !subject.is_empty());
        if let Some(handle) = handle {
            let found: Option<String> = self
                .tx
                .prepare_cached(
                    "SELECT c.external_id FROM identities i
                       JOIN conversations c ON c.contact_id = i.contact_id AND c.account_id = i.account_id
                       JOIN messages m ON m.conversation_id = c.id
                       JOIN email_messages e ON e.message_id = m.id
                     WHERE i.account_id = ?1 AND i.handle = ?2 AND e.subject_key = ?3
                     ORDER BY m.sent_at DESC LIMIT 1",
                )?
                .query_row(params![account_id, handle, subject], |r| r.get(0))
                .optional()?;
            if let Some(found) = found {
                return Ok(found);
            }
        }
        Ok(m.conversation.clone())
    }
    /// Stores an email's own part. Its HTML is sanitised here whatever its source (a sync or an
    /// imported file), so nothing unsanitised is ever stored for the UI.
    pub(super) fn email_part(&mut self, message: i64, conversation: i64, email: &EmailRecord) -> Result<()> {
        use base64::Engine as _;
        let raw = match &email.raw {
            Some(b64) => Some(
                base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .map_err(|_| Error::invalid("an email's raw message is not valid base64"))?,
            ),
            None => None,
        };
        let (html, blocked) = match &email.html {
            Some(h) => {
                let (clean, blocked) = crate::email::sanitise_html(h);
                (Some(clean), blocked > 0)
            }
            None => (None, false),
        };
        let subject_key = email.subject.as_deref().map(crate::email::subject_key);
        self.tx
            .prepare_cached(&upsert_sql(
                "email_messages",
                &["message_id"],
                &[
                    "header_id",
                    "in_reply_to",
                    "refs",
                    "subject",
                    "subject_key",
                    "html",
                    "remote_images_blocked",
                    "folds",
                    "warning",
                    "raw",
                ],
                &[],
            ))?
            .execute(params![
                message,
                email.message_id.as_deref().map(crate::email::id_key),
                json(&email.in_reply_to),
                json(&email.references),
                email.subject,
                subject_key,
                html,
                email.remote_images_blocked || blocked,
                json(&email.folds),
                email.warning,
                raw
            ])?;
        if let Some(subject) = &email.subject {
            self.tx
                .prepare_cached(
                    "UPDATE conversations SET subject = ?2 WHERE id = ?1 AND subject IS NULL",
                )?
                .execute(params![conversation, subject])?;
        }
        Ok(())
    }
    pub(super) fn insert_attachments(&self, message: i64, attachments: &[AttachmentRecord]) -> Result<()> {
        let mut insert = self.tx.prepare_cached(
            "INSERT INTO attachments (message_id, position, kind, name, mime, url, size, file_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        for (position, a) in attachments.iter().enumerate() {
            insert.execute(params![message, position as i64, a.kind, a.name, a.mime, a.url, a.size, a.file_id])?;
        }
        Ok(())
    }
}
