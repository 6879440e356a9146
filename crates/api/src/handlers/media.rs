//! Images hosted by the platforms, fetched to show them inline: by their link (Messenger,
//! Instagram), by file id with the bot's token (Telegram), as the message's media with the
//! account's credentials (SMS and WhatsApp through Twilio), or signed with the account's OAuth
//! 1.0a keys (X direct messages). Only from the platform's own media servers.

use crate::context::Context;
use crate::error::{ApiError, ErrorCode, Result};
use switchboard_core::interchange::AttachmentRecord;
use switchboard_core::model::{AccountView, AttachmentKind, Channel};
use switchboard_sync::media;

pub(crate) fn hosted_image(cx: &Context, attachment: &AttachmentRecord, account: &AccountView, message: &str, index: usize) -> Result<(String, Vec<u8>)> {
    let twilio = matches!(account.channel, Channel::Sms | Channel::Whatsapp);
    let image = attachment.kind == AttachmentKind::Image || (twilio && attachment.mime.is_none());
    let not_shown = || ApiError::invalid("only a hosted image can be shown here; open the file in the browser");
    if !image {
        return Err(not_shown());
    }
    let secret = || -> Result<_> {
        cx.running_credentials()?.get(&account.key)?.ok_or_else(|| {
            ApiError::new(ErrorCode::NotAllowed, format!("no credentials for {} in the keychain; add the account again", account.key))
        })
    };
    let base_url = account.config.get("base_url").and_then(|v| v.as_str());
    let fetched = match (&attachment.file_id, &attachment.url) {
        (Some(file_id), _) if account.channel == Channel::Telegram => cx.wait(media::telegram_image(account, secret()?, file_id))?,
        _ if twilio => cx.wait(media::twilio_image(account, secret()?, message, index))?,
        (_, Some(url)) if account.channel == Channel::X => {
            if !account.config.contains_key(crate::handlers::accounts::PHOTO_KEYS) {
                return Err(ApiError::new(
                    ErrorCode::NotAllowed,
                    "X shows DM photos only to requests signed with the account's OAuth 1.0a keys; add them in Settings, or open the photo in the browser",
                ));
            }
            let stored = cx.running_credentials()?.get(&switchboard_sync::OAuth1Keys::credential_key(&account.key))?;
            let stored = stored.ok_or_else(|| {
                ApiError::new(ErrorCode::NotAllowed, "the account's photo keys are not in the keychain; add them again in Settings")
            })?;
            let keys = switchboard_sync::OAuth1Keys::from_secret(&stored)?;
            cx.wait(media::x_image(base_url, &keys, url))?
        }
        (_, Some(url)) => cx.wait(media::image(account.channel, base_url, url))?,
        _ => return Err(not_shown()),
    };
    Ok(fetched?)
}
