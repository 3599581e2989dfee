//! One error type at the HTTP edge: [`ApiError`] answers the JSON API, [`PageError`] the
//! pages. Both come from the use cases' [`AppError`] by `?`; internal failures are logged
//! with their cause and shown as a generic 500, never as "not found".

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use poles_app::AppError;
use poles_core::FieldError;
use serde::Serialize;
use utoipa::ToSchema;

/// The header that carries the session's CSRF token with cookie-authenticated writes.
pub const CSRF_HEADER: &str = "x-csrf-token";

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    App(#[from] AppError),
    #[error("missing or wrong CSRF token")]
    Csrf,
    /// The refusals of the HTTP layer itself, given the shape of every other error.
    #[error("this method is not allowed here")]
    MethodNotAllowed,
    #[error("the request body is larger than the limit of 1 MiB")]
    PayloadTooLarge,
    #[error("the address is longer than the limit of 8 KiB")]
    UriTooLong,
    #[error("the request headers are larger than the limit of 16 KiB")]
    HeadersTooLarge,
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        ApiError::App(AppError::Invalid(e))
    }
}

/// Seconds a client is asked to wait when the database is unavailable.
const UNAVAILABLE_RETRY_AFTER: i64 = 5;

/// The body of every API error.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable: `not_found`, `bad_request`, `conflict`, `last_admin`, `internal` …
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
    pub fn not_found(what: &'static str) -> ApiError {
        ApiError::App(AppError::NotFound(what))
    }

    /// The status and body of this error; internal causes are logged here, once.
    pub fn parts(&self) -> (StatusCode, ErrorDetail) {
        let app = match self {
            ApiError::Csrf => {
                return (
                    StatusCode::FORBIDDEN,
                    detail("csrf", self.to_string(), Some(CSRF_HEADER.into())),
                )
            }
            ApiError::MethodNotAllowed => {
                return (
                    StatusCode::METHOD_NOT_ALLOWED,
                    detail("method_not_allowed", self.to_string(), None),
                )
            }
            ApiError::PayloadTooLarge => {
                return (
                    StatusCode::PAYLOAD_TOO_LARGE,
                    detail("payload_too_large", self.to_string(), Some("body".into())),
                )
            }
            ApiError::UriTooLong => {
                return (
                    StatusCode::URI_TOO_LONG,
                    detail("uri_too_long", self.to_string(), None),
                )
            }
            ApiError::HeadersTooLarge => {
                return (
                    StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                    detail("headers_too_large", self.to_string(), None),
                )
            }
            ApiError::App(e) => e,
        };
        match app {
            AppError::NotFound(what) => (
                StatusCode::NOT_FOUND,
                detail("not_found", format!("{what} not found"), None),
            ),
            AppError::Conflict { current } => (
                StatusCode::CONFLICT,
                ErrorDetail {
                    code: "conflict",
                    message: "the record changed since it was read; read it again".into(),
                    field: Some("version".into()),
                    current_version: Some(*current),
                },
            ),
            AppError::Refused { code, reason } => (
                StatusCode::CONFLICT,
                detail(code, reason.reason.clone(), Some(reason.field.clone())),
            ),
            AppError::Forbidden(d) => (
                StatusCode::FORBIDDEN,
                detail("forbidden", d.to_string(), None),
            ),
            AppError::Unauthenticated => (
                StatusCode::UNAUTHORIZED,
                detail("unauthenticated", app.to_string(), None),
            ),
            AppError::BadCredentials => (
                StatusCode::UNAUTHORIZED,
                detail("bad_credentials", app.to_string(), None),
            ),
            AppError::SecondFactorRequired => (
                StatusCode::UNAUTHORIZED,
                detail(
                    "second_factor_required",
                    app.to_string(),
                    Some("code".into()),
                ),
            ),
            AppError::TooManyRequests { .. } | AppError::Throttled { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                detail("too_many_requests", app.to_string(), None),
            ),
            AppError::Invalid(e) => (
                StatusCode::BAD_REQUEST,
                detail("bad_request", e.reason.clone(), Some(e.field.clone())),
            ),
            AppError::Unavailable(e) => {
                tracing::warn!(error = %e, "database unavailable");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    detail("unavailable", app.to_string(), None),
                )
            }
            AppError::Internal(e) => {
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

    fn retry_after(&self) -> Option<i64> {
        match self {
            ApiError::App(AppError::TooManyRequests { retry_after })
            | ApiError::App(AppError::Throttled { retry_after }) => Some(*retry_after),
            ApiError::App(AppError::Unavailable(_)) => Some(UNAVAILABLE_RETRY_AFTER),
            _ => None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, error) = self.parts();
        let mut res = (status, Json(ErrorBody { error })).into_response();
        if let Some(retry_after) = self.retry_after() {
            res.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(retry_after),
            );
        }
        res
    }
}

/// An error while answering a page. Handlers return it with `?` from any use case; the
/// response carries the cause, and [`crate::ui::render::error_pages`] renders it as a page of
/// the site in the request's language, so that no handler maps errors by hand.
#[derive(Debug)]
pub struct PageError(pub ApiError);

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        PageError(e)
    }
}

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        PageError(ApiError::App(e))
    }
}

impl From<FieldError> for PageError {
    fn from(e: FieldError) -> Self {
        PageError(e.into())
    }
}

/// What a failed page handler leaves for the page-error layer: the status and the cause.
#[derive(Debug, Clone)]
pub struct PageFailure(pub ErrorDetail);

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, detail) = self.0.parts();
        let mut res = (status, detail.message.clone()).into_response();
        if let Some(retry_after) = self.0.retry_after() {
            res.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(retry_after),
            );
        }
        res.extensions_mut().insert(PageFailure(detail));
        res
    }
}

/// What a page handler returns.
pub type PageResult = Result<Response, PageError>;
