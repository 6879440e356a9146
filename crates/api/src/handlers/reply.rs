//! Answering: the composer's rules as the agent types, replies (in public, in private), hiding a
//! public comment, an incident's update to every conversation it touched, a failed reply again.

use crate::context::Context;
use crate::error::{ApiError, Result};
use crate::events::Event;
use serde::{Deserialize, Serialize};
use switchboard_core::interchange::CannedAction;
use switchboard_core::model::{Channel, HideReason, OutboxItem};
use switchboard_core::reply_rules::{self, Limit, Window};
use switchboard_core::store::BroadcastResult;
use switchboard_core::Error;
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ComposerRequest {
    #[ts(type = "number")]
    pub conversation: i64,
    pub text: String,
}

/// The composer's rules for the text typed so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ComposerState {
    /// Added at the end of the reply on this channel (counted in `length`).
    pub signature: Option<String>,
    /// The thread is public and the text holds sensitive data: offer to continue in private.
    pub go_private: bool,
    /// The text's length in the channel's unit, and the channel's limit in it, if it has one.
    pub length: u32,
    pub limit: Option<u32>,
    pub unit: LengthUnit,
    pub window: ReplyWindow,
    /// Why this text cannot be sent now, in words for the agent.
    pub problem: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum LengthUnit {
    Characters,
    Bytes,
    /// X's weighted count: Korean, Chinese and Japanese letters and emoji count 2, a link 23.
    Weighted,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ReplyWindow {
    /// A normal reply goes.
    Open,
    /// Outside 24 hours: sent with the human-agent tag (Messenger, Instagram).
    HumanAgent,
    /// Nothing but a template (WhatsApp), or nothing at all.
    Closed,
}

/// A reply, queued and sent by the sync. The same `key` twice is the same reply. The channel's
/// signature is added; `actions` (from a canned reply) are applied to the conversation once the
/// reply is queued; the conversation's draft is gone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ReplyRequest {
    #[ts(type = "number")]
    pub conversation: i64,
    pub text: String,
    pub key: String,
    #[serde(default)]
    pub actions: Vec<CannedAction>,
}

/// Answers a public thread's comment (`comment`, else the customer's newest) in private: a
/// Messenger or Instagram private reply, or an X direct message. The item is in the customer's
/// private conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ReplyPrivatelyRequest {
    #[ts(type = "number")]
    pub conversation: i64,
    #[ts(type = "number | null")]
    #[serde(default)]
    pub comment: Option<i64>,
    pub text: String,
    pub key: String,
}

/// Hides a customer's public comment (spam, abuse, or their own private data), kept in the store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct HideCommentRequest {
    #[ts(type = "number")]
    pub message: i64,
    pub reason: HideReason,
    #[serde(default)]
    pub note: Option<String>,
}

/// One status update to every open conversation tagged `tag` (an incident), each in public or
/// privately as its channel allows; `key` makes sending it again send nothing twice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct BroadcastRequest {
    pub tag: String,
    pub text: String,
    pub key: String,
}

/// A failed reply queued again, named by the thread message that shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct RetryReplyRequest {
    #[ts(type = "number")]
    pub message: i64,
}

fn not_empty(text: &str) -> Result<()> {
    if text.trim().is_empty() {
        return Err(ApiError::invalid("the reply is empty"));
    }
    Ok(())
}

pub(crate) fn composer(cx: &Context, r: ComposerRequest) -> Result<ComposerState> {
    let agent = cx.me();
    let (channel, public, signature, text, checked) = cx.read(|s| {
        let row = s.thread(r.conversation, 1)?.conversation;
        let signature = s.signature(row.channel, &agent)?;
        let text = switchboard_core::templates::signed(&r.text, signature.as_deref());
        let checked = s.check_reply(r.conversation, &text, false, jiff::Timestamp::now());
        Ok((row.channel, row.public, signature, text, checked))
    })?;
    let go_private = public && !switchboard_core::privacy::kinds(&text).is_empty();
    let text = text.as_str();
    // A public reply is measured as the platform counts a public post.
    let rule = if public { reply_rules::public_limit(channel) } else { reply_rules::limit(channel) };
    let (length, limit, unit) = match rule {
        Some(l) => {
            let (used, max) = l.measure(text);
            let unit = match l {
                Limit::Bytes(_) => LengthUnit::Bytes,
                Limit::Chars(_) => LengthUnit::Characters,
                Limit::Weighted(_) => LengthUnit::Weighted,
            };
            (used, Some(max), unit)
        }
        None => (text.chars().count(), None, LengthUnit::Characters),
    };
    let (window, problem) = match checked {
        Ok(Window::Open) => (ReplyWindow::Open, None),
        Ok(Window::HumanAgent) => (ReplyWindow::HumanAgent, None),
        Err(Error::ReplyNotAllowed(why)) => {
            // Too long is the text's problem, not the window's.
            let too_long = limit.is_some_and(|max| length > max);
            (if too_long { ReplyWindow::Open } else { ReplyWindow::Closed }, Some(why))
        }
        Err(e) => return Err(e.into()),
    };
    Ok(ComposerState { signature, go_private, length: length as u32, limit: limit.map(|l| l as u32), unit, window, problem })
}

pub(crate) fn reply(cx: &Context, r: ReplyRequest) -> Result<OutboxItem> {
    not_empty(&r.text)?;
    let agent = cx.me();
    let conversation = r.conversation;
    let actions = r.actions.clone();
    let item = cx.write(move |s| {
        let channel = s.thread(conversation, 1)?.conversation.channel;
        let text = switchboard_core::templates::signed(&r.text, s.signature(channel, &agent)?.as_deref());
        let item = s.enqueue_reply(conversation, &text, Some(&agent), Some(&r.key))?;
        s.save_draft(conversation, "")?;
        crate::handlers::conversation::apply_actions(s, conversation, &actions)?;
        Ok(item)
    })?;
    cx.wake_sender();
    cx.emit(Event::Messages { conversations: vec![conversation], from_customers: vec![] });
    Ok(item)
}

pub(crate) fn reply_privately(cx: &Context, r: ReplyPrivatelyRequest) -> Result<OutboxItem> {
    not_empty(&r.text)?;
    let agent = cx.me();
    let conversation = r.conversation;
    let item = cx.write(move |s| {
        // Signed as the private channel it goes out on signs.
        let channel = match s.thread(conversation, 1)?.conversation.channel {
            Channel::Facebook => Channel::Messenger,
            other => other,
        };
        let text = switchboard_core::templates::signed(&r.text, s.signature(channel, &agent)?.as_deref());
        let item = s.reply_privately(conversation, r.comment, &text, Some(&agent), Some(&r.key))?;
        s.save_draft(conversation, "")?;
        Ok(item)
    })?;
    cx.wake_sender();
    cx.emit(Event::Messages { conversations: vec![conversation, item.conversation_id], from_customers: vec![] });
    Ok(item)
}

pub(crate) fn hide_comment(cx: &Context, r: HideCommentRequest) -> Result<OutboxItem> {
    let agent = cx.me();
    let item = cx.write(move |s| s.hide_comment(r.message, r.reason, r.note.as_deref(), Some(&agent), None))?;
    cx.wake_sender();
    cx.emit(Event::Messages { conversations: vec![item.conversation_id], from_customers: vec![] });
    Ok(item)
}

pub(crate) fn broadcast(cx: &Context, r: BroadcastRequest) -> Result<Vec<BroadcastResult>> {
    let agent = cx.me();
    let results = cx.write(move |s| s.broadcast(&r.tag, &r.text, &agent, &r.key))?;
    cx.wake_sender();
    cx.emit(Event::Messages { conversations: results.iter().map(|r| r.conversation).collect(), from_customers: vec![] });
    Ok(results)
}

pub(crate) fn retry_reply(cx: &Context, r: RetryReplyRequest) -> Result<OutboxItem> {
    let message = r.message;
    let item = cx.write(move |s| {
        let reply = s.reply_for_message(message)?.ok_or_else(|| Error::Missing { what: "reply", id: message.to_string() })?;
        s.retry_reply(reply)
    })?;
    cx.wake_sender();
    cx.emit(Event::Messages { conversations: vec![item.conversation_id], from_customers: vec![] });
    Ok(item)
}
