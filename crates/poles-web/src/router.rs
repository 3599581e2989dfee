//! The route table: each feature's pages and API merged, the static files, the health
//! check, and the middleware every answer goes through.

use axum::extract::State;
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use poles_web_kit::http::boundary;
use poles_web_kit::http::error::{ApiError, ErrorBody, PageError};
use poles_web_kit::ui::render::error_pages;
use poles_web_kit::{http, AppState};
use std::sync::Arc;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

const CSS: &str = include_str!("../static/style.css");
const JS: &str = include_str!("../static/app.js");
const ICON: &str = include_str!("../static/favicon.svg");

/// Content-Security-Policy: no inline script or style anywhere, nothing from elsewhere.
const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                   object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Pôles API",
        description = "The public registry of a competitiveness-cluster programme: clusters, organisations, projects, partnerships and the programme's figures."
    ),
    components(schemas(ErrorBody))
)]
struct ApiDoc;

/// The API of every feature with its OpenAPI document, registered together so that no
/// route can be missing from the document.
fn api() -> Router<AppState> {
    let (router, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(crate::features::atlas::api())
        .merge(crate::features::edits::api())
        .merge(crate::features::accounts::api())
        .merge(crate::features::calls::api())
        .merge(crate::features::applications::api())
        .merge(crate::features::selection::api())
        .merge(crate::features::followup::api())
        .merge(crate::features::funding::api())
        .merge(crate::features::partners::api())
        .merge(crate::features::joining::api())
        .merge(crate::features::labels::api())
        .merge(crate::features::specialisation::api())
        .merge(crate::features::opendata::api())
        .merge(crate::features::dashboards::api())
        .split_for_parts();
    let mut doc = doc;
    http::openapi::finish(&mut doc);
    let doc = Arc::new(doc);
    router.route(
        "/api/openapi.json",
        get(move || {
            let doc = doc.clone();
            async move { Json(doc.as_ref().clone()) }
        }),
    )
}

fn pages() -> Router<AppState> {
    Router::new()
        .merge(crate::features::atlas::pages())
        .merge(crate::features::edits::pages())
        .merge(crate::features::accounts::pages())
        .merge(crate::features::calls::pages())
        .merge(crate::features::applications::pages())
        .merge(crate::features::selection::pages())
        .merge(crate::features::followup::pages())
        .merge(crate::features::funding::pages())
        .merge(crate::features::joining::pages())
        .merge(crate::features::labels::pages())
        .merge(crate::features::partners::pages())
        .merge(crate::features::specialisation::pages())
        .merge(crate::features::opendata::pages())
        .merge(crate::features::dashboards::pages())
}

pub fn router(state: AppState) -> Router {
    let header = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    let asset = |content_type: &'static str, body: &'static str| {
        get(move || async move {
            (
                [
                    (header::CONTENT_TYPE, content_type),
                    (header::CACHE_CONTROL, "public, max-age=3600"),
                ],
                body,
            )
        })
    };
    Router::new()
        .merge(pages())
        .merge(api())
        .route("/healthz", get(healthz))
        .route("/static/style.css", asset("text/css; charset=utf-8", CSS))
        .route(
            "/static/app.js",
            asset("text/javascript; charset=utf-8", JS),
        )
        // Browsers ask for /favicon.ico whatever the page says: the same SVG answers both.
        .route("/static/favicon.svg", asset("image/svg+xml", ICON))
        .route("/favicon.ico", asset("image/svg+xml", ICON))
        .fallback(not_found)
        .method_not_allowed_fallback(boundary::method_not_allowed)
        // Inside the page-error layer, so that its refusals become pages of the site; after
        // the caller is resolved, which reads no path, query or body text.
        .layer(axum::middleware::from_fn(
            boundary::refuse_control_characters,
        ))
        .layer(axum::middleware::from_fn(error_pages))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            http::auth::resolve,
        ))
        // Outside the caller's resolution: an anonymous public read kept in memory is
        // answered before anything else runs.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            http::public_cache::serve_kept,
        ))
        .with_state(state)
        // The limits are `limit_body`'s (the extractors' own 2 MB would refuse an upload).
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(axum::middleware::from_fn(boundary::limit_body))
        // Inside the security headers, so that its refusals carry them too.
        .layer(axum::middleware::from_fn(boundary::shape_refusals))
        .layer(header(header::CONTENT_SECURITY_POLICY, CSP))
        .layer(header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header(header::X_FRAME_OPTIONS, "DENY"))
        .layer(header(
            header::REFERRER_POLICY,
            "strict-origin-when-cross-origin",
        ))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
        // Every request gets an `x-request-id` of the server's (a random UUID), echoed on the
        // response, so that logs and reports can name it; the audit trail records it. An id
        // the client sent is taken off first and kept apart (64 visible characters at most).
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(axum::middleware::from_fn(http::request_id::take_client_id))
}

/// Whether this server can reach its database: 503 with `Retry-After` otherwise, as fast as
/// the pool's acquire timeout.
async fn healthz(State(st): State<AppState>) -> axum::response::Response {
    match st.app.ping().await {
        Ok(()) => (StatusCode::OK, "ok").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, "5")],
                "database unavailable",
            )
                .into_response()
        }
    }
}

async fn not_found(uri: axum::http::Uri) -> axum::response::Response {
    if uri.path().starts_with("/api/") {
        ApiError::not_found("resource").into_response()
    } else {
        PageError(ApiError::not_found("page")).into_response()
    }
}
