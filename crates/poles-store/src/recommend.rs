//! What partner suggestions are computed from: the organisation–project graph of the
//! registry, read in three JSON texts (one crossing each from the driver), and the SHA-256
//! that names the data a model was trained on.

use crate::error::Result;
use crate::util::{fetch_json_rows, sha256_hex};
use crate::Db;
use poles_core::recommend::GraphData;

/// The graph's rows.
pub async fn graph_data(db: &Db) -> Result<GraphData> {
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
    Ok(GraphData {
        organisations,
        projects,
        links,
    })
}

/// The SHA-256 of the rows as the engine sees them (the same on both backends): what a
/// trained model names as its data. Only training needs it, not each read of the graph.
pub fn data_sha256(data: &GraphData) -> String {
    sha256_hex(&format!(
        "{:?}|{:?}|{:?}",
        data.organisations, data.projects, data.links
    ))
}
