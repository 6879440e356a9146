//! Import and export of the JSON Lines interchange format.

mod common;
use common::*;
use switchboard_core::interchange::ExportScope;
use switchboard_core::model::InboxFilter;
use switchboard_core::Store;

fn export(store: &Store) -> String {
    let mut out = Vec::new();
    store.export_jsonl(ExportScope::All, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn counts(store: &Store) -> Vec<(String, i64)> {
    store.stats().unwrap().into_iter().map(|c| (c.table.to_owned(), c.rows)).collect()
}

#[test]
fn the_minimal_line_creates_account_contact_and_conversation() {
    let mut store = Store::open_in_memory().unwrap();
    let line = r#"{"kind":"message","account":"messenger:acme-page","conversation":"t_100","id":"m_1","direction":"in","author":{"kind":"customer","name":"Lena Ortiz","handle":"6120001"},"text":"Where is order 1043?","at":"2026-03-04T10:15:00Z"}"#;
    let report = store.import_jsonl(line.as_bytes()).unwrap();
    assert_eq!((report.records, report.changed, report.errors.len()), (1, 1, 0));
    let inbox = store.inbox(&InboxFilter { limit: 10, ..Default::default() }).unwrap();
    assert_eq!(inbox.len(), 1);
    let row = &inbox[0];
    assert_eq!(row.account, "messenger:acme-page");
    assert_eq!(row.external_id, "t_100");
    assert_eq!(row.customer.as_deref(), Some("Lena Ortiz"));
    assert_eq!(row.preview.as_deref(), Some("Where is order 1043?"));
    assert_eq!(row.waiting_since.map(|t| t.to_string()).as_deref(), Some("2026-03-04T10:15:00Z"));
    let c = counts(&store);
    for (table, n) in [("accounts", 1), ("contacts", 1), ("identities", 1), ("conversations", 1), ("messages", 1)] {
        assert!(c.contains(&(table.to_owned(), n)), "{table}: {c:?}");
    }
}

#[test]
fn an_import_tells_how_far_it_has_read_as_it_goes() {
    let mut store = Store::open_in_memory().unwrap();
    let lines: String = (0..300).map(|i| format!("{{\"kind\":\"tag\",\"name\":\"t{i}\"}}\n")).collect();
    let mut heard = Vec::new();
    let report = store.import_jsonl_reporting(lines.as_bytes(), |at| heard.push(at)).unwrap();
    assert_eq!(report.records, 300);
    assert!(heard.len() >= 2, "{heard:?}");
    assert!(heard.windows(2).all(|w| w[0].lines < w[1].lines && w[0].bytes < w[1].bytes), "{heard:?}");
    let last = heard.last().unwrap();
    assert_eq!((last.lines, last.bytes), (300, lines.len() as u64));
}

#[test]
fn re_importing_a_file_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut store) = store_with_sample(dir.path(), 1);
    let before = (export(&store), counts(&store));
    let again = store.import_jsonl(sample_jsonl().as_bytes()).unwrap();
    assert_eq!(again.changed, 0, "{again:?}");
    assert_eq!(again.records, sample_jsonl().lines().count());
    assert_eq!(before, (export(&store), counts(&store)));
}

#[test]
fn export_then_import_into_an_empty_store_round_trips_losslessly() {
    let dir = tempfile::tempdir().unwrap();
    let (_, store) = store_with_sample(dir.path(), 1);
    let first = export(&store);
    // Every kind of record is in the export.
    for kind in ["account", "tag", "calendar", "sla_policy", "rule", "canned_reply", "contact", "conversation", "message", "note", "order"] {
        assert!(first.contains(&format!(r#"{{"kind":"{kind}""#)), "no {kind} in export");
    }
    let mut copy = Store::open_in_memory().unwrap();
    let report = copy.import_jsonl(first.as_bytes()).unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(export(&copy), first);
    assert_eq!(counts(&copy), counts(&store));
    // The thread reads the same in both, attachments included.
    let a = store.thread(1, 100).unwrap();
    let b = copy.thread(1, 100).unwrap();
    assert_eq!(a.messages.iter().map(|m| (&m.text, &m.attachments)).collect::<Vec<_>>(),
               b.messages.iter().map(|m| (&m.text, &m.attachments)).collect::<Vec<_>>());
}

#[test]
fn malformed_lines_are_reported_by_number_and_the_rest_imports() {
    let mut store = Store::open_in_memory().unwrap();
    let input = [
        r#"{"kind":"tag","name":"ok-1"}"#,
        r#"{"kind":"tag","name":"#,
        r#"{"kind":"message","account":"pager:x","conversation":"c","id":"1","direction":"in","author":{"kind":"customer"},"text":"t","at":"2026-01-01T00:00:00Z"}"#,
        "",
        r#"{"kind":"message","account":"sms:1","conversation":"c","id":"1","direction":"sideways","author":{"kind":"customer"},"text":"t","at":"2026-01-01T00:00:00Z"}"#,
        r#"{"kind":"conversation","account":"sms:1","id":"c9","customer":"ct_nobody"}"#,
        r#"{"kind":"message","account":"sms:1","conversation":"c","id":"2","direction":"in","author":{"kind":"customer"},"text":"t","at":"yesterday"}"#,
        r#"{"kind":"tag","name":"ok-2"}"#,
        // A customer's words where a number belongs: said by what was expected, never quoted.
        r#"{"kind":"message","account":"sms:1","conversation":"c","id":"3","direction":"in","author":{"kind":"customer"},"text":"t","at":"2026-01-01T00:00:00Z","attachments":[{"kind":"file","size":"my card is 4111 1111 1111 1111"}]}"#,
    ]
    .join("\n");
    // A line that is not UTF-8 (Latin-1 "café") is one more bad line, not the end of the import.
    let mut input = input.into_bytes();
    input.extend_from_slice(b"\n{\"kind\":\"tag\",\"name\":\"caf\xe9\"}\n{\"kind\":\"tag\",\"name\":\"ok-3\"}\n");
    let report = store.import_jsonl(&input[..]).unwrap();
    assert_eq!(report.records, 3);
    let lines: Vec<usize> = report.errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, [2, 3, 5, 6, 7, 9, 10], "{:?}", report.errors);
    assert!(report.errors[1].message.contains("pager"), "{}", report.errors[1].message);
    assert!(report.errors[3].message.contains("ct_nobody"), "{}", report.errors[3].message);
    assert!(report.errors[5].message.contains("expected i64") && !report.errors[5].message.contains("4111"), "{}", report.errors[5].message);
    assert_eq!(report.errors[6].message, "not UTF-8 text");
    // The failed conversation record left nothing behind (its account is rolled back too).
    assert!(counts(&store).contains(&("conversations".to_owned(), 0)));
    assert!(counts(&store).contains(&("accounts".to_owned(), 0)));
    assert!(counts(&store).contains(&("tags".to_owned(), 3)));
}

#[test]
fn a_conversation_export_holds_just_that_conversation() {
    let dir = tempfile::tempdir().unwrap();
    let (_, store) = store_with_sample(dir.path(), 1);
    let mut out = Vec::new();
    store.export_jsonl(ExportScope::Conversation(1), &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.matches(r#""kind":"message""#).count(), 3);
    assert_eq!(text.matches(r#""kind":"conversation""#).count(), 1);
    assert!(text.contains("Refund approved"), "notes travel with their conversation");
    assert!(!text.contains("주문"));

    let mut transcript = Vec::new();
    store.export_transcript(ExportScope::Conversation(1), &mut transcript).unwrap();
    let transcript = String::from_utf8(transcript).unwrap();
    assert!(transcript.starts_with("Conversation #1 · messenger · Lena Ortiz · open"), "{transcript}");
    assert!(transcript.contains("[2026-03-04 10:15 UTC] Lena Ortiz (customer): Where is order 1043?"), "{transcript}");
    assert!(transcript.contains("[file: receipt.pdf]"), "{transcript}");
    assert!(matches!(
        store.export_jsonl(ExportScope::Conversation(999), &mut Vec::new()),
        Err(switchboard_core::Error::Missing { .. })
    ));
}

#[test]
fn inbox_orders_by_activity_and_filters() {
    let dir = tempfile::tempdir().unwrap();
    let (_, store) = store_with_sample(dir.path(), 1);
    let all = store.inbox(&InboxFilter { limit: 10, ..Default::default() }).unwrap();
    let ids: Vec<&str> = all.iter().map(|r| r.external_id.as_str()).collect();
    assert_eq!(ids, ["+15550123", "t_200", "t_100"]);
    // t_100's last message is the agent's reply: nobody is waiting there.
    assert_eq!(all[2].waiting_since, None);
    let first = store.inbox_page(&InboxFilter { limit: 1, ..Default::default() }, None).unwrap();
    let page2 = store.inbox_page(&InboxFilter { limit: 10, ..Default::default() }, first.next.as_ref()).unwrap();
    assert_eq!(page2.rows.len(), 2);
    assert_eq!(page2.next, None, "the last page says so");
    let tagged = store.inbox(&InboxFilter { limit: 10, tag: Some("refund".into()), ..Default::default() }).unwrap();
    assert_eq!(tagged.len(), 1);
    let sms = store
        .inbox(&InboxFilter { limit: 10, channel: Some(switchboard_core::model::Channel::Sms), ..Default::default() })
        .unwrap();
    assert_eq!(sms.len(), 1);
    assert_eq!(sms[0].customer.as_deref(), Some("Lena Ortiz"), "the SMS number is Lena's known identity");
}

#[test]
fn imported_email_html_is_sanitised_and_threads_by_its_headers() {
    let mut store = Store::open_in_memory().unwrap();
    let first = r#"{"kind":"message","account":"email:help@acme.test","conversation":"a1@x.test","id":"sha256:01","direction":"in","author":{"kind":"customer","name":"Lena","handle":"lena@x.test"},"text":"Hi","at":"2026-03-04T10:15:00Z","email":{"message_id":"a1@x.test","subject":"Order","html":"<p onmouseover=\"x()\">Hi</p><script>steal()</script><img src=\"http://t.example/p.gif\">"}}"#;
    // Names the first in In-Reply-To only, with another subject: it joins by the header.
    let second = r#"{"kind":"message","account":"email:help@acme.test","conversation":"a2@x.test","id":"sha256:02","direction":"in","author":{"kind":"customer","name":"Lena","handle":"lena@x.test"},"text":"Hello?","at":"2026-03-04T11:15:00Z","email":{"message_id":"a2@x.test","in_reply_to":["<a1@x.test>"],"subject":"Anyone there"}}"#;
    let report = store
        .import_jsonl(format!("{first}\n{second}\n").as_bytes())
        .unwrap();
    assert!(report.errors.is_empty(), "{report:?}");
    let inbox = store
        .inbox(&InboxFilter {
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(inbox.len(), 1, "one thread");
    let thread = store.thread(inbox[0].id, 10).unwrap();
    assert_eq!(thread.messages.len(), 2);
    let email = thread.messages[0].email.as_ref().unwrap();
    let html = email.html.as_deref().unwrap();
    assert!(
        !html.contains("onmouseover") && !html.contains("script") && !html.contains("t.example"),
        "{html}"
    );
    assert!(email.remote_images_blocked);
    assert_eq!(
        thread.contact.unwrap().email.as_deref(),
        Some("lena@x.test")
    );
    // A raw message that is not base64 is refused with a clear error, and nothing else changes.
    let bad = r#"{"kind":"message","account":"email:help@acme.test","conversation":"a3@x.test","id":"sha256:03","direction":"in","author":{"kind":"customer"},"text":"x","at":"2026-03-04T12:15:00Z","email":{"raw":"%%%"}}"#;
    let report = store.import_jsonl(bad.as_bytes()).unwrap();
    assert_eq!(report.errors.len(), 1);
    assert!(
        report.errors[0].message.contains("not valid base64"),
        "{:?}",
        report.errors
    );
    assert_eq!(
        store
            .inbox(&InboxFilter {
                limit: 10,
                ..Default::default()
            })
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn a_customers_timeline_holds_every_channel_in_time_order() {
    let mut store = Store::open_in_memory().unwrap();
    let lines = [
        r#"{"kind":"contact","id":"ct_lena","name":"Lena Ortiz","identities":[{"account":"telegram:acme_bot","handle":"501"},{"account":"sms:+15550100","handle":"+15550001"}]}"#,
        r#"{"kind":"conversation","account":"telegram:acme_bot","id":"501","customer":"ct_lena"}"#,
        r#"{"kind":"conversation","account":"sms:+15550100","id":"+15550001","customer":"ct_lena"}"#,
        r#"{"kind":"message","account":"telegram:acme_bot","conversation":"501","id":"t1","direction":"in","author":{"kind":"customer","handle":"501"},"text":"first, on Telegram","at":"2026-03-04T10:00:00Z"}"#,
        r#"{"kind":"message","account":"sms:+15550100","conversation":"+15550001","id":"s1","direction":"in","author":{"kind":"customer","handle":"+15550001"},"text":"then by SMS","at":"2026-03-04T11:00:00Z"}"#,
        r#"{"kind":"message","account":"telegram:acme_bot","conversation":"501","id":"t2","direction":"in","author":{"kind":"customer","handle":"501"},"text":"and Telegram again","at":"2026-03-04T12:00:00Z"}"#,
        r#"{"kind":"message","account":"x:other","conversation":"9","id":"x1","direction":"in","author":{"kind":"customer","handle":"9"},"text":"someone else","at":"2026-03-04T11:30:00Z"}"#,
    ];
    let report = store.import_jsonl(lines.join("\n").as_bytes()).unwrap();
    assert!(report.errors.is_empty(), "{report:?}");
    let inbox = store.inbox(&InboxFilter { limit: 10, ..Default::default() }).unwrap();
    let telegram = inbox.iter().find(|r| r.external_id == "501").unwrap().id;
    let texts = |t: &switchboard_core::model::Thread| t.messages.iter().map(|m| m.text.clone()).collect::<Vec<_>>();
    let timeline = store.timeline(telegram, 50).unwrap();
    assert_eq!(texts(&timeline), ["first, on Telegram", "then by SMS", "and Telegram again"]);
    assert_eq!(timeline.conversation.id, telegram);
    assert_ne!(timeline.messages[1].conversation_id, telegram, "the SMS message names its own conversation");
    assert_eq!(texts(&store.thread(telegram, 50).unwrap()), ["first, on Telegram", "and Telegram again"]);
}
