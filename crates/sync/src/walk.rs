//! A walk down a newest-first list (Twilio messages, Graph conversations, X DM events) back to
//! what is already stored. The cursor (JSON) holds the high-water mark and, during a walk, the
//! next page and the newest time the walk has seen: a crash resumes the walk instead of skipping
//! what it had not reached, and the mark moves only when the walk is complete.

use crate::wire::Pulled;
use crate::error::Error;
use serde::{Deserialize, Serialize};

/// Items stamped within this much of the high-water mark are read again: clocks and same-second
/// items make the edge fuzzy, and upserts make the overlap harmless.
pub(crate) const OVERLAP: i64 = 120;

#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct Walk {
    /// Every item stamped before this (Unix seconds, minus the overlap) is stored.
    since: i64,
    /// The next page of a walk in progress, in the platform's terms (a URL or a token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    next: Option<String>,
    /// The newest time this walk has seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    top: Option<i64>,
}

impl Walk {
    pub fn resume(cursor: Option<&str>, platform: &str) -> Result<Walk, Error> {
        match cursor {
            Some(c) => serde_json::from_str(c).map_err(|_| Error::Malformed(format!("stored {platform} cursor is unreadable"))),
            None => Ok(Walk::default()),
        }
    }

    pub fn next_page(&self) -> Option<&str> {
        self.next.as_deref()
    }

    /// The high-water mark, once a first walk has completed.
    pub fn since(&self) -> Option<i64> {
        (self.since > 0).then_some(self.since)
    }

    /// Whether an item stamped `at` is older than everything this walk must read.
    pub fn known(&self, at: i64) -> bool {
        self.since > 0 && at < self.since - OVERLAP
    }

    pub fn saw(&mut self, at: i64) {
        self.top = Some(self.top.unwrap_or(0).max(at));
    }

    /// Takes an item stamped `at` into the walk; `false` when it is already stored, which ends
    /// the walk (the list is newest first).
    pub fn take(&mut self, at: i64) -> bool {
        if self.known(at) {
            return false;
        }
        self.saw(at);
        true
    }

    /// A page is done: go on to `next`, unless the walk reached stored items or the list's end.
    pub fn turn_page(&mut self, next: Option<String>, reached_known: bool) {
        match next {
            Some(next) if !reached_known => self.next = Some(next),
            _ => {
                self.since = self.top.unwrap_or(self.since).max(self.since);
                self.next = None;
                self.top = None;
            }
        }
    }

    /// The page the walk was on is gone (an expired token or cursor): the pull that starts the
    /// walk again from the top.
    pub fn restart(mut self) -> Pulled {
        self.next = None;
        self.top = None;
        Pulled { records: vec![], cursor: self.save(), caught_up: false, skipped: 0 }
    }

    pub fn caught_up(&self) -> bool {
        self.next.is_none()
    }

    pub fn save(&self) -> String {
        serde_json::to_string(self).expect("a walk serialises")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mark_moves_only_when_a_walk_completes() {
        let mut walk = Walk::resume(None, "test").unwrap();
        walk.saw(1000);
        walk.turn_page(Some("page2".into()), false);
        assert_eq!((walk.since(), walk.next_page()), (None, Some("page2")));
        let mut resumed = Walk::resume(Some(&walk.save()), "test").unwrap();
        resumed.saw(900);
        resumed.turn_page(None, false);
        assert_eq!((resumed.since(), resumed.caught_up()), (Some(1000), true));
        assert!(resumed.known(1000 - OVERLAP - 1) && !resumed.known(1000 - OVERLAP));
        assert!(Walk::resume(Some("{bad"), "test").is_err());
    }
}
