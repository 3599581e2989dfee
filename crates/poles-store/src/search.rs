//! One search across clusters, organisations and projects. The index is a table, rebuilt in
//! the transaction of every import, so that all app servers share it; a query is a few
//! `LIKE` filters on normalised text (tens of milliseconds on the CORDIS volume) and the
//! ranking is done here, the same way on both backends.

use crate::error::Result;
use crate::util::{from_row, insert_batched, Cell, Tx};
use crate::Db;
use poles_core::model::{SearchHit, SearchResults};
use poles_core::text::{normalize, tokens};
use poles_core::Page;

/// Most candidates ranked for one query: enough for any page a person reads.
const MAX_CANDIDATES: i64 = 5000;

struct ClusterRow {
    id: i64,
    slug: String,
    name: String,
    official_name: Option<String>,
    theme_fr: Option<String>,
    specialty_en: Option<String>,
}
from_row!(ClusterRow {
    id,
    slug,
    name,
    official_name,
    theme_fr,
    specialty_en
});

struct OrganisationRow {
    id: i64,
    name: String,
    short_name: Option<String>,
    country: Option<String>,
    members: i64,
}
from_row!(OrganisationRow {
    id,
    name,
    short_name,
    country,
    members
});

struct ProjectRow {
    id: i64,
    acronym: String,
    title: Option<String>,
    topic_title: Option<String>,
    call: Option<String>,
}
from_row!(ProjectRow {
    id,
    acronym,
    title,
    topic_title,
    call
});

pub(crate) async fn rebuild(tx: &mut impl Tx) -> Result<()> {
    sqlx::query("DELETE FROM search_entries")
        .execute(&mut **tx)
        .await?;
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    let clusters: Vec<ClusterRow> = sqlx::query_as(
        "SELECT c.id, c.slug, c.name, c.official_name, c.theme_fr, c.specialty_en FROM clusters c",
    )
    .fetch_all(&mut **tx)
    .await?;
    let aliases: Vec<(i64, String)> =
        sqlx::query_as("SELECT cluster_id, alias FROM cluster_aliases")
            .fetch_all(&mut **tx)
            .await?;
    for c in clusters {
        let mut text = vec![c.name.clone(), c.slug.clone()];
        text.extend(c.official_name.clone());
        text.extend(c.theme_fr.clone());
        text.extend(c.specialty_en);
        text.extend(
            aliases
                .iter()
                .filter(|(cluster_id, _)| *cluster_id == c.id)
                .map(|(_, alias)| alias.clone()),
        );
        let subtitle = c.official_name.filter(|o| *o != c.name).or(c.theme_fr);
        rows.push(vec![
            "cluster".into(),
            c.slug.into(),
            c.name.into(),
            subtitle.into(),
            normalize(&text.join(" ")).into(),
            3i64.into(),
        ]);
    }
    let orgs: Vec<OrganisationRow> = sqlx::query_as(
        "SELECT o.id, o.name, o.short_name, o.country, (SELECT COUNT(*) FROM memberships m WHERE m.organisation_id = o.id) AS members FROM organisations o WHERE o.fictional = 0",
    )
    .fetch_all(&mut **tx)
    .await?;
    for o in orgs {
        let text = format!("{} {}", o.name, o.short_name.unwrap_or_default());
        rows.push(vec![
            "organisation".into(),
            o.id.to_string().into(),
            o.name.into(),
            o.country.into(),
            normalize(&text).into(),
            (1 + o.members.min(1)).into(),
        ]);
    }
    let projects: Vec<ProjectRow> =
        sqlx::query_as("SELECT id, acronym, title, topic_title, call FROM projects")
            .fetch_all(&mut **tx)
            .await?;
    for p in projects {
        let text = format!(
            "{} {} {} {}",
            p.acronym,
            p.title.as_deref().unwrap_or_default(),
            p.topic_title.as_deref().unwrap_or_default(),
            p.call.as_deref().unwrap_or_default()
        );
        rows.push(vec![
            "project".into(),
            p.id.to_string().into(),
            p.acronym.into(),
            p.title.or(p.topic_title).into(),
            normalize(&text).into(),
            0i64.into(),
        ]);
    }
    insert_batched(
        tx,
        "search_entries",
        &["kind", "ref", "title", "subtitle", "haystack", "weight"],
        rows,
        "",
    )
    .await?;
    Ok(())
}

/// Scores one candidate: whole-title matches first, then word starts, then substrings;
/// clusters before organisations before projects at equal match.
fn score(query_norm: &str, toks: &[String], title: &str, haystack: &str, weight: i64) -> i64 {
    let title_n = normalize(title);
    let mut score = weight * 15;
    if title_n == query_norm {
        score += 200;
    } else if title_n.starts_with(query_norm) {
        score += 80;
    }
    for t in toks {
        let title_word = title_n.split(' ').any(|w| w == t);
        let title_start = title_n.split(' ').any(|w| w.starts_with(t.as_str()));
        let hay_start = haystack.split(' ').any(|w| w.starts_with(t.as_str()));
        score += if title_word {
            40
        } else if title_start {
            25
        } else if title_n.contains(t.as_str()) {
            12
        } else if hay_start {
            8
        } else {
            2
        };
    }
    score
}

struct EntryRow {
    kind: String,
    reference: String,
    title: String,
    subtitle: Option<String>,
    haystack: String,
    weight: i64,
}
from_row!(EntryRow {
    kind,
    reference,
    title,
    subtitle,
    haystack,
    weight
});

pub async fn search(db: &Db, q: &str, kind: Option<&str>, page: Page) -> Result<SearchResults> {
    let toks = tokens(q, 6);
    if toks.is_empty() {
        return Ok(SearchResults {
            query: q.to_string(),
            items: vec![],
            total: 0,
        });
    }
    let mut sql = String::from(
        "SELECT kind, ref AS reference, title, subtitle, haystack, weight FROM search_entries WHERE ",
    );
    let mut n = 0;
    let mut conds = Vec::new();
    for _ in &toks {
        n += 1;
        conds.push(format!("haystack LIKE ${n}"));
    }
    if kind.is_some() {
        n += 1;
        conds.push(format!("kind = ${n}"));
    }
    sql.push_str(&conds.join(" AND "));
    sql.push_str(&format!(" LIMIT {MAX_CANDIDATES}"));
    let mut query = sqlx::query_as::<_, EntryRow>(&sql);
    for t in &toks {
        query = query.bind(format!("%{t}%"));
    }
    if let Some(k) = kind {
        query = query.bind(k.to_string());
    }
    let rows = query.fetch_all(&db.pool).await?;
    let qn = normalize(q);
    let mut hits = Vec::with_capacity(rows.len());
    for r in rows {
        let sc = score(&qn, &toks, &r.title, &r.haystack, r.weight);
        hits.push(SearchHit {
            kind: r.kind,
            reference: r.reference,
            subtitle: r.subtitle,
            title: r.title,
            score: sc,
        });
    }
    hits.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then(a.title.len().cmp(&b.title.len()))
            .then(a.title.cmp(&b.title))
    });
    let total = hits.len() as i64;
    let items = hits
        .into_iter()
        .skip(page.offset as usize)
        .take(page.limit as usize)
        .collect();
    Ok(SearchResults {
        query: q.to_string(),
        items,
        total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_titles_outrank_substrings() {
        let toks = tokens("minalogic", 6);
        let exact = score("minalogic", &toks, "Minalogic", "minalogic", 3);
        let sub = score(
            "minalogic",
            &toks,
            "MINALOGIC PARTNERS",
            "minalogic partners",
            1,
        );
        assert!(exact > sub);
    }
}
