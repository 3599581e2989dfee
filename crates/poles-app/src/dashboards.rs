//! Funding dashboards (issue 16): the regional EU-fund operations in France by region, fund
//! and year, each period with its source. The platform's own decisions are on the budgets
//! page (by region, sector and year) and the pôles' indicators on the programme's dashboard;
//! this adds the money the regions' European programmes spent. Public reads.

use crate::{App, Result};
use poles_store::eu_funds;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use utoipa::ToSchema;

/// One line of a table: a region or a year, its operations and amounts, and the EU amount
/// per fund (in the order of the table's `funds`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EuLine {
    /// A region's INSEE code or a year; empty where the source does not give it.
    pub key: String,
    pub label: String,
    pub operations: i64,
    pub eu_cents: i64,
    pub total_cents: i64,
    pub eu_cents_by_fund: Vec<i64>,
}

/// One programming period's operations.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EuPeriod {
    /// `2014-2020` or `2007-2013`.
    pub period: String,
    pub source: String,
    pub operations: i64,
    pub eu_cents: i64,
    pub total_cents: i64,
    /// FEDER, FSE, IEJ, FEADER, FEP… as the source names them.
    pub funds: Vec<String>,
    /// By today's region (the last line, with an empty key, those the source locates nowhere).
    pub by_region: Vec<EuLine>,
    /// By programming year (2014-2020) or the year the source gives (2007-2013).
    pub by_year: Vec<EuLine>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EuFunds {
    pub periods: Vec<EuPeriod>,
}

fn lines(
    groups: &[&eu_funds::EuGroup],
    funds: &[String],
    key: impl Fn(&eu_funds::EuGroup) -> String,
    label: impl Fn(&str) -> String,
) -> Vec<EuLine> {
    let mut at: BTreeMap<String, EuLine> = BTreeMap::new();
    for g in groups {
        let k = key(g);
        let line = at.entry(k.clone()).or_insert_with(|| EuLine {
            label: label(&k),
            key: k,
            operations: 0,
            eu_cents: 0,
            total_cents: 0,
            eu_cents_by_fund: vec![0; funds.len()],
        });
        line.operations += g.operations;
        line.eu_cents += g.eu_cents;
        line.total_cents += g.total_cents;
        if let Some(i) = funds.iter().position(|f| f == &g.fund) {
            line.eu_cents_by_fund[i] += g.eu_cents;
        }
    }
    // The unknown (empty key) last.
    let mut out: Vec<EuLine> = at.into_values().collect();
    out.sort_by_key(|l| l.key.is_empty());
    out
}

/// The EU-fund operations, the latest period first (a line with an empty key and label holds
/// what the source does not locate or date).
pub async fn eu_funds(app: &App) -> Result<EuFunds> {
    let groups = eu_funds::groups(&app.db).await?;
    let sources: HashMap<String, String> = eu_funds::sources(&app.db).await?.into_iter().collect();
    let regions: HashMap<String, String> = groups
        .iter()
        .filter_map(|g| Some((g.region.clone()?, g.region_name.clone()?)))
        .collect();
    let periods: BTreeSet<&str> = groups.iter().map(|g| g.period.as_str()).collect();
    let mut out = Vec::new();
    for p in periods.into_iter().rev() {
        let here: Vec<&eu_funds::EuGroup> = groups.iter().filter(|g| g.period == p).collect();
        let funds: Vec<String> = here
            .iter()
            .map(|g| g.fund.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut by_region = lines(
            &here,
            &funds,
            |g| g.region.clone().unwrap_or_default(),
            |k| regions.get(k).cloned().unwrap_or_else(|| k.to_string()),
        );
        by_region.sort_by(|a, b| {
            a.key
                .is_empty()
                .cmp(&b.key.is_empty())
                .then(b.eu_cents.cmp(&a.eu_cents))
        });
        let by_year = lines(
            &here,
            &funds,
            |g| g.year.map(|y| y.to_string()).unwrap_or_default(),
            |k| k.to_string(),
        );
        out.push(EuPeriod {
            period: p.to_string(),
            source: sources.get(p).cloned().unwrap_or_default(),
            operations: here.iter().map(|g| g.operations).sum(),
            eu_cents: here.iter().map(|g| g.eu_cents).sum(),
            total_cents: here.iter().map(|g| g.total_cents).sum(),
            funds,
            by_region,
            by_year,
        });
    }
    Ok(EuFunds { periods: out })
}
