//! OAuth 1.0a as X checks it (RFC 5849, HMAC-SHA1): the `Authorization` header's parameters and
//! the request's own make the signature base string, which the consumer and token secrets sign.
//! Written from the RFC, apart from the client's library, so the sandbox catches a client that
//! signs the wrong string.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use std::collections::{BTreeMap, HashSet};
use std::sync::Mutex;

/// RFC 5849 3.6: everything but the unreserved characters is encoded.
const RESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// How far a request's timestamp may be from the server's clock, in seconds.
const SKEW: i64 = 300;

fn encode(s: &str) -> String {
    utf8_percent_encode(s, RESERVED).to_string()
}

/// The signature of a request: `method`, `url` (scheme, host and path, no query) and every
/// parameter (query, form body and `oauth_*` but `oauth_signature`), already decoded.
pub(crate) fn signature(method: &str, url: &str, params: &[(String, String)], consumer_secret: &str, token_secret: &str) -> String {
    let mut encoded: Vec<(String, String)> = params.iter().map(|(k, v)| (encode(k), encode(v))).collect();
    encoded.sort();
    let normalized = encoded.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
    let base = format!("{}&{}&{}", method.to_ascii_uppercase(), encode(url), encode(&normalized));
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(format!("{}&{}", encode(consumer_secret), encode(token_secret)).as_bytes()).expect("HMAC takes any key");
    mac.update(base.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The parameters of an `Authorization: OAuth k="v", …` header, decoded.
fn header_params(header: &str) -> Option<BTreeMap<String, String>> {
    let rest = header.strip_prefix("OAuth ")?;
    let mut params = BTreeMap::new();
    for part in rest.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=')?;
        let v = v.strip_prefix('"')?.strip_suffix('"')?;
        let decode = |s: &str| percent_decode_str(s).decode_utf8().ok().map(|c| c.into_owned());
        params.insert(decode(k)?, decode(v)?);
    }
    Some(params)
}

/// The keys the sandbox's X app and account hold.
pub(crate) struct Keys<'a> {
    pub consumer_key: &'a str,
    pub consumer_secret: &'a str,
    pub token: &'a str,
    pub token_secret: &'a str,
}

/// Nonces already seen: X refuses a request replayed with the same nonce.
#[derive(Default)]
pub(crate) struct Nonces(Mutex<HashSet<String>>);

/// Why X refuses a request, with its v1.1 error code and words.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Refusal {
    NotAuthenticated,
    InvalidToken,
    StaleTimestamp,
}

impl Refusal {
    pub fn code(self) -> u16 {
        match self {
            Refusal::NotAuthenticated => 32,
            Refusal::InvalidToken => 89,
            Refusal::StaleTimestamp => 135,
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Refusal::NotAuthenticated => "Could not authenticate you.",
            Refusal::InvalidToken => "Invalid or expired token.",
            Refusal::StaleTimestamp => "Timestamp out of bounds.",
        }
    }
}

/// Whether a GET of `url` with `query` and `authorization` is signed with `keys`, fresh and not
/// replayed; or why X would refuse it.
pub(crate) fn verify(url: &str, query: &[(String, String)], authorization: Option<&str>, keys: &Keys, now: i64, nonces: &Nonces) -> Result<(), Refusal> {
    use Refusal::*;
    let mut oauth = authorization.and_then(header_params).ok_or(NotAuthenticated)?;
    let given = oauth.remove("oauth_signature").ok_or(NotAuthenticated)?;
    let field = |k: &str| oauth.get(k).map(String::as_str);
    if field("oauth_signature_method") != Some("HMAC-SHA1") || field("oauth_version").is_some_and(|v| v != "1.0") {
        return Err(NotAuthenticated);
    }
    if field("oauth_consumer_key") != Some(keys.consumer_key) || field("oauth_token") != Some(keys.token) {
        return Err(InvalidToken);
    }
    let stamp = field("oauth_timestamp").and_then(|t| t.parse::<i64>().ok()).ok_or(NotAuthenticated)?;
    if (stamp - now).abs() > SKEW {
        return Err(StaleTimestamp);
    }
    let nonce = field("oauth_nonce").filter(|n| !n.is_empty()).ok_or(NotAuthenticated)?.to_owned();
    let params: Vec<(String, String)> = query.iter().cloned().chain(oauth).collect();
    if signature("GET", url, &params, keys.consumer_secret, keys.token_secret) != given {
        return Err(NotAuthenticated);
    }
    if !nonces.0.lock().expect("nonces").insert(format!("{stamp} {nonce}")) {
        return Err(NotAuthenticated);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// X's own worked example of signing a request ("Creating a signature", developer docs).
    #[test]
    fn signs_xs_documented_example() {
        let params: Vec<(String, String)> = [
            ("status", "Hello Ladies + Gentlemen, a signed OAuth request!"),
            ("include_entities", "true"),
            ("oauth_consumer_key", "xvz1evFS4wEEPTGEFPHBog"),
            ("oauth_nonce", "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg"),
            ("oauth_signature_method", "HMAC-SHA1"),
            ("oauth_timestamp", "1318622958"),
            ("oauth_token", "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb"),
            ("oauth_version", "1.0"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let signed = signature("post", "https://api.twitter.com/1.1/statuses/update.json", &params, "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw", "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE");
        assert_eq!(signed, "hCtSmYh+iHYCEqBWrE7C7hYmtUk=");
    }

    fn header(url: &str, nonce: &str, stamp: i64, consumer_secret: &str) -> String {
        let oauth = [
            ("oauth_consumer_key", "ck"),
            ("oauth_nonce", nonce),
            ("oauth_signature_method", "HMAC-SHA1"),
            ("oauth_timestamp", &stamp.to_string()),
            ("oauth_token", "1-at"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()));
        let signed = signature("GET", url, &oauth, consumer_secret, "ts");
        let fields: Vec<String> = oauth.iter().map(|(k, v)| format!("{k}=\"{}\"", encode(v))).collect();
        format!("OAuth {}, oauth_signature=\"{}\"", fields.join(", "), encode(&signed))
    }

    #[test]
    fn only_a_fresh_request_signed_with_the_keys_passes_once() {
        let keys = Keys { consumer_key: "ck", consumer_secret: "cs", token: "1-at", token_secret: "ts" };
        let url = "http://127.0.0.1:8080/1.1/ton/data/dm/1/2/a.jpg";
        let nonces = Nonces::default();
        let now = 1_790_000_000;
        let good = header(url, "n1", now, "cs");
        assert_eq!(verify(url, &[], Some(&good), &keys, now, &nonces), Ok(()));
        assert!(verify(url, &[], Some(&good), &keys, now, &nonces).is_err(), "a replay is refused");
        assert!(verify(url, &[], Some(&header(url, "n2", now, "wrong")), &keys, now, &nonces).is_err());
        assert!(verify(&format!("{url}x"), &[], Some(&header(url, "n3", now, "cs")), &keys, now, &nonces).is_err(), "signed for another URL");
        assert_eq!(verify(url, &[], Some(&header(url, "n4", now - 3_600, "cs")), &keys, now, &nonces).map_err(Refusal::message), Err("Timestamp out of bounds."));
        assert!(verify(url, &[], Some("Bearer sandbox-x-user-token"), &keys, now, &nonces).is_err());
        assert!(verify(url, &[], None, &keys, now, &nonces).is_err());
    }
}
