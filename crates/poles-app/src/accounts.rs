//! Accounts: signing in and out, one's own account (password, second factor, API tokens,
//! sessions, personal data, erasure), users and roles (admins), the audit trail (officers)
//! and the inbox.

use crate::access::{self, Granted};
use crate::{App, AppError, Caller, Origin, Result};
use poles_core::auth::{Actor, Email, Grant, NewPassword, Role};
use poles_core::model::Paged;
use poles_core::{FieldError, Page};
use poles_store::accounts::{self as store, Login};
use poles_store::audit::{self, Context, Event};
use poles_store::inbox;

pub use poles_store::accounts::{Session, SessionInfo, TokenInfo, User};
pub use poles_store::audit::AuditRow;
pub use poles_store::inbox::Notification;

/// The session behind a cookie, if it is live.
pub async fn session(app: &App, session_id: &str) -> Result<Option<Session>> {
    Ok(store::session(&app.db, &app.config.policy, session_id).await?)
}

/// The actor behind a bearer token, if the token is live (a `read` token carries no roles).
pub async fn token_actor(app: &App, token: &str) -> Result<Option<Actor>> {
    Ok(store::token_actor(&app.db, token).await?)
}

/// Records a write refused for want of its CSRF token.
pub async fn csrf_refused(app: &App, caller: &Caller, what: String) -> Result<()> {
    audit::record(
        &app.db,
        &caller.context(None),
        Event {
            action: "csrf.refused",
            object_kind: "request",
            object_ref: what,
            changes: serde_json::json!({}),
            reason: None,
        },
    )
    .await?;
    Ok(())
}

/// A new session: its secret id (for the cookie), its CSRF token and its user.
pub struct SignedIn {
    pub session_id: String,
    pub csrf: String,
    pub user: User,
}

/// Signs in with a password (and the second factor's code once enabled). Failures are
/// throttled; the answer never says which of e-mail, password or code was wrong. A session
/// the caller already had ends.
pub async fn login(
    app: &App,
    origin: &Origin,
    previous: Option<&Caller>,
    email: &str,
    password: &str,
    code: Option<&str>,
) -> Result<SignedIn> {
    let outcome = store::login(
        &app.db,
        &app.config.policy,
        &origin.context(),
        email,
        password,
        code,
        origin.user_agent.as_deref(),
    )
    .await?;
    match outcome {
        Login::Session {
            session_id,
            csrf,
            user_id,
        } => {
            if let Some(p) = previous {
                if let Some(old) = &p.session {
                    store::logout(&app.db, &p.context(None), &old.id_hash).await?;
                }
            }
            let user = store::user(&app.db, user_id)
                .await?
                .ok_or(AppError::BadCredentials)?;
            Ok(SignedIn {
                session_id,
                csrf,
                user,
            })
        }
        Login::NeedsSecondFactor => Err(AppError::SecondFactorRequired),
        Login::Refused => Err(AppError::BadCredentials),
        Login::Throttled { retry_after } => Err(AppError::Throttled { retry_after }),
        Login::Unverified => Err(AppError::Refused {
            code: "email_unverified",
            reason: FieldError::new(
                "email",
                "is not verified yet: open the link of the mail sent when you signed up",
            ),
        }),
    }
}

/// Signs out: the session ends on the server.
pub async fn logout(app: &App, caller: &Caller) -> Result<()> {
    if let Some(s) = &caller.session {
        store::logout(&app.db, &caller.context(None), &s.id_hash).await?;
    }
    Ok(())
}

/// The signed-in user.
pub async fn me(app: &App, caller: &Caller) -> Result<User> {
    store::user(&app.db, caller.actor.user_id)
        .await?
        .ok_or(AppError::Unauthenticated)
}

/// Changes one's password (the current one is asked again); other sessions end.
pub async fn change_password(app: &App, caller: &Caller, current: &str, new: &str) -> Result<()> {
    let new = NewPassword::parse("new_password", new, &app.common_passwords)?;
    let cap = app
        .allowed(caller, access::account_write(&caller.actor))
        .await?;
    let keep = caller.session.as_ref().map(|s| s.id_hash.as_str());
    store::change_password(
        &app.db,
        &app.config.policy,
        cap.by.user_id,
        &caller.ctx(cap.by),
        current,
        &new,
        keep,
    )
    .await?;
    Ok(())
}

/// One's open sessions.
pub async fn sessions(app: &App, caller: &Caller) -> Result<Vec<SessionInfo>> {
    let cap = access::self_service(&caller.actor);
    let current = caller.session.as_ref().map(|s| s.id_hash.as_str());
    Ok(store::sessions_of(&app.db, cap.by.user_id, current).await?)
}

/// Everything the platform holds about the caller.
pub async fn personal_data(app: &App, caller: &Caller) -> Result<serde_json::Value> {
    let cap = access::self_service(&caller.actor);
    Ok(store::personal_data(&app.db, cap.by.user_id).await?)
}

/// Erases the caller's personal data after asking the password again; the account cannot
/// be used again.
pub async fn erase(app: &App, caller: &Caller, password: &str, wrong: &str) -> Result<()> {
    let cap = app
        .allowed(caller, access::account_write(&caller.actor))
        .await?;
    let ctx = caller.ctx(cap.by);
    if !store::check_password(&app.db, &app.config.policy, cap.by.user_id, &ctx, password).await? {
        return Err(FieldError::new("password", wrong).into());
    }
    store::erase(&app.db, cap.by.user_id, &ctx).await?;
    Ok(())
}

/// A second factor being enrolled: the secret for the authenticator app and its URI.
pub struct TotpSetup {
    pub secret: String,
    pub otpauth_uri: String,
}

/// Starts enrolling a second factor.
pub async fn totp_begin(app: &App, caller: &Caller) -> Result<TotpSetup> {
    let cap = app
        .allowed(caller, access::account_write(&caller.actor))
        .await?;
    let secret = store::begin_totp(&app.db, cap.by.user_id).await?;
    Ok(TotpSetup {
        otpauth_uri: poles_core::totp::provisioning_uri(&secret, &caller.actor.email),
        secret,
    })
}

/// Confirms the second factor with a first code; it is required at every login from then on.
pub async fn totp_confirm(app: &App, caller: &Caller, code: &str) -> Result<()> {
    let cap = app
        .allowed(caller, access::account_write(&caller.actor))
        .await?;
    store::enable_totp(&app.db, cap.by.user_id, &caller.ctx(cap.by), code).await?;
    Ok(())
}

/// Issues an API token (stored hashed; the secret is returned once): its id and secret.
pub async fn create_token(
    app: &App,
    caller: &Caller,
    name: &str,
    scope: &str,
) -> Result<(i64, String)> {
    let cap = app
        .allowed(caller, access::account_write(&caller.actor))
        .await?;
    Ok(store::create_token(&app.db, cap.by.user_id, &caller.ctx(cap.by), name, scope).await?)
}

/// One's API tokens.
pub async fn tokens(app: &App, caller: &Caller) -> Result<Vec<TokenInfo>> {
    let cap = access::self_service(&caller.actor);
    Ok(store::tokens_of(&app.db, cap.by.user_id).await?)
}

/// Revokes one of one's API tokens.
pub async fn revoke_token(app: &App, caller: &Caller, id: i64) -> Result<()> {
    let cap = app
        .allowed(caller, access::account_write(&caller.actor))
        .await?;
    store::revoke_token(&app.db, cap.by.user_id, &caller.ctx(cap.by), id).await?;
    Ok(())
}

/// Finishes a password reset with its one-time token: the password changes and every
/// session ends.
pub async fn finish_reset(app: &App, origin: &Origin, token: &str, new: &str) -> Result<()> {
    let new = NewPassword::parse("new_password", new, &app.common_passwords)?;
    store::finish_reset(&app.db, &origin.context(), token, &new).await?;
    Ok(())
}

/// Every user with their roles (admins).
pub async fn users(app: &App, caller: &Caller) -> Result<Vec<User>> {
    app.allowed(caller, access::user_admin(&caller.actor))
        .await?;
    Ok(store::list_users(&app.db).await?)
}

/// A role as typed: its name and, for scoped roles, its object.
#[derive(Debug, Clone)]
pub struct RoleInput {
    pub role: String,
    pub scope: Option<String>,
}

impl RoleInput {
    fn parse(&self) -> Result<Grant> {
        if self.role.trim().is_empty() {
            return Err(FieldError::new("role", "choose a role").into());
        }
        Ok(Grant::parse(&self.role, self.scope.as_deref())?)
    }
}

/// Why granting admin was refused for want of the acting admin's password.
const ADMIN_NEEDS_PASSWORD: &str = "granting the admin role needs your current password";

/// Whether granting this role needs the acting admin's password again (admin does), so that
/// a page can ask for it before trying.
pub fn grant_needs_password(role: &RoleInput) -> bool {
    role.parse().is_ok_and(|g| g.role == Role::Admin)
}

/// Granting admin gives every right on the platform: the acting admin types their current
/// password again (checked and throttled like a sign-in), whatever the way in — the page's
/// confirmation, the API's `password` field, or a new user's grants.
async fn confirm_admin_grant(
    app: &App,
    caller: &Caller,
    by: Granted,
    grants: &[Grant],
    reauth: Reauth<'_>,
) -> Result<()> {
    if !grants.iter().any(|g| g.role == Role::Admin) {
        return Ok(());
    }
    let Some(password) = reauth.password.filter(|p| !p.is_empty()) else {
        return Err(FieldError::new(reauth.field, ADMIN_NEEDS_PASSWORD).into());
    };
    let ctx = caller.ctx(by);
    if !store::check_password(&app.db, &app.config.policy, by.user_id, &ctx, password).await? {
        return Err(FieldError::new(reauth.field, reauth.wrong).into());
    }
    Ok(())
}

async fn admin(app: &App, caller: &Caller) -> Result<Granted> {
    Ok(app
        .allowed(caller, access::user_admin(&caller.actor))
        .await?
        .by)
}

/// The acting admin's current password, asked again before granting admin.
#[derive(Debug, Clone, Copy)]
pub struct Reauth<'a> {
    /// The field it was typed in (`password` when granting a role, `current_password` when
    /// creating a user), named in refusals.
    pub field: &'a str,
    pub password: Option<&'a str>,
    /// The refusal's reason when it is wrong, in the caller's language.
    pub wrong: &'a str,
}

/// Creates a user with roles (admins); an admin grant needs the acting admin's password.
pub async fn create_user(
    app: &App,
    caller: &Caller,
    email: &str,
    password: &str,
    roles: &[RoleInput],
    reauth: Reauth<'_>,
) -> Result<User> {
    let by = admin(app, caller).await?;
    let email = Email::parse("email", email)?;
    let password = NewPassword::parse("password", password, &app.common_passwords)?;
    let grants = roles
        .iter()
        .map(RoleInput::parse)
        .collect::<Result<Vec<_>>>()?;
    confirm_admin_grant(app, caller, by, &grants, reauth).await?;
    let id = store::create_user(
        &app.db,
        Some(by.user_id),
        &caller.context(Some(Role::Admin)),
        &email,
        &password,
        &grants,
    )
    .await?;
    store::user(&app.db, id)
        .await?
        .ok_or(AppError::NotFound("user"))
}

/// Creates a user from the command line of the server (`poles admin create-user`): whoever
/// runs it holds the machine, and the audit row says so.
pub async fn create_user_from_cli(
    app: &App,
    email: &str,
    password: &str,
    role: &RoleInput,
) -> Result<i64> {
    let email = Email::parse("email", email)?;
    let password = NewPassword::parse("password", password, &app.common_passwords)?;
    let grant = role.parse()?;
    Ok(store::create_user(
        &app.db,
        None,
        &Context::default(),
        &email,
        &password,
        &[grant],
    )
    .await?)
}

/// Starts a password reset from the command line: the one-time token to hand to the user
/// (the operator's fallback when mail does not reach them), or `None` for an unknown or
/// inactive account.
pub async fn start_reset_from_cli(app: &App, email: &str) -> Result<Option<String>> {
    let email = Email::parse("email", email)?;
    Ok(store::start_reset(&app.db, &app.config.policy, &Context::default(), &email).await?)
}

/// Grants a role (admins); granting admin needs the acting admin's password again.
pub async fn grant_role(
    app: &App,
    caller: &Caller,
    user_id: i64,
    role: &RoleInput,
    reauth: Reauth<'_>,
) -> Result<()> {
    let by = admin(app, caller).await?;
    let grant = role.parse()?;
    confirm_admin_grant(app, caller, by, std::slice::from_ref(&grant), reauth).await?;
    store::grant_role(
        &app.db,
        by.user_id,
        &caller.context(Some(Role::Admin)),
        user_id,
        &grant,
    )
    .await?;
    Ok(())
}

/// Revokes a role (admins).
pub async fn revoke_role(app: &App, caller: &Caller, user_id: i64, role: &RoleInput) -> Result<()> {
    admin(app, caller).await?;
    let grant = role.parse()?;
    store::revoke_role(&app.db, &caller.context(Some(Role::Admin)), user_id, &grant).await?;
    Ok(())
}

/// Disables (every session ends at once) or re-enables an account (admins).
pub async fn set_status(
    app: &App,
    caller: &Caller,
    user_id: i64,
    disabled: bool,
    reason: Option<String>,
) -> Result<()> {
    admin(app, caller).await?;
    let reason = reason.filter(|r| !r.trim().is_empty());
    store::set_disabled(
        &app.db,
        &caller.context(Some(Role::Admin)),
        user_id,
        disabled,
        reason,
    )
    .await?;
    Ok(())
}

/// The filters of the audit trail as typed.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub object_kind: Option<String>,
    pub object_ref: Option<String>,
    pub actor: Option<String>,
    pub action: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

fn audit_time(field: &str, v: &Option<String>) -> Result<Option<String>> {
    match v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v)
            if (v.len() == 10 || v.len() == 20)
                && v.get(..10)
                    .is_some_and(|d| poles_core::cordis::parse_date(d).is_ok()) =>
        {
            Ok(Some(v.to_string()))
        }
        Some(_) => Err(FieldError::new(field, "must be YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ").into()),
    }
}

/// The audit trail, newest first (officers and admins). Who acted (their e-mail) is shown
/// to admins only: other officers see the user id and the role.
pub async fn audit_log(
    app: &App,
    caller: &Caller,
    q: &AuditQuery,
    page: Page,
) -> Result<Paged<AuditRow>> {
    let cap = app
        .allowed(caller, access::audit_read(&caller.actor))
        .await?;
    let text = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let filter = audit::Filter {
        object_kind: text(&q.object_kind),
        object_ref: text(&q.object_ref),
        action: text(&q.action),
        actor_id: text(&q.actor)
            .map(|a| {
                a.parse::<i64>()
                    .map_err(|_| FieldError::new("actor", "must be a user id"))
            })
            .transpose()?,
        from: audit_time("from", &q.from)?,
        to: audit_time("to", &q.to)?,
    };
    let mut rows = audit::list(&app.db, &filter, page).await?;
    if !cap.personal {
        for r in &mut rows.items {
            r.actor_email = None;
        }
    }
    Ok(rows)
}

/// One's inbox: what the platform has to tell (mail carries links; the inbox keeps it all).
pub async fn inbox(app: &App, caller: &Caller) -> Result<Vec<Notification>> {
    let cap = access::self_service(&caller.actor);
    Ok(inbox::inbox(&app.db, cap.by.user_id).await?)
}

/// Marks a notification of one's inbox read.
pub async fn mark_read(app: &App, caller: &Caller, id: i64) -> Result<()> {
    let cap = access::self_service(&caller.actor);
    inbox::mark_read(&app.db, cap.by.user_id, id).await?;
    Ok(())
}

/// A random password that meets the policy, for the demo's accounts.
pub fn random_password() -> String {
    store::random_password()
}

/// The id of an organisation of the shipped programme data, by its key (for the demo's
/// accounts).
pub async fn demo_organisation(app: &App, key: &str) -> Result<Option<i64>> {
    Ok(poles_store::registry::organisation_id_by_demo_key(&app.db, key).await?)
}

/// Counts a mail-sending request against its limit (`key` names who asks or who receives).
async fn mail_limit(app: &App, key: &str, limit: i64) -> Result<()> {
    let window = app.config.policy.mail_requests_window_secs;
    match poles_store::rate::hit(&app.db, key, limit, window).await? {
        Some(retry_after) => Err(AppError::TooManyRequests { retry_after }),
        None => Ok(()),
    }
}

fn address_key(origin: &Origin) -> String {
    origin.ip.clone().unwrap_or_else(|| "unknown".into())
}

/// Signs up: a new account that cannot sign in until the address is verified through the
/// link mailed to it. The answer is the same whether the address already had an account
/// (its owner gets a mail saying so), so sign-up never tells who is registered. Limited per
/// address and per recipient, like sign-in attempts.
pub async fn sign_up(
    app: &App,
    origin: &Origin,
    email: &str,
    display_name: Option<&str>,
    password: &str,
) -> Result<()> {
    let email = Email::parse("email", email)?;
    let password = NewPassword::parse("password", password, &app.common_passwords)?;
    let display_name = display_name.map(str::trim).filter(|d| !d.is_empty());
    if display_name.is_some_and(|d| d.chars().count() > 100) {
        return Err(FieldError::new("display_name", "is longer than 100 characters").into());
    }
    let p = &app.config.policy;
    mail_limit(
        app,
        &format!("signup:{}", address_key(origin)),
        p.mail_requests_per_address,
    )
    .await?;
    mail_limit(
        app,
        &format!("mail-to:{}", email.as_str()),
        p.mail_requests_per_recipient,
    )
    .await?;
    let to = email.as_str().to_string();
    store::sign_up(
        &app.db,
        p,
        &origin.context(),
        &email,
        display_name,
        &password,
        |token| match token {
            Some(t) => crate::mail::verify_mail(app, &to, t),
            None => crate::mail::already_registered_mail(app, &to),
        },
    )
    .await?;
    Ok(())
}

/// Verifies an address with the token of the mailed link; the account may sign in.
pub async fn verify_email(app: &App, origin: &Origin, token: &str) -> Result<()> {
    if token.trim().is_empty() {
        return Err(FieldError::new("token", "is missing").into());
    }
    store::verify_email(&app.db, &origin.context(), token).await?;
    Ok(())
}

/// Asks for a password-reset link by mail. The answer never tells whether the address has
/// an account: an unknown address gets no mail and the same answer; so does one that asked
/// too often lately (its limit is silent), while an address asking for many recipients is
/// refused with a wait.
pub async fn request_reset(app: &App, origin: &Origin, email: &str) -> Result<()> {
    let email = Email::parse("email", email)?;
    let p = &app.config.policy;
    mail_limit(
        app,
        &format!("reset:{}", address_key(origin)),
        p.mail_requests_per_address,
    )
    .await?;
    match mail_limit(
        app,
        &format!("mail-to:{}", email.as_str()),
        p.mail_requests_per_recipient,
    )
    .await
    {
        Err(AppError::TooManyRequests { .. }) => return Ok(()),
        other => other?,
    }
    let to = email.as_str().to_string();
    store::start_reset_by_mail(&app.db, p, &origin.context(), &email, |token| {
        crate::mail::reset_mail(app, &to, token)
    })
    .await?;
    Ok(())
}
