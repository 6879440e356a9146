//! The Graph API's public side for the Page and its Instagram account: the Page's feed, its
//! posts' comments (`filter=stream` gives replies too, with `parent`; hidden ones show
//! `is_hidden`), Instagram media and their comments (top level, replies nested), public replies
//! (`/{comment}/comments`, `/{ig-comment}/replies`), hiding (`POST /{comment}?is_hidden=true`,
//! `?hide=true`), and private replies to comments through the Send API
//! (`recipient.comment_id`: one per comment, within 7 days).

use crate::graph_wire::{bad_param, decode, encode, error, limit, link, message_id, not_found, refusal, time, IG_ACCOUNT_ID, IG_USERNAME, PAGE_NAME};
use crate::media::origin;
use crate::public::{Comment, Surface};
use crate::script::{Speaker, Turn};
use crate::state::{Inner, State};
use axum::extract::{Path, Query, State as Shared};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// How long after a comment the Page may answer it in private.
const PRIVATE_REPLY_WINDOW: i64 = 7 * 86_400;
/// Instagram comments per page, at most.
const IG_PAGE: usize = 50;

/// The parameters of a POST: Graph takes them in the query, a form body or a JSON body.
fn params(query: &HashMap<String, String>, body: &[u8]) -> HashMap<String, String> {
    let mut all = query.clone();
    if let Ok(form) = serde_urlencoded::from_bytes::<HashMap<String, String>>(body) {
        all.extend(form);
    } else if let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) {
        all.extend(map.into_iter().filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_owned()))));
    }
    all
}

fn author_json(inner: &Inner, c: &Comment) -> Value {
    match (c.surface, c.author) {
        (Surface::Instagram, Some(a)) => {
            let (username, id) = crate::public::display(&inner.world.customers[a], Surface::Instagram);
            json!({"id": id, "username": username})
        }
        (Surface::Instagram, None) => json!({"id": IG_ACCOUNT_ID, "username": IG_USERNAME}),
        (_, Some(a)) => {
            let (name, id) = crate::public::display(&inner.world.customers[a], Surface::Facebook);
            json!({"id": id, "name": name})
        }
        (_, None) => json!({"id": crate::credentials::PAGE_ID, "name": PAGE_NAME}),
    }
}

fn can_reply_privately(c: &Comment, now: i64) -> bool {
    c.author.is_some() && !c.private_reply && now - c.at <= PRIVATE_REPLY_WINDOW
}

fn facebook_comment(inner: &Inner, i: usize, now: i64) -> Value {
    let p = &inner.public;
    let c = &p.comments[i];
    let mut v = json!({
        "id": c.id,
        "message": c.text,
        "created_time": time(c.at),
        "from": author_json(inner, c),
        "comment_count": p.comments.iter().filter(|r| r.parent == Some(i)).count(),
        "is_hidden": c.hidden,
        "can_reply_privately": can_reply_privately(c, now),
    });
    if let Some(parent) = c.parent {
        v["parent"] = json!({"id": p.comments[parent].id, "created_time": time(p.comments[parent].at)});
    }
    v
}

fn instagram_comment(inner: &Inner, i: usize, nested: bool) -> Value {
    let p = &inner.public;
    let c = &p.comments[i];
    let from = author_json(inner, c);
    let mut v = json!({
        "id": c.id,
        "text": c.text,
        "timestamp": time(c.at),
        "username": from["username"],
        "from": from,
        "like_count": 0,
        "hidden": c.hidden,
    });
    if let Some(parent) = c.parent {
        v["parent_id"] = json!(p.comments[parent].id);
    }
    if nested {
        let replies: Vec<Value> = (0..p.comments.len()).rev().filter(|&r| p.comments[r].parent == Some(i)).map(|r| instagram_comment(inner, r, false)).collect();
        v["replies"] = json!({"data": replies});
    }
    v
}

/// A page of `items` (indexes, in the order to list them) after the `after` cursor.
fn paged(items: Vec<usize>, query: &HashMap<String, String>, most: usize, headers: &HeaderMap, path: &str) -> Result<(Vec<usize>, Value), Response> {
    let start = match query.get("after") {
        None => 0,
        Some(cursor) => match decode(cursor).and_then(|c| c.strip_prefix('k')?.parse::<usize>().ok()) {
            Some(n) => n,
            None => return Err(bad_param("(#100) The after cursor is invalid or has expired")),
        },
    };
    let size = limit(query, 25).min(most);
    let page: Vec<usize> = items.iter().skip(start).take(size).copied().collect();
    let mut paging = json!({});
    if !page.is_empty() {
        let after = encode(&format!("k{}", start + page.len()));
        paging["cursors"] = json!({"before": encode(&format!("k{start}")), "after": after});
        if start + page.len() < items.len() {
            paging["next"] = json!(link(&origin(headers), path, query, &after));
        }
    }
    Ok((page, paging))
}

fn since(query: &HashMap<String, String>) -> i64 {
    query.get("since").and_then(|s| s.parse::<i64>().ok().or_else(|| s.parse::<jiff::Timestamp>().ok().map(|t| t.as_second()))).unwrap_or(0)
}

/// `GET /{page-id}/feed`: the Page's posts, newest first.
pub(crate) async fn feed(state: Shared<Arc<State>>, node: Path<String>, headers: HeaderMap, query: Query<HashMap<String, String>>) -> Response {
    posts(state, node, headers, query, Surface::Facebook)
}

/// `GET /{ig-user-id}/media`: the Instagram account's media, newest first.
pub(crate) async fn media(state: Shared<Arc<State>>, node: Path<String>, headers: HeaderMap, query: Query<HashMap<String, String>>) -> Response {
    posts(state, node, headers, query, Surface::Instagram)
}

/// The business's posts on `surface`, as its edge lists them.
fn posts(Shared(state): Shared<Arc<State>>, Path(node): Path<String>, headers: HeaderMap, Query(query): Query<HashMap<String, String>>, surface: Surface) -> Response {
    if let Some(refused) = refusal(&headers, &query) {
        return refused;
    }
    let (owner, edge) = if surface == Surface::Instagram { (IG_ACCOUNT_ID, "media") } else { (crate::credentials::PAGE_ID, "feed") };
    if node != owner {
        return not_found(&node, "get");
    }
    let inner = state.read();
    let p = &inner.public;
    let posts: Vec<usize> = (0..p.posts.len()).rev().filter(|&i| p.posts[i].surface == surface).collect();
    let (page, paging) = match paged(posts, &query, 100, &headers, &format!("{node}/{edge}")) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let data: Vec<Value> = page
        .iter()
        .map(|&i| {
            let post = &p.posts[i];
            if surface == Surface::Instagram {
                let count = p.comments.iter().filter(|c| c.post == Some(i)).count();
                json!({"id": post.id, "caption": post.text, "comments_count": count, "timestamp": time(post.at), "permalink": format!("https://www.instagram.com/p/{}/", post.id)})
            } else {
                json!({"id": post.id, "message": post.text, "created_time": time(post.at), "permalink_url": format!("https://www.facebook.com/{}", post.id)})
            }
        })
        .collect();
    Json(json!({"data": data, "paging": paging})).into_response()
}

/// `GET /{post-id}/comments` (Facebook, `filter=stream` for replies too) and
/// `GET /{ig-media-id}/comments` (top level, replies nested): newest first with
/// `order=reverse_chronological` (Instagram always).
pub(crate) async fn comments(Shared(state): Shared<Arc<State>>, Path(node): Path<String>, headers: HeaderMap, Query(query): Query<HashMap<String, String>>) -> Response {
    if let Some(refused) = refusal(&headers, &query) {
        return refused;
    }
    let inner = state.read();
    let p = &inner.public;
    let now = jiff::Timestamp::now().as_second();
    let Some(post) = p.find_post(&node).filter(|&i| p.posts[i].surface != Surface::X) else { return not_found(&node, "get") };
    let surface = p.posts[post].surface;
    let since = since(&query);
    let stream = query.get("filter").is_some_and(|f| f == "stream");
    let mut items: Vec<usize> = (0..p.comments.len())
        .filter(|&i| p.comments[i].post == Some(post) && p.comments[i].at >= since)
        .filter(|&i| (surface == Surface::Facebook && stream) || p.comments[i].parent.is_none())
        .collect();
    items.sort_by_key(|&i| p.comments[i].at);
    if surface == Surface::Instagram || query.get("order").is_some_and(|o| o == "reverse_chronological") {
        items.reverse();
    }
    let total = items.len();
    let most = if surface == Surface::Instagram { IG_PAGE } else { 100 };
    let (page, paging) = match paged(items, &query, most, &headers, &format!("{node}/comments")) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let data: Vec<Value> = page
        .iter()
        .map(|&i| if surface == Surface::Facebook { facebook_comment(&inner, i, now) } else { instagram_comment(&inner, i, true) })
        .collect();
    let mut body = json!({"data": data, "paging": paging});
    if surface == Surface::Facebook && query.get("summary").is_some_and(|s| s == "true" || s == "1") {
        let order = if query.get("order").is_some_and(|o| o == "reverse_chronological") { "reverse_chronological" } else { "chronological" };
        body["summary"] = json!({"order": order, "total_count": total, "can_comment": true});
    }
    Json(body).into_response()
}

/// `GET /{ig-comment-id}/replies`: a comment's replies, oldest first.
pub(crate) async fn replies(Shared(state): Shared<Arc<State>>, Path(node): Path<String>, headers: HeaderMap, Query(query): Query<HashMap<String, String>>) -> Response {
    if let Some(refused) = refusal(&headers, &query) {
        return refused;
    }
    let inner = state.read();
    let p = &inner.public;
    let Some(parent) = p.find(&node).filter(|&i| p.comments[i].surface == Surface::Instagram) else { return not_found(&node, "get") };
    let data: Vec<Value> = (0..p.comments.len()).filter(|&i| p.comments[i].parent == Some(parent)).map(|i| instagram_comment(&inner, i, false)).collect();
    Json(json!({"data": data})).into_response()
}

/// `POST /{comment-id}/comments` (Facebook) and `POST /{ig-comment-id}/replies` (Instagram): the
/// business answers in public, in the comment's thread.
pub(crate) async fn reply(Shared(state): Shared<Arc<State>>, Path(node): Path<String>, headers: HeaderMap, Query(query): Query<HashMap<String, String>>, body: axum::body::Bytes) -> Response {
    if let Some(refused) = refusal(&headers, &query) {
        return refused;
    }
    let params = params(&query, &body);
    let Some(text) = params.get("message").filter(|m| !m.trim().is_empty()).cloned() else {
        return bad_param("(#100) The parameter message is required");
    };
    let mut inner = state.lock();
    let Some(target) = inner.public.find(&node) else { return not_found(&node, "post") };
    let surface = inner.public.comments[target].surface;
    if surface == Surface::X {
        return not_found(&node, "post");
    }
    let max = if surface == Surface::Instagram { 2200 } else { 8000 };
    if text.chars().count() > max {
        return bad_param(&format!("(#100) Param message must be at most {max} characters long"));
    }
    // Replies nest one level: an answer to a reply joins the top-level comment's thread.
    let top = inner.public.comments[target].parent.unwrap_or(target);
    let post = inner.public.comments[target].post;
    let chat = inner.public.comments[top].id.clone();
    inner.record_reply(surface.name(), &chat, &text);
    let now = jiff::Timestamp::now().as_second();
    let index = inner.public.add(Comment { surface, id: String::new(), post, parent: Some(top), author: None, text, at: now, hidden: false, private_reply: false, kind: None });
    Json(json!({"id": inner.public.comments[index].id})).into_response()
}

/// `POST /{comment-id}?is_hidden=true` (Facebook) or `?hide=true` (Instagram): hidden from
/// everyone but its author and their friends; never deleted.
pub(crate) async fn hide(Shared(state): Shared<Arc<State>>, Path(node): Path<String>, headers: HeaderMap, Query(query): Query<HashMap<String, String>>, body: axum::body::Bytes) -> Response {
    if let Some(refused) = refusal(&headers, &query) {
        return refused;
    }
    let params = params(&query, &body);
    let mut inner = state.lock();
    let Some(i) = inner.public.find(&node).filter(|&i| inner.public.comments[i].surface != Surface::X) else { return not_found(&node, "post") };
    let surface = inner.public.comments[i].surface;
    let flag = if surface == Surface::Instagram { "hide" } else { "is_hidden" };
    let hidden = match params.get(flag).map(String::as_str) {
        Some("true") => true,
        Some("false") => false,
        _ => return bad_param(&format!("(#100) The parameter {flag} is required")),
    };
    if inner.public.comments[i].author.is_none() {
        return error(StatusCode::BAD_REQUEST, 100, None, "(#100) The Page's own comments cannot be hidden");
    }
    inner.public.comments[i].hidden = hidden;
    Json(json!({"success": true})).into_response()
}

/// A private reply to a comment through the Send API: it opens (or continues) the commenter's
/// conversation in the Page's inbox (Messenger for Page comments, Instagram for media comments).
pub(crate) fn private_reply(state: &State, comment: &str, text: String) -> Response {
    let mut inner = state.lock();
    let Some(i) = inner.public.find(comment).filter(|&i| inner.public.comments[i].surface != Surface::X) else {
        return error(StatusCode::BAD_REQUEST, 100, Some(2_018_001), "(#100) No matching user found");
    };
    let now = jiff::Timestamp::now().as_second();
    let c = inner.public.comments[i].clone();
    let Some(customer) = c.author else {
        return error(StatusCode::BAD_REQUEST, 10903, None, "(#10903) This activity can't be replied to");
    };
    if c.private_reply {
        return error(StatusCode::BAD_REQUEST, 10900, None, "(#10900) Activity already replied to");
    }
    if now - c.at > PRIVATE_REPLY_WINDOW {
        return error(StatusCode::BAD_REQUEST, 10903, None, "(#10903) This activity can't be replied to");
    }
    let channel = c.surface.private();
    let handle = inner.world.customers[customer].handle(channel);
    let conv = match inner.conversation_with(channel, &handle) {
        Some(conv) => conv,
        None => inner.open_conversation(channel, customer),
    };
    inner.public.comments[i].private_reply = true;
    inner.record_reply(channel.name(), &handle, &text);
    let turn = inner.append_turn(conv, Turn { speaker: Speaker::Agent, text, at: now, attachment: None }, None);
    Json(json!({"recipient_id": handle, "message_id": message_id(&inner, conv, turn)})).into_response()
}
