//! The sync commands end to end: a `switchboard sandbox` process, accounts whose secrets go into
//! a real Secret Service, `sync`, `reply` and `outbox`.

mod common;
use common::*;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use switchboard_sandbox::credentials as c;

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `switchboard sandbox` and reads the base URL it prints first.
fn sandbox(conversations: usize) -> (Running, String) {
    let mut child = Command::new(BIN)
        .args(["sandbox", "--conversations", &conversations.to_string(), "--seed", "5"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    (Running(child), line.trim().to_owned())
}

/// What the test scripts use to connect accounts to the sandbox at `url`: its address, secrets,
/// numbers, Page and template.
fn sandbox_vars(url: &str) -> Vec<(&'static str, &str)> {
    vec![
        ("URL", url),
        ("TG_TOKEN", c::TELEGRAM_BOT_TOKEN),
        ("TW_TOKEN", c::TWILIO_AUTH_TOKEN),
        ("SID", c::TWILIO_ACCOUNT_SID),
        ("SMS", c::SMS_NUMBER),
        ("WA", c::WHATSAPP_NUMBER.trim_start_matches("whatsapp:")),
        ("PAGE", c::PAGE_ID),
        ("PAGE_TOKEN", c::PAGE_TOKEN),
        ("X_TOKEN", c::X_TOKEN),
        ("XK_API_KEY", c::X_CONSUMER_KEY),
        ("XK_API_KEY_SECRET", c::X_CONSUMER_SECRET),
        ("XK_ACCESS_TOKEN", c::X_ACCESS_TOKEN),
        ("XK_ACCESS_TOKEN_SECRET", c::X_ACCESS_TOKEN_SECRET),
        ("TPL", switchboard_sandbox::templates::FOLLOW_UP),
    ]
}

#[test]
fn accounts_sync_and_reply_through_the_cli() {
    let (_sandbox, url) = sandbox(36);
    let env = Env::new(None);
    let out = in_session(
        &env,
        true,
        r#"
        "$SB" --store "$STORE" init
        "$SB" --store "$STORE" account add telegram --name acme_bot --base-url "$URL" --token-env TG_TOKEN
        "$SB" --store "$STORE" account add sms --name "$SMS" --account-sid "$SID" --base-url "$URL" --token-env TW_TOKEN
        "$SB" --store "$STORE" account add instagram --name "$PAGE" --base-url "$URL/v21.0" --token-env PAGE_TOKEN
        if "$SB" --store "$STORE" account add x --name @acmesupport --base-url "$URL/2" --token-env X_TOKEN --photo-keys-env NOPE 2> "$HOME/no-keys.txt"; then exit 5; fi
        "$SB" --store "$STORE" account add x --name @acmesupport --base-url "$URL/2" --token-env X_TOKEN --photo-keys-env XK
        "$SB" --store "$STORE" account add whatsapp --name "$WA" --account-sid "$SID" --base-url "$URL" --token-env TW_TOKEN
        if "$SB" --store "$STORE" account add sms --name 555 --account-sid "$SID" --token-env TW_TOKEN 2> "$HOME/bad-number.txt"; then exit 3; fi
        if "$SB" --store "$STORE" account add messenger --name acme --token-env PAGE_TOKEN 2> "$HOME/bad-page.txt"; then exit 4; fi
        "$SB" --store "$STORE" sync --once > "$HOME/sync.txt"
        "$SB" --store "$STORE" account list --json > "$HOME/accounts.json"
        "$SB" --store "$STORE" inbox --channel sms --limit 1 --json > "$HOME/inbox.json"
        ID=$(sed -n 's/^ *"id": \([0-9]*\),$/\1/p' "$HOME/inbox.json" | head -n 1)
        "$SB" --store "$STORE" reply "$ID" "Thanks for waiting, it ships today." > "$HOME/reply.txt"
        "$SB" --store "$STORE" inbox --channel whatsapp --limit 1 --json > "$HOME/wa.json"
        WA_ID=$(sed -n 's/^ *"id": \([0-9]*\),$/\1/p' "$HOME/wa.json" | head -n 1)
        "$SB" --store "$STORE" reply "$WA_ID" --template "$TPL" --var 1=Lena > "$HOME/template.txt"
        "$SB" --store "$STORE" outbox --json > "$HOME/outbox.json"
        secret-tool search --all service switchboard > "$HOME/secrets.txt" 2>&1
        "#,
        &sandbox_vars(&url),
    );
    let read = |name: &str| std::fs::read_to_string(env.home.path().join(name)).unwrap_or_default();
    assert!(out.status.success(), "{}\n{}\n{}", String::from_utf8_lossy(&out.stdout), stderr(&out), read("sync.txt"));

    let stats: serde_json::Value = reqwest::blocking::get(format!("{url}/_sandbox/stats")).unwrap().json().unwrap();
    let sync = read("sync.txt");
    let instagram = format!("instagram:{}", c::PAGE_ID);
    for (account, channel) in [("telegram:acme_bot", "telegram"), ("sms:+15550100", "sms"), (instagram.as_str(), "instagram"), ("x:acmesupport", "x")] {
        // Twilio lists the reply sent afterwards too; the sync ran before it.
        let messages = stats["channels"][channel]["messages"].as_u64().unwrap() - stats["channels"][channel]["replies"].as_u64().unwrap();
        let expected = format!("{account}: {messages} pulled");
        assert!(sync.contains(&expected), "{expected:?} not in {sync}");
    }
    assert!(read("bad-number.txt").contains("E.164"), "{}", read("bad-number.txt"));
    assert!(read("bad-page.txt").contains("Page's numeric id"), "{}", read("bad-page.txt"));
    let accounts: serde_json::Value = serde_json::from_str(&read("accounts.json")).unwrap();
    assert!(accounts.as_array().unwrap().iter().all(|a| a["state"] == "idle"), "{accounts}");
    // X's photo keys: all four or a clear word about the one missing.
    assert!(read("no-keys.txt").contains("NOPE_API_KEY is not set"), "{}", read("no-keys.txt"));
    let x = accounts.as_array().unwrap().iter().find(|a| a["key"] == "x:acmesupport").unwrap();
    assert_eq!(x["config"]["photo_keys"], true, "{x}");
    assert!(read("reply.txt").contains("queued") && read("reply.txt").contains("1 replies sent"), "{}", read("reply.txt"));
    let outbox: serde_json::Value = serde_json::from_str(&read("outbox.json")).unwrap();
    assert_eq!(outbox[0]["state"], "sent");
    assert_eq!((stats["channels"]["sms"]["replies"].as_u64(), stats["channels"]["sms"]["duplicate_replies"].as_u64()), (Some(1), Some(0)));
    // A template goes to WhatsApp whatever the window.
    assert!(read("template.txt").contains("1 replies sent"), "{}", read("template.txt"));
    let stats: serde_json::Value = reqwest::blocking::get(format!("{url}/_sandbox/stats")).unwrap().json().unwrap();
    assert_eq!(stats["channels"]["whatsapp"]["replies"].as_u64(), Some(1));

    // The secrets are keychain items; the store's files never hold them.
    let secrets = read("secrets.txt");
    assert!(secrets.contains("account:") && secrets.contains(c::TELEGRAM_BOT_TOKEN), "{secrets}");
    assert!(secrets.contains("x:acmesupport#oauth1") && secrets.contains(c::X_ACCESS_TOKEN_SECRET), "{secrets}");
    let all = [c::TELEGRAM_BOT_TOKEN, c::TWILIO_AUTH_TOKEN, c::PAGE_TOKEN, c::X_TOKEN, c::X_CONSUMER_SECRET, c::X_ACCESS_TOKEN_SECRET];
    assert_not_in_store_files(&env, &all);
    // Nor do the logs.
    for entry in std::fs::read_dir(env.log_dir()).unwrap() {
        let log = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for token in all {
            assert!(!log.contains(token));
        }
    }
}

#[test]
fn killing_a_syncing_process_fifty_times_loses_and_doubles_nothing() {
    let (_sandbox, url) = sandbox(24_000);
    let env = Env::new(None);
    let out = in_session(
        &env,
        true,
        r#"
        "$SB" --store "$STORE" init > /dev/null
        "$SB" --store "$STORE" account add telegram --name acme_bot --base-url "$URL" --token-env TG_TOKEN > /dev/null
        "$SB" --store "$STORE" account add sms --name "$SMS" --account-sid "$SID" --base-url "$URL" --token-env TW_TOKEN > /dev/null
        "$SB" --store "$STORE" account add whatsapp --name "$WA" --account-sid "$SID" --base-url "$URL" --token-env TW_TOKEN > /dev/null
        "$SB" --store "$STORE" account add messenger --name "$PAGE" --base-url "$URL/v21.0" --token-env PAGE_TOKEN > /dev/null
        "$SB" --store "$STORE" account add instagram --name "$PAGE" --base-url "$URL/v21.0" --token-env PAGE_TOKEN > /dev/null
        "$SB" --store "$STORE" account add x --name acmesupport --base-url "$URL/2" --token-env X_TOKEN > /dev/null
        killed=0
        for i in $(seq 1 50); do
            "$SB" --store "$STORE" sync --once > /dev/null 2>&1 &
            pid=$!
            # The moment of the kill is the test's random input, spread over a sync's length.
            sleep "0.$(shuf -i 20-300 -n 1 | xargs printf '%03d')"
            if kill -9 "$pid" 2> /dev/null; then killed=$((killed + 1)); fi
            wait "$pid" || true
        done
        echo "$killed" > "$HOME/killed.txt"
        "$SB" --store "$STORE" sync --once > "$HOME/final.txt"
        "$SB" --store "$STORE" stats --json > "$HOME/stats.json"
        "$SB" --store "$STORE" sync --once > "$HOME/again.txt"
        "#,
        &sandbox_vars(&url),
    );
    let read = |name: &str| std::fs::read_to_string(env.home.path().join(name)).unwrap_or_default();
    assert!(out.status.success(), "{}\n{}", stderr(&out), read("final.txt"));
    let killed: usize = read("killed.txt").trim().parse().unwrap();
    assert!(killed >= 45, "nearly every run must die mid-sync for this test to mean anything: {killed}");
    let sandbox: serde_json::Value = reqwest::blocking::get(format!("{url}/_sandbox/stats")).unwrap().json().unwrap();
    let channels = ["messenger", "instagram", "sms", "whatsapp", "telegram", "x"];
    let expected: u64 = channels.iter().map(|c| sandbox["channels"][c]["messages"].as_u64().unwrap()).sum();
    let stats: serde_json::Value = serde_json::from_str(&read("stats.json")).unwrap();
    assert_eq!(stats["messages"].as_u64(), Some(expected), "every message once: none lost, none doubled");
    let conversations: u64 = channels.iter().map(|c| sandbox["channels"][c]["conversations"].as_u64().unwrap()).sum();
    assert_eq!(stats["conversations"].as_u64(), Some(conversations));
    // The cursors agree with the messages: one more sync finds nothing new.
    let again = read("again.txt");
    assert_eq!(again.matches(" 0 new or changed").count(), 6, "{again}");
}

#[test]
fn on_a_terminal_sync_shows_a_live_line_per_account() {
    let (_sandbox, url) = sandbox(600);
    let env = Env::new(None);
    // `script` gives the sync a pseudo-terminal, as when an agent runs it by hand.
    let out = in_session(
        &env,
        true,
        r#"
        "$SB" --store "$STORE" init > /dev/null
        "$SB" --store "$STORE" account add telegram --name acme_bot --base-url "$URL" --token-env TG_TOKEN > /dev/null
        "$SB" --store "$STORE" account add x --name acmesupport --base-url "$URL/2" --token-env X_TOKEN > /dev/null
        TERM=xterm-256color script -qec '"$SB" --store "$STORE" sync --once' /dev/null > "$HOME/tty.txt"
        "$SB" --store "$STORE" sync --once > /dev/null 2> "$HOME/piped.txt"
        "#,
        &sandbox_vars(&url),
    );
    let read = |name: &str| std::fs::read_to_string(env.home.path().join(name)).unwrap_or_default();
    assert!(out.status.success(), "{}\n{}", stderr(&out), read("tty.txt"));
    let tty = read("tty.txt");
    for account in ["telegram:acme_bot", "x:acmesupport"] {
        assert!(tty.contains(&format!("{account} ")) && tty.contains("messages"), "a live line for {account}: {tty:?}");
    }
    assert!(tty.contains("idle") || tty.contains("caught up"), "{tty}");
    assert!(!tty.contains("this run)"), "no event lines on a terminal: {tty}");
    // Piped, the same sync writes one plain line an event instead.
    let piped = read("piped.txt");
    assert!(piped.contains("x:acmesupport: idle") && !piped.contains('\u{1b}'), "{piped}");
}

#[test]
fn an_email_account_keeps_its_servers_in_the_store_and_its_password_in_the_keychain() {
    let env = Env::new(None);
    let out = in_session(
        &env,
        true,
        r#"
        "$SB" --store "$STORE" init > /dev/null
        "$SB" --store "$STORE" account add email --imap imap.acme.test:993 --smtp smtp.acme.test:465 --user Support@Acme.test --password-env MAIL_PW > "$HOME/added.txt"
        if "$SB" --store "$STORE" account add email --imap mail.acme.test:143 --smtp 127.0.0.1:25 --user a@acme.test --password-env MAIL_PW --plain 2> "$HOME/plain.txt"; then exit 3; fi
        if "$SB" --store "$STORE" account add email --imap mail.acme.test --smtp mail.acme.test:25 --user a@acme.test --password-env MAIL_PW 2> "$HOME/port.txt"; then exit 4; fi
        if "$SB" --store "$STORE" account add email --imap mail.acme.test:993 --smtp mail.acme.test:465 --user a@acme.test --password-env UNSET_PW 2> "$HOME/unset.txt"; then exit 5; fi
        "$SB" --store "$STORE" account add email --imap 127.0.0.1:1143 --smtp localhost:1025 --user help --name help@acme.test --password-env MAIL_PW --plain > /dev/null
        "$SB" --store "$STORE" account list --json > "$HOME/accounts.json"
        secret-tool search --all service switchboard > "$HOME/secrets.txt" 2>&1
        "#,
        &[("MAIL_PW", "correct horse battery staple")],
    );
    let read = |name: &str| std::fs::read_to_string(env.home.path().join(name)).unwrap_or_default();
    assert!(out.status.success(), "{}\n{}", stderr(&out), read("plain.txt"));
    for (file, said) in [
        ("added.txt", &["connected email:support@acme.test"][..]),
        ("plain.txt", &["unencrypted", "mail.acme.test"]),
        ("port.txt", &["HOST:PORT"]),
        ("unset.txt", &["UNSET_PW is not set"]),
    ] {
        assert!(said.iter().all(|s| read(file).contains(s)), "{file}: {}", read(file));
    }
    let accounts: serde_json::Value = serde_json::from_str(&read("accounts.json")).unwrap();
    let by_key = |key: &str| {
        accounts
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["key"] == key)
            .cloned()
            .unwrap_or_else(|| panic!("no {key}: {accounts}"))
    };
    assert_eq!(
        by_key("email:support@acme.test")["config"],
        serde_json::json!({"imap": "imap.acme.test:993", "smtp": "smtp.acme.test:465", "user": "Support@Acme.test", "address": "support@acme.test", "tls": true})
    );
    assert_eq!(by_key("email:help@acme.test")["config"]["tls"], false);
    let secrets = read("secrets.txt");
    assert!(
        secrets.contains("correct horse battery staple")
            && secrets.contains("email:support@acme.test"),
        "{secrets}"
    );
    assert_not_in_store_files(&env, &["correct horse battery staple"]);
}
