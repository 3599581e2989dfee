//! The HTTP layer of Pôles: the public atlas (server-rendered, FR/EN), the forms of every
//! journey and the JSON API with its OpenAPI document. Handlers call the use cases of
//! `poles-app`; no web crate reaches the store.
//!
//! The house: this crate holds the route table ([`router`]), which merges the features; each
//! feature is a crate of its own under `features/` (its JSON API, its pages and its routes),
//! built in parallel with the others and unable to import them; `kit/` (`poles-web-kit`) is
//! what they share: the HTTP plumbing and the page chrome.
#![forbid(unsafe_code)]

mod router;

pub use poles_web_kit::{AppState, AuthConfig};
pub use router::router;
