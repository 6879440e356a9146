//! Switchboard's core: the domain model, the encrypted store, search and the interchange format.
//! No network and no UI: the sync crate and the shells build on this.

pub mod credentials;
pub mod email;
pub mod error;
pub mod interchange;
pub mod keys;
pub mod model;
pub mod privacy;
pub mod reply_rules;
pub mod rules;
pub mod search;
pub mod sensitive;
pub mod sla;
pub mod store;
pub mod team;
pub mod templates;

pub use error::{Error, Result};
pub use store::{Db, Store};
