//! A team end to end: two hubs on one PostgreSQL database, three desks each with its own
//! encrypted store following the hub through the desk's own sync engine, the sandbox's Telegram
//! and SMS accounts. Every message reaches every desk once; an assignment made on one desk shows
//! on the others; 300 replies written on the three desks under a fifth of the platform's answers
//! failing, with the hub running the accounts killed half-way and a desk offline for a while
//! (acting meanwhile), each reach the customer exactly once; the desks converge; the supervisor's
//! board counts every agent's queue.

mod common;

use common::{add_accounts, messages_in_log, person_as, start, Hub};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use switchboard_core::credentials::{Credentials, MemoryCredentials};
use switchboard_core::keys::{StaticKey, StoreKey};
use switchboard_core::model::{ConversationStatus, InboxFilter, OutboxState};
use switchboard_core::{Db, Store};
use switchboard_hub::runner::RunnerSettings;
use switchboard_hub::{Engine, PostgresEngine, Role};
use switchboard_sandbox::{Config, Faults, Sandbox};
use switchboard_sync::{Engine as SyncEngine, Mode};

struct Desk {
    db: Db,
    engine: SyncEngine,
    following: Option<tokio::task::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

impl Desk {
    async fn join(engine: &Arc<dyn Engine>, hub: &Hub, name: &str, role: Role) -> Desk {
        let token = person_as(engine, hub, name, role).await;
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::create(&dir.path().join("desk.db"), &StaticKey::new(StoreKey::random())).unwrap();
        let key = format!("hub:{}", hub.url().trim_start_matches("http://"));
        let mut config = serde_json::Map::new();
        config.insert("url".into(), hub.url().into());
        store.add_account(&key, Some(name), config).unwrap();
        let credentials = Arc::new(MemoryCredentials::default());
        credentials.set(&key, &token).unwrap();
        let db = Db::start(store).unwrap();
        let mut engine = SyncEngine::new(db.clone(), credentials);
        engine.backoff = Duration::from_millis(50);
        engine.long_poll = Duration::from_secs(2);
        let mut desk = Desk { db, engine, following: None, _dir: dir };
        desk.online();
        desk
    }

    fn online(&mut self) {
        let engine = self.engine.clone();
        self.following = Some(tokio::spawn(async move {
            let _ = engine.run(Mode::Follow).await;
        }));
    }

    fn offline(&mut self) {
        if let Some(task) = self.following.take() {
            task.abort();
        }
    }

    fn store(&self) -> Store {
        self.db.reader().unwrap()
    }

    /// Waits (on the desk's own events) until `done` holds of its store.
    async fn until(&self, done: impl Fn(&Store) -> bool) {
        let mut events = self.engine.subscribe();
        while !done(&self.store()) {
            let _ = tokio::time::timeout(Duration::from_millis(500), events.recv()).await;
        }
    }

    fn messages(&self) -> usize {
        let store = self.store();
        store.inbox(&InboxFilter { limit: 1_000, ..Default::default() }).unwrap().iter().map(|r| store.thread(r.id, 1_000).unwrap().messages.len()).sum()
    }

    fn conversation(&self, account: &str, external: &str) -> i64 {
        self.store().conversation_by_external(account, external).unwrap().expect("the desk has the conversation")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_team_of_three_desks_and_two_hubs_works_through_faults_a_dead_hub_and_a_desk_offline() {
    let sandbox = Sandbox::start(Config { seed: 31, conversations: 40, ..Default::default() }, 0).await.unwrap();
    let server = switchboard_hub::testing::postgres();
    let url = server.database();
    let (a, b): (Arc<dyn Engine>, Arc<dyn Engine>) = (Arc::new(PostgresEngine::connect(&url).await.unwrap()), Arc::new(PostgresEngine::connect(&url).await.unwrap()));
    let accounts = add_accounts(&a, &sandbox.base_url).await;
    let sms = *accounts.iter().find(|k| k.starts_with("sms:")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let quick = RunnerSettings { poll_interval: Duration::from_millis(100), long_poll: Duration::from_millis(500), backoff: Duration::from_millis(50), in_flight_grace: Duration::from_millis(500), ..RunnerSettings::with_lease(Duration::from_secs(2)) };
    // Hub A runs the accounts; the desks talk to hub B (the team's one address), which serves
    // them from the same database.
    let mut hub_a = start(&a, "hub-a", &dir, quick.clone()).await;
    hub_a.runner.looked().wait_for(|l| l.running.len() == accounts.len()).await.unwrap();
    let hub_b = start(&b, "hub-b", &dir, quick).await;
    let stats = sandbox.controller.stats();
    let customers = stats.channels["telegram"].messages + stats.channels["sms"].messages;
    messages_in_log(&a, customers).await;

    let sam = Desk::join(&b, &hub_b, "Sam", Role::Agent).await;
    let mut kim = Desk::join(&b, &hub_b, "Kim", Role::Agent).await;
    let mina = Desk::join(&b, &hub_b, "Mina", Role::Supervisor).await;
    // Every message reaches every desk, once.
    for desk in [&sam, &kim, &mina] {
        desk.until(|_| desk.messages() >= customers).await;
        assert_eq!(desk.messages(), customers, "every message once");
    }

    // An assignment on one desk shows on the others.
    let chats: Vec<String> = {
        let store = sam.store();
        let rows = store.inbox(&InboxFilter { limit: 1_000, ..Default::default() }).unwrap();
        rows.iter().map(|r| store.conversation_names(r.id).unwrap()).filter(|(account, _)| account == sms).map(|(_, c)| c).take(5).collect()
    };
    assert_eq!(chats.len(), 5, "the sandbox has five SMS chats");
    let (first, second) = (sam.conversation(sms, &chats[0]), sam.conversation(sms, &chats[1]));
    sam.db
        .write(move |s| {
            s.assign(first, Some("Sam"))?;
            s.assign(second, Some("Sam"))
        })
        .unwrap();
    sam.engine.wake_outbox();
    let on_kim = kim.conversation(sms, &chats[0]);
    kim.until(|s| s.thread(on_kim, 1).unwrap().conversation.assignee.as_deref() == Some("Sam")).await;
    let third = kim.conversation(sms, &chats[2]);
    kim.db.write(move |s| s.assign(third, Some("Kim"))).unwrap();
    kim.engine.wake_outbox();
    let on_mina = mina.conversation(sms, &chats[2]);
    mina.until(|s| s.thread(on_mina, 1).unwrap().conversation.assignee.as_deref() == Some("Kim")).await;

    // 300 replies, a hundred from each desk, under faults; hub A dies half-way, Kim is offline for
    // a while and acts meanwhile.
    sandbox.controller.set_faults(Faults { server_error: 0.1, reset: 0.05, truncate: 0.05, ..Default::default() });
    let mut written: Vec<(String, String)> = Vec::new();
    for round in 0..100 {
        if round == 40 {
            kim.offline();
            let solved = kim.conversation(sms, &chats[3]);
            kim.db.write(move |s| s.set_status(solved, ConversationStatus::Solved)).unwrap();
        }
        if round == 50 {
            hub_a.kill();
        }
        if round == 70 {
            kim.online();
        }
        for (name, desk) in [("Sam", &sam), ("Kim", &kim), ("Mina", &mina)] {
            let chat = &chats[(round + written.len()) % chats.len()];
            let on = desk.conversation(sms, chat);
            let (key, text) = (format!("{name}-{round}"), format!("{name}'s answer {round}"));
            let (k, t) = (key.clone(), text.clone());
            desk.db.write(move |s| s.enqueue_reply(on, &t, Some(name), Some(&k)).map(drop)).unwrap();
            desk.engine.wake_outbox();
            written.push((key, text));
        }
    }
    // Each desk sees each of its replies sent, by the log's word.
    for (name, desk) in [("Sam", &sam), ("Kim", &kim), ("Mina", &mina)] {
        let keys: Vec<String> = written.iter().map(|(k, _)| k.clone()).filter(|k| k.starts_with(&format!("{name}-"))).collect();
        desk.until(|s| keys.iter().all(|k| s.reply_by_key(k).unwrap().is_some_and(|r| r.state == OutboxState::Sent))).await;
    }
    let mut taken: HashMap<String, usize> = HashMap::new();
    for (_, _, text) in sandbox.controller.replies() {
        *taken.entry(text).or_default() += 1;
    }
    for (key, text) in &written {
        assert_eq!(taken.get(text), Some(&1), "{key}: reached the customer once");
    }
    assert_eq!(b.lease(&format!("account:{sms}")).await.unwrap().unwrap().holder, "hub-b", "hub B took the accounts over");

    // The desks converge: Kim's offline change is everyone's; the supervisor's board counts each
    // agent's queue.
    let solved = chats[3].clone();
    for desk in [&sam, &mina] {
        let id = desk.conversation(sms, &solved);
        desk.until(|s| s.thread(id, 1).unwrap().conversation.status == ConversationStatus::Solved).await;
    }
    let board = mina.store().board(jiff::Timestamp::now()).unwrap();
    let queue = |who: &str| board.by_agent.iter().find(|q| q.name.as_deref() == Some(who)).map(|q| q.open);
    assert_eq!((queue("Sam"), queue("Kim")), (Some(2), Some(1)), "{:?}", board.by_agent);
}
