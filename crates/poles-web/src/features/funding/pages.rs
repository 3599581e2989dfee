//! Pages of the programme's money: the public benefits simulator, the budgets and relief
//! caps at a glance (caps of companies and the relief records for officers), and the
//! allocation optimiser of a call (selection officers).

use crate::http::error::PageResult;
use crate::http::extract::{SignedIn, Visitor};
use crate::http::params::{self, Params};
use crate::ui::charts::{stacked_bars, Row};
use crate::ui::chrome::Chrome;
use crate::ui::format::{self, Cents};
use crate::ui::picker::Picker;
use crate::ui::render::{render, render_with};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Form, Router};
use poles_app::access::Ability;
use poles_app::funding::{
    self, BudgetOverview, CapUse, EnvelopeIn, NewBudgetLine, NewRelief, OptimiseRequest,
    ReliefRecord, SimulationRequest, SimulationResponse,
};
use poles_app::worklists::{self as lists, PickKind, Resolved};
use poles_app::{AppError, Caller};
use poles_core::calls::Costs;
use poles_core::optimise::Comparison;
use poles_core::relief::{CallStatus, Profile, Size};
use poles_core::{FieldError, Lang};
use std::collections::{BTreeMap, BTreeSet, HashMap};

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/simulator", get(simulator))
        .route("/budgets", get(budgets))
        .route("/budgets/relief", post(record_relief))
        .route("/budgets/lines", post(add_line))
        .route("/calls/{slug}/optimise", get(optimiser))
}

fn money(cents: i64, lang: Lang) -> String {
    format::euros(cents, lang)
}

/// Euros typed by a person → cents. Negative figures pass here (profits may be losses);
/// the simulator's profile checks refuse them where they make no sense, naming the field.
fn euros(field: &str, raw: &str) -> Result<i64, FieldError> {
    params::euros(field, raw, true)
}

fn int(field: &str, raw: &str) -> Result<i64, FieldError> {
    raw.trim()
        .parse::<i64>()
        .ok()
        .ok_or_else(|| FieldError::new(field, "must be a whole number"))
}

/// Percent typed by a person ("15", "15,5") → basis points.
fn percent(field: &str, raw: &str) -> Result<i64, FieldError> {
    euros(field, raw)
        .ok()
        .ok_or_else(|| FieldError::new(field, "must be a percentage, e.g. 15 or 15,5"))
}

/// The simulator form, with a worked example filled in on first visit.
fn defaults() -> BTreeMap<&'static str, String> {
    [
        ("size", "sme"),
        ("staff", "40"),
        ("turnover", "6000000"),
        ("balance_sheet", "4000000"),
        ("founded_on", "2003-05-01"),
        ("independent", "on"),
        ("rd_share", "25"),
        ("postcode", "38000"),
        ("rd_staff", "12"),
        ("rd_wages", "540000"),
        ("contributions", ""),
        ("rd_staff_costs", ""),
        ("other_rd_spending", "0"),
        ("innovation_spending", "0"),
        ("project_costs", "1200000"),
        ("profits", "-100000, 250000, 400000"),
        ("flat_tax", "3750"),
        ("local_taxes", "25000"),
        ("local_voted", "on"),
        ("other_de_minimis", "0"),
        ("start", "2026-03-16"),
        ("years", "8"),
        ("call", ""),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_string()))
    .collect()
}

fn request(f: &HashMap<String, String>) -> Result<SimulationRequest, FieldError> {
    let get = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
    let size = match get("size") {
        "sme" => Size::Sme,
        "mid_size" => Size::MidSize,
        "large" => Size::Large,
        _ => return Err(FieldError::new("size", "choose SME, mid-size or large")),
    };
    // Values are separated by ", ", ";" or new lines, so "1000,50" stays one amount.
    let profits = get("profits")
        .split([';', '\n'])
        .flat_map(|chunk| chunk.split(", "))
        .filter(|s| !s.trim().is_empty())
        .map(|s| euros("profits", s))
        .collect::<Result<Vec<_>, _>>()?;
    let contributions = get("contributions");
    let staff_costs = get("rd_staff_costs");
    Ok(SimulationRequest {
        profile: Profile {
            size,
            staff: int("staff", get("staff"))?,
            turnover_cents: euros("turnover", get("turnover"))?,
            balance_sheet_cents: euros("balance_sheet", get("balance_sheet"))?,
            founded_on: get("founded_on").trim().to_string(),
            independent: get("independent") == "on",
            rd_share_bp: percent("rd_share", get("rd_share"))?,
            in_rd_zone: false,
            rd_staff: int("rd_staff", get("rd_staff"))?,
            rd_wages_cents: euros("rd_wages", get("rd_wages"))?,
            employer_contributions_cents: if contributions.trim().is_empty() {
                None
            } else {
                Some(euros("contributions", contributions)?)
            },
            rd_staff_costs_cents: if staff_costs.trim().is_empty() {
                None
            } else {
                Some(euros("rd_staff_costs", staff_costs)?)
            },
            other_rd_spending_cents: euros("other_rd_spending", get("other_rd_spending"))?,
            innovation_spending_cents: euros("innovation_spending", get("innovation_spending"))?,
            project_costs: Costs {
                staff: euros("project_costs", get("project_costs"))?,
                ..Costs::default()
            },
            profits_cents: profits,
            flat_tax_cents: euros("flat_tax", get("flat_tax"))?,
            local_taxes_cents: euros("local_taxes", get("local_taxes"))?,
            local_exemption_voted: get("local_voted") == "on",
            other_de_minimis_cents: euros("other_de_minimis", get("other_de_minimis"))?,
            start: get("start").trim().to_string(),
            years: Some(int("years", get("years"))?),
        },
        commune: Some(get("commune").to_string()).filter(|s| !s.trim().is_empty()),
        postcode: Some(get("postcode").to_string()).filter(|s| !s.trim().is_empty()),
        call: Some(get("call").to_string()).filter(|s| !s.is_empty()),
    })
}

#[derive(Template)]
#[template(path = "simulator.html")]
struct SimulatorPage {
    c: Chrome,
    form: BTreeMap<String, String>,
    /// The calls open for a project of the form's date: the only ones offered.
    calls: Vec<(String, String)>,
    /// The others, each with why it cannot be chosen.
    closed_calls: Vec<CallStatus>,
    error: Option<FieldError>,
    result: Option<SimulationResponse>,
    chart: String,
}

impl SimulatorPage {
    fn v(&self, k: &str) -> &str {
        self.form.get(k).map(String::as_str).unwrap_or("")
    }

    fn checked(&self, k: &str) -> bool {
        self.v(k) == "on"
    }

    fn money(&self, cents: impl Cents) -> String {
        money(cents.cents(), self.c.t.lang)
    }

    /// A refusal as the reader sees it: the field by its label on the form (not its internal
    /// name), then the reason in the page's language.
    fn refused(&self, e: &FieldError) -> String {
        let field = e.field.rsplit('.').next().unwrap_or_default();
        self.c
            .labelled_reason(Some(&format!("simulator.{field}")), e)
    }
}

async fn simulator(State(st): State<AppState>, c: Chrome, Query(q): Query<Params>) -> PageResult {
    let run = q.contains_key("start");
    let mut form: BTreeMap<String, String> = defaults()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    if run {
        // Unticked checkboxes are absent from the query.
        form.insert("independent".into(), String::new());
        form.insert("local_voted".into(), String::new());
        for (k, v) in &q {
            form.insert(k.clone(), v.clone());
        }
    }
    // Calls are offered for the form's date (today's when it is not a date yet).
    let date = Some(
        form.get("start")
            .map(|s| s.trim().to_string())
            .unwrap_or_default(),
    )
    .filter(|d| poles_core::Date::parse("start", d).is_ok())
    .unwrap_or_else(|| poles_core::Date::today().to_string());
    let (open, closed_calls): (Vec<CallStatus>, Vec<CallStatus>) =
        funding::simulator_calls(&st.app, &date)
            .await?
            .into_iter()
            .partition(|k| k.status == "open");
    let calls = open
        .into_iter()
        .map(|k| {
            (
                k.call.clone(),
                c.t.pick2(&k.name_fr, &k.name_en).to_string(),
            )
        })
        .collect();
    let mut error = None;
    let mut result = None;
    let mut chart = String::new();
    let source: HashMap<String, String> = form.clone().into_iter().collect();
    match request(&source) {
        Err(e) => error = Some(e),
        Ok(req) => match funding::simulate(&st.app, req).await {
            Ok(r) => {
                // No chart of empty bars: an empty result is explained in words instead.
                if r.simulation.years.iter().any(|y| y.total_cents != 0) {
                    chart = simulation_chart(&r, c.t.lang, c.t.t("simulator.chart"));
                }
                result = Some(r);
            }
            Err(AppError::Invalid(e)) => error = Some(e),
            Err(e) => return Err(e.into()),
        },
    }
    render(SimulatorPage {
        c,
        form,
        calls,
        closed_calls,
        error,
        result,
        chart,
    })
}

fn simulation_chart(r: &SimulationResponse, lang: Lang, title: &str) -> String {
    let mut schemes: Vec<String> = Vec::new();
    for y in &r.simulation.years {
        for l in y.lines.iter().filter(|l| l.counted) {
            let name = l.scheme.clone();
            if !schemes.contains(&name) {
                schemes.push(name);
            }
        }
    }
    let rows: Vec<Row> = r
        .simulation
        .years
        .iter()
        .map(|y| Row {
            label: y.year.to_string(),
            values: schemes
                .iter()
                .map(|s| {
                    y.lines
                        .iter()
                        .filter(|l| l.counted && &l.scheme == s)
                        .map(|l| l.cents)
                        .sum()
                })
                .collect(),
        })
        .collect();
    let names: Vec<String> = schemes
        .iter()
        .map(|s| {
            r.simulation
                .schemes
                .iter()
                .find(|x| &x.scheme == s)
                .map(|x| {
                    if lang == Lang::Fr {
                        x.name_fr.clone()
                    } else {
                        x.name_en.clone()
                    }
                })
                .unwrap_or_else(|| {
                    s.replace(
                        "call:",
                        if lang == Lang::Fr {
                            "subvention "
                        } else {
                            "grant "
                        },
                    )
                })
        })
        .collect();
    stacked_bars(title, &names, &rows, |v| money(v, lang))
}

#[derive(Template)]
#[template(path = "budgets.html")]
struct BudgetsPage {
    c: Chrome,
    b: BudgetOverview,
    officer: bool,
    caps: Vec<CapUse>,
    records: Vec<ReliefRecord>,
    year: i64,
    notice: Option<String>,
    /// Scheme codes and names, for the record form.
    schemes: Vec<(String, String)>,
    consumption: String,
    over_time: String,
    regions: String,
    sectors: String,
    relief: String,
    /// The relief form: its pickers and what was typed, with the refusal beside its field.
    form: ReliefFormState,
}

/// The relief record form as shown: empty, or as typed when it was refused.
struct ReliefFormState {
    organisation: Picker,
    project: Picker,
    scheme: String,
    granted_on: String,
    amount: String,
    note: String,
    /// A refusal of a field that is not a picker: (field, reason).
    error: Option<(String, String)>,
}

impl Default for ReliefFormState {
    fn default() -> Self {
        ReliefFormState {
            organisation: Picker::new("organisation", PickKind::Organisation),
            project: Picker::new("project", PickKind::Application).optional(),
            scheme: String::new(),
            granted_on: String::new(),
            amount: String::new(),
            note: String::new(),
            error: None,
        }
    }
}

impl BudgetsPage {
    /// A budget line named in the page's language (its code where it is not listed).
    fn line_name<'a>(&'a self, code: &'a str) -> &'a str {
        self.b
            .lines
            .iter()
            .find(|l| l.code == code)
            .map_or(code, |l| self.c.t.pick2(&l.name_fr, &l.name_en))
    }

    /// The refusal to show beside `field` of the relief form.
    fn relief_error(&self, field: &str) -> Option<&str> {
        self.form
            .error
            .as_ref()
            .filter(|(f, _)| f == field)
            .map(|(_, r)| r.as_str())
    }

    fn amount(&self, cents: &i64, currency: &str) -> String {
        format::amount(*cents, currency, self.c.t.lang)
    }

    fn money(&self, cents: impl Cents) -> String {
        money(cents.cents(), self.c.t.lang)
    }

    fn left(&self, cap: &CapUse) -> String {
        cap.left_cents
            .map(|l| self.money(l))
            .unwrap_or_else(|| "—".into())
    }

    fn pct_used(&self, cap: &CapUse) -> i64 {
        match cap.limit_eur_cents {
            Some(l) if l > 0 => (cap.used_cents * 100 / l).clamp(0, 100),
            _ => 0,
        }
    }
}

async fn budgets(
    State(st): State<AppState>,
    c: Chrome,
    visitor: Visitor,
    Query(q): Query<Params>,
) -> PageResult {
    let year = q
        .get("year")
        .and_then(|y| y.parse::<i64>().ok())
        .filter(|y| (1990..=2100).contains(y))
        .unwrap_or(2007);
    let notice = q.get("recorded").map(|id| format!("#{id}"));
    show(
        &st,
        c,
        visitor.caller.as_ref(),
        year,
        notice,
        ReliefFormState::default(),
        StatusCode::OK,
    )
    .await
}

/// The budgets page; `form` is the relief form as typed when it was refused.
async fn show(
    st: &AppState,
    c: Chrome,
    caller: Option<&Caller>,
    year: i64,
    notice: Option<String>,
    form: ReliefFormState,
    status: StatusCode,
) -> PageResult {
    let b = funding::budgets(&st.app).await?;
    // Officers also see the companies' caps and the records; the use cases check again.
    let officer_caller = caller.filter(|_| c.may(Ability::EditProgramme));
    let officer = officer_caller.is_some();
    let (caps, records) = match officer_caller {
        Some(me) => (
            funding::caps(&st.app, me, Some(year), None).await?,
            funding::records(&st.app, me, None, 50).await?,
        ),
        None => (funding::programme_caps(&st.app, year).await?, vec![]),
    };
    let lang = c.t.lang;
    let series = vec![
        c.t.t("budgets.paid").to_string(),
        c.t.t("budgets.committed_unpaid").to_string(),
        c.t.t("budgets.available").to_string(),
    ];
    // Only euro lines share a scale; dollar figures of the press kit are never converted.
    let consumption = stacked_bars(
        c.t.t("budgets.chart_consumption"),
        &series,
        &b.lines
            .iter()
            .filter(|l| l.currency == "EUR")
            .map(|l| Row {
                label: c.t.pick2(&l.name_fr, &l.name_en).to_string(),
                values: vec![
                    l.paid_cents,
                    l.committed_cents - l.paid_cents,
                    l.available_cents,
                ],
            })
            .collect::<Vec<_>>(),
        |v| money(v, lang),
    );
    let mut years: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    for l in b.lines.iter().filter(|l| l.currency == "EUR") {
        for y in &l.by_year {
            let e = years.entry(y.year).or_default();
            e.0 += y.committed_cents;
            e.1 += y.paid_cents;
        }
    }
    let over_time = stacked_bars(
        c.t.t("budgets.chart_time"),
        &[
            c.t.t("budgets.paid").to_string(),
            c.t.t("budgets.committed_unpaid").to_string(),
        ],
        &years
            .iter()
            .map(|(y, (com, paid))| Row {
                label: y.to_string(),
                values: vec![*paid, com - paid],
            })
            .collect::<Vec<_>>(),
        |v| money(v, lang),
    );
    let breakdown = |title: &str, rows: &[funding::Breakdown]| {
        stacked_bars(
            title,
            &[
                c.t.t("budgets.paid").to_string(),
                c.t.t("budgets.committed_unpaid").to_string(),
            ],
            &rows
                .iter()
                .filter(|r| r.currency == "EUR")
                .map(|r| Row {
                    label: r.label.clone(),
                    values: vec![r.paid_cents, r.committed_cents - r.paid_cents],
                })
                .collect::<Vec<_>>(),
            |v| money(v, lang),
        )
    };
    let regions = breakdown(c.t.t("budgets.chart_regions"), &b.by_region);
    let sectors = breakdown(c.t.t("budgets.chart_sectors"), &b.by_sector);
    let by_scheme = funding::relief_by_scheme_year(&st.app).await?;
    let schemes: Vec<String> = by_scheme
        .iter()
        .map(|r| r.0.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut per_year: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for (scheme, y, cents) in &by_scheme {
        let k = schemes.iter().position(|s| s == scheme).unwrap_or(0);
        per_year.entry(*y).or_insert_with(|| vec![0; schemes.len()])[k] += cents;
    }
    let rules = funding::rules(&st.app).await?;
    let scheme_names: Vec<String> = schemes
        .iter()
        .map(|code| {
            rules
                .latest(code)
                .map(|s| c.t.pick2(&s.name_fr, &s.name_en).to_string())
                .unwrap_or_else(|| code.clone())
        })
        .collect();
    let relief = stacked_bars(
        c.t.t("budgets.chart_relief"),
        &scheme_names,
        &per_year
            .into_iter()
            .map(|(y, values)| Row {
                label: y.to_string(),
                values,
            })
            .collect::<Vec<_>>(),
        |v| money(v, lang),
    );
    let mut schemes: Vec<(String, String)> = Vec::new();
    // The programme's relief is recorded; the general tax credits and statuses are not.
    for s in rules
        .schemes
        .iter()
        .filter(|s| s.family == "tax" || s.family == "social")
    {
        if !schemes.iter().any(|(code, _)| code == &s.code) {
            schemes.push((
                s.code.clone(),
                c.t.pick2(&s.name_fr, &s.name_en).to_string(),
            ));
        }
    }
    Ok(render_with(
        BudgetsPage {
            c,
            b,
            officer,
            caps,
            records,
            year,
            notice,
            schemes,
            consumption,
            over_time,
            regions,
            sectors,
            relief,
            form,
        },
        status,
    ))
}

/// The relief record form: the organisation and the project chosen by name (the chosen
/// suggestion sets `organisation_value` / `project_value`).
#[derive(serde::Deserialize)]
struct ReliefForm {
    #[serde(default)]
    organisation: String,
    organisation_value: Option<String>,
    scheme: String,
    granted_on: String,
    amount: String,
    /// The project the relief is granted for: required for the social relief of pôle
    /// projects.
    #[serde(default)]
    project: String,
    project_value: Option<String>,
    note: Option<String>,
}

/// Records relief for a company. A name that matches several or nothing, or a refused
/// record, comes back as the same page with what was typed and the reason beside the field.
async fn record_relief(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Form(f): Form<ReliefForm>,
) -> PageResult {
    let mut form = ReliefFormState {
        scheme: f.scheme.trim().to_string(),
        granted_on: f.granted_on.trim().to_string(),
        amount: f.amount.trim().to_string(),
        note: f.note.clone().unwrap_or_default(),
        ..ReliefFormState::default()
    };
    let year = form
        .granted_on
        .get(..4)
        .and_then(|y| y.parse::<i64>().ok())
        .filter(|y| (1990..=2100).contains(y))
        .unwrap_or(2007);
    let again = |form: ReliefFormState, c: Chrome| {
        show(&st, c, Some(&me), year, None, form, StatusCode::BAD_REQUEST)
    };
    let kind = PickKind::Organisation;
    let organisation = lists::resolve(
        &st.app,
        Some(&me),
        kind,
        &f.organisation,
        f.organisation_value.as_deref(),
    )
    .await?;
    let organisation = match organisation {
        Resolved::One(s) => {
            form.organisation = Picker::with("organisation", kind, &s.label, &s.value);
            s.value.parse::<i64>().ok()
        }
        r => {
            form.organisation = Picker::unresolved(&c, "organisation", kind, &f.organisation, r);
            None
        }
    };
    let kind = PickKind::Application;
    let project = if f.project.trim().is_empty() {
        Some(None)
    } else {
        match lists::resolve(
            &st.app,
            Some(&me),
            kind,
            &f.project,
            f.project_value.as_deref(),
        )
        .await?
        {
            Resolved::One(s) => {
                form.project = Picker::with("project", kind, &s.label, &s.value).optional();
                Some(s.value.parse::<i64>().ok())
            }
            r => {
                form.project = Picker::unresolved(&c, "project", kind, &f.project, r).optional();
                None
            }
        }
    };
    let (Some(organisation_id), Some(application_id)) = (organisation, project) else {
        return again(form, c).await;
    };
    let amount_cents = match euros("amount", &f.amount) {
        Ok(a) => a,
        Err(e) => {
            let reason = c.reason(&e);
            form.error = Some((e.field, reason));
            return again(form, c).await;
        }
    };
    let input = NewRelief {
        organisation_id,
        scheme: form.scheme.clone(),
        granted_on: form.granted_on.clone(),
        amount_cents,
        application_id,
        note: f.note,
    };
    match funding::record_relief(&st.app, &me, &input).await {
        Ok(r) => Ok(Redirect::to(&format!(
            "{}&year={year}&recorded={}",
            c.href("/budgets"),
            r.id
        ))
        .into_response()),
        Err(AppError::Invalid(e)) => {
            let reason = c.reason(&e);
            match e.field.as_str() {
                "organisation_id" => form.organisation.error = Some(reason),
                "application_id" => form.project.error = Some(reason),
                _ => form.error = Some((e.field, reason)),
            }
            again(form, c).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize)]
struct LineForm {
    code: String,
    funder: String,
    funder_kind: String,
    name_fr: String,
    name_en: String,
    programme: String,
    period_start: String,
    period_end: String,
    amount: String,
    currency: String,
    certainty: String,
    source: String,
}

async fn add_line(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Form(f): Form<LineForm>,
) -> PageResult {
    let line = NewBudgetLine {
        amount_cents: euros("amount", &f.amount)?,
        code: f.code.trim().to_string(),
        funder: f.funder,
        funder_kind: f.funder_kind,
        name_fr: f.name_fr,
        name_en: f.name_en,
        programme: f.programme,
        period_start: f.period_start.trim().to_string(),
        period_end: f.period_end.trim().to_string(),
        currency: f.currency,
        certainty: f.certainty,
        source: f.source,
    };
    funding::add_line(&st.app, &me, &line).await?;
    Ok(Redirect::to(&format!("{}#line-{}", c.href("/budgets"), line.code)).into_response())
}

#[derive(Template)]
#[template(path = "optimise.html")]
struct OptimisePage {
    c: Chrome,
    call: poles_core::model::Call,
    /// Funder code, label, value typed (euros).
    envelopes: Vec<(String, String, String)>,
    error: Option<String>,
    result: Option<Comparison>,
    labels: BTreeMap<i64, String>,
}

impl OptimisePage {
    fn money(&self, cents: impl Cents) -> String {
        money(cents.cents(), self.c.t.lang)
    }

    fn points(&self, hundredths: &i64) -> String {
        let s = format!("{}.{:02}", hundredths / 100, hundredths % 100);
        if self.c.t.lang == Lang::Fr {
            s.replace('.', ",")
        } else {
            s
        }
    }

    fn label(&self, id: &i64) -> String {
        self.labels
            .get(id)
            .cloned()
            .unwrap_or_else(|| format!("#{id}"))
    }

    /// Per envelope: funder, available, spent by the optimiser, spent in rank order.
    fn env_rows(&self) -> Vec<(String, i64, i64, i64)> {
        let Some(r) = &self.result else {
            return vec![];
        };
        r.envelopes
            .iter()
            .enumerate()
            .map(|(k, e)| {
                (
                    e.funder.clone(),
                    e.available_cents,
                    r.optimiser.spent.get(k).copied().unwrap_or(0),
                    r.rank_order.spent.get(k).copied().unwrap_or(0),
                )
            })
            .collect()
    }

    fn gap(&self, bp: &i64) -> String {
        poles_core::calls::pct(*bp, self.c.t.lang)
    }
}

async fn optimiser(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path(slug): Path<String>,
    Query(q): Query<Params>,
) -> PageResult {
    let setup = funding::optimiser_setup(&st.app, &me, &slug).await?;
    // The call's envelopes (what is left), then one optional envelope per region where the
    // projects' R&D is done: blank means that region's share is not bounded on its own.
    let mut envelopes: Vec<(String, String, String)> = setup
        .envelopes
        .iter()
        .map(|(funder, left)| {
            let v = left
                .map(|left| format!("{}.{:02}", left / 100, left % 100))
                .unwrap_or_default();
            (
                funder.clone(),
                funder.clone(),
                q.get(&format!("env_{funder}")).cloned().unwrap_or(v),
            )
        })
        .collect();
    for (code, name) in &setup.regions {
        let funder = format!("region:{code}");
        let v = q.get(&format!("env_{funder}")).cloned().unwrap_or_default();
        envelopes.push((
            funder,
            format!("{} {name}", c.t.t("optimise.region_share")),
            v,
        ));
    }
    let (mut error, mut result) = (None, None);
    if q.contains_key("run") {
        let parsed: Result<Vec<EnvelopeIn>, FieldError> = envelopes
            .iter()
            .filter(|(f, _, v)| !(f.starts_with("region:") && v.trim().is_empty()))
            .map(|(f, _, v)| {
                Ok(EnvelopeIn {
                    funder: f.clone(),
                    available_cents: euros("envelopes", v)?,
                })
            })
            .collect();
        match parsed {
            Err(e) => error = Some(c.reason(&e)),
            Ok(envs) => {
                let req = OptimiseRequest {
                    envelopes: envs,
                    time_limit_ms: Some(5000),
                };
                match funding::optimise(&st.app, &me, &slug, &req).await {
                    Ok(r) => result = Some(r),
                    Err(AppError::Invalid(e)) => error = Some(c.reason(&e)),
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }
    render(OptimisePage {
        c,
        call: setup.call,
        envelopes,
        error,
        result,
        labels: setup.labels,
    })
}
