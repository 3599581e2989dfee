//! What every handler shares. Nothing here must be shared between app servers: the use
//! cases keep that in the database; the maps are projected from shipped static data; the
//! public answers kept are checked against the database's data version on every request.

use crate::http::auth::AuthConfig;
use crate::http::public_cache::CachedResponse;
use crate::ui::map::Maps;
use poles_app::readcache::ReadCache;
use poles_app::App;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub maps: Arc<Maps>,
    pub auth: Arc<AuthConfig>,
    /// Public answers kept while the data version holds (see [`crate::http::public_cache`]).
    pub responses: Arc<ReadCache<CachedResponse>>,
}

impl AppState {
    pub fn new(app: App, auth: AuthConfig) -> AppState {
        let keep = app.config().read_cache;
        AppState {
            app,
            maps: Arc::new(Maps::load()),
            auth: Arc::new(auth),
            responses: Arc::new(ReadCache::new(
                if keep { 2_000 } else { 0 },
                std::time::Duration::from_secs(60),
            )),
        }
    }
}
