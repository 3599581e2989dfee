//! Expressing interest: the form reached from an organisation's page, the contacts page
//! (messages received, to accept or decline, and sent), and their JSON operations.

use crate::http::error::{ApiError, ErrorBody, PageError, PageResult};
use crate::http::extract::{ApiJson, SignedIn};
use crate::http::openapi::signed_in;
use crate::http::params::{self, Params};
use crate::ui::chrome::Chrome;
use crate::ui::render::render_with;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use poles_app::contacts::{self, Interest, InterestAsk};
use poles_app::{atlas, joining, AppError, Caller};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api() -> OpenApiRouter<AppState> {
    signed_in(
        OpenApiRouter::new()
            .routes(routes!(api_send))
            .routes(routes!(api_mine))
            .routes(routes!(api_answer)),
    )
}

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/organisations/{id}/interest", get(form).post(submit))
        .route("/contacts", get(contacts_page))
        .route("/contacts/{id}/answer", post(answer))
}

/// Writes to an organisation on behalf of one the caller acts for; one of its members
/// accepts (both then see each other's address) or declines. Refused, naming its pôle's
/// contact, when nobody acts for the organisation in Pôles yet. At most 20 a day per person.
#[utoipa::path(post, path = "/api/v1/organisations/{id}/interest", tag = "partners",
    params(("id" = i64, Path, description = "The organisation written to")),
    request_body = InterestAsk,
    responses((status = 201, body = Interest), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn api_send(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<InterestAsk>,
) -> Result<(StatusCode, Json<Interest>), ApiError> {
    let id = params::path_id(&id, "organisation")?;
    Ok((
        StatusCode::CREATED,
        Json(contacts::send(&st.app, &me, id, &b).await?),
    ))
}

/// The messages sent by or to the organisations the caller acts for, newest first; the
/// addresses only on accepted ones.
#[utoipa::path(get, path = "/api/v1/interests", tag = "partners",
    responses((status = 200, body = Vec<Interest>)))]
async fn api_mine(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
) -> Result<Json<Vec<Interest>>, ApiError> {
    Ok(Json(contacts::mine(&st.app, &me).await?))
}

/// An answer to a message.
#[derive(Debug, Deserialize, ToSchema)]
pub struct InterestAnswer {
    pub accept: bool,
}

/// Accepts or declines a message addressed to an organisation the caller acts for.
#[utoipa::path(post, path = "/api/v1/interests/{id}/answer", tag = "partners",
    params(("id" = i64, Path, description = "The message")),
    request_body = InterestAnswer,
    responses((status = 200, body = Interest), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn api_answer(
    State(st): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<InterestAnswer>,
) -> Result<Json<Interest>, ApiError> {
    let id = params::path_id(&id, "message")?;
    Ok(Json(contacts::answer(&st.app, &me, id, b.accept).await?))
}

// ---------------------------------------------------------------- pages

#[derive(Template)]
#[template(path = "interest.html")]
struct InterestPage {
    c: Chrome,
    id: i64,
    name: String,
    mine: Vec<(i64, String)>,
    from: String,
    message: String,
    error: Option<(String, String)>,
}

impl InterestPage {
    fn err(&self, field: &str) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
}

/// `typed`: the writing organisation and the message as typed, shown again.
async fn view(
    st: &AppState,
    c: Chrome,
    me: &Caller,
    id: i64,
    (from, message): (String, String),
    error: Option<(String, String)>,
    status: StatusCode,
) -> PageResult {
    let o = atlas::organisation(&st.app, id).await?;
    let mine = joining::my_organisations(&st.app, me).await?;
    Ok(render_with(
        InterestPage {
            c,
            id,
            name: o.name,
            mine,
            from,
            message,
            error,
        },
        status,
    ))
}

async fn form(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    let id = params::path_id(&id, "organisation")?;
    view(
        &st,
        c,
        &me,
        id,
        (String::new(), String::new()),
        None,
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize)]
struct InterestForm {
    #[serde(default)]
    from: String,
    #[serde(default)]
    message: String,
}

fn refused(c: &Chrome, e: AppError) -> Result<(StatusCode, (String, String)), PageError> {
    match e {
        AppError::Invalid(f) => Ok((StatusCode::BAD_REQUEST, (f.field.clone(), c.reason(&f)))),
        AppError::Forbidden(_) => Ok((
            StatusCode::FORBIDDEN,
            (
                "from_organisation_id".into(),
                c.t.t("contacts.not_yours").to_string(),
            ),
        )),
        AppError::TooManyRequests { retry_after } => Ok((
            StatusCode::TOO_MANY_REQUESTS,
            (
                "message".into(),
                c.t.t("contacts.too_many")
                    .replace("{0}", &(retry_after / 3600 + 1).to_string()),
            ),
        )),
        other => Err(other.into()),
    }
}

async fn submit(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
    Form(f): Form<InterestForm>,
) -> PageResult {
    let id = params::path_id(&id, "organisation")?;
    let ask = InterestAsk {
        from_organisation_id: f.from.parse().ok(),
        message: f.message.clone(),
    };
    match contacts::send(&st.app, &me, id, &ask).await {
        Ok(_) => Ok(Redirect::to(&c.href("/contacts?done=sent")).into_response()),
        Err(e) => {
            let (status, err) = refused(&c, e)?;
            view(&st, c, &me, id, (f.from, f.message), Some(err), status).await
        }
    }
}

#[derive(Template)]
#[template(path = "contacts.html")]
struct ContactsPage {
    c: Chrome,
    received: Vec<Interest>,
    sent: Vec<Interest>,
    done: Option<String>,
}

impl ContactsPage {
    fn status(&self, i: &Interest) -> String {
        self.c.tk("interest.status.", i.status.as_str())
    }
}

async fn contacts_page(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Query(p): Query<Params>,
) -> PageResult {
    let own = me.actor.organisations();
    let (received, sent) = contacts::mine(&st.app, &me)
        .await?
        .into_iter()
        .partition(|i| own.contains(&i.to_organisation_id));
    let done = p.get("done").map(|k| c.tk("interest.done.", k));
    Ok(render_with(
        ContactsPage {
            c,
            received,
            sent,
            done,
        },
        StatusCode::OK,
    ))
}

#[derive(Deserialize)]
struct AnswerForm {
    /// `accept` or `decline`.
    answer: String,
}

async fn answer(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
    Form(f): Form<AnswerForm>,
) -> PageResult {
    let id = params::path_id(&id, "message")?;
    contacts::answer(&st.app, &me, id, f.answer == "accept").await?;
    Ok(Redirect::to(&c.href("/contacts?done=answered")).into_response())
}
