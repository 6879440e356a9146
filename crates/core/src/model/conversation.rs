//! A conversation as the inbox and the thread show it: rows, messages, notes, the post above a
//! public thread, and the bot's part of a conversation a person took over.

use super::{preview, AttachmentKind, AuthorKind, Channel, ConversationStatus, DeliveryState, Direction, Priority};
use super::clock::Clock;
use super::customer::ContactView;
use super::email::EmailRecord;
use serde::{Deserialize, Serialize};

/// One row of the inbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct InboxRow {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    pub account: String,
    pub channel: Channel,
    pub external_id: String,
    pub customer: Option<String>,
    pub subject: Option<String>,
    pub preview: Option<String>,
    pub status: ConversationStatus,
    pub priority: Priority,
    pub assignee: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub unread: i64,
    pub public: bool,
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub last_message_at: Option<jiff::Timestamp>,
    /// When the oldest customer message still waiting for an answer arrived.
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub waiting_since: Option<jiff::Timestamp>,
    /// Public, with sensitive data from the customer in it (see `privacy`).
    #[serde(default)]
    pub sensitive: bool,
    /// The agent has a draft reply here.
    #[serde(default)]
    pub draft: bool,
    /// Its most urgent SLA clock, as of when the row was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock: Option<Clock>,
}

/// Where the next page of a view starts: after the row `id`, whose key in its part of the view
/// is `key` (see `Store::inbox_page`). The UI hands back what a page gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct InboxCursor {
    pub part: u8,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub key: Option<i64>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
}

/// Which conversations an inbox page shows.
#[derive(Debug, Clone, Default)]
pub struct InboxFilter {
    pub channel: Option<Channel>,
    pub status: Option<ConversationStatus>,
    pub assignee: Option<String>,
    pub unassigned: bool,
    pub contact_id: Option<i64>,
    pub tag: Option<String>,
    pub limit: usize,
    /// The next SLA breach first (breached ones first of all), instead of the newest activity.
    pub by_breach: bool,
    /// Only public threads (true) or only private conversations (false).
    pub public: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Attachment {
    pub kind: AttachmentKind,
    pub name: Option<String>,
    pub mime: Option<String>,
    pub url: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub size: Option<i64>,
    /// The platform's id for the file where it gives no link (Telegram): the app can fetch it.
    pub file_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MessageView {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    pub external_id: String,
    pub channel: Channel,
    pub direction: Direction,
    pub author_kind: AuthorKind,
    pub author_name: Option<String>,
    pub text: String,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub at: jiff::Timestamp,
    pub delivery: DeliveryState,
    pub attachments: Vec<Attachment>,
    /// An email's headers, sanitised HTML, folds and parse warning (without the raw message).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<EmailRecord>,
    /// The conversation it belongs to (a customer's timeline spans several).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub conversation_id: i64,
    /// A public comment hidden from everyone but its author (never deleted), and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hidden: Option<String>,
}

/// The public post a public thread hangs under: the business's Facebook post or Instagram
/// media, or the tweet an X mention answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PostView {
    pub external_id: String,
    pub text: String,
    pub author: Option<String>,
    pub url: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub at: jiff::Timestamp,
}

/// An internal note on a conversation: never sent to the customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NoteView {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub conversation_id: i64,
    pub author: Option<String>,
    pub text: String,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub at: jiff::Timestamp,
}

/// A conversation opened: the conversation, its customer, and its latest messages in time order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Thread {
    pub conversation: InboxRow,
    pub contact: Option<ContactView>,
    pub tags: Vec<String>,
    pub messages: Vec<MessageView>,
    /// Internal notes on the conversations shown, oldest first.
    pub notes: Vec<NoteView>,
    /// Where a bot talked before a person took over (see `handoffs`).
    pub handoffs: Vec<Handoff>,
    /// Whether older messages exist than the ones returned.
    pub has_older: bool,
    /// Where the page of older messages ends (see `Store::history`).
    pub older: Option<MessageCursor>,
    /// For a public thread, the post it is under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post: Option<PostView>,
    /// The agent's draft reply, if they left one.
    #[serde(default)]
    pub draft: Option<String>,
}

/// A place in a customer's history: before the message `id` sent at `at` (milliseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MessageCursor {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub at: i64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
}

/// A page of a customer's history, oldest first, with the notes of its time and the cursor of
/// the page before it (none: it holds the first message).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct History {
    pub messages: Vec<MessageView>,
    pub notes: Vec<NoteView>,
    pub handoffs: Vec<Handoff>,
    pub older: Option<MessageCursor>,
}

/// A bot's part of a conversation, ended by a person taking over: the messages from `first` to
/// `last` (ids, in the thread's order) fold under one line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Handoff {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub first: i64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub last: i64,
    pub messages: u32,
    /// The customer's first words to the bot.
    pub asked: Option<String>,
    /// What the customer told the bot after that, one preview each.
    pub collected: Vec<String>,
}

/// The bot parts of `messages` (in time order) that a person took over. Between two agent
/// messages of a conversation, a stretch with bot messages followed by an agent's message folds
/// from its start to the bot's last message; customer messages after that stay in view, since
/// they are what the agent is answering.
pub fn handoffs(messages: &[MessageView]) -> Vec<Handoff> {
    let mut found = Vec::new();
    let mut start = 0;
    for (i, m) in messages.iter().enumerate() {
        let boundary = i > 0 && messages[i - 1].conversation_id != m.conversation_id;
        if boundary {
            start = i;
        }
        if m.author_kind != AuthorKind::Agent {
            continue;
        }
        let stretch = &messages[start..i];
        if let Some(last_bot) = stretch.iter().rposition(|x| x.author_kind == AuthorKind::Bot) {
            let folded = &stretch[..=last_bot];
            let mut said = folded.iter().filter(|x| x.author_kind == AuthorKind::Customer).map(|x| preview(&x.text)).filter(|t| !t.is_empty());
            let asked = said.next();
            found.push(Handoff {
                first: folded[0].id,
                last: folded[last_bot].id,
                messages: folded.len() as u32,
                asked,
                collected: said.map(|t| t.chars().take(60).collect()).collect(),
            });
        }
        start = i + 1;
    }
    found
}


#[cfg(test)]
mod tests {
    #[test]
    fn a_bots_part_folds_up_to_its_last_message_once_a_person_answers() {
        use super::*;
        let m = |id: i64, kind: AuthorKind, text: &str| MessageView {
            id,
            external_id: id.to_string(),
            channel: Channel::Sms,
            direction: if kind == AuthorKind::Customer { Direction::In } else { Direction::Out },
            author_kind: kind,
            author_name: None,
            text: text.into(),
            at: jiff::Timestamp::UNIX_EPOCH,
            delivery: DeliveryState::Sent,
            attachments: vec![],
            email: None,
            conversation_id: 1,
            hidden: None,
        };
        use AuthorKind::{Agent, Bot, Customer};
        let thread = [
            m(1, Bot, "Hi! What can I help with?"),
            m(2, Customer, "Where is my parcel?"),
            m(3, Bot, "Your order number?"),
            m(4, Customer, "1043"),
            m(5, Bot, "Connecting you to a person."),
            m(6, Customer, "hello??"),
            m(7, Agent, "Hi, Mina here."),
            m(8, Customer, "thanks"),
        ];
        assert_eq!(
            handoffs(&thread),
            [Handoff { first: 1, last: 5, messages: 5, asked: Some("Where is my parcel?".into()), collected: vec!["1043".into()] }]
        );
        // Nobody took over yet: nothing folds.
        assert!(handoffs(&thread[..6]).is_empty());
    }

}
