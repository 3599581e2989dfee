//! Blind review, shared by the calls for projects (applications) and the label campaigns
//! (pôles' candidacies): what a reviewer submits is checked the same way, what a reviewer
//! reads of the others is the same blind view, and a synthesis weighs the marks by the
//! criteria's weights. Each process keeps its own tables; this module is what they share.

use crate::FieldError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One criterion's mark in a review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Score {
    /// The criterion's position (1 when a call lists none: an overall mark).
    pub criterion: i64,
    /// 0 to 10.
    pub score: i64,
    pub comment: Option<String>,
}

/// The longest comment kept (characters).
pub const COMMENT_MAX: usize = 5000;

/// Checks a review before it is stored: a mark of 0 to 10 for every criterion expected,
/// none for a criterion not expected, none twice, comments of at most [`COMMENT_MAX`]
/// characters.
pub fn check(criteria: &[i64], scores: &[Score]) -> Result<(), FieldError> {
    if let Some(s) = scores.iter().find(|s| !(0..=10).contains(&s.score)) {
        return Err(FieldError::new(
            format!("scores[{}].score", s.criterion),
            "must be 0 to 10",
        ));
    }
    if let Some(s) = scores.iter().find(|s| {
        s.comment
            .as_ref()
            .is_some_and(|c| c.chars().count() > COMMENT_MAX)
    }) {
        return Err(FieldError::new(
            format!("scores[{}].comment", s.criterion),
            format!("must be at most {COMMENT_MAX} characters"),
        ));
    }
    for pos in criteria {
        match scores.iter().filter(|s| s.criterion == *pos).count() {
            0 => {
                return Err(FieldError::new(
                    "scores",
                    format!("criterion {pos} has no score"),
                ))
            }
            1 => {}
            _ => {
                return Err(FieldError::new(
                    "scores",
                    format!("criterion {pos} is scored twice"),
                ))
            }
        }
    }
    if scores.iter().any(|s| !criteria.contains(&s.criterion)) {
        return Err(FieldError::new(
            "scores",
            "names a criterion that is not expected",
        ));
    }
    Ok(())
}

/// One other reviewer's scores, named only by their order of submission.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OtherReview {
    pub reviewer: String,
    pub scores: Vec<Score>,
}

/// A review as its reviewer reads it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReviewView {
    pub submitted: bool,
    pub mine: Vec<Score>,
    /// The other reviewers' scores: shown only once one's own are submitted.
    pub others: Option<Vec<OtherReview>>,
}

/// The blind view of reviewer `me` over every submitted mark (`(reviewer id, score)` in
/// order of submission): their own marks, and the others' — numbered, never named — only
/// once their own review is submitted.
pub fn blind(me: i64, submitted: bool, marks: Vec<(i64, Score)>) -> ReviewView {
    let mut mine = Vec::new();
    let mut others: Vec<(i64, OtherReview)> = Vec::new();
    for (who, score) in marks {
        if who == me {
            mine.push(score);
        } else {
            match others.iter_mut().find(|(id, _)| *id == who) {
                Some((_, o)) => o.scores.push(score),
                None => {
                    let n = others.len() + 1;
                    others.push((
                        who,
                        OtherReview {
                            reviewer: format!("reviewer {n}"),
                            scores: vec![score],
                        },
                    ));
                }
            }
        }
    }
    ReviewView {
        submitted,
        mine,
        others: submitted.then(|| others.into_iter().map(|(_, o)| o).collect()),
    }
}

/// A criterion's average over the submitted reviews.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CriterionAverage {
    pub criterion: i64,
    /// In hundredths of a point.
    pub average: i64,
}

/// What the submitted reviews of one subject come to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Synthesis {
    /// How many reviews the figures average.
    pub reviews: i64,
    pub averages: Vec<CriterionAverage>,
    /// The averages weighted by the criteria's weights, in hundredths of a point (10 points
    /// = 1000); `None` before any review.
    pub weighted_total: Option<i64>,
}

/// The synthesis of submitted marks (`(reviewer id, score)`) over criteria given as
/// `(position, weight)`: per-criterion averages and their weighted mean, rounded to the
/// nearest hundredth of a point.
pub fn synthesis(criteria: &[(i64, i64)], marks: &[(i64, Score)]) -> Synthesis {
    let mut reviewers: Vec<i64> = marks.iter().map(|(r, _)| *r).collect();
    reviewers.sort_unstable();
    reviewers.dedup();
    let averages: Vec<CriterionAverage> = criteria
        .iter()
        .filter_map(|(pos, _)| {
            let (sum, n) = marks
                .iter()
                .filter(|(_, s)| s.criterion == *pos)
                .fold((0i64, 0i64), |(sum, n), (_, s)| (sum + s.score, n + 1));
            (n > 0).then(|| CriterionAverage {
                criterion: *pos,
                average: (sum * 100 * 2 + n) / (2 * n),
            })
        })
        .collect();
    let weight: i64 = criteria
        .iter()
        .filter(|(pos, _)| averages.iter().any(|a| a.criterion == *pos))
        .map(|(_, w)| *w)
        .sum();
    let weighted_total = (weight > 0).then(|| {
        let total: i64 = averages
            .iter()
            .map(|a| {
                let w = criteria
                    .iter()
                    .find(|(p, _)| *p == a.criterion)
                    .map_or(0, |(_, w)| *w);
                a.average * w
            })
            .sum();
        (total * 2 + weight) / (2 * weight)
    });
    Synthesis {
        reviews: reviewers.len() as i64,
        averages,
        weighted_total,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(criterion: i64, score: i64) -> Score {
        Score {
            criterion,
            score,
            comment: None,
        }
    }

    #[test]
    fn a_review_scores_every_criterion_once_within_the_scale() {
        assert!(check(&[1, 2], &[s(1, 7), s(2, 0)]).is_ok());
        assert_eq!(
            check(&[1, 2], &[s(1, 7)]).unwrap_err().reason,
            "criterion 2 has no score"
        );
        assert_eq!(
            check(&[1], &[s(1, 11)]).unwrap_err().field,
            "scores[1].score"
        );
        assert_eq!(
            check(&[1], &[s(1, 3), s(1, 4)]).unwrap_err().reason,
            "criterion 1 is scored twice"
        );
        assert_eq!(
            check(&[1], &[s(1, 3), s(9, 4)]).unwrap_err().field,
            "scores"
        );
        let long = Score {
            comment: Some("x".repeat(COMMENT_MAX + 1)),
            ..s(1, 5)
        };
        assert_eq!(check(&[1], &[long]).unwrap_err().field, "scores[1].comment");
    }

    #[test]
    fn a_reviewer_sees_the_others_numbered_and_only_after_submitting() {
        let marks = vec![(5, s(1, 8)), (7, s(1, 6)), (9, s(1, 4))];
        let before = blind(7, false, marks.clone());
        assert_eq!(before.mine, vec![s(1, 6)]);
        assert!(before.others.is_none());
        let after = blind(7, true, marks);
        let others = after.others.unwrap();
        assert_eq!(others.len(), 2);
        assert_eq!(others[0].reviewer, "reviewer 1");
        assert_eq!(others[1].scores, vec![s(1, 4)]);
    }

    #[test]
    fn the_synthesis_weighs_each_criterion_average() {
        // Criterion 1 weighs 3, criterion 2 weighs 1; two reviewers.
        let marks = vec![(1, s(1, 8)), (1, s(2, 4)), (2, s(1, 7)), (2, s(2, 5))];
        let x = synthesis(&[(1, 3), (2, 1)], &marks);
        assert_eq!(x.reviews, 2);
        assert_eq!(x.averages[0].average, 750);
        assert_eq!(x.averages[1].average, 450);
        // (750 × 3 + 450) / 4 = 675.
        assert_eq!(x.weighted_total, Some(675));
        assert_eq!(synthesis(&[(1, 1)], &[]).weighted_total, None);
    }
}
