//! Applications to calls: the lead drafts, invites partners and asks clusters to label;
//! partners answer and enter their budgets; cluster managers decide; the lead submits. As
//! JSON, as pages (the application with its rules explained, the label letter, a cluster's
//! requests) and as the forms of that journey.

mod api;
mod pages;

pub use api::api;
pub use pages::pages;
