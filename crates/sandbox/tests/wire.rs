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

fn graph(base: &str, path: &str) -> String {
    format!("{base}/v21.0/{path}")
}

fn graph_time(s: &str) -> i64 {
    jiff::Timestamp::strptime("%Y-%m-%dT%H:%M:%S%z", s).unwrap().as_second()
}

#[tokio::test]
async fn graph_conversations_page_with_next_and_nest_the_twenty_newest_messages() {
    let (base, sandbox, _stop) = start(120).await;
    // Long conversations, so that some have more than the 20 nested messages.
    for _ in 0..3000 {
        sandbox.customer_writes();
    }
    let stats = sandbox.stats();
    let http = reqwest::Client::new();
    for platform in ["messenger", "instagram"] {
        let mut url = format!(
            "{}?platform={platform}&fields=participants,updated_time,messages{{message,from,to,created_time,attachments}}&limit=7&access_token={}",
            graph(&base, &format!("{}/conversations", c::PAGE_ID)),
            c::PAGE_TOKEN
        );
        let (mut conversations, mut messages, mut followed) = (0, 0, 0);
        let mut last_updated = i64::MAX;
        loop {
            let response = http.get(&url).send().await.unwrap();
            let usage: Value = serde_json::from_str(response.headers()["x-app-usage"].to_str().unwrap()).unwrap();
            assert!(usage["call_count"].is_u64());
            let buc: Value = serde_json::from_str(response.headers()["x-business-use-case-usage"].to_str().unwrap()).unwrap();
            assert_eq!(buc[c::PAGE_ID][0]["type"], if platform == "instagram" { "instagram" } else { "pages" });
            let page: Value = response.json().await.unwrap();
            for conversation in page["data"].as_array().unwrap() {
                conversations += 1;
                let updated = graph_time(conversation["updated_time"].as_str().unwrap());
                assert!(updated <= last_updated, "newest activity first");
                last_updated = updated;
                let people = conversation["participants"]["data"].as_array().unwrap();
                assert_eq!(people.len(), 2);
                let key = if platform == "instagram" { "username" } else { "name" };
                assert!(people.iter().all(|p| p[key].is_string() && p["id"].is_string()));
                let nested = &conversation["messages"];
                assert!(nested["data"].as_array().unwrap().len() <= 20);
                messages += nested["data"].as_array().unwrap().len();
                // The rest of a long conversation: its own edge, paged the same way.
                let mut more = nested["paging"]["next"].as_str().map(str::to_owned);
                while let Some(next) = more {
                    followed += 1;
                    let page: Value = http.get(&next).send().await.unwrap().json().await.unwrap();
                    messages += page["data"].as_array().unwrap().len();
                    more = page["paging"]["next"].as_str().map(str::to_owned);
                }
            }
            match page["paging"]["next"].as_str() {
                Some(next) => url = next.to_owned(),
                None => break,
            }
        }
        assert_eq!((conversations, messages), (stats.channels[platform].conversations, stats.channels[platform].messages), "{platform}");
        assert!(followed > 0, "{platform}: some conversations have more than 20 messages");
    }
}

#[tokio::test]
async fn graph_send_keeps_the_window_and_errors_are_graph_errors() {
    let (base, sandbox, _stop) = start(600).await;
    let http = reqwest::Client::new();
    let url = graph(&base, &format!("{}/conversations", c::PAGE_ID));
    let page: Value = http
        .get(&url)
        .bearer_auth(c::PAGE_TOKEN)
        .query(&[("platform", "messenger"), ("limit", "100"), ("fields", "participants,messages{message,from,created_time}")])
        .send().await.unwrap().json().await.unwrap();
    let now = jiff::Timestamp::now().as_second();
    // (customer, hours since the customer last wrote)
    let waits: Vec<(String, i64)> = page["data"]
        .as_array().unwrap()
        .iter()
        .map(|conv| {
            let customer = conv["participants"]["data"][0]["id"].as_str().unwrap().to_owned();
            let last = conv["messages"]["data"].as_array().unwrap().iter().find(|m| m["from"]["id"] == customer.as_str()).unwrap();
            (customer, (now - graph_time(last["created_time"].as_str().unwrap())) / 3600)
        })
        .collect();
    let send = |to: &str, kind: &str, tag: Option<&str>| {
        let mut body = serde_json::json!({"recipient": {"id": to}, "messaging_type": kind, "message": {"text": "We're looking into it."}});
        if let Some(tag) = tag {
            body["tag"] = tag.into();
        }
        http.post(graph(&base, &format!("{}/messages", c::PAGE_ID))).bearer_auth(c::PAGE_TOKEN).json(&body).send()
    };
    let recent = &waits.iter().find(|(_, h)| *h < 23).unwrap().0;
    let sent: Value = send(recent, "RESPONSE", None).await.unwrap().json().await.unwrap();
    assert_eq!(sent["recipient_id"], recent.as_str());
    assert!(sent["message_id"].as_str().unwrap().starts_with("m_"));

    let days_ago = &waits.iter().find(|(_, h)| (25..24 * 6).contains(h)).unwrap().0;
    let outside = send(days_ago, "RESPONSE", None).await.unwrap();
    assert_eq!(outside.status(), 400);
    let e: Value = outside.json().await.unwrap();
    assert_eq!((e["error"]["code"].as_u64(), e["error"]["error_subcode"].as_u64()), (Some(10), Some(2_018_278)));
    assert_eq!(send(days_ago, "MESSAGE_TAG", Some("HUMAN_AGENT")).await.unwrap().status(), 200, "a human agent may answer within 7 days");
    let weeks_ago = &waits.iter().find(|(_, h)| *h > 24 * 8).unwrap().0;
    assert_eq!(send(weeks_ago, "MESSAGE_TAG", Some("HUMAN_AGENT")).await.unwrap().status(), 400);
    assert_eq!(sandbox.stats().channels["messenger"].replies, 2);

    let expired: Value = http.get(&url).bearer_auth("EAAGwrong").send().await.unwrap().json().await.unwrap();
    assert_eq!(expired["error"]["code"], 190);
    assert_eq!(expired["error"]["type"], "OAuthException");
    assert!(expired["error"]["fbtrace_id"].is_string());
    let unknown: Value = send("999", "RESPONSE", None).await.unwrap().json().await.unwrap();
    assert_eq!(unknown["error"]["error_subcode"], 2_018_001);
}

#[tokio::test]
async fn graph_and_x_meter_calls_and_throttle_beyond_the_budget() {
    let config = Config { seed: 7, conversations: 60, budget: Some("4/60".parse().unwrap()), ..Default::default() };
    let running = Sandbox::start(config, 0).await.unwrap();
    let base = running.base_url.clone();
    let http = reqwest::Client::new();
    let url = graph(&base, &format!("{}/conversations", c::PAGE_ID));
    let mut usages = Vec::new();
    for _ in 0..4 {
        let r = http.get(&url).bearer_auth(c::PAGE_TOKEN).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let usage: Value = serde_json::from_str(r.headers()["x-app-usage"].to_str().unwrap()).unwrap();
        usages.push(usage["call_count"].as_u64().unwrap());
    }
    assert_eq!(usages, [25, 50, 75, 100]);
    let throttled = http.get(&url).bearer_auth(c::PAGE_TOKEN).send().await.unwrap();
    assert_eq!(throttled.status(), 403);
    assert!(throttled.headers()["retry-after"].to_str().unwrap().parse::<u64>().unwrap() <= 60);
    let buc: Value = serde_json::from_str(throttled.headers()["x-business-use-case-usage"].to_str().unwrap()).unwrap();
    assert_eq!(buc[c::PAGE_ID][0]["estimated_time_to_regain_access"], 1);
    assert_eq!(throttled.json::<Value>().await.unwrap()["error"]["code"], 80001);

    let events = format!("{base}/2/dm_events");
    let mut remaining = Vec::new();
    for _ in 0..4 {
        let r = http.get(&events).bearer_auth(c::X_TOKEN).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["x-rate-limit-limit"], "4");
        remaining.push(r.headers()["x-rate-limit-remaining"].to_str().unwrap().parse::<u32>().unwrap());
    }
    assert_eq!(remaining, [3, 2, 1, 0]);
    let limited = http.get(&events).bearer_auth(c::X_TOKEN).send().await.unwrap();
    assert_eq!(limited.status(), 429);
    let reset: i64 = limited.headers()["x-rate-limit-reset"].to_str().unwrap().parse().unwrap();
    assert!(reset > jiff::Timestamp::now().as_second());
    assert_eq!(limited.json::<Value>().await.unwrap()["errors"][0]["code"], 88);
    let stats = running.controller.stats();
    assert_eq!((stats.channels["messenger"].throttled, stats.channels["x"].throttled), (1, 1));
}

#[tokio::test]
async fn x_dm_events_page_newest_first_and_dms_are_created() {
    let (base, sandbox, _stop) = start(120).await;
    let http = reqwest::Client::new();
    let expected = sandbox.stats().channels["x"].messages;
    let (mut events, mut users) = (Vec::new(), std::collections::HashMap::new());
    let mut token: Option<String> = None;
    loop {
        let mut query = vec![
            ("dm_event.fields", "id,text,event_type,created_at,dm_conversation_id,sender_id,attachments".to_owned()),
            ("expansions", "sender_id".to_owned()),
            ("max_results", "9".to_owned()),
        ];
        if let Some(t) = &token {
            query.push(("pagination_token", t.clone()));
        }
        let r = http.get(format!("{base}/2/dm_events")).bearer_auth(c::X_TOKEN).query(&query).send().await.unwrap();
        assert!(r.headers().contains_key("x-rate-limit-remaining"));
        let page: Value = r.json().await.unwrap();
        for u in page["includes"]["users"].as_array().unwrap() {
            users.insert(u["id"].as_str().unwrap().to_owned(), u["username"].as_str().unwrap().to_owned());
        }
        events.extend(page["data"].as_array().unwrap().iter().cloned());
        match page["meta"]["next_token"].as_str() {
            Some(t) => token = Some(t.to_owned()),
            None => break,
        }
    }
    assert_eq!(events.len(), expected);
    let ids: Vec<u64> = events.iter().map(|e| e["id"].as_str().unwrap().parse().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first");
    assert!(events.iter().all(|e| e["event_type"] == "MessageCreate" && users.contains_key(e["sender_id"].as_str().unwrap())));
    assert!(users.values().all(|u| u.is_ascii()));

    let customer = events.iter().find(|e| e["sender_id"] != c::X_USER_ID).unwrap()["sender_id"].as_str().unwrap().to_owned();
    let created = http
        .post(format!("{base}/2/dm_conversations/with/{customer}/messages"))
        .bearer_auth(c::X_TOKEN)
        .json(&serde_json::json!({"text": "Thanks, we're on it."}))
        .send().await.unwrap();
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    assert!(created["data"]["dm_conversation_id"].as_str().unwrap().contains(&customer));
    let newest: Value = http.get(format!("{base}/2/dm_events")).bearer_auth(c::X_TOKEN).query(&[("max_results", "1")]).send().await.unwrap().json().await.unwrap();
    assert_eq!(newest["data"][0]["id"], created["data"]["dm_event_id"]);
    assert_eq!(sandbox.stats().channels["x"].replies, 1);

    let unauthorized = http.get(format!("{base}/2/dm_events")).bearer_auth("wrong").send().await.unwrap();
    assert_eq!(unauthorized.status(), 401);
    assert_eq!(unauthorized.json::<Value>().await.unwrap()["type"], "about:blank");
}

#[tokio::test]
async fn shopify_graphql_answers_field_by_field_with_cost_and_shopifys_errors() {
    let (base, sandbox, _stop) = start(30).await;
    let http = reqwest::Client::new();
    let url = format!("{base}/admin/api/{}/graphql.json", switchboard_sandbox::shopify::VERSION);
    let ask = |token: &'static str, query: &'static str, variables: Value| {
        let request = http.post(&url).header("X-Shopify-Access-Token", token).json(&serde_json::json!({"query": query, "variables": variables}));
        async move {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.json::<Value>().await.unwrap())
        }
    };
    let world = switchboard_sandbox::script::generate(7, 30, 0);
    let customer = world.customers.iter().find(|c| sandbox.shop_orders(&c.phone).is_some_and(|n| n > 0)).unwrap();
    let query = "query($q: String!) { customers(first: 1, query: $q) { edges { node { id displayName orders(first: 2, reverse: true) { edges { node { name } } pageInfo { hasNextPage } } } } } }";
    let (status, body) = ask(c::SHOPIFY_TOKEN, query, serde_json::json!({"q": format!("phone:{}", customer.phone)})).await;
    assert_eq!(status, 200);
    let node = &body["data"]["customers"]["edges"][0]["node"];
    assert_eq!(node["displayName"], customer.name.as_str());
    // Only the fields asked for.
    assert!(node.get("email").is_none());
    assert!(node["orders"]["edges"][0]["node"]["name"].as_str().unwrap().starts_with('#'));
    let cost = &body["extensions"]["cost"];
    assert!(cost["requestedQueryCost"].as_f64().unwrap() >= cost["actualQueryCost"].as_f64().unwrap());
    assert_eq!(cost["throttleStatus"]["maximumAvailable"], 1000.0);

    let (_, body) = ask(c::SHOPIFY_TOKEN, "{ customers(first: 1) { edges { node { shoeSize } } } }", Value::Null).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "undefinedField", "{body}");
    assert_eq!(body["errors"][0]["message"], "Field 'shoeSize' doesn't exist on type 'Customer'");
    let (_, body) = ask(c::SHOPIFY_TOKEN, "{ customers { edges { node { id } } } }", Value::Null).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "MISSING_PAGINATION_ARGUMENT");
    let (_, body) = ask(c::SHOPIFY_TOKEN, "{ customers(first: 1) { ", Value::Null).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "PARSE_ERROR");
    let (status, _) = ask("shpat_wrong", query, Value::Null).await;
    assert_eq!(status, 401);
    // An empty bucket: THROTTLED with HTTP 200 and the bucket's state.
    sandbox.drain_shop();
    let (status, body) = ask(c::SHOPIFY_TOKEN, query, serde_json::json!({"q": "phone:+1"})).await;
    assert_eq!(status, 200);
    assert_eq!(body["errors"][0]["extensions"]["code"], "THROTTLED");
    assert!(body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"].as_f64().unwrap() < 10.0);
}
