//! Who may do what. Roles are scoped to an object; a write is reachable only through a
//! capability value that this module alone can build, after the check that grants it
//! (the store's write functions take these capabilities as arguments).

use crate::{FieldError, Slug};
use serde::Serialize;
use std::collections::HashSet;
use std::fmt;
use utoipa::ToSchema;

/// Roles of the programme. Some are scoped to one object (see [`Role::scope_kind`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    ProgrammeOfficer,
    RegionOfficer,
    FunderOfficer,
    ClusterManager,
    OrganisationMember,
    Reviewer,
}

/// What a role's scope names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeKind {
    Region,
    Funder,
    Cluster,
    Organisation,
}

impl Role {
    pub const ALL: &'static [Role] = &[
        Role::Admin,
        Role::ProgrammeOfficer,
        Role::RegionOfficer,
        Role::FunderOfficer,
        Role::ClusterManager,
        Role::OrganisationMember,
        Role::Reviewer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::ProgrammeOfficer => "programme_officer",
            Role::RegionOfficer => "region_officer",
            Role::FunderOfficer => "funder_officer",
            Role::ClusterManager => "cluster_manager",
            Role::OrganisationMember => "organisation_member",
            Role::Reviewer => "reviewer",
        }
    }

    pub fn parse(field: &str, s: &str) -> Result<Role, FieldError> {
        Role::ALL
            .iter()
            .copied()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                FieldError::new(
                    field,
                    format!(
                        "unknown role {s:?}; expected one of: {}",
                        Role::ALL
                            .iter()
                            .map(|r| r.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })
    }

    pub fn scope_kind(self) -> Option<ScopeKind> {
        match self {
            Role::RegionOfficer => Some(ScopeKind::Region),
            Role::FunderOfficer => Some(ScopeKind::Funder),
            Role::ClusterManager => Some(ScopeKind::Cluster),
            Role::OrganisationMember => Some(ScopeKind::Organisation),
            Role::Admin | Role::ProgrammeOfficer | Role::Reviewer => None,
        }
    }

    /// Officers and admins must use a second factor once they have enabled one.
    pub fn is_privileged(self) -> bool {
        matches!(
            self,
            Role::Admin | Role::ProgrammeOfficer | Role::RegionOfficer | Role::FunderOfficer
        )
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role held by a user, with its scope (empty for unscoped roles).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Grant {
    pub role: Role,
    pub scope: String,
}

impl Grant {
    /// Checks that the scope fits the role: present and well-formed for scoped roles,
    /// empty for the others.
    pub fn parse(role: &str, scope: Option<&str>) -> Result<Grant, FieldError> {
        let role = Role::parse("role", role)?;
        let scope = scope.map(str::trim).unwrap_or("");
        match (role.scope_kind(), scope.is_empty()) {
            (None, true) => Ok(Grant {
                role,
                scope: String::new(),
            }),
            (None, false) => Err(FieldError::new("scope", format!("{role} takes no scope"))),
            (Some(_), true) => Err(FieldError::new("scope", format!("{role} needs a scope"))),
            (Some(kind), false) => {
                match kind {
                    ScopeKind::Cluster => {
                        Slug::parse("scope", scope)?;
                    }
                    ScopeKind::Organisation => {
                        scope
                            .parse::<i64>()
                            .ok()
                            .filter(|n| *n > 0)
                            .ok_or_else(|| {
                                FieldError::new("scope", "must be an organisation id")
                            })?;
                    }
                    ScopeKind::Region => {
                        crate::RegionCode::parse("scope", scope)?;
                    }
                    ScopeKind::Funder => {
                        if scope.len() > 80 {
                            return Err(FieldError::new("scope", "is too long"));
                        }
                    }
                }
                Ok(Grant {
                    role,
                    scope: scope.to_string(),
                })
            }
        }
    }
}

/// An e-mail address, trimmed and lower-cased; checked for shape, not for existence.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Email(String);

impl Email {
    pub fn parse(field: &str, s: &str) -> Result<Email, FieldError> {
        let e = s.trim().to_lowercase();
        let ok = e.len() <= 254
            && e.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains('@')
            })
            && !e.chars().any(|c| c.is_whitespace() || c.is_control());
        if ok {
            Ok(Email(e))
        } else {
            Err(FieldError::new(field, "is not an e-mail address"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The most common passwords, refused whatever their length.
pub struct CommonPasswords(HashSet<String>);

impl CommonPasswords {
    pub fn from_list(list: &str) -> CommonPasswords {
        CommonPasswords(
            list.lines()
                .map(|l| l.trim().to_lowercase())
                .filter(|l| !l.is_empty())
                .collect(),
        )
    }

    pub fn contains(&self, p: &str) -> bool {
        self.0.contains(&p.to_lowercase())
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A new password that meets the policy: 12 to 128 characters, not a common one.
/// Never printed: its `Debug` is redacted.
pub struct NewPassword(String);

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(<redacted>)")
    }
}

impl NewPassword {
    pub const MIN: usize = 12;
    pub const MAX: usize = 128;

    pub fn parse(
        field: &str,
        s: &str,
        common: &CommonPasswords,
    ) -> Result<NewPassword, FieldError> {
        let n = s.chars().count();
        if n < Self::MIN {
            return Err(FieldError::new(
                field,
                format!("must have at least {} characters", Self::MIN),
            ));
        }
        if n > Self::MAX {
            return Err(FieldError::new(
                field,
                format!("must have at most {} characters", Self::MAX),
            ));
        }
        if common.contains(s) {
            return Err(FieldError::new(
                field,
                "is one of the most common passwords",
            ));
        }
        Ok(NewPassword(s.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// How the actor proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    Session,
    Token,
}

/// A signed-in user with their roles.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: i64,
    pub email: String,
    pub grants: Vec<Grant>,
    pub method: AuthMethod,
}

/// A refused action: what was asked, for the 403 and the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not allowed to {action} {object}")]
pub struct Denied {
    pub action: &'static str,
    pub object: String,
}

macro_rules! capability {
    ($(#[$m:meta])* $name:ident { $($field:ident : $ty:ty),* }) => {
        $(#[$m])*
        ///
        /// `non_exhaustive`: no other crate can build one; only the checks below can.
        #[derive(Debug, Clone)]
        #[non_exhaustive]
        pub struct $name {
            pub user_id: i64,
            /// The role that granted it, for the audit trail.
            pub role: Role,
            $(pub $field: $ty,)*
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
    /// May edit label history and programme figures.
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
capability!(
    /// May read the audit trail.
    AuditRead {}
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
    /// Records a cluster's labelling decisions.
    LabellingDecision { cluster: String }
);
capability!(
    /// Reads an application: its consortium, the clusters asked to label it, officers.
    ApplicationRead {}
);
capability!(
    /// Runs a call's review and selection: assigns reviewers, proposes and approves funding.
    SelectionOfficer {}
);
capability!(
    /// Reviews: scores the applications one is assigned (checked against the assignment).
    Reviewing {}
);

impl Actor {
    fn first(&self, ok: impl Fn(&Grant) -> bool) -> Option<Role> {
        self.grants.iter().find(|g| ok(g)).map(|g| g.role)
    }

    fn has(&self, role: Role) -> bool {
        self.grants.iter().any(|g| g.role == role)
    }

    pub fn roles(&self) -> Vec<Role> {
        self.grants.iter().map(|g| g.role).collect()
    }

    pub fn cluster_write(&self, slug: &str) -> Result<ClusterWrite, Denied> {
        self.first(|g| {
            matches!(g.role, Role::Admin | Role::ProgrammeOfficer)
                || (g.role == Role::ClusterManager && g.scope == slug)
        })
        .map(|role| ClusterWrite {
            user_id: self.user_id,
            role,
            cluster: slug.to_string(),
        })
        .ok_or(Denied {
            action: "edit",
            object: format!("cluster {slug}"),
        })
    }

    pub fn organisation_write(&self, id: i64) -> Result<OrganisationWrite, Denied> {
        let scope = id.to_string();
        self.first(|g| {
            g.role == Role::Admin || (g.role == Role::OrganisationMember && g.scope == scope)
        })
        .map(|role| OrganisationWrite {
            user_id: self.user_id,
            role,
            organisation_id: id,
        })
        .ok_or(Denied {
            action: "edit",
            object: format!("organisation {id}"),
        })
    }

    pub fn programme_write(&self) -> Result<ProgrammeWrite, Denied> {
        self.first(|g| matches!(g.role, Role::Admin | Role::ProgrammeOfficer))
            .map(|role| ProgrammeWrite {
                user_id: self.user_id,
                role,
            })
            .ok_or(Denied {
                action: "edit",
                object: "programme records".into(),
            })
    }

    pub fn content_write(&self) -> Result<ContentWrite, Denied> {
        self.first(|g| {
            matches!(
                g.role,
                Role::Admin | Role::ProgrammeOfficer | Role::RegionOfficer | Role::FunderOfficer
            )
        })
        .map(|role| ContentWrite {
            user_id: self.user_id,
            role,
        })
        .ok_or(Denied {
            action: "publish",
            object: "news and events".into(),
        })
    }

    pub fn user_admin(&self) -> Result<UserAdmin, Denied> {
        if self.has(Role::Admin) {
            Ok(UserAdmin {
                user_id: self.user_id,
                role: Role::Admin,
            })
        } else {
            Err(Denied {
                action: "manage",
                object: "users".into(),
            })
        }
    }

    pub fn audit_read(&self) -> Result<AuditRead, Denied> {
        self.first(|g| g.role.is_privileged())
            .map(|role| AuditRead {
                user_id: self.user_id,
                role,
            })
            .ok_or(Denied {
                action: "read",
                object: "the audit trail".into(),
            })
    }

    pub fn applicant_for(&self, organisation_id: i64) -> Result<ApplicantFor, Denied> {
        let scope = organisation_id.to_string();
        self.first(|g| g.role == Role::OrganisationMember && g.scope == scope)
            .map(|role| ApplicantFor {
                user_id: self.user_id,
                role,
                organisation_id,
            })
            .ok_or(Denied {
                action: "apply for",
                object: format!("organisation {organisation_id}"),
            })
    }

    pub fn labelling_decision(&self, cluster: &str) -> Result<LabellingDecision, Denied> {
        self.first(|g| {
            g.role == Role::Admin || (g.role == Role::ClusterManager && g.scope == cluster)
        })
        .map(|role| LabellingDecision {
            user_id: self.user_id,
            role,
            cluster: cluster.to_string(),
        })
        .ok_or(Denied {
            action: "label projects for",
            object: format!("cluster {cluster}"),
        })
    }

    /// Reading an application: members of its organisations, managers of the clusters asked
    /// to label it, its assigned reviewers, officers and admins.
    pub fn application_read(
        &self,
        organisations: &[i64],
        clusters: &[String],
        reviewers: &[i64],
    ) -> Result<ApplicationRead, Denied> {
        self.first(|g| {
            g.role.is_privileged()
                || (g.role == Role::OrganisationMember
                    && organisations.iter().any(|o| o.to_string() == g.scope))
                || (g.role == Role::ClusterManager && clusters.contains(&g.scope))
                || (g.role == Role::Reviewer && reviewers.contains(&self.user_id))
        })
        .map(|role| ApplicationRead {
            user_id: self.user_id,
            role,
        })
        .ok_or(Denied {
            action: "read",
            object: "this application".into(),
        })
    }

    pub fn selection_officer(&self) -> Result<SelectionOfficer, Denied> {
        self.first(|g| matches!(g.role, Role::Admin | Role::ProgrammeOfficer))
            .map(|role| SelectionOfficer {
                user_id: self.user_id,
                role,
            })
            .ok_or(Denied {
                action: "run",
                object: "the selection".into(),
            })
    }

    pub fn reviewing(&self) -> Result<Reviewing, Denied> {
        self.first(|g| g.role == Role::Reviewer)
            .map(|role| Reviewing {
                user_id: self.user_id,
                role,
            })
            .ok_or(Denied {
                action: "review",
                object: "applications".into(),
            })
    }

    /// The organisations the actor belongs to (for conflicts of interest).
    pub fn organisations(&self) -> Vec<i64> {
        self.grants
            .iter()
            .filter(|g| g.role == Role::OrganisationMember)
            .filter_map(|g| g.scope.parse().ok())
            .collect()
    }

    /// Changes to one's own account (password, second factor, tokens, erasure) need a
    /// browser session: an API token, even a read one, must not mint tokens or lock its
    /// owner out.
    pub fn account_write(&self) -> Result<SelfService, Denied> {
        if self.method == AuthMethod::Session {
            Ok(self.self_service())
        } else {
            Err(Denied {
                action: "change",
                object: "the account with an API token".into(),
            })
        }
    }

    /// Everyone signed in may read their own account.
    pub fn self_service(&self) -> SelfService {
        SelfService {
            user_id: self.user_id,
            role: self
                .grants
                .first()
                .map(|g| g.role)
                .unwrap_or(Role::Reviewer),
        }
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
        assert!(m.cluster_write("minalogic").is_ok());
        assert!(m.cluster_write("axelera").is_err());
        assert!(m.organisation_write(1).is_err());
        assert!(m.user_admin().is_err());
        let po = actor(&[("programme_officer", "")]);
        assert_eq!(
            po.cluster_write("axelera").unwrap().role,
            Role::ProgrammeOfficer
        );
        assert!(po.organisation_write(1).is_err());
        assert!(po.programme_write().is_ok());
        let o = actor(&[("organisation_member", "12")]);
        assert!(o.organisation_write(12).is_ok());
        assert!(o.organisation_write(13).is_err());
        assert!(o.content_write().is_err());
        let ro = actor(&[("region_officer", "84")]);
        assert!(ro.content_write().is_ok());
        assert!(ro.programme_write().is_err());
        assert!(ro.audit_read().is_ok());
    }

    #[test]
    fn scopes_must_fit_roles() {
        assert_eq!(Grant::parse("admin", Some("x")).unwrap_err().field, "scope");
        assert_eq!(
            Grant::parse("cluster_manager", None).unwrap_err().field,
            "scope"
        );
        assert_eq!(
            Grant::parse("organisation_member", Some("abc"))
                .unwrap_err()
                .field,
            "scope"
        );
        assert_eq!(
            Grant::parse("region_officer", Some("844"))
                .unwrap_err()
                .field,
            "scope"
        );
        assert_eq!(Grant::parse("king", None).unwrap_err().field, "role");
        assert!(Grant::parse("region_officer", Some("84")).is_ok());
    }

    #[test]
    fn passwords_follow_the_policy() {
        let common = CommonPasswords::from_list("123qweasdzxc\npassword\n");
        assert!(NewPassword::parse("p", "short", &common).is_err());
        assert!(NewPassword::parse("p", "123QWEasdzxc", &common).is_err());
        assert!(NewPassword::parse("p", &"x".repeat(129), &common).is_err());
        let ok = NewPassword::parse("p", "correct horse battery", &common).unwrap();
        assert_eq!(format!("{ok:?}"), "NewPassword(<redacted>)");
        assert_eq!(
            Email::parse("e", "  Ann@Example.FR ").unwrap().as_str(),
            "ann@example.fr"
        );
        assert!(Email::parse("e", "no-at-sign").is_err());
        assert!(Email::parse("e", "a@b").is_err());
    }
}
