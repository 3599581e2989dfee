//! Pages for signing in, one's account and inbox, users and roles (admins) and the audit
//! trail (officers). Plain HTML forms: the CSRF token travels as a hidden `csrf` field,
//! checked by the authentication middleware before any handler runs. A refused input
//! shows the same page again with the reason.

use super::api::audit_query;
use crate::http::error::{PageError, PageResult};
use crate::http::extract::{SignedIn, Visitor};
use crate::http::params::{self, Params};
use crate::ui::chrome::Chrome;
use crate::ui::render::{render, render_with};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Form, Router};
use poles_app::accounts::{
    self, AuditRow, Notification, Reauth, RoleInput, SessionInfo, TokenInfo, TotpSetup, User,
};
use poles_app::worklists::{self as lists, PickKind, Resolved};
use poles_app::{AppError, Caller};
use poles_core::auth::Role;
use poles_core::model::Paged;
use serde::Deserialize;
use std::collections::HashMap;

pub fn pages() -> Router<AppState> {
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
        .route("/reset/request", post(reset_request))
        .route("/admin/users", get(users).post(user_create))
        .route("/admin/users/{id}/roles", post(user_grant))
        .route("/admin/users/{id}/roles/revoke", post(user_revoke))
        .route("/admin/users/{id}/status", post(user_status))
        .route("/audit", get(audit_page))
        .route("/inbox", get(inbox_page))
}

/// A refused input as a person reads it (the field by its label on the page, never its
/// internal name), or the error itself when it is not one.
fn refusal(c: &Chrome, e: AppError) -> Result<String, PageError> {
    match e {
        AppError::Invalid(f) => {
            let label = match f.field.as_str() {
                "password" | "new_password" => Some("account.password"),
                "current_password" => Some("account.current_password"),
                "code" => Some("account.second_factor"),
                "scope" => Some("account.scope"),
                "email" => Some("login.email"),
                _ => None,
            };
            Ok(c.labelled_reason(label, &f))
        }
        other => Err(other.into()),
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    c: Chrome,
    email: String,
    error: Option<String>,
    need_code: bool,
    /// Back from the verification link: the account may sign in now.
    verified: bool,
    /// The page that asked for a sign-in, where a successful one goes back to.
    next: String,
}

/// A page of this site to go back to after signing in: a local path only (never `//host`
/// or a scheme), else the account page.
fn local_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => String::new(),
    }
}

async fn login_form(c: Chrome, Query(p): Query<Params>) -> PageResult {
    render(LoginPage {
        c,
        email: String::new(),
        error: None,
        need_code: false,
        verified: p.contains_key("verified"),
        next: local_next(p.get("next").map(String::as_str)),
    })
}

#[derive(Deserialize)]
struct LoginForm {
    email: String,
    password: String,
    code: Option<String>,
    next: Option<String>,
}

async fn login_submit(
    State(st): State<AppState>,
    c: Chrome,
    visitor: Visitor,
    Form(f): Form<LoginForm>,
) -> PageResult {
    let code = f.code.as_deref().filter(|c| !c.trim().is_empty());
    let outcome = accounts::login(
        &st.app,
        &visitor.origin,
        visitor.caller.as_ref(),
        &f.email,
        &f.password,
        code,
    )
    .await;
    let (status, error, need_code) = match outcome {
        Ok(signed) => {
            let cookie = st.auth.session_cookie(
                &signed.session_id,
                st.app.config().policy.session_absolute_secs,
            );
            let next = local_next(f.next.as_deref());
            let to = if next.is_empty() {
                c.href("/account")
            } else {
                next
            };
            let mut res = Redirect::to(&to).into_response();
            res.headers_mut().insert(header::SET_COOKIE, cookie);
            return Ok(res);
        }
        Err(AppError::SecondFactorRequired) => (
            StatusCode::UNAUTHORIZED,
            c.t.t("login.need_code").to_string(),
            true,
        ),
        Err(AppError::BadCredentials) => (
            StatusCode::UNAUTHORIZED,
            c.t.t("login.refused").to_string(),
            code.is_some(),
        ),
        Err(AppError::Throttled { retry_after }) => (
            StatusCode::TOO_MANY_REQUESTS,
            format!("{} ({} s)", c.t.t("login.throttled"), retry_after),
            false,
        ),
        Err(AppError::Refused {
            code: "email_unverified",
            ..
        }) => (
            StatusCode::CONFLICT,
            c.t.t("login.unverified").to_string(),
            false,
        ),
        Err(e) => return Err(e.into()),
    };
    Ok(render_with(
        LoginPage {
            c,
            email: f.email,
            error: Some(error),
            need_code,
            verified: false,
            next: local_next(f.next.as_deref()),
        },
        status,
    ))
}

async fn logout(State(st): State<AppState>, c: Chrome, visitor: Visitor) -> PageResult {
    if let Some(me) = &visitor.caller {
        accounts::logout(&st.app, me).await?;
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
    /// A refused erasure, shown beside its form.
    erase_error: Option<String>,
    /// The first applications of the person's organisations, with their next step.
    mine: poles_app::worklists::MyApplications,
    /// The worklists the person has: labelling queues of their clusters, their reviews.
    clusters: Vec<String>,
    reviewer: bool,
}

impl AccountPage {
    fn call_name(&self, l: &poles_app::worklists::ApplicationLine) -> String {
        self.c.t.pick2(&l.call_name_fr, &l.call_name_en).to_string()
    }
}

/// What the account page shows besides the account itself.
#[derive(Default)]
struct Extras {
    new_token: Option<String>,
    totp: Option<TotpSetup>,
    message: Option<String>,
    error: Option<String>,
    erase_error: Option<String>,
}

async fn account_page(
    st: &AppState,
    c: Chrome,
    me: &Caller,
    x: Extras,
    status: StatusCode,
) -> PageResult {
    let user = accounts::me(&st.app, me).await?;
    let sessions = accounts::sessions(&st.app, me).await?;
    let tokens = accounts::tokens(&st.app, me).await?;
    let (totp_secret, totp_uri) = match x.totp {
        Some(s) => (Some(s.secret), Some(s.otpauth_uri)),
        None => (None, None),
    };
    let first = poles_app::worklists::ListQuery {
        status: None,
        sort: poles_app::worklists::Sort::Recent,
        page: poles_core::Page {
            limit: 10,
            offset: 0,
        },
    };
    let mine = poles_app::worklists::my_applications(&st.app, me, &first).await?;
    let poles_app::worklists::MyWorklists { clusters, reviewer } =
        poles_app::worklists::my_worklists(me);
    Ok(render_with(
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
            erase_error: x.erase_error,
            mine,
            clusters,
            reviewer,
        },
        status,
    ))
}

async fn account(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Query(p): Query<Params>,
) -> PageResult {
    let message = p.get("done").map(|k| c.tk("account.done.", k));
    let x = Extras {
        message,
        ..Default::default()
    };
    account_page(&st, c, &me, x, StatusCode::OK).await
}

/// After a write on the account page: success goes back with a message, a refused input
/// shows the page again with the reason.
async fn account_result(
    st: &AppState,
    c: Chrome,
    me: &Caller,
    r: Result<(), AppError>,
    done: &str,
) -> PageResult {
    match r {
        Ok(()) => Ok(Redirect::to(&c.href(&format!("/account?done={done}"))).into_response()),
        Err(e) => {
            let x = Extras {
                error: Some(refusal(&c, e)?),
                ..Default::default()
            };
            account_page(st, c, me, x, StatusCode::BAD_REQUEST).await
        }
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
    SignedIn(me): SignedIn,
    Form(f): Form<PasswordForm>,
) -> PageResult {
    let r = accounts::change_password(&st.app, &me, &f.current_password, &f.new_password).await;
    account_result(&st, c, &me, r, "password").await
}

async fn totp_begin(State(st): State<AppState>, c: Chrome, SignedIn(me): SignedIn) -> PageResult {
    let totp = accounts::totp_begin(&st.app, &me).await?;
    let x = Extras {
        totp: Some(totp),
        ..Default::default()
    };
    account_page(&st, c, &me, x, StatusCode::OK).await
}

#[derive(Deserialize)]
struct CodeForm {
    code: String,
}

async fn totp_confirm(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Form(f): Form<CodeForm>,
) -> PageResult {
    let r = accounts::totp_confirm(&st.app, &me, &f.code).await;
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
    SignedIn(me): SignedIn,
    Form(f): Form<TokenForm>,
) -> PageResult {
    match accounts::create_token(&st.app, &me, &f.name, &f.scope).await {
        Ok((_, token)) => {
            let x = Extras {
                new_token: Some(token),
                ..Default::default()
            };
            account_page(&st, c, &me, x, StatusCode::OK).await
        }
        Err(e) => account_result(&st, c, &me, Err(e), "token").await,
    }
}

async fn token_revoke(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    let id = params::path_id(&id, "token")?;
    let r = accounts::revoke_token(&st.app, &me, id).await;
    account_result(&st, c, &me, r, "revoked").await
}

#[derive(Deserialize)]
struct EraseForm {
    password: String,
}

async fn erase(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Form(f): Form<EraseForm>,
) -> PageResult {
    let wrong = c.t.t("account.wrong_password").to_string();
    if let Err(e) = accounts::erase(&st.app, &me, &f.password, &wrong).await {
        // Refused (the last active admin, a wrong password): the reason beside the form.
        let (status, _, message) = admin_refusal(&c, e)?;
        let x = Extras {
            erase_error: Some(message),
            ..Default::default()
        };
        return account_page(&st, c, &me, x, status).await;
    }
    let mut res = Redirect::to(&c.href("/")).into_response();
    res.headers_mut()
        .insert(header::SET_COOKIE, st.auth.session_cookie("", 0));
    Ok(res)
}

#[derive(Template)]
#[template(path = "reset.html")]
struct ResetPage {
    c: Chrome,
    /// The token of the mailed link; without one the page asks for the address.
    token: String,
    error: Option<String>,
    /// The address asked for (kept when refused).
    email: String,
    email_error: Option<String>,
    /// The request was made: the page says a mail is on its way if the address has an account.
    requested: bool,
}

async fn reset_form(c: Chrome, Query(p): Query<Params>) -> PageResult {
    let token = p.get("token").cloned().unwrap_or_default();
    render(ResetPage {
        c,
        token,
        error: None,
        email: String::new(),
        email_error: None,
        requested: p.contains_key("sent"),
    })
}

#[derive(Deserialize)]
struct ResetRequestForm {
    email: String,
}

/// Asks for a reset link by mail; the answer is the same whether the address has an account.
async fn reset_request(
    State(st): State<AppState>,
    c: Chrome,
    visitor: Visitor,
    Form(f): Form<ResetRequestForm>,
) -> PageResult {
    match accounts::request_reset(&st.app, &visitor.origin, &f.email).await {
        Ok(()) => Ok(Redirect::to(&c.href("/reset?sent=1")).into_response()),
        Err(e) => {
            let (status, error, email_error) = match e {
                AppError::Invalid(f) => (StatusCode::BAD_REQUEST, None, Some(c.reason(&f))),
                AppError::TooManyRequests { retry_after } => (
                    StatusCode::TOO_MANY_REQUESTS,
                    Some(format!("{} ({retry_after} s)", c.t.t("signup.throttled"))),
                    None,
                ),
                other => return Err(other.into()),
            };
            Ok(render_with(
                ResetPage {
                    c,
                    token: String::new(),
                    error,
                    email: f.email,
                    email_error,
                    requested: false,
                },
                status,
            ))
        }
    }
}

#[derive(Deserialize)]
struct ResetForm {
    token: String,
    new_password: String,
}

async fn reset_submit(
    State(st): State<AppState>,
    c: Chrome,
    visitor: Visitor,
    Form(f): Form<ResetForm>,
) -> PageResult {
    match accounts::finish_reset(&st.app, &visitor.origin, &f.token, &f.new_password).await {
        Ok(()) => Ok(Redirect::to(&c.href("/login")).into_response()),
        Err(e) => {
            let error = Some(refusal(&c, e)?);
            Ok(render_with(
                ResetPage {
                    c,
                    token: f.token,
                    error,
                    email: String::new(),
                    email_error: None,
                    requested: false,
                },
                StatusCode::BAD_REQUEST,
            ))
        }
    }
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    c: Chrome,
    users: Vec<User>,
    roles: Vec<&'static str>,
    /// A refusal of the creation form, shown beside it.
    create_error: Option<String>,
    /// What a row has to say after a write on it: a refusal beside its control, or the
    /// confirmation that granting admin asks for.
    note: Option<RowNote>,
    /// The names of the grants' scopes (a region, a pôle, an organisation), by role and code.
    scope_names: HashMap<(String, String), String>,
}

/// What a role's scope names: a region, a pôle or an organisation (chosen by name); a
/// funder officer's funder is typed as its code.
fn scope_kind(role: &str) -> Option<PickKind> {
    match role {
        "region_officer" => Some(PickKind::Region),
        "cluster_manager" => Some(PickKind::Cluster),
        "organisation_member" => Some(PickKind::Organisation),
        _ => None,
    }
}

/// The scope typed by name, as the code the role stores; a name that matches several or
/// nothing is refused with the names to choose from.
async fn scope_value(
    st: &AppState,
    c: &Chrome,
    me: &Caller,
    role: &str,
    typed: Option<String>,
) -> Result<Option<String>, Result<String, PageError>> {
    let typed = typed.unwrap_or_default();
    let typed = typed.trim();
    let Some(kind) = scope_kind(role).filter(|_| !typed.is_empty()) else {
        return Ok(Some(typed.to_string()).filter(|t| !t.is_empty()));
    };
    match lists::resolve(&st.app, Some(me), kind, typed, None).await {
        Ok(Resolved::One(s)) => Ok(Some(s.value)),
        Ok(Resolved::Many(choices)) => {
            let names: Vec<String> = choices
                .iter()
                .map(|s| match &s.detail {
                    Some(d) => format!("{} ({d})", s.label),
                    None => s.label.clone(),
                })
                .collect();
            Err(Ok(format!(
                "{} {}",
                c.t.t("picker.many"),
                names.join(" · ")
            )))
        }
        Ok(Resolved::None) => Err(Ok(format!("{} « {typed} »", c.t.t("picker.none")))),
        Err(e) => Err(Err(e.into())),
    }
}

/// What one row of the users page shows after a write on it.
struct RowNote {
    user_id: i64,
    /// The control the note belongs beside: `role` (adding or removing roles, the scope),
    /// `disabled` (the status button) or `password` (the admin confirmation).
    field: String,
    message: Option<String>,
    /// Granting admin waits for the acting admin's password: the scope to grant it with.
    confirm_admin: Option<String>,
}

impl UsersPage {
    /// The refusal to show beside `field` in the row of user `id`.
    fn note_for(&self, id: &i64, field: &str) -> Option<&str> {
        self.note
            .as_ref()
            .filter(|n| n.user_id == *id && n.field == field)
            .and_then(|n| n.message.as_deref())
    }

    /// The scope of the admin grant waiting for confirmation in the row of user `id`.
    fn confirming(&self, id: &i64) -> Option<&str> {
        self.note
            .as_ref()
            .filter(|n| n.user_id == *id)
            .and_then(|n| n.confirm_admin.as_deref())
    }

    /// A grant's scope by its name (the code when it names nothing known).
    fn scope_name<'a>(&'a self, g: &'a poles_core::auth::Grant) -> &'a str {
        self.scope_names
            .get(&(g.role.as_str().to_string(), g.scope.clone()))
            .map_or(g.scope.as_str(), String::as_str)
    }
}

async fn users_page(
    st: &AppState,
    c: Chrome,
    me: &Caller,
    create_error: Option<String>,
    note: Option<RowNote>,
    status: StatusCode,
) -> PageResult {
    let users = accounts::users(&st.app, me).await?;
    let roles = Role::ALL.iter().map(|r| r.as_str()).collect();
    let mut scope_names = HashMap::new();
    for g in users.iter().flat_map(|u| u.grants.iter()) {
        let key = (g.role.as_str().to_string(), g.scope.clone());
        if scope_names.contains_key(&key) {
            continue;
        }
        if let Some(kind) = scope_kind(g.role.as_str()) {
            if let Some(s) = lists::name_of(&st.app, Some(me), kind, &g.scope).await? {
                scope_names.insert(key, s.label);
            }
        }
    }
    Ok(render_with(
        UsersPage {
            c,
            users,
            roles,
            create_error,
            note,
            scope_names,
        },
        status,
    ))
}

async fn users(State(st): State<AppState>, c: Chrome, SignedIn(me): SignedIn) -> PageResult {
    users_page(&st, c, &me, None, None, StatusCode::OK).await
}

/// A refusal of an admin write as the page shows it: its status, the control it belongs
/// beside and its message in the page's language where the page knows it.
fn admin_refusal(c: &Chrome, e: AppError) -> Result<(StatusCode, String, String), PageError> {
    match e {
        AppError::Refused { code, reason } => {
            let key = format!("users.{code}");
            let known = c.t.t(&key);
            let message = if known == key {
                c.reason(&reason)
            } else {
                known.to_string()
            };
            Ok((StatusCode::CONFLICT, reason.field, message))
        }
        AppError::Invalid(f) => {
            let message = c.reason(&f);
            Ok((StatusCode::BAD_REQUEST, f.field, message))
        }
        other => Err(other.into()),
    }
}

/// After a write on a row: success goes back to the list, a refusal shows the list with the
/// reason beside the row's control.
async fn row_result(
    st: &AppState,
    c: Chrome,
    me: &Caller,
    user_id: i64,
    r: Result<(), AppError>,
) -> PageResult {
    match r {
        Ok(()) => Ok(Redirect::to(&c.href("/admin/users")).into_response()),
        Err(e) => {
            let (status, field, message) = admin_refusal(&c, e)?;
            let field = if field == "disabled" {
                field
            } else {
                "role".into()
            };
            let note = RowNote {
                user_id,
                field,
                message: Some(message),
                confirm_admin: None,
            };
            users_page(st, c, me, None, Some(note), status).await
        }
    }
}

#[derive(Deserialize)]
struct NewUserForm {
    email: String,
    password: String,
    role: String,
    scope: Option<String>,
    current_password: Option<String>,
}

async fn user_create(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Form(f): Form<NewUserForm>,
) -> PageResult {
    let scope = match scope_value(&st, &c, &me, &f.role, f.scope).await {
        Ok(s) => s,
        Err(Ok(message)) => {
            return users_page(&st, c, &me, Some(message), None, StatusCode::BAD_REQUEST).await
        }
        Err(Err(e)) => return Err(e),
    };
    let roles = if f.role.is_empty() {
        vec![]
    } else {
        vec![RoleInput {
            role: f.role,
            scope,
        }]
    };
    let wrong = c.t.t("account.wrong_password").to_string();
    let reauth = Reauth {
        field: "current_password",
        password: f.current_password.as_deref(),
        wrong: &wrong,
    };
    let r = accounts::create_user(&st.app, &me, &f.email, &f.password, &roles, reauth).await;
    match r {
        Ok(_) => Ok(Redirect::to(&c.href("/admin/users")).into_response()),
        Err(e) => {
            let (status, _, message) = admin_refusal(&c, e)?;
            users_page(&st, c, &me, Some(message), None, status).await
        }
    }
}

#[derive(Deserialize)]
struct GrantForm {
    role: String,
    scope: Option<String>,
    /// The acting admin's password, typed in the confirmation of an admin grant.
    password: Option<String>,
}

async fn user_grant(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
    Form(f): Form<GrantForm>,
) -> PageResult {
    let id = params::path_id(&id, "user")?;
    // The confirmation of an admin grant sends the scope back as stored; admin has none.
    let scope = match scope_value(&st, &c, &me, &f.role, f.scope).await {
        Ok(s) => s,
        Err(Ok(message)) => {
            let note = RowNote {
                user_id: id,
                field: "role".into(),
                message: Some(message),
                confirm_admin: None,
            };
            return users_page(&st, c, &me, None, Some(note), StatusCode::BAD_REQUEST).await;
        }
        Err(Err(e)) => return Err(e),
    };
    let role = RoleInput {
        role: f.role,
        scope,
    };
    let confirm = |message: Option<String>| RowNote {
        user_id: id,
        field: "password".into(),
        message,
        confirm_admin: Some(role.scope.clone().unwrap_or_default()),
    };
    // Granting admin asks first: the row shows what it means and the password field.
    if accounts::grant_needs_password(&role) && f.password.is_none() {
        let note = confirm(None);
        return users_page(&st, c, &me, None, Some(note), StatusCode::OK).await;
    }
    let wrong = c.t.t("account.wrong_password").to_string();
    let reauth = Reauth {
        field: "password",
        password: f.password.as_deref(),
        wrong: &wrong,
    };
    match accounts::grant_role(&st.app, &me, id, &role, reauth).await {
        Err(AppError::Invalid(e)) if e.field == "password" => {
            let note = confirm(Some(c.reason(&e)));
            users_page(&st, c, &me, None, Some(note), StatusCode::BAD_REQUEST).await
        }
        Err(AppError::Invalid(e)) if e.field == "role" && role.role.trim().is_empty() => {
            let note = RowNote {
                user_id: id,
                field: "role".into(),
                message: Some(c.t.t("users.role_required").to_string()),
                confirm_admin: None,
            };
            users_page(&st, c, &me, None, Some(note), StatusCode::BAD_REQUEST).await
        }
        r => row_result(&st, c, &me, id, r).await,
    }
}

async fn user_revoke(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
    Form(f): Form<GrantForm>,
) -> PageResult {
    let id = params::path_id(&id, "user")?;
    let role = RoleInput {
        role: f.role,
        scope: f.scope,
    };
    let r = accounts::revoke_role(&st.app, &me, id, &role).await;
    row_result(&st, c, &me, id, r).await
}

#[derive(Deserialize)]
struct StatusForm {
    disabled: String,
    reason: Option<String>,
}

async fn user_status(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
    Form(f): Form<StatusForm>,
) -> PageResult {
    let id = params::path_id(&id, "user")?;
    let r = accounts::set_status(&st.app, &me, id, f.disabled == "true", f.reason).await;
    row_result(&st, c, &me, id, r).await
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
    SignedIn(me): SignedIn,
    Query(p): Query<Params>,
) -> PageResult {
    let page = params::page(&p)?;
    let rows = accounts::audit_log(&st.app, &me, &audit_query(&p), page).await?;
    render(AuditPage { c, rows, f: p })
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    c: Chrome,
    items: Vec<Notification>,
}

impl InboxPage {
    /// The page a notification is about, in the page's language. Notifications written
    /// before they linked to pages pointed at the API: those links go to the page instead.
    fn page_link(&self, link: &str) -> String {
        let path = match link.strip_prefix("/api/v1") {
            Some(rest) => {
                let mut parts = rest.splitn(4, '/');
                match (parts.next(), parts.next(), parts.next()) {
                    (Some(""), Some("applications"), Some(id)) => format!("/applications/{id}"),
                    _ => rest.to_string(),
                }
            }
            None => link.to_string(),
        };
        self.c.href(&path)
    }
}

async fn inbox_page(State(st): State<AppState>, c: Chrome, SignedIn(me): SignedIn) -> PageResult {
    let items = accounts::inbox(&st.app, &me).await?;
    render(InboxPage { c, items })
}
