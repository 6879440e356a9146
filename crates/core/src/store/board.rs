//! The supervisor's board: queues per agent and channel, clocks breaching soon or breached, the
//! oldest waiting, and the last hour's volume; and the kept breach instants it reads.

use super::rows::{inbox_row, INBOX_SELECT};
use super::sla::Which;
use super::util::UNSOLVED;
use crate::model::time::to_ms;
use super::Store;
use crate::error::Result;
use crate::model::Channel;
use rusqlite::params;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// One queue of the board: an agent's (or the unassigned) or a channel's open conversations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Queue {
    /// The agent, the channel, or none for unassigned.
    pub name: Option<String>,
    pub open: u32,
    /// Waiting for an answer.
    pub waiting: u32,
    /// A clock with 15 minutes or less left.
    pub breaching_soon: u32,
    pub breached: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ChannelVolume {
    pub channel: Channel,
    /// Customer messages in the last hour.
    pub messages: u32,
}

/// What a supervisor watches, as of a moment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Board {
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub at: jiff::Timestamp,
    pub open: u32,
    pub by_agent: Vec<Queue>,
    pub by_channel: Vec<Queue>,
    /// Running clocks with 15 minutes or less left, soonest first (at most 20).
    pub breaching_soon: Vec<crate::model::InboxRow>,
    /// Running clocks past their target, longest over first (at most 20).
    pub breached: Vec<crate::model::InboxRow>,
    /// Waiting longest for an answer (at most 5).
    pub oldest_waiting: Vec<crate::model::InboxRow>,
    /// Clocks that breached in the last 24 hours.
    pub breaches_today: u32,
    pub last_hour: Vec<ChannelVolume>,
}

/// "Breaching soon": a running clock with this little left.
pub const SOON_SECONDS: i64 = 15 * 60;

impl Store {
    /// Works out the breach instants of the open conversations whose kept ones are out of date
    /// (see migration 15): after a sync, only those it touched. The store's writer does this
    /// after each write (see `Db`); a reader leaves it to the writer.
    pub fn refresh_breaches(&self, now: jiff::Timestamp) -> Result<()> {
        if self.is_reader() {
            return Ok(());
        }
        let stale: bool = self
            .conn
            .prepare_cached(&format!(
                "SELECT EXISTS (SELECT 1 FROM conversations c INDEXED BY conversations_sla_stale
                                WHERE c.sla_fresh = 0 AND {UNSOLVED})"
            ))?
            .query_row([], |r| r.get(0))?;
        if !stale {
            return Ok(());
        }
        let policies = self.sla_policy_set()?;
        let rows = self.sla_views(&policies, Which::Stale, now)?;
        let tx = self.conn.unchecked_transaction()?;
        {
            let mut update = tx.prepare_cached("UPDATE conversations SET sla_due_at = ?2, sla_fresh = 1 WHERE id = ?1")?;
            let mut clear = tx.prepare_cached("DELETE FROM sla_due_times WHERE conversation_id = ?1")?;
            let mut add = tx.prepare_cached("INSERT INTO sla_due_times (conversation_id, due_at) VALUES (?1, ?2)")?;
            for view in &rows {
                let dues: Vec<i64> = view.clocks.iter().filter_map(|c| c.breach_at).map(to_ms).collect();
                update.execute(params![view.conversation, dues.iter().min()])?;
                clear.execute([view.conversation])?;
                for due in &dues {
                    add.execute(params![view.conversation, due])?;
                }
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The supervisor board as of `now`. Counts and lists come from the kept breach instants:
    /// "breaching soon" is a clock due within 15 minutes, "breached" one past due and still
    /// running.
    pub fn board(&self, now: jiff::Timestamp) -> Result<Board> {
        self.refresh_breaches(now)?;
        let (at, soon_until) = (to_ms(now), to_ms(now) + SOON_SECONDS * 1000);
        // The queues per agent and per channel, in one pass over the board's index.
        let mut agents: std::collections::BTreeMap<Option<String>, Queue> = Default::default();
        let mut channels: std::collections::BTreeMap<Channel, Queue> = Default::default();
        {
            let mut stmt = self.conn.prepare_cached(&format!(
                "SELECT assignee, channel, count(*), count(waiting_since), count(CASE WHEN sla_due_at > ?1 AND sla_due_at <= ?2 THEN 1 END),
                        count(CASE WHEN sla_due_at <= ?1 THEN 1 END)
                 FROM conversations c INDEXED BY conversations_board WHERE {UNSOLVED} GROUP BY status, assignee, channel"
            ))?;
            let mut rows = stmt.query(params![at, soon_until])?;
            while let Some(r) = rows.next()? {
                let (assignee, channel): (Option<String>, Channel) = (r.get(0)?, r.get(1)?);
                let counts: [u32; 4] = [r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?];
                for q in [
                    agents.entry(assignee.clone()).or_insert_with(|| Queue { name: assignee.clone(), open: 0, waiting: 0, breaching_soon: 0, breached: 0 }),
                    channels.entry(channel).or_insert_with(|| Queue { name: Some(channel.to_string()), open: 0, waiting: 0, breaching_soon: 0, breached: 0 }),
                ] {
                    q.open += counts[0];
                    q.waiting += counts[1];
                    q.breaching_soon += counts[2];
                    q.breached += counts[3];
                }
            }
        }
        let by_agent: Vec<Queue> = agents.into_values().collect();
        let by_channel: Vec<Queue> = channels.into_values().collect();
        let open = by_channel.iter().map(|q| q.open).sum();
        let ids = |sql: &str, args: &[&dyn rusqlite::ToSql]| -> Result<Vec<i64>> {
            let mut stmt = self.conn.prepare_cached(sql)?;
            let rows = stmt.query_map(args, |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        };
        let soon = ids(
            &format!("SELECT id FROM conversations c INDEXED BY conversations_sla_due WHERE {UNSOLVED} AND sla_due_at > ?1 AND sla_due_at <= ?2 ORDER BY sla_due_at LIMIT 20"),
            &[&at, &soon_until],
        )?;
        let breached =
            ids(&format!("SELECT id FROM conversations c INDEXED BY conversations_sla_due WHERE {UNSOLVED} AND sla_due_at <= ?1 ORDER BY sla_due_at LIMIT 20"), &[&at])?;
        let waiting = ids(
            &format!("SELECT id FROM conversations c WHERE {UNSOLVED} AND waiting_since IS NOT NULL ORDER BY waiting_since, id LIMIT 5"),
            &[],
        )?;
        // Clocks that breached in the last 24 hours and still run (a solved conversation's are
        // gone from the table).
        let day_ago = at - 24 * 3_600_000;
        let breaches_today: u32 =
            self.conn.prepare_cached("SELECT count(*) FROM sla_due_times WHERE due_at BETWEEN ?1 AND ?2")?.query_row(params![day_ago, at], |r| r.get(0))?;
        // The last hour's customer messages, exactly and without reading the rest: a message of
        // the last hour is in a conversation whose latest message is that recent, so the recent
        // conversations (by their index) and their messages since (by the thread index) are all.
        let since = to_ms(now - jiff::SignedDuration::from_hours(1));
        let mut volume: std::collections::BTreeMap<Channel, u32> = Default::default();
        let mut stmt = self.conn.prepare_cached(
            "SELECT c.channel, count(*) FROM conversations c INDEXED BY conversations_recent
             JOIN messages m INDEXED BY messages_thread ON m.conversation_id = c.id AND m.sent_at >= ?1 AND m.sent_at <= ?2
             WHERE c.last_message_at >= ?1 AND m.direction = 'in' AND m.author_kind = 'customer' GROUP BY c.channel",
        )?;
        for row in stmt.query_map(params![since, at], |r| Ok((r.get::<_, Channel>(0)?, r.get::<_, u32>(1)?)))? {
            let (channel, n) = row?;
            volume.insert(channel, n);
        }
        Ok(Board {
            at: now,
            open,
            by_agent,
            by_channel,
            breaching_soon: self.inbox_rows(&soon, now)?,
            breached: self.inbox_rows(&breached, now)?,
            oldest_waiting: self.inbox_rows(&waiting, now)?,
            breaches_today,
            last_hour: volume.into_iter().map(|(channel, messages)| ChannelVolume { channel, messages }).collect(),
        })
    }

    /// Inbox rows of these conversations, in this order, with their clocks.
    /// These conversations' rows (those that exist, in the order asked), with their clocks as of
    /// `now`.
    pub fn inbox_rows(&self, ids: &[i64], now: jiff::Timestamp) -> Result<Vec<crate::model::InboxRow>> {
        let mut stmt = self.conn.prepare_cached(&format!("{} WHERE c.id IN (SELECT value FROM json_each(?1))", INBOX_SELECT))?;
        let mut found: HashMap<i64, crate::model::InboxRow> = stmt
            .query_map([serde_json::to_string(ids).expect("json")], inbox_row)?
            .map(|r| r.map(|row| (row.id, row)))
            .collect::<rusqlite::Result<_>>()?;
        let mut rows: Vec<crate::model::InboxRow> = ids.iter().filter_map(|id| found.remove(id)).collect();
        self.attach_clocks(&mut rows, now)?;
        Ok(rows)
    }
}

