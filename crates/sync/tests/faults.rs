//! Sync and the outbox against a sandbox that misbehaves: server errors, rate limits, connections
//! reset after the platform acted, truncated JSON, slow answers, expiring tokens.

mod common;
use common::*;
use std::collections::BTreeMap;
use std::time::Duration;
use switchboard_core::model::{AccountState, Channel, OutboxState};
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
    let store = s.reader();
    for (channel, name) in CHANNELS {
        let expected = &stats.channels[name];
        assert_eq!(stored(&store, channel), (expected.conversations, expected.messages), "{name}");
    }
    for (channel, name) in PUBLIC {
        let expected = &stats.channels[name];
        assert_eq!(stored_public(&store, channel), (expected.conversations, expected.messages), "{name}");
    }
    // Without faults Telegram takes a pull per 100 updates plus one, Twilio a page per account,
    // the Graph API a page per inbox (and one look-up), X a page per 100 events (and one look-up).
    // A fifth of requests failing must cost a few retries, not a storm. (Requests to an API
    // shared by two channels are counted under the first: the Graph API's under messenger, with
    // the Page's comments and the Instagram media's, a call per post; X's with its mentions and
    // search.)
    for (name, most) in [("telegram", 20), ("sms", 20), ("messenger", 30), ("x", 20)] {
        let requests = stats.channels[name].requests;
        assert!(requests <= most, "{name} requests: {requests}");
    }
}

#[tokio::test]
async fn a_token_that_expires_mid_sync_stops_only_its_account() {
    // Enough Telegram updates for several pulls; the token expires after the second.
    let s = setup(faulty(900, "expire-token=telegram@2")).await;
    let reports = engine(&s).run(Mode::Once).await.unwrap();
    let telegram = reports.iter().find(|r| r.account == "telegram:acme_support_bot").unwrap();
    assert!(telegram.error.as_deref().unwrap().contains("re-authenticate"));
    let store = s.reader();
    let states: BTreeMap<String, AccountState> = store.accounts().unwrap().into_iter().map(|a| (a.key, a.state)).collect();
    assert_eq!(states["telegram:acme_support_bot"], AccountState::NeedsReauth);
    assert_eq!(states["sms:+15550100"], AccountState::Idle);
    let got = stored(&store, Channel::Telegram).1;
    assert!(got == 200, "the two pulls before the expiry are kept: {got}");
    let stats = s.sandbox.stats();
    for (channel, name) in CHANNELS.into_iter().filter(|(c, _)| *c != Channel::Telegram) {
        assert_eq!(stored(&store, channel).1, stats.channels[name].messages, "{name}");
    }
}

#[tokio::test]
async fn five_hundred_replies_under_thirty_percent_faults_and_a_crash_arrive_once_each_in_order() {
    let s = setup(faulty(60, "5xx=0.1,429=0.05,reset=0.1,truncate=0.05,retry-after=0")).await;
    let mut first = engine(&s);
    first.max_attempts = 40;
    first.run(Mode::Once).await.unwrap();

    // 500 replies over the conversations that take one now, on every channel whose platform can
    // say whether an interrupted send arrived (a Telegram bot cannot), in sequence per conversation.
    let conversations: Vec<i64> = {
        let store = s.reader();
        [Channel::Sms, Channel::Whatsapp, Channel::Messenger, Channel::Instagram, Channel::X].iter().flat_map(|ch| replyable(&store, *ch)).collect()
    };
    {
        let conversations = conversations.clone();
        s.write(move |store| {
            for n in 0..500 {
                let conversation = conversations[n % conversations.len()];
                store.enqueue_reply(conversation, &format!("reply {n:03} to #{conversation}"), None, None)?;
            }
            Ok(())
        });
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
            let done = s.reader().outbox(1000).unwrap().iter().all(|r| r.state == OutboxState::Sent);
            if done {
                return;
            }
            let _ = events.recv().await;
        }
    })
    .await;
    running.abort();
    assert!(finished.is_ok(), "not every reply was sent: {:?}", s.reader().outbox(1000).unwrap().iter().filter(|r| r.state != OutboxState::Sent).collect::<Vec<_>>());

    let stats = s.sandbox.stats();
    let received: usize = stats.channels.values().map(|c| c.replies).sum();
    let duplicates: usize = stats.channels.values().map(|c| c.duplicate_replies).sum();
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

/// Log lines written while a test runs, kept for the test to read.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn malformed_records_are_skipped_and_logged_without_their_content_while_sync_goes_on() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt().with_writer(move || writer.clone()).with_ansi(false).finish();
    let _logging = tracing::subscriber::set_default(subscriber);

    let s = setup(faulty(240, "malformed=0.5")).await;
    let reports = engine(&s).run(Mode::Once).await.unwrap();
    assert!(reports.iter().all(|r| r.error.is_none()), "every account kept syncing: {reports:?}");
    let skipped: usize = reports.iter().map(|r| r.skipped).sum();
    assert!(reports.iter().filter(|r| r.skipped > 0).count() >= 3, "{reports:?}");
    let stats = s.sandbox.stats();
    {
        let store = s.reader();
        let per: Vec<_> = CHANNELS.iter().map(|(ch, n)| (n, stored(&store, *ch).1, stats.channels[*n].messages)).collect();
        let stored: usize = per.iter().map(|p| p.1).sum();
        let expected: usize = per.iter().map(|p| p.2).sum();
        // Only what was spoiled is missing (a spoiled Graph conversation takes its messages along).
        assert!(per.iter().all(|(_, got, all)| got <= all) && stored < expected, "{per:?}");
        assert!(stored * 10 > expected * 8, "most of it arrived: {stored} of {expected}");
    }
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.matches("skipped a").count() >= skipped, "each skip is logged");
    // Not one customer or agent line of the sandbox's world appears in the log.
    let world = switchboard_sandbox::script::generate(23, 240, jiff::Timestamp::now().as_second());
    // (A customer's bare order number, such as "5686", is left out: four digits also turn up in
    // the log as counts and durations.)
    for turn in world.conversations.iter().flat_map(|c| &c.turns).filter(|t| !t.text.chars().all(|c| c.is_ascii_digit())) {
        assert!(!logs.contains(&turn.text), "the log holds message text: {:?}", turn.text);
    }
    for customer in &world.customers {
        assert!(!logs.contains(&customer.name), "the log holds a customer's name");
    }
    let public = switchboard_sandbox::public::Public::generate(23, &world, 60, jiff::Timestamp::now().as_second());
    for comment in &public.comments {
        assert!(!logs.contains(&comment.text), "the log holds a public comment: {:?}", comment.text);
    }
}

#[tokio::test]
async fn an_expired_page_token_stops_the_pages_two_inboxes_and_nothing_else() {
    // Graph answers code 190 (with HTTP 400) once the token expires, after the first call.
    let s = setup(faulty(240, "expire-token=messenger@1")).await;
    let reports = engine(&s).run(Mode::Once).await.unwrap();
    for account in ["messenger:acme", "instagram:acme"] {
        let report = reports.iter().find(|r| r.account == account).unwrap();
        let error = report.error.as_deref().unwrap();
        assert!(error.contains("re-authenticate") && error.contains("190"), "{error}");
        assert!(!error.contains(switchboard_sandbox::credentials::PAGE_TOKEN));
    }
    let store = s.reader();
    let states: BTreeMap<String, AccountState> = store.accounts().unwrap().into_iter().map(|a| (a.key, a.state)).collect();
    assert_eq!((states["messenger:acme"], states["instagram:acme"]), (AccountState::NeedsReauth, AccountState::NeedsReauth));
    let stats = s.sandbox.stats();
    for (channel, name) in [(Channel::Sms, "sms"), (Channel::Whatsapp, "whatsapp"), (Channel::Telegram, "telegram"), (Channel::X, "x")] {
        assert_eq!(stored(&store, channel), (stats.channels[name].conversations, stats.channels[name].messages), "{name}");
        assert_eq!(states[&store.accounts().unwrap().into_iter().find(|a| a.channel == channel).unwrap().key], AccountState::Idle);
    }
}
