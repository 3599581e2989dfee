//! Review and selection: reviewers assigned and scoring blind, a ranking per call, the
//! funders' envelopes, funding proposals and their approvals.
#![forbid(unsafe_code)]

// The shared plumbing, under the names the feature's modules use.
pub(crate) use poles_web_kit::{http, ui, AppState};

mod api;
mod pages;

pub use api::api;
pub use pages::pages;
