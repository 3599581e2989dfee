//! The HTTP layer of Pôles: the public atlas (server-rendered, FR/EN), the forms of every
//! journey and the JSON API with its OpenAPI document. Handlers call the use cases of
//! `poles-app`; no web crate reaches the store.
//!
//! The house: this crate holds the route table ([`router`]), which merges the features; each
//! feature is a folder of its own under `src/features/` (its JSON API, its pages and its
//! routes) that never names another feature (a house rule checks the sources); `kit/`
//! (`poles-web-kit`) is what they share: the HTTP plumbing and the page chrome. The features
//! were once one crate each: nine crates each instantiating axum, serde and askama cost
//! twice the compile work of one, for no gain in rebuilds (incremental compilation gives it).
#![forbid(unsafe_code)]

mod features {
    pub mod accounts;
    pub mod applications;
    pub mod atlas;
    pub mod calls;
    pub mod dashboards;
    pub mod edits;
    pub mod followup;
    pub mod funding;
    pub mod joining;
    pub mod labels;
    pub mod opendata;
    pub mod partners;
    pub mod selection;
    pub mod specialisation;
}
mod router;

// The shared plumbing, under the names the features' modules use.
pub(crate) use poles_web_kit::{http, ui};
pub use poles_web_kit::{AppState, AuthConfig};
pub use router::router;
