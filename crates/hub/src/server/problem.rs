//! Errors as the hub answers them: a status, a code a desk acts on and a sentence for people.
//! Request bodies are read here too, so that a bad one is described without being quoted back.

use crate::error::Error;
use axum::extract::FromRequest;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use switchboard_core::team::{Problem, ProblemCode};

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub problem: Problem,
}

impl ApiError {
    pub fn new(status: StatusCode, code: ProblemCode, message: impl Into<String>) -> ApiError {
        ApiError { status, problem: Problem { code, message: message.into() } }
    }
    pub fn unauthorized() -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, ProblemCode::Unauthorized, "this call needs a valid token (enrol the desk with a code from a supervisor)")
    }
    pub fn forbidden() -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, ProblemCode::Forbidden, "only a supervisor may do this")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.problem)).into_response()
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        let (status, code) = match &e {
            Error::Invalid(_) => (StatusCode::BAD_REQUEST, ProblemCode::Invalid),
            Error::NoPerson(_) | Error::NoAccount(_) => (StatusCode::NOT_FOUND, ProblemCode::NotFound),
            Error::PersonExists(_) | Error::AccountExists(_) => (StatusCode::CONFLICT, ProblemCode::Conflict),
            Error::BadCode => (StatusCode::UNAUTHORIZED, ProblemCode::Unauthorized),
            Error::LeaseLost(_) | Error::Database(_) | Error::Store(_) => {
                tracing::error!(error = %e, "a call failed");
                return ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, ProblemCode::Internal, "the hub could not do this; see its log");
            }
        };
        ApiError::new(status, code, e.to_string())
    }
}

pub async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, ProblemCode::NotFound, "no such call on this hub")
}

/// A JSON body, read into `T`; a bad one is described by what is wrong, never quoted.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, ProblemCode::TooLarge, format!("a request holds at most {} bytes", super::BODY_LIMIT))
            } else {
                ApiError::new(StatusCode::BAD_REQUEST, ProblemCode::Invalid, "the request's body could not be read")
            }
        })?;
        serde_json::from_slice(&bytes)
            .map(Body)
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, ProblemCode::Invalid, format!("the request is not what this call takes: {}", switchboard_core::error::describe_json(&e))))
    }
}
