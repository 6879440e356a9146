//! Key providers for the CLI: the passphrase comes from the environment (see switchboard_api::keys).

use std::path::Path;
use switchboard_core::keys::KeyProvider;
use switchboard_core::Result;

pub const PASSPHRASE_ENV: &str = "SWITCHBOARD_PASSPHRASE";
pub const NEW_PASSPHRASE_ENV: &str = "SWITCHBOARD_NEW_PASSPHRASE";

pub fn passphrase() -> Option<String> {
    std::env::var(PASSPHRASE_ENV).ok()
}

pub fn for_new_store() -> Result<Box<dyn KeyProvider>> {
    switchboard_api::keys::for_new_store(passphrase())
}

pub fn for_store(path: &Path) -> Result<Box<dyn KeyProvider>> {
    switchboard_api::keys::for_store(path, passphrase())
}

pub fn for_rekey(path: &Path) -> Result<Box<dyn KeyProvider>> {
    switchboard_api::keys::for_rekey(path, passphrase(), std::env::var(NEW_PASSPHRASE_ENV).ok())
}
