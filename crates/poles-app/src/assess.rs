//! The rules engine applied to a stored application: what the rules are asked (its partners
//! that did not decline, with the territory and R&D-zone status the store derives from each
//! R&D commune, and its labels), and the aid they compute. Shared by the use cases that show
//! an application and by those that decide its funding, which must never exceed that aid.

use crate::{App, AppError, Result};
use poles_core::calls::{self as rules, Aid, Labelling, Partner, ProjectFacts};
use poles_core::model::FundingLine;
use poles_core::status::{Invitation, LabellingStatus, PartnerRole};
use poles_core::FieldError;
use poles_store::applications::{self as store, ApplicationPartner, LabellingRequest};

/// What the rules engine is asked about an application: its partners that did not decline,
/// and its labels. Territory and R&D zone come from the store, computed from the commune.
pub(crate) fn facts(
    partners: &[ApplicationPartner],
    labellings: &[LabellingRequest],
) -> ProjectFacts {
    ProjectFacts {
        partners: partners
            .iter()
            .filter(|p| p.invitation != Invitation::Declined)
            .map(|p| Partner {
                name: p.name.clone(),
                kind: p.declared_kind,
                independent: p.independent,
                lead: p.role == PartnerRole::Lead,
                costs: p.costs.clone(),
                in_labelling_territory: p.in_labelling_territory,
                in_lead_territory: p.in_lead_territory,
                in_rd_zone: p.in_rd_zone,
                marginal_cost: p.marginal_cost,
            })
            .collect(),
        labellings: labellings
            .iter()
            .map(|l| Labelling {
                cluster: l.cluster.clone(),
                lead: l.lead,
                labelled: l.status == LabellingStatus::Labelled,
                decided_on: l.decided_on.map(|d| d.to_string()),
            })
            .collect(),
    }
}

/// The call of an application and the aid its rules compute now, per partner and per
/// funder.
pub(crate) async fn aid(app: &App, id: i64) -> Result<(String, Aid)> {
    let r = store::get(&app.db, id)
        .await?
        .ok_or(AppError::NotFound("application"))?;
    let aid = rules::aid(&r.rules, &facts(&r.partners, &r.labellings));
    Ok((r.call, aid))
}

/// Euros with thousands separated and the cents: `€351,250.00`.
fn euros(cents: i64) -> String {
    let whole = (cents / 100).to_string();
    let mut grouped = String::new();
    for (k, ch) in whole.chars().enumerate() {
        if k > 0 && (whole.len() - k).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("€{grouped}.{:02}", cents % 100)
}

/// Refuses a funding decision whose line for a funder exceeds the aid the rules compute for
/// that funder (a funder the rules do not co-fund gets nothing): the field is the line's
/// amount, the reason states the computed maximum.
pub(crate) fn within_aid(aid: &Aid, lines: &[FundingLine]) -> Result<(), FieldError> {
    for (k, l) in lines.iter().enumerate() {
        let max = aid
            .by_funder
            .iter()
            .find(|f| f.funder == l.funder)
            .map_or(0, |f| f.cents);
        if l.amount_cents > max {
            return Err(FieldError::coded(
                format!("lines[{k}].amount_cents"),
                "aid_exceeded",
                vec![
                    poles_core::money_arg(l.amount_cents),
                    l.funder.clone(),
                    poles_core::money_arg(max),
                    poles_core::money_arg(aid.total_aid),
                ],
                format!(
                    "{} for {} exceeds the aid the call's rules compute for this funder: at most {} (of a total aid of {})",
                    euros(l.amount_cents),
                    l.funder,
                    euros(max),
                    euros(aid.total_aid)
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use poles_core::calls::FunderAmount;

    #[test]
    fn a_line_above_its_funders_aid_is_refused_naming_the_line() {
        let aid = Aid {
            lines: vec![],
            total_costs: 0,
            total_aid: 70_250_000,
            by_funder: vec![
                FunderAmount {
                    funder: "state".into(),
                    cents: 35_125_000,
                },
                FunderAmount {
                    funder: "region".into(),
                    cents: 35_125_000,
                },
            ],
        };
        let line = |funder: &str, amount_cents| FundingLine {
            funder: funder.into(),
            amount_cents,
        };
        assert!(within_aid(&aid, &[line("state", 35_125_000), line("region", 1)]).is_ok());
        let e = within_aid(&aid, &[line("region", 0), line("state", 130_000_000)]).unwrap_err();
        assert_eq!(e.field, "lines[1].amount_cents");
        assert!(e.reason.contains("at most €351,250.00"), "{}", e.reason);
        let e = within_aid(&aid, &[line("feder", 1)]).unwrap_err();
        assert!(e.reason.contains("at most €0.00"), "{}", e.reason);
    }
}
