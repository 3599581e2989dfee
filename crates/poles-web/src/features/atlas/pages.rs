//! The public atlas as pages in French and English, one typed template per page.

use super::api::{cluster_query, organisation_query, project_query};
use crate::http::error::{ApiError, PageResult};
use crate::http::extract::Visitor;
use crate::http::params::{self, Params};
use crate::ui::chrome::Chrome;
use crate::ui::format::{urlencode, Cents};
use crate::ui::map;
use crate::ui::picker::Picker;
use crate::ui::render::render;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::Router;
use poles_app::access::Ability;
use poles_app::atlas::{self, ClusterQuery};
use poles_app::funding::{CapUse, ReliefRecord, ZoneHit};
use poles_app::worklists::{self as lists, PickKind};
use poles_core::model::*;
use poles_core::{Lang, OrgKind, Page, Tier};
use std::collections::{BTreeMap, HashMap};

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/clusters", get(clusters))
        .route("/clusters/{slug}", get(cluster))
        .route("/organisations", get(organisations))
        .route("/organisations/{id}", get(organisation))
        .route("/projects", get(projects))
        .route("/projects/{id}", get(project))
        .route("/regions", get(regions))
        .route("/regions/{code}", get(region))
        .route("/sectors", get(sectors))
        .route("/sectors/{code}", get(sector))
        .route("/partnerships", get(partnerships))
        .route("/news", get(news))
        .route("/search", get(search_page))
        .route("/suggest/{kind}", get(suggest))
}

#[derive(Template)]
#[template(path = "suggestions.html")]
struct Suggestions {
    items: Vec<poles_app::worklists::Suggestion>,
    q: String,
    none: &'static str,
}

/// The suggestions of a name picker as an HTML fragment (`static/app.js` inserts it under
/// the field): organisations, clusters, communes and regions for anyone, users for officers.
async fn suggest(
    State(st): State<AppState>,
    c: Chrome,
    visitor: Visitor,
    Path(kind): Path<String>,
    Query(p): Query<Params>,
) -> PageResult {
    let kind = crate::ui::picker::kind_of(&kind).ok_or(ApiError::not_found("kind"))?;
    let q = params::get(&p, "q").unwrap_or_default();
    let items = poles_app::worklists::suggest(&st.app, visitor.caller.as_ref(), kind, &q).await?;
    render(Suggestions {
        items,
        q,
        none: c.t.t("picker.none"),
    })
}

/// Every cluster of a filter, in list order.
const ALL: Page = Page {
    limit: i64::MAX,
    offset: 0,
};

type Countries = HashMap<String, (String, String)>;

fn country_name(countries: &Countries, code: &Option<String>, lang: Lang) -> String {
    match code {
        None => "—".into(),
        Some(c) => match countries.get(c) {
            Some((en, fr)) => lang.pick(Some(fr), Some(en)).to_string(),
            None => c.clone(),
        },
    }
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    c: Chrome,
    stats: Stats,
    map: String,
    sectors: Vec<(Sector, usize)>,
    leading: Vec<ClusterSummary>,
    facts: ProgrammeFacts,
}

async fn home(State(st): State<AppState>, c: Chrome) -> PageResult {
    let all = atlas::all_clusters(&st.app).await?;
    let sectors = atlas::sectors(&st.app)
        .await?
        .into_iter()
        .map(|s| {
            let n = all.iter().filter(|c| c.sectors.contains(&s.code)).count();
            (s, n)
        })
        .collect();
    let map = map::france(
        &st.maps,
        &all,
        c.t.code(),
        None,
        c.t.t("home.map_title").into(),
    )
    .to_html();
    render(HomePage {
        stats: atlas::stats(&st.app).await?,
        facts: atlas::programme_facts(&st.app).await?,
        leading: all.iter().filter(|c| c.leading).cloned().collect(),
        sectors,
        map,
        c,
    })
}

#[derive(Template)]
#[template(path = "clusters.html")]
struct ClustersPage {
    c: Chrome,
    list: Paged<ClusterSummary>,
    sectors: Vec<Sector>,
    regions: Vec<RegionSummary>,
    f_sector: String,
    f_region: String,
    f_label: String,
    tiers: Vec<(&'static str, &'static str)>,
    map: String,
}

async fn clusters(
    State(st): State<AppState>,
    mut c: Chrome,
    Query(p): Query<Params>,
) -> PageResult {
    let query = cluster_query(&p);
    let mut page = params::page(&p)?;
    page.limit = page.limit.max(200);
    let list = atlas::clusters(&st.app, &query, page).await?;
    c.q = query.q.clone().unwrap_or_default();
    let map = map::france(
        &st.maps,
        &list.items,
        c.t.code(),
        query.region.as_deref(),
        c.t.t("clusters.map_title").into(),
    )
    .to_html();
    let tiers = Tier::ALL
        .iter()
        .map(|t| (t.as_str(), c.tier(&Some(*t))))
        .collect();
    render(ClustersPage {
        sectors: atlas::sectors(&st.app).await?,
        regions: atlas::regions(&st.app).await?,
        f_sector: query.sector.unwrap_or_default(),
        f_region: query.region.unwrap_or_default(),
        f_label: query.label.unwrap_or_default(),
        tiers,
        list,
        map,
        c,
    })
}

#[derive(Template)]
#[template(path = "cluster.html")]
struct ClusterPage {
    c: Chrome,
    k: ClusterDetail,
    members_by_kind: Vec<(String, Vec<Member>)>,
    partners_by_country: Vec<(String, Vec<Partnership>)>,
    projects: Paged<ProjectSummary>,
    countries: Countries,
    zone: Vec<ZoneHit>,
    /// The organisation to add as a member, chosen by name; a refused choice comes back
    /// with the typed name and the reason (or the names to choose from).
    member: Picker,
}

impl ClusterPage {
    fn zone_illustrative(&self) -> bool {
        self.zone.iter().any(|z| z.illustrative)
    }

    fn country(&self, code: &Option<String>) -> String {
        country_name(&self.countries, code, self.c.lang())
    }

    /// The other side of a partnership, seen from this cluster.
    fn other<'a>(&self, p: &'a Partnership) -> &'a Party {
        other_side(p, &self.k.slug)
    }
}

fn other_side<'a>(p: &'a Partnership, slug: &str) -> &'a Party {
    if p.a.kind == "cluster" && p.a.slug == slug {
        &p.b
    } else {
        &p.a
    }
}

/// A cluster's page, composed from the atlas (profile, members, partnerships, projects) and
/// the funding use cases (its R&D zone).
async fn cluster(
    State(st): State<AppState>,
    c: Chrome,
    Path(slug): Path<String>,
    Query(q): Query<Params>,
) -> PageResult {
    let lang = c.lang();
    let kind = PickKind::Organisation;
    let member = match (params::get(&q, "member"), params::get(&q, "member_refused")) {
        (Some(typed), Some(reason)) => Picker::refused("organisation", kind, &typed, reason),
        (Some(typed), None) => {
            let r = lists::resolve(&st.app, None, kind, &typed, None).await?;
            Picker::unresolved(&c, "organisation", kind, &typed, r)
        }
        _ => Picker::new("organisation", kind),
    };
    let k = atlas::cluster(&st.app, &slug).await?;
    let mut groups: BTreeMap<String, Vec<Member>> = BTreeMap::new();
    for m in &k.members {
        groups.entry(c.kind(&m.kind)).or_default().push(m.clone());
    }
    let countries = atlas::countries(&st.app).await?;
    let mut by_country: BTreeMap<String, Vec<Partnership>> = BTreeMap::new();
    for p in &k.partnerships {
        let other = other_side(p, &k.slug);
        let name = if other.kind == "cluster" {
            country_name(&countries, &Some("FR".into()), lang)
        } else {
            country_name(&countries, &other.country, lang)
        };
        by_country.entry(name).or_default().push(p.clone());
    }
    let of_cluster = poles_app::atlas::ProjectQuery {
        cluster: Some(k.slug.clone()),
        ..Default::default()
    };
    let projects = atlas::projects(
        &st.app,
        &of_cluster,
        Page {
            limit: 20,
            offset: 0,
        },
    )
    .await?;
    let zone = poles_app::funding::cluster_zone(&st.app, &k.slug).await?;
    render(ClusterPage {
        zone,
        member,
        members_by_kind: groups.into_iter().collect(),
        partners_by_country: by_country.into_iter().collect(),
        projects,
        countries,
        k,
        c,
    })
}

#[derive(Template)]
#[template(path = "organisations.html")]
struct OrganisationsPage {
    c: Chrome,
    list: Paged<OrganisationSummary>,
    page: Page,
    f_country: String,
    f_kind: String,
    kinds: Vec<(&'static str, String)>,
}

async fn organisations(
    State(st): State<AppState>,
    mut c: Chrome,
    Query(p): Query<Params>,
) -> PageResult {
    let query = organisation_query(&p);
    let page = params::page(&p)?;
    let list = atlas::organisations(&st.app, &query, page).await?;
    c.q = query.q.clone().unwrap_or_default();
    let kinds = OrgKind::ALL
        .iter()
        .map(|k| (k.as_str(), c.kind(k)))
        .collect();
    render(OrganisationsPage {
        f_country: query.country.map(|k| k.to_uppercase()).unwrap_or_default(),
        f_kind: query.kind.unwrap_or_default(),
        kinds,
        list,
        page,
        c,
    })
}

impl OrganisationsPage {
    fn next_href(&self) -> String {
        self.c.href(&format!(
            "/organisations?q={}&country={}&kind={}&offset={}",
            urlencode(&self.c.q),
            self.f_country,
            self.f_kind,
            self.page.offset + self.page.limit
        ))
    }
}

#[derive(Template)]
#[template(path = "organisation.html")]
struct OrganisationPage {
    c: Chrome,
    o: OrganisationDetail,
    country: String,
    /// For programme officers: the company's de minimis use this year and its relief records.
    relief: Option<(Vec<CapUse>, Vec<ReliefRecord>)>,
}

impl OrganisationPage {
    fn euros(&self, cents: impl Cents) -> String {
        crate::ui::format::euros(cents, self.c.lang())
    }
}

async fn organisation(
    State(st): State<AppState>,
    c: Chrome,
    visitor: Visitor,
    Path(id): Path<String>,
) -> PageResult {
    let id = params::path_id(&id, "organisation")?;
    let o = atlas::organisation(&st.app, id).await?;
    let countries = atlas::countries(&st.app).await?;
    // Officers also see the company's relief; the use case checks again.
    let relief = match &visitor.caller {
        Some(caller) if c.may(Ability::EditProgramme) => {
            Some(poles_app::funding::company_relief(&st.app, caller, id).await?)
        }
        _ => None,
    };
    render(OrganisationPage {
        relief,
        country: country_name(&countries, &o.country, c.lang()),
        o,
        c,
    })
}

#[derive(Template)]
#[template(path = "projects.html")]
struct ProjectsPage {
    c: Chrome,
    list: Paged<ProjectSummary>,
    page: Page,
    f_cluster: String,
}

impl ProjectsPage {
    fn next_href(&self) -> String {
        self.c.href(&format!(
            "/projects?q={}&cluster={}&offset={}",
            urlencode(&self.c.q),
            self.f_cluster,
            self.page.offset + self.page.limit
        ))
    }
}

async fn projects(
    State(st): State<AppState>,
    mut c: Chrome,
    Query(p): Query<Params>,
) -> PageResult {
    let query = project_query(&p);
    let page = params::page(&p)?;
    let list = atlas::projects(&st.app, &query, page).await?;
    c.q = query.q.clone().unwrap_or_default();
    render(ProjectsPage {
        f_cluster: query.cluster.unwrap_or_default(),
        list,
        page,
        c,
    })
}

#[derive(Template)]
#[template(path = "project.html")]
struct ProjectPage {
    c: Chrome,
    p: ProjectDetail,
}

async fn project(State(st): State<AppState>, c: Chrome, Path(id): Path<String>) -> PageResult {
    let id = params::path_id(&id, "project")?;
    let p = atlas::project(&st.app, id).await?;
    render(ProjectPage { p, c })
}

#[derive(Template)]
#[template(path = "regions.html")]
struct RegionsPage {
    c: Chrome,
    regions: Vec<RegionSummary>,
    map: String,
}

async fn regions(State(st): State<AppState>, c: Chrome) -> PageResult {
    let all = atlas::all_clusters(&st.app).await?;
    let map = map::france(
        &st.maps,
        &all,
        c.t.code(),
        None,
        c.t.t("regions.title").into(),
    )
    .to_html();
    render(RegionsPage {
        regions: atlas::regions(&st.app).await?,
        map,
        c,
    })
}

#[derive(Template)]
#[template(path = "region.html")]
struct RegionPage {
    c: Chrome,
    r: RegionSummary,
    clusters: Vec<ClusterSummary>,
    map: String,
}

async fn region(State(st): State<AppState>, c: Chrome, Path(code): Path<String>) -> PageResult {
    let r = atlas::regions(&st.app)
        .await?
        .into_iter()
        .find(|r| r.code == code)
        .ok_or(ApiError::not_found("region"))?;
    let query = ClusterQuery {
        region: Some(r.code.clone()),
        ..Default::default()
    };
    let clusters = atlas::clusters(&st.app, &query, ALL).await?.items;
    let map = map::france(
        &st.maps,
        &clusters,
        c.t.code(),
        Some(&r.code),
        r.name.clone(),
    )
    .to_html();
    render(RegionPage {
        r,
        clusters,
        map,
        c,
    })
}

#[derive(Template)]
#[template(path = "sectors.html")]
struct SectorsPage {
    c: Chrome,
    sectors: Vec<(Sector, Vec<ClusterSummary>)>,
}

async fn sectors(State(st): State<AppState>, c: Chrome) -> PageResult {
    let all = atlas::all_clusters(&st.app).await?;
    let sectors = atlas::sectors(&st.app)
        .await?
        .into_iter()
        .map(|s| {
            let list = all
                .iter()
                .filter(|c| c.sectors.contains(&s.code))
                .cloned()
                .collect();
            (s, list)
        })
        .collect();
    render(SectorsPage { sectors, c })
}

#[derive(Template)]
#[template(path = "sector.html")]
struct SectorPage {
    c: Chrome,
    s: Sector,
    clusters: Vec<ClusterSummary>,
    map: String,
}

async fn sector(State(st): State<AppState>, c: Chrome, Path(code): Path<String>) -> PageResult {
    let s = atlas::sectors(&st.app)
        .await?
        .into_iter()
        .find(|s| s.code == code)
        .ok_or(ApiError::not_found("sector"))?;
    let query = ClusterQuery {
        sector: Some(s.code.clone()),
        ..Default::default()
    };
    let clusters = atlas::clusters(&st.app, &query, ALL).await?.items;
    let map = map::france(
        &st.maps,
        &clusters,
        c.t.code(),
        None,
        c.t.pick2(&s.name_fr, &s.name_en).to_string(),
    )
    .to_html();
    render(SectorPage {
        s,
        clusters,
        map,
        c,
    })
}

#[derive(Template)]
#[template(path = "partnerships.html")]
struct PartnershipsPage {
    c: Chrome,
    list: Vec<Partnership>,
    picture: String,
}

async fn partnerships(State(st): State<AppState>, c: Chrome) -> PageResult {
    let lang = c.lang();
    let all = atlas::all_clusters(&st.app).await?;
    let list = atlas::partnerships(&st.app).await?;
    let countries = atlas::countries(&st.app).await?;
    let picture = map::network(
        &st.maps,
        &all,
        &list,
        |code| country_name(&countries, &Some(code.to_string()), lang),
        lang.code(),
        c.t.t("partnerships.title").into(),
    )
    .to_html();
    render(PartnershipsPage { list, picture, c })
}

#[derive(Template)]
#[template(path = "news.html")]
struct NewsPage {
    c: Chrome,
    news: Vec<NewsItem>,
    events: Vec<Event>,
}

async fn news(State(st): State<AppState>, c: Chrome) -> PageResult {
    render(NewsPage {
        news: atlas::news(&st.app).await?,
        events: atlas::events(&st.app).await?,
        c,
    })
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    c: Chrome,
    results: SearchResults,
}

impl SearchPage {
    fn hit_href(&self, h: &SearchHit) -> String {
        let path = match h.kind.as_str() {
            "cluster" => format!("/clusters/{}", h.reference),
            "organisation" => format!("/organisations/{}", h.reference),
            _ => format!("/projects/{}", h.reference),
        };
        self.c.href(&path)
    }
}

async fn search_page(
    State(st): State<AppState>,
    mut c: Chrome,
    visitor: Visitor,
    Query(p): Query<Params>,
) -> PageResult {
    let q = atlas::search_text(&params::get(&p, "q"))?.unwrap_or_default();
    let page = params::page(&p)?;
    let results = atlas::search(&st.app, &visitor.origin, &q, None, page).await?;
    c.q = q;
    render(SearchPage { results, c })
}
