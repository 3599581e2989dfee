//! Today's programme (`data/programme/`, see `data/SOURCES.md`): the phases of the label
//! policy, the 55 pôles of phase V with their head office, website, published size and the
//! sources of each, and the renamings and mergers that tie them to the 2005-2007 records.
//! Loaded once, in one transaction, with the demo or into a database whose demo an earlier
//! version loaded.

use crate::error::{Result, StoreError};
use crate::util::{now_utc, Tx};
use crate::Db;
use poles_core::{Date, LabelStatus};
use serde::Deserialize;
use std::collections::HashMap;

const PHASES_CSV: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/programme/phases.csv"
));
const PHASE5_CSV: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/programme/phase5.csv"
));
const SUCCESSIONS_CSV: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/programme/successions.csv"
));

#[derive(Deserialize)]
struct PhaseIn {
    code: String,
    name_en: String,
    name_fr: String,
    starts: String,
    ends: String,
    decided: String,
    source_title: String,
    source_publisher: String,
    source_date: String,
    source_url: String,
}

#[derive(Deserialize)]
struct PoleIn {
    slug: String,
    sectors: String,
    name: String,
    status_2023: String,
    regions: String,
    head_office_insee: String,
    head_office_city: String,
    website: String,
    website_source_url: String,
    contact: String,
    contact_source_url: String,
    theme_fr: String,
    theme_en: String,
    members: String,
    members_qualifier: String,
    members_as_of: String,
    members_source_title: String,
    members_source_publisher: String,
    members_source_url: String,
    listing_source_title: String,
    listing_source_publisher: String,
    listing_source_url: String,
}

#[derive(Deserialize)]
struct SuccessionIn {
    from_slug: String,
    to_slug: String,
    kind: String,
    date: String,
    source_title: String,
    source_url: String,
}

pub(crate) fn rows<T: for<'de> Deserialize<'de>>(name: &str, bytes: &[u8]) -> Result<Vec<T>> {
    csv::Reader::from_reader(bytes)
        .deserialize()
        .enumerate()
        .map(|(k, r)| r.map_err(|e| StoreError::Data(format!("{name} row {}: {e}", k + 2))))
        .collect()
}

pub(crate) fn opt(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

/// A date as the sources give it (a year, a month or a day), checked and kept as written.
pub(crate) fn partial_date(what: &str, s: &str) -> Result<Option<String>> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let full = match s.len() {
        4 => format!("{s}-01-01"),
        7 => format!("{s}-01"),
        _ => s.to_string(),
    };
    Date::parse(what, &full).map_err(|_| StoreError::Data(format!("{what}: not a date: {s:?}")))?;
    Ok(Some(s.to_string()))
}

/// Phase V's label terms, as the decision of 27 March 2023 gives them.
fn term(status: &str) -> Result<(LabelStatus, &'static str)> {
    Ok(match status {
        "labelled_4y" => (LabelStatus::Labelled, "2026-12-31"),
        "probation_12m" => (LabelStatus::Probation, "2023-12-31"),
        "probation_24m" => (LabelStatus::Probation, "2024-12-31"),
        "new_2y" => (LabelStatus::Labelled, "2024-12-31"),
        other => {
            return Err(StoreError::Data(format!(
                "phase5.csv: unknown status {other:?}"
            )))
        }
    })
}

/// Loads today's programme into a database whose demo an earlier version loaded, once, even
/// with several servers starting together. Returns whether this call loaded it.
pub async fn load_if_missing(db: &Db) -> Result<bool> {
    let mut tx = db.pool.begin().await?;
    let loaded = load_tx(&mut tx).await?;
    if loaded {
        crate::search::rebuild(&mut tx).await?;
        tx.commit().await?;
    } else {
        tx.rollback().await?;
    }
    Ok(loaded)
}

/// Loads today's programme inside the caller's transaction unless it is there already (or
/// the database has no programme to attach it to). Claims the `meta` row first, so that a
/// write lock is taken at once.
pub(crate) async fn load_tx(tx: &mut impl Tx) -> Result<bool> {
    let claimed = sqlx::query(
        "INSERT INTO meta (key, value) VALUES ('today_loaded', $1) ON CONFLICT (key) DO NOTHING",
    )
    .bind(now_utc())
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1;
    let programme: Option<i64> =
        sqlx::query_scalar("SELECT id FROM clusters WHERE slug = 'aerospace-valley'")
            .fetch_optional(&mut **tx)
            .await?;
    if !claimed || programme.is_none() {
        return Ok(false);
    }

    let phases: Vec<PhaseIn> = rows("phases.csv", PHASES_CSV)?;
    for p in &phases {
        for d in [&p.starts, &p.ends] {
            partial_date("phases.csv", d)?;
        }
        sqlx::query(
            "INSERT INTO programme_phases (code, name_en, name_fr, starts, ends, decided, source_title, source_publisher, source_date, source_url) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&p.code)
        .bind(&p.name_en)
        .bind(&p.name_fr)
        .bind(&p.starts)
        .bind(&p.ends)
        .bind(partial_date("phases.csv", &p.decided)?)
        .bind(&p.source_title)
        .bind(opt(&p.source_publisher))
        .bind(partial_date("phases.csv", &p.source_date)?)
        .bind(opt(&p.source_url))
        .execute(&mut **tx)
        .await?;
        // The labels already recorded fall in the phase their decision was taken in.
        sqlx::query(
            "UPDATE labels SET phase_code = $1 WHERE phase_code IS NULL \
             AND COALESCE(decision_date, valid_from) >= $2 AND COALESCE(decision_date, valid_from) <= $3",
        )
        .bind(&p.code)
        .bind(&p.starts)
        .bind(&p.ends)
        .execute(&mut **tx)
        .await?;
    }

    // The shipped labels without any date are those of the 2005-2007 list.
    sqlx::query("UPDATE labels SET phase_code = 'I' WHERE phase_code IS NULL AND decision_date IS NULL AND valid_from IS NULL")
        .execute(&mut **tx)
        .await?;

    let regions: HashMap<String, String> =
        sqlx::query_as::<_, (String, String)>("SELECT name, code FROM regions")
            .fetch_all(&mut **tx)
            .await?
            .into_iter()
            .collect();
    let mut ids: HashMap<String, i64> =
        sqlx::query_as::<_, (String, i64)>("SELECT slug, id FROM clusters")
            .fetch_all(&mut **tx)
            .await?
            .into_iter()
            .collect();

    for p in rows::<PoleIn>("phase5.csv", PHASE5_CSV)? {
        let what = format!("phase5.csv: {}", p.slug);
        let codes = p
            .regions
            .split(';')
            .map(|r| {
                regions
                    .get(r.trim())
                    .cloned()
                    .ok_or_else(|| StoreError::Data(format!("{what}: unknown region {r:?}")))
            })
            .collect::<Result<Vec<_>>>()?;
        if let Some(code) = opt(&p.head_office_insee) {
            let known: Option<String> =
                sqlx::query_scalar("SELECT code FROM communes WHERE code = $1")
                    .bind(&code)
                    .fetch_optional(&mut **tx)
                    .await?;
            if known.is_none() {
                return Err(StoreError::Data(format!("{what}: unknown commune {code}")));
            }
        }
        let place = opt(&p.head_office_city).filter(|_| p.head_office_insee.trim().is_empty());
        let id = match ids.get(&p.slug) {
            Some(&id) => {
                // The same pôle, perhaps under a new name: the old names stay as aliases, and
                // the 2005 official name, no longer its name, goes with them.
                let (old, official): (String, Option<String>) =
                    sqlx::query_as("SELECT name, official_name FROM clusters WHERE id = $1")
                        .bind(id)
                        .fetch_one(&mut **tx)
                        .await?;
                let renamed = old != p.name;
                if renamed {
                    for former in std::iter::once(old).chain(official) {
                        if former != p.name {
                            sqlx::query(
                                "INSERT INTO cluster_aliases (cluster_id, alias, kind) VALUES ($1, $2, 'former') ON CONFLICT DO NOTHING",
                            )
                            .bind(id)
                            .bind(former)
                            .execute(&mut **tx)
                            .await?;
                        }
                    }
                    sqlx::query("UPDATE clusters SET official_name = NULL WHERE id = $1")
                        .bind(id)
                        .execute(&mut **tx)
                        .await?;
                }
                sqlx::query(
                    "UPDATE clusters SET name = $2, head_office_commune = $3, head_office_place = $4, contact = $5, \
                     website = $6, website_source = $7, theme_en = $8, theme_fr = COALESCE(theme_fr, $9), \
                     contact_source = $10, version = version + 1 WHERE id = $1",
                )
                .bind(id)
                .bind(&p.name)
                .bind(opt(&p.head_office_insee))
                .bind(place)
                .bind(opt(&p.contact))
                .bind(opt(&p.website))
                .bind(opt(&p.website_source_url))
                .bind(opt(&p.theme_en))
                .bind(opt(&p.theme_fr))
                .bind(opt(&p.contact_source_url))
                .execute(&mut **tx)
                .await?;
                sqlx::query("DELETE FROM cluster_regions WHERE cluster_id = $1")
                    .bind(id)
                    .execute(&mut **tx)
                    .await?;
                id
            }
            None => {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO clusters (slug, name, theme_fr, specialty_en, theme_en, website, website_source, \
                     head_office_commune, head_office_place, contact, sources, contact_source) \
                     VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
                )
                .bind(&p.slug)
                .bind(&p.name)
                .bind(opt(&p.theme_fr))
                .bind(opt(&p.theme_en))
                .bind(opt(&p.website))
                .bind(opt(&p.website_source_url))
                .bind(opt(&p.head_office_insee))
                .bind(place)
                .bind(opt(&p.contact))
                .bind(&p.listing_source_url)
                .bind(opt(&p.contact_source_url))
                .fetch_one(&mut **tx)
                .await?;
                for s in p.sectors.split(';').filter(|s| !s.is_empty()) {
                    sqlx::query(
                        "INSERT INTO cluster_sectors (cluster_id, sector_code, basis) VALUES ($1, $2, 'theme')",
                    )
                    .bind(id)
                    .bind(s)
                    .execute(&mut **tx)
                    .await?;
                }
                ids.insert(p.slug.clone(), id);
                id
            }
        };
        for code in codes {
            sqlx::query("INSERT INTO cluster_regions (cluster_id, region_code) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(id)
                .bind(code)
                .execute(&mut **tx)
                .await?;
        }
        let (status, until) = term(&p.status_2023)?;
        sqlx::query(
            "INSERT INTO labels (cluster_id, tier, status, decision_date, valid_from, valid_until, source, source_title, source_publisher, phase_code) \
             VALUES ($1, NULL, $2, '2023-03-27', '2023-01-01', $3, $4, $5, $6, 'V')",
        )
        .bind(id)
        .bind(status.as_str())
        .bind(until)
        .bind(&p.listing_source_url)
        .bind(&p.listing_source_title)
        .bind(opt(&p.listing_source_publisher))
        .execute(&mut **tx)
        .await?;
        if let Some(members) = opt(&p.members) {
            let value: i64 = members
                .parse()
                .map_err(|_| StoreError::Data(format!("{what}: members {members:?}")))?;
            sqlx::query(
                "INSERT INTO cluster_sizes (cluster_id, kind, value, qualifier, as_of, source_title, source_publisher, source_url) \
                 VALUES ($1, 'members', $2, $3, $4, $5, $6, $7)",
            )
            .bind(id)
            .bind(value)
            .bind(opt(&p.members_qualifier))
            .bind(partial_date(&what, &p.members_as_of)?)
            .bind(&p.members_source_title)
            .bind(opt(&p.members_source_publisher))
            .bind(opt(&p.members_source_url))
            .execute(&mut **tx)
            .await?;
        }
    }

    for s in rows::<SuccessionIn>("successions.csv", SUCCESSIONS_CSV)? {
        let id = |slug: &str| {
            ids.get(slug)
                .copied()
                .ok_or_else(|| StoreError::Data(format!("successions.csv: unknown pôle {slug:?}")))
        };
        sqlx::query(
            "INSERT INTO cluster_successions (from_cluster_id, to_cluster_id, kind, on_date, source_title, source_url) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id(&s.from_slug)?)
        .bind(id(&s.to_slug)?)
        .bind(&s.kind)
        .bind(partial_date("successions.csv", &s.date)?)
        .bind(&s.source_title)
        .bind(opt(&s.source_url))
        .execute(&mut **tx)
        .await?;
    }
    Ok(true)
}
