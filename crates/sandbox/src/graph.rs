//! Meta's Graph API for one Page's Messenger and Instagram inboxes: the conversations edge (newest
//! activity first, cursor paging with an absolute `next`, only the 20 newest messages nested in
//! each conversation), a conversation's messages edge, and the Send API with the 24-hour window
//! and the HUMAN_AGENT tag. Every answer carries usage headers; a client over its budget is
//! throttled with Meta's codes. Errors are Graph error objects.

use crate::script::{Attachment, Channel, Speaker, Turn};
use crate::graph_wire::*;
use crate::media::origin;
use crate::state::{Inner, State};
use crate::WINDOW;
use axum::extract::{Path, Query, Request, State as Shared};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// Messages nested in a conversation: only the newest have details.
const NESTED: usize = 20;
/// How long after the customer's last message a human agent may still answer with the tag.
const HUMAN_AGENT_WINDOW: i64 = 7 * 86_400;

pub(crate) fn routes(state: Arc<State>) -> Router<Arc<State>> {
    Router::new()
        .route(&format!("/{VERSION}/{{node}}"), get(node).post(crate::graph_public::hide))
        .route(&format!("/{VERSION}/{{node}}/conversations"), get(conversations))
        .route(&format!("/{VERSION}/{{node}}/messages"), get(messages).post(send))
        .route(&format!("/{VERSION}/{{node}}/feed"), get(crate::graph_public::feed))
        .route(&format!("/{VERSION}/{{node}}/media"), get(crate::graph_public::media))
        .route(&format!("/{VERSION}/{{node}}/comments"), get(crate::graph_public::comments).post(crate::graph_public::reply))
        .route(&format!("/{VERSION}/{{node}}/replies"), get(crate::graph_public::replies).post(crate::graph_public::reply))
        .route_layer(axum::middleware::from_fn_with_state(state, metered))
}

/// Meters every Graph call against the Page's budget and reports the usage as Meta does.
async fn metered(Shared(state): Shared<Arc<State>>, request: Request, next: Next) -> Response {
    let usage = state.spend(&format!("graph:{}", crate::credentials::PAGE_ID));
    let instagram = request.uri().query().is_some_and(|q| q.contains("platform=instagram"));
    let mut response = match &usage {
        Some(u) if u.over() => {
            state.count_throttled(Channel::Messenger);
            let mut r = throttled();
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(u.frees_in.as_secs_f64().ceil() as u64));
            r
        }
        _ => next.run(request).await,
    };
    let (percent, regain) = match &usage {
        Some(u) => (u.percent().min(100), if u.over() { (u.frees_in.as_secs_f64() / 60.0).ceil() as u64 } else { 0 }),
        None => (0, 0),
    };
    let app = json!({"call_count": percent, "total_cputime": percent / 2, "total_time": percent / 2});
    let business = json!({crate::credentials::PAGE_ID: [{
        "type": if instagram { "instagram" } else { "pages" },
        "call_count": percent, "total_cputime": percent / 2, "total_time": percent / 2,
        "estimated_time_to_regain_access": regain,
    }]});
    let headers = response.headers_mut();
    headers.insert("x-app-usage", HeaderValue::from_str(&app.to_string()).expect("ascii json"));
    headers.insert("x-business-use-case-usage", HeaderValue::from_str(&business.to_string()).expect("ascii json"));
    response
}

fn conversation_id(channel: Channel, conv: usize) -> String {
    match channel {
        Channel::Instagram => format!("aWdfZAG06{conv}"),
        _ => format!("t_{}", 10_000_000_000u64 + conv as u64),
    }
}

fn parse_conversation_id(inner: &Inner, id: &str) -> Option<usize> {
    let (channel, conv) = match id.strip_prefix("aWdfZAG06") {
        Some(n) => (Channel::Instagram, n.parse::<usize>().ok()?),
        None => (Channel::Messenger, id.strip_prefix("t_")?.parse::<u64>().ok()?.checked_sub(10_000_000_000)? as usize),
    };
    inner.world.conversations.get(conv).filter(|c| c.channel == channel).map(|c| c.id)
}

/// The top-level names in a `fields` list such as `participants,messages{message,from}`.
pub(crate) fn field_names(fields: &str) -> Vec<String> {
    let (mut names, mut depth, mut current) = (Vec::new(), 0, String::new());
    for ch in fields.chars() {
        match ch {
            '{' | '(' => depth += 1,
            '}' | ')' => depth -= 1,
            ',' if depth == 0 => names.push(std::mem::take(&mut current)),
            _ if depth == 0 => current.push(ch),
            _ => {}
        }
    }
    names.push(current);
    names.into_iter().map(|n| n.split('.').next().unwrap_or("").trim().to_owned()).filter(|n| !n.is_empty()).collect()
}

// Conversations and messages, typed rather than built as `json!` trees: a sync asks for hundreds
// of thousands, on the same cores as the app being measured.

/// `{"data": …}`, as Graph wraps its lists.
#[derive(serde::Serialize)]
struct Data<T> {
    data: T,
}

#[derive(serde::Serialize)]
#[serde(untagged)]
enum PersonJson {
    Instagram { username: String, id: String },
    Facebook { name: String, email: String, id: String },
}

#[derive(serde::Serialize)]
pub(crate) struct MessageJson<'a> {
    id: String,
    created_time: String,
    from: PersonJson,
    to: Data<[PersonJson; 1]>,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    attachments: Option<Data<[AttachmentJson<'a>; 1]>>,
}

#[derive(serde::Serialize)]
struct AttachmentJson<'a> {
    id: String,
    mime_type: &'static str,
    name: &'a str,
    size: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    image_data: Option<ImageJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file_url: Option<String>,
}

#[derive(serde::Serialize)]
struct ImageJson {
    url: String,
    preview_url: String,
    width: u32,
    height: u32,
    max_width: u32,
    max_height: u32,
    render_as_sticker: bool,
}

/// A page of a list: its items and where the next page is.
#[derive(serde::Serialize)]
pub(crate) struct PageJson<T> {
    data: Vec<T>,
    paging: PagingJson,
}

#[derive(serde::Serialize, Default)]
struct PagingJson {
    #[serde(skip_serializing_if = "Option::is_none")]
    cursors: Option<CursorsJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<String>,
}

#[derive(serde::Serialize)]
struct CursorsJson {
    before: String,
    after: String,
}

#[derive(serde::Serialize)]
struct ConversationJson<'a> {
    id: String,
    updated_time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    participants: Option<Data<[PersonJson; 2]>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    messages: Option<PageJson<MessageJson<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message_count: Option<usize>,
}

fn person(inner: &Inner, channel: Channel, customer: Option<usize>) -> PersonJson {
    match (channel, customer) {
        (Channel::Instagram, Some(c)) => {
            let c = &inner.world.customers[c];
            PersonJson::Instagram { username: c.username(), id: c.handle(Channel::Instagram) }
        }
        (Channel::Instagram, None) => PersonJson::Instagram { username: IG_USERNAME.into(), id: IG_ACCOUNT_ID.into() },
        (_, Some(c)) => {
            let c = &inner.world.customers[c];
            let psid = c.handle(Channel::Messenger);
            PersonJson::Facebook { name: c.name.clone(), email: format!("{psid}@facebook.com"), id: psid }
        }
        (_, None) => {
            let page = crate::credentials::PAGE_ID;
            PersonJson::Facebook { name: PAGE_NAME.into(), email: format!("{page}@facebook.com"), id: page.into() }
        }
    }
}

/// A message as Graph gives it; its attachment's URL points at `origin`'s stand-in for the CDN.
pub(crate) fn message_json<'a>(inner: &'a Inner, conv: usize, turn: usize, origin: &str) -> MessageJson<'a> {
    let c = &inner.world.conversations[conv];
    let t: &Turn = &c.turns[turn];
    let (from, to) = if t.speaker == Speaker::Customer { (Some(c.customer), None) } else { (None, Some(c.customer)) };
    let id = message_id(inner, conv, turn);
    let attachments = t.attachment.as_ref().map(|a| Data { data: [attachment_json(&id, a, origin)] });
    MessageJson {
        id,
        created_time: time(t.at),
        from: person(inner, c.channel, from),
        to: Data { data: [person(inner, c.channel, to)] },
        message: &t.text,
        attachments,
    }
}

fn attachment_json<'a>(message: &str, a: &'a Attachment, origin: &str) -> AttachmentJson<'a> {
    // Like the CDN's: a path naming the file, and a signature the CDN checks (here: any).
    let url = format!("{origin}/scontent/v/t1.15752-9/{}?_nc_sid=5b8a1c&oh=00_sandbox", a.name);
    let image = a.kind == "image";
    AttachmentJson {
        id: format!("{message}_att"),
        mime_type: a.mime,
        name: &a.name,
        size: a.size,
        image_data: image.then(|| ImageJson {
            url: url.clone(),
            preview_url: url.clone(),
            width: 1280,
            height: 960,
            max_width: 1280,
            max_height: 960,
            render_as_sticker: false,
        }),
        file_url: (!image).then_some(url),
    }
}

/// A page of a conversation's messages, newest first, starting after turn cursor `after`.
fn messages_page<'a>(inner: &'a Inner, conv: usize, limit: usize, before_turn: usize, origin: &str, query: &HashMap<String, String>) -> PageJson<MessageJson<'a>> {
    let turns: Vec<usize> = (0..before_turn).rev().take(limit).collect();
    let data = turns.iter().map(|&t| message_json(inner, conv, t, origin)).collect();
    let mut paging = PagingJson::default();
    if let (Some(first), Some(last)) = (turns.first(), turns.last()) {
        paging.cursors = Some(CursorsJson { before: encode(&format!("m{}", first + 1)), after: encode(&format!("m{last}")) });
        if *last > 0 {
            let id = conversation_id(inner.world.conversations[conv].channel, conv);
            paging.next = Some(link(origin, &format!("{id}/messages"), query, &encode(&format!("m{last}"))));
        }
    }
    PageJson { data, paging }
}

/// The Page itself: its name and linked Instagram account.
async fn node(Path(node): Path<String>, headers: HeaderMap, Query(query): Query<HashMap<String, String>>) -> Response {
    if let Some(refused) = refusal(&headers, &query) {
        return refused;
    }
    if node != crate::credentials::PAGE_ID {
        return not_found(&node, "get");
    }
    Json(json!({"id": node, "name": PAGE_NAME, "instagram_business_account": {"id": IG_ACCOUNT_ID}})).into_response()
}

async fn conversations(Shared(state): Shared<Arc<State>>, Path(node): Path<String>, headers: HeaderMap, Query(query): Query<HashMap<String, String>>) -> Response {
    if let Some(refused) = refusal(&headers, &query) {
        return refused;
    }
    if node != crate::credentials::PAGE_ID {
        return not_found(&node, "get");
    }
    let channel = match query.get("platform").map(String::as_str) {
        None | Some("messenger") => Channel::Messenger,
        Some("instagram") => Channel::Instagram,
        Some(_) => return error(StatusCode::BAD_REQUEST, 100, None, "(#100) platform must be one of the following values: instagram, messenger"),
    };
    let after = match query.get("after") {
        None => None,
        Some(cursor) => match decode(cursor).and_then(|c| {
            let (at, conv) = c.strip_prefix('c')?.split_once(':')?;
            Some((at.parse::<i64>().ok()?, conv.parse::<usize>().ok()?))
        }) {
            Some(key) => Some(key),
            None => return error(StatusCode::BAD_REQUEST, 100, None, "(#100) The after cursor is invalid or has expired"),
        },
    };
    let limit = limit(&query, 25);
    let fields = field_names(query.get("fields").map_or("", String::as_str));
    let has = |f: &str| fields.iter().any(|n| n == f);
    let origin = origin(&headers);
    let inner = state.read();
    let empty = std::collections::BTreeSet::new();
    let order = inner.graph.get(&channel).unwrap_or(&empty);
    let user = query.get("user_id");
    let mut walk = order
        .iter()
        .rev()
        .filter(|key| after.is_none_or(|a| **key < a))
        .filter(|(_, conv)| user.is_none_or(|u| inner.world.customers[inner.world.conversations[*conv].customer].handle(channel) == *u));
    let page: Vec<(i64, usize)> = walk.by_ref().take(limit).copied().collect();
    let more = walk.next().is_some();
    let nested_query: HashMap<String, String> = [
        ("fields".to_owned(), "id,created_time,from,to,message,attachments".to_owned()),
        ("limit".to_owned(), NESTED.to_string()),
    ]
    .into_iter()
    .chain(query.get("access_token").map(|t| ("access_token".to_owned(), t.clone())))
    .collect();
    let data = page
        .iter()
        .map(|&(at, conv)| {
            let c = &inner.world.conversations[conv];
            ConversationJson {
                id: conversation_id(channel, conv),
                updated_time: time(at),
                participants: has("participants").then(|| Data { data: [person(&inner, channel, Some(c.customer)), person(&inner, channel, None)] }),
                messages: has("messages").then(|| messages_page(&inner, conv, NESTED, c.turns.len(), &origin, &nested_query)),
                message_count: has("message_count").then_some(c.turns.len()),
            }
        })
        .collect();
    let mut paging = PagingJson::default();
    if let (Some(first), Some(last)) = (page.first(), page.last()) {
        let after = encode(&format!("c{}:{}", last.0, last.1));
        paging.cursors = Some(CursorsJson { before: encode(&format!("c{}:{}", first.0, first.1)), after: after.clone() });
        if more {
            paging.next = Some(link(&origin, &format!("{node}/conversations"), &query, &after));
        }
    }
    Json(PageJson { data, paging }).into_response()
}

async fn messages(Shared(state): Shared<Arc<State>>, Path(node): Path<String>, headers: HeaderMap, Query(query): Query<HashMap<String, String>>) -> Response {
    if let Some(refused) = refusal(&headers, &query) {
        return refused;
    }
    let inner = state.read();
    let Some(conv) = parse_conversation_id(&inner, &node) else { return not_found(&node, "get") };
    let turns = inner.world.conversations[conv].turns.len();
    let before = match query.get("after") {
        None => turns,
        Some(cursor) => match decode(cursor).and_then(|c| c.strip_prefix('m')?.parse::<usize>().ok()).filter(|t| *t <= turns) {
            Some(t) => t,
            None => return error(StatusCode::BAD_REQUEST, 100, None, "(#100) The after cursor is invalid or has expired"),
        },
    };
    Json(messages_page(&inner, conv, limit(&query, 25), before, &origin(&headers), &query)).into_response()
}

#[derive(Deserialize)]
struct SendRequest {
    recipient: Option<Recipient>,
    messaging_type: Option<String>,
    tag: Option<String>,
    message: Option<OutMessage>,
}

#[derive(Deserialize)]
struct Recipient {
    id: Option<String>,
    comment_id: Option<String>,
}

#[derive(Deserialize)]
struct OutMessage {
    text: Option<String>,
    attachment: Option<Value>,
}

async fn send(Shared(state): Shared<Arc<State>>, Path(node): Path<String>, headers: HeaderMap, Query(query): Query<HashMap<String, String>>, body: axum::body::Bytes) -> Response {
    if let Some(refused) = refusal(&headers, &query) {
        return refused;
    }
    if node != crate::credentials::PAGE_ID {
        return not_found(&node, "post");
    }
    let Ok(request) = serde_json::from_slice::<SendRequest>(&body) else {
        return bad_param("(#100) Invalid JSON for postcard");
    };
    let (text, attachment) = match request.message {
        Some(m) => (m.text.unwrap_or_default(), m.attachment),
        None => return bad_param("(#100) The parameter message is required"),
    };
    if text.is_empty() && attachment.is_none() {
        return bad_param("(#100) Param message must be non-empty");
    }
    if let Some(comment) = request.recipient.as_ref().and_then(|r| r.comment_id.clone()) {
        return crate::graph_public::private_reply(&state, &comment, text);
    }
    let Some(recipient) = request.recipient.and_then(|r| r.id) else { return bad_param("(#100) The parameter recipient is required") };
    let Some(messaging_type) = request.messaging_type else { return bad_param("(#100) The parameter messaging_type is required") };
    let mut inner = state.lock();
    let found = [Channel::Messenger, Channel::Instagram].into_iter().find_map(|ch| inner.conversation_with(ch, &recipient).map(|conv| (ch, conv)));
    let Some((channel, conv)) = found else {
        return error(StatusCode::BAD_REQUEST, 100, Some(2_018_001), "(#100) No matching user found");
    };
    let too_long = match channel {
        Channel::Instagram => (text.len() > 1000).then_some("(#100) Length of param message[text] must be less than or equal to 1000 bytes"),
        _ => (text.chars().count() > 2000).then_some("(#100) Length of param message[text] must be less than or equal to 2000"),
    };
    if let Some(message) = too_long {
        return bad_param(message);
    }
    let now = jiff::Timestamp::now().as_second();
    let since_customer = inner.last_customer_turn(conv).map_or(i64::MAX, |last| now - last);
    let human_agent = messaging_type == "MESSAGE_TAG" && request.tag.as_deref() == Some("HUMAN_AGENT");
    let allowed = match messaging_type.as_str() {
        "RESPONSE" | "UPDATE" => since_customer <= WINDOW,
        "MESSAGE_TAG" if human_agent => since_customer <= HUMAN_AGENT_WINDOW,
        // Messenger's other tags (event, purchase and account updates) are not windowed.
        "MESSAGE_TAG" => channel == Channel::Messenger && matches!(request.tag.as_deref(), Some("CONFIRMED_EVENT_UPDATE" | "POST_PURCHASE_UPDATE" | "ACCOUNT_UPDATE")),
        _ => return bad_param("(#100) messaging_type must be one of RESPONSE, UPDATE, MESSAGE_TAG"),
    };
    if !allowed {
        return error(
            StatusCode::BAD_REQUEST,
            10,
            Some(2_018_278),
            "(#10) This message is sent outside of allowed window. Learn more about the new policy here: https://developers.facebook.com/docs/messenger-platform/policy-overview",
        );
    }
    inner.record_reply(channel.name(), &recipient, &text);
    let turn = inner.append_turn(conv, Turn { speaker: Speaker::Agent, text, at: now, attachment: None }, None);
    Json(json!({"recipient_id": recipient, "message_id": message_id(&inner, conv, turn)})).into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn field_lists_name_their_top_level_fields() {
        assert_eq!(super::field_names("participants,updated_time,messages{message,from{id,name}},x.limit(3)"), ["participants", "updated_time", "messages", "x"]);
        assert!(super::field_names("").is_empty());
    }
}

