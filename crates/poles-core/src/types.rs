//! Newtypes and enumerations built once at the boundary, so that invalid values cannot exist inside.

use serde::{Deserialize, Serialize};
use std::fmt;
use utoipa::ToSchema;

/// Marks a refusal's value as an amount in euro cents (`¤38750000`), which a page writes in
/// its reader's format.
pub const MONEY_ARG: &str = "¤";

/// An amount in euro cents as a refusal's value (see [`MONEY_ARG`]).
pub fn money_arg(cents: i64) -> String {
    format!("{MONEY_ARG}{cents}")
}

/// A refused input value: which field, and why. Rendered as a 400 by the web layer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct FieldError {
    pub field: String,
    /// Why, as an English sentence (what the API sends).
    pub reason: String,
    /// A stable code of the reason with its values, so that a page can say it in its reader's
    /// language (`reason.<code>` in the web layer's strings, `{0}`, `{1}`… for the values);
    /// `None` where only the English sentence exists.
    pub code: Option<&'static str>,
    pub args: Vec<String>,
}

impl FieldError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
            code: None,
            args: Vec::new(),
        }
    }

    /// A refusal with a code and its values, beside its English sentence.
    pub fn coded(
        field: impl Into<String>,
        code: &'static str,
        args: Vec<String>,
        reason: impl Into<String>,
    ) -> Self {
        Self {
            code: Some(code),
            args,
            ..Self::new(field, reason)
        }
    }
}

/// Interface language. French first: it is the programme's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Fr,
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "fr" => Some(Lang::Fr),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// Picks the first supported language of an `Accept-Language` header, by quality.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',') {
            let mut it = part.split(';');
            let tag = it.next().unwrap_or("").trim();
            let q = it
                .find_map(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|v| v.parse::<f32>().ok())
                })
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or("");
            if let Some(lang) = Lang::parse(primary) {
                if best.is_none_or(|(bq, _)| q > bq) {
                    best = Some((q, lang));
                }
            }
        }
        best.map(|(_, l)| l)
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }

    /// Picks the text of this language, falling back to the other one when it is missing.
    pub fn pick<'a>(self, fr: Option<&'a str>, en: Option<&'a str>) -> &'a str {
        let (first, second) = match self {
            Lang::Fr => (fr, en),
            Lang::En => (en, fr),
        };
        first
            .filter(|s| !s.is_empty())
            .or(second.filter(|s| !s.is_empty()))
            .unwrap_or("")
    }
}

/// A cluster's URL name: lower-case ASCII letters, digits and single hyphens.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Slug(String);

impl Slug {
    pub fn parse(field: &str, s: &str) -> Result<Slug, FieldError> {
        let ok = !s.is_empty()
            && s.len() <= 80
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-')
            && !s.contains("--");
        if ok {
            Ok(Slug(s.to_string()))
        } else {
            Err(FieldError::new(
                field,
                "must be 1-80 lower-case letters, digits or single hyphens",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An enum of fixed wire names. Each name is taken as a token tree, not a `literal` fragment:
/// a fragment reaches a derive wrapped in an invisible group, which serde unwraps but utoipa
/// does not, so the OpenAPI schema listed the variants' Rust names (`Labelled`, `Eur`).
macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $s:tt),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
        pub enum $name { $(#[serde(rename = $s)] $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),+ }
            }

            pub fn parse(field: &str, s: &str) -> Result<$name, FieldError> {
                match s {
                    $($s => Ok($name::$variant),)+
                    _ => Err(FieldError::new(field, format!(
                        "unknown value {:?}; expected one of: {}", s,
                        [$($s),+].join(", ")))),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }

        /// For rows: a stored value that is not one of the names is refused, never defaulted.
        impl TryFrom<String> for $name {
            type Error = FieldError;
            fn try_from(s: String) -> Result<Self, Self::Error> { $name::parse(stringify!($name), &s) }
        }
    };
}

string_enum!(
    /// The tier of a cluster's label (2005 wording: mondial, à vocation mondiale, national).
    Tier { Mondial = "mondial", VocationMondiale = "vocation_mondiale", National = "national" }
);

string_enum!(
    /// Where a cluster stands with its label.
    LabelStatus { Labelled = "labelled", Probation = "probation", Delabelled = "delabelled" }
);

string_enum!(
    /// What kind of organisation a member or project partner is (`company`: a company whose
    /// size is not known, inferred from a legal form).
    OrgKind {
        LargeCompany = "large_company",
        MidSize = "mid_size",
        Sme = "sme",
        Startup = "startup",
        Company = "company",
        PublicResearch = "public_research",
        University = "university",
        Training = "training",
        PublicBody = "public_body",
        Other = "other",
        Unknown = "unknown",
    }
);

impl OrgKind {
    /// Companies of any size, as the programme's consortium rules count them.
    pub fn is_company(self) -> bool {
        matches!(
            self,
            OrgKind::LargeCompany
                | OrgKind::MidSize
                | OrgKind::Sme
                | OrgKind::Startup
                | OrgKind::Company
        )
    }

    /// Research and training organisations, as the programme's consortium rules count them.
    pub fn is_research_or_training(self) -> bool {
        matches!(
            self,
            OrgKind::PublicResearch | OrgKind::University | OrgKind::Training
        )
    }
}

/// A two-letter country code as the sources spell it (CORDIS keeps `UK` and `EL`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct CountryCode(String);

impl CountryCode {
    pub fn parse(field: &str, s: &str) -> Result<CountryCode, FieldError> {
        let t = s.trim();
        if t.len() == 2 && t.bytes().all(|b| b.is_ascii_alphabetic()) {
            Ok(CountryCode(t.to_ascii_uppercase()))
        } else {
            Err(FieldError::new(field, "must be a two-letter country code"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An INSEE region code (two digits, e.g. `84`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct RegionCode(String);

impl RegionCode {
    pub fn parse(field: &str, s: &str) -> Result<RegionCode, FieldError> {
        let t = s.trim();
        if t.len() == 2 && t.bytes().all(|b| b.is_ascii_digit()) {
            Ok(RegionCode(t.to_string()))
        } else {
            Err(FieldError::new(
                field,
                "must be a two-digit INSEE region code",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A page of a list: `limit` rows from `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: i64,
    pub offset: i64,
}

impl Page {
    pub const DEFAULT_LIMIT: i64 = 50;
    pub const MAX_LIMIT: i64 = 500;

    pub fn parse(limit: Option<&str>, offset: Option<&str>) -> Result<Page, FieldError> {
        let limit = match limit.filter(|s| !s.is_empty()) {
            None => Self::DEFAULT_LIMIT,
            Some(s) => match s.parse::<i64>() {
                Ok(n) if (1..=Self::MAX_LIMIT).contains(&n) => n,
                _ => {
                    return Err(FieldError::new(
                        "limit",
                        format!("must be an integer from 1 to {}", Self::MAX_LIMIT),
                    ))
                }
            },
        };
        let offset = match offset.filter(|s| !s.is_empty()) {
            None => 0,
            Some(s) => match s.parse::<i64>() {
                Ok(n) if (0..=10_000_000).contains(&n) => n,
                _ => {
                    return Err(FieldError::new(
                        "offset",
                        "must be an integer from 0 to 10000000",
                    ))
                }
            },
        };
        Ok(Page { limit, offset })
    }
}

/// An amount of money in cents with its currency: never converted silently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct Money {
    /// Amount in hundredths of the currency unit.
    pub cents: i64,
    /// ISO 4217 code: `EUR` or `USD`.
    pub currency: Currency,
}

string_enum!(
    /// Currencies the programme's sources use.
    Currency { Eur = "EUR", Usd = "USD" }
);

impl Money {
    /// "1 234 567 €" / "€1,234,567" (whole units; amounts in this registry are large).
    pub fn format(&self, lang: Lang) -> String {
        format_amount(self.cents, self.currency, lang)
    }
}

/// Formats an amount in cents in whole units, with a compact suffix for millions and billions.
pub fn format_amount(cents: i64, currency: Currency, lang: Lang) -> String {
    let units = cents as f64 / 100.0;
    let (sym, before) = match (currency, lang) {
        (Currency::Eur, Lang::Fr) => ("€", false),
        (Currency::Eur, Lang::En) => ("€", true),
        (Currency::Usd, Lang::Fr) => ("$", false),
        (Currency::Usd, Lang::En) => ("$", true),
    };
    let abs = units.abs();
    let body = if abs >= 1e9 {
        let v = units / 1e9;
        match lang {
            Lang::Fr => format!("{} Md", trim_decimal(v, ',')),
            Lang::En => format!("{}bn", trim_decimal(v, '.')),
        }
    } else if abs >= 1e6 {
        let v = units / 1e6;
        match lang {
            Lang::Fr => format!("{} M", trim_decimal(v, ',')),
            Lang::En => format!("{}M", trim_decimal(v, '.')),
        }
    } else {
        group_thousands(
            units.round() as i64,
            if lang == Lang::Fr { ' ' } else { ',' },
        )
    };
    if before {
        format!("{sym}{body}")
    } else {
        format!("{body} {sym}")
    }
}

fn trim_decimal(v: f64, sep: char) -> String {
    let s = format!("{:.1}", v);
    let s = s.strip_suffix(".0").unwrap_or(&s).to_string();
    s.replace('.', &sep.to_string())
}

/// "1234567" → "1 234 567" with the given separator.
pub fn group_thousands(n: i64, sep: char) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_best_supported() {
        assert_eq!(
            Lang::from_accept_language("de-DE,en;q=0.8,fr;q=0.9"),
            Some(Lang::Fr)
        );
        assert_eq!(Lang::from_accept_language("en-GB"), Some(Lang::En));
        assert_eq!(Lang::from_accept_language("de"), None);
    }

    #[test]
    fn slugs_and_pages_are_checked() {
        assert!(Slug::parse("slug", "minalogic").is_ok());
        assert_eq!(Slug::parse("slug", "Bad Slug").unwrap_err().field, "slug");
        assert_eq!(Page::parse(Some("0"), None).unwrap_err().field, "limit");
        assert_eq!(Page::parse(None, Some("-1")).unwrap_err().field, "offset");
        assert_eq!(
            Page::parse(Some("10"), Some("20")).unwrap(),
            Page {
                limit: 10,
                offset: 20
            }
        );
    }

    /// The OpenAPI schema of an enum lists its wire spelling (`labelled`, `EUR`), not the
    /// Rust variant's name.
    fn schema_names<T: utoipa::PartialSchema>() -> Vec<String> {
        let schema = serde_json::to_value(T::schema()).unwrap();
        schema["enum"]
            .as_array()
            .unwrap_or_else(|| panic!("an enum schema: {schema}"))
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    }

    fn wire_names<T: Serialize>(all: &[T]) -> Vec<String> {
        all.iter()
            .map(|v| {
                serde_json::to_value(v)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn enum_schemas_spell_values_as_the_wire_does() {
        assert_eq!(schema_names::<Tier>(), wire_names(Tier::ALL));
        assert_eq!(schema_names::<LabelStatus>(), wire_names(LabelStatus::ALL));
        assert_eq!(schema_names::<OrgKind>(), wire_names(OrgKind::ALL));
        assert_eq!(schema_names::<Currency>(), vec!["EUR", "USD"]);
        assert_eq!(schema_names::<Currency>(), wire_names(Currency::ALL));
        assert_eq!(wire_names(LabelStatus::ALL)[0], "labelled");
    }

    #[test]
    fn money_is_formatted_per_language() {
        let m = Money {
            cents: 64_500_000_000,
            currency: Currency::Usd,
        };
        assert_eq!(m.format(Lang::En), "$645M");
        assert_eq!(m.format(Lang::Fr), "645 M $");
        assert_eq!(
            format_amount(123_456_700, Currency::Eur, Lang::Fr),
            "1,2 M €"
        );
        assert_eq!(
            format_amount(2_611_200, Currency::Eur, Lang::Fr),
            "26 112 €"
        );
    }
}

/// INSEE's headcount bands ("tranches d'effectifs salariés" of the SIRENE register): the
/// code, and the fewest and most employees it stands for (`None`: no upper bound).
pub const HEADCOUNT_BANDS: &[(&str, u32, Option<u32>)] = &[
    ("00", 0, Some(0)),
    ("01", 1, Some(2)),
    ("02", 3, Some(5)),
    ("03", 6, Some(9)),
    ("11", 10, Some(19)),
    ("12", 20, Some(49)),
    ("21", 50, Some(99)),
    ("22", 100, Some(199)),
    ("31", 200, Some(249)),
    ("32", 250, Some(499)),
    ("41", 500, Some(999)),
    ("42", 1000, Some(1999)),
    ("51", 2000, Some(4999)),
    ("52", 5000, Some(9999)),
    ("53", 10000, None),
];

/// The parts of an organisation's profile a partner looks at, and how complete it is: the
/// share filled in (whole percent) and what to add, by field name, most useful first.
pub fn profile_completeness(fields: &[(&'static str, bool)]) -> (u8, Vec<&'static str>) {
    let filled = fields.iter().filter(|(_, f)| *f).count();
    let pct = if fields.is_empty() {
        100
    } else {
        (filled * 100 / fields.len()) as u8
    };
    let missing = fields.iter().filter(|(_, f)| !f).map(|(n, _)| *n).collect();
    (pct, missing)
}

#[cfg(test)]
mod profile_tests {
    use super::*;

    #[test]
    fn completeness_counts_what_is_filled_and_lists_the_rest_in_order() {
        let (pct, missing) = profile_completeness(&[
            ("offer", false),
            ("website", true),
            ("seek", false),
            ("naf_code", true),
        ]);
        assert_eq!(pct, 50);
        assert_eq!(missing, ["offer", "seek"]);
        assert_eq!(profile_completeness(&[]).0, 100);
        // Every band's bounds are ordered and the bands follow one another.
        for w in HEADCOUNT_BANDS.windows(2) {
            assert!(w[0].2.unwrap() < w[1].1, "{w:?}");
        }
    }
}
