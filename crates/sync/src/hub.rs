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
    /// The log pushed over a WebSocket while following, and the record it stands after.
    live: tokio::sync::Mutex<Option<(Socket, i64)>>,
    /// After the WebSocket failed: long-polls until then.
    no_socket_until: std::sync::Mutex<Option<std::time::Instant>>,
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// How long a desk long-polls after its WebSocket failed before it tries one again.
const SOCKET_RETRY: Duration = Duration::from_secs(60);

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
        Ok(Hub { account: account.key.clone(), api: api(url)?, token, http, live: Default::default(), no_socket_until: Default::default() })
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

    /// Sets the team's auto-assignment (a supervisor's call).
    pub async fn set_auto_assignment(&self, setting: &switchboard_core::interchange::AutoAssignmentRecord) -> Result<(), Error> {
        let response = self.http.put(format!("{}/auto-assignment", self.api)).bearer_auth(self.token.expose()).json(setting).send().await?;
        if !response.status().is_success() {
            return Err(refusal(response).await);
        }
        Ok(())
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
    /// for one when there are none yet: pushed over a WebSocket while following, else (and when
    /// the socket fails) long-polled.
    pub(crate) async fn pull(&self, cursor: Option<&str>, wait: Duration) -> Result<Pulled, Error> {
        let after: i64 = match cursor {
            None => 0,
            Some(c) => c.parse().map_err(|_| Error::Config { account: self.account.clone(), problem: "its cursor is not a record's number".into() })?,
        };
        let socket_allowed = self.no_socket_until.lock().unwrap_or_else(|p| p.into_inner()).is_none_or(|until| std::time::Instant::now() >= until);
        if !wait.is_zero() && socket_allowed {
            match self.pushed(after, wait).await {
                Ok(Some(page)) => return self.read_page(page, after),
                Ok(None) => return Ok(Pulled { records: Vec::new(), cursor: after.to_string(), caught_up: true, skipped: 0 }),
                Err(e) => {
                    tracing::info!(account = %self.account, error = %e, "the hub's WebSocket failed; long-polling for a while");
                    *self.live.lock().await = None;
                    *self.no_socket_until.lock().unwrap_or_else(|p| p.into_inner()) = Some(std::time::Instant::now() + SOCKET_RETRY);
                }
            }
        }
        let page = self.polled(after, wait).await?;
        self.read_page(page, after)
    }

    /// The next page pushed after `after` within `wait` (none: nothing came), on the socket,
    /// opened (again) where it does not stand after `after`.
    async fn pushed(&self, after: i64, wait: Duration) -> Result<Option<LogPage>, Error> {
        use futures_util::StreamExt;
        use tokio_tungstenite::tungstenite::{client::IntoClientRequest, Message};
        let mut live = self.live.lock().await;
        if live.as_ref().is_none_or(|(_, at)| *at != after) {
            let url = format!("{}/log/live?after={after}", self.api.replacen("http", "ws", 1));
            let mut request = url.into_client_request().map_err(|e| Error::Transient(e.to_string()))?;
            let bearer = format!("Bearer {}", self.token.expose());
            request.headers_mut().insert("authorization", bearer.parse().map_err(|_| Error::Config { account: self.account.clone(), problem: "its token does not fit in a header".into() })?);
            let (socket, _) = tokio::time::timeout(Duration::from_secs(10), tokio_tungstenite::connect_async(request))
                .await
                .map_err(|_| Error::Transient("the hub did not open its WebSocket in time".into()))?
                .map_err(|e| match e {
                    tokio_tungstenite::tungstenite::Error::Http(r) if r.status() == 401 => Error::Auth("the hub refused this desk's token".into()),
                    other => Error::Transient(other.to_string()),
                })?;
            *live = Some((socket, after));
        }
        let (socket, at) = live.as_mut().expect("opened above");
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let message = match tokio::time::timeout_at(deadline, socket.next()).await {
                Err(_) => return Ok(None),
                Ok(None) => return Err(Error::Transient("the hub closed its WebSocket".into())),
                Ok(Some(Err(e))) => return Err(Error::Transient(e.to_string())),
                Ok(Some(Ok(message))) => message,
            };
            match message {
                Message::Text(text) => {
                    let mut page: LogPage = crate::wire::parse(reqwest::StatusCode::OK, text.as_bytes())?;
                    // Pages pushed while this desk was storing the last ones are taken together,
                    // as one long-poll would: fewer, larger writes when the log runs ahead.
                    while page.entries.len() < LOG_PAGE_LIMIT {
                        use futures_util::FutureExt;
                        let Some(Some(Ok(Message::Text(more)))) = socket.next().now_or_never() else { break };
                        let more: LogPage = crate::wire::parse(reqwest::StatusCode::OK, more.as_bytes())?;
                        page.entries.extend(more.entries);
                        page.head = page.head.max(more.head);
                    }
                    if let Some(last) = page.entries.last() {
                        *at = last.seq;
                    }
                    return Ok(Some(page));
                }
                Message::Close(frame) => return Err(Error::Transient(frame.map_or_else(|| "the hub closed its WebSocket".to_owned(), |f| f.reason.to_string()))),
                // Pings are answered by the library; nothing else is sent on this socket.
                _ => {}
            }
        }
    }

    /// A page of the log after `after`, long-polled for up to `wait`.
    async fn polled(&self, after: i64, wait: Duration) -> Result<LogPage, Error> {
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
        crate::wire::parse(status, &body)
    }

    /// A page's records, each checked to follow the one before.
    fn read_page(&self, page: LogPage, after: i64) -> Result<Pulled, Error> {
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
