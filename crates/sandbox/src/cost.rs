//! Shopify's cost bucket: points a query spends, refilled at a steady rate (the leaky bucket its
//! GraphQL Admin API meters with).

use std::time::Instant;

/// Shopify's standard plan: a bucket of 1000 points refilled at 50 a second.
pub(crate) const MAXIMUM: f64 = 1000.0;
pub(crate) const RESTORE_RATE: f64 = 50.0;

/// The cost bucket: points left at a moment.
pub(crate) struct Bucket {
    pub(crate) available: f64,
    at: Instant,
}

impl Default for Bucket {
    fn default() -> Self {
        Bucket { available: MAXIMUM, at: Instant::now() }
    }
}

impl Bucket {
    pub(crate) fn now(&mut self) -> f64 {
        let now = Instant::now();
        self.available = (self.available + now.duration_since(self.at).as_secs_f64() * RESTORE_RATE).min(MAXIMUM);
        self.at = now;
        self.available
    }

    pub(crate) fn drain(&mut self) {
        self.now();
        self.available = 0.0;
    }
}
