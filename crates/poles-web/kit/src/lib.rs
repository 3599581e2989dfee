//! What every feature of the web layer shares: the state handlers receive, the HTTP
//! plumbing (errors at the edge, extractors, parameters, the authentication middleware) and
//! what pages share (the frame of every page, rendering and error pages, strings in two
//! languages, formatting, server-side maps and charts). Generic on purpose: nothing here
//! knows a feature.
#![forbid(unsafe_code)]

pub mod http;
mod state;
pub mod ui;

pub use http::auth::AuthConfig;
pub use state::AppState;
