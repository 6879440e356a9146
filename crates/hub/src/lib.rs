//! Switchboard's team server (see ../shared/design/team.md and docs/hub.md): the log every desk
//! follows, the leases under which hubs run platform accounts, the team's people and the
//! assignment of conversations, kept by one of two engines behind one trait.
//!
//! Modules: `accounts` (the platform accounts' secrets' names and views, and the clock type), `engine` (the trait, embedded SQLite and PostgreSQL), `people` (enrolment codes and
//! tokens), `replica` (the hub's own copy of the log, in a desk's store), `runner` (the platform
//! accounts, run under leases), `sender` (the hub's outbox), `server` (the HTTP API), `error`.

pub mod accounts;
pub mod engine;
pub mod error;
pub mod people;
pub mod replica;
pub mod runner;
mod sender;
pub mod server;
#[cfg(feature = "testing")]
pub mod testing;

pub use engine::{Append, Claim, ConversationRef, CursorUpdate, Engine, Entry, Fence, HubAccount, Lease, NewEntry, PostgresEngine, Seq, SqliteEngine};
pub use error::{Error, Result};
pub use people::{Person, Role};
