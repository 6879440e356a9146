#![allow(dead_code)]
//! Real mail peers for the email tests: Dovecot (IMAP, LMTP, SASL for Postfix) and Postfix
//! (SMTP) from Debian, each started from a temporary configuration on loopback ports and
//! stopped when the test ends. Mail for `acme.test` and `customer.test` stays on this machine;
//! anything else is refused by Postfix's `error` transport. Needs root (the Postfix master does).

use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The support mailbox Switchboard reads, and a customer who writes to it.
pub const SUPPORT: &str = "support@acme.test";
pub const CUSTOMER: &str = "jane@customer.test";
pub const PASSWORD: &str = "mail-test-password";

pub struct MailServers {
    pub dir: tempfile::TempDir,
    pub imap_port: u16,
    pub smtp_port: u16,
    pub lmtp_port: u16,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn run(cmd: &mut Command, what: &str, log: &Path) {
    // Both daemons keep the caller's stdout and stderr open: never capture them.
    let status = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        status.success(),
        "{what} failed ({status}); its log:\n{}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
}

impl MailServers {
    pub fn start() -> MailServers {
        let dir = tempfile::Builder::new()
            .prefix("switchboard-mail")
            .tempdir()
            .unwrap();
        // Dovecot stores mail as `nobody`, who must be able to walk down to the mailboxes.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let servers = MailServers {
            dir,
            imap_port: free_port(),
            smtp_port: free_port(),
            lmtp_port: free_port(),
        };
        servers.start_dovecot();
        servers.start_postfix();
        servers
    }

    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    pub fn dovecot_conf(&self) -> PathBuf {
        self.path("dovecot/dovecot.conf")
    }

    fn start_dovecot(&self) {
        let d = self.path("dovecot");
        for sub in ["", "run", "state", "home"] {
            std::fs::create_dir_all(d.join(sub)).unwrap();
            std::fs::set_permissions(d.join(sub), std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        // Mailboxes are created by `nobody` on first delivery.
        Command::new("chown")
            .args(["nobody:nogroup"])
            .arg(d.join("home"))
            .status()
            .unwrap();
        std::fs::write(
            d.join("users"),
            format!("{SUPPORT}:{{PLAIN}}{PASSWORD}\n{CUSTOMER}:{{PLAIN}}{PASSWORD}\n"),
        )
        .unwrap();
        let auth_port = self.auth_port();
        let conf = format!(
            r#"base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
listen = 127.0.0.1
protocols = imap lmtp
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_uid = nobody
mail_gid = nogroup
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {d}/users
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={d}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp}
  }}
}}
service auth {{
  inet_listener {{
    address = 127.0.0.1
    port = {auth_port}
  }}
}}
"#,
            d = d.display(),
            imap = self.imap_port,
            lmtp = self.lmtp_port,
        );
        std::fs::write(self.dovecot_conf(), conf).unwrap();
        run(
            Command::new("dovecot").arg("-c").arg(self.dovecot_conf()),
            "dovecot",
            &d.join("dovecot.log"),
        );
    }

    /// Dovecot's SASL port, which Postfix asks to check SMTP logins.
    fn auth_port(&self) -> u16 {
        let file = self.path("dovecot/auth-port");
        if let Ok(p) = std::fs::read_to_string(&file) {
            return p.trim().parse().unwrap();
        }
        let port = free_port();
        std::fs::write(file, port.to_string()).unwrap();
        port
    }

    fn start_postfix(&self) {
        let p = self.path("postfix");
        let etc = p.join("etc");
        std::fs::create_dir_all(&etc).unwrap();
        for sub in ["queue", "data"] {
            std::fs::create_dir_all(p.join(sub)).unwrap();
        }
        Command::new("chown")
            .args(["-R", "postfix"])
            .arg(p.join("data"))
            .status()
            .unwrap();
        let main = format!(
            r#"compatibility_level = 3.6
queue_directory = {p}/queue
data_directory = {p}/data
mail_owner = postfix
inet_interfaces = loopback-only
inet_protocols = ipv4
myhostname = mail.acme.test
mydomain = acme.test
myorigin = acme.test
mydestination = acme.test, customer.test
mynetworks = 127.0.0.0/8
local_recipient_maps =
local_transport = lmtp:inet:127.0.0.1:{lmtp}
default_transport = error:mail does not leave the test machine
relay_transport = error:mail does not leave the test machine
alias_maps =
alias_database =
biff = no
maillog_file = {p}/postfix.log
maillog_file_prefixes = {p}
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = inet:127.0.0.1:{auth}
smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
"#,
            p = p.display(),
            lmtp = self.lmtp_port,
            auth = self.auth_port(),
        );
        std::fs::write(etc.join("main.cf"), main).unwrap();
        let master = format!(
            "127.0.0.1:{smtp} inet n - n - - smtpd\n\
             pickup unix n - n 60 1 pickup\n\
             cleanup unix n - n - 0 cleanup\n\
             qmgr unix n - n 300 1 qmgr\n\
             rewrite unix - - n - - trivial-rewrite\n\
             bounce unix - - n - 0 bounce\n\
             defer unix - - n - 0 bounce\n\
             trace unix - - n - 0 bounce\n\
             verify unix - - n - 1 verify\n\
             flush unix n - n 1000? 0 flush\n\
             proxymap unix - - n - - proxymap\n\
             proxywrite unix - - n - 1 proxymap\n\
             smtp unix - - n - - smtp\n\
             relay unix - - n - - smtp\n\
             showq unix n - n - - showq\n\
             error unix - - n - - error\n\
             retry unix - - n - - error\n\
             discard unix - - n - - discard\n\
             lmtp unix - - n - - lmtp\n\
             anvil unix - - n - 1 anvil\n\
             scache unix - - n - 1 scache\n\
             postlog unix-dgram n - n - 1 postlogd\n",
            smtp = self.smtp_port
        );
        std::fs::write(etc.join("master.cf"), master).unwrap();
        // A main.cf newer than the master's start makes Postfix wait to be sure it is read whole.
        let earlier = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
        for f in ["main.cf", "master.cf"] {
            std::fs::File::options()
                .write(true)
                .open(etc.join(f))
                .unwrap()
                .set_modified(earlier)
                .unwrap();
        }
        // `postfix start` returns once the master is listening (master -w).
        run(
            Command::new("postfix").arg("-c").arg(&etc).arg("start"),
            "postfix start",
            &p.join("postfix.log"),
        );
    }

    /// Hands `raw` to Dovecot over LMTP for `to`: the exact bytes land in the mailbox.
    pub async fn deliver(&self, to: &str, raw: &[u8]) {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
        let stream = tokio::net::TcpStream::connect(("127.0.0.1", self.lmtp_port))
            .await
            .unwrap();
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read).lines();
        let log = self.path("dovecot/dovecot.log");
        let mut expect = async |code: &str| loop {
            let line = lines.next_line().await.unwrap().expect("LMTP answered");
            assert!(
                line.starts_with(code),
                "LMTP said {line:?}, expected {code}; Dovecot's log:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            if line.as_bytes().get(3) == Some(&b' ') {
                break;
            }
        };
        expect("220").await;
        for (command, code) in [
            ("LHLO test".to_owned(), "250"),
            ("MAIL FROM:<>".into(), "250"),
            (format!("RCPT TO:<{to}>"), "250"),
            ("DATA".into(), "354"),
        ] {
            write
                .write_all(format!("{command}\r\n").as_bytes())
                .await
                .unwrap();
            expect(code).await;
        }
        // Dot-stuffing, and CRLF line ends as the protocol wants.
        let mut data = Vec::with_capacity(raw.len() + 64);
        for line in raw.split_inclusive(|b| *b == b'\n') {
            let line = line.strip_suffix(b"\n").unwrap_or(line);
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.first() == Some(&b'.') {
                data.push(b'.');
            }
            data.extend_from_slice(line);
            data.extend_from_slice(b"\r\n");
        }
        data.extend_from_slice(b".\r\n");
        write.write_all(&data).await.unwrap();
        expect("250").await;
        write.write_all(b"QUIT\r\n").await.unwrap();
    }

    /// Sends `raw` through Postfix (SMTP on loopback), as a customer's mail server would.
    pub async fn send_smtp(&self, from: &str, to: &str, raw: &[u8]) {
        use lettre::AsyncTransport;
        let transport =
            lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::builder_dangerous("127.0.0.1")
                .port(self.smtp_port)
                .build();
        let envelope =
            lettre::address::Envelope::new(Some(from.parse().unwrap()), vec![to.parse().unwrap()])
                .unwrap();
        transport.send_raw(&envelope, raw).await.unwrap();
    }

    /// Waits, over IMAP IDLE as `user`, until their INBOX holds `count` messages: Postfix
    /// delivers after it has answered the sender. Gives up (false) after 20 s of silence.
    pub async fn wait_for(&self, user: &str, count: u32) -> bool {
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", self.imap_port))
            .await
            .unwrap();
        let mut client = async_imap::Client::new(tcp);
        client.read_response().await.unwrap();
        let mut session = client
            .login(user, PASSWORD)
            .await
            .map_err(|(e, _)| e)
            .unwrap();
        loop {
            if session.select("INBOX").await.unwrap().exists >= count {
                return true;
            }
            let mut idle = session.idle();
            idle.init().await.unwrap();
            let (wait, _stop) = idle.wait_with_timeout(std::time::Duration::from_secs(20));
            let outcome = wait.await.unwrap();
            session = idle.done().await.unwrap();
            if outcome == async_imap::extensions::idle::IdleResponse::Timeout {
                return false;
            }
        }
    }

    /// The messages in `user`'s INBOX, as files in their Maildir (new and cur).
    pub fn mailbox(&self, user: &str) -> Vec<Vec<u8>> {
        let home = self.path("dovecot/home").join(user).join("Maildir");
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            if let Ok(entries) = std::fs::read_dir(home.join(sub)) {
                for entry in entries {
                    out.push(std::fs::read(entry.unwrap().path()).unwrap());
                }
            }
        }
        out
    }

    /// Gives `user`'s INBOX a new UIDVALIDITY, as a server does after rebuilding its indexes.
    pub fn renumber(&self, user: &str, uidvalidity: u32) {
        run(
            Command::new("doveadm")
                .arg("-c")
                .arg(self.dovecot_conf())
                .args([
                    "mailbox",
                    "update",
                    "-u",
                    user,
                    "--uid-validity",
                    &uidvalidity.to_string(),
                    "INBOX",
                ]),
            "doveadm mailbox update",
            &self.path("dovecot/dovecot.log"),
        );
    }

    pub fn postfix_log(&self) -> String {
        std::fs::read_to_string(self.path("postfix/postfix.log")).unwrap_or_default()
    }
}

impl Drop for MailServers {
    fn drop(&mut self) {
        let _ = Command::new("postfix")
            .arg("-c")
            .arg(self.path("postfix/etc"))
            .arg("stop")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if let Ok(pid) = std::fs::read_to_string(self.path("dovecot/run/master.pid")) {
            let _ = Command::new("kill").arg(pid.trim()).status();
        }
    }
}
