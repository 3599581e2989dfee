//! Expressing interest: from a partner's profile or a suggestion, a person acting for an
//! organisation writes to another; one of its members accepts — both then see each other's
//! address — or declines. No address is shown before. An organisation nobody acts for in
//! Pôles yet (most of those the research programmes list) cannot be reached this way: the
//! refusal says so and gives its pôle's contact where it has one. Limited per person.

use crate::{access, App, AppError, Caller, Result};
use poles_core::FieldError;
use poles_store::contacts as store;
use serde::Deserialize;
use utoipa::ToSchema;

pub use poles_store::contacts::Interest;

/// How many messages one person may send per day.
const PER_DAY: i64 = 20;

/// A message to an organisation.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct InterestAsk {
    /// The organisation writing: one the caller acts for. Left out, the only one they act for.
    pub from_organisation_id: Option<i64>,
    /// Why the writer is interested (10 to 2,000 characters).
    pub message: String,
}

/// Sends a message of interest to organisation `to`; its id.
pub async fn send(app: &App, caller: &Caller, to: i64, ask: &InterestAsk) -> Result<Interest> {
    let own = access::own_organisations(&caller.actor);
    let from = match (ask.from_organisation_id, own.as_slice()) {
        (Some(f), _) => f,
        (None, [one]) => *one,
        (None, []) => {
            return Err(FieldError::new(
                "from_organisation_id",
                "you act for no organisation: claim yours first (Memberships)",
            )
            .into())
        }
        (None, _) => {
            return Err(FieldError::new(
                "from_organisation_id",
                "choose which of your organisations writes",
            )
            .into())
        }
    };
    let cap = app
        .allowed(caller, access::organisation_write(&caller.actor, from))
        .await?;
    if from == to {
        return Err(FieldError::new("organisation", "is your own organisation").into());
    }
    let message = ask.message.trim();
    let n = message.chars().count();
    if !(10..=2000).contains(&n) {
        return Err(FieldError::new("message", "must have 10 to 2,000 characters").into());
    }
    let names = poles_store::joining::organisation_names(&app.db, &[from, to]).await?;
    let name = |id: i64| names.iter().find(|(i, _)| *i == id).map(|(_, n)| n.clone());
    let to_name = name(to).ok_or(AppError::NotFound("organisation"))?;
    let from_name = name(from).ok_or(AppError::NotFound("organisation"))?;
    if !store::has_members(&app.db, to).await? {
        let contacts = store::pole_contacts(&app.db, to).await?;
        // Two whole sentences (not one with an optional tail), so that pages can say each in French.
        let said = match contacts.first() {
            Some((pole, contact)) => FieldError::new(
                "organisation",
                format!(
                    "nobody acts for {to_name} in Pôles yet, so a message would reach no one; its pôle {pole} can be reached at {contact}"
                ),
            ),
            None => FieldError::new(
                "organisation",
                format!("nobody acts for {to_name} in Pôles yet, so a message would reach no one"),
            ),
        };
        return Err(said.into());
    }
    if let Some(retry_after) = poles_store::rate::hit(
        &app.db,
        &format!("interest:{}", cap.by.user_id),
        PER_DAY,
        86_400,
    )
    .await?
    {
        return Err(AppError::TooManyRequests { retry_after });
    }
    let notice = (
        format!("« {from_name} » s'intéresse à votre organisation : {message}"),
        format!("\"{from_name}\" is interested in your organisation: {message}"),
    );
    let id = store::send(
        &app.db,
        &caller.ctx(cap.by),
        cap.by.user_id,
        from,
        to,
        message,
        notice,
    )
    .await?;
    store::get(&app.db, id)
        .await?
        .ok_or(AppError::NotFound("message"))
}

/// The messages sent by or to the organisations the caller acts for, newest first.
pub async fn mine(app: &App, caller: &Caller) -> Result<Vec<Interest>> {
    let own = access::own_organisations(&caller.actor);
    Ok(store::of_organisations(&app.db, &own).await?)
}

/// Accepts (both sides then see each other's address) or declines a message addressed to
/// an organisation the caller acts for.
pub async fn answer(app: &App, caller: &Caller, id: i64, accept: bool) -> Result<Interest> {
    let m = store::get(&app.db, id)
        .await?
        .ok_or(AppError::NotFound("message"))?;
    let cap = app
        .allowed(
            caller,
            access::organisation_write(&caller.actor, m.to_organisation_id),
        )
        .await?;
    let to = &m.to_organisation;
    let notice = if accept {
        (
            format!("« {to} » accepte votre prise de contact : ses coordonnées sont visibles dans vos contacts."),
            format!("\"{to}\" accepts your message: its address is in your contacts."),
        )
    } else {
        (
            format!("« {to} » décline votre prise de contact."),
            format!("\"{to}\" declines your message."),
        )
    };
    store::answer(
        &app.db,
        &caller.ctx(cap.by),
        id,
        cap.by.user_id,
        accept,
        notice,
    )
    .await?;
    store::get(&app.db, id)
        .await?
        .ok_or(AppError::NotFound("message"))
}
