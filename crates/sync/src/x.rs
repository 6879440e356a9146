//! X API v2 direct messages of the business's account: `dm_events` newest first (a walk, see
//! `walk`, down to the events already stored; X keeps 30 days), replies through DM create. Calls
//! are paced by `x-rate-limit-*`. Group conversations are not support conversations and are left
//! alone.

use crate::wire::{page_size, readable, skip, Pulled, Raw};
use crate::error::Error;
use crate::pace::{until, x_pause, Pace, Paces};
use crate::walk::{Walk, OVERLAP};
use serde::Deserialize;
use std::collections::HashMap;
use std::time::Duration;
use switchboard_core::interchange::{AttachmentRecord, Author, MessageRecord, Record};
use switchboard_core::model::{AccountView, AttachmentKind, AuthorKind, Channel, Direction};
use switchboard_core::sensitive::Sensitive;

pub(crate) const DEFAULT_BASE: &str = "https://api.x.com/2";
const EVENT_FIELDS: &str = "id,text,event_type,created_at,dm_conversation_id,sender_id,attachments";

pub struct X {
    pub(crate) account: String,
    pub(crate) base: String,
    token: Sensitive<String>,
    pub(crate) http: reqwest::Client,
    pace: std::sync::Arc<Pace>,
    page_size: usize,
    /// The business's own user id.
    me: tokio::sync::OnceCell<String>,
}

#[derive(Deserialize)]
struct Events {
    #[serde(default)]
    data: Vec<Raw>,
    includes: Option<Includes>,
    meta: Option<Meta>,
}

#[derive(Deserialize)]
struct Includes {
    #[serde(default)]
    users: Vec<User>,
    #[serde(default)]
    media: Vec<Media>,
}

/// A DM's media, as `attachments.media_keys` expands. Its `url` (ton.twitter.com) shows only to an
/// X session or a request signed with OAuth 1.0a, not to this connector's OAuth 2.0 token: the app
/// shows it with the account's photo keys where the agent added them (`crate::oauth1`), and the
/// agent can always open it in the browser, where they are signed in to X.
#[derive(Deserialize)]
struct Media {
    media_key: String,
    url: Option<String>,
    preview_image_url: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct User {
    pub id: String,
    pub name: Option<String>,
    pub username: Option<String>,
}

#[derive(Deserialize)]
struct Meta {
    next_token: Option<String>,
}

#[derive(Deserialize)]
struct Event {
    id: String,
    event_type: String,
    #[serde(default)]
    text: String,
    created_at: Option<String>,
    dm_conversation_id: Option<String>,
    sender_id: Option<String>,
    attachments: Option<Attachments>,
}

#[derive(Deserialize)]
struct Attachments {
    #[serde(default)]
    media_keys: Vec<String>,
}

#[derive(Deserialize, Default)]
struct Problem {
    title: Option<String>,
    detail: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    errors: Option<Vec<serde_json::Value>>,
}

impl X {
    pub(crate) fn new(account: &AccountView, token: Sensitive<String>, http: reqwest::Client, paces: &Paces) -> Result<Self, Error> {
        let base = account.config.get("base_url").and_then(|v| v.as_str()).unwrap_or(DEFAULT_BASE).trim_end_matches('/');
        Ok(X {
            account: account.key.clone(),
            base: base.to_owned(),
            token,
            http,
            pace: paces.get(&format!("x {base} {}", account.key)),
            page_size: page_size(account),
            me: tokio::sync::OnceCell::new(),
        })
    }

    pub(crate) async fn call<T: serde::de::DeserializeOwned>(&self, request: reqwest::RequestBuilder) -> Result<T, Error> {
        let _turn = self.pace.ready().await;
        let response = request.bearer_auth(self.token.expose()).timeout(Duration::from_secs(30)).send().await?;
        let status = response.status();
        self.pace.note(x_pause(response.headers()));
        let reset = response.headers().get("x-rate-limit-reset").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<i64>().ok());
        let body = response.bytes().await?;
        if status.is_success() {
            return crate::wire::parse(status, &body);
        }
        let problem: Problem = serde_json::from_slice(&body).unwrap_or_default();
        let first_error = problem.errors.as_ref().and_then(|e| e.first()).and_then(|e| e["message"].as_str()).map(str::to_owned);
        let message = problem.detail.or(first_error).or(problem.title).unwrap_or_else(|| status.to_string());
        let capped = problem.kind.as_deref().is_some_and(|k| k.ends_with("/usage-capped"));
        Err(match status.as_u16() {
            401 => Error::Auth(message),
            429 if capped => Error::Refused(format!("{message} (the app's monthly usage cap is reached)")),
            429 => Error::RateLimited(reset.map(until).unwrap_or(Duration::from_secs(60)).max(Duration::from_secs(1))),
            s if s >= 500 => Error::Transient(message),
            _ => Error::Refused(message),
        })
    }

    pub(crate) async fn me(&self) -> Result<&str, Error> {
        let id = self
            .me
            .get_or_try_init(|| async {
                #[derive(Deserialize)]
                struct Me {
                    data: User,
                }
                let me: Me = self.call(self.http.get(format!("{}/users/me", self.base))).await?;
                Ok::<_, Error>(me.data.id)
            })
            .await?;
        Ok(id)
    }

    fn events_request(&self, token: Option<&str>, max: usize) -> reqwest::RequestBuilder {
        let mut query = vec![
            ("dm_event.fields", EVENT_FIELDS.to_owned()),
            ("expansions", "sender_id,attachments.media_keys".to_owned()),
            ("user.fields", "name,username".to_owned()),
            ("media.fields", "media_key,type,url,preview_image_url".to_owned()),
            ("max_results", max.to_string()),
        ];
        if let Some(token) = token {
            query.push(("pagination_token", token.to_owned()));
        }
        self.http.get(format!("{}/dm_events", self.base)).query(&query)
    }

    /// The customer's user id in a one-to-one conversation, or `None` for a group.
    fn participant<'a>(me: &str, event: &'a Event) -> Option<&'a str> {
        let sender = event.sender_id.as_deref()?;
        if sender != me {
            return Some(sender);
        }
        let (a, b) = event.dm_conversation_id.as_deref()?.split_once('-')?;
        Some(if a == me { b } else { a })
    }

    pub(crate) async fn pull(&self, cursor: Option<&str>) -> Result<Pulled, Error> {
        let mut walk = Walk::resume(cursor, "X")?;
        let me = self.me().await?.to_owned();
        let page: Events = match self.call(self.events_request(walk.next_page(), self.page_size)).await {
            Err(Error::Refused(_)) if walk.next_page().is_some() => return Ok(walk.restart()),
            other => other?,
        };
        let (users, media) = page.includes.map(|i| (i.users, i.media)).unwrap_or_default();
        let users: HashMap<String, User> = users.into_iter().map(|u| (u.id.clone(), u)).collect();
        // A link only where X gives one over HTTPS, or on the API's own origin (the sandbox's stand-in
        // for X's media server); a video has its still image only.
        let web = |u: &String| u.starts_with("https://") || crate::media::is_platform_media(Channel::X, Some(&self.base), u);
        let links: HashMap<String, String> = media
            .into_iter()
            .filter_map(|m| Some((m.media_key, m.url.or(m.preview_image_url).filter(web)?)))
            .collect();
        let (mut records, mut skipped, mut reached_known) = (Vec::new(), 0, false);
        for raw in page.data {
            let Some(event) = readable::<Event>(raw, &self.account, "X DM event", &mut skipped) else { continue };
            if event.event_type != "MessageCreate" {
                continue;
            }
            let Some(at) = event.created_at.as_deref().and_then(|t| t.parse::<jiff::Timestamp>().ok()) else {
                skip(&self.account, "X DM event", "no readable time", &mut skipped);
                continue;
            };
            if !walk.take(at.as_second()) {
                reached_known = true;
                break;
            }
            let Some(customer) = Self::participant(&me, &event).map(str::to_owned) else { continue };
            let ours = event.sender_id.as_deref() == Some(me.as_str());
            let name = (!ours).then(|| users.get(&customer).and_then(|u| u.name.clone().or(u.username.clone()))).flatten();
            let attachments = event
                .attachments
                .map(|a| a.media_keys)
                .unwrap_or_default()
                .into_iter()
                .map(|key| {
                    // X's media keys name their type: 3_ photo, 7_ video, 16_ animated GIF.
                    let kind = match key.split_once('_').map(|(t, _)| t) {
                        Some("3") | Some("16") => AttachmentKind::Image,
                        Some("7") => AttachmentKind::Video,
                        _ => AttachmentKind::File,
                    };
                    let url = links.get(&key).cloned();
                    AttachmentRecord { kind, name: None, mime: None, url, size: None, file_id: None }
                })
                .collect();
            records.push(Record::Message(MessageRecord {
                account: self.account.clone(),
                conversation: customer.clone(),
                id: event.id,
                direction: if ours { Direction::Out } else { Direction::In },
                author: Author { kind: if ours { AuthorKind::Agent } else { AuthorKind::Customer }, name, handle: Some(customer) },
                text: event.text,
                at,
                delivery: None,
                attachments,
                email: None,
            }));
        }
        walk.turn_page(page.meta.and_then(|m| m.next_token), reached_known);
        Ok(Pulled { records, cursor: walk.save(), caught_up: walk.caught_up(), skipped })
    }

    pub(crate) async fn send(&self, to: &str, text: &str) -> Result<String, Error> {
        #[derive(Deserialize)]
        struct Created {
            data: CreatedEvent,
        }
        #[derive(Deserialize)]
        struct CreatedEvent {
            dm_event_id: String,
        }
        // The id comes from the store: pushed as a path segment, so it is escaped, never spliced.
        let mut url = reqwest::Url::parse(&format!("{}/dm_conversations/with", self.base))
            .map_err(|e| Error::Config { account: self.account.clone(), problem: format!("base URL: {e}") })?;
        url.path_segments_mut()
            .map_err(|_| Error::Config { account: self.account.clone(), problem: "base URL cannot take a path".into() })?
            .push(to)
            .push("messages");
        let created: Created = self.call(self.http.post(url).json(&serde_json::json!({"text": text}))).await?;
        Ok(created.data.dm_event_id)
    }

    pub(crate) async fn find_sent(&self, to: &str, text: &str, since: jiff::Timestamp) -> Result<Option<String>, Error> {
        let me = self.me().await?.to_owned();
        let page: Events = self.call(self.events_request(None, 100)).await?;
        Ok(page
            .data
            .into_iter()
            .filter_map(|raw| serde_json::from_str::<Event>(raw.get()).ok())
            .find(|e| {
                let at = e.created_at.as_deref().and_then(|t| t.parse::<jiff::Timestamp>().ok()).map_or(0, |t| t.as_second());
                e.sender_id.as_deref() == Some(me.as_str()) && Self::participant(&me, e) == Some(to) && e.text == text && at >= since.as_second() - OVERLAP
            })
            .map(|e| e.id))
    }
}
