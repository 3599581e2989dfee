//! Performance contracts: per pôle and phase, a target per indicator; per year, the values
//! Pôles computes from its own records (members, SMEs, projects labelled and funded through
//! its calls, European projects of its members, international partnerships) and those
//! entered with their source where it cannot (money raised, or a count its registry lacks).

use crate::audit::{self, Context, Event};
use crate::error::Result;
use crate::joining::cluster_id;
use crate::util::{now_utc, Tx};
use crate::Db;
use serde_json::json;

/// The indicators a contract follows, in the order pages show them; those Pôles computes
/// from its records are marked.
pub const INDICATORS: &[(&str, bool)] = &[
    ("members", true),
    ("smes", true),
    ("projects_labelled", true),
    ("projects_funded", true),
    ("european_projects", true),
    ("international_partners", true),
    ("money_raised_cents", false),
];

/// What Pôles computes of an indicator for a pôle and a year (`None`: not computed).
async fn computed_tx(
    tx: &mut impl Tx,
    cid: i64,
    indicator: &str,
    year: i64,
) -> Result<Option<i64>> {
    let end = format!("{year}-12-31");
    let start = format!("{year}-01-01");
    // Members at the year's end: current memberships that began by then (or undated), and
    // ended ones that ran past it.
    let members = |kinds: &str| {
        format!(
            "SELECT (SELECT COUNT(*) FROM memberships m JOIN organisations o ON o.id = m.organisation_id \
              WHERE m.cluster_id = $1 AND (m.since IS NULL OR m.since <= $2){kinds}) + \
             (SELECT COUNT(*) FROM past_memberships m JOIN organisations o ON o.id = m.organisation_id \
              WHERE m.cluster_id = $1 AND (m.since IS NULL OR m.since <= $2) AND m.until > $2{kinds})"
        )
    };
    let sql = match indicator {
        "members" => members(""),
        "smes" => members(" AND o.kind IN ('sme', 'startup')"),
        "projects_labelled" => "SELECT COUNT(*) FROM labelling_requests WHERE cluster_id = $1 AND status = 'labelled' \
             AND decided_on >= $3 AND decided_on <= $2"
            .to_string(),
        "projects_funded" => "SELECT COUNT(*) FROM labelling_requests l JOIN applications a ON a.id = l.application_id \
             WHERE l.cluster_id = $1 AND l.status = 'labelled' AND a.status IN ('selected', 'running', 'closed') \
             AND l.decided_on >= $3 AND l.decided_on <= $2"
            .to_string(),
        "european_projects" => "SELECT COUNT(DISTINCT p.id) FROM projects p JOIN project_partners pp ON pp.project_id = p.id \
             JOIN memberships m ON m.organisation_id = pp.organisation_id \
             WHERE m.cluster_id = $1 AND p.start_date >= $3 AND p.start_date <= $2"
            .to_string(),
        "international_partners" => "SELECT COUNT(*) FROM partnerships WHERE (a_cluster_id = $1 OR b_cluster_id = $1) \
             AND (a_foreign_id IS NOT NULL OR b_foreign_id IS NOT NULL) AND status IN ('confirmed', 'ended') \
             AND (start_date IS NULL OR start_date <= $2) AND (end_date IS NULL OR end_date >= $3)"
            .to_string(),
        _ => return Ok(None),
    };
    let n: i64 = sqlx::query_scalar(&sql)
        .bind(cid)
        .bind(end)
        .bind(start)
        .fetch_one(&mut **tx)
        .await?;
    Ok(Some(n))
}

/// A value entered with its source.
#[derive(Debug, Clone)]
pub struct Entered {
    pub value: i64,
    pub source_title: String,
    pub source_url: Option<String>,
}

/// One indicator of a pôle for one year: what Pôles computes and what was entered.
#[derive(Debug, Clone)]
pub struct Cell {
    pub computed: Option<i64>,
    pub entered: Option<Entered>,
}

/// A pôle's contract for a phase: its targets and, per year, each indicator's cell.
#[derive(Debug, Clone)]
pub struct Contract {
    pub targets: Vec<(String, i64)>,
    pub years: Vec<(i64, Vec<(String, Cell)>)>,
}

/// A pôle's contract for the years `years`.
pub async fn contract(db: &Db, cluster: &str, phase: &str, years: &[i64]) -> Result<Contract> {
    let mut tx = db.pool.begin().await?;
    let cid = cluster_id(&mut tx, cluster).await?;
    let targets: Vec<(String, i64)> = sqlx::query_as(
        "SELECT indicator, target FROM performance_targets WHERE cluster_id = $1 AND phase_code = $2",
    )
    .bind(cid)
    .bind(phase.to_string())
    .fetch_all(&mut *tx)
    .await?;
    let entered: Vec<(i64, String, i64, String, Option<String>)> = sqlx::query_as(
        "SELECT year, indicator, value, source_title, source_url FROM performance_values WHERE cluster_id = $1",
    )
    .bind(cid)
    .fetch_all(&mut *tx)
    .await?;
    let mut out = Vec::new();
    for &y in years {
        let mut cells = Vec::new();
        for (ind, _) in INDICATORS {
            let computed = computed_tx(&mut tx, cid, ind, y).await?;
            let entered = entered.iter().find(|(yy, i, ..)| *yy == y && i == ind).map(
                |(_, _, value, t, u)| Entered {
                    value: *value,
                    source_title: t.clone(),
                    source_url: u.clone(),
                },
            );
            cells.push((ind.to_string(), Cell { computed, entered }));
        }
        out.push((y, cells));
    }
    tx.commit().await?;
    Ok(Contract {
        targets,
        years: out,
    })
}

/// Sets a pôle's targets for a phase (all of them at once).
pub async fn set_targets(
    db: &Db,
    ctx: &Context,
    by: i64,
    cluster: &str,
    phase: &str,
    targets: &[(String, i64)],
) -> Result<()> {
    let mut tx = audit::begin_write(db).await?;
    let cid = cluster_id(&mut tx, cluster).await?;
    let known: Option<String> =
        sqlx::query_scalar("SELECT code FROM programme_phases WHERE code = $1")
            .bind(phase.to_string())
            .fetch_optional(&mut *tx)
            .await?;
    if known.is_none() {
        return Err(poles_core::FieldError::new("phase", "is not a phase of the programme").into());
    }
    sqlx::query("DELETE FROM performance_targets WHERE cluster_id = $1 AND phase_code = $2")
        .bind(cid)
        .bind(phase.to_string())
        .execute(&mut *tx)
        .await?;
    for (ind, t) in targets {
        sqlx::query(
            "INSERT INTO performance_targets (cluster_id, phase_code, indicator, target, set_by, set_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(cid)
        .bind(phase.to_string())
        .bind(ind)
        .bind(*t)
        .bind(by)
        .bind(now_utc())
        .execute(&mut *tx)
        .await?;
    }
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: "performance.targets",
            object_kind: "cluster",
            object_ref: cluster.to_string(),
            changes: json!({"phase": phase, "targets": targets.len()}),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Records (or replaces) a value entered with its source.
#[expect(
    clippy::too_many_arguments,
    reason = "one value per column the row records"
)]
pub async fn enter_value(
    db: &Db,
    ctx: &Context,
    by: i64,
    cluster: &str,
    year: i64,
    indicator: &str,
    value: i64,
    source_title: &str,
    source_url: Option<&str>,
) -> Result<()> {
    let mut tx = audit::begin_write(db).await?;
    let cid = cluster_id(&mut tx, cluster).await?;
    sqlx::query(
        "INSERT INTO performance_values (cluster_id, year, indicator, value, source_title, source_url, recorded_by, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (cluster_id, year, indicator) DO UPDATE SET \
         value = excluded.value, source_title = excluded.source_title, source_url = excluded.source_url, \
         recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at",
    )
    .bind(cid)
    .bind(year)
    .bind(indicator.to_string())
    .bind(value)
    .bind(source_title.to_string())
    .bind(source_url)
    .bind(by)
    .bind(now_utc())
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: "performance.value",
            object_kind: "cluster",
            object_ref: cluster.to_string(),
            changes: json!({"year": year, "indicator": indicator, "value": value}),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The programme's view of one year: for each pôle with a current label, each indicator's
/// value (entered, else computed) and its target for the phase.
pub async fn programme(
    db: &Db,
    phase: &str,
    year: i64,
) -> Result<Vec<(String, String, Vec<(String, Option<i64>, Option<i64>)>)>> {
    let poles: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT DISTINCT c.id, c.slug, c.name FROM clusters c JOIN labels l ON l.cluster_id = c.id \
         WHERE l.phase_code = $1 AND l.status IN ('labelled', 'probation') ORDER BY c.name",
    )
    .bind(phase.to_string())
    .fetch_all(&db.pool)
    .await?;
    let mut tx = db.pool.begin().await?;
    let targets: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT cluster_id, indicator, target FROM performance_targets WHERE phase_code = $1",
    )
    .bind(phase.to_string())
    .fetch_all(&mut *tx)
    .await?;
    let entered: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT cluster_id, indicator, value FROM performance_values WHERE year = $1",
    )
    .bind(year)
    .fetch_all(&mut *tx)
    .await?;
    let mut out = Vec::new();
    for (cid, slug, name) in poles {
        let mut row = Vec::new();
        for (ind, _) in INDICATORS {
            let value = match entered.iter().find(|(c, i, _)| *c == cid && i == ind) {
                Some((_, _, v)) => Some(*v),
                None => computed_tx(&mut tx, cid, ind, year).await?,
            };
            let target = targets
                .iter()
                .find(|(c, i, _)| *c == cid && i == ind)
                .map(|(_, _, t)| *t);
            row.push((ind.to_string(), value, target));
        }
        out.push((slug, name, row));
    }
    tx.commit().await?;
    Ok(out)
}
