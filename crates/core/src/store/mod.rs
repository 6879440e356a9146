//! The encrypted store: SQLite through SQLCipher, one file plus its WAL, with a key file beside
//! it (`file`, see `keys`). Opening refuses, before writing anything, a schema newer than this
//! build.
//!
//! Modules: `file` (the encrypted file and its keys); `migrations` (numbered schema); `ingest` (the one write path for records: batches,
//! cursors, the upserter); `rows` (column lists and row mappers the views share); one module per
//! subject for the rest: `inbox`, `thread`, `customers`, `outbox`, `public`, `triage`, `sla`,
//! `policies`, `board`, `rules`, `canned`, `expectations`, `accounts`, `search`, `transfer`
//! (export and transcripts), `spool`; `util` (SQL helpers).

mod accounts;
mod board;
mod canned;
mod customers;
mod db;
mod drafts;
mod expectations;
mod file;
mod inbox;
pub(crate) mod ingest;
mod migrations;
mod outbox;
mod policies;
mod public;
mod rows;
mod rules;
mod search;
mod sla;
mod spool;
mod team_actions;
mod thread;
mod transfer;
mod triage;
pub(crate) mod util;

pub use migrations::LATEST as SCHEMA_VERSION;
pub use db::Db;
pub use file::EncryptedFile;
pub use drafts::DRAFT_LIMIT;
pub use ingest::{Batch, CursorBatch, ImportProgress, Written};
pub use inbox::{InboxPage, TableCount};
pub use transfer::write_thread;
pub use policies::DEFAULT_CALENDAR;
pub use customers::normalise_phone;
pub use public::BroadcastResult;
pub use spool::{Spool, Spooled};
pub use expectations::{AckTexts, Expectations, EXPECTATIONS_SETTING};
pub use board::{Board, ChannelVolume, Queue, SOON_SECONDS};
pub use sla::{Policies, SlaView};
pub use team_actions::{QueuedAction, AUTO_ASSIGNMENT_SETTING};


use crate::error::{Error, Result};
use crate::keys::KeyProvider;
use file::PAGE_SIZE;
use rusqlite::Connection;
use std::path::{Path, PathBuf};

/// The WAL is checkpointed once it holds this much: see `configure`.
const CHECKPOINT_BYTES: u32 = 40 << 20;

use ingest::NORMAL_CACHE_KIB;

pub struct Store {
    pub(crate) conn: Connection,
    path: Option<PathBuf>,
    /// The encrypted file (none in memory, or the benchmark's plain store), to open readers
    /// beside this connection (`reader`).
    file: Option<EncryptedFile>,
    /// A reader (`reader`): `PRAGMA query_only`, and it leaves the kept breach instants to the
    /// writer.
    read_only: bool,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish_non_exhaustive()
    }
}

impl Store {
    /// Creates a new encrypted store at `path` with a key from `keys`.
    pub fn create(path: &Path, keys: &dyn KeyProvider) -> Result<Store> {
        Self::create_at_version(path, keys, migrations::LATEST)
    }

    /// Creates a store migrated only up to `version`. For upgrade tests.
    #[doc(hidden)]
    pub fn create_at_version(path: &Path, keys: &dyn KeyProvider, version: i64) -> Result<Store> {
        if path.exists() {
            return Err(Error::AlreadyExists(path.to_owned()));
        }
        // A spool left by a store that was here before is unreadable without that store's key.
        spool::remove_leftover(path);
        let (file, conn) = EncryptedFile::create(path, keys)?;
        let mut store = Store { conn, path: Some(path.to_owned()), file: Some(file.clone()), read_only: false };
        let set_up = store.configure().and_then(|()| migrations::migrate(&mut store.conn, version));
        match set_up {
            Ok(()) => {
                tracing::info!(path = %path.display(), mode = ?keys.mode(), "created store");
                Ok(store)
            }
            Err(e) => {
                drop(store);
                file.discard(keys);
                Err(e.for_store(path))
            }
        }
    }

    /// Opens an existing store and brings its schema up to date.
    pub fn open(path: &Path, keys: &dyn KeyProvider) -> Result<Store> {
        let mut store = Self::open_unmigrated(path, keys)?;
        migrations::migrate(&mut store.conn, migrations::LATEST).map_err(|e| e.for_store(path))?;
        Ok(store)
    }

    fn open_unmigrated(path: &Path, keys: &dyn KeyProvider) -> Result<Store> {
        let newer = |conn: &Connection| {
            let found = migrations::version(conn)?;
            if found > migrations::LATEST {
                return Err(Error::NewerVersion { path: path.to_owned(), found, supported: migrations::LATEST });
            }
            Ok(())
        };
        let (file, conn) = EncryptedFile::open(path, keys, newer)?;
        let mut store = Store { conn, path: Some(path.to_owned()), file: Some(file), read_only: false };
        store.configure()?;
        Ok(store)
    }

    /// An unencrypted store in memory: for tests of logic that does not depend on encryption.
    pub fn open_in_memory() -> Result<Store> {
        let conn = Connection::open_in_memory()?;
        let mut store = Store { conn, path: None, file: None, read_only: false };
        store.configure()?;
        migrations::migrate(&mut store.conn, migrations::LATEST)?;
        Ok(store)
    }

    /// The same schema on plain SQLite, on disk. Only the benchmark uses it, to measure what
    /// encryption costs.
    #[doc(hidden)]
    pub fn create_unencrypted_for_benchmark(path: &Path) -> Result<Store> {
        if path.exists() {
            return Err(Error::AlreadyExists(path.to_owned()));
        }
        let conn = Connection::open(path)?;
        // The encrypted store's page size, so that the two differ only by encryption.
        conn.pragma_update(None, "page_size", PAGE_SIZE)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        let mut store = Store { conn, path: Some(path.to_owned()), file: None, read_only: false };
        store.configure()?;
        migrations::migrate(&mut store.conn, migrations::LATEST)?;
        Ok(store)
    }

    /// Another connection to this store, for reading only (`PRAGMA query_only`). In WAL mode it
    /// never waits for a writer: each read sees what was last committed. An error for a store in
    /// memory, which has one connection only.
    pub fn reader(&self) -> Result<Store> {
        let Some(file) = &self.file else {
            return Err(Error::invalid("a store in memory has no readers beside its one connection"));
        };
        let conn = file.connect()?;
        let mut reader = Store { conn, path: self.path.clone(), file: Some(file.clone()), read_only: true };
        reader.configure()?;
        reader.conn.execute_batch("PRAGMA query_only = ON;")?;
        Ok(reader)
    }

    /// Whether this is a reader (see `reader`).
    pub fn is_reader(&self) -> bool {
        self.read_only
    }

    /// The store's random id (from its key file); none for an in-memory or unencrypted store.
    pub fn id(&self) -> Option<&str> {
        self.file.as_ref().map(EncryptedFile::id)
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    pub fn schema_version(&self) -> Result<i64> {
        migrations::version(&self.conn)
    }

    /// Re-encrypts the store under a new key from `keys` (a new random keychain key, or the new
    /// passphrase). Crash-safe: see the `keys` module.
    pub fn rekey(&mut self, keys: &dyn KeyProvider) -> Result<()> {
        let file = self.file.as_mut().ok_or_else(|| Error::invalid("an in-memory or unencrypted store has no key"))?;
        file.rekey(&self.conn, keys)
    }

    /// Runs `f` in one transaction: all of it is stored, or none.
    ///
    /// The transaction takes the write lock at once (IMMEDIATE). A deferred one that reads first
    /// and then writes fails at once with "database is locked" if another connection (the UI's
    /// and the sync's share the file) wrote meanwhile: SQLite cannot move its snapshot forward,
    /// so the busy timeout never applies. Taken up front, the lock waits like any other.
    pub fn transaction<T>(&mut self, f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T>) -> Result<T> {
        let path = self.path.clone();
        let run = || -> Result<T> {
            let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let value = f(&tx)?;
            tx.commit()?;
            Ok(value)
        };
        run().map_err(|e| match &path {
            Some(p) => e.for_store(p),
            None => e,
        })
    }

    fn configure(&mut self) -> Result<()> {
        crate::search::register_functions(&self.conn)?;
        // temp_store=MEMORY: sorts and temporary tables never touch the disk, so no plaintext can
        // leak into a temporary file. A 32 MiB page cache keeps decrypted pages for reuse:
        // with SQLCipher every cache miss is a decryption (a writer catching up takes a larger
        // one: `set_catching_up`). A checkpoint once the WAL holds 40 MB (encrypted like the
        // rest) rather than SQLite's 1,000 pages: a sync rewrites the same index pages over and
        // over, and each checkpoint copies a page once however often it changed (an initial sync
        // of 1.1M messages: 75 s -> 63 s).
        // (A store without a key file is in memory, with no WAL, or the benchmark's plain one.)
        let page_size = self.file.as_ref().map_or(PAGE_SIZE, EncryptedFile::page_size);
        let checkpoint = CHECKPOINT_BYTES / page_size;
        self.conn.execute_batch(&format!(
            "PRAGMA foreign_keys = ON;
             PRAGMA busy_timeout = 5000;
             PRAGMA synchronous = NORMAL;
             PRAGMA temp_store = MEMORY;
             PRAGMA cache_size = -{NORMAL_CACHE_KIB};
             PRAGMA wal_autocheckpoint = {checkpoint};",
        ))?;
        // Plans stay as prepared: otherwise (this SQLite has STAT4) binding a new value to some
        // parameters expires the statement, and the write path re-parsed its conversation refresh
        // for every conversation it touched (a tenth of a sync's time).
        self.conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
        Ok(())
    }
}
