//! Enrolment and the team: a desk trades a one-time code for its token; everyone may list the
//! team; supervisors add and remove people and give new codes.

use super::auth::{Caller, Supervisor};
use super::problem::{ApiError, Body};
use super::App;
use crate::people::{hash, new_code, new_token, normalise_code};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use switchboard_core::team::{EnrolRequest, Enrolled, Me, NewPerson, Person, PersonAdded, PROTOCOL};

pub async fn enrol(State(app): State<App>, Body(request): Body<EnrolRequest>) -> Result<Json<Enrolled>, ApiError> {
    let token = new_token();
    let person = app.engine.enrol(&hash(&normalise_code(&request.code)), &hash(&token), (app.settings.now)()).await?;
    tracing::info!(person = %person.name, "a desk enrolled");
    Ok(Json(Enrolled { token, person, protocol: PROTOCOL }))
}

pub async fn me(Caller(person): Caller) -> Json<Me> {
    Json(Me { person, protocol: PROTOCOL })
}

pub async fn list(State(app): State<App>, _: Caller) -> Result<Json<Vec<Person>>, ApiError> {
    Ok(Json(app.engine.people().await?))
}

pub async fn add(State(app): State<App>, Supervisor(by): Supervisor, Body(new): Body<NewPerson>) -> Result<(StatusCode, Json<PersonAdded>), ApiError> {
    let code = new_code();
    let now = (app.settings.now)();
    let expires = now + app.settings.code_ttl;
    let person = app.engine.add_person(&new.name, new.role, &hash(&code), expires, now).await?;
    tracing::info!(person = %person.name, by = %by.name, "added a person");
    crate::people::announce(app.engine.as_ref(), &person, false, now).await?;
    Ok((StatusCode::CREATED, Json(PersonAdded { person, code, code_expires: expires })))
}

pub async fn remove(State(app): State<App>, Supervisor(by): Supervisor, Path(name): Path<String>) -> Result<Json<Person>, ApiError> {
    let now = (app.settings.now)();
    let person = app.engine.remove_person(&name, now).await?;
    tracing::info!(person = %person.name, by = %by.name, "removed a person");
    crate::people::announce(app.engine.as_ref(), &person, true, now).await?;
    Ok(Json(person))
}

pub async fn renew_code(State(app): State<App>, Supervisor(_): Supervisor, Path(name): Path<String>) -> Result<Json<PersonAdded>, ApiError> {
    let code = new_code();
    let expires = (app.settings.now)() + app.settings.code_ttl;
    let person = app.engine.renew_code(&name, &hash(&code), expires).await?;
    Ok(Json(PersonAdded { person, code, code_expires: expires }))
}
