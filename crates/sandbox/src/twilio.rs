//! Twilio Programmable Messaging: the Messages list (newest first, `PageSize`, `next_page_uri`
//! holding a `PageToken`, filters `To`, `From`, `DateSent`) and Messages create, for the
//! business's SMS number and its `whatsapp:` number. HTTP Basic auth with the account SID.

use crate::script::{Attachment, Channel, Speaker, Turn};
use crate::state::{twilio_sid, State, TwilioMessage};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State as Shared};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine as _;
use serde_json::{json, Value};
use std::sync::Arc;

const API: &str = "/2010-04-01/Accounts";

pub(crate) fn routes() -> Router<Arc<State>> {
    Router::new()
        .route("/2010-04-01/Accounts/{sid}/Messages.json", get(list).post(create))
        .route("/2010-04-01/Accounts/{sid}/Messages/{message}/Media.json", get(media_list))
        .route("/2010-04-01/Accounts/{sid}/Messages/{message}/Media/{media}", get(media))
        .route("/mms-media/{sid}/{media}", get(media_file))
}

/// A message's media, as Twilio lists them: each photo a customer sent (`ME` + the message's
/// own id).
fn media_of(state: &State, message: &str) -> Option<Vec<String>> {
    let inner = state.read();
    let m = inner.twilio.get(*inner.twilio_index.get(message)?)?;
    Some((0..m.num_media).map(|i| format!("ME{}{i}", &m.sid[2..m.sid.len() - 1])).collect())
}

/// A media resource's description.
fn media_json(sid: &str, message: &str, me: &str) -> Value {
    json!({"account_sid": sid, "content_type": "image/jpeg", "parent_sid": message, "sid": me,
           "uri": format!("{API}/{sid}/Messages/{message}/Media/{me}.json")})
}

async fn media_list(Shared(state): Shared<Arc<State>>, Path((sid, message)): Path<(String, String)>, headers: HeaderMap) -> Response {
    if let Some(refused) = refusal(&sid, &headers) {
        return refused;
    }
    let Some(media) = media_of(&state, &message) else {
        return error(StatusCode::NOT_FOUND, 20404, &format!("The requested resource {API}/{sid}/Messages/{message}/Media.json was not found"));
    };
    let uri = format!("{API}/{sid}/Messages/{message}/Media.json");
    let list: Vec<Value> = media.iter().map(|me| media_json(&sid, &message, me)).collect();
    Json(json!({"media_list": list, "page": 0, "page_size": 50, "first_page_uri": format!("{uri}?PageSize=50&Page=0"),
                "next_page_uri": null, "previous_page_uri": null, "uri": format!("{uri}?PageSize=50&Page=0"),
                "start": 0, "end": media.len().saturating_sub(1)}))
    .into_response()
}

/// A media resource: without `.json`, its content, which Twilio answers with a redirect to
/// where the file is kept.
async fn media(Path((sid, message, media)): Path<(String, String, String)>, headers: HeaderMap, Shared(state): Shared<Arc<State>>) -> Response {
    if let Some(refused) = refusal(&sid, &headers) {
        return refused;
    }
    let me = media.trim_end_matches(".json");
    if !media_of(&state, &message).is_some_and(|all| all.iter().any(|m| m == me)) {
        return error(StatusCode::NOT_FOUND, 20404, &format!("The requested resource {API}/{sid}/Messages/{message}/Media/{media} was not found"));
    }
    if media.ends_with(".json") {
        return Json(media_json(&sid, &message, me)).into_response();
    }
    let origin = crate::media::origin(&headers);
    (StatusCode::TEMPORARY_REDIRECT, [(header::LOCATION, format!("{origin}/mms-media/{sid}/{me}"))]).into_response()
}

/// Where the redirect leads: the file itself, without credentials (the link is the secret).
async fn media_file(Path((_sid, media)): Path<(String, String)>) -> Response {
    if !media.starts_with("ME") {
        return (StatusCode::NOT_FOUND, "Not Found").into_response();
    }
    crate::media::photo()
}

pub(crate) fn error(status: StatusCode, code: u32, message: &str) -> Response {
    (
        status,
        Json(json!({"code": code, "message": message, "more_info": format!("https://www.twilio.com/docs/errors/{code}"), "status": status.as_u16()})),
    )
        .into_response()
}

/// The refusal for a request without the account's credentials, if it lacks them.
fn refusal(sid: &str, headers: &HeaderMap) -> Option<Response> {
    let expected = format!("{}:{}", crate::credentials::TWILIO_ACCOUNT_SID, crate::credentials::TWILIO_AUTH_TOKEN);
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok());
    let ok = sid == crate::credentials::TWILIO_ACCOUNT_SID && given.as_deref() == Some(expected.as_bytes());
    (!ok).then(|| error(StatusCode::UNAUTHORIZED, 20003, "Authenticate"))
}

fn rfc2822(at: i64) -> String {
    jiff::Timestamp::from_second(at).expect("in range").strftime("%a, %d %b %Y %H:%M:%S +0000").to_string()
}

/// Segments as Twilio counts them: GSM-7 text 160 a message (153 when split), else UCS-2 70 (67).
fn segments(body: &str) -> usize {
    let n = body.chars().count();
    let (single, multi) = if body.is_ascii() { (160, 153) } else { (70, 67) };
    if n <= single { 1 } else { n.div_ceil(multi) }
}

/// A Message resource as Twilio gives it. Typed rather than a `json!` tree: the list endpoint
/// renders a thousand of these a page, on the same cores as the app being measured.
#[derive(serde::Serialize)]
struct MessageJson<'a> {
    account_sid: &'static str,
    api_version: &'static str,
    body: &'a str,
    date_created: String,
    date_sent: Option<String>,
    date_updated: String,
    direction: &'static str,
    error_code: Option<u32>,
    error_message: Option<&'static str>,
    from: &'a str,
    messaging_service_sid: Option<&'static str>,
    num_media: String,
    num_segments: String,
    price: Option<&'static str>,
    price_unit: &'static str,
    sid: &'a str,
    status: &'a str,
    subresource_uris: SubresourceUris,
    to: &'a str,
    uri: String,
}

#[derive(serde::Serialize)]
struct SubresourceUris {
    media: String,
}

fn message_json<'a>(m: &'a TwilioMessage, status: &'a str) -> MessageJson<'a> {
    let sid = crate::credentials::TWILIO_ACCOUNT_SID;
    let date = rfc2822(m.at);
    MessageJson {
        account_sid: sid,
        api_version: "2010-04-01",
        body: &m.body,
        date_created: date.clone(),
        date_sent: (status != "queued").then(|| date.clone()),
        date_updated: date,
        direction: match (m.inbound, m.automated) {
            (true, _) => "inbound",
            (false, true) => "outbound-reply",
            (false, false) => "outbound-api",
        },
        error_code: None,
        error_message: None,
        from: &m.from,
        messaging_service_sid: None,
        num_media: m.num_media.to_string(),
        num_segments: segments(&m.body).to_string(),
        price: None,
        price_unit: "USD",
        sid: &m.sid,
        status,
        subresource_uris: SubresourceUris { media: format!("{API}/{sid}/Messages/{}/Media.json", m.sid) },
        to: &m.to,
        uri: format!("{API}/{sid}/Messages/{}.json", m.sid),
    }
}

/// A page of the Messages list.
#[derive(serde::Serialize)]
struct ListJson<'a> {
    end: usize,
    first_page_uri: String,
    messages: Vec<MessageJson<'a>>,
    next_page_uri: Option<String>,
    page: usize,
    page_size: usize,
    previous_page_uri: Option<String>,
    start: usize,
    uri: String,
}

async fn list(Shared(state): Shared<Arc<State>>, Path(sid): Path<String>, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    if let Some(refused) = refusal(&sid, &headers) {
        return refused;
    }
    let params: Vec<(String, String)> = serde_urlencoded::from_str(query.as_deref().unwrap_or("")).unwrap_or_default();
    let get = |k: &str| params.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    let page_size = get("PageSize").and_then(|v| v.parse::<usize>().ok()).unwrap_or(50).clamp(1, 1000);
    let page = get("Page").and_then(|v| v.parse::<usize>().ok()).unwrap_or(0);
    let day = |v: &str| v.parse::<jiff::civil::Date>().ok().map(|d| d.to_zoned(jiff::tz::TimeZone::UTC).expect("utc").timestamp().as_second());
    let (sent_from, sent_before) = (get("DateSent>").and_then(day), get("DateSent<").and_then(day));
    let inner = state.read();
    let matches = |m: &&TwilioMessage| {
        get("To").is_none_or(|to| m.to == to)
            && get("From").is_none_or(|from| m.from == from)
            && sent_from.is_none_or(|t| m.at >= t)
            && sent_before.is_none_or(|t| m.at < t + 86_400)
    };
    // The token names the last message of the previous page; the next page starts after it
    // (older, as the list is newest first). Work per page is the page, not the whole list.
    let end = match get("PageToken").and_then(|t| t.strip_prefix("PA")) {
        Some(after) => match inner.twilio_index.get(after) {
            Some(&i) => i,
            None => return error(StatusCode::BAD_REQUEST, 20005, "Invalid PageToken"),
        },
        None => inner.twilio.len(),
    };
    let mut older = inner.twilio[..end].iter().rev().filter(matches);
    let items: Vec<&TwilioMessage> = older.by_ref().take(page_size).collect();
    let more = older.next().is_some();
    let start = page * page_size;
    let filters: String = params
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "PageSize" | "Page" | "PageToken"))
        .map(|(k, v)| format!("&{}", serde_urlencoded::to_string([(k, v)]).expect("encodes")))
        .collect();
    let base = format!("{API}/{sid}/Messages.json?PageSize={page_size}{filters}");
    let next = more.then(|| format!("{base}&Page={}&PageToken=PA{}", page + 1, items.last().expect("non-empty").sid));
    let messages = items.iter().map(|m| message_json(m, if m.inbound { "received" } else { "delivered" })).collect();
    Json(ListJson {
        end: start + items.len().saturating_sub(1),
        first_page_uri: format!("{base}&Page=0"),
        messages,
        next_page_uri: next,
        page,
        page_size,
        previous_page_uri: (page > 0).then(|| format!("{base}&Page={}", page - 1)),
        start,
        uri: format!("{base}&Page={page}"),
    })
    .into_response()
}

async fn create(Shared(state): Shared<Arc<State>>, Path(sid): Path<String>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(refused) = refusal(&sid, &headers) {
        return refused;
    }
    let params: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let get = |k: &str| params.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
    let Some(to) = get("To").filter(|t| !t.is_empty()) else {
        return error(StatusCode::BAD_REQUEST, 21604, "A 'To' phone number is required.");
    };
    let from = get("From").unwrap_or_default();
    let channel = match from.as_str() {
        crate::credentials::SMS_NUMBER => Channel::Sms,
        crate::credentials::WHATSAPP_NUMBER => Channel::Whatsapp,
        _ => {
            return error(
                StatusCode::BAD_REQUEST,
                21606,
                &format!("The From phone number {from} is not a valid, SMS-capable inbound phone number or short code for your account."),
            )
        }
    };
    let mut text = get("Body").unwrap_or_default();
    let template = get("ContentSid");
    if let Some(sid) = &template {
        let Some((_, body)) = crate::templates::APPROVED.iter().find(|(id, _)| id == sid) else {
            return error(StatusCode::BAD_REQUEST, 21655, "The ContentSid is Invalid.");
        };
        let variables: std::collections::BTreeMap<String, String> = match get("ContentVariables") {
            None => Default::default(),
            Some(json) => match serde_json::from_str(&json) {
                Ok(v) => v,
                Err(_) => return error(StatusCode::BAD_REQUEST, 21656, "The ContentVariables Parameter is invalid."),
            },
        };
        text = variables.iter().fold(body.to_string(), |t, (k, v)| t.replace(&format!("{{{{{k}}}}}"), v));
    }
    let media = params.iter().filter(|(k, _)| k == "MediaUrl").count() as u32;
    if text.is_empty() && media == 0 {
        return error(StatusCode::BAD_REQUEST, 21602, "Message body is required.");
    }
    if text.chars().count() > 1600 {
        return error(StatusCode::BAD_REQUEST, 21617, "The concatenated message body exceeds the 1600 character limit.");
    }
    let mut inner = state.lock();
    let at = jiff::Timestamp::now().as_second();
    if channel == Channel::Whatsapp && template.is_none() {
        let last = inner.conversation_with(channel, &to).and_then(|conv| inner.last_customer_turn(conv));
        if last.is_none_or(|last| at - last > crate::WINDOW) {
            return error(
                StatusCode::BAD_REQUEST,
                63016,
                "Failed to send freeform message because you are outside the allowed window. If you are using WhatsApp, please use a Message Template.",
            );
        }
    }
    inner.record_reply(channel.name(), &to, &text);
    let message = TwilioMessage {
        sid: twilio_sid("SM", inner.next_sid),
        from,
        to: to.clone(),
        body: text.clone(),
        inbound: false,
        automated: false,
        at,
        num_media: media,
    };
    inner.next_sid += 1;
    // The reply joins the customer's conversation, so later traffic follows it.
    match inner.conversation_with(channel, &to) {
        Some(conv) => {
            let attachment = (media > 0).then(|| Attachment { kind: "file", name: "media".into(), mime: "application/octet-stream", size: 0 });
            inner.append_turn(conv, Turn { speaker: Speaker::Agent, text, at, attachment }, Some(message.clone()));
        }
        None => inner.push_twilio(message.clone()),
    }
    (StatusCode::CREATED, Json(message_json(&message, "queued"))).into_response()
}
