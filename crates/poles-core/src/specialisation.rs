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
}
