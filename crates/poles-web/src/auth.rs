//! Who is calling: a session cookie or a bearer token, resolved once per request by the
//! `resolve` middleware, which also refuses cross-site writes (CSRF) and marks authenticated
//! responses `no-store`. Handlers ask for [`Caller`] (anyone) or [`Authed`] (signed in).

use crate::error::ApiError;
use crate::AppState;
use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use poles_core::auth::{Actor, Denied};
use poles_store::accounts::{self, Session};
use poles_store::audit::{self, Context, Event};
use std::net::SocketAddr;

pub const CSRF_HEADER: &str = "x-csrf-token";

/// Settings of the authentication layer.
#[derive(Debug, Clone, Default)]
pub struct AuthConfig {
    pub policy: accounts::Policy,
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

    pub fn session_cookie(&self, value: &str, max_age: i64) -> HeaderValue {
        let secure = if self.secure_cookies { "; Secure" } else { "" };
        HeaderValue::from_str(&format!(
            "{}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}",
            self.cookie_name()
        ))
        .expect("cookie is ASCII")
    }
}

/// The credentials a request carried, resolved.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub actor: Actor,
    /// Present for cookie sessions, absent for bearer tokens.
    pub session: Option<Session>,
}

/// Where the request comes from, for the audit trail.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub ip: Option<String>,
    pub request_id: Option<String>,
    pub user_agent: Option<String>,
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

/// Resolves the caller, refuses cross-site writes and keeps authenticated answers out of caches.
pub async fn resolve(State(st): State<AppState>, req: Request<Body>, next: Next) -> Response {
    let origin = Origin {
        ip: req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string()),
        request_id: req
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        user_agent: req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
    };
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let mut resolved = None;
    if let Some(token) = bearer(req.headers()) {
        match accounts::token_actor(&st.db, token).await {
            Ok(Some(actor)) => {
                resolved = Some(Resolved {
                    actor,
                    session: None,
                })
            }
            Ok(None) => return ApiError::Unauthenticated.into_response(),
            Err(e) => return ApiError::Store(e).into_response(),
        }
    } else if let Some(sid) = cookie(req.headers(), st.auth.cookie_name()) {
        match accounts::session(&st.db, &st.auth.policy, sid).await {
            Ok(Some(session)) => {
                resolved = Some(Resolved {
                    actor: session.actor.clone(),
                    session: Some(session),
                })
            }
            Ok(None) => {}
            Err(e) => return ApiError::Store(e).into_response(),
        }
    }
    let mut req = req;
    if unsafe_method {
        if let Some(Resolved {
            session: Some(session),
            actor,
        }) = &resolved
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
                let bytes = match axum::body::to_bytes(body, 1024 * 1024).await {
                    Ok(b) => b,
                    Err(_) => return StatusCode::PAYLOAD_TOO_LARGE.into_response(),
                };
                presented = form_field(&bytes, "csrf");
                Body::from(bytes)
            } else {
                body
            };
            req = Request::from_parts(parts, body);
            if !presented.is_some_and(|p| constant_time_eq(&p, &session.csrf)) {
                let ctx = context(actor, &origin);
                let _ = audit::record(
                    &st.db,
                    &ctx,
                    Event {
                        action: "csrf.refused",
                        object_kind: "request",
                        object_ref: format!("{} {}", req.method(), req.uri().path()),
                        changes: serde_json::json!({}),
                        reason: None,
                    },
                )
                .await;
                return ApiError::Csrf.into_response();
            }
        } else if resolved.is_none() {
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
                    return ApiError::Csrf.into_response();
                }
            }
        }
    }
    let authenticated = resolved.is_some();
    req.extensions_mut().insert(origin);
    if let Some(r) = resolved {
        req.extensions_mut().insert(r);
    }
    let mut res = next.run(req).await;
    if authenticated {
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

/// Reads one field of a urlencoded body.
pub fn form_field(body: &[u8], name: &str) -> Option<String> {
    std::str::from_utf8(body).ok()?.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == name).then(|| v.replace('+', " "))
    })
}

/// The audit context of an actor's request.
pub fn context(actor: &Actor, origin: &Origin) -> Context {
    Context {
        actor_id: Some(actor.user_id),
        actor_email: Some(actor.email.clone()),
        role: actor.grants.first().map(|g| g.role),
        request_id: origin.request_id.clone(),
        ip: origin.ip.clone(),
    }
}

/// Anyone: signed in or not.
pub struct Caller {
    pub resolved: Option<Resolved>,
    pub origin: Origin,
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Caller {
            resolved: parts.extensions.get::<Resolved>().cloned(),
            origin: parts
                .extensions
                .get::<Origin>()
                .cloned()
                .unwrap_or_default(),
        })
    }
}

/// A signed-in caller; 401 otherwise.
pub struct Authed {
    pub actor: Actor,
    pub session: Option<Session>,
    pub origin: Origin,
}

impl<S: Send + Sync> FromRequestParts<S> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let r = parts
            .extensions
            .get::<Resolved>()
            .cloned()
            .ok_or(ApiError::Unauthenticated)?;
        Ok(Authed {
            actor: r.actor,
            session: r.session,
            origin: parts
                .extensions
                .get::<Origin>()
                .cloned()
                .unwrap_or_default(),
        })
    }
}

impl Authed {
    /// The audit context for this caller, with the role that a capability granted.
    pub fn ctx(&self, role: poles_core::auth::Role) -> Context {
        let mut c = context(&self.actor, &self.origin);
        c.role = Some(role);
        c
    }

    /// Turns a refused check into a 403, recording the refusal in the audit trail.
    pub async fn allowed<T>(&self, st: &AppState, check: Result<T, Denied>) -> Result<T, ApiError> {
        match check {
            Ok(cap) => Ok(cap),
            Err(denied) => {
                let ctx = context(&self.actor, &self.origin);
                audit::record(
                    &st.db,
                    &ctx,
                    Event {
                        action: "access.denied",
                        object_kind: "request",
                        object_ref: denied.object.clone(),
                        changes: serde_json::json!({"action": denied.action}),
                        reason: None,
                    },
                )
                .await?;
                Err(ApiError::Forbidden(denied))
            }
        }
    }
}
