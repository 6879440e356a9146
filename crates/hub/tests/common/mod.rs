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
use switchboard_hub::people::{hash, new_code};
use switchboard_hub::server::{serve, Listen, Settings};
use switchboard_hub::{Engine, Role};
use serde_json::json;
use std::net::SocketAddr;
use switchboard_core::team::Enrolled;

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

/// One hub process: its runner (with its replica) and its API.
pub struct Hub {
    pub base: String,
    pub runner: Arc<Runner>,
    running: tokio::task::JoinHandle<()>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

pub async fn start(engine: &Arc<dyn Engine>, holder: &str, dir: &tempfile::TempDir, settings: RunnerSettings) -> Hub {
    let runner = runner(engine, holder, &Clock::default(), dir, settings);
    let running = tokio::spawn(runner.clone().run());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (tell, told) = tokio::sync::oneshot::channel::<SocketAddr>();
    let listen = Listen { addr: "127.0.0.1:0".parse().unwrap(), tls: None, behind_proxy: false };
    tokio::spawn(serve(engine.clone(), runner.replica().clone(), Settings::default(), listen, move |addr| tell.send(addr).unwrap(), async move {
        let _ = stopped.await;
    }));
    let addr = told.await.unwrap();
    Hub { base: format!("http://127.0.0.1:{}/api/v1", addr.port()), runner, running, stop: Some(stop) }
}

impl Hub {
    /// Dies at once, as under `kill -9`: nothing given up, whatever it was doing cut short.
    pub fn kill(&mut self) {
        self.running.abort();
        self.stop.take();
    }
}

impl Hub {
    /// The hub's address, as a desk joins it.
    pub fn url(&self) -> String {
        self.base.trim_end_matches("/api/v1").to_owned()
    }
}

/// An agent added in the engine (as `switchboard hub person add` does), enrolled over the API.
pub async fn person(engine: &Arc<dyn Engine>, hub: &Hub, name: &str) -> String {
    person_as(engine, hub, name, Role::Agent).await
}

/// `person`, in `role`.
pub async fn person_as(engine: &Arc<dyn Engine>, hub: &Hub, name: &str, role: Role) -> String {
    let code = new_code();
    let now = jiff::Timestamp::now();
    engine.add_person(name, role, &hash(&code), now + jiff::SignedDuration::from_hours(1), now).await.unwrap();
    let enrolled: Enrolled = reqwest::Client::new().post(format!("{}/enrol", hub.base)).json(&json!({ "code": code })).send().await.unwrap().json().await.unwrap();
    enrolled.token
}
