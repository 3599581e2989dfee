//! Extractors: who is calling ([`SignedIn`], [`Visitor`]) and a JSON body whose refusals are
//! our JSON errors (400 naming the field), not axum's plain-text ones.

use crate::http::error::ApiError;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, OriginalUri, Request};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use poles_app::{AppError, Caller, Origin};
use poles_core::FieldError;
use serde::de::DeserializeOwned;

/// A signed-in caller. Without one, the JSON API answers 401 and a page sends to the
/// sign-in page in its language.
pub struct SignedIn(pub Caller);

/// The refusal of [`SignedIn`].
pub enum NotSignedIn {
    Api,
    Page(String),
}

impl IntoResponse for NotSignedIn {
    fn into_response(self) -> Response {
        match self {
            NotSignedIn::Api => ApiError::App(AppError::Unauthenticated).into_response(),
            NotSignedIn::Page(login) => Redirect::to(&login).into_response(),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for SignedIn {
    type Rejection = NotSignedIn;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(c) = parts.extensions.get::<Caller>() {
            return Ok(SignedIn(c.clone()));
        }
        let uri = parts
            .extensions
            .get::<OriginalUri>()
            .map(|u| u.0.clone())
            .unwrap_or_else(|| parts.uri.clone());
        let path = uri.path().to_string();
        if path.starts_with("/api/") {
            Err(NotSignedIn::Api)
        } else {
            let Ok(crate::ui::i18n::PageLang(lang)) =
                crate::ui::i18n::PageLang::from_request_parts(parts, state).await;
            // Back to the page asked for once signed in (a GET page; a form's POST target
            // would not answer a GET, so forms go back to the account page).
            let next = if parts.method == axum::http::Method::GET {
                let target = uri.path_and_query().map_or(path.as_str(), |p| p.as_str());
                format!("&next={}", url_escape(target))
            } else {
                String::new()
            };
            Err(NotSignedIn::Page(format!(
                "/login?lang={}{next}",
                lang.code()
            )))
        }
    }
}

/// Anyone: the caller when signed in, and where the request comes from.
pub struct Visitor {
    pub caller: Option<Caller>,
    pub origin: Origin,
}

impl<S: Send + Sync> FromRequestParts<S> for Visitor {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Visitor {
            caller: parts.extensions.get::<Caller>().cloned(),
            origin: parts
                .extensions
                .get::<Origin>()
                .cloned()
                .unwrap_or_default(),
        })
    }
}

pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            // A body over the limit (a chunked one is only found out while reading it).
            Err(rejection) if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError::PayloadTooLarge)
            }
            Err(rejection) => Err(refusal(&rejection).into()),
        }
    }
}

/// Turns axum's rejection into a field error; the field is serde's path when it names one.
fn refusal(r: &JsonRejection) -> FieldError {
    let text = r.body_text();
    match r {
        JsonRejection::JsonDataError(_) => {
            // "Failed to deserialize the JSON body into the target type: partners[0].kind: unknown variant …"
            let detail = text
                .split_once("target type: ")
                .map(|(_, d)| d)
                .unwrap_or(&text);
            match detail.split_once(": ") {
                Some((path, reason)) if !path.contains(' ') => FieldError::new(path, reason),
                _ => FieldError::new("body", detail),
            }
        }
        JsonRejection::MissingJsonContentType(_) => {
            FieldError::new("content-type", "must be application/json")
        }
        _ => FieldError::new("body", text),
    }
}

/// A typed query string whose refusals are our JSON errors (400 naming the parameter), not
/// axum's plain-text ones.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(rejection) => {
                // "Failed to deserialize query string: year: invalid digit found in string"
                let text = rejection.body_text();
                let detail = text
                    .split_once("query string: ")
                    .map(|(_, d)| d)
                    .unwrap_or(&text);
                Err(match detail.split_once(": ") {
                    Some((field, reason)) if !field.contains(' ') => FieldError::new(field, reason),
                    _ => FieldError::new("query", detail),
                }
                .into())
            }
        }
    }
}

/// Percent-encodes a path and query for a query parameter's value.
fn url_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
