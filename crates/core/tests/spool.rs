//! The spool keeps confirmed batches until the store holds them: across a restart, encrypted,
//! and still readable after the store is re-keyed.

mod common;
use common::*;
use switchboard_core::interchange::{Author, MessageRecord, Record};
use switchboard_core::keys::StaticKey;
use switchboard_core::model::{AuthorKind, Direction};
use switchboard_core::Store;

fn update(id: &str, text: &str) -> Record {
    Record::Message(MessageRecord {
        account: "telegram:bot".into(),
        conversation: "42".into(),
        id: id.into(),
        direction: Direction::In,
        author: Author { kind: AuthorKind::Customer, name: Some("Mina".into()), handle: Some("42".into()) },
        text: text.into(),
        at: "2026-11-30T09:00:00Z".parse().unwrap(),
        delivery: None,
        attachments: vec![],
        email: None,
    })
}

#[test]
fn a_spooled_batch_survives_a_restart_and_a_rekey_until_forgotten() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut store) = store_with_sample(dir.path(), 1);
    let secret = "my parcel number is SPOOLED-7781";
    let (first, second) = {
        let mut spool = store.spool().unwrap();
        let first = spool.push(3, "updates", &[update("u1", secret)], Some("101")).unwrap();
        let second = spool.push(3, "updates", &[update("u2", "and another")], Some("102")).unwrap();
        spool.push(4, "updates", &[update("u3", "elsewhere")], None).unwrap();
        (first, second)
    };
    assert!(first < second);
    drop(store);

    // Nothing readable on disk: the spool is encrypted like the store.
    for (file, bytes) in files_in(dir.path()) {
        assert!(!contains(&bytes, secret.as_bytes()), "{} holds the text in the clear", file.display());
    }
    assert!(files_in(dir.path()).iter().any(|(f, _)| f.to_string_lossy().ends_with("-spool")));

    // A re-key of the store leaves the spool readable: its key is kept inside the store.
    Store::open(&path, &static_key(1)).unwrap().rekey(&StaticKey::rotating(key(1), key(2))).unwrap();
    let mut store = Store::open(&path, &static_key(2)).unwrap();
    let mut spool = store.spool().unwrap();
    let pending = spool.pending(3, "updates").unwrap();
    assert_eq!(pending.iter().map(|s| (s.seq, s.cursor.as_deref())).collect::<Vec<_>>(), [(first, Some("101")), (second, Some("102"))]);
    assert_eq!(pending[0].records, [update("u1", secret)]);
    spool.forget(first).unwrap();
    assert_eq!(spool.pending(3, "updates").unwrap().len(), 1);
    assert_eq!(spool.pending(4, "updates").unwrap().len(), 1, "another account's batches are its own");
    assert!(spool.pending(3, "comments").unwrap().is_empty());
}

#[test]
fn another_stores_spool_is_refused_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut store) = store_with_sample(dir.path(), 1);
    store.spool().unwrap().push(3, "updates", &[update("u1", "hi")], Some("1")).unwrap();
    drop(store);
    // A spool left from another store (its key is not this store's).
    let other = tempfile::tempdir().unwrap();
    let (other_path, mut other_store) = store_with_sample(other.path(), 2);
    drop(other_store.spool().unwrap());
    drop(other_store);
    let spool_of = |p: &std::path::Path| {
        let mut name = p.as_os_str().to_owned();
        name.push("-spool");
        std::path::PathBuf::from(name)
    };
    std::fs::copy(spool_of(&path), spool_of(&other_path)).unwrap();
    let mut other_store = Store::open(&other_path, &static_key(2)).unwrap();
    let refused = other_store.spool().unwrap_err().to_string();
    assert!(refused.contains("not this store's"), "{refused}");

    // A store made anew where one was removes the old one's spool, which nothing could read.
    drop(other_store);
    std::fs::remove_file(&path).unwrap();
    let mut fresh = Store::create(&path, &static_key(3)).unwrap();
    assert!(fresh.spool().unwrap().pending(3, "updates").unwrap().is_empty());
}

/// Each Telegram account has a connection of its own to the spool: they write at the same time.
#[test]
fn two_accounts_spool_at_once_through_their_own_connections() {
    let dir = tempfile::tempdir().unwrap();
    let (_path, mut store) = store_with_sample(dir.path(), 1);
    let spools = [store.spool().unwrap(), store.spool().unwrap()];
    std::thread::scope(|scope| {
        for (account, mut spool) in spools.into_iter().enumerate() {
            scope.spawn(move || {
                for n in 0..200 {
                    spool.push(account as i64, "updates", &[update(&format!("u{n}"), "hello")], Some(&n.to_string())).unwrap();
                }
            });
        }
    });
    let spool = store.spool().unwrap();
    assert_eq!((spool.pending(0, "updates").unwrap().len(), spool.pending(1, "updates").unwrap().len()), (200, 200));
}
