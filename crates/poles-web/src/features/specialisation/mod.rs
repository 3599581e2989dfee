//! Regional specialisation: where France is strong in each sector (location quotients and
//! the European Cluster Observatory's stars on a map), regions side by side, and each pôle's
//! territory in its sectors.

use crate::AppState;

mod api;
mod pages;

/// The feature's JSON operations.
pub fn api() -> utoipa_axum::router::OpenApiRouter<AppState> {
    api::api()
}

/// The feature's pages.
pub fn pages() -> axum::Router<AppState> {
    pages::pages()
}
