//! Accounts, sync cursors and the outbox's path to "delivered exactly once".

mod common;
use common::*;
use switchboard_core::interchange::{Author, MessageRecord, Record};
use switchboard_core::model::{AccountState, AuthorKind, DeliveryState, Direction, OutboxState};
use switchboard_core::{Error, Store};

fn message(id: &str, conversation: &str, direction: Direction, text: &str, at: &str) -> Record {
    Record::Message(MessageRecord {
        account: "telegram:acme_bot".into(),
        conversation: conversation.into(),
        id: id.into(),
        direction,
        author: Author {
            kind: if direction == Direction::In { AuthorKind::Customer } else { AuthorKind::Agent },
            name: None,
            handle: Some(conversation.into()),
        },
        text: text.into(),
        at: at.parse().unwrap(),
        delivery: None,
        attachments: vec![],
        email: None,
    })
}

#[test]
fn accounts_keep_settings_but_refuse_credentials() {
    let mut store = Store::open_in_memory().unwrap();
    let mut config = serde_json::Map::new();
    config.insert("base_url".into(), "http://127.0.0.1:9/".into());
    let account = store.add_account("telegram:acme_bot", Some("Acme bot"), config.clone()).unwrap();
    assert_eq!((account.name.as_str(), account.state), ("Acme bot", AccountState::Idle));
    assert!(matches!(store.add_account("telegram:acme_bot", None, Default::default()), Err(Error::Invalid(_))));
    config.insert("bot_token".into(), "123:abc".into());
    let err = store.add_account("sms:+1555", None, config).unwrap_err();
    assert!(err.to_string().contains("keychain") && !err.to_string().contains("123:abc"), "{err}");
    store.set_account_state(account.id, AccountState::NeedsReauth).unwrap();
    assert_eq!(store.accounts().unwrap()[0].state, AccountState::NeedsReauth);
}

#[test]
fn a_cursor_is_stored_with_the_batch_it_covers_or_not_at_all() {
    let mut store = Store::open_in_memory().unwrap();
    let account = store.add_account("telegram:acme_bot", None, Default::default()).unwrap();
    let batch = [message("42:1", "42", Direction::In, "hello", "2026-03-01T00:00:00Z")];
    store.write_batch_with_cursor(&batch, account.id, "updates", "101").unwrap();
    assert_eq!(store.cursor(account.id, "updates").unwrap().as_deref(), Some("101"));
    // A batch with a bad record fails whole: neither its messages nor its cursor are stored.
    let bad = [
        message("42:2", "42", Direction::In, "second", "2026-03-01T00:01:00Z"),
        message("", "42", Direction::In, "no id", "2026-03-01T00:02:00Z"),
    ];
    assert!(store.write_batch_with_cursor(&bad, account.id, "updates", "102").is_err());
    assert_eq!(store.cursor(account.id, "updates").unwrap().as_deref(), Some("101"));
    assert_eq!(store.thread(1, 10).unwrap().messages.len(), 1);
}

#[test]
fn batches_written_together_keep_their_cursors_and_are_stored_all_or_none() {
    use switchboard_core::store::CursorBatch;
    let mut store = Store::open_in_memory().unwrap();
    let account = store.add_account("telegram:acme_bot", None, Default::default()).unwrap();
    let first = [message("42:1", "42", Direction::In, "parcel never came", "2026-03-01T00:00:00Z")];
    let bad = [
        message("43:1", "43", Direction::In, "refund please", "2026-03-01T00:01:00Z"),
        message("", "43", Direction::In, "no id", "2026-03-01T00:02:00Z"),
    ];
    let third = [message("44:1", "44", Direction::In, "배송 언제 와요", "2026-03-01T00:03:00Z")];
    let batch = |records, stream, cursor| CursorBatch { records, account_id: account.id, stream, cursor: Some(cursor) };
    let cursors = |store: &Store| ["a", "b", "c"].iter().map(|s| store.cursor(account.id, s).unwrap()).collect::<Vec<_>>();
    let search = |store: &Store, text: &str| {
        store.search(&switchboard_core::search::SearchQuery { text: text.into(), limit: 5, ..Default::default() }).unwrap().len()
    };
    // One bad batch: none of the three is stored, not even the good first message of the bad one.
    assert!(store.write_batches_with_cursors(&[batch(&first, "a", "1"), batch(&bad, "b", "2"), batch(&third, "c", "3")]).is_err());
    assert_eq!(cursors(&store), [None, None, None]);
    assert_eq!(search(&store, "parcel") + search(&store, "refund"), 0);
    // Good ones together: each with its cursor, searchable.
    let written = store.write_batches_with_cursors(&[batch(&first, "a", "1"), batch(&third, "c", "3")]).unwrap();
    assert_eq!(written.iter().map(|w| (w.changed, w.new_messages.len(), w.conversations.len())).collect::<Vec<_>>(), [(1, 1, 1), (1, 1, 1)]);
    assert_ne!(written[0].conversations, written[1].conversations, "each batch names its own conversation");
    // Again: nothing new, nothing changed.
    let again = store.write_batches_with_cursors(&[batch(&first, "a", "1")]).unwrap();
    assert_eq!((again[0].changed, again[0].new_messages.len()), (0, 0));
    assert_eq!(cursors(&store), [Some("1".to_owned()), None, Some("3".to_owned())]);
    assert_eq!((search(&store, "parcel"), search(&store, "배송")), (1, 1));
}

#[test]
fn a_reply_goes_from_queued_to_sent_and_takes_the_platform_id() {
    let mut store = Store::open_in_memory().unwrap();
    store.write_batch(&[message("42:1", "42", Direction::In, "where is my order?", "2026-03-01T00:00:00Z")]).unwrap();
    let waiting = store.thread(1, 10).unwrap().conversation.waiting_since;
    assert!(waiting.is_some());

    let reply = store.enqueue_reply(1, "It ships today.", Some("Sam"), Some("key-1")).unwrap();
    assert_eq!(reply.state, OutboxState::Queued);
    let found = store.search(&switchboard_core::search::SearchQuery { text: "ships".into(), limit: 5, ..Default::default() }).unwrap();
    assert_eq!(found.len(), 1, "an agent's reply is searchable from the moment it is written");
    // The same key again is the same reply, not a second one.
    assert_eq!(store.enqueue_reply(1, "It ships today.", Some("Sam"), Some("key-1")).unwrap().id, reply.id);
    let thread = store.thread(1, 10).unwrap();
    assert_eq!(thread.messages.len(), 2);
    assert_eq!(thread.messages[1].delivery, DeliveryState::Queued);
    assert_eq!(thread.conversation.waiting_since, waiting, "a queued reply has not reached the customer");

    assert_eq!(store.due_replies(jiff::Timestamp::now(), 10).unwrap().len(), 1);
    store.begin_send(reply.id).unwrap();
    assert!(store.due_replies(jiff::Timestamp::now(), 10).unwrap().is_empty(), "in flight, not due");
    assert!(matches!(store.begin_send(reply.id), Err(Error::Invalid(_))), "never handed over twice");
    let sent = store.mark_sent(reply.id, "42:2").unwrap();
    assert_eq!((sent.state, sent.attempts, sent.external_id.as_deref()), (OutboxState::Sent, 1, Some("42:2")));
    let thread = store.thread(1, 10).unwrap();
    assert_eq!(thread.messages[1].external_id, "42:2");
    assert_eq!(thread.messages[1].delivery, DeliveryState::Sent);
    assert_eq!(thread.conversation.waiting_since, None);

    // The platform's copy arriving later by sync is the same message, not a second one.
    store.write_batch(&[message("42:2", "42", Direction::Out, "It ships today.", "2026-03-01T00:05:00Z")]).unwrap();
    assert_eq!(store.thread(1, 10).unwrap().messages.len(), 2);
}

#[test]
fn a_reply_whose_copy_was_synced_first_keeps_one_message() {
    let mut store = Store::open_in_memory().unwrap();
    store.write_batch(&[message("42:1", "42", Direction::In, "hi", "2026-03-01T00:00:00Z")]).unwrap();
    let reply = store.enqueue_reply(1, "Hello!", None, None).unwrap();
    store.begin_send(reply.id).unwrap();
    // The sync saw the platform's copy before the send call returned.
    store.write_batch(&[message("42:2", "42", Direction::Out, "Hello!", "2026-03-01T00:00:05Z")]).unwrap();
    let sent = store.mark_sent(reply.id, "42:2").unwrap();
    let thread = store.thread(1, 10).unwrap();
    assert_eq!(thread.messages.len(), 2, "{:?}", thread.messages);
    assert_eq!(sent.message_id, Some(thread.messages[1].id));
}

#[test]
fn failures_retries_order_and_crashes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let mut store = Store::create(&path, &static_key(9)).unwrap();
    store.write_batch(&[message("42:1", "42", Direction::In, "hi", "2026-03-01T00:00:00Z")]).unwrap();
    let first = store.enqueue_reply(1, "one", None, None).unwrap();
    let second = store.enqueue_reply(1, "two", None, None).unwrap();
    let now = jiff::Timestamp::now();
    let due: Vec<i64> = store.due_replies(now, 10).unwrap().iter().map(|r| r.id).collect();
    assert_eq!(due, [first.id], "replies of one conversation go out in order");

    store.begin_send(first.id).unwrap();
    let later = now + jiff::SignedDuration::from_secs(30);
    store.retry_later(first.id, "503 from the platform", later).unwrap();
    assert!(store.due_replies(now, 10).unwrap().is_empty(), "the retry waits, and so does the next reply");
    assert_eq!(store.due_replies(later, 10).unwrap()[0].id, first.id);

    // The app dies after handing the reply over: on restart it is in flight, not due.
    store.begin_send(first.id).unwrap();
    drop(store);
    let mut store = Store::open(&path, &static_key(9)).unwrap();
    let in_flight = store.in_flight_replies().unwrap();
    assert_eq!((in_flight.len(), in_flight[0].id, in_flight[0].attempts), (1, first.id, 2));
    assert!(store.due_replies(later, 10).unwrap().is_empty());

    store.mark_failed(first.id, "the customer blocked the bot").unwrap();
    let thread = store.thread(1, 10).unwrap();
    assert_eq!(thread.messages[1].delivery, DeliveryState::Failed);
    assert_eq!(store.due_replies(later, 10).unwrap()[0].id, second.id, "a failed reply no longer holds the next");
    let again = store.retry_reply(first.id).unwrap();
    assert_eq!(again.state, OutboxState::Queued);
    assert_eq!(store.thread(1, 10).unwrap().messages[1].delivery, DeliveryState::Queued);
    assert!(matches!(store.enqueue_reply(1, "   ", None, None), Err(Error::Invalid(_))));
    assert!(matches!(store.enqueue_reply(99, "x", None, None), Err(Error::Missing { .. })));
}

#[test]
fn replies_the_channel_would_refuse_are_refused_before_queuing() {
    use switchboard_core::reply_rules::Window;
    let mut store = Store::open_in_memory().unwrap();
    let now = jiff::Timestamp::now();
    let ago = |hours: i64| (now - jiff::SignedDuration::from_hours(hours)).to_string();
    let mut batch = Vec::new();
    for (account, conversation, hours) in [("whatsapp:+15550199", "whatsapp:+15551", 30), ("messenger:104", "6120000001", 50), ("messenger:104", "6120000002", 200)] {
        store.add_account(account, None, Default::default()).ok();
        let Record::Message(mut m) = message(&format!("{conversation}:1"), conversation, Direction::In, "hello", &ago(hours)) else { unreachable!() };
        m.account = account.into();
        batch.push(Record::Message(m));
    }
    store.write_batch(&batch).unwrap();
    let id = |external: &str| store.inbox(&switchboard_core::model::InboxFilter { limit: 10, ..Default::default() }).unwrap().into_iter().find(|r| r.external_id == external).unwrap().id;
    let (whatsapp, messenger, stale) = (id("whatsapp:+15551"), id("6120000001"), id("6120000002"));

    let err = store.enqueue_reply(whatsapp, "Any news?", None, None).unwrap_err();
    assert!(matches!(&err, Error::ReplyNotAllowed(why) if why.contains("24-hour") && why.contains("template")), "{err}");
    assert_eq!(store.check_reply(messenger, "We're on it.", false, now).unwrap(), Window::HumanAgent);
    store.enqueue_reply(messenger, "We're on it.", None, None).unwrap();
    assert!(store.enqueue_reply(stale, "Sorry for the wait.", None, None).unwrap_err().to_string().contains("7 days"));
    assert!(store.enqueue_reply(messenger, &"x".repeat(2001), None, None).unwrap_err().to_string().contains("2000 characters"));
    // Only the allowed reply was written: one outbox item, one extra message.
    assert_eq!(store.outbox(10).unwrap().len(), 1);
    assert_eq!(store.thread(whatsapp, 10).unwrap().messages.len(), 1);
}
