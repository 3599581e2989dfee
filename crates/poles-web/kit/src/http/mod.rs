//! HTTP plumbing shared by every feature: errors at the edge, extractors, parameters, the
//! authentication middleware and the OpenAPI document's shared parts.

pub mod auth;
pub mod boundary;
pub mod error;
pub mod extract;
pub mod openapi;
pub mod params;
pub mod public_cache;
pub mod request_id;
