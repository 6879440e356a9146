//! Twilio Messages for one SMS or WhatsApp number. The list is newest first, so an incremental
//! sync walks pages back to the newest message it already has (see `walk`).

use crate::wire::{readable, setting, skip, Pulled, Raw};
use crate::error::Error;
use crate::walk::{Walk, OVERLAP};
use serde::Deserialize;
use std::time::Duration;
use switchboard_core::interchange::{AttachmentRecord, Author, MessageRecord, Record};
use switchboard_core::model::{AccountView, AttachmentKind, AuthorKind, Direction, Template};
use switchboard_core::sensitive::Sensitive;

pub(crate) const DEFAULT_BASE: &str = "https://api.twilio.com";

pub struct Twilio {
    account: String,
    base: String,
    sid: String,
    number: String,
    token: Sensitive<String>,
    http: reqwest::Client,
}

#[derive(Deserialize)]
struct Page {
    messages: Vec<Raw>,
    next_page_uri: Option<String>,
}

#[derive(Deserialize)]
struct Message {
    sid: String,
    from: String,
    to: String,
    body: Option<String>,
    direction: String,
    date_sent: Option<String>,
    date_created: Option<String>,
    num_media: Option<String>,
}

#[derive(Deserialize)]
struct Problem {
    code: Option<u32>,
    message: Option<String>,
}

fn parse_time(s: &str) -> Option<jiff::Timestamp> {
    jiff::fmt::rfc2822::parse(s).ok().map(|z| z.timestamp())
}

impl Twilio {
    pub(crate) fn new(account: &AccountView, token: Sensitive<String>, http: reqwest::Client) -> Result<Self, Error> {
        let base = account.config.get("base_url").and_then(|v| v.as_str()).unwrap_or(DEFAULT_BASE);
        Ok(Twilio {
            account: account.key.clone(),
            base: base.trim_end_matches('/').to_owned(),
            sid: setting(account, "account_sid")?.to_owned(),
            number: setting(account, "number")?.to_owned(),
            token,
            http,
        })
    }

    pub(crate) fn authorized(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        request.basic_auth(&self.sid, Some(self.token.expose()))
    }

    /// The `index`th media of message `message`: its type and where its content is.
    pub(crate) async fn media(&self, message: &str, index: usize) -> Result<(String, String), Error> {
        #[derive(Deserialize)]
        struct List {
            media_list: Vec<Media>,
        }
        #[derive(Deserialize)]
        struct Media {
            content_type: String,
            uri: String,
        }
        let url = format!("{}/2010-04-01/Accounts/{}/Messages/{message}/Media.json", self.base, self.sid);
        let list: List = self.call(self.http.get(url)).await?;
        let media = list.media_list.into_iter().nth(index).ok_or_else(|| Error::Refused("Twilio no longer has this media".into()))?;
        // The resource's `.json` is its description; without it, its content. A path on the API
        // only: anything else would put another host after the base.
        if !media.uri.starts_with("/2010-04-01/Accounts/") {
            return Err(Error::Malformed("a media uri that is not on Twilio's API".into()));
        }
        let content = media.uri.strip_suffix(".json").unwrap_or(&media.uri);
        Ok((media.content_type.to_ascii_lowercase(), format!("{}{content}", self.base)))
    }

    fn messages_url(&self) -> String {
        format!("{}/2010-04-01/Accounts/{}/Messages.json", self.base, self.sid)
    }

    async fn call<T: serde::de::DeserializeOwned>(&self, request: reqwest::RequestBuilder) -> Result<T, Error> {
        let response = self.authorized(request).timeout(Duration::from_secs(30)).send().await?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let body = response.bytes().await?;
        if status.is_success() {
            return crate::wire::parse(status, &body);
        }
        let problem: Problem = serde_json::from_slice(&body).unwrap_or(Problem { code: None, message: None });
        let message = format!("{} (code {})", problem.message.unwrap_or_else(|| status.to_string()), problem.code.unwrap_or(0));
        Err(match status.as_u16() {
            401 | 403 => Error::Auth(message),
            429 => Error::RateLimited(Duration::from_secs(retry_after.unwrap_or(1))),
            s if s >= 500 => Error::Transient(message),
            _ => Error::Refused(message),
        })
    }

    pub(crate) async fn pull(&self, cursor: Option<&str>) -> Result<Pulled, Error> {
        let mut walk = Walk::resume(cursor, "Twilio")?;
        let request = match walk.next_page() {
            Some(next) => self.http.get(format!("{}{next}", self.base)),
            None => {
                let mut query = vec![("PageSize".to_owned(), "1000".to_owned())];
                if let Some(since) = walk.since() {
                    let day = jiff::Timestamp::from_second(since - OVERLAP - 86_400)
                        .map(|t| t.strftime("%Y-%m-%d").to_string())
                        .unwrap_or_default();
                    query.push(("DateSent>".to_owned(), day));
                }
                self.http.get(self.messages_url()).query(&query)
            }
        };
        let page: Page = match self.call(request).await {
            // A page token can expire between runs: start the walk again from the top.
            Err(Error::Refused(_)) if walk.next_page().is_some() => return Ok(walk.restart()),
            other => other?,
        };
        let (mut records, mut skipped, mut reached_known) = (Vec::new(), 0, false);
        for raw in page.messages {
            let Some(m) = readable::<Message>(raw, &self.account, "Twilio message", &mut skipped) else { continue };
            let Some(at) = m.date_sent.as_deref().or(m.date_created.as_deref()).and_then(parse_time) else {
                skip(&self.account, "Twilio message", "no readable date", &mut skipped);
                continue;
            };
            if !walk.take(at.as_second()) {
                reached_known = true;
                break;
            }
            if let Some(record) = self.record(m, at) {
                records.push(record);
            }
        }
        walk.turn_page(page.next_page_uri, reached_known);
        Ok(Pulled { records, cursor: walk.save(), caught_up: walk.caught_up(), skipped })
    }

    /// A message of this account's number as a record; other numbers' messages are not ours.
    fn record(&self, m: Message, at: jiff::Timestamp) -> Option<Record> {
        let inbound = m.direction == "inbound";
        let (ours, customer) = if inbound { (&m.to, &m.from) } else { (&m.from, &m.to) };
        if *ours != self.number {
            return None;
        }
        let media: usize = m.num_media.as_deref().and_then(|n| n.parse().ok()).unwrap_or(0);
        let attachments = (0..media)
            .map(|_| AttachmentRecord { kind: AttachmentKind::File, name: None, mime: None, url: None, size: None, file_id: None })
            .collect();
        Some(Record::Message(MessageRecord {
            account: self.account.clone(),
            conversation: customer.clone(),
            id: m.sid,
            direction: if inbound { Direction::In } else { Direction::Out },
            author: Author {
                // `outbound-reply` answers an incoming message through TwiML: an auto-responder
                // or a Studio flow, not a person.
                kind: match m.direction.as_str() {
                    "inbound" => AuthorKind::Customer,
                    "outbound-reply" => AuthorKind::Bot,
                    _ => AuthorKind::Agent,
                },
                name: None,
                handle: Some(customer.clone()),
            },
            text: m.body.unwrap_or_default(),
            at,
            delivery: None,
            attachments,
            email: None,
        }))
    }

    pub(crate) async fn send(&self, to: &str, text: &str) -> Result<String, Error> {
        let request = self.http.post(self.messages_url()).form(&[("To", to), ("From", self.number.as_str()), ("Body", text)]);
        let created: Message = self.call(request).await?;
        Ok(created.sid)
    }

    /// An approved template (Content SID) with its variables: WhatsApp takes it outside the
    /// 24-hour window too.
    pub(crate) async fn send_template(&self, to: &str, template: &Template) -> Result<String, Error> {
        let mut form = vec![("To", to.to_owned()), ("From", self.number.clone()), ("ContentSid", template.id.clone())];
        if !template.variables.is_empty() {
            form.push(("ContentVariables", serde_json::to_string(&template.variables).expect("json")));
        }
        let created: Message = self.call(self.http.post(self.messages_url()).form(&form)).await?;
        Ok(created.sid)
    }

    pub(crate) async fn find_sent(&self, to: &str, text: &str, since: jiff::Timestamp) -> Result<Option<String>, Error> {
        let request = self.http.get(self.messages_url()).query(&[("To", to), ("From", self.number.as_str()), ("PageSize", "50")]);
        let page: Page = self.call(request).await?;
        Ok(page
            .messages
            .into_iter()
            .filter_map(|raw| serde_json::from_str::<Message>(raw.get()).ok())
            .find(|m| {
                let at = m.date_sent.as_deref().or(m.date_created.as_deref()).and_then(parse_time);
                m.body.as_deref() == Some(text) && at.is_some_and(|t| t.as_second() >= since.as_second() - OVERLAP)
            })
            .map(|m| m.sid))
    }
}
