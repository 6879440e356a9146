//! Public threads in the store: the post above a thread, the commenter known as the customer who
//! writes in private, public triage, hiding (kept, with its reason), and private replies (one
//! per comment, within 7 days, in the customer's private conversation).

use switchboard_core::interchange::{Author, HiddenRecord, MessageRecord, PostRecord, PublicThreadRecord, Record};
use switchboard_core::model::{AuthorKind, Channel, ConversationStatus, Direction, HideReason, InboxFilter, InboxRow, OutboxKind, Priority};
use switchboard_core::{Error, Store};

const PAGE: &str = "104729384756102";

fn config(stream: Option<&str>) -> serde_json::Map<String, serde_json::Value> {
    let mut c = serde_json::Map::new();
    c.insert("page_id".into(), PAGE.into());
    if let Some(s) = stream {
        c.insert("stream".into(), s.into());
    }
    c
}

fn store() -> Store {
    let mut store = Store::open_in_memory().unwrap();
    store.add_account("messenger:acme", None, config(None)).unwrap();
    store.add_account("facebook:acme", None, config(Some("comments"))).unwrap();
    store.add_account("x:acmesupport/mentions", None, config(Some("mentions"))).unwrap();
    store.seed_rule_defaults().unwrap();
    store
}

fn said(account: &str, conversation: &str, id: &str, handle: &str, text: &str, ago_hours: i64) -> Record {
    Record::Message(MessageRecord {
        account: account.into(),
        conversation: conversation.into(),
        id: id.into(),
        direction: Direction::In,
        author: Author { kind: AuthorKind::Customer, name: Some("Lena Ortiz".into()), handle: Some(handle.into()) },
        text: text.into(),
        at: jiff::Timestamp::now() - jiff::SignedDuration::from_hours(ago_hours),
        delivery: None,
        attachments: vec![],
        email: None,
    })
}

fn thread(account: &str, conversation: &str, post: &str) -> Record {
    Record::PublicThread(PublicThreadRecord {
        account: account.into(),
        conversation: conversation.into(),
        post: Some(PostRecord { id: post.into(), text: "Our spring collection is here".into(), author: Some("Acme".into()), url: None, at: jiff::Timestamp::now() - jiff::SignedDuration::from_hours(300) }),
        hidden: vec![],
    })
}

fn row(store: &Store, external: &str) -> InboxRow {
    store.inbox(&InboxFilter { limit: 100, ..Default::default() }).unwrap().into_iter().find(|r| r.external_id == external).unwrap()
}

#[test]
fn a_public_thread_shows_its_post_and_its_author_is_the_customer_who_writes_in_private() {
    let mut store = store();
    store.write_batch(&[said("messenger:acme", "6120000007", "m_1", "6120000007", "Where is my order?", 3)]).unwrap();
    store
        .write_batch(&[thread("facebook:acme", "900_1", &format!("{PAGE}_900")), said("facebook:acme", "900_1", "900_1", "6120000007", "Does the kettle come in black?", 2)])
        .unwrap();
    let public = row(&store, "900_1");
    let private = row(&store, "6120000007");
    assert!(public.public && !private.public);
    assert_eq!(public.customer, private.customer);
    let t = store.timeline(public.id, 50).unwrap();
    assert_eq!(t.post.as_ref().map(|p| p.text.as_str()), Some("Our spring collection is here"));
    assert_eq!(t.messages.len(), 2, "the customer's whole story: the comment and the private message");
    // Public triage: a question is high and open; thanks need no reply.
    assert_eq!((public.priority, public.status), (Priority::High, ConversationStatus::Open));
    store.write_batch(&[thread("facebook:acme", "900_2", &format!("{PAGE}_900")), said("facebook:acme", "900_2", "900_2", "6120000099", "Love my new kettle ❤️", 1)]).unwrap();
    let thanks = row(&store, "900_2");
    assert_eq!((thanks.priority, thanks.status), (Priority::Low, ConversationStatus::Solved));
    // Private data posted in public is never "no reply needed".
    store.write_batch(&[thread("facebook:acme", "900_8", &format!("{PAGE}_900")), said("facebook:acme", "900_8", "900_8", "6120000098", "Charged twice on card 4242 4242 4242 4242", 1)]).unwrap();
    assert_eq!(row(&store, "900_8").status, ConversationStatus::Open);
    let needs_reply = store.inbox(&InboxFilter { limit: 100, public: Some(true), status: Some(ConversationStatus::Open), ..Default::default() }).unwrap();
    assert_eq!(needs_reply.iter().map(|r| r.external_id.as_str()).collect::<Vec<_>>(), ["900_8", "900_1"]);
    // A public reply answers the thread's comment; it is refused when it gives away a secret.
    let reply = store.enqueue_reply(public.id, "Yes, it does! See the colour options on our site.", Some("mina"), None).unwrap();
    assert_eq!((reply.kind, reply.target.as_deref()), (OutboxKind::Reply, Some("900_1")));
    let leak = store.enqueue_reply(public.id, "Your code is 482913", Some("mina"), None).unwrap_err();
    assert!(matches!(leak, Error::ReplyNotAllowed(ref m) if m.contains("reply privately")), "{leak}");
}

#[test]
fn a_hidden_comment_stays_with_its_reason_and_criticism_of_others_cannot_be_hidden_on_x() {
    let mut store = store();
    store.write_batch(&[thread("facebook:acme", "900_3", &format!("{PAGE}_900")), said("facebook:acme", "900_3", "900_3", "6120000050", "Get 10,000 followers today!!!", 1)]).unwrap();
    let id = store.timeline(row(&store, "900_3").id, 10).unwrap().messages[0].id;
    let hide = store.hide_comment(id, HideReason::Spam, None, Some("mina"), Some("hide-1")).unwrap();
    assert_eq!((hide.kind, hide.target.as_deref()), (OutboxKind::Hide, Some("900_3")));
    assert_eq!(store.hide_comment(id, HideReason::Spam, None, Some("mina"), None).unwrap().id, hide.id, "hiding twice is one request");
    let t = store.timeline(row(&store, "900_3").id, 10).unwrap();
    assert_eq!((t.messages.len(), t.messages[0].hidden.as_deref()), (1, Some("spam")), "kept, marked hidden");
    // A later sync that does not say "hidden" does not undo the agent's decision.
    store.write_batch(&[said("facebook:acme", "900_3", "900_3", "6120000050", "Get 10,000 followers today!!!", 1)]).unwrap();
    assert!(store.timeline(row(&store, "900_3").id, 10).unwrap().messages[0].hidden.is_some());
    // The platform's own hidden state arrives through the thread record.
    store
        .write_batch(&[
            said("facebook:acme", "900_4", "900_4", "6120000051", "idiots", 1),
            Record::PublicThread(PublicThreadRecord { account: "facebook:acme".into(), conversation: "900_4".into(), post: None, hidden: vec![HiddenRecord { message: "900_4".into(), reason: "hidden on Facebook".into(), at: None }] }),
        ])
        .unwrap();
    assert_eq!(store.timeline(row(&store, "900_4").id, 10).unwrap().messages[0].hidden.as_deref(), Some("hidden on Facebook"));
    store.write_batch(&[Record::PublicThread(PublicThreadRecord { account: "x:acmesupport/mentions".into(), conversation: "1:42".into(), post: None, hidden: vec![] }), said("x:acmesupport/mentions", "1:42", "1", "42", "@acmesupport worst service", 1)]).unwrap();
    let x = store.timeline(row(&store, "1:42").id, 10).unwrap().messages[0].id;
    assert!(matches!(store.hide_comment(x, HideReason::Abuse, None, None, None), Err(Error::ReplyNotAllowed(_))));
    // Export keeps the thread public, its post and what is hidden.
    let mut out = Vec::new();
    store.export_jsonl(switchboard_core::interchange::ExportScope::All, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains(r#""kind":"public_thread","account":"facebook:acme","conversation":"900_3""#), "{text}");
    assert!(text.contains(r#""hidden":[{"message":"900_3","reason":"spam""#));
}

#[test]
fn a_comment_takes_one_private_reply_within_seven_days() {
    let mut store = store();
    store
        .write_batch(&[
            thread("facebook:acme", "900_5", &format!("{PAGE}_900")),
            said("facebook:acme", "900_5", "900_5", "6120000060", "My kettle arrived broken", 30),
            thread("facebook:acme", "900_6", &format!("{PAGE}_900")),
            said("facebook:acme", "900_6", "900_6", "6120000061", "Still waiting for my refund", 8 * 24),
        ])
        .unwrap();
    let public = row(&store, "900_5");
    let reply = store.reply_privately(public.id, None, "Sorry about that! Could you send your order number?", Some("mina"), None).unwrap();
    assert_eq!((reply.kind, reply.target.as_deref()), (OutboxKind::PrivateReply, Some("900_5")));
    let private = row(&store, "6120000060");
    assert_eq!((private.id, private.channel, private.customer.clone()), (reply.conversation_id, Channel::Messenger, public.customer.clone()));
    let again = store.reply_privately(public.id, None, "Hello again", Some("mina"), None).unwrap_err();
    assert!(again.to_string().contains("already has a private reply"), "{again}");
    let late = store.reply_privately(row(&store, "900_6").id, None, "Sorry!", Some("mina"), None).unwrap_err();
    assert!(late.to_string().contains("7 days"), "{late}");
    // Failed, it may be tried again: Meta never received it.
    store.mark_failed(reply.id, "network").unwrap();
    assert!(store.reply_privately(public.id, None, "Sorry about that! Could you send your order number?", Some("mina"), None).is_ok());
    // Without the Page's Messenger inbox there is nowhere to reply privately.
    let mut bare = Store::open_in_memory().unwrap();
    bare.add_account("facebook:acme", None, config(Some("comments"))).unwrap();
    bare.write_batch(&[thread("facebook:acme", "900_7", &format!("{PAGE}_900")), said("facebook:acme", "900_7", "900_7", "6120000062", "hi", 1)]).unwrap();
    let missing = bare.reply_privately(row(&bare, "900_7").id, None, "Hello", None, None).unwrap_err();
    assert!(missing.to_string().contains("Messenger inbox"), "{missing}");
}
