//! `cargo xtask setup|run|test|bench|bindings`: the project's automation, in Rust so it needs
//! nothing but cargo. Every command sets up first, so each works on a fresh Debian machine.

use std::path::{Path, PathBuf};
use std::process::{exit, Command};

/// Debian packages the build and the tests need (see shared design notes on these machines).
const APT_PACKAGES: &[&str] = &[
    // Tauri / WebKitGTK build
    "build-essential", "pkg-config", "file", "perl", "make",
    "libwebkit2gtk-4.1-dev", "libgtk-3-dev", "libayatana-appindicator3-dev", "librsvg2-dev",
    "libssl-dev", "libsoup-3.0-dev", "libjavascriptcoregtk-4.1-dev", "libxdo-dev", "libdbus-1-dev",
    // Running headless, the keychain, private mounts for storage-fault tests
    "xvfb", "xauth", "dbus", "dbus-x11", "gnome-keyring", "libsecret-tools", "keyutils", "util-linux", "mount",
    // Real mail peers for the email tests, and PostgreSQL for the hub's (each started by its
    // tests on loopback, never as services)
    "dovecot-imapd", "dovecot-lmtpd", "postfix", "postgresql",
    // The browser and desktop tests (Chromium; WebKitWebDriver under tauri-driver), the
    // notification daemon they talk to, what reads the tray (gdbus) and the window title
    // (xwininfo), and Korean glyphs for their screenshots
    "chromium", "webkit2gtk-driver", "dunst", "libnotify-bin", "libglib2.0-bin", "x11-utils", "fonts-nanum",
    // The UI build
    "nodejs", "npm",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_owned()
}

fn run(cmd: &mut Command) {
    eprintln!("$ {}", describe(cmd));
    let status = cmd.status().unwrap_or_else(|e| {
        eprintln!("xtask: cannot start {}: {e}", describe(cmd));
        exit(1)
    });
    if !status.success() {
        eprintln!("xtask: `{}` failed ({status})", describe(cmd));
        exit(status.code().unwrap_or(1));
    }
}

fn describe(cmd: &Command) -> String {
    std::iter::once(cmd.get_program().to_string_lossy().into_owned())
        .chain(cmd.get_args().map(|a| a.to_string_lossy().into_owned()))
        .collect::<Vec<_>>()
        .join(" ")
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

fn missing_packages() -> Vec<&'static str> {
    let out = Command::new("dpkg-query").args(["-W", "-f=${Package} ${db:Status-Abbrev}\n"]).args(APT_PACKAGES).output();
    let installed: Vec<String> = match out {
        Ok(o) => String::from_utf8_lossy(&o.stdout)
            .lines()
            .filter(|l| l.trim_end().ends_with("ii"))
            .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
            .collect(),
        Err(_) => Vec::new(),
    };
    APT_PACKAGES.iter().copied().filter(|p| !installed.iter().any(|i| i == p)).collect()
}

fn setup() {
    let missing = missing_packages();
    // Node may come from elsewhere (NodeSource); only install Debian's when there is none.
    let have_node = Command::new("node").arg("--version").output().map(|o| o.status.success()).unwrap_or(false);
    let missing: Vec<&str> = missing.into_iter().filter(|p| !(have_node && (*p == "nodejs" || *p == "npm"))).collect();
    if !missing.is_empty() {
        if missing.contains(&"postfix") {
            // Postfix's installer asks how mail should flow; the tests configure their own.
            let mut preseed = Command::new("debconf-set-selections");
            preseed.stdin(std::process::Stdio::piped());
            let mut child = preseed.spawn().unwrap_or_else(|e| {
                eprintln!("xtask: cannot start debconf-set-selections: {e}");
                exit(1)
            });
            use std::io::Write as _;
            child
                .stdin
                .take()
                .expect("piped")
                .write_all(b"postfix postfix/main_mailer_type select No configuration\n")
                .expect("preseed");
            if !child.wait().is_ok_and(|s| s.success()) {
                eprintln!("xtask: debconf-set-selections failed");
                exit(1);
            }
        }
        run(Command::new("apt-get").arg("update").arg("-q"));
        run(Command::new("apt-get")
            .args(["install", "-y", "-q", "--no-install-recommends"])
            .args(&missing)
            .env("DEBIAN_FRONTEND", "noninteractive"));
    }
    let ui = root().join("ui");
    let stamp = ui.join("node_modules/.package-lock.json");
    let lock = ui.join("package-lock.json");
    let fresh = match (std::fs::metadata(&stamp).and_then(|m| m.modified()), std::fs::metadata(&lock).and_then(|m| m.modified())) {
        (Ok(installed), Ok(locked)) => installed >= locked,
        _ => false,
    };
    if !fresh {
        run(Command::new("npm").args(["ci", "--no-audit", "--no-fund"]).current_dir(&ui));
    }
    run(Command::new("npm").args(["run", "build"]).current_dir(&ui));
    // The desktop tests' WebDriver bridge (to WebKitWebDriver); ~30 s to build once.
    let has_driver = Command::new("tauri-driver").arg("--help").output().is_ok();
    if !has_driver {
        run(cargo().args(["install", "--locked", "tauri-driver", "--version", "2.1.0"]));
    }
}

fn has_display() -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY"].iter().any(|v| std::env::var_os(v).is_some_and(|x| !x.is_empty()))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rest = || args.iter().skip(1).cloned().collect::<Vec<_>>();
    match args.first().map(String::as_str) {
        Some("setup") => setup(),
        Some("run") => {
            setup();
            if has_display() {
                run(cargo().current_dir(root()).args(["run", "-p", "switchboard-desktop", "--"]).args(rest()));
            } else {
                eprintln!("xtask: no display; serving the app with demo data on 127.0.0.1 (open the URL printed below)");
                let demo_store = root().join("target/demo/switchboard.db");
                run(cargo()
                    .current_dir(root())
                    .args(["run", "-p", "switchboard-cli", "--bin", "switchboard", "--", "--store"])
                    .arg(&demo_store)
                    .args(["serve", "--demo"])
                    .env("SWITCHBOARD_PASSPHRASE", "demo")
                    .args(rest()));
            }
        }
        Some("test") => {
            setup();
            run(cargo().current_dir(root()).args(["test", "--workspace", "--locked"]).args(rest()));
            // The UI's browser and desktop tests drive these two binaries.
            run(cargo().current_dir(root()).args(["build", "--locked", "-p", "switchboard-cli", "-p", "switchboard-desktop"]));
            // The UI type-checks against the generated command map before its tests run.
            run(Command::new("npm").args(["run", "check"]).current_dir(root().join("ui")));
            run(Command::new("npm").args(["test"]).current_dir(root().join("ui")));
        }
        Some("bench") => {
            setup();
            let which = args.get(1).map(String::as_str).unwrap_or("store");
            run(cargo()
                .current_dir(root())
                .args(["run", "--release", "-p", "switchboard-cli", "--bin", "switchboard", "--", "bench", which])
                .args(args.iter().skip(2)));
        }
        Some("bundle") => {
            setup();
            // The Tauri CLI (npm, prebuilt) bundles the root package: a release build and a .deb.
            // Installed here only, without saving: the registry here does not list its builds for
            // other platforms, which would leave package-lock.json unusable for `npm ci`.
            run(Command::new("npm")
                .args(["install", "--no-save", "--no-audit", "--no-fund", "@tauri-apps/cli@2.12.5"])
                .current_dir(root().join("ui")));
            run(Command::new(root().join("ui/node_modules/.bin/tauri"))
                .current_dir(root())
                .args(["build", "--bundles", "deb", "--", "-p", "switchboard-desktop"])
                .env("TAURI_FRONTEND_PATH", "ui"));
            let dir = root().join("target/release/bundle/deb");
            let debs: Vec<_> = std::fs::read_dir(&dir)
                .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "deb")).collect())
                .unwrap_or_default();
            for deb in &debs {
                println!("{}", deb.display());
            }
            if debs.is_empty() {
                eprintln!("xtask: no .deb in {}", dir.display());
                exit(1);
            }
        }
        Some("bindings") => {
            run(cargo()
                .current_dir(root())
                .args(["test", "-p", "switchboard-api", "--test", "workspace", "generated_typescript_is_current"])
                .env("UPDATE_BINDINGS", "1"));
        }
        _ => {
            eprintln!(
                "usage: cargo xtask <command>\n\n  setup      install system and npm packages, build the UI\n  run        run the app: a window with a display, web mode on 127.0.0.1 without\n  test       every test (Rust and UI)\n  bench X    a benchmark in release mode (X: store, sync, sla, import or hub)\n  bundle     the desktop app as a .deb (target/release/bundle/deb)\n  bindings   regenerate the UI's TypeScript types"
            );
            exit(2);
        }
    }
}
