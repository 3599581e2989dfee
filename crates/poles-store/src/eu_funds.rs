//! Regional EU-fund operations in France (issue 16's funding dashboards), loaded with the
//! demo from the French EU-funds portal's open data: the 2014-2020 operations list (FEDER,
//! FSE, IEJ) and the 2007-2013 showcase projects. Each row keeps its source; the region comes
//! from the beneficiary's postcode (its commune, else its department) or from the region the
//! source names (a region of 2007 is mapped to today's); what the source does not give stays
//! empty and is counted as such on the dashboards.

use crate::error::{Result, StoreError};
use crate::util::{insert_batched, Cell, Tx};
use crate::Db;
use serde::Serialize;
use std::collections::HashMap;

const OPERATIONS_SOURCE: &str = "Liste des opérations FEDER, FSE et IEJ 2014-2020, portail des fonds européens en France (open data)";
const SHOWCASE_SOURCE: &str =
    "Projets exemplaires 2007-2013, portail des fonds européens en France (open data)";

const COLUMNS: &[&str] = &[
    "period",
    "programme",
    "fund",
    "name",
    "beneficiary",
    "postcode",
    "region",
    "place",
    "year",
    "start_date",
    "end_date",
    "total_cents",
    "eu_cents",
    "category",
    "url",
    "source",
];

/// Euros as the sources write them (`71403.54`, `26 112 €`, `1 234,5 €`) in cents.
pub fn cents(raw: &str) -> Option<i64> {
    let s: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '€' && *c != '\u{202f}')
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    if s.is_empty() {
        return None;
    }
    let v: f64 = s.parse().ok()?;
    (v.is_finite() && v >= 0.0).then(|| (v * 100.0).round() as i64)
}

fn fold(s: &str) -> String {
    poles_core::text::normalize(s)
}

fn opt(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

/// Loads both files as published (the 2014-2020 operations list and the 2007-2013 showcase
/// projects), in the caller's transaction (the demo's). Returns the rows loaded.
pub(crate) async fn load(tx: &mut impl Tx, operations: &[u8], showcase: &[u8]) -> Result<usize> {
    let by_postcode: HashMap<String, String> = sqlx::query_as::<_, (String, String)>(
        "SELECT p.postcode, MIN(c.region_code) FROM postcodes p JOIN communes c ON c.code = p.commune_code GROUP BY p.postcode",
    )
    .fetch_all(&mut **tx)
    .await?
    .into_iter()
    .collect();
    let by_department: HashMap<String, String> =
        sqlx::query_as::<_, (String, String)>("SELECT code, region_code FROM departments")
            .fetch_all(&mut **tx)
            .await?
            .into_iter()
            .collect();
    let mut by_name: HashMap<String, String> =
        sqlx::query_as::<_, (String, String)>("SELECT name, code FROM regions")
            .fetch_all(&mut **tx)
            .await?
            .into_iter()
            .map(|(n, c)| (fold(&n), c))
            .collect();
    for (n, c) in
        sqlx::query_as::<_, (String, String)>("SELECT name, region_code FROM former_regions")
            .fetch_all(&mut **tx)
            .await?
    {
        by_name.insert(fold(&n), c);
    }
    let region_of_postcode = |pc: &str| -> Option<String> {
        if let Some(r) = by_postcode.get(pc) {
            return Some(r.clone());
        }
        // A CEDEX or PO-box code: its department (the first two digits; three overseas).
        let dept = if pc.starts_with("97") || pc.starts_with("98") {
            pc.get(..3)?
        } else {
            pc.get(..2)?
        };
        by_department.get(dept).cloned()
    };
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    let err = |what: &str, e: csv::Error| StoreError::Data(format!("{what}: {e}"));

    let mut r = csv::Reader::from_reader(operations);
    for rec in r.records() {
        let rec = rec.map_err(|e| err("eu-operations-2014-2020.csv", e))?;
        let f = |k: usize| rec.get(k).unwrap_or("").trim();
        // programme,operation_name,beneficiary_name,beneficiary_postal_code,start_date,end_date,
        // total_eligible_eur,eu_amount_eur,country,programming_date,intervention_category,fund
        let pc = f(3);
        let year = f(9)
            .get(..4)
            .and_then(|y| y.parse::<i64>().ok())
            .filter(|y| (2014..=2023).contains(y));
        rows.push(vec![
            Cell::from("2014-2020"),
            Cell::T(opt(f(0))),
            Cell::T(Some(
                if f(11).is_empty() { "NR" } else { f(11) }.to_string(),
            )),
            Cell::T(Some(f(1).to_string())),
            Cell::T(opt(f(2))),
            Cell::T(opt(pc)),
            Cell::T(if pc.is_empty() {
                None
            } else {
                region_of_postcode(pc)
            }),
            Cell::T(None),
            Cell::I(year),
            Cell::T(opt(f(4))),
            Cell::T(opt(f(5))),
            Cell::I(cents(f(6))),
            Cell::I(cents(f(7))),
            Cell::T(opt(f(10)).filter(|c| c != "NR")),
            Cell::T(None),
            Cell::from(OPERATIONS_SOURCE),
        ]);
    }
    let mut r = csv::Reader::from_reader(showcase);
    for rec in r.records() {
        let rec = rec.map_err(|e| err("eu-showcase-2007-2013.csv", e))?;
        let f = |k: usize| rec.get(k).unwrap_or("").trim();
        // fond,annee,titre,durée,région,source,fond_coût,coût_total,bénéficiaire,thématique(s)
        let place = f(4);
        rows.push(vec![
            Cell::from("2007-2013"),
            Cell::T(None),
            Cell::T(Some(f(0).to_string())),
            Cell::T(Some(f(2).to_string())),
            Cell::T(opt(f(8))),
            Cell::T(None),
            Cell::T(by_name.get(&fold(place)).cloned()),
            Cell::T(opt(place)),
            Cell::I(f(1).parse::<i64>().ok()),
            Cell::T(None),
            Cell::T(None),
            Cell::I(cents(f(7))),
            Cell::I(cents(f(6))),
            Cell::T(opt(f(9))),
            Cell::T(opt(f(5))),
            Cell::from(SHOWCASE_SOURCE),
        ]);
    }
    let n = rows.len();
    insert_batched(tx, "eu_operations", COLUMNS, rows, "").await?;
    Ok(n)
}

/// Operations and their amounts grouped by period, region, fund and year.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EuGroup {
    pub period: String,
    pub region: Option<String>,
    /// The region's name.
    pub region_name: Option<String>,
    pub fund: String,
    pub year: Option<i64>,
    pub operations: i64,
    pub eu_cents: i64,
    pub total_cents: i64,
}

type GroupRow = (
    String,
    Option<String>,
    Option<String>,
    String,
    Option<i64>,
    i64,
    i64,
    i64,
);

pub async fn groups(db: &Db) -> Result<Vec<EuGroup>> {
    let rows: Vec<GroupRow> = sqlx::query_as(
        "SELECT e.period, e.region, MIN(g.name), e.fund, e.year, COUNT(*), \
         CAST(COALESCE(SUM(e.eu_cents), 0) AS BIGINT), CAST(COALESCE(SUM(e.total_cents), 0) AS BIGINT) \
         FROM eu_operations e LEFT JOIN regions g ON g.code = e.region \
         GROUP BY e.period, e.region, e.fund, e.year ORDER BY e.period, e.region, e.fund, e.year",
    )
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| EuGroup {
            period: r.0,
            region: r.1,
            region_name: r.2,
            fund: r.3,
            year: r.4,
            operations: r.5,
            eu_cents: r.6,
            total_cents: r.7,
        })
        .collect())
}

/// The sources of the rows, per period.
pub async fn sources(db: &Db) -> Result<Vec<(String, String)>> {
    Ok(
        sqlx::query_as("SELECT DISTINCT period, source FROM eu_operations ORDER BY period DESC")
            .fetch_all(&db.pool)
            .await?,
    )
}

#[cfg(test)]
mod tests {
    use super::cents;

    #[test]
    fn amounts_are_read_as_the_sources_write_them() {
        assert_eq!(cents("71403.54"), Some(7_140_354));
        assert_eq!(cents("26 112 €"), Some(2_611_200));
        assert_eq!(cents("1 234,5 €"), Some(123_450));
        assert_eq!(cents(""), None);
        assert_eq!(cents("n/a"), None);
    }
}
