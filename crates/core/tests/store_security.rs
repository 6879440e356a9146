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
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "key", format!("x'{}'", "04".repeat(32))).unwrap();
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
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "key", format!("x'{}'", "06".repeat(32))).unwrap();
    let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
    let messages: i64 = conn.query_row("SELECT count(*) FROM messages", [], |r| r.get(0)).unwrap();
    assert_eq!(messages, 5);
}
