//! Request ids. The id the audit trail records and `X-Request-Id` echoes is the server's own
//! (a random UUID, set by the router for every request); an id the client or a proxy sent is
//! kept apart, as [`ClientRequestId`], when it is at most 64 visible ASCII characters, and
//! dropped otherwise.

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, Request};
use axum::middleware::Next;
use axum::response::Response;

pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest client id kept.
pub const MAX_CLIENT_ID: usize = 64;

/// The id the client sent in `X-Request-Id`, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRequestId(pub String);

/// The client's id if it is short visible ASCII (no space, no control character).
fn acceptable(v: &HeaderValue) -> Option<String> {
    let b = v.as_bytes();
    if b.is_empty() || b.len() > MAX_CLIENT_ID || !b.iter().all(u8::is_ascii_graphic) {
        return None;
    }
    String::from_utf8(b.to_vec()).ok()
}

/// Takes the client's `X-Request-Id` off the request, so that the server sets its own after
/// this layer, and keeps it as a [`ClientRequestId`] extension when acceptable.
pub async fn take_client_id(mut req: Request<Body>, next: Next) -> Response {
    if let Some(v) = req.headers_mut().remove(X_REQUEST_ID) {
        if let Some(id) = acceptable(&v) {
            req.extensions_mut().insert(ClientRequestId(id));
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::acceptable;
    use axum::http::HeaderValue;

    #[test]
    fn only_short_visible_ascii_is_kept() {
        let ok = |s: &str| acceptable(&HeaderValue::from_str(s).unwrap());
        assert_eq!(ok("abc-123_~!").as_deref(), Some("abc-123_~!"));
        assert_eq!(ok(&"x".repeat(64)).map(|s| s.len()), Some(64));
        assert_eq!(ok(&"x".repeat(65)), None);
        assert_eq!(ok("a b"), None);
        assert_eq!(ok(""), None);
        assert_eq!(ok("a\tb"), None);
        assert_eq!(
            acceptable(&HeaderValue::from_bytes(b"caf\xc3\xa9").unwrap()),
            None
        );
    }
}
