//! Sync and the outbox against a sandbox that misbehaves: server errors, rate limits, connections
//! reset after the platform acted, truncated JSON, slow answers, expiring tokens.

mod common;
use common::*;
use std::collections::BTreeMap;
use std::time::Duration;
use switchboard_core::model::{AccountState, Channel, InboxFilter, OutboxState};
use switchboard_sandbox::Config;
use switchboard_sync::{Mode, SyncEvent};

fn faulty(conversations: usize, spec: &str) -> Config {
    Config { seed: 23, conversations, faults: spec.parse().unwrap(), ..Default::default() }
}

#[tokio::test]
async fn sync_converges_under_twenty_percent_faults_with_bounded_requests() {
    let s = setup(faulty(240, "5xx=0.06,429=0.03,reset=0.05,slow=0.02,truncate=0.04,retry-after=0")).await;
    let mut engine = engine(&s);
    engine.max_attempts = 40;
    let reports = engine.run(Mode::Once).await.unwrap();
    assert!(reports.iter().all(|r| r.error.is_none()), "{reports:?}");
    let stats = s.sandbox.stats();
    let store = s.store.lock().unwrap();
    for (channel, name) in [(Channel::Telegram, "telegram"), (Channel::Sms, "sms"), (Channel::Whatsapp, "whatsapp")] {
        let expected = &stats.channels[name];
        assert_eq!(stored(&store, channel), (expected.conversations, expected.messages), "{name}");
    }
    // Without faults Telegram takes a pull per 100 updates plus one, Twilio a page per account.
    // A fifth of requests failing must cost a few retries, not a storm.
    let telegram = stats.channels["telegram"].requests;
    let twilio = stats.channels["sms"].requests;
    assert!(telegram <= 20, "telegram requests: {telegram}");
    assert!(twilio <= 20, "twilio requests: {twilio}");
}

#[tokio::test]
async fn a_token_that_expires_mid_sync_stops_only_its_account() {
    // Enough Telegram updates for several pulls; the token expires after the second.
    let s = setup(faulty(900, "expire-token=telegram@2")).await;
    let reports = engine(&s).run(Mode::Once).await.unwrap();
    let telegram = reports.iter().find(|r| r.account == "telegram:acme_bot").unwrap();
    assert!(telegram.error.as_deref().unwrap().contains("re-authenticate"));
    let store = s.store.lock().unwrap();
    let states: BTreeMap<String, AccountState> = store.accounts().unwrap().into_iter().map(|a| (a.key, a.state)).collect();
    assert_eq!(states["telegram:acme_bot"], AccountState::NeedsReauth);
    assert_eq!(states["sms:+15550100"], AccountState::Idle);
    let got = stored(&store, Channel::Telegram).1;
    assert!(got == 200, "the two pulls before the expiry are kept: {got}");
    let stats = s.sandbox.stats();
    assert_eq!(stored(&store, Channel::Sms).1, stats.channels["sms"].messages);
    assert_eq!(stored(&store, Channel::Whatsapp).1, stats.channels["whatsapp"].messages);
}

#[tokio::test]
async fn five_hundred_replies_under_thirty_percent_faults_and_a_crash_arrive_once_each_in_order() {
    let s = setup(faulty(60, "5xx=0.1,429=0.05,reset=0.1,truncate=0.05,retry-after=0")).await;
    let mut first = engine(&s);
    first.max_attempts = 40;
    first.run(Mode::Once).await.unwrap();

    // 500 replies over the SMS and WhatsApp conversations, in sequence per conversation.
    let conversations: Vec<i64> = {
        let store = s.store.lock().unwrap();
        [Channel::Sms, Channel::Whatsapp]
            .iter()
            .flat_map(|ch| store.inbox(&InboxFilter { channel: Some(*ch), limit: 1000, ..Default::default() }).unwrap())
            .map(|r| r.id)
            .collect()
    };
    {
        let mut store = s.store.lock().unwrap();
        for n in 0..500 {
            let conversation = conversations[n % conversations.len()];
            store.enqueue_reply(conversation, &format!("reply {n:03} to #{conversation}"), None, None).unwrap();
        }
    }

    // Follow mode, killed when 200 replies are out.
    let mut events = first.subscribe();
    first.poll_interval = Duration::from_millis(20);
    let running = tokio::spawn({
        let engine = first.clone();
        async move { engine.run(Mode::Follow).await }
    });
    let mut sent = 0;
    let reached = tokio::time::timeout(Duration::from_secs(120), async {
        while sent < 200 {
            match events.recv().await {
                Ok(SyncEvent::ReplySent { .. }) => sent += 1,
                Ok(other) => eprintln!("event: {other:?}"),
                Err(e) => eprintln!("events: {e}"),
            }
        }
    })
    .await;
    assert!(reached.is_ok(), "only {sent} replies were sent before the crash");
    running.abort();
    let _ = running.await;

    // Restarted: settles what was in flight, sends the rest.
    let mut second = engine(&s);
    second.poll_interval = Duration::from_millis(20);
    second.in_flight_grace = Duration::from_millis(200);
    let mut events = second.subscribe();
    let running = tokio::spawn({
        let engine = second.clone();
        async move { engine.run(Mode::Follow).await }
    });
    let finished = tokio::time::timeout(Duration::from_secs(120), async {
        loop {
            let done = s.store.lock().unwrap().outbox(1000).unwrap().iter().all(|r| r.state == OutboxState::Sent);
            if done {
                return;
            }
            let _ = events.recv().await;
        }
    })
    .await;
    running.abort();
    assert!(finished.is_ok(), "not every reply was sent: {:?}", s.store.lock().unwrap().outbox(1000).unwrap().iter().filter(|r| r.state != OutboxState::Sent).collect::<Vec<_>>());

    let stats = s.sandbox.stats();
    let received = stats.channels["sms"].replies + stats.channels["whatsapp"].replies;
    let duplicates = stats.channels["sms"].duplicate_replies + stats.channels["whatsapp"].duplicate_replies;
    assert_eq!((received, duplicates), (500, 0));
    // In order per conversation: the numbers a customer received only go up.
    let mut last: BTreeMap<String, u32> = BTreeMap::new();
    for (_, chat, text) in s.sandbox.replies() {
        let n: u32 = text[6..9].parse().unwrap();
        if let Some(previous) = last.insert(chat.clone(), n) {
            assert!(previous < n, "{chat}: reply {n} arrived after {previous}");
        }
    }
}
