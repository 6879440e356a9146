//! The command list, declared once: each command is `name(Request) -> Response`, answered by a
//! handler of its subject. From this list come the wire format (`{"command": "<name>",
//! …request}`), the dispatch every shell serves, typed calls for Rust callers (`Request`), and
//! the TypeScript map from each command to its request and response (`Commands.ts`), so the UI
//! calls are typed end to end.

use crate::context::Context;
use crate::error::{ApiError, Result};
use crate::handlers::*;
use serde::{Deserialize, Serialize};
use switchboard_core::interchange::{AutoAssignmentRecord, CalendarRecord, CannedReplyRecord, RuleRecord, SlaPolicyRecord};
use switchboard_core::model::{AccountView, CustomerProfile, History, NoteView, OutboxItem, Thread};
use switchboard_core::search::ContactHit;
use switchboard_core::store::{Board, BroadcastResult, Expectations};
use switchboard_core::templates::{CannedRender, SignatureSettings};
use ts_rs::TS;

/// A command's request: what it is called, what it answers, and how it runs.
pub trait Request: Serialize + Sized {
    type Response: Serialize + serde::de::DeserializeOwned;
    /// Its name on the wire.
    const NAME: &'static str;
    fn into_command(self) -> Command;
    #[doc(hidden)]
    fn run(self, cx: &Context) -> Result<Self::Response>;
}

macro_rules! commands {
    ($( $(#[$doc:meta])* $name:ident => $variant:ident($request:ty) -> $response:ty = $handler:path; )*) => {
        /// Every command, as the shells receive it: `{"command": "<name>", …request}`.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "command", rename_all = "snake_case")]
        pub enum Command {
            $( $(#[$doc])* $variant($request), )*
        }

        impl Command {
            /// The command's name on the wire.
            pub fn name(&self) -> &'static str {
                match self { $( Command::$variant(_) => stringify!($name), )* }
            }
        }

        $(
            impl Request for $request {
                type Response = $response;
                const NAME: &'static str = stringify!($name);
                fn into_command(self) -> Command {
                    Command::$variant(self)
                }
                fn run(self, cx: &Context) -> Result<$response> {
                    $handler(cx, self)
                }
            }
        )*

        /// Runs a command; its answer as JSON, for a shell to send on.
        pub(crate) fn dispatch(cx: &Context, command: Command) -> Result<serde_json::Value> {
            match command {
                $( Command::$variant(request) => to_json($handler(cx, request)?), )*
            }
        }

        /// Each command with its request and response, as TypeScript (`[name, request, response]`)
        /// and the types they name.
        fn typescript() -> (Vec<(&'static str, String, String)>, Vec<ts_rs::Dependency>) {
            let mut rows = Vec::new();
            let mut deps = Vec::new();
            $(
                rows.push((stringify!($name), <$request as TS>::name(), <$response as TS>::name()));
                named::<$request>(&mut deps);
                named::<$response>(&mut deps);
            )*
            (rows, deps)
        }
    };
}

/// The types the map names for `T`: itself, or (for a list, an option) what it holds.
fn named<T: TS + 'static>(deps: &mut Vec<ts_rs::Dependency>) {
    struct Held<'a>(&'a mut Vec<ts_rs::Dependency>);
    impl ts_rs::TypeVisitor for Held<'_> {
        fn visit<U: TS + 'static + ?Sized>(&mut self) {
            named_unsized::<U>(self.0);
        }
    }
    match ts_rs::Dependency::from_ty::<T>() {
        Some(dep) => deps.push(dep),
        None => T::visit_generics(&mut Held(deps)),
    }
}

fn named_unsized<T: TS + 'static + ?Sized>(deps: &mut Vec<ts_rs::Dependency>) {
    deps.extend(ts_rs::Dependency::from_ty::<T>());
}

fn to_json<T: Serialize>(value: T) -> Result<serde_json::Value> {
    serde_json::to_value(value).map_err(ApiError::internal)
}

commands! {
    /// Which app, and whether its store is open.
    status => Status(session::StatusRequest) -> session::AppStatus = session::status;
    /// Opens a locked store with its passphrase, or creates the store with it when there is none
    /// yet (where no keychain answers).
    unlock => Unlock(session::UnlockRequest) -> session::AppStatus = session::unlock;
    /// Syncs the demo's platforms (first run: "try it with demo data").
    start_demo => StartDemo(session::StartDemoRequest) -> () = session::start_demo;

    /// A page of a view, newest activity (or the next breach) first.
    inbox => Inbox(inbox::InboxQuery) -> inbox::InboxPage = inbox::inbox;
    /// Conversations that changed: their rows, and which of them the view holds.
    inbox_rows => InboxRows(inbox::RowsRequest) -> inbox::Rows = inbox::rows;
    /// A page of hits over every message and note.
    search => Search(inbox::SearchRequest) -> inbox::SearchResults = inbox::search;

    /// The conversation, its customer, and the latest page of the customer's history.
    thread => Thread(thread::ThreadRequest) -> Thread = thread::thread;
    /// An older page of the customer's history.
    history => History(thread::HistoryRequest) -> History = thread::history;
    /// The agent has seen the conversation.
    mark_read => MarkRead(thread::MarkReadRequest) -> () = thread::mark_read;
    /// An attachment's bytes.
    attachment => Attachment(thread::AttachmentRequest) -> thread::AttachmentData = thread::attachment;
    /// Keeps the agent's draft reply (blank text forgets it).
    save_draft => SaveDraft(thread::SaveDraftRequest) -> () = thread::save_draft;

    /// What the channel allows for this text, as the agent types.
    composer => Composer(reply::ComposerRequest) -> reply::ComposerState = reply::composer;
    /// A reply, queued; the sync sends it once.
    reply => Reply(reply::ReplyRequest) -> OutboxItem = reply::reply;
    /// A public comment answered in private.
    reply_privately => ReplyPrivately(reply::ReplyPrivatelyRequest) -> OutboxItem = reply::reply_privately;
    /// Hides a customer's public comment.
    hide_comment => HideComment(reply::HideCommentRequest) -> OutboxItem = reply::hide_comment;
    /// An incident's update to every open conversation it touched.
    broadcast => Broadcast(reply::BroadcastRequest) -> Vec<BroadcastResult> = reply::broadcast;
    /// A failed reply queued again.
    retry_reply => RetryReply(reply::RetryReplyRequest) -> OutboxItem = reply::retry_reply;

    set_status => SetStatus(conversation::SetStatusRequest) -> () = conversation::set_status;
    set_priority => SetPriority(conversation::SetPriorityRequest) -> () = conversation::set_priority;
    set_tags => SetTags(conversation::SetTagsRequest) -> () = conversation::set_tags;
    assign => Assign(conversation::AssignRequest) -> () = conversation::assign;

    customer => Customer(customers::CustomerRequest) -> CustomerProfile = customers::customer;
    refresh_orders => RefreshOrders(customers::RefreshOrdersRequest) -> CustomerProfile = customers::refresh_orders;
    edit_customer => EditCustomer(customers::EditCustomerRequest) -> CustomerProfile = customers::edit_customer;
    find_customers => FindCustomers(customers::FindCustomersRequest) -> Vec<ContactHit> = customers::find_customers;
    merge_customers => MergeCustomers(customers::MergeCustomersRequest) -> CustomerProfile = customers::merge_customers;
    unmerge => Unmerge(customers::UnmergeRequest) -> CustomerProfile = customers::unmerge;
    order_summary => OrderSummary(customers::OrderSummaryRequest) -> String = customers::order_summary;
    add_note => AddNote(customers::AddNoteRequest) -> NoteView = customers::add_note;

    canned_replies => CannedReplies(canned::CannedRepliesRequest) -> Vec<CannedReplyRecord> = canned::canned_replies;
    save_canned_reply => SaveCannedReply(CannedReplyRecord) -> Vec<CannedReplyRecord> = canned::save_canned_reply;
    delete_canned_reply => DeleteCannedReply(canned::DeleteCannedReplyRequest) -> Vec<CannedReplyRecord> = canned::delete_canned_reply;
    render_canned => RenderCanned(canned::RenderCannedRequest) -> CannedRender = canned::render_canned;
    signature_settings => SignatureSettings(canned::SignatureSettingsRequest) -> SignatureSettings = canned::signature_settings;
    save_signature_settings => SaveSignatureSettings(SignatureSettings) -> () = canned::save_signature_settings;

    notification_settings => NotificationSettings(settings::NotificationSettingsRequest) -> settings::NotificationSettings = settings::notification_settings;
    save_notification_settings => SaveNotificationSettings(settings::NotificationSettings) -> () = settings::save_notification_settings;
    expectations => Expectations(settings::ExpectationsRequest) -> Expectations = settings::expectations;
    save_expectations => SaveExpectations(Expectations) -> () = settings::save_expectations;
    rules => Rules(settings::RulesRequest) -> Vec<RuleRecord> = settings::rules;
    save_rule => SaveRule(RuleRecord) -> Vec<RuleRecord> = settings::save_rule;
    delete_rule => DeleteRule(settings::DeleteRuleRequest) -> Vec<RuleRecord> = settings::delete_rule;
    sla_settings => SlaSettings(settings::SlaSettingsRequest) -> settings::SlaSettings = settings::sla_settings;
    save_calendar => SaveCalendar(CalendarRecord) -> settings::SlaSettings = settings::save_calendar;
    save_sla_policy => SaveSlaPolicy(SlaPolicyRecord) -> settings::SlaSettings = settings::save_sla_policy;
    delete_sla_policy => DeleteSlaPolicy(settings::DeleteSlaPolicyRequest) -> settings::SlaSettings = settings::delete_sla_policy;
    shop_settings => ShopSettings(settings::ShopSettingsRequest) -> settings::ShopView = settings::shop_settings;
    save_shop_settings => SaveShopSettings(settings::SaveShopSettingsRequest) -> settings::ShopView = settings::save_shop_settings;

    accounts => Accounts(accounts::AccountsRequest) -> Vec<AccountView> = accounts::accounts;
    add_account => AddAccount(accounts::NewAccount) -> AccountView = accounts::add_account;
    disconnect_account => DisconnectAccount(accounts::DisconnectAccountRequest) -> () = accounts::disconnect_account;
    reauthenticate => Reauthenticate(accounts::ReauthenticateRequest) -> () = accounts::reauthenticate;
    set_photo_keys => SetPhotoKeys(accounts::SetPhotoKeysRequest) -> AccountView = accounts::set_photo_keys;
    join_team => JoinTeam(team::JoinTeamRequest) -> AccountView = team::join_team;
    set_presence => SetPresence(team::SetPresenceRequest) -> () = team::set_presence;
    team_presence => TeamPresence(team::TeamPresenceRequest) -> Vec<team::TeammatePresence> = team::team_presence;
    team_settings => TeamSettings(team::TeamSettingsRequest) -> team::TeamSettings = team::team_settings;
    set_auto_assignment => SetAutoAssignment(AutoAssignmentRecord) -> () = team::set_auto_assignment;

    board => Board(board::BoardRequest) -> Board = board::board;
}

/// `Commands.ts`: the map the UI types its calls with.
fn commands_ts() -> String {
    let (rows, mut deps) = typescript();
    deps.sort_by(|a, b| a.ts_name.cmp(&b.ts_name));
    deps.dedup_by(|a, b| a.ts_name == b.ts_name);
    let mut out = String::from("// This file was generated from the command list (crates/api/src/commands.rs). Do not edit it by hand.\n");
    for dep in &deps {
        let path = dep.output_path.with_extension("");
        out.push_str(&format!("import type {{ {} }} from \"./{}\";\n", dep.ts_name, path.display()));
    }
    out.push_str("\n/** Every command: what it takes and what it answers. */\nexport type Commands = {\n");
    for (name, request, response) in rows {
        out.push_str(&format!("  {name}: {{ request: {request}; response: {response} }};\n"));
    }
    out.push_str("};\n\n/** A command's name. */\nexport type CommandName = keyof Commands;\n");
    out
}

/// Every generated file with its contents: the command map, and each type the UI sees.
pub fn bindings() -> Vec<(String, String)> {
    use switchboard_core::interchange as i;
    use switchboard_core::model as m;
    let mut files: std::collections::BTreeMap<String, String> = std::collections::BTreeMap::new();
    // The types the command map names, and every type a declared one names in turn.
    let (_, mut named) = typescript();
    fn decl<T: TS + 'static + ?Sized>(files: &mut std::collections::BTreeMap<String, String>, named: &mut Vec<ts_rs::Dependency>) {
        let path = T::output_path().expect("an exported type").display().to_string();
        files.insert(path, T::export_to_string().expect("bindings render"));
        named.extend(T::dependencies());
    }
    // Types are declared through `decl::<T>`, which needs T statically: every type the UI sees
    // is listed here, and one that is named but missing fails below.
    macro_rules! exported {
        ($($t:ty),* $(,)?) => { $( decl::<$t>(&mut files, &mut named); )* };
    }
    exported!(
        crate::error::ApiError, crate::error::ErrorCode, crate::events::Event, crate::events::CustomerMessage,
        session::AppStatus, session::StoreStatus, session::StoreState, session::StoreCounts,
        session::StatusRequest, session::UnlockRequest, session::StartDemoRequest,
        inbox::InboxQuery, inbox::InboxSort, inbox::InboxView, inbox::InboxPage, inbox::RowsRequest, inbox::Rows,
        inbox::SearchRequest, inbox::SearchResults,
        thread::ThreadRequest, thread::HistoryRequest, thread::MarkReadRequest, thread::AttachmentRequest, thread::AttachmentData,
        thread::SaveDraftRequest,
        reply::ComposerRequest, reply::ComposerState, reply::LengthUnit, reply::ReplyWindow, reply::ReplyRequest,
        reply::ReplyPrivatelyRequest, reply::HideCommentRequest, reply::BroadcastRequest, reply::RetryReplyRequest,
        conversation::SetStatusRequest, conversation::SetPriorityRequest, conversation::SetTagsRequest, conversation::AssignRequest,
        customers::CustomerRequest, customers::RefreshOrdersRequest, customers::EditCustomerRequest, customers::FindCustomersRequest,
        customers::MergeCustomersRequest, customers::UnmergeRequest, customers::OrderSummaryRequest, customers::AddNoteRequest,
        canned::CannedRepliesRequest, canned::DeleteCannedReplyRequest, canned::RenderCannedRequest, canned::SignatureSettingsRequest,
        settings::NotificationSettings, settings::NotificationSettingsRequest, settings::ExpectationsRequest, settings::RulesRequest,
        settings::DeleteRuleRequest, settings::SlaSettingsRequest, settings::SlaSettings, settings::DeleteSlaPolicyRequest,
        settings::ShopSettingsRequest, settings::SaveShopSettingsRequest, settings::ShopView,
        accounts::AccountsRequest, accounts::NewAccount, accounts::DisconnectAccountRequest, accounts::ReauthenticateRequest,
        accounts::SetPhotoKeysRequest, team::JoinTeamRequest, team::SetPresenceRequest, team::TeamPresenceRequest, team::TeammatePresence, team::TeamSettings, team::TeamSettingsRequest, AutoAssignmentRecord, switchboard_core::team::Role,
        board::BoardRequest,
        i::RuleRecord, i::Condition, i::RuleAction, i::CalendarRecord, i::SlaPolicyRecord, i::CannedReplyRecord, i::CannedVariant,
        i::CannedAction, i::OrderItem, i::Tracking, i::EmailRecord, i::Fold, i::FoldKind,
        switchboard_core::store::Expectations, switchboard_core::store::AckTexts, switchboard_core::store::Board,
        switchboard_core::store::Queue, switchboard_core::store::ChannelVolume, switchboard_core::store::BroadcastResult,
        m::Clock, m::ClockKind, m::ClockState, m::CustomerProfile, m::ContactEdit, m::IdentityView, m::OrderView, m::MergeView,
        m::NoteView, m::Handoff, m::InboxRow, m::InboxCursor, m::Thread, m::History, m::MessageCursor, m::MessageView,
        m::ContactView, m::Attachment, m::AccountView, m::OutboxItem, m::Template, m::Channel, m::Direction, m::AuthorKind,
        m::ConversationStatus, m::Priority, m::DeliveryState, m::AttachmentKind, m::AccountState, m::OutboxState, switchboard_core::team::PresenceState,
        m::OutboxKind, m::HideReason, m::PostView,
        switchboard_sync::shopify::ShopSettings, switchboard_sync::OAuth1Keys,
        switchboard_core::templates::SignatureSettings, switchboard_core::templates::SignatureMode,
        switchboard_core::templates::CannedRender, switchboard_core::templates::Unfilled,
        switchboard_core::templates::UnfilledReason,
        switchboard_core::search::ContactHit, switchboard_core::search::SearchHit, switchboard_core::search::SearchCursor,
    );
    for dep in named {
        let path = dep.output_path.display().to_string();
        assert!(files.contains_key(&path), "{} is named by a command but not declared in `bindings`", dep.ts_name);
    }
    files.insert("Commands.ts".into(), commands_ts());
    files.into_iter().collect()
}
