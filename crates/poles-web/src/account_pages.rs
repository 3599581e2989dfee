//! Pages for signing in, one's account, users and roles (admins) and the audit log
//! (officers). Plain HTML forms: the CSRF token travels as a hidden `csrf` field, checked by
//! the `auth::resolve` middleware before any handler runs.

use crate::auth::{Authed, Caller};
use crate::error::{ApiError, PageError};
use crate::pages::Chrome;
use crate::params::Params;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use poles_core::auth::{Email, Grant, NewPassword, Role};
use poles_core::model::Paged;
use poles_store::accounts::{self, Login, SessionInfo, TokenInfo, User};
use poles_store::audit::{self, AuditRow};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_form).post(login_submit))
        .route("/logout", post(logout))
        .route("/account", get(account))
        .route("/account/password", post(change_password))
        .route("/account/totp", post(totp_begin))
        .route("/account/totp/confirm", post(totp_confirm))
        .route("/account/tokens", post(token_create))
        .route("/account/tokens/{id}/revoke", post(token_revoke))
        .route("/account/erase", post(erase))
        .route("/reset", get(reset_form).post(reset_submit))
        .route("/admin/users", get(users).post(user_create))
        .route("/admin/users/{id}/roles", post(user_grant))
        .route("/admin/users/{id}/roles/revoke", post(user_revoke))
        .route("/admin/users/{id}/status", post(user_status))
        .route("/audit", get(audit_page))
}

type PageResult = Result<Response, PageError>;

fn page(t: impl Template, status: StatusCode) -> Response {
    match t.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

pub(crate) fn err(c: &Chrome, e: impl Into<ApiError>) -> PageError {
    PageError {
        lang: c.t.lang,
        inner: e.into(),
    }
}

/// `Authed::allowed` for pages: a refusal is audited and answered with the error page.
pub(crate) async fn allowed<T>(
    st: &AppState,
    c: &Chrome,
    me: &Authed,
    check: Result<T, poles_core::auth::Denied>,
) -> Result<T, PageError> {
    me.allowed(st, check).await.map_err(|e| err(c, e))
}

/// The signed-in caller, or `None` (the page then sends to the sign-in page).
pub(crate) fn signed_in(caller: Caller) -> Option<Authed> {
    caller.resolved.map(|r| Authed {
        actor: r.actor,
        session: r.session,
        origin: caller.origin,
    })
}

#[macro_export]
macro_rules! signed_in {
    ($c:expr, $caller:expr) => {
        match $crate::account_pages::signed_in($caller) {
            Some(a) => a,
            None => return Ok(axum::response::Redirect::to(&$c.href("/login")).into_response()),
        }
    };
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    c: Chrome,
    email: String,
    error: Option<String>,
    need_code: bool,
}

async fn login_form(c: Chrome) -> Response {
    page(
        LoginPage {
            c,
            email: String::new(),
            error: None,
            need_code: false,
        },
        StatusCode::OK,
    )
}

#[derive(Deserialize)]
struct LoginForm {
    email: String,
    password: String,
    code: Option<String>,
}

async fn login_submit(
    State(st): State<AppState>,
    c: Chrome,
    caller: Caller,
    Form(f): Form<LoginForm>,
) -> PageResult {
    let ctx = audit::Context {
        ip: caller.origin.ip.clone(),
        request_id: caller.origin.request_id.clone(),
        ..Default::default()
    };
    let code = f.code.as_deref().filter(|c| !c.trim().is_empty());
    let outcome = accounts::login(
        &st.db,
        &st.auth.policy,
        &ctx,
        &f.email,
        &f.password,
        code,
        caller.origin.user_agent.as_deref(),
    )
    .await
    .map_err(|e| err(&c, e))?;
    let (status, error, need_code) = match outcome {
        Login::Session { session_id, .. } => {
            if let Some(r) = &caller.resolved {
                if let Some(old) = &r.session {
                    let ctx = crate::auth::context(&r.actor, &caller.origin);
                    accounts::logout(&st.db, &ctx, &old.id_hash)
                        .await
                        .map_err(|e| err(&c, e))?;
                }
            }
            let cookie = st
                .auth
                .session_cookie(&session_id, st.auth.policy.session_absolute_secs);
            let mut res = Redirect::to(&c.href("/account")).into_response();
            res.headers_mut().insert(header::SET_COOKIE, cookie);
            return Ok(res);
        }
        Login::NeedsSecondFactor => (
            StatusCode::UNAUTHORIZED,
            c.t.t("login.need_code").to_string(),
            true,
        ),
        Login::Refused => (
            StatusCode::UNAUTHORIZED,
            c.t.t("login.refused").to_string(),
            code.is_some(),
        ),
        Login::Throttled { retry_after } => (
            StatusCode::TOO_MANY_REQUESTS,
            format!("{} ({} s)", c.t.t("login.throttled"), retry_after),
            false,
        ),
    };
    Ok(page(
        LoginPage {
            c,
            email: f.email,
            error: Some(error),
            need_code,
        },
        status,
    ))
}

async fn logout(State(st): State<AppState>, c: Chrome, caller: Caller) -> PageResult {
    if let Some(r) = &caller.resolved {
        if let Some(s) = &r.session {
            let ctx = crate::auth::context(&r.actor, &caller.origin);
            accounts::logout(&st.db, &ctx, &s.id_hash)
                .await
                .map_err(|e| err(&c, e))?;
        }
    }
    let mut res = Redirect::to(&c.href("/")).into_response();
    res.headers_mut()
        .insert(header::SET_COOKIE, st.auth.session_cookie("", 0));
    Ok(res)
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    c: Chrome,
    user: User,
    sessions: Vec<SessionInfo>,
    tokens: Vec<TokenInfo>,
    new_token: Option<String>,
    totp_secret: Option<String>,
    totp_uri: Option<String>,
    message: Option<String>,
    error: Option<String>,
}

#[derive(Default)]
struct Extras {
    new_token: Option<String>,
    totp: Option<(String, String)>,
    message: Option<String>,
    error: Option<String>,
}

async fn account_page(
    st: &AppState,
    c: Chrome,
    me: &Authed,
    x: Extras,
    status: StatusCode,
) -> PageResult {
    let cap = me.actor.self_service();
    let user = accounts::user(&st.db, me.actor.user_id)
        .await
        .map_err(|e| err(&c, e))?
        .ok_or_else(|| err(&c, ApiError::Unauthenticated))?;
    let sessions = accounts::sessions_of(
        &st.db,
        &cap,
        me.session.as_ref().map(|s| s.id_hash.as_str()),
    )
    .await
    .map_err(|e| err(&c, e))?;
    let tokens = accounts::tokens_of(&st.db, &cap)
        .await
        .map_err(|e| err(&c, e))?;
    let (totp_secret, totp_uri) = match x.totp {
        Some((s, u)) => (Some(s), Some(u)),
        None => (None, None),
    };
    Ok(page(
        AccountPage {
            c,
            user,
            sessions,
            tokens,
            new_token: x.new_token,
            totp_secret,
            totp_uri,
            message: x.message,
            error: x.error,
        },
        status,
    ))
}

async fn account(
    State(st): State<AppState>,
    c: Chrome,
    caller: Caller,
    Query(p): Query<Params>,
) -> PageResult {
    let me = signed_in!(c, caller);
    let message = p.get("done").map(|k| c.tk("account.done.", k));
    account_page(
        &st,
        c,
        &me,
        Extras {
            message,
            ..Default::default()
        },
        StatusCode::OK,
    )
    .await
}

/// Runs a write for the account page: success redirects with a message, a refused input
/// renders the page again with the reason.
async fn account_result(
    st: &AppState,
    c: Chrome,
    me: &Authed,
    r: Result<(), poles_store::StoreError>,
    done: &str,
) -> PageResult {
    match r {
        Ok(()) => Ok(Redirect::to(&c.href(&format!("/account?done={done}"))).into_response()),
        Err(poles_store::StoreError::Invalid(e)) => {
            account_page(
                st,
                c,
                me,
                Extras {
                    error: Some(format!("{}: {}", e.field, e.reason)),
                    ..Default::default()
                },
                StatusCode::BAD_REQUEST,
            )
            .await
        }
        Err(e) => Err(err(&c, e)),
    }
}

#[derive(Deserialize)]
struct PasswordForm {
    current_password: String,
    new_password: String,
}

async fn change_password(
    State(st): State<AppState>,
    c: Chrome,
    caller: Caller,
    Form(f): Form<PasswordForm>,
) -> PageResult {
    let me = signed_in!(c, caller);
    let r = match NewPassword::parse("new_password", &f.new_password, &st.common_passwords) {
        Err(e) => Err(e.into()),
        Ok(new) => {
            let cap = allowed(&st, &c, &me, me.actor.account_write()).await?;
            let keep = me.session.as_ref().map(|s| s.id_hash.clone());
            accounts::change_password(
                &st.db,
                &st.auth.policy,
                &cap,
                &me.ctx(cap.role),
                &f.current_password,
                &new,
                keep.as_deref(),
            )
            .await
        }
    };
    account_result(&st, c, &me, r, "password").await
}

async fn totp_begin(State(st): State<AppState>, c: Chrome, caller: Caller) -> PageResult {
    let me = signed_in!(c, caller);
    let secret = accounts::begin_totp(&st.db, &me.actor.self_service())
        .await
        .map_err(|e| err(&c, e))?;
    let uri = poles_core::totp::provisioning_uri(&secret, &me.actor.email);
    account_page(
        &st,
        c,
        &me,
        Extras {
            totp: Some((secret, uri)),
            ..Default::default()
        },
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize)]
struct CodeForm {
    code: String,
}

async fn totp_confirm(
    State(st): State<AppState>,
    c: Chrome,
    caller: Caller,
    Form(f): Form<CodeForm>,
) -> PageResult {
    let me = signed_in!(c, caller);
    let cap = allowed(&st, &c, &me, me.actor.account_write()).await?;
    let r = accounts::enable_totp(&st.db, &cap, &me.ctx(cap.role), &f.code).await;
    account_result(&st, c, &me, r, "totp").await
}

#[derive(Deserialize)]
struct TokenForm {
    name: String,
    scope: String,
}

async fn token_create(
    State(st): State<AppState>,
    c: Chrome,
    caller: Caller,
    Form(f): Form<TokenForm>,
) -> PageResult {
    let me = signed_in!(c, caller);
    let cap = allowed(&st, &c, &me, me.actor.account_write()).await?;
    match accounts::create_token(&st.db, &cap, &me.ctx(cap.role), &f.name, &f.scope).await {
        Ok((_, token)) => {
            account_page(
                &st,
                c,
                &me,
                Extras {
                    new_token: Some(token),
                    ..Default::default()
                },
                StatusCode::OK,
            )
            .await
        }
        Err(e) => account_result(&st, c, &me, Err(e), "token").await,
    }
}

async fn token_revoke(
    State(st): State<AppState>,
    c: Chrome,
    caller: Caller,
    Path(id): Path<String>,
) -> PageResult {
    let me = signed_in!(c, caller);
    let id = crate::params::path_id(&id, "token").map_err(|e| err(&c, e))?;
    let cap = allowed(&st, &c, &me, me.actor.account_write()).await?;
    let r = accounts::revoke_token(&st.db, &cap, &me.ctx(cap.role), id).await;
    account_result(&st, c, &me, r, "revoked").await
}

#[derive(Deserialize)]
struct EraseForm {
    password: String,
}

async fn erase(
    State(st): State<AppState>,
    c: Chrome,
    caller: Caller,
    Form(f): Form<EraseForm>,
) -> PageResult {
    let me = signed_in!(c, caller);
    let cap = allowed(&st, &c, &me, me.actor.account_write()).await?;
    if !accounts::check_password(
        &st.db,
        &st.auth.policy,
        &cap,
        &me.ctx(cap.role),
        &f.password,
    )
    .await
    .map_err(|e| err(&c, e))?
    {
        let e = poles_core::FieldError::new("password", c.t.t("account.wrong_password"));
        return account_result(&st, c, &me, Err(e.into()), "").await;
    }
    accounts::erase(&st.db, &cap, &me.ctx(cap.role))
        .await
        .map_err(|e| err(&c, e))?;
    let mut res = Redirect::to(&c.href("/")).into_response();
    res.headers_mut()
        .insert(header::SET_COOKIE, st.auth.session_cookie("", 0));
    Ok(res)
}

#[derive(Template)]
#[template(path = "reset.html")]
struct ResetPage {
    c: Chrome,
    token: String,
    error: Option<String>,
}

async fn reset_form(c: Chrome, Query(p): Query<Params>) -> Response {
    let token = p.get("token").cloned().unwrap_or_default();
    page(
        ResetPage {
            c,
            token,
            error: None,
        },
        StatusCode::OK,
    )
}

#[derive(Deserialize)]
struct ResetForm {
    token: String,
    new_password: String,
}

async fn reset_submit(
    State(st): State<AppState>,
    c: Chrome,
    caller: Caller,
    Form(f): Form<ResetForm>,
) -> PageResult {
    let ctx = audit::Context {
        ip: caller.origin.ip.clone(),
        request_id: caller.origin.request_id.clone(),
        ..Default::default()
    };
    let r = match NewPassword::parse("new_password", &f.new_password, &st.common_passwords) {
        Err(e) => Err(e.into()),
        Ok(p) => accounts::finish_reset(&st.db, &ctx, &f.token, &p).await,
    };
    match r {
        Ok(()) => Ok(Redirect::to(&c.href("/login")).into_response()),
        Err(poles_store::StoreError::Invalid(e)) => Ok(page(
            ResetPage {
                c,
                token: f.token,
                error: Some(format!("{}: {}", e.field, e.reason)),
            },
            StatusCode::BAD_REQUEST,
        )),
        Err(e) => Err(err(&c, e)),
    }
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    c: Chrome,
    users: Vec<User>,
    roles: Vec<&'static str>,
    error: Option<String>,
}

async fn users_page(
    st: &AppState,
    c: Chrome,
    me: &Authed,
    error: Option<String>,
    status: StatusCode,
) -> PageResult {
    let cap = me
        .allowed(st, me.actor.user_admin())
        .await
        .map_err(|e| err(&c, e))?;
    let users = accounts::list_users(&st.db, &cap)
        .await
        .map_err(|e| err(&c, e))?;
    let roles = Role::ALL.iter().map(|r| r.as_str()).collect();
    Ok(page(
        UsersPage {
            c,
            users,
            roles,
            error,
        },
        status,
    ))
}

async fn users(State(st): State<AppState>, c: Chrome, caller: Caller) -> PageResult {
    let me = signed_in!(c, caller);
    users_page(&st, c, &me, None, StatusCode::OK).await
}

/// Runs an admin write: success goes back to the list, a refused input shows the list with
/// the reason.
async fn users_result(
    st: &AppState,
    c: Chrome,
    me: &Authed,
    r: Result<(), ApiError>,
) -> PageResult {
    match r {
        Ok(()) => Ok(Redirect::to(&c.href("/admin/users")).into_response()),
        Err(ApiError::BadRequest(e))
        | Err(ApiError::Store(poles_store::StoreError::Invalid(e))) => {
            users_page(
                st,
                c,
                me,
                Some(format!("{}: {}", e.field, e.reason)),
                StatusCode::BAD_REQUEST,
            )
            .await
        }
        Err(e) => Err(err(&c, e)),
    }
}

#[derive(Deserialize)]
struct NewUserForm {
    email: String,
    password: String,
    role: String,
    scope: Option<String>,
}

async fn user_create(
    State(st): State<AppState>,
    c: Chrome,
    caller: Caller,
    Form(f): Form<NewUserForm>,
) -> PageResult {
    let me = signed_in!(c, caller);
    let cap = allowed(&st, &c, &me, me.actor.user_admin()).await?;
    let r = async {
        let email = Email::parse("email", &f.email)?;
        let password = NewPassword::parse("password", &f.password, &st.common_passwords)?;
        let grants = if f.role.is_empty() {
            vec![]
        } else {
            vec![Grant::parse(&f.role, f.scope.as_deref())?]
        };
        accounts::create_user(
            &st.db,
            Some(&cap),
            &me.ctx(Role::Admin),
            &email,
            &password,
            &grants,
        )
        .await?;
        Ok::<(), ApiError>(())
    }
    .await;
    users_result(&st, c, &me, r).await
}

#[derive(Deserialize)]
struct GrantForm {
    role: String,
    scope: Option<String>,
}

async fn user_grant(
    State(st): State<AppState>,
    c: Chrome,
    caller: Caller,
    Path(id): Path<String>,
    Form(f): Form<GrantForm>,
) -> PageResult {
    let me = signed_in!(c, caller);
    let cap = allowed(&st, &c, &me, me.actor.user_admin()).await?;
    let r = async {
        let id = crate::params::path_id(&id, "user")?;
        let g = Grant::parse(&f.role, f.scope.as_deref())?;
        accounts::grant_role(&st.db, &cap, &me.ctx(Role::Admin), id, &g).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    users_result(&st, c, &me, r).await
}

async fn user_revoke(
    State(st): State<AppState>,
    c: Chrome,
    caller: Caller,
    Path(id): Path<String>,
    Form(f): Form<GrantForm>,
) -> PageResult {
    let me = signed_in!(c, caller);
    let cap = allowed(&st, &c, &me, me.actor.user_admin()).await?;
    let r = async {
        let id = crate::params::path_id(&id, "user")?;
        let g = Grant::parse(&f.role, f.scope.as_deref())?;
        accounts::revoke_role(&st.db, &cap, &me.ctx(Role::Admin), id, &g).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    users_result(&st, c, &me, r).await
}

#[derive(Deserialize)]
struct StatusForm {
    disabled: String,
    reason: Option<String>,
}

async fn user_status(
    State(st): State<AppState>,
    c: Chrome,
    caller: Caller,
    Path(id): Path<String>,
    Form(f): Form<StatusForm>,
) -> PageResult {
    let me = signed_in!(c, caller);
    let cap = allowed(&st, &c, &me, me.actor.user_admin()).await?;
    let r = async {
        let id = crate::params::path_id(&id, "user")?;
        let reason = f.reason.filter(|r| !r.trim().is_empty());
        accounts::set_disabled(
            &st.db,
            &cap,
            &me.ctx(Role::Admin),
            id,
            f.disabled == "true",
            reason,
        )
        .await?;
        Ok::<(), ApiError>(())
    }
    .await;
    users_result(&st, c, &me, r).await
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    c: Chrome,
    rows: Paged<AuditRow>,
    f: Params,
}

impl AuditPage {
    fn v(&self, k: &str) -> String {
        self.f.get(k).cloned().unwrap_or_default()
    }
}

async fn audit_page(
    State(st): State<AppState>,
    c: Chrome,
    caller: Caller,
    Query(p): Query<Params>,
) -> PageResult {
    let me = signed_in!(c, caller);
    let cap = allowed(&st, &c, &me, me.actor.audit_read()).await?;
    let filter = crate::account_api::audit_filter(&p).map_err(|e| err(&c, e))?;
    let pg = crate::params::page(&p).map_err(|e| err(&c, e))?;
    let rows = audit::list(&st.db, &cap, &filter, pg)
        .await
        .map_err(|e| err(&c, e))?;
    Ok(page(AuditPage { c, rows, f: p }, StatusCode::OK))
}
