//! One search across pôles, organisations and projects: an inverted index kept in the
//! database (so every app server reads the same one and sees a write at its commit),
//! ranked by BM25 in the application (so both backends rank alike). Imports rebuild it in
//! their transaction; edits update the entries they touch in theirs.
//!
//! A query's words reach the index's terms as typed, through the programme's French ↔
//! English vocabulary, as a prefix (as the user types), or, for a word that reaches
//! nothing, through a near term (a typo). Every word must match (else any may, ranked by
//! how many do); pôles come first, then organisations and projects by their relevance.

use crate::error::Result;
use crate::util::{fetch_json_rows, from_row, id_in, insert_batched, json_id_list, Cell, Tx};
use crate::{Backend, Db};
use poles_core::model::{
    FacetCount, SearchCorrection, SearchFacet, SearchGroup, SearchHit, SearchResults,
};
use poles_core::search::{
    analyse, bm25, decode_postings, edit_distance_within, encode_postings, equivalent_terms,
    query_words, typo_budget, upsert_posting, Posting, Reach,
};
use poles_core::Page;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// The kinds of entry, in the order their groups are shown.
pub const KINDS: [&str; 3] = ["cluster", "organisation", "project"];
/// How many of each group a search shows beside the page.
const GROUP_TOP: usize = 5;
/// An entry's id is its kind's base plus its row's own id (below 2^28), so that the
/// organisations or projects a search finds are their ids without a look-up, and an entry
/// keeps its id across rebuilds and updates.
const ROW_BITS: u32 = 28;

/// The entries of what organisations worked on (the topics of their past projects), kept
/// apart from their names: the partner search (organisations asked for by name) reads them,
/// while the general search and the organisation list match names and what organisations
/// declare. In one entry with the names, a common word ("energy") reached a large share of
/// the organisations and made those reads ten times slower at ten times the data.
const TOPICS_KIND: &str = "organisation_topics";
/// How much a match on past topics weighs beside one on names or declarations.
const TOPICS_WEIGHT: f64 = 0.5;

fn entry_id(kind: &str, row_id: i64) -> Result<u32> {
    let base: u32 = match kind {
        "cluster" => 1,
        "organisation" => 2,
        TOPICS_KIND => 4,
        _ => 3,
    };
    if !(0..1 << ROW_BITS).contains(&row_id) {
        return Err(crate::StoreError::Data(format!(
            "{kind} {row_id}: an id the search index cannot hold"
        )));
    }
    Ok((base << ROW_BITS) | row_id as u32)
}

/// The row id of an entry (see [`entry_id`]).
fn row_of(entry: u32) -> i64 {
    i64::from(entry & ((1 << ROW_BITS) - 1))
}

/// Arbitrary key of the PostgreSQL advisory lock that serialises updates of the index.
const INDEX_LOCK: i64 = 7_263_002;

/// An entry of the index as built from the registry.
struct Doc {
    kind: &'static str,
    /// The pôle's, organisation's or project's own id.
    row_id: i64,
    reference: String,
    title: String,
    subtitle: Option<String>,
    fields: Vec<(String, u32)>,
    /// Tenths: 10 leaves the score as it is.
    boost: u8,
    country: Option<String>,
    regions: Option<String>,
    sectors: Option<String>,
    subkind: Option<String>,
    /// Organisations: the NAF division declared (`26`), the headcount band declared, the
    /// pôles it is a listed member of (slugs, space-separated).
    naf: Option<String>,
    size: Option<String>,
    poles: Option<String>,
}

struct ClusterRow {
    id: i64,
    slug: String,
    name: String,
    official_name: Option<String>,
    theme_fr: Option<String>,
    theme_en: Option<String>,
    specialty_en: Option<String>,
    description_fr: Option<String>,
    description_en: Option<String>,
    current: i64,
}
from_row!(ClusterRow {
    id,
    slug,
    name,
    official_name,
    theme_fr,
    theme_en,
    specialty_en,
    description_fr,
    description_en,
    current
});

/// An organisation's indexed fields, read as a JSON array (see [`fetch_json_rows`]).
#[derive(serde::Deserialize)]
struct OrganisationRow {
    id: i64,
    name: String,
    short_name: Option<String>,
    kind: String,
    country: Option<String>,
    region_code: Option<String>,
    competences: Option<String>,
    offer: Option<String>,
    seek: Option<String>,
    naf_code: Option<String>,
    headcount_band: Option<String>,
    members: i64,
}

/// The topics an organisation's past projects were on, the most frequent first: what it
/// knows, in the words of the programmes' work programmes.
const TOPICS_PER_ORGANISATION: usize = 30;

/// A project's indexed fields, read as a JSON array.
#[derive(serde::Deserialize)]
struct ProjectRow {
    id: i64,
    acronym: String,
    title: Option<String>,
    topic_title: Option<String>,
    call: Option<String>,
}

/// The clusters' documents (one cluster's with `Some(id)`), in slug order.
async fn cluster_docs(tx: &mut impl Tx, only: Option<i64>) -> Result<Vec<Doc>> {
    let filter = if only.is_some() {
        " WHERE c.id = $1"
    } else {
        ""
    };
    // A pôle labelled in the latest phase is today's; it ranks before the history.
    let sql = format!(
        "SELECT c.id, c.slug, c.name, c.official_name, c.theme_fr, c.theme_en, c.specialty_en, \
         c.description_fr, c.description_en, \
         (SELECT COUNT(*) FROM labels l WHERE l.cluster_id = c.id AND l.status <> 'delabelled' \
          AND l.phase_code = (SELECT code FROM programme_phases ORDER BY starts DESC LIMIT 1)) AS current \
         FROM clusters c{filter} ORDER BY c.slug"
    );
    let mut q = sqlx::query_as::<_, ClusterRow>(&sql);
    if let Some(id) = only {
        q = q.bind(id);
    }
    let clusters = q.fetch_all(&mut **tx).await?;
    let aliases: Vec<(i64, String)> =
        sqlx::query_as("SELECT cluster_id, alias FROM cluster_aliases ORDER BY cluster_id, alias")
            .fetch_all(&mut **tx)
            .await?;
    let regions: Vec<(i64, String)> = sqlx::query_as(
        "SELECT cluster_id, region_code FROM cluster_regions ORDER BY cluster_id, region_code",
    )
    .fetch_all(&mut **tx)
    .await?;
    let sectors: Vec<(i64, String, String, String)> = sqlx::query_as(
        "SELECT cs.cluster_id, cs.sector_code, s.name_fr, s.name_en FROM cluster_sectors cs \
         JOIN sectors s ON s.code = cs.sector_code ORDER BY cs.cluster_id, cs.sector_code",
    )
    .fetch_all(&mut **tx)
    .await?;
    let mut docs = Vec::with_capacity(clusters.len());
    for c in clusters {
        let mut fields = vec![(c.name.clone(), 3), (c.slug.replace('-', " "), 1)];
        for text in [&c.official_name, &c.theme_fr, &c.theme_en, &c.specialty_en]
            .into_iter()
            .flatten()
        {
            fields.push((text.clone(), 2));
        }
        for text in [&c.description_fr, &c.description_en].into_iter().flatten() {
            fields.push((text.clone(), 1));
        }
        fields.extend(
            aliases
                .iter()
                .filter(|(id, _)| *id == c.id)
                .map(|(_, a)| (a.clone(), 2)),
        );
        let mut codes = Vec::new();
        for (_, code, fr, en) in sectors.iter().filter(|s| s.0 == c.id) {
            fields.push((format!("{fr} {en}"), 1));
            codes.push(code.clone());
        }
        let region_codes: Vec<String> = regions
            .iter()
            .filter(|(id, _)| *id == c.id)
            .map(|(_, r)| r.clone())
            .collect();
        let subtitle = c
            .official_name
            .clone()
            .filter(|o| *o != c.name)
            .or(c.theme_fr.clone());
        docs.push(Doc {
            kind: "cluster",
            row_id: c.id,
            reference: c.slug,
            title: c.name,
            subtitle,
            fields,
            boost: if c.current > 0 { 15 } else { 10 },
            country: Some("FR".into()),
            regions: (!region_codes.is_empty()).then(|| region_codes.join(" ")),
            sectors: (!codes.is_empty()).then(|| codes.join(" ")),
            subkind: None,
            naf: None,
            size: None,
            poles: None,
        });
    }
    Ok(docs)
}

/// The organisations' documents (one organisation's with `Some(id)`), in id order; the
/// demo's invented organisations are not in the index. An organisation is found by its
/// names, what it declares (competences, what it offers and looks for) and the topics of
/// its past projects.
async fn organisation_docs(tx: &mut impl Tx, only: Option<i64>) -> Result<Vec<(Doc, Option<Doc>)>> {
    let filter = if only.is_some() { " AND o.id = $1" } else { "" };
    let binds = || only.map(Cell::from).into_iter().collect::<Vec<_>>();
    let rows = fetch_json_rows::<OrganisationRow>(
        tx,
        &[
            "o.id",
            "o.name",
            "o.short_name",
            "o.kind",
            "o.country",
            "o.region_code",
            "o.competences",
            "o.offer",
            "o.seek",
            "o.naf_code",
            "o.headcount_band",
            "(SELECT COUNT(*) FROM memberships m WHERE m.organisation_id = o.id)",
        ],
        &format!("organisations o WHERE o.fictional = 0{filter}"),
        "o.id",
        binds(),
    )
    .await?;
    let one = if only.is_some() {
        " AND m.organisation_id = $1"
    } else {
        ""
    };
    let poles: Vec<(i64, String)> = fetch_json_rows(
        tx,
        &["m.organisation_id", "c.slug"],
        &format!(
            "memberships m JOIN clusters c ON c.id = m.cluster_id WHERE m.shown_publicly = 1{one}"
        ),
        "m.organisation_id, c.slug",
        binds(),
    )
    .await?;
    let one = if only.is_some() {
        " AND pp.organisation_id = $1"
    } else {
        ""
    };
    let topics: Vec<(i64, String, i64)> = fetch_json_rows(
        tx,
        &["x.organisation_id", "x.topic_title", "x.n"],
        &format!(
            "(SELECT pp.organisation_id, p.topic_title, COUNT(*) AS n FROM project_partners pp \
             JOIN projects p ON p.id = pp.project_id WHERE p.topic_title IS NOT NULL{one} \
             GROUP BY pp.organisation_id, p.topic_title) x"
        ),
        "x.organisation_id, x.n DESC, x.topic_title",
        binds(),
    )
    .await?;
    let mut poles_of: HashMap<i64, Vec<String>> = HashMap::new();
    for (org, slug) in poles {
        poles_of.entry(org).or_default().push(slug);
    }
    let mut topics_of: HashMap<i64, Vec<String>> = HashMap::new();
    for (org, title, _) in topics {
        let list = topics_of.entry(org).or_default();
        if list.len() < TOPICS_PER_ORGANISATION {
            list.push(title);
        }
    }
    Ok(rows
        .into_iter()
        .map(|o| {
            let mut fields = vec![(o.name.clone(), 3)];
            fields.extend(o.short_name.map(|s| (s, 3)));
            fields.extend(o.competences.map(|s| (s, 1)));
            fields.extend(o.offer.map(|s| (s, 1)));
            fields.extend(o.seek.map(|s| (s, 1)));
            let topics: Vec<(String, u32)> = topics_of
                .remove(&o.id)
                .unwrap_or_default()
                .into_iter()
                .map(|t| (t, 1))
                .collect();
            let naf = o.naf_code.as_deref().and_then(naf_division);
            let doc = Doc {
                kind: "organisation",
                row_id: o.id,
                reference: o.id.to_string(),
                title: o.name,
                subtitle: o.country.clone(),
                fields,
                // A member of a pôle is one of the leading players an investor looks for.
                boost: if o.members > 0 { 12 } else { 10 },
                country: o.country,
                regions: o.region_code,
                sectors: None,
                subkind: Some(o.kind),
                naf,
                size: o.headcount_band.filter(|b| !b.is_empty()),
                poles: poles_of.remove(&o.id).map(|p| p.join(" ")),
            };
            let topics = (!topics.is_empty()).then(|| Doc {
                kind: TOPICS_KIND,
                row_id: doc.row_id,
                reference: doc.reference.clone(),
                title: doc.title.clone(),
                subtitle: None,
                fields: topics,
                boost: 10,
                country: None,
                regions: None,
                sectors: None,
                subkind: None,
                naf: None,
                size: None,
                poles: None,
            });
            (doc, topics)
        })
        .collect())
}

/// The division (two digits) of a NAF code as written (`26.11Z`, `2611Z`).
fn naf_division(code: &str) -> Option<String> {
    let digits: String = code.chars().filter(char::is_ascii_digit).take(2).collect();
    (digits.len() == 2).then_some(digits)
}

async fn project_docs(tx: &mut impl Tx) -> Result<Vec<Doc>> {
    let rows = fetch_json_rows::<ProjectRow>(
        tx,
        &["id", "acronym", "title", "topic_title", "call"],
        "projects",
        "id",
        vec![],
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|p| {
            let mut fields = vec![(p.acronym.clone(), 3)];
            fields.extend(p.title.clone().map(|t| (t, 2)));
            fields.extend(p.topic_title.clone().map(|t| (t, 1)));
            fields.extend(p.call.map(|t| (t, 1)));
            Doc {
                kind: "project",
                row_id: p.id,
                reference: p.id.to_string(),
                title: p.acronym,
                subtitle: p.title.or(p.topic_title),
                fields,
                boost: 10,
                country: None,
                regions: None,
                sectors: None,
                subkind: None,
                naf: None,
                size: None,
                poles: None,
            }
        })
        .collect())
}

/// A document's terms as postings of entry `id`, and its length.
fn postings_of(doc: &Doc, id: u32) -> (Vec<(String, Posting)>, u32) {
    let fields: Vec<(&str, u32)> = doc.fields.iter().map(|(t, w)| (t.as_str(), *w)).collect();
    let (terms, len) = analyse(&fields);
    let out = terms
        .into_iter()
        .map(|(term, tf)| {
            let p = Posting {
                entry: id,
                tf: tf.min(255) as u8,
                len: len.min(255) as u8,
                boost: doc.boost,
            };
            (term, p)
        })
        .collect();
    (out, len)
}

/// Every document's postings ([`postings_of`]), the documents shared out between the
/// machine's cores: the text analysis is most of a rebuild's own work.
fn analysed(docs: &[Doc], ids: &[u32]) -> Vec<(Vec<(String, Posting)>, u32)> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = docs.len().div_ceil(cores).max(1);
    std::thread::scope(|scope| {
        let parts: Vec<_> = docs
            .chunks(chunk)
            .zip(ids.chunks(chunk))
            .map(|(d, i)| {
                scope.spawn(move || {
                    d.iter()
                        .zip(i)
                        .map(|(doc, id)| postings_of(doc, *id))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        parts
            .into_iter()
            .flat_map(|p| p.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

fn entry_cells(id: i64, doc: &Doc, terms: &[String], len: u32) -> Vec<Cell> {
    vec![
        id.into(),
        doc.kind.into(),
        doc.reference.clone().into(),
        doc.title.clone().into(),
        doc.subtitle.clone().into(),
        terms.join(" ").into(),
        i64::from(len).into(),
        i64::from(doc.boost).into(),
        doc.country.clone().into(),
        doc.regions.clone().into(),
        doc.sectors.clone().into(),
        doc.subkind.clone().into(),
        doc.naf.clone().into(),
        doc.size.clone().into(),
        doc.poles.clone().into(),
    ]
}

const ENTRY_COLUMNS: [&str; 15] = [
    "id", "kind", "ref", "title", "subtitle", "terms", "length", "boost", "country", "regions",
    "sectors", "subkind", "naf", "size", "poles",
];

/// The version of what the index holds: an index built by an older binary (without a
/// facet this one filters on, say) is built again at start ([`ensure_current`]).
const INDEX_VERSION: &str = "3";

/// Builds the whole index again from the registry, in the caller's transaction.
pub(crate) async fn rebuild(tx: &mut impl Tx) -> Result<()> {
    // A rebuild follows a bulk change (import, load, restore): servers drop what they keep.
    crate::version::bump(tx).await?;
    for table in [
        "search_entries",
        "search_terms",
        "search_vocab",
        "search_stats",
    ] {
        sqlx::query(&format!("DELETE FROM {table}"))
            .execute(&mut **tx)
            .await?;
    }
    let mut docs = cluster_docs(tx, None).await?;
    for (org, topics) in organisation_docs(tx, None).await? {
        docs.push(org);
        docs.extend(topics);
    }
    docs.extend(project_docs(tx).await?);
    // Hash maps while filling (a B-tree's string comparisons were a tenth of an import),
    // sorted once at the end so that the rows go in in key order.
    let mut lists: HashMap<(String, &'static str), Vec<Posting>> = HashMap::new();
    let mut df: HashMap<String, i64> = HashMap::new();
    let mut stats: BTreeMap<&'static str, (i64, i64)> = BTreeMap::new();
    let mut entries = Vec::with_capacity(docs.len());
    let ids = docs
        .iter()
        .map(|d| entry_id(d.kind, d.row_id))
        .collect::<Result<Vec<u32>>>()?;
    for ((doc, id), (postings, len)) in docs
        .iter()
        .zip(ids.iter().copied())
        .zip(analysed(&docs, &ids))
    {
        let terms: Vec<String> = postings.iter().map(|(t, _)| t.clone()).collect();
        for (term, p) in postings {
            match df.get_mut(&term) {
                Some(n) => *n += 1,
                None => {
                    df.insert(term.clone(), 1);
                }
            }
            lists.entry((term, doc.kind)).or_default().push(p);
        }
        let s = stats.entry(doc.kind).or_default();
        s.0 += 1;
        s.1 += i64::from(len.min(255));
        entries.push(entry_cells(i64::from(id), doc, &terms, len));
    }
    let mut lists: Vec<((String, &'static str), Vec<Posting>)> = lists.into_iter().collect();
    lists.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    for (_, list) in &mut lists {
        list.sort_by_key(|p| p.entry);
    }
    insert_batched(tx, "search_entries", &ENTRY_COLUMNS, entries, "").await?;
    let rows = lists
        .into_iter()
        .map(|((term, kind), list)| vec![term.into(), kind.into(), Cell::B(encode_postings(&list))])
        .collect();
    insert_batched(tx, "search_terms", &["term", "kind", "postings"], rows, "").await?;
    let mut df: Vec<(String, i64)> = df.into_iter().collect();
    df.sort_unstable();
    let rows = df
        .into_iter()
        .map(|(term, n)| vec![term.into(), n.into()])
        .collect();
    insert_batched(tx, "search_vocab", &["term", "df"], rows, "").await?;
    let rows = stats
        .into_iter()
        .map(|(kind, (n, total))| vec![kind.into(), n.into(), total.into()])
        .collect();
    insert_batched(
        tx,
        "search_stats",
        &["kind", "entries", "total_length"],
        rows,
        "",
    )
    .await?;
    sqlx::query(
        "INSERT INTO meta (key, value) VALUES ('search_index_version', $1) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(INDEX_VERSION)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Builds the index again when an older binary built it (once, even with several servers
/// starting together: the check is repeated under the write lock). Returns whether it did.
pub async fn ensure_current(db: &Db) -> Result<bool> {
    let current = || async {
        let v: Option<String> =
            sqlx::query_scalar("SELECT value FROM meta WHERE key = 'search_index_version'")
                .fetch_optional(&db.pool)
                .await?;
        Ok::<_, crate::StoreError>(v.as_deref() == Some(INDEX_VERSION))
    };
    if current().await? {
        return Ok(false);
    }
    // A database without a registry yet has nothing to index (a load or a restore builds
    // the index and records its version): it stays as migrated.
    let registry: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM clusters) + (SELECT COUNT(*) FROM organisations)",
    )
    .fetch_one(&db.pool)
    .await?;
    if registry == 0 {
        return Ok(false);
    }
    let mut tx = crate::audit::begin_write(db).await?;
    let v: Option<String> =
        sqlx::query_scalar("SELECT value FROM meta WHERE key = 'search_index_version'")
            .fetch_optional(&mut *tx)
            .await?;
    if v.as_deref() == Some(INDEX_VERSION) {
        return Ok(false);
    }
    rebuild(&mut tx).await?;
    tx.commit().await?;
    Ok(true)
}

/// Brings one pôle's entry up to date after a write, in the writer's transaction.
pub(crate) async fn reindex_cluster(tx: &mut impl Tx, backend: Backend, id: i64) -> Result<()> {
    let doc = cluster_docs(tx, Some(id)).await?.into_iter().next();
    reindex(tx, backend, "cluster", id, doc).await
}

/// Brings one organisation's entry up to date after a write, in the writer's transaction.
pub(crate) async fn reindex_organisation(
    tx: &mut impl Tx,
    backend: Backend,
    id: i64,
) -> Result<()> {
    let (doc, topics) = organisation_docs(tx, Some(id))
        .await?
        .into_iter()
        .next()
        .map_or((None, None), |(d, t)| (Some(d), t));
    reindex(tx, backend, "organisation", id, doc).await?;
    reindex(tx, backend, TOPICS_KIND, id, topics).await
}

struct OldEntry {
    terms: String,
    length: i64,
}
from_row!(OldEntry { terms, length });

/// Replaces the entry of row `row_id` of `kind` by `doc` (removes it with `None`): its postings in
/// the lists of its old and new terms, the vocabulary's counts and the kind's statistics.
async fn reindex(
    tx: &mut impl Tx,
    backend: Backend,
    kind: &'static str,
    row_id: i64,
    doc: Option<Doc>,
) -> Result<()> {
    if backend == Backend::Postgres {
        // Two writers must not rewrite the same posting list from the same old copy
        // (SQLite's single writer already ensures it).
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(INDEX_LOCK)
            .execute(&mut **tx)
            .await?;
    }
    let id = i64::from(entry_id(kind, row_id)?);
    let old: Option<OldEntry> =
        sqlx::query_as("SELECT terms, length FROM search_entries WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
    let old_terms: BTreeSet<String> = old
        .as_ref()
        .map(|o| {
            o.terms
                .split(' ')
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let (new_postings, len) = match &doc {
        Some(d) => postings_of(d, id as u32),
        None => (vec![], 0),
    };
    let new_terms: BTreeMap<String, Posting> = new_postings.into_iter().collect();
    let touched: BTreeSet<&String> = old_terms.iter().chain(new_terms.keys()).collect();
    for term in touched {
        let stored: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT postings FROM search_terms WHERE term = $1 AND kind = $2")
                .bind(term.clone())
                .bind(kind)
                .fetch_optional(&mut **tx)
                .await?;
        let mut list = stored.as_deref().map(decode_postings).unwrap_or_default();
        upsert_posting(&mut list, id as u32, new_terms.get(term).copied());
        if list.is_empty() {
            sqlx::query("DELETE FROM search_terms WHERE term = $1 AND kind = $2")
                .bind(term.clone())
                .bind(kind)
                .execute(&mut **tx)
                .await?;
        } else {
            sqlx::query(
                "INSERT INTO search_terms (term, kind, postings) VALUES ($1, $2, $3) \
                 ON CONFLICT (term, kind) DO UPDATE SET postings = excluded.postings",
            )
            .bind(term.clone())
            .bind(kind)
            .bind(encode_postings(&list))
            .execute(&mut **tx)
            .await?;
        }
        let delta = i64::from(new_terms.contains_key(term)) - i64::from(old_terms.contains(term));
        if delta != 0 {
            sqlx::query(
                "INSERT INTO search_vocab (term, df) VALUES ($1, $2) \
                 ON CONFLICT (term) DO UPDATE SET df = search_vocab.df + excluded.df",
            )
            .bind(term.clone())
            .bind(delta)
            .execute(&mut **tx)
            .await?;
        }
    }
    let (dn, dl) = match (&old, &doc) {
        (Some(o), Some(_)) => (0, i64::from(len.min(255)) - o.length.min(255)),
        (Some(o), None) => (-1, -o.length.min(255)),
        (None, Some(_)) => (1, i64::from(len.min(255))),
        (None, None) => (0, 0),
    };
    if dn != 0 || dl != 0 {
        sqlx::query(
            "INSERT INTO search_stats (kind, entries, total_length) VALUES ($1, $2, $3) \
             ON CONFLICT (kind) DO UPDATE SET entries = search_stats.entries + excluded.entries, \
             total_length = search_stats.total_length + excluded.total_length",
        )
        .bind(kind)
        .bind(dn)
        .bind(dl)
        .execute(&mut **tx)
        .await?;
    }
    sqlx::query("DELETE FROM search_entries WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    if let Some(d) = &doc {
        let terms: Vec<String> = new_terms.keys().cloned().collect();
        insert_batched(
            tx,
            "search_entries",
            &ENTRY_COLUMNS,
            vec![entry_cells(id, d, &terms, len)],
            "",
        )
        .await?;
    }
    Ok(())
}

/// What to search for.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    pub q: String,
    /// `cluster`, `organisation` or `project`.
    pub kind: Option<String>,
    pub country: Option<String>,
    pub region: Option<String>,
    pub sector: Option<String>,
    pub org_kind: Option<String>,
    /// Organisations: the NAF division (two digits), the headcount band, a pôle (slug).
    pub naf: Option<String>,
    pub size: Option<String>,
    pub pole: Option<String>,
}

impl SearchRequest {
    fn filters(&self) -> [(&'static str, Option<&str>); 7] {
        [
            ("country", self.country.as_deref()),
            ("region", self.region.as_deref()),
            ("sector", self.sector.as_deref()),
            ("org_kind", self.org_kind.as_deref()),
            ("naf", self.naf.as_deref()),
            ("size", self.size.as_deref()),
            ("pole", self.pole.as_deref()),
        ]
    }
}

/// The terms a query word reaches, with how it reached each.
struct WordTerms {
    word: String,
    terms: Vec<(String, Reach)>,
}

/// Terms of the index that start with `prefix` (longer than it), the most frequent first.
/// The terms that start with `$1` (longer than it, below `$2`), the 24 most frequent: how
/// many index terms one prefix may stand for.
const PREFIX_SQL: &str = "SELECT term FROM search_vocab WHERE term > $1 AND term < $2 AND df > 0 \
     ORDER BY df DESC, term LIMIT 24";

async fn prefixed(db: &Db, prefix: &str) -> Result<Vec<String>> {
    let Some(upper) = next_prefix(prefix) else {
        return Ok(vec![]);
    };
    Ok(sqlx::query_scalar(PREFIX_SQL)
        .bind(prefix.to_string())
        .bind(upper)
        .fetch_all(&db.pool)
        .await?)
}

/// The smallest string above every string that starts with `prefix`.
fn next_prefix(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    let last = chars.pop()?;
    let next = char::from_u32(last as u32 + 1)?;
    chars.push(next);
    Some(chars.into_iter().collect())
}

/// Near terms of a word that reaches nothing: same first letter, within its typo budget,
/// nearest first, then the most frequent.
async fn near_terms(db: &Db, word: &str) -> Result<Vec<String>> {
    let letters = word.chars().count();
    let budget = typo_budget(letters);
    if budget == 0 {
        return Ok(vec![]);
    }
    let first: String = word.chars().take(1).collect();
    let Some(upper) = next_prefix(&first) else {
        return Ok(vec![]);
    };
    let candidates: Vec<(String, i64)> = sqlx::query_as(
        "SELECT term, df FROM search_vocab WHERE term >= $1 AND term < $2 AND df > 0 \
         AND LENGTH(term) BETWEEN $3 AND $4",
    )
    .bind(first)
    .bind(upper)
    .bind((letters - budget) as i64)
    .bind((letters + budget) as i64)
    .fetch_all(&db.pool)
    .await?;
    let mut near: Vec<(usize, i64, String)> = candidates
        .into_iter()
        .filter_map(|(t, df)| edit_distance_within(word, &t, budget).map(|d| (d, df, t)))
        .collect();
    near.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
    Ok(near.into_iter().take(3).map(|(_, _, t)| t).collect())
}

/// Posting lists of `terms`, by term and kind.
async fn posting_lists(db: &Db, terms: &BTreeSet<String>, kind: Option<&str>) -> Result<Lists> {
    if terms.is_empty() {
        return Ok(HashMap::new());
    }
    let list: Vec<String> = terms.iter().cloned().collect();
    let placeholders: Vec<String> = (1..=list.len()).map(|i| format!("${i}")).collect();
    let mut sql = format!(
        "SELECT term, kind, postings FROM search_terms WHERE term IN ({})",
        placeholders.join(", ")
    );
    match kind {
        Some(_) => sql.push_str(&format!(" AND kind = ${}", list.len() + 1)),
        // Every kind of the groups, never the organisations' topics (read by the partner
        // search alone): their lists of a common word are long, and decoding them cost the
        // search "energy" at ten times the data about as much as all the rest.
        None => sql.push_str(&format!(" AND kind <> '{TOPICS_KIND}'")),
    }
    let mut q = sqlx::query_as::<_, (String, String, Vec<u8>)>(&sql);
    for t in &list {
        q = q.bind(t.clone());
    }
    if let Some(k) = kind {
        q = q.bind(k.to_string());
    }
    Ok(q.fetch_all(&db.pool)
        .await?
        .into_iter()
        .map(|(t, k, b)| ((t, k), decode_postings(&b)))
        .collect())
}

/// The entries that match a query, scored, per kind; and the words read as near words.
struct Matches {
    by_kind: BTreeMap<String, Vec<(u32, f64)>>,
    corrections: Vec<SearchCorrection>,
    /// Whether every match holds every word (else those that do come first, followed by
    /// those holding most of the words).
    every_word: bool,
}

/// Below this many matches holding every word (a page of results), the matches holding
/// most of the words follow them.
const FEW_HOLD_EVERY_WORD: usize = 10;

async fn find(db: &Db, q: &str, kind: Option<&str>, any_ok: bool) -> Result<Matches> {
    let words = query_words(q, 6);
    let mut plan: Vec<WordTerms> = Vec::new();
    for (i, w) in words.iter().enumerate() {
        let mut terms = vec![(w.clone(), Reach::Exact)];
        terms.extend(
            equivalent_terms(w)
                .iter()
                .map(|t| (t.clone(), Reach::Equivalent)),
        );
        // The last word is being typed; the others may be the start of a longer word.
        let min_prefix = if i + 1 == words.len() { 2 } else { 3 };
        if w.chars().count() >= min_prefix {
            for t in prefixed(db, w).await? {
                if !terms.iter().any(|(o, _)| *o == t) {
                    terms.push((t, Reach::Prefix));
                }
            }
        }
        plan.push(WordTerms {
            word: w.clone(),
            terms,
        });
    }
    let all: BTreeSet<String> = plan
        .iter()
        .flat_map(|w| w.terms.iter().map(|(t, _)| t.clone()))
        .collect();
    let mut lists = posting_lists(db, &all, kind).await?;
    // A word that reaches nothing may be a typo: read it as its nearest terms.
    let mut corrections = Vec::new();
    for w in &mut plan {
        if w.terms
            .iter()
            .any(|(t, _)| lists.keys().any(|(lt, _)| lt == t))
        {
            continue;
        }
        let near = near_terms(db, &w.word).await?;
        if let Some(first) = near.first() {
            corrections.push(SearchCorrection {
                typed: w.word.clone(),
                read_as: first.clone(),
            });
        }
        let set: BTreeSet<String> = near.iter().cloned().collect();
        lists.extend(posting_lists(db, &set, kind).await?);
        w.terms.extend(near.into_iter().map(|t| (t, Reach::Typo)));
    }
    let stats: Vec<(String, i64, i64)> =
        sqlx::query_as("SELECT kind, entries, total_length FROM search_stats")
            .fetch_all(&db.pool)
            .await?;
    // Each kind's per-word scores, combined requiring every word; when no entry of any kind
    // holds them all, combined again with any word, ranked by how many it holds.
    let mut scored = Vec::new();
    let kinds: Vec<&str> = match kind {
        Some(only) => vec![only],
        None => KINDS.to_vec(),
    };
    for k in kinds {
        let Some((_, n, total)) = stats.iter().find(|s| s.0 == k) else {
            continue;
        };
        scored.push((k, score_words(&plan, &lists, k, *n, *total)));
    }
    let combined = |any: bool| -> BTreeMap<String, Vec<(u32, f64)>> {
        scored
            .iter()
            .map(|(k, (per_word, boosts))| (k.to_string(), combine(per_word, boosts, any)))
            .collect()
    };
    let mut by_kind = combined(false);
    // Fewer than a page holding every word: those holding most words follow them (an
    // organisation's many topics can hold both words of "hydrogen storage" in two topics,
    // and alone would hide the pôle of energy storage).
    let holding_all: usize = by_kind.values().map(Vec::len).sum();
    let every_word = !(any_ok && plan.len() > 1 && holding_all < FEW_HOLD_EVERY_WORD);
    if !every_word {
        by_kind = combined(true);
    }
    Ok(Matches {
        by_kind,
        corrections,
        every_word,
    })
}

type Lists = HashMap<(String, String), Vec<Posting>>;

/// Per word of the query, each entry of `kind` that the word reaches and its BM25; and the
/// entries' boosts. The terms of one word share
/// one document frequency (the largest of theirs), so that a rare synonym or a rare longer
/// word does not outrank the word typed.
fn score_words(
    plan: &[WordTerms],
    lists: &Lists,
    kind: &str,
    entries: i64,
    total_length: i64,
) -> (Vec<HashMap<u32, f64>>, HashMap<u32, u8>) {
    let n = entries as f64;
    let avg = total_length as f64 / n.max(1.0);
    let mut per_word = Vec::with_capacity(plan.len());
    let mut boosts: HashMap<u32, u8> = HashMap::new();
    for w in plan {
        let word_lists: Vec<(&Vec<Posting>, Reach)> = w
            .terms
            .iter()
            .filter_map(|(t, r)| lists.get(&(t.clone(), kind.to_string())).map(|l| (l, *r)))
            .collect();
        let df = word_lists.iter().map(|(l, _)| l.len()).max().unwrap_or(0) as f64;
        // The word's terms count as one: their frequencies add up, each weighted by how it
        // was reached (how much the entry is about what the word means).
        let mut tf: HashMap<u32, (f64, u8)> = HashMap::new();
        for (list, reach) in word_lists {
            for p in list {
                boosts.insert(p.entry, p.boost);
                let e = tf.entry(p.entry).or_insert((0.0, p.len));
                e.0 += reach.weight() * f64::from(p.tf);
            }
        }
        let best: HashMap<u32, f64> = tf
            .into_iter()
            .map(|(id, (tf, len))| (id, bm25(tf, f64::from(len), avg, df, n)))
            .collect();
        per_word.push(best);
    }
    (per_word, boosts)
}

/// Sums the words' scores of each entry (all words required unless `any`), applies its
/// boost, and sorts best first (ties by entry, so both backends order alike).
fn combine(
    per_word: &[HashMap<u32, f64>],
    boosts: &HashMap<u32, u8>,
    any: bool,
) -> Vec<(u32, f64)> {
    let Some(first) = per_word.first() else {
        return vec![];
    };
    let mut ids: BTreeSet<u32> = first.keys().copied().collect();
    for m in &per_word[1..] {
        if any {
            ids.extend(m.keys().copied());
        } else {
            ids.retain(|id| m.contains_key(id));
        }
    }
    let mut out: Vec<(u32, f64)> = ids
        .into_iter()
        .map(|id| {
            let held = per_word.iter().filter(|m| m.contains_key(&id)).count();
            let sum: f64 = per_word.iter().filter_map(|m| m.get(&id)).sum();
            let boost = f64::from(*boosts.get(&id).unwrap_or(&10)) / 10.0;
            // Under `any`, each word held counts for more than any score.
            let score = sum * boost + if any { 1000.0 * held as f64 } else { 0.0 };
            (id, score)
        })
        .collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    out
}

/// An entry's facet values, read as a JSON array (see [`fetch_json_rows`]) or a row.
#[derive(serde::Deserialize)]
struct FacetRow {
    id: i64,
    country: Option<String>,
    regions: Option<String>,
    sectors: Option<String>,
    subkind: Option<String>,
    naf: Option<String>,
    size: Option<String>,
    poles: Option<String>,
}
from_row!(FacetRow {
    id,
    country,
    regions,
    sectors,
    subkind,
    naf,
    size,
    poles
});

const FACET_COLUMNS: [&str; 8] = [
    "id", "country", "regions", "sectors", "subkind", "naf", "size", "poles",
];

/// An entry's facet values, each text shared with the entries holding the same one.
struct Facets {
    country: Option<Arc<str>>,
    regions: Option<Arc<str>>,
    sectors: Option<Arc<str>>,
    subkind: Option<Arc<str>>,
    naf: Option<Arc<str>>,
    size: Option<Arc<str>>,
    poles: Option<Arc<str>>,
}

impl Facets {
    fn values(&self, field: &str) -> Vec<&str> {
        fn one(v: &Option<Arc<str>>) -> Vec<&str> {
            v.as_deref().into_iter().collect()
        }
        fn many(v: &Option<Arc<str>>) -> Vec<&str> {
            v.as_deref()
                .map(|r| r.split(' ').collect())
                .unwrap_or_default()
        }
        match field {
            "country" => one(&self.country),
            "region" => many(&self.regions),
            "sector" => many(&self.sectors),
            "naf" => one(&self.naf),
            "size" => one(&self.size),
            "pole" => many(&self.poles),
            _ => one(&self.subkind),
        }
    }
}

/// The facet values of pôle and organisation entries (projects have none). Read whole by
/// [`facet_table`], it is what a caller keeps per data version: a common word matches
/// thousands of organisations at ten times the data, and reading their values took 9 of
/// the 13 ms of the search "energy" on PostgreSQL (measured).
#[derive(Default)]
pub struct FacetTable {
    rows: HashMap<u32, Facets>,
}

impl FacetTable {
    fn from_rows(rows: Vec<FacetRow>) -> FacetTable {
        let mut texts: std::collections::HashSet<Arc<str>> = Default::default();
        let mut share = |v: Option<String>| -> Option<Arc<str>> {
            let v = v?;
            if let Some(t) = texts.get(v.as_str()) {
                return Some(t.clone());
            }
            let t: Arc<str> = Arc::from(v);
            texts.insert(t.clone());
            Some(t)
        };
        let rows = rows
            .into_iter()
            .map(|r| {
                (
                    r.id as u32,
                    Facets {
                        country: share(r.country),
                        regions: share(r.regions),
                        sectors: share(r.sectors),
                        subkind: share(r.subkind),
                        naf: share(r.naf),
                        size: share(r.size),
                        poles: share(r.poles),
                    },
                )
            })
            .collect();
        FacetTable { rows }
    }

    fn get(&self, id: u32) -> Option<&Facets> {
        self.rows.get(&id)
    }
}

/// The facet values of every pôle and organisation entry (see [`FacetTable`]).
pub async fn facet_table(db: &Db) -> Result<FacetTable> {
    read_facet_rows(db, "kind IN ('cluster', 'organisation')", vec![]).await
}

/// The facet values of the given entries.
async fn read_facets(db: &Db, ids: Vec<i64>) -> Result<FacetTable> {
    if ids.is_empty() {
        return Ok(FacetTable::default());
    }
    let ids = json_id_list(ids.into_iter());
    read_facet_rows(db, &id_in(db.backend, "id", 1), vec![ids.into()]).await
}

/// The facet values of the entries `filter` keeps (bound to `binds`).
async fn read_facet_rows(db: &Db, filter: &str, binds: Vec<Cell>) -> Result<FacetTable> {
    let from = format!("search_entries WHERE {filter}");
    let rows = if db.backend == Backend::Sqlite {
        // Thousands of rows: one JSON text crosses from the driver's thread instead of a
        // row at a time (1,963 rows at ten times the data: 10.8 ms, then 6.6). PostgreSQL
        // streams rows over its socket, where building and parsing the JSON cost more than
        // it saved.
        let mut conn = db.pool.acquire().await?;
        fetch_json_rows::<FacetRow>(&mut conn, &FACET_COLUMNS, &from, "id", binds).await?
    } else {
        let sql = format!("SELECT {} FROM {from}", FACET_COLUMNS.join(", "));
        crate::util::query_with(&sql, binds)
            .fetch_all(&db.pool)
            .await?
            .iter()
            .map(<FacetRow as sqlx::FromRow<_>>::from_row)
            .collect::<std::result::Result<_, _>>()?
    };
    Ok(FacetTable::from_rows(rows))
}

struct EntryRow {
    id: i64,
    kind: String,
    reference: String,
    title: String,
    subtitle: Option<String>,
}
from_row!(EntryRow {
    id,
    kind,
    reference,
    title,
    subtitle
});

/// Searches pôles, organisations and projects: the page asked for, the groups, the facets.
///
/// `facets`: the facet values of every entry ([`facet_table`]) when the caller keeps them at
/// the current data version; without them, those of the matched entries are read.
pub async fn search(
    db: &Db,
    req: &SearchRequest,
    page: Page,
    facets: Option<&FacetTable>,
) -> Result<SearchResults> {
    let empty = SearchResults {
        query: req.q.clone(),
        items: vec![],
        total: 0,
        groups: vec![],
        facets: vec![],
        corrections: vec![],
        every_word: true,
    };
    if query_words(&req.q, 6).is_empty() {
        return Ok(empty);
    }
    let mut found = find(db, &req.q, req.kind.as_deref(), true).await?;
    if req.kind.as_deref() == Some("organisation") {
        // The partner search: organisations also by what they worked on, below a match on
        // their names or declarations.
        let worked = find(db, &req.q, Some(TOPICS_KIND), true).await?;
        let orgs = found.by_kind.entry("organisation".into()).or_default();
        let mut best: HashMap<u32, f64> = orgs.iter().copied().collect();
        for (entry, score) in worked.by_kind.get(TOPICS_KIND).into_iter().flatten() {
            let id = entry_id("organisation", row_of(*entry))?;
            let s = best.entry(id).or_insert(0.0);
            *s = s.max(score * TOPICS_WEIGHT);
        }
        let mut merged: Vec<(u32, f64)> = best.into_iter().collect();
        merged.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        *orgs = merged;
        found.every_word = found.every_word && worked.every_word;
    }
    let filters = req.filters();
    let filtered = filters.iter().any(|(_, v)| v.is_some());
    // Facet values of the matched pôles and organisations (projects have none), from the
    // table the caller keeps, else read for these entries.
    let read;
    let facet_rows: &FacetTable = match facets {
        Some(table) => table,
        None => {
            let faceted: Vec<i64> = ["cluster", "organisation"]
                .iter()
                .filter_map(|k| found.by_kind.get(*k))
                .flat_map(|m| m.iter().map(|(id, _)| i64::from(*id)))
                .collect();
            read = read_facets(db, faceted).await?;
            &read
        }
    };
    let passes = |id: u32, skip: Option<&str>| -> bool {
        filters
            .iter()
            .filter(|(f, _)| Some(*f) != skip)
            .all(|(f, v)| match v {
                None => true,
                Some(v) => facet_rows.get(id).is_some_and(|r| r.values(f).contains(v)),
            })
    };
    let mut facets = Vec::new();
    for (field, _) in &filters {
        let mut counts: BTreeMap<&str, i64> = BTreeMap::new();
        for m in found.by_kind.values() {
            for (id, _) in m {
                if let Some(r) = facet_rows.get(*id) {
                    if passes(*id, Some(field)) {
                        for v in r.values(field) {
                            *counts.entry(v).or_default() += 1;
                        }
                    }
                }
            }
        }
        let mut values: Vec<FacetCount> = counts
            .into_iter()
            .map(|(value, count)| FacetCount {
                value: value.to_string(),
                count,
            })
            .collect();
        values.sort_by(|a, b| b.count.cmp(&a.count).then(a.value.cmp(&b.value)));
        facets.push(SearchFacet {
            field: field.to_string(),
            values,
        });
    }
    let kept: BTreeMap<&str, Vec<(u32, f64)>> = found
        .by_kind
        .iter()
        .map(|(k, m)| {
            let list = if filtered {
                m.iter()
                    .copied()
                    .filter(|(id, _)| passes(*id, None))
                    .collect()
            } else {
                m.clone()
            };
            (k.as_str(), list)
        })
        .collect();
    // The page: one kind's list, or pôles first then organisations and projects by their
    // score relative to their kind's best.
    let ordered: Vec<(u32, f64)> = match req.kind.as_deref() {
        Some(k) => kept.get(k).cloned().unwrap_or_default(),
        None => {
            let mut out: Vec<(u32, f64)> = kept.get("cluster").cloned().unwrap_or_default();
            let mut rest: Vec<(u32, f64, f64)> = Vec::new();
            for k in ["organisation", "project"] {
                let list = kept.get(k).cloned().unwrap_or_default();
                let best = list.first().map_or(1.0, |(_, s)| *s).max(f64::MIN_POSITIVE);
                rest.extend(list.into_iter().map(|(id, s)| (id, s, s / best)));
            }
            rest.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.cmp(&b.0)));
            out.extend(rest.into_iter().map(|(id, s, _)| (id, s)));
            out
        }
    };
    let total = ordered.len() as i64;
    let page_ids: Vec<(u32, f64)> = ordered
        .into_iter()
        .skip(page.offset.max(0) as usize)
        .take(page.limit.max(0) as usize)
        .collect();
    let mut wanted: Vec<(u32, f64)> = page_ids.clone();
    for k in KINDS {
        if let Some(list) = kept.get(k) {
            wanted.extend(list.iter().take(GROUP_TOP).copied());
        }
    }
    let mut shown: HashMap<u32, EntryRow> = HashMap::new();
    if !wanted.is_empty() {
        let sql = format!(
            "SELECT id, kind, ref AS reference, title, subtitle FROM search_entries WHERE {}",
            id_in(db.backend, "id", 1)
        );
        for r in sqlx::query_as::<_, EntryRow>(&sql)
            .bind(json_id_list(wanted.iter().map(|(id, _)| i64::from(*id))))
            .fetch_all(&db.pool)
            .await?
        {
            shown.insert(r.id as u32, r);
        }
    }
    let hit = |(id, score): &(u32, f64)| -> Option<SearchHit> {
        shown.get(id).map(|r| SearchHit {
            kind: r.kind.clone(),
            reference: r.reference.clone(),
            title: r.title.clone(),
            subtitle: r.subtitle.clone(),
            score: (score * 1000.0).round() as i64,
        })
    };
    let groups = KINDS
        .iter()
        .filter_map(|k| {
            kept.get(k).map(|list| SearchGroup {
                kind: k.to_string(),
                total: list.len() as i64,
                items: list.iter().take(GROUP_TOP).filter_map(hit).collect(),
            })
        })
        .collect();
    Ok(SearchResults {
        query: req.q.clone(),
        items: page_ids.iter().filter_map(hit).collect(),
        total,
        groups,
        facets,
        corrections: found.corrections,
        every_word: found.every_word,
    })
}

/// The ids of the rows of `kind` (organisations, projects) whose entries hold every word of
/// `q`; `None` when `q` has no word to search on.
pub(crate) async fn matching_entries(db: &Db, kind: &str, q: &str) -> Result<Option<Vec<i64>>> {
    if query_words(q, 6).is_empty() {
        return Ok(None);
    }
    let found = find(db, q, Some(kind), false).await?;
    Ok(Some(
        found
            .by_kind
            .get(kind)
            .map(|m| m.iter().map(|(id, _)| row_of(*id)).collect())
            .unwrap_or_default(),
    ))
}

/// The search's reads with example values, for [`crate::registry::read_path_plans`].
pub(crate) fn read_queries(backend: Backend) -> Vec<(&'static str, String, Vec<String>)> {
    vec![
        (
            "search: posting lists",
            "SELECT term, kind, postings FROM search_terms WHERE term IN ($1, $2)".into(),
            vec!["energy".into(), "energie".into()],
        ),
        (
            "search: prefixes",
            PREFIX_SQL.into(),
            vec!["ener".into(), "enes".into()],
        ),
        (
            "search: entries",
            format!(
                "SELECT id, kind, ref AS reference, title, subtitle FROM search_entries WHERE {}",
                id_in(backend, "id", 1)
            ),
            vec!["[1,2,3]".into()],
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_end_below_every_longer_word() {
        assert_eq!(next_prefix("ener").as_deref(), Some("enes"));
        assert!("energy" < "enes");
        assert_eq!(next_prefix(""), None);
    }

    #[test]
    fn every_word_must_match_unless_any_may() {
        let w1: HashMap<u32, f64> = [(1, 2.0), (2, 1.0)].into_iter().collect();
        let w2: HashMap<u32, f64> = [(2, 1.0), (3, 5.0)].into_iter().collect();
        let boosts = HashMap::new();
        let all = combine(&[w1.clone(), w2.clone()], &boosts, false);
        assert_eq!(all.iter().map(|m| m.0).collect::<Vec<_>>(), vec![2]);
        let any = combine(&[w1, w2], &boosts, true);
        assert_eq!(any.iter().map(|m| m.0).collect::<Vec<_>>(), vec![2, 3, 1]);
    }
}
