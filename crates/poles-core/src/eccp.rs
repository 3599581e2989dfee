//! The European Cluster Collaboration Platform's profile check of a cluster organisation:
//! enough management staff, enough members of enough kinds, an English page — waived when a
//! national programme already recognises the cluster (every labelled pôle). Pôles shows both
//! the waiver and what a full check would find. The thresholds are data
//! (`data/programme/eccp.csv`), never constants here.

use serde::Serialize;
use utoipa::ToSchema;

/// The thresholds, with their source.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EccpRules {
    /// Management staff, in hundredths of a full-time equivalent.
    pub min_fte_hundredths: i64,
    pub min_members: i64,
    /// Kinds of member (companies, research, training…).
    pub min_kinds: i64,
    pub source_title: String,
    pub source_url: Option<String>,
}

/// What Pôles knows of a cluster for the check.
#[derive(Debug, Clone, Default)]
pub struct EccpFacts {
    /// Management staff as the pôle's latest candidacy gives it.
    pub fte_hundredths: Option<i64>,
    /// Members recorded in Pôles and the number of their kinds.
    pub members: i64,
    pub kinds: i64,
    /// The member count the pôle or the press published, where the registry is incomplete.
    pub published_members: Option<i64>,
    /// An English description of the pôle on Pôles.
    pub english_page: bool,
    /// Labelled by the State (or on probation): a national programme recognises it.
    pub recognised: bool,
}

/// One requirement's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Met,
    NotMet,
    /// Pôles does not know enough to say.
    Unknown,
}

/// The check's result.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EccpCheck {
    /// Waived: a national programme recognises the cluster.
    pub waived: bool,
    pub staff: Verdict,
    pub members: Verdict,
    pub english_page: Verdict,
    /// What a full check would still need, as requirement codes (`staff`, `members`,
    /// `english_page`): not met or unknown.
    pub missing: Vec<String>,
    pub rules: EccpRules,
}

/// Runs the check.
pub fn check(rules: &EccpRules, f: &EccpFacts) -> EccpCheck {
    let staff = match f.fte_hundredths {
        None => Verdict::Unknown,
        Some(h) if h >= rules.min_fte_hundredths => Verdict::Met,
        Some(_) => Verdict::NotMet,
    };
    let members = if f.members >= rules.min_members && f.kinds >= rules.min_kinds {
        Verdict::Met
    } else if f.published_members.is_some_and(|n| n >= rules.min_members) {
        // Enough members by the published count, but their kinds are not all recorded.
        Verdict::Unknown
    } else if f.published_members.is_none() && f.members < rules.min_members {
        Verdict::Unknown
    } else {
        Verdict::NotMet
    };
    let english_page = if f.english_page {
        Verdict::Met
    } else {
        Verdict::NotMet
    };
    let missing = [
        ("staff", staff),
        ("members", members),
        ("english_page", english_page),
    ]
    .into_iter()
    .filter(|(_, v)| *v != Verdict::Met)
    .map(|(k, _)| k.to_string())
    .collect();
    EccpCheck {
        waived: f.recognised,
        staff,
        members,
        english_page,
        missing,
        rules: rules.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> EccpRules {
        EccpRules {
            min_fte_hundredths: 50,
            min_members: 15,
            min_kinds: 2,
            source_title: "ECCP".into(),
            source_url: None,
        }
    }

    #[test]
    fn a_full_check_says_what_is_missing_and_the_waiver_stands_apart() {
        let f = EccpFacts {
            fte_hundredths: Some(120),
            members: 20,
            kinds: 3,
            published_members: None,
            english_page: true,
            recognised: true,
        };
        let c = check(&rules(), &f);
        assert!(c.waived && c.missing.is_empty());
        let c = check(
            &rules(),
            &EccpFacts {
                fte_hundredths: Some(40),
                members: 3,
                kinds: 1,
                published_members: Some(300),
                english_page: false,
                recognised: false,
            },
        );
        assert!(!c.waived);
        assert_eq!(c.staff, Verdict::NotMet);
        assert_eq!(
            c.members,
            Verdict::Unknown,
            "300 published, kinds unrecorded"
        );
        assert_eq!(c.missing, vec!["staff", "members", "english_page"]);
        let c = check(
            &rules(),
            &EccpFacts {
                members: 16,
                kinds: 1,
                published_members: Some(16),
                ..Default::default()
            },
        );
        assert_eq!(c.members, Verdict::Unknown);
        let c = check(
            &rules(),
            &EccpFacts {
                members: 4,
                kinds: 2,
                published_members: Some(8),
                ..Default::default()
            },
        );
        assert_eq!(c.members, Verdict::NotMet);
        assert_eq!(c.staff, Verdict::Unknown);
    }
}
