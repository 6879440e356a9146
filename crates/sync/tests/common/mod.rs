#![allow(dead_code)]
//! A sandbox, a store and an account per channel, shared by the sync tests.

use std::sync::Arc;
use std::time::Duration;
use switchboard_core::credentials::{Credentials, MemoryCredentials};
use switchboard_core::keys::{StaticKey, StoreKey};
use switchboard_core::model::{Channel, InboxFilter};
use switchboard_core::{Db, Store};
use switchboard_sandbox::{Config, Controller, Running, Sandbox};
use switchboard_sync::Engine;

pub struct Setup {
    pub db: Db,
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
    for account in switchboard_sandbox::accounts(&base) {
        store.add_account(account.key, None, account.config).unwrap();
        credentials.set(account.key, account.secret).unwrap();
    }
    Setup { db: Db::start(store).unwrap(), credentials, sandbox: controller, base, _dir: dir, _running: running }
}

impl Setup {
    /// A read connection of the test's own: it sees what the writer has committed.
    pub fn reader(&self) -> Store {
        self.db.reader().unwrap()
    }

    /// Runs `f` on the store's writer, as the app's actions do.
    pub fn write<T: Send + 'static>(&self, f: impl FnOnce(&mut Store) -> switchboard_core::Result<T> + Send + 'static) -> T {
        self.db.write(f).unwrap()
    }
}

/// Every channel the sandbox serves, with its name there.
pub const CHANNELS: [(Channel, &str); 6] = [
    (Channel::Messenger, "messenger"),
    (Channel::Instagram, "instagram"),
    (Channel::Sms, "sms"),
    (Channel::Whatsapp, "whatsapp"),
    (Channel::Telegram, "telegram"),
    (Channel::X, "x"),
];

/// Every public surface the sandbox serves: its channel and its name there.
pub const PUBLIC: [(Channel, &str); 3] = [(Channel::Facebook, "facebook_comments"), (Channel::Instagram, "instagram_comments"), (Channel::X, "x_mentions")];

pub fn engine(s: &Setup) -> Engine {
    let mut engine = Engine::new(s.db.clone(), s.credentials.clone());
    engine.backoff = Duration::from_millis(20);
    engine.usage_pause = Duration::from_secs(1);
    engine
}

/// (conversations, messages) stored for a channel's private conversations.
pub fn stored(store: &Store, channel: Channel) -> (usize, usize) {
    stored_where(store, channel, false)
}

/// (conversations, messages) stored for a channel's public threads.
pub fn stored_public(store: &Store, channel: Channel) -> (usize, usize) {
    stored_where(store, channel, true)
}

fn stored_where(store: &Store, channel: Channel, public: bool) -> (usize, usize) {
    let rows = store.inbox(&InboxFilter { channel: Some(channel), public: Some(public), limit: 100_000, ..Default::default() }).unwrap();
    let messages = rows.iter().map(|r| store.thread(r.id, 100_000).unwrap().messages.len()).sum();
    (rows.len(), messages)
}


/// A conversation on `channel` that takes a reply now (within the channel's window).
pub fn open_conversation(store: &Store, channel: Channel) -> i64 {
    replyable(store, channel)[0]
}

/// Every conversation on `channel` that takes a reply now.
pub fn replyable(store: &Store, channel: Channel) -> Vec<i64> {
    let now = jiff::Timestamp::now();
    let rows = store.inbox(&InboxFilter { channel: Some(channel), public: Some(false), limit: 100_000, ..Default::default() }).unwrap();
    let ids: Vec<i64> = rows.into_iter().map(|r| r.id).filter(|id| store.check_reply(*id, "Thanks for waiting.", false, now).is_ok()).collect();
    assert!(!ids.is_empty(), "no {channel} conversation takes a reply now");
    ids
}
