//! Funding dashboards: the regional EU-fund operations by region, fund and year (charts with
//! their tables and exports), beside links to the platform's own money and the pôles'
//! indicators.

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
