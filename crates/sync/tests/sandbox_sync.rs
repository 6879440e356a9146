//! Sync against the sandbox over real HTTP.

mod common;
use common::*;
use std::time::Duration;
use switchboard_core::credentials::Credentials;
use switchboard_core::model::{AccountState, Channel, InboxFilter, OutboxState};
use switchboard_core::Store;
use switchboard_sandbox::credentials as c;
use switchboard_sync::{Mode, SyncEvent};

#[tokio::test]
async fn a_full_sync_stores_exactly_what_the_sandbox_holds_and_a_second_changes_nothing() {
    let s = setup(plain(90)).await;
    let reports = engine(&s).run(Mode::Once).await.unwrap();
    assert!(reports.iter().all(|r| r.error.is_none() && r.skipped == 0), "{reports:?}");
    let stats = s.sandbox.stats();
    for (channel, name) in [(Channel::Telegram, "telegram"), (Channel::Sms, "sms"), (Channel::Whatsapp, "whatsapp")] {
        let expected = &stats.channels[name];
        assert_eq!(stored(&s.store.lock().unwrap(), channel), (expected.conversations, expected.messages), "{name}");
    }
    let again = engine(&s).run(Mode::Once).await.unwrap();
    assert!(again.iter().all(|r| r.changed == 0), "{again:?}");
    let accounts = s.store.lock().unwrap().accounts().unwrap();
    assert!(accounts.iter().all(|a| a.state == AccountState::Idle), "{accounts:?}");
    // Customers are named, and Korean and English both came through.
    let store = s.store.lock().unwrap();
    let inbox = store.inbox(&InboxFilter { channel: Some(Channel::Telegram), limit: 100, ..Default::default() }).unwrap();
    assert!(inbox.iter().all(|r| r.customer.is_some()));
}

#[tokio::test]
async fn replies_are_delivered_once_each_and_their_copies_do_not_double() {
    let s = setup(plain(60)).await;
    engine(&s).run(Mode::Once).await.unwrap();
    let targets: Vec<i64> = {
        let store = s.store.lock().unwrap();
        [Channel::Telegram, Channel::Sms, Channel::Whatsapp]
            .iter()
            .map(|ch| store.inbox(&InboxFilter { channel: Some(*ch), limit: 1, ..Default::default() }).unwrap()[0].id)
            .collect()
    };
    for (i, conversation) in targets.iter().enumerate() {
        let mut store = s.store.lock().unwrap();
        store.enqueue_reply(*conversation, &format!("Reply {i}: we're on it."), Some("Sam"), None).unwrap();
        store.enqueue_reply(*conversation, &format!("Reply {i}: and a follow-up."), Some("Sam"), None).unwrap();
    }
    let reports = engine(&s).run(Mode::Once).await.unwrap();
    assert_eq!(reports.iter().map(|r| r.sent).sum::<usize>(), 6, "{reports:?}");
    let stats = s.sandbox.stats();
    for name in ["telegram", "sms", "whatsapp"] {
        assert_eq!((stats.channels[name].replies, stats.channels[name].duplicate_replies), (2, 0), "{name}");
    }
    let threads_before: Vec<usize> = targets.iter().map(|id| s.store.lock().unwrap().thread(*id, 1000).unwrap().messages.len()).collect();
    // Twilio lists the sent replies; syncing them again must not add a second copy.
    let reports = engine(&s).run(Mode::Once).await.unwrap();
    assert_eq!(reports.iter().map(|r| r.sent).sum::<usize>(), 0);
    let threads_after: Vec<usize> = targets.iter().map(|id| s.store.lock().unwrap().thread(*id, 1000).unwrap().messages.len()).collect();
    assert_eq!(threads_before, threads_after);
    assert!(s.store.lock().unwrap().outbox(100).unwrap().iter().all(|r| r.state == OutboxState::Sent));
}

#[tokio::test]
async fn a_reply_in_flight_at_a_crash_is_settled_without_sending_twice() {
    let s = setup(plain(60)).await;
    engine(&s).run(Mode::Once).await.unwrap();
    let (sms, telegram) = {
        let store = s.store.lock().unwrap();
        let first = |ch| store.inbox(&InboxFilter { channel: Some(ch), limit: 1, ..Default::default() }).unwrap()[0].id;
        (first(Channel::Sms), first(Channel::Telegram))
    };
    let (delivered, lost, unknown) = {
        let mut store = s.store.lock().unwrap();
        let delivered = store.enqueue_reply(sms, "Handed over just before the crash.", None, None).unwrap();
        let lost = store.enqueue_reply(sms, "Never reached Twilio.", None, None).unwrap();
        let unknown = store.enqueue_reply(telegram, "Telegram cannot be asked.", None, None).unwrap();
        // The app died after each was handed to the network.
        for id in [delivered.id, lost.id, unknown.id] {
            store.begin_send(id).unwrap();
        }
        (delivered, lost, unknown)
    };
    // Only the first actually arrived at Twilio before the crash.
    let to = s.store.lock().unwrap().conversation_address(sms).unwrap().1;
    let http = reqwest::Client::new();
    let created = http
        .post(format!("{}/2010-04-01/Accounts/{}/Messages.json", s.base, c::TWILIO_ACCOUNT_SID))
        .basic_auth(c::TWILIO_ACCOUNT_SID, Some(c::TWILIO_AUTH_TOKEN))
        .form(&[("To", to.as_str()), ("From", c::SMS_NUMBER), ("Body", delivered.text.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);

    // Right after the restart, a reply not found may still be on its way: it is not resent.
    engine(&s).run(Mode::Once).await.unwrap();
    assert_eq!(s.sandbox.stats().channels["sms"].replies, 1);
    {
        let store = s.store.lock().unwrap();
        let outbox = store.outbox(100).unwrap();
        assert_eq!(outbox.iter().find(|r| r.id == delivered.id).unwrap().state, OutboxState::Sent, "found: settled");
        assert_eq!(outbox.iter().find(|r| r.id == lost.id).unwrap().state, OutboxState::Sending, "not found yet: waits");
    }
    // Once the grace has passed, not found means lost: it is sent, once.
    let mut later = engine(&s);
    later.in_flight_grace = Duration::ZERO;
    later.run(Mode::Once).await.unwrap();
    let stats = s.sandbox.stats();
    assert_eq!((stats.channels["sms"].replies, stats.channels["sms"].duplicate_replies), (2, 0), "each SMS reply arrived once");
    assert_eq!(stats.channels["telegram"].replies, 0, "an unknown Telegram send is not repeated");
    let store = s.store.lock().unwrap();
    let state = |id| store.outbox(100).unwrap().into_iter().find(|r| r.id == id).unwrap();
    assert_eq!(state(delivered.id).state, OutboxState::Sent);
    assert_eq!(state(lost.id).state, OutboxState::Sent);
    let unknown = state(unknown.id);
    assert_eq!(unknown.state, OutboxState::Failed);
    assert!(unknown.last_error.unwrap().contains("check the conversation"));
}

#[tokio::test]
async fn an_expired_token_stops_its_account_only() {
    let s = setup(plain(60)).await;
    s.credentials.set("telegram:acme_bot", "123456:revoked").unwrap();
    let reports = engine(&s).run(Mode::Once).await.unwrap();
    let telegram = reports.iter().find(|r| r.account == "telegram:acme_bot").unwrap();
    let error = telegram.error.as_deref().unwrap();
    assert!(error.contains("re-authenticate"), "{error}");
    assert!(!error.contains("revoked"), "the token never appears in an error: {error}");
    let stats = s.sandbox.stats();
    let store = s.store.lock().unwrap();
    assert_eq!(stored(&store, Channel::Sms).1, stats.channels["sms"].messages);
    assert_eq!(stored(&store, Channel::Whatsapp).1, stats.channels["whatsapp"].messages);
    let states: Vec<_> = store.accounts().unwrap().into_iter().map(|a| (a.key, a.state)).collect();
    assert!(states.contains(&("telegram:acme_bot".into(), AccountState::NeedsReauth)), "{states:?}");
    assert!(states.contains(&("sms:+15550100".into(), AccountState::Idle)), "{states:?}");
}

#[tokio::test]
async fn follow_mode_sees_a_new_telegram_message_through_the_long_poll() {
    let s = setup(plain(30)).await;
    engine(&s).run(Mode::Once).await.unwrap();
    let engine = engine(&s);
    let mut events = engine.subscribe();
    let running = tokio::spawn({
        let engine = engine.clone();
        async move { engine.run(Mode::Follow).await }
    });
    // Wait until every account is caught up and idle, then a customer writes on Telegram.
    let before = s.sandbox.stats().channels["telegram"].messages;
    while s.sandbox.stats().channels["telegram"].messages == before {
        s.sandbox.customer_writes();
    }
    let started = std::time::Instant::now();
    let stored = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            if let Ok(SyncEvent::Stored { account, .. }) = events.recv().await {
                if account == "telegram:acme_bot" {
                    return;
                }
            }
        }
    })
    .await;
    assert!(stored.is_ok(), "the new message was not stored");
    assert!(started.elapsed() < Duration::from_secs(20));
    running.abort();
    let store = s.store.lock().unwrap();
    assert_eq!(stored_messages(&store), before + 1);
}

fn stored_messages(store: &Store) -> usize {
    stored(store, Channel::Telegram).1
}
