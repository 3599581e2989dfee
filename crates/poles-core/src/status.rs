//! The statuses of the programme's records, as enums from the database row to the template:
//! stored as their snake_case name (the columns' CHECK constraints list the same names),
//! decoded with `TryFrom<String>`, which refuses an unknown name instead of defaulting.

use crate::FieldError;
use serde::{Deserialize, Serialize};
use std::fmt;
use utoipa::ToSchema;

/// Names are token trees, not `literal` fragments, so that utoipa reads each `serde(rename)`
/// (see `string_enum!` in `types.rs`).
macro_rules! status {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $text:tt),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vm])* #[serde(rename = $text)] $variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// Parses the stored or typed name; `field` names the input in the refusal.
            pub fn parse(field: &str, s: &str) -> Result<$name, FieldError> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(FieldError::new(
                        field,
                        format!(
                            "unknown value {s:?}; expected one of: {}",
                            [$($text),+].join(", ")
                        ),
                    )),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl TryFrom<String> for $name {
            type Error = FieldError;

            fn try_from(s: String) -> Result<Self, Self::Error> {
                $name::parse(stringify!($name), &s)
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }
    };
}

status!(
    /// Where an application stands on its path through a call.
    ApplicationStatus {
        Draft = "draft",
        Submitted = "submitted",
        Withdrawn = "withdrawn",
        Selected = "selected",
        Rejected = "rejected",
        Ineligible = "ineligible",
        Lapsed = "lapsed",
        Running = "running",
        Closed = "closed",
        Abandoned = "abandoned",
    }
);

status!(
    /// The consortium agreement of a selected project.
    AgreementStatus {
        None = "none",
        Negotiating = "negotiating",
        Signed = "signed",
    }
);

status!(
    /// A partner's place in an application's consortium.
    PartnerRole {
        Lead = "lead",
        Partner = "partner",
    }
);

status!(
    /// A partner's answer to its invitation.
    Invitation {
        Invited = "invited",
        Accepted = "accepted",
        Declined = "declined",
    }
);

status!(
    /// A cluster's answer to a labelling request.
    LabellingStatus {
        Requested = "requested",
        Labelled = "labelled",
        Refused = "refused",
    }
);

status!(
    /// A funding proposal on its way to a four-eyes decision.
    ProposalStatus {
        Proposed = "proposed",
        Approved = "approved",
        Rejected = "rejected",
        Withdrawn = "withdrawn",
        Lapsed = "lapsed",
    }
);

status!(
    /// A payment of a decision: an advance, an interim payment or the balance.
    PaymentKind {
        Advance = "advance",
        Interim = "interim",
        Final = "final",
    }
);

status!(
    /// A payment claim and what became of it.
    ClaimStatus {
        Claimed = "claimed",
        Paid = "paid",
        Refused = "refused",
    }
);

status!(
    /// A user account.
    UserStatus {
        Active = "active",
        Disabled = "disabled",
        Erased = "erased",
    }
);

status!(
    /// A person's request to act for an organisation.
    MembershipClaimStatus {
        Pending = "pending",
        Approved = "approved",
        Declined = "declined",
    }
);

status!(
    /// Where a partnership stands: proposed by one pôle to another, confirmed (or recorded
    /// from a source, with a foreign cluster), declined, ended.
    PartnershipStatus {
        Proposed = "proposed",
        Confirmed = "confirmed",
        Declined = "declined",
        Ended = "ended",
    }
);

status!(
    /// An expression of interest from one organisation to another.
    InterestStatus {
        Pending = "pending",
        Accepted = "accepted",
        Declined = "declined",
    }
);

status!(
    /// An organisation's request to join a pôle.
    JoinStatus {
        Pending = "pending",
        Accepted = "accepted",
        Declined = "declined",
        Withdrawn = "withdrawn",
    }
);

status!(
    /// An organisation's place in a project of the registry (CORDIS).
    ProjectRole {
        Coordinator = "coordinator",
        Partner = "partner",
    }
);

status!(
    /// Who a budget line's funder is.
    FunderKind {
        Ministry = "ministry",
        Agency = "agency",
        Region = "region",
        Eu = "eu",
        Other = "other",
    }
);

status!(
    /// A recorded movement of a budget line.
    MovementKind {
        Committed = "committed",
        Paid = "paid",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_and_refuse_unknown_names() {
        for s in ApplicationStatus::ALL {
            assert_eq!(
                ApplicationStatus::try_from(s.as_str().to_string()).unwrap(),
                *s
            );
            assert_eq!(
                serde_json::to_string(s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
        }
        let e = ApplicationStatus::parse("status", "Draft").unwrap_err();
        assert_eq!(e.field, "status");
        assert!(e.reason.contains("draft, submitted"));
        assert!(Invitation::try_from("maybe".to_string()).is_err());
        assert!(ProposalStatus::Approved == "approved");
    }

    /// The OpenAPI schema of each status lists its stored and wire names.
    #[test]
    fn status_schemas_spell_values_as_the_wire_does() {
        fn check<T: utoipa::PartialSchema + Serialize>(all: &[T]) {
            let schema = serde_json::to_value(T::schema()).unwrap();
            let wire: Vec<serde_json::Value> = all
                .iter()
                .map(|v| serde_json::to_value(v).unwrap())
                .collect();
            assert_eq!(schema["enum"], serde_json::Value::from(wire), "{schema}");
        }
        check(ApplicationStatus::ALL);
        check(AgreementStatus::ALL);
        check(PartnerRole::ALL);
        check(Invitation::ALL);
        check(LabellingStatus::ALL);
        check(ProposalStatus::ALL);
        check(PaymentKind::ALL);
        check(ClaimStatus::ALL);
        check(UserStatus::ALL);
        check(ProjectRole::ALL);
        check(FunderKind::ALL);
        check(MovementKind::ALL);
    }
}
