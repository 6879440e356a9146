//! The Workspace reports what the UI must show, without a window.

mod common;

use switchboard_api::session::{StoreState, UnlockRequest};
use switchboard_api::Workspace;

#[test]
fn status_reports_an_unlocked_store_with_counts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let ws = Workspace::open(&path, Some("pw".into()), true);
    let status = ws.status().unwrap();
    assert_eq!(status.app, "Switchboard");
    assert_eq!(status.store.state, StoreState::Unlocked);
    assert_eq!(status.store.counts.unwrap().messages, 0);
}

#[test]
fn status_tells_missing_locked_and_wrong_key_apart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    assert_eq!(Workspace::open(&path, None, false).status().unwrap().store.state, StoreState::Missing);
    drop(Workspace::open(&path, Some("pw".into()), true));
    let locked = Workspace::open(&path, None, false).status().unwrap().store;
    assert_eq!(locked.state, StoreState::Locked);
    assert!(locked.message.unwrap().contains("SWITCHBOARD_PASSPHRASE"));
    let wrong = Workspace::open(&path, Some("nope".into()), false).status().unwrap().store;
    assert_eq!(wrong.state, StoreState::Error);
    assert!(wrong.message.unwrap().contains("wrong key or passphrase"));
}

#[test]
fn generated_typescript_is_current() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/lib/generated");
    let update = std::env::var_os("UPDATE_BINDINGS").is_some();
    let bindings = switchboard_api::commands::bindings();
    let mut stale = Vec::new();
    for (file, decl) in &bindings {
        let path = dir.join(file);
        if update {
            std::fs::write(&path, decl).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(decl.as_str()) {
            stale.push(file.clone());
        }
    }
    // A type no command names any more leaves no file behind.
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if !bindings.iter().any(|(file, _)| *file == name) {
            if update {
                std::fs::remove_file(dir.join(&name)).unwrap();
            } else {
                stale.push(name);
            }
        }
    }
    assert!(stale.is_empty(), "stale TypeScript bindings {stale:?}: run `cargo xtask bindings`");
}

mod live {
    use switchboard_api::conversation::{AssignRequest, SetStatusRequest, SetTagsRequest};
    use switchboard_api::inbox::{InboxQuery, InboxView};
    use switchboard_api::reply::{ComposerRequest, ReplyRequest, ReplyWindow};
    use switchboard_api::thread::{AttachmentRequest, MarkReadRequest, ThreadRequest};
    use switchboard_api::{Command, Event, Workspace};
    use switchboard_core::model::{Channel, ConversationStatus, InboxRow};

    fn inbox(ws: &Workspace, q: InboxQuery) -> Vec<InboxRow> {
        ws.run(q).unwrap().rows
    }

    /// The demo's accounts sync through the Workspace; its commands read and act on what they
    /// bring, and its events say so.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_workspace_syncs_reads_replies_and_triages() {
        // Every account reports caught up.
        let crate::common::Demo { ws, mut events, sandbox, syncing, dir: _dir } = crate::common::demo("mina").await;
        let rows = inbox(&ws, InboxQuery { channel: Some(Channel::Telegram), ..Default::default() });
        assert!(!rows.is_empty() && rows.iter().all(|r| r.channel == Channel::Telegram));
        let id = rows[0].id;
        let thread = ws.run(ThreadRequest { conversation: id }).unwrap();
        assert!(!thread.messages.is_empty());

        // The composer's rules as the agent types.
        let state = ws.run(ComposerRequest { conversation: id, text: "x".repeat(4097) }).unwrap();
        assert_eq!((state.length, state.limit, state.window), (4097, Some(4096), ReplyWindow::Open));
        assert!(state.problem.unwrap().contains("4096"));
        let too_long = ws.run(ReplyRequest { conversation: id, text: "x".repeat(4097), key: "k0".into(), actions: vec![] }).unwrap_err();
        assert_eq!(too_long.code, switchboard_api::ErrorCode::NotAllowed);

        // A reply goes out through the sync, once, and the event says so.
        // (and through the shells' JSON path: the same command as they receive it)
        let item = ws.run(ReplyRequest { conversation: id, text: "On its way today.".into(), key: "k1".into(), actions: vec![] }).unwrap();
        let json = serde_json::json!({"command": "reply", "conversation": id, "text": "On its way today.", "key": "k1"});
        let again: switchboard_core::model::OutboxItem = serde_json::from_value(ws.call(serde_json::from_value::<Command>(json).unwrap()).unwrap()).unwrap();
        assert_eq!(item.id, again.id, "the same key is the same reply");
        loop {
            if let Event::Reply { reply, sent, reason, .. } = events.recv().await.unwrap() {
                assert_eq!(reply, item.id);
                assert!(sent, "{reason:?}");
                break;
            }
        }
        let stats: serde_json::Value = reqwest::get(format!("{sandbox}/_sandbox/stats")).await.unwrap().json().await.unwrap();
        assert_eq!(stats["channels"]["telegram"]["replies"], 1);

        // A customer writes: the event names the conversation and describes the message.
        let written: serde_json::Value =
            reqwest::Client::new().post(format!("{sandbox}/_sandbox/customer-writes?channel=telegram")).send().await.unwrap().json().await.unwrap();
        let new = loop {
            if let Event::Messages { from_customers, .. } = events.recv().await.unwrap() {
                if let Some(m) = from_customers.into_iter().next() {
                    break m;
                }
            }
        };
        assert_eq!(new.channel, Channel::Telegram);
        // The unread total follows: announced once the new message is stored, and on reading.
        let total = loop {
            if let Event::Unread { total } = events.recv().await.unwrap() {
                break total;
            }
        };
        assert!(total > 0);
        let unread_here = inbox(&ws, InboxQuery::default()).iter().find(|r| r.id == new.conversation).unwrap().unread;
        ws.run(MarkReadRequest { conversation: new.conversation }).unwrap();
        // Other batches may announce the same total meanwhile; the reading lowers it.
        let after = loop {
            if let Event::Unread { total: now } = events.recv().await.unwrap() {
                if now != total {
                    break now;
                }
            }
        };
        assert_eq!(after, total - unread_here);
        assert!(written["text"].as_str().unwrap().starts_with(new.preview.trim_end_matches('…')));

        // Triage: solve, assign to me, read.
        ws.run(SetStatusRequest { conversation: id, status: ConversationStatus::Solved }).unwrap();
        ws.run(AssignRequest { conversation: id, me: true }).unwrap();
        ws.run(MarkReadRequest { conversation: id }).unwrap();
        let mine = inbox(&ws, InboxQuery { view: InboxView::Mine, ..Default::default() });
        assert_eq!(mine.iter().map(|r| (r.id, r.status, r.unread)).collect::<Vec<_>>(), [(id, ConversationStatus::Solved, 0)]);
        assert!(inbox(&ws, InboxQuery { view: InboxView::Unassigned, ..Default::default() }).iter().all(|r| r.id != id));
        ws.run(SetTagsRequest { conversation: id, tags: vec!["refund".into(), "vip".into()] }).unwrap();
        ws.run(SetTagsRequest { conversation: id, tags: vec!["refund".into()] }).unwrap();
        let thread = ws.run(ThreadRequest { conversation: id }).unwrap();
        assert_eq!(thread.tags, ["refund"]);
        let tagged = inbox(&ws, InboxQuery { tag: Some("refund".into()), ..Default::default() });
        assert_eq!(tagged.iter().map(|r| r.id).collect::<Vec<_>>(), [id]);
        let missing = ws.run(SetStatusRequest { conversation: 999_999, status: ConversationStatus::Open }).unwrap_err();
        assert_eq!(missing.code, switchboard_api::ErrorCode::NotFound);
        drop(syncing);
    }

    /// A Messenger photo is a link to Meta's CDN (the sandbox's stand-in): the app fetches it to
    /// show it inline, from the platform's media servers only.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn hosted_images_come_from_the_platforms_media_servers_only() {
        use base64::Engine as _;
        use switchboard_core::interchange::{AttachmentRecord, Author, MessageRecord, Record};
        use switchboard_core::model::{AttachmentKind, AuthorKind, Direction};
        use switchboard_sandbox::credentials as c;
        let crate::common::Demo { ws, syncing, dir, .. } = crate::common::demo("mina").await;
        // The first message of `channel` (in its own conversations) that `wanted` picks.
        let find = |channel: Channel, wanted: &dyn Fn(&switchboard_core::model::MessageView) -> bool| {
            inbox(&ws, InboxQuery { channel: Some(channel), limit: Some(200), ..Default::default() })
                .iter()
                .flat_map(|r| ws.run(ThreadRequest { conversation: r.id }).unwrap().messages)
                .find(|m| m.channel == channel && wanted(m))
                .unwrap_or_else(|| panic!("the demo's {channel} customers send photos"))
        };
        let photo = find(Channel::Messenger, &|m| m.attachments.iter().any(|a| a.kind == AttachmentKind::Image));
        let index = photo.attachments.iter().position(|a| a.kind == AttachmentKind::Image).unwrap() as u32;
        let data = ws.run(AttachmentRequest { message: photo.id, index }).unwrap();
        assert_eq!(data.mime, "image/jpeg");
        let sent = include_bytes!("../../sandbox/assets/photo.jpg");
        assert_eq!(base64::engine::general_purpose::STANDARD.decode(data.base64).unwrap(), sent);

        // Telegram gives no link but a file id: the bot asks for the file, with its token.
        let sent_by_id = find(Channel::Telegram, &|m| m.attachments.iter().any(|a| a.kind == AttachmentKind::Image && a.file_id.is_some()));
        let data = ws.run(AttachmentRequest { message: sent_by_id.id, index: 0 }).unwrap();
        assert_eq!((data.mime.as_str(), base64::engine::general_purpose::STANDARD.decode(data.base64).unwrap().as_slice()), ("image/jpeg", &sent[..]));

        // Twilio's media say what they are only when asked, and its content redirects to its CDN.
        let with_media = find(Channel::Sms, &|m| !m.attachments.is_empty());
        assert_eq!((with_media.attachments[0].kind, with_media.attachments[0].mime.as_deref()), (AttachmentKind::File, None));
        let data = ws.run(AttachmentRequest { message: with_media.id, index: 0 }).unwrap();
        assert_eq!((data.mime.as_str(), base64::engine::general_purpose::STANDARD.decode(data.base64).unwrap().as_slice()), ("image/jpeg", &sent[..]));

        // X serves a DM's photo only to a request signed with the account's OAuth 1.0a keys (the
        // demo's account has them); without them the agent is told where to add them.
        let x_photo = find(Channel::X, &|m| m.attachments.iter().any(|a| a.kind == AttachmentKind::Image));
        let data = ws.run(AttachmentRequest { message: x_photo.id, index: 0 }).unwrap();
        assert_eq!((data.mime.as_str(), base64::engine::general_purpose::STANDARD.decode(data.base64).unwrap().as_slice()), ("image/jpeg", &sent[..]));
        use switchboard_api::accounts::SetPhotoKeysRequest;
        let account = ws.run(SetPhotoKeysRequest { key: "x:acmesupport".into(), keys: None }).unwrap();
        assert!(!account.config.contains_key("photo_keys"));
        let without = ws.run(AttachmentRequest { message: x_photo.id, index: 0 }).unwrap_err();
        assert_eq!(without.code, switchboard_api::ErrorCode::NotAllowed);
        assert!(without.message.contains("add them in Settings"), "{}", without.message);
        let wrong = switchboard_sync::OAuth1Keys { consumer_key: c::X_CONSUMER_KEY.into(), consumer_secret: "wrong".into(), access_token: c::X_ACCESS_TOKEN.into(), access_token_secret: c::X_ACCESS_TOKEN_SECRET.into() };
        let account = ws.run(SetPhotoKeysRequest { key: "x:acmesupport".into(), keys: Some(wrong.clone()) }).unwrap();
        assert_eq!(account.config["photo_keys"], true);
        let refused = ws.run(AttachmentRequest { message: x_photo.id, index: 0 }).unwrap_err();
        assert!(refused.message.contains("did not accept the account's photo keys"), "{}", refused.message);
        let right = switchboard_sync::OAuth1Keys { consumer_secret: c::X_CONSUMER_SECRET.into(), ..wrong.clone() };
        ws.run(SetPhotoKeysRequest { key: "x:acmesupport".into(), keys: Some(right) }).unwrap();
        let data = ws.run(AttachmentRequest { message: x_photo.id, index: 0 }).unwrap();
        assert_eq!(data.mime, "image/jpeg");
        let mentions = ws.run(SetPhotoKeysRequest { key: "x:acmesupport/mentions".into(), keys: Some(wrong) }).unwrap_err();
        assert_eq!(mentions.code, switchboard_api::ErrorCode::Invalid, "{}", mentions.message);

        // A link elsewhere (here: a port on the agent's own machine) is never asked; a file is
        // opened in the browser, not fetched.
        let path = dir.path().join("s.db");
        let keys = switchboard_api::keys::for_store(&path, Some("pw".into())).unwrap();
        let attachment = |kind, url: &str| AttachmentRecord { kind, name: Some("x.jpg".into()), mime: Some("image/jpeg".into()), url: Some(url.into()), size: None, file_id: None };
        let record = Record::Message(MessageRecord {
            account: "messenger:acme".into(),
            conversation: "t_hostile".into(),
            id: "m_hostile".into(),
            direction: Direction::In,
            author: Author { kind: AuthorKind::Customer, name: Some("Mallory".into()), handle: Some("666".into()) },
            text: "look".into(),
            at: jiff::Timestamp::now(),
            delivery: None,
            attachments: vec![attachment(AttachmentKind::Image, "http://127.0.0.1:9/admin.jpg"), attachment(AttachmentKind::File, &photo.attachments[index as usize].url.clone().unwrap())],
            email: None,
        });
        switchboard_core::Store::open(&path, keys.as_ref()).unwrap().write_batch(&[record]).unwrap();
        let hostile = inbox(&ws, InboxQuery { channel: Some(Channel::Messenger), limit: Some(500), ..Default::default() }).into_iter().find(|r| r.external_id == "t_hostile").unwrap();
        let message = ws.run(ThreadRequest { conversation: hostile.id }).unwrap().messages.into_iter().find(|m| m.external_id == "m_hostile").unwrap().id;
        let elsewhere = ws.run(AttachmentRequest { message, index: 0 }).unwrap_err();
        assert_eq!(elsewhere.code, switchboard_api::ErrorCode::NotAllowed, "{}", elsewhere.message);
        let file = ws.run(AttachmentRequest { message, index: 1 }).unwrap_err();
        assert_eq!(file.code, switchboard_api::ErrorCode::Invalid, "{}", file.message);
        drop(syncing);
    }
}

#[test]
fn a_locked_store_opens_with_its_passphrase_only_and_a_missing_one_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    drop(Workspace::open(&path, Some("right".into()), true));
    let ws = Workspace::open(&path, None, false);
    assert_eq!(ws.status().unwrap().store.state, StoreState::Locked);
    let wrong = ws.run(UnlockRequest { passphrase: "wrong".into() }).unwrap_err();
    assert_eq!(wrong.code, switchboard_api::ErrorCode::StoreLocked);
    assert!(wrong.message.contains("wrong key or passphrase"), "{}", wrong.message);
    assert_eq!(ws.status().unwrap().store.state, StoreState::Locked, "a wrong passphrase changes nothing");
    assert_eq!(ws.run(UnlockRequest { passphrase: "right".into() }).unwrap().store.state, StoreState::Unlocked);

    let fresh = dir.path().join("new/s.db");
    let ws = Workspace::open(&fresh, None, false);
    assert_eq!(ws.status().unwrap().store.state, StoreState::Missing);
    assert_eq!(ws.run(UnlockRequest { passphrase: "chosen".into() }).unwrap().store.state, StoreState::Unlocked);
    drop(ws);
    assert_eq!(Workspace::open(&fresh, Some("chosen".into()), false).status().unwrap().store.state, StoreState::Unlocked);
}

mod connecting {
    use std::sync::Arc;
    use switchboard_api::accounts::{AccountsRequest, DisconnectAccountRequest, ReauthenticateRequest};
    use switchboard_api::inbox::InboxQuery;
    use switchboard_api::{Event, NewAccount, Workspace};
    use switchboard_core::credentials::{Credentials, MemoryCredentials};
    use switchboard_core::model::{AccountState, AccountView, Channel};
    use switchboard_sandbox::credentials as c;

    async fn state_of(events: &mut tokio::sync::broadcast::Receiver<Event>, key: &str, want: AccountState) {
        loop {
            if let Event::AccountState { account, state, .. } = events.recv().await.unwrap() {
                if account == key && state == want {
                    return;
                }
            }
        }
    }

    /// An account connected from Settings syncs at once; a bad token asks for
    /// re-authentication, a good one brings it back; disconnecting forgets the secret.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_account_connects_reauthenticates_and_disconnects() {
        let sandbox = switchboard_sandbox::Sandbox::start(switchboard_sandbox::Config { seed: 3, conversations: 30, ..Default::default() }, 0).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let credentials = Arc::new(MemoryCredentials::default());
        let ws = Arc::new(Workspace::open(&dir.path().join("s.db"), Some("pw".into()), true).with_credentials(credentials.clone()));
        let mut events = ws.subscribe();
        let _syncing = ws.keep_syncing(false);
        let form = NewAccount {
            channel: Channel::Telegram,
            name: "acme_bot".into(),
            secret: "123456:not-the-token".into(),
            base_url: Some(sandbox.base_url.clone()),
            account_sid: None,
            imap: None,
            smtp: None,
            user: None,
            plain: false,
            public: false,
            search: None,
            photo_keys: None,
        };
        let bad = ws.run(NewAccount { name: String::new(), ..form.clone() }).unwrap_err();
        assert!(bad.message.contains("bot's name"), "{}", bad.message);
        let account: AccountView = ws.run(form.clone()).unwrap();
        assert_eq!(account.key, "telegram:acme_bot");
        state_of(&mut events, "telegram:acme_bot", AccountState::NeedsReauth).await;

        ws.run(ReauthenticateRequest { key: account.key.clone(), secret: c::TELEGRAM_BOT_TOKEN.into() }).unwrap();
        state_of(&mut events, "telegram:acme_bot", AccountState::Idle).await;
        let rows = ws.run(InboxQuery::default()).unwrap().rows;
        assert!(!rows.is_empty(), "the account's conversations synced");

        ws.run(DisconnectAccountRequest { key: account.key.clone() }).unwrap();
        assert!(credentials.get(&account.key).unwrap().is_none(), "the secret is forgotten");
        let accounts = ws.run(AccountsRequest {}).unwrap();
        assert_eq!(accounts[0].config.get("disabled"), Some(&serde_json::Value::Bool(true)));
        let still = ws.run(InboxQuery::default()).unwrap().rows;
        assert_eq!(still.len(), rows.len(), "its conversations stay");

        // An X account's photo keys go to the keychain beside its token, and leave with it.
        let keys = switchboard_sync::OAuth1Keys { consumer_key: "ck".into(), consumer_secret: "consumer-secret".into(), access_token: "1-at".into(), access_token_secret: "token-secret".into() };
        let x = NewAccount { channel: Channel::X, name: "acme_help".into(), secret: c::X_TOKEN.into(), base_url: Some(format!("{}/2", sandbox.base_url)), photo_keys: Some(keys.clone()), ..form };
        let account = ws.run(x).unwrap();
        assert_eq!(account.config["photo_keys"], true);
        let held = credentials.get("x:acme_help#oauth1").unwrap().expect("the keys are kept");
        assert_eq!(switchboard_sync::OAuth1Keys::from_secret(&held).unwrap(), keys);
        assert!(!serde_json::to_string(&account).unwrap().contains("secret"), "no key reaches the account's config");
        ws.run(DisconnectAccountRequest { key: account.key.clone() }).unwrap();
        assert!(credentials.get("x:acme_help").unwrap().is_none() && credentials.get("x:acme_help#oauth1").unwrap().is_none(), "both are forgotten");
    }
}

#[test]
fn an_email_attachment_comes_back_from_the_raw_message() {
    use base64::Engine as _;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    drop(Workspace::open(&path, Some("pw".into()), true));
    let raw = "From: Jane <jane@x.test>\r\nSubject: photo\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--b\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename=\"zip.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--b--\r\n";
    let parsed = switchboard_core::email::parse(raw.as_bytes());
    let record = switchboard_core::interchange::Record::Message(switchboard_core::interchange::MessageRecord {
        account: "email:help@acme.test".into(),
        conversation: "m1@x.test".into(),
        id: "sha256:1".into(),
        direction: switchboard_core::model::Direction::In,
        author: switchboard_core::interchange::Author { kind: switchboard_core::model::AuthorKind::Customer, name: Some("Jane".into()), handle: Some("jane@x.test".into()) },
        text: parsed.text,
        at: "2026-11-23T10:00:00Z".parse().unwrap(),
        delivery: None,
        attachments: parsed.attachments,
        email: Some(Box::new(parsed.email)),
    });
    {
        let keys = switchboard_api::keys::for_store(&path, Some("pw".into())).unwrap();
        switchboard_core::Store::open(&path, keys.as_ref()).unwrap().write_batch(&[record]).unwrap();
    }
    let ws = Workspace::open(&path, Some("pw".into()), false);
    use switchboard_api::thread::{AttachmentRequest, ThreadRequest};
    let rows = ws.run(switchboard_api::inbox::InboxQuery::default()).unwrap().rows;
    let thread = ws.run(ThreadRequest { conversation: rows[0].id }).unwrap();
    let message = thread.messages[0].id;
    let data = ws.run(AttachmentRequest { message, index: 0 }).unwrap();
    assert_eq!((data.name.as_deref(), data.mime.as_str()), (Some("zip.png"), "image/png"));
    assert_eq!(base64::engine::general_purpose::STANDARD.decode(data.base64).unwrap(), b"\x89PNG\r\n\x1a\n");
    let missing = ws.run(AttachmentRequest { message, index: 1 }).unwrap_err();
    assert_eq!(missing.code, switchboard_api::ErrorCode::NotFound);
}
