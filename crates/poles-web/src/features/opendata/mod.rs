//! Open data: the catalogue of every public dataset and its files (CSV, JSON) with ETags
//! and byte ranges.

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
