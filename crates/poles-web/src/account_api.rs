//! Sign-in, the caller's own account, API tokens, users and roles, and the audit trail.

use crate::auth::{Authed, Caller};
use crate::error::{ApiError, ErrorBody};
use crate::params::{self, Params};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use poles_core::auth::{Email, Grant, NewPassword, Role};
use poles_core::model::Paged;
use poles_core::FieldError;
use poles_store::accounts::{self, Login, SessionInfo, TokenInfo, User};
use poles_store::audit::{self, AuditRow};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
    /// The 6-digit code, for accounts with a second factor.
    pub code: Option<String>,
}

/// The signed-in user, and the token to send as `X-CSRF-Token` with cookie-authenticated writes.
#[derive(Serialize, ToSchema)]
pub struct Me {
    pub user: User,
    pub csrf_token: Option<String>,
}

/// Signs in: sets the session cookie (a new session id at every login).
#[utoipa::path(post, path = "/api/v1/session", tag = "accounts", request_body = LoginRequest,
    responses((status = 200, body = Me), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(st): State<AppState>,
    caller: Caller,
    crate::extract::ApiJson(body): crate::extract::ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    let ctx = audit::Context {
        ip: caller.origin.ip.clone(),
        request_id: caller.origin.request_id.clone(),
        ..Default::default()
    };
    let outcome = accounts::login(
        &st.db,
        &st.auth.policy,
        &ctx,
        &body.email,
        &body.password,
        body.code.as_deref(),
        caller.origin.user_agent.as_deref(),
    )
    .await?;
    match outcome {
        Login::Session {
            session_id,
            csrf,
            user_id,
        } => {
            let user = accounts::user(&st.db, user_id)
                .await?
                .ok_or(ApiError::BadCredentials)?;
            let cookie = st
                .auth
                .session_cookie(&session_id, st.auth.policy.session_absolute_secs);
            Ok((
                [(header::SET_COOKIE, cookie)],
                Json(Me {
                    user,
                    csrf_token: Some(csrf),
                }),
            )
                .into_response())
        }
        Login::NeedsSecondFactor => Err(ApiError::SecondFactorRequired),
        Login::Refused => Err(ApiError::BadCredentials),
        Login::Throttled { retry_after } => Err(ApiError::TooManyRequests { retry_after }),
    }
}

/// Signs out: the session ends on the server and the cookie is cleared.
#[utoipa::path(delete, path = "/api/v1/session", tag = "accounts", responses((status = 204)))]
pub async fn logout(State(st): State<AppState>, me: Authed) -> Result<Response, ApiError> {
    if let Some(s) = &me.session {
        let ctx = crate::auth::context(&me.actor, &me.origin);
        accounts::logout(&st.db, &ctx, &s.id_hash).await?;
    }
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, st.auth.session_cookie("", 0))],
    )
        .into_response())
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts",
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
pub async fn me(State(st): State<AppState>, me: Authed) -> Result<Json<Me>, ApiError> {
    let user = accounts::user(&st.db, me.actor.user_id)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    Ok(Json(Me {
        user,
        csrf_token: me.session.map(|s| s.csrf),
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// Changes one's password (the current one is asked again); other sessions end.
#[utoipa::path(put, path = "/api/v1/me/password", tag = "accounts", request_body = PasswordChange,
    responses((status = 204), (status = 400, body = ErrorBody)))]
pub async fn change_password(
    State(st): State<AppState>,
    me: Authed,
    crate::extract::ApiJson(b): crate::extract::ApiJson<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    let new = NewPassword::parse("new_password", &b.new_password, &st.common_passwords)?;
    let cap = me.allowed(&st, me.actor.account_write()).await?;
    let ctx = me.ctx(cap.role);
    let keep = me.session.as_ref().map(|s| s.id_hash.as_str());
    accounts::change_password(
        &st.db,
        &st.auth.policy,
        &cap,
        &ctx,
        &b.current_password,
        &new,
        keep,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One's open sessions.
#[utoipa::path(get, path = "/api/v1/me/sessions", tag = "accounts", responses((status = 200, body = Vec<SessionInfo>)))]
pub async fn my_sessions(
    State(st): State<AppState>,
    me: Authed,
) -> Result<Json<Vec<SessionInfo>>, ApiError> {
    let cap = me.actor.self_service();
    let current = me.session.as_ref().map(|s| s.id_hash.as_str());
    Ok(Json(accounts::sessions_of(&st.db, &cap, current).await?))
}

/// Everything the platform holds about the caller, as JSON.
#[utoipa::path(get, path = "/api/v1/me/data", tag = "accounts", responses((status = 200, body = Object)))]
pub async fn my_data(
    State(st): State<AppState>,
    me: Authed,
) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(
        accounts::personal_data(&st.db, &me.actor.self_service()).await?,
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct ErasureRequest {
    /// The current password, asked again before erasure.
    pub password: String,
}

/// Erases the caller's personal data; the account cannot be used again.
#[utoipa::path(delete, path = "/api/v1/me", tag = "accounts", request_body = ErasureRequest,
    responses((status = 204), (status = 400, body = ErrorBody)))]
pub async fn erase_me(
    State(st): State<AppState>,
    me: Authed,
    crate::extract::ApiJson(b): crate::extract::ApiJson<ErasureRequest>,
) -> Result<Response, ApiError> {
    let cap = me.allowed(&st, me.actor.account_write()).await?;
    if !accounts::check_password(
        &st.db,
        &st.auth.policy,
        &cap,
        &me.ctx(cap.role),
        &b.password,
    )
    .await?
    {
        return Err(FieldError::new("password", "is not your current password").into());
    }
    accounts::erase(&st.db, &cap, &me.ctx(cap.role)).await?;
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, st.auth.session_cookie("", 0))],
    )
        .into_response())
}

#[derive(Serialize, ToSchema)]
pub struct TotpSetup {
    /// Base32 secret for the authenticator app.
    pub secret: String,
    pub otpauth_uri: String,
}

/// Starts enrolling a second factor.
#[utoipa::path(post, path = "/api/v1/me/totp", tag = "accounts", responses((status = 200, body = TotpSetup)))]
pub async fn totp_begin(
    State(st): State<AppState>,
    me: Authed,
) -> Result<Json<TotpSetup>, ApiError> {
    let secret =
        accounts::begin_totp(&st.db, &me.allowed(&st, me.actor.account_write()).await?).await?;
    Ok(Json(TotpSetup {
        otpauth_uri: poles_core::totp::provisioning_uri(&secret, &me.actor.email),
        secret,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct TotpConfirm {
    pub code: String,
}

/// Confirms the second factor with a first code; it is required at every login from then on.
#[utoipa::path(post, path = "/api/v1/me/totp/confirm", tag = "accounts", request_body = TotpConfirm,
    responses((status = 204), (status = 400, body = ErrorBody)))]
pub async fn totp_confirm(
    State(st): State<AppState>,
    me: Authed,
    crate::extract::ApiJson(b): crate::extract::ApiJson<TotpConfirm>,
) -> Result<StatusCode, ApiError> {
    let cap = me.allowed(&st, me.actor.account_write()).await?;
    accounts::enable_totp(&st.db, &cap, &me.ctx(cap.role), &b.code).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct TokenRequest {
    pub name: String,
    /// `read` or `write`.
    #[serde(default = "default_scope")]
    pub scope: String,
}

fn default_scope() -> String {
    "read".into()
}

#[derive(Serialize, ToSchema)]
pub struct NewToken {
    pub id: i64,
    /// Shown once: send it as `Authorization: Bearer …`.
    pub token: String,
}

/// Issues an API token (stored hashed; shown once).
#[utoipa::path(post, path = "/api/v1/tokens", tag = "accounts", request_body = TokenRequest,
    responses((status = 201, body = NewToken), (status = 400, body = ErrorBody)))]
pub async fn create_token(
    State(st): State<AppState>,
    me: Authed,
    crate::extract::ApiJson(b): crate::extract::ApiJson<TokenRequest>,
) -> Result<(StatusCode, Json<NewToken>), ApiError> {
    let cap = me.allowed(&st, me.actor.account_write()).await?;
    let (id, token) =
        accounts::create_token(&st.db, &cap, &me.ctx(cap.role), &b.name, &b.scope).await?;
    Ok((StatusCode::CREATED, Json(NewToken { id, token })))
}

/// One's API tokens.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "accounts", responses((status = 200, body = Vec<TokenInfo>)))]
pub async fn list_tokens(
    State(st): State<AppState>,
    me: Authed,
) -> Result<Json<Vec<TokenInfo>>, ApiError> {
    Ok(Json(
        accounts::tokens_of(&st.db, &me.actor.self_service()).await?,
    ))
}

/// Revokes one of one's API tokens.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "accounts", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn revoke_token(
    State(st): State<AppState>,
    me: Authed,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = params::path_id(&id, "token")?;
    let cap = me.allowed(&st, me.actor.account_write()).await?;
    accounts::revoke_token(&st.db, &cap, &me.ctx(cap.role), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every user with their roles (admins).
#[utoipa::path(get, path = "/api/v1/users", tag = "admin",
    responses((status = 200, body = Vec<User>), (status = 403, body = ErrorBody)))]
pub async fn list_users(
    State(st): State<AppState>,
    me: Authed,
) -> Result<Json<Vec<User>>, ApiError> {
    let cap = me.allowed(&st, me.actor.user_admin()).await?;
    Ok(Json(accounts::list_users(&st.db, &cap).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct NewUser {
    pub email: String,
    pub password: String,
    #[serde(default)]
    pub grants: Vec<GrantInput>,
}

#[derive(Deserialize, ToSchema)]
pub struct GrantInput {
    pub role: String,
    pub scope: Option<String>,
}

impl GrantInput {
    fn parse(&self) -> Result<Grant, FieldError> {
        Grant::parse(&self.role, self.scope.as_deref())
    }
}

/// Creates a user (admins).
#[utoipa::path(post, path = "/api/v1/users", tag = "admin", request_body = NewUser,
    responses((status = 201, body = User), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create_user(
    State(st): State<AppState>,
    me: Authed,
    crate::extract::ApiJson(b): crate::extract::ApiJson<NewUser>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    let cap = me.allowed(&st, me.actor.user_admin()).await?;
    let email = Email::parse("email", &b.email)?;
    let password = NewPassword::parse("password", &b.password, &st.common_passwords)?;
    let grants = b
        .grants
        .iter()
        .map(GrantInput::parse)
        .collect::<Result<Vec<_>, _>>()?;
    let id = accounts::create_user(
        &st.db,
        Some(&cap),
        &me.ctx(Role::Admin),
        &email,
        &password,
        &grants,
    )
    .await?;
    let user = accounts::user(&st.db, id)
        .await?
        .ok_or(ApiError::NotFound("user"))?;
    Ok((StatusCode::CREATED, Json(user)))
}

/// Grants a role (admins).
#[utoipa::path(post, path = "/api/v1/users/{id}/roles", tag = "admin", request_body = GrantInput, params(("id" = i64, Path)),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn grant_role(
    State(st): State<AppState>,
    me: Authed,
    Path(id): Path<String>,
    crate::extract::ApiJson(g): crate::extract::ApiJson<GrantInput>,
) -> Result<StatusCode, ApiError> {
    let cap = me.allowed(&st, me.actor.user_admin()).await?;
    let id = params::path_id(&id, "user")?;
    accounts::grant_role(&st.db, &cap, &me.ctx(Role::Admin), id, &g.parse()?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Revokes a role (admins).
#[utoipa::path(delete, path = "/api/v1/users/{id}/roles", tag = "admin", request_body = GrantInput, params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn revoke_role(
    State(st): State<AppState>,
    me: Authed,
    Path(id): Path<String>,
    crate::extract::ApiJson(g): crate::extract::ApiJson<GrantInput>,
) -> Result<StatusCode, ApiError> {
    let cap = me.allowed(&st, me.actor.user_admin()).await?;
    let id = params::path_id(&id, "user")?;
    accounts::revoke_role(&st.db, &cap, &me.ctx(Role::Admin), id, &g.parse()?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct StatusChange {
    pub disabled: bool,
    pub reason: Option<String>,
}

/// Disables (every session ends at once) or re-enables an account (admins).
#[utoipa::path(put, path = "/api/v1/users/{id}/status", tag = "admin", request_body = StatusChange, params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn set_status(
    State(st): State<AppState>,
    me: Authed,
    Path(id): Path<String>,
    crate::extract::ApiJson(b): crate::extract::ApiJson<StatusChange>,
) -> Result<StatusCode, ApiError> {
    let cap = me.allowed(&st, me.actor.user_admin()).await?;
    let id = params::path_id(&id, "user")?;
    accounts::set_disabled(&st.db, &cap, &me.ctx(Role::Admin), id, b.disabled, b.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The audit trail, newest first (officers and admins).
#[utoipa::path(get, path = "/api/v1/audit", tag = "admin",
    params(
        ("object_kind" = Option<String>, Query), ("object_ref" = Option<String>, Query),
        ("actor" = Option<i64>, Query, description = "User id"), ("action" = Option<String>, Query),
        ("from" = Option<String>, Query, description = "UTC date or time, inclusive"),
        ("to" = Option<String>, Query, description = "UTC date or time, inclusive"),
        ("limit" = Option<i64>, Query), ("offset" = Option<i64>, Query),
    ),
    responses((status = 200, body = Paged<AuditRow>), (status = 403, body = ErrorBody)))]
pub async fn audit_log(
    State(st): State<AppState>,
    me: Authed,
    Query(p): Query<Params>,
) -> Result<Json<Paged<AuditRow>>, ApiError> {
    let cap = me.allowed(&st, me.actor.audit_read()).await?;
    let filter = audit_filter(&p)?;
    Ok(Json(
        audit::list(&st.db, &cap, &filter, params::page(&p)?).await?,
    ))
}

pub fn audit_filter(p: &Params) -> Result<audit::Filter, ApiError> {
    let get = |k: &str| {
        p.get(k)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let time = |k: &'static str| -> Result<Option<String>, ApiError> {
        match get(k) {
            None => Ok(None),
            Some(v)
                if (v.len() == 10 || v.len() == 20)
                    && v.get(..10)
                        .is_some_and(|d| poles_core::cordis::parse_date(d).is_ok()) =>
            {
                Ok(Some(v))
            }
            Some(_) => Err(FieldError::new(k, "must be YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ").into()),
        }
    };
    Ok(audit::Filter {
        object_kind: get("object_kind"),
        object_ref: get("object_ref"),
        action: get("action"),
        actor_id: get("actor")
            .map(|a| {
                a.parse::<i64>()
                    .map_err(|_| FieldError::new("actor", "must be a user id"))
            })
            .transpose()?,
        from: time("from")?,
        to: time("to")?,
    })
}

/// One's inbox: what the platform has to tell (there is no mail server).
#[utoipa::path(get, path = "/api/v1/inbox", tag = "accounts",
    responses((status = 200, body = Vec<poles_store::inbox::Notification>)))]
pub async fn inbox(
    State(st): State<AppState>,
    me: Authed,
) -> Result<Json<Vec<poles_store::inbox::Notification>>, ApiError> {
    Ok(Json(
        poles_store::inbox::inbox(&st.db, &me.actor.self_service()).await?,
    ))
}

/// Marks a notification read.
#[utoipa::path(post, path = "/api/v1/inbox/{id}/read", tag = "accounts", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn inbox_read(
    State(st): State<AppState>,
    me: Authed,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = params::path_id(&id, "notification")?;
    poles_store::inbox::mark_read(&st.db, &me.actor.self_service(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}
