//! Funding dashboards, the JSON operation.

use crate::http::error::ApiError;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use poles_app::dashboards::{self, EuFunds};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(api_eu_funds))
}

/// The regional EU-fund operations in France (2014-2020 operations; 2007-2013 showcase
/// projects), by today's region and by year, EU amounts per fund, each period with its
/// source. Amounts in euro cents.
#[utoipa::path(get, path = "/api/v1/eu-funds", tag = "dashboards",
    responses((status = 200, body = EuFunds)))]
async fn api_eu_funds(State(st): State<AppState>) -> Result<Json<EuFunds>, ApiError> {
    Ok(Json(dashboards::eu_funds(&st.app).await?))
}
