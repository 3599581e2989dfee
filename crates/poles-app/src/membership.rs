//! Organisations claimed by the people who work for them: a signed-in (hence verified)
//! person names an organisation by its SIREN, its PIC or its name and asks to act for it; an
//! admin or a member the organisation already has approves — the person becomes an
//! organisation member — or declines with a reason. The claimant is told in the inbox and by
//! mail; every step is audited.

use crate::access;
use crate::{App, AppError, Caller, Result};
use poles_core::auth::{OrganisationKey, Role};
use poles_core::FieldError;
use poles_store::membership::{self as store, Decision};

pub use poles_store::membership::{ClaimableOrganisation, MembershipRequest};

/// The organisations a SIREN, a PIC or a name designates.
pub async fn find(app: &App, key: &str) -> Result<Vec<ClaimableOrganisation>> {
    Ok(match OrganisationKey::parse("organisation", key)? {
        OrganisationKey::Number { digits, luhn } => {
            store::by_number(&app.db, &digits, luhn).await?
        }
        OrganisationKey::Name(name) => store::by_name(&app.db, &name).await?,
    })
}

/// Asks to act for an organisation (named by its SIREN, PIC or name).
pub async fn claim(
    app: &App,
    caller: &Caller,
    organisation: &str,
    message: Option<&str>,
) -> Result<MembershipRequest> {
    let cap = access::self_service(&caller.actor);
    let message = message.map(str::trim).filter(|m| !m.is_empty());
    if message.is_some_and(|m| m.chars().count() > 1000) {
        return Err(FieldError::new("message", "is longer than 1,000 characters").into());
    }
    let found = find(app, organisation).await?;
    let org = match found.as_slice() {
        [one] => one.clone(),
        [] => {
            return Err(FieldError::new(
                "organisation",
                "no organisation has this SIREN, PIC or name",
            )
            .into())
        }
        _ => {
            return Err(FieldError::new(
                "organisation",
                "several organisations match: give its SIREN or its PIC",
            )
            .into())
        }
    };
    let who = &caller.actor.email;
    let notice = (
        format!("{who} demande à agir au nom de « {} ».", org.name),
        format!("{who} asks to act for \"{}\".", org.name),
    );
    let id = store::create(
        &app.db,
        &caller.ctx(cap.by),
        cap.by.user_id,
        org.id,
        message,
        notice,
    )
    .await?;
    store::get(&app.db, id)
        .await?
        .map(|(c, _)| c)
        .ok_or(AppError::NotFound("claim"))
}

/// One's own requests, newest first.
pub async fn mine(app: &App, caller: &Caller) -> Result<Vec<MembershipRequest>> {
    let cap = access::self_service(&caller.actor);
    Ok(store::of_user(&app.db, cap.by.user_id).await?)
}

/// The requests the caller may decide: every pending one for admins, those of their
/// organisations for organisation members, none for others.
pub async fn to_decide(app: &App, caller: &Caller) -> Result<Vec<MembershipRequest>> {
    let grants = &caller.actor.grants;
    if grants.iter().any(|g| g.role == Role::Admin) {
        return Ok(store::pending(&app.db, None).await?);
    }
    let orgs: Vec<i64> = grants
        .iter()
        .filter(|g| g.role == Role::OrganisationMember)
        .filter_map(|g| g.scope.parse().ok())
        .filter(|id| access::claim_decision(&caller.actor, *id).is_ok())
        .collect();
    if orgs.is_empty() {
        return Ok(Vec::new());
    }
    Ok(store::pending(&app.db, Some(&orgs)).await?)
}

/// Approves (the claimant becomes a member) or declines with a reason (admins and the
/// organisation's members).
pub async fn decide(
    app: &App,
    caller: &Caller,
    id: i64,
    approve: bool,
    reason: Option<&str>,
) -> Result<()> {
    let (claim, _) = store::get(&app.db, id)
        .await?
        .ok_or(AppError::NotFound("claim"))?;
    let cap = app
        .allowed(
            caller,
            access::claim_decision(&caller.actor, claim.organisation_id),
        )
        .await?;
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if !approve && reason.is_none() {
        return Err(FieldError::new("reason", "say why the request is declined").into());
    }
    if reason.is_some_and(|r| r.chars().count() > 1000) {
        return Err(FieldError::new("reason", "is longer than 1,000 characters").into());
    }
    let name = &claim.organisation_name;
    let notice = if approve {
        (
            format!("Vous êtes membre de « {name} » : votre demande est acceptée."),
            format!("You are a member of \"{name}\": your request is approved."),
        )
    } else {
        let r = reason.unwrap_or_default();
        (
            format!("Votre demande pour « {name} » est refusée : {r}"),
            format!("Your request for \"{name}\" is declined: {r}"),
        )
    };
    let mail = crate::mail::claim_decided_mail(app, &claim.claimant_email, name, approve, reason);
    store::decide(
        &app.db,
        &caller.ctx(cap.by),
        id,
        cap.by.user_id,
        Decision {
            approve,
            reason: reason.map(str::to_string),
            notice,
            mail,
        },
    )
    .await?;
    Ok(())
}
