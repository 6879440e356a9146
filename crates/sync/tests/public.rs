//! Public conversations against the sandbox over real HTTP: each public connector's threads and
//! replies, private replies that land in the customer's private conversation, and hiding.

mod common;
use common::*;
use switchboard_core::model::{Channel, HideReason, InboxFilter, InboxRow, OutboxKind, OutboxState};
use switchboard_core::Store;
use switchboard_sync::Mode;

fn threads(store: &Store, channel: Channel) -> Vec<InboxRow> {
    store.inbox(&InboxFilter { channel: Some(channel), public: Some(true), limit: 10_000, ..Default::default() }).unwrap()
}

/// A public thread on `channel` whose customer's newest comment is younger than `hours`.
fn recent_thread(store: &Store, channel: Channel, hours: i64) -> InboxRow {
    let since = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(hours);
    threads(store, channel)
        .into_iter()
        .find(|r| store.thread(r.id, 100).unwrap().messages.iter().any(|m| m.direction == switchboard_core::model::Direction::In && m.at > since))
        .unwrap_or_else(|| panic!("no {channel} thread with a comment from the last {hours} hours"))
}

#[tokio::test]
async fn public_threads_show_their_post_and_replies_go_out_once_on_each_surface() {
    let s = setup(plain(90)).await;
    engine(&s).run(Mode::Once).await.unwrap();
    let targets: Vec<(Channel, i64, String)> = {
        let store = s.reader();
        PUBLIC
            .iter()
            .map(|(channel, _)| {
                let row = recent_thread(&store, *channel, 6 * 24);
                (*channel, row.id, row.external_id)
            })
            .collect()
    };
    {
        let store = s.reader();
        for (channel, id, _) in &targets {
            let thread = store.timeline(*id, 100).unwrap();
            assert!(thread.conversation.public && thread.conversation.customer.is_some(), "{channel}");
            if *channel != Channel::X {
                let post = thread.post.unwrap_or_else(|| panic!("{channel}: no post above the thread"));
                assert!(!post.text.is_empty() && post.url.is_some(), "{channel}");
            }
        }
        // X threads that answer the business's own post have it above them.
        assert!(threads(&store, Channel::X).iter().any(|r| store.post_of(r.id).unwrap().is_some_and(|p| p.author.as_deref() == Some("@acmesupport"))));
    }
    let mut queued = Vec::new();
    for (channel, id, _) in &targets {
        let text = format!("Thanks for asking on {channel}! We've sent you the details. 감사합니다 🙏");
        let (id, queue) = (*id, text.clone());
        queued.push((s.write(move |store| store.enqueue_reply(id, &queue, Some("Mina"), None)), text));
    }
    let reports = engine(&s).run(Mode::Once).await.unwrap();
    assert!(reports.iter().all(|r| r.error.is_none()), "{reports:?}");
    let stats = s.sandbox.stats();
    for (_, name) in PUBLIC {
        assert_eq!((stats.channels[name].replies, stats.channels[name].duplicate_replies), (1, 0), "{name}");
    }
    let replies = s.sandbox.replies();
    for (item, text) in &queued {
        let sent = s.reader().outbox(100).unwrap().into_iter().find(|o| o.id == item.id).unwrap();
        assert_eq!(sent.state, OutboxState::Sent, "{sent:?}");
        // Each answers the comment it was written to: the thread's (X: the customer's newest post).
        assert!(replies.iter().any(|(_, chat, t)| t == text && Some(chat.as_str()) == item.target.as_deref()), "{replies:?}");
    }
    // A second sync brings the Page's and the Instagram account's replies back: one copy each.
    let before: Vec<usize> = targets.iter().map(|(_, id, _)| s.reader().thread(*id, 1000).unwrap().messages.len()).collect();
    engine(&s).run(Mode::Once).await.unwrap();
    let after: Vec<usize> = targets.iter().map(|(_, id, _)| s.reader().thread(*id, 1000).unwrap().messages.len()).collect();
    assert_eq!(before, after);
}

#[tokio::test]
async fn a_private_reply_lands_in_the_customers_private_conversation_once() {
    let s = setup(plain(90)).await;
    engine(&s).run(Mode::Once).await.unwrap();
    let mut sent = Vec::new();
    for channel in [Channel::Facebook, Channel::Instagram, Channel::X] {
        let public = recent_thread(&s.reader(), channel, 6 * 24);
        let text = format!("Hi! Following up on your comment on {channel} in private.");
        let (thread, words) = (public.id, text.clone());
        let item = s.write(move |store| store.reply_privately(thread, None, &words, Some("Mina"), None));
        let private = s.reader().thread(item.conversation_id, 1).unwrap().conversation;
        assert!(!private.public && private.customer == public.customer, "{channel}: {private:?}");
        if channel != Channel::X {
            assert_eq!(item.kind, OutboxKind::PrivateReply);
            let again = s.db.write(move |store| store.reply_privately(thread, None, "One more thing", Some("Mina"), None)).unwrap_err();
            assert!(again.to_string().contains("one per comment"), "{again}");
        }
        sent.push((channel, private.id, private.external_id, text));
    }
    let reports = engine(&s).run(Mode::Once).await.unwrap();
    assert!(reports.iter().all(|r| r.error.is_none()), "{reports:?}");
    let replies = s.sandbox.replies();
    for (channel, id, handle, text) in &sent {
        let inbox = match channel {
            Channel::Facebook => "messenger",
            Channel::Instagram => "instagram",
            _ => "x",
        };
        assert_eq!(replies.iter().filter(|(c, chat, t)| c == inbox && chat == handle && t == text).count(), 1, "{channel}: {replies:?}");
        // Synced back from the private inbox: the thread holds it once.
        engine(&s).run(Mode::Once).await.unwrap();
        let thread = s.reader().thread(*id, 1000).unwrap();
        assert_eq!(thread.messages.iter().filter(|m| &m.text == text).count(), 1, "{channel}");
    }
    // A comment older than 7 days cannot be answered in private.
    let store = s.reader();
    let week = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(7 * 24 + 1);
    let old = threads(&store, Channel::Facebook)
        .into_iter()
        .find(|r| store.thread(r.id, 100).unwrap().messages.iter().all(|m| m.at < week))
        .expect("an old Facebook thread");
    drop(store);
    let old = old.id;
    let refused = s.db.write(move |store| store.reply_privately(old, None, "Sorry for the wait", None, None)).unwrap_err();
    assert!(refused.to_string().contains("7 days"), "{refused}");
}

#[tokio::test]
async fn a_hidden_comment_is_hidden_on_the_platform_and_kept_in_the_store() {
    let s = setup(plain(90)).await;
    engine(&s).run(Mode::Once).await.unwrap();
    let (message, external) = {
        let store = s.reader();
        let spam = threads(&store, Channel::Facebook)
            .into_iter()
            .flat_map(|r| store.thread(r.id, 100).unwrap().messages)
            .find(|m| m.text.contains("followers") || m.text.contains("팔로워"))
            .expect("a spam comment");
        (spam.id, spam.external_id)
    };
    assert_eq!(s.sandbox.comment_hidden(&external), Some(false));
    s.write(move |store| store.hide_comment(message, HideReason::Spam, Some("follower selling"), Some("Mina"), None));
    let reports = engine(&s).run(Mode::Once).await.unwrap();
    assert!(reports.iter().all(|r| r.error.is_none()), "{reports:?}");
    assert_eq!(s.sandbox.comment_hidden(&external), Some(true));
    engine(&s).run(Mode::Once).await.unwrap();
    let store = s.reader();
    let kept = store.messages_by_id(&[message]).unwrap();
    assert_eq!(kept[0].hidden.as_deref(), Some("spam: follower selling"), "still in the store, with its reason");
    assert!(store.outbox(100).unwrap().iter().any(|o| o.kind == OutboxKind::Hide && o.state == OutboxState::Sent));
}

#[tokio::test]
async fn an_incident_update_reaches_each_affected_conversation_exactly_once_under_faults() {
    use std::time::Duration;
    let faults = "5xx=0.1,reset=0.1,truncate=0.05,retry-after=0".parse().unwrap();
    let s = setup(switchboard_sandbox::Config { seed: 11, conversations: 90, faults, ..Default::default() }).await;
    s.write(|store| store.seed_rule_defaults());
    let mut first = engine(&s);
    first.max_attempts = 40;
    let reports = first.run(Mode::Once).await.unwrap();
    assert!(reports.iter().all(|r| r.error.is_none()), "{reports:?}");
    // The sandbox's burst of login reports in public became an incident.
    let affected = s.reader().inbox(&InboxFilter { tag: Some("incident:login".into()), limit: 100, ..Default::default() }).unwrap();
    assert!(affected.len() >= 3 && affected.iter().filter(|r| r.public).count() >= 3, "{affected:?}");
    let update = "Update: logging in to the Acme app works again. Thanks for your patience, and sorry for the trouble!";
    let results = s.write(move |store| store.broadcast("incident:login", update, "Mina", "update-1"));
    assert_eq!(results.len(), affected.iter().filter(|r| r.status != switchboard_core::model::ConversationStatus::Solved).count());
    assert!(results.iter().all(|r| r.reply.is_some() && r.problem.is_none()), "{results:?}");
    // Sent again (a double click, a retry after an error): nothing new is queued.
    let again = s.write(move |store| store.broadcast("incident:login", update, "Mina", "update-1"));
    let replies_of = |r: &[switchboard_core::store::BroadcastResult]| r.iter().map(|r| r.reply).collect::<std::collections::BTreeSet<_>>();
    assert_eq!(replies_of(&again), replies_of(&results));

    let mut sender = engine(&s);
    sender.poll_interval = Duration::from_millis(20);
    sender.in_flight_grace = Duration::from_millis(200);
    // Under these faults an account's pulls can fail several times running, and the back-off
    // doubles up to a minute: at the default 250 ms, a few such runs outlast the wait below.
    sender.backoff = Duration::from_millis(20);
    let mut events = sender.subscribe();
    let running = tokio::spawn({
        let engine = sender.clone();
        async move { engine.run(Mode::Follow).await }
    });
    let ids: Vec<i64> = results.iter().filter_map(|r| r.reply).collect();
    let finished = tokio::time::timeout(Duration::from_secs(120), async {
        loop {
            let outbox = s.reader().outbox(1000).unwrap();
            if outbox.iter().filter(|o| ids.contains(&o.id)).all(|o| o.state == OutboxState::Sent) {
                return;
            }
            let _ = events.recv().await;
        }
    })
    .await;
    running.abort();
    assert!(finished.is_ok(), "not every update was sent: {:?}", s.reader().outbox(1000).unwrap());
    let replies = s.sandbox.replies();
    let signed = replies.iter().filter(|(_, _, text)| text.starts_with(update)).count();
    assert_eq!(signed, results.len(), "once per conversation: {replies:?}");
    let stats = s.sandbox.stats();
    assert_eq!(stats.channels.values().map(|c| c.duplicate_replies).sum::<usize>(), 0);
}
