//! SLA clocks as pure functions: from a conversation's timeline, a policy's targets and a
//! business calendar to its first-reply, next-reply and resolution clocks. Business time is
//! counted in the calendar's time zone with jiff, so a day of 09:00–18:00 is nine hours whether
//! or not the clocks change that night, and a holiday counts nothing.

use crate::error::{Error, Result};
use crate::interchange::CalendarRecord;
use crate::model::ConversationStatus;
pub use crate::model::{Clock, ClockKind, ClockState};
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Opening hours in a time zone, with holidays. Without one, a clock counts every hour.
#[derive(Debug, Clone)]
pub struct Calendar {
    tz: TimeZone,
    /// Monday first; each day's spans sorted and not overlapping.
    week: [Vec<(Time, Time)>; 7],
    holidays: BTreeSet<Date>,
    /// Each date's open spans as instants, once worked out: a board of thousands of clocks asks
    /// about the same few weeks over and over, and the time-zone arithmetic is the cost.
    memo: std::cell::RefCell<std::collections::HashMap<Date, std::rc::Rc<[(Timestamp, Timestamp)]>>>,
}

/// How far a search for business time looks ahead before giving up (a calendar that is open a
/// few hours a year still answers).
const HORIZON_DAYS: i32 = 800;

impl Calendar {
    pub fn from_record(r: &CalendarRecord) -> Result<Calendar> {
        let tz = TimeZone::get(&r.time_zone).map_err(|_| Error::invalid(format!("unknown time zone {:?}", r.time_zone)))?;
        const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
        let mut week: [Vec<(Time, Time)>; 7] = Default::default();
        for (day, spans) in &r.hours {
            let index = DAYS.iter().position(|d| d == day).ok_or_else(|| Error::invalid(format!("unknown weekday {day:?}")))?;
            for [open, close] in spans {
                let t = |s: &str| s.parse::<Time>().map_err(|_| Error::invalid(format!("{day}: {s:?} is not a time like 09:00")));
                let (open, close) = (t(open)?, t(close)?);
                // "24:00" does not parse; 23:59 closes the day near enough, and a span that
                // closes before it opens is refused on import.
                if open < close {
                    week[index].push((open, close));
                }
            }
            // Overlapping spans are merged, so an hour is never counted twice.
            week[index].sort();
            let mut merged: Vec<(Time, Time)> = Vec::new();
            for (open, close) in week[index].drain(..) {
                match merged.last_mut() {
                    Some(last) if open <= last.1 => last.1 = last.1.max(close),
                    _ => merged.push((open, close)),
                }
            }
            week[index] = merged;
        }
        if week.iter().all(Vec::is_empty) {
            return Err(Error::invalid(format!("calendar {:?} has no opening hours", r.name)));
        }
        Ok(Calendar { tz, week, holidays: r.holidays.iter().copied().collect(), memo: Default::default() })
    }

    /// The open spans of `date`, as instants (a span in a DST gap starts when the day resumes).
    fn spans(&self, date: Date) -> std::rc::Rc<[(Timestamp, Timestamp)]> {
        if let Some(known) = self.memo.borrow().get(&date) {
            return known.clone();
        }
        let spans: std::rc::Rc<[(Timestamp, Timestamp)]> = self.work_out_spans(date).into();
        self.memo.borrow_mut().insert(date, spans.clone());
        spans
    }

    fn work_out_spans(&self, date: Date) -> Vec<(Timestamp, Timestamp)> {
        if self.holidays.contains(&date) {
            return Vec::new();
        }
        let day = date.weekday().to_monday_zero_offset() as usize;
        self.week[day]
            .iter()
            .filter_map(|(open, close)| {
                let at = |t: Time| date.to_datetime(t).to_zoned(self.tz.clone()).ok().map(|z| z.timestamp());
                let (a, b) = (at(*open)?, at(*close)?);
                (a < b).then_some((a, b))
            })
            .collect()
    }

    fn date_of(&self, t: Timestamp) -> Date {
        t.to_zoned(self.tz.clone()).date()
    }

    /// Business time from `a` to `b` (zero when `b` is not after `a`).
    pub fn between(&self, a: Timestamp, b: Timestamp) -> SignedDuration {
        if b <= a {
            return SignedDuration::ZERO;
        }
        let mut total = SignedDuration::ZERO;
        let (mut date, last) = (self.date_of(a), self.date_of(b));
        while date <= last {
            for &(open, close) in self.spans(date).iter() {
                let (from, to) = (open.max(a), close.min(b));
                if from < to {
                    total += to.duration_since(from);
                }
            }
            date = date.tomorrow().expect("a date before 9999");
        }
        total
    }

    /// The instant at which `d` of business time has passed since `from`; `None` when the
    /// calendar does not hold that much within its horizon.
    pub fn add(&self, from: Timestamp, d: SignedDuration) -> Option<Timestamp> {
        let mut left = d;
        let mut date = self.date_of(from);
        for _ in 0..HORIZON_DAYS {
            for &(open, close) in self.spans(date).iter() {
                let start = open.max(from);
                if start >= close {
                    continue;
                }
                let here = close.duration_since(start);
                if left <= here {
                    return Some(start + left);
                }
                left -= here;
            }
            date = date.tomorrow().ok()?;
        }
        None
    }
}

/// This machine's IANA time zone, for the default calendar ("UTC" when the OS does not say).
pub fn local_zone() -> String {
    TimeZone::system().iana_name().unwrap_or("UTC").to_owned()
}

/// Business time by `calendar`, or every hour without one.
fn elapsed(calendar: Option<&Calendar>, a: Timestamp, b: Timestamp) -> SignedDuration {
    match calendar {
        Some(c) => c.between(a, b),
        None if b > a => b.duration_since(a),
        None => SignedDuration::ZERO,
    }
}

fn add(calendar: Option<&Calendar>, from: Timestamp, d: SignedDuration) -> Option<Timestamp> {
    match calendar {
        Some(c) => c.add(from, d),
        None => from.checked_add(d).ok(),
    }
}

/// A policy's targets, in minutes of business time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Targets {
    pub first_reply: Option<u32>,
    pub next_reply: Option<u32>,
    pub resolution: Option<u32>,
}

/// What happened in a conversation, as the clocks read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Happening {
    /// A customer wrote.
    Customer(Timestamp),
    /// An agent replied (a person, not a bot).
    Agent(Timestamp),
    /// The status became this.
    Status(Timestamp, ConversationStatus),
}

/// `start`: when the clock began, if it never paused (then its breach is found forward from
/// there, exactly; otherwise by walking back from now).
#[allow(clippy::too_many_arguments)]
fn new_clock(
    kind: ClockKind,
    target: u32,
    spent: SignedDuration,
    met: bool,
    paused: bool,
    start: Option<Timestamp>,
    calendar: Option<&Calendar>,
    now: Timestamp,
) -> Clock {
    let target_d = SignedDuration::from_mins(i64::from(target));
    let remaining = target_d - spent;
    let state = match (met, remaining.is_negative(), paused) {
        (_, true, _) => ClockState::Breached,
        (true, false, _) => ClockState::Achieved,
        (false, false, true) => ClockState::Paused,
        (false, false, false) => ClockState::Active,
    };
    let breach_at = match state {
        ClockState::Active => add(calendar, now, remaining),
        ClockState::Breached if !met && start.is_some() => start.and_then(|s| add(calendar, s, target_d)),
        ClockState::Breached if !met => {
            // When it went over: `-remaining` of business time ago, counted back.
            let over = -remaining;
            let mut at = now;
            // Walk back in a few steps; exactness to the second is not needed for display.
            for _ in 0..3 {
                let since = elapsed(calendar, at, now);
                if since >= over {
                    break;
                }
                at -= over - since;
            }
            Some(at)
        }
        _ => None,
    };
    Clock { kind, state, target_minutes: target, remaining_seconds: remaining.as_secs(), breach_at }
}


/// The clocks of a conversation as of `now`, from its happenings in time order.
///
/// - First reply: from the first customer message to the first agent reply.
/// - Next reply: from the oldest customer message not yet answered, once the first reply was
///   given, to the agent's answer.
/// - Resolution: from the first customer message to solved, not counting time pending or on
///   hold; a reopened conversation runs on.
/// - Solved stops every clock; one that was over by then stays breached.
pub fn clocks(happenings: &[Happening], targets: &Targets, calendar: Option<&Calendar>, now: Timestamp) -> Vec<Clock> {
    let mut first_customer: Option<Timestamp> = None;
    let mut first_reply: Option<Timestamp> = None;
    let mut unanswered: Option<Timestamp> = None;
    let mut last_next_reply: Option<(Timestamp, Timestamp)> = None;
    let mut status = ConversationStatus::Open;
    let mut status_since: Option<Timestamp> = None;
    let mut paused = SignedDuration::ZERO;
    let mut solved_at: Option<Timestamp> = None;
    for h in happenings {
        match *h {
            Happening::Customer(at) if at <= now => {
                first_customer.get_or_insert(at);
                if first_reply.is_some() {
                    unanswered.get_or_insert(at);
                }
            }
            Happening::Agent(at) if at <= now => {
                if first_customer.is_some() && first_reply.is_none() {
                    first_reply = Some(at);
                }
                if let Some(since) = unanswered.take() {
                    last_next_reply = Some((since, at));
                }
            }
            Happening::Status(at, next) if at <= now => {
                let was_paused = matches!(status, ConversationStatus::Pending | ConversationStatus::OnHold);
                if let (true, Some(since)) = (was_paused, status_since) {
                    paused += elapsed(calendar, since, at);
                }
                solved_at = (next == ConversationStatus::Solved).then_some(at);
                status = next;
                status_since = Some(at);
            }
            _ => {}
        }
    }
    let Some(start) = first_customer else { return Vec::new() };
    let mut out = Vec::new();
    // Solving a conversation stops the reply clocks too: nothing more is owed.
    if let Some(target) = targets.first_reply {
        let end = first_reply.or(solved_at).unwrap_or(now);
        let stopped = first_reply.is_some() || solved_at.is_some();
        out.push(new_clock(ClockKind::FirstReply, target, elapsed(calendar, start, end), stopped, false, Some(start), calendar, now));
    }
    if let (Some(target), Some(_)) = (targets.next_reply, first_reply) {
        match (unanswered, last_next_reply) {
            (Some(since), _) => {
                let end = solved_at.unwrap_or(now);
                out.push(new_clock(ClockKind::NextReply, target, elapsed(calendar, since, end), solved_at.is_some(), false, Some(since), calendar, now))
            }
            (None, Some((since, answered))) => {
                out.push(new_clock(ClockKind::NextReply, target, elapsed(calendar, since, answered), true, false, Some(since), calendar, now))
            }
            (None, None) => {}
        }
    }
    if let Some(target) = targets.resolution {
        let waiting = matches!(status, ConversationStatus::Pending | ConversationStatus::OnHold);
        let end = solved_at.unwrap_or(now);
        let mut spent = elapsed(calendar, start, end) - paused;
        if let (true, Some(since)) = (waiting, status_since) {
            spent -= elapsed(calendar, since, now);
        }
        let unpaused = (paused.is_zero() && !waiting).then_some(start);
        out.push(new_clock(ClockKind::Resolution, target, spent, solved_at.is_some(), waiting, unpaused, calendar, now));
    }
    out
}

/// The clock to show for a conversation: the one due soonest, else any.
pub fn most_urgent(clocks: &[Clock]) -> Option<&Clock> {
    clocks.iter().min_by_key(|c| c.urgency())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn calendar(tz: &str, hours: &[(&str, &str, &str)], holidays: &[&str]) -> Calendar {
        let mut map: BTreeMap<String, Vec<[String; 2]>> = BTreeMap::new();
        for (day, open, close) in hours {
            map.entry(day.to_string()).or_default().push([open.to_string(), close.to_string()]);
        }
        Calendar::from_record(&CalendarRecord {
            name: "test".into(),
            time_zone: tz.into(),
            hours: map,
            holidays: holidays.iter().map(|d| d.parse().unwrap()).collect(),
        })
        .unwrap()
    }

    fn office(tz: &str) -> Calendar {
        let days = ["mon", "tue", "wed", "thu", "fri"];
        calendar(tz, &days.map(|d| (d, "09:00", "18:00")), &[])
    }

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn business_time_skips_nights_weekends_and_holidays() {
        let c = calendar("Asia/Seoul", &[("mon", "09:00", "18:00"), ("tue", "09:00", "18:00")], &["2026-09-22"]);
        // Friday 17:00 KST to Monday 10:00 KST: one hour, on Monday.
        assert_eq!(c.between(at("2026-09-18T08:00:00Z"), at("2026-09-21T01:00:00Z")), SignedDuration::from_hours(1));
        // Tuesday 2026-09-22 is a holiday: Monday 17:00 + 2 h lands on Monday the 28th, 10:00.
        assert_eq!(c.add(at("2026-09-21T08:00:00Z"), SignedDuration::from_hours(2)), Some(at("2026-09-28T01:00:00Z")));
    }

    #[test]
    fn a_business_day_is_nine_hours_across_dst_changes() {
        for (tz, day) in [("Europe/Berlin", "2026-03-30"), ("Europe/Berlin", "2026-10-26"), ("America/New_York", "2026-03-09"), ("America/New_York", "2026-11-02")] {
            let c = office(tz);
            let date: Date = day.parse().unwrap();
            let (start, end) = (date.at(0, 0, 0, 0).to_zoned(c.tz.clone()).unwrap(), date.at(23, 0, 0, 0).to_zoned(c.tz.clone()).unwrap());
            assert_eq!(c.between(start.timestamp(), end.timestamp()), SignedDuration::from_hours(9), "{tz} {day}");
            // Across the weekend of the change: Friday 17:00 to Monday 10:00 is two hours.
            let friday = date.yesterday().unwrap().yesterday().unwrap().yesterday().unwrap().at(17, 0, 0, 0).to_zoned(c.tz.clone()).unwrap();
            let monday = date.at(10, 0, 0, 0).to_zoned(c.tz.clone()).unwrap();
            assert_eq!(c.between(friday.timestamp(), monday.timestamp()), SignedDuration::from_hours(2), "{tz} {day}");
        }
        // A calendar open through the night counts the real hours of a short night.
        let night = calendar("Europe/Berlin", &[("sun", "00:00", "06:00")], &[]);
        assert_eq!(night.between(at("2026-03-28T22:00:00Z"), at("2026-03-29T06:00:00Z")), SignedDuration::from_hours(5));
    }

    #[test]
    fn first_reply_next_reply_and_a_paused_resolution() {
        let c = office("Asia/Seoul");
        let t = Targets { first_reply: Some(60), next_reply: Some(120), resolution: Some(8 * 60) };
        // Monday 2026-11-23 KST.
        let h = [
            Happening::Customer(at("2026-11-23T00:00:00Z")), // 09:00
            Happening::Agent(at("2026-11-23T00:30:00Z")),    // 09:30: first reply in time
            Happening::Status(at("2026-11-23T00:30:00Z"), ConversationStatus::Pending),
            Happening::Customer(at("2026-11-23T03:00:00Z")), // 12:00
            Happening::Status(at("2026-11-23T03:00:00Z"), ConversationStatus::Open),
        ];
        let now = at("2026-11-23T04:00:00Z"); // 13:00
        let clocks = clocks(&h, &t, Some(&c), now);
        assert_eq!((clocks[0].kind, clocks[0].state, clocks[0].remaining_seconds), (ClockKind::FirstReply, ClockState::Achieved, 30 * 60));
        assert_eq!((clocks[1].kind, clocks[1].state, clocks[1].remaining_seconds), (ClockKind::NextReply, ClockState::Active, 3600));
        assert_eq!(clocks[1].breach_at, Some(at("2026-11-23T05:00:00Z")));
        // Resolution: 4 h since 09:00, less 2.5 h pending.
        assert_eq!((clocks[2].state, clocks[2].remaining_seconds), (ClockState::Active, (8 * 60 - 90) * 60));
        // By 19:00 the next reply is 1 h over (counted to 18:00 only) and breached at 14:00.
        let late = super::clocks(&h, &t, Some(&c), at("2026-11-23T10:00:00Z"));
        assert_eq!((late[1].state, late[1].remaining_seconds), (ClockState::Breached, -(4 * 3600)));
        assert_eq!(late[1].breach_at, Some(at("2026-11-23T05:00:00Z")));
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        const ZONES: [&str; 3] = ["Europe/Berlin", "America/New_York", "Asia/Seoul"];
        // 2026-01-01 to 2027-01-01, so both DST changes of each zone are in range.
        const YEAR: std::ops::Range<i64> = 1_767_225_600..1_798_761_600;

        fn instant() -> impl Strategy<Value = Timestamp> {
            YEAR.prop_map(|s| Timestamp::from_second(s).unwrap())
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn the_clock_never_runs_outside_business_hours(zone in 0..3usize, a in instant(), hours in 0i64..200) {
                let c = office(ZONES[zone]);
                let b = a + SignedDuration::from_hours(hours);
                let spent = c.between(a, b);
                prop_assert!(spent <= b.duration_since(a));
                // Every second counted lies in a span: adding it back from `a` lands at or
                // before `b`, and at an instant inside business hours.
                if !spent.is_zero() {
                    let end = c.add(a, spent).unwrap();
                    prop_assert!(end <= b);
                    let z = end.to_zoned(c.tz.clone());
                    let open = z.weekday().to_monday_zero_offset() < 5 && z.time() > Time::constant(9, 0, 0, 0) && z.time() <= Time::constant(18, 0, 0, 0);
                    prop_assert!(open, "{end} in {} is outside business hours", ZONES[zone]);
                    prop_assert_eq!(c.between(a, end), spent);
                }
            }

            #[test]
            fn pausing_takes_exactly_the_paused_business_time_off(zone in 0..3usize, a in instant(), p in 0i64..100, q in 0i64..100, r in 0i64..100) {
                let c = office(ZONES[zone]);
                let (pause, resume) = (a + SignedDuration::from_hours(p), a + SignedDuration::from_hours(p + q));
                let now = resume + SignedDuration::from_hours(r);
                let t = Targets { resolution: Some(10_000), ..Default::default() };
                let plain = clocks(&[Happening::Customer(a)], &t, Some(&c), now);
                let paused = clocks(
                    &[Happening::Customer(a), Happening::Status(pause, ConversationStatus::OnHold), Happening::Status(resume, ConversationStatus::Open)],
                    &t, Some(&c), now,
                );
                prop_assert_eq!(paused[0].remaining_seconds - plain[0].remaining_seconds, c.between(pause, resume).as_secs());
            }
        }
    }
}
