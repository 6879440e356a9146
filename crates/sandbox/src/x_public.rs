//! X API v2's public side for the business's account: the mentions timeline
//! (`GET /2/users/:id/mentions`, newest first, `since_id`, `pagination_token`), brand listening
//! through recent search (`GET /2/tweets/search/recent`, the last 7 days, `since_id`,
//! `next_token`), the account's own posts (`GET /2/users/:id/tweets`), and public replies
//! (`POST /2/tweets` with `reply.in_reply_to_tweet_id`, at most 280 by X's weighted count).
//! Metered, and answered with problems, as in `x`.

use crate::public::{Comment, Surface};
use crate::script::Channel;
use crate::state::{Inner, State};
use crate::x_wire::{parse_token, problem, refusal, token};
use axum::extract::{Path, Query, State as Shared};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

const SEARCH_WINDOW: i64 = 7 * 86_400;
const MAX_QUERY: usize = 512;

pub(crate) fn routes() -> Router<Arc<State>> {
    Router::new()
        .route("/2/users/{id}/mentions", get(mentions))
        .route("/2/users/{id}/tweets", get(own_posts))
        .route("/2/tweets/search/recent", get(search))
        .route("/2/tweets", post(create))
}

fn at(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds).expect("in range").strftime("%Y-%m-%dT%H:%M:%S.000Z").to_string()
}

fn author_id(inner: &Inner, c: &Comment) -> String {
    c.author.map_or_else(|| crate::credentials::X_USER_ID.to_owned(), |a| inner.world.customers[a].handle(Channel::X))
}

/// What a post answers: the post above it in its thread, by id, and that post's author.
fn replied_to(inner: &Inner, c: &Comment) -> Option<(String, String)> {
    let p = &inner.public;
    match (c.parent, c.post) {
        (Some(parent), _) => Some((p.comments[parent].id.clone(), author_id(inner, &p.comments[parent]))),
        (None, Some(post)) => Some((p.posts[post].id.clone(), crate::credentials::X_USER_ID.to_owned())),
        (None, None) => None,
    }
}

fn tweet_json(inner: &Inner, i: usize) -> Value {
    let c = &inner.public.comments[i];
    let mut v = json!({
        "id": c.id,
        "text": c.text,
        "author_id": author_id(inner, c),
        "created_at": at(c.at),
        "conversation_id": inner.public.x_conversation(i),
        "edit_history_tweet_ids": [c.id],
    });
    if let Some((id, user)) = replied_to(inner, c) {
        v["in_reply_to_user_id"] = json!(user);
        v["referenced_tweets"] = json!([{"type": "replied_to", "id": id}]);
    }
    v
}

fn user_json(inner: &Inner, id: &str) -> Value {
    match inner.world.x_customer(id).map(|i| &inner.world.customers[i]) {
        Some(c) => json!({"id": id, "name": c.name, "username": c.username()}),
        None => json!({"id": crate::credentials::X_USER_ID, "name": "Acme Support", "username": "acmesupport"}),
    }
}

fn max_results(query: &HashMap<String, String>, range: std::ops::RangeInclusive<usize>, default: usize) -> Result<usize, Response> {
    match query.get("max_results").map(|m| m.parse::<usize>()) {
        None => Ok(default),
        Some(Ok(n)) if range.contains(&n) => Ok(n),
        Some(_) => Err(problem(
            StatusCode::BAD_REQUEST,
            &format!("The `max_results` query parameter value is not between {} and {}", range.start(), range.end()),
        )),
    }
}

fn id_of(c: &Comment) -> u64 {
    c.id.parse().unwrap_or(0)
}

/// A page of posts `items` (newest first), below the token's id and above `since_id`, with the
/// expansions asked for.
fn listing(inner: &Inner, mut items: Vec<usize>, query: &HashMap<String, String>, max: usize, token_param: &str) -> Response {
    let p = &inner.public;
    items.sort_by_key(|&i| std::cmp::Reverse(id_of(&p.comments[i])));
    let since: u64 = query.get("since_id").and_then(|s| s.parse().ok()).unwrap_or(0);
    let before = match query.get(token_param) {
        None => u64::MAX,
        Some(t) => match parse_token(t) {
            Some(id) => id,
            None => return problem(StatusCode::BAD_REQUEST, &format!("The `{token_param}` query parameter value is invalid")),
        },
    };
    let mut walk = items.into_iter().filter(|&i| id_of(&p.comments[i]) < before && id_of(&p.comments[i]) > since);
    let page: Vec<usize> = walk.by_ref().take(max).collect();
    let more = walk.next().is_some();
    if page.is_empty() {
        return Json(json!({"meta": {"result_count": 0}})).into_response();
    }
    let data: Vec<Value> = page.iter().map(|&i| tweet_json(inner, i)).collect();
    let mut meta = json!({
        "result_count": data.len(),
        "newest_id": p.comments[page[0]].id,
        "oldest_id": p.comments[*page.last().expect("non-empty")].id,
    });
    if more {
        meta["next_token"] = json!(token(id_of(&p.comments[*page.last().expect("non-empty")])));
    }
    let mut body = json!({"data": data, "meta": meta});
    let expansions: Vec<&str> = query.get("expansions").map(|e| e.split(',').collect()).unwrap_or_default();
    let mut includes = json!({});
    let mut authors: Vec<String> = Vec::new();
    if expansions.contains(&"author_id") {
        authors.extend(page.iter().map(|&i| author_id(inner, &p.comments[i])));
    }
    // The authors of the posts these answer.
    if expansions.contains(&"referenced_tweets.id.author_id") {
        authors.extend(page.iter().filter_map(|&i| replied_to(inner, &p.comments[i])).map(|(_, user)| user));
    }
    if !authors.is_empty() {
        let users: BTreeMap<String, Value> = authors.into_iter().map(|id| (id.clone(), user_json(inner, &id))).collect();
        includes["users"] = json!(users.into_values().collect::<Vec<_>>());
    }
    if expansions.contains(&"referenced_tweets.id") {
        let tweets: Vec<Value> = page
            .iter()
            .filter_map(|&i| replied_to(inner, &p.comments[i]))
            .map(|(id, _)| id)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .filter_map(|id| match (p.find(&id), p.find_post(&id)) {
                (Some(c), _) => Some(tweet_json(inner, c)),
                (None, Some(post)) => {
                    let post = &p.posts[post];
                    Some(json!({"id": post.id, "text": post.text, "author_id": crate::credentials::X_USER_ID, "created_at": at(post.at), "conversation_id": post.id}))
                }
                _ => None,
            })
            .collect();
        includes["tweets"] = json!(tweets);
    }
    if includes.as_object().is_some_and(|o| !o.is_empty()) {
        body["includes"] = includes;
    }
    Json(body).into_response()
}

async fn mentions(state: Shared<Arc<State>>, id: Path<String>, headers: HeaderMap, query: Query<HashMap<String, String>>) -> Response {
    let handle = crate::public::X_HANDLE.to_lowercase();
    user_timeline(state, id, headers, query, |c| c.author.is_some() && c.text.to_lowercase().contains(&handle))
}

async fn own_posts(state: Shared<Arc<State>>, id: Path<String>, headers: HeaderMap, query: Query<HashMap<String, String>>) -> Response {
    user_timeline(state, id, headers, query, |c| c.author.is_none())
}

/// A timeline of the business's account (`keep` says which posts on X are in it); other users'
/// timelines are empty here.
fn user_timeline(
    Shared(state): Shared<Arc<State>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
    keep: impl Fn(&Comment) -> bool,
) -> Response {
    if let Some(refused) = refusal(&headers) {
        return refused;
    }
    let max = match max_results(&query, 5..=100, 10) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let inner = state.read();
    let p = &inner.public;
    let items: Vec<usize> = if id == crate::credentials::X_USER_ID {
        (0..p.comments.len()).filter(|&i| p.comments[i].surface == Surface::X && keep(&p.comments[i])).collect()
    } else {
        Vec::new()
    };
    listing(&inner, items, &query, max, "pagination_token")
}

/// The terms a search query looks for, and the authors it leaves out: enough of X's query
/// language for brand listening (`"Acme Corp" OR acme OR #acme -from:acmesupport -is:retweet`).
fn terms(query: &str) -> (Vec<String>, Vec<String>) {
    let (mut wanted, mut excluded) = (Vec::new(), Vec::new());
    let mut rest = query.replace(['(', ')'], " ");
    while let Some(start) = rest.find('"') {
        let Some(len) = rest[start + 1..].find('"') else { break };
        wanted.push(rest[start + 1..start + 1 + len].to_lowercase());
        rest.replace_range(start..start + len + 2, " ");
    }
    for word in rest.split_whitespace() {
        match word {
            "OR" | "AND" => {}
            _ if word.starts_with("-from:") => excluded.push(word["-from:".len()..].to_lowercase()),
            _ if word.starts_with('-') || word.contains(':') => {}
            _ => wanted.push(word.to_lowercase()),
        }
    }
    (wanted, excluded)
}

async fn search(Shared(state): Shared<Arc<State>>, headers: HeaderMap, Query(query): Query<HashMap<String, String>>) -> Response {
    if let Some(refused) = refusal(&headers) {
        return refused;
    }
    let Some(q) = query.get("query").filter(|q| !q.trim().is_empty()) else {
        return problem(StatusCode::BAD_REQUEST, "The `query` query parameter can not be empty");
    };
    if q.chars().count() > MAX_QUERY {
        return problem(StatusCode::BAD_REQUEST, &format!("The `query` query parameter value is longer than {MAX_QUERY} characters"));
    }
    let max = match max_results(&query, 10..=100, 10) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let (wanted, excluded) = terms(q);
    let inner = state.read();
    let p = &inner.public;
    let oldest = jiff::Timestamp::now().as_second() - SEARCH_WINDOW;
    let items: Vec<usize> = (0..p.comments.len())
        .filter(|&i| {
            let c = &p.comments[i];
            let text = c.text.to_lowercase();
            let username = c.author.map(|a| inner.world.customers[a].username()).unwrap_or_else(|| "acmesupport".into());
            c.surface == Surface::X && c.at >= oldest && !excluded.contains(&username) && wanted.iter().any(|w| text.contains(w.as_str()))
        })
        .collect();
    listing(&inner, items, &query, max, "next_token")
}

async fn create(Shared(state): Shared<Arc<State>>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    if let Some(refused) = refusal(&headers) {
        return refused;
    }
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return problem(StatusCode::BAD_REQUEST, "One or more parameters to your request was invalid: the body is not JSON");
    };
    let Some(text) = request["text"].as_str().filter(|t| !t.trim().is_empty()).map(str::to_owned) else {
        return problem(StatusCode::BAD_REQUEST, "One or more parameters to your request was invalid: text must not be empty");
    };
    if crate::public::x_length(&text) > 280 {
        return problem(StatusCode::BAD_REQUEST, "One or more parameters to your request was invalid: Your Tweet text is too long.");
    }
    let mut inner = state.lock();
    let parent = match request["reply"]["in_reply_to_tweet_id"].as_str() {
        None => None,
        Some(id) => match inner.public.find(id) {
            Some(i) => Some(i),
            None => return problem(StatusCode::BAD_REQUEST, "Invalid Request: The Tweet you are replying to does not exist or is not visible to you."),
        },
    };
    let chat = parent.map(|i| inner.public.comments[i].id.clone()).unwrap_or_default();
    inner.record_reply(Surface::X.name(), &chat, &text);
    let now = jiff::Timestamp::now().as_second();
    let post = parent.and_then(|i| inner.public.comments[i].post);
    let index = inner.public.add(Comment { surface: Surface::X, id: String::new(), post, parent, author: None, text: text.clone(), at: now, hidden: false, private_reply: false, kind: None });
    let id = inner.public.comments[index].id.clone();
    (StatusCode::CREATED, Json(json!({"data": {"id": id, "text": text, "edit_history_tweet_ids": [id]}}))).into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn search_queries_name_their_terms() {
        let (wanted, excluded) = super::terms(r#"("Acme Corp" OR acme OR #acme) -from:acmesupport -is:retweet"#);
        assert_eq!(wanted, ["acme corp", "acme", "#acme"]);
        assert_eq!(excluded, ["acmesupport"]);
    }
}
