//! What the hub's tests share: a clock they move, the sandbox's accounts on a hub, and the log
//! read until it holds what they wait for.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use switchboard_hub::replica::Replica;
use switchboard_hub::runner::{Runner, RunnerSettings, TOKEN};
use switchboard_hub::server::Now;
use switchboard_hub::Engine;

/// A clock the test moves: the wall clock plus what the test added.
#[derive(Clone, Default)]
pub struct Clock(Arc<AtomicI64>);

impl Clock {
    pub fn now(&self) -> Now {
        let added = self.0.clone();
        Arc::new(move || jiff::Timestamp::now() + jiff::SignedDuration::from_millis(added.load(Ordering::SeqCst)))
    }
    pub fn advance(&self, by: Duration) {
        self.0.fetch_add(by.as_millis() as i64, Ordering::SeqCst);
    }
}

/// A runner with a replica of its own (in `dir`).
pub fn runner(engine: &Arc<dyn Engine>, holder: &str, clock: &Clock, dir: &tempfile::TempDir, settings: RunnerSettings) -> Arc<Runner> {
    let path = dir.path().join(holder);
    std::fs::create_dir_all(&path).unwrap();
    let replica = Arc::new(Replica::start(engine.clone(), &path).unwrap());
    Arc::new(Runner::new(engine.clone(), replica, holder.into(), settings, clock.now()))
}

/// Quick ticks and polls, and a lease of ten seconds.
pub fn settings() -> RunnerSettings {
    RunnerSettings { tick: Duration::from_millis(100), poll_interval: Duration::from_millis(50), long_poll: Duration::from_millis(500), ..RunnerSettings::with_lease(Duration::from_secs(10)) }
}

/// The sandbox's Telegram and SMS accounts, added to the hub.
pub async fn add_accounts(engine: &Arc<dyn Engine>, base: &str) -> Vec<&'static str> {
    let mut keys = Vec::new();
    for account in switchboard_sandbox::accounts(base).into_iter().filter(|a| a.key.starts_with("telegram:") || a.key.starts_with("sms:")) {
        engine.add_account(account.key, &account.config, &[(TOKEN.into(), account.secret.into())], jiff::Timestamp::now()).await.unwrap();
        keys.push(account.key);
    }
    keys
}

/// Waits until the log holds `expected` messages; each message id with how often it is there.
pub async fn messages_in_log(engine: &Arc<dyn Engine>, expected: usize) -> HashMap<String, usize> {
    let mut head = engine.head();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut after = 0;
    loop {
        head.borrow_and_update();
        let page = engine.read_after(after, 1_000).await.unwrap();
        if page.is_empty() {
            if seen.len() >= expected {
                return seen;
            }
            head.changed().await.unwrap();
            continue;
        }
        for entry in page {
            after = entry.seq;
            let record: serde_json::Value = serde_json::from_str(&entry.body).unwrap();
            if record["kind"] == "message" {
                *seen.entry(format!("{}/{}", record["account"].as_str().unwrap(), record["id"].as_str().unwrap())).or_default() += 1;
            }
        }
    }
}

