//! A conversation opened: its messages (with the customer's others on every channel), notes,
//! tags, the post above a public thread, and a message's attachments.

use super::rows::{attachments, contact_view, inbox_row, message_view, CONTACT_COLUMNS, INBOX_SELECT, MESSAGE_COLUMNS};
use super::Store;
use crate::error::{Error, Result};
use crate::interchange::AttachmentRecord;
use crate::model::time::{from_ms, to_ms};
use crate::model::*;
use rusqlite::{params, OptionalExtension};

impl Store {
    /// An email exactly as it was received, for export or to save an attachment from it.
    pub fn raw_email(&self, message_id: i64) -> Result<Option<Vec<u8>>> {
        Ok(self
            .conn
            .prepare_cached("SELECT raw FROM email_messages WHERE message_id = ?1")?
            .query_row([message_id], |r| r.get(0))
            .optional()?
            .flatten())
    }

    /// These messages (those that exist).
    pub fn messages_by_id(&self, ids: &[i64]) -> Result<Vec<MessageView>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE m.id = ?1"
        ))?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let mut rows = stmt.query([id])?;
            if let Some(r) = rows.next()? {
                out.push(message_view(&self.conn, r)?);
            }
        }
        Ok(out)
    }

    /// An email attachment's name, type and bytes, from the raw message it came in.
    pub fn email_attachment(&self, message_id: i64, index: usize) -> Result<(Option<String>, Option<String>, Vec<u8>)> {
        let raw = self.raw_email(message_id)?.ok_or_else(|| Error::Missing { what: "email message", id: message_id.to_string() })?;
        crate::email::attachment(&raw, index).ok_or_else(|| Error::Missing { what: "attachment", id: format!("{message_id}/{index}") })
    }

    /// A message's attachment with the account it came through (where it is hosted, and how to
    /// reach it) and the message's id on the platform.
    pub fn message_attachment(&self, message_id: i64, index: usize) -> Result<(AttachmentRecord, AccountView, String)> {
        let (account, external): (String, String) = self
            .conn
            .prepare_cached("SELECT a.key, m.external_id FROM messages m JOIN accounts a ON a.id = m.account_id WHERE m.id = ?1")?
            .query_row([message_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?
            .ok_or_else(|| Error::Missing { what: "message", id: message_id.to_string() })?;
        let missing = || Error::Missing { what: "attachment", id: format!("{message_id}/{index}") };
        let attachment = attachments(&self.conn, message_id)?.into_iter().nth(index).ok_or_else(missing)?;
        Ok((attachment, self.account(&account)?.ok_or_else(missing)?, external))
    }

    /// A conversation with its customer and its latest `limit` messages, oldest first.
    pub fn thread(&self, conversation: i64, limit: usize) -> Result<Thread> {
        self.thread_of(conversation, limit, false)
    }

    /// A conversation with every message of its customer, on any channel and in any of their
    /// conversations, in time order: the agent sees the whole story. Without a known customer,
    /// the conversation alone.
    pub fn timeline(&self, conversation: i64, limit: usize) -> Result<Thread> {
        self.thread_of(conversation, limit, true)
    }

    fn thread_of(&self, conversation: i64, limit: usize, whole_customer: bool) -> Result<Thread> {
        let mut row = self
            .conn
            .prepare_cached(&format!("{INBOX_SELECT} WHERE c.id = ?1"))?
            .query_row([conversation], inbox_row)
            .optional()?
            .ok_or_else(|| Error::Missing { what: "conversation", id: conversation.to_string() })?;
        self.attach_clocks(std::slice::from_mut(&mut row), jiff::Timestamp::now())?;
        let contact = self
            .conn
            .prepare_cached(&format!(
                "SELECT {CONTACT_COLUMNS} FROM conversations c JOIN contacts ct ON ct.id = c.contact_id WHERE c.id = ?1"
            ))?
            .query_row([conversation], contact_view)
            .optional()?;
        let tags = self.conversation_tags(conversation)?;
        let contact_id = contact.as_ref().map(|c| c.id).filter(|_| whole_customer);
        let History { messages, notes, handoffs, older } = self.page_of(conversation, contact_id, None, limit)?;
        let post = self.post_of(conversation)?;
        let draft = self.draft(conversation)?;
        Ok(Thread { conversation: row, contact, tags, messages, notes, handoffs, has_older: older.is_some(), older, post, draft })
    }

    /// The page of a customer's history (as `timeline` shows it) before `before`: at most
    /// `limit` messages, oldest first, with the notes of their time, and the cursor of the page
    /// before it (none: this page reaches the first message).
    pub fn history(&self, conversation: i64, before: &MessageCursor, limit: usize) -> Result<History> {
        let contact: Option<i64> = self
            .conn
            .prepare_cached("SELECT contact_id FROM conversations WHERE id = ?1")?
            .query_row([conversation], |r| r.get(0))
            .optional()?
            .ok_or_else(|| Error::Missing { what: "conversation", id: conversation.to_string() })?;
        self.page_of(conversation, contact, Some(before), limit)
    }

    /// At most `limit` messages of the conversation (or of every conversation of `contact`)
    /// before `before` (or the latest), oldest first, with the notes written from the first of
    /// them until `before`.
    fn page_of(&self, conversation: i64, contact: Option<i64>, before: Option<&MessageCursor>, limit: usize) -> Result<History> {
        let limit = limit.max(1);
        let (at, id) = before.map_or((i64::MAX, i64::MAX), |c| (c.at, c.id));
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m JOIN conversations c ON c.id = m.conversation_id
             WHERE m.conversation_id IN (SELECT ?1 UNION SELECT id FROM conversations WHERE contact_id = ?3)
               AND (m.sent_at, m.id) < (?4, ?5)
             ORDER BY m.sent_at DESC, m.id DESC LIMIT ?2"
        ))?;
        let mut rows = stmt.query(params![conversation, i64::try_from(limit).unwrap_or(i64::MAX).saturating_add(1), contact, at, id])?;
        let mut messages = Vec::new();
        while let Some(r) = rows.next()? {
            messages.push(message_view(&self.conn, r)?);
        }
        let has_older = messages.len() > limit;
        messages.truncate(limit);
        messages.reverse();
        let older = if has_older { messages.first().map(|m| MessageCursor { at: to_ms(m.at), id: m.id }) } else { None };
        let since = older.map(|c| c.at);
        let until = before.map(|c| c.at);
        let notes = self.notes_of(conversation, contact, since, until)?;
        let handoffs = handoffs(&messages);
        Ok(History { messages, notes, handoffs, older })
    }
    /// The post a public thread hangs under.
    pub fn post_of(&self, conversation: i64) -> Result<Option<PostView>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT p.external_id, p.body, p.author_name, p.url, p.posted_at FROM conversations c JOIN posts p ON p.id = c.post_id
                 WHERE c.id = ?1",
            )?
            .query_row([conversation], |r| {
                Ok(PostView { external_id: r.get(0)?, text: r.get(1)?, author: r.get(2)?, url: r.get(3)?, at: from_ms(r.get(4)?) })
            })
            .optional()?)
    }

    /// Notes on the conversation (or on every conversation of `contact`), from `since` on and
    /// before `until`.
    fn notes_of(&self, conversation: i64, contact: Option<i64>, since: Option<i64>, until: Option<i64>) -> Result<Vec<NoteView>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, conversation_id, author, body, created_at FROM notes
             WHERE conversation_id IN (SELECT ?1 UNION SELECT id FROM conversations WHERE contact_id = ?2)
               AND created_at >= coalesce(?3, 0) AND created_at < coalesce(?4, 9223372036854775807)
             ORDER BY created_at, id",
        )?;
        let rows = stmt.query_map(params![conversation, contact, since, until], super::customers::note_view)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub(super) fn conversation_tags(&self, conversation: i64) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT t.name FROM conversation_tags x JOIN tags t ON t.id = x.tag_id WHERE x.conversation_id = ?1 ORDER BY t.name",
        )?;
        let rows = stmt.query_map([conversation], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
