//! Keychain mode against a real Secret Service: gnome-keyring on a private D-Bus session.

mod common;
use common::*;

#[test]
fn keychain_mode_keeps_the_key_in_the_secret_service() {
    let env = Env::new(None);
    let out = in_session(
        &env,
        true,
        r#"
        "$SB" --store "$STORE" init
        "$SB" --store "$STORE" import "$SAMPLE"
        "$SB" --store "$STORE" stats --json > "$HOME/stats.json"
        secret-tool search --all service switchboard > "$HOME/secrets.txt" 2>&1
        "$SB" --store "$STORE" rekey
        "$SB" --store "$STORE" search 주문 --json > "$HOME/hits.json"
        secret-tool search --all service switchboard > "$HOME/secrets-after.txt" 2>&1
        "#,
        &[],
    );
    assert!(out.status.success(), "{}\n{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    let read = |name: &str| std::fs::read_to_string(env.home.path().join(name)).unwrap();
    let stats: serde_json::Value = serde_json::from_str(&read("stats.json")).unwrap();
    assert_eq!(stats["messages"], 5);
    let meta = switchboard_core::keys::StoreMeta::read(&env.store()).unwrap().unwrap();
    assert_eq!(meta.key.mode, switchboard_core::keys::KeyMode::Keychain);
    // The key is a keyring item named after the store, and nothing of it is in the key file.
    let secrets = read("secrets.txt");
    assert!(secrets.contains(&format!("store-key:{}", meta.store_id)), "{secrets}");
    let after = read("secrets-after.txt");
    assert_eq!(after.matches("secret = ").count(), 1, "the re-key leaves one key, not a pending one: {after}");
    assert_ne!(secrets.lines().find(|l| l.starts_with("secret = ")), after.lines().find(|l| l.starts_with("secret = ")), "a new key");
    let keyinfo = std::fs::read_to_string(switchboard_core::keys::StoreMeta::path_for(&env.store())).unwrap();
    for line in after.lines().filter(|l| l.starts_with("secret = ")) {
        let secret = line.trim_start_matches("secret = ");
        assert_eq!(secret.len(), 64, "a 256-bit key in hex");
        assert!(!keyinfo.contains(secret));
    }
    let hits: serde_json::Value = serde_json::from_str(&read("hits.json")).unwrap();
    assert_eq!(hits.as_array().unwrap().len(), 1, "the re-keyed store opens with the new keychain key");
}

#[test]
fn without_a_keychain_the_error_points_to_the_passphrase() {
    let env = Env::new(None);
    // A D-Bus session with no Secret Service on it.
    let out = in_session(&env, false, r#""$SB" --store "$STORE" init"#, &[]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("OS keychain is unavailable") && err.contains("SWITCHBOARD_PASSPHRASE"), "{err}");
    assert!(!env.store().exists(), "no store is left behind without its key");
}
