//! Interface strings in French and English, kept as data (`i18n/*.json`); a test checks that
//! both files have the same keys. The page language comes from `?lang=`, then
//! `Accept-Language`, then French.
//!
//! The refusals the use cases give in English (`FieldError::new`) are said in French through a
//! phrasebook (`i18n/refusals.fr.json`): each English sentence, or its template with `{0}`, `{1}`…
//! where run-time values go, with its French. The use cases keep one language (the API's); the
//! pages translate what they show. A test keeps the phrasebook complete. The sources the
//! shipped data cites in English (where a rule, a figure or a date comes from) have theirs too
//! (`i18n/sources.fr.json`); a publication's own title is cited as it is.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use poles_core::Lang;
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::OnceLock;

const FR: &str = include_str!("../../../i18n/fr.json");
const EN: &str = include_str!("../../../i18n/en.json");
const REFUSALS_FR: &str = include_str!("../../../i18n/refusals.fr.json");
const SOURCES_FR: &str = include_str!("../../../i18n/sources.fr.json");

fn table(lang: Lang) -> &'static HashMap<String, String> {
    static TABLES: OnceLock<(HashMap<String, String>, HashMap<String, String>)> = OnceLock::new();
    let (fr, en) = TABLES.get_or_init(|| {
        (
            serde_json::from_str(FR).expect("i18n/fr.json is valid"),
            serde_json::from_str(EN).expect("i18n/en.json is valid"),
        )
    });
    match lang {
        Lang::Fr => fr,
        Lang::En => en,
    }
}

/// The phrasebook's entries: the exact sentences, and the templates as (parts between the
/// values, the French with its numbered values).
struct Phrasebook {
    exact: HashMap<String, String>,
    templates: Vec<(Vec<String>, String)>,
}

fn phrasebook() -> &'static Phrasebook {
    static BOOK: OnceLock<Phrasebook> = OnceLock::new();
    BOOK.get_or_init(|| {
        let all: HashMap<String, String> =
            serde_json::from_str(REFUSALS_FR).expect("i18n/refusals.fr.json is valid");
        let mut book = Phrasebook {
            exact: HashMap::new(),
            templates: Vec::new(),
        };
        for (en, fr) in all {
            let parts = template_parts(&en);
            if parts.len() > 1 {
                book.templates.push((parts, fr));
            } else {
                book.exact.insert(en, fr);
            }
        }
        // The most specific template first: "… not set: set it or give a figure" before "… not set".
        book.templates.sort_by_key(|(parts, _)| {
            std::cmp::Reverse(parts.iter().map(String::len).sum::<usize>())
        });
        book
    })
}

/// "the call closed on {0}" → ["the call closed on ", ""]: the text around the values.
fn template_parts(en: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut rest = en;
    let mut n = 0;
    while let Some(at) = rest.find(&format!("{{{n}}}")) {
        parts.push(rest[..at].to_string());
        rest = &rest[at + format!("{{{n}}}").len()..];
        n += 1;
    }
    parts.push(rest.to_string());
    parts
}

/// The values of `said` where a template's parts leave room for them, if it fits.
fn fill(parts: &[String], said: &str) -> Option<Vec<String>> {
    let (first, rest) = parts.split_first()?;
    let mut tail = said.strip_prefix(first.as_str())?;
    let mut values = Vec::new();
    for (i, part) in rest.iter().enumerate() {
        let last = i + 1 == rest.len();
        let at = if last {
            // The last part ends the sentence.
            tail.strip_suffix(part.as_str()).map(str::len)?
        } else if part.is_empty() {
            return None;
        } else {
            tail.find(part.as_str())?
        };
        values.push(tail[..at].to_string());
        tail = &tail[at + part.len()..];
    }
    tail.is_empty().then_some(values)
}

/// A refusal's English sentence in French, from the phrasebook; `None` when it is not there.
/// A template's values go in as `value` says them (a funder's code by its name).
pub fn refusal_in_french(said: &str, value: impl Fn(&str) -> String) -> Option<String> {
    let book = phrasebook();
    if let Some(fr) = book.exact.get(said) {
        return Some(fr.clone());
    }
    book.templates.iter().find_map(|(parts, fr)| {
        let values = fill(parts, said)?;
        // One pass, so that a value holding "{1}" is not filled in again.
        let mut out = String::with_capacity(fr.len());
        let mut rest = fr.as_str();
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            match after
                .split_once('}')
                .and_then(|(n, tail)| Some((values.get(n.parse::<usize>().ok()?)?, tail)))
            {
                Some((v, tail)) => {
                    out.push_str(&value(v));
                    rest = tail;
                }
                None => {
                    out.push('{');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        Some(out)
    })
}

/// A source the shipped data cites in English, in French; `None` when it has no French (a
/// title cited as it is, a text typed by a person). The simulator's sources come already
/// said for the public (`relief::public_source`) and two of them joined by "; ": both are
/// found too.
pub fn source_in_french(english: &str) -> Option<String> {
    static BOOK: OnceLock<HashMap<String, String>> = OnceLock::new();
    let book = BOOK.get_or_init(|| {
        let all: HashMap<String, String> =
            serde_json::from_str(SOURCES_FR).expect("i18n/sources.fr.json is valid");
        let mut book = HashMap::new();
        for (en, fr) in all {
            book.insert(poles_core::relief::public_source(&en), fr.clone());
            book.insert(en, fr);
        }
        book
    });
    let english = english.trim();
    if let Some(fr) = book.get(english) {
        return Some(fr.clone());
    }
    // Joined sources: the longest run of parts that is a source, from the left (a source may
    // hold "; " itself).
    let parts: Vec<&str> = english.split("; ").collect();
    let (mut said, mut found, mut i) = (Vec::new(), false, 0);
    while i < parts.len() {
        let longest = (i + 1..=parts.len())
            .rev()
            .find_map(|j| book.get(parts[i..j].join("; ").trim()).map(|fr| (j, fr)));
        match longest {
            Some((j, fr)) => {
                said.push(fr.as_str());
                found = true;
                i = j;
            }
            None => {
                said.push(parts[i]);
                i += 1;
            }
        }
    }
    found.then(|| said.join(" ; "))
}

/// The translator a template receives.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    pub lang: Lang,
}

impl Tr {
    /// The string for `key`; a missing key shows itself, so that it is seen and fixed.
    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        match table(self.lang).get(key) {
            Some(v) => v.as_str(),
            None => key,
        }
    }

    pub fn code(&self) -> &'static str {
        self.lang.code()
    }

    /// A source of the shipped data in the page's language (as it is where it has no French).
    pub fn source<'a>(&self, s: &'a str) -> std::borrow::Cow<'a, str> {
        match self.lang {
            Lang::Fr => source_in_french(s).map_or(s.into(), Into::into),
            Lang::En => s.into(),
        }
    }

    /// A use case's English refusal in the page's language (English where the phrasebook does
    /// not have it: seen and added, as a missing key is).
    pub fn said(&self, english: &str) -> String {
        match self.lang {
            Lang::En => english.to_string(),
            Lang::Fr => refusal_in_french(english, |v| {
                // A funder's code ("state", "region:84") by its name, as coded refusals say it.
                let key = format!("funder.{v}");
                match self.t(&key) {
                    name if name == key => v.to_string(),
                    name => name.to_string(),
                }
            })
            .unwrap_or_else(|| english.to_string()),
        }
    }

    pub fn other(&self) -> &'static str {
        match self.lang {
            Lang::Fr => "en",
            Lang::En => "fr",
        }
    }

    pub fn pick<'a>(&self, fr: &'a Option<String>, en: &'a Option<String>) -> &'a str {
        self.lang.pick(fr.as_deref(), en.as_deref())
    }

    pub fn pick2<'a>(&self, fr: &'a str, en: &'a str) -> &'a str {
        self.lang.pick(Some(fr), Some(en))
    }
}

/// Extracts the page language and the query-string to rebuild links in the other language.
pub struct PageLang(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for PageLang {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let from_query = parts.uri.query().and_then(|q| {
            q.split('&')
                .filter_map(|kv| kv.split_once('='))
                .find(|(k, _)| *k == "lang")
                .and_then(|(_, v)| Lang::parse(v))
        });
        let from_header = || {
            parts
                .headers
                .get(axum::http::header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::from_accept_language)
        };
        Ok(PageLang(
            from_query.or_else(from_header).unwrap_or_default(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_have_the_same_keys() {
        let fr = table(Lang::Fr);
        let en = table(Lang::En);
        let mut missing: Vec<&String> = fr.keys().filter(|k| !en.contains_key(*k)).collect();
        missing.extend(en.keys().filter(|k| !fr.contains_key(*k)));
        assert!(
            missing.is_empty(),
            "keys missing in one language: {missing:?}"
        );
        assert!(fr.len() > 50);
    }

    #[test]
    fn a_template_takes_the_values_of_the_sentence_it_fits() {
        let parts = template_parts("{0} would pay {1} cents, more than the {2} decided");
        assert_eq!(
            parts,
            ["", " would pay ", " cents, more than the ", " decided"]
        );
        assert_eq!(
            fill(
                &parts,
                "region:IDF would pay 12 cents, more than the 10 decided"
            ),
            Some(vec!["region:IDF".into(), "12".into(), "10".into()])
        );
        assert_eq!(
            fill(&parts, "would pay 12 cents, more than the 10 decided"),
            None
        );
        assert_eq!(
            fill(&parts, "x would pay 1 cents, more than the 2 decided!"),
            None
        );
        assert_eq!(template_parts("cannot be empty"), ["cannot be empty"]);
    }

    #[test]
    fn sources_are_found_as_stored_as_said_for_the_public_and_joined() {
        let fr = Tr { lang: Lang::Fr };
        let raw = "programme-rules.md §3: 2005-06 companies 30%, assumed unchanged in 2007";
        let french = fr.source(raw);
        assert!(
            french.contains("2005-06") && french.contains("inchangé"),
            "{french}"
        );
        // As the simulator gives it, already said for the public.
        let public = poles_core::relief::public_source(raw);
        assert_eq!(fr.source(&public), french);
        // Two joined: each said; one without French stays as it is.
        let joined = format!("{public}; a note nobody translated");
        assert_eq!(
            fr.source(&joined),
            format!("{french} ; a note nobody translated")
        );
        // A source that holds "; " itself, joined to another.
        let cir = "Finance law 2025-127 of 14 Feb 2025, arts. 55-57 (research tax credit); earlier versions of the CIR are not modelled";
        let both = format!("{cir}; {raw}");
        let said = fr.source(&both);
        assert_eq!(said, format!("{} ; {french}", fr.source(cir)));
        assert!(!said.contains("Finance law"), "{said}");
        assert_eq!(Tr { lang: Lang::En }.source(raw), raw);
        assert_eq!(
            fr.source("a text typed by a person"),
            "a text typed by a person"
        );
    }

    #[test]
    fn refusals_are_said_in_french_and_left_in_english_otherwise() {
        let fr = Tr { lang: Lang::Fr };
        let en = Tr { lang: Lang::En };
        assert_eq!(en.said("cannot be empty"), "cannot be empty");
        let french = fr.said("cannot be empty");
        assert!(!french.is_empty() && french != "cannot be empty");
        // A template: the values go where the French puts them.
        let long = fr.said("must have at most 300 characters");
        assert!(long.contains("300") && !long.contains("must"), "{long}");
        // The longer template wins over the one it contains.
        let unset = fr.said("the state envelope of this call is not set: set it or give a figure");
        assert!(
            unset.contains("État") && !unset.contains("set it") && !unset.contains("state"),
            "{unset}"
        );
        // A value is put in once, as it was given.
        let odd = fr.said("the scheme x{1} starts on 2020-01-01");
        assert!(odd.contains("x{1}") && odd.contains("2020-01-01"), "{odd}");
        // Not in the phrasebook: the English, rather than nothing.
        assert_eq!(fr.said("no such sentence here"), "no such sentence here");
    }
}
