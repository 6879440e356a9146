//! The connectors behind one interface: pull a batch after a cursor, send a reply, and (where the
//! platform allows) find a reply that may already have been sent.

use crate::error::Error;
use crate::pace::Paces;
use crate::{comments::Comments, email::Email, graph::Graph, hub::Hub, mentions::Mentions, telegram::Telegram, twilio::Twilio, x::X};
use std::time::Duration;
use switchboard_core::model::{AccountView, Channel, EmailReply, OutboxKind, Template};
use switchboard_core::reply_rules::Window;
use switchboard_core::sensitive::Sensitive;

pub use crate::wire::Pulled;

/// A reply on its way out, with what its channel needs: the window it is sent under, the
/// template it is sent as, and for email where it goes and how it threads.
pub struct Outgoing<'a> {
    /// The conversation's external id.
    pub to: &'a str,
    pub text: &'a str,
    pub window: Window,
    pub template: Option<&'a Template>,
    /// The outbox's idempotency key: the same key is the same message.
    pub key: &'a str,
    pub email: Option<&'a EmailReply>,
    pub kind: OutboxKind,
    /// The public message it is about (see `OutboxItem::target`).
    pub target: Option<&'a str>,
}

/// The HTTP client every connector shares: one connection pool, our user agent.
pub(crate) fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .user_agent(concat!("Switchboard/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("HTTP client")
}

/// Makes connectors for code that runs accounts outside the desk's engine (the team's hub): one
/// HTTP client, and the metered budgets every account shares.
#[derive(Clone)]
pub struct Connectors {
    http: reqwest::Client,
    paces: Paces,
    /// How long a metered API's calls wait once its budget is spent.
    pub usage_pause: Duration,
}

impl Default for Connectors {
    fn default() -> Self {
        Connectors { http: http_client(), paces: Paces::default(), usage_pause: Duration::from_secs(60) }
    }
}

impl Connectors {
    pub fn connect(&self, account: &AccountView, secret: Sensitive<String>) -> Result<Connector, Error> {
        Connector::for_account(account, secret, self.http.clone(), &self.paces, self.usage_pause)
    }
}

pub enum Connector {
    Comments(Comments),
    Email(Email),
    Graph(Graph),
    /// The team's hub (team mode): its log.
    Hub(Hub),
    Mentions(Mentions),
    Telegram(Telegram),
    Twilio(Twilio),
    X(X),
}

impl Connector {
    /// `paces`: the engine's metered budgets; `usage_pause`: how long calls wait when one is spent.
    pub(crate) fn for_account(account: &AccountView, secret: Sensitive<String>, http: reqwest::Client, paces: &Paces, usage_pause: Duration) -> Result<Connector, Error> {
        let stream = account.config.get("stream").and_then(|v| v.as_str());
        match (account.channel, stream) {
            (Channel::Facebook, _) | (Channel::Instagram, Some("comments")) => {
                Ok(Connector::Comments(Comments::new(Graph::new(account, secret, http, paces, usage_pause)?, account.channel)))
            }
            (Channel::X, Some("mentions")) => Ok(Connector::Mentions(Mentions::new(account, X::new(account, secret, http, paces)?))),
            (_, Some(other)) => Err(Error::Config { account: account.key.clone(), problem: format!("no {other} stream on {}", account.channel) }),
            _ => Self::private(account, secret, http, paces, usage_pause),
        }
    }

    /// The connector of a private inbox.
    fn private(account: &AccountView, secret: Sensitive<String>, http: reqwest::Client, paces: &Paces, usage_pause: Duration) -> Result<Connector, Error> {
        match account.channel {
            Channel::Messenger | Channel::Instagram => Ok(Connector::Graph(Graph::new(account, secret, http, paces, usage_pause)?)),
            Channel::Telegram => Ok(Connector::Telegram(Telegram::new(account, secret, http)?)),
            Channel::Sms | Channel::Whatsapp => Ok(Connector::Twilio(Twilio::new(account, secret, http)?)),
            Channel::X => Ok(Connector::X(X::new(account, secret, http, paces)?)),
            Channel::Email => Ok(Connector::Email(Email::new(account, secret)?)),
            Channel::Hub => Ok(Connector::Hub(Hub::new(account, secret, http)?)),
            other => Err(Error::Config {
                account: account.key.clone(),
                problem: format!("no connector for {other} yet"),
            }),
        }
    }

    /// The name of the cursor this connector keeps.
    pub fn stream(&self) -> &'static str {
        match self {
            Connector::Comments(_) => "comments",
            Connector::Mentions(_) => "mentions",
            Connector::Email(_) => "mailbox",
            Connector::Graph(_) => "conversations",
            Connector::Hub(_) => "log",
            Connector::Telegram(_) => "updates",
            Connector::Twilio(_) => "messages",
            Connector::X(_) => "dm_events",
        }
    }

    /// Whether asking for the next batch confirms the last one to the platform, which then
    /// forgets it (Telegram's offset): a batch must be stored before the next pull.
    pub fn pull_confirms(&self) -> bool {
        matches!(self, Connector::Telegram(_))
    }

    /// Whether a pull can wait for news (Telegram's long-poll, IMAP IDLE) instead of polling.
    pub fn long_polls(&self) -> bool {
        matches!(self, Connector::Telegram(_) | Connector::Email(_) | Connector::Hub(_))
    }

    /// Pulls what comes after `cursor`. With `wait`, a long-polling platform holds the request
    /// until something arrives or the time passes.
    pub async fn pull(&self, cursor: Option<&str>, wait: Duration) -> Result<Pulled, Error> {
        match self {
            Connector::Comments(c) => c.pull(cursor).await,
            Connector::Mentions(c) => c.pull(cursor).await,
            Connector::Email(c) => c.pull(cursor, wait).await,
            Connector::Graph(c) => c.pull(cursor).await,
            Connector::Hub(c) => c.pull(cursor, wait).await,
            Connector::Telegram(c) => c.pull(cursor, wait).await,
            Connector::Twilio(c) => c.pull(cursor).await,
            Connector::X(c) => c.pull(cursor).await,
        }
    }

    /// Sends a reply as its `window` allows (see `reply_rules`); returns the platform's id for
    /// the message, as a sync will later see it.
    pub async fn send(&self, out: &Outgoing<'_>) -> Result<String, Error> {
        let target = || out.target.ok_or_else(|| Error::Refused("this reply names no comment or post to answer".into()));
        match (self, out.kind) {
            (Connector::Hub(_), _) => return Err(Error::Refused("in a team, the hub sends replies".into())),
            (Connector::Comments(c), OutboxKind::Hide) => return c.hide(target()?).await,
            (_, OutboxKind::Hide) => return Err(Error::Refused("this channel cannot hide a message".into())),
            (Connector::Graph(c), OutboxKind::PrivateReply) => return c.private_reply(target()?, out.text).await,
            (_, OutboxKind::PrivateReply) => return Err(Error::Refused("this channel has no private replies to comments".into())),
            (Connector::Comments(c), OutboxKind::Reply) => return c.reply(target()?, out.text).await,
            (Connector::Mentions(c), OutboxKind::Reply) => return c.reply(target()?, out.text).await,
            _ => {}
        }
        if let Some(template) = out.template {
            return match self {
                Connector::Twilio(c) => c.send_template(out.to, template).await,
                _ => Err(Error::Refused(
                    "this channel has no message templates".into(),
                )),
            };
        }
        match self {
            Connector::Email(c) => match out.email {
                Some(reply) => c.send(reply, out.text, out.key).await,
                None => Err(Error::Refused(
                    "an email reply needs the customer's address".into(),
                )),
            },
            Connector::Graph(c) => c.send(out.to, out.text, out.window).await,
            Connector::Comments(_) | Connector::Mentions(_) | Connector::Hub(_) => unreachable!("answered above"),
            Connector::Telegram(c) => c.send(out.to, out.text).await,
            Connector::Twilio(c) => c.send(out.to, out.text).await,
            Connector::X(c) => c.send(out.to, out.text).await,
        }
    }

    /// After a crash mid-send: the platform's id of a reply with this text sent to `to` since
    /// `since`, if the platform can tell. `Ok(None)` with `can_look_up() == false` means unknown.
    /// `target`: the public message a public reply answered.
    pub async fn find_sent(&self, to: &str, text: &str, since: jiff::Timestamp, target: Option<&str>) -> Result<Option<String>, Error> {
        match (self, target) {
            (Connector::Comments(c), Some(t)) => return c.find_reply(t, text, since).await,
            (Connector::Mentions(c), Some(t)) => return c.find_reply(t, text).await,
            (Connector::Comments(_) | Connector::Mentions(_), None) => return Ok(None),
            _ => {}
        }
        match self {
            Connector::Comments(_) | Connector::Mentions(_) => Ok(None),
            Connector::Graph(c) => c.find_sent(to, text, since).await,
            Connector::Telegram(_) | Connector::Email(_) | Connector::Hub(_) => Ok(None),
            Connector::Twilio(c) => c.find_sent(to, text, since).await,
            Connector::X(c) => c.find_sent(to, text, since).await,
        }
    }

    /// Whether `find_sent` can answer. A bot cannot read its own sent messages on Telegram; SMTP
    /// keeps no record of what it accepted.
    pub fn can_look_up(&self) -> bool {
        !matches!(self, Connector::Telegram(_) | Connector::Email(_) | Connector::Hub(_))
    }
}
