//! The programme's money, stored: budget lines per funder with what is committed, paid and
//! left; the R&D zones; relief rules and relief records, with the sums the caps are checked
//! against; the regions of a call's projects. Storage only: the use cases (`poles-app`)
//! validate, check the caps with the rules engine and build the optimiser's input.
//!
//! Rows are decoded into row structs of primitive columns (explicit column lists) and
//! converted into the read models: a stored kind or date that does not parse is refused,
//! never defaulted.

use crate::audit::{self, Context, Event};
use crate::error::{Result, StoreError};
use crate::util::{flag, from_row, now_utc, parsed, Cell, Tx};
use crate::Db;
use poles_core::relief::ReliefRules;
use poles_core::status::{FunderKind, MovementKind};
use poles_core::{Date, FieldError};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::{Any, Transaction};
use std::collections::{BTreeMap, HashMap};
use utoipa::ToSchema;

const BUDGETS: &str = include_str!("../../../data/funding/budgets.json");
/// Every shipped version of the relief rules, oldest first. A version once shipped is never
/// edited (a database that stored it refuses to start on a different file): a change of the
/// rules is a new file with the next version.
const RELIEF_RULES: &[&str] = &[
    include_str!("../../../data/relief/rules.json"),
    include_str!("../../../data/relief/rules-v2.json"),
];
const RD_ZONES: &str = include_str!("../../../data/demo/rd_zones.csv");

#[derive(Deserialize)]
struct BudgetsIn {
    lines: Vec<NewLine>,
    movements: Vec<MovementIn>,
    calls: BTreeMap<String, BTreeMap<String, String>>,
}

#[derive(Deserialize)]
struct MovementIn {
    budget: String,
    year: i64,
    kind: MovementKind,
    amount_cents: i64,
    certainty: String,
    source: String,
}

fn parse_rules(body: &str) -> Result<ReliefRules> {
    let r: ReliefRules =
        serde_json::from_str(body).map_err(|e| StoreError::Data(format!("relief rules: {e}")))?;
    r.validate().map_err(StoreError::Data)?;
    Ok(r)
}

/// The latest shipped relief rules, parsed and checked (they are compiled in, so a bad file
/// fails the tests, not a user).
pub fn shipped_rules() -> Result<ReliefRules> {
    let mut all = shipped_versions()?;
    all.pop()
        .ok_or_else(|| StoreError::Data("no relief rules shipped".into()))
}

/// Every shipped version, oldest first, checked to be numbered 1, 2, 3 … in order.
pub fn shipped_versions() -> Result<Vec<ReliefRules>> {
    let all = RELIEF_RULES
        .iter()
        .map(|b| parse_rules(b))
        .collect::<Result<Vec<_>>>()?;
    for (k, r) in all.iter().enumerate() {
        if r.version != k as i64 + 1 {
            return Err(StoreError::Data(format!(
                "relief rules file {} has version {}, expected {}",
                k + 1,
                r.version,
                k + 1
            )));
        }
    }
    Ok(all)
}

/// Stores each shipped relief rules version the database does not have yet; run at every
/// start, so an upgraded database gets new versions without a reload. A stored version that
/// differs from its shipped file refuses the start.
pub async fn ensure_rules(db: &Db) -> Result<()> {
    let versions = shipped_versions()?;
    for (r, body) in versions.iter().zip(RELIEF_RULES) {
        sqlx::query("INSERT INTO relief_rules (id, version, body, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (id, version) DO NOTHING")
            .bind(r.id.clone())
            .bind(r.version)
            .bind(body.to_string())
            .bind(now_utc())
            .execute(&db.pool)
            .await?;
        let stored: String =
            sqlx::query_scalar("SELECT body FROM relief_rules WHERE id = $1 AND version = $2")
                .bind(r.id.clone())
                .bind(r.version)
                .fetch_one(&db.pool)
                .await?;
        if stored != *body {
            return Err(StoreError::Data(format!(
                "the stored relief rules {} v{} differ from the shipped file: a change of the rules needs a new version",
                r.id, r.version
            )));
        }
    }
    Ok(())
}

/// Loads the shipped budgets and R&D zones into a database whose demo was loaded by a
/// version that had none (an upgrade); once, even with several servers starting together.
pub async fn load_if_missing(db: &Db) -> Result<bool> {
    let mut tx = db.pool.begin().await?;
    // Claim first: a write opens SQLite's write lock at once (a read first would fail to
    // upgrade when two servers race).
    let claimed = sqlx::query(
        "INSERT INTO meta (key, value) VALUES ('funding_loaded', $1) ON CONFLICT (key) DO NOTHING",
    )
    .bind(now_utc())
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    let demo: Option<String> =
        sqlx::query_scalar("SELECT value FROM meta WHERE key = 'demo_loaded'")
            .fetch_optional(&mut *tx)
            .await?;
    if !claimed || demo.is_none() {
        tx.rollback().await?;
        return Ok(false);
    }
    load_shipped(&mut tx).await?;
    tx.commit().await?;
    Ok(true)
}

/// Loads the shipped budgets, their historical movements, the calls' budget links and the
/// illustrative R&D zones, inside the demo load's transaction.
pub(crate) async fn load_shipped(tx: &mut impl Tx) -> Result<()> {
    let b: BudgetsIn = serde_json::from_str(BUDGETS)
        .map_err(|e| StoreError::Data(format!("budgets.json: {e}")))?;
    let rows = b
        .lines
        .into_iter()
        .map(|l| {
            vec![
                Cell::from(l.code),
                l.funder.into(),
                l.funder_kind.as_str().into(),
                l.name_fr.into(),
                l.name_en.into(),
                l.programme.into(),
                l.period_start.to_string().into(),
                l.period_end.to_string().into(),
                l.amount_cents.into(),
                l.currency.into(),
                l.certainty.into(),
                l.source.into(),
            ]
        })
        .collect();
    crate::util::insert_batched(
        tx,
        "budget_lines",
        &[
            "code",
            "funder",
            "funder_kind",
            "name_fr",
            "name_en",
            "programme",
            "period_start",
            "period_end",
            "amount_cents",
            "currency",
            "certainty",
            "source",
        ],
        rows,
        "",
    )
    .await?;
    let rows = b
        .movements
        .into_iter()
        .map(|m| {
            vec![
                Cell::from(m.budget),
                m.year.into(),
                m.kind.as_str().into(),
                m.amount_cents.into(),
                m.certainty.into(),
                m.source.into(),
            ]
        })
        .collect();
    crate::util::insert_batched(
        tx,
        "budget_movements",
        &[
            "budget_code",
            "year",
            "kind",
            "amount_cents",
            "certainty",
            "source",
        ],
        rows,
        "",
    )
    .await?;
    for (call, funders) in b.calls {
        for (funder, code) in funders {
            sqlx::query("UPDATE call_funders SET budget_code = $1 WHERE funder = $2 AND call_id = (SELECT id FROM calls WHERE slug = $3)")
                .bind(code)
                .bind(funder)
                .bind(call.clone())
                .execute(&mut **tx)
                .await?;
        }
    }
    let mut rdr = csv::Reader::from_reader(RD_ZONES.as_bytes());
    for rec in rdr.records() {
        let rec = rec.map_err(|e| StoreError::Data(format!("rd_zones.csv: {e}")))?;
        let illustrative = rec[3].parse::<i64>().map_err(|_| {
            StoreError::Data(format!(
                "rd_zones.csv: illustrative {:?} is not 0 or 1",
                &rec[3]
            ))
        })?;
        sqlx::query("INSERT INTO rd_zones (cluster_id, commune_code, illustrative, source) SELECT c.id, $1, $2, $3 FROM clusters c WHERE c.slug = $4 ON CONFLICT DO NOTHING")
            .bind(rec[1].to_string())
            .bind(illustrative)
            .bind(rec[4].to_string())
            .bind(rec[0].to_string())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// The current calendar year (UTC).
pub fn current_year() -> i64 {
    crate::util::today()[..4].parse().unwrap_or(2026)
}

/// The latest relief rules stored.
pub async fn rules(db: &Db) -> Result<ReliefRules> {
    let body: Option<String> = sqlx::query_scalar(
        "SELECT body FROM relief_rules WHERE id = 'relief' ORDER BY version DESC LIMIT 1",
    )
    .fetch_optional(&db.pool)
    .await?;
    match body {
        Some(b) => serde_json::from_str(&b)
            .map_err(|e| StoreError::Data(format!("stored relief rules: {e}"))),
        None => Err(StoreError::NotFound("relief rules")),
    }
}

// ---------------------------------------------------------------- R&D zones

/// A pôle whose R&D zone holds a commune.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ZoneHit {
    pub commune: String,
    pub commune_name: String,
    pub cluster: String,
    pub cluster_name: String,
    /// True when the list is demo data, not the decree's.
    pub illustrative: bool,
    pub source: String,
}

/// The zones holding a commune (INSEE code).
pub async fn zones_of_commune(db: &Db, commune: &str) -> Result<Vec<ZoneHit>> {
    zone_rows(db, "z.commune_code = $1", commune, "c.name, m.name").await
}

/// The zones holding any commune of a postcode.
pub async fn zones_of_postcode(db: &Db, postcode: &str) -> Result<Vec<ZoneHit>> {
    zone_rows(
        db,
        "z.commune_code IN (SELECT commune_code FROM postcodes WHERE postcode = $1)",
        postcode,
        "c.name, m.name",
    )
    .await
}

/// The communes of one pôle's R&D zone.
pub async fn cluster_zone(db: &Db, slug: &str) -> Result<Vec<ZoneHit>> {
    zone_rows(db, "c.slug = $1", slug, "m.name").await
}

struct ZoneRow {
    commune_code: String,
    commune_name: String,
    slug: String,
    name: String,
    illustrative: i64,
    source: String,
}
from_row!(ZoneRow {
    commune_code,
    commune_name,
    slug,
    name,
    illustrative,
    source
});

impl From<ZoneRow> for ZoneHit {
    fn from(r: ZoneRow) -> Self {
        ZoneHit {
            commune: r.commune_code,
            commune_name: r.commune_name,
            cluster: r.slug,
            cluster_name: r.name,
            illustrative: flag(r.illustrative),
            source: r.source,
        }
    }
}

async fn zone_rows(db: &Db, filter: &str, value: &str, order: &str) -> Result<Vec<ZoneHit>> {
    let rows: Vec<ZoneRow> = sqlx::query_as(&format!(
        "SELECT z.commune_code, m.name AS commune_name, c.slug, c.name, z.illustrative, z.source \
         FROM rd_zones z JOIN clusters c ON c.id = z.cluster_id JOIN communes m ON m.code = z.commune_code \
         WHERE {filter} ORDER BY {order}"
    ))
    .bind(value.to_string())
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(ZoneHit::from).collect())
}

// ---------------------------------------------------------------- budgets

#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct YearAmounts {
    pub year: i64,
    pub committed_cents: i64,
    pub paid_cents: i64,
}

/// One budget line: an envelope of one funder over a period, in its own currency.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BudgetLine {
    pub code: String,
    pub funder: String,
    /// `ministry`, `agency`, `region`, `eu` or `other`.
    pub funder_kind: FunderKind,
    pub name_fr: String,
    pub name_en: String,
    pub programme: String,
    pub period_start: Date,
    pub period_end: Date,
    pub amount_cents: i64,
    pub currency: String,
    pub certainty: String,
    pub source: String,
    /// From funding decisions made here and from the sources' recorded movements.
    pub committed_cents: i64,
    pub paid_cents: i64,
    pub available_cents: i64,
    pub by_year: Vec<YearAmounts>,
}

/// Committed amounts grouped by a key (cluster, region, sector).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Breakdown {
    pub key: String,
    pub label: String,
    pub currency: String,
    pub committed_cents: i64,
    pub paid_cents: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FunderTotal {
    pub funder: String,
    pub currency: String,
    pub amount_cents: i64,
    pub committed_cents: i64,
    pub paid_cents: i64,
    pub available_cents: i64,
}

/// One funder's envelope in one call, with what decisions made here committed and paid.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CallEnvelope {
    pub call: String,
    pub call_name_fr: String,
    pub call_name_en: String,
    pub funder: String,
    pub currency: String,
    /// `None` while the officers have not set it.
    pub envelope_cents: Option<i64>,
    pub committed_cents: i64,
    pub paid_cents: i64,
    pub available_cents: Option<i64>,
    pub budget: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BudgetOverview {
    pub lines: Vec<BudgetLine>,
    /// Per call and funder.
    pub by_call: Vec<CallEnvelope>,
    /// Per funder and currency (amounts in different currencies are never added).
    pub by_funder: Vec<FunderTotal>,
    /// Decisions made here, by the lead labelling cluster of the project.
    pub by_cluster: Vec<Breakdown>,
    /// Decisions made here, by the regions of the lead labelling cluster (a cluster of several
    /// regions counts in each, so these do not add up to the total).
    pub by_region: Vec<Breakdown>,
    /// Decisions made here, by the sectors of the lead labelling cluster (each of them).
    pub by_sector: Vec<Breakdown>,
}

/// Live commitments (approved proposals) and payments (paid claims), each with its budget
/// line, year and lead cluster.
const LIVE: &str = "SELECT f.budget_code, f.funder, f.currency, 'committed' AS kind, CAST(SUBSTR(p.validation_date, 1, 4) AS BIGINT) AS year, l.amount_cents, a.id AS application_id \
     FROM funding_lines l JOIN funding_proposals p ON p.id = l.proposal_id JOIN applications a ON a.id = p.application_id \
     JOIN call_funders f ON f.call_id = a.call_id AND f.funder = l.funder WHERE p.status = 'approved' \
     UNION ALL \
     SELECT f.budget_code, f.funder, f.currency, 'paid' AS kind, CAST(SUBSTR(c.paid_on, 1, 4) AS BIGINT) AS year, c.amount_cents, a.id AS application_id \
     FROM payment_claims c JOIN applications a ON a.id = c.application_id \
     JOIN call_funders f ON f.call_id = a.call_id AND f.funder = c.funder WHERE c.status = 'paid'";

struct BudgetLineRow {
    code: String,
    funder: String,
    funder_kind: String,
    name_fr: String,
    name_en: String,
    programme: String,
    period_start: String,
    period_end: String,
    amount_cents: i64,
    currency: String,
    certainty: String,
    source: String,
}
from_row!(BudgetLineRow {
    code,
    funder,
    funder_kind,
    name_fr,
    name_en,
    programme,
    period_start,
    period_end,
    amount_cents,
    currency,
    certainty,
    source
});

struct MovementRow {
    budget_code: String,
    kind: String,
    year: i64,
    amount_cents: i64,
}
from_row!(MovementRow {
    budget_code,
    kind,
    year,
    amount_cents
});

struct BreakdownRow {
    key: String,
    label: String,
    currency: String,
    committed: i64,
    paid: i64,
}
from_row!(BreakdownRow {
    key,
    label,
    currency,
    committed,
    paid
});

impl From<BreakdownRow> for Breakdown {
    fn from(r: BreakdownRow) -> Self {
        Breakdown {
            key: r.key,
            label: r.label,
            currency: r.currency,
            committed_cents: r.committed,
            paid_cents: r.paid,
        }
    }
}

struct LiveSumRow {
    call_id: i64,
    funder: String,
    kind: String,
    total: i64,
}
from_row!(LiveSumRow {
    call_id,
    funder,
    kind,
    total
});

struct CallFunderRow {
    id: i64,
    slug: String,
    name_fr: String,
    name_en: String,
    funder: String,
    currency: String,
    envelope_cents: Option<i64>,
    budget_code: Option<String>,
}
from_row!(CallFunderRow {
    id,
    slug,
    name_fr,
    name_en,
    funder,
    currency,
    envelope_cents,
    budget_code
});

pub async fn budgets(db: &Db) -> Result<BudgetOverview> {
    let lines: Vec<BudgetLineRow> = sqlx::query_as(
        "SELECT code, funder, funder_kind, name_fr, name_en, programme, period_start, period_end, \
           amount_cents, currency, certainty, source \
         FROM budget_lines ORDER BY period_start, funder, code",
    )
    .fetch_all(&db.pool)
    .await?;
    let moves: Vec<MovementRow> = sqlx::query_as(&format!(
        "SELECT budget_code, kind, year, amount_cents FROM budget_movements \
         UNION ALL SELECT budget_code, kind, year, amount_cents FROM ({LIVE}) live WHERE budget_code IS NOT NULL"
    ))
    .fetch_all(&db.pool)
    .await?;
    let mut per: BTreeMap<String, BTreeMap<i64, YearAmounts>> = BTreeMap::new();
    for m in moves {
        let kind = parsed::<MovementKind>(m.kind)?;
        let e = per
            .entry(m.budget_code)
            .or_default()
            .entry(m.year)
            .or_insert(YearAmounts {
                year: m.year,
                ..Default::default()
            });
        match kind {
            MovementKind::Paid => e.paid_cents += m.amount_cents,
            MovementKind::Committed => e.committed_cents += m.amount_cents,
        }
    }
    let mut out = Vec::new();
    for l in lines {
        let by_year: Vec<YearAmounts> = per
            .remove(&l.code)
            .unwrap_or_default()
            .into_values()
            .collect();
        let committed: i64 = by_year.iter().map(|y| y.committed_cents).sum();
        let paid: i64 = by_year.iter().map(|y| y.paid_cents).sum();
        out.push(BudgetLine {
            code: l.code,
            funder: l.funder,
            funder_kind: parsed(l.funder_kind)?,
            name_fr: l.name_fr,
            name_en: l.name_en,
            programme: l.programme,
            period_start: parsed(l.period_start)?,
            period_end: parsed(l.period_end)?,
            amount_cents: l.amount_cents,
            currency: l.currency,
            certainty: l.certainty,
            source: l.source,
            committed_cents: committed,
            paid_cents: paid,
            available_cents: l.amount_cents - committed,
            by_year,
        });
    }
    let mut funders: BTreeMap<(String, String), FunderTotal> = BTreeMap::new();
    for l in &out {
        let f = funders
            .entry((l.funder.clone(), l.currency.clone()))
            .or_insert(FunderTotal {
                funder: l.funder.clone(),
                currency: l.currency.clone(),
                amount_cents: 0,
                committed_cents: 0,
                paid_cents: 0,
                available_cents: 0,
            });
        f.amount_cents += l.amount_cents;
        f.committed_cents += l.committed_cents;
        f.paid_cents += l.paid_cents;
        f.available_cents += l.available_cents;
    }
    let breakdown = |sql: String| async move {
        let rows: Vec<BreakdownRow> = sqlx::query_as(&sql).fetch_all(&db.pool).await?;
        Ok::<_, StoreError>(rows.into_iter().map(Breakdown::from).collect::<Vec<_>>())
    };
    // The breakdowns are dashboards: the demo's fictional calls stay out of them (the lines'
    // consumption above counts every decision, as the envelopes do).
    let lead = "JOIN applications fa ON fa.id = live.application_id JOIN calls fc ON fc.id = fa.call_id AND fc.fictional = 0 \
                JOIN labelling_requests lr ON lr.application_id = live.application_id AND lr.lead = 1 JOIN clusters c ON c.id = lr.cluster_id";
    let sums = "CAST(SUM(CASE WHEN live.kind = 'committed' THEN live.amount_cents ELSE 0 END) AS BIGINT) AS committed, \
                CAST(SUM(CASE WHEN live.kind = 'paid' THEN live.amount_cents ELSE 0 END) AS BIGINT) AS paid";
    let by_cluster = breakdown(format!(
        "SELECT c.slug AS key, CAST(c.name AS TEXT) AS label, live.currency, {sums} FROM ({LIVE}) live {lead} GROUP BY c.slug, c.name, live.currency ORDER BY committed DESC"
    ))
    .await?;
    let by_region = breakdown(format!(
        "SELECT g.code AS key, CAST(g.name AS TEXT) AS label, live.currency, {sums} FROM ({LIVE}) live {lead} \
         JOIN cluster_regions cr ON cr.cluster_id = c.id JOIN regions g ON g.code = cr.region_code GROUP BY g.code, g.name, live.currency ORDER BY committed DESC"
    ))
    .await?;
    let by_sector = breakdown(format!(
        "SELECT t.code AS key, CAST(t.name_en AS TEXT) AS label, live.currency, {sums} FROM ({LIVE}) live {lead} \
         JOIN cluster_sectors cs ON cs.cluster_id = c.id JOIN sectors t ON t.code = cs.sector_code GROUP BY t.code, t.name_en, live.currency ORDER BY committed DESC"
    ))
    .await?;
    // Decisions and payments per call and funder, summed once.
    let sums: Vec<LiveSumRow> = sqlx::query_as(&format!(
        "SELECT a.call_id, live.funder, live.kind, CAST(SUM(live.amount_cents) AS BIGINT) AS total \
         FROM ({LIVE}) live JOIN applications a ON a.id = live.application_id GROUP BY a.call_id, live.funder, live.kind"
    ))
    .fetch_all(&db.pool)
    .await?;
    let mut live: HashMap<(i64, String, MovementKind), i64> = HashMap::new();
    for r in sums {
        live.insert((r.call_id, r.funder, parsed(r.kind)?), r.total);
    }
    let call_funders: Vec<CallFunderRow> = sqlx::query_as(
        "SELECT c.id, c.slug, c.name_fr, c.name_en, f.funder, f.currency, f.envelope_cents, f.budget_code \
         FROM call_funders f JOIN calls c ON c.id = f.call_id ORDER BY c.slug, f.funder DESC",
    )
    .fetch_all(&db.pool)
    .await?;
    let by_call = call_funders
        .into_iter()
        .map(|r| {
            let sum = |kind: MovementKind| {
                live.get(&(r.id, r.funder.clone(), kind))
                    .copied()
                    .unwrap_or(0)
            };
            let committed = sum(MovementKind::Committed);
            let paid = sum(MovementKind::Paid);
            CallEnvelope {
                call: r.slug,
                call_name_fr: r.name_fr,
                call_name_en: r.name_en,
                currency: r.currency,
                envelope_cents: r.envelope_cents,
                committed_cents: committed,
                paid_cents: paid,
                available_cents: r.envelope_cents.map(|e| e - committed),
                budget: r.budget_code,
                funder: r.funder,
            }
        })
        .collect();
    Ok(BudgetOverview {
        lines: out,
        by_call,
        by_funder: funders.into_values().collect(),
        by_cluster,
        by_region,
        by_sector,
    })
}

/// A budget line to store: one funder's envelope over a period, in its currency, with its
/// source. Read from the shipped file as it is, and from officers' entries once the use case
/// has checked them.
#[derive(Debug, Clone, Deserialize)]
pub struct NewLine {
    pub code: String,
    pub funder: String,
    pub funder_kind: FunderKind,
    pub name_fr: String,
    pub name_en: String,
    pub programme: String,
    pub period_start: Date,
    pub period_end: Date,
    pub amount_cents: i64,
    pub currency: String,
    pub certainty: String,
    pub source: String,
}

/// Adds a budget line, audited; its funder, names, programme and source are stored trimmed.
/// A code already used is refused (under the write lock).
pub async fn add_line(db: &Db, ctx: &Context, l: &NewLine) -> Result<()> {
    let mut tx = audit::begin_write(db).await?;
    let n = sqlx::query("INSERT INTO budget_lines (code, funder, funder_kind, name_fr, name_en, programme, period_start, period_end, amount_cents, currency, certainty, source) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (code) DO NOTHING")
        .bind(l.code.clone())
        .bind(l.funder.trim().to_string())
        .bind(l.funder_kind.as_str())
        .bind(l.name_fr.trim().to_string())
        .bind(l.name_en.trim().to_string())
        .bind(l.programme.trim().to_string())
        .bind(l.period_start.to_string())
        .bind(l.period_end.to_string())
        .bind(l.amount_cents)
        .bind(l.currency.clone())
        .bind(l.certainty.clone())
        .bind(l.source.trim().to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(FieldError::new("code", "is already used").into());
    }
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: "budget.line_add",
            object_kind: "budget_line",
            object_ref: l.code.clone(),
            changes: json!({"funder": l.funder, "period": [l.period_start, l.period_end], "amount_cents": l.amount_cents, "currency": l.currency}),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Refuses a commitment that would overspend the budget line a call's funder draws on.
/// Runs inside the approval's write transaction, so two approvals cannot both pass.
/// `on` is the decision's date, `YYYY-MM-DD`.
pub(crate) async fn check_budget(
    tx: &mut impl Tx,
    code: &str,
    currency: &str,
    amount: i64,
    on: &str,
) -> Result<()> {
    let r = line_state(&mut **tx, code).await?;
    if r.currency != currency {
        return Err(FieldError::new(
            "budget",
            format!("the budget line {code} is in {}, the call's envelope in {currency}: amounts are never converted", r.currency),
        )
        .into());
    }
    let day = Date::parse("on", on)?;
    if day < r.period_start || day > r.period_end {
        return Err(FieldError::new(
            "budget",
            format!(
                "the budget line {code} covers {} to {}: a decision of {on} cannot draw on it",
                r.period_start, r.period_end
            ),
        )
        .into());
    }
    let (total, committed) = (r.amount_cents, r.committed);
    if committed + amount > total {
        return Err(FieldError::new(
            "budget",
            format!("the budget line {code} would be overspent: {committed} committed + {amount} proposed > {total} (cents)"),
        )
        .into());
    }
    Ok(())
}

/// What a budget line has left: its amount less recorded and live commitments.
pub async fn line_available(db: &Db, code: &str) -> Result<i64> {
    let r = line_state(&db.pool, code).await?;
    Ok(r.amount_cents - r.committed)
}

struct LineStateRow {
    amount_cents: i64,
    currency: String,
    period_start: String,
    period_end: String,
    committed: i64,
}
from_row!(LineStateRow {
    amount_cents,
    currency,
    period_start,
    period_end,
    committed
});

/// A budget line's amount, currency and period, with what is committed on it.
struct LineState {
    amount_cents: i64,
    currency: String,
    period_start: Date,
    period_end: Date,
    committed: i64,
}

impl TryFrom<LineStateRow> for LineState {
    type Error = StoreError;

    fn try_from(r: LineStateRow) -> Result<Self> {
        Ok(LineState {
            amount_cents: r.amount_cents,
            currency: r.currency,
            period_start: parsed(r.period_start)?,
            period_end: parsed(r.period_end)?,
            committed: r.committed,
        })
    }
}

/// A budget line with what is committed on it: recorded movements and live decisions.
async fn line_state<'e>(
    e: impl sqlx::Executor<'e, Database = Any>,
    code: &str,
) -> Result<LineState> {
    sqlx::query_as::<_, LineStateRow>(&format!(
        "SELECT b.amount_cents, b.currency, b.period_start, b.period_end, \
           CAST(COALESCE((SELECT SUM(m.amount_cents) FROM budget_movements m WHERE m.budget_code = b.code AND m.kind = 'committed'), 0) \
              + COALESCE((SELECT SUM(live.amount_cents) FROM ({LIVE}) live WHERE live.budget_code = b.code AND live.kind = 'committed'), 0) AS BIGINT) AS committed \
         FROM budget_lines b WHERE b.code = $1"
    ))
    .bind(code.to_string())
    .fetch_optional(e)
    .await?
    .ok_or(StoreError::NotFound("budget line"))?
    .try_into()
}

/// Checks a budget line exists and has the currency of the call's envelope.
pub(crate) async fn check_link(tx: &mut impl Tx, code: &str, currency: &str) -> Result<()> {
    let c: Option<String> = sqlx::query_scalar("SELECT currency FROM budget_lines WHERE code = $1")
        .bind(code.to_string())
        .fetch_optional(&mut **tx)
        .await?;
    match c {
        None => Err(FieldError::new("budget", format!("no budget line {code}")).into()),
        Some(c) if c != currency => Err(FieldError::new(
            "budget",
            format!("the budget line {code} is in {c}, the envelope in {currency}"),
        )
        .into()),
        Some(_) => Ok(()),
    }
}

// ---------------------------------------------------------------- relief records and caps

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReliefRecord {
    pub id: i64,
    pub organisation_id: i64,
    pub organisation: String,
    pub scheme: String,
    pub family: String,
    pub year: i64,
    pub granted_on: Date,
    pub amount_cents: i64,
    pub currency: String,
    pub application_id: Option<i64>,
    pub note: Option<String>,
    pub recorded_at: String,
}

/// A relief record to store, checked by the use case (in EUR).
#[derive(Debug, Clone)]
pub struct NewRecord {
    pub organisation_id: i64,
    pub scheme: String,
    /// The scheme's family (`tax`, `social`) under the rules in force.
    pub family: String,
    /// The year the relief counts in (that of `granted_on`).
    pub year: i64,
    pub granted_on: Date,
    pub amount_cents: i64,
    pub application_id: Option<i64>,
    pub note: Option<String>,
}

/// Sum of the records of some schemes in a window of years, for everyone or one company.
async fn used(
    tx: &mut impl Tx,
    schemes: &[String],
    from: i64,
    to: i64,
    organisation: Option<i64>,
) -> Result<i64> {
    if schemes.is_empty() {
        return Ok(0);
    }
    let placeholders: Vec<String> = (0..schemes.len()).map(|k| format!("${}", k + 4)).collect();
    let sql = format!(
        "SELECT CAST(COALESCE(SUM(amount_cents), 0) AS BIGINT) FROM relief_records WHERE year BETWEEN $1 AND $2 \
         AND ($3 < 0 OR organisation_id = $3) AND scheme IN ({})",
        placeholders.join(", ")
    );
    let mut q = sqlx::query_scalar::<_, i64>(&sql)
        .bind(from)
        .bind(to)
        .bind(organisation.unwrap_or(-1));
    for sc in schemes {
        q = q.bind(sc.clone());
    }
    Ok(q.fetch_one(&mut **tx).await?)
}

async fn organisation_name(tx: &mut impl Tx, organisation: i64) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT name FROM organisations WHERE id = $1")
            .bind(organisation)
            .fetch_optional(&mut **tx)
            .await?,
    )
}

/// One consistent view of the relief records, for reading what every cap has used: all
/// the sums of one answer come from the same snapshot.
pub struct ReliefSnapshot {
    tx: Transaction<'static, Any>,
}

/// Opens a read snapshot of the relief records (SQLite's read transaction already is one;
/// PostgreSQL's is made repeatable read).
pub async fn relief_snapshot(db: &Db) -> Result<ReliefSnapshot> {
    let mut tx = db.pool.begin().await?;
    if db.backend == crate::Backend::Postgres {
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await?;
    }
    Ok(ReliefSnapshot { tx })
}

impl ReliefSnapshot {
    /// Sum of the records of `schemes` granted in the years `from..=to`, for everyone or
    /// one company (0 when no scheme is given).
    pub async fn used(
        &mut self,
        schemes: &[String],
        from: i64,
        to: i64,
        organisation: Option<i64>,
    ) -> Result<i64> {
        used(&mut self.tx, schemes, from, to, organisation).await
    }

    /// An organisation's name, if it exists.
    pub async fn organisation_name(&mut self, organisation: i64) -> Result<Option<String>> {
        organisation_name(&mut self.tx, organisation).await
    }

    /// The companies with records in the years `from..=to` (id, name), by name, at most 200.
    pub async fn companies_with_records(
        &mut self,
        from: i64,
        to: i64,
    ) -> Result<Vec<(i64, String)>> {
        Ok(sqlx::query_as("SELECT DISTINCT r.organisation_id, o.name FROM relief_records r JOIN organisations o ON o.id = r.organisation_id WHERE r.year BETWEEN $1 AND $2 ORDER BY o.name LIMIT 200")
            .bind(from)
            .bind(to)
            .fetch_all(&mut *self.tx)
            .await?)
    }

    /// Ends the snapshot.
    pub async fn end(self) -> Result<()> {
        self.tx.rollback().await?;
        Ok(())
    }
}

/// A relief record being written. It holds the audited write lock from [`begin_record`]
/// to [`ReliefWrite::insert`], so that what the caps have used, read through it, cannot
/// change before the record is inserted: the use case checks every cap with the rules
/// engine in between, and two concurrent records can never both slip under a cap.
/// Dropped without inserting, it writes nothing.
pub struct ReliefWrite {
    tx: audit::WriteTx,
}

/// Takes the write lock (see [`audit::begin_write`]) for recording relief.
pub async fn begin_record(db: &Db) -> Result<ReliefWrite> {
    Ok(ReliefWrite {
        tx: audit::begin_write(db).await?,
    })
}

impl ReliefWrite {
    /// An organisation's name, if it exists.
    pub async fn organisation_name(&mut self, organisation: i64) -> Result<Option<String>> {
        organisation_name(&mut self.tx, organisation).await
    }

    /// Whether an organisation is a partner of an application.
    pub async fn is_partner(&mut self, application: i64, organisation: i64) -> Result<bool> {
        Ok(sqlx::query(
            "SELECT 1 FROM application_partners WHERE application_id = $1 AND organisation_id = $2",
        )
        .bind(application)
        .bind(organisation)
        .fetch_optional(&mut *self.tx)
        .await?
        .is_some())
    }

    /// Sum of the records of `schemes` granted in the years `from..=to`, for everyone or
    /// one company, as it stands under the lock.
    pub async fn used(
        &mut self,
        schemes: &[String],
        from: i64,
        to: i64,
        organisation: Option<i64>,
    ) -> Result<i64> {
        used(&mut self.tx, schemes, from, to, organisation).await
    }

    /// Inserts the record (in EUR) with its audit row and commits: the lock ends here.
    /// `organisation` is the company's name, for the answer.
    pub async fn insert(
        mut self,
        ctx: &Context,
        r: &NewRecord,
        organisation: String,
    ) -> Result<ReliefRecord> {
        let at = now_utc();
        let id: i64 = sqlx::query_scalar("INSERT INTO relief_records (organisation_id, scheme, family, year, granted_on, amount_cents, currency, application_id, note, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, 'EUR', $7, $8, $9, $10) RETURNING id")
            .bind(r.organisation_id)
            .bind(r.scheme.clone())
            .bind(r.family.clone())
            .bind(r.year)
            .bind(r.granted_on.to_string())
            .bind(r.amount_cents)
            .bind(r.application_id)
            .bind(r.note.clone())
            .bind(ctx.actor_id)
            .bind(at.clone())
            .fetch_one(&mut *self.tx)
            .await?;
        audit::append(
            &mut self.tx,
            ctx,
            Event {
                action: "relief.record",
                object_kind: "organisation",
                object_ref: r.organisation_id.to_string(),
                changes: json!({"record": id, "scheme": r.scheme, "granted_on": r.granted_on, "amount_cents": r.amount_cents, "application_id": r.application_id}),
                reason: r.note.clone(),
            },
        )
        .await?;
        self.tx.commit().await?;
        Ok(ReliefRecord {
            id,
            organisation_id: r.organisation_id,
            organisation,
            scheme: r.scheme.clone(),
            family: r.family.clone(),
            year: r.year,
            granted_on: r.granted_on,
            amount_cents: r.amount_cents,
            currency: "EUR".into(),
            application_id: r.application_id,
            note: r.note.clone(),
            recorded_at: at,
        })
    }
}

struct ReliefRecordRow {
    id: i64,
    organisation_id: i64,
    organisation: String,
    scheme: String,
    family: String,
    year: i64,
    granted_on: String,
    amount_cents: i64,
    currency: String,
    application_id: Option<i64>,
    note: Option<String>,
    recorded_at: String,
}
from_row!(ReliefRecordRow {
    id,
    organisation_id,
    organisation,
    scheme,
    family,
    year,
    granted_on,
    amount_cents,
    currency,
    application_id,
    note,
    recorded_at
});

impl TryFrom<ReliefRecordRow> for ReliefRecord {
    type Error = StoreError;

    fn try_from(r: ReliefRecordRow) -> Result<Self> {
        Ok(ReliefRecord {
            id: r.id,
            organisation_id: r.organisation_id,
            organisation: r.organisation,
            scheme: r.scheme,
            family: r.family,
            year: r.year,
            granted_on: parsed(r.granted_on)?,
            amount_cents: r.amount_cents,
            currency: r.currency,
            application_id: r.application_id,
            note: r.note,
            recorded_at: r.recorded_at,
        })
    }
}

/// Relief records, newest first, for one company or all.
pub async fn records(db: &Db, organisation: Option<i64>, limit: i64) -> Result<Vec<ReliefRecord>> {
    sqlx::query_as::<_, ReliefRecordRow>(
        "SELECT r.id, r.organisation_id, o.name AS organisation, r.scheme, r.family, r.year, r.granted_on, \
           r.amount_cents, r.currency, r.application_id, r.note, r.recorded_at \
         FROM relief_records r JOIN organisations o ON o.id = r.organisation_id \
         WHERE ($1 < 0 OR r.organisation_id = $1) ORDER BY r.id DESC LIMIT $2",
    )
    .bind(organisation.unwrap_or(-1))
    .bind(limit.clamp(1, 1000))
    .fetch_all(&db.pool)
    .await?
    .into_iter()
    .map(TryFrom::try_from)
    .collect()
}

/// Relief recorded per scheme and year (for the chart; the demo's fictional organisations left out).
pub async fn relief_by_scheme_year(db: &Db) -> Result<Vec<(String, i64, i64)>> {
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT r.scheme, r.year, CAST(SUM(r.amount_cents) AS BIGINT) FROM relief_records r \
         JOIN organisations o ON o.id = r.organisation_id WHERE o.fictional = 0 \
         GROUP BY r.scheme, r.year ORDER BY r.year, r.scheme",
    )
    .fetch_all(&db.pool)
    .await?;
    Ok(rows)
}

// ---------------------------------------------------------------- the optimiser's regions

/// The regions where the R&D of a call's submitted projects is done (code, name): the
/// regions whose share an officer may want to bound with an envelope of its own.
pub async fn call_regions(db: &Db, call: &str) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT DISTINCT cm.region_code, CAST(g.name AS TEXT) FROM application_partners p \
         JOIN applications a ON a.id = p.application_id JOIN calls c ON c.id = a.call_id \
         JOIN communes cm ON cm.code = p.rd_commune JOIN regions g ON g.code = cm.region_code \
         WHERE c.slug = $1 AND a.status = 'submitted' ORDER BY cm.region_code",
    )
    .bind(call.to_string())
    .fetch_all(&db.pool)
    .await?)
}
