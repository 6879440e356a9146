//! The spool: batches a platform forgets once they are confirmed (Telegram's updates, confirmed by
//! the next `getUpdates`), kept safe between the pull and the store's next commit. The store commits
//! many accounts' batches together, every few thousand records; the spool commits one batch at
//! once, so the account can confirm it and pull on while the store's transaction is still open.
//!
//! It is a small SQLCipher database beside the store (`<store>-spool`), with a random key of its own
//! kept inside the (encrypted) store, so a re-key of the store leaves it readable. A batch leaves
//! the spool once the store holds it; one still there at start is written to the store again,
//! which changes nothing if the store already held it (records are upserted by their ids).

use super::Store;
use crate::error::{Error, Result};
use crate::interchange::Record;
use crate::keys::StoreKey;
use rusqlite::{params, Connection, OpenFlags};
use std::path::{Path, PathBuf};

/// SQLCipher's default: a spool holds a few pulls at most, and spools have always had it.
const SPOOL_PAGE_SIZE: u32 = 4096;

const KEY_SETTING: &str = "spool_key";

/// A batch in the spool: what it holds and the cursor it brings the account to.
#[derive(Debug, Clone, PartialEq)]
pub struct Spooled {
    pub seq: i64,
    pub records: Vec<Record>,
    pub cursor: Option<String>,
}

pub struct Spool {
    conn: Connection,
}

impl std::fmt::Debug for Spool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Spool")
    }
}

/// The spool's file (and its WAL's, with `suffix`) beside the store at `store`.
fn path_for(store: &Path, suffix: &str) -> PathBuf {
    let mut name = store.as_os_str().to_owned();
    name.push("-spool");
    name.push(suffix);
    PathBuf::from(name)
}

/// Removes the spool of a store that no longer exists (a new one is being made at its path).
pub(super) fn remove_leftover(store: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(path_for(store, suffix));
    }
}

impl Store {
    /// Where this store's spool lives: beside it, or in memory for a store in memory.
    fn spool_path(&self) -> Option<PathBuf> {
        self.path.as_deref().map(|p| path_for(p, ""))
    }

    /// Opens the store's spool (creating it, and its key, the first time).
    pub fn spool(&mut self) -> Result<Spool> {
        let conn = match self.spool_path() {
            None => Connection::open_in_memory()?,
            Some(path) => {
                let conn = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
                super::file::apply_key(&conn, &self.spool_key()?, SPOOL_PAGE_SIZE)?;
                conn
            }
        };
        conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get::<_, i64>(0))
            .map_err(|e| Error::invalid(format!("the spool beside the store cannot be read ({e}); it is not this store's")))?;
        // Two Telegram accounts write to the spool, each through its own connection.
        conn.execute_batch(
            "PRAGMA busy_timeout = 5000;
             PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             PRAGMA temp_store = MEMORY;
             CREATE TABLE IF NOT EXISTS spooled (
                 seq INTEGER PRIMARY KEY AUTOINCREMENT,
                 account_id INTEGER NOT NULL,
                 stream TEXT NOT NULL,
                 records TEXT NOT NULL,
                 cursor TEXT
             );",
        )?;
        Ok(Spool { conn })
    }

    /// The spool's key, made the first time and kept in the store's settings.
    fn spool_key(&mut self) -> Result<StoreKey> {
        let stored: String = self.setting(KEY_SETTING)?;
        if !stored.is_empty() {
            return StoreKey::from_hex(&stored);
        }
        let key = StoreKey::random();
        self.set_setting(KEY_SETTING, &*key.to_hex())?;
        Ok(key)
    }
}

impl Spool {
    /// Keeps a batch, committed before this returns; its sequence number.
    pub fn push(&mut self, account_id: i64, stream: &str, records: &[Record], cursor: Option<&str>) -> Result<i64> {
        let json = serde_json::to_string(records).map_err(|e| Error::invalid(format!("a batch for the spool: {e}")))?;
        self.conn.execute("INSERT INTO spooled (account_id, stream, records, cursor) VALUES (?1, ?2, ?3, ?4)", params![account_id, stream, json, cursor])?;
        Ok(self.conn.last_insert_rowid())
    }

    /// An account's batches still in the spool, oldest first.
    pub fn pending(&self, account_id: i64, stream: &str) -> Result<Vec<Spooled>> {
        let mut stmt = self.conn.prepare("SELECT seq, records, cursor FROM spooled WHERE account_id = ?1 AND stream = ?2 ORDER BY seq")?;
        let rows = stmt.query_map(params![account_id, stream], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<String>>(2)?)))?;
        rows.map(|row| {
            let (seq, json, cursor) = row?;
            let records = serde_json::from_str(&json).map_err(|e| Error::invalid(format!("spooled batch {seq} is unreadable: {e}")))?;
            Ok(Spooled { seq, records, cursor })
        })
        .collect()
    }

    /// The store holds the batch `seq`: it leaves the spool.
    pub fn forget(&mut self, seq: i64) -> Result<()> {
        self.conn.execute("DELETE FROM spooled WHERE seq = ?1", [seq])?;
        Ok(())
    }
}
