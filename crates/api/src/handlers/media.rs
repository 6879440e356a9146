//! Images hosted by the platforms, fetched to show them inline: by their link (Messenger,
//! Instagram), by file id with the bot's token (Telegram), as the message's media with the
//! account's credentials (SMS and WhatsApp through Twilio), or signed with the account's OAuth
//! 1.0a keys (X direct messages). Only from the platform's own media servers.

use crate::context::Context;
use crate::error::{ApiError, ErrorCode, Result};
use switchboard_core::interchange::AttachmentRecord;
use switchboard_core::model::{AccountView, Channel};
use switchboard_sync::media;

pub(crate) fn hosted_image(cx: &Context, attachment: &AttachmentRecord, account: &AccountView, message: &str, index: usize) -> Result<(String, Vec<u8>)> {
    if !media::shown_inline(attachment, account.channel) {
        return Err(ApiError::invalid("only a hosted image can be shown here; open the file in the browser"));
    }
    let credentials = cx.running_credentials()?;
    let token = credentials.get(&account.key)?;
    // In a team the hub holds the platforms' secrets: it fetches the image.
    if token.is_none() {
        if let Some(hub) = crate::handlers::team::hub(cx)? {
            return Ok(cx.wait(hub.media(&account.key, message, index))??);
        }
    }
    let photo_keys = if account.channel == Channel::X && account.config.contains_key(crate::handlers::accounts::PHOTO_KEYS) {
        let stored = credentials.get(&switchboard_sync::OAuth1Keys::credential_key(&account.key))?.ok_or_else(|| {
            ApiError::new(ErrorCode::NotAllowed, "the account's photo keys are not in the keychain; add them again in Settings")
        })?;
        Some(switchboard_sync::OAuth1Keys::from_secret(&stored)?)
    } else {
        None
    };
    let keys = media::MediaKeys { token, photo_keys };
    Ok(cx.wait(media::hosted_image(attachment, account, message, index, keys))??)
}
