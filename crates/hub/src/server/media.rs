//! Images the platforms host, fetched for desks (`GET /media?account=…&message=…&index=…`): a desk
//! in a team holds no platform secrets, so the hub fetches a message's image with the account's
//! (the same code a desk alone uses) and hands the bytes on.

use super::auth::Caller;
use super::problem::ApiError;
use super::App;
use crate::accounts::{PHOTO_KEYS, TOKEN};
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use switchboard_core::sensitive::Sensitive;
use switchboard_core::team::ProblemCode;
use switchboard_sync::media::{hosted_image, MediaKeys};

#[derive(Deserialize)]
pub struct MediaQuery {
    account: String,
    message: String,
    index: usize,
}

fn not_found(what: &str) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, ProblemCode::NotFound, what)
}

pub async fn image(State(app): State<App>, _: Caller, Query(q): Query<MediaQuery>) -> Result<Response, ApiError> {
    let Some(account) = app.engine.accounts().await?.into_iter().find(|a| a.key == q.account) else {
        return Err(not_found("this hub does not run that account"));
    };
    let (key, message, index) = (q.account.clone(), q.message.clone(), q.index);
    let found = app
        .replica
        .db()
        .read(move |s| match s.message_by_external(&key, &message)? {
            Some(id) => s.message_attachment(id, index).map(Some),
            None => Ok(None),
        })
        .map_err(|_| not_found("that message has no such attachment"))?;
    let Some((attachment, _, external)) = found else { return Err(not_found("no such message on this hub")) };
    let view = crate::accounts::view(account.clone()).map_err(crate::Error::from)?;
    let token = app.engine.secret(&account.key, TOKEN).await?.map(Sensitive::new);
    let photo_keys = match app.engine.secret(&account.key, PHOTO_KEYS).await? {
        Some(stored) => Some(switchboard_sync::OAuth1Keys::from_secret(&Sensitive::new(stored)).map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, ProblemCode::Internal, e.to_string()))?),
        None => None,
    };
    match hosted_image(&attachment, &view, &external, q.index, MediaKeys { token, photo_keys }).await {
        Ok((mime, bytes)) => Ok(([(header::CONTENT_TYPE, mime), (header::CACHE_CONTROL, "private, max-age=3600".to_owned())], bytes).into_response()),
        Err(e) if e.is_transient() => Err(ApiError::new(StatusCode::BAD_GATEWAY, ProblemCode::Internal, e.to_string())),
        Err(e) => Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, ProblemCode::Invalid, e.to_string())),
    }
}
