//! The embedded engine: one SQLCipher file (encrypted at rest like a desk's store, with the same
//! key file and keys), for a hub that runs alone. One connection writes, in IMMEDIATE
//! transactions, so appends are serialised and numbers commit in order; reads have connections
//! of their own. Both run off the async threads. An admin command in another process (adding a
//! person while the hub runs) writes to the same file and waits its turn (busy timeout).

use super::{Append, Claim, ConversationRef, Engine, Entry, HubAccount, Lease, NewEntry, Seq};
use crate::error::{Error, Result};
use crate::people::{check_name, Person, Role};
use jiff::Timestamp;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use switchboard_core::keys::KeyProvider;
use switchboard_core::store::EncryptedFile;
use tokio::sync::watch;

/// The schema, one step per entry: step N takes `user_version` from N-1 to N.
const MIGRATIONS: &[&str] = &[include_str!("sqlite/0001_hub.sql"), include_str!("sqlite/0002_accounts.sql"), include_str!("sqlite/0003_digests.sql")];

/// Read connections kept for reuse.
const KEPT_READERS: usize = 4;

#[derive(Clone)]
pub struct SqliteEngine {
    inner: Arc<Inner>,
}

struct Inner {
    file: EncryptedFile,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    head: watch::Sender<Seq>,
}

fn ms(t: Timestamp) -> i64 {
    t.as_millisecond()
}

fn at(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn configure(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "PRAGMA foreign_keys = ON;
         PRAGMA busy_timeout = 5000;
         PRAGMA synchronous = NORMAL;
         PRAGMA temp_store = MEMORY;",
    )?;
    Ok(())
}

fn migrate(conn: &mut Connection) -> Result<()> {
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    for (step, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", step as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

impl SqliteEngine {
    /// Opens the hub's file at `path`, or creates it (with a key from `keys`) if there is none.
    pub fn open_or_create(path: &Path, keys: &dyn KeyProvider) -> Result<SqliteEngine> {
        if path.exists() {
            Self::open(path, keys)
        } else {
            Self::create(path, keys)
        }
    }

    pub fn create(path: &Path, keys: &dyn KeyProvider) -> Result<SqliteEngine> {
        let (file, mut conn) = EncryptedFile::create(path, keys)?;
        match configure(&conn).and_then(|()| migrate(&mut conn)) {
            Ok(()) => Self::start(file, conn),
            Err(e) => {
                drop(conn);
                file.discard(keys);
                Err(e)
            }
        }
    }

    pub fn open(path: &Path, keys: &dyn KeyProvider) -> Result<SqliteEngine> {
        let newer = |conn: &Connection| {
            let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            if found > MIGRATIONS.len() as i64 {
                return Err(switchboard_core::Error::NewerVersion { path: path.to_owned(), found, supported: MIGRATIONS.len() as i64 });
            }
            Ok(())
        };
        let (file, mut conn) = EncryptedFile::open(path, keys, newer)?;
        configure(&conn)?;
        migrate(&mut conn)?;
        Self::start(file, conn)
    }

    fn start(file: EncryptedFile, conn: Connection) -> Result<SqliteEngine> {
        let last: Seq = conn.query_row("SELECT coalesce(max(seq), 0) FROM log", [], |r| r.get(0))?;
        let (head, _) = watch::channel(last);
        Ok(SqliteEngine { inner: Arc::new(Inner { file, writer: Mutex::new(conn), readers: Mutex::new(Vec::new()), head }) })
    }

    /// Runs `f` on the writing connection, off the async threads.
    async fn write<T: Send + 'static>(&self, f: impl FnOnce(&mut Connection) -> Result<T> + Send + 'static) -> Result<T> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || f(&mut lock(&inner.writer))).await.map_err(|e| Error::Database(format!("a write stopped: {e}")))?
    }

    /// Runs `f` on a read connection of its own, off the async threads.
    async fn read<T: Send + 'static>(&self, f: impl FnOnce(&Connection) -> Result<T> + Send + 'static) -> Result<T> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let kept = lock(&inner.readers).pop();
            let conn = match kept {
                Some(conn) => conn,
                None => {
                    let conn = inner.file.connect()?;
                    configure(&conn)?;
                    conn.execute_batch("PRAGMA query_only = ON;")?;
                    conn
                }
            };
            let result = f(&conn);
            let mut readers = lock(&inner.readers);
            if readers.len() < KEPT_READERS {
                readers.push(conn);
            }
            result
        })
        .await
        .map_err(|e| Error::Database(format!("a read stopped: {e}")))?
    }

    fn heard(&self, seq: Seq) {
        self.inner.head.send_if_modified(|head| {
            let newer = seq > *head;
            if newer {
                *head = seq;
            }
            newer
        });
    }
}

/// Appends `entry` in `tx` unless its key is there already, or the log last said the same of
/// its state; its number.
fn put(tx: &rusqlite::Transaction<'_>, entry: &NewEntry, at: i64) -> Result<(Seq, bool)> {
    if let Some(key) = &entry.key {
        if let Some(seq) = tx.prepare_cached("SELECT seq FROM log WHERE key = ?1")?.query_row([key], |r| r.get(0)).optional()? {
            return Ok((seq, false));
        }
    }
    if let Some(state) = &entry.state {
        let last: Option<(String, Seq)> = tx.prepare_cached("SELECT digest, seq FROM record_digests WHERE key = ?1")?.query_row([&state.key], |r| Ok((r.get(0)?, r.get(1)?))).optional()?;
        if let Some((_, seq)) = last.filter(|(digest, _)| *digest == state.digest) {
            return Ok((seq, false));
        }
    }
    tx.prepare_cached("INSERT INTO log (at, actor, key, body) VALUES (?1, ?2, ?3, ?4)")?.execute(params![at, entry.actor, entry.key, entry.body])?;
    let seq = tx.last_insert_rowid();
    if let Some(state) = &entry.state {
        tx.prepare_cached(
            "INSERT INTO record_digests (key, digest, seq) VALUES (?1, ?2, ?3)
             ON CONFLICT (key) DO UPDATE SET digest = excluded.digest, seq = excluded.seq",
        )?
        .execute(params![state.key, state.digest, seq])?;
    }
    Ok((seq, true))
}

fn person_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, String, String)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
}

fn person((id, name, role): (i64, String, String)) -> Result<Person> {
    Ok(Person { id, name, role: role.parse()? })
}

fn active_person(tx: &Connection, name: &str) -> Result<Person> {
    let row = tx
        .prepare_cached("SELECT id, name, role FROM people WHERE lower(name) = lower(?1) AND removed_at IS NULL")?
        .query_row([name], person_row)
        .optional()?
        .ok_or_else(|| Error::NoPerson(name.to_owned()))?;
    person(row)
}

#[async_trait::async_trait]
impl Engine for SqliteEngine {
    fn kind(&self) -> &'static str {
        "sqlite"
    }

    async fn append(&self, append: Append) -> Result<Vec<Seq>> {
        let seqs = self
            .write(move |conn| {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                if let Some(fence) = &append.fence {
                    let held: Option<(String, i64)> =
                        tx.prepare_cached("SELECT holder, expires_at FROM leases WHERE name = ?1")?.query_row([&fence.lease], |r| Ok((r.get(0)?, r.get(1)?))).optional()?;
                    if !held.is_some_and(|(holder, until)| holder == fence.holder && until > ms(fence.now)) {
                        return Err(Error::LeaseLost(fence.lease.clone()));
                    }
                }
                let mut seqs = Vec::with_capacity(append.entries.len());
                for entry in &append.entries {
                    seqs.push(put(&tx, entry, ms(append.at))?.0);
                }
                if let Some(c) = &append.cursor {
                    tx.prepare_cached(
                        "INSERT INTO cursors (account, stream, value) VALUES (?1, ?2, ?3)
                         ON CONFLICT (account, stream) DO UPDATE SET value = excluded.value",
                    )?
                    .execute(params![c.account, c.stream, c.value])?;
                }
                tx.commit()?;
                Ok(seqs)
            })
            .await?;
        if let Some(&last) = seqs.iter().max() {
            self.heard(last);
        }
        Ok(seqs)
    }

    async fn read_after(&self, after: Seq, limit: usize) -> Result<Vec<Entry>> {
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached("SELECT seq, at, actor, body FROM log WHERE seq > ?1 ORDER BY seq LIMIT ?2")?;
            let rows = stmt.query_map(params![after, limit as i64], |r| Ok(Entry { seq: r.get(0)?, at: at(r.get(1)?), actor: r.get(2)?, body: r.get(3)? }))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    fn head(&self) -> watch::Receiver<Seq> {
        self.inner.head.subscribe()
    }

    async fn cursor(&self, account: &str, stream: &str) -> Result<Option<String>> {
        let (account, stream) = (account.to_owned(), stream.to_owned());
        self.read(move |conn| Ok(conn.prepare_cached("SELECT value FROM cursors WHERE account = ?1 AND stream = ?2")?.query_row([account, stream], |r| r.get(0)).optional()?))
            .await
    }

    async fn take_lease(&self, name: &str, holder: &str, ttl: Duration, now: Timestamp) -> Result<bool> {
        let (name, holder) = (name.to_owned(), holder.to_owned());
        let until = ms(now) + ttl.as_millis() as i64;
        self.write(move |conn| {
            let changed = conn
                .prepare_cached(
                    "INSERT INTO leases (name, holder, expires_at) VALUES (?1, ?2, ?3)
                     ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
                     WHERE leases.holder = excluded.holder OR leases.expires_at <= ?4",
                )?
                .execute(params![name, holder, until, ms(now)])?;
            Ok(changed == 1)
        })
        .await
    }

    async fn drop_lease(&self, name: &str, holder: &str) -> Result<()> {
        let (name, holder) = (name.to_owned(), holder.to_owned());
        self.write(move |conn| {
            conn.prepare_cached("DELETE FROM leases WHERE name = ?1 AND holder = ?2")?.execute([name, holder])?;
            Ok(())
        })
        .await
    }

    async fn lease(&self, name: &str) -> Result<Option<Lease>> {
        let name = name.to_owned();
        self.read(move |conn| {
            Ok(conn
                .prepare_cached("SELECT holder, expires_at FROM leases WHERE name = ?1")?
                .query_row([name], |r| Ok(Lease { holder: r.get(0)?, expires_at: at(r.get(1)?) }))
                .optional()?)
        })
        .await
    }

    async fn assign(&self, conversation: &ConversationRef, expected: Option<i64>, to: Option<i64>, entry: NewEntry, when: Timestamp) -> Result<Claim> {
        let c = conversation.clone();
        let claim = self
            .write(move |conn| {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                if let Some(key) = &entry.key {
                    if let Some(seq) = tx.prepare_cached("SELECT seq FROM log WHERE key = ?1")?.query_row([key], |r| r.get(0)).optional()? {
                        return Ok(Claim::Done { seq });
                    }
                }
                let current: Option<i64> = tx
                    .prepare_cached("SELECT assignee FROM assignments WHERE account = ?1 AND conversation = ?2")?
                    .query_row([&c.account, &c.conversation], |r| r.get(0))
                    .optional()?
                    .flatten();
                if current != expected {
                    return Ok(Claim::Taken { by: current });
                }
                if let Some(to) = to {
                    let active: bool = tx.prepare_cached("SELECT EXISTS (SELECT 1 FROM people WHERE id = ?1 AND removed_at IS NULL)")?.query_row([to], |r| r.get(0))?;
                    if !active {
                        return Err(Error::invalid(format!("person {to} is not on this hub")));
                    }
                }
                tx.prepare_cached(
                    "INSERT INTO assignments (account, conversation, assignee) VALUES (?1, ?2, ?3)
                     ON CONFLICT (account, conversation) DO UPDATE SET assignee = excluded.assignee",
                )?
                .execute(params![c.account, c.conversation, to])?;
                let (seq, _) = put(&tx, &entry, ms(when))?;
                tx.commit()?;
                Ok(Claim::Done { seq })
            })
            .await?;
        if let Claim::Done { seq } = claim {
            self.heard(seq);
        }
        Ok(claim)
    }

    async fn assignee(&self, conversation: &ConversationRef) -> Result<Option<i64>> {
        let c = conversation.clone();
        self.read(move |conn| {
            Ok(conn
                .prepare_cached("SELECT assignee FROM assignments WHERE account = ?1 AND conversation = ?2")?
                .query_row([c.account, c.conversation], |r| r.get(0))
                .optional()?
                .flatten())
        })
        .await
    }

    async fn add_person(&self, name: &str, role: Role, code_hash: &str, code_expires: Timestamp, now: Timestamp) -> Result<Person> {
        let name = check_name(name)?.to_owned();
        let code_hash = code_hash.to_owned();
        self.write(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            if active_person(&tx, &name).is_ok() {
                return Err(Error::PersonExists(name));
            }
            tx.prepare_cached("INSERT INTO people (name, role, created_at) VALUES (?1, ?2, ?3)")?.execute(params![name, role.as_str(), ms(now)])?;
            let id = tx.last_insert_rowid();
            tx.prepare_cached("INSERT INTO enrolments (code_hash, person_id, expires_at) VALUES (?1, ?2, ?3)")?.execute(params![code_hash, id, ms(code_expires)])?;
            tx.commit()?;
            Ok(Person { id, name, role })
        })
        .await
    }

    async fn renew_code(&self, name: &str, code_hash: &str, code_expires: Timestamp) -> Result<Person> {
        let (name, code_hash) = (name.to_owned(), code_hash.to_owned());
        self.write(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let person = active_person(&tx, &name)?;
            tx.prepare_cached("DELETE FROM enrolments WHERE person_id = ?1")?.execute([person.id])?;
            tx.prepare_cached("INSERT INTO enrolments (code_hash, person_id, expires_at) VALUES (?1, ?2, ?3)")?.execute(params![code_hash, person.id, ms(code_expires)])?;
            tx.commit()?;
            Ok(person)
        })
        .await
    }

    async fn enrol(&self, code_hash: &str, token_hash: &str, now: Timestamp) -> Result<Person> {
        let (code_hash, token_hash) = (code_hash.to_owned(), token_hash.to_owned());
        self.write(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let found = tx
                .prepare_cached(
                    "SELECT p.id, p.name, p.role FROM enrolments e JOIN people p ON p.id = e.person_id
                     WHERE e.code_hash = ?1 AND e.expires_at > ?2 AND p.removed_at IS NULL",
                )?
                .query_row(params![code_hash, ms(now)], person_row)
                .optional()?;
            let person = person(found.ok_or(Error::BadCode)?)?;
            tx.prepare_cached("DELETE FROM enrolments WHERE code_hash = ?1")?.execute([&code_hash])?;
            tx.prepare_cached("INSERT INTO tokens (hash, person_id, created_at) VALUES (?1, ?2, ?3)")?.execute(params![token_hash, person.id, ms(now)])?;
            tx.commit()?;
            Ok(person)
        })
        .await
    }

    async fn person_by_token(&self, token_hash: &str) -> Result<Option<Person>> {
        let token_hash = token_hash.to_owned();
        self.read(move |conn| {
            let row = conn
                .prepare_cached("SELECT p.id, p.name, p.role FROM tokens t JOIN people p ON p.id = t.person_id WHERE t.hash = ?1 AND p.removed_at IS NULL")?
                .query_row([token_hash], person_row)
                .optional()?;
            row.map(person).transpose()
        })
        .await
    }

    async fn people(&self) -> Result<Vec<Person>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached("SELECT id, name, role FROM people WHERE removed_at IS NULL ORDER BY lower(name), id")?;
            let rows = stmt.query_map([], person_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
            rows.into_iter().map(person).collect()
        })
        .await
    }

    async fn remove_person(&self, name: &str, now: Timestamp) -> Result<Person> {
        let name = name.to_owned();
        self.write(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let person = active_person(&tx, &name)?;
            tx.prepare_cached("UPDATE people SET removed_at = ?2 WHERE id = ?1")?.execute(params![person.id, ms(now)])?;
            tx.prepare_cached("DELETE FROM tokens WHERE person_id = ?1")?.execute([person.id])?;
            tx.prepare_cached("DELETE FROM enrolments WHERE person_id = ?1")?.execute([person.id])?;
            tx.commit()?;
            Ok(person)
        })
        .await
    }

    async fn add_account(&self, key: &str, config: &serde_json::Map<String, serde_json::Value>, secrets: &[(String, String)], now: Timestamp) -> Result<()> {
        let (key, config, secrets) = (key.to_owned(), serde_json::Value::Object(config.clone()).to_string(), secrets.to_vec());
        self.write(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let added = tx.prepare_cached("INSERT INTO accounts (key, config, created_at) VALUES (?1, ?2, ?3) ON CONFLICT (key) DO NOTHING")?.execute(params![key, config, ms(now)])?;
            if added == 0 {
                return Err(Error::AccountExists(key));
            }
            for (name, value) in &secrets {
                tx.prepare_cached("INSERT INTO secrets (account, name, value) VALUES (?1, ?2, ?3)")?.execute(params![key, name, value])?;
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn accounts(&self) -> Result<Vec<HubAccount>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached("SELECT key, config FROM accounts ORDER BY key")?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?.collect::<rusqlite::Result<Vec<_>>>()?;
            rows.into_iter().map(|(key, config)| HubAccount::new(key, &config)).collect()
        })
        .await
    }

    async fn secret(&self, account: &str, name: &str) -> Result<Option<String>> {
        let (account, name) = (account.to_owned(), name.to_owned());
        self.read(move |conn| Ok(conn.prepare_cached("SELECT value FROM secrets WHERE account = ?1 AND name = ?2")?.query_row([account, name], |r| r.get(0)).optional()?))
            .await
    }

    async fn remove_account(&self, key: &str) -> Result<()> {
        let key = key.to_owned();
        self.write(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.prepare_cached("DELETE FROM secrets WHERE account = ?1")?.execute([&key])?;
            if tx.prepare_cached("DELETE FROM accounts WHERE key = ?1")?.execute([&key])? == 0 {
                return Err(Error::NoAccount(key));
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }
}
