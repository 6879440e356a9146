//! Customers: automatic linking by verifiable keys, the profile, edits, merge and exact un-merge,
//! internal notes, and cached orders.

use switchboard_core::interchange::{Author, MessageRecord, OrderItem, OrderRecord, Record, Tracking};
use switchboard_core::model::{AuthorKind, Channel, ContactEdit, CustomerProfile, Direction};
use switchboard_core::{Error, Store};

fn message(account: &str, conversation: &str, id: &str, handle: &str, name: &str, text: &str, at: &str) -> Record {
    Record::Message(MessageRecord {
        account: account.into(),
        conversation: conversation.into(),
        id: id.into(),
        direction: Direction::In,
        author: Author { kind: AuthorKind::Customer, name: Some(name.into()), handle: Some(handle.into()) },
        text: text.into(),
        at: at.parse().unwrap(),
        delivery: None,
        attachments: vec![],
        email: None,
    })
}

/// A store with three accounts and customers on them: Lena on Messenger, Lena's number on SMS
/// and WhatsApp, Lena's address on email.
fn store() -> Store {
    let mut store = Store::open_in_memory().unwrap();
    for key in ["messenger:acme-page", "sms:+15550100", "whatsapp:+15550100", "email:support@acme.test"] {
        store.add_account(key, None, Default::default()).unwrap();
    }
    store
        .write_batch(&[
            message("messenger:acme-page", "t_1", "m_1", "psid-lena", "Lena Ortiz", "Where is order 1043?", "2026-03-04T10:00:00Z"),
            message("sms:+15550100", "+4790000001", "SM1", "+4790000001", "", "Any news on my parcel?", "2026-03-05T10:00:00Z"),
            message("whatsapp:+15550100", "whatsapp:+47 900 00 001", "WA1", "whatsapp:+47 900 00 001", "Lena", "hei", "2026-03-06T10:00:00Z"),
            message("email:support@acme.test", "e_1", "E1", "Lena@Example.com", "Lena", "Invoice please", "2026-03-07T10:00:00Z"),
        ])
        .unwrap();
    store
}

fn conversation_of(store: &Store, account: &str) -> i64 {
    store.inbox(&switchboard_core::model::InboxFilter { limit: 50, ..Default::default() }).unwrap().into_iter().find(|r| r.account == account).unwrap().id
}

fn customer_of(store: &Store, account: &str) -> CustomerProfile {
    let id = store.thread(conversation_of(store, account), 1).unwrap().contact.unwrap().id;
    store.customer(id).unwrap()
}

#[test]
fn one_phone_number_is_one_customer_on_sms_and_whatsapp() {
    let store = store();
    let sms = customer_of(&store, "sms:+15550100");
    let whatsapp = customer_of(&store, "whatsapp:+15550100");
    assert_eq!(sms.contact.id, whatsapp.contact.id);
    assert_eq!(sms.contact.phone.as_deref(), Some("+4790000001"));
    assert_eq!(sms.identities.len(), 2);
    assert_eq!(sms.conversations.len(), 2);
    // Nothing verifiable links the Messenger customer: that takes a merge.
    assert_ne!(customer_of(&store, "messenger:acme-page").contact.id, sms.contact.id);
}

#[test]
fn a_conversation_first_seen_through_a_reply_belongs_to_the_customer_who_wrote_in_it() {
    let mut store = Store::open_in_memory().unwrap();
    store.add_account("messenger:acme-page", None, Default::default()).unwrap();
    let reply = |conversation: &str, id: &str, at: &str| match message("messenger:acme-page", conversation, id, "acme-page", "Acme", "On its way", at) {
        Record::Message(mut m) => {
            m.direction = Direction::Out;
            m.author.kind = AuthorKind::Agent;
            Record::Message(m)
        }
        _ => unreachable!(),
    };
    // Newest first, as platforms list them: the reply, then the customer's messages. t_1's come
    // in one batch; t_2's customer only in the next.
    store
        .write_batch(&[
            reply("t_1", "m_3", "2026-03-04T11:00:00Z"),
            message("messenger:acme-page", "t_1", "m_2", "psid-ana", "Ana Kim", "Hello?", "2026-03-04T10:30:00Z"),
            message("messenger:acme-page", "t_1", "m_1", "psid-ana", "Ana Kim", "Where is order 7?", "2026-03-04T10:00:00Z"),
            reply("t_2", "m_5", "2026-03-05T11:00:00Z"),
        ])
        .unwrap();
    store.write_batch(&[message("messenger:acme-page", "t_2", "m_4", "psid-bo", "Bo Lee", "Refund?", "2026-03-05T10:00:00Z")]).unwrap();

    let inbox = store.inbox(&switchboard_core::model::InboxFilter { limit: 50, ..Default::default() }).unwrap();
    for (conversation, name) in [("t_1", "Ana Kim"), ("t_2", "Bo Lee")] {
        let id = inbox.iter().find(|r| r.external_id == conversation).unwrap().id;
        let thread = store.thread(id, 10).unwrap();
        let contact = thread.contact.expect("the conversation has its customer");
        assert_eq!(contact.name, name);
        let profile = store.customer(contact.id).unwrap();
        assert_eq!((profile.identities.len(), profile.conversations.len()), (1, 1), "{name}");
    }
}

#[test]
fn an_edit_is_checked_whole_and_then_stored() {
    let mut store = store();
    let lena = customer_of(&store, "messenger:acme-page");
    let edit = ContactEdit {
        name: " Lena Ortiz ".into(),
        email: Some("lena@example.com".into()),
        phone: Some("+47 900 00 001".into()),
        language: Some("ko".into()),
        time_zone: Some("Asia/Seoul".into()),
        status: Some("VIP".into()),
        tags: vec!["wholesale".into(), " wholesale".into()],
        notes: Some("Prefers a call after 6 pm".into()),
    };
    for (bad, word) in [
        (ContactEdit { time_zone: Some("Mars/Olympus".into()), ..edit.clone() }, "time zone"),
        (ContactEdit { email: Some("lena at example".into()), ..edit.clone() }, "email"),
        (ContactEdit { phone: Some("call me".into()), ..edit.clone() }, "phone"),
        (ContactEdit { language: Some("<script>".into()), ..edit.clone() }, "language"),
        (ContactEdit { name: "  ".into(), ..edit.clone() }, "name"),
    ] {
        let err = store.edit_customer(lena.contact.id, &bad).unwrap_err();
        assert!(matches!(err, Error::Invalid(_)) && err.to_string().contains(word), "{err}");
    }
    assert_eq!(store.customer(lena.contact.id).unwrap(), lena, "a refused edit stores nothing");
    store.edit_customer(lena.contact.id, &edit).unwrap();
    let after = store.customer(lena.contact.id).unwrap();
    assert_eq!(after.contact.name, "Lena Ortiz");
    assert_eq!(after.contact.phone.as_deref(), Some("+4790000001"));
    assert_eq!(after.contact.status.as_deref(), Some("vip"));
    assert_eq!(after.tags, ["wholesale"]);
    assert_eq!(after.notes.as_deref(), Some("Prefers a call after 6 pm"));
    // Search finds the customer by the number the agent typed in.
    let hits = store.search_contacts("4790000001", 5).unwrap();
    assert!(hits.iter().any(|h| h.id == lena.contact.id), "{hits:?}");
}

#[test]
fn a_merge_makes_one_timeline_and_an_unmerge_restores_the_split_exactly() {
    let mut store = store();
    let messenger = customer_of(&store, "messenger:acme-page");
    let phone = customer_of(&store, "sms:+15550100");
    let email = customer_of(&store, "email:support@acme.test");
    store
        .edit_customer(
            phone.contact.id,
            &ContactEdit {
                name: phone.contact.name.clone(),
                phone: phone.contact.phone.clone(),
                language: Some("nb".into()),
                tags: vec!["parcel".into()],
                notes: Some("Lives in Oslo".into()),
                ..Default::default()
            },
        )
        .unwrap();
    let phone = store.customer(phone.contact.id).unwrap();
    let before = (store.customer(messenger.contact.id).unwrap(), phone.clone());

    let merge = store.merge_customers(messenger.contact.id, phone.contact.id, Some("Mina")).unwrap();
    assert_eq!((merge.absorbed_id, merge.merged_by.as_deref()), (phone.contact.id, Some("Mina")));
    let merged = store.customer(messenger.contact.id).unwrap();
    assert_eq!(merged.identities.len(), 3);
    assert_eq!(merged.conversations.len(), 3);
    assert_eq!((merged.contact.phone.as_deref(), merged.contact.language.as_deref()), (Some("+4790000001"), Some("nb")));
    assert_eq!(merged.tags, ["parcel"]);
    // One timeline: opening the Messenger conversation shows the SMS and WhatsApp messages too.
    let timeline = store.timeline(conversation_of(&store, "messenger:acme-page"), 50).unwrap();
    let texts: Vec<&str> = timeline.messages.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts, ["Where is order 1043?", "Any news on my parcel?", "hei"]);
    // The merged-away customer leads to the merged one, and is not a search result of its own.
    assert_eq!(store.customer_id(&phone.contact.uid).unwrap(), messenger.contact.id);
    assert!(store.search_contacts("4790000001", 5).unwrap().iter().all(|h| h.id != phone.contact.id));
    assert!(matches!(store.merge_customers(email.contact.id, phone.contact.id, None), Err(Error::Invalid(_))));
    // New messages from a handle that moved join the merged customer.
    store
        .write_batch(&[message("sms:+15550100", "+4790000001", "SM2", "+4790000001", "", "Still waiting", "2026-03-08T10:00:00Z")])
        .unwrap();
    assert_eq!(store.customer(messenger.contact.id).unwrap().conversations.len(), 3);

    let restored = store.unmerge(merge.id).unwrap();
    assert_eq!(restored, phone.contact.id);
    let after = (store.customer(messenger.contact.id).unwrap(), store.customer(phone.contact.id).unwrap());
    // The split is as it was, apart from the message that arrived meanwhile.
    assert_eq!(after.0, before.0);
    assert_eq!(after.1.contact, before.1.contact);
    assert_eq!((&after.1.tags, &after.1.notes, &after.1.identities), (&before.1.tags, &before.1.notes, &before.1.identities));
    let ids = |p: &CustomerProfile| {
        let mut ids: Vec<i64> = p.conversations.iter().map(|c| c.id).collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(&after.1), ids(&before.1));
    assert!(store.search_contacts("4790000001", 5).unwrap().iter().any(|h| h.id == phone.contact.id));
    assert!(matches!(store.unmerge(merge.id), Err(Error::Missing { .. })));
}

#[test]
fn an_unmerge_keeps_what_an_agent_changed_after_the_merge() {
    let mut store = store();
    let messenger = customer_of(&store, "messenger:acme-page");
    let phone = customer_of(&store, "sms:+15550100");
    let merge = store.merge_customers(messenger.contact.id, phone.contact.id, None).unwrap();
    let merged = store.customer(messenger.contact.id).unwrap();
    store
        .edit_customer(
            messenger.contact.id,
            &ContactEdit {
                name: merged.contact.name.clone(),
                phone: Some("+4790000009".into()),
                status: Some("vip".into()),
                ..Default::default()
            },
        )
        .unwrap();
    store.unmerge(merge.id).unwrap();
    let kept = store.customer(messenger.contact.id).unwrap();
    assert_eq!((kept.contact.phone.as_deref(), kept.contact.status.as_deref()), (Some("+4790000009"), Some("vip")));
}

#[test]
fn notes_are_kept_apart_from_messages_and_found_by_search() {
    let mut store = store();
    let id = conversation_of(&store, "messenger:acme-page");
    assert!(matches!(store.add_note(id, Some("Mina"), "   "), Err(Error::Invalid(_))));
    assert!(matches!(store.add_note(9999, None, "x"), Err(Error::Missing { .. })));
    let note = store.add_note(id, Some("Mina"), "Refund approved by finance <b>not html</b>").unwrap();
    let thread = store.timeline(id, 50).unwrap();
    assert_eq!(thread.notes, [note.clone()]);
    assert!(thread.messages.iter().all(|m| !m.text.contains("Refund approved")));
    let found = store.search_notes("refund approved", None, 10).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!((found[0].0.id, found[0].1), (note.id, Channel::Messenger));
    assert!(store.search_notes("refund", Some(Channel::Sms), 10).unwrap().is_empty());
    // The outbox never sees a note.
    assert!(store.outbox(10).unwrap().is_empty());
}

#[test]
fn orders_are_cached_per_customer_and_refreshed_in_place() {
    let mut store = store();
    let lena = customer_of(&store, "messenger:acme-page");
    let order = |state: &str| OrderRecord {
        shop: "acme".into(),
        id: "gid://shopify/Order/1043".into(),
        customer: None,
        number: "#1043".into(),
        at: "2026-03-01T09:00:00Z".parse().unwrap(),
        currency: "KRW".into(),
        total: "129000".into(),
        financial_status: Some("PAID".into()),
        fulfillment_status: Some(state.into()),
        items: vec![OrderItem { title: "Kettle".into(), quantity: 1, sku: None, price: Some("129000".into()) }],
        tracking: vec![],
    };
    assert_eq!(store.orders_checked_at(lena.contact.id).unwrap(), None);
    let at: jiff::Timestamp = "2026-03-04T11:00:00Z".parse().unwrap();
    store.save_orders(lena.contact.id, &[order("UNFULFILLED")], at).unwrap();
    let shipped = OrderRecord {
        tracking: vec![Tracking { carrier: Some("CJ".into()), number: Some("123".into()), url: Some("https://track.test/123".into()) }],
        ..order("FULFILLED")
    };
    store.save_orders(lena.contact.id, &[shipped], at).unwrap();
    let profile = store.customer(lena.contact.id).unwrap();
    assert_eq!(profile.orders.len(), 1);
    assert_eq!(profile.orders[0].fulfillment_status.as_deref(), Some("FULFILLED"));
    assert_eq!(profile.orders[0].tracking[0].url.as_deref(), Some("https://track.test/123"));
    assert_eq!(profile.orders_checked_at, Some(at));
    store.order_lookup_failed(lena.contact.id, "the shop is unreachable", at).unwrap();
    let profile = store.customer(lena.contact.id).unwrap();
    assert_eq!((profile.orders.len(), profile.orders_error.as_deref()), (1, Some("the shop is unreachable")));
}

#[test]
fn an_export_carries_the_profile_notes_and_one_customer_per_merge() {
    let mut store = store();
    let messenger = customer_of(&store, "messenger:acme-page");
    let phone = customer_of(&store, "sms:+15550100");
    store
        .edit_customer(messenger.contact.id, &ContactEdit { name: "Lena Ortiz".into(), notes: Some("Allergic to peanuts".into()), ..Default::default() })
        .unwrap();
    store.merge_customers(messenger.contact.id, phone.contact.id, None).unwrap();
    let mut out = Vec::new();
    store.export_jsonl(switchboard_core::interchange::ExportScope::All, &mut out).unwrap();
    let text = String::from_utf8(out.clone()).unwrap();
    assert!(!text.contains(&phone.contact.uid), "the merged-away customer is not exported");
    let mut copy = Store::open_in_memory().unwrap();
    assert!(copy.import_jsonl(out.as_slice()).unwrap().errors.is_empty());
    let id = copy.customer_id(&messenger.contact.uid).unwrap();
    let profile = copy.customer(id).unwrap();
    assert_eq!(profile.notes.as_deref(), Some("Allergic to peanuts"));
    assert_eq!(profile.identities.len(), 3);
}
