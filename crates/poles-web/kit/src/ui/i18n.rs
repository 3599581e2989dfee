//! Interface strings in French and English, kept as data (`i18n/*.json`); a test checks that
//! both files have the same keys. The page language comes from `?lang=`, then
//! `Accept-Language`, then French.
//!
//! The refusals the use cases give in English (`FieldError::new`) are said in French through a
//! phrasebook (`i18n/refusals.fr.json`): each English sentence, or its template with `{0}`, `{1}`…
//! where run-time values go, with its French. The use cases keep one language (the API's); the
//! pages translate what they show. A test keeps the phrasebook complete.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use poles_core::Lang;
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::OnceLock;

const FR: &str = include_str!("../../../i18n/fr.json");
const EN: &str = include_str!("../../../i18n/en.json");
const REFUSALS_FR: &str = include_str!("../../../i18n/refusals.fr.json");

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
pub fn refusal_in_french(said: &str) -> Option<String> {
    let book = phrasebook();
    if let Some(fr) = book.exact.get(said) {
        return Some(fr.clone());
    }
    book.templates.iter().find_map(|(parts, fr)| {
        let values = fill(parts, said)?;
        let mut out = fr.clone();
        for (k, v) in values.iter().enumerate() {
            out = out.replace(&format!("{{{k}}}"), v);
        }
        Some(out)
    })
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

    /// A use case's English refusal in the page's language (English where the phrasebook does
    /// not have it: seen and added, as a missing key is).
    pub fn said(&self, english: &str) -> String {
        match self.lang {
            Lang::En => english.to_string(),
            Lang::Fr => refusal_in_french(english).unwrap_or_else(|| english.to_string()),
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
        let unset =
            fr.said("the ministry envelope of this call is not set: set it or give a figure");
        assert!(
            unset.contains("ministry") && !unset.contains("set it"),
            "{unset}"
        );
        // Not in the phrasebook: the English, rather than nothing.
        assert_eq!(fr.said("no such sentence here"), "no such sentence here");
    }
}
