//! SLA through the Workspace on the demo's sandbox: policies edited as in Settings, the inbox
//! sorted by the next breach, the board, and a breach announced when a clock goes over.

use std::time::Duration;
use switchboard_api::{Command, ErrorCode, Event, InboxQuery, InboxSort, SlaSettings};
use switchboard_core::interchange::SlaPolicyRecord;
use switchboard_core::model::{Channel, InboxRow};
use switchboard_core::sla::{ClockKind, ClockState};
use switchboard_core::store::Board;

mod common;
use common::{call, demo};

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
    let settings: SlaSettings = call(&ws, Command::SlaSettings);
    assert!(settings.calendars.iter().any(|c| c.name == switchboard_core::store::DEFAULT_CALENDAR));
    assert_eq!(settings.policies.len(), 4);
    // Telegram gets its own policy, generous for now; the defaults go.
    for p in &settings.policies {
        let _: SlaSettings = call(&ws, Command::DeleteSlaPolicy { name: p.name.clone() });
    }
    let bad = ws.call(Command::SaveSlaPolicy(telegram_policy(0))).unwrap_err();
    assert_eq!(bad.code, ErrorCode::Invalid);
    let _: SlaSettings = call(&ws, Command::SaveSlaPolicy(telegram_policy(100_000)));

    let _watch = AbortOnDrop(ws.clone().watch_clocks(Duration::from_millis(100)).await);
    let rows: Vec<InboxRow> = call(&ws, Command::Inbox(InboxQuery { sort: InboxSort::NextBreach, ..Default::default() }));
    // Clocks run on Telegram only, and those come first; the rest keep newest-first.
    let with_clock = rows.iter().take_while(|r| r.clock.is_some()).count();
    assert!(with_clock > 0 && rows[..with_clock].iter().all(|r| r.channel == Channel::Telegram));
    assert!(rows[with_clock..].iter().all(|r| r.clock.as_ref().is_none_or(|c| c.state == ClockState::Achieved)));
    let remaining: Vec<i64> =
        rows[..with_clock].iter().map(|r| r.clock.as_ref().unwrap()).filter(|c| c.state == ClockState::Active).map(|c| c.remaining_seconds).collect();
    assert!(remaining.windows(2).all(|w| w[0] <= w[1]), "{remaining:?}");

    // Tighten it to a minute: the unanswered Telegram conversations go over, and each breach is
    // announced once.
    let _: SlaSettings = call(&ws, Command::SaveSlaPolicy(telegram_policy(1)));
    let breach = loop {
        if let Ok(Event::Breach { conversation, kind, assignee }) = events.recv().await {
            break (conversation, kind, assignee);
        }
    };
    assert!(matches!(breach.1, ClockKind::FirstReply | ClockKind::NextReply));
    let view: switchboard_core::store::SlaView = call(&ws, Command::Sla { conversation: breach.0 });
    assert_eq!(view.policy.as_deref(), Some("Telegram"));
    assert!(view.clocks.iter().any(|c| c.kind == breach.1 && c.state == ClockState::Breached));

    let board: Board = call(&ws, Command::Board);
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
    let common::Demo { ws, mut events, sandbox, syncing: _syncing, dir: _dir } = demo("mina").await;
    // Nothing is acknowledged until an account is chosen: the initial sync queued nothing.
    let outbox: Vec<switchboard_core::model::OutboxItem> = call(&ws, Command::Outbox);
    assert!(outbox.is_empty());
    let settings = switchboard_core::store::Expectations { accounts: vec!["telegram:acme_support_bot".into()], ..Default::default() };
    ws.call(Command::SaveExpectations(settings)).unwrap();
    let bad = switchboard_core::store::Expectations { links: vec!["javascript:alert(1)".into()], ..Default::default() };
    assert_eq!(ws.call(Command::SaveExpectations(bad)).unwrap_err().code, ErrorCode::Invalid);

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
    let outbox: Vec<switchboard_core::model::OutboxItem> = call(&ws, Command::Outbox);
    let ack = outbox.iter().find(|o| o.id == reply).unwrap();
    assert!(ack.text.starts_with("Thanks for getting in touch!"), "{}", ack.text);
    let thread: switchboard_core::model::Thread = call(&ws, Command::Thread { conversation: ack.conversation_id });
    let last = thread.messages.iter().find(|m| Some(m.id) == ack.message_id).unwrap();
    assert_eq!(last.author_kind, switchboard_core::model::AuthorKind::Bot);
    let stats: serde_json::Value = reqwest::get(format!("{sandbox}/_sandbox/stats")).await.unwrap().json().await.unwrap();
    assert_eq!(stats["channels"]["telegram"]["replies"], 1);
}
