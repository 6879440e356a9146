//! SLA clocks over the store: which policy a conversation falls under, its clocks as of a
//! moment, and the default calendar and policies a new store starts with.

use super::util::{from_ms, UNSOLVED};
use super::Store;
use crate::error::Result;
use crate::interchange::{CalendarRecord, Record, SlaPolicyRecord};
use crate::model::{Channel, ConversationStatus, Priority};
use crate::sla::{clocks, Calendar, Clock, Happening, Targets};
use rusqlite::params;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A conversation's clocks and the policy they come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SlaView {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub conversation: i64,
    pub policy: Option<String>,
    pub clocks: Vec<Clock>,
}

impl SlaView {
    /// The clock to show: the one due soonest.
    pub fn most_urgent(&self) -> Option<&Clock> {
        crate::sla::most_urgent(&self.clocks)
    }
}

/// The policies with their calendars, ready to match.
pub struct Policies(Vec<(SlaPolicyRecord, Option<Calendar>)>);

/// What a policy's conditions look at.
struct Facts<'a> {
    priority: Priority,
    channel: Channel,
    tags: &'a [String],
    customer_status: Option<&'a str>,
}

impl Policies {
    /// The most specific policy whose conditions all hold. A condition on the customer's status
    /// weighs most (a VIP policy beats a priority one), then tags, channel and priority; ties go
    /// by name.
    fn choose(&self, f: &Facts<'_>) -> Option<&(SlaPolicyRecord, Option<Calendar>)> {
        self.0
            .iter()
            .filter(|(p, _)| {
                p.priority.is_none_or(|x| x == f.priority)
                    && p.channel.is_none_or(|x| x == f.channel)
                    && (p.tags.is_empty() || p.tags.iter().any(|t| f.tags.contains(t)))
                    && (p.customer_statuses.is_empty() || f.customer_status.is_some_and(|s| p.customer_statuses.iter().any(|x| x.eq_ignore_ascii_case(s))))
            })
            .max_by(|(a, _), (b, _)| {
                let specific = |p: &SlaPolicyRecord| {
                    p.priority.is_some() as u8 + 2 * p.channel.is_some() as u8 + 4 * !p.tags.is_empty() as u8 + 8 * !p.customer_statuses.is_empty() as u8
                };
                specific(a).cmp(&specific(b)).then_with(|| b.name.cmp(&a.name))
            })
    }
}

/// The conversations a query reads clocks for.
enum Which<'a> {
    One(i64),
    Open,
    Ids(&'a [i64]),
    /// Open conversations whose kept breach instants are out of date.
    Stale,
}

pub const DEFAULT_CALENDAR: &str = "Business hours";
const SEEDED: &str = "sla_defaults_seeded";

impl Store {
    pub fn sla_policy_set(&self) -> Result<Policies> {
        let calendars: HashMap<String, CalendarRecord> = self.calendars()?.into_iter().map(|c| (c.name.clone(), c)).collect();
        let mut out = Vec::new();
        for p in self.sla_policies()? {
            // A calendar that no longer reads (no opening hours) counts every hour rather than
            // stopping the clocks.
            let calendar = p.calendar.as_ref().and_then(|name| calendars.get(name)).and_then(|c| Calendar::from_record(c).ok());
            out.push((p, calendar));
        }
        Ok(Policies(out))
    }

    /// A conversation's clocks as of `now`.
    pub fn sla(&self, conversation: i64, now: jiff::Timestamp) -> Result<SlaView> {
        let policies = self.sla_policy_set()?;
        let mut views = self.sla_views(&policies, Which::One(conversation), now)?;
        views.pop().ok_or_else(|| crate::Error::Missing { what: "conversation", id: conversation.to_string() })
    }

    /// The clocks of every conversation not solved, as of `now`.
    pub fn sla_open(&self, now: jiff::Timestamp) -> Result<Vec<SlaView>> {
        let policies = self.sla_policy_set()?;
        self.sla_views(&policies, Which::Open, now)
    }

    /// The clocks of these conversations, as of `now`, in the same order.
    pub fn sla_of(&self, ids: &[i64], now: jiff::Timestamp) -> Result<Vec<SlaView>> {
        let policies = self.sla_policy_set()?;
        let mut views: HashMap<i64, SlaView> = self.sla_views(&policies, Which::Ids(ids), now)?.into_iter().map(|v| (v.conversation, v)).collect();
        Ok(ids.iter().filter_map(|id| views.remove(id)).collect())
    }

    /// The clocks of the conversations `which` names.
    fn sla_views(&self, policies: &Policies, which: Which<'_>, now: jiff::Timestamp) -> Result<Vec<SlaView>> {
        let source = match which {
            Which::Stale => "conversations c INDEXED BY conversations_sla_stale",
            _ => "conversations c",
        };
        let filter = match which {
            Which::One(_) => "c.id = ?1".to_owned(),
            Which::Open => format!("{UNSOLVED} AND ?1 IS NULL"),
            Which::Ids(_) => "c.id IN (SELECT value FROM json_each(?1))".to_owned(),
            Which::Stale => format!("c.sla_fresh = 0 AND {UNSOLVED} AND ?1 IS NULL"),
        };
        let param: rusqlite::types::Value = match which {
            Which::One(id) => id.into(),
            Which::Open | Which::Stale => rusqlite::types::Value::Null,
            Which::Ids(ids) => serde_json::to_string(ids).expect("json").into(),
        };
        // Tags and status histories come in two queries for the whole set, not two per row; tags
        // and the customer's status only when a policy looks at them.
        let uses_tags = policies.0.iter().any(|(p, _)| !p.tags.is_empty());
        let uses_status = policies.0.iter().any(|(p, _)| !p.customer_statuses.is_empty());
        let mut tags_of: HashMap<i64, Vec<String>> = HashMap::new();
        let mut changes_of: HashMap<i64, Vec<(i64, ConversationStatus)>> = HashMap::new();
        if uses_tags {
            let sql = format!(
                "SELECT x.conversation_id, t.name FROM conversation_tags x JOIN tags t ON t.id = x.tag_id
                 WHERE x.conversation_id IN (SELECT c.id FROM {source} WHERE {filter})"
            );
            let mut stmt = self.conn.prepare_cached(&sql)?;
            let mut rows = stmt.query([param.clone()])?;
            while let Some(r) = rows.next()? {
                tags_of.entry(r.get(0)?).or_default().push(r.get(1)?);
            }
        }
        {
            let sql = format!(
                "SELECT s.conversation_id, s.at, s.status FROM status_changes s
                 WHERE s.conversation_id IN (SELECT c.id FROM {source} WHERE {filter}) ORDER BY s.conversation_id, s.at"
            );
            let mut stmt = self.conn.prepare_cached(&sql)?;
            let mut rows = stmt.query([param.clone()])?;
            while let Some(r) = rows.next()? {
                changes_of.entry(r.get(0)?).or_default().push((r.get(1)?, r.get(2)?));
            }
        }
        let (status_column, contacts) = if uses_status { ("ct.status", "LEFT JOIN contacts ct ON ct.id = c.contact_id") } else { ("NULL", "") };
        let sql = format!(
            "SELECT c.id, c.priority, c.channel, c.status, {status_column}, c.first_inbound_at, c.first_reply_at, c.waiting_since
             FROM {source} {contacts}
             WHERE {filter}"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query([param])?;
        let mut views = Vec::new();
        let no_tags = Vec::new();
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            let (priority, channel, status): (Priority, Channel, ConversationStatus) = (r.get(1)?, r.get(2)?, r.get(3)?);
            let customer_status: Option<String> = r.get(4)?;
            let (first_in, first_reply, waiting): (Option<i64>, Option<i64>, Option<i64>) = (r.get(5)?, r.get(6)?, r.get(7)?);
            let tags = tags_of.get(&id).unwrap_or(&no_tags);
            let changes = changes_of.remove(&id).unwrap_or_default();
            let facts = Facts { priority, channel, tags, customer_status: customer_status.as_deref() };
            let Some((policy, calendar)) = policies.choose(&facts) else {
                views.push(SlaView { conversation: id, policy: None, clocks: Vec::new() });
                continue;
            };
            let mut happenings: Vec<(i64, u8, Happening)> = Vec::new();
            if let Some(t) = first_in {
                happenings.push((t, 0, Happening::Customer(from_ms(t))));
            }
            if let Some(t) = first_reply {
                happenings.push((t, 1, Happening::Agent(from_ms(t))));
            }
            // Still waiting after an answer: the next reply's clock runs from the oldest unanswered.
            if let (Some(w), Some(_)) = (waiting, first_reply) {
                happenings.push((w, 0, Happening::Customer(from_ms(w))));
            }
            for (t, s) in &changes {
                happenings.push((*t, 2, Happening::Status(from_ms(*t), *s)));
            }
            // A status set before the history was kept (or imported) counts from the start.
            if changes.is_empty() && status != ConversationStatus::Open {
                if let Some(t) = first_in {
                    happenings.push((t, 2, Happening::Status(from_ms(t), status)));
                }
            }
            happenings.sort_by_key(|(t, order, _)| (*t, *order));
            let happenings: Vec<Happening> = happenings.into_iter().map(|(_, _, h)| h).collect();
            let targets = Targets { first_reply: policy.first_reply_minutes, next_reply: policy.next_reply_minutes, resolution: policy.resolution_minutes };
            views.push(SlaView { conversation: id, policy: Some(policy.name.clone()), clocks: clocks(&happenings, &targets, calendar.as_ref(), now) });
        }
        Ok(views)
    }

    /// Adds or replaces an SLA policy (by name), as an agent edits it in Settings.
    pub fn save_sla_policy(&mut self, policy: &SlaPolicyRecord) -> Result<()> {
        if policy.name.trim().is_empty() {
            return Err(crate::Error::invalid("a policy needs a name"));
        }
        let targets = [policy.first_reply_minutes, policy.next_reply_minutes, policy.resolution_minutes];
        if targets.iter().all(Option::is_none) {
            return Err(crate::Error::invalid(format!("policy {:?} has no target", policy.name)));
        }
        if targets.iter().flatten().any(|m| *m == 0) {
            return Err(crate::Error::invalid("a target is at least 1 minute"));
        }
        self.write_batch(&[Record::SlaPolicy(policy.clone())])?;
        Ok(())
    }

    /// Adds or replaces a business calendar (by name); it must have opening hours.
    pub fn save_calendar(&mut self, calendar: &CalendarRecord) -> Result<()> {
        Calendar::from_record(calendar)?;
        self.write_batch(&[Record::Calendar(calendar.clone())])?;
        Ok(())
    }

    pub fn delete_sla_policy(&mut self, name: &str) -> Result<()> {
        if self.conn.execute("DELETE FROM sla_policies WHERE name = ?1", [name])? == 0 {
            return Err(crate::Error::Missing { what: "SLA policy", id: name.to_owned() });
        }
        Ok(())
    }

    /// A new store's clocks run from the start: a Monday–Friday 09:00–18:00 calendar in `zone`
    /// and a policy per priority. Once only: a store whose agent removed them stays without.
    pub fn seed_sla_defaults(&mut self, zone: &str) -> Result<()> {
        let seeded: bool = self.setting(SEEDED)?;
        if seeded {
            return Ok(());
        }
        let empty: bool = self.conn.query_row(
            "SELECT NOT EXISTS (SELECT 1 FROM sla_policies) AND NOT EXISTS (SELECT 1 FROM business_calendars)",
            [],
            |r| r.get(0),
        )?;
        if empty {
            let zone = if jiff::tz::TimeZone::get(zone).is_ok() { zone } else { "UTC" };
            let day = || vec![["09:00".to_owned(), "18:00".to_owned()]];
            let calendar = CalendarRecord {
                name: DEFAULT_CALENDAR.into(),
                time_zone: zone.into(),
                hours: ["mon", "tue", "wed", "thu", "fri"].into_iter().map(|d| (d.to_owned(), day())).collect(),
                holidays: vec![],
            };
            // Minutes of business time: first reply, next reply, resolution.
            let policy = |name: &str, priority: Priority, first: u32, next: u32, resolution: u32| {
                Record::SlaPolicy(SlaPolicyRecord {
                    name: name.into(),
                    priority: Some(priority),
                    channel: None,
                    first_reply_minutes: Some(first),
                    next_reply_minutes: Some(next),
                    resolution_minutes: Some(resolution),
                    calendar: Some(DEFAULT_CALENDAR.into()),
                    tags: vec![],
                    customer_statuses: vec![],
                })
            };
            self.write_batch(&[
                Record::Calendar(calendar),
                policy("Urgent", Priority::Urgent, 30, 60, 4 * 60),
                policy("High", Priority::High, 60, 2 * 60, 9 * 60),
                policy("Normal", Priority::Normal, 4 * 60, 4 * 60, 3 * 9 * 60),
                policy("Low", Priority::Low, 9 * 60, 9 * 60, 5 * 9 * 60),
            ])?;
        }
        self.set_setting(SEEDED, &true)?;
        Ok(())
    }
}

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
    /// (see migration 15): after a sync, only those it touched.
    pub(crate) fn refresh_breaches(&self, now: jiff::Timestamp) -> Result<()> {
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
                let dues: Vec<i64> = view.clocks.iter().filter_map(|c| c.breach_at).map(super::util::to_ms).collect();
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
        let (at, soon_until) = (super::util::to_ms(now), super::util::to_ms(now) + SOON_SECONDS * 1000);
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
        let since = super::util::to_ms(now - jiff::SignedDuration::from_hours(1));
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
    pub(crate) fn inbox_rows(&self, ids: &[i64], now: jiff::Timestamp) -> Result<Vec<crate::model::InboxRow>> {
        let mut stmt = self.conn.prepare_cached(&format!("{} WHERE c.id IN (SELECT value FROM json_each(?1))", super::read::INBOX_SELECT))?;
        let mut found: HashMap<i64, crate::model::InboxRow> = stmt
            .query_map([serde_json::to_string(ids).expect("json")], super::read::inbox_row)?
            .map(|r| r.map(|row| (row.id, row)))
            .collect::<rusqlite::Result<_>>()?;
        let mut rows: Vec<crate::model::InboxRow> = ids.iter().filter_map(|id| found.remove(id)).collect();
        self.attach_clocks(&mut rows, now)?;
        Ok(rows)
    }
}

