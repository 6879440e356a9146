//! The command list and the `Workspace` that executes it. The desktop shell and web mode are
//! thin adapters over this crate; tests call `Workspace` directly, without a window.

pub mod accounts;
pub mod commands;
pub mod keys;
pub mod logging;
pub mod notifications;
pub mod paths;
mod workspace;

pub use accounts::NewAccount;
pub use commands::*;
pub use workspace::{Syncing, Workspace};

/// The sandbox the demo reads: a small world (120 conversations a channel) with live traffic at
/// `rate` new customer messages a minute.
pub fn demo_config(rate: f64) -> switchboard_sandbox::Config {
    switchboard_sandbox::Config { seed: 7, conversations: 120, rate_per_minute: rate, ..Default::default() }
}
