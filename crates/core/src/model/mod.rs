//! The ground floor: the domain's plain types, shared by the interchange format, the SLA engine,
//! rules, templates, the store and everything above. It imports nothing of the crate but its
//! error type.
//!
//! Enumerations are stored as their snake_case names, so the database stays readable with the
//! key and survives reordering of variants.

mod clock;
mod conversation;
mod customer;
mod email;
mod outbox;
mod profile;
pub mod time;

pub use clock::{Clock, ClockKind, ClockState};
pub use conversation::{handoffs, Attachment, Handoff, History, InboxCursor, InboxFilter, InboxRow, MessageCursor, MessageView, NoteView, PostView, Thread};
pub use customer::{ContactEdit, ContactView, IdentityView, MergeView, OrderItem, OrderView, Tracking};
pub use profile::CustomerProfile;
pub use email::{EmailRecord, Fold, FoldKind};
pub use outbox::{AccountView, EmailReply, OutboxItem, Template};

use serde::{Deserialize, Serialize};

macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
        pub enum $name { $(#[serde(rename = $text)] $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = crate::Error;
            fn from_str(s: &str) -> crate::Result<Self> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(crate::Error::invalid(format!(
                        concat!("unknown ", stringify!($name), " {:?}; expected one of: {}"),
                        s,
                        [$($text),+].join(", ")
                    ))),
                }
            }
        }

        impl rusqlite::types::ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
                Ok(self.as_str().into())
            }
        }

        impl rusqlite::types::FromSql for $name {
            fn column_result(v: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
                v.as_str()?.parse().map_err(|e: crate::Error| rusqlite::types::FromSqlError::Other(e.into()))
            }
        }
    };
}

text_enum!(
    /// The channel a conversation happens on; the badge the agent sees. `Facebook` is a Page's
    /// posts and their comments (its private messages are `Messenger`). `Hub` is no channel of
    /// conversations: it is the team's hub, which a desk follows as an account (team mode).
    Channel {
        Messenger = "messenger",
        Instagram = "instagram",
        Whatsapp = "whatsapp",
        Sms = "sms",
        Telegram = "telegram",
        X = "x",
        Email = "email",
        Webchat = "webchat",
        Facebook = "facebook",
        Hub = "hub",
    }
);

text_enum!(Direction { In = "in", Out = "out" });

text_enum!(
    /// Who wrote a message. `Bot` covers any automation, so handoffs can show the bot's part.
    AuthorKind { Customer = "customer", Agent = "agent", Bot = "bot", System = "system" }
);

text_enum!(ConversationStatus { Open = "open", Pending = "pending", OnHold = "on_hold", Solved = "solved" });

text_enum!(Priority { Low = "low", Normal = "normal", High = "high", Urgent = "urgent" });

text_enum!(
    /// Where a message stands: received from the customer, or an agent's reply on its way out.
    DeliveryState {
        Received = "received",
        Queued = "queued",
        Sent = "sent",
        Delivered = "delivered",
        Read = "read",
        Failed = "failed",
    }
);

text_enum!(AttachmentKind { Image = "image", Video = "video", Audio = "audio", File = "file", Sticker = "sticker" });

text_enum!(
    /// What an account's sync is doing, as the agent sees it in Settings.
    AccountState {
        Idle = "idle",
        Syncing = "syncing",
        Offline = "offline",
        NeedsReauth = "needs_reauth",
        Error = "error",
    }
);

text_enum!(
    /// A reply's way out: written (`queued`), handed to the platform (`sending`), accepted with
    /// a platform id (`sent`), or refused for good (`failed`).
    OutboxState { Queued = "queued", Sending = "sending", Sent = "sent", Failed = "failed" }
);

text_enum!(
    /// What an outbox item asks the platform to do: post a reply in its conversation, answer a
    /// public comment in private (Messenger's and Instagram's private replies), or hide a public
    /// comment. Hiding is the strongest action on customer content: nothing is ever deleted.
    OutboxKind { Reply = "reply", PrivateReply = "private_reply", Hide = "hide" }
);

text_enum!(
    /// Why a public comment is hidden: the only reasons there are. Criticism is answered, never
    /// hidden; `privacy` protects a customer who posted their own card number or code.
    HideReason { Spam = "spam", Abuse = "abuse", Privacy = "privacy" }
);

/// An account's key as written in the interchange format: `<channel>:<handle>`, e.g.
/// `messenger:acme-page`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AccountKey {
    pub channel: Channel,
    pub handle: String,
}

impl AccountKey {
    pub fn parse(s: &str) -> crate::Result<Self> {
        let (channel, handle) = s.split_once(':').ok_or_else(|| {
            crate::Error::invalid(format!("account {s:?} must look like <channel>:<handle>, e.g. messenger:acme-page"))
        })?;
        if handle.is_empty() {
            return Err(crate::Error::invalid(format!("account {s:?} has an empty handle")));
        }
        Ok(AccountKey { channel: channel.parse()?, handle: handle.to_owned() })
    }
}

impl std::fmt::Display for AccountKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.channel, self.handle)
    }
}

/// The start of a message on one line, as the inbox row and a notification show it: spaces
/// collapsed, at most 140 characters.
pub fn preview(text: &str) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(140) {
        Some((cut, _)) => format!("{}…", &flat[..cut]),
        None => flat,
    }
}

/// Text safe to print on a terminal or in a plain-text file: control characters other than
/// newline and tab (terminal escape sequences among them) become U+FFFD, so customer text
/// can never drive the agent's terminal.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    let bad = |c: char| c.is_control() && c != '\n' && c != '\t';
    if text.chars().any(bad) {
        std::borrow::Cow::Owned(text.chars().map(|c| if bad(c) { '\u{FFFD}' } else { c }).collect())
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn printable_neutralises_terminal_escapes() {
        assert_eq!(super::printable("hi\x1b[2J\x07 there\n\tok"), "hi\u{FFFD}[2J\u{FFFD} there\n\tok");
        assert!(matches!(super::printable("plain 한글"), std::borrow::Cow::Borrowed(_)));
    }
}
