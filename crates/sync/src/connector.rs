//! The connectors behind one interface: pull a batch after a cursor, send a reply, and (where the
//! platform allows) find a reply that may already have been sent.

use crate::error::Error;
use crate::{telegram::Telegram, twilio::Twilio};
use std::time::Duration;
use switchboard_core::interchange::Record;
use switchboard_core::model::{AccountView, Channel};
use switchboard_core::sensitive::Sensitive;

/// One pull: records to store, and the cursor to store with them.
#[derive(Debug)]
pub struct Pulled {
    pub records: Vec<Record>,
    pub cursor: String,
    /// Nothing more is waiting right now.
    pub caught_up: bool,
    /// Records the platform sent that could not be read; skipped (and logged without content).
    pub skipped: usize,
}

pub enum Connector {
    Telegram(Telegram),
    Twilio(Twilio),
}

pub(crate) fn setting<'a>(account: &'a AccountView, name: &str) -> Result<&'a str, Error> {
    account.config.get(name).and_then(|v| v.as_str()).filter(|s| !s.is_empty()).ok_or_else(|| Error::Config {
        account: account.key.clone(),
        problem: format!("setting {name:?} is missing"),
    })
}

impl Connector {
    pub fn for_account(account: &AccountView, secret: Sensitive<String>, http: reqwest::Client) -> Result<Connector, Error> {
        match account.channel {
            Channel::Telegram => Ok(Connector::Telegram(Telegram::new(account, secret, http)?)),
            Channel::Sms | Channel::Whatsapp => Ok(Connector::Twilio(Twilio::new(account, secret, http)?)),
            other => Err(Error::Config { account: account.key.clone(), problem: format!("no connector for {other} yet") }),
        }
    }

    /// The name of the cursor this connector keeps.
    pub fn stream(&self) -> &'static str {
        match self {
            Connector::Telegram(_) => "updates",
            Connector::Twilio(_) => "messages",
        }
    }

    /// The most characters one reply may have.
    pub fn max_chars(&self) -> usize {
        match self {
            Connector::Telegram(_) => 4096,
            Connector::Twilio(_) => 1600,
        }
    }

    /// Pulls what comes after `cursor`. With `wait`, a long-polling platform holds the request
    /// until something arrives or the time passes.
    pub async fn pull(&self, cursor: Option<&str>, wait: Duration) -> Result<Pulled, Error> {
        match self {
            Connector::Telegram(c) => c.pull(cursor, wait).await,
            Connector::Twilio(c) => c.pull(cursor).await,
        }
    }

    /// Sends `text` into the conversation `to` (its external id); returns the platform's id for
    /// the message, as a sync will later see it.
    pub async fn send(&self, to: &str, text: &str) -> Result<String, Error> {
        match self {
            Connector::Telegram(c) => c.send(to, text).await,
            Connector::Twilio(c) => c.send(to, text).await,
        }
    }

    /// After a crash mid-send: the platform's id of a reply with this text sent to `to` since
    /// `since`, if the platform can tell. `Ok(None)` with `can_look_up() == false` means unknown.
    pub async fn find_sent(&self, to: &str, text: &str, since: jiff::Timestamp) -> Result<Option<String>, Error> {
        match self {
            Connector::Telegram(_) => Ok(None),
            Connector::Twilio(c) => c.find_sent(to, text, since).await,
        }
    }

    /// Whether `find_sent` can answer. A bot cannot read its own sent messages on Telegram.
    pub fn can_look_up(&self) -> bool {
        matches!(self, Connector::Twilio(_))
    }
}
