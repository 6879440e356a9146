//! The `Workspace`: one store and the commands over it. It holds no UI state.

use crate::commands::*;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use switchboard_core::{Error, Store};

pub struct Workspace {
    path: PathBuf,
    store: Mutex<Option<Store>>,
    /// Why the store is not open, when it is not.
    problem: Mutex<Option<(StoreState, String)>>,
}

impl Workspace {
    /// Opens the store at `path` (creating it when `create` and it does not exist yet). A store
    /// that cannot be opened still gives a Workspace, which reports why in `status`.
    pub fn open(path: &Path, passphrase: Option<String>, create: bool) -> Workspace {
        let opened = if path.exists() {
            crate::keys::for_store(path, passphrase).and_then(|k| Store::open(path, k.as_ref()))
        } else if create {
            crate::keys::for_new_store(passphrase).and_then(|k| Store::create(path, k.as_ref()))
        } else {
            Err(Error::NotFound(path.to_owned()))
        };
        let (store, problem) = match opened {
            Ok(store) => (Some(store), None),
            Err(e) => {
                let state = match &e {
                    Error::NotFound(_) => StoreState::Missing,
                    Error::PassphraseRequired | Error::Keychain(_) | Error::KeyMissing => StoreState::Locked,
                    _ => StoreState::Error,
                };
                tracing::warn!(error = %e, "store not opened");
                (None, Some((state, e.for_store(path).to_string())))
            }
        };
        Workspace { path: path.to_owned(), store: Mutex::new(store), problem: Mutex::new(problem) }
    }

    pub fn status(&self) -> Result<AppStatus, ApiError> {
        let store = self.store.lock().expect("store lock");
        let (state, message, counts) = match store.as_ref() {
            Some(store) => {
                let stats = store.stats().map_err(ApiError::from)?;
                let count = |t: &str| stats.iter().find(|s| s.table == t).map(|s| s.rows).unwrap_or(0);
                let counts = StoreCounts { conversations: count("conversations"), messages: count("messages") };
                (StoreState::Unlocked, None, Some(counts))
            }
            None => {
                let problem = self.problem.lock().expect("problem lock").clone();
                let (state, message) = problem.unwrap_or((StoreState::Error, "the store is not open".into()));
                (state, Some(message), None)
            }
        };
        Ok(AppStatus {
            app: "Switchboard".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            store: StoreStatus { state, path: self.path.display().to_string(), message, counts },
        })
    }
}
