#![allow(dead_code)]
//! What the Workspace tests share: a Workspace over a new store, syncing the demo's sandbox.

use std::sync::Arc;
use switchboard_api::{Event, Syncing, Workspace};
use tokio::sync::broadcast::Receiver;

pub struct Demo {
    pub ws: Arc<Workspace>,
    pub events: Receiver<Event>,
    pub syncing: Syncing,
    pub sandbox: String,
    /// The store's folder: bind it (and `syncing`) to a name, so both live as long as the test.
    pub dir: tempfile::TempDir,
}

impl Demo {
    /// The demo's sandbox, to drive it.
    pub fn sandbox(&self) -> &switchboard_sandbox::Controller {
        &self.syncing.demo::<switchboard_sandbox::Running>().expect("the demo runs its sandbox").controller
    }
}

/// A Workspace for `agent` over a new store, once every demo account has caught up.
pub async fn demo(agent: &str) -> Demo {
    let dir = tempfile::tempdir().unwrap();
    let demo = Arc::new(switchboard_demo::Sandboxed::new(0.0));
    let ws = Arc::new(Workspace::open(&dir.path().join("s.db"), Some("pw".into()), true).with_agent(agent).with_demo(demo));
    let mut events = ws.subscribe();
    let syncing = ws.start_sync(true).await.unwrap();
    let sandbox = syncing.sandbox_url.clone().unwrap();
    let mut caught_up = std::collections::BTreeSet::new();
    let accounts = switchboard_sandbox::accounts(&sandbox).len();
    while caught_up.len() < accounts {
        if let Event::Progress { account, caught_up: true, .. } = events.recv().await.unwrap() {
            caught_up.insert(account);
        }
    }
    Demo { ws, events, syncing, sandbox, dir }
}

/// The store in `dir` (a Workspace's), on a connection of the test's own: to look at what no
/// command shows, such as the outbox.
pub fn store(dir: &tempfile::TempDir) -> switchboard_core::Store {
    let path = dir.path().join("s.db");
    let keys = switchboard_api::keys::for_store(&path, Some("pw".into())).unwrap();
    switchboard_core::Store::open(&path, keys.as_ref()).unwrap()
}
