//! SLA clocks over the store: which policy a conversation falls under, its clocks as of a
//! moment, and the default calendar and policies a new store starts with.

use super::util::UNSOLVED;
use crate::model::time::from_ms;
use super::Store;
use crate::error::Result;
use crate::interchange::SlaPolicyRecord;
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
pub struct Policies(pub(super) Vec<(SlaPolicyRecord, Option<Calendar>)>);

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
pub(super) enum Which<'a> {
    One(i64),
    Open,
    Ids(&'a [i64]),
    /// Open conversations whose kept breach instants are out of date.
    Stale,
}

impl Store {
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
    pub(super) fn sla_views(&self, policies: &Policies, which: Which<'_>, now: jiff::Timestamp) -> Result<Vec<SlaView>> {
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


}
