//! Accounts and the outbox: a connected account as Settings shows it, and a reply on its way out.

use super::{AccountState, Channel, OutboxKind, OutboxState};
use serde::{Deserialize, Serialize};

/// A connected account. `config` holds connector settings; credentials live in the keychain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AccountView {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    pub key: String,
    pub channel: Channel,
    pub name: String,
    #[cfg_attr(feature = "ts", ts(type = "Record<string, unknown>"))]
    pub config: serde_json::Map<String, serde_json::Value>,
    pub state: AccountState,
    /// Why it is in that state, when that needs saying (offline, re-authentication, an error).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_detail: Option<String>,
}

/// One reply in the outbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OutboxItem {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub conversation_id: i64,
    /// The message that shows this reply in the thread.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub message_id: Option<i64>,
    pub idempotency_key: String,
    pub text: String,
    pub state: OutboxState,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub attempts: i64,
    pub last_error: Option<String>,
    /// The platform's id once it accepted the reply.
    pub external_id: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub next_attempt_at: jiff::Timestamp,
    /// When the reply last changed state (for `sending`: when it was handed over).
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub updated_at: jiff::Timestamp,
    /// Sent as this approved template instead of as free text.
    pub template: Option<Template>,
    pub kind: OutboxKind,
    /// The public message it is about: the post or comment a public reply answers, the comment a
    /// private reply answers or the comment to hide (the platform's id).
    pub target: Option<String>,
}

/// Where an email reply goes and how it threads; see `Store::email_reply`. Message-IDs are
/// without angle brackets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct EmailReply {
    pub to_address: String,
    pub to_name: Option<String>,
    pub subject: String,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
}

/// An approved message template (WhatsApp through Twilio: a Content SID) and its variables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Template {
    pub id: String,
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub variables: std::collections::BTreeMap<String, String>,
}

