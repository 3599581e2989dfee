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

/// The rules that infer an organisation's kind from its name, as data: tried in their order,
/// the first that matches gives the kind (`data/registry/kind-rules.csv`).
const KIND_RULES: &str = include_str!("../../../data/registry/kind-rules.csv");

/// How a rule's words must appear in the folded name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum How {
    /// Anywhere, even inside a word (`universit` finds università and universität).
    Contains,
    /// As whole words.
    Word,
    /// At the start of a word (`ministry` finds ministry of health).
    Starts,
    /// As the name's last words (legal forms: `sa`, `gmbh`, `sp z o o`).
    Ends,
}

#[derive(Debug, Clone)]
struct KindRule {
    kind: OrgKind,
    how: How,
    /// The folded words as the test needs them, spaces included (" sa" to end a name,
    /// " ministry" to start a word, " gmbh " as whole words), made once when the rules are read.
    pattern: String,
}

fn parse_kind_rules(text: &str) -> Result<Vec<KindRule>, String> {
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let mut out = Vec::new();
    for (k, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| e.to_string())?;
        let line = k + 2;
        let kind = OrgKind::parse("kind", rec.get(0).unwrap_or_default())
            .map_err(|e| format!("line {line}: {}", e.reason))?;
        let how = match rec.get(1).unwrap_or_default() {
            "contains" => How::Contains,
            "word" => How::Word,
            "starts" => How::Starts,
            "ends" => How::Ends,
            other => return Err(format!("line {line}: unknown rule kind {other:?}")),
        };
        let words = crate::text::normalize(rec.get(2).unwrap_or_default());
        if words.is_empty() {
            return Err(format!("line {line}: no words"));
        }
        let pattern = match how {
            How::Contains => words,
            How::Word => format!(" {words} "),
            How::Starts | How::Ends => format!(" {words}"),
        };
        out.push(KindRule { kind, how, pattern });
    }
    Ok(out)
}

fn kind_rules() -> &'static [KindRule] {
    static RULES: std::sync::OnceLock<Vec<KindRule>> = std::sync::OnceLock::new();
    // The shipped file is checked by a unit test; a broken one infers nothing rather than stop.
    RULES.get_or_init(|| parse_kind_rules(KIND_RULES).unwrap_or_default())
}

/// Infers an organisation's kind from its name and short name, only where the words say it:
/// a named public research body, a university, a company legal form (a company of unknown
/// size: a legal form does not tell an SME from a large company), a ministry or local
/// authority, an association. Otherwise `Unknown`: the extract has no activity type.
pub fn infer_kind(name: &str, short_name: Option<&str>) -> OrgKind {
    // Each name folded, with spaces around it so that word boundaries are substring tests.
    let spaced: Vec<String> = std::iter::once(name)
        .chain(short_name)
        .map(crate::text::normalize)
        .filter(|n| !n.is_empty())
        .map(|n| format!(" {n} "))
        .collect();
    for r in kind_rules() {
        let hit = match r.how {
            How::Contains | How::Word | How::Starts => {
                spaced.iter().any(|n| n.contains(&r.pattern))
            }
            How::Ends => spaced
                .iter()
                .any(|n| n[..n.len() - 1].ends_with(&r.pattern)),
        };
        if hit {
            return r.kind;
        }
    }
    OrgKind::Unknown
}

/// The parts of Horizon 2020, named, that the extract's programme codes belong to
/// (`data/cordis-h2020/programme-parts.csv`).
const PROGRAMME_PARTS: &str = include_str!("../../../data/cordis-h2020/programme-parts.csv");

/// A part of Horizon 2020 (a pillar's programme, e.g. `H2020-EU.3.4.` transport).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgrammePart {
    /// The code as the extract writes it.
    pub code: String,
    /// Whether a code belongs to the part only when equal to it (the pillars' general
    /// lines), not when it starts with it.
    pub exact: bool,
    pub name_en: String,
    pub name_fr: String,
}

impl ProgrammePart {
    fn holds(&self, code: &str) -> bool {
        if self.exact {
            code == self.code
        } else {
            code.starts_with(&self.code)
        }
    }

    pub fn name(&self, lang: crate::Lang) -> &str {
        match lang {
            crate::Lang::Fr => &self.name_fr,
            crate::Lang::En => &self.name_en,
        }
    }
}

fn parse_programme_parts(text: &str) -> Result<Vec<ProgrammePart>, String> {
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let mut out = Vec::new();
    for (k, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| e.to_string())?;
        let field = |i: usize| rec.get(i).unwrap_or_default().trim().to_string();
        let exact = match field(1).as_str() {
            "exact" => true,
            "prefix" => false,
            other => return Err(format!("line {}: unknown match {other:?}", k + 2)),
        };
        if field(0).is_empty() || field(2).is_empty() || field(3).is_empty() {
            return Err(format!("line {}: a code and two names are needed", k + 2));
        }
        out.push(ProgrammePart {
            code: field(0),
            exact,
            name_en: field(2),
            name_fr: field(3),
        });
    }
    Ok(out)
}

/// Every part of the programme, in the order of the programme's structure.
pub fn programme_parts() -> &'static [ProgrammePart] {
    static PARTS: std::sync::OnceLock<Vec<ProgrammePart>> = std::sync::OnceLock::new();
    // The shipped file is checked by a unit test; a broken one names no part.
    PARTS.get_or_init(|| parse_programme_parts(PROGRAMME_PARTS).unwrap_or_default())
}

/// The part a code is given as in a filter (`H2020-EU.3.4.`).
pub fn programme_part(code: &str) -> Option<&'static ProgrammePart> {
    programme_parts().iter().find(|p| p.code == code.trim())
}

/// The parts a project's `;`-separated programme codes belong to, each once, in the
/// programme's order; for each code the most specific part that holds it.
pub fn parts_of(programme: &str) -> Vec<&'static ProgrammePart> {
    let parts = programme_parts();
    let mut found: Vec<usize> = Vec::new();
    for code in programme
        .split(';')
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        let best = parts
            .iter()
            .enumerate()
            .filter(|(_, p)| p.holds(code))
            .max_by_key(|(_, p)| p.code.len());
        if let Some((i, _)) = best {
            if !found.contains(&i) {
                found.push(i);
            }
        }
    }
    found.sort_unstable();
    found.into_iter().map(|i| &parts[i]).collect()
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
    fn programme_codes_are_named_by_their_most_specific_part() {
        assert!(parse_programme_parts(PROGRAMME_PARTS).is_ok_and(|p| p.len() > 15));
        let codes =
            |p: &str| -> Vec<String> { parts_of(p).iter().map(|x| x.code.clone()).collect() };
        assert_eq!(codes("H2020-EU.3.4."), ["H2020-EU.3.4."]);
        assert_eq!(
            codes("H2020-EU.2.3.1.;H2020-EU.3.4."),
            ["H2020-EU.2.3.", "H2020-EU.3.4."]
        );
        // A pillar's general line is its own part, not every programme under it.
        assert_eq!(codes("H2020-EU.3."), ["H2020-EU.3."]);
        assert_eq!(codes("H2020-EU.4.b.;H2020-EU.4.a."), ["H2020-EU.4."]);
        assert!(codes("FUI-23").is_empty());
        assert_eq!(
            programme_part("H2020-EU.3.4.").map(|p| p.name(crate::Lang::Fr)),
            Some("Transports intelligents, verts et intégrés")
        );
    }

    #[test]
    fn kinds_are_inferred_only_from_sound_rules() {
        assert!(parse_kind_rules(KIND_RULES).is_ok_and(|r| r.len() > 100));
        let cases = [
            ("UNIVERSITAT DE BARCELONA", None, OrgKind::University),
            (
                "CENTRE NATIONAL DE LA RECHERCHE SCIENTIFIQUE CNRS",
                None,
                OrgKind::PublicResearch,
            ),
            (
                "Fraunhofer Austria Research GmbH",
                Some("FhA"),
                OrgKind::PublicResearch,
            ),
            ("THALES SA", None, OrgKind::Company),
            (
                "APPLIED MATERIALS FRANCE",
                Some("Applied Materials France Sarl"),
                OrgKind::Company,
            ),
            ("BEYOND.PL SP ZOO", None, OrgKind::Company),
            ("COMUNE DI GENOVA", Some("CDG"), OrgKind::PublicBody),
            ("MINISTERE DE L'INTERIEUR", None, OrgKind::PublicBody),
            (
                "SOREQ NUCLEAR RESEARCH CENTER",
                None,
                OrgKind::PublicResearch,
            ),
            ("FLANDERS MAKE VZW", None, OrgKind::Other),
            // A word inside another word is not a legal form, and no rule guesses.
            ("SAS INSTITUTE OF NOWHERE", None, OrgKind::Unknown),
            ("ATRISC", None, OrgKind::Unknown),
        ];
        for (name, short, kind) in cases {
            assert_eq!(infer_kind(name, short), kind, "{name}");
        }
        assert!(parse_kind_rules("kind,how,words,why\nnone,word,x,y\n").is_err());
        assert!(parse_kind_rules("kind,how,words,why\nsme,near,x,y\n").is_err());
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
