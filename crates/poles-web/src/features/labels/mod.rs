//! The State's label as a process: campaigns, candidacies, the committee's blind review,
//! the regions' opinions and the four-eyes decisions that publish a pôle's label history.

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
