//! Regional specialisation (issue 16): where France is strong, from the establishment
//! registries imported — each area's employment in a sector, its location quotient and the
//! European Cluster Observatory's stars, growth since the source's previous import, regions
//! side by side, and each pôle's territory in its sectors. Public reads: no permission.

use crate::{atlas, App, Result};
use poles_core::specialisation::{self as spec, Specialised, StarRules};
use poles_core::{Date, FieldError};
use poles_store::establishments::{division_sections, sector_divisions};
use poles_store::specialisation::{self as store, Dataset, Largest, Names};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use utoipa::{IntoParams, ToSchema};

/// A dataset offered: the latest import of one source.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DatasetView {
    /// Its name in links (`?dataset=`).
    pub source: String,
    pub title_en: String,
    pub title_fr: String,
    /// The date its figures describe, where known (`YYYY` or `YYYY-MM-DD`).
    pub reference_date: Option<String>,
    /// Generated data, not a real registry.
    pub fictional: bool,
    /// When it was imported (UTC).
    pub imported_at: String,
    /// Establishments imported.
    pub establishments: i64,
    /// When the same source was imported before (growth compares with it).
    pub previous_imported_at: Option<String>,
}

fn view(d: &Dataset) -> DatasetView {
    DatasetView {
        source: d.source.clone(),
        title_en: d.title_en.clone().unwrap_or_else(|| d.source.clone()),
        title_fr: d.title_fr.clone().unwrap_or_else(|| d.source.clone()),
        reference_date: d.reference_date.clone(),
        fictional: d.fictional,
        imported_at: d.imported_at.clone(),
        establishments: d.establishments,
        previous_imported_at: d.previous_imported_at.clone(),
    }
}

/// The star thresholds in force, with their source.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Rules {
    pub size_top_share: f64,
    pub specialisation_location_quotient: f64,
    pub focus_top_share: f64,
    pub source: String,
    pub effective_from: String,
    /// Whether a threshold is not confirmed by its source.
    pub uncertain: bool,
}

fn rules_view(r: &StarRules) -> Rules {
    Rules {
        size_top_share: r.size_top_share,
        specialisation_location_quotient: r.specialisation_lq,
        focus_top_share: r.focus_top_share,
        source: r.source.clone(),
        effective_from: r.effective_from.clone(),
        uncertain: r.uncertain,
    }
}

/// What the table shows.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TableQuery {
    /// The dataset's source (default: the first offered, real data before generated).
    pub dataset: Option<String>,
    /// `region` (default) or `department`.
    pub level: Option<String>,
    /// `sector` (the programme's sectors, default), `section` or `division` (NAF).
    pub grouping: Option<String>,
    /// A code of the grouping (default: its first).
    pub sector: Option<String>,
}

/// A sector one can choose.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SectorOption {
    pub code: String,
    pub label_en: String,
    pub label_fr: String,
}

/// A pôle named in a table.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PoleRef {
    pub slug: String,
    pub name: String,
}

/// One area in one sector.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AreaRow {
    pub area: String,
    pub name: String,
    pub establishments: i64,
    pub employment: i64,
    /// The sector's share of the area's employment (0-1).
    pub share: f64,
    pub location_quotient: Option<f64>,
    /// Rank among areas by employment in the sector.
    pub rank: usize,
    pub size_star: bool,
    pub specialisation_star: bool,
    pub focus_star: bool,
    /// Employment at the source's previous import, where there is one.
    pub employment_before: Option<i64>,
    pub change_percent: Option<f64>,
    /// Today's pôles of this sector with this area in their territory.
    pub poles: Vec<PoleRef>,
}

/// The specialisation of every area in one sector.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SpecialisationTable {
    pub dataset: DatasetView,
    pub datasets: Vec<DatasetView>,
    pub level: String,
    pub grouping: String,
    pub sector: SectorOption,
    pub sectors: Vec<SectorOption>,
    pub rules: Rules,
    /// All employment of the dataset's areas, and in this sector.
    pub total_employment: i64,
    pub sector_employment: i64,
    /// Sorted by location quotient, highest first.
    pub rows: Vec<AreaRow>,
}

/// The datasets offered (none before an establishment import).
pub async fn datasets(app: &App) -> Result<Vec<DatasetView>> {
    Ok(store::datasets(&app.db).await?.iter().map(view).collect())
}

async fn dataset(app: &App, source: Option<&str>) -> Result<(Dataset, Vec<Dataset>)> {
    let all = store::datasets(&app.db).await?;
    let chosen = match source {
        Some(s) => all.iter().find(|d| d.source == s).cloned().ok_or_else(|| {
            crate::AppError::from(FieldError::new(
                "dataset",
                format!("no establishment registry named {s:?} is imported"),
            ))
        })?,
        // The widest picture first: the dataset covering the most regions.
        None => {
            let mut best: Option<(usize, &Dataset)> = None;
            for d in &all {
                let n = store::area_totals(&app.db, d.import_id, "region")
                    .await?
                    .len();
                if best.is_none_or(|(m, _)| n > m) {
                    best = Some((n, d));
                }
            }
            best.map(|(_, d)| d.clone())
                .ok_or(crate::AppError::NotFound("establishment registry"))?
        }
    };
    Ok((chosen, all))
}

fn level_of(level: Option<&str>) -> Result<&'static str> {
    match level.unwrap_or("region") {
        "region" => Ok("region"),
        "department" => Ok("department"),
        other => Err(crate::AppError::from(FieldError::new(
            "level",
            format!("{other:?} is not a level: region or department"),
        ))),
    }
}

fn grouping_of(grouping: Option<&str>) -> Result<&'static str> {
    match grouping.unwrap_or("sector") {
        "sector" => Ok("sector"),
        "section" => Ok("section"),
        "division" => Ok("division"),
        other => Err(crate::AppError::from(FieldError::new(
            "grouping",
            format!("{other:?} is not a grouping: sector, section or division"),
        ))),
    }
}

const SECTIONS_EN: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/naf/sections-en.csv"
));
const SECTIONS_FR: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/naf/naf_section_labels.csv"
));

fn section_labels(csv_text: &str) -> HashMap<String, String> {
    csv::Reader::from_reader(csv_text.as_bytes())
        .records()
        .filter_map(|r| r.ok())
        .filter_map(|r| Some((r.get(0)?.to_string(), r.get(1)?.to_string())))
        .collect()
}

/// The sectors of a grouping with their names, in order: the programme's as the registry
/// orders them, NAF by code (INSEE's division titles exist in French only).
fn options(grouping: &str, names: &Names, present: &BTreeSet<String>) -> Vec<SectorOption> {
    match grouping {
        "sector" => {
            let mut seen = Vec::new();
            for (s, _) in sector_divisions().unwrap_or_default() {
                if !seen.contains(&s) {
                    seen.push(s);
                }
            }
            seen.into_iter()
                .map(|code| {
                    let (en, fr) = names
                        .sectors
                        .get(&code)
                        .cloned()
                        .unwrap_or_else(|| (code.clone(), code.clone()));
                    SectorOption {
                        code,
                        label_en: en,
                        label_fr: fr,
                    }
                })
                .collect()
        }
        "section" => {
            let (en, fr) = (section_labels(SECTIONS_EN), section_labels(SECTIONS_FR));
            let mut codes: Vec<&String> = fr.keys().collect();
            codes.sort();
            codes
                .into_iter()
                .map(|c| SectorOption {
                    code: c.clone(),
                    label_en: en.get(c).cloned().unwrap_or_else(|| c.clone()),
                    label_fr: fr.get(c).cloned().unwrap_or_else(|| c.clone()),
                })
                .collect()
        }
        _ => present
            .iter()
            .map(|c| {
                let label = names.divisions.get(c).cloned().unwrap_or_else(|| c.clone());
                SectorOption {
                    code: c.clone(),
                    label_en: label.clone(),
                    label_fr: label,
                }
            })
            .collect(),
    }
}

/// The NAF divisions a sector of a grouping covers.
fn divisions_of(grouping: &str, sector: &str) -> BTreeSet<String> {
    match grouping {
        "sector" => sector_divisions()
            .unwrap_or_default()
            .into_iter()
            .filter(|(s, _)| s == sector)
            .map(|(_, d)| d)
            .collect(),
        "section" => division_sections()
            .unwrap_or_default()
            .into_iter()
            .filter(|(_, s)| s == sector)
            .map(|(d, _)| d)
            .collect(),
        _ => [sector.to_string()].into_iter().collect(),
    }
}

fn today() -> String {
    Date::today().to_string()
}

/// The specialisation of every area of a dataset in one sector, with growth since the
/// source's previous import and the pôles of that sector in each area.
pub async fn table(app: &App, q: &TableQuery) -> Result<SpecialisationTable> {
    let mut level = level_of(q.level.as_deref())?;
    let grouping = grouping_of(q.grouping.as_deref())?;
    let (d, all) = dataset(app, q.dataset.as_deref()).await?;
    // A one-region registry (the Occitanie sample) says something only by department.
    if q.level.is_none()
        && store::area_totals(&app.db, d.import_id, "region")
            .await?
            .len()
            == 1
    {
        level = "department";
    }
    let names = store::names(&app.db).await?;
    let cells = store::cells(&app.db, d.import_id, level, grouping).await?;
    let present: BTreeSet<String> = cells.iter().map(|c| c.sector.clone()).collect();
    let sectors = options(grouping, &names, &present);
    let sector = match q.sector.as_deref() {
        Some(s) => sectors
            .iter()
            .find(|o| o.code == s)
            .cloned()
            .ok_or_else(|| {
                crate::AppError::from(FieldError::new(
                    "sector",
                    format!("{s:?} is not a {grouping} of this dataset"),
                ))
            })?,
        None => sectors
            .first()
            .cloned()
            .ok_or(crate::AppError::NotFound("sector"))?,
    };
    let totals = store::area_totals(&app.db, d.import_id, level).await?;
    let rules = store::star_rules(&today())?;
    let here: Vec<_> = cells
        .iter()
        .filter(|c| c.sector == sector.code)
        .cloned()
        .collect();
    let mut rows = spec::specialise(&here, &totals, &rules);
    let before: HashMap<String, i64> = match d.previous_import_id {
        Some(p) => store::cells(&app.db, p, level, grouping)
            .await?
            .into_iter()
            .filter(|c| c.sector == sector.code)
            .map(|c| (c.area, c.employment))
            .collect(),
        None => HashMap::new(),
    };
    // Today's pôles working in the sector, by the areas of their territory.
    let divisions = divisions_of(grouping, &sector.code);
    let sector_divs = sector_divisions()?;
    let department_region: HashMap<String, String> = if level == "department" {
        poles_store::specialisation::department_regions(&app.db).await?
    } else {
        HashMap::new()
    };
    let clusters: Vec<_> = atlas::all_clusters(app)
        .await?
        .into_iter()
        .filter(|c| c.succeeded_by.is_none())
        .filter(|c| {
            c.sectors.iter().any(|s| {
                sector_divs
                    .iter()
                    .any(|(ps, d)| ps == s && divisions.contains(d))
            })
        })
        .collect();
    rows.sort_by(|a, b| {
        b.location_quotient
            .unwrap_or(0.0)
            .total_cmp(&a.location_quotient.unwrap_or(0.0))
            .then(a.area.cmp(&b.area))
    });
    let area_names = if level == "region" {
        &names.regions
    } else {
        &names.departments
    };
    let sector_employment = rows.iter().map(|r| r.employment).sum();
    let rows = rows
        .into_iter()
        .map(|r: Specialised| {
            let region = if level == "region" {
                Some(&r.area)
            } else {
                department_region.get(&r.area)
            };
            let poles = clusters
                .iter()
                .filter(|c| region.is_some_and(|g| c.regions.contains(g)))
                .map(|c| PoleRef {
                    slug: c.slug.clone(),
                    name: c.name.clone(),
                })
                .collect();
            let employment_before = d
                .previous_import_id
                .map(|_| before.get(&r.area).copied().unwrap_or(0));
            AreaRow {
                name: area_names
                    .get(&r.area)
                    .cloned()
                    .unwrap_or_else(|| r.area.clone()),
                establishments: r.establishments,
                employment: r.employment,
                share: r.share,
                location_quotient: r.location_quotient,
                rank: r.rank,
                size_star: r.size_star,
                specialisation_star: r.specialisation_star,
                focus_star: r.focus_star,
                change_percent: employment_before
                    .filter(|b| *b > 0)
                    .map(|b| (r.employment - b) as f64 * 100.0 / b as f64),
                employment_before,
                poles,
                area: r.area,
            }
        })
        .collect();
    Ok(SpecialisationTable {
        dataset: view(&d),
        datasets: all.iter().map(view).collect(),
        level: level.into(),
        grouping: grouping.into(),
        sector,
        sectors,
        rules: rules_view(&rules),
        total_employment: totals.values().sum(),
        sector_employment,
        rows,
    })
}

/// Regions side by side.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CompareQuery {
    pub dataset: Option<String>,
    /// Region codes, comma-separated: one to ten.
    pub regions: Option<String>,
    /// `sector` (default), `section` or `division`.
    pub grouping: Option<String>,
}

/// One region's figures in one sector of a comparison.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CompareCell {
    pub employment: i64,
    pub location_quotient: Option<f64>,
    pub stars: usize,
}

/// One sector across the regions compared (cells in the order of `regions`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CompareRow {
    pub sector: SectorOption,
    pub cells: Vec<Option<CompareCell>>,
}

/// Up to ten regions side by side, every sector of a grouping.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RegionComparison {
    pub dataset: DatasetView,
    pub datasets: Vec<DatasetView>,
    pub grouping: String,
    /// The regions compared, (code, name), and every region one may add.
    pub regions: Vec<SectorOption>,
    pub available: Vec<SectorOption>,
    pub rows: Vec<CompareRow>,
    pub rules: Rules,
}

pub async fn compare(app: &App, q: &CompareQuery) -> Result<RegionComparison> {
    let grouping = grouping_of(q.grouping.as_deref())?;
    let (d, all) = dataset(app, q.dataset.as_deref()).await?;
    let names = store::names(&app.db).await?;
    let totals = store::area_totals(&app.db, d.import_id, "region").await?;
    let area = |code: &String| SectorOption {
        code: code.clone(),
        label_en: names
            .regions
            .get(code)
            .cloned()
            .unwrap_or_else(|| code.clone()),
        label_fr: names
            .regions
            .get(code)
            .cloned()
            .unwrap_or_else(|| code.clone()),
    };
    let available: Vec<SectorOption> = totals.keys().map(area).collect();
    let mut chosen: Vec<String> = Vec::new();
    match q
        .regions
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(list) => {
            for code in list.split(',').map(str::trim).filter(|c| !c.is_empty()) {
                if !totals.contains_key(code) {
                    return Err(crate::AppError::from(FieldError::new(
                        "regions",
                        format!("region {code:?} has no establishments in this dataset"),
                    )));
                }
                if !chosen.iter().any(|c| c == code) {
                    chosen.push(code.to_string());
                }
            }
        }
        // By default the three largest regions by employment.
        None => {
            let mut by: Vec<(&String, &i64)> = totals.iter().collect();
            by.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            chosen = by.into_iter().take(3).map(|(c, _)| c.clone()).collect();
        }
    }
    if chosen.is_empty() || chosen.len() > 10 {
        return Err(crate::AppError::from(FieldError::new(
            "regions",
            format!("compare one to ten regions, not {}", chosen.len()),
        )));
    }
    let cells = store::cells(&app.db, d.import_id, "region", grouping).await?;
    let present: BTreeSet<String> = cells.iter().map(|c| c.sector.clone()).collect();
    let rules = store::star_rules(&today())?;
    let specialised = spec::specialise(&cells, &totals, &rules);
    let mut at: BTreeMap<(&str, &str), &Specialised> = BTreeMap::new();
    for s in &specialised {
        at.insert((s.sector.as_str(), s.area.as_str()), s);
    }
    let rows = options(grouping, &names, &present)
        .into_iter()
        .filter(|o| present.contains(&o.code))
        .map(|o| CompareRow {
            cells: chosen
                .iter()
                .map(|r| {
                    at.get(&(o.code.as_str(), r.as_str())).map(|s| CompareCell {
                        employment: s.employment,
                        location_quotient: s.location_quotient,
                        stars: s.stars(),
                    })
                })
                .collect(),
            sector: o,
        })
        .collect();
    Ok(RegionComparison {
        dataset: view(&d),
        datasets: all.iter().map(view).collect(),
        grouping: grouping.into(),
        regions: chosen.iter().map(area).collect(),
        available,
        rows,
        rules: rules_view(&rules),
    })
}

/// A pôle's region in one of its sectors.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TerritoryCell {
    pub region: String,
    pub region_name: String,
    pub sector: SectorOption,
    pub establishments: i64,
    pub employment: i64,
    pub location_quotient: Option<f64>,
    pub size_star: bool,
    pub specialisation_star: bool,
    pub focus_star: bool,
}

/// An establishment of the pôle's sectors in its territory (not a member).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TerritoryEstablishment {
    pub siret: String,
    pub name: Option<String>,
    pub commune_name: Option<String>,
    pub department: String,
    pub naf: String,
    pub naf_label: Option<String>,
    pub employees: i64,
}

/// What one dataset says of a pôle's territory.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TerritoryBlock {
    pub dataset: DatasetView,
    pub cells: Vec<TerritoryCell>,
    /// Establishments in activity and their employment in the pôle's sectors' divisions,
    /// in its regions.
    pub establishments: i64,
    pub employment: i64,
    /// The largest of them, by employment: candidates, not members.
    pub largest: Vec<TerritoryEstablishment>,
}

/// A pôle's territory in its sectors, in each dataset that covers one of its regions.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Territory {
    pub slug: String,
    pub name: String,
    pub regions: Vec<String>,
    pub sectors: Vec<String>,
    pub blocks: Vec<TerritoryBlock>,
    pub rules: Rules,
}

pub async fn territory(app: &App, slug: &str) -> Result<Territory> {
    let (name, regions, sectors) = store::cluster_scope(&app.db, slug)
        .await?
        .ok_or(crate::AppError::NotFound("cluster"))?;
    let names = store::names(&app.db).await?;
    let rules = store::star_rules(&today())?;
    let sector_divs = sector_divisions()?;
    let divisions: Vec<String> = sector_divs
        .iter()
        .filter(|(s, _)| sectors.contains(s))
        .map(|(_, d)| d.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut blocks = Vec::new();
    for d in store::datasets(&app.db).await? {
        let totals = store::area_totals(&app.db, d.import_id, "region").await?;
        if !regions.iter().any(|r| totals.contains_key(r)) {
            continue;
        }
        let cells = store::cells(&app.db, d.import_id, "region", "sector").await?;
        let specialised = spec::specialise(&cells, &totals, &rules);
        let sector_name = |code: &String| {
            let (en, fr) = names
                .sectors
                .get(code)
                .cloned()
                .unwrap_or_else(|| (code.clone(), code.clone()));
            SectorOption {
                code: code.clone(),
                label_en: en,
                label_fr: fr,
            }
        };
        let mut out = Vec::new();
        for r in &regions {
            for s in &sectors {
                let Some(c) = specialised.iter().find(|c| &c.area == r && &c.sector == s) else {
                    continue;
                };
                out.push(TerritoryCell {
                    region: r.clone(),
                    region_name: names.regions.get(r).cloned().unwrap_or_else(|| r.clone()),
                    sector: sector_name(s),
                    establishments: c.establishments,
                    employment: c.employment,
                    location_quotient: c.location_quotient,
                    size_star: c.size_star,
                    specialisation_star: c.specialisation_star,
                    focus_star: c.focus_star,
                });
            }
        }
        // The divisions' counts, not the sectors' (a division in two of its sectors counts once).
        let division_cells = store::cells(&app.db, d.import_id, "region", "division").await?;
        let (establishments, employment) = division_cells
            .iter()
            .filter(|c| regions.contains(&c.area) && divisions.contains(&c.sector))
            .fold((0, 0), |(n, e), c| (n + c.establishments, e + c.employment));
        let largest = store::largest(&app.db, &d.source, &regions, &divisions, 10)
            .await?
            .into_iter()
            .map(|l: Largest| TerritoryEstablishment {
                siret: l.siret,
                name: l.name,
                commune_name: l.commune_name,
                department: l.department,
                naf: l.naf,
                naf_label: l.naf_label,
                employees: l.employees,
            })
            .collect();
        blocks.push(TerritoryBlock {
            dataset: view(&d),
            cells: out,
            establishments,
            employment,
            largest,
        });
    }
    Ok(Territory {
        slug: slug.to_string(),
        name,
        regions,
        sectors,
        blocks,
        rules: rules_view(&rules),
    })
}
