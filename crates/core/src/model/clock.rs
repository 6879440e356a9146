//! An SLA clock as the inbox, the thread and the board show it (worked out by `sla`).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ClockKind {
    FirstReply,
    NextReply,
    Resolution,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ClockState {
    /// Running.
    Active,
    /// Stopped while the conversation waits on the customer (pending, on hold).
    Paused,
    /// Met in time.
    Achieved,
    /// Past its target, met late or not yet.
    Breached,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Clock {
    pub kind: ClockKind,
    pub state: ClockState,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub target_minutes: u32,
    /// Business time left, in seconds; negative once breached.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub remaining_seconds: i64,
    /// When it breaches (or breached), if it runs on: none while paused or once met.
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub breach_at: Option<Timestamp>,
}

impl Clock {
    /// Running and due first sorts first; met clocks last.
    pub fn urgency(&self) -> (u8, i64) {
        match self.state {
            ClockState::Breached if self.breach_at.is_some() => (0, self.remaining_seconds),
            ClockState::Active => (1, self.remaining_seconds),
            ClockState::Paused => (2, self.remaining_seconds),
            _ => (3, 0),
        }
    }
}
