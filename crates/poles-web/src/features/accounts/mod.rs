//! Accounts: signing in, one's own account and inbox, users and roles (admins), the audit
//! trail (officers).

mod api;
mod pages;

pub use api::api;
pub use pages::pages;
