//! A platform answer that does not read is described, never quoted: a page whose list of
//! messages arrives as a customer's text (a card number in it) leaves that text out of the log,
//! the account's state and everything the UI is told.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use switchboard_api::accounts::AccountsRequest;
use switchboard_api::Event;
use switchboard_core::model::AccountState;

/// Everything logged, at every level, by every thread of this test binary.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

const MARKER: &str = "MARKER-c41d9e";
const CARD: &str = "4111 1111 1111 1111";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_that_holds_a_customers_text_where_its_list_should_be_is_described_not_quoted() {
    let logs = Captured::default();
    tracing_subscriber::fmt().with_max_level(tracing::Level::TRACE).with_ansi(false).with_writer(logs.clone()).init();

    let demo = common::demo("mina").await;
    let controller = demo.sandbox().clone();
    let common::Demo { ws, mut events, syncing, sandbox, dir: _dir } = demo;
    controller.customer_says("sms", &format!("{MARKER} my card is {CARD}")).unwrap();
    controller.set_faults("malformed-page=1".parse().unwrap());

    // The sandbox really serves the customer's words where the page's messages should be.
    let sms = switchboard_sandbox::accounts(&sandbox).into_iter().find(|a| a.key.starts_with("sms:")).unwrap();
    let sid = sms.config["account_sid"].as_str().unwrap().to_owned();
    let page = reqwest::Client::new()
        .get(format!("{sandbox}/2010-04-01/Accounts/{sid}/Messages.json"))
        .basic_auth(&sid, Some(sms.secret))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(MARKER) && page.contains(CARD), "{page}");

    // The SMS account fails its pulls until it shows "offline", with what went wrong.
    let mut heard = Vec::new();
    let detail = loop {
        let event = events.recv().await.unwrap();
        heard.push(serde_json::to_string(&event).unwrap());
        if let Event::AccountState { account, state: AccountState::Offline, detail } = event {
            if account == sms.key {
                break detail.unwrap_or_default();
            }
        }
    };
    assert!(detail.contains("unexpected response from the platform"), "{detail}");
    assert!(detail.contains("expected a sequence"), "the shape that was wrong is said: {detail}");

    let accounts = ws.run(AccountsRequest {}).unwrap();
    let answer = serde_json::to_string(&accounts).unwrap();
    assert!(answer.contains("unexpected response from the platform"), "{answer}");
    let logged = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(logged.contains("pull failed"), "the failures are logged: {logged}");
    for (what, text) in [("the log", logged.as_str()), ("the accounts' answer", answer.as_str()), ("the events", &heard.join("\n"))] {
        assert!(!text.contains(MARKER), "the customer's text is in {what}: {text}");
        assert!(!text.contains(CARD), "the card number is in {what}: {text}");
    }
    drop(syncing);
}
