//! Canned replies: the library through the interchange format, the variant for the customer and
//! channel, placeholders filled or flagged (and never sent), and the agent's signature.

use switchboard_core::interchange::{CannedAction, ExportScope, OrderRecord, Tracking};
use switchboard_core::model::{Channel, ContactEdit, ConversationStatus};
use switchboard_core::templates::{SignatureMode, SignatureSettings, UnfilledReason, SIGNATURE_SETTING};
use switchboard_core::{Error, Store};

const LIBRARY: &str = r#"{"kind":"calendar","name":"Seoul office","time_zone":"Asia/Seoul","hours":{"mon":[["09:00","18:00"]],"tue":[["09:00","18:00"]],"wed":[["09:00","18:00"]],"thu":[["09:00","18:00"]],"fri":[["09:00","18:00"]]}}
{"kind":"canned_reply","shortcut":"where","title":"Where is my order","variants":[{"body":"Hi {{customer.first_name}}, order {{order.number}} is {{order.status}}. Track it here: {{order.tracking_url}}\n{{agent.name}}"},{"language":"ko","body":"{{customer.name}}님, 주문 {{order.number}}은(는) {{order.status}} 상태입니다. {{order.tracking_url}}"},{"channel":"sms","body":"{{order.number}}: {{order.tracking_url}} -{{agent.initials}}"}],"actions":[{"set_status":"pending"},{"add_tag":"shipping"}]}
{"kind":"message","account":"messenger:acme-page","conversation":"t_sam","id":"m_sam","direction":"in","author":{"kind":"customer","name":"Sam Lee","handle":"6129999"},"text":"Where is my kettle?","at":"NOW"}
{"kind":"canned_reply","shortcut":"hours","title":"Opening hours","variants":[{"body":"We answer {{business.hours}}. {{customer.nickname}}"}]}
"#;

/// The sample store with the library above over it; Sam's conversation (no orders, no language).
fn store() -> (Store, i64, i64) {
    let mut store = Store::open_in_memory().unwrap();
    store.import_jsonl(include_str!("fixtures/sample.jsonl").as_bytes()).unwrap();
    // Sam wrote a minute ago, so a reply is within Messenger's window.
    let now = (jiff::Timestamp::now() - jiff::SignedDuration::from_mins(1)).to_string();
    let report = store.import_jsonl(LIBRARY.replace("NOW", &now).as_bytes()).unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let conversation = store.inbox(&switchboard_core::model::InboxFilter { limit: 50, ..Default::default() }).unwrap().into_iter().find(|r| r.external_id == "t_sam").unwrap().id;
    let contact = store.thread(conversation, 1).unwrap().contact.unwrap().id;
    (store, conversation, contact)
}

fn order(store: &mut Store, contact: i64, tracking: Option<&str>) {
    let record = OrderRecord {
        shop: "acme".into(),
        id: "gid://shopify/Order/1".into(),
        customer: None,
        number: "#1043".into(),
        at: "2026-03-01T00:00:00Z".parse().unwrap(),
        currency: "EUR".into(),
        total: "59.00".into(),
        financial_status: Some("PAID".into()),
        fulfillment_status: Some("IN_PROGRESS".into()),
        items: vec![],
        tracking: tracking.map(|url| Tracking { carrier: None, number: None, url: Some(url.into()) }).into_iter().collect(),
    };
    store.save_orders(contact, &[record], jiff::Timestamp::now()).unwrap();
}

#[test]
fn a_canned_reply_fills_what_it_can_and_flags_the_rest() {
    let (mut store, conversation, contact) = store();
    let name = store.customer(contact).unwrap().contact.name;
    let first = name.split_whitespace().next().unwrap().to_owned();
    // No order yet: the order placeholders are empty, and flagged.
    let rendered = store.render_canned("where", conversation, "Mina Park").unwrap();
    assert!(rendered.text.starts_with(&format!("Hi {first}, order {{{{order.number}}}}")), "{}", rendered.text);
    assert!(rendered.text.ends_with("\nMina Park"));
    let flagged: Vec<(&str, UnfilledReason)> = rendered.unfilled.iter().map(|u| (u.placeholder.as_str(), u.reason)).collect();
    assert_eq!(flagged, [("order.number", UnfilledReason::Empty), ("order.status", UnfilledReason::Empty), ("order.tracking_url", UnfilledReason::Empty)]);
    assert_eq!(rendered.actions, [CannedAction::SetStatus(ConversationStatus::Pending), CannedAction::AddTag("shipping".into())]);
    // The unfilled text can never be sent.
    let err = store.enqueue_reply(conversation, &rendered.text, None, None).unwrap_err();
    assert!(matches!(&err, Error::ReplyNotAllowed(why) if why.contains("{{order.number}}")), "{err}");
    assert!(store.outbox(10).unwrap().is_empty());

    order(&mut store, contact, Some("https://track.example/1043"));
    let rendered = store.render_canned("where", conversation, "Mina Park").unwrap();
    assert_eq!(rendered.text, format!("Hi {first}, order #1043 is in progress, paid. Track it here: https://track.example/1043\nMina Park"));
    assert!(rendered.unfilled.is_empty());
    store.enqueue_reply(conversation, &rendered.text, None, None).unwrap();

    let hours = store.render_canned("hours", conversation, "Mina").unwrap();
    assert!(hours.text.starts_with("We answer Mon–Fri 09:00–18:00 (Asia/Seoul)."), "{}", hours.text);
    assert_eq!(hours.unfilled[0].reason, UnfilledReason::Unknown);
    assert!(matches!(store.render_canned("nope", conversation, "Mina"), Err(Error::Missing { .. })));
}

#[test]
fn the_customers_language_chooses_the_variant() {
    let (mut store, conversation, contact) = store();
    let profile = store.customer(contact).unwrap();
    let edit = ContactEdit { name: profile.contact.name.clone(), language: Some("ko-KR".into()), ..Default::default() };
    store.edit_customer(contact, &edit).unwrap();
    order(&mut store, contact, Some("https://track.example/1043"));
    let rendered = store.render_canned("where", conversation, "Mina").unwrap();
    assert_eq!(rendered.language.as_deref(), Some("ko"));
    assert!(rendered.text.starts_with(&format!("{}님, 주문 #1043", profile.contact.name)), "{}", rendered.text);
}

#[test]
fn the_signature_follows_the_channel_settings() {
    let (mut store, _, _) = store();
    assert_eq!(store.signature(Channel::Email, "Mina Park").unwrap().as_deref(), Some("\n\nMina Park"));
    assert_eq!(store.signature(Channel::Sms, "Mina Park").unwrap().as_deref(), Some(" –MP"));
    assert_eq!(store.signature(Channel::Messenger, "Mina Park").unwrap(), None);
    let settings = SignatureSettings {
        text: "{{agent.name}} · Acme support".into(),
        channels: [(Channel::Messenger, SignatureMode::Full)].into_iter().collect(),
    };
    store.set_setting(SIGNATURE_SETTING, &settings).unwrap();
    assert_eq!(store.signature(Channel::Messenger, "Mina Park").unwrap().as_deref(), Some("\n\nMina Park · Acme support"));
    assert_eq!(store.signature(Channel::Email, "Mina Park").unwrap(), None);
}

#[test]
fn the_library_exports_alone_and_imports_unchanged() {
    let (store, _, _) = store();
    let mut out = Vec::new();
    let count = store.canned_replies().unwrap().len();
    assert!(count >= 2);
    assert_eq!(store.export_jsonl(ExportScope::CannedReplies, &mut out).unwrap(), count);
    let mut other = Store::open_in_memory().unwrap();
    let report = other.import_jsonl(out.as_slice()).unwrap();
    assert_eq!((report.records, report.errors.len()), (count, 0));
    assert_eq!(other.canned_replies().unwrap(), store.canned_replies().unwrap());
    // Re-importing changes nothing.
    assert_eq!(other.import_jsonl(out.as_slice()).unwrap().changed, 0);
}

#[test]
fn the_library_is_edited_with_known_placeholders_only() {
    use switchboard_core::interchange::{CannedReplyRecord, CannedVariant};
    let (mut store, conversation, _) = store();
    let mut reply = CannedReplyRecord {
        shortcut: "late".into(),
        title: "Running late".into(),
        variants: vec![CannedVariant { language: None, channel: None, body: "Sorry {{customer.firstname}}!".into() }],
        actions: vec![],
    };
    let err = store.save_canned_reply(&reply).unwrap_err();
    assert!(matches!(&err, Error::Invalid(m) if m.contains("{{customer.firstname}} is not a placeholder")), "{err}");
    reply.variants[0].body = "Sorry {{customer.first_name}}, it is running late.".into();
    store.save_canned_reply(&reply).unwrap();
    assert_eq!(store.render_canned("late", conversation, "Mina").unwrap().text, "Sorry Sam, it is running late.");
    reply.shortcut = "two words".into();
    assert!(matches!(store.save_canned_reply(&reply), Err(Error::Invalid(_))));
    store.delete_canned_reply("late").unwrap();
    assert!(matches!(store.render_canned("late", conversation, "Mina"), Err(Error::Missing { .. })));
    assert!(matches!(store.delete_canned_reply("late"), Err(Error::Missing { .. })));
}
