//! Review and selection: reviewers assigned and scoring blind, a ranking per call, the
//! funders' envelopes, funding proposals and their approvals.

mod api;
mod pages;

pub use api::api;
pub use pages::pages;
