//! `bench sync`: the initial sync end to end, sandbox over HTTP → sync engine → encrypted store.

use super::{memory_mb, ms, peak_rss_mb, percentiles};
use anyhow::Result;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use switchboard_core::keys::{StaticKey, StoreKey};
use switchboard_core::model::{Channel, ConversationStatus, InboxFilter};
use switchboard_core::{Db, Store};

/// Between two inbox pages read while the sync runs: about what an agent scrolling does.
const READ_EVERY: Duration = Duration::from_millis(20);

/// Reads inbox pages (50 rows; all, open, one channel in turn) on a read connection, as the UI
/// does, until `stop`; returns how long each took.
fn read_inbox_while(db: Db, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<Result<Vec<Duration>>> {
    std::thread::spawn(move || {
        let mut samples = Vec::new();
        let views = [
            InboxFilter { limit: 50, ..Default::default() },
            InboxFilter { limit: 50, status: Some(ConversationStatus::Open), ..Default::default() },
            InboxFilter { limit: 50, channel: Some(Channel::Telegram), ..Default::default() },
        ];
        while !stop.load(Ordering::Relaxed) {
            let filter = &views[samples.len() % views.len()];
            let t = Instant::now();
            db.read(|s| s.inbox(filter))?;
            samples.push(t.elapsed());
            std::thread::sleep(READ_EVERY);
        }
        Ok(samples)
    })
}

pub(super) fn sync(conversations: usize, seed: u64) -> Result<()> {
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
        let db = Db::start(store)?;
        let engine = switchboard_sync::Engine::new(db.clone(), credentials);
        let stop = Arc::new(AtomicBool::new(false));
        let reading = read_inbox_while(db.clone(), stop.clone());
        let started = Instant::now();
        let reports = engine.run(switchboard_sync::Mode::Once).await?;
        let elapsed = started.elapsed();
        stop.store(true, Ordering::Relaxed);
        let reads = reading.join().map_err(|_| anyhow::anyhow!("the inbox reader panicked"))??;
        let stored = db.read(|s| s.stats())?.into_iter().find(|t| t.table == "messages").map(|t| t.rows).unwrap_or(0);
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
        let p = percentiles(reads.clone());
        println!(
            "inbox page while the sync commits (50 rows, {} reads on a read connection): p50 {}  p99 {}  max {}  (target p99 ≤ 20 ms)",
            reads.len(),
            ms(p.p50),
            ms(p.p99),
            ms(p.max)
        );
        println!("peak memory (sync and sandbox, one process): {:.0} MB", peak_rss_mb());
        // What the process holds after the writer's larger page cache (`Store::set_catching_up`).
        println!("memory once synced (the same process): {:.0} MB", memory_mb("VmRSS:"));
        Ok(())
    })
}
