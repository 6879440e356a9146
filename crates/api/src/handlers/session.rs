//! The app and its store: what the UI shows before anything else, unlocking, the demo.

use crate::context::{Closed, Context};
use crate::error::Result;
use crate::events::Event;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What the UI shows before anything else: which app, and whether its store is open.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct AppStatus {
    pub app: String,
    pub version: String,
    /// The agent at this desk, as "Mine" and "assign to me" name them.
    pub agent: String,
    pub store: StoreStatus,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct StoreStatus {
    pub state: StoreState,
    pub path: String,
    /// Why the store is locked or cannot be opened; one line, never a secret.
    pub message: Option<String>,
    pub counts: Option<StoreCounts>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum StoreState {
    /// Open and decrypted.
    Unlocked,
    /// Present, but no key is at hand (no keychain answered, no passphrase given).
    Locked,
    /// No store yet at that path.
    Missing,
    /// Present but cannot be opened: wrong key, damaged, newer version, read-only…
    Error,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct StoreCounts {
    #[ts(type = "number")]
    pub conversations: i64,
    #[ts(type = "number")]
    pub messages: i64,
    /// Unread customer messages over every conversation.
    #[ts(type = "number")]
    pub unread: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct StatusRequest {}

#[derive(Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct UnlockRequest {
    pub passphrase: String,
}

impl std::fmt::Debug for UnlockRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UnlockRequest { passphrase: [redacted] }")
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct StartDemoRequest {}

pub(crate) fn status(cx: &Context, _: StatusRequest) -> Result<AppStatus> {
    let (state, message, counts) = match cx.db() {
        Ok(db) => {
            let counts = db.read(|s| {
                let stats = s.stats()?;
                let count = |t: &str| stats.iter().find(|s| s.table == t).map(|s| s.rows).unwrap_or(0);
                Ok(StoreCounts { conversations: count("conversations"), messages: count("messages"), unread: s.unread_total()? })
            })?;
            (StoreState::Unlocked, None, Some(counts))
        }
        Err(_) => {
            let (closed, message) = cx.problem().unwrap_or((Closed::Failed, "the store is not open".into()));
            let state = match closed {
                Closed::Missing => StoreState::Missing,
                Closed::Locked => StoreState::Locked,
                Closed::Failed => StoreState::Error,
            };
            (state, Some(message), None)
        }
    };
    Ok(AppStatus {
        app: "Switchboard".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        agent: cx.me(),
        store: StoreStatus { state, path: cx.path.display().to_string(), message, counts },
    })
}

/// Opens a locked store with its passphrase, or creates the store with it when there is none
/// yet; the sync starts.
pub(crate) fn unlock(cx: &Context, r: UnlockRequest) -> Result<AppStatus> {
    if r.passphrase.is_empty() {
        return Err(crate::error::ApiError::invalid("enter the passphrase"));
    }
    if cx.unlock(r.passphrase)? {
        cx.emit(Event::StoreOpened);
        cx.request_sync(false, false);
    }
    status(cx, StatusRequest {})
}

/// Syncs the demo's platforms (first run: "try it with demo data").
pub(crate) fn start_demo(cx: &Context, _: StartDemoRequest) -> Result<()> {
    cx.db()?;
    if cx.demo.is_none() {
        return Err(crate::error::ApiError::new(crate::error::ErrorCode::NotAllowed, "this build of Switchboard comes without demo data"));
    }
    cx.request_sync(true, false);
    Ok(())
}
