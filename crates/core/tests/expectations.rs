//! Setting expectations: an automatic acknowledgement of a new conversation, in or after hours,
//! in the customer's language, once per period, as the bot's message that stops no SLA clock.

use switchboard_core::interchange::{Author, MessageRecord, Record};
use switchboard_core::model::{AuthorKind, ContactEdit, Direction};
use switchboard_core::sla::{ClockKind, ClockState};
use switchboard_core::store::{Expectations, EXPECTATIONS_SETTING};
use switchboard_core::Store;

fn message(chat: &str, minutes_ago: i64) -> Record {
    Record::Message(MessageRecord {
        account: "telegram:acme_bot".into(),
        conversation: chat.into(),
        id: format!("{chat}-{minutes_ago}"),
        direction: Direction::In,
        author: Author { kind: AuthorKind::Customer, name: Some("Lena".into()), handle: Some(chat.into()) },
        text: "Hello?".into(),
        at: jiff::Timestamp::now() - jiff::SignedDuration::from_mins(minutes_ago),
        delivery: None,
        attachments: vec![],
        email: None,
    })
}

fn store(policy: &str) -> Store {
    let mut store = Store::open_in_memory().unwrap();
    store.add_account("telegram:acme_bot", None, Default::default()).unwrap();
    store.import_jsonl(policy.as_bytes()).unwrap();
    let settings = Expectations { accounts: vec!["telegram:acme_bot".into()], links: vec!["https://help.acme.example".into()], ..Default::default() };
    store.set_setting(EXPECTATIONS_SETTING, &settings).unwrap();
    store
}

fn conversation(store: &Store, chat: &str) -> i64 {
    store.inbox(&switchboard_core::model::InboxFilter { limit: 20, ..Default::default() }).unwrap().into_iter().find(|r| r.external_id == chat).unwrap().id
}

const ALWAYS_OPEN: &str = r#"{"kind":"sla_policy","name":"All","first_reply_minutes":30}"#;

#[test]
fn a_new_conversation_is_acknowledged_once_and_the_clock_runs_on() {
    let mut store = store(ALWAYS_OPEN);
    store.write_batch(&[message("1", 1)]).unwrap();
    let id = conversation(&store, "1");
    let now = jiff::Timestamp::now();
    let ack = store.acknowledge(id, now).unwrap().expect("acknowledged");
    assert_eq!(ack.text, "Thanks for getting in touch! A person usually answers within 30 minutes.");
    let thread = store.thread(id, 10).unwrap();
    assert_eq!(thread.messages.last().unwrap().author_kind, AuthorKind::Bot);
    // The acknowledgement is not an answer: the first-reply clock still runs.
    let first = store.sla(id, now).unwrap().clocks.into_iter().find(|c| c.kind == ClockKind::FirstReply).unwrap();
    assert_eq!(first.state, ClockState::Active);
    // Once per period.
    store.write_batch(&[message("1", 0)]).unwrap();
    assert!(store.acknowledge(id, jiff::Timestamp::now()).unwrap().is_none());
    assert_eq!(store.outbox(10).unwrap().len(), 1);
}

#[test]
fn history_other_accounts_and_public_threads_are_not_acknowledged() {
    let mut store = store(ALWAYS_OPEN);
    store.write_batch(&[message("old", 600)]).unwrap();
    assert!(store.acknowledge(conversation(&store, "old"), jiff::Timestamp::now()).unwrap().is_none());
    store.set_setting(EXPECTATIONS_SETTING, &Expectations::default()).unwrap();
    store.write_batch(&[message("2", 1)]).unwrap();
    assert!(store.acknowledge(conversation(&store, "2"), jiff::Timestamp::now()).unwrap().is_none());
    let mut store = self::store(ALWAYS_OPEN);
    store.import_jsonl(r#"{"kind":"conversation","account":"telegram:acme_bot","id":"pub","public":true}"#.as_bytes()).unwrap();
    store.write_batch(&[message("pub", 1)]).unwrap();
    assert!(store.acknowledge(conversation(&store, "pub"), jiff::Timestamp::now()).unwrap().is_none());
}

#[test]
fn after_hours_it_gives_the_hours_and_links_in_the_customers_language() {
    // Open on weekdays, but today is a holiday.
    let today = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::get("Asia/Seoul").unwrap()).date();
    let policy = format!(
        r#"{{"kind":"calendar","name":"Seoul","time_zone":"Asia/Seoul","hours":{{"mon":[["09:00","18:00"]],"tue":[["09:00","18:00"]],"wed":[["09:00","18:00"]],"thu":[["09:00","18:00"]],"fri":[["09:00","18:00"]]}},"holidays":["{today}"]}}
{{"kind":"sla_policy","name":"All","first_reply_minutes":30,"calendar":"Seoul"}}
"#
    );
    let mut store = store(&policy);
    store.write_batch(&[message("1", 1)]).unwrap();
    let id = conversation(&store, "1");
    let contact = store.thread(id, 1).unwrap().contact.unwrap();
    store.edit_customer(contact.id, &ContactEdit { name: contact.name, language: Some("ko".into()), ..Default::default() }).unwrap();
    let ack = store.acknowledge(id, jiff::Timestamp::now()).unwrap().expect("acknowledged");
    assert!(ack.text.starts_with("문의해 주셔서 감사합니다. 지금은 상담 시간이 아닙니다. 상담 시간: Mon–Fri 09:00–18:00 (Asia/Seoul)."), "{}", ack.text);
    assert!(ack.text.ends_with("\nhttps://help.acme.example"), "{}", ack.text);
}
