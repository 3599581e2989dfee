//! Establishment registries (issue 16, begun): `poles import establishments FILE` reads the
//! SIENE extract, INSEE's SIRENE stock file or the benchmark's format
//! (`poles_core::establishments`), refuses the lines it cannot read with their reason, and
//! writes the rest in one transaction that first removes what the same source imported
//! before — so an import is all or nothing, and importing the same file again changes nothing.

use crate::audit;
use crate::error::{Result, StoreError};
use crate::import::Progress;
use crate::util::{insert_batched, now_utc, Cell};
use crate::Db;
use poles_core::establishments::{Format, Reader};
use serde::Serialize;
use std::collections::HashMap;

/// What an import did.
#[derive(Debug, Clone, Serialize)]
pub struct EstablishmentReport {
    pub source: String,
    /// `siene`, `sirene` or `bench`.
    pub format: &'static str,
    pub lines: u64,
    pub imported: u64,
    pub rejected: u64,
    /// The first refused lines (line number in the file, reason).
    pub first_rejections: Vec<(u64, String)>,
}

const COLUMNS: &[&str] = &[
    "siret",
    "commune",
    "department",
    "region",
    "naf",
    "division",
    "employees",
    "band",
    "created",
    "active",
    "source",
];

/// Imports an establishment file's bytes under `source` (its name, by default the file's).
pub async fn import(
    db: &Db,
    bytes: &[u8],
    source: &str,
    progress: &dyn Progress,
) -> Result<EstablishmentReport> {
    let regions: HashMap<String, String> =
        sqlx::query_as::<_, (String, String)>("SELECT code, region_code FROM departments")
            .fetch_all(&db.pool)
            .await?
            .into_iter()
            .collect();
    if regions.is_empty() {
        return Err(StoreError::Data(
            "no departments in this database: load the reference data first (the demo loads it)"
                .into(),
        ));
    }
    let mut csv = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let header: Vec<String> = csv
        .headers()
        .map_err(|e| StoreError::Data(format!("the header: {e}")))?
        .iter()
        .map(String::from)
        .collect();
    let names: Vec<&str> = header.iter().map(String::as_str).collect();
    let reader = Reader::new(&names, &regions).ok_or_else(|| {
        StoreError::Data(
            "the header is none of the formats read (the SIENE extract, INSEE's SIRENE stock, the benchmark's)"
                .into(),
        )
    })?;
    let format = match reader.format() {
        Format::Siene => "siene",
        Format::Sirene => "sirene",
        Format::Bench => "bench",
    };
    progress.stage("reading", bytes.len() as u64);
    let mut rows: HashMap<String, Vec<Cell>> = HashMap::new();
    let (mut lines, mut rejected) = (0u64, 0u64);
    let mut first = Vec::new();
    let refuse = |line: u64, why: String, first: &mut Vec<(u64, String)>| {
        if first.len() < 20 {
            first.push((line, why));
        }
    };
    let mut record = csv::StringRecord::new();
    let mut last = 0u64;
    loop {
        match csv.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                lines += 1;
                rejected += 1;
                refuse(lines + 1, e.to_string(), &mut first);
                continue;
            }
        }
        lines += 1;
        let fields: Vec<&str> = record.iter().collect();
        match reader.read(&fields) {
            Ok(e) => {
                let siret = e.siret.clone();
                let row = vec![
                    Cell::T(Some(e.siret)),
                    Cell::T(e.commune),
                    Cell::T(Some(e.department)),
                    Cell::T(Some(e.region)),
                    Cell::T(Some(e.naf.clone())),
                    Cell::T(Some(e.naf[..2].to_string())),
                    Cell::I(Some(i64::from(e.employees))),
                    Cell::T(e.band),
                    Cell::T(e.created.map(|d| d.to_string())),
                    Cell::I(Some(i64::from(e.active))),
                    Cell::T(Some(source.to_string())),
                ];
                if rows.insert(siret.clone(), row).is_some() {
                    rejected += 1;
                    refuse(
                        lines + 1,
                        format!("siret {siret} repeated: the last line kept"),
                        &mut first,
                    );
                }
            }
            Err(why) => {
                rejected += 1;
                refuse(lines + 1, why, &mut first);
            }
        }
        let pos = record.position().map_or(0, |p| p.byte());
        if pos > last + 1_000_000 {
            progress.inc(pos - last);
            last = pos;
        }
        if progress.cancelled() {
            return Err(StoreError::Data(
                "import cancelled; nothing was written".into(),
            ));
        }
    }
    progress.inc((bytes.len() as u64).saturating_sub(last));
    let imported = rows.len() as u64;
    let mut rows: Vec<(String, Vec<Cell>)> = rows.into_iter().collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    progress.stage("writing", imported);
    let mut tx = audit::begin_write(db).await?;
    sqlx::query("DELETE FROM establishments WHERE source = $1")
        .bind(source.to_string())
        .execute(&mut *tx)
        .await?;
    // Another source's row of the same establishment gives way to this newer import.
    let update: Vec<String> = COLUMNS[1..]
        .iter()
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    let suffix = format!("ON CONFLICT (siret) DO UPDATE SET {}", update.join(", "));
    for chunk in rows.chunks(20_000) {
        insert_batched(
            &mut tx,
            "establishments",
            COLUMNS,
            chunk.iter().map(|(_, r)| r.clone()).collect(),
            &suffix,
        )
        .await?;
        progress.inc(chunk.len() as u64);
        if progress.cancelled() {
            return Err(StoreError::Data(
                "import cancelled; nothing was written".into(),
            ));
        }
    }
    sqlx::query(
        "INSERT INTO establishment_imports (source, format, lines, imported, rejected, imported_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(source.to_string())
    .bind(format)
    .bind(lines as i64)
    .bind(imported as i64)
    .bind(rejected as i64)
    .bind(now_utc())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(EstablishmentReport {
        source: source.to_string(),
        format,
        lines,
        imported,
        rejected,
        first_rejections: first,
    })
}
