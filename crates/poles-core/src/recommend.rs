//! Partner suggestions for a consortium: given the partners so far and the project's topic,
//! call, programme and funding scheme, which organisations most likely belong in it.
//!
//! The engine works on the organisation–project graph of past projects ([`Graph`]). Each
//! candidate gets features ([`FEATURES`]): a three-step random walk from the new project
//! (project → a given partner → one of its projects → a member), shared past partners, its
//! history on the same topic, topic family, call, programme and scheme, its size, country
//! and kind. A linear model ranks them ([`Model`], trained offline by pairwise logistic
//! regression on consortia of the graph itself, each with one partner hidden and its own
//! project left out of every count); the baselines the model is measured against are
//! methods of the same engine ([`Method`]).

use crate::OrgKind;
use std::collections::HashMap;

/// An organisation of the graph.
#[derive(Debug, Clone)]
pub struct OrgNode {
    /// The registry's id.
    pub id: i64,
    /// The source's own id (CORDIS `new_org_id`), or the registry id as text.
    pub key: String,
    pub name: String,
    pub country: String,
    pub kind: OrgKind,
}

/// What a project is about: its topic code, call, programmes and funding scheme, as a past
/// project of the graph or the consortium to complete.
#[derive(Debug, Clone, Default)]
pub struct Subject {
    pub topic: String,
    pub call: String,
    pub programmes: Vec<String>,
    pub scheme: String,
    /// The topic's area ([`topic_area`]), kept: the walk compares it for every project it
    /// crosses.
    area: String,
}

impl Subject {
    /// `programme` as the sources write it: codes separated by `;`.
    pub fn new(topic: &str, call: &str, programme: &str, scheme: &str) -> Subject {
        Subject {
            topic: topic.to_string(),
            call: call.to_string(),
            programmes: programme
                .split(';')
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty())
                .collect(),
            scheme: scheme.to_string(),
            area: topic_area(topic),
        }
    }
}

/// A past project: its members and what it was about.
#[derive(Debug, Clone, Default)]
pub struct ProjectNode {
    pub members: Vec<u32>,
    pub subject: Subject,
}

/// A project as the store reads it: `(id, topic, call, programme, funding scheme)`.
pub type ProjectRow = (
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// The rows the graph is built from (as the store reads them).
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct GraphData {
    /// `(id, key, name, country, kind)`.
    pub organisations: Vec<(i64, String, String, Option<String>, String)>,
    /// `(id, topic, call, programme, funding scheme)`.
    pub projects: Vec<ProjectRow>,
    /// `(project id, organisation id)`.
    pub links: Vec<(i64, i64)>,
}

/// The organisation–project graph with its indexes by topic, call and programme.
#[derive(Debug, Default)]
pub struct Graph {
    pub orgs: Vec<OrgNode>,
    pub projects: Vec<ProjectNode>,
    org_projects: Vec<Vec<u32>>,
    by_key: HashMap<String, u32>,
    by_id: HashMap<i64, u32>,
    /// Projects by registry id.
    project_by_id: HashMap<i64, u32>,
    /// Projects by topic code, topic family, topic area, call, programme.
    index: HashMap<(Facet, String), Vec<u32>>,
    /// Organisations by number of projects, most first (the popularity baseline).
    popular: Vec<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Facet {
    Topic,
    Family,
    Area,
    Call,
    Programme,
}

/// A topic code's family: without its years ("FoF-02-2014" → "fof-02", "SC5-14-2016-2017" →
/// "sc5-14"): the same subject in the work programme's successive calls.
pub fn topic_family(topic: &str) -> String {
    let parts: Vec<&str> = topic
        .split('-')
        .filter(|p| !(p.len() == 4 && p.starts_with("20") && p.bytes().all(|b| b.is_ascii_digit())))
        .collect();
    parts.join("-").to_lowercase()
}

/// A topic code's area: its first part ("FoF", "PHC", "MSCA", "LCE").
pub fn topic_area(topic: &str) -> String {
    topic.split('-').next().unwrap_or_default().to_lowercase()
}

impl Graph {
    pub fn build(data: GraphData) -> Graph {
        let mut g = Graph::default();
        for (id, key, name, country, kind) in data.organisations {
            let node = g.orgs.len() as u32;
            g.by_key.insert(key.clone(), node);
            g.by_id.insert(id, node);
            g.orgs.push(OrgNode {
                id,
                key,
                name,
                country: country.unwrap_or_default(),
                kind: OrgKind::parse("kind", &kind).unwrap_or(OrgKind::Unknown),
            });
        }
        g.org_projects = vec![Vec::new(); g.orgs.len()];
        let project_node = &mut g.project_by_id;
        for (id, topic, call, programme, scheme) in data.projects {
            let node = g.projects.len() as u32;
            project_node.insert(id, node);
            let text = |v: Option<String>| v.unwrap_or_default();
            let subject = Subject::new(&text(topic), &text(call), &text(programme), &text(scheme));
            let mut keys = vec![];
            if !subject.topic.is_empty() {
                keys.push((Facet::Topic, subject.topic.to_lowercase()));
                keys.push((Facet::Family, topic_family(&subject.topic)));
                keys.push((Facet::Area, subject.area.clone()));
            }
            if !subject.call.is_empty() {
                keys.push((Facet::Call, subject.call.to_lowercase()));
            }
            keys.extend(
                subject
                    .programmes
                    .iter()
                    .map(|p| (Facet::Programme, p.to_lowercase())),
            );
            for k in keys {
                g.index.entry(k).or_default().push(node);
            }
            g.projects.push(ProjectNode {
                members: vec![],
                subject,
            });
        }
        for (project, org) in data.links {
            if let (Some(&p), Some(&o)) = (g.project_by_id.get(&project), g.by_id.get(&org)) {
                g.projects[p as usize].members.push(o);
                g.org_projects[o as usize].push(p);
            }
        }
        let mut popular: Vec<u32> = (0..g.orgs.len() as u32).collect();
        popular.sort_by(|a, b| {
            g.org_projects[*b as usize]
                .len()
                .cmp(&g.org_projects[*a as usize].len())
                .then(a.cmp(b))
        });
        g.popular = popular;
        g
    }

    /// The organisation of a source id (or registry id as text).
    pub fn by_key(&self, key: &str) -> Option<u32> {
        self.by_key.get(key).copied()
    }

    /// The organisation of a registry id.
    pub fn by_id(&self, id: i64) -> Option<u32> {
        self.by_id.get(&id).copied()
    }

    /// The past project of a registry id.
    pub fn project(&self, id: i64) -> Option<&ProjectNode> {
        self.project_by_id
            .get(&id)
            .map(|&p| &self.projects[p as usize])
    }

    /// What a new project is about, read from past projects that resemble it (a text
    /// search's best matches, best first): the topic code most of them share (the better
    /// ranked on a tie), with the call, programmes and funding scheme of the best-ranked
    /// project on that topic. `None` when none of them has a topic code.
    pub fn subject_like(&self, projects: &[i64]) -> Option<Subject> {
        let mut counts: HashMap<&str, (usize, usize)> = HashMap::new();
        let found: Vec<&ProjectNode> = projects.iter().filter_map(|id| self.project(*id)).collect();
        for (rank, p) in found.iter().enumerate() {
            if p.subject.topic.is_empty() {
                continue;
            }
            let e = counts.entry(p.subject.topic.as_str()).or_insert((0, rank));
            e.0 += 1;
        }
        let (topic, _) = counts
            .into_iter()
            .max_by(|a, b| a.1 .0.cmp(&b.1 .0).then(b.1 .1.cmp(&a.1 .1)))?;
        found
            .iter()
            .find(|p| p.subject.topic == topic)
            .map(|p| p.subject.clone())
    }

    /// How many past projects an organisation took part in.
    pub fn degree(&self, org: u32) -> usize {
        self.org_projects[org as usize].len()
    }

    fn projects_of(&self, facet: Facet, value: &str) -> &[u32] {
        self.index
            .get(&(facet, value.to_string()))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }
}

/// A consortium to complete.
#[derive(Debug, Clone, Default)]
pub struct Case {
    pub given: Vec<u32>,
    pub subject: Subject,
    /// A project of the graph left out of every count (training on the graph's own consortia).
    pub exclude: Option<u32>,
}

/// The features of a candidate, in this order.
pub const FEATURES: [&str; 18] = [
    "walk",
    "given_partners_worked_with",
    "projects_with_given_partners",
    "same_topic",
    "same_topic_family",
    "same_topic_area",
    "same_call",
    "same_programme",
    "same_scheme_share",
    "projects",
    "country_of_given_partners",
    "fills_missing_kind",
    "walk_same_area",
    "topic_partners",
    "adamic_adar",
    "shared_in_programme",
    "past_consortium_overlap",
    "past_consortia_with_several",
];
const N: usize = FEATURES.len();

/// Why a candidate is suggested, in figures the page words.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Reasons {
    /// Given partners it worked with before, by name (at most three).
    pub past_partners: Vec<String>,
    /// Its past projects with the given partners.
    pub shared_projects: u32,
    /// Its past projects on the same topic.
    pub same_topic: u32,
    /// Its past projects on the same subject in other years' calls.
    pub same_topic_family: u32,
    /// Its past projects in the same call.
    pub same_call: u32,
    /// Given partners of its country.
    pub same_country: u32,
    /// The consortium has no organisation of its kind yet (research, company).
    pub fills_missing_kind: bool,
}

/// One suggestion.
#[derive(Debug, Clone)]
pub struct Suggestion {
    pub org: u32,
    pub score: f64,
    pub reasons: Reasons,
}

/// A linear ranking model over standardised [`FEATURES`], with what it was trained on.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Model {
    pub features: Vec<String>,
    pub mean: Vec<f64>,
    pub scale: Vec<f64>,
    pub weights: Vec<f64>,
    /// SHA-256 of the graph data it was trained on, and its size.
    pub trained_on: TrainedOn,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TrainedOn {
    pub data_sha256: String,
    pub projects: usize,
    pub links: usize,
    pub cases: usize,
    pub seed: u64,
}

/// The model shipped with Pôles, trained on the shipped CORDIS extract by
/// `poles recommend train` (see `data/recommend/README.md`).
pub fn shipped_model() -> Result<Model, serde_json::Error> {
    serde_json::from_str(include_str!("../../../data/recommend/partners-model.json"))
}

/// How to rank: the model, or one of the baselines it is measured against.
#[derive(Debug, Clone, Copy)]
pub enum Method<'m> {
    /// The most frequent participants first.
    Popularity,
    /// Those who shared the most past projects with the given partners first (then popularity).
    CoPartners,
    /// A three-step random walk from the new project (project → given partner → its project
    /// → member).
    Walk,
    Model(&'m Model),
}

struct Candidate {
    org: u32,
    x: [f64; N],
    reasons: Reasons,
}

/// The candidates of a case and their features: every organisation the walk reaches or with
/// a past project on the same topic family or call, and the most frequent participants.
fn candidates(g: &Graph, case: &Case) -> Vec<Candidate> {
    let excluded = |p: u32| case.exclude == Some(p);
    let n = g.orgs.len();
    let given: Vec<u32> = case.given.clone();
    let is_given = |o: u32| given.contains(&o);
    let mut walk = vec![0f64; n];
    let mut walk_area = vec![0f64; n];
    let mut worked_with: HashMap<u32, Vec<u32>> = HashMap::new();
    let mut shared = vec![0u32; n];
    let subject = &case.subject;
    let area = &subject.area;
    let family = topic_family(&subject.topic);
    let mut adamic = vec![0f64; n];
    let mut shared_programme = vec![0u32; n];
    for &gp in &given {
        let projects: Vec<u32> = g.org_projects[gp as usize]
            .iter()
            .copied()
            .filter(|p| !excluded(*p))
            .collect();
        if projects.is_empty() {
            continue;
        }
        let projects_len = projects.len();
        let step1 = 1.0 / given.len() as f64;
        let step2 = step1 / projects.len() as f64;
        for p in projects {
            let node = &g.projects[p as usize];
            let step3 = step2 / node.members.len() as f64;
            let same_area = !area.is_empty() && node.subject.area == *area;
            let same_programme = node
                .subject
                .programmes
                .iter()
                .any(|p| subject.programmes.contains(p));
            // Adamic–Adar: a shared project says more when it was small and the given
            // partner took part in few.
            let aa = 1.0
                / ((node.members.len() as f64).ln_1p() * (projects_len as f64).ln_1p().max(0.5));
            for &m in &node.members {
                adamic[m as usize] += aa;
                if same_programme {
                    shared_programme[m as usize] += 1;
                }
                walk[m as usize] += step3;
                if same_area {
                    walk_area[m as usize] += step3;
                }
                if m != gp {
                    shared[m as usize] += 1;
                    let w = worked_with.entry(m).or_default();
                    if !w.contains(&gp) {
                        w.push(gp);
                    }
                }
            }
        }
    }
    // Past consortia that already held several of the given partners: a consortium often
    // meets again. Per candidate, the largest share of the given partners it was in a project
    // with at once, and how many of its projects held two or more of them.
    let mut given_in: HashMap<u32, u32> = HashMap::new();
    for &gp in &given {
        for &p in &g.org_projects[gp as usize] {
            if !excluded(p) {
                *given_in.entry(p).or_default() += 1;
            }
        }
    }
    let mut overlap = vec![0u32; n];
    let mut several = vec![0u32; n];
    for (&p, &k) in &given_in {
        for &m in &g.projects[p as usize].members {
            let i = m as usize;
            overlap[i] = overlap[i].max(k);
            if k >= 2 {
                several[i] += 1;
            }
        }
    }
    let mut counts: [Vec<u32>; 5] = std::array::from_fn(|_| vec![0u32; n]);
    let keys = [
        (Facet::Topic, subject.topic.to_lowercase()),
        (Facet::Family, family.clone()),
        (Facet::Area, area.clone()),
        (Facet::Call, subject.call.to_lowercase()),
    ];
    for (i, (facet, value)) in keys.iter().enumerate() {
        if value.is_empty() {
            continue;
        }
        for &p in g.projects_of(*facet, value) {
            if excluded(p) {
                continue;
            }
            for &m in &g.projects[p as usize].members {
                counts[i][m as usize] += 1;
            }
        }
    }
    // A project under two of the case's programmes counts once.
    let mut under: Vec<u32> = subject
        .programmes
        .iter()
        .flat_map(|pr| {
            g.projects_of(Facet::Programme, &pr.to_lowercase())
                .iter()
                .copied()
        })
        .filter(|p| !excluded(*p))
        .collect();
    under.sort_unstable();
    under.dedup();
    for p in under {
        for &m in &g.projects[p as usize].members {
            counts[4][m as usize] += 1;
        }
    }
    // Partners of the organisations that worked on the same topic family: who that
    // community works with.
    let mut topic_partners = vec![0f64; n];
    for &p in g.projects_of(Facet::Family, &family) {
        if excluded(p) {
            continue;
        }
        for &m in &g.projects[p as usize].members {
            for &q in &g.org_projects[m as usize] {
                if excluded(q) || q == p {
                    continue;
                }
                let members = &g.projects[q as usize].members;
                for &o in members {
                    topic_partners[o as usize] += 1.0 / members.len() as f64;
                }
            }
        }
    }
    let has_research = given
        .iter()
        .any(|o| g.orgs[*o as usize].kind.is_research_or_training());
    let has_company = given.iter().any(|o| g.orgs[*o as usize].kind.is_company());
    let mut pool: Vec<u32> = (0..n as u32)
        .filter(|o| {
            let i = *o as usize;
            walk[i] > 0.0 || counts[1][i] > 0 || counts[3][i] > 0
        })
        .collect();
    pool.extend(g.popular.iter().take(200).copied());
    pool.sort_unstable();
    pool.dedup();
    pool.retain(|o| !is_given(*o));
    pool.into_iter()
        .map(|o| {
            let i = o as usize;
            let node = &g.orgs[i];
            let mine: Vec<u32> = g.org_projects[i]
                .iter()
                .copied()
                .filter(|p| !excluded(*p))
                .collect();
            let degree = mine.len();
            let same_scheme = if subject.scheme.is_empty() || degree == 0 {
                0.0
            } else {
                mine.iter()
                    .filter(|p| g.projects[**p as usize].subject.scheme == subject.scheme)
                    .count() as f64
                    / degree as f64
            };
            let same_country = given
                .iter()
                .filter(|gp| {
                    !node.country.is_empty() && g.orgs[**gp as usize].country == node.country
                })
                .count();
            let fills = (node.kind.is_research_or_training() && !has_research)
                || (node.kind.is_company() && !has_company);
            let partners = worked_with.get(&o).cloned().unwrap_or_default();
            let ln = |v: u32| f64::from(v).ln_1p();
            let x = [
                (walk[i] * 1000.0).ln_1p(),
                partners.len() as f64 / given.len().max(1) as f64,
                ln(shared[i]),
                ln(counts[0][i]),
                ln(counts[1][i]),
                ln(counts[2][i]),
                ln(counts[3][i]),
                ln(counts[4][i]),
                same_scheme,
                (degree as f64).ln_1p(),
                same_country as f64 / given.len().max(1) as f64,
                f64::from(u8::from(fills)),
                (walk_area[i] * 1000.0).ln_1p(),
                topic_partners[i].ln_1p(),
                adamic[i].ln_1p(),
                ln(shared_programme[i]),
                f64::from(overlap[i]) / given.len().max(1) as f64,
                ln(several[i]),
            ];
            let reasons = Reasons {
                past_partners: partners
                    .iter()
                    .take(3)
                    .map(|p| g.orgs[*p as usize].name.clone())
                    .collect(),
                shared_projects: shared[i],
                same_topic: counts[0][i],
                same_topic_family: counts[1][i],
                same_call: counts[3][i],
                same_country: same_country as u32,
                fills_missing_kind: fills,
            };
            Candidate { org: o, x, reasons }
        })
        .collect()
}

/// The `k` organisations most likely to belong in the consortium, best first (ties by the
/// registry's order, so a ranking is the same every time).
pub fn rank(g: &Graph, case: &Case, method: Method, k: usize) -> Vec<Suggestion> {
    let mut scored: Vec<Suggestion> = match method {
        Method::Popularity => g
            .popular
            .iter()
            .filter(|o| !case.given.contains(o))
            .take(k)
            .map(|o| Suggestion {
                org: *o,
                score: g.degree(*o) as f64,
                reasons: Reasons::default(),
            })
            .collect(),
        _ => candidates(g, case)
            .into_iter()
            .map(|c| {
                let score = match method {
                    Method::CoPartners => f64::from(c.reasons.shared_projects) * 1e6 + c.x[9],
                    Method::Walk => c.x[0] * 1e3 + c.x[9] * 1e-3,
                    Method::Model(m) => m.score(&c.x),
                    Method::Popularity => c.x[9],
                };
                Suggestion {
                    org: c.org,
                    score,
                    reasons: c.reasons,
                }
            })
            .collect(),
    };
    scored.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.org.cmp(&b.org)));
    scored.truncate(k);
    scored
}

impl Model {
    fn score(&self, x: &[f64; N]) -> f64 {
        x.iter()
            .enumerate()
            .map(|(i, v)| {
                let z = (v - self.mean.get(i).copied().unwrap_or(0.0))
                    / self.scale.get(i).copied().unwrap_or(1.0);
                z * self.weights.get(i).copied().unwrap_or(0.0)
            })
            .sum()
    }
}

/// Negatives per training consortium.
const NEGATIVES: usize = 30;

/// A small deterministic generator (SplitMix64): the same seed trains the same model.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Trains the ranking model on the graph's own consortia of at least three partners: each
/// with one partner hidden and its project left out of every count, the hidden partner
/// should score above the other candidates (pairwise logistic regression, stochastic
/// gradient descent). `data_sha256` names the data the graph was built from.
pub fn train(g: &Graph, seed: u64, max_cases: usize, data_sha256: &str) -> Model {
    let mut rng = Rng(seed);
    let mut eligible: Vec<u32> = (0..g.projects.len() as u32)
        .filter(|p| g.projects[*p as usize].members.len() >= 3)
        .collect();
    // A seeded shuffle, then the first `max_cases`.
    for i in (1..eligible.len()).rev() {
        let j = rng.below(i + 1);
        eligible.swap(i, j);
    }
    eligible.truncate(max_cases);
    let mut pairs: Vec<([f64; N], [f64; N])> = Vec::new();
    for &p in &eligible {
        let node = &g.projects[p as usize];
        let hidden = node.members[rng.below(node.members.len())];
        let case = Case {
            given: node
                .members
                .iter()
                .copied()
                .filter(|m| *m != hidden)
                .collect(),
            subject: node.subject.clone(),
            exclude: Some(p),
        };
        let cands = candidates(g, &case);
        let Some(pos) = cands.iter().find(|c| c.org == hidden) else {
            continue;
        };
        // Negatives drawn uniformly from the other candidates: drawn from the walk's best
        // only, they taught the model that a high walk is a bad sign (the hidden partner
        // is most often below them), and it ranked worse than the walk alone.
        let others: Vec<&Candidate> = cands.iter().filter(|c| c.org != hidden).collect();
        for _ in 0..NEGATIVES {
            if others.is_empty() {
                break;
            }
            pairs.push((pos.x, others[rng.below(others.len())].x));
        }
    }
    // Standardise on the candidates seen.
    let mut mean = [0f64; N];
    let mut sq = [0f64; N];
    let count = (pairs.len() * 2).max(1) as f64;
    for (a, b) in &pairs {
        for i in 0..N {
            mean[i] += (a[i] + b[i]) / count;
        }
    }
    for (a, b) in &pairs {
        for i in 0..N {
            sq[i] += ((a[i] - mean[i]).powi(2) + (b[i] - mean[i]).powi(2)) / count;
        }
    }
    let scale: Vec<f64> = sq
        .iter()
        .map(|v| if *v > 1e-12 { v.sqrt() } else { 1.0 })
        .collect();
    let diffs: Vec<[f64; N]> = pairs
        .iter()
        .map(|(a, b)| std::array::from_fn(|i| (a[i] - b[i]) / scale[i]))
        .collect();
    let mut w = [0f64; N];
    let l2 = 1e-4;
    for epoch in 0..30 {
        let rate = 0.05 / (1.0 + epoch as f64 * 0.2);
        let mut order: Vec<usize> = (0..diffs.len()).collect();
        for i in (1..order.len()).rev() {
            let j = rng.below(i + 1);
            order.swap(i, j);
        }
        for idx in order {
            let d = &diffs[idx];
            let margin: f64 = (0..N).map(|i| w[i] * d[i]).sum();
            // d/dw of log(1 + e^-margin)
            let g = -1.0 / (1.0 + margin.exp());
            for i in 0..N {
                w[i] -= rate * (g * d[i] + l2 * w[i]);
            }
        }
    }
    Model {
        features: FEATURES.iter().map(|f| f.to_string()).collect(),
        mean: mean.to_vec(),
        scale,
        weights: w.to_vec(),
        trained_on: TrainedOn {
            data_sha256: data_sha256.to_string(),
            projects: g.projects.len(),
            links: g.projects.iter().map(|p| p.members.len()).sum(),
            cases: eligible.len(),
            seed,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph() -> Graph {
        // Two labs that work together on batteries, a company that joins them, and a
        // popular organisation of another field.
        let orgs = [
            (1, "lab-a", "company"),
            (2, "lab-b", "university"),
            (3, "maker", "sme"),
            (4, "big", "large_company"),
            (5, "other", "university"),
        ];
        let data = GraphData {
            organisations: orgs
                .iter()
                .map(|(id, key, kind)| {
                    (
                        *id,
                        key.to_string(),
                        key.to_string(),
                        Some("FR".into()),
                        kind.to_string(),
                    )
                })
                .collect(),
            projects: (1..=7)
                .map(|p| {
                    let topic = if p <= 3 { "LCE-10-2016" } else { "PHC-01-2014" };
                    (
                        p,
                        Some(topic.to_string()),
                        Some("call".into()),
                        Some("H2020-EU.3.3.".into()),
                        Some("RIA".into()),
                    )
                })
                .collect(),
            links: vec![
                (1, 1),
                (1, 2),
                (1, 3),
                (2, 1),
                (2, 2),
                (2, 3),
                (3, 1),
                (3, 3),
                (4, 4),
                (4, 5),
                (5, 4),
                (5, 5),
                (6, 4),
                (7, 4),
            ],
        };
        Graph::build(data)
    }

    #[test]
    fn a_new_projects_subject_is_the_topic_its_lookalikes_share() {
        let g = graph();
        // Projects 4 and 5 are on PHC-01-2014, 1 on LCE-10-2016: the majority wins even
        // when the best match is on another topic.
        let s = g.subject_like(&[1, 4, 5]).unwrap();
        assert_eq!(s.topic, "PHC-01-2014");
        assert_eq!(s.programmes, ["H2020-EU.3.3."]);
        // A tie goes to the better ranked topic; unknown projects are ignored.
        assert_eq!(g.subject_like(&[99, 2, 6]).unwrap().topic, "LCE-10-2016");
        assert!(g.subject_like(&[99]).is_none());
    }

    #[test]
    fn topic_codes_lose_their_years_for_the_family() {
        assert_eq!(topic_family("FoF-02-2014"), "fof-02");
        assert_eq!(topic_family("SC5-14-2016-2017"), "sc5-14");
        assert_eq!(topic_area("MSCA-ITN-2015"), "msca");
    }

    #[test]
    fn past_partners_on_the_topic_rank_first_and_given_ones_never() {
        let g = graph();
        let case = Case {
            given: vec![g.by_key("lab-a").unwrap(), g.by_key("lab-b").unwrap()],
            subject: Subject::new("LCE-10-2017", "call", "H2020-EU.3.3.", "RIA"),
            exclude: None,
        };
        for method in [Method::CoPartners, Method::Walk] {
            let ranked = rank(&g, &case, method, 3);
            assert_eq!(g.orgs[ranked[0].org as usize].key, "maker");
            assert!(ranked.iter().all(|s| !case.given.contains(&s.org)));
        }
        let pop = rank(&g, &case, Method::Popularity, 2);
        assert_eq!(g.orgs[pop[0].org as usize].key, "big");
        let top = &rank(&g, &case, Method::Walk, 1)[0];
        assert_eq!(top.reasons.past_partners, vec!["lab-a", "lab-b"]);
        assert_eq!(top.reasons.shared_projects, 5);
        assert_eq!(top.reasons.same_topic_family, 3);
    }

    #[test]
    fn a_trained_model_ranks_the_hidden_partner_and_is_reproducible() {
        let g = graph();
        let m = train(&g, 7, 100, "x");
        assert_eq!(m, train(&g, 7, 100, "x"));
        assert_eq!(m.weights.len(), FEATURES.len());
        let case = Case {
            given: vec![g.by_key("lab-a").unwrap(), g.by_key("lab-b").unwrap()],
            subject: Subject::new("LCE-10-2016", "", "", ""),
            exclude: Some(0),
        };
        let ranked = rank(&g, &case, Method::Model(&m), 2);
        assert_eq!(g.orgs[ranked[0].org as usize].key, "maker");
    }
}
