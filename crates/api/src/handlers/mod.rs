//! The commands' handlers, one module per subject: each a function from its request to its
//! response over the `Context`.

pub mod accounts;
pub mod board;
pub mod canned;
pub mod conversation;
pub mod customers;
pub mod inbox;
mod media;
pub mod reply;
pub mod session;
pub mod settings;
pub mod team;
pub mod thread;
