//! Applications to calls: the lead drafts, invites partners and asks clusters to label;
//! partners answer and enter their budgets; cluster managers decide; the lead submits. As
//! JSON, as pages (the application with its rules explained, the label letter, a cluster's
//! requests) and as the forms of that journey.
#![forbid(unsafe_code)]

// The shared plumbing, under the names the feature's modules use.
pub(crate) use poles_web_kit::{http, ui, AppState};

mod api;
mod pages;

pub use api::api;
pub use pages::pages;
