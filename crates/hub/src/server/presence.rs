//! Presence: who is at their desk, away or offline, which conversation each has open and whether
//! they are typing in it. Desks say it every few seconds and on each change; it lives in the
//! hub's memory only (never in the log), and a person with no word for `PRESENCE_TTL` is offline,
//! "typing" lapsing after `TYPING_TTL`. (On PostgreSQL each hub knows the desks that talk to it.)

use super::auth::Caller;
use super::problem::{ApiError, Body};
use super::App;
use axum::extract::State;
use axum::Json;
use jiff::Timestamp;
use std::collections::HashMap;
use std::sync::Mutex;
use switchboard_core::team::{PresenceEntry, PresenceState, PresenceUpdate, KEY_LIMIT, PRESENCE_TTL, TYPING_TTL};

/// The last word of each person (by the hub's id), and when it came.
#[derive(Default)]
pub(crate) struct Presence(Mutex<HashMap<i64, (PresenceUpdate, Timestamp)>>);

fn lapsed(at: Timestamp, now: Timestamp, ttl: std::time::Duration) -> bool {
    now.duration_since(at) > jiff::SignedDuration::try_from(ttl).unwrap_or_default()
}

impl Presence {
    /// The people at their desk now (online, not away).
    pub(crate) fn online(&self, now: Timestamp) -> Vec<i64> {
        let said = self.0.lock().unwrap_or_else(|p| p.into_inner());
        said.iter().filter(|(_, (update, at))| !update.away && !lapsed(*at, now, PRESENCE_TTL)).map(|(id, _)| *id).collect()
    }
}

pub async fn say(State(app): State<App>, Caller(person): Caller, Body(update): Body<PresenceUpdate>) -> Result<Json<()>, ApiError> {
    if let Some(v) = &update.viewing {
        if v.account.chars().count() > KEY_LIMIT || v.conversation.chars().count() > KEY_LIMIT * 2 {
            return Err(ApiError::new(axum::http::StatusCode::BAD_REQUEST, switchboard_core::team::ProblemCode::Invalid, "a conversation's name is too long"));
        }
    }
    let now = (app.settings.now)();
    app.presence.0.lock().unwrap_or_else(|p| p.into_inner()).insert(person.id, (update, now));
    Ok(Json(()))
}

pub async fn list(State(app): State<App>, _: Caller) -> Result<Json<Vec<PresenceEntry>>, ApiError> {
    let people = app.engine.people().await?;
    let now = (app.settings.now)();
    let said = app.presence.0.lock().unwrap_or_else(|p| p.into_inner());
    let entries = people
        .into_iter()
        .map(|p| match said.get(&p.id) {
            Some((update, at)) if !lapsed(*at, now, PRESENCE_TTL) => PresenceEntry {
                person: p.name,
                state: if update.away { PresenceState::Away } else { PresenceState::Online },
                viewing: update.viewing.clone(),
                typing: update.typing && update.viewing.is_some() && !lapsed(*at, now, TYPING_TTL),
            },
            _ => PresenceEntry { person: p.name, state: PresenceState::Offline, viewing: None, typing: false },
        })
        .collect();
    Ok(Json(entries))
}
