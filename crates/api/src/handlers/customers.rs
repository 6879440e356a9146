//! The customer beside the thread: their profile and its edits, finding and merging customers,
//! their orders from the shop, and internal notes.

use crate::context::Context;
use crate::error::{ApiError, Result};
use crate::events::Event;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use switchboard_core::model::{ContactEdit, CustomerProfile, NoteView};
use switchboard_core::search::ContactHit;
use switchboard_core::Error;
use switchboard_sync::shopify::{Shop, ShopSettings, SHOP_SETTING};
use ts_rs::TS;

/// What the store holds now (see `refresh_orders` for the shop's news).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct CustomerRequest {
    #[ts(type = "number")]
    pub customer: i64,
}

/// The profile, after looking the customer's orders up in the shop if the cached ones are
/// older than the shop's refresh age (or always, with `force`). A failed lookup keeps the cached
/// orders and says why in `orders_error`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct RefreshOrdersRequest {
    #[ts(type = "number")]
    pub customer: i64,
    #[serde(default)]
    pub force: bool,
}

/// The fields are checked whole: nothing is stored on an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct EditCustomerRequest {
    #[ts(type = "number")]
    pub customer: i64,
    pub edit: ContactEdit,
}

/// Customers by name, email or phone (to pick one to merge).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct FindCustomersRequest {
    pub text: String,
}

/// The profile of `keep`, which `absorb` is now part of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct MergeCustomersRequest {
    #[ts(type = "number")]
    pub keep: i64,
    #[ts(type = "number")]
    pub absorb: i64,
}

/// The profile of the customer the merge was undone from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct UnmergeRequest {
    #[ts(type = "number")]
    pub merge: i64,
}

/// An order on a few lines, to insert into a reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct OrderSummaryRequest {
    #[ts(type = "number")]
    pub customer: i64,
    pub order: String,
}

/// An internal note, never sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct AddNoteRequest {
    #[ts(type = "number")]
    pub conversation: i64,
    pub text: String,
}

pub(crate) fn customer(cx: &Context, r: CustomerRequest) -> Result<CustomerProfile> {
    cx.read(|s| s.customer(r.customer))
}

pub(crate) fn edit_customer(cx: &Context, r: EditCustomerRequest) -> Result<CustomerProfile> {
    let customer = r.customer;
    cx.write(move |s| s.edit_customer(customer, &r.edit))?;
    cx.emit(Event::Customer { customer });
    cx.read(|s| s.customer(customer))
}

pub(crate) fn find_customers(cx: &Context, r: FindCustomersRequest) -> Result<Vec<ContactHit>> {
    cx.read(|s| s.search_contacts(&r.text, 20))
}

pub(crate) fn merge_customers(cx: &Context, r: MergeCustomersRequest) -> Result<CustomerProfile> {
    let agent = cx.me();
    let keep = r.keep;
    cx.write(move |s| s.merge_customers(keep, r.absorb, Some(&agent)))?;
    cx.emit(Event::Customer { customer: keep });
    cx.read(|s| s.customer(keep))
}

pub(crate) fn unmerge(cx: &Context, r: UnmergeRequest) -> Result<CustomerProfile> {
    let merge = r.merge;
    let (kept, restored) = cx.write(move |s| {
        let kept = s.customer_id_of_merge(merge)?;
        Ok((kept, s.unmerge(merge)?))
    })?;
    cx.emit(Event::Customer { customer: kept });
    cx.emit(Event::Customer { customer: restored });
    cx.read(|s| s.customer(kept))
}

pub(crate) fn order_summary(cx: &Context, r: OrderSummaryRequest) -> Result<String> {
    let found = cx.read(|s| s.orders(r.customer))?.into_iter().find(|o| o.external_id == r.order || o.number == r.order);
    let order = found.ok_or_else(|| ApiError::from(Error::Missing { what: "order", id: r.order }))?;
    Ok(switchboard_core::templates::order_summary(&order))
}

pub(crate) fn add_note(cx: &Context, r: AddNoteRequest) -> Result<NoteView> {
    let agent = cx.me();
    let conversation = r.conversation;
    let note = cx.write(move |s| s.add_note(conversation, Some(&agent), &r.text))?;
    cx.emit(Event::Messages { conversations: vec![conversation], from_customers: vec![] });
    cx.wake_sender();
    Ok(note)
}

/// The shop client, built from the settings and the keychain on first use; `None` when no shop
/// is connected.
pub(crate) fn shop(cx: &Context) -> Result<Option<Arc<Shop>>> {
    if let Some(shop) = cx.shop.lock().unwrap_or_else(|p| p.into_inner()).clone() {
        return Ok(Some(shop));
    }
    let settings: ShopSettings = cx.read(|s| s.setting(SHOP_SETTING))?;
    if settings.shop.is_empty() {
        return Ok(None);
    }
    let token = cx.credentials()?.get(&settings.credential_key())?.ok_or_else(|| {
        ApiError::invalid(format!("no access token for the shop {:?} in the keychain; enter it in Settings", settings.shop))
    })?;
    let shop = Arc::new(Shop::new(&settings, token).map_err(|e| ApiError::invalid(e.to_string()))?);
    *cx.shop.lock().unwrap_or_else(|p| p.into_inner()) = Some(shop.clone());
    Ok(Some(shop))
}

pub(crate) fn refresh_orders(cx: &Context, r: RefreshOrdersRequest) -> Result<CustomerProfile> {
    let customer = r.customer;
    let profile = cx.read(|s| s.customer(customer))?;
    let (email, phone) = (profile.contact.email.clone(), profile.contact.phone.clone());
    if email.is_none() && phone.is_none() {
        return Ok(profile);
    }
    let shop = match shop(cx) {
        Ok(Some(shop)) => shop,
        Ok(None) => return Ok(profile),
        Err(e) => {
            cx.write(move |s| s.order_lookup_failed(customer, &e.message, jiff::Timestamp::now()))?;
            return cx.read(|s| s.customer(customer));
        }
    };
    let settings: ShopSettings = cx.read(|s| s.setting(SHOP_SETTING))?;
    let fresh = profile.orders_checked_at.is_some_and(|at| jiff::Timestamp::now().duration_since(at).unsigned_abs() < settings.refresh_after());
    if fresh && !r.force {
        return Ok(profile);
    }
    let found = cx.wait(shop.orders(email.as_deref(), phone.as_deref()))?;
    let now = jiff::Timestamp::now();
    match found {
        Ok(orders) => cx.write(move |s| s.save_orders(customer, &orders, now))?,
        Err(e) => {
            tracing::warn!(error = %e, "order lookup failed");
            let why = e.to_string();
            cx.write(move |s| s.order_lookup_failed(customer, &why, now))?
        }
    }
    cx.emit(Event::Customer { customer });
    cx.read(|s| s.customer(customer))
}

