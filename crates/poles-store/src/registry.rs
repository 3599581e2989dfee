//! Read queries of the registry, for the atlas and the API. Everything a list shows is
//! computed here in one place, so that pages and API agree.

use crate::error::Result;
use crate::util::{i, oi, os, s};
use crate::Db;
use poles_core::model::*;
use poles_core::text::tokens;
use poles_core::{Currency, LabelStatus, Money, OrgKind, Page, Tier};
use sqlx::any::AnyRow;
use std::collections::HashMap;

fn money(cents: Option<i64>, currency: &str) -> Option<Money> {
    let currency = Currency::parse("currency", currency).unwrap_or(Currency::Eur);
    cents.map(|cents| Money { cents, currency })
}

fn kind(row: &AnyRow, col: &str) -> Result<OrgKind> {
    Ok(OrgKind::parse(col, &s(row, col)?).unwrap_or(OrgKind::Unknown))
}

pub async fn sectors(db: &Db) -> Result<Vec<Sector>> {
    let rows =
        sqlx::query("SELECT code, name_en, name_fr, press_kit FROM sectors ORDER BY position")
            .fetch_all(&db.pool)
            .await?;
    rows.iter()
        .map(|r| {
            Ok(Sector {
                code: s(r, "code")?,
                name_en: s(r, "name_en")?,
                name_fr: s(r, "name_fr")?,
                press_kit: i(r, "press_kit")? != 0,
            })
        })
        .collect()
}

pub async fn regions(db: &Db) -> Result<Vec<RegionSummary>> {
    let rows = sqlx::query(
        "SELECT r.code, r.name, \
           (SELECT COUNT(*) FROM cluster_regions cr WHERE cr.region_code = r.code) AS clusters, \
           (SELECT COUNT(*) FROM organisations o WHERE o.region_code = r.code) AS organisations \
         FROM regions r ORDER BY r.overseas, r.name",
    )
    .fetch_all(&db.pool)
    .await?;
    let former = sqlx::query("SELECT code, name, region_code FROM former_regions ORDER BY name")
        .fetch_all(&db.pool)
        .await?;
    rows.iter()
        .map(|r| {
            let code = s(r, "code")?;
            let mut fr = Vec::new();
            for f in &former {
                if s(f, "region_code")? == code {
                    fr.push(Named {
                        code: s(f, "code")?,
                        name: s(f, "name")?,
                    });
                }
            }
            Ok(RegionSummary {
                name: s(r, "name")?,
                clusters: i(r, "clusters")?,
                organisations: i(r, "organisations")?,
                former_regions: fr,
                code,
            })
        })
        .collect()
}

pub async fn countries(db: &Db) -> Result<HashMap<String, (String, String)>> {
    let rows = sqlx::query("SELECT code, name_en, name_fr FROM countries")
        .fetch_all(&db.pool)
        .await?;
    rows.iter()
        .map(|r| Ok((s(r, "code")?, (s(r, "name_en")?, s(r, "name_fr")?))))
        .collect()
}

/// Label history rows of some clusters, oldest decision first (undated rows first).
async fn labels(db: &Db, cluster_id: Option<i64>) -> Result<Vec<(i64, Label)>> {
    let mut sql = String::from(
        "SELECT cluster_id, tier, status, decision_date, valid_from, valid_until, legal_act, note, source FROM labels",
    );
    if cluster_id.is_some() {
        sql.push_str(" WHERE cluster_id = $1");
    }
    sql.push_str(" ORDER BY cluster_id, COALESCE(decision_date, ''), id");
    let mut q = sqlx::query(&sql);
    if let Some(id) = cluster_id {
        q = q.bind(id);
    }
    let rows = q.fetch_all(&db.pool).await?;
    rows.iter()
        .map(|r| {
            Ok((
                i(r, "cluster_id")?,
                Label {
                    tier: os(r, "tier")?.and_then(|t| Tier::parse("tier", &t).ok()),
                    status: LabelStatus::parse("status", &s(r, "status")?)
                        .unwrap_or(LabelStatus::Labelled),
                    decision_date: os(r, "decision_date")?,
                    valid_from: os(r, "valid_from")?,
                    valid_until: os(r, "valid_until")?,
                    legal_act: os(r, "legal_act")?,
                    note: os(r, "note")?,
                    source: s(r, "source")?,
                },
            ))
        })
        .collect()
}

/// The tier of the latest label that had one, and the status after the latest decision.
fn current_label(history: &[&Label]) -> (Option<Tier>, Option<LabelStatus>) {
    let tier = history.iter().rev().find_map(|l| l.tier);
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
    pub q: Option<String>,
}

/// All clusters with their current label, regions, sectors and member counts. The programme
/// has at most a few hundred clusters, so filters apply in memory on one consistent read.
pub async fn all_clusters(db: &Db) -> Result<Vec<ClusterSummary>> {
    let rows = sqlx::query(
        "SELECT c.id, c.slug, c.name, c.official_name, c.is_leading, \
           (SELECT COUNT(*) FROM memberships m WHERE m.cluster_id = c.id) AS members \
         FROM clusters c ORDER BY c.name",
    )
    .fetch_all(&db.pool)
    .await?;
    let mut regions: HashMap<i64, Vec<String>> = HashMap::new();
    for r in sqlx::query("SELECT cluster_id, region_code FROM cluster_regions ORDER BY region_code")
        .fetch_all(&db.pool)
        .await?
    {
        regions
            .entry(i(&r, "cluster_id")?)
            .or_default()
            .push(s(&r, "region_code")?);
    }
    let mut sectors: HashMap<i64, Vec<String>> = HashMap::new();
    for r in sqlx::query(
        "SELECT cs.cluster_id, cs.sector_code FROM cluster_sectors cs JOIN sectors s ON s.code = cs.sector_code ORDER BY s.position",
    )
    .fetch_all(&db.pool)
    .await?
    {
        sectors.entry(i(&r, "cluster_id")?).or_default().push(s(&r, "sector_code")?);
    }
    let all_labels = labels(db, None).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let id = i(r, "id")?;
        let history: Vec<&Label> = all_labels
            .iter()
            .filter(|(c, _)| *c == id)
            .map(|(_, l)| l)
            .collect();
        let (label, status) = current_label(&history);
        out.push(ClusterSummary {
            slug: s(r, "slug")?,
            name: s(r, "name")?,
            official_name: os(r, "official_name")?,
            label,
            status,
            regions: regions.remove(&id).unwrap_or_default(),
            sectors: sectors.remove(&id).unwrap_or_default(),
            members: i(r, "members")?,
            leading: i(r, "is_leading")? != 0,
        });
    }
    Ok(out)
}

/// Every cluster that passes the filter, in list order.
pub async fn clusters_where(db: &Db, f: &ClusterFilter) -> Result<Vec<ClusterSummary>> {
    let page = Page {
        limit: i64::MAX,
        offset: 0,
    };
    Ok(list_clusters(db, f, page).await?.items)
}

pub async fn list_clusters(
    db: &Db,
    f: &ClusterFilter,
    page: Page,
) -> Result<Paged<ClusterSummary>> {
    let mut all = all_clusters(db).await?;
    if let Some(q) = f.q.as_deref().filter(|q| !q.trim().is_empty()) {
        let hits = crate::search::search(
            db,
            q,
            Some("cluster"),
            Page {
                limit: 10_000,
                offset: 0,
            },
        )
        .await?;
        let rank: HashMap<&str, usize> = hits
            .items
            .iter()
            .enumerate()
            .map(|(k, h)| (h.reference.as_str(), k))
            .collect();
        all.retain(|c| rank.contains_key(c.slug.as_str()));
        all.sort_by_key(|c| rank[c.slug.as_str()]);
    }
    all.retain(|c| {
        f.sector.as_ref().is_none_or(|s| c.sectors.contains(s))
            && f.region.as_ref().is_none_or(|r| c.regions.contains(r))
            && f.label.is_none_or(|t| c.label == Some(t))
            && f.status.is_none_or(|st| c.status == Some(st))
    });
    let total = all.len() as i64;
    let items = all
        .into_iter()
        .skip(page.offset as usize)
        .take(page.limit as usize)
        .collect();
    Ok(Paged { items, total })
}

async fn cluster_id(db: &Db, slug: &str) -> Result<Option<i64>> {
    let row = sqlx::query("SELECT id FROM clusters WHERE slug = $1")
        .bind(slug.to_string())
        .fetch_optional(&db.pool)
        .await?;
    row.map(|r| i(&r, "id")).transpose()
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

fn party(row: &AnyRow, side: &str) -> Result<Party> {
    let col = |c: &str| format!("{side}_{c}");
    Ok(if oi(row, &col("cluster_id"))?.is_some() {
        Party {
            kind: "cluster".into(),
            slug: s(row, &col("cslug"))?,
            name: s(row, &col("cname"))?,
            country: Some("FR".into()),
            entity: None,
        }
    } else {
        Party {
            kind: "foreign".into(),
            slug: s(row, &col("fslug"))?,
            name: s(row, &col("fname"))?,
            country: os(row, &col("fcountry"))?,
            entity: os(row, &col("fkind"))?,
        }
    })
}

/// All partnerships, or those of one cluster.
pub async fn partnerships(db: &Db, cluster: Option<i64>) -> Result<Vec<Partnership>> {
    let mut sql = String::from(
        "SELECT p.id, p.kind, p.start_date, p.scope, p.source, p.a_cluster_id, p.b_cluster_id, \
           ac.slug AS a_cslug, ac.name AS a_cname, af.slug AS a_fslug, af.name AS a_fname, af.country AS a_fcountry, af.kind AS a_fkind, \
           bc.slug AS b_cslug, bc.name AS b_cname, bf.slug AS b_fslug, bf.name AS b_fname, bf.country AS b_fcountry, bf.kind AS b_fkind \
         FROM partnerships p \
         LEFT JOIN clusters ac ON ac.id = p.a_cluster_id LEFT JOIN foreign_clusters af ON af.id = p.a_foreign_id \
         LEFT JOIN clusters bc ON bc.id = p.b_cluster_id LEFT JOIN foreign_clusters bf ON bf.id = p.b_foreign_id",
    );
    if cluster.is_some() {
        sql.push_str(" WHERE p.a_cluster_id = $1 OR p.b_cluster_id = $1");
    }
    sql.push_str(" ORDER BY p.id");
    let mut q = sqlx::query(&sql);
    if let Some(id) = cluster {
        q = q.bind(id);
    }
    q.fetch_all(&db.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(Partnership {
                id: i(r, "id")?,
                a: party(r, "a")?,
                b: party(r, "b")?,
                kind: s(r, "kind")?,
                start_date: os(r, "start_date")?,
                scope: os(r, "scope")?,
                source: s(r, "source")?,
            })
        })
        .collect()
}

fn news_row(r: &AnyRow) -> Result<NewsItem> {
    Ok(NewsItem {
        id: i(r, "id")?,
        cluster: os(r, "slug")?,
        published_on: os(r, "published_on")?,
        title_en: s(r, "title_en")?,
        title_fr: s(r, "title_fr")?,
        body_en: os(r, "body_en")?,
        body_fr: os(r, "body_fr")?,
        source: s(r, "source")?,
    })
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
    let mut q = sqlx::query(&sql);
    if let Some(id) = cluster {
        q = q.bind(id);
    }
    q.fetch_all(&db.pool).await?.iter().map(news_row).collect()
}

pub async fn events(db: &Db) -> Result<Vec<Event>> {
    sqlx::query("SELECT id, name_en, name_fr, starts_on, place, description_en, description_fr, source FROM events ORDER BY COALESCE(starts_on, ''), id")
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(Event {
                id: i(r, "id")?,
                name_en: s(r, "name_en")?,
                name_fr: s(r, "name_fr")?,
                starts_on: os(r, "starts_on")?,
                place: os(r, "place")?,
                description_en: os(r, "description_en")?,
                description_fr: os(r, "description_fr")?,
                source: s(r, "source")?,
            })
        })
        .collect()
}

/// The SQL of "projects of a cluster": a member (or an entity of a member group) is a
/// partner, or the cluster labelled the project. `$1` is the cluster id.
const CLUSTER_PROJECTS: &str = "SELECT pp.project_id FROM project_partners pp \
     JOIN organisations o ON o.id = pp.organisation_id \
     JOIN memberships m ON m.organisation_id = o.id OR m.organisation_id = o.parent_id \
     WHERE m.cluster_id = $1 \
     UNION SELECT project_id FROM project_clusters WHERE cluster_id = $1";

/// The SQL of "projects of an organisation", its own or its entities'. `$1` is its id.
const ORGANISATION_PROJECTS: &str = "SELECT pp.project_id FROM project_partners pp \
     JOIN organisations o ON o.id = pp.organisation_id WHERE o.id = $1 OR o.parent_id = $1";

pub async fn cluster(db: &Db, slug: &str) -> Result<Option<ClusterDetail>> {
    let Some(row) = sqlx::query("SELECT * FROM clusters WHERE slug = $1")
        .bind(slug.to_string())
        .fetch_optional(&db.pool)
        .await?
    else {
        return Ok(None);
    };
    let id = i(&row, "id")?;
    let aliases = sqlx::query(
        "SELECT alias, kind FROM cluster_aliases WHERE cluster_id = $1 ORDER BY kind, alias",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(|r| {
        Ok(Alias {
            name: s(r, "alias")?,
            kind: s(r, "kind")?,
        })
    })
    .collect::<Result<Vec<_>>>()?;
    let named = |rows: Vec<AnyRow>| -> Result<Vec<Named>> {
        rows.iter()
            .map(|r| {
                Ok(Named {
                    code: s(r, "code")?,
                    name: s(r, "name")?,
                })
            })
            .collect()
    };
    let regions = named(
        sqlx::query("SELECT r.code, r.name FROM cluster_regions cr JOIN regions r ON r.code = cr.region_code WHERE cr.cluster_id = $1 ORDER BY r.name")
            .bind(id)
            .fetch_all(&db.pool)
            .await?,
    )?;
    let regions_2007 = named(
        sqlx::query("SELECT f.code, f.name FROM cluster_former_regions cf JOIN former_regions f ON f.code = cf.former_region_code WHERE cf.cluster_id = $1 ORDER BY f.name")
            .bind(id)
            .fetch_all(&db.pool)
            .await?,
    )?;
    let sectors = sqlx::query("SELECT s.code, s.name_en, s.name_fr, s.press_kit FROM cluster_sectors cs JOIN sectors s ON s.code = cs.sector_code WHERE cs.cluster_id = $1 ORDER BY s.position")
        .bind(id)
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(Sector {
                code: s(r, "code")?,
                name_en: s(r, "name_en")?,
                name_fr: s(r, "name_fr")?,
                press_kit: i(r, "press_kit")? != 0,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let history: Vec<Label> = labels(db, Some(id))
        .await?
        .into_iter()
        .map(|(_, l)| l)
        .collect();
    let (label, status) = current_label(&history.iter().collect::<Vec<_>>());
    let members = sqlx::query("SELECT o.id, o.name, o.kind, o.country, m.role, m.since, m.source, m.quote FROM memberships m JOIN organisations o ON o.id = m.organisation_id WHERE m.cluster_id = $1 ORDER BY o.name")
        .bind(id)
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(Member {
                organisation_id: i(r, "id")?,
                name: s(r, "name")?,
                kind: kind(r, "kind")?,
                country: os(r, "country")?,
                role: s(r, "role")?,
                since: os(r, "since")?,
                source: s(r, "source")?,
                quote: os(r, "quote")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let projects = sqlx::query(&format!("SELECT COUNT(*) AS n FROM ({CLUSTER_PROJECTS}) x"))
        .bind(id)
        .fetch_one(&db.pool)
        .await?;
    Ok(Some(ClusterDetail {
        slug: s(&row, "slug")?,
        name: s(&row, "name")?,
        official_name: os(&row, "official_name")?,
        aliases,
        label,
        status,
        leading: i(&row, "is_leading")? != 0,
        regions,
        regions_2007,
        sectors,
        theme_fr: os(&row, "theme_fr")?,
        specialty_en: os(&row, "specialty_en")?,
        website: os(&row, "website")?,
        description_fr: os(&row, "description_fr")?,
        description_en: os(&row, "description_en")?,
        governance: os(&row, "governance")?,
        note: os(&row, "note")?,
        sources: s(&row, "sources")?
            .split(" ; ")
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect(),
        label_history: history,
        members,
        partnerships: partnerships(db, Some(id)).await?,
        projects: i(&projects, "n")?,
        news: news(db, Some(id)).await?,
        version: i(&row, "version")?,
    }))
}

const PROJECT_SUMMARY_COLS: &str =
    "p.id, p.acronym, p.title, p.programme, p.start_date, p.end_date, \
     p.total_cost_cents, p.public_funding_cents, p.currency, \
     (SELECT COUNT(*) FROM project_partners x WHERE x.project_id = p.id) AS partners";

fn project_summary(r: &AnyRow) -> Result<ProjectSummary> {
    let currency = s(r, "currency")?;
    Ok(ProjectSummary {
        id: i(r, "id")?,
        acronym: s(r, "acronym")?,
        title: os(r, "title")?,
        programme: os(r, "programme")?,
        start_date: os(r, "start_date")?,
        end_date: os(r, "end_date")?,
        total_cost: money(oi(r, "total_cost_cents")?, &currency),
        public_funding: money(oi(r, "public_funding_cents")?, &currency),
        partners: i(r, "partners")?,
    })
}

/// Filters of the project list; each already checked by the caller.
#[derive(Debug, Default, Clone)]
pub struct ProjectFilter {
    pub q: Option<String>,
    pub cluster: Option<String>,
    pub organisation: Option<i64>,
}

/// Appends `haystack LIKE` conditions on the search index for each token of `q`.
fn push_text_filter(sql: &mut String, binds: &mut Vec<String>, kind: &str, id_col: &str, q: &str) {
    let toks = tokens(q, 6);
    if toks.is_empty() {
        return;
    }
    let mut conds = Vec::new();
    for t in toks {
        binds.push(format!("%{t}%"));
        conds.push(format!("se.haystack LIKE ${}", binds.len()));
    }
    sql.push_str(&format!(
        " AND {id_col} IN (SELECT CAST(se.ref AS BIGINT) FROM search_entries se WHERE se.kind = '{kind}' AND {})",
        conds.join(" AND ")
    ));
}

pub async fn list_projects(
    db: &Db,
    f: &ProjectFilter,
    page: Page,
) -> Result<Paged<ProjectSummary>> {
    // Binds are numbered in order; the cluster or organisation id comes first when present.
    let mut where_sql = String::from(" WHERE 1 = 1");
    let mut id_bind: Option<i64> = None;
    if let Some(slug) = &f.cluster {
        let Some(id) = cluster_id(db, slug).await? else {
            return Ok(Paged {
                items: vec![],
                total: 0,
            });
        };
        id_bind = Some(id);
        where_sql.push_str(&format!(" AND p.id IN ({CLUSTER_PROJECTS})"));
    } else if let Some(org) = f.organisation {
        id_bind = Some(org);
        where_sql.push_str(&format!(" AND p.id IN ({ORGANISATION_PROJECTS})"));
    }
    let mut binds: Vec<String> = Vec::new();
    let offset = usize::from(id_bind.is_some());
    if let Some(q) = &f.q {
        let mut text_sql = String::new();
        push_text_filter(&mut text_sql, &mut binds, "project", "p.id", q);
        // Renumber the text binds after the id bind.
        for k in (1..=binds.len()).rev() {
            text_sql = text_sql.replace(&format!("${k}"), &format!("${}", k + offset));
        }
        where_sql.push_str(&text_sql);
    }
    let count_sql = format!("SELECT COUNT(*) AS n FROM projects p{where_sql}");
    let total = bind_query(&count_sql, id_bind, &binds)
        .fetch_one(&db.pool)
        .await?;
    let list_sql = format!(
        "SELECT {PROJECT_SUMMARY_COLS} FROM projects p{where_sql} ORDER BY COALESCE(p.start_date, '') DESC, p.acronym LIMIT {} OFFSET {}",
        page.limit, page.offset
    );
    let rows = bind_query(&list_sql, id_bind, &binds)
        .fetch_all(&db.pool)
        .await?;
    Ok(Paged {
        items: rows.iter().map(project_summary).collect::<Result<_>>()?,
        total: i(&total, "n")?,
    })
}

fn bind_query<'q>(
    sql: &'q str,
    id: Option<i64>,
    binds: &[String],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    let mut q = sqlx::query(sql);
    if let Some(id) = id {
        q = q.bind(id);
    }
    for b in binds {
        q = q.bind(b.clone());
    }
    q
}

/// Filters of the organisation list; each already checked by the caller.
#[derive(Debug, Default, Clone)]
pub struct OrganisationFilter {
    pub q: Option<String>,
    pub country: Option<String>,
    pub kind: Option<OrgKind>,
}

pub async fn list_organisations(
    db: &Db,
    f: &OrganisationFilter,
    page: Page,
) -> Result<Paged<OrganisationSummary>> {
    let mut where_sql = String::from(" WHERE 1 = 1");
    let mut binds: Vec<String> = Vec::new();
    if let Some(c) = &f.country {
        binds.push(c.clone());
        where_sql.push_str(&format!(" AND o.country = ${}", binds.len()));
    }
    if let Some(k) = f.kind {
        binds.push(k.as_str().to_string());
        where_sql.push_str(&format!(" AND o.kind = ${}", binds.len()));
    }
    if let Some(q) = &f.q {
        push_text_filter(&mut where_sql, &mut binds, "organisation", "o.id", q);
    }
    let count_sql = format!("SELECT COUNT(*) AS n FROM organisations o{where_sql}");
    let total = bind_query(&count_sql, None, &binds)
        .fetch_one(&db.pool)
        .await?;
    let list_sql = format!(
        "SELECT o.id, o.name, o.short_name, o.kind, o.country, \
           (SELECT COUNT(*) FROM project_partners pp WHERE pp.organisation_id = o.id) AS projects \
         FROM organisations o{where_sql} ORDER BY o.name, o.id LIMIT {} OFFSET {}",
        page.limit, page.offset
    );
    let rows = bind_query(&list_sql, None, &binds)
        .fetch_all(&db.pool)
        .await?;
    Ok(Paged {
        items: rows
            .iter()
            .map(|r| {
                Ok(OrganisationSummary {
                    id: i(r, "id")?,
                    name: s(r, "name")?,
                    short_name: os(r, "short_name")?,
                    kind: kind(r, "kind")?,
                    country: os(r, "country")?,
                    projects: i(r, "projects")?,
                })
            })
            .collect::<Result<_>>()?,
        total: i(&total, "n")?,
    })
}

pub async fn organisation(db: &Db, id: i64) -> Result<Option<OrganisationDetail>> {
    let Some(r) = sqlx::query(
        "SELECT o.*, r.name AS region_name FROM organisations o LEFT JOIN regions r ON r.code = o.region_code WHERE o.id = $1",
    )
    .bind(id)
    .fetch_optional(&db.pool)
    .await?
    else {
        return Ok(None);
    };
    let memberships = sqlx::query(
        "SELECT c.slug, c.name, m.role, m.source FROM memberships m JOIN clusters c ON c.id = m.cluster_id \
         JOIN organisations o ON o.id = $1 WHERE m.organisation_id = o.id OR m.organisation_id = o.parent_id ORDER BY c.name",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(|m| {
        Ok(MembershipOf {
            cluster: s(m, "slug")?,
            cluster_name: s(m, "name")?,
            role: s(m, "role")?,
            source: s(m, "source")?,
        })
    })
    .collect::<Result<Vec<_>>>()?;
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
    let region = match (os(&r, "region_code")?, os(&r, "region_name")?) {
        (Some(code), Some(name)) => Some(Named { code, name }),
        _ => None,
    };
    Ok(Some(OrganisationDetail {
        id,
        name: s(&r, "name")?,
        short_name: os(&r, "short_name")?,
        kind: kind(&r, "kind")?,
        country: os(&r, "country")?,
        region,
        naf_code: os(&r, "naf_code")?,
        headcount_band: os(&r, "headcount_band")?,
        siren: os(&r, "siren")?,
        siret: os(&r, "siret")?,
        vat: os(&r, "vat")?,
        pic: os(&r, "pic")?,
        cordis_id: os(&r, "cordis_id")?,
        website: os(&r, "website")?,
        competences: os(&r, "competences")?,
        source: s(&r, "source")?,
        memberships,
        project_count: projects.total,
        projects: projects.items,
        version: i(&r, "version")?,
    }))
}

pub async fn project(db: &Db, id: i64) -> Result<Option<ProjectDetail>> {
    let Some(r) = sqlx::query("SELECT * FROM projects WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
    else {
        return Ok(None);
    };
    let currency = s(&r, "currency")?;
    let partners = sqlx::query(
        "SELECT o.id, o.name, o.kind, o.country, pp.role, pp.cost_cents, pp.funding_cents \
         FROM project_partners pp JOIN organisations o ON o.id = pp.organisation_id \
         WHERE pp.project_id = $1 ORDER BY CASE pp.role WHEN 'coordinator' THEN 0 ELSE 1 END, o.name",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(|p| {
        Ok(ProjectPartner {
            organisation_id: i(p, "id")?,
            name: s(p, "name")?,
            kind: kind(p, "kind")?,
            country: os(p, "country")?,
            role: s(p, "role")?,
            cost: money(oi(p, "cost_cents")?, &currency),
            funding: money(oi(p, "funding_cents")?, &currency),
        })
    })
    .collect::<Result<Vec<_>>>()?;
    let clusters = sqlx::query(
        "SELECT DISTINCT c.slug AS code, c.name FROM clusters c \
         JOIN memberships m ON m.cluster_id = c.id \
         JOIN organisations o ON m.organisation_id = o.id OR m.organisation_id = o.parent_id \
         JOIN project_partners pp ON pp.organisation_id = o.id WHERE pp.project_id = $1 \
         UNION SELECT c.slug AS code, c.name FROM clusters c JOIN project_clusters pc ON pc.cluster_id = c.id WHERE pc.project_id = $1 \
         ORDER BY name",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(|c| Ok(Named { code: s(c, "code")?, name: s(c, "name")? }))
    .collect::<Result<Vec<_>>>()?;
    Ok(Some(ProjectDetail {
        id,
        acronym: s(&r, "acronym")?,
        title: os(&r, "title")?,
        programme: os(&r, "programme")?,
        call: os(&r, "call")?,
        topic: os(&r, "topic")?,
        topic_title: os(&r, "topic_title")?,
        funding_scheme: os(&r, "funding_scheme")?,
        status: os(&r, "status")?,
        start_date: os(&r, "start_date")?,
        end_date: os(&r, "end_date")?,
        total_cost: money(oi(&r, "total_cost_cents")?, &currency),
        public_funding: money(oi(&r, "public_funding_cents")?, &currency),
        source: s(&r, "source")?,
        partners,
        clusters,
    }))
}

async fn texts(db: &Db, kind: &str) -> Result<Vec<TextItem>> {
    sqlx::query("SELECT position, title_en, title_fr, text_en, text_fr, source FROM texts WHERE kind = $1 ORDER BY position")
        .bind(kind.to_string())
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(TextItem {
                position: i(r, "position")?,
                title_en: os(r, "title_en")?,
                title_fr: os(r, "title_fr")?,
                text_en: s(r, "text_en")?,
                text_fr: s(r, "text_fr")?,
                source: s(r, "source")?,
            })
        })
        .collect()
}

pub async fn programme_facts(db: &Db) -> Result<ProgrammeFacts> {
    let figures = sqlx::query("SELECT * FROM figures ORDER BY id")
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|r| {
            let currency = s(r, "currency")?;
            Ok(Figure {
                key: s(r, "key")?,
                label_en: s(r, "label_en")?,
                label_fr: s(r, "label_fr")?,
                amount: money(Some(i(r, "amount_cents")?), &currency).expect("amount present"),
                period_start: os(r, "period_start")?,
                period_end: os(r, "period_end")?,
                per: s(r, "per")?,
                funder: os(r, "funder")?,
                certainty: s(r, "certainty")?,
                source: s(r, "source")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let surveys = sqlx::query("SELECT * FROM surveys ORDER BY id")
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(Survey {
                statement_en: s(r, "statement_en")?,
                statement_fr: s(r, "statement_fr")?,
                percent: i(r, "percent")?,
                population_en: os(r, "population_en")?,
                population_fr: os(r, "population_fr")?,
                pollster: os(r, "pollster")?,
                conducted: os(r, "conducted")?,
                source: s(r, "source")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(ProgrammeFacts {
        figures,
        label_criteria: texts(db, "label_criterion").await?,
        success_factors: texts(db, "success_factor").await?,
        benefits: texts(db, "benefit").await?,
        surveys,
    })
}

pub async fn stats(db: &Db) -> Result<Stats> {
    let r = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM clusters) AS clusters, \
           (SELECT COUNT(DISTINCT cluster_id) FROM labels WHERE decision_date LIKE '2005-%') AS labelled_2005, \
           (SELECT COUNT(*) FROM organisations) AS organisations, \
           (SELECT COUNT(*) FROM projects) AS projects, \
           (SELECT COUNT(*) FROM partnerships) AS partnerships, \
           (SELECT COUNT(DISTINCT country) FROM organisations) AS countries",
    )
    .fetch_one(&db.pool)
    .await?;
    Ok(Stats {
        clusters: i(&r, "clusters")?,
        labelled_2005: i(&r, "labelled_2005")?,
        organisations: i(&r, "organisations")?,
        projects: i(&r, "projects")?,
        partnerships: i(&r, "partnerships")?,
        countries: i(&r, "countries")?,
    })
}

/// Communes of a postcode, with their department and region: postcode → commune → region.
pub async fn communes_by_postcode(db: &Db, postcode: &str) -> Result<Vec<Commune>> {
    sqlx::query(
        "SELECT c.code, c.name, c.department_code, c.region_code FROM postcodes p \
         JOIN communes c ON c.code = p.commune_code WHERE p.postcode = $1 ORDER BY c.name",
    )
    .bind(postcode.to_string())
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(|r| {
        Ok(Commune {
            code: s(r, "code")?,
            name: s(r, "name")?,
            department: s(r, "department_code")?,
            region: s(r, "region_code")?,
        })
    })
    .collect()
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
