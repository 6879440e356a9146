//! Data at rest and the distinct, non-destructive failures of opening a store.

mod common;
use common::*;
use switchboard_core::keys::StoreMeta;
use switchboard_core::{Error, Store};

#[test]
fn no_plaintext_or_key_bytes_in_any_file_the_store_writes() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut store) = store_with_sample(dir.path(), 0x5a);
    let line = format!(
        r#"{{"kind":"message","account":"telegram:acme_bot","conversation":"42","id":"42:1","direction":"in","author":{{"kind":"customer","name":"Marker Person","handle":"42"}},"text":"secret {MARKER} 비밀","at":"2026-03-07T00:00:00Z"}}"#
    );
    store.import_jsonl(line.as_bytes()).unwrap();
    assert_eq!(store.search(&switchboard_core::search::SearchQuery { text: MARKER.into(), limit: 5, ..Default::default() }).unwrap().len(), 1);

    let key_raw = [0x5au8; 32];
    let key_hex = "5a".repeat(32);
    let check = |phase: &str| {
        let files = files_in(dir.path());
        assert!(files.iter().any(|(p, _)| p.to_string_lossy().ends_with("-wal")), "{phase}: WAL expected");
        for (file, bytes) in files {
            for needle in [MARKER.as_bytes(), "비밀".as_bytes(), "Lena Ortiz".as_bytes(), &key_raw[..], key_hex.as_bytes()] {
                assert!(!contains(&bytes, needle), "{phase}: {} holds {:?}", file.display(), String::from_utf8_lossy(needle));
            }
        }
    };
    // While open, the WAL holds the newest pages; after closing, the main file does.
    check("open");
    drop(store);
    let store = Store::open(&path, &static_key(0x5a)).unwrap();
    check("reopened");
    drop(store);
    for (file, bytes) in files_in(dir.path()) {
        assert!(!contains(&bytes, MARKER.as_bytes()), "closed: {}", file.display());
    }
}

#[test]
fn wrong_key_is_a_clear_error_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (path, store) = store_with_sample(dir.path(), 1);
    drop(store);
    let before = (checksum(&path), checksum(&StoreMeta::path_for(&path)));
    let err = Store::open(&path, &static_key(2)).unwrap_err();
    assert!(matches!(err, Error::WrongKey(_)), "{err:?}");
    assert_eq!(err.to_string(), format!("wrong key or passphrase for the store at {}", path.display()));
    assert_eq!(before, (checksum(&path), checksum(&StoreMeta::path_for(&path))));
    // The right key still opens it, with the data intact.
    let store = Store::open(&path, &static_key(1)).unwrap();
    assert_eq!(store.thread(1, 10).unwrap().messages.len(), 3);
}

#[test]
fn a_damaged_file_is_reported_as_damaged_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let (path, store) = store_with_sample(dir.path(), 3);
    drop(store);
    let mut bytes = std::fs::read(&path).unwrap();
    for b in &mut bytes[64..512] {
        *b ^= 0xff;
    }
    std::fs::write(&path, &bytes).unwrap();
    let before = checksum(&path);
    let err = Store::open(&path, &static_key(3)).unwrap_err();
    assert!(matches!(err, Error::Damaged { .. }), "{err:?}");
    assert!(!err.to_string().contains('\n'));
    assert_eq!(before, checksum(&path));
}

#[test]
fn a_store_from_a_newer_version_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let (path, store) = store_with_sample(dir.path(), 4);
    drop(store);
    {
        // Written the way a future Switchboard would: same key, higher schema number.
        let conn = sqlcipher(&path, 4);
        conn.pragma_update(None, "user_version", 99).unwrap();
    }
    let before = checksum(&path);
    let err = Store::open(&path, &static_key(4)).unwrap_err();
    match &err {
        Error::NewerVersion { found, supported, .. } => {
            assert_eq!(*found, 99);
            assert_eq!(*supported, switchboard_core::store::SCHEMA_VERSION);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(before, checksum(&path));
}

#[test]
fn missing_store_and_missing_key_file_are_distinct_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("none.db");
    assert!(matches!(Store::open(&path, &static_key(1)), Err(Error::NotFound(_))));
    let (path, store) = store_with_sample(dir.path(), 1);
    drop(store);
    std::fs::remove_file(StoreMeta::path_for(&path)).unwrap();
    assert!(matches!(Store::open(&path, &static_key(1)), Err(Error::Meta { .. })));
    assert!(matches!(Store::create(&path, &static_key(1)), Err(Error::AlreadyExists(_))));
}

#[test]
fn the_file_is_a_real_sqlcipher_database_with_wal_and_foreign_keys() {
    let dir = tempfile::tempdir().unwrap();
    let (path, store) = store_with_sample(dir.path(), 6);
    drop(store);
    // Without the key SQLite cannot read it.
    let plain = rusqlite::Connection::open(&path).unwrap();
    assert!(plain.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get::<_, i64>(0)).is_err());
    // Nor can SQLCipher with the key but its default 4 KiB pages: the key file says 16 KiB.
    let meta = StoreMeta::read(&path).unwrap().unwrap();
    assert_eq!((meta.format, meta.page_size), (2, 16384));
    let default_pages = rusqlite::Connection::open(&path).unwrap();
    default_pages.pragma_update(None, "key", format!("x'{}'", "06".repeat(32))).unwrap();
    assert!(default_pages.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get::<_, i64>(0)).is_err());
    let conn = sqlcipher(&path, 6);
    // (SQLCipher answers with text.)
    let page_size: String = conn.query_row("PRAGMA page_size", [], |r| r.get(0)).unwrap();
    assert_eq!(page_size, "16384");
    let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
    let messages: i64 = conn.query_row("SELECT count(*) FROM messages", [], |r| r.get(0)).unwrap();
    assert_eq!(messages, 5);
}

/// Turns the store at `path` into one of format 1, as builds before 16 KiB pages wrote: the same
/// data in SQLCipher's default 4 KiB pages, and a key file without a page size.
fn make_format_1(path: &std::path::Path, byte: u8) {
    let old = path.with_extension("4k");
    {
        let conn = sqlcipher(path, byte);
        let key = format!("x'{}'", format!("{byte:02x}").repeat(32));
        // sqlcipher_export copies tables and rows, not the schema version.
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        conn.execute_batch(&format!(
            "ATTACH DATABASE '{}' AS old KEY \"{key}\"; PRAGMA old.cipher_page_size = 4096; SELECT sqlcipher_export('old');
             PRAGMA old.user_version = {version}; DETACH DATABASE old;",
            old.display()
        ))
        .unwrap();
    }
    for suffix in ["-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(std::path::PathBuf::from(p));
    }
    std::fs::rename(&old, path).unwrap();
    let meta_path = StoreMeta::path_for(path);
    let mut meta: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&meta_path).unwrap()).unwrap();
    meta["format"] = 1.into();
    meta.as_object_mut().unwrap().remove("page_size");
    std::fs::write(&meta_path, serde_json::to_vec(&meta).unwrap()).unwrap();
}

#[test]
fn a_store_of_format_1_with_4_kib_pages_still_opens_reads_writes_and_rekeys() {
    let dir = tempfile::tempdir().unwrap();
    let (path, store) = store_with_sample(dir.path(), 7);
    let threads = store.thread(1, 10).unwrap().messages.len();
    drop(store);
    make_format_1(&path, 7);
    let meta = StoreMeta::read(&path).unwrap().unwrap();
    assert_eq!((meta.format, meta.page_size), (1, 4096));

    let mut store = Store::open(&path, &static_key(7)).unwrap();
    assert_eq!(store.thread(1, 10).unwrap().messages.len(), threads);
    let line = r#"{"kind":"message","account":"telegram:acme_bot","conversation":"77","id":"77:1","direction":"in","author":{"kind":"customer","name":"Old Format","handle":"77"},"text":"still written","at":"2026-03-07T00:00:00Z"}"#;
    assert!(store.import_jsonl(line.as_bytes()).unwrap().errors.is_empty());
    store.rekey(&static_key(8)).unwrap();
    drop(store);

    // Still 4 KiB pages under the new key, and the key file still says so.
    let meta = StoreMeta::read(&path).unwrap().unwrap();
    assert_eq!((meta.format, meta.page_size), (1, 4096));
    let conn = sqlcipher(&path, 8);
    let (page_size, found): (String, i64) = (
        conn.query_row("PRAGMA page_size", [], |r| r.get(0)).unwrap(),
        conn.query_row("SELECT count(*) FROM messages WHERE body = 'still written'", [], |r| r.get(0)).unwrap(),
    );
    assert_eq!((page_size.as_str(), found), ("4096", 1));
    drop(conn);
    let store = Store::open(&path, &static_key(8)).unwrap();
    assert_eq!(store.thread(1, 10).unwrap().messages.len(), threads);
}

#[test]
fn a_key_file_of_a_newer_format_or_an_impossible_page_size_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let (path, store) = store_with_sample(dir.path(), 9);
    drop(store);
    let meta_path = StoreMeta::path_for(&path);
    let good = std::fs::read_to_string(&meta_path).unwrap();
    let edited = |field: &str, value: serde_json::Value| {
        let mut meta: serde_json::Value = serde_json::from_str(&good).unwrap();
        meta[field] = value;
        std::fs::write(&meta_path, serde_json::to_vec(&meta).unwrap()).unwrap();
        (checksum(&path), checksum(&meta_path))
    };

    let before = edited("format", 3.into());
    let err = Store::open(&path, &static_key(9)).unwrap_err();
    assert!(matches!(err, Error::NewerFormat { found: 3, supported: 2, .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("the store at {} was written by a newer Switchboard (store format 3, this build reads up to 2); update Switchboard", path.display())
    );
    assert_eq!(before, (checksum(&path), checksum(&meta_path)));

    for size in [1000, 256, 131072] {
        let before = edited("page_size", size.into());
        let err = Store::open(&path, &static_key(9)).unwrap_err();
        assert!(matches!(&err, Error::Meta { detail, .. } if detail == &format!("page size {size} is not one SQLCipher takes")), "{err:?}");
        assert_eq!(before, (checksum(&path), checksum(&meta_path)));
    }

    std::fs::write(&meta_path, &good).unwrap();
    assert_eq!(Store::open(&path, &static_key(9)).unwrap().thread(1, 10).unwrap().messages.len(), 3);
}
