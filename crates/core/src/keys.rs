//! Store keys: where the 256-bit SQLCipher key comes from, and the non-secret file beside the
//! store that says how to get it back.
//!
//! Three providers: the OS keychain (a random key created on first run), a passphrase (Argon2id
//! over a per-store random salt) and a fixed key for tests. The file beside the store
//! (`<store>.keyinfo`, JSON) holds the store's id, the key mode, the KDF salt and parameters and
//! a key check value (HMAC-SHA256 of a fixed label under the key). The check value is what tells
//! a wrong key from a damaged file; it adds nothing for an attacker, since an encrypted SQLCipher
//! page already tells whether a guessed key is right.
//!
//! A re-key first records the new key as `pending`, then re-encrypts, then promotes it, so a
//! crash at any point leaves a store that one of the two recorded keys opens.

use crate::error::{Error, Result};
use crate::sensitive::Sensitive;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

pub const KEY_LEN: usize = 32;
/// The keychain service the store keys are kept under.
pub const KEYCHAIN_SERVICE: &str = "switchboard";
const CHECK_LABEL: &[u8] = b"switchboard store key check v1:";

/// A 256-bit store key. Never printed, zeroized on drop.
#[derive(Clone)]
pub struct StoreKey(Sensitive<[u8; KEY_LEN]>);

impl std::fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreKey([redacted])")
    }
}

impl StoreKey {
    pub fn random() -> Self {
        let mut bytes = [0u8; KEY_LEN];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        StoreKey(Sensitive::new(bytes))
    }

    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        StoreKey(Sensitive::new(bytes))
    }

    pub fn from_hex(hex_key: &str) -> Result<Self> {
        let bytes = Zeroizing::new(
            hex::decode(hex_key.trim()).map_err(|_| Error::invalid("the stored key is malformed"))?,
        );
        let arr: [u8; KEY_LEN] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| Error::invalid("the stored key has the wrong length"))?;
        Ok(Self::from_bytes(arr))
    }

    pub fn expose(&self) -> &[u8; KEY_LEN] {
        self.0.expose()
    }

    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(self.expose()))
    }

    /// The value for `PRAGMA key`: a raw key, so SQLCipher skips its own PBKDF2.
    pub(crate) fn pragma_value(&self) -> Zeroizing<String> {
        Zeroizing::new(format!("x'{}'", hex::encode(self.expose())))
    }

    pub(crate) fn check_value(&self, store_id: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.expose()).expect("any key length");
        mac.update(CHECK_LABEL);
        mac.update(store_id.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyMode {
    Keychain,
    Passphrase,
    Static,
}

/// Argon2id parameters and salt of a passphrase-derived key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kdf {
    pub algorithm: String,
    pub salt: String,
    pub m_cost: u32,
    pub t_cost: u32,
    pub p_cost: u32,
}

impl Kdf {
    fn fresh() -> Self {
        let mut salt = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut salt);
        // OWASP's recommended Argon2id floor: 19 MiB, 2 passes, 1 lane.
        Kdf {
            algorithm: "argon2id".into(),
            salt: base64::engine::general_purpose::STANDARD.encode(salt),
            m_cost: 19 * 1024,
            t_cost: 2,
            p_cost: 1,
        }
    }

    fn derive(&self, passphrase: &str) -> Result<StoreKey> {
        if self.algorithm != "argon2id" {
            return Err(Error::invalid(format!("unknown key derivation {:?}", self.algorithm)));
        }
        let salt = base64::engine::general_purpose::STANDARD
            .decode(&self.salt)
            .map_err(|_| Error::invalid("the key file's salt is malformed"))?;
        let params = argon2::Params::new(self.m_cost, self.t_cost, self.p_cost, Some(KEY_LEN))
            .map_err(|e| Error::invalid(format!("bad key derivation parameters: {e}")))?;
        let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let mut out = [0u8; KEY_LEN];
        argon
            .hash_password_into(passphrase.as_bytes(), &salt, &mut out)
            .map_err(|e| Error::invalid(format!("key derivation failed: {e}")))?;
        let key = StoreKey::from_bytes(out);
        zeroize::Zeroize::zeroize(&mut out);
        Ok(key)
    }
}

/// How to get one key back: its mode, KDF (passphrase mode) and check value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeySpec {
    pub mode: KeyMode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kdf: Option<Kdf>,
    pub check: String,
}

/// Which of the two recorded keys a provider is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    Current,
    Pending,
}

/// The newest store format this build writes and reads. Format 1: SQLCipher's default 4 KiB
/// pages. Format 2 records its page size (`page_size`), which SQLCipher must be told before it
/// reads a byte: an encrypted file's header does not say.
pub const STORE_FORMAT: u32 = 2;

/// SQLCipher's page size, which format 1 stores have.
fn format_1_page_size() -> u32 {
    4096
}

/// The non-secret file beside a store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreMeta {
    pub format: u32,
    pub store_id: String,
    pub key: KeySpec,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<KeySpec>,
    /// Bytes per page (format 2 on; a format 1 file has none and SQLCipher's 4 KiB default).
    #[serde(default = "format_1_page_size")]
    pub page_size: u32,
}

impl StoreMeta {
    pub fn path_for(store: &Path) -> PathBuf {
        let mut name = store.file_name().unwrap_or_default().to_os_string();
        name.push(".keyinfo");
        store.with_file_name(name)
    }

    /// Reads the key file of the store at `store`; `Ok(None)` when there is none.
    pub fn read(store: &Path) -> Result<Option<Self>> {
        let path = Self::path_for(store);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::Meta { path, detail: e.to_string() }),
        };
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| Error::Meta { path, detail: e.to_string() })
    }

    /// Replaces the key file atomically (write a temporary file, sync, rename).
    pub fn write(&self, store: &Path) -> Result<()> {
        use std::io::Write as _;
        let path = Self::path_for(store);
        let dir = crate::error::parent_of(&path);
        let mut tmp = tempfile::NamedTempFile::new_in(&dir).map_err(|e| Error::Io(e).for_store(store))?;
        let json = serde_json::to_vec_pretty(self).expect("meta serialises");
        tmp.write_all(&json).map_err(|e| Error::Io(e).for_store(store))?;
        tmp.as_file().sync_all().map_err(|e| Error::Io(e).for_store(store))?;
        tmp.persist(&path).map_err(|e| Error::Io(e.error).for_store(store))?;
        Ok(())
    }
}

/// Where store keys come from.
pub trait KeyProvider {
    fn mode(&self) -> KeyMode;
    /// The key recorded in `slot` for an existing store.
    fn key(&self, store_id: &str, spec: &KeySpec, slot: Slot) -> Result<StoreKey>;
    /// A new key for a store being created (`Current`) or re-keyed (`Pending`), with the KDF
    /// parameters to record.
    fn new_key(&self, store_id: &str, slot: Slot) -> Result<(StoreKey, Option<Kdf>)>;
    /// The re-key committed: the pending key is now the current one.
    fn promote(&self, _store_id: &str) -> Result<()> {
        Ok(())
    }
    /// A pending key that the store never adopted.
    fn discard_pending(&self, _store_id: &str) -> Result<()> {
        Ok(())
    }
    /// The store and its key file are gone: forget its keys.
    fn forget(&self, _store_id: &str) -> Result<()> {
        Ok(())
    }
}

/// A fixed key, for tests and benchmarks.
pub struct StaticKey {
    current: StoreKey,
    next: Option<StoreKey>,
}

impl StaticKey {
    pub fn new(current: StoreKey) -> Self {
        StaticKey { current, next: None }
    }
    /// A provider that re-keys from `current` to `next`.
    pub fn rotating(current: StoreKey, next: StoreKey) -> Self {
        StaticKey { current, next: Some(next) }
    }
}

impl KeyProvider for StaticKey {
    fn mode(&self) -> KeyMode {
        KeyMode::Static
    }
    fn key(&self, _: &str, _: &KeySpec, slot: Slot) -> Result<StoreKey> {
        Ok(match (slot, &self.next) {
            (Slot::Pending, Some(next)) => next.clone(),
            _ => self.current.clone(),
        })
    }
    fn new_key(&self, store_id: &str, slot: Slot) -> Result<(StoreKey, Option<Kdf>)> {
        Ok((self.key(store_id, &placeholder_spec(), slot)?, None))
    }
}

fn placeholder_spec() -> KeySpec {
    KeySpec { mode: KeyMode::Static, kdf: None, check: String::new() }
}

/// A key derived from a passphrase with Argon2id. `next` is the new passphrase of a re-key.
pub struct PassphraseKeys {
    passphrase: Sensitive<String>,
    next: Option<Sensitive<String>>,
}

impl PassphraseKeys {
    pub fn new(passphrase: impl Into<String>) -> Result<Self> {
        let passphrase = passphrase.into();
        if passphrase.is_empty() {
            return Err(Error::invalid("the passphrase is empty"));
        }
        Ok(PassphraseKeys { passphrase: Sensitive::new(passphrase), next: None })
    }

    pub fn with_next(mut self, next: impl Into<String>) -> Result<Self> {
        let next = next.into();
        if next.is_empty() {
            return Err(Error::invalid("the new passphrase is empty"));
        }
        self.next = Some(Sensitive::new(next));
        Ok(self)
    }

    fn passphrase_for(&self, slot: Slot) -> &str {
        match (slot, &self.next) {
            (Slot::Pending, Some(next)) => next.expose(),
            _ => self.passphrase.expose(),
        }
    }
}

impl KeyProvider for PassphraseKeys {
    fn mode(&self) -> KeyMode {
        KeyMode::Passphrase
    }
    fn key(&self, _: &str, spec: &KeySpec, slot: Slot) -> Result<StoreKey> {
        let kdf = spec.kdf.as_ref().ok_or_else(|| Error::invalid("the key file has no salt"))?;
        kdf.derive(self.passphrase_for(slot))
    }
    fn new_key(&self, _: &str, slot: Slot) -> Result<(StoreKey, Option<Kdf>)> {
        let kdf = Kdf::fresh();
        Ok((kdf.derive(self.passphrase_for(slot))?, Some(kdf)))
    }
}

pub(crate) fn new_spec(mode: KeyMode, key: &StoreKey, kdf: Option<Kdf>, store_id: &str) -> KeySpec {
    KeySpec { mode, kdf, check: key.check_value(store_id) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passphrase_keys_are_deterministic_per_salt_and_differ_across_salts() {
        let p = PassphraseKeys::new("correct horse").unwrap();
        let (k1, kdf1) = p.new_key("s", Slot::Current).unwrap();
        let spec = new_spec(KeyMode::Passphrase, &k1, kdf1, "s");
        assert_eq!(p.key("s", &spec, Slot::Current).unwrap().expose(), k1.expose());
        let (k2, _) = p.new_key("s", Slot::Current).unwrap();
        assert_ne!(k1.expose(), k2.expose(), "a fresh salt gives a fresh key");
        let wrong = PassphraseKeys::new("wrong horse").unwrap();
        assert_ne!(wrong.key("s", &spec, Slot::Current).unwrap().check_value("s"), spec.check);
    }

    #[test]
    fn key_debug_is_redacted() {
        let k = StoreKey::from_bytes([0xab; KEY_LEN]);
        let shown = format!("{k:?}");
        assert!(!shown.contains("ab"), "{shown}");
        assert!(!format!("{:?}", PassphraseKeys::new("pw-123").unwrap().passphrase).contains("pw-123"));
    }

    #[test]
    fn empty_passphrase_is_refused() {
        assert!(matches!(PassphraseKeys::new(""), Err(Error::Invalid(_))));
    }
}
