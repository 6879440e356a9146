//! A read-only folder and a full disk: a clear one-line error, and the store is unchanged.
//! Both run the CLI in a private mount namespace (root, as on the development machines and CI),
//! so the read-only bind mount and the tiny tmpfs vanish with the test.

mod common;
use common::*;
use std::process::Command;

fn in_mount_namespace(env: &Env, script: &str) -> std::process::Output {
    Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-ec", script])
        .env("SB", BIN)
        .env("HOME", env.home.path())
        .env("XDG_STATE_HOME", env.home.path().join(".local/state"))
        .env("SWITCHBOARD_PASSPHRASE", env.passphrase.as_deref().unwrap())
        .output()
        .expect("unshare (util-linux) runs")
}

fn big_import(count: usize) -> String {
    let filler = "x".repeat(1000);
    (0..count)
        .map(|i| {
            format!(
                r#"{{"kind":"message","account":"sms:1","conversation":"big","id":"b{i}","direction":"in","author":{{"kind":"customer","handle":"5"}},"text":"{i} {filler}","at":"2026-01-01T00:00:00Z"}}"#
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_read_only_folder_is_reported_and_nothing_changes() {
    let env = Env::new(Some("pw"));
    env.ok(&["init"]);
    env.ok(&["import", env.file("s.jsonl", SAMPLE).to_str().unwrap()]);
    let more = env.file("more.jsonl", &big_import(3));
    let dir = env.store().parent().unwrap().to_owned();
    let before = checksum(&env.store());
    let out = in_mount_namespace(
        &env,
        &format!(
            r#"mount --bind "{d}" "{d}" && mount -o remount,ro,bind "{d}"
               if "$SB" --store "{s}" import "{m}" 2> "$HOME/err.txt"; then echo IMPORTED; fi"#,
            d = dir.display(),
            s = env.store().display(),
            m = more.display()
        ),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("IMPORTED"));
    let err = std::fs::read_to_string(env.home.path().join("err.txt")).unwrap();
    assert_eq!(err.trim(), format!("error: the store's folder {} is read-only; nothing was changed", dir.display()));
    assert_eq!(before, checksum(&env.store()));
    let stats: serde_json::Value = serde_json::from_str(&env.ok(&["stats", "--json"])).unwrap();
    assert_eq!(stats["messages"], 5);
}

#[test]
fn a_full_disk_is_reported_and_the_store_stays_as_it_was() {
    let env = Env::new(Some("pw"));
    env.ok(&["init"]);
    env.ok(&["import", env.file("s.jsonl", SAMPLE).to_str().unwrap()]);
    // ~16 MB of messages into a 4 MB file system (a store of 16 KiB pages starts at about 1.5 MB).
    let more = env.file("more.jsonl", &big_import(16000));
    let full = env.home.path().join("full");
    std::fs::create_dir(&full).unwrap();
    let store = env.store();
    let keyinfo = switchboard_core::keys::StoreMeta::path_for(&store);
    let out = in_mount_namespace(
        &env,
        &format!(
            r#"mount -t tmpfs -o size=4m tmpfs "{f}"
               cp "{s}" "{k}" "{f}/"
               sha256sum < "{f}/switchboard.db" > "$HOME/before.txt"
               if "$SB" --store "{f}/switchboard.db" import "{m}" 2> "$HOME/err.txt"; then echo IMPORTED; fi
               sha256sum < "{f}/switchboard.db" > "$HOME/after.txt"
               "$SB" --store "{f}/switchboard.db" stats --json > "$HOME/stats.json""#,
            f = full.display(),
            s = store.display(),
            k = keyinfo.display(),
            m = more.display()
        ),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("IMPORTED"));
    let read = |n: &str| std::fs::read_to_string(env.home.path().join(n)).unwrap();
    assert_eq!(
        read("err.txt").trim(),
        format!("error: the disk is full while writing the store at {}/switchboard.db; nothing was changed", full.display())
    );
    assert_eq!(read("before.txt"), read("after.txt"));
    let stats: serde_json::Value = serde_json::from_str(&read("stats.json")).unwrap();
    assert_eq!(stats["messages"], 5, "the store opens afterwards with its data intact");
}
