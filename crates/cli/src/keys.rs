//! Which key provider a command uses: the one the store's key file names; for a new store, a
//! passphrase when SWITCHBOARD_PASSPHRASE is set and the OS keychain otherwise.

use std::path::Path;
use switchboard_core::keys::{KeyMode, KeyProvider, KeychainKeys, PassphraseKeys, StoreMeta};
use switchboard_core::{Error, Result};

pub const PASSPHRASE_ENV: &str = "SWITCHBOARD_PASSPHRASE";
pub const NEW_PASSPHRASE_ENV: &str = "SWITCHBOARD_NEW_PASSPHRASE";

fn passphrase() -> Option<String> {
    std::env::var(PASSPHRASE_ENV).ok().filter(|p| !p.is_empty())
}

pub fn for_new_store() -> Result<Box<dyn KeyProvider>> {
    Ok(match passphrase() {
        Some(p) => Box::new(PassphraseKeys::new(p)?),
        None => Box::new(KeychainKeys::new()),
    })
}

pub fn for_store(path: &Path) -> Result<Box<dyn KeyProvider>> {
    let mode = StoreMeta::read(path)?.map(|m| m.key.mode);
    Ok(match mode {
        Some(KeyMode::Passphrase) => Box::new(PassphraseKeys::new(passphrase().ok_or(Error::PassphraseRequired)?)?),
        Some(KeyMode::Static) => return Err(Error::invalid("this store uses a fixed test key and cannot be opened here")),
        // A missing key file is reported by Store::open with the file's path.
        Some(KeyMode::Keychain) | None => Box::new(KeychainKeys::new()),
    })
}

/// The provider for `rekey`: the current key plus where the next one comes from.
pub fn for_rekey(path: &Path) -> Result<Box<dyn KeyProvider>> {
    let mode = StoreMeta::read(path)?.map(|m| m.key.mode);
    Ok(match mode {
        Some(KeyMode::Passphrase) => {
            let next = std::env::var(NEW_PASSPHRASE_ENV)
                .ok()
                .filter(|p| !p.is_empty())
                .ok_or_else(|| Error::invalid(format!("set {NEW_PASSPHRASE_ENV} to the new passphrase")))?;
            Box::new(PassphraseKeys::new(passphrase().ok_or(Error::PassphraseRequired)?)?.with_next(next)?)
        }
        _ => for_store(path)?,
    })
}
