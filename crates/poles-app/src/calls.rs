//! Calls for projects: their rule sets, funders and review criteria, opened by officers from
//! an earlier call; and the live check of a project against a call's rules (eligibility rule
//! by rule, and each partner's aid split between funders). Anyone may read them.

use crate::access;
use crate::{App, AppError, Caller, Result};
use poles_core::calls::{self as rules, Aid, Eligibility, ProjectFacts, RuleSet};
use poles_core::model::{Call, Criterion};
use poles_core::{Date, FieldError, Slug};
use poles_store::calls as store;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use poles_store::followup::FundedProject;

/// Every call with its rule set, funders and criteria, oldest first.
pub async fn list(app: &App) -> Result<Vec<Call>> {
    Ok(store::list(&app.db).await?)
}

/// One call with its rule set, funders and criteria.
pub async fn get(app: &App, slug: &str) -> Result<Call> {
    store::get(&app.db, slug)
        .await?
        .ok_or(AppError::NotFound("call"))
}

/// The projects funded through the calls (selected, running, closed) with their decided
/// funding, newest decision first.
pub async fn funded_projects(app: &App) -> Result<Vec<FundedProject>> {
    Ok(poles_store::followup::funded_projects(&app.db).await?)
}

/// What the call's rules say about a project.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CheckResult {
    pub call: String,
    pub rule_set: String,
    pub eligibility: Eligibility,
    pub aid: Aid,
}

fn validate(f: &ProjectFacts) -> Result<(), FieldError> {
    if f.partners.is_empty() || f.partners.len() > 50 {
        return Err(FieldError::new("partners", "must list 1 to 50 partners"));
    }
    for (k, p) in f.partners.iter().enumerate() {
        if p.name.trim().is_empty() || p.name.chars().count() > 200 {
            return Err(FieldError::new(
                format!("partners[{k}].name"),
                "must have 1 to 200 characters",
            ));
        }
        let c = &p.costs;
        for (field, v) in [
            ("staff", c.staff),
            ("equipment", c.equipment),
            ("subcontracting", c.subcontracting),
            ("overheads", c.overheads),
        ] {
            if !(0..=10_000_000_000_000).contains(&v) {
                return Err(FieldError::new(
                    format!("partners[{k}].costs.{field}"),
                    "must be between 0 and 100 billion (in cents)",
                ));
            }
        }
    }
    for (k, l) in f.labellings.iter().enumerate() {
        if let Some(d) = l.decided_on.as_deref().filter(|d| !d.trim().is_empty()) {
            poles_core::Date::parse(&format!("labellings[{k}].decided_on"), d)?;
        }
    }
    Ok(())
}

/// Checks a project against a call's rules, as applicants see it live while they edit:
/// every rule with its outcome and numbers, and the aid each partner could receive.
pub async fn check(app: &App, slug: &str, facts: &ProjectFacts) -> Result<CheckResult> {
    let call = get(app, slug).await?;
    validate(facts)?;
    Ok(CheckResult {
        eligibility: rules::eligibility(
            &call.rule_set,
            facts,
            call.deadline.map(|d| d.to_string()).as_deref(),
        ),
        aid: rules::aid(&call.rule_set, facts),
        rule_set: call.rule_set.id.clone(),
        call: call.slug,
    })
}

/// A new call, its rule set copied from an earlier call (then edited with `put_rule_set`).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewCall {
    pub slug: String,
    pub name_fr: String,
    pub name_en: String,
    pub programme: String,
    pub opens_on: Option<String>,
    pub deadline: Option<String>,
    pub decision_on: Option<String>,
    /// The earlier call whose rule set, funders and criteria are copied.
    pub from_call: String,
    pub source: String,
}

/// An optional `YYYY-MM-DD` date, empty as absent.
fn date(field: &str, v: &Option<String>) -> Result<Option<Date>, FieldError> {
    match v.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(d) => Date::parse(field, d).map(Some),
    }
}

/// Opens a call from an earlier call's rule set, funders and criteria (selection officers);
/// the new call as stored.
pub async fn create(app: &App, caller: &Caller, c: &NewCall) -> Result<Call> {
    let cap = app
        .allowed(caller, access::selection_officer(&caller.actor))
        .await?;
    let slug = Slug::parse("slug", &c.slug)?;
    let (opens_on, deadline, decision_on) = (
        date("opens_on", &c.opens_on)?,
        date("deadline", &c.deadline)?,
        date("decision_on", &c.decision_on)?,
    );
    if let (Some(o), Some(d)) = (&opens_on, &deadline) {
        if d < o {
            return Err(FieldError::new("deadline", "is before the opening").into());
        }
    }
    for (f, v) in [
        ("name_fr", &c.name_fr),
        ("name_en", &c.name_en),
        ("programme", &c.programme),
        ("source", &c.source),
    ] {
        if v.trim().is_empty() || v.chars().count() > 300 {
            return Err(FieldError::new(f, "must have 1 to 300 characters").into());
        }
    }
    let draft = store::CallDraft {
        slug: slug.as_str().to_string(),
        name_fr: c.name_fr.clone(),
        name_en: c.name_en.clone(),
        programme: c.programme.clone(),
        opens_on,
        deadline,
        decision_on,
        from_call: c.from_call.clone(),
        source: c.source.clone(),
    };
    store::create(&app.db, &caller.ctx(cap.by), &draft).await?;
    get(app, &draft.slug).await
}

/// Replaces a call's rule set until a submitted project was checked against it (selection
/// officers).
pub async fn put_rule_set(app: &App, caller: &Caller, slug: &str, rules: &RuleSet) -> Result<()> {
    let cap = app
        .allowed(caller, access::selection_officer(&caller.actor))
        .await?;
    let total: i64 = rules.cofunding.iter().map(|f| f.share_bp).sum();
    if total != 10_000 {
        return Err(
            FieldError::new("cofunding", "shares must add up to 10000 basis points").into(),
        );
    }
    if rules
        .aid_rates
        .iter()
        .any(|r| !(0..=10_000).contains(&r.rate_bp))
    {
        return Err(FieldError::new("aid_rates", "rates are 0 to 10000 basis points").into());
    }
    store::put_rule_set(&app.db, &caller.ctx(cap.by), slug, rules).await?;
    Ok(())
}

/// Sets a call's review criteria and weights, before any review is scored (selection
/// officers).
pub async fn put_criteria(
    app: &App,
    caller: &Caller,
    slug: &str,
    criteria: &[Criterion],
) -> Result<()> {
    let cap = app
        .allowed(caller, access::selection_officer(&caller.actor))
        .await?;
    if criteria
        .iter()
        .any(|c| c.weight_bp <= 0 || c.name_fr.trim().is_empty() || c.name_en.trim().is_empty())
    {
        return Err(FieldError::new(
            "criteria",
            "need names in French and English and positive weights",
        )
        .into());
    }
    store::put_criteria(&app.db, &caller.ctx(cap.by), slug, criteria).await?;
    Ok(())
}
