#![allow(dead_code)]
//! What the Workspace tests share: a Workspace over a new store, syncing the demo's sandbox.

use std::sync::Arc;
use switchboard_api::{Command, Event, Syncing, Workspace};
use tokio::sync::broadcast::Receiver;

pub struct Demo {
    pub ws: Arc<Workspace>,
    pub events: Receiver<Event>,
    pub syncing: Syncing,
    pub sandbox: String,
    /// The store's folder: bind it (and `syncing`) to a name, so both live as long as the test.
    pub dir: tempfile::TempDir,
}

/// A Workspace for `agent` over a new store, once every demo account has caught up.
pub async fn demo(agent: &str) -> Demo {
    let dir = tempfile::tempdir().unwrap();
    let ws = Arc::new(Workspace::open(&dir.path().join("s.db"), Some("pw".into()), true).with_agent(agent));
    let mut events = ws.subscribe();
    let syncing = ws.start_sync(Some(switchboard_api::demo_config(0.0))).await.unwrap();
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

pub fn call<T: serde::de::DeserializeOwned>(ws: &Workspace, command: Command) -> T {
    serde_json::from_value(ws.call(command).unwrap()).unwrap()
}
