//! The one error type of the core. Every variant renders as a single line that names what went
//! wrong and, where it helps, what to do; none ever carries key material or message text.

use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no store at {0}; run `switchboard init` to create one")]
    NotFound(PathBuf),
    #[error("a store already exists at {0}")]
    AlreadyExists(PathBuf),
    #[error("wrong key or passphrase for the store at {0}")]
    WrongKey(PathBuf),
    #[error("the store at {path} is damaged ({detail}); it was left untouched")]
    Damaged { path: PathBuf, detail: String },
    #[error(
        "the store at {path} was written by a newer Switchboard (schema {found}, this build reads up to {supported}); update Switchboard"
    )]
    NewerVersion { path: PathBuf, found: i64, supported: i64 },
    #[error(
        "the store at {path} was written by a newer Switchboard (store format {found}, this build reads up to {supported}); update Switchboard"
    )]
    NewerFormat { path: PathBuf, found: u32, supported: u32 },
    #[error("the store's folder {0} is read-only; nothing was changed")]
    ReadOnly(PathBuf),
    #[error("the disk is full while writing the store at {0}; nothing was changed")]
    DiskFull(PathBuf),
    #[error("the key file {path} is missing or unreadable ({detail})")]
    Meta { path: PathBuf, detail: String },
    #[error("this store is protected by a passphrase; set SWITCHBOARD_PASSPHRASE")]
    PassphraseRequired,
    #[error("the OS keychain is unavailable ({0}); set SWITCHBOARD_PASSPHRASE to use a passphrase instead")]
    Keychain(String),
    #[error("no key for this store in the OS keychain")]
    KeyMissing,
    #[error("{0}")]
    Invalid(String),
    /// The channel does not take this reply now (too long, or outside its messaging window).
    #[error("cannot reply: {0}")]
    ReplyNotAllowed(String),
    #[error("{what} not found: {id}")]
    Missing { what: &'static str, id: String },
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
}

impl Error {
    pub fn invalid(msg: impl Into<String>) -> Self {
        Error::Invalid(msg.into())
    }

    /// Re-labels low-level failures with what they mean for the store at `path`, so the user sees
    /// "disk full" or "damaged" instead of an SQLite code.
    pub fn for_store(self, path: &std::path::Path) -> Self {
        use rusqlite::ErrorCode as C;
        match &self {
            Error::Sqlite(rusqlite::Error::SqliteFailure(e, msg)) => match e.code {
                C::DiskFull => Error::DiskFull(path.to_owned()),
                C::ReadOnly => Error::ReadOnly(parent_of(path)),
                C::DatabaseCorrupt | C::NotADatabase => Error::Damaged {
                    path: path.to_owned(),
                    detail: msg.clone().unwrap_or_else(|| e.to_string()),
                },
                _ => self,
            },
            Error::Io(e) if e.kind() == std::io::ErrorKind::StorageFull => {
                Error::DiskFull(path.to_owned())
            }
            Error::Io(e) if e.kind() == std::io::ErrorKind::ReadOnlyFilesystem => {
                Error::ReadOnly(parent_of(path))
            }
            _ => self,
        }
    }
}

/// A JSON error in words that name the shape that was expected and where, never the data:
/// serde's "invalid type: string \"…\"" would quote a customer's text (or a card number) into a
/// log, an account's state, an import report or the UI.
pub fn describe_json(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let message = e.to_string();
    match e.classify() {
        // Where the text stopped being JSON, and what was expected there: no data.
        Category::Syntax | Category::Eof | Category::Io => message,
        // Our field names.
        Category::Data if message.starts_with("missing field") || message.starts_with("duplicate field") => message,
        // The data comes first and the expected shape (with the position) last: only the last
        // part is said, even when the data holds ", expected ".
        Category::Data => match message.rsplit_once(", expected ") {
            Some((_, expected)) => format!("a value of the wrong type or form; expected {expected}"),
            None if e.line() > 0 => format!("a value that does not read at line {} column {}", e.line(), e.column()),
            None => "a value that does not read".to_owned(),
        },
    }
}

pub(crate) fn parent_of(path: &std::path::Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_json_error_says_what_was_expected_and_never_the_data() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct M {
            id: u64,
            text: String,
        }
        let said = |json: &str| super::describe_json(&serde_json::from_str::<M>(json).unwrap_err());
        let wrong = said(r#"{"id": "call me at 555-0199, expected soon", "text": "x"}"#);
        assert!(!wrong.contains("555") && !wrong.contains("soon") && wrong.contains("u64"), "{wrong}");
        assert_eq!(said(r#"{"text": "my card is 4111"}"#), "missing field `id` at line 1 column 27");
        assert_eq!(said(r#"{"id": 1, "text": "#), "EOF while parsing a value at line 1 column 18");
        let list = super::describe_json(&serde_json::from_str::<Vec<M>>(r#""Hi, my card is 4111 1111 1111 1111""#).unwrap_err());
        assert!(!list.contains("4111") && list.contains("expected a sequence"), "{list}");
    }
}
