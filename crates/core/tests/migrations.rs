//! A store made by the first schema version upgrades in place, and its old data becomes
//! searchable.

mod common;
use common::*;
use switchboard_core::search::SearchQuery;
use switchboard_core::Store;

#[test]
fn a_store_created_at_schema_1_upgrades_and_backfills_the_search_index() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let mut old = Store::create_at_version(&path, &static_key(7), 1).unwrap();
    assert_eq!(old.schema_version().unwrap(), 1);
    let report = old.import_jsonl(sample_jsonl().as_bytes()).unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    drop(old);

    let store = Store::open(&path, &static_key(7)).unwrap();
    assert_eq!(store.schema_version().unwrap(), switchboard_core::store::SCHEMA_VERSION);
    let hits = store.search(&SearchQuery { text: "주문".into(), limit: 10, ..Default::default() }).unwrap();
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(store.search_contacts("lena", 5).unwrap().len(), 1);
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
