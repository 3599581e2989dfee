//! Tax and social relief of the programme as versioned rules, the caps that bound them, and
//! the benefits simulator that turns a company's profile into what it could get, year by
//! year. Every rate, duration, threshold and cap comes from the rules (shipped as data with
//! its effective period and source); this module only does the arithmetic and explains it.

use crate::calls::{self, Bp, Costs, Partner, ProjectFacts, RuleSet};
use crate::{FieldError, OrgKind};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A value that holds from a date on, until the next value of the same series.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Dated {
    /// `YYYY-MM-DD`.
    pub from: String,
    pub value: i64,
    pub source: String,
    pub certainty: String,
}

/// The value of a series in force on `date` (`YYYY-MM-DD`; ISO dates compare as text).
pub fn value_at<'a>(series: &'a [Dated], date: &str) -> Option<&'a Dated> {
    series
        .iter()
        .filter(|d| d.from.as_str() <= date)
        .max_by(|a, b| a.from.cmp(&b.from))
}

/// A figure with its source and how sure it is (`C`, `K`, `U`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = ReliefFigure)]
pub struct Figure {
    pub value: i64,
    pub source: String,
    pub certainty: String,
}

/// A date with its source, e.g. when a scheme closed to new entrants.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SourcedDate {
    /// `YYYY-MM-DD`.
    pub date: String,
    pub source: String,
    pub certainty: String,
}

/// One phase of the profit-tax relief: `years` profitable years at `rate_bp`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Phase {
    pub years: i64,
    pub rate_bp: Bp,
}

/// Relief for companies of an R&D zone taking part in an approved project.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RdZoneRules {
    pub profit_tax_phases: Vec<Phase>,
    pub phases_source: String,
    pub phases_certainty: String,
    /// Exemption from the annual flat tax (IFA), for `local_tax_years` years.
    pub flat_tax_exempt: bool,
    /// Years of business and property tax exemption, where the local authority voted it.
    pub local_tax_years: Figure,
    /// The cap (by code) that bounds the scheme's relief.
    pub cap: String,
}

/// Relief of employer social contributions for the R&D staff of approved pôle projects.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PoleSocialRules {
    pub sme_rate: Figure,
    /// Mid-size and large firms (the sources name only SMEs and large firms).
    pub other_rate: Figure,
    /// How long the relief runs from the project's validation date.
    pub months: Figure,
}

/// The young innovative company (JEI) relief.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct JeiRules {
    pub max_staff: Figure,
    pub max_turnover_cents: Figure,
    pub max_balance_sheet_cents: Figure,
    /// Younger than this many years.
    pub max_age_years: Figure,
    /// R&D at least this share of the charges.
    pub min_rd_share: Figure,
    /// Employer contributions exempt until 31 Dec of this many years after the creation year.
    pub exempt_until_year_after_creation: Figure,
    /// Wages counted up to this multiple of the monthly minimum wage, per person (bp: 45000 = 4.5×).
    pub wage_cap_minimum_wage_multiple_bp: Figure,
    /// Relief per establishment a year up to this multiple of the annual social-security ceiling.
    pub establishment_cap_ceiling_multiple_bp: Figure,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SchemeRules {
    RdZone(RdZoneRules),
    PoleSocial(PoleSocialRules),
    Jei(Box<JeiRules>),
}

/// One version of a relief scheme, in force for projects or entries from `valid_from` to
/// `valid_to` (inclusive; open when absent).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Scheme {
    pub code: String,
    /// `tax` or `social`: which programme caps count it.
    pub family: String,
    pub name_fr: String,
    pub name_en: String,
    pub valid_from: String,
    pub valid_to: Option<String>,
    /// No new entrants from this date; those already in keep their rights.
    pub closed_to_new_entrants_from: Option<SourcedDate>,
    pub source: String,
    pub certainty: String,
    pub rules: SchemeRules,
}

/// The window a cap sums records over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Window {
    /// The record's calendar year.
    CalendarYear,
    /// The record's year and the years before it, this many in all.
    RollingYears(i64),
    /// A fixed period (years inclusive); records outside it are not counted.
    Period { from_year: i64, to_year: i64 },
}

/// One amount of a cap, in force for records granted from `from` to `to` (inclusive).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CapAmount {
    pub from: String,
    pub to: Option<String>,
    pub cents: i64,
    pub currency: String,
    pub source: String,
    pub certainty: String,
    /// When the cap is stated in another currency than the records (EUR), the amount it is
    /// enforced at, in EUR cents, and why: never a silent conversion.
    pub enforced_eur_cents: Option<i64>,
    pub enforced_basis: Option<String>,
}

impl CapAmount {
    /// The limit in EUR cents, if the cap can be compared with EUR records.
    pub fn limit_eur(&self) -> Option<i64> {
        if self.currency == "EUR" {
            Some(self.cents)
        } else {
            self.enforced_eur_cents
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CapScope {
    /// All companies' records together (a programme-wide budget of relief).
    Programme,
    /// Each company's records (de minimis).
    Company,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Cap {
    pub code: String,
    pub name_fr: String,
    pub name_en: String,
    pub scope: CapScope,
    /// Scheme families (`tax`, `social`) or scheme codes whose records count.
    pub counts: Vec<String>,
    pub window: Window,
    pub amounts: Vec<CapAmount>,
}

impl Cap {
    /// Whether a record of this scheme counts against the cap.
    pub fn counts_scheme(&self, scheme: &Scheme) -> bool {
        self.counts
            .iter()
            .any(|c| c == &scheme.code || c == &scheme.family)
    }

    /// The amount in force for a record granted on `date`.
    pub fn amount_on(&self, date: &str) -> Option<&CapAmount> {
        self.amounts
            .iter()
            .filter(|a| a.from.as_str() <= date && a.to.as_deref().is_none_or(|t| date <= t))
            .max_by(|a, b| a.from.cmp(&b.from))
    }

    /// The years (inclusive) whose records are summed with a record of `year`, or `None`
    /// when the cap does not cover that year.
    /// Every window a record of `year` falls in, with the year each window ends: a rolling
    /// window of n years holds the record in the n windows ending in `year` .. `year + n - 1`,
    /// so a back-dated record must fit in later windows too.
    pub fn windows_holding(&self, year: i64) -> Vec<(i64, (i64, i64))> {
        match &self.window {
            Window::RollingYears(n) => (year..year + (*n).max(1))
                .map(|end| (end, (end - (n - 1).max(0), end)))
                .collect(),
            _ => self
                .window_years(year)
                .map(|w| vec![(year, w)])
                .unwrap_or_default(),
        }
    }

    pub fn window_years(&self, year: i64) -> Option<(i64, i64)> {
        match &self.window {
            Window::CalendarYear => Some((year, year)),
            Window::RollingYears(n) => Some((year - (n - 1).max(0), year)),
            Window::Period { from_year, to_year } => {
                (*from_year <= year && year <= *to_year).then_some((*from_year, *to_year))
            }
        }
    }
}

/// Why a record was refused by a cap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CapBreach {
    pub cap: String,
    pub limit_cents: i64,
    pub used_cents: i64,
    pub requested_cents: i64,
    pub message: String,
}

/// Checks one record against a cap, given what the window already holds. `None` when the
/// record fits (or the cap does not apply to it).
pub fn check_cap(
    cap: &Cap,
    granted_on: &str,
    used_cents: i64,
    requested_cents: i64,
) -> Result<(), CapBreach> {
    let Some(amount) = cap.amount_on(granted_on) else {
        return Ok(());
    };
    let Some(limit) = amount.limit_eur() else {
        return Err(CapBreach {
            cap: cap.code.clone(),
            limit_cents: amount.cents,
            used_cents,
            requested_cents,
            message: format!(
                "the cap {} is stated in {} and has no stated EUR equivalent; records in EUR cannot be checked against it",
                cap.code, amount.currency
            ),
        });
    };
    if used_cents + requested_cents > limit {
        return Err(CapBreach {
            cap: cap.code.clone(),
            limit_cents: limit,
            used_cents,
            requested_cents,
            message: format!(
                "{}: {} already used of {}; {} more would exceed it by {}",
                cap.name_en,
                eur(used_cents),
                eur(limit),
                eur(requested_cents),
                eur(used_cents + requested_cents - limit),
            ),
        });
    }
    Ok(())
}

/// Reference values the schemes are computed from (rates and ceilings of general law).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReferenceValues {
    /// Standard corporate income tax rate, basis points.
    pub profit_tax_rate_bp: Vec<Dated>,
    /// Monthly gross minimum wage (SMIC, 35 h), cents.
    pub minimum_wage_monthly_cents: Vec<Dated>,
    /// Annual social-security ceiling (PASS), cents.
    pub social_security_ceiling_cents: Vec<Dated>,
    /// Employer contributions as a share of gross wages, when the company gives none.
    pub employer_contribution_rate_bp: Vec<Dated>,
}

/// All relief rules: versioned schemes, caps and the reference values.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReliefRules {
    pub id: String,
    pub version: i64,
    pub schemes: Vec<Scheme>,
    pub caps: Vec<Cap>,
    pub reference: ReferenceValues,
}

impl ReliefRules {
    /// The version of a scheme in force on `date`.
    pub fn scheme_on(&self, code: &str, date: &str) -> Option<&Scheme> {
        self.schemes.iter().find(|s| {
            s.code == code
                && s.valid_from.as_str() <= date
                && s.valid_to.as_deref().is_none_or(|t| date <= t)
        })
    }

    /// Any version of a scheme, the latest first (for describing a closed scheme).
    pub fn latest(&self, code: &str) -> Option<&Scheme> {
        self.schemes
            .iter()
            .filter(|s| s.code == code)
            .max_by(|a, b| a.valid_from.cmp(&b.valid_from))
    }

    pub fn cap(&self, code: &str) -> Option<&Cap> {
        self.caps.iter().find(|c| c.code == code)
    }

    /// Checks the rules hang together: known caps, dates, phases.
    pub fn validate(&self) -> Result<(), String> {
        for s in &self.schemes {
            for d in [Some(&s.valid_from), s.valid_to.as_ref()]
                .into_iter()
                .flatten()
            {
                if parse_date(d).is_none() {
                    return Err(format!("scheme {}: bad date {d}", s.code));
                }
            }
            if let SchemeRules::RdZone(z) = &s.rules {
                if self.cap(&z.cap).is_none() {
                    return Err(format!("scheme {}: unknown cap {}", s.code, z.cap));
                }
                if z.profit_tax_phases.iter().any(|p| p.years < 0) {
                    return Err(format!("scheme {}: negative phase", s.code));
                }
            }
        }
        for c in &self.caps {
            if c.amounts.is_empty() {
                return Err(format!("cap {} has no amount", c.code));
            }
        }
        Ok(())
    }
}

/// `YYYY-MM-DD` → (year, month, day), for a date that exists ([`crate::Date`]).
pub fn parse_date(s: &str) -> Option<(i64, i64, i64)> {
    crate::Date::parse("date", s).ok().map(|d| {
        (
            i64::from(d.year()),
            i64::from(d.month()),
            i64::from(d.day()),
        )
    })
}

/// How big the company is, as it declares itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Size {
    Sme,
    MidSize,
    Large,
}

/// What a company tells the simulator about itself. Amounts in EUR cents, per year.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Profile {
    pub size: Size,
    pub staff: i64,
    pub turnover_cents: i64,
    pub balance_sheet_cents: i64,
    /// Creation date, `YYYY-MM-DD`.
    pub founded_on: String,
    /// Belongs to no group (the JEI needs it).
    #[serde(default = "yes")]
    pub independent: bool,
    /// R&D spending as a share of all charges, basis points.
    pub rd_share_bp: Bp,
    /// Whether its R&D site is in a pôle's R&D zone (the API finds it from the commune).
    #[serde(default)]
    pub in_rd_zone: bool,
    pub rd_staff: i64,
    /// Gross annual wages of the R&D staff.
    pub rd_wages_cents: i64,
    /// Employer contributions on those wages; estimated from the reference rate when absent.
    pub employer_contributions_cents: Option<i64>,
    /// Planned costs of the collaborative project.
    #[serde(default)]
    pub project_costs: Costs,
    /// Expected taxable profit per year from the start year on; the last value repeats.
    pub profits_cents: Vec<i64>,
    /// Annual flat tax (IFA) it pays, per year.
    #[serde(default)]
    pub flat_tax_cents: i64,
    /// Business and property tax it pays, per year.
    #[serde(default)]
    pub local_taxes_cents: i64,
    /// Whether the local authority voted the business and property tax exemption.
    #[serde(default)]
    pub local_exemption_voted: bool,
    /// Other de minimis aid received in the two years before the start.
    #[serde(default)]
    pub other_de_minimis_cents: i64,
    /// The project's validation (and the company's entry) date, `YYYY-MM-DD`.
    pub start: String,
    /// How many years to show (1 to 12; 8 when absent).
    pub years: Option<i64>,
}

fn yes() -> bool {
    true
}

impl Profile {
    /// Boundary checks, naming the field.
    pub fn validate(&self) -> Result<(), FieldError> {
        for (field, d) in [("founded_on", &self.founded_on), ("start", &self.start)] {
            if parse_date(d).is_none() {
                return Err(FieldError::new(field, "must be a date YYYY-MM-DD"));
            }
        }
        if self.founded_on > self.start {
            return Err(FieldError::new(
                "founded_on",
                "must not be after the start date",
            ));
        }
        for (field, v) in [
            ("staff", self.staff),
            ("turnover_cents", self.turnover_cents),
            ("balance_sheet_cents", self.balance_sheet_cents),
            ("rd_staff", self.rd_staff),
            ("rd_wages_cents", self.rd_wages_cents),
            ("flat_tax_cents", self.flat_tax_cents),
            ("local_taxes_cents", self.local_taxes_cents),
            ("other_de_minimis_cents", self.other_de_minimis_cents),
            (
                "project_costs",
                self.project_costs
                    .staff
                    .min(self.project_costs.equipment)
                    .min(self.project_costs.subcontracting)
                    .min(self.project_costs.overheads),
            ),
            (
                "employer_contributions_cents",
                self.employer_contributions_cents.unwrap_or(0),
            ),
        ] {
            if v < 0 {
                return Err(FieldError::new(field, "must not be negative"));
            }
            if v > 100_000_000_000_000 {
                return Err(FieldError::new(field, "is implausibly large"));
            }
        }
        if !(0..=10_000).contains(&self.rd_share_bp) {
            return Err(FieldError::new(
                "rd_share_bp",
                "must be between 0 and 10000",
            ));
        }
        if self.rd_staff > self.staff {
            return Err(FieldError::new("rd_staff", "must not exceed the staff"));
        }
        if self.profits_cents.is_empty() || self.profits_cents.len() > 12 {
            return Err(FieldError::new(
                "profits_cents",
                "give 1 to 12 yearly profits",
            ));
        }
        if self
            .profits_cents
            .iter()
            .any(|p| p.abs() > 100_000_000_000_000)
        {
            return Err(FieldError::new("profits_cents", "is implausibly large"));
        }
        if let Some(y) = self.years {
            if !(1..=12).contains(&y) {
                return Err(FieldError::new("years", "must be between 1 and 12"));
            }
        }
        Ok(())
    }

    fn profit(&self, k: usize) -> i64 {
        self.profits_cents
            .get(k)
            .or(self.profits_cents.last())
            .copied()
            .unwrap_or(0)
    }
}

/// One amount of one year, with the rule that gives it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Line {
    pub scheme: String,
    /// `profit_tax`, `flat_tax`, `local_taxes`, `de_minimis_cap`, `social`, `grant:<funder>` …
    pub item: String,
    /// Counted in the year's total (a line not cumulative with a larger one is shown but not counted).
    pub counted: bool,
    pub cents: i64,
    pub rule_fr: String,
    pub rule_en: String,
    pub source: String,
    pub certainty: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Year {
    pub year: i64,
    pub lines: Vec<Line>,
    pub total_cents: i64,
}

/// Whether the company can use a scheme at its start date, and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SchemeStatus {
    pub scheme: String,
    pub name_fr: String,
    pub name_en: String,
    /// `open`, `closed` (to new entrants at this date) or `not_eligible`.
    pub status: String,
    pub explanation_fr: String,
    pub explanation_en: String,
    pub source: String,
    pub certainty: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Text {
    pub fr: String,
    pub en: String,
}

/// The simulator's answer: each scheme's status, the lines year by year, and the assumptions.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Simulation {
    pub start: String,
    pub rules: String,
    pub schemes: Vec<SchemeStatus>,
    pub years: Vec<Year>,
    pub total_cents: i64,
    pub assumptions: Vec<Text>,
}

/// An exact amount in euros: "€1,234,567.89" / "1 234 567,89 €" (cents only when not zero).
pub fn exact_eur(cents: i64, lang: crate::Lang) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let (units, rest) = (cents.abs() / 100, cents.abs() % 100);
    let digits = units.to_string();
    let sep = if lang == crate::Lang::Fr {
        '\u{202f}'
    } else {
        ','
    };
    let mut grouped = String::new();
    for (k, ch) in digits.chars().enumerate() {
        if k > 0 && (digits.len() - k) % 3 == 0 {
            grouped.push(sep);
        }
        grouped.push(ch);
    }
    match (lang, rest) {
        (crate::Lang::En, 0) => format!("{sign}€{grouped}"),
        (crate::Lang::En, r) => format!("{sign}€{grouped}.{r:02}"),
        (crate::Lang::Fr, 0) => format!("{sign}{grouped} €"),
        (crate::Lang::Fr, r) => format!("{sign}{grouped},{r:02} €"),
    }
}

fn eur(cents: i64) -> String {
    exact_eur(cents, crate::Lang::En)
}

fn eur_fr(cents: i64) -> String {
    exact_eur(cents, crate::Lang::Fr)
}

/// A multiple in basis points as text: 45000 → "4.5" / "4,5".
fn times(bp: i64, lang: crate::Lang) -> String {
    calls::pct(bp / 100, lang)
        .trim_end_matches('%')
        .trim_end()
        .to_string()
}

fn mul_bp(amount: i64, bp: i64) -> i64 {
    (i128::from(amount) * i128::from(bp) / 10_000) as i64
}

fn status(s: &Scheme, code: &str, fr: String, en: String) -> SchemeStatus {
    SchemeStatus {
        scheme: s.code.clone(),
        name_fr: s.name_fr.clone(),
        name_en: s.name_en.clone(),
        status: code.into(),
        explanation_fr: fr,
        explanation_en: en,
        source: s.source.clone(),
        certainty: s.certainty.clone(),
    }
}

/// The version of `code` a company starting on `start` gets, or why it gets none.
fn entry<'r>(
    rules: &'r ReliefRules,
    code: &str,
    start: &str,
    statuses: &mut Vec<SchemeStatus>,
) -> Option<&'r Scheme> {
    match rules.scheme_on(code, start) {
        Some(s) => match &s.closed_to_new_entrants_from {
            Some(c) if c.date.as_str() <= start => {
                statuses.push(status(
                    s,
                    "closed",
                    format!(
                        "Fermé aux nouveaux entrants depuis le {} ({}).",
                        c.date, c.source
                    ),
                    format!("Closed to new entrants since {} ({}).", c.date, c.source),
                ));
                None
            }
            _ => Some(s),
        },
        None => {
            if let Some(s) = rules.latest(code) {
                let (fr, en) = if start < s.valid_from.as_str() {
                    (
                        format!(
                            "Pas encore en vigueur à cette date (à partir du {}).",
                            s.valid_from
                        ),
                        format!("Not yet in force on that date (from {}).", s.valid_from),
                    )
                } else {
                    let end = s.valid_to.clone().unwrap_or_default();
                    (
                        format!(
                            "Supprimé : ne s'applique plus aux projets validés après le {end}."
                        ),
                        format!("Abolished: no longer applies to projects validated after {end}."),
                    )
                };
                statuses.push(status(s, "closed", fr, en));
            }
            None
        }
    }
}

/// Employer contributions on the R&D wages: the company's figure, else the reference rate.
fn contributions<'r>(rules: &'r ReliefRules, p: &Profile, date: &str) -> (i64, Option<&'r Dated>) {
    match p.employer_contributions_cents {
        Some(c) => (c, None),
        None => {
            let rate = value_at(&rules.reference.employer_contribution_rate_bp, date);
            (
                mul_bp(p.rd_wages_cents, rate.map(|r| r.value).unwrap_or(0)),
                rate,
            )
        }
    }
}

/// Months of `year` covered by a span starting on `start` and lasting `months`.
fn months_in_year(start: &str, months: i64, year: i64) -> i64 {
    let Some((sy, sm, _)) = parse_date(start) else {
        return 0;
    };
    let first = sy * 12 + (sm - 1);
    let last = first + months; // exclusive
    let ys = year * 12;
    let ye = ys + 12;
    (last.min(ye) - first.max(ys)).max(0)
}

/// The grant a company could request under a call, from that call's rule set.
fn grant_lines(call: &RuleSet, name_fr: &str, call_name: &str, p: &Profile) -> Vec<Line> {
    let kind = match p.size {
        Size::Sme => OrgKind::Sme,
        Size::MidSize => OrgKind::MidSize,
        Size::Large => OrgKind::LargeCompany,
    };
    let facts = ProjectFacts {
        partners: vec![Partner {
            name: "company".into(),
            kind,
            independent: p.independent,
            lead: true,
            costs: p.project_costs.clone(),
            in_labelling_territory: p.in_rd_zone,
            in_lead_territory: p.in_rd_zone,
            in_rd_zone: p.in_rd_zone,
            marginal_cost: false,
        }],
        labellings: vec![],
    };
    let aid = calls::aid(call, &facts);
    let Some(line) = aid.lines.first() else {
        return vec![];
    };
    let rate = calls::rate_for(call, &facts.partners[0]);
    line.by_funder
        .iter()
        .zip(&call.cofunding)
        .map(|(fa, share)| Line {
            scheme: format!("call:{}", call.id),
            item: format!("grant:{}", fa.funder),
            counted: true,
            cents: fa.cents,
            rule_fr: match rate {
                Some(r) => format!(
                    "Subvention {name_fr} : {} × {} des coûts, part {} {}",
                    eur_fr(line.eligible_costs),
                    calls::pct(r.rate_bp, crate::Lang::Fr),
                    fa.funder,
                    calls::pct(share.share_bp, crate::Lang::Fr)
                ),
                None => format!("{name_fr} : aucun taux pour ce type d'entreprise"),
            },
            rule_en: match rate {
                Some(r) => format!(
                    "{call_name} grant: {} × {} of costs, {} share {}",
                    eur(line.eligible_costs),
                    calls::pct(r.rate_bp, crate::Lang::En),
                    fa.funder,
                    calls::pct(share.share_bp, crate::Lang::En)
                ),
                None => format!("{call_name}: no rate for this kind of company"),
            },
            source: rate
                .map(|r| format!("{}; {}", r.source, share.source))
                .unwrap_or_default(),
            certainty: rate
                .map(|r| worst(&r.certainty, &share.certainty))
                .unwrap_or_else(|| "U".into()),
        })
        .collect()
}

/// The weaker of two certainty marks (C > K > U).
fn worst(a: &str, b: &str) -> String {
    let rank = |c: &str| match c {
        "C" => 2,
        "K" => 1,
        _ => 0,
    };
    if rank(a) <= rank(b) { a } else { b }.to_string()
}

/// What the programme could give a company, year by year, from its start date on.
/// `call`: a call's rule set with its French and English names, for the grant lines.
pub fn simulate(
    rules: &ReliefRules,
    p: &Profile,
    call: Option<(&RuleSet, &str, &str)>,
) -> Simulation {
    let (y0, _, _) = parse_date(&p.start).unwrap_or((2007, 1, 1));
    let (fy, _, _) = parse_date(&p.founded_on).unwrap_or((y0, 1, 1));
    let n = p.years.unwrap_or(8).clamp(1, 12);
    let mut statuses = Vec::new();
    let mut assumptions = vec![
        Text {
            fr: "Le projet est supposé labellisé, retenu et validé à la date de départ ; l'entreprise y consacre tout son personnel de R&D.".into(),
            en: "The project is assumed labelled, selected and validated on the start date; all the company's R&D staff work on it.".into(),
        },
        Text {
            fr: "Les exonérations fiscales portent sur des exercices entiers (années civiles), année de départ comprise ; les exonérations sociales sont comptées au mois.".into(),
            en: "Tax relief applies to whole financial years (calendar years), the start year included; social relief is counted by the month.".into(),
        },
    ];
    let mut years: Vec<Year> = (0..n)
        .map(|k| Year {
            year: y0 + k,
            lines: vec![],
            total_cents: 0,
        })
        .collect();

    match call {
        Some((_, name_fr, name)) if p.project_costs.total() == 0 => assumptions.push(Text {
            fr: format!(
                "Aucun coût de projet indiqué : pas de subvention de l'appel « {name_fr} »."
            ),
            en: format!("No project costs given: no grant of the call \"{name}\"."),
        }),
        Some((call_rules, name_fr, name)) => {
            years[0]
                .lines
                .extend(grant_lines(call_rules, name_fr, name, p));
            assumptions.push(Text {
                fr: format!("La subvention de l'appel « {name_fr} » est comptée l'année de départ, pour tout le projet."),
                en: format!("The grant of the call \"{name}\" is counted in the start year, for the whole project."),
            });
        }
        None => {}
    }

    // R&D-zone tax relief.
    if let Some(s) = entry(rules, "rd_zone_tax", &p.start, &mut statuses) {
        if let SchemeRules::RdZone(z) = &s.rules {
            if !p.in_rd_zone {
                statuses.push(status(
                    s,
                    "not_eligible",
                    "Le site de R&D n'est pas dans la zone de R&D d'un pôle.".into(),
                    "The R&D site is not in a pôle's R&D zone.".into(),
                ));
            } else {
                statuses.push(status(
                    s,
                    "open",
                    "Entreprise de la zone de R&D participant à un projet agréé.".into(),
                    "Company of the R&D zone taking part in an approved project.".into(),
                ));
                zone_relief(rules, s, z, p, &mut years, &mut assumptions);
            }
        }
    }

    // Social relief of pôle projects.
    if let Some(s) = entry(rules, "pole_social", &p.start, &mut statuses) {
        if let SchemeRules::PoleSocial(r) = &s.rules {
            statuses.push(status(
                s,
                "open",
                format!(
                    "{} mois à partir de la date de validation du projet.",
                    r.months.value
                ),
                format!(
                    "{} months from the project's validation date.",
                    r.months.value
                ),
            ));
            let rate = if p.size == Size::Sme {
                &r.sme_rate
            } else {
                &r.other_rate
            };
            assumptions.push(Text {
                fr: "[U] Un projet validé avant la suppression de l'allègement social garde ses droits pour toute leur durée.".into(),
                en: "[U] A project validated before the social relief was abolished keeps it for its whole length.".into(),
            });
            for y in years.iter_mut() {
                let m = months_in_year(&p.start, r.months.value, y.year);
                if m == 0 {
                    continue;
                }
                let (c, est) = contributions(rules, p, &format!("{}-12-31", y.year));
                let cents = mul_bp(c, rate.value) * m / 12;
                y.lines.push(Line {
                    scheme: s.code.clone(),
                    item: "social".into(),
                    counted: true,
                    cents,
                    rule_fr: format!(
                        "{} × {} des cotisations patronales de R&D ({}) × {m}/12 mois{}",
                        calls::pct(rate.value, crate::Lang::Fr),
                        if p.size == Size::Sme {
                            "PME"
                        } else {
                            "autres entreprises"
                        },
                        eur_fr(c),
                        if est.is_some() {
                            ", cotisations estimées"
                        } else {
                            ""
                        }
                    ),
                    rule_en: format!(
                        "{} of R&D employer contributions ({}) for {} × {m}/12 months{}",
                        calls::pct(rate.value, crate::Lang::En),
                        eur(c),
                        if p.size == Size::Sme {
                            "SMEs"
                        } else {
                            "other firms"
                        },
                        if est.is_some() {
                            ", contributions estimated"
                        } else {
                            ""
                        }
                    ),
                    source: format!("{}; {}", rate.source, r.months.source),
                    certainty: worst(&rate.certainty, &r.months.certainty),
                });
            }
        }
    }

    // Young innovative company.
    if let Some(s) = entry(rules, "jei", &p.start, &mut statuses) {
        if let SchemeRules::Jei(j) = &s.rules {
            jei(rules, s, j, p, fy, &mut years, &mut statuses);
        }
    }

    if p.employer_contributions_cents.is_none()
        && years
            .iter()
            .any(|y| y.lines.iter().any(|l| l.item == "social"))
    {
        let r = value_at(&rules.reference.employer_contribution_rate_bp, &p.start);
        if let Some(r) = r {
            assumptions.push(Text {
                fr: format!(
                    "Cotisations patronales estimées à {} des salaires bruts ({}).",
                    calls::pct(r.value, crate::Lang::Fr),
                    r.source
                ),
                en: format!(
                    "Employer contributions estimated at {} of gross wages ({}).",
                    calls::pct(r.value, crate::Lang::En),
                    r.source
                ),
            });
        }
    }

    // The two social reliefs are not added on the same wages: the larger counts.
    for y in years.iter_mut() {
        let social: i64 = y
            .lines
            .iter()
            .filter(|l| l.scheme == "pole_social")
            .map(|l| l.cents)
            .sum();
        let jei: i64 = y
            .lines
            .iter()
            .filter(|l| l.scheme == "jei")
            .map(|l| l.cents)
            .sum();
        if social > 0 && jei > 0 {
            let drop = if jei >= social { "pole_social" } else { "jei" };
            for l in y.lines.iter_mut().filter(|l| l.scheme == drop) {
                l.counted = false;
            }
        }
        y.total_cents = y.lines.iter().filter(|l| l.counted).map(|l| l.cents).sum();
    }
    if years.iter().any(|y| y.lines.iter().any(|l| !l.counted)) {
        assumptions.push(Text {
            fr: "Les deux exonérations sociales ne se cumulent pas sur les mêmes salaires : seule la plus forte est comptée.".into(),
            en: "The two social reliefs are not added on the same wages: only the larger is counted.".into(),
        });
    }
    Simulation {
        start: p.start.clone(),
        rules: format!("{} v{}", rules.id, rules.version),
        schemes: statuses,
        total_cents: years.iter().map(|y| y.total_cents).sum(),
        years,
        assumptions,
    }
}

fn zone_relief(
    rules: &ReliefRules,
    s: &Scheme,
    z: &RdZoneRules,
    p: &Profile,
    years: &mut [Year],
    assumptions: &mut Vec<Text>,
) {
    let cap = rules.cap(&z.cap);
    let mut profitable = 0i64;
    let mut granted: Vec<i64> = Vec::new();
    for (k, y) in years.iter_mut().enumerate() {
        let mut lines = Vec::new();
        let profit = p.profit(k);
        if profit > 0 {
            // Which phase this profitable year falls in.
            let mut left = profitable;
            let phase = z.profit_tax_phases.iter().find(|ph| {
                if left < ph.years {
                    true
                } else {
                    left -= ph.years;
                    false
                }
            });
            profitable += 1;
            if let Some(ph) = phase {
                let date = format!("{}-12-31", y.year);
                if let Some(rate) = value_at(&rules.reference.profit_tax_rate_bp, &date) {
                    let tax = mul_bp(profit, rate.value);
                    lines.push(Line {
                        scheme: s.code.clone(),
                        item: "profit_tax".into(),
                        counted: true,
                        cents: mul_bp(tax, ph.rate_bp),
                        rule_fr: format!(
                            "Année bénéficiaire n° {profitable} : {} × IS {} = {} d'impôt, exonéré à {}",
                            eur_fr(profit),
                            calls::pct(rate.value, crate::Lang::Fr),
                            eur_fr(tax),
                            calls::pct(ph.rate_bp, crate::Lang::Fr)
                        ),
                        rule_en: format!(
                            "Profitable year {profitable}: {} × profit tax {} = {} of tax, {} exempt",
                            eur(profit),
                            calls::pct(rate.value, crate::Lang::En),
                            eur(tax),
                            calls::pct(ph.rate_bp, crate::Lang::En)
                        ),
                        source: format!("{}; {}", z.phases_source, rate.source),
                        certainty: worst(&z.phases_certainty, &rate.certainty),
                    });
                }
            }
        }
        let within = (k as i64) < z.local_tax_years.value;
        if within && z.flat_tax_exempt && p.flat_tax_cents > 0 {
            lines.push(Line {
                scheme: s.code.clone(),
                item: "flat_tax".into(),
                counted: true,
                cents: p.flat_tax_cents,
                rule_fr: format!(
                    "Imposition forfaitaire annuelle exonérée ({} déclarés)",
                    eur_fr(p.flat_tax_cents)
                ),
                rule_en: format!(
                    "Annual flat tax exempt ({} declared)",
                    eur(p.flat_tax_cents)
                ),
                source: s.source.clone(),
                certainty: s.certainty.clone(),
            });
        }
        if within && p.local_exemption_voted && p.local_taxes_cents > 0 {
            lines.push(Line {
                scheme: s.code.clone(),
                item: "local_taxes".into(),
                counted: true,
                cents: p.local_taxes_cents,
                rule_fr: format!(
                    "Taxe professionnelle et foncière exonérées (année {} sur {}, votée par la collectivité)",
                    k + 1,
                    z.local_tax_years.value
                ),
                rule_en: format!(
                    "Business and property tax exempt (year {} of {}, voted by the local authority)",
                    k + 1,
                    z.local_tax_years.value
                ),
                source: z.local_tax_years.source.clone(),
                certainty: z.local_tax_years.certainty.clone(),
            });
        }
        // De minimis: the scheme's relief over the rolling window may not exceed the cap.
        let gross: i64 = lines.iter().map(|l| l.cents).sum();
        let mut net = gross;
        if let Some(cap) = cap {
            let date = format!("{}-12-31", y.year);
            if let (Some(amount), Some((from, _))) =
                (cap.amount_on(&date), cap.window_years(y.year))
            {
                if let Some(limit) = amount.limit_eur() {
                    let first = y.year - k as i64;
                    let earlier: i64 = granted
                        .iter()
                        .enumerate()
                        .filter(|(j, _)| first + *j as i64 >= from)
                        .map(|(_, g)| *g)
                        .sum();
                    let other = if first > from {
                        p.other_de_minimis_cents
                    } else {
                        0
                    };
                    let room = (limit - earlier - other).max(0);
                    if gross > room {
                        net = room;
                        lines.push(Line {
                            scheme: s.code.clone(),
                            item: "de_minimis_cap".into(),
                            counted: true,
                            cents: room - gross,
                            rule_fr: format!(
                                "Plafond de minimis {} sur {from}-{} : {} déjà reçus, reste {}",
                                eur_fr(limit),
                                y.year,
                                eur_fr(earlier + other),
                                eur_fr(room)
                            ),
                            rule_en: format!(
                                "De minimis cap {} over {from}-{}: {} already received, {} left",
                                eur(limit),
                                y.year,
                                eur(earlier + other),
                                eur(room)
                            ),
                            source: amount.source.clone(),
                            certainty: amount.certainty.clone(),
                        });
                    }
                }
            }
        }
        granted.push(net);
        y.lines.extend(lines);
    }
    if p.other_de_minimis_cents > 0 {
        assumptions.push(Text {
            fr: "Les autres aides de minimis déclarées sont supposées reçues l'année précédant le départ.".into(),
            en: "The other de minimis aid declared is assumed received the year before the start.".into(),
        });
    }
    assumptions.push(Text {
        fr: "L'exonération d'IFA est comptée pendant la même durée que celle des impôts locaux."
            .into(),
        en: "The flat-tax exemption is counted for as long as the local-tax one.".into(),
    });
}

fn jei(
    rules: &ReliefRules,
    s: &Scheme,
    j: &JeiRules,
    p: &Profile,
    founded_year: i64,
    years: &mut [Year],
    statuses: &mut Vec<SchemeStatus>,
) {
    let (sy, sm, sd) = parse_date(&p.start).unwrap_or((founded_year, 1, 1));
    let (_, fm, fd) = parse_date(&p.founded_on).unwrap_or((founded_year, 1, 1));
    // Full years of existence on the start date.
    let age = sy - founded_year - i64::from((sm, sd) < (fm, fd));
    let mut fails: Vec<(String, String)> = Vec::new();
    if p.size != Size::Sme || p.staff >= j.max_staff.value {
        fails.push((
            format!("PME de moins de {} salariés", j.max_staff.value),
            format!("an SME with fewer than {} staff", j.max_staff.value),
        ));
    }
    if p.turnover_cents >= j.max_turnover_cents.value
        && p.balance_sheet_cents >= j.max_balance_sheet_cents.value
    {
        fails.push((
            format!(
                "chiffre d'affaires < {} ou bilan < {}",
                eur_fr(j.max_turnover_cents.value),
                eur_fr(j.max_balance_sheet_cents.value)
            ),
            format!(
                "turnover < {} or balance sheet < {}",
                eur(j.max_turnover_cents.value),
                eur(j.max_balance_sheet_cents.value)
            ),
        ));
    }
    if age >= j.max_age_years.value {
        fails.push((
            format!("moins de {} ans d'existence", j.max_age_years.value),
            format!("younger than {} years", j.max_age_years.value),
        ));
    }
    if p.rd_share_bp < j.min_rd_share.value {
        fails.push((
            format!(
                "R&D ≥ {} des charges",
                calls::pct(j.min_rd_share.value, crate::Lang::Fr)
            ),
            format!(
                "R&D ≥ {} of charges",
                calls::pct(j.min_rd_share.value, crate::Lang::En)
            ),
        ));
    }
    if !p.independent {
        fails.push(("indépendante".into(), "independent".into()));
    }
    if !fails.is_empty() {
        statuses.push(status(
            s,
            "not_eligible",
            format!(
                "Conditions non remplies : {}.",
                fails
                    .iter()
                    .map(|f| f.0.as_str())
                    .collect::<Vec<_>>()
                    .join(" ; ")
            ),
            format!(
                "Conditions not met: {}.",
                fails
                    .iter()
                    .map(|f| f.1.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        ));
        return;
    }
    let last = founded_year + j.exempt_until_year_after_creation.value;
    if sy > last {
        statuses.push(status(
            s,
            "not_eligible",
            format!("L'exonération court jusqu'au 31/12 de la 7e année suivant la création : terminée le 31/12/{last}."),
            format!("The relief runs until 31 Dec of the 7th year after the creation year: it ended on 31 Dec {last}."),
        ));
        return;
    }
    statuses.push(status(
        s,
        "open",
        format!("Jeune entreprise innovante : exonération jusqu'au 31/12/{last}."),
        format!("Young innovative company: relief until 31 Dec {last}."),
    ));
    if p.rd_staff == 0 {
        return;
    }
    let mut dropped: Option<(String, i64)> = None;
    for y in years.iter_mut().filter(|y| y.year <= last) {
        let date = format!("{}-12-31", y.year);
        // The status is assessed every year, against the version in force that year.
        if let Some(SchemeRules::Jei(v)) = rules.scheme_on("jei", &date).map(|s| &s.rules) {
            if p.rd_share_bp < v.min_rd_share.value {
                dropped.get_or_insert((date.clone(), v.min_rd_share.value));
                continue;
            }
        }
        let (Some(smic), Some(pass)) = (
            value_at(&rules.reference.minimum_wage_monthly_cents, &date),
            value_at(&rules.reference.social_security_ceiling_cents, &date),
        ) else {
            continue;
        };
        // Months of this year the relief covers (the start year counts from the start month).
        let m = months_in_year(&p.start, (last - sy + 1) * 12, y.year);
        if m == 0 {
            continue;
        }
        let (c, _) = contributions(rules, p, &date);
        let wage_cap = mul_bp(smic.value, j.wage_cap_minimum_wage_multiple_bp.value);
        let wages_period = p.rd_wages_cents * m / 12;
        // Wages count up to the cap per person and month (staff assumed paid alike).
        let counted_wages = wages_period.min(wage_cap * p.rd_staff * m);
        let relief_uncapped = if wages_period == 0 {
            0
        } else {
            (i128::from(c) * i128::from(m) / 12 * i128::from(counted_wages)
                / i128::from(wages_period)) as i64
        };
        let est_cap = mul_bp(pass.value, j.establishment_cap_ceiling_multiple_bp.value);
        let cents = relief_uncapped.min(est_cap);
        y.lines.push(Line {
            scheme: s.code.clone(),
            item: "social".into(),
            counted: true,
            cents,
            rule_fr: format!(
                "Cotisations patronales de R&D sur {m} mois, salaires retenus jusqu'à {} × SMIC ({} / mois), plafond {} × PASS = {}",
                times(j.wage_cap_minimum_wage_multiple_bp.value, crate::Lang::Fr),
                eur_fr(wage_cap),
                j.establishment_cap_ceiling_multiple_bp.value / 10_000,
                eur_fr(est_cap)
            ),
            rule_en: format!(
                "R&D employer contributions over {m} months, wages counted up to {} × minimum wage ({} a month), cap {} × ceiling = {}",
                times(j.wage_cap_minimum_wage_multiple_bp.value, crate::Lang::En),
                eur(wage_cap),
                j.establishment_cap_ceiling_multiple_bp.value / 10_000,
                eur(est_cap)
            ),
            source: format!("{}; {}; {}", s.source, smic.source, pass.source),
            certainty: worst(&worst(&s.certainty, &smic.certainty), &pass.certainty),
        });
    }
    if let Some((date, min)) = dropped {
        statuses.push(status(
            s,
            "not_eligible",
            format!(
                "À partir de l'exercice clos le {date}, le statut demande une R&D ≥ {} des charges : plus d'exonération.",
                calls::pct(min, crate::Lang::Fr)
            ),
            format!(
                "From the year ending {date} the status needs R&D ≥ {} of charges: no more relief.",
                calls::pct(min, crate::Lang::En)
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    //! Golden tests on worked examples against the shipped rules; the arithmetic is written
    //! out beside each figure.
    use super::*;

    fn rules() -> ReliefRules {
        let r: ReliefRules =
            serde_json::from_str(include_str!("../../../data/relief/rules.json")).unwrap();
        r.validate().unwrap();
        r
    }

    fn fui_2007() -> RuleSet {
        serde_json::from_str(include_str!("../../../data/calls/rulesets/fui-2007.json")).unwrap()
    }

    const EUR: i64 = 100;

    fn profile(start: &str) -> Profile {
        Profile {
            size: Size::Sme,
            staff: 120,
            turnover_cents: 30_000_000 * EUR,
            balance_sheet_cents: 20_000_000 * EUR,
            founded_on: "1995-01-01".into(),
            independent: true,
            rd_share_bp: 1000,
            in_rd_zone: false,
            rd_staff: 0,
            rd_wages_cents: 0,
            employer_contributions_cents: None,
            project_costs: Costs::default(),
            profits_cents: vec![0],
            flat_tax_cents: 0,
            local_taxes_cents: 0,
            local_exemption_voted: false,
            other_de_minimis_cents: 0,
            start: start.into(),
            years: Some(6),
        }
    }

    fn item(s: &Simulation, year: i64, scheme: &str, item: &str) -> i64 {
        s.years
            .iter()
            .find(|y| y.year == year)
            .unwrap()
            .lines
            .iter()
            .filter(|l| l.scheme == scheme && l.item == item)
            .map(|l| l.cents)
            .sum()
    }

    fn total(s: &Simulation, year: i64) -> i64 {
        s.years.iter().find(|y| y.year == year).unwrap().total_cents
    }

    fn status_of<'a>(s: &'a Simulation, scheme: &str) -> &'a str {
        &s.schemes
            .iter()
            .find(|x| x.scheme == scheme)
            .unwrap()
            .status
    }

    #[test]
    fn rd_zone_relief_with_de_minimis_over_rolling_years() {
        let mut p = profile("2007-03-01");
        p.in_rd_zone = true;
        p.profits_cents = vec![1_000_000 * EUR];
        p.flat_tax_cents = 3_750 * EUR;
        p.local_taxes_cents = 20_000 * EUR;
        p.local_exemption_voted = true;
        let s = simulate(&rules(), &p, None);
        assert_eq!(status_of(&s, "rd_zone_tax"), "open");
        // Profit tax 1,000,000 × 33.33 % = 333,300; 100 % exempt in profitable years 1-3.
        assert_eq!(item(&s, 2007, "rd_zone_tax", "profit_tax"), 333_300 * EUR);
        assert_eq!(item(&s, 2007, "rd_zone_tax", "flat_tax"), 3_750 * EUR);
        assert_eq!(item(&s, 2007, "rd_zone_tax", "local_taxes"), 20_000 * EUR);
        // 2007: 357,050 gross; de minimis €200k over 2005-2007, nothing earlier: 200,000.
        assert_eq!(
            item(&s, 2007, "rd_zone_tax", "de_minimis_cap"),
            (200_000 - 357_050) * EUR
        );
        assert_eq!(total(&s, 2007), 200_000 * EUR);
        // 2008: cap €500k (temporary) over 2006-2008, 200,000 used: 300,000 left.
        assert_eq!(total(&s, 2008), 300_000 * EUR);
        // 2009: €500k over 2007-2009, 500,000 used: nothing left.
        assert_eq!(total(&s, 2009), 0);
        // 2010: 4th profitable year, 50 %: 166,650 + 3,750 + 20,000 = 190,400;
        // 2008-2010 holds 300,000: 200,000 left, so no cut.
        assert_eq!(item(&s, 2010, "rd_zone_tax", "profit_tax"), 166_650 * EUR);
        assert_eq!(total(&s, 2010), 190_400 * EUR);
        // 2011: 5th profitable year, 50 %, last year of local taxes: 190,400 gross; the cap is
        // €200k again over 2009-2011 which holds 0 + 190,400: 9,600 left.
        assert_eq!(total(&s, 2011), 9_600 * EUR);
        // 2012: the five profitable years and the five years of local taxes are over.
        assert_eq!(total(&s, 2012), 0);
        assert_eq!(s.total_cents, 700_000 * EUR);
        // The social relief of pôle projects was abolished for projects validated after 2006.
        assert_eq!(status_of(&s, "pole_social"), "closed");
    }

    #[test]
    fn loss_years_do_not_use_up_the_profit_tax_phases() {
        let mut p = profile("2007-01-01");
        p.in_rd_zone = true;
        // A loss, then 100,000 a year: tax 33,330.
        p.profits_cents = vec![-50_000 * EUR, 100_000 * EUR];
        let s = simulate(&rules(), &p, None);
        assert_eq!(total(&s, 2007), 0);
        for y in 2008..=2010 {
            assert_eq!(
                item(&s, y, "rd_zone_tax", "profit_tax"),
                33_330 * EUR,
                "{y}"
            );
        }
        // Profitable years 4 and 5 at 50 %: 16,665.
        assert_eq!(item(&s, 2011, "rd_zone_tax", "profit_tax"), 16_665 * EUR);
        assert_eq!(item(&s, 2012, "rd_zone_tax", "profit_tax"), 16_665 * EUR);
    }

    #[test]
    fn rd_zone_closed_to_new_entrants_from_17_november_2009() {
        let mut p = profile("2009-11-16");
        p.in_rd_zone = true;
        p.profits_cents = vec![100_000 * EUR];
        let before = simulate(&rules(), &p, None);
        assert_eq!(status_of(&before, "rd_zone_tax"), "open");
        assert_eq!(
            item(&before, 2009, "rd_zone_tax", "profit_tax"),
            33_330 * EUR
        );
        p.start = "2009-11-17".into();
        let after = simulate(&rules(), &p, None);
        assert_eq!(status_of(&after, "rd_zone_tax"), "closed");
        assert!(after.schemes[0].explanation_en.contains("2009-11-17"));
        assert_eq!(after.total_cents, 0);
    }

    #[test]
    fn pole_social_relief_for_72_months_from_validation() {
        let mut p = profile("2006-07-01");
        p.years = Some(8);
        p.rd_staff = 10;
        p.rd_wages_cents = 500_000 * EUR;
        p.employer_contributions_cents = Some(200_000 * EUR);
        let s = simulate(&rules(), &p, None);
        assert_eq!(status_of(&s, "pole_social"), "open");
        // SME: 50 % × 200,000 = 100,000 a year; 72 months from July 2006:
        // 6 months of 2006, 2007-2011 whole, 6 months of 2012.
        assert_eq!(item(&s, 2006, "pole_social", "social"), 50_000 * EUR);
        for y in 2007..=2011 {
            assert_eq!(item(&s, y, "pole_social", "social"), 100_000 * EUR);
        }
        assert_eq!(item(&s, 2012, "pole_social", "social"), 50_000 * EUR);
        assert_eq!(item(&s, 2013, "pole_social", "social"), 0);
        assert_eq!(s.total_cents, 600_000 * EUR);
        // A large firm: 25 %.
        p.size = Size::Large;
        let s = simulate(&rules(), &p, None);
        assert_eq!(item(&s, 2007, "pole_social", "social"), 50_000 * EUR);
        // A project validated in 2007, after the 2007 finance law: nothing.
        p.start = "2007-01-01".into();
        let s = simulate(&rules(), &p, None);
        assert_eq!(status_of(&s, "pole_social"), "closed");
        assert_eq!(s.total_cents, 0);
    }

    #[test]
    fn jei_relief_with_both_caps() {
        let mut p = profile("2007-01-01");
        p.founded_on = "2004-06-01".into();
        p.staff = 20;
        p.rd_share_bp = 3000;
        p.rd_staff = 10;
        // 5,000 a month each, below 4.5 × SMIC.
        p.rd_wages_cents = 600_000 * EUR;
        let s = simulate(&rules(), &p, None);
        assert_eq!(status_of(&s, "jei"), "open");
        // Contributions estimated at 40 %: 240,000 a year, above 5 × PASS 2007 (5 × 32,184 =
        // 160,920): capped.
        assert_eq!(item(&s, 2007, "jei", "social"), 160_920 * EUR);
        assert_eq!(item(&s, 2008, "jei", "social"), 5 * 33_276 * EUR);
        assert_eq!(item(&s, 2011, "jei", "social"), 5 * 35_352 * EUR);
        // Until 31 Dec of the 7th year after the creation year (2004 + 7 = 2011).
        assert_eq!(item(&s, 2012, "jei", "social"), 0);

        // Two people at 10,000 a month: wages counted up to 4.5 × SMIC (2007-07: 1,280.07 →
        // 5,760.31), so 2 × 5,760.31 × 12 = 138,247.44 of 240,000 count; contributions 40 %
        // = 96,000 → 96,000 × 138,247.44 / 240,000 = 55,298.97.
        p.rd_staff = 2;
        p.rd_wages_cents = 240_000 * EUR;
        let s = simulate(&rules(), &p, None);
        assert_eq!(item(&s, 2007, "jei", "social"), 5_529_897);
    }

    #[test]
    fn jei_research_share_threshold_rises_on_1_march_2025() {
        let mut p = profile("2025-02-28");
        p.founded_on = "2022-01-01".into();
        p.staff = 10;
        p.rd_share_bp = 1800;
        p.rd_staff = 4;
        p.rd_wages_cents = 200_000 * EUR;
        assert_eq!(status_of(&simulate(&rules(), &p, None), "jei"), "open");
        p.start = "2025-03-01".into();
        let s = simulate(&rules(), &p, None);
        assert_eq!(status_of(&s, "jei"), "not_eligible");
        assert!(s
            .schemes
            .iter()
            .any(|x| x.explanation_en.contains("R&D ≥ 20% of charges")));
    }

    #[test]
    fn jei_age_counts_full_years_and_the_status_is_assessed_every_year() {
        // Created 2000-12-01: on 2008-03-01 it is 7 years old (not 8), so still young, but
        // the relief ended with 2007, the 7th year after the creation year.
        let mut p = profile("2008-03-01");
        p.founded_on = "2000-12-01".into();
        p.staff = 10;
        p.rd_share_bp = 3000;
        p.rd_staff = 2;
        p.rd_wages_cents = 100_000 * EUR;
        let s = simulate(&rules(), &p, None);
        let jei = s.schemes.iter().find(|x| x.scheme == "jei").unwrap();
        assert_eq!(jei.status, "not_eligible");
        assert!(
            jei.explanation_en.contains("ended on 31 Dec 2007"),
            "{}",
            jei.explanation_en
        );
        // Created 2001-12-01: 6 full years on 2008-03-01, relief until the end of 2008.
        let mut p = profile("2008-03-01");
        p.founded_on = "2001-12-01".into();
        p.staff = 10;
        p.rd_share_bp = 3000;
        p.rd_staff = 2;
        p.rd_wages_cents = 100_000 * EUR;
        p.employer_contributions_cents = Some(40_000 * EUR);
        let s = simulate(&rules(), &p, None);
        assert_eq!(status_of(&s, "jei"), "open");
        // 10 months of 2008 (March to December): 40,000 × 10/12 = 33,333.33.
        assert_eq!(item(&s, 2008, "jei", "social"), 3_333_333);
        // 18 % of R&D: enough in 2024, not from the year the 20 % threshold is in force.
        let mut p = profile("2024-01-01");
        p.founded_on = "2022-01-01".into();
        p.staff = 10;
        p.rd_share_bp = 1800;
        p.rd_staff = 2;
        p.rd_wages_cents = 100_000 * EUR;
        p.employer_contributions_cents = Some(40_000 * EUR);
        let s = simulate(&rules(), &p, None);
        assert_eq!(item(&s, 2024, "jei", "social"), 40_000 * EUR);
        assert_eq!(item(&s, 2025, "jei", "social"), 0);
        assert!(s
            .schemes
            .iter()
            .any(|x| x.status == "not_eligible" && x.explanation_en.contains("2025-12-31")));
    }

    #[test]
    fn social_reliefs_are_not_added_on_the_same_wages() {
        let mut p = profile("2006-01-01");
        p.founded_on = "2003-01-01".into();
        p.staff = 20;
        p.rd_share_bp = 3000;
        p.rd_staff = 4;
        p.rd_wages_cents = 200_000 * EUR;
        p.employer_contributions_cents = Some(80_000 * EUR);
        let s = simulate(&rules(), &p, None);
        // JEI: all 80,000 (below 5 × PASS); pôle relief: 50 % = 40,000, shown, not counted.
        assert_eq!(item(&s, 2006, "jei", "social"), 80_000 * EUR);
        assert_eq!(item(&s, 2006, "pole_social", "social"), 40_000 * EUR);
        assert_eq!(total(&s, 2006), 80_000 * EUR);
    }

    #[test]
    fn grant_under_a_call() {
        let mut p = profile("2007-06-01");
        p.in_rd_zone = true;
        p.project_costs = Costs {
            staff: 600_000 * EUR,
            equipment: 200_000 * EUR,
            subcontracting: 100_000 * EUR,
            overheads: 100_000 * EUR,
        };
        let call = fui_2007();
        let s = simulate(&rules(), &p, Some((&call, "FUI 2007", "FUI 2007")));
        // SME in the zone: 45 % of 1,000,000 = 450,000; State 66.67 % = 300,015, region 149,985.
        assert_eq!(
            item(&s, 2007, "call:fui-2007", "grant:state"),
            300_015 * EUR
        );
        assert_eq!(
            item(&s, 2007, "call:fui-2007", "grant:region"),
            149_985 * EUR
        );
        // Outside the zone: 30 % [U] = 300,000.
        p.in_rd_zone = false;
        let s = simulate(&rules(), &p, Some((&call, "FUI 2007", "FUI 2007")));
        assert_eq!(total(&s, 2007), 300_000 * EUR);
    }

    #[test]
    fn programme_cap_in_dollars_is_enforced_at_its_stated_euro_equivalent() {
        let r = rules();
        let cap = r.cap("programme_tax_annual").unwrap();
        assert_eq!(cap.window_years(2007), Some((2007, 2007)));
        // $129M enforced as €100M: 99,999,000 used + 1,000 fits, + 1,001 does not.
        assert!(check_cap(cap, "2007-05-01", 99_999_000 * EUR, 1_000 * EUR).is_ok());
        let e = check_cap(cap, "2007-05-01", 99_999_000 * EUR, 1_001 * EUR).unwrap_err();
        assert_eq!(e.limit_cents, 100_000_000 * EUR);
        // Out of its period the cap does not apply.
        assert!(check_cap(cap, "2012-01-01", 999_999_999 * EUR, 1).is_ok());
        let dm = r.cap("de_minimis").unwrap();
        assert_eq!(dm.window_years(2009), Some((2007, 2009)));
        assert_eq!(
            dm.windows_holding(2009),
            vec![
                (2009, (2007, 2009)),
                (2010, (2008, 2010)),
                (2011, (2009, 2011))
            ]
        );
        assert_eq!(dm.amount_on("2009-06-01").unwrap().cents, 500_000 * EUR);
        assert_eq!(dm.amount_on("2011-06-01").unwrap().cents, 200_000 * EUR);
        let period = r.cap("programme_tax_2006_2008").unwrap();
        assert_eq!(period.window_years(2007), Some((2006, 2008)));
        assert_eq!(period.window_years(2009), None);
    }

    #[test]
    fn profile_errors_name_the_field() {
        let mut p = profile("2007-13-01");
        assert_eq!(p.validate().unwrap_err().field, "start");
        p.start = "2007-01-01".into();
        p.rd_share_bp = 12_000;
        assert_eq!(p.validate().unwrap_err().field, "rd_share_bp");
        p.rd_share_bp = 0;
        p.profits_cents.clear();
        assert_eq!(p.validate().unwrap_err().field, "profits_cents");
    }
}
