//! A conversation opened: the customer's story across channels a page at a time, reading it,
//! its attachments, and the agent's draft.

use crate::context::Context;
use crate::error::Result;
use crate::events::Event;
use serde::{Deserialize, Serialize};
use switchboard_core::model::{Channel, History, MessageCursor, Thread};
use ts_rs::TS;

/// Messages a page of a thread holds.
const PAGE: usize = 100;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ThreadRequest {
    #[ts(type = "number")]
    pub conversation: i64,
}

/// The page of the customer's history before `before` (a thread's or an earlier page's
/// `older`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct HistoryRequest {
    #[ts(type = "number")]
    pub conversation: i64,
    pub before: MessageCursor,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct MarkReadRequest {
    #[ts(type = "number")]
    pub conversation: i64,
}

/// An email attachment's bytes (to show an image or save a file), or a platform-hosted image's,
/// fetched from the platform's media server to show it inline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct AttachmentRequest {
    #[ts(type = "number")]
    pub message: i64,
    pub index: u32,
}

/// An attachment's content, base64, with its name and type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct AttachmentData {
    pub name: Option<String>,
    pub mime: String,
    pub base64: String,
}

/// The agent's draft reply in a conversation; blank text forgets it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SaveDraftRequest {
    #[ts(type = "number")]
    pub conversation: i64,
    pub text: String,
}

/// The conversation, its customer, and the latest page of the customer's messages on every
/// channel in time order (each names its conversation), with the agent's draft.
pub(crate) fn thread(cx: &Context, r: ThreadRequest) -> Result<Thread> {
    cx.read(|s| s.timeline(r.conversation, PAGE))
}

pub(crate) fn history(cx: &Context, r: HistoryRequest) -> Result<History> {
    cx.read(|s| s.history(r.conversation, &r.before, PAGE))
}

/// The agent has seen the conversation.
pub(crate) fn mark_read(cx: &Context, r: MarkReadRequest) -> Result<()> {
    let conversation = r.conversation;
    let total = cx.write(move |s| {
        s.mark_read(conversation)?;
        s.unread_total()
    })?;
    cx.emit(Event::Read { conversation });
    cx.changed(vec![conversation]);
    cx.emit(Event::Unread { total });
    Ok(())
}

pub(crate) fn save_draft(cx: &Context, r: SaveDraftRequest) -> Result<()> {
    let conversation = r.conversation;
    if cx.write(move |s| s.save_draft(conversation, &r.text))? {
        cx.changed(vec![conversation]);
    }
    Ok(())
}

pub(crate) fn attachment(cx: &Context, r: AttachmentRequest) -> Result<AttachmentData> {
    use base64::Engine as _;
    let (message, index) = (r.message, r.index as usize);
    let (attachment, account, external_id) = cx.read(|s| s.message_attachment(message, index))?;
    let (name, mime, bytes) = if account.channel == Channel::Email {
        let (name, mime, bytes) = cx.read(|s| s.email_attachment(message, index))?;
        (name, mime.unwrap_or_else(|| "application/octet-stream".into()), bytes)
    } else {
        let (mime, bytes) = super::media::hosted_image(cx, &attachment, &account, &external_id, index)?;
        (attachment.name, mime, bytes)
    };
    Ok(AttachmentData { name, mime, base64: base64::engine::general_purpose::STANDARD.encode(bytes) })
}
