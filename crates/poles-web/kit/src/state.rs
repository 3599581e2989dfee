//! What every handler shares. Nothing here must be shared between app servers: the use
//! cases keep that in the database; the maps are projected from shipped static data.

use crate::http::auth::AuthConfig;
use crate::ui::map::Maps;
use poles_app::App;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub maps: Arc<Maps>,
    pub auth: Arc<AuthConfig>,
}

impl AppState {
    pub fn new(app: App, auth: AuthConfig) -> AppState {
        AppState {
            app,
            maps: Arc::new(Maps::load()),
            auth: Arc::new(auth),
        }
    }
}
