//! Orders from a Shopify shop through the GraphQL Admin API: a customer looked up by email or
//! phone, with their latest orders, line items and tracking. Shopify meters GraphQL by cost: each
//! answer reports `extensions.cost.throttleStatus`, and a query costing more than is left is
//! refused with `THROTTLED` (often HTTP 200). The client keeps the last status and waits for the
//! bucket to refill before a query that would not fit, and waits and retries after THROTTLED.

use crate::error::Error;
use serde::Deserialize;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use switchboard_core::interchange::{OrderItem, OrderRecord, Tracking};
use switchboard_core::sensitive::Sensitive;
use tokio::sync::Mutex;

/// The shop's settings, kept as the `shop` setting; the access token lives in the keychain under
/// [`Shop::credential_key`].
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ShopSettings {
    /// The shop's name: `acme` for acme.myshopify.com. Empty: no shop connected.
    pub shop: String,
    /// Where the Admin API is; default `https://{shop}.myshopify.com`.
    pub base_url: Option<String>,
    /// The Admin API version, e.g. `2025-01`.
    pub api_version: Option<String>,
    /// A customer's orders are looked up again when a thread opens and they are older than this
    /// (default 15).
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub refresh_minutes: Option<u32>,
}

pub const SHOP_SETTING: &str = "shop";
const DEFAULT_VERSION: &str = "2025-01";
/// Orders per customer fetched; the panel shows the latest.
const ORDERS: u32 = 5;
const ITEMS: u32 = 5;
const TRIES: u32 = 4;

impl ShopSettings {
    pub fn refresh_after(&self) -> Duration {
        Duration::from_secs(60 * u64::from(self.refresh_minutes.unwrap_or(15)))
    }

    pub fn credential_key(&self) -> String {
        format!("shopify:{}", self.shop)
    }

    /// The settings tidied, or what is wrong with them.
    pub fn checked(&self) -> Result<ShopSettings, String> {
        let shop = self.shop.trim().trim_end_matches(".myshopify.com").to_owned();
        if !shop.is_empty() && !shop.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(format!("{shop:?} is not a shop name: the part before .myshopify.com, letters, digits and -"));
        }
        let base_url = self.base_url.as_deref().map(str::trim).filter(|u| !u.is_empty()).map(|u| u.trim_end_matches('/').to_owned());
        if let Some(url) = &base_url {
            let parsed = reqwest::Url::parse(url).map_err(|e| format!("the shop address {url:?} does not read: {e}"))?;
            let loopback = parsed.host_str().is_some_and(|h| h == "127.0.0.1" || h == "localhost" || h == "[::1]");
            if parsed.scheme() != "https" && !(parsed.scheme() == "http" && loopback) {
                return Err("the shop address must be https".into());
            }
        }
        let api_version = self.api_version.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
        if let Some(v) = &api_version {
            let ok = v.len() == 7 && v.as_bytes()[4] == b'-' && v.chars().enumerate().all(|(i, c)| i == 4 || c.is_ascii_digit());
            if !ok {
                return Err(format!("{v:?} is not an API version such as {DEFAULT_VERSION}"));
            }
        }
        if self.refresh_minutes == Some(0) {
            return Err("orders are looked up again after at least 1 minute".into());
        }
        Ok(ShopSettings { shop, base_url, api_version, refresh_minutes: self.refresh_minutes })
    }
}

/// The cost bucket as the last answer reported it.
#[derive(Debug, Clone, Copy)]
struct Throttle {
    available: f64,
    maximum: f64,
    restore_rate: f64,
    at: Instant,
}

impl Throttle {
    /// How long until `cost` points are available.
    fn wait_for(&self, cost: f64) -> Duration {
        let now = (self.available + self.at.elapsed().as_secs_f64() * self.restore_rate).min(self.maximum);
        if now >= cost || self.restore_rate <= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64((cost - now) / self.restore_rate)
        }
    }
}

pub struct Shop {
    name: String,
    endpoint: String,
    token: Sensitive<String>,
    http: reqwest::Client,
    throttle: Mutex<Option<Throttle>>,
    /// What the last query cost: the estimate for the next one.
    last_cost: Mutex<f64>,
}

const QUERY: &str = "query CustomerOrders($query: String!, $orders: Int!, $items: Int!) {
  customers(first: 1, query: $query) {
    edges { node {
      id
      orders(first: $orders, reverse: true) {
        edges { node {
          id name createdAt displayFinancialStatus displayFulfillmentStatus
          currentTotalPriceSet { shopMoney { amount currencyCode } }
          lineItems(first: $items) { edges { node { title quantity sku originalUnitPriceSet { shopMoney { amount currencyCode } } } } }
          fulfillments(first: 5) { trackingInfo(first: 5) { company number url } }
        } }
      }
    } }
  }
}";

#[derive(Deserialize)]
struct Edges<T> {
    edges: Vec<Edge<T>>,
}
#[derive(Deserialize)]
struct Edge<T> {
    node: T,
}
#[derive(Deserialize)]
struct Customer {
    orders: Edges<Order>,
}
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Money {
    amount: String,
    currency_code: String,
}
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MoneyBag {
    shop_money: Money,
}
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Order {
    id: String,
    name: String,
    created_at: jiff::Timestamp,
    display_financial_status: Option<String>,
    display_fulfillment_status: Option<String>,
    current_total_price_set: MoneyBag,
    line_items: Edges<LineItem>,
    #[serde(default)]
    fulfillments: Vec<Fulfillment>,
}
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LineItem {
    title: String,
    quantity: i64,
    sku: Option<String>,
    original_unit_price_set: Option<MoneyBag>,
}
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Fulfillment {
    #[serde(default)]
    tracking_info: Vec<TrackingInfo>,
}
#[derive(Deserialize)]
struct TrackingInfo {
    company: Option<String>,
    number: Option<String>,
    url: Option<String>,
}

/// Quotes a value for Shopify's search syntax.
fn quoted(value: &str) -> String {
    format!("\"{}\"", value.replace(['"', '\\'], ""))
}

impl Shop {
    pub fn new(settings: &ShopSettings, token: Sensitive<String>) -> Result<Shop, Error> {
        let settings = settings.checked().map_err(|problem| Error::Config { account: "shop".into(), problem })?;
        if settings.shop.is_empty() {
            return Err(Error::Config { account: "shop".into(), problem: "no shop is connected".into() });
        }
        let base = settings.base_url.clone().unwrap_or_else(|| format!("https://{}.myshopify.com", settings.shop));
        let version = settings.api_version.as_deref().unwrap_or(DEFAULT_VERSION);
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("Switchboard/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Transient(e.to_string()))?;
        Ok(Shop {
            name: settings.shop,
            endpoint: format!("{base}/admin/api/{version}/graphql.json"),
            token,
            http,
            throttle: Mutex::new(None),
            last_cost: Mutex::new(0.0),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The latest orders of the customer with this email address or, failing that, phone
    /// number; none when the shop does not know them.
    pub async fn orders(&self, email: Option<&str>, phone: Option<&str>) -> Result<Vec<OrderRecord>, Error> {
        let mut terms = Vec::new();
        if let Some(e) = email.map(str::trim).filter(|e| !e.is_empty()) {
            terms.push(format!("email:{}", quoted(e)));
        }
        if let Some(p) = phone.map(str::trim).filter(|p| !p.is_empty()) {
            terms.push(format!("phone:{}", quoted(p)));
        }
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let variables = json!({"query": terms.join(" OR "), "orders": ORDERS, "items": ITEMS});
        let data = self.query(variables).await?;
        let customers: Edges<Customer> = serde_json::from_value(data["customers"].clone())
            .map_err(|e| Error::Malformed(format!("Shopify customers: {}", switchboard_core::error::describe_json(&e))))?;
        let Some(customer) = customers.edges.into_iter().next() else { return Ok(Vec::new()) };
        Ok(customer.node.orders.edges.into_iter().map(|e| self.record(e.node)).collect())
    }

    fn record(&self, o: Order) -> OrderRecord {
        OrderRecord {
            shop: self.name.clone(),
            id: o.id,
            customer: None,
            number: o.name,
            at: o.created_at,
            currency: o.current_total_price_set.shop_money.currency_code,
            total: o.current_total_price_set.shop_money.amount,
            financial_status: o.display_financial_status,
            fulfillment_status: o.display_fulfillment_status,
            items: o
                .line_items
                .edges
                .into_iter()
                .map(|e| OrderItem {
                    title: e.node.title,
                    quantity: e.node.quantity,
                    sku: e.node.sku.filter(|s| !s.is_empty()),
                    price: e.node.original_unit_price_set.map(|p| p.shop_money.amount),
                })
                .collect(),
            tracking: o
                .fulfillments
                .into_iter()
                .flat_map(|f| f.tracking_info)
                .filter(|t| t.url.is_some() || t.number.is_some())
                .map(|t| Tracking { carrier: t.company, number: t.number, url: t.url.filter(|u| u.starts_with("https://") || u.starts_with("http://")) })
                .collect(),
        }
    }

    /// Runs the query, waiting first when the bucket will not hold it, and again (a few times)
    /// after THROTTLED.
    async fn query(&self, variables: Value) -> Result<Value, Error> {
        for attempt in 1..=TRIES {
            let estimate = *self.last_cost.lock().await;
            if let Some(t) = *self.throttle.lock().await {
                let wait = t.wait_for(estimate);
                if !wait.is_zero() {
                    tracing::debug!(wait_ms = wait.as_millis() as u64, "waiting for the shop's cost bucket");
                    tokio::time::sleep(wait).await;
                }
            }
            let response = self
                .http
                .post(&self.endpoint)
                .header("X-Shopify-Access-Token", self.token.expose().as_str())
                .json(&json!({"query": QUERY, "variables": variables}))
                .send()
                .await?;
            let status = response.status();
            if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
                return Err(Error::Auth(format!("Shopify answered {status}")));
            }
            if status == reqwest::StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
                if attempt == TRIES {
                    return Err(Error::Transient(format!("Shopify answered {status}")));
                }
                tokio::time::sleep(Duration::from_secs(1 << attempt)).await;
                continue;
            }
            let body: Value = crate::wire::parse(status, &response.bytes().await?)?;
            if !status.is_success() {
                return Err(Error::Refused(format!("Shopify answered {status}: {}", short(&body["errors"]))));
            }
            let cost = &body["extensions"]["cost"];
            let requested = cost["requestedQueryCost"].as_f64();
            if let Some(ts) = cost.get("throttleStatus") {
                let throttle = Throttle {
                    available: ts["currentlyAvailable"].as_f64().unwrap_or(0.0),
                    maximum: ts["maximumAvailable"].as_f64().unwrap_or(1000.0),
                    restore_rate: ts["restoreRate"].as_f64().unwrap_or(50.0),
                    at: Instant::now(),
                };
                *self.throttle.lock().await = Some(throttle);
            }
            if let Some(c) = cost["actualQueryCost"].as_f64().or(requested) {
                *self.last_cost.lock().await = c;
            }
            let throttled = body["errors"].as_array().is_some_and(|errors| errors.iter().any(|e| e["extensions"]["code"] == "THROTTLED"));
            if throttled {
                let wait = (*self.throttle.lock().await).map_or(Duration::from_secs(1), |t| t.wait_for(requested.unwrap_or(estimate)));
                if attempt == TRIES {
                    return Err(Error::RateLimited(wait.max(Duration::from_secs(1))));
                }
                tracing::debug!(wait_ms = wait.as_millis() as u64, "Shopify throttled the query");
                // The requested cost is what must fit next time.
                if let Some(r) = requested {
                    *self.last_cost.lock().await = r;
                }
                continue;
            }
            if let Some(errors) = body["errors"].as_array().filter(|e| !e.is_empty()) {
                return Err(Error::Refused(format!("Shopify: {}", short(&Value::Array(errors.clone())))));
            }
            return Ok(body["data"].clone());
        }
        unreachable!("the loop returns on its last attempt")
    }
}

/// An error from Shopify, short enough for the panel (never the token: Shopify does not echo it).
fn short(errors: &Value) -> String {
    let text = match errors {
        Value::String(s) => s.clone(),
        Value::Array(list) => list.iter().filter_map(|e| e["message"].as_str()).collect::<Vec<_>>().join("; "),
        other => other.to_string(),
    };
    text.chars().take(300).collect()
}
