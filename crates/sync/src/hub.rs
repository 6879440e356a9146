//! The team's hub as a desk follows it (team mode): joining with an enrolment code, then pulling
//! the hub's log after the last record stored, long-polled. The log's records are interchange
//! records and go through the same writer as any connector's; the cursor is the last record's
//! number. What the agent does (replies among it) goes to the hub as actions, each with its key.

use crate::error::Error;
use crate::wire::{readable, Pulled};
use std::time::Duration;
use switchboard_core::interchange::Record;
use switchboard_core::model::AccountView;
use switchboard_core::sensitive::Sensitive;
use switchboard_core::team::{ActionOutcome, ActionRequest, EnrolRequest, Enrolled, LogPage, PresenceEntry, PresenceUpdate, Problem, LOG_PAGE_LIMIT, PROTOCOL};

pub struct Hub {
    account: String,
    /// The hub's API, `…/api/v1`.
    api: String,
    token: Sensitive<String>,
    http: reqwest::Client,
}

/// The hub's API under its address as the person typed it (`https://hub.example:7272`).
fn api(url: &str) -> Result<String, Error> {
    let url = url.trim().trim_end_matches('/');
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(Error::Refused(format!("a hub's address starts with https:// (got {url:?})")));
    }
    Ok(format!("{url}/api/v1"))
}

/// What a hub's refusal says, or its status.
async fn refusal(response: reqwest::Response) -> Error {
    let status = response.status();
    let message = response.json::<Problem>().await.map(|p| p.message).unwrap_or_else(|_| status.to_string());
    match status.as_u16() {
        401 => Error::Auth(message),
        code if code >= 500 => Error::Transient(message),
        _ => Error::Refused(message),
    }
}

/// Trades a supervisor's one-time code for this desk's token.
pub async fn enrol(url: &str, code: &str) -> Result<Enrolled, Error> {
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| Error::Transient(e.to_string()))?;
    let response = http.post(format!("{}/enrol", api(url)?)).json(&EnrolRequest { code: code.trim().to_owned() }).send().await?;
    if !response.status().is_success() {
        return Err(refusal(response).await);
    }
    let status = response.status();
    let body = response.bytes().await?;
    let enrolled: Enrolled = crate::wire::parse(status, &body)?;
    if enrolled.protocol != PROTOCOL {
        return Err(Error::Refused(format!("the hub speaks protocol {}, this desk {PROTOCOL}: update the older of the two", enrolled.protocol)));
    }
    Ok(enrolled)
}

impl Hub {
    pub(crate) fn new(account: &AccountView, token: Sensitive<String>, http: reqwest::Client) -> Result<Hub, Error> {
        let url = crate::wire::setting(account, "url")?;
        Ok(Hub { account: account.key.clone(), api: api(url)?, token, http })
    }

    /// The hub of a desk's team account, for the app's own calls (presence), on one client shared
    /// by them all.
    pub fn for_account(account: &AccountView, token: Sensitive<String>) -> Result<Hub, Error> {
        static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
        let http = CLIENT.get_or_init(|| reqwest::Client::builder().connect_timeout(Duration::from_secs(5)).timeout(Duration::from_secs(10)).build().unwrap_or_default());
        Hub::new(account, token, http.clone())
    }

    /// Says where this desk's person is.
    pub async fn say_presence(&self, update: &PresenceUpdate) -> Result<(), Error> {
        let response = self.http.post(format!("{}/presence", self.api)).bearer_auth(self.token.expose()).json(update).send().await?;
        if !response.status().is_success() {
            return Err(refusal(response).await);
        }
        Ok(())
    }

    /// The `index`th attachment of a message, as an image the platform hosts, fetched by the hub
    /// with the account's secrets: its type and bytes.
    pub async fn media(&self, account: &str, message: &str, index: usize) -> Result<(String, Vec<u8>), Error> {
        let response = self
            .http
            .get(format!("{}/media", self.api))
            .query(&[("account", account), ("message", message), ("index", &index.to_string())])
            .bearer_auth(self.token.expose())
            .timeout(Duration::from_secs(60))
            .send()
            .await?;
        if !response.status().is_success() {
            return Err(refusal(response).await);
        }
        let mime = response.headers().get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("application/octet-stream").to_owned();
        Ok((mime, response.bytes().await?.to_vec()))
    }

    /// Where everyone on the team is.
    pub async fn presence(&self) -> Result<Vec<PresenceEntry>, Error> {
        let response = self.http.get(format!("{}/presence", self.api)).bearer_auth(self.token.expose()).send().await?;
        if !response.status().is_success() {
            return Err(refusal(response).await);
        }
        let status = response.status();
        let body = response.bytes().await?;
        crate::wire::parse(status, &body)
    }

    /// Sends an action; the same key again is the same action, so a request whose answer was
    /// lost is simply sent again.
    pub(crate) async fn act(&self, action: &ActionRequest) -> Result<ActionOutcome, Error> {
        let response = self.http.post(format!("{}/actions", self.api)).bearer_auth(self.token.expose()).json(action).timeout(Duration::from_secs(30)).send().await?;
        if !response.status().is_success() {
            return Err(refusal(response).await);
        }
        let status = response.status();
        let body = response.bytes().await?;
        crate::wire::parse(status, &body)
    }

    /// The records after `cursor` (a record's number; none: from the first), waiting up to `wait`
    /// for one when there are none yet.
    pub(crate) async fn pull(&self, cursor: Option<&str>, wait: Duration) -> Result<Pulled, Error> {
        let after: i64 = match cursor {
            None => 0,
            Some(c) => c.parse().map_err(|_| Error::Config { account: self.account.clone(), problem: "its cursor is not a record's number".into() })?,
        };
        let response = self
            .http
            .get(format!("{}/log", self.api))
            .query(&[("after", after.to_string()), ("limit", LOG_PAGE_LIMIT.to_string()), ("wait", wait.as_secs().to_string())])
            .bearer_auth(self.token.expose())
            // A long-poll holds the request; past this, the hub is gone.
            .timeout(wait + Duration::from_secs(30))
            .send()
            .await?;
        if !response.status().is_success() {
            return Err(refusal(response).await);
        }
        let status = response.status();
        let body = response.bytes().await?;
        let page: LogPage = crate::wire::parse(status, &body)?;
        let mut last = after;
        let mut skipped = 0;
        let mut records = Vec::with_capacity(page.entries.len());
        for entry in page.entries {
            if entry.seq <= last {
                return Err(Error::Malformed(format!("the hub sent record {} after {last}", entry.seq)));
            }
            last = entry.seq;
            if let Some(record) = readable::<Record>(entry.record, &self.account, "record of the hub's log", &mut skipped) {
                records.push(record);
            }
        }
        Ok(Pulled { records, cursor: last.to_string(), caught_up: last >= page.head, skipped })
    }
}
