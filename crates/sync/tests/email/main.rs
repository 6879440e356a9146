//! The email connector against real Dovecot and Postfix on loopback (see `mail`): messages are
//! delivered through the servers, Switchboard reads them over IMAP (`reading`), hears new mail
//! at once and answers over SMTP (`live`).

mod live;
mod mail;
mod reading;

use base64::Engine as _;
use mail::{MailServers, CUSTOMER, PASSWORD, SUPPORT};
use std::sync::Arc;
use std::time::{Duration, Instant};
use switchboard_core::credentials::{Credentials, MemoryCredentials};
use switchboard_core::interchange::{
    AccountRecord, ContactRecord, FoldKind, IdentityRecord, Record,
};
use switchboard_core::keys::{StaticKey, StoreKey};
use switchboard_core::model::{
    AttachmentKind, Channel, Direction, InboxFilter, OutboxState, Thread,
};
use switchboard_core::{Db, Store};
use switchboard_sync::{Engine, Mode, SyncEvent};

const ACCOUNT: &str = "email:support@acme.test";

struct Setup {
    mail: MailServers,
    db: Db,
    engine: Engine,
    _dir: tempfile::TempDir,
}

fn setup() -> Setup {
    let mail = MailServers::start();
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(
        &dir.path().join("s.db"),
        &StaticKey::new(StoreKey::from_bytes([5; 32])),
    )
    .unwrap();
    let config = serde_json::json!({
        "imap": format!("127.0.0.1:{}", mail.imap_port),
        "smtp": format!("127.0.0.1:{}", mail.smtp_port),
        "user": SUPPORT,
        "address": SUPPORT,
        "tls": false,
    });
    store
        .add_account(ACCOUNT, None, config.as_object().unwrap().clone())
        .unwrap();
    let credentials = Arc::new(MemoryCredentials::default());
    credentials.set(ACCOUNT, PASSWORD).unwrap();
    let db = Db::start(store).unwrap();
    let mut engine = Engine::new(db.clone(), credentials);
    engine.backoff = Duration::from_millis(20);
    engine.long_poll = Duration::from_secs(20);
    Setup {
        mail,
        db,
        engine,
        _dir: dir,
    }
}

/// A message with CRLF line ends, as it travels.
fn crlf(text: &str) -> Vec<u8> {
    text.replace("\r\n", "\n")
        .replace('\n', "\r\n")
        .into_bytes()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn encoded(charset: &'static encoding_rs::Encoding, text: &str) -> Vec<u8> {
    charset.encode(text).0.into_owned()
}

fn first_thread(store: &Store, text: &str) -> Thread {
    let rows = store
        .inbox(&InboxFilter {
            channel: Some(Channel::Email),
            limit: 1000,
            ..Default::default()
        })
        .unwrap();
    rows.iter()
        .map(|r| store.thread(r.id, 1000).unwrap())
        .find(|t| t.messages.iter().any(|m| m.text.contains(text)))
        .unwrap_or_else(|| panic!("no email thread holds {text:?}"))
}

fn jane(id: &str, date: &str, subject: &str, extra: &str, body: &str) -> Vec<u8> {
    crlf(&format!(
        "From: Jane Doe <{CUSTOMER}>\nTo: Acme Support <{SUPPORT}>\nSubject: {subject}\nDate: {date}\nMessage-ID: <{id}>\n{extra}\
         MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: quoted-printable\n\n{body}\n"
    ))
}

async fn sync_once(s: &Setup) -> switchboard_sync::engine::AccountReport {
    let reports = s.engine.run(Mode::Once).await.unwrap();
    let report = reports.into_iter().find(|r| r.account == ACCOUNT).unwrap();
    assert!(report.error.is_none(), "{report:?}");
    report
}
