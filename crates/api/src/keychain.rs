//! The OS keychain (the Secret Service on Linux, through keyring): where the store's key and the
//! accounts' secrets live on a desktop. The platform's part, kept out of the pure core, which
//! knows only the `KeyProvider` and `Credentials` traits.

use switchboard_core::credentials::Credentials;
use switchboard_core::keys::{Kdf, KeyMode, KeyProvider, KeySpec, Slot, StoreKey, KEYCHAIN_SERVICE};
use switchboard_core::sensitive::Sensitive;
use switchboard_core::{Error, Result};
use zeroize::Zeroizing;

/// A random key kept in the OS keychain (Secret Service on Linux).
pub struct KeychainKeys {
    service: String,
}

impl Default for KeychainKeys {
    fn default() -> Self {
        Self::new()
    }
}

impl KeychainKeys {
    pub fn new() -> Self {
        Self::with_service(KEYCHAIN_SERVICE)
    }

    pub fn with_service(service: &str) -> Self {
        // The kernel keyring does not survive a reboot; the Secret Service does.
        keyring::set_default_credential_builder(keyring::secret_service::default_credential_builder());
        KeychainKeys { service: service.to_owned() }
    }

    fn entry(&self, store_id: &str, slot: Slot) -> Result<keyring::Entry> {
        let user = match slot {
            Slot::Current => format!("store-key:{store_id}"),
            Slot::Pending => format!("store-key:{store_id}:pending"),
        };
        keyring::Entry::new(&self.service, &user).map_err(keychain_error)
    }
}

fn keychain_error(e: keyring::Error) -> Error {
    match e {
        keyring::Error::NoEntry => Error::KeyMissing,
        // keyring's messages name the failing service, never the secret.
        other => Error::Keychain(other.to_string()),
    }
}

impl KeyProvider for KeychainKeys {
    fn mode(&self) -> KeyMode {
        KeyMode::Keychain
    }
    fn key(&self, store_id: &str, _: &KeySpec, slot: Slot) -> Result<StoreKey> {
        let secret = Zeroizing::new(self.entry(store_id, slot)?.get_password().map_err(keychain_error)?);
        StoreKey::from_hex(&secret)
    }
    fn new_key(&self, store_id: &str, slot: Slot) -> Result<(StoreKey, Option<Kdf>)> {
        let key = StoreKey::random();
        self.entry(store_id, slot)?.set_password(&key.to_hex()).map_err(keychain_error)?;
        Ok((key, None))
    }
    fn promote(&self, store_id: &str) -> Result<()> {
        let pending = self.entry(store_id, Slot::Pending)?;
        let secret = Zeroizing::new(pending.get_password().map_err(keychain_error)?);
        self.entry(store_id, Slot::Current)?.set_password(&secret).map_err(keychain_error)?;
        self.discard_pending(store_id)
    }
    fn discard_pending(&self, store_id: &str) -> Result<()> {
        match self.entry(store_id, Slot::Pending)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(keychain_error(e)),
        }
    }
    fn forget(&self, store_id: &str) -> Result<()> {
        self.discard_pending(store_id)?;
        match self.entry(store_id, Slot::Current)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(keychain_error(e)),
        }
    }
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

