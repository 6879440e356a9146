//! Images a platform hosts for a message, fetched when an agent opens the thread so the app can
//! show them inline: Graph's attachments are links to Meta's CDN; Telegram hands files out by id
//! (the bot asks for the file's path, then fetches it); Twilio tells a message's media only when
//! asked, and redirects to its CDN for the content; X serves a DM's photo only to a request signed
//! with the account's OAuth 1.0a keys (see `oauth1`). What the platform's API says is still
//! untrusted: only the platform's own media hosts (or the account's own API origin, as with the
//! sandbox) are asked, no redirect leads elsewhere, and only raster images of bounded size come
//! back, known by their bytes. Nothing fetched is stored.

use crate::oauth1::OAuth1Keys;
use crate::Error;
use reqwest::Url;
use std::sync::OnceLock;
use std::time::Duration;
use switchboard_core::model::{AccountView, Channel};
use switchboard_core::sensitive::Sensitive;

/// A photo, not a video: larger answers are refused.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;

/// Image types the app shows; an SVG (which can hold script) or anything else is not one.
const SHOWN: [&str; 4] = ["image/jpeg", "image/png", "image/gif", "image/webp"];

/// The domains each platform serves attachments from.
fn media_domains(channel: Channel) -> &'static [&'static str] {
    match channel {
        Channel::Messenger | Channel::Instagram | Channel::Facebook => &["fbcdn.net", "fbsbx.com", "cdninstagram.com"],
        Channel::Sms | Channel::Whatsapp => &["twiliocdn.com"],
        Channel::X => &["ton.twitter.com"],
        _ => &[],
    }
}

/// One channel of each platform with media domains: together, where a redirect may lead.
const MEDIA_PLATFORMS: [Channel; 2] = [Channel::Messenger, Channel::Sms];

/// A redirect is followed (three at most) only to the origin it came from or, over HTTPS, to a
/// platform's media domain: Twilio answers a media request with one to its CDN.
fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let from = attempt.previous().last().map(Url::origin);
        let to = attempt.url();
        let allowed = from.as_ref() == Some(&to.origin()) || MEDIA_PLATFORMS.iter().any(|c| on_media_domain(*c, to));
        if attempt.previous().len() <= 3 && allowed {
            attempt.follow()
        } else {
            attempt.stop()
        }
    })
}

fn on_media_domain(channel: Channel, url: &Url) -> bool {
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    url.scheme() == "https" && url.port().is_none() && media_domains(channel).iter().any(|d| host == *d || host.ends_with(&format!(".{d}")))
}

fn client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .redirect(redirect_policy())
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("Switchboard/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("HTTP client")
    })
}

/// Whether `url` is one the account's platform serves media from: HTTPS on one of its media
/// domains, or the very origin of the account's API (`base_url`, the sandbox's on loopback).
pub fn is_platform_media(channel: Channel, base_url: Option<&str>, url: &str) -> bool {
    let Ok(url) = Url::parse(url) else { return false };
    let same_origin = base_url.and_then(|b| Url::parse(b).ok()).is_some_and(|b| b.origin() == url.origin());
    same_origin || on_media_domain(channel, &url)
}

/// Fetches a hosted image: its type and bytes.
pub async fn image(channel: Channel, base_url: Option<&str>, url: &str) -> Result<(String, Vec<u8>), Error> {
    if !is_platform_media(channel, base_url, url) {
        return Err(Error::Refused("this attachment is not on the platform's media servers; open it in the browser instead".into()));
    }
    download(client().get(url)).await
}

/// Fetches a Telegram file by its id (the bot's `getFile`, then the file server; both on the
/// account's API origin): its type and bytes.
pub async fn telegram_image(account: &AccountView, token: Sensitive<String>, file_id: &str) -> Result<(String, Vec<u8>), Error> {
    let bot = crate::telegram::Telegram::new(account, token, client().clone())?;
    download(client().get(bot.file_url(file_id).await?)).await
}

/// The `index`th media of a Twilio message (SMS or WhatsApp): the message's media list says what
/// each is, and only an image is fetched (through Twilio's redirect to its CDN).
pub async fn twilio_image(account: &AccountView, token: Sensitive<String>, message: &str, index: usize) -> Result<(String, Vec<u8>), Error> {
    let twilio = crate::twilio::Twilio::new(account, token, client().clone())?;
    let (mime, url) = twilio.media(message, index).await?;
    if !SHOWN.contains(&mime.as_str()) {
        return Err(Error::Refused(format!("not an image the app shows ({mime}); open it in Twilio's console")));
    }
    // Twilio may ask for the account's credentials for media too; they are not sent on to the CDN.
    download(twilio.authorized(client().get(url))).await
}

/// An X DM's photo, asked for with a request signed by the account's OAuth 1.0a keys. X answers a
/// request it cannot verify with 401: said so, since only new keys mend that.
pub async fn x_image(base_url: Option<&str>, keys: &OAuth1Keys, url: &str) -> Result<(String, Vec<u8>), Error> {
    if !is_platform_media(Channel::X, base_url, url) {
        return Err(Error::Refused("this photo is not on X's media server; open it in the browser instead".into()));
    }
    let url = Url::parse(url).map_err(|_| Error::Refused("the photo's link is not a URL".into()))?;
    let request = client().get(url.clone()).header(reqwest::header::AUTHORIZATION, keys.authorization(&url));
    download(request).await.map_err(|e| match e {
        Error::Auth(_) => Error::Refused("X did not accept the account's photo keys (401); check them in Settings".into()),
        e => e,
    })
}

/// The image at `url`, if it is one the app shows (by its bytes, whatever the server calls it)
/// and no larger than `MAX_BYTES`. Errors never name the URL (Telegram's holds the bot token).
async fn download(request: reqwest::RequestBuilder) -> Result<(String, Vec<u8>), Error> {
    let too_large = || Error::Refused("the image is larger than 10 MB; open it in the browser instead".into());
    let mut response = request.send().await?;
    let status = response.status();
    if !status.is_success() {
        return Err(if status == reqwest::StatusCode::UNAUTHORIZED {
            Error::Auth(format!("the platform's media server answered {status}"))
        } else if status.is_server_error() {
            Error::Transient(format!("the platform's media server answered {status}"))
        } else {
            Error::Refused(format!("the platform's media server answered {status} (the link may have expired)"))
        });
    }
    if response.content_length().is_some_and(|n| n > MAX_BYTES as u64) {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if bytes.len() + chunk.len() > MAX_BYTES {
            return Err(too_large());
        }
        bytes.extend_from_slice(&chunk);
    }
    match infer::get(&bytes).map(|t| t.mime_type()) {
        Some(mime) if SHOWN.contains(&mime) => Ok((mime.to_owned(), bytes)),
        other => Err(Error::Refused(format!("not an image the app shows ({})", other.unwrap_or("unknown type")))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_platforms_media_hosts_or_its_api_origin_are_asked() {
        let meta = "https://scontent.xx.fbcdn.net/v/t1.15752-9/photo.jpg?oh=1";
        assert!(is_platform_media(Channel::Messenger, None, meta));
        assert!(is_platform_media(Channel::Instagram, None, "https://scontent-icn1-1.cdninstagram.com/v/a.jpg"));
        assert!(is_platform_media(Channel::Messenger, None, "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1"));
        // Not over plain HTTP, not on another port, not a look-alike, not another platform's.
        assert!(!is_platform_media(Channel::Messenger, None, "http://scontent.xx.fbcdn.net/v/photo.jpg"));
        assert!(!is_platform_media(Channel::Messenger, None, "https://scontent.xx.fbcdn.net:8443/v/photo.jpg"));
        assert!(!is_platform_media(Channel::Messenger, None, "https://fbcdn.net.evil.example/photo.jpg"));
        assert!(!is_platform_media(Channel::Messenger, None, "https://evilfbcdn.net/photo.jpg"));
        assert!(!is_platform_media(Channel::Telegram, None, meta));
        // Nothing on the agent's own network, unless it is the account's API itself.
        assert!(!is_platform_media(Channel::Messenger, None, "http://127.0.0.1:8080/scontent/v/photo.jpg"));
        assert!(!is_platform_media(Channel::Messenger, Some("http://127.0.0.1:9000"), "http://127.0.0.1:8080/photo.jpg"));
        assert!(is_platform_media(Channel::Messenger, Some("http://127.0.0.1:8080"), "http://127.0.0.1:8080/scontent/v/photo.jpg"));
        assert!(!is_platform_media(Channel::Messenger, None, "file:///etc/passwd"));
        assert!(!is_platform_media(Channel::Messenger, None, "javascript:alert(1)"));
    }
}

/// What an account holds to fetch its media: its token (Telegram, Twilio), and for X direct
/// messages its OAuth 1.0a keys.
#[derive(Default)]
pub struct MediaKeys {
    pub token: Option<Sensitive<String>>,
    pub photo_keys: Option<OAuth1Keys>,
}

/// Whether an attachment is an image the app shows inline (Twilio's media list says what each is
/// only when asked, so an untyped one there counts).
pub fn shown_inline(attachment: &switchboard_core::interchange::AttachmentRecord, channel: Channel) -> bool {
    use switchboard_core::model::AttachmentKind;
    attachment.kind == AttachmentKind::Image || (matches!(channel, Channel::Sms | Channel::Whatsapp) && attachment.mime.is_none())
}

/// A message's `index`th attachment when it is an image the platform hosts: by its link
/// (Messenger, Instagram), by file id with the bot's token (Telegram), as the message's media with
/// the account's credentials (SMS and WhatsApp through Twilio), or signed with the account's OAuth
/// 1.0a keys (X direct messages). A desk and a team's hub fetch them alike.
pub async fn hosted_image(
    attachment: &switchboard_core::interchange::AttachmentRecord,
    account: &AccountView,
    message: &str,
    index: usize,
    keys: MediaKeys,
) -> Result<(String, Vec<u8>), Error> {
    let twilio = matches!(account.channel, Channel::Sms | Channel::Whatsapp);
    let not_shown = || Error::Refused("only a hosted image can be shown here; open the file in the browser".into());
    if !shown_inline(attachment, account.channel) {
        return Err(not_shown());
    }
    let token = || keys.token.clone().ok_or_else(|| Error::NoCredentials(account.key.clone()));
    let base_url = account.config.get("base_url").and_then(|v| v.as_str());
    match (&attachment.file_id, &attachment.url) {
        (Some(file_id), _) if account.channel == Channel::Telegram => telegram_image(account, token()?, file_id).await,
        _ if twilio => twilio_image(account, token()?, message, index).await,
        (_, Some(url)) if account.channel == Channel::X => {
            let keys = keys.photo_keys.as_ref().ok_or_else(|| {
                Error::Refused("X shows DM photos only to requests signed with the account's OAuth 1.0a keys; add them in Settings, or open the photo in the browser".into())
            })?;
            x_image(base_url, keys, url).await
        }
        (_, Some(url)) => image(account.channel, base_url, url).await,
        _ => Err(not_shown()),
    }
}
