//! The programme's money: budgets, relief rules and records against their caps, R&D zones,
//! the benefits simulator and the allocation optimiser.
//!
//! The rules engine runs here, never in the store: the simulator ([`relief::simulate`]),
//! the caps' windows and amounts, the check of a new relief record against every cap
//! ([`relief::check_cap`], see [`record_relief`] for how it runs under the write lock) and
//! the optimiser's input, built from the call's ranking, envelopes and the aid the engine
//! computes for each application.

use crate::access;
use crate::{App, AppError, Caller, Result};
use poles_core::model::Call;
use poles_core::optimise::{self, Candidate, Comparison, Envelope, Limits};
use poles_core::relief::{self, CallStatus, Cap, CapScope, Profile, ReliefRules, Simulation};
use poles_core::status::FunderKind;
use poles_core::{Date, FieldError};
use poles_store::funding as store;
use poles_store::StoreError;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use utoipa::ToSchema;

pub use poles_store::funding::{
    Breakdown, BudgetLine, BudgetOverview, CallEnvelope, FunderTotal, ReliefRecord, YearAmounts,
    ZoneHit,
};

// ---------------------------------------------------------------- R&D zones

/// The pôles whose R&D zone holds a commune (INSEE code) or any commune of a postcode; the
/// commune wins when both are given.
pub async fn zones(
    app: &App,
    commune: Option<&str>,
    postcode: Option<&str>,
) -> Result<Vec<ZoneHit>> {
    let (field, value) = match (commune, postcode) {
        (Some(c), _) => ("commune", c.trim()),
        (None, Some(p)) => ("postcode", p.trim()),
        (None, None) => {
            return Err(FieldError::new("commune", "give a commune code or a postcode").into())
        }
    };
    if value.is_empty() || value.len() > 10 || !value.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(FieldError::new(field, "must be a code of up to 10 letters or digits").into());
    }
    Ok(if field == "commune" {
        store::zones_of_commune(&app.db, value).await?
    } else {
        store::zones_of_postcode(&app.db, value).await?
    })
}

/// The R&D zone of a cluster: its communes (illustrative where the decree's list is not in
/// the sources).
pub async fn cluster_zone(app: &App, slug: &str) -> Result<Vec<ZoneHit>> {
    Ok(store::cluster_zone(&app.db, slug).await?)
}

// ---------------------------------------------------------------- budgets

/// Budget lines per funder with what is committed, paid and available, and the decisions
/// made here by call, cluster, region and sector. Public.
pub async fn budgets(app: &App) -> Result<BudgetOverview> {
    Ok(store::budgets(&app.db).await?)
}

/// A new budget line: one funder's envelope over a period, in its currency, with its source.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewBudgetLine {
    /// Lower-case letters, digits and hyphens, e.g. `fui-2027`.
    pub code: String,
    /// The funder code the calls' envelopes use: `state`, `region`, `feder`, an agency …
    pub funder: String,
    /// `ministry`, `agency`, `region`, `eu` or `other`.
    pub funder_kind: String,
    pub name_fr: String,
    pub name_en: String,
    pub programme: String,
    pub period_start: String,
    pub period_end: String,
    pub amount_cents: i64,
    /// `EUR` or `USD`.
    pub currency: String,
    /// `C`, `K` or `U`.
    pub certainty: String,
    pub source: String,
}

/// Adds a budget line (programme officers), checked field by field, audited.
pub async fn add_line(app: &App, caller: &Caller, l: &NewBudgetLine) -> Result<()> {
    let cap = app
        .allowed(caller, access::programme_write(&caller.actor))
        .await?;
    poles_core::Slug::parse("code", &l.code)?;
    let Ok(funder_kind) = FunderKind::parse("funder_kind", &l.funder_kind) else {
        return Err(FieldError::new(
            "funder_kind",
            "must be ministry, agency, region, eu or other",
        )
        .into());
    };
    poles_core::Currency::parse("currency", &l.currency)?;
    if !["C", "K", "U"].contains(&l.certainty.as_str()) {
        return Err(FieldError::new("certainty", "must be C, K or U").into());
    }
    for (field, v) in [
        ("funder", &l.funder),
        ("name_fr", &l.name_fr),
        ("name_en", &l.name_en),
        ("programme", &l.programme),
        ("source", &l.source),
    ] {
        if v.trim().is_empty() || v.chars().count() > 300 {
            return Err(FieldError::new(field, "must have 1 to 300 characters").into());
        }
    }
    let (Ok(start), Ok(end)) = (
        Date::parse("period_start", &l.period_start),
        Date::parse("period_end", &l.period_end),
    ) else {
        return Err(FieldError::new("period_start", "both ends must be dates YYYY-MM-DD").into());
    };
    if end < start {
        return Err(FieldError::new("period_end", "is before the start").into());
    }
    if l.amount_cents < 0 || l.amount_cents > 1_000_000_000_000_000 {
        return Err(FieldError::new("amount_cents", "must be positive and plausible").into());
    }
    let line = store::NewLine {
        code: l.code.clone(),
        funder: l.funder.clone(),
        funder_kind,
        name_fr: l.name_fr.clone(),
        name_en: l.name_en.clone(),
        programme: l.programme.clone(),
        period_start: start,
        period_end: end,
        amount_cents: l.amount_cents,
        currency: l.currency.clone(),
        certainty: l.certainty.clone(),
        source: l.source.clone(),
    };
    store::add_line(&app.db, &caller.ctx(cap.by), &line).await?;
    Ok(())
}

// ---------------------------------------------------------------- relief rules and caps

/// The relief rules in force: schemes with their versions, caps and reference values, each
/// with its source and certainty. Public.
pub async fn rules(app: &App) -> Result<ReliefRules> {
    Ok(store::rules(&app.db).await?)
}

/// Relief recorded per scheme and year: `(scheme, year, cents)`. Public (no company named).
pub async fn relief_by_scheme_year(app: &App) -> Result<Vec<(String, i64, i64)>> {
    Ok(store::relief_by_scheme_year(&app.db).await?)
}

/// How much of a cap is used in one window.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CapUse {
    pub cap: String,
    pub name_fr: String,
    pub name_en: String,
    pub scope: CapScope,
    /// For company caps: whose consumption this is.
    pub organisation_id: Option<i64>,
    pub organisation: Option<String>,
    pub from_year: i64,
    pub to_year: i64,
    /// The cap as stated, in its own currency.
    pub stated_cents: i64,
    pub stated_currency: String,
    /// What records (EUR) are checked against, and why when it differs from the stated cap.
    pub limit_eur_cents: Option<i64>,
    pub enforced_basis: Option<String>,
    pub used_cents: i64,
    pub left_cents: Option<i64>,
    pub certainty: String,
    pub source: String,
}

/// The scheme codes whose records a cap counts, each once, in order.
fn counted_schemes(rules: &ReliefRules, cap: &Cap) -> Vec<String> {
    rules
        .schemes
        .iter()
        .filter(|s| cap.counts_scheme(s))
        .map(|s| s.code.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// What each cap has used and has left for records of `year`: programme caps, then the
/// company caps of every company with records in the window (`companies`) or of one
/// company (`organisation`). All the sums come from one snapshot of the records.
async fn cap_uses(
    app: &App,
    year: i64,
    organisation: Option<i64>,
    companies: bool,
) -> Result<Vec<CapUse>> {
    let rules = store::rules(&app.db).await?;
    let mut snap = store::relief_snapshot(&app.db).await?;
    let date = format!("{year}-12-31");
    let mut out = Vec::new();
    for c in &rules.caps {
        let (Some((from, to)), Some(amount)) = (c.window_years(year), c.amount_on(&date)) else {
            continue;
        };
        let orgs: Vec<(Option<i64>, Option<String>)> = match (c.scope, organisation) {
            (CapScope::Programme, _) => vec![(None, None)],
            (CapScope::Company, None) if !companies => vec![],
            (CapScope::Company, Some(o)) => vec![(Some(o), snap.organisation_name(o).await?)],
            (CapScope::Company, None) => snap
                .companies_with_records(from, to)
                .await?
                .into_iter()
                .map(|(id, name)| (Some(id), Some(name)))
                .collect(),
        };
        let schemes = counted_schemes(&rules, c);
        for (org, name) in orgs {
            let u = snap.used(&schemes, from, to, org).await?;
            if c.scope == CapScope::Company && u == 0 && organisation.is_none() {
                continue;
            }
            let limit = amount.limit_eur();
            out.push(CapUse {
                cap: c.code.clone(),
                name_fr: c.name_fr.clone(),
                name_en: c.name_en.clone(),
                scope: c.scope,
                organisation_id: org,
                organisation: name,
                from_year: from,
                to_year: to,
                stated_cents: amount.cents,
                stated_currency: amount.currency.clone(),
                limit_eur_cents: limit,
                enforced_basis: amount.enforced_basis.clone(),
                used_cents: u,
                left_cents: limit.map(|l| l - u),
                certainty: amount.certainty.clone(),
                source: amount.source.clone(),
            });
        }
    }
    snap.end().await?;
    // Programme caps first, then companies'.
    out.sort_by_key(|c| c.scope == CapScope::Company);
    Ok(out)
}

/// Each relief cap's consumption and what is left for a year (the current year when not
/// given): programme caps and companies' de minimis, or one company's. Programme officers.
pub async fn caps(
    app: &App,
    caller: &Caller,
    year: Option<i64>,
    organisation: Option<i64>,
) -> Result<Vec<CapUse>> {
    app.allowed(caller, access::programme_write(&caller.actor))
        .await?;
    let year = year.unwrap_or_else(store::current_year);
    if !(1990..=2100).contains(&year) {
        return Err(FieldError::new("year", "must be between 1990 and 2100").into());
    }
    cap_uses(app, year, organisation, true).await
}

/// The programme-wide caps' consumption for a year (no company named). Public.
pub async fn programme_caps(app: &App, year: i64) -> Result<Vec<CapUse>> {
    Ok(cap_uses(app, year, None, false)
        .await?
        .into_iter()
        .filter(|c| c.scope == CapScope::Programme)
        .collect())
}

/// Relief records, newest first, for one company or all, at most `limit` (1 to 1000).
/// Programme officers.
pub async fn records(
    app: &App,
    caller: &Caller,
    organisation: Option<i64>,
    limit: i64,
) -> Result<Vec<ReliefRecord>> {
    app.allowed(caller, access::programme_write(&caller.actor))
        .await?;
    Ok(store::records(&app.db, organisation, limit).await?)
}

/// A company's de minimis use this year and its latest relief records (programme officers).
pub async fn company_relief(
    app: &App,
    caller: &Caller,
    organisation_id: i64,
) -> Result<(Vec<CapUse>, Vec<ReliefRecord>)> {
    app.allowed(caller, access::programme_write(&caller.actor))
        .await?;
    let year = store::current_year();
    let caps = cap_uses(app, year, Some(organisation_id), true)
        .await?
        .into_iter()
        .filter(|k| k.organisation_id == Some(organisation_id))
        .collect();
    let records = store::records(&app.db, Some(organisation_id), 50).await?;
    Ok((caps, records))
}

/// Relief granted to a company, to be recorded against the caps.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewRelief {
    pub organisation_id: i64,
    /// A scheme code of the relief rules (`rd_zone_tax`, `pole_social`, `jei`).
    pub scheme: String,
    /// `YYYY-MM-DD`; its year is the year the relief counts in.
    pub granted_on: String,
    pub amount_cents: i64,
    pub application_id: Option<i64>,
    pub note: Option<String>,
}

/// An optional text: trimmed, empty as `None`, at most `max` characters.
fn text(field: &str, v: &Option<String>, max: usize) -> Result<Option<String>, FieldError> {
    match v.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) if t.chars().count() > max => Err(FieldError::new(
            field,
            format!("must have at most {max} characters"),
        )),
        Some(t) => Ok(Some(t.to_string())),
    }
}

/// Records relief granted to a company (programme officers), refusing it when it would
/// break a cap: every cap of the rules that counts the scheme, programme-wide and the
/// company's own, in every window that holds the record.
///
/// The check and the insert are one transaction under the audited write lock: the store's
/// [`store::begin_record`] takes the lock and hands back a [`store::ReliefWrite`] through
/// which this use case reads what each cap has used, runs [`relief::check_cap`] (the
/// engine stays here), and then inserts the record with its audit row, which commits and
/// releases the lock. Another record waits for the lock, so it sees this one in its sums:
/// concurrent records can never both slip under a cap. A refusal drops the transaction
/// unwritten.
pub async fn record_relief(app: &App, caller: &Caller, r: &NewRelief) -> Result<ReliefRecord> {
    let cap = app
        .allowed(caller, access::programme_write(&caller.actor))
        .await?;
    let Some(granted_on) = Date::parse("granted_on", &r.granted_on)
        .ok()
        .filter(|d| (1990..=2100).contains(&d.year()))
    else {
        return Err(FieldError::new(
            "granted_on",
            "must be a date YYYY-MM-DD between 1990 and 2100",
        )
        .into());
    };
    let year = i64::from(granted_on.year());
    // The rules and the caps' windows read dates as text.
    let granted = granted_on.to_string();
    if r.amount_cents <= 0 || r.amount_cents > 1_000_000_000_000 {
        return Err(FieldError::new("amount_cents", "must be positive and plausible").into());
    }
    let note = text("note", &r.note, 500)?;
    let rules = store::rules(&app.db).await?;
    // Relief keeps being granted after a scheme closed to new entrants or was abolished
    // (those already in keep their rights), but never before it existed.
    let Some(scheme) = rules
        .scheme_on(&r.scheme, &granted)
        .or_else(|| rules.latest(&r.scheme))
    else {
        return Err(FieldError::new("scheme", "no such relief scheme").into());
    };
    let first = rules
        .schemes
        .iter()
        .filter(|s| s.code == r.scheme)
        .map(|s| s.valid_from.as_str())
        .min()
        .unwrap_or("");
    if granted.as_str() < first {
        return Err(FieldError::new(
            "granted_on",
            format!("the scheme {} starts on {first}", r.scheme),
        )
        .into());
    }
    // The social relief of pôle projects is granted for a company's R&D staff on an
    // approved pôle project: never without that project.
    if matches!(scheme.rules, relief::SchemeRules::PoleSocial(_)) && r.application_id.is_none() {
        return Err(FieldError::new(
            "application_id",
            format!(
                "the scheme {} is granted for a project: name the project",
                r.scheme
            ),
        )
        .into());
    }
    let mut w = store::begin_record(&app.db).await?;
    let organisation = w
        .organisation_name(r.organisation_id)
        .await?
        .ok_or_else(|| FieldError::new("organisation_id", "no such organisation"))?;
    if let Some(application) = r.application_id {
        if !w.is_partner(application, r.organisation_id).await? {
            return Err(FieldError::new(
                "application_id",
                "the organisation is not a partner of this project",
            )
            .into());
        }
    }
    for c in rules.caps.iter().filter(|c| c.counts_scheme(scheme)) {
        let schemes = counted_schemes(&rules, c);
        let org_filter = (c.scope == CapScope::Company).then_some(r.organisation_id);
        // Every window holding the record: its own, and for rolling caps the later ones
        // (a back-dated record must not push a later window over).
        for (end, (from, to)) in c.windows_holding(year) {
            let on = if end == year {
                granted.clone()
            } else {
                format!("{end}-12-31")
            };
            let used = w.used(&schemes, from, to, org_filter).await?;
            if let Err(breach) = relief::check_cap(c, &on, used, r.amount_cents) {
                let window = if from == to {
                    format!("{from}")
                } else {
                    format!("{from}-{to}")
                };
                return Err(FieldError::coded(
                    "amount_cents",
                    "cap_exceeded",
                    vec![
                        c.name_fr.clone(),
                        c.name_en.clone(),
                        poles_core::money_arg(breach.used_cents),
                        poles_core::money_arg(breach.limit_cents),
                        poles_core::money_arg(breach.requested_cents),
                        poles_core::money_arg(
                            breach.used_cents + breach.requested_cents - breach.limit_cents,
                        ),
                        window.clone(),
                    ],
                    format!("{} (window {window})", breach.message),
                )
                .into());
            }
        }
    }
    let record = store::NewRecord {
        organisation_id: r.organisation_id,
        scheme: r.scheme.clone(),
        family: scheme.family.clone(),
        year,
        granted_on,
        amount_cents: r.amount_cents,
        application_id: r.application_id,
        note,
    };
    Ok(w.insert(&caller.ctx(cap.by), &record, organisation).await?)
}

// ---------------------------------------------------------------- the simulator

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
    /// Every call, open or not for a project of the simulation's date, and why.
    pub calls: Vec<CallStatus>,
    pub simulation: Simulation,
}

/// The calls a project validated on `date` (`YYYY-MM-DD`) may name, each with whether it is
/// open then and why not: only open ones can be chosen. Public.
pub async fn simulator_calls(app: &App, date: &str) -> Result<Vec<CallStatus>> {
    let rules = store::rules(&app.db).await?;
    let calls = poles_store::calls::list(&app.db).await?;
    Ok(calls
        .iter()
        .map(|c| relief::call_status(&rules, c, date))
        .collect())
}

/// What the programme could give a company, year by year, each line with its rule and
/// source; closed schemes say so. Finds the site's R&D zone and the call, then runs the
/// rules engine. Public; nothing is stored.
pub async fn simulate(app: &App, mut req: SimulationRequest) -> Result<SimulationResponse> {
    let commune = req.commune.as_deref().filter(|c| !c.trim().is_empty());
    let postcode = req.postcode.as_deref().filter(|c| !c.trim().is_empty());
    let mut note = None;
    // With a place, the zone comes from the lookup; without one, the profile's own flag
    // stands (a "what if").
    let zones = if commune.is_some() || postcode.is_some() {
        let zones = zones(app, commune, postcode).await?;
        req.profile.in_rd_zone = !zones.is_empty();
        if let (None, Some(pc)) = (commune, postcode) {
            let all = poles_store::registry::communes_by_postcode(&app.db, pc.trim()).await?;
            let inside: BTreeSet<&str> = zones.iter().map(|z| z.commune.as_str()).collect();
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
    let rules = store::rules(&app.db).await?;
    let call = match req.call.as_deref().filter(|c| !c.is_empty()) {
        Some(slug) => Some(
            poles_store::calls::get(&app.db, slug)
                .await?
                .ok_or_else(|| FieldError::new("call", "no such call"))?,
        ),
        None => None,
    };
    let mut simulation = relief::simulate(&rules, &req.profile, call.as_ref());
    simulation.assumptions.extend(note);
    let calls = poles_store::calls::list(&app.db)
        .await?
        .iter()
        .map(|c| relief::call_status(&rules, c, &req.profile.start))
        .collect();
    Ok(SimulationResponse {
        zones,
        calls,
        simulation,
    })
}

// ---------------------------------------------------------------- the optimiser

/// An envelope the officer wants to try, overriding what the call has left.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct EnvelopeIn {
    /// A funder of the call (`state`, `region`), or `region:<code>` for one region's share
    /// (the region part of the partners whose R&D is in that region).
    pub funder: String,
    pub available_cents: i64,
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

/// What the optimiser's form of a call starts from.
#[derive(Debug, Clone)]
pub struct OptimiserSetup {
    pub call: Call,
    /// Each funder of the call with what its envelope has left (`None` while it is not set).
    pub envelopes: Vec<(String, Option<i64>)>,
    /// The regions where the R&D of the call's submitted projects is done (code, name):
    /// those whose share may get an envelope of its own.
    pub regions: Vec<(String, String)>,
    /// The ranked applications' acronyms, by id.
    pub labels: BTreeMap<i64, String>,
}

/// The call, its envelopes, its projects' regions and the ranked projects' names, for the
/// optimiser's page. Selection officers.
pub async fn optimiser_setup(app: &App, caller: &Caller, slug: &str) -> Result<OptimiserSetup> {
    app.allowed(caller, access::selection_officer(&caller.actor))
        .await?;
    let call = poles_store::calls::get(&app.db, slug)
        .await?
        .ok_or(AppError::NotFound("call"))?;
    let envelopes = poles_store::selection::envelopes(&app.db, slug)
        .await?
        .into_iter()
        .map(|e| {
            let left = e.envelope_cents.map(|v| (v - e.committed_cents).max(0));
            (e.funder, left)
        })
        .collect();
    let regions = store::call_regions(&app.db, slug).await?;
    let labels = poles_store::selection::ranking(&app.db, slug)
        .await?
        .into_iter()
        .map(|r| (r.application_id, r.acronym))
        .collect();
    Ok(OptimiserSetup {
        call,
        envelopes,
        regions,
        labels,
    })
}

/// Proposes the selection of a call's ranked eligible projects that maximises the total
/// weighted score within every envelope, beside funding in rank order, with the
/// differences explained. Nothing is decided. Selection officers.
pub async fn optimise(
    app: &App,
    caller: &Caller,
    slug: &str,
    req: &OptimiseRequest,
) -> Result<Comparison> {
    app.allowed(caller, access::selection_officer(&caller.actor))
        .await?;
    let ms = req.time_limit_ms.unwrap_or(5000);
    if !(100..=30_000).contains(&ms) {
        return Err(FieldError::new("time_limit_ms", "must be between 100 and 30000").into());
    }
    let (cands, envs) = optimiser_input(app, slug, &req.envelopes).await?;
    // The solver is CPU work: keep it off the async workers, one solve at a time per server
    // (a guard of this process's CPU, not shared state).
    static SOLVES: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);
    let _permit = SOLVES
        .acquire()
        .await
        .map_err(|e| AppError::Internal(StoreError::Data(e.to_string())))?;
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
    .map_err(|e| AppError::Internal(StoreError::Data(e.to_string())))?
    .map_err(|e| FieldError::new("envelopes", e.to_string()).into())
}

/// The optimiser's input: the call's submitted, eligible, reviewed projects in rank order
/// with what each asks of each envelope (from the aid the engine computes), and the
/// envelopes: what each funder has left, or the officer's figures.
async fn optimiser_input(
    app: &App,
    slug: &str,
    overrides: &[EnvelopeIn],
) -> Result<(Vec<Candidate>, Vec<Envelope>)> {
    let ranking = poles_store::selection::ranking(&app.db, slug).await?;
    // The call's envelopes, each bounded by what its budget line has left; then the
    // officer's figures replace or add envelopes (`region:<code>`).
    let mut envs: Vec<(Envelope, bool)> = Vec::new();
    for e in poles_store::selection::envelopes(&app.db, slug).await? {
        let mut left = e.envelope_cents.map(|v| (v - e.committed_cents).max(0));
        if let (Some(l), Some(code)) = (left, &e.budget) {
            left = Some(l.min(store::line_available(&app.db, code).await?.max(0)));
        }
        envs.push((
            Envelope {
                funder: e.funder.clone(),
                available_cents: left.unwrap_or(0),
            },
            left.is_some(),
        ));
    }
    let mut seen = BTreeSet::new();
    for o in overrides {
        if o.available_cents < 0 {
            return Err(FieldError::new("envelopes", "must not be negative").into());
        }
        if !seen.insert(o.funder.clone()) {
            return Err(
                FieldError::new("envelopes", format!("{} is given twice", o.funder)).into(),
            );
        }
        let known = o.funder.strip_prefix("region:").is_some()
            || envs.iter().any(|(e, _)| e.funder == o.funder);
        if !known {
            return Err(FieldError::new(
                "envelopes",
                format!(
                    "{} is not a funder of this call (use region:<code> for one region)",
                    o.funder
                ),
            )
            .into());
        }
        let given = Envelope {
            funder: o.funder.clone(),
            available_cents: o.available_cents,
        };
        match envs.iter_mut().find(|(e, _)| e.funder == o.funder) {
            Some(slot) => *slot = (given, true),
            None => envs.push((given, true)),
        }
    }
    if let Some((e, _)) = envs.iter().find(|(_, set)| !set) {
        return Err(FieldError::new(
            "envelopes",
            format!(
                "the {} envelope of this call is not set: set it or give a figure",
                e.funder
            ),
        )
        .into());
    }
    let envs: Vec<Envelope> = envs.into_iter().map(|(e, _)| e).collect();
    let mut cands = Vec::new();
    for row in ranking.iter().filter(|r| r.eligible_at_submission) {
        let application = match crate::applications::load(app, row.application_id).await {
            Ok(a) => a,
            Err(AppError::NotFound(_)) => continue,
            Err(e) => return Err(e),
        };
        if application.status != "submitted" {
            continue;
        }
        let demand = envs
            .iter()
            .map(|e| {
                let region = e.funder.strip_prefix("region:");
                application
                    .aid
                    .lines
                    .iter()
                    .zip(
                        application
                            .partners
                            .iter()
                            .filter(|p| p.invitation != "declined"),
                    )
                    .flat_map(|(line, partner)| {
                        line.by_funder.iter().filter(move |fa| match region {
                            Some(code) => {
                                fa.funder == "region" && partner.rd_region.as_deref() == Some(code)
                            }
                            None => fa.funder == e.funder,
                        })
                    })
                    .map(|fa| fa.cents)
                    .sum()
            })
            .collect();
        cands.push(Candidate {
            id: row.application_id,
            label: row.acronym.clone(),
            score: row.weighted_total,
            demand,
        });
    }
    Ok((cands, envs))
}
