//! Sign-in, the caller's own account, API tokens, users and roles, the audit trail and the
//! inbox, as JSON.

use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, SignedIn, Visitor};
use crate::http::openapi::{signed_in, PageQuery};
use crate::http::params::{self, Params};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use poles_app::accounts::{
    self, AuditQuery, AuditRow, Notification, Reauth, RoleInput, SessionInfo, TokenInfo, User,
};
use poles_core::model::Paged;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(login)).merge(signed_in(
        OpenApiRouter::new()
            .routes(routes!(logout))
            .routes(routes!(me, erase_me))
            .routes(routes!(change_password))
            .routes(routes!(my_sessions))
            .routes(routes!(my_data))
            .routes(routes!(totp_begin))
            .routes(routes!(totp_confirm))
            .routes(routes!(create_token, list_tokens))
            .routes(routes!(revoke_token))
            .routes(routes!(list_users, create_user))
            .routes(routes!(grant_role, revoke_role))
            .routes(routes!(set_status))
            .routes(routes!(audit_log))
            .routes(routes!(inbox))
            .routes(routes!(inbox_read)),
    ))
}

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
    responses((status = 200, body = Me), (status = 401, body = ErrorBody),
        (status = 409, description = "The address is not verified yet (`email_unverified`)", body = ErrorBody),
        (status = 429, body = ErrorBody)))]
async fn login(
    State(st): State<AppState>,
    visitor: Visitor,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    let signed = accounts::login(
        &st.app,
        &visitor.origin,
        visitor.caller.as_ref(),
        &body.email,
        &body.password,
        body.code.as_deref(),
    )
    .await?;
    let cookie = st.auth.session_cookie(
        &signed.session_id,
        st.app.config().policy.session_absolute_secs,
    );
    Ok((
        [(header::SET_COOKIE, cookie)],
        Json(Me {
            user: signed.user,
            csrf_token: Some(signed.csrf),
        }),
    )
        .into_response())
}

/// Signs out: the session ends on the server and the cookie is cleared.
#[utoipa::path(delete, path = "/api/v1/session", tag = "accounts", responses((status = 204)))]
async fn logout(State(st): State<AppState>, SignedIn(me): SignedIn) -> Result<Response, ApiError> {
    accounts::logout(&st.app, &me).await?;
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, st.auth.session_cookie("", 0))],
    )
        .into_response())
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts",
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
async fn me(State(st): State<AppState>, SignedIn(me): SignedIn) -> Result<Json<Me>, ApiError> {
    let user = accounts::me(&st.app, &me).await?;
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
async fn change_password(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    ApiJson(b): ApiJson<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    accounts::change_password(&st.app, &me, &b.current_password, &b.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One's open sessions.
#[utoipa::path(get, path = "/api/v1/me/sessions", tag = "accounts", responses((status = 200, body = Vec<SessionInfo>)))]
async fn my_sessions(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
) -> Result<Json<Vec<SessionInfo>>, ApiError> {
    Ok(Json(accounts::sessions(&st.app, &me).await?))
}

/// Everything the platform holds about the caller, as JSON.
#[utoipa::path(get, path = "/api/v1/me/data", tag = "accounts", responses((status = 200, body = Object)))]
async fn my_data(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(accounts::personal_data(&st.app, &me).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct ErasureRequest {
    /// The current password, asked again before erasure.
    pub password: String,
}

/// Erases the caller's personal data; the account cannot be used again.
///
/// The last active admin cannot erase their account (409 `last_admin`).
#[utoipa::path(delete, path = "/api/v1/me", tag = "accounts", request_body = ErasureRequest,
    responses((status = 204), (status = 400, body = ErrorBody),
        (status = 409, description = "The caller is the last active admin (`last_admin`)", body = ErrorBody)))]
async fn erase_me(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    ApiJson(b): ApiJson<ErasureRequest>,
) -> Result<Response, ApiError> {
    accounts::erase(&st.app, &me, &b.password, "is not your current password").await?;
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
async fn totp_begin(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
) -> Result<Json<TotpSetup>, ApiError> {
    let s = accounts::totp_begin(&st.app, &me).await?;
    Ok(Json(TotpSetup {
        secret: s.secret,
        otpauth_uri: s.otpauth_uri,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct TotpConfirm {
    pub code: String,
}

/// Confirms the second factor with a first code; it is required at every login from then on.
#[utoipa::path(post, path = "/api/v1/me/totp/confirm", tag = "accounts", request_body = TotpConfirm,
    responses((status = 204), (status = 400, body = ErrorBody)))]
async fn totp_confirm(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    ApiJson(b): ApiJson<TotpConfirm>,
) -> Result<StatusCode, ApiError> {
    accounts::totp_confirm(&st.app, &me, &b.code).await?;
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
async fn create_token(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    ApiJson(b): ApiJson<TokenRequest>,
) -> Result<(StatusCode, Json<NewToken>), ApiError> {
    let (id, token) = accounts::create_token(&st.app, &me, &b.name, &b.scope).await?;
    Ok((StatusCode::CREATED, Json(NewToken { id, token })))
}

/// One's API tokens.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "accounts", responses((status = 200, body = Vec<TokenInfo>)))]
async fn list_tokens(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
) -> Result<Json<Vec<TokenInfo>>, ApiError> {
    Ok(Json(accounts::tokens(&st.app, &me).await?))
}

/// Revokes one of one's API tokens.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "accounts", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn revoke_token(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = params::path_id(&id, "token")?;
    accounts::revoke_token(&st.app, &me, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every user with their roles (admins).
#[utoipa::path(get, path = "/api/v1/users", tag = "admin",
    responses((status = 200, body = Vec<User>), (status = 403, body = ErrorBody)))]
async fn list_users(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
) -> Result<Json<Vec<User>>, ApiError> {
    Ok(Json(accounts::users(&st.app, &me).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct NewUser {
    pub email: String,
    /// The new user's password.
    pub password: String,
    #[serde(default)]
    pub grants: Vec<GrantInput>,
    /// The acting admin's own current password, required when `grants` include `admin`.
    pub current_password: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct GrantInput {
    pub role: String,
    pub scope: Option<String>,
}

impl GrantInput {
    fn role(&self) -> RoleInput {
        RoleInput {
            role: self.role.clone(),
            scope: self.scope.clone(),
        }
    }
}

const WRONG_PASSWORD: &str = "is not your current password";

/// Creates a user (admins).
///
/// Creating an admin needs the acting admin's `current_password` (400 naming that field when
/// it is missing or wrong).
#[utoipa::path(post, path = "/api/v1/users", tag = "admin", request_body = NewUser,
    responses((status = 201, body = User), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn create_user(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    ApiJson(b): ApiJson<NewUser>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    let roles: Vec<RoleInput> = b.grants.iter().map(GrantInput::role).collect();
    let reauth = Reauth {
        field: "current_password",
        password: b.current_password.as_deref(),
        wrong: WRONG_PASSWORD,
    };
    let user = accounts::create_user(&st.app, &me, &b.email, &b.password, &roles, reauth).await?;
    Ok((StatusCode::CREATED, Json(user)))
}

/// A role to grant.
#[derive(Deserialize, ToSchema)]
pub struct GrantRequest {
    pub role: String,
    pub scope: Option<String>,
    /// The acting admin's own current password, required to grant `admin` (checked and
    /// throttled like a sign-in).
    pub password: Option<String>,
}

/// Grants a role (admins).
///
/// Granting `admin` needs the acting admin's current `password` (400 naming the field
/// `password` when it is missing or wrong; 429 after repeated wrong ones).
#[utoipa::path(post, path = "/api/v1/users/{id}/roles", tag = "admin", request_body = GrantRequest, params(("id" = i64, Path)),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 429, description = "Too many wrong passwords", body = ErrorBody)))]
async fn grant_role(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
    ApiJson(g): ApiJson<GrantRequest>,
) -> Result<StatusCode, ApiError> {
    let id = params::path_id(&id, "user")?;
    let role = RoleInput {
        role: g.role,
        scope: g.scope,
    };
    let reauth = Reauth {
        field: "password",
        password: g.password.as_deref(),
        wrong: WRONG_PASSWORD,
    };
    accounts::grant_role(&st.app, &me, id, &role, reauth).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Revokes a role (admins).
///
/// The last active admin keeps the admin role (409 `last_admin`).
#[utoipa::path(delete, path = "/api/v1/users/{id}/roles", tag = "admin", request_body = GrantInput, params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, description = "The user is the last active admin (`last_admin`)", body = ErrorBody)))]
async fn revoke_role(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
    ApiJson(g): ApiJson<GrantInput>,
) -> Result<StatusCode, ApiError> {
    let id = params::path_id(&id, "user")?;
    accounts::revoke_role(&st.app, &me, id, &g.role()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct StatusChange {
    pub disabled: bool,
    pub reason: Option<String>,
}

/// Disables (every session ends at once) or re-enables an account (admins).
///
/// The last active admin cannot be disabled (409 `last_admin`).
#[utoipa::path(put, path = "/api/v1/users/{id}/status", tag = "admin", request_body = StatusChange, params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, description = "The user is the last active admin (`last_admin`)", body = ErrorBody)))]
async fn set_status(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<StatusChange>,
) -> Result<StatusCode, ApiError> {
    let id = params::path_id(&id, "user")?;
    accounts::set_status(&st.app, &me, id, b.disabled, b.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The filters of the audit trail, from the query string.
pub(super) fn audit_query(p: &Params) -> AuditQuery {
    AuditQuery {
        object_kind: params::get(p, "object_kind"),
        object_ref: params::get(p, "object_ref"),
        actor: params::get(p, "actor"),
        action: params::get(p, "action"),
        from: params::get(p, "from"),
        to: params::get(p, "to"),
    }
}

/// The audit trail, newest first (officers and admins; e-mail addresses for admins only).
#[utoipa::path(get, path = "/api/v1/audit", tag = "admin",
    params(
        ("object_kind" = Option<String>, Query), ("object_ref" = Option<String>, Query),
        ("actor" = Option<i64>, Query, description = "User id"), ("action" = Option<String>, Query),
        ("from" = Option<String>, Query, description = "UTC date or time, inclusive"),
        ("to" = Option<String>, Query, description = "UTC date or time, inclusive"),
        PageQuery,
    ),
    responses((status = 200, body = Paged<AuditRow>), (status = 403, body = ErrorBody)))]
async fn audit_log(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Query(p): Query<Params>,
) -> Result<Json<Paged<AuditRow>>, ApiError> {
    let page = params::page(&p)?;
    Ok(Json(
        accounts::audit_log(&st.app, &me, &audit_query(&p), page).await?,
    ))
}

/// One's inbox: what the platform has to tell (there is no mail server).
#[utoipa::path(get, path = "/api/v1/inbox", tag = "accounts",
    responses((status = 200, body = Vec<Notification>)))]
async fn inbox(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
) -> Result<Json<Vec<Notification>>, ApiError> {
    Ok(Json(accounts::inbox(&st.app, &me).await?))
}

/// Marks a notification read.
#[utoipa::path(post, path = "/api/v1/inbox/{id}/read", tag = "accounts", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn inbox_read(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = params::path_id(&id, "notification")?;
    accounts::mark_read(&st.app, &me, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
