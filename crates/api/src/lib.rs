//! The command list and the `Workspace` that serves it. The desktop shell and web mode are thin
//! adapters over this crate; tests call `Workspace` directly, without a window.
//!
//! Modules: `commands` (the list, declared once), `handlers` (one module per subject),
//! `context` (what handlers work with), `runtime` (sync supervision, the event bridge, the clock
//! watch), `demo` (what a shell offers demo data through), `events`, `error`, `keychain` and `keys` (where
//! secrets and the store's key live), `paths`, `logging`.

pub mod commands;
mod context;
mod demo;
mod error;
mod events;
pub mod handlers;
pub mod keychain;
pub mod keys;
pub mod logging;
pub mod paths;
mod runtime;
mod workspace;

pub use commands::{Command, Request};
pub use error::{ApiError, ErrorCode};
pub use events::{CustomerMessage, Event};
pub use handlers::accounts::NewAccount;
pub use handlers::{accounts, board, canned, conversation, customers, inbox, reply, session, settings, team, thread};
pub use demo::{Demo, DemoRun};
pub use runtime::Syncing;
pub use workspace::Workspace;
