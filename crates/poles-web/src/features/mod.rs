//! One folder per feature, each with its JSON API (`api.rs`), its pages (`pages.rs`) and its
//! routes (`mod.rs`). A feature imports `http`, `ui` and the use cases, never another
//! feature: a page that gathers several is composed from use cases.

pub mod accounts;
pub mod applications;
pub mod atlas;
pub mod calls;
pub mod edits;
pub mod followup;
pub mod funding;
pub mod selection;
