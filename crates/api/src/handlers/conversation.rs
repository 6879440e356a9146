//! What an agent does to a conversation: its status, priority, tags, who has it.

use crate::context::Context;
use crate::error::Result;
use serde::{Deserialize, Serialize};
use switchboard_core::interchange::CannedAction;
use switchboard_core::model::{ConversationStatus, Priority};
use switchboard_core::Store;
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SetStatusRequest {
    #[ts(type = "number")]
    pub conversation: i64,
    pub status: ConversationStatus,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SetPriorityRequest {
    #[ts(type = "number")]
    pub conversation: i64,
    pub priority: Priority,
}

/// The conversation's tags become exactly these.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SetTagsRequest {
    #[ts(type = "number")]
    pub conversation: i64,
    pub tags: Vec<String>,
}

/// `me` assigns it to this agent; otherwise it is left unassigned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct AssignRequest {
    #[ts(type = "number")]
    pub conversation: i64,
    pub me: bool,
}

/// Runs `f` on the writer and says the conversation changed.
fn change(cx: &Context, conversation: i64, f: impl FnOnce(&mut Store) -> switchboard_core::Result<()> + Send + 'static) -> Result<()> {
    cx.write(f)?;
    cx.changed(vec![conversation]);
    // In a team the change is queued for the hub: it goes now.
    cx.wake_sender();
    Ok(())
}

pub(crate) fn set_status(cx: &Context, r: SetStatusRequest) -> Result<()> {
    change(cx, r.conversation, move |s| s.set_status(r.conversation, r.status))
}

pub(crate) fn set_priority(cx: &Context, r: SetPriorityRequest) -> Result<()> {
    change(cx, r.conversation, move |s| s.set_priority(r.conversation, r.priority))
}

pub(crate) fn set_tags(cx: &Context, r: SetTagsRequest) -> Result<()> {
    change(cx, r.conversation, move |s| s.set_conversation_tags(r.conversation, &r.tags))
}

pub(crate) fn assign(cx: &Context, r: AssignRequest) -> Result<()> {
    let agent = cx.me();
    change(cx, r.conversation, move |s| s.assign(r.conversation, r.me.then_some(agent.as_str())))
}

/// Applies a canned reply's actions to the conversation its reply went to.
pub(crate) fn apply_actions(s: &mut Store, conversation: i64, actions: &[CannedAction]) -> switchboard_core::Result<()> {
    for action in actions {
        match action {
            CannedAction::SetStatus(status) => s.set_status(conversation, *status)?,
            CannedAction::SetPriority(priority) => s.set_priority(conversation, *priority)?,
            CannedAction::AddTag(tag) => {
                let mut tags = s.thread(conversation, 1)?.tags;
                if !tags.contains(tag) {
                    tags.push(tag.clone());
                    s.set_conversation_tags(conversation, &tags)?;
                }
            }
        }
    }
    Ok(())
}
