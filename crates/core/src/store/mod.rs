//! The encrypted store: SQLite through SQLCipher, one file plus its WAL, with a key file beside
//! it (see `keys`). Opening checks, in order: the file exists, its folder is writable, the key is
//! right (by the key check value, before SQLite reads a byte), the file decrypts, and its schema
//! is not newer than this build. Each failure is its own `Error`, and none writes to the file.
//!
//! Modules: `migrations` (numbered schema); `ingest` (the one write path for records: batches,
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
mod thread;
mod transfer;
mod triage;
pub(crate) mod util;

pub use migrations::LATEST as SCHEMA_VERSION;
pub use db::Db;
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


use crate::error::{parent_of, Error, Result};
use crate::keys::{new_spec, KeyProvider, KeySpec, Slot, StoreKey, StoreMeta, STORE_FORMAT};
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};

/// Bytes per page of a new store. A sync inserts into a dozen indexes at random places, and each
/// page it touches is decrypted, re-encrypted, authenticated and written whole: 16 KiB pages make
/// a third as many of them as SQLCipher's 4 KiB default (an initial sync of 1.1M messages, with
/// the writer's larger cache: 52.6 and 46.8 s → 43.8 and 45.1 s). Kept in the key file, since
/// SQLCipher must know it before it reads the file.
const PAGE_SIZE: u32 = 16384;

/// The WAL is checkpointed once it holds this much: see `configure`.
const CHECKPOINT_BYTES: u32 = 40 << 20;

use ingest::NORMAL_CACHE_KIB;

pub struct Store {
    pub(crate) conn: Connection,
    path: Option<PathBuf>,
    meta: Option<StoreMeta>,
    /// The key the file opened with, to open readers beside this connection (`reader`).
    key: Option<StoreKey>,
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
        let dir = parent_of(path);
        std::fs::create_dir_all(&dir).map_err(|e| Error::Io(e).for_store(path))?;
        check_writable(path)?;
        // A spool left by a store that was here before is unreadable without that store's key.
        spool::remove_leftover(path);
        let store_id = uuid::Uuid::new_v4().to_string();
        let (key, kdf) = keys.new_key(&store_id, Slot::Current)?;
        let meta = StoreMeta {
            format: STORE_FORMAT,
            store_id: store_id.clone(),
            key: new_spec(keys.mode(), &key, kdf, &store_id),
            pending: None,
            page_size: PAGE_SIZE,
        };
        // The key file first: a store must never exist without the means to open it.
        meta.write(path)?;
        let created = (|| {
            let conn = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            apply_key(&conn, &key, PAGE_SIZE)?;
            conn.pragma_update(None, "journal_mode", "WAL")?;
            let mut store = Store { conn, path: Some(path.to_owned()), meta: Some(meta.clone()), key: Some(key.clone()), read_only: false };
            store.configure()?;
            migrations::migrate(&mut store.conn, version)?;
            Ok::<_, Error>(store)
        })();
        match created {
            Ok(store) => {
                tracing::info!(path = %path.display(), mode = ?keys.mode(), "created store");
                Ok(store)
            }
            Err(e) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut p = path.as_os_str().to_owned();
                    p.push(suffix);
                    let _ = std::fs::remove_file(PathBuf::from(p));
                }
                let _ = std::fs::remove_file(StoreMeta::path_for(path));
                let _ = keys.forget(&store_id);
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
        match std::fs::metadata(path) {
            Ok(m) if m.is_file() => {}
            Ok(_) => return Err(Error::invalid(format!("{} is not a file", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Error::NotFound(path.to_owned())),
            Err(e) => return Err(Error::Io(e)),
        }
        check_writable(path)?;
        let mut meta = StoreMeta::read(path)?.ok_or_else(|| Error::Meta {
            path: StoreMeta::path_for(path),
            detail: "not found".into(),
        })?;
        if meta.format > STORE_FORMAT {
            return Err(Error::NewerFormat { path: path.to_owned(), found: meta.format, supported: STORE_FORMAT });
        }
        if !(512..=65536).contains(&meta.page_size) || !meta.page_size.is_power_of_two() {
            return Err(Error::Meta { path: StoreMeta::path_for(path), detail: format!("page size {} is not one SQLCipher takes", meta.page_size) });
        }
        if meta.key.mode != keys.mode() {
            return Err(match meta.key.mode {
                crate::keys::KeyMode::Passphrase => Error::PassphraseRequired,
                other => Error::invalid(format!("this store's key is kept by {other:?}, not {:?}", keys.mode())),
            });
        }

        // The recorded keys whose check value matches what the provider gives.
        let mut candidates: Vec<(Slot, StoreKey)> = Vec::new();
        let slots = [(Slot::Current, Some(&meta.key)), (Slot::Pending, meta.pending.as_ref())];
        for (slot, spec) in slots {
            let Some(spec) = spec else { continue };
            match keys.key(&meta.store_id, spec, slot) {
                Ok(key) if key.check_value(&meta.store_id) == spec.check => candidates.push((slot, key)),
                Ok(_) => {}
                Err(Error::KeyMissing) if slot == Slot::Pending => {}
                Err(e) => return Err(e),
            }
        }
        if candidates.is_empty() {
            return Err(Error::WrongKey(path.to_owned()));
        }

        let mut last_err = None;
        for (slot, key) in candidates {
            match open_with_key(path, &key, meta.page_size) {
                Ok(conn) => {
                    let mut store = Store { conn, path: Some(path.to_owned()), meta: None, key: Some(key), read_only: false };
                    let found = migrations::version(&store.conn)?;
                    if found > migrations::LATEST {
                        return Err(Error::NewerVersion {
                            path: path.to_owned(),
                            found,
                            supported: migrations::LATEST,
                        });
                    }
                    finish_interrupted_rekey(path, keys, &mut meta, slot)?;
                    store.meta = Some(meta);
                    store.conn.pragma_update(None, "journal_mode", "WAL").map_err(|e| Error::from(e).for_store(path))?;
                    store.configure()?;
                    return Ok(store);
                }
                Err(e) => last_err = Some(e),
            }
        }
        Err(last_err.expect("at least one candidate").for_store(path))
    }

    /// An unencrypted store in memory: for tests of logic that does not depend on encryption.
    pub fn open_in_memory() -> Result<Store> {
        let conn = Connection::open_in_memory()?;
        let mut store = Store { conn, path: None, meta: None, key: None, read_only: false };
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
        let mut store = Store { conn, path: Some(path.to_owned()), meta: None, key: None, read_only: false };
        store.configure()?;
        migrations::migrate(&mut store.conn, migrations::LATEST)?;
        Ok(store)
    }

    /// Another connection to this store, for reading only (`PRAGMA query_only`). In WAL mode it
    /// never waits for a writer: each read sees what was last committed. An error for a store in
    /// memory, which has one connection only.
    pub fn reader(&self) -> Result<Store> {
        let (Some(path), Some(key)) = (&self.path, &self.key) else {
            return Err(Error::invalid("a store in memory has no readers beside its one connection"));
        };
        let page_size = self.meta.as_ref().map_or(PAGE_SIZE, |m| m.page_size);
        let conn = open_with_key(path, key, page_size).map_err(|e| e.for_store(path))?;
        let mut reader = Store { conn, path: Some(path.clone()), meta: self.meta.clone(), key: Some(key.clone()), read_only: true };
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
        self.meta.as_ref().map(|m| m.store_id.as_str())
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
        let path = self.path.clone().ok_or_else(|| Error::invalid("an in-memory store has no key"))?;
        let mut meta = self.meta.clone().ok_or_else(|| Error::invalid("an unencrypted store has no key"))?;
        let (key, kdf) = keys.new_key(&meta.store_id, Slot::Pending)?;
        meta.pending = Some(new_spec(keys.mode(), &key, kdf, &meta.store_id));
        meta.write(&path)?;
        let result = (|| {
            self.conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
            let value = key.pragma_value();
            // SAFETY: as in `apply_key`.
            check_rc(unsafe {
                rusqlite::ffi::sqlite3_rekey(self.conn.handle(), value.as_ptr().cast(), value.len() as std::os::raw::c_int)
            })?;
            // Prove the new key reads the file before the old one is forgotten.
            let reopened = open_with_key(&path, &key, meta.page_size)?;
            drop(reopened);
            Ok::<_, Error>(())
        })();
        if let Err(e) = result {
            return Err(e.for_store(&path));
        }
        let pending: KeySpec = meta.pending.take().expect("set above");
        meta.key = pending;
        meta.write(&path)?;
        keys.promote(&meta.store_id)?;
        self.meta = Some(meta);
        self.key = Some(key);
        tracing::info!(path = %path.display(), "store re-keyed");
        Ok(())
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
        let page_size = self.meta.as_ref().map_or(PAGE_SIZE, |m| m.page_size);
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

/// Hands the key to SQLCipher through its C API: `PRAGMA key` would first copy the key into an
/// SQL string that nobody zeroizes.
fn apply_key(conn: &Connection, key: &StoreKey, page_size: u32) -> Result<()> {
    let value = key.pragma_value();
    // SAFETY: the handle is valid for the life of `conn`; SQLCipher copies the key bytes.
    let rc = unsafe {
        rusqlite::ffi::sqlite3_key(conn.handle(), value.as_ptr().cast(), value.len() as std::os::raw::c_int)
    };
    check_rc(rc)?;
    // SQLCipher logs "hmac check failed" to stderr on a wrong key; we report it ourselves.
    conn.execute_batch(&format!("PRAGMA cipher_log_level = NONE; PRAGMA cipher_page_size = {page_size};"))?;
    Ok(())
}

fn check_rc(rc: std::os::raw::c_int) -> Result<()> {
    if rc == rusqlite::ffi::SQLITE_OK {
        Ok(())
    } else {
        Err(Error::Sqlite(rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(rc), None)))
    }
}

/// Opens the file with `key` and proves that it decrypts, without writing to it.
fn open_with_key(path: &Path, key: &StoreKey, page_size: u32) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    apply_key(&conn, key, page_size)?;
    conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get::<_, i64>(0))?;
    Ok(conn)
}

/// A re-key that crashed leaves the key file with a `pending` key: settle it to whichever key the
/// file actually opened with.
fn finish_interrupted_rekey(path: &Path, keys: &dyn KeyProvider, meta: &mut StoreMeta, opened_with: Slot) -> Result<()> {
    match (opened_with, meta.pending.take()) {
        (Slot::Pending, Some(pending)) => {
            meta.key = pending;
            meta.write(path)?;
            keys.promote(&meta.store_id)?;
            tracing::warn!("completed an interrupted re-key");
        }
        (Slot::Current, Some(_)) => {
            meta.write(path)?;
            keys.discard_pending(&meta.store_id)?;
            tracing::warn!("discarded the new key of an interrupted re-key");
        }
        _ => {}
    }
    Ok(())
}

/// Tells a read-only folder apart before SQLite fails in a less clear way. Creating a file is the
/// only test that holds for root, who ignores permission bits but not a read-only mount.
fn check_writable(path: &Path) -> Result<()> {
    let dir = parent_of(path);
    match tempfile::tempfile_in(&dir) {
        Ok(_) => Ok(()),
        Err(e) => match e.kind() {
            std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied => Err(Error::ReadOnly(dir)),
            std::io::ErrorKind::StorageFull => Err(Error::DiskFull(path.to_owned())),
            _ => Err(Error::Io(e)),
        },
    }
}
