//! Calls for projects and their rule sets, stored. Storage only: who may open or change a
//! call, and whether what they send is valid, is decided by the use-case layer; the guards
//! that must hold under the write lock (a rule set checked against a submission never
//! changes, criteria already scored against stay) are kept here.

use crate::error::{Result, StoreError};
use crate::util::{flag, from_row, now_utc, parsed, parsed_opt, Cell, Tx};
use crate::Db;
use poles_core::calls::RuleSet;
use poles_core::model::{Call, CallFunder, Criterion};
use poles_core::{Currency, Date, Money};
use serde::Deserialize;

const RULE_SETS: &[&str] = &[
    include_str!("../../../data/calls/rulesets/fui-2007.json"),
    include_str!("../../../data/calls/rulesets/fui-25-2018.json"),
];
const CALLS: &str = include_str!("../../../data/calls/calls.json");

#[derive(Deserialize)]
struct FunderIn {
    funder: String,
    envelope_cents: Option<i64>,
    currency: String,
    source: String,
}

#[derive(Deserialize)]
struct CriterionIn {
    name_fr: String,
    name_en: String,
    weight_bp: i64,
}

#[derive(Deserialize)]
struct CallIn {
    slug: String,
    name_fr: String,
    name_en: String,
    programme: String,
    opens_on: Option<Date>,
    deadline: Option<Date>,
    decision_on: Option<Date>,
    rule_set: String,
    funders: Vec<FunderIn>,
    criteria: Vec<CriterionIn>,
    source: String,
}

/// Loads the shipped historical rule sets and calls (`data/calls`).
pub(crate) async fn load_shipped(tx: &mut impl Tx) -> Result<()> {
    for body in RULE_SETS {
        let rules: RuleSet =
            serde_json::from_str(body).map_err(|e| StoreError::Data(format!("rule set: {e}")))?;
        sqlx::query("INSERT INTO rule_sets (id, version, name, body, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(rules.id.clone())
            .bind(rules.version)
            .bind(rules.name.clone())
            .bind(body.to_string())
            .bind(now_utc())
            .execute(&mut **tx)
            .await?;
    }
    let calls: Vec<CallIn> =
        serde_json::from_str(CALLS).map_err(|e| StoreError::Data(format!("calls.json: {e}")))?;
    for c in calls {
        let id: i64 = sqlx::query_scalar("INSERT INTO calls (slug, name_fr, name_en, programme, opens_on, deadline, decision_on, rule_set_id, source) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")
            .bind(c.slug)
            .bind(c.name_fr)
            .bind(c.name_en)
            .bind(c.programme)
            .bind(c.opens_on.map(|d| d.to_string()))
            .bind(c.deadline.map(|d| d.to_string()))
            .bind(c.decision_on.map(|d| d.to_string()))
            .bind(c.rule_set)
            .bind(c.source)
            .fetch_one(&mut **tx)
            .await?;
        let rows = c
            .funders
            .into_iter()
            .map(|f| {
                vec![
                    Cell::from(id),
                    f.funder.into(),
                    f.envelope_cents.into(),
                    f.currency.into(),
                    f.source.into(),
                ]
            })
            .collect();
        crate::util::insert_batched(
            tx,
            "call_funders",
            &["call_id", "funder", "envelope_cents", "currency", "source"],
            rows,
            "",
        )
        .await?;
        let rows = c
            .criteria
            .into_iter()
            .enumerate()
            .map(|(k, cr)| {
                vec![
                    Cell::from(id),
                    (k as i64 + 1).into(),
                    cr.name_fr.into(),
                    cr.name_en.into(),
                    cr.weight_bp.into(),
                ]
            })
            .collect();
        crate::util::insert_batched(
            tx,
            "call_criteria",
            &["call_id", "position", "name_fr", "name_en", "weight_bp"],
            rows,
            "",
        )
        .await?;
    }
    Ok(())
}

struct CallRow {
    id: i64,
    slug: String,
    name_fr: String,
    name_en: String,
    programme: String,
    opens_on: Option<String>,
    deadline: Option<String>,
    decision_on: Option<String>,
    source: String,
    body: String,
    frozen: i64,
    fictional: i64,
}
from_row!(CallRow {
    id,
    slug,
    name_fr,
    name_en,
    programme,
    opens_on,
    deadline,
    decision_on,
    source,
    body,
    frozen,
    fictional
});

struct CallFunderRow {
    funder: String,
    envelope_cents: Option<i64>,
    currency: String,
    source: String,
    budget_code: Option<String>,
}
from_row!(CallFunderRow {
    funder,
    envelope_cents,
    currency,
    source,
    budget_code
});

impl TryFrom<CallFunderRow> for CallFunder {
    type Error = StoreError;

    fn try_from(r: CallFunderRow) -> Result<Self> {
        let currency = parsed::<Currency>(r.currency)?;
        Ok(CallFunder {
            funder: r.funder,
            envelope: r.envelope_cents.map(|cents| Money { cents, currency }),
            source: r.source,
            budget: r.budget_code,
        })
    }
}

struct CriterionRow {
    position: i64,
    name_fr: String,
    name_en: String,
    weight_bp: i64,
}
from_row!(CriterionRow {
    position,
    name_fr,
    name_en,
    weight_bp
});

impl From<CriterionRow> for Criterion {
    fn from(r: CriterionRow) -> Self {
        Criterion {
            position: r.position,
            name_fr: r.name_fr,
            name_en: r.name_en,
            weight_bp: r.weight_bp,
        }
    }
}

/// A stored rule set, which must parse.
fn rule_set(body: &str) -> Result<RuleSet> {
    serde_json::from_str(body).map_err(|e| StoreError::Data(format!("stored rule set: {e}")))
}

async fn build(db: &Db, r: CallRow) -> Result<Call> {
    let rule_set = rule_set(&r.body)?;
    let funders = sqlx::query_as::<_, CallFunderRow>("SELECT funder, envelope_cents, currency, source, budget_code FROM call_funders WHERE call_id = $1 ORDER BY funder DESC")
        .bind(r.id)
        .fetch_all(&db.pool)
        .await?
        .into_iter()
        .map(CallFunder::try_from)
        .collect::<Result<Vec<_>>>()?;
    let criteria = sqlx::query_as::<_, CriterionRow>("SELECT position, name_fr, name_en, weight_bp FROM call_criteria WHERE call_id = $1 ORDER BY position")
        .bind(r.id)
        .fetch_all(&db.pool)
        .await?
        .into_iter()
        .map(Criterion::from)
        .collect();
    Ok(Call {
        slug: r.slug,
        name_fr: r.name_fr,
        name_en: r.name_en,
        programme: r.programme,
        opens_on: parsed_opt(r.opens_on)?,
        deadline: parsed_opt(r.deadline)?,
        decision_on: parsed_opt(r.decision_on)?,
        rule_set,
        rule_set_frozen: flag(r.frozen),
        funders,
        criteria,
        source: r.source,
        fictional: flag(r.fictional),
    })
}

const SELECT: &str = "SELECT c.id, c.slug, c.name_fr, c.name_en, c.programme, c.opens_on, c.deadline, c.decision_on, c.source, r.body, r.frozen, c.fictional \
     FROM calls c JOIN rule_sets r ON r.id = c.rule_set_id";

pub async fn list(db: &Db) -> Result<Vec<Call>> {
    let rows = sqlx::query_as::<_, CallRow>(&format!("{SELECT} ORDER BY c.id"))
        .fetch_all(&db.pool)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(build(db, r).await?);
    }
    Ok(out)
}

pub async fn get(db: &Db, slug: &str) -> Result<Option<Call>> {
    match sqlx::query_as::<_, CallRow>(&format!("{SELECT} WHERE c.slug = $1"))
        .bind(slug.to_string())
        .fetch_optional(&db.pool)
        .await?
    {
        Some(r) => Ok(Some(build(db, r).await?)),
        None => Ok(None),
    }
}

/// A new call as checked by the use case, its rule set, funders and criteria copied from an
/// earlier call.
#[derive(Debug, Clone)]
pub struct CallDraft {
    pub slug: String,
    pub name_fr: String,
    pub name_en: String,
    pub programme: String,
    pub opens_on: Option<Date>,
    pub deadline: Option<Date>,
    pub decision_on: Option<Date>,
    /// The earlier call whose rule set, funders and criteria are copied.
    pub from_call: String,
    pub source: String,
}

/// Opens a call from an earlier one: its rule set (renamed `<slug>-v1`), funders (without
/// envelopes) and criteria are copied.
pub async fn create(db: &Db, ctx: &crate::audit::Context, c: &CallDraft) -> Result<()> {
    let (opens, deadline, decision) = (
        c.opens_on.map(|d| d.to_string()),
        c.deadline.map(|d| d.to_string()),
        c.decision_on.map(|d| d.to_string()),
    );
    let mut tx = crate::audit::begin_write(db).await?;
    let (from_id, from_body) = sqlx::query_as::<_, (i64, String)>("SELECT c.id, r.body FROM calls c JOIN rule_sets r ON r.id = c.rule_set_id WHERE c.slug = $1")
        .bind(c.from_call.clone())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| poles_core::FieldError::new("from_call", "no such call"))?;
    if sqlx::query("SELECT 1 FROM calls WHERE slug = $1")
        .bind(c.slug.clone())
        .fetch_optional(&mut *tx)
        .await?
        .is_some()
    {
        return Err(poles_core::FieldError::new("slug", "is already used").into());
    }
    let mut rules = rule_set(&from_body)?;
    rules.id = format!("{}-v1", c.slug);
    rules.version = 1;
    rules.name = c.name_en.clone();
    let body = serde_json::to_string(&rules).map_err(|e| StoreError::Data(e.to_string()))?;
    sqlx::query(
        "INSERT INTO rule_sets (id, version, name, body, created_at) VALUES ($1, 1, $2, $3, $4)",
    )
    .bind(rules.id.clone())
    .bind(rules.name.clone())
    .bind(body)
    .bind(now_utc())
    .execute(&mut *tx)
    .await?;
    let id: i64 = sqlx::query_scalar("INSERT INTO calls (slug, name_fr, name_en, programme, opens_on, deadline, decision_on, rule_set_id, source) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")
        .bind(c.slug.clone()).bind(c.name_fr.clone()).bind(c.name_en.clone()).bind(c.programme.clone())
        .bind(opens).bind(deadline.clone()).bind(decision).bind(rules.id.clone()).bind(c.source.clone())
        .fetch_one(&mut *tx).await?;
    sqlx::query("INSERT INTO call_funders (call_id, funder, envelope_cents, currency, source) SELECT $1, funder, NULL, currency, source FROM call_funders WHERE call_id = $2")
        .bind(id).bind(from_id).execute(&mut *tx).await?;
    sqlx::query("INSERT INTO call_criteria (call_id, position, name_fr, name_en, weight_bp) SELECT $1, position, name_fr, name_en, weight_bp FROM call_criteria WHERE call_id = $2")
        .bind(id).bind(from_id).execute(&mut *tx).await?;
    crate::audit::append(&mut tx, ctx, crate::audit::Event {
        action: "call.create",
        object_kind: "call",
        object_ref: c.slug.clone(),
        changes: serde_json::json!({"from_call": c.from_call, "rule_set": rules.id, "deadline": deadline}),
        reason: None,
    }).await?;
    tx.commit().await?;
    Ok(())
}

/// Replaces a call's rule set while no submitted project was checked against it; after
/// that it never changes.
pub async fn put_rule_set(
    db: &Db,
    ctx: &crate::audit::Context,
    call: &str,
    rules: &RuleSet,
) -> Result<()> {
    let mut tx = crate::audit::begin_write(db).await?;
    let (id, frozen, before) = sqlx::query_as::<_, (String, i64, String)>("SELECT r.id, r.frozen, r.body FROM calls c JOIN rule_sets r ON r.id = c.rule_set_id WHERE c.slug = $1")
        .bind(call.to_string())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound("call"))?;
    if flag(frozen) {
        return Err(poles_core::FieldError::new(
            "rule_set",
            "a project was checked against it: it can no longer change",
        )
        .into());
    }
    let before: serde_json::Value = serde_json::from_str(&before)
        .map_err(|e| StoreError::Data(format!("stored rule set: {e}")))?;
    let mut stored = rules.clone();
    stored.id = id.clone();
    let body = serde_json::to_string(&stored).map_err(|e| StoreError::Data(e.to_string()))?;
    sqlx::query("UPDATE rule_sets SET body = $1, name = $2 WHERE id = $3")
        .bind(body.clone())
        .bind(stored.name.clone())
        .bind(id.clone())
        .execute(&mut *tx)
        .await?;
    crate::audit::append(
        &mut tx,
        ctx,
        crate::audit::Event {
            action: "call.rule_set",
            object_kind: "call",
            object_ref: call.to_string(),
            changes: serde_json::json!({"rule_set": {"before": before, "after": stored}}),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Replaces a call's review criteria and their weights, unless reviews were already scored
/// against them.
pub async fn put_criteria(
    db: &Db,
    ctx: &crate::audit::Context,
    call: &str,
    criteria: &[Criterion],
) -> Result<()> {
    let mut tx = crate::audit::begin_write(db).await?;
    let id: i64 = sqlx::query_scalar("SELECT id FROM calls WHERE slug = $1")
        .bind(call.to_string())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound("call"))?;
    let reviewed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM review_scores s JOIN applications a ON a.id = s.application_id WHERE a.call_id = $1").bind(id).fetch_one(&mut *tx).await?;
    if reviewed > 0 {
        return Err(poles_core::FieldError::new(
            "criteria",
            "reviews were already scored against them",
        )
        .into());
    }
    sqlx::query("DELETE FROM call_criteria WHERE call_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    for (k, c) in criteria.iter().enumerate() {
        sqlx::query("INSERT INTO call_criteria (call_id, position, name_fr, name_en, weight_bp) VALUES ($1, $2, $3, $4, $5)")
            .bind(id).bind(k as i64 + 1).bind(c.name_fr.clone()).bind(c.name_en.clone()).bind(c.weight_bp)
            .execute(&mut *tx).await?;
    }
    crate::audit::append(
        &mut tx,
        ctx,
        crate::audit::Event {
            action: "call.criteria",
            object_kind: "call",
            object_ref: call.to_string(),
            changes: serde_json::json!({"criteria": criteria}),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
