//! SLA clocks over the store: the policy a conversation falls under, its clocks as messages and
//! statuses change, and the defaults a new store starts with. (Business-hours arithmetic, DST
//! and pausing are property-tested in `sla.rs`; these policies count every hour, so the test
//! does not depend on the hour it runs at.)

use jiff::{SignedDuration, Timestamp};
use switchboard_core::interchange::{Author, MessageRecord, Record};
use switchboard_core::model::{AuthorKind, ContactEdit, ConversationStatus, Direction};
use switchboard_core::sla::{ClockKind, ClockState};
use switchboard_core::Store;

const POLICIES: &str = r#"{"kind":"sla_policy","name":"Normal","priority":"normal","first_reply_minutes":60,"next_reply_minutes":120,"resolution_minutes":600}
{"kind":"sla_policy","name":"VIP","customer_statuses":["vip"],"first_reply_minutes":15}
"#;

fn message(id: &str, direction: Direction, ago_minutes: i64, now: Timestamp) -> Record {
    Record::Message(MessageRecord {
        account: "telegram:acme_bot".into(),
        conversation: "42".into(),
        id: id.into(),
        direction,
        author: Author {
            kind: if direction == Direction::In { AuthorKind::Customer } else { AuthorKind::Agent },
            name: Some("Lena".into()),
            handle: Some("42".into()),
        },
        text: "hello".into(),
        at: now - SignedDuration::from_mins(ago_minutes),
        delivery: None,
        attachments: vec![],
        email: None,
    })
}

#[test]
fn clocks_follow_the_policy_the_messages_and_the_status() {
    // The store keeps milliseconds.
    let now = Timestamp::from_millisecond(Timestamp::now().as_millisecond()).unwrap();
    let mut store = Store::open_in_memory().unwrap();
    store.add_account("telegram:acme_bot", None, Default::default()).unwrap();
    assert!(store.import_jsonl(POLICIES.as_bytes()).unwrap().errors.is_empty());
    store.write_batch(&[message("1", Direction::In, 30, now)]).unwrap();
    let id = store.sla_open(now).unwrap()[0].conversation;

    let view = store.sla(id, now).unwrap();
    assert_eq!(view.policy.as_deref(), Some("Normal"));
    let first = &view.clocks[0];
    assert_eq!((first.kind, first.state, first.remaining_seconds), (ClockKind::FirstReply, ClockState::Active, 30 * 60));
    assert_eq!(first.breach_at, Some(now + SignedDuration::from_mins(30)));
    assert_eq!(view.most_urgent().unwrap().kind, ClockKind::FirstReply);

    // A VIP customer falls under the more specific policy, already 15 minutes over.
    let contact = store.thread(id, 1).unwrap().contact.unwrap();
    store.edit_customer(contact.id, &ContactEdit { name: contact.name, status: Some("vip".into()), ..Default::default() }).unwrap();
    let view = store.sla(id, now).unwrap();
    assert_eq!(view.policy.as_deref(), Some("VIP"));
    assert_eq!((view.clocks[0].state, view.clocks[0].remaining_seconds), (ClockState::Breached, -15 * 60));
    assert_eq!(view.clocks[0].breach_at, Some(now - SignedDuration::from_mins(15)));

    // Answered 20 minutes in: met late, so still breached, but no longer running.
    store.write_batch(&[message("2", Direction::Out, 10, now)]).unwrap();
    let late = &store.sla(id, now).unwrap().clocks[0];
    assert_eq!((late.state, late.breach_at), (ClockState::Breached, None));

    // Back to Normal: first reply met; the customer writes again, the next reply runs.
    store.edit_customer(contact.id, &ContactEdit { name: "Lena".into(), ..Default::default() }).unwrap();
    store.write_batch(&[message("3", Direction::In, 5, now)]).unwrap();
    let view = store.sla(id, now).unwrap();
    let kinds: Vec<(ClockKind, ClockState)> = view.clocks.iter().map(|c| (c.kind, c.state)).collect();
    assert_eq!(kinds, [(ClockKind::FirstReply, ClockState::Achieved), (ClockKind::NextReply, ClockState::Active), (ClockKind::Resolution, ClockState::Active)]);
    assert_eq!(view.clocks[1].remaining_seconds, 115 * 60);

    // Pending pauses the resolution clock; solved takes it off the open list.
    store.set_status(id, ConversationStatus::Pending).unwrap();
    let later = Timestamp::now() + SignedDuration::from_hours(2);
    let resolution = store.sla(id, later).unwrap().clocks.into_iter().find(|c| c.kind == ClockKind::Resolution).unwrap();
    assert_eq!(resolution.state, ClockState::Paused);
    assert!(resolution.remaining_seconds > 9 * 3600, "the two pending hours did not count: {}", resolution.remaining_seconds);
    store.set_status(id, ConversationStatus::Solved).unwrap();
    assert!(store.sla_open(later).unwrap().is_empty());
    let done = store.sla(id, later).unwrap().clocks.into_iter().find(|c| c.kind == ClockKind::Resolution).unwrap();
    assert_eq!(done.state, ClockState::Achieved);
}

#[test]
fn a_new_store_gets_a_calendar_and_a_policy_per_priority_once() {
    let mut store = Store::open_in_memory().unwrap();
    store.seed_sla_defaults("Asia/Seoul").unwrap();
    let calendars = store.calendars().unwrap();
    assert_eq!((calendars.len(), calendars[0].time_zone.as_str()), (1, "Asia/Seoul"));
    assert_eq!(calendars[0].hours.len(), 5);
    let names: Vec<String> = store.sla_policies().unwrap().into_iter().map(|p| p.name).collect();
    assert_eq!(names, ["High", "Low", "Normal", "Urgent"]);
    // Seeding again changes nothing, and a store that had its own policies keeps them alone.
    store.seed_sla_defaults("Europe/Berlin").unwrap();
    assert_eq!(store.calendars().unwrap()[0].time_zone, "Asia/Seoul");
    let mut own = Store::open_in_memory().unwrap();
    own.import_jsonl(POLICIES.as_bytes()).unwrap();
    own.seed_sla_defaults("Asia/Seoul").unwrap();
    assert_eq!(own.sla_policies().unwrap().len(), 2);
}

#[test]
fn the_board_counts_queues_and_lists_what_breaches_next() {
    let now = Timestamp::from_millisecond(Timestamp::now().as_millisecond()).unwrap();
    let mut store = Store::open_in_memory().unwrap();
    store.add_account("telegram:acme_bot", None, Default::default()).unwrap();
    store.import_jsonl(POLICIES.as_bytes()).unwrap();
    let write = |store: &mut Store, chat: &str, ago: i64| {
        let Record::Message(mut m) = message(chat, Direction::In, ago, now) else { unreachable!() };
        m.conversation = chat.into();
        m.author.handle = Some(chat.into());
        store.write_batch(&[Record::Message(m)]).unwrap();
        store.inbox(&switchboard_core::model::InboxFilter { limit: 10, ..Default::default() }).unwrap().into_iter().find(|r| r.external_id == chat).unwrap().id
    };
    let soon = write(&mut store, "1", 50); // 10 minutes left
    let over = write(&mut store, "2", 90); // 30 minutes over
    let calm = write(&mut store, "3", 5);
    let solved = write(&mut store, "4", 300);
    store.assign(calm, Some("mina")).unwrap();
    store.set_status(solved, ConversationStatus::Solved).unwrap();

    let board = store.board(now).unwrap();
    assert_eq!(board.open, 3);
    assert_eq!(board.breaching_soon.iter().map(|r| r.id).collect::<Vec<_>>(), [soon]);
    assert_eq!(board.breached.iter().map(|r| r.id).collect::<Vec<_>>(), [over]);
    assert_eq!(board.breached[0].clock.as_ref().unwrap().remaining_seconds, -30 * 60);
    assert_eq!(board.oldest_waiting.first().map(|r| r.id), Some(over));
    assert_eq!(board.breaches_today, 1);
    let unassigned = board.by_agent.iter().find(|q| q.name.is_none()).unwrap();
    assert_eq!((unassigned.open, unassigned.breaching_soon, unassigned.breached), (2, 1, 1));
    assert_eq!(board.by_agent.iter().find(|q| q.name.as_deref() == Some("mina")).unwrap().open, 1);
    assert_eq!((board.by_channel.len(), board.by_channel[0].open), (1, 3));
    // Two customer messages in the last hour (50 and 5 minutes ago).
    assert_eq!(board.last_hour.iter().map(|v| v.messages).sum::<u32>(), 2);

    // The inbox sorted by breach: the breached one, then the one due soon, then the rest.
    let rows = store.inbox(&switchboard_core::model::InboxFilter { limit: 10, by_breach: true, ..Default::default() }).unwrap();
    assert_eq!(rows.iter().map(|r| r.id).take(3).collect::<Vec<_>>(), [over, soon, calm]);

    // Still two in the last hour after a new account's history (60,000 messages a month old)
    // is stored after them.
    let history: Vec<Record> = (0..60_000)
        .map(|i| {
            let Record::Message(mut m) = message("h", Direction::In, 60 * 24 * 30, now) else { unreachable!() };
            (m.account, m.id) = ("telegram:history_bot".into(), format!("h{i}"));
            Record::Message(m)
        })
        .collect();
    store.add_account("telegram:history_bot", None, Default::default()).unwrap();
    store.write_batch(&history).unwrap();
    assert_eq!(store.board(now).unwrap().last_hour.iter().map(|v| v.messages).sum::<u32>(), 2);
}

#[test]
fn the_kept_breach_instants_follow_every_change_that_moves_a_clock() {
    let now = Timestamp::from_millisecond(Timestamp::now().as_millisecond()).unwrap();
    let mut store = Store::open_in_memory().unwrap();
    store.add_account("telegram:acme_bot", None, Default::default()).unwrap();
    store.import_jsonl(POLICIES.as_bytes()).unwrap();
    store.write_batch(&[message("1", Direction::In, 50, now)]).unwrap();
    let id = store.sla_open(now).unwrap()[0].conversation;
    let soon = |store: &Store| store.board(now).unwrap().breaching_soon.iter().map(|r| r.id).collect::<Vec<_>>();
    let over = |store: &Store| store.board(now).unwrap().breached.iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(soon(&store), [id], "10 minutes left");
    // The customer becomes a VIP: a 15-minute policy, 35 minutes over.
    let contact = store.thread(id, 1).unwrap().contact.unwrap();
    store.edit_customer(contact.id, &ContactEdit { name: contact.name.clone(), status: Some("vip".into()), ..Default::default() }).unwrap();
    assert_eq!((soon(&store), over(&store)), (vec![], vec![id]));
    store.edit_customer(contact.id, &ContactEdit { name: contact.name, status: None, ..Default::default() }).unwrap();
    assert_eq!(soon(&store), [id]);
    // A policy edited: the first reply is due in 2 hours now.
    store.import_jsonl(r#"{"kind":"sla_policy","name":"Normal","priority":"normal","first_reply_minutes":170,"next_reply_minutes":120,"resolution_minutes":600}"#.as_bytes()).unwrap();
    assert_eq!((soon(&store), over(&store)), (vec![], vec![]));
    // Answered: the first reply is met; the resolution clock runs on (10 hours).
    store.write_batch(&[message("2", Direction::Out, 1, now)]).unwrap();
    let board = store.board(now).unwrap();
    assert!(board.breaching_soon.is_empty() && board.breached.is_empty());
    assert_eq!(board.by_channel[0].waiting, 0);
    // Solved: off the board; reopened by the customer: back, the next reply's clock running.
    store.set_status(id, ConversationStatus::Solved).unwrap();
    assert_eq!(store.board(now).unwrap().open, 0);
    store.write_batch(&[message("3", Direction::In, 0, now)]).unwrap();
    let board = store.board(now).unwrap();
    assert_eq!((board.open, board.by_channel[0].waiting), (1, 1));
    let rows = store.inbox(&switchboard_core::model::InboxFilter { limit: 5, by_breach: true, ..Default::default() }).unwrap();
    assert_eq!(rows[0].clock.as_ref().map(|c| c.kind), Some(ClockKind::NextReply));
}

