//! Every list pages by keyset through everything the store holds: a view's conversations (in
//! both orders, flagged ones and ones without messages included), a customer's whole history,
//! and search hits past any first page. Walking the pages gives each item once, in the order one
//! long page would, and the last page says it is the last. Drafts are kept per conversation.

mod common;

use common::static_key;
use std::collections::HashSet;
use switchboard_core::interchange::{Author, ConversationRecord, MessageRecord, NoteRecord, Record};
use switchboard_core::model::{AuthorKind, ConversationStatus, Direction, InboxFilter, Priority};
use switchboard_core::search::SearchQuery;
use switchboard_core::Store;

fn message(account: &str, conversation: &str, id: String, at: jiff::Timestamp, customer: &str, text: String) -> Record {
    Record::Message(MessageRecord {
        account: account.into(),
        conversation: conversation.into(),
        id,
        direction: Direction::In,
        author: Author { kind: AuthorKind::Customer, name: Some(customer.into()), handle: Some(customer.into()) },
        text,
        at,
        delivery: None,
        attachments: vec![],
        email: None,
    })
}

fn conversation(account: &str, id: &str, status: ConversationStatus, assignee: Option<&str>, public: bool) -> Record {
    Record::Conversation(ConversationRecord {
        account: account.into(),
        id: id.into(),
        customer: None,
        subject: None,
        status,
        priority: Priority::Normal,
        assignee: assignee.map(str::to_owned),
        public,
        unread: 0,
        tags: vec![],
        created_at: None,
    })
}

/// 300 conversations: a few public with a card number (flagged, listed first), a few without any
/// message, several at one instant (ids break the tie), mixed statuses and assignees.
fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(&dir.path().join("s.db"), &static_key(4)).unwrap();
    store.seed_sla_defaults("UTC").unwrap();
    let now = jiff::Timestamp::now();
    let mut records = Vec::new();
    for k in 0..300 {
        let account = if k % 3 == 0 { "facebook:1047" } else { "sms:+15550100" };
        let status = [ConversationStatus::Open, ConversationStatus::Pending, ConversationStatus::Solved][k % 3];
        let id = format!("c{k}");
        records.push(conversation(account, &id, status, (k % 4 == 0).then_some("mina"), k % 3 == 0));
        if k % 50 == 7 {
            continue; // no message yet
        }
        // Groups of five share an instant.
        let at = now - jiff::SignedDuration::from_mins((k / 5) as i64);
        let text = if k % 60 == 0 { "my card is 4111 1111 1111 1111".into() } else { format!("where is order {k}") };
        records.push(message(account, &id, format!("m{k}"), at, &format!("h{k}"), text));
    }
    let report = store.write_batch(&records).unwrap();
    assert!(report > 0);
    (dir, store)
}

/// Every row of the view, walking pages of `size`.
fn walk(store: &Store, filter: &InboxFilter, size: usize) -> Vec<i64> {
    let filter = InboxFilter { limit: size, ..filter.clone() };
    let mut ids = Vec::new();
    let mut after = None;
    for _ in 0..10_000 {
        let page = store.inbox_page(&filter, after.as_ref()).unwrap();
        assert!(page.rows.len() <= size);
        ids.extend(page.rows.iter().map(|r| r.id));
        match page.next {
            Some(next) => {
                assert_eq!(page.rows.len(), size, "only the last page is short");
                after = Some(next);
            }
            None => return ids,
        }
    }
    panic!("the pages never ended");
}

#[test]
fn a_view_pages_through_every_conversation_once_in_order() {
    let (_dir, store) = store();
    let views = [
        InboxFilter::default(),
        InboxFilter { status: Some(ConversationStatus::Open), ..Default::default() },
        InboxFilter { assignee: Some("mina".into()), ..Default::default() },
        InboxFilter { unassigned: true, ..Default::default() },
        InboxFilter { public: Some(true), ..Default::default() },
        InboxFilter { by_breach: true, ..Default::default() },
    ];
    for view in views {
        let whole = walk(&store, &view, 10_000);
        for size in [1, 7, 50] {
            assert_eq!(walk(&store, &view, size), whole, "pages of {size}: {view:?}");
        }
        assert_eq!(whole.iter().collect::<HashSet<_>>().len(), whole.len(), "each once");
    }
    let all = walk(&store, &InboxFilter::default(), 37);
    assert_eq!(all.len(), 300, "every conversation, those without messages included");
    // The flagged ones (public, a card number) come first.
    let first: Vec<bool> = store.inbox(&InboxFilter { limit: 10, ..Default::default() }).unwrap().iter().map(|r| r.sensitive).collect();
    assert_eq!(&first[..5], [true; 5]);
    // By next breach, running clocks first: the open and pending ones with a customer waiting.
    let by_breach = store.inbox(&InboxFilter { limit: 300, by_breach: true, ..Default::default() }).unwrap();
    let due: Vec<bool> = by_breach.iter().map(|r| r.clock.as_ref().is_some_and(|c| c.breach_at.is_some())).collect();
    assert!(due.windows(2).all(|w| w[0] || !w[1]), "every running clock before every other row");
}

#[test]
fn which_of_some_conversations_a_view_holds() {
    let (_dir, store) = store();
    let open: Vec<i64> = walk(&store, &InboxFilter { status: Some(ConversationStatus::Open), ..Default::default() }, 500);
    let some: Vec<i64> = (1..=12).collect();
    let mut held = store.in_view(&InboxFilter { status: Some(ConversationStatus::Open), ..Default::default() }, &some).unwrap();
    held.sort();
    let mut expected: Vec<i64> = some.iter().copied().filter(|id| open.contains(id)).collect();
    expected.sort();
    assert_eq!(held, expected);
}

#[test]
fn a_customers_history_pages_back_to_the_first_message_with_its_notes() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(&dir.path().join("s.db"), &static_key(5)).unwrap();
    let start = jiff::Timestamp::from_second(1_767_225_600).unwrap();
    let mut records = Vec::new();
    // 5,000 messages of one customer across three channels, known by one email/phone each, and
    // a note every 500 messages.
    for n in 0..5_000i64 {
        let (account, conversation) = [("sms:+15550100", "+15550123"), ("telegram:acme_bot", "777"), ("x:acme", "42-99")][(n % 3) as usize];
        let at = start + jiff::SignedDuration::from_secs(n * 60);
        records.push(message(account, conversation, format!("m{n}"), at, "lena", format!("message {n}")));
        if n % 500 == 250 {
            records.push(Record::Note(NoteRecord {
                id: format!("n{n}"),
                account: account.into(),
                conversation: conversation.into(),
                author: Some("mina".into()),
                text: format!("note at {n}"),
                at: at + jiff::SignedDuration::from_secs(1),
            }));
        }
    }
    store.write_batch(&records).unwrap();
    // One customer across the three: merge them by the identity each message names.
    let rows = store.inbox(&InboxFilter { limit: 10, ..Default::default() }).unwrap();
    assert_eq!(rows.len(), 3);
    let contacts: Vec<i64> = rows.iter().map(|r| store.thread(r.id, 1).unwrap().contact.unwrap().id).collect();
    store.merge_customers(contacts[0], contacts[1], None).unwrap();
    store.merge_customers(contacts[0], contacts[2], None).unwrap();

    let thread = store.timeline(rows[0].id, 100).unwrap();
    assert_eq!(thread.messages.len(), 100);
    assert_eq!(thread.messages.last().unwrap().text, "message 4999");
    let mut texts: Vec<String> = thread.messages.iter().map(|m| m.text.clone()).collect();
    let mut notes: Vec<String> = thread.notes.iter().map(|n| n.text.clone()).collect();
    let mut older = thread.older;
    let mut pages = 1;
    while let Some(before) = older {
        let page = store.history(rows[0].id, &before, 100).unwrap();
        assert!(page.messages.len() <= 100);
        let mut seen: Vec<String> = page.messages.iter().map(|m| m.text.clone()).collect();
        seen.extend(texts);
        texts = seen;
        let mut page_notes: Vec<String> = page.notes.iter().map(|n| n.text.clone()).collect();
        page_notes.extend(notes);
        notes = page_notes;
        older = page.older;
        pages += 1;
        assert!(pages <= 60, "the pages end");
    }
    assert_eq!(pages, 50);
    let expected: Vec<String> = (0..5_000).map(|n| format!("message {n}")).collect();
    assert_eq!(texts, expected, "every message once, in time order, back to the first");
    let expected_notes: Vec<String> = (0..10).map(|k| format!("note at {}", k * 500 + 250)).collect();
    assert_eq!(notes, expected_notes, "each note once, on the page of its time");
}

#[test]
fn search_pages_past_the_first_hundred_hits_and_past_the_ranked_window() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(&dir.path().join("s.db"), &static_key(6)).unwrap();
    let start = jiff::Timestamp::from_second(1_767_225_600).unwrap();
    let total = switchboard_core::search::RANK_WINDOW + 700;
    let records: Vec<Record> = (0..total as i64)
        .map(|n| {
            let words = if n % 7 == 0 { "refund refund please" } else { "refund please" };
            message("sms:+15550100", &format!("c{}", n % 40), format!("m{n}"), start + jiff::SignedDuration::from_secs(n), &format!("h{}", n % 40), format!("{words} #{n}"))
        })
        .collect();
    store.write_batch(&records).unwrap();
    let query = SearchQuery { text: "refund".into(), limit: 100, ..Default::default() };
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = store.search_page(&query, after.as_ref()).unwrap();
        seen.extend(page.hits.iter().map(|h| h.message_id));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(seen.len(), total, "every match, across windows");
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), total, "each once");
    // Within the first window the better matches (the word twice) come first.
    let first = store.search_page(&query, None).unwrap();
    assert!(first.hits.iter().take(20).all(|h| h.text.starts_with("refund refund")), "{:?}", &first.hits[..3]);
}

#[test]
fn a_draft_is_kept_per_conversation_until_cleared() {
    let (_dir, mut store) = store();
    let id = store.inbox(&InboxFilter { limit: 1, ..Default::default() }).unwrap()[0].id;
    assert_eq!(store.draft(id).unwrap(), None);
    assert!(store.save_draft(id, "Hi Lena, about order 1043").unwrap(), "the row now shows a draft");
    assert!(!store.save_draft(id, "Hi Lena, about order 1043 —").unwrap(), "still one");
    assert_eq!(store.thread(id, 10).unwrap().draft.as_deref(), Some("Hi Lena, about order 1043 —"));
    assert!(store.inbox(&InboxFilter { limit: 300, ..Default::default() }).unwrap().iter().any(|r| r.id == id && r.draft));
    assert!(store.save_draft(id, "   ").unwrap(), "blank text forgets it");
    assert_eq!(store.draft(id).unwrap(), None);
    assert!(store.save_draft(999_999, "lost").is_err(), "no such conversation");
    assert!(store.save_draft(id, &"x".repeat(switchboard_core::store::DRAFT_LIMIT + 1)).is_err());
}
