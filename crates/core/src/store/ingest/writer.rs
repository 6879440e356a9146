//! The store's writer: one thread that alone writes. It takes two kinds of work, in this order:
//! writes (an agent's action, an outbox state change), each run on its own as soon as it comes;
//! and batches of records with their cursors (a sync's pulls), as many as are waiting in one
//! transaction, which commits early when a write is waiting, so an agent never waits behind a
//! backlog. The kept breach instants are brought up to date before a write is answered, and
//! after a transaction of batches whenever no more batches wait and no backlog is being worked
//! through (a live message, the end of a backlog): during an initial sync the new
//! conversations' instants are worked out once, at its end.

use super::{CursorBatch, Written};
use crate::error::{Error, Result};
use crate::interchange::Record;
use crate::store::Store;
use std::collections::{HashSet, VecDeque};
use std::sync::{Condvar, Mutex, MutexGuard};

/// Records one transaction takes at most: enough that a commit and the search-index flush are
/// shared by many pulls (each rewrites the same hot index pages), few enough that a batch is never
/// long in coming: a few seconds in an initial sync, at once when only live messages come.
const GROUP_RECORDS: usize = 50_000;

/// A transaction of at least this many records means a backlog: the writer takes the store's
/// larger page cache until a transaction of fewer than `CAUGHT_UP_RECORDS` says it has caught up.
pub(crate) const BACKLOG_RECORDS: usize = 10_000;
const CAUGHT_UP_RECORDS: usize = 1_000;

/// A pulled batch on its way to the store, with where to say how it went.
pub struct Batch {
    pub account_id: i64,
    pub stream: &'static str,
    pub records: Vec<Record>,
    /// `None` for all but the last part of a pull.
    pub cursor: Option<String>,
    pub done: tokio::sync::oneshot::Sender<Result<Written>>,
}

impl Batch {
    fn as_cursor_batch(&self) -> CursorBatch<'_> {
        CursorBatch { records: &self.records, account_id: self.account_id, stream: self.stream, cursor: self.cursor.as_deref() }
    }
}

/// A write to run on the writer's connection (it answers its caller itself).
pub(crate) type WriteFn = Box<dyn FnOnce(&mut Store) + Send>;

#[derive(Default)]
struct Work {
    writes: VecDeque<WriteFn>,
    batches: VecDeque<Batch>,
    closed: bool,
}

enum Next {
    Write(WriteFn),
    Batch(Batch),
}

/// The work waiting for the writer.
#[derive(Default)]
pub(crate) struct Queue {
    work: Mutex<Work>,
    ready: Condvar,
}

impl Queue {
    fn work(&self) -> MutexGuard<'_, Work> {
        self.work.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// False once closed: the work is handed back undone.
    pub(crate) fn write(&self, f: WriteFn) -> std::result::Result<(), WriteFn> {
        let mut work = self.work();
        if work.closed {
            return Err(f);
        }
        work.writes.push_back(f);
        self.ready.notify_one();
        Ok(())
    }

    pub(crate) fn batch(&self, batch: Batch) -> std::result::Result<(), Batch> {
        let mut work = self.work();
        if work.closed {
            return Err(batch);
        }
        work.batches.push_back(batch);
        self.ready.notify_one();
        Ok(())
    }

    /// No more work will come; the writer stops once what is queued is done.
    pub(crate) fn close(&self) {
        self.work().closed = true;
        self.ready.notify_all();
    }

    /// The next piece of work, writes first, waiting for one; `None` once closed and done.
    fn wait(&self) -> Option<Next> {
        let mut work = self.work();
        loop {
            if let Some(f) = work.writes.pop_front() {
                return Some(Next::Write(f));
            }
            if let Some(b) = work.batches.pop_front() {
                return Some(Next::Batch(b));
            }
            if work.closed {
                return None;
            }
            work = self.ready.wait(work).unwrap_or_else(|p| p.into_inner());
        }
    }

    fn batches_waiting(&self) -> bool {
        !self.work().batches.is_empty()
    }

    /// The next batch for an open transaction, unless a write is waiting (the transaction then
    /// commits, so the write goes next).
    fn next_batch(&self) -> Option<Batch> {
        let mut work = self.work();
        if !work.writes.is_empty() {
            return None;
        }
        work.batches.pop_front()
    }
}

/// The writer thread's loop: runs until the queue is closed and empty.
pub(crate) fn run(store: &mut Store, queue: &Queue) {
    // Accounts (and streams) one of whose parts could not be stored: their later parts must not be
    // stored either, or a later cursor would skip what the failed part held.
    let mut spoiled: HashSet<(i64, &'static str)> = HashSet::new();
    let mut catching_up = false;
    while let Some(next) = queue.wait() {
        match next {
            Next::Write(f) => f(store),
            Next::Batch(first) => write_batches(store, queue, first, &mut spoiled, &mut catching_up),
        }
    }
}

/// Brings the kept breach instants up to date (see `Store::refresh_breaches`).
pub(crate) fn refresh_breaches(store: &Store) {
    if let Err(e) = store.refresh_breaches(jiff::Timestamp::now()) {
        tracing::warn!(error = %e, "could not bring the kept breach instants up to date");
    }
}

fn refuse(batch: Batch) {
    let _ = batch.done.send(Err(Error::Invalid("an earlier part of this pull could not be stored".into())));
}

/// One transaction of the batches waiting, as they come, each with its cursor; it commits when
/// the queue runs dry, holds enough, or a write is waiting.
fn write_batches(store: &mut Store, queue: &Queue, first: Batch, spoiled: &mut HashSet<(i64, &'static str)>, catching_up: &mut bool) {
    if spoiled.contains(&(first.account_id, first.stream)) {
        return refuse(first);
    }
    let mut next = Some(first);
    let mut records = 0;
    let mut taken: Vec<Batch> = Vec::new();
    let results = store.write_batches_as_they_come(
        &mut taken,
        || {
            if next.is_none() && records < GROUP_RECORDS {
                while let Some(batch) = queue.next_batch() {
                    if !spoiled.contains(&(batch.account_id, batch.stream)) {
                        next = Some(batch);
                        break;
                    }
                    refuse(batch);
                }
            }
            let batch = next.take()?;
            records += batch.records.len();
            Some(batch)
        },
        Batch::as_cursor_batch,
    );
    let backlog = match records {
        n if n >= BACKLOG_RECORDS => true,
        n if n < CAUGHT_UP_RECORDS => false,
        _ => *catching_up,
    };
    if backlog != *catching_up {
        // Only the cache's size: the write goes on as well with the normal one.
        match store.set_catching_up(backlog) {
            Ok(()) => *catching_up = backlog,
            Err(e) => tracing::warn!(error = %e, "could not resize the writer's page cache"),
        }
    }
    // Working through a backlog (an initial sync), the same conversations come stale again batch
    // after batch: their instants are worked out once the backlog is through, or before the next
    // write is answered (the engine's, as an account goes idle), not after every transaction.
    if !*catching_up && !queue.batches_waiting() {
        refresh_breaches(store);
    }
    match results {
        Ok(changed) => {
            for (batch, changed) in taken.into_iter().zip(changed) {
                let _ = batch.done.send(Ok(changed));
            }
        }
        // One batch spoiled the transaction (or the disk is full): each is tried on its own, so
        // that only the failing one fails.
        Err(e) => {
            tracing::warn!(error = %e, batches = taken.len(), "a shared write failed; writing its batches one by one");
            for batch in taken {
                if spoiled.contains(&(batch.account_id, batch.stream)) {
                    refuse(batch);
                    continue;
                }
                let result = store.write_batches_with_cursors(&[batch.as_cursor_batch()]).map(|mut written| written.remove(0));
                if result.is_err() {
                    spoiled.insert((batch.account_id, batch.stream));
                }
                let _ = batch.done.send(result);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interchange::{Author, MessageRecord};
    use crate::model::{AuthorKind, Direction};

    fn message(account: &str, id: &str) -> Record {
        Record::Message(MessageRecord {
            account: account.into(),
            conversation: "42".into(),
            id: id.into(),
            direction: Direction::In,
            author: Author { kind: AuthorKind::Customer, name: None, handle: Some("42".into()) },
            text: "where is my parcel?".into(),
            at: "2026-03-01T00:00:00Z".parse().unwrap(),
            delivery: None,
            attachments: vec![],
            email: None,
        })
    }

    #[test]
    fn a_failing_part_fails_alone_and_its_pulls_later_parts_are_refused() {
        let mut store = Store::open_in_memory().unwrap();
        let good = store.add_account("telegram:good_bot", None, Default::default()).unwrap().id;
        let bad = store.add_account("telegram:bad_bot", None, Default::default()).unwrap().id;
        let queue = Queue::default();
        let mut answers = Vec::new();
        // Queued before the writer starts, so that they share a transaction.
        for (account, key, id, cursor) in [
            (good, "telegram:good_bot", "42:1", Some("1")),
            (bad, "telegram:bad_bot", "", None),
            (bad, "telegram:bad_bot", "42:2", Some("2")),
            (good, "telegram:good_bot", "42:3", Some("3")),
        ] {
            let (done, answer) = tokio::sync::oneshot::channel();
            let records = vec![message(key, id)];
            assert!(queue.batch(Batch { account_id: account, stream: "updates", records, cursor: cursor.map(str::to_owned), done }).is_ok());
            answers.push(answer);
        }
        queue.close();
        run(&mut store, &queue);
        let results: Vec<bool> = answers.into_iter().map(|mut a| a.try_recv().unwrap().is_ok()).collect();
        assert_eq!(results, [true, false, false, true]);
        assert_eq!(store.cursor(good, "updates").unwrap().as_deref(), Some("3"));
        assert_eq!(store.cursor(bad, "updates").unwrap(), None, "the bad pull's cursor did not move past its failed part");
    }

    #[test]
    fn a_waiting_write_goes_before_the_batches_queued_ahead_of_it() {
        let mut store = Store::open_in_memory().unwrap();
        let account = store.add_account("telegram:acme_bot", None, Default::default()).unwrap().id;
        let queue = Queue::default();
        let order = std::sync::Arc::new(Mutex::new(Vec::new()));
        for n in 0..3 {
            let (done, _) = tokio::sync::oneshot::channel();
            let records = vec![message("telegram:acme_bot", &format!("42:{n}"))];
            let _ = queue.batch(Batch { account_id: account, stream: "updates", records, cursor: Some(n.to_string()), done });
        }
        let seen = order.clone();
        let _ = queue.write(Box::new(move |s: &mut Store| {
            let stored = s.stats().unwrap().into_iter().find(|t| t.table == "messages").unwrap().rows;
            seen.lock().unwrap().push(stored);
        }));
        queue.close();
        run(&mut store, &queue);
        assert_eq!(*order.lock().unwrap(), [0], "the write ran before any batch was stored");
        assert_eq!(store.cursor(account, "updates").unwrap().as_deref(), Some("2"));
    }
}
