//! Sync: pulls every connected account into the store and sends the outbox, one task per
//! account. Connectors speak each platform's wire format; their base URLs are configuration, so
//! the sandbox and the real platforms are the same code path.

mod comments;
pub mod connector;
mod email;
pub mod engine;
mod error;
mod graph;
pub mod hub;
pub mod media;
mod mentions;
pub mod outbox;
pub mod oauth1;
mod pace;
pub mod shopify;
mod telegram;
mod twilio;
mod walk;
mod wire;
mod x;

pub use connector::{Connector, Connectors, Outgoing, Pulled};
pub use email::check_plain;
pub use engine::{Engine, Mode, SyncEvent};
pub use error::Error;
pub use oauth1::OAuth1Keys;
