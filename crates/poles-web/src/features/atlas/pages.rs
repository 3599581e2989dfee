//! The public atlas as pages in French and English, one typed template per page.

use super::api::{cluster_query, organisation_query, project_query, search_query};
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
        .route("/programme/2007", get(history))
        .route("/clusters", get(clusters))
        .route("/clusters.csv", get(clusters_csv))
        .route("/clusters/{slug}", get(cluster))
        .route("/organisations", get(organisations))
        .route("/organisations.csv", get(organisations_csv))
        .route("/organisations/{id}", get(organisation))
        .route("/projects", get(projects))
        .route("/projects.csv", get(projects_csv))
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
    /// Today's pôles, and the phase under way.
    today: Vec<ClusterSummary>,
    current: Option<Phase>,
    /// The largest of today's pôles by published member count.
    largest: Vec<ClusterSummary>,
    at_head_office: usize,
}

impl HomePage {
    fn labelled(&self) -> usize {
        self.today
            .iter()
            .filter(|k| k.status == Some(poles_core::LabelStatus::Labelled))
            .count()
    }

    fn probation(&self) -> usize {
        self.today
            .iter()
            .filter(|k| k.status == Some(poles_core::LabelStatus::Probation))
            .count()
    }
}

/// The home page: today's programme first (its pôles on the map, by sector, the largest);
/// the 2007 picture is one link away, as history.
async fn home(State(st): State<AppState>, c: Chrome) -> PageResult {
    let today = atlas::clusters(&st.app, &ClusterQuery::default(), ALL)
        .await?
        .items;
    let (_, current) = atlas::phases(&st.app).await?;
    let sectors = atlas::sectors(&st.app)
        .await?
        .into_iter()
        .map(|s| {
            let n = today.iter().filter(|c| c.sectors.contains(&s.code)).count();
            (s, n)
        })
        .filter(|(_, n)| *n > 0)
        .collect();
    let map = map::france(
        &st.maps,
        &today,
        c.t.code(),
        &[],
        c.t.t("home.map_title").into(),
    )
    .to_html();
    let mut largest: Vec<ClusterSummary> = today
        .iter()
        .filter(|k| k.published_members.is_some())
        .cloned()
        .collect();
    largest.sort_by_key(|k| std::cmp::Reverse(k.published_members));
    largest.truncate(10);
    let at_head_office = today
        .iter()
        .filter(|k| map::at_head_office(&st.maps, k))
        .count();
    render(HomePage {
        stats: atlas::stats(&st.app).await?,
        sectors,
        map,
        today,
        current,
        largest,
        at_head_office,
        c,
    })
}

#[derive(Template)]
#[template(path = "history.html")]
struct HistoryPage {
    c: Chrome,
    leading: Vec<ClusterSummary>,
    facts: ProgrammeFacts,
}

/// The programme as the 2007 press kit describes it: its 16 leading clusters, its money, its
/// criteria and the polls of the time, labelled as history.
async fn history(State(st): State<AppState>, c: Chrome) -> PageResult {
    let leading = atlas::all_clusters(&st.app)
        .await?
        .into_iter()
        .filter(|k| k.leading)
        .map(|mut k| {
            // The 2005 tier, as the press kit gives it, whatever the later phases did.
            k.label = k.tier_2005;
            k
        })
        .collect();
    render(HistoryPage {
        leading,
        facts: atlas::programme_facts(&st.app).await?,
        c,
    })
}

/// One choice of a list's filter, with how many rows it would give.
struct Facet {
    code: String,
    name: String,
    count: usize,
    selected: bool,
}

#[derive(Template)]
#[template(path = "clusters.html")]
struct ClustersPage {
    c: Chrome,
    list: Paged<ClusterSummary>,
    /// Today's programme, the 2005-2008 one and all records: (value, label, count, chosen).
    programmes: Vec<(&'static str, String, i64, bool)>,
    programme: &'static str,
    current: Option<Phase>,
    sectors: Vec<Facet>,
    regions: Vec<Facet>,
    tiers: Vec<Facet>,
    view: ListView,
    map: String,
    at_head_office: usize,
}

impl ClustersPage {
    /// The same programme without any filter.
    fn cleared(&self) -> String {
        self.c
            .href(&format!("/clusters?programme={}", self.programme))
    }

    /// A pôle's status in words: the 2005 tier for the first phase, the label's term for later
    /// ones, "merged into …" for a record that no longer exists alone.
    fn standing(&self, k: &ClusterSummary) -> String {
        standing(&self.c, k)
    }

    fn members_shown(&self, k: &ClusterSummary) -> String {
        match k.published_members {
            Some(n) => self.c.num(&n),
            None => self.c.t.t("cluster.not_collected").to_string(),
        }
    }

    fn regions_named(&self, k: &ClusterSummary) -> String {
        k.regions
            .iter()
            .map(|code| {
                self.regions
                    .iter()
                    .find(|r| &r.code == code)
                    .map_or_else(|| code.clone(), |r| r.name.clone())
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A list's filter value refused by its use case: the first time, the parameter is dropped
/// (the page is shown without it) and the reason kept for beside its field; anything else
/// is the page's error.
fn drop_refused(
    e: poles_app::AppError,
    p: &mut Params,
    c: &Chrome,
    refused: &mut Option<(String, String)>,
) -> Result<(), crate::http::error::PageError> {
    match e {
        poles_app::AppError::Invalid(e)
            if refused.is_none() && p.contains_key(e.field.as_str()) =>
        {
            p.remove(e.field.as_str());
            *refused = Some((e.field.to_string(), c.reason(&e)));
            Ok(())
        }
        e => Err(e.into()),
    }
}

/// A list page's address with one parameter changed (an empty value removes it), from its
/// first page, in the page's language.
fn list_href(lang: &str, path: &str, params: &Params, key: &str, value: &str) -> String {
    let mut p: BTreeMap<&str, &str> = params
        .iter()
        .filter(|(k, v)| !v.is_empty() && k.as_str() != "lang" && k.as_str() != "offset")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    if value.is_empty() {
        p.remove(key);
    } else {
        p.insert(key, value);
    }
    let q: Vec<String> = p
        .iter()
        .map(|(k, v)| format!("{k}={}", urlencode(v)))
        .collect();
    format!("{path}?{}&lang={lang}", q.join("&"))
}

/// A list view's filters and order as a query string, for its exports (every row: no
/// language, no paging).
fn view_query(params: &Params) -> String {
    let mut p: Vec<(&String, &String)> = params
        .iter()
        .filter(|(k, v)| !v.is_empty() && !["lang", "offset", "limit"].contains(&k.as_str()))
        .collect();
    p.sort();
    p.iter()
        .map(|(k, v)| format!("{k}={}", urlencode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// What the three list pages (pôles, organisations, projects) share: their address, the
/// filters as typed, a refused one with its reason, the order shown by default.
struct ListView {
    /// `/clusters`: the page; its CSV is `{path}.csv`, its JSON `/api/v1{path}`.
    path: &'static str,
    lang: &'static str,
    params: Params,
    /// A filter value refused (the field and the reason, in the page's language): the page
    /// shows the list without it and says why beside the field.
    refused: Option<(String, String)>,
    /// The order when none is asked (`None`: it depends on the view).
    default_sort: Option<&'static str>,
    /// The filters that "clear" removes.
    filters: &'static [&'static str],
}

impl ListView {
    /// This list's address with one parameter changed (empty removes it), from its first page,
    /// in the page's language.
    fn with(&self, key: &str, value: &str) -> String {
        list_href(self.lang, self.path, &self.params, key, value)
    }

    fn next_href(&self, page: &Page) -> String {
        let next = (page.offset + page.limit).to_string();
        format!("{}&offset={next}", self.with("offset", ""))
    }

    /// The number of the last row shown.
    fn shown_to(&self, page: &Page, shown: usize) -> i64 {
        page.offset + shown as i64
    }

    /// The same view as open data (every row, no language).
    fn csv(&self) -> String {
        format!("{}.csv?{}", self.path, view_query(&self.params))
    }

    fn json(&self) -> String {
        format!(
            "/api/v1{}?limit=200&{}",
            self.path,
            view_query(&self.params)
        )
    }

    fn sorted_by(&self, key: &str) -> bool {
        self.params
            .get("sort")
            .map_or(self.default_sort == Some(key), |s| s == key)
    }

    fn filtered(&self) -> bool {
        self.filters
            .iter()
            .any(|k| self.params.get(*k).is_some_and(|v| !v.trim().is_empty()))
    }

    fn refused_on(&self, field: &str) -> Option<&str> {
        self.refused
            .as_ref()
            .filter(|(f, _)| f == field)
            .map(|(_, r)| r.as_str())
    }

    /// A refused filter makes the page a 400, the list still shown.
    fn status(&self) -> axum::http::StatusCode {
        if self.refused.is_some() {
            axum::http::StatusCode::BAD_REQUEST
        } else {
            axum::http::StatusCode::OK
        }
    }
}

/// A pôle's standing in words (see [`ClustersPage::standing`]).
fn standing(c: &Chrome, k: &ClusterSummary) -> String {
    if k.succeeded_by.is_some() && !k.phases.iter().any(|p| p == "V") {
        return c.t.t("cluster.succeeded").to_string();
    }
    match (k.phase.as_deref(), k.status) {
        (Some("I") | None, _) if k.label.is_some() => c.tier(&k.label).to_string(),
        (_, Some(s)) => c.tk("status.", s.as_str()),
        _ => "—".into(),
    }
}

async fn clusters(
    State(st): State<AppState>,
    mut c: Chrome,
    Query(mut p): Query<Params>,
) -> PageResult {
    let mut page = params::page(&p)?;
    page.limit = page.limit.max(200);
    // A refused filter (an unknown sector typed into the address, say) comes back as the
    // page without it, with the reason beside its field.
    let mut refused = None;
    let (query, view) = loop {
        let query = cluster_query(&p);
        match atlas::cluster_view(&st.app, &query, page).await {
            Ok(view) => break (query, view),
            Err(e) => drop_refused(e, &mut p, &c, &mut refused)?,
        }
    };
    let mut list = view.list;
    c.q = query.q.clone().unwrap_or_default();
    let (_, current) = atlas::phases(&st.app).await?;
    if query.programme.as_deref() == Some("history") {
        // The history view shows each pôle as it stood in 2005-2008.
        for k in &mut list.items {
            k.label = k.tier_2005;
            k.phase = Some("I".into());
        }
    }
    let programme = match query.programme.as_deref() {
        Some("history") => "history",
        Some("all") => "all",
        _ => "today",
    };
    // The tabs, each with its count (the other filters applied).
    let mut programmes = Vec::new();
    for (value, label) in [
        (
            "today",
            match &current {
                Some(ph) => format!(
                    "{} — {}",
                    c.t.t("programme.today"),
                    c.t.pick2(&ph.name_fr, &ph.name_en)
                ),
                None => c.t.t("programme.today").to_string(),
            },
        ),
        ("history", c.t.t("programme.history").to_string()),
        ("all", c.t.t("programme.all").to_string()),
    ] {
        let n = view
            .programmes
            .iter()
            .find(|(p, _)| p.as_str() == value)
            .map_or(0, |(_, n)| *n as i64);
        programmes.push((value, label, n, value == programme));
    }
    let (by_sector, by_region, by_tier) = (view.by_sector, view.by_region, view.by_tier);
    let chosen = |v: &Option<String>, code: &str| v.as_deref() == Some(code);
    let facet = |code: String, name: String, counts: &HashMap<String, usize>, sel: bool| Facet {
        count: counts.get(&code).copied().unwrap_or(0),
        code,
        name,
        selected: sel,
    };
    // Only the choices that give rows, and the chosen one (so that it can be cleared).
    let sectors = atlas::sectors(&st.app)
        .await?
        .into_iter()
        .map(|s| {
            let sel = chosen(&query.sector, &s.code);
            facet(
                s.code.clone(),
                c.t.pick2(&s.name_fr, &s.name_en).to_string(),
                &by_sector,
                sel,
            )
        })
        .filter(|f| f.count > 0 || f.selected)
        .collect();
    let mut regions: Vec<Facet> = atlas::regions(&st.app)
        .await?
        .into_iter()
        .map(|r| {
            let sel = chosen(&query.region, &r.code);
            facet(r.code, r.name, &by_region, sel)
        })
        .filter(|f| f.count > 0 || f.selected)
        .collect();
    regions.sort_by_key(|f| poles_core::text::normalize(&f.name));
    let tiers = Tier::ALL
        .iter()
        .map(|t| {
            let sel = chosen(&query.label, t.as_str());
            facet(
                t.as_str().to_string(),
                c.tier(&Some(*t)).to_string(),
                &by_tier,
                sel,
            )
        })
        .filter(|f| f.count > 0 || f.selected)
        .collect();
    let map = map::france(
        &st.maps,
        &list.items,
        c.t.code(),
        &query.region.as_deref().into_iter().collect::<Vec<_>>(),
        c.t.t("clusters.map_title").into(),
    )
    .to_html();
    let at_head_office = list
        .items
        .iter()
        .filter(|k| map::at_head_office(&st.maps, k))
        .count();
    let view = ListView {
        path: "/clusters",
        lang: c.t.code(),
        params: p,
        refused,
        default_sort: None,
        filters: &["q", "sector", "region", "label", "status"],
    };
    let status = view.status();
    Ok(crate::ui::render::render_with(
        ClustersPage {
            view,
            programmes,
            programme,
            current,
            sectors,
            regions,
            tiers,
            list,
            map,
            at_head_office,
            c,
        },
        status,
    ))
}

/// The cluster list of a view as CSV (public columns only; cells a spreadsheet would run as
/// a formula are neutralised).
async fn clusters_csv(
    State(st): State<AppState>,
    Query(p): Query<Params>,
) -> Result<axum::response::Response, crate::http::error::PageError> {
    let list = atlas::clusters(&st.app, &cluster_query(&p), ALL).await?;
    Ok(crate::ui::render::csv_download(
        "poles-clusters.csv",
        &[
            "slug",
            "name",
            "status",
            "tier",
            "phase",
            "regions",
            "sectors",
            "head_office_city",
            "website",
            "published_members",
            "members_recorded",
        ],
        list.items.into_iter().map(|k| {
            [
                k.slug,
                k.name,
                k.status.map(|s| s.as_str().to_string()).unwrap_or_default(),
                k.label.map(|t| t.as_str().to_string()).unwrap_or_default(),
                k.phase.unwrap_or_default(),
                k.regions.join(";"),
                k.sectors.join(";"),
                k.city.unwrap_or_default(),
                k.website.unwrap_or_default(),
                k.published_members
                    .map(|n| n.to_string())
                    .unwrap_or_default(),
                k.members.to_string(),
            ]
        }),
    ))
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
    /// The pôle's own map: its regions shaded, its marker at its head office.
    map: String,
    at_head_office: bool,
    phases: Vec<Phase>,
    /// For its managers: partnerships proposed by the pôle or to it, and declined ones.
    in_progress: Vec<Partnership>,
    /// The pôle's partners by country on a map of the world, when some are abroad.
    partners_map: Option<String>,
    /// The pôle to propose a partnership to, chosen by name (a refused choice comes back).
    partner: Picker,
    /// Countries by name in the page's language, for a foreign partner: (code, name).
    country_choices: Vec<(String, String)>,
    kinds: &'static [&'static str],
    /// The territory around it in its sectors, from the establishment registries.
    territory: poles_app::specialisation::Territory,
}

impl ClusterPage {
    fn ds_title(&self, d: &poles_app::specialisation::DatasetView) -> String {
        if self.c.lang() == Lang::En {
            d.title_en.clone()
        } else {
            d.title_fr.clone()
        }
    }
    fn sector_name(&self, s: &poles_app::specialisation::SectorOption) -> String {
        if self.c.lang() == Lang::En {
            s.label_en.clone()
        } else {
            s.label_fr.clone()
        }
    }
    fn lq(&self, q: &Option<f64>) -> String {
        q.map_or_else(|| "—".into(), |q| format!("{q:.2}"))
    }
    fn territory_stars(&self, t: &poles_app::specialisation::TerritoryCell) -> String {
        [t.size_star, t.specialisation_star, t.focus_star]
            .iter()
            .map(|s| if *s { '★' } else { '☆' })
            .collect()
    }
    fn sector_map_href(
        &self,
        d: &poles_app::specialisation::DatasetView,
        s: &poles_app::specialisation::SectorOption,
    ) -> String {
        self.c.href(&format!(
            "/specialisation?dataset={}&sector={}",
            d.source, s.code
        ))
    }
    /// The pôle's performance contract (the labels feature's page).
    fn performance_href(&self) -> String {
        self.c
            .href(&format!("/clusters/{}/performance", self.k.slug))
    }

    /// The pôle's European profile (the labels feature's page).
    fn europe_href(&self) -> String {
        self.c.href(&format!("/clusters/{}/europe", self.k.slug))
    }

    /// A phase's name in the page's language.
    fn phase_name(&self, code: &Option<String>) -> String {
        code.as_ref()
            .and_then(|code| self.phases.iter().find(|p| &p.code == code))
            .map_or_else(String::new, |p| {
                self.c.t.pick2(&p.name_fr, &p.name_en).to_string()
            })
    }

    /// A label decision in words: the tier (first phase) or the term of the label.
    fn label_words(&self, l: &Label) -> String {
        let status = self.c.tk("status.", l.status.as_str());
        match (l.tier, l.valid_from, l.valid_until) {
            (Some(_), _, _) => format!("{} — {status}", self.c.tier(&l.tier)),
            (None, Some(from), Some(until)) if l.phase.is_some() => {
                let months = (until.year() - from.year()) * 12 + i32::from(until.month())
                    - i32::from(from.month())
                    + 1;
                let term = if months % 12 == 0 {
                    self.c
                        .t
                        .t("label.years")
                        .replace("{n}", &(months / 12).to_string())
                } else {
                    self.c
                        .t
                        .t("label.months")
                        .replace("{n}", &months.to_string())
                };
                format!("{status} {term}")
            }
            _ => status,
        }
    }

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
    visitor: Visitor,
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
    let partner = match (
        params::get(&q, "partner"),
        params::get(&q, "partner_refused"),
    ) {
        // A refusal may be about another field of the form (a foreign partner's date).
        (typed, Some(reason)) => Picker::refused(
            "pole",
            PickKind::Cluster,
            &typed.unwrap_or_default(),
            reason,
        ),
        (Some(typed), None) => {
            let r = lists::resolve(&st.app, None, PickKind::Cluster, &typed, None).await?;
            Picker::unresolved(&c, "pole", PickKind::Cluster, &typed, r)
        }
        _ => Picker::new("pole", PickKind::Cluster),
    };
    let k = atlas::cluster(&st.app, &slug).await?;
    let mut groups: BTreeMap<String, Vec<Member>> = BTreeMap::new();
    for m in &k.members {
        groups.entry(c.kind(&m.kind)).or_default().push(m.clone());
    }
    let countries = atlas::countries(&st.app).await?;
    let mut by_country: BTreeMap<String, Vec<Partnership>> = BTreeMap::new();
    let mut world: BTreeMap<String, (usize, String)> = BTreeMap::new();
    for p in &k.partnerships {
        let other = other_side(p, &k.slug);
        let code = if other.kind == "cluster" {
            Some("FR".to_string())
        } else {
            other.country.clone()
        };
        let name = country_name(&countries, &code, lang);
        if let Some(code) = code {
            world.entry(code).or_insert((0, name.clone())).0 += 1;
        }
        by_country.entry(name).or_default().push(p.clone());
    }
    // The partners on a map of the world, when some are abroad.
    let partners_map = world.keys().any(|c| c != "FR").then(|| {
        crate::ui::map::partners_world(
            &st.maps,
            &world,
            c.t.t("cluster.partners_map").replace("{name}", &k.name),
        )
        .to_html()
    });
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
    let me: Vec<ClusterSummary> = atlas::all_clusters(&st.app)
        .await?
        .into_iter()
        .filter(|s| s.slug == k.slug)
        .collect();
    let at_head_office = me.iter().any(|s| map::at_head_office(&st.maps, s));
    let map = map::france(
        &st.maps,
        &me,
        c.t.code(),
        &k.regions
            .iter()
            .map(|r| r.code.as_str())
            .collect::<Vec<_>>(),
        c.t.t("cluster.map_title").replace("{name}", &k.name),
    )
    .to_html();
    let (phases, _) = atlas::phases(&st.app).await?;
    // Proposals to answer and answers awaited: its managers' alone.
    let in_progress = match &visitor.caller {
        Some(me) if c.can_edit_cluster(&k.slug) => {
            poles_app::edits::partnerships_in_progress(&st.app, me, &k.slug).await?
        }
        _ => Vec::new(),
    };
    let mut country_choices: Vec<(String, String)> = countries
        .iter()
        .map(|(code, (en, fr))| {
            (
                code.clone(),
                if lang == Lang::En {
                    en.clone()
                } else {
                    fr.clone()
                },
            )
        })
        .collect();
    country_choices.sort_by(|a, b| a.1.cmp(&b.1));
    let territory = poles_app::specialisation::territory(&st.app, &k.slug).await?;
    render(ClusterPage {
        territory,
        partners_map,
        partner,
        country_choices,
        in_progress,
        kinds: poles_app::edits::PARTNERSHIP_KINDS,
        zone,
        member,
        map,
        at_head_office,
        phases,
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
    view: ListView,
    /// The kinds and countries of the view, in words, with how many each gives.
    kinds: Vec<Facet>,
    countries: Vec<Facet>,
}

async fn organisations(
    State(st): State<AppState>,
    mut c: Chrome,
    Query(mut p): Query<Params>,
) -> PageResult {
    let page = params::page(&p)?;
    // A refused filter comes back as the page without it, the reason beside its field.
    let mut refused = None;
    let (query, list) = loop {
        let query = organisation_query(&p);
        match atlas::organisations(&st.app, &query, page).await {
            Ok(list) => break (query, list),
            Err(e) => drop_refused(e, &mut p, &c, &mut refused)?,
        }
    };
    c.q = query.q.clone().unwrap_or_default();
    let (kind_counts, country_counts) = atlas::organisation_facets(&st.app, &query).await?;
    let countries_named = atlas::countries(&st.app).await?;
    let lang = c.lang();
    let chosen =
        |v: &Option<String>, code: &str| v.as_deref().is_some_and(|x| x.eq_ignore_ascii_case(code));
    let kinds = kind_counts
        .into_iter()
        .filter_map(|(code, count)| {
            let kind = OrgKind::parse("kind", &code).ok()?;
            Some(Facet {
                selected: chosen(&query.kind, &code),
                name: c.kind(&kind),
                code,
                count: count as usize,
            })
        })
        .collect();
    let mut countries: Vec<Facet> = country_counts
        .into_iter()
        .map(|(code, count)| Facet {
            selected: chosen(&query.country, &code),
            name: country_name(&countries_named, &Some(code.clone()), lang),
            code,
            count: count as usize,
        })
        .collect();
    countries.sort_by_key(|f| poles_core::text::normalize(&f.name));
    let view = ListView {
        path: "/organisations",
        lang: c.t.code(),
        params: p,
        refused,
        default_sort: Some("name"),
        filters: &["q", "kind", "country"],
    };
    let status = view.status();
    Ok(crate::ui::render::render_with(
        OrganisationsPage {
            view,
            kinds,
            countries,
            list,
            page,
            c,
        },
        status,
    ))
}

/// The organisations of a view as CSV (public columns; formulas neutralised).
async fn organisations_csv(
    State(st): State<AppState>,
    Query(p): Query<Params>,
) -> Result<axum::response::Response, crate::http::error::PageError> {
    let list = atlas::organisations(&st.app, &organisation_query(&p), ALL).await?;
    Ok(crate::ui::render::csv_download(
        "poles-organisations.csv",
        &["id", "name", "short_name", "kind", "country", "projects"],
        list.items.into_iter().map(|o| {
            [
                o.id.to_string(),
                o.name,
                o.short_name.unwrap_or_default(),
                o.kind.as_str().to_string(),
                o.country.unwrap_or_default(),
                o.projects.to_string(),
            ]
        }),
    ))
}

#[derive(Template)]
#[template(path = "organisation.html")]
struct OrganisationPage {
    c: Chrome,
    o: OrganisationDetail,
    country: String,
    /// For programme officers: the company's de minimis use this year and its relief records.
    relief: Option<(Vec<CapUse>, Vec<ReliefRecord>)>,
    /// INSEE's headcount bands, for the profile form.
    bands: &'static [(&'static str, u32, Option<u32>)],
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
        bands: poles_core::HEADCOUNT_BANDS,
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
    view: ListView,
    /// The pôle the view is limited to, by name (slug, name).
    cluster: Option<(String, String)>,
    parts: Vec<Facet>,
    years: Vec<Facet>,
}

impl ProjectsPage {
    /// The parts of the programme a project belongs to, by name in the page's language.
    fn parts_of(&self, programme: &Option<String>) -> String {
        part_names(programme, self.c.lang())
    }

    fn period(&self, p: &ProjectSummary) -> String {
        match (&p.start_date, &p.end_date) {
            (Some(s), Some(e)) => format!("{} → {}", self.c.date(s), self.c.date(e)),
            (Some(s), None) => self.c.date(s),
            _ => "—".into(),
        }
    }
}

/// A programme's codes named by their parts, or "—".
fn part_names(programme: &Option<String>, lang: Lang) -> String {
    let names: Vec<&str> = poles_core::cordis::parts_of(programme.as_deref().unwrap_or_default())
        .into_iter()
        .map(|p| p.name(lang))
        .collect();
    if names.is_empty() {
        "—".into()
    } else {
        names.join(" · ")
    }
}

async fn projects(
    State(st): State<AppState>,
    mut c: Chrome,
    Query(mut p): Query<Params>,
) -> PageResult {
    let page = params::page(&p)?;
    // A refused filter comes back as the page without it, the reason beside its field.
    let mut refused = None;
    let (query, list) = loop {
        let query = project_query(&p);
        match atlas::projects(&st.app, &query, page).await {
            Ok(list) => break (query, list),
            Err(e) => drop_refused(e, &mut p, &c, &mut refused)?,
        }
    };
    c.q = query.q.clone().unwrap_or_default();
    let facets = atlas::project_facets(&st.app, &query).await?;
    let lang = c.lang();
    let chosen = |v: &Option<String>, code: &str| v.as_deref().is_some_and(|x| x.trim() == code);
    let parts = facets
        .parts
        .iter()
        .map(|(part, n)| Facet {
            selected: chosen(&query.part, &part.code),
            name: part.name(lang).to_string(),
            code: part.code.clone(),
            count: *n as usize,
        })
        .collect();
    let years = facets
        .years
        .iter()
        .filter_map(|(y, n)| {
            let y = (*y)?.to_string();
            Some(Facet {
                selected: chosen(&query.year, &y),
                name: y.clone(),
                code: y,
                count: *n as usize,
            })
        })
        .collect();
    let cluster = match query.cluster.as_deref().map(str::trim) {
        Some(slug) if !slug.is_empty() => atlas::all_clusters(&st.app)
            .await?
            .into_iter()
            .find(|k| k.slug == slug)
            .map(|k| (k.slug, k.name)),
        _ => None,
    };
    let view = ListView {
        path: "/projects",
        lang: c.t.code(),
        params: p,
        refused,
        default_sort: Some("start"),
        filters: &["q", "part", "year", "cluster", "organisation"],
    };
    let status = view.status();
    Ok(crate::ui::render::render_with(
        ProjectsPage {
            view,
            cluster,
            parts,
            years,
            list,
            page,
            c,
        },
        status,
    ))
}

/// The projects of a view as CSV (public columns; formulas neutralised).
async fn projects_csv(
    State(st): State<AppState>,
    c: Chrome,
    Query(p): Query<Params>,
) -> Result<axum::response::Response, crate::http::error::PageError> {
    let list = atlas::projects(&st.app, &project_query(&p), ALL).await?;
    let lang = c.lang();
    Ok(crate::ui::render::csv_download(
        "poles-projects.csv",
        &[
            "id",
            "acronym",
            "title",
            "programme_part",
            "programme_code",
            "start_date",
            "end_date",
            "total_cost",
            "public_funding",
            "currency",
            "partners",
        ],
        list.items.into_iter().map(|x| {
            // Amounts in units with two decimals, as a spreadsheet reads them.
            let units = |m: Option<poles_core::Money>| {
                m.map(|m| format!("{}.{:02}", m.cents / 100, (m.cents % 100).abs()))
            };
            let currency = x
                .total_cost
                .or(x.public_funding)
                .map(|m| m.currency.as_str().to_string());
            [
                x.id.to_string(),
                x.acronym,
                x.title.unwrap_or_default(),
                part_names(&x.programme, lang),
                x.programme.unwrap_or_default(),
                x.start_date.map(|d| d.to_string()).unwrap_or_default(),
                x.end_date.map(|d| d.to_string()).unwrap_or_default(),
                units(x.total_cost).unwrap_or_default(),
                units(x.public_funding).unwrap_or_default(),
                currency.unwrap_or_default(),
                x.partners.to_string(),
            ]
        }),
    ))
}

#[derive(Template)]
#[template(path = "project.html")]
struct ProjectPage {
    c: Chrome,
    p: ProjectDetail,
}

impl ProjectPage {
    /// The programme by the names of its parts (the codes stay in the page's tooltip).
    fn programme_shown(&self) -> String {
        let names = part_names(&self.p.programme, self.c.lang());
        if names == "—" {
            self.c.opt(&self.p.programme)
        } else {
            format!("Horizon 2020 — {names}")
        }
    }
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
        &[],
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
        &[r.code.as_str()],
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
        &[],
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
    v: atlas::NewsView,
    /// Pôles by slug, to name the pôle of a news item.
    names: HashMap<String, String>,
}

impl NewsPage {
    fn pole_name<'a>(&'a self, slug: &'a str) -> &'a str {
        self.names.get(slug).map_or(slug, String::as_str)
    }

    fn day_text(&self, d: &Option<String>) -> String {
        d.as_ref()
            .map_or_else(|| "—".into(), |d| self.c.partial_date(d))
    }

    /// "Before phase V (2023-2026)", in the page's language.
    fn archive_title(&self) -> String {
        match &self.v.phase {
            Some(p) => self.c.t.t("news.archive_before").replace(
                "{phase}",
                if self.c.lang() == Lang::Fr {
                    &p.name_fr
                } else {
                    &p.name_en
                },
            ),
            None => self.c.t.t("news.archive").to_string(),
        }
    }
}

async fn news(State(st): State<AppState>, c: Chrome) -> PageResult {
    let names = atlas::all_clusters(&st.app)
        .await?
        .into_iter()
        .map(|k| (k.slug, k.name))
        .collect();
    render(NewsPage {
        v: atlas::news_view(&st.app).await?,
        names,
        c,
    })
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    c: Chrome,
    view: ListView,
    page: Page,
    results: SearchResults,
    /// The facets in the page's language: the field and its values.
    facets: Vec<(&'static str, Vec<Facet>)>,
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

    /// The kind the page is limited to, if any.
    fn kind(&self) -> Option<&str> {
        self.view.params.get("kind").map(String::as_str)
    }

    /// The same words without the kind and facets chosen.
    fn cleared(&self) -> String {
        let mut only_q = Params::new();
        only_q.insert("q".to_string(), self.c.q.clone());
        list_href(self.view.lang, "/search", &only_q, "", "")
    }

    /// "12 pôles", "3 organisations"… for a group's heading.
    fn group_title(&self, g: &SearchGroup) -> String {
        format!(
            "{} {}",
            self.c.num(&g.total),
            self.c.tk("search.group.", &g.kind)
        )
    }
}

async fn search_page(
    State(st): State<AppState>,
    mut c: Chrome,
    visitor: Visitor,
    Query(mut p): Query<Params>,
) -> PageResult {
    let page = params::page(&p)?;
    let mut refused = None;
    let (query, results) = loop {
        let query = search_query(&p);
        match atlas::search(&st.app, &visitor.origin, &query, page).await {
            Ok(results) => break (query, results),
            Err(e) => drop_refused(e, &mut p, &c, &mut refused)?,
        }
    };
    c.q = query.q.clone().unwrap_or_default();
    let lang = c.lang();
    let countries_named = atlas::countries(&st.app).await?;
    let regions = atlas::regions(&st.app).await?;
    let sectors = atlas::sectors(&st.app).await?;
    let pole_names: HashMap<String, String> = atlas::all_clusters(&st.app)
        .await?
        .into_iter()
        .map(|c| (c.slug, c.name))
        .collect();
    let naf_names = atlas::naf_divisions(&st.app).await?;
    let mut facets = Vec::new();
    for f in &results.facets {
        let chosen = p.get(f.field.as_str()).map(String::as_str);
        let mut values: Vec<Facet> = f
            .values
            .iter()
            .map(|v| {
                let name = match f.field.as_str() {
                    "country" => country_name(&countries_named, &Some(v.value.clone()), lang),
                    "region" => regions
                        .iter()
                        .find(|r| r.code == v.value)
                        .map_or_else(|| v.value.clone(), |r| r.name.clone()),
                    "sector" => sectors.iter().find(|s| s.code == v.value).map_or_else(
                        || v.value.clone(),
                        |s| lang.pick(Some(&s.name_fr), Some(&s.name_en)).to_string(),
                    ),
                    "naf" => naf_names
                        .get(&v.value)
                        .map_or_else(|| v.value.clone(), |n| format!("{} — {n}", v.value)),
                    "size" => c.tk("band.", &v.value),
                    "pole" => pole_names
                        .get(&v.value)
                        .cloned()
                        .unwrap_or_else(|| v.value.clone()),
                    _ => OrgKind::parse("org_kind", &v.value)
                        .map_or_else(|_| v.value.clone(), |k| c.kind(&k)),
                };
                Facet {
                    selected: chosen == Some(v.value.as_str()),
                    code: v.value.clone(),
                    name,
                    count: v.count as usize,
                }
            })
            .collect();
        if values.is_empty() {
            continue;
        }
        // Headcount bands in their order; the other facets by name.
        if f.field == "size" {
            values.sort_by(|a, b| a.code.cmp(&b.code));
        } else {
            values.sort_by_key(|f| poles_core::text::normalize(&f.name));
        }
        let field: &'static str = match f.field.as_str() {
            "country" => "country",
            "region" => "region",
            "sector" => "sector",
            "naf" => "naf",
            "size" => "size",
            "pole" => "pole",
            _ => "org_kind",
        };
        facets.push((field, values));
    }
    let view = ListView {
        path: "/search",
        lang: c.t.code(),
        params: p,
        refused,
        default_sort: None,
        filters: &[
            "kind", "country", "region", "sector", "org_kind", "naf", "size", "pole",
        ],
    };
    let status = view.status();
    Ok(crate::ui::render::render_with(
        SearchPage {
            view,
            page,
            results,
            facets,
            c,
        },
        status,
    ))
}
