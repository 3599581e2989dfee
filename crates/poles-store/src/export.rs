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
    // Calls for projects and what they decided: the demo's fictional calls never reach
    // the open data, nor anything of their applications.
    (
        "calls",
        &[
            "id",
            "slug",
            "name_fr",
            "name_en",
            "programme",
            "opens_on",
            "deadline",
            "decision_on",
            "rule_set_id",
            "source",
            "two_approvals_above_cents",
        ],
    ),
    (
        "applications",
        &[
            "id",
            "call_id",
            "acronym",
            "title",
            "summary_fr",
            "summary_en",
            "keywords",
            "duration_months",
            "lead_organisation_id",
            "status",
            "decided_at",
        ],
    ),
    (
        "funding_proposals",
        &[
            "id",
            "application_id",
            "status",
            "validation_date",
            "decided_at",
        ],
    ),
    ("funding_lines", &["proposal_id", "funder", "amount_cents"]),
    (
        "payment_claims",
        &[
            "id",
            "application_id",
            "organisation_id",
            "funder",
            "kind",
            "amount_cents",
            "paid_on",
        ],
    ),
    // Relief granted, per scheme and year (a view: the records themselves are private).
    (
        "relief_totals",
        &[
            "scheme",
            "family",
            "year",
            "currency",
            "records",
            "organisations",
            "amount_cents",
        ],
    ),
    // The regional EU-fund operations, as their source publishes them.
    (
        "eu_operations",
        &[
            "id",
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
        ],
    ),
    // Regional specialisation: each establishment import and its tallies.
    (
        "establishment_imports",
        &[
            "id",
            "source",
            "format",
            "lines",
            "imported",
            "rejected",
            "imported_at",
            "title_en",
            "title_fr",
            "reference_date",
            "fictional",
        ],
    ),
    (
        "specialisation_cells",
        &[
            "import_id",
            "level",
            "area",
            "grouping",
            "sector",
            "establishments",
            "employment",
            "fictional",
        ],
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
    ("calls", &["version", "fictional"]),
    // An application's internal course: who decided and why, its agreement, its checks.
    (
        "applications",
        &[
            "consortium_agreement",
            "created_by",
            "created_at",
            "submitted_at",
            "checked_rule_set_id",
            "eligibility_at_submission",
            "version",
            "finalised_at",
            "decision_reason",
            "decided_by",
        ],
    ),
    (
        "funding_proposals",
        &[
            "proposed_by",
            "proposed_at",
            "approvals_needed",
            "decision_reason",
            "decided_by",
        ],
    ),
    // A claim's expenses statement and who handled it stay between the partner and the funder.
    (
        "payment_claims",
        &[
            "expenses_cents",
            "statement",
            "claimed_by",
            "claimed_at",
            "status",
            "decided_by",
            "reason",
            "release_proposed_by",
            "release_proposed_at",
            "release_paid_on",
        ],
    ),
];

/// The real calls' applications that were funded (selected, then running or closed).
const FUNDED: &str = "SELECT a.id FROM applications a JOIN calls c ON c.id = a.call_id \
     WHERE c.fictional = 0 AND a.status IN ('selected', 'running', 'closed')";

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
        "organisations" => " WHERE fictional = 0".into(),
        "memberships" | "past_memberships" => " WHERE shown_publicly = 1".into(),
        // Proposals and refusals stay between the pôles.
        "partnerships" => " WHERE status IN ('confirmed', 'ended')".into(),
        // A label decision is public once approved (published).
        "label_decisions" => " WHERE status = 'approved'".into(),
        "calls" => " WHERE fictional = 0".into(),
        "applications" => format!(" WHERE id IN ({FUNDED})"),
        "funding_proposals" => format!(" WHERE status = 'approved' AND application_id IN ({FUNDED})"),
        "funding_lines" => format!(
            " WHERE proposal_id IN (SELECT id FROM funding_proposals WHERE status = 'approved' AND application_id IN ({FUNDED}))"
        ),
        "payment_claims" => format!(" WHERE status = 'paid' AND application_id IN ({FUNDED})"),
        _ => String::new(),
    };
    // Every column after the natural order, so that the order is total and a dump made
    // again from the same data — on any server — is the same bytes.
    let positions: Vec<String> = (1..=cols.len()).map(|k| k.to_string()).collect();
    let sql = format!(
        "SELECT {} FROM {table}{filter} ORDER BY {order}, {}",
        select.join(", "),
        positions.join(", ")
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

/// Writes every exported table as `TABLE.csv` into `dir` (the open data's files).
pub async fn export_csv(db: &Db, dir: &std::path::Path) -> Result<Vec<(String, usize)>> {
    std::fs::create_dir_all(dir).map_err(|e| StoreError::Data(e.to_string()))?;
    let mut out = Vec::new();
    for (table, _) in PUBLIC_COLUMNS {
        let (bytes, n) = table_csv(db, table).await?;
        std::fs::write(dir.join(format!("{table}.csv")), bytes)
            .map_err(|e| StoreError::Data(e.to_string()))?;
        out.push((table.to_string(), n));
    }
    Ok(out)
}

/// Writes the registry as one JSON document `{table: [{column: value}]}`.
pub async fn export_json(db: &Db, mut w: impl Write) -> Result<()> {
    let mut doc = serde_json::Map::new();
    for (table, cols) in PUBLIC_COLUMNS {
        let data = rows(db, table).await?;
        doc.insert(table.to_string(), objects(cols, data));
    }
    serde_json::to_writer(&mut w, &doc).map_err(|e| StoreError::Data(e.to_string()))?;
    Ok(())
}

/// The tables of the open data, in the catalogue's order.
pub fn public_tables() -> Vec<&'static str> {
    PUBLIC_COLUMNS.iter().map(|(t, _)| *t).collect()
}

/// One table's public columns (`None`: not exported).
pub fn public_columns(table: &str) -> Option<&'static [&'static str]> {
    columns(table).ok()
}

/// One table as CSV: its public columns, its public rows, cells a spreadsheet would run as
/// formulas neutralised. The same data gives the same bytes.
pub async fn table_csv(db: &Db, table: &str) -> Result<(Vec<u8>, usize)> {
    let cols = columns(table)?;
    let data = rows(db, table).await?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let err = |e: csv::Error| StoreError::Data(e.to_string());
    w.write_record(cols).map_err(err)?;
    for r in &data {
        w.write_record(
            r.iter().map(|v| {
                poles_core::text::spreadsheet_safe(v.as_deref().unwrap_or("")).into_owned()
            }),
        )
        .map_err(err)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| StoreError::Data(e.to_string()))?;
    Ok((bytes, data.len()))
}

/// Rows as a JSON array of objects, column → value (text, as in the CSV; `null` for none).
fn objects(cols: &[&str], data: Vec<Vec<Option<String>>>) -> serde_json::Value {
    serde_json::Value::Array(
        data.into_iter()
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
            .collect(),
    )
}

/// One table as a JSON array of objects (values as text, as in the CSV).
pub async fn table_json(db: &Db, table: &str) -> Result<(Vec<u8>, usize)> {
    let cols = columns(table)?;
    let data = rows(db, table).await?;
    let n = data.len();
    Ok((
        serde_json::to_vec(&objects(cols, data)).map_err(|e| StoreError::Data(e.to_string()))?,
        n,
    ))
}

/// A dump's validator: the SHA-256 of its bytes (the same bytes give the same tag on every
/// server).
pub fn digest(bytes: &[u8]) -> String {
    use sha2::Digest;
    crate::util::hex(&sha2::Sha256::digest(bytes))
}
