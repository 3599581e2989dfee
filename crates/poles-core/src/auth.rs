//! Who is who: roles scoped to an object, the signed-in actor, e-mail addresses and the
//! password policy. Who may do what is decided by the use-case layer (`poles-app`'s
//! `access` module), the only place that grants capabilities.

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

/// How a person names the organisation they ask to act for: a SIREN (9 digits with a valid
/// Luhn check digit; it may also be a PIC), a PIC (9 digits, the European participant code,
/// which has no check digit) or its name. Spaces are ignored in numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrganisationKey {
    /// Nine digits: matched against SIRENs (when `luhn` holds) and PICs.
    Number {
        digits: String,
        luhn: bool,
    },
    Name(String),
}

/// Whether a string of digits passes the Luhn check (SIREN, SIRET).
pub fn luhn(digits: &str) -> bool {
    let mut sum = 0u32;
    for (i, c) in digits.chars().rev().enumerate() {
        let Some(d) = c.to_digit(10) else {
            return false;
        };
        let d = if i % 2 == 1 { d * 2 } else { d };
        sum += if d > 9 { d - 9 } else { d };
    }
    !digits.is_empty() && sum.is_multiple_of(10)
}

impl OrganisationKey {
    pub fn parse(field: &str, s: &str) -> Result<OrganisationKey, FieldError> {
        let t = s.trim();
        let compact: String = t.chars().filter(|c| !c.is_whitespace()).collect();
        if !compact.is_empty() && compact.chars().all(|c| c.is_ascii_digit()) {
            if compact.len() != 9 {
                return Err(FieldError::new(
                    field,
                    "a SIREN or a PIC has 9 digits; or type the organisation's name",
                ));
            }
            let luhn = luhn(&compact);
            return Ok(OrganisationKey::Number {
                digits: compact,
                luhn,
            });
        }
        if t.chars().count() < 2 || t.chars().count() > 200 {
            return Err(FieldError::new(
                field,
                "give the organisation's SIREN (9 digits), its PIC (9 digits) or its name",
            ));
        }
        Ok(OrganisationKey::Name(t.to_string()))
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

impl Actor {
    pub fn roles(&self) -> Vec<Role> {
        self.grants.iter().map(|g| g.role).collect()
    }

    /// The organisations the actor belongs to (for conflicts of interest).
    pub fn organisations(&self) -> Vec<i64> {
        self.grants
            .iter()
            .filter(|g| g.role == Role::OrganisationMember)
            .filter_map(|g| g.scope.parse().ok())
            .collect()
    }
}

#[cfg(test)]
mod claim_key_tests {
    use super::*;

    #[test]
    fn sirens_are_luhn_checked_and_pics_accepted() {
        // 552 100 554: a well-known SIREN whose check digit is right.
        assert_eq!(
            OrganisationKey::parse("organisation", "552 100 554"),
            Ok(OrganisationKey::Number {
                digits: "552100554".into(),
                luhn: true
            })
        );
        assert!(luhn("732829320"));
        assert!(!luhn("552100555"));
        // A PIC has no check digit: nine digits are accepted, matched as a PIC only.
        assert_eq!(
            OrganisationKey::parse("organisation", "999999990"),
            Ok(OrganisationKey::Number {
                digits: "999999990".into(),
                luhn: false
            })
        );
        assert!(OrganisationKey::parse("organisation", "12345").is_err());
        assert_eq!(
            OrganisationKey::parse("organisation", " Xerox ").unwrap(),
            OrganisationKey::Name("Xerox".into())
        );
        assert!(OrganisationKey::parse("organisation", " ").is_err());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
