//! An X account's OAuth 1.0a user keys, which the agent may add to see DM photos in the app: X's
//! `ton.twitter.com` serves a DM's media only to a signed-in X session or to a request signed with
//! OAuth 1.0a (the connector's OAuth 2.0 token is not accepted there). The four keys are kept
//! together in one keychain entry of their own, beside the account's token.

use crate::Error;
use reqwest::Url;
use serde::{Deserialize, Serialize};
use switchboard_core::sensitive::Sensitive;

/// The keys from the X app's "Keys and tokens" page: the app's API key and secret, and the
/// business account's access token and secret (read permission is enough).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OAuth1Keys {
    pub consumer_key: String,
    pub consumer_secret: String,
    pub access_token: String,
    pub access_token_secret: String,
}

impl std::fmt::Debug for OAuth1Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OAuth1Keys([redacted])")
    }
}

impl OAuth1Keys {
    /// The keychain entry of `account`'s keys; `#` is never part of an account's key.
    pub fn credential_key(account: &str) -> String {
        format!("{account}#oauth1")
    }

    /// The keys trimmed (they are often pasted with a space or a line break), or what is wrong.
    pub fn checked(&self) -> Result<OAuth1Keys, String> {
        let keys = OAuth1Keys {
            consumer_key: self.consumer_key.trim().to_owned(),
            consumer_secret: self.consumer_secret.trim().to_owned(),
            access_token: self.access_token.trim().to_owned(),
            access_token_secret: self.access_token_secret.trim().to_owned(),
        };
        let parts = [&keys.consumer_key, &keys.consumer_secret, &keys.access_token, &keys.access_token_secret];
        if parts.iter().any(|p| p.is_empty()) {
            return Err("X's photo access needs all four keys: API key, API key secret, access token and access token secret".into());
        }
        if parts.iter().any(|p| p.len() > 200 || !p.chars().all(|c| c.is_ascii_graphic())) {
            return Err("X's keys are letters, digits and punctuation without spaces; check what was pasted".into());
        }
        Ok(keys)
    }

    /// The keychain entry's text.
    pub fn to_secret(&self) -> Sensitive<String> {
        Sensitive::new(serde_json::to_string(self).expect("strings serialize"))
    }

    pub fn from_secret(secret: &Sensitive<String>) -> Result<OAuth1Keys, Error> {
        serde_json::from_str(secret.expose()).map_err(|_| Error::Malformed("the X photo keys in the keychain are unreadable; add them again".into()))
    }

    /// The `Authorization` header of a GET of `url`, signed with HMAC-SHA1 (the method X takes).
    /// The signature covers the URL's query too, as RFC 5849 says.
    pub(crate) fn authorization(&self, url: &Url) -> String {
        let token = oauth1_request::Token::from_parts(&self.consumer_key, &self.consumer_secret, &self.access_token, &self.access_token_secret);
        let query: Vec<(String, String)> = url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        let base = format!("{}{}", url.origin().ascii_serialization(), url.path());
        oauth1_request::get(base, &oauth1_request::ParameterList::new(query), &token, oauth1_request::HMAC_SHA1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> OAuth1Keys {
        OAuth1Keys {
            consumer_key: " ck\n".into(),
            consumer_secret: "consumer-secret".into(),
            access_token: "1-at".into(),
            access_token_secret: "token-secret".into(),
        }
    }

    #[test]
    fn keys_are_checked_kept_whole_and_never_printed() {
        let checked = keys().checked().unwrap();
        assert_eq!(checked.consumer_key, "ck");
        assert_eq!(OAuth1Keys::from_secret(&checked.to_secret()).unwrap(), checked);
        assert!(OAuth1Keys { access_token_secret: " ".into(), ..keys() }.checked().unwrap_err().contains("all four"));
        assert!(OAuth1Keys { consumer_secret: "two words".into(), ..keys() }.checked().unwrap_err().contains("without spaces"));
        assert!(!format!("{checked:?}").contains("token-secret"));
        assert!(OAuth1Keys::from_secret(&Sensitive::new("not json".into())).is_err());
    }

    #[test]
    fn a_signed_get_names_the_consumer_and_token_and_carries_a_signature() {
        let url = Url::parse("https://TON.twitter.com:443/1.1/ton/data/dm/1/2/a.jpg?size=large").unwrap();
        let header = keys().checked().unwrap().authorization(&url);
        assert!(header.starts_with("OAuth "), "{header}");
        for part in ["oauth_consumer_key=\"ck\"", "oauth_token=\"1-at\"", "oauth_signature_method=\"HMAC-SHA1\"", "oauth_signature=\"", "oauth_nonce=\""] {
            assert!(header.contains(part), "{part} in {header}");
        }
        // Secrets sign; they are never sent.
        assert!(!header.contains("consumer-secret") && !header.contains("token-secret"), "{header}");
    }
}
