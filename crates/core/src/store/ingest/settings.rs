//! Settings records: tags, business calendars, SLA policies, triage rules and canned replies.

use super::upsert::{json, Upserter};
use crate::error::{Error, Result};
use crate::interchange::*;
use crate::store::util::upsert_sql;
use rusqlite::{params, OptionalExtension};

impl Upserter<'_> {
    pub(super) fn tag(&mut self, r: &TagRecord) -> Result<()> {
        if r.name.trim().is_empty() {
            return Err(Error::invalid("a tag name is empty"));
        }
        self.tx
            .prepare_cached(&upsert_sql("tags", &["name"], &["color"], &[]))?
            .execute(params![r.name.trim(), r.color])?;
        Ok(())
    }
    pub(super) fn calendar(&mut self, r: &CalendarRecord) -> Result<()> {
        jiff::tz::TimeZone::get(&r.time_zone)
            .map_err(|_| Error::invalid(format!("unknown time zone {:?}", r.time_zone)))?;
        const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
        for (day, ranges) in &r.hours {
            if !DAYS.contains(&day.as_str()) {
                return Err(Error::invalid(format!("unknown weekday {day:?}; use mon, tue, … sun")));
            }
            for [start, end] in ranges {
                let parse = |t: &str| {
                    t.parse::<jiff::civil::Time>()
                        .map_err(|_| Error::invalid(format!("{day}: {t:?} is not a time like 09:00")))
                };
                if parse(start)? >= parse(end)? {
                    return Err(Error::invalid(format!("{day}: opening {start} is not before closing {end}")));
                }
            }
        }
        self.tx
            .prepare_cached(&upsert_sql("business_calendars", &["name"], &["time_zone", "hours", "holidays"], &[]))?
            .execute(params![r.name, r.time_zone, json(&r.hours), json(&r.holidays)])?;
        Ok(())
    }
    pub(super) fn sla_policy(&mut self, r: &SlaPolicyRecord) -> Result<()> {
        let calendar: Option<i64> = match &r.calendar {
            None => None,
            Some(name) => Some(
                self.tx
                    .prepare_cached("SELECT id FROM business_calendars WHERE name = ?1")?
                    .query_row([name], |row| row.get(0))
                    .optional()?
                    .ok_or_else(|| Error::Missing { what: "calendar", id: name.clone() })?,
            ),
        };
        let cols = [
            "priority",
            "channel",
            "first_reply_minutes",
            "next_reply_minutes",
            "resolution_minutes",
            "calendar_id",
            "tags",
            "customer_statuses",
        ];
        self.tx.prepare_cached(&upsert_sql("sla_policies", &["name"], &cols, &[]))?.execute(params![
            r.name,
            r.priority,
            r.channel,
            r.first_reply_minutes,
            r.next_reply_minutes,
            r.resolution_minutes,
            calendar,
            json(&r.tags),
            json(&r.customer_statuses)
        ])?;
        Ok(())
    }
    pub(super) fn rule(&mut self, r: &RuleRecord) -> Result<()> {
        crate::rules::check(r)?;
        self.tx
            .prepare_cached(&upsert_sql("rules", &["name"], &["position", "enabled", "conditions", "actions"], &[]))?
            .execute(params![r.name, r.position, r.enabled, json(&r.conditions), json(&r.actions)])?;
        Ok(())
    }
    pub(super) fn canned_reply(&mut self, r: &CannedReplyRecord) -> Result<()> {
        if r.shortcut.is_empty() || r.shortcut.chars().any(char::is_whitespace) {
            return Err(Error::invalid(format!("canned reply shortcut {:?} must be one word", r.shortcut)));
        }
        if r.variants.is_empty() {
            return Err(Error::invalid(format!("canned reply {:?} has no text", r.shortcut)));
        }
        self.tx
            .prepare_cached(&upsert_sql("canned_replies", &["shortcut"], &["title", "actions"], &[]))?
            .execute(params![r.shortcut, r.title, json(&r.actions)])?;
        let id: i64 = self
            .tx
            .prepare_cached("SELECT id FROM canned_replies WHERE shortcut = ?1")?
            .query_row([&r.shortcut], |row| row.get(0))?;
        let mut wanted: Vec<(String, String, String)> = r
            .variants
            .iter()
            .map(|v| {
                (
                    v.language.clone().unwrap_or_default(),
                    v.channel.map(|c| c.as_str().to_owned()).unwrap_or_default(),
                    v.body.clone(),
                )
            })
            .collect();
        wanted.sort();
        if wanted.windows(2).any(|w| (&w[0].0, &w[0].1) == (&w[1].0, &w[1].1)) {
            return Err(Error::invalid(format!("canned reply {:?} has two variants for one language and channel", r.shortcut)));
        }
        let current: Vec<(String, String, String)> = self
            .tx
            .prepare_cached(
                "SELECT language, channel, body FROM canned_reply_variants WHERE reply_id = ?1 ORDER BY language, channel, body",
            )?
            .query_map([id], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        if current != wanted {
            self.tx.execute("DELETE FROM canned_reply_variants WHERE reply_id = ?1", [id])?;
            let mut insert = self.tx.prepare_cached(
                "INSERT INTO canned_reply_variants (reply_id, language, channel, body) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (language, channel, body) in wanted {
                insert.execute(params![id, language, channel, body])?;
            }
        }
        Ok(())
    }
}
