//! The email connector against real Dovecot and Postfix on loopback (see `mail`): messages are
//! delivered through the servers, Switchboard reads them over IMAP and answers over SMTP.

mod mail;

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_is_read_threaded_decoded_and_made_harmless() {
    let s = setup();
    // Min-jun is already a customer on Telegram, known by the same address.
    s.db.write(|store| store.write_batch(&[
            Record::Account(AccountRecord {
                account: "telegram:acme_bot".into(),
                name: None,
                config: Default::default(),
            }),
            Record::Contact(ContactRecord {
                id: "ct_minjun".into(),
                name: "김민준".into(),
                email: Some("MinJun@Customer.test".into()),
                phone: None,
                language: Some("ko".into()),
                time_zone: None,
                status: None,
                notes: None,
                tags: vec![],
                identities: vec![IdentityRecord {
                    account: "telegram:acme_bot".into(),
                    handle: "9001".into(),
                    name: Some("김민준".into()),
                }],
                created_at: None,
            }),
        ]))
        .unwrap();

    // A thread: the first message, a reply that names it in References, and one that only
    // shares its subject; an encoded-word subject and a quoted-printable body.
    let subject = format!("=?UTF-8?B?{}?=", b64("배송 문의 #1042".as_bytes()));
    s.mail
        .deliver(
            SUPPORT,
            &jane(
                "m1@customer.test",
                "Mon, 23 Nov 2026 10:00:00 +0900",
                &subject,
                "",
                "Where is my order? Caf=C3=A9 au lait mug.",
            ),
        )
        .await;
    s.mail
        .deliver(
            SUPPORT,
            &jane(
                "m2@customer.test",
                "Mon, 23 Nov 2026 11:00:00 +0900",
                "Re: =?UTF-8?Q?=EB=B0=B0=EC=86=A1_=EB=AC=B8=EC=9D=98_#1042?=",
                "In-Reply-To: <m1@customer.test>\nReferences: <m1@customer.test>\n",
                "Any news?\n\nOn Mon, 23 Nov 2026, Jane Doe <jane@customer.test> wrote:\n> Where is my order?\n\n-- \nJane Doe\n+1 555 0100",
            ),
        )
        .await;
    s.mail
        .deliver(
            SUPPORT,
            &jane(
                "m3@customer.test",
                "Mon, 23 Nov 2026 10:30:00 +0900",
                "RE: 배송 문의  #1042",
                "",
                "Also: gift wrap please.",
            ),
        )
        .await;

    // Charsets: EUC-KR (base64), ISO-2022-JP (7bit), ISO-8859-1 (quoted-printable).
    let korean = "안녕하세요, 환불 요청드립니다.";
    s.mail
        .deliver(
            SUPPORT,
            &[
                crlf(&format!(
                    "From: =?EUC-KR?B?{}?= <minjun@customer.test>\nTo: {SUPPORT}\nSubject: =?EUC-KR?B?{}?=\nDate: Mon, 23 Nov 2026 12:00:00 +0900\n\
                     Message-ID: <k1@customer.test>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=EUC-KR\nContent-Transfer-Encoding: base64\n\n{}\n",
                    b64(&encoded(encoding_rs::EUC_KR, "김민준")),
                    b64(&encoded(encoding_rs::EUC_KR, "환불 요청")),
                    b64(&encoded(encoding_rs::EUC_KR, korean)),
                )),
            ]
            .concat(),
        )
        .await;
    let japanese = "こんにちは、注文について";
    let mut jp = crlf(&format!(
        "From: Taro <taro@customer.test>\nTo: {SUPPORT}\nSubject: =?ISO-2022-JP?B?{}?=\nDate: Mon, 23 Nov 2026 12:10:00 +0900\n\
         Message-ID: <j1@customer.test>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=ISO-2022-JP\nContent-Transfer-Encoding: 7bit\n\n",
        b64(&encoded(encoding_rs::ISO_2022_JP, "注文")),
    ));
    jp.extend(encoded(encoding_rs::ISO_2022_JP, japanese));
    jp.extend(b"\r\n");
    s.mail.deliver(SUPPORT, &jp).await;
    s.mail
        .deliver(
            SUPPORT,
            &crlf(&format!(
                "From: =?ISO-8859-1?Q?Jo=E3o?= <joao@customer.test>\nTo: {SUPPORT}\nSubject: Pedido\nDate: Mon, 23 Nov 2026 12:20:00 +0900\n\
                 Message-ID: <p1@customer.test>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=ISO-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n\
                 Ol=E1, n=E3o recebi o meu pedido.\n"
            )),
        )
        .await;

    // HTML with an attachment and an inline image, and everything a hostile sender might try.
    let pdf = b"%PDF-1.4 invoice 1042";
    let png = [0x89, b'P', b'N', b'G', 13, 10, 26, 10, 0, 0, 0, 13];
    s.mail
        .deliver(
            SUPPORT,
            &crlf(&format!(
                "From: Eve <eve@customer.test>\nTo: {SUPPORT}\nSubject: Invoice\nDate: Mon, 23 Nov 2026 13:00:00 +0900\nMessage-ID: <h1@customer.test>\n\
                 MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"outer\"\n\n\
                 --outer\nContent-Type: multipart/related; boundary=\"rel\"\n\n\
                 --rel\nContent-Type: multipart/alternative; boundary=\"alt\"\n\n\
                 --alt\nContent-Type: text/plain; charset=UTF-8\n\nPlease see the invoice.\n\
                 --alt\nContent-Type: text/html; charset=UTF-8\n\n\
                 <p onclick=\"steal()\">Please see the <b>invoice</b>.</p><script>alert(document.cookie)</script>\
                 <img src=\"https://tracker.example/open.gif\"><img src=\"cid:logo@acme\">\
                 <form action=\"https://evil.example\"><input name=\"card\"></form><a href=\"javascript:alert(1)\">pay</a>\n\
                 --alt--\n\
                 --rel\nContent-Type: image/png\nContent-ID: <logo@acme>\nContent-Disposition: inline\nContent-Transfer-Encoding: base64\n\n{}\n\
                 --rel--\n\
                 --outer\nContent-Type: application/pdf; name=\"invoice.pdf\"\nContent-Disposition: attachment; filename=\"invoice.pdf\"\n\
                 Content-Transfer-Encoding: base64\n\n{}\n--outer--\n",
                b64(&png),
                b64(pdf),
            )),
        )
        .await;

    // Malformed: no sender, a multipart body cut off before its closing boundary.
    let broken = crlf(
        "To: support@acme.test\nSubject: broken\nDate: Mon, 23 Nov 2026 14:00:00 +0900\nMIME-Version: 1.0\n\
         Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nThe first part survives\n--b\n\
         Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\nAAEC!!notbase64\n",
    );
    s.mail.deliver(SUPPORT, &broken).await;

    // A Date far in the future would pin the message to the top of the inbox.
    s.mail
        .deliver(SUPPORT, &jane("f1@customer.test", "Fri, 01 Jan 2100 00:00:00 +0000", "URGENT", "", "Read me first."))
        .await;

    let report = sync_once(&s).await;
    assert_eq!(report.pulled, 9, "{report:?}");
    let store = s.db.reader().unwrap();

    // Threading: References, then the normalised subject.
    let thread = first_thread(&store, "Where is my order?");
    assert_eq!(
        thread.messages.len(),
        3,
        "{:#?}",
        thread.messages.iter().map(|m| &m.text).collect::<Vec<_>>()
    );
    assert_eq!(
        thread.conversation.subject.as_deref(),
        Some("배송 문의 #1042")
    );
    assert!(
        thread.messages[0].text.contains("Café au lait"),
        "quoted-printable UTF-8: {}",
        thread.messages[0].text
    );
    assert_eq!(thread.messages[0].author_name.as_deref(), Some("Jane Doe"));
    assert_eq!(
        thread.contact.as_ref().unwrap().email.as_deref(),
        Some(CUSTOMER)
    );
    // Quoted history and the signature are marked on the reply.
    let reply = thread
        .messages
        .iter()
        .find(|m| m.text.starts_with("Any news?"))
        .unwrap();
    let folds = &reply.email.as_ref().unwrap().folds;
    assert_eq!(
        folds.iter().map(|f| f.kind).collect::<Vec<_>>(),
        [FoldKind::Quote, FoldKind::Signature],
        "{folds:?}"
    );
    assert!(reply.text[folds[0].start..folds[0].end].contains("> Where is my order?"));

    // Charsets, and a customer known on Telegram by the same address.
    let minjun = first_thread(&store, korean);
    assert_eq!(minjun.conversation.subject.as_deref(), Some("환불 요청"));
    assert_eq!(minjun.messages[0].author_name.as_deref(), Some("김민준"));
    assert_eq!(
        minjun.contact.as_ref().unwrap().uid,
        "ct_minjun",
        "the Telegram customer with this address"
    );
    let taro = first_thread(&store, japanese);
    assert_eq!(taro.conversation.subject.as_deref(), Some("注文"));
    let joao = first_thread(&store, "Olá, não recebi");
    assert_eq!(joao.messages[0].author_name.as_deref(), Some("João"));

    // Attachments, the inline image, and HTML with nothing active left.
    let invoice = first_thread(&store, "Please see the invoice.");
    let m = &invoice.messages[0];
    let pdf_part = m
        .attachments
        .iter()
        .find(|a| a.name.as_deref() == Some("invoice.pdf"))
        .expect("the PDF");
    assert_eq!(
        (pdf_part.kind, pdf_part.mime.as_deref(), pdf_part.size),
        (
            AttachmentKind::File,
            Some("application/pdf"),
            Some(pdf.len() as i64)
        )
    );
    let logo = m
        .attachments
        .iter()
        .find(|a| a.kind == AttachmentKind::Image)
        .expect("the inline image");
    assert_eq!(logo.url.as_deref(), Some("cid:logo@acme"));
    let email = m.email.as_ref().unwrap();
    let html = email.html.as_deref().unwrap();
    for bad in [
        "onclick",
        "<script",
        "cookie",
        "tracker.example",
        "<form",
        "<input",
        "javascript:",
    ] {
        assert!(!html.contains(bad), "{bad} survived sanitising: {html}");
    }
    assert!(
        html.contains("<b>invoice</b>") && html.contains("cid:logo@acme"),
        "{html}"
    );
    assert!(email.remote_images_blocked);

    // The malformed message is kept, raw, with a warning.
    let broken_thread = first_thread(&store, "The first part survives");
    let kept = &broken_thread.messages[0];
    assert!(
        kept.email
            .as_ref()
            .unwrap()
            .warning
            .as_deref()
            .is_some_and(|w| w.contains("sender") && w.contains("cut short")),
        "{:?}",
        kept.email
    );
    let raw = store.raw_email(kept.id).unwrap().unwrap();
    assert!(
        raw.ends_with(&broken),
        "the raw message is kept byte for byte"
    );
    // An export carries it too.
    let mut exported = None;
    store
        .export_records(switchboard_core::interchange::ExportScope::All, &mut |r| {
            if let Record::Message(m) = r {
                if m.text.contains("The first part survives") {
                    exported = m.email.and_then(|e| e.raw);
                }
            }
            Ok(())
        })
        .unwrap();
    assert_eq!(
        base64::engine::general_purpose::STANDARD
            .decode(exported.unwrap())
            .unwrap(),
        raw
    );

    let pinned = first_thread(&store, "Read me first.");
    assert!(pinned.messages[0].at <= jiff::Timestamp::now(), "a future Date gives way to the time of receipt: {}", pinned.messages[0].at);
    drop(store);

    // Nothing is new the second time.
    let again = sync_once(&s).await;
    assert_eq!((again.pulled, again.changed), (0, 0), "{again:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_shows_new_mail_within_a_second_and_uidvalidity_changes_double_nothing() {
    let s = setup();
    s.mail
        .deliver(
            SUPPORT,
            &jane(
                "a1@customer.test",
                "Mon, 23 Nov 2026 09:00:00 +0000",
                "Hello",
                "",
                "First.",
            ),
        )
        .await;
    let mut events = s.engine.subscribe();
    let engine = s.engine.clone();
    let follow = tokio::spawn(async move { engine.run(Mode::Follow).await });
    // Caught up and idling.
    loop {
        if let SyncEvent::AccountState {
            state: switchboard_core::model::AccountState::Idle,
            ..
        } = events.recv().await.unwrap()
        {
            break;
        }
    }
    let sent = Instant::now();
    s.mail
        .send_smtp(
            CUSTOMER,
            SUPPORT,
            &jane(
                "a2@customer.test",
                "Mon, 23 Nov 2026 09:05:00 +0000",
                "Re: Hello",
                "References: <a1@customer.test>\n",
                "Second.",
            ),
        )
        .await;
    let latency = loop {
        if let SyncEvent::Stored { new_messages, .. } = events.recv().await.unwrap() {
            if !new_messages.is_empty() {
                break sent.elapsed();
            }
        }
    };
    assert!(
        latency < Duration::from_secs(1),
        "new mail took {latency:?} to show (through Postfix and IMAP IDLE)"
    );
    follow.abort();
    let _ = follow.await;
    let count = |store: &Store| first_thread(store, "First.").messages.len();
    assert_eq!(count(&s.db.reader().unwrap()), 2);

    // The server renumbers the mailbox: everything is read again, nothing is stored twice.
    s.mail.renumber(SUPPORT, 4242);
    s.mail
        .deliver(
            SUPPORT,
            &jane(
                "a3@customer.test",
                "Mon, 23 Nov 2026 09:10:00 +0000",
                "Re: Hello",
                "In-Reply-To: <a2@customer.test>\n",
                "Third.",
            ),
        )
        .await;
    let report = sync_once(&s).await;
    assert_eq!(
        report.pulled, 3,
        "the whole mailbox is read again: {report:?}"
    );
    let store = s.db.reader().unwrap();
    assert_eq!(count(&store), 3, "one new message, no duplicates");
    let cursor = store
        .cursor(store.accounts().unwrap()[0].id, "mailbox")
        .unwrap()
        .unwrap();
    assert!(cursor.contains("\"uidvalidity\":4242"), "{cursor}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_reaches_the_customer_threaded_and_exactly_once() {
    let s = setup();
    s.mail
        .deliver(
            SUPPORT,
            &jane(
                "r1@customer.test",
                "Mon, 23 Nov 2026 09:00:00 +0000",
                "Broken zipper",
                "",
                "The zipper broke.",
            ),
        )
        .await;
    s.mail
        .deliver(
            SUPPORT,
            &jane(
                "r2@customer.test",
                "Mon, 23 Nov 2026 09:30:00 +0000",
                "Re: Broken zipper",
                "In-Reply-To: <r1@customer.test>\nReferences: <r1@customer.test>\n",
                "Photo attached.",
            ),
        )
        .await;
    sync_once(&s).await;
    let conversation = first_thread(&s.db.reader().unwrap(), "The zipper broke.")
        .conversation
        .id;
    let queued = s
        .db
        .write(move |store| {
            store.enqueue_reply(
                conversation,
                "Sorry about that: a replacement is on its way.",
                Some("agent"),
                None,
            )
        })
        .unwrap();
    let report = sync_once(&s).await;
    assert_eq!(report.sent, 1, "{report:?}");
    // And again: nothing more goes out.
    sync_once(&s).await;

    let sent = s
        .db
        .reader()
        .unwrap()
        .outbox(10)
        .unwrap()
        .into_iter()
        .find(|i| i.id == queued.id)
        .unwrap();
    assert_eq!(sent.state, OutboxState::Sent);
    let message_id = sent.external_id.unwrap();
    assert!(
        s.mail.wait_for(CUSTOMER, 1).await,
        "the reply reached the customer: {}",
        s.mail.postfix_log()
    );
    let inbox = s.mail.mailbox(CUSTOMER);
    assert_eq!(
        inbox.len(),
        1,
        "exactly one reply in the customer's mailbox"
    );
    let parsed = mail_parser::MessageParser::default()
        .parse(&inbox[0])
        .unwrap();
    assert_eq!(parsed.message_id(), Some(message_id.as_str()));
    assert_eq!(parsed.in_reply_to().as_text(), Some("r2@customer.test"));
    assert_eq!(
        parsed
            .references()
            .as_text_list()
            .map(|l| l.iter().map(|r| r.to_string()).collect::<Vec<_>>()),
        Some(vec![
            "r1@customer.test".to_owned(),
            "r2@customer.test".to_owned()
        ])
    );
    assert_eq!(parsed.subject(), Some("Re: Broken zipper"));
    assert_eq!(
        parsed
            .from()
            .and_then(|a| a.first())
            .and_then(|a| a.address()),
        Some(SUPPORT)
    );
    assert!(parsed
        .body_text(0)
        .unwrap()
        .contains("a replacement is on its way"));
    assert!(
        s.mail.postfix_log().contains("status=sent"),
        "{}",
        s.mail.postfix_log()
    );

    // The customer answers our reply, naming only it: the answer joins the conversation.
    let later = (jiff::Timestamp::now() + jiff::SignedDuration::from_mins(1))
        .strftime("%a, %d %b %Y %H:%M:%S +0000")
        .to_string();
    s.mail
        .send_smtp(
            CUSTOMER,
            SUPPORT,
            &jane(
                "r3@customer.test",
                &later,
                "Re: Broken zipper",
                &format!("In-Reply-To: <{message_id}>\n"),
                "Thank you!",
            ),
        )
        .await;
    // Postfix hands it on after answering: it is there once the mailbox shows it.
    let arrived = s.mail.wait_for(SUPPORT, 3).await;
    assert!(
        arrived,
        "Postfix delivered the customer's answer: {}",
        s.mail.postfix_log()
    );
    sync_once(&s).await;
    let thread = first_thread(&s.db.reader().unwrap(), "The zipper broke.");
    assert_eq!(thread.conversation.id, conversation);
    assert_eq!(
        thread
            .messages
            .iter()
            .map(|m| m.direction)
            .collect::<Vec<_>>(),
        [Direction::In, Direction::In, Direction::Out, Direction::In]
    );
}
