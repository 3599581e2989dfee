//! The label campaigns, the pages: the list of campaigns (today's first, the past ones
//! labelled as history), opening one, a campaign's page (its criteria, the committee, the
//! candidacies and the decisions), a pôle's candidacy (written by its managers, scored by
//! the committee, the regions' opinions, the proposals and their approval) and its
//! printable file. A refused form comes back as the same page with the reason beside its
//! field and the input kept.

use crate::http::error::{PageError, PageResult};
use crate::http::extract::{SignedIn, Visitor};
use crate::http::params::{self, Params};
use crate::ui::chrome::Chrome;
use crate::ui::render::render_with;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Form, Router};
use poles_app::labels::{
    self, Campaign, CampaignAsk, CampaignLabel, CampaignSummary, CandidacyAsk, CandidacyLine,
    CandidacyView, CommitteeAsk, CommitteeMember, CriterionAsk, DecisionAsk, Eligible, EscaAsk,
    EuropeanProfile, LabelDecision, OpinionAsk, OutcomeAsk, ProbationDue, RejectAsk, SynthesisAsk,
    Verdict, ESCA_LEVELS, OPINIONS, OUTCOMES, TIERS,
};
use poles_app::performance::{self, Contract, ProgrammeDashboard, TargetAsk, TargetsAsk, ValueAsk};
use poles_app::{atlas, AppError, Caller};
use poles_core::review::Score;
use serde::Deserialize;
use std::collections::HashMap;

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/labels", get(list))
        .route("/labels/new", get(new_form).post(new_submit))
        .route("/labels/{campaign}", get(campaign_page))
        .route("/labels/{campaign}/committee", post(committee_add))
        .route("/labels/{campaign}/decisions", post(propose))
        .route("/label-decisions/{id}/approve", post(approve))
        .route("/label-decisions/{id}/reject", post(reject))
        .route(
            "/labels/{campaign}/{pole}",
            get(candidacy_page).post(candidacy_save),
        )
        .route("/labels/{campaign}/{pole}/submit", post(candidacy_submit))
        .route("/labels/{campaign}/{pole}/assign", post(assign))
        .route("/labels/{campaign}/{pole}/scores", post(scores))
        .route("/labels/{campaign}/{pole}/opinion", post(opinion))
        .route("/labels/{campaign}/{pole}/synthesis", post(synthesis))
        .route("/labels/{campaign}/{pole}/file", get(file))
        .route("/labels/{campaign}/{pole}/documents/{id}", get(document))
        .route(
            "/labels/{campaign}/{pole}/documents/{id}/remove",
            post(document_remove),
        )
        .route(
            "/clusters/{slug}/europe",
            get(europe_page).post(esca_submit),
        )
        .route("/clusters/{slug}/performance", get(contract_page))
        .route("/clusters/{slug}/performance/targets", post(targets_submit))
        .route("/clusters/{slug}/performance/values", post(value_submit))
        .route("/performance", get(programme_page))
}

/// A refused input: the field it belongs beside (empty: the whole form) and the reason.
pub(super) struct Refusal {
    pub field: String,
    pub message: String,
}

fn refusal(c: &Chrome, e: AppError) -> Result<(StatusCode, Refusal), PageError> {
    match e {
        AppError::Invalid(f) => Ok((
            StatusCode::BAD_REQUEST,
            Refusal {
                message: c.reason(&f),
                field: f.field,
            },
        )),
        AppError::Forbidden(_) => Ok((
            StatusCode::FORBIDDEN,
            Refusal {
                field: String::new(),
                message: c.t.t("labels.forbidden").to_string(),
            },
        )),
        AppError::Conflict { .. } => Ok((
            StatusCode::CONFLICT,
            Refusal {
                field: String::new(),
                message: c.t.t("labels.conflict").to_string(),
            },
        )),
        other => Err(other.into()),
    }
}

fn some(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

/// The name of a campaign in the page's language.
fn name_of(c: &Chrome, en: &str, fr: &str) -> String {
    if c.t.code() == "en" { en } else { fr }.to_string()
}

// ---------------------------------------------------------------- the list

#[derive(Template)]
#[template(path = "labels.html")]
struct ListPage {
    c: Chrome,
    current: Vec<CampaignSummary>,
    history: Vec<CampaignSummary>,
    officer: bool,
    /// For officers: the pôles on probation, with their review dates.
    probations: Vec<ProbationDue>,
    today: String,
}

impl ListPage {
    fn name(&self, k: &CampaignSummary) -> String {
        name_of(&self.c, &k.name_en, &k.name_fr)
    }

    fn due(&self, p: &ProbationDue) -> bool {
        p.review_date
            .as_deref()
            .is_some_and(|d| d <= self.today.as_str())
    }

    fn review_href(&self, p: &ProbationDue) -> String {
        match &p.campaign {
            Some(k) => self
                .c
                .href(&format!("/labels/{k}/{}#decisions", p.cluster_slug)),
            None => self.c.href(&format!("/clusters/{}", p.cluster_slug)),
        }
    }
}

async fn list(State(st): State<AppState>, c: Chrome, v: Visitor) -> PageResult {
    let (history, current) = labels::campaigns(&st.app)
        .await?
        .into_iter()
        .partition(|k| k.historical);
    let officer = c.may(poles_app::access::Ability::RunLabelCampaigns);
    let probations = match (&v.caller, officer) {
        (Some(me), true) => labels::probations(&st.app, me).await?,
        _ => Vec::new(),
    };
    let today = poles_core::Date::today().to_string();
    Ok(render_with(
        ListPage {
            c,
            current,
            history,
            officer,
            probations,
            today,
        },
        StatusCode::OK,
    ))
}

// ---------------------------------------------------------------- opening a campaign

/// How many criteria rows the form offers.
const CRITERIA_ROWS: usize = 8;

#[derive(Debug, Default, Deserialize)]
struct NewForm {
    #[serde(default)]
    slug: String,
    #[serde(default)]
    phase: String,
    #[serde(default)]
    name_en: String,
    #[serde(default)]
    name_fr: String,
    #[serde(default)]
    opens_on: String,
    #[serde(default)]
    closes_on: String,
    #[serde(default)]
    label_from: String,
    #[serde(default)]
    label_until: String,
    #[serde(default)]
    documents: String,
    /// The rest: `criterion_name_fr_0`, `outcome_labelled`, `months_labelled`, `region_84`…
    #[serde(flatten)]
    rest: HashMap<String, String>,
}

impl NewForm {
    fn get(&self, key: &str) -> &str {
        self.rest.get(key).map_or("", String::as_str)
    }
}

#[derive(Template)]
#[template(path = "label_campaign_new.html")]
struct NewPage {
    c: Chrome,
    form: NewForm,
    phases: Vec<(String, String)>,
    regions: Vec<(String, String)>,
    rows: Vec<usize>,
    outcomes: &'static [&'static str],
    refusal: Option<Refusal>,
}

impl NewPage {
    fn err(&self, field: &str) -> Option<&str> {
        self.refusal
            .as_ref()
            .filter(|r| r.field == field)
            .map(|r| r.message.as_str())
    }

    /// The refusal of a criterion's row (any of its fields).
    fn row_err(&self, k: &usize) -> Option<&str> {
        let prefix = format!("criteria[{k}].");
        self.refusal
            .as_ref()
            .filter(|r| r.field.starts_with(&prefix))
            .map(|r| r.message.as_str())
    }

    fn outcomes_err(&self) -> Option<&str> {
        self.refusal
            .as_ref()
            .filter(|r| r.field.starts_with("outcomes"))
            .map(|r| r.message.as_str())
    }

    /// A refusal no field of the form shows beside itself.
    fn top_err(&self) -> Option<&str> {
        const BESIDE: &[&str] = &[
            "name_fr",
            "name_en",
            "slug",
            "phase",
            "opens_on",
            "closes_on",
            "label_from",
            "label_until",
            "criteria",
        ];
        self.refusal
            .as_ref()
            .filter(|r| {
                !(BESIDE.contains(&r.field.as_str())
                    || r.field.starts_with("criteria[")
                    || r.field.starts_with("outcomes"))
            })
            .map(|r| r.message.as_str())
    }

    fn v(&self, key: &str, k: &usize) -> &str {
        self.form.get(&format!("{key}_{k}"))
    }

    fn outcome_on(&self, o: &str) -> bool {
        !self.form.get(&format!("outcome_{o}")).is_empty()
    }

    fn months_of(&self, o: &str) -> &str {
        self.form.get(&format!("months_{o}"))
    }

    fn region_on(&self, code: &str) -> bool {
        !self.form.get(&format!("region_{code}")).is_empty()
    }
}

async fn new_view(
    st: &AppState,
    c: Chrome,
    form: NewForm,
    refusal: Option<Refusal>,
    status: StatusCode,
) -> PageResult {
    let en = c.t.code() == "en";
    let (phases, _) = atlas::phases(&st.app).await?;
    let phases = phases
        .into_iter()
        .rev()
        .map(|p| (p.code, if en { p.name_en } else { p.name_fr }))
        .collect();
    let regions = atlas::regions(&st.app)
        .await?
        .into_iter()
        .map(|r| (r.code, r.name))
        .collect();
    Ok(render_with(
        NewPage {
            c,
            form,
            phases,
            regions,
            rows: (0..CRITERIA_ROWS).collect(),
            outcomes: OUTCOMES,
            refusal,
        },
        status,
    ))
}

async fn new_form(State(st): State<AppState>, c: Chrome, SignedIn(me): SignedIn) -> PageResult {
    let defaults = labels::new_campaign_form(&st.app, &me).await?;
    let mut form = NewForm {
        documents: c.t.t("labels.default_documents").replace(" | ", "\n"),
        ..Default::default()
    };
    for (k, d) in defaults.into_iter().enumerate() {
        form.rest
            .insert(format!("criterion_name_fr_{k}"), d.name_fr);
        form.rest
            .insert(format!("criterion_name_en_{k}"), d.name_en);
        form.rest
            .insert(format!("criterion_weight_{k}"), d.weight.to_string());
        form.rest
            .insert(format!("criterion_source_{k}"), d.source_title);
        form.rest.insert(
            format!("criterion_url_{k}"),
            d.source_url.unwrap_or_default(),
        );
    }
    for (o, m) in [
        ("labelled", "48"),
        ("probation", "12"),
        ("not_labelled", ""),
    ] {
        form.rest.insert(format!("outcome_{o}"), "on".into());
        form.rest.insert(format!("months_{o}"), m.into());
    }
    new_view(&st, c, form, None, StatusCode::OK).await
}

fn campaign_ask(f: &NewForm) -> Result<CampaignAsk, poles_core::FieldError> {
    let mut criteria = Vec::new();
    for k in 0..CRITERIA_ROWS {
        let get = |key: &str| f.get(&format!("{key}_{k}")).trim().to_string();
        let (fr, en, w, src, url) = (
            get("criterion_name_fr"),
            get("criterion_name_en"),
            get("criterion_weight"),
            get("criterion_source"),
            get("criterion_url"),
        );
        if fr.is_empty() && en.is_empty() && src.is_empty() {
            continue;
        }
        let Ok(weight) = w.parse::<i64>() else {
            return Err(poles_core::FieldError::new(
                format!("criteria[{}].weight", criteria.len()),
                "a whole number from 1 to 100",
            ));
        };
        criteria.push(CriterionAsk {
            name_en: en,
            name_fr: fr,
            weight,
            source_title: src,
            source_url: some(&url),
        });
    }
    let mut outcomes = Vec::new();
    for o in OUTCOMES {
        if f.get(&format!("outcome_{o}")).is_empty() {
            continue;
        }
        let m = f.get(&format!("months_{o}")).trim();
        let months = if m.is_empty() {
            None
        } else {
            Some(m.parse::<i64>().map_err(|_| {
                poles_core::FieldError::new(
                    format!("outcomes[{}].months", outcomes.len()),
                    "a whole number of months",
                )
            })?)
        };
        outcomes.push(OutcomeAsk {
            outcome: o.to_string(),
            months,
        });
    }
    let regions = f
        .rest
        .iter()
        .filter_map(|(k, v)| (v == "on").then(|| k.strip_prefix("region_")).flatten())
        .map(String::from)
        .collect();
    Ok(CampaignAsk {
        slug: f.slug.trim().to_string(),
        phase: some(&f.phase),
        name_en: f.name_en.clone(),
        name_fr: f.name_fr.clone(),
        opens_on: f.opens_on.clone(),
        closes_on: f.closes_on.clone(),
        label_from: f.label_from.clone(),
        label_until: f.label_until.clone(),
        documents: f.documents.lines().map(String::from).collect(),
        criteria,
        outcomes,
        regions,
    })
}

async fn new_submit(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Form(f): Form<NewForm>,
) -> PageResult {
    let ask = match campaign_ask(&f) {
        Ok(a) => a,
        Err(e) => {
            let (status, r) = refusal(&c, e.into())?;
            return new_view(&st, c, f, Some(r), status).await;
        }
    };
    match labels::open_campaign(&st.app, &me, &ask).await {
        Ok(k) => Ok(Redirect::to(&c.href(&format!("/labels/{}", k.slug))).into_response()),
        Err(e) => {
            let (status, r) = refusal(&c, e)?;
            new_view(&st, c, f, Some(r), status).await
        }
    }
}

// ---------------------------------------------------------------- a campaign

#[derive(Template)]
#[template(path = "label_campaign.html")]
struct CampaignPage {
    c: Chrome,
    k: Campaign,
    open: bool,
    closed: bool,
    labels: Vec<CampaignLabel>,
    decisions: Vec<LabelDecision>,
    /// The pôles the caller manages, for their candidacy's link.
    mine: Vec<(String, String)>,
    officer: bool,
    candidacies: Vec<CandidacyLine>,
    committee: Vec<CommitteeMember>,
    eligible: Vec<Eligible>,
    region_names: HashMap<String, String>,
    refusal: Option<Refusal>,
    /// The form a refusal is about: `committee` or `decision`.
    refused: String,
}

impl CampaignPage {
    fn pole_href(&self, pole: &str) -> String {
        self.c.href(&format!("/labels/{}/{pole}", self.k.slug))
    }

    fn name(&self) -> String {
        name_of(&self.c, &self.k.name_en, &self.k.name_fr)
    }

    fn err(&self, form: &str, field: &str) -> Option<&str> {
        (self.refused == form)
            .then_some(self.refusal.as_ref())
            .flatten()
            .filter(|r| {
                r.field == field
                    || (field.is_empty() && !r.field.is_empty() && !self.known(form, &r.field))
            })
            .map(|r| r.message.as_str())
    }

    /// Whether a form shows this field's refusal beside the field (otherwise at its top).
    fn known(&self, form: &str, field: &str) -> bool {
        match form {
            "committee" => ["user_id", "region"].contains(&field),
            _ => [
                "cluster",
                "outcome",
                "months",
                "conditions",
                "legal_act",
                "act_date",
                "merged_into",
                "tier",
            ]
            .contains(&field),
        }
    }

    fn region(&self, code: &Option<String>) -> String {
        code.as_ref()
            .map(|c| {
                self.region_names
                    .get(c)
                    .cloned()
                    .unwrap_or_else(|| c.clone())
            })
            .unwrap_or_default()
    }

    fn criterion_name(&self, en: &str, fr: &str) -> String {
        name_of(&self.c, en, fr)
    }

    fn approvable(&self, d: &LabelDecision) -> bool {
        d.status == "proposed"
            && self.c.may(poles_app::access::Ability::ApproveLabelDecision(
                d.proposed_by,
            ))
    }

    fn day(&self, s: &str) -> String {
        self.c.partial_date(s)
    }
}

async fn campaign_view(
    st: &AppState,
    c: Chrome,
    v: &Visitor,
    slug: &str,
    refused: Option<(&str, Refusal)>,
    status: StatusCode,
) -> PageResult {
    let k = labels::campaign(&st.app, slug).await?;
    let today = poles_core::Date::today().to_string();
    let open = !k.historical && k.opens_on <= today && today <= k.closes_on;
    let closed = !k.historical && today > k.closes_on;
    let caller = v.caller.as_ref();
    let officer = c.may(poles_app::access::Ability::RunLabelCampaigns);
    let (candidacies, committee, eligible) = match (caller, officer) {
        (Some(me), true) => (
            labels::candidacies(&st.app, me, slug).await?,
            labels::committee(&st.app, me, slug).await?,
            labels::eligible(&st.app, me).await?,
        ),
        _ => (Vec::new(), Vec::new(), Vec::new()),
    };
    let mine = labels::my_poles(&st.app, caller).await?;
    let region_names = atlas::regions(&st.app)
        .await?
        .into_iter()
        .map(|r| (r.code, r.name))
        .collect();
    let (refused, refusal) = match refused {
        Some((f, r)) => (f.to_string(), Some(r)),
        None => (String::new(), None),
    };
    Ok(render_with(
        CampaignPage {
            labels: labels::campaign_labels(&st.app, slug).await?,
            decisions: labels::decisions(&st.app, caller, slug).await?,
            c,
            k,
            open,
            closed,
            mine,
            officer,
            candidacies,
            committee,
            eligible,
            region_names,
            refusal,
            refused,
        },
        status,
    ))
}

async fn campaign_page(
    State(st): State<AppState>,
    c: Chrome,
    v: Visitor,
    Path(slug): Path<String>,
) -> PageResult {
    campaign_view(&st, c, &v, &slug, None, StatusCode::OK).await
}

#[derive(Debug, Deserialize)]
struct CommitteeForm {
    #[serde(default)]
    member: String,
}

async fn committee_add(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path(slug): Path<String>,
    Form(f): Form<CommitteeForm>,
) -> PageResult {
    // The choice is "user id" or "user id:region code" (a region officer's side).
    let (user, region) = match f.member.split_once(':') {
        Some((u, r)) => (u, Some(r.to_string())),
        None => (f.member.as_str(), None),
    };
    let result = match user.trim().parse::<i64>() {
        Ok(user_id) => {
            labels::add_member(&st.app, &me, &slug, &CommitteeAsk { user_id, region }).await
        }
        Err(_) => {
            Err(poles_core::FieldError::new("user_id", "choose someone from the list").into())
        }
    };
    let v = Visitor {
        caller: Some(me),
        origin: Default::default(),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&c.href(&format!("/labels/{slug}#committee"))).into_response()),
        Err(e) => {
            let (status, r) = refusal(&c, e)?;
            campaign_view(&st, c, &v, &slug, Some(("committee", r)), status).await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct DecisionForm {
    #[serde(default)]
    cluster: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    tier: String,
    #[serde(default)]
    months: String,
    #[serde(default)]
    conditions: String,
    #[serde(default)]
    merged_into: String,
    #[serde(default)]
    legal_act: String,
    #[serde(default)]
    act_date: String,
    /// Where the form was: the candidacy's page (`pole`) or the campaign's.
    #[serde(default)]
    back: String,
}

async fn propose(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path(slug): Path<String>,
    Form(f): Form<DecisionForm>,
) -> PageResult {
    let months = match f.months.trim() {
        "" => Ok(None),
        m => m.parse::<i64>().map(Some).map_err(|_| {
            AppError::from(poles_core::FieldError::new(
                "months",
                "a whole number of months",
            ))
        }),
    };
    let result = match months {
        Ok(months) => {
            let ask = DecisionAsk {
                cluster: f.cluster.clone(),
                outcome: f.outcome.clone(),
                tier: some(&f.tier),
                months,
                conditions: some(&f.conditions),
                merged_into: some(&f.merged_into),
                legal_act: f.legal_act.clone(),
                act_date: f.act_date.clone(),
            };
            labels::propose(&st.app, &me, &slug, &ask).await.map(|_| ())
        }
        Err(e) => Err(e),
    };
    let back = if f.back == "pole" {
        format!("/labels/{slug}/{}", f.cluster)
    } else {
        format!("/labels/{slug}")
    };
    match result {
        Ok(()) => Ok(Redirect::to(&c.href(&format!("{back}#decisions"))).into_response()),
        Err(e) => {
            let (status, r) = refusal(&c, e)?;
            if f.back == "pole" {
                candidacy_view(
                    &st,
                    c,
                    &me,
                    &slug,
                    &f.cluster,
                    Default::default(),
                    Some(("decision", r)),
                    status,
                )
                .await
            } else {
                let v = Visitor {
                    caller: Some(me),
                    origin: Default::default(),
                };
                campaign_view(&st, c, &v, &slug, Some(("decision", r)), status).await
            }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct SettleForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    back: String,
}

fn back_to(c: &Chrome, back: &str, d: &LabelDecision) -> String {
    if back == "pole" {
        c.href(&format!(
            "/labels/{}/{}#decisions",
            d.campaign, d.cluster_slug
        ))
    } else {
        c.href(&format!("/labels/{}#decisions", d.campaign))
    }
}

async fn approve(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path(id): Path<i64>,
    Form(f): Form<SettleForm>,
) -> PageResult {
    let d = labels::approve(&st.app, &me, id).await?;
    Ok(Redirect::to(&back_to(&c, &f.back, &d)).into_response())
}

async fn reject(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path(id): Path<i64>,
    Form(f): Form<SettleForm>,
) -> PageResult {
    let d = labels::reject(
        &st.app,
        &me,
        id,
        &RejectAsk {
            reason: f.reason.clone(),
        },
    )
    .await?;
    Ok(Redirect::to(&back_to(&c, &f.back, &d)).into_response())
}

// ---------------------------------------------------------------- a pôle's candidacy

#[derive(Debug, Default, Deserialize)]
struct CandidacyForm {
    #[serde(default)]
    strategy: String,
    #[serde(default)]
    governance: String,
    #[serde(default)]
    international: String,
    #[serde(default)]
    targets: String,
    #[serde(default)]
    summary_en: String,
    /// Euros, as typed.
    #[serde(default)]
    budget: String,
    /// Full-time equivalents, as typed (`1.5`).
    #[serde(default)]
    staff: String,
    #[serde(default)]
    version: String,
    /// Scores typed by a committee member: `score_1`, `comment_1`…; a region's opinion.
    #[serde(flatten)]
    rest: HashMap<String, String>,
}

#[derive(Template)]
#[template(path = "candidacy.html")]
struct CandidacyPage {
    c: Chrome,
    k: Campaign,
    pole_slug: String,
    pole_name: String,
    v: CandidacyView,
    form: CandidacyForm,
    open: bool,
    manager: bool,
    officer: bool,
    region: bool,
    committee: Vec<CommitteeMember>,
    pending_decision: bool,
    opinions: &'static [&'static str],
    outcomes: Vec<String>,
    tiers: &'static [&'static str],
    /// Every pôle by name, for a merger's target (officers).
    poles: Vec<(String, String)>,
    refusal: Option<Refusal>,
    refused: String,
}

impl CandidacyPage {
    fn name(&self) -> String {
        name_of(&self.c, &self.k.name_en, &self.k.name_fr)
    }

    fn err(&self, form: &str, field: &str) -> Option<&str> {
        (self.refused == form)
            .then_some(self.refusal.as_ref())
            .flatten()
            .filter(|r| r.field == field)
            .map(|r| r.message.as_str())
    }

    /// A refusal of this form not shown beside one of its fields (`fields`, space-separated).
    fn err_top(&self, form: &str, fields: &str) -> Option<&str> {
        (self.refused == form)
            .then_some(self.refusal.as_ref())
            .flatten()
            .filter(|r| !fields.split(' ').any(|f| f == r.field))
            .map(|r| r.message.as_str())
    }

    /// An address under this candidacy's page, in the page's language.
    fn href(&self, tail: &str) -> String {
        self.c
            .href(&format!("/labels/{}/{}{tail}", self.k.slug, self.pole_slug))
    }

    fn document_tail(&self, id: &i64) -> String {
        format!("/documents/{id}")
    }

    fn megabytes(&self, n: &i64) -> String {
        format!("{:.1} MB", *n as f64 / 1_000_000.0)
    }

    /// A page of the pôle (its performance contract, its European profile).
    fn pole_page(&self, tail: &str) -> String {
        self.c.href(&format!("/clusters/{}{tail}", self.pole_slug))
    }

    fn committee_href(&self) -> String {
        format!("/labels/{}#committee", self.k.slug)
    }

    fn typed_score(&self, pos: &i64) -> &str {
        self.typed(&format!("score_{pos}"))
    }

    fn typed_comment(&self, pos: &i64) -> &str {
        self.typed(&format!("comment_{pos}"))
    }

    fn criterion_name(&self, en: &str, fr: &str) -> String {
        name_of(&self.c, en, fr)
    }

    fn submitted(&self) -> bool {
        self.v
            .candidacy
            .as_ref()
            .is_some_and(|k| k.status == "submitted")
    }

    fn editable(&self) -> bool {
        self.manager && self.open && !self.submitted()
    }

    fn typed(&self, key: &str) -> &str {
        self.form.rest.get(key).map_or("", String::as_str)
    }

    fn mine(&self, pos: &i64) -> Option<&Score> {
        self.v
            .my_review
            .as_ref()
            .and_then(|r| r.mine.iter().find(|s| s.criterion == *pos))
    }

    fn average(&self, pos: &i64) -> String {
        self.v
            .synthesis
            .as_ref()
            .and_then(|s| s.averages.iter().find(|a| a.criterion == *pos))
            .map_or("—".into(), |a| format!("{:.2}", a.average as f64 / 100.0))
    }

    fn weighted(&self) -> String {
        self.v
            .synthesis
            .as_ref()
            .and_then(|s| s.weighted_total)
            .map_or("—".into(), |w| format!("{:.2}", w as f64 / 100.0))
    }

    fn euros(&self, cents: &Option<i64>) -> String {
        cents.map_or("—".into(), |c| {
            self.c.amount(&poles_core::Money {
                cents: c,
                currency: poles_core::Currency::Eur,
            })
        })
    }

    fn fte(&self, h: &Option<i64>) -> String {
        h.map_or("—".into(), |h| format!("{:.2}", h as f64 / 100.0))
    }

    fn approvable(&self, d: &LabelDecision) -> bool {
        d.status == "proposed"
            && self.c.may(poles_app::access::Ability::ApproveLabelDecision(
                d.proposed_by,
            ))
    }

    fn day(&self, s: &str) -> String {
        self.c.partial_date(s)
    }

    fn kind_name(&self, kind: &str) -> String {
        self.c.tk("kind.", kind)
    }

    fn region_member(&self, m: &CommitteeMember) -> String {
        match &m.region_code {
            Some(r) => format!("{} ({})", m.name, r),
            None => m.name.clone(),
        }
    }
}

fn form_of(k: &Option<poles_app::labels::Candidacy>) -> CandidacyForm {
    let Some(k) = k else {
        return CandidacyForm::default();
    };
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    CandidacyForm {
        strategy: s(&k.strategy),
        governance: s(&k.governance),
        international: s(&k.international),
        targets: s(&k.targets),
        summary_en: s(&k.summary_en),
        budget: k
            .budget_cents
            .map(|c| format!("{}", c / 100))
            .unwrap_or_default(),
        staff: k
            .staff_fte_hundredths
            .map(|h| format!("{:.2}", h as f64 / 100.0))
            .unwrap_or_default(),
        version: k.version.to_string(),
        rest: HashMap::new(),
    }
}

/// What an action on a candidacy page answers: back to the page at the part it changed (`then`:
/// a query or an anchor), or the page again with the refusal beside the form it belongs to
/// (`part`), with what was typed in it where that form brings it back (`form`).
async fn after_candidacy_action<T>(
    st: &AppState,
    c: Chrome,
    me: &Caller,
    (campaign, pole): (&str, &str),
    result: Result<T, AppError>,
    then: &str,
    (part, form): (&str, Option<CandidacyForm>),
) -> PageResult {
    match result {
        Ok(_) => {
            Ok(Redirect::to(&c.href(&format!("/labels/{campaign}/{pole}{then}"))).into_response())
        }
        Err(e) => {
            let (status, r) = refusal(&c, e)?;
            candidacy_view(st, c, me, campaign, pole, form, Some((part, r)), status).await
        }
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "the page's parts, and what a refused form brings back"
)]
async fn candidacy_view(
    st: &AppState,
    c: Chrome,
    me: &Caller,
    campaign: &str,
    pole: &str,
    form: Option<CandidacyForm>,
    refused: Option<(&str, Refusal)>,
    status: StatusCode,
) -> PageResult {
    candidacy_render(st, c, Some(me), campaign, pole, form, refused, status).await
}

#[expect(
    clippy::too_many_arguments,
    reason = "the page's parts, and what a refused form brings back"
)]
async fn candidacy_render(
    st: &AppState,
    c: Chrome,
    me: Option<&Caller>,
    campaign: &str,
    pole: &str,
    form: Option<CandidacyForm>,
    refused: Option<(&str, Refusal)>,
    status: StatusCode,
) -> PageResult {
    let k = labels::campaign(&st.app, campaign).await?;
    let cluster = atlas::cluster(&st.app, pole).await?;
    let v = labels::candidacy(&st.app, me, campaign, pole).await?;
    let today = poles_core::Date::today().to_string();
    let open = !k.historical && k.opens_on <= today && today <= k.closes_on;
    use poles_app::access::Ability;
    let manager = c.may(Ability::WriteCandidacy(pole));
    let officer = c.may(Ability::RunLabelCampaigns);
    let region = c.may(Ability::GiveRegionOpinion(&v.co_deciding_regions));
    let committee = match (me, officer) {
        (Some(me), true) => labels::committee(&st.app, me, campaign).await?,
        _ => Vec::new(),
    };
    let form = form.unwrap_or_else(|| form_of(&v.candidacy));
    let poles = if officer {
        let mut all: Vec<(String, String)> = atlas::all_clusters(&st.app)
            .await?
            .into_iter()
            .filter(|x| x.slug != pole)
            .map(|x| (x.slug, x.name))
            .collect();
        all.sort_by(|a, b| a.1.cmp(&b.1));
        all
    } else {
        Vec::new()
    };
    let pending_decision = v.decisions.iter().any(|d| d.status == "proposed");
    let mut outcomes: Vec<String> = if k.historical {
        Vec::new()
    } else {
        k.outcomes.iter().map(|o| o.outcome.clone()).collect()
    };
    outcomes.extend(["confirmed".to_string(), "delabelled".to_string()]);
    let (refused, refusal) = match refused {
        Some((f, r)) => (f.to_string(), Some(r)),
        None => (String::new(), None),
    };
    Ok(render_with(
        CandidacyPage {
            c,
            k,
            pole_slug: cluster.slug,
            pole_name: cluster.name,
            v,
            form,
            open,
            manager,
            officer,
            region,
            committee,
            pending_decision,
            opinions: OPINIONS,
            outcomes,
            tiers: TIERS,
            poles,
            refusal,
            refused,
        },
        status,
    ))
}

async fn candidacy_page(
    State(st): State<AppState>,
    c: Chrome,
    v: Visitor,
    Path((campaign, pole)): Path<(String, String)>,
) -> PageResult {
    candidacy_render(
        &st,
        c,
        v.caller.as_ref(),
        &campaign,
        &pole,
        None,
        None,
        StatusCode::OK,
    )
    .await
}

/// Euros as typed (`120000`, `120 000`, `120000.50`) in cents.
fn cents(raw: &str) -> Result<Option<i64>, AppError> {
    let t: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    if t.is_empty() {
        return Ok(None);
    }
    let t = t.replace(',', ".");
    t.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0 && *v < 1e13)
        .map(|v| Some((v * 100.0).round() as i64))
        .ok_or_else(|| poles_core::FieldError::new("budget_cents", "an amount in euros").into())
}

fn hundredths(raw: &str) -> Result<Option<i64>, AppError> {
    let t = raw.trim().replace(',', ".");
    if t.is_empty() {
        return Ok(None);
    }
    t.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0 && *v <= 1000.0)
        .map(|v| Some((v * 100.0).round() as i64))
        .ok_or_else(|| {
            poles_core::FieldError::new("staff_fte_hundredths", "a number of full-time equivalents")
                .into()
        })
}

async fn candidacy_save(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path((campaign, pole)): Path<(String, String)>,
    Form(f): Form<CandidacyForm>,
) -> PageResult {
    let result = async {
        let ask = CandidacyAsk {
            strategy: some(&f.strategy),
            governance: some(&f.governance),
            international: some(&f.international),
            targets: some(&f.targets),
            summary_en: some(&f.summary_en),
            budget_cents: cents(&f.budget)?,
            staff_fte_hundredths: hundredths(&f.staff)?,
            version: f.version.trim().parse().ok(),
        };
        labels::save(&st.app, &me, &campaign, &pole, &ask).await
    }
    .await;
    after_candidacy_action(
        &st,
        c,
        &me,
        (&campaign, &pole),
        result,
        "?saved=1",
        ("candidacy", Some(f)),
    )
    .await
}

async fn candidacy_submit(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path((campaign, pole)): Path<(String, String)>,
) -> PageResult {
    let result = labels::submit(&st.app, &me, &campaign, &pole).await;
    after_candidacy_action(
        &st,
        c,
        &me,
        (&campaign, &pole),
        result,
        "",
        ("candidacy", None),
    )
    .await
}

#[derive(Debug, Deserialize)]
struct AssignForm {
    #[serde(default)]
    reviewer: String,
}

async fn assign(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path((campaign, pole)): Path<(String, String)>,
    Form(f): Form<AssignForm>,
) -> PageResult {
    let result = match f.reviewer.trim().parse::<i64>() {
        Ok(id) => labels::assign(&st.app, &me, &campaign, &pole, id).await,
        Err(_) => {
            Err(poles_core::FieldError::new("reviewer_id", "choose a committee member").into())
        }
    };
    after_candidacy_action(
        &st,
        c,
        &me,
        (&campaign, &pole),
        result,
        "#committee",
        ("assign", None),
    )
    .await
}

async fn scores(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path((campaign, pole)): Path<(String, String)>,
    Form(f): Form<CandidacyForm>,
) -> PageResult {
    let k = labels::campaign(&st.app, &campaign).await?;
    let mut marks = Vec::new();
    let mut bad = None;
    for cr in &k.criteria {
        let raw = f
            .rest
            .get(&format!("score_{}", cr.position))
            .map_or("", String::as_str)
            .trim();
        match raw.parse::<i64>() {
            Ok(score) => marks.push(Score {
                criterion: cr.position,
                score,
                comment: f
                    .rest
                    .get(&format!("comment_{}", cr.position))
                    .and_then(|c| some(c)),
            }),
            Err(_) => {
                bad = Some(cr.position);
                break;
            }
        }
    }
    let result = match bad {
        Some(p) => {
            Err(poles_core::FieldError::new(format!("scores[{p}].score"), "must be 0 to 10").into())
        }
        None => labels::score(&st.app, &me, &campaign, &pole, &marks)
            .await
            .map(|_| ()),
    };
    after_candidacy_action(
        &st,
        c,
        &me,
        (&campaign, &pole),
        result,
        "#review",
        ("review", Some(f)),
    )
    .await
}

#[derive(Debug, Deserialize)]
struct OpinionForm {
    #[serde(default)]
    opinion: String,
    #[serde(default)]
    comment: String,
}

async fn opinion(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path((campaign, pole)): Path<(String, String)>,
    Form(f): Form<OpinionForm>,
) -> PageResult {
    let ask = OpinionAsk {
        opinion: f.opinion.clone(),
        comment: some(&f.comment),
    };
    let result = labels::give_opinion(&st.app, &me, &campaign, &pole, &ask).await;
    after_candidacy_action(
        &st,
        c,
        &me,
        (&campaign, &pole),
        result,
        "#opinions",
        ("opinion", None),
    )
    .await
}

#[derive(Debug, Deserialize)]
struct SynthesisForm {
    #[serde(default)]
    synthesis: String,
}

async fn synthesis(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path((campaign, pole)): Path<(String, String)>,
    Form(f): Form<SynthesisForm>,
) -> PageResult {
    let ask = SynthesisAsk {
        synthesis: f.synthesis.clone(),
    };
    let result = labels::write_synthesis(&st.app, &me, &campaign, &pole, &ask).await;
    after_candidacy_action(
        &st,
        c,
        &me,
        (&campaign, &pole),
        result,
        "#synthesis",
        ("synthesis", None),
    )
    .await
}

#[derive(Template)]
#[template(path = "candidacy_file.html")]
struct FilePage {
    c: Chrome,
    k: Campaign,
    pole_name: String,
    v: CandidacyView,
}

impl FilePage {
    fn back_href(&self) -> String {
        let pole = self
            .v
            .candidacy
            .as_ref()
            .map_or("", |x| x.cluster_slug.as_str());
        self.c.href(&format!("/labels/{}/{pole}", self.k.slug))
    }

    fn name(&self) -> String {
        name_of(&self.c, &self.k.name_en, &self.k.name_fr)
    }

    fn kind_name(&self, kind: &str) -> String {
        self.c.tk("kind.", kind)
    }

    fn euros(&self, cents: &Option<i64>) -> String {
        cents.map_or("—".into(), |c| {
            self.c.amount(&poles_core::Money {
                cents: c,
                currency: poles_core::Currency::Eur,
            })
        })
    }

    fn fte(&self, h: &Option<i64>) -> String {
        h.map_or("—".into(), |h| format!("{:.2}", h as f64 / 100.0))
    }

    fn day(&self, s: &str) -> String {
        self.c.partial_date(s)
    }
}

/// The candidacy as one printable file (its managers, the officers, its reviewers).
async fn file(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path((campaign, pole)): Path<(String, String)>,
) -> PageResult {
    let k = labels::campaign(&st.app, &campaign).await?;
    let cluster = atlas::cluster(&st.app, &pole).await?;
    let v = labels::candidacy(&st.app, Some(&me), &campaign, &pole).await?;
    if v.candidacy.is_none() {
        return Err(AppError::NotFound("candidacy").into());
    }
    Ok(render_with(
        FilePage {
            c,
            k,
            pole_name: cluster.name,
            v,
        },
        StatusCode::OK,
    ))
}

// ---------------------------------------------------------------- the European side

#[derive(Debug, Default, Deserialize)]
struct EscaForm {
    #[serde(default)]
    level: String,
    #[serde(default)]
    awarded_on: String,
    #[serde(default)]
    expires_on: String,
    #[serde(default)]
    source_title: String,
    #[serde(default)]
    source_url: String,
}

#[derive(Template)]
#[template(path = "europe.html")]
struct EuropePage {
    c: Chrome,
    slug: String,
    name: String,
    p: EuropeanProfile,
    can_edit: bool,
    levels: &'static [&'static str],
    form: EscaForm,
    refusal: Option<Refusal>,
}

impl EuropePage {
    fn err(&self, field: &str) -> Option<&str> {
        self.refusal
            .as_ref()
            .filter(|r| r.field == field)
            .map(|r| r.message.as_str())
    }

    fn top_err(&self) -> Option<&str> {
        const BESIDE: &[&str] = &[
            "level",
            "awarded_on",
            "expires_on",
            "source_title",
            "source_url",
        ];
        self.refusal
            .as_ref()
            .filter(|r| !BESIDE.contains(&r.field.as_str()))
            .map(|r| r.message.as_str())
    }

    fn verdict(&self, v: &Verdict) -> String {
        self.c.tk(
            "eccp.",
            match v {
                Verdict::Met => "met",
                Verdict::NotMet => "not_met",
                Verdict::Unknown => "unknown",
            },
        )
    }

    fn fte(&self) -> String {
        format!(
            "{:.1}",
            self.p.check.rules.min_fte_hundredths as f64 / 100.0
        )
    }

    fn day(&self, s: &str) -> String {
        self.c.partial_date(s)
    }
}

async fn europe_view(
    st: &AppState,
    c: Chrome,
    slug: &str,
    form: EscaForm,
    refusal: Option<Refusal>,
    status: StatusCode,
) -> PageResult {
    let cluster = atlas::cluster(&st.app, slug).await?;
    let p = labels::european_profile(&st.app, slug).await?;
    let can_edit = c.can_edit_cluster(slug);
    Ok(render_with(
        EuropePage {
            c,
            slug: cluster.slug,
            name: cluster.name,
            p,
            can_edit,
            levels: ESCA_LEVELS,
            form,
            refusal,
        },
        status,
    ))
}

async fn europe_page(
    State(st): State<AppState>,
    c: Chrome,
    Path(slug): Path<String>,
) -> PageResult {
    europe_view(&st, c, &slug, EscaForm::default(), None, StatusCode::OK).await
}

async fn esca_submit(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path(slug): Path<String>,
    Form(f): Form<EscaForm>,
) -> PageResult {
    let ask = EscaAsk {
        level: f.level.clone(),
        awarded_on: f.awarded_on.clone(),
        expires_on: some(&f.expires_on),
        source_title: f.source_title.clone(),
        source_url: some(&f.source_url),
    };
    match labels::record_esca(&st.app, &me, &slug, &ask).await {
        Ok(_) => Ok(Redirect::to(&c.href(&format!("/clusters/{slug}/europe"))).into_response()),
        Err(e) => {
            let (status, r) = refusal(&c, e)?;
            europe_view(&st, c, &slug, f, Some(r), status).await
        }
    }
}

// ---------------------------------------------------------------- performance contracts

#[derive(Template)]
#[template(path = "performance.html")]
struct ContractPage {
    c: Chrome,
    slug: String,
    name: String,
    k: Contract,
    phase_name: String,
    officer: bool,
    can_enter: bool,
    form: HashMap<String, String>,
    refusal: Option<Refusal>,
    refused: String,
}

impl ContractPage {
    fn err(&self, form: &str, field: &str) -> Option<&str> {
        (self.refused == form)
            .then_some(self.refusal.as_ref())
            .flatten()
            .filter(|r| r.field == field || (field.is_empty() && r.field.starts_with("targets")))
            .map(|r| r.message.as_str())
    }

    fn typed(&self, key: &str) -> &str {
        self.form.get(key).map_or("", String::as_str)
    }

    fn target_typed(&self, ind: &str) -> String {
        match self.form.get(&format!("target_{ind}")) {
            Some(v) => v.clone(),
            None => self
                .k
                .indicators
                .iter()
                .find(|r| r.indicator == ind)
                .and_then(|r| r.target)
                .map(|t| {
                    if ind == "money_raised_cents" {
                        (t / 100).to_string()
                    } else {
                        t.to_string()
                    }
                })
                .unwrap_or_default(),
        }
    }

    /// A figure of an indicator: euros for money, else a count.
    fn figure(&self, ind: &str, v: &Option<i64>) -> String {
        match v {
            None => "—".into(),
            Some(v) if ind == "money_raised_cents" => self.c.amount(&poles_core::Money {
                cents: *v,
                currency: poles_core::Currency::Eur,
            }),
            Some(v) => self.c.num(v),
        }
    }

    /// The bar's tenth (the style sheet's `p0` … `p10`: no inline style under the CSP).
    fn bar(&self, p: &Option<i64>) -> i64 {
        p.map_or(0, |p| p.clamp(0, 100) / 10)
    }
}

async fn contract_view(
    st: &AppState,
    c: Chrome,
    slug: &str,
    phase: Option<&str>,
    form: HashMap<String, String>,
    refused: Option<(&str, Refusal)>,
    status: StatusCode,
) -> PageResult {
    let cluster = atlas::cluster(&st.app, slug).await?;
    let k = performance::contract(&st.app, slug, phase).await?;
    let (phases, _) = atlas::phases(&st.app).await?;
    let en = c.t.code() == "en";
    let phase_name = phases
        .into_iter()
        .find(|p| p.code == k.phase)
        .map(|p| if en { p.name_en } else { p.name_fr })
        .unwrap_or_else(|| k.phase.clone());
    use poles_app::access::Ability;
    let officer = c.may(Ability::RunLabelCampaigns);
    let can_enter = c.can_edit_cluster(slug);
    let (refused, refusal) = match refused {
        Some((f, r)) => (f.to_string(), Some(r)),
        None => (String::new(), None),
    };
    Ok(render_with(
        ContractPage {
            c,
            slug: cluster.slug,
            name: cluster.name,
            k,
            phase_name,
            officer,
            can_enter,
            form,
            refusal,
            refused,
        },
        status,
    ))
}

async fn contract_page(
    State(st): State<AppState>,
    c: Chrome,
    Path(slug): Path<String>,
    Query(p): Query<Params>,
) -> PageResult {
    let phase = params::get(&p, "phase");
    contract_view(
        &st,
        c,
        &slug,
        phase.as_deref(),
        HashMap::new(),
        None,
        StatusCode::OK,
    )
    .await
}

async fn targets_submit(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path(slug): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult {
    let mut targets = Vec::new();
    let mut bad = None;
    for ind in performance::indicator_names() {
        let raw = f.get(&format!("target_{ind}")).map_or("", |s| s.trim());
        if raw.is_empty() {
            continue;
        }
        let parsed = if ind == "money_raised_cents" {
            crate::http::params::euros(&format!("targets[{}].target", targets.len()), raw, false)
        } else {
            raw.parse::<i64>().map_err(|_| {
                poles_core::FieldError::new(
                    format!("targets[{}].target", targets.len()),
                    "a whole number",
                )
            })
        };
        match parsed {
            Ok(target) => targets.push(TargetAsk {
                indicator: ind.to_string(),
                target,
            }),
            Err(e) => {
                bad = Some(e);
                break;
            }
        }
    }
    let result = match bad {
        Some(e) => Err(e.into()),
        None => {
            performance::set_targets(
                &st.app,
                &me,
                &slug,
                &TargetsAsk {
                    phase: f.get("phase").cloned(),
                    targets,
                },
            )
            .await
        }
    };
    match result {
        Ok(_) => {
            Ok(Redirect::to(&c.href(&format!("/clusters/{slug}/performance"))).into_response())
        }
        Err(e) => {
            let (status, r) = refusal(&c, e)?;
            let phase = f.get("phase").cloned();
            contract_view(
                &st,
                c,
                &slug,
                phase.as_deref(),
                f,
                Some(("targets", r)),
                status,
            )
            .await
        }
    }
}

async fn value_submit(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path(slug): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult {
    let get = |k: &str| f.get(k).map_or("", |s| s.trim());
    let result = async {
        let year = get("year")
            .parse::<i64>()
            .map_err(|_| poles_core::FieldError::new("year", "choose a year"))?;
        let indicator = get("indicator").to_string();
        let value = if indicator == "money_raised_cents" {
            crate::http::params::euros("value", get("value"), false)?
        } else {
            get("value")
                .parse::<i64>()
                .map_err(|_| poles_core::FieldError::new("value", "a whole number"))?
        };
        performance::enter_value(
            &st.app,
            &me,
            &slug,
            &ValueAsk {
                year,
                indicator,
                value,
                source_title: get("source_title").to_string(),
                source_url: some(get("source_url")),
            },
        )
        .await
    }
    .await;
    match result {
        Ok(_) => {
            Ok(Redirect::to(&c.href(&format!("/clusters/{slug}/performance"))).into_response())
        }
        Err(e) => {
            let (status, r) = refusal(&c, e)?;
            contract_view(&st, c, &slug, None, f, Some(("value", r)), status).await
        }
    }
}

#[derive(Template)]
#[template(path = "performance_programme.html")]
struct ProgrammePage {
    c: Chrome,
    d: ProgrammeDashboard,
    years: Vec<i64>,
}

impl ProgrammePage {
    fn figure(&self, k: &usize, v: &Option<i64>) -> String {
        match v {
            None => "—".into(),
            Some(v) => self.figure_n(k, v),
        }
    }

    fn figure_n(&self, k: &usize, v: &i64) -> String {
        let v = *v;
        if self
            .d
            .indicators
            .get(*k)
            .is_some_and(|i| i == "money_raised_cents")
        {
            self.c.amount(&poles_core::Money {
                cents: v,
                currency: poles_core::Currency::Eur,
            })
        } else {
            self.c.num(&v)
        }
    }

    fn target_at(&self, targets: &[Option<i64>], k: &usize) -> Option<i64> {
        targets.get(*k).copied().flatten()
    }

    fn reached(&self, v: &Option<i64>, targets: &[Option<i64>], k: &usize) -> bool {
        matches!((v, self.target_at(targets, k)), (Some(v), Some(t)) if *v >= t)
    }

    fn pole_href(&self, slug: &str) -> String {
        self.c.href(&format!("/clusters/{slug}/performance"))
    }

    fn year_href(&self, y: &i64) -> String {
        self.c
            .href(&format!("/performance?phase={}&year={y}", self.d.phase))
    }

    fn csv_href(&self) -> String {
        format!(
            "/performance?phase={}&year={}&format=csv",
            self.d.phase, self.d.year
        )
    }
}

/// The programme's dashboard; `format=csv` exports its table.
async fn programme_page(
    State(st): State<AppState>,
    c: Chrome,
    Query(p): Query<Params>,
) -> PageResult {
    let year = super::api::year_param(&p).map_err(AppError::from)?;
    let d = performance::programme(&st.app, params::get(&p, "phase").as_deref(), year).await?;
    if params::get(&p, "format").as_deref() == Some("csv") {
        let mut out = String::from("pole");
        for i in &d.indicators {
            out.push_str(&format!(",{i},{i}_target"));
        }
        out.push('\n');
        for l in &d.poles {
            out.push_str(&csv_cell(&l.cluster_name));
            for (v, t) in l.values.iter().zip(&l.targets) {
                let f = |x: &Option<i64>| x.map(|x| x.to_string()).unwrap_or_default();
                out.push_str(&format!(",{},{}", f(v), f(t)));
            }
            out.push('\n');
        }
        return Ok((
            [
                (
                    axum::http::header::CONTENT_TYPE,
                    "text/csv; charset=utf-8".to_string(),
                ),
                (
                    axum::http::header::CONTENT_DISPOSITION,
                    format!(
                        "attachment; filename=\"performance-{}-{}.csv\"",
                        d.phase, d.year
                    ),
                ),
            ],
            out,
        )
            .into_response());
    }
    let (phases, _) = atlas::phases(&st.app).await?;
    let years = phases
        .iter()
        .find(|x| x.code == d.phase)
        .map(|x| {
            (x.starts.year()..=x.ends.year().min(poles_core::Date::today().year()))
                .map(i64::from)
                .collect()
        })
        .unwrap_or_default();
    Ok(render_with(ProgrammePage { c, d, years }, StatusCode::OK))
}

/// A CSV cell: quoted, and a leading formula character neutralised.
fn csv_cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// A candidacy's attachment, for those who read the candidacy.
async fn document(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path((campaign, pole, id)): Path<(String, String, String)>,
) -> PageResult {
    let id = id
        .parse::<i64>()
        .map_err(|_| AppError::NotFound("document"))?;
    let (name, bytes) = labels::document(&st.app, &me, &campaign, &pole, id).await?;
    Ok(super::api::pdf(&name, bytes))
}

async fn document_remove(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path((campaign, pole, id)): Path<(String, String, String)>,
) -> PageResult {
    let id = id
        .parse::<i64>()
        .map_err(|_| AppError::NotFound("document"))?;
    let result = labels::detach(&st.app, &me, &campaign, &pole, id).await;
    after_candidacy_action(
        &st,
        c,
        &me,
        (&campaign, &pole),
        result,
        "#documents",
        ("candidacy", None),
    )
    .await
}
