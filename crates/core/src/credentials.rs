//! Connector credentials (bot tokens, API tokens): kept in the OS keychain (the app's platform
//! module), never in the store, never printed. Entries are per store and account, so two stores
//! never share a token.

use crate::error::Result;
use crate::sensitive::Sensitive;
use std::collections::HashMap;
use std::sync::Mutex;

pub trait Credentials: Send + Sync {
    fn get(&self, account: &str) -> Result<Option<Sensitive<String>>>;
    fn set(&self, account: &str, secret: &str) -> Result<()>;
    fn delete(&self, account: &str) -> Result<()>;
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
