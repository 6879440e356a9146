//! X API v2's wire, shared by direct messages (`x`), mentions and search (`x_public`) and the
//! fault injector: RFC 7807 problems, the rate-limit headers, the user token, paging tokens.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

pub(crate) fn problem(status: StatusCode, detail: &str) -> Response {
    let title = status.canonical_reason().unwrap_or("Error");
    (status, Json(json!({"title": title, "detail": detail, "type": "about:blank", "status": status.as_u16()}))).into_response()
}

/// A 429 as X sends it for DMs, with the window's end in `x-rate-limit-reset`.
pub(crate) fn rate_limited(limit: u32, reset_in: f64) -> Response {
    let mut r = (StatusCode::TOO_MANY_REQUESTS, Json(json!({"errors": [{"code": 88, "message": "Rate limit exceeded"}]}))).into_response();
    limit_headers(r.headers_mut(), limit, 0, reset_in);
    r
}

pub(crate) fn limit_headers(headers: &mut HeaderMap, limit: u32, remaining: u32, reset_in: f64) {
    // Rounded up: a client that waits until `reset` finds the window renewed.
    let now = jiff::Timestamp::now().as_millisecond() as f64 / 1000.0;
    let reset = (now + reset_in).ceil() as u64;
    headers.insert("x-rate-limit-limit", HeaderValue::from(limit));
    headers.insert("x-rate-limit-remaining", HeaderValue::from(remaining));
    headers.insert("x-rate-limit-reset", HeaderValue::from(reset));
}

/// The refusal for a request without the user token, if it lacks it.
pub(crate) fn refusal(headers: &HeaderMap) -> Option<Response> {
    let bearer = headers.get(header::AUTHORIZATION).and_then(|h| h.to_str().ok()).and_then(|h| h.strip_prefix("Bearer "));
    (bearer != Some(crate::credentials::X_TOKEN)).then(|| problem(StatusCode::UNAUTHORIZED, "Unauthorized"))
}

pub(crate) fn token(id: u64) -> String {
    format!("{id:x}").chars().rev().collect::<String>().to_uppercase()
}

pub(crate) fn parse_token(token: &str) -> Option<u64> {
    u64::from_str_radix(&token.chars().rev().collect::<String>().to_lowercase(), 16).ok()
}
