//! Public answers kept in this server's memory while the data version holds (see
//! `poles_app::readcache`): a GET of the registry's public pages and API, asked anonymously
//! (no cookie, no token), is answered from memory when the same address (in the same
//! language) was answered at the database's current data version. One look-up of that
//! number per request replaces the page's queries, serialisation and rendering; any write,
//! on any server, raises it. Answers that set a cookie or are not a 200 are never kept.

use crate::AppState;
use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

/// A kept answer.
#[derive(Clone, Debug)]
pub struct CachedResponse {
    headers: HeaderMap,
    body: Bytes,
}

/// The largest answer kept (larger ones are computed each time); with at most 2,000 answers
/// kept, a server holds at most 256 MB of them (pages weigh 10 to 60 KB).
const MAX_BODY: usize = 128 * 1024;

/// The public reads of the registry (pages, their exports, their API).
fn cacheable(path: &str) -> bool {
    const PREFIXES: [&str; 10] = [
        "/organisations",
        "/projects",
        "/clusters",
        "/regions",
        "/sectors",
        "/api/v1/organisations",
        "/api/v1/projects",
        "/api/v1/clusters",
        "/api/v1/regions",
        "/api/v1/sectors",
    ];
    // The exports stream every row of a view: never buffered here.
    (path == "/" || PREFIXES.iter().any(|p| path.starts_with(p))) && !path.ends_with(".csv")
}

pub async fn serve_kept(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let anonymous = !req.headers().contains_key(header::COOKIE)
        && !req.headers().contains_key(header::AUTHORIZATION);
    if req.method() != Method::GET || !anonymous || !cacheable(req.uri().path()) {
        return next.run(req).await;
    }
    let Ok(version) = st.app.data_version().await else {
        return next.run(req).await;
    };
    let language = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let key = format!("{}|{language}", req.uri());
    if let Some(kept) = st.responses.get(version, &key) {
        let mut resp = Response::new(Body::from(kept.body));
        *resp.headers_mut() = kept.headers;
        return resp;
    }
    let resp = next.run(req).await;
    if resp.status() != StatusCode::OK || resp.headers().contains_key(header::SET_COOKIE) {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    match to_bytes(body, usize::MAX).await {
        Ok(bytes) => {
            if bytes.len() <= MAX_BODY {
                st.responses.put(
                    version,
                    key,
                    CachedResponse {
                        headers: parts.headers.clone(),
                        body: bytes.clone(),
                    },
                );
            }
            Response::from_parts(parts, Body::from(bytes))
        }
        Err(e) => {
            tracing::warn!(error = %e, "an answer's body failed");
            Response::builder()
                .status(StatusCode::INTERNAL_SERVER_ERROR)
                .body(Body::empty())
                .unwrap_or_default()
        }
    }
}
