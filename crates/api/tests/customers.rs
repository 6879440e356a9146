//! Customer context through the Workspace, on the demo's sandbox: the profile and its orders from
//! the shop, edits, merge and un-merge, canned replies with their actions, the signature, notes.

use switchboard_api::canned::RenderCannedRequest;
use switchboard_api::customers::{AddNoteRequest, CustomerRequest, EditCustomerRequest, MergeCustomersRequest, OrderSummaryRequest, RefreshOrdersRequest, UnmergeRequest};
use switchboard_api::inbox::{InboxQuery, SearchRequest};
use switchboard_api::reply::{ComposerRequest, ReplyRequest};
use switchboard_api::thread::ThreadRequest;
use switchboard_api::{ErrorCode, Event, Workspace};
use switchboard_core::model::{Channel, ContactEdit, ConversationStatus};

mod common;
use common::demo;

fn contact_of(ws: &Workspace, conversation: i64) -> i64 {
    ws.run(ThreadRequest { conversation }).unwrap().contact.unwrap().id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_sees_the_customer_their_orders_and_answers_with_a_canned_reply() {
    let common::Demo { ws, mut events, syncing: _syncing, dir, .. } = demo("Mina Park").await;

    // An SMS customer is known by their number, which finds their orders in the shop.
    let sms = ws.run(InboxQuery { channel: Some(Channel::Sms), limit: Some(500), ..Default::default() }).unwrap().rows;
    let (conversation, profile) = sms
        .iter()
        .find_map(|row| {
            let customer = contact_of(&ws, row.id);
            let profile = ws.run(RefreshOrdersRequest { customer, force: false }).unwrap();
            (!profile.orders.is_empty()).then_some((row.id, profile))
        })
        .expect("an SMS customer with orders");
    let customer = profile.contact.id;
    assert!(profile.contact.phone.as_deref().is_some_and(|p| p.starts_with('+')));
    assert!(profile.orders_checked_at.is_some() && profile.orders_error.is_none());
    assert!(profile.conversations.iter().any(|c| c.id == conversation));
    // A fresh cache is not looked up again; a forced refresh is, and says so.
    let lookups = |events: &mut tokio::sync::broadcast::Receiver<Event>| {
        use tokio::sync::broadcast::error::TryRecvError;
        let mut count = 0;
        loop {
            match events.try_recv() {
                Ok(e) => count += (e == Event::Customer { customer }) as usize,
                Err(TryRecvError::Lagged(_)) => continue,
                Err(_) => break count,
            }
        }
    };
    assert_eq!(lookups(&mut events), 1);
    let again = ws.run(RefreshOrdersRequest { customer, force: false }).unwrap();
    assert_eq!(again.orders_checked_at, profile.orders_checked_at);
    assert_eq!(lookups(&mut events), 0);
    let forced = ws.run(RefreshOrdersRequest { customer, force: true }).unwrap();
    assert!(forced.orders_checked_at >= profile.orders_checked_at);
    assert_eq!(lookups(&mut events), 1);
    let latest = &profile.orders[0];
    let summary = ws.run(OrderSummaryRequest { customer, order: latest.external_id.clone() }).unwrap();
    assert!(summary.starts_with(&format!("Order {} (", latest.number)), "{summary}");

    // The demo's library: the SMS variant, filled from the latest order.
    let rendered = ws.run(RenderCannedRequest { shortcut: "where".into(), conversation }).unwrap();
    assert_eq!(rendered.channel, Some(Channel::Sms));
    assert!(rendered.text.starts_with(&format!("Order {}: ", latest.number)), "{}", rendered.text);
    let text = if rendered.unfilled.is_empty() {
        rendered.text.clone()
    } else {
        // Not shipped yet: no tracking link. The placeholder cannot go out as written.
        let err = ws.run(ReplyRequest { conversation, text: rendered.text.clone(), key: "c0".into(), actions: vec![] }).unwrap_err();
        assert_eq!(err.code, ErrorCode::NotAllowed);
        assert!(err.message.contains("{{order.tracking_url}}"), "{}", err.message);
        rendered.text.split(" Track:").next().unwrap().to_owned()
    };
    // SMS replies carry the agent's initials; the composer counts them.
    let state = ws.run(ComposerRequest { conversation, text: text.clone() }).unwrap();
    assert_eq!(state.signature.as_deref(), Some(" –MP"));
    assert_eq!(state.length as usize, text.chars().count() + 4);
    let sent = ws.run(ReplyRequest { conversation, text: text.clone(), key: "c1".into(), actions: rendered.actions.clone() }).unwrap();
    assert_eq!(sent.text, format!("{text} –MP"));
    let thread = ws.run(ThreadRequest { conversation }).unwrap();
    assert_eq!(thread.conversation.status, ConversationStatus::Pending);
    assert!(thread.tags.contains(&"shipping".to_owned()));

    // The customer's language picks the variant.
    let edit = ContactEdit { name: profile.contact.name.clone(), phone: profile.contact.phone.clone(), language: Some("ko".into()), ..Default::default() };
    let edited = ws.run(EditCustomerRequest { customer, edit: edit.clone() }).unwrap();
    assert_eq!(edited.contact.language.as_deref(), Some("ko"));
    let korean = ws.run(RenderCannedRequest { shortcut: "thanks".into(), conversation }).unwrap();
    assert_eq!(korean.language.as_deref(), Some("ko"));
    let bad = ws.run(EditCustomerRequest { customer, edit: ContactEdit { time_zone: Some("Nowhere/Land".into()), ..edit } }).unwrap_err();
    assert_eq!(bad.code, ErrorCode::Invalid);

    // An internal note: kept, found first by search, never sent.
    let note = ws.run(AddNoteRequest { conversation, text: "Courier confirmed a delay of two days".into() }).unwrap();
    let hits = ws.run(SearchRequest { text: "courier delay".into(), channel: None, status: None, after: None }).unwrap().hits;
    assert!(hits[0].note && hits[0].message_id == note.id && hits[0].conversation_id == conversation);
    let outbox = common::store(&dir).outbox(1000).unwrap();
    assert!(outbox.iter().all(|o| !o.text.contains("Courier confirmed")));
    let thread = ws.run(ThreadRequest { conversation }).unwrap();
    assert_eq!(thread.notes.last().map(|n| n.id), Some(note.id));

    // Merge a Telegram customer in, then undo it: the split comes back as it was.
    let telegram = ws.run(InboxQuery { channel: Some(Channel::Telegram), ..Default::default() }).unwrap().rows;
    let other = contact_of(&ws, telegram[0].id);
    let before = (ws.run(CustomerRequest { customer }).unwrap(), ws.run(CustomerRequest { customer: other }).unwrap());
    let merged = ws.run(MergeCustomersRequest { keep: customer, absorb: other }).unwrap();
    assert!(merged.identities.iter().any(|i| i.channel == Channel::Telegram) && merged.identities.iter().any(|i| i.channel == Channel::Sms));
    let timeline = ws.run(ThreadRequest { conversation }).unwrap();
    assert!(timeline.messages.iter().any(|m| m.channel == Channel::Telegram));
    let restored = ws.run(UnmergeRequest { merge: merged.merges[0].id }).unwrap();
    assert_eq!(restored, before.0);
    assert_eq!(ws.run(CustomerRequest { customer: other }).unwrap(), before.1);
}
