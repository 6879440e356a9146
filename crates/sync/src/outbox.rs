//! Sending an account's due replies, and settling those whose send was interrupted. The same
//! steps run on a desk, which records them in its own store, and on a team's hub, which records
//! them in the team's log (its replica's outbox follows the log): the `Ledger` says where.
//!
//! A reply is recorded as `sending` before the platform is called, so after a crash exactly the
//! replies whose fate is unknown are in flight: they are looked up on the platform where it can
//! tell, and never sent again blindly.

use crate::connector::{Connector, Outgoing};
use crate::error::Error;
use rand::Rng;
use std::future::Future;
use std::time::Duration;
use switchboard_core::model::{Channel, OutboxItem, OutboxKind};
use switchboard_core::{Db, Store};

/// How many replies a round sent, and how many it gave up on.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Tally {
    pub sent: usize,
    pub failed: usize,
}

/// Where the steps of a reply are recorded.
pub trait Ledger: Send + Sync {
    /// Before the platform is called: the reply as now recorded (`sending`, one more attempt).
    fn begin_send(&self, item: &OutboxItem) -> impl Future<Output = Result<OutboxItem, Error>> + Send;
    fn mark_sent(&self, item: &OutboxItem, external_id: String) -> impl Future<Output = Result<(), Error>> + Send;
    fn retry_later(&self, item: &OutboxItem, why: String, at: jiff::Timestamp) -> impl Future<Output = Result<(), Error>> + Send;
    fn mark_failed(&self, item: &OutboxItem, why: String) -> impl Future<Output = Result<(), Error>> + Send;
}

/// How long to wait after the `failures`-th passing failure in a row: doubling from `backoff` up
/// to a minute, with jitter, or as long as a rate limit asks.
pub fn pause(backoff: Duration, failures: u32, error: &Error) -> Duration {
    let jitter = rand::thread_rng().gen_range(0.5..1.0);
    match error {
        Error::RateLimited(wait) => *wait + backoff.mul_f64(jitter),
        _ => (backoff * 2u32.saturating_pow(failures.saturating_sub(1).min(16))).min(Duration::from_secs(60)).mul_f64(jitter),
    }
}

/// One account's replies, read from `db` (a desk's store or a hub's replica) and recorded in
/// `ledger`.
pub struct Sender<'a, L: Ledger> {
    pub db: &'a Db,
    pub ledger: &'a L,
    pub connector: &'a Connector,
    /// The account's id in `db`, and its channel.
    pub account: i64,
    pub channel: Channel,
    pub key: &'a str,
    pub backoff: Duration,
    /// How long after handing a reply over a platform may still be acting on it: only after this
    /// does "not found" mean "lost" for a reply whose send was interrupted.
    pub in_flight_grace: Duration,
    /// The time (a hub's is the one its tests control).
    pub now: &'a (dyn Fn() -> jiff::Timestamp + Send + Sync),
}

/// Runs `f` on a read connection of `db`, off the async threads.
pub(crate) async fn read<T: Send + 'static>(db: &Db, f: impl FnOnce(&Store) -> switchboard_core::Result<T> + Send + 'static) -> Result<T, Error> {
    let db = db.clone();
    tokio::task::spawn_blocking(move || db.read(f)).await.map_err(|e| Error::Transient(format!("a read of the store failed: {e}")))?.map_err(Error::from)
}

impl<L: Ledger> Sender<'_, L> {
    async fn read<T: Send + 'static>(&self, f: impl FnOnce(&Store) -> switchboard_core::Result<T> + Send + 'static) -> Result<T, Error> {
        read(self.db, f).await
    }

    async fn address(&self, item: &OutboxItem) -> Result<(i64, String), Error> {
        let conversation = item.conversation_id;
        self.read(move |s| s.conversation_address(conversation)).await
    }

    /// Replies handed over before a crash: confirmed through the platform where it can tell,
    /// otherwise marked failed for the agent to check, since resending could send twice.
    pub async fn settle_in_flight(&self, report: &mut Tally) -> Result<(), Error> {
        let in_flight = self.read(|s| s.in_flight_replies()).await?;
        for item in in_flight {
            let (owner, to) = self.address(&item).await?;
            if owner == self.account {
                self.settle_unknown(&item, &to, report).await?;
            }
        }
        Ok(())
    }

    async fn settle_unknown(&self, item: &OutboxItem, to: &str, report: &mut Tally) -> Result<(), Error> {
        // Hiding twice hides once: an interrupted hide is simply asked again.
        if item.kind == OutboxKind::Hide {
            return self.ledger.retry_later(item, "not confirmed; asking again".into(), (self.now)()).await;
        }
        // A template's text is the platform's to render: it cannot be looked for by its text.
        if self.connector.can_look_up() && item.template.is_none() {
            let found = match self.connector.find_sent(to, &item.text, item.next_attempt_at, item.target.as_deref()).await {
                Ok(found) => found,
                // The platform could not answer now: the reply stays in flight, asked about next round.
                Err(e) if e.is_transient() => {
                    tracing::info!(account = %self.key, reply = item.id, error = %e, "could not confirm a reply yet");
                    return Ok(());
                }
                Err(e) => return Err(e),
            };
            match found {
                Some(id) => {
                    self.ledger.mark_sent(item, id).await?;
                    report.sent += 1;
                }
                None => {
                    let age = (self.now)().duration_since(item.updated_at);
                    if age >= jiff::SignedDuration::try_from(self.in_flight_grace).unwrap_or_default() {
                        self.ledger.retry_later(item, "not delivered; sending again".into(), (self.now)()).await?;
                    }
                    // Else the platform may still be acting on it: asked again next round.
                }
            }
        } else {
            let reason = "the connection dropped after the reply was handed over; check the conversation before sending it again";
            self.fail(item, reason.into(), report).await?;
        }
        Ok(())
    }

    async fn fail(&self, item: &OutboxItem, reason: String, report: &mut Tally) -> Result<(), Error> {
        self.ledger.mark_failed(item, reason).await?;
        report.failed += 1;
        Ok(())
    }

    /// Sends the account's due replies, one per conversation at a time, until none is due or the
    /// platform struggles.
    pub async fn send_due(&self, report: &mut Tally) -> Result<(), Error> {
        loop {
            let (id, now) = (self.account, (self.now)());
            let due = self.read(move |s| s.due_replies_for(id, now, 50)).await?;
            if due.is_empty() {
                return Ok(());
            }
            for item in due {
                let (_, to) = self.address(&item).await?;
                // Checked again now: a reply queued offline may have outlived the channel's window.
                let (checked, now) = (item.clone(), (self.now)());
                let window = match self.read(move |s| s.check_item(&checked, now)).await {
                    Ok(window) => window,
                    Err(Error::Store(switchboard_core::Error::ReplyNotAllowed(reason))) => {
                        self.fail(&item, reason, report).await?;
                        continue;
                    }
                    Err(e) => return Err(e),
                };
                let email = match self.channel {
                    Channel::Email => {
                        let conversation = item.conversation_id;
                        match self.read(move |s| s.email_reply(conversation)).await {
                            Ok(reply) => Some(reply),
                            Err(e) => {
                                self.fail(&item, e.to_string(), report).await?;
                                continue;
                            }
                        }
                    }
                    _ => None,
                };
                // Recorded before the call: after a crash this reply is "in flight", never resent blindly.
                let item = self.ledger.begin_send(&item).await?;
                let out = Outgoing {
                    to: &to,
                    text: &item.text,
                    window,
                    template: item.template.as_ref(),
                    key: &item.idempotency_key,
                    email: email.as_ref(),
                    kind: item.kind,
                    target: item.target.as_deref(),
                };
                match self.connector.send(&out).await {
                    Ok(id) => {
                        self.ledger.mark_sent(&item, id).await?;
                        report.sent += 1;
                    }
                    // The platform may have acted on it: a dropped connection, or an answer cut short.
                    Err(Error::Uncertain(_) | Error::Malformed(_)) => self.settle_unknown(&item, &to, report).await?,
                    Err(e) if e.is_transient() => {
                        let at = (self.now)() + jiff::SignedDuration::try_from(pause(self.backoff, item.attempts as u32, &e)).unwrap_or_default();
                        self.ledger.retry_later(&item, e.to_string(), at).await?;
                        // The platform is struggling: the rest waits for the next round.
                        return Ok(());
                    }
                    Err(e @ Error::Auth(_)) => {
                        self.ledger.retry_later(&item, e.to_string(), (self.now)()).await?;
                        return Err(e);
                    }
                    Err(e) => self.fail(&item, e.to_string(), report).await?,
                }
            }
        }
    }
}
