//! Establishment registries as they come (issue 16, begun): the Ministry of Labour's SIENE
//! extract, INSEE's SIRENE establishment stock file and the benchmark's generated format,
//! each line read into one [`Establishment`] — its region and department from its commune
//! where the file blanks them, its NAF code in one spelling, and its employment from its
//! headcount where the file gives one, else from its INSEE headcount band by
//! [`band_employment`]. The import that stores them is still to come.

use crate::Date;
use std::collections::HashMap;

/// The formats read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The Ministry of Labour's extract (`SIRET`, `Code_activite`, `Tranche_eff__INSEE`,
    /// `Dernier_eff__physique`, `Date_de_creation` as `DD/MM/YYYY`, `Code_commune`,
    /// `Code_Etat`; region and department columns blanked).
    Siene,
    /// INSEE's SIRENE establishment stock (`siret`, `codeCommuneEtablissement`,
    /// `activitePrincipaleEtablissement`, `trancheEffectifsEtablissement`,
    /// `dateCreationEtablissement`, `etatAdministratifEtablissement`).
    Sirene,
    /// The benchmark's (`siret,region,department,naf,employees,created`).
    Bench,
}

/// The format a header names, by the columns it must have.
pub fn detect(header: &[&str]) -> Option<Format> {
    let has = |c: &str| header.iter().any(|h| h.trim() == c);
    if has("SIRET") && has("Code_activite") && has("Code_commune") {
        Some(Format::Siene)
    } else if has("siret")
        && has("codeCommuneEtablissement")
        && has("activitePrincipaleEtablissement")
    {
        Some(Format::Sirene)
    } else if [
        "siret",
        "region",
        "department",
        "naf",
        "employees",
        "created",
    ]
    .iter()
    .all(|c| has(c))
    {
        Some(Format::Bench)
    } else {
        None
    }
}

/// One establishment, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Establishment {
    pub siret: String,
    pub commune: Option<String>,
    pub department: String,
    pub region: String,
    /// `dd.ddL`, e.g. `62.01Z`.
    pub naf: String,
    pub employees: u32,
    /// The INSEE headcount band, where the file gives one.
    pub band: Option<String>,
    pub created: Option<Date>,
    pub active: bool,
    /// Its name where the registry gives one (its sign, else its trade or legal name).
    pub name: Option<String>,
}

/// The employment an INSEE headcount band stands for, where a file gives the band and no
/// headcount: the middle of the band, rounded up (`01`, 1-2 employees: 2; `12`, 20-49: 35),
/// the band's floor for the open top band (`53`, 10,000 or more). `NN` (not known) and `00`
/// (no employee) count none. Documented here because it is a rule of this platform, not of
/// the programme: it turns counts of establishments into an employment estimate.
pub fn band_employment(code: &str) -> Option<u32> {
    let (lo, hi): (u32, u32) = match code {
        "NN" | "00" | "" => return Some(0),
        "01" => (1, 2),
        "02" => (3, 5),
        "03" => (6, 9),
        "11" => (10, 19),
        "12" => (20, 49),
        "21" => (50, 99),
        "22" => (100, 199),
        "31" => (200, 249),
        "32" => (250, 499),
        "41" => (500, 999),
        "42" => (1000, 1999),
        "51" => (2000, 4999),
        "52" => (5000, 9999),
        "53" => return Some(10_000),
        _ => return None,
    };
    Some((lo + hi).div_ceil(2))
}

/// The department of an INSEE commune code: its first two characters (`2A`, `2B` for
/// Corsica), three for the overseas departments (`971`…).
pub fn department_of(commune: &str) -> Option<String> {
    let c = commune.trim();
    if c.len() != 5 || !c.is_ascii() {
        return None;
    }
    Some(
        if c.starts_with("97") {
            &c[..3]
        } else {
            &c[..2]
        }
        .to_string(),
    )
}

/// A NAF code in the registry's spelling (`dd.ddL`), from `62.01Z` or `6201Z`.
pub fn naf_code(raw: &str) -> Option<String> {
    let r = raw.trim().to_ascii_uppercase();
    let b = r.as_bytes();
    let ok = |d: &[u8]| {
        d[..2].iter().all(u8::is_ascii_digit)
            && d[2..4].iter().all(u8::is_ascii_digit)
            && d[4].is_ascii_uppercase()
    };
    match b.len() {
        6 if b[2] == b'.' => {
            let joined = [b[0], b[1], b[3], b[4], b[5]];
            ok(&joined).then(|| r.clone())
        }
        5 if ok(b) => Some(format!("{}.{}", &r[..2], &r[2..])),
        _ => None,
    }
}

/// A day written `DD/MM/YYYY` or `YYYY-MM-DD`.
fn day(raw: &str) -> Option<Date> {
    let r = raw.trim();
    if r.is_empty() {
        return None;
    }
    let iso = match r.split('/').collect::<Vec<_>>().as_slice() {
        [d, m, y] => format!("{y}-{m}-{d}"),
        _ => r.to_string(),
    };
    Date::parse("created", &iso).ok()
}

/// Reads lines of one format: the header gives each column's place.
pub struct Reader<'a> {
    format: Format,
    columns: HashMap<String, usize>,
    /// Department code → region code.
    regions: &'a HashMap<String, String>,
}

impl<'a> Reader<'a> {
    /// `regions` maps each department code to its region code.
    pub fn new(header: &[&str], regions: &'a HashMap<String, String>) -> Option<Reader<'a>> {
        Some(Reader {
            format: detect(header)?,
            columns: header
                .iter()
                .enumerate()
                .map(|(k, h)| (h.trim().to_string(), k))
                .collect(),
            regions,
        })
    }

    pub fn format(&self) -> Format {
        self.format
    }

    fn get<'r>(&self, record: &[&'r str], column: &str) -> &'r str {
        self.columns
            .get(column)
            .and_then(|k| record.get(*k))
            .map_or("", |v| v.trim())
    }

    /// One record read, or why it is refused (in English, for the import's summary).
    pub fn read(&self, record: &[&str]) -> Result<Establishment, String> {
        let f = |c: &str| self.get(record, c);
        let (siret, commune, naf, band, headcount, created, active) = match self.format {
            Format::Siene => (
                f("SIRET"),
                Some(f("Code_commune")),
                f("Code_activite"),
                f("Tranche_eff__INSEE"),
                f("Dernier_eff__physique"),
                f("Date_de_creation"),
                // Code 1 is an establishment in activity; the extract's others (3) are closed.
                f("Code_Etat") == "1",
            ),
            Format::Sirene => (
                f("siret"),
                Some(f("codeCommuneEtablissement")),
                f("activitePrincipaleEtablissement"),
                f("trancheEffectifsEtablissement"),
                "",
                f("dateCreationEtablissement"),
                f("etatAdministratifEtablissement") == "A",
            ),
            Format::Bench => (
                f("siret"),
                None,
                f("naf"),
                "",
                f("employees"),
                f("created"),
                true,
            ),
        };
        let name = match self.format {
            Format::Siene => ["Enseigne", "Nom_commercial", "Raison_sociale"].as_slice(),
            Format::Sirene => {
                ["enseigne1Etablissement", "denominationUsuelleEtablissement"].as_slice()
            }
            Format::Bench => [].as_slice(),
        }
        .iter()
        .map(|c| f(c))
        .find(|v| !v.is_empty())
        .map(String::from);
        if siret.len() != 14 || !siret.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("siret {siret:?} is not 14 digits"));
        }
        let naf = naf_code(naf).ok_or_else(|| format!("NAF code {naf:?} is not one"))?;
        let (department, region) = match commune {
            Some(c) => {
                let d = department_of(c)
                    .ok_or_else(|| format!("commune {c:?} is not a commune code"))?;
                let r = self
                    .regions
                    .get(&d)
                    .ok_or_else(|| format!("department {d} of commune {c} is not known"))?
                    .clone();
                (d, r)
            }
            None => (f("department").to_string(), f("region").to_string()),
        };
        if region.is_empty() || department.is_empty() {
            return Err("no region or department".into());
        }
        let employees = match headcount.parse::<u32>() {
            Ok(n) => n,
            Err(_) if headcount.is_empty() => band_employment(band)
                .ok_or_else(|| format!("headcount band {band:?} is not INSEE's"))?,
            Err(_) => return Err(format!("headcount {headcount:?} is not a number")),
        };
        Ok(Establishment {
            siret: siret.to_string(),
            commune: commune.map(String::from),
            department,
            region,
            naf,
            employees,
            band: (!band.is_empty()).then(|| band.to_string()),
            created: day(created),
            active,
            name,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn regions() -> HashMap<String, String> {
        [
            ("30", "76"),
            ("31", "76"),
            ("2A", "94"),
            ("971", "01"),
            ("69", "84"),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
    }

    #[test]
    fn the_three_formats_are_read_into_one_shape() {
        let g = regions();
        let siene = [
            "SIRET",
            "Code_activite",
            "Tranche_eff__INSEE",
            "Dernier_eff__physique",
            "Date_de_creation",
            "Code_commune",
            "Code_Etat",
            "Code_Region",
        ];
        let r = Reader::new(&siene, &g).unwrap();
        assert_eq!(r.format(), Format::Siene);
        let e = r
            .read(&[
                "01765005200016",
                "8110Z",
                "01",
                "1",
                "25/12/1994",
                "30189",
                "1",
                "RR",
            ])
            .unwrap();
        assert_eq!(
            (e.naf.as_str(), e.department.as_str(), e.region.as_str()),
            ("81.10Z", "30", "76")
        );
        assert_eq!(e.employees, 1, "the headcount before the band");
        assert_eq!(e.created.unwrap().to_string(), "1994-12-25");
        let e = r
            .read(&["01765005200016", "8110Z", "12", "", "", "2A004", "3", ""])
            .unwrap();
        assert_eq!(
            (e.employees, e.region.as_str(), e.active),
            (35, "94", false)
        );

        let sirene = [
            "siret",
            "codeCommuneEtablissement",
            "activitePrincipaleEtablissement",
            "trancheEffectifsEtablissement",
            "dateCreationEtablissement",
            "etatAdministratifEtablissement",
        ];
        let r = Reader::new(&sirene, &g).unwrap();
        let e = r
            .read(&["12345678900011", "97105", "62.01Z", "NN", "2015-03-02", "A"])
            .unwrap();
        assert_eq!(
            (e.department.as_str(), e.region.as_str(), e.employees),
            ("971", "01", 0)
        );
        assert_eq!(
            r.read(&["12345678900011", "99999", "62.01Z", "01", "", "A"])
                .unwrap_err(),
            "department 99 of commune 99999 is not known"
        );
        assert!(r.read(&["1234", "69123", "62.01Z", "01", "", "A"]).is_err());
        assert!(r
            .read(&["12345678900011", "69123", "6201", "01", "", "A"])
            .is_err());
        assert!(r
            .read(&["12345678900011", "69123", "62.01Z", "7", "", "A"])
            .is_err());

        let bench = [
            "siret",
            "region",
            "department",
            "naf",
            "employees",
            "created",
        ];
        let r = Reader::new(&bench, &g).unwrap();
        let e = r
            .read(&["76574999198256", "11", "94", "46.19A", "3", "2006-11-01"])
            .unwrap();
        assert_eq!(
            (e.region.as_str(), e.employees, e.naf.as_str()),
            ("11", 3, "46.19A")
        );
        assert!(Reader::new(&["a", "b"], &g).is_none());
    }

    #[test]
    fn bands_stand_for_their_middle() {
        assert_eq!(band_employment("01"), Some(2));
        assert_eq!(band_employment("12"), Some(35));
        assert_eq!(band_employment("53"), Some(10_000));
        assert_eq!(band_employment("NN"), Some(0));
        assert_eq!(band_employment("99"), None);
        assert_eq!(department_of("2B033").as_deref(), Some("2B"));
        assert_eq!(naf_code("6201z").as_deref(), Some("62.01Z"));
    }
}
