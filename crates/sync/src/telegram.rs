//! Telegram Bot API: `getUpdates` long-poll with `offset` (passing it confirms the updates
//! before it, so the offset is stored with the messages it covers) and `sendMessage`.

use crate::wire::{readable, Pulled, Raw};
use crate::error::Error;
use serde::Deserialize;
use std::time::Duration;
use switchboard_core::interchange::{AttachmentRecord, Author, MessageRecord, Record};
use switchboard_core::model::{AccountView, AttachmentKind, AuthorKind, Direction};
use switchboard_core::sensitive::Sensitive;

const PAGE: usize = 100;
pub(crate) const DEFAULT_BASE: &str = "https://api.telegram.org";

pub struct Telegram {
    account: String,
    base: String,
    token: Sensitive<String>,
    http: reqwest::Client,
}

#[derive(Deserialize)]
struct Reply<T> {
    ok: bool,
    result: Option<T>,
    error_code: Option<u16>,
    description: Option<String>,
    parameters: Option<Parameters>,
}

#[derive(Deserialize)]
struct Parameters {
    retry_after: Option<u64>,
}

#[derive(Deserialize)]
struct Update {
    update_id: i64,
    /// Kept raw: one unreadable message is skipped, not the whole batch.
    message: Option<Raw>,
}

#[derive(Deserialize)]
struct Message {
    message_id: i64,
    from: Option<User>,
    chat: Chat,
    date: i64,
    text: Option<String>,
    caption: Option<String>,
    photo: Option<Vec<PhotoSize>>,
    document: Option<Document>,
}

#[derive(Deserialize)]
struct User {
    is_bot: bool,
    first_name: String,
    last_name: Option<String>,
}

#[derive(Deserialize)]
struct Chat {
    id: i64,
}

#[derive(Deserialize)]
struct PhotoSize {
    file_id: String,
    file_size: Option<i64>,
}

#[derive(Deserialize)]
struct Document {
    file_id: Option<String>,
    file_name: Option<String>,
    mime_type: Option<String>,
    file_size: Option<i64>,
}

/// A person's name from Telegram's parts: Korean, Chinese and Japanese names read family name
/// first, with no space (한 + 다은 → 한다은); others "first last".
fn full_name(first: &str, last: Option<&str>) -> String {
    let cjk = |s: &str| s.chars().all(|c| matches!(c as u32, 0x1100..=0x11FF | 0x3040..=0x30FF | 0x3130..=0x318F | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF));
    match last.filter(|l| !l.is_empty()) {
        Some(last) if cjk(first) && cjk(last) => format!("{last}{first}"),
        Some(last) => format!("{first} {last}"),
        None => first.to_owned(),
    }
}

impl Telegram {
    pub(crate) fn new(account: &AccountView, token: Sensitive<String>, http: reqwest::Client) -> Result<Self, Error> {
        let base = account.config.get("base_url").and_then(|v| v.as_str()).unwrap_or(DEFAULT_BASE);
        Ok(Telegram { account: account.key.clone(), base: base.trim_end_matches('/').to_owned(), token, http })
    }

    fn url(&self, method: &str) -> String {
        format!("{}/bot{}/{method}", self.base, self.token.expose())
    }

    async fn call<T: serde::de::DeserializeOwned>(&self, request: reqwest::RequestBuilder) -> Result<T, Error> {
        let response = request.send().await?;
        let status = response.status();
        let body = response.bytes().await?;
        let reply: Reply<T> = match crate::wire::parse(status, &body) {
            Ok(r) => r,
            Err(_) if status.is_server_error() => return Err(Error::Transient(format!("HTTP {status}"))),
            Err(e) => return Err(e),
        };
        if reply.ok {
            return reply.result.ok_or_else(|| Error::Malformed("ok without a result".into()));
        }
        let description = reply.description.unwrap_or_else(|| status.to_string());
        Err(match reply.error_code.unwrap_or(status.as_u16()) {
            401 | 404 => Error::Auth(description),
            429 => Error::RateLimited(Duration::from_secs(reply.parameters.and_then(|p| p.retry_after).unwrap_or(1))),
            code if code >= 500 => Error::Transient(description),
            _ => Error::Refused(description),
        })
    }

    /// Where the file server has the file `file_id` (`getFile`; the link holds the token and
    /// lasts an hour).
    pub(crate) async fn file_url(&self, file_id: &str) -> Result<String, Error> {
        #[derive(Deserialize)]
        struct File {
            file_path: Option<String>,
        }
        let file: File = self.call(self.http.get(self.url("getFile")).query(&[("file_id", file_id)])).await?;
        let path = file.file_path.ok_or_else(|| Error::Refused("Telegram no longer has this file".into()))?;
        Ok(format!("{}/file/bot{}/{path}", self.base, self.token.expose()))
    }

    pub(crate) async fn pull(&self, cursor: Option<&str>, wait: Duration) -> Result<Pulled, Error> {
        let offset: i64 = match cursor {
            Some(c) => c.parse().map_err(|_| Error::Malformed("stored Telegram offset is not a number".into()))?,
            None => 0,
        };
        let request = self
            .http
            .get(self.url("getUpdates"))
            .query(&[("offset", offset.to_string()), ("limit", PAGE.to_string()), ("timeout", wait.as_secs().to_string())])
            .timeout(wait + Duration::from_secs(20));
        let updates: Vec<Update> = self.call(request).await?;
        let mut records = Vec::with_capacity(updates.len());
        let mut skipped = 0;
        let mut next = offset;
        let fetched = updates.len();
        for update in updates {
            next = next.max(update.update_id + 1);
            let Some(raw) = update.message else { continue };
            if let Some(m) = readable::<Message>(raw, &self.account, "Telegram message", &mut skipped) {
                records.push(self.record(m));
            }
        }
        Ok(Pulled { records, cursor: next.to_string(), caught_up: fetched < PAGE, skipped })
    }

    fn record(&self, m: Message) -> Record {
        let chat = m.chat.id.to_string();
        let (kind, name) = match &m.from {
            Some(u) if u.is_bot => (AuthorKind::Bot, Some(u.first_name.clone())),
            Some(u) => (AuthorKind::Customer, Some(full_name(&u.first_name, u.last_name.as_deref()))),
            None => (AuthorKind::System, None),
        };
        let mut attachments = Vec::new();
        // The sizes of a photo come smallest first: the largest is the one to show.
        if let Some(largest) = m.photo.as_ref().and_then(|sizes| sizes.last()) {
            attachments.push(AttachmentRecord {
                kind: AttachmentKind::Image,
                name: None,
                mime: Some("image/jpeg".into()),
                url: None,
                size: largest.file_size,
                file_id: Some(largest.file_id.clone()),
            });
        }
        if let Some(d) = &m.document {
            attachments.push(AttachmentRecord {
                kind: AttachmentKind::File,
                name: d.file_name.clone(),
                mime: d.mime_type.clone(),
                url: None,
                size: d.file_size,
                file_id: d.file_id.clone(),
            });
        }
        Record::Message(MessageRecord {
            account: self.account.clone(),
            conversation: chat.clone(),
            // message_id is unique within a chat only.
            id: format!("{chat}:{}", m.message_id),
            direction: if kind == AuthorKind::Customer { Direction::In } else { Direction::Out },
            author: Author { kind, name, handle: Some(chat) },
            text: m.text.or(m.caption).unwrap_or_default(),
            at: jiff::Timestamp::from_second(m.date).unwrap_or(jiff::Timestamp::UNIX_EPOCH),
            delivery: None,
            attachments,
            email: None,
        })
    }

    pub(crate) async fn send(&self, chat: &str, text: &str) -> Result<String, Error> {
        let request = self
            .http
            .post(self.url("sendMessage"))
            .json(&serde_json::json!({"chat_id": chat, "text": text}))
            .timeout(Duration::from_secs(30));
        let sent: serde_json::Value = self.call(request).await?;
        let id = sent["message_id"].as_i64().ok_or_else(|| Error::Malformed("sendMessage result has no message_id".into()))?;
        Ok(format!("{chat}:{id}"))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_follow_their_script() {
        assert_eq!(super::full_name("다은", Some("한")), "한다은");
        assert_eq!(super::full_name("Grace", Some("Kim")), "Grace Kim");
        assert_eq!(super::full_name("Grace", None), "Grace");
    }
}
