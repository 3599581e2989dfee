//! HTTP plumbing shared by every feature: errors at the edge, extractors, parameters and the
//! authentication middleware.

pub mod auth;
pub mod error;
pub mod extract;
pub mod params;
pub mod request_id;
