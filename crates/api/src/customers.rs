//! The Workspace's customer context: profiles, edits, merges, orders from the shop, notes,
//! canned replies and the signature. A child module of `workspace`, so it reaches its fields.

use super::*;
use switchboard_core::interchange::CannedAction;
use switchboard_core::model::CustomerProfile;
use switchboard_core::templates::{SignatureSettings, SIGNATURE_SETTING};
use switchboard_sync::shopify::{Shop, ShopSettings, SHOP_SETTING};

impl Workspace {
    pub(super) fn customer_command(&self, command: Command) -> Result<serde_json::Value, ApiError> {
        match command {
            Command::Customer { customer } => to_json(self.with_store(|s| s.customer(customer))?),
            Command::RefreshOrders { customer, force } => to_json(self.refresh_orders(customer, force)?),
            Command::EditCustomer { customer, edit } => {
                let profile = self.with_store(|s| {
                    s.edit_customer(customer, &edit)?;
                    s.customer(customer)
                })?;
                self.announce_customer(customer);
                to_json(profile)
            }
            Command::FindCustomers { text } => to_json(self.with_store(|s| s.search_contacts(&text, 20))?),
            Command::MergeCustomers { keep, absorb } => {
                let agent = self.agent.clone();
                let profile = self.with_store(|s| {
                    s.merge_customers(keep, absorb, Some(&agent))?;
                    s.customer(keep)
                })?;
                self.announce_customer(keep);
                to_json(profile)
            }
            Command::Unmerge { merge } => {
                let (kept, restored) = self.with_store(|s| {
                    let kept = s.customer_id_of_merge(merge)?;
                    Ok((kept, s.unmerge(merge)?))
                })?;
                self.announce_customer(kept);
                self.announce_customer(restored);
                to_json(self.with_store(|s| s.customer(kept))?)
            }
            Command::OrderSummary { customer, order } => {
                let found = self.with_store(|s| s.orders(customer))?.into_iter().find(|o| o.external_id == order || o.number == order);
                let order = found.ok_or_else(|| ApiError::from(Error::Missing { what: "order", id: order }))?;
                to_json(switchboard_core::templates::order_summary(&order))
            }
            Command::AddNote { conversation, text } => {
                let agent = self.agent.clone();
                let note = self.with_store(|s| s.add_note(conversation, Some(&agent), &text))?;
                let _ = self.events.send(Event::Messages { conversations: vec![conversation], from_customers: vec![] });
                to_json(note)
            }
            Command::CannedReplies => to_json(self.with_store(|s| s.canned_replies())?),
            Command::SaveCannedReply(reply) => to_json(self.with_store(|s| {
                s.save_canned_reply(&reply)?;
                s.canned_replies()
            })?),
            Command::DeleteCannedReply { shortcut } => to_json(self.with_store(|s| {
                s.delete_canned_reply(&shortcut)?;
                s.canned_replies()
            })?),
            Command::RenderCanned { shortcut, conversation } => {
                let agent = self.agent.clone();
                to_json(self.with_store(|s| s.render_canned(&shortcut, conversation, &agent))?)
            }
            Command::ShopSettings => to_json(self.shop_view()?),
            Command::SaveShopSettings { settings, token } => {
                let settings = settings.checked().map_err(|m| ApiError { code: ErrorCode::Invalid, message: m })?;
                if let Some(token) = token.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
                    if settings.shop.is_empty() {
                        return Err(ApiError { code: ErrorCode::Invalid, message: "name the shop before giving its token".into() });
                    }
                    self.credentials()?.set(&settings.credential_key(), token).map_err(ApiError::from)?;
                }
                self.with_store(|s| s.set_setting(SHOP_SETTING, &settings))?;
                *self.shop.lock().expect("shop lock") = None;
                to_json(self.shop_view()?)
            }
            Command::SignatureSettings => to_json(self.with_store(|s| s.setting::<SignatureSettings>(SIGNATURE_SETTING))?),
            Command::SaveSignatureSettings(settings) => {
                if settings.text.chars().count() > 500 {
                    return Err(ApiError { code: ErrorCode::Invalid, message: "a signature has at most 500 characters".into() });
                }
                to_json(self.with_store(|s| s.set_setting(SIGNATURE_SETTING, &settings))?)
            }
            other => Err(internal(format!("{other:?} is not a customer command"))),
        }
    }

    fn announce_customer(&self, customer: i64) {
        let _ = self.events.send(Event::Customer { customer });
    }

    fn shop_view(&self) -> Result<ShopView, ApiError> {
        let settings: ShopSettings = self.with_store(|s| s.setting(SHOP_SETTING))?;
        let has_token = !settings.shop.is_empty()
            && (self.shop.lock().expect("shop lock").is_some()
                || self.credentials()?.get(&settings.credential_key()).map_err(ApiError::from)?.is_some());
        Ok(ShopView { settings, has_token })
    }

    /// The shop client, built from the settings and the keychain on first use; `None` when no
    /// shop is connected.
    fn shop(&self) -> Result<Option<Arc<Shop>>, ApiError> {
        if let Some(shop) = self.shop.lock().expect("shop lock").clone() {
            return Ok(Some(shop));
        }
        let settings: ShopSettings = self.with_store(|s| s.setting(SHOP_SETTING))?;
        if settings.shop.is_empty() {
            return Ok(None);
        }
        let token = self.credentials()?.get(&settings.credential_key()).map_err(ApiError::from)?.ok_or_else(|| ApiError {
            code: ErrorCode::Invalid,
            message: format!("no access token for the shop {:?} in the keychain; enter it in Settings", settings.shop),
        })?;
        let shop = Arc::new(Shop::new(&settings, token).map_err(|e| ApiError { code: ErrorCode::Invalid, message: e.to_string() })?);
        *self.shop.lock().expect("shop lock") = Some(shop.clone());
        Ok(Some(shop))
    }

    /// Connects the demo's shop (in the sandbox), its token held in memory only.
    pub(super) fn connect_demo_shop(&self, sandbox_url: &str) -> Result<(), ApiError> {
        use switchboard_sandbox::credentials as c;
        let settings = ShopSettings {
            shop: c::SHOP.into(),
            base_url: Some(sandbox_url.to_owned()),
            api_version: Some(switchboard_sandbox::shopify::VERSION.into()),
            refresh_minutes: None,
        };
        let shop = Shop::new(&settings, switchboard_core::sensitive::Sensitive::new(c::SHOPIFY_TOKEN.to_owned()))
            .map_err(|e| internal(e.to_string()))?;
        self.with_store(|s| s.set_setting(SHOP_SETTING, &settings))?;
        *self.shop.lock().expect("shop lock") = Some(Arc::new(shop));
        Ok(())
    }

    /// Looks the customer's orders up in the shop when the cached ones are older than the
    /// shop's refresh age (or always, with `force`), and returns the profile. A lookup that
    /// fails keeps the cached orders and records why.
    fn refresh_orders(&self, customer: i64, force: bool) -> Result<CustomerProfile, ApiError> {
        let profile = self.with_store(|s| s.customer(customer))?;
        let (email, phone) = (profile.contact.email.clone(), profile.contact.phone.clone());
        if email.is_none() && phone.is_none() {
            return Ok(profile);
        }
        let shop = match self.shop() {
            Ok(Some(shop)) => shop,
            Ok(None) => return Ok(profile),
            Err(e) => {
                self.with_store(|s| s.order_lookup_failed(customer, &e.message, jiff::Timestamp::now()))?;
                return self.with_store(|s| s.customer(customer));
            }
        };
        let settings: ShopSettings = self.with_store(|s| s.setting(SHOP_SETTING))?;
        let fresh = profile.orders_checked_at.is_some_and(|at| {
            jiff::Timestamp::now().duration_since(at).unsigned_abs() < settings.refresh_after()
        });
        if fresh && !force {
            return Ok(profile);
        }
        let handle = tokio::runtime::Handle::try_current().map_err(|_| internal("no async runtime for the shop lookup"))?;
        // The command runs on a blocking thread (both shells), where waiting is allowed.
        let found = tokio::task::block_in_place(|| handle.block_on(shop.orders(email.as_deref(), phone.as_deref())));
        let now = jiff::Timestamp::now();
        match found {
            Ok(orders) => self.with_store(|s| s.save_orders(customer, &orders, now))?,
            Err(e) => {
                tracing::warn!(error = %e, "order lookup failed");
                self.with_store(|s| s.order_lookup_failed(customer, &e.to_string(), now))?
            }
        }
        self.announce_customer(customer);
        self.with_store(|s| s.customer(customer))
    }

    /// Applies a canned reply's actions to the conversation its reply went to.
    pub(super) fn apply_actions(&self, conversation: i64, actions: &[CannedAction]) -> Result<(), ApiError> {
        if actions.is_empty() {
            return Ok(());
        }
        self.with_store(|s| {
            for action in actions {
                match action {
                    CannedAction::SetStatus(status) => s.set_status(conversation, *status)?,
                    CannedAction::SetPriority(priority) => s.set_priority(conversation, *priority)?,
                    CannedAction::AddTag(tag) => {
                        let mut tags = s.thread(conversation, 1)?.tags;
                        if !tags.contains(tag) {
                            tags.push(tag.clone());
                            s.set_conversation_tags(conversation, &tags)?;
                        }
                    }
                }
            }
            Ok(())
        })?;
        let _ = self.events.send(Event::Messages { conversations: vec![conversation], from_customers: vec![] });
        Ok(())
    }
}
