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
use std::sync::Arc;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

type ApiResult<T> = Result<Json<T>, ApiError>;

/// The API routes and their OpenAPI document, registered together so that no route can
/// be missing from the document.
pub fn router() -> Router<AppState> {
    use crate::account_api as acc;
    use crate::edit_api as edit;
    let (router, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(list_clusters))
        .routes(routes!(get_cluster, edit::update_cluster))
        .routes(routes!(list_organisations))
        .routes(routes!(get_organisation, edit::update_organisation))
        .routes(routes!(list_projects))
        .routes(routes!(get_project))
        .routes(routes!(list_partnerships))
        .routes(routes!(programme_figures))
        .routes(routes!(list_sectors))
        .routes(routes!(list_regions))
        .routes(routes!(search_all))
        .routes(routes!(list_communes))
        .routes(routes!(list_news, edit::create_news))
        .routes(routes!(edit::delete_news))
        .routes(routes!(list_events, edit::create_event))
        .routes(routes!(edit::add_member))
        .routes(routes!(edit::remove_member))
        .routes(routes!(edit::add_partnership))
        .routes(routes!(edit::remove_partnership))
        .routes(routes!(edit::add_label))
        .routes(routes!(edit::put_figure))
        .routes(routes!(acc::login, acc::logout))
        .routes(routes!(acc::me, acc::erase_me))
        .routes(routes!(acc::change_password))
        .routes(routes!(acc::my_sessions))
        .routes(routes!(acc::my_data))
        .routes(routes!(acc::totp_begin))
        .routes(routes!(acc::totp_confirm))
        .routes(routes!(acc::create_token, acc::list_tokens))
        .routes(routes!(acc::revoke_token))
        .routes(routes!(acc::list_users, acc::create_user))
        .routes(routes!(acc::grant_role, acc::revoke_role))
        .routes(routes!(acc::set_status))
        .routes(routes!(acc::audit_log))
        .routes(routes!(acc::inbox))
        .routes(routes!(acc::inbox_read))
        .routes(routes!(
            crate::calls_api::list_calls,
            crate::calls_api::create_call
        ))
        .routes(routes!(crate::calls_api::put_rule_set))
        .routes(routes!(crate::calls_api::put_criteria))
        .routes(routes!(crate::calls_api::get_call))
        .routes(routes!(crate::calls_api::check))
        .routes(routes!(crate::applications_api::create))
        .routes(routes!(crate::applications_api::get))
        .routes(routes!(crate::applications_api::invite))
        .routes(routes!(crate::applications_api::answer))
        .routes(routes!(crate::applications_api::budget))
        .routes(routes!(crate::applications_api::request_label))
        .routes(routes!(crate::applications_api::decide))
        .routes(routes!(crate::applications_api::cluster_requests))
        .routes(routes!(crate::applications_api::submit))
        .routes(routes!(crate::selection_api::assign))
        .routes(routes!(
            crate::selection_api::my_review,
            crate::selection_api::submit_review
        ))
        .routes(routes!(crate::selection_api::declare_conflict))
        .routes(routes!(crate::selection_api::ranking))
        .routes(routes!(crate::selection_api::settings))
        .routes(routes!(crate::selection_api::envelopes))
        .routes(routes!(crate::selection_api::propose))
        .routes(routes!(crate::selection_api::approve))
        .routes(routes!(crate::followup_api::agreement))
        .routes(routes!(crate::followup_api::finalise))
        .routes(routes!(crate::followup_api::lapse))
        .routes(routes!(crate::followup_api::schedule))
        .routes(routes!(crate::followup_api::claim))
        .routes(routes!(crate::followup_api::decide_claim))
        .routes(routes!(crate::followup_api::milestone))
        .routes(routes!(crate::followup_api::milestone_done))
        .routes(routes!(crate::followup_api::status))
        .routes(routes!(crate::followup_api::funding))
        .routes(routes!(crate::followup_api::funded))
        .routes(routes!(
            crate::funding_api::budgets,
            crate::funding_api::add_line
        ))
        .routes(routes!(crate::funding_api::rules))
        .routes(routes!(crate::funding_api::zones))
        .routes(routes!(crate::funding_api::cluster_zone))
        .routes(routes!(crate::funding_api::simulate))
        .routes(routes!(crate::funding_api::caps))
        .routes(routes!(
            crate::funding_api::records,
            crate::funding_api::record
        ))
        .routes(routes!(crate::funding_api::optimise))
        .split_for_parts();
    let doc = Arc::new(doc);
    router.route(
        "/api/openapi.json",
        get(move || {
            let doc = doc.clone();
            async move { Json(doc.as_ref().clone()) }
        }),
    )
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
    responses((status = 200, body = SearchResults), (status = 400, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn search_all(
    State(st): State<AppState>,
    caller: crate::auth::Caller,
    Query(p): Query<Params>,
) -> ApiResult<SearchResults> {
    limit_search(&st, &caller).await?;
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

/// Communes of a postcode, with their department and region.
#[utoipa::path(get, path = "/api/v1/communes", tag = "territories",
    params(("postcode" = String, Query, description = "A French postcode, five digits")),
    responses((status = 200, body = Vec<Commune>), (status = 400, body = ErrorBody)))]
async fn list_communes(
    State(st): State<AppState>,
    Query(p): Query<Params>,
) -> ApiResult<Vec<Commune>> {
    let pc = p.get("postcode").map(|s| s.trim()).unwrap_or("");
    if pc.len() != 5 || !pc.bytes().all(|b| b.is_ascii_digit()) {
        return Err(poles_core::FieldError::new("postcode", "must be five digits").into());
    }
    Ok(Json(registry::communes_by_postcode(&st.db, pc).await?))
}

/// News and press clippings, newest first.
#[utoipa::path(get, path = "/api/v1/news", tag = "programme",
    responses((status = 200, body = Vec<NewsItem>)))]
async fn list_news(State(st): State<AppState>) -> ApiResult<Vec<NewsItem>> {
    Ok(Json(registry::news(&st.db, None).await?))
}

/// Events of the programme.
#[utoipa::path(get, path = "/api/v1/events", tag = "programme",
    responses((status = 200, body = Vec<Event>)))]
async fn list_events(State(st): State<AppState>) -> ApiResult<Vec<Event>> {
    Ok(Json(registry::events(&st.db).await?))
}

/// Generous per-client limit on searches (429 with Retry-After past it).
pub async fn limit_search(st: &AppState, caller: &crate::auth::Caller) -> Result<(), ApiError> {
    let key = format!(
        "search:{}",
        caller.origin.ip.as_deref().unwrap_or("unknown")
    );
    match poles_store::rate::hit(&st.db, &key, st.search_per_minute, 60).await? {
        Some(retry_after) => Err(ApiError::TooManyRequests { retry_after }),
        None => Ok(()),
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Pôles API",
        description = "The public registry of a competitiveness-cluster programme: clusters, organisations, projects, partnerships and the programme's figures."
    ),
    components(schemas(ErrorBody))
)]
pub struct ApiDoc;
