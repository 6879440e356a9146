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

/// Runs `script` in a private D-Bus session, with an unlocked gnome-keyring when `keyring`.
pub fn in_session(env: &Env, keyring: bool, script: &str, vars: &[(&str, &str)]) -> std::process::Output {
    let unlock = if keyring {
        "eval \"$(printf 'keyring-pw' | gnome-keyring-daemon --unlock --components=secrets)\"\n"
    } else {
        ""
    };
    let mut cmd = Command::new("dbus-run-session");
    env.isolate(&mut cmd)
        .env("SB", BIN)
        .env("STORE", env.store())
        .env("SAMPLE", env.file("sample.jsonl", SAMPLE))
        .envs(vars.iter().copied())
        .args(["--", "sh", "-ec"])
        .arg(format!("{unlock}{script}"));
    cmd.output().expect("dbus-run-session (package dbus) is installed by `cargo xtask setup`")
}

