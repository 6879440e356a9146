//! `bench sla`: the SLA board and the inbox by next breach over open conversations with clocks.

use super::{ms, percentiles, ACCOUNTS, ASSIGNEES};
use anyhow::Result;
use rand::{rngs::StdRng, Rng, SeedableRng};
use std::time::Instant;
use switchboard_core::interchange::{Author, ConversationRecord, MessageRecord, Record};
use switchboard_core::keys::{StaticKey, StoreKey};
use switchboard_core::model::{AuthorKind, ConversationStatus, Direction, InboxFilter, Priority};
use switchboard_core::Store;

/// `conversations` open conversations, each with a customer message from the last week and, for
/// half of them, an agent's answer; policies per priority on a Monday–Friday calendar.
pub(super) fn sla(conversations: usize, seed: u64, queries: usize) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let mut store = Store::create(&dir.path().join("sla.db"), &StaticKey::new(StoreKey::from_bytes([7; 32])))?;
    store.seed_sla_defaults("Asia/Seoul")?;
    let mut rng = StdRng::seed_from_u64(seed);
    let now = jiff::Timestamp::now();
    let built = Instant::now();
    let mut batch = Vec::new();
    for k in 0..conversations {
        let account = ACCOUNTS[k % ACCOUNTS.len()];
        let at = now - jiff::SignedDuration::from_secs(rng.gen_range(60..7 * 86_400));
        let priority = [Priority::Low, Priority::Normal, Priority::High, Priority::Urgent][rng.gen_range(0..4)];
        batch.push(Record::Conversation(ConversationRecord {
            account: account.into(),
            id: format!("c{k}"),
            customer: None,
            subject: None,
            status: ConversationStatus::Open,
            priority,
            assignee: Some(ASSIGNEES[k % ASSIGNEES.len()].into()).filter(|_| rng.gen_bool(0.7)),
            public: false,
            unread: 0,
            tags: vec![],
            created_at: Some(at),
        }));
        let message = |id: String, direction, kind, at| {
            Record::Message(MessageRecord {
                account: account.into(),
                conversation: format!("c{k}"),
                id,
                direction,
                author: Author { kind, name: None, handle: Some(format!("h{k}")) },
                text: "Where is my order?".into(),
                at,
                delivery: None,
                attachments: vec![],
                email: None,
            })
        };
        batch.push(message(format!("m{k}"), Direction::In, AuthorKind::Customer, at));
        if rng.gen_bool(0.5) {
            batch.push(message(format!("r{k}"), Direction::Out, AuthorKind::Agent, at + jiff::SignedDuration::from_mins(rng.gen_range(1..600))));
        }
        if batch.len() >= 10_000 {
            store.write_batch(&batch)?;
            batch.clear();
        }
    }
    store.write_batch(&batch)?;
    println!("bench sla: {conversations} open conversations with clocks (built in {:.1} s)", built.elapsed().as_secs_f64());
    // The first board works out every open conversation's breach instants and keeps them.
    let t = Instant::now();
    store.board(jiff::Timestamp::now())?;
    println!("first board (every open conversation's breach instants worked out and kept): {}", ms(t.elapsed()));
    let mut samples = Vec::with_capacity(queries);
    let mut board = None;
    for _ in 0..queries {
        let t = Instant::now();
        board = Some(store.board(jiff::Timestamp::now())?);
        samples.push(t.elapsed());
    }
    let board = board.expect("timed at least once");
    let p = percentiles(samples);
    println!(
        "SLA board ({} open, {} breached, {} breaching soon): p50 {}  max {}  (target ≤ 100 ms)",
        board.open,
        board.by_channel.iter().map(|q| q.breached).sum::<u32>(),
        board.by_channel.iter().map(|q| q.breaching_soon).sum::<u32>(),
        ms(p.p50),
        ms(p.max)
    );
    // Live: 200 customers write between two boards; the board works out those 200 again.
    let mut samples = Vec::with_capacity(queries);
    for round in 0..queries {
        let mut live = Vec::new();
        for n in 0..200 {
            let k = rng.gen_range(0..conversations);
            live.push(Record::Message(MessageRecord {
                account: ACCOUNTS[k % ACCOUNTS.len()].into(),
                conversation: format!("c{k}"),
                id: format!("live{round}_{n}"),
                direction: Direction::In,
                author: Author { kind: AuthorKind::Customer, name: None, handle: Some(format!("h{k}")) },
                text: "Any update?".into(),
                at: jiff::Timestamp::now(),
                delivery: None,
                attachments: vec![],
                email: None,
            }));
        }
        store.write_batch(&live)?;
        let t = Instant::now();
        store.board(jiff::Timestamp::now())?;
        samples.push(t.elapsed());
    }
    let p = percentiles(samples);
    println!("board after 200 new customer messages: p50 {}  max {}", ms(p.p50), ms(p.max));
    let mut samples = Vec::with_capacity(queries);
    for _ in 0..queries {
        let t = Instant::now();
        store.sla_open(jiff::Timestamp::now())?;
        samples.push(t.elapsed());
    }
    let p = percentiles(samples);
    println!("every open conversation's clocks worked out (`switchboard sla`): p50 {}", ms(p.p50));
    let mut samples = Vec::with_capacity(queries);
    for _ in 0..queries {
        let t = Instant::now();
        store.inbox(&InboxFilter { limit: 50, by_breach: true, ..Default::default() })?;
        samples.push(t.elapsed());
    }
    let p = percentiles(samples);
    println!("inbox by next breach (50 rows of all open): p50 {}  max {}", ms(p.p50), ms(p.max));
    Ok(())
}
