//! The hub over HTTP on loopback (embedded engine): who may call what, enrolment, the log
//! long-polled and pushed over a WebSocket, bad bodies described without being quoted, and TLS.

use futures_util::StreamExt;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;
use switchboard_core::keys::{StaticKey, StoreKey};
use switchboard_core::team::{Enrolled, LogPage, PersonAdded, Problem, ProblemCode};
use switchboard_hub::people::{hash, new_code};
use switchboard_hub::server::{serve, Listen, Settings};
use switchboard_hub::{Append, Engine, NewEntry, Role, SqliteEngine};

struct Hub {
    base: String,
    engine: Arc<dyn Engine>,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn start_with(tls: Option<(std::path::PathBuf, std::path::PathBuf)>, http: reqwest::Client) -> Hub {
    start_with_settings(tls, http, Settings::default()).await
}

async fn start_with_settings(tls: Option<(std::path::PathBuf, std::path::PathBuf)>, http: reqwest::Client, settings: Settings) -> Hub {
    let dir = tempfile::tempdir().unwrap();
    let engine: Arc<dyn Engine> = Arc::new(SqliteEngine::create(&dir.path().join("hub.db"), &StaticKey::new(StoreKey::from_bytes([6; 32]))).unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (tell, told) = tokio::sync::oneshot::channel::<SocketAddr>();
    let scheme = if tls.is_some() { "https" } else { "http" };
    let listen = Listen { addr: "127.0.0.1:0".parse().unwrap(), tls, behind_proxy: false };
    let replica = Arc::new(switchboard_hub::replica::Replica::start(engine.clone(), dir.path()).unwrap());
    tokio::spawn(serve(engine.clone(), replica, settings, listen, move |addr| tell.send(addr).unwrap(), async move {
        let _ = stopped.await;
    }));
    let addr = told.await.unwrap();
    Hub { base: format!("{scheme}://localhost:{}/api/v1", addr.port()), engine, http, _dir: dir, _stop: stop }
}

async fn start() -> Hub {
    start_with(None, reqwest::Client::new()).await
}

impl Hub {
    /// A person added straight in the engine (as `switchboard hub person add` does) and
    /// enrolled through the API; their token.
    async fn person(&self, name: &str, role: Role) -> String {
        let code = new_code();
        self.engine.add_person(name, role, &hash(&code), jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1), jiff::Timestamp::now()).await.unwrap();
        let enrolled: Enrolled = self.http.post(format!("{}/enrol", self.base)).json(&json!({ "code": code })).send().await.unwrap().json().await.unwrap();
        assert_eq!(enrolled.person.name, name);
        enrolled.token
    }

    async fn get(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut req = self.http.get(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.unwrap()
    }
}

async fn problem(res: reqwest::Response, status: u16) -> Problem {
    assert_eq!(res.status().as_u16(), status);
    res.json().await.unwrap()
}

#[tokio::test]
async fn every_call_but_enrolment_needs_a_token_and_supervisors_calls_a_supervisor() {
    let hub = start().await;
    for path in ["/me", "/people", "/log"] {
        assert_eq!(problem(hub.get(path, None).await, 401).await.code, ProblemCode::Unauthorized, "{path}");
        assert_eq!(problem(hub.get(path, Some("0123abcd")).await, 401).await.code, ProblemCode::Unauthorized, "{path}");
    }
    let boss = hub.person("Mina", Role::Supervisor).await;
    let agent = hub.person("Sam", Role::Agent).await;
    let me: Value = hub.get("/me", Some(&agent)).await.json().await.unwrap();
    assert_eq!((me["person"]["name"].as_str(), me["person"]["role"].as_str(), me["protocol"].as_u64()), (Some("Sam"), Some("agent"), Some(1)));

    // An agent may list the team, not change it.
    let add = |token: &str| hub.http.post(format!("{}/people", hub.base)).bearer_auth(token).json(&json!({ "name": "Jiwoo", "role": "agent" })).send();
    assert_eq!(problem(add(&agent).await.unwrap(), 403).await.code, ProblemCode::Forbidden);
    let delete = |token: &str, name: &str| hub.http.delete(format!("{}/people/{name}", hub.base)).bearer_auth(token).send();
    assert_eq!(problem(delete(&agent, "Mina").await.unwrap(), 403).await.code, ProblemCode::Forbidden);
    let added = add(&boss).await.unwrap();
    assert_eq!(added.status().as_u16(), 201);
    let added: PersonAdded = added.json().await.unwrap();
    assert_eq!(problem(add(&boss).await.unwrap(), 409).await.code, ProblemCode::Conflict);

    // The code enrols once.
    let enrol = |code: &str| hub.http.post(format!("{}/enrol", hub.base)).json(&json!({ "code": code })).send();
    let jiwoo: Enrolled = enrol(&added.code.to_lowercase().replace('-', " ")).await.unwrap().json().await.unwrap();
    assert_eq!(jiwoo.person, added.person);
    assert_eq!(problem(enrol(&added.code).await.unwrap(), 401).await.code, ProblemCode::Unauthorized);
    let people: Vec<Value> = hub.get("/people", Some(&jiwoo.token)).await.json().await.unwrap();
    assert_eq!(people.iter().map(|p| p["name"].as_str().unwrap()).collect::<Vec<_>>(), ["Jiwoo", "Mina", "Sam"]);

    // Removed: their token stops at once.
    assert_eq!(delete(&boss, "Jiwoo").await.unwrap().status().as_u16(), 200);
    assert_eq!(problem(hub.get("/me", Some(&jiwoo.token)).await, 401).await.code, ProblemCode::Unauthorized);
    assert_eq!(problem(delete(&boss, "Jiwoo").await.unwrap(), 404).await.code, ProblemCode::NotFound);
    assert_eq!(problem(hub.get("/nothing-here", Some(&boss)).await, 404).await.code, ProblemCode::NotFound);

    // The desks hear of it: the log names Jiwoo when added and when removed.
    let said: Vec<Value> = hub.engine.read_after(0, 100).await.unwrap().iter().map(|e| serde_json::from_str(&e.body).unwrap()).collect();
    let id = added.person.id;
    assert_eq!(
        said,
        [json!({ "kind": "person", "id": id, "name": "Jiwoo", "role": "agent" }), json!({ "kind": "person", "id": id, "name": "Jiwoo", "role": "agent", "removed": true })]
    );
}

#[tokio::test]
async fn a_bad_body_is_refused_with_a_clear_error_that_quotes_nothing() {
    let hub = start().await;
    let boss = hub.person("Mina", Role::Supervisor).await;
    let post = |body: String| hub.http.post(format!("{}/people", hub.base)).bearer_auth(&boss).header("content-type", "application/json").body(body).send();
    let marker = "marker-Q7Z 4111 1111 1111 1111";
    for body in [json!({ "name": 5, "role": "agent" }).to_string(), json!({ "name": "x", "role": marker }).to_string(), json!({ "name": "x", "role": "agent", "extra": marker }).to_string(), "{\"name\": ".into()] {
        let p = problem(post(body.clone()).await.unwrap(), 400).await;
        assert_eq!(p.code, ProblemCode::Invalid);
        assert!(!p.message.contains("marker") && !p.message.contains("4111"), "{body}: {}", p.message);
    }
    let p = problem(post(json!({ "name": "\u{7}", "role": "agent" }).to_string()).await.unwrap(), 400).await;
    assert!(p.message.contains("control"), "{}", p.message);
    let huge = json!({ "name": "x".repeat(2 << 20), "role": "agent" }).to_string();
    assert_eq!(problem(post(huge).await.unwrap(), 413).await.code, ProblemCode::TooLarge);
    assert!(hub.engine.people().await.unwrap().iter().all(|p| p.name == "Mina"), "nothing half-done");
}

fn append(engine: &Arc<dyn Engine>, text: &str) -> impl std::future::Future<Output = ()> + Send + 'static {
    let (engine, body) = (engine.clone(), json!({ "kind": "tag", "name": text }).to_string());
    async move {
        engine.append(Append::entries(vec![NewEntry::new(body)], jiff::Timestamp::now())).await.unwrap();
    }
}

#[tokio::test]
async fn a_desk_long_polls_the_log_and_hears_an_append_as_it_happens() {
    let hub = start().await;
    let token = hub.person("Sam", Role::Agent).await;
    let empty: LogPage = hub.get("/log?after=0", Some(&token)).await.json().await.unwrap();
    assert_eq!((empty.entries.len(), empty.head), (0, 0));
    append(&hub.engine, "first").await;
    append(&hub.engine, "second").await;
    let page: LogPage = hub.get("/log?after=0&limit=1", Some(&token)).await.json().await.unwrap();
    assert_eq!((page.entries.len(), page.entries[0].seq, page.head), (1, 1, 2));
    assert_eq!(page.entries[0].record.get(), r#"{"kind":"tag","name":"first"}"#);

    // Waiting: answered once the third record is appended.
    let waiting = tokio::spawn({
        let (http, url, token) = (hub.http.clone(), format!("{}/log?after=2&wait=30", hub.base), token.clone());
        async move { http.get(url).bearer_auth(token).send().await.unwrap().json::<LogPage>().await.unwrap() }
    });
    append(&hub.engine, "third").await;
    let page = waiting.await.unwrap();
    assert_eq!(page.entries.iter().map(|e| e.seq).collect::<Vec<_>>(), [3]);
    assert_eq!(problem(hub.get("/log?after=-1", Some(&token)).await, 400).await.code, ProblemCode::Invalid);
}

#[tokio::test]
async fn a_desk_hears_the_log_pushed_over_a_websocket() {
    let hub = start().await;
    let token = hub.person("Sam", Role::Agent).await;
    append(&hub.engine, "before").await;
    let url = format!("{}/log/live?after=0", hub.base.replace("http://", "ws://"));
    let mut request = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(url.as_str()).unwrap();
    request.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let mut seen = Vec::new();
    let mut appended = false;
    while seen.len() < 4 {
        let message = socket.next().await.unwrap().unwrap();
        let page: LogPage = serde_json::from_str(message.to_text().unwrap()).unwrap();
        seen.extend(page.entries.iter().map(|e| e.seq));
        if !appended {
            // Heard what was there; what comes now is pushed.
            appended = true;
            for text in ["a", "b", "c"] {
                append(&hub.engine, text).await;
            }
        }
    }
    assert_eq!(seen, [1, 2, 3, 4]);

    // Removed from the team (as the API and the command line do it: the removal is appended):
    // the socket closes at that record, carrying nothing more.
    let removed = hub.engine.remove_person("Sam", jiff::Timestamp::now()).await.unwrap();
    switchboard_hub::people::announce(hub.engine.as_ref(), &removed, true, jiff::Timestamp::now()).await.unwrap();
    append(&hub.engine, "after").await;
    match socket.next().await {
        Some(Ok(tokio_tungstenite::tungstenite::Message::Close(Some(frame)))) => assert_eq!(u16::from(frame.code), 1008),
        other => panic!("expected the socket closed, got {other:?}"),
    }

    // Without a token, no socket.
    let bare = tokio_tungstenite::connect_async(url.as_str()).await;
    assert!(matches!(bare, Err(tokio_tungstenite::tungstenite::Error::Http(r)) if r.status().as_u16() == 401));
}

#[tokio::test]
async fn off_loopback_the_hub_needs_tls_and_serves_it() {
    let plain = Listen { addr: "0.0.0.0:0".parse().unwrap(), tls: None, behind_proxy: false };
    assert!(plain.check().unwrap_err().to_string().contains("--tls-cert"));
    assert!(Listen { behind_proxy: true, ..plain }.check().is_ok());

    let dir = tempfile::tempdir().unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.key_pair.serialize_pem()).unwrap();
    let http = reqwest::Client::builder().add_root_certificate(reqwest::Certificate::from_pem(cert.cert.pem().as_bytes()).unwrap()).build().unwrap();
    let hub = start_with(Some((cert_path, key_path)), http).await;
    assert!(hub.base.starts_with("https://"));
    let token = hub.person("Mina", Role::Supervisor).await;
    assert_eq!(hub.get("/me", Some(&token)).await.status().as_u16(), 200);
    // Plain HTTP to the TLS port gets nowhere.
    let plain = reqwest::Client::new().get(hub.base.replace("https://", "http://") + "/me").send().await;
    assert!(plain.is_err() || !plain.unwrap().status().is_success());
}

/// A conversation the log names, as the hub's connectors would have appended it.
async fn conversation(hub: &Hub) {
    let record = json!({ "kind": "message", "account": "sms:+15550100", "conversation": "+15550123", "id": "SM1", "direction": "in",
                         "author": { "kind": "customer", "name": "Lena", "handle": "+15550123" }, "text": "Where is my order?", "at": "2026-12-01T10:00:00Z" });
    append_record(&hub.engine, record).await;
}

async fn append_record(engine: &Arc<dyn Engine>, record: Value) {
    engine.append(Append::entries(vec![NewEntry::new(record.to_string())], jiff::Timestamp::now())).await.unwrap();
}

async fn act(hub: &Hub, token: &str, key: &str, action: Value) -> reqwest::Response {
    let body = json!({ "key": key, "account": "sms:+15550100", "conversation": "+15550123", "action": action });
    hub.http.post(format!("{}/actions", hub.base)).bearer_auth(token).json(&body).send().await.unwrap()
}

#[tokio::test]
async fn agents_change_conversations_through_the_hub_once_per_key() {
    let hub = start().await;
    conversation(&hub).await;
    let sam = hub.person("Sam", Role::Agent).await;
    let done = |res: reqwest::Response| async move {
        assert_eq!(res.status().as_u16(), 200);
        let outcome: Value = res.json().await.unwrap();
        assert_eq!(outcome["outcome"], "done", "{outcome}");
        outcome["seq"].as_i64().unwrap()
    };
    let note = done(act(&hub, &sam, "k-note", json!({ "kind": "note", "text": "Called her back" })).await).await;
    assert_eq!(done(act(&hub, &sam, "k-note", json!({ "kind": "note", "text": "Called her back" })).await).await, note, "the same key is the same action");
    let status = done(act(&hub, &sam, "k-status", json!({ "kind": "status", "status": "pending" })).await).await;
    done(act(&hub, &sam, "k-priority", json!({ "kind": "priority", "priority": "urgent" })).await).await;
    done(act(&hub, &sam, "k-tags", json!({ "kind": "tags", "tags": [" refund ", "vip"] })).await).await;
    let log = hub.engine.read_after(1, 10).await.unwrap();
    assert_eq!(log.len(), 4);
    let bodies: Vec<Value> = log.iter().map(|e| serde_json::from_str(&e.body).unwrap()).collect();
    assert_eq!(bodies[0], json!({ "kind": "note", "id": "k-note", "account": "sms:+15550100", "conversation": "+15550123", "author": "Sam", "text": "Called her back", "at": bodies[0]["at"] }));
    assert_eq!(log[1].seq, status);
    assert_eq!(bodies[1], json!({ "kind": "conversation_change", "account": "sms:+15550100", "conversation": "+15550123", "status": "pending", "by": "Sam" }));
    assert_eq!(bodies[3]["tags"], json!(["refund", "vip"]));
    assert!(log.iter().all(|e| e.actor.is_some()), "the log says who did each");

    // Refused, and nothing appended: an unknown conversation, a bad action.
    let unknown = json!({ "key": "k-x", "account": "sms:+15550100", "conversation": "+19990000", "action": { "kind": "status", "status": "solved" } });
    let res = hub.http.post(format!("{}/actions", hub.base)).bearer_auth(&sam).json(&unknown).send().await.unwrap();
    assert_eq!(problem(res, 404).await.code, ProblemCode::NotFound);
    for (key, action) in [
        ("k-1", json!({ "kind": "note", "text": "  " })),
        ("k-2", json!({ "kind": "note", "text": "x".repeat(20_001) })),
        ("k-3", json!({ "kind": "tags", "tags": ["x".repeat(65)] })),
        ("k-4", json!({ "kind": "status", "status": "closed-forever" })),
        ("k-5", json!({ "kind": "teleport" })),
        ("", json!({ "kind": "status", "status": "solved" })),
    ] {
        assert_eq!(problem(act(&hub, &sam, key, action).await, 400).await.code, ProblemCode::Invalid, "{key}");
    }
    assert_eq!(*hub.engine.head().borrow(), 5);
    assert_eq!(problem(act(&hub, "not-a-token", "k-6", json!({ "kind": "status", "status": "solved" })).await, 401).await.code, ProblemCode::Unauthorized);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_twenty_desks_claiming_a_conversation_one_gets_it_and_the_rest_hear_who() {
    let hub = start().await;
    conversation(&hub).await;
    let mut tokens = Vec::new();
    for k in 0..20 {
        tokens.push((format!("agent {k}"), hub.person(&format!("agent {k}"), Role::Agent).await));
    }
    let hub = Arc::new(hub);
    let claims: Vec<_> = tokens
        .iter()
        .map(|(name, token)| {
            let (hub, name, token) = (hub.clone(), name.clone(), token.clone());
            tokio::spawn(async move {
                let res = act(&hub, &token, &format!("claim-{name}"), json!({ "kind": "assign", "expected": null, "to": name })).await;
                (name, res.json::<Value>().await.unwrap())
            })
        })
        .collect();
    let mut winners = Vec::new();
    let mut told = Vec::new();
    for claim in claims {
        let (name, outcome) = claim.await.unwrap();
        match outcome["outcome"].as_str().unwrap() {
            "done" => winners.push(name),
            "taken" => told.push(outcome["by"].as_str().unwrap().to_owned()),
            other => panic!("{other}"),
        }
    }
    assert_eq!(winners.len(), 1);
    assert_eq!(told.len(), 19);
    assert!(told.iter().all(|by| *by == winners[0]), "the others hear who has it");
    // Handed on by name, from who the asker saw.
    let (_, first) = &tokens[0];
    let res = act(&hub, first, "hand-on", json!({ "kind": "assign", "expected": winners[0], "to": "agent 0" })).await;
    assert_eq!(res.json::<Value>().await.unwrap()["outcome"], "done");
    let res = act(&hub, first, "to-nobody-here", json!({ "kind": "assign", "expected": "agent 0", "to": "Nobody" })).await;
    assert_eq!(problem(res, 404).await.code, ProblemCode::NotFound);
}

#[tokio::test]
async fn presence_says_who_is_where_and_typing_and_lapses_without_word() {
    let added = Arc::new(std::sync::atomic::AtomicI64::new(0));
    let clock = added.clone();
    let now: switchboard_hub::server::Now = Arc::new(move || jiff::Timestamp::now() + jiff::SignedDuration::from_secs(clock.load(std::sync::atomic::Ordering::SeqCst)));
    let hub = start_with_settings(None, reqwest::Client::new(), Settings { now, ..Settings::default() }).await;
    let sam = hub.person("Sam", Role::Agent).await;
    let kim = hub.person("Kim", Role::Agent).await;
    let say = |token: &str, body: Value| hub.http.post(format!("{}/presence", hub.base)).bearer_auth(token).json(&body).send();
    let list = || async { hub.get("/presence", Some(&kim)).await.json::<Value>().await.unwrap() };
    assert_eq!(list().await, json!([{ "person": "Kim", "state": "offline", "typing": false }, { "person": "Sam", "state": "offline", "typing": false }]));

    let viewing = json!({ "account": "sms:+15550100", "conversation": "+15550123" });
    assert_eq!(say(&sam, json!({ "viewing": viewing, "typing": true })).await.unwrap().status().as_u16(), 200);
    assert_eq!(say(&kim, json!({ "away": true })).await.unwrap().status().as_u16(), 200);
    assert_eq!(list().await, json!([{ "person": "Kim", "state": "away", "typing": false }, { "person": "Sam", "state": "online", "viewing": viewing, "typing": true }]));

    // Typing lapses first, then presence itself.
    added.store(7, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(list().await[1], json!({ "person": "Sam", "state": "online", "viewing": viewing, "typing": false }));
    added.store(46, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(list().await[1], json!({ "person": "Sam", "state": "offline", "typing": false }));

    // Only the team hears it, and a bad word is refused.
    assert_eq!(problem(hub.get("/presence", None).await, 401).await.code, ProblemCode::Unauthorized);
    assert_eq!(problem(say(&sam, json!({ "viewing": "everything" })).await.unwrap(), 400).await.code, ProblemCode::Invalid);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_assignment_gives_the_longest_waiting_to_the_least_busy_online_agent_up_to_capacity() {
    let settings = Settings { assign_every: std::time::Duration::from_millis(50), ..Settings::default() };
    let hub = start_with_settings(None, reqwest::Client::new(), settings).await;
    let mina = hub.person("Mina", Role::Supervisor).await;
    let sam = hub.person("Sam", Role::Agent).await;
    let kim = hub.person("Kim", Role::Agent).await;
    // Three customers waiting, the first the longest.
    for (n, at) in ["2026-12-01T09:00:00Z", "2026-12-01T09:10:00Z", "2026-12-01T09:20:00Z"].into_iter().enumerate() {
        append_record(&hub.engine, json!({ "kind": "message", "account": "sms:+15550100", "conversation": format!("+1555020{n}"), "id": format!("SM{n}"), "direction": "in",
            "author": { "kind": "customer", "handle": format!("+1555020{n}") }, "text": "Hello?", "at": at })).await;
    }
    let set = |token: &str, body: Value| hub.http.put(format!("{}/auto-assignment", hub.base)).bearer_auth(token).json(&body).send();
    assert_eq!(problem(set(&sam, json!({ "enabled": true, "capacity": 1 })).await.unwrap(), 403).await.code, ProblemCode::Forbidden);
    assert_eq!(problem(set(&mina, json!({ "enabled": true, "capacity": 0 })).await.unwrap(), 400).await.code, ProblemCode::Invalid);
    let say = |token: &str, body: Value| hub.http.post(format!("{}/presence", hub.base)).bearer_auth(token).json(&body).send();
    say(&sam, json!({})).await.unwrap();
    say(&kim, json!({})).await.unwrap();
    assert_eq!(set(&mina, json!({ "enabled": true, "capacity": 1 })).await.unwrap().status().as_u16(), 200);
    let got: Value = hub.get("/auto-assignment", Some(&kim)).await.json().await.unwrap();
    assert_eq!(got, json!({ "enabled": true, "capacity": 1, "by": "Mina" }));

    // Who the log says has what, by auto-assignment.
    let assigned = || async {
        let mut by = std::collections::BTreeMap::new();
        for entry in hub.engine.read_after(0, 1_000).await.unwrap() {
            let record: Value = serde_json::from_str(&entry.body).unwrap();
            if record["kind"] == "assignment" {
                assert_eq!(record["by"], "auto-assignment");
                by.insert(record["conversation"].as_str().unwrap().to_owned(), record["assignee"].as_str().unwrap().to_owned());
            }
        }
        by
    };
    let mut head = hub.engine.head();
    let first = loop {
        let now = assigned().await;
        if now.len() == 2 {
            break now;
        }
        head.changed().await.unwrap();
    };
    // The two waiting longest, one each; the third waits, as both are at capacity.
    assert_eq!(first.keys().collect::<Vec<_>>(), ["+15550200", "+15550201"]);
    assert_ne!(first["+15550200"], first["+15550201"]);

    // Sam solves his; Kim steps away: the third goes to Sam.
    let sams = first.iter().find(|(_, who)| *who == "Sam").unwrap().0.clone();
    append_record(&hub.engine, json!({ "kind": "conversation_change", "account": "sms:+15550100", "conversation": sams, "status": "solved", "by": "Sam" })).await;
    say(&kim, json!({ "away": true })).await.unwrap();
    let all = loop {
        let now = assigned().await;
        if now.len() == 3 {
            break now;
        }
        head.changed().await.unwrap();
    };
    assert_eq!(all["+15550202"], "Sam");
}
