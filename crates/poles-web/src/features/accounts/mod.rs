//! Accounts: signing up and in, organisation claims, one's own account and inbox, users and roles (admins), the audit
//! trail (officers).

use crate::AppState;

mod api;
mod pages;
mod signup;

/// The feature's JSON operations.
pub fn api() -> utoipa_axum::router::OpenApiRouter<AppState> {
    api::api().merge(signup::api())
}

/// The feature's pages.
pub fn pages() -> axum::Router<AppState> {
    pages::pages().merge(signup::pages())
}
