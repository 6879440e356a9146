//! Pacing for metered APIs. The Graph API reports how much of a budget is used (`X-App-Usage`,
//! `X-Business-Use-Case-Usage`), X how many calls are left (`x-rate-limit-*`). A connector that
//! learns its budget is nearly spent holds its next call, rather than being throttled (Meta extends
//! a throttle for every call made while throttled).

use reqwest::header::HeaderMap;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

pub(crate) struct Pace {
    state: Mutex<State>,
    /// Taken by each call during a tight spell, so that accounts sharing the budget (a Page's
    /// Messenger and Instagram inboxes) call one at a time, each after seeing what the last left.
    gate: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct State {
    not_before: Option<Instant>,
    /// The last response said the budget is nearly spent.
    tight: bool,
}

/// A turn to call: during a tight spell, others wait until its response has been noted.
pub(crate) struct Turn<'a>(#[allow(dead_code)] Option<tokio::sync::MutexGuard<'a, ()>>);

impl Pace {
    fn new() -> Pace {
        Pace { state: Mutex::new(State::default()), gate: tokio::sync::Mutex::new(()) }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits until the next call may go; keep the turn until the response has been noted.
    pub async fn ready(&self) -> Turn<'_> {
        let tight = self.state().tight;
        let guard = if tight { Some(self.gate.lock().await) } else { None };
        // Until the latest hold has passed: a response noted while sleeping may have extended it.
        loop {
            let until = self.state().not_before;
            match until {
                Some(until) if until > Instant::now() => tokio::time::sleep_until(until).await,
                _ => return Turn(guard),
            }
        }
    }

    /// What a response said: hold calls for `wait` from now; none means the budget is roomy.
    pub fn note(&self, wait: Duration) {
        self.note_usage(wait, !wait.is_zero());
    }

    /// As `note`, and whether calls should go one at a time even without a wait: a budget half
    /// spent, shared by several accounts, would be overrun by their calls in flight together.
    pub fn note_usage(&self, wait: Duration, tight: bool) {
        let mut state = self.state();
        state.tight = tight || !wait.is_zero();
        if state.tight {
            let until = Instant::now() + wait;
            state.not_before = Some(state.not_before.map_or(until, |t| t.max(until)));
        }
    }
}

/// The paces of the budgets the engine's accounts draw on, by budget: accounts that share one
/// share its pace.
#[derive(Clone, Default)]
pub struct Paces(Arc<Mutex<HashMap<String, Arc<Pace>>>>);

impl Paces {
    pub(crate) fn get(&self, budget: &str) -> Arc<Pace> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).entry(budget.to_owned()).or_insert_with(|| Arc::new(Pace::new())).clone()
    }
}

/// Above this share of a Graph budget, calls slow down; at 100 % they wait a whole `full` pause.
const SLOW_FROM: f64 = 75.0;
/// From this share of a Graph budget, the accounts sharing it call one at a time.
const SINGLE_FROM: f64 = 50.0;

/// How long to hold calls after a Graph response with these headers: nothing below 75 % usage,
/// then a growing share of `full`, or what Meta says it takes to regain access.
/// Also whether the budget is at least half spent (see `Pace::note_usage`).
pub(crate) fn graph_usage(headers: &HeaderMap, full: Duration) -> (Duration, bool) {
    let mut percent: f64 = 0.0;
    let mut regain_minutes: f64 = 0.0;
    let mut note = |v: &serde_json::Value| {
        for key in ["call_count", "total_cputime", "total_time"] {
            percent = percent.max(v[key].as_f64().unwrap_or(0.0));
        }
        regain_minutes = regain_minutes.max(v["estimated_time_to_regain_access"].as_f64().unwrap_or(0.0));
    };
    let json = |name: &str| headers.get(name).and_then(|v| serde_json::from_slice::<serde_json::Value>(v.as_bytes()).ok());
    for name in ["x-app-usage", "x-page-usage", "x-ad-account-usage"] {
        if let Some(v) = json(name) {
            note(&v);
        }
    }
    if let Some(serde_json::Value::Object(by_id)) = json("x-business-use-case-usage") {
        for entries in by_id.values() {
            for entry in entries.as_array().into_iter().flatten() {
                note(entry);
            }
        }
    }
    let regain = Duration::from_secs_f64(regain_minutes.clamp(0.0, 24.0 * 60.0) * 60.0);
    let slow = if percent >= SLOW_FROM { full.mul_f64(((percent - SLOW_FROM) / (100.0 - SLOW_FROM)).min(1.0)) } else { Duration::ZERO };
    (regain.max(slow), percent >= SINGLE_FROM)
}

/// How long X asks to wait: until `x-rate-limit-reset` once no calls remain.
pub(crate) fn x_pause(headers: &HeaderMap) -> Duration {
    let number = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<i64>().ok());
    match (number("x-rate-limit-remaining"), number("x-rate-limit-reset")) {
        (Some(0), Some(reset)) => until(reset),
        _ => Duration::ZERO,
    }
}

/// From now until the Unix second `reset` (at most 15 minutes, X's window).
pub(crate) fn until(reset: i64) -> Duration {
    let now = jiff::Timestamp::now().as_millisecond();
    Duration::from_millis((reset * 1000 - now).clamp(0, 15 * 60 * 1000) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        pairs.iter().map(|(k, v)| (reqwest::header::HeaderName::from_static(k), v.parse().unwrap())).collect()
    }

    #[test]
    fn graph_usage_slows_calls_as_it_nears_the_limit() {
        let full = Duration::from_secs(10);
        let graph_pause = |h: &HeaderMap, full: Duration| graph_usage(h, full).0;
        assert_eq!(graph_usage(&headers(&[("x-app-usage", r#"{"call_count":40,"total_cputime":5,"total_time":5}"#)]), full), (Duration::ZERO, false));
        assert_eq!(graph_usage(&headers(&[("x-app-usage", r#"{"call_count":60,"total_cputime":5,"total_time":5}"#)]), full), (Duration::ZERO, true), "one at a time from half");
        assert_eq!(graph_pause(&headers(&[("x-app-usage", r#"{"call_count":90,"total_cputime":5,"total_time":5}"#)]), full), Duration::from_secs(6));
        let buc = r#"{"104":[{"type":"pages","call_count":20,"total_cputime":100,"total_time":3,"estimated_time_to_regain_access":0}]}"#;
        assert_eq!(graph_pause(&headers(&[("x-business-use-case-usage", buc)]), full), full);
        let regain = r#"{"104":[{"type":"pages","call_count":100,"total_cputime":1,"total_time":1,"estimated_time_to_regain_access":3}]}"#;
        assert_eq!(graph_pause(&headers(&[("x-business-use-case-usage", regain)]), full), Duration::from_secs(180));
        assert_eq!(graph_pause(&headers(&[("x-app-usage", "not json")]), full), Duration::ZERO);
    }

    #[test]
    fn x_waits_for_the_reset_once_nothing_remains() {
        let reset = (jiff::Timestamp::now().as_second() + 30).to_string();
        assert_eq!(x_pause(&headers(&[("x-rate-limit-remaining", "3"), ("x-rate-limit-reset", &reset)])), Duration::ZERO);
        let wait = x_pause(&headers(&[("x-rate-limit-remaining", "0"), ("x-rate-limit-reset", &reset)]));
        assert!(wait > Duration::from_secs(28) && wait <= Duration::from_secs(30), "{wait:?}");
    }
}
