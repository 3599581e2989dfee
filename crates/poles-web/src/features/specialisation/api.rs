//! Regional specialisation, the JSON operations: thin handlers over the use cases.

use crate::http::error::{ApiError, ErrorBody};
use crate::http::params::{self, Params};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::Json;
use poles_app::specialisation::{
    self, CompareQuery, DatasetView, RegionComparison, SpecialisationTable, TableQuery, Territory,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api_datasets))
        .routes(routes!(api_table))
        .routes(routes!(api_compare))
        .routes(routes!(api_territory))
}

pub(super) fn table_query(p: &Params) -> TableQuery {
    TableQuery {
        dataset: params::get(p, "dataset"),
        level: params::get(p, "level"),
        grouping: params::get(p, "grouping"),
        sector: params::get(p, "sector"),
    }
}

pub(super) fn compare_query(p: &Params) -> CompareQuery {
    CompareQuery {
        dataset: params::get(p, "dataset"),
        regions: params::get(p, "regions"),
        grouping: params::get(p, "grouping"),
    }
}

/// The establishment registries imported (the latest import of each source), real ones
/// first; generated ones are marked `fictional`.
#[utoipa::path(get, path = "/api/v1/specialisation/datasets", tag = "specialisation",
    responses((status = 200, body = Vec<DatasetView>)))]
async fn api_datasets(State(st): State<AppState>) -> Result<Json<Vec<DatasetView>>, ApiError> {
    Ok(Json(specialisation::datasets(&st.app).await?))
}

/// Every area's specialisation in one sector: employment, establishments, location
/// quotient, the Observatory's stars (with the rules in force and their source), growth
/// since the source's previous import, and today's pôles of the sector in each area.
#[utoipa::path(get, path = "/api/v1/specialisation", tag = "specialisation",
    params(TableQuery),
    responses((status = 200, body = SpecialisationTable), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn api_table(
    State(st): State<AppState>,
    Query(p): Query<Params>,
) -> Result<Json<SpecialisationTable>, ApiError> {
    Ok(Json(
        specialisation::table(&st.app, &table_query(&p)).await?,
    ))
}

/// Up to ten regions side by side in every sector of a grouping.
#[utoipa::path(get, path = "/api/v1/specialisation/compare", tag = "specialisation",
    params(CompareQuery),
    responses((status = 200, body = RegionComparison), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn api_compare(
    State(st): State<AppState>,
    Query(p): Query<Params>,
) -> Result<Json<RegionComparison>, ApiError> {
    Ok(Json(
        specialisation::compare(&st.app, &compare_query(&p)).await?,
    ))
}

/// A pôle's territory in its sectors: its regions' quotients and stars, the establishments
/// and jobs of its sectors there, and the largest of them (candidates, not members).
#[utoipa::path(get, path = "/api/v1/clusters/{slug}/territory", tag = "specialisation",
    params(("slug" = String, Path, description = "The cluster's slug")),
    responses((status = 200, body = Territory), (status = 404, body = ErrorBody)))]
async fn api_territory(
    State(st): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Json<Territory>, ApiError> {
    Ok(Json(specialisation::territory(&st.app, &slug).await?))
}
