//! The programme's money: budgets, R&D zones, relief rules and the benefits simulator
//! (public); relief records and caps (programme officers); the allocation optimiser
//! (selection officers).
#![forbid(unsafe_code)]

// The shared plumbing, under the names the feature's modules use.
pub(crate) use poles_web_kit::{http, ui, AppState};

mod api;
mod pages;

pub use api::api;
pub use pages::pages;
