//! Search that works for Korean and English, ranked and filtered.

mod common;
use common::*;
use switchboard_core::model::{Channel, ConversationStatus};
use switchboard_core::search::SearchQuery;

fn q(text: &str) -> SearchQuery {
    SearchQuery { text: text.into(), limit: 50, ..Default::default() }
}

#[test]
fn a_korean_stem_finds_the_word_with_its_particle() {
    let dir = tempfile::tempdir().unwrap();
    let (_, store) = store_with_sample(dir.path(), 1);
    let hits = store.search(&q("주문")).unwrap();
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0].text, "주문이 아직 안 왔어요. 환불 가능한가요?");
    assert_eq!(hits[0].customer.as_deref(), Some("김민지"));
    // Whole words with particles, and multi-word queries, find it too.
    assert_eq!(store.search(&q("주문이 아직")).unwrap().len(), 1);
    assert_eq!(store.search(&q("환불")).unwrap().len(), 1);
    // A bigram that is not in the text does not match.
    assert!(store.search(&q("배송")).unwrap().is_empty());
}

#[test]
fn english_matches_stems_and_prefixes_case_insensitively() {
    let dir = tempfile::tempdir().unwrap();
    let (_, store) = store_with_sample(dir.path(), 1);
    let texts = |query: &str| store.search(&q(query)).unwrap().into_iter().map(|h| h.text).collect::<Vec<_>>();
    let refund = texts("refund");
    assert_eq!(refund.len(), 2, "{refund:?}");
    assert!(refund.iter().any(|t| t.contains("Refunded")));
    assert!(refund.iter().any(|t| t.contains("refund now")));
    assert_eq!(texts("REFUNDS").len(), 2, "plural and upper case share the stem");
    assert!(texts("deliv").is_empty(), "whole words by default");
    assert_eq!(texts("deliv*"), ["Still waiting on my delivery"]);
    assert!(texts("kettle").is_empty(), "order items are not messages");
    // FTS syntax typed by a user is text, not an operator, and never an error: every word must
    // occur, "or" and "not" included.
    assert!(texts("refund OR NOT \"(").is_empty());
    assert_eq!(texts("refund NOT* OR*"), ["Where is order 1043? I was told it Refunded but nothing arrived."]);
}

#[test]
fn ranking_puts_the_better_match_first() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut store) = store_with_sample(dir.path(), 1);
    store
        .import_jsonl(
            r#"{"kind":"message","account":"sms:+15550100","conversation":"+15550199","id":"SM9","direction":"in","author":{"kind":"customer","handle":"+15550199"},"text":"refund refund refund please","at":"2026-01-01T00:00:00Z"}"#.as_bytes(),
        )
        .unwrap();
    let hits = store.search(&q("refund")).unwrap();
    assert_eq!(hits.len(), 3);
    assert_eq!(hits[0].text, "refund refund refund please", "more occurrences in a short text rank first, even if older");
}

#[test]
fn filters_by_channel_customer_status_and_date() {
    let dir = tempfile::tempdir().unwrap();
    let (_, store) = store_with_sample(dir.path(), 1);
    let sms = store.search(&SearchQuery { channel: Some(Channel::Sms), ..q("waiting") }).unwrap();
    assert_eq!(sms.len(), 1);
    assert!(store.search(&SearchQuery { channel: Some(Channel::Messenger), ..q("waiting") }).unwrap().is_empty());
    assert_eq!(store.search(&SearchQuery { channel: Some(Channel::Messenger), ..q("주문") }).unwrap().len(), 1);
    // The channel is indexed beside the text, but a channel's name typed as a word is just a word.
    assert!(store.search(&q("sms")).unwrap().is_empty());
    assert!(store.search(&q("messenger")).unwrap().is_empty());

    let lena = store.search_contacts("Lena", 5).unwrap();
    assert_eq!(lena.len(), 1);
    let by_lena = store.search(&SearchQuery { contact_id: Some(lena[0].id), ..q("refund") }).unwrap();
    assert_eq!(by_lena.len(), 2, "Lena's conversation holds both refund messages");
    let minji = store.search_contacts("김민지", 5).unwrap();
    assert!(store.search(&SearchQuery { contact_id: Some(minji[0].id), ..q("refund") }).unwrap().is_empty());

    assert!(store.search(&SearchQuery { status: Some(ConversationStatus::Solved), ..q("refund") }).unwrap().is_empty());
    assert_eq!(store.search(&SearchQuery { status: Some(ConversationStatus::Open), ..q("refund") }).unwrap().len(), 2);

    let since: jiff::Timestamp = "2026-03-04T10:16:00Z".parse().unwrap();
    let late = store.search(&SearchQuery { since: Some(since), ..q("refund") }).unwrap();
    assert_eq!(late.len(), 1);
    assert_eq!(late[0].text, "I am checking the refund now.");
    let early = store.search(&SearchQuery { until: Some(since), ..q("refund") }).unwrap();
    assert_eq!(early.len(), 1);
}

#[test]
fn the_index_follows_edits() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut store) = store_with_sample(dir.path(), 1);
    // The same message id with new text replaces the old text in the index.
    store
        .import_jsonl(
            r#"{"kind":"message","account":"sms:+15550100","conversation":"+15550123","id":"SM1","direction":"in","author":{"kind":"customer","handle":"+15550123"},"text":"never mind, parcel found","at":"2026-03-06T08:00:00Z"}"#.as_bytes(),
        )
        .unwrap();
    assert!(store.search(&q("delivery")).unwrap().is_empty());
    assert_eq!(store.search(&q("parcel")).unwrap().len(), 1);
}

#[test]
fn a_customer_search_finds_their_old_messages_behind_thousands_of_newer_matches() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut store) = store_with_sample(dir.path(), 1);
    let newer: String = (0..switchboard_core::search::RANK_WINDOW + 500)
        .map(|i| {
            format!(
                r#"{{"kind":"message","account":"sms:+15550100","conversation":"+1555{i:06}","id":"N{i}","direction":"in","author":{{"kind":"customer","handle":"+1555{i:06}"}},"text":"refund for order {i}","at":"2026-04-01T00:00:00Z"}}"#
            ) + "\n"
        })
        .collect();
    store.import_jsonl(newer.as_bytes()).unwrap();
    // Unfiltered, the newest matches fill the page.
    let all = store.search(&SearchQuery { limit: 50, ..q("refund") }).unwrap();
    assert_eq!(all.len(), 50);
    assert!(all.iter().all(|h| h.text.starts_with("refund for order")));
    // Lena's two refund messages are older than all of them, and still found.
    let lena = store.search_contacts("Lena", 5).unwrap()[0].id;
    let hers = store.search(&SearchQuery { contact_id: Some(lena), ..q("refund") }).unwrap();
    assert_eq!(hers.len(), 2, "{hers:?}");
}
