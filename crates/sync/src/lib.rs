//! Sync: pulls every connected account into the store and sends the outbox, one task per
//! account. Connectors speak each platform's wire format; their base URLs are configuration, so
//! the sandbox and the real platforms are the same code path.

pub mod connector;
pub mod engine;
mod error;
mod graph;
mod pace;
mod telegram;
mod twilio;
mod walk;
mod x;

pub use connector::{Connector, Pulled};
pub use engine::{Engine, Mode, SyncEvent};
pub use error::Error;
