//! Connector credentials (bot tokens, API tokens): kept in the OS keychain, never in the store,
//! never printed. Entries are per store and account, so two stores never share a token.

use crate::error::{Error, Result};
use crate::sensitive::Sensitive;
use std::collections::HashMap;
use std::sync::Mutex;

pub trait Credentials: Send + Sync {
    fn get(&self, account: &str) -> Result<Option<Sensitive<String>>>;
    fn set(&self, account: &str, secret: &str) -> Result<()>;
    fn delete(&self, account: &str) -> Result<()>;
}

/// The OS keychain (Secret Service on Linux): service `switchboard`, user
/// `account:<store id>:<account key>`.
pub struct KeychainCredentials {
    service: String,
    store_id: String,
}

impl KeychainCredentials {
    pub fn new(store_id: &str) -> Self {
        keyring::set_default_credential_builder(keyring::secret_service::default_credential_builder());
        KeychainCredentials { service: "switchboard".into(), store_id: store_id.to_owned() }
    }

    fn entry(&self, account: &str) -> Result<keyring::Entry> {
        keyring::Entry::new(&self.service, &format!("account:{}:{account}", self.store_id))
            .map_err(|e| Error::Keychain(e.to_string()))
    }
}

impl Credentials for KeychainCredentials {
    fn get(&self, account: &str) -> Result<Option<Sensitive<String>>> {
        match self.entry(account)?.get_password() {
            Ok(secret) => Ok(Some(Sensitive::new(secret))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(Error::Keychain(e.to_string())),
        }
    }
    fn set(&self, account: &str, secret: &str) -> Result<()> {
        self.entry(account)?.set_password(secret).map_err(|e| Error::Keychain(e.to_string()))
    }
    fn delete(&self, account: &str) -> Result<()> {
        match self.entry(account)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(Error::Keychain(e.to_string())),
        }
    }
}

/// Credentials held in memory only, for tests and the sandbox demo where no keychain runs.
#[derive(Default)]
pub struct MemoryCredentials(Mutex<HashMap<String, Sensitive<String>>>);

impl Credentials for MemoryCredentials {
    fn get(&self, account: &str) -> Result<Option<Sensitive<String>>> {
        Ok(self.0.lock().expect("lock").get(account).cloned())
    }
    fn set(&self, account: &str, secret: &str) -> Result<()> {
        self.0.lock().expect("lock").insert(account.to_owned(), Sensitive::new(secret.to_owned()));
        Ok(())
    }
    fn delete(&self, account: &str) -> Result<()> {
        self.0.lock().expect("lock").remove(account);
        Ok(())
    }
}
