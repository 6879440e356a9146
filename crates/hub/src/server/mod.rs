//! The hub over HTTP (axum): `/api/v1/…`, every call but enrolment authenticated by the person's
//! token, supervisors' calls refused to agents. Plain HTTP only on loopback; anywhere else TLS
//! (rustls) or, said explicitly, a reverse proxy that terminates it.
//!
//! Modules: `assign` (auto-assignment), `auth` (the caller, from the token), `people` (enrolment and the team), `log` (pages
//! of the log, long-polled or pushed over a WebSocket), `actions` (what agents do to
//! conversations), `presence` (who is where, in memory), `media` (platform-hosted images for desks), `problem` (errors as answers, bodies read without quoting them back).

mod actions;
mod assign;
mod auth;
mod log;
mod media;
mod people;
mod presence;
mod problem;

use crate::engine::Engine;
use crate::replica::Replica;
use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post};
use axum::Router;
use jiff::Timestamp;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use problem::ApiError;

/// The largest request body the hub reads.
pub const BODY_LIMIT: usize = 1 << 20;

pub use crate::accounts::Now;

/// How the hub behaves.
#[derive(Clone)]
pub struct Settings {
    /// How long an enrolment code works.
    pub code_ttl: Duration,
    /// The longest a long-poll of the log waits for something new.
    pub longest_wait: Duration,
    /// How often auto-assignment looks for waiting conversations (when a supervisor turned it on).
    pub assign_every: Duration,
    pub now: Now,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { code_ttl: Duration::from_secs(7 * 24 * 3600), longest_wait: Duration::from_secs(30), assign_every: Duration::from_secs(2), now: Arc::new(Timestamp::now) }
    }
}

#[derive(Clone)]
pub(crate) struct App {
    pub(crate) engine: Arc<dyn Engine>,
    pub(crate) replica: Arc<Replica>,
    pub(crate) settings: Arc<Settings>,
    pub(crate) presence: Arc<presence::Presence>,
}

/// The hub's routes over `engine`, reading what it needs of conversations from `replica`.
pub fn router(engine: Arc<dyn Engine>, replica: Arc<Replica>, settings: Settings) -> Router {
    routes(App { engine, replica, settings: Arc::new(settings), presence: Default::default() })
}

fn routes(app: App) -> Router {
    let api = Router::new()
        .route("/enrol", post(people::enrol))
        .route("/me", get(people::me))
        .route("/people", get(people::list).post(people::add))
        .route("/people/{name}", delete(people::remove))
        .route("/people/{name}/code", post(people::renew_code))
        .route("/log", get(log::page))
        .route("/log/live", get(log::live))
        .route("/actions", post(actions::act))
        .route("/presence", get(presence::list).post(presence::say))
        .route("/media", get(media::image))
        .route("/auto-assignment", get(assign::get).put(assign::set));
    Router::new()
        .nest("/api/v1", api)
        .fallback(problem::not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(app)
}

/// Where and how the hub listens.
pub struct Listen {
    pub addr: SocketAddr,
    /// PEM files of the certificate chain and its key.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Plain HTTP off loopback, because a reverse proxy in front terminates TLS.
    pub behind_proxy: bool,
}

impl Listen {
    /// Refuses plain HTTP off loopback unless a proxy is said to terminate TLS.
    pub fn check(&self) -> crate::Result<()> {
        if self.tls.is_none() && !self.addr.ip().is_loopback() && !self.behind_proxy {
            return Err(crate::Error::invalid(format!(
                "{} is not loopback: give --tls-cert and --tls-key, or --behind-proxy if a reverse proxy terminates TLS",
                self.addr
            )));
        }
        Ok(())
    }
}

/// Serves the hub until `shutdown` resolves; `bound` hears the address once it listens.
pub async fn serve(
    engine: Arc<dyn Engine>,
    replica: Arc<Replica>,
    settings: Settings,
    listen: Listen,
    bound: impl FnOnce(SocketAddr),
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> crate::Result<()> {
    listen.check()?;
    let state = App { engine, replica, settings: Arc::new(settings), presence: Default::default() };
    // Auto-assignment runs while the hub serves (it reads the presence desks tell this hub).
    struct Abort(tokio::task::JoinHandle<()>);
    impl Drop for Abort {
        fn drop(&mut self) {
            self.0.abort();
        }
    }
    let _assigning = Abort(tokio::spawn(assign::run(state.clone())));
    let app = routes(state);
    let io = |e: std::io::Error| crate::Error::invalid(format!("cannot serve on {}: {e}", listen.addr));
    match &listen.tls {
        None => {
            let listener = tokio::net::TcpListener::bind(listen.addr).await.map_err(io)?;
            bound(listener.local_addr().map_err(io)?);
            axum::serve(listener, app).with_graceful_shutdown(shutdown).await.map_err(io)
        }
        Some((cert, key)) => {
            let _ = rustls::crypto::ring::default_provider().install_default();
            let config = axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
                .await
                .map_err(|e| crate::Error::invalid(format!("cannot read the TLS certificate or key: {e}")))?;
            let listener = std::net::TcpListener::bind(listen.addr).map_err(io)?;
            listener.set_nonblocking(true).map_err(io)?;
            bound(listener.local_addr().map_err(io)?);
            let handle = axum_server::Handle::new();
            let stopping = handle.clone();
            tokio::spawn(async move {
                shutdown.await;
                stopping.graceful_shutdown(Some(Duration::from_secs(5)));
            });
            axum_server::from_tcp_rustls(listener, config).handle(handle).serve(app.into_make_service()).await.map_err(io)
        }
    }
}
