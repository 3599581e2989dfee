//! Interface strings in French and English, kept as data (`i18n/*.json`); a test checks that
//! both files have the same keys. The page language comes from `?lang=`, then
//! `Accept-Language`, then French.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use poles_core::Lang;
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::OnceLock;

const FR: &str = include_str!("../../../i18n/fr.json");
const EN: &str = include_str!("../../../i18n/en.json");

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
}
