//! What every page's frame needs: the translator, the link to the other language, the
//! signed-in person and their CSRF token, and small formatting helpers for templates.

use crate::ui::i18n::{PageLang, Tr};
use axum::extract::{FromRequestParts, OriginalUri};
use axum::http::request::Parts;
use poles_app::access::{may, Ability};
use poles_app::Caller;
use poles_core::auth::Actor;
use poles_core::{format_amount, group_thousands, Lang, Money, OrgKind, Tier};

pub struct Chrome {
    pub t: Tr,
    pub switch_href: String,
    pub q: String,
    /// The signed-in user's e-mail, for the header.
    pub user: Option<String>,
    /// The session's CSRF token, put in every form.
    pub csrf: String,
    pub actor: Option<Actor>,
}

impl<S: Send + Sync> FromRequestParts<S> for Chrome {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let PageLang(lang) = PageLang::from_request_parts(parts, state).await?;
        let uri = parts
            .extensions
            .get::<OriginalUri>()
            .map(|u| u.0.clone())
            .unwrap_or_else(|| parts.uri.clone());
        let mut c = Chrome::new(lang, &uri);
        if let Some(caller) = parts.extensions.get::<Caller>() {
            c.user = Some(caller.actor.email.clone());
            c.csrf = caller
                .session
                .as_ref()
                .map(|s| s.csrf.clone())
                .unwrap_or_default();
            c.actor = Some(caller.actor.clone());
        }
        Ok(c)
    }
}

impl Chrome {
    pub fn new(lang: Lang, uri: &axum::http::Uri) -> Chrome {
        let t = Tr { lang };
        let mut pairs: Vec<String> = uri
            .query()
            .unwrap_or("")
            .split('&')
            .filter(|kv| !kv.is_empty() && !kv.starts_with("lang="))
            .map(str::to_string)
            .collect();
        pairs.push(format!("lang={}", t.other()));
        Chrome {
            t,
            switch_href: format!("{}?{}", uri.path(), pairs.join("&")),
            q: String::new(),
            user: None,
            csrf: String::new(),
            actor: None,
        }
    }

    pub fn lang(&self) -> Lang {
        self.t.lang
    }

    /// A link inside the site, in the page's language.
    pub fn href(&self, path: &str) -> String {
        let sep = if path.contains('?') { '&' } else { '?' };
        format!("{path}{sep}lang={}", self.t.code())
    }

    /// `prefix` + `key` as a link in the page's language: `c.link("/clusters/", slug)`.
    pub fn link(&self, prefix: &str, key: impl std::fmt::Display) -> String {
        self.href(&format!("{prefix}{key}"))
    }

    /// The translation of `prefix` + `key`: `c.tk("status.", s.as_str())`.
    /// A refusal's reason in the page's language: its code's sentence with the values put in
    /// (amounts in the reader's format, funders by name), else the phrasebook's French for its
    /// English sentence.
    pub fn reason(&self, e: &poles_core::FieldError) -> String {
        let Some(code) = e.code else {
            return self.t.said(&e.reason);
        };
        let key = format!("reason.{code}");
        let template = self.t.t(&key);
        if template == key {
            return self.t.said(&e.reason);
        }
        let mut out = template.to_string();
        for (k, arg) in e.args.iter().enumerate() {
            let shown = match arg.strip_prefix(poles_core::MONEY_ARG) {
                Some(cents) => cents.parse::<i64>().map_or_else(
                    |_| arg.clone(),
                    |c| crate::ui::format::euros(c, self.t.lang),
                ),
                None => {
                    let funder = format!("funder.{arg}");
                    match self.t.t(&funder) {
                        t if t == funder => arg.clone(),
                        t => t.to_string(),
                    }
                }
            };
            out = out.replace(&format!("{{{k}}}"), &shown);
        }
        out
    }

    /// A refusal shown away from its field: the field by its label on the form (`label`, a
    /// string key; never the field's internal name), then the reason; the reason alone when the
    /// form has no label for it.
    pub fn labelled_reason(&self, label: Option<&str>, e: &poles_core::FieldError) -> String {
        match label.map(|k| self.t.t(k)).filter(|l| Some(*l) != label) {
            Some(l) => format!("{l} — {}", self.reason(e)),
            None => self.reason(e),
        }
    }

    /// A date as a reader of the page's language writes it: "27 March 2023", "27 mars 2023".
    pub fn date(&self, d: &poles_core::Date) -> String {
        d.in_words(self.t.lang)
    }

    /// A day in words, or "—" where it is not known.
    pub fn day(&self, d: &Option<poles_core::Date>) -> String {
        d.as_ref().map_or_else(|| "—".into(), |d| self.date(d))
    }

    /// A date as a source gives it (a year, a month or a day), in words.
    pub fn partial_date(&self, d: &str) -> String {
        crate::ui::format::partial_date(d, self.t.lang)
    }

    pub fn tk(&self, prefix: &str, key: impl std::fmt::Display) -> String {
        self.t.t(&format!("{prefix}{key}")).to_string()
    }

    pub fn tier_class(&self, t: &Option<Tier>) -> &'static str {
        t.map(|t| t.as_str()).unwrap_or("none")
    }

    pub fn money(&self, m: &Option<Money>) -> String {
        m.map(|m| m.format(self.t.lang))
            .unwrap_or_else(|| "—".into())
    }

    pub fn amount(&self, m: &Money) -> String {
        format_amount(m.cents, m.currency, self.t.lang)
    }

    pub fn num(&self, n: &i64) -> String {
        group_thousands(*n, if self.t.lang == Lang::Fr { ' ' } else { ',' })
    }

    pub fn tier(&self, t: &Option<Tier>) -> &'static str {
        match t {
            Some(Tier::Mondial) => self.t.t("tier.mondial"),
            Some(Tier::VocationMondiale) => self.t.t("tier.vocation_mondiale"),
            Some(Tier::National) => self.t.t("tier.national"),
            None => "—",
        }
    }

    pub fn kind(&self, k: &OrgKind) -> String {
        self.tk("kind.", k.as_str())
    }

    /// An organisation's kind in a table or a profile: a dash where it is not known (an
    /// unknown kind is a gap in the data, not a category).
    pub fn kind_shown(&self, k: &OrgKind) -> String {
        if k.as_str() == "unknown" {
            "—".into()
        } else {
            self.kind(k)
        }
    }

    /// An optional value, or a dash.
    pub fn opt<T: std::fmt::Display>(&self, v: &Option<T>) -> String {
        v.as_ref()
            .map(|x| x.to_string())
            .unwrap_or_else(|| "—".into())
    }

    /// Whether the signed-in person may do this (to show its form); the use case decides.
    pub fn may(&self, what: Ability<'_>) -> bool {
        may(self.actor.as_ref(), what)
    }

    pub fn can_edit_cluster(&self, slug: &str) -> bool {
        self.may(Ability::EditCluster(slug))
    }

    pub fn can_edit_organisation(&self, id: &i64) -> bool {
        self.may(Ability::EditOrganisation(*id))
    }

    pub fn can_edit_programme(&self) -> bool {
        self.may(Ability::EditProgramme)
    }

    pub fn can_publish(&self) -> bool {
        self.may(Ability::Publish)
    }

    pub fn is_admin(&self) -> bool {
        self.may(Ability::ManageUsers)
    }

    pub fn can_read_audit(&self) -> bool {
        self.may(Ability::ReadAudit)
    }

    /// A call's deadline as the instant it is (the end of its day in Paris), in the page's
    /// language with the time zone: "15 mars 2026 à 23:59 (heure de Paris)".
    pub fn deadline(&self, d: &Option<poles_core::Date>) -> String {
        d.map(|d| poles_core::paris::Deadline::end_of(d).format(self.t.lang))
            .unwrap_or_else(|| "—".into())
    }

    pub fn is_url(&self, s: &str) -> bool {
        s.starts_with("https://") || s.starts_with("http://")
    }

    /// A stored source list ("A ; https://… ; programme-rules.md §2") as a reader sees it:
    /// each address as a link named by its site, each publication by its title; references
    /// to the project's own working files (which a visitor cannot open) are left out.
    pub fn sources(&self, s: &str) -> Vec<(Option<String>, String)> {
        public_sources(s)
            .into_iter()
            .map(|(u, label)| (u, self.public(&label)))
            .collect()
    }

    /// A source as a reader sees it: in the page's language where the shipped data's
    /// phrasebook has it, references to the project's compilation of the programme's rules
    /// ("programme-rules.md §3") said in words, and notes about working files left out.
    pub fn public(&self, s: &str) -> String {
        public_text(&self.t.source(s), self.t.t("source.rules"))
    }
}

/// See [`Chrome::public`].
pub fn public_text(s: &str, rules: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(k) = rest.find("programme-rules.md") {
        out.push_str(&rest[..k]);
        out.push_str(rules);
        rest = &rest[k + "programme-rules.md".len()..];
        // The section mark and its numbers ("§2", " §2-3") go with the file name.
        let trimmed = rest.trim_start();
        if let Some(after) = trimmed.strip_prefix('§') {
            let end = after
                .find(|c: char| !(c.is_ascii_digit() || c == '-' || c == '.'))
                .unwrap_or(after.len());
            rest = &after[end..];
        }
    }
    out.push_str(rest);
    out.replace(" (NOTES.md)", "").replace("NOTES.md", "")
}

/// See [`Chrome::sources`].
pub fn public_sources(s: &str) -> Vec<(Option<String>, String)> {
    let internal = |t: &str| t.contains(".md") || t.contains('§') || t.contains("NOTES");
    let mut out: Vec<(Option<String>, String)> = Vec::new();
    for part in s.split(" ; ").map(str::trim).filter(|p| !p.is_empty()) {
        let item = if part.starts_with("https://") || part.starts_with("http://") {
            let host = part
                .split("//")
                .nth(1)
                .and_then(|r| r.split('/').next())
                .unwrap_or(part)
                .trim_start_matches("www.")
                .to_string();
            (Some(part.to_string()), host)
        } else if internal(part) {
            // "Title (NOTES.md)" keeps its title; a bare file reference goes.
            match part.find(" (") {
                Some(k) if !internal(&part[..k]) => (None, part[..k].to_string()),
                _ => continue,
            }
        } else {
            (None, part.to_string())
        };
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::public_sources;

    #[test]
    fn working_files_never_reach_a_page() {
        let s = public_sources(
            "Invest in France Agency press kit, 2007 ; programme-rules.md §2 ; https://www.20minutes.fr/bordeaux/1 ; Tier from agoravox (NOTES.md)",
        );
        assert_eq!(
            s,
            vec![
                (None, "Invest in France Agency press kit, 2007".to_string()),
                (
                    Some("https://www.20minutes.fr/bordeaux/1".to_string()),
                    "20minutes.fr".to_string()
                ),
                (None, "Tier from agoravox".to_string()),
            ]
        );
        assert_eq!(
            super::public_text(
                "Press kit, 2007; programme-rules.md §2 ($297M a year)",
                "the programme's published rules"
            ),
            "Press kit, 2007; the programme's published rules ($297M a year)"
        );
    }
}
