//! Auto-assignment (team mode): when a supervisor turns it on (`PUT /auto-assignment`), the hub
//! hands the conversation waiting longest to the online agent with the fewest open conversations,
//! up to the set capacity each, every `Settings::assign_every`. One hub does it at a time (the
//! `auto-assignment` lease); each hand-over is the same compare-and-set as an agent's, from
//! nobody, so it never takes a conversation someone claimed meanwhile.

use super::auth::{Caller, Supervisor};
use super::problem::{ApiError, Body};
use super::App;
use crate::engine::{Append, Claim, ConversationRef, NewEntry};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use std::time::Duration;
use switchboard_core::interchange::{AssignmentRecord, AutoAssignmentRecord, Record};
use switchboard_core::team::{ProblemCode, Role};

/// The most open conversations an agent can be set to be given.
pub const CAPACITY_LIMIT: u32 = 1_000;
/// Who the log says assigned a conversation automatically.
pub const AUTO: &str = "auto-assignment";
const LEASE: &str = "auto-assignment";

pub async fn get(State(app): State<App>, _: Caller) -> Result<Json<AutoAssignmentRecord>, ApiError> {
    let head = *app.engine.head().borrow();
    let _ = tokio::time::timeout(Duration::from_secs(5), app.replica.caught_up_to(head)).await;
    Ok(Json(app.replica.db().read(|s| s.auto_assignment()).map_err(crate::Error::from)?))
}

pub async fn set(State(app): State<App>, Supervisor(by): Supervisor, Body(wanted): Body<AutoAssignmentRecord>) -> Result<Json<AutoAssignmentRecord>, ApiError> {
    if wanted.enabled && !(1..=CAPACITY_LIMIT).contains(&wanted.capacity) {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, ProblemCode::Invalid, format!("an agent's capacity is 1 to {CAPACITY_LIMIT} open conversations")));
    }
    let record = AutoAssignmentRecord { by: Some(by.name.clone()), ..wanted };
    let body = Record::AutoAssignment(record.clone());
    let key = body.natural_key().expect("a setting has a key");
    let entry = NewEntry::new(serde_json::to_string(&body).expect("records serialise")).by(by.id).of_state(key);
    app.engine.append(Append::entries(vec![entry], (app.settings.now)())).await?;
    tracing::info!(by = %by.name, enabled = record.enabled, capacity = record.capacity, "auto-assignment set");
    Ok(Json(record))
}

/// Assigns, round after round, for as long as the hub serves.
pub(crate) async fn run(app: App) {
    let holder = format!("assigner-{}", &crate::people::new_token()[..12]);
    loop {
        tokio::time::sleep(app.settings.assign_every).await;
        if let Err(e) = round(&app, &holder).await {
            tracing::warn!(error = %e, "auto-assignment skipped a round");
        }
    }
}

async fn round(app: &App, holder: &str) -> crate::Result<()> {
    let setting = app.replica.db().read(|s| s.auto_assignment())?;
    if !setting.enabled || setting.capacity == 0 {
        return Ok(());
    }
    let now = (app.settings.now)();
    if !app.engine.take_lease(LEASE, holder, app.settings.assign_every * 5, now).await? {
        return Ok(());
    }
    let people = app.engine.people().await?;
    let online = app.presence.online(now);
    let mut agents: Vec<_> = people.into_iter().filter(|p| p.role == Role::Agent && online.contains(&p.id)).collect();
    if agents.is_empty() {
        return Ok(());
    }
    agents.sort_by(|a, b| a.name.cmp(&b.name));
    // What the replica says after everything appended so far (earlier rounds among it).
    let head = *app.engine.head().borrow();
    app.replica.caught_up_to(head).await?;
    let (mut load, waiting) = app.replica.db().read(|s| Ok((s.open_by_assignee()?, s.waiting_unassigned(100)?)))?;
    for (account, conversation) in waiting {
        let Some(agent) = agents
            .iter()
            .filter(|a| load.get(&a.name).copied().unwrap_or(0) < setting.capacity)
            .min_by_key(|a| load.get(&a.name).copied().unwrap_or(0))
        else {
            break;
        };
        let record = Record::Assignment(AssignmentRecord { account: account.clone(), conversation: conversation.clone(), assignee: Some(agent.name.clone()), by: Some(AUTO.into()) });
        let entry = NewEntry::new(serde_json::to_string(&record).expect("records serialise"));
        match app.engine.assign(&ConversationRef { account, conversation }, None, Some(agent.id), entry, now).await? {
            Claim::Done { .. } => *load.entry(agent.name.clone()).or_default() += 1,
            // Someone took it meanwhile: theirs.
            Claim::Taken { .. } => {}
        }
    }
    Ok(())
}
