//! Benchmark (not a test): a call of 2,000 projects of 3 to 12 partners; eligibility and aid
//! of every project, then the ranking by weighted review score, on two threads.
//! Run with `scripts/bench-eligibility.sh`.

use poles_core::calls::{aid, eligibility, Costs, Labelling, Partner, ProjectFacts, RuleSet};
use poles_core::OrgKind;
use std::time::Instant;

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

fn project(rng: &mut Lcg) -> (ProjectFacts, [u8; 4]) {
    let kinds = [
        OrgKind::Sme,
        OrgKind::MidSize,
        OrgKind::LargeCompany,
        OrgKind::PublicResearch,
        OrgKind::University,
    ];
    let n = 3 + rng.below(10) as usize;
    let partners = (0..n)
        .map(|k| {
            let kind = kinds[rng.below(kinds.len() as u64) as usize];
            Partner {
                name: format!("partner {k}"),
                kind,
                independent: rng.below(10) > 0,
                lead: k == 0,
                costs: Costs {
                    staff: rng.below(2_000_000) as i64 * 100,
                    equipment: rng.below(400_000) as i64 * 100,
                    subcontracting: rng.below(200_000) as i64 * 100,
                    overheads: rng.below(300_000) as i64 * 100,
                },
                in_labelling_territory: rng.below(3) > 0,
                in_lead_territory: rng.below(2) > 0,
                in_rd_zone: rng.below(3) > 0,
                marginal_cost: rng.below(4) == 0,
            }
        })
        .collect();
    let labellings = vec![Labelling {
        cluster: "minalogic".into(),
        lead: true,
        labelled: rng.below(8) > 0,
        decided_on: Some(format!("2018-01-{:02}", 1 + rng.below(28))),
    }];
    let scores = [
        rng.below(6) as u8,
        rng.below(6) as u8,
        rng.below(6) as u8,
        rng.below(6) as u8,
    ];
    (
        ProjectFacts {
            partners,
            labellings,
        },
        scores,
    )
}

fn main() {
    let rules: RuleSet = serde_json::from_str(include_str!(
        "../../../data/calls/rulesets/fui-25-2018.json"
    ))
    .expect("rule set");
    let weights = [30i64, 30, 20, 20];
    let mut rng = Lcg(2018);
    let call: Vec<(ProjectFacts, [u8; 4])> = (0..2000).map(|_| project(&mut rng)).collect();
    let partners: usize = call.iter().map(|(p, _)| p.partners.len()).sum();
    let mut best = f64::MAX;
    let mut eligible_count = 0;
    for _ in 0..5 {
        let start = Instant::now();
        let half = call.len() / 2;
        let (a, b) = call.split_at(half);
        let assess = |chunk: &[(ProjectFacts, [u8; 4])]| -> Vec<(bool, i64, i64)> {
            chunk
                .iter()
                .map(|(p, s)| {
                    let e = eligibility(&rules, p, Some("2018-01-24"));
                    let money = aid(&rules, p);
                    let score: i64 = s.iter().zip(weights).map(|(x, w)| i64::from(*x) * w).sum();
                    (e.eligible, score, money.total_aid)
                })
                .collect()
        };
        let (ra, rb) = std::thread::scope(|sc| {
            let ha = sc.spawn(|| assess(a));
            let hb = sc.spawn(|| assess(b));
            (ha.join().expect("thread"), hb.join().expect("thread"))
        });
        let mut ranked: Vec<(usize, i64, i64)> = ra
            .into_iter()
            .chain(rb)
            .enumerate()
            .filter(|(_, (ok, _, _))| *ok)
            .map(|(k, (_, score, aid))| (k, score, aid))
            .collect();
        ranked.sort_by(|x, y| y.1.cmp(&x.1).then(x.2.cmp(&y.2)).then(x.0.cmp(&y.0)));
        eligible_count = ranked.len();
        best = best.min(start.elapsed().as_secs_f64());
    }
    println!("call: 2000 projects, {partners} partners; {eligible_count} eligible and ranked");
    println!(
        "eligibility + aid + ranking on 2 threads: {:.1} ms (best of 5)",
        best * 1000.0
    );
    println!("target: under 1 s → ratio {:.4} of the target", best / 1.0);
}
