//! The Telegram Bot API: `getUpdates` (a real long-poll: the request is held until an update
//! arrives or its timeout passes; `offset` confirms earlier updates) and `sendMessage`.

use crate::script::{Channel, Speaker, Turn};
use crate::state::{Inner, State};
use axum::body::Bytes;
use axum::extract::{Path, Query, State as Shared};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

const BOT_ID: i64 = 123_456;
const LONGEST_POLL: u64 = 50;

pub(crate) fn routes() -> Router<Arc<State>> {
    Router::new()
        .route("/{bot}/getUpdates", get(get_updates).post(get_updates))
        .route("/{bot}/sendMessage", post(send_message))
        .route("/{bot}/getFile", get(get_file).post(get_file))
        .route("/file/{bot}/photos/{name}", get(file))
}

/// A photo's `file_id`; the small size's ends in `s`.
fn photo_file_id(conv: usize, turn: usize) -> String {
    format!("AgACAgIAAxkBAAI{conv:06}{turn:03}")
}

#[derive(Deserialize)]
struct FileQuery {
    file_id: Option<String>,
}

/// `getFile`: where the file server has a photo a customer sent.
async fn get_file(Shared(state): Shared<Arc<State>>, Path(bot): Path<String>, Query(q): Query<FileQuery>) -> Response {
    if let Some(refused) = refusal(&bot) {
        return refused;
    }
    let Some(file_id) = q.file_id else {
        return error(StatusCode::BAD_REQUEST, "Bad Request: file_id not specified");
    };
    let parsed = file_id.strip_prefix("AgACAgIAAxkBAAI").map(|rest| rest.trim_end_matches('s')).filter(|rest| rest.len() == 9 && rest.bytes().all(|b| b.is_ascii_digit()));
    let found = parsed.and_then(|rest| {
        let (conv, turn): (usize, usize) = (rest[..6].parse().ok()?, rest[6..].parse().ok()?);
        let inner = state.read();
        let c = inner.world.conversations.get(conv).filter(|c| c.channel == Channel::Telegram)?;
        let a = c.turns.get(turn)?.attachment.as_ref()?;
        Some((conv, turn, a.size))
    });
    match found {
        Some((conv, turn, size)) => Json(json!({"ok": true, "result": {
            "file_id": file_id, "file_unique_id": format!("AQAD{conv}{turn}"), "file_size": size,
            "file_path": format!("photos/file_{conv}_{turn}.jpg"),
        }}))
        .into_response(),
        None => error(StatusCode::BAD_REQUEST, "Bad Request: invalid file_id"),
    }
}

/// The file server: every photo is the sandbox's one picture.
async fn file(Path((bot, name)): Path<(String, String)>) -> Response {
    if let Some(refused) = refusal(&bot) {
        return refused;
    }
    if !name.starts_with("file_") || !name.ends_with(".jpg") {
        return error(StatusCode::NOT_FOUND, "Not Found");
    }
    crate::media::photo()
}

pub(crate) fn error(status: StatusCode, description: &str) -> Response {
    (status, Json(json!({"ok": false, "error_code": status.as_u16(), "description": description}))).into_response()
}

/// A 429 as Telegram words it: the wait is in the body, not a header.
pub(crate) fn rate_limited(retry_after: u64) -> Response {
    let body = json!({
        "ok": false, "error_code": 429,
        "description": format!("Too Many Requests: retry after {retry_after}"),
        "parameters": {"retry_after": retry_after},
    });
    (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response()
}

/// The refusal for a request with a wrong token, if it has one.
fn refusal(bot: &str) -> Option<Response> {
    match bot.strip_prefix("bot") {
        Some(token) if token == crate::credentials::TELEGRAM_BOT_TOKEN => None,
        Some(_) => Some(error(StatusCode::UNAUTHORIZED, "Unauthorized")),
        None => Some(error(StatusCode::NOT_FOUND, "Not Found")),
    }
}

#[derive(Deserialize)]
struct UpdatesQuery {
    offset: Option<i64>,
    limit: Option<i64>,
    timeout: Option<u64>,
}

fn chat_json(inner: &Inner, conv: usize) -> Value {
    let c = &inner.world.conversations[conv];
    let customer = &inner.world.customers[c.customer];
    json!({"id": customer.handle(Channel::Telegram).parse::<i64>().expect("numeric"), "first_name": customer.first_name, "type": "private"})
}

fn message_json(inner: &Inner, conv: usize, turn: usize) -> Value {
    let c = &inner.world.conversations[conv];
    let customer = &inner.world.customers[c.customer];
    let t: &Turn = &c.turns[turn];
    let chat = chat_json(inner, conv);
    let from = if t.speaker == Speaker::Customer {
        let last = customer.name.replace(&customer.first_name, "").trim().to_owned();
        let mut from = json!({
            "id": chat["id"], "is_bot": false, "first_name": customer.first_name,
            "language_code": if customer.lang == crate::script::Lang::Ko { "ko" } else { "en" },
        });
        if !last.is_empty() {
            from["last_name"] = json!(last);
        }
        from
    } else {
        json!({"id": BOT_ID, "is_bot": true, "first_name": "Acme Support", "username": "acme_support_bot"})
    };
    let mut message = json!({"message_id": turn as i64 + 1, "from": from, "chat": chat, "date": t.at});
    match &t.attachment {
        Some(a) => {
            let id = photo_file_id(conv, turn);
            message["photo"] = json!([
                {"file_id": format!("{id}s"), "file_unique_id": format!("AQAD{conv}{turn}s"), "file_size": a.size / 20, "width": 90, "height": 67},
                {"file_id": id, "file_unique_id": format!("AQAD{conv}{turn}"), "file_size": a.size, "width": 1280, "height": 960},
            ]);
            message["caption"] = json!(t.text);
        }
        None => message["text"] = json!(t.text),
    }
    message
}

async fn get_updates(Shared(state): Shared<Arc<State>>, Path(bot): Path<String>, Query(q): Query<UpdatesQuery>) -> Response {
    if let Some(refused) = refusal(&bot) {
        return refused;
    }
    let limit = q.limit.unwrap_or(100).clamp(1, 100) as usize;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(q.timeout.unwrap_or(0).min(LONGEST_POLL));
    loop {
        // Registered before looking, so an update that lands in between still wakes us.
        let notified = state.telegram_update.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let result: Vec<Value> = {
            let mut inner = state.lock();
            match q.offset {
                // Confirms every update before `offset` (ids only grow, so they are in front).
                Some(offset) if offset > 0 => {
                    while inner.updates.front().is_some_and(|u| u.id < offset) {
                        inner.updates.pop_front();
                    }
                }
                // The last -offset updates; the earlier ones are forgotten.
                Some(offset) if offset < 0 => {
                    let keep = (-offset) as usize;
                    let drop = inner.updates.len().saturating_sub(keep);
                    inner.updates.drain(..drop);
                }
                _ => {}
            }
            inner
                .updates
                .iter()
                .take(limit)
                .map(|u| json!({"update_id": u.id, "message": message_json(&inner, u.conv, u.turn)}))
                .collect()
        };
        if !result.is_empty() || tokio::time::Instant::now() >= deadline {
            return Json(json!({"ok": true, "result": result})).into_response();
        }
        let _ = tokio::time::timeout_at(deadline, notified).await;
    }
}

#[derive(Deserialize)]
struct SendMessage {
    chat_id: Value,
    text: Option<String>,
}

async fn send_message(Shared(state): Shared<Arc<State>>, Path(bot): Path<String>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(refused) = refusal(&bot) {
        return refused;
    }
    let json_body = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("application/json"));
    let parsed: Result<SendMessage, String> = if json_body {
        serde_json::from_slice(&body).map_err(|e| e.to_string())
    } else {
        serde_urlencoded::from_bytes(&body).map_err(|e| e.to_string())
    };
    let Ok(request) = parsed else {
        return error(StatusCode::BAD_REQUEST, "Bad Request: chat_id is empty");
    };
    let chat = match &request.chat_id {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        _ => return error(StatusCode::BAD_REQUEST, "Bad Request: chat_id is empty"),
    };
    let text = request.text.unwrap_or_default();
    if text.trim().is_empty() {
        return error(StatusCode::BAD_REQUEST, "Bad Request: message text is empty");
    }
    if text.chars().count() > 4096 {
        return error(StatusCode::BAD_REQUEST, "Bad Request: message is too long");
    }
    let mut inner = state.lock();
    let Some(conv) = inner.conversation_with(Channel::Telegram, &chat) else {
        return error(StatusCode::BAD_REQUEST, "Bad Request: chat not found");
    };
    inner.record_reply(Channel::Telegram.name(), &chat, &text);
    let at = jiff::Timestamp::now().as_second();
    let turn = inner.append_turn(conv, Turn { speaker: Speaker::Agent, text, at, attachment: None }, None);
    Json(json!({"ok": true, "result": message_json(&inner, conv, turn)})).into_response()
}
