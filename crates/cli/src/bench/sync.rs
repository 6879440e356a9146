//! `bench sync`: the initial sync end to end, sandbox over HTTP → sync engine → encrypted store.

use super::{memory_mb, peak_rss_mb};
use anyhow::Result;
use std::time::Instant;
use switchboard_core::keys::{StaticKey, StoreKey};
use switchboard_core::Store;

pub(super) fn sync(conversations: usize, seed: u64) -> Result<()> {
    use std::sync::{Arc, Mutex};
    use switchboard_core::credentials::{Credentials, MemoryCredentials};
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let generated = Instant::now();
        let sandbox = switchboard_sandbox::Sandbox::start(switchboard_sandbox::Config { seed, conversations, ..Default::default() }, 0).await?;
        let stats = sandbox.controller.stats();
        let expected: usize = stats.channels.values().map(|c| c.messages).sum();
        println!("bench sync: sandbox of {conversations} conversations on six channels, {expected} messages (generated in {:.1} s)", generated.elapsed().as_secs_f64());
        let dir = tempfile::tempdir()?;
        let mut store = Store::create(&dir.path().join("sync.db"), &StaticKey::new(StoreKey::random()))?;
        // As the app's stores: the default triage rules run on every batch.
        store.seed_rule_defaults()?;
        let credentials = Arc::new(MemoryCredentials::default());
        for account in switchboard_sandbox::accounts(&sandbox.base_url) {
            store.add_account(account.key, None, account.config)?;
            credentials.set(account.key, account.secret)?;
        }
        let store = Arc::new(Mutex::new(store));
        let engine = switchboard_sync::Engine::new(store.clone(), credentials);
        let started = Instant::now();
        let reports = engine.run(switchboard_sync::Mode::Once).await?;
        let elapsed = started.elapsed();
        let stored = store.lock().expect("store").stats()?.into_iter().find(|t| t.table == "messages").map(|t| t.rows).unwrap_or(0);
        for r in &reports {
            anyhow::ensure!(r.error.is_none(), "{}: {:?}", r.account, r.error);
            println!("  {:<22} {:>8} messages, done after {:.1} s", r.account, r.pulled, r.elapsed.as_secs_f64());
        }
        anyhow::ensure!(stored as usize == expected, "stored {stored} of {expected} messages");
        println!(
            "initial sync, sandbox → encrypted store: {} messages in {:.1} s = {:.0} messages/s (target ≥ 25,000/s)",
            stored,
            elapsed.as_secs_f64(),
            stored as f64 / elapsed.as_secs_f64()
        );
        println!("peak memory (sync and sandbox, one process): {:.0} MB", peak_rss_mb());
        // What the process holds after the writer's larger page cache (`Store::set_catching_up`).
        println!("memory once synced (the same process): {:.0} MB", memory_mb("VmRSS:"));
        Ok(())
    })
}
