//! Public threads: answering a comment in private, and hiding a comment (spam or abuse only).
//! Both go through the outbox, so they reach the platform exactly once; nothing here deletes
//! customer content.

use super::outbox::{by_key, enqueue_in, load, Action};
use crate::model::time::{from_ms, now_ms};
use super::Store;
use crate::error::{Error, Result};
use crate::model::{AuthorKind, Channel, HideReason, InboxFilter, OutboxItem, OutboxKind};
use rusqlite::{params, OptionalExtension, Transaction};

/// The comment in a public thread: the given message, else the customer's newest.
struct Comment {
    external_id: String,
    handle: Option<String>,
    name: Option<String>,
}

fn comment(tx: &Transaction<'_>, conversation: i64, message: Option<i64>) -> Result<Comment> {
    tx.prepare_cached(
        "SELECT external_id, author_handle, author_name FROM messages
         WHERE conversation_id = ?1 AND direction = 'in' AND (?2 IS NULL OR id = ?2)
         ORDER BY sent_at DESC, id DESC LIMIT 1",
    )?
    .query_row(params![conversation, message], |r| Ok(Comment { external_id: r.get(0)?, handle: r.get(1)?, name: r.get(2)? }))
    .optional()?
    .ok_or_else(|| Error::ReplyNotAllowed("there is no customer comment in this thread to answer".into()))
}

/// What a status update did in one conversation of an incident.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BroadcastResult {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub conversation: i64,
    pub channel: Channel,
    pub customer: Option<String>,
    /// How it goes: `public` (a public reply), `private` (a private reply or direct message to
    /// a public commenter) or `direct` (a reply in a private conversation); none when refused.
    pub route: Option<String>,
    /// The outbox item that carries it.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub reply: Option<i64>,
    /// Why it could not be sent here, in words for the agent.
    pub problem: Option<String>,
}

impl Store {
    /// Sends one status update to every conversation of an incident (tagged `tag`, not solved):
    /// in a public thread as a public reply, else (too long for a public post, say) privately;
    /// in a private conversation as a reply. Each is checked against its channel's rules and
    /// queued in the outbox under `key` and the conversation, so sending the same update again
    /// queues nothing twice. The agent's signature is added per channel.
    pub fn broadcast(&mut self, tag: &str, text: &str, agent: &str, key: &str) -> Result<Vec<BroadcastResult>> {
        if text.trim().is_empty() {
            return Err(Error::invalid("the update has no text"));
        }
        let rows = self.inbox(&InboxFilter { tag: Some(tag.to_owned()), limit: 10_000, ..Default::default() })?;
        let mut results = Vec::new();
        for row in rows.into_iter().filter(|r| r.status != crate::model::ConversationStatus::Solved) {
            let signed = crate::templates::signed(text, self.signature(row.channel, agent)?.as_deref());
            let item_key = format!("{key}:{}", row.id);
            let outcome = match self.enqueue_reply(row.id, &signed, Some(agent), Some(&item_key)) {
                Ok(item) => Ok(item),
                Err(Error::ReplyNotAllowed(public)) if row.public => {
                    self.reply_privately(row.id, None, &signed, Some(agent), Some(&item_key)).map_err(|private| format!("{public}; in private: {private}"))
                }
                Err(e) => Err(e.to_string()),
            };
            // Told by where the item went: sending the update again finds the same item.
            let (route, reply, problem) = match outcome {
                Ok(item) => {
                    let route = if item.conversation_id != row.id { "private" } else if row.public { "public" } else { "direct" };
                    (Some(route.to_owned()), Some(item.id), None)
                }
                Err(problem) => (None, None, Some(problem)),
            };
            results.push(BroadcastResult { conversation: row.id, channel: row.channel, customer: row.customer, route, reply, problem });
        }
        Ok(results)
    }

    /// Answers a public thread's comment (`comment`, else the customer's newest) in private: a
    /// Messenger or Instagram private reply to the comment (one per comment, within 7 days), or
    /// an X direct message. The private conversation is opened (or continued) on the Page's
    /// inbox or the X account's DMs, with the same customer, and the reply queued there.
    pub fn reply_privately(
        &mut self,
        conversation_id: i64,
        comment_id: Option<i64>,
        text: &str,
        author: Option<&str>,
        idempotency_key: Option<&str>,
    ) -> Result<OutboxItem> {
        if text.trim().is_empty() {
            return Err(Error::invalid("a reply needs text"));
        }
        let key = idempotency_key.map(str::to_owned).unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        self.transaction(|tx| {
            if let Some(item) = by_key(tx, &key)? {
                return Ok(item);
            }
            let (channel, public, contact, page): (Channel, bool, Option<i64>, Option<String>) = tx
                .prepare_cached(
                    "SELECT c.channel, c.public, c.contact_id, json_extract(a.config, '$.page_id')
                     FROM conversations c JOIN accounts a ON a.id = c.account_id WHERE c.id = ?1",
                )?
                .query_row([conversation_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                .optional()?
                .ok_or_else(|| Error::Missing { what: "conversation", id: conversation_id.to_string() })?;
            if !public {
                return Err(Error::invalid("this conversation is already private: reply in it"));
            }
            let (private, inbox) = match channel {
                Channel::Facebook => (Channel::Messenger, "the Page's Messenger inbox"),
                Channel::Instagram => (Channel::Instagram, "the Instagram account's messages"),
                Channel::X => (Channel::X, "the X account's direct messages"),
                other => return Err(Error::ReplyNotAllowed(format!("{other} has no private replies"))),
            };
            let comment = comment(tx, conversation_id, comment_id)?;
            let Some(handle) = comment.handle.clone() else {
                return Err(Error::ReplyNotAllowed("the platform did not say who wrote this comment, so it cannot be answered privately".into()));
            };
            let account: (i64, String) = tx
                .prepare_cached(
                    "SELECT id, key FROM accounts
                     WHERE channel = ?1 AND json_extract(config, '$.stream') IS NULL
                       AND (channel = 'x' OR json_extract(config, '$.page_id') IS ?2)
                     ORDER BY id LIMIT 1",
                )?
                .query_row(params![private, page], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?
                .ok_or_else(|| Error::ReplyNotAllowed(format!("connect {inbox} to reply privately")))?;
            // Meta takes one private reply per comment; X's is an ordinary direct message.
            let action = if private == Channel::X {
                Action { kind: OutboxKind::Reply, target: None }
            } else {
                let earlier: Option<(String, i64)> = tx
                    .prepare_cached("SELECT state, updated_at FROM outbox WHERE kind = 'private_reply' AND target = ?1 AND state != 'failed'")?
                    .query_row([&comment.external_id], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?;
                if let Some((state, at)) = earlier {
                    return Err(Error::ReplyNotAllowed(format!(
                        "this comment already has a private reply ({state}, {}); {} allows one per comment. Continue in the private conversation once the customer answers",
                        from_ms(at).strftime("%Y-%m-%d %H:%M UTC"),
                        if private == Channel::Instagram { "Instagram" } else { "Facebook" },
                    )));
                }
                Action { kind: OutboxKind::PrivateReply, target: Some(comment.external_id.as_str()) }
            };
            tx.prepare_cached(
                "INSERT INTO conversations (account_id, external_id, channel, contact_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (account_id, external_id) DO NOTHING",
            )?
            .execute(params![account.0, handle, private, contact, now_ms()])?;
            let private_conversation: i64 = tx
                .prepare_cached("SELECT id FROM conversations WHERE account_id = ?1 AND external_id = ?2")?
                .query_row(params![account.0, handle], |r| r.get(0))?;
            if let Some(contact) = contact {
                tx.prepare_cached("UPDATE conversations SET contact_id = ?2 WHERE id = ?1 AND contact_id IS NULL")?
                    .execute(params![private_conversation, contact])?;
                tx.prepare_cached(
                    "INSERT INTO identities (contact_id, account_id, handle, display_name) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (account_id, handle) DO NOTHING",
                )?
                .execute(params![contact, account.0, handle, comment.name])?;
            }
            enqueue_in(tx, private_conversation, text, None, author, &key, AuthorKind::Agent, action)
        })
    }

    /// Hides a customer's public comment for spam or abuse, with the reason recorded: it stays
    /// in the store and in the thread, marked hidden, and the platform is asked (through the
    /// outbox) to hide it from everyone but its author. Hiding twice returns the first request.
    pub fn hide_comment(&mut self, message_id: i64, reason: HideReason, note: Option<&str>, author: Option<&str>, idempotency_key: Option<&str>) -> Result<OutboxItem> {
        let key = idempotency_key.map(str::to_owned).unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let recorded = match note.map(str::trim).filter(|n| !n.is_empty()) {
            Some(note) => format!("{reason}: {note}"),
            None => reason.to_string(),
        };
        self.transaction(|tx| {
            if let Some(item) = by_key(tx, &key)? {
                return Ok(item);
            }
            let (external, direction_in, conversation, public, channel): (String, bool, i64, bool, Channel) = tx
                .prepare_cached(
                    "SELECT m.external_id, m.direction = 'in', c.id, c.public, c.channel
                     FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE m.id = ?1",
                )?
                .query_row([message_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
                .optional()?
                .ok_or_else(|| Error::Missing { what: "message", id: message_id.to_string() })?;
            if !public || !direction_in {
                return Err(Error::invalid("only a customer's public comment can be hidden"));
            }
            if !matches!(channel, Channel::Facebook | Channel::Instagram) {
                return Err(Error::ReplyNotAllowed(format!("{channel} does not let a business hide a post; report abuse on {channel} itself")));
            }
            let earlier: Option<i64> = tx
                .prepare_cached("SELECT id FROM outbox WHERE kind = 'hide' AND target = ?1 AND state != 'failed' ORDER BY id LIMIT 1")?
                .query_row([&external], |r| r.get(0))
                .optional()?;
            if let Some(id) = earlier {
                return load(tx, id);
            }
            tx.prepare_cached("UPDATE messages SET hidden_at = ?2, hidden_reason = ?3 WHERE id = ?1")?
                .execute(params![message_id, now_ms(), recorded])?;
            enqueue_in(tx, conversation, &recorded, None, author, &key, AuthorKind::Agent, Action { kind: OutboxKind::Hide, target: Some(&external) })
        })
    }
}
