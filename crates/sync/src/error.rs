//! The sync crate's one error type. Messages never carry a URL (Telegram puts the bot token in
//! its URLs), a token, or message text.

use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the platform refused the account's credentials ({0}); re-authenticate the account")]
    Auth(String),
    #[error("rate limited by the platform; retrying in {} s", .0.as_secs())]
    RateLimited(Duration),
    #[error("temporary failure: {0}")]
    Transient(String),
    /// The connection failed after the request may have reached the platform: a send's outcome
    /// is unknown.
    #[error("connection failed: {0}")]
    Uncertain(String),
    #[error("the platform refused the request: {0}")]
    Refused(String),
    #[error("unexpected response from the platform: {0}")]
    Malformed(String),
    #[error("no credentials for {0} in the keychain; add the account again")]
    NoCredentials(String),
    #[error("account {account}: {problem}")]
    Config { account: String, problem: String },
    #[error(transparent)]
    Store(#[from] switchboard_core::Error),
}

impl Error {
    /// Worth trying again after a pause.
    pub fn is_transient(&self) -> bool {
        matches!(self, Error::Transient(_) | Error::Uncertain(_) | Error::RateLimited(_) | Error::Malformed(_))
    }
}

impl From<reqwest::Error> for Error {
    fn from(e: reqwest::Error) -> Self {
        // The URL is dropped from the message: Telegram's holds the bot token.
        let connect = e.is_connect();
        let message = e.without_url().to_string();
        if connect {
            // Nothing reached the platform.
            Error::Transient(message)
        } else {
            Error::Uncertain(message)
        }
    }
}
