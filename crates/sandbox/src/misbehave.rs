//! The fault injector at work: a middleware in front of every platform that answers as the
//! faults in force say (see `faults`), each shaped as the platform would send it.

use crate::script::Channel;
use crate::state::State;
use axum::body::Body;
use axum::extract::{Request, State as Shared};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use rand::Rng;
use std::sync::Arc;
use std::time::Duration;

fn channel_of(path: &str) -> Option<Channel> {
    if path.starts_with("/bot") {
        Some(Channel::Telegram)
    } else if path.starts_with("/2010-04-01/") {
        // SMS and WhatsApp share the Twilio account; faults treat them as one.
        Some(Channel::Sms)
    } else if path.starts_with(&format!("/{}/", crate::graph_wire::VERSION)) {
        // Likewise Messenger and Instagram share the Page's Graph API.
        Some(Channel::Messenger)
    } else if path.starts_with("/2/") {
        Some(Channel::X)
    } else {
        None
    }
}

/// An error in the platform's own format (the platform modules know them).
fn platform_error(channel: Channel, status: StatusCode, retry_after: u64) -> Response {
    let mut response = match (channel, status.as_u16()) {
        // X tells the wait in its rate-limit headers, not in Retry-After.
        (Channel::X, 429) => return crate::x_wire::rate_limited(1, retry_after as f64),
        (Channel::X, _) => crate::x_wire::problem(status, status.canonical_reason().unwrap_or("Error")),
        // Meta throttles with an error code (and, to some clients, Retry-After), not with 429.
        (Channel::Messenger | Channel::Instagram, 429) => crate::graph_wire::throttled(),
        (Channel::Messenger | Channel::Instagram, 401) => crate::graph_wire::expired(),
        (Channel::Messenger | Channel::Instagram, _) => crate::graph_wire::unknown_error(),
        (Channel::Telegram, 429) => crate::telegram::rate_limited(retry_after),
        (Channel::Telegram, 401) => crate::telegram::error(status, "Unauthorized"),
        (Channel::Telegram, _) => crate::telegram::error(status, status.canonical_reason().unwrap_or("Error")),
        (_, 429) => crate::twilio::error(status, 20429, "Too Many Requests"),
        (_, 401) => crate::twilio::error(status, 20003, "Authenticate"),
        _ => crate::twilio::error(status, 20500, "Internal Server Error"),
    };
    if status == StatusCode::TOO_MANY_REQUESTS {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    }
    response
}

enum Fault {
    None,
    ServerError,
    RateLimit,
    Reset,
    Slow,
    Truncate,
    Malformed,
    MalformedPage,
}

pub(crate) async fn inject(Shared(state): Shared<Arc<State>>, request: Request, next: Next) -> Response {
    let Some(channel) = channel_of(request.uri().path()) else { return next.run(request).await };
    let injector = &state.faults;
    let faults = injector.faults();
    let requests = state.count_request(channel);
    if faults.expire.iter().any(|(c, n)| *c == channel && requests > *n) {
        return platform_error(channel, StatusCode::UNAUTHORIZED, 0);
    }
    let fault = {
        let f = &faults;
        let roll: f64 = injector.rng.lock().unwrap_or_else(|p| p.into_inner()).gen();
        let mut edge = 0.0;
        let mut pick = |p: f64| {
            edge += p;
            roll < edge
        };
        if pick(f.server_error) {
            Fault::ServerError
        } else if pick(f.rate_limit) {
            Fault::RateLimit
        } else if pick(f.reset) {
            Fault::Reset
        } else if pick(f.slow) {
            Fault::Slow
        } else if pick(f.truncate) {
            Fault::Truncate
        } else if pick(f.malformed) {
            Fault::Malformed
        } else if pick(f.malformed_page) {
            Fault::MalformedPage
        } else {
            Fault::None
        }
    };
    match fault {
        Fault::None => next.run(request).await,
        Fault::ServerError => platform_error(channel, StatusCode::SERVICE_UNAVAILABLE, 0),
        Fault::RateLimit => platform_error(channel, StatusCode::TOO_MANY_REQUESTS, faults.retry_after),
        Fault::Slow => {
            tokio::time::sleep(Duration::from_millis(300)).await;
            next.run(request).await
        }
        Fault::Reset => {
            // The platform did its work; the answer never arrives whole.
            let response = next.run(request).await;
            let (parts, _) = response.into_parts();
            let broken = futures_util::stream::once(async {
                Err::<axum::body::Bytes, std::io::Error>(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "sandbox: connection reset"))
            });
            Response::from_parts(parts, Body::from_stream(broken))
        }
        Fault::Truncate => {
            let response = next.run(request).await;
            let (mut parts, body) = response.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
            let cut = bytes.slice(..bytes.len() / 2);
            parts.headers.remove(header::CONTENT_LENGTH);
            Response::from_parts(parts, Body::from(cut))
        }
        Fault::Malformed => {
            let pick = injector.rng.lock().unwrap_or_else(|p| p.into_inner()).gen::<u64>();
            rewrite(next.run(request).await, |json| spoil_one_record(json, pick)).await
        }
        Fault::MalformedPage => rewrite(next.run(request).await, spoil_page).await,
    }
}

/// The response with its JSON body changed by `spoil` (left as it was when `spoil` finds nothing
/// to change, or the body is not JSON).
async fn rewrite(response: Response, spoil: impl FnOnce(&mut serde_json::Value) -> bool) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    let body = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(mut json) => {
            if spoil(&mut json) {
                serde_json::to_vec(&json).expect("json")
            } else {
                bytes.to_vec()
            }
        }
        Err(_) => bytes.to_vec(),
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body))
}

/// Turns a list answer's records into the text of its first record: `data` (or `messages`,
/// `result`) becomes a string. False when the answer has no such list.
fn spoil_page(json: &mut serde_json::Value) -> bool {
    fn first_text(v: &serde_json::Value) -> Option<String> {
        match v {
            serde_json::Value::Object(map) => ["message", "body", "text"]
                .iter()
                .find_map(|k| map.get(*k).and_then(|t| t.as_str()).map(str::to_owned))
                .or_else(|| map.values().find_map(first_text)),
            serde_json::Value::Array(list) => list.iter().find_map(first_text),
            _ => None,
        }
    }
    for key in ["result", "messages", "data"] {
        if let Some(list) = json.get_mut(key).filter(|v| v.is_array()) {
            let text = first_text(list).unwrap_or_else(|| list.to_string());
            *list = serde_json::Value::String(text);
            return true;
        }
    }
    false
}

/// Replaces one record of a list answer with one no client can read; false when there is none.
/// A Telegram update keeps its id (the offset must still move past it).
fn spoil_one_record(json: &mut serde_json::Value, pick: u64) -> bool {
    let spoiled = serde_json::json!({"id": "spoiled", "created_time": 17, "date": "yesterday", "unexpected": [1, 2, 3]});
    for key in ["result", "messages", "data"] {
        if let Some(list) = json.get_mut(key).and_then(|v| v.as_array_mut()).filter(|l| !l.is_empty()) {
            let i = (pick % list.len() as u64) as usize;
            match list[i].get_mut("message") {
                Some(message) if key == "result" => *message = spoiled,
                _ => list[i] = spoiled,
            }
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spoiled_page_holds_its_first_records_text_where_its_list_was() {
        let mut page = serde_json::json!({"messages": [{"sid": "SM1", "body": "card 4111"}, {"sid": "SM2", "body": "later"}], "next_page_uri": null});
        assert!(spoil_page(&mut page));
        assert_eq!(page["messages"], "card 4111");
        let mut update = serde_json::json!({"ok": true, "result": [{"update_id": 1, "message": {"text": "hi there"}}]});
        assert!(spoil_page(&mut update));
        assert_eq!(update["result"], "hi there");
        assert!(!spoil_page(&mut serde_json::json!({"id": "m_1"})));
    }
}
