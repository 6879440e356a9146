//! The one error type of the command list, as it crosses to the UI: a stable code the UI acts
//! on, and a message for the agent (one line, never a secret or a customer's words).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The store is not open (no key at hand, or it cannot be opened): show the unlock screen.
    StoreLocked,
    NotFound,
    Invalid,
    /// The channel does not allow this reply now (length, window); the message says why.
    NotAllowed,
    Internal,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError { code, message: message.into() }
    }

    pub fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::Invalid, message)
    }

    pub fn internal(message: impl std::fmt::Display) -> ApiError {
        ApiError::new(ErrorCode::Internal, message.to_string())
    }
}

pub type Result<T, E = ApiError> = std::result::Result<T, E>;

impl From<switchboard_core::Error> for ApiError {
    fn from(e: switchboard_core::Error) -> Self {
        use switchboard_core::Error as E;
        let code = match &e {
            E::WrongKey(_) | E::PassphraseRequired | E::Keychain(_) | E::KeyMissing => ErrorCode::StoreLocked,
            E::NotFound(_) | E::Missing { .. } => ErrorCode::NotFound,
            E::Invalid(_) => ErrorCode::Invalid,
            E::ReplyNotAllowed(_) => ErrorCode::NotAllowed,
            _ => ErrorCode::Internal,
        };
        ApiError { code, message: e.to_string() }
    }
}

impl From<switchboard_sync::Error> for ApiError {
    fn from(e: switchboard_sync::Error) -> Self {
        use switchboard_sync::Error as E;
        match e {
            E::Store(e) => e.into(),
            E::Refused(_) | E::Config { .. } | E::Auth(_) => ApiError::new(ErrorCode::NotAllowed, e.to_string()),
            _ => ApiError::internal(e),
        }
    }
}
