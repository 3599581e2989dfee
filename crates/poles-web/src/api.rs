//! The JSON API under `/api/v1`, described by the OpenAPI document at `/api/openapi.json`.
//! Handlers are thin: parse, call the store, serialise.

use crate::error::{ApiError, ErrorBody};
use crate::params::{self, Params};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use poles_core::model::*;
use poles_store::{registry, search};
use utoipa::OpenApi;

type ApiResult<T> = Result<Json<T>, ApiError>;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/clusters", get(list_clusters))
        .route("/api/v1/clusters/{slug}", get(get_cluster))
        .route("/api/v1/organisations", get(list_organisations))
        .route("/api/v1/organisations/{id}", get(get_organisation))
        .route("/api/v1/projects", get(list_projects))
        .route("/api/v1/projects/{id}", get(get_project))
        .route("/api/v1/partnerships", get(list_partnerships))
        .route("/api/v1/programme/figures", get(programme_figures))
        .route("/api/v1/sectors", get(list_sectors))
        .route("/api/v1/regions", get(list_regions))
        .route("/api/v1/search", get(search_all))
        .route("/api/openapi.json", get(openapi))
}

/// Clusters, filtered and paged.
#[utoipa::path(get, path = "/api/v1/clusters", tag = "registry",
    params(
        ("sector" = Option<String>, Query, description = "Sector code, e.g. `ict`"),
        ("region" = Option<String>, Query, description = "INSEE code of a current region, e.g. `84`"),
        ("label" = Option<String>, Query, description = "Tier: `mondial`, `vocation_mondiale` or `national`"),
        ("status" = Option<String>, Query, description = "`labelled`, `probation` or `delabelled`"),
        ("q" = Option<String>, Query, description = "Text search in names, aliases and themes"),
        ("limit" = Option<i64>, Query, description = "1-500, default 50"),
        ("offset" = Option<i64>, Query, description = "Default 0"),
    ),
    responses((status = 200, body = Paged<ClusterSummary>), (status = 400, body = ErrorBody)))]
async fn list_clusters(
    State(st): State<AppState>,
    Query(p): Query<Params>,
) -> ApiResult<Paged<ClusterSummary>> {
    let filter = params::cluster_filter(&st.db, &p).await?;
    let page = params::page(&p)?;
    Ok(Json(registry::list_clusters(&st.db, &filter, page).await?))
}

/// One cluster with its members, label history, partnerships and number of projects.
#[utoipa::path(get, path = "/api/v1/clusters/{slug}", tag = "registry",
    params(("slug" = String, Path, description = "The cluster's slug")),
    responses((status = 200, body = ClusterDetail), (status = 404, body = ErrorBody)))]
async fn get_cluster(
    State(st): State<AppState>,
    Path(slug): Path<String>,
) -> ApiResult<ClusterDetail> {
    registry::cluster(&st.db, &slug)
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound("cluster"))
}

/// Organisations (members, project partners), filtered and paged.
#[utoipa::path(get, path = "/api/v1/organisations", tag = "registry",
    params(
        ("q" = Option<String>, Query, description = "Text search in names"),
        ("country" = Option<String>, Query, description = "Two-letter country code as the source gives it (CORDIS: `UK`, `EL`)"),
        ("kind" = Option<String>, Query, description = "Organisation kind, e.g. `university`"),
        ("limit" = Option<i64>, Query), ("offset" = Option<i64>, Query),
    ),
    responses((status = 200, body = Paged<OrganisationSummary>), (status = 400, body = ErrorBody)))]
async fn list_organisations(
    State(st): State<AppState>,
    Query(p): Query<Params>,
) -> ApiResult<Paged<OrganisationSummary>> {
    let filter = params::organisation_filter(&p)?;
    let page = params::page(&p)?;
    Ok(Json(
        registry::list_organisations(&st.db, &filter, page).await?,
    ))
}

/// One organisation with its memberships and projects.
#[utoipa::path(get, path = "/api/v1/organisations/{id}", tag = "registry",
    params(("id" = i64, Path)),
    responses((status = 200, body = OrganisationDetail), (status = 404, body = ErrorBody)))]
async fn get_organisation(
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<OrganisationDetail> {
    let id = params::path_id(&id, "organisation")?;
    registry::organisation(&st.db, id)
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound("organisation"))
}

/// Collaborative projects, filtered and paged.
#[utoipa::path(get, path = "/api/v1/projects", tag = "registry",
    params(
        ("q" = Option<String>, Query, description = "Text search in acronyms, titles and topics"),
        ("cluster" = Option<String>, Query, description = "Slug of a cluster: projects of its members or labelled by it"),
        ("organisation" = Option<i64>, Query, description = "Id of an organisation"),
        ("limit" = Option<i64>, Query), ("offset" = Option<i64>, Query),
    ),
    responses((status = 200, body = Paged<ProjectSummary>), (status = 400, body = ErrorBody)))]
async fn list_projects(
    State(st): State<AppState>,
    Query(p): Query<Params>,
) -> ApiResult<Paged<ProjectSummary>> {
    let filter = params::project_filter(&st.db, &p).await?;
    let page = params::page(&p)?;
    Ok(Json(registry::list_projects(&st.db, &filter, page).await?))
}

/// One project with its partners.
#[utoipa::path(get, path = "/api/v1/projects/{id}", tag = "registry",
    params(("id" = i64, Path)),
    responses((status = 200, body = ProjectDetail), (status = 404, body = ErrorBody)))]
async fn get_project(
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<ProjectDetail> {
    let id = params::path_id(&id, "project")?;
    registry::project(&st.db, id)
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound("project"))
}

/// Every partnership between clusters, French or foreign.
#[utoipa::path(get, path = "/api/v1/partnerships", tag = "registry",
    responses((status = 200, body = Vec<Partnership>)))]
async fn list_partnerships(State(st): State<AppState>) -> ApiResult<Vec<Partnership>> {
    Ok(Json(registry::partnerships(&st.db, None).await?))
}

/// The programme's money, label criteria and polls, each with its source and certainty.
#[utoipa::path(get, path = "/api/v1/programme/figures", tag = "programme",
    responses((status = 200, body = ProgrammeFacts)))]
async fn programme_figures(State(st): State<AppState>) -> ApiResult<ProgrammeFacts> {
    Ok(Json(registry::programme_facts(&st.db).await?))
}

/// Sectors of the programme.
#[utoipa::path(get, path = "/api/v1/sectors", tag = "registry",
    responses((status = 200, body = Vec<Sector>)))]
async fn list_sectors(State(st): State<AppState>) -> ApiResult<Vec<Sector>> {
    Ok(Json(registry::sectors(&st.db).await?))
}

/// Today's regions with their clusters and the regions of 2007 they merged.
#[utoipa::path(get, path = "/api/v1/regions", tag = "registry",
    responses((status = 200, body = Vec<RegionSummary>)))]
async fn list_regions(State(st): State<AppState>) -> ApiResult<Vec<RegionSummary>> {
    Ok(Json(registry::regions(&st.db).await?))
}

/// One search across clusters, organisations and projects, ranked.
#[utoipa::path(get, path = "/api/v1/search", tag = "registry",
    params(
        ("q" = String, Query, description = "Words to find"),
        ("kind" = Option<String>, Query, description = "`cluster`, `organisation` or `project`"),
        ("limit" = Option<i64>, Query), ("offset" = Option<i64>, Query),
    ),
    responses((status = 200, body = SearchResults), (status = 400, body = ErrorBody)))]
async fn search_all(
    State(st): State<AppState>,
    Query(p): Query<Params>,
) -> ApiResult<SearchResults> {
    let q = params::q(&p)?.ok_or_else(|| poles_core::FieldError::new("q", "is required"))?;
    let kind = match p.get("kind").map(String::as_str).filter(|k| !k.is_empty()) {
        None => None,
        Some(k @ ("cluster" | "organisation" | "project")) => Some(k),
        Some(_) => {
            return Err(poles_core::FieldError::new(
                "kind",
                "must be cluster, organisation or project",
            )
            .into())
        }
    };
    let page = params::page(&p)?;
    Ok(Json(search::search(&st.db, &q, kind, page).await?))
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Pôles API",
        description = "The public registry of a competitiveness-cluster programme: clusters, organisations, projects, partnerships and the programme's figures."
    ),
    paths(
        list_clusters,
        get_cluster,
        list_organisations,
        get_organisation,
        list_projects,
        get_project,
        list_partnerships,
        programme_figures,
        list_sectors,
        list_regions,
        search_all
    ),
    components(schemas(ErrorBody))
)]
pub struct ApiDoc;

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
