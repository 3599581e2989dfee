//! The public atlas: clusters, organisations, projects, regions, sectors, partnerships,
//! news and search, as pages and as the registry's JSON API.
#![forbid(unsafe_code)]

// The shared plumbing, under the names the feature's modules use.
pub(crate) use poles_web_kit::{http, ui, AppState};

mod api;
mod pages;

pub use api::api;
pub use pages::pages;
