//! Connected accounts and their sync cursors.

use crate::model::time::now_ms;
use super::Store;
use crate::error::{Error, Result};
use crate::model::{AccountKey, AccountState, AccountView};
use rusqlite::{params, OptionalExtension};

/// Config keys that look like credentials. Those belong in the OS keychain, never in the store.
fn looks_secret(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    ["token", "secret", "password", "passwd", "api_key", "apikey", "auth"].iter().any(|s| k.contains(s))
}

fn check_config(config: &serde_json::Map<String, serde_json::Value>) -> Result<()> {
    match config.keys().find(|k| looks_secret(k)) {
        Some(secret) => Err(Error::invalid(format!(
            "account setting {secret:?} looks like a credential; credentials go in the OS keychain, not the store"
        ))),
        None => Ok(()),
    }
}

fn account_view(r: &rusqlite::Row<'_>) -> rusqlite::Result<AccountView> {
    let config: String = r.get(4)?;
    Ok(AccountView {
        id: r.get(0)?,
        key: r.get(1)?,
        channel: r.get(2)?,
        name: r.get(3)?,
        config: serde_json::from_str(&config).unwrap_or_default(),
        state: r.get(5)?,
        state_detail: r.get(6)?,
    })
}

const ACCOUNT_SELECT: &str = "SELECT id, key, channel, name, config, state, state_detail FROM accounts";

impl Store {
    /// Connects a new account. Refuses a config that carries anything like a credential.
    pub fn add_account(
        &mut self,
        key: &str,
        name: Option<&str>,
        config: serde_json::Map<String, serde_json::Value>,
    ) -> Result<AccountView> {
        let parsed = AccountKey::parse(key)?;
        check_config(&config)?;
        let key = parsed.to_string();
        let name = name.map(str::to_owned).unwrap_or_else(|| parsed.handle.clone());
        let config = serde_json::to_string(&config).expect("json");
        self.transaction(|tx| {
            let inserted = tx
                .prepare_cached(
                    "INSERT INTO accounts (key, channel, name, config, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (key) DO NOTHING",
                )?
                .execute(params![key, parsed.channel, name, config, now_ms()])?;
            if inserted == 0 {
                return Err(Error::invalid(format!("account {key} already exists")));
            }
            Ok(())
        })?;
        self.account(&key)?.ok_or_else(|| Error::Missing { what: "account", id: key })
    }

    /// Replaces an account's settings (same rule: no credentials).
    pub fn set_account_config(&mut self, key: &str, config: serde_json::Map<String, serde_json::Value>) -> Result<()> {
        check_config(&config)?;
        let n = self
            .conn
            .prepare_cached("UPDATE accounts SET config = ?2 WHERE key = ?1")?
            .execute(params![key, serde_json::to_string(&config).expect("json")])?;
        if n == 0 {
            return Err(Error::Missing { what: "account", id: key.to_owned() });
        }
        Ok(())
    }

    /// Forgets where an account's sync stopped: the next sync reads everything again (upserts
    /// make that harmless). For an account pointed at a new server.
    /// A disconnected account keeps its conversations but is not synced (`disabled` in its
    /// config) until it is re-authenticated.
    pub fn set_account_disabled(&mut self, key: &str, disabled: bool) -> Result<()> {
        let account = self.account(key)?.ok_or_else(|| crate::Error::Missing { what: "account", id: key.to_owned() })?;
        let mut config = account.config;
        if disabled {
            config.insert("disabled".into(), true.into());
        } else {
            config.remove("disabled");
        }
        self.set_account_config(key, config)
    }

    pub fn reset_cursors(&mut self, account_id: i64) -> Result<()> {
        self.conn.prepare_cached("DELETE FROM sync_cursors WHERE account_id = ?1")?.execute([account_id])?;
        Ok(())
    }

    pub fn account(&self, key: &str) -> Result<Option<AccountView>> {
        Ok(self
            .conn
            .prepare_cached(&format!("{ACCOUNT_SELECT} WHERE key = ?1"))?
            .query_row([key], account_view)
            .optional()?)
    }

    /// The conversation an account knows by `external` (its id on the platform), if the store has it.
    pub fn conversation_by_external(&self, account: &str, external: &str) -> Result<Option<i64>> {
        Ok(self
            .conn
            .prepare_cached("SELECT c.id FROM conversations c JOIN accounts a ON a.id = c.account_id WHERE a.key = ?1 AND c.external_id = ?2")?
            .query_row(params![account, external], |r| r.get(0))
            .optional()?)
    }

    /// The message an account knows by `external` (its id on the platform), if the store has it.
    pub fn message_by_external(&self, account: &str, external: &str) -> Result<Option<i64>> {
        Ok(self
            .conn
            .prepare_cached("SELECT m.id FROM messages m JOIN accounts a ON a.id = m.account_id WHERE a.key = ?1 AND m.external_id = ?2")?
            .query_row(params![account, external], |r| r.get(0))
            .optional()?)
    }

    /// How a conversation is named outside this store: its account's key and its id on the
    /// platform (what a team's hub knows it by).
    pub fn conversation_names(&self, conversation_id: i64) -> Result<(String, String)> {
        self.conn
            .prepare_cached("SELECT a.key, c.external_id FROM conversations c JOIN accounts a ON a.id = c.account_id WHERE c.id = ?1")?
            .query_row([conversation_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?
            .ok_or_else(|| Error::Missing { what: "conversation", id: conversation_id.to_string() })
    }

    pub fn accounts(&self) -> Result<Vec<AccountView>> {
        let mut stmt = self.conn.prepare_cached(&format!("{ACCOUNT_SELECT} ORDER BY key"))?;
        let rows = stmt.query_map([], account_view)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn set_account_state(&mut self, account_id: i64, state: AccountState) -> Result<()> {
        self.set_account_state_because(account_id, state, None)
    }

    /// Sets the account's state and why (`None` clears the reason).
    pub fn set_account_state_because(&mut self, account_id: i64, state: AccountState, detail: Option<&str>) -> Result<()> {
        let n = self
            .conn
            .prepare_cached("UPDATE accounts SET state = ?2, state_detail = ?3 WHERE id = ?1")?
            .execute(params![account_id, state, detail])?;
        if n == 0 {
            return Err(Error::Missing { what: "account", id: account_id.to_string() });
        }
        Ok(())
    }
}
