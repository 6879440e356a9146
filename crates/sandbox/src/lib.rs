//! The sandbox: one local HTTP server that speaks, wire-exact, the channel APIs Switchboard uses,
//! filled with a generated world of customers (see `script`). The demo, the tests and the
//! benchmarks all run against it; the connectors cannot tell it from the real platforms except
//! by its base URL.
//!
//! Served: the Graph API for a Page's Messenger and Instagram conversations (cursor paging, the
//! 20-newest rule, usage headers, send with the messaging window), Twilio Messages (list with
//! paging, create) for SMS and WhatsApp numbers, the Telegram Bot API (`getUpdates` as a real
//! long-poll, `sendMessage`) and X API v2 direct messages (`dm_events`, DM create, rate-limit
//! headers), and Shopify's GraphQL Admin API for the customers' orders (cost-metered, with
//! THROTTLED). `GET /_sandbox/stats` tells what a full sync must find and which replies arrived.

mod cost;
mod faults;
mod graph;
mod graph_public;
mod graph_wire;
mod media;
mod misbehave;
mod oauth1;
pub mod public;
pub mod script;
pub mod shopify;
mod state;
mod telegram;
mod twilio;
mod x;
mod x_public;
mod x_wire;

use axum::routing::get;
use axum::Router;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub use faults::Faults;
pub use state::{ChannelStats, Stats};

/// The credentials the sandbox accepts: what `switchboard demo` configures.
pub mod credentials {
    pub const TELEGRAM_BOT_TOKEN: &str = "123456:sandbox-telegram-token";
    pub const TWILIO_ACCOUNT_SID: &str = "ACsandbox00000000000000000000000000";
    pub const TWILIO_AUTH_TOKEN: &str = "sandbox-twilio-auth-token";
    /// The business's own numbers.
    pub const SMS_NUMBER: &str = "+15550100";
    pub const WHATSAPP_NUMBER: &str = "whatsapp:+15550199";
    /// The Facebook Page whose Messenger and Instagram inboxes the Graph API serves.
    pub const PAGE_ID: &str = "104729384756102";
    pub const PAGE_TOKEN: &str = "EAAGsandboxPageAccessToken0000000000";
    /// The business's X account and its OAuth 2.0 user token.
    pub const X_USER_ID: &str = "1490000000000000001";
    pub const X_TOKEN: &str = "sandbox-x-user-token";
    /// The X app's API key and secret and the account's OAuth 1.0a access token and secret, which
    /// DM media (`ton`) takes instead of the OAuth 2.0 token.
    pub const X_CONSUMER_KEY: &str = "sandboxXApiKey000000000000";
    pub const X_CONSUMER_SECRET: &str = "sandboxXApiKeySecret00000000000000000000000000000";
    pub const X_ACCESS_TOKEN: &str = "1490000000000000001-sandboxXAccessToken0000000000";
    pub const X_ACCESS_TOKEN_SECRET: &str = "sandboxXAccessTokenSecret000000000000000000";
    /// The shop (Shopify Admin API) and its Admin API access token.
    pub const SHOP: &str = "acme-demo";
    pub const SHOPIFY_TOKEN: &str = "shpat_sandbox00000000000000000000";
}

/// The WhatsApp message templates the sandbox's Twilio account has approved: Content SID and text,
/// `{{1}}` and so on standing for the variables.
pub mod templates {
    pub const FOLLOW_UP: &str = "HXb5b62575e6e4ff6129ad7c8efe1f983e";
    pub(crate) const APPROVED: &[(&str, &str)] =
        &[(FOLLOW_UP, "Hi {{1}}, we have an update on your request. Reply to this message to continue.")];
}

/// An account connected to the sandbox: its key, its secret, and its settings.
pub struct SandboxAccount {
    pub key: &'static str,
    pub secret: &'static str,
    pub config: serde_json::Map<String, serde_json::Value>,
    /// X direct messages: the OAuth 1.0a keys its DM photos take (consumer key and secret, access
    /// token and secret).
    pub oauth1: Option<[&'static str; 4]>,
}

/// What the demo's X account listens for besides its mentions.
pub const BRAND_SEARCH: &str = r#"("Acme" OR #acme) -from:acmesupport -is:retweet"#;

/// One account per channel the sandbox at `base_url` serves, and one per public surface, as
/// `switchboard demo` connects them.
pub fn accounts(base_url: &str) -> Vec<SandboxAccount> {
    use credentials as c;
    let graph = format!("{base_url}/{}", graph_wire::VERSION);
    let x = format!("{base_url}/2");
    let twilio = |number: &'static str| vec![("base_url", base_url), ("account_sid", c::TWILIO_ACCOUNT_SID), ("number", number)];
    type Settings<'a> = Vec<(&'a str, &'a str)>;
    let comments = vec![("base_url", graph.as_str()), ("page_id", c::PAGE_ID), ("stream", "comments")];
    let settings: [(&'static str, &'static str, Settings); 9] = [
        ("messenger:acme", c::PAGE_TOKEN, vec![("base_url", &graph), ("page_id", c::PAGE_ID)]),
        ("instagram:acme", c::PAGE_TOKEN, vec![("base_url", &graph), ("page_id", c::PAGE_ID)]),
        ("sms:+15550100", c::TWILIO_AUTH_TOKEN, twilio(c::SMS_NUMBER)),
        ("whatsapp:+15550199", c::TWILIO_AUTH_TOKEN, twilio(c::WHATSAPP_NUMBER)),
        ("telegram:acme_support_bot", c::TELEGRAM_BOT_TOKEN, vec![("base_url", base_url)]),
        ("x:acmesupport", c::X_TOKEN, vec![("base_url", &x)]),
        // What is said in public: the Page's comments, the Instagram media's, X mentions and
        // brand search.
        ("facebook:acme", c::PAGE_TOKEN, comments.clone()),
        ("instagram:acme/comments", c::PAGE_TOKEN, comments),
        ("x:acmesupport/mentions", c::X_TOKEN, vec![("base_url", &x), ("stream", "mentions"), ("search", BRAND_SEARCH)]),
    ];
    settings
        .into_iter()
        .map(|(key, secret, pairs)| SandboxAccount {
            key,
            secret,
            config: pairs.into_iter().map(|(k, v)| (k.to_owned(), serde_json::Value::from(v))).collect(),
            oauth1: (key == "x:acmesupport").then_some([c::X_CONSUMER_KEY, c::X_CONSUMER_SECRET, c::X_ACCESS_TOKEN, c::X_ACCESS_TOKEN_SECRET]),
        })
        .collect()
}

/// Messenger's, Instagram's and WhatsApp's standard messaging window after a customer writes.
pub(crate) const WINDOW: i64 = 24 * 3600;

/// A call budget per client and API, as the platforms meter them: `calls` within any `window`.
/// Graph API responses report how much is used (`X-App-Usage`, `X-Business-Use-Case-Usage`), X's
/// the calls left (`x-rate-limit-*`); a client over the budget is throttled.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budget {
    pub calls: u32,
    pub window: Duration,
}

impl std::str::FromStr for Budget {
    type Err = String;
    /// `CALLS/SECONDS`, e.g. `200/60`.
    fn from_str(s: &str) -> Result<Self, String> {
        let (calls, seconds) = s.split_once('/').ok_or_else(|| format!("{s:?}: expected CALLS/SECONDS, e.g. 200/60"))?;
        let calls: u32 = calls.trim().parse().map_err(|_| format!("{s:?}: {calls:?} is not a count"))?;
        let seconds: f64 = seconds.trim().parse().map_err(|_| format!("{s:?}: {seconds:?} is not a number of seconds"))?;
        if calls == 0 || !(seconds > 0.0 && seconds.is_finite()) {
            return Err(format!("{s:?}: both numbers must be above 0"));
        }
        Ok(Budget { calls, window: Duration::from_secs_f64(seconds) })
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub seed: u64,
    pub conversations: usize,
    /// New customer messages per minute in live mode; 0: none.
    pub rate_per_minute: f64,
    pub faults: Faults,
    /// Metered APIs (Graph, X) throttle a client beyond this; `None`: never.
    pub budget: Option<Budget>,
}

impl Default for Config {
    fn default() -> Self {
        Config { seed: 42, conversations: 120, rate_per_minute: 0.0, faults: Faults::default(), budget: None }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot listen on 127.0.0.1:{port}: {source}")]
    Bind { port: u16, source: std::io::Error },
    #[error("sandbox server failed: {0}")]
    Serve(std::io::Error),
}

pub struct Sandbox {
    pub addr: SocketAddr,
    state: Arc<state::State>,
    listener: tokio::net::TcpListener,
}

impl Sandbox {
    /// Generates the world and binds 127.0.0.1:`port` (0: any free port).
    pub async fn bind(config: Config, port: u16) -> Result<Sandbox, Error> {
        let listener =
            tokio::net::TcpListener::bind(("127.0.0.1", port)).await.map_err(|source| Error::Bind { port, source })?;
        let addr = listener.local_addr().map_err(|source| Error::Bind { port, source })?;
        let now = jiff::Timestamp::now().as_second();
        Ok(Sandbox { addr, state: Arc::new(state::State::new(&config, now)), listener })
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A handle that stays usable while the sandbox serves.
    pub fn controller(&self) -> Controller {
        Controller(self.state.clone())
    }

    /// Serves until `shutdown` resolves; in live mode customers keep writing meanwhile.
    pub async fn serve(
        self,
        config: Config,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), Error> {
        if config.rate_per_minute > 0.0 {
            let state = self.state.clone();
            let every = Duration::from_secs_f64(60.0 / config.rate_per_minute);
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(every);
                tick.tick().await;
                let mut n = 0u64;
                loop {
                    tick.tick().await;
                    n += 1;
                    let now = jiff::Timestamp::now().as_second();
                    // One new message in five is said in public.
                    if n % 5 == 0 {
                        state.public_writes(now, public::Surface::ALL[(n / 5 % 3) as usize], None);
                    } else {
                        state.live_message(now, None, None);
                    }
                }
            });
        }
        let router = Router::new()
            .route("/_sandbox/stats", get(stats))
            .route("/_sandbox/customer-writes", axum::routing::post(customer_writes))
            .route("/scontent/v/{folder}/{name}", get(media::cdn_file))
            .route("/1.1/ton/data/dm/{event}/{media}/{name}", get(x::ton))
            .merge(telegram::routes())
            .merge(twilio::routes())
            .merge(graph::routes(self.state.clone()))
            .merge(x::routes(self.state.clone()))
            .merge(shopify::routes())
            .layer(axum::middleware::from_fn_with_state(self.state.clone(), misbehave::inject))
            .with_state(self.state);
        axum::serve(self.listener, router).with_graceful_shutdown(shutdown).await.map_err(Error::Serve)
    }
}

/// A sandbox serving in the background of the current tokio runtime; dropping it stops it.
pub struct Running {
    pub base_url: String,
    pub controller: Controller,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Sandbox {
    /// Binds and serves in the background.
    pub async fn start(config: Config, port: u16) -> Result<Running, Error> {
        let sandbox = Sandbox::bind(config.clone(), port).await?;
        let (base_url, controller) = (sandbox.base_url(), sandbox.controller());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(sandbox.serve(config, async move {
            let _ = stopped.await;
        }));
        Ok(Running { base_url, controller, _stop: stop })
    }
}

/// Drives a running sandbox from the outside (tests, the demo).
#[derive(Clone)]
pub struct Controller(Arc<state::State>);

impl Controller {
    /// What the sandbox holds and has received so far.
    pub fn stats(&self) -> Stats {
        self.0.stats()
    }

    /// Every reply received, in order: (channel, chat, text).
    pub fn replies(&self) -> Vec<(String, String, String)> {
        self.0.read().reply_log.iter().map(|(c, chat, text)| ((*c).to_owned(), chat.clone(), text.clone())).collect()
    }

    /// A customer writes again, now, as in live mode.
    pub fn customer_writes(&self) {
        self.0.live_message(jiff::Timestamp::now().as_second(), None, None);
    }

    /// A customer writes `text` now on `channel` (its name here: `sms`, `telegram`…); `None`
    /// when there is no such channel.
    pub fn customer_says(&self, channel: &str, text: &str) -> Option<()> {
        let channel = script::Channel::ALL.into_iter().find(|c| c.name() == channel)?;
        self.0.live_message(jiff::Timestamp::now().as_second(), Some(channel), Some(text.to_owned()));
        Some(())
    }

    /// From now on the sandbox misbehaves as `faults` say (a platform that breaks midway).
    pub fn set_faults(&self, faults: Faults) {
        self.0.faults.set(faults);
    }

    /// Whether the public comment `id` is hidden; `None` when there is no such comment.
    pub fn comment_hidden(&self, id: &str) -> Option<bool> {
        self.0.read().public.is_hidden(id)
    }

    /// How many orders the shop holds for the customer with this phone number.
    pub fn shop_orders(&self, phone: &str) -> Option<usize> {
        shopify::order_count(&self.0.read().world.customers, self.0.seed, phone)
    }

    /// Empties the shop's cost bucket, so the next query is THROTTLED until it refills.
    pub fn drain_shop(&self) {
        self.0.shop.lock().unwrap_or_else(|p| p.into_inner()).drain();
    }
}

/// A customer writes now, as live mode does on its own: for tests and demos that need a message
/// at a known moment, on `?channel=NAME` and with `?text=…` if given (tests feed hostile text
/// this way); `?to=HANDLE`: in the conversation with the customer known there by that handle
/// (a Telegram chat id, a phone number); `?new=1`: a new customer starting a conversation. `channel` may name a public
/// surface (`facebook_comments`, `instagram_comments`, `x_mentions`): a new public comment or
/// mention. Answers `{"channel": …, "text": …}`.
async fn customer_writes(
    axum::extract::State(state): axum::extract::State<Arc<state::State>>,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> axum::Json<serde_json::Value> {
    let now = jiff::Timestamp::now().as_second();
    if let Some(surface) = q.get("channel").and_then(|name| public::Surface::ALL.into_iter().find(|s| s.name() == name)) {
        let text = state.public_writes(now, surface, q.get("text").cloned());
        return axum::Json(serde_json::json!({ "channel": surface.name(), "text": text }));
    }
    let channel = q.get("channel").and_then(|name| script::Channel::ALL.into_iter().find(|c| c.name() == name));
    let flag = |name: &str| q.get(name).is_some_and(|v| v == "1" || v == "true");
    let (channel, text) = state.customer_writes_to(now, channel, q.get("to").map(String::as_str), q.get("text").cloned(), flag("new"), flag("photo"));
    axum::Json(serde_json::json!({ "channel": channel.name(), "text": text }))
}

async fn stats(axum::extract::State(state): axum::extract::State<Arc<state::State>>) -> axum::Json<Stats> {
    axum::Json(state.stats())
}
