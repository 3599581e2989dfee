//! The HTTP layer of Pôles: the public atlas (server-rendered, FR/EN), the forms of every
//! journey and the JSON API with its OpenAPI document. Handlers call the use cases of
//! `poles-app`; this crate never reaches the store.
//!
//! The house: [`router`] merges the features; each folder of [`features`] holds one
//! feature's API and pages; [`http`] is the plumbing they share (errors, extractors,
//! parameters, authentication) and [`ui`] what their pages share. Features never import
//! each other.
#![forbid(unsafe_code)]

pub mod features;
pub mod http;
mod router;
mod state;
pub mod ui;

pub use http::auth::AuthConfig;
pub use router::router;
pub use state::AppState;
