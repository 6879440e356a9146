//! The store as a running app shares it: one writer thread that alone writes (see
//! `ingest::writer`), and read connections of their own for everyone else. No caller ever holds
//! a lock across a commit: a write is handed to the writer and its answer awaited, and a read
//! takes a connection of its own, which never waits for the writer (WAL).

use super::ingest::writer::{self, Batch, Queue, WriteFn};
use super::Store;
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// A handle on the shared store; clones share it. The writer stops once the last handle is gone.
#[derive(Clone)]
pub struct Db {
    inner: Arc<Inner>,
}

struct Inner {
    queue: Arc<Queue>,
    /// Read connections not in use.
    readers: Mutex<Vec<Store>>,
    /// A reader kept to open more beside it.
    template: Mutex<Store>,
    id: Option<String>,
    path: PathBuf,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

/// Read connections kept for reuse; more are opened when more readers come at once.
const KEPT_READERS: usize = 4;

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").field("path", &self.inner.path).finish_non_exhaustive()
    }
}

fn stopped() -> Error {
    Error::invalid("the store's writer has stopped")
}

impl Db {
    /// Starts the writer on `store` (an open store on disk: a store in memory cannot have
    /// readers beside it).
    pub fn start(store: Store) -> Result<Db> {
        let template = store.reader()?;
        let path = store.path().map(Path::to_owned).ok_or_else(|| Error::invalid("a store in memory cannot be shared"))?;
        let id = store.id().map(str::to_owned);
        let queue = Arc::new(Queue::default());
        let thread = std::thread::Builder::new()
            .name("store writer".into())
            .spawn({
                let queue = queue.clone();
                let mut store = store;
                move || writer::run(&mut store, &queue)
            })
            .map_err(Error::Io)?;
        Ok(Db {
            inner: Arc::new(Inner {
                queue,
                readers: Mutex::new(Vec::new()),
                template: Mutex::new(template),
                id,
                path,
                thread: Mutex::new(Some(thread)),
            }),
        })
    }

    /// The store's id (for its keychain entries).
    pub fn id(&self) -> Option<&str> {
        self.inner.id.as_deref()
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// A read connection of one's own (tests; long readers such as an export).
    pub fn reader(&self) -> Result<Store> {
        self.inner.template.lock().unwrap_or_else(|p| p.into_inner()).reader()
    }

    /// Runs `f` on a read connection: it sees what the writer last committed and never waits
    /// for it.
    pub fn read<T>(&self, f: impl FnOnce(&Store) -> Result<T>) -> Result<T> {
        let kept = self.inner.readers.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let reader = match kept {
            Some(reader) => reader,
            None => self.reader()?,
        };
        let result = f(&reader);
        let mut readers = self.inner.readers.lock().unwrap_or_else(|p| p.into_inner());
        if readers.len() < KEPT_READERS {
            readers.push(reader);
        }
        result
    }

    /// Runs `f` on the writer's connection and waits for it (from a thread that may block: a
    /// command's, or the CLI's).
    pub fn write<T: Send + 'static>(&self, f: impl FnOnce(&mut Store) -> Result<T> + Send + 'static) -> Result<T> {
        let (answer, answered) = std::sync::mpsc::sync_channel(1);
        self.hand_over(Box::new(move |store| {
            let _ = answer.send(written(store, f));
        }))?;
        answered.recv().map_err(|_| stopped())?
    }

    /// `write` for async code: the task waits for the answer, never a thread.
    pub async fn write_async<T: Send + 'static>(&self, f: impl FnOnce(&mut Store) -> Result<T> + Send + 'static) -> Result<T> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        self.hand_over(Box::new(move |store| {
            let _ = answer.send(written(store, f));
        }))?;
        answered.await.map_err(|_| stopped())?
    }

    /// Hands a pulled batch to the writer, which stores it with others waiting in one
    /// transaction and says how that went on `batch.done`.
    pub fn ingest(&self, batch: Batch) -> Result<()> {
        self.inner.queue.batch(batch).map_err(|_| stopped())
    }

    fn hand_over(&self, f: WriteFn) -> Result<()> {
        self.inner.queue.write(f).map_err(|_| stopped())
    }
}

/// Runs a write, and brings the kept breach instants up to date before it is answered: a read
/// that follows it sees clocks as the write left them.
fn written<T>(store: &mut Store, f: impl FnOnce(&mut Store) -> Result<T>) -> Result<T> {
    let result = f(store);
    writer::refresh_breaches(store);
    result
}

impl Drop for Inner {
    fn drop(&mut self) {
        // The writer finishes what it was handed, then stops; the store closes with it.
        self.queue.close();
        if let Some(thread) = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take() {
            if thread.join().is_err() {
                tracing::error!("the store's writer panicked");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{StaticKey, StoreKey};

    #[test]
    fn readers_see_what_the_writer_commits_and_cannot_write() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(&dir.path().join("s.db"), &StaticKey::new(StoreKey::from_bytes([9; 32]))).unwrap();
        let db = Db::start(store).unwrap();
        let added = db.write(|s| s.add_account("telegram:acme_bot", None, Default::default())).unwrap();
        assert_eq!(db.read(|s| s.accounts()).unwrap(), vec![added]);
        let refused = db.read(|s| Ok(s.conn.execute("INSERT INTO settings (key, value) VALUES ('x', '1')", [])?)).unwrap_err();
        assert!(refused.to_string().contains("readonly"), "{refused}");
        let reader = db.reader().unwrap();
        assert!(reader.is_reader());
        drop(db);
        // The writer is gone and the store closed: it opens again.
        let store = Store::open(&dir.path().join("s.db"), &StaticKey::new(StoreKey::from_bytes([9; 32]))).unwrap();
        assert_eq!(store.accounts().unwrap().len(), 1);
    }

    /// Open conversations whose kept breach instants wait to be worked out again.
    fn stale(s: &Store) -> Result<i64> {
        Ok(s.conn.query_row("SELECT count(*) FROM conversations WHERE sla_fresh = 0 AND status = 'open'", [], |r| r.get(0))?)
    }

    #[test]
    fn a_backlog_leaves_breach_instants_to_its_end_and_the_next_write_works_them_out() {
        use crate::interchange::{Author, MessageRecord, Record};
        use crate::model::{AuthorKind, Direction};
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::create(&dir.path().join("s.db"), &StaticKey::new(StoreKey::from_bytes([8; 32]))).unwrap();
        store.seed_sla_defaults("UTC").unwrap();
        let account = store.add_account("telegram:acme_bot", None, Default::default()).unwrap().id;
        let db = Db::start(store).unwrap();
        let at: jiff::Timestamp = "2026-03-01T00:00:00Z".parse().unwrap();
        let message = |n: usize| {
            Record::Message(MessageRecord {
                account: "telegram:acme_bot".into(),
                conversation: format!("{}", n % 500),
                id: format!("m{n}"),
                direction: Direction::In,
                author: Author { kind: AuthorKind::Customer, name: None, handle: Some(format!("{}", n % 500)) },
                text: "where is my parcel?".into(),
                at: at + jiff::SignedDuration::from_secs(n as i64),
                delivery: None,
                attachments: vec![],
                email: None,
            })
        };
        let ingest = |records: Vec<Record>, cursor: &str| {
            let (done, answer) = tokio::sync::oneshot::channel();
            db.ingest(Batch { account_id: account, stream: "updates", records, cursor: Some(cursor.into()), done }).unwrap();
            answer.blocking_recv().unwrap().unwrap()
        };
        // A transaction the size of a backlog's: 500 conversations, their instants left stale.
        ingest((0..writer::BACKLOG_RECORDS).map(message).collect(), "1");
        assert_eq!(db.read(stale).unwrap(), 500);
        // The next write is answered once they are worked out.
        db.write(|_| Ok(())).unwrap();
        assert_eq!(db.read(stale).unwrap(), 0);
        // A live message (a small transaction, the backlog through) is worked out at once.
        ingest(vec![message(writer::BACKLOG_RECORDS + 7)], "2");
        assert_eq!(db.read(stale).unwrap(), 0);
    }
}
