//! Triage rules over the store: applied to each new customer message a sync brings (not to an
//! import), the defaults' priorities, an incident when several customers report the same
//! problem within an hour, and rules an agent saves.

use switchboard_core::interchange::{Author, Condition, MessageRecord, Record, RuleAction, RuleRecord};
use switchboard_core::model::{Channel, ConversationStatus, InboxFilter, InboxRow, Priority};
use switchboard_core::{Error, Store};

fn message(chat: &str, id: &str, text: &str) -> Record {
    Record::Message(MessageRecord {
        account: "telegram:acme_bot".into(),
        conversation: chat.into(),
        id: id.into(),
        direction: switchboard_core::model::Direction::In,
        author: Author { kind: switchboard_core::model::AuthorKind::Customer, name: Some(format!("Customer {chat}")), handle: Some(chat.into()) },
        text: text.into(),
        at: jiff::Timestamp::now(),
        delivery: None,
        attachments: vec![],
        email: None,
    })
}

fn store() -> Store {
    let mut store = Store::open_in_memory().unwrap();
    store.add_account("telegram:acme_bot", None, Default::default()).unwrap();
    store.seed_rule_defaults().unwrap();
    store
}

fn row(store: &Store, chat: &str) -> InboxRow {
    store.inbox(&InboxFilter { limit: 50, ..Default::default() }).unwrap().into_iter().find(|r| r.external_id == chat).unwrap()
}

fn tags(store: &Store, chat: &str) -> Vec<String> {
    store.thread(row(store, chat).id, 1).unwrap().tags
}

#[test]
fn new_messages_are_triaged_by_the_default_rules() {
    let mut store = store();
    assert_eq!(store.rules().unwrap().len(), 7);
    store.write_batch(&[message("1", "a", "Thank you so much!")]).unwrap();
    store.write_batch(&[message("2", "b", "Where is my parcel?")]).unwrap();
    store.write_batch(&[message("3", "c", "This is unacceptable, worst service")]).unwrap();
    assert_eq!(row(&store, "1").priority, Priority::Low);
    assert_eq!(row(&store, "2").priority, Priority::Normal);
    assert_eq!((row(&store, "3").priority, tags(&store, "3")), (Priority::High, vec!["complaint".to_owned()]));
    // An import is history, not news: no rule runs on it.
    store.import_jsonl(r#"{"kind":"message","account":"telegram:acme_bot","conversation":"9","id":"z","direction":"in","author":{"kind":"customer","handle":"9"},"text":"worst ever","at":"2026-01-01T00:00:00Z"}"#.as_bytes()).unwrap();
    assert_eq!(row(&store, "9").priority, Priority::Normal);
}

#[test]
fn every_new_message_of_a_batch_is_triaged_as_if_it_came_alone() {
    // One batch (an initial sync, a reconnect) holding a complaint and then a plain question in
    // one conversation, and the same two messages one batch each in another: the same outcome.
    let mut store = store();
    let later = |r: Record| match r {
        Record::Message(mut m) => {
            m.at = m.at + jiff::SignedDuration::from_secs(1);
            Record::Message(m)
        }
        other => other,
    };
    store
        .write_batch(&[later(message("1", "b", "Where is my parcel?")), message("1", "a", "This is unacceptable, worst service")])
        .unwrap();
    store.write_batch(&[message("2", "c", "This is unacceptable, worst service")]).unwrap();
    store.write_batch(&[later(message("2", "d", "Where is my parcel?"))]).unwrap();
    for chat in ["1", "2"] {
        assert_eq!((row(&store, chat).priority, tags(&store, chat)), (Priority::High, vec!["complaint".to_owned()]), "conversation {chat}");
    }
    // And the last word counts: a complaint and then thanks is thanks, in one batch as in two.
    store
        .write_batch(&[message("3", "e", "This is unacceptable, worst service"), later(message("3", "f", "Thank you so much!"))])
        .unwrap();
    assert_eq!((row(&store, "3").priority, tags(&store, "3")), (Priority::Low, vec!["complaint".to_owned()]));
}

#[test]
fn three_customers_with_the_same_problem_within_an_hour_are_an_incident() {
    let mut store = store();
    store.write_batch(&[message("1", "a", "I can't log in")]).unwrap();
    store.write_batch(&[message("2", "b", "login is broken for me")]).unwrap();
    assert!(tags(&store, "1").is_empty(), "two reports are not an incident yet");
    // The same customer twice counts once.
    store.write_batch(&[message("2", "b2", "still can't log in")]).unwrap();
    assert!(tags(&store, "2").is_empty());
    store.write_batch(&[message("3", "c", "로그인이 안 돼요")]).unwrap();
    for chat in ["1", "2", "3"] {
        assert_eq!(tags(&store, chat), ["incident:login"], "conversation {chat}");
        assert_eq!(row(&store, chat).priority, Priority::High);
    }
    let grouped = store.inbox(&InboxFilter { limit: 50, tag: Some("incident:login".into()), ..Default::default() }).unwrap();
    assert_eq!(grouped.len(), 3);
}

#[test]
fn rules_an_agent_saves_assign_solve_and_are_checked() {
    let mut store = store();
    let bad = RuleRecord { name: "broken".into(), position: 10, enabled: true, conditions: vec![Condition::TextMatches("([".into())], actions: vec![RuleAction::NoReplyNeeded] };
    assert!(matches!(store.save_rule(&bad), Err(Error::Invalid(_))));
    let ok = RuleRecord {
        name: "Emoji only needs no reply".into(),
        position: 10,
        enabled: true,
        conditions: vec![Condition::ChannelIn(vec![Channel::Telegram]), Condition::TextMatches(r"^\W+$".into())],
        actions: vec![RuleAction::NoReplyNeeded, RuleAction::Assign("mina".into())],
    };
    store.save_rule(&ok).unwrap();
    store.write_batch(&[message("1", "a", "👍")]).unwrap();
    let r = row(&store, "1");
    assert_eq!((r.status, r.assignee.as_deref(), r.unread), (ConversationStatus::Solved, Some("mina"), 0));
    // A rule does not take a conversation from the agent who has it.
    store.assign(r.id, Some("jun")).unwrap();
    store.write_batch(&[message("1", "b", "🙏")]).unwrap();
    assert_eq!(row(&store, "1").assignee.as_deref(), Some("jun"));
    store.delete_rule("Emoji only needs no reply").unwrap();
    assert!(matches!(store.delete_rule("Emoji only needs no reply"), Err(Error::Missing { .. })));
}
