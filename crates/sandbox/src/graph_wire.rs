//! The Graph API's wire, shared by the inboxes (`graph`), Page posts and comments
//! (`graph_public`) and the fault injector: its version, the Page's names, errors as Meta sends
//! them, time and cursor formats, and paging links.

use crate::script::Channel;
use crate::state::Inner;
use axum::http::{header, HeaderMap, StatusCode};
use base64::Engine as _;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use std::collections::HashMap;

pub(crate) const VERSION: &str = "v21.0";

pub(crate) const PAGE_NAME: &str = "Acme Support";

/// The Instagram professional account linked to the Page.
pub(crate) const IG_ACCOUNT_ID: &str = "17841405309211844";

pub(crate) const IG_USERNAME: &str = "acme";

/// A Graph error object.
pub(crate) fn error(status: StatusCode, code: u32, subcode: Option<u32>, message: &str) -> Response {
    let kind = if matches!(code, 190 | 104 | 10 | 200) { "OAuthException" } else { "GraphMethodException" };
    let mut body = json!({"error": {"message": message, "type": kind, "code": code, "fbtrace_id": "AsandboxTrace0000000"}});
    if let Some(subcode) = subcode {
        body["error"]["error_subcode"] = json!(subcode);
    }
    (status, Json(body)).into_response()
}

pub(crate) fn expired() -> Response {
    error(
        StatusCode::BAD_REQUEST,
        190,
        Some(463),
        "Error validating access token: Session has expired on Monday, 23-Nov-26 10:00:00 PST.",
    )
}

pub(crate) fn throttled() -> Response {
    error(
        StatusCode::FORBIDDEN,
        80001,
        None,
        "There have been too many calls to this Page account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
    )
}

pub(crate) fn unknown_error() -> Response {
    error(StatusCode::INTERNAL_SERVER_ERROR, 2, None, "An unexpected error has occurred. Please retry your request later.")
}

/// The refusal for a request without the Page token (query `access_token` or Bearer), if it lacks it.
pub(crate) fn refusal(headers: &HeaderMap, query: &HashMap<String, String>) -> Option<Response> {
    let bearer = headers.get(header::AUTHORIZATION).and_then(|h| h.to_str().ok()).and_then(|h| h.strip_prefix("Bearer "));
    match query.get("access_token").map(String::as_str).or(bearer) {
        Some(crate::credentials::PAGE_TOKEN) => None,
        Some(_) => Some(error(StatusCode::BAD_REQUEST, 190, None, "Invalid OAuth access token - Cannot parse access token")),
        None => Some(error(StatusCode::BAD_REQUEST, 104, None, "An access token is required to request this resource.")),
    }
}

pub(crate) fn time(at: i64) -> String {
    jiff::Timestamp::from_second(at).expect("in range").strftime("%Y-%m-%dT%H:%M:%S%z").to_string()
}

pub(crate) fn encode(cursor: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(cursor)
}

pub(crate) fn decode(cursor: &str) -> Option<String> {
    String::from_utf8(base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(cursor).ok()?).ok()
}

pub(crate) fn message_id(inner: &Inner, conv: usize, turn: usize) -> String {
    match inner.world.conversations[conv].channel {
        Channel::Instagram => format!("aWdfZAG1faXRlbToxOklHTWVzc2FnZAG{conv}x{turn}"),
        _ => format!("m_{}", encode(&format!("{conv}:{turn}"))),
    }
}

pub(crate) fn link(origin: &str, path: &str, query: &HashMap<String, String>, after: &str) -> String {
    let mut params: Vec<(&str, &str)> = query.iter().filter(|(k, _)| k.as_str() != "after").map(|(k, v)| (k.as_str(), v.as_str())).collect();
    params.sort();
    params.push(("after", after));
    format!("{origin}/{VERSION}/{path}?{}", serde_urlencoded::to_string(params).expect("encodes"))
}

pub(crate) fn limit(query: &HashMap<String, String>, default: usize) -> usize {
    query.get("limit").and_then(|l| l.parse::<usize>().ok()).unwrap_or(default).clamp(1, 100)
}

pub(crate) fn not_found(node: &str, method: &str) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        100,
        Some(33),
        &format!("Unsupported {method} request. Object with ID '{node}' does not exist, cannot be loaded due to missing permissions, or does not support this operation."),
    )
}

pub(crate) fn bad_param(message: &str) -> Response {
    error(StatusCode::BAD_REQUEST, 100, None, message)
}
