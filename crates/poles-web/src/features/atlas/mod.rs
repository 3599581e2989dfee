//! The public atlas: clusters, organisations, projects, regions, sectors, partnerships,
//! news and search, as pages and as the registry's JSON API.

mod api;
mod pages;

pub use api::api;
pub use pages::pages;
