//! What a shell offers demo data through: platforms it can sync instead of real accounts (the
//! bundled sandbox, in `switchboard-demo`). Production code never depends on the sandbox.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use switchboard_core::credentials::Credentials;
use switchboard_core::sensitive::Sensitive;
use switchboard_core::Db;
use switchboard_sync::shopify::ShopSettings;

/// Where demo data comes from.
pub trait Demo: Send + Sync {
    /// Starts the demo's platforms and points the store's accounts at them.
    fn start<'a>(&'a self, db: &'a Db) -> Pin<Box<dyn Future<Output = std::result::Result<DemoRun, String>> + Send + 'a>>;
}

/// A running demo: what the sync needs to read it, and what keeps it running.
pub struct DemoRun {
    /// The demo accounts' secrets (in memory).
    pub credentials: Arc<dyn Credentials>,
    /// Where its platforms answer.
    pub url: String,
    /// Its shop, with the shop's token.
    pub shop: Option<(ShopSettings, Sensitive<String>)>,
    /// Stops the demo when dropped.
    pub running: Box<dyn Any + Send + Sync>,
}

