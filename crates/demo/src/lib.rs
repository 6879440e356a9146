//! Demo data for the shells and the CLI that offer it: the bundled sandbox serving every
//! platform's wire format with lively generated conversations, its six inboxes (and three public
//! surfaces) connected, its shop, and a starter library of canned replies. Production crates do
//! not depend on this one: a shell opts in with `Workspace::with_demo`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use switchboard_api::{Demo, DemoRun};
use switchboard_core::credentials::{Credentials, MemoryCredentials};
use switchboard_core::sensitive::Sensitive;
use switchboard_core::{Db, Store};
use switchboard_sync::shopify::ShopSettings;
use switchboard_sync::OAuth1Keys;

/// The canned replies a demo store starts with, unless the agent has some.
const LIBRARY: &str = include_str!("library.jsonl");

/// The sandbox the demo reads: a small world (120 conversations a channel) with live traffic at
/// `rate` new customer messages a minute.
pub fn config(rate: f64) -> switchboard_sandbox::Config {
    switchboard_sandbox::Config { seed: 7, conversations: 120, rate_per_minute: rate, ..Default::default() }
}

/// The demo as a shell offers it: the sandbox with this configuration, started on demand.
pub struct Sandboxed {
    pub config: switchboard_sandbox::Config,
}

impl Sandboxed {
    /// The demo's usual world, with `rate` new customer messages a minute.
    pub fn new(rate: f64) -> Sandboxed {
        Sandboxed { config: config(rate) }
    }
}

impl Demo for Sandboxed {
    fn start<'a>(&'a self, db: &'a Db) -> Pin<Box<dyn Future<Output = Result<DemoRun, String>> + Send + 'a>> {
        Box::pin(async move {
            let running = switchboard_sandbox::Sandbox::start(self.config.clone(), 0).await.map_err(|e| e.to_string())?;
            let url = running.base_url.clone();
            let credentials = {
                let url = url.clone();
                db.write_async(move |store| {
                    let credentials = connect(store, &url)?;
                    // A starter library, unless the agent has one.
                    if store.canned_replies()?.is_empty() {
                        store.import_jsonl(LIBRARY.as_bytes())?;
                    }
                    Ok(credentials)
                })
                .await
                .map_err(|e| e.to_string())?
            };
            let shop = ShopSettings {
                shop: switchboard_sandbox::credentials::SHOP.into(),
                base_url: Some(url.clone()),
                api_version: Some(switchboard_sandbox::shopify::VERSION.into()),
                refresh_minutes: None,
            };
            let token = Sensitive::new(switchboard_sandbox::credentials::SHOPIFY_TOKEN.to_owned());
            Ok(DemoRun { credentials, url, shop: Some((shop, token)), running: Box::new(running) })
        })
    }
}

/// Points the store at a running sandbox's demo accounts, their secrets held in memory only. A
/// demo store from an earlier run is re-pointed at this run's sandbox and read from the start
/// (its update ids and page tokens belong to the sandbox it came from).
pub fn connect(store: &mut Store, sandbox_url: &str) -> switchboard_core::Result<Arc<MemoryCredentials>> {
    let credentials = Arc::new(MemoryCredentials::default());
    for account in switchboard_sandbox::accounts(sandbox_url) {
        match store.account(account.key)? {
            Some(existing) => {
                store.set_account_config(account.key, account.config)?;
                store.reset_cursors(existing.id)?;
            }
            None => {
                store.add_account(account.key, None, account.config)?;
            }
        }
        credentials.set(account.key, account.secret)?;
        if let Some([consumer_key, consumer_secret, access_token, access_token_secret]) = account.oauth1 {
            let keys = OAuth1Keys {
                consumer_key: consumer_key.into(),
                consumer_secret: consumer_secret.into(),
                access_token: access_token.into(),
                access_token_secret: access_token_secret.into(),
            };
            switchboard_api::accounts::set_photo_keys_in(store, credentials.as_ref(), account.key, Some(&keys))?;
        }
    }
    Ok(credentials)
}
