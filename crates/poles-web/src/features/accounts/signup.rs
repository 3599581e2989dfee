//! Self sign-up, the address's verification, the password reset by mail, organisation
//! claims and the admins' view of the mail outbox: the pages and the JSON operations. A
//! refused form comes back as the same page, the reason beside its field and the input kept.

use crate::http::error::{ApiError, ErrorBody, PageError, PageResult};
use crate::http::extract::{ApiJson, SignedIn, Visitor};
use crate::http::openapi::signed_in;
use crate::http::params::{self, Params};
use crate::ui::chrome::Chrome;
use crate::ui::render::{render, render_with};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use poles_app::mail::OutboxMail;
use poles_app::membership::{self, MembershipRequest};
use poles_app::{accounts, mail, AppError, Caller};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/signup", get(signup_form).post(signup_submit))
        .route("/verify", get(verify_form).post(verify_submit))
        .route("/memberships", get(claims_page).post(claim_submit))
        .route("/memberships/{id}/decide", post(claim_decide))
        .route("/admin/mail", get(outbox_page))
}

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api_signup))
        .routes(routes!(api_verify))
        .routes(routes!(api_reset_request))
        .routes(routes!(api_reset_finish))
        .merge(signed_in(
            OpenApiRouter::new()
                .routes(routes!(api_my_claims, api_claim))
                .routes(routes!(api_claims_pending))
                .routes(routes!(api_claim_decide))
                .routes(routes!(api_outbox)),
        ))
}

/// A refused input: the field it belongs beside and the reason, in the page's words.
pub(crate) struct Refusal {
    pub field: String,
    pub message: String,
}

/// Turns what a use case refused into the note a form shows; other errors stay errors.
pub(crate) fn refusal(c: &Chrome, e: AppError) -> Result<(StatusCode, Refusal), PageError> {
    match e {
        AppError::Invalid(f) => Ok((
            StatusCode::BAD_REQUEST,
            Refusal {
                message: c.reason(&f),
                field: f.field,
            },
        )),
        AppError::TooManyRequests { retry_after } => Ok((
            StatusCode::TOO_MANY_REQUESTS,
            Refusal {
                field: String::new(),
                message: format!("{} ({retry_after} s)", c.t.t("signup.throttled")),
            },
        )),
        other => Err(other.into()),
    }
}

/// The note of `field` (the empty field name: a note about the whole form).
fn note<'a>(r: &'a Option<Refusal>, field: &str) -> Option<&'a str> {
    r.as_ref()
        .filter(|r| r.field == field)
        .map(|r| r.message.as_str())
}

// ---------------------------------------------------------------- sign-up

#[derive(Template)]
#[template(path = "signup.html")]
struct SignupPage {
    c: Chrome,
    email: String,
    display_name: String,
    sent: bool,
    refusal: Option<Refusal>,
}

impl SignupPage {
    fn err(&self, field: &str) -> Option<&str> {
        note(&self.refusal, field)
    }
}

async fn signup_form(c: Chrome, Query(p): Query<Params>) -> PageResult {
    render(SignupPage {
        c,
        email: String::new(),
        display_name: String::new(),
        sent: p.contains_key("sent"),
        refusal: None,
    })
}

#[derive(Deserialize, ToSchema)]
pub struct SignupRequest {
    pub email: String,
    pub password: String,
    /// How the person wants to be called (optional).
    pub display_name: Option<String>,
}

async fn signup_submit(
    State(st): State<AppState>,
    c: Chrome,
    visitor: Visitor,
    Form(f): Form<SignupRequest>,
) -> PageResult {
    let r = accounts::sign_up(
        &st.app,
        &visitor.origin,
        &f.email,
        f.display_name.as_deref(),
        &f.password,
    )
    .await;
    match r {
        Ok(()) => Ok(Redirect::to(&c.href("/signup?sent=1")).into_response()),
        Err(e) => {
            let (status, refusal) = refusal(&c, e)?;
            Ok(render_with(
                SignupPage {
                    c,
                    email: f.email,
                    display_name: f.display_name.unwrap_or_default(),
                    sent: false,
                    refusal: Some(refusal),
                },
                status,
            ))
        }
    }
}

/// Signs up: the account can sign in once the address is verified through the mailed link.
/// The answer is the same whether the address already had an account.
#[utoipa::path(post, path = "/api/v1/signup", tag = "accounts", request_body = SignupRequest,
    responses((status = 202, description = "A mail is on its way to the address"),
        (status = 400, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn api_signup(
    State(st): State<AppState>,
    visitor: Visitor,
    ApiJson(b): ApiJson<SignupRequest>,
) -> Result<StatusCode, ApiError> {
    accounts::sign_up(
        &st.app,
        &visitor.origin,
        &b.email,
        b.display_name.as_deref(),
        &b.password,
    )
    .await?;
    Ok(StatusCode::ACCEPTED)
}

// ---------------------------------------------------------------- verification

#[derive(Template)]
#[template(path = "verify.html")]
struct VerifyPage {
    c: Chrome,
    token: String,
    refusal: Option<Refusal>,
}

impl VerifyPage {
    fn err(&self, field: &str) -> Option<&str> {
        note(&self.refusal, field)
    }
}

/// The link of the mail opens a page with one button: a mail scanner following links does
/// not verify anything.
async fn verify_form(c: Chrome, Query(p): Query<Params>) -> PageResult {
    render(VerifyPage {
        c,
        token: p.get("token").cloned().unwrap_or_default(),
        refusal: None,
    })
}

#[derive(Deserialize, ToSchema)]
pub struct VerifyRequest {
    /// The token of the mailed link.
    pub token: String,
}

async fn verify_submit(
    State(st): State<AppState>,
    c: Chrome,
    visitor: Visitor,
    Form(f): Form<VerifyRequest>,
) -> PageResult {
    match accounts::verify_email(&st.app, &visitor.origin, &f.token).await {
        Ok(()) => Ok(Redirect::to(&c.href("/login?verified=1")).into_response()),
        Err(e) => {
            let (status, refusal) = refusal(&c, e)?;
            Ok(render_with(
                VerifyPage {
                    c,
                    token: f.token,
                    refusal: Some(refusal),
                },
                status,
            ))
        }
    }
}

/// Verifies an address with the token of the mailed link (single use, expiring).
#[utoipa::path(post, path = "/api/v1/signup/verify", tag = "accounts", request_body = VerifyRequest,
    responses((status = 204), (status = 400, body = ErrorBody)))]
async fn api_verify(
    State(st): State<AppState>,
    visitor: Visitor,
    ApiJson(b): ApiJson<VerifyRequest>,
) -> Result<StatusCode, ApiError> {
    accounts::verify_email(&st.app, &visitor.origin, &b.token).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------- password reset

#[derive(Deserialize, ToSchema)]
pub struct ResetRequest {
    pub email: String,
}

/// Asks for a password-reset link by mail. The answer is the same whether or not the
/// address has an account.
#[utoipa::path(post, path = "/api/v1/password-reset", tag = "accounts", request_body = ResetRequest,
    responses((status = 202, description = "If the address has an account, a mail is on its way"),
        (status = 400, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn api_reset_request(
    State(st): State<AppState>,
    visitor: Visitor,
    ApiJson(b): ApiJson<ResetRequest>,
) -> Result<StatusCode, ApiError> {
    accounts::request_reset(&st.app, &visitor.origin, &b.email).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Deserialize, ToSchema)]
pub struct ResetFinish {
    /// The token of the mailed link.
    pub token: String,
    pub new_password: String,
}

/// Sets a new password with the token of the mailed link (single use, one hour); every
/// session of the account ends.
#[utoipa::path(post, path = "/api/v1/password-reset/finish", tag = "accounts", request_body = ResetFinish,
    responses((status = 204), (status = 400, body = ErrorBody)))]
async fn api_reset_finish(
    State(st): State<AppState>,
    visitor: Visitor,
    ApiJson(b): ApiJson<ResetFinish>,
) -> Result<StatusCode, ApiError> {
    accounts::finish_reset(&st.app, &visitor.origin, &b.token, &b.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------- organisation claims

#[derive(Template)]
#[template(path = "claims.html")]
struct ClaimsPage {
    c: Chrome,
    mine: Vec<MembershipRequest>,
    to_decide: Vec<MembershipRequest>,
    organisation: String,
    message: String,
    refusal: Option<Refusal>,
    /// The claim a refused decision was about.
    refused_claim: Option<i64>,
    done: Option<String>,
}

impl ClaimsPage {
    fn err(&self, field: &str) -> Option<&str> {
        if self.refused_claim.is_some() {
            return None;
        }
        note(&self.refusal, field)
    }

    fn decision_err(&self, id: &i64) -> Option<&str> {
        self.refused_claim
            .filter(|c| c == id)
            .and(self.refusal.as_ref())
            .map(|r| r.message.as_str())
    }

    fn status(&self, claim: &MembershipRequest) -> String {
        self.c.tk("claims.status.", claim.status.as_str())
    }
}

#[derive(Default)]
struct ClaimsExtras {
    organisation: String,
    message: String,
    refusal: Option<Refusal>,
    refused_claim: Option<i64>,
    done: Option<String>,
}

async fn claims_view(
    st: &AppState,
    c: Chrome,
    me: &Caller,
    x: ClaimsExtras,
    status: StatusCode,
) -> PageResult {
    let mine = membership::mine(&st.app, me).await?;
    let to_decide = membership::to_decide(&st.app, me).await?;
    Ok(render_with(
        ClaimsPage {
            c,
            mine,
            to_decide,
            organisation: x.organisation,
            message: x.message,
            refusal: x.refusal,
            refused_claim: x.refused_claim,
            done: x.done,
        },
        status,
    ))
}

async fn claims_page(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Query(p): Query<Params>,
) -> PageResult {
    let done = p.get("done").map(|k| c.tk("claims.done.", k));
    let x = ClaimsExtras {
        done,
        ..Default::default()
    };
    claims_view(&st, c, &me, x, StatusCode::OK).await
}

#[derive(Deserialize, ToSchema)]
pub struct MembershipAsk {
    /// The organisation's SIREN (9 digits), PIC (9 digits) or name.
    pub organisation: String,
    /// A word for the approvers (optional).
    pub message: Option<String>,
}

async fn claim_submit(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Form(f): Form<MembershipAsk>,
) -> PageResult {
    match membership::claim(&st.app, &me, &f.organisation, f.message.as_deref()).await {
        Ok(_) => Ok(Redirect::to(&c.href("/memberships?done=sent")).into_response()),
        Err(e) => {
            let (status, r) = refusal(&c, e)?;
            let x = ClaimsExtras {
                organisation: f.organisation,
                message: f.message.unwrap_or_default(),
                refusal: Some(r),
                ..Default::default()
            };
            claims_view(&st, c, &me, x, status).await
        }
    }
}

#[derive(Deserialize)]
struct DecideForm {
    /// `approve` or `decline`.
    decision: String,
    reason: Option<String>,
}

async fn claim_decide(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
    Form(f): Form<DecideForm>,
) -> PageResult {
    let id = params::path_id(&id, "claim")?;
    let approve = f.decision == "approve";
    match membership::decide(&st.app, &me, id, approve, f.reason.as_deref()).await {
        Ok(()) => Ok(Redirect::to(&c.href("/memberships?done=decided")).into_response()),
        Err(e) => {
            let (status, r) = refusal(&c, e)?;
            let x = ClaimsExtras {
                refusal: Some(r),
                refused_claim: Some(id),
                ..Default::default()
            };
            claims_view(&st, c, &me, x, status).await
        }
    }
}

/// One's requests to act for an organisation, newest first.
#[utoipa::path(get, path = "/api/v1/membership-requests", tag = "accounts",
    responses((status = 200, body = Vec<MembershipRequest>)))]
async fn api_my_claims(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
) -> Result<Json<Vec<MembershipRequest>>, ApiError> {
    Ok(Json(membership::mine(&st.app, &me).await?))
}

/// Asks to act for an organisation, named by its SIREN (9 digits, Luhn-checked), its PIC
/// (9 digits) or its name; its members and the admins decide.
#[utoipa::path(post, path = "/api/v1/membership-requests", tag = "accounts", request_body = MembershipAsk,
    responses((status = 201, body = MembershipRequest), (status = 400, body = ErrorBody)))]
async fn api_claim(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    ApiJson(b): ApiJson<MembershipAsk>,
) -> Result<(StatusCode, Json<MembershipRequest>), ApiError> {
    let claim = membership::claim(&st.app, &me, &b.organisation, b.message.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(claim)))
}

/// The requests the caller may decide: all for admins, their organisations' for members.
#[utoipa::path(get, path = "/api/v1/membership-requests/pending", tag = "accounts",
    responses((status = 200, body = Vec<MembershipRequest>)))]
async fn api_claims_pending(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
) -> Result<Json<Vec<MembershipRequest>>, ApiError> {
    Ok(Json(membership::to_decide(&st.app, &me).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct MembershipDecision {
    pub approve: bool,
    /// Why it is declined (required to decline).
    pub reason: Option<String>,
}

/// Approves a request (the person becomes a member of the organisation) or declines it with
/// a reason: admins and the organisation's members.
#[utoipa::path(post, path = "/api/v1/membership-requests/{id}/decision", tag = "accounts", request_body = MembershipDecision,
    params(("id" = i64, Path)),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn api_claim_decide(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<MembershipDecision>,
) -> Result<StatusCode, ApiError> {
    let id = params::path_id(&id, "claim")?;
    membership::decide(&st.app, &me, id, b.approve, b.reason.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------- outbox

#[derive(Template)]
#[template(path = "outbox.html")]
struct OutboxPage {
    c: Chrome,
    mails: Vec<OutboxMail>,
}

async fn outbox_page(State(st): State<AppState>, c: Chrome, SignedIn(me): SignedIn) -> PageResult {
    let mails = mail::outbox(&st.app, &me).await?;
    render(OutboxPage { c, mails })
}

/// The mail waiting to be sent (with its attempts and last error) and the last mail sent
/// (admins). Bodies are never shown: they hold one-time links.
#[utoipa::path(get, path = "/api/v1/admin/outbox", tag = "accounts",
    responses((status = 200, body = Vec<OutboxMail>)))]
async fn api_outbox(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
) -> Result<Json<Vec<OutboxMail>>, ApiError> {
    Ok(Json(mail::outbox(&st.app, &me).await?))
}
