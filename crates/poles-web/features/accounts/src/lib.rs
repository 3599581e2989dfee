//! Accounts: signing in, one's own account and inbox, users and roles (admins), the audit
//! trail (officers).
#![forbid(unsafe_code)]

// The shared plumbing, under the names the feature's modules use.
pub(crate) use poles_web_kit::{http, ui, AppState};

mod api;
mod pages;

pub use api::api;
pub use pages::pages;
