//! `switchboard hub` as a process, on each engine: it serves the API, and its admin subcommands
//! change the team in the same database while it runs (a new person enrols through the running
//! hub; a removed one is refused by it at once).

mod common;

use common::{Env, BIN};
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
