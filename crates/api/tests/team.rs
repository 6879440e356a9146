//! Settings → "Join a team" through the Workspace: a wrong code is refused with why, the right
//! one enrols the desk (its token kept as an account secret), the desk then follows the hub, and
//! what the agent does goes to the hub under the name the team knows them by.

use serde_json::json;
use std::sync::Arc;
use switchboard_api::conversation::AssignRequest;
use switchboard_api::inbox::{InboxQuery, InboxView};
use switchboard_api::team::{JoinTeamRequest, SetPresenceRequest, TeamPresenceRequest, TeamSettingsRequest};
use switchboard_core::team::PresenceState;
use switchboard_api::customers::AddNoteRequest;
use switchboard_api::{ErrorCode, Event, Workspace};
use switchboard_core::credentials::{Credentials, MemoryCredentials};
use switchboard_core::keys::{StaticKey, StoreKey};
use switchboard_core::model::Channel;
use switchboard_hub::people::{hash, new_code};
use switchboard_hub::server::{serve, Listen, Settings};
use switchboard_hub::{Append, Engine, NewEntry, Role, SqliteEngine};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desk_joins_its_team_from_settings_and_works_as_the_teams_person() {
    // The team's hub, with a conversation in its log and Sam on the team.
    let hub_dir = tempfile::tempdir().unwrap();
    let engine: Arc<dyn Engine> = Arc::new(SqliteEngine::create(&hub_dir.path().join("hub.db"), &StaticKey::new(StoreKey::from_bytes([4; 32]))).unwrap());
    let replica = Arc::new(switchboard_hub::replica::Replica::start(engine.clone(), hub_dir.path()).unwrap());
    let (tell, told) = tokio::sync::oneshot::channel();
    let listen = Listen { addr: "127.0.0.1:0".parse().unwrap(), tls: None, behind_proxy: false };
    tokio::spawn(serve(engine.clone(), replica, Settings::default(), listen, move |addr| tell.send(addr).unwrap(), std::future::pending()));
    let addr: std::net::SocketAddr = told.await.unwrap();
    let url = format!("http://127.0.0.1:{}", addr.port());
    let message = json!({ "kind": "message", "account": "telegram:acme_bot", "conversation": "42", "id": "42:1", "direction": "in",
                          "author": { "kind": "customer", "name": "Lena", "handle": "42" }, "text": "Where is my parcel?", "at": "2026-12-01T10:00:00Z" });
    engine.append(Append::entries(vec![NewEntry::new(message.to_string())], jiff::Timestamp::now())).await.unwrap();
    let code = new_code();
    let now = jiff::Timestamp::now();
    engine.add_person("Sam", Role::Agent, &hash(&code), now + jiff::SignedDuration::from_hours(1), now).await.unwrap();

    // The desk: its agent is "desk-user" until it joins.
    let dir = tempfile::tempdir().unwrap();
    let credentials = Arc::new(MemoryCredentials::default());
    let ws = Workspace::open(&dir.path().join("s.db"), Some("pw".into()), true).with_agent("desk-user").with_credentials(credentials.clone());

    // Alone, there is no one to tell or hear.
    ws.run(SetPresenceRequest { conversation: None, typing: false, away: false }).unwrap();
    assert!(ws.run(TeamPresenceRequest {}).unwrap().is_empty());

    let wrong = ws.run(JoinTeamRequest { url: url.clone(), code: "0000-0000-0000-0000-0000".into() }).unwrap_err();
    assert_eq!(wrong.code, ErrorCode::NotAllowed);
    assert!(wrong.message.contains("code"), "{}", wrong.message);
    let bad_address = ws.run(JoinTeamRequest { url: "hub.example".into(), code: code.clone() }).unwrap_err();
    assert_eq!(bad_address.code, ErrorCode::Invalid);

    let joined = ws.run(JoinTeamRequest { url: url.clone(), code: code.clone() }).unwrap();
    assert_eq!((joined.channel, joined.name.as_str()), (Channel::Hub, "Sam"));
    assert!(credentials.get(&joined.key).unwrap().is_some(), "the desk's token is kept as the account's secret");
    let again = ws.run(JoinTeamRequest { url: url.clone(), code }).unwrap_err();
    assert_eq!(again.code, ErrorCode::Invalid, "{}", again.message);

    // Following the hub, the desk has the team's conversation; "Mine" and assignments are Sam's.
    let mut events = ws.subscribe();
    let _syncing = ws.start_sync(false).await.unwrap();
    while ws.run(InboxQuery::default()).unwrap().rows.is_empty() {
        events.recv().await.unwrap();
    }
    let id = ws.run(InboxQuery::default()).unwrap().rows[0].id;
    ws.run(AssignRequest { conversation: id, me: true }).unwrap();
    let mine = ws.run(InboxQuery { view: InboxView::Mine, ..Default::default() }).unwrap().rows;
    assert_eq!(mine.iter().map(|r| (r.id, r.assignee.as_deref())).collect::<Vec<_>>(), [(id, Some("Sam"))]);
    // …and the hub has it from Sam.
    let mut head = engine.head();
    let assigned = loop {
        let log = engine.read_after(0, 100).await.unwrap();
        if let Some(entry) = log.iter().find(|e| e.body.contains("\"assignment\"")) {
            break entry.clone();
        }
        head.changed().await.unwrap();
    };
    let record: serde_json::Value = serde_json::from_str(&assigned.body).unwrap();
    assert_eq!((record["assignee"].as_str(), record["by"].as_str()), (Some("Sam"), Some("Sam")));

    // Kim joins from her desk: she sees Sam in the conversation, typing.
    let kim_code = new_code();
    let now = jiff::Timestamp::now();
    engine.add_person("Kim", Role::Agent, &hash(&kim_code), now + jiff::SignedDuration::from_hours(1), now).await.unwrap();
    let kim_dir = tempfile::tempdir().unwrap();
    let kim = Workspace::open(&kim_dir.path().join("s.db"), Some("pw".into()), true).with_agent("kim-laptop").with_credentials(Arc::new(MemoryCredentials::default()));
    kim.run(JoinTeamRequest { url: url.clone(), code: kim_code }).unwrap();
    let mut kim_events = kim.subscribe();
    let _kim_syncing = kim.start_sync(false).await.unwrap();
    while kim.run(InboxQuery::default()).unwrap().rows.is_empty() {
        kim_events.recv().await.unwrap();
    }
    let on_kim = kim.run(InboxQuery::default()).unwrap().rows[0].id;
    ws.run(SetPresenceRequest { conversation: Some(id), typing: true, away: false }).unwrap();
    let team = kim.run(TeamPresenceRequest {}).unwrap();
    let seen: Vec<_> = team.iter().map(|p| (p.person.as_str(), p.state, p.conversation, p.typing)).collect();
    assert_eq!(seen, [("Kim", PresenceState::Offline, None, false), ("Sam", PresenceState::Online, Some(on_kim), true)]);
    ws.run(SetPresenceRequest { conversation: None, typing: true, away: true }).unwrap();
    let sam = kim.run(TeamPresenceRequest {}).unwrap().into_iter().find(|p| p.person == "Sam").unwrap();
    assert_eq!((sam.state, sam.conversation, sam.typing), (PresenceState::Away, None, false));

    // Kim mentions Sam in a note: Sam's desk is told, once, by whom.
    let mut sam_events = ws.subscribe();
    kim.run(AddNoteRequest { conversation: on_kim, text: "@Sam can you take the refund? @Samuel no".into() }).unwrap();
    let mention = loop {
        if let Event::Mentioned { conversation, by, preview } = sam_events.recv().await.unwrap() {
            break (conversation, by, preview);
        }
    };
    assert_eq!(mention, (id, "Kim".to_owned(), "@Sam can you take the refund? @Samuel no".to_owned()));

    // Auto-assignment is the supervisors' to set: Kim is told so; the setting she sees is off.
    let settings = kim.run(TeamSettingsRequest {}).unwrap();
    assert_eq!((settings.role, settings.auto_assignment.enabled), (Some(switchboard_core::team::Role::Agent), false));
    let refused = kim.run(switchboard_core::interchange::AutoAssignmentRecord { enabled: true, capacity: 3, by: None }).unwrap_err();
    assert_eq!(refused.code, ErrorCode::NotAllowed);
    assert!(refused.message.contains("supervisor"), "{}", refused.message);
}
