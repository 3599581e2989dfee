//! The pure parts of the search engine: how text becomes terms, how a posting list is
//! stored, which words mean the same thing in French and English, how near a typo is, and
//! the BM25 relevance score. The store keeps the index in the database (so that every app
//! server sees the same one) and calls these; both backends therefore rank alike.

use crate::text::normalize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::OnceLock;

const VOCABULARY: &str = include_str!("../../../data/search/vocabulary.csv");
const STOP_WORDS: &str = include_str!("../../../data/search/stopwords.txt");

/// BM25's term-frequency saturation and length normalisation (the usual values).
const K1: f64 = 1.2;
const B: f64 = 0.75;

/// One entry of a term's posting list: the entry, how often the term occurs in it (weighted
/// by field, capped), the entry's length in terms (capped) and its boost (tenths, 10 = none).
/// Length and boost ride in the posting so that ranking needs no other read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Posting {
    pub entry: u32,
    pub tf: u8,
    pub len: u8,
    pub boost: u8,
}

const POSTING_BYTES: usize = 7;

/// Posting lists as stored: seven bytes per entry (id little-endian, tf, length, boost),
/// sorted by entry.
pub fn encode_postings(postings: &[Posting]) -> Vec<u8> {
    let mut out = Vec::with_capacity(postings.len() * POSTING_BYTES);
    for p in postings {
        out.extend_from_slice(&p.entry.to_le_bytes());
        out.extend_from_slice(&[p.tf, p.len, p.boost]);
    }
    out
}

/// Reads a stored posting list; trailing bytes short of a posting are ignored.
pub fn decode_postings(bytes: &[u8]) -> Vec<Posting> {
    bytes
        .chunks_exact(POSTING_BYTES)
        .map(|c| Posting {
            entry: u32::from_le_bytes([c[0], c[1], c[2], c[3]]),
            tf: c[4],
            len: c[5],
            boost: c[6],
        })
        .collect()
}

/// Replaces `entry`'s posting in a sorted list (removes it with `None`).
pub fn upsert_posting(list: &mut Vec<Posting>, entry: u32, new: Option<Posting>) {
    match (list.binary_search_by_key(&entry, |p| p.entry), new) {
        (Ok(i), Some(p)) => list[i] = p,
        (Ok(i), None) => {
            list.remove(i);
        }
        (Err(i), Some(p)) => list.insert(i, p),
        (Err(_), None) => {}
    }
}

fn stop_words() -> &'static HashSet<String> {
    static STOP: OnceLock<HashSet<String>> = OnceLock::new();
    STOP.get_or_init(|| {
        STOP_WORDS
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(normalize)
            .collect()
    })
}

/// Whether a normalised word is too common to search on.
pub fn is_stop_word(term: &str) -> bool {
    stop_words().contains(term)
}

/// The terms of a text with their weighted frequencies, for indexing: each field's words
/// count `weight` times; stop words and one-letter words are left out. Also the text's
/// length in terms (unweighted).
pub fn analyse(fields: &[(&str, u32)]) -> (BTreeMap<String, u32>, u32) {
    let mut terms: BTreeMap<String, u32> = BTreeMap::new();
    let mut len = 0u32;
    for (text, weight) in fields {
        for t in normalize(text).split(' ') {
            if t.chars().count() < 2 || is_stop_word(t) {
                continue;
            }
            len += 1;
            *terms.entry(t.to_string()).or_default() += weight;
        }
    }
    (terms, len)
}

/// The words of a query to search on: normalised, distinct, stop words left out unless
/// nothing else is left, at most `max`.
pub fn query_words(q: &str, max: usize) -> Vec<String> {
    let mut all: Vec<String> = Vec::new();
    for t in normalize(q).split(' ') {
        if !t.is_empty() && !all.iter().any(|o| o == t) {
            all.push(t.to_string());
        }
    }
    let kept: Vec<String> = all.iter().filter(|t| !is_stop_word(t)).cloned().collect();
    let mut out = if kept.is_empty() { all } else { kept };
    out.truncate(max);
    out
}

fn equivalents() -> &'static HashMap<String, Vec<String>> {
    static EQ: OnceLock<HashMap<String, Vec<String>>> = OnceLock::new();
    EQ.get_or_init(|| {
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        for line in VOCABULARY.lines().filter(|l| !l.starts_with('#')).skip(1) {
            let Some((_, words)) = line.split_once(',') else {
                continue;
            };
            // A word that folds to several terms ("low-carbon") cannot stand for one term.
            let group: Vec<String> = words
                .split('|')
                .map(normalize)
                .filter(|w| !w.is_empty() && !w.contains(' '))
                .collect();
            for w in &group {
                let e = map.entry(w.clone()).or_default();
                for o in &group {
                    if o != w && !e.contains(o) {
                        e.push(o.clone());
                    }
                }
            }
        }
        map
    })
}

/// The other words of the programme's vocabulary that mean the same as `term` (normalised),
/// in French and English (`data/search/vocabulary.csv`).
pub fn equivalent_terms(term: &str) -> &'static [String] {
    equivalents().get(term).map_or(&[], Vec::as_slice)
}

/// How many edits a typo may hold in a word of this many letters.
pub fn typo_budget(letters: usize) -> usize {
    match letters {
        0..=4 => 0,
        5..=8 => 1,
        _ => 2,
    }
}

/// The optimal-string-alignment distance between two words (insertions, deletions,
/// substitutions, swaps of neighbours), or `None` when it is over `max`.
pub fn edit_distance_within(a: &str, b: &str, max: usize) -> Option<usize> {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for (j, cell) in d.iter_mut().take(w).enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        d[i * w] = i;
        let mut row_min = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1)
                .min(d[(i - 1) * w + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
            row_min = row_min.min(v);
        }
        if row_min > max {
            return None;
        }
    }
    let dist = d[a.len() * w + b.len()];
    (dist <= max).then_some(dist)
}

/// BM25 of one term in one entry: `df` entries of `n` hold the term, the entry holds it
/// `tf` times (weighted) in `len` terms, entries average `avg_len` terms.
pub fn bm25(tf: f64, len: f64, avg_len: f64, df: f64, n: f64) -> f64 {
    let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
    let norm = 1.0 - B + B * len / avg_len.max(1.0);
    idf * tf * (K1 + 1.0) / (tf + K1 * norm)
}

/// How a term of the index was reached from a word of the query, and how much a match
/// through it is worth against the word itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    Exact,
    Equivalent,
    Prefix,
    Typo,
}

impl Reach {
    pub fn weight(self) -> f64 {
        match self {
            Reach::Exact => 1.0,
            Reach::Equivalent => 0.9,
            Reach::Prefix => 0.7,
            Reach::Typo => 0.5,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postings_round_trip_and_stay_sorted() {
        let mut list = vec![];
        for e in [5u32, 1, 9, 70_000] {
            upsert_posting(
                &mut list,
                e,
                Some(Posting {
                    entry: e,
                    tf: 1,
                    len: 3,
                    boost: 10,
                }),
            );
        }
        upsert_posting(&mut list, 9, None);
        let back = decode_postings(&encode_postings(&list));
        assert_eq!(
            back.iter().map(|p| p.entry).collect::<Vec<_>>(),
            vec![1, 5, 70_000]
        );
        assert_eq!(back, list);
    }

    #[test]
    fn french_and_english_words_of_a_theme_are_equivalent() {
        assert!(equivalent_terms("energie").contains(&"energy".to_string()));
        assert!(equivalent_terms("energy").contains(&"energetique".to_string()));
        assert!(equivalent_terms("vaccines").contains(&"vaccins".to_string()));
        assert!(equivalent_terms("aerospace").contains(&"aeronautique".to_string()));
        assert!(equivalent_terms("zzz").is_empty());
    }

    #[test]
    fn queries_drop_stop_words_unless_nothing_else_is_left() {
        assert_eq!(query_words("Pôle de l'énergie", 6), vec!["pole", "energie"]);
        assert_eq!(query_words("de la", 6), vec!["de", "la"]);
    }

    #[test]
    fn typos_are_near_and_other_words_are_not() {
        assert_eq!(edit_distance_within("aerospcae", "aerospace", 2), Some(1));
        assert_eq!(edit_distance_within("minalogik", "minalogic", 1), Some(1));
        assert_eq!(edit_distance_within("energy", "biotech", 2), None);
        assert_eq!(typo_budget(4), 0);
    }

    #[test]
    fn bm25_prefers_rarer_terms_and_shorter_entries() {
        let rare = bm25(1.0, 5.0, 5.0, 2.0, 1000.0);
        let common = bm25(1.0, 5.0, 5.0, 500.0, 1000.0);
        assert!(rare > common);
        let short = bm25(1.0, 3.0, 10.0, 2.0, 1000.0);
        let long = bm25(1.0, 30.0, 10.0, 2.0, 1000.0);
        assert!(short > long);
        let (terms, len) = analyse(&[("Pôle Énergie", 3), ("énergie de la mer", 1)]);
        assert_eq!(terms.get("energie"), Some(&4));
        assert_eq!(len, 4);
    }
}
