//! The engines' conformance suite: every check runs on the embedded SQLite engine and on a real
//! PostgreSQL server (see `switchboard_hub::testing`). Times are given, never read from the clock.

use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use switchboard_core::keys::{StaticKey, StoreKey};
use switchboard_hub::people::{hash, new_code, new_token};
use switchboard_hub::{Append, Claim, ConversationRef, CursorUpdate, Engine, Error, Fence, NewEntry, PostgresEngine, Role, SqliteEngine};

/// 2026-12-05T00:00:00Z.
fn t0() -> jiff::Timestamp {
    jiff::Timestamp::from_second(1_796_428_800).unwrap()
}

fn secs(n: i64) -> jiff::Timestamp {
    t0() + jiff::SignedDuration::from_secs(n)
}

/// An engine under test, with what must outlive it.
struct Under {
    engine: Arc<dyn Engine>,
    _keep: Box<dyn std::any::Any + Send>,
}

fn sqlite() -> Under {
    let dir = tempfile::tempdir().unwrap();
    let engine = SqliteEngine::create(&dir.path().join("hub.db"), &StaticKey::new(StoreKey::from_bytes([3; 32]))).unwrap();
    Under { engine: Arc::new(engine), _keep: Box::new(dir) }
}

async fn postgres() -> Under {
    let server = switchboard_hub::testing::postgres();
    let engine = PostgresEngine::connect(&server.database()).await.unwrap();
    Under { engine: Arc::new(engine), _keep: Box::new(server) }
}

/// Runs each check on both engines: `sqlite::name` and `postgres::name`.
macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let under = super::sqlite();
                    super::$name(under.engine.clone()).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let under = super::postgres().await;
                    super::$name(under.engine.clone()).await;
                }
            )*
        }
    };
}

on_both_engines!(
    a_follower_misses_nothing_while_eight_writers_append,
    a_lease_is_one_holders_until_it_expires_and_fences_its_appends,
    of_twenty_desks_claiming_one_conversation_one_wins_and_the_rest_hear_who,
    an_action_sent_twice_is_one_record,
    a_record_read_again_unchanged_is_not_appended_again,
    a_code_enrols_once_and_a_removed_persons_token_stops_at_once,
    accounts_keep_their_secrets_on_the_hub,
);

/// Appends by eight writers, in appends of one to five records; the numbers of what the
/// follower reads, in order, with each record's writer and count.
async fn write_and_follow(writers: Vec<Arc<dyn Engine>>, follower: Arc<dyn Engine>, per_writer: usize) -> Vec<(i64, u64, u64)> {
    let total = writers.len() * per_writer;
    let mut tasks = Vec::new();
    for (w, engine) in writers.into_iter().enumerate() {
        tasks.push(tokio::spawn(async move {
            let mut n = 0;
            while n < per_writer {
                let size = (1 + (n + w) % 5).min(per_writer - n);
                let entries = (n..n + size).map(|k| NewEntry::new(json!({ "w": w, "n": k }).to_string())).collect();
                let seqs = engine.append(Append::entries(entries, secs(n as i64))).await.unwrap();
                assert_eq!(seqs.len(), size);
                assert!(seqs.windows(2).all(|p| p[1] == p[0] + 1), "one append's records are consecutive: {seqs:?}");
                n += size;
            }
        }));
    }
    let reader = tokio::spawn(async move {
        let mut head = follower.head();
        let mut seen = Vec::with_capacity(total);
        let mut after = 0;
        while seen.len() < total {
            head.borrow_and_update();
            let page = follower.read_after(after, 500).await.unwrap();
            if page.is_empty() {
                head.changed().await.unwrap();
                continue;
            }
            for entry in page {
                assert_eq!(entry.seq, after + 1, "no gap and no repeat after {after}");
                after = entry.seq;
                let body: serde_json::Value = serde_json::from_str(&entry.body).unwrap();
                seen.push((entry.seq, body["w"].as_u64().unwrap(), body["n"].as_u64().unwrap()));
            }
        }
        seen
    });
    for task in tasks {
        task.await.unwrap();
    }
    reader.await.unwrap()
}

fn check_followed(seen: &[(i64, u64, u64)], writers: u64, per_writer: u64) {
    assert_eq!(seen.len() as u64, writers * per_writer);
    let mut next: HashMap<u64, u64> = HashMap::new();
    for &(_, w, n) in seen {
        let expected = next.entry(w).or_insert(0);
        assert_eq!(n, *expected, "writer {w}'s records in the order it appended them");
        *expected += 1;
    }
    assert!((0..writers).all(|w| next.get(&w) == Some(&per_writer)));
}

async fn a_follower_misses_nothing_while_eight_writers_append(engine: Arc<dyn Engine>) {
    let seen = write_and_follow(vec![engine.clone(); 8], engine.clone(), 1_250).await;
    check_followed(&seen, 8, 1_250);
    assert_eq!(*engine.head().borrow(), 10_000);
    let last = engine.read_after(9_998, 10).await.unwrap();
    assert_eq!(last.iter().map(|e| e.seq).collect::<Vec<_>>(), [9_999, 10_000]);
    assert!(engine.read_after(10_000, 10).await.unwrap().is_empty());
}

async fn a_lease_is_one_holders_until_it_expires_and_fences_its_appends(engine: Arc<dyn Engine>) {
    let ttl = Duration::from_secs(30);
    let name = "account:telegram:acme_bot";
    assert!(engine.take_lease(name, "hub-a", ttl, secs(0)).await.unwrap());
    assert!(!engine.take_lease(name, "hub-b", ttl, secs(10)).await.unwrap(), "held by another");
    assert!(engine.take_lease(name, "hub-a", ttl, secs(20)).await.unwrap(), "renewed by its holder");
    assert!(!engine.take_lease(name, "hub-b", ttl, secs(49)).await.unwrap(), "the renewal moved its end to 50 s");
    assert_eq!(engine.lease(name).await.unwrap().unwrap().holder, "hub-a");

    let pull = |holder: &str, now: i64, value: &str| Append {
        entries: vec![NewEntry::new(format!("{{\"pulled_by\":\"{holder}\"}}"))],
        at: secs(now),
        cursor: Some(CursorUpdate { account: "telegram:acme_bot".into(), stream: "updates".into(), value: value.into() }),
        fence: Some(Fence { lease: name.into(), holder: holder.into(), now: secs(now) }),
    };
    engine.append(pull("hub-a", 40, "100")).await.unwrap();
    assert!(matches!(engine.append(pull("hub-b", 45, "999")).await, Err(Error::LeaseLost(_))), "a non-holder writes nothing");

    // hub-a stops renewing (it died): at its end, hub-b takes the account over.
    assert!(engine.take_lease(name, "hub-b", ttl, secs(50)).await.unwrap());
    assert!(!engine.take_lease(name, "hub-a", ttl, secs(55)).await.unwrap(), "the old holder cannot take it back");
    assert!(matches!(engine.append(pull("hub-a", 56, "150")).await, Err(Error::LeaseLost(_))), "a late pull of the old holder is refused");
    engine.append(pull("hub-b", 57, "200")).await.unwrap();
    assert_eq!(engine.cursor("telegram:acme_bot", "updates").await.unwrap().as_deref(), Some("200"));
    let log = engine.read_after(0, 10).await.unwrap();
    assert_eq!(log.iter().map(|e| e.body.as_str()).collect::<Vec<_>>(), ["{\"pulled_by\":\"hub-a\"}", "{\"pulled_by\":\"hub-b\"}"], "only the holders' pulls are in the log");

    // Given up, it is free at once.
    engine.drop_lease(name, "hub-a").await.unwrap();
    assert_eq!(engine.lease(name).await.unwrap().unwrap().holder, "hub-b", "only its holder gives a lease up");
    engine.drop_lease(name, "hub-b").await.unwrap();
    assert!(engine.lease(name).await.unwrap().is_none());
    assert!(engine.take_lease(name, "hub-a", ttl, secs(58)).await.unwrap());
}

async fn add(engine: &Arc<dyn Engine>, name: &str, role: Role) -> (switchboard_hub::Person, String) {
    let code = new_code();
    let person = engine.add_person(name, role, &hash(&code), secs(3_600), secs(0)).await.unwrap();
    (person, code)
}

async fn of_twenty_desks_claiming_one_conversation_one_wins_and_the_rest_hear_who(engine: Arc<dyn Engine>) {
    let mut people = Vec::new();
    for k in 0..20 {
        people.push(add(&engine, &format!("agent {k}"), Role::Agent).await.0);
    }
    let conversation = ConversationRef { account: "sms:+15550100".into(), conversation: "+15550123".into() };
    let claims: Vec<_> = people
        .iter()
        .map(|p| {
            let (engine, conversation, id) = (engine.clone(), conversation.clone(), p.id);
            tokio::spawn(async move {
                let entry = NewEntry::new(json!({ "assign": id }).to_string()).by(id).keyed(format!("claim-{id}"));
                (id, engine.assign(&conversation, None, Some(id), entry, secs(1)).await.unwrap())
            })
        })
        .collect();
    let mut winners = Vec::new();
    let mut told = Vec::new();
    for claim in claims {
        match claim.await.unwrap() {
            (id, Claim::Done { .. }) => winners.push(id),
            (_, Claim::Taken { by }) => told.push(by),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one desk gets it");
    let winner = winners[0];
    assert_eq!(told.len(), 19);
    assert!(told.iter().all(|by| *by == Some(winner)), "the others are told who has it: {told:?}");
    assert_eq!(engine.assignee(&conversation).await.unwrap(), Some(winner));
    assert_eq!(engine.read_after(0, 100).await.unwrap().len(), 1, "one assignment in the log");

    // Handed on only from the assignee the asker saw.
    let other = people.iter().find(|p| p.id != winner).unwrap().id;
    let stale = engine.assign(&conversation, None, Some(other), NewEntry::new("{}"), secs(2)).await.unwrap();
    assert_eq!(stale, Claim::Taken { by: Some(winner) });
    let handed = engine.assign(&conversation, Some(winner), Some(other), NewEntry::new("{}"), secs(3)).await.unwrap();
    assert_eq!(handed, Claim::Done { seq: 2 });
    let released = engine.assign(&conversation, Some(other), None, NewEntry::new("{}"), secs(4)).await.unwrap();
    assert_eq!(released, Claim::Done { seq: 3 });
    assert_eq!(engine.assignee(&conversation).await.unwrap(), None);

    // Never to someone who is not on the hub.
    let gone = engine.remove_person(&people[0].name, secs(5)).await.unwrap();
    assert!(matches!(engine.assign(&conversation, None, Some(gone.id), NewEntry::new("{}"), secs(6)).await, Err(Error::Invalid(_))));
    assert_eq!(engine.assignee(&conversation).await.unwrap(), None, "nothing changed");
    assert_eq!(*engine.head().borrow(), 3);
}

async fn an_action_sent_twice_is_one_record(engine: Arc<dyn Engine>) {
    let action = |key: &str| NewEntry::new(format!("{{\"status\":\"solved\",\"key\":\"{key}\"}}")).by(7).keyed(key);
    let first = engine.append(Append::entries(vec![NewEntry::new("{}"), action("k-1")], secs(0))).await.unwrap();
    assert_eq!(first, [1, 2]);
    // Sent again (the answer was lost), beside a new action: the same number, and one new record.
    let again = engine.append(Append::entries(vec![action("k-1"), action("k-2")], secs(5))).await.unwrap();
    assert_eq!(again, [2, 3]);
    let log = engine.read_after(0, 10).await.unwrap();
    assert_eq!(log.len(), 3);
    assert_eq!((log[1].actor, log[1].at), (Some(7), secs(0)), "the record as first appended");

    // A claim sent twice: the second is answered as the first, though the conversation is now
    // the claimant's.
    let alex = add(&engine, "alex", Role::Agent).await.0;
    let c = ConversationRef { account: "telegram:acme_bot".into(), conversation: "42".into() };
    let claim = || NewEntry::new("{}").by(alex.id).keyed("claim-42");
    let done = engine.assign(&c, None, Some(alex.id), claim(), secs(6)).await.unwrap();
    assert_eq!(done, Claim::Done { seq: 4 });
    assert_eq!(engine.assign(&c, None, Some(alex.id), claim(), secs(7)).await.unwrap(), done);
    assert_eq!(engine.read_after(0, 10).await.unwrap().len(), 4);
}

async fn a_record_read_again_unchanged_is_not_appended_again(engine: Arc<dyn Engine>) {
    let state = |text: &str| NewEntry::new(json!({ "kind": "message", "id": "m1", "text": text }).to_string()).of_state("message/sms/m1".into());
    let other = NewEntry::new(json!({ "kind": "message", "id": "m2", "text": "hi" }).to_string()).of_state("message/sms/m2".into());
    assert_eq!(engine.append(Append::entries(vec![state("where is it?"), other.clone()], secs(0))).await.unwrap(), [1, 2]);
    // Read again (an overlapping page): nothing new.
    assert_eq!(engine.append(Append::entries(vec![state("where is it?"), other.clone()], secs(1))).await.unwrap(), [1, 2]);
    // Changed (an edit, a delivery state): appended; changed back: appended again.
    assert_eq!(engine.append(Append::entries(vec![state("where is it now?")], secs(2))).await.unwrap(), [3]);
    assert_eq!(engine.append(Append::entries(vec![state("where is it?"), other], secs(3))).await.unwrap(), [4, 2]);
    assert_eq!(*engine.head().borrow(), 4);
    // An event says what happened each time it happens.
    let event = || NewEntry::new(json!({ "kind": "assignment", "assignee": "Sam" }).to_string());
    assert_eq!(engine.append(Append::entries(vec![event(), event()], secs(4))).await.unwrap(), [5, 6]);
}

async fn accounts_keep_their_secrets_on_the_hub(engine: Arc<dyn Engine>) {
    let mut config = serde_json::Map::new();
    config.insert("base_url".into(), "https://api.telegram.org".into());
    let secrets = [("token".to_owned(), "123:bot-secret".to_owned())];
    engine.add_account("telegram:acme_bot", &config, &secrets, secs(0)).await.unwrap();
    assert!(matches!(engine.add_account("telegram:acme_bot", &config, &[], secs(1)).await, Err(Error::AccountExists(_))));
    engine.add_account("sms:+15550100", &serde_json::Map::new(), &[("token".into(), "tw".into())], secs(2)).await.unwrap();
    let accounts = engine.accounts().await.unwrap();
    assert_eq!(accounts.iter().map(|a| a.key.as_str()).collect::<Vec<_>>(), ["sms:+15550100", "telegram:acme_bot"]);
    assert_eq!(accounts[1].config, config);
    assert!(!format!("{accounts:?}").contains("bot-secret"), "an account's settings hold no secret");
    assert_eq!(engine.secret("telegram:acme_bot", "token").await.unwrap().as_deref(), Some("123:bot-secret"));
    assert_eq!(engine.secret("telegram:acme_bot", "photo_keys").await.unwrap(), None);
    engine.remove_account("telegram:acme_bot").await.unwrap();
    assert_eq!(engine.secret("telegram:acme_bot", "token").await.unwrap(), None, "its secrets go with it");
    assert!(matches!(engine.remove_account("telegram:acme_bot").await, Err(Error::NoAccount(_))));
    assert_eq!(engine.accounts().await.unwrap().len(), 1);
}

async fn a_code_enrols_once_and_a_removed_persons_token_stops_at_once(engine: Arc<dyn Engine>) {
    let (mina, code) = add(&engine, "Mina", Role::Supervisor).await;
    assert_eq!((mina.name.as_str(), mina.role), ("Mina", Role::Supervisor));
    let twice = engine.add_person("mina", Role::Agent, &hash(&new_code()), secs(3_600), secs(1)).await;
    assert!(matches!(twice, Err(Error::PersonExists(_))), "names are one person whatever their case");

    let token = new_token();
    assert!(matches!(engine.enrol(&hash("WRONG-CODE"), &hash(&token), secs(2)).await, Err(Error::BadCode)));
    assert!(matches!(engine.enrol(&hash(&code), &hash(&token), secs(3_600)).await, Err(Error::BadCode)), "expired at its hour");
    assert_eq!(engine.enrol(&hash(&code), &hash(&token), secs(3_599)).await.unwrap(), mina);
    assert!(matches!(engine.enrol(&hash(&code), &hash(&new_token()), secs(3_599)).await, Err(Error::BadCode)), "used once only");
    assert_eq!(engine.person_by_token(&hash(&token)).await.unwrap(), Some(mina.clone()));
    assert_eq!(engine.person_by_token(&hash(&new_token())).await.unwrap(), None);

    // A second desk: a new code, and the first desk's token still works.
    let second = new_code();
    engine.renew_code("MINA", &hash(&second), secs(7_200)).await.unwrap();
    let token2 = new_token();
    engine.enrol(&hash(&second), &hash(&token2), secs(4_000)).await.unwrap();
    assert_eq!(engine.person_by_token(&hash(&token)).await.unwrap(), Some(mina.clone()));

    let (sam, _) = add(&engine, "sam", Role::Agent).await;
    assert_eq!(engine.people().await.unwrap(), vec![mina.clone(), sam.clone()]);
    let removed = engine.remove_person("Mina", secs(5_000)).await.unwrap();
    assert_eq!(removed, mina);
    for t in [&token, &token2] {
        assert_eq!(engine.person_by_token(&hash(t)).await.unwrap(), None, "a removed person's tokens stop at once");
    }
    assert!(matches!(engine.remove_person("Mina", secs(5_001)).await, Err(Error::NoPerson(_))));
    assert!(matches!(engine.renew_code("Mina", &hash(&new_code()), secs(9_000)).await, Err(Error::NoPerson(_))));
    assert_eq!(engine.people().await.unwrap(), vec![sam]);
    // The name is free again, for a new person.
    let (again, code) = add(&engine, "Mina", Role::Agent).await;
    assert_ne!(again.id, mina.id);
    assert!(matches!(engine.add_person(" ", Role::Agent, "x", secs(1), secs(0)).await, Err(Error::Invalid(_))));
    engine.enrol(&hash(&code), &hash(&new_token()), secs(10)).await.unwrap();
}

/// Several hubs on one database: each hears the others' appends at once (LISTEN/NOTIFY), and
/// eight writers spread over two hubs leave no gap for a follower on a third.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hubs_sharing_a_postgresql_database_share_one_gapless_log() {
    let server = switchboard_hub::testing::postgres();
    let url = server.database();
    let (a, b, c) = (PostgresEngine::connect(&url).await.unwrap(), PostgresEngine::connect(&url).await.unwrap(), PostgresEngine::connect(&url).await.unwrap());
    let hubs: Vec<Arc<dyn Engine>> = vec![Arc::new(a), Arc::new(b)];
    let writers = (0..8).map(|w| hubs[w % 2].clone()).collect();
    // The follower's hub appends nothing itself: it waits on what it hears from the others.
    let seen = write_and_follow(writers, Arc::new(c.clone()), 500).await;
    check_followed(&seen, 8, 500);
    assert_eq!(*c.head().borrow(), 4_000);
}

/// The embedded engine's file is encrypted like a desk's store: a wrong key is refused, and the
/// log's text is nowhere in the file.
#[tokio::test]
async fn the_embedded_engine_keeps_its_file_encrypted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.db");
    let key = || StaticKey::new(StoreKey::from_bytes([4; 32]));
    let marker = "marker-7Q2ZK9 card 4111 1111 1111 1111";
    {
        let engine = SqliteEngine::create(&path, &key()).unwrap();
        engine.append(Append::entries(vec![NewEntry::new(json!({ "text": marker }).to_string())], secs(0))).await.unwrap();
    }
    let engine = SqliteEngine::open(&path, &key()).unwrap();
    assert_eq!(engine.read_after(0, 1).await.unwrap()[0].body, json!({ "text": marker }).to_string());
    assert_eq!(*engine.head().borrow(), 1, "the head is read at open");
    drop(engine);
    let wrong = SqliteEngine::open(&path, &StaticKey::new(StoreKey::from_bytes([5; 32])));
    assert!(matches!(wrong, Err(Error::Store(switchboard_core::Error::WrongKey(_)))));
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(!bytes.windows(b"marker-7Q2ZK9".len()).any(|w| w == b"marker-7Q2ZK9"));
    }
}
