//! Joining a pôle: an organisation asks from the pôle's page, the pôle's managers accept or
//! decline, members leave and choose whether public pages list them.

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
