//! Calls for projects: their rule sets with their sources, funders and criteria, opened by
//! officers from an earlier call, and the live check of a project against a call's rules.

mod api;
mod pages;

pub use api::api;
pub use pages::pages;
