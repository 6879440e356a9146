//! `switchboard hub` as a process, on each engine: it serves the API, and its admin subcommands
//! change the team in the same database while it runs (a new person enrols through the running
//! hub; a removed one is refused by it at once).

mod common;

use common::{in_session, Env, BIN};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// A running hub; stopped when dropped.
struct Running {
    child: Child,
    url: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn hub(env: &Env, database: &str) -> Command {
    let mut cmd = Command::new(BIN);
    env.isolate(&mut cmd).env("SWITCHBOARD_PASSPHRASE", "hub-pass").args(["hub", "--database", database]);
    cmd
}

fn start(env: &Env, database: &str) -> Running {
    let mut child = hub(env, database).args(["--listen", "127.0.0.1:0"]).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    // The first line is the address it serves on, printed once it listens.
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    assert!(line.starts_with("http://127.0.0.1:"), "{line:?}");
    Running { child, url: format!("{}/api/v1", line.trim()) }
}

fn admin(env: &Env, database: &str, args: &[&str]) -> std::process::Output {
    hub(env, database).args(args).output().unwrap()
}

fn ok(env: &Env, database: &str, args: &[&str]) -> String {
    let out = admin(env, database, args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn the_team_is_run_from_the_command_line_while_the_hub_serves(database: &str, env: &Env) {
    let code = ok(env, database, &["person", "add", "Mina", "--role", "supervisor"]).trim().to_owned();
    let running = start(env, database);
    let http = reqwest::blocking::Client::new();
    let enrol = |code: &str| http.post(format!("{}/enrol", running.url)).json(&json!({ "code": code })).send().unwrap();
    let mina: Value = enrol(&code).json().unwrap();
    let token = mina["token"].as_str().unwrap().to_owned();

    // Added while it runs: enrols through it.
    let sam_code = ok(env, database, &["person", "add", "Sam", "--role", "agent"]).trim().to_owned();
    let sam: Value = enrol(&sam_code).json().unwrap();
    assert_eq!(sam["person"]["role"], "agent");
    let sam_token = sam["token"].as_str().unwrap().to_owned();
    let me = |token: &str| http.get(format!("{}/me", running.url)).bearer_auth(token).send().unwrap().status().as_u16();
    assert_eq!(me(&sam_token), 200);
    assert_eq!(ok(env, database, &["person", "list"]), "Mina\tsupervisor\nSam\tagent\n");
    let listed: Value = serde_json::from_str(&ok(env, database, &["person", "list", "--json"])).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 2);

    // Removed while it runs: refused by it at once.
    ok(env, database, &["person", "remove", "sam"]);
    assert_eq!(me(&sam_token), 401);
    assert_eq!(me(&token), 200);
    let again = admin(env, database, &["person", "add", "MINA", "--role", "agent"]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("is on this hub already"));
    // A new code for a second desk.
    let second = ok(env, database, &["person", "code", "Mina"]).trim().to_owned();
    assert_eq!(enrol(&second).status().as_u16(), 200);
    assert_eq!(enrol(&second).status().as_u16(), 401, "used once");
}

#[test]
fn on_the_embedded_engine() {
    let env = Env::new(None);
    let database = env.home.path().join("hub.db").display().to_string();
    the_team_is_run_from_the_command_line_while_the_hub_serves(&database, &env);
    // The file is encrypted with the passphrase: another does not open it.
    let wrong = hub(&env, &database).env("SWITCHBOARD_PASSPHRASE", "not-it").args(["person", "list"]).output().unwrap();
    assert!(!wrong.status.success());
}

#[test]
fn on_postgresql() {
    let env = Env::new(None);
    let server = switchboard_hub::testing::postgres();
    the_team_is_run_from_the_command_line_while_the_hub_serves(&server.database(), &env);
}

#[test]
fn off_loopback_it_asks_for_tls_before_touching_a_database() {
    let env = Env::new(None);
    let database = env.home.path().join("never.db");
    let out = hub(&env, &database.display().to_string()).args(["--listen", "0.0.0.0:7272"]).output().unwrap();
    common::assert_one_line_error(&out, "--tls-cert");
    assert!(!database.exists());
}

/// A desk joins the team from the command line (`account add hub`), and `sync` replicates the
/// hub's log into its store: the desk's inbox shows what the hub's log holds.
#[test]
fn a_desk_joins_a_team_from_the_command_line_and_syncs_its_log() {
    let env = Env::new(None);
    let database = env.home.path().join("hub.db").display().to_string();
    let code = ok(&env, &database, &["person", "add", "Sam", "--role", "agent"]).trim().to_owned();
    let running = start(&env, &database);
    // What the hub's connectors would have appended (they come in a later step): written to the
    // hub's database beside the running hub.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        use switchboard_hub::{Append, Engine, NewEntry, SqliteEngine};
        let keys = switchboard_core::keys::PassphraseKeys::new("hub-pass").unwrap();
        let engine = SqliteEngine::open(std::path::Path::new(&database), &keys).unwrap();
        let records = [
            json!({ "kind": "person", "id": 1, "name": "Sam", "role": "agent" }),
            json!({ "kind": "message", "account": "sms:+15550100", "conversation": "+15550123", "id": "SM1", "direction": "in",
                    "author": { "kind": "customer", "name": "Lena Ortiz", "handle": "+15550123" }, "text": "Is my order on its way?", "at": "2026-12-01T10:00:00Z" }),
            json!({ "kind": "assignment", "account": "sms:+15550100", "conversation": "+15550123", "assignee": "Sam" }),
        ];
        let entries = records.iter().map(|r| NewEntry::new(r.to_string())).collect();
        engine.append(Append::entries(entries, jiff::Timestamp::now())).await.unwrap();
    });
    let hub_url = running.url.trim_end_matches("/api/v1").to_owned();
    let out = in_session(
        &env,
        true,
        r#"
        "$SB" --store "$STORE" init > /dev/null
        "$SB" --store "$STORE" account add hub --url "$HUB" --code "$CODE" > "$HOME/joined.txt"
        if "$SB" --store "$STORE" account add hub --url "$HUB" --code "$CODE" 2> "$HOME/again.txt"; then exit 3; fi
        "$SB" --store "$STORE" sync --once > /dev/null
        "$SB" --store "$STORE" inbox --json > "$HOME/inbox.json"
        "$SB" --store "$STORE" account list > "$HOME/accounts.txt"
        secret-tool search --all service switchboard > "$HOME/secrets.txt" 2>&1
        "#,
        &[("HUB", hub_url.as_str()), ("CODE", code.as_str())],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let read = |name: &str| std::fs::read_to_string(env.home.path().join(name)).unwrap();
    let port = hub_url.rsplit(':').next().unwrap();
    assert_eq!(read("joined.txt").trim(), format!("joined the team at hub:127.0.0.1:{port} as Sam (agent); run `switchboard sync` to follow it"));
    assert!(read("again.txt").contains("did not enrol"), "{}", read("again.txt"));
    let inbox: Value = serde_json::from_str(&read("inbox.json")).unwrap();
    let rows = inbox.as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0]["assignee"].as_str(), rows[0]["customer"].as_str()), (Some("Sam"), Some("Lena Ortiz")));
    assert!(read("accounts.txt").contains(&format!("hub:127.0.0.1:{port}")));
    // The token is in the keychain, and in no file of the store.
    let secrets = read("secrets.txt");
    assert!(secrets.contains(&format!("hub:127.0.0.1:{port}")), "{secrets}");
    let kept: Vec<&str> = secrets.lines().filter_map(|l| l.strip_prefix("secret = ")).filter(|s| s.len() == 64).collect();
    assert!(!kept.is_empty(), "{secrets}");
    common::assert_not_in_store_files(&env, &kept);
}

/// Two `switchboard hub` processes on one PostgreSQL database run the sandbox's Telegram and SMS
/// accounts, each on one of them; `kill -9` of the one running Telegram hands its accounts to the
/// other once their leases expire; every message is in the log exactly once, those written while
/// no hub ran them included.
#[test]
fn kill_9_of_the_hub_running_the_accounts_hands_them_to_another_with_nothing_lost_or_doubled() {
    use switchboard_sandbox::credentials as c;
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sandbox = runtime.block_on(switchboard_sandbox::Sandbox::start(switchboard_sandbox::Config { seed: 21, conversations: 40, ..Default::default() }, 0)).unwrap();
    let env = Env::new(None);
    let server = switchboard_hub::testing::postgres();
    let database = server.database();
    let add = |args: &[&str]| {
        let out = hub(&env, &database).args(["account", "add"]).args(args).env("TOKEN", if args[0] == "telegram" { c::TELEGRAM_BOT_TOKEN } else { c::TWILIO_AUTH_TOKEN }).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };
    add(&["telegram", "--name", "acme_support_bot", "--base-url", &sandbox.base_url, "--token-env", "TOKEN"]);
    add(&["sms", "--name", c::SMS_NUMBER, "--account-sid", c::TWILIO_ACCOUNT_SID, "--base-url", &sandbox.base_url, "--token-env", "TOKEN"]);
    let duplicate = admin(&env, &database, &["account", "add", "sms", "--name", c::SMS_NUMBER, "--account-sid", c::TWILIO_ACCOUNT_SID, "--token-env", "TOKEN"]);
    assert!(!duplicate.status.success());
    let code = ok(&env, &database, &["person", "add", "Mina", "--role", "supervisor"]).trim().to_owned();

    let start_hub = || {
        let mut child = hub(&env, &database).args(["--listen", "127.0.0.1:0", "--lease-seconds", "3"]).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        Running { child, url: format!("{}/api/v1", line.trim()) }
    };
    let mut hubs = vec![start_hub(), start_hub()];
    let http = reqwest::blocking::Client::builder().timeout(std::time::Duration::from_secs(60)).build().unwrap();
    let token = http.post(format!("{}/enrol", hubs[0].url)).json(&json!({ "code": code })).send().unwrap().json::<Value>().unwrap()["token"].as_str().unwrap().to_owned();

    // Every message id in the log, with how often it is there, once there are `expected`.
    let follow = |url: &str, expected: usize| -> std::collections::HashMap<String, usize> {
        let (mut seen, mut after) = (std::collections::HashMap::<String, usize>::new(), 0i64);
        while seen.len() < expected {
            let page: Value = http.get(format!("{url}/log?after={after}&wait=30")).bearer_auth(&token).send().unwrap().json().unwrap();
            for entry in page["entries"].as_array().unwrap() {
                after = entry["seq"].as_i64().unwrap();
                if entry["record"]["kind"] == "message" {
                    *seen.entry(format!("{}/{}", entry["record"]["account"], entry["record"]["id"])).or_default() += 1;
                }
            }
        }
        seen
    };
    let expected = || {
        let stats = sandbox.controller.stats();
        stats.channels["telegram"].messages + stats.channels["sms"].messages
    };
    follow(&hubs[1].url, expected());

    // The hub that runs the Telegram account (the two started together: it may run both, or
    // the other may have taken the SMS one): its process id is in its name.
    let listed: Value = serde_json::from_str(&ok(&env, &database, &["account", "list", "--json"])).unwrap();
    let holder = listed.as_array().unwrap().iter().find(|a| a["key"] == "telegram:acme_support_bot").unwrap()["hub"].as_str().unwrap().to_owned();
    let running = hubs.iter().position(|h| holder.contains(&format!("-{}-", h.child.id()))).expect("the holder is one of the two");
    let mut dead = hubs.remove(running);
    dead.child.kill().unwrap();
    dead.child.wait().unwrap();

    // Customers write while no hub runs the accounts; the survivor takes them over and pulls it.
    sandbox.controller.customer_says("telegram", "Hello? Is anyone there?").unwrap();
    sandbox.controller.customer_says("sms", "Still waiting for my refund").unwrap();
    let seen = follow(&hubs[0].url, expected());
    assert_eq!(seen.len(), expected());
    let twice: Vec<_> = seen.iter().filter(|(_, &n)| n > 1).collect();
    assert!(twice.is_empty(), "in the log twice: {twice:?}");
    let listed: Value = serde_json::from_str(&ok(&env, &database, &["account", "list", "--json"])).unwrap();
    for account in listed.as_array().unwrap() {
        assert!(account["hub"].as_str().unwrap().contains(&format!("-{}-", hubs[0].child.id())), "{listed}");
    }
    // Secrets never reach the hubs' answers or logs.
    let listed = ok(&env, &database, &["account", "list", "--json"]);
    assert!(!listed.contains(c::TELEGRAM_BOT_TOKEN) && !listed.contains(c::TWILIO_AUTH_TOKEN));
    drop(hubs);
    let logs: Vec<_> = std::fs::read_dir(env.log_dir()).unwrap().map(|f| std::fs::read_to_string(f.unwrap().path()).unwrap()).collect();
    assert!(logs.iter().any(|l| l.contains("running the account")), "the hubs logged");
    for log in &logs {
        for secret in [c::TELEGRAM_BOT_TOKEN, c::TWILIO_AUTH_TOKEN, "sandbox-telegram-token"] {
            assert!(!log.contains(secret), "a hub's log holds a secret");
        }
    }
}
