//! Read queries of the registry, for the atlas and the API. Everything a list shows is
//! computed here in one place, so that pages and API agree. Rows are decoded into row
//! structs of primitive columns (explicit column lists, never `SELECT *`) and converted into
//! the read models with `TryFrom`: a stored value that does not parse is refused, never
//! defaulted.

use crate::error::Result;
use crate::util::{flag, from_row, parsed, parsed_opt};
use crate::Db;
use poles_core::model::*;
use poles_core::text::normalize;
use poles_core::{Currency, LabelStatus, Money, OrgKind, Page, Tier};
use std::collections::HashMap;

fn money(cents: Option<i64>, currency: Currency) -> Option<Money> {
    cents.map(|cents| Money { cents, currency })
}

struct SectorRow {
    code: String,
    name_en: String,
    name_fr: String,
    press_kit: i64,
}
from_row!(SectorRow {
    code,
    name_en,
    name_fr,
    press_kit
});

impl From<SectorRow> for Sector {
    fn from(r: SectorRow) -> Self {
        Sector {
            code: r.code,
            name_en: r.name_en,
            name_fr: r.name_fr,
            press_kit: flag(r.press_kit),
        }
    }
}

pub async fn sectors(db: &Db) -> Result<Vec<Sector>> {
    let rows: Vec<SectorRow> =
        sqlx::query_as("SELECT code, name_en, name_fr, press_kit FROM sectors ORDER BY position")
            .fetch_all(&db.pool)
            .await?;
    Ok(rows.into_iter().map(Sector::from).collect())
}

struct NamedRow {
    code: String,
    name: String,
}
from_row!(NamedRow { code, name });

impl From<NamedRow> for Named {
    fn from(r: NamedRow) -> Self {
        Named {
            code: r.code,
            name: r.name,
        }
    }
}

struct RegionRow {
    code: String,
    name: String,
    clusters: i64,
    organisations: i64,
}
from_row!(RegionRow {
    code,
    name,
    clusters,
    organisations
});

struct FormerRegionRow {
    code: String,
    name: String,
    region_code: String,
}
from_row!(FormerRegionRow {
    code,
    name,
    region_code
});

pub async fn regions(db: &Db) -> Result<Vec<RegionSummary>> {
    let rows: Vec<RegionRow> = sqlx::query_as(
        "SELECT r.code, r.name, \
           (SELECT COUNT(*) FROM cluster_regions cr WHERE cr.region_code = r.code) AS clusters, \
           (SELECT COUNT(*) FROM organisations o WHERE o.region_code = r.code AND o.fictional = 0) AS organisations \
         FROM regions r ORDER BY r.overseas, r.name",
    )
    .fetch_all(&db.pool)
    .await?;
    let former: Vec<FormerRegionRow> =
        sqlx::query_as("SELECT code, name, region_code FROM former_regions ORDER BY name")
            .fetch_all(&db.pool)
            .await?;
    Ok(rows
        .into_iter()
        .map(|r| RegionSummary {
            former_regions: former
                .iter()
                .filter(|f| f.region_code == r.code)
                .map(|f| Named {
                    code: f.code.clone(),
                    name: f.name.clone(),
                })
                .collect(),
            code: r.code,
            name: r.name,
            clusters: r.clusters,
            organisations: r.organisations,
        })
        .collect())
}

/// Country names by code: `(English, French)`.
/// The NAF divisions (two digits) and their French names.
pub async fn naf_divisions(db: &Db) -> Result<HashMap<String, String>> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT code, label_fr FROM naf_codes WHERE level = 'division'")
            .fetch_all(&db.pool)
            .await?;
    Ok(rows.into_iter().collect())
}

pub async fn countries(db: &Db) -> Result<HashMap<String, (String, String)>> {
    let rows: Vec<(String, String, String)> =
        sqlx::query_as("SELECT code, name_en, name_fr FROM countries")
            .fetch_all(&db.pool)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(code, en, fr)| (code, (en, fr)))
        .collect())
}

struct LabelRow {
    cluster_id: i64,
    tier: Option<String>,
    status: String,
    decision_date: Option<String>,
    valid_from: Option<String>,
    valid_until: Option<String>,
    legal_act: Option<String>,
    note: Option<String>,
    source: String,
    phase_code: Option<String>,
    source_title: Option<String>,
    source_publisher: Option<String>,
}
from_row!(LabelRow {
    cluster_id,
    tier,
    status,
    decision_date,
    valid_from,
    valid_until,
    legal_act,
    note,
    source,
    phase_code,
    source_title,
    source_publisher
});

impl TryFrom<LabelRow> for (i64, Label) {
    type Error = crate::StoreError;

    fn try_from(r: LabelRow) -> Result<Self> {
        Ok((
            r.cluster_id,
            Label {
                tier: parsed_opt::<Tier>(r.tier)?,
                status: parsed::<LabelStatus>(r.status)?,
                decision_date: parsed_opt(r.decision_date)?,
                valid_from: parsed_opt(r.valid_from)?,
                valid_until: parsed_opt(r.valid_until)?,
                legal_act: r.legal_act,
                note: r.note,
                source: r.source,
                phase: r.phase_code,
                source_title: r.source_title,
                source_publisher: r.source_publisher,
            },
        ))
    }
}

/// Label history rows of some clusters, oldest decision first (undated rows first).
async fn labels(db: &Db, cluster_id: Option<i64>) -> Result<Vec<(i64, Label)>> {
    let mut sql = String::from(
        "SELECT cluster_id, tier, status, decision_date, valid_from, valid_until, legal_act, note, source, \
           phase_code, source_title, source_publisher FROM labels",
    );
    if cluster_id.is_some() {
        sql.push_str(" WHERE cluster_id = $1");
    }
    sql.push_str(" ORDER BY cluster_id, COALESCE(decision_date, ''), id");
    let mut q = sqlx::query_as::<_, LabelRow>(&sql);
    if let Some(id) = cluster_id {
        q = q.bind(id);
    }
    q.fetch_all(&db.pool)
        .await?
        .into_iter()
        .map(TryFrom::try_from)
        .collect()
}

/// The tier of the latest label that had one in the phase of the latest decision (phases
/// after 2008 have no tiers, so a 2005 tier is not carried into them), and the status after
/// the latest decision.
fn current_label(history: &[&Label]) -> (Option<Tier>, Option<LabelStatus>) {
    let phase = history.last().map(|l| &l.phase);
    let tier = history
        .iter()
        .rev()
        .filter(|l| Some(&l.phase) == phase)
        .find_map(|l| l.tier);
    let status = history.last().map(|l| l.status);
    (tier, status)
}

/// Filters of the cluster list; each already checked by the caller.
#[derive(Debug, Default, Clone)]
pub struct ClusterFilter {
    pub sector: Option<String>,
    pub region: Option<String>,
    pub label: Option<Tier>,
    pub status: Option<LabelStatus>,
    /// A programme phase the cluster holds a label decision in (today's phase, or `I` for
    /// the first one, 2005-2008).
    pub phase: Option<String>,
    pub q: Option<String>,
    /// The order of the list (by relevance when there is a search text and no order).
    pub sort: Option<ClusterSort>,
}

/// The orders of the cluster list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClusterSort {
    Name,
    City,
    /// Published member count, largest first (unknown last).
    Members,
    Status,
}

struct ClusterSummaryRow {
    id: i64,
    slug: String,
    name: String,
    official_name: Option<String>,
    is_leading: i64,
    members: i64,
    head_office_commune: Option<String>,
    city: Option<String>,
    website: Option<String>,
    published_members: Option<i64>,
    succeeded_by: Option<String>,
}
from_row!(ClusterSummaryRow {
    id,
    slug,
    name,
    official_name,
    is_leading,
    members,
    head_office_commune,
    city,
    website,
    published_members,
    succeeded_by
});

/// All clusters with their current label, regions, sectors and member counts. The programme
/// has at most a few hundred clusters, so filters apply in memory on one consistent read.
pub async fn all_clusters(db: &Db) -> Result<Vec<ClusterSummary>> {
    let rows: Vec<ClusterSummaryRow> = sqlx::query_as(
        "SELECT c.id, c.slug, c.name, c.official_name, c.is_leading, \
           (SELECT COUNT(*) FROM memberships m WHERE m.cluster_id = c.id) AS members, \
           c.head_office_commune, COALESCE(co.name, c.head_office_place) AS city, c.website, \
           (SELECT s.value FROM cluster_sizes s WHERE s.cluster_id = c.id AND s.kind = 'members') AS published_members, \
           (SELECT MIN(t.slug) FROM cluster_successions x JOIN clusters t ON t.id = x.to_cluster_id \
             WHERE x.from_cluster_id = c.id) AS succeeded_by \
         FROM clusters c LEFT JOIN communes co ON co.code = c.head_office_commune ORDER BY c.name",
    )
    .fetch_all(&db.pool)
    .await?;
    let mut regions: HashMap<i64, Vec<String>> = HashMap::new();
    let pairs: Vec<(i64, String)> =
        sqlx::query_as("SELECT cluster_id, region_code FROM cluster_regions ORDER BY region_code")
            .fetch_all(&db.pool)
            .await?;
    for (id, code) in pairs {
        regions.entry(id).or_default().push(code);
    }
    let mut sectors: HashMap<i64, Vec<String>> = HashMap::new();
    let pairs: Vec<(i64, String)> = sqlx::query_as(
        "SELECT cs.cluster_id, cs.sector_code FROM cluster_sectors cs JOIN sectors s ON s.code = cs.sector_code ORDER BY s.position",
    )
    .fetch_all(&db.pool)
    .await?;
    for (id, code) in pairs {
        sectors.entry(id).or_default().push(code);
    }
    let all_labels = labels(db, None).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let history: Vec<&Label> = all_labels
                .iter()
                .filter(|(c, _)| *c == r.id)
                .map(|(_, l)| l)
                .collect();
            let (label, status) = current_label(&history);
            ClusterSummary {
                slug: r.slug,
                name: r.name,
                official_name: r.official_name,
                label,
                status,
                regions: regions.remove(&r.id).unwrap_or_default(),
                sectors: sectors.remove(&r.id).unwrap_or_default(),
                members: r.members,
                leading: flag(r.is_leading),
                phase: history.last().and_then(|l| l.phase.clone()),
                tier_2005: history
                    .iter()
                    .rev()
                    .filter(|l| l.phase.as_deref() == Some("I"))
                    .find_map(|l| l.tier),
                phases: {
                    let mut p: Vec<String> =
                        history.iter().filter_map(|l| l.phase.clone()).collect();
                    p.dedup();
                    p
                },
                head_office: r.head_office_commune,
                city: r.city,
                website: r.website,
                published_members: r.published_members,
                succeeded_by: r.succeeded_by,
            }
        })
        .collect())
}

pub async fn list_clusters(
    db: &Db,
    f: &ClusterFilter,
    page: Page,
) -> Result<Paged<ClusterSummary>> {
    let rank = search_rank(db, f).await?;
    let all = filter_clusters(all_clusters(db).await?, f, rank.as_ref());
    let total = all.len() as i64;
    let items = all
        .into_iter()
        .skip(page.offset as usize)
        .take(page.limit as usize)
        .collect();
    Ok(Paged { items, total })
}

/// The rank of each cluster a filter's search text finds (by slug), when it has one.
pub async fn search_rank(db: &Db, f: &ClusterFilter) -> Result<Option<HashMap<String, usize>>> {
    let Some(q) = f.q.as_deref().filter(|q| !q.trim().is_empty()) else {
        return Ok(None);
    };
    let req = crate::search::SearchRequest {
        q: q.to_string(),
        kind: Some("cluster".into()),
        ..Default::default()
    };
    let hits = crate::search::search(
        db,
        &req,
        Page {
            limit: 10_000,
            offset: 0,
        },
        None,
    )
    .await?;
    Ok(Some(
        hits.items
            .into_iter()
            .enumerate()
            .map(|(k, h)| (h.reference, k))
            .collect(),
    ))
}

/// The clusters of [`all_clusters`] that pass a filter, in its order; `rank` is
/// [`search_rank`]'s answer for the filter's search text. Pure, so that a page can count
/// several variants of one filter over one read.
pub fn filter_clusters(
    mut all: Vec<ClusterSummary>,
    f: &ClusterFilter,
    rank: Option<&HashMap<String, usize>>,
) -> Vec<ClusterSummary> {
    if let Some(rank) = rank {
        all.retain(|c| rank.contains_key(&c.slug));
        all.sort_by_key(|c| rank.get(&c.slug).copied().unwrap_or(usize::MAX));
    }
    // Names sort on their accent-folded form ("Céramique" before "Cosmetic Valley"), in
    // Rust, so that SQLite and PostgreSQL give one order.
    let by_name =
        |a: &ClusterSummary, b: &ClusterSummary| normalize(&a.name).cmp(&normalize(&b.name));
    match f.sort {
        Some(ClusterSort::Name) => all.sort_by(by_name),
        Some(ClusterSort::City) => all.sort_by(|a, b| {
            (a.city.is_none(), a.city.as_deref().map(normalize))
                .cmp(&(b.city.is_none(), b.city.as_deref().map(normalize)))
                .then_with(|| by_name(a, b))
        }),
        Some(ClusterSort::Members) => all.sort_by(|a, b| {
            b.published_members
                .cmp(&a.published_members)
                .then_with(|| by_name(a, b))
        }),
        Some(ClusterSort::Status) => all.sort_by(|a, b| {
            (a.status.map(|s| s.as_str()), a.label.map(|t| t.as_str()))
                .cmp(&(b.status.map(|s| s.as_str()), b.label.map(|t| t.as_str())))
                .then_with(|| by_name(a, b))
        }),
        None if rank.is_some() => {}
        None => all.sort_by(by_name),
    }
    all.retain(|c| {
        f.sector.as_ref().is_none_or(|s| c.sectors.contains(s))
            && f.region.as_ref().is_none_or(|r| c.regions.contains(r))
            // Tiers exist in the first phase only (2005-2008).
            && f.label.is_none_or(|t| c.tier_2005 == Some(t))
            && f.status.is_none_or(|st| c.status == Some(st))
            // A record without any label decision (a cluster the 2007 press kit names
            // beside the labelled ones) belongs to the first phase's picture.
            && f.phase.as_ref().is_none_or(|p| {
                c.phases.contains(p) || (p == "I" && c.phases.is_empty())
            })
    });
    all
}

async fn cluster_id(db: &Db, slug: &str) -> Result<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM clusters WHERE slug = $1")
            .bind(slug.to_string())
            .fetch_optional(&db.pool)
            .await?,
    )
}

pub async fn sector_exists(db: &Db, code: &str) -> Result<bool> {
    Ok(sqlx::query("SELECT 1 FROM sectors WHERE code = $1")
        .bind(code.to_string())
        .fetch_optional(&db.pool)
        .await?
        .is_some())
}

pub async fn region_exists(db: &Db, code: &str) -> Result<bool> {
    Ok(sqlx::query("SELECT 1 FROM regions WHERE code = $1")
        .bind(code.to_string())
        .fetch_optional(&db.pool)
        .await?
        .is_some())
}

pub async fn cluster_exists(db: &Db, slug: &str) -> Result<bool> {
    Ok(cluster_id(db, slug).await?.is_some())
}

/// A partnership with both sides: a side is a cluster of the programme (its `*_cslug`,
/// `*_cname`) or a foreign one (its `*_f*` columns).
struct PartnershipRow {
    id: i64,
    kind: String,
    start_date: Option<String>,
    scope: Option<String>,
    source: String,
    a_cluster_id: Option<i64>,
    a_cslug: Option<String>,
    a_cname: Option<String>,
    a_fslug: Option<String>,
    a_fname: Option<String>,
    a_fcountry: Option<String>,
    a_fkind: Option<String>,
    a_fweb: Option<String>,
    b_cluster_id: Option<i64>,
    b_cslug: Option<String>,
    b_cname: Option<String>,
    b_fslug: Option<String>,
    b_fname: Option<String>,
    b_fcountry: Option<String>,
    b_fkind: Option<String>,
    b_fweb: Option<String>,
    status: String,
    end_date: Option<String>,
    document_url: Option<String>,
}
from_row!(PartnershipRow {
    id,
    kind,
    start_date,
    scope,
    source,
    a_cluster_id,
    a_cslug,
    a_cname,
    a_fslug,
    a_fname,
    a_fcountry,
    a_fkind,
    a_fweb,
    b_cluster_id,
    b_cslug,
    b_cname,
    b_fslug,
    b_fname,
    b_fcountry,
    b_fkind,
    b_fweb,
    status,
    end_date,
    document_url
});

/// A foreign side as read: slug, name, country, entity kind, website.
type ForeignSide = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// One side of a stored partnership; a side that names neither a cluster nor a foreign
/// party is corrupt data and refused.
fn party(
    cluster_id: Option<i64>,
    cluster: (Option<String>, Option<String>),
    foreign: ForeignSide,
) -> Result<Party> {
    let missing = || crate::StoreError::Data("a partnership side names no party".into());
    Ok(if cluster_id.is_some() {
        Party {
            kind: "cluster".into(),
            slug: cluster.0.ok_or_else(missing)?,
            name: cluster.1.ok_or_else(missing)?,
            country: Some("FR".into()),
            entity: None,
            website: None,
        }
    } else {
        Party {
            kind: "foreign".into(),
            slug: foreign.0.ok_or_else(missing)?,
            name: foreign.1.ok_or_else(missing)?,
            country: foreign.2,
            entity: foreign.3,
            website: foreign.4,
        }
    })
}

impl TryFrom<PartnershipRow> for Partnership {
    type Error = crate::StoreError;

    fn try_from(r: PartnershipRow) -> Result<Self> {
        Ok(Partnership {
            id: r.id,
            a: party(
                r.a_cluster_id,
                (r.a_cslug, r.a_cname),
                (r.a_fslug, r.a_fname, r.a_fcountry, r.a_fkind, r.a_fweb),
            )?,
            b: party(
                r.b_cluster_id,
                (r.b_cslug, r.b_cname),
                (r.b_fslug, r.b_fname, r.b_fcountry, r.b_fkind, r.b_fweb),
            )?,
            kind: r.kind,
            start_date: parsed_opt(r.start_date)?,
            scope: r.scope,
            source: r.source,
            status: parsed(r.status)?,
            end_date: parsed_opt(r.end_date)?,
            document_url: r.document_url,
        })
    }
}

/// All partnerships, or those of one cluster: the confirmed and the ended (the public
/// record; proposals and refusals stay between the pôles, see [`partnerships_in_progress`]).
pub async fn partnerships(db: &Db, cluster: Option<i64>) -> Result<Vec<Partnership>> {
    partnerships_where(db, cluster, "p.status IN ('confirmed', 'ended')").await
}

/// One pôle's partnerships proposed (by it or to it) or declined: what its managers see.
pub async fn partnerships_in_progress(db: &Db, cluster: i64) -> Result<Vec<Partnership>> {
    partnerships_where(db, Some(cluster), "p.status IN ('proposed', 'declined')").await
}

async fn partnerships_where(
    db: &Db,
    cluster: Option<i64>,
    status: &str,
) -> Result<Vec<Partnership>> {
    let mut sql = String::from(
        "SELECT p.id, p.kind, p.start_date, p.scope, p.source, p.status, p.end_date, p.document_url, \
           p.a_cluster_id, p.b_cluster_id, \
           ac.slug AS a_cslug, ac.name AS a_cname, af.slug AS a_fslug, af.name AS a_fname, af.country AS a_fcountry, af.kind AS a_fkind, af.website AS a_fweb, \
           bc.slug AS b_cslug, bc.name AS b_cname, bf.slug AS b_fslug, bf.name AS b_fname, bf.country AS b_fcountry, bf.kind AS b_fkind, bf.website AS b_fweb \
         FROM partnerships p \
         LEFT JOIN clusters ac ON ac.id = p.a_cluster_id LEFT JOIN foreign_clusters af ON af.id = p.a_foreign_id \
         LEFT JOIN clusters bc ON bc.id = p.b_cluster_id LEFT JOIN foreign_clusters bf ON bf.id = p.b_foreign_id",
    );
    sql.push_str(&format!(" WHERE {status}"));
    if cluster.is_some() {
        sql.push_str(" AND (p.a_cluster_id = $1 OR p.b_cluster_id = $1)");
    }
    sql.push_str(" ORDER BY p.id");
    let mut q = sqlx::query_as::<_, PartnershipRow>(&sql);
    if let Some(id) = cluster {
        q = q.bind(id);
    }
    q.fetch_all(&db.pool)
        .await?
        .into_iter()
        .map(TryFrom::try_from)
        .collect()
}

struct NewsRow {
    id: i64,
    slug: Option<String>,
    published_on: Option<String>,
    title_en: String,
    title_fr: String,
    body_en: Option<String>,
    body_fr: Option<String>,
    source: String,
}
from_row!(NewsRow {
    id,
    slug,
    published_on,
    title_en,
    title_fr,
    body_en,
    body_fr,
    source
});

impl TryFrom<NewsRow> for NewsItem {
    type Error = crate::StoreError;

    fn try_from(r: NewsRow) -> Result<Self> {
        Ok(NewsItem {
            id: r.id,
            cluster: r.slug,
            published_on: parsed_opt(r.published_on)?,
            title_en: r.title_en,
            title_fr: r.title_fr,
            body_en: r.body_en,
            body_fr: r.body_fr,
            source: r.source,
        })
    }
}

pub async fn news(db: &Db, cluster: Option<i64>) -> Result<Vec<NewsItem>> {
    let mut sql = String::from(
        "SELECT n.id, c.slug, n.published_on, n.title_en, n.title_fr, n.body_en, n.body_fr, n.source \
         FROM news n LEFT JOIN clusters c ON c.id = n.cluster_id",
    );
    if cluster.is_some() {
        sql.push_str(" WHERE n.cluster_id = $1");
    }
    sql.push_str(" ORDER BY COALESCE(n.published_on, '') DESC, n.id");
    let mut q = sqlx::query_as::<_, NewsRow>(&sql);
    if let Some(id) = cluster {
        q = q.bind(id);
    }
    q.fetch_all(&db.pool)
        .await?
        .into_iter()
        .map(TryFrom::try_from)
        .collect()
}

struct EventRow {
    id: i64,
    name_en: String,
    name_fr: String,
    starts_on: Option<String>,
    place: Option<String>,
    description_en: Option<String>,
    description_fr: Option<String>,
    source: String,
}
from_row!(EventRow {
    id,
    name_en,
    name_fr,
    starts_on,
    place,
    description_en,
    description_fr,
    source
});

impl From<EventRow> for Event {
    fn from(r: EventRow) -> Self {
        Event {
            id: r.id,
            name_en: r.name_en,
            name_fr: r.name_fr,
            starts_on: r.starts_on,
            place: r.place,
            description_en: r.description_en,
            description_fr: r.description_fr,
            source: r.source,
        }
    }
}

pub async fn events(db: &Db) -> Result<Vec<Event>> {
    let rows: Vec<EventRow> = sqlx::query_as(
        "SELECT id, name_en, name_fr, starts_on, place, description_en, description_fr, source \
         FROM events ORDER BY COALESCE(starts_on, ''), id",
    )
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(Event::from).collect())
}

/// The SQL of "projects of a cluster": the cluster labelled the project on the platform, or
/// a member is itself a partner. A member's wider group is not tied to the pôle (the CEA
/// as a whole is not a member of Minalogic because CEA-Leti is), so the entities of a group
/// do not count through it. `$1` is the cluster id.
const CLUSTER_PROJECTS: &str = "SELECT pp.project_id FROM project_partners pp \
     JOIN memberships m ON m.organisation_id = pp.organisation_id \
     WHERE m.cluster_id = $1 \
     UNION SELECT project_id FROM project_clusters WHERE cluster_id = $1";

/// The SQL of "projects of an organisation", its own or its entities'. `$1` is its id.
/// (Two index look-ups joined by UNION: an `OR` across the join makes PostgreSQL scan.)
const ORGANISATION_PROJECTS: &str =
    "SELECT project_id FROM project_partners WHERE organisation_id = $1 \
     UNION SELECT pp.project_id FROM project_partners pp \
     JOIN organisations o ON o.id = pp.organisation_id WHERE o.parent_id = $1";

struct ClusterRow {
    id: i64,
    slug: String,
    name: String,
    official_name: Option<String>,
    theme_fr: Option<String>,
    specialty_en: Option<String>,
    is_leading: i64,
    website: Option<String>,
    description_fr: Option<String>,
    description_en: Option<String>,
    governance: Option<String>,
    note: Option<String>,
    sources: String,
    version: i64,
    theme_en: Option<String>,
    website_source: Option<String>,
    head_office_commune: Option<String>,
    head_office_place: Option<String>,
    commune_name: Option<String>,
    department_name: Option<String>,
    contact: Option<String>,
    contact_source: Option<String>,
}
from_row!(ClusterRow {
    id,
    slug,
    name,
    official_name,
    theme_fr,
    specialty_en,
    is_leading,
    website,
    description_fr,
    description_en,
    governance,
    note,
    sources,
    version,
    theme_en,
    website_source,
    head_office_commune,
    head_office_place,
    commune_name,
    department_name,
    contact,
    contact_source
});

struct MemberRow {
    id: i64,
    name: String,
    kind: String,
    country: Option<String>,
    role: String,
    since: Option<String>,
    source: String,
    quote: Option<String>,
}
from_row!(MemberRow {
    id,
    name,
    kind,
    country,
    role,
    since,
    source,
    quote
});

impl TryFrom<MemberRow> for Member {
    type Error = crate::StoreError;

    fn try_from(r: MemberRow) -> Result<Self> {
        Ok(Member {
            organisation_id: r.id,
            name: r.name,
            kind: parsed::<OrgKind>(r.kind)?,
            country: r.country,
            role: r.role,
            since: parsed_opt(r.since)?,
            source: r.source,
            quote: r.quote,
        })
    }
}

pub async fn cluster(db: &Db, slug: &str) -> Result<Option<ClusterDetail>> {
    let Some(row) = sqlx::query_as::<_, ClusterRow>(
        "SELECT c.id, c.slug, c.name, c.official_name, c.theme_fr, c.specialty_en, c.is_leading, c.website, \
           c.description_fr, c.description_en, c.governance, c.note, c.sources, c.version, \
           c.theme_en, c.website_source, c.head_office_commune, c.head_office_place, \
           co.name AS commune_name, d.name AS department_name, c.contact, c.contact_source \
         FROM clusters c LEFT JOIN communes co ON co.code = c.head_office_commune \
           LEFT JOIN departments d ON d.code = co.department_code WHERE c.slug = $1",
    )
    .bind(slug.to_string())
    .fetch_optional(&db.pool)
    .await?
    else {
        return Ok(None);
    };
    let id = row.id;
    let aliases: Vec<(String, String)> = sqlx::query_as(
        "SELECT alias, kind FROM cluster_aliases WHERE cluster_id = $1 ORDER BY kind, alias",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?;
    let named = |rows: Vec<NamedRow>| rows.into_iter().map(Named::from).collect::<Vec<_>>();
    let regions = named(
        sqlx::query_as("SELECT r.code, r.name FROM cluster_regions cr JOIN regions r ON r.code = cr.region_code WHERE cr.cluster_id = $1 ORDER BY r.name")
            .bind(id)
            .fetch_all(&db.pool)
            .await?,
    );
    let regions_2007 = named(
        sqlx::query_as("SELECT f.code, f.name FROM cluster_former_regions cf JOIN former_regions f ON f.code = cf.former_region_code WHERE cf.cluster_id = $1 ORDER BY f.name")
            .bind(id)
            .fetch_all(&db.pool)
            .await?,
    );
    let sectors: Vec<SectorRow> = sqlx::query_as("SELECT s.code, s.name_en, s.name_fr, s.press_kit FROM cluster_sectors cs JOIN sectors s ON s.code = cs.sector_code WHERE cs.cluster_id = $1 ORDER BY s.position")
        .bind(id)
        .fetch_all(&db.pool)
        .await?;
    let history: Vec<Label> = labels(db, Some(id))
        .await?
        .into_iter()
        .map(|(_, l)| l)
        .collect();
    let (label, status) = current_label(&history.iter().collect::<Vec<_>>());
    let members = sqlx::query_as::<_, MemberRow>("SELECT o.id, o.name, o.kind, o.country, m.role, m.since, m.source, m.quote FROM memberships m JOIN organisations o ON o.id = m.organisation_id WHERE m.cluster_id = $1 AND m.shown_publicly = 1 ORDER BY o.name")
        .bind(id)
        .fetch_all(&db.pool)
        .await?
        .into_iter()
        .map(Member::try_from)
        .collect::<Result<Vec<_>>>()?;
    let unlisted_members: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM memberships WHERE cluster_id = $1 AND shown_publicly = 0",
    )
    .bind(id)
    .fetch_one(&db.pool)
    .await?;
    let former_members = sqlx::query_as::<_, (i64, String, String, Option<String>, String)>(
        "SELECT o.id, o.name, p.role, p.since, p.until FROM past_memberships p \
         JOIN organisations o ON o.id = p.organisation_id \
         WHERE p.cluster_id = $1 AND p.shown_publicly = 1 ORDER BY p.until DESC, o.name, p.id",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?
    .into_iter()
    .map(|(id, name, role, since, until)| FormerMember {
        id,
        name,
        role,
        since,
        until,
    })
    .collect();
    let projects: i64 =
        sqlx::query_scalar(&format!("SELECT COUNT(*) AS n FROM ({CLUSTER_PROJECTS}) x"))
            .bind(id)
            .fetch_one(&db.pool)
            .await?;
    let published = sqlx::query_as::<_, SizeRow>(
        "SELECT kind, value, qualifier, as_of, source_title, source_publisher, source_url \
         FROM cluster_sizes WHERE cluster_id = $1 ORDER BY kind",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?
    .into_iter()
    .map(PublishedSize::from)
    .collect();
    let successions = |sql: &'static str| {
        sqlx::query_as::<_, SuccessionRow>(sql)
            .bind(id)
            .fetch_all(&db.pool)
    };
    let succeeded_by = successions(
        "SELECT t.slug, t.name, x.kind, x.on_date, x.source_title, x.source_url FROM cluster_successions x \
         JOIN clusters t ON t.id = x.to_cluster_id WHERE x.from_cluster_id = $1 ORDER BY t.slug",
    )
    .await?
    .into_iter()
    .map(Succession::from)
    .next();
    let predecessors = successions(
        "SELECT f.slug, f.name, x.kind, x.on_date, x.source_title, x.source_url FROM cluster_successions x \
         JOIN clusters f ON f.id = x.from_cluster_id WHERE x.to_cluster_id = $1 ORDER BY x.on_date, f.name",
    )
    .await?
    .into_iter()
    .map(Succession::from)
    .collect();
    let head_office = match (
        row.head_office_commune,
        row.commune_name,
        row.head_office_place,
    ) {
        (code, Some(city), _) => Some(HeadOffice {
            commune: code,
            city,
            department: row.department_name,
        }),
        (_, None, Some(place)) => Some(HeadOffice {
            commune: None,
            city: place,
            department: None,
        }),
        _ => None,
    };
    Ok(Some(ClusterDetail {
        slug: row.slug,
        name: row.name,
        official_name: row.official_name,
        aliases: aliases
            .into_iter()
            .map(|(name, kind)| Alias { name, kind })
            .collect(),
        label,
        status,
        leading: flag(row.is_leading),
        regions,
        regions_2007,
        sectors: sectors.into_iter().map(Sector::from).collect(),
        theme_fr: row.theme_fr,
        specialty_en: row.specialty_en,
        theme_en: row.theme_en,
        website: row.website,
        website_source: row.website_source,
        head_office,
        contact: row.contact,
        contact_source: row.contact_source,
        published,
        succeeded_by,
        predecessors,
        description_fr: row.description_fr,
        description_en: row.description_en,
        governance: row.governance,
        note: row.note,
        sources: row
            .sources
            .split(" ; ")
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect(),
        label_history: history,
        members,
        unlisted_members,
        former_members,
        partnerships: partnerships(db, Some(id)).await?,
        projects,
        news: news(db, Some(id)).await?,
        version: row.version,
    }))
}

struct SizeRow {
    kind: String,
    value: i64,
    qualifier: Option<String>,
    as_of: Option<String>,
    source_title: String,
    source_publisher: Option<String>,
    source_url: Option<String>,
}
from_row!(SizeRow {
    kind,
    value,
    qualifier,
    as_of,
    source_title,
    source_publisher,
    source_url
});

impl From<SizeRow> for PublishedSize {
    fn from(r: SizeRow) -> Self {
        PublishedSize {
            kind: r.kind,
            value: r.value,
            qualifier: r.qualifier,
            as_of: r.as_of.clone(),
            source: SourceRef {
                title: r.source_title,
                publisher: r.source_publisher,
                date: r.as_of,
                url: r.source_url,
            },
        }
    }
}

struct SuccessionRow {
    slug: String,
    name: String,
    kind: String,
    on_date: Option<String>,
    source_title: String,
    source_url: Option<String>,
}
from_row!(SuccessionRow {
    slug,
    name,
    kind,
    on_date,
    source_title,
    source_url
});

impl From<SuccessionRow> for Succession {
    fn from(r: SuccessionRow) -> Self {
        Succession {
            slug: r.slug,
            name: r.name,
            kind: r.kind,
            date: r.on_date.clone(),
            source: SourceRef {
                title: r.source_title,
                publisher: None,
                date: r.on_date,
                url: r.source_url,
            },
        }
    }
}

struct PhaseRow {
    code: String,
    name_en: String,
    name_fr: String,
    starts: String,
    ends: String,
    decided: Option<String>,
    source_title: String,
    source_publisher: Option<String>,
    source_date: Option<String>,
    source_url: Option<String>,
}
from_row!(PhaseRow {
    code,
    name_en,
    name_fr,
    starts,
    ends,
    decided,
    source_title,
    source_publisher,
    source_date,
    source_url
});

/// The phases of the label policy, oldest first.
pub async fn phases(db: &Db) -> Result<Vec<Phase>> {
    sqlx::query_as::<_, PhaseRow>(
        "SELECT code, name_en, name_fr, starts, ends, decided, source_title, source_publisher, source_date, source_url \
         FROM programme_phases ORDER BY starts",
    )
    .fetch_all(&db.pool)
    .await?
    .into_iter()
    .map(|r| {
        Ok(Phase {
            code: r.code,
            name_en: r.name_en,
            name_fr: r.name_fr,
            starts: parsed(r.starts)?,
            ends: parsed(r.ends)?,
            decided: parsed_opt(r.decided)?,
            source: SourceRef {
                title: r.source_title,
                publisher: r.source_publisher,
                date: r.source_date,
                url: r.source_url,
            },
        })
    })
    .collect()
}

const PROJECT_SUMMARY_COLS: &str =
    "p.id, p.acronym, p.title, p.programme, p.start_date, p.end_date, \
     p.total_cost_cents, p.public_funding_cents, p.currency, \
     (SELECT COUNT(*) FROM project_partners x WHERE x.project_id = p.id) AS partners";

struct ProjectSummaryRow {
    id: i64,
    acronym: String,
    title: Option<String>,
    programme: Option<String>,
    start_date: Option<String>,
    end_date: Option<String>,
    total_cost_cents: Option<i64>,
    public_funding_cents: Option<i64>,
    currency: String,
    partners: i64,
}
from_row!(ProjectSummaryRow {
    id,
    acronym,
    title,
    programme,
    start_date,
    end_date,
    total_cost_cents,
    public_funding_cents,
    currency,
    partners
});

impl TryFrom<ProjectSummaryRow> for ProjectSummary {
    type Error = crate::StoreError;

    fn try_from(r: ProjectSummaryRow) -> Result<Self> {
        let currency = parsed::<Currency>(r.currency)?;
        Ok(ProjectSummary {
            id: r.id,
            acronym: r.acronym,
            title: r.title,
            programme: r.programme,
            start_date: parsed_opt(r.start_date)?,
            end_date: parsed_opt(r.end_date)?,
            total_cost: money(r.total_cost_cents, currency),
            public_funding: money(r.public_funding_cents, currency),
            partners: r.partners,
        })
    }
}

/// Filters of the project list; each already checked by the caller.
#[derive(Debug, Default, Clone)]
pub struct ProjectFilter {
    pub q: Option<String>,
    pub cluster: Option<String>,
    pub organisation: Option<i64>,
    /// A part of the programme: its code, and whether a project's code must equal it
    /// (a pillar's general line) rather than start with it.
    pub part: Option<(String, bool)>,
    /// The year the project started.
    pub year: Option<i32>,
    pub sort: Option<ProjectSort>,
}

/// The orders of the project list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectSort {
    /// Latest start first (the default).
    Start,
    Acronym,
    /// Largest total cost first.
    Cost,
    /// Most partners first.
    Partners,
}

/// Appends a condition keeping the rows of `kind` whose search entry holds every word of
/// `q` (bound as one value, numbered after `offset` earlier ones).
async fn push_text_filter(
    db: &Db,
    sql: &mut String,
    binds: &mut Vec<String>,
    offset: usize,
    kind: &str,
    id_col: &str,
    q: &str,
) -> Result<Option<usize>> {
    let Some(ids) = crate::search::matching_entries(db, kind, q).await? else {
        return Ok(None);
    };
    let n = ids.len();
    binds.push(crate::util::json_id_list(ids.into_iter()));
    sql.push_str(&format!(
        " AND {}",
        crate::util::id_in(db.backend, id_col, offset + binds.len())
    ));
    Ok(Some(n))
}

/// Binds the id (when the filter has one) then the text filter's values, in the order
/// their placeholders are numbered.
macro_rules! bind_all {
    ($q:expr, $id:expr, $binds:expr) => {{
        let mut q = $q;
        if let Some(id) = $id {
            q = q.bind(id);
        }
        for b in $binds {
            q = q.bind(b.clone());
        }
        q
    }};
}

/// The WHERE clause of a project filter: the cluster's or organisation's id (bound first when
/// present) and the other values; `skip` leaves out one field (`part` or `year`), for the
/// counts of that field's choices. `None` when the cluster does not exist.
async fn project_where(
    db: &Db,
    f: &ProjectFilter,
    skip: Option<&str>,
) -> Result<Option<(String, Option<i64>, Vec<String>)>> {
    let mut where_sql = String::from(" WHERE 1 = 1");
    let mut id_bind: Option<i64> = None;
    if let Some(slug) = &f.cluster {
        let Some(id) = cluster_id(db, slug).await? else {
            return Ok(None);
        };
        id_bind = Some(id);
        where_sql.push_str(&format!(" AND p.id IN ({CLUSTER_PROJECTS})"));
    } else if let Some(org) = f.organisation {
        id_bind = Some(org);
        where_sql.push_str(&format!(" AND p.id IN ({ORGANISATION_PROJECTS})"));
    }
    // The other values are numbered after the id.
    let first = usize::from(id_bind.is_some());
    let mut binds: Vec<String> = Vec::new();
    if let Some((code, exact)) = f.part.as_ref().filter(|_| skip != Some("part")) {
        // A project lists its codes separated by `;`: delimit them on both sides.
        binds.push(if *exact {
            format!("%;{code};%")
        } else {
            format!("%;{code}%")
        });
        where_sql.push_str(&format!(
            " AND (';' || COALESCE(p.programme, '') || ';') LIKE ${}",
            first + binds.len()
        ));
    }
    if let Some(y) = f.year.filter(|_| skip != Some("year")) {
        binds.push(format!("{y:04}-%"));
        where_sql.push_str(&format!(" AND p.start_date LIKE ${}", first + binds.len()));
    }
    if let Some(q) = &f.q {
        push_text_filter(db, &mut where_sql, &mut binds, first, "project", "p.id", q).await?;
    }
    Ok(Some((where_sql, id_bind, binds)))
}

pub async fn list_projects(
    db: &Db,
    f: &ProjectFilter,
    page: Page,
) -> Result<Paged<ProjectSummary>> {
    let Some((where_sql, id_bind, binds)) = project_where(db, f, None).await? else {
        return Ok(Paged {
            items: vec![],
            total: 0,
        });
    };
    let count_sql = format!("SELECT COUNT(*) AS n FROM projects p{where_sql}");
    let total: i64 = bind_all!(sqlx::query_scalar(&count_sql), id_bind, &binds)
        .fetch_one(&db.pool)
        .await?;
    let order = match f.sort {
        Some(ProjectSort::Acronym) => "p.acronym, p.id",
        Some(ProjectSort::Cost) => "COALESCE(p.total_cost_cents, -1) DESC, p.acronym, p.id",
        Some(ProjectSort::Partners) => "partners DESC, p.acronym, p.id",
        Some(ProjectSort::Start) | None => "COALESCE(p.start_date, '') DESC, p.acronym, p.id",
    };
    let list_sql = format!(
        "SELECT {PROJECT_SUMMARY_COLS} FROM projects p{where_sql} ORDER BY {order} LIMIT {} OFFSET {}",
        page.limit, page.offset
    );
    let rows: Vec<ProjectSummaryRow> = bind_all!(sqlx::query_as(&list_sql), id_bind, &binds)
        .fetch_all(&db.pool)
        .await?;
    Ok(Paged {
        items: rows
            .into_iter()
            .map(TryFrom::try_from)
            .collect::<Result<_>>()?,
        total,
    })
}

/// How many projects of a filter each programme value and each start year would give (each
/// count with the other filters applied): the raw `;`-separated programme values, which the
/// caller folds into parts, and the years (`None`: no start date), in no order.
pub async fn project_facets(
    db: &Db,
    f: &ProjectFilter,
) -> Result<(Vec<(Option<String>, i64)>, Vec<(Option<String>, i64)>)> {
    let Some((where_sql, id_bind, binds)) = project_where(db, f, Some("part")).await? else {
        return Ok((vec![], vec![]));
    };
    let sql = format!(
        "SELECT p.programme, COUNT(*) AS n FROM projects p{where_sql} GROUP BY p.programme"
    );
    let programmes: Vec<(Option<String>, i64)> = bind_all!(sqlx::query_as(&sql), id_bind, &binds)
        .fetch_all(&db.pool)
        .await?;
    let Some((where_sql, id_bind, binds)) = project_where(db, f, Some("year")).await? else {
        return Ok((programmes, vec![]));
    };
    let sql = format!(
        "SELECT SUBSTR(p.start_date, 1, 4) AS y, COUNT(*) AS n FROM projects p{where_sql} \
         GROUP BY SUBSTR(p.start_date, 1, 4)"
    );
    let years: Vec<(Option<String>, i64)> = bind_all!(sqlx::query_as(&sql), id_bind, &binds)
        .fetch_all(&db.pool)
        .await?;
    Ok((programmes, years))
}

/// The key an organisation's name sorts on: folded (accents, case, punctuation), so that
/// both databases sort French names alike whatever their collation.
pub fn name_key(name: &str) -> String {
    poles_core::text::normalize(name)
}

/// Gives their sort key to the organisations written before keys were stored (migration
/// 0017); nothing to do on a database that has them all. Returns how many were filled.
pub async fn fill_name_keys(db: &Db) -> Result<u64> {
    let rows: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, name FROM organisations WHERE name_key = ''")
            .fetch_all(&db.pool)
            .await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let mut tx = db.pool.begin().await?;
    crate::version::bump(&mut tx).await?;
    for (id, name) in &rows {
        sqlx::query("UPDATE organisations SET name_key = $1 WHERE id = $2")
            .bind(name_key(name))
            .bind(*id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(rows.len() as u64)
}

/// Filters of the organisation list; each already checked by the caller.
#[derive(Debug, Default, Clone)]
pub struct OrganisationFilter {
    pub q: Option<String>,
    pub country: Option<String>,
    pub kind: Option<OrgKind>,
    pub sort: Option<OrganisationSort>,
}

/// The orders of the organisation list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrganisationSort {
    Name,
    /// Most projects first.
    Projects,
    Country,
}

/// The WHERE clause of an organisation filter and its values; `skip` leaves out one of its
/// fields (`kind` or `country`), for the counts of that field's choices.
/// An organisation filter's WHERE clause and values, and how many organisations its words
/// match (when it has words).
async fn organisation_where(
    db: &Db,
    f: &OrganisationFilter,
    skip: Option<&str>,
) -> Result<(String, Vec<String>, Option<usize>)> {
    let mut cond = String::new();
    let mut binds: Vec<String> = Vec::new();
    if let Some(c) = f.country.as_ref().filter(|_| skip != Some("country")) {
        binds.push(c.clone());
        cond.push_str(&format!(" AND o.country = ${}", binds.len()));
    }
    if let Some(k) = f.kind.filter(|_| skip != Some("kind")) {
        binds.push(k.as_str().to_string());
        cond.push_str(&format!(" AND o.kind = ${}", binds.len()));
    }
    let matched = match &f.q {
        Some(q) => {
            push_text_filter(db, &mut cond, &mut binds, 0, "organisation", "o.id", q).await?
        }
        None => None,
    };
    // The demo's invented organisations are not part of the registry's open data. Few
    // matches of the words are looked up by id (`+` keeps the planner off the flag's index);
    // many are met walking that index in the list's order, which stops after a page.
    let walk = matched.is_none_or(|n| n >= DENSE_MATCHES);
    let where_sql = format!(
        " WHERE {}o.fictional = 0{cond}",
        if walk { "" } else { "+" }
    );
    Ok((where_sql, binds, matched))
}

/// From how many matches of its words a list walks its index in order rather than looking
/// the matches up (measured: at ten times the CORDIS extract, "energy" matches about 2,000
/// organisations, and a page of 20 is met within about 1,100 index entries).
const DENSE_MATCHES: usize = 1000;

fn kind_facet_sql(where_sql: &str) -> String {
    format!(
        "SELECT o.kind, COUNT(*) AS n FROM organisations o{where_sql} GROUP BY o.kind ORDER BY n DESC, o.kind"
    )
}

fn country_facet_sql(where_sql: &str) -> String {
    format!(
        "SELECT o.country, COUNT(*) AS n FROM organisations o{where_sql} AND o.country IS NOT NULL \
         GROUP BY o.country ORDER BY n DESC, o.country"
    )
}

/// How many organisations of a filter each kind and each country would give (each count
/// with the other filters applied), most first.
pub async fn organisation_facets(
    db: &Db,
    f: &OrganisationFilter,
) -> Result<(Vec<(String, i64)>, Vec<(String, i64)>)> {
    let no_id: Option<i64> = None;
    let (where_sql, binds, _) = organisation_where(db, f, Some("kind")).await?;
    let sql = kind_facet_sql(&where_sql);
    let kinds: Vec<(String, i64)> = bind_all!(sqlx::query_as(&sql), no_id, &binds)
        .fetch_all(&db.pool)
        .await?;
    let (where_sql, binds, _) = organisation_where(db, f, Some("country")).await?;
    let sql = country_facet_sql(&where_sql);
    let countries: Vec<(String, i64)> = bind_all!(sqlx::query_as(&sql), no_id, &binds)
        .fetch_all(&db.pool)
        .await?;
    Ok((kinds, countries))
}

struct OrganisationSummaryRow {
    id: i64,
    name: String,
    short_name: Option<String>,
    kind: String,
    country: Option<String>,
    projects: i64,
}
from_row!(OrganisationSummaryRow {
    id,
    name,
    short_name,
    kind,
    country,
    projects
});

impl TryFrom<OrganisationSummaryRow> for OrganisationSummary {
    type Error = crate::StoreError;

    fn try_from(r: OrganisationSummaryRow) -> Result<Self> {
        Ok(OrganisationSummary {
            id: r.id,
            name: r.name,
            short_name: r.short_name,
            kind: parsed::<OrgKind>(r.kind)?,
            country: r.country,
            projects: r.projects,
        })
    }
}

/// The count and the page of an organisation list.
fn organisation_list_sql(
    where_sql: &str,
    sort: Option<OrganisationSort>,
    page: Page,
) -> (String, String) {
    let count_sql = format!("SELECT COUNT(*) AS n FROM organisations o{where_sql}");
    let list_sql = format!(
        "SELECT o.id, o.name, o.short_name, o.kind, o.country, \
           (SELECT COUNT(*) FROM project_partners pp WHERE pp.organisation_id = o.id) AS projects \
         FROM organisations o{where_sql} ORDER BY {} LIMIT {} OFFSET {}",
        match sort {
            Some(OrganisationSort::Projects) => "projects DESC, o.name_key, o.id",
            Some(OrganisationSort::Country) => "o.country, o.name_key, o.id",
            Some(OrganisationSort::Name) | None => "o.name_key, o.id",
        },
        page.limit,
        page.offset
    );
    (count_sql, list_sql)
}

pub async fn list_organisations(
    db: &Db,
    f: &OrganisationFilter,
    page: Page,
) -> Result<Paged<OrganisationSummary>> {
    let (where_sql, binds, matched) = organisation_where(db, f, None).await?;
    let no_id: Option<i64> = None;
    let (count_sql, list_sql) = organisation_list_sql(&where_sql, f.sort, page);
    let total: i64 = match matched {
        // Words alone: the index holds no invented organisation, so the matches are the count.
        Some(n) if f.country.is_none() && f.kind.is_none() => n as i64,
        _ => {
            bind_all!(sqlx::query_scalar(&count_sql), no_id, &binds)
                .fetch_one(&db.pool)
                .await?
        }
    };
    let rows: Vec<OrganisationSummaryRow> = bind_all!(sqlx::query_as(&list_sql), no_id, &binds)
        .fetch_all(&db.pool)
        .await?;
    Ok(Paged {
        items: rows
            .into_iter()
            .map(TryFrom::try_from)
            .collect::<Result<_>>()?,
        total,
    })
}

struct OrganisationRow {
    name: String,
    short_name: Option<String>,
    kind: String,
    country: Option<String>,
    region_code: Option<String>,
    region_name: Option<String>,
    naf_code: Option<String>,
    headcount_band: Option<String>,
    siren: Option<String>,
    siret: Option<String>,
    vat: Option<String>,
    pic: Option<String>,
    cordis_id: Option<String>,
    website: Option<String>,
    competences: Option<String>,
    offer: Option<String>,
    seek: Option<String>,
    source: String,
    version: i64,
    fictional: i64,
}
from_row!(OrganisationRow {
    name,
    short_name,
    kind,
    country,
    region_code,
    region_name,
    naf_code,
    headcount_band,
    siren,
    siret,
    vat,
    pic,
    cordis_id,
    website,
    competences,
    offer,
    seek,
    source,
    version,
    fictional
});

struct MembershipOfRow {
    slug: String,
    name: String,
    role: String,
    source: String,
}
from_row!(MembershipOfRow {
    slug,
    name,
    role,
    source
});

pub async fn organisation(db: &Db, id: i64) -> Result<Option<OrganisationDetail>> {
    let Some(r) = sqlx::query_as::<_, OrganisationRow>(
        "SELECT o.name, o.short_name, o.kind, o.country, o.region_code, r.name AS region_name, \
           o.naf_code, o.headcount_band, o.siren, o.siret, o.vat, o.pic, o.cordis_id, o.website, \
           o.competences, o.offer, o.seek, o.source, o.version, o.fictional \
         FROM organisations o LEFT JOIN regions r ON r.code = o.region_code WHERE o.id = $1",
    )
    .bind(id)
    .fetch_optional(&db.pool)
    .await?
    else {
        return Ok(None);
    };
    let memberships: Vec<MembershipOfRow> = sqlx::query_as(
        "SELECT c.slug, c.name, m.role, m.source FROM memberships m JOIN clusters c ON c.id = m.cluster_id \
         WHERE m.shown_publicly = 1 AND (m.organisation_id = $1 OR m.organisation_id = (SELECT parent_id FROM organisations WHERE id = $1)) ORDER BY c.name",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?;
    let projects = list_projects(
        db,
        &ProjectFilter {
            organisation: Some(id),
            ..Default::default()
        },
        Page {
            limit: 100,
            offset: 0,
        },
    )
    .await?;
    let region = match (r.region_code, r.region_name) {
        (Some(code), Some(name)) => Some(Named { code, name }),
        _ => None,
    };
    Ok(Some(OrganisationDetail {
        id,
        name: r.name,
        short_name: r.short_name,
        kind: parsed::<OrgKind>(r.kind)?,
        country: r.country,
        region,
        naf_code: r.naf_code,
        headcount_band: r.headcount_band,
        siren: r.siren,
        siret: r.siret,
        vat: r.vat,
        pic: r.pic,
        cordis_id: r.cordis_id,
        website: r.website,
        competences: r.competences,
        offer: r.offer,
        seek: r.seek,
        source: r.source,
        memberships: memberships
            .into_iter()
            .map(|m| MembershipOf {
                cluster: m.slug,
                cluster_name: m.name,
                role: m.role,
                source: m.source,
            })
            .collect(),
        project_count: projects.total,
        projects: projects.items,
        version: r.version,
        fictional: crate::util::flag(r.fictional),
    }))
}

struct ProjectRow {
    acronym: String,
    title: Option<String>,
    programme: Option<String>,
    call: Option<String>,
    topic: Option<String>,
    topic_title: Option<String>,
    funding_scheme: Option<String>,
    status: Option<String>,
    start_date: Option<String>,
    end_date: Option<String>,
    total_cost_cents: Option<i64>,
    public_funding_cents: Option<i64>,
    currency: String,
    source: String,
}
from_row!(ProjectRow {
    acronym,
    title,
    programme,
    call,
    topic,
    topic_title,
    funding_scheme,
    status,
    start_date,
    end_date,
    total_cost_cents,
    public_funding_cents,
    currency,
    source
});

struct ProjectPartnerRow {
    id: i64,
    name: String,
    kind: String,
    country: Option<String>,
    role: String,
    cost_cents: Option<i64>,
    funding_cents: Option<i64>,
}
from_row!(ProjectPartnerRow {
    id,
    name,
    kind,
    country,
    role,
    cost_cents,
    funding_cents
});

/// A project (`$1` its id).
const PROJECT_SQL: &str =
    "SELECT acronym, title, programme, call, topic, topic_title, funding_scheme, status, \
     start_date, end_date, total_cost_cents, public_funding_cents, currency, source \
     FROM projects WHERE id = $1";
/// A project's consortium, coordinator first.
const PROJECT_PARTNERS_SQL: &str =
    "SELECT o.id, o.name, o.kind, o.country, pp.role, pp.cost_cents, pp.funding_cents \
     FROM project_partners pp JOIN organisations o ON o.id = pp.organisation_id \
     WHERE pp.project_id = $1 ORDER BY CASE pp.role WHEN 'coordinator' THEN 0 ELSE 1 END, o.name";
/// The pôles of a project: a member is a partner, or the pôle labelled it.
const PROJECT_CLUSTERS_SQL: &str = "SELECT DISTINCT c.slug AS code, c.name FROM clusters c \
     JOIN memberships m ON m.cluster_id = c.id \
     JOIN project_partners pp ON pp.organisation_id = m.organisation_id WHERE pp.project_id = $1 \
     UNION SELECT c.slug AS code, c.name FROM clusters c JOIN project_clusters pc ON pc.cluster_id = c.id WHERE pc.project_id = $1 \
     ORDER BY name";

pub async fn project(db: &Db, id: i64) -> Result<Option<ProjectDetail>> {
    // One connection for the page's three reads: one hand-off from the pool, not three.
    let mut conn = db.pool.acquire().await?;
    let Some(r) = sqlx::query_as::<_, ProjectRow>(PROJECT_SQL)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    let currency = parsed::<Currency>(r.currency)?;
    let partners = sqlx::query_as::<_, ProjectPartnerRow>(PROJECT_PARTNERS_SQL)
        .bind(id)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|p| {
            Ok(ProjectPartner {
                organisation_id: p.id,
                name: p.name,
                kind: parsed::<OrgKind>(p.kind)?,
                country: p.country,
                role: parsed(p.role)?,
                cost: money(p.cost_cents, currency),
                funding: money(p.funding_cents, currency),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let clusters: Vec<NamedRow> = sqlx::query_as(PROJECT_CLUSTERS_SQL)
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
    Ok(Some(ProjectDetail {
        id,
        acronym: r.acronym,
        title: r.title,
        programme: r.programme,
        call: r.call,
        topic: r.topic,
        topic_title: r.topic_title,
        funding_scheme: r.funding_scheme,
        status: r.status,
        start_date: parsed_opt(r.start_date)?,
        end_date: parsed_opt(r.end_date)?,
        total_cost: money(r.total_cost_cents, currency),
        public_funding: money(r.public_funding_cents, currency),
        source: r.source,
        partners,
        clusters: clusters.into_iter().map(Named::from).collect(),
    }))
}

struct TextRow {
    position: i64,
    title_en: Option<String>,
    title_fr: Option<String>,
    text_en: String,
    text_fr: String,
    source: String,
}
from_row!(TextRow {
    position,
    title_en,
    title_fr,
    text_en,
    text_fr,
    source
});

async fn texts(db: &Db, kind: &str) -> Result<Vec<TextItem>> {
    let rows: Vec<TextRow> = sqlx::query_as(
        "SELECT position, title_en, title_fr, text_en, text_fr, source FROM texts WHERE kind = $1 ORDER BY position",
    )
    .bind(kind.to_string())
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| TextItem {
            position: r.position,
            title_en: r.title_en,
            title_fr: r.title_fr,
            text_en: r.text_en,
            text_fr: r.text_fr,
            source: r.source,
        })
        .collect())
}

struct FigureRow {
    key: String,
    label_en: String,
    label_fr: String,
    amount_cents: i64,
    currency: String,
    period_start: Option<String>,
    period_end: Option<String>,
    per: String,
    funder: Option<String>,
    certainty: String,
    source: String,
}
from_row!(FigureRow {
    key,
    label_en,
    label_fr,
    amount_cents,
    currency,
    period_start,
    period_end,
    per,
    funder,
    certainty,
    source
});

impl TryFrom<FigureRow> for Figure {
    type Error = crate::StoreError;

    fn try_from(r: FigureRow) -> Result<Self> {
        Ok(Figure {
            key: r.key,
            label_en: r.label_en,
            label_fr: r.label_fr,
            amount: Money {
                cents: r.amount_cents,
                currency: parsed(r.currency)?,
            },
            period_start: parsed_opt(r.period_start)?,
            period_end: parsed_opt(r.period_end)?,
            per: r.per,
            funder: r.funder,
            certainty: r.certainty,
            source: r.source,
        })
    }
}

struct SurveyRow {
    statement_en: String,
    statement_fr: String,
    percent: i64,
    population_en: Option<String>,
    population_fr: Option<String>,
    pollster: Option<String>,
    conducted: Option<String>,
    source: String,
}
from_row!(SurveyRow {
    statement_en,
    statement_fr,
    percent,
    population_en,
    population_fr,
    pollster,
    conducted,
    source
});

pub async fn programme_facts(db: &Db) -> Result<ProgrammeFacts> {
    let figures = sqlx::query_as::<_, FigureRow>(
        "SELECT key, label_en, label_fr, amount_cents, currency, period_start, period_end, per, \
           funder, certainty, source FROM figures ORDER BY id",
    )
    .fetch_all(&db.pool)
    .await?
    .into_iter()
    .map(Figure::try_from)
    .collect::<Result<Vec<_>>>()?;
    let surveys: Vec<SurveyRow> = sqlx::query_as(
        "SELECT statement_en, statement_fr, percent, population_en, population_fr, pollster, \
           conducted, source FROM surveys ORDER BY id",
    )
    .fetch_all(&db.pool)
    .await?;
    Ok(ProgrammeFacts {
        figures,
        label_criteria: texts(db, "label_criterion").await?,
        success_factors: texts(db, "success_factor").await?,
        benefits: texts(db, "benefit").await?,
        surveys: surveys
            .into_iter()
            .map(|r| Survey {
                statement_en: r.statement_en,
                statement_fr: r.statement_fr,
                percent: r.percent,
                population_en: r.population_en,
                population_fr: r.population_fr,
                pollster: r.pollster,
                conducted: r.conducted,
                source: r.source,
            })
            .collect(),
    })
}

struct StatsRow {
    clusters: i64,
    labelled_2005: i64,
    organisations: i64,
    projects: i64,
    partnerships: i64,
    countries: i64,
}
from_row!(StatsRow {
    clusters,
    labelled_2005,
    organisations,
    projects,
    partnerships,
    countries
});

pub async fn stats(db: &Db) -> Result<Stats> {
    let r: StatsRow = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM clusters) AS clusters, \
           (SELECT COUNT(DISTINCT cluster_id) FROM labels WHERE decision_date LIKE '2005-%') AS labelled_2005, \
           (SELECT COUNT(*) FROM organisations WHERE fictional = 0) AS organisations, \
           (SELECT COUNT(*) FROM projects) AS projects, \
           (SELECT COUNT(*) FROM partnerships) AS partnerships, \
           (SELECT COUNT(DISTINCT country) FROM organisations WHERE fictional = 0) AS countries",
    )
    .fetch_one(&db.pool)
    .await?;
    Ok(Stats {
        clusters: r.clusters,
        labelled_2005: r.labelled_2005,
        organisations: r.organisations,
        projects: r.projects,
        partnerships: r.partnerships,
        countries: r.countries,
    })
}

struct CommuneRow {
    code: String,
    name: String,
    department_code: String,
    region_code: String,
}
from_row!(CommuneRow {
    code,
    name,
    department_code,
    region_code
});

/// Communes of a postcode, with their department and region: postcode → commune → region.
pub async fn communes_by_postcode(db: &Db, postcode: &str) -> Result<Vec<Commune>> {
    let rows: Vec<CommuneRow> = sqlx::query_as(
        "SELECT c.code, c.name, c.department_code, c.region_code FROM postcodes p \
         JOIN communes c ON c.code = p.commune_code WHERE p.postcode = $1 ORDER BY c.name",
    )
    .bind(postcode.to_string())
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Commune {
            code: r.code,
            name: r.name,
            department: r.department_code,
            region: r.region_code,
        })
        .collect())
}

/// The id of an organisation of the shipped programme data, by its key.
pub async fn organisation_id_by_demo_key(db: &Db, key: &str) -> Result<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM organisations WHERE demo_key = $1")
            .bind(key.to_string())
            .fetch_optional(&db.pool)
            .await?,
    )
}

/// The plans the database makes for the read path's queries (the organisation list by
/// country and by words with its counts and choices, a project's page, the search's
/// reads), as `(name, plan)`: `EXPLAIN QUERY PLAN` on SQLite, `EXPLAIN` on PostgreSQL with
/// sequential scans priced out (so that a scan shows only where no index can serve). For
/// the test that refuses a plan regressing to a scan of a large table.
pub async fn read_path_plans(db: &Db) -> Result<Vec<(String, String)>> {
    let mut conn = db.pool.acquire().await?;
    if db.backend == crate::Backend::Postgres {
        sqlx::query("SET enable_seqscan = off")
            .execute(&mut *conn)
            .await?;
    }
    let page = Page {
        limit: 20,
        offset: 0,
    };
    let mut queries: Vec<(String, String, Vec<String>)> = Vec::new();
    for (name, f) in [
        (
            "organisations of a country",
            OrganisationFilter {
                country: Some("FR".into()),
                ..Default::default()
            },
        ),
        (
            "organisations by words",
            OrganisationFilter {
                q: Some("energy".into()),
                ..Default::default()
            },
        ),
    ] {
        let (where_sql, binds, _) = organisation_where(db, &f, None).await?;
        let (count_sql, list_sql) = organisation_list_sql(&where_sql, None, page);
        queries.push((format!("{name}: count"), count_sql, binds.clone()));
        queries.push((format!("{name}: page"), list_sql, binds));
        let (where_sql, binds, _) = organisation_where(db, &f, Some("kind")).await?;
        queries.push((format!("{name}: kinds"), kind_facet_sql(&where_sql), binds));
        let (where_sql, binds, _) = organisation_where(db, &f, Some("country")).await?;
        queries.push((
            format!("{name}: countries"),
            country_facet_sql(&where_sql),
            binds,
        ));
    }
    for (name, sql) in [
        ("project", PROJECT_SQL),
        ("project: consortium", PROJECT_PARTNERS_SQL),
        ("project: pôles", PROJECT_CLUSTERS_SQL),
    ] {
        queries.push((name.into(), sql.into(), vec![]));
    }
    for (name, sql, binds) in crate::search::read_queries(db.backend) {
        queries.push((name.into(), sql, binds));
    }
    let mut plans = Vec::new();
    for (name, sql, binds) in queries {
        let explain = match db.backend {
            crate::Backend::Sqlite => format!("EXPLAIN QUERY PLAN {sql}"),
            crate::Backend::Postgres => format!("EXPLAIN {sql}"),
        };
        let mut q = sqlx::query(&explain);
        if binds.is_empty() && sql.contains("$1") {
            q = q.bind(1i64);
        }
        for b in binds {
            q = q.bind(b);
        }
        let rows = q.fetch_all(&mut *conn).await?;
        let mut lines = Vec::new();
        for r in rows {
            use sqlx::Row;
            let line: String = match db.backend {
                crate::Backend::Sqlite => r.try_get("detail")?,
                crate::Backend::Postgres => r.try_get(0)?,
            };
            lines.push(line);
        }
        plans.push((name, lines.join("\n")));
    }
    Ok(plans)
}
