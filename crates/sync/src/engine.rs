//! The engine: one task per account. Each pulls until caught up (writing every batch with its
//! cursor in one transaction), then sends the account's due replies; in follow mode it then
//! waits (a long-poll, or the poll interval) and goes again. Failures stay with their account:
//! expired credentials mark it "needs re-authentication", passing failures back off with jitter
//! (or for as long as the platform asks), and the other accounts carry on.

use crate::connector::{Connector, Outgoing};
use crate::error::Error;
use rand::Rng;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use switchboard_core::credentials::Credentials;
use switchboard_core::model::{AccountState, AccountView, Channel, OutboxItem, OutboxKind};
use switchboard_core::store::{Batch, Spool, Written};
use switchboard_core::{Db, Store};
use tokio::sync::{broadcast, oneshot, Notify};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Catch up, send what is due, stop.
    Once,
    /// Keep going until the task is dropped.
    Follow,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SyncEvent {
    /// A batch changed the store: `changed` records added or updated, among them the messages
    /// `new_messages` (store ids) that it did not have; `conversations` gained or changed messages.
    Stored { account: String, changed: usize, new_messages: Vec<i64>, conversations: Vec<i64> },
    /// After each batch: records pulled by this run so far, and whether the account has caught up.
    Progress { account: String, pulled: usize, caught_up: bool },
    AccountState { account: String, state: AccountState, detail: Option<String> },
    ReplySent { account: String, reply: i64, conversation: i64 },
    ReplyFailed { account: String, reply: i64, conversation: i64, reason: String },
}

/// What one account's task did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AccountReport {
    pub account: String,
    pub pulled: usize,
    pub changed: usize,
    pub skipped: usize,
    pub sent: usize,
    pub failed: usize,
    pub error: Option<String>,
    pub elapsed: Duration,
}

#[derive(Clone)]
pub struct Engine {
    db: Db,
    credentials: Arc<dyn Credentials>,
    http: reqwest::Client,
    events: broadcast::Sender<SyncEvent>,
    outbox: Arc<Notify>,
    paces: crate::pace::Paces,
    /// Between polls of platforms without a long-poll (follow mode).
    pub poll_interval: Duration,
    /// How long a long-poll is held (follow mode).
    pub long_poll: Duration,
    /// Consecutive passing failures after which a one-off sync gives the account up.
    pub max_attempts: u32,
    /// The first back-off; it doubles per failure, up to a minute.
    pub backoff: Duration,
    /// How long after handing a reply over a platform may still be acting on it: only after this
    /// does "not found" mean "lost" for a reply whose send was interrupted.
    pub in_flight_grace: Duration,
    /// How long a metered API's calls wait once its reported usage reaches 100 % (from 80 % a
    /// growing share of it).
    pub usage_pause: Duration,
}

fn lock<T>(held: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    held.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// An account's batch being stored, and what to report when it is.
struct Writing {
    done: oneshot::Receiver<switchboard_core::Result<Written>>,
    pulled: usize,
    caught_up: bool,
    /// How many records it holds.
    records: usize,
    /// The spool's copy of the pull, to forget once the store holds it.
    spooled: Option<(Arc<Mutex<Spool>>, i64)>,
}

/// Records an account may have handed to the writer and not yet seen stored: counted in records,
/// not pulls, so an API of small pages (X's 100 events, Telegram's 100 updates) keeps as much in
/// flight as one of large pages and gets its share of each shared transaction. Together the
/// accounts keep more in flight than a transaction takes, so the next one is ready when a commit
/// ends.
const IN_FLIGHT: usize = 8_000;

/// Records in one part of a pull: parts of many accounts share a transaction.
const PART: usize = 250;

/// Runs `f` on the spool off the async threads: each call is a small commit of its own.
async fn in_spool<T: Send + 'static>(spool: Arc<Mutex<Spool>>, f: impl FnOnce(&mut Spool) -> switchboard_core::Result<T> + Send + 'static) -> Result<T, Error> {
    tokio::task::spawn_blocking(move || f(&mut lock(&spool)))
        .await
        .map_err(|e| Error::Transient(format!("the spool's task failed: {e}")))?
        .map_err(Error::from)
}

impl Engine {
    pub fn new(db: Db, credentials: Arc<dyn Credentials>) -> Engine {
        let http = crate::connector::http_client();
        Engine {
            db,
            credentials,
            http,
            events: broadcast::channel(1024).0,
            outbox: Arc::new(Notify::new()),
            paces: Default::default(),
            poll_interval: Duration::from_secs(5),
            long_poll: Duration::from_secs(25),
            max_attempts: 12,
            backoff: Duration::from_millis(250),
            in_flight_grace: Duration::from_secs(10),
            usage_pause: Duration::from_secs(60),
        }
    }

    /// Where this engine's accounts keep their secrets (the keychain; memory for the demo).
    pub fn credentials(&self) -> Arc<dyn Credentials> {
        self.credentials.clone()
    }

    pub fn subscribe(&self) -> broadcast::Receiver<SyncEvent> {
        self.events.subscribe()
    }

    /// After a run was stopped midway (Ctrl+C, the app closing): accounts left showing "syncing"
    /// or "offline" show "idle"; those that need the agent (re-authentication, an error) keep it.
    pub async fn stand_down(&self) -> Result<(), Error> {
        self.db
            .write_async(|store| {
                for account in store.accounts()? {
                    if matches!(account.state, AccountState::Syncing | AccountState::Offline) {
                        store.set_account_state(account.id, AccountState::Idle)?;
                    }
                }
                Ok(())
            })
            .await?;
        Ok(())
    }

    /// Runs `f` on a read connection of the store, off the async threads.
    async fn read<T: Send + 'static>(&self, f: impl FnOnce(&Store) -> switchboard_core::Result<T> + Send + 'static) -> Result<T, Error> {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || db.read(f)).await.map_err(|e| Error::Transient(format!("a read of the store failed: {e}")))?.map_err(Error::from)
    }

    /// Runs `f` on the store's writer; the task waits, no thread does.
    async fn write<T: Send + 'static>(&self, f: impl FnOnce(&mut Store) -> switchboard_core::Result<T> + Send + 'static) -> Result<T, Error> {
        Ok(self.db.write_async(f).await?)
    }

    /// A reply was queued: senders waiting in follow mode go now.
    pub fn wake_outbox(&self) {
        self.outbox.notify_waiters();
    }

    /// Runs every account; in `Once` mode returns when all are done.
    pub async fn run(&self, mode: Mode) -> Result<Vec<AccountReport>, Error> {
        // A disconnected account keeps its history but is not synced.
        let accounts: Vec<_> = self
            .read(|s| s.accounts())
            .await?
            .into_iter()
            .filter(|a| a.config.get("disabled").and_then(|v| v.as_bool()) != Some(true))
            .collect();
        // In a team the hub runs the platform accounts (the desk holds no secrets for them): the
        // desk follows the hub alone.
        let team = accounts.iter().any(|a| a.channel == Channel::Hub);
        let accounts: Vec<_> = accounts.into_iter().filter(|a| !team || a.channel == Channel::Hub).collect();
        let mut tasks = tokio::task::JoinSet::new();
        for account in accounts {
            let engine = self.clone();
            tasks.spawn(async move { engine.account(account, mode).await });
        }
        let mut reports = Vec::new();
        let started = std::time::Instant::now();
        while let Some(done) = tasks.join_next().await {
            let mut report = done.map_err(|e| Error::Transient(format!("sync task failed: {e}")))?;
            report.elapsed = started.elapsed();
            reports.push(report);
        }
        reports.sort_by(|a, b| a.account.cmp(&b.account));
        Ok(reports)
    }

    /// Waits until the account's batches still being stored hold at most `keep` records (a batch
    /// of none, which still moves the cursor, counting as one), reporting each stored one.
    async fn settle(&self, account: &AccountView, writing: &mut VecDeque<Writing>, keep: usize, report: &mut AccountReport) -> Result<(), Error> {
        while writing.iter().map(|w| w.records.max(1)).sum::<usize>() > keep {
            let w = writing.pop_front().expect("non-empty");
            let written = w.done.await.map_err(|_| Error::Transient("the store writer stopped".into()))??;
            report.changed += written.changed;
            if written.changed > 0 {
                let Written { changed, new_messages, conversations } = written;
                let _ = self.events.send(SyncEvent::Stored { account: account.key.clone(), changed, new_messages, conversations });
            }
            let _ = self.events.send(SyncEvent::Progress { account: account.key.clone(), pulled: w.pulled, caught_up: w.caught_up });
            if let Some((spool, seq)) = w.spooled {
                in_spool(spool, move |s| s.forget(seq)).await?;
            }
        }
        Ok(())
    }

    async fn set_state(&self, account: &AccountView, state: AccountState, detail: Option<String>) {
        let (id, recorded) = (account.id, detail.clone());
        if let Err(e) = self.write(move |s| s.set_account_state_because(id, state, recorded.as_deref())).await {
            tracing::warn!(account = %account.key, error = %e, "could not record the account state");
        }
        let _ = self.events.send(SyncEvent::AccountState { account: account.key.clone(), state, detail });
    }

    fn pause(&self, failures: u32, error: &Error) -> Duration {
        let jitter = rand::thread_rng().gen_range(0.5..1.0);
        match error {
            Error::RateLimited(wait) => *wait + self.backoff.mul_f64(jitter),
            _ => (self.backoff * 2u32.saturating_pow(failures.saturating_sub(1).min(16))).min(Duration::from_secs(60)).mul_f64(jitter),
        }
    }

    async fn account(self, account: AccountView, mode: Mode) -> AccountReport {
        let mut report = AccountReport { account: account.key.clone(), ..Default::default() };
        let connector = match self.credentials.get(&account.key).map_err(Error::from).and_then(|secret| {
            let secret = secret.ok_or_else(|| Error::NoCredentials(account.key.clone()))?;
            Connector::for_account(&account, secret, self.http.clone(), &self.paces, self.usage_pause)
        }) {
            Ok(c) => c,
            Err(e) => {
                self.set_state(&account, AccountState::Error, Some(e.to_string())).await;
                report.error = Some(e.to_string());
                return report;
            }
        };
        self.set_state(&account, AccountState::Syncing, None).await;
        // What the account shows, so that following changes it only when it changes.
        let mut shown = AccountState::Syncing;
        // Batches pulled and still being stored: the next pulls overlap their writes, starting
        // from the newest cursor (the stored cursor still names exactly what is stored).
        let mut writing: VecDeque<Writing> = VecDeque::new();
        // A platform that forgets what the next pull confirms (Telegram) has each pull kept in the
        // spool first; what an earlier run spooled and did not store is stored before anything else.
        let spool = if connector.pull_confirms() {
            match self.replay_spool(&account, connector.stream(), &mut writing, &mut report).await {
                Ok(spool) => Some(spool),
                Err(e) => return self.stop(&account, report, e).await,
            }
        } else {
            None
        };
        let (id, stream) = (account.id, connector.stream());
        let mut cursor = match self.read(move |s| s.cursor(id, stream)).await {
            Ok(c) => c,
            Err(e) => return self.stop(&account, report, e).await,
        };
        let mut failures = 0u32;
        loop {
            let long_poll = mode == Mode::Follow && connector.long_polls();
            let wait = if long_poll { self.long_poll } else { Duration::ZERO };
            let pulled = tokio::select! {
                pulled = connector.pull(cursor.as_deref(), wait) => Some(pulled),
                // A queued reply interrupts a long-poll; the pull is simply asked again.
                _ = self.outbox.notified(), if long_poll => None,
            };
            let caught_up = match pulled {
                None => true,
                Some(Ok(p)) => {
                    if failures > 0 || (shown != AccountState::Syncing && !p.caught_up) {
                        self.set_state(&account, AccountState::Syncing, None).await;
                        shown = AccountState::Syncing;
                    }
                    failures = 0;
                    report.pulled += p.records.len();
                    report.skipped += p.skipped;
                    if let Err(e) = self.settle(&account, &mut writing, IN_FLIGHT.saturating_sub(p.records.len()), &mut report).await {
                        return self.stop(&account, report, e).await;
                    }
                    // Telegram forgets what the next pull's offset confirms: the pull is in the spool
                    // before that, and leaves it once the store holds it.
                    let mut records = p.records;
                    let mut spooled = None;
                    if let Some(spool) = &spool {
                        let (stream, position) = (connector.stream(), p.cursor.clone());
                        let (seq, back) = match in_spool(spool.clone(), move |s| s.push(account.id, stream, &records, Some(&position)).map(|seq| (seq, records))).await {
                            Ok(kept) => kept,
                            Err(e) => {
                                let _ = self.settle(&account, &mut writing, 0, &mut report).await;
                                return self.stop(&account, report, e).await;
                            }
                        };
                        records = back;
                        spooled = Some((spool.clone(), seq));
                    }
                    // In parts, the cursor with the last; everything before it is re-read harmlessly
                    // if the app stops in between.
                    loop {
                        let rest = records.split_off(records.len().min(PART));
                        let last = rest.is_empty();
                        let (done, stored) = oneshot::channel();
                        let position = last.then(|| p.cursor.clone());
                        let count = records.len();
                        if let Err(e) = self.db.ingest(Batch { account_id: account.id, stream: connector.stream(), records, cursor: position, done }) {
                            return self.stop(&account, report, e.into()).await;
                        }
                        let spooled = if last { spooled.take() } else { None };
                        writing.push_back(Writing { done: stored, pulled: report.pulled, caught_up: last && p.caught_up, records: count, spooled });
                        if last {
                            break;
                        }
                        records = rest;
                    }
                    cursor = Some(p.cursor);
                    if p.caught_up {
                        if let Err(e) = self.settle(&account, &mut writing, 0, &mut report).await {
                            return self.stop(&account, report, e).await;
                        }
                    }
                    p.caught_up
                }
                Some(Err(e)) if e.is_transient() => {
                    failures += 1;
                    tracing::info!(account = %account.key, failures, error = %e, "pull failed; backing off");
                    if failures == 3 {
                        self.set_state(&account, AccountState::Offline, Some(e.to_string())).await;
                    }
                    if mode == Mode::Once && failures > self.max_attempts {
                        let _ = self.settle(&account, &mut writing, 0, &mut report).await;
                        self.set_state(&account, AccountState::Offline, Some(e.to_string())).await;
                        report.error = Some(e.to_string());
                        return report;
                    }
                    tokio::time::sleep(self.pause(failures, &e)).await;
                    continue;
                }
                Some(Err(e)) => {
                    let _ = self.settle(&account, &mut writing, 0, &mut report).await;
                    return self.stop(&account, report, e).await;
                }
            };
            if !caught_up {
                continue;
            }
            let sent = match self.settle_in_flight(&account, &connector, &mut report).await {
                Ok(()) => self.send_due(&account, &connector, &mut report).await,
                Err(e) => Err(e),
            };
            if let Err(e) = sent {
                return self.stop(&account, report, e).await;
            }
            if shown != AccountState::Idle {
                self.set_state(&account, AccountState::Idle, None).await;
                shown = AccountState::Idle;
            }
            match mode {
                Mode::Once => return report,
                Mode::Follow if !long_poll => {
                    tokio::select! {
                        _ = tokio::time::sleep(self.poll_interval) => {}
                        _ = self.outbox.notified() => {}
                    }
                }
                Mode::Follow => {}
            }
        }
    }

    /// Opens the store's spool and stores what an earlier run left in it for this account (a crash
    /// between a pull and the store's commit), in order, before the account pulls again.
    async fn replay_spool(&self, account: &AccountView, stream: &'static str, writing: &mut VecDeque<Writing>, report: &mut AccountReport) -> Result<Arc<Mutex<Spool>>, Error> {
        let spool = Arc::new(Mutex::new(self.write(|s| s.spool()).await?));
        let account_id = account.id;
        let pending = in_spool(spool.clone(), move |s| s.pending(account_id, stream)).await?;
        if !pending.is_empty() {
            tracing::info!(account = %account.key, batches = pending.len(), "storing the batches an earlier run kept in the spool");
        }
        for batch in pending {
            report.pulled += batch.records.len();
            let (done, stored) = oneshot::channel();
            let records = batch.records.len();
            self.db.ingest(Batch { account_id, stream, records: batch.records, cursor: batch.cursor, done })?;
            writing.push_back(Writing { done: stored, pulled: report.pulled, caught_up: false, records, spooled: Some((spool.clone(), batch.seq)) });
        }
        self.settle(account, writing, 0, report).await?;
        Ok(spool)
    }

    /// Ends an account's task on an error that retrying will not fix.
    async fn stop(&self, account: &AccountView, mut report: AccountReport, e: Error) -> AccountReport {
        let state = if matches!(e, Error::Auth(_)) { AccountState::NeedsReauth } else { AccountState::Error };
        tracing::warn!(account = %account.key, error = %e, "sync stopped for this account");
        self.set_state(account, state, Some(e.to_string())).await;
        report.error = Some(e.to_string());
        report
    }

    async fn address(&self, item: &OutboxItem) -> Result<(i64, String), Error> {
        let conversation = item.conversation_id;
        self.read(move |s| s.conversation_address(conversation)).await
    }

    /// Replies handed over before a crash: confirmed through the platform where it can tell,
    /// otherwise marked failed for the agent to check, since resending could send twice.
    async fn settle_in_flight(&self, account: &AccountView, connector: &Connector, report: &mut AccountReport) -> Result<(), Error> {
        let in_flight = self.read(|s| s.in_flight_replies()).await?;
        for item in in_flight {
            let (owner, to) = self.address(&item).await?;
            if owner == account.id {
                self.settle_unknown(account, connector, &item, &to, report).await?;
            }
        }
        Ok(())
    }

    async fn settle_unknown(&self, account: &AccountView, connector: &Connector, item: &OutboxItem, to: &str, report: &mut AccountReport) -> Result<(), Error> {
        // Hiding twice hides once: an interrupted hide is simply asked again.
        if item.kind == OutboxKind::Hide {
            let id = item.id;
            self.write(move |s| s.retry_later(id, "not confirmed; asking again", jiff::Timestamp::now())).await?;
            return Ok(());
        }
        // A template's text is the platform's to render: it cannot be looked for by its text.
        if connector.can_look_up() && item.template.is_none() {
            let found = match connector.find_sent(to, &item.text, item.next_attempt_at, item.target.as_deref()).await {
                Ok(found) => found,
                // The platform could not answer now: the reply stays in flight, asked about next round.
                Err(e) if e.is_transient() => {
                    tracing::info!(account = %account.key, reply = item.id, error = %e, "could not confirm a reply yet");
                    return Ok(());
                }
                Err(e) => return Err(e),
            };
            match found {
                Some(id) => {
                    let reply = item.id;
                    self.write(move |s| s.mark_sent(reply, &id)).await?;
                    report.sent += 1;
                    let _ = self.events.send(SyncEvent::ReplySent { account: account.key.clone(), reply: item.id, conversation: item.conversation_id });
                }
                None => {
                    let age = jiff::Timestamp::now().duration_since(item.updated_at);
                    if age >= jiff::SignedDuration::try_from(self.in_flight_grace).unwrap_or_default() {
                        let id = item.id;
                        self.write(move |s| s.retry_later(id, "not delivered; sending again", jiff::Timestamp::now())).await?;
                    }
                    // Else the platform may still be acting on it: asked again next round.
                }
            }
        } else {
            let reason = "the connection dropped after the reply was handed over; check the conversation before sending it again";
            self.fail(account, item, reason.into(), report).await?;
        }
        Ok(())
    }

    /// A reply that will not be sent: marked failed with why, counted and announced.
    async fn fail(&self, account: &AccountView, item: &OutboxItem, reason: String, report: &mut AccountReport) -> Result<(), Error> {
        let (reply, conversation) = (item.id, item.conversation_id);
        let recorded = reason.clone();
        self.write(move |s| s.mark_failed(reply, &recorded)).await?;
        report.failed += 1;
        let _ = self.events.send(SyncEvent::ReplyFailed { account: account.key.clone(), reply, conversation, reason });
        Ok(())
    }

    async fn send_due(&self, account: &AccountView, connector: &Connector, report: &mut AccountReport) -> Result<(), Error> {
        loop {
            let id = account.id;
            let due = self.read(move |s| s.due_replies_for(id, jiff::Timestamp::now(), 50)).await?;
            if due.is_empty() {
                return Ok(());
            }
            for item in due {
                let (_, to) = self.address(&item).await?;
                // Checked again now: a reply queued offline may have outlived the channel's window.
                let checked = item.clone();
                let window = match self.read(move |s| s.check_item(&checked, jiff::Timestamp::now())).await {
                    Ok(window) => window,
                    Err(Error::Store(switchboard_core::Error::ReplyNotAllowed(reason))) => {
                        self.fail(account, &item, reason, report).await?;
                        continue;
                    }
                    Err(e) => return Err(e),
                };
                let email = match account.channel {
                    Channel::Email => {
                        let conversation = item.conversation_id;
                        match self.read(move |s| s.email_reply(conversation)).await {
                            Ok(reply) => Some(reply),
                            Err(e) => {
                                self.fail(account, &item, e.to_string(), report).await?;
                                continue;
                            }
                        }
                    }
                    _ => None,
                };
                // Committed before the call: after a crash this reply is "in flight", never resent blindly.
                let id = item.id;
                let item = self.write(move |s| s.begin_send(id)).await?;
                let out = Outgoing {
                    to: &to,
                    text: &item.text,
                    window,
                    template: item.template.as_ref(),
                    key: &item.idempotency_key,
                    email: email.as_ref(),
                    kind: item.kind,
                    target: item.target.as_deref(),
                };
                match connector.send(&out).await {
                    Ok(id) => {
                        let reply = item.id;
                        self.write(move |s| s.mark_sent(reply, &id)).await?;
                        report.sent += 1;
                        let _ = self.events.send(SyncEvent::ReplySent { account: account.key.clone(), reply: item.id, conversation: item.conversation_id });
                    }
                    // The platform may have acted on it: a dropped connection, or an answer cut short.
                    Err(Error::Uncertain(_) | Error::Malformed(_)) => self.settle_unknown(account, connector, &item, &to, report).await?,
                    Err(e) if e.is_transient() => {
                        let at = jiff::Timestamp::now() + jiff::SignedDuration::try_from(self.pause(item.attempts as u32, &e)).unwrap_or_default();
                        let (id, why) = (item.id, e.to_string());
                        self.write(move |s| s.retry_later(id, &why, at)).await?;
                        // The platform is struggling: the rest waits for the next round.
                        return Ok(());
                    }
                    Err(e @ Error::Auth(_)) => {
                        let (id, why) = (item.id, e.to_string());
                        self.write(move |s| s.retry_later(id, &why, jiff::Timestamp::now())).await?;
                        return Err(e);
                    }
                    Err(e) => self.fail(account, &item, e.to_string(), report).await?,
                }
            }
        }
    }
}
