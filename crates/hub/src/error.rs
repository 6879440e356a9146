//! The hub's one error. A database's own error is described by what went wrong, never by the
//! values involved (a PostgreSQL error's detail can quote a row).

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the hub's database: {0}")]
    Database(String),
    #[error(transparent)]
    Store(#[from] switchboard_core::Error),
    #[error("{0}")]
    Invalid(String),
    /// An append carried a pull of an account whose lease this hub no longer holds.
    #[error("this hub no longer holds {0}")]
    LeaseLost(String),
    #[error("nobody called {0:?} is on this hub")]
    NoPerson(String),
    #[error("{0:?} is on this hub already")]
    PersonExists(String),
    #[error("that enrolment code is not known, was used already or has expired")]
    BadCode,
    #[error("account {0} is on this hub already")]
    AccountExists(String),
    #[error("no account {0} on this hub")]
    NoAccount(String),
}

impl Error {
    pub fn invalid(message: impl Into<String>) -> Error {
        Error::Invalid(message.into())
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Error {
        Error::Database(e.to_string())
    }
}

impl From<tokio_postgres::Error> for Error {
    fn from(e: tokio_postgres::Error) -> Error {
        // The code and message only: a DbError's detail and where-clauses can hold row values.
        match e.as_db_error() {
            Some(db) => Error::Database(format!("{} ({})", db.message(), db.code().code())),
            None => Error::Database(e.to_string()),
        }
    }
}

impl From<deadpool_postgres::PoolError> for Error {
    fn from(e: deadpool_postgres::PoolError) -> Error {
        match e {
            deadpool_postgres::PoolError::Backend(e) => e.into(),
            other => Error::Database(other.to_string()),
        }
    }
}
