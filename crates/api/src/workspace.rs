//! The `Workspace`: the command list over one store, and the sync that feeds it. It holds the
//! wiring only: the handlers are by subject (`handlers`), the sync's supervision and the event
//! bridge are the runtime's (`runtime`).

use crate::commands::{dispatch, Command, Request};
use crate::context::{Context, SyncRequest};
use crate::error::Result;
use crate::events::Event;
use crate::handlers::session::AppStatus;
use crate::demo::Demo;
use crate::runtime::Syncing;
use std::path::Path;
use std::sync::{Arc, Mutex};
use switchboard_core::credentials::Credentials;
use tokio::sync::{broadcast, mpsc};

pub struct Workspace {
    cx: Arc<Context>,
    /// What the sync supervisor will be asked, until it starts (`keep_syncing`).
    requests: Mutex<Option<mpsc::UnboundedReceiver<SyncRequest>>>,
}

impl Workspace {
    /// Opens the store at `path` (creating it when `create` and it does not exist yet). A store
    /// that cannot be opened still gives a Workspace, which reports why in `status`.
    pub fn open(path: &Path, passphrase: Option<String>, create: bool) -> Workspace {
        let agent = std::env::var("SWITCHBOARD_AGENT")
            .or_else(|_| std::env::var("USER"))
            .ok()
            .filter(|a| !a.trim().is_empty())
            .unwrap_or_else(|| "agent".into());
        let (cx, requests) = Context::open(path, passphrase, create, agent);
        Workspace { cx: Arc::new(cx), requests: Mutex::new(Some(requests)) }
    }

    fn configure(&mut self) -> &mut Context {
        Arc::get_mut(&mut self.cx).expect("a Workspace is configured before it is shared")
    }

    /// The agent's name, as "Mine" and "assign to me" use it.
    pub fn with_agent(mut self, agent: &str) -> Workspace {
        self.configure().agent = agent.to_owned();
        self
    }

    /// Account secrets in `credentials` instead of the OS keychain (tests, a keychain-less demo).
    pub fn with_credentials(self, credentials: Arc<dyn Credentials>) -> Workspace {
        self.cx.set_credentials(credentials);
        self
    }

    /// Offers demo data from `demo` ("try it with demo data").
    pub fn with_demo(mut self, demo: Arc<dyn Demo>) -> Workspace {
        self.configure().demo = Some(demo);
        self
    }

    pub fn agent(&self) -> &str {
        &self.cx.agent
    }

    /// Who the agent is: in a team, the person the hub knows; alone, `agent`.
    pub fn me(&self) -> String {
        self.cx.me()
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.cx.subscribe()
    }

    pub fn status(&self) -> Result<AppStatus> {
        crate::handlers::session::status(&self.cx, Default::default())
    }

    /// Runs one command; its answer as JSON (what the shells send on).
    pub fn call(&self, command: Command) -> Result<serde_json::Value> {
        dispatch(&self.cx, command)
    }

    /// Runs one command, typed: `ws.run(ThreadRequest { conversation })` answers a `Thread`.
    pub fn run<R: Request>(&self, request: R) -> Result<R::Response> {
        request.run(&self.cx)
    }

    /// Starts following every account of the store (with `demo`, the demo's) on the current
    /// tokio runtime; the returned handle stops it when dropped.
    pub async fn start_sync(&self, demo: bool) -> Result<Syncing> {
        crate::runtime::start_sync(&self.cx, demo).await
    }

    /// Keeps the store's accounts syncing (with `demo`, the demo's) for as long as the returned
    /// task runs: now if the store is open, after an unlock if not, over again when the accounts
    /// change, and with the demo when the agent asks for it. Shells call this once.
    pub fn keep_syncing(&self, demo: bool) -> tokio::task::JoinHandle<()> {
        let requests = self.requests.lock().unwrap_or_else(|p| p.into_inner()).take().expect("keep_syncing runs once");
        crate::runtime::keep_syncing(self.cx.clone(), requests, demo)
    }

    /// Looks at the open conversations' clocks every `every`, announcing each that breached
    /// (`Event::Breach`), until the returned task is aborted. `keep_syncing` runs one already.
    pub async fn watch_clocks(&self, every: std::time::Duration) -> tokio::task::JoinHandle<()> {
        crate::runtime::watch_clocks(self.cx.clone(), every).await
    }
}
