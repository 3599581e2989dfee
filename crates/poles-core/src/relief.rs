//! Tax and social relief of the programme as versioned rules, the caps that bound them, and
//! the benefits simulator that turns a company's profile into what it could get, year by
//! year. Every rate, duration, threshold and cap comes from the rules (shipped as data with
//! its effective period and source); this module only does the arithmetic and explains it.

use crate::calls::{self, Bp, Costs, Partner, ProjectFacts, RuleSet};
use crate::{FieldError, OrgKind};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An exact rate, `num / den`: 33⅓ % is 1/3, which no number of basis points writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Ratio {
    pub num: i64,
    pub den: i64,
}

impl Ratio {
    pub fn bp(bp: Bp) -> Self {
        Ratio {
            num: bp,
            den: 10_000,
        }
    }

    /// `cents × num / den`, rounded once to the cent ([`round_div`]).
    pub fn of(self, cents: i64) -> i64 {
        exact(cents, &[(self.num, self.den)])
    }

    /// As a percentage: 3000/10000 → "30%", 1/3 → "33 1/3%" (French: "30 %", "33 1/3 %").
    pub fn pct(self, lang: crate::Lang) -> String {
        let hundred = i128::from(self.num) * 1_000_000;
        let den = i128::from(self.den.max(1));
        if hundred % den == 0 {
            return calls::pct((hundred / den / 100) as i64, lang);
        }
        let whole = i128::from(self.num) * 100 / den;
        let rest = i128::from(self.num) * 100 - whole * den;
        let g = gcd(rest, den);
        let s = format!("{whole} {}/{}", rest / g, den / g);
        match lang {
            crate::Lang::Fr => format!("{s} %"),
            crate::Lang::En => format!("{s}%"),
        }
    }
}

fn gcd(a: i128, b: i128) -> i128 {
    if b == 0 {
        a.abs().max(1)
    } else {
        gcd(b, a % b)
    }
}

/// The rounding rule of every amount the simulator computes: the exact quotient
/// `num / den`, rounded to the nearest cent, halves away from zero. Each line is computed
/// exactly (integer cents times rational rates, in 128 bits) and rounded once; totals are
/// sums of rounded lines, so no cent appears or vanishes between a line and its total.
pub fn round_div(num: i128, den: i128) -> i64 {
    if den == 0 {
        return 0;
    }
    let (num, den) = if den < 0 { (-num, -den) } else { (num, den) };
    let q = num / den;
    let r = num % den;
    let q = if 2 * r.abs() >= den {
        q + num.signum()
    } else {
        q
    };
    i64::try_from(q).unwrap_or(if q > 0 { i64::MAX } else { i64::MIN })
}

/// `cents × Π(num/den)`, rounded once.
fn exact(cents: i64, factors: &[(i64, i64)]) -> i64 {
    let (mut n, mut d) = (i128::from(cents), 1i128);
    for (a, b) in factors {
        n *= i128::from(*a);
        d *= i128::from(*b);
        let g = gcd(n, d);
        n /= g;
        d /= g;
    }
    round_div(n, d)
}

/// A value that holds from a date on, until the next value of the same series.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Dated {
    /// `YYYY-MM-DD`.
    pub from: String,
    pub value: i64,
    /// The exact rate when basis points cannot write it (33⅓ %): used instead of `value`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exact: Option<Ratio>,
    pub source: String,
    pub certainty: String,
}

impl Dated {
    /// The value as a rate: its exact ratio, else its basis points.
    pub fn rate(&self) -> Ratio {
        self.exact.unwrap_or(Ratio::bp(self.value))
    }
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
    /// Wages counted up to this multiple of the monthly minimum wage, per person (bp: 45000 =
    /// 4.5×); absent in the versions before the cap existed.
    #[serde(default)]
    pub wage_cap_minimum_wage_multiple_bp: Option<Figure>,
    /// Relief per establishment a year up to this multiple of the annual social-security
    /// ceiling; absent in the versions before the cap existed.
    #[serde(default)]
    pub establishment_cap_ceiling_multiple_bp: Option<Figure>,
}

/// The young growth company (JEC) status: who qualifies; its advantages are described, not
/// computed, when the sources do not give them.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct JecRules {
    pub max_staff: Figure,
    pub max_turnover_cents: Figure,
    pub max_balance_sheet_cents: Figure,
    pub max_age_years: Figure,
    /// R&D at least this share of the charges …
    pub min_rd_share: Figure,
    /// … and below this one.
    pub max_rd_share: Figure,
    pub advantages_fr: String,
    pub advantages_en: String,
}

/// The research tax credit (CIR): `rate` of the yearly base up to `band_cents`, `rate_above`
/// beyond; the base is the R&D staff costs, plus `operating_flat_rate` of them for operating
/// costs, plus the other eligible R&D spending.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CirRules {
    pub rate: Figure,
    pub band_cents: Figure,
    pub rate_above: Figure,
    pub operating_flat_rate: Figure,
    #[serde(default)]
    pub note_fr: String,
    #[serde(default)]
    pub note_en: String,
}

/// The innovation tax credit (CII): `rate` of the innovation spending, at most
/// `max_base_cents` of it a year.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CiiRules {
    pub rate: Figure,
    pub max_base_cents: Figure,
    pub sme_only: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SchemeRules {
    RdZone(RdZoneRules),
    PoleSocial(PoleSocialRules),
    Jei(Box<JeiRules>),
    Jec(Box<JecRules>),
    Cir(Box<CirRules>),
    Cii(CiiRules),
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

/// When a project validated on a given date can count on a call whose own dates are not
/// known (historical calls grouped by year), with the source of that period.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CallPeriod {
    /// The call's slug.
    pub call: String,
    /// `YYYY-MM-DD`, inclusive.
    pub from: String,
    pub to: String,
    pub source: String,
    pub certainty: String,
}

/// All relief rules: versioned schemes, caps and the reference values.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReliefRules {
    pub id: String,
    pub version: i64,
    pub schemes: Vec<Scheme>,
    pub caps: Vec<Cap>,
    pub reference: ReferenceValues,
    /// Periods of the calls that have no dates of their own (from version 2).
    #[serde(default)]
    pub call_periods: Vec<CallPeriod>,
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
        // Two versions of one scheme never overlap: a date picks one version.
        for (i, a) in self.schemes.iter().enumerate() {
            for b in self.schemes.iter().skip(i + 1).filter(|b| b.code == a.code) {
                let a_to = a.valid_to.as_deref().unwrap_or("9999-12-31");
                let b_to = b.valid_to.as_deref().unwrap_or("9999-12-31");
                if a.valid_from.as_str() <= b_to && b.valid_from.as_str() <= a_to {
                    return Err(format!("scheme {}: versions overlap", a.code));
                }
            }
        }
        for p in &self.call_periods {
            if parse_date(&p.from).is_none() || parse_date(&p.to).is_none() || p.from > p.to {
                return Err(format!("call period {}: bad dates", p.call));
            }
        }
        for d in &self.reference.profit_tax_rate_bp {
            if d.exact.is_some_and(|r| r.den <= 0) {
                return Err(format!("profit tax rate from {}: bad ratio", d.from));
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
    /// R&D staff costs for the research tax credit (gross wages plus employer contributions);
    /// when absent, the wages plus the contributions (given or estimated).
    #[serde(default)]
    pub rd_staff_costs_cents: Option<i64>,
    /// Other eligible R&D spending a year (subcontracting, depreciation …), counted in the
    /// research tax credit's base as it is.
    #[serde(default)]
    pub other_rd_spending_cents: i64,
    /// Innovation spending a year (prototypes, pilot lines of new products), the base of the
    /// innovation tax credit (SMEs only).
    #[serde(default)]
    pub innovation_spending_cents: i64,
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
                "rd_staff_costs_cents",
                self.rd_staff_costs_cents.unwrap_or(0),
            ),
            ("other_rd_spending_cents", self.other_rd_spending_cents),
            ("innovation_spending_cents", self.innovation_spending_cents),
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
    /// Everything counted: `confirmed_cents + unconfirmed_cents`.
    pub total_cents: i64,
    /// What rests only on figures a public source confirms (certainty C): the low end of the range.
    /// A scheme's amount of a year is confirmed when every counted line of it is.
    pub confirmed_cents: i64,
    /// What rests on at least one figure stated by the press kit alone (certainty K) or unconfirmed (certainty U).
    pub unconfirmed_cents: i64,
    /// The result in one sentence: confirmed amount, range, or why nothing applies.
    pub headline: Text,
    pub assumptions: Vec<Text>,
}

/// Whether a call can be chosen for a project of a given date, and why not.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CallStatus {
    pub call: String,
    pub name_fr: String,
    pub name_en: String,
    /// `open`, `closed` (its period ended before the date), `not_yet` (it opens later) or
    /// `unknown` (no dates known).
    pub status: String,
    /// The period the decision used, `YYYY-MM-DD` (absent when unknown).
    pub from: Option<String>,
    pub to: Option<String>,
    pub explanation_fr: String,
    pub explanation_en: String,
    pub source: String,
    pub certainty: String,
}

/// Whether `call` takes a project validated on `date`: open from its opening to its filing
/// deadline; a call without dates uses the period the rules give it.
pub fn call_status(rules: &ReliefRules, call: &crate::model::Call, date: &str) -> CallStatus {
    let given = rules.call_periods.iter().find(|p| p.call == call.slug);
    let (from, to, source, certainty) = match (&call.opens_on, &call.deadline, given) {
        (Some(o), Some(d), _) => (
            Some(o.to_string()),
            Some(d.to_string()),
            call.source.clone(),
            "C".to_string(),
        ),
        (o, d, Some(p)) => (
            Some(o.map(|x| x.to_string()).unwrap_or_else(|| p.from.clone())),
            Some(d.map(|x| x.to_string()).unwrap_or_else(|| p.to.clone())),
            p.source.clone(),
            p.certainty.clone(),
        ),
        (o, d, None) => (
            o.map(|x| x.to_string()),
            d.map(|x| x.to_string()),
            call.source.clone(),
            "U".to_string(),
        ),
    };
    let (status, fr, en) = match (&from, &to) {
        (_, Some(t)) if date > t.as_str() => (
            "closed",
            format!("Clos le {t} : un projet du {date} ne peut plus y prétendre."),
            format!("Closed on {t}: a project of {date} can no longer apply."),
        ),
        (Some(f), _) if date < f.as_str() => (
            "not_yet",
            format!("Ouvre le {f}."),
            format!("Opens on {f}."),
        ),
        (Some(f), Some(t)) => (
            "open",
            format!("Ouvert du {f} au {t}."),
            format!("Open from {f} to {t}."),
        ),
        _ => (
            "unknown",
            "Dates inconnues : l'appel ne peut pas être proposé.".to_string(),
            "Dates unknown: the call cannot be offered.".to_string(),
        ),
    };
    CallStatus {
        call: call.slug.clone(),
        name_fr: call.name_fr.clone(),
        name_en: call.name_en.clone(),
        status: status.into(),
        from,
        to,
        explanation_fr: fr,
        explanation_en: en,
        source: public_source(&source),
        certainty,
    }
}

/// A source as a visitor reads it: the references to the project's internal notes that older
/// rule sets carry become the public sources they summarise.
pub fn public_source(s: &str) -> String {
    let mut out = s.to_string();
    while let Some(i) = out.find("programme-rules.md") {
        let mut j = i + "programme-rules.md".len();
        let rest = &out[j..];
        // Drop " §3", " §2-3" and a following ":" if any; what follows it is the source's own
        // words, digits included ("§3: 2005-06 companies 30%" keeps "2005-06").
        let after_mark = rest
            .trim_start()
            .strip_prefix('§')
            .map(|r| r.trim_start_matches(|c: char| c.is_ascii_digit() || c == '-' || c == '.'));
        let after = match after_mark {
            Some(r) => r.strip_prefix(':').unwrap_or(r).trim_start(),
            None => rest.strip_prefix(':').unwrap_or(rest).trim_start(),
        };
        j += rest.len() - after.len();
        let tail = out[j..].to_string();
        let sep = if tail.is_empty() || tail.starts_with([';', ',', ')']) {
            ""
        } else {
            ": "
        };
        out = format!(
            "{}public sources on the pôles programme{sep}{tail}",
            &out[..i]
        );
    }
    out
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
    exact(amount, &[(bp, 10_000)])
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
                if start < s.valid_from.as_str() {
                    statuses.push(status(
                        s,
                        "not_yet",
                        format!(
                            "Pas encore en vigueur pour un projet de cette date (à partir du {}).",
                            s.valid_from
                        ),
                        format!(
                            "Not yet in force for a project of that date (from {}).",
                            s.valid_from
                        ),
                    ));
                    return None;
                }
                let (fr, en) = {
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
                .map(|r| public_source(&format!("{}; {}", r.source, share.source)))
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
pub fn simulate(rules: &ReliefRules, p: &Profile, call: Option<&crate::model::Call>) -> Simulation {
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
        Text {
            fr: "Chaque ligne est calculée exactement (centimes entiers multipliés par des taux rationnels, 33 1/3 % compris) puis arrondie une seule fois au centime le plus proche, les demis s'éloignant de zéro ; les totaux sont les sommes des lignes arrondies.".into(),
            en: "Each line is computed exactly (whole cents times rational rates, 33 1/3% included) and rounded once to the nearest cent, halves away from zero; totals are the sums of the rounded lines.".into(),
        },
    ];
    let mut years: Vec<Year> = (0..n)
        .map(|k| Year {
            year: y0 + k,
            lines: vec![],
            total_cents: 0,
        })
        .collect();

    // A call takes only projects of its own period: a project of 2026 gets no 2018 grant.
    let call = call.and_then(|c| {
        let st = call_status(rules, c, &p.start);
        let open = st.status == "open";
        statuses.push(SchemeStatus {
            scheme: format!("call:{}", c.slug),
            name_fr: c.name_fr.clone(),
            name_en: c.name_en.clone(),
            status: if open { "open" } else { "closed" }.into(),
            explanation_fr: if open {
                st.explanation_fr
            } else {
                format!("{} Aucune subvention comptée.", st.explanation_fr)
            },
            explanation_en: if open {
                st.explanation_en
            } else {
                format!("{} No grant counted.", st.explanation_en)
            },
            source: st.source,
            certainty: st.certainty,
        });
        open.then_some((&c.rule_set, c.name_fr.as_str(), c.name_en.as_str()))
    });
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

    // Young growth company: a status whose conditions are data; its advantages are computed
    // only when the rules give them.
    if let Some(s) = entry(rules, "jec", &p.start, &mut statuses) {
        if let SchemeRules::Jec(j) = &s.rules {
            let mut fails = young_company_requirements(
                p,
                fy,
                (
                    &j.max_staff,
                    &j.max_turnover_cents,
                    &j.max_balance_sheet_cents,
                ),
                &j.max_age_years,
            );
            if p.rd_share_bp < j.min_rd_share.value || p.rd_share_bp >= j.max_rd_share.value {
                fails.push(Requirement {
                    fr: format!(
                        "une R&D d'au moins {} et de moins de {} des charges (celle-ci : {})",
                        calls::pct(j.min_rd_share.value, crate::Lang::Fr),
                        calls::pct(j.max_rd_share.value, crate::Lang::Fr),
                        calls::pct(p.rd_share_bp, crate::Lang::Fr)
                    ),
                    en: format!(
                        "R&D of at least {} and below {} of charges (this one: {})",
                        calls::pct(j.min_rd_share.value, crate::Lang::En),
                        calls::pct(j.max_rd_share.value, crate::Lang::En),
                        calls::pct(p.rd_share_bp, crate::Lang::En)
                    ),
                });
            }
            statuses.push(if fails.is_empty() {
                status(
                    s,
                    "open",
                    format!(
                        "L'entreprise remplit les conditions du statut. {}",
                        j.advantages_fr
                    ),
                    format!(
                        "The company meets the status's conditions. {}",
                        j.advantages_en
                    ),
                )
            } else {
                not_for(s, &fails)
            });
        }
    }
    if p.rd_share_bp > 3000 && p.start.as_str() >= "2025-03-01" {
        assumptions.push(Text {
            fr: "[U] Avec une R&D de plus de 30 % des charges, un statut de recherche renforcé existe depuis 2025 ; ses avantages ne sont pas dans les sources du simulateur et ne sont pas calculés.".into(),
            en: "[U] With R&D above 30% of charges, a stronger research status exists since 2025; its advantages are not in the simulator's sources and are not computed.".into(),
        });
    }

    // Today's tax credits, year by year: one year can need two calculations when the rules
    // changed during it (the CIR on 15 Feb 2025).
    tax_credits(rules, p, &mut years, &mut statuses, &mut assumptions);

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
    let (confirmed_cents, unconfirmed_cents) = split_by_certainty(&years);
    let total_cents = confirmed_cents + unconfirmed_cents;
    let headline = headline(&p.start, &years, confirmed_cents, total_cents);
    Simulation {
        start: p.start.clone(),
        rules: format!("{} v{}", rules.id, rules.version),
        schemes: statuses,
        total_cents,
        confirmed_cents,
        unconfirmed_cents,
        headline,
        years,
        assumptions,
    }
}

/// (confirmed, unconfirmed): a scheme's counted amount of a year is confirmed when every
/// counted line of it is confirmed (C); otherwise the whole of it is unconfirmed (a cap confirmed by a
/// source does not confirm the unconfirmed rate it cuts).
fn split_by_certainty(years: &[Year]) -> (i64, i64) {
    let (mut c, mut u) = (0, 0);
    for y in years {
        let mut by_scheme: Vec<(&str, i64, bool)> = Vec::new();
        for l in y.lines.iter().filter(|l| l.counted) {
            match by_scheme.iter_mut().find(|(s, _, _)| *s == l.scheme) {
                Some(e) => {
                    e.1 += l.cents;
                    e.2 &= l.certainty == "C";
                }
                None => by_scheme.push((&l.scheme, l.cents, l.certainty == "C")),
            }
        }
        for (_, cents, sure) in by_scheme {
            if sure {
                c += cents;
            } else {
                u += cents;
            }
        }
    }
    (c, u)
}

fn headline(start: &str, years: &[Year], confirmed: i64, total: i64) -> Text {
    let paying: Vec<i64> = years
        .iter()
        .filter(|y| y.total_cents != 0)
        .map(|y| y.year)
        .collect();
    let (Some(first), Some(last)) = (paying.first(), paying.last()) else {
        return Text {
            fr: format!("Aucun montant pour un projet du {start} : aucun des dispositifs ci-dessous ne s'applique à cette entreprise à cette date ; chacun dit pourquoi."),
            en: format!("No amount for a project of {start}: none of the schemes below applies to this company at that date; each says why."),
        };
    };
    let (span_fr, span_en) = if first == last {
        (format!("en {first}"), format!("in {first}"))
    } else {
        (
            format!("sur {first}-{last}"),
            format!("over {first}-{last}"),
        )
    };
    if confirmed == total {
        Text {
            fr: format!(
                "{} {span_fr}, sur des chiffres tous confirmés par une source publique.",
                eur_fr(total)
            ),
            en: format!(
                "{} {span_en}, all on figures confirmed by a public source.",
                eur(total)
            ),
        }
    } else if confirmed == 0 {
        Text {
            fr: format!("Jusqu'à {} {span_fr}, qui reposent sur des chiffres non confirmés par une source publique (marqués K ou U) : rien de confirmé.", eur_fr(total)),
            en: format!("Up to {} {span_en}, resting on figures no public source confirms (marked K or U): nothing confirmed.", eur(total)),
        }
    } else {
        Text {
            fr: format!("{} confirmés {span_fr} ; jusqu'à {} avec les {} qui reposent sur des chiffres non confirmés (marqués K ou U).", eur_fr(confirmed), eur_fr(total), eur_fr(total - confirmed)),
            en: format!("{} confirmed {span_en}; up to {} with the {} that rest on unconfirmed figures (marked K or U).", eur(confirmed), eur(total), eur(total - confirmed)),
        }
    }
}

/// A condition of a status the company does not meet, worded as what is required, with the
/// company's own figure.
struct Requirement {
    fr: String,
    en: String,
}

fn not_for(s: &Scheme, fails: &[Requirement]) -> SchemeStatus {
    status(
        s,
        "not_eligible",
        format!(
            "Pas pour cette entreprise : le statut demande {}.",
            fails
                .iter()
                .map(|f| f.fr.as_str())
                .collect::<Vec<_>>()
                .join(" ; ")
        ),
        format!(
            "Not for this company: the status requires {}.",
            fails
                .iter()
                .map(|f| f.en.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        ),
    )
}

/// Full years of existence on the project's date.
fn age_on(p: &Profile, founded_year: i64) -> i64 {
    let (sy, sm, sd) = parse_date(&p.start).unwrap_or((founded_year, 1, 1));
    let (_, fm, fd) = parse_date(&p.founded_on).unwrap_or((founded_year, 1, 1));
    sy - founded_year - i64::from((sm, sd) < (fm, fd))
}

/// The conditions the JEI and the JEC share (size, turnover or balance sheet, age,
/// independence), those not met.
fn young_company_requirements(
    p: &Profile,
    founded_year: i64,
    (staff, turnover, balance): (&Figure, &Figure, &Figure),
    max_age: &Figure,
) -> Vec<Requirement> {
    let mut fails = Vec::new();
    if p.size != Size::Sme || p.staff >= staff.value {
        let (fr, en) = if p.size != Size::Sme {
            (
                "celle-ci ne se déclare pas PME".to_string(),
                "this one is not declared an SME".to_string(),
            )
        } else {
            (
                format!("celle-ci : {}", p.staff),
                format!("this one: {}", p.staff),
            )
        };
        fails.push(Requirement {
            fr: format!("une PME de moins de {} salariés ({fr})", staff.value),
            en: format!("an SME with fewer than {} staff ({en})", staff.value),
        });
    }
    if p.turnover_cents >= turnover.value && p.balance_sheet_cents >= balance.value {
        fails.push(Requirement {
            fr: format!(
                "un chiffre d'affaires de moins de {} ou un bilan de moins de {}",
                eur_fr(turnover.value),
                eur_fr(balance.value)
            ),
            en: format!(
                "a turnover below {} or a balance sheet below {}",
                eur(turnover.value),
                eur(balance.value)
            ),
        });
    }
    let age = age_on(p, founded_year);
    if age >= max_age.value {
        fails.push(Requirement {
            fr: format!(
                "une création il y a moins de {} ans à la date du projet (celle-ci : {age} ans)",
                max_age.value
            ),
            en: format!(
                "a company founded less than {} years before the project's date (this one: {age} years)",
                max_age.value
            ),
        });
    }
    if !p.independent {
        fails.push(Requirement {
            fr: "une entreprise indépendante de tout groupe".into(),
            en: "a company independent of any group".into(),
        });
    }
    fails
}

/// Day number of a date (days since 1970-01-01, proleptic Gregorian).
fn day_number(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn day_of(date: &str) -> Option<i64> {
    parse_date(date).map(|(y, m, d)| day_number(y, m, d))
}

/// The versions of `code` in force during `year`, each with the first and last day it covers
/// and that span in days, and the year's length in days.
fn versions_in_year<'r>(
    rules: &'r ReliefRules,
    code: &str,
    year: i64,
) -> Vec<(&'r Scheme, String, String, i64, i64)> {
    let ys = day_number(year, 1, 1);
    let ye = day_number(year, 12, 31);
    let mut out: Vec<(&Scheme, String, String, i64, i64)> = rules
        .schemes
        .iter()
        .filter(|s| s.code == code)
        .filter_map(|s| {
            let from = day_of(&s.valid_from)?.max(ys);
            let to = s.valid_to.as_deref().and_then(day_of).unwrap_or(ye).min(ye);
            (from <= to).then(|| {
                let f = if from == ys {
                    format!("{year}-01-01")
                } else {
                    s.valid_from.clone()
                };
                let t = if to == ye {
                    format!("{year}-12-31")
                } else {
                    s.valid_to.clone().unwrap_or_default()
                };
                (s, f, t, to - from + 1, ye - ys + 1)
            })
        })
        .collect();
    out.sort_by(|a, b| a.1.cmp(&b.1));
    out
}

/// "(15 Feb-31 Dec 2025, 320/365 of the year)" when a version covers part of a year.
fn slice_note(from: &str, to: &str, days: i64, year_days: i64) -> (String, String) {
    if days == year_days {
        return (String::new(), String::new());
    }
    (
        format!(" (du {from} au {to} : {days}/{year_days} de l'année)"),
        format!(" ({from} to {to}: {days}/{year_days} of the year)"),
    )
}

/// The research and innovation tax credits, year by year, on the yearly spending given.
fn tax_credits(
    rules: &ReliefRules,
    p: &Profile,
    years: &mut [Year],
    statuses: &mut Vec<SchemeStatus>,
    assumptions: &mut Vec<Text>,
) {
    let Some(first_year) = years.first().map(|y| y.year) else {
        return;
    };
    let last_year = years.last().map(|y| y.year).unwrap_or(first_year);
    let mut any_credit = false;
    for code in ["cir", "cii"] {
        let Some(latest) = rules.latest(code) else {
            continue;
        };
        let earliest = rules
            .schemes
            .iter()
            .filter(|s| s.code == code)
            .min_by(|a, b| a.valid_from.cmp(&b.valid_from))
            .unwrap_or(latest);
        let covered: Vec<i64> = (first_year..=last_year)
            .filter(|y| !versions_in_year(rules, code, *y).is_empty())
            .collect();
        if covered.is_empty() {
            let before = format!("{last_year}-12-31") < earliest.valid_from;
            statuses.push(if before {
                status(
                    earliest,
                    "not_modelled",
                    format!("Le simulateur modélise ce crédit d'impôt à partir du {} ; ses règles antérieures ne sont pas dans ses sources, aucun montant n'est calculé pour ces années.", earliest.valid_from),
                    format!("The simulator models this tax credit from {} on; its earlier rules are not in its sources, so no amount is computed for these years.", earliest.valid_from),
                )
            } else {
                let end = latest.valid_to.clone().unwrap_or_default();
                status(
                    latest,
                    "closed",
                    format!("Prend fin le {end}."),
                    format!("Ends on {end}."),
                )
            });
            continue;
        }
        if code == "cii" && p.size != Size::Sme {
            statuses.push(not_for(
                latest,
                &[Requirement {
                    fr: "une PME (celle-ci ne se déclare pas PME)".into(),
                    en: "an SME (this one is not declared an SME)".into(),
                }],
            ));
            continue;
        }
        let spending = match code {
            "cir" => {
                staff_costs(rules, p, &format!("{first_year}-12-31")).0 + p.other_rd_spending_cents
            }
            _ => p.innovation_spending_cents,
        };
        if spending == 0 {
            statuses.push(not_for(
                latest,
                &[Requirement {
                    fr: if code == "cir" {
                        "des dépenses de recherche (frais de personnel de R&D ou autres dépenses de R&D : aucune indiquée)".into()
                    } else {
                        "des dépenses d'innovation (aucune indiquée)".into()
                    },
                    en: if code == "cir" {
                        "R&D spending (R&D staff costs or other R&D spending: none given)".into()
                    } else {
                        "innovation spending (none given)".into()
                    },
                }],
            ));
            continue;
        }
        let partly = covered.len() < years.len();
        statuses.push(status(
            latest,
            "open",
            if partly {
                format!("Calculé pour {}-{} ; hors de ces années, ce crédit n'est pas modélisé ou n'est plus en vigueur.", covered[0], covered[covered.len() - 1])
            } else {
                "Calculé chaque année sur les dépenses indiquées, selon les règles en vigueur quand elles sont engagées.".into()
            },
            if partly {
                format!("Computed for {}-{}; outside those years this credit is not modelled or no longer in force.", covered[0], covered[covered.len() - 1])
            } else {
                "Computed each year on the spending given, by the rules in force when it is incurred.".into()
            },
        ));
        any_credit = true;
        for y in years.iter_mut() {
            for (s, from, to, days, year_days) in versions_in_year(rules, code, y.year) {
                let line = match &s.rules {
                    SchemeRules::Cir(c) => {
                        cir_line(rules, s, c, p, y.year, (&from, &to, days, year_days))
                    }
                    SchemeRules::Cii(c) => cii_line(s, c, p, (&from, &to, days, year_days)),
                    _ => None,
                };
                y.lines.extend(line);
            }
        }
    }
    if any_credit {
        assumptions.push(Text {
            fr: "Les crédits d'impôt sont calculés sur les dépenses annuelles indiquées, les mêmes chaque année. [U] La loi déduit de leur base les subventions publiques reçues pour ces dépenses ; le simulateur ne les déduit pas (règle absente de ses sources) : avec une subvention, le crédit est surestimé.".into(),
            en: "The tax credits are computed on the yearly spending given, the same every year. [U] The law deducts from their base the public grants received for that spending; the simulator does not (the rule is not in its sources): with a grant, the credit is overstated.".into(),
        });
    }
}

/// R&D staff costs for the research tax credit: the company's figure, else wages plus
/// contributions (given or estimated); `true` when estimated.
fn staff_costs(rules: &ReliefRules, p: &Profile, date: &str) -> (i64, bool) {
    match p.rd_staff_costs_cents {
        Some(c) => (c, false),
        None => {
            let (c, est) = contributions(rules, p, date);
            (p.rd_wages_cents + c, est.is_some())
        }
    }
}

fn cir_line(
    rules: &ReliefRules,
    s: &Scheme,
    c: &CirRules,
    p: &Profile,
    year: i64,
    (from, to, days, year_days): (&str, &str, i64, i64),
) -> Option<Line> {
    let (staff, estimated) = staff_costs(rules, p, &format!("{year}-12-31"));
    let flat = c.operating_flat_rate.value;
    // Over the common denominator 10,000 × days of the year (integers of 128 bits):
    let base_n = (i128::from(staff) * i128::from(10_000 + flat)
        + i128::from(p.other_rd_spending_cents) * 10_000)
        * i128::from(days);
    let band_n = i128::from(c.band_cents.value) * 10_000 * i128::from(days);
    let low = base_n.min(band_n);
    let high = base_n - low;
    let den = 10_000 * i128::from(year_days);
    let cents = round_div(
        low * i128::from(c.rate.value) + high * i128::from(c.rate_above.value),
        den * 10_000,
    );
    if cents == 0 {
        return None;
    }
    let base = round_div(base_n, den);
    let operating = mul_bp(staff, flat);
    let (nfr, nen) = slice_note(from, to, days, year_days);
    let above = high > 0;
    let mut certainty = worst(
        &worst(&s.certainty, &c.rate.certainty),
        &c.operating_flat_rate.certainty,
    );
    if above {
        certainty = worst(&certainty, &c.rate_above.certainty);
    }
    let (est_fr, est_en) = if estimated {
        (", cotisations estimées", ", contributions estimated")
    } else {
        ("", "")
    };
    Some(Line {
        scheme: s.code.clone(),
        item: "tax_credit".into(),
        counted: true,
        cents,
        rule_fr: format!(
            "CIR{nfr} : frais de personnel de R&D {}{est_fr} + forfait de fonctionnement {} ({}) + autres dépenses {} = base {} ; crédit {}{}",
            eur_fr(staff),
            calls::pct(flat, crate::Lang::Fr),
            eur_fr(operating),
            eur_fr(p.other_rd_spending_cents),
            eur_fr(base),
            calls::pct(c.rate.value, crate::Lang::Fr),
            if above { format!(" jusqu'à {}, {} au-delà", eur_fr(c.band_cents.value), calls::pct(c.rate_above.value, crate::Lang::Fr)) } else { String::new() },
        ) + &if c.note_fr.is_empty() { String::new() } else { format!(". {}", c.note_fr) },
        rule_en: format!(
            "CIR{nen}: R&D staff costs {}{est_en} + operating costs at a flat {} ({}) + other R&D spending {} = base {}; credit {}{}",
            eur(staff),
            calls::pct(flat, crate::Lang::En),
            eur(operating),
            eur(p.other_rd_spending_cents),
            eur(base),
            calls::pct(c.rate.value, crate::Lang::En),
            if above { format!(" up to {}, {} beyond", eur(c.band_cents.value), calls::pct(c.rate_above.value, crate::Lang::En)) } else { String::new() },
        ) + &if c.note_en.is_empty() { String::new() } else { format!(". {}", c.note_en) },
        source: format!("{}; {}; {}", s.source, c.rate.source, c.operating_flat_rate.source),
        certainty,
    })
}

fn cii_line(
    s: &Scheme,
    c: &CiiRules,
    p: &Profile,
    (from, to, days, year_days): (&str, &str, i64, i64),
) -> Option<Line> {
    let spent = p.innovation_spending_cents.min(c.max_base_cents.value);
    let cents = exact(spent, &[(c.rate.value, 10_000), (days, year_days)]);
    if cents == 0 {
        return None;
    }
    let (nfr, nen) = slice_note(from, to, days, year_days);
    Some(Line {
        scheme: s.code.clone(),
        item: "tax_credit".into(),
        counted: true,
        cents,
        rule_fr: format!(
            "CII{nfr} : {} × dépenses d'innovation {} (au plus {} par an)",
            calls::pct(c.rate.value, crate::Lang::Fr),
            eur_fr(spent),
            eur_fr(c.max_base_cents.value)
        ),
        rule_en: format!(
            "CII{nen}: {} × innovation spending {} (at most {} a year)",
            calls::pct(c.rate.value, crate::Lang::En),
            eur(spent),
            eur(c.max_base_cents.value)
        ),
        source: format!(
            "{}; {}; {}",
            s.source, c.rate.source, c.max_base_cents.source
        ),
        certainty: worst(
            &worst(&s.certainty, &c.rate.certainty),
            &c.max_base_cents.certainty,
        ),
    })
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
                    let r = rate.rate();
                    let tax = r.of(profit);
                    lines.push(Line {
                        scheme: s.code.clone(),
                        item: "profit_tax".into(),
                        counted: true,
                        cents: exact(profit, &[(r.num, r.den), (ph.rate_bp, 10_000)]),
                        rule_fr: format!(
                            "Année bénéficiaire n° {profitable} : {} × IS {} = {} d'impôt, exonéré à {}",
                            eur_fr(profit),
                            r.pct(crate::Lang::Fr),
                            eur_fr(tax),
                            calls::pct(ph.rate_bp, crate::Lang::Fr)
                        ),
                        rule_en: format!(
                            "Profitable year {profitable}: {} × profit tax {} = {} of tax, {} exempt",
                            eur(profit),
                            r.pct(crate::Lang::En),
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
    let (sy, _, _) = parse_date(&p.start).unwrap_or((founded_year, 1, 1));
    let mut fails = young_company_requirements(
        p,
        founded_year,
        (
            &j.max_staff,
            &j.max_turnover_cents,
            &j.max_balance_sheet_cents,
        ),
        &j.max_age_years,
    );
    if p.rd_share_bp < j.min_rd_share.value {
        fails.push(Requirement {
            fr: format!(
                "une R&D d'au moins {} des charges (celle-ci : {})",
                calls::pct(j.min_rd_share.value, crate::Lang::Fr),
                calls::pct(p.rd_share_bp, crate::Lang::Fr)
            ),
            en: format!(
                "R&D of at least {} of charges (this one: {})",
                calls::pct(j.min_rd_share.value, crate::Lang::En),
                calls::pct(p.rd_share_bp, crate::Lang::En)
            ),
        });
    }
    if !fails.is_empty() {
        statuses.push(not_for(s, &fails));
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
        // The status is assessed every year, against the version in force that year, whose
        // caps apply (none before they existed).
        let (v, vs) = match rules.scheme_on("jei", &date) {
            Some(
                vs @ Scheme {
                    rules: SchemeRules::Jei(v),
                    ..
                },
            ) => (v.as_ref(), vs),
            _ => (j, s),
        };
        if p.rd_share_bp < v.min_rd_share.value {
            dropped.get_or_insert((date.clone(), v.min_rd_share.value));
            continue;
        }
        // Months of this year the relief covers (the start year counts from the start month).
        let m = months_in_year(&p.start, (last - sy + 1) * 12, y.year);
        if m == 0 {
            continue;
        }
        let (c, _) = contributions(rules, p, &date);
        let wages_period_n = i128::from(p.rd_wages_cents) * i128::from(m); // × 1/12
                                                                           // Wages count up to the cap per person and month (staff assumed paid alike), kept
                                                                           // exact: counted/wages is a ratio of rationals, rounded once with the line.
        let mut sources = vec![vs.source.clone()];
        let mut certainty = vs.certainty.clone();
        let (mut rule_fr, mut rule_en) = (
            format!("Cotisations patronales de R&D ({}) sur {m} mois", eur_fr(c)),
            format!("R&D employer contributions ({}) over {m} months", eur(c)),
        );
        // relief = c × m/12 × min(1, cap × staff × m / (wages × m/12)), exactly.
        let mut num = i128::from(c) * i128::from(m);
        let mut den = 12i128;
        if let Some(wm) = &v.wage_cap_minimum_wage_multiple_bp {
            if let Some(smic) = value_at(&rules.reference.minimum_wage_monthly_cents, &date) {
                // cap × staff × m, over 10,000; wages × m over 12: compare cross-multiplied.
                let cap_n = i128::from(smic.value)
                    * i128::from(wm.value)
                    * i128::from(p.rd_staff)
                    * i128::from(m)
                    * 12;
                let wages_n = wages_period_n * 10_000;
                if wages_n > 0 && cap_n < wages_n {
                    num *= cap_n;
                    den *= wages_n;
                }
                rule_fr += &format!(
                    ", salaires retenus jusqu'à {} × SMIC ({} / mois)",
                    times(wm.value, crate::Lang::Fr),
                    eur_fr(mul_bp(smic.value, wm.value))
                );
                rule_en += &format!(
                    ", wages counted up to {} × minimum wage ({} a month)",
                    times(wm.value, crate::Lang::En),
                    eur(mul_bp(smic.value, wm.value))
                );
                sources.extend([wm.source.clone(), smic.source.clone()]);
                certainty = worst(&worst(&certainty, &wm.certainty), &smic.certainty);
            }
        }
        let mut cents = round_div(num, den);
        if let Some(em) = &v.establishment_cap_ceiling_multiple_bp {
            if let Some(pass) = value_at(&rules.reference.social_security_ceiling_cents, &date) {
                let est_cap = mul_bp(pass.value, em.value);
                cents = cents.min(est_cap);
                rule_fr += &format!(
                    ", plafond {} × PASS = {}",
                    times(em.value, crate::Lang::Fr),
                    eur_fr(est_cap)
                );
                rule_en += &format!(
                    ", cap {} × ceiling = {}",
                    times(em.value, crate::Lang::En),
                    eur(est_cap)
                );
                sources.extend([em.source.clone(), pass.source.clone()]);
                certainty = worst(&worst(&certainty, &em.certainty), &pass.certainty);
            }
        }
        if v.wage_cap_minimum_wage_multiple_bp.is_none()
            && v.establishment_cap_ceiling_multiple_bp.is_none()
        {
            rule_fr += ", sans plafond à cette date";
            rule_en += ", no cap at that date";
        }
        sources.dedup();
        y.lines.push(Line {
            scheme: s.code.clone(),
            item: "social".into(),
            counted: true,
            cents,
            rule_fr,
            rule_en,
            source: sources.join("; "),
            certainty,
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

    /// Version 1 of the rules, as shipped first (kept: a shipped version is never edited).
    fn rules() -> ReliefRules {
        let r: ReliefRules =
            serde_json::from_str(include_str!("../../../data/relief/rules.json")).unwrap();
        r.validate().unwrap();
        r
    }

    /// Version 2: JEI caps dated, exact 33 1/3 %, today's tax credits, call periods.
    fn v2() -> ReliefRules {
        let r: ReliefRules =
            serde_json::from_str(include_str!("../../../data/relief/rules-v2.json")).unwrap();
        r.validate().unwrap();
        assert_eq!(r.version, 2);
        // Sources are worded for a visitor: no internal file is named.
        let body = include_str!("../../../data/relief/rules-v2.json");
        assert!(!body.contains(".md") && !body.contains("NOTES"));
        r
    }

    fn fui_2007() -> RuleSet {
        serde_json::from_str(include_str!("../../../data/calls/rulesets/fui-2007.json")).unwrap()
    }

    fn call(slug: &str, rule_set: RuleSet) -> crate::model::Call {
        crate::model::Call {
            slug: slug.into(),
            name_fr: slug.into(),
            name_en: slug.into(),
            programme: "FUI".into(),
            opens_on: None,
            deadline: None,
            decision_on: None,
            rule_set,
            rule_set_frozen: false,
            funders: vec![],
            criteria: vec![],
            source: "programme-rules.md §3".into(),
            fictional: false,
        }
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
            rd_staff_costs_cents: None,
            other_rd_spending_cents: 0,
            innovation_spending_cents: 0,
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
        // 5,760.315 exactly), so 2 × 5,760.315 × 12 = 138,247.56 of 240,000 count;
        // contributions 40 % = 96,000 → 96,000 × 138,247.56 / 240,000 = 55,299.024, rounded
        // once: 55,299.02.
        p.rd_staff = 2;
        p.rd_wages_cents = 240_000 * EUR;
        let s = simulate(&rules(), &p, None);
        assert_eq!(item(&s, 2007, "jei", "social"), 5_529_902);
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
        assert!(s.schemes.iter().any(|x| x
            .explanation_en
            .contains("R&D of at least 20% of charges (this one: 18%)")));
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
        let call = call("fui-2007", fui_2007());
        let s = simulate(&v2(), &p, Some(&call));
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
        let s = simulate(&v2(), &p, Some(&call));
        assert_eq!(total(&s, 2007), 300_000 * EUR);
        // The grant line names public sources, never the project's internal notes.
        assert!(s.years[0].lines.iter().all(|l| !l.source.contains(".md")));
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

    /// The 2007 worked case: an SME of 60 staff in Grenoble (in Minalogic's R&D zone),
    /// founded in March 2001, R&D 20 % of charges, €675k of R&D wages, a €1M FUI-2007
    /// project validated on 1 June 2007.
    fn grenoble_2007() -> Profile {
        let mut p = profile("2007-06-01");
        p.staff = 60;
        p.turnover_cents = 6_000_000 * EUR;
        p.balance_sheet_cents = 4_000_000 * EUR;
        p.founded_on = "2001-03-01".into();
        p.rd_share_bp = 2000;
        p.in_rd_zone = true;
        p.rd_staff = 12;
        p.rd_wages_cents = 675_000 * EUR;
        p.project_costs = Costs {
            staff: 1_000_000 * EUR,
            ..Costs::default()
        };
        p.profits_cents = vec![-100_000 * EUR, 250_000 * EUR, 400_000 * EUR];
        p.flat_tax_cents = 3_750 * EUR;
        p.local_taxes_cents = 25_000 * EUR;
        p.local_exemption_voted = true;
        p.years = Some(8);
        p
    }

    fn fui_25() -> RuleSet {
        serde_json::from_str(include_str!(
            "../../../data/calls/rulesets/fui-25-2018.json"
        ))
        .unwrap()
    }

    fn line<'a>(s: &'a Simulation, year: i64, scheme: &str) -> Vec<&'a Line> {
        s.years
            .iter()
            .filter(|y| y.year == year)
            .flat_map(|y| y.lines.iter())
            .filter(|l| l.scheme == scheme)
            .collect()
    }

    #[test]
    fn the_2007_grenoble_case_checked_by_hand() {
        let c = call("fui-2007", fui_2007());
        // Version 1 of the rules (the first shipped), given the call's period of version 2
        // (version 1 has none, so it could not tell whether the call was open).
        let mut r1 = rules();
        r1.call_periods = v2().call_periods;
        let s = simulate(&r1, &grenoble_2007(), Some(&c));
        // Grant: an SME in the zone, 45 % × €1,000,000 = 450,000 (State 300,015, region 149,985).
        assert_eq!(
            item(&s, 2007, "call:fui-2007", "grant:state"),
            300_015 * EUR
        );
        // JEI: founded 2001-03, 6 full years on 2007-06-01, relief until 31 Dec 2008;
        // contributions 40 % × 675,000 = 270,000 a year.
        // 2007, June-December: 270,000 × 7/12 = 157,500 (under 5 × PASS 2007 = 160,920).
        assert_eq!(item(&s, 2007, "jei", "social"), 157_500 * EUR);
        // 2008: 270,000, capped by version 1 at 5 × PASS 2008 = 5 × 33,276 = 166,380.
        assert_eq!(item(&s, 2008, "jei", "social"), 166_380 * EUR);
        // R&D zone (33.33 % in version 1): 2007 a loss, flat tax 3,750 + local taxes 25,000;
        // 2008 250,000 × 33.33 % = 83,325 + 28,750 = 112,075; 2009 and 2010 400,000 ×
        // 33.33 % = 133,320 + 28,750 = 162,070 (the €500k de minimis windows hold them);
        // 2011 66,660 + 28,750, but €200k over 2009-2011 is used up: 0; 2012 66,660, of
        // which €200k − 162,070 = 37,930 is left.
        for (y, t) in [
            (2007, 450_000 + 157_500 + 28_750),
            (2008, 112_075 + 166_380),
            (2009, 162_070),
            (2010, 162_070),
            (2011, 0),
            (2012, 37_930),
            (2013, 0),
        ] {
            assert_eq!(total(&s, y), t * EUR, "{y}");
        }
        assert_eq!(s.total_cents, 1_276_775 * EUR);

        // Version 2 of the rules: no JEI caps before the finance law for 2011, so 2008 gets
        // the whole 270,000 (+103,620); the profit tax is exactly 1/3: 83,333.33 and
        // 133,333.33 (2011 is still cut to 0, 2012 keeps €200k − 162,083.33 = 37,916.67).
        let s2 = simulate(&v2(), &grenoble_2007(), Some(&c));
        assert_eq!(item(&s2, 2008, "jei", "social"), 270_000 * EUR);
        assert_eq!(item(&s2, 2008, "rd_zone_tax", "profit_tax"), 8_333_333);
        assert_eq!(total(&s2, 2009), 16_208_333);
        assert_eq!(total(&s2, 2012), 3_791_667);
        // 636,250 + 382,083.33 + 2 × 162,083.33 + 37,916.67 = 1,380,416.66
        assert_eq!(s2.total_cents, 138_041_666);
        // Confirmed: the grant, the JEI and the 2007 zone taxes (28,750); the profit-tax
        // lines rest on the transcribed rate [U].
        assert_eq!(
            s2.confirmed_cents,
            (450_000 + 157_500 + 28_750 + 270_000) * EUR
        );
        assert_eq!(s2.unconfirmed_cents, 138_041_666 - 90_625_000);
        assert!(
            s2.headline
                .en
                .starts_with("€906,250 confirmed over 2007-2012; up to €1,380,416.66"),
            "{}",
            s2.headline.en
        );
        // Today's tax credits are not modelled back then, and say so.
        assert_eq!(status_of(&s2, "cir"), "not_modelled");
        assert_eq!(status_of(&s2, "jec"), "not_yet");
    }

    #[test]
    fn an_sme_of_2026_gets_the_research_tax_credit() {
        let mut p = profile("2026-03-16");
        p.rd_staff_costs_cents = Some(600_000 * EUR);
        p.years = Some(2);
        let s = simulate(&v2(), &p, None);
        assert_eq!(status_of(&s, "cir"), "open");
        // Base 600,000 + 40 % × 600,000 = 840,000; credit 30 % = 252,000, each year.
        assert_eq!(item(&s, 2026, "cir", "tax_credit"), 252_000 * EUR);
        assert_eq!(item(&s, 2027, "cir", "tax_credit"), 252_000 * EUR);
        let l = line(&s, 2026, "cir");
        assert!(
            l[0].rule_en.contains("= base €840,000; credit 30%"),
            "{}",
            l[0].rule_en
        );
        assert!(l[0].source.contains("Finance law 2025-127"));
        assert_eq!(l[0].certainty, "C");
        assert_eq!(s.confirmed_cents, 504_000 * EUR);
        assert_eq!(s.unconfirmed_cents, 0);
        assert_eq!(
            s.headline.en,
            "€504,000 over 2026-2027, all on figures confirmed by a public source."
        );
        // No innovation spending: the CII says what it requires.
        let cii = s.schemes.iter().find(|x| x.scheme == "cii").unwrap();
        assert_eq!(cii.status, "not_eligible");
        assert!(cii.explanation_en.contains("requires innovation spending"));
        // With €500k of innovation spending: 20 % of at most €400k = 80,000.
        p.innovation_spending_cents = 500_000 * EUR;
        let s = simulate(&v2(), &p, None);
        assert_eq!(item(&s, 2026, "cii", "tax_credit"), 80_000 * EUR);
        // A large firm gets the CIR, not the CII.
        p.size = Size::Large;
        let s = simulate(&v2(), &p, None);
        assert_eq!(item(&s, 2026, "cii", "tax_credit"), 0);
        assert_eq!(item(&s, 2026, "cir", "tax_credit"), 252_000 * EUR);
    }

    #[test]
    fn the_cir_of_2025_needs_two_calculations() {
        let mut p = profile("2025-01-01");
        p.rd_staff_costs_cents = Some(600_000 * EUR);
        p.years = Some(1);
        let s = simulate(&v2(), &p, None);
        let l = line(&s, 2025, "cir");
        assert_eq!(l.len(), 2);
        // 1 Jan-14 Feb (45/365): 600,000 × 143 % × 30 % × 45/365 = 31,734.2466 → 31,734.25.
        assert_eq!(l[0].cents, 3_173_425);
        assert!(l[0].rule_en.contains("45/365") && l[0].rule_en.contains("flat 43%"));
        // 15 Feb-31 Dec (320/365): 600,000 × 140 % × 30 % × 320/365 = 220,931.5068 → 220,931.51.
        assert_eq!(l[1].cents, 22_093_151);
        assert!(l[1].rule_en.contains("young-doctor bonus"));
        // The CII: 30 % until 2024, 20 % from 2025.
        let mut p = profile("2024-01-01");
        p.innovation_spending_cents = 100_000 * EUR;
        p.years = Some(2);
        let s = simulate(&v2(), &p, None);
        assert_eq!(item(&s, 2024, "cii", "tax_credit"), 30_000 * EUR);
        assert_eq!(item(&s, 2025, "cii", "tax_credit"), 20_000 * EUR);
        // 30 % rests on an unconfirmed start date, 20 % on the 2025 finance law.
        assert_eq!(s.unconfirmed_cents, 30_000 * EUR);
        assert_eq!(s.confirmed_cents, 20_000 * EUR);
    }

    #[test]
    fn a_project_of_march_2026_gets_no_2018_grant() {
        // An SME in Toulouse (not in an R&D zone on record), project validated March 2026.
        let mut p = profile("2026-03-16");
        p.project_costs = Costs {
            staff: 1_000_000 * EUR,
            ..Costs::default()
        };
        let fui25 = call("fui-25", fui_25());
        let s = simulate(&v2(), &p, Some(&fui25));
        let st = s
            .schemes
            .iter()
            .find(|x| x.scheme == "call:fui-25")
            .unwrap();
        assert_eq!(st.status, "closed");
        assert!(
            st.explanation_en.starts_with("Closed on 2018-12-31"),
            "{}",
            st.explanation_en
        );
        assert!(s
            .years
            .iter()
            .all(|y| y.lines.iter().all(|l| !l.item.starts_with("grant"))));
        assert_eq!(s.total_cents, 0);
        let r = v2();
        assert_eq!(call_status(&r, &fui25, "2026-03-16").status, "closed");
        assert_eq!(call_status(&r, &fui25, "2018-06-01").status, "open");
        assert_eq!(call_status(&r, &fui25, "2017-06-01").status, "not_yet");
        let fui07 = call("fui-2007", fui_2007());
        assert_eq!(call_status(&r, &fui07, "2026-03-16").status, "closed");
        // A call without dates nor a period in the rules is never offered.
        assert_eq!(
            call_status(&r, &call("other", fui_2007()), "2007-06-01").status,
            "unknown"
        );
        // Its source is worded for a visitor.
        assert!(!call_status(&r, &fui25, "2026-03-16").source.contains(".md"));
    }

    #[test]
    fn an_empty_result_says_why_and_conditions_say_what_is_required() {
        // Founded in 2003, 23 years old in 2026, no R&D spending.
        let mut p = profile("2026-03-16");
        p.founded_on = "2003-01-01".into();
        let s = simulate(&v2(), &p, None);
        assert_eq!(s.total_cents, 0);
        assert!(s
            .headline
            .en
            .starts_with("No amount for a project of 2026-03-16"));
        assert!(s.headline.fr.starts_with("Aucun montant"));
        let jei = s.schemes.iter().find(|x| x.scheme == "jei").unwrap();
        assert_eq!(jei.status, "not_eligible");
        assert!(
            jei.explanation_en.contains(
                "requires a company founded less than 8 years before the project's date (this one: 23 years)"
            ),
            "{}",
            jei.explanation_en
        );
        assert!(!jei.explanation_en.contains("Conditions not met"));
        assert!(jei
            .explanation_fr
            .contains("une création il y a moins de 8 ans"));
        // The R&D-zone relief and the pôle social relief say since when they are closed.
        assert_eq!(status_of(&s, "rd_zone_tax"), "closed");
        assert_eq!(status_of(&s, "pole_social"), "closed");
        // A young company with 10 % of R&D: not a JEI (20 %), but a JEC.
        p.founded_on = "2023-01-01".into();
        let s = simulate(&v2(), &p, None);
        assert_eq!(status_of(&s, "jec"), "open");
        assert!(s
            .schemes
            .iter()
            .any(|x| x.scheme == "jec" && x.explanation_en.contains("no amount is computed")));
    }

    #[test]
    fn jei_caps_apply_from_2011_in_version_2() {
        let mut p = profile("2010-01-01");
        p.founded_on = "2008-01-01".into();
        p.staff = 20;
        p.rd_share_bp = 3000;
        p.rd_staff = 10;
        p.rd_wages_cents = 600_000 * EUR;
        p.years = Some(2);
        let s = simulate(&v2(), &p, None);
        // 2010: 40 % × 600,000 = 240,000, no cap yet.
        assert_eq!(item(&s, 2010, "jei", "social"), 240_000 * EUR);
        // 2011: capped at 5 × PASS 2011 = 5 × 35,352 = 176,760, a cap whose date is [U].
        assert_eq!(item(&s, 2011, "jei", "social"), 176_760 * EUR);
        assert_eq!(line(&s, 2011, "jei")[0].certainty, "U");
        assert_eq!(s.confirmed_cents, 240_000 * EUR);
    }

    #[test]
    fn exact_rates_round_once_half_away_from_zero() {
        assert_eq!(round_div(5, 10), 1);
        assert_eq!(round_div(-5, 10), -1);
        assert_eq!(round_div(4, 10), 0);
        assert_eq!(round_div(-14, 10), -1);
        let third = Ratio { num: 1, den: 3 };
        assert_eq!(third.of(100_000_000), 33_333_333);
        assert_eq!(third.of(200), 67);
        assert_eq!(third.pct(crate::Lang::En), "33 1/3%");
        assert_eq!(third.pct(crate::Lang::Fr), "33 1/3 %");
        assert_eq!(Ratio::bp(3000).pct(crate::Lang::En), "30%");
        // The 33 1/3 % of version 2 loses no cent: 1,000,000 of profit → 333,333.33 of tax.
        let mut p = profile("2007-03-01");
        p.in_rd_zone = true;
        p.profits_cents = vec![1_000_000 * EUR];
        let s = simulate(&v2(), &p, None);
        assert_eq!(item(&s, 2007, "rd_zone_tax", "profit_tax"), 33_333_333);
        assert_eq!(
            public_source("programme-rules.md §3: from 2007 SMEs 45%"),
            "public sources on the pôles programme: from 2007 SMEs 45%"
        );
        assert_eq!(
            public_source("programme-rules.md §3: 2005-06 companies 30%; programme-rules.md §2-3"),
            "public sources on the pôles programme: 2005-06 companies 30%; public sources on the pôles programme"
        );
        assert_eq!(
            public_source("x (programme-rules.md §4)"),
            "x (public sources on the pôles programme)"
        );
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
