//! SLA policies and business calendars: reading, editing, and the defaults a new store starts with.

use super::rows::{calendars_in, parse_stored};
use super::sla::Policies;
use super::Store;
use crate::error::Result;
use crate::interchange::{CalendarRecord, Record, SlaPolicyRecord};
use crate::model::Priority;
use crate::sla::Calendar;
use std::collections::HashMap;

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
