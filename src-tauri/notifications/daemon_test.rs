//! Desktop notifications reach a real notification daemon (dunst) on a private D-Bus under
//! Xvfb: the test watches the Notify calls with dbus-monitor. One test, since the bus is named by
//! a process-wide variable: the notifier on its own, then a breach found by the Workspace's clock
//! watch reaching the assignee's desktop.

use super::{watch, Notifier};
use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::Arc;
use switchboard_api::conversation::AssignRequest;
use switchboard_api::inbox::InboxQuery;
use switchboard_api::settings::{DeleteSlaPolicyRequest, NotificationSettings, SlaSettingsRequest};
use switchboard_api::{CustomerMessage, Event, Workspace};
use switchboard_core::interchange::{Author, MessageRecord, Record, SlaPolicyRecord};
use switchboard_core::model::{AuthorKind, Channel, Direction};
use switchboard_core::Store;

struct Bus {
    address: String,
    daemon: Child,
    monitor: Child,
    lines: std::io::Lines<BufReader<ChildStdout>>,
    _dir: tempfile::TempDir,
}

impl Drop for Bus {
    fn drop(&mut self) {
        let _ = self.monitor.kill();
        // xvfb-run, Xvfb, the bus and dunst are one process group.
        let _ = Command::new("kill").arg("--").arg(format!("-{}", self.daemon.id())).status();
        let _ = self.daemon.wait();
    }
}

/// A session bus whose notification service is dunst, started on first use (D-Bus activation,
/// so the first Notify waits for it), with a display from Xvfb; and dbus-monitor watching it.
fn bus() -> Bus {
    let dir = tempfile::tempdir().unwrap();
    let services = dir.path().join("services");
    std::fs::create_dir(&services).unwrap();
    std::fs::write(services.join("org.freedesktop.Notifications.service"), "[D-BUS Service]\nName=org.freedesktop.Notifications\nExec=/usr/bin/dunst\n").unwrap();
    let config = dir.path().join("session.conf");
    std::fs::write(
        &config,
        format!(
            r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=/tmp</listen>
  <servicedir>{}</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
            services.display()
        ),
    )
    .unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir(&home).unwrap();
    use std::os::unix::process::CommandExt;
    let mut daemon = Command::new("xvfb-run")
        .process_group(0)
        .args(["-a", "dbus-daemon", "--nofork", "--print-address=1"])
        .arg(format!("--config-file={}", config.display()))
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("xvfb-run and dbus-daemon are installed by `cargo xtask setup`");
    let mut address = String::new();
    BufReader::new(daemon.stdout.take().unwrap()).read_line(&mut address).unwrap();
    let address = address.trim().to_owned();
    assert!(address.starts_with("unix:"), "the bus printed {address:?}");
    let mut monitor = Command::new("dbus-monitor")
        .args(["--address", &address, "interface='org.freedesktop.Notifications'"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(monitor.stdout.take().unwrap()).lines();
    // Its first line is the bus greeting it: from then on it sees every call.
    lines.next().unwrap().unwrap();
    // notify-rust connects to the session bus this names. This test binary has one test, so no
    // other test reads the variable meanwhile.
    std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &address);
    Bus { address, daemon, monitor, lines, _dir: dir }
}

/// The string and uint32 arguments of the next Notify call the monitor prints.
fn next_notify(bus: &mut Bus) -> Vec<String> {
    let mut args = Vec::new();
    let mut inside = false;
    for line in bus.lines.by_ref() {
        let line = line.unwrap();
        if line.starts_with("method call") {
            if inside {
                break;
            }
            inside = line.contains("member=Notify");
            continue;
        }
        if inside {
            let l = line.trim();
            if l.starts_with("string ") || l.starts_with("uint32 ") {
                args.push(l.to_owned());
            }
            // The last argument of Notify is the expiry timeout.
            if l.starts_with("int32 ") {
                break;
            }
        }
    }
    args
}

#[test]
fn notifications_reach_the_desktop() {
    let mut bus = bus();
    a_customer_message_notifies_once_per_conversation_with_sender_and_preview(&mut bus);
    a_breach_notifies_the_agent_it_is_assigned_to(&mut bus);
}

fn a_customer_message_notifies_once_per_conversation_with_sender_and_preview(bus: &mut Bus) {
    let notifier = Notifier::default();
    let settings = NotificationSettings::default();
    let m = CustomerMessage {
        conversation: 12,
        channel: Channel::Telegram,
        sender: "한다은".into(),
        preview: "주문 1043 언제 와요?".into(),
        at: jiff::Timestamp::now(),
    };
    let (clicked, opened) = std::sync::mpsc::channel();
    let first = notifier.notify(&settings, &m, move |conversation| clicked.send(conversation).unwrap()).unwrap().expect("shown");
    let call = next_notify(bus);
    assert_eq!(call[0], r#"string "Switchboard""#, "{call:?}");
    assert_eq!(call[1], "uint32 0", "a new notification: {call:?}");
    assert!(call.contains(&r#"string "한다은 · telegram""#.to_owned()), "{call:?}");
    assert!(call.contains(&r#"string "주문 1043 언제 와요?""#.to_owned()), "{call:?}");

    // The agent clicks it (dunst's default action on the newest notification): the conversation opens.
    let status = Command::new("dunstctl").args(["action", "0"]).env("DBUS_SESSION_BUS_ADDRESS", &bus.address).status().unwrap();
    assert!(status.success());
    assert_eq!(opened.recv_timeout(std::time::Duration::from_secs(10)), Ok(12), "the click names the conversation");

    // The same conversation again: the notification is replaced, not added.
    let again = CustomerMessage { preview: "빨리 답해 주세요".into(), ..m.clone() };
    notifier.notify(&settings, &again, |_| {}).unwrap();
    let call = next_notify(bus);
    assert_eq!(call[1], format!("uint32 {first}"), "{call:?}");
    assert!(call.contains(&r#"string "2 new messages: 빨리 답해 주세요""#.to_owned()), "{call:?}");

    // Do not disturb: nothing reaches the daemon.
    let quiet = NotificationSettings { do_not_disturb: true, ..Default::default() };
    assert_eq!(notifier.notify(&quiet, &m, |_| {}).unwrap(), None);
    // History (an hour old, arriving with a first sync) counts as unread, and notifies nobody.
    let history = CustomerMessage { conversation: 14, at: jiff::Timestamp::now() - jiff::SignedDuration::from_hours(1), ..m.clone() };
    assert_eq!(notifier.notify(&settings, &history, |_| {}).unwrap(), None);
    // Another conversation shows at once, and it is the next call the daemon sees.
    let other = CustomerMessage { conversation: 13, sender: "Lena Ortiz".into(), preview: "Thanks!".into(), ..m };
    notifier.notify(&settings, &other, |_| {}).unwrap();
    let call = next_notify(bus);
    assert!(call.contains(&r#"string "Lena Ortiz · telegram""#.to_owned()), "do-not-disturb sent nothing: {call:?}");

    // An SLA breach is a notification of its own, quiet under do-not-disturb too.
    assert_eq!(notifier.breach(&quiet, 13, "Lena Ortiz · telegram: first reply overdue", |_| {}).unwrap(), None);
    notifier.breach(&settings, 13, "Lena Ortiz · telegram: first reply overdue", |_| {}).unwrap().expect("shown");
    let call = next_notify(bus);
    assert_eq!(call[1], "uint32 0", "a new notification: {call:?}");
    assert!(call.contains(&r#"string "SLA breached""#.to_owned()), "{call:?}");
    assert!(call.contains(&r#"string "Lena Ortiz · telegram: first reply overdue""#.to_owned()), "{call:?}");

    // A teammate's @mention (team mode): who, and what they wrote; quiet under do-not-disturb.
    assert_eq!(notifier.mention(&quiet, 14, "Kim", "@Sam can you take the refund?", |_| {}).unwrap(), None);
    notifier.mention(&settings, 14, "Kim", "@Sam can you take the refund?", |_| {}).unwrap().expect("shown");
    let call = next_notify(bus);
    assert!(call.contains(&r#"string "Kim mentioned you""#.to_owned()), "{call:?}");
    assert!(call.contains(&r#"string "@Sam can you take the refund?""#.to_owned()), "{call:?}");
}

fn policy(first_reply: u32) -> SlaPolicyRecord {
    SlaPolicyRecord {
        name: "Telegram".into(),
        priority: None,
        channel: Some(Channel::Telegram),
        first_reply_minutes: Some(first_reply),
        next_reply_minutes: None,
        resolution_minutes: None,
        calendar: None,
        tags: vec![],
        customer_statuses: vec![],
    }
}

/// The whole path in the app: the Workspace's clock watch finds a breach, and its notifications
/// show it to the agent the conversation is assigned to, and only to them.
fn a_breach_notifies_the_agent_it_is_assigned_to(bus: &mut Bus) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    {
        let keys = switchboard_api::keys::for_new_store(Some("pw".into())).unwrap();
        let mut store = Store::create(&path, keys.as_ref()).unwrap();
        store.add_account("telegram:acme_bot", None, Default::default()).unwrap();
        let message = |chat: &str, name: &str, minutes_ago: i64| {
            Record::Message(MessageRecord {
                account: "telegram:acme_bot".into(),
                conversation: chat.into(),
                id: format!("m{chat}"),
                direction: Direction::In,
                author: Author { kind: AuthorKind::Customer, name: Some(name.into()), handle: Some(chat.into()) },
                text: "Where is my order?".into(),
                at: jiff::Timestamp::now() - jiff::SignedDuration::from_mins(minutes_ago),
                delivery: None,
                attachments: vec![],
                email: None,
            })
        };
        store.write_batch(&[message("1", "Lena Ortiz", 3), message("2", "Jonas Berg", 10)]).unwrap();
    }
    let ws = Arc::new(Workspace::open(&path, Some("pw".into()), false).with_agent("mina"));
    let rows = ws.run(InboxQuery::default()).unwrap().rows;
    let id = |chat: &str| rows.iter().find(|r| r.external_id == chat).unwrap().id;
    let (lena, jonas) = (id("1"), id("2"));
    ws.run(AssignRequest { conversation: lena, me: true }).unwrap();
    // Only Telegram's policy, generous at first: nothing is breached when the watch starts.
    for p in ws.run(SlaSettingsRequest {}).unwrap().policies {
        ws.run(DeleteSlaPolicyRequest { name: p.name }).unwrap();
    }
    ws.run(policy(100_000)).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let _tasks = runtime.block_on(async {
        let mut events = ws.subscribe();
        let notifications = AbortOnDrop(watch(ws.clone(), |_| {}));
        let clocks = AbortOnDrop(ws.watch_clocks(std::time::Duration::from_millis(100)).await);
        // Five minutes to answer: Jonas's unassigned conversation goes over first...
        ws.run(policy(5)).unwrap();
        loop {
            if let Event::Breach { conversation, assignee, .. } = events.recv().await.unwrap() {
                assert_eq!((conversation, assignee), (jonas, None), "only Jonas's is over");
                break;
            }
        }
        // ...then two minutes: Lena's, which is mina's.
        ws.run(policy(2)).unwrap();
        (notifications, clocks)
    });
    // The first notification is Lena's: Jonas's breach, announced before it, is nobody's.
    let shown = next_notify(bus);
    assert!(shown.contains(&r#"string "SLA breached""#.to_owned()), "{shown:?}");
    assert!(shown.contains(&r#"string "Lena Ortiz · telegram: first reply overdue""#.to_owned()), "{shown:?}");
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
