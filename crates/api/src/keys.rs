//! Which key provider opens a store: the one its key file names. A new store uses a passphrase
//! when one is given and the OS keychain otherwise.

use std::path::Path;
use crate::keychain::KeychainKeys;
use switchboard_core::keys::{KeyMode, KeyProvider, PassphraseKeys, StoreMeta};
use switchboard_core::{Error, Result};

pub fn for_new_store(passphrase: Option<String>) -> Result<Box<dyn KeyProvider>> {
    Ok(match passphrase.filter(|p| !p.is_empty()) {
        Some(p) => Box::new(PassphraseKeys::new(p)?),
        None => Box::new(KeychainKeys::new()),
    })
}

pub fn for_store(path: &Path, passphrase: Option<String>) -> Result<Box<dyn KeyProvider>> {
    let mode = StoreMeta::read(path)?.map(|m| m.key.mode);
    Ok(match mode {
        Some(KeyMode::Passphrase) => {
            Box::new(PassphraseKeys::new(passphrase.filter(|p| !p.is_empty()).ok_or(Error::PassphraseRequired)?)?)
        }
        Some(KeyMode::Static) => return Err(Error::invalid("this store uses a fixed test key and cannot be opened here")),
        // A missing key file is reported by Store::open, with its path.
        Some(KeyMode::Keychain) | None => Box::new(KeychainKeys::new()),
    })
}

/// The provider for a re-key: the current key, and where the next one comes from.
pub fn for_rekey(path: &Path, passphrase: Option<String>, next: Option<String>) -> Result<Box<dyn KeyProvider>> {
    let mode = StoreMeta::read(path)?.map(|m| m.key.mode);
    Ok(match mode {
        Some(KeyMode::Passphrase) => {
            let next = next
                .filter(|p| !p.is_empty())
                .ok_or_else(|| Error::invalid("set SWITCHBOARD_NEW_PASSPHRASE to the new passphrase"))?;
            let current = passphrase.filter(|p| !p.is_empty()).ok_or(Error::PassphraseRequired)?;
            Box::new(PassphraseKeys::new(current)?.with_next(next)?)
        }
        _ => for_store(path, passphrase)?,
    })
}
