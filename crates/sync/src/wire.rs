//! What every connector shares, below all of them: reading a platform's answer without ever
//! quoting it, one record at a time, and the records and settings every channel makes and reads.

use crate::error::Error;
use switchboard_core::error::describe_json;
use switchboard_core::interchange::{Author, Record};
use switchboard_core::model::{AccountView, AuthorKind, Direction};

/// One pull: records to store, and the cursor to store with them.
#[derive(Debug)]
pub struct Pulled {
    pub records: Vec<Record>,
    pub cursor: String,
    /// Nothing more is waiting right now.
    pub caught_up: bool,
    /// Records the platform sent that could not be read; skipped (and logged without content).
    pub skipped: usize,
}

pub(crate) fn setting<'a>(account: &'a AccountView, name: &str) -> Result<&'a str, Error> {
    account.config.get(name).and_then(|v| v.as_str()).filter(|s| !s.is_empty()).ok_or_else(|| Error::Config {
        account: account.key.clone(),
        problem: format!("setting {name:?} is missing"),
    })
}

/// A record of a page as the platform sent it, read on its own (see `readable`): kept as its text,
/// not a `serde_json::Value` tree, which cost the connectors most of their time in a sync.
pub(crate) type Raw = Box<serde_json::value::RawValue>;

/// A platform's record as `T`, or `None` when it cannot be read: counted in `skipped` and logged
/// with what was wrong but never with the record's content.
pub(crate) fn readable<T: serde::de::DeserializeOwned>(raw: Raw, account: &str, what: &str, skipped: &mut usize) -> Option<T> {
    match serde_json::from_str(raw.get()) {
        Ok(item) => Some(item),
        Err(e) => {
            *skipped += 1;
            tracing::warn!(account, problem = %describe_json(&e), "skipped an unreadable {what}");
            None
        }
    }
}

/// A text message in a conversation: the business's own (`ours`, an agent's, nameless) or a
/// customer's, known by `name` and `handle`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn text_message(account: &str, conversation: String, id: String, ours: bool, name: Option<String>, handle: Option<String>, text: String, at: jiff::Timestamp) -> Record {
    Record::Message(switchboard_core::interchange::MessageRecord {
        account: account.to_owned(),
        conversation,
        id,
        direction: if ours { Direction::Out } else { Direction::In },
        author: Author {
            kind: if ours { AuthorKind::Agent } else { AuthorKind::Customer },
            name: if ours { None } else { name },
            handle: if ours { None } else { handle },
        },
        text,
        at,
        delivery: None,
        attachments: vec![],
        email: None,
    })
}

/// Notes a record skipped for a reason of ours (no readable time, no customer).
pub(crate) fn skip(account: &str, what: &str, why: &str, skipped: &mut usize) {
    *skipped += 1;
    tracing::warn!(account, "skipped a {what}: {why}");
}


/// Items per page a connector asks for: the `page_size` setting (for tests and slow links), else
/// the platform's largest.
pub(crate) fn page_size(account: &AccountView) -> usize {
    account.config.get("page_size").and_then(|v| v.as_u64()).unwrap_or(100).clamp(1, 100) as usize
}

/// A platform's successful answer as `T`. One that does not read is described by what was
/// wrong with its shape, never by its content: a page whose `data` is a customer's message
/// would otherwise put their words into the error.
pub(crate) fn parse<T: serde::de::DeserializeOwned>(status: reqwest::StatusCode, body: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(body).map_err(|e| Error::Malformed(format!("HTTP {status}: {}", describe_json(&e))))
}
