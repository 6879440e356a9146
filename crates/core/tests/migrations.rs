//! A store made by the first schema version upgrades in place, and its old data becomes
//! searchable.

mod common;
use common::*;
use switchboard_core::search::SearchQuery;
use switchboard_core::model::Channel;
use switchboard_core::Store;

#[test]
fn a_store_created_at_schema_1_upgrades_and_backfills_the_search_index() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let old = Store::create_at_version(&path, &static_key(7), 1).unwrap();
    assert_eq!(old.schema_version().unwrap(), 1);
    drop(old);
    {
        // Rows as the first version wrote them, straight into the schema-1 tables.
        let conn = sqlcipher(&path, 7);
        conn.execute_batch(
            "INSERT INTO accounts (id, key, channel, name, created_at) VALUES (1, 'messenger:acme-page', 'messenger', 'Acme', 0);
             INSERT INTO contacts (id, uid, name, created_at) VALUES (1, 'ct_lena', 'Lena Ortiz', 0), (2, 'ct_minji', '김민지', 0);
             INSERT INTO conversations (id, account_id, external_id, channel, contact_id, created_at, last_message_id, last_message_at)
                  VALUES (1, 1, 't_100', 'messenger', 1, 0, 1, 1000), (2, 1, 't_200', 'messenger', 2, 0, 2, 2000);
             INSERT INTO messages (id, conversation_id, account_id, external_id, direction, author_kind, body, sent_at, delivery)
                  VALUES (1, 1, 1, 'm_1', 'in', 'customer', 'Where is order 1043? It was Refunded.', 1000, 'received'),
                         (2, 2, 1, 'm_4', 'in', 'customer', '주문이 아직 안 왔어요.', 2000, 'received');",
        )
        .unwrap();
    }

    let store = Store::open(&path, &static_key(7)).unwrap();
    assert_eq!(store.schema_version().unwrap(), switchboard_core::store::SCHEMA_VERSION);
    let hits = store.search(&SearchQuery { text: "주문".into(), limit: 10, ..Default::default() }).unwrap();
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(store.search_contacts("lena", 5).unwrap().len(), 1);
    // The backfill indexed the channel too.
    assert_eq!(store.search(&SearchQuery { text: "refund".into(), channel: Some(Channel::Messenger), limit: 10, ..Default::default() }).unwrap().len(), 1);
    // Writes after the upgrade are indexed by the new triggers.
    drop(store);
    let mut store = Store::open(&path, &static_key(7)).unwrap();
    store
        .import_jsonl(
            r#"{"kind":"message","account":"sms:+15550100","conversation":"+15550123","id":"SM2","direction":"in","author":{"kind":"customer","handle":"+15550123"},"text":"parcel arrived damaged","at":"2026-03-08T08:00:00Z"}"#.as_bytes(),
        )
        .unwrap();
    assert_eq!(store.search(&SearchQuery { text: "damaged".into(), limit: 10, ..Default::default() }).unwrap().len(), 1);
}
