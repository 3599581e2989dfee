//! The rules of a call for collaborative R&D projects, and what they say about one project:
//! eligibility explained rule by rule, and each partner's aid split between funders.
//! Every figure comes from the call's rule set (data, versioned with the call, with its
//! sources), never from this code.

use crate::{Lang, OrgKind};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A share in basis points: 10000 = 100 %.
pub type Bp = i64;

/// Formats basis points as a percentage: 4550 → "45,5 %" / "45.5%".
pub fn pct(bp: Bp, lang: Lang) -> String {
    let whole = bp / 100;
    let frac = (bp % 100).abs();
    let s = if frac == 0 {
        whole.to_string()
    } else if frac % 10 == 0 {
        format!("{whole}.{}", frac / 10)
    } else {
        format!("{whole}.{frac:02}")
    };
    match lang {
        Lang::Fr => format!("{} %", s.replace('.', ",")),
        Lang::En => format!("{s}%"),
    }
}

/// How sure a figure is: `C` confirmed by a public source, `K` press kit only, `U` unconfirmed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Sourced<T> {
    pub value: T,
    pub source: String,
    pub certainty: String,
}

/// The kinds of partner the aid rates distinguish.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AidKind {
    Sme,
    MidSize,
    Large,
    /// A research or training organisation funded on its full costs.
    LabFullCost,
    /// A research or training organisation funded on its marginal costs.
    LabMarginalCost,
}

/// Where a partner's R&D is done, as the aid rates see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Zone {
    /// In the R&D territory of a labelling cluster.
    Inside,
    Outside,
    /// The rate does not depend on the place.
    Any,
}

/// What "inside" means in a call's aid rates: the labelling pôles' territory (their
/// regions) or a pôle's R&D zone (the communes of its decree).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InsideMeans {
    #[default]
    Territory,
    RdZone,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AidRate {
    pub kind: AidKind,
    pub zone: Zone,
    pub rate_bp: Bp,
    pub source: String,
    pub certainty: String,
}

/// A funder's share of each partner's aid.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FunderShare {
    /// `state`, `region`, `feder` (EU regional fund), an agency …
    pub funder: String,
    pub share_bp: Bp,
    /// `grant` or `advance`.
    pub form: String,
    pub source: String,
    pub certainty: String,
}

/// The rule set of a call. Never changes once a project was checked against it: a new
/// version is a new rule set.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RuleSet {
    pub id: String,
    pub version: i64,
    pub name: String,
    pub min_companies: Sourced<i64>,
    pub min_research_or_training: Sourced<i64>,
    pub lead_must_be_company: Sourced<bool>,
    pub max_partner_cost_share_bp: Sourced<Bp>,
    /// Share of the R&D costs to be spent in the labelling clusters' territories.
    pub min_share_in_labelling_territories_bp: Option<Sourced<Bp>>,
    /// Share of the R&D costs to be spent in the lead cluster's territory.
    pub min_share_in_lead_territory_bp: Option<Sourced<Bp>>,
    /// Above this share of the aid, the labs' share must be justified (a warning).
    pub lab_aid_share_warning_bp: Sourced<Bp>,
    pub labelling_required: Sourced<bool>,
    pub aid_rates: Vec<AidRate>,
    /// Whether the `inside` rates apply in the labelling pôles' territory (the default) or
    /// in a labelling pôle's R&D zone.
    #[serde(default)]
    pub inside_means: InsideMeans,
    pub cofunding: Vec<FunderShare>,
    pub finalisation_months: Sourced<i64>,
}

/// Eligible costs of a partner, in cents.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct Costs {
    pub staff: i64,
    pub equipment: i64,
    pub subcontracting: i64,
    pub overheads: i64,
}

impl Costs {
    pub fn total(&self) -> i64 {
        self.staff + self.equipment + self.subcontracting + self.overheads
    }
}

/// A partner of a project, as the rules see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Partner {
    pub name: String,
    pub kind: OrgKind,
    /// A company belonging to no other partner's group.
    #[serde(default = "yes")]
    pub independent: bool,
    #[serde(default)]
    pub lead: bool,
    pub costs: Costs,
    /// The R&D is done in a labelling cluster's territory.
    #[serde(default)]
    pub in_labelling_territory: bool,
    /// The R&D is done in the lead cluster's territory.
    #[serde(default)]
    pub in_lead_territory: bool,
    /// The R&D is done in a labelling cluster's R&D zone.
    #[serde(default)]
    pub in_rd_zone: bool,
    /// For research organisations: funded on marginal rather than full costs.
    #[serde(default)]
    pub marginal_cost: bool,
}

fn yes() -> bool {
    true
}

/// A cluster's labelling decision on the project.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Labelling {
    pub cluster: String,
    #[serde(default)]
    pub lead: bool,
    pub labelled: bool,
    /// `YYYY-MM-DD`.
    pub decided_on: Option<String>,
}

/// What the rules need to know about a project.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProjectFacts {
    pub partners: Vec<Partner>,
    #[serde(default)]
    pub labellings: Vec<Labelling>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    Fail,
    Warning,
}

/// One rule applied to one project, explained with its numbers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Check {
    /// Stable code of the rule, e.g. `consortium.companies`.
    pub rule: &'static str,
    pub outcome: Outcome,
    pub explanation_fr: String,
    pub explanation_en: String,
    pub source: String,
}

/// The eligibility of a project: every rule, and whether any failed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Eligibility {
    pub eligible: bool,
    pub checks: Vec<Check>,
}

fn aid_kind(p: &Partner) -> Option<AidKind> {
    match p.kind {
        OrgKind::Sme | OrgKind::Startup => Some(AidKind::Sme),
        OrgKind::MidSize => Some(AidKind::MidSize),
        OrgKind::LargeCompany => Some(AidKind::Large),
        OrgKind::PublicResearch | OrgKind::University | OrgKind::Training => {
            Some(if p.marginal_cost {
                AidKind::LabMarginalCost
            } else {
                AidKind::LabFullCost
            })
        }
        _ => None,
    }
}

/// The rate that applies to a partner: the one for its place first, else the place-free one.
pub fn rate_for<'a>(rules: &'a RuleSet, p: &Partner) -> Option<&'a AidRate> {
    let kind = aid_kind(p)?;
    let inside = match rules.inside_means {
        InsideMeans::Territory => p.in_labelling_territory,
        InsideMeans::RdZone => p.in_rd_zone,
    };
    let zone = if inside { Zone::Inside } else { Zone::Outside };
    rules
        .aid_rates
        .iter()
        .find(|r| r.kind == kind && r.zone == zone)
        .or_else(|| {
            rules
                .aid_rates
                .iter()
                .find(|r| r.kind == kind && r.zone == Zone::Any)
        })
}

/// An amount for one funder, in cents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FunderAmount {
    pub funder: String,
    pub cents: i64,
}

/// One partner's aid and its split between funders.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AidLine {
    pub partner: String,
    pub eligible_costs: i64,
    /// `None` when the call's rules give no rate for this kind of partner.
    pub rate_bp: Option<Bp>,
    pub aid: i64,
    /// Per funder, in the order of the call's co-funding rules; sums to `aid`.
    pub by_funder: Vec<FunderAmount>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Aid {
    pub lines: Vec<AidLine>,
    pub total_costs: i64,
    pub total_aid: i64,
    pub by_funder: Vec<FunderAmount>,
}

/// Splits `amount` by shares in basis points so that the parts sum exactly to `amount`
/// (the remainder of the rounding goes to the largest share).
pub fn split(amount: i64, shares: &[Bp]) -> Vec<i64> {
    let total: i64 = shares.iter().sum();
    if total == 0 || shares.is_empty() {
        return vec![0; shares.len()];
    }
    let mut parts: Vec<i64> = shares
        .iter()
        .map(|s| (i128::from(amount) * i128::from(*s) / i128::from(total)) as i64)
        .collect();
    let rest = amount - parts.iter().sum::<i64>();
    let biggest = (0..shares.len()).max_by_key(|&k| shares[k]).unwrap_or(0);
    parts[biggest] += rest;
    parts
}

/// Each partner's aid from the call's rates, split between funders by its co-funding rules.
pub fn aid(rules: &RuleSet, facts: &ProjectFacts) -> Aid {
    let shares: Vec<Bp> = rules.cofunding.iter().map(|f| f.share_bp).collect();
    let mut lines = Vec::with_capacity(facts.partners.len());
    let mut by_funder = vec![0i64; shares.len()];
    for p in &facts.partners {
        let costs = p.costs.total();
        let rate = rate_for(rules, p);
        let aid = rate
            .map(|r| (i128::from(costs) * i128::from(r.rate_bp) / 10_000) as i64)
            .unwrap_or(0);
        let parts = split(aid, &shares);
        for (k, v) in parts.iter().enumerate() {
            by_funder[k] += v;
        }
        lines.push(AidLine {
            partner: p.name.clone(),
            eligible_costs: costs,
            rate_bp: rate.map(|r| r.rate_bp),
            aid,
            by_funder: rules
                .cofunding
                .iter()
                .zip(parts)
                .map(|(f, cents)| FunderAmount {
                    funder: f.funder.clone(),
                    cents,
                })
                .collect(),
            note: match (rate, aid_kind(p)) {
                (None, Some(_)) => {
                    Some("this call's rules give no rate for this kind of partner".into())
                }
                (None, None) => Some("kind of organisation unknown: no rate applies".into()),
                (Some(r), _) if r.certainty != "C" => Some(format!(
                    "rate marked {} (not confirmed): {}",
                    r.certainty, r.source
                )),
                _ => None,
            },
        });
    }
    Aid {
        total_costs: lines.iter().map(|l| l.eligible_costs).sum(),
        total_aid: lines.iter().map(|l| l.aid).sum(),
        by_funder: rules
            .cofunding
            .iter()
            .zip(by_funder)
            .map(|(f, cents)| FunderAmount {
                funder: f.funder.clone(),
                cents,
            })
            .collect(),
        lines,
    }
}

fn check(rule: &'static str, ok: bool, fr: String, en: String, source: &str) -> Check {
    Check {
        rule,
        outcome: if ok { Outcome::Pass } else { Outcome::Fail },
        explanation_fr: fr,
        explanation_en: en,
        source: source.to_string(),
    }
}

fn share_bp(part: i64, whole: i64) -> Bp {
    if whole <= 0 {
        0
    } else {
        (i128::from(part) * 10_000 / i128::from(whole)) as i64
    }
}

/// Applies every rule of the call to a project, with the numbers behind each outcome.
/// `deadline` is the call's filing (and labelling) deadline, `YYYY-MM-DD`, when recorded.
pub fn eligibility(rules: &RuleSet, facts: &ProjectFacts, deadline: Option<&str>) -> Eligibility {
    let mut checks = Vec::new();
    let ps = &facts.partners;
    let companies = ps
        .iter()
        .filter(|p| p.kind.is_company() && p.independent)
        .count() as i64;
    let need = rules.min_companies.value;
    checks.push(check(
        "consortium.companies",
        companies >= need,
        format!("{companies} entreprise(s) indépendante(s) ; au moins {need} requise(s)."),
        format!("{companies} independent compan(y/ies); at least {need} required."),
        &rules.min_companies.source,
    ));
    let labs = ps
        .iter()
        .filter(|p| p.kind.is_research_or_training())
        .count() as i64;
    let need = rules.min_research_or_training.value;
    checks.push(check(
        "consortium.research",
        labs >= need,
        format!("{labs} organisme(s) de recherche ou de formation ; au moins {need} requis."),
        format!("{labs} research or training organisation(s); at least {need} required."),
        &rules.min_research_or_training.source,
    ));
    let leads: Vec<&Partner> = ps.iter().filter(|p| p.lead).collect();
    if rules.lead_must_be_company.value {
        let ok = leads.len() == 1 && leads[0].kind.is_company();
        let (fr, en) = match leads.as_slice() {
            [] => (
                "Aucun chef de file désigné.".to_string(),
                "No lead partner named.".to_string(),
            ),
            [l] if l.kind.is_company() => (
                format!("Chef de file : {} (entreprise).", l.name),
                format!("Lead: {} (a company).", l.name),
            ),
            [l] => (
                format!("Chef de file : {}, qui n'est pas une entreprise.", l.name),
                format!("Lead: {}, which is not a company.", l.name),
            ),
            _ => (
                "Plusieurs chefs de file désignés.".to_string(),
                "Several lead partners named.".to_string(),
            ),
        };
        checks.push(check(
            "consortium.lead",
            ok,
            fr,
            en,
            &rules.lead_must_be_company.source,
        ));
    }
    let total: i64 = ps.iter().map(|p| p.costs.total()).sum();
    let max = rules.max_partner_cost_share_bp.value;
    let (biggest_name, biggest_share) = ps
        .iter()
        .map(|p| (p.name.as_str(), share_bp(p.costs.total(), total)))
        .max_by_key(|(_, s)| *s)
        .unwrap_or(("—", 0));
    checks.push(check(
        "costs.max_partner_share",
        total > 0 && biggest_share <= max,
        format!(
            "Part la plus élevée : {biggest_name}, {} des coûts ; plafond {}.",
            pct(biggest_share, Lang::Fr),
            pct(max, Lang::Fr)
        ),
        format!(
            "Largest share: {biggest_name}, {} of the costs; ceiling {}.",
            pct(biggest_share, Lang::En),
            pct(max, Lang::En)
        ),
        &rules.max_partner_cost_share_bp.source,
    ));
    if let Some(min) = &rules.min_share_in_labelling_territories_bp {
        let inside: i64 = ps
            .iter()
            .filter(|p| p.in_labelling_territory)
            .map(|p| p.costs.total())
            .sum();
        let s = share_bp(inside, total);
        checks.push(check(
            "territory.labelling",
            s >= min.value,
            format!(
                "{} des coûts de R&D dans les territoires des pôles labellisateurs ; au moins {}.",
                pct(s, Lang::Fr),
                pct(min.value, Lang::Fr)
            ),
            format!(
                "{} of the R&D costs in the labelling clusters' territories; at least {}.",
                pct(s, Lang::En),
                pct(min.value, Lang::En)
            ),
            &min.source,
        ));
    }
    if let Some(min) = &rules.min_share_in_lead_territory_bp {
        let inside: i64 = ps
            .iter()
            .filter(|p| p.in_lead_territory)
            .map(|p| p.costs.total())
            .sum();
        let s = share_bp(inside, total);
        checks.push(check(
            "territory.lead",
            s >= min.value,
            format!(
                "{} des coûts de R&D dans le territoire du pôle chef de file ; au moins {}.",
                pct(s, Lang::Fr),
                pct(min.value, Lang::Fr)
            ),
            format!(
                "{} of the R&D costs in the lead cluster's territory; at least {}.",
                pct(s, Lang::En),
                pct(min.value, Lang::En)
            ),
            &min.source,
        ));
    }
    let a = aid(rules, facts);
    let lab_aid: i64 = a
        .lines
        .iter()
        .zip(ps)
        .filter(|(_, p)| p.kind.is_research_or_training())
        .map(|(l, _)| l.aid)
        .sum();
    let s = share_bp(lab_aid, a.total_aid);
    let limit = rules.lab_aid_share_warning_bp.value;
    checks.push(Check {
        rule: "aid.lab_share",
        outcome: if s > limit {
            Outcome::Warning
        } else {
            Outcome::Pass
        },
        explanation_fr: format!(
            "Les laboratoires reçoivent {} de l'aide ; au-delà de {}, il faut le justifier.",
            pct(s, Lang::Fr),
            pct(limit, Lang::Fr)
        ),
        explanation_en: format!(
            "Labs receive {} of the aid; above {} it must be justified.",
            pct(s, Lang::En),
            pct(limit, Lang::En)
        ),
        source: rules.lab_aid_share_warning_bp.source.clone(),
    });
    if rules.labelling_required.value {
        let labelled: Vec<&Labelling> = facts.labellings.iter().filter(|l| l.labelled).collect();
        let on_time: Vec<&Labelling> = match deadline {
            Some(d) => labelled
                .iter()
                .copied()
                .filter(|l| l.decided_on.as_deref().is_some_and(|x| x <= d))
                .collect(),
            None => labelled.clone(),
        };
        let names: Vec<&str> = on_time.iter().map(|l| l.cluster.as_str()).collect();
        let (outcome, fr, en) = match (deadline, on_time.is_empty()) {
            (Some(d), true) => (
                Outcome::Fail,
                format!("Aucun pôle n'a labellisé le projet avant la date limite du {d}."),
                format!("No cluster labelled the project before the {d} deadline."),
            ),
            (Some(d), false) => (
                Outcome::Pass,
                format!("Labellisé avant le {d} par : {}.", names.join(", ")),
                format!("Labelled before {d} by: {}.", names.join(", ")),
            ),
            (None, true) => (
                Outcome::Fail,
                "Aucun pôle n'a labellisé le projet.".to_string(),
                "No cluster labelled the project.".to_string(),
            ),
            (None, false) => (
                Outcome::Warning,
                format!("Labellisé par : {} ; la date limite de l'appel n'est pas connue, la date du label n'a pas pu être vérifiée.", names.join(", ")),
                format!("Labelled by: {}; the call's deadline is not recorded, so the label's date could not be checked.", names.join(", ")),
            ),
        };
        checks.push(Check {
            rule: "labelling.before_deadline",
            outcome,
            explanation_fr: fr,
            explanation_en: en,
            source: rules.labelling_required.source.clone(),
        });
    }
    Eligibility {
        eligible: checks.iter().all(|c| c.outcome != Outcome::Fail),
        checks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The FUI-25 rule set as shipped (`data/calls/fui-25-2018.json`).
    fn fui25() -> RuleSet {
        serde_json::from_str(include_str!(
            "../../../data/calls/rulesets/fui-25-2018.json"
        ))
        .unwrap()
    }

    fn fui2007() -> RuleSet {
        serde_json::from_str(include_str!("../../../data/calls/rulesets/fui-2007.json")).unwrap()
    }

    fn partner(name: &str, kind: OrgKind, euros: i64, inside: bool, lead_zone: bool) -> Partner {
        Partner {
            name: name.into(),
            kind,
            independent: true,
            lead: false,
            costs: Costs {
                staff: euros * 100,
                ..Default::default()
            },
            in_labelling_territory: inside,
            in_lead_territory: lead_zone,
            in_rd_zone: inside,
            marginal_cost: false,
        }
    }

    fn good_project() -> ProjectFacts {
        let mut lead = partner("PME A", OrgKind::Sme, 1_000_000, true, true);
        lead.lead = true;
        ProjectFacts {
            partners: vec![
                lead,
                partner("ETI B", OrgKind::MidSize, 800_000, true, false),
                partner(
                    "Grand groupe C",
                    OrgKind::LargeCompany,
                    700_000,
                    false,
                    false,
                ),
                partner("Labo D", OrgKind::PublicResearch, 500_000, true, true),
            ],
            labellings: vec![Labelling {
                cluster: "minalogic".into(),
                lead: true,
                labelled: true,
                decided_on: Some("2018-01-10".into()),
            }],
        }
    }

    fn outcome(e: &Eligibility, rule: &str) -> Outcome {
        e.checks.iter().find(|c| c.rule == rule).unwrap().outcome
    }

    #[test]
    fn a_sound_project_passes_every_fui25_rule() {
        let e = eligibility(&fui25(), &good_project(), Some("2018-01-24"));
        assert!(e.eligible, "{:#?}", e.checks);
        // 1,000,000 + 800,000 + 500,000 of 3,000,000 = 76.67 % inside; lead zone 50 %.
        let t = e
            .checks
            .iter()
            .find(|c| c.rule == "territory.labelling")
            .unwrap();
        assert!(t.explanation_en.contains("76.66%"), "{}", t.explanation_en);
    }

    #[test]
    fn each_rule_fails_on_its_own() {
        let r = fui25();
        let mut p = good_project();
        p.partners
            .retain(|x| x.kind != OrgKind::LargeCompany && x.kind != OrgKind::MidSize);
        assert_eq!(
            outcome(
                &eligibility(&r, &p, Some("2018-01-24")),
                "consortium.companies"
            ),
            Outcome::Fail
        );

        let mut p = good_project();
        p.partners.retain(|x| x.kind != OrgKind::PublicResearch);
        assert_eq!(
            outcome(
                &eligibility(&r, &p, Some("2018-01-24")),
                "consortium.research"
            ),
            Outcome::Fail
        );

        let mut p = good_project();
        p.partners[0].lead = false;
        p.partners[3].lead = true;
        let e = eligibility(&r, &p, Some("2018-01-24"));
        assert_eq!(
            outcome(&e, "consortium.lead"),
            Outcome::Fail,
            "labs cannot lead"
        );

        let mut p = good_project();
        p.partners[0].costs.staff = 10_000_000 * 100;
        let e = eligibility(&r, &p, Some("2018-01-24"));
        assert_eq!(outcome(&e, "costs.max_partner_share"), Outcome::Fail);
        assert!(e
            .checks
            .iter()
            .any(|c| c.explanation_en.contains("ceiling 70%")));

        let mut p = good_project();
        for x in &mut p.partners {
            x.in_labelling_territory = false;
        }
        assert_eq!(
            outcome(
                &eligibility(&r, &p, Some("2018-01-24")),
                "territory.labelling"
            ),
            Outcome::Fail
        );

        let mut p = good_project();
        p.partners[0].in_lead_territory = false;
        p.partners[3].in_lead_territory = false;
        assert_eq!(
            outcome(&eligibility(&r, &p, Some("2018-01-24")), "territory.lead"),
            Outcome::Fail
        );

        let p = good_project();
        let e = eligibility(&r, &p, Some("2018-01-05"));
        assert_eq!(
            outcome(&e, "labelling.before_deadline"),
            Outcome::Fail,
            "labelled after the deadline"
        );

        let mut p = good_project();
        p.partners[3].costs.staff = 2_000_000 * 100;
        let e = eligibility(&r, &p, Some("2018-01-24"));
        assert_eq!(outcome(&e, "aid.lab_share"), Outcome::Warning);
        assert!(e.eligible, "a warning does not make a project ineligible");
    }

    #[test]
    fn fui25_rates_with_the_arithmetic_written_out() {
        let r = fui25();
        let a = aid(&r, &good_project());
        // SME inside: 50 % of 1,000,000 = 500,000. ETI inside: 35 % of 800,000 = 280,000.
        // Large (others): 30 % of 700,000 = 210,000. Lab on full cost: 40 % of 500,000 = 200,000.
        let euros: Vec<i64> = a.lines.iter().map(|l| l.aid / 100).collect();
        assert_eq!(euros, vec![500_000, 280_000, 210_000, 200_000]);
        assert_eq!(a.total_aid / 100, 1_190_000);
        let mut p = good_project();
        p.partners[0].in_labelling_territory = false;
        assert_eq!(
            aid(&r, &p).lines[0].aid / 100,
            350_000,
            "SME outside the territory: 35 %"
        );
        p.partners[3].marginal_cost = true;
        assert_eq!(
            aid(&r, &p).lines[3].aid / 100,
            500_000,
            "lab on marginal cost: 100 %"
        );
    }

    #[test]
    fn the_2007_rates_and_unknown_rates() {
        let r = fui2007();
        let a = aid(&r, &good_project());
        // 2007: SME in a pôle's R&D zone 45 % of 1,000,000 = 450,000.
        assert_eq!(a.lines[0].aid / 100, 450_000);
        // Mid-size and large companies: 30 % (the 2005-06 company rate, kept: marked U).
        assert_eq!(a.lines[1].aid / 100, 240_000);
        assert!(a.lines[1]
            .note
            .as_deref()
            .is_some_and(|n| n.contains("not confirmed")));
        // No documented lab rate for 2007: no aid computed, and it says why.
        assert_eq!(a.lines[3].rate_bp, None);
        assert!(a.lines[3].note.is_some());
        // In 2007 "inside" is the pôle's R&D zone, not its territory: an SME in the
        // territory but outside the zone gets 30 % of 1,000,000 = 300,000.
        assert_eq!(r.inside_means, InsideMeans::RdZone);
        let mut p = good_project();
        p.partners[0].in_rd_zone = false;
        assert!(p.partners[0].in_labelling_territory);
        assert_eq!(aid(&r, &p).lines[0].aid / 100, 300_000);
    }

    #[test]
    fn splits_sum_exactly() {
        assert_eq!(split(100, &[5000, 5000]), vec![50, 50]);
        assert_eq!(split(101, &[6667, 3333]).iter().sum::<i64>(), 101);
        assert_eq!(split(0, &[10_000]), vec![0]);
        assert_eq!(pct(4550, Lang::Fr), "45,5 %");
        assert_eq!(pct(7000, Lang::En), "70%");
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        fn kind() -> impl Strategy<Value = OrgKind> {
            prop_oneof![
                Just(OrgKind::Sme),
                Just(OrgKind::MidSize),
                Just(OrgKind::LargeCompany),
                Just(OrgKind::PublicResearch),
                Just(OrgKind::University),
                Just(OrgKind::Unknown),
            ]
        }

        proptest! {
            #[test]
            fn funder_totals_equal_the_sum_of_the_lines(
                parts in proptest::collection::vec((kind(), 0i64..5_000_000_000, any::<bool>(), any::<bool>()), 1..12),
                which in 0usize..2,
            ) {
                let rules = if which == 0 { fui25() } else { fui2007() };
                let facts = ProjectFacts {
                    partners: parts.iter().enumerate().map(|(k, (kind, cents, inside, marginal))| Partner {
                        name: format!("p{k}"), kind: *kind, independent: true, lead: k == 0,
                        costs: Costs { staff: *cents, equipment: cents / 3, subcontracting: 0, overheads: cents / 7 },
                        in_labelling_territory: *inside, in_lead_territory: *inside, in_rd_zone: *inside, marginal_cost: *marginal,
                    }).collect(),
                    labellings: vec![],
                };
                let a = aid(&rules, &facts);
                for (k, f) in a.by_funder.iter().enumerate() {
                    let sum: i64 = a.lines.iter().map(|l| l.by_funder[k].cents).sum();
                    prop_assert_eq!(f.cents, sum, "funder {}", f.funder);
                }
                prop_assert_eq!(a.by_funder.iter().map(|f| f.cents).sum::<i64>(), a.total_aid);
                for l in &a.lines {
                    prop_assert_eq!(l.by_funder.iter().map(|f| f.cents).sum::<i64>(), l.aid);
                    prop_assert!(l.aid <= l.eligible_costs);
                }
            }
        }
    }
}
