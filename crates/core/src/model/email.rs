//! What only an email has, as stored and as the thread shows it.

use serde::{Deserialize, Serialize};

/// The email side of a message. `raw` is the message exactly as received (base64), so an
/// export can give it back byte for byte.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct EmailRecord {
    /// The Message-ID header, without angle brackets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub in_reply_to: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The HTML body, sanitised (see `email::sanitise_html`); the store sanitises it again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub remote_images_blocked: bool,
    /// Parts of the text body a reader folds away.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub folds: Vec<Fold>,
    /// What could not be read, when something could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum FoldKind {
    Quote,
    Signature,
}

/// A byte range of a message's text that the UI folds: quoted history or a signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Fold {
    pub kind: FoldKind,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub start: usize,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub end: usize,
}

