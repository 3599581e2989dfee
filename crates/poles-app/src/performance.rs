//! Performance contracts: per pôle and phase, targets set by the programme's officers and,
//! per year, the indicators — computed by Pôles where its records hold them, entered with
//! their source by the pôle's managers (or the officers) where they do not. A dashboard per
//! pôle and one for the programme, read by the next evaluation.

use crate::edits::{cluster, text, url};
use crate::{access, App, Result};
use poles_core::{Date, FieldError};
use poles_store::performance::{self as store, INDICATORS};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The indicators, in the order pages show them.
pub fn indicator_names() -> Vec<&'static str> {
    INDICATORS.iter().map(|(i, _)| *i).collect()
}

/// One year of one indicator.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct YearValue {
    pub year: i64,
    /// What the dashboards show: the entered value where there is one, else the computed.
    pub value: Option<i64>,
    /// What Pôles computes from its records (for the indicators it computes).
    pub computed: Option<i64>,
    /// The entered value and its source.
    pub entered: Option<i64>,
    pub source_title: Option<String>,
    pub source_url: Option<String>,
}

/// One indicator of a contract.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IndicatorRow {
    /// `members`, `smes`, `projects_labelled`, `projects_funded`, `european_projects`,
    /// `international_partners` or `money_raised_cents`.
    pub indicator: String,
    /// Whether Pôles computes it from its records.
    pub computed_by_poles: bool,
    pub target: Option<i64>,
    pub years: Vec<YearValue>,
    /// The latest year's value against the target, in percent.
    pub progress_percent: Option<i64>,
}

/// A pôle's performance contract for a phase.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Contract {
    pub cluster_slug: String,
    pub phase: String,
    pub years: Vec<i64>,
    pub indicators: Vec<IndicatorRow>,
}

/// The phase asked for, else today's; and its years up to this one.
async fn phase_years(app: &App, phase: Option<&str>) -> Result<(String, Vec<i64>)> {
    let (all, current) = crate::atlas::phases(app).await?;
    let p = match phase.map(str::trim).filter(|p| !p.is_empty()) {
        Some(code) => all
            .into_iter()
            .find(|p| p.code == code)
            .ok_or_else(|| FieldError::new("phase", "is not a phase of the programme"))?,
        None => current.ok_or_else(|| FieldError::new("phase", "the programme has no phase"))?,
    };
    let last = p.ends.year().min(Date::today().year());
    let years = (p.starts.year()..=last).map(i64::from).collect();
    Ok((p.code, years))
}

/// A pôle's contract for a phase (today's if none is given): public.
pub async fn contract(app: &App, pole: &str, phase: Option<&str>) -> Result<Contract> {
    let pole = cluster(pole)?;
    let (phase, years) = phase_years(app, phase).await?;
    let c = store::contract(&app.db, pole.as_str(), &phase, &years).await?;
    let indicators = INDICATORS
        .iter()
        .map(|(ind, computed_by_poles)| {
            let target = c.targets.iter().find(|(i, _)| i == ind).map(|(_, t)| *t);
            let years: Vec<YearValue> = c
                .years
                .iter()
                .map(|(y, cells)| {
                    let cell = cells.iter().find(|(i, _)| i == ind).map(|(_, c)| c);
                    let entered = cell.and_then(|c| c.entered.clone());
                    let computed = cell.and_then(|c| c.computed);
                    YearValue {
                        year: *y,
                        value: entered.as_ref().map(|e| e.value).or(computed),
                        computed,
                        entered: entered.as_ref().map(|e| e.value),
                        source_title: entered.as_ref().map(|e| e.source_title.clone()),
                        source_url: entered.and_then(|e| e.source_url),
                    }
                })
                .collect();
            let latest = years.last().and_then(|y| y.value);
            IndicatorRow {
                indicator: ind.to_string(),
                computed_by_poles: *computed_by_poles,
                progress_percent: match (latest, target) {
                    (Some(v), Some(t)) if t > 0 => Some(v * 100 / t),
                    _ => None,
                },
                target,
                years,
            }
        })
        .collect();
    Ok(Contract {
        cluster_slug: pole.as_str().to_string(),
        phase,
        years: c.years.iter().map(|(y, _)| *y).collect(),
        indicators,
    })
}

fn indicator(field: &str, v: &str) -> Result<String> {
    INDICATORS
        .iter()
        .find(|(i, _)| *i == v.trim())
        .map(|(i, _)| i.to_string())
        .ok_or_else(|| {
            FieldError::new(field, "is not an indicator of the performance contracts").into()
        })
}

/// A target.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct TargetAsk {
    pub indicator: String,
    /// For the phase's last year (money in cents).
    pub target: i64,
}

/// A pôle's targets for a phase.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct TargetsAsk {
    /// The phase (`V`…); today's if left out.
    pub phase: Option<String>,
    pub targets: Vec<TargetAsk>,
}

/// Sets a pôle's targets for a phase (the programme's officers): every indicator listed
/// once, none negative; the targets not listed are removed.
pub async fn set_targets(
    app: &App,
    caller: &crate::Caller,
    pole: &str,
    a: &TargetsAsk,
) -> Result<Contract> {
    let pole = cluster(pole)?;
    let cap = app
        .allowed(caller, access::label_officer(&caller.actor))
        .await?;
    let (phase, _) = phase_years(app, a.phase.as_deref()).await?;
    let mut targets: Vec<(String, i64)> = Vec::new();
    for (k, t) in a.targets.iter().enumerate() {
        let ind = indicator(&format!("targets[{k}].indicator"), &t.indicator)?;
        if t.target < 0 {
            return Err(
                FieldError::new(format!("targets[{k}].target"), "must not be negative").into(),
            );
        }
        if targets.iter().any(|(i, _)| *i == ind) {
            return Err(
                FieldError::new(format!("targets[{k}].indicator"), "is listed twice").into(),
            );
        }
        targets.push((ind, t.target));
    }
    store::set_targets(
        &app.db,
        &caller.ctx(cap.by),
        cap.by.user_id,
        pole.as_str(),
        &phase,
        &targets,
    )
    .await?;
    contract(app, pole.as_str(), Some(&phase)).await
}

/// A value entered with its source.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ValueAsk {
    pub year: i64,
    pub indicator: String,
    /// A count, or cents for `money_raised_cents`.
    pub value: i64,
    /// Where the figure comes from (the pôle's activity report, its accounts…).
    pub source_title: String,
    pub source_url: Option<String>,
}

/// Enters a year's value of an indicator with its source (the pôle's managers or the
/// programme's officers); it replaces what was entered for that year, and is shown instead
/// of what Pôles computes.
pub async fn enter_value(
    app: &App,
    caller: &crate::Caller,
    pole: &str,
    a: &ValueAsk,
) -> Result<Contract> {
    let pole = cluster(pole)?;
    let cap = app
        .allowed(caller, access::cluster_write(&caller.actor, pole.as_str()))
        .await?;
    let ind = indicator("indicator", &a.indicator)?;
    let this_year = i64::from(Date::today().year());
    if !(2005..=this_year).contains(&a.year) {
        return Err(FieldError::new("year", format!("must be 2005 to {this_year}")).into());
    }
    if a.value < 0 {
        return Err(FieldError::new("value", "must not be negative").into());
    }
    let source = text("source_title", &Some(a.source_title.clone()), 300)?
        .ok_or_else(|| FieldError::new("source_title", "say where the figure comes from"))?;
    let link = url("source_url", &a.source_url)?;
    store::enter_value(
        &app.db,
        &caller.ctx(cap.by),
        cap.by.user_id,
        pole.as_str(),
        a.year,
        &ind,
        a.value,
        &source,
        link.as_deref(),
    )
    .await?;
    contract(app, pole.as_str(), None).await
}

/// One pôle's line of the programme's dashboard.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PoleLine {
    pub cluster_slug: String,
    pub cluster_name: String,
    /// Per indicator (in the order of `indicators`): the value and the target.
    pub values: Vec<Option<i64>>,
    pub targets: Vec<Option<i64>>,
}

/// An indicator over the programme.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IndicatorTotal {
    pub indicator: String,
    pub total: i64,
    /// Pôles with a target for it, and those reaching it.
    pub with_target: i64,
    pub reaching_target: i64,
}

/// The programme's dashboard for one year of a phase.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProgrammeDashboard {
    pub phase: String,
    pub year: i64,
    pub indicators: Vec<String>,
    pub totals: Vec<IndicatorTotal>,
    pub poles: Vec<PoleLine>,
}

/// The programme's dashboard (public): the pôles labelled in the phase, one year.
pub async fn programme(
    app: &App,
    phase: Option<&str>,
    year: Option<i64>,
) -> Result<ProgrammeDashboard> {
    let (phase, years) = phase_years(app, phase).await?;
    let year = match year {
        None => *years.last().unwrap_or(&i64::from(Date::today().year())),
        Some(y) if years.contains(&y) => y,
        Some(_) => {
            return Err(FieldError::new("year", "is not a year of this phase (so far)").into())
        }
    };
    let rows = store::programme(&app.db, &phase, year).await?;
    let indicators: Vec<String> = INDICATORS.iter().map(|(i, _)| i.to_string()).collect();
    let totals = indicators
        .iter()
        .enumerate()
        .map(|(k, ind)| {
            let cells = rows.iter().map(|(_, _, r)| &r[k]);
            IndicatorTotal {
                indicator: ind.clone(),
                total: cells.clone().filter_map(|(_, v, _)| *v).sum(),
                with_target: cells.clone().filter(|(_, _, t)| t.is_some()).count() as i64,
                reaching_target: cells
                    .filter(|(_, v, t)| matches!((v, t), (Some(v), Some(t)) if v >= t))
                    .count() as i64,
            }
        })
        .collect();
    Ok(ProgrammeDashboard {
        phase,
        year,
        indicators,
        totals,
        poles: rows
            .into_iter()
            .map(|(slug, name, r)| PoleLine {
                cluster_slug: slug,
                cluster_name: name,
                values: r.iter().map(|(_, v, _)| *v).collect(),
                targets: r.iter().map(|(_, _, t)| *t).collect(),
            })
            .collect(),
    })
}
