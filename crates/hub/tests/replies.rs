//! Replies through the hub: an agent hands a reply to the hub (`POST /actions`, kind `reply`);
//! the hub holding the account's lease sends it with the desk's own code, each step a `reply`
//! record of the log. Each reply reaches the customer once: with the same key sent twice, under
//! faults that strike after the platform acted, and when the hub sending it dies mid-way and
//! another takes the account over.

mod common;

use common::{add_accounts, messages_in_log, person, settings, start, Hub};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;
use switchboard_core::keys::{StaticKey, StoreKey};
use switchboard_core::team::{Problem, ProblemCode};
use switchboard_hub::runner::RunnerSettings;
use switchboard_hub::{Engine, PostgresEngine, SqliteEngine};
use switchboard_sandbox::{Config, Faults, Sandbox};

async fn reply(hub: &Hub, token: &str, key: &str, account: &str, conversation: &str, text: &str) -> reqwest::Response {
    let body = json!({ "key": key, "account": account, "conversation": conversation, "action": { "kind": "reply", "text": text } });
    reqwest::Client::new().post(format!("{}/actions", hub.base)).bearer_auth(token).json(&body).send().await.unwrap()
}

async fn done(res: reqwest::Response) {
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!((status.as_u16(), &body["outcome"]), (200, &json!("done")), "{body}");
}

/// The conversations customers started on `account`, by the log.
async fn conversations(engine: &Arc<dyn Engine>, account: &str) -> Vec<String> {
    let mut found = std::collections::BTreeSet::new();
    let mut after = 0;
    loop {
        let page = engine.read_after(after, 1_000).await.unwrap();
        let Some(last) = page.last() else { break };
        after = last.seq;
        for entry in page {
            let record: Value = serde_json::from_str(&entry.body).unwrap();
            if record["kind"] == "message" && record["account"] == account && record["direction"] == "in" {
                found.insert(record["conversation"].as_str().unwrap().to_owned());
            }
        }
    }
    found.into_iter().collect()
}

/// Waits until the log says each of `keys` is sent; the log's last word on every reply.
async fn sent_in_log(engine: &Arc<dyn Engine>, keys: &[String]) -> BTreeMap<String, Value> {
    let mut head = engine.head();
    let mut last: BTreeMap<String, Value> = BTreeMap::new();
    let mut after = 0;
    loop {
        head.borrow_and_update();
        let page = engine.read_after(after, 1_000).await.unwrap();
        if page.is_empty() {
            if keys.iter().all(|k| last.get(k).is_some_and(|r| r["state"] == "sent")) {
                return last;
            }
            head.changed().await.unwrap();
            continue;
        }
        for entry in page {
            after = entry.seq;
            let record: Value = serde_json::from_str(&entry.body).unwrap();
            if record["kind"] == "reply" {
                let failed = record["state"] == "failed";
                assert!(!failed, "a reply failed: {record}");
                last.insert(record["key"].as_str().unwrap().to_owned(), record);
            }
        }
    }
}

/// Waits until the log records `key` in `state` after record `after`.
async fn wait_for_step(engine: &Arc<dyn Engine>, mut after: i64, key: &str, state: &str) {
    let mut head = engine.head();
    loop {
        head.borrow_and_update();
        let page = engine.read_after(after, 1_000).await.unwrap();
        for entry in &page {
            let record: Value = serde_json::from_str(&entry.body).unwrap();
            if record["kind"] == "reply" && record["key"] == key && record["state"] == state {
                return;
            }
        }
        match page.last() {
            Some(last) => after = last.seq,
            None => head.changed().await.unwrap(),
        }
    }
}

/// How often the sandbox's platforms took each text.
fn taken(sandbox: &switchboard_sandbox::Controller) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for (_, _, text) in sandbox.replies() {
        *counts.entry(text).or_default() += 1;
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reply_handed_to_the_hub_is_sent_once_and_every_step_is_in_the_log() {
    let sandbox = Sandbox::start(Config { seed: 11, conversations: 30, ..Default::default() }, 0).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let engine: Arc<dyn Engine> = Arc::new(SqliteEngine::create(&dir.path().join("hub.db"), &StaticKey::new(StoreKey::from_bytes([3; 32]))).unwrap());
    let accounts = add_accounts(&engine, &sandbox.base_url).await;
    let stats = sandbox.controller.stats();
    let hub = start(&engine, "hub-a", &dir, settings()).await;
    messages_in_log(&engine, stats.channels["telegram"].messages + stats.channels["sms"].messages).await;
    let sam = person(&engine, &hub, "Sam").await;

    let mut keys = Vec::new();
    let mut targets = Vec::new();
    for account in &accounts {
        for (n, conversation) in conversations(&engine, account).await.into_iter().take(3).enumerate() {
            let (key, text) = (format!("{account}-{n}"), format!("Sorted, reply {n} on {account}"));
            done(reply(&hub, &sam, &key, account, &conversation, &text).await).await;
            // A desk that did not hear the answer asks again: the same reply.
            done(reply(&hub, &sam, &key, account, &conversation, &text).await).await;
            keys.push(key);
            targets.push((account.to_string(), conversation, text));
        }
    }
    let last = sent_in_log(&engine, &keys).await;
    let counts = taken(&sandbox.controller);
    for (_, _, text) in &targets {
        assert_eq!(counts.get(text), Some(&1), "{text:?} taken once");
    }
    for key in &keys {
        assert!(last[key]["external_id"].as_str().is_some_and(|id| !id.is_empty()), "{key}: the platform's id is in the log");
    }

    // The replica (like every desk) shows each reply once in its thread, sent, under the
    // platform's id, also once the platform's own copy of it has been pulled.
    let replica = hub.runner.replica().clone();
    replica.caught_up_to(*engine.head().borrow()).await.unwrap();
    for (key, (account, conversation, text)) in keys.iter().zip(&targets) {
        let (account, conversation, text, external) = (account.clone(), conversation.clone(), text.clone(), last[key]["external_id"].as_str().unwrap().to_owned());
        let shown = replica
            .db()
            .read(move |s| {
                let id = s.conversation_by_external(&account, &conversation)?.expect("the conversation");
                Ok(s.thread(id, 500)?.messages.into_iter().filter(|m| m.text == text).map(|m| (m.external_id, m.delivery.to_string(), m.author_name)).collect::<Vec<_>>())
            })
            .unwrap();
        assert_eq!(shown, vec![(external, "sent".to_owned(), Some("Sam".to_owned()))], "{key}");
    }

    // Refused, with nothing appended: an unknown conversation, an account this hub does not
    // run, no text, a key already naming another conversation's reply.
    let head = *engine.head().borrow();
    let sms = accounts.iter().find(|a| a.starts_with("sms:")).unwrap();
    let first = conversations(&engine, sms).await.remove(0);
    let problem = |res: reqwest::Response, status: u16| async move {
        assert_eq!(res.status().as_u16(), status);
        res.json::<Problem>().await.unwrap().code
    };
    assert_eq!(problem(reply(&hub, &sam, "r-x", sms, "+19990000000", "Hi").await, 404).await, ProblemCode::NotFound);
    assert_eq!(problem(reply(&hub, &sam, "r-y", "sms:+10000000000", &first, "Hi").await, 404).await, ProblemCode::NotFound);
    assert_eq!(problem(reply(&hub, &sam, "r-z", sms, &first, "  ").await, 400).await, ProblemCode::Invalid);
    let other = conversations(&engine, sms).await.remove(1);
    assert_eq!(problem(reply(&hub, &sam, &keys[keys.len() - 1], sms, &other, "Hi").await, 409).await, ProblemCode::Conflict);
    // (The platforms' own records may still be arriving from their pulls: no reply among them.)
    let appended: Vec<Value> = engine.read_after(head, 1_000).await.unwrap().iter().map(|e| serde_json::from_str(&e.body).unwrap()).collect();
    assert!(appended.iter().all(|r| r["kind"] != "reply" && r["text"] != "Hi"), "nothing appended for a refused reply: {appended:?}");

    // Telegram cannot say whether a reply whose answer was cut short arrived: it fails, for the
    // agent to check. Asked for again (twice), it is sent once more.
    let telegram = *accounts.iter().find(|a| a.starts_with("telegram:")).unwrap();
    let chat = conversations(&engine, telegram).await.remove(0);
    sandbox.controller.set_faults(Faults { reset: 1.0, ..Default::default() });
    done(reply(&hub, &sam, "r-cut", telegram, &chat, "Did this arrive?").await).await;
    wait_for_step(&engine, head, "r-cut", "failed").await;
    sandbox.controller.set_faults(Faults::default());
    let failed_at = *engine.head().borrow();
    done(reply(&hub, &sam, "r-cut", telegram, &chat, "Did this arrive?").await).await;
    done(reply(&hub, &sam, "r-cut", telegram, &chat, "Did this arrive?").await).await;
    wait_for_step(&engine, failed_at, "r-cut", "sent").await;
    let queued_again = engine.read_after(failed_at, 100).await.unwrap().iter().filter(|e| e.body.contains("\"state\":\"queued\"")).count();
    assert_eq!(queued_again, 1, "asked twice, queued once");
    assert_eq!(taken(&sandbox.controller).get("Did this arrive?"), Some(&2), "the cut-short send and the one asked for");

    // A customer's photo on Telegram: a desk (which holds no bot token) gets it through the hub.
    let written: Value = reqwest::Client::new().post(format!("{}/_sandbox/customer-writes?channel=telegram&photo=1", sandbox.base_url)).send().await.unwrap().json().await.unwrap();
    assert_eq!(written["channel"], "telegram");
    let photo = loop {
        let log = engine.read_after(0, 10_000).await.unwrap();
        let found = log.iter().rev().map(|e| serde_json::from_str::<Value>(&e.body).unwrap()).find(|r| r["kind"] == "message" && r["account"] == telegram && r["attachments"].as_array().is_some_and(|a| !a.is_empty()));
        if let Some(record) = found {
            break record;
        }
        engine.head().changed().await.unwrap();
    };
    let media = |token: &str| {
        reqwest::Client::new().get(format!("{}/media", hub.base)).query(&[("account", telegram), ("message", photo["id"].as_str().unwrap()), ("index", "0")]).bearer_auth(token.to_owned()).send()
    };
    hub.runner.replica().caught_up_to(*engine.head().borrow()).await.unwrap();
    let answer = media(&sam).await.unwrap();
    assert_eq!(answer.status().as_u16(), 200);
    assert!(answer.headers()["content-type"].to_str().unwrap().starts_with("image/"));
    assert!(!answer.bytes().await.unwrap().is_empty());
    assert_eq!(media("not-a-token").await.unwrap().status().as_u16(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replies_under_faults_and_a_hub_killed_mid_way_each_reach_the_customer_once_and_in_order() {
    let sandbox = Sandbox::start(Config { seed: 12, conversations: 40, ..Default::default() }, 0).await.unwrap();
    let server = switchboard_hub::testing::postgres();
    let url = server.database();
    let (a, b): (Arc<dyn Engine>, Arc<dyn Engine>) = (Arc::new(PostgresEngine::connect(&url).await.unwrap()), Arc::new(PostgresEngine::connect(&url).await.unwrap()));
    let accounts = add_accounts(&a, &sandbox.base_url).await;
    let sms = *accounts.iter().find(|a| a.starts_with("sms:")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Leases of two seconds of real time: the platform's clock and the hubs' must agree here,
    // since an interrupted send is looked up on the platform by when it was handed over.
    let quick = RunnerSettings { poll_interval: Duration::from_millis(100), long_poll: Duration::from_millis(500), backoff: Duration::from_millis(50), in_flight_grace: Duration::from_millis(500), ..RunnerSettings::with_lease(Duration::from_secs(2)) };
    let mut first = start(&a, "hub-a", &dir, quick.clone()).await;
    first.runner.looked().wait_for(|l| l.running.len() == accounts.len()).await.unwrap();
    let second = start(&b, "hub-b", &dir, quick).await;
    let stats = sandbox.controller.stats();
    messages_in_log(&a, stats.channels["telegram"].messages + stats.channels["sms"].messages).await;
    let sam = person(&a, &first, "Sam").await;
    let kim = person(&b, &second, "Kim").await;

    // A fifth of the platform's answers fail, half of those after it acted.
    let faults = Faults { server_error: 0.1, reset: 0.05, truncate: 0.05, ..Default::default() };
    sandbox.controller.set_faults(faults.clone());
    let chats: Vec<String> = conversations(&a, sms).await.into_iter().take(10).collect();
    let mut keys = Vec::new();
    let mut order: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for round in 0..6 {
        if round == 3 {
            // Half-way, the hub sending the account's replies dies with a reply handed to the
            // platform and no answer yet (every answer is slow now).
            sandbox.controller.set_faults(Faults { slow: 1.0, ..Default::default() });
            let from = *a.head().borrow();
            done(reply(&second, &kim, "r-cut", sms, &chats[0], "The one cut short").await).await;
            keys.push("r-cut".to_owned());
            order.entry(chats[0].clone()).or_default().push("The one cut short".to_owned());
            wait_for_step(&a, from, "r-cut", "sending").await;
            first.kill();
            sandbox.controller.set_faults(faults.clone());
        }
        for (n, chat) in chats.iter().enumerate() {
            let (key, text) = (format!("r{round}-{n}"), format!("Update {round} for chat {n}"));
            // Desks talk to either hub, then to the one left.
            let (hub, token) = if n % 2 == 0 && round < 3 { (&first, &sam) } else { (&second, &kim) };
            done(reply(hub, token, &key, sms, chat, &text).await).await;
            keys.push(key);
            order.entry(chat.clone()).or_default().push(text);
        }
    }
    let last = sent_in_log(&b, &keys).await;
    assert_eq!(last.len(), keys.len());
    let counts = taken(&sandbox.controller);
    let twice: Vec<_> = counts.iter().filter(|(_, &n)| n > 1).collect();
    assert!(twice.is_empty(), "taken more than once: {twice:?}");
    for texts in order.values() {
        for text in texts {
            assert_eq!(counts.get(text), Some(&1), "{text:?} taken");
        }
    }
    // Each chat's replies reached the customer in the order they were written.
    for (chat, texts) in &order {
        let got: Vec<String> = sandbox.controller.replies().into_iter().filter(|(_, to, _)| to == chat).map(|(_, _, text)| text).collect();
        assert_eq!(&got, texts, "{chat}");
    }
    assert_eq!(b.lease(&format!("account:{sms}")).await.unwrap().unwrap().holder, "hub-b");
}
