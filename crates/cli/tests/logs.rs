//! Message bodies, passphrases and keys never reach the logs, even in verbose mode.

mod common;
use common::*;
use switchboard_core::keys::{KeyProvider, PassphraseKeys, Slot, StoreMeta};

#[test]
fn logs_hold_no_message_text_token_or_key() {
    const BODY_MARKER: &str = "BODY-MARKER-4f2a9c";
    const TOKEN: &str = "TOKEN-MARKER-e81d07";
    let env = Env::new(Some(TOKEN));
    env.ok(&["--verbose", "init"]);
    let line = format!(
        r#"{{"kind":"message","account":"telegram:acme_bot","conversation":"77","id":"77:1","direction":"in","author":{{"kind":"customer","name":"Marker Customer","handle":"77"}},"text":"my card is {BODY_MARKER}","at":"2026-03-07T00:00:00Z"}}"#
    );
    let bad = format!("{{\"kind\":\"message\",\"text\":\"{BODY_MARKER}\"\n");
    let file = env.file("m.jsonl", &format!("{line}\n{bad}"));
    let mut stderr_all = String::new();
    for args in [
        vec!["--verbose", "import", file.to_str().unwrap()],
        vec!["--verbose", "search", BODY_MARKER],
        vec!["--verbose", "inbox"],
        vec!["--verbose", "thread", "1"],
        vec!["--verbose", "export"],
        vec!["--verbose", "stats"],
    ] {
        let out = env.run(&args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        stderr_all.push_str(&stderr(&out));
    }
    let mut wrong = env.command();
    wrong.env("SWITCHBOARD_PASSPHRASE", format!("{TOKEN}-wrong"));
    stderr_all.push_str(&stderr(&wrong.args(["--verbose", "inbox"]).output().unwrap()));

    // The key the passphrase derives, as it would appear if it leaked.
    let meta = StoreMeta::read(&env.store()).unwrap().unwrap();
    let key = PassphraseKeys::new(TOKEN).unwrap().key(&meta.store_id, &meta.key, Slot::Current).unwrap();
    let key_hex: String = key.expose().iter().map(|b| format!("{b:02x}")).collect();

    let mut logs = String::new();
    for entry in std::fs::read_dir(env.log_dir()).unwrap() {
        logs.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    // The logs are real: they record what happened.
    assert!(logs.contains("imported records=1"), "{logs}");
    assert!(logs.contains("searched hits=1"), "{logs}");
    assert!(logs.contains("wrong key or passphrase"), "{logs}");
    assert!(stderr_all.contains("DEBUG"), "verbose mode logs to stderr: {stderr_all}");
    for (what, needle) in [("message text", BODY_MARKER), ("passphrase", TOKEN), ("key", key_hex.as_str()), ("customer name", "Marker Customer")] {
        assert!(!logs.contains(needle), "the {what} is in the log file:\n{logs}");
        assert!(!stderr_all.contains(needle), "the {what} is on stderr:\n{stderr_all}");
    }
}
