//! The interchange format: JSON Lines, one record a line, `kind` naming the record. Import is
//! an upsert on each record's natural key, so re-importing a file changes nothing; a malformed
//! line is reported with its number and skipped. See docs/interchange.md.

use crate::model::{AttachmentKind, AuthorKind, Channel, ConversationStatus, DeliveryState, Direction, Priority};
pub use crate::model::{EmailRecord, Fold, FoldKind, OrderItem, Tracking};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record {
    Account(AccountRecord),
    Tag(TagRecord),
    Calendar(CalendarRecord),
    SlaPolicy(SlaPolicyRecord),
    Rule(RuleRecord),
    CannedReply(CannedReplyRecord),
    Contact(ContactRecord),
    Conversation(ConversationRecord),
    Message(MessageRecord),
    PublicThread(PublicThreadRecord),
    Note(NoteRecord),
    Order(OrderRecord),
    Person(PersonRecord),
    Assignment(AssignmentRecord),
    ConversationChange(ConversationChangeRecord),
    Reply(ReplyRecord),
    AutoAssignment(AutoAssignmentRecord),
}

impl Record {
    /// What names this record among all others (its kind and natural key), for the state it
    /// describes; none for an event (an assignment, a change), which says what happened once and
    /// may rightly happen again.
    pub fn natural_key(&self) -> Option<String> {
        let key = |parts: &[&str]| Some(parts.join("\u{1f}"));
        match self {
            Record::Account(r) => key(&["account", &r.account]),
            Record::Tag(r) => key(&["tag", &r.name]),
            Record::Calendar(r) => key(&["calendar", &r.name]),
            Record::SlaPolicy(r) => key(&["sla_policy", &r.name]),
            Record::Rule(r) => key(&["rule", &r.name]),
            Record::CannedReply(r) => key(&["canned_reply", &r.shortcut]),
            Record::Contact(r) => key(&["contact", &r.id]),
            Record::Conversation(r) => key(&["conversation", &r.account, &r.id]),
            Record::Message(r) => key(&["message", &r.account, &r.id]),
            Record::PublicThread(r) => key(&["public_thread", &r.account, &r.conversation]),
            Record::Note(r) => key(&["note", &r.id]),
            Record::Order(r) => key(&["order", &r.shop, &r.id]),
            Record::Person(r) => key(&["person", &r.id.to_string()]),
            Record::Reply(r) => key(&["reply", &r.key]),
            Record::AutoAssignment(_) => key(&["auto_assignment"]),
            Record::Assignment(_) | Record::ConversationChange(_) => None,
        }
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}
fn is_zero(n: &i64) -> bool {
    *n == 0
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountRecord {
    /// `<channel>:<handle>`
    pub account: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Connector settings. Never credentials: those belong in the OS keychain.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub config: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagRecord {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityRecord {
    pub account: String,
    pub handle: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactRecord {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The agents' notes about the customer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identities: Vec<IdentityRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<jiff::Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConversationRecord {
    pub account: String,
    pub id: String,
    /// The contact's `id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(default = "default_status")]
    pub status: ConversationStatus,
    #[serde(default = "default_priority")]
    pub priority: Priority,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub public: bool,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub unread: i64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<jiff::Timestamp>,
}

fn default_status() -> ConversationStatus {
    ConversationStatus::Open
}
fn default_priority() -> Priority {
    Priority::Normal
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Author {
    pub kind: AuthorKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The author's handle on the account's channel (PSID, phone number, chat id, address…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handle: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachmentRecord {
    pub kind: AttachmentKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<i64>,
    /// The platform's id for the file, where it hands files out by id rather than by link
    /// (Telegram's `file_id`): the app asks the platform for it to show it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_id: Option<String>,
}

/// What makes a conversation a public thread: the post it hangs under (if any) and the comments
/// in it that are hidden. Sync sends one with each pull that sees the thread; it never touches
/// the conversation's status, priority or assignee. A message named in `hidden` that is not
/// stored yet is ignored; a hidden comment stays hidden when the platform does not say so
/// (the agent's decision may not have reached it yet).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicThreadRecord {
    pub account: String,
    pub conversation: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post: Option<PostRecord>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hidden: Vec<HiddenRecord>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostRecord {
    pub id: String,
    #[serde(default)]
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub at: jiff::Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HiddenRecord {
    /// The message's id on the account.
    pub message: String,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<jiff::Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageRecord {
    pub account: String,
    pub conversation: String,
    pub id: String,
    pub direction: Direction,
    pub author: Author,
    #[serde(default)]
    pub text: String,
    pub at: jiff::Timestamp,
    /// Defaults to `received` for incoming and `sent` for outgoing messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<DeliveryState>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<AttachmentRecord>,
    /// What only an email has: threading headers, sanitised HTML, folds, the raw message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Box<EmailRecord>>,
}

impl MessageRecord {
    pub fn delivery(&self) -> DeliveryState {
        self.delivery.unwrap_or(match self.direction {
            Direction::In => DeliveryState::Received,
            Direction::Out => DeliveryState::Sent,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoteRecord {
    pub id: String,
    pub account: String,
    pub conversation: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    pub text: String,
    pub at: jiff::Timestamp,
}

/// A teammate, as the team's hub names them (team mode).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonRecord {
    /// The hub's id for them.
    pub id: i64,
    pub name: String,
    pub role: crate::team::Role,
    /// No longer on the team (the log still names them).
    #[serde(default, skip_serializing_if = "is_false")]
    pub removed: bool,
}

/// Who has a conversation now (team mode); no assignee: nobody.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignmentRecord {
    pub account: String,
    pub conversation: String,
    #[serde(default)]
    pub assignee: Option<String>,
    /// Who handed it on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

/// What an agent changed on a conversation (team mode): only the fields given change, and
/// `tags` is the whole new set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConversationChangeRecord {
    pub account: String,
    pub conversation: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ConversationStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

/// The team's auto-assignment (team mode), as a supervisor set it: when on, the hub hands the
/// conversation waiting longest to the online agent with the fewest open conversations, up to
/// `capacity` each.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct AutoAssignmentRecord {
    pub enabled: bool,
    /// Open conversations an agent is given at most.
    pub capacity: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

/// A reply on its way out through the team's hub (team mode), as it stands: the hub appends one
/// when an agent sends it and again at each step (handed to the platform, sent with the
/// platform's id, waiting to be tried again, failed with why), so every desk's outbox and thread
/// show where it is, and a hub that takes the account over knows which replies were handed over
/// before the crash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyRecord {
    /// The idempotency key the agent's desk gave it.
    pub key: String,
    pub account: String,
    pub conversation: String,
    /// What the thread shows (for a template, its id and variables).
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<crate::model::Template>,
    #[serde(default = "reply_kind", skip_serializing_if = "is_reply")]
    pub kind: crate::model::OutboxKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    pub state: crate::model::OutboxState,
    /// How many times it was handed to the platform.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub attempts: i64,
    /// The platform's id once it took the reply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Why it failed, or why it waits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// When it was written.
    pub at: jiff::Timestamp,
    /// When a reply that waits is tried again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_at: Option<jiff::Timestamp>,
}

fn reply_kind() -> crate::model::OutboxKind {
    crate::model::OutboxKind::Reply
}
fn is_reply(kind: &crate::model::OutboxKind) -> bool {
    *kind == crate::model::OutboxKind::Reply
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderRecord {
    pub shop: String,
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<String>,
    pub number: String,
    pub at: jiff::Timestamp,
    pub currency: String,
    /// Decimal text, e.g. "129.00".
    pub total: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub financial_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fulfillment_status: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<OrderItem>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tracking: Vec<Tracking>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CannedVariant {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum CannedAction {
    SetStatus(ConversationStatus),
    AddTag(String),
    SetPriority(Priority),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CannedReplyRecord {
    pub shortcut: String,
    pub title: String,
    pub variants: Vec<CannedVariant>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<CannedAction>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CalendarRecord {
    pub name: String,
    /// An IANA time zone, e.g. "Asia/Seoul".
    pub time_zone: String,
    /// Opening hours per weekday (`mon` … `sun`), as `[["09:00","18:00"], …]`.
    pub hours: BTreeMap<String, Vec<[String; 2]>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "ts", ts(type = "Array<string>"))]
    pub holidays: Vec<jiff::civil::Date>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SlaPolicyRecord {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_reply_minutes: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_reply_minutes: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution_minutes: Option<u32>,
    /// The business calendar's name; none: around the clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<String>,
    /// Only for conversations with one of these tags (none: any).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Only for customers with one of these statuses, e.g. `vip` (none: any).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub customer_statuses: Vec<String>,
}

/// A triage condition. All of a rule's conditions must hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Condition {
    ChannelIn(Vec<Channel>),
    /// Any of these words or phrases, case-insensitive, as whole words.
    TextContainsAny(Vec<String>),
    /// A regular expression (Rust `regex` syntax, case-insensitive) that the text matches.
    TextMatches(String),
    CustomerStatusIn(Vec<String>),
    /// The customer's preferred language is one of these (`ko` matches `ko-KR`).
    LanguageIn(Vec<String>),
    Public(bool),
    PriorityIn(Vec<Priority>),
    /// Within (true) or outside (false) the opening hours of this business calendar.
    BusinessHours { calendar: String, open: bool },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum RuleAction {
    SetPriority(Priority),
    AddTag(String),
    Assign(String),
    /// Tags the conversation `needs-private`: the answer belongs in a DM or email.
    NeedsPrivateChannel,
    /// Solves the conversation: nothing is owed (a thank-you, a passing mention).
    NoReplyNeeded,
    /// Counts the message towards an incident with this key: when several customers report it
    /// within an hour, their conversations are tagged `incident:<key>` and raised to high.
    Incident(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RuleRecord {
    pub name: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub position: i64,
    #[serde(default = "default_true")]
    pub enabled: bool,
    pub conditions: Vec<Condition>,
    pub actions: Vec<RuleAction>,
}

fn default_true() -> bool {
    true
}

/// A line that could not be imported.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineError {
    pub line: usize,
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ImportReport {
    /// Records read and applied (changed or not).
    pub records: usize,
    /// Records that changed the store.
    pub changed: usize,
    pub errors: Vec<LineError>,
}

/// What an export covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportScope {
    All,
    Conversation(i64),
    /// The canned-reply library alone, to share it between stores.
    CannedReplies,
}


#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_minimal_message_line_parses() {
        let line = r#"{"kind":"message","account":"messenger:acme-page","conversation":"t_100","id":"m_1","direction":"in","author":{"kind":"customer","name":"Lena Ortiz","handle":"6120001"},"text":"Where is order 1043?","at":"2026-03-04T10:15:00Z"}"#;
        let Record::Message(m) = serde_json::from_str(line).unwrap() else { panic!("not a message") };
        assert_eq!(m.author.kind, AuthorKind::Customer);
        assert_eq!(m.delivery(), DeliveryState::Received);
        assert_eq!(m.at.to_string(), "2026-03-04T10:15:00Z");
    }

    #[test]
    fn unknown_fields_and_kinds_are_rejected() {
        assert!(serde_json::from_str::<Record>(r#"{"kind":"tag","name":"a","colour":"red"}"#).is_err());
        assert!(serde_json::from_str::<Record>(r#"{"kind":"spaceship"}"#).is_err());
    }
}
