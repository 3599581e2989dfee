//! The follow-up page of a decided application: what was decided, scheduled and paid per
//! funder, with the forms of each party — the lead records the consortium agreement and the
//! milestones, a partner claims a payment, officers finalise, plan the schedule, decide the
//! claims (one proposes a payment, another releases it) and close the project. A refused
//! form comes back as the same page with what was typed and the reason beside it.

use crate::http::error::PageResult;
use crate::http::extract::SignedIn;
use crate::http::params;
use crate::ui::chrome::Chrome;
use crate::ui::format;
use crate::ui::render::render_with;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Form, Router};
use poles_app::access::Ability;
use poles_app::applications::{self, Application};
use poles_app::followup::{
    self, ClaimDecision, ClaimInput, Funding, MilestoneDone, MilestoneInput, ScheduleLine,
};
use poles_app::{AppError, Caller};
use poles_core::status::{ApplicationStatus, ClaimStatus, PaymentKind};
use poles_core::{Date, FieldError};
use std::collections::HashMap;

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/applications/{id}/follow-up", get(page))
        .route("/applications/{id}/follow-up/{form}", post(act))
        .route(
            "/applications/{id}/follow-up/claims/{claim}",
            post(decide_claim),
        )
        .route(
            "/applications/{id}/follow-up/milestones/{milestone}",
            post(milestone_done),
        )
}

/// Empty rows the schedule form offers beside the planned lines.
const NEW_ROWS: usize = 2;

#[derive(Template)]
#[template(path = "followup.html")]
struct FollowUpPage {
    c: Chrome,
    a: Application,
    f: Funding,
    /// Officers finalise, schedule, decide claims and close.
    officer: bool,
    /// The caller acts for the lead organisation.
    lead: bool,
    /// The partner organisations the caller acts for (they may claim for them).
    mine: Vec<(i64, String)>,
    /// A refused form: which one and why, with what was typed.
    problem: Option<(String, String)>,
    kept: HashMap<String, String>,
}

impl FollowUpPage {
    fn euros(&self, cents: &i64) -> String {
        format::euros(*cents, self.c.t.lang)
    }

    fn partner(&self, id: &i64) -> String {
        self.a
            .partners
            .iter()
            .find(|p| p.organisation_id == *id)
            .map_or_else(|| id.to_string(), |p| p.name.clone())
    }

    fn funders(&self) -> Vec<&str> {
        self.f.by_funder.iter().map(|f| f.funder.as_str()).collect()
    }

    fn kinds(&self) -> [&'static str; 3] {
        [
            PaymentKind::Advance.as_str(),
            PaymentKind::Interim.as_str(),
            PaymentKind::Final.as_str(),
        ]
    }

    /// The refusal of `form`, if it came from there.
    fn problem_at(&self, form: &str) -> Option<&str> {
        self.problem
            .as_ref()
            .filter(|(f, _)| f == form)
            .map(|(_, m)| m.as_str())
    }

    /// The refusal of the form of one claim or milestone (`claim-ID`, `milestone-ID`).
    fn problem_of(&self, what: &str, id: &i64) -> Option<&str> {
        self.problem_at(&format!("{what}-{id}"))
    }

    /// A field as typed in the refused form, else `default`.
    fn v<'a>(&'a self, field: &str, default: &'a str) -> &'a str {
        self.kept.get(field).map_or(default, String::as_str)
    }

    /// The schedule's rows: the planned lines, then empty ones.
    fn schedule_rows(&self) -> Vec<(usize, Option<&ScheduleLine>)> {
        (0..self.f.schedule.len() + NEW_ROWS)
            .map(|k| (k, self.f.schedule.get(k)))
            .collect()
    }

    fn row_value(&self, k: &usize, field: &str, line: &Option<&ScheduleLine>) -> String {
        if let Some(v) = self.kept.get(&format!("{field}_{k}")) {
            return v.clone();
        }
        match (line, field) {
            (Some(l), "partner") => l.organisation_id.to_string(),
            (Some(l), "funder") => l.funder.clone(),
            (Some(l), "kind") => l.kind.as_str().to_string(),
            (Some(l), "due") => l.due_on.to_string(),
            (Some(l), "amount") => (l.amount_cents / 100).to_string(),
            _ => String::new(),
        }
    }

    fn may_finalise(&self) -> bool {
        self.officer
            && self.f.status == ApplicationStatus::Selected
            && self.f.finalised_at.is_none()
    }

    fn may_close(&self) -> bool {
        self.officer && self.f.status == ApplicationStatus::Running
    }

    fn active(&self) -> bool {
        matches!(
            self.f.status,
            ApplicationStatus::Selected | ApplicationStatus::Running
        )
    }

    fn same(&self, a: &str, b: &str) -> bool {
        a == b
    }

    fn claim_open_status(&self, status: &ClaimStatus) -> bool {
        *status == ClaimStatus::Claimed
    }

    /// Claims an officer may decide: waiting, and not the caller's own proposed release.
    fn claim_open(&self, status: &ClaimStatus) -> bool {
        self.officer && *status == ClaimStatus::Claimed
    }
}

async fn show(
    st: &AppState,
    c: Chrome,
    me: &Caller,
    id: i64,
    problem: Option<(String, String)>,
    kept: HashMap<String, String>,
    status: StatusCode,
) -> PageResult {
    let a = applications::get(&st.app, me, id).await?;
    let f = followup::funding(&st.app, me, id).await?;
    let officer = c.may(Ability::RunSelection);
    let lead = c.may(Ability::ApplyFor(a.lead_organisation_id));
    let mine = a
        .partners
        .iter()
        .filter(|p| c.may(Ability::ApplyFor(p.organisation_id)))
        .map(|p| (p.organisation_id, p.name.clone()))
        .collect();
    Ok(render_with(
        FollowUpPage {
            c,
            a,
            f,
            officer,
            lead,
            mine,
            problem,
            kept,
        },
        status,
    ))
}

async fn page(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    let id = params::path_id(&id, "application")?;
    show(&st, c, &me, id, None, HashMap::new(), StatusCode::OK).await
}

/// After a write: back to the page, or the page again with the refusal beside `form`.
async fn done(
    st: &AppState,
    c: Chrome,
    me: &Caller,
    id: i64,
    form: &str,
    kept: HashMap<String, String>,
    r: Result<(), AppError>,
) -> PageResult {
    match r {
        Ok(()) => Ok(Redirect::to(&format!(
            "{}#{form}",
            c.href(&format!("/applications/{id}/follow-up"))
        ))
        .into_response()),
        Err(AppError::Invalid(e)) => {
            let problem = Some((form.to_string(), c.reason(&e)));
            show(st, c, me, id, problem, kept, StatusCode::BAD_REQUEST).await
        }
        Err(AppError::Refused { reason, .. }) => {
            let problem = Some((form.to_string(), c.reason(&reason)));
            show(st, c, me, id, problem, kept, StatusCode::CONFLICT).await
        }
        Err(AppError::Conflict { .. }) => {
            let problem = Some((form.to_string(), c.t.t("form.conflict").to_string()));
            show(st, c, me, id, problem, kept, StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}

fn field<'a>(f: &'a HashMap<String, String>, k: &str) -> &'a str {
    f.get(k).map_or("", |v| v.trim())
}

fn euros(f: &HashMap<String, String>, k: &str) -> Result<i64, AppError> {
    Ok(params::euros(k, field(f, k), false)?)
}

/// The page's forms, by name: `agreement`, `finalise`, `schedule`, `claim`, `milestone`,
/// `status`.
async fn act(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path((id, form)): Path<(String, String)>,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult {
    let id = params::path_id(&id, "application")?;
    let app = &st.app;
    let r: Result<(), AppError> = match form.as_str() {
        "agreement" => followup::agreement(app, &me, id, field(&f, "status")).await,
        "finalise" => followup::finalise(app, &me, id).await.map(|_| ()),
        "schedule" => schedule(&st, &me, id, &f).await,
        "claim" => claim(&st, &me, id, &f).await,
        "milestone" => {
            let m = MilestoneInput {
                title: field(&f, "title").to_string(),
                due_on: field(&f, "due_on").to_string(),
            };
            followup::add_milestone(app, &me, id, &m).await.map(|_| ())
        }
        "status" => {
            let reason = Some(field(&f, "reason").to_string()).filter(|r| !r.is_empty());
            followup::set_status(app, &me, id, field(&f, "status"), reason).await
        }
        _ => return Err(AppError::NotFound("form").into()),
    };
    done(&st, c, &me, id, &form, f, r).await
}

/// The schedule's rows `partner_k`, `funder_k`, `kind_k`, `due_k`, `amount_k`; a row with
/// no amount is left out.
async fn schedule(
    st: &AppState,
    me: &Caller,
    id: i64,
    f: &HashMap<String, String>,
) -> Result<(), AppError> {
    let mut lines = Vec::new();
    for k in 0..100 {
        if !f.contains_key(&format!("amount_{k}")) {
            break;
        }
        if field(f, &format!("amount_{k}")).is_empty() {
            continue;
        }
        let partner = field(f, &format!("partner_{k}"));
        lines.push(ScheduleLine {
            organisation_id: partner
                .parse()
                .map_err(|_| FieldError::new(format!("partner_{k}"), "choose a partner"))?,
            funder: field(f, &format!("funder_{k}")).to_string(),
            kind: PaymentKind::parse(&format!("kind_{k}"), field(f, &format!("kind_{k}")))?,
            due_on: Date::parse(&format!("due_{k}"), field(f, &format!("due_{k}")))?,
            amount_cents: euros(f, &format!("amount_{k}"))?,
        });
    }
    followup::schedule(&st.app, me, id, &lines).await
}

async fn claim(
    st: &AppState,
    me: &Caller,
    id: i64,
    f: &HashMap<String, String>,
) -> Result<(), AppError> {
    let organisation: i64 = field(f, "organisation")
        .parse()
        .map_err(|_| FieldError::new("organisation", "choose the partner you claim for"))?;
    let c = ClaimInput {
        funder: field(f, "funder").to_string(),
        kind: field(f, "kind").to_string(),
        amount_cents: euros(f, "amount")?,
        expenses_cents: match field(f, "expenses") {
            "" => 0,
            _ => euros(f, "expenses")?,
        },
        statement: field(f, "statement").to_string(),
    };
    followup::claim(&st.app, me, id, organisation, &c)
        .await
        .map(|_| ())
}

/// An officer pays (the first proposes the payment, a second releases it) or refuses.
async fn decide_claim(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path((id, claim)): Path<(String, String)>,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult {
    let id = params::path_id(&id, "application")?;
    let claim = params::path_id(&claim, "claim")?;
    let d = ClaimDecision {
        pay: field(&f, "decision") == "pay",
        paid_on: Some(field(&f, "paid_on").to_string()).filter(|d| !d.is_empty()),
        reason: Some(field(&f, "reason").to_string()).filter(|r| !r.is_empty()),
    };
    let r = followup::decide_claim(&st.app, &me, claim, &d)
        .await
        .map(|_| ());
    done(&st, c, &me, id, &format!("claim-{claim}"), f, r).await
}

async fn milestone_done(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path((id, milestone)): Path<(String, String)>,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult {
    let id = params::path_id(&id, "application")?;
    let milestone = params::path_id(&milestone, "milestone")?;
    let m = MilestoneDone {
        done_on: field(&f, "done_on").to_string(),
        evidence: Some(field(&f, "evidence").to_string()).filter(|e| !e.is_empty()),
    };
    let r = followup::milestone_done(&st.app, &me, id, milestone, &m).await;
    done(&st, c, &me, id, &format!("milestone-{milestone}"), f, r).await
}
