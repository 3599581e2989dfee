//! The one integration-test binary: real servers on port 0 over real databases (SQLite, and
//! PostgreSQL when `POLES_TEST_DATABASE_URL` is set), driven over HTTP like users drive them.
#![expect(
    clippy::unwrap_used,
    reason = "test helpers unwrap too: a panic there is a failed test with its message"
)]

mod account_pages;
mod accounts;
mod api;
mod applications;
mod backup;
mod boundary;
mod browser;
mod calls;
mod demo;
mod establishments;
mod followup;
mod funding;
mod house_rules;
mod import;
mod joining;
mod labels;
mod limits;
mod openapi;
mod opendata;
mod pages;
mod recommend;
mod search;
mod selection;
mod servers;
mod signup;
mod smtp_sink;
mod specialisation;
mod store;
mod support;
mod today;
mod transitions;
mod workflow_pages;
mod worklists;
