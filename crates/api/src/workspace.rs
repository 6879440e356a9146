//! The `Workspace`: one store, the commands over it, and the sync that feeds it. It holds no UI
//! state. The UI's commands use a connection of their own, so a sync transaction never makes the
//! inbox wait; the sync engine writes through a second one (SQLite's WAL lets both work).

use crate::commands::*;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use switchboard_core::credentials::{Credentials, KeychainCredentials};
use switchboard_core::interchange::AttachmentRecord;
use switchboard_core::model::{preview, AccountView, AttachmentKind, AuthorKind, Channel, ConversationStatus, Direction, InboxFilter};
use switchboard_core::search::SearchHit;
use switchboard_core::store::{Expectations, EXPECTATIONS_SETTING};
use switchboard_core::sla::{ClockKind, ClockState};
use switchboard_core::reply_rules::{self, Limit, Window};
use switchboard_core::{Error, Store};
use switchboard_sync::{Engine, Mode, SyncEvent};
use tokio::sync::broadcast;

#[path = "customers.rs"]
mod customers;

pub struct Workspace {
    path: PathBuf,
    passphrase: Mutex<Option<String>>,
    store: Mutex<Option<Store>>,
    /// Why the store is not open, when it is not.
    problem: Mutex<Option<(StoreState, String)>>,
    /// The agent at this desk: "Mine" and "assign to me".
    agent: String,
    events: broadcast::Sender<Event>,
    engine: Mutex<Option<Engine>>,
    notifier: crate::notifications::Notifier,
    /// What `keep_syncing` is asked to do: (re)start the sync, with the demo's sandbox or not.
    sync_requests: tokio::sync::mpsc::UnboundedSender<SyncRequest>,
    sync_requests_rx: Mutex<Option<tokio::sync::mpsc::UnboundedReceiver<SyncRequest>>>,
    /// Where account secrets live: the OS keychain unless a test gives another.
    credentials: Mutex<Option<Arc<dyn Credentials>>>,
    /// The shop's client, once built (see `customers`).
    shop: Mutex<Option<Arc<switchboard_sync::shopify::Shop>>>,
}

/// What `keep_syncing` is asked: sync (the demo's sandbox or the store's accounts), and whether
/// to start over even if already syncing (the accounts changed).
#[derive(Debug, Clone, Copy)]
struct SyncRequest {
    demo: bool,
    restart: bool,
}

/// The settings key of the notification settings.
const NOTIFICATIONS: &str = "notifications";

/// A running sync (and, in a demo, the sandbox it reads): stops when dropped.
pub struct Syncing {
    task: tokio::task::JoinHandle<()>,
    forward: tokio::task::JoinHandle<()>,
    sandbox: Option<switchboard_sandbox::Running>,
    pub sandbox_url: Option<String>,
}

impl Syncing {
    /// The demo's sandbox, to drive it (tests make customers write and platforms break).
    pub fn sandbox(&self) -> Option<&switchboard_sandbox::Controller> {
        self.sandbox.as_ref().map(|s| &s.controller)
    }
}

impl Drop for Syncing {
    fn drop(&mut self) {
        self.task.abort();
        self.forward.abort();
    }
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError { code: ErrorCode::Internal, message: e.to_string() }
}

/// How often `keep_syncing` looks for clocks that breached.
const CLOCK_CHECK: std::time::Duration = std::time::Duration::from_secs(20);

/// Aborts a task when dropped, so a loop's helpers stop with it.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn sla_settings(store: &Store) -> switchboard_core::Result<SlaSettings> {
    Ok(SlaSettings { calendars: store.calendars()?, policies: store.sla_policies()? })
}

fn clock_words(kind: ClockKind) -> &'static str {
    match kind {
        ClockKind::FirstReply => "first reply overdue",
        ClockKind::NextReply => "reply overdue",
        ClockKind::Resolution => "resolution overdue",
    }
}

/// The store, with a default calendar, SLA policies and triage rules if it never had them: clocks
/// run and messages are triaged from the first start.
fn with_sla_defaults(mut store: Store) -> switchboard_core::Result<Store> {
    store.seed_sla_defaults(&switchboard_core::sla::local_zone())?;
    store.seed_rule_defaults()?;
    Ok(store)
}

fn to_json<T: serde::Serialize>(value: T) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(value).map_err(internal)
}

impl Workspace {
    /// Opens the store at `path` (creating it when `create` and it does not exist yet). A store
    /// that cannot be opened still gives a Workspace, which reports why in `status`.
    pub fn open(path: &Path, passphrase: Option<String>, create: bool) -> Workspace {
        let opened = if path.exists() {
            crate::keys::for_store(path, passphrase.clone()).and_then(|k| Store::open(path, k.as_ref()))
        } else if create {
            crate::keys::for_new_store(passphrase.clone()).and_then(|k| Store::create(path, k.as_ref()))
        } else {
            Err(Error::NotFound(path.to_owned()))
        };
        let opened = opened.and_then(with_sla_defaults);
        let (store, problem) = match opened {
            Ok(store) => (Some(store), None),
            Err(e) => {
                let state = match &e {
                    Error::NotFound(_) => StoreState::Missing,
                    Error::PassphraseRequired | Error::Keychain(_) | Error::KeyMissing => StoreState::Locked,
                    _ => StoreState::Error,
                };
                tracing::warn!(error = %e, "store not opened");
                (None, Some((state, e.for_store(path).to_string())))
            }
        };
        let agent = std::env::var("SWITCHBOARD_AGENT")
            .or_else(|_| std::env::var("USER"))
            .ok()
            .filter(|a| !a.trim().is_empty())
            .unwrap_or_else(|| "agent".into());
        let requests = tokio::sync::mpsc::unbounded_channel();
        Workspace {
            path: path.to_owned(),
            passphrase: Mutex::new(passphrase),
            store: Mutex::new(store),
            problem: Mutex::new(problem),
            agent,
            events: broadcast::channel(1024).0,
            engine: Mutex::new(None),
            notifier: Default::default(),
            sync_requests: requests.0,
            sync_requests_rx: Mutex::new(Some(requests.1)),
            credentials: Mutex::new(None),
            shop: Mutex::new(None),
        }
    }

    /// The agent's name, as "Mine" and "assign to me" use it.
    pub fn with_agent(mut self, agent: &str) -> Workspace {
        self.agent = agent.to_owned();
        self
    }

    /// Account secrets in `credentials` instead of the OS keychain (tests, a keychain-less demo).
    pub fn with_credentials(self, credentials: Arc<dyn Credentials>) -> Workspace {
        *self.credentials.lock().expect("credentials lock") = Some(credentials);
        self
    }

    /// The account secrets: as given, else the OS keychain under this store's id.
    fn credentials(&self) -> Result<Arc<dyn Credentials>, ApiError> {
        if let Some(c) = self.credentials.lock().expect("credentials lock").clone() {
            return Ok(c);
        }
        let id = self.with_store(|s| Ok(s.id().map(str::to_owned)))?.ok_or_else(|| internal("this store has no id for keychain entries"))?;
        Ok(Arc::new(KeychainCredentials::new(&id)))
    }

    /// The running sync's secrets (the keychain's, or the demo's in memory), else the keychain's.
    fn running_credentials(&self) -> Result<Arc<dyn Credentials>, ApiError> {
        let running = self.engine.lock().expect("engine lock").as_ref().map(Engine::credentials);
        match running {
            Some(c) => Ok(c),
            None => self.credentials(),
        }
    }

    pub fn agent(&self) -> &str {
        &self.agent
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    pub fn status(&self) -> Result<AppStatus, ApiError> {
        let store = self.store.lock().expect("store lock");
        let (state, message, counts) = match store.as_ref() {
            Some(store) => {
                let stats = store.stats().map_err(ApiError::from)?;
                let count = |t: &str| stats.iter().find(|s| s.table == t).map(|s| s.rows).unwrap_or(0);
                let counts = StoreCounts {
                    conversations: count("conversations"),
                    messages: count("messages"),
                    unread: store.unread_total().map_err(ApiError::from)?,
                };
                (StoreState::Unlocked, None, Some(counts))
            }
            None => {
                let problem = self.problem.lock().expect("problem lock").clone();
                let (state, message) = problem.unwrap_or((StoreState::Error, "the store is not open".into()));
                (state, Some(message), None)
            }
        };
        Ok(AppStatus {
            app: "Switchboard".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            agent: self.agent.clone(),
            store: StoreStatus { state, path: self.path.display().to_string(), message, counts },
        })
    }

    fn with_store<T>(&self, f: impl FnOnce(&mut Store) -> switchboard_core::Result<T>) -> Result<T, ApiError> {
        let mut guard = self.store.lock().expect("store lock");
        let store = guard.as_mut().ok_or_else(|| {
            let message = self.problem.lock().expect("problem lock").clone().map(|p| p.1).unwrap_or_else(|| "the store is not open".into());
            ApiError { code: ErrorCode::StoreLocked, message }
        })?;
        f(store).map_err(ApiError::from)
    }

    /// Runs one command; the answer is the JSON its doc names.
    pub fn call(&self, command: Command) -> Result<serde_json::Value, ApiError> {
        match command {
            Command::Status => to_json(self.status()?),
            Command::Inbox(q) => {
                let needs_reply = q.view == InboxView::NeedsReply;
                let filter = InboxFilter {
                    channel: q.channel,
                    status: q.status.or(needs_reply.then_some(ConversationStatus::Open)),
                    public: needs_reply.then_some(true),
                    assignee: (q.view == InboxView::Mine).then(|| self.agent.clone()),
                    unassigned: q.view == InboxView::Unassigned,
                    tag: q.tag,
                    limit: q.limit.unwrap_or(200).clamp(1, 1000) as usize,
                    by_breach: q.sort == InboxSort::NextBreach,
                    ..Default::default()
                };
                to_json(self.with_store(|s| s.inbox(&filter))?)
            }
            Command::Thread { conversation } => to_json(self.with_store(|s| s.timeline(conversation, 200))?),
            Command::MarkRead { conversation } => {
                self.notifier.seen(conversation);
                self.with_store(|s| s.mark_read(conversation))?;
                self.announce_unread();
                to_json(())
            }
            Command::Composer { conversation, text } => to_json(self.composer(conversation, &text)?),
            Command::Reply { conversation, text, key, actions } => {
                if text.trim().is_empty() {
                    return Err(ApiError { code: ErrorCode::Invalid, message: "the reply is empty".into() });
                }
                let agent = self.agent.clone();
                let item = self.with_store(|s| {
                    let text = switchboard_core::templates::signed(&text, s.signature(s.thread(conversation, 1)?.conversation.channel, &agent)?.as_deref());
                    s.enqueue_reply(conversation, &text, Some(&agent), Some(&key))
                })?;
                self.wake_sender();
                self.apply_actions(conversation, &actions)?;
                to_json(item)
            }
            Command::ReplyPrivately { conversation, comment, text, key } => {
                if text.trim().is_empty() {
                    return Err(ApiError { code: ErrorCode::Invalid, message: "the reply is empty".into() });
                }
                let agent = self.agent.clone();
                let item = self.with_store(|s| {
                    // Signed as the private channel it goes out on signs.
                    let channel = match s.thread(conversation, 1)?.conversation.channel {
                        Channel::Facebook => Channel::Messenger,
                        other => other,
                    };
                    let text = switchboard_core::templates::signed(&text, s.signature(channel, &agent)?.as_deref());
                    s.reply_privately(conversation, comment, &text, Some(&agent), Some(&key))
                })?;
                self.wake_sender();
                let _ = self.events.send(Event::Messages { conversations: vec![conversation, item.conversation_id], from_customers: vec![] });
                to_json(item)
            }
            Command::HideComment { message, reason, note } => {
                let agent = self.agent.clone();
                let item = self.with_store(|s| s.hide_comment(message, reason, note.as_deref(), Some(&agent), None))?;
                self.wake_sender();
                let _ = self.events.send(Event::Messages { conversations: vec![item.conversation_id], from_customers: vec![] });
                to_json(item)
            }
            Command::Broadcast { tag, text, key } => {
                let agent = self.agent.clone();
                let results = self.with_store(|s| s.broadcast(&tag, &text, &agent, &key))?;
                self.wake_sender();
                let conversations = results.iter().map(|r| r.conversation).collect();
                let _ = self.events.send(Event::Messages { conversations, from_customers: vec![] });
                to_json(results)
            }
            Command::RetryReply { reply } => {
                let item = self.with_store(|s| s.retry_reply(reply))?;
                self.wake_sender();
                to_json(item)
            }
            Command::SetStatus { conversation, status } => to_json(self.with_store(|s| s.set_status(conversation, status))?),
            Command::SetTags { conversation, tags } => to_json(self.with_store(|s| s.set_conversation_tags(conversation, &tags))?),
            Command::SetPriority { conversation, priority } => to_json(self.with_store(|s| s.set_priority(conversation, priority))?),
            Command::Assign { conversation, me } => {
                let agent = self.agent.clone();
                to_json(self.with_store(|s| s.assign(conversation, me.then_some(agent.as_str())))?)
            }
            Command::Search { text, channel, status } => {
                let query = switchboard_core::search::SearchQuery { text, channel, contact_id: None, status, since: None, until: None, limit: 100 };
                to_json(self.with_store(|s| {
                    // Internal notes first: few, and written by agents for agents.
                    let mut hits: Vec<SearchHit> = s
                        .search_notes(&query.text, channel, 20)?
                        .into_iter()
                        .map(|(note, channel, customer)| SearchHit {
                            message_id: note.id,
                            conversation_id: note.conversation_id,
                            channel,
                            customer,
                            direction: Direction::Out,
                            author_kind: AuthorKind::Agent,
                            author_name: note.author,
                            at: note.at,
                            text: note.text,
                            note: true,
                        })
                        .collect();
                    hits.extend(s.search(&query)?);
                    Ok(hits)
                })?)
            }
            Command::Accounts => to_json(self.with_store(|s| s.accounts())?),
            Command::Outbox => to_json(self.with_store(|s| s.outbox(200))?),
            Command::Unlock { passphrase } => to_json(self.unlock(passphrase)?),
            Command::StartDemo => {
                let _ = self.sync_requests.send(SyncRequest { demo: true, restart: false });
                to_json(())
            }
            Command::AddAccount(new) => {
                let credentials = self.credentials()?;
                let account = self.with_store(|s| crate::accounts::connect(s, credentials.as_ref(), &new))?;
                let _ = self.sync_requests.send(SyncRequest { demo: false, restart: true });
                to_json(account)
            }
            Command::DisconnectAccount { key } => {
                let credentials = self.credentials()?;
                self.with_store(|s| s.set_account_disabled(&key, true))?;
                crate::accounts::forget(credentials.as_ref(), &key).map_err(ApiError::from)?;
                let _ = self.sync_requests.send(SyncRequest { demo: false, restart: true });
                to_json(())
            }
            Command::Reauthenticate { key, secret } => {
                if secret.trim().is_empty() {
                    return Err(ApiError { code: ErrorCode::Invalid, message: "the new secret is empty".into() });
                }
                let credentials = self.credentials()?;
                self.with_store(|s| s.account(&key)?.ok_or_else(|| Error::Missing { what: "account", id: key.clone() }))?;
                credentials.set(&key, secret.trim()).map_err(ApiError::from)?;
                self.with_store(|s| s.set_account_disabled(&key, false))?;
                let _ = self.sync_requests.send(SyncRequest { demo: false, restart: true });
                to_json(())
            }
            Command::SetPhotoKeys { key, keys } => {
                let credentials = self.running_credentials()?;
                to_json(self.with_store(|s| crate::accounts::set_photo_keys(s, credentials.as_ref(), &key, keys.as_ref()))?)
            }
            Command::Attachment { message, index } => {
                use base64::Engine as _;
                let (attachment, account, external_id) = self.with_store(|s| s.message_attachment(message, index as usize))?;
                let (name, mime, bytes) = if account.channel == Channel::Email {
                    let (name, mime, bytes) = self.with_store(|s| s.email_attachment(message, index as usize))?;
                    (name, mime.unwrap_or_else(|| "application/octet-stream".into()), bytes)
                } else {
                    let (mime, bytes) = self.hosted_image(&attachment, &account, &external_id, index as usize)?;
                    (attachment.name, mime, bytes)
                };
                to_json(AttachmentData { name, mime, base64: base64::engine::general_purpose::STANDARD.encode(bytes) })
            }
            command @ (Command::Customer { .. }
            | Command::RefreshOrders { .. }
            | Command::EditCustomer { .. }
            | Command::FindCustomers { .. }
            | Command::MergeCustomers { .. }
            | Command::Unmerge { .. }
            | Command::OrderSummary { .. }
            | Command::AddNote { .. }
            | Command::CannedReplies
            | Command::SaveCannedReply(_)
            | Command::DeleteCannedReply { .. }
            | Command::RenderCanned { .. }
            | Command::ShopSettings
            | Command::SaveShopSettings { .. }
            | Command::SignatureSettings
            | Command::SaveSignatureSettings(_)) => self.customer_command(command),
            Command::Board => to_json(self.with_store(|s| s.board(jiff::Timestamp::now()))?),
            Command::SlaSettings => to_json(self.with_store(|s| sla_settings(s))?),
            Command::Rules => to_json(self.with_store(|s| s.rules())?),
            Command::Expectations => to_json(self.with_store(|s| s.setting::<Expectations>(EXPECTATIONS_SETTING))?),
            Command::SaveExpectations(settings) => {
                if settings.links.iter().any(|l| !(l.starts_with("https://") || l.starts_with("http://"))) {
                    return Err(ApiError { code: ErrorCode::Invalid, message: "a self-service link starts with https://".into() });
                }
                to_json(self.with_store(|s| s.set_setting(EXPECTATIONS_SETTING, &settings))?)
            }
            Command::SaveRule(rule) => to_json(self.with_store(|s| {
                s.save_rule(&rule)?;
                s.rules()
            })?),
            Command::DeleteRule { name } => to_json(self.with_store(|s| {
                s.delete_rule(&name)?;
                s.rules()
            })?),
            Command::SaveCalendar(calendar) => to_json(self.with_store(|s| {
                s.save_calendar(&calendar)?;
                sla_settings(s)
            })?),
            Command::SaveSlaPolicy(policy) => to_json(self.with_store(|s| {
                s.save_sla_policy(&policy)?;
                sla_settings(s)
            })?),
            Command::DeleteSlaPolicy { name } => to_json(self.with_store(|s| {
                s.delete_sla_policy(&name)?;
                sla_settings(s)
            })?),
            Command::Sla { conversation } => to_json(self.with_store(|s| s.sla(conversation, jiff::Timestamp::now()))?),
            Command::NotificationSettings => to_json(self.with_store(|s| s.setting::<NotificationSettings>(NOTIFICATIONS))?),
            Command::SaveNotificationSettings(settings) => to_json(self.with_store(|s| s.set_setting(NOTIFICATIONS, &settings))?),
        }
    }

    /// Opens the store with `passphrase` (creating it, when there is none yet); the sync starts
    /// (see `keep_syncing`). A wrong passphrase changes nothing and says so.
    pub fn unlock(&self, passphrase: String) -> Result<AppStatus, ApiError> {
        if passphrase.is_empty() {
            return Err(ApiError { code: ErrorCode::Invalid, message: "enter the passphrase".into() });
        }
        {
            let mut store = self.store.lock().expect("store lock");
            if store.is_none() {
                let opened = if self.path.exists() {
                    crate::keys::for_store(&self.path, Some(passphrase.clone())).and_then(|k| Store::open(&self.path, k.as_ref()))
                } else {
                    crate::keys::for_new_store(Some(passphrase.clone())).and_then(|k| Store::create(&self.path, k.as_ref()))
                }
                .and_then(with_sla_defaults);
                *store = Some(opened.map_err(|e| ApiError::from(e.for_store(&self.path)))?);
                *self.problem.lock().expect("problem lock") = None;
                *self.passphrase.lock().expect("passphrase lock") = Some(passphrase);
                let _ = self.events.send(Event::StoreOpened);
                let _ = self.sync_requests.send(SyncRequest { demo: false, restart: false });
            }
        }
        self.status()
    }

    fn composer(&self, conversation: i64, text: &str) -> Result<ComposerState, ApiError> {
        let agent = self.agent.clone();
        let (channel, public, signature, text, checked) = self.with_store(|s| {
            let row = s.thread(conversation, 1)?.conversation;
            let signature = s.signature(row.channel, &agent)?;
            let text = switchboard_core::templates::signed(text, signature.as_deref());
            let checked = s.check_reply(conversation, &text, false, jiff::Timestamp::now());
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

    /// Acknowledges new conversations whose account sets expectations (see
    /// `Store::acknowledge`), off the async threads; the sender goes at once.
    fn acknowledge(self: &Arc<Self>, conversations: Vec<i64>) {
        if conversations.is_empty() {
            return;
        }
        let me = self.clone();
        tokio::task::spawn_blocking(move || {
            let now = jiff::Timestamp::now();
            let mut queued = Vec::new();
            for id in conversations {
                match me.with_store(|s| s.acknowledge(id, now)) {
                    Ok(Some(_)) => queued.push(id),
                    Ok(None) => {}
                    Err(e) => tracing::warn!(error = %e.message, "acknowledgement not queued"),
                }
            }
            if !queued.is_empty() {
                me.wake_sender();
                let _ = me.events.send(Event::Messages { conversations: queued, from_customers: vec![] });
            }
        });
    }

    /// A platform-hosted image, fetched from the platform's media server: by its link
    /// (Messenger, Instagram), by its file id with the bot's token (Telegram), or as the message's
    /// media with the account's credentials (SMS and WhatsApp through Twilio, whose media say
    /// what they are only when asked).
    fn hosted_image(&self, attachment: &AttachmentRecord, account: &AccountView, message: &str, index: usize) -> Result<(String, Vec<u8>), ApiError> {
        let twilio = matches!(account.channel, Channel::Sms | Channel::Whatsapp);
        let image = attachment.kind == AttachmentKind::Image || (twilio && attachment.mime.is_none());
        let not_shown = || ApiError { code: ErrorCode::Invalid, message: "only a hosted image can be shown here; open the file in the browser".into() };
        if !image {
            return Err(not_shown());
        }
        let secret = || -> Result<_, ApiError> {
            self.running_credentials()?.get(&account.key).map_err(ApiError::from)?.ok_or_else(|| ApiError {
                code: ErrorCode::NotAllowed,
                message: format!("no credentials for {} in the keychain; add the account again", account.key),
            })
        };
        let handle = tokio::runtime::Handle::try_current().map_err(|_| internal("no async runtime to fetch the image"))?;
        // Commands run on a blocking thread (both shells), where waiting is allowed.
        fn wait<F: std::future::Future>(handle: &tokio::runtime::Handle, fetch: F) -> F::Output {
            tokio::task::block_in_place(|| handle.block_on(fetch))
        }
        use switchboard_sync::media;
        let base_url = account.config.get("base_url").and_then(|v| v.as_str());
        let fetched = match (&attachment.file_id, &attachment.url) {
            (Some(file_id), _) if account.channel == Channel::Telegram => wait(&handle, media::telegram_image(account, secret()?, file_id)),
            _ if twilio => wait(&handle, media::twilio_image(account, secret()?, message, index)),
            (_, Some(url)) if account.channel == Channel::X => {
                if !account.config.contains_key(crate::accounts::PHOTO_KEYS) {
                    return Err(ApiError {
                        code: ErrorCode::NotAllowed,
                        message: "X shows DM photos only to requests signed with the account's OAuth 1.0a keys; add them in Settings, or open the photo in the browser".into(),
                    });
                }
                let stored = self.running_credentials()?.get(&switchboard_sync::OAuth1Keys::credential_key(&account.key)).map_err(ApiError::from)?;
                let stored = stored.ok_or_else(|| ApiError {
                    code: ErrorCode::NotAllowed,
                    message: "the account's photo keys are not in the keychain; add them again in Settings".into(),
                })?;
                let keys = switchboard_sync::OAuth1Keys::from_secret(&stored)?;
                wait(&handle, media::x_image(base_url, &keys, url))
            }
            (_, Some(url)) => wait(&handle, media::image(account.channel, base_url, url)),
            _ => return Err(not_shown()),
        };
        fetched.map_err(ApiError::from)
    }

    fn wake_sender(&self) {
        if let Some(engine) = self.engine.lock().expect("engine lock").as_ref() {
            engine.wake_outbox();
        }
    }

    /// Starts following every account of the store on the current tokio runtime. With `demo`,
    /// first starts the sandbox (live traffic at `rate_per_minute`) and connects its six
    /// accounts, their secrets held in memory only.
    pub async fn start_sync(self: &Arc<Self>, demo: Option<switchboard_sandbox::Config>) -> Result<Syncing, ApiError> {
        let (store, credentials, sandbox): (Store, Arc<dyn Credentials>, _) = {
            // The key provider is not Send: it is done with before anything is awaited.
            let mut store = {
                let keys = crate::keys::for_store(&self.path, self.passphrase.lock().expect("passphrase lock").clone()).map_err(ApiError::from)?;
                Store::open(&self.path, keys.as_ref()).map_err(ApiError::from)?
            };
            match demo {
                Some(config) => {
                    let running = switchboard_sandbox::Sandbox::start(config, 0).await.map_err(internal)?;
                    let credentials = crate::accounts::connect_demo(&mut store, &running.base_url).map_err(ApiError::from)?;
                    self.connect_demo_shop(&running.base_url)?;
                    // A starter library, unless the agent has one.
                    if store.canned_replies().map_err(ApiError::from)?.is_empty() {
                        store.import_jsonl(include_str!("demo_library.jsonl").as_bytes()).map_err(ApiError::from)?;
                    }
                    (store, credentials as Arc<dyn Credentials>, Some(running))
                }
                None => (store, self.credentials()?, None),
            }
        };
        let engine = Engine::new(Arc::new(Mutex::new(store)), credentials);
        let mut sync_events = engine.subscribe();
        *self.engine.lock().expect("engine lock") = Some(engine.clone());
        let task = tokio::spawn(async move {
            if let Err(e) = engine.run(Mode::Follow).await {
                tracing::warn!(error = %e, "sync stopped");
            }
        });
        let me = self.clone();
        let forward = tokio::spawn(async move {
            // The unread total is summed after each live message (a small batch), at most twice
            // a second while an initial sync streams in, and once it has caught up.
            let mut counted = std::time::Instant::now();
            loop {
                match sync_events.recv().await {
                    Ok(event) => {
                        let recount = match &event {
                            SyncEvent::Stored { new_messages, .. } => {
                                !new_messages.is_empty() && (new_messages.len() < 50 || counted.elapsed().as_millis() >= 500)
                            }
                            SyncEvent::Progress { caught_up, .. } => *caught_up,
                            _ => false,
                        };
                        if let Some(event) = me.event(event) {
                            if let Event::Messages { from_customers, .. } = &event {
                                me.acknowledge(from_customers.iter().map(|m| m.conversation).collect());
                            }
                            let _ = me.events.send(event);
                        }
                        if recount {
                            counted = std::time::Instant::now();
                            me.announce_unread();
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(n)) => tracing::warn!(missed = n, "events fell behind"),
                    Err(broadcast::error::RecvError::Closed) => break,
                }
            }
        });
        let sandbox_url = sandbox.as_ref().map(|s| s.base_url.clone());
        Ok(Syncing { task, forward, sandbox, sandbox_url })
    }

    /// Keeps the store's accounts syncing (with `demo`, the sandbox's, which writes `demo_rate`
    /// new customer messages a minute) for as long as the returned task runs: starts now if the
    /// store is open, after an unlock if not, and over again with the demo when the agent asks
    /// for it. Shells call this once.
    pub fn keep_syncing(self: &Arc<Self>, demo: bool, demo_rate: f64) -> tokio::task::JoinHandle<()> {
        let me = self.clone();
        let mut requests = self.sync_requests_rx.lock().expect("requests lock").take().expect("keep_syncing runs once");
        if self.store.lock().expect("store lock").is_some() {
            let _ = self.sync_requests.send(SyncRequest { demo, restart: false });
        }
        tokio::spawn(async move {
            let _clocks = AbortOnDrop(me.clone().watch_clocks(CLOCK_CHECK).await);
            let mut running: Option<(Syncing, bool)> = None;
            while let Some(request) = requests.recv().await {
                // A demo stays a demo; otherwise, already running as asked (a second unlock, a
                // second click) needs nothing.
                let want_demo = request.demo || running.as_ref().is_some_and(|(_, d)| *d);
                if !request.restart && running.as_ref().is_some_and(|(_, d)| *d == want_demo) {
                    continue;
                }
                running = None;
                let config = want_demo.then(|| crate::demo_config(demo_rate));
                match me.start_sync(config).await {
                    Ok(syncing) => {
                        if let Some(url) = &syncing.sandbox_url {
                            let _ = me.events.send(Event::Demo { sandbox: url.clone() });
                        }
                        running = Some((syncing, want_demo));
                    }
                    Err(e) => tracing::warn!(error = %e.message, "not syncing"),
                }
            }
        })
    }

    /// Looks at the open conversations' clocks every `every` and announces each clock that went
    /// past its target since the last look (`Event::Breach`). Returns once the first look has
    /// learnt what is already breached (so nothing old is announced), with the task that goes
    /// on looking until it is aborted.
    pub async fn watch_clocks(self: Arc<Self>, every: std::time::Duration) -> tokio::task::JoinHandle<()> {
        let mut known = self.breached_clocks().await;
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await;
            loop {
                tick.tick().await;
                let Some(breached) = self.breached_clocks().await else { continue };
                if let Some(before) = &known {
                    for &(conversation, kind) in breached.difference(before) {
                        let assignee = self.with_store(|s| s.thread(conversation, 1)).ok().and_then(|t| t.conversation.assignee);
                        let _ = self.events.send(Event::Breach { conversation, kind, assignee });
                    }
                }
                known = Some(breached);
            }
        })
    }

    /// Every running clock past its target now; `None` while the store is not open.
    async fn breached_clocks(self: &Arc<Self>) -> Option<std::collections::HashSet<(i64, ClockKind)>> {
        let me = self.clone();
        let looked = tokio::task::spawn_blocking(move || {
            me.with_store(|s| {
                Ok(s.sla_open(jiff::Timestamp::now())?
                    .into_iter()
                    .flat_map(|v| {
                        let id = v.conversation;
                        v.clocks.into_iter().filter(|c| c.state == ClockState::Breached && c.breach_at.is_some()).map(move |c| (id, c.kind))
                    })
                    .collect())
            })
        })
        .await;
        looked.ok()?.ok()
    }

    /// Shows a desktop notification for each new customer message, as the settings allow; a
    /// click is announced as `Event::Open`. Runs until the returned task is aborted.
    pub fn start_notifications(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let me = self.clone();
        let mut events = self.subscribe();
        tokio::spawn(async move {
            loop {
                let from_customers = match events.recv().await {
                    Ok(Event::Messages { from_customers, .. }) => from_customers,
                    // A breach notifies the agent it is assigned to.
                    Ok(Event::Breach { conversation, kind, assignee }) if assignee.as_deref() == Some(me.agent.as_str()) => {
                        let settings: NotificationSettings = me.with_store(|s| s.setting(NOTIFICATIONS)).unwrap_or_default();
                        let what = me.with_store(|s| s.thread(conversation, 1)).map(|t| {
                            let who = t.contact.map(|c| c.name).or(t.conversation.customer).unwrap_or_default();
                            format!("{who} · {}: {}", t.conversation.channel, clock_words(kind))
                        });
                        let me = me.clone();
                        let _ = tokio::task::spawn_blocking(move || {
                            let events = me.events.clone();
                            let open = move |conversation| {
                                let _ = events.send(Event::Open { conversation });
                            };
                            if let Err(e) = me.notifier.breach(&settings, conversation, &what.unwrap_or_default(), open) {
                                tracing::warn!(error = %e, "notification not shown");
                            }
                        })
                        .await;
                        continue;
                    }
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return,
                };
                let settings: NotificationSettings = me.with_store(|s| s.setting(NOTIFICATIONS)).unwrap_or_default();
                for message in from_customers {
                    let (me, settings) = (me.clone(), settings.clone());
                    // The D-Bus call blocks: off the async threads.
                    let _ = tokio::task::spawn_blocking(move || {
                        let events = me.events.clone();
                        let open = move |conversation| {
                            let _ = events.send(Event::Open { conversation });
                        };
                        if let Err(e) = me.notifier.notify(&settings, &message, open) {
                            tracing::warn!(error = %e, "notification not shown");
                        }
                    })
                    .await;
                }
            }
        })
    }

    fn announce_unread(&self) {
        if let Ok(total) = self.with_store(|s| s.unread_total()) {
            let _ = self.events.send(Event::Unread { total });
        }
    }

    /// A sync event as the UI hears it; new customer messages are described for notifications.
    fn event(&self, event: SyncEvent) -> Option<Event> {
        Some(match event {
            SyncEvent::Stored { conversations, new_messages, .. } => {
                let from_customers = if new_messages.is_empty() {
                    vec![]
                } else {
                    self.with_store(|s| s.messages_by_id(&new_messages)).unwrap_or_default().into_iter()
                        .filter(|m| m.direction == Direction::In && m.author_kind == AuthorKind::Customer)
                        .map(|m| CustomerMessage {
                            conversation: m.conversation_id,
                            channel: m.channel,
                            sender: m.author_name.clone().unwrap_or_else(|| m.channel.to_string()),
                            preview: preview(&m.text),
                            at: m.at,
                        })
                        .collect()
                };
                Event::Messages { conversations, from_customers }
            }
            SyncEvent::AccountState { account, state, detail } => Event::AccountState { account, state, detail },
            SyncEvent::ReplySent { reply, .. } => Event::Reply { reply, sent: true, reason: None },
            SyncEvent::ReplyFailed { reply, reason, .. } => Event::Reply { reply, sent: false, reason: Some(reason) },
            SyncEvent::Progress { account, pulled, caught_up } => Event::Progress { account, pulled: pulled as u64, caught_up },
        })
    }
}
