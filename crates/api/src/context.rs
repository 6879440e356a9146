//! What every command's handler works with: the store (once open), the agent at this desk, where
//! events go, and the running sync's few handles (wake the sender, its credentials). It holds no
//! UI state.

use crate::error::{ApiError, ErrorCode, Result};
use crate::events::Event;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use switchboard_core::credentials::Credentials;
use switchboard_core::{Db, Error, Store};
use switchboard_sync::Engine;
use tokio::sync::{broadcast, mpsc};

/// Why the store is not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Closed {
    Missing,
    Locked,
    Failed,
}

/// What the sync supervisor is asked to do: sync (the demo's platforms or the store's
/// accounts), and whether to start over even if already syncing (the accounts changed).
#[derive(Debug, Clone, Copy)]
pub(crate) struct SyncRequest {
    pub demo: bool,
    pub restart: bool,
}

pub struct Context {
    pub(crate) path: PathBuf,
    db: RwLock<Option<Db>>,
    /// Why the store is not open, when it is not.
    problem: Mutex<Option<(Closed, String)>>,
    /// The agent at this desk: "Mine" and "assign to me".
    pub(crate) agent: String,
    events: broadcast::Sender<Event>,
    /// The running sync, once started: it sends replies, and holds the secrets it syncs with.
    engine: Mutex<Option<Engine>>,
    sync_requests: mpsc::UnboundedSender<SyncRequest>,
    /// Where account secrets live: the OS keychain unless given others (tests, the demo).
    credentials: Mutex<Option<Arc<dyn Credentials>>>,
    /// The shop's client, once built (see `customers`).
    pub(crate) shop: Mutex<Option<Arc<switchboard_sync::shopify::Shop>>>,
    /// Where demo data comes from, when the shell offers it.
    pub(crate) demo: Option<Arc<dyn crate::demo::Demo>>,
}

/// The store with what a new store needs from the start: a default calendar, SLA policies and
/// triage rules, so clocks run and messages are triaged from the first message.
fn with_defaults(mut store: Store) -> switchboard_core::Result<Store> {
    store.seed_sla_defaults(&switchboard_core::sla::local_zone())?;
    store.seed_rule_defaults()?;
    Ok(store)
}

/// Opens the store at `path` (creating it when `create` and it is not there) and starts its
/// writer.
fn open(path: &Path, passphrase: Option<String>, create: bool) -> switchboard_core::Result<Db> {
    let store = if path.exists() {
        crate::keys::for_store(path, passphrase).and_then(|k| Store::open(path, k.as_ref()))
    } else if create {
        crate::keys::for_new_store(passphrase).and_then(|k| Store::create(path, k.as_ref()))
    } else {
        Err(Error::NotFound(path.to_owned()))
    }?;
    Db::start(with_defaults(store)?)
}

impl Context {
    pub(crate) fn open(path: &Path, passphrase: Option<String>, create: bool, agent: String) -> (Context, mpsc::UnboundedReceiver<SyncRequest>) {
        let (db, problem) = match open(path, passphrase, create) {
            Ok(db) => (Some(db), None),
            Err(e) => {
                let closed = match &e {
                    Error::NotFound(_) => Closed::Missing,
                    Error::PassphraseRequired | Error::Keychain(_) | Error::KeyMissing => Closed::Locked,
                    _ => Closed::Failed,
                };
                tracing::warn!(error = %e, "store not opened");
                (None, Some((closed, e.for_store(path).to_string())))
            }
        };
        let (sync_requests, requests) = mpsc::unbounded_channel();
        let context = Context {
            path: path.to_owned(),
            db: RwLock::new(db),
            problem: Mutex::new(problem),
            agent,
            events: broadcast::channel(1024).0,
            engine: Mutex::new(None),
            sync_requests,
            credentials: Mutex::new(None),
            shop: Mutex::new(None),
            demo: None,
        };
        (context, requests)
    }

    /// The open store's handle, or why it is not open.
    pub(crate) fn db(&self) -> Result<Db> {
        if let Some(db) = self.db.read().unwrap_or_else(|p| p.into_inner()).clone() {
            return Ok(db);
        }
        let message = self.problem().map(|p| p.1).unwrap_or_else(|| "the store is not open".into());
        Err(ApiError::new(ErrorCode::StoreLocked, message))
    }

    pub(crate) fn is_open(&self) -> bool {
        self.db.read().unwrap_or_else(|p| p.into_inner()).is_some()
    }

    pub(crate) fn problem(&self) -> Option<(Closed, String)> {
        self.problem.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Opens the store with `passphrase` (creating it, when there is none yet). A store already
    /// open stays as it is; a wrong passphrase changes nothing and says so.
    pub(crate) fn unlock(&self, passphrase: String) -> Result<bool> {
        let mut db = self.db.write().unwrap_or_else(|p| p.into_inner());
        if db.is_some() {
            return Ok(false);
        }
        let opened = open(&self.path, Some(passphrase), true).map_err(|e| ApiError::from(e.for_store(&self.path)))?;
        *db = Some(opened);
        *self.problem.lock().unwrap_or_else(|p| p.into_inner()) = None;
        Ok(true)
    }

    /// Runs `f` on a read connection of the store: it never waits for the writer.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Store) -> switchboard_core::Result<T>) -> Result<T> {
        Ok(self.db()?.read(f)?)
    }

    /// Who the agent at this desk is: in a team, the person the hub knows (assignments, "Mine" and
    /// authors use the team's names); alone, the desk's agent name.
    pub(crate) fn me(&self) -> String {
        match self.read(|s| s.team_person()) {
            Ok(Some(person)) => person,
            _ => self.agent.clone(),
        }
    }

    /// Runs `f` on the store's writer and waits for it (commands run on threads that may block).
    pub(crate) fn write<T: Send + 'static>(&self, f: impl FnOnce(&mut Store) -> switchboard_core::Result<T> + Send + 'static) -> Result<T> {
        Ok(self.db()?.write(f)?)
    }

    pub(crate) fn emit(&self, event: Event) {
        let _ = self.events.send(event);
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    /// These conversations' rows changed.
    pub(crate) fn changed(&self, ids: Vec<i64>) {
        self.emit(Event::Conversations { ids });
    }

    /// Asks the sync supervisor to (re)start.
    pub(crate) fn request_sync(&self, demo: bool, restart: bool) {
        let _ = self.sync_requests.send(SyncRequest { demo, restart });
    }

    pub(crate) fn set_engine(&self, engine: Option<Engine>) {
        *self.engine.lock().unwrap_or_else(|p| p.into_inner()) = engine;
    }

    /// A reply was queued: the sender goes now.
    pub(crate) fn wake_sender(&self) {
        if let Some(engine) = self.engine.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            engine.wake_outbox();
        }
    }

    /// Runs an async call (a platform's API) to its end from a command's thread: both shells run
    /// commands on threads that may block.
    pub(crate) fn wait<F: std::future::Future>(&self, call: F) -> Result<F::Output> {
        let handle = tokio::runtime::Handle::try_current().map_err(|_| ApiError::internal("no async runtime for the call"))?;
        Ok(tokio::task::block_in_place(|| handle.block_on(call)))
    }

    pub(crate) fn set_credentials(&self, credentials: Arc<dyn Credentials>) {
        *self.credentials.lock().unwrap_or_else(|p| p.into_inner()) = Some(credentials);
    }

    /// The account secrets: as given, else the OS keychain under this store's id.
    pub(crate) fn credentials(&self) -> Result<Arc<dyn Credentials>> {
        if let Some(c) = self.credentials.lock().unwrap_or_else(|p| p.into_inner()).clone() {
            return Ok(c);
        }
        let db = self.db()?;
        let id = db.id().ok_or_else(|| ApiError::internal("this store has no id for keychain entries"))?;
        Ok(Arc::new(crate::keychain::KeychainCredentials::new(id)))
    }

    /// The running sync's secrets (the keychain's, or the demo's in memory), else the keychain's.
    pub(crate) fn running_credentials(&self) -> Result<Arc<dyn Credentials>> {
        let running = self.engine.lock().unwrap_or_else(|p| p.into_inner()).as_ref().map(Engine::credentials);
        match running {
            Some(c) => Ok(c),
            None => self.credentials(),
        }
    }
}
