//! The hub's outbox: the replies agents hand to the hub, sent by the hub that holds the
//! account's lease, with the desk's own sending code (`switchboard_sync::outbox`). Each step is a
//! `reply` record of the log, so every desk sees where its reply is, and the replica (whose
//! outbox the log fills) is what the sender reads. `sending` is appended, fenced by the lease,
//! before the platform is called: a hub that takes the account over after a crash finds exactly
//! the replies whose fate is unknown in flight, and looks them up before sending anything again.

use crate::engine::{Append, Engine, Fence, NewEntry, Seq};
use crate::error::Error;
use crate::replica::Replica;
use crate::accounts::Now;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use switchboard_core::interchange::{Record, ReplyRecord};
use switchboard_core::model::{OutboxItem, OutboxState};
use switchboard_sync::outbox::Ledger;

/// Records a reply's steps in the log, then waits for the replica to hold them (so that the next
/// look at the outbox sees them).
pub(crate) struct HubLedger<'a> {
    pub engine: &'a Arc<dyn Engine>,
    pub replica: &'a Replica,
    pub lease: &'a str,
    pub holder: &'a str,
    pub now: &'a Now,
    /// Set once an append finds the lease gone: this hub must stop sending for the account.
    pub lost: AtomicBool,
}

fn failed(e: Error) -> switchboard_sync::Error {
    switchboard_sync::Error::Transient(e.to_string())
}

impl HubLedger<'_> {
    async fn record(&self, item: &OutboxItem, state: OutboxState, step: Step) -> Result<OutboxItem, switchboard_sync::Error> {
        let conversation = item.conversation_id;
        let (account, external) = self.replica.db().read(move |s| s.conversation_names(conversation))?;
        let now = (self.now)();
        let record = ReplyRecord {
            key: item.idempotency_key.clone(),
            account,
            conversation: external,
            text: item.text.clone(),
            author: None,
            template: item.template.clone(),
            kind: item.kind,
            target: item.target.clone(),
            state,
            attempts: item.attempts + i64::from(state == OutboxState::Sending),
            external_id: step.external_id,
            error: step.error,
            at: now,
            retry_at: step.retry_at,
        };
        let entry = NewEntry::new(serde_json::to_string(&Record::Reply(record)).expect("records serialise"));
        // Only the lease's holder may hand a reply over; what became of one is recorded whoever
        // learns it.
        let fence = (state == OutboxState::Sending).then(|| Fence { lease: self.lease.to_owned(), holder: self.holder.to_owned(), now });
        let seq: Seq = match self.engine.append(Append { entries: vec![entry], at: now, cursor: None, fence }).await {
            Ok(seqs) => seqs[0],
            Err(e @ Error::LeaseLost(_)) => {
                self.lost.store(true, Ordering::SeqCst);
                return Err(failed(e));
            }
            Err(e) => return Err(failed(e)),
        };
        self.replica.caught_up_to(seq).await.map_err(failed)?;
        let key = item.idempotency_key.clone();
        self.replica
            .db()
            .read(move |s| s.reply_by_key(&key))?
            .ok_or_else(|| switchboard_sync::Error::Transient("the replica lost a reply the log holds".into()))
    }
}

#[derive(Default)]
struct Step {
    external_id: Option<String>,
    error: Option<String>,
    retry_at: Option<jiff::Timestamp>,
}

impl Ledger for HubLedger<'_> {
    async fn begin_send(&self, item: &OutboxItem) -> Result<OutboxItem, switchboard_sync::Error> {
        self.record(item, OutboxState::Sending, Step::default()).await
    }

    async fn mark_sent(&self, item: &OutboxItem, external_id: String) -> Result<(), switchboard_sync::Error> {
        self.record(item, OutboxState::Sent, Step { external_id: Some(external_id), ..Step::default() }).await.map(drop)
    }

    async fn retry_later(&self, item: &OutboxItem, why: String, at: jiff::Timestamp) -> Result<(), switchboard_sync::Error> {
        self.record(item, OutboxState::Queued, Step { error: Some(why), retry_at: Some(at), ..Step::default() }).await.map(drop)
    }

    async fn mark_failed(&self, item: &OutboxItem, why: String) -> Result<(), switchboard_sync::Error> {
        self.record(item, OutboxState::Failed, Step { error: Some(why), ..Step::default() }).await.map(drop)
    }
}
