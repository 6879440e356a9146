//! New mail heard at once over IDLE, a mailbox renumbered without doubling anything, and a reply
//! that reaches the customer threaded, once.

use super::*;

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
