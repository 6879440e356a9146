//! From the sync's events to the UI's: new messages described for notifications, new
//! conversations acknowledged where the account sets expectations, and the unread total.

use crate::context::Context;
use crate::events::{CustomerMessage, Event};
use std::sync::Arc;
use switchboard_core::model::{preview, AuthorKind, Direction};
use switchboard_sync::SyncEvent;
use tokio::sync::broadcast;

/// Forwards the sync's events until they end.
pub(super) fn forward(cx: Arc<Context>, mut sync_events: broadcast::Receiver<SyncEvent>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        // The unread total is summed after each live message (a small batch), at most twice a
        // second while an initial sync streams in, and once it has caught up.
        let mut counted = std::time::Instant::now();
        loop {
            match sync_events.recv().await {
                Ok(event) => {
                    let recount = match &event {
                        SyncEvent::Stored { new_messages, .. } => !new_messages.is_empty() && (new_messages.len() < 50 || counted.elapsed().as_millis() >= 500),
                        SyncEvent::Progress { caught_up, .. } => *caught_up,
                        _ => false,
                    };
                    let me = cx.clone();
                    // Reading the new messages and writing acknowledgements wait on the store:
                    // off the async threads.
                    let done = tokio::task::spawn_blocking(move || {
                        if let SyncEvent::Stored { new_notes, .. } = &event {
                            mentioned(&me, new_notes);
                        }
                        let event = translate(&me, event);
                        if let Event::Messages { from_customers, .. } = &event {
                            acknowledge(&me, from_customers.iter().map(|m| m.conversation).collect());
                        }
                        me.emit(event);
                        if recount {
                            announce_unread(&me);
                        }
                    })
                    .await;
                    if done.is_err() {
                        tracing::warn!("an event could not be forwarded");
                    }
                    if recount {
                        counted = std::time::Instant::now();
                    }
                }
                Err(broadcast::error::RecvError::Lagged(n)) => tracing::warn!(missed = n, "events fell behind"),
                Err(broadcast::error::RecvError::Closed) => break,
            }
        }
    })
}

/// Tells of each new note that mentions this desk's person (team mode).
fn mentioned(cx: &Context, notes: &[i64]) {
    if notes.is_empty() {
        return;
    }
    match cx.read(|s| s.mentions_of_me(notes)) {
        Ok(mentions) => {
            for note in mentions {
                cx.emit(Event::Mentioned { conversation: note.conversation_id, by: note.author.unwrap_or_default(), preview: preview(&note.text) });
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not read the team's new notes"),
    }
}

fn announce_unread(cx: &Context) {
    if let Ok(total) = cx.read(|s| s.unread_total()) {
        cx.emit(Event::Unread { total });
    }
}

/// A sync event as the UI hears it; new customer messages are described for notifications.
fn translate(cx: &Context, event: SyncEvent) -> Event {
    match event {
        SyncEvent::Stored { conversations, new_messages, .. } => {
            let from_customers = if new_messages.is_empty() {
                vec![]
            } else {
                cx.read(|s| s.messages_by_id(&new_messages))
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|m| m.direction == Direction::In && m.author_kind == AuthorKind::Customer)
                    .map(|m| CustomerMessage {
                        conversation: m.conversation_id,
                        channel: m.channel,
                        sender: m.author_name.clone().unwrap_or_else(|| m.channel.to_string()),
                        preview: preview(&m.text),
                        at: m.at,
                    })
                    .collect()
            };
            Event::Messages { conversations, from_customers }
        }
        SyncEvent::AccountState { account, state, detail } => Event::AccountState { account, state, detail },
        SyncEvent::ReplySent { reply, conversation, .. } => Event::Reply { reply, conversation, sent: true, reason: None },
        SyncEvent::ReplyFailed { reply, conversation, reason, .. } => Event::Reply { reply, conversation, sent: false, reason: Some(reason) },
        SyncEvent::Progress { account, pulled, caught_up } => Event::Progress { account, pulled: pulled as u64, caught_up },
    }
}

/// Acknowledges new conversations whose account sets expectations (see `Store::acknowledge`);
/// the sender goes at once.
fn acknowledge(cx: &Context, conversations: Vec<i64>) {
    if conversations.is_empty() {
        return;
    }
    let now = jiff::Timestamp::now();
    let queued = cx.write(move |s| {
        let mut queued = Vec::new();
        for id in conversations {
            match s.acknowledge(id, now) {
                Ok(Some(_)) => queued.push(id),
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "acknowledgement not queued"),
            }
        }
        Ok(queued)
    });
    match queued {
        Ok(queued) if !queued.is_empty() => {
            cx.wake_sender();
            cx.emit(Event::Messages { conversations: queued, from_customers: vec![] });
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e.message, "acknowledgements not queued"),
    }
}
