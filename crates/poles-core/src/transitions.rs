//! Every way an application or a funding proposal changes status, in one table each: from
//! which status, by which action, to which status, and who may take it. The use cases look a
//! transition up here before they write (an action with no row from the current status is
//! refused as an illegal transition), and `ARCHITECTURE.md` draws the same table as a state
//! diagram, which a test below checks against [`diagram`].

use crate::status::{ApplicationStatus, ProposalStatus};
use crate::FieldError;

/// The reason given with a decision, as it is sent to the people it concerns: trimmed,
/// 3 to 2,000 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason(String);

impl Reason {
    pub const MAX: usize = 2000;

    /// `field` names the input in the refusal.
    pub fn parse(field: &str, s: Option<&str>) -> Result<Reason, FieldError> {
        let t = s.map(str::trim).unwrap_or_default();
        let n = t.chars().count();
        if n == 0 {
            return Err(FieldError::coded(field, "required", vec![], "is required"));
        }
        if n < 3 {
            return Err(FieldError::coded(
                field,
                "reason_short",
                vec![],
                "must have at least 3 characters",
            ));
        }
        if n > Self::MAX {
            return Err(FieldError::coded(
                field,
                "too_long",
                vec![Self::MAX.to_string()],
                format!("must have at most {} characters", Self::MAX),
            ));
        }
        Ok(Reason(t.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Who may take a transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    /// A member of the application's lead organisation.
    Applicant,
    /// A selection officer (programme officer or admin).
    Officer,
    /// The selection officer who made the proposal.
    Proposer,
    /// A selection officer other than the proposer (four eyes).
    Approver,
}

impl Party {
    pub fn as_str(self) -> &'static str {
        match self {
            Party::Applicant => "applicant",
            Party::Officer => "officer",
            Party::Proposer => "proposer",
            Party::Approver => "approver",
        }
    }
}

/// What is done to an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplicationAction {
    /// Submits (or resubmits after reopening): a new snapshot of eligibility and aid.
    Submit,
    /// Back to draft, before the call's deadline, to change and resubmit.
    Reopen,
    /// The applicant gives up, while no funding has been approved.
    Withdraw,
    /// An officer finds it ineligible (with a reason).
    DeclareIneligible,
    /// An officer rejects it (with a reason).
    Reject,
    /// The last approval of a funding proposal selects it.
    Select,
    /// Finalised within the call's window: the project runs.
    Finalise,
    /// Not finalised within the window.
    Lapse,
    /// A running project ends.
    Close,
    /// A running project is abandoned.
    Abandon,
}

impl ApplicationAction {
    pub fn as_str(self) -> &'static str {
        match self {
            ApplicationAction::Submit => "submit",
            ApplicationAction::Reopen => "reopen",
            ApplicationAction::Withdraw => "withdraw",
            ApplicationAction::DeclareIneligible => "declare_ineligible",
            ApplicationAction::Reject => "reject",
            ApplicationAction::Select => "select",
            ApplicationAction::Finalise => "finalise",
            ApplicationAction::Lapse => "lapse",
            ApplicationAction::Close => "close",
            ApplicationAction::Abandon => "abandon",
        }
    }
}

/// What is done to a funding proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProposalAction {
    /// The last approval needed decides it.
    Approve,
    /// An approver turns it down (with a reason).
    Reject,
    /// Its proposer takes it back (with a reason).
    Withdraw,
    /// Its project was not finalised in time.
    Lapse,
}

impl ProposalAction {
    pub fn as_str(self) -> &'static str {
        match self {
            ProposalAction::Approve => "approve",
            ProposalAction::Reject => "reject",
            ProposalAction::Withdraw => "withdraw",
            ProposalAction::Lapse => "lapse",
        }
    }
}

/// One row of a transition table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition<S: 'static, A: 'static> {
    pub from: S,
    pub action: A,
    pub to: S,
    pub by: Party,
    /// What else must hold, in words (checked by the use case or under the store's lock).
    pub when: &'static str,
}

use ApplicationAction as AA;
use ApplicationStatus as AS;
use ProposalAction as PA;
use ProposalStatus as PS;

const fn t<S: Copy, A: Copy>(
    from: S,
    action: A,
    to: S,
    by: Party,
    when: &'static str,
) -> Transition<S, A> {
    Transition {
        from,
        action,
        to,
        by,
        when,
    }
}

/// Every transition of an application.
pub const APPLICATION_TRANSITIONS: &[Transition<ApplicationStatus, ApplicationAction>] = &[
    t(
        AS::Draft,
        AA::Submit,
        AS::Submitted,
        Party::Applicant,
        "call open, partners answered; a new snapshot",
    ),
    t(
        AS::Submitted,
        AA::Reopen,
        AS::Draft,
        Party::Applicant,
        "before the deadline",
    ),
    t(AS::Draft, AA::Withdraw, AS::Withdrawn, Party::Applicant, ""),
    t(
        AS::Submitted,
        AA::Withdraw,
        AS::Withdrawn,
        Party::Applicant,
        "no approved funding",
    ),
    t(
        AS::Submitted,
        AA::DeclareIneligible,
        AS::Ineligible,
        Party::Officer,
        "reason",
    ),
    t(
        AS::Submitted,
        AA::Reject,
        AS::Rejected,
        Party::Officer,
        "reason",
    ),
    t(
        AS::Submitted,
        AA::Select,
        AS::Selected,
        Party::Approver,
        "last approval of a proposal",
    ),
    t(
        AS::Selected,
        AA::Finalise,
        AS::Running,
        Party::Officer,
        "within the window",
    ),
    t(
        AS::Selected,
        AA::Lapse,
        AS::Lapsed,
        Party::Officer,
        "window passed",
    ),
    t(AS::Running, AA::Close, AS::Closed, Party::Officer, ""),
    t(AS::Running, AA::Abandon, AS::Abandoned, Party::Officer, ""),
];

/// Every transition of a funding proposal.
pub const PROPOSAL_TRANSITIONS: &[Transition<ProposalStatus, ProposalAction>] = &[
    t(
        PS::Proposed,
        PA::Approve,
        PS::Approved,
        Party::Approver,
        "last approval needed, within the envelopes",
    ),
    t(
        PS::Proposed,
        PA::Reject,
        PS::Rejected,
        Party::Approver,
        "reason",
    ),
    t(
        PS::Proposed,
        PA::Withdraw,
        PS::Withdrawn,
        Party::Proposer,
        "reason",
    ),
    t(
        PS::Approved,
        PA::Lapse,
        PS::Lapsed,
        Party::Officer,
        "its project lapsed",
    ),
];

impl ApplicationStatus {
    /// The transition `action` takes from this status, if any.
    pub fn after(
        self,
        action: ApplicationAction,
    ) -> Option<&'static Transition<ApplicationStatus, ApplicationAction>> {
        APPLICATION_TRANSITIONS
            .iter()
            .find(|t| t.from == self && t.action == action)
    }

    /// Whether no transition leaves this status.
    pub fn is_final(self) -> bool {
        !APPLICATION_TRANSITIONS.iter().any(|t| t.from == self)
    }
}

impl ApplicationAction {
    /// The statuses this action leaves from, and the one it leads to (one per action).
    pub fn moves(self) -> (Vec<ApplicationStatus>, ApplicationStatus, Party) {
        let rows: Vec<_> = APPLICATION_TRANSITIONS
            .iter()
            .filter(|t| t.action == self)
            .collect();
        let to = rows.first().map(|t| t.to).unwrap_or(AS::Draft);
        let by = rows.first().map(|t| t.by).unwrap_or(Party::Officer);
        (rows.iter().map(|t| t.from).collect(), to, by)
    }
}

impl ProposalStatus {
    /// The transition `action` takes from this status, if any.
    pub fn after(
        self,
        action: ProposalAction,
    ) -> Option<&'static Transition<ProposalStatus, ProposalAction>> {
        PROPOSAL_TRANSITIONS
            .iter()
            .find(|t| t.from == self && t.action == action)
    }
}

impl ProposalAction {
    /// The statuses this action leaves from, and the one it leads to (one per action).
    pub fn moves(self) -> (Vec<ProposalStatus>, ProposalStatus, Party) {
        let rows: Vec<_> = PROPOSAL_TRANSITIONS
            .iter()
            .filter(|t| t.action == self)
            .collect();
        let to = rows.first().map(|t| t.to).unwrap_or(PS::Proposed);
        let by = rows.first().map(|t| t.by).unwrap_or(Party::Officer);
        (rows.iter().map(|t| t.from).collect(), to, by)
    }
}

fn line(from: &str, action: &str, to: &str, by: Party, when: &str) -> String {
    let arrow = format!("{from:<10} --{action} [{}]--> {to}", by.as_str());
    if when.is_empty() {
        arrow
    } else {
        format!("{arrow:<58} ({when})")
    }
}

/// The state diagram of both tables, as text: one line per transition, then the final
/// statuses. `ARCHITECTURE.md` holds it verbatim.
pub fn diagram() -> String {
    let mut out = String::from("application\n");
    for t in APPLICATION_TRANSITIONS {
        out.push_str(&line(
            t.from.as_str(),
            t.action.as_str(),
            t.to.as_str(),
            t.by,
            t.when,
        ));
        out.push('\n');
    }
    let finals: Vec<&str> = ApplicationStatus::ALL
        .iter()
        .filter(|s| s.is_final())
        .map(|s| s.as_str())
        .collect();
    out.push_str(&format!(
        "final: {}\n\nfunding proposal\n",
        finals.join(", ")
    ));
    for t in PROPOSAL_TRANSITIONS {
        out.push_str(&line(
            t.from.as_str(),
            t.action.as_str(),
            t.to.as_str(),
            t.by,
            t.when,
        ));
        out.push('\n');
    }
    let finals: Vec<&str> = ProposalStatus::ALL
        .iter()
        .filter(|s| !PROPOSAL_TRANSITIONS.iter().any(|t| t.from == **s))
        .map(|s| s.as_str())
        .collect();
    out.push_str(&format!("final: {}\n", finals.join(", ")));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_required_and_bounded() {
        assert_eq!(
            Reason::parse("reason", None).unwrap_err().reason,
            "is required"
        );
        assert_eq!(
            Reason::parse("reason", Some("   ")).unwrap_err().field,
            "reason"
        );
        assert!(Reason::parse("reason", Some("no")).is_err());
        assert_eq!(
            Reason::parse("reason", Some("  Budget over the cap "))
                .unwrap()
                .as_str(),
            "Budget over the cap"
        );
        assert!(Reason::parse("reason", Some(&"x".repeat(2001))).is_err());
    }

    #[test]
    fn each_action_leads_to_one_status_and_is_taken_by_one_party() {
        for a in APPLICATION_TRANSITIONS {
            let (from, to, by) = a.action.moves();
            assert!(from.contains(&a.from));
            assert_eq!((to, by), (a.to, a.by), "{a:?}");
            assert_eq!(a.from.after(a.action), Some(a));
        }
        for p in PROPOSAL_TRANSITIONS {
            let (from, to, by) = p.action.moves();
            assert!(from.contains(&p.from));
            assert_eq!((to, by), (p.to, p.by), "{p:?}");
        }
        assert!(AS::Withdrawn.after(AA::Submit).is_none());
        assert!(AS::Draft.after(AA::Reject).is_none());
        assert!(AS::Ineligible.is_final() && AS::Rejected.is_final() && AS::Withdrawn.is_final());
        assert!(!AS::Submitted.is_final());
        assert_eq!(
            AA::Withdraw.moves().0,
            vec![AS::Draft, AS::Submitted],
            "withdrawn from draft or submitted"
        );
    }

    /// Every status can be reached from a draft, and every non-final one can be left.
    #[test]
    fn every_status_is_reachable() {
        let mut seen = vec![AS::Draft];
        let mut grew = true;
        while grew {
            grew = false;
            for t in APPLICATION_TRANSITIONS {
                if seen.contains(&t.from) && !seen.contains(&t.to) {
                    seen.push(t.to);
                    grew = true;
                }
            }
        }
        for s in AS::ALL {
            assert!(seen.contains(s), "{s} cannot be reached");
        }
        for s in PS::ALL {
            assert!(
                *s == PS::Proposed || PROPOSAL_TRANSITIONS.iter().any(|t| t.to == *s),
                "{s} cannot be reached"
            );
        }
    }

    /// The diagram in ARCHITECTURE.md is this table's: every transition is drawn there.
    #[test]
    fn architecture_draws_the_table() {
        let doc = include_str!("../../../ARCHITECTURE.md");
        let d = diagram();
        assert!(
            doc.contains(&d),
            "ARCHITECTURE.md must hold the state diagram as `diagram()` draws it:\n{d}"
        );
        for l in d.lines().filter(|l| l.contains("-->")) {
            assert!(doc.contains(l), "missing from ARCHITECTURE.md: {l}");
        }
    }
}
