//! An encrypted SQLite file and the key file beside it: creating one, opening it with the right
//! key (and settling a re-key that was interrupted), more connections beside the first, and
//! re-keying. The store is one such file; the hub's embedded engine is another, with its own
//! schema.
//!
//! Opening checks, in order: the file exists, its folder is writable, the key is right (by the
//! key check value, before SQLite reads a byte), the file decrypts, and what the caller checks
//! (its schema is not newer than this build). Each failure is its own `Error`, and none writes
//! to the file.

use crate::error::{parent_of, Error, Result};
use crate::keys::{new_spec, KeyProvider, KeySpec, Slot, StoreKey, StoreMeta, STORE_FORMAT};
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};

/// Bytes per page of a new file. A sync inserts into a dozen indexes at random places, and each
/// page it touches is decrypted, re-encrypted, authenticated and written whole: 16 KiB pages make
/// a third as many of them as SQLCipher's 4 KiB default (an initial sync of 1.1M messages, with
/// the writer's larger cache: 52.6 and 46.8 s → 43.8 and 45.1 s). Kept in the key file, since
/// SQLCipher must know it before it reads the file.
pub(crate) const PAGE_SIZE: u32 = 16384;

/// An open encrypted file: where it is, its key file's record, and the key it opened with.
#[derive(Clone)]
pub struct EncryptedFile {
    path: PathBuf,
    meta: StoreMeta,
    key: StoreKey,
}

impl std::fmt::Debug for EncryptedFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EncryptedFile").field("path", &self.path).finish_non_exhaustive()
    }
}

impl EncryptedFile {
    /// Creates the file at `path` with a new key from `keys`, the key file first (a file must
    /// never exist without the means to open it). The connection is keyed and in WAL mode, with
    /// no schema yet; if setting one up fails, `discard` takes the file away again.
    pub fn create(path: &Path, keys: &dyn KeyProvider) -> Result<(EncryptedFile, Connection)> {
        if path.exists() {
            return Err(Error::AlreadyExists(path.to_owned()));
        }
        let dir = parent_of(path);
        std::fs::create_dir_all(&dir).map_err(|e| Error::Io(e).for_store(path))?;
        check_writable(path)?;
        let store_id = uuid::Uuid::new_v4().to_string();
        let (key, kdf) = keys.new_key(&store_id, Slot::Current)?;
        let meta = StoreMeta { format: STORE_FORMAT, store_id: store_id.clone(), key: new_spec(keys.mode(), &key, kdf, &store_id), pending: None, page_size: PAGE_SIZE };
        meta.write(path)?;
        let file = EncryptedFile { path: path.to_owned(), meta, key };
        let connected = (|| {
            let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
            apply_key(&conn, &file.key, PAGE_SIZE)?;
            conn.pragma_update(None, "journal_mode", "WAL")?;
            Ok::<_, Error>(conn)
        })();
        match connected {
            Ok(conn) => Ok((file, conn)),
            Err(e) => {
                file.discard(keys);
                Err(e.for_store(path))
            }
        }
    }

    /// Removes a file `create` made (its WAL and key file too) and forgets its keys.
    pub fn discard(&self, keys: &dyn KeyProvider) {
        for suffix in ["", "-wal", "-shm"] {
            let mut p = self.path.as_os_str().to_owned();
            p.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(p));
        }
        let _ = std::fs::remove_file(StoreMeta::path_for(&self.path));
        let _ = keys.forget(&self.meta.store_id);
    }

    /// Opens the file at `path` with its key from `keys`. `check` looks at the decrypted file
    /// before anything is written to it (a schema newer than this build is refused there).
    pub fn open(path: &Path, keys: &dyn KeyProvider, check: impl Fn(&Connection) -> Result<()>) -> Result<(EncryptedFile, Connection)> {
        match std::fs::metadata(path) {
            Ok(m) if m.is_file() => {}
            Ok(_) => return Err(Error::invalid(format!("{} is not a file", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Error::NotFound(path.to_owned())),
            Err(e) => return Err(Error::Io(e)),
        }
        check_writable(path)?;
        let mut meta = StoreMeta::read(path)?.ok_or_else(|| Error::Meta { path: StoreMeta::path_for(path), detail: "not found".into() })?;
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
                    check(&conn)?;
                    finish_interrupted_rekey(path, keys, &mut meta, slot)?;
                    conn.pragma_update(None, "journal_mode", "WAL").map_err(|e| Error::from(e).for_store(path))?;
                    return Ok((EncryptedFile { path: path.to_owned(), meta, key }, conn));
                }
                Err(e) => last_err = Some(e),
            }
        }
        Err(last_err.expect("at least one candidate").for_store(path))
    }

    /// Another connection to the file, keyed.
    pub fn connect(&self) -> Result<Connection> {
        open_with_key(&self.path, &self.key, self.meta.page_size).map_err(|e| e.for_store(&self.path))
    }

    /// The file's random id (from its key file), which names its keychain entries.
    pub fn id(&self) -> &str {
        &self.meta.store_id
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn page_size(&self) -> u32 {
        self.meta.page_size
    }

    /// Re-encrypts the file, through `conn`, under a new key from `keys` (a new random keychain
    /// key, or the new passphrase). Crash-safe: the new key is recorded as pending before the
    /// file changes, and promoted once the file opens with it (see `open`).
    pub fn rekey(&mut self, conn: &Connection, keys: &dyn KeyProvider) -> Result<()> {
        let path = self.path.clone();
        let mut meta = self.meta.clone();
        let (key, kdf) = keys.new_key(&meta.store_id, Slot::Pending)?;
        meta.pending = Some(new_spec(keys.mode(), &key, kdf, &meta.store_id));
        meta.write(&path)?;
        let result = (|| {
            conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
            let value = key.pragma_value();
            // SAFETY: as in `apply_key`.
            check_rc(unsafe { rusqlite::ffi::sqlite3_rekey(conn.handle(), value.as_ptr().cast(), value.len() as std::os::raw::c_int) })?;
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
        self.meta = meta;
        self.key = key;
        tracing::info!(path = %path.display(), "re-keyed");
        Ok(())
    }
}

/// Hands the key to SQLCipher through its C API: `PRAGMA key` would first copy the key into an
/// SQL string that nobody zeroizes.
pub(crate) fn apply_key(conn: &Connection, key: &StoreKey, page_size: u32) -> Result<()> {
    let value = key.pragma_value();
    // SAFETY: the handle is valid for the life of `conn`; SQLCipher copies the key bytes.
    let rc = unsafe { rusqlite::ffi::sqlite3_key(conn.handle(), value.as_ptr().cast(), value.len() as std::os::raw::c_int) };
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
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
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
pub(crate) fn check_writable(path: &Path) -> Result<()> {
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
