//! Shopify's GraphQL Admin API, as far as Switchboard reads it: `customers(first, query)` with
//! each customer's `orders(first, reverse)`, line items and fulfilment tracking, for the sandbox's
//! customers. The query is parsed as GraphQL and answered field by field, so an unknown field gets
//! Shopify's error rather than a silent answer; cost is metered like Shopify's leaky bucket and
//! reported in `extensions.cost`, with `THROTTLED` (HTTP 200) when a query costs more than is left.

use crate::cost::{MAXIMUM, RESTORE_RATE};
use crate::script::{Customer, Lang};
use crate::state::State;
use axum::extract::{Path, State as Shared};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use graphql_parser::query::{Definition, Field, OperationDefinition, Selection, Value as Gql};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Map, Value};
use std::sync::Arc;

pub const VERSION: &str = "2025-01";


pub(crate) fn routes() -> Router<Arc<State>> {
    Router::new().route("/admin/api/{version}/graphql.json", post(graphql))
}

#[derive(serde::Deserialize)]
struct Request {
    query: String,
    #[serde(default)]
    variables: Option<Map<String, Value>>,
}

fn errors(message: String, extensions: Value) -> Value {
    json!({"errors": [{"message": message, "extensions": extensions}]})
}

async fn graphql(Shared(state): Shared<Arc<State>>, Path(version): Path<String>, headers: HeaderMap, body: String) -> Response {
    if headers.get("x-shopify-access-token").and_then(|v| v.to_str().ok()) != Some(crate::credentials::SHOPIFY_TOKEN) {
        let body = json!({"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"});
        return (StatusCode::UNAUTHORIZED, Json(body)).into_response();
    }
    if version != VERSION {
        return (StatusCode::NOT_FOUND, Json(json!({"errors": "Not Found"}))).into_response();
    }
    let request: Request = match serde_json::from_str(&body) {
        Ok(r) => r,
        Err(e) => return (StatusCode::BAD_REQUEST, Json(json!({"errors": format!("Invalid JSON: {e}")}))).into_response(),
    };
    let document = match graphql_parser::parse_query::<String>(&request.query) {
        Ok(d) => d.into_static(),
        Err(e) => return Json(errors(format!("Parse error: {e}"), json!({"code": "PARSE_ERROR"}))).into_response(),
    };
    let selection = match document.definitions.first() {
        Some(Definition::Operation(OperationDefinition::Query(q))) => &q.selection_set,
        Some(Definition::Operation(OperationDefinition::SelectionSet(s))) => s,
        _ => return Json(errors("Only queries are served here".into(), json!({"code": "UNSUPPORTED"}))).into_response(),
    };
    let no_variables = Map::new();
    let ctx = Ctx { vars: request.variables.as_ref().unwrap_or(&no_variables), customers: &state.read().world.customers, seed: state.seed, now: state.started };
    let requested = match ctx.cost(&selection.items, "QueryRoot") {
        Ok(c) => c,
        Err(e) => return Json(e).into_response(),
    };
    let mut bucket = state.shop.lock().unwrap_or_else(|p| p.into_inner());
    let available = bucket.now();
    let status = |left: f64| json!({"maximumAvailable": MAXIMUM, "currentlyAvailable": left.floor(), "restoreRate": RESTORE_RATE});
    if requested > available {
        let mut body = errors("Throttled".into(), json!({"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}));
        body["extensions"] = json!({"cost": {"requestedQueryCost": requested, "actualQueryCost": null, "throttleStatus": status(available)}});
        return Json(body).into_response();
    }
    let data = match ctx.object(&selection.items, "QueryRoot", &|_, _| None) {
        Ok(d) => d,
        Err(e) => return Json(e).into_response(),
    };
    let actual = ctx.actual_cost(&data);
    bucket.available -= actual;
    let left = bucket.available;
    Json(json!({
        "data": data,
        "extensions": {"cost": {"requestedQueryCost": requested, "actualQueryCost": actual, "throttleStatus": status(left)}}
    }))
    .into_response()
}

struct Ctx<'a> {
    vars: &'a Map<String, Value>,
    customers: &'a [Customer],
    seed: u64,
    /// The sandbox's start (Unix seconds): order dates count back from it.
    now: i64,
}

type Fields = [Selection<'static, String>];
type Fld = Field<'static, String>;

fn fields(items: &Fields) -> impl Iterator<Item = &Fld> {
    items.iter().filter_map(|s| match s {
        Selection::Field(f) => Some(f),
        // Fragments are not used by Switchboard; Shopify would expand them.
        _ => None,
    })
}

fn undefined(type_name: &str, field: &str) -> Value {
    errors(
        format!("Field '{field}' doesn't exist on type '{type_name}'"),
        json!({"code": "undefinedField", "typeName": type_name, "fieldName": field}),
    )
}

/// An order as the shop holds it.
struct Order {
    id: u64,
    number: u64,
    created_at: jiff::Timestamp,
    financial: &'static str,
    fulfillment: &'static str,
    currency: &'static str,
    items: Vec<(&'static str, u32, &'static str, u64)>,
    tracking: Option<(&'static str, String)>,
}

const PRODUCTS: &[(&str, &str, u64)] = &[
    ("Stainless kettle 1.7 L", "KET-17", 59),
    ("Ceramic pour-over set", "POUR-2", 34),
    ("Linen apron", "APR-LN", 28),
    ("Cast-iron skillet 26 cm", "SKL-26", 72),
    ("Bamboo cutting board", "BRD-BM", 19),
    ("Glass storage jars (set of 3)", "JAR-3", 24),
];

impl Ctx<'_> {
    fn arg(&self, field: &Fld, name: &str) -> Option<Value> {
        field.arguments.iter().find(|(n, _)| n == name).map(|(_, v)| self.value(v))
    }

    fn value(&self, v: &Gql<'static, String>) -> Value {
        match v {
            Gql::Variable(name) => self.vars.get(name.as_str()).cloned().unwrap_or(Value::Null),
            Gql::Int(n) => json!(n.as_i64()),
            Gql::String(s) => json!(s),
            Gql::Boolean(b) => json!(b),
            Gql::Null => Value::Null,
            Gql::Enum(e) => json!(e),
            Gql::Float(f) => json!(f),
            Gql::List(l) => Value::Array(l.iter().map(|x| self.value(x)).collect()),
            Gql::Object(o) => Value::Object(o.iter().map(|(k, x)| (k.clone(), self.value(x))).collect()),
        }
    }

    fn first(&self, field: &Fld) -> Result<usize, Value> {
        match self.arg(field, "first").and_then(|v| v.as_u64()) {
            Some(n) if n <= 250 => Ok(n as usize),
            Some(_) => Err(errors("The maximum number of items a page is 250".into(), json!({"code": "MAX_PAGE_SIZE"}))),
            None => Err(errors(
                format!("you must provide one of first or last on the connection '{}'", field.name),
                json!({"code": "MISSING_PAGINATION_ARGUMENT"}),
            )),
        }
    }

    /// What Shopify would charge before running the query: 1 an object, 2 a connection plus
    /// `first` times its node.
    fn cost(&self, items: &Fields, type_name: &str) -> Result<f64, Value> {
        let mut total = 0.0;
        for f in fields(items) {
            total += match (type_name, f.name.as_str()) {
                ("QueryRoot", "customers") | ("Customer", "orders") | ("Order", "lineItems") => {
                    let node_type = match f.name.as_str() {
                        "customers" => "Customer",
                        "orders" => "Order",
                        _ => "LineItem",
                    };
                    let mut node = 0.0;
                    for c in fields(&f.selection_set.items) {
                        if c.name == "edges" {
                            for e in fields(&c.selection_set.items).filter(|e| e.name == "node") {
                                node += 1.0 + self.cost(&e.selection_set.items, node_type)?;
                            }
                        } else if c.name == "nodes" {
                            node += 1.0 + self.cost(&c.selection_set.items, node_type)?;
                        }
                    }
                    2.0 + self.first(f)? as f64 * node
                }
                ("Order", "fulfillments") => 1.0 + self.cost(&f.selection_set.items, "Fulfillment")?,
                _ if f.selection_set.items.is_empty() => 0.0,
                _ => 1.0 + self.cost(&f.selection_set.items, "")?,
            };
        }
        Ok(total)
    }

    /// What the answer cost, by the same rule as the estimate but with the items returned.
    fn actual_cost(&self, data: &Value) -> f64 {
        fn cost(v: &Value) -> f64 {
            match v {
                Value::Object(o) if o.contains_key("edges") || o.contains_key("nodes") => {
                    let edges = o.get("edges").and_then(Value::as_array).into_iter().flatten().filter_map(|e| e.get("node"));
                    let nodes = o.get("nodes").and_then(Value::as_array).into_iter().flatten();
                    2.0 + edges.chain(nodes).map(cost).sum::<f64>()
                }
                Value::Object(o) => 1.0 + o.values().map(cost).sum::<f64>(),
                Value::Array(a) => a.iter().map(cost).sum(),
                _ => 0.0,
            }
        }
        data.as_object().map_or(0.0, |root| root.values().map(cost).sum())
    }

    fn object(&self, items: &Fields, type_name: &str, scalar: &dyn Fn(&str, &Fld) -> Option<Result<Value, Value>>) -> Result<Value, Value> {
        let mut out = Map::new();
        for f in fields(items) {
            let key = f.alias.clone().unwrap_or_else(|| f.name.clone());
            let value = match (type_name, f.name.as_str()) {
                (_, "__typename") => json!(type_name),
                ("QueryRoot", "customers") => {
                    let query = self.arg(f, "query").and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
                    let found: Vec<&Customer> = self.customers.iter().filter(|c| matches(c, &query)).collect();
                    self.connection(f, &found, "Customer", &|c, sel| self.customer(c, sel))?
                }
                _ => match scalar(&f.name, f) {
                    Some(v) => v?,
                    None => return Err(undefined(type_name, &f.name)),
                },
            };
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }

    fn connection<T>(&self, f: &Fld, all: &[T], type_name: &str, node: &dyn Fn(&T, &Fields) -> Result<Value, Value>) -> Result<Value, Value> {
        let first = self.first(f)?;
        let after: usize = self.arg(f, "after").and_then(|v| v.as_str().and_then(|s| s.strip_prefix("cursor:").and_then(|n| n.parse().ok()))).unwrap_or(0);
        let page: Vec<(usize, &T)> = all.iter().enumerate().skip(after).take(first).collect();
        let has_next = after + page.len() < all.len();
        let mut out = Map::new();
        for c in fields(&f.selection_set.items) {
            let key = c.alias.clone().unwrap_or_else(|| c.name.clone());
            let value = match c.name.as_str() {
                "edges" => {
                    let mut edges = Vec::new();
                    for (i, item) in &page {
                        let mut edge = Map::new();
                        for e in fields(&c.selection_set.items) {
                            let value = match e.name.as_str() {
                                "cursor" => json!(format!("cursor:{}", i + 1)),
                                "node" => node(item, &e.selection_set.items)?,
                                other => return Err(undefined(&format!("{type_name}Edge"), other)),
                            };
                            edge.insert(e.alias.clone().unwrap_or_else(|| e.name.clone()), value);
                        }
                        edges.push(Value::Object(edge));
                    }
                    Value::Array(edges)
                }
                "nodes" => Value::Array(page.iter().map(|(_, item)| node(item, &c.selection_set.items)).collect::<Result<_, _>>()?),
                "pageInfo" => {
                    let mut info = Map::new();
                    for p in fields(&c.selection_set.items) {
                        let value = match p.name.as_str() {
                            "hasNextPage" => json!(has_next),
                            "hasPreviousPage" => json!(after > 0),
                            "endCursor" => page.last().map_or(Value::Null, |(i, _)| json!(format!("cursor:{}", i + 1))),
                            "startCursor" => page.first().map_or(Value::Null, |(i, _)| json!(format!("cursor:{}", i + 1))),
                            other => return Err(undefined("PageInfo", other)),
                        };
                        info.insert(p.alias.clone().unwrap_or_else(|| p.name.clone()), value);
                    }
                    Value::Object(info)
                }
                other => return Err(undefined(&format!("{type_name}Connection"), other)),
            };
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }

    fn customer(&self, c: &Customer, sel: &Fields) -> Result<Value, Value> {
        self.object(sel, "Customer", &|name, f| {
            Some(Ok(match name {
                "id" => json!(format!("gid://shopify/Customer/{}", 7_300_000_000u64 + c.id as u64)),
                "displayName" => json!(c.name),
                "firstName" => json!(c.first_name),
                "email" => json!(email(c)),
                "phone" => json!(c.phone),
                "orders" => {
                    let mut orders = self.orders(c);
                    if self.arg(f, "reverse").and_then(|v| v.as_bool()) == Some(true) {
                        orders.reverse();
                    }
                    return Some(self.connection(f, &orders, "Order", &|o, sel| self.order(o, sel)));
                }
                _ => return None,
            }))
        })
    }

    fn money(&self, amount: u64, currency: &str, sel: &Fields) -> Result<Value, Value> {
        self.object(sel, "MoneyBag", &|name, f| match name {
            "shopMoney" | "presentmentMoney" => Some(self.object(&f.selection_set.items, "MoneyV2", &|name, _| match name {
                "amount" => Some(Ok(json!(if currency == "KRW" { format!("{amount}.0") } else { format!("{amount}.00") }))),
                "currencyCode" => Some(Ok(json!(currency))),
                _ => None,
            })),
            _ => None,
        })
    }

    fn order(&self, o: &Order, sel: &Fields) -> Result<Value, Value> {
        let total: u64 = o.items.iter().map(|(_, q, _, p)| *q as u64 * p).sum();
        self.object(sel, "Order", &|name, f| {
            Some(Ok(match name {
                "id" => json!(format!("gid://shopify/Order/{}", o.id)),
                "name" => json!(format!("#{}", o.number)),
                "createdAt" | "processedAt" => json!(o.created_at.to_string()),
                "displayFinancialStatus" => json!(o.financial),
                "displayFulfillmentStatus" => json!(o.fulfillment),
                "currencyCode" => json!(o.currency),
                "currentTotalPriceSet" | "totalPriceSet" => return Some(self.money(total, o.currency, &f.selection_set.items)),
                "lineItems" => {
                    return Some(self.connection(f, &o.items, "LineItem", &|(title, quantity, sku, price), sel| {
                        self.object(sel, "LineItem", &|name, f| {
                            Some(Ok(match name {
                                "title" | "name" => json!(title),
                                "quantity" => json!(quantity),
                                "sku" => json!(sku),
                                "originalUnitPriceSet" => return Some(self.money(*price, o.currency, &f.selection_set.items)),
                                _ => return None,
                            }))
                        })
                    }))
                }
                "fulfillments" => {
                    let list: Vec<&(&str, String)> = o.tracking.iter().collect();
                    let items = list
                        .iter()
                        .map(|(company, number)| {
                            self.object(&f.selection_set.items, "Fulfillment", &|name, f| match name {
                                "trackingInfo" => Some(
                                    self.object(&f.selection_set.items, "FulfillmentTrackingInfo", &|name, _| {
                                        Some(Ok(match name {
                                            "company" => json!(company),
                                            "number" => json!(number),
                                            "url" => json!(format!("https://track.sandbox.test/{company}/{number}").replace(' ', "-")),
                                            _ => return None,
                                        }))
                                    })
                                    .map(|info| Value::Array(vec![info])),
                                ),
                                "status" => Some(Ok(json!("SUCCESS"))),
                                _ => None,
                            })
                        })
                        .collect::<Result<Vec<_>, _>>();
                    return Some(items.map(Value::Array));
                }
                _ => return None,
            }))
        })
    }

    /// The customer's orders, oldest first: the same every time for a seed.
    fn orders(&self, c: &Customer) -> Vec<Order> {
        let mut rng = StdRng::seed_from_u64(self.seed ^ (c.id as u64).wrapping_mul(0x5eed_04d3));
        let count = [0, 1, 1, 2, 3][rng.gen_range(0..5)];
        let korean = c.lang == Lang::Ko;
        let now = self.now;
        let mut at = now - rng.gen_range(20..120) * 86_400;
        (0..count)
            .map(|i| {
                at += rng.gen_range(1..20) * 86_400 + rng.gen_range(0..86_400);
                let latest = i + 1 == count;
                let fulfillment = if latest { ["UNFULFILLED", "IN_PROGRESS", "FULFILLED"][rng.gen_range(0..3)] } else { "FULFILLED" };
                let financial = if rng.gen_bool(0.1) { "REFUNDED" } else { "PAID" };
                let items = (0..rng.gen_range(1..=3))
                    .map(|_| {
                        let (title, sku, price) = PRODUCTS[rng.gen_range(0..PRODUCTS.len())];
                        (title, rng.gen_range(1..=2), sku, if korean { price * 1300 } else { price })
                    })
                    .collect();
                let carrier = if korean { "CJ Logistics" } else { "UPS" };
                Order {
                    id: 5_100_000_000 + c.id as u64 * 10 + i as u64,
                    number: 1000 + c.id as u64 * 3 + i as u64,
                    created_at: jiff::Timestamp::from_second(at.min(now - 3600)).expect("time"),
                    financial,
                    fulfillment,
                    currency: if korean { "KRW" } else { "USD" },
                    items,
                    tracking: (fulfillment == "FULFILLED").then(|| (carrier, format!("1Z{:010}", rng.gen_range(0..10_000_000_000u64)))),
                }
            })
            .collect()
    }
}

/// A customer's address in the shop.
pub fn email(c: &Customer) -> String {
    let ascii: String = c.name.chars().filter(|ch| ch.is_ascii_alphabetic() || *ch == ' ').collect::<String>().trim().replace(' ', ".").to_lowercase();
    if ascii.is_empty() {
        format!("customer{}@example.kr", c.id)
    } else {
        format!("{ascii}{}@example.com", c.id)
    }
}

/// Shopify's search syntax, as far as Switchboard uses it: `email:…` and `phone:…`, a value
/// optionally in double quotes, terms joined by spaces (AND) or `OR`.
fn matches(c: &Customer, query: &str) -> bool {
    let terms = parse_terms(query);
    if terms.is_empty() {
        return true;
    }
    let test = |(field, value): &(String, String)| match field.as_str() {
        "email" => email(c).eq_ignore_ascii_case(value),
        "phone" => c.phone == *value,
        _ => false,
    };
    terms.iter().any(|group| group.iter().all(test))
}

fn parse_terms(query: &str) -> Vec<Vec<(String, String)>> {
    let mut groups: Vec<Vec<(String, String)>> = vec![Vec::new()];
    let mut rest = query.trim();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("OR ") {
            groups.push(Vec::new());
            rest = after.trim_start();
            continue;
        }
        let (field, after) = rest.split_once(':').unwrap_or(("", rest));
        let (value, after) = match after.strip_prefix('"') {
            Some(quoted) => quoted.split_once('"').unwrap_or((quoted, "")),
            None => after.split_once(' ').unwrap_or((after, "")),
        };
        groups.last_mut().expect("one group").push((field.trim().to_lowercase(), value.to_owned()));
        rest = after.trim_start();
    }
    groups.retain(|g| !g.is_empty());
    groups
}

/// How many orders the shop holds for the customer with this phone number.
pub(crate) fn order_count(customers: &[Customer], seed: u64, phone: &str) -> Option<usize> {
    // The number of orders does not depend on the dates.
    let ctx = Ctx { vars: &Map::new(), customers, seed, now: 0 };
    customers.iter().find(|c| c.phone == phone).map(|c| ctx.orders(c).len())
}

#[cfg(test)]
mod tests {
    #[test]
    fn search_terms_read_like_shopifys() {
        assert_eq!(
            super::parse_terms(r#"email:"a b@x.com" OR phone:+15551000001"#),
            vec![vec![("email".to_owned(), "a b@x.com".to_owned())], vec![("phone".to_owned(), "+15551000001".to_owned())]]
        );
    }
}
