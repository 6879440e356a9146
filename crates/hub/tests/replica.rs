//! The hub's replica follows its log into a desk's store, and a record the store refuses is left
//! out without holding the rest up.

use serde_json::json;
use std::sync::Arc;
use switchboard_core::keys::{StaticKey, StoreKey};
use switchboard_core::model::InboxFilter;
use switchboard_hub::replica::Replica;
use switchboard_hub::{Append, Engine, NewEntry, SqliteEngine};

fn message(id: &str, text: &str) -> String {
    json!({ "kind": "message", "account": "telegram:acme_bot", "conversation": "42", "id": id, "direction": "in",
            "author": { "kind": "customer", "name": "Lena", "handle": "42" }, "text": text, "at": "2026-12-01T10:00:00Z" })
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_replica_follows_the_log_and_leaves_out_only_what_it_cannot_store() {
    let dir = tempfile::tempdir().unwrap();
    let engine: Arc<dyn Engine> = Arc::new(SqliteEngine::create(&dir.path().join("hub.db"), &StaticKey::new(StoreKey::from_bytes([2; 32]))).unwrap());
    let entries = vec![
        NewEntry::new(message("1", "Where is my parcel?")),
        // Reads as a record, but the store refuses it (a teammate with no name).
        NewEntry::new(json!({ "kind": "person", "id": 9, "name": " ", "role": "agent" }).to_string()),
        NewEntry::new("{\"kind\":\"nonsense\"}"),
        NewEntry::new(message("2", "Hello?")),
    ];
    engine.append(Append::entries(entries, jiff::Timestamp::now())).await.unwrap();
    let replica_dir = tempfile::tempdir().unwrap();
    let replica = Replica::start(engine.clone(), replica_dir.path()).unwrap();
    replica.caught_up_to(4).await.unwrap();
    let texts = replica
        .db()
        .read(|s| {
            let row = s.inbox(&InboxFilter { limit: 5, ..Default::default() })?.remove(0);
            Ok(s.thread(row.id, 10)?.messages.into_iter().map(|m| m.text).collect::<Vec<_>>())
        })
        .unwrap();
    assert_eq!(texts, ["Where is my parcel?", "Hello?"]);

    // Then it follows.
    engine.append(Append::entries(vec![NewEntry::new(message("3", "Anyone?"))], jiff::Timestamp::now())).await.unwrap();
    replica.caught_up_to(5).await.unwrap();
    assert_eq!(replica.applied(), 5);
    assert!(replica.db().read(|s| s.conversation_by_external("telegram:acme_bot", "42")).unwrap().is_some());
}
