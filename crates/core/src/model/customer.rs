//! A customer as the profile panel shows them: who they are, their handles, orders and merges.

use super::Channel;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ContactView {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    pub uid: String,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub language: Option<String>,
    pub time_zone: Option<String>,
    pub status: Option<String>,
}

/// One of a customer's handles: who they are on one account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct IdentityView {
    pub account: String,
    pub channel: Channel,
    pub handle: String,
    pub display_name: Option<String>,
}

/// An order from the shop, as cached in the store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OrderView {
    pub shop: String,
    pub external_id: String,
    pub number: String,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub placed_at: jiff::Timestamp,
    pub currency: String,
    /// Decimal text: money is never a float.
    pub total: String,
    pub financial_status: Option<String>,
    pub fulfillment_status: Option<String>,
    pub items: Vec<OrderItem>,
    pub tracking: Vec<Tracking>,
}

/// A merge that can be undone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MergeView {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    /// The customer that was merged in.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub absorbed_id: i64,
    pub absorbed_name: String,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub merged_at: jiff::Timestamp,
    pub merged_by: Option<String>,
}

/// A customer's editable fields, all at once: `None` clears a field.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ContactEdit {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// A language tag such as `ko` or `en-GB`.
    pub language: Option<String>,
    /// An IANA time zone such as `Asia/Seoul`.
    pub time_zone: Option<String>,
    /// e.g. `vip`, `blocked`.
    pub status: Option<String>,
    pub tags: Vec<String>,
    pub notes: Option<String>,
}


#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OrderItem {
    pub title: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub quantity: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Tracking {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

