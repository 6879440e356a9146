//! What every platform's media and links share: the one photo the sandbox's customers send, the
//! CDN that serves it, and the origin a request came to (links in answers point back at it).

use axum::extract::Path;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

/// Where a `next` link points: this server, as the client reached it.
pub(crate) fn origin(headers: &HeaderMap) -> String {
    format!("http://{}", headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1"))
}

/// The CDN that serves attachments' bytes: every photo the sandbox's customers send is the same
/// picture; any other file is not there.
pub(crate) async fn cdn_file(Path((_folder, name)): Path<(String, String)>) -> Response {
    if name.ends_with(".jpg") {
        photo()
    } else {
        (StatusCode::NOT_FOUND, "Content Not Found").into_response()
    }
}

pub(crate) const PHOTO: &[u8] = include_bytes!("../assets/photo.jpg");

/// The one picture, as every platform's file server sends it.
pub(crate) fn photo() -> Response {
    ([(header::CONTENT_TYPE, "image/jpeg"), (header::CACHE_CONTROL, "max-age=1209600")], PHOTO).into_response()
}
