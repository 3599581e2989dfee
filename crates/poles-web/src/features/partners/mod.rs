//! Partners: suggestions to complete a consortium (public, within the search limit).

mod api;

pub use api::api;
