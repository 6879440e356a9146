//! The sandbox over real HTTP, checked against the platforms' documented wire formats.

use serde_json::Value;
use switchboard_sandbox::{credentials as c, Config, Controller, Running, Sandbox};

async fn start(conversations: usize) -> (String, Controller, Running) {
    let running = Sandbox::start(Config { seed: 7, conversations, rate_per_minute: 0.0, ..Default::default() }, 0).await.unwrap();
    (running.base_url.clone(), running.controller.clone(), running)
}

fn telegram(base: &str, method: &str) -> String {
    format!("{base}/bot{}/{method}", c::TELEGRAM_BOT_TOKEN)
}

fn twilio(base: &str) -> String {
    format!("{base}/2010-04-01/Accounts/{}/Messages.json", c::TWILIO_ACCOUNT_SID)
}

#[tokio::test]
async fn telegram_updates_confirm_by_offset_and_replies_are_counted() {
    let (base, sandbox, _stop) = start(60).await;
    let http = reqwest::Client::new();
    let expected = sandbox.stats().channels["telegram"].messages;
    assert!(expected >= 10);

    let first: Value = http.get(telegram(&base, "getUpdates")).query(&[("limit", "3")]).send().await.unwrap().json().await.unwrap();
    assert_eq!(first["ok"], true);
    let updates = first["result"].as_array().unwrap();
    assert_eq!(updates.len(), 3);
    let m = &updates[0]["message"];
    assert_eq!(m["chat"]["type"], "private");
    assert_eq!(m["from"]["is_bot"], false);
    assert!(m["date"].is_i64() && m["message_id"].is_i64());
    assert!(m["text"].is_string() || m["caption"].is_string());

    // Reading every update with offsets: each once, in order, then nothing.
    let mut offset = 0i64;
    let mut seen = Vec::new();
    loop {
        let page: Value = http
            .get(telegram(&base, "getUpdates"))
            .query(&[("offset", offset.to_string()), ("limit", "7".into())])
            .send().await.unwrap().json().await.unwrap();
        let result = page["result"].as_array().unwrap();
        if result.is_empty() {
            break;
        }
        for u in result {
            seen.push(u["update_id"].as_i64().unwrap());
        }
        offset = seen.last().unwrap() + 1;
    }
    assert_eq!(seen.len(), expected);
    assert!(seen.windows(2).all(|w| w[0] < w[1]));

    // A reply, and the same reply again: both received, the second counted as a duplicate.
    let chat = m["chat"]["id"].as_i64().unwrap();
    for _ in 0..2 {
        let sent: Value = http
            .post(telegram(&base, "sendMessage"))
            .json(&serde_json::json!({"chat_id": chat, "text": "We're on it."}))
            .send().await.unwrap().json().await.unwrap();
        assert_eq!(sent["ok"], true);
        assert_eq!(sent["result"]["from"]["is_bot"], true);
        assert_eq!(sent["result"]["text"], "We're on it.");
    }
    let stats = sandbox.stats().channels["telegram"].clone();
    assert_eq!((stats.replies, stats.duplicate_replies), (2, 1));
    let http_stats: Value = http.get(format!("{base}/_sandbox/stats")).send().await.unwrap().json().await.unwrap();
    assert_eq!(http_stats["channels"]["telegram"]["replies"], 2);
}

#[tokio::test]
async fn telegram_long_poll_waits_for_the_next_update() {
    let (base, sandbox, _stop) = start(12).await;
    let http = reqwest::Client::new();
    // Confirm everything there is.
    let all: Value = http.get(telegram(&base, "getUpdates")).send().await.unwrap().json().await.unwrap();
    let next = all["result"].as_array().unwrap().last().unwrap()["update_id"].as_i64().unwrap() + 1;
    // An empty queue holds the request for its timeout, then answers with nothing.
    let started = std::time::Instant::now();
    let empty: Value = http
        .get(telegram(&base, "getUpdates"))
        .query(&[("offset", next.to_string()), ("timeout", "1".into())])
        .send().await.unwrap().json().await.unwrap();
    assert!(empty["result"].as_array().unwrap().is_empty());
    assert!(started.elapsed() >= std::time::Duration::from_secs(1));
    // A held request answers as soon as a customer writes, long before its timeout.
    let poll = tokio::spawn({
        let url = telegram(&base, "getUpdates");
        async move {
            let started = std::time::Instant::now();
            let body: Value = reqwest::Client::new()
                .get(url)
                .query(&[("offset", next.to_string()), ("timeout", "30".into())])
                .send().await.unwrap().json().await.unwrap();
            (body, started.elapsed())
        }
    });
    // Customers write until one lands on Telegram.
    while sandbox.stats().channels["telegram"].messages == all["result"].as_array().unwrap().len() {
        sandbox.customer_writes();
    }
    let (body, waited) = poll.await.unwrap();
    assert_eq!(body["result"][0]["update_id"], next);
    assert!(waited < std::time::Duration::from_secs(30));
}

#[tokio::test]
async fn telegram_errors_look_like_telegram() {
    let (base, _sandbox, _stop) = start(12).await;
    let http = reqwest::Client::new();
    let bad = http.get(format!("{base}/bot999:wrong/getUpdates")).send().await.unwrap();
    assert_eq!(bad.status(), 401);
    assert_eq!(bad.json::<Value>().await.unwrap(), serde_json::json!({"ok": false, "error_code": 401, "description": "Unauthorized"}));
    let unknown: Value = http
        .post(telegram(&base, "sendMessage"))
        .form(&[("chat_id", "1"), ("text", "hi")])
        .send().await.unwrap().json().await.unwrap();
    assert_eq!(unknown["description"], "Bad Request: chat not found");
    let empty: Value = http
        .post(telegram(&base, "sendMessage"))
        .json(&serde_json::json!({"chat_id": 1}))
        .send().await.unwrap().json().await.unwrap();
    assert_eq!(empty["description"], "Bad Request: message text is empty");
}

#[tokio::test]
async fn twilio_lists_newest_first_across_pages_and_creates_messages() {
    let (base, sandbox, _stop) = start(60).await;
    let http = reqwest::Client::new();
    let stats = sandbox.stats();
    let total = stats.channels["sms"].messages + stats.channels["whatsapp"].messages;
    let auth = |r: reqwest::RequestBuilder| r.basic_auth(c::TWILIO_ACCOUNT_SID, Some(c::TWILIO_AUTH_TOKEN));

    let mut url = format!("{}?PageSize=7", twilio(&base));
    let mut all: Vec<Value> = Vec::new();
    loop {
        let page: Value = auth(http.get(&url)).send().await.unwrap().json().await.unwrap();
        assert_eq!(page["page_size"], 7);
        all.extend(page["messages"].as_array().unwrap().iter().cloned());
        match page["next_page_uri"].as_str() {
            Some(next) => url = format!("{base}{next}"),
            None => break,
        }
    }
    assert_eq!(all.len(), total);
    let sids: std::collections::HashSet<_> = all.iter().map(|m| m["sid"].as_str().unwrap().to_owned()).collect();
    assert_eq!(sids.len(), total, "no message twice");
    let times: Vec<jiff::Timestamp> = all
        .iter()
        .map(|m| jiff::fmt::rfc2822::parse(m["date_sent"].as_str().unwrap()).unwrap().timestamp())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");
    let m = &all[0];
    assert!(m["sid"].as_str().unwrap().starts_with("SM") && m["sid"].as_str().unwrap().len() == 34);
    assert!(matches!(m["direction"].as_str().unwrap(), "inbound" | "outbound-api"));
    assert!(m["num_media"].is_string() && m["num_segments"].is_string());

    // Filters.
    let inbound_sms: Value = auth(http.get(twilio(&base)).query(&[("To", c::SMS_NUMBER), ("PageSize", "1000")]))
        .send().await.unwrap().json().await.unwrap();
    let inbound = inbound_sms["messages"].as_array().unwrap();
    assert!(!inbound.is_empty() && inbound.iter().all(|m| m["direction"] == "inbound" && m["to"] == c::SMS_NUMBER));

    // Create: 201, queued, and first in the list afterwards.
    let to = inbound[0]["from"].as_str().unwrap();
    let created = auth(http.post(twilio(&base)))
        .form(&[("To", to), ("From", c::SMS_NUMBER), ("Body", "Your refund is on its way.")])
        .send().await.unwrap();
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    assert_eq!((created["status"].as_str(), created["direction"].as_str()), (Some("queued"), Some("outbound-api")));
    let first: Value = auth(http.get(twilio(&base)).query(&[("PageSize", "1")])).send().await.unwrap().json().await.unwrap();
    assert_eq!(first["messages"][0]["sid"], created["sid"]);
    assert_eq!(sandbox.stats().channels["sms"].replies, 1);

    // Errors, as Twilio words them.
    let e: Value = auth(http.post(twilio(&base))).form(&[("From", c::SMS_NUMBER), ("Body", "x")]).send().await.unwrap().json().await.unwrap();
    assert_eq!(e["code"], 21604);
    let e: Value = auth(http.post(twilio(&base))).form(&[("To", to), ("From", "+19999999999"), ("Body", "x")]).send().await.unwrap().json().await.unwrap();
    assert_eq!(e["code"], 21606);
    let unauth = http.get(twilio(&base)).basic_auth(c::TWILIO_ACCOUNT_SID, Some("wrong")).send().await.unwrap();
    assert_eq!(unauth.status(), 401);
    assert_eq!(unauth.json::<Value>().await.unwrap()["code"], 20003);
}
