//! The registry's JSON API: thin handlers that parse, call the use case and serialise.

use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::Visitor;
use crate::http::openapi::PageQuery;
use crate::http::params::{self, Params};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::Json;
use poles_app::atlas::{self, ClusterQuery, OrganisationQuery, ProjectQuery, SearchQuery};
use poles_core::model::*;
use poles_core::FieldError;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

type ApiResult<T> = Result<Json<T>, ApiError>;

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_clusters))
        .routes(routes!(get_cluster))
        .routes(routes!(list_organisations))
        .routes(routes!(get_organisation))
        .routes(routes!(list_projects))
        .routes(routes!(get_project))
        .routes(routes!(list_partnerships))
        .routes(routes!(programme_figures))
        .routes(routes!(list_sectors))
        .routes(routes!(list_regions))
        .routes(routes!(search_all))
        .routes(routes!(list_communes))
        .routes(routes!(list_news))
        .routes(routes!(list_events))
}

pub(super) fn cluster_query(p: &Params) -> ClusterQuery {
    ClusterQuery {
        sector: params::get(p, "sector"),
        region: params::get(p, "region"),
        label: params::get(p, "label"),
        status: params::get(p, "status"),
        programme: params::get(p, "programme"),
        q: params::get(p, "q"),
        sort: params::get(p, "sort"),
    }
}

pub(super) fn organisation_query(p: &Params) -> OrganisationQuery {
    OrganisationQuery {
        q: params::get(p, "q"),
        country: params::get(p, "country"),
        kind: params::get(p, "kind"),
        sort: params::get(p, "sort"),
    }
}

pub(super) fn search_query(p: &Params) -> SearchQuery {
    SearchQuery {
        q: params::get(p, "q"),
        kind: params::get(p, "kind"),
        country: params::get(p, "country"),
        region: params::get(p, "region"),
        sector: params::get(p, "sector"),
        org_kind: params::get(p, "org_kind"),
        naf: params::get(p, "naf"),
        size: params::get(p, "size"),
        pole: params::get(p, "pole"),
    }
}

pub(super) fn project_query(p: &Params) -> ProjectQuery {
    ProjectQuery {
        q: params::get(p, "q"),
        cluster: params::get(p, "cluster"),
        organisation: params::get(p, "organisation"),
        part: params::get(p, "part"),
        year: params::get(p, "year"),
        sort: params::get(p, "sort"),
    }
}

/// Clusters, filtered and paged.
#[utoipa::path(get, path = "/api/v1/clusters", tag = "registry",
    params(
        ("sector" = Option<String>, Query, description = "Sector code, e.g. `ict`"),
        ("region" = Option<String>, Query, description = "INSEE code of a current region, e.g. `84`"),
        ("label" = Option<String>, Query, description = "Tier of the first phase (2005-2008; later phases have none): `mondial`, `vocation_mondiale` or `national`"),
        ("status" = Option<String>, Query, description = "`labelled`, `probation` or `delabelled`"),
        ("programme" = Option<String>, Query, description = "`today` (the default: the pôles of the phase under way), `history` (the first phase, 2005-2008) or `all`"),
        ("q" = Option<String>, Query, description = "Text search in names, aliases and themes"),
        ("sort" = Option<String>, Query, description = "`name` (the default without a search text), `city`, `members` (published count, largest first) or `status`"),
        PageQuery,
    ),
    responses((status = 200, body = Paged<ClusterSummary>), (status = 400, body = ErrorBody)))]
async fn list_clusters(
    State(st): State<AppState>,
    Query(p): Query<Params>,
) -> ApiResult<Paged<ClusterSummary>> {
    let page = params::page(&p)?;
    Ok(Json(
        atlas::clusters(&st.app, &cluster_query(&p), page).await?,
    ))
}

/// One cluster with its members, label history, partnerships and number of projects.
#[utoipa::path(get, path = "/api/v1/clusters/{slug}", tag = "registry",
    params(("slug" = String, Path, description = "The cluster's slug")),
    responses((status = 200, body = ClusterDetail), (status = 404, body = ErrorBody)))]
async fn get_cluster(
    State(st): State<AppState>,
    Path(slug): Path<String>,
) -> ApiResult<ClusterDetail> {
    Ok(Json(atlas::cluster(&st.app, &slug).await?))
}

/// Organisations (members, project partners), filtered and paged.
#[utoipa::path(get, path = "/api/v1/organisations", tag = "registry",
    params(
        ("q" = Option<String>, Query, description = "Text search in names"),
        ("country" = Option<String>, Query, description = "Two-letter country code as the source gives it (CORDIS: `UK`, `EL`)"),
        ("kind" = Option<String>, Query, description = "Organisation kind, e.g. `university`"),
        ("sort" = Option<String>, Query, description = "`name` (the default), `projects` (most first) or `country`"),
        PageQuery,
    ),
    responses((status = 200, body = Paged<OrganisationSummary>), (status = 400, body = ErrorBody)))]
async fn list_organisations(
    State(st): State<AppState>,
    Query(p): Query<Params>,
) -> ApiResult<Paged<OrganisationSummary>> {
    let page = params::page(&p)?;
    Ok(Json(
        atlas::organisations(&st.app, &organisation_query(&p), page).await?,
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
    Ok(Json(atlas::organisation(&st.app, id).await?))
}

/// Collaborative projects, filtered and paged.
#[utoipa::path(get, path = "/api/v1/projects", tag = "registry",
    params(
        ("q" = Option<String>, Query, description = "Text search in acronyms, titles and topics"),
        ("cluster" = Option<String>, Query, description = "Slug of a cluster: projects of its members or labelled by it"),
        ("organisation" = Option<i64>, Query, description = "Id of an organisation"),
        ("part" = Option<String>, Query, description = "A part of Horizon 2020 by its code, e.g. `H2020-EU.3.4.` (transport)"),
        ("year" = Option<i32>, Query, description = "The year the project started"),
        ("sort" = Option<String>, Query, description = "`start` (the default: latest start first), `acronym`, `cost` (largest first) or `partners` (most first)"),
        PageQuery,
    ),
    responses((status = 200, body = Paged<ProjectSummary>), (status = 400, body = ErrorBody)))]
async fn list_projects(
    State(st): State<AppState>,
    Query(p): Query<Params>,
) -> ApiResult<Paged<ProjectSummary>> {
    let page = params::page(&p)?;
    Ok(Json(
        atlas::projects(&st.app, &project_query(&p), page).await?,
    ))
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
    Ok(Json(atlas::project(&st.app, id).await?))
}

/// Every partnership between clusters, French or foreign.
#[utoipa::path(get, path = "/api/v1/partnerships", tag = "registry",
    responses((status = 200, body = Vec<Partnership>)))]
async fn list_partnerships(State(st): State<AppState>) -> ApiResult<Vec<Partnership>> {
    Ok(Json(atlas::partnerships(&st.app).await?))
}

/// The programme's money, label criteria and polls, each with its source and certainty.
#[utoipa::path(get, path = "/api/v1/programme/figures", tag = "programme",
    responses((status = 200, body = ProgrammeFacts)))]
async fn programme_figures(State(st): State<AppState>) -> ApiResult<ProgrammeFacts> {
    Ok(Json(atlas::programme_facts(&st.app).await?))
}

/// Sectors of the programme.
#[utoipa::path(get, path = "/api/v1/sectors", tag = "registry",
    responses((status = 200, body = Vec<Sector>)))]
async fn list_sectors(State(st): State<AppState>) -> ApiResult<Vec<Sector>> {
    Ok(Json(atlas::sectors(&st.app).await?))
}

/// Today's regions with their clusters and the regions of 2007 they merged.
#[utoipa::path(get, path = "/api/v1/regions", tag = "registry",
    responses((status = 200, body = Vec<RegionSummary>)))]
async fn list_regions(State(st): State<AppState>) -> ApiResult<Vec<RegionSummary>> {
    Ok(Json(atlas::regions(&st.app).await?))
}

/// One search across clusters, organisations and projects, ranked by relevance (BM25), with
/// accents and case folded, prefixes, near words for typos and the programme's French and
/// English vocabulary; in groups by kind (pôles first) with facet counts.
#[utoipa::path(get, path = "/api/v1/search", tag = "registry",
    params(
        ("q" = String, Query, description = "Words to find"),
        ("kind" = Option<String>, Query, description = "`cluster`, `organisation` or `project`"),
        ("country" = Option<String>, Query, description = "Two-letter country code (pôles and organisations)"),
        ("region" = Option<String>, Query, description = "Two-digit INSEE region code (pôles and French organisations)"),
        ("sector" = Option<String>, Query, description = "Sector code (pôles)"),
        ("org_kind" = Option<String>, Query, description = "Organisation kind, e.g. `university`"),
        ("naf" = Option<String>, Query, description = "NAF division the organisation declares (two digits, e.g. `26`)"),
        ("size" = Option<String>, Query, description = "INSEE headcount band the organisation declares (`11`: 10 to 19 employees, `12`: 20 to 49…)"),
        ("pole" = Option<String>, Query, description = "A pôle (slug) the organisation is a listed member of"),
        PageQuery,
    ),
    responses((status = 200, body = SearchResults), (status = 400, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn search_all(
    State(st): State<AppState>,
    visitor: Visitor,
    Query(p): Query<Params>,
) -> ApiResult<SearchResults> {
    let query = search_query(&p);
    if atlas::search_text(&query.q)?.is_none() {
        return Err(FieldError::new("q", "is required").into());
    }
    let page = params::page(&p)?;
    Ok(Json(
        atlas::search(&st.app, &visitor.origin, &query, page).await?,
    ))
}

/// Communes of a postcode, with their department and region.
#[utoipa::path(get, path = "/api/v1/communes", tag = "territories",
    params(("postcode" = String, Query, description = "A French postcode, five digits")),
    responses((status = 200, body = Vec<Commune>), (status = 400, body = ErrorBody)))]
async fn list_communes(
    State(st): State<AppState>,
    Query(p): Query<Params>,
) -> ApiResult<Vec<Commune>> {
    let pc = params::get(&p, "postcode").unwrap_or_default();
    Ok(Json(atlas::communes(&st.app, &pc).await?))
}

/// News and press clippings, newest first.
#[utoipa::path(get, path = "/api/v1/news", tag = "programme",
    responses((status = 200, body = Vec<NewsItem>)))]
async fn list_news(State(st): State<AppState>) -> ApiResult<Vec<NewsItem>> {
    Ok(Json(atlas::news(&st.app).await?))
}

/// Events of the programme.
#[utoipa::path(get, path = "/api/v1/events", tag = "programme",
    responses((status = 200, body = Vec<Event>)))]
async fn list_events(State(st): State<AppState>) -> ApiResult<Vec<Event>> {
    Ok(Json(atlas::events(&st.app).await?))
}
