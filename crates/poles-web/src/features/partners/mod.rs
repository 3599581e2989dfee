//! Partners: suggestions to complete a consortium (public, within the search limit), and on
//! a draft application for its lead; expressions of interest between organisations.

mod api;
mod contacts;

/// The feature's JSON operations.
pub fn api() -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    api::api().merge(contacts::api())
}

/// The feature's pages.
pub fn pages() -> axum::Router<crate::AppState> {
    contacts::pages()
}
