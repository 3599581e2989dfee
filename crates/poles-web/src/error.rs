//! One error type at the HTTP edge for the JSON API and one for pages. Database failures are
//! logged with their cause and shown as a generic 500; they never look like "not found".

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use poles_core::{FieldError, Lang};
use poles_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error(transparent)]
    BadRequest(#[from] FieldError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("sign in first")]
    Unauthenticated,
    #[error("{0}")]
    Forbidden(poles_core::auth::Denied),
    #[error("missing or wrong CSRF token")]
    Csrf,
    #[error("too many failed attempts; retry in {retry_after} s")]
    TooManyRequests { retry_after: i64 },
    #[error("the second factor code is required")]
    SecondFactorRequired,
    #[error("wrong e-mail, password or code")]
    BadCredentials,
}

/// The body of every API error.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable: `not_found`, `bad_request`, `internal`.
    pub code: &'static str,
    pub message: String,
    /// The parameter or field at fault, when there is one.
    pub field: Option<String>,
    /// On a 409: the record's current version, to re-read before writing again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i64>,
}

fn detail(code: &'static str, message: String, field: Option<String>) -> ErrorDetail {
    ErrorDetail {
        code,
        message,
        field,
        current_version: None,
    }
}

impl ApiError {
    fn parts(&self) -> (StatusCode, ErrorDetail) {
        match self {
            ApiError::Store(StoreError::NotFound(what)) => (
                StatusCode::NOT_FOUND,
                detail("not_found", format!("{what} not found"), None),
            ),
            ApiError::Store(StoreError::Conflict { current }) => (
                StatusCode::CONFLICT,
                ErrorDetail {
                    code: "conflict",
                    message: "the record changed since it was read; read it again".into(),
                    field: Some("version".into()),
                    current_version: Some(*current),
                },
            ),
            ApiError::Forbidden(d) | ApiError::Store(StoreError::Denied(d)) => (
                StatusCode::FORBIDDEN,
                detail("forbidden", d.to_string(), None),
            ),
            ApiError::Unauthenticated => (
                StatusCode::UNAUTHORIZED,
                detail("unauthenticated", self.to_string(), None),
            ),
            ApiError::BadCredentials => (
                StatusCode::UNAUTHORIZED,
                detail("bad_credentials", self.to_string(), None),
            ),
            ApiError::SecondFactorRequired => (
                StatusCode::UNAUTHORIZED,
                detail(
                    "second_factor_required",
                    self.to_string(),
                    Some("code".into()),
                ),
            ),
            ApiError::Csrf => (
                StatusCode::FORBIDDEN,
                detail(
                    "csrf",
                    self.to_string(),
                    Some(crate::auth::CSRF_HEADER.into()),
                ),
            ),
            ApiError::TooManyRequests { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                detail("too_many_requests", self.to_string(), None),
            ),
            ApiError::NotFound(what) => (
                StatusCode::NOT_FOUND,
                detail("not_found", format!("{what} not found"), None),
            ),
            ApiError::BadRequest(e) | ApiError::Store(StoreError::Invalid(e)) => (
                StatusCode::BAD_REQUEST,
                detail("bad_request", e.reason.clone(), Some(e.field.clone())),
            ),
            ApiError::Store(e) => {
                tracing::error!(error = %e, "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    detail(
                        "internal",
                        "internal error; it has been logged".into(),
                        None,
                    ),
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, error) = self.parts();
        let mut res = (status, Json(ErrorBody { error })).into_response();
        if let ApiError::TooManyRequests { retry_after } = self {
            res.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(retry_after),
            );
        }
        res
    }
}

/// An error while rendering a page: the same causes, shown as a small HTML page.
#[derive(Debug)]
pub struct PageError {
    pub lang: Lang,
    pub inner: ApiError,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    message: &'a str,
    back: &'a str,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, detail) = self.inner.parts();
        let fr = self.lang == Lang::Fr;
        let message = match status {
            StatusCode::NOT_FOUND if fr => "Cette page n'existe pas.".to_string(),
            StatusCode::NOT_FOUND => "This page does not exist.".to_string(),
            StatusCode::BAD_REQUEST => format!(
                "{} {}: {}",
                if fr {
                    "Paramètre invalide"
                } else {
                    "Invalid parameter"
                },
                detail.field.unwrap_or_default(),
                detail.message
            ),
            StatusCode::FORBIDDEN if fr => format!("Accès refusé ({}).", detail.message),
            StatusCode::UNAUTHORIZED if fr => "Connectez-vous d'abord.".to_string(),
            StatusCode::CONFLICT if fr => {
                "La fiche a changé depuis votre lecture : rechargez-la.".to_string()
            }
            s if s.is_client_error() => detail.message,
            _ if fr => "Erreur interne ; elle a été journalisée.".to_string(),
            _ => "Internal error; it has been logged.".to_string(),
        };
        let page = ErrorPage {
            status: status.as_u16(),
            message: &message,
            back: if fr {
                "Retour à l'accueil"
            } else {
                "Back to the home page"
            },
        };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, message).into_response(),
        }
    }
}
