//! The team's records (team mode), as a desk receives them from the hub's log: teammates, who
//! has a conversation, and what an agent changed. Each writes only what differs, teammates
//! travel in an export, and a bad one is refused without touching the rest.

mod common;

use common::static_key;
use switchboard_core::interchange::{Author, MessageRecord, Record};
use switchboard_core::model::{AuthorKind, ConversationStatus, Direction, InboxFilter, Priority};
use switchboard_core::Store;

fn line(json: &str) -> Record {
    serde_json::from_str(json).unwrap()
}

fn message() -> Record {
    Record::Message(MessageRecord {
        account: "telegram:acme_bot".into(),
        conversation: "42".into(),
        id: "42:1".into(),
        direction: Direction::In,
        author: Author { kind: AuthorKind::Customer, name: Some("Lena".into()), handle: Some("42".into()) },
        text: "Where is my parcel?".into(),
        at: "2026-12-01T10:00:00Z".parse().unwrap(),
        delivery: None,
        attachments: vec![],
        email: None,
    })
}

#[test]
fn teammates_assignments_and_changes_apply_and_only_what_differs_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(&dir.path().join("s.db"), &static_key(9)).unwrap();
    let team = [
        line(r#"{"kind":"person","id":1,"name":"Mina","role":"supervisor"}"#),
        line(r#"{"kind":"person","id":2,"name":"Sam","role":"agent"}"#),
        message(),
        line(r#"{"kind":"assignment","account":"telegram:acme_bot","conversation":"42","assignee":"Sam","by":"Mina"}"#),
        line(r#"{"kind":"conversation_change","account":"telegram:acme_bot","conversation":"42","status":"pending","priority":"high","tags":["billing","vip"],"by":"Sam"}"#),
    ];
    assert_eq!(store.write_batch(&team).unwrap(), 5);
    let row = &store.inbox(&InboxFilter { limit: 10, ..Default::default() }).unwrap()[0];
    assert_eq!((row.assignee.as_deref(), row.status, row.priority), (Some("Sam"), ConversationStatus::Pending, Priority::High));
    let thread = store.thread(row.id, 10).unwrap();
    assert_eq!(thread.tags, ["billing", "vip"]);

    // The same records again change nothing.
    assert_eq!(store.write_batch(&team).unwrap(), 0);
    // A change names only what changes: the status alone leaves the rest; tags are the whole set.
    let change = [line(r#"{"kind":"conversation_change","account":"telegram:acme_bot","conversation":"42","status":"solved"}"#)];
    assert_eq!(store.write_batch(&change).unwrap(), 1);
    let row = &store.inbox(&InboxFilter { limit: 10, status: Some(ConversationStatus::Solved), ..Default::default() }).unwrap()[0];
    assert_eq!((row.assignee.as_deref(), row.priority), (Some("Sam"), Priority::High));
    assert_eq!(store.thread(row.id, 10).unwrap().tags, ["billing", "vip"]);
    let retag = [line(r#"{"kind":"conversation_change","account":"telegram:acme_bot","conversation":"42","tags":[]}"#)];
    store.write_batch(&retag).unwrap();
    assert!(store.thread(row.id, 10).unwrap().tags.is_empty());
    // In one batch, order counts: a customer writing after the agent solved it reopens it.
    let mut later = message();
    if let Record::Message(m) = &mut later {
        m.id = "42:2".into();
    }
    let solved = line(r#"{"kind":"conversation_change","account":"telegram:acme_bot","conversation":"42","status":"solved"}"#);
    store.write_batch(&[solved.clone(), later.clone()]).unwrap();
    assert_eq!(store.thread(row.id, 10).unwrap().conversation.status, ConversationStatus::Open);
    // ... and solving it after the message leaves it solved.
    store.write_batch(&[later, solved]).unwrap();
    assert_eq!(store.thread(row.id, 10).unwrap().conversation.status, ConversationStatus::Solved);

    // Nobody's: an assignment without an assignee.
    store.write_batch(&[line(r#"{"kind":"assignment","account":"telegram:acme_bot","conversation":"42","assignee":null}"#)]).unwrap();
    assert_eq!(store.thread(row.id, 10).unwrap().conversation.assignee, None);

    // A teammate removed stays named; their record changes, once.
    let removed = [line(r#"{"kind":"person","id":2,"name":"Sam","role":"agent","removed":true}"#)];
    assert_eq!(store.write_batch(&removed).unwrap(), 1);
    assert_eq!(store.write_batch(&removed).unwrap(), 0);

    // Teammates travel in an export, and an export imports back to the same file.
    let mut out = Vec::new();
    store.export_jsonl(switchboard_core::interchange::ExportScope::All, &mut out).unwrap();
    let exported = String::from_utf8(out).unwrap();
    assert!(exported.contains(r#"{"kind":"person","id":1,"name":"Mina","role":"supervisor"}"#), "{exported}");
    assert!(exported.contains(r#"{"kind":"person","id":2,"name":"Sam","role":"agent","removed":true}"#));
    let mut copy = Store::open_in_memory().unwrap();
    assert!(copy.import_jsonl(exported.as_bytes()).unwrap().errors.is_empty());
    let mut again = Vec::new();
    copy.export_jsonl(switchboard_core::interchange::ExportScope::All, &mut again).unwrap();
    assert_eq!(String::from_utf8(again).unwrap(), exported);
}

#[test]
fn a_bad_team_record_is_refused_and_nothing_of_it_stored() {
    let mut store = Store::open_in_memory().unwrap();
    store.write_batch(&[message()]).unwrap();
    let report = store
        .import_jsonl(
            concat!(
                r#"{"kind":"person","id":3,"name":"  ","role":"agent"}"#, "\n",
                r#"{"kind":"person","id":4,"name":"Jiwoo","role":"boss"}"#, "\n",
                r#"{"kind":"assignment","account":"telegram:acme_bot","conversation":"","assignee":"Sam"}"#, "\n",
                r#"{"kind":"conversation_change","account":"telegram:acme_bot","conversation":"42","status":"closed-ish"}"#, "\n",
                r#"{"kind":"assignment","account":"telegram:acme_bot","conversation":"42","assignee":"Jiwoo","extra":1}"#, "\n",
            )
            .as_bytes(),
        )
        .unwrap();
    assert_eq!(report.errors.iter().map(|e| e.line).collect::<Vec<_>>(), [1, 2, 3, 4, 5]);
    let row = &store.inbox(&InboxFilter { limit: 10, ..Default::default() }).unwrap()[0];
    assert_eq!((row.assignee.as_deref(), row.status), (None, ConversationStatus::Open));
}
