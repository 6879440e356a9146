//! Instants as the store keeps them: milliseconds since the Unix epoch.

pub fn to_ms(t: jiff::Timestamp) -> i64 {
    t.as_millisecond()
}

/// An instant read back; a value out of range (a damaged row) reads as the epoch.
pub fn from_ms(ms: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_millisecond(ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

pub fn now_ms() -> i64 {
    to_ms(jiff::Timestamp::now())
}
