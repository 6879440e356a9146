//! Every command of the CLI against a real encrypted store, in passphrase mode.

mod common;
use common::*;
use serde_json::Value;

#[test]
fn init_import_inbox_thread_search_export_stats() {
    let env = Env::new(Some("correct horse battery"));
    assert!(env.ok(&["init"]).contains("created an encrypted store"));
    let sample = env.file("sample.jsonl", SAMPLE);
    assert_eq!(env.ok(&["import", sample.to_str().unwrap()]).trim(), "imported 17 records (17 changed), skipped 0 bad lines");
    // Idempotent.
    assert_eq!(env.ok(&["import", sample.to_str().unwrap()]).trim(), "imported 17 records (0 changed), skipped 0 bad lines");

    let inbox: Value = serde_json::from_str(&env.ok(&["inbox", "--json", "--limit", "2"])).unwrap();
    assert_eq!(inbox.as_array().unwrap().len(), 2);
    assert_eq!(inbox[0]["channel"], "sms");
    let text = env.ok(&["inbox", "--status", "open", "--channel", "messenger"]);
    assert!(text.contains("김민지") && text.contains("Lena Ortiz") && !text.contains("sms "), "{text}");

    let thread: Value = serde_json::from_str(&env.ok(&["thread", "1", "--json"])).unwrap();
    assert_eq!(thread["messages"].as_array().unwrap().len(), 3);
    assert_eq!(thread["contact"]["name"], "Lena Ortiz");
    assert_eq!(thread["tags"][0], "refund");
    assert!(env.ok(&["thread", "1"]).contains("[2026-03-04 10:15 UTC] Lena Ortiz (customer): Where is order 1043?"));

    let hits: Value = serde_json::from_str(&env.ok(&["search", "주문", "--json"])).unwrap();
    assert_eq!(hits.as_array().unwrap().len(), 1);
    let hits: Value = serde_json::from_str(&env.ok(&["search", "refund", "--since", "2026-03-04T10:16:00Z", "--json"])).unwrap();
    assert_eq!(hits.as_array().unwrap().len(), 1);
    let contacts: Value = serde_json::from_str(&env.ok(&["search", "--contacts", "lena", "--json"])).unwrap();
    let lena = contacts[0]["id"].as_i64().unwrap().to_string();
    let hits: Value = serde_json::from_str(&env.ok(&["search", "refund", "--customer", &lena, "--json"])).unwrap();
    assert_eq!(hits.as_array().unwrap().len(), 2);

    let stats: Value = serde_json::from_str(&env.ok(&["stats", "--json"])).unwrap();
    assert_eq!(stats["messages"], 5);
    assert_eq!(stats["canned_replies"], 1);

    // Export to a file, import into a second store: the same export comes back.
    let out = env.home.path().join("export.jsonl");
    env.ok(&["export", "-o", out.to_str().unwrap()]);
    let exported = std::fs::read_to_string(&out).unwrap();
    let other = Env::new(Some("another one"));
    other.ok(&["init"]);
    other.ok(&["import", out.to_str().unwrap()]);
    assert_eq!(other.ok(&["export"]), exported);

    let transcript = env.ok(&["export", "--conversation", "1", "--format", "text"]);
    assert!(transcript.starts_with("Conversation #1 · messenger · Lena Ortiz"), "{transcript}");
}

#[test]
fn a_wrong_passphrase_fails_cleanly_and_changes_nothing() {
    let env = Env::new(Some("right passphrase"));
    env.ok(&["init"]);
    env.ok(&["import", env.file("s.jsonl", SAMPLE).to_str().unwrap()]);
    let before = checksum(&env.store());
    let mut cmd = env.command();
    cmd.env("SWITCHBOARD_PASSPHRASE", "wrong passphrase");
    let out = cmd.args(["inbox"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_one_line_error(&out, "wrong key or passphrase for the store at");
    assert_eq!(before, checksum(&env.store()));

    let mut cmd = env.command();
    cmd.env_remove("SWITCHBOARD_PASSPHRASE");
    let out = cmd.args(["inbox"]).output().unwrap();
    assert_one_line_error(&out, "protected by a passphrase; set SWITCHBOARD_PASSPHRASE");
}

#[test]
fn clear_errors_for_a_missing_store_bad_input_and_unknown_ids() {
    let env = Env::new(Some("pw"));
    assert_one_line_error(&env.run(&["inbox"]), "no store at");
    env.ok(&["init"]);
    assert_one_line_error(&env.run(&["init"]), "a store already exists");
    assert_one_line_error(&env.run(&["thread", "42"]), "conversation not found: 42");
    assert_one_line_error(&env.run(&["import", "/nonexistent.jsonl"]), "cannot open /nonexistent.jsonl");
    let junk = env.file("junk.jsonl", "not json\n{}\n");
    let out = env.run(&["import", junk.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("line 1:") && stderr(&out).contains("line 2:"), "{}", stderr(&out));
    assert!(stderr(&out).contains("error: nothing imported"), "{}", stderr(&out));
    assert_one_line_error(&env.run(&["search", "?!"]), "no words to look for");
    assert_one_line_error(&env.run(&["search", "x", "--since", "last week"]), "neither a date");
}

#[test]
fn rekey_with_a_new_passphrase() {
    let env = Env::new(Some("old passphrase"));
    env.ok(&["init"]);
    env.ok(&["import", env.file("s.jsonl", SAMPLE).to_str().unwrap()]);
    let out = env.run(&["rekey"]);
    assert_one_line_error(&out, "set SWITCHBOARD_NEW_PASSPHRASE");
    let out = env.command().env("SWITCHBOARD_NEW_PASSPHRASE", "new passphrase").arg("rekey").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_one_line_error(&env.run(&["stats"]), "wrong key or passphrase");
    let stats = env.command().env("SWITCHBOARD_PASSPHRASE", "new passphrase").args(["stats", "--json"]).output().unwrap();
    let stats: Value = serde_json::from_slice(&stats.stdout).unwrap();
    assert_eq!(stats["messages"], 5);
}

#[test]
fn customer_text_cannot_drive_the_terminal() {
    let env = Env::new(Some("pw"));
    env.ok(&["init"]);
    let line = r#"{"kind":"message","account":"sms:1","conversation":"c","id":"e1","direction":"in","author":{"kind":"customer","name":"Eve\u001b]0;owned\u0007","handle":"9"},"text":"hello \u001b[2J\u001b[31mred","at":"2026-01-01T00:00:00Z"}"#;
    env.ok(&["import", env.file("e.jsonl", line).to_str().unwrap()]);
    for args in [&["inbox"][..], &["thread", "1"], &["search", "hello"], &["export", "--format", "text"]] {
        let out = env.ok(args);
        assert!(!out.contains('\x1b') && !out.contains('\x07'), "{args:?}: {out:?}");
        assert!(out.contains("hello") || out.contains("Eve"), "{args:?}: {out}");
    }
    // JSON keeps the exact text, escaped.
    assert!(env.ok(&["thread", "1", "--json"]).contains(r"\u001b[2J"));
}

#[test]
fn customers_show_merge_and_unmerge_and_the_canned_library_renders() {
    let env = Env::new(Some("customers"));
    env.ok(&["init"]);
    env.ok(&["import", env.file("sample.jsonl", SAMPLE).to_str().unwrap()]);
    let show = |id: &str| -> Value { serde_json::from_str(&env.ok(&["customer", "show", id, "--json"])).unwrap() };
    let (lena, minji) = (show("ct_lena"), show("ct_minji"));
    assert_eq!(lena["contact"]["name"], "Lena Ortiz");
    assert_eq!(lena["identities"].as_array().unwrap().len(), 2);
    let text = env.ok(&["customer", "show", "ct_minji"]);
    assert!(text.starts_with("김민지 (") && text.contains("Asia/Seoul (now "), "{text}");

    let merged = env.ok(&["customer", "merge", "ct_lena", "ct_minji"]);
    assert!(merged.starts_with("merged 김민지 into customer"), "{merged}");
    let both = show("ct_lena");
    assert_eq!(both["identities"].as_array().unwrap().len(), 3);
    // The merged-away id leads to the merged customer.
    assert_eq!(show("ct_minji")["contact"]["uid"], "ct_lena");
    let merge = both["merges"][0]["id"].as_i64().unwrap().to_string();
    assert!(env.ok(&["customer", "unmerge", &merge]).contains("separate again"));
    assert_eq!((show("ct_lena"), show("ct_minji")), (lena, minji));
    let out = env.run(&["customer", "unmerge", &merge]);
    assert_one_line_error(&out, "merge");

    let list = env.ok(&["canned", "list"]);
    assert!(list.starts_with("/where") && list.contains("Where is my order"), "{list}");
    // Lena reads English; her latest order fills the number.
    let rendered = env.ok(&["canned", "render", "where", "--conversation", "1"]);
    assert!(rendered.starts_with("Hi Lena, order 1043 is on its way."), "{rendered}");
    let library = env.ok(&["export", "--canned"]);
    assert!(library.lines().count() >= 1 && library.lines().all(|l| l.contains(r#""kind":"canned_reply""#)), "{library}");
}

#[test]
fn sla_prints_each_open_conversations_clocks_as_of_a_time() {
    let env = Env::new(Some("clocks"));
    env.ok(&["init"]);
    env.ok(&["import", env.file("sample.jsonl", SAMPLE).to_str().unwrap()]);
    // The sample's conversations began on 2026-03-04; a week later every first reply not given
    // is long over, whatever the calendar.
    let views: Value = serde_json::from_str(&env.ok(&["sla", "--json", "--at", "2026-03-11T12:00:00Z"])).unwrap();
    let views = views.as_array().unwrap();
    assert!(!views.is_empty());
    assert!(views.iter().all(|v| v["policy"].is_string()), "a default policy covers every priority: {views:?}");
    let states: Vec<&str> = views.iter().flat_map(|v| v["clocks"].as_array().unwrap()).map(|c| c["state"].as_str().unwrap()).collect();
    assert!(states.contains(&"breached"), "{states:?}");
    let text = env.ok(&["sla", "--at", "2026-03-11T12:00:00Z"]);
    assert!(text.starts_with("ID") && text.contains("over by"), "{text}");
    let out = env.run(&["sla", "--at", "next tuesday"]);
    assert_one_line_error(&out, "neither a date");
}
