//! Reference and demo data shipped in the repository (`data/`, see `data/SOURCES.md`):
//! French geography, NAF and NUTS codes, countries, the programme as the press kit and public
//! sources describe it, and the CORDIS H2020 extract. Loaded once, in one transaction, the
//! first time a server starts on an empty database.

use crate::error::{Result, StoreError};
use crate::import::{self, CordisData, ImportSummary, Progress};
use crate::util::{insert_batched, Cell, Tx};
use crate::Db;
use poles_core::{Currency, LabelStatus, OrgKind, Tier};
use serde::Deserialize;
use sqlx::Row;
use std::collections::HashMap;
use std::io::Read;

macro_rules! data {
    ($path:literal) => {
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/", $path))
    };
}

pub const REGIONS_GEOJSON_GZ: &[u8] = data!("geo/regions-version-simplifiee.geojson.gz");
pub const FORMER_REGIONS_GEOJSON_GZ: &[u8] = data!("geo/regions-avant-redecoupage-2015.geojson.gz");
pub const DEPARTMENTS_GEOJSON_GZ: &[u8] = data!("geo/departements-version-simplifiee.geojson.gz");
/// One point per commune GeoNames knows (8,145 of them), for the maps' markers.
pub const COMMUNE_POINTS_CSV_GZ: &[u8] = data!("geo/commune_points.csv.gz");
/// The world's countries (Natural Earth 1:110m via world-atlas), for the partners' map.
pub const WORLD_GEOJSON_GZ: &[u8] = data!("geo/world-countries-110m.geojson.gz");
const REGIONS_JSON: &[u8] = data!("geo/regions.json");
const DEPARTMENTS_JSON: &[u8] = data!("geo/departements.json");
const FORMER_REGIONS_CSV: &[u8] = data!("geo/former_regions.csv");
const COMMUNES_JSON_GZ: &[u8] = data!("geo/communes.json.gz");
const NAF_JSON_GZ: &[u8] = data!("naf/naf-rev2-codes.json.gz");
const NAF_SECTIONS_CSV: &[u8] = data!("naf/naf_section_labels.csv");
const NAF_SECTION_PREFIX_CSV: &[u8] = data!("naf/naf_section_to_prefix.csv");
const NUTS_CSV_GZ: &[u8] = data!("nuts/nuts2013_codes.csv.gz");
const COUNTRIES_CSV: &[u8] = data!("countries.csv");
const PROGRAMME_JSON: &[u8] = data!("demo/programme.json");
const CORDIS_PROJECTS_GZ: &[u8] = data!("cordis-h2020/projects.tsv.gz");
const CORDIS_ORGS_GZ: &[u8] = data!("cordis-h2020/organizations.tsv.gz");
const CORDIS_EDGES_GZ: &[u8] = data!("cordis-h2020/project_org_edges.tsv.gz");
const CORDIS_TOPICS_GZ: &[u8] = data!("cordis-h2020/cordisref-H2020topics.csv.gz");
const EU_OPERATIONS_GZ: &[u8] = data!("funding/eu-operations-2014-2020.csv.gz");
const EU_SHOWCASE_GZ: &[u8] = data!("funding/eu-showcase-2007-2013.csv.gz");
const SIENE_GZ: &[u8] = data!("establishments/siene-occitanie-2014.csv.gz");
const GENERATED_GZ: &[u8] = data!("establishments/generated-france-fictional.csv.gz");

pub fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    // The shipped files are checked by the test suite; a corrupt one is a build defect.
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("shipped gzip data is valid");
    out
}

fn json<T: for<'de> Deserialize<'de>>(name: &str, bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Data(format!("{name}: {e}")))
}

fn csv_rows(name: &str, bytes: &[u8], delim: u8) -> Result<Vec<csv::StringRecord>> {
    csv::ReaderBuilder::new()
        .delimiter(delim)
        .from_reader(bytes)
        .records()
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| StoreError::Data(format!("{name}: {e}")))
}

/// The shipped CORDIS extract, parsed.
pub fn cordis_data() -> Result<CordisData> {
    CordisData::parse(
        &gunzip(CORDIS_PROJECTS_GZ)[..],
        &gunzip(CORDIS_ORGS_GZ)[..],
        &gunzip(CORDIS_EDGES_GZ)[..],
        Some(&gunzip(CORDIS_TOPICS_GZ)[..]),
    )
}

#[derive(Debug, Default)]
pub struct LoadReport {
    pub communes: u64,
    pub clusters: u64,
    pub cordis: ImportSummary,
}

/// Loads the shipped establishment registries once (after the demo's reference data, which
/// gives communes their departments): the Ministry of Labour's real Occitanie extract
/// (about 2014) and a generated national registry, marked fictional, for the national
/// picture no shipped real file gives. Kept apart from [`load_if_empty`] because it costs
/// seconds that most tests do not need. Returns whether it loaded.
pub async fn load_establishments_if_empty(db: &Db, progress: &dyn Progress) -> Result<bool> {
    let claimed = sqlx::query(
        "INSERT INTO meta (key, value) VALUES ('establishments_loaded', $1) ON CONFLICT (key) DO NOTHING",
    )
    .bind(crate::util::now_utc())
    .execute(&db.pool)
    .await?
    .rows_affected();
    if claimed == 0 {
        return Ok(false);
    }
    let shipped = [
        (
            SIENE_GZ,
            crate::establishments::ImportOptions {
                source: "siene-occitanie-2014".into(),
                title_en: Some(
                    "Establishments of Occitanie, Ministry of Labour (SIENE extract)".into(),
                ),
                title_fr: Some(
                    "Établissements d'Occitanie, ministère du Travail (extrait SIENE)".into(),
                ),
                reference_date: Some("2014".into()),
                fictional: false,
            },
        ),
        (
            GENERATED_GZ,
            crate::establishments::ImportOptions {
                source: "generated-france".into(),
                title_en: Some("France, generated registry (fictional)".into()),
                title_fr: Some("France, registre généré (fictif)".into()),
                reference_date: None,
                fictional: true,
            },
        ),
    ];
    for (bytes, options) in shipped {
        if let Err(e) = crate::establishments::import(db, &gunzip(bytes), &options, progress).await
        {
            // Let a later start try again.
            sqlx::query("DELETE FROM meta WHERE key = 'establishments_loaded'")
                .execute(&db.pool)
                .await?;
            return Err(e);
        }
    }
    Ok(true)
}

/// Loads everything when the database has no demo yet. Returns `None` when another server
/// (or an earlier start) already did: the `meta` row is taken first, inside the transaction,
/// so two servers starting at once never load twice.
pub async fn load_if_empty(
    db: &Db,
    with_cordis: bool,
    progress: &dyn Progress,
) -> Result<Option<LoadReport>> {
    let mut tx = db.pool.begin().await?;
    let claimed = sqlx::query(
        "INSERT INTO meta (key, value) VALUES ('demo_loaded', $1) ON CONFLICT (key) DO NOTHING",
    )
    .bind(crate::util::now_utc())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if claimed == 0 {
        tx.rollback().await?;
        return Ok(None);
    }
    let mut report = LoadReport::default();
    progress.stage("reference data", 1);
    report.communes = load_reference(&mut tx).await?;
    progress.inc(1);
    if with_cordis {
        let data = cordis_data()?;
        report.cordis = import::import_cordis_tx(&mut tx, &data, progress).await?;
    }
    progress.stage("programme", 1);
    report.clusters = load_programme(&mut tx).await?;
    crate::today::load_tx(&mut tx).await?;
    crate::labels::load_history_tx(&mut tx).await?;
    crate::calls::load_shipped(&mut tx).await?;
    crate::funding::load_shipped(&mut tx).await?;
    crate::eu_funds::load(&mut tx, &gunzip(EU_OPERATIONS_GZ), &gunzip(EU_SHOWCASE_GZ)).await?;
    sqlx::query("INSERT INTO meta (key, value) VALUES ('funding_loaded', $1)")
        .bind(crate::util::now_utc())
        .execute(&mut *tx)
        .await?;
    crate::search::rebuild(&mut tx).await?;
    progress.inc(1);
    tx.commit().await?;
    crate::version::after_bulk_load(db).await?;
    crate::funding::ensure_rules(db).await?;
    Ok(Some(report))
}

#[derive(Deserialize)]
struct GeoCode {
    code: String,
    nom: String,
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    zone: Option<String>,
}

#[derive(Deserialize)]
struct Commune {
    code: String,
    nom: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    departement: Option<String>,
    #[serde(default)]
    region: Option<String>,
    #[serde(default, rename = "codesPostaux")]
    postcodes: Vec<String>,
    #[serde(default)]
    population: Option<i64>,
}

#[derive(Deserialize)]
struct NafCode {
    id: String,
    label: String,
}

async fn load_reference(tx: &mut impl Tx) -> Result<u64> {
    let regions: Vec<GeoCode> = json("regions.json", REGIONS_JSON)?;
    let rows = regions
        .iter()
        .map(|r| {
            vec![
                Cell::from(r.code.as_str()),
                r.nom.as_str().into(),
                i64::from(r.zone.as_deref() == Some("drom")).into(),
            ]
        })
        .collect();
    insert_batched(tx, "regions", &["code", "name", "overseas"], rows, "").await?;

    let rows = csv_rows("former_regions.csv", FORMER_REGIONS_CSV, b',')?
        .iter()
        .map(|r| (0..3).map(|k| Cell::from(&r[k])).collect())
        .collect();
    insert_batched(
        tx,
        "former_regions",
        &["code", "name", "region_code"],
        rows,
        "",
    )
    .await?;

    let deps: Vec<GeoCode> = json("departements.json", DEPARTMENTS_JSON)?;
    let rows = deps
        .iter()
        .map(|d| {
            vec![
                Cell::from(d.code.as_str()),
                d.nom.as_str().into(),
                d.region.clone().into(),
            ]
        })
        .collect();
    insert_batched(
        tx,
        "departments",
        &["code", "name", "region_code"],
        rows,
        "",
    )
    .await?;

    let communes: Vec<Commune> = json("communes.json", &gunzip(COMMUNES_JSON_GZ))?;
    let mut rows = Vec::new();
    let mut postcodes = Vec::new();
    for c in communes.iter().filter(|c| {
        (c.kind == "commune-actuelle" || c.kind == "arrondissement-municipal")
            && c.departement.is_some()
            && c.region.is_some()
    }) {
        rows.push(vec![
            Cell::from(c.code.as_str()),
            c.nom.as_str().into(),
            c.departement.clone().into(),
            c.region.clone().into(),
            c.population.into(),
        ]);
        for p in &c.postcodes {
            postcodes.push(vec![Cell::from(p.as_str()), c.code.as_str().into()]);
        }
    }
    let n = insert_batched(
        tx,
        "communes",
        &[
            "code",
            "name",
            "department_code",
            "region_code",
            "population",
        ],
        rows,
        "ON CONFLICT (code) DO NOTHING",
    )
    .await?;
    insert_batched(
        tx,
        "postcodes",
        &["postcode", "commune_code"],
        postcodes,
        "ON CONFLICT (postcode, commune_code) DO NOTHING",
    )
    .await?;

    // NAF rév. 2: sections (A–U) come from their own table; divisions point at them.
    let mut rows: Vec<Vec<Cell>> = csv_rows("naf_section_labels.csv", NAF_SECTIONS_CSV, b',')?
        .iter()
        .map(|r| {
            vec![
                Cell::from(&r[0]),
                (&r[1]).into(),
                "section".into(),
                Cell::T(None),
            ]
        })
        .collect();
    let section_of: HashMap<String, String> =
        csv_rows("naf_section_to_prefix.csv", NAF_SECTION_PREFIX_CSV, b',')?
            .iter()
            .map(|r| (r[0].to_string(), r[1].to_string()))
            .collect();
    let naf: Vec<NafCode> = json("naf-rev2-codes.json", &gunzip(NAF_JSON_GZ))?;
    for c in &naf {
        let (level, parent) = match c.id.len() {
            2 => ("division", section_of.get(&c.id).cloned()),
            4 => ("group", Some(c.id[..2].to_string())),
            5 => ("class", Some(c.id[..4].to_string())),
            _ => ("subclass", Some(c.id[..5].to_string())),
        };
        rows.push(vec![
            Cell::from(c.id.as_str()),
            c.label.as_str().into(),
            level.into(),
            parent.into(),
        ]);
    }
    insert_batched(
        tx,
        "naf_codes",
        &["code", "label_fr", "level", "parent_code"],
        rows,
        "ON CONFLICT (code) DO NOTHING",
    )
    .await?;

    // NUTS 2013: the code's length gives its level (FR = 0, FR1 = 1, FR10 = 2, FR101 = 3);
    // the file's own `Level` column is a depth inside its block and is not used.
    let nuts = gunzip(NUTS_CSV_GZ);
    let rows = csv_rows("nuts2013_codes.csv", &nuts, b',')?
        .iter()
        .filter(|r| r.len() >= 6 && r[4].len() >= 2 && r[4] != *"XX")
        .map(|r| {
            let code = r[4].trim().to_string();
            vec![
                Cell::from(code.as_str()),
                (&r[5]).into(),
                ((code.len() as i64) - 2).into(),
                code[..2].to_string().into(),
            ]
        })
        .collect();
    insert_batched(
        tx,
        "nuts_codes",
        &["code", "name", "level", "country"],
        rows,
        "ON CONFLICT (code) DO NOTHING",
    )
    .await?;

    let rows = csv_rows("countries.csv", COUNTRIES_CSV, b',')?
        .iter()
        .map(|r| (0..3).map(|k| Cell::from(&r[k])).collect())
        .collect();
    insert_batched(tx, "countries", &["code", "name_en", "name_fr"], rows, "").await?;
    Ok(n)
}

impl From<&String> for Cell {
    fn from(v: &String) -> Self {
        Cell::T(Some(v.clone()))
    }
}

#[derive(Deserialize)]
struct Programme {
    sectors: Vec<SectorIn>,
    clusters: Vec<ClusterIn>,
    organisations: Vec<OrgIn>,
    memberships: Vec<MembershipIn>,
    foreign_clusters: Vec<ForeignIn>,
    partnerships: Vec<PartnershipIn>,
    figures: Vec<FigureIn>,
    events: Vec<EventIn>,
    news: Vec<NewsIn>,
    surveys: Vec<SurveyIn>,
    label_criteria: Vec<TextIn>,
    success_factors: Vec<TextIn>,
    benefits: Vec<TextIn>,
}

#[derive(Deserialize)]
struct SectorIn {
    code: String,
    name_en: String,
    name_fr: String,
    press_kit: bool,
}

#[derive(Deserialize)]
struct AliasIn {
    name: String,
    kind: String,
}

#[derive(Deserialize)]
struct LabelIn {
    tier: Option<String>,
    decision_date: Option<String>,
    status: String,
    valid_from: Option<String>,
    valid_until: Option<String>,
    legal_act: Option<String>,
    note: Option<String>,
    source: String,
}

#[derive(Deserialize)]
struct ClusterIn {
    slug: String,
    name: String,
    official_name: Option<String>,
    aliases: Vec<AliasIn>,
    regions_2007: Vec<String>,
    sectors: Vec<String>,
    sector_basis: Option<String>,
    theme_fr: Option<String>,
    specialty_en: Option<String>,
    leading: bool,
    description_en: Option<String>,
    description_fr: Option<String>,
    website: Option<String>,
    #[serde(default)]
    note: Option<String>,
    labels: Vec<LabelIn>,
    sources: Vec<String>,
}

#[derive(Deserialize)]
struct OrgIn {
    key: String,
    name: String,
    kind: String,
    country: Option<String>,
    cordis_ids: Vec<String>,
    source: String,
}

#[derive(Deserialize)]
struct MembershipIn {
    cluster: String,
    organisation: String,
    role: String,
    since: Option<String>,
    source: String,
    quote: Option<String>,
}

#[derive(Deserialize)]
struct ForeignIn {
    slug: String,
    name: String,
    country: Option<String>,
    kind: String,
    website: Option<String>,
}

#[derive(Deserialize)]
struct PartnershipIn {
    a: String,
    b: String,
    #[serde(rename = "type")]
    kind: String,
    start_date: Option<String>,
    scope: Option<String>,
    source: String,
}

#[derive(Deserialize)]
struct FigureIn {
    key: String,
    label_en: String,
    label_fr: String,
    amount: f64,
    currency: String,
    period_start: Option<String>,
    period_end: Option<String>,
    per: String,
    funder: Option<String>,
    certainty: String,
    source: String,
}

#[derive(Deserialize)]
struct EventIn {
    name_en: String,
    name_fr: String,
    date: Option<String>,
    place: Option<String>,
    description_en: Option<String>,
    description_fr: Option<String>,
    source: String,
}

#[derive(Deserialize)]
struct NewsIn {
    date: Option<String>,
    cluster: Option<String>,
    title_en: String,
    title_fr: String,
    body_en: Option<String>,
    body_fr: Option<String>,
    source: String,
}

#[derive(Deserialize)]
struct SurveyIn {
    statement_en: String,
    statement_fr: String,
    percent: i64,
    population_en: Option<String>,
    population_fr: Option<String>,
    pollster: Option<String>,
    date: Option<String>,
    source: String,
}

#[derive(Deserialize)]
struct TextIn {
    position: i64,
    #[serde(default)]
    title_en: Option<String>,
    #[serde(default)]
    title_fr: Option<String>,
    text_en: String,
    text_fr: String,
    source: String,
}

async fn returning_id(tx: &mut impl Tx, sql: &str, binds: Vec<Cell>) -> Result<i64> {
    let row = crate::util::query_with(sql, binds)
        .fetch_one(&mut **tx)
        .await?;
    Ok(row.try_get::<i64, _>(0)?)
}

async fn load_programme(tx: &mut impl Tx) -> Result<u64> {
    let p: Programme = json("programme.json", PROGRAMME_JSON)?;
    let rows = p
        .sectors
        .iter()
        .enumerate()
        .map(|(k, s)| {
            vec![
                Cell::from(s.code.as_str()),
                s.name_en.as_str().into(),
                s.name_fr.as_str().into(),
                i64::from(s.press_kit).into(),
                (k as i64).into(),
            ]
        })
        .collect();
    insert_batched(
        tx,
        "sectors",
        &["code", "name_en", "name_fr", "press_kit", "position"],
        rows,
        "",
    )
    .await?;

    let former: HashMap<String, (String, String)> =
        sqlx::query("SELECT code, name, region_code FROM former_regions")
            .fetch_all(&mut **tx)
            .await?
            .iter()
            .map(|r| {
                Ok((
                    r.try_get::<String, _>("name")?,
                    (
                        r.try_get::<String, _>("code")?,
                        r.try_get::<String, _>("region_code")?,
                    ),
                ))
            })
            .collect::<Result<_>>()?;
    let current: HashMap<String, String> = sqlx::query("SELECT code, name FROM regions")
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.try_get::<String, _>("name")?,
                r.try_get::<String, _>("code")?,
            ))
        })
        .collect::<Result<_>>()?;

    let mut cluster_ids: HashMap<String, i64> = HashMap::new();
    for c in &p.clusters {
        let id = returning_id(
            tx,
            "INSERT INTO clusters (slug, name, official_name, theme_fr, specialty_en, is_leading, website, description_fr, description_en, note, sources) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
            vec![
                c.slug.as_str().into(),
                c.name.as_str().into(),
                c.official_name.clone().into(),
                c.theme_fr.clone().into(),
                c.specialty_en.clone().into(),
                i64::from(c.leading).into(),
                c.website.clone().into(),
                c.description_fr.clone().into(),
                c.description_en.clone().into(),
                c.note.clone().into(),
                c.sources.join(" ; ").into(),
            ],
        )
        .await?;
        cluster_ids.insert(c.slug.clone(), id);
        let aliases = c
            .aliases
            .iter()
            .filter(|a| a.name != c.name)
            .map(|a| {
                vec![
                    Cell::from(id),
                    a.name.as_str().into(),
                    a.kind.as_str().into(),
                ]
            })
            .collect();
        insert_batched(
            tx,
            "cluster_aliases",
            &["cluster_id", "alias", "kind"],
            aliases,
            "ON CONFLICT DO NOTHING",
        )
        .await?;
        let mut region_rows = Vec::new();
        let mut former_rows = Vec::new();
        for name in &c.regions_2007 {
            if let Some((code, region)) = former.get(name) {
                former_rows.push(vec![Cell::from(id), code.as_str().into()]);
                region_rows.push(vec![Cell::from(id), region.as_str().into()]);
            } else if let Some(code) = current.get(name) {
                region_rows.push(vec![Cell::from(id), code.as_str().into()]);
            } else {
                return Err(StoreError::Data(format!(
                    "programme.json: cluster {}: unknown region {name:?}",
                    c.slug
                )));
            }
        }
        insert_batched(
            tx,
            "cluster_former_regions",
            &["cluster_id", "former_region_code"],
            former_rows,
            "ON CONFLICT DO NOTHING",
        )
        .await?;
        insert_batched(
            tx,
            "cluster_regions",
            &["cluster_id", "region_code"],
            region_rows,
            "ON CONFLICT DO NOTHING",
        )
        .await?;
        let sectors = c
            .sectors
            .iter()
            .map(|s| {
                vec![
                    Cell::from(id),
                    s.as_str().into(),
                    c.sector_basis.as_deref().unwrap_or("theme").into(),
                ]
            })
            .collect();
        insert_batched(
            tx,
            "cluster_sectors",
            &["cluster_id", "sector_code", "basis"],
            sectors,
            "",
        )
        .await?;
        let mut labels = Vec::new();
        for l in &c.labels {
            let tier = match &l.tier {
                Some(t) => Some(Tier::parse("tier", t)?.as_str().to_string()),
                None => None,
            };
            let status = LabelStatus::parse("status", &l.status)?;
            labels.push(vec![
                Cell::from(id),
                tier.into(),
                status.as_str().into(),
                l.decision_date.clone().into(),
                l.valid_from.clone().into(),
                l.valid_until.clone().into(),
                l.legal_act.clone().into(),
                l.note.clone().into(),
                l.source.as_str().into(),
            ]);
        }
        insert_batched(
            tx,
            "labels",
            &[
                "cluster_id",
                "tier",
                "status",
                "decision_date",
                "valid_from",
                "valid_until",
                "legal_act",
                "note",
                "source",
            ],
            labels,
            "",
        )
        .await?;
    }

    // Organisations the press kit names. A named group is its own record; the CORDIS
    // entities that clearly belong to it point at it, so its projects reach the cluster.
    let mut org_ids: HashMap<String, i64> = HashMap::new();
    for o in &p.organisations {
        let kind = OrgKind::parse("kind", &o.kind)?;
        let id = returning_id(
            tx,
            "INSERT INTO organisations (name, kind, country, demo_key, source, name_key) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            vec![
                o.name.as_str().into(),
                kind.as_str().into(),
                o.country.clone().into(),
                o.key.as_str().into(),
                o.source.as_str().into(),
                crate::registry::name_key(&o.name).into(),
            ],
        )
        .await?;
        org_ids.insert(o.key.clone(), id);
        for cid in &o.cordis_ids {
            sqlx::query("UPDATE organisations SET parent_id = $1 WHERE cordis_id = $2")
                .bind(id)
                .bind(cid.clone())
                .execute(&mut **tx)
                .await?;
        }
    }
    let lookup = |map: &HashMap<String, i64>, what: &str, key: &str| {
        map.get(key)
            .copied()
            .ok_or_else(|| StoreError::Data(format!("programme.json: unknown {what} {key:?}")))
    };
    for m in &p.memberships {
        sqlx::query("INSERT INTO memberships (cluster_id, organisation_id, role, since, source, quote) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(lookup(&cluster_ids, "cluster", &m.cluster)?)
            .bind(lookup(&org_ids, "organisation", &m.organisation)?)
            .bind(m.role.clone())
            .bind(m.since.clone())
            .bind(m.source.clone())
            .bind(m.quote.clone())
            .execute(&mut **tx)
            .await?;
    }
    let mut foreign_ids: HashMap<String, i64> = HashMap::new();
    for f in &p.foreign_clusters {
        let id = returning_id(
            tx,
            "INSERT INTO foreign_clusters (slug, name, country, kind, website) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            vec![
                f.slug.as_str().into(),
                f.name.as_str().into(),
                f.country.clone().into(),
                f.kind.as_str().into(),
                f.website.clone().into(),
            ],
        )
        .await?;
        foreign_ids.insert(f.slug.clone(), id);
    }
    let party = |key: &str| -> Result<(Option<i64>, Option<i64>)> {
        match key.strip_prefix("foreign:") {
            Some(f) => Ok((None, Some(lookup(&foreign_ids, "foreign cluster", f)?))),
            None => Ok((Some(lookup(&cluster_ids, "cluster", key)?), None)),
        }
    };
    for pa in &p.partnerships {
        let (ac, af) = party(&pa.a)?;
        let (bc, bf) = party(&pa.b)?;
        sqlx::query("INSERT INTO partnerships (a_cluster_id, a_foreign_id, b_cluster_id, b_foreign_id, kind, start_date, scope, source) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(ac).bind(af).bind(bc).bind(bf)
            .bind(pa.kind.clone())
            .bind(pa.start_date.clone())
            .bind(pa.scope.clone())
            .bind(pa.source.clone())
            .execute(&mut **tx)
            .await?;
    }
    for f in &p.figures {
        let currency = Currency::parse("currency", &f.currency)?;
        sqlx::query("INSERT INTO figures (key, label_en, label_fr, amount_cents, currency, period_start, period_end, per, funder, certainty, source) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
            .bind(f.key.clone())
            .bind(f.label_en.clone())
            .bind(f.label_fr.clone())
            .bind((f.amount * 100.0).round() as i64)
            .bind(currency.as_str())
            .bind(f.period_start.clone())
            .bind(f.period_end.clone())
            .bind(f.per.clone())
            .bind(f.funder.clone())
            .bind(f.certainty.clone())
            .bind(f.source.clone())
            .execute(&mut **tx)
            .await?;
    }
    let rows = p
        .events
        .iter()
        .map(|e| {
            vec![
                Cell::from(e.name_en.as_str()),
                e.name_fr.as_str().into(),
                e.date.clone().into(),
                e.place.clone().into(),
                e.description_en.clone().into(),
                e.description_fr.clone().into(),
                e.source.as_str().into(),
            ]
        })
        .collect();
    insert_batched(
        tx,
        "events",
        &[
            "name_en",
            "name_fr",
            "starts_on",
            "place",
            "description_en",
            "description_fr",
            "source",
        ],
        rows,
        "",
    )
    .await?;
    let mut rows = Vec::new();
    for n in &p.news {
        let cluster = match &n.cluster {
            Some(slug) => Some(lookup(&cluster_ids, "cluster", slug)?),
            None => None,
        };
        rows.push(vec![
            Cell::from(cluster),
            n.date.clone().into(),
            n.title_en.as_str().into(),
            n.title_fr.as_str().into(),
            n.body_en.clone().into(),
            n.body_fr.clone().into(),
            n.source.as_str().into(),
        ]);
    }
    insert_batched(
        tx,
        "news",
        &[
            "cluster_id",
            "published_on",
            "title_en",
            "title_fr",
            "body_en",
            "body_fr",
            "source",
        ],
        rows,
        "",
    )
    .await?;
    let rows = p
        .surveys
        .iter()
        .map(|s| {
            vec![
                Cell::from(s.statement_en.as_str()),
                s.statement_fr.as_str().into(),
                s.percent.into(),
                s.population_en.clone().into(),
                s.population_fr.clone().into(),
                s.pollster.clone().into(),
                s.date.clone().into(),
                s.source.as_str().into(),
            ]
        })
        .collect();
    insert_batched(
        tx,
        "surveys",
        &[
            "statement_en",
            "statement_fr",
            "percent",
            "population_en",
            "population_fr",
            "pollster",
            "conducted",
            "source",
        ],
        rows,
        "",
    )
    .await?;
    let mut rows = Vec::new();
    for (kind, list) in [
        ("label_criterion", &p.label_criteria),
        ("success_factor", &p.success_factors),
        ("benefit", &p.benefits),
    ] {
        for t in list {
            rows.push(vec![
                Cell::from(kind),
                t.position.into(),
                t.title_en.clone().into(),
                t.title_fr.clone().into(),
                t.text_en.as_str().into(),
                t.text_fr.as_str().into(),
                t.source.as_str().into(),
            ]);
        }
    }
    insert_batched(
        tx,
        "texts",
        &[
            "kind", "position", "title_en", "title_fr", "text_en", "text_fr", "source",
        ],
        rows,
        "",
    )
    .await?;
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) AS n FROM clusters")
        .fetch_one(&mut **tx)
        .await?;
    Ok(n as u64)
}

/// An organisation invented for the demo's workflow.
#[derive(Debug, Clone)]
pub struct FictionalOrganisation {
    pub name: String,
    pub short_name: String,
    pub kind: OrgKind,
    pub region_code: String,
}

/// Takes the demo's workflow for this database: `true` the first time on a database that
/// holds the demo (another server, or an earlier start, gets `false`). The workflow is
/// then written through the use cases, each step in its own transaction.
pub async fn claim_workflow(db: &Db) -> Result<bool> {
    let demo: Option<String> =
        sqlx::query_scalar("SELECT value FROM meta WHERE key = 'demo_loaded'")
            .fetch_optional(&db.pool)
            .await?;
    if demo.is_none() {
        return Ok(false);
    }
    let claimed = sqlx::query(
        "INSERT INTO meta (key, value) VALUES ('workflow_loaded', $1) ON CONFLICT (key) DO NOTHING",
    )
    .bind(crate::util::now_utc())
    .execute(&db.pool)
    .await?
    .rows_affected();
    Ok(claimed == 1)
}

/// Stores an invented organisation, flagged so that no open data shows it.
pub async fn fictional_organisation(db: &Db, o: &FictionalOrganisation) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO organisations (name, short_name, kind, country, region_code, source, fictional, name_key) \
         VALUES ($1, $2, $3, 'FR', $4, 'Invented for the demonstration of Pôles: not a real organisation', 1, $5) RETURNING id",
    )
    .bind(o.name.clone())
    .bind(o.short_name.clone())
    .bind(o.kind.as_str())
    .bind(o.region_code.clone())
    .bind(crate::registry::name_key(&o.name))
    .fetch_one(&db.pool)
    .await?)
}

/// Flags an invented call of the demo (and so its applications).
pub async fn mark_call_fictional(db: &Db, slug: &str) -> Result<()> {
    sqlx::query("UPDATE calls SET fictional = 1 WHERE slug = $1")
        .bind(slug.to_string())
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Moves an invented call's dates: the demo replays a past session through today's
/// use cases (which refuse a submission after the deadline), then dates it in the past.
pub async fn date_fictional_call(
    db: &Db,
    slug: &str,
    opens_on: poles_core::Date,
    deadline: poles_core::Date,
    decision_on: poles_core::Date,
) -> Result<()> {
    sqlx::query(
        "UPDATE calls SET opens_on = $1, deadline = $2, decision_on = $3 WHERE slug = $4 AND fictional = 1",
    )
    .bind(opens_on.to_string())
    .bind(deadline.to_string())
    .bind(decision_on.to_string())
    .bind(slug.to_string())
    .execute(&db.pool)
    .await?;
    Ok(())
}
