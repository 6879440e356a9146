//! The hub runs the team's platform accounts. Every so often (`tick`) it takes or renews the
//! lease of each account in the engine; for each one it holds, it runs the account's connector
//! (the desk's own code) and appends every pull to the log with the cursor after it, fenced by
//! the lease. So each account runs on exactly one hub at a time: a hub that dies stops renewing,
//! another takes the account over once the lease expires and resumes from the stored cursor, and
//! a hub that lost a lease without knowing it writes nothing. Beside each account's pulls, the
//! hub sends the replies agents handed it for that account (`sender`).

use crate::engine::{Append, CursorUpdate, Engine, Fence, HubAccount, NewEntry};
use crate::error::Error;
use crate::replica::Replica;
use crate::sender::HubLedger;
use crate::accounts::{view, Now};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;
use switchboard_core::model::AccountKey;
use switchboard_core::sensitive::Sensitive;
use switchboard_sync::outbox::Sender;
use switchboard_sync::{Connector, Connectors};
use tokio::sync::watch;

pub use crate::accounts::{PHOTO_KEYS, TOKEN};

#[derive(Clone)]
pub struct RunnerSettings {
    /// How long a lease lasts unless renewed: how soon another hub takes an account over.
    pub lease_ttl: Duration,
    /// How often leases are renewed and new accounts looked for (well inside `lease_ttl`).
    pub tick: Duration,
    /// How long a long-polling platform's pull is held.
    pub long_poll: Duration,
    /// Between pulls of a platform without a long-poll, once caught up.
    pub poll_interval: Duration,
    /// The first pause after a failure; it doubles, up to a minute.
    pub backoff: Duration,
    /// How long after handing a reply over a platform may still be acting on it (see the desk's
    /// engine): a reply found in flight after a take-over is sent again only once it is this old
    /// and the platform does not have it.
    pub in_flight_grace: Duration,
}

impl RunnerSettings {
    /// Settings for a lease of `ttl`, renewed three times within it.
    pub fn with_lease(ttl: Duration) -> RunnerSettings {
        RunnerSettings { lease_ttl: ttl, tick: ttl / 3, long_poll: Duration::from_secs(25).min(ttl), poll_interval: Duration::from_secs(5), backoff: Duration::from_millis(250), in_flight_grace: Duration::from_secs(10) }
    }
}

impl Default for RunnerSettings {
    fn default() -> Self {
        Self::with_lease(Duration::from_secs(30))
    }
}

/// What a hub found at its last look at the accounts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Looked {
    /// How many looks so far.
    pub rounds: u64,
    /// The accounts it runs.
    pub running: BTreeSet<String>,
}

pub struct Runner {
    engine: Arc<dyn Engine>,
    replica: Arc<Replica>,
    /// Who this hub is to the leases: unique per process.
    holder: String,
    connectors: Connectors,
    settings: RunnerSettings,
    now: Now,
    looked: watch::Sender<Looked>,
}

/// The lease an account runs under.
fn lease(account: &str) -> String {
    format!("account:{account}")
}

/// Aborts a task when dropped.
struct Task(tokio::task::JoinHandle<()>);

impl Drop for Task {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Runner {
    pub fn new(engine: Arc<dyn Engine>, replica: Arc<Replica>, holder: String, settings: RunnerSettings, now: Now) -> Runner {
        Runner { engine, replica, holder, connectors: Connectors::default(), settings, now, looked: watch::channel(Looked::default()).0 }
    }

    /// A name for this process among hubs: its host, its process id and a random part.
    pub fn holder_name() -> String {
        let host = std::fs::read_to_string("/etc/hostname").map(|h| h.trim().to_owned()).unwrap_or_default();
        format!("{}-{}-{}", if host.is_empty() { "hub" } else { &host }, std::process::id(), &crate::people::new_token()[..8])
    }

    /// The hub's copy of the log, which the runner sends replies from.
    pub fn replica(&self) -> &Arc<Replica> {
        &self.replica
    }

    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// What this hub found at each look: the accounts it runs.
    pub fn looked(&self) -> watch::Receiver<Looked> {
        self.looked.subscribe()
    }

    /// Runs accounts until the task is aborted (or `stop` is called).
    pub async fn run(self: Arc<Self>) {
        let mut tasks: HashMap<String, Task> = HashMap::new();
        loop {
            match self.engine.accounts().await {
                Ok(accounts) => self.keep(&mut tasks, accounts).await,
                Err(e) => tracing::warn!(error = %e, "cannot read the hub's accounts"),
            }
            let running: BTreeSet<String> = tasks.keys().cloned().collect();
            self.looked.send_modify(|looked| {
                looked.rounds += 1;
                looked.running = running;
            });
            tokio::time::sleep(self.settings.tick).await;
        }
    }

    /// Takes or renews each account's lease, starting the accounts newly held and stopping those
    /// lost or removed.
    async fn keep(self: &Arc<Self>, tasks: &mut HashMap<String, Task>, accounts: Vec<HubAccount>) {
        let keys: BTreeSet<&str> = accounts.iter().map(|a| a.key.as_str()).collect();
        tasks.retain(|key, task| keys.contains(key.as_str()) && !task.0.is_finished());
        for account in accounts {
            let held = self.engine.take_lease(&lease(&account.key), &self.holder, self.settings.lease_ttl, (self.now)()).await;
            match held {
                Ok(true) if !tasks.contains_key(&account.key) => {
                    tracing::info!(account = %account.key, "running the account");
                    let key = account.key.clone();
                    let me = self.clone();
                    tasks.insert(key, Task(tokio::spawn(async move { me.account(account).await })));
                }
                Ok(true) => {}
                Ok(false) => {
                    if tasks.remove(&account.key).is_some() {
                        tracing::warn!(account = %account.key, "another hub runs the account now");
                    }
                }
                // Unrenewed, the lease lapses and the fence stops this hub's appends.
                Err(e) => tracing::warn!(account = %account.key, error = %e, "cannot renew the account's lease"),
            }
        }
    }

    /// Gives up every lease this hub holds, so that another hub takes the accounts over at once
    /// (on a clean stop).
    pub async fn stop(&self) {
        let running = self.looked.borrow().running.clone();
        for key in running {
            let _ = self.engine.drop_lease(&lease(&key), &self.holder).await;
        }
    }

    /// Pulls one account into the log for as long as this hub holds its lease.
    async fn account(self: Arc<Self>, account: HubAccount) {
        let (key, lease) = (account.key.clone(), lease(&account.key));
        let connector = match self.connector(account).await {
            Ok(c) => Arc::new(c),
            Err(e) => {
                tracing::error!(account = %key, error = %e, "cannot run the account");
                return;
            }
        };
        let stream = connector.stream();
        let mut cursor = match self.engine.cursor(&key, stream).await {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(account = %key, error = %e, "cannot read the account's cursor");
                return;
            }
        };
        let _sending = Task(tokio::spawn(self.clone().send(key.clone(), connector.clone())));
        let wait = if connector.long_polls() { self.settings.long_poll } else { Duration::ZERO };
        let mut pause = self.settings.backoff;
        loop {
            let pulled = match connector.pull(cursor.as_deref(), wait).await {
                Ok(p) => p,
                Err(e) => {
                    let wait = if e.is_transient() { pause } else { Duration::from_secs(60) };
                    tracing::warn!(account = %key, error = %e, "a pull failed; trying again in {} ms", wait.as_millis());
                    tokio::time::sleep(wait).await;
                    pause = (pause * 2).min(Duration::from_secs(60));
                    continue;
                }
            };
            // Platforms are read again where pages overlap: what the log already says is not
            // appended again.
            let entries = pulled
                .records
                .iter()
                .map(|r| {
                    let entry = NewEntry::new(serde_json::to_string(r).expect("records serialise"));
                    match r.natural_key() {
                        Some(key) => entry.of_state(key),
                        None => entry,
                    }
                })
                .collect();
            let now = (self.now)();
            let append = Append {
                entries,
                at: now,
                cursor: Some(CursorUpdate { account: key.clone(), stream: stream.to_owned(), value: pulled.cursor.clone() }),
                fence: Some(Fence { lease: lease.clone(), holder: self.holder.clone(), now }),
            };
            match self.engine.append(append).await {
                Ok(_) => {
                    pause = self.settings.backoff;
                    cursor = Some(pulled.cursor);
                }
                Err(Error::LeaseLost(_)) => {
                    tracing::warn!(account = %key, "lost the account's lease; another hub runs it");
                    return;
                }
                Err(e) => {
                    // Not stored: the same cursor is pulled again.
                    tracing::warn!(account = %key, error = %e, "could not append a pull");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(60));
                    continue;
                }
            }
            if pulled.caught_up && wait.is_zero() {
                tokio::time::sleep(self.settings.poll_interval).await;
            }
        }
    }

    /// Sends the account's replies for as long as this hub holds its lease: whenever the log
    /// grows (a reply handed over, a step of one), and every `poll_interval` for those waiting to
    /// be tried again.
    async fn send(self: Arc<Self>, key: String, connector: Arc<Connector>) {
        let Ok(parsed) = AccountKey::parse(&key) else { return };
        let lease = lease(&key);
        let mut head = self.engine.head();
        loop {
            let target = *head.borrow_and_update();
            if self.replica.caught_up_to(target).await.is_err() {
                return;
            }
            let named = key.clone();
            let id = match self.replica.db().read(move |s| Ok(s.accounts()?.into_iter().find(|a| a.key == named).map(|a| a.id))) {
                Ok(id) => id,
                Err(e) => {
                    tracing::warn!(account = %key, error = %e, "the replica cannot say which replies are due");
                    None
                }
            };
            if let Some(id) = id {
                let ledger = HubLedger { engine: &self.engine, replica: &self.replica, lease: &lease, holder: &self.holder, now: &self.now, lost: Default::default() };
                let sender = Sender {
                    db: self.replica.db(),
                    ledger: &ledger,
                    connector: &connector,
                    account: id,
                    channel: parsed.channel,
                    key: &key,
                    backoff: self.settings.backoff,
                    in_flight_grace: self.settings.in_flight_grace,
                    now: &*self.now,
                };
                let mut tally = Default::default();
                let sent = match sender.settle_in_flight(&mut tally).await {
                    Ok(()) => sender.send_due(&mut tally).await,
                    Err(e) => Err(e),
                };
                if ledger.lost.load(std::sync::atomic::Ordering::SeqCst) {
                    tracing::warn!(account = %key, "lost the account's lease; another hub sends its replies");
                    return;
                }
                if let Err(e) = sent {
                    tracing::warn!(account = %key, error = %e, "sending replies failed; trying again");
                    tokio::time::sleep(self.settings.backoff).await;
                }
            }
            tokio::select! {
                changed = head.changed() => if changed.is_err() { return },
                _ = tokio::time::sleep(self.settings.poll_interval) => {}
            }
        }
    }

    async fn connector(&self, account: HubAccount) -> Result<switchboard_sync::Connector, String> {
        let secret = self.engine.secret(&account.key, TOKEN).await.map_err(|e| e.to_string())?.ok_or("no token for it on this hub")?;
        let view = view(account).map_err(|e| e.to_string())?;
        self.connectors.connect(&view, Sensitive::new(secret)).map_err(|e| e.to_string())
    }
}
