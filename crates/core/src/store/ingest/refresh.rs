//! A conversation's derived fields: its latest message, the customer's last message, and how
//! long the customer has waited, worked out from its messages once per batch.

use crate::error::Result;
use rusqlite::{params, Transaction};

/// Recomputes a conversation's latest message, last customer message and how long the customer
/// has waited (since their first message after the last agent reply that actually went out).
pub(crate) fn refresh_conversation(tx: &Transaction<'_>, id: i64) -> Result<()> {
    refresh(tx, id, 0)
}

/// A message as the refresh sees it: when, and whether it is the customer's, inbound at all, or
/// an agent's answer that went out.
struct MessageFacts {
    id: i64,
    at: i64,
    from_customer: bool,
    inbound: bool,
    answer: bool,
}

/// What a conversation's messages make of it.
#[derive(Debug, Default, PartialEq)]
struct Derived {
    last_id: Option<i64>,
    last_at: Option<i64>,
    inbound_at: Option<i64>,
    /// The customer's first message after the last answer that went out.
    waiting: Option<i64>,
    first_in: Option<i64>,
    /// The first answer at or after the customer's first message.
    first_reply: Option<i64>,
}

fn derive(rows: &[MessageFacts]) -> Derived {
    let latest = |keep: fn(&MessageFacts) -> bool| rows.iter().filter(|r| keep(r)).map(|r| r.at).max();
    let last = rows.iter().max_by_key(|r| (r.at, r.id));
    let last_answer = latest(|r| r.answer);
    let first_in = rows.iter().filter(|r| r.from_customer).map(|r| r.at).min();
    Derived {
        last_id: last.map(|r| r.id),
        last_at: last.map(|r| r.at),
        inbound_at: latest(|r| r.inbound),
        waiting: rows.iter().filter(|r| r.from_customer && last_answer.is_none_or(|a| r.at > a)).map(|r| r.at).min(),
        first_in,
        first_reply: first_in.and_then(|f| rows.iter().filter(|r| r.answer && r.at >= f).map(|r| r.at).min()),
    }
}

/// `refresh_conversation`, also counting `unread` new customer messages.
pub(super) fn refresh(tx: &Transaction<'_>, id: i64, unread: i64) -> Result<()> {
    // The conversation's messages read once (by the thread index) and worked out here: as SQL,
    // each of the six figures scanned them again.
    let mut messages = tx.prepare_cached(
        "SELECT id, sent_at, direction = 'in' AND author_kind = 'customer', direction = 'in',
                direction = 'out' AND author_kind = 'agent' AND delivery NOT IN ('queued', 'failed')
         FROM messages WHERE conversation_id = ?1",
    )?;
    let rows: Vec<MessageFacts> = messages
        .query_map([id], |r| Ok(MessageFacts { id: r.get(0)?, at: r.get(1)?, from_customer: r.get(2)?, inbound: r.get(3)?, answer: r.get(4)? }))?
        .collect::<rusqlite::Result<_>>()?;
    let Derived { last_id, last_at, inbound_at, waiting, first_in, first_reply } = derive(&rows);
    // Three writes, each only when what it sets differs: SQLite rewrites an index whenever an
    // UPDATE names one of its columns, whatever the values. The latest message's time is in the
    // five inbox indexes, and a new conversation already has it when its first message seen is
    // its newest (platforms list newest first); the waiting times are in the clock and board
    // indexes, which a customer's follow-up leaves alone; the rest is in no index.
    tx.prepare_cached("UPDATE conversations SET last_message_at = ?2 WHERE id = ?1 AND last_message_at IS NOT ?2")?
        .execute(params![id, last_at])?;
    // What the clocks start from moved: the kept breach instants are stale (schema 16).
    tx.prepare_cached(
        "UPDATE conversations SET waiting_since = ?2, first_inbound_at = ?3, first_reply_at = ?4, sla_fresh = 0
         WHERE id = ?1 AND (waiting_since, first_inbound_at, first_reply_at) IS NOT (?2, ?3, ?4)",
    )?
    .execute(params![id, waiting, first_in, first_reply])?;
    tx.prepare_cached(
        "UPDATE conversations SET last_message_id = ?2, last_inbound_at = ?3, unread = unread + ?4
         WHERE id = ?1 AND (?4 != 0 OR (last_message_id, last_inbound_at) IS NOT (?2, ?3))",
    )?
    .execute(params![id, last_id, inbound_at, unread])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn customer(id: i64, at: i64) -> MessageFacts {
        MessageFacts { id, at, from_customer: true, inbound: true, answer: false }
    }

    fn answer(id: i64, at: i64) -> MessageFacts {
        MessageFacts { id, at, from_customer: false, inbound: false, answer: true }
    }

    #[test]
    fn the_clocks_start_from_the_customers_first_message_after_the_last_answer() {
        assert_eq!(derive(&[]), Derived::default());
        // Customer at 10 and 20, answered at 30, then writes at 40 and 50; a bot's message
        // (inbound, not the customer's) at 60, and a reply still queued (no answer) at 70.
        let bot = MessageFacts { id: 6, at: 60, from_customer: false, inbound: true, answer: false };
        let queued = MessageFacts { id: 7, at: 70, from_customer: false, inbound: false, answer: false };
        let rows = [customer(2, 20), customer(1, 10), answer(3, 30), customer(5, 50), customer(4, 40), bot, queued];
        assert_eq!(
            derive(&rows),
            Derived {
                last_id: Some(7),
                last_at: Some(70),
                inbound_at: Some(60),
                waiting: Some(40),
                first_in: Some(10),
                first_reply: Some(30),
            }
        );
        // Two messages at one instant: the later id is the latest. An answer before the
        // customer's first message is no first reply.
        let rows = [answer(1, 5), customer(2, 10), customer(3, 10)];
        let d = derive(&rows);
        assert_eq!((d.last_id, d.waiting, d.first_reply), (Some(3), Some(10), None));
    }
}