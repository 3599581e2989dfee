//! Calls for projects and their rule sets.

use crate::error::{Result, StoreError};
use crate::util::{i, now_utc, oi, os, s, Cell};
use crate::Db;
use poles_core::calls::RuleSet;
use poles_core::model::{Call, CallFunder, Criterion};
use poles_core::{Currency, Money};
use serde::Deserialize;
use sqlx::{Any, Transaction};

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
    opens_on: Option<String>,
    deadline: Option<String>,
    decision_on: Option<String>,
    rule_set: String,
    funders: Vec<FunderIn>,
    criteria: Vec<CriterionIn>,
    source: String,
}

/// Loads the shipped historical rule sets and calls (`data/calls`).
pub(crate) async fn load_shipped(tx: &mut Transaction<'static, Any>) -> Result<()> {
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
            .bind(c.opens_on)
            .bind(c.deadline)
            .bind(c.decision_on)
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

async fn build(db: &Db, r: &sqlx::any::AnyRow) -> Result<Call> {
    let id = i(r, "id")?;
    let rule_set: RuleSet = serde_json::from_str(&s(r, "body")?)
        .map_err(|e| StoreError::Data(format!("stored rule set: {e}")))?;
    let funders = sqlx::query("SELECT funder, envelope_cents, currency, source FROM call_funders WHERE call_id = $1 ORDER BY funder DESC")
        .bind(id)
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|f| {
            let currency = Currency::parse("currency", &s(f, "currency")?).unwrap_or(Currency::Eur);
            Ok(CallFunder {
                funder: s(f, "funder")?,
                envelope: oi(f, "envelope_cents")?.map(|cents| Money { cents, currency }),
                source: s(f, "source")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let criteria = sqlx::query("SELECT position, name_fr, name_en, weight_bp FROM call_criteria WHERE call_id = $1 ORDER BY position")
        .bind(id)
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|c| {
            Ok(Criterion {
                position: i(c, "position")?,
                name_fr: s(c, "name_fr")?,
                name_en: s(c, "name_en")?,
                weight_bp: i(c, "weight_bp")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Call {
        slug: s(r, "slug")?,
        name_fr: s(r, "name_fr")?,
        name_en: s(r, "name_en")?,
        programme: s(r, "programme")?,
        opens_on: os(r, "opens_on")?,
        deadline: os(r, "deadline")?,
        decision_on: os(r, "decision_on")?,
        rule_set,
        rule_set_frozen: i(r, "frozen")? != 0,
        funders,
        criteria,
        source: s(r, "source")?,
    })
}

const SELECT: &str =
    "SELECT c.*, r.body, r.frozen FROM calls c JOIN rule_sets r ON r.id = c.rule_set_id";

pub async fn list(db: &Db) -> Result<Vec<Call>> {
    let rows = sqlx::query(&format!("{SELECT} ORDER BY c.id"))
        .fetch_all(&db.pool)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        out.push(build(db, r).await?);
    }
    Ok(out)
}

pub async fn get(db: &Db, slug: &str) -> Result<Option<Call>> {
    match sqlx::query(&format!("{SELECT} WHERE c.slug = $1"))
        .bind(slug.to_string())
        .fetch_optional(&db.pool)
        .await?
    {
        Some(r) => Ok(Some(build(db, &r).await?)),
        None => Ok(None),
    }
}
