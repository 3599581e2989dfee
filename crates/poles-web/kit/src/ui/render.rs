//! Rendering pages, and the error pages of the site: a failed page handler returns a
//! [`PageError`](crate::http::error::PageError) and the [`error_pages`] layer turns it into a
//! page with the site's header, in the request's language.

use crate::http::error::{ErrorDetail, PageFailure, PageResult};
use crate::ui::chrome::Chrome;
use askama::Template;
use axum::body::Body;
use axum::extract::FromRequestParts;
use axum::http::{Request, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

/// Renders a page with 200.
pub fn render(t: impl Template) -> PageResult {
    Ok(render_with(t, StatusCode::OK))
}

/// Renders a page with a status of its own (a refused form shown again: 400); a template
/// failure is logged and answered 500.
pub fn render_with(t: impl Template, status: StatusCode) -> Response {
    match t.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// A list's view as a CSV download: the header, then one line per row, each cell through
/// [`csv_cell`](crate::ui::format::csv_cell) (quoted, formulas neutralised).
pub fn csv_download<R: IntoIterator<Item = String>>(
    filename: &str,
    header: &[&str],
    rows: impl IntoIterator<Item = R>,
) -> Response {
    let line = |cells: &mut dyn Iterator<Item = String>| {
        cells
            .map(|v| crate::ui::format::csv_cell(&v))
            .collect::<Vec<_>>()
            .join(",")
            + "\r\n"
    };
    let mut out = line(&mut header.iter().map(|h| (*h).to_string()));
    for r in rows {
        out.push_str(&line(&mut r.into_iter()));
    }
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/csv; charset=utf-8".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        out,
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    c: Chrome,
    status: u16,
    message: String,
}

/// The message a person reads for an error, in the page's language.
fn message(c: &Chrome, status: StatusCode, field: Option<&str>, reason: &str) -> String {
    let fr = c.lang() == poles_core::Lang::Fr;
    match status {
        StatusCode::NOT_FOUND if fr => "Cette page n'existe pas.".to_string(),
        StatusCode::NOT_FOUND => "This page does not exist.".to_string(),
        StatusCode::BAD_REQUEST => format!(
            "{} {}: {}",
            if fr {
                "Paramètre invalide"
            } else {
                "Invalid parameter"
            },
            field.unwrap_or_default(),
            c.t.said(reason)
        ),
        // A form posted with an expired or missing token, or from another site.
        StatusCode::FORBIDDEN if field == Some(crate::http::error::CSRF_HEADER) => {
            let text = if fr {
                "Ce formulaire a expiré ou ne vient pas de ce site. Revenez en arrière, rechargez la page et recommencez."
            } else {
                "This form has expired or did not come from this site. Go back, reload the page and try again."
            };
            text.to_string()
        }
        StatusCode::FORBIDDEN if fr => format!("Accès refusé ({reason})."),
        StatusCode::METHOD_NOT_ALLOWED if fr => "Cette adresse ne s'utilise pas ainsi.".to_string(),
        StatusCode::PAYLOAD_TOO_LARGE if fr => {
            "Le contenu envoyé dépasse la limite de 1 Mio.".to_string()
        }
        StatusCode::URI_TOO_LONG if fr => "L'adresse dépasse la limite de 8 Kio.".to_string(),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE if fr => {
            "Les en-têtes de la requête dépassent la limite de 16 Kio.".to_string()
        }
        StatusCode::UNAUTHORIZED if fr => "Connectez-vous d'abord.".to_string(),
        StatusCode::CONFLICT if fr => {
            "La fiche a changé depuis votre lecture : rechargez-la.".to_string()
        }
        s if s.is_client_error() => c.t.said(reason),
        StatusCode::SERVICE_UNAVAILABLE if fr => {
            "Le service est momentanément indisponible ; réessayez dans quelques secondes."
                .to_string()
        }
        StatusCode::SERVICE_UNAVAILABLE => {
            "The service is unavailable for a moment; try again in a few seconds.".to_string()
        }
        _ if fr => "Erreur interne ; elle a été journalisée.".to_string(),
        _ => "Internal error; it has been logged.".to_string(),
    }
}

/// Renders the failures of page handlers as pages of the site, in the request's language.
pub async fn error_pages(req: Request<Body>, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let Ok(c) = Chrome::from_request_parts(&mut parts, &()).await;
    let res = next.run(Request::from_parts(parts, body)).await;
    let Some(PageFailure(detail)) = res.extensions().get::<PageFailure>().cloned() else {
        return res;
    };
    failure_page(c, &res, &detail)
}

/// The page of a failure already answered as `res` (its status and `Retry-After` kept).
pub fn failure_page(c: Chrome, res: &Response, detail: &ErrorDetail) -> Response {
    let status = res.status();
    let page = ErrorPage {
        message: message(&c, status, detail.field.as_deref(), &detail.message),
        status: status.as_u16(),
        c,
    };
    let mut out = render_with(page, status);
    // Keep what the handler said about retrying.
    if let Some(v) = res.headers().get(axum::http::header::RETRY_AFTER) {
        out.headers_mut()
            .insert(axum::http::header::RETRY_AFTER, v.clone());
    }
    out
}
