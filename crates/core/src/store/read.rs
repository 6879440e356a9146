//! Reading the store: inbox pages, threads, statistics, and the record stream that export writes.

use super::util::{from_ms, UNSOLVED};
use super::Store;
use crate::error::{Error, Result};
use crate::interchange::*;
use crate::model::*;
use rusqlite::types::Value;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use std::io::Write;


#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableCount {
    pub table: &'static str,
    pub rows: i64,
}

const TABLES: &[&str] = &[
    "accounts",
    "contacts",
    "identities",
    "conversations",
    "messages",
    "attachments",
    "outbox",
    "orders",
    "tags",
    "notes",
    "contact_merges",
    "canned_replies",
    "sla_policies",
    "business_calendars",
    "rules",
    "sync_cursors",
];

/// The email part of a message, as the interchange format writes it (raw as base64, and only
/// `with_raw`: a thread does not need it).
pub(crate) fn email_record(
    conn: &Connection,
    message: i64,
    with_raw: bool,
) -> Result<Option<EmailRecord>> {
    use base64::Engine as _;
    fn parse<T: serde::de::DeserializeOwned + Default>(text: String) -> T {
        serde_json::from_str(&text).unwrap_or_default()
    }
    Ok(conn
        .prepare_cached(
            "SELECT header_id, in_reply_to, refs, subject, html, remote_images_blocked, folds, warning,
                    CASE WHEN ?2 THEN raw END
             FROM email_messages WHERE message_id = ?1",
        )?
        .query_row(params![message, with_raw], |r| {
            Ok(EmailRecord {
                message_id: r.get(0)?,
                in_reply_to: parse(r.get(1)?),
                references: parse(r.get(2)?),
                subject: r.get(3)?,
                html: r.get(4)?,
                remote_images_blocked: r.get(5)?,
                folds: parse(r.get(6)?),
                warning: r.get(7)?,
                raw: r.get::<_, Option<Vec<u8>>>(8)?.map(|raw| base64::engine::general_purpose::STANDARD.encode(raw)),
            })
        })
        .optional()?)
}

pub(crate) fn attachments(conn: &Connection, message: i64) -> Result<Vec<AttachmentRecord>> {
    let mut stmt = conn.prepare_cached(
        "SELECT kind, name, mime, url, size, file_id FROM attachments WHERE message_id = ?1 ORDER BY position",
    )?;
    let rows = stmt.query_map([message], |r| {
        Ok(AttachmentRecord { kind: r.get(0)?, name: r.get(1)?, mime: r.get(2)?, url: r.get(3)?, size: r.get(4)?, file_id: r.get(5)? })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

macro_rules! inbox_select {
    ($index:literal) => {
        concat!(
            "
    SELECT c.id, a.key, c.channel, c.external_id, ct.name, c.subject, m.body, c.status, c.priority,
           c.assignee, c.unread, c.public, c.last_message_at, c.waiting_since, c.sensitive
    FROM conversations c",
            $index,
            "
    JOIN accounts a ON a.id = c.account_id
    LEFT JOIN contacts ct ON ct.id = c.contact_id
    LEFT JOIN messages m ON m.id = c.last_message_id"
        )
    };
}
pub(crate) const INBOX_SELECT: &str = inbox_select!("");
/// `INBOX_SELECT` along the flagged conversations' index. Named, since SQLite would rather walk a
/// view's own index (all of an open or unassigned view) looking for the few flagged.
const INBOX_FLAGGED_SELECT: &str = inbox_select!(" INDEXED BY conversations_flagged");

pub(crate) fn inbox_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<InboxRow> {
    Ok(InboxRow {
        id: r.get(0)?,
        account: r.get(1)?,
        channel: r.get(2)?,
        external_id: r.get(3)?,
        customer: r.get(4)?,
        subject: r.get(5)?,
        preview: r.get::<_, Option<String>>(6)?.as_deref().map(|body| preview(&crate::privacy::mask(body))),
        status: r.get(7)?,
        priority: r.get(8)?,
        assignee: r.get(9)?,
        unread: r.get(10)?,
        public: r.get(11)?,
        last_message_at: r.get::<_, Option<i64>>(12)?.map(from_ms),
        waiting_since: r.get::<_, Option<i64>>(13)?.map(from_ms),
        sensitive: r.get(14)?,
        clock: None,
    })
}

/// A contact from a row whose first columns are `CONTACT_COLUMNS`.
pub(crate) const CONTACT_COLUMNS: &str = "ct.id, ct.uid, ct.name, ct.email, ct.phone, ct.language, ct.time_zone, ct.status";

pub(crate) fn contact_view(r: &rusqlite::Row<'_>) -> rusqlite::Result<ContactView> {
    Ok(ContactView {
        id: r.get(0)?,
        uid: r.get(1)?,
        name: r.get(2)?,
        email: r.get(3)?,
        phone: r.get(4)?,
        language: r.get(5)?,
        time_zone: r.get(6)?,
        status: r.get(7)?,
    })
}

/// The columns `message_view` reads, from `messages m JOIN conversations c`.
const MESSAGE_COLUMNS: &str =
    "m.id, m.external_id, c.channel, m.direction, m.author_kind, m.author_name, m.body, m.sent_at, m.delivery, m.conversation_id, m.hidden_reason";

fn message_view(conn: &Connection, r: &rusqlite::Row<'_>) -> Result<MessageView> {
    let id: i64 = r.get(0)?;
    Ok(MessageView {
        id,
        external_id: r.get(1)?,
        channel: r.get(2)?,
        direction: r.get(3)?,
        author_kind: r.get(4)?,
        author_name: r.get(5)?,
        // Card numbers and one-time codes never reach a screen.
        text: crate::privacy::mask(&r.get::<_, String>(6)?).into_owned(),
        at: from_ms(r.get(7)?),
        delivery: r.get(8)?,
        attachments: attachments(conn, id)?
            .into_iter()
            .map(|a| Attachment { kind: a.kind, name: a.name, mime: a.mime, url: a.url, size: a.size, file_id: a.file_id })
            .collect(),
        email: email_record(conn, id, false)?,
        conversation_id: r.get(9)?,
        hidden: r.get(10)?,
    })
}

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

    /// One page of the inbox, newest activity first.
    pub fn inbox(&self, filter: &InboxFilter) -> Result<Vec<InboxRow>> {
        // The view's conditions, shared by both orders.
        let mut filters = String::new();
        let mut params: Vec<Value> = Vec::new();
        if let Some(ch) = filter.channel {
            filters.push_str(" AND c.channel = ?");
            params.push(Value::Text(ch.as_str().into()));
        }
        if let Some(st) = filter.status {
            filters.push_str(" AND c.status = ?");
            params.push(Value::Text(st.as_str().into()));
        }
        if let Some(who) = &filter.assignee {
            filters.push_str(" AND c.assignee = ?");
            params.push(Value::Text(who.clone()));
        }
        if filter.unassigned {
            filters.push_str(" AND c.assignee IS NULL");
        }
        if let Some(public) = filter.public {
            filters.push_str(" AND c.public = ?");
            params.push(Value::Integer(public as i64));
        }
        if let Some(id) = filter.contact_id {
            filters.push_str(" AND c.contact_id = ?");
            params.push(Value::Integer(id));
        }
        if let Some(tag) = &filter.tag {
            filters.push_str(
                " AND EXISTS (SELECT 1 FROM conversation_tags x JOIN tags t ON t.id = x.tag_id
                              WHERE x.conversation_id = c.id AND t.name = ?)",
            );
            params.push(Value::Text(tag.clone()));
        }
        if let Some((at, id)) = filter.before {
            filters.push_str(" AND (c.last_message_at, c.id) < (?, ?)");
            params.push(Value::Integer(super::util::to_ms(at)));
            params.push(Value::Integer(id));
        }
        let now = jiff::Timestamp::now();
        if filter.by_breach {
            return self.inbox_by_breach(&filters, params, filter, now);
        }
        // Public conversations where a customer posted sensitive data come first: someone
        // should hide or answer them before anything else. The flagged ones and then the rest,
        // each read newest first along an index (schema 19): ordered by the flag in one query,
        // every conversation of the view was sorted for each page.
        let limit = filter.limit.max(1);
        let mut rows: Vec<InboxRow> = Vec::new();
        for (select, flagged) in [(INBOX_FLAGGED_SELECT, 1), (INBOX_SELECT, 0)] {
            if rows.len() >= limit {
                break;
            }
            let sql = format!("{select} WHERE c.sensitive = {flagged}{filters} ORDER BY c.last_message_at DESC, c.id DESC LIMIT ?");
            let mut page_params = params.clone();
            page_params.push(Value::Integer((limit - rows.len()) as i64));
            let mut stmt = self.conn.prepare_cached(&sql)?;
            let page = stmt.query_map(rusqlite::params_from_iter(page_params), inbox_row)?;
            rows.extend(page.collect::<rusqlite::Result<Vec<_>>>()?);
        }
        self.attach_clocks(&mut rows, now)?;
        Ok(rows)
    }

    /// `inbox` sorted by the next SLA breach: running clocks by their kept breach instant
    /// (breached first, longest over first), then the rest by newest activity.
    /// `filters`: the view's conditions on `c`, each starting with " AND".
    fn inbox_by_breach(&self, filters: &str, mut params: Vec<Value>, filter: &InboxFilter, now: jiff::Timestamp) -> Result<Vec<InboxRow>> {
        self.refresh_breaches(now)?;
        let limit = filter.limit.max(1);
        let mut due_params = params.clone();
        due_params.push(Value::Integer(limit as i64));
        // Walked in due order on the kept instants' index (only conversations not solved have
        // running clocks), the filters applied on the way.
        let due_sql = format!(
            "SELECT c.id FROM conversations c INDEXED BY conversations_sla_due
             WHERE {UNSOLVED} AND c.sla_due_at IS NOT NULL {filters}
             ORDER BY c.sla_due_at, c.id LIMIT ?"
        );
        let ids: Vec<i64> =
            self.conn.prepare_cached(&due_sql)?.query_map(rusqlite::params_from_iter(due_params), |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        let mut rows = self.inbox_rows(&ids, now)?;
        if rows.len() < limit {
            let rest_sql = format!(
                "{INBOX_SELECT} WHERE (c.sla_due_at IS NULL OR NOT {UNSOLVED}){filters}
                 ORDER BY c.last_message_at DESC, c.id DESC LIMIT ?"
            );
            params.push(Value::Integer((limit - rows.len()) as i64));
            let mut rest: Vec<InboxRow> =
                self.conn.prepare_cached(&rest_sql)?.query_map(rusqlite::params_from_iter(params), inbox_row)?.collect::<rusqlite::Result<_>>()?;
            self.attach_clocks(&mut rest, now)?;
            rows.extend(rest);
        }
        Ok(rows)
    }

    /// Each row's most urgent SLA clock as of `now`.
    pub(crate) fn attach_clocks(&self, rows: &mut [InboxRow], now: jiff::Timestamp) -> Result<()> {
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        for (row, view) in rows.iter_mut().zip(self.sla_of(&ids, now)?) {
            debug_assert_eq!(row.id, view.conversation);
            row.clock = view.most_urgent().cloned();
        }
        Ok(())
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
        let limit = limit.max(1);
        let contact_id = contact.as_ref().map(|c| c.id).filter(|_| whole_customer);
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m JOIN conversations c ON c.id = m.conversation_id
             WHERE m.conversation_id IN (SELECT ?1 UNION SELECT id FROM conversations WHERE contact_id = ?3)
             ORDER BY m.sent_at DESC, m.id DESC LIMIT ?2"
        ))?;
        let mut rows = stmt.query(params![conversation, i64::try_from(limit).unwrap_or(i64::MAX).saturating_add(1), contact_id])?;
        let mut messages = Vec::new();
        while let Some(r) = rows.next()? {
            messages.push(message_view(&self.conn, r)?);
        }
        let has_older = messages.len() > limit;
        messages.truncate(limit);
        messages.reverse();
        let since = if has_older { messages.first().map(|m| super::util::to_ms(m.at)) } else { None };
        let notes = self.notes_of(conversation, contact_id, since)?;
        let handoffs = handoffs(&messages);
        let post = self.post_of(conversation)?;
        Ok(Thread { conversation: row, contact, tags, messages, notes, handoffs, has_older, post })
    }

    /// What makes a conversation a public thread, for export; `None` for a private one.
    fn public_thread_record(&self, id: i64, account: &str, external: &str) -> Result<Option<PublicThreadRecord>> {
        let public: bool = self.conn.prepare_cached("SELECT public FROM conversations WHERE id = ?1")?.query_row([id], |r| r.get(0))?;
        if !public {
            return Ok(None);
        }
        let post = self.post_of(id)?.map(|p| PostRecord { id: p.external_id, text: p.text, author: p.author, url: p.url, at: p.at });
        let mut stmt = self.conn.prepare_cached(
            "SELECT external_id, hidden_reason, hidden_at FROM messages WHERE conversation_id = ?1 AND hidden_at IS NOT NULL ORDER BY external_id",
        )?;
        let hidden = stmt
            .query_map([id], |r| Ok(HiddenRecord { message: r.get(0)?, reason: r.get::<_, Option<String>>(1)?.unwrap_or_default(), at: Some(from_ms(r.get(2)?)) }))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(Some(PublicThreadRecord { account: account.to_owned(), conversation: external.to_owned(), post, hidden }))
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

    /// Notes on the conversation (or on every conversation of `contact`), from `since` on.
    fn notes_of(&self, conversation: i64, contact: Option<i64>, since: Option<i64>) -> Result<Vec<NoteView>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, conversation_id, author, body, created_at FROM notes
             WHERE conversation_id IN (SELECT ?1 UNION SELECT id FROM conversations WHERE contact_id = ?2)
               AND created_at >= coalesce(?3, 0)
             ORDER BY created_at, id",
        )?;
        let rows = stmt.query_map(params![conversation, contact, since], super::customers::note_view)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn conversation_tags(&self, conversation: i64) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT t.name FROM conversation_tags x JOIN tags t ON t.id = x.tag_id WHERE x.conversation_id = ?1 ORDER BY t.name",
        )?;
        let rows = stmt.query_map([conversation], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Row counts per table.
    /// Unread customer messages over every conversation (the tray and the window title show it).
    pub fn unread_total(&self) -> Result<i64> {
        Ok(self.conn.prepare_cached("SELECT COALESCE(SUM(unread), 0) FROM conversations")?.query_row([], |r| r.get(0))?)
    }

    pub fn stats(&self) -> Result<Vec<TableCount>> {
        TABLES
            .iter()
            .map(|table| {
                let rows = self.conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
                Ok(TableCount { table, rows })
            })
            .collect()
    }

    /// Streams every record in `scope` to `emit`, in an order that imports cleanly.
    pub fn export_records(&self, scope: ExportScope, emit: &mut dyn FnMut(Record) -> Result<()>) -> Result<()> {
        if scope == ExportScope::CannedReplies {
            return self.canned_replies()?.into_iter().try_for_each(|r| emit(Record::CannedReply(r)));
        }
        let conversations: Vec<(i64, String, String, Option<i64>)> = {
            let (filter, id) = match scope {
                ExportScope::All | ExportScope::CannedReplies => ("1", 0),
                ExportScope::Conversation(id) => ("c.id = ?1", id),
            };
            let sql = format!(
                "SELECT c.id, a.key, c.external_id, c.contact_id FROM conversations c JOIN accounts a ON a.id = c.account_id
                 WHERE {filter} ORDER BY a.key, c.external_id"
            );
            let mut stmt = self.conn.prepare(&sql)?;
            let rows = if filter == "1" {
                stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?.collect::<Result<Vec<_>, _>>()?
            } else {
                stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?.collect::<Result<Vec<_>, _>>()?
            };
            rows
        };
        if let ExportScope::Conversation(id) = scope {
            if conversations.is_empty() {
                return Err(Error::Missing { what: "conversation", id: id.to_string() });
            }
        }
        let whole = scope == ExportScope::All;

        // Accounts.
        let account_sql = if whole {
            "SELECT key, name, config FROM accounts ORDER BY key".to_owned()
        } else {
            "SELECT a.key, a.name, a.config FROM accounts a JOIN conversations c ON c.account_id = a.id WHERE c.id = ?1"
                .to_owned()
        };
        let mut stmt = self.conn.prepare(&account_sql)?;
        let mut rows = if whole { stmt.query([])? } else { stmt.query([conversations[0].0])? };
        while let Some(r) = rows.next()? {
            let config: String = r.get(2)?;
            emit(Record::Account(AccountRecord {
                account: r.get(0)?,
                name: r.get(1)?,
                config: serde_json::from_str(&config).unwrap_or_default(),
            }))?;
        }
        drop(rows);

        if whole {
            self.export_settings(emit)?;
        }

        // Contacts.
        let contact_ids: Vec<i64> = if whole {
            self.conn
                // A merged-away customer lives on in the one it became part of.
                .prepare("SELECT id FROM contacts WHERE merged_into IS NULL ORDER BY uid")?
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?
        } else {
            conversations.iter().filter_map(|c| c.3).collect()
        };
        for id in contact_ids {
            emit(Record::Contact(self.contact_record(id)?))?;
        }

        // Conversations, each followed by its messages.
        for (id, account, external, _) in &conversations {
            emit(Record::Conversation(self.conversation_record(*id)?))?;
            let mut stmt = self.conn.prepare_cached(
                "SELECT id, external_id, direction, author_kind, author_name, author_handle, body, sent_at, delivery
                 FROM messages WHERE conversation_id = ?1 ORDER BY sent_at, external_id",
            )?;
            let mut rows = stmt.query([id])?;
            while let Some(r) = rows.next()? {
                let message_id: i64 = r.get(0)?;
                let body: String = r.get(6)?;
                // Card numbers and one-time codes leave the store masked; an email that held
                // one leaves without its raw copy, which would give it back.
                let text = crate::privacy::mask(&body);
                let masked = matches!(text, std::borrow::Cow::Owned(_));
                let mut email = email_record(&self.conn, message_id, true)?;
                if let (true, Some(e)) = (masked, email.as_mut()) {
                    e.raw = None;
                }
                emit(Record::Message(MessageRecord {
                    account: account.clone(),
                    conversation: external.clone(),
                    id: r.get(1)?,
                    direction: r.get(2)?,
                    author: Author { kind: r.get(3)?, name: r.get(4)?, handle: r.get(5)? },
                    text: text.into_owned(),
                    at: from_ms(r.get(7)?),
                    delivery: Some(r.get(8)?),
                    attachments: attachments(&self.conn, message_id)?,
                    email: email.map(Box::new),
                }))?;
            }
            if let Some(thread) = self.public_thread_record(*id, account, external)? {
                emit(Record::PublicThread(thread))?;
            }
            let mut stmt = self
                .conn
                .prepare_cached("SELECT uid, author, body, created_at FROM notes WHERE conversation_id = ?1 ORDER BY uid")?;
            let mut rows = stmt.query([id])?;
            while let Some(r) = rows.next()? {
                emit(Record::Note(NoteRecord {
                    id: r.get(0)?,
                    account: account.clone(),
                    conversation: external.clone(),
                    author: r.get(1)?,
                    text: crate::privacy::mask(&r.get::<_, String>(2)?).into_owned(),
                    at: from_ms(r.get(3)?),
                }))?;
            }
        }

        if whole {
            let mut stmt = self.conn.prepare(
                "SELECT o.shop, o.external_id, ct.uid, o.number, o.placed_at, o.currency, o.total, o.financial_status,
                        o.fulfillment_status, o.items, o.tracking
                 FROM orders o LEFT JOIN contacts ct ON ct.id = o.contact_id ORDER BY o.shop, o.external_id",
            )?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let items: String = r.get(9)?;
                let tracking: String = r.get(10)?;
                emit(Record::Order(OrderRecord {
                    shop: r.get(0)?,
                    id: r.get(1)?,
                    customer: r.get(2)?,
                    number: r.get(3)?,
                    at: from_ms(r.get(4)?),
                    currency: r.get(5)?,
                    total: r.get(6)?,
                    financial_status: r.get(7)?,
                    fulfillment_status: r.get(8)?,
                    items: parse_stored(&items)?,
                    tracking: parse_stored(&tracking)?,
                }))?;
            }
        }
        Ok(())
    }

    /// The canned-reply library, by shortcut.
    pub fn canned_replies(&self) -> Result<Vec<CannedReplyRecord>> {
        let mut replies = Vec::new();
        let mut stmt = self.conn.prepare_cached("SELECT id, shortcut, title, actions FROM canned_replies ORDER BY shortcut")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            let actions: String = r.get(3)?;
            let variants = self
                .conn
                .prepare_cached(
                    "SELECT language, channel, body FROM canned_reply_variants WHERE reply_id = ?1 ORDER BY language, channel",
                )?
                .query_map([id], |v| {
                    let language: String = v.get(0)?;
                    let channel: String = v.get(1)?;
                    Ok((language, channel, v.get::<_, String>(2)?))
                })?
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .map(|(language, channel, body)| {
                    Ok(CannedVariant {
                        language: Some(language).filter(|l| !l.is_empty()),
                        channel: if channel.is_empty() { None } else { Some(channel.parse()?) },
                        body,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            replies.push(CannedReplyRecord {
                shortcut: r.get(1)?,
                title: r.get(2)?,
                variants,
                actions: parse_stored(&actions)?,
            });
        }
        Ok(replies)
    }

    /// The SLA policies, by name.
    pub fn sla_policies(&self) -> Result<Vec<SlaPolicyRecord>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT s.name, s.priority, s.channel, s.first_reply_minutes, s.next_reply_minutes, s.resolution_minutes, b.name,
                    s.tags, s.customer_statuses
             FROM sla_policies s LEFT JOIN business_calendars b ON b.id = s.calendar_id ORDER BY s.name",
        )?;
        let mut rows = stmt.query([])?;
        let mut policies = Vec::new();
        while let Some(r) = rows.next()? {
            let (tags, statuses): (String, String) = (r.get(7)?, r.get(8)?);
            policies.push(SlaPolicyRecord {
                name: r.get(0)?,
                priority: r.get(1)?,
                channel: r.get(2)?,
                first_reply_minutes: r.get(3)?,
                next_reply_minutes: r.get(4)?,
                resolution_minutes: r.get(5)?,
                calendar: r.get(6)?,
                tags: parse_stored(&tags)?,
                customer_statuses: parse_stored(&statuses)?,
            });
        }
        Ok(policies)
    }

    /// The business calendars, by name.
    pub fn calendars(&self) -> Result<Vec<CalendarRecord>> {
        calendars_in(&self.conn)
    }

    fn export_settings(&self, emit: &mut dyn FnMut(Record) -> Result<()>) -> Result<()> {
        let mut stmt = self.conn.prepare("SELECT name, color FROM tags ORDER BY name")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            emit(Record::Tag(TagRecord { name: r.get(0)?, color: r.get(1)? }))?;
        }
        for calendar in self.calendars()? {
            emit(Record::Calendar(calendar))?;
        }
        for policy in self.sla_policies()? {
            emit(Record::SlaPolicy(policy))?;
        }
        for rule in self.rules()? {
            emit(Record::Rule(rule))?;
        }
        for reply in self.canned_replies()? {
            emit(Record::CannedReply(reply))?;
        }
        Ok(())
    }

    fn contact_record(&self, id: i64) -> Result<ContactRecord> {
        let mut record = self.conn.prepare_cached(
            "SELECT uid, name, email, phone, language, time_zone, status, created_at, notes FROM contacts WHERE id = ?1",
        )?
        .query_row([id], |r| {
            Ok(ContactRecord {
                id: r.get(0)?,
                name: r.get(1)?,
                email: r.get(2)?,
                phone: r.get(3)?,
                language: r.get(4)?,
                time_zone: r.get(5)?,
                status: r.get(6)?,
                notes: r.get(8)?,
                tags: Vec::new(),
                identities: Vec::new(),
                created_at: Some(from_ms(r.get(7)?)),
            })
        })?;
        record.identities = self
            .conn
            .prepare_cached(
                "SELECT a.key, i.handle, i.display_name FROM identities i JOIN accounts a ON a.id = i.account_id
                 WHERE i.contact_id = ?1 ORDER BY a.key, i.handle",
            )?
            .query_map([id], |r| Ok(IdentityRecord { account: r.get(0)?, handle: r.get(1)?, name: r.get(2)? }))?
            .collect::<Result<_, _>>()?;
        record.tags = self
            .conn
            .prepare_cached(
                "SELECT t.name FROM contact_tags x JOIN tags t ON t.id = x.tag_id WHERE x.contact_id = ?1 ORDER BY t.name",
            )?
            .query_map([id], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(record)
    }

    fn conversation_record(&self, id: i64) -> Result<ConversationRecord> {
        let mut record = self
            .conn
            .prepare_cached(
                "SELECT a.key, c.external_id, ct.uid, c.subject, c.status, c.priority, c.assignee, c.public, c.unread,
                        c.created_at
                 FROM conversations c JOIN accounts a ON a.id = c.account_id LEFT JOIN contacts ct ON ct.id = c.contact_id
                 WHERE c.id = ?1",
            )?
            .query_row([id], |r| {
                Ok(ConversationRecord {
                    account: r.get(0)?,
                    id: r.get(1)?,
                    customer: r.get(2)?,
                    subject: r.get(3)?,
                    status: r.get(4)?,
                    priority: r.get(5)?,
                    assignee: r.get(6)?,
                    public: r.get(7)?,
                    unread: r.get(8)?,
                    tags: Vec::new(),
                    created_at: Some(from_ms(r.get(9)?)),
                })
            })?;
        record.tags = self.conversation_tags(id)?;
        Ok(record)
    }

    /// A readable transcript of the conversations in `scope`.
    pub fn export_transcript(&self, scope: ExportScope, out: &mut dyn Write) -> Result<()> {
        let ids: Vec<i64> = match scope {
            ExportScope::Conversation(id) => vec![id],
            ExportScope::CannedReplies => return Err(Error::invalid("a transcript is of conversations, not of canned replies")),
            ExportScope::All => self
                .conn
                .prepare("SELECT id FROM conversations ORDER BY last_message_at, id")?
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?,
        };
        for (n, id) in ids.into_iter().enumerate() {
            if n > 0 {
                writeln!(out)?;
            }
            write_thread(&self.thread(id, usize::MAX)?, out)?;
        }
        out.flush()?;
        Ok(())
    }
}

/// Writes a thread as plain text, one line a message. Customer text is made printable.
pub fn write_thread(thread: &Thread, out: &mut dyn Write) -> Result<()> {
    let c = &thread.conversation;
    writeln!(
        out,
        "Conversation #{} · {} · {} · {}{}",
        c.id,
        c.channel,
        printable(c.customer.as_deref().unwrap_or("unknown customer")),
        c.status,
        c.subject.as_deref().map(|s| format!(" · {}", printable(s))).unwrap_or_default()
    )?;
    if thread.has_older {
        writeln!(out, "    (older messages not shown)")?;
    }
    for m in &thread.messages {
        let who = m.author_name.as_deref().unwrap_or(match m.author_kind {
            AuthorKind::Customer => "Customer",
            AuthorKind::Agent => "Agent",
            AuthorKind::Bot => "Bot",
            AuthorKind::System => "System",
        });
        let at = m.at.strftime("%Y-%m-%d %H:%M UTC");
        let text = printable(&m.text).replace('\n', "\n    ");
        writeln!(out, "[{at}] {} ({}): {text}", printable(who), m.author_kind)?;
        for a in &m.attachments {
            let name = a.name.as_deref().or(a.url.as_deref()).unwrap_or("unnamed");
            writeln!(out, "    [{}: {}]", a.kind, printable(name))?;
        }
    }
    Ok(())
}

/// The business calendars, by name (on any connection: the rules read them inside a write).
pub(crate) fn calendars_in(conn: &Connection) -> Result<Vec<CalendarRecord>> {
    let mut stmt = conn.prepare_cached("SELECT name, time_zone, hours, holidays FROM business_calendars ORDER BY name")?;
    let mut rows = stmt.query([])?;
    let mut calendars = Vec::new();
    while let Some(r) = rows.next()? {
        let hours: String = r.get(2)?;
        let holidays: String = r.get(3)?;
        calendars.push(CalendarRecord { name: r.get(0)?, time_zone: r.get(1)?, hours: parse_stored(&hours)?, holidays: parse_stored(&holidays)? });
    }
    Ok(calendars)
}

pub(crate) fn parse_stored<T: serde::de::DeserializeOwned>(text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| Error::invalid(format!("a stored setting is malformed: {e}")))
}
