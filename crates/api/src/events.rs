//! What the UI hears without asking, sent as `{"event": "<name>", …}`. Each says what changed, so
//! the UI's stores read just that (a conversation's row, what came after what a thread shows)
//! rather than everything they hold.

use serde::{Deserialize, Serialize};
use switchboard_core::model::{AccountState, Channel, ClockKind};
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// New or changed messages in these conversations (their rows changed with them);
    /// `from_customers` are new customer messages (for notifications).
    Messages {
        #[ts(type = "number[]")]
        conversations: Vec<i64>,
        from_customers: Vec<CustomerMessage>,
    },
    /// These conversations changed without a new message: status, priority, tags, assignee,
    /// read, draft. Their rows are to be read again.
    Conversations {
        #[ts(type = "number[]")]
        ids: Vec<i64>,
    },
    /// The accounts changed (connected, re-authenticated, disconnected, keys given).
    Accounts,
    AccountState {
        account: String,
        state: AccountState,
        detail: Option<String>,
    },
    /// A conversation's SLA clock went past its target.
    Breach {
        #[ts(type = "number")]
        conversation: i64,
        kind: ClockKind,
        assignee: Option<String>,
    },
    /// The customer's profile changed (orders looked up, an edit, a merge): read it again.
    Customer {
        #[ts(type = "number")]
        customer: i64,
    },
    /// A reply in this conversation was sent, or failed with `reason`.
    Reply {
        #[ts(type = "number")]
        reply: i64,
        #[ts(type = "number")]
        conversation: i64,
        sent: bool,
        reason: Option<String>,
    },
    /// The unread count over every conversation changed (new messages, or the agent read some).
    Unread {
        #[ts(type = "number")]
        total: i64,
    },
    /// The agent read this conversation: its next notification starts afresh.
    Read {
        #[ts(type = "number")]
        conversation: i64,
    },
    /// A teammate mentioned this desk's person (`@Name`) in a note on this conversation (team
    /// mode), for a notification.
    Mentioned {
        #[ts(type = "number")]
        conversation: i64,
        by: String,
        /// The start of the note, on one line.
        preview: String,
    },
    /// The store opened (unlocked or created); views should load.
    StoreOpened,
    /// The demo's sandbox runs at this address.
    Demo { sandbox: String },
    /// The desktop app wrote a file the agent saved (an attachment) to `path`; without `path`, it
    /// could not. Web mode leaves saving to the browser and never sends this.
    Saved { name: Option<String>, path: Option<String> },
    /// The agent clicked a notification: show this conversation.
    Open {
        #[ts(type = "number")]
        conversation: i64,
    },
    /// The initial sync's progress per account.
    Progress {
        account: String,
        #[ts(type = "number")]
        pulled: u64,
        caught_up: bool,
    },
}

/// A new message from a customer, as a notification shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct CustomerMessage {
    #[ts(type = "number")]
    pub conversation: i64,
    pub channel: Channel,
    pub sender: String,
    /// The start of the text, on one line.
    pub preview: String,
    /// When the customer wrote it.
    #[ts(type = "string")]
    pub at: jiff::Timestamp,
}
