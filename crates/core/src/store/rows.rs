//! Rows as the views read them: the column lists and the mappers shared by the inbox, the thread,
//! the customer panel, the board and export.

use crate::error::{Error, Result};
use crate::interchange::*;
use crate::model::time::from_ms;
use crate::model::*;
use rusqlite::{params, Connection, OptionalExtension};

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
           c.assignee, c.unread, c.public, c.last_message_at, c.waiting_since, c.sensitive,
           EXISTS (SELECT 1 FROM drafts d WHERE d.conversation_id = c.id)
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
pub(crate) const INBOX_FLAGGED_SELECT: &str = inbox_select!(" INDEXED BY conversations_flagged");

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
        draft: r.get(15)?,
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
pub(crate) const MESSAGE_COLUMNS: &str =
    "m.id, m.external_id, c.channel, m.direction, m.author_kind, m.author_name, m.body, m.sent_at, m.delivery, m.conversation_id, m.hidden_reason";

pub(crate) fn message_view(conn: &Connection, r: &rusqlite::Row<'_>) -> Result<MessageView> {
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
