//! The privacy guard over the store: card numbers and one-time codes masked wherever text leaves
//! it, a public conversation with a customer's sensitive data flagged first, and a reply with
//! sensitive data refused in public.

use switchboard_core::interchange::ExportScope;
use switchboard_core::model::InboxFilter;
use switchboard_core::search::SearchQuery;
use switchboard_core::{Error, Store};

fn store() -> Store {
    let now = jiff::Timestamp::now();
    let lines = format!(
        r#"{{"kind":"account","account":"x:acme"}}
{{"kind":"conversation","account":"x:acme","id":"mention_1","public":true}}
{{"kind":"message","account":"x:acme","conversation":"mention_1","id":"t1","direction":"in","author":{{"kind":"customer","name":"Sam","handle":"u1"}},"text":"@acme charge failed on 4242 4242 4242 4242, code 918273","at":"{a}"}}
{{"kind":"message","account":"x:acme","conversation":"dm_2","id":"d1","direction":"in","author":{{"kind":"customer","name":"Ana","handle":"u2"}},"text":"my card 5555-5555-5555-4444 was charged twice","at":"{b}"}}
{{"kind":"message","account":"x:acme","conversation":"dm_3","id":"d2","direction":"in","author":{{"kind":"customer","name":"Bo","handle":"u3"}},"text":"thanks, all good","at":"{c}"}}
"#,
        a = now - jiff::SignedDuration::from_mins(30),
        b = now - jiff::SignedDuration::from_mins(20),
        c = now - jiff::SignedDuration::from_mins(10),
    );
    let mut store = Store::open_in_memory().unwrap();
    let report = store.import_jsonl(lines.as_bytes()).unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    store
}

#[test]
fn card_numbers_and_codes_never_leave_the_store_whole() {
    let store = store();
    let rows = store.inbox(&InboxFilter { limit: 10, ..Default::default() }).unwrap();
    let texts: Vec<String> = rows.iter().map(|r| store.thread(r.id, 10).unwrap().messages[0].text.clone()).collect();
    assert!(texts.iter().any(|t| t == "@acme charge failed on •••• 4242, code ••••••"), "{texts:?}");
    assert!(texts.iter().any(|t| t == "my card •••• 4444 was charged twice"), "{texts:?}");
    assert!(rows.iter().all(|r| !r.preview.as_deref().unwrap_or("").contains("5555-5555")));
    let hits = store.search(&SearchQuery { text: "charged".into(), limit: 5, ..Default::default() }).unwrap();
    assert_eq!(hits[0].text, "my card •••• 4444 was charged twice");
    // An agent's note is masked like a message.
    let mut store = store;
    let note = store.add_note(rows[0].id, Some("mina"), "customer read out 4111 1111 1111 1111 on the phone").unwrap();
    assert_eq!(note.text, "customer read out •••• 1111 on the phone");
    let mut out = Vec::new();
    store.export_jsonl(ExportScope::All, &mut out).unwrap();
    let export = String::from_utf8(out).unwrap();
    assert!(!export.contains("4242 4242") && !export.contains("918273") && !export.contains("4111 1111") && export.contains("•••• 4242"), "{export}");
}

#[test]
fn a_public_thread_with_sensitive_data_is_flagged_first_and_guarded() {
    let mut store = store();
    let rows = store.inbox(&InboxFilter { limit: 10, ..Default::default() }).unwrap();
    // The public mention is first, although two private messages came after it.
    assert_eq!((rows[0].external_id.as_str(), rows[0].public, rows[0].sensitive), ("mention_1", true, true));
    assert!(rows[1..].iter().all(|r| !r.sensitive), "a private conversation is not flagged");
    assert!(rows.len() >= 3 && rows[1..].windows(2).all(|w| (w[0].last_message_at, w[0].id) > (w[1].last_message_at, w[1].id)), "then newest first");
    // A page holds the flagged conversations and then the rest, up to its size.
    for limit in [1, 2] {
        let page: Vec<i64> = store.inbox(&InboxFilter { limit, ..Default::default() }).unwrap().iter().map(|r| r.id).collect();
        assert_eq!(page, rows[..limit].iter().map(|r| r.id).collect::<Vec<_>>());
    }
    let public = rows[0].id;
    let err = store.enqueue_reply(public, "Sorry Sam! Write to us at help@acme.example", None, None).unwrap_err();
    assert!(matches!(&err, Error::ReplyNotAllowed(why) if why.contains("public") && why.contains("email address")), "{err}");
    store.enqueue_reply(public, "Sorry Sam! Please send us a DM so we can look at your account.", None, None).unwrap();
    // In private the same text may go.
    let private = rows.iter().find(|r| r.external_id == "dm_2").unwrap().id;
    store.enqueue_reply(private, "Write to us at help@acme.example", None, None).unwrap();
}
