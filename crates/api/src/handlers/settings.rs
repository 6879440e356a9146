//! Settings the agent edits: notifications, expectations, triage rules, business calendars and
//! SLA policies, and the shop the customer panel looks orders up in.

use crate::context::Context;
use crate::error::{ApiError, Result};
use serde::{Deserialize, Serialize};
use switchboard_core::interchange::{CalendarRecord, RuleRecord, SlaPolicyRecord};
use switchboard_core::model::Channel;
use switchboard_core::store::{Expectations, EXPECTATIONS_SETTING};
use switchboard_core::Store;
use switchboard_sync::shopify::{ShopSettings, SHOP_SETTING};
use ts_rs::TS;

/// The settings key of the notification settings.
pub const NOTIFICATIONS: &str = "notifications";

/// When a new customer message shows a desktop notification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct NotificationSettings {
    pub enabled: bool,
    pub do_not_disturb: bool,
    /// Channels whose messages never notify.
    pub muted_channels: Vec<Channel>,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        NotificationSettings { enabled: true, do_not_disturb: false, muted_channels: vec![] }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct NotificationSettingsRequest {}

/// Which accounts acknowledge new conversations, and how.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct ExpectationsRequest {}

/// The triage rules, in order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct RulesRequest {}

/// The rules without this one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct DeleteRuleRequest {
    pub name: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct SlaSettingsRequest {}

/// The business calendars and SLA policies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SlaSettings {
    pub calendars: Vec<CalendarRecord>,
    pub policies: Vec<SlaPolicyRecord>,
}

/// The SLA settings without this policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct DeleteSlaPolicyRequest {
    pub name: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct ShopSettingsRequest {}

/// The shop's settings; a new `token` goes to the keychain, none keeps the one there.
#[derive(Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SaveShopSettingsRequest {
    pub settings: ShopSettings,
    pub token: Option<String>,
}

impl std::fmt::Debug for SaveShopSettingsRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SaveShopSettingsRequest").field("settings", &self.settings).field("token", &self.token.as_ref().map(|_| "[redacted]")).finish()
    }
}

/// The shop's settings, and whether its access token is in the keychain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ShopView {
    pub settings: ShopSettings,
    pub has_token: bool,
}

pub(crate) fn notification_settings(cx: &Context, _: NotificationSettingsRequest) -> Result<NotificationSettings> {
    cx.read(|s| s.setting(NOTIFICATIONS))
}

pub(crate) fn save_notification_settings(cx: &Context, settings: NotificationSettings) -> Result<()> {
    cx.write(move |s| s.set_setting(NOTIFICATIONS, &settings))
}

pub(crate) fn expectations(cx: &Context, _: ExpectationsRequest) -> Result<Expectations> {
    cx.read(|s| s.setting(EXPECTATIONS_SETTING))
}

pub(crate) fn save_expectations(cx: &Context, settings: Expectations) -> Result<()> {
    if settings.links.iter().any(|l| !(l.starts_with("https://") || l.starts_with("http://"))) {
        return Err(ApiError::invalid("a self-service link starts with https://"));
    }
    cx.write(move |s| s.set_setting(EXPECTATIONS_SETTING, &settings))
}

pub(crate) fn rules(cx: &Context, _: RulesRequest) -> Result<Vec<RuleRecord>> {
    cx.read(|s| s.rules())
}

/// The rules after adding or replacing this one (by name; checked first).
pub(crate) fn save_rule(cx: &Context, rule: RuleRecord) -> Result<Vec<RuleRecord>> {
    cx.write(move |s| {
        s.save_rule(&rule)?;
        s.rules()
    })
}

pub(crate) fn delete_rule(cx: &Context, r: DeleteRuleRequest) -> Result<Vec<RuleRecord>> {
    cx.write(move |s| {
        s.delete_rule(&r.name)?;
        s.rules()
    })
}

fn sla_settings_of(s: &Store) -> switchboard_core::Result<SlaSettings> {
    Ok(SlaSettings { calendars: s.calendars()?, policies: s.sla_policies()? })
}

pub(crate) fn sla_settings(cx: &Context, _: SlaSettingsRequest) -> Result<SlaSettings> {
    cx.read(sla_settings_of)
}

/// The SLA settings after adding or replacing this calendar (by name).
pub(crate) fn save_calendar(cx: &Context, calendar: CalendarRecord) -> Result<SlaSettings> {
    cx.write(move |s| {
        s.save_calendar(&calendar)?;
        sla_settings_of(s)
    })
}

/// The SLA settings after adding or replacing this policy (by name).
pub(crate) fn save_sla_policy(cx: &Context, policy: SlaPolicyRecord) -> Result<SlaSettings> {
    cx.write(move |s| {
        s.save_sla_policy(&policy)?;
        sla_settings_of(s)
    })
}

pub(crate) fn delete_sla_policy(cx: &Context, r: DeleteSlaPolicyRequest) -> Result<SlaSettings> {
    cx.write(move |s| {
        s.delete_sla_policy(&r.name)?;
        sla_settings_of(s)
    })
}

pub(crate) fn shop_settings(cx: &Context, _: ShopSettingsRequest) -> Result<ShopView> {
    shop_view(cx)
}

pub(crate) fn save_shop_settings(cx: &Context, r: SaveShopSettingsRequest) -> Result<ShopView> {
    let settings = r.settings.checked().map_err(ApiError::invalid)?;
    if let Some(token) = r.token.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        if settings.shop.is_empty() {
            return Err(ApiError::invalid("name the shop before giving its token"));
        }
        cx.credentials()?.set(&settings.credential_key(), token)?;
    }
    cx.write(move |s| s.set_setting(SHOP_SETTING, &settings))?;
    *cx.shop.lock().unwrap_or_else(|p| p.into_inner()) = None;
    shop_view(cx)
}

fn shop_view(cx: &Context) -> Result<ShopView> {
    let settings: ShopSettings = cx.read(|s| s.setting(SHOP_SETTING))?;
    let has_token = !settings.shop.is_empty()
        && (cx.shop.lock().unwrap_or_else(|p| p.into_inner()).is_some() || cx.credentials()?.get(&settings.credential_key())?.is_some());
    Ok(ShopView { settings, has_token })
}
