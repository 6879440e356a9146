//! Meta's Graph API for a Page's Messenger or Instagram inbox. Conversations are listed newest
//! activity first with their 20 newest messages nested; a walk (see `walk`) goes down the list to
//! the conversations already stored, and follows a conversation's own `next` when more than the
//! nested messages are new. Replies go through the Send API, with the HUMAN_AGENT tag after the
//! 24-hour window. Calls are paced by the usage headers.

use crate::wire::{page_size, readable, setting, skip, Pulled, Raw};
use crate::error::Error;
use crate::pace::{graph_usage, Pace, Paces};
use crate::walk::{Walk, OVERLAP};
use serde::Deserialize;
use std::time::Duration;
use switchboard_core::interchange::{AttachmentRecord, Author, MessageRecord, Record};
use switchboard_core::model::{AccountView, AttachmentKind, AuthorKind, Channel, Direction};
use switchboard_core::reply_rules::Window;
use switchboard_core::sensitive::Sensitive;

pub(crate) const DEFAULT_BASE: &str = "https://graph.facebook.com/v21.0";
const MESSAGE_FIELDS: &str = "id,created_time,from,to,message,attachments";

pub struct Graph {
    pub(crate) account: String,
    channel: Channel,
    pub(crate) base: String,
    pub(crate) page: String,
    page_size: usize,
    token: Sensitive<String>,
    pub(crate) http: reqwest::Client,
    pace: std::sync::Arc<Pace>,
    /// The wait at 100 % usage; shorter ones from 80 %.
    usage_pause: Duration,
    /// The business's id in conversations: the Page (Messenger) or its Instagram account.
    business: tokio::sync::OnceCell<String>,
}

/// A Graph list: a page of items and the link to the next.
#[derive(Deserialize)]
pub(crate) struct Edge<T> {
    #[serde(default = "Vec::new")]
    pub data: Vec<T>,
    pub paging: Option<Paging>,
}

#[derive(Deserialize)]
pub(crate) struct Paging {
    pub next: Option<String>,
}

#[derive(Deserialize)]
struct Conversation {
    updated_time: String,
    participants: Edge<Person>,
    messages: Option<Edge<Raw>>,
}

#[derive(Deserialize)]
struct Person {
    id: String,
    name: Option<String>,
    username: Option<String>,
}

#[derive(Deserialize)]
struct Message {
    id: String,
    created_time: String,
    from: Person,
    #[serde(default)]
    message: String,
    attachments: Option<Edge<Attachment>>,
}

#[derive(Deserialize)]
struct Attachment {
    name: Option<String>,
    mime_type: Option<String>,
    size: Option<i64>,
    file_url: Option<String>,
    image_data: Option<ImageData>,
    video_data: Option<ImageData>,
}

#[derive(Deserialize)]
struct ImageData {
    url: Option<String>,
}

#[derive(Deserialize, Default)]
struct Failure {
    error: Option<GraphError>,
}

#[derive(Deserialize)]
struct GraphError {
    message: Option<String>,
    code: Option<u32>,
    error_subcode: Option<u32>,
}

pub(crate) fn parse_time(s: &str) -> Option<jiff::Timestamp> {
    jiff::Timestamp::strptime("%Y-%m-%dT%H:%M:%S%z", s).ok().or_else(|| s.parse().ok())
}

impl Graph {
    pub(crate) fn new(account: &AccountView, token: Sensitive<String>, http: reqwest::Client, paces: &Paces, usage_pause: Duration) -> Result<Self, Error> {
        let base = account.config.get("base_url").and_then(|v| v.as_str()).unwrap_or(DEFAULT_BASE).trim_end_matches('/');
        let page = setting(account, "page_id")?;
        Ok(Graph {
            account: account.key.clone(),
            channel: account.channel,
            base: base.to_owned(),
            page: page.to_owned(),
            page_size: page_size(account),
            token,
            http,
            // The budget is the Page's: its Messenger and Instagram inboxes draw on one.
            pace: paces.get(&format!("graph {base} {page}")),
            usage_pause,
            business: tokio::sync::OnceCell::new(),
        })
    }

    fn platform(&self) -> &'static str {
        if self.channel == Channel::Instagram { "instagram" } else { "messenger" }
    }

    /// A `next` link, if it points back at the configured API: the token never goes elsewhere.
    pub(crate) fn follow(&self, next: &str) -> Result<String, Error> {
        if next.starts_with(&format!("{}/", self.base)) {
            Ok(next.to_owned())
        } else {
            Err(Error::Malformed("a paging link points outside the configured Graph API".into()))
        }
    }

    pub(crate) async fn call<T: serde::de::DeserializeOwned>(&self, request: reqwest::RequestBuilder) -> Result<T, Error> {
        let _turn = self.pace.ready().await;
        let response = request.bearer_auth(self.token.expose()).timeout(Duration::from_secs(30)).send().await?;
        let status = response.status();
        let (pause, tight) = graph_usage(response.headers(), self.usage_pause);
        self.pace.note_usage(pause, tight);
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = response.bytes().await?;
        if status.is_success() {
            return crate::wire::parse(status, &body);
        }
        let failure: Failure = serde_json::from_slice(&body).unwrap_or_default();
        let (code, subcode, message) = match failure.error {
            Some(e) => (e.code.unwrap_or(0), e.error_subcode, e.message.unwrap_or_else(|| status.to_string())),
            None => (0, None, status.to_string()),
        };
        let message = match subcode {
            Some(sub) => format!("{message} (code {code}/{sub})"),
            None => format!("{message} (code {code})"),
        };
        Err(match code {
            190 | 102 => Error::Auth(message),
            4 | 17 | 32 | 613 | 80_000..=80_014 => {
                let wait = retry_after.unwrap_or(pause);
                Error::RateLimited(if wait.is_zero() && retry_after.is_none() { self.usage_pause } else { wait })
            }
            1 | 2 => Error::Transient(message),
            _ if status.is_server_error() => Error::Transient(message),
            _ if status == reqwest::StatusCode::UNAUTHORIZED => Error::Auth(message),
            _ => Error::Refused(message),
        })
    }

    /// Our own id in this inbox's conversations.
    pub(crate) async fn business(&self) -> Result<&str, Error> {
        let id = self
            .business
            .get_or_try_init(|| async {
                if self.channel != Channel::Instagram {
                    return Ok(self.page.clone());
                }
                #[derive(Deserialize)]
                struct Page {
                    instagram_business_account: Option<Linked>,
                }
                #[derive(Deserialize)]
                struct Linked {
                    id: String,
                }
                let url = format!("{}/{}", self.base, self.page);
                let page: Page = self.call(self.http.get(url).query(&[("fields", "instagram_business_account")])).await?;
                page.instagram_business_account.map(|a| a.id).ok_or_else(|| Error::Config {
                    account: self.account.clone(),
                    problem: "the Page has no Instagram professional account linked".into(),
                })
            })
            .await?;
        Ok(id)
    }

    fn conversations_request(&self, limit: usize, user: Option<&str>) -> reqwest::RequestBuilder {
        let fields = format!("participants,updated_time,messages{{{MESSAGE_FIELDS}}}");
        let mut query = vec![("platform", self.platform().to_owned()), ("fields", fields), ("limit", limit.to_string())];
        if let Some(user) = user {
            query.push(("user_id", user.to_owned()));
        }
        self.http.get(format!("{}/{}/conversations", self.base, self.page)).query(&query)
    }

    pub(crate) async fn pull(&self, cursor: Option<&str>) -> Result<Pulled, Error> {
        let mut walk = Walk::resume(cursor, "Graph")?;
        let business = self.business().await?.to_owned();
        let request = match walk.next_page() {
            Some(next) => self.http.get(self.follow(next)?),
            None => self.conversations_request(self.page_size, None),
        };
        let page: Edge<Raw> = match self.call(request).await {
            // Cursors can be invalidated: start the walk again from the top.
            Err(Error::Refused(_)) if walk.next_page().is_some() => return Ok(walk.restart()),
            other => other?,
        };
        let (mut records, mut skipped, mut reached_known) = (Vec::new(), 0, false);
        for raw in page.data {
            let Some(conversation) = readable::<Conversation>(raw, &self.account, "Graph conversation", &mut skipped) else { continue };
            let Some(updated) = parse_time(&conversation.updated_time) else {
                skip(&self.account, "Graph conversation", "no readable time", &mut skipped);
                continue;
            };
            if !walk.take(updated.as_second()) {
                reached_known = true;
                break;
            }
            let Some(customer) = conversation.participants.data.iter().find(|p| p.id != business) else {
                skip(&self.account, "Graph conversation", "no customer among its participants", &mut skipped);
                continue;
            };
            let mut edge = conversation.messages;
            while let Some(current) = edge.take() {
                let mut done = false;
                for raw in current.data {
                    let Some(m) = readable::<Message>(raw, &self.account, "Graph message", &mut skipped) else { continue };
                    match parse_time(&m.created_time) {
                        // Older messages of this conversation are stored.
                        Some(at) if walk.known(at.as_second()) => {
                            done = true;
                            break;
                        }
                        Some(at) => records.push(self.record(m, at, &customer.id, &business)),
                        None => skip(&self.account, "Graph message", "no readable time", &mut skipped),
                    }
                }
                // Only the newest messages come nested: the rest of a long conversation is paged.
                if let (false, Some(next)) = (done, current.paging.and_then(|p| p.next)) {
                    edge = Some(self.call(self.http.get(self.follow(&next)?)).await?);
                }
            }
        }
        walk.turn_page(page.paging.and_then(|p| p.next), reached_known);
        Ok(Pulled { records, cursor: walk.save(), caught_up: walk.caught_up(), skipped })
    }

    fn record(&self, m: Message, at: jiff::Timestamp, customer: &str, business: &str) -> Record {
        let ours = m.from.id == business;
        let attachments = m
            .attachments
            .map(|a| a.data)
            .unwrap_or_default()
            .into_iter()
            .map(|a| {
                let kind = match (&a.image_data, &a.video_data, a.mime_type.as_deref()) {
                    (Some(_), _, _) => AttachmentKind::Image,
                    (_, Some(_), _) => AttachmentKind::Video,
                    (_, _, Some(m)) if m.starts_with("image/") => AttachmentKind::Image,
                    (_, _, Some(m)) if m.starts_with("audio/") => AttachmentKind::Audio,
                    _ => AttachmentKind::File,
                };
                let url = a.image_data.and_then(|i| i.url).or(a.video_data.and_then(|v| v.url)).or(a.file_url);
                AttachmentRecord { kind, name: a.name, mime: a.mime_type, url, size: a.size, file_id: None }
            })
            .collect();
        Record::Message(MessageRecord {
            account: self.account.clone(),
            conversation: customer.to_owned(),
            id: m.id,
            direction: if ours { Direction::Out } else { Direction::In },
            author: Author {
                kind: if ours { AuthorKind::Agent } else { AuthorKind::Customer },
                name: if ours { None } else { m.from.name.or(m.from.username) },
                handle: Some(customer.to_owned()),
            },
            text: m.message,
            at,
            delivery: None,
            attachments,
            email: None,
        })
    }

    pub(crate) async fn send(&self, to: &str, text: &str, window: Window) -> Result<String, Error> {
        let mut body = serde_json::json!({"recipient": {"id": to}, "messaging_type": "RESPONSE", "message": {"text": text}});
        if window == Window::HumanAgent {
            body["messaging_type"] = "MESSAGE_TAG".into();
            body["tag"] = "HUMAN_AGENT".into();
        }
        #[derive(Deserialize)]
        struct Sent {
            message_id: String,
        }
        let sent: Sent = self.call(self.http.post(format!("{}/{}/messages", self.base, self.page)).json(&body)).await?;
        Ok(sent.message_id)
    }

    /// A private reply to a public comment: it opens (or continues) the commenter's conversation
    /// in this inbox. Meta takes one per comment, within 7 days.
    pub(crate) async fn private_reply(&self, comment: &str, text: &str) -> Result<String, Error> {
        let body = serde_json::json!({"recipient": {"comment_id": comment}, "message": {"text": text}});
        #[derive(Deserialize)]
        struct Sent {
            message_id: String,
        }
        let sent: Sent = self.call(self.http.post(format!("{}/{}/messages", self.base, self.page)).json(&body)).await?;
        Ok(sent.message_id)
    }

    pub(crate) async fn find_sent(&self, to: &str, text: &str, since: jiff::Timestamp) -> Result<Option<String>, Error> {
        let business = self.business().await?.to_owned();
        let page: Edge<Conversation> = self.call(self.conversations_request(1, Some(to))).await?;
        Ok(page
            .data
            .into_iter()
            .flat_map(|c| c.messages.map(|m| m.data).unwrap_or_default())
            .filter_map(|raw| serde_json::from_str::<Message>(raw.get()).ok())
            .find(|m| {
                let at = parse_time(&m.created_time).map_or(0, |t| t.as_second());
                m.from.id == business && m.message == text && at >= since.as_second() - OVERLAP
            })
            .map(|m| m.id))
    }
}
