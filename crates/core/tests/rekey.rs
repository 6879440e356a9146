//! Re-keying keeps every row, and a re-key interrupted at any point still opens.

mod common;
use common::*;
use switchboard_core::keys::{StaticKey, StoreMeta};
use switchboard_core::{Error, Store};

#[test]
fn rekey_keeps_the_data_and_retires_the_old_key() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut store) = store_with_sample(dir.path(), 1);
    let before = store.stats().unwrap();
    store.rekey(&StaticKey::rotating(key(1), key(2))).unwrap();
    assert_eq!(store.stats().unwrap(), before);
    drop(store);
    assert!(matches!(Store::open(&path, &static_key(1)), Err(Error::WrongKey(_))));
    let store = Store::open(&path, &static_key(2)).unwrap();
    assert_eq!(store.stats().unwrap(), before);
    assert!(StoreMeta::read(&path).unwrap().unwrap().pending.is_none());
}

#[test]
fn an_interrupted_rekey_opens_with_whichever_key_the_file_has() {
    let dir = tempfile::tempdir().unwrap();
    let (path, store) = store_with_sample(dir.path(), 1);
    drop(store);
    // A copy still under the old key, as if the crash came before the re-encryption.
    let old_dir = tempfile::tempdir().unwrap();
    let old_path = old_dir.path().join("switchboard.db");
    std::fs::copy(&path, &old_path).unwrap();
    std::fs::copy(StoreMeta::path_for(&path), StoreMeta::path_for(&old_path)).unwrap();
    let old_meta = StoreMeta::read(&path).unwrap().unwrap();

    let rotating = StaticKey::rotating(key(1), key(2));
    Store::open(&path, &static_key(1)).unwrap().rekey(&rotating).unwrap();
    let new_meta = StoreMeta::read(&path).unwrap().unwrap();
    let interrupted = StoreMeta { pending: Some(new_meta.key.clone()), ..old_meta.clone() };

    // Crash after re-encrypting, before the key file caught up: the pending key opens it.
    interrupted.write(&path).unwrap();
    let store = Store::open(&path, &rotating).unwrap();
    assert_eq!(store.thread(1, 10).unwrap().messages.len(), 3);
    drop(store);
    assert_eq!(StoreMeta::read(&path).unwrap().unwrap(), new_meta, "the re-key is completed");

    // Crash before re-encrypting: the old key opens it and the new one is dropped.
    interrupted.write(&old_path).unwrap();
    let store = Store::open(&old_path, &rotating).unwrap();
    assert_eq!(store.thread(1, 10).unwrap().messages.len(), 3);
    drop(store);
    assert_eq!(StoreMeta::read(&old_path).unwrap().unwrap(), old_meta);
}

#[test]
fn passphrase_rekey_changes_the_passphrase() {
    use switchboard_core::keys::PassphraseKeys;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.db");
    let mut store = Store::create(&path, &PassphraseKeys::new("first pass").unwrap()).unwrap();
    store.import_jsonl(sample_jsonl().as_bytes()).unwrap();
    store.rekey(&PassphraseKeys::new("first pass").unwrap().with_next("second pass").unwrap()).unwrap();
    drop(store);
    assert!(matches!(Store::open(&path, &PassphraseKeys::new("first pass").unwrap()), Err(Error::WrongKey(_))));
    let store = Store::open(&path, &PassphraseKeys::new("second pass").unwrap()).unwrap();
    assert_eq!(store.thread(1, 10).unwrap().messages.len(), 3);
}
