//! After the decision: the consortium agreement, finalisation or lapse, the payment
//! schedule, claims and payments, milestones, the project's status, and the public list of
//! funded projects. JSON only: the forms of the application's page belong to the
//! applications and selection features.
#![forbid(unsafe_code)]

// The shared plumbing, under the names the feature's modules use.
pub(crate) use poles_web_kit::{http, AppState};

mod api;

pub use api::api;

use axum::Router;

pub fn pages() -> Router<AppState> {
    Router::new()
}
