//! The profile panel's whole answer for one customer.

use super::{ContactView, IdentityView, InboxRow, MergeView, OrderView};
use serde::{Deserialize, Serialize};

/// Everything the profile panel shows about one customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CustomerProfile {
    pub contact: ContactView,
    pub tags: Vec<String>,
    pub notes: Option<String>,
    pub identities: Vec<IdentityView>,
    /// Every conversation with this customer, newest first.
    pub conversations: Vec<InboxRow>,
    /// Newest first.
    pub orders: Vec<OrderView>,
    /// When the orders were last looked up in the shop, and why that failed if it did.
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub orders_checked_at: Option<jiff::Timestamp>,
    pub orders_error: Option<String>,
    /// Merges into this customer, newest first.
    pub merges: Vec<MergeView>,
}

