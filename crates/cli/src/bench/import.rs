//! `bench import`: `switchboard import` of an interchange file into a new encrypted store, at
//! each size given, to show that it is linear (the same per-message rate at every size).

use super::{conversation, file_size, peak_rss_mb};
use anyhow::Result;
use rand::{rngs::StdRng, SeedableRng};
use std::io::{BufReader, BufWriter, Write};
use std::time::Instant;
use switchboard_core::keys::{StaticKey, StoreKey};
use switchboard_core::Store;

pub(super) fn import(sizes: &[usize], conversations_per_million: usize, customers_per_million: usize, seed: u64) -> Result<()> {
    for &messages in sizes {
        let scale = messages as f64 / 1_000_000.0;
        let conversations = ((conversations_per_million as f64 * scale) as usize).max(1);
        let customers = ((customers_per_million as f64 * scale) as usize).max(1);
        let dir = tempfile::tempdir()?;
        let file = dir.path().join("import.jsonl");
        let per = (messages / conversations).max(1);
        let total = per * conversations;
        {
            let mut out = BufWriter::new(std::fs::File::create(&file)?);
            let mut rng = StdRng::seed_from_u64(seed);
            let mut records = Vec::new();
            for k in 0..conversations {
                conversation(k, per, customers, &mut rng, &mut records);
                for record in records.drain(..) {
                    serde_json::to_writer(&mut out, &record)?;
                    out.write_all(b"\n")?;
                }
            }
            out.flush()?;
        }
        let bytes = std::fs::metadata(&file)?.len();
        let path = dir.path().join("import.db");
        let mut store = Store::create(&path, &StaticKey::new(StoreKey::from_bytes([0x42; 32])))?;
        let started = Instant::now();
        let report = store.import_jsonl(BufReader::new(std::fs::File::open(&file)?))?;
        let elapsed = started.elapsed();
        anyhow::ensure!(report.errors.is_empty(), "bad lines in a generated file: {:?}", &report.errors[..report.errors.len().min(3)]);
        let stored = store.stats()?.into_iter().find(|t| t.table == "messages").map(|t| t.rows).unwrap_or(0) as usize;
        anyhow::ensure!(stored == total, "stored {stored} of {total} messages");
        println!(
            "import of {total} messages ({conversations} conversations, {} MB of JSON Lines): {:.1} s = {:.0} messages/s  (store {} MB; target ≥ 30,000/s at 1 M)",
            bytes / 1_000_000,
            elapsed.as_secs_f64(),
            total as f64 / elapsed.as_secs_f64(),
            file_size(&path) / 1_000_000,
        );
    }
    println!("peak memory: {:.0} MB", peak_rss_mb());
    Ok(())
}
