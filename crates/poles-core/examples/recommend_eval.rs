//! The partner-suggestion engine on a split written by `scripts/recommend-split.py`, without a
//! database: a quick loop for trying features and training choices (the measurement that
//! counts goes through the database: `scripts/eval-recommend.sh`).
//!
//!     [SINGLES=1] cargo run --release -p poles-core --example recommend_eval -- SPLIT_DIR [SEED]
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a developer's tool over files the split script wrote: a panic names the bad one"
)]

use poles_core::cordis;
use poles_core::recommend::{self, Case, Graph, GraphData, Method, Subject};
use std::collections::HashMap;
use std::fs::File;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = std::path::Path::new(&args[1]);
    let seed: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(2026);
    let train = dir.join("train");
    let open = |n: &str| File::open(train.join(n)).expect(n);
    let (projects, _) = cordis::parse_projects(open(cordis::PROJECTS_FILE)).expect("projects");
    let (orgs, _) = cordis::parse_organisations(open(cordis::ORGANISATIONS_FILE)).expect("orgs");
    let (edges, _) = cordis::parse_edges(open(cordis::EDGES_FILE)).expect("edges");
    let ids: HashMap<String, i64> = orgs
        .iter()
        .enumerate()
        .map(|(i, o)| (o.id.clone(), i as i64 + 1))
        .collect();
    let data = GraphData {
        organisations: orgs
            .iter()
            .enumerate()
            .map(|(i, o)| {
                let kind = cordis::infer_kind(&o.name, o.short_name.as_deref());
                (
                    i as i64 + 1,
                    o.id.clone(),
                    o.name.clone(),
                    o.country.clone(),
                    kind.as_str().to_string(),
                )
            })
            .collect(),
        projects: projects
            .iter()
            .map(|p| {
                let s = |v: &str| Some(v.to_string()).filter(|v| !v.is_empty());
                (
                    p.rcn,
                    s(&p.topic),
                    s(&p.call),
                    s(&p.programme),
                    s(&p.funding_scheme),
                )
            })
            .collect(),
        links: edges
            .iter()
            .filter_map(|e| ids.get(&e.org_id).map(|o| (e.project_rcn, *o)))
            .collect(),
    };
    let g = Graph::build(data);
    let t = std::time::Instant::now();
    let model = recommend::train(&g, seed, 3000, "");
    eprintln!(
        "trained in {:?}: {:?}",
        t.elapsed(),
        model
            .weights
            .iter()
            .map(|w| (w * 1000.0).round() / 1000.0)
            .collect::<Vec<_>>()
    );
    let hidden: HashMap<String, String> = std::fs::read_to_string(dir.join("answers.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["id"].as_str().unwrap().to_string(),
                v["hidden"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let cases: Vec<(String, Case)> = std::fs::read_to_string(dir.join("cases.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            let case = Case {
                given: v["given"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(|k| g.by_key(k.as_str().unwrap_or_default()))
                    .collect(),
                subject: Subject::new(
                    &s("topics"),
                    &s("call"),
                    &s("programme"),
                    &s("fundingScheme"),
                ),
                exclude: None,
            };
            (s("id"), case)
        })
        .collect();
    // SINGLES=1: each feature alone (with popularity to break ties), to see what it is worth.
    let singles: Vec<(String, recommend::Model)> = recommend::FEATURES
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let mut m = model.clone();
            m.mean = vec![0.0; m.weights.len()];
            m.scale = vec![1.0; m.weights.len()];
            m.weights = (0..m.weights.len())
                .map(|j| {
                    if i == j {
                        1.0
                    } else if j == 9 {
                        1e-3
                    } else {
                        0.0
                    }
                })
                .collect();
            (f.to_string(), m)
        })
        .collect();
    let mut methods: Vec<(String, Method)> = singles
        .iter()
        .map(|(n, m)| (n.clone(), Method::Model(m)))
        .collect();
    if std::env::var("SINGLES").is_err() {
        methods.clear();
    }
    for (name, method) in methods.into_iter().chain([
        ("model".to_string(), Method::Model(&model)),
        ("walk".to_string(), Method::Walk),
        ("copartners".to_string(), Method::CoPartners),
        ("popularity".to_string(), Method::Popularity),
    ]) {
        let t = std::time::Instant::now();
        let (mut r10, mut r50) = (0, 0);
        for (id, case) in &cases {
            let ranked = recommend::rank(&g, case, method, 50);
            let pos = ranked
                .iter()
                .position(|s| g.orgs[s.org as usize].key == hidden[id]);
            if pos.is_some_and(|p| p < 10) {
                r10 += 1;
            }
            if pos.is_some() {
                r50 += 1;
            }
        }
        let n = cases.len() as f64;
        println!(
            "{name:28} recall@10 {:.3} recall@50 {:.3}  ({:?})",
            r10 as f64 / n,
            r50 as f64 / n,
            t.elapsed()
        );
    }
}
