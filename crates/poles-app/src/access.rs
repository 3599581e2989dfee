//! Who may do what, decided here and nowhere else. A use case asks for the capability of its
//! action; the capability types and the checks that grant them are private to this crate,
//! so code outside the use-case layer cannot obtain one, and a use case cannot reach a write
//! without first holding the capability for it. Roles are scoped: a cluster manager to a
//! cluster, an organisation member to an organisation, a region officer to a region, a
//! funder officer to a funder.

use poles_core::auth::{Actor, AuthMethod, Denied, Grant, Role};

/// The role a check granted and the user it granted it to: what every capability carries
/// into the audit row of the write it allows.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Granted {
    pub user_id: i64,
    pub role: Role,
}

/// Makes a capability impossible to build outside this module: use cases receive one from
/// a check and read it, never write one.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sealed(());

macro_rules! capability {
    ($(#[$m:meta])* $name:ident { $($field:ident : $ty:ty),* }) => {
        $(#[$m])*
        #[derive(Debug, Clone)]
        pub(crate) struct $name {
            /// Who the check granted it to, and by which role: for the audit row of the
            /// write it allows.
            pub by: Granted,
            $(pub $field: $ty,)*
            _sealed: Sealed,
        }
    };
}

/// A capability to read: nothing to record, so it carries only what the read needs.
macro_rules! read_capability {
    ($(#[$m:meta])* $name:ident { $($field:ident : $ty:ty),* }) => {
        $(#[$m])*
        #[derive(Debug, Clone)]
        pub(crate) struct $name {
            $(pub $field: $ty,)*
            _sealed: Sealed,
        }
    };
}

capability!(
    /// May edit one cluster's profile, members and partnerships.
    ClusterWrite { cluster: String }
);
capability!(
    /// May edit one organisation.
    OrganisationWrite { organisation_id: i64 }
);
capability!(
    /// May edit label history and programme figures, budgets and relief records.
    ProgrammeWrite {}
);
capability!(
    /// May publish news and events.
    ContentWrite {}
);
capability!(
    /// May manage users and roles.
    UserAdmin {}
);
read_capability!(
    /// May read the audit trail; its personal data (e-mail, address) only when `personal`.
    AuditRead { personal: bool }
);
capability!(
    /// Acts on one's own account (password, tokens, sessions, personal data).
    SelfService {}
);
capability!(
    /// Acts for an organisation in calls: drafts and submits as lead, or as a partner
    /// accepts an invitation and enters its own budget.
    ApplicantFor { organisation_id: i64 }
);
capability!(
    /// Records a cluster's labelling decisions and reads its requests.
    LabellingDecision { cluster: String }
);
read_capability!(
    /// Reads one application.
    ApplicationRead {}
);
capability!(
    /// Runs a call's review and selection: opens calls, assigns reviewers, proposes and
    /// approves funding, follows payments.
    SelectionOfficer {}
);
read_capability!(
    /// Reads the worklist of one call: programme officers and admins (who run every call),
    /// and funder officers of a funder of that call.
    CallWorklist {}
);
read_capability!(
    /// Reads the people of the platform by name (user pickers): admins, who grant roles, and
    /// programme officers, who assign reviewers.
    PeopleRead {}
);
capability!(
    /// Decides who joins an organisation: its members and admins.
    ClaimDecision {}
);
capability!(
    /// Ends an organisation's membership of a pôle: the organisation's members (it leaves)
    /// or the pôle's managers and the programme's officers.
    MembershipEnd {}
);
capability!(
    /// Reviews: scores the applications one is assigned (checked against the assignment).
    Reviewing {}
);
capability!(
    /// Proposes or approves a funding decision: selection officers for every funder; a
    /// region officer for the line of the call's regional co-funder alone, on applications
    /// whose R&D is done (in part) in their region. `region` is set for the latter: their
    /// decision stays within their funder's envelope for the call.
    FundingDecision { region: Option<String> }
);

capability!(
    /// Runs the label campaigns (opens them, forms the committee, assigns, writes the
    /// synthesis, proposes and approves decisions): programme officers and admins.
    LabelOfficer {}
);
capability!(
    /// Writes and submits a pôle's candidacy for its label: the pôle's managers, and admins.
    CandidacyWrite { cluster: String }
);
capability!(
    /// Scores the candidacies one is assigned on a campaign's committee (checked against
    /// the assignment): programme officers, region officers and reviewers sit on committees.
    CommitteeScoring {}
);
capability!(
    /// Records a co-deciding region's opinion of a candidacy: that region's officers.
    RegionOpinion { region: String }
);

/// The call funder whose line a region officer decides: the regional co-funder (the
/// funder code the calls' data give it).
pub const REGIONAL_FUNDER: &str = "region";

/// Who is involved in an application, for the scope of its readers.
#[derive(Debug, Clone, Default)]
pub(crate) struct Involved {
    /// Its organisations (lead and partners).
    pub organisations: Vec<i64>,
    /// The clusters asked to label it.
    pub clusters: Vec<String>,
    /// Its assigned reviewers (user ids).
    pub reviewers: Vec<i64>,
    /// The regions where its partners do their R&D.
    pub rd_regions: Vec<String>,
    /// The funders of its call.
    pub funders: Vec<String>,
}

fn first(actor: &Actor, ok: impl Fn(&Grant) -> bool) -> Option<Granted> {
    actor.grants.iter().find(|g| ok(g)).map(|g| Granted {
        user_id: actor.user_id,
        role: g.role,
    })
}

fn denied(action: &'static str, object: impl Into<String>) -> Denied {
    Denied {
        action,
        object: object.into(),
    }
}

fn officer(g: &Grant) -> bool {
    matches!(g.role, Role::Admin | Role::ProgrammeOfficer)
}

pub(crate) fn cluster_write(actor: &Actor, slug: &str) -> Result<ClusterWrite, Denied> {
    first(actor, |g| {
        officer(g) || (g.role == Role::ClusterManager && g.scope == slug)
    })
    .map(|by| ClusterWrite {
        by,
        _sealed: Sealed(()),
        cluster: slug.to_string(),
    })
    .ok_or_else(|| denied("edit", format!("cluster {slug}")))
}

pub(crate) fn organisation_write(actor: &Actor, id: i64) -> Result<OrganisationWrite, Denied> {
    let scope = id.to_string();
    first(actor, |g| {
        g.role == Role::Admin || (g.role == Role::OrganisationMember && g.scope == scope)
    })
    .map(|by| OrganisationWrite {
        by,
        _sealed: Sealed(()),
        organisation_id: id,
    })
    .ok_or_else(|| denied("edit", format!("organisation {id}")))
}

/// Approving or declining a request to join an organisation: admins, and the members the
/// organisation already has.
pub(crate) fn claim_decision(actor: &Actor, id: i64) -> Result<ClaimDecision, Denied> {
    let scope = id.to_string();
    first(actor, |g| {
        g.role == Role::Admin || (g.role == Role::OrganisationMember && g.scope == scope)
    })
    .map(|by| ClaimDecision {
        by,
        _sealed: Sealed(()),
    })
    .ok_or_else(|| denied("decide who joins", format!("organisation {id}")))
}

/// Ending a membership: the member organisation's people, the pôle's managers, officers.
pub(crate) fn membership_end(
    actor: &Actor,
    slug: &str,
    organisation_id: i64,
) -> Result<MembershipEnd, Denied> {
    let scope = organisation_id.to_string();
    first(actor, |g| {
        officer(g)
            || (g.role == Role::ClusterManager && g.scope == slug)
            || (g.role == Role::OrganisationMember && g.scope == scope)
    })
    .map(|by| MembershipEnd {
        by,
        _sealed: Sealed(()),
    })
    .ok_or_else(|| {
        denied(
            "end the membership",
            format!("organisation {organisation_id} in cluster {slug}"),
        )
    })
}

pub(crate) fn programme_write(actor: &Actor) -> Result<ProgrammeWrite, Denied> {
    first(actor, officer)
        .map(|by| ProgrammeWrite {
            by,
            _sealed: Sealed(()),
        })
        .ok_or_else(|| denied("edit", "programme records"))
}

pub(crate) fn content_write(actor: &Actor) -> Result<ContentWrite, Denied> {
    first(actor, |g| {
        matches!(
            g.role,
            Role::Admin | Role::ProgrammeOfficer | Role::RegionOfficer | Role::FunderOfficer
        )
    })
    .map(|by| ContentWrite {
        by,
        _sealed: Sealed(()),
    })
    .ok_or_else(|| denied("publish", "news and events"))
}

pub(crate) fn user_admin(actor: &Actor) -> Result<UserAdmin, Denied> {
    first(actor, |g| g.role == Role::Admin)
        .map(|by| UserAdmin {
            by,
            _sealed: Sealed(()),
        })
        .ok_or_else(|| denied("manage", "users"))
}

/// Officers of every kind read the trail; only admins see who (e-mail) and from where.
pub(crate) fn audit_read(actor: &Actor) -> Result<AuditRead, Denied> {
    let personal = actor.grants.iter().any(|g| g.role == Role::Admin);
    first(actor, |g| g.role.is_privileged())
        .map(|_| AuditRead {
            personal,
            _sealed: Sealed(()),
        })
        .ok_or_else(|| denied("read", "the audit trail"))
}

pub(crate) fn applicant_for(actor: &Actor, organisation_id: i64) -> Result<ApplicantFor, Denied> {
    let scope = organisation_id.to_string();
    first(actor, |g| {
        g.role == Role::OrganisationMember && g.scope == scope
    })
    .map(|by| ApplicantFor {
        by,
        _sealed: Sealed(()),
        organisation_id,
    })
    .ok_or_else(|| denied("apply for", format!("organisation {organisation_id}")))
}

pub(crate) fn labelling_decision(
    actor: &Actor,
    cluster: &str,
) -> Result<LabellingDecision, Denied> {
    first(actor, |g| {
        g.role == Role::Admin || (g.role == Role::ClusterManager && g.scope == cluster)
    })
    .map(|by| LabellingDecision {
        by,
        _sealed: Sealed(()),
        cluster: cluster.to_string(),
    })
    .ok_or_else(|| denied("label projects for", format!("cluster {cluster}")))
}

/// Reading an application: programme officers and admins; a region officer when a partner
/// does its R&D in their region; a funder officer when their funder funds the call; members
/// of its organisations; managers of the clusters asked to label it; its reviewers.
pub(crate) fn application_read(actor: &Actor, who: &Involved) -> Result<ApplicationRead, Denied> {
    first(actor, |g| match g.role {
        Role::Admin | Role::ProgrammeOfficer => true,
        Role::RegionOfficer => who.rd_regions.contains(&g.scope),
        Role::FunderOfficer => who.funders.contains(&g.scope),
        Role::OrganisationMember => who.organisations.iter().any(|o| o.to_string() == g.scope),
        Role::ClusterManager => who.clusters.contains(&g.scope),
        Role::Reviewer => who.reviewers.contains(&actor.user_id),
    })
    .map(|_| ApplicationRead {
        _sealed: Sealed(()),
    })
    .ok_or_else(|| denied("read", "this application"))
}

pub(crate) fn call_worklist(actor: &Actor, funders: &[String]) -> Result<CallWorklist, Denied> {
    first(actor, |g| {
        officer(g) || (g.role == Role::FunderOfficer && funders.contains(&g.scope))
    })
    .map(|_| CallWorklist {
        _sealed: Sealed(()),
    })
    .ok_or_else(|| denied("read", "the applications of this call"))
}

/// The organisations the actor acts for (their organisation-member grants): whose
/// applications they find in their list.
pub(crate) fn own_organisations(actor: &Actor) -> Vec<i64> {
    actor.organisations()
}

/// The clusters whose labelling queue the actor works from (as their manager).
pub(crate) fn managed_clusters(actor: &Actor) -> Vec<String> {
    actor
        .grants
        .iter()
        .filter(|g| g.role == Role::ClusterManager)
        .map(|g| g.scope.clone())
        .collect()
}

pub(crate) fn people_read(actor: &Actor) -> Result<PeopleRead, Denied> {
    first(actor, officer)
        .map(|_| PeopleRead {
            _sealed: Sealed(()),
        })
        .ok_or_else(|| denied("read", "the list of users"))
}

pub(crate) fn selection_officer(actor: &Actor) -> Result<SelectionOfficer, Denied> {
    first(actor, officer)
        .map(|by| SelectionOfficer {
            by,
            _sealed: Sealed(()),
        })
        .ok_or_else(|| denied("run", "the selection"))
}

/// Deciding funding (see [`FundingDecision`]): `rd_regions` are the regions where the
/// application's partners do their R&D, `funders` the funders of the lines decided.
pub(crate) fn funding_decision(
    actor: &Actor,
    rd_regions: &[String],
    funders: &[&str],
) -> Result<FundingDecision, Denied> {
    if let Some(by) = first(actor, officer) {
        return Ok(FundingDecision {
            by,
            region: None,
            _sealed: Sealed(()),
        });
    }
    let regional_only = !funders.is_empty() && funders.iter().all(|f| *f == REGIONAL_FUNDER);
    actor
        .grants
        .iter()
        .find(|g| g.role == Role::RegionOfficer && regional_only && rd_regions.contains(&g.scope))
        .map(|g| FundingDecision {
            by: Granted {
                user_id: actor.user_id,
                role: g.role,
            },
            region: Some(g.scope.clone()),
            _sealed: Sealed(()),
        })
        .ok_or_else(|| {
            denied(
                "decide",
                if regional_only {
                    "the regional funding of this application (its R&D is not in your region)"
                } else {
                    "funding lines other than the region's"
                },
            )
        })
}

/// Running a label campaign (see [`LabelOfficer`]).
pub(crate) fn label_officer(actor: &Actor) -> Result<LabelOfficer, Denied> {
    first(actor, officer)
        .map(|by| LabelOfficer {
            by,
            _sealed: Sealed(()),
        })
        .ok_or_else(|| denied("run", "the label campaigns"))
}

/// Approving or rejecting a label decision: an officer other than its proposer (four eyes).
pub(crate) fn label_approver_of(
    actor: &Actor,
    proposed_by: Option<i64>,
) -> Result<LabelOfficer, Denied> {
    first(actor, |g| officer(g) && proposed_by != Some(actor.user_id))
        .map(|by| LabelOfficer {
            by,
            _sealed: Sealed(()),
        })
        .ok_or_else(|| {
            denied(
                "decide",
                "one's own label proposal, or without the officer role",
            )
        })
}

/// Writing a pôle's candidacy (see [`CandidacyWrite`]).
pub(crate) fn candidacy_write(actor: &Actor, slug: &str) -> Result<CandidacyWrite, Denied> {
    first(actor, |g| {
        g.role == Role::Admin || (g.role == Role::ClusterManager && g.scope == slug)
    })
    .map(|by| CandidacyWrite {
        by,
        cluster: slug.to_string(),
        _sealed: Sealed(()),
    })
    .ok_or_else(|| denied("write", format!("the candidacy of {slug}")))
}

/// Scoring candidacies on a committee (see [`CommitteeScoring`]).
pub(crate) fn committee_scoring(actor: &Actor) -> Result<CommitteeScoring, Denied> {
    first(actor, |g| {
        officer(g) || matches!(g.role, Role::RegionOfficer | Role::Reviewer)
    })
    .map(|by| CommitteeScoring {
        by,
        _sealed: Sealed(()),
    })
    .ok_or_else(|| denied("score", "candidacies"))
}

/// Whether a user with these grants may sit on a committee: on the State's side an officer
/// or a reviewer, on a region's side that region's officer.
pub(crate) fn may_sit(grants: &[(String, String)], region: Option<&str>) -> bool {
    grants.iter().any(|(role, scope)| match region {
        None => matches!(role.as_str(), "admin" | "programme_officer" | "reviewer"),
        Some(r) => role == "region_officer" && scope == r,
    })
}

/// Recording a region's opinion: an officer of one of `regions` (the pôle's regions that
/// co-decide the campaign).
pub(crate) fn region_opinion(actor: &Actor, regions: &[String]) -> Result<RegionOpinion, Denied> {
    actor
        .grants
        .iter()
        .find(|g| g.role == Role::RegionOfficer && regions.contains(&g.scope))
        .map(|g| RegionOpinion {
            by: Granted {
                user_id: actor.user_id,
                role: g.role,
            },
            region: g.scope.clone(),
            _sealed: Sealed(()),
        })
        .ok_or_else(|| denied("give", "a region's opinion of this candidacy"))
}

/// Withdrawing a funding proposal: a selection officer who made it.
pub(crate) fn proposer_of(actor: &Actor, proposed_by: i64) -> Result<SelectionOfficer, Denied> {
    first(actor, |g| officer(g) && actor.user_id == proposed_by)
        .map(|by| SelectionOfficer {
            by,
            _sealed: Sealed(()),
        })
        .ok_or_else(|| denied("withdraw", "a proposal one did not make"))
}

/// Rejecting a funding proposal: a selection officer other than its proposer (four eyes).
pub(crate) fn approver_of(actor: &Actor, proposed_by: i64) -> Result<SelectionOfficer, Denied> {
    first(actor, |g| officer(g) && actor.user_id != proposed_by)
        .map(|by| SelectionOfficer {
            by,
            _sealed: Sealed(()),
        })
        .ok_or_else(|| {
            denied(
                "decide",
                "one's own proposal, or without the selection role",
            )
        })
}

pub(crate) fn reviewing(actor: &Actor) -> Result<Reviewing, Denied> {
    first(actor, |g| g.role == Role::Reviewer)
        .map(|by| Reviewing {
            by,
            _sealed: Sealed(()),
        })
        .ok_or_else(|| denied("review", "applications"))
}

/// Changes to one's own account (password, second factor, tokens, erasure) need a browser
/// session: an API token, even a read one, must not mint tokens or lock its owner out.
pub(crate) fn account_write(actor: &Actor) -> Result<SelfService, Denied> {
    if actor.method == AuthMethod::Session {
        Ok(self_service(actor))
    } else {
        Err(denied("change", "the account with an API token"))
    }
}

/// Everyone signed in may read their own account.
pub(crate) fn self_service(actor: &Actor) -> SelfService {
    SelfService {
        by: Granted {
            user_id: actor.user_id,
            role: actor
                .grants
                .first()
                .map(|g| g.role)
                .unwrap_or(Role::Reviewer),
        },
        _sealed: Sealed(()),
    }
}

/// What a page may offer a signed-in person, asked of this module so that pages show a
/// form exactly when its use case would accept it. A hint for the interface only: every
/// use case checks again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ability<'a> {
    EditCluster(&'a str),
    EditOrganisation(i64),
    EditProgramme,
    Publish,
    ManageUsers,
    ReadAudit,
    LabelFor(&'a str),
    RunSelection,
    Review,
    ApplyFor(i64),
    /// Decides the regional co-funder's line of an application whose partners do their
    /// R&D in these regions.
    DecideRegionalFunding(&'a [String]),
    /// Withdraw a proposal made by this user.
    WithdrawProposal(i64),
    /// Reject a proposal made by this user.
    RejectProposal(i64),
    /// Run the label campaigns.
    RunLabelCampaigns,
    /// Write this pôle's candidacy.
    WriteCandidacy(&'a str),
    /// Approve a label decision proposed by this user.
    ApproveLabelDecision(Option<i64>),
    /// Give the opinion of one of these regions.
    GiveRegionOpinion(&'a [String]),
}

/// Whether `actor` may do `what` (see [`Ability`]).
pub fn may(actor: Option<&Actor>, what: Ability<'_>) -> bool {
    let Some(a) = actor else {
        return false;
    };
    match what {
        Ability::EditCluster(slug) => cluster_write(a, slug).is_ok(),
        Ability::EditOrganisation(id) => organisation_write(a, id).is_ok(),
        Ability::EditProgramme => programme_write(a).is_ok(),
        Ability::Publish => content_write(a).is_ok(),
        Ability::ManageUsers => user_admin(a).is_ok(),
        Ability::ReadAudit => audit_read(a).is_ok(),
        Ability::LabelFor(slug) => labelling_decision(a, slug).is_ok(),
        Ability::RunSelection => selection_officer(a).is_ok(),
        Ability::Review => reviewing(a).is_ok(),
        Ability::ApplyFor(org) => applicant_for(a, org).is_ok(),
        Ability::DecideRegionalFunding(regions) => {
            funding_decision(a, regions, &[REGIONAL_FUNDER]).is_ok()
        }
        Ability::WithdrawProposal(by) => proposer_of(a, by).is_ok(),
        Ability::RejectProposal(by) => approver_of(a, by).is_ok(),
        Ability::RunLabelCampaigns => label_officer(a).is_ok(),
        Ability::WriteCandidacy(slug) => candidacy_write(a, slug).is_ok(),
        Ability::ApproveLabelDecision(by) => label_approver_of(a, by).is_ok(),
        Ability::GiveRegionOpinion(regions) => region_opinion(a, regions).is_ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(grants: &[(&str, &str)]) -> Actor {
        Actor {
            user_id: 7,
            email: "a@b.fr".into(),
            grants: grants
                .iter()
                .map(|(r, s)| Grant::parse(r, Some(s)).unwrap())
                .collect(),
            method: AuthMethod::Session,
        }
    }

    #[test]
    fn cluster_managers_edit_their_own_cluster_only() {
        let m = actor(&[("cluster_manager", "minalogic")]);
        assert!(cluster_write(&m, "minalogic").is_ok());
        assert!(cluster_write(&m, "axelera").is_err());
        assert!(organisation_write(&m, 1).is_err());
        assert!(user_admin(&m).is_err());
        let po = actor(&[("programme_officer", "")]);
        assert_eq!(
            cluster_write(&po, "axelera").unwrap().by.role,
            Role::ProgrammeOfficer
        );
        assert!(organisation_write(&po, 1).is_err());
        assert!(programme_write(&po).is_ok());
        let o = actor(&[("organisation_member", "12")]);
        assert!(organisation_write(&o, 12).is_ok());
        assert!(organisation_write(&o, 13).is_err());
        assert!(content_write(&o).is_err());
        let ro = actor(&[("region_officer", "84")]);
        assert!(content_write(&ro).is_ok());
        assert!(programme_write(&ro).is_err());
        assert!(audit_read(&ro).is_ok_and(|a| !a.personal));
        assert!(audit_read(&actor(&[("admin", "")])).is_ok_and(|a| a.personal));
    }

    #[test]
    fn region_and_funder_officers_read_only_what_touches_their_scope() {
        let in_84 = Involved {
            organisations: vec![1, 2],
            rd_regions: vec!["84".into()],
            funders: vec!["state".into(), "region".into()],
            ..Default::default()
        };
        let elsewhere = Involved {
            organisations: vec![3],
            rd_regions: vec!["11".into()],
            funders: vec!["state".into()],
            ..Default::default()
        };
        let ro = actor(&[("region_officer", "84")]);
        assert!(application_read(&ro, &in_84).is_ok());
        assert!(application_read(&ro, &elsewhere).is_err());
        let fo = actor(&[("funder_officer", "region")]);
        assert!(application_read(&fo, &in_84).is_ok());
        assert!(application_read(&fo, &elsewhere).is_err());
        let po = actor(&[("programme_officer", "")]);
        assert!(application_read(&po, &elsewhere).is_ok());
        let funders = ["state".to_string(), "region".to_string()];
        assert!(call_worklist(&fo, &funders).is_ok());
        assert!(call_worklist(&fo, &funders[..1]).is_err());
        assert!(call_worklist(&ro, &funders).is_err());
        assert!(call_worklist(&po, &[]).is_ok());
        let member = actor(&[("organisation_member", "3")]);
        assert!(application_read(&member, &elsewhere).is_ok());
        assert!(application_read(&member, &in_84).is_err());
        assert!(may(Some(&ro), Ability::Publish));
        assert!(!may(None, Ability::Publish));
    }

    #[test]
    fn region_officers_decide_their_regions_share_and_never_the_states() {
        let in_84 = vec!["84".to_string()];
        let in_11 = vec!["11".to_string()];
        let ro = actor(&[("region_officer", "84")]);
        let d = funding_decision(&ro, &in_84, &["region"]).unwrap();
        assert_eq!(d.region.as_deref(), Some("84"));
        assert_eq!(d.by.role, Role::RegionOfficer);
        assert!(funding_decision(&ro, &in_84, &["state"]).is_err());
        assert!(funding_decision(&ro, &in_84, &["state", "region"]).is_err());
        assert!(funding_decision(&ro, &in_11, &["region"]).is_err());
        assert!(funding_decision(&ro, &in_84, &[]).is_err());
        let po = actor(&[("programme_officer", "")]);
        assert!(
            funding_decision(&po, &in_11, &["state", "region"]).is_ok_and(|d| d.region.is_none())
        );
        let fo = actor(&[("funder_officer", "region")]);
        assert!(funding_decision(&fo, &in_84, &["region"]).is_err());
        assert!(may(Some(&ro), Ability::DecideRegionalFunding(&in_84)));
        assert!(!may(Some(&ro), Ability::DecideRegionalFunding(&in_11)));
    }

    #[test]
    fn proposals_are_withdrawn_by_their_proposer_and_rejected_by_another_officer() {
        let po = actor(&[("programme_officer", "")]);
        assert!(proposer_of(&po, 7).is_ok());
        assert!(proposer_of(&po, 8).is_err());
        assert!(approver_of(&po, 8).is_ok());
        assert!(approver_of(&po, 7).is_err(), "never one's own");
        let member = actor(&[("organisation_member", "3")]);
        assert!(proposer_of(&member, 7).is_err());
        assert!(approver_of(&member, 8).is_err());
    }
}
