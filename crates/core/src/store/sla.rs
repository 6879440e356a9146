//! SLA clocks over the store: which policy a conversation falls under, its clocks as of a
//! moment, and the default calendar and policies a new store starts with.

use super::util::from_ms;
use super::Store;
use crate::error::Result;
use crate::interchange::{CalendarRecord, Record, SlaPolicyRecord};
use crate::model::{Channel, ConversationStatus, Priority};
use crate::sla::{clocks, Calendar, Clock, Happening, Targets};
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
            .max_by_key(|(p, _)| {
                let specific = p.priority.is_some() as u8 + 2 * p.channel.is_some() as u8 + 4 * !p.tags.is_empty() as u8 + 8 * !p.customer_statuses.is_empty() as u8;
                (specific, std::cmp::Reverse(p.name.clone()))
            })
    }
}

/// The conversations a query reads clocks for.
enum Which<'a> {
    One(i64),
    Open,
    Ids(&'a [i64]),
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

    fn sla_views(&self, policies: &Policies, which: Which<'_>, now: jiff::Timestamp) -> Result<Vec<SlaView>> {
        let filter = match which {
            Which::One(_) => "c.id = ?1",
            Which::Open => "c.status <> 'solved' AND ?1 IS NULL",
            Which::Ids(_) => "c.id IN (SELECT value FROM json_each(?1))",
        };
        let param: rusqlite::types::Value = match which {
            Which::One(id) => id.into(),
            Which::Open => rusqlite::types::Value::Null,
            Which::Ids(ids) => serde_json::to_string(ids).expect("json").into(),
        };
        let sql = format!(
            "SELECT c.id, c.priority, c.channel, c.status, ct.status, c.first_inbound_at, c.first_reply_at, c.waiting_since,
                    (SELECT json_group_array(t.name) FROM conversation_tags x JOIN tags t ON t.id = x.tag_id WHERE x.conversation_id = c.id),
                    (SELECT json_group_array(json_array(s.at, s.status)) FROM status_changes s WHERE s.conversation_id = c.id)
             FROM conversations c LEFT JOIN contacts ct ON ct.id = c.contact_id
             WHERE {filter}"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query([param])?;
        let mut views = Vec::new();
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            let (priority, channel, status): (Priority, Channel, ConversationStatus) = (r.get(1)?, r.get(2)?, r.get(3)?);
            let customer_status: Option<String> = r.get(4)?;
            let (first_in, first_reply, waiting): (Option<i64>, Option<i64>, Option<i64>) = (r.get(5)?, r.get(6)?, r.get(7)?);
            let tags: Vec<String> = serde_json::from_str(&r.get::<_, String>(8)?).unwrap_or_default();
            let changes: Vec<(i64, ConversationStatus)> = serde_json::from_str(&r.get::<_, String>(9)?).unwrap_or_default();
            let facts = Facts { priority, channel, tags: &tags, customer_status: customer_status.as_deref() };
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
