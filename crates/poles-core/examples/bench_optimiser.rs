//! Benchmark (not a test): the allocation optimiser on a call of 1,000 ranked projects and
//! 25 funders (the State and 24 regions), beside funding in rank order until the money runs
//! out. Each project asks the State for half its aid and one or two regions for the rest;
//! every envelope holds 40 % of what is asked of it. Run with `scripts/bench-optimiser.sh
//! [seconds [projects [funders]]]` (the solver's time budget, 30 s by default).

use poles_core::optimise::{optimise, rank_order, Candidate, Envelope, Limits};
use std::time::{Duration, Instant};

/// A small deterministic generator, so that every run measures the same call.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn main() {
    let seconds: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    // Optional: projects and funders (1,000 × 25 by default, the instance).
    let arg = |k: usize, default: usize| {
        std::env::args()
            .nth(k)
            .and_then(|s| s.parse().ok())
            .unwrap_or(default)
    };
    let (n, funders) = (arg(2, 1_000), arg(3, 25).max(2));
    let mut rng = Lcg(2007);
    let mut cands: Vec<Candidate> = (0..n)
        .map(|k| {
            // Aid between €100k and €2.1M; weighted score 5.00 to 10.00 points.
            let aid = (100_000 + rng.below(2_000_000) as i64) * 100;
            let mut demand = vec![0i64; funders];
            demand[0] = aid / 2;
            let r1 = 1 + rng.below(funders as u64 - 1) as usize;
            if rng.below(3) == 0 {
                let r2 = 1 + rng.below(funders as u64 - 1) as usize;
                demand[r1] += aid / 4;
                demand[r2] += aid - aid / 2 - aid / 4;
            } else {
                demand[r1] += aid - aid / 2;
            }
            Candidate {
                id: k as i64 + 1,
                label: format!("P{}", k + 1),
                score: 500 + rng.below(501) as i64,
                demand,
            }
        })
        .collect();
    // Rank order: best score first.
    cands.sort_by(|a, b| b.score.cmp(&a.score).then(a.id.cmp(&b.id)));
    let envs: Vec<Envelope> = (0..funders)
        .map(|f| Envelope {
            funder: if f == 0 {
                "state".into()
            } else {
                format!("region:{f:02}")
            },
            available_cents: cands.iter().map(|c| c.demand[f]).sum::<i64>() * 40 / 100,
        })
        .collect();

    let t = Instant::now();
    let (rank, _) = rank_order(&cands, &envs);
    let rank_time = t.elapsed();
    // A second peer: rank order that skips a project that does not fit and goes on.
    let mut left: Vec<i64> = envs.iter().map(|e| e.available_cents).collect();
    let (mut skip_n, mut skip_obj) = (0, 0);
    for c in &cands {
        if c.demand.iter().zip(&left).all(|(d, l)| d <= l) {
            for (l, d) in left.iter_mut().zip(&c.demand) {
                *l -= d;
            }
            skip_n += 1;
            skip_obj += c.score;
        }
    }
    let t = Instant::now();
    let c = optimise(
        &cands,
        &envs,
        Limits {
            time: Duration::from_secs(seconds),
            nodes: None,
        },
    )
    .expect("solves");
    let opt_time = t.elapsed();
    for (s, e) in c.optimiser.spent.iter().zip(&envs) {
        assert!(*s <= e.available_cents, "never overspends");
    }
    println!("allocation optimiser: {n} projects x {funders} funders, solver budget {seconds} s");
    println!(
        "rank order : {:>4} projects, total weighted score {:>9.2}, {:>10.3} ms",
        rank.selected.len(),
        rank.objective as f64 / 100.0,
        rank_time.as_secs_f64() * 1e3
    );
    println!(
        "rank, skip : {:>4} projects, total weighted score {:>9.2} (rank order going on past what does not fit)",
        skip_n,
        skip_obj as f64 / 100.0
    );
    println!(
        "optimiser  : {:>4} projects, total weighted score {:>9.2}, {:>10.3} ms ({}; proven bound {}, gap {})",
        c.optimiser.selected.len(),
        c.optimiser.objective as f64 / 100.0,
        opt_time.as_secs_f64() * 1e3,
        c.status,
        c.bound.map(|b| format!("{:.2}", b as f64 / 100.0)).unwrap_or_else(|| "none".into()),
        c.gap_bp.map(|g| format!("{:.2}%", g as f64 / 100.0)).unwrap_or_else(|| "unknown".into()),
    );
    println!(
        "ratio      : objective optimiser / rank order = {:.3}; time optimiser / rank order = {:.0}",
        c.optimiser.objective as f64 / rank.objective.max(1) as f64,
        opt_time.as_secs_f64() / rank_time.as_secs_f64().max(1e-9)
    );
    println!(
        "changes    : {} projects differ between the two selections",
        c.changes.len()
    );
    println!(
        "solver     : started from {:.2} (greedy and LP-rounded selections improved by swaps); branch and bound added {:.2}",
        c.start_objective as f64 / 100.0,
        (c.optimiser.objective - c.start_objective) as f64 / 100.0
    );
}
