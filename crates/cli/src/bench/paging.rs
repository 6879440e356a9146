//! The store bench's paging figures: a view walked by keyset to its last conversation, a long
//! customer history walked back to its first message, and search pages past the first hundred
//! hits and past the ranked window. Each page is timed against the target of a first page.

use super::{ms, percentiles, ACCOUNTS, WORDS};
use anyhow::{ensure, Result};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};
use switchboard_core::interchange::{Author, MessageRecord, Record};
use switchboard_core::model::{AuthorKind, Channel, ConversationStatus, Direction, InboxFilter};
use switchboard_core::search::{SearchQuery, RANK_WINDOW};
use switchboard_core::Store;

/// Customers with a long history, and messages each (across three channels).
const DEEP: usize = 20;
const DEEP_MESSAGES: i64 = 5_000;
/// What the UI asks for: 50 inbox rows and search hits a page, 100 messages a thread page.
const ROWS: usize = 50;
const HISTORY_PAGE: usize = 100;

pub(super) fn paging(store: &mut Store) -> Result<()> {
    views(store)?;
    history(store)?;
    search(store)
}

/// Every page of four views, the largest holding every conversation.
fn views(store: &Store) -> Result<()> {
    let filters = [
        InboxFilter::default(),
        InboxFilter { status: Some(ConversationStatus::Open), ..Default::default() },
        InboxFilter { channel: Some(Channel::Telegram), ..Default::default() },
        InboxFilter { unassigned: true, ..Default::default() },
    ];
    let (mut samples, mut rows, mut deepest) = (Vec::new(), 0usize, 0usize);
    for filter in filters {
        let filter = InboxFilter { limit: ROWS, ..filter };
        let (mut after, mut pages) = (None, 0usize);
        loop {
            let t = Instant::now();
            let page = store.inbox_page(&filter, after.as_ref())?;
            samples.push(t.elapsed());
            rows += page.rows.len();
            pages += 1;
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        deepest = deepest.max(pages);
    }
    let p = percentiles(samples);
    println!(
        "inbox by keyset, every page of 4 views ({rows} rows, up to page {deepest}): p50 {}  p99 {}  max {}  (target p50 ≤ 5 ms, p99 ≤ 20 ms)",
        ms(p.p50),
        ms(p.p99),
        ms(p.max)
    );
    Ok(())
}

/// Adds `DEEP` customers with `DEEP_MESSAGES` messages each over SMS, Telegram and X (merged
/// into one customer each, as an agent would), then walks each one's history back to its first
/// message.
fn history(store: &mut Store) -> Result<()> {
    let start = jiff::Timestamp::from_second(1_767_225_600)?;
    let mut heads = Vec::with_capacity(DEEP);
    for d in 0..DEEP {
        // A word only this customer's messages hold, to find their conversations by.
        let word = format!("longstory{d}");
        let mut records = Vec::with_capacity(DEEP_MESSAGES as usize);
        for n in 0..DEEP_MESSAGES {
            let account = ACCOUNTS[3 + (n % 3) as usize];
            let incoming = n % 4 != 3;
            records.push(Record::Message(MessageRecord {
                account: account.into(),
                conversation: format!("deep{d}-{account}"),
                id: format!("deep{d}-{n}"),
                direction: if incoming { Direction::In } else { Direction::Out },
                author: if incoming {
                    Author { kind: AuthorKind::Customer, name: Some(format!("Long Story {d}")), handle: Some(format!("deep{d}")) }
                } else {
                    Author { kind: AuthorKind::Agent, name: Some("mina".into()), handle: None }
                },
                text: format!("{word}: message {n} about order {}", 1000 + n),
                at: start + jiff::SignedDuration::from_secs(n * 3_600 + d as i64),
                delivery: None,
                attachments: vec![],
                email: None,
            }));
        }
        store.write_batch(&records)?;
        let hits = store.search(&SearchQuery { text: word, limit: 30, ..Default::default() })?;
        let conversations: BTreeSet<i64> = hits.iter().map(|h| h.conversation_id).collect();
        ensure!(conversations.len() == 3, "customer {d} has {} conversations, not 3", conversations.len());
        let contacts: Vec<i64> = conversations
            .iter()
            .map(|&c| Ok(store.thread(c, 1)?.contact.map(|ct| ct.id)))
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .flatten()
            .collect();
        // Merged already when --reuse finds them from an earlier run.
        for &other in &contacts[1..] {
            if other != contacts[0] {
                store.merge_customers(contacts[0], other, None)?;
            }
        }
        heads.push(*conversations.first().expect("three"));
    }

    let (mut opens, mut pages, mut messages) = (Vec::new(), Vec::new(), 0usize);
    for &conversation in &heads {
        let t = Instant::now();
        let thread = store.timeline(conversation, HISTORY_PAGE)?;
        opens.push(t.elapsed());
        messages += thread.messages.len();
        let mut older = thread.older;
        while let Some(before) = older {
            let t = Instant::now();
            let page = store.history(conversation, &before, HISTORY_PAGE)?;
            pages.push(t.elapsed());
            messages += page.messages.len();
            older = page.older;
        }
    }
    ensure!(messages == DEEP * DEEP_MESSAGES as usize, "walked {messages} messages, not every one");
    let (o, p) = (percentiles(opens), percentiles(pages.clone()));
    println!(
        "history, {DEEP} customers × {DEEP_MESSAGES} messages on 3 channels, back to the first ({} pages of {HISTORY_PAGE}): p50 {}  p99 {}  max {}  (target p99 ≤ 20 ms; opening the newest page p99 {})",
        pages.len(),
        ms(p.p50),
        ms(p.p99),
        ms(p.max),
        ms(o.p99)
    );
    Ok(())
}

/// Pages 2 to past the ranked window of each common word, with and without a filter.
fn search(store: &Store) -> Result<()> {
    let last = RANK_WINDOW / ROWS + 2;
    let (mut samples, mut crossed) = (Vec::<Duration>::new(), 0usize);
    for (i, word) in WORDS.iter().enumerate() {
        let status = (i % 2 == 1).then_some(ConversationStatus::Open);
        let q = SearchQuery { text: (*word).into(), status, limit: ROWS, ..Default::default() };
        let mut after = store.search_page(&q, None)?.next;
        let mut page = 1;
        while let Some(cursor) = after {
            if page == last {
                break;
            }
            let t = Instant::now();
            let found = store.search_page(&q, Some(&cursor))?;
            samples.push(t.elapsed());
            page += 1;
            if (page - 1) * ROWS >= RANK_WINDOW {
                crossed += 1;
            }
            after = found.next;
        }
    }
    let p = percentiles(samples);
    let hits = last * ROWS;
    println!(
        "search pages 2–{last} ({ROWS} hits each, to hit {hits}; {} words, half filtered; {crossed} pages past the ranked window): p50 {}  p99 {}  max {}  (target p99 ≤ 50 ms)",
        WORDS.len(),
        ms(p.p50),
        ms(p.p99),
        ms(p.max)
    );
    Ok(())
}
