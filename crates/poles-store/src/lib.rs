//! Storage of Pôles: one interface over SQLite (embedded default) and PostgreSQL (several
//! stateless app servers on one database). Queries are written once in the SQL both backends
//! share and checked at run time through sqlx's `Any` driver; each backend has its own
//! migration folder for the few places where their DDL differs.
#![forbid(unsafe_code)]

pub mod accounts;
pub mod applications;
pub mod audit;
pub mod backup;
pub mod calls;
pub mod contacts;
pub mod db;
pub mod demo;
pub mod edits;
pub mod error;
pub mod establishments;
pub mod eu_funds;
pub mod export;
pub mod followup;
pub mod funding;
pub mod import;
pub mod inbox;
pub mod joining;
pub mod keyring;
pub mod labels;
pub mod mail;
pub mod membership;
pub mod performance;
pub mod rate;
pub mod recommend;
pub mod registry;
pub mod search;
pub mod selection;
pub mod specialisation;
pub mod today;
mod util;
pub mod version;
pub mod worklists;

pub use db::{Backend, Db};
pub use error::StoreError;
