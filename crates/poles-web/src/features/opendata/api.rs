//! Open data, the JSON operation: the catalogue.

use crate::http::error::ApiError;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use poles_app::opendata::{self, Catalogue};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(api_catalogue))
}

/// Every public dataset: what it holds, its licence and source, its columns, and where to
/// download it as CSV or JSON (`/open-data/{name}.csv`, with ETag and byte ranges).
#[utoipa::path(get, path = "/api/v1/open-data", tag = "open-data",
    responses((status = 200, body = Catalogue)))]
async fn api_catalogue(State(st): State<AppState>) -> Result<Json<Catalogue>, ApiError> {
    Ok(Json(opendata::catalogue(&st.app).await?))
}
