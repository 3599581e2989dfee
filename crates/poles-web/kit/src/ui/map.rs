//! Server-side SVG pictures: the map of France with clusters, a region's map, and the
//! partnership network. The outlines come from the shipped GeoJSON and are projected once
//! at start-up (they are static data, identical on every app server).

use askama::Template;
use poles_core::geo::{shapes, spread, Projection, Shape};
use poles_core::model::{ClusterSummary, Partnership};
use poles_core::{LabelStatus, Tier};
use std::collections::BTreeMap;

pub struct Maps {
    pub proj: Projection,
    pub regions: Vec<Shape>,
    /// The departments, for choropleths at that level.
    pub departments: Vec<Shape>,
    /// The world's countries, for the partners' map, and their projection.
    pub world: Vec<Shape>,
    pub world_proj: Projection,
    /// Longitude and latitude per commune code, for the markers of head offices.
    pub communes: std::collections::HashMap<String, (f64, f64)>,
}

const WIDTH: f64 = 600.0;

impl Maps {
    pub fn load() -> Maps {
        let proj = Projection::metropolitan_france(WIDTH);
        let geo = poles_app::atlas::region_outlines();
        // The inhabited world, Antarctica left out, at the equator's scale.
        let world_proj = Projection::fit(-170.0, 190.0, -58.0, 84.0, WIDTH);
        Maps {
            regions: shapes(&geo, &proj),
            departments: shapes(&poles_app::atlas::department_outlines(), &proj),
            world: shapes(&poles_app::atlas::world_outlines(), &world_proj),
            world_proj,
            proj,
            communes: poles_app::atlas::commune_points(),
        }
    }
}

pub struct Area {
    pub code: String,
    pub name: String,
    pub path: String,
    pub class: String,
    pub href: String,
}

pub struct Marker {
    pub x: f64,
    pub y: f64,
    pub r: f64,
    pub class: String,
    pub href: String,
    pub title: String,
    pub slug: String,
}

pub struct Text {
    pub x: f64,
    pub y: f64,
    pub class: &'static str,
    pub text: String,
}

pub struct Line {
    pub d: String,
    pub class: &'static str,
}

#[derive(Template)]
#[template(path = "map.svg")]
pub struct Svg {
    pub id: &'static str,
    pub title: String,
    pub width: f64,
    pub height: f64,
    pub areas: Vec<Area>,
    pub lines: Vec<Line>,
    pub markers: Vec<Marker>,
    pub texts: Vec<Text>,
}

impl Svg {
    pub fn to_html(&self) -> String {
        self.render().unwrap_or_default()
    }
}

/// A marker's class: the 2005 tier for the first phase's pôles, the label's status for
/// later phases (which have no tiers).
fn marker_class(c: &ClusterSummary) -> &'static str {
    match (c.phase.as_deref(), c.status) {
        (Some("I") | None, _) => tier_class(c.label),
        (_, Some(LabelStatus::Probation)) => "marker status-probation",
        _ => "marker status-labelled",
    }
}

fn tier_class(t: Option<Tier>) -> &'static str {
    match t {
        Some(Tier::Mondial) => "marker tier-mondial",
        Some(Tier::VocationMondiale) => "marker tier-vocation",
        Some(Tier::National) => "marker tier-national",
        None => "marker tier-none",
    }
}

/// Whether a cluster's marker stands at its head office (else near the centre of its first
/// region, which the page says).
pub fn at_head_office(maps: &Maps, c: &ClusterSummary) -> bool {
    c.head_office
        .as_ref()
        .is_some_and(|code| maps.communes.contains_key(code))
}

/// Where each cluster sits: at its head office's commune where it is known, else around the
/// anchor of its first region; several at one place are spread on a small spiral. Clusters
/// of overseas regions go to an inset at the bottom left.
fn positions(maps: &Maps, clusters: &[ClusterSummary]) -> BTreeMap<String, (f64, f64)> {
    // Markers that fall on one pixel: their place, who they are, the spiral's step.
    type Spot<'a> = (f64, f64, Vec<&'a ClusterSummary>, f64);
    let mut at: BTreeMap<(i64, i64), Spot> = BTreeMap::new();
    for c in clusters {
        let point = c
            .head_office
            .as_ref()
            .and_then(|code| maps.communes.get(code))
            .map(|&(lng, lat)| maps.proj.project(lng, lat));
        let (anchor, step) = match point {
            Some(p) => (p, 7.0),
            None => {
                let region = c.regions.first().map(String::as_str).unwrap_or("none");
                let anchor = maps
                    .regions
                    .iter()
                    .find(|s| s.code == region)
                    .map(|s| s.anchor)
                    .unwrap_or((40.0, maps.proj.height - 30.0));
                (anchor, 11.0)
            }
        };
        let key = (anchor.0.round() as i64, anchor.1.round() as i64);
        at.entry(key)
            .or_insert_with(|| (anchor.0, anchor.1, Vec::new(), step))
            .2
            .push(c);
    }
    let mut out = BTreeMap::new();
    for (_, (x, y, list, step)) in at {
        for (c, p) in list.iter().zip(spread((x, y), list.len(), step)) {
            out.insert(c.slug.clone(), p);
        }
    }
    out
}

/// The map of France: regions shaded by number of clusters, a marker per cluster.
/// `highlight` outlines regions: a region's page its own, a pôle's page each of its regions.
pub fn france(
    maps: &Maps,
    clusters: &[ClusterSummary],
    lang: &str,
    highlight: &[&str],
    title: String,
) -> Svg {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for c in clusters {
        for r in &c.regions {
            *counts.entry(r.as_str()).or_default() += 1;
        }
    }
    let areas = maps
        .regions
        .iter()
        .map(|s| {
            let n = counts.get(s.code.as_str()).copied().unwrap_or(0);
            let shade = match n {
                0 => 0,
                1..=2 => 1,
                3..=5 => 2,
                6..=9 => 3,
                _ => 4,
            };
            let mut class = format!("region shade-{shade}");
            if highlight.contains(&s.code.as_str()) {
                class.push_str(" highlight");
            }
            Area {
                code: s.code.clone(),
                name: format!("{} ({n})", s.name),
                path: s.path.clone(),
                class,
                href: format!("/regions/{}?lang={lang}", s.code),
            }
        })
        .collect();
    let pos = positions(maps, clusters);
    let markers = clusters
        .iter()
        .filter_map(|c| {
            let (x, y) = *pos.get(&c.slug)?;
            Some(Marker {
                x,
                y,
                r: if c.leading { 6.0 } else { 4.5 },
                class: marker_class(c).to_string(),
                href: format!("/clusters/{}?lang={lang}", c.slug),
                title: c.name.clone(),
                slug: c.slug.clone(),
            })
        })
        .collect();
    let has_overseas = clusters.iter().any(|c| {
        c.regions
            .first()
            .is_some_and(|r| !maps.regions.iter().any(|s| &s.code == r))
    });
    let mut texts = Vec::new();
    if has_overseas {
        texts.push(Text {
            x: 12.0,
            y: maps.proj.height - 48.0,
            class: "inset-label",
            text: if lang == "fr" {
                "Outre-mer / autres"
            } else {
                "Overseas / other"
            }
            .into(),
        });
    }
    Svg {
        id: "map",
        title,
        width: WIDTH,
        height: maps.proj.height,
        areas,
        lines: vec![],
        markers,
        texts,
    }
}

/// One area of a choropleth: its shade (0 = no data … 5), what hovering says, where it leads.
pub struct Shade {
    pub shade: usize,
    pub label: String,
    pub href: String,
}

/// Regions or departments shaded by a measure (the page gives the legend), with markers
/// (pôles) on top; areas without a shade are drawn as "no data".
pub fn choropleth(
    maps: &Maps,
    departments: bool,
    shades: &std::collections::HashMap<String, Shade>,
    markers: Vec<Marker>,
    title: String,
) -> Svg {
    let outlines = if departments {
        &maps.departments
    } else {
        &maps.regions
    };
    let areas = outlines
        .iter()
        .map(|s| {
            let shade = shades.get(&s.code);
            Area {
                code: s.code.clone(),
                name: shade.map_or_else(|| s.name.clone(), |d| format!("{} — {}", s.name, d.label)),
                path: s.path.clone(),
                class: format!("region lq-{}", shade.map_or(0, |d| d.shade)),
                href: shade.map_or_else(String::new, |d| d.href.clone()),
            }
        })
        .collect();
    Svg {
        id: "choropleth",
        title,
        width: WIDTH,
        height: maps.proj.height,
        areas,
        lines: vec![],
        markers,
        texts: vec![],
    }
}

/// Pôles' markers on a map (at their head office, else around their first region's anchor).
pub fn pole_markers(maps: &Maps, clusters: &[ClusterSummary], lang: &str) -> Vec<Marker> {
    let pos = positions(maps, clusters);
    clusters
        .iter()
        .filter_map(|c| {
            let (x, y) = *pos.get(&c.slug)?;
            Some(Marker {
                x,
                y,
                r: 4.5,
                class: "marker tier-none".into(),
                href: format!("/clusters/{}?lang={lang}", c.slug),
                title: c.name.clone(),
                slug: c.slug.clone(),
            })
        })
        .collect()
}

/// A pôle's partners by country on a map of the world: each country shaded by how many of
/// its partners are there (France marked as home), its name and count on hover. `counts`:
/// country code → (partners, the country's name in the page's language).
pub fn partners_world(
    maps: &Maps,
    counts: &BTreeMap<String, (usize, String)>,
    title: String,
) -> Svg {
    let areas = maps
        .world
        .iter()
        .map(|s| {
            let (n, name) = counts
                .get(&s.code)
                .map_or((0, s.name.clone()), |(n, name)| (*n, name.clone()));
            // Few partners per country: one already stands out.
            let shade = match n {
                0 => 0,
                1 => 3,
                _ => 4,
            };
            let mut class = format!("region shade-{shade}");
            if s.code == "FR" {
                class.push_str(" highlight");
            }
            Area {
                code: s.code.clone(),
                name: if n > 0 { format!("{name} ({n})") } else { name },
                path: s.path.clone(),
                class,
                href: "#partnership-list".into(),
            }
        })
        .collect();
    Svg {
        id: "partners-map",
        title,
        width: WIDTH,
        height: maps.world_proj.height,
        areas,
        lines: vec![],
        markers: vec![],
        texts: vec![],
    }
}

/// The partnership network: French clusters on the map, foreign partners in a column on
/// the right grouped by country, a line per partnership.
pub fn network(
    maps: &Maps,
    clusters: &[ClusterSummary],
    partnerships: &[Partnership],
    country_name: impl Fn(&str) -> String,
    lang: &str,
    title: String,
) -> Svg {
    let pos = positions(maps, clusters);
    let base = france(maps, &[], lang, &[], title.clone());
    // Sorted by country (unknown countries first), then name.
    let mut foreign: BTreeMap<(Option<String>, String), String> = BTreeMap::new();
    for p in partnerships {
        for side in [&p.a, &p.b] {
            if side.kind == "foreign" {
                let country = side.country.as_deref().map(&country_name);
                foreign.insert((country, side.name.clone()), side.slug.clone());
            }
        }
    }
    let col_x = WIDTH + 40.0;
    let step = (maps.proj.height - 40.0) / (foreign.len().max(1) as f64);
    let mut fpos: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    let mut markers = Vec::new();
    let mut texts = Vec::new();
    for (k, ((country, name), slug)) in foreign.iter().enumerate() {
        let y = 30.0 + step * (k as f64 + 0.5);
        fpos.insert(slug.clone(), (col_x, y));
        markers.push(Marker {
            x: col_x,
            y,
            r: 5.0,
            class: "marker foreign".into(),
            href: format!("#partner-{slug}"),
            title: match country {
                Some(c) => format!("{name} ({c})"),
                None => name.clone(),
            },
            slug: slug.clone(),
        });
        texts.push(Text {
            x: col_x + 10.0,
            y: y + 4.0,
            class: "node-label",
            text: match country {
                Some(c) => format!("{name} — {c}"),
                None => name.clone(),
            },
        });
    }
    let mut lines = Vec::new();
    let mut involved: BTreeMap<String, &ClusterSummary> = BTreeMap::new();
    let place = |p: &poles_core::model::Party| -> Option<(f64, f64)> {
        if p.kind == "cluster" {
            pos.get(&p.slug).copied()
        } else {
            fpos.get(&p.slug).copied()
        }
    };
    for p in partnerships {
        if let (Some(a), Some(b)) = (place(&p.a), place(&p.b)) {
            let mx = (a.0 + b.0) / 2.0;
            let my = (a.1 + b.1) / 2.0 - 30.0;
            lines.push(Line {
                d: format!(
                    "M{:.1} {:.1} Q{:.1} {:.1} {:.1} {:.1}",
                    a.0, a.1, mx, my, b.0, b.1
                ),
                class: "link",
            });
        }
        for side in [&p.a, &p.b] {
            if side.kind == "cluster" {
                if let Some(c) = clusters.iter().find(|c| c.slug == side.slug) {
                    involved.insert(c.slug.clone(), c);
                }
            }
        }
    }
    for c in involved.values() {
        if let Some(&(x, y)) = pos.get(&c.slug) {
            markers.push(Marker {
                x,
                y,
                r: 6.0,
                class: marker_class(c).to_string(),
                href: format!("/clusters/{}?lang={lang}", c.slug),
                title: c.name.clone(),
                slug: c.slug.clone(),
            });
            texts.push(Text {
                x: x + 8.0,
                y: y - 6.0,
                class: "node-label",
                text: c.name.clone(),
            });
        }
    }
    Svg {
        id: "network",
        title,
        width: WIDTH + 330.0,
        height: maps.proj.height,
        areas: base.areas,
        lines,
        markers,
        texts,
    }
}
