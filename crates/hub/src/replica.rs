//! Each hub's own copy of what the log says: a desk's store (the core's), built by following the
//! log as a desk does, through the same writer. The hub reads it where it needs what a desk
//! knows: whether a conversation exists, a reply's window, where an email reply goes, who waits
//! longest. It is a cache: made afresh (with a key of its own that never leaves the process) each
//! time the hub starts, and caught up from the log at sync speed.

use crate::engine::{Engine, Seq};
use crate::error::{Error, Result};
use std::path::Path;
use std::sync::Arc;
use switchboard_core::interchange::Record;
use switchboard_core::keys::{StaticKey, StoreKey};
use switchboard_core::{Db, Store};
use tokio::sync::watch;

/// Records read from the log at once.
const PAGE: usize = 1_000;

pub struct Replica {
    db: Db,
    applied: watch::Receiver<Seq>,
    follower: tokio::task::JoinHandle<()>,
}

impl Drop for Replica {
    fn drop(&mut self) {
        self.follower.abort();
    }
}

impl Replica {
    /// A new replica in `dir` (which must not hold one yet), following `engine`'s log from its
    /// first record. Must run inside a tokio runtime.
    pub fn start(engine: Arc<dyn Engine>, dir: &Path) -> Result<Replica> {
        let store = Store::create(&dir.join("replica.db"), &StaticKey::new(StoreKey::random()))?;
        let db = Db::start(store)?;
        let (applied_tx, applied) = watch::channel(0);
        let follower = tokio::spawn(follow(engine, db.clone(), applied_tx));
        Ok(Replica { db, applied, follower })
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Waits until the replica holds the log up to `seq`.
    pub async fn caught_up_to(&self, seq: Seq) -> Result<()> {
        self.applied.clone().wait_for(|&applied| applied >= seq).await.map(|_| ()).map_err(|_| Error::Database("the replica stopped following the log".into()))
    }

    /// The last record the replica holds.
    pub fn applied(&self) -> Seq {
        *self.applied.borrow()
    }
}

/// Reads the log after what the replica holds and writes it through the replica's writer, page
/// by page, then waits for more. (Where it stands is kept in memory: the replica lives as long as
/// the process.)
async fn follow(engine: Arc<dyn Engine>, db: Db, applied: watch::Sender<Seq>) {
    let mut head = engine.head();
    let mut after: Seq = 0;
    loop {
        head.borrow_and_update();
        let page = match engine.read_after(after, PAGE).await {
            Ok(page) => page,
            Err(e) => {
                tracing::warn!(error = %e, "the replica cannot read the log");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                continue;
            }
        };
        let Some(last) = page.last().map(|e| e.seq) else {
            if head.changed().await.is_err() {
                return;
            }
            continue;
        };
        let records: Vec<Record> = page
            .iter()
            .filter_map(|e| match serde_json::from_str(&e.body) {
                Ok(record) => Some(record),
                Err(e) => {
                    tracing::warn!(problem = %switchboard_core::error::describe_json(&e), "the replica skipped a record of the log");
                    None
                }
            })
            .collect();
        // A record the store refuses fails its whole page: the page again, one record at a time,
        // the refused ones left out (and said), so that one never holds the rest up.
        if let Err(e) = store(&db, records.clone()).await {
            tracing::warn!(error = %e, "the replica stores a page of the log record by record");
            for record in records {
                if let Err(e) = store(&db, vec![record]).await {
                    tracing::error!(error = %e, "the replica left out a record of the log it cannot store");
                }
            }
        }
        after = last;
        applied.send_replace(last);
    }
}

/// Writes `records` through the replica's writer, all or none.
async fn store(db: &Db, records: Vec<Record>) -> Result<()> {
    db.write_async(move |s| s.write_batch(&records)).await?;
    Ok(())
}
