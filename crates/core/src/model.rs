//! Domain types shared by the store, the interchange format and (later) the sync engine.
//!
//! Enumerations are stored as their snake_case names, so the database stays readable with the
//! key and survives reordering of variants.

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
    /// posts and their comments (its private messages are `Messenger`).
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

/// One row of the inbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct InboxRow {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    pub account: String,
    pub channel: Channel,
    pub external_id: String,
    pub customer: Option<String>,
    pub subject: Option<String>,
    pub preview: Option<String>,
    pub status: ConversationStatus,
    pub priority: Priority,
    pub assignee: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub unread: i64,
    pub public: bool,
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub last_message_at: Option<jiff::Timestamp>,
    /// When the oldest customer message still waiting for an answer arrived.
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub waiting_since: Option<jiff::Timestamp>,
    /// Public, with sensitive data from the customer in it (see `privacy`).
    #[serde(default)]
    pub sensitive: bool,
    /// Its most urgent SLA clock, as of when the row was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock: Option<crate::sla::Clock>,
}

/// Which conversations an inbox page shows.
#[derive(Debug, Clone, Default)]
pub struct InboxFilter {
    pub channel: Option<Channel>,
    pub status: Option<ConversationStatus>,
    pub assignee: Option<String>,
    pub unassigned: bool,
    pub contact_id: Option<i64>,
    pub tag: Option<String>,
    /// Only conversations whose last activity is older than this (keyset paging).
    pub before: Option<(jiff::Timestamp, i64)>,
    pub limit: usize,
    /// The next SLA breach first (breached ones first of all), instead of the newest activity.
    pub by_breach: bool,
    /// Only public threads (true) or only private conversations (false).
    pub public: Option<bool>,
}

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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Attachment {
    pub kind: AttachmentKind,
    pub name: Option<String>,
    pub mime: Option<String>,
    pub url: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub size: Option<i64>,
    /// The platform's id for the file where it gives no link (Telegram): the app can fetch it.
    pub file_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MessageView {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    pub external_id: String,
    pub channel: Channel,
    pub direction: Direction,
    pub author_kind: AuthorKind,
    pub author_name: Option<String>,
    pub text: String,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub at: jiff::Timestamp,
    pub delivery: DeliveryState,
    pub attachments: Vec<Attachment>,
    /// An email's headers, sanitised HTML, folds and parse warning (without the raw message).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<crate::interchange::EmailRecord>,
    /// The conversation it belongs to (a customer's timeline spans several).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub conversation_id: i64,
    /// A public comment hidden from everyone but its author (never deleted), and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hidden: Option<String>,
}

/// The public post a public thread hangs under: the business's Facebook post or Instagram
/// media, or the tweet an X mention answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PostView {
    pub external_id: String,
    pub text: String,
    pub author: Option<String>,
    pub url: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub at: jiff::Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ContactView {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    pub uid: String,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub language: Option<String>,
    pub time_zone: Option<String>,
    pub status: Option<String>,
}

/// One of a customer's handles: who they are on one account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct IdentityView {
    pub account: String,
    pub channel: Channel,
    pub handle: String,
    pub display_name: Option<String>,
}

/// An order from the shop, as cached in the store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OrderView {
    pub shop: String,
    pub external_id: String,
    pub number: String,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub placed_at: jiff::Timestamp,
    pub currency: String,
    /// Decimal text: money is never a float.
    pub total: String,
    pub financial_status: Option<String>,
    pub fulfillment_status: Option<String>,
    pub items: Vec<crate::interchange::OrderItem>,
    pub tracking: Vec<crate::interchange::Tracking>,
}

/// A merge that can be undone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MergeView {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    /// The customer that was merged in.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub absorbed_id: i64,
    pub absorbed_name: String,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub merged_at: jiff::Timestamp,
    pub merged_by: Option<String>,
}

/// Everything the profile panel shows about one customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CustomerProfile {
    pub contact: ContactView,
    pub tags: Vec<String>,
    pub notes: Option<String>,
    pub identities: Vec<IdentityView>,
    /// Every conversation with this customer, newest first.
    pub conversations: Vec<InboxRow>,
    /// Newest first.
    pub orders: Vec<OrderView>,
    /// When the orders were last looked up in the shop, and why that failed if it did.
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub orders_checked_at: Option<jiff::Timestamp>,
    pub orders_error: Option<String>,
    /// Merges into this customer, newest first.
    pub merges: Vec<MergeView>,
}

/// A customer's editable fields, all at once: `None` clears a field.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ContactEdit {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// A language tag such as `ko` or `en-GB`.
    pub language: Option<String>,
    /// An IANA time zone such as `Asia/Seoul`.
    pub time_zone: Option<String>,
    /// e.g. `vip`, `blocked`.
    pub status: Option<String>,
    pub tags: Vec<String>,
    pub notes: Option<String>,
}

/// An internal note on a conversation: never sent to the customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NoteView {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub conversation_id: i64,
    pub author: Option<String>,
    pub text: String,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub at: jiff::Timestamp,
}

/// A conversation opened: the conversation, its customer, and its latest messages in time order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Thread {
    pub conversation: InboxRow,
    pub contact: Option<ContactView>,
    pub tags: Vec<String>,
    pub messages: Vec<MessageView>,
    /// Internal notes on the conversations shown, oldest first.
    pub notes: Vec<NoteView>,
    /// Where a bot talked before a person took over (see `handoffs`).
    pub handoffs: Vec<Handoff>,
    /// Whether older messages exist than the ones returned.
    pub has_older: bool,
    /// For a public thread, the post it is under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post: Option<PostView>,
}

/// A bot's part of a conversation, ended by a person taking over: the messages from `first` to
/// `last` (ids, in the thread's order) fold under one line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Handoff {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub first: i64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub last: i64,
    pub messages: u32,
    /// The customer's first words to the bot.
    pub asked: Option<String>,
    /// What the customer told the bot after that, one preview each.
    pub collected: Vec<String>,
}

/// The bot parts of `messages` (in time order) that a person took over. Between two agent
/// messages of a conversation, a stretch with bot messages followed by an agent's message folds
/// from its start to the bot's last message; customer messages after that stay in view, since
/// they are what the agent is answering.
pub fn handoffs(messages: &[MessageView]) -> Vec<Handoff> {
    let mut found = Vec::new();
    let mut start = 0;
    for (i, m) in messages.iter().enumerate() {
        let boundary = i > 0 && messages[i - 1].conversation_id != m.conversation_id;
        if boundary {
            start = i;
        }
        if m.author_kind != AuthorKind::Agent {
            continue;
        }
        let stretch = &messages[start..i];
        if let Some(last_bot) = stretch.iter().rposition(|x| x.author_kind == AuthorKind::Bot) {
            let folded = &stretch[..=last_bot];
            let mut said = folded.iter().filter(|x| x.author_kind == AuthorKind::Customer).map(|x| preview(&x.text)).filter(|t| !t.is_empty());
            let asked = said.next();
            found.push(Handoff {
                first: folded[0].id,
                last: folded[last_bot].id,
                messages: folded.len() as u32,
                asked,
                collected: said.map(|t| t.chars().take(60).collect()).collect(),
            });
        }
        start = i + 1;
    }
    found
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
    fn a_bots_part_folds_up_to_its_last_message_once_a_person_answers() {
        use super::*;
        let m = |id: i64, kind: AuthorKind, text: &str| MessageView {
            id,
            external_id: id.to_string(),
            channel: Channel::Sms,
            direction: if kind == AuthorKind::Customer { Direction::In } else { Direction::Out },
            author_kind: kind,
            author_name: None,
            text: text.into(),
            at: jiff::Timestamp::UNIX_EPOCH,
            delivery: DeliveryState::Sent,
            attachments: vec![],
            email: None,
            conversation_id: 1,
            hidden: None,
        };
        use AuthorKind::{Agent, Bot, Customer};
        let thread = [
            m(1, Bot, "Hi! What can I help with?"),
            m(2, Customer, "Where is my parcel?"),
            m(3, Bot, "Your order number?"),
            m(4, Customer, "1043"),
            m(5, Bot, "Connecting you to a person."),
            m(6, Customer, "hello??"),
            m(7, Agent, "Hi, Mina here."),
            m(8, Customer, "thanks"),
        ];
        assert_eq!(
            handoffs(&thread),
            [Handoff { first: 1, last: 5, messages: 5, asked: Some("Where is my parcel?".into()), collected: vec!["1043".into()] }]
        );
        // Nobody took over yet: nothing folds.
        assert!(handoffs(&thread[..6]).is_empty());
    }

    #[test]
    fn printable_neutralises_terminal_escapes() {
        assert_eq!(super::printable("hi\x1b[2J\x07 there\n\tok"), "hi\u{FFFD}[2J\u{FFFD} there\n\tok");
        assert!(matches!(super::printable("plain 한글"), std::borrow::Cow::Borrowed(_)));
    }
}
