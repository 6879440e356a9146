//! What the hub keeps, behind one trait with two engines: embedded SQLite (one hub, nothing to
//! set up) and PostgreSQL (any number of hubs sharing one database). One conformance suite
//! (`tests/engines.rs`) runs on both.
//!
//! - **The log**: the ordered, append-only list of records every desk follows. Reading is
//!   gapless: a reader that asked for what comes after 41 never misses a record that commits
//!   later with a smaller number (appends are serialised, so numbers commit in order).
//! - **Cursors** of the platform accounts the hub pulls, written in the same transaction as the
//!   records they cover, and **leases**: each account runs on one hub at a time; an append that
//!   carries a pull is fenced by its lease, so a hub that lost the account writes nothing.
//! - **People**: agents and supervisors, one-time enrolment codes and the tokens desks hold
//!   (both kept only as hashes).
//! - **Assignment**, compare-and-set: a conversation changes hands only from the assignee the
//!   asker saw.
//! - **Platform accounts** the hub runs, and their secrets.

mod postgres;
mod sqlite;

pub use postgres::PostgresEngine;
pub use sqlite::SqliteEngine;

use crate::error::Result;
use crate::people::{Person, Role};
use jiff::Timestamp;
use std::time::Duration;
use tokio::sync::watch;

/// A record's place in the log: 1 for the first, one more for each after it.
pub type Seq = i64;

/// A record to append: its body (the wire record, JSON), who did it (none: the hub itself, a
/// platform's message), for an action the key that makes a second send of it the same action,
/// and for a record of the platforms' state what it describes and its digest, so that reading it
/// again unchanged appends nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEntry {
    pub body: String,
    pub actor: Option<i64>,
    pub key: Option<String>,
    pub state: Option<Digest>,
}

/// The natural key of the state a record describes, and the digest of what it says.
#[derive(Debug, Clone, PartialEq)]
pub struct Digest {
    pub key: String,
    pub digest: String,
}

impl NewEntry {
    pub fn new(body: impl Into<String>) -> NewEntry {
        NewEntry { body: body.into(), actor: None, key: None, state: None }
    }

    /// Done by the person `actor`.
    pub fn by(self, actor: i64) -> NewEntry {
        NewEntry { actor: Some(actor), ..self }
    }

    /// An action: the same key again is the same action.
    pub fn keyed(self, key: impl Into<String>) -> NewEntry {
        NewEntry { key: Some(key.into()), ..self }
    }

    /// A record of the platforms' state: appended only when it says something new of `key`.
    pub fn of_state(self, key: String) -> NewEntry {
        let digest = crate::people::hash(&self.body);
        NewEntry { state: Some(Digest { key, digest }), ..self }
    }
}

/// A record of the log.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub seq: Seq,
    pub at: Timestamp,
    pub actor: Option<i64>,
    pub body: String,
}

/// Where a platform account's pull stopped, stored with the records it covers.
#[derive(Debug, Clone, PartialEq)]
pub struct CursorUpdate {
    pub account: String,
    pub stream: String,
    pub value: String,
}

/// The lease an append needs still to be held, by `holder`, at `now`.
#[derive(Debug, Clone, PartialEq)]
pub struct Fence {
    pub lease: String,
    pub holder: String,
    pub now: Timestamp,
}

/// One append: its entries in order, at `at`, with the cursor it moves and the lease it needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Append {
    pub entries: Vec<NewEntry>,
    pub at: Timestamp,
    pub cursor: Option<CursorUpdate>,
    pub fence: Option<Fence>,
}

impl Append {
    pub fn entries(entries: Vec<NewEntry>, at: Timestamp) -> Append {
        Append { entries, at, cursor: None, fence: None }
    }
}

/// Who holds a lease, until when.
#[derive(Debug, Clone, PartialEq)]
pub struct Lease {
    pub holder: String,
    pub expires_at: Timestamp,
}

/// A conversation as the platforms name it: its account and its id there.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ConversationRef {
    pub account: String,
    pub conversation: String,
}

/// How a claim on a conversation went.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// It is the asker's to give: the change is in the log at `seq`.
    Done { seq: Seq },
    /// Someone else had it, or it had changed hands since the asker looked: it is with `by`
    /// (none: nobody).
    Taken { by: Option<i64> },
}

/// A platform account the hub runs (its secrets apart: see `Engine::secret`).
#[derive(Debug, Clone, PartialEq)]
pub struct HubAccount {
    pub key: String,
    pub config: serde_json::Map<String, serde_json::Value>,
}

impl HubAccount {
    fn new(key: String, config: &str) -> Result<HubAccount> {
        let config = serde_json::from_str(config).map_err(|_| crate::Error::Database(format!("account {key}'s settings do not read")))?;
        Ok(HubAccount { key, config })
    }
}

#[async_trait::async_trait]
pub trait Engine: Send + Sync + 'static {
    /// Which engine, for messages: "sqlite" or "postgresql".
    fn kind(&self) -> &'static str;

    /// Appends the entries in one transaction (with the cursor, if the fence holds); their
    /// numbers, in order. An entry whose key the log holds already, or whose state the log last
    /// described the same way, is not appended again: its number is the earlier one's.
    async fn append(&self, append: Append) -> Result<Vec<Seq>>;

    /// Up to `limit` records after `after`, in order.
    async fn read_after(&self, after: Seq, limit: usize) -> Result<Vec<Entry>>;

    /// The number of the last record (0: none yet), as last heard: it changes as records are
    /// appended, by this process or (PostgreSQL) any other hub.
    fn head(&self) -> watch::Receiver<Seq>;

    async fn cursor(&self, account: &str, stream: &str) -> Result<Option<String>>;

    /// Takes `name` for `holder` until `now + ttl` if it is free, expired or already the
    /// holder's (a renewal); whether it is `holder`'s now.
    async fn take_lease(&self, name: &str, holder: &str, ttl: Duration, now: Timestamp) -> Result<bool>;
    /// Gives `name` up, if `holder` has it.
    async fn drop_lease(&self, name: &str, holder: &str) -> Result<()>;
    async fn lease(&self, name: &str) -> Result<Option<Lease>>;

    /// Hands `conversation` from `expected` to `to`, appending `entry`, only if `expected` still
    /// has it. The same key again is the same claim, answered as before.
    async fn assign(&self, conversation: &ConversationRef, expected: Option<i64>, to: Option<i64>, entry: NewEntry, at: Timestamp) -> Result<Claim>;
    async fn assignee(&self, conversation: &ConversationRef) -> Result<Option<i64>>;

    /// A new person, who enrols a desk with the code whose hash is `code_hash` until
    /// `code_expires`.
    async fn add_person(&self, name: &str, role: Role, code_hash: &str, code_expires: Timestamp, now: Timestamp) -> Result<Person>;
    /// A new enrolment code for a person (another desk, a lost code); earlier unused ones lapse.
    async fn renew_code(&self, name: &str, code_hash: &str, code_expires: Timestamp) -> Result<Person>;
    /// Uses up the code whose hash is `code_hash` (once, before it expires) and keeps the
    /// desk's token by its hash.
    async fn enrol(&self, code_hash: &str, token_hash: &str, now: Timestamp) -> Result<Person>;
    /// The person a token belongs to; none for an unknown token or a removed person.
    async fn person_by_token(&self, token_hash: &str) -> Result<Option<Person>>;
    /// Everyone who has not been removed, by name.
    async fn people(&self) -> Result<Vec<Person>>;
    /// Removes a person: their tokens and codes stop working at once, their name is free again.
    async fn remove_person(&self, name: &str, now: Timestamp) -> Result<Person>;

    /// A platform account for the hub to run, with its secrets (`(name, value)`: the token, an
    /// extra key), which never leave the hub.
    async fn add_account(&self, key: &str, config: &serde_json::Map<String, serde_json::Value>, secrets: &[(String, String)], now: Timestamp) -> Result<()>;
    async fn accounts(&self) -> Result<Vec<HubAccount>>;
    async fn secret(&self, account: &str, name: &str) -> Result<Option<String>>;
    /// Removes an account and its secrets; what the log holds of it stays.
    async fn remove_account(&self, key: &str) -> Result<()>;
}
