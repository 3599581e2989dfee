//! Partners: suggestions to complete a consortium (public, within the search limit), and on
//! a draft application for its lead.

mod api;

pub use api::api;
