//! Writes to the registry: a cluster's profile, members, partnerships and label history, an
//! organisation's profile, the programme's figures, news and events, as JSON and as the
//! forms shown on the pages to the people allowed to use them.

mod api;
mod pages;

pub use api::api;
pub use pages::pages;
