//! What partner suggestions are computed from: the organisation–project graph of the
//! registry, read in three JSON texts (one crossing each from the driver), with the
//! SHA-256 of what was read so that a model names the data it was trained on.

use crate::error::Result;
use crate::util::{fetch_json_rows, sha256_hex};
use crate::Db;
use poles_core::recommend::GraphData;

/// The graph's rows and their SHA-256.
pub async fn graph_data(db: &Db) -> Result<(GraphData, String)> {
    let mut conn = db.pool.acquire().await?;
    let organisations = fetch_json_rows(
        &mut conn,
        &[
            "id",
            "COALESCE(cordis_id, CAST(id AS TEXT))",
            "name",
            "country",
            "kind",
        ],
        "organisations",
        "id",
        vec![],
    )
    .await?;
    let projects = fetch_json_rows(
        &mut conn,
        &["id", "topic", "call", "programme", "funding_scheme"],
        "projects",
        "id",
        vec![],
    )
    .await?;
    let links = fetch_json_rows(
        &mut conn,
        &["project_id", "organisation_id"],
        "project_partners",
        "project_id, organisation_id",
        vec![],
    )
    .await?;
    let data = GraphData {
        organisations,
        projects,
        links,
    };
    // The hash of the rows as the engine sees them, the same on both backends.
    let text = format!(
        "{:?}|{:?}|{:?}",
        data.organisations, data.projects, data.links
    );
    Ok((data, sha256_hex(&text)))
}
