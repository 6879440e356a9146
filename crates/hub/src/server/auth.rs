//! Who is calling: the person whose token the `Authorization: Bearer` header carries (the hub
//! keeps only tokens' hashes). A removed person's token stops working at once: every call looks
//! it up again.

use super::problem::ApiError;
use super::App;
use crate::people::hash;
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use switchboard_core::team::{Person, Role};

/// The person calling.
pub struct Caller(pub Person);

/// A supervisor calling (an agent gets 403).
pub struct Supervisor(pub Person);

impl FromRequestParts<App> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(ApiError::unauthorized)?;
        match app.engine.person_by_token(&hash(token)).await? {
            Some(person) => Ok(Caller(person)),
            None => Err(ApiError::unauthorized()),
        }
    }
}

impl FromRequestParts<App> for Supervisor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let Caller(person) = Caller::from_request_parts(parts, app).await?;
        if person.role == Role::Supervisor {
            Ok(Supervisor(person))
        } else {
            Err(ApiError::forbidden())
        }
    }
}
