//! The outbox: a reply is stored, with its idempotency key and a `queued` message in the thread,
//! before any network call. A sender then takes due replies one at a time:
//!
//! `queued` → `begin_send` → `sending` → `mark_sent` (platform id) → `sent`
//!                                     → `retry_later` (passing failure) → `queued`
//!                                     → `mark_failed` (permanent) → `failed` → `retry` → `queued`
//!
//! `sending` is committed before the network call, so after a crash `in_flight` lists exactly the
//! replies whose fate is unknown: the sender must ask the platform before trying them again.
//! Replies of one conversation go out in the order they were written.

use crate::model::time::{from_ms, now_ms, to_ms};
use super::ingest::refresh_conversation;
use super::Store;
use crate::error::{Error, Result};
use crate::model::{AuthorKind, Channel, DeliveryState, Direction, EmailReply, OutboxItem, OutboxKind, OutboxState, Template};
use crate::reply_rules::{self, Window};
use rusqlite::{params, OptionalExtension, Transaction};

const ITEM_SELECT: &str = "SELECT id, conversation_id, message_id, idempotency_key, body, state, attempts, last_error,
                                  external_id, next_attempt_at, updated_at, template, kind, target FROM outbox";

fn item(r: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxItem> {
    Ok(OutboxItem {
        id: r.get(0)?,
        conversation_id: r.get(1)?,
        message_id: r.get(2)?,
        idempotency_key: r.get(3)?,
        text: r.get(4)?,
        state: r.get(5)?,
        attempts: r.get(6)?,
        last_error: r.get(7)?,
        external_id: r.get(8)?,
        next_attempt_at: from_ms(r.get(9)?),
        updated_at: from_ms(r.get(10)?),
        template: r.get::<_, Option<String>>(11)?.and_then(|t| serde_json::from_str(&t).ok()),
        kind: r.get(12)?,
        target: r.get(13)?,
    })
}

pub(super) fn load(tx: &Transaction<'_>, id: i64) -> Result<OutboxItem> {
    tx.prepare_cached(&format!("{ITEM_SELECT} WHERE id = ?1"))?
        .query_row([id], item)
        .optional()?
        .ok_or_else(|| Error::Missing { what: "reply", id: id.to_string() })
}

/// Moves `id` from `from` to `to` with the given extra assignments, or says why it cannot.
fn transition(tx: &Transaction<'_>, id: i64, from: &[OutboxState], set: &str, args: &[&dyn rusqlite::ToSql]) -> Result<OutboxItem> {
    let current = load(tx, id)?;
    if !from.contains(&current.state) {
        return Err(Error::invalid(format!("reply {id} is {}, not {}", current.state, from.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" or "))));
    }
    let mut all: Vec<&dyn rusqlite::ToSql> = vec![&id];
    all.extend_from_slice(args);
    tx.execute(&format!("UPDATE outbox SET {set}, updated_at = {} WHERE id = ?1", now_ms()), all.as_slice())?;
    load(tx, id)
}

fn set_delivery(tx: &Transaction<'_>, message: Option<i64>, state: DeliveryState) -> Result<()> {
    if let Some(m) = message {
        tx.prepare_cached("UPDATE messages SET delivery = ?2 WHERE id = ?1 AND delivery IS NOT ?2")?.execute(params![m, state])?;
    }
    Ok(())
}

/// What an outbox item is, besides its text: its kind and the public message it is about.
#[derive(Clone, Copy)]
pub(super) struct Action<'a> {
    pub kind: OutboxKind,
    pub target: Option<&'a str>,
}

/// Whose name automated messages carry.
const AUTOMATED: &str = "Switchboard";

const REPLY: Action<'static> = Action { kind: OutboxKind::Reply, target: None };

/// When the public comment a private reply answers was written (the platform's id).
fn comment_time(conn: &rusqlite::Connection, comment: &str) -> Result<jiff::Timestamp> {
    conn.prepare_cached(
        "SELECT m.sent_at FROM accounts a CROSS JOIN messages m
         WHERE a.channel IN ('facebook', 'instagram') AND m.account_id = a.id AND m.external_id = ?1 LIMIT 1",
    )?
    .query_row([comment], |r| r.get(0))
    .optional()?
    .map(from_ms)
    .ok_or_else(|| Error::Missing { what: "comment", id: comment.to_owned() })
}

/// The conversation's account, and how the channel lets `text` go out now (see `reply_rules`).
fn reply_check(conn: &rusqlite::Connection, conversation_id: i64, text: &str, template: bool, action: Action<'_>, now: jiff::Timestamp) -> Result<(i64, Window)> {
    let (account, channel, last_inbound, public): (i64, Channel, Option<i64>, bool) = conn
        .prepare_cached("SELECT account_id, channel, last_inbound_at, public FROM conversations WHERE id = ?1")?
        .query_row([conversation_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .optional()?
        .ok_or_else(|| Error::Missing { what: "conversation", id: conversation_id.to_string() })?;
    if public && !template && action.kind == OutboxKind::Reply {
        if let Some(kind) = crate::privacy::kinds(text).first() {
            return Err(Error::ReplyNotAllowed(format!(
                "this thread is public and the reply contains {}: reply privately (a direct message or email) instead",
                kind.words()
            )));
        }
    }
    let window = match (action.kind, action.target) {
        (OutboxKind::Hide, _) => Ok(Window::Open),
        (OutboxKind::PrivateReply, Some(comment)) => reply_rules::check_private_reply(channel, text, comment_time(conn, comment)?, now),
        (OutboxKind::PrivateReply, None) => Err("a private reply needs the comment it answers".to_owned()),
        (OutboxKind::Reply, _) if public && !template => reply_rules::check_public(channel, text),
        (OutboxKind::Reply, _) => reply_rules::check(channel, text, last_inbound.map(from_ms), now, template),
    }
    .map_err(Error::ReplyNotAllowed)?;
    Ok((account, window))
}

/// The item written under this idempotency key, if any.
pub(super) fn by_key(tx: &Transaction<'_>, key: &str) -> Result<Option<OutboxItem>> {
    match tx.prepare_cached("SELECT id FROM outbox WHERE idempotency_key = ?1")?.query_row([key], |r| r.get::<_, i64>(0)).optional()? {
        Some(id) => Ok(Some(load(tx, id)?)),
        None => Ok(None),
    }
}

/// Writes an item to the outbox in `tx`, after checking it may go (see `enqueue`). A reply or a
/// private reply shows in the thread as a `queued` message; a hide request does not.
#[allow(clippy::too_many_arguments)]
pub(super) fn enqueue_in(
    tx: &Transaction<'_>,
    conversation_id: i64,
    text: &str,
    template: Option<&Template>,
    author: Option<&str>,
    key: &str,
    kind: AuthorKind,
    action: Action<'_>,
) -> Result<OutboxItem> {
    if let Some(item) = by_key(tx, key)? {
        return Ok(item);
    }
    let (account, _) = reply_check(tx, conversation_id, text, template.is_some(), action, jiff::Timestamp::now())?;
    // A public reply answers one post: on X the customer's newest, on Facebook and Instagram the
    // comment that starts the thread (replies to replies join its thread there).
    let target: Option<String> = match action.target {
        Some(t) => Some(t.to_owned()),
        None if action.kind == OutboxKind::Reply => tx
            .prepare_cached(
                "SELECT CASE c.channel WHEN 'x' THEN (SELECT m.external_id FROM messages m WHERE m.conversation_id = c.id
                                                        AND m.direction = 'in' ORDER BY m.sent_at DESC, m.id DESC LIMIT 1)
                                       ELSE c.external_id END
                 FROM conversations c WHERE c.id = ?1 AND c.public = 1",
            )?
            .query_row([conversation_id], |r| r.get(0))
            .optional()?
            .flatten(),
        None => None,
    };
    let id = insert(tx, &New { conversation_id, account, key, text, template, author, kind, action: Action { kind: action.kind, target: target.as_deref() }, at: now_ms() })?;
    load(tx, id)
}

/// A new outbox item and, unless it is a hide request, the thread's message that shows it.
struct New<'a> {
    conversation_id: i64,
    account: i64,
    key: &'a str,
    text: &'a str,
    template: Option<&'a Template>,
    author: Option<&'a str>,
    kind: AuthorKind,
    action: Action<'a>,
    at: i64,
}

fn insert(tx: &Transaction<'_>, new: &New<'_>) -> Result<i64> {
    let message: Option<i64> = if new.action.kind == OutboxKind::Hide {
        None
    } else {
        // A local id until the platform gives its own; "local:" never collides with those.
        Some(
            tx.prepare_cached(
                "INSERT INTO messages (conversation_id, account_id, external_id, direction, author_kind, author_name,
                                       body, sent_at, delivery)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id",
            )?
            .query_row(
                params![new.conversation_id, new.account, format!("local:{}", new.key), Direction::Out, new.kind, new.author, new.text, new.at, DeliveryState::Queued],
                |r| r.get(0),
            )?,
        )
    };
    let id: i64 = tx
        .prepare_cached(
            "INSERT INTO outbox (conversation_id, idempotency_key, body, state, created_at, updated_at, message_id, next_attempt_at, template, kind, target)
             VALUES (?1, ?2, ?3, 'queued', ?4, ?4, ?5, ?4, ?6, ?7, ?8) RETURNING id",
        )?
        .query_row(
            params![new.conversation_id, new.key, new.text, new.at, message, new.template.map(|t| serde_json::to_string(t).expect("json")), new.action.kind, new.action.target],
            |r| r.get(0),
        )?;
    if let Some(message) = message {
        refresh_conversation(tx, new.conversation_id)?;
        super::ingest::index_messages(tx, &[message])?;
    }
    Ok(id)
}

/// The platform took the reply as `external_id`: the thread's message takes that id, or, if a
/// sync already brought the platform's copy, that copy stays and the local one goes.
fn link_sent(tx: &Transaction<'_>, item: &OutboxItem, external_id: &str) -> Result<()> {
    let Some(local) = item.message_id else { return Ok(()) };
    let account: i64 = tx.prepare_cached("SELECT account_id FROM messages WHERE id = ?1")?.query_row([local], |r| r.get(0))?;
    let synced: Option<i64> = tx
        .prepare_cached("SELECT id FROM messages WHERE account_id = ?1 AND external_id = ?2")?
        .query_row(params![account, external_id], |r| r.get(0))
        .optional()?;
    match synced {
        Some(copy) if copy != local => {
            tx.prepare_cached("UPDATE outbox SET message_id = ?2 WHERE id = ?1")?.execute(params![item.id, copy])?;
            // The copy keeps the name of the agent who wrote the reply.
            tx.prepare_cached("UPDATE messages SET author_name = (SELECT author_name FROM messages WHERE id = ?2) WHERE id = ?1 AND ?2 IN (SELECT id FROM messages WHERE author_name IS NOT NULL)")?
                .execute(params![copy, local])?;
            tx.prepare_cached("DELETE FROM messages WHERE id = ?1")?.execute([local])?;
        }
        _ => {
            tx.prepare_cached("UPDATE messages SET external_id = ?2, delivery = 'sent' WHERE id = ?1")?.execute(params![local, external_id])?;
        }
    }
    refresh_conversation(tx, item.conversation_id)
}

/// A reply as the team's hub says it stands (team mode), in `conversation_id` of `account`:
/// written if new, otherwise moved to the record's state, whatever it was. Marked as handed to the
/// hub. (On a desk, a reply the agent wrote is already there by its key; on a hub's replica, it
/// arrives first here.)
pub(in crate::store) fn apply_record(tx: &Transaction<'_>, account: i64, conversation_id: i64, r: &crate::interchange::ReplyRecord) -> Result<()> {
    if r.key.trim().is_empty() {
        return Err(Error::invalid("a reply's key is empty"));
    }
    let id = match by_key(tx, &r.key)? {
        Some(item) if item.conversation_id != conversation_id => {
            return Err(Error::invalid("a reply's key names a reply in another conversation"));
        }
        Some(item) => item.id,
        None => {
            let action = Action { kind: r.kind, target: r.target.as_deref() };
            let kind = if r.author.as_deref() == Some(AUTOMATED) { AuthorKind::Bot } else { AuthorKind::Agent };
            let at = to_ms(r.at);
            insert(tx, &New { conversation_id, account, key: &r.key, text: &r.text, template: r.template.as_ref(), author: r.author.as_deref(), kind, action, at })?
        }
    };
    let next = to_ms(r.retry_at.unwrap_or(r.at));
    tx.prepare_cached(
        "UPDATE outbox SET state = ?2, attempts = ?3, last_error = ?4, external_id = ?5, next_attempt_at = ?6,
                           handed_at = COALESCE(handed_at, ?7), updated_at = ?7
         WHERE id = ?1",
    )?
    .execute(params![id, r.state, r.attempts, r.error, r.external_id, next, to_ms(r.at)])?;
    let item = load(tx, id)?;
    match (r.state, &r.external_id) {
        (OutboxState::Sent, Some(external_id)) => link_sent(tx, &item, external_id)?,
        (OutboxState::Sent, None) => return Err(Error::invalid("a sent reply without the platform's id")),
        (OutboxState::Failed, _) => set_delivery(tx, item.message_id, DeliveryState::Failed)?,
        (OutboxState::Queued | OutboxState::Sending, _) => set_delivery(tx, item.message_id, DeliveryState::Queued)?,
    }
    refresh_conversation(tx, conversation_id)
}

impl Store {
    /// How a reply of `text` (or a template, with `template`) in this conversation may go out
    /// now, or why it may not.
    pub fn check_reply(&self, conversation_id: i64, text: &str, template: bool, now: jiff::Timestamp) -> Result<Window> {
        Ok(reply_check(&self.conn, conversation_id, text, template, REPLY, now)?.1)
    }

    /// How an outgoing item of this kind, about `target`, may go out now, or why it may not (a
    /// team's hub checks an agent's reply before it takes it).
    pub fn check_outgoing(&self, conversation_id: i64, text: &str, template: bool, kind: OutboxKind, target: Option<&str>, now: jiff::Timestamp) -> Result<Window> {
        Ok(reply_check(&self.conn, conversation_id, text, template, Action { kind, target }, now)?.1)
    }

    /// The outbox item written under this idempotency key, if any.
    pub fn reply_by_key(&self, key: &str) -> Result<Option<OutboxItem>> {
        Ok(self.conn.prepare_cached(&format!("{ITEM_SELECT} WHERE idempotency_key = ?1"))?.query_row([key], item).optional()?)
    }

    /// How a queued item may go out now, or why it may not (checked again just before sending:
    /// it may have been queued offline, and windows close).
    pub fn check_item(&self, item: &OutboxItem, now: jiff::Timestamp) -> Result<Window> {
        let action = Action { kind: item.kind, target: item.target.as_deref() };
        Ok(reply_check(&self.conn, item.conversation_id, &item.text, item.template.is_some(), action, now)?.1)
    }

    /// Writes an approved template reply to the outbox (WhatsApp takes one at any time, also
    /// after its 24-hour window). The thread shows it by its id until the platform's copy arrives.
    pub fn enqueue_template(&mut self, conversation_id: i64, template: &Template, author: Option<&str>, idempotency_key: Option<&str>) -> Result<OutboxItem> {
        if template.id.trim().is_empty() {
            return Err(Error::invalid("a template needs its id"));
        }
        let variables: Vec<String> = template.variables.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        let shown = if variables.is_empty() { format!("Template {}", template.id) } else { format!("Template {} ({})", template.id, variables.join(", ")) };
        self.enqueue(conversation_id, &shown, Some(template), author, idempotency_key, AuthorKind::Agent, REPLY)
    }

    /// Writes a reply to the outbox and shows it in the thread as `queued`. With the same
    /// `idempotency_key` twice (a double click, a retried request) the first reply is returned and
    /// nothing new is written.
    pub fn enqueue_reply(&mut self, conversation_id: i64, text: &str, author: Option<&str>, idempotency_key: Option<&str>) -> Result<OutboxItem> {
        if text.trim().is_empty() {
            return Err(Error::invalid("a reply needs text"));
        }
        self.enqueue(conversation_id, text, None, author, idempotency_key, AuthorKind::Agent, REPLY)
    }

    /// Writes an automated message (an acknowledgement) to the outbox: shown as the bot's, so it
    /// is not an agent's answer and stops no SLA clock.
    pub fn enqueue_automated(&mut self, conversation_id: i64, text: &str, idempotency_key: &str) -> Result<OutboxItem> {
        self.enqueue(conversation_id, text, None, Some(AUTOMATED), Some(idempotency_key), AuthorKind::Bot, REPLY)
    }

    fn enqueue(
        &mut self,
        conversation_id: i64,
        text: &str,
        template: Option<&Template>,
        author: Option<&str>,
        idempotency_key: Option<&str>,
        kind: AuthorKind,
        action: Action<'_>,
    ) -> Result<OutboxItem> {
        let key = idempotency_key.map(str::to_owned).unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        self.transaction(|tx| enqueue_in(tx, conversation_id, text, template, author, &key, kind, action))
    }

    /// Queued replies whose time has come, oldest first, at most one per conversation (the next
    /// one of a conversation waits until the earlier one is settled).
    pub fn due_replies(&self, now: jiff::Timestamp, limit: usize) -> Result<Vec<OutboxItem>> {
        self.due(None, now, limit)
    }

    /// `due_replies` of one account's conversations.
    pub fn due_replies_for(&self, account_id: i64, now: jiff::Timestamp, limit: usize) -> Result<Vec<OutboxItem>> {
        self.due(Some(account_id), now, limit)
    }

    fn due(&self, account: Option<i64>, now: jiff::Timestamp, limit: usize) -> Result<Vec<OutboxItem>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "{ITEM_SELECT} o WHERE o.state = 'queued' AND o.next_attempt_at <= ?1
               AND (?3 IS NULL OR o.conversation_id IN (SELECT id FROM conversations WHERE account_id = ?3))
               AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.conversation_id = o.conversation_id AND e.id < o.id
                                AND e.state IN ('queued', 'sending'))
             ORDER BY o.id LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![to_ms(now), limit as i64, account], item)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Replies (team mode) the team's hub has not taken yet, oldest first: the desk hands them
    /// over in this order.
    pub fn replies_for_hub(&self, limit: usize) -> Result<Vec<OutboxItem>> {
        let mut stmt = self.conn.prepare_cached(&format!("{ITEM_SELECT} WHERE state = 'queued' AND handed_at IS NULL ORDER BY id LIMIT ?1"))?;
        let rows = stmt.query_map([limit as i64], item)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The team's hub took the reply (team mode): from now on the log says where it is.
    pub fn handed_to_hub(&mut self, id: i64) -> Result<()> {
        self.transaction(|tx| {
            tx.prepare_cached("UPDATE outbox SET handed_at = COALESCE(handed_at, ?2) WHERE id = ?1")?.execute(params![id, now_ms()])?;
            Ok(())
        })
    }

    /// Replies handed to a platform whose answer never arrived (the app stopped in between).
    pub fn in_flight_replies(&self) -> Result<Vec<OutboxItem>> {
        let mut stmt = self.conn.prepare_cached(&format!("{ITEM_SELECT} WHERE state = 'sending' ORDER BY id"))?;
        let rows = stmt.query_map([], item)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Where a reply goes: the conversation's account and its id on the platform.
    pub fn conversation_address(&self, conversation_id: i64) -> Result<(i64, String)> {
        self.conn
            .prepare_cached("SELECT account_id, external_id FROM conversations WHERE id = ?1")?
            .query_row([conversation_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?
            .ok_or_else(|| Error::Missing { what: "conversation", id: conversation_id.to_string() })
    }

    /// Whom an email reply in this conversation goes to, and the headers that thread it in the
    /// customer's mail client: In-Reply-To the latest customer email, References its References
    /// plus its Message-ID (RFC 5322 3.6.4).
    pub fn email_reply(&self, conversation_id: i64) -> Result<EmailReply> {
        let row: Option<(Option<String>, Option<String>, Option<String>, String, Option<String>)> = self
            .conn
            .prepare_cached(
                "SELECT m.author_handle, m.author_name, e.header_id, e.refs, COALESCE(e.subject, c.subject)
                 FROM messages m JOIN conversations c ON c.id = m.conversation_id
                 LEFT JOIN email_messages e ON e.message_id = m.id
                 WHERE m.conversation_id = ?1 AND m.direction = 'in'
                 ORDER BY m.sent_at DESC, m.id DESC LIMIT 1",
            )?
            .query_row([conversation_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get::<_, Option<String>>(3)?.unwrap_or_default(), r.get(4)?)))
            .optional()?;
        let Some((Some(address), name, header_id, refs, subject)) = row else {
            return Err(Error::ReplyNotAllowed(
                "this conversation has no customer email to answer".into(),
            ));
        };
        let mut references: Vec<String> = serde_json::from_str(&refs).unwrap_or_default();
        references.extend(header_id.clone());
        // Long threads: the first (the root) and the latest ids are what clients thread by.
        if references.len() > 20 {
            references.drain(1..references.len() - 19);
        }
        let subject = match subject.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            // Already "Re: …": kept, so the subject does not grow with every answer.
            Some(s) if s.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("re:")) => s.to_owned(),
            Some(s) => format!("Re: {s}"),
            None => "Re: your message".to_owned(),
        };
        Ok(EmailReply {
            to_address: address,
            to_name: name,
            subject,
            in_reply_to: header_id,
            references,
        })
    }

    /// Every reply, newest first.
    pub fn outbox(&self, limit: usize) -> Result<Vec<OutboxItem>> {
        let mut stmt = self.conn.prepare_cached(&format!("{ITEM_SELECT} ORDER BY id DESC LIMIT ?1"))?;
        let rows = stmt.query_map([limit as i64], item)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Records, before the network call, that `id` is being handed to the platform.
    pub fn begin_send(&mut self, id: i64) -> Result<OutboxItem> {
        self.transaction(|tx| transition(tx, id, &[OutboxState::Queued], "state = 'sending', attempts = attempts + 1", &[]))
    }

    /// The platform accepted the reply as `external_id`. The thread's message takes that id; if
    /// a sync already brought the platform's copy, that copy stays and the local one goes.
    pub fn mark_sent(&mut self, id: i64, external_id: &str) -> Result<OutboxItem> {
        self.transaction(|tx| {
            let before = transition(tx, id, &[OutboxState::Sending], "state = 'sent', external_id = ?2, last_error = NULL", &[&external_id])?;
            link_sent(tx, &before, external_id)?;
            load(tx, id)
        })
    }

    /// A passing failure (timeout, 5xx, rate limit): try again at `at`.
    pub fn retry_later(&mut self, id: i64, error: &str, at: jiff::Timestamp) -> Result<OutboxItem> {
        self.transaction(|tx| {
            transition(tx, id, &[OutboxState::Sending], "state = 'queued', last_error = ?2, next_attempt_at = ?3", &[&error, &to_ms(at)])
        })
    }

    /// The platform refused the reply for good; the agent sees why.
    pub fn mark_failed(&mut self, id: i64, error: &str) -> Result<OutboxItem> {
        self.transaction(|tx| {
            let item = transition(tx, id, &[OutboxState::Sending, OutboxState::Queued], "state = 'failed', last_error = ?2", &[&error])?;
            set_delivery(tx, item.message_id, DeliveryState::Failed)?;
            // A comment the platform would not hide is shown as it is: visible.
            if item.kind == OutboxKind::Hide {
                tx.prepare_cached("UPDATE messages SET hidden_at = NULL, hidden_reason = NULL WHERE conversation_id = ?1 AND external_id = ?2")?
                    .execute(params![item.conversation_id, item.target])?;
            }
            refresh_conversation(tx, item.conversation_id)?;
            Ok(item)
        })
    }

    /// The agent asks to try a failed reply again.
    /// The reply a thread message shows (the newest, if several ever did).
    pub fn reply_for_message(&self, message: i64) -> Result<Option<i64>> {
        Ok(self
            .conn
            .prepare_cached("SELECT id FROM outbox WHERE message_id = ?1 ORDER BY id DESC LIMIT 1")?
            .query_row([message], |r| r.get(0))
            .optional()?)
    }

    pub fn retry_reply(&mut self, id: i64) -> Result<OutboxItem> {
        self.transaction(|tx| {
            // In a team the hub is asked again (handed over again).
            let item = transition(tx, id, &[OutboxState::Failed], "state = 'queued', next_attempt_at = ?2, handed_at = NULL", &[&now_ms()])?;
            set_delivery(tx, item.message_id, DeliveryState::Queued)?;
            if item.kind == OutboxKind::Hide {
                tx.prepare_cached("UPDATE messages SET hidden_at = ?3, hidden_reason = ?4 WHERE conversation_id = ?1 AND external_id = ?2")?
                    .execute(params![item.conversation_id, item.target, now_ms(), item.text])?;
            }
            refresh_conversation(tx, item.conversation_id)?;
            Ok(item)
        })
    }
}
