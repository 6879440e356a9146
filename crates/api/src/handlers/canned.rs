//! The canned-reply library (`/` in the composer) and the agent's signature.

use crate::context::Context;
use crate::error::{ApiError, Result};
use serde::{Deserialize, Serialize};
use switchboard_core::interchange::CannedReplyRecord;
use switchboard_core::templates::{CannedRender, SignatureSettings, SIGNATURE_SETTING};
use ts_rs::TS;

/// The library, by shortcut.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct CannedRepliesRequest {}

/// The library without this reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct DeleteCannedReplyRequest {
    pub shortcut: String,
}

/// The reply's variant for this conversation's customer and channel, filled in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct RenderCannedRequest {
    pub shortcut: String,
    #[ts(type = "number")]
    pub conversation: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct SignatureSettingsRequest {}

pub(crate) fn canned_replies(cx: &Context, _: CannedRepliesRequest) -> Result<Vec<CannedReplyRecord>> {
    cx.read(|s| s.canned_replies())
}

/// The library after adding or replacing this reply (by shortcut).
pub(crate) fn save_canned_reply(cx: &Context, reply: CannedReplyRecord) -> Result<Vec<CannedReplyRecord>> {
    cx.write(move |s| {
        s.save_canned_reply(&reply)?;
        s.canned_replies()
    })
}

pub(crate) fn delete_canned_reply(cx: &Context, r: DeleteCannedReplyRequest) -> Result<Vec<CannedReplyRecord>> {
    cx.write(move |s| {
        s.delete_canned_reply(&r.shortcut)?;
        s.canned_replies()
    })
}

pub(crate) fn render_canned(cx: &Context, r: RenderCannedRequest) -> Result<CannedRender> {
    cx.read(|s| s.render_canned(&r.shortcut, r.conversation, &cx.me()))
}

pub(crate) fn signature_settings(cx: &Context, _: SignatureSettingsRequest) -> Result<SignatureSettings> {
    cx.read(|s| s.setting(SIGNATURE_SETTING))
}

pub(crate) fn save_signature_settings(cx: &Context, settings: SignatureSettings) -> Result<()> {
    if settings.text.chars().count() > 500 {
        return Err(ApiError::invalid("a signature has at most 500 characters"));
    }
    cx.write(move |s| s.set_setting(SIGNATURE_SETTING, &settings))
}
