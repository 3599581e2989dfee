//! Domain types, rules and parsers of Pôles. No web framework and no database here:
//! everything in this crate is plain data and pure functions, so it is easy to test.
#![forbid(unsafe_code)]

pub mod auth;
pub mod calls;
pub mod cordis;
pub mod date;
pub mod eccp;
pub mod establishments;
pub mod geo;
pub mod model;
pub mod optimise;
pub mod paris;
pub mod recommend;
pub mod relief;
pub mod review;
pub mod search;
pub mod specialisation;
pub mod status;
pub mod text;
pub mod totp;
pub mod transitions;
pub mod types;

pub use date::Date;
pub use types::*;
