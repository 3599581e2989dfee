//! The programme's money through the API: budgets, R&D zones, relief rules and the benefits
//! simulator (public); relief records and caps (officers); the allocation optimiser
//! (selection officers).

use crate::auth::Authed;
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiJson;
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use poles_core::optimise::{self, Comparison, Limits};
use poles_core::relief::{self, Profile, ReliefRules, Simulation};
use poles_core::FieldError;
use poles_store::funding::{
    self as store, BudgetOverview, CapUse, EnvelopeIn, NewBudgetLine, NewRelief, ReliefRecord,
    ZoneHit,
};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use utoipa::{IntoParams, ToSchema};

/// Programme budget lines per funder with what is committed, paid and available, and the
/// decisions made here by cluster, region and sector. Public.
#[utoipa::path(get, path = "/api/v1/budgets", tag = "funding", responses((status = 200, body = BudgetOverview)))]
pub async fn budgets(State(st): State<AppState>) -> Result<Json<BudgetOverview>, ApiError> {
    Ok(Json(store::budgets(&st.db).await?))
}

/// Adds a budget line: one funder's envelope over a period, with its currency and source.
/// Programme officers; audited.
#[utoipa::path(post, path = "/api/v1/budgets", tag = "funding", request_body = NewBudgetLine,
    responses((status = 201), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn add_line(
    State(st): State<AppState>,
    me: Authed,
    ApiJson(b): ApiJson<NewBudgetLine>,
) -> Result<StatusCode, ApiError> {
    let cap = me.allowed(&st, me.actor.programme_write()).await?;
    store::add_line(&st.db, &cap, &me.ctx(cap.role), &b).await?;
    Ok(StatusCode::CREATED)
}

/// The relief rules in force: schemes with their versions, caps and reference values, each
/// with its source and certainty. Public.
#[utoipa::path(get, path = "/api/v1/relief/rules", tag = "funding", responses((status = 200, body = ReliefRules)))]
pub async fn rules(State(st): State<AppState>) -> Result<Json<ReliefRules>, ApiError> {
    Ok(Json(store::rules(&st.db).await?))
}

#[derive(Deserialize, IntoParams)]
pub struct ZoneQuery {
    /// INSEE commune code, e.g. `38185`.
    pub commune: Option<String>,
    /// Postcode, e.g. `38000`.
    pub postcode: Option<String>,
}

/// The pôles whose R&D zone holds a commune or a postcode's communes. Public.
#[utoipa::path(get, path = "/api/v1/rd-zones", tag = "funding", params(ZoneQuery),
    responses((status = 200, body = Vec<ZoneHit>), (status = 400, body = ErrorBody)))]
pub async fn zones(
    State(st): State<AppState>,
    Query(q): Query<ZoneQuery>,
) -> Result<Json<Vec<ZoneHit>>, ApiError> {
    Ok(Json(
        store::zones(&st.db, q.commune.as_deref(), q.postcode.as_deref()).await?,
    ))
}

/// The communes of a pôle's R&D zone. Public.
#[utoipa::path(get, path = "/api/v1/clusters/{slug}/rd-zone", tag = "funding", params(("slug" = String, Path)),
    responses((status = 200, body = Vec<ZoneHit>)))]
pub async fn cluster_zone(
    State(st): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Json<Vec<ZoneHit>>, ApiError> {
    Ok(Json(store::cluster_zone(&st.db, &slug).await?))
}

/// A company's profile for the simulator, with where its R&D is done and the call it
/// would apply to.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SimulationRequest {
    #[serde(flatten)]
    pub profile: Profile,
    /// INSEE commune code of the R&D site; decides whether it is in an R&D zone.
    pub commune: Option<String>,
    /// Postcode of the R&D site, when the commune is not given.
    pub postcode: Option<String>,
    /// A call's slug: adds the grant the company could request under it.
    pub call: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SimulationResponse {
    /// The R&D zones holding the site (demo lists are marked illustrative).
    pub zones: Vec<ZoneHit>,
    pub simulation: Simulation,
}

/// Runs the simulator for a request: finds the zone, the call, and computes.
pub async fn run_simulation(
    st: &AppState,
    mut req: SimulationRequest,
) -> Result<SimulationResponse, ApiError> {
    let commune = req.commune.as_deref().filter(|c| !c.trim().is_empty());
    let postcode = req.postcode.as_deref().filter(|c| !c.trim().is_empty());
    let mut note = None;
    // With a place, the zone comes from the lookup; without one, the profile's own flag
    // stands (a "what if").
    let zones = if commune.is_some() || postcode.is_some() {
        let zones = store::zones(&st.db, commune, postcode).await?;
        req.profile.in_rd_zone = !zones.is_empty();
        if let (None, Some(pc)) = (commune, postcode) {
            let all = poles_store::registry::communes_by_postcode(&st.db, pc.trim()).await?;
            let inside: std::collections::BTreeSet<&str> =
                zones.iter().map(|z| z.commune.as_str()).collect();
            if !inside.is_empty() && all.len() > inside.len() {
                note = Some(relief::Text {
                    fr: format!("Le code postal {pc} couvre {} communes, dont {} en zone de R&D : indiquez le code de la commune pour en être sûr.", all.len(), inside.len()),
                    en: format!("Postcode {pc} covers {} communes, {} of them in an R&D zone: give the commune code to be sure.", all.len(), inside.len()),
                });
            }
        }
        zones
    } else {
        vec![]
    };
    req.profile.validate()?;
    let rules = store::rules(&st.db).await?;
    let call = match req.call.as_deref().filter(|c| !c.is_empty()) {
        Some(slug) => Some(
            poles_store::calls::get(&st.db, slug)
                .await?
                .ok_or_else(|| FieldError::new("call", "no such call"))?,
        ),
        None => None,
    };
    let mut simulation = relief::simulate(
        &rules,
        &req.profile,
        call.as_ref()
            .map(|c| (&c.rule_set, c.name_fr.as_str(), c.name_en.as_str())),
    );
    simulation.assumptions.extend(note);
    Ok(SimulationResponse { zones, simulation })
}

/// What the programme could give a company, year by year, each line with its rule and
/// source; closed schemes say so. Public; nothing is stored.
#[utoipa::path(post, path = "/api/v1/simulate", tag = "funding", request_body = SimulationRequest,
    responses((status = 200, body = SimulationResponse), (status = 400, body = ErrorBody)))]
pub async fn simulate(
    State(st): State<AppState>,
    ApiJson(req): ApiJson<SimulationRequest>,
) -> Result<Json<SimulationResponse>, ApiError> {
    Ok(Json(run_simulation(&st, req).await?))
}

#[derive(Deserialize, IntoParams)]
pub struct CapQuery {
    /// The year of the records to check against (default: the current year).
    pub year: Option<i64>,
    /// One company's de minimis consumption.
    pub organisation: Option<i64>,
}

/// Each relief cap's consumption and what is left for a year: programme caps and companies'
/// de minimis. Programme officers.
#[utoipa::path(get, path = "/api/v1/relief/caps", tag = "funding", params(CapQuery),
    responses((status = 200, body = Vec<CapUse>), (status = 403, body = ErrorBody)))]
pub async fn caps(
    State(st): State<AppState>,
    me: Authed,
    Query(q): Query<CapQuery>,
) -> Result<Json<Vec<CapUse>>, ApiError> {
    me.allowed(&st, me.actor.programme_write()).await?;
    let year = q.year.unwrap_or_else(store::current_year);
    if !(1990..=2100).contains(&year) {
        return Err(FieldError::new("year", "must be between 1990 and 2100").into());
    }
    Ok(Json(store::caps(&st.db, year, q.organisation, true).await?))
}

#[derive(Deserialize, IntoParams)]
pub struct RecordQuery {
    pub organisation: Option<i64>,
}

/// Relief records, newest first. Programme officers.
#[utoipa::path(get, path = "/api/v1/relief/records", tag = "funding", params(RecordQuery),
    responses((status = 200, body = Vec<ReliefRecord>), (status = 403, body = ErrorBody)))]
pub async fn records(
    State(st): State<AppState>,
    me: Authed,
    Query(q): Query<RecordQuery>,
) -> Result<Json<Vec<ReliefRecord>>, ApiError> {
    me.allowed(&st, me.actor.programme_write()).await?;
    Ok(Json(store::records(&st.db, q.organisation, 500).await?))
}

/// Records relief granted to a company; refused with the reason when it would break a cap
/// (the programme's annual and period caps, the company's de minimis). Programme officers.
#[utoipa::path(post, path = "/api/v1/relief/records", tag = "funding", request_body = NewRelief,
    responses((status = 201, body = ReliefRecord), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn record(
    State(st): State<AppState>,
    me: Authed,
    ApiJson(b): ApiJson<NewRelief>,
) -> Result<(StatusCode, Json<ReliefRecord>), ApiError> {
    let cap = me.allowed(&st, me.actor.programme_write()).await?;
    let r = store::record_relief(&st.db, &cap, &me.ctx(cap.role), &b).await?;
    Ok((StatusCode::CREATED, Json(r)))
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct OptimiseRequest {
    /// Envelopes to try instead of what the call's funders have left; `region:<code>` for
    /// one region's share.
    #[serde(default)]
    pub envelopes: Vec<EnvelopeIn>,
    /// Solver time budget, 100 to 30000 ms (default 5000).
    pub time_limit_ms: Option<u64>,
}

/// Proposes the selection of a call's ranked eligible projects that maximises the total
/// weighted score within every envelope, beside funding in rank order, with the
/// differences explained. Nothing is decided. Selection officers.
#[utoipa::path(post, path = "/api/v1/calls/{slug}/optimise", tag = "funding", params(("slug" = String, Path)),
    request_body = OptimiseRequest,
    responses((status = 200, body = Comparison), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn optimise(
    State(st): State<AppState>,
    me: Authed,
    Path(slug): Path<String>,
    ApiJson(b): ApiJson<OptimiseRequest>,
) -> Result<Json<Comparison>, ApiError> {
    let cap = me.allowed(&st, me.actor.selection_officer()).await?;
    Ok(Json(run_optimiser(&st, &cap, &slug, &b).await?))
}

pub async fn run_optimiser(
    st: &AppState,
    cap: &poles_core::auth::SelectionOfficer,
    slug: &str,
    b: &OptimiseRequest,
) -> Result<Comparison, ApiError> {
    let ms = b.time_limit_ms.unwrap_or(5000);
    if !(100..=30_000).contains(&ms) {
        return Err(FieldError::new("time_limit_ms", "must be between 100 and 30000").into());
    }
    let (cands, envs) = store::optimiser_input(&st.db, cap, slug, Some(&b.envelopes)).await?;
    // The solver is CPU work: keep it off the async workers, one solve at a time per server
    // (a guard of this process's CPU, not shared state).
    static SOLVES: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);
    let _permit = SOLVES
        .acquire()
        .await
        .map_err(|e| ApiError::Store(poles_store::StoreError::Data(e.to_string())))?;
    tokio::task::spawn_blocking(move || {
        optimise::optimise(
            &cands,
            &envs,
            Limits {
                time: Duration::from_millis(ms),
                nodes: None,
            },
        )
    })
    .await
    .map_err(|e| ApiError::Store(poles_store::StoreError::Data(e.to_string())))?
    .map_err(|e| FieldError::new("envelopes", e.to_string()).into())
}
