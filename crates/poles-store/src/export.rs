//! Exports of the registry as JSON and CSV. Only public columns are written: each table's
//! columns are listed here explicitly, and a test fails when a table gains a column that
//! is not listed (as public or private).

use crate::error::{Result, StoreError};
use crate::Db;
use sqlx::Row;
use std::io::Write;

/// Public columns per exported table; what is not here is never exported.
pub const PUBLIC_COLUMNS: &[(&str, &[&str])] = &[
    (
        "clusters",
        &[
            "id",
            "slug",
            "name",
            "official_name",
            "theme_fr",
            "specialty_en",
            "is_leading",
            "website",
            "description_fr",
            "description_en",
            "governance",
            "note",
            "sources",
            "head_office_commune",
            "head_office_place",
            "contact",
            "contact_source",
            "website_source",
            "theme_en",
        ],
    ),
    (
        "programme_phases",
        &[
            "code",
            "name_en",
            "name_fr",
            "starts",
            "ends",
            "decided",
            "source_title",
            "source_publisher",
            "source_date",
            "source_url",
        ],
    ),
    (
        "cluster_sizes",
        &[
            "cluster_id",
            "kind",
            "value",
            "qualifier",
            "as_of",
            "source_title",
            "source_publisher",
            "source_url",
        ],
    ),
    (
        "cluster_successions",
        &[
            "from_cluster_id",
            "to_cluster_id",
            "kind",
            "on_date",
            "source_title",
            "source_url",
        ],
    ),
    (
        "labels",
        &[
            "id",
            "cluster_id",
            "tier",
            "status",
            "decision_date",
            "valid_from",
            "valid_until",
            "legal_act",
            "note",
            "source",
            "phase_code",
            "source_title",
            "source_publisher",
            "campaign_id",
            "review_date",
        ],
    ),
    (
        "label_campaigns",
        &[
            "id",
            "slug",
            "phase_code",
            "name_en",
            "name_fr",
            "opens_on",
            "closes_on",
            "label_from",
            "label_until",
            "documents",
            "historical",
            "summary_en",
            "summary_fr",
            "source_title",
            "source_publisher",
            "source_url",
        ],
    ),
    (
        "label_criteria",
        &[
            "campaign_id",
            "position",
            "name_en",
            "name_fr",
            "weight",
            "source_title",
            "source_url",
        ],
    ),
    (
        "label_campaign_outcomes",
        &["campaign_id", "outcome", "months"],
    ),
    ("label_campaign_regions", &["campaign_id", "region_code"]),
    (
        "cluster_management_labels",
        &[
            "id",
            "cluster_id",
            "level",
            "awarded_on",
            "expires_on",
            "source_title",
            "source_url",
        ],
    ),
    (
        "performance_targets",
        &["cluster_id", "phase_code", "indicator", "target"],
    ),
    (
        "performance_values",
        &[
            "cluster_id",
            "year",
            "indicator",
            "value",
            "source_title",
            "source_url",
        ],
    ),
    (
        "label_decisions",
        &[
            "id",
            "campaign_id",
            "cluster_id",
            "kind",
            "outcome",
            "tier",
            "months",
            "conditions",
            "review_date",
            "merged_into",
            "legal_act",
            "act_date",
            "status",
            "decided_at",
            "label_id",
        ],
    ),
    (
        "organisations",
        &[
            "id",
            "name",
            "short_name",
            "kind",
            "country",
            "region_code",
            "naf_code",
            "headcount_band",
            "siren",
            "siret",
            "vat",
            "pic",
            "cordis_id",
            "parent_id",
            "website",
            "competences",
            "source",
            "offer",
            "seek",
        ],
    ),
    (
        "memberships",
        &[
            "cluster_id",
            "organisation_id",
            "role",
            "since",
            "source",
            "quote",
        ],
    ),
    (
        "past_memberships",
        &[
            "id",
            "cluster_id",
            "organisation_id",
            "role",
            "since",
            "until",
            "source",
        ],
    ),
    (
        "projects",
        &[
            "id",
            "source_key",
            "acronym",
            "title",
            "programme",
            "call",
            "topic",
            "topic_title",
            "funding_scheme",
            "status",
            "start_date",
            "end_date",
            "total_cost_cents",
            "public_funding_cents",
            "currency",
            "source",
        ],
    ),
    (
        "project_partners",
        &[
            "project_id",
            "organisation_id",
            "role",
            "cost_cents",
            "funding_cents",
        ],
    ),
    (
        "foreign_clusters",
        &["id", "slug", "name", "country", "kind", "website"],
    ),
    (
        "partnerships",
        &[
            "id",
            "a_cluster_id",
            "a_foreign_id",
            "b_cluster_id",
            "b_foreign_id",
            "kind",
            "start_date",
            "scope",
            "source",
            "status",
            "end_date",
            "document_url",
        ],
    ),
    (
        "figures",
        &[
            "key",
            "label_en",
            "label_fr",
            "amount_cents",
            "currency",
            "period_start",
            "period_end",
            "per",
            "funder",
            "certainty",
            "source",
        ],
    ),
    (
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
    ),
    (
        "budget_movements",
        &[
            "id",
            "budget_code",
            "year",
            "kind",
            "amount_cents",
            "certainty",
            "source",
        ],
    ),
    (
        "rd_zones",
        &["cluster_id", "commune_code", "illustrative", "source"],
    ),
];

/// Columns deliberately kept out of exports (internal bookkeeping).
pub const PRIVATE_COLUMNS: &[(&str, &[&str])] = &[
    ("clusters", &["version"]),
    ("figures", &["id"]),
    ("memberships", &["shown_publicly"]),
    ("partnerships", &["answered_at"]),
    ("label_campaigns", &["created_by", "created_at"]),
    ("cluster_management_labels", &["recorded_by", "recorded_at"]),
    ("performance_targets", &["set_by", "set_at"]),
    ("performance_values", &["recorded_by", "recorded_at"]),
    // Who proposed and approved stays in the audit trail; a rejection's reason internal.
    (
        "label_decisions",
        &["proposed_by", "proposed_at", "decided_by", "reason"],
    ),
    // Why a member left stays between the member and the pôle.
    ("past_memberships", &["shown_publicly", "reason"]),
    (
        "organisations",
        &["version", "demo_key", "fictional", "name_key"],
    ),
];

fn columns(table: &str) -> Result<&'static [&'static str]> {
    PUBLIC_COLUMNS
        .iter()
        .find(|(t, _)| *t == table)
        .map(|(_, c)| *c)
        .ok_or_else(|| StoreError::Data(format!("table {table} is not exported")))
}

async fn rows(db: &Db, table: &str) -> Result<Vec<Vec<Option<String>>>> {
    let cols = columns(table)?;
    // Everything is cast to text so that both backends export the same bytes.
    let select: Vec<String> = cols
        .iter()
        .map(|c| format!("CAST({c} AS TEXT) AS {c}"))
        .collect();
    let order = if cols.contains(&"id") { "id" } else { cols[0] };
    // The demo's invented organisations never reach the open data, nor members that chose
    // not to be listed.
    let filter = match table {
        "organisations" => " WHERE fictional = 0",
        "memberships" | "past_memberships" => " WHERE shown_publicly = 1",
        // Proposals and refusals stay between the pôles.
        "partnerships" => " WHERE status IN ('confirmed', 'ended')",
        // A label decision is public once approved (published).
        "label_decisions" => " WHERE status = 'approved'",
        _ => "",
    };
    let sql = format!(
        "SELECT {} FROM {table}{filter} ORDER BY {order}",
        select.join(", ")
    );
    let rows = sqlx::query(&sql).fetch_all(&db.pool).await?;
    rows.iter()
        .map(|r| {
            (0..cols.len())
                .map(|k| Ok(r.try_get::<Option<String>, _>(k)?))
                .collect()
        })
        .collect()
}

/// Writes every exported table as `TABLE.csv` into `dir`.
pub async fn export_csv(db: &Db, dir: &std::path::Path) -> Result<Vec<(String, usize)>> {
    std::fs::create_dir_all(dir).map_err(|e| StoreError::Data(e.to_string()))?;
    let mut out = Vec::new();
    for (table, cols) in PUBLIC_COLUMNS {
        let path = dir.join(format!("{table}.csv"));
        let mut w = csv::Writer::from_path(&path).map_err(|e| StoreError::Data(e.to_string()))?;
        w.write_record(*cols)
            .map_err(|e| StoreError::Data(e.to_string()))?;
        let data = rows(db, table).await?;
        for r in &data {
            w.write_record(r.iter().map(|v| v.as_deref().unwrap_or("")))
                .map_err(|e| StoreError::Data(e.to_string()))?;
        }
        w.flush().map_err(|e| StoreError::Data(e.to_string()))?;
        out.push((table.to_string(), data.len()));
    }
    Ok(out)
}

/// Writes the registry as one JSON document `{table: [{column: value}]}`.
pub async fn export_json(db: &Db, mut w: impl Write) -> Result<()> {
    let mut doc = serde_json::Map::new();
    for (table, cols) in PUBLIC_COLUMNS {
        let data = rows(db, table).await?;
        let list: Vec<serde_json::Value> = data
            .into_iter()
            .map(|r| {
                serde_json::Value::Object(
                    cols.iter()
                        .zip(r)
                        .map(|(c, v)| {
                            (
                                c.to_string(),
                                v.map(serde_json::Value::String)
                                    .unwrap_or(serde_json::Value::Null),
                            )
                        })
                        .collect(),
                )
            })
            .collect();
        doc.insert(table.to_string(), serde_json::Value::Array(list));
    }
    serde_json::to_writer(&mut w, &doc).map_err(|e| StoreError::Data(e.to_string()))?;
    Ok(())
}
