//! Who is calling: a session cookie or a bearer token, resolved once per request by the
//! [`resolve`] middleware, which also refuses cross-site writes (CSRF) and marks
//! authenticated responses `no-store`. Handlers ask for [`crate::http::extract::SignedIn`]
//! or [`crate::http::extract::Visitor`].

use crate::http::error::{ApiError, CSRF_HEADER};
use crate::http::request_id::{ClientRequestId, X_REQUEST_ID};
use crate::AppState;
use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use poles_app::{accounts, Caller, Origin};
use std::net::SocketAddr;

/// Settings of the authentication layer.
#[derive(Debug, Clone, Default)]
pub struct AuthConfig {
    /// Served over TLS (directly or behind a proxy): cookies get `Secure` and the
    /// `__Host-` prefix, and responses carry HSTS.
    pub secure_cookies: bool,
}

impl AuthConfig {
    pub fn cookie_name(&self) -> &'static str {
        if self.secure_cookies {
            "__Host-poles_session"
        } else {
            "poles_session"
        }
    }

    /// The `Set-Cookie` value of a session (an empty value with `max_age` 0 clears it).
    pub fn session_cookie(&self, value: &str, max_age: i64) -> HeaderValue {
        let secure = if self.secure_cookies { "; Secure" } else { "" };
        let cookie = format!(
            "{}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}",
            self.cookie_name()
        );
        // Session ids are hex: the value is always a valid header.
        HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
    }
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn header_text(req: &Request<Body>, name: header::HeaderName) -> Option<String> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// Resolves the caller, refuses cross-site writes and keeps authenticated answers out of caches.
pub async fn resolve(State(st): State<AppState>, req: Request<Body>, next: Next) -> Response {
    let origin = Origin {
        ip: req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string()),
        request_id: header_text(&req, X_REQUEST_ID),
        client_request_id: req
            .extensions()
            .get::<ClientRequestId>()
            .map(|c| c.0.clone()),
        user_agent: header_text(&req, header::USER_AGENT),
    };
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let mut caller = None;
    if let Some(token) = bearer(req.headers()) {
        match accounts::token_actor(&st.app, token).await {
            Ok(Some(actor)) => {
                caller = Some(Caller {
                    actor,
                    session: None,
                    origin: origin.clone(),
                })
            }
            Ok(None) => return ApiError::App(poles_app::AppError::Unauthenticated).into_response(),
            Err(e) => return refusal(req, e.into()).await,
        }
    } else if let Some(sid) = cookie(req.headers(), st.auth.cookie_name()) {
        match accounts::session(&st.app, sid).await {
            Ok(Some(session)) => {
                caller = Some(Caller {
                    actor: session.actor.clone(),
                    session: Some(session),
                    origin: origin.clone(),
                })
            }
            Ok(None) => {}
            Err(e) => return refusal(req, e.into()).await,
        }
    }
    let mut req = req;
    if unsafe_method {
        if let Some(
            c @ Caller {
                session: Some(session),
                ..
            },
        ) = &caller
        {
            // A cookie is sent by the browser on its own: a write made with one must prove
            // it comes from our pages (header, or a form field for plain HTML forms).
            let (parts, body) = req.into_parts();
            let mut presented = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let is_form = parts
                .headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
            let body = if presented.is_none() && is_form {
                let bytes =
                    match axum::body::to_bytes(body, crate::http::boundary::MAX_BODY_BYTES).await {
                        Ok(b) => b,
                        Err(_) => {
                            let req = Request::from_parts(parts, Body::empty());
                            return refusal(req, ApiError::PayloadTooLarge).await;
                        }
                    };
                presented = form_field(&bytes, "csrf");
                Body::from(bytes)
            } else {
                body
            };
            req = Request::from_parts(parts, body);
            if !presented.is_some_and(|p| constant_time_eq(&p, &session.csrf)) {
                let what = format!("{} {}", req.method(), req.uri().path());
                let _ = accounts::csrf_refused(&st.app, c, what).await;
                return refusal(req, ApiError::Csrf).await;
            }
        } else if caller.is_none() {
            // No credentials: only the sign-in forms; refuse them cross-site.
            if let (Some(o), Some(h)) = (
                req.headers()
                    .get(header::ORIGIN)
                    .and_then(|v| v.to_str().ok()),
                req.headers()
                    .get(header::HOST)
                    .and_then(|v| v.to_str().ok()),
            ) {
                let same = o
                    .split_once("://")
                    .map(|(_, rest)| rest == h)
                    .unwrap_or(false);
                if !same {
                    return refusal(req, ApiError::Csrf).await;
                }
            }
        }
    }
    let authenticated = caller.is_some();
    req.extensions_mut().insert(origin);
    if let Some(c) = caller {
        req.extensions_mut().insert(c);
    }
    let mut res = next.run(req).await;
    // An authenticated answer, or one that sets a session cookie (a sign-in), is never cached.
    if authenticated || res.headers().contains_key(header::SET_COOKIE) {
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if st.auth.secure_cookies {
        res.headers_mut().insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    res
}

/// A refusal before any handler runs (a form without its CSRF token, the database
/// unavailable while resolving the caller): the JSON error on the API, a page of the site
/// elsewhere (this runs outside the page-error layer).
async fn refusal(req: Request<Body>, e: ApiError) -> Response {
    if req.uri().path().starts_with("/api/") {
        return e.into_response();
    }
    let (_, detail) = e.parts();
    let res = e.into_response();
    let (mut parts, _) = req.into_parts();
    let Ok(c) = crate::ui::chrome::Chrome::from_request_parts(&mut parts, &()).await;
    crate::ui::render::failure_page(c, &res, &detail)
}

/// Reads one field of a urlencoded body.
pub fn form_field(body: &[u8], name: &str) -> Option<String> {
    std::str::from_utf8(body).ok()?.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == name).then(|| v.replace('+', " "))
    })
}
