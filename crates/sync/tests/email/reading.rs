//! What a mailbox holds, read: threaded, decoded from any charset and encoding, made harmless.

use super::*;

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
