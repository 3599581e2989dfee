//! Regional specialisation: employment and establishments by region × NAF division, and
//! location quotients, computed from an establishment registry as it streams by.
//!
//! The national registry holds about thirty million establishments over time, so the
//! computation never holds rows: each reader folds its share of the file into a dense
//! table (100 region codes × 100 divisions, two counters a cell) and the tables are added.
//! Parsing is by hand over bytes because it is the whole cost: a general CSV reader spends
//! most of its time on quoting rules this format (the benchmark's, no quotes) never uses.

use serde::Serialize;

/// Cells of the dense table: two-digit region codes × two-digit NAF divisions.
const SIDE: usize = 100;

/// Employment and establishments per region code and NAF division.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    employment: Vec<u64>,
    establishments: Vec<u64>,
    /// Lines read, and those refused (with the first refusal's line, 1-based in its chunk).
    pub lines: u64,
    pub rejected: u64,
}

impl Default for Tally {
    fn default() -> Self {
        Tally {
            employment: vec![0; SIDE * SIDE],
            establishments: vec![0; SIDE * SIDE],
            lines: 0,
            rejected: 0,
        }
    }
}

/// Two ASCII digits as a number 0-99.
fn two_digits(b: &[u8]) -> Option<usize> {
    match b {
        [a, c, ..] if a.is_ascii_digit() && c.is_ascii_digit() => {
            Some(usize::from(a - b'0') * 10 + usize::from(c - b'0'))
        }
        _ => None,
    }
}

fn unsigned(b: &[u8]) -> Option<u64> {
    if b.is_empty() || b.len() > 12 {
        return None;
    }
    b.iter().try_fold(0u64, |n, c| {
        c.is_ascii_digit().then(|| n * 10 + u64::from(c - b'0'))
    })
}

impl Tally {
    /// Folds whole lines of the benchmark's format (`siret,region,department,naf,employees,
    /// created`, no quoting) into the table; a line that does not parse is counted as
    /// rejected. `chunk` must end at a line end (or be the file's end).
    pub fn add_lines(&mut self, chunk: &[u8]) {
        for line in chunk.split(|b| *b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.is_empty() {
                continue;
            }
            self.lines += 1;
            if !self.add_line(line) {
                self.rejected += 1;
            }
        }
    }

    fn add_line(&mut self, line: &[u8]) -> bool {
        let mut fields = line.split(|b| *b == b',');
        let (Some(_siret), Some(region), Some(_dept), Some(naf), Some(emp)) = (
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
        ) else {
            return false;
        };
        let (Some(r), Some(d), Some(e)) = (
            (region.len() == 2).then(|| two_digits(region)).flatten(),
            two_digits(naf),
            unsigned(emp),
        ) else {
            return false;
        };
        let k = r * SIDE + d;
        self.employment[k] += e;
        self.establishments[k] += 1;
        true
    }

    /// Adds another tally (another reader's share).
    pub fn merge(&mut self, other: &Tally) {
        for (a, b) in self.employment.iter_mut().zip(&other.employment) {
            *a += b;
        }
        for (a, b) in self.establishments.iter_mut().zip(&other.establishments) {
            *a += b;
        }
        self.lines += other.lines;
        self.rejected += other.rejected;
    }

    /// The table's non-empty cells with their location quotient: the division's share of
    /// the region's employment over its share of all employment (`None` where either share
    /// is undefined, a region or a division without employment), by region then division.
    pub fn quotients(&self) -> Vec<Cell> {
        let region_total: Vec<u64> = (0..SIDE)
            .map(|r| self.employment[r * SIDE..(r + 1) * SIDE].iter().sum())
            .collect();
        let division_total: Vec<u64> = (0..SIDE)
            .map(|d| (0..SIDE).map(|r| self.employment[r * SIDE + d]).sum())
            .collect();
        let total: u64 = region_total.iter().sum();
        let mut out = Vec::new();
        for (r, &region) in region_total.iter().enumerate() {
            for (d, &division) in division_total.iter().enumerate() {
                let k = r * SIDE + d;
                if self.establishments[k] == 0 {
                    continue;
                }
                let e = self.employment[k];
                let lq = (region > 0 && division > 0 && total > 0)
                    .then(|| (e as f64 / region as f64) / (division as f64 / total as f64));
                out.push(Cell {
                    region: format!("{r:02}"),
                    division: format!("{d:02}"),
                    establishments: self.establishments[k],
                    employment: e,
                    location_quotient: lq,
                });
            }
        }
        out
    }
}

/// One region × division cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cell {
    pub region: String,
    pub division: String,
    pub establishments: u64,
    pub employment: u64,
    pub location_quotient: Option<f64>,
}

/// The European Cluster Observatory's star thresholds in force, as data
/// (`data/programme/specialisation-stars.csv`): never constants here.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StarRules {
    /// A size star: the area is among this top share of areas by employment in the sector.
    pub size_top_share: f64,
    /// A specialisation star: a location quotient at least this.
    pub specialisation_lq: f64,
    /// A focus star: the area is among this top share of areas by the sector's share of
    /// the area's employment.
    pub focus_top_share: f64,
    /// Where the thresholds come from, in words, and since when they apply.
    pub source: String,
    pub effective_from: String,
    /// Whether the specialisation threshold is confirmed (the sources say "commonly 2").
    pub uncertain: bool,
}

/// One stored tally: an area (region or department) × a sector (NAF section or division,
/// or one of the programme's sectors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tallied {
    pub area: String,
    pub sector: String,
    pub establishments: i64,
    pub employment: i64,
}

/// An area × sector with its quotient and stars.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Specialised {
    pub area: String,
    pub sector: String,
    pub establishments: i64,
    pub employment: i64,
    /// The sector's share of the area's employment (0-1).
    pub share: f64,
    /// (employment here / the area's employment) / (the sector's employment / all employment);
    /// `None` where a share is undefined.
    pub location_quotient: Option<f64>,
    /// The area's rank among areas by employment in the sector (1 = most).
    pub rank: usize,
    pub size_star: bool,
    pub specialisation_star: bool,
    pub focus_star: bool,
}

impl Specialised {
    pub fn stars(&self) -> usize {
        usize::from(self.size_star)
            + usize::from(self.specialisation_star)
            + usize::from(self.focus_star)
    }
}

/// How many areas make a top share of `n` (at least one where there are areas).
fn top(n: usize, share: f64) -> usize {
    if n == 0 {
        0
    } else {
        ((n as f64 * share).ceil() as usize).clamp(1, n)
    }
}

/// Quotients and stars of `cells` (one grouping of one import), against each area's total
/// employment (`area_totals`, over every division: a programme sector covers only some) and
/// the grand total. Stars as the Observatory gives them: size, the top share of areas by the
/// sector's employment; specialisation, a quotient at the threshold; focus, the top share of
/// areas by the sector's share of their employment. Areas without employment count for
/// none of the ranks. Sorted by sector, then employment (largest first), then area.
pub fn specialise(
    cells: &[Tallied],
    area_totals: &std::collections::BTreeMap<String, i64>,
    rules: &StarRules,
) -> Vec<Specialised> {
    use std::collections::BTreeMap;
    let total: i64 = area_totals.values().sum();
    let areas = area_totals.values().filter(|t| **t > 0).count();
    let mut by_sector: BTreeMap<&str, Vec<&Tallied>> = BTreeMap::new();
    for c in cells {
        by_sector.entry(c.sector.as_str()).or_default().push(c);
    }
    let mut out = Vec::new();
    for (sector, mut list) in by_sector {
        let sector_total: i64 = list.iter().map(|c| c.employment).sum();
        list.sort_by(|a, b| b.employment.cmp(&a.employment).then(a.area.cmp(&b.area)));
        let share_of = |c: &Tallied| {
            let t = area_totals.get(&c.area).copied().unwrap_or(0);
            (t > 0).then(|| c.employment as f64 / t as f64)
        };
        // Ranks by share, for focus stars.
        let mut by_share: Vec<(&str, f64)> = list
            .iter()
            .filter_map(|c| share_of(c).map(|s| (c.area.as_str(), s)))
            .collect();
        by_share.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
        let focus: Vec<&str> = by_share
            .iter()
            .take(top(areas, rules.focus_top_share))
            .filter(|(_, s)| *s > 0.0)
            .map(|(a, _)| *a)
            .collect();
        let size_n = top(areas, rules.size_top_share);
        for (k, c) in list.iter().enumerate() {
            let share = share_of(c);
            let lq = share
                .filter(|_| sector_total > 0 && total > 0)
                .map(|s| s / (sector_total as f64 / total as f64));
            out.push(Specialised {
                area: c.area.clone(),
                sector: sector.to_string(),
                establishments: c.establishments,
                employment: c.employment,
                share: share.unwrap_or(0.0),
                location_quotient: lq,
                rank: k + 1,
                size_star: k < size_n && c.employment > 0,
                specialisation_star: lq.is_some_and(|q| q >= rules.specialisation_lq),
                focus_star: focus.contains(&c.area.as_str()),
            });
        }
    }
    out
}

/// Employment of one area × sector in two imports of one source.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Growth {
    pub area: String,
    pub sector: String,
    pub employment_before: i64,
    pub employment_after: i64,
    /// The change in per cent of the earlier figure (`None` from nothing).
    pub change_percent: Option<f64>,
}

/// The change between an earlier and a later tally, for every area × sector in either.
pub fn growth(before: &[Tallied], after: &[Tallied]) -> Vec<Growth> {
    use std::collections::BTreeMap;
    let mut at: BTreeMap<(&str, &str), (i64, i64)> = BTreeMap::new();
    for c in before {
        at.entry((&c.area, &c.sector)).or_default().0 += c.employment;
    }
    for c in after {
        at.entry((&c.area, &c.sector)).or_default().1 += c.employment;
    }
    at.into_iter()
        .map(|((area, sector), (b, a))| Growth {
            area: area.to_string(),
            sector: sector.to_string(),
            employment_before: b,
            employment_after: a,
            change_percent: (b > 0).then(|| (a - b) as f64 * 100.0 / b as f64),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tally_counts_employment_and_quotients_follow_their_definition() {
        let mut t = Tally::default();
        t.add_lines(
            b"00000000000001,84,69,62.01Z,10,2001-01-01\n\
              00000000000002,84,38,62.02A,30,2001-01-01\r\n\
              00000000000003,84,69,10.11Z,60,2001-01-01\n\
              00000000000004,11,75,10.11Z,100,2001-01-01\n\
              garbage\n\
              00000000000005,11,75,XX,1,2001-01-01\n",
        );
        assert_eq!((t.lines, t.rejected), (6, 2));
        let mut other = Tally::default();
        other.add_lines(b"00000000000006,11,75,62.01Z,0,2001-01-01");
        t.merge(&other);
        let cells = t.quotients();
        assert_eq!(cells.len(), 4);
        let c = cells
            .iter()
            .find(|c| c.region == "84" && c.division == "62")
            .unwrap();
        assert_eq!((c.establishments, c.employment), (2, 40));
        // (40 / 100) / (40 / 200) = 2.
        assert!((c.location_quotient.unwrap() - 2.0).abs() < 1e-12);
        let c = cells
            .iter()
            .find(|c| c.region == "11" && c.division == "10")
            .unwrap();
        // (100 / 100) / (160 / 200) = 1.25.
        assert!((c.location_quotient.unwrap() - 1.25).abs() < 1e-12);
    }

    fn cell(area: &str, sector: &str, employment: i64) -> Tallied {
        Tallied {
            area: area.into(),
            sector: sector.into(),
            establishments: 1,
            employment,
        }
    }

    #[test]
    fn stars_follow_the_rules_given() {
        let rules = StarRules {
            size_top_share: 0.10,
            specialisation_lq: 2.0,
            focus_top_share: 0.10,
            source: String::new(),
            effective_from: String::new(),
            uncertain: true,
        };
        // Ten areas of 100 jobs each; sector "x": 50 in A (its half), 5 in each other.
        let mut totals = std::collections::BTreeMap::new();
        let mut cells = Vec::new();
        for a in ["A", "B", "C", "D", "E", "F", "G", "H", "I", "J"] {
            totals.insert(a.to_string(), 100);
            cells.push(cell(a, "x", if a == "A" { 50 } else { 5 }));
        }
        let t = specialise(&cells, &totals, &rules);
        let a = t.iter().find(|c| c.area == "A").unwrap();
        // (50 / 100) / (95 / 1000) = 5.26…
        assert!((a.location_quotient.unwrap() - 500.0 / 95.0).abs() < 1e-9);
        assert_eq!((a.rank, a.stars()), (1, 3));
        let b = t.iter().find(|c| c.area == "B").unwrap();
        assert_eq!((b.stars(), b.share), (0, 0.05));
        // A higher threshold takes the specialisation star away, and only that one.
        let strict = StarRules {
            specialisation_lq: 6.0,
            ..rules
        };
        let a = specialise(&cells, &totals, &strict)
            .into_iter()
            .find(|c| c.area == "A")
            .unwrap();
        assert_eq!(
            (a.size_star, a.specialisation_star, a.focus_star),
            (true, false, true)
        );
        let g = growth(
            &[cell("A", "x", 50)],
            &[cell("A", "x", 60), cell("B", "x", 3)],
        );
        assert_eq!(g[0].change_percent, Some(20.0));
        assert_eq!((g[1].employment_before, g[1].change_percent), (0, None));
    }
}
