//! The PostgreSQL engine: any number of hubs share one database. Appends take a
//! transaction-level advisory lock and number their records from the last one, so numbers
//! commit in order and a reader of "after 41" can never miss a record that commits later with a
//! smaller number (a sequence alone does not give that: two transactions may commit out of
//! order). Each append notifies `hub_log`, which every hub listens to, so followers anywhere hear
//! of it at once.

use super::{Append, Claim, ConversationRef, Engine, Entry, HubAccount, Lease, NewEntry, Seq};
use crate::error::{Error, Result};
use crate::people::{check_name, Person, Role};
use deadpool_postgres::{GenericClient, Pool};
use futures_util::StreamExt;
use jiff::Timestamp;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio_postgres::NoTls;

/// The schema, one step per entry, applied under `MIGRATE_LOCK` by whichever hub starts first.
const MIGRATIONS: &[&str] = &[include_str!("postgres/0001_hub.sql"), include_str!("postgres/0002_accounts.sql"), include_str!("postgres/0003_digests.sql")];

/// Advisory lock keys (any two numbers no other user of the database takes; these spell "SBLOG"
/// and "SBMIG").
const LOG_LOCK: i64 = 0x53_424c_4f47;
const MIGRATE_LOCK: i64 = 0x53_424d_4947;

/// The channel appends notify, with the last number as payload.
const CHANNEL: &str = "hub_log";

#[derive(Clone)]
pub struct PostgresEngine {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool,
    head: watch::Sender<Seq>,
    listener: tokio::task::JoinHandle<()>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

fn ms(t: Timestamp) -> i64 {
    t.as_millisecond()
}

fn at(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn raise(head: &watch::Sender<Seq>, seq: Seq) {
    head.send_if_modified(|h| {
        let newer = seq > *h;
        if newer {
            *h = seq;
        }
        newer
    });
}

impl PostgresEngine {
    /// Connects to the database at `url` (`postgres://user@host:port/name`), brings its schema up
    /// to date, and starts listening for appends. Must run inside a tokio runtime.
    pub async fn connect(url: &str) -> Result<PostgresEngine> {
        let mut config = deadpool_postgres::Config::new();
        config.url = Some(url.to_owned());
        config.manager = Some(deadpool_postgres::ManagerConfig { recycling_method: deadpool_postgres::RecyclingMethod::Fast });
        let pool = config.create_pool(Some(deadpool_postgres::Runtime::Tokio1), NoTls).map_err(|e| Error::Database(format!("cannot use {}: {e}", redact(url))))?;
        {
            let mut client = pool.get().await?;
            let tx = client.transaction().await?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATE_LOCK]).await?;
            tx.batch_execute("CREATE TABLE IF NOT EXISTS hub_schema (version INTEGER NOT NULL)").await?;
            let found: Option<i32> = tx.query_opt("SELECT version FROM hub_schema", &[]).await?.map(|r| r.get(0));
            let found = found.unwrap_or(0) as usize;
            if found > MIGRATIONS.len() {
                return Err(Error::Database(format!("the database holds schema {found}, newer than this build reads ({}); update Switchboard", MIGRATIONS.len())));
            }
            for sql in &MIGRATIONS[found..] {
                tx.batch_execute(sql).await?;
            }
            if found == 0 {
                tx.execute("INSERT INTO hub_schema (version) VALUES ($1)", &[&(MIGRATIONS.len() as i32)]).await?;
            } else {
                tx.execute("UPDATE hub_schema SET version = $1", &[&(MIGRATIONS.len() as i32)]).await?;
            }
            tx.commit().await?;
        }
        let last: Seq = pool.get().await?.query_one("SELECT coalesce(max(seq), 0) FROM log", &[]).await?.get(0);
        let (head, _) = watch::channel(last);
        let listener = tokio::spawn(listen(url.to_owned(), head.clone()));
        Ok(PostgresEngine { inner: Arc::new(Inner { pool, head, listener }) })
    }

    async fn client(&self) -> Result<deadpool_postgres::Object> {
        Ok(self.inner.pool.get().await?)
    }
}

/// A database address without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let user = &url[scheme + 3..at];
            let user = user.split(':').next().unwrap_or("");
            format!("{}{user}@{}", &url[..scheme + 3], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

/// Listens on `hub_log` and raises `head` with each append, any hub's; reconnects after a
/// failure. The head is read again after each LISTEN, so nothing between two connections is
/// missed.
async fn listen(url: String, head: watch::Sender<Seq>) {
    let mut wait = Duration::from_millis(100);
    loop {
        match tokio_postgres::connect(&url, NoTls).await {
            Ok((client, mut connection)) => {
                let (heard, mut hearing) = tokio::sync::mpsc::unbounded_channel::<Seq>();
                let pump = tokio::spawn(async move {
                    let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
                    while let Some(Ok(message)) = messages.next().await {
                        if let tokio_postgres::AsyncMessage::Notification(n) = message {
                            if let Ok(seq) = n.payload().parse() {
                                let _ = heard.send(seq);
                            }
                        }
                    }
                });
                let listening = async {
                    client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
                    let last: Seq = client.query_one("SELECT coalesce(max(seq), 0) FROM log", &[]).await?.get(0);
                    Ok::<_, tokio_postgres::Error>(last)
                };
                match listening.await {
                    Ok(last) => {
                        raise(&head, last);
                        wait = Duration::from_millis(100);
                        while let Some(seq) = hearing.recv().await {
                            raise(&head, seq);
                        }
                    }
                    Err(e) => tracing::warn!(error = %Error::from(e), "cannot listen for the log's appends"),
                }
                pump.abort();
            }
            Err(e) => tracing::warn!(error = %Error::from(e), "cannot connect to listen for the log's appends"),
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(5));
    }
}

/// Appends `entry` in `tx` as number `next + 1` unless its key is there already, or the log last
/// said the same of its state; its number, and whether it is new.
async fn put(tx: &impl GenericClient, entry: &NewEntry, at: i64, next: Seq) -> Result<(Seq, bool)> {
    if let Some(key) = &entry.key {
        if let Some(row) = tx.query_opt("SELECT seq FROM log WHERE key = $1", &[key]).await? {
            return Ok((row.get(0), false));
        }
    }
    if let Some(state) = &entry.state {
        let last = tx.query_opt("SELECT digest, seq FROM record_digests WHERE key = $1", &[&state.key]).await?;
        if let Some(row) = last.filter(|r| r.get::<_, &str>(0) == state.digest) {
            return Ok((row.get(1), false));
        }
    }
    let seq = next + 1;
    let insert = tx.prepare_cached("INSERT INTO log (seq, at, actor, key, body) VALUES ($1, $2, $3, $4, $5)").await?;
    tx.execute(&insert, &[&seq, &at, &entry.actor, &entry.key, &entry.body]).await?;
    if let Some(state) = &entry.state {
        let keep = tx
            .prepare_cached(
                "INSERT INTO record_digests (key, digest, seq) VALUES ($1, $2, $3)
                 ON CONFLICT (key) DO UPDATE SET digest = excluded.digest, seq = excluded.seq",
            )
            .await?;
        tx.execute(&keep, &[&state.key, &state.digest, &seq]).await?;
    }
    Ok((seq, true))
}

/// Takes the log's lock for the rest of the transaction; the last number.
async fn lock_log(tx: &impl GenericClient) -> Result<Seq> {
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOG_LOCK]).await?;
    Ok(tx.query_one("SELECT coalesce(max(seq), 0) FROM log", &[]).await?.get(0))
}

fn person_of(row: &tokio_postgres::Row) -> Result<Person> {
    let role: String = row.get(2);
    Ok(Person { id: row.get(0), name: row.get(1), role: role.parse()? })
}

async fn active_person(tx: &impl GenericClient, name: &str) -> Result<Person> {
    let row = tx
        .query_opt("SELECT id, name, role FROM people WHERE lower(name) = lower($1) AND removed_at IS NULL", &[&name])
        .await?
        .ok_or_else(|| Error::NoPerson(name.to_owned()))?;
    person_of(&row)
}

#[async_trait::async_trait]
impl Engine for PostgresEngine {
    fn kind(&self) -> &'static str {
        "postgresql"
    }

    async fn append(&self, append: Append) -> Result<Vec<Seq>> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let mut last = lock_log(&tx).await?;
        if let Some(fence) = &append.fence {
            // FOR SHARE: a hub taking the lease over waits until this append is committed.
            let held = tx.query_opt("SELECT holder, expires_at FROM leases WHERE name = $1 FOR SHARE", &[&fence.lease]).await?;
            let holds = held.is_some_and(|r| r.get::<_, String>(0) == fence.holder && r.get::<_, i64>(1) > ms(fence.now));
            if !holds {
                return Err(Error::LeaseLost(fence.lease.clone()));
            }
        }
        let mut seqs = Vec::with_capacity(append.entries.len());
        for entry in &append.entries {
            let (seq, new) = put(&tx, entry, ms(append.at), last).await?;
            if new {
                last = seq;
            }
            seqs.push(seq);
        }
        if let Some(c) = &append.cursor {
            tx.execute(
                "INSERT INTO cursors (account, stream, value) VALUES ($1, $2, $3)
                 ON CONFLICT (account, stream) DO UPDATE SET value = excluded.value",
                &[&c.account, &c.stream, &c.value],
            )
            .await?;
        }
        tx.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &last.to_string()]).await?;
        tx.commit().await?;
        raise(&self.inner.head, last);
        Ok(seqs)
    }

    async fn read_after(&self, after: Seq, limit: usize) -> Result<Vec<Entry>> {
        let client = self.client().await?;
        let read = client.prepare_cached("SELECT seq, at, actor, body FROM log WHERE seq > $1 ORDER BY seq LIMIT $2").await?;
        let rows = client.query(&read, &[&after, &(limit as i64)]).await?;
        Ok(rows.iter().map(|r| Entry { seq: r.get(0), at: at(r.get(1)), actor: r.get(2), body: r.get(3) }).collect())
    }

    fn head(&self) -> watch::Receiver<Seq> {
        self.inner.head.subscribe()
    }

    async fn cursor(&self, account: &str, stream: &str) -> Result<Option<String>> {
        let client = self.client().await?;
        Ok(client.query_opt("SELECT value FROM cursors WHERE account = $1 AND stream = $2", &[&account, &stream]).await?.map(|r| r.get(0)))
    }

    async fn take_lease(&self, name: &str, holder: &str, ttl: Duration, now: Timestamp) -> Result<bool> {
        let client = self.client().await?;
        let until = ms(now) + ttl.as_millis() as i64;
        let changed = client
            .execute(
                "INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)
                 ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
                 WHERE leases.holder = excluded.holder OR leases.expires_at <= $4",
                &[&name, &holder, &until, &ms(now)],
            )
            .await?;
        Ok(changed == 1)
    }

    async fn drop_lease(&self, name: &str, holder: &str) -> Result<()> {
        let client = self.client().await?;
        client.execute("DELETE FROM leases WHERE name = $1 AND holder = $2", &[&name, &holder]).await?;
        Ok(())
    }

    async fn lease(&self, name: &str) -> Result<Option<Lease>> {
        let client = self.client().await?;
        Ok(client.query_opt("SELECT holder, expires_at FROM leases WHERE name = $1", &[&name]).await?.map(|r| Lease { holder: r.get(0), expires_at: at(r.get(1)) }))
    }

    async fn assign(&self, conversation: &ConversationRef, expected: Option<i64>, to: Option<i64>, entry: NewEntry, when: Timestamp) -> Result<Claim> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        // Under the log's lock: the claim and its record are one step in the log's order.
        let last = lock_log(&tx).await?;
        if let Some(key) = &entry.key {
            if let Some(row) = tx.query_opt("SELECT seq FROM log WHERE key = $1", &[key]).await? {
                return Ok(Claim::Done { seq: row.get(0) });
            }
        }
        let current: Option<i64> = tx
            .query_opt("SELECT assignee FROM assignments WHERE account = $1 AND conversation = $2", &[&conversation.account, &conversation.conversation])
            .await?
            .and_then(|r| r.get(0));
        if current != expected {
            return Ok(Claim::Taken { by: current });
        }
        if let Some(to) = to {
            let active: bool = tx.query_one("SELECT EXISTS (SELECT 1 FROM people WHERE id = $1 AND removed_at IS NULL)", &[&to]).await?.get(0);
            if !active {
                return Err(Error::invalid(format!("person {to} is not on this hub")));
            }
        }
        tx.execute(
            "INSERT INTO assignments (account, conversation, assignee) VALUES ($1, $2, $3)
             ON CONFLICT (account, conversation) DO UPDATE SET assignee = excluded.assignee",
            &[&conversation.account, &conversation.conversation, &to],
        )
        .await?;
        let (seq, _) = put(&tx, &entry, ms(when), last).await?;
        tx.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &seq.to_string()]).await?;
        tx.commit().await?;
        raise(&self.inner.head, seq);
        Ok(Claim::Done { seq })
    }

    async fn assignee(&self, conversation: &ConversationRef) -> Result<Option<i64>> {
        let client = self.client().await?;
        Ok(client
            .query_opt("SELECT assignee FROM assignments WHERE account = $1 AND conversation = $2", &[&conversation.account, &conversation.conversation])
            .await?
            .and_then(|r| r.get(0)))
    }

    async fn add_person(&self, name: &str, role: Role, code_hash: &str, code_expires: Timestamp, now: Timestamp) -> Result<Person> {
        let name = check_name(name)?;
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        // The name's index is unique among people not removed; a race ends in its violation.
        let inserted = tx
            .query_opt(
                "INSERT INTO people (name, role, created_at) VALUES ($1, $2, $3)
                 ON CONFLICT (lower(name)) WHERE removed_at IS NULL DO NOTHING RETURNING id",
                &[&name, &role.as_str(), &ms(now)],
            )
            .await?;
        let Some(row) = inserted else {
            return Err(Error::PersonExists(name.to_owned()));
        };
        let id: i64 = row.get(0);
        tx.execute("INSERT INTO enrolments (code_hash, person_id, expires_at) VALUES ($1, $2, $3)", &[&code_hash, &id, &ms(code_expires)]).await?;
        tx.commit().await?;
        Ok(Person { id, name: name.to_owned(), role })
    }

    async fn renew_code(&self, name: &str, code_hash: &str, code_expires: Timestamp) -> Result<Person> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let person = active_person(&tx, name).await?;
        tx.execute("DELETE FROM enrolments WHERE person_id = $1", &[&person.id]).await?;
        tx.execute("INSERT INTO enrolments (code_hash, person_id, expires_at) VALUES ($1, $2, $3)", &[&code_hash, &person.id, &ms(code_expires)]).await?;
        tx.commit().await?;
        Ok(person)
    }

    async fn enrol(&self, code_hash: &str, token_hash: &str, now: Timestamp) -> Result<Person> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        // Deleting the code is what uses it: of two desks with the same code, one gets the row.
        let row = tx
            .query_opt(
                "DELETE FROM enrolments e USING people p
                 WHERE e.code_hash = $1 AND e.expires_at > $2 AND p.id = e.person_id AND p.removed_at IS NULL
                 RETURNING p.id, p.name, p.role",
                &[&code_hash, &ms(now)],
            )
            .await?
            .ok_or(Error::BadCode)?;
        let person = person_of(&row)?;
        tx.execute("INSERT INTO tokens (hash, person_id, created_at) VALUES ($1, $2, $3)", &[&token_hash, &person.id, &ms(now)]).await?;
        tx.commit().await?;
        Ok(person)
    }

    async fn person_by_token(&self, token_hash: &str) -> Result<Option<Person>> {
        let client = self.client().await?;
        let row = client
            .query_opt("SELECT p.id, p.name, p.role FROM tokens t JOIN people p ON p.id = t.person_id WHERE t.hash = $1 AND p.removed_at IS NULL", &[&token_hash])
            .await?;
        row.as_ref().map(person_of).transpose()
    }

    async fn people(&self) -> Result<Vec<Person>> {
        let client = self.client().await?;
        let rows = client.query("SELECT id, name, role FROM people WHERE removed_at IS NULL ORDER BY lower(name), id", &[]).await?;
        rows.iter().map(person_of).collect()
    }

    async fn remove_person(&self, name: &str, now: Timestamp) -> Result<Person> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let row = tx
            .query_opt("SELECT id, name, role FROM people WHERE lower(name) = lower($1) AND removed_at IS NULL FOR UPDATE", &[&name])
            .await?
            .ok_or_else(|| Error::NoPerson(name.to_owned()))?;
        let person = person_of(&row)?;
        tx.execute("UPDATE people SET removed_at = $2 WHERE id = $1", &[&person.id, &ms(now)]).await?;
        tx.execute("DELETE FROM tokens WHERE person_id = $1", &[&person.id]).await?;
        tx.execute("DELETE FROM enrolments WHERE person_id = $1", &[&person.id]).await?;
        tx.commit().await?;
        Ok(person)
    }

    async fn add_account(&self, key: &str, config: &serde_json::Map<String, serde_json::Value>, secrets: &[(String, String)], now: Timestamp) -> Result<()> {
        let config = serde_json::Value::Object(config.clone()).to_string();
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let added = tx.execute("INSERT INTO accounts (key, config, created_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING", &[&key, &config, &ms(now)]).await?;
        if added == 0 {
            return Err(Error::AccountExists(key.to_owned()));
        }
        for (name, value) in secrets {
            tx.execute("INSERT INTO secrets (account, name, value) VALUES ($1, $2, $3)", &[&key, name, value]).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn accounts(&self) -> Result<Vec<HubAccount>> {
        let client = self.client().await?;
        let rows = client.query("SELECT key, config FROM accounts ORDER BY key", &[]).await?;
        rows.iter().map(|r| HubAccount::new(r.get(0), r.get::<_, &str>(1))).collect()
    }

    async fn secret(&self, account: &str, name: &str) -> Result<Option<String>> {
        let client = self.client().await?;
        Ok(client.query_opt("SELECT value FROM secrets WHERE account = $1 AND name = $2", &[&account, &name]).await?.map(|r| r.get(0)))
    }

    async fn remove_account(&self, key: &str) -> Result<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        tx.execute("DELETE FROM secrets WHERE account = $1", &[&key]).await?;
        if tx.execute("DELETE FROM accounts WHERE key = $1", &[&key]).await? == 0 {
            return Err(Error::NoAccount(key.to_owned()));
        }
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_address_is_named_without_its_password() {
        assert_eq!(super::redact("postgres://hub:s3cret@db.example:5432/team"), "postgres://hub@db.example:5432/team");
        assert_eq!(super::redact("postgres://hub@127.0.0.1/team"), "postgres://hub@127.0.0.1/team");
        assert_eq!(super::redact("host=/tmp dbname=team"), "host=/tmp dbname=team");
    }
}
