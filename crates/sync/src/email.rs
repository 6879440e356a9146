//! Email: IMAP (async-imap) to read one mailbox, SMTP (lettre) to answer.
//!
//! The cursor is the mailbox's UIDVALIDITY, the next UID to read and HIGHESTMODSEQ (CONDSTORE).
//! A message's id in the store is a hash of its bytes, not its UID, so a UIDVALIDITY change (the
//! server renumbered everything) is a resync from the first UID that stores nothing twice.
//! With `wait`, a pull that finds nothing sits in IDLE until the server reports new mail.

use crate::wire::{setting, Pulled};
use crate::error::Error;
use futures_util::TryStreamExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use switchboard_core::email::id_key;
use switchboard_core::interchange::{Author, MessageRecord, Record};
use switchboard_core::model::{AccountView, AuthorKind, Direction, EmailReply};
use switchboard_core::sensitive::Sensitive;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

const TIMEOUT: Duration = Duration::from_secs(30);
/// Messages fetched per pull: one pull is one store transaction.
const PAGE: usize = 50;

/// A server as `host:port`.
#[derive(Debug, Clone)]
struct Endpoint {
    host: String,
    port: u16,
}

impl Endpoint {
    fn parse(account: &AccountView, name: &str) -> Result<Endpoint, Error> {
        let value = setting(account, name)?;
        let bad = || Error::Config {
            account: account.key.clone(),
            problem: format!("setting {name:?} must be HOST:PORT"),
        };
        let (host, port) = value.rsplit_once(':').ok_or_else(bad)?;
        let port = port.parse().map_err(|_| bad())?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err(bad());
        }
        Ok(Endpoint {
            host: host.to_owned(),
            port,
        })
    }

    fn is_loopback(&self) -> bool {
        loopback(&self.host)
    }
}

fn loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Whether an account's config allows plain (unencrypted) connections: only to loopback, so a
/// password never crosses a network in clear.
pub fn check_plain(imap: &str, smtp: &str) -> Result<(), String> {
    for (name, value) in [("IMAP", imap), ("SMTP", smtp)] {
        let host = value
            .rsplit_once(':')
            .map_or(value, |(h, _)| h)
            .trim_start_matches('[')
            .trim_end_matches(']');
        if !loopback(host) {
            return Err(format!("--plain sends the password unencrypted; it is allowed only to a server on this machine, not the {name} server {host}"));
        }
    }
    Ok(())
}

/// Plain TCP (loopback only) or TLS.
#[derive(Debug)]
enum Stream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

type Session = async_imap::Session<Stream>;

/// Where a mailbox was read up to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Cursor {
    uidvalidity: u32,
    /// The next UID to read.
    uidnext: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    modseq: Option<u64>,
}

pub struct Email {
    account: String,
    imap: Endpoint,
    smtp: Endpoint,
    tls: bool,
    user: String,
    password: Sensitive<String>,
    /// The address replies come from and the agent's own mail is recognised by.
    address: String,
    mailbox: String,
    /// One IMAP connection, kept between pulls, and whether its server offers CONDSTORE (asked
    /// once per connection); dropped (and made again) after any error.
    session: tokio::sync::Mutex<Option<(Session, bool)>>,
}

fn io_error(e: async_imap::error::Error) -> Error {
    match e {
        async_imap::error::Error::No(m) | async_imap::error::Error::Bad(m) => {
            Error::Refused(format!("the IMAP server said: {m}"))
        }
        // A parse failure's message carries the bytes it could not read: a customer's mail.
        async_imap::error::Error::Parse(_) => Error::Transient("IMAP: an answer of the server could not be read".into()),
        other => Error::Transient(format!("IMAP: {other}")),
    }
}

impl Email {
    pub(crate) fn new(account: &AccountView, password: Sensitive<String>) -> Result<Email, Error> {
        let imap = Endpoint::parse(account, "imap")?;
        let smtp = Endpoint::parse(account, "smtp")?;
        let tls = account
            .config
            .get("tls")
            .and_then(|v| v.as_bool())
            .unwrap_or(true);
        if !tls && !(imap.is_loopback() && smtp.is_loopback()) {
            return Err(Error::Config {
                account: account.key.clone(),
                problem: "plain connections are allowed only to this machine".into(),
            });
        }
        let user = setting(account, "user")?.to_owned();
        let address = account
            .config
            .get("address")
            .and_then(|v| v.as_str())
            .map(str::to_owned)
            .unwrap_or_else(|| {
                if user.contains('@') {
                    user.clone()
                } else {
                    account.name.clone()
                }
            })
            .to_lowercase();
        let mailbox = account
            .config
            .get("mailbox")
            .and_then(|v| v.as_str())
            .unwrap_or("INBOX")
            .to_owned();
        Ok(Email {
            account: account.key.clone(),
            imap,
            smtp,
            tls,
            user,
            password,
            address,
            mailbox,
            session: Default::default(),
        })
    }

    async fn connect(&self) -> Result<(Session, bool), Error> {
        let Endpoint { host, port } = &self.imap;
        let tcp = tokio::time::timeout(TIMEOUT, TcpStream::connect((host.as_str(), *port)))
            .await
            .map_err(|_| Error::Transient(format!("IMAP server {host}:{port} did not answer")))?
            .map_err(|e| {
                Error::Transient(format!("cannot reach the IMAP server {host}:{port}: {e}"))
            })?;
        let stream = if self.tls {
            let name = tokio_rustls::rustls::pki_types::ServerName::try_from(host.clone())
                .map_err(|_| Error::Config {
                    account: self.account.clone(),
                    problem: format!("{host:?} is not a host name"),
                })?;
            let tls = tokio_rustls::TlsConnector::from(tls_config())
                .connect(name, tcp)
                .await
                .map_err(|e| Error::Transient(format!("TLS with {host}: {e}")))?;
            Stream::Tls(Box::new(tls))
        } else {
            Stream::Plain(tcp)
        };
        let mut client = async_imap::Client::new(stream);
        match tokio::time::timeout(TIMEOUT, client.read_response()).await {
            Ok(Ok(Some(_))) => {}
            _ => {
                return Err(Error::Transient(format!(
                    "the IMAP server {host}:{port} sent no greeting"
                )))
            }
        }
        match client.login(&self.user, self.password.expose()).await {
            Ok(mut session) => {
                let condstore = session.capabilities().await.map_err(io_error)?.has_str("CONDSTORE");
                Ok((session, condstore))
            }
            Err((async_imap::error::Error::No(_), _)) => Err(Error::Auth(
                "the IMAP server refused the user name or password".into(),
            )),
            Err((e, _)) => Err(io_error(e)),
        }
    }

    /// Pulls up to a page of new mail; with `wait`, idles until some arrives or `wait` passes.
    pub(crate) async fn pull(&self, cursor: Option<&str>, wait: Duration) -> Result<Pulled, Error> {
        let mut slot = self.session.lock().await;
        // Taken out: if anything fails (or this pull is dropped), the connection goes with it.
        let (session, condstore) = match slot.take() {
            Some(s) => s,
            None => self.connect().await?,
        };
        let stored: Option<Cursor> = cursor.and_then(|c| serde_json::from_str(c).ok());
        let (session, pulled) = self.pull_with(session, condstore, stored, wait).await?;
        *slot = Some((session, condstore));
        Ok(pulled)
    }

    async fn pull_with(
        &self,
        mut session: Session,
        condstore: bool,
        stored: Option<Cursor>,
        wait: Duration,
    ) -> Result<(Session, Pulled), Error> {
        let mut idled = false;
        loop {
            let mailbox = if condstore {
                session.select_condstore(&self.mailbox).await
            } else {
                session.select(&self.mailbox).await
            }
            .map_err(io_error)?;
            // Unsolicited EXISTS and the like are answered by this SELECT.
            while session.unsolicited_responses.try_recv().is_ok() {}
            let uidvalidity = mailbox
                .uid_validity
                .ok_or_else(|| Error::Malformed("the mailbox has no UIDVALIDITY".into()))?;
            let from = match stored {
                Some(c) if c.uidvalidity == uidvalidity => c.uidnext,
                Some(_) => {
                    tracing::info!(account = %self.account, "the mailbox's UIDVALIDITY changed; reading it again from the start");
                    1
                }
                None => 1,
            };
            let now = Cursor {
                uidvalidity,
                uidnext: mailbox.uid_next.unwrap_or(from).max(from),
                modseq: mailbox.highest_modseq,
            };
            let uids: Vec<u32> = if mailbox.exists == 0
                || (stored.is_some_and(|c| c.uidvalidity == uidvalidity)
                    && mailbox.uid_next.is_some_and(|n| n <= from))
            {
                vec![]
            } else {
                let mut found: Vec<u32> = session
                    .uid_search(format!("UID {from}:*"))
                    .await
                    .map_err(io_error)?
                    .into_iter()
                    .filter(|u| *u >= from)
                    .collect();
                found.sort_unstable();
                found
            };
            if uids.is_empty() {
                // A moved cursor (first read, or flags changed) is stored before idling.
                if wait.is_zero() || idled || stored != Some(now) {
                    return Ok((
                        session,
                        Pulled {
                            records: vec![],
                            cursor: json(&now),
                            caught_up: true,
                            skipped: 0,
                        },
                    ));
                }
                session = self.idle(session, wait).await?;
                idled = true;
                continue;
            }
            let page = &uids[..uids.len().min(PAGE)];
            let caught_up = page.len() == uids.len();
            let set = page
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(",");
            let mut records = Vec::with_capacity(page.len());
            let mut last = from;
            {
                let mut fetches = session
                    .uid_fetch(&set, "(UID INTERNALDATE BODY.PEEK[])")
                    .await
                    .map_err(io_error)?;
                while let Some(fetch) = fetches.try_next().await.map_err(io_error)? {
                    let Some(uid) = fetch.uid else { continue };
                    last = last.max(uid);
                    let Some(raw) = fetch.body() else { continue };
                    let received = fetch
                        .internal_date()
                        .and_then(|d| jiff::Timestamp::from_second(d.timestamp()).ok());
                    records.push(self.record(raw, received));
                }
            }
            let cursor = if caught_up {
                now
            } else {
                Cursor {
                    uidvalidity,
                    uidnext: last + 1,
                    modseq: stored.and_then(|c| c.modseq),
                }
            };
            return Ok((
                session,
                Pulled {
                    records,
                    cursor: json(&cursor),
                    caught_up,
                    skipped: 0,
                },
            ));
        }
    }

    /// IDLE until the server reports a change or `wait` passes.
    async fn idle(&self, session: Session, wait: Duration) -> Result<Session, Error> {
        let mut idle = session.idle();
        idle.init().await.map_err(io_error)?;
        let (done, _stop) = idle.wait_with_timeout(wait);
        done.await.map_err(io_error)?;
        idle.done().await.map_err(io_error)
    }

    /// A message as the store keeps it: its id is the hash of its bytes; it opens a conversation
    /// named by its Message-ID unless the store threads it into one (see the core's writer).
    fn record(&self, raw: &[u8], received: Option<jiff::Timestamp>) -> Record {
        let parsed = switchboard_core::email::parse(raw);
        let id = format!("sha256:{}", hex::encode(Sha256::digest(raw)));
        let conversation = parsed
            .email
            .message_id
            .as_deref()
            .map(id_key)
            .filter(|k| !k.is_empty())
            .unwrap_or_else(|| id.clone());
        let (name, handle) = match &parsed.from {
            Some((name, address)) => (name.clone(), Some(address.clone())),
            None => (None, None),
        };
        let ours = handle.as_deref() == Some(self.address.as_str());
        if let Some(warning) = &parsed.email.warning {
            tracing::warn!(account = %self.account, message = %id, "stored an email as received: {warning}");
        }
        Record::Message(MessageRecord {
            account: self.account.clone(),
            conversation,
            id,
            direction: if ours { Direction::Out } else { Direction::In },
            author: Author {
                kind: if ours {
                    AuthorKind::Agent
                } else {
                    AuthorKind::Customer
                },
                name,
                handle,
            },
            text: parsed.text,
            at: sent_at(parsed.at, received),
            delivery: None,
            attachments: parsed.attachments,
            email: Some(Box::new(parsed.email)),
        })
    }

    /// Sends `text` as a reply; its Message-ID comes from the outbox's idempotency key, so a
    /// retried send is the same message to the customer's mail client. Returns that Message-ID.
    pub(crate) async fn send(
        &self,
        reply: &EmailReply,
        text: &str,
        key: &str,
    ) -> Result<String, Error> {
        use lettre::message::{header::ContentType, Mailbox};
        use lettre::AsyncTransport;
        let domain = self
            .address
            .rsplit_once('@')
            .map_or("switchboard.invalid", |(_, d)| d);
        let message_id = format!(
            "{}@{domain}",
            key.replace(
                |c: char| !c.is_ascii_alphanumeric() && c != '-' && c != '.',
                "-"
            )
        );
        let bad = |what: &str| Error::Refused(format!("{what} is not a valid email address"));
        let from: Mailbox = self
            .address
            .parse()
            .map_err(|_| bad("the account's address"))?;
        let to = Mailbox::new(
            reply.to_name.clone(),
            reply
                .to_address
                .parse()
                .map_err(|_| bad("the customer's address"))?,
        );
        let mut builder = lettre::Message::builder()
            .from(from)
            .to(to)
            .subject(reply.subject.clone())
            .message_id(Some(format!("<{message_id}>")))
            .header(ContentType::TEXT_PLAIN);
        if let Some(parent) = &reply.in_reply_to {
            builder = builder.in_reply_to(format!("<{parent}>"));
        }
        if !reply.references.is_empty() {
            builder = builder.references(
                reply
                    .references
                    .iter()
                    .map(|r| format!("<{r}>"))
                    .collect::<Vec<_>>()
                    .join(" "),
            );
        }
        let message = builder
            .body(text.to_owned())
            .map_err(|e| Error::Refused(format!("the reply could not be written as email: {e}")))?;
        let transport = self.smtp_transport()?;
        // Nothing is handed over until the server has greeted us: failing here sends nothing.
        match transport.test_connection().await {
            Ok(true) => {}
            Ok(false) => {
                return Err(Error::Transient(format!(
                    "the SMTP server {}:{} is not answering",
                    self.smtp.host, self.smtp.port
                )))
            }
            Err(e) => return Err(smtp_error(e, false)),
        }
        transport
            .send(message)
            .await
            .map_err(|e| smtp_error(e, true))?;
        Ok(message_id)
    }

    fn smtp_transport(&self) -> Result<lettre::AsyncSmtpTransport<lettre::Tokio1Executor>, Error> {
        use lettre::transport::smtp::authentication::Credentials;
        type T = lettre::AsyncSmtpTransport<lettre::Tokio1Executor>;
        let Endpoint { host, port } = &self.smtp;
        let builder = if !self.tls {
            T::builder_dangerous(host.as_str())
        } else if *port == 465 {
            T::relay(host).map_err(|e| smtp_error(e, false))?
        } else {
            T::starttls_relay(host).map_err(|e| smtp_error(e, false))?
        };
        Ok(builder
            .port(*port)
            .credentials(Credentials::new(
                self.user.clone(),
                self.password.expose().clone(),
            ))
            .timeout(Some(TIMEOUT))
            .build())
    }
}

/// An SMTP failure: the server's 4xx is worth retrying, its 5xx is final (535: credentials);
/// a connection lost once the message was being handed over leaves its fate unknown.
fn smtp_error(e: lettre::transport::smtp::Error, handing_over: bool) -> Error {
    let said = e.to_string();
    if e.status().is_some_and(|c| c.to_string() == "535") {
        Error::Auth("the SMTP server refused the user name or password".into())
    } else if e.is_permanent() {
        Error::Refused(format!("the SMTP server refused the reply: {said}"))
    } else if e.is_transient() || !handing_over {
        Error::Transient(format!("SMTP: {said}"))
    } else {
        Error::Uncertain(format!("SMTP: {said}"))
    }
}

/// When a message was written: its Date header, unless that claims a time after the server
/// received it (a wrong clock, or a sender pinning its mail to the top of the inbox); then, or
/// without one, when the server received it.
fn sent_at(date: Option<jiff::Timestamp>, received: Option<jiff::Timestamp>) -> jiff::Timestamp {
    let received = received.unwrap_or_else(jiff::Timestamp::now);
    match date {
        Some(d) if d <= received + jiff::SignedDuration::from_mins(15) => d,
        _ => received,
    }
}

fn tls_config() -> Arc<tokio_rustls::rustls::ClientConfig> {
    let roots = tokio_rustls::rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    Arc::new(
        tokio_rustls::rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("ring supports the default protocol versions")
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

fn json(cursor: &Cursor) -> String {
    serde_json::to_string(cursor).expect("a cursor serialises")
}
