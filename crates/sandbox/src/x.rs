//! X API v2 direct messages for the business's account: `GET /2/dm_events` (newest first, the
//! last 30 days, `pagination_token`, users and DM media expanded) and `POST /2/dm_conversations/with/:id/messages`.
//! OAuth 2.0 user token as Bearer. Every answer carries `x-rate-limit-*`; a client over its budget
//! gets a 429. Errors are RFC 7807 problems; the DM rate limit answers with code 88.

use crate::script::{Channel, Speaker, Turn};
use crate::media::{origin, photo};
use crate::state::{Inner, State};
use crate::x_wire::{limit_headers, parse_token, problem, rate_limited, refusal, token};
use axum::extract::{Path, Query, Request, State as Shared};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

const HISTORY: i64 = 30 * 86_400;
const MAX_TEXT: usize = 10_000;
/// What the headers report when the sandbox has no budget: X's per-user DM limit.
const UNMETERED: u32 = 15_000;

pub(crate) fn routes(state: Arc<State>) -> Router<Arc<State>> {
    Router::new()
        .route("/2/users/me", get(me))
        .route("/2/dm_events", get(dm_events))
        .route("/2/dm_conversations/with/{participant}/messages", post(send))
        .merge(crate::x_public::routes())
        .route_layer(axum::middleware::from_fn_with_state(state, metered))
}

/// Meters each endpoint separately, as X does, and reports what is left.
async fn metered(Shared(state): Shared<Arc<State>>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let endpoint = match path {
        "/2/dm_events" => "x:dm_events",
        "/2/users/me" => "x:users_me",
        "/2/tweets/search/recent" => "x:search",
        "/2/tweets" => "x:tweet_create",
        _ if path.ends_with("/mentions") => "x:mentions",
        _ if path.ends_with("/tweets") => "x:user_tweets",
        _ => "x:dm_create",
    };
    match state.spend(endpoint) {
        None => {
            let mut r = next.run(request).await;
            limit_headers(r.headers_mut(), UNMETERED, UNMETERED - 1, 900.0);
            r
        }
        Some(u) => {
            let reset_in = u.frees_in.as_secs_f64();
            if u.over() {
                state.count_throttled(Channel::X);
                return rate_limited(u.limit, reset_in);
            }
            let mut r = next.run(request).await;
            limit_headers(r.headers_mut(), u.limit, u.limit - u.used, reset_in);
            r
        }
    }
}

fn conversation_id(customer: &str) -> String {
    // A one-to-one conversation is named by both user ids, the smaller first.
    let business = crate::credentials::X_USER_ID;
    let (a, b) = if customer.len() < business.len() || (customer.len() == business.len() && customer < business) { (customer, business) } else { (business, customer) };
    format!("{a}-{b}")
}

// A `dm_events` page, typed rather than built as `json!` trees: a sync asks for thousands, on the
// same cores as the app being measured.

#[derive(serde::Serialize)]
struct EventJson<'a> {
    id: String,
    text: &'a str,
    event_type: &'static str,
    created_at: String,
    dm_conversation_id: String,
    sender_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    attachments: Option<AttachmentsJson>,
}

#[derive(serde::Serialize)]
struct AttachmentsJson {
    media_keys: [String; 1],
}

#[derive(serde::Serialize)]
struct MediaJson {
    media_key: String,
    #[serde(rename = "type")]
    kind: &'static str,
    url: String,
}

#[derive(serde::Serialize)]
struct UserJson<'a> {
    id: &'a str,
    name: &'a str,
    username: String,
}

#[derive(serde::Serialize)]
struct EventsJson<'a> {
    data: Vec<EventJson<'a>>,
    meta: MetaJson,
    #[serde(skip_serializing_if = "Option::is_none")]
    includes: Option<IncludesJson<'a>>,
}

#[derive(serde::Serialize)]
struct MetaJson {
    result_count: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

#[derive(serde::Serialize)]
struct IncludesJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    users: Option<Vec<UserJson<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    media: Option<Vec<MediaJson>>,
}

fn event_json(inner: &Inner, id: u64, conv: usize, turn: usize) -> EventJson<'_> {
    let c = &inner.world.conversations[conv];
    let customer = inner.world.customers[c.customer].handle(Channel::X);
    let t: &Turn = &c.turns[turn];
    let sender = if t.speaker == Speaker::Customer { customer.clone() } else { crate::credentials::X_USER_ID.to_owned() };
    EventJson {
        id: id.to_string(),
        text: &t.text,
        event_type: "MessageCreate",
        created_at: jiff::Timestamp::from_second(t.at).expect("in range").strftime("%Y-%m-%dT%H:%M:%S.000Z").to_string(),
        dm_conversation_id: conversation_id(&customer),
        sender_id: sender,
        attachments: t.attachment.is_some().then(|| AttachmentsJson { media_keys: [format!("3_{id}")] }),
    }
}

/// A DM photo as X describes it: its link is on `origin`'s stand-in for ton.twitter.com, which
/// shows it only to an X session or a request signed with OAuth 1.0a (see `ton`).
fn media_json(event: u64, origin: &str) -> MediaJson {
    MediaJson {
        media_key: format!("3_{event}"),
        kind: "photo",
        url: format!("{origin}/1.1/ton/data/dm/{event}/{event}/{}.jpg", token(event)),
    }
}

/// `GET /1.1/ton/data/dm/:event/:media/:name`: a DM's photo, for a request signed with the
/// account's OAuth 1.0a keys (the OAuth 2.0 token is refused), as X's v1.1 errors say it.
pub(crate) async fn ton(Shared(state): Shared<Arc<State>>, Path((event, media, name)): Path<(String, String, String)>, headers: HeaderMap, uri: axum::http::Uri) -> Response {
    use crate::credentials as c;
    let keys = crate::oauth1::Keys { consumer_key: c::X_CONSUMER_KEY, consumer_secret: c::X_CONSUMER_SECRET, token: c::X_ACCESS_TOKEN, token_secret: c::X_ACCESS_TOKEN_SECRET };
    let url = format!("{}{}", origin(&headers), uri.path());
    let query: Vec<(String, String)> = serde_urlencoded::from_str(uri.query().unwrap_or_default()).unwrap_or_default();
    let authorization = headers.get(header::AUTHORIZATION).and_then(|h| h.to_str().ok());
    if let Err(refusal) = crate::oauth1::verify(&url, &query, authorization, &keys, jiff::Timestamp::now().as_second(), &state.nonces) {
        return (StatusCode::UNAUTHORIZED, Json(json!({"errors": [{"code": refusal.code(), "message": refusal.message()}]}))).into_response();
    }
    // Only a photo sent in a DM exists: named by its event, the media's id and its file name.
    let inner = state.read();
    let sent = event.parse::<u64>().ok().and_then(|id| {
        let e = inner.x_events.get(inner.x_events.partition_point(|e| e.id < id))?;
        (e.id == id && inner.world.conversations[e.conv].turns[e.turn].attachment.is_some()).then_some(id)
    });
    match sent {
        Some(id) if media == event && name == format!("{}.jpg", token(id)) => photo(),
        _ => (StatusCode::NOT_FOUND, Json(json!({"errors": [{"code": 34, "message": "Sorry, that page does not exist."}]}))).into_response(),
    }
}

fn user_json<'a>(inner: &'a Inner, id: &'a str, conv: usize) -> UserJson<'a> {
    if id == crate::credentials::X_USER_ID {
        return UserJson { id, name: "Acme Support", username: "acmesupport".into() };
    }
    let c = &inner.world.customers[inner.world.conversations[conv].customer];
    UserJson { id, name: &c.name, username: c.username() }
}

#[derive(Deserialize)]
struct EventsQuery {
    max_results: Option<String>,
    pagination_token: Option<String>,
    expansions: Option<String>,
}

async fn me(headers: HeaderMap) -> Response {
    if let Some(refused) = refusal(&headers) {
        return refused;
    }
    Json(json!({"data": {"id": crate::credentials::X_USER_ID, "name": "Acme Support", "username": "acmesupport"}})).into_response()
}

async fn dm_events(Shared(state): Shared<Arc<State>>, headers: HeaderMap, Query(q): Query<EventsQuery>) -> Response {
    let origin = origin(&headers);
    if let Some(refused) = refusal(&headers) {
        return refused;
    }
    let max = match q.max_results.as_deref().map(str::parse::<usize>) {
        None => 100,
        Some(Ok(n)) if (1..=100).contains(&n) => n,
        Some(_) => return problem(StatusCode::BAD_REQUEST, "The `max_results` query parameter value is not between 1 and 100"),
    };
    let before = match q.pagination_token.as_deref() {
        None => u64::MAX,
        Some(t) => match parse_token(t) {
            Some(id) => id,
            None => return problem(StatusCode::BAD_REQUEST, "The `pagination_token` query parameter value is invalid"),
        },
    };
    let oldest = jiff::Timestamp::now().as_second() - HISTORY;
    let inner = state.read();
    // Ids grow with time: the page starts below the token's id.
    let end = inner.x_events.partition_point(|e| e.id < before);
    let mut older = inner.x_events[..end].iter().rev().take_while(|e| inner.world.conversations[e.conv].turns[e.turn].at >= oldest);
    let page: Vec<_> = older.by_ref().take(max).collect();
    let more = older.next().is_some();
    if page.is_empty() {
        return Json(json!({"meta": {"result_count": 0}})).into_response();
    }
    let mut users: BTreeMap<String, usize> = BTreeMap::new();
    let mut media: Vec<MediaJson> = Vec::new();
    let data: Vec<EventJson> = page
        .iter()
        .map(|e| {
            let event = event_json(&inner, e.id, e.conv, e.turn);
            users.entry(event.sender_id.clone()).or_insert(e.conv);
            if event.attachments.is_some() {
                media.push(media_json(e.id, &origin));
            }
            event
        })
        .collect();
    let meta = MetaJson { result_count: data.len(), next_token: more.then(|| token(page.last().expect("non-empty").id)) };
    let expanded = |what: &str| q.expansions.as_deref().is_some_and(|e| e.split(',').any(|x| x == what));
    let users = expanded("sender_id").then(|| users.iter().map(|(id, conv)| user_json(&inner, id, *conv)).collect());
    let media = (expanded("attachments.media_keys") && !media.is_empty()).then_some(media);
    let includes = (users.is_some() || media.is_some()).then_some(IncludesJson { users, media });
    Json(EventsJson { data, meta, includes }).into_response()
}

async fn send(Shared(state): Shared<Arc<State>>, Path(participant): Path<String>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    if let Some(refused) = refusal(&headers) {
        return refused;
    }
    let text = serde_json::from_slice::<HashMap<String, Value>>(&body).ok().and_then(|b| b.get("text").and_then(|t| t.as_str()).map(str::to_owned));
    let Some(text) = text.filter(|t| !t.trim().is_empty()) else {
        return problem(StatusCode::BAD_REQUEST, "One or more parameters to your request was invalid: text must not be empty");
    };
    if text.chars().count() > MAX_TEXT {
        return problem(StatusCode::BAD_REQUEST, "One or more parameters to your request was invalid: text is longer than 10000 characters");
    }
    let mut inner = state.lock();
    // A customer the business has not written to yet (one who mentioned it in public) gets a
    // new conversation; an unknown user id cannot be written to.
    let conv = match inner.conversation_with(Channel::X, &participant) {
        Some(conv) => conv,
        None => match inner.world.x_customer(&participant) {
            Some(customer) => inner.open_conversation(Channel::X, customer),
            None => return problem(StatusCode::FORBIDDEN, "You are not permitted to send a message to this user."),
        },
    };
    inner.record_reply(Channel::X.name(), &participant, &text);
    let now = jiff::Timestamp::now().as_second();
    inner.append_turn(conv, Turn { speaker: Speaker::Agent, text, at: now, attachment: None }, None);
    let id = inner.x_events.last().expect("just appended").id;
    (StatusCode::CREATED, Json(json!({"data": {"dm_conversation_id": conversation_id(&participant), "dm_event_id": id.to_string()}}))).into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn pagination_tokens_round_trip() {
        assert_eq!(super::parse_token(&super::token(1_790_000_000_000_000_321)), Some(1_790_000_000_000_000_321));
        assert_eq!(super::parse_token("not a token!"), None);
    }
}
