//! The platform accounts a hub runs, as the desk's code takes them: their secrets' names and
//! their view. Below the runner (which runs them) and the server (which fetches their media).

use crate::engine::HubAccount;
use switchboard_core::model::{AccountKey, AccountState, AccountView};

/// The name of an account's main secret (its token or password).
pub const TOKEN: &str = "token";
/// The name of an X account's OAuth 1.0a keys for its DM photos (JSON).
pub const PHOTO_KEYS: &str = "photo_keys";

/// The time, as the hub reads it (tests give their own).
pub type Now = std::sync::Arc<dyn Fn() -> jiff::Timestamp + Send + Sync>;

/// An account of the hub as the desk's connectors take one.
pub fn view(account: HubAccount) -> switchboard_core::Result<AccountView> {
    let parsed = AccountKey::parse(&account.key)?;
    Ok(AccountView { id: 0, key: account.key, channel: parsed.channel, name: parsed.handle, config: account.config, state: AccountState::Syncing, state_detail: None })
}
