//! The label campaigns, the JSON operations: thin handlers that parse, call the use case and
//! serialise.

use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, SignedIn, Visitor};
use crate::http::openapi::signed_in;
use crate::http::params::{self, Params};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use poles_app::labels::{
    self, Campaign, CampaignAsk, CampaignLabel, CampaignSummary, Candidacy, CandidacyAsk,
    CandidacyLine, CandidacyView, CommitteeAsk, CommitteeMember, DecisionAsk, EscaAsk, EscaLabel,
    EuropeanProfile, LabelDecision, OpinionAsk, RejectAsk, SynthesisAsk,
};
use poles_app::performance::{self, Contract, ProgrammeDashboard, TargetsAsk, ValueAsk};
use poles_core::review::{ReviewView, Score};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api_campaigns))
        .routes(routes!(api_campaign))
        .routes(routes!(api_candidacy))
        .routes(routes!(api_europe))
        .routes(routes!(api_contract))
        .routes(routes!(api_programme))
        .merge(signed_in(
            OpenApiRouter::new()
                .routes(routes!(api_open))
                .routes(routes!(api_candidacies))
                .routes(routes!(api_save))
                .routes(routes!(api_submit))
                .routes(routes!(api_committee))
                .routes(routes!(api_add_member))
                .routes(routes!(api_assign))
                .routes(routes!(api_score))
                .routes(routes!(api_opinion))
                .routes(routes!(api_synthesis))
                .routes(routes!(api_propose))
                .routes(routes!(api_approve))
                .routes(routes!(api_reject))
                .routes(routes!(api_esca))
                .routes(routes!(api_attach))
                .routes(routes!(api_document, api_detach))
                .routes(routes!(api_targets))
                .routes(routes!(api_value)),
        ))
}

/// Every label campaign, the latest first: today's calls for candidacies and the past
/// campaigns loaded from public sources (`historical`).
#[utoipa::path(get, path = "/api/v1/label-campaigns", tag = "labels",
    responses((status = 200, body = Vec<CampaignSummary>)))]
async fn api_campaigns(State(st): State<AppState>) -> Result<Json<Vec<CampaignSummary>>, ApiError> {
    Ok(Json(labels::campaigns(&st.app).await?))
}

/// Opens a campaign (programme officers): its weighted criteria with their sources, the
/// outcomes it may decide, the regions that co-decide, its dates.
#[utoipa::path(post, path = "/api/v1/label-campaigns", tag = "labels",
    request_body = CampaignAsk,
    responses((status = 201, body = Campaign), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn api_open(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    ApiJson(b): ApiJson<CampaignAsk>,
) -> Result<(StatusCode, Json<Campaign>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(labels::open_campaign(&st.app, &me, &b).await?),
    ))
}

/// A campaign with what it decided.
#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignDetail {
    pub campaign: Campaign,
    /// The decisions: approved ones for everyone, every status for officers.
    pub decisions: Vec<LabelDecision>,
    /// The label rows tied to the campaign (from its sources, or published here).
    pub labels: Vec<CampaignLabel>,
}

/// One campaign, its decisions and the labels it gave: public.
#[utoipa::path(get, path = "/api/v1/label-campaigns/{slug}", tag = "labels",
    params(("slug" = String, Path, description = "The campaign")),
    responses((status = 200, body = CampaignDetail), (status = 404, body = ErrorBody)))]
async fn api_campaign(
    State(st): State<AppState>,
    v: Visitor,
    Path(slug): Path<String>,
) -> Result<Json<CampaignDetail>, ApiError> {
    let campaign = labels::campaign(&st.app, &slug).await?;
    Ok(Json(CampaignDetail {
        decisions: labels::decisions(&st.app, v.caller.as_ref(), &slug).await?,
        labels: labels::campaign_labels(&st.app, &slug).await?,
        campaign,
    }))
}

/// A campaign's candidacies, submitted first (programme officers).
#[utoipa::path(get, path = "/api/v1/label-campaigns/{slug}/candidacies", tag = "labels",
    params(("slug" = String, Path, description = "The campaign")),
    responses((status = 200, body = Vec<CandidacyLine>), (status = 403, body = ErrorBody)))]
async fn api_candidacies(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(slug): Path<String>,
) -> Result<Json<Vec<CandidacyLine>>, ApiError> {
    Ok(Json(labels::candidacies(&st.app, &me, &slug).await?))
}

/// A pôle's candidacy as the caller may read it: whole for its managers and the officers;
/// for assigned committee members and its co-deciding regions once submitted (with one's
/// own review, blind); for everyone, the published decisions and what Pôles knows of the
/// pôle.
#[utoipa::path(get, path = "/api/v1/label-campaigns/{slug}/candidacies/{pole}", tag = "labels",
    params(("slug" = String, Path, description = "The campaign"), ("pole" = String, Path, description = "The pôle's slug")),
    responses((status = 200, body = CandidacyView), (status = 404, body = ErrorBody)))]
async fn api_candidacy(
    State(st): State<AppState>,
    v: Visitor,
    Path((slug, pole)): Path<(String, String)>,
) -> Result<Json<CandidacyView>, ApiError> {
    Ok(Json(
        labels::candidacy(&st.app, v.caller.as_ref(), &slug, &pole).await?,
    ))
}

/// Writes the pôle's draft candidacy (its managers, while the campaign is open); created on
/// first save. `version` refuses overwriting another manager's edit (409).
#[utoipa::path(put, path = "/api/v1/label-campaigns/{slug}/candidacies/{pole}", tag = "labels",
    params(("slug" = String, Path, description = "The campaign"), ("pole" = String, Path, description = "The pôle's slug")),
    request_body = CandidacyAsk,
    responses((status = 200, body = Candidacy), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn api_save(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path((slug, pole)): Path<(String, String)>,
    ApiJson(b): ApiJson<CandidacyAsk>,
) -> Result<Json<Candidacy>, ApiError> {
    Ok(Json(labels::save(&st.app, &me, &slug, &pole, &b).await?))
}

/// Submits the candidacy before the deadline (its strategy, governance and targets
/// written); it can no longer change.
#[utoipa::path(post, path = "/api/v1/label-campaigns/{slug}/candidacies/{pole}/submit", tag = "labels",
    params(("slug" = String, Path, description = "The campaign"), ("pole" = String, Path, description = "The pôle's slug")),
    responses((status = 200, body = Candidacy), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn api_submit(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path((slug, pole)): Path<(String, String)>,
) -> Result<Json<Candidacy>, ApiError> {
    Ok(Json(labels::submit(&st.app, &me, &slug, &pole).await?))
}

/// The campaign's selection committee (programme officers).
#[utoipa::path(get, path = "/api/v1/label-campaigns/{slug}/committee", tag = "labels",
    params(("slug" = String, Path, description = "The campaign")),
    responses((status = 200, body = Vec<CommitteeMember>), (status = 403, body = ErrorBody)))]
async fn api_committee(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(slug): Path<String>,
) -> Result<Json<Vec<CommitteeMember>>, ApiError> {
    Ok(Json(labels::committee(&st.app, &me, &slug).await?))
}

/// Seats a member on the committee (programme officers): on the State's side an officer or
/// a reviewer; on a co-deciding region's side (`region`) that region's officer.
#[utoipa::path(post, path = "/api/v1/label-campaigns/{slug}/committee", tag = "labels",
    params(("slug" = String, Path, description = "The campaign")),
    request_body = CommitteeAsk,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn api_add_member(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(slug): Path<String>,
    ApiJson(b): ApiJson<CommitteeAsk>,
) -> Result<StatusCode, ApiError> {
    labels::add_member(&st.app, &me, &slug, &b).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A committee member to assign.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AssignAsk {
    pub reviewer_id: i64,
}

/// Assigns a committee member to a submitted candidacy (programme officers); one tied to
/// the pôle (their organisation is its member, or they manage it) is refused.
#[utoipa::path(post, path = "/api/v1/label-campaigns/{slug}/candidacies/{pole}/reviewers", tag = "labels",
    params(("slug" = String, Path, description = "The campaign"), ("pole" = String, Path, description = "The pôle's slug")),
    request_body = AssignAsk,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn api_assign(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path((slug, pole)): Path<(String, String)>,
    ApiJson(b): ApiJson<AssignAsk>,
) -> Result<StatusCode, ApiError> {
    labels::assign(&st.app, &me, &slug, &pole, b.reviewer_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One's marks for a candidacy.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ScoresAsk {
    /// One mark per criterion of the campaign, 0 to 10, with an optional comment.
    pub scores: Vec<Score>,
}

/// Submits one's scores for a candidacy one is assigned, once; answers one's review with
/// the others' marks (numbered, never named).
#[utoipa::path(put, path = "/api/v1/label-campaigns/{slug}/candidacies/{pole}/review", tag = "labels",
    params(("slug" = String, Path, description = "The campaign"), ("pole" = String, Path, description = "The pôle's slug")),
    request_body = ScoresAsk,
    responses((status = 200, body = ReviewView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn api_score(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path((slug, pole)): Path<(String, String)>,
    ApiJson(b): ApiJson<ScoresAsk>,
) -> Result<Json<ReviewView>, ApiError> {
    Ok(Json(
        labels::score(&st.app, &me, &slug, &pole, &b.scores).await?,
    ))
}

/// Records the opinion of the caller's region, one of the pôle's regions that co-decide.
#[utoipa::path(put, path = "/api/v1/label-campaigns/{slug}/candidacies/{pole}/opinion", tag = "labels",
    params(("slug" = String, Path, description = "The campaign"), ("pole" = String, Path, description = "The pôle's slug")),
    request_body = OpinionAsk,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn api_opinion(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path((slug, pole)): Path<(String, String)>,
    ApiJson(b): ApiJson<OpinionAsk>,
) -> Result<StatusCode, ApiError> {
    labels::give_opinion(&st.app, &me, &slug, &pole, &b).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Writes the committee's synthesis of a submitted candidacy (programme officers).
#[utoipa::path(put, path = "/api/v1/label-campaigns/{slug}/candidacies/{pole}/synthesis", tag = "labels",
    params(("slug" = String, Path, description = "The campaign"), ("pole" = String, Path, description = "The pôle's slug")),
    request_body = SynthesisAsk,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn api_synthesis(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path((slug, pole)): Path<(String, String)>,
    ApiJson(b): ApiJson<SynthesisAsk>,
) -> Result<StatusCode, ApiError> {
    labels::write_synthesis(&st.app, &me, &slug, &pole, &b).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Proposes a decision for a pôle (programme officers): one of the campaign's outcomes for a
/// submitted candidacy, or after a probation `confirmed` or `delabelled`. Another officer
/// approves it.
#[utoipa::path(post, path = "/api/v1/label-campaigns/{slug}/decisions", tag = "labels",
    params(("slug" = String, Path, description = "The campaign")),
    request_body = DecisionAsk,
    responses((status = 201, body = LabelDecision), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn api_propose(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(slug): Path<String>,
    ApiJson(b): ApiJson<DecisionAsk>,
) -> Result<(StatusCode, Json<LabelDecision>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(labels::propose(&st.app, &me, &slug, &b).await?),
    ))
}

/// Approves (publishes) a decision: a programme officer other than its proposer. The pôle's
/// public label history gains its row.
#[utoipa::path(post, path = "/api/v1/label-decisions/{id}/approval", tag = "labels",
    params(("id" = i64, Path, description = "The decision")),
    responses((status = 200, body = LabelDecision), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn api_approve(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
) -> Result<Json<LabelDecision>, ApiError> {
    let id = params::path_id(&id, "decision")?;
    Ok(Json(labels::approve(&st.app, &me, id).await?))
}

/// Rejects a proposed decision with a reason: a programme officer other than its proposer.
#[utoipa::path(post, path = "/api/v1/label-decisions/{id}/rejection", tag = "labels",
    params(("id" = i64, Path, description = "The decision")),
    request_body = RejectAsk,
    responses((status = 200, body = LabelDecision), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn api_reject(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<RejectAsk>,
) -> Result<Json<LabelDecision>, ApiError> {
    let id = params::path_id(&id, "decision")?;
    Ok(Json(labels::reject(&st.app, &me, id, &b).await?))
}

/// A pôle's European side: the ECCP profile check (waived for a pôle the State labels; what
/// a full check would find is given too) and its ESCA cluster-management labels.
#[utoipa::path(get, path = "/api/v1/clusters/{slug}/european-profile", tag = "labels",
    params(("slug" = String, Path, description = "The pôle's slug")),
    responses((status = 200, body = EuropeanProfile), (status = 404, body = ErrorBody)))]
async fn api_europe(
    State(st): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Json<EuropeanProfile>, ApiError> {
    Ok(Json(labels::european_profile(&st.app, &slug).await?))
}

/// Records an ESCA label of a pôle (its managers, or the programme's officers), with its
/// source; a Bronze label's expiry is computed from its two years when not given.
#[utoipa::path(post, path = "/api/v1/clusters/{slug}/esca-labels", tag = "labels",
    params(("slug" = String, Path, description = "The pôle's slug")),
    request_body = EscaAsk,
    responses((status = 201, body = EscaLabel), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn api_esca(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(slug): Path<String>,
    ApiJson(b): ApiJson<EscaAsk>,
) -> Result<(StatusCode, Json<EscaLabel>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(labels::record_esca(&st.app, &me, &slug, &b).await?),
    ))
}

/// The year asked for, as a field error when it is not a year.
pub(super) fn year_param(p: &Params) -> Result<Option<i64>, poles_core::FieldError> {
    params::get(p, "year")
        .map(|y| {
            y.parse::<i64>()
                .map_err(|_| poles_core::FieldError::new("year", "must be a year"))
        })
        .transpose()
}

/// A pôle's performance contract for a phase (today's unless `phase` is given): targets
/// and, per year, each indicator — computed by Pôles or entered with its source.
#[utoipa::path(get, path = "/api/v1/clusters/{slug}/performance", tag = "labels",
    params(("slug" = String, Path, description = "The pôle's slug"), ("phase" = Option<String>, Query, description = "A phase code (`V`…)")),
    responses((status = 200, body = Contract), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn api_contract(
    State(st): State<AppState>,
    Path(slug): Path<String>,
    Query(p): Query<Params>,
) -> Result<Json<Contract>, ApiError> {
    Ok(Json(
        performance::contract(&st.app, &slug, params::get(&p, "phase").as_deref()).await?,
    ))
}

/// The programme's dashboard: each pôle labelled in the phase, each indicator, one year
/// (the latest so far unless `year` is given), with the totals and the pôles reaching their
/// targets.
#[utoipa::path(get, path = "/api/v1/performance", tag = "labels",
    params(("phase" = Option<String>, Query, description = "A phase code (`V`…)"), ("year" = Option<i64>, Query, description = "A year of the phase")),
    responses((status = 200, body = ProgrammeDashboard), (status = 400, body = ErrorBody)))]
async fn api_programme(
    State(st): State<AppState>,
    Query(p): Query<Params>,
) -> Result<Json<ProgrammeDashboard>, ApiError> {
    let year = year_param(&p)?;
    Ok(Json(
        performance::programme(&st.app, params::get(&p, "phase").as_deref(), year).await?,
    ))
}

/// Sets a pôle's targets for a phase (the programme's officers); those not listed are removed.
#[utoipa::path(put, path = "/api/v1/clusters/{slug}/performance/targets", tag = "labels",
    params(("slug" = String, Path, description = "The pôle's slug")),
    request_body = TargetsAsk,
    responses((status = 200, body = Contract), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn api_targets(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(slug): Path<String>,
    ApiJson(b): ApiJson<TargetsAsk>,
) -> Result<Json<Contract>, ApiError> {
    Ok(Json(
        performance::set_targets(&st.app, &me, &slug, &b).await?,
    ))
}

/// Enters a year's value of an indicator with its source (the pôle's managers or the
/// programme's officers); shown instead of what Pôles computes.
#[utoipa::path(put, path = "/api/v1/clusters/{slug}/performance/values", tag = "labels",
    params(("slug" = String, Path, description = "The pôle's slug")),
    request_body = ValueAsk,
    responses((status = 200, body = Contract), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn api_value(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(slug): Path<String>,
    ApiJson(b): ApiJson<ValueAsk>,
) -> Result<Json<Contract>, ApiError> {
    Ok(Json(
        performance::enter_value(&st.app, &me, &slug, &b).await?,
    ))
}

/// Attaches a PDF to the pôle's draft candidacy (its managers): the body is the file
/// (sent as `application/pdf` or `application/octet-stream`: its content is checked, not
/// its label; at most 10 MB, and 50 MB for a candidacy's documents together), `name` its
/// name.
#[utoipa::path(post, path = "/api/v1/label-campaigns/{slug}/candidacies/{pole}/documents", tag = "labels",
    params(("slug" = String, Path, description = "The campaign"), ("pole" = String, Path, description = "The pôle's slug"), ("name" = String, Query, description = "The document's name")),
    request_body(description = "The PDF file, as it is", content(
        (Vec<u8> = "application/pdf"),
        (Vec<u8> = "application/octet-stream"),
    )),
    responses((status = 201, body = poles_app::labels::Document), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody)))]
async fn api_attach(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path((slug, pole)): Path<(String, String)>,
    Query(p): Query<Params>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<poles_app::labels::Document>), ApiError> {
    let name = params::get(&p, "name").unwrap_or_default();
    Ok((
        StatusCode::CREATED,
        Json(labels::attach(&st.app, &me, &slug, &pole, &name, &body).await?),
    ))
}

/// A candidacy's attachment, for those who read the candidacy.
#[utoipa::path(get, path = "/api/v1/label-campaigns/{slug}/candidacies/{pole}/documents/{id}", tag = "labels",
    params(("slug" = String, Path, description = "The campaign"), ("pole" = String, Path, description = "The pôle's slug"), ("id" = i64, Path, description = "The document")),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 404, body = ErrorBody)))]
async fn api_document(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path((slug, pole, id)): Path<(String, String, String)>,
) -> Result<axum::response::Response, ApiError> {
    let id = params::path_id(&id, "document")?;
    let (name, bytes) = labels::document(&st.app, &me, &slug, &pole, id).await?;
    Ok(pdf(&name, bytes))
}

/// The bytes of a PDF, named for the download.
pub(super) fn pdf(name: &str, bytes: Vec<u8>) -> axum::response::Response {
    use axum::response::IntoResponse;
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/pdf".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{safe}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// Removes an attachment from the pôle's draft candidacy (its managers).
#[utoipa::path(delete, path = "/api/v1/label-campaigns/{slug}/candidacies/{pole}/documents/{id}", tag = "labels",
    params(("slug" = String, Path, description = "The campaign"), ("pole" = String, Path, description = "The pôle's slug"), ("id" = i64, Path, description = "The document")),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn api_detach(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path((slug, pole, id)): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    let id = params::path_id(&id, "document")?;
    labels::detach(&st.app, &me, &slug, &pole, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
