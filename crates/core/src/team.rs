//! What a desk and the team's hub say to each other (docs/hub.md): the people of a team, an
//! enrolment, and pages of the hub's log. The log's records are interchange records
//! (`interchange`), kept as their JSON text until the desk reads them into their type.

use crate::model::{ConversationStatus, Priority};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// The version of this protocol; a hub answers with its own, and a desk refuses one it does not
/// speak.
pub const PROTOCOL: u32 = 1;

/// The longest page of the log a hub sends at once.
pub const LOG_PAGE_LIMIT: usize = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Agent,
    Supervisor,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Supervisor => "supervisor",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = crate::Error;
    fn from_str(s: &str) -> crate::Result<Role> {
        match s {
            "agent" => Ok(Role::Agent),
            "supervisor" => Ok(Role::Supervisor),
            other => Err(crate::Error::invalid(format!("a role is agent or supervisor, not {other:?}"))),
        }
    }
}

/// A person of the team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Person {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    pub name: String,
    pub role: Role,
}

/// A desk asks to join with the code a supervisor gave its person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrolRequest {
    pub code: String,
}

/// What a desk gets for a good code: the token it calls the hub with from now on (kept in the
/// OS keychain, never shown), and who it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Enrolled {
    pub token: String,
    pub person: Person,
    pub protocol: u32,
}

/// Who the caller is, and which protocol the hub speaks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Me {
    pub person: Person,
    pub protocol: u32,
}

/// A supervisor adds a person; the answer carries their one-time enrolment code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPerson {
    pub name: String,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonAdded {
    pub person: Person,
    /// Given once: the hub keeps only its hash.
    pub code: String,
    pub code_expires: jiff::Timestamp,
}

/// A record of the hub's log.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LogEntry {
    pub seq: i64,
    pub at: jiff::Timestamp,
    /// Who did it (a person's id); none for what a platform sent.
    pub actor: Option<i64>,
    /// An interchange record, as its JSON text.
    pub record: Box<RawValue>,
}

/// A page of the log after the cursor asked for, and the log's last number then.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LogPage {
    pub entries: Vec<LogEntry>,
    pub head: i64,
}

/// What went wrong, as the hub answers it: a code to act on, and a sentence for people.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    pub code: ProblemCode,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemCode {
    /// No token, an unknown one, or a removed person's.
    Unauthorized,
    /// A supervisor's call by an agent.
    Forbidden,
    NotFound,
    Invalid,
    /// Someone else has it (an assignment taken meanwhile), or a name is taken.
    Conflict,
    TooLarge,
    Internal,
}

/// The longest action key, note and tag a hub takes.
pub const KEY_LIMIT: usize = 128;
pub const NOTE_LIMIT: usize = 20_000;
pub const TAG_LIMIT: usize = 64;
pub const TAGS_LIMIT: usize = 50;

/// What an agent does to a conversation, sent to the hub with a key of its own (the same key
/// again is the same action, answered as the first time).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionRequest {
    pub key: String,
    pub account: String,
    pub conversation: String,
    pub action: Action,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// Hand the conversation from `expected` (who the asker saw has it; none: nobody) to `to`
    /// (none: nobody).
    Assign { expected: Option<String>, to: Option<String> },
    Status { status: ConversationStatus },
    Priority { priority: Priority },
    /// The whole new set of tags.
    Tags { tags: Vec<String> },
    /// An internal note, for the team only.
    Note { text: String },
    /// A reply to the customer, sent by the hub that runs the account; the request's key is the
    /// reply's idempotency key. The same key again after the reply failed asks for it again.
    Reply {
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        template: Option<crate::model::Template>,
        /// A reply, a private reply to a comment, or a request to hide one.
        #[serde(default = "reply_form")]
        form: crate::model::OutboxKind,
        /// The public message it is about (the comment a private reply answers or to hide).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        target: Option<String>,
    },
}

fn reply_form() -> crate::model::OutboxKind {
    crate::model::OutboxKind::Reply
}

/// The longest reply a hub takes (each channel's own limit is checked too).
pub const REPLY_LIMIT: usize = 100_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ActionOutcome {
    /// Done: the log holds it at `seq`.
    Done { seq: i64 },
    /// An assignment that found the conversation with someone other than the asker saw: `by`
    /// has it (none: nobody).
    Taken { by: Option<String> },
}

/// Where a desk's person is (`POST /presence`, every few seconds and on each change): at the
/// desk or away, the conversation open on it, and whether they are typing a reply in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PresenceUpdate {
    #[serde(default)]
    pub away: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub viewing: Option<ConversationName>,
    #[serde(default)]
    pub typing: bool,
}

/// A conversation as the team names it: its account and its id on the platform.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConversationName {
    pub account: String,
    pub conversation: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum PresenceState {
    Online,
    Away,
    /// No word from any of their desks for `PRESENCE_TTL`.
    Offline,
}

/// One teammate's presence (`GET /presence`), everyone on the team listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PresenceEntry {
    pub person: String,
    pub state: PresenceState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub viewing: Option<ConversationName>,
    #[serde(default)]
    pub typing: bool,
}

/// How long a desk's word keeps its person online (desks send it about every 15 s).
pub const PRESENCE_TTL: std::time::Duration = std::time::Duration::from_secs(45);
/// How long "typing" lasts without another keystroke's word.
pub const TYPING_TTL: std::time::Duration = std::time::Duration::from_secs(6);

/// Whether `text` mentions the teammate called `name`: `@` and the name (as on the team, case
/// aside), not running on into a longer word and not inside an address (`@Sam,` and `@sam`
/// mention Sam; `@Samuel` and `x@sam.io` do not).
pub fn mentions(text: &str, name: &str) -> bool {
    let name = name.trim();
    if name.is_empty() {
        return false;
    }
    let lower = text.to_lowercase();
    let wanted = format!("@{}", name.to_lowercase());
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == '.';
    lower.match_indices(&wanted).any(|(at, found)| {
        // Not inside an address (`sam@example.com`), nor running on into a longer name.
        let before = lower[..at].chars().next_back().is_none_or(|c| !word(c));
        let after = lower[at + found.len()..].chars().next().is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        before && after
    })
}

#[cfg(test)]
mod tests {
    use super::mentions;

    #[test]
    fn a_mention_is_at_and_the_whole_name() {
        assert!(mentions("@Sam can you check the refund?", "Sam"));
        assert!(mentions("Thanks @sam, and @Kim.", "Kim"));
        assert!(mentions("ask @Mina Park", "Mina Park"));
        assert!(!mentions("@Samuel has it", "Sam"));
        assert!(!mentions("Sam, can you check?", "Sam"));
        assert!(!mentions("mail sam@example.com", "example"));
        assert!(!mentions("@", ""));
    }
}
