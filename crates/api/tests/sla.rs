//! SLA through the Workspace on the demo's sandbox: policies edited as in Settings, the inbox
//! sorted by the next breach, the board, and a breach announced when a clock goes over.

use std::time::Duration;
use switchboard_api::board::BoardRequest;
use switchboard_api::inbox::{InboxQuery, InboxSort};
use switchboard_api::settings::{DeleteSlaPolicyRequest, ExpectationsRequest, SlaSettingsRequest};
use switchboard_api::thread::ThreadRequest;
use switchboard_api::{ErrorCode, Event};
use switchboard_core::interchange::SlaPolicyRecord;
use switchboard_core::model::Channel;
use switchboard_core::sla::{ClockKind, ClockState};

mod common;
use common::demo;

fn telegram_policy(first_reply: u32) -> SlaPolicyRecord {
    SlaPolicyRecord {
        name: "Telegram".into(),
        priority: None,
        channel: Some(Channel::Telegram),
        first_reply_minutes: Some(first_reply),
        next_reply_minutes: Some(first_reply),
        resolution_minutes: None,
        calendar: None,
        tags: vec![],
        customer_statuses: vec![],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clocks_sort_the_inbox_fill_the_board_and_a_breach_is_announced() {
    let common::Demo { ws, mut events, syncing: _syncing, dir: _dir, .. } = demo("mina").await;

    // A new store has a calendar and a policy per priority.
    let settings = ws.run(SlaSettingsRequest {}).unwrap();
    assert!(settings.calendars.iter().any(|c| c.name == switchboard_core::store::DEFAULT_CALENDAR));
    assert_eq!(settings.policies.len(), 4);
    // Telegram gets its own policy, generous for now; the defaults go.
    for p in &settings.policies {
        ws.run(DeleteSlaPolicyRequest { name: p.name.clone() }).unwrap();
    }
    let bad = ws.run(telegram_policy(0)).unwrap_err();
    assert_eq!(bad.code, ErrorCode::Invalid);
    ws.run(telegram_policy(100_000)).unwrap();

    let _watch = AbortOnDrop(ws.watch_clocks(Duration::from_millis(100)).await);
    let rows = ws.run(InboxQuery { sort: InboxSort::NextBreach, limit: Some(500), ..Default::default() }).unwrap().rows;
    // Clocks run on Telegram only, and the running ones come first; the rest (met, paused while
    // the customer is waited on, or none) keep newest-first.
    let running = |r: &switchboard_core::model::InboxRow| r.clock.as_ref().is_some_and(|c| c.breach_at.is_some());
    let with_clock = rows.iter().take_while(|r| running(r)).count();
    assert!(with_clock > 0 && rows[..with_clock].iter().all(|r| r.channel == Channel::Telegram));
    assert!(rows[with_clock..].iter().all(|r| !running(r)));
    let remaining: Vec<i64> =
        rows[..with_clock].iter().map(|r| r.clock.as_ref().unwrap()).filter(|c| c.state == ClockState::Active).map(|c| c.remaining_seconds).collect();
    assert!(remaining.windows(2).all(|w| w[0] <= w[1]), "{remaining:?}");

    // Tighten it to a minute: the unanswered Telegram conversations go over, and each breach is
    // announced once.
    ws.run(telegram_policy(1)).unwrap();
    let breach = loop {
        if let Ok(Event::Breach { conversation, kind, assignee }) = events.recv().await {
            break (conversation, kind, assignee);
        }
    };
    assert!(matches!(breach.1, ClockKind::FirstReply | ClockKind::NextReply));
    // The breached conversation's row shows the clock that went over.
    let row = ws.run(ThreadRequest { conversation: breach.0 }).unwrap().conversation;
    assert!(row.clock.as_ref().is_some_and(|c| c.kind == breach.1 && c.state == ClockState::Breached), "{:?}", row.clock);

    let board = ws.run(BoardRequest {}).unwrap();
    assert!(board.breached.iter().any(|r| r.id == breach.0));
    let telegram = board.by_channel.iter().find(|q| q.name.as_deref() == Some("telegram")).unwrap();
    assert!(telegram.breached >= 1 && telegram.open >= telegram.breached);
    assert_eq!(board.by_agent.iter().map(|q| q.open).sum::<u32>(), board.open);
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_conversation_is_acknowledged_through_the_outbox() {
    let common::Demo { ws, mut events, sandbox, syncing: _syncing, dir } = demo("mina").await;
    // Nothing is acknowledged until an account is chosen: the initial sync queued nothing.
    let outbox = || common::store(&dir).outbox(100).unwrap();
    assert!(outbox().is_empty());
    let settings = switchboard_core::store::Expectations { accounts: vec!["telegram:acme_support_bot".into()], ..Default::default() };
    ws.run(settings).unwrap();
    assert_eq!(ws.run(ExpectationsRequest {}).unwrap().accounts, ["telegram:acme_support_bot"]);
    let bad = switchboard_core::store::Expectations { links: vec!["javascript:alert(1)".into()], ..Default::default() };
    assert_eq!(ws.run(bad).unwrap_err().code, ErrorCode::Invalid);

    let written: serde_json::Value = reqwest::Client::new()
        .post(format!("{sandbox}/_sandbox/customer-writes?channel=telegram&new=1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(written["channel"], "telegram");
    let reply = loop {
        if let Event::Reply { reply, sent: true, .. } = events.recv().await.unwrap() {
            break reply;
        }
    };
    let outbox = outbox();
    let ack = outbox.iter().find(|o| o.id == reply).unwrap();
    assert!(ack.text.starts_with("Thanks for getting in touch!"), "{}", ack.text);
    let thread = ws.run(ThreadRequest { conversation: ack.conversation_id }).unwrap();
    let last = thread.messages.iter().find(|m| Some(m.id) == ack.message_id).unwrap();
    assert_eq!(last.author_kind, switchboard_core::model::AuthorKind::Bot);
    let stats: serde_json::Value = reqwest::get(format!("{sandbox}/_sandbox/stats")).await.unwrap().json().await.unwrap();
    assert_eq!(stats["channels"]["telegram"]["replies"], 1);
}
