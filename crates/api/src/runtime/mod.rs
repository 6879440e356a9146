//! What runs beside the commands: the sync's supervision (start it, restart it when the accounts
//! change, switch to the demo when asked), the bridge from the sync's events to the UI's, and the
//! watch on SLA clocks. Shells start it once (`Workspace::keep_syncing`).

mod bridge;
mod clocks;

pub(crate) use clocks::watch_clocks;

use crate::context::{Context, SyncRequest};
use crate::error::{ApiError, Result};
use crate::events::Event;
use std::any::Any;
use std::sync::Arc;
use switchboard_core::credentials::Credentials;
use switchboard_sync::{Engine, Mode};
use tokio::sync::mpsc;

/// How often the supervisor looks for clocks that breached.
const CLOCK_CHECK: std::time::Duration = std::time::Duration::from_secs(20);

/// A running sync (and, in a demo, the demo's platforms): stops when dropped.
pub struct Syncing {
    task: tokio::task::JoinHandle<()>,
    bridge: tokio::task::JoinHandle<()>,
    demo: Option<Box<dyn Any + Send + Sync>>,
    pub sandbox_url: Option<String>,
}

impl Syncing {
    /// What keeps the demo running (for tests that drive it), as the type it is.
    pub fn demo<T: Any>(&self) -> Option<&T> {
        self.demo.as_ref().and_then(|d| d.downcast_ref::<T>())
    }
}

impl Drop for Syncing {
    fn drop(&mut self) {
        self.task.abort();
        self.bridge.abort();
    }
}

/// Aborts a task when dropped, so a loop's helpers stop with it.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Starts following every account of the store on the current tokio runtime. With `demo`, the
/// demo's platforms first, their accounts' secrets held in memory only.
pub(crate) async fn start_sync(cx: &Arc<Context>, demo: bool) -> Result<Syncing> {
    let db = cx.db()?;
    let (credentials, sandbox_url, running): (Arc<dyn Credentials>, _, _) = match (demo, &cx.demo) {
        (true, Some(source)) => {
            let run = source.start(&db).await.map_err(ApiError::internal)?;
            if let Some((settings, token)) = run.shop {
                let shop = switchboard_sync::shopify::Shop::new(&settings, token).map_err(ApiError::internal)?;
                db.write(move |s| s.set_setting(switchboard_sync::shopify::SHOP_SETTING, &settings))?;
                *cx.shop.lock().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(shop));
            }
            (run.credentials, Some(run.url), Some(run.running))
        }
        (true, None) => return Err(ApiError::internal("this build of Switchboard comes without demo data")),
        (false, _) => (cx.credentials()?, None, None),
    };
    let engine = Engine::new(db, credentials);
    let sync_events = engine.subscribe();
    cx.set_engine(Some(engine.clone()));
    let task = tokio::spawn(async move {
        if let Err(e) = engine.run(Mode::Follow).await {
            tracing::warn!(error = %e, "sync stopped");
        }
    });
    let bridge = bridge::forward(cx.clone(), sync_events);
    Ok(Syncing { task, bridge, demo: running, sandbox_url })
}

/// Keeps the store's accounts syncing (with `demo`, the demo's) for as long as the returned
/// task runs: starts now if the store is open, after an unlock if not, and over again with the
/// demo when the agent asks for it or when the accounts change.
pub(crate) fn keep_syncing(cx: Arc<Context>, mut requests: mpsc::UnboundedReceiver<SyncRequest>, demo: bool) -> tokio::task::JoinHandle<()> {
    if cx.is_open() {
        cx.request_sync(demo, false);
    }
    tokio::spawn(async move {
        let _clocks = AbortOnDrop(watch_clocks(cx.clone(), CLOCK_CHECK).await);
        let mut running: Option<(Syncing, bool)> = None;
        while let Some(request) = requests.recv().await {
            // A demo stays a demo; otherwise, already running as asked (a second unlock, a
            // second click) needs nothing.
            let want_demo = request.demo || running.as_ref().is_some_and(|(_, d)| *d);
            if !request.restart && running.as_ref().is_some_and(|(_, d)| *d == want_demo) {
                continue;
            }
            running = None;
            match start_sync(&cx, want_demo).await {
                Ok(syncing) => {
                    if let Some(url) = &syncing.sandbox_url {
                        cx.emit(Event::Demo { sandbox: url.clone() });
                        cx.emit(Event::Accounts);
                    }
                    running = Some((syncing, want_demo));
                }
                Err(e) => tracing::warn!(error = %e.message, "not syncing"),
            }
        }
    })
}
