//! Every command's request and response types. The TypeScript copies in ui/src/lib/generated/
//! are generated from these (`cargo xtask bindings`); a test fails when they are stale.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What the UI shows before anything else: which app, and whether its store is open.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct AppStatus {
    pub app: String,
    pub version: String,
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
}

/// An error as it crosses to the UI: a stable code the UI may act on, and a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    StoreLocked,
    NotFound,
    Invalid,
    Internal,
}

impl From<switchboard_core::Error> for ApiError {
    fn from(e: switchboard_core::Error) -> Self {
        use switchboard_core::Error as E;
        let code = match &e {
            E::WrongKey(_) | E::PassphraseRequired | E::Keychain(_) | E::KeyMissing => ErrorCode::StoreLocked,
            E::NotFound(_) | E::Missing { .. } => ErrorCode::NotFound,
            E::Invalid(_) => ErrorCode::Invalid,
            _ => ErrorCode::Internal,
        };
        ApiError { code, message: e.to_string() }
    }
}

/// Every exported type with the file it is generated into.
pub fn bindings() -> Vec<(&'static str, String)> {
    fn decl<T: TS + 'static>() -> String {
        T::export_to_string().expect("bindings render")
    }
    vec![
        ("AppStatus.ts", decl::<AppStatus>()),
        ("StoreStatus.ts", decl::<StoreStatus>()),
        ("StoreState.ts", decl::<StoreState>()),
        ("StoreCounts.ts", decl::<StoreCounts>()),
        ("ApiError.ts", decl::<ApiError>()),
        ("ErrorCode.ts", decl::<ErrorCode>()),
    ]
}
