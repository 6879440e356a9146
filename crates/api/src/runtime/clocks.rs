//! The watch on SLA clocks: every so often, the clocks that went past their target since the
//! last look are announced (`Event::Breach`).

use crate::context::Context;
use crate::events::Event;
use std::collections::HashSet;
use std::sync::Arc;
use switchboard_core::model::{ClockKind, ClockState};

/// Looks every `every` and announces each clock that breached since the last look. Returns once
/// the first look has learnt what is already breached (so nothing old is announced), with the
/// task that goes on looking until it is aborted.
pub(crate) async fn watch_clocks(cx: Arc<Context>, every: std::time::Duration) -> tokio::task::JoinHandle<()> {
    let mut known = breached_clocks(&cx).await;
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            let Some(breached) = breached_clocks(&cx).await else { continue };
            if let Some(before) = &known {
                let news: Vec<(i64, ClockKind)> = breached.difference(before).copied().collect();
                if !news.is_empty() {
                    let me = cx.clone();
                    let _ = tokio::task::spawn_blocking(move || {
                        for (conversation, kind) in news {
                            let assignee = me.read(|s| s.thread(conversation, 1)).ok().and_then(|t| t.conversation.assignee);
                            me.emit(Event::Breach { conversation, kind, assignee });
                        }
                    })
                    .await;
                }
            }
            known = Some(breached);
        }
    })
}

/// Every running clock past its target now; `None` while the store is not open.
async fn breached_clocks(cx: &Arc<Context>) -> Option<HashSet<(i64, ClockKind)>> {
    let me = cx.clone();
    let looked = tokio::task::spawn_blocking(move || {
        me.read(|s| {
            Ok(s.sla_open(jiff::Timestamp::now())?
                .into_iter()
                .flat_map(|v| {
                    let id = v.conversation;
                    v.clocks.into_iter().filter(|c| c.state == ClockState::Breached && c.breach_at.is_some()).map(move |c| (id, c.kind))
                })
                .collect())
        })
    })
    .await;
    looked.ok()?.ok()
}
