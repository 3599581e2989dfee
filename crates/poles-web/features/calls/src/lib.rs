//! Calls for projects: their rule sets with their sources, funders and criteria, opened by
//! officers from an earlier call, and the live check of a project against a call's rules.
#![forbid(unsafe_code)]

// The shared plumbing, under the names the feature's modules use.
pub(crate) use poles_web_kit::{http, ui, AppState};

mod api;
mod pages;

pub use api::api;
pub use pages::pages;
