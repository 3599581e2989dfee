//! Regional specialisation as stored (issue 16): each establishment import's tallies per
//! area × sector (written by `establishments::import`), the datasets they form (the latest
//! import of each source, with the one before it for growth), the star rules in force and
//! the largest establishments of some sectors in some regions.

use crate::error::{Result, StoreError};
use crate::Db;
use poles_core::specialisation::{StarRules, Tallied};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// One source's latest import: what the pages offer to look at.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Dataset {
    pub import_id: i64,
    pub source: String,
    pub format: String,
    pub title_en: Option<String>,
    pub title_fr: Option<String>,
    pub reference_date: Option<String>,
    pub fictional: bool,
    pub imported_at: String,
    pub establishments: i64,
    /// The import of the same source before this one, for growth.
    pub previous_import_id: Option<i64>,
    pub previous_imported_at: Option<String>,
}

type DatasetRow = (
    i64,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    i64,
    String,
    i64,
    Option<i64>,
    Option<String>,
);

/// The datasets: the latest import of each source, real ones first, then the newest.
pub async fn datasets(db: &Db) -> Result<Vec<Dataset>> {
    let rows: Vec<DatasetRow> = sqlx::query_as(
        "SELECT i.id, i.source, i.format, i.title_en, i.title_fr, i.reference_date, i.fictional, \
         i.imported_at, i.imported, p.id, p.imported_at \
         FROM establishment_imports i \
         LEFT JOIN establishment_imports p ON p.id = (SELECT MAX(q.id) FROM establishment_imports q \
           WHERE q.source = i.source AND q.id < i.id) \
         WHERE i.id = (SELECT MAX(j.id) FROM establishment_imports j WHERE j.source = i.source) \
         ORDER BY i.fictional, i.id DESC",
    )
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Dataset {
            import_id: r.0,
            source: r.1,
            format: r.2,
            title_en: r.3,
            title_fr: r.4,
            reference_date: r.5,
            fictional: r.6 != 0,
            imported_at: r.7,
            establishments: r.8,
            previous_import_id: r.9,
            previous_imported_at: r.10,
        })
        .collect())
}

/// An import's tallies at one level (`region`, `department`) and grouping (`section`,
/// `division`, `sector`).
pub async fn cells(db: &Db, import_id: i64, level: &str, grouping: &str) -> Result<Vec<Tallied>> {
    let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
        "SELECT area, sector, establishments, employment FROM specialisation_cells \
         WHERE import_id = $1 AND level = $2 AND grouping = $3 ORDER BY sector, area",
    )
    .bind(import_id)
    .bind(level.to_string())
    .bind(grouping.to_string())
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(area, sector, establishments, employment)| Tallied {
            area,
            sector,
            establishments,
            employment,
        })
        .collect())
}

/// Each area's employment in every division (its whole economy as the import saw it).
pub async fn area_totals(db: &Db, import_id: i64, level: &str) -> Result<BTreeMap<String, i64>> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT area, CAST(SUM(employment) AS BIGINT) FROM specialisation_cells \
         WHERE import_id = $1 AND level = $2 AND grouping = 'division' GROUP BY area",
    )
    .bind(import_id)
    .bind(level.to_string())
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().collect())
}

const STARS_CSV: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/programme/specialisation-stars.csv"
));

/// The star rules in force on `day` (`YYYY-MM-DD`), from the shipped table.
pub fn star_rules(day: &str) -> Result<StarRules> {
    #[derive(serde::Deserialize)]
    struct Row {
        key: String,
        value: f64,
        effective_from: String,
        effective_to: String,
        certainty: String,
        source_title: String,
    }
    let rows = crate::today::rows::<Row>("specialisation-stars.csv", STARS_CSV.as_bytes())?;
    let in_force: Vec<&Row> = rows
        .iter()
        .filter(|r| {
            r.effective_from.as_str() <= day
                && (r.effective_to.is_empty() || day <= r.effective_to.as_str())
        })
        .collect();
    let get = |k: &str| {
        in_force
            .iter()
            .find(|r| r.key == k)
            .copied()
            .ok_or_else(|| StoreError::Data(format!("specialisation-stars.csv: no {k} in force")))
    };
    let (size, lq, focus) = (
        get("size_top_share")?,
        get("specialisation_lq")?,
        get("focus_top_share")?,
    );
    let mut sources: Vec<&str> = vec![&size.source_title, &lq.source_title, &focus.source_title];
    sources.dedup();
    Ok(StarRules {
        size_top_share: size.value,
        specialisation_lq: lq.value,
        focus_top_share: focus.value,
        source: sources.join("; "),
        effective_from: [&size, &lq, &focus]
            .iter()
            .map(|r| r.effective_from.clone())
            .max()
            .unwrap_or_default(),
        uncertain: [size, lq, focus].iter().any(|r| r.certainty != "confirmed"),
    })
}

/// One establishment as lists show it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Largest {
    pub siret: String,
    pub name: Option<String>,
    pub commune: Option<String>,
    pub commune_name: Option<String>,
    pub department: String,
    pub region: String,
    pub naf: String,
    pub naf_label: Option<String>,
    pub employees: i64,
}

type LargestRow = (
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    String,
    String,
    Option<String>,
    i64,
);

/// The largest establishments in activity of `source` in `regions` whose NAF division is
/// one of `divisions`, by employment: the top of each region × division (one ordered index
/// range each, so a registry of tens of millions costs what a small one does), merged.
pub async fn largest(
    db: &Db,
    source: &str,
    regions: &[String],
    divisions: &[String],
    limit: i64,
) -> Result<Vec<Largest>> {
    let sql = format!(
        "SELECT e.siret, e.name, e.commune, c.name, e.department, e.region, e.naf, n.label_fr, e.employees \
         FROM establishments e LEFT JOIN communes c ON c.code = e.commune \
         LEFT JOIN naf_codes n ON n.code = e.naf \
         WHERE e.source = $1 AND e.region = $2 AND e.division = $3 AND e.active = 1 \
         ORDER BY e.employees DESC, e.siret LIMIT {limit}"
    );
    let mut all: Vec<LargestRow> = Vec::new();
    for r in regions {
        for d in divisions {
            all.extend(
                sqlx::query_as::<_, LargestRow>(&sql)
                    .bind(source.to_string())
                    .bind(r.clone())
                    .bind(d.clone())
                    .fetch_all(&db.pool)
                    .await?,
            );
        }
    }
    all.sort_by(|a, b| b.8.cmp(&a.8).then(a.0.cmp(&b.0)));
    all.truncate(usize::try_from(limit).unwrap_or(0));
    Ok(all
        .into_iter()
        .map(|r| Largest {
            siret: r.0,
            name: r.1,
            commune: r.2,
            commune_name: r.3,
            department: r.4,
            region: r.5,
            naf: r.6,
            naf_label: r.7,
            employees: r.8,
        })
        .collect())
}

/// Names of what the tables hold: regions and departments (code → name), NAF divisions
/// (INSEE's French titles) and the programme's sectors (English, French).
#[derive(Debug, Clone, Default)]
pub struct Names {
    pub regions: HashMap<String, String>,
    pub departments: HashMap<String, String>,
    pub divisions: HashMap<String, String>,
    pub sectors: HashMap<String, (String, String)>,
}

pub async fn names(db: &Db) -> Result<Names> {
    let pairs = |sql: &'static str| async move {
        Ok::<HashMap<String, String>, StoreError>(
            sqlx::query_as::<_, (String, String)>(sql)
                .fetch_all(&db.pool)
                .await?
                .into_iter()
                .collect(),
        )
    };
    Ok(Names {
        regions: pairs("SELECT code, name FROM regions").await?,
        departments: pairs("SELECT code, name FROM departments").await?,
        divisions: pairs("SELECT code, label_fr FROM naf_codes WHERE level = 'division'").await?,
        sectors: sqlx::query_as::<_, (String, String, String)>(
            "SELECT code, name_en, name_fr FROM sectors",
        )
        .fetch_all(&db.pool)
        .await?
        .into_iter()
        .map(|(c, en, fr)| (c, (en, fr)))
        .collect(),
    })
}

/// A pôle's regions and sectors (its territory and what it works on).
pub async fn cluster_scope(
    db: &Db,
    slug: &str,
) -> Result<Option<(String, Vec<String>, Vec<String>)>> {
    let Some((id, name)): Option<(i64, String)> =
        sqlx::query_as("SELECT id, name FROM clusters WHERE slug = $1")
            .bind(slug.to_string())
            .fetch_optional(&db.pool)
            .await?
    else {
        return Ok(None);
    };
    let regions: Vec<String> = sqlx::query_scalar(
        "SELECT region_code FROM cluster_regions WHERE cluster_id = $1 ORDER BY region_code",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?;
    let sectors: Vec<String> = sqlx::query_scalar(
        "SELECT sector_code FROM cluster_sectors WHERE cluster_id = $1 ORDER BY sector_code",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?;
    Ok(Some((name, regions, sectors)))
}

/// Department code → its region's code.
pub async fn department_regions(db: &Db) -> Result<HashMap<String, String>> {
    Ok(
        sqlx::query_as::<_, (String, String)>("SELECT code, region_code FROM departments")
            .fetch_all(&db.pool)
            .await?
            .into_iter()
            .collect(),
    )
}
