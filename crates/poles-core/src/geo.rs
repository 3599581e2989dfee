//! GeoJSON polygons → SVG paths for server-side maps. A plain equirectangular projection
//! scaled by cos(mean latitude) is accurate enough at the scale of France and needs no library.

use serde_json::Value;

/// A projection of a lon/lat box onto a `width`-wide SVG canvas.
#[derive(Debug, Clone, Copy)]
pub struct Projection {
    pub lon_min: f64,
    pub lat_max: f64,
    pub scale: f64,
    pub kx: f64,
    pub width: f64,
    pub height: f64,
}

impl Projection {
    pub fn fit(lon_min: f64, lon_max: f64, lat_min: f64, lat_max: f64, width: f64) -> Self {
        let kx = ((lat_min + lat_max) / 2.0).to_radians().cos();
        let scale = width / ((lon_max - lon_min) * kx);
        let height = (lat_max - lat_min) * scale;
        Projection {
            lon_min,
            lat_max,
            scale,
            kx,
            width,
            height,
        }
    }

    /// Metropolitan France with Corsica.
    pub fn metropolitan_france(width: f64) -> Self {
        Self::fit(-5.3, 9.8, 41.3, 51.2, width)
    }

    pub fn project(&self, lon: f64, lat: f64) -> (f64, f64) {
        (
            (lon - self.lon_min) * self.kx * self.scale,
            (self.lat_max - lat) * self.scale,
        )
    }
}

/// One feature of a map: its code, name, SVG path and a point to hang a label or markers on.
#[derive(Debug, Clone)]
pub struct Shape {
    pub code: String,
    pub name: String,
    pub path: String,
    pub anchor: (f64, f64),
}

fn rings(geometry: &Value) -> Vec<Vec<(f64, f64)>> {
    let point =
        |p: &Value| -> Option<(f64, f64)> { Some((p.get(0)?.as_f64()?, p.get(1)?.as_f64()?)) };
    let ring = |r: &Value| -> Vec<(f64, f64)> {
        r.as_array()
            .map(|a| a.iter().filter_map(point).collect())
            .unwrap_or_default()
    };
    let coords = &geometry["coordinates"];
    match geometry["type"].as_str() {
        Some("Polygon") => coords
            .as_array()
            .map(|a| a.iter().map(ring).collect())
            .unwrap_or_default(),
        Some("MultiPolygon") => coords
            .as_array()
            .map(|polys| {
                polys
                    .iter()
                    .filter_map(|p| p.as_array())
                    .flat_map(|p| p.iter().map(ring))
                    .collect()
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// Signed area and centroid of a projected ring (shoelace formula).
fn ring_centroid(pts: &[(f64, f64)]) -> (f64, (f64, f64)) {
    let mut a = 0.0;
    let (mut cx, mut cy) = (0.0, 0.0);
    for w in pts.windows(2) {
        let (x0, y0) = w[0];
        let (x1, y1) = w[1];
        let cross = x0 * y1 - x1 * y0;
        a += cross;
        cx += (x0 + x1) * cross;
        cy += (y0 + y1) * cross;
    }
    if a.abs() < 1e-9 {
        let n = pts.len().max(1) as f64;
        let sx: f64 = pts.iter().map(|p| p.0).sum();
        let sy: f64 = pts.iter().map(|p| p.1).sum();
        return (0.0, (sx / n, sy / n));
    }
    (a / 2.0, (cx / (3.0 * a), cy / (3.0 * a)))
}

/// Projects every feature of a GeoJSON FeatureCollection whose properties carry `code` and `nom`.
pub fn shapes(collection: &Value, proj: &Projection) -> Vec<Shape> {
    let mut out = Vec::new();
    let Some(features) = collection["features"].as_array() else {
        return out;
    };
    for f in features {
        let code = f["properties"]["code"].as_str().unwrap_or("").to_string();
        let name = f["properties"]["nom"].as_str().unwrap_or("").to_string();
        let mut path = String::new();
        let mut best: (f64, (f64, f64)) = (0.0, (0.0, 0.0));
        for ring in rings(&f["geometry"]) {
            let projected: Vec<(f64, f64)> = ring
                .iter()
                .map(|&(lon, lat)| proj.project(lon, lat))
                .collect();
            let mut last: Option<(i64, i64)> = None;
            for (i, (x, y)) in projected.iter().enumerate() {
                // Rounded to 0.1 px and deduplicated: the shipped outlines are denser than a
                // screen needs, and the page is smaller for it.
                let key = ((x * 10.0).round() as i64, (y * 10.0).round() as i64);
                if last == Some(key) {
                    continue;
                }
                last = Some(key);
                path.push(if i == 0 { 'M' } else { 'L' });
                path.push_str(&format!("{:.1} {:.1}", x, y));
            }
            path.push('Z');
            let (area, c) = ring_centroid(&projected);
            if area.abs() > best.0.abs() {
                best = (area, c);
            }
        }
        out.push(Shape {
            code,
            name,
            path,
            anchor: best.1,
        });
    }
    out
}

/// Spreads `n` markers around an anchor on a sunflower spiral, so that clusters of one
/// region do not hide each other.
pub fn spread(anchor: (f64, f64), n: usize, step: f64) -> Vec<(f64, f64)> {
    let golden = std::f64::consts::PI * (3.0 - 5f64.sqrt());
    (0..n)
        .map(|i| {
            let r = step * (i as f64).sqrt();
            let t = i as f64 * golden;
            (anchor.0 + r * t.cos(), anchor.1 + r * t.sin())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_square_projects_to_a_closed_path_with_its_centre() {
        let fc = serde_json::json!({"features":[{"properties":{"code":"11","nom":"Île-de-France"},
            "geometry":{"type":"Polygon","coordinates":[[[2.0,48.0],[3.0,48.0],[3.0,49.0],[2.0,49.0],[2.0,48.0]]]}}]});
        let p = Projection::metropolitan_france(600.0);
        let s = shapes(&fc, &p);
        assert_eq!(s.len(), 1);
        assert!(s[0].path.starts_with('M') && s[0].path.ends_with('Z'));
        let (cx, cy) = p.project(2.5, 48.5);
        assert!((s[0].anchor.0 - cx).abs() < 0.5 && (s[0].anchor.1 - cy).abs() < 0.5);
        assert_eq!(spread((0.0, 0.0), 5, 4.0).len(), 5);
    }
}
