//! The allocation optimiser: from a call's ranked projects and each funder's envelope, the
//! selection that maximises the total weighted score without overspending any envelope,
//! beside funding in rank order until the money runs out.
//!
//! The selection is a 0-1 integer programme (a multi-dimensional knapsack) solved by branch
//! and bound over the simplex (the `microlp` crate). The solver starts from the better of
//! two greedy selections, so its answer is never worse than rank order; when a time or node
//! limit stops it first, the answer says "feasible" with the proven gap, never "optimal".

use microlp::{
    ComparisonOp, OptimizationDirection, Problem, SolveOptions, SolveOutcome, TerminationReason,
    Variable,
};
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};
use utoipa::ToSchema;

/// A project that could be funded: its score and what it asks of each funder (cents, in the
/// order of the envelopes).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Candidate {
    pub id: i64,
    pub label: String,
    /// Weighted score, in hundredths of a point.
    pub score: i64,
    pub demand: Vec<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = OptimiserEnvelope)]
pub struct Envelope {
    pub funder: String,
    /// What is left to commit, cents.
    pub available_cents: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Allocation {
    /// Selected candidates' ids, in rank order.
    pub selected: Vec<i64>,
    /// Total weighted score, hundredths of a point.
    pub objective: i64,
    /// Spent per envelope, cents.
    pub spent: Vec<i64>,
}

/// One project the two selections treat differently, and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Change {
    pub id: i64,
    pub label: String,
    pub rank: i64,
    pub in_optimiser: bool,
    pub in_rank_order: bool,
    pub reason_fr: String,
    pub reason_en: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Comparison {
    pub envelopes: Vec<Envelope>,
    pub optimiser: Allocation,
    /// `optimal` (proven by the solver) or `feasible` (a limit stopped it; see `gap_bp`).
    pub status: String,
    /// Upper bound on the best total score proven by the solver, hundredths of a point.
    pub bound: Option<i64>,
    /// Relative distance between the answer and the bound, basis points.
    pub gap_bp: Option<i64>,
    pub rank_order: Allocation,
    /// Rank of the project where rank order stopped, and the envelope that ran short.
    pub rank_order_stopped_at: Option<(i64, String)>,
    pub changes: Vec<Change>,
    /// Total score of the selection the solver started from: the best of three greedy
    /// selections (rank order skipping what does not fit, best score per share of the
    /// envelopes, the LP relaxation rounded), each improved by local search.
    pub start_objective: i64,
    pub solver: String,
    pub elapsed_ms: u128,
}

/// Solver budgets; the default suits an interactive page.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub time: Duration,
    /// A deterministic alternative to the time limit.
    pub nodes: Option<u64>,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            time: Duration::from_secs(5),
            nodes: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OptimiseError {
    #[error("candidate {0} has {1} demands for {2} envelopes")]
    Shape(i64, usize, usize),
    #[error("{0} must not be negative")]
    Negative(String),
    #[error("solver: {0}")]
    Solver(String),
}

fn check_shape(cands: &[Candidate], envs: &[Envelope]) -> Result<(), OptimiseError> {
    for c in cands {
        if c.demand.len() != envs.len() {
            return Err(OptimiseError::Shape(c.id, c.demand.len(), envs.len()));
        }
        if c.demand.iter().any(|d| *d < 0) || c.score < 0 {
            return Err(OptimiseError::Negative(format!("candidate {}", c.id)));
        }
    }
    if let Some(e) = envs.iter().find(|e| e.available_cents < 0) {
        return Err(OptimiseError::Negative(format!("envelope {}", e.funder)));
    }
    Ok(())
}

/// Builds an allocation from chosen indices, checking every envelope exactly.
fn allocation(cands: &[Candidate], envs: &[Envelope], chosen: &[bool]) -> Option<Allocation> {
    let mut spent = vec![0i64; envs.len()];
    let mut selected = Vec::new();
    let mut objective = 0;
    for (c, _) in cands.iter().zip(chosen).filter(|(_, on)| **on) {
        for (f, d) in c.demand.iter().enumerate() {
            spent[f] += d;
        }
        selected.push(c.id);
        objective += c.score;
    }
    spent
        .iter()
        .zip(envs)
        .all(|(s, e)| *s <= e.available_cents)
        .then_some(Allocation {
            selected,
            objective,
            spent,
        })
}

/// Funding in rank order (the candidates' order) until a project no longer fits: the
/// traditional funding line. Returns the allocation and where it stopped.
pub fn rank_order(cands: &[Candidate], envs: &[Envelope]) -> (Allocation, Option<(usize, usize)>) {
    let mut left: Vec<i64> = envs.iter().map(|e| e.available_cents).collect();
    let mut chosen = vec![false; cands.len()];
    let mut stop = None;
    for (k, c) in cands.iter().enumerate() {
        if let Some(f) = (0..envs.len()).find(|&f| c.demand[f] > left[f]) {
            stop = Some((k, f));
            break;
        }
        for (l, d) in left.iter_mut().zip(&c.demand) {
            *l -= d;
        }
        chosen[k] = true;
    }
    let a = allocation(cands, envs, &chosen).unwrap_or(Allocation {
        selected: vec![],
        objective: 0,
        spent: vec![0; envs.len()],
    });
    (a, stop)
}

/// Greedy in a given order, skipping what does not fit.
fn greedy(cands: &[Candidate], envs: &[Envelope], order: &[usize]) -> Vec<bool> {
    let mut left: Vec<i64> = envs.iter().map(|e| e.available_cents).collect();
    let mut chosen = vec![false; cands.len()];
    for &k in order {
        let c = &cands[k];
        if (0..envs.len()).all(|f| c.demand[f] <= left[f]) {
            for (l, d) in left.iter_mut().zip(&c.demand) {
                *l -= d;
            }
            chosen[k] = true;
        }
    }
    chosen
}

/// One constraint per envelope: what the chosen projects ask of it fits in it. Each is written
/// in its own scale (shares of the envelope), for the simplex's tolerances.
fn add_envelopes(p: &mut Problem, vars: &[Variable], cands: &[Candidate], envs: &[Envelope]) {
    for (f, e) in envs.iter().enumerate() {
        let scale = e.available_cents.max(1) as f64;
        let terms: Vec<_> = cands
            .iter()
            .zip(vars)
            .filter(|(c, _)| c.demand[f] > 0)
            .map(|(c, v)| (*v, c.demand[f] as f64 / scale))
            .collect();
        if !terms.is_empty() {
            p.add_constraint(terms, ComparisonOp::Le, e.available_cents as f64 / scale);
        }
    }
}

/// The candidates ordered by their value in the LP relaxation (fractional selection allowed),
/// ties by score: the order a rounding of the relaxation fills the envelopes in.
fn lp_order(cands: &[Candidate], envs: &[Envelope]) -> Option<Vec<usize>> {
    let mut p = Problem::new(OptimizationDirection::Maximize);
    let vars: Vec<_> = cands
        .iter()
        .map(|c| p.add_var(c.score as f64, (0.0, 1.0)))
        .collect();
    add_envelopes(&mut p, &vars, cands, envs);
    let sol = match p.solve().ok()? {
        SolveOutcome::Solution(sol) => sol,
        SolveOutcome::Interrupted(_) => return None,
    };
    let x: Vec<f64> = vars.iter().map(|v| sol.var_value_raw(*v)).collect();
    let mut order: Vec<usize> = (0..cands.len()).collect();
    order.sort_by(|&a, &b| {
        x[b].total_cmp(&x[a])
            .then(cands[b].score.cmp(&cands[a].score))
            .then(a.cmp(&b))
    });
    Some(order)
}

/// Local search on a feasible selection: adds what fits, and swaps a chosen project for a
/// better-scoring one when the envelopes allow, until nothing improves (bounded rounds).
fn improve(cands: &[Candidate], envs: &[Envelope], mut chosen: Vec<bool>) -> Vec<bool> {
    let mut left: Vec<i64> = envs.iter().map(|e| e.available_cents).collect();
    for (c, _) in cands.iter().zip(&chosen).filter(|(_, on)| **on) {
        for (l, d) in left.iter_mut().zip(&c.demand) {
            *l -= d;
        }
    }
    let fits = |left: &[i64], add: &Candidate, drop: Option<&Candidate>| {
        (0..left.len()).all(|f| add.demand[f] <= left[f] + drop.map_or(0, |d| d.demand[f]))
    };
    for _ in 0..50 {
        let mut better = false;
        for j in 0..cands.len() {
            if chosen[j] {
                continue;
            }
            if fits(&left, &cands[j], None) {
                for (l, d) in left.iter_mut().zip(&cands[j].demand) {
                    *l -= d;
                }
                chosen[j] = true;
                better = true;
                continue;
            }
            let swap = (0..cands.len())
                .filter(|&i| chosen[i] && cands[i].score < cands[j].score)
                .find(|&i| fits(&left, &cands[j], Some(&cands[i])));
            if let Some(i) = swap {
                for (f, l) in left.iter_mut().enumerate() {
                    *l += cands[i].demand[f] - cands[j].demand[f];
                }
                chosen[i] = false;
                chosen[j] = true;
                better = true;
            }
        }
        if !better {
            break;
        }
    }
    chosen
}

/// The best selection by exhaustive search: for checking the solver on small instances.
pub fn exhaustive(cands: &[Candidate], envs: &[Envelope]) -> Allocation {
    assert!(
        cands.len() <= 20,
        "exhaustive search is for small instances"
    );
    let mut best: Option<Allocation> = None;
    for mask in 0u32..(1u32 << cands.len()) {
        let chosen: Vec<bool> = (0..cands.len()).map(|k| mask & (1 << k) != 0).collect();
        if let Some(a) = allocation(cands, envs, &chosen) {
            if best.as_ref().is_none_or(|b| a.objective > b.objective) {
                best = Some(a);
            }
        }
    }
    best.unwrap_or(Allocation {
        selected: vec![],
        objective: 0,
        spent: vec![0; envs.len()],
    })
}

/// Solves the selection and compares it with rank order. `cands` are in rank order.
pub fn optimise(
    cands: &[Candidate],
    envs: &[Envelope],
    limits: Limits,
) -> Result<Comparison, OptimiseError> {
    check_shape(cands, envs)?;
    let started = Instant::now();
    if cands.is_empty() {
        let none = Allocation {
            selected: vec![],
            objective: 0,
            spent: vec![0; envs.len()],
        };
        return Ok(Comparison {
            envelopes: envs.to_vec(),
            optimiser: none.clone(),
            status: "optimal".into(),
            bound: Some(0),
            gap_bp: Some(0),
            rank_order: none,
            rank_order_stopped_at: None,
            changes: vec![],
            start_objective: 0,
            solver: "none needed: no candidate".into(),
            elapsed_ms: 0,
        });
    }
    let (rank, stop) = rank_order(cands, envs);

    // Warm start: the better of "rank order, skipping what does not fit" and "best score per
    // share of the envelopes used".
    let by_rank: Vec<usize> = (0..cands.len()).collect();
    let weight = |c: &Candidate| -> f64 {
        c.demand
            .iter()
            .zip(envs)
            .map(|(d, e)| *d as f64 / (e.available_cents.max(1)) as f64)
            .sum::<f64>()
    };
    let mut by_density = by_rank.clone();
    by_density.sort_by(|&a, &b| {
        let da = cands[a].score as f64 / weight(&cands[a]).max(1e-12);
        let db = cands[b].score as f64 / weight(&cands[b]).max(1e-12);
        db.total_cmp(&da).then(a.cmp(&b))
    });
    let g1 = greedy(cands, envs, &by_rank);
    let g2 = greedy(cands, envs, &by_density);
    let value = |ch: &[bool]| -> i64 {
        cands
            .iter()
            .zip(ch)
            .filter(|(_, on)| **on)
            .map(|(c, _)| c.score)
            .sum()
    };
    // And the LP relaxation's solution rounded greedily; each start then improved by swaps.
    let mut starts = vec![g1, g2];
    if let Some(order) = lp_order(cands, envs) {
        starts.push(greedy(cands, envs, &order));
    }
    let warm = starts
        .into_iter()
        .map(|start| improve(cands, envs, start))
        .max_by_key(|ch| value(ch))
        .unwrap_or_else(|| vec![false; cands.len()]);
    let start_objective = value(&warm);

    let mut p = Problem::new(OptimizationDirection::Maximize);
    let vars: Vec<_> = cands
        .iter()
        .map(|c| {
            // A project that alone exceeds an envelope can never be chosen.
            if c.demand
                .iter()
                .zip(envs)
                .any(|(d, e)| *d > e.available_cents)
            {
                p.add_integer_var(c.score as f64, (0, 0))
            } else {
                p.add_binary_var(c.score as f64)
            }
        })
        .collect();
    add_envelopes(&mut p, &vars, cands, envs);
    let mut options = SolveOptions::default();
    options.time_limit = Some(limits.time);
    options.node_limit = limits.nodes;
    options.warm_start = Some(
        vars.iter()
            .zip(&warm)
            .map(|(v, on)| (*v, if *on { 1.0 } else { 0.0 }))
            .collect(),
    );
    let outcome = p
        .solve_with(options)
        .map_err(|e| OptimiseError::Solver(e.to_string()))?;
    let (mut chosen, mut status, bound) = match &outcome {
        SolveOutcome::Solution(sol) => {
            let chosen: Vec<bool> = vars.iter().map(|v| sol.var_value(*v) > 0.5).collect();
            let optimal = matches!(sol.termination_reason(), TerminationReason::ProvenOptimal);
            let bound = sol.stats().best_bound.map(|b| b.floor() as i64);
            (chosen, if optimal { "optimal" } else { "feasible" }, bound)
        }
        SolveOutcome::Interrupted(_) => (warm.clone(), "feasible", None),
    };
    // The solver works in floating point: check every envelope exactly, and keep the warm
    // start if the answer overspends or is worse (both only on numerical trouble).
    let mut best = allocation(cands, envs, &chosen);
    if best.as_ref().is_none_or(|a| a.objective < value(&warm)) {
        chosen = warm.clone();
        best = allocation(cands, envs, &chosen);
        status = "feasible";
    }
    let best = best.ok_or_else(|| OptimiseError::Solver("no feasible selection".into()))?;
    let bound = if status == "optimal" {
        Some(best.objective)
    } else {
        bound.map(|b| b.max(best.objective))
    };
    let gap_bp = bound.map(|b| {
        if b <= 0 {
            0
        } else {
            ((b - best.objective) * 10_000 / b).max(0)
        }
    });
    let changes = explain(cands, envs, &chosen, &rank, stop);
    Ok(Comparison {
        envelopes: envs.to_vec(),
        status: status.into(),
        bound,
        gap_bp,
        rank_order_stopped_at: stop.map(|(k, f)| (k as i64 + 1, envs[f].funder.clone())),
        optimiser: best,
        rank_order: rank,
        changes,
        start_objective,
        solver: "microlp 0.6 (branch and bound over the simplex)".into(),
        elapsed_ms: started.elapsed().as_millis(),
    })
}

fn euros(cents: i64, lang: crate::Lang) -> String {
    crate::relief::exact_eur(cents, lang)
}

/// Why each project differs between the two selections.
fn explain(
    cands: &[Candidate],
    envs: &[Envelope],
    chosen: &[bool],
    rank: &Allocation,
    stop: Option<(usize, usize)>,
) -> Vec<Change> {
    let spent: Vec<i64> = (0..envs.len())
        .map(|f| {
            cands
                .iter()
                .zip(chosen)
                .filter(|(_, on)| **on)
                .map(|(c, _)| c.demand[f])
                .sum()
        })
        .collect();
    let mut out = Vec::new();
    for (k, c) in cands.iter().enumerate() {
        let in_rank = rank.selected.contains(&c.id);
        if in_rank == chosen[k] {
            continue;
        }
        let (fr, en) = if chosen[k] {
            match stop {
                Some((s, f)) => (
                    format!(
                        "Financé par l'optimiseur : l'ordre du classement ne l'atteint pas, il s'arrête au rang {} ({} demande {} à {}, il en reste {}) ; dans la sélection de l'optimiseur il tient dans toutes les enveloppes.",
                        s + 1, cands[s].label, euros(cands[s].demand[f], crate::Lang::Fr), envs[f].funder,
                        euros(envs[f].available_cents - rank.spent[f], crate::Lang::Fr)
                    ),
                    format!(
                        "Funded by the optimiser: rank order never reaches it, stopping at rank {} ({} asks {} of {}, {} left); in the optimiser's selection it fits within every envelope.",
                        s + 1, cands[s].label, euros(cands[s].demand[f], crate::Lang::En), envs[f].funder,
                        euros(envs[f].available_cents - rank.spent[f], crate::Lang::En)
                    ),
                ),
                None => ("Financé par l'optimiseur.".into(), "Funded by the optimiser.".into()),
            }
        } else {
            // The envelopes where it no longer fits beside the optimiser's selection.
            let tight: Vec<usize> = (0..envs.len())
                .filter(|&f| c.demand[f] > 0 && spent[f] + c.demand[f] > envs[f].available_cents)
                .collect();
            let names = tight
                .iter()
                .map(|&f| format!("{} {}", envs[f].funder, euros(c.demand[f], crate::Lang::En)))
                .collect::<Vec<_>>()
                .join(", ");
            let noms = tight
                .iter()
                .map(|&f| format!("{} {}", envs[f].funder, euros(c.demand[f], crate::Lang::Fr)))
                .collect::<Vec<_>>()
                .join(", ");
            let gained: i64 = cands
                .iter()
                .zip(chosen)
                .filter(|(o, on)| {
                    **on && !rank.selected.contains(&o.id) && tight.iter().any(|&f| o.demand[f] > 0)
                })
                .map(|(o, _)| o.score)
                .sum();
            (
                format!(
                    "Écarté par l'optimiseur : sa demande ({noms}) ne tient plus à côté de la sélection optimale ; cet argent finance des projets non retenus par le classement qui totalisent {} points pondérés, contre {} pour lui.",
                    gained as f64 / 100.0, c.score as f64 / 100.0
                ),
                format!(
                    "Left out by the optimiser: what it asks ({names}) no longer fits beside the optimal selection; that money funds projects rank order leaves out, worth {} weighted points together against its {}.",
                    gained as f64 / 100.0, c.score as f64 / 100.0
                ),
            )
        };
        out.push(Change {
            id: c.id,
            label: c.label.clone(),
            rank: k as i64 + 1,
            in_optimiser: chosen[k],
            in_rank_order: in_rank,
            reason_fr: fr,
            reason_en: en,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn env(v: &[i64]) -> Vec<Envelope> {
        v.iter()
            .enumerate()
            .map(|(k, a)| Envelope {
                funder: format!("f{k}"),
                available_cents: *a,
            })
            .collect()
    }

    fn cand(id: i64, score: i64, demand: &[i64]) -> Candidate {
        Candidate {
            id,
            label: format!("P{id}"),
            score,
            demand: demand.to_vec(),
        }
    }

    #[test]
    fn beats_rank_order_where_the_first_project_blocks() {
        // Rank order funds P1 (score 9, takes 80 of 100) then stops at P2 (asks 30).
        // P2 + P3 + P4 (8 + 7 + 6 = 21) fit in 100 together: the optimum is 21 > 9.
        let envs = env(&[100]);
        let cands = vec![
            cand(1, 900, &[80]),
            cand(2, 800, &[30]),
            cand(3, 700, &[30]),
            cand(4, 600, &[40]),
        ];
        let c = optimise(&cands, &envs, Limits::default()).unwrap();
        assert_eq!(c.rank_order.selected, vec![1]);
        assert_eq!(c.rank_order.objective, 900);
        assert_eq!(c.rank_order_stopped_at, Some((2, "f0".into())));
        assert_eq!(c.optimiser.selected, vec![2, 3, 4]);
        assert_eq!(c.optimiser.objective, 2100);
        assert_eq!(c.status, "optimal");
        assert_eq!(c.changes.len(), 4);
        assert!(c.changes[0].reason_en.starts_with("Left out"));
        assert!(c.changes[1].reason_en.contains("stopping at rank 2"));
    }

    #[test]
    fn a_project_above_an_envelope_is_never_chosen() {
        let envs = env(&[100, 50]);
        let cands = vec![cand(1, 1000, &[10, 60]), cand(2, 100, &[10, 10])];
        let c = optimise(&cands, &envs, Limits::default()).unwrap();
        assert_eq!(c.optimiser.selected, vec![2]);
        assert_eq!(c.rank_order.selected, Vec::<i64>::new());
    }

    #[test]
    fn no_candidate_is_trivially_optimal() {
        let c = optimise(&[], &env(&[100]), Limits::default()).unwrap();
        assert_eq!((c.status.as_str(), c.optimiser.objective), ("optimal", 0));
        // Zero envelopes and zero demands are fine too.
        let c = optimise(
            &[cand(1, 5, &[0]), cand(2, 7, &[1])],
            &env(&[0]),
            Limits::default(),
        )
        .unwrap();
        assert_eq!(c.optimiser.selected, vec![1]);
    }

    #[test]
    fn shape_errors_are_reported() {
        let e = optimise(&[cand(1, 1, &[1])], &env(&[1, 2]), Limits::default());
        assert!(matches!(e, Err(OptimiseError::Shape(1, 1, 2))));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(120))]
        /// On small instances the solver's answer equals an exhaustive search, never
        /// overspends, and is never below rank order.
        #[test]
        fn equals_exhaustive_search(
            n in 1usize..11,
            funders in 1usize..4,
            seed in proptest::collection::vec((1i64..1000, 0i64..500, 0i64..500, 0i64..500), 11),
            budgets in proptest::collection::vec(0i64..1500, 3),
        ) {
            let envs = env(&budgets[..funders]);
            let cands: Vec<Candidate> = seed[..n]
                .iter()
                .enumerate()
                .map(|(k, (s, a, b, c))| cand(k as i64 + 1, *s, &[*a, *b, *c][..funders]))
                .collect();
            let best = exhaustive(&cands, &envs);
            let got = optimise(&cands, &envs, Limits::default()).unwrap();
            prop_assert_eq!(got.status.as_str(), "optimal");
            prop_assert_eq!(got.optimiser.objective, best.objective);
            prop_assert!(got.optimiser.objective >= got.rank_order.objective);
            for (s, e) in got.optimiser.spent.iter().zip(&envs) {
                prop_assert!(*s <= e.available_cents);
            }
            for (s, e) in got.rank_order.spent.iter().zip(&envs) {
                prop_assert!(*s <= e.available_cents);
            }
        }
    }
}
