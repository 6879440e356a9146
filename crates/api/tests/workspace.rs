//! The Workspace reports what the UI must show, without a window.

use switchboard_api::{StoreState, Workspace};

#[test]
fn status_reports_an_unlocked_store_with_counts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let ws = Workspace::open(&path, Some("pw".into()), true);
    let status = ws.status().unwrap();
    assert_eq!(status.app, "Switchboard");
    assert_eq!(status.store.state, StoreState::Unlocked);
    assert_eq!(status.store.counts.unwrap().messages, 0);
}

#[test]
fn status_tells_missing_locked_and_wrong_key_apart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    assert_eq!(Workspace::open(&path, None, false).status().unwrap().store.state, StoreState::Missing);
    drop(Workspace::open(&path, Some("pw".into()), true));
    let locked = Workspace::open(&path, None, false).status().unwrap().store;
    assert_eq!(locked.state, StoreState::Locked);
    assert!(locked.message.unwrap().contains("SWITCHBOARD_PASSPHRASE"));
    let wrong = Workspace::open(&path, Some("nope".into()), false).status().unwrap().store;
    assert_eq!(wrong.state, StoreState::Error);
    assert!(wrong.message.unwrap().contains("wrong key or passphrase"));
}

#[test]
fn generated_typescript_is_current() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/lib/generated");
    let update = std::env::var_os("UPDATE_BINDINGS").is_some();
    let mut stale = Vec::new();
    for (file, decl) in switchboard_api::commands::bindings() {
        let path = dir.join(file);
        if update {
            std::fs::write(&path, &decl).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(decl.as_str()) {
            stale.push(file);
        }
    }
    assert!(stale.is_empty(), "stale TypeScript bindings {stale:?}: run `cargo xtask bindings`");
}
