//! Regional specialisation, the pages: one sector's map of location quotients with its
//! legend, its table (sortable, exported as CSV), the pôles of the sector on the map, and
//! regions side by side. Generated data is marked fictional wherever it shows.

use super::api::{compare_query, table_query};
use crate::http::error::PageResult;
use crate::http::params::{self, Params};
use crate::ui::chrome::Chrome;
use crate::ui::map::{self, Shade};
use crate::ui::render::{csv_download, render_with};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use poles_app::atlas;
use poles_app::specialisation::{
    self, AreaRow, DatasetView, RegionComparison, SectorOption, SpecialisationTable,
};
use poles_core::Lang;
use std::collections::HashMap;

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/specialisation", get(table_page))
        .route("/specialisation/compare", get(compare_page))
}

/// The legend's classes of location quotient: (shade, lower bound).
const BINS: [(usize, f64); 5] = [(1, 0.0), (2, 0.8), (3, 1.25), (4, 2.0), (5, 3.0)];

fn shade(lq: Option<f64>) -> usize {
    lq.map_or(0, |q| {
        BINS.iter()
            .rev()
            .find(|(_, lo)| q >= *lo)
            .map_or(1, |(s, _)| *s)
    })
}

fn lq_text(lq: &Option<f64>) -> String {
    lq.map_or_else(|| "—".into(), |q| format!("{q:.2}"))
}

fn title(lang: Lang, d: &DatasetView) -> String {
    match lang {
        Lang::Fr => d.title_fr.clone(),
        Lang::En => d.title_en.clone(),
    }
}

fn label(lang: Lang, s: &SectorOption) -> String {
    match lang {
        Lang::Fr => s.label_fr.clone(),
        Lang::En => s.label_en.clone(),
    }
}

#[derive(Template)]
#[template(path = "specialisation.html")]
struct TablePage {
    c: Chrome,
    t: SpecialisationTable,
    map: String,
    sort: String,
}

impl TablePage {
    fn title_of(&self, d: &DatasetView) -> String {
        title(self.c.lang(), d)
    }
    fn label_of(&self, s: &SectorOption) -> String {
        label(self.c.lang(), s)
    }
    fn lq(&self, r: &AreaRow) -> String {
        lq_text(&r.location_quotient)
    }
    fn share(&self, r: &AreaRow) -> String {
        format!("{:.1} %", r.share * 100.0)
    }
    fn stars(&self, r: &AreaRow) -> String {
        [r.size_star, r.specialisation_star, r.focus_star]
            .iter()
            .map(|s| if *s { '★' } else { '☆' })
            .collect()
    }
    fn stars_title(&self, r: &AreaRow) -> String {
        let mut out = Vec::new();
        for (on, key) in [
            (r.size_star, "spec.star_size"),
            (r.specialisation_star, "spec.star_specialisation"),
            (r.focus_star, "spec.star_focus"),
        ] {
            if on {
                out.push(self.c.t.t(key).to_string());
            }
        }
        if out.is_empty() {
            self.c.t.t("spec.no_star").to_string()
        } else {
            out.join(", ")
        }
    }
    fn growth(&self, r: &AreaRow) -> String {
        match (r.employment_before, r.change_percent) {
            (_, Some(p)) => format!("{p:+.1} %"),
            (Some(_), None) => self.c.t.t("spec.new").to_string(),
            _ => "—".into(),
        }
    }
    fn num(&self, n: &i64) -> String {
        self.c.num(n)
    }
    fn share_pct(&self, x: &f64) -> String {
        format!("{:.0} %", x * 100.0)
    }
    fn lq_threshold(&self) -> String {
        format!("{}", self.t.rules.specialisation_location_quotient)
    }
    fn reference(&self, d: &DatasetView) -> String {
        d.reference_date
            .as_deref()
            .map(|r| self.c.partial_date(r))
            .unwrap_or_default()
    }
    fn imported(&self, d: &DatasetView) -> String {
        self.c
            .partial_date(d.imported_at.get(..10).unwrap_or(&d.imported_at))
    }
    fn href(&self, extra: &str) -> String {
        let t = &self.t;
        self.c.href(&format!(
            "/specialisation?dataset={}&level={}&grouping={}&sector={}{extra}",
            t.dataset.source, t.level, t.grouping, t.sector.code
        ))
    }
    fn sort_href(&self, key: &str) -> String {
        self.href(&format!("&sort={key}"))
    }
    fn csv_href(&self) -> String {
        self.href(&format!("&sort={}&format=csv", self.sort))
    }
    fn json_href(&self) -> String {
        let t = &self.t;
        format!(
            "/api/v1/specialisation?dataset={}&level={}&grouping={}&sector={}",
            t.dataset.source, t.level, t.grouping, t.sector.code
        )
    }
    fn compare_href(&self) -> String {
        let regions: Vec<&str> = self
            .t
            .rows
            .iter()
            .take(3)
            .map(|r| r.area.as_str())
            .collect();
        self.c.href(&format!(
            "/specialisation/compare?dataset={}&grouping={}&regions={}",
            self.t.dataset.source,
            self.t.grouping,
            regions.join(",")
        ))
    }
    fn legend(&self) -> Vec<(usize, String)> {
        let mut out = vec![(0, self.c.t.t("spec.no_data").to_string())];
        for (k, (s, lo)) in BINS.iter().enumerate() {
            let text = match BINS.get(k + 1) {
                Some((_, hi)) if k == 0 => format!("< {hi}"),
                Some((_, hi)) => format!("{lo} – {hi}"),
                None => format!("≥ {lo}"),
            };
            out.push((*s, text));
        }
        out
    }
    fn pole_href(&self, slug: &str) -> String {
        self.c.href(&format!("/clusters/{slug}"))
    }
}

fn sort_rows(rows: &mut [AreaRow], sort: &str) {
    match sort {
        "name" => rows.sort_by(|a, b| a.name.cmp(&b.name)),
        "employment" => rows.sort_by_key(|r| std::cmp::Reverse(r.employment)),
        "establishments" => rows.sort_by_key(|r| std::cmp::Reverse(r.establishments)),
        "stars" => rows.sort_by(|a, b| {
            let n = |r: &AreaRow| {
                usize::from(r.size_star)
                    + usize::from(r.specialisation_star)
                    + usize::from(r.focus_star)
            };
            n(b).cmp(&n(a)).then(a.rank.cmp(&b.rank))
        }),
        "growth" => rows.sort_by(|a, b| {
            b.change_percent
                .unwrap_or(f64::MIN)
                .total_cmp(&a.change_percent.unwrap_or(f64::MIN))
        }),
        // By quotient, as the use case sorts.
        _ => {}
    }
}

async fn table_page(State(st): State<AppState>, c: Chrome, Query(p): Query<Params>) -> PageResult {
    let mut t = specialisation::table(&st.app, &table_query(&p)).await?;
    let sort = params::get(&p, "sort").unwrap_or_else(|| "lq".into());
    sort_rows(&mut t.rows, &sort);
    let lang = c.lang();
    if params::get(&p, "format").as_deref() == Some("csv") {
        let fictional = if t.dataset.fictional { "yes" } else { "no" };
        let source = title(lang, &t.dataset);
        let reference = t.dataset.reference_date.clone().unwrap_or_default();
        let sector = label(lang, &t.sector);
        let rows = t.rows.iter().map(|r| {
            vec![
                r.area.clone(),
                r.name.clone(),
                sector.clone(),
                r.establishments.to_string(),
                r.employment.to_string(),
                format!("{:.6}", r.share),
                r.location_quotient
                    .map(|q| format!("{q:.6}"))
                    .unwrap_or_default(),
                r.size_star.to_string(),
                r.specialisation_star.to_string(),
                r.focus_star.to_string(),
                r.employment_before
                    .map(|b| b.to_string())
                    .unwrap_or_default(),
                r.change_percent
                    .map(|g| format!("{g:.2}"))
                    .unwrap_or_default(),
                r.poles
                    .iter()
                    .map(|p| p.name.clone())
                    .collect::<Vec<_>>()
                    .join("; "),
                source.clone(),
                reference.clone(),
                fictional.to_string(),
            ]
        });
        return Ok(csv_download(
            &format!(
                "specialisation-{}-{}-{}.csv",
                t.dataset.source, t.level, t.sector.code
            ),
            &[
                "area",
                "name",
                "sector",
                "establishments",
                "employment",
                "share",
                "location_quotient",
                "size_star",
                "specialisation_star",
                "focus_star",
                "employment_before",
                "change_percent",
                "poles",
                "source",
                "reference_date",
                "fictional",
            ],
            rows,
        ));
    }
    let lang_code = match lang {
        Lang::Fr => "fr",
        Lang::En => "en",
    };
    let shades: HashMap<String, Shade> = t
        .rows
        .iter()
        .map(|r| {
            (
                r.area.clone(),
                Shade {
                    shade: shade(r.location_quotient),
                    label: format!(
                        "{} {}",
                        c.t.t("spec.lq_short"),
                        lq_text(&r.location_quotient)
                    ),
                    href: if t.level == "region" {
                        format!("/regions/{}?lang={lang_code}", r.area)
                    } else {
                        String::new()
                    },
                },
            )
        })
        .collect();
    let slugs: Vec<&str> = t
        .rows
        .iter()
        .flat_map(|r| r.poles.iter().map(|p| p.slug.as_str()))
        .collect();
    let clusters: Vec<_> = atlas::all_clusters(&st.app)
        .await?
        .into_iter()
        .filter(|k| slugs.contains(&k.slug.as_str()))
        .collect();
    let markers = map::pole_markers(&st.maps, &clusters, lang_code);
    let map = map::choropleth(
        &st.maps,
        t.level == "department",
        &shades,
        markers,
        format!("{} — {}", c.t.t("spec.map_title"), label(lang, &t.sector)),
    )
    .to_html();
    Ok(render_with(TablePage { c, t, map, sort }, StatusCode::OK))
}

#[derive(Template)]
#[template(path = "specialisation_compare.html")]
struct ComparePage {
    c: Chrome,
    k: RegionComparison,
}

impl ComparePage {
    fn title_of(&self, d: &DatasetView) -> String {
        title(self.c.lang(), d)
    }
    fn label_of(&self, s: &SectorOption) -> String {
        label(self.c.lang(), s)
    }
    fn chosen(&self, code: &str) -> bool {
        self.k.regions.iter().any(|r| r.code == code)
    }
    fn cell(&self, cell: &Option<specialisation::CompareCell>) -> String {
        match cell {
            Some(x) => format!(
                "{} · {}",
                lq_text(&x.location_quotient),
                self.c.num(&x.employment)
            ),
            None => "—".into(),
        }
    }
    fn stars(&self, cell: &Option<specialisation::CompareCell>) -> String {
        cell.as_ref()
            .map_or_else(String::new, |x| "★".repeat(x.stars))
    }
    fn strong(&self, cell: &Option<specialisation::CompareCell>) -> bool {
        cell.as_ref()
            .and_then(|x| x.location_quotient)
            .is_some_and(|q| q >= self.k.rules.specialisation_location_quotient)
    }
    fn csv_href(&self) -> String {
        let codes: Vec<&str> = self.k.regions.iter().map(|r| r.code.as_str()).collect();
        self.c.href(&format!(
            "/specialisation/compare?dataset={}&grouping={}&regions={}&format=csv",
            self.k.dataset.source,
            self.k.grouping,
            codes.join(",")
        ))
    }
    fn back_href(&self) -> String {
        self.c.href(&format!(
            "/specialisation?dataset={}&grouping={}",
            self.k.dataset.source, self.k.grouping
        ))
    }
}

async fn compare_page(
    State(st): State<AppState>,
    c: Chrome,
    Query(p): Query<Vec<(String, String)>>,
) -> PageResult {
    // The form sends one `regions` per box ticked; links send them comma-separated.
    let mut map: Params = Params::new();
    let mut regions = Vec::new();
    for (k, v) in p {
        if k == "regions" {
            regions.push(v);
        } else {
            map.insert(k, v);
        }
    }
    if !regions.is_empty() {
        map.insert("regions".into(), regions.join(","));
    }
    let k = specialisation::compare(&st.app, &compare_query(&map)).await?;
    if params::get(&map, "format").as_deref() == Some("csv") {
        let lang = c.lang();
        let mut header = vec!["sector".to_string(), "name".to_string()];
        for r in &k.regions {
            header.push(format!("{}_employment", r.code));
            header.push(format!("{}_location_quotient", r.code));
            header.push(format!("{}_stars", r.code));
        }
        header.push("source".into());
        header.push("fictional".into());
        let source = title(lang, &k.dataset);
        let fictional = if k.dataset.fictional { "yes" } else { "no" };
        let rows = k.rows.iter().map(|row| {
            let mut out = vec![row.sector.code.clone(), label(lang, &row.sector)];
            for cell in &row.cells {
                match cell {
                    Some(x) => {
                        out.push(x.employment.to_string());
                        out.push(
                            x.location_quotient
                                .map(|q| format!("{q:.6}"))
                                .unwrap_or_default(),
                        );
                        out.push(x.stars.to_string());
                    }
                    None => out.extend([String::new(), String::new(), String::new()]),
                }
            }
            out.push(source.clone());
            out.push(fictional.into());
            out
        });
        let header: Vec<&str> = header.iter().map(String::as_str).collect();
        return Ok(csv_download(
            &format!("specialisation-compare-{}.csv", k.dataset.source),
            &header,
            rows,
        ));
    }
    Ok(render_with(ComparePage { c, k }, StatusCode::OK).into_response())
}
