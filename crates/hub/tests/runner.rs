//! The hub runs the team's platform accounts against the sandbox: every message reaches the log
//! once, with its cursor, and what customers write later follows. On PostgreSQL two hubs share
//! the accounts by lease: when the one running an account dies (without giving it up), the other
//! takes it over once the lease expires, and still every message is in the log exactly once.

mod common;

use common::{add_accounts, messages_in_log, runner, settings, Clock};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use switchboard_core::keys::{StaticKey, StoreKey};
use switchboard_hub::{Engine, PostgresEngine, SqliteEngine};
use switchboard_sandbox::{Config, Sandbox};

fn expected(sandbox: &switchboard_sandbox::Controller) -> usize {
    let stats = sandbox.stats();
    stats.channels["telegram"].messages + stats.channels["sms"].messages
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_hub_pulls_its_accounts_into_the_log_once_and_follows_them() {
    let sandbox = Sandbox::start(Config { seed: 5, conversations: 60, ..Default::default() }, 0).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let engine: Arc<dyn Engine> = Arc::new(SqliteEngine::create(&dir.path().join("hub.db"), &StaticKey::new(StoreKey::from_bytes([1; 32]))).unwrap());
    let keys = add_accounts(&engine, &sandbox.base_url).await;
    let runner = runner(&engine, "hub-a", &Clock::default(), &dir, settings());
    let mut looked = runner.looked();
    let task = tokio::spawn(runner.clone().run());
    looked.wait_for(|l| l.running.len() == keys.len()).await.unwrap();

    let seen = messages_in_log(&engine, expected(&sandbox.controller)).await;
    assert_eq!(seen.len(), expected(&sandbox.controller));
    assert!(seen.values().all(|&n| n == 1), "no message twice");
    for key in &keys {
        assert!(engine.cursor(key, if key.starts_with("telegram") { "updates" } else { "messages" }).await.unwrap().is_some(), "{key}'s cursor");
        assert_eq!(engine.lease(&format!("account:{key}")).await.unwrap().unwrap().holder, "hub-a");
    }

    // Followed: a customer writes, and it is in the log.
    sandbox.controller.customer_says("telegram", "Is anyone there?").unwrap();
    sandbox.controller.customer_says("sms", "Hello from my phone").unwrap();
    let seen = messages_in_log(&engine, expected(&sandbox.controller)).await;
    assert_eq!(seen.len(), expected(&sandbox.controller));
    assert!(seen.values().all(|&n| n == 1));

    // A clean stop gives the leases up at once.
    runner.stop().await;
    task.abort();
    for key in &keys {
        assert!(engine.lease(&format!("account:{key}")).await.unwrap().is_none());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn when_the_hub_running_an_account_dies_another_takes_it_over_and_nothing_is_lost_or_doubled() {
    let sandbox = Sandbox::start(Config { seed: 6, conversations: 60, ..Default::default() }, 0).await.unwrap();
    let server = switchboard_hub::testing::postgres();
    let url = server.database();
    let (a, b): (Arc<dyn Engine>, Arc<dyn Engine>) = (Arc::new(PostgresEngine::connect(&url).await.unwrap()), Arc::new(PostgresEngine::connect(&url).await.unwrap()));
    let keys = add_accounts(&a, &sandbox.base_url).await;
    let clock = Clock::default();
    let dir = tempfile::tempdir().unwrap();
    let (first, second) = (runner(&a, "hub-a", &clock, &dir, settings()), runner(&b, "hub-b", &clock, &dir, settings()));
    let (mut looked_a, mut looked_b) = (first.looked(), second.looked());
    let task_a = tokio::spawn(first.clone().run());
    looked_a.wait_for(|l| l.running.len() == keys.len()).await.unwrap();
    let task_b = tokio::spawn(second.clone().run());
    // Each account runs on one hub only: the second finds every lease held, look after look.
    messages_in_log(&b, expected(&sandbox.controller)).await;
    let seen_by_b = looked_b.wait_for(|l| l.rounds >= 3).await.unwrap().clone();
    assert!(seen_by_b.running.is_empty(), "{seen_by_b:?}");

    // The first hub dies (it gives nothing up); customers go on writing.
    task_a.abort();
    sandbox.controller.customer_says("telegram", "Still waiting on my refund").unwrap();
    sandbox.controller.customer_says("sms", "Any update?").unwrap();
    // Once its leases expire, the second takes the accounts over.
    clock.advance(Duration::from_secs(11));
    looked_b.wait_for(|l| l.running.len() == keys.len()).await.unwrap();
    let seen = messages_in_log(&b, expected(&sandbox.controller)).await;
    assert_eq!(seen.len(), expected(&sandbox.controller));
    let twice: BTreeSet<&String> = seen.iter().filter(|(_, &n)| n > 1).map(|(k, _)| k).collect();
    assert!(twice.is_empty(), "in the log twice: {twice:?}");
    for key in &keys {
        assert_eq!(b.lease(&format!("account:{key}")).await.unwrap().unwrap().holder, "hub-b");
    }
    task_b.abort();
}
