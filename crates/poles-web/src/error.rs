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
}

impl ApiError {
    fn parts(&self) -> (StatusCode, ErrorDetail) {
        match self {
            ApiError::NotFound(what) => (
                StatusCode::NOT_FOUND,
                ErrorDetail {
                    code: "not_found",
                    message: format!("{what} not found"),
                    field: None,
                },
            ),
            ApiError::BadRequest(e) | ApiError::Store(StoreError::Invalid(e)) => (
                StatusCode::BAD_REQUEST,
                ErrorDetail {
                    code: "bad_request",
                    message: e.reason.clone(),
                    field: Some(e.field.clone()),
                },
            ),
            ApiError::Store(e) => {
                tracing::error!(error = %e, "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorDetail {
                        code: "internal",
                        message: "internal error; it has been logged".into(),
                        field: None,
                    },
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, error) = self.parts();
        (status, Json(ErrorBody { error })).into_response()
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
