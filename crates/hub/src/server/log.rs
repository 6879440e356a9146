//! Pages of the log for desks to follow: long-polled (`GET /log?after=N&wait=S`: answered at
//! once when there is something after N, else when something comes or the wait is over), or
//! pushed over a WebSocket (`/log/live?after=N`) as it is appended.

use super::auth::Caller;
use super::problem::ApiError;
use super::App;
use crate::engine::{Entry, Seq};
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::time::Duration;
use switchboard_core::team::{LogEntry, LogPage, ProblemCode, LOG_PAGE_LIMIT};

#[derive(Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    after: Seq,
    limit: Option<usize>,
    /// Seconds to wait for something new (at most the hub's longest wait).
    #[serde(default)]
    wait: u64,
}

fn entry(e: Entry) -> Result<LogEntry, ApiError> {
    let record = RawValue::from_string(e.body).map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, ProblemCode::Internal, "a record of the log does not read"))?;
    Ok(LogEntry { seq: e.seq, at: e.at, actor: e.actor, record })
}

async fn read(app: &App, after: Seq, limit: usize) -> Result<LogPage, ApiError> {
    let head = *app.engine.head().borrow();
    let entries = app.engine.read_after(after, limit).await?.into_iter().map(entry).collect::<Result<Vec<_>, _>>()?;
    let head = entries.last().map_or(head, |e| e.seq.max(head));
    Ok(LogPage { entries, head })
}

pub async fn page(State(app): State<App>, _: Caller, Query(q): Query<PageQuery>) -> Result<Json<LogPage>, ApiError> {
    if q.after < 0 {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, ProblemCode::Invalid, "`after` is a record's number, 0 or more"));
    }
    let limit = q.limit.unwrap_or(LOG_PAGE_LIMIT).clamp(1, LOG_PAGE_LIMIT);
    let wait = Duration::from_secs(q.wait).min(app.settings.longest_wait);
    let deadline = tokio::time::Instant::now() + wait;
    let mut head = app.engine.head();
    loop {
        head.borrow_and_update();
        let page = read(&app, q.after, limit).await?;
        if !page.entries.is_empty() {
            return Ok(Json(page));
        }
        // Nothing yet: wait for an append (or the end of the wait), then read again.
        match tokio::time::timeout_at(deadline, head.changed()).await {
            Ok(Ok(())) => continue,
            _ => return Ok(Json(page)),
        }
    }
}

#[derive(Deserialize)]
pub struct LiveQuery {
    #[serde(default)]
    after: Seq,
}

pub async fn live(State(app): State<App>, Caller(person): Caller, Query(q): Query<LiveQuery>, upgrade: WebSocketUpgrade) -> Response {
    upgrade.on_upgrade(move |socket| push(app, socket, q.after.max(0), person.id))
}

/// Sends every page after `after` as it is appended, until the desk goes away or its person is
/// no longer on the team.
async fn push(app: App, mut socket: WebSocket, mut after: Seq, person: i64) {
    let mut head = app.engine.head();
    // The team is asked again at least this often; a removal in the log closes the socket at once.
    let mut checked = tokio::time::Instant::now();
    loop {
        head.borrow_and_update();
        let page = match read(&app, after, LOG_PAGE_LIMIT).await {
            Ok(page) => page,
            Err(e) => {
                let _ = socket.send(Message::Close(Some(axum::extract::ws::CloseFrame { code: 1011, reason: e.problem.message.into() }))).await;
                return;
            }
        };
        if let Some(last) = page.entries.last() {
            // A removed person's socket closes at the record that says so (every removal is
            // appended) or at the next check, never carrying what follows it.
            let removed = page.entries.iter().any(|e| removes(&e.record, person));
            let recheck = checked.elapsed() >= PEOPLE_CHECK;
            if removed || recheck {
                checked = tokio::time::Instant::now();
                let still = !removed && app.engine.people().await.is_ok_and(|people| people.iter().any(|p| p.id == person));
                if !still {
                    let _ = socket.send(Message::Close(Some(axum::extract::ws::CloseFrame { code: 1008, reason: "no longer on this team".into() }))).await;
                    return;
                }
            }
            after = last.seq;
            let text = serde_json::to_string(&page).expect("pages serialise");
            if socket.send(Message::Text(text.into())).await.is_err() {
                return;
            }
            continue;
        }
        tokio::select! {
            changed = head.changed() => if changed.is_err() { return },
            message = socket.recv() => match message {
                // The desk says nothing on this socket yet but pings; anything else ends it.
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                _ => return,
            },
        }
    }
}

/// How often a socket asks whether its person is still on the team, besides reading removals.
const PEOPLE_CHECK: Duration = Duration::from_secs(5);

/// Whether a record of the log says `person` left the team.
fn removes(record: &serde_json::value::RawValue, person: i64) -> bool {
    #[derive(serde::Deserialize)]
    struct Left {
        kind: String,
        id: i64,
        #[serde(default)]
        removed: bool,
    }
    record.get().contains("\"person\"") && serde_json::from_str::<Left>(record.get()).is_ok_and(|r| r.kind == "person" && r.id == person && r.removed)
}
