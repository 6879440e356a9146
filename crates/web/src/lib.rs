//! Web mode: the same commands as the desktop shell, over HTTP on 127.0.0.1. Used when there is
//! no display, by browser tests, and for a supervisor's wall screen.
//!
//! Guards: the listener binds loopback only; every API call needs the per-launch token (random,
//! printed once in the URL); the Host header must name this loopback address, which defeats DNS
//! rebinding; every response carries the same CSP as the desktop window.

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rand::RngCore;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use subtle::ConstantTimeEq;
use switchboard_api::{ApiError, Command, ErrorCode, Workspace};

/// The Content-Security-Policy of every page: nothing but this origin's own files, and images
/// the page makes from an attachment's bytes (`data:`), never from elsewhere.
pub const CSP: &str =
    "default-src 'self'; img-src 'self' data:; base-uri 'none'; object-src 'none'; frame-ancestors 'none'; form-action 'none'";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot listen on 127.0.0.1:{port}: {source}")]
    Bind { port: u16, source: std::io::Error },
    #[error("the UI is not built: {0} has no index.html (run `cargo xtask setup`)")]
    NoUi(PathBuf),
    #[error("web server failed: {0}")]
    Serve(std::io::Error),
}

struct AppState {
    workspace: Arc<Workspace>,
    token: String,
    hosts: [String; 2],
}

pub struct Server {
    pub url: String,
    pub addr: SocketAddr,
    listener: tokio::net::TcpListener,
    router: Router,
}

impl Server {
    /// Binds 127.0.0.1:`port` (0: any free port) and prepares the routes; nothing is served yet.
    pub async fn bind(workspace: Arc<Workspace>, port: u16, ui_dir: PathBuf) -> Result<Server, Error> {
        if !ui_dir.join("index.html").is_file() {
            return Err(Error::NoUi(ui_dir));
        }
        let listener =
            tokio::net::TcpListener::bind(("127.0.0.1", port)).await.map_err(|source| Error::Bind { port, source })?;
        let addr = listener.local_addr().map_err(|source| Error::Bind { port, source })?;
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let token = hex::encode(bytes);
        let state = Arc::new(AppState {
            workspace,
            hosts: [format!("127.0.0.1:{}", addr.port()), format!("localhost:{}", addr.port())],
            token: token.clone(),
        });
        let api = Router::new()
            .route("/status", get(status))
            .route("/call", post(call))
            .route("/events", get(events))
            .layer(middleware::from_fn_with_state(state.clone(), require_token));
        let router = Router::new()
            .nest("/api", api)
            .fallback_service(
                tower_http::services::ServeDir::new(&ui_dir)
                    .fallback(tower_http::services::ServeFile::new(ui_dir.join("index.html"))),
            )
            .layer(middleware::from_fn(security_headers))
            .layer(middleware::from_fn_with_state(state.clone(), check_host))
            .with_state(state);
        Ok(Server { url: format!("http://{addr}/?token={token}"), addr, listener, router })
    }

    /// Serves until `shutdown` resolves.
    pub async fn serve(self, shutdown: impl std::future::Future<Output = ()> + Send + 'static) -> Result<(), Error> {
        axum::serve(self.listener, self.router).with_graceful_shutdown(shutdown).await.map_err(Error::Serve)
    }
}

async fn check_host(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
    if state.hosts.iter().any(|h| h == host) {
        next.run(req).await
    } else {
        tracing::warn!("refused a request for a foreign Host");
        (StatusCode::MISDIRECTED_REQUEST, "unknown host").into_response()
    }
}

async fn require_token(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    // A browser cannot set headers on a WebSocket: the event stream takes the token in its URL.
    let from_query = req
        .uri()
        .query()
        .and_then(|q| q.split('&').find_map(|pair| pair.strip_prefix("token=")))
        .filter(|_| req.uri().path() == "/events")
        .map(str::to_owned);
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::to_owned)
        .or(from_query)
        .unwrap_or_default();
    if bool::from(given.as_bytes().ct_eq(state.token.as_bytes())) {
        next.run(req).await
    } else {
        api_error(StatusCode::UNAUTHORIZED, ApiError { code: ErrorCode::Invalid, message: "missing or wrong token".into() })
    }
}

async fn security_headers(req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // The token travels in the first URL: never pass it on in a Referer.
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if api {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

fn api_error(status: StatusCode, e: ApiError) -> Response {
    (status, Json(e)).into_response()
}

fn respond<T: serde::Serialize>(result: Result<T, ApiError>) -> Response {
    match result {
        Ok(v) => Json(v).into_response(),
        Err(e) => {
            let status = match e.code {
                ErrorCode::NotFound => StatusCode::NOT_FOUND,
                ErrorCode::Invalid => StatusCode::BAD_REQUEST,
                ErrorCode::NotAllowed => StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::StoreLocked => StatusCode::LOCKED,
                ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            };
            api_error(status, e)
        }
    }
}

async fn status(State(state): State<Arc<AppState>>) -> Response {
    let ws = state.workspace.clone();
    respond(tokio::task::spawn_blocking(move || ws.status()).await.unwrap_or_else(|e| {
        Err(ApiError { code: ErrorCode::Internal, message: format!("status failed: {e}") })
    }))
}

/// One command of the command list, as JSON in and JSON out.
async fn call(State(state): State<Arc<AppState>>, body: axum::body::Bytes) -> Response {
    let command: Command = match serde_json::from_slice(&body) {
        Ok(c) => c,
        Err(e) => {
            return api_error(StatusCode::BAD_REQUEST, ApiError { code: ErrorCode::Invalid, message: format!("not a command: {e}") })
        }
    };
    let ws = state.workspace.clone();
    respond(tokio::task::spawn_blocking(move || ws.call(command)).await.unwrap_or_else(|e| {
        Err(ApiError { code: ErrorCode::Internal, message: format!("the command failed: {e}") })
    }))
}

/// The workspace's events as a WebSocket stream of JSON texts.
async fn events(State(state): State<Arc<AppState>>, upgrade: WebSocketUpgrade) -> Response {
    let events = state.workspace.subscribe();
    upgrade.on_upgrade(move |socket| forward(socket, events))
}

async fn forward(mut socket: WebSocket, mut events: tokio::sync::broadcast::Receiver<switchboard_api::Event>) {
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Ok(event) => {
                    let Ok(text) = serde_json::to_string(&event) else { continue };
                    if socket.send(Message::Text(text.into())).await.is_err() {
                        return;
                    }
                }
                // Too slow a reader: it is told to reload rather than shown a partial picture.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    let _ = socket.send(Message::Text(r#"{"event":"lagged"}"#.into())).await;
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(_)) => {}
                _ => return,
            },
        }
    }
}
