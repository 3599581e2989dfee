//! Open data: the catalogue of every public dataset (what it holds, its licence and source,
//! its columns, when the data last changed) and its files in CSV and JSON. A file is made
//! from the database at the data version of the request and kept in this server's memory
//! until the data changes: made again on any server from the same data, it is the same bytes
//! (a total order, text values), so every server answers the same ETag. Only public columns
//! and rows leave (`poles_store::export`'s allow-list); the demo's fictional calls,
//! organisations and decisions never do.

use crate::{App, AppError, Result};
use poles_store::export;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::ToSchema;

const CATALOGUE_CSV: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/opendata/catalogue.csv"
));

#[derive(Debug, Clone, Deserialize)]
struct Described {
    table: String,
    title_en: String,
    title_fr: String,
    description_en: String,
    description_fr: String,
    licence: String,
    source: String,
    source_fr: String,
}

/// One dataset of the catalogue.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DatasetEntry {
    /// Its name in file names (`{name}.csv`, `{name}.json`).
    pub name: String,
    pub title_en: String,
    pub title_fr: String,
    pub description_en: String,
    pub description_fr: String,
    pub licence: String,
    /// Where the data comes from, in English.
    pub source: String,
    /// Where the data comes from, in French.
    pub source_fr: String,
    /// Its columns, in the files' order.
    pub columns: Vec<String>,
    /// Where to download it.
    pub csv: String,
    pub json: String,
}

/// Every public dataset.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Catalogue {
    /// When the data last changed (UTC): every file is made from the data as it is now.
    pub updated_at: Option<String>,
    pub datasets: Vec<DatasetEntry>,
}

fn described() -> Vec<Described> {
    csv::Reader::from_reader(CATALOGUE_CSV.as_bytes())
        .deserialize()
        .filter_map(|r| r.ok())
        .collect()
}

/// The catalogue: every exported table, described (a table the description file misses is
/// listed under its own name, and a test keeps the file complete).
pub async fn catalogue(app: &App) -> Result<Catalogue> {
    let described = described();
    let datasets = export::public_tables()
        .into_iter()
        .map(|t| {
            let d = described.iter().find(|d| d.table == t).cloned();
            let or = |f: fn(&Described) -> &String| {
                d.as_ref().map_or_else(|| t.to_string(), |d| f(d).clone())
            };
            DatasetEntry {
                name: t.to_string(),
                title_en: or(|d| &d.title_en),
                title_fr: or(|d| &d.title_fr),
                description_en: or(|d| &d.description_en),
                description_fr: or(|d| &d.description_fr),
                licence: or(|d| &d.licence),
                source: or(|d| &d.source),
                source_fr: or(|d| &d.source_fr),
                columns: export::public_columns(t)
                    .unwrap_or_default()
                    .iter()
                    .map(|c| c.to_string())
                    .collect(),
                csv: format!("/open-data/{t}.csv"),
                json: format!("/open-data/{t}.json"),
            }
        })
        .collect();
    Ok(Catalogue {
        updated_at: poles_store::version::changed_at(&app.db).await?,
        datasets,
    })
}

/// Whether every exported table is described in `data/opendata/catalogue.csv` (title,
/// description and source in both languages, licence), and every description names an
/// exported table (`Err` lists what is missing or extra).
pub fn check_descriptions() -> std::result::Result<(), String> {
    let described = described();
    let tables = export::public_tables();
    let mut wrong: Vec<String> = tables
        .iter()
        .filter(|t| !described.iter().any(|d| &d.table == *t))
        .map(|t| format!("{t}: not described"))
        .collect();
    wrong.extend(
        described
            .iter()
            .filter(|d| !tables.contains(&d.table.as_str()))
            .map(|d| format!("{}: described but not exported", d.table)),
    );
    wrong.extend(
        described
            .iter()
            .filter(|d| {
                [
                    &d.title_en,
                    &d.title_fr,
                    &d.description_en,
                    &d.description_fr,
                    &d.licence,
                    &d.source,
                    &d.source_fr,
                ]
                .iter()
                .any(|s| s.trim().is_empty())
            })
            .map(|d| format!("{}: a field is empty", d.table)),
    );
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(wrong.join("; "))
    }
}

/// One file of the open data.
#[derive(Debug, Clone)]
pub struct Dump {
    pub bytes: Arc<Vec<u8>>,
    /// `text/csv; charset=utf-8` or `application/json`.
    pub content_type: &'static str,
    /// The SHA-256 of the bytes, quoted, as an ETag.
    pub etag: String,
    pub rows: usize,
    pub file_name: String,
}

/// A file of the catalogue by its name (`clusters.csv`, `projects.json`).
pub async fn dump(app: &App, file: &str) -> Result<Arc<Dump>> {
    let (table, kind) = file
        .rsplit_once('.')
        .filter(|(t, k)| (*k == "csv" || *k == "json") && export::public_columns(t).is_some())
        .ok_or(AppError::NotFound("open-data file"))?;
    let version = app.data_version().await?;
    if let Some(d) = app.dumps.get(version, file) {
        return Ok(d);
    }
    let (bytes, rows) = if kind == "csv" {
        export::table_csv(&app.db, table).await?
    } else {
        export::table_json(&app.db, table).await?
    };
    let d = Arc::new(Dump {
        etag: format!("\"{}\"", export::digest(&bytes)),
        bytes: Arc::new(bytes),
        content_type: if kind == "csv" {
            "text/csv; charset=utf-8"
        } else {
            "application/json"
        },
        rows,
        file_name: file.to_string(),
    });
    app.dumps.put(version, file.to_string(), d.clone());
    Ok(d)
}
