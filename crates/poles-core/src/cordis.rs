//! Parser for the CORDIS Horizon 2020 extract exactly as published: tab-separated, decimal
//! commas (`230000,00`), numbers padded with spaces (` 25`), quoted names with doubled quotes,
//! organisation ids that are PIC numbers or md5 hashes, and `;`-separated reference tables.
//!
//! Parsing is pure: every row becomes a record or a [`Rejected`] line with its reason, so an
//! importer can report everything before it writes anything.

use crate::OrgKind;
use std::io::Read;

/// A source row that could not be used, with its 1-based line number (header = line 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    pub file: &'static str,
    pub line: u64,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Project {
    pub line: u64,
    pub rcn: i64,
    pub reference: String,
    pub acronym: String,
    pub status: String,
    pub programme: String,
    pub topic: String,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub total_cost_cents: Option<i64>,
    pub ec_max_contribution_cents: Option<i64>,
    pub call: String,
    pub funding_scheme: String,
    pub coordinator: String,
    pub coordinator_country: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Organisation {
    pub line: u64,
    /// A PIC number or an md5 hash, as the extract gives it.
    pub id: String,
    pub name: String,
    pub short_name: Option<String>,
    pub country: Option<String>,
    pub total_contribution_cents: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    pub line: u64,
    pub project_rcn: i64,
    pub org_id: String,
}

/// Parses a decimal-comma amount (`"230000,00"`, `" 1 234,5"`, `"12"`) into cents.
/// An empty cell is `Ok(None)`: the extract leaves unknown amounts empty.
pub fn parse_amount_cents(raw: &str) -> Result<Option<i64>, String> {
    let s: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}')
        .collect();
    if s.is_empty() {
        return Ok(None);
    }
    let (neg, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.as_str()),
    };
    let (int_part, frac_part) = match body.split_once([',', '.']) {
        Some((i, f)) => (i, f),
        None => (body, ""),
    };
    let digits_ok = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if int_part.is_empty() || !digits_ok(int_part) || !digits_ok(frac_part) || frac_part.len() > 2 {
        return Err(format!("{raw:?} is not an amount"));
    }
    let units: i64 = int_part
        .parse()
        .map_err(|_| format!("{raw:?} is too large"))?;
    let frac: i64 = match frac_part.len() {
        0 => 0,
        1 => frac_part.parse::<i64>().unwrap_or(0) * 10,
        _ => frac_part.parse::<i64>().unwrap_or(0),
    };
    let cents = units
        .checked_mul(100)
        .and_then(|v| v.checked_add(frac))
        .ok_or_else(|| format!("{raw:?} is too large"))?;
    Ok(Some(if neg { -cents } else { cents }))
}

/// Accepts a `YYYY-MM-DD` date that exists ([`crate::Date`]); empty is `Ok(None)`.
pub fn parse_date(raw: &str) -> Result<Option<String>, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    crate::Date::parse("date", s)
        .map(|d| Some(d.to_string()))
        .map_err(|e| e.reason)
}

fn tsv_reader<R: Read>(r: R) -> csv::Reader<R> {
    csv::ReaderBuilder::new()
        .delimiter(b'\t')
        .flexible(true)
        .has_headers(true)
        .from_reader(r)
}

/// Reads a TSV whose header must hold `expected` columns (by name), calling `row` for each
/// record with a getter by column name.
fn read_tsv<R: Read, T>(
    file: &'static str,
    r: R,
    expected: &[&str],
    mut row: impl FnMut(u64, &Cells) -> Result<T, String>,
) -> Result<(Vec<T>, Vec<Rejected>), Rejected> {
    let mut rdr = tsv_reader(r);
    let headers = rdr
        .headers()
        .map_err(|e| Rejected {
            file,
            line: 1,
            reason: format!("unreadable header: {e}"),
        })?
        .clone();
    let mut idx = Vec::new();
    for name in expected {
        match headers.iter().position(|h| h.trim() == *name) {
            Some(i) => idx.push(i),
            None => {
                return Err(Rejected {
                    file,
                    line: 1,
                    reason: format!("missing column {name:?}"),
                })
            }
        }
    }
    let mut out = Vec::new();
    let mut rejected = Vec::new();
    for rec in rdr.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                rejected.push(Rejected {
                    file,
                    line,
                    reason: format!("unreadable row: {e}"),
                });
                continue;
            }
        };
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        if rec.len() < headers.len() {
            rejected.push(Rejected {
                file,
                line,
                reason: format!("{} cells, {} expected", rec.len(), headers.len()),
            });
            continue;
        }
        let cells = Cells {
            rec: &rec,
            idx: &idx,
            names: expected,
        };
        match row(line, &cells) {
            Ok(v) => out.push(v),
            Err(reason) => rejected.push(Rejected { file, line, reason }),
        }
    }
    Ok((out, rejected))
}

/// The cells of one record, looked up by column name.
struct Cells<'r> {
    rec: &'r csv::StringRecord,
    idx: &'r [usize],
    names: &'r [&'r str],
}

impl<'r> Cells<'r> {
    fn get(&self, name: &str) -> &'r str {
        self.names
            .iter()
            .position(|e| *e == name)
            .and_then(|k| self.rec.get(self.idx[k]))
            .unwrap_or("")
    }
}

fn required(c: &Cells, col: &str) -> Result<String, String> {
    let v = c.get(col).trim();
    if v.is_empty() {
        Err(format!("{col} is empty"))
    } else {
        Ok(v.to_string())
    }
}

fn padded_int(raw: &str, col: &str) -> Result<i64, String> {
    raw.trim()
        .parse::<i64>()
        .map_err(|_| format!("{col} {raw:?} is not an integer"))
}

fn amount(raw: &str, col: &str) -> Result<Option<i64>, String> {
    parse_amount_cents(raw).map_err(|e| format!("{col}: {e}"))
}

fn date(raw: &str, col: &str) -> Result<Option<String>, String> {
    parse_date(raw).map_err(|e| format!("{col}: {e}"))
}

pub const PROJECTS_FILE: &str = "projects.tsv";
pub const ORGANISATIONS_FILE: &str = "organizations.tsv";
pub const EDGES_FILE: &str = "project_org_edges.tsv";
pub const TOPICS_FILE: &str = "reference/cordisref-H2020topics.csv";

pub fn parse_projects<R: Read>(r: R) -> Result<(Vec<Project>, Vec<Rejected>), Rejected> {
    let cols = [
        "rcn",
        "reference",
        "acronym",
        "status",
        "programme",
        "topics",
        "startDate",
        "endDate",
        "totalCost",
        "ecMaxContribution",
        "call",
        "fundingScheme",
        "coordinator",
        "coordinatorCountry",
    ];
    read_tsv(PROJECTS_FILE, r, &cols, |line, c| {
        let start_date = date(c.get("startDate"), "startDate")?;
        let end_date = date(c.get("endDate"), "endDate")?;
        if let (Some(s), Some(e)) = (&start_date, &end_date) {
            if e < s {
                return Err(format!("endDate {e} is before startDate {s}"));
            }
        }
        Ok(Project {
            line,
            rcn: padded_int(c.get("rcn"), "rcn")?,
            reference: c.get("reference").trim().to_string(),
            acronym: required(c, "acronym")?,
            status: c.get("status").trim().to_string(),
            programme: c.get("programme").trim().to_string(),
            topic: c.get("topics").trim().to_string(),
            start_date,
            end_date,
            total_cost_cents: amount(c.get("totalCost"), "totalCost")?,
            ec_max_contribution_cents: amount(c.get("ecMaxContribution"), "ecMaxContribution")?,
            call: c.get("call").trim().to_string(),
            funding_scheme: c.get("fundingScheme").trim().to_string(),
            coordinator: c.get("coordinator").trim().to_string(),
            coordinator_country: c.get("coordinatorCountry").trim().to_string(),
        })
    })
}

pub fn parse_organisations<R: Read>(r: R) -> Result<(Vec<Organisation>, Vec<Rejected>), Rejected> {
    let cols = [
        "new_org_id",
        "name",
        "shortName",
        "country",
        "totContribution",
    ];
    read_tsv(ORGANISATIONS_FILE, r, &cols, |line, c| {
        let id = required(c, "new_org_id")?;
        if !id.bytes().all(|b| b.is_ascii_alphanumeric()) || id.len() > 64 {
            return Err(format!("new_org_id {id:?} is neither a PIC nor a hash"));
        }
        let country = c.get("country").trim();
        Ok(Organisation {
            line,
            id,
            name: required(c, "name")?,
            short_name: Some(c.get("shortName").trim().to_string()).filter(|s| !s.is_empty()),
            country: if country.len() == 2 && country.bytes().all(|b| b.is_ascii_alphabetic()) {
                Some(country.to_ascii_uppercase())
            } else if country.is_empty() {
                None
            } else {
                return Err(format!("country {country:?} is not a two-letter code"));
            },
            total_contribution_cents: amount(c.get("totContribution"), "totContribution")?,
        })
    })
}

pub fn parse_edges<R: Read>(r: R) -> Result<(Vec<Edge>, Vec<Rejected>), Rejected> {
    read_tsv(EDGES_FILE, r, &["projectRcn", "new_org_id"], |line, c| {
        Ok(Edge {
            line,
            project_rcn: padded_int(c.get("projectRcn"), "projectRcn")?,
            org_id: required(c, "new_org_id")?,
        })
    })
}

/// Topic code → title, from the `;`-separated reference table (some accents are broken at
/// the source; they are kept as they are).
pub fn parse_topics<R: Read>(r: R) -> Vec<(String, String)> {
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(b';')
        .flexible(true)
        .from_reader(r);
    let mut out = Vec::new();
    for rec in rdr.records().flatten() {
        if let (Some(title), Some(code)) = (rec.get(0), rec.get(2)) {
            if !code.trim().is_empty() && !title.trim().is_empty() {
                out.push((code.trim().to_string(), title.trim().to_string()));
            }
        }
    }
    out
}

/// Infers an organisation's kind from its name, only where the name itself says it
/// (universities, schools, well-known public research bodies). Otherwise `Unknown`:
/// the extract has no activity type per organisation, and a legal form alone does not
/// tell an SME from a large company.
pub fn infer_kind(name: &str) -> OrgKind {
    let n = crate::text::normalize(name);
    let has = |w: &str| n.split(' ').any(|t| t == w);
    let contains = |w: &str| n.contains(w);
    if contains("universit")
        || contains("hochschule")
        || contains("hogskola")
        || contains("hoegskola")
        || has("ecole")
        || contains("politecnico")
        || contains("polytechni")
        || contains("institute of technology")
        || has("college")
        || has("eth")
        || contains("technische universiteit")
    {
        OrgKind::University
    } else if contains("centre national de la recherche scientifique")
        || contains("commissariat a l energie atomique")
        || contains("institut national de la sante")
        || contains("institut national de recherche")
        || contains("fraunhofer")
        || contains("max planck")
        || contains("consiglio nazionale delle ricerche")
        || contains("consejo superior de investigaciones")
        || contains("helmholtz")
        || contains("nederlandse organisatie voor toegepast")
        || contains("research council")
        || contains("institut pasteur")
    {
        OrgKind::PublicResearch
    } else {
        OrgKind::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_with_decimal_commas_and_padding() {
        assert_eq!(parse_amount_cents("230000,00"), Ok(Some(23_000_000)));
        assert_eq!(parse_amount_cents(" 1 234,5"), Ok(Some(123_450)));
        assert_eq!(parse_amount_cents(""), Ok(None));
        assert_eq!(parse_amount_cents("-3,07"), Ok(Some(-307)));
        assert!(parse_amount_cents("12,345").is_err());
        assert!(parse_amount_cents("abc").is_err());
        assert!(parse_amount_cents("99999999999999999999").is_err());
    }

    #[test]
    fn rows_are_parsed_or_rejected_with_line_numbers() {
        let tsv = "rcn\treference\tacronym\tstatus\tprogramme\ttopics\tstartDate\tendDate\ttotalCost\tecMaxContribution\tcall\tfundingScheme\tcoordinator\tcoordinatorCountry\tnumOrg\ttotalContrib\n\
193157\t632927\tERC-X\tSIGNED\tH2020-EU.1.1.\tERC\t2014-01-01\t2016-03-31\t230000,00\t230000,00\tH2020-Adhoc\tCSA\tTHE WELLCOME TRUST LIMITED\tUK\t 1\t230000,00\n\
x\t1\tBAD\tSIGNED\tp\tt\t2014-01-01\t2016-03-31\t1,00\t1,00\tc\tCSA\tC\tFR\t 1\t1,00\n\
193158\t1\tLATE\tSIGNED\tp\tt\t2016-01-01\t2015-03-31\t1,00\t1,00\tc\tCSA\tC\tFR\t 1\t1,00\n";
        let (rows, rejected) = parse_projects(tsv.as_bytes()).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].total_cost_cents, Some(23_000_000));
        assert_eq!(rows[0].coordinator_country, "UK");
        assert_eq!(rejected.len(), 2);
        assert_eq!(rejected[0].line, 3);
        assert!(rejected[0].reason.contains("rcn"));
        assert_eq!(rejected[1].line, 4);
    }

    #[test]
    fn quoted_names_keep_their_quotes() {
        let tsv = "new_org_id\tname\tshortName\tname_normal\tcountry\tnumProj\tnproj_with_contrib\ttotContribution\n\
948314972\t\"ABBIA \"\"GNSS TECHNOLOGIES\"\" SARL\"\tABBIA\tFR-abbia\tFR\t 1\t 1\t156620,62\n";
        let (rows, rejected) = parse_organisations(tsv.as_bytes()).unwrap();
        assert!(rejected.is_empty());
        assert_eq!(rows[0].name, "ABBIA \"GNSS TECHNOLOGIES\" SARL");
        assert_eq!(rows[0].total_contribution_cents, Some(15_662_062));
    }

    #[test]
    fn a_missing_column_rejects_the_file() {
        let err = parse_edges("projectRcn\tother\n1\t2\n".as_bytes()).unwrap_err();
        assert!(err.reason.contains("new_org_id"));
    }

    #[test]
    fn kinds_are_inferred_only_from_sound_rules() {
        assert_eq!(infer_kind("UNIVERSITAT DE BARCELONA"), OrgKind::University);
        assert_eq!(
            infer_kind("CENTRE NATIONAL DE LA RECHERCHE SCIENTIFIQUE CNRS"),
            OrgKind::PublicResearch
        );
        assert_eq!(infer_kind("THALES SA"), OrgKind::Unknown);
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn amount_round_trips(units in 0i64..10_000_000_000, cents in 0i64..100, pad in 0usize..3) {
                let raw = format!("{}{},{:02}", " ".repeat(pad), units, cents);
                prop_assert_eq!(parse_amount_cents(&raw), Ok(Some(units * 100 + cents)));
            }

            #[test]
            fn parser_never_panics(s in "\\PC{0,200}") {
                let _ = parse_amount_cents(&s);
                let _ = parse_date(&s);
                let header = "new_org_id\tname\tshortName\tname_normal\tcountry\tnumProj\tnproj_with_contrib\ttotContribution\n";
                let _ = parse_organisations(format!("{header}{s}").as_bytes());
                let _ = parse_projects(s.as_bytes());
            }

            #[test]
            fn every_row_is_either_kept_or_rejected(names in proptest::collection::vec("[A-Za-z \"\t]{0,20}", 1..20)) {
                let mut tsv = String::from("new_org_id\tname\tshortName\tname_normal\tcountry\tnumProj\tnproj_with_contrib\ttotContribution\n");
                for (i, n) in names.iter().enumerate() {
                    tsv.push_str(&format!("{i}\t{n}\tS\tN\tFR\t 1\t 1\t1,00\n"));
                }
                let (rows, rejected) = parse_organisations(tsv.as_bytes()).unwrap();
                prop_assert!(rows.len() + rejected.len() <= names.len());
                for r in &rejected { prop_assert!(r.line >= 2); }
            }
        }
    }
}
