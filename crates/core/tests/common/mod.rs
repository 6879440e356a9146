#![allow(dead_code)]
//! Fixtures shared by the core's integration tests.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use switchboard_core::keys::{StaticKey, StoreKey};
use switchboard_core::Store;

pub const MARKER: &str = "PLAINTEXT-MARKER-93b1f0";

pub fn key(byte: u8) -> StoreKey {
    StoreKey::from_bytes([byte; 32])
}

pub fn static_key(byte: u8) -> StaticKey {
    StaticKey::new(key(byte))
}

/// A small but varied data set: two channels, English and Korean, a bot exchange, settings.
pub fn sample_jsonl() -> String {
    include_str!("../fixtures/sample.jsonl").to_owned()
}

pub fn store_with_sample(dir: &Path, byte: u8) -> (PathBuf, Store) {
    let path = dir.join("switchboard.db");
    let mut store = Store::create(&path, &static_key(byte)).unwrap();
    let report = store.import_jsonl(sample_jsonl().as_bytes()).unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    (path, store)
}

/// The store at `path` opened with SQLCipher alone: the key of `byte`, and the page size its key
/// file records.
pub fn sqlcipher(path: &Path, byte: u8) -> rusqlite::Connection {
    let page_size = switchboard_core::keys::StoreMeta::read(path).unwrap().unwrap().page_size;
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.pragma_update(None, "key", format!("x'{}'", format!("{byte:02x}").repeat(32))).unwrap();
    conn.pragma_update(None, "cipher_page_size", page_size).unwrap();
    conn
}

pub fn checksum(path: &Path) -> String {
    hex(&Sha256::digest(std::fs::read(path).unwrap()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Every file in `dir`, with its contents.
pub fn files_in(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
