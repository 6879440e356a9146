#![allow(dead_code)]
//! A sandbox, a store and an account per channel, shared by the sync tests.

use std::sync::{Arc, Mutex};
use std::time::Duration;
use switchboard_core::credentials::{Credentials, MemoryCredentials};
use switchboard_core::keys::{StaticKey, StoreKey};
use switchboard_core::model::{Channel, InboxFilter};
use switchboard_core::Store;
use switchboard_sandbox::{credentials as c, Config, Controller, Running, Sandbox};
use switchboard_sync::Engine;

pub struct Setup {
    pub store: Arc<Mutex<Store>>,
    pub credentials: Arc<MemoryCredentials>,
    pub sandbox: Controller,
    pub base: String,
    _dir: tempfile::TempDir,
    _running: Running,
}

/// A sandbox without faults.
pub fn plain(conversations: usize) -> Config {
    Config { seed: 11, conversations, ..Default::default() }
}

/// A sandbox per `config`, an encrypted store, and one account per channel it serves.
pub async fn setup(config: Config) -> Setup {
    let running = Sandbox::start(config, 0).await.unwrap();
    let (base, controller) = (running.base_url.clone(), running.controller.clone());
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(&dir.path().join("s.db"), &StaticKey::new(StoreKey::from_bytes([3; 32]))).unwrap();
    let credentials = Arc::new(MemoryCredentials::default());
    let config = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), serde_json::json!(v))).collect();
    store.add_account("telegram:acme_bot", None, config(&[("base_url", &base)])).unwrap();
    credentials.set("telegram:acme_bot", c::TELEGRAM_BOT_TOKEN).unwrap();
    for (key, number) in [("sms:+15550100", c::SMS_NUMBER), ("whatsapp:+15550199", c::WHATSAPP_NUMBER)] {
        store
            .add_account(key, None, config(&[("base_url", &base), ("account_sid", c::TWILIO_ACCOUNT_SID), ("number", number)]))
            .unwrap();
        credentials.set(key, c::TWILIO_AUTH_TOKEN).unwrap();
    }
    Setup { store: Arc::new(Mutex::new(store)), credentials, sandbox: controller, base, _dir: dir, _running: running }
}

pub fn engine(s: &Setup) -> Engine {
    let mut engine = Engine::new(s.store.clone(), s.credentials.clone());
    engine.backoff = Duration::from_millis(20);
    engine
}

/// (conversations, messages) stored for a channel.
pub fn stored(store: &Store, channel: Channel) -> (usize, usize) {
    let rows = store.inbox(&InboxFilter { channel: Some(channel), limit: 100_000, ..Default::default() }).unwrap();
    let messages = rows.iter().map(|r| store.thread(r.id, 100_000).unwrap().messages.len()).sum();
    (rows.len(), messages)
}

