//! Web mode's guards, over real HTTP: loopback, token, Host check, CSP.

use std::sync::Arc;
use switchboard_api::Workspace;
use switchboard_web::{Server, CSP};

async fn start() -> (String, String, tempfile::TempDir, tokio::sync::oneshot::Sender<()>) {
    let dir = tempfile::tempdir().unwrap();
    let ui = dir.path().join("ui");
    std::fs::create_dir(&ui).unwrap();
    std::fs::write(ui.join("index.html"), "<!doctype html><title>Switchboard</title>").unwrap();
    let ws = Arc::new(Workspace::open(&dir.path().join("s.db"), Some("pw".into()), true));
    let server = Server::bind(ws, 0, ui).await.unwrap();
    let url = server.url.clone();
    let base = format!("http://{}", server.addr);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server.serve(async move {
        let _ = rx.await;
    }));
    (url, base, dir, tx)
}

#[tokio::test]
async fn binds_loopback_and_prints_a_token_url() {
    let (url, base, _dir, _stop) = start().await;
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let token = url.split("token=").nth(1).unwrap();
    assert_eq!(token.len(), 64);
    let client = reqwest::Client::new();
    let res = client.get(format!("{base}/api/status")).bearer_auth(token).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["app"], "Switchboard");
    assert_eq!(body["store"]["state"], "unlocked");
}

#[tokio::test]
async fn the_api_needs_the_token() {
    let (url, base, _dir, _stop) = start().await;
    let token = url.split("token=").nth(1).unwrap();
    let client = reqwest::Client::new();
    assert_eq!(client.get(format!("{base}/api/status")).send().await.unwrap().status(), 401);
    // The same token with its last digit changed (to one it is not).
    let last = if token.ends_with('0') { '1' } else { '0' };
    let wrong = format!("{}{last}", &token[..63]);
    assert_ne!(wrong, token);
    let res = client.get(format!("{base}/api/status")).bearer_auth(wrong).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["message"], "missing or wrong token");
}

#[tokio::test]
async fn a_foreign_host_is_refused() {
    let (url, base, _dir, _stop) = start().await;
    let token = url.split("token=").nth(1).unwrap();
    let client = reqwest::Client::new();
    // What a DNS-rebinding page would send: our address, its host name.
    let res = client
        .get(format!("{base}/api/status"))
        .bearer_auth(token)
        .header("Host", "evil.example:80")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 421);
    let res = client.get(format!("{base}/")).header("Host", "evil.example").send().await.unwrap();
    assert_eq!(res.status(), 421);
}

#[tokio::test]
async fn every_response_carries_the_csp() {
    let (_url, base, _dir, _stop) = start().await;
    let client = reqwest::Client::new();
    for path in ["/", "/inbox/42", "/api/status"] {
        let res = client.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(res.headers()["content-security-policy"], CSP, "{path}");
        assert_eq!(res.headers()["referrer-policy"], "no-referrer", "{path}");
    }
    // Client-side routes get the app.
    let page = client.get(format!("{base}/inbox/42")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("<title>Switchboard</title>"));
}

#[tokio::test]
async fn commands_and_the_event_stream_need_the_token_too() {
    let (url, base, _dir, _stop) = start().await;
    let token = url.split("token=").nth(1).unwrap();
    let client = reqwest::Client::new();
    let call = |auth: Option<&str>, body: &str| {
        let mut req = client.post(format!("{base}/api/call")).body(body.to_owned());
        if let Some(t) = auth {
            req = req.bearer_auth(t);
        }
        req.send()
    };
    assert_eq!(call(None, r#"{"command":"status"}"#).await.unwrap().status(), 401);
    let ok = call(Some(token), r#"{"command":"inbox"}"#).await.unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.json::<serde_json::Value>().await.unwrap(), serde_json::json!({"rows": [], "next": null}));
    let bad = call(Some(token), r#"{"command":"drop_tables"}"#).await.unwrap();
    assert_eq!(bad.status(), 400);
    assert_eq!(bad.json::<serde_json::Value>().await.unwrap()["code"], "invalid");
    let missing = call(Some(token), r#"{"command":"thread","conversation":42}"#).await.unwrap();
    assert_eq!(missing.status(), 404);
    // The WebSocket takes the token in its URL; without it, or elsewhere than /events, no.
    let upgrade = |path: String| {
        client
            .get(format!("{base}{path}"))
            .header("Connection", "Upgrade")
            .header("Upgrade", "websocket")
            .header("Sec-WebSocket-Version", "13")
            .header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
            .send()
    };
    assert_eq!(upgrade("/api/events".into()).await.unwrap().status(), 401);
    assert_eq!(upgrade(format!("/api/events?token={token}")).await.unwrap().status(), 101);
    assert_eq!(client.get(format!("{base}/api/status?token={token}")).send().await.unwrap().status(), 401);
}
