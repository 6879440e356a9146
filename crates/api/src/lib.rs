//! The command list and the `Workspace` that executes it. The desktop shell and web mode are
//! thin adapters over this crate; tests call `Workspace` directly, without a window.

pub mod commands;
pub mod keys;
pub mod logging;
pub mod paths;
mod workspace;

pub use commands::*;
pub use workspace::Workspace;
