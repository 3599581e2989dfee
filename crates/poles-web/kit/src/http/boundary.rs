//! The edge of the server: what no handler should ever see, refused before routing reaches a
//! use case, and the refusals of the HTTP layer itself (405, 413, 414, 431) given the same
//! shape as every other error — JSON on `/api`, a page of the site elsewhere.
//!
//! Control characters are refused here rather than in each newtype because they make sense
//! in no field of this platform, and because PostgreSQL refuses a NUL in text while SQLite
//! stores it: refusing them at the door keeps the two backends answering alike.

use crate::http::error::{ApiError, PageError};
use crate::ui::chrome::Chrome;
use crate::ui::i18n::PageLang;
use crate::ui::render::failure_page;
use axum::body::Body;
use axum::extract::FromRequestParts;
use axum::http::{header, Method, Request, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use poles_core::{FieldError, Lang};

/// The largest request body accepted, but for an upload of a document.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// The largest upload of a document (a candidacy's PDF: 10 MB, the use case's own limit,
/// and room for the refusal to come from it rather than from here).
pub const MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024 + 64 * 1024;

/// Whether a request uploads a document: the only bodies allowed past [`MAX_BODY_BYTES`].
fn is_upload(req: &Request<Body>) -> bool {
    let path = req.uri().path();
    *req.method() == Method::POST
        && path.starts_with("/api/v1/label-campaigns/")
        && path.ends_with("/documents")
}

/// The largest body this request may carry.
fn body_limit(req: &Request<Body>) -> usize {
    if is_upload(req) {
        MAX_UPLOAD_BYTES
    } else {
        MAX_BODY_BYTES
    }
}

/// Limits every request body: [`MAX_BODY_BYTES`], or [`MAX_UPLOAD_BYTES`] for an upload. A
/// declared length above the limit is refused at once (413); a body that runs past it fails
/// when read, which the extractors answer with 413 too.
pub async fn limit_body(req: Request<Body>, next: Next) -> Response {
    let limit = body_limit(&req);
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return too_large(is_api(req.uri()));
    }
    let (parts, body) = req.into_parts();
    let body = Body::new(http_body_util::Limited::new(body, limit));
    next.run(Request::from_parts(parts, body)).await
}
/// The longest request target (path and query) accepted.
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// The largest total of request header names and values accepted.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

const REASON: &str = "must not contain control characters (such as NUL)";

/// Whether `c` is refused in text: every control character but tab and line breaks, which
/// multi-line fields (a news body, a description) legitimately hold.
fn refused_in_text(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// Refuses a request whose path, query, form or JSON body holds a control character, with a
/// 400 naming the field. Bodies are read here only when they are forms or JSON.
pub async fn refuse_control_characters(req: Request<Body>, next: Next) -> Response {
    let api = is_api(req.uri());
    if let Some(e) = check_uri(req.uri()) {
        return refuse(api, e);
    }
    let kind = body_kind(&req);
    if kind == BodyKind::Other {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(b) => b,
        Err(_) => return too_large(api),
    };
    let found = match kind {
        BodyKind::Form => check_pairs(&bytes),
        BodyKind::Json => serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| check_json(&v, String::new())),
        BodyKind::Other => None,
    };
    if let Some(e) = found {
        return refuse(api, e);
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

#[derive(PartialEq)]
enum BodyKind {
    Form,
    Json,
    Other,
}

fn body_kind(req: &Request<Body>) -> BodyKind {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return BodyKind::Other;
    }
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if ct.starts_with("application/x-www-form-urlencoded") {
        BodyKind::Form
    } else if ct.starts_with("application/json") || ct.contains("+json") {
        BodyKind::Json
    } else {
        BodyKind::Other
    }
}

fn is_api(uri: &Uri) -> bool {
    uri.path().starts_with("/api/")
}

fn check_uri(uri: &Uri) -> Option<FieldError> {
    for segment in uri.path().split('/') {
        let decoded = percent_encoding::percent_decode_str(segment).decode_utf8_lossy();
        if decoded.chars().any(char::is_control) {
            return Some(FieldError::new("path", REASON));
        }
    }
    check_pairs(uri.query().unwrap_or_default().as_bytes())
}

/// A urlencoded query or form: the first key or value holding a refused character.
fn check_pairs(bytes: &[u8]) -> Option<FieldError> {
    form_urlencoded::parse(bytes).find_map(|(k, v)| {
        let bad = |s: &str| s.chars().any(refused_in_text);
        if bad(&k) || bad(&v) {
            // The field is named as the client sent it, without the refused characters.
            let name: String = k.chars().filter(|c| !refused_in_text(*c)).collect();
            Some(FieldError::new(name, REASON))
        } else {
            None
        }
    })
}

/// A JSON document: the path (`partners[0].name`) of the first string holding a refused
/// character, keys included.
fn check_json(v: &serde_json::Value, path: String) -> Option<FieldError> {
    let bad = |s: &str| s.chars().any(refused_in_text);
    match v {
        serde_json::Value::String(s) if bad(s) => {
            let field = if path.is_empty() { "body".into() } else { path };
            Some(FieldError::new(field, REASON))
        }
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| check_json(item, format!("{path}[{i}]"))),
        serde_json::Value::Object(map) => map.iter().find_map(|(k, item)| {
            let here = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            if bad(k) {
                let clean: String = here.chars().filter(|c| !refused_in_text(*c)).collect();
                return Some(FieldError::new(clean, REASON));
            }
            check_json(item, here)
        }),
        _ => None,
    }
}

fn refuse(api: bool, e: FieldError) -> Response {
    if api {
        ApiError::from(e).into_response()
    } else {
        PageError::from(e).into_response()
    }
}

fn too_large(api: bool) -> Response {
    if api {
        ApiError::PayloadTooLarge.into_response()
    } else {
        PageError(ApiError::PayloadTooLarge).into_response()
    }
}

/// The answer of a route that exists but not with this method.
pub async fn method_not_allowed(uri: Uri) -> Response {
    if is_api(&uri) {
        ApiError::MethodNotAllowed.into_response()
    } else {
        PageError(ApiError::MethodNotAllowed).into_response()
    }
}

/// Refuses request targets and headers too long to be honest (414, 431), and gives the
/// refusals of the layers below that answer without our error shape (a body over the limit:
/// 413; a method a route lacks: 405) the shape of every other error. It runs outside the
/// page-error layer, so it renders its pages itself.
pub async fn shape_refusals(req: Request<Body>, next: Next) -> Response {
    let api = is_api(req.uri());
    let uri_len = req.uri().path_and_query().map_or(0, |pq| pq.as_str().len());
    let header_len: usize = req
        .headers()
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len())
        .sum();
    let limit = body_limit(&req) as u64;
    let early = if uri_len > MAX_URI_BYTES {
        Some(ApiError::UriTooLong)
    } else if header_len > MAX_HEADER_BYTES {
        Some(ApiError::HeadersTooLarge)
    } else if req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|n| n > limit)
    {
        Some(ApiError::PayloadTooLarge)
    } else {
        None
    };
    // What a page would need to speak the visitor's language, kept before the request goes
    // on; the page itself is built only for a refusal (this runs on every request).
    let (mut parts, body) = req.into_parts();
    let page = if api {
        None
    } else {
        let Ok(PageLang(lang)) = PageLang::from_request_parts(&mut parts, &()).await;
        Some((lang, parts.uri.clone()))
    };
    if let Some(e) = early {
        return shaped(page, e);
    }
    let res = next.run(Request::from_parts(parts, body)).await;
    let bare = !res.headers().contains_key(header::CONTENT_TYPE)
        || res
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"text/plain"));
    match res.status() {
        StatusCode::PAYLOAD_TOO_LARGE if bare => shaped(page, ApiError::PayloadTooLarge),
        StatusCode::METHOD_NOT_ALLOWED if bare => {
            let allow = res.headers().get(header::ALLOW).cloned();
            let mut out = shaped(page, ApiError::MethodNotAllowed);
            if let Some(allow) = allow {
                out.headers_mut().insert(header::ALLOW, allow);
            }
            out
        }
        _ => res,
    }
}

/// The refusal `e`: the JSON error on the API (`page` is `None`), else a page of the site.
fn shaped(page: Option<(Lang, Uri)>, e: ApiError) -> Response {
    let Some((lang, uri)) = page else {
        return e.into_response();
    };
    let (_, detail) = e.parts();
    let res = e.into_response();
    failure_page(Chrome::new(lang, &uri), &res, &detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_field_holding_a_nul() {
        let v = serde_json::json!({"title": "ok", "partners": [{"name": "a\u{0}b"}]});
        let e = check_json(&v, String::new()).unwrap();
        assert_eq!(e.field, "partners[0].name");
        assert!(check_json(
            &serde_json::json!({"body": "line\nline\ttab"}),
            String::new()
        )
        .is_none());
        assert_eq!(check_pairs(b"email=a%00b&x=1").unwrap().field, "email");
        assert!(check_pairs(b"q=caf%C3%A9+lait").is_none());
        assert_eq!(
            check_uri(&"/clusters/a%00b".parse().unwrap())
                .unwrap()
                .field,
            "path"
        );
        assert!(check_uri(&"/clusters/a%20b?lang=fr".parse().unwrap()).is_none());
    }
}
