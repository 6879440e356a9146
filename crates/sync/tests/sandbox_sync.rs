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
    for (channel, name) in CHANNELS {
        let expected = &stats.channels[name];
        assert!(expected.conversations > 0, "{name}");
        assert_eq!(stored(&s.reader(), channel), (expected.conversations, expected.messages), "{name}");
    }
    for (channel, name) in PUBLIC {
        let expected = &stats.channels[name];
        assert!(expected.conversations > 0, "{name}");
        assert_eq!(stored_public(&s.reader(), channel), (expected.conversations, expected.messages), "{name}");
    }
    let again = engine(&s).run(Mode::Once).await.unwrap();
    assert!(again.iter().all(|r| r.changed == 0), "{again:?}");
    let accounts = s.reader().accounts().unwrap();
    assert!(accounts.iter().all(|a| a.state == AccountState::Idle), "{accounts:?}");
    // Customers are named on every channel that names them.
    let store = s.reader();
    for channel in [Channel::Telegram, Channel::Messenger, Channel::Instagram, Channel::X] {
        let inbox = store.inbox(&InboxFilter { channel: Some(channel), limit: 100, ..Default::default() }).unwrap();
        assert!(inbox.iter().all(|r| r.customer.is_some()), "{channel}");
    }
    // An X DM's photo keeps the link X expands it to (its `ton` server, here the sandbox's),
    // which the agent's browser (signed in to X) can open; without the expansion there would be
    // nothing to open.
    let x = store.inbox(&InboxFilter { channel: Some(Channel::X), limit: 1000, ..Default::default() }).unwrap();
    let photos: Vec<_> = x
        .iter()
        .flat_map(|r| store.thread(r.id, 1000).unwrap().messages)
        .flat_map(|m| m.attachments)
        .collect();
    drop(store);
    assert!(!photos.is_empty());
    let ton = format!("{}/1.1/ton/data/dm/", s.base);
    assert!(photos.iter().all(|a| a.url.as_deref().is_some_and(|u| u.starts_with(&ton))), "{photos:?}");

    // The app fetches it only with a request signed with the account's OAuth 1.0a keys.
    let url = photos[0].url.as_deref().unwrap();
    let x_api = format!("{}/2", s.base);
    let keys = switchboard_sync::OAuth1Keys {
        consumer_key: c::X_CONSUMER_KEY.into(),
        consumer_secret: c::X_CONSUMER_SECRET.into(),
        access_token: c::X_ACCESS_TOKEN.into(),
        access_token_secret: c::X_ACCESS_TOKEN_SECRET.into(),
    };
    let (mime, bytes) = switchboard_sync::media::x_image(Some(&x_api), &keys, url).await.unwrap();
    assert_eq!((mime.as_str(), bytes.as_slice()), ("image/jpeg", &include_bytes!("../../sandbox/assets/photo.jpg")[..]));
    // Twice: each request has a nonce of its own.
    assert!(switchboard_sync::media::x_image(Some(&x_api), &keys, url).await.is_ok());
    let wrong = switchboard_sync::OAuth1Keys { consumer_secret: "not-the-secret".into(), ..keys.clone() };
    let refused = switchboard_sync::media::x_image(Some(&x_api), &wrong, url).await.unwrap_err().to_string();
    assert!(refused.contains("did not accept the account's photo keys"), "{refused}");
    assert!(!refused.contains("not-the-secret") && !refused.contains(url), "{refused}");
    // Nothing but X's media server (or the account's own API origin) is asked.
    let elsewhere = switchboard_sync::media::x_image(Some(&x_api), &keys, "http://127.0.0.1:9/1.1/ton/data/dm/1/1/a.jpg").await.unwrap_err();
    assert!(elsewhere.to_string().contains("not on X's media server"), "{elsewhere}");
}

#[tokio::test]
async fn replies_are_delivered_once_each_and_their_copies_do_not_double() {
    let s = setup(plain(60)).await;
    engine(&s).run(Mode::Once).await.unwrap();
    let targets: Vec<i64> = {
        let store = s.reader();
        CHANNELS.iter().map(|(ch, _)| open_conversation(&store, *ch)).collect()
    };
    for (i, conversation) in targets.iter().enumerate() {
        let conversation = *conversation;
        s.write(move |store| {
            store.enqueue_reply(conversation, &format!("Reply {i}: we're on it."), Some("Sam"), None)?;
            store.enqueue_reply(conversation, &format!("Reply {i}: and a follow-up."), Some("Sam"), None)
        });
    }
    let reports = engine(&s).run(Mode::Once).await.unwrap();
    assert_eq!(reports.iter().map(|r| r.sent).sum::<usize>(), 12, "{reports:?}");
    let stats = s.sandbox.stats();
    for (_, name) in CHANNELS {
        assert_eq!((stats.channels[name].replies, stats.channels[name].duplicate_replies), (2, 0), "{name}");
    }
    let threads_before: Vec<usize> = targets.iter().map(|id| s.reader().thread(*id, 1000).unwrap().messages.len()).collect();
    // The platforms list the sent replies (all but Telegram); syncing them must not add a second copy.
    let reports = engine(&s).run(Mode::Once).await.unwrap();
    assert_eq!(reports.iter().map(|r| r.sent).sum::<usize>(), 0);
    let threads_after: Vec<usize> = targets.iter().map(|id| s.reader().thread(*id, 1000).unwrap().messages.len()).collect();
    assert_eq!(threads_before, threads_after);
    assert!(s.reader().outbox(100).unwrap().iter().all(|r| r.state == OutboxState::Sent));
}

#[tokio::test]
async fn a_reply_in_flight_at_a_crash_is_settled_without_sending_twice() {
    let s = setup(plain(60)).await;
    engine(&s).run(Mode::Once).await.unwrap();
    let (sms, telegram) = {
        let store = s.reader();
        let first = |ch| store.inbox(&InboxFilter { channel: Some(ch), limit: 1, ..Default::default() }).unwrap()[0].id;
        (first(Channel::Sms), first(Channel::Telegram))
    };
    let (delivered, lost, unknown) = s.write(move |store| {
        let delivered = store.enqueue_reply(sms, "Handed over just before the crash.", None, None)?;
        let lost = store.enqueue_reply(sms, "Never reached Twilio.", None, None)?;
        let unknown = store.enqueue_reply(telegram, "Telegram cannot be asked.", None, None)?;
        // The app died after each was handed to the network.
        for id in [delivered.id, lost.id, unknown.id] {
            store.begin_send(id)?;
        }
        Ok((delivered, lost, unknown))
    });
    // Only the first actually arrived at Twilio before the crash.
    let to = s.reader().conversation_address(sms).unwrap().1;
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
        let store = s.reader();
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
    let store = s.reader();
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
    s.credentials.set("telegram:acme_support_bot", "123456:revoked").unwrap();
    let reports = engine(&s).run(Mode::Once).await.unwrap();
    let telegram = reports.iter().find(|r| r.account == "telegram:acme_support_bot").unwrap();
    let error = telegram.error.as_deref().unwrap();
    assert!(error.contains("re-authenticate"), "{error}");
    assert!(!error.contains("revoked"), "the token never appears in an error: {error}");
    let stats = s.sandbox.stats();
    let store = s.reader();
    assert_eq!(stored(&store, Channel::Sms).1, stats.channels["sms"].messages);
    assert_eq!(stored(&store, Channel::Whatsapp).1, stats.channels["whatsapp"].messages);
    let states: Vec<_> = store.accounts().unwrap().into_iter().map(|a| (a.key, a.state)).collect();
    assert!(states.contains(&("telegram:acme_support_bot".into(), AccountState::NeedsReauth)), "{states:?}");
    // The store says why, for Settings, without the token; an account that is fine says nothing.
    let accounts = store.accounts().unwrap();
    let telegram = accounts.iter().find(|a| a.key == "telegram:acme_support_bot").unwrap();
    let why = telegram.state_detail.as_deref().unwrap();
    assert!(why.contains("re-authenticate") && !why.contains("revoked"), "{why}");
    assert!(accounts.iter().filter(|a| a.state == AccountState::Idle).all(|a| a.state_detail.is_none()));
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
    let stored = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            if let Ok(SyncEvent::Stored { account, new_messages, conversations, .. }) = events.recv().await {
                if account == "telegram:acme_support_bot" {
                    return (new_messages, conversations);
                }
            }
        }
    })
    .await;
    let (new_messages, conversations) = stored.expect("the new message was stored and told within 20 s");
    running.abort();
    let store = s.reader();
    assert_eq!(stored_messages(&store), before + 1);
    // The event names the message and its conversation, for the UI and the notification.
    assert_eq!((new_messages.len(), conversations.len()), (1, 1));
    let thread = store.thread(conversations[0], 1000).unwrap();
    let newest = thread.messages.iter().max_by_key(|m| m.id).unwrap();
    assert_eq!(newest.id, new_messages[0]);
}

fn stored_messages(store: &Store) -> usize {
    stored(store, Channel::Telegram).1
}

#[tokio::test]
async fn usage_headers_pace_the_graph_api_and_x_so_neither_throttles() {
    let config = switchboard_sandbox::Config { budget: Some("8/2".parse().unwrap()), ..plain(300) };
    let s = setup(config).await;
    // Small pages, so that a sync needs more calls than one window's budget.
    s.write(|store| {
        for account in store.accounts()? {
            let mut config = account.config.clone();
            if matches!(account.channel, Channel::Messenger | Channel::Instagram | Channel::X) {
                config.insert("page_size".into(), serde_json::json!(if account.channel == Channel::X { 20 } else { 5 }));
                store.set_account_config(&account.key, config)?;
            }
        }
        Ok(())
    });
    let mut engine = engine(&s);
    engine.usage_pause = Duration::from_secs(2);
    let reports = engine.run(Mode::Once).await.unwrap();
    assert!(reports.iter().all(|r| r.error.is_none()), "{reports:?}");
    let stats = s.sandbox.stats();
    let store = s.reader();
    for (channel, name) in [(Channel::Messenger, "messenger"), (Channel::Instagram, "instagram"), (Channel::X, "x")] {
        assert_eq!(stored(&store, channel), (stats.channels[name].conversations, stats.channels[name].messages), "{name}");
    }
    // Messenger's count holds the Page's calls for both inboxes.
    for name in ["messenger", "x"] {
        assert!(stats.channels[name].requests > 8, "{name}: the sync needed more than one window's budget");
        assert_eq!(stats.channels[name].throttled, 0, "{name}: paced, never throttled");
    }
}

#[tokio::test]
async fn after_a_day_messenger_replies_go_with_the_human_agent_tag_and_closed_windows_refuse() {
    use switchboard_core::reply_rules::Window;
    let s = setup(plain(300)).await;
    engine(&s).run(Mode::Once).await.unwrap();
    let now = jiff::Timestamp::now();
    let (tagged, whatsapp_closed) = {
        let store = s.reader();
        let rows = |ch| store.inbox(&InboxFilter { channel: Some(ch), limit: 1000, ..Default::default() }).unwrap();
        let tagged = rows(Channel::Messenger).into_iter().find(|r| store.check_reply(r.id, "x", false, now).ok() == Some(Window::HumanAgent)).unwrap().id;
        let closed = rows(Channel::Whatsapp).into_iter().find(|r| store.check_reply(r.id, "x", false, now).is_err()).unwrap().id;
        (tagged, closed)
    };
    let err = s.db.write(move |store| store.enqueue_reply(whatsapp_closed, "Are you still there?", None, None)).unwrap_err();
    assert!(err.to_string().contains("24-hour window"), "{err}");
    s.write(move |store| store.enqueue_reply(tagged, "Sorry for the slow answer: your refund went out today.", Some("Sam"), None));
    // Outside WhatsApp's window, an approved template goes.
    let template = switchboard_core::model::Template {
        id: switchboard_sandbox::templates::FOLLOW_UP.into(),
        variables: [("1".to_owned(), "Lena".to_owned())].into(),
    };
    let queued = s.write(move |store| store.enqueue_template(whatsapp_closed, &template, Some("Sam"), None));
    assert!(queued.text.contains(switchboard_sandbox::templates::FOLLOW_UP));
    let reports = engine(&s).run(Mode::Once).await.unwrap();
    assert_eq!(reports.iter().map(|r| (r.sent, r.failed)).fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1)), (2, 0), "{reports:?}");
    // The sandbox refuses an untagged reply after 24 hours, so arriving proves the tag.
    let stats = s.sandbox.stats();
    assert_eq!((stats.channels["messenger"].replies, stats.channels["whatsapp"].replies), (1, 1));
    let rendered = "Hi Lena, we have an update on your request. Reply to this message to continue.";
    assert!(s.sandbox.replies().iter().any(|(channel, _, text)| channel == "whatsapp" && text == rendered));
    // The next sync brings the platform's copy: the thread shows the template's text, once.
    engine(&s).run(Mode::Once).await.unwrap();
    let store = s.reader();
    let thread = store.thread(whatsapp_closed, 1000).unwrap();
    assert_eq!(thread.messages.iter().filter(|m| m.text == rendered).count(), 1);
    assert!(!thread.messages.iter().any(|m| m.text == queued.text), "the placeholder gave way to the platform's copy");
}

#[tokio::test]
async fn a_stopped_run_leaves_no_account_showing_syncing_but_keeps_what_needs_the_agent() {
    let s = setup(plain(12)).await;
    s.write(|store| {
        let accounts = store.accounts()?;
        store.set_account_state(accounts[0].id, AccountState::Syncing)?;
        store.set_account_state(accounts[1].id, AccountState::Offline)?;
        store.set_account_state(accounts[2].id, AccountState::NeedsReauth)
    });
    engine(&s).stand_down().await.unwrap();
    let states: Vec<AccountState> = s.reader().accounts().unwrap().into_iter().map(|a| a.state).collect();
    assert_eq!(&states[..3], [AccountState::Idle, AccountState::Idle, AccountState::NeedsReauth]);
}

/// Telegram forgets an update once the next `getUpdates` confirms it, so each pull is kept in the
/// spool before that. A pull confirmed but not yet in the store when the app died is stored from
/// the spool at the next start: nothing lost, nothing twice, the offset where it belongs.
#[tokio::test]
async fn a_telegram_pull_confirmed_but_not_yet_stored_when_the_app_died_is_stored_from_the_spool() {
    let s = setup(plain(30)).await;
    engine(&s).run(Mode::Once).await.unwrap();
    let account = s.reader().account("telegram:acme_support_bot").unwrap().unwrap();
    let offset: i64 = s.reader().cursor(account.id, "updates").unwrap().unwrap().parse().unwrap();

    // A customer writes; the app pulls the update and spools it, then its next pull confirms it
    // (Telegram forgets it), and the app dies before the store's commit.
    let text = "Is my order 88123 on its way? (spooled)";
    let http = reqwest::Client::new();
    let writes = format!("{}/_sandbox/customer-writes?channel=telegram&text={}", s.base, text.replace(' ', "%20").replace('?', "%3F"));
    http.post(writes).send().await.unwrap().error_for_status().unwrap();
    let bot = format!("{}/bot{}", s.base, c::TELEGRAM_BOT_TOKEN);
    let pulled: serde_json::Value = http.get(format!("{bot}/getUpdates?offset={offset}&timeout=0")).send().await.unwrap().json().await.unwrap();
    let update = &pulled["result"][0];
    let (chat, next) = (update["message"]["chat"]["id"].to_string(), update["update_id"].as_i64().unwrap() + 1);
    let record = switchboard_core::interchange::Record::Message(switchboard_core::interchange::MessageRecord {
        account: account.key.clone(),
        conversation: chat.clone(),
        id: format!("{chat}:{}", update["message"]["message_id"]),
        direction: switchboard_core::model::Direction::In,
        author: switchboard_core::interchange::Author { kind: switchboard_core::model::AuthorKind::Customer, name: None, handle: Some(chat.clone()) },
        text: update["message"]["text"].as_str().unwrap().to_owned(),
        at: jiff::Timestamp::from_second(update["message"]["date"].as_i64().unwrap()).unwrap(),
        delivery: None,
        attachments: vec![],
        email: None,
    });
    let mut spool = s.write(|store| store.spool());
    spool.push(account.id, "updates", &[record], Some(&next.to_string())).unwrap();
    let confirmed: serde_json::Value = http.get(format!("{bot}/getUpdates?offset={next}&timeout=0")).send().await.unwrap().json().await.unwrap();
    assert_eq!(confirmed["result"].as_array().unwrap().len(), 0, "Telegram has forgotten it");

    // The next start stores it before pulling: the store holds exactly what the sandbox does.
    let reports = engine(&s).run(Mode::Once).await.unwrap();
    assert!(reports.iter().all(|r| r.error.is_none()), "{reports:?}");
    let expected = &s.sandbox.stats().channels["telegram"];
    let store = s.reader();
    assert_eq!(stored(&store, Channel::Telegram), (expected.conversations, expected.messages));
    assert_eq!(store.cursor(account.id, "updates").unwrap(), Some(next.to_string()));
    let query = switchboard_core::search::SearchQuery { text: "88123 spooled".into(), limit: 10, ..Default::default() };
    assert_eq!(store.search(&query).unwrap().iter().map(|hit| hit.text.as_str()).collect::<Vec<_>>(), [text], "stored once, and searchable");
    assert!(spool.pending(account.id, "updates").unwrap().is_empty(), "stored, so gone from the spool");
}
