//! Connected accounts: what each channel needs, checked before anything is stored; the secret
//! goes to the keychain, the rest to the account's config. The CLI and the Settings view both
//! come through here. A change of accounts restarts the sync.

use crate::context::Context;
use crate::error::{ApiError, Result};
use crate::events::Event;
use serde::{Deserialize, Serialize};
use switchboard_core::credentials::Credentials;
use switchboard_core::model::{AccountView, Channel};
use switchboard_core::{Error, Store};
use switchboard_sync::OAuth1Keys;
use ts_rs::TS;

/// An account to connect, as the agent fills it in. Which fields matter depends on `channel`.
#[derive(Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct NewAccount {
    pub channel: Channel,
    /// Messenger and Instagram: the Facebook Page's id; SMS and WhatsApp: the business's number
    /// (+E.164); Telegram: the bot's name; X: the account's username; email: the address replies
    /// come from (default: `user`).
    #[serde(default)]
    pub name: String,
    /// The Page access token, Twilio auth token, bot token, X user token or email password.
    pub secret: String,
    /// The platform's API base URL, when not the real platform's (the sandbox, a proxy).
    #[serde(default)]
    pub base_url: Option<String>,
    /// Twilio: the account SID.
    #[serde(default)]
    pub account_sid: Option<String>,
    /// Email: HOST:PORT of the IMAP and SMTP servers, and the user name for both.
    #[serde(default)]
    pub imap: Option<String>,
    #[serde(default)]
    pub smtp: Option<String>,
    #[serde(default)]
    pub user: Option<String>,
    /// Email: no TLS (allowed only to servers on this machine).
    #[serde(default)]
    pub plain: bool,
    /// Instagram and X: follow what is said in public (comments under the account's media; X
    /// mentions and brand search) instead of direct messages. Facebook is always public: a
    /// Page's comments (its messages are the Messenger channel).
    #[serde(default)]
    pub public: bool,
    /// X in public: what brand listening searches for besides mentions, in X's query language
    /// (e.g. `"Acme Corp" OR #acme`); empty: mentions only.
    #[serde(default)]
    pub search: Option<String>,
    /// X direct messages: the OAuth 1.0a keys X serves DM photos to, so the app can show them.
    /// Optional: without them a photo opens in the browser.
    #[serde(default)]
    pub photo_keys: Option<OAuth1Keys>,
}

impl std::fmt::Debug for NewAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewAccount").field("channel", &self.channel).field("name", &self.name).field("secret", &"[redacted]").finish_non_exhaustive()
    }
}

type Config = serde_json::Map<String, serde_json::Value>;

/// The account's config says it has photo keys (they are in the keychain, under
/// [`OAuth1Keys::credential_key`]): the UI can say so and the app can ask for them.
pub const PHOTO_KEYS: &str = "photo_keys";

impl NewAccount {
    /// The account's key and config, or what is wrong with the form, in words for the agent.
    pub fn prepare(&self) -> Result<(String, Config), String> {
        if self.secret.trim().is_empty() {
            return Err("the secret (token or password) is empty".into());
        }
        let mut config = Config::new();
        if let Some(url) = self.base_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(format!("the base URL must start with https:// (got {url:?})"));
            }
            config.insert("base_url".into(), url.into());
        }
        let name = self.name.trim();
        let key = match self.channel {
            Channel::Email => {
                let (Some(imap), Some(smtp), Some(user)) = (self.imap.as_deref(), self.smtp.as_deref(), self.user.as_deref()) else {
                    return Err("an email account needs its IMAP server, SMTP server and user name".into());
                };
                for (what, value) in [("IMAP", imap), ("SMTP", smtp)] {
                    if !value.rsplit_once(':').is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok()) {
                        return Err(format!("the {what} server must be HOST:PORT, e.g. mail.example.com:993"));
                    }
                }
                if self.plain {
                    switchboard_sync::check_plain(imap, smtp)?;
                }
                let address = if name.is_empty() { user.trim() } else { name }.to_lowercase();
                if !address.contains('@') {
                    return Err("the account's name must be the address replies come from (the user name is not one)".into());
                }
                config.insert("imap".into(), imap.into());
                config.insert("smtp".into(), smtp.into());
                config.insert("user".into(), user.into());
                config.insert("address".into(), address.clone().into());
                config.insert("tls".into(), (!self.plain).into());
                format!("email:{address}")
            }
            Channel::Messenger | Channel::Instagram | Channel::Facebook => {
                if name.is_empty() || !name.chars().all(|c| c.is_ascii_digit()) {
                    return Err("the name must be the Facebook Page's numeric id".into());
                }
                config.insert("page_id".into(), name.into());
                // A Page's comments and its inbox are two accounts: each keeps its own cursor.
                match (self.channel, self.public) {
                    (Channel::Facebook, _) => {
                        config.insert("stream".into(), "comments".into());
                        format!("facebook:{name}")
                    }
                    (Channel::Instagram, true) => {
                        config.insert("stream".into(), "comments".into());
                        format!("instagram:{name}/comments")
                    }
                    (Channel::Messenger, true) => return Err("Messenger is private; a Page's public comments are the Facebook channel".into()),
                    _ => format!("{}:{name}", self.channel),
                }
            }
            Channel::X => {
                let user = name.trim_start_matches('@');
                if user.is_empty() || user.len() > 15 || !user.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    return Err("the name must be the X account's username (letters, digits and _, at most 15)".into());
                }
                if !self.public {
                    if let Some(keys) = &self.photo_keys {
                        keys.checked()?;
                        config.insert(PHOTO_KEYS.into(), true.into());
                    }
                    format!("x:{user}")
                } else {
                    config.insert("stream".into(), "mentions".into());
                    if let Some(search) = self.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                        if search.chars().count() > 512 {
                            return Err("X's search takes queries of at most 512 characters".into());
                        }
                        config.insert("search".into(), search.into());
                    }
                    format!("x:{user}/mentions")
                }
            }
            Channel::Telegram => {
                if name.is_empty() {
                    return Err("the name must be the bot's name".into());
                }
                format!("telegram:{name}")
            }
            Channel::Sms | Channel::Whatsapp => {
                let number = name.trim_start_matches("whatsapp:");
                if !number.starts_with('+') || number.len() < 8 || !number[1..].chars().all(|c| c.is_ascii_digit()) {
                    return Err("the name must be the business's number in E.164 form, e.g. +15550100".into());
                }
                let sid = self.account_sid.as_deref().map(str::trim).filter(|s| !s.is_empty());
                let sid = sid.ok_or("a Twilio account needs its account SID")?;
                config.insert("account_sid".into(), sid.into());
                let (key, number) = if self.channel == Channel::Whatsapp {
                    (format!("whatsapp:{number}"), format!("whatsapp:{number}"))
                } else {
                    (format!("sms:{number}"), number.to_owned())
                };
                config.insert("number".into(), number.into());
                key
            }
            Channel::Webchat => return Err("webchat accounts cannot be connected yet".into()),
            Channel::Hub => return Err("a team's hub is joined with its address and an enrolment code, not a token".into()),
        };
        if self.photo_keys.is_some() && !config.contains_key(PHOTO_KEYS) {
            return Err("photo keys are for an X account's direct messages only".into());
        }
        Ok((key, config))
    }
}

/// Checks the form, puts the secret in `credentials` and the account in the store: both or
/// neither.
pub fn connect(store: &mut Store, credentials: &dyn Credentials, new: &NewAccount) -> switchboard_core::Result<AccountView> {
    let (key, config) = new.prepare().map_err(switchboard_core::Error::invalid)?;
    let undo = || {
        let _ = forget(credentials, &key);
    };
    credentials.set(&key, new.secret.trim())?;
    if let Some(keys) = &new.photo_keys {
        keep_photo_keys(credentials, &key, keys).inspect_err(|_| undo())?;
    }
    store.add_account(&key, None, config).inspect_err(|_| undo())
}

/// Forgets every secret of an account: its token or password, and its photo keys.
pub fn forget(credentials: &dyn Credentials, key: &str) -> switchboard_core::Result<()> {
    credentials.delete(key)?;
    credentials.delete(&OAuth1Keys::credential_key(key))
}

/// Puts an account's photo keys, checked and tidied, in the keychain beside its token.
fn keep_photo_keys(credentials: &dyn Credentials, key: &str, keys: &OAuth1Keys) -> switchboard_core::Result<()> {
    let keys = keys.checked().map_err(switchboard_core::Error::invalid)?;
    credentials.set(&OAuth1Keys::credential_key(key), keys.to_secret().expose())
}

/// Gives an X account's direct messages photo keys (`None`: takes them away): in the keychain,
/// and noted in the account's config.
pub fn set_photo_keys_in(store: &mut Store, credentials: &dyn Credentials, key: &str, keys: Option<&OAuth1Keys>) -> switchboard_core::Result<AccountView> {
    let account = store.account(key)?.ok_or_else(|| switchboard_core::Error::Missing { what: "account", id: key.to_owned() })?;
    if account.channel != Channel::X || account.config.contains_key("stream") {
        return Err(switchboard_core::Error::invalid("photo keys are for an X account's direct messages only"));
    }
    let mut config = account.config.clone();
    match keys {
        Some(keys) => {
            keep_photo_keys(credentials, key, keys)?;
            config.insert(PHOTO_KEYS.into(), true.into());
        }
        None => {
            credentials.delete(&OAuth1Keys::credential_key(key))?;
            config.remove(PHOTO_KEYS);
        }
    }
    store.set_account_config(key, config)?;
    Ok(store.account(key)?.unwrap_or(account))
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct AccountsRequest {}

/// Stops syncing the account and forgets its secret; its conversations stay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct DisconnectAccountRequest {
    pub key: String,
}

/// A new secret for an account (after "needs re-authentication"); it syncs again.
#[derive(Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ReauthenticateRequest {
    pub key: String,
    pub secret: String,
}

impl std::fmt::Debug for ReauthenticateRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReauthenticateRequest").field("key", &self.key).field("secret", &"[redacted]").finish()
    }
}

/// Gives an X account's direct messages the OAuth 1.0a keys X serves DM photos to (none: takes
/// them away), kept in the keychain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SetPhotoKeysRequest {
    pub key: String,
    pub keys: Option<OAuth1Keys>,
}

pub(crate) fn accounts(cx: &Context, _: AccountsRequest) -> Result<Vec<AccountView>> {
    cx.read(|s| s.accounts())
}

/// Connected, its secret in the keychain; the sync restarts with it.
pub(crate) fn add_account(cx: &Context, new: NewAccount) -> Result<AccountView> {
    let credentials = cx.credentials()?;
    let account = cx.write(move |s| connect(s, credentials.as_ref(), &new))?;
    cx.emit(Event::Accounts);
    cx.request_sync(false, true);
    Ok(account)
}

pub(crate) fn disconnect_account(cx: &Context, r: DisconnectAccountRequest) -> Result<()> {
    let credentials = cx.credentials()?;
    let key = r.key.clone();
    cx.write(move |s| s.set_account_disabled(&key, true))?;
    forget(credentials.as_ref(), &r.key)?;
    cx.emit(Event::Accounts);
    cx.request_sync(false, true);
    Ok(())
}

pub(crate) fn reauthenticate(cx: &Context, r: ReauthenticateRequest) -> Result<()> {
    if r.secret.trim().is_empty() {
        return Err(ApiError::invalid("the new secret is empty"));
    }
    let credentials = cx.credentials()?;
    cx.read(|s| s.account(&r.key)?.ok_or_else(|| Error::Missing { what: "account", id: r.key.clone() }))?;
    credentials.set(&r.key, r.secret.trim())?;
    let key = r.key.clone();
    cx.write(move |s| s.set_account_disabled(&key, false))?;
    cx.emit(Event::Accounts);
    cx.request_sync(false, true);
    Ok(())
}

pub(crate) fn set_photo_keys(cx: &Context, r: SetPhotoKeysRequest) -> Result<AccountView> {
    let credentials = cx.running_credentials()?;
    let account = cx.write(move |s| set_photo_keys_in(s, credentials.as_ref(), &r.key, r.keys.as_ref()))?;
    cx.emit(Event::Accounts);
    Ok(account)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(channel: Channel, name: &str) -> NewAccount {
        NewAccount {
            channel,
            name: name.into(),
            secret: "s3cret".into(),
            base_url: None,
            account_sid: None,
            imap: None,
            smtp: None,
            user: None,
            plain: false,
            public: false,
            search: None,
            photo_keys: None,
        }
    }

    #[test]
    fn each_channel_says_what_is_missing() {
        assert!(form(Channel::Messenger, "acme").prepare().unwrap_err().contains("numeric id"));
        assert_eq!(form(Channel::Instagram, "1047").prepare().unwrap().0, "instagram:1047");
        assert!(form(Channel::Sms, "555").prepare().unwrap_err().contains("E.164"));
        assert!(form(Channel::Sms, "+15550100").prepare().unwrap_err().contains("account SID"));
        let wa = NewAccount { account_sid: Some("AC1".into()), ..form(Channel::Whatsapp, "+15550199") };
        let (key, config) = wa.prepare().unwrap();
        assert_eq!((key.as_str(), config["number"].as_str()), ("whatsapp:+15550199", Some("whatsapp:+15550199")));
        assert_eq!(form(Channel::X, "@acme_help").prepare().unwrap().0, "x:acme_help");
        assert!(form(Channel::Email, "").prepare().unwrap_err().contains("IMAP"));
        let plain = NewAccount {
            imap: Some("mail.acme.test:143".into()),
            smtp: Some("mail.acme.test:25".into()),
            user: Some("help@acme.test".into()),
            plain: true,
            ..form(Channel::Email, "")
        };
        assert!(plain.prepare().unwrap_err().contains("unencrypted"));
        assert!(NewAccount { secret: " ".into(), ..form(Channel::Telegram, "bot") }.prepare().unwrap_err().contains("empty"));
        assert!(!format!("{:?}", form(Channel::Telegram, "bot")).contains("s3cret"), "the secret is never printed");
        let (key, config) = form(Channel::Facebook, "1047").prepare().unwrap();
        assert_eq!((key.as_str(), config["stream"].as_str()), ("facebook:1047", Some("comments")));
        assert_eq!(NewAccount { public: true, ..form(Channel::Instagram, "1047") }.prepare().unwrap().0, "instagram:1047/comments");
        let x = NewAccount { public: true, search: Some("\"Acme Corp\" OR #acme".into()), ..form(Channel::X, "acme_help") };
        let (key, config) = x.prepare().unwrap();
        assert_eq!((key.as_str(), config["search"].as_str()), ("x:acme_help/mentions", Some("\"Acme Corp\" OR #acme")));
        assert!(NewAccount { public: true, search: Some("a".repeat(513)), ..form(Channel::X, "acme") }.prepare().unwrap_err().contains("512"));
    }

    #[test]
    fn photo_keys_belong_to_x_direct_messages_and_must_be_whole() {
        let keys = OAuth1Keys { consumer_key: "ck".into(), consumer_secret: "cs".into(), access_token: "1-at".into(), access_token_secret: "ats".into() };
        let (_, config) = NewAccount { photo_keys: Some(keys.clone()), ..form(Channel::X, "acme") }.prepare().unwrap();
        assert_eq!(config[PHOTO_KEYS], true);
        assert!(!form(Channel::X, "acme").prepare().unwrap().1.contains_key(PHOTO_KEYS));
        let mentions = NewAccount { public: true, photo_keys: Some(keys.clone()), ..form(Channel::X, "acme") };
        assert!(mentions.prepare().unwrap_err().contains("direct messages only"));
        assert!(NewAccount { photo_keys: Some(keys.clone()), ..form(Channel::Telegram, "bot") }.prepare().unwrap_err().contains("direct messages only"));
        let partial = OAuth1Keys { access_token_secret: String::new(), ..keys };
        assert!(NewAccount { photo_keys: Some(partial), ..form(Channel::X, "acme") }.prepare().unwrap_err().contains("all four"));
    }
}
