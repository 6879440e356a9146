//! A desk following its team's hub (team mode): enrolment with a one-time code, the log
//! replicated into the desk's encrypted store through the writer (teammates, the platforms'
//! messages, assignments and changes), then followed as it grows; the desk runs no platform
//! account of its own; a removed person's desk is told to re-authenticate.

use axum::response::IntoResponse;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use switchboard_core::credentials::{Credentials, MemoryCredentials};
use switchboard_core::keys::{StaticKey, StoreKey};
use switchboard_core::model::{AccountState, ConversationStatus, InboxFilter};
use switchboard_core::{Db, Store};
use switchboard_hub::people::{hash, new_code};
use switchboard_hub::runner::{Runner, RunnerSettings, TOKEN};
use switchboard_hub::server::{serve, Listen, Settings};
use switchboard_hub::{Append, Engine as HubEngine, NewEntry, Role, SqliteEngine};
use switchboard_sync::{Engine, Mode, SyncEvent};

struct Hub {
    url: String,
    engine: Arc<dyn HubEngine>,
    _dir: tempfile::TempDir,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn hub() -> Hub {
    hub_running(None).await
}

/// A hub; with a sandbox, running its Telegram account.
async fn hub_running(sandbox: Option<&str>) -> Hub {
    let dir = tempfile::tempdir().unwrap();
    let engine: Arc<dyn HubEngine> = Arc::new(SqliteEngine::create(&dir.path().join("hub.db"), &StaticKey::new(StoreKey::from_bytes([7; 32]))).unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (tell, told) = tokio::sync::oneshot::channel();
    let listen = Listen { addr: "127.0.0.1:0".parse().unwrap(), tls: None, behind_proxy: false };
    let replica = Arc::new(switchboard_hub::replica::Replica::start(engine.clone(), dir.path()).unwrap());
    if let Some(base) = sandbox {
        let account = switchboard_sandbox::accounts(base).into_iter().find(|a| a.key.starts_with("telegram:")).unwrap();
        engine.add_account(account.key, &account.config, &[(TOKEN.into(), account.secret.into())], jiff::Timestamp::now()).await.unwrap();
        let settings = RunnerSettings { long_poll: Duration::from_millis(500), ..RunnerSettings::default() };
        let runner = Arc::new(Runner::new(engine.clone(), replica.clone(), "hub".into(), settings, Arc::new(jiff::Timestamp::now)));
        tokio::spawn(runner.run());
    }
    tokio::spawn(serve(engine.clone(), replica, Settings::default(), listen, move |addr| tell.send(addr).unwrap(), async move {
        let _ = stopped.await;
    }));
    let addr: std::net::SocketAddr = told.await.unwrap();
    Hub { url: format!("http://127.0.0.1:{}", addr.port()), engine, _dir: dir, _stop: stop }
}

impl Hub {
    async fn log(&self, records: &[serde_json::Value]) {
        let entries = records.iter().map(|r| NewEntry::new(r.to_string())).collect();
        self.engine.append(Append::entries(entries, jiff::Timestamp::now())).await.unwrap();
    }

    async fn person(&self, name: &str, role: Role) -> String {
        let code = new_code();
        let now = jiff::Timestamp::now();
        self.engine.add_person(name, role, &hash(&code), now + jiff::SignedDuration::from_hours(1), now).await.unwrap();
        code
    }
}

fn message(id: &str, text: &str, at: &str) -> serde_json::Value {
    json!({ "kind": "message", "account": "telegram:acme_bot", "conversation": "42", "id": id, "direction": "in",
            "author": { "kind": "customer", "name": "Lena", "handle": "42" }, "text": text, "at": at })
}

struct Desk {
    db: Db,
    engine: Engine,
    key: String,
    _dir: tempfile::TempDir,
}

/// A desk enrolled with `code`, following the hub; it also has a platform account of its own,
/// without secrets, which a desk in a team must leave alone.
async fn desk(hub: &Hub, code: &str) -> Desk {
    let enrolled = switchboard_sync::hub::enrol(&hub.url, code).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(&dir.path().join("desk.db"), &StaticKey::new(StoreKey::from_bytes([8; 32]))).unwrap();
    let key = format!("hub:{}", hub.url.trim_start_matches("http://"));
    let mut config = serde_json::Map::new();
    config.insert("url".into(), hub.url.clone().into());
    store.add_account(&key, Some(&enrolled.person.name), config).unwrap();
    store.add_account("telegram:own_bot", None, Default::default()).unwrap();
    let credentials = Arc::new(MemoryCredentials::default());
    credentials.set(&key, &enrolled.token).unwrap();
    let db = Db::start(store).unwrap();
    let mut engine = Engine::new(db.clone(), credentials);
    engine.backoff = Duration::from_millis(20);
    engine.max_attempts = 2;
    Desk { db, engine, key, _dir: dir }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desk_replicates_the_hub_log_and_follows_it() {
    let hub = hub().await;
    let code = hub.person("Sam", Role::Agent).await;
    let wrong = switchboard_sync::hub::enrol(&hub.url, "0000-0000-0000-0000-0000").await;
    assert!(matches!(wrong, Err(switchboard_sync::Error::Auth(_))), "{wrong:?}");
    let desk = desk(&hub, &code).await;

    hub.log(&[
        json!({ "kind": "person", "id": 1, "name": "Sam", "role": "agent" }),
        json!({ "kind": "person", "id": 2, "name": "Mina", "role": "supervisor" }),
        message("42:1", "Where is my parcel?", "2026-12-01T10:00:00Z"),
        json!({ "kind": "spaceship", "warp": 9 }),
        message("42:2", "It was due on Monday.", "2026-12-01T10:01:00Z"),
        json!({ "kind": "assignment", "account": "telegram:acme_bot", "conversation": "42", "assignee": "Sam", "by": "Mina" }),
        json!({ "kind": "conversation_change", "account": "telegram:acme_bot", "conversation": "42", "priority": "high", "tags": ["shipping"], "by": "Sam" }),
    ])
    .await;
    let reports = desk.engine.run(Mode::Once).await.unwrap();
    assert_eq!(reports.iter().map(|r| r.account.as_str()).collect::<Vec<_>>(), [desk.key.as_str()], "a desk in a team follows the hub alone");
    let report = &reports[0];
    assert!(report.error.is_none(), "{report:?}");
    assert_eq!((report.pulled, report.skipped), (6, 1), "the unreadable record is skipped, the rest stored");

    let store = desk.db.reader().unwrap();
    let rows = store.inbox(&InboxFilter { limit: 10, ..Default::default() }).unwrap();
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!((row.assignee.as_deref(), row.priority, row.unread), (Some("Sam"), switchboard_core::model::Priority::High, 2));
    let thread = store.thread(row.id, 10).unwrap();
    assert_eq!(thread.messages.iter().map(|m| m.text.as_str()).collect::<Vec<_>>(), ["Where is my parcel?", "It was due on Monday."]);
    assert_eq!(thread.tags, ["shipping"]);
    let hub_account = store.accounts().unwrap().into_iter().find(|a| a.key == desk.key).unwrap();
    assert_eq!(store.cursor(hub_account.id, "log").unwrap().as_deref(), Some("7"));
    let own = store.accounts().unwrap().into_iter().find(|a| a.key == "telegram:own_bot").unwrap();
    assert_eq!(own.state, AccountState::Idle, "never tried");

    // Followed: what the hub appends now reaches the desk, and is announced.
    let mut events = desk.engine.subscribe();
    let following = tokio::spawn({
        let engine = desk.engine.clone();
        async move { engine.run(Mode::Follow).await }
    });
    hub.log(&[
        message("42:3", "Any news?", "2026-12-01T11:00:00Z"),
        json!({ "kind": "conversation_change", "account": "telegram:acme_bot", "conversation": "42", "status": "pending", "by": "Sam" }),
    ])
    .await;
    loop {
        if let SyncEvent::Progress { pulled, caught_up: true, .. } = events.recv().await.unwrap() {
            if pulled >= 2 {
                break;
            }
        }
    }
    let store = desk.db.reader().unwrap();
    let thread = store.thread(row.id, 10).unwrap();
    assert_eq!(thread.messages.last().unwrap().text, "Any news?");
    assert_eq!(thread.conversation.status, ConversationStatus::Pending, "the agent's change came after the message");
    following.abort();

    // Removed from the team: the desk is told to re-authenticate.
    hub.engine.remove_person("Sam", jiff::Timestamp::now()).await.unwrap();
    let reports = desk.engine.run(Mode::Once).await.unwrap();
    assert!(reports[0].error.as_deref().unwrap_or("").contains("token"), "{:?}", reports[0].error);
    let state = desk.db.reader().unwrap().accounts().unwrap().into_iter().find(|a| a.key == desk.key).unwrap().state;
    assert_eq!(state, AccountState::NeedsReauth);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desk_in_a_team_hands_its_replies_to_the_hub_which_sends_each_once() {
    let sandbox = switchboard_sandbox::Sandbox::start(switchboard_sandbox::Config { seed: 21, conversations: 12, ..Default::default() }, 0).await.unwrap();
    let hub = hub_running(Some(&sandbox.base_url)).await;
    let code = hub.person("Sam", Role::Agent).await;
    let desk = desk(&hub, &code).await;
    let customers = sandbox.controller.stats().channels["telegram"].messages;
    // The desk catches up with what the hub's runner brought in.
    let mut seen = 0;
    while seen < customers {
        desk.engine.run(Mode::Once).await.unwrap();
        let store = desk.db.reader().unwrap();
        seen = store.inbox(&InboxFilter { limit: 100, ..Default::default() }).unwrap().iter().map(|r| store.thread(r.id, 500).unwrap().messages.len()).sum();
    }
    let rows = desk.db.reader().unwrap().inbox(&InboxFilter { limit: 100, ..Default::default() }).unwrap();

    // Written while the desk was not syncing (closed, or offline): queued on the desk alone.
    let (first, second) = (rows[0].id, rows[1].id);
    desk.db.write(move |s| s.enqueue_reply(first, "Your parcel left the depot today.", Some("Sam"), Some("desk-r1"))).unwrap();
    desk.db.write(move |s| s.enqueue_reply(second, "We have refunded the duplicate charge.", Some("Sam"), Some("desk-r2"))).unwrap();
    let following = tokio::spawn({
        let engine = desk.engine.clone();
        async move { engine.run(Mode::Follow).await }
    });
    // Handed over, sent by the hub, and the log's word on it back on the desk.
    let sent = |key: &'static str| {
        let db = desk.db.clone();
        move || db.reader().unwrap().reply_by_key(key).unwrap().is_some_and(|r| r.state == switchboard_core::model::OutboxState::Sent)
    };
    let mut events = desk.engine.subscribe();
    while !(sent("desk-r1")() && sent("desk-r2")()) {
        events.recv().await.unwrap();
    }
    // One written while following goes at once.
    desk.db.write(move |s| s.enqueue_reply(first, "And the tracking number is in your email.", Some("Sam"), Some("desk-r3"))).unwrap();
    desk.engine.wake_outbox();
    while !sent("desk-r3")() {
        events.recv().await.unwrap();
    }
    following.abort();

    let mut taken = std::collections::HashMap::<String, usize>::new();
    for (_, _, text) in sandbox.controller.replies() {
        *taken.entry(text).or_default() += 1;
    }
    let store = desk.db.reader().unwrap();
    for (conversation, text) in [(first, "Your parcel left the depot today."), (second, "We have refunded the duplicate charge."), (first, "And the tracking number is in your email.")] {
        assert_eq!(taken.get(text), Some(&1), "{text:?} reached the customer once");
        let shown: Vec<_> = store.thread(conversation, 500).unwrap().messages.into_iter().filter(|m| m.text == text).map(|m| (m.delivery.to_string(), m.author_name, m.external_id.starts_with("local:"))).collect();
        assert_eq!(shown, vec![("sent".to_owned(), Some("Sam".to_owned()), false)], "{text:?} once in the desk's thread, under the platform's id");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_one_agent_does_reaches_the_team_and_a_lost_race_for_a_conversation_is_put_right() {
    let sandbox = switchboard_sandbox::Sandbox::start(switchboard_sandbox::Config { seed: 22, conversations: 6, ..Default::default() }, 0).await.unwrap();
    let hub = hub_running(Some(&sandbox.base_url)).await;
    let (sam_code, kim_code) = (hub.person("Sam", Role::Agent).await, hub.person("Kim", Role::Agent).await);
    let (sam, kim) = (desk(&hub, &sam_code).await, desk(&hub, &kim_code).await);
    let customers = sandbox.controller.stats().channels["telegram"].messages;
    let caught_up = |desk: &Desk| {
        let store = desk.db.reader().unwrap();
        store.inbox(&InboxFilter { limit: 100, ..Default::default() }).unwrap().iter().map(|r| store.thread(r.id, 500).unwrap().messages.len()).sum::<usize>() >= customers
    };
    while !(caught_up(&sam) && caught_up(&kim)) {
        sam.engine.run(Mode::Once).await.unwrap();
        kim.engine.run(Mode::Once).await.unwrap();
    }
    let row = sam.db.reader().unwrap().inbox(&InboxFilter { limit: 100, ..Default::default() }).unwrap().remove(0);
    let (account, external) = sam.db.reader().unwrap().conversation_names(row.id).unwrap();
    let on_kim = kim.db.reader().unwrap().conversation_by_external(&account, &external).unwrap().unwrap();

    // Kim, offline, takes the conversation; Sam, online, takes it first and works on it.
    kim.db.write(move |s| s.assign(on_kim, Some("Kim"))).unwrap();
    let id = row.id;
    sam.db
        .write(move |s| {
            s.assign(id, Some("Sam"))?;
            s.set_status(id, ConversationStatus::Pending)?;
            s.set_priority(id, switchboard_core::model::Priority::Urgent)?;
            s.set_conversation_tags(id, &["refund".to_owned()])?;
            s.add_note(id, Some("Sam"), "Refund approved by finance").map(drop)
        })
        .unwrap();
    assert_eq!(sam.db.reader().unwrap().team_actions(10).unwrap().len(), 5, "queued for the hub, applied here at once");
    assert_eq!(sam.db.reader().unwrap().thread(id, 10).unwrap().conversation.assignee.as_deref(), Some("Sam"));
    sam.engine.run(Mode::Once).await.unwrap();
    assert!(sam.db.reader().unwrap().team_actions(10).unwrap().is_empty(), "the hub took them all");

    // Kim comes back: her claim finds the conversation with Sam, and her desk shows his work.
    kim.engine.run(Mode::Once).await.unwrap();
    let store = kim.db.reader().unwrap();
    assert!(store.team_actions(10).unwrap().is_empty());
    let thread = store.thread(on_kim, 500).unwrap();
    assert_eq!(thread.conversation.assignee.as_deref(), Some("Sam"), "the race was Sam's");
    kim.engine.run(Mode::Once).await.unwrap();
    let thread = kim.db.reader().unwrap().thread(on_kim, 500).unwrap();
    assert_eq!(
        (thread.conversation.assignee.as_deref(), thread.conversation.status, thread.conversation.priority, thread.tags.clone()),
        (Some("Sam"), ConversationStatus::Pending, switchboard_core::model::Priority::Urgent, vec!["refund".to_owned()])
    );
    assert_eq!(thread.notes.iter().map(|n| (n.author.as_deref(), n.text.as_str())).collect::<Vec<_>>(), [(Some("Sam"), "Refund approved by finance")]);
    // And Sam's own desk has his note once: the log's record of it is the note he wrote.
    sam.engine.run(Mode::Once).await.unwrap();
    let notes = sam.db.reader().unwrap().thread(id, 500).unwrap().notes;
    assert_eq!(notes.len(), 1, "{notes:?}");
}

/// A hub whose calls are counted by path, and whose WebSocket can be refused (as by a proxy that
/// does not pass upgrades on).
async fn counted_hub(refuse_socket: bool) -> (Hub, Arc<std::sync::Mutex<std::collections::HashMap<String, usize>>>) {
    let dir = tempfile::tempdir().unwrap();
    let engine: Arc<dyn HubEngine> = Arc::new(SqliteEngine::create(&dir.path().join("hub.db"), &StaticKey::new(StoreKey::from_bytes([9; 32]))).unwrap());
    let replica = Arc::new(switchboard_hub::replica::Replica::start(engine.clone(), dir.path()).unwrap());
    let calls = Arc::new(std::sync::Mutex::new(std::collections::HashMap::<String, usize>::new()));
    let counted = calls.clone();
    let app = switchboard_hub::server::router(engine.clone(), replica, Settings::default()).layer(axum::middleware::from_fn(
        move |request: axum::extract::Request, next: axum::middleware::Next| {
            let counted = counted.clone();
            async move {
                let path = request.uri().path().to_owned();
                *counted.lock().unwrap().entry(path.clone()).or_default() += 1;
                if refuse_socket && path.ends_with("/log/live") {
                    return axum::http::StatusCode::NOT_FOUND.into_response();
                }
                next.run(request).await
            }
        },
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        axum::serve(listener, app).with_graceful_shutdown(async move {
            let _ = stopped.await;
        }).await.unwrap();
    });
    (Hub { url: format!("http://127.0.0.1:{}", addr.port()), engine, _dir: dir, _stop: stop }, calls)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_following_desk_hears_the_log_over_a_websocket_and_long_polls_without_one() {
    for refuse_socket in [false, true] {
        let (hub, calls) = counted_hub(refuse_socket).await;
        let code = hub.person("Sam", Role::Agent).await;
        let desk = desk(&hub, &code).await;
        hub.log(&[message("42:1", "Where is my parcel?", "2026-12-01T10:00:00Z")]).await;
        let mut events = desk.engine.subscribe();
        let following = tokio::spawn({
            let engine = desk.engine.clone();
            async move { engine.run(Mode::Follow).await }
        });
        // Five records, each appended once the desk has the one before.
        for n in 2..=6 {
            loop {
                if let SyncEvent::Stored { new_messages, .. } = events.recv().await.unwrap() {
                    if !new_messages.is_empty() {
                        break;
                    }
                }
            }
            hub.log(&[message(&format!("42:{n}"), &format!("Message {n}"), &format!("2026-12-01T10:0{n}:00Z"))]).await;
        }
        loop {
            if let SyncEvent::Stored { new_messages, .. } = events.recv().await.unwrap() {
                if !new_messages.is_empty() {
                    break;
                }
            }
        }
        following.abort();
        let store = desk.db.reader().unwrap();
        let id = store.inbox(&InboxFilter { limit: 10, ..Default::default() }).unwrap()[0].id;
        assert_eq!(store.thread(id, 10).unwrap().messages.len(), 6, "every record, once");
        let calls = calls.lock().unwrap().clone();
        let (polled, opened) = (calls.get("/api/v1/log").copied().unwrap_or(0), calls.get("/api/v1/log/live").copied().unwrap_or(0));
        if refuse_socket {
            assert!(polled >= 6, "without a socket every record is long-polled: {calls:?}");
            assert_eq!(opened, 1, "a refused socket is not asked for again at once: {calls:?}");
        } else {
            assert_eq!((polled, opened), (0, 1), "pushed over one socket: {calls:?}");
        }
    }
}
