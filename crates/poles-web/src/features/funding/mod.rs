//! The programme's money: budgets, R&D zones, relief rules and the benefits simulator
//! (public); relief records and caps (programme officers); the allocation optimiser
//! (selection officers).

mod api;
mod pages;

pub use api::api;
pub use pages::pages;
