//! `bench hub`: a team's hub (this binary's `switchboard hub`, in a process of its own so that its
//! memory is its own) running the sandbox's accounts, and desks (in this process, each with its
//! own encrypted store and sync engine) following it. On each engine: how fast the sandbox's
//! history reaches every desk, then, with all caught up, how long a customer's message takes
//! from the platform to each desk's store (sent one at a time, Telegram's long-poll), and the
//! hub's peak memory.

use super::{ms, peak_rss_mb, percentiles};
use anyhow::{bail, Context, Result};
use std::io::BufRead;
use std::sync::Arc;
use std::time::Instant;
use switchboard_core::credentials::{Credentials, MemoryCredentials};
use switchboard_core::keys::{StaticKey, StoreKey};
use switchboard_core::{Db, Store};
use switchboard_hub::people::{hash, new_code};
use switchboard_hub::runner::TOKEN;
use switchboard_hub::{Engine, PostgresEngine, Role, SqliteEngine};
use switchboard_sync::SyncEvent;
use tokio::sync::mpsc;

const PASSPHRASE: &str = "bench-hub";

/// A hub process, killed when dropped.
struct HubProcess(std::process::Child);

impl Drop for HubProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl HubProcess {
    /// Its peak resident memory so far, in MB.
    fn peak_mb(&self) -> f64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.0.id()))
            .ok()
            .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok()))
            .map_or(0.0, |kb| kb / 1024.0)
    }
}

pub(super) fn hub(engines: &[String], desks: usize, conversations: usize, seed: u64, samples: usize) -> Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    for engine in engines {
        runtime.block_on(one(engine, desks, conversations, seed, samples))?;
    }
    Ok(())
}

/// A desk following the hub; `stored` hears (desk, when) of each batch that brought messages.
async fn desk(n: usize, url: &str, code: &str, dir: &std::path::Path, stored: mpsc::UnboundedSender<(usize, Instant, usize)>) -> Result<(Db, switchboard_sync::Engine)> {
    let enrolled = switchboard_sync::hub::enrol(url, code).await?;
    let mut store = Store::create(&dir.join(format!("desk-{n}.db")), &StaticKey::new(StoreKey::random()))?;
    let credentials = Arc::new(MemoryCredentials::default());
    let key = switchboard_api::team::hub_key(url)?;
    let mut config = serde_json::Map::new();
    config.insert("url".into(), url.into());
    store.add_account(&key, Some(&enrolled.person.name), config)?;
    credentials.set(&key, &enrolled.token)?;
    let db = Db::start(store)?;
    let engine = switchboard_sync::Engine::new(db.clone(), credentials);
    let mut events = engine.subscribe();
    tokio::spawn(async move {
        while let Ok(event) = events.recv().await {
            if let SyncEvent::Stored { new_messages, .. } = event {
                if !new_messages.is_empty() && stored.send((n, Instant::now(), new_messages.len())).is_err() {
                    return;
                }
            }
        }
    });
    Ok((db, engine))
}

async fn one(kind: &str, desks: usize, conversations: usize, seed: u64, samples: usize) -> Result<()> {
    let sandbox = switchboard_sandbox::Sandbox::start(switchboard_sandbox::Config { seed, conversations, ..Default::default() }, 0).await?;
    // Telegram (a long-poll) and SMS (polled): the sandbox counts their messages exactly.
    let accounts: Vec<_> = switchboard_sandbox::accounts(&sandbox.base_url).into_iter().filter(|a| a.key.starts_with("telegram:") || a.key.starts_with("sms:")).collect();
    let stats = sandbox.controller.stats();
    let expected = stats.channels["telegram"].messages + stats.channels["sms"].messages;
    let dir = tempfile::tempdir()?;
    let _postgres;
    let (database, engine): (String, Arc<dyn Engine>) = match kind {
        "sqlite" => {
            let path = dir.path().join("hub.db");
            let keys = switchboard_api::keys::for_new_store(Some(PASSPHRASE.into()))?;
            let engine = SqliteEngine::open_or_create(&path, keys.as_ref())?;
            (path.display().to_string(), Arc::new(engine))
        }
        "postgres" => {
            let server = switchboard_hub::testing::postgres();
            let url = server.database();
            _postgres = server;
            let engine = PostgresEngine::connect(&url).await?;
            (url, Arc::new(engine))
        }
        other => bail!("unknown engine {other:?}: sqlite or postgres"),
    };
    let now = jiff::Timestamp::now();
    let mut codes = Vec::new();
    for n in 0..desks {
        let code = new_code();
        engine.add_person(&format!("agent{n}"), Role::Agent, &hash(&code), now + jiff::SignedDuration::from_hours(1), now).await?;
        codes.push(code);
    }
    println!("bench hub ({kind}): {} accounts, {expected} messages, {desks} desks", accounts.len());

    let child = std::process::Command::new(std::env::current_exe()?)
        .args(["hub", "--database", &database, "--listen", "127.0.0.1:0", "--lease-seconds", "3"])
        .env("SWITCHBOARD_PASSPHRASE", PASSPHRASE)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    let mut hub = HubProcess(child);
    let mut first = String::new();
    std::io::BufReader::new(hub.0.stdout.take().context("the hub's output")?).read_line(&mut first)?;
    let url = first.trim().to_owned();
    if url.is_empty() {
        bail!("the hub did not start");
    }

    // The history: from the moment the hub has the accounts until every desk holds it all.
    let started = Instant::now();
    for account in &accounts {
        engine.add_account(account.key, &account.config, &[(TOKEN.into(), account.secret.into())], jiff::Timestamp::now()).await?;
    }
    let (stored_tx, mut stored) = mpsc::unbounded_channel();
    let mut following = Vec::new();
    let mut dbs = Vec::new();
    for (n, code) in codes.iter().enumerate() {
        let (db, desk) = desk(n, &url, code, dir.path(), stored_tx.clone()).await?;
        following.push(tokio::spawn(async move { desk.run(switchboard_sync::Mode::Follow).await }));
        dbs.push(db);
    }
    let mut held = vec![0usize; desks];
    let mut done = 0;
    let mut first_done = None;
    while done < desks {
        let (n, _, count) = stored.recv().await.context("the desks stopped")?;
        held[n] += count;
        if held[n] >= expected && held[n] - count < expected {
            done += 1;
            first_done.get_or_insert_with(|| started.elapsed());
        }
    }
    let history = started.elapsed();
    let first = first_done.expect("a desk finished");
    println!(
        "  history: the first desk held all {expected} messages after {:.1} s ({:.0} messages/s through the hub), all {desks} after {:.1} s ({:.0} messages/s to every desk, {:.0} desk-messages/s; the desks share this machine)",
        first.as_secs_f64(),
        expected as f64 / first.as_secs_f64(),
        history.as_secs_f64(),
        expected as f64 / history.as_secs_f64(),
        (expected * desks) as f64 / history.as_secs_f64()
    );

    // Live: one customer message at a time, timed to each desk's store.
    let mut latencies = Vec::with_capacity(samples * desks);
    for i in 0..samples {
        let sent = Instant::now();
        sandbox.controller.customer_says("telegram", &format!("Live message {i}")).context("the sandbox has no telegram")?;
        let mut heard = vec![false; desks];
        let mut left = desks;
        while left > 0 {
            let (n, at, _) = stored.recv().await.context("the desks stopped")?;
            if !heard[n] {
                heard[n] = true;
                left -= 1;
                latencies.push(at.duration_since(sent));
            }
        }
    }
    let p = percentiles(latencies);
    println!("  live: customer message → desk store over {samples} messages × {desks} desks: p50 {}, p99 {}, max {}", ms(p.p50), ms(p.p99), ms(p.max));
    println!("  memory: hub process peak {:.0} MB; this process (sandbox and {desks} desks) peak {:.0} MB", hub.peak_mb(), peak_rss_mb());
    for task in following {
        task.abort();
    }
    drop(dbs);
    drop(hub);
    Ok(())
}
