//! The engine: one task per account. Each pulls until caught up (writing every batch with its
//! cursor in one transaction), then sends the account's due replies; in follow mode it then
//! waits (a long-poll, or the poll interval) and goes again. Failures stay with their account:
//! expired credentials mark it "needs re-authentication", passing failures back off with jitter
//! (or for as long as the platform asks), and the other accounts carry on.

use crate::connector::Connector;
use crate::outbox::{Ledger, Sender, Tally};
use switchboard_core::team::{Action, ActionOutcome, ActionRequest};
use crate::error::Error;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use switchboard_core::credentials::Credentials;
use switchboard_core::model::{AccountState, AccountView, Channel, OutboxItem};
use switchboard_core::store::{Batch, Spool, Written};
use switchboard_core::{Db, Store};
use tokio::sync::{broadcast, oneshot, watch};

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
    /// `new_notes`: notes it did not have (a teammate's, in a team).
    Stored { account: String, changed: usize, new_messages: Vec<i64>, conversations: Vec<i64>, new_notes: Vec<i64> },
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
    /// Bumped when a reply is queued: every account's task sees it, also one busy at the time.
    outbox: Arc<watch::Sender<u64>>,
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
            outbox: Arc::new(watch::channel(0).0),
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
        crate::outbox::read(&self.db, f).await
    }

    /// Runs `f` on the store's writer; the task waits, no thread does.
    async fn write<T: Send + 'static>(&self, f: impl FnOnce(&mut Store) -> switchboard_core::Result<T> + Send + 'static) -> Result<T, Error> {
        Ok(self.db.write_async(f).await?)
    }

    /// A reply was queued: senders waiting in follow mode go now.
    pub fn wake_outbox(&self) {
        self.outbox.send_modify(|n| *n = n.wrapping_add(1));
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
                let Written { changed, new_messages, conversations, new_notes } = written;
                let _ = self.events.send(SyncEvent::Stored { account: account.key.clone(), changed, new_messages, conversations, new_notes });
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
        crate::outbox::pause(self.backoff, failures, error)
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
        // A reply queued from now on wakes this account (one queued earlier is sent this round).
        let mut queued = self.outbox.subscribe();
        loop {
            // In a team the hub sends: the desk hands its replies over first, so that a reply
            // never waits for a long-poll of the log to end.
            if let Connector::Hub(hub) = &connector {
                if let Err(e) = self.hand_over(&account, hub, &mut report).await {
                    return self.stop(&account, report, e).await;
                }
            }
            let long_poll = mode == Mode::Follow && connector.long_polls();
            let wait = if long_poll { self.long_poll } else { Duration::ZERO };
            let pulled = tokio::select! {
                pulled = connector.pull(cursor.as_deref(), wait) => Some(pulled),
                // A queued reply interrupts a long-poll; the pull is simply asked again.
                _ = queued.changed(), if long_poll => None,
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
            let ledger = DeskLedger { engine: &self, account: &account.key };
            let sender = Sender {
                db: &self.db,
                ledger: &ledger,
                connector: &connector,
                account: account.id,
                channel: account.channel,
                key: &account.key,
                backoff: self.backoff,
                in_flight_grace: self.in_flight_grace,
                now: &jiff::Timestamp::now,
            };
            let sent = match &connector {
                // Handed over before each pull (below).
                Connector::Hub(_) => Ok(()),
                _ => {
                    let mut tally = Tally::default();
                    let sent = match sender.settle_in_flight(&mut tally).await {
                        Ok(()) => sender.send_due(&mut tally).await,
                        Err(e) => Err(e),
                    };
                    report.sent += tally.sent;
                    report.failed += tally.failed;
                    sent
                }
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
                        _ = queued.changed() => {}
                    }
                }
                Mode::Follow => {}
            }
        }
    }

    /// Hands the replies written on this desk to the team's hub (team mode), oldest first. The
    /// hub knows each by its key, so one whose answer was lost is simply handed over again; from
    /// then on the log says where it is. One the hub refuses (a closed window, say) is failed
    /// here with the hub's reason.
    async fn hand_over(&self, account: &AccountView, hub: &crate::hub::Hub, report: &mut AccountReport) -> Result<(), Error> {
        if !self.send_actions(account, hub).await? {
            return Ok(());
        }
        loop {
            let due = self.read(|s| s.replies_for_hub(50)).await?;
            if due.is_empty() {
                return Ok(());
            }
            for item in due {
                let conversation = item.conversation_id;
                let (on, external) = self.read(move |s| s.conversation_names(conversation)).await?;
                let action = ActionRequest {
                    key: item.idempotency_key.clone(),
                    account: on,
                    conversation: external,
                    action: Action::Reply { text: item.text.clone(), template: item.template.clone(), form: item.kind, target: item.target.clone() },
                };
                match hub.act(&action).await {
                    Ok(_) => {
                        let id = item.id;
                        self.write(move |s| s.handed_to_hub(id)).await?;
                    }
                    Err(Error::Refused(reason)) => {
                        let ledger = DeskLedger { engine: self, account: &account.key };
                        ledger.mark_failed(&item, reason).await?;
                        report.failed += 1;
                    }
                    Err(e @ Error::Auth(_)) => return Err(e),
                    // The hub is out of reach: handed over next round.
                    Err(e) => {
                        tracing::info!(account = %account.key, error = %e, "could not hand a reply to the hub yet");
                        return Ok(());
                    }
                }
            }
        }
    }

    /// Sends what the agent did to conversations (team mode) to the hub, oldest first; false when
    /// the hub is out of reach (the rest waits for the next round). An assignment someone else
    /// won is put right at once; an action the hub refuses for good is dropped (and logged): the
    /// log's records say what the team agreed.
    async fn send_actions(&self, account: &AccountView, hub: &crate::hub::Hub) -> Result<bool, Error> {
        loop {
            let queued = self.read(|s| s.team_actions(50)).await?;
            if queued.is_empty() {
                return Ok(true);
            }
            for q in queued {
                let conversation = q.conversation_id;
                let (on, external) = self.read(move |s| s.conversation_names(conversation)).await?;
                let request = ActionRequest { key: q.key.clone(), account: on, conversation: external, action: q.action.clone() };
                match hub.act(&request).await {
                    Ok(ActionOutcome::Done { .. }) => self.write(move |s| s.team_action_done(q.id)).await?,
                    Ok(ActionOutcome::Taken { by }) => {
                        tracing::info!(account = %account.key, conversation, "someone else has the conversation");
                        self.write(move |s| s.team_assignment_taken(q.id, conversation, by.as_deref())).await?;
                        let _ = self.events.send(SyncEvent::Stored { account: account.key.clone(), changed: 1, new_messages: vec![], conversations: vec![conversation], new_notes: vec![] });
                    }
                    Err(Error::Refused(reason)) => {
                        tracing::warn!(account = %account.key, conversation, reason = %reason, "the hub refused an action");
                        self.write(move |s| s.team_action_done(q.id)).await?;
                    }
                    Err(e @ Error::Auth(_)) => return Err(e),
                    Err(e) => {
                        tracing::info!(account = %account.key, error = %e, "could not send an action to the hub yet");
                        return Ok(false);
                    }
                }
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
}

/// A desk records its replies' steps in its own store, and tells the app.
struct DeskLedger<'a> {
    engine: &'a Engine,
    account: &'a str,
}

impl Ledger for DeskLedger<'_> {
    async fn begin_send(&self, item: &OutboxItem) -> Result<OutboxItem, Error> {
        let id = item.id;
        self.engine.write(move |s| s.begin_send(id)).await
    }

    async fn mark_sent(&self, item: &OutboxItem, external_id: String) -> Result<(), Error> {
        let reply = item.id;
        self.engine.write(move |s| s.mark_sent(reply, &external_id)).await?;
        let _ = self.engine.events.send(SyncEvent::ReplySent { account: self.account.to_owned(), reply, conversation: item.conversation_id });
        Ok(())
    }

    async fn retry_later(&self, item: &OutboxItem, why: String, at: jiff::Timestamp) -> Result<(), Error> {
        let id = item.id;
        self.engine.write(move |s| s.retry_later(id, &why, at)).await?;
        Ok(())
    }

    async fn mark_failed(&self, item: &OutboxItem, reason: String) -> Result<(), Error> {
        let (reply, conversation) = (item.id, item.conversation_id);
        let recorded = reason.clone();
        self.engine.write(move |s| s.mark_failed(reply, &recorded)).await?;
        let _ = self.engine.events.send(SyncEvent::ReplyFailed { account: self.account.to_owned(), reply, conversation, reason });
        Ok(())
    }
}
