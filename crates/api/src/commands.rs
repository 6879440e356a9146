//! Every command's request and response types. The TypeScript copies in ui/src/lib/generated/
//! are generated from these (`cargo xtask bindings`); a test fails when they are stale.

use serde::{Deserialize, Serialize};
use switchboard_core::interchange::{CalendarRecord, CannedAction, CannedReplyRecord, RuleRecord, SlaPolicyRecord};
use switchboard_core::model::{AccountState, Channel, ContactEdit, ConversationStatus, HideReason, Priority};
use switchboard_core::sla::ClockKind;
use switchboard_core::templates::SignatureSettings;
use switchboard_sync::shopify::ShopSettings;
use ts_rs::TS;

/// Everything the UI can ask, as `{"command": "<name>", …arguments}`. The answer of each is
/// named beside it; errors are an [`ApiError`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    /// → [`AppStatus`]
    Status,
    /// → `InboxRow[]`, newest activity first
    Inbox(InboxQuery),
    /// → `Thread`: the conversation, its customer, and the customer's latest messages on every
    /// channel in time order (each names its conversation)
    Thread {
        #[ts(type = "number")]
        conversation: i64,
    },
    /// → null. The agent has seen it.
    MarkRead {
        #[ts(type = "number")]
        conversation: i64,
    },
    /// → [`ComposerState`]: what the channel allows for this text, as the agent types
    Composer {
        #[ts(type = "number")]
        conversation: i64,
        text: String,
    },
    /// → `OutboxItem`: queued; sent by the sync. The same `key` twice is the same reply. The
    /// channel's signature (see `signature_settings`) is added; `actions` (from a canned reply)
    /// are applied to the conversation once the reply is queued.
    Reply {
        #[ts(type = "number")]
        conversation: i64,
        text: String,
        key: String,
        #[serde(default)]
        actions: Vec<CannedAction>,
    },
    /// → `OutboxItem`: answers a public thread's comment (`comment`, else the customer's newest)
    /// in private: a Messenger or Instagram private reply, or an X direct message. The item is
    /// in the customer's private conversation.
    ReplyPrivately {
        #[ts(type = "number")]
        conversation: i64,
        #[ts(type = "number | null")]
        #[serde(default)]
        comment: Option<i64>,
        text: String,
        key: String,
    },
    /// → `OutboxItem`: hides a customer's public comment (spam or abuse only), kept in the store
    HideComment {
        #[ts(type = "number")]
        message: i64,
        reason: HideReason,
        #[serde(default)]
        note: Option<String>,
    },
    /// → `BroadcastResult[]`: one status update to every open conversation tagged `tag` (an
    /// incident), each in public or privately as its channel allows; `key` makes sending it
    /// again send nothing twice
    Broadcast { tag: String, text: String, key: String },
    /// → `OutboxItem`: a failed reply queued again
    RetryReply {
        #[ts(type = "number")]
        reply: i64,
    },
    /// → null
    SetStatus {
        #[ts(type = "number")]
        conversation: i64,
        status: ConversationStatus,
    },
    /// → null
    SetPriority {
        #[ts(type = "number")]
        conversation: i64,
        priority: Priority,
    },
    /// → null. The conversation's tags become exactly these.
    SetTags {
        #[ts(type = "number")]
        conversation: i64,
        tags: Vec<String>,
    },
    /// → null. `me` assigns it to this agent; otherwise it is left unassigned.
    Assign {
        #[ts(type = "number")]
        conversation: i64,
        me: bool,
    },
    /// → `SearchHit[]`, best first
    Search {
        text: String,
        #[serde(default)]
        channel: Option<Channel>,
        #[serde(default)]
        status: Option<ConversationStatus>,
    },
    /// → `AccountView[]`
    Accounts,
    /// → `OutboxItem[]`: the latest 200 replies, newest first
    Outbox,
    /// → `AccountView`: connected, its secret in the keychain; the sync restarts with it.
    AddAccount(crate::accounts::NewAccount),
    /// → null. Stops syncing the account and forgets its secret; its conversations stay.
    DisconnectAccount { key: String },
    /// → null. A new secret for an account (after "needs re-authentication"); it syncs again.
    Reauthenticate { key: String, secret: String },
    /// → `AccountView`. Gives an X account's direct messages the OAuth 1.0a keys X serves DM
    /// photos to (null: takes them away), kept in the keychain.
    SetPhotoKeys { key: String, keys: Option<switchboard_sync::OAuth1Keys> },
    /// → [`AppStatus`]. Opens a locked store with its passphrase, or creates the store with
    /// this passphrase when there is none yet (where no keychain answers).
    Unlock { passphrase: String },
    /// → null. Syncs the bundled sandbox's six demo accounts (first run: "try it with demo data").
    StartDemo,
    /// → [`AttachmentData`]: an email attachment's bytes (to show an image, or save a file), or
    /// a platform-hosted image's, fetched from the platform's media server to show it inline
    Attachment {
        #[ts(type = "number")]
        message: i64,
        index: u32,
    },
    /// → `CustomerProfile`: what the store holds now (see `refresh_orders` for the shop's news)
    Customer {
        #[ts(type = "number")]
        customer: i64,
    },
    /// → `CustomerProfile`, after looking the customer's orders up in the shop if the cached ones
    /// are older than the shop's refresh age (or always, with `force`). A failed lookup keeps
    /// the cached orders and says why in `orders_error`.
    RefreshOrders {
        #[ts(type = "number")]
        customer: i64,
        #[serde(default)]
        force: bool,
    },
    /// → `CustomerProfile`. The fields are checked whole: nothing is stored on an error.
    EditCustomer {
        #[ts(type = "number")]
        customer: i64,
        edit: ContactEdit,
    },
    /// → `ContactHit[]`: customers by name, email or phone (to pick one to merge)
    FindCustomers { text: String },
    /// → `CustomerProfile` of `keep`, which `absorb` is now part of
    MergeCustomers {
        #[ts(type = "number")]
        keep: i64,
        #[ts(type = "number")]
        absorb: i64,
    },
    /// → `CustomerProfile` of the customer the merge was undone from
    Unmerge {
        #[ts(type = "number")]
        merge: i64,
    },
    /// → string: an order on a few lines, to insert into a reply
    OrderSummary {
        #[ts(type = "number")]
        customer: i64,
        order: String,
    },
    /// → `NoteView`: an internal note, never sent
    AddNote {
        #[ts(type = "number")]
        conversation: i64,
        text: String,
    },
    /// → `CannedReplyRecord[]`, by shortcut
    CannedReplies,
    /// → `CannedReplyRecord[]`: the library after adding or replacing this reply (by shortcut)
    SaveCannedReply(CannedReplyRecord),
    /// → `CannedReplyRecord[]`: the library without this reply
    DeleteCannedReply { shortcut: String },
    /// → `CannedRender`: the reply's variant for this conversation's customer and channel
    RenderCanned {
        shortcut: String,
        #[ts(type = "number")]
        conversation: i64,
    },
    /// → [`ShopView`]
    ShopSettings,
    /// → [`ShopView`]. A new `token` goes to the keychain; none keeps the one there.
    SaveShopSettings { settings: ShopSettings, token: Option<String> },
    /// → `SignatureSettings`
    SignatureSettings,
    /// → null
    SaveSignatureSettings(SignatureSettings),
    /// → `Board`: queues per agent and channel, breaching soon, breached, oldest waiting, the
    /// last hour's volume
    Board,
    /// → `Expectations`: which accounts acknowledge new conversations, and how
    Expectations,
    /// → null
    SaveExpectations(switchboard_core::store::Expectations),
    /// → `RuleRecord[]`: the triage rules, in order
    Rules,
    /// → `RuleRecord[]`, after adding or replacing this rule (by name; checked first)
    SaveRule(RuleRecord),
    /// → `RuleRecord[]`, without this rule
    DeleteRule { name: String },
    /// → [`SlaSettings`]
    SlaSettings,
    /// → [`SlaSettings`], after adding or replacing this calendar (by name)
    SaveCalendar(CalendarRecord),
    /// → [`SlaSettings`], after adding or replacing this policy (by name)
    SaveSlaPolicy(SlaPolicyRecord),
    /// → [`SlaSettings`], without this policy
    DeleteSlaPolicy { name: String },
    /// → `SlaView`: a conversation's policy and clocks
    Sla {
        #[ts(type = "number")]
        conversation: i64,
    },
    /// → [`NotificationSettings`]
    NotificationSettings,
    /// → null
    SaveNotificationSettings(NotificationSettings),
}

/// When a new customer message shows a desktop notification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct NotificationSettings {
    pub enabled: bool,
    pub do_not_disturb: bool,
    /// Channels whose messages never notify.
    pub muted_channels: Vec<Channel>,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        NotificationSettings { enabled: true, do_not_disturb: false, muted_channels: vec![] }
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, TS)]
pub struct InboxQuery {
    #[serde(default)]
    pub view: InboxView,
    #[serde(default)]
    pub channel: Option<Channel>,
    #[serde(default)]
    pub status: Option<ConversationStatus>,
    #[serde(default)]
    pub tag: Option<String>,
    /// At most this many rows (default 200, at most 1000).
    #[serde(default)]
    pub limit: Option<u32>,
    #[serde(default)]
    pub sort: InboxSort,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum InboxSort {
    /// Newest activity first.
    #[default]
    Recent,
    /// The next SLA breach first (breached ones first of all).
    NextBreach,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum InboxView {
    #[default]
    All,
    Mine,
    Unassigned,
    /// Public threads still owed an answer: open (triage solves thanks and passing mentions).
    NeedsReply,
}

/// The business calendars and SLA policies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SlaSettings {
    pub calendars: Vec<CalendarRecord>,
    pub policies: Vec<SlaPolicyRecord>,
}

/// The shop's settings, and whether its access token is in the keychain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ShopView {
    pub settings: ShopSettings,
    pub has_token: bool,
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

/// What the UI hears without asking: sent as `{"event": "<name>", …}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// New or changed messages in these conversations; `from_customers` are new customer
    /// messages (for notifications).
    Messages {
        #[ts(type = "number[]")]
        conversations: Vec<i64>,
        from_customers: Vec<CustomerMessage>,
    },
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
    /// A reply was sent, or failed with `reason`.
    Reply {
        #[ts(type = "number")]
        reply: i64,
        sent: bool,
        reason: Option<String>,
    },
    /// The unread count over every conversation changed (new messages, or the agent read some).
    Unread {
        #[ts(type = "number")]
        total: i64,
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

/// An attachment's content, base64, with its name and type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct AttachmentData {
    pub name: Option<String>,
    pub mime: String,
    pub base64: String,
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

/// What the UI shows before anything else: which app, and whether its store is open.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct AppStatus {
    pub app: String,
    pub version: String,
    /// The agent at this desk, as "Mine" and "assign to me" name them.
    pub agent: String,
    pub store: StoreStatus,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct StoreStatus {
    pub state: StoreState,
    pub path: String,
    /// Why the store is locked or cannot be opened; one line, never a secret.
    pub message: Option<String>,
    pub counts: Option<StoreCounts>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum StoreState {
    /// Open and decrypted.
    Unlocked,
    /// Present, but no key is at hand (no keychain answered, no passphrase given).
    Locked,
    /// No store yet at that path.
    Missing,
    /// Present but cannot be opened: wrong key, damaged, newer version, read-only…
    Error,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct StoreCounts {
    #[ts(type = "number")]
    pub conversations: i64,
    #[ts(type = "number")]
    pub messages: i64,
    /// Unread customer messages over every conversation.
    #[ts(type = "number")]
    pub unread: i64,
}

/// An error as it crosses to the UI: a stable code the UI may act on, and a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    StoreLocked,
    NotFound,
    Invalid,
    /// The channel does not allow this reply now (length, window); the message says why.
    NotAllowed,
    Internal,
}

impl From<switchboard_core::Error> for ApiError {
    fn from(e: switchboard_core::Error) -> Self {
        use switchboard_core::Error as E;
        let code = match &e {
            E::WrongKey(_) | E::PassphraseRequired | E::Keychain(_) | E::KeyMissing => ErrorCode::StoreLocked,
            E::NotFound(_) | E::Missing { .. } => ErrorCode::NotFound,
            E::Invalid(_) => ErrorCode::Invalid,
            E::ReplyNotAllowed(_) => ErrorCode::NotAllowed,
            _ => ErrorCode::Internal,
        };
        ApiError { code, message: e.to_string() }
    }
}

impl From<switchboard_sync::Error> for ApiError {
    fn from(e: switchboard_sync::Error) -> Self {
        use switchboard_sync::Error as E;
        match e {
            E::Store(e) => e.into(),
            E::Refused(_) | E::Config { .. } => ApiError { code: ErrorCode::NotAllowed, message: e.to_string() },
            _ => ApiError { code: ErrorCode::Internal, message: e.to_string() },
        }
    }
}

/// Every exported type with the file it is generated into.
pub fn bindings() -> Vec<(&'static str, String)> {
    fn decl<T: TS + 'static>() -> String {
        T::export_to_string().expect("bindings render")
    }
    use switchboard_core::interchange as i;
    use switchboard_core::model as m;
    vec![
        ("Command.ts", decl::<Command>()),
        ("InboxQuery.ts", decl::<InboxQuery>()),
        ("InboxView.ts", decl::<InboxView>()),
        ("ComposerState.ts", decl::<ComposerState>()),
        ("LengthUnit.ts", decl::<LengthUnit>()),
        ("ReplyWindow.ts", decl::<ReplyWindow>()),
        ("Event.ts", decl::<Event>()),
        ("CustomerMessage.ts", decl::<CustomerMessage>()),
        ("NotificationSettings.ts", decl::<NotificationSettings>()),
        ("NewAccount.ts", decl::<crate::accounts::NewAccount>()),
        ("AttachmentData.ts", decl::<AttachmentData>()),
        ("ShopView.ts", decl::<ShopView>()),
        ("InboxSort.ts", decl::<InboxSort>()),
        ("SlaSettings.ts", decl::<SlaSettings>()),
        ("RuleRecord.ts", decl::<i::RuleRecord>()),
        ("Expectations.ts", decl::<switchboard_core::store::Expectations>()),
        ("AckTexts.ts", decl::<switchboard_core::store::AckTexts>()),
        ("Condition.ts", decl::<i::Condition>()),
        ("RuleAction.ts", decl::<i::RuleAction>()),
        ("CalendarRecord.ts", decl::<i::CalendarRecord>()),
        ("SlaPolicyRecord.ts", decl::<i::SlaPolicyRecord>()),
        ("Board.ts", decl::<switchboard_core::store::Board>()),
        ("Queue.ts", decl::<switchboard_core::store::Queue>()),
        ("ChannelVolume.ts", decl::<switchboard_core::store::ChannelVolume>()),
        ("SlaView.ts", decl::<switchboard_core::store::SlaView>()),
        ("Clock.ts", decl::<switchboard_core::sla::Clock>()),
        ("ClockKind.ts", decl::<ClockKind>()),
        ("ClockState.ts", decl::<switchboard_core::sla::ClockState>()),
        ("ShopSettings.ts", decl::<ShopSettings>()),
        ("OAuth1Keys.ts", decl::<switchboard_sync::OAuth1Keys>()),
        ("SignatureSettings.ts", decl::<SignatureSettings>()),
        ("SignatureMode.ts", decl::<switchboard_core::templates::SignatureMode>()),
        ("CannedRender.ts", decl::<switchboard_core::templates::CannedRender>()),
        ("Unfilled.ts", decl::<switchboard_core::templates::Unfilled>()),
        ("UnfilledReason.ts", decl::<switchboard_core::templates::UnfilledReason>()),
        ("CannedReplyRecord.ts", decl::<i::CannedReplyRecord>()),
        ("CannedVariant.ts", decl::<i::CannedVariant>()),
        ("CannedAction.ts", decl::<i::CannedAction>()),
        ("OrderItem.ts", decl::<i::OrderItem>()),
        ("Tracking.ts", decl::<i::Tracking>()),
        ("CustomerProfile.ts", decl::<m::CustomerProfile>()),
        ("ContactEdit.ts", decl::<m::ContactEdit>()),
        ("IdentityView.ts", decl::<m::IdentityView>()),
        ("OrderView.ts", decl::<m::OrderView>()),
        ("MergeView.ts", decl::<m::MergeView>()),
        ("NoteView.ts", decl::<m::NoteView>()),
        ("Handoff.ts", decl::<m::Handoff>()),
        ("ContactHit.ts", decl::<switchboard_core::search::ContactHit>()),
        ("InboxRow.ts", decl::<m::InboxRow>()),
        ("Thread.ts", decl::<m::Thread>()),
        ("MessageView.ts", decl::<m::MessageView>()),
        ("ContactView.ts", decl::<m::ContactView>()),
        ("Attachment.ts", decl::<m::Attachment>()),
        ("AccountView.ts", decl::<m::AccountView>()),
        ("OutboxItem.ts", decl::<m::OutboxItem>()),
        ("Template.ts", decl::<m::Template>()),
        ("Channel.ts", decl::<m::Channel>()),
        ("Direction.ts", decl::<m::Direction>()),
        ("AuthorKind.ts", decl::<m::AuthorKind>()),
        ("ConversationStatus.ts", decl::<m::ConversationStatus>()),
        ("Priority.ts", decl::<m::Priority>()),
        ("DeliveryState.ts", decl::<m::DeliveryState>()),
        ("AttachmentKind.ts", decl::<m::AttachmentKind>()),
        ("AccountState.ts", decl::<m::AccountState>()),
        ("OutboxState.ts", decl::<m::OutboxState>()),
        ("OutboxKind.ts", decl::<m::OutboxKind>()),
        ("HideReason.ts", decl::<m::HideReason>()),
        ("BroadcastResult.ts", decl::<switchboard_core::store::BroadcastResult>()),
        ("PostView.ts", decl::<m::PostView>()),
        ("EmailRecord.ts", decl::<i::EmailRecord>()),
        ("Fold.ts", decl::<i::Fold>()),
        ("FoldKind.ts", decl::<i::FoldKind>()),
        ("SearchHit.ts", decl::<switchboard_core::search::SearchHit>()),
        ("AppStatus.ts", decl::<AppStatus>()),
        ("StoreStatus.ts", decl::<StoreStatus>()),
        ("StoreState.ts", decl::<StoreState>()),
        ("StoreCounts.ts", decl::<StoreCounts>()),
        ("ApiError.ts", decl::<ApiError>()),
        ("ErrorCode.ts", decl::<ErrorCode>()),
    ]
}
