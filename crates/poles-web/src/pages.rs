//! The public atlas: server-rendered pages in French and English, one typed template per page.

use crate::error::{ApiError, PageError};
use crate::i18n::{PageLang, Tr};
use crate::map;
use crate::params::{self, Params};
use crate::AppState;
use askama::Template;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use poles_core::model::*;
use poles_core::{format_amount, group_thousands, Lang, Money, OrgKind, Tier};
use poles_store::{registry, search};
use std::collections::BTreeMap;

pub fn router() -> Router<AppState> {
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
}

/// What every page's frame needs: the translator and the link to the other language.
pub struct Chrome {
    pub t: Tr,
    pub switch_href: String,
    pub q: String,
    /// The signed-in user's e-mail, for the header.
    pub user: Option<String>,
    /// The session's CSRF token, put in every form.
    pub csrf: String,
    pub actor: Option<poles_core::auth::Actor>,
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Chrome {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let PageLang(lang) = PageLang::from_request_parts(parts, state).await?;
        let uri = parts
            .extensions
            .get::<OriginalUri>()
            .map(|u| u.0.clone())
            .unwrap_or_else(|| parts.uri.clone());
        let mut c = Chrome::new(lang, &uri);
        if let Some(r) = parts.extensions.get::<crate::auth::Resolved>() {
            c.user = Some(r.actor.email.clone());
            c.csrf = r
                .session
                .as_ref()
                .map(|s| s.csrf.clone())
                .unwrap_or_default();
            c.actor = Some(r.actor.clone());
        }
        Ok(c)
    }
}

impl Chrome {
    pub fn new(lang: Lang, uri: &axum::http::Uri) -> Chrome {
        let t = Tr { lang };
        let mut pairs: Vec<String> = uri
            .query()
            .unwrap_or("")
            .split('&')
            .filter(|kv| !kv.is_empty() && !kv.starts_with("lang="))
            .map(str::to_string)
            .collect();
        pairs.push(format!("lang={}", t.other()));
        Chrome {
            t,
            switch_href: format!("{}?{}", uri.path(), pairs.join("&")),
            q: String::new(),
            user: None,
            csrf: String::new(),
            actor: None,
        }
    }

    /// A link inside the site, in the page's language.
    pub fn href(&self, path: &str) -> String {
        let sep = if path.contains('?') { '&' } else { '?' };
        format!("{path}{sep}lang={}", self.t.code())
    }

    /// `prefix` + `key` as a link in the page's language: `c.link("/clusters/", slug)`.
    pub fn link(&self, prefix: &str, key: impl std::fmt::Display) -> String {
        self.href(&format!("{prefix}{key}"))
    }

    /// The translation of `prefix` + `key`: `c.tk("status.", s.as_str())`.
    pub fn tk(&self, prefix: &str, key: impl std::fmt::Display) -> String {
        self.t.t(&format!("{prefix}{key}")).to_string()
    }

    pub fn tier_class(&self, t: &Option<Tier>) -> &'static str {
        t.map(|t| t.as_str()).unwrap_or("none")
    }

    pub fn money(&self, m: &Option<Money>) -> String {
        m.map(|m| m.format(self.t.lang))
            .unwrap_or_else(|| "—".into())
    }

    pub fn amount(&self, m: &Money) -> String {
        format_amount(m.cents, m.currency, self.t.lang)
    }

    pub fn num(&self, n: &i64) -> String {
        group_thousands(*n, if self.t.lang == Lang::Fr { ' ' } else { ',' })
    }

    pub fn tier(&self, t: &Option<Tier>) -> &'static str {
        match t {
            Some(Tier::Mondial) => self.t.t("tier.mondial"),
            Some(Tier::VocationMondiale) => self.t.t("tier.vocation_mondiale"),
            Some(Tier::National) => self.t.t("tier.national"),
            None => "—",
        }
    }

    pub fn kind(&self, k: &OrgKind) -> String {
        self.tk("kind.", k.as_str())
    }

    pub fn opt<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or("—")
    }

    /// Whether the signed-in user may edit this cluster (to show the edit form).
    pub fn can_edit_cluster(&self, slug: &str) -> bool {
        self.actor
            .as_ref()
            .is_some_and(|a| a.cluster_write(slug).is_ok())
    }

    pub fn can_edit_organisation(&self, id: &i64) -> bool {
        self.actor
            .as_ref()
            .is_some_and(|a| a.organisation_write(*id).is_ok())
    }

    pub fn can_edit_programme(&self) -> bool {
        self.actor
            .as_ref()
            .is_some_and(|a| a.programme_write().is_ok())
    }

    pub fn can_publish(&self) -> bool {
        self.actor
            .as_ref()
            .is_some_and(|a| a.content_write().is_ok())
    }

    pub fn is_admin(&self) -> bool {
        self.actor.as_ref().is_some_and(|a| a.user_admin().is_ok())
    }

    pub fn can_read_audit(&self) -> bool {
        self.actor.as_ref().is_some_and(|a| a.audit_read().is_ok())
    }

    pub fn is_url(&self, s: &str) -> bool {
        s.starts_with("https://") || s.starts_with("http://")
    }
}

type PageResult = Result<Response, PageError>;

fn render(t: impl Template) -> PageResult {
    match t.render() {
        Ok(html) => Ok(Html(html).into_response()),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            Err(PageError {
                lang: Lang::Fr,
                inner: ApiError::Store(poles_store::StoreError::Data(e.to_string())),
            })
        }
    }
}

/// Attaches the page language to an error so it is shown in that language.
trait InLang<T> {
    fn in_lang(self, lang: Lang) -> Result<T, PageError>;
}
impl<T, E: Into<ApiError>> InLang<T> for Result<T, E> {
    fn in_lang(self, lang: Lang) -> Result<T, PageError> {
        self.map_err(|e| PageError {
            lang,
            inner: e.into(),
        })
    }
}

fn not_found(lang: Lang, what: &'static str) -> PageError {
    PageError {
        lang,
        inner: ApiError::NotFound(what),
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
    let lang = c.t.lang;
    let all = registry::all_clusters(&st.db).await.in_lang(lang)?;
    let sectors = registry::sectors(&st.db)
        .await
        .in_lang(lang)?
        .into_iter()
        .map(|s| {
            let n = all.iter().filter(|c| c.sectors.contains(&s.code)).count();
            (s, n)
        })
        .collect();
    let map = map::france(
        &st.maps,
        &all,
        lang.code(),
        None,
        c.t.t("home.map_title").into(),
    )
    .to_html();
    render(HomePage {
        stats: registry::stats(&st.db).await.in_lang(lang)?,
        facts: registry::programme_facts(&st.db).await.in_lang(lang)?,
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
    let lang = c.t.lang;
    let filter = params::cluster_filter(&st.db, &p).await.in_lang(lang)?;
    let mut page = params::page(&p).in_lang(lang)?;
    page.limit = page.limit.max(200);
    let list = registry::list_clusters(&st.db, &filter, page)
        .await
        .in_lang(lang)?;
    c.q = filter.q.clone().unwrap_or_default();
    let map = map::france(
        &st.maps,
        &list.items,
        lang.code(),
        filter.region.as_deref(),
        c.t.t("clusters.map_title").into(),
    )
    .to_html();
    let tiers = Tier::ALL
        .iter()
        .map(|t| (t.as_str(), c.tier(&Some(*t))))
        .collect();
    render(ClustersPage {
        sectors: registry::sectors(&st.db).await.in_lang(lang)?,
        regions: registry::regions(&st.db).await.in_lang(lang)?,
        f_sector: filter.sector.unwrap_or_default(),
        f_region: filter.region.unwrap_or_default(),
        f_label: filter
            .label
            .map(|t| t.as_str().to_string())
            .unwrap_or_default(),
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
    countries: std::collections::HashMap<String, (String, String)>,
    zone: Vec<poles_store::funding::ZoneHit>,
}

impl ClusterPage {
    fn zone_illustrative(&self) -> bool {
        self.zone.iter().any(|z| z.illustrative)
    }

    fn country(&self, code: &Option<String>) -> String {
        country_name(&self.countries, code, self.c.t.lang)
    }

    /// The other side of a partnership, seen from this cluster.
    fn other<'a>(&self, p: &'a Partnership) -> &'a Party {
        if p.a.kind == "cluster" && p.a.slug == self.k.slug {
            &p.b
        } else {
            &p.a
        }
    }
}

fn country_name(
    countries: &std::collections::HashMap<String, (String, String)>,
    code: &Option<String>,
    lang: Lang,
) -> String {
    match code {
        None => "—".into(),
        Some(c) => match countries.get(c) {
            Some((en, fr)) => lang.pick(Some(fr), Some(en)).to_string(),
            None => c.clone(),
        },
    }
}

async fn cluster(State(st): State<AppState>, c: Chrome, Path(slug): Path<String>) -> PageResult {
    let lang = c.t.lang;
    let k = registry::cluster(&st.db, &slug)
        .await
        .in_lang(lang)?
        .ok_or_else(|| not_found(lang, "cluster"))?;
    let mut groups: BTreeMap<String, Vec<Member>> = BTreeMap::new();
    for m in &k.members {
        groups.entry(c.kind(&m.kind)).or_default().push(m.clone());
    }
    let countries = registry::countries(&st.db).await.in_lang(lang)?;
    let mut by_country: BTreeMap<String, Vec<Partnership>> = BTreeMap::new();
    for p in &k.partnerships {
        let other = if p.a.kind == "cluster" && p.a.slug == k.slug {
            &p.b
        } else {
            &p.a
        };
        let name = if other.kind == "cluster" {
            country_name(&countries, &Some("FR".into()), lang)
        } else {
            country_name(&countries, &other.country, lang)
        };
        by_country.entry(name).or_default().push(p.clone());
    }
    let projects = registry::list_projects(
        &st.db,
        &registry::ProjectFilter {
            cluster: Some(k.slug.clone()),
            ..Default::default()
        },
        poles_core::Page {
            limit: 20,
            offset: 0,
        },
    )
    .await
    .in_lang(lang)?;
    let zone = poles_store::funding::cluster_zone(&st.db, &k.slug)
        .await
        .in_lang(lang)?;
    render(ClusterPage {
        zone,
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
    page: poles_core::Page,
    f_country: String,
    f_kind: String,
    kinds: Vec<(&'static str, String)>,
}

async fn organisations(
    State(st): State<AppState>,
    mut c: Chrome,
    Query(p): Query<Params>,
) -> PageResult {
    let lang = c.t.lang;
    let filter = params::organisation_filter(&p).in_lang(lang)?;
    let page = params::page(&p).in_lang(lang)?;
    let list = registry::list_organisations(&st.db, &filter, page)
        .await
        .in_lang(lang)?;
    c.q = filter.q.clone().unwrap_or_default();
    let kinds = OrgKind::ALL
        .iter()
        .map(|k| (k.as_str(), c.kind(k)))
        .collect();
    render(OrganisationsPage {
        f_country: filter.country.unwrap_or_default(),
        f_kind: filter
            .kind
            .map(|k| k.as_str().to_string())
            .unwrap_or_default(),
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
    relief: Option<(
        Vec<poles_store::funding::CapUse>,
        Vec<poles_store::funding::ReliefRecord>,
    )>,
}

impl OrganisationPage {
    fn euros(&self, cents: impl crate::funding_pages::Cents) -> String {
        poles_core::relief::exact_eur(cents.cents(), self.c.t.lang)
    }
}

async fn organisation(State(st): State<AppState>, c: Chrome, Path(id): Path<String>) -> PageResult {
    let lang = c.t.lang;
    let id = params::path_id(&id, "organisation").in_lang(lang)?;
    let o = registry::organisation(&st.db, id)
        .await
        .in_lang(lang)?
        .ok_or_else(|| not_found(lang, "organisation"))?;
    let countries = registry::countries(&st.db).await.in_lang(lang)?;
    let relief = if c.can_edit_programme() {
        let year = poles_store::funding::current_year();
        let caps = poles_store::funding::caps(&st.db, year, Some(id), true)
            .await
            .in_lang(lang)?
            .into_iter()
            .filter(|k| k.organisation_id == Some(id))
            .collect();
        let records = poles_store::funding::records(&st.db, Some(id), 50)
            .await
            .in_lang(lang)?;
        Some((caps, records))
    } else {
        None
    };
    render(OrganisationPage {
        relief,
        country: country_name(&countries, &o.country, lang),
        o,
        c,
    })
}

#[derive(Template)]
#[template(path = "projects.html")]
struct ProjectsPage {
    c: Chrome,
    list: Paged<ProjectSummary>,
    page: poles_core::Page,
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

/// Percent-encodes a query value (letters, digits and `-_.~` pass).
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn projects(
    State(st): State<AppState>,
    mut c: Chrome,
    Query(p): Query<Params>,
) -> PageResult {
    let lang = c.t.lang;
    let filter = params::project_filter(&st.db, &p).await.in_lang(lang)?;
    let page = params::page(&p).in_lang(lang)?;
    let list = registry::list_projects(&st.db, &filter, page)
        .await
        .in_lang(lang)?;
    c.q = filter.q.clone().unwrap_or_default();
    render(ProjectsPage {
        f_cluster: filter.cluster.unwrap_or_default(),
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
    let lang = c.t.lang;
    let id = params::path_id(&id, "project").in_lang(lang)?;
    let p = registry::project(&st.db, id)
        .await
        .in_lang(lang)?
        .ok_or_else(|| not_found(lang, "project"))?;
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
    let lang = c.t.lang;
    let all = registry::all_clusters(&st.db).await.in_lang(lang)?;
    let map = map::france(
        &st.maps,
        &all,
        lang.code(),
        None,
        c.t.t("regions.title").into(),
    )
    .to_html();
    render(RegionsPage {
        regions: registry::regions(&st.db).await.in_lang(lang)?,
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
    let lang = c.t.lang;
    let r = registry::regions(&st.db)
        .await
        .in_lang(lang)?
        .into_iter()
        .find(|r| r.code == code)
        .ok_or_else(|| not_found(lang, "region"))?;
    let filter = registry::ClusterFilter {
        region: Some(r.code.clone()),
        ..Default::default()
    };
    let clusters = registry::clusters_where(&st.db, &filter)
        .await
        .in_lang(lang)?;
    let map = map::france(
        &st.maps,
        &clusters,
        lang.code(),
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
    let lang = c.t.lang;
    let all = registry::all_clusters(&st.db).await.in_lang(lang)?;
    let sectors = registry::sectors(&st.db)
        .await
        .in_lang(lang)?
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
    let lang = c.t.lang;
    let s = registry::sectors(&st.db)
        .await
        .in_lang(lang)?
        .into_iter()
        .find(|s| s.code == code)
        .ok_or_else(|| not_found(lang, "sector"))?;
    let filter = registry::ClusterFilter {
        sector: Some(s.code.clone()),
        ..Default::default()
    };
    let clusters = registry::clusters_where(&st.db, &filter)
        .await
        .in_lang(lang)?;
    let map = map::france(
        &st.maps,
        &clusters,
        lang.code(),
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
    let lang = c.t.lang;
    let all = registry::all_clusters(&st.db).await.in_lang(lang)?;
    let list = registry::partnerships(&st.db, None).await.in_lang(lang)?;
    let countries = registry::countries(&st.db).await.in_lang(lang)?;
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
    let lang = c.t.lang;
    render(NewsPage {
        news: registry::news(&st.db, None).await.in_lang(lang)?,
        events: registry::events(&st.db).await.in_lang(lang)?,
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
    caller: crate::auth::Caller,
    Query(p): Query<Params>,
) -> PageResult {
    let lang = c.t.lang;
    crate::api::limit_search(&st, &caller).await.in_lang(lang)?;
    let q = params::q(&p).in_lang(lang)?.unwrap_or_default();
    let page = params::page(&p).in_lang(lang)?;
    let results = search::search(&st.db, &q, None, page).await.in_lang(lang)?;
    c.q = q;
    render(SearchPage { results, c })
}
