#![allow(dead_code)]
//! Runs the real `switchboard` binary in an isolated home: its own store, logs and keyring.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const SAMPLE: &str = include_str!("../../../core/tests/fixtures/sample.jsonl");
pub const BIN: &str = env!("CARGO_BIN_EXE_switchboard");

pub struct Env {
    pub home: tempfile::TempDir,
    pub passphrase: Option<String>,
}

impl Env {
    pub fn new(passphrase: Option<&str>) -> Env {
        Env { home: tempfile::tempdir().unwrap(), passphrase: passphrase.map(str::to_owned) }
    }

    pub fn store(&self) -> PathBuf {
        self.home.path().join("data/switchboard.db")
    }

    pub fn file(&self, name: &str, contents: &str) -> PathBuf {
        let p = self.home.path().join(name);
        std::fs::write(&p, contents).unwrap();
        p
    }

    /// A clean environment whose home, data, state, config, cache and runtime folders are all
    /// inside this test's temporary home.
    pub fn isolate<'c>(&self, cmd: &'c mut Command) -> &'c mut Command {
        let h = self.home.path();
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", h)
            .env("XDG_DATA_HOME", h.join(".local/share"))
            .env("XDG_STATE_HOME", h.join(".local/state"))
            .env("XDG_CONFIG_HOME", h.join(".config"))
            .env("XDG_CACHE_HOME", h.join(".cache"))
            .env("XDG_RUNTIME_DIR", h)
    }

    pub fn command(&self) -> Command {
        let mut cmd = Command::new(BIN);
        self.isolate(&mut cmd).arg("--store").arg(self.store());
        if let Some(p) = &self.passphrase {
            cmd.env("SWITCHBOARD_PASSPHRASE", p);
        }
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().unwrap()
    }

    /// Runs and insists on success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "switchboard {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    pub fn log_dir(&self) -> PathBuf {
        self.home.path().join(".local/state/switchboard/logs")
    }
}

/// Fails if a file of the store (the database, its WAL, anything beside it) holds a secret.
pub fn assert_not_in_store_files(env: &Env, secrets: &[&str]) {
    for file in std::fs::read_dir(env.store().parent().unwrap()).unwrap() {
        let path = file.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        for secret in secrets {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{} holds a secret",
                path.display()
            );
        }
    }
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn checksum(path: &Path) -> String {
    Sha256::digest(std::fs::read(path).unwrap()).iter().map(|b| format!("{b:02x}")).collect()
}

/// An error message is one line, prefixed "error: ".
pub fn assert_one_line_error(out: &Output, expected: &str) {
    assert!(!out.status.success(), "expected failure");
    let err = stderr(out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(lines[0].starts_with("error: ") && lines[0].contains(expected), "{err}");
}

/// Runs `script` in a private D-Bus session. With `keyring`, the session's Secret Service is
/// gnome-keyring, started on first use and unlocked with a known password, as a login session
/// does. gnome-keyring has been seen to crash when its clients are killed mid-call; being
/// activated on demand, it then comes back unlocked instead of leaving the rest of the test with
/// a locked keychain.
pub fn in_session(env: &Env, keyring: bool, script: &str, vars: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = Command::new("dbus-run-session");
    env.isolate(&mut cmd);
    if keyring {
        cmd.arg(format!("--config-file={}", keyring_session_config(env).display()));
    }
    cmd.env("SB", BIN)
        .env("STORE", env.store())
        .env("SAMPLE", env.file("sample.jsonl", SAMPLE))
        .envs(vars.iter().copied())
        .args(["--", "sh", "-ec", script]);
    cmd.output().expect("dbus-run-session (package dbus) is installed by `cargo xtask setup`")
}

/// A session bus configuration whose only activatable service is an unlocked gnome-keyring.
fn keyring_session_config(env: &Env) -> PathBuf {
    let dir = env.home.path().join("dbus");
    std::fs::create_dir_all(dir.join("services")).unwrap();
    std::fs::write(
        dir.join("services/org.freedesktop.secrets.service"),
        "[D-BUS Service]\nName=org.freedesktop.secrets\n\
         Exec=/bin/sh -c \"printf keyring-pw | exec gnome-keyring-daemon --foreground --unlock --components=secrets\"\n",
    )
    .unwrap();
    let config = dir.join("session.conf");
    std::fs::write(
        &config,
        format!(
            r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:tmpdir=/tmp</listen>
  <servicedir>{}</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
            dir.join("services").display()
        ),
    )
    .unwrap();
    config
}
