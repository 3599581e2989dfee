//! Joining a pôle, the pages: the request form reached from the pôle's page, and one page
//! for one's requests and memberships and the requests a manager decides. A refused form
//! comes back as the same page, the reason beside its field and the input kept.

use crate::http::error::{PageError, PageResult};
use crate::http::extract::SignedIn;
use crate::http::params::{self, Params};
use crate::ui::chrome::Chrome;
use crate::ui::render::render_with;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Form, Router};
use poles_app::joining::{
    self, ImportPreview, JoinAsk, JoinRequest, JoinVerdict, MemberImport, MembershipPeriod, ROLES,
};
use poles_app::{atlas, AppError, Caller};
use poles_core::{FieldError, OrgKind};
use serde::Deserialize;

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/clusters/{slug}/join", get(join_form).post(join_submit))
        .route("/joining", get(joining_page))
        .route("/joining/{id}/decide", post(decide))
        .route("/joining/{id}/withdraw", post(withdraw))
        .route("/clusters/{slug}/members/{org}/leave", post(leave))
        .route(
            "/clusters/{slug}/members/{org}/visibility",
            post(visibility),
        )
        .route(
            "/clusters/{slug}/members/import",
            get(import_form).post(import_submit),
        )
}

/// A refused input: the field it belongs beside (empty: the whole form) and the reason.
struct Refusal {
    field: String,
    message: String,
}

/// What a use case refused, as a form's note; other errors stay errors.
fn refusal(c: &Chrome, e: AppError) -> Result<(StatusCode, Refusal), PageError> {
    match e {
        AppError::Invalid(f) => Ok((
            StatusCode::BAD_REQUEST,
            Refusal {
                message: c.reason(&f),
                field: f.field,
            },
        )),
        AppError::Forbidden(_) => Ok((
            StatusCode::FORBIDDEN,
            Refusal {
                field: String::new(),
                message: c.t.t("joining.forbidden").to_string(),
            },
        )),
        other => Err(other.into()),
    }
}

// ---------------------------------------------------------------- the request form

#[derive(Template)]
#[template(path = "join.html")]
struct JoinPage {
    c: Chrome,
    slug: String,
    cluster_name: String,
    /// The organisations the person acts for, by name.
    mine: Vec<(i64, String)>,
    /// Countries by name in the page's language: (code, name).
    countries: Vec<(String, String)>,
    kinds: Vec<&'static str>,
    roles: &'static [&'static str],
    form: JoinForm,
    refusal: Option<Refusal>,
}

impl JoinPage {
    fn err(&self, field: &str) -> Option<&str> {
        self.refusal
            .as_ref()
            .filter(|r| r.field == field)
            .map(|r| r.message.as_str())
    }

    fn chosen(&self, id: &i64) -> bool {
        self.form.organisation.as_deref() == Some(id.to_string().as_str())
    }
}

/// The request form as typed. `organisation` is an organisation the person acts for, or
/// `new` for one Pôles does not know yet.
#[derive(Debug, Default, Deserialize)]
struct JoinForm {
    organisation: Option<String>,
    #[serde(default)]
    new_name: String,
    #[serde(default)]
    new_country: String,
    #[serde(default)]
    new_kind: String,
    #[serde(default)]
    new_website: String,
    #[serde(default)]
    role: String,
    /// A checkbox: present when ticked.
    shown_publicly: Option<String>,
    #[serde(default)]
    message: String,
}

async fn join_view(
    st: &AppState,
    c: Chrome,
    me: &Caller,
    slug: &str,
    form: JoinForm,
    refusal: Option<Refusal>,
    status: StatusCode,
) -> PageResult {
    let cluster = atlas::cluster(&st.app, slug).await?;
    let mine = joining::my_organisations(&st.app, me).await?;
    let en = c.t.code() == "en";
    let mut countries: Vec<(String, String)> = atlas::countries(&st.app)
        .await?
        .into_iter()
        .map(|(code, (name_en, name_fr))| (code, if en { name_en } else { name_fr }))
        .collect();
    countries.sort_by(|a, b| a.1.cmp(&b.1));
    let kinds = OrgKind::ALL
        .iter()
        .filter(|k| **k != OrgKind::Unknown)
        .map(|k| k.as_str())
        .collect();
    Ok(render_with(
        JoinPage {
            c,
            slug: cluster.slug,
            cluster_name: cluster.name,
            mine,
            countries,
            kinds,
            roles: ROLES,
            form,
            refusal,
        },
        status,
    ))
}

async fn join_form(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path(slug): Path<String>,
) -> PageResult {
    let form = JoinForm {
        shown_publicly: Some("on".into()),
        ..Default::default()
    };
    join_view(&st, c, &me, &slug, form, None, StatusCode::OK).await
}

fn some(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

async fn join_submit(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path(slug): Path<String>,
    Form(f): Form<JoinForm>,
) -> PageResult {
    let new = f.organisation.as_deref() == Some("new");
    let organisation_id = match f.organisation.as_deref() {
        None | Some("") | Some("new") => None,
        Some(id) => match id.parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => {
                let said =
                    FieldError::new("organisation_id", "choose an organisation from the list");
                let (status, r) = refusal(&c, said.into())?;
                return join_view(&st, c, &me, &slug, f, Some(r), status).await;
            }
        },
    };
    let ask = JoinAsk {
        organisation_id,
        new_name: if new { some(&f.new_name) } else { None },
        new_country: if new { some(&f.new_country) } else { None },
        new_kind: if new { some(&f.new_kind) } else { None },
        new_website: if new { some(&f.new_website) } else { None },
        role: some(&f.role),
        shown_publicly: Some(f.shown_publicly.is_some()),
        message: some(&f.message),
    };
    match joining::apply(&st.app, &me, &slug, &ask).await {
        Ok(_) => Ok(Redirect::to(&c.href("/joining?done=sent")).into_response()),
        Err(e) => {
            let (status, r) = refusal(&c, e)?;
            join_view(&st, c, &me, &slug, f, Some(r), status).await
        }
    }
}

// ---------------------------------------------------------------- requests and memberships

#[derive(Template)]
#[template(path = "joining.html")]
struct JoiningPage {
    c: Chrome,
    mine: Vec<JoinRequest>,
    memberships: Vec<MembershipPeriod>,
    to_decide: Vec<JoinRequest>,
    roles: &'static [&'static str],
    done: Option<String>,
    refusal: Option<Refusal>,
    /// What a refused action was about: a request id, or `slug/organisation`.
    refused: Option<String>,
}

impl JoiningPage {
    fn err_for(&self, what: &str) -> Option<&str> {
        (self.refused.as_deref() == Some(what))
            .then_some(self.refusal.as_ref())
            .flatten()
            .map(|r| r.message.as_str())
    }

    fn status(&self, j: &JoinRequest) -> String {
        self.c.tk("joining.status.", j.status.as_str())
    }

    fn pending(&self, j: &JoinRequest) -> bool {
        j.status.as_str() == "pending"
    }
}

async fn joining_view(
    st: &AppState,
    c: Chrome,
    me: &Caller,
    done: Option<String>,
    refused: Option<(String, Refusal)>,
    status: StatusCode,
) -> PageResult {
    let mine = joining::mine(&st.app, me).await?;
    let memberships = joining::my_memberships(&st.app, me).await?;
    let to_decide = joining::to_decide(&st.app, me).await?;
    let (refused, refusal) = match refused {
        Some((what, r)) => (Some(what), Some(r)),
        None => (None, None),
    };
    Ok(render_with(
        JoiningPage {
            c,
            mine,
            memberships,
            to_decide,
            roles: ROLES,
            done,
            refusal,
            refused,
        },
        status,
    ))
}

async fn joining_page(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Query(p): Query<Params>,
) -> PageResult {
    let done = p.get("done").map(|k| c.tk("joining.done.", k));
    joining_view(&st, c, &me, done, None, StatusCode::OK).await
}

/// After an action: back to the page with its notice, or the page again with the refusal
/// beside what it was about.
async fn after(
    st: &AppState,
    c: Chrome,
    me: &Caller,
    what: String,
    outcome: poles_app::Result<()>,
    done: &str,
) -> PageResult {
    match outcome {
        Ok(()) => Ok(Redirect::to(&c.href(&format!("/joining?done={done}"))).into_response()),
        Err(e) => {
            let (status, r) = refusal(&c, e)?;
            joining_view(st, c, me, None, Some((what, r)), status).await
        }
    }
}

#[derive(Deserialize)]
struct DecideForm {
    decision: String,
    role: Option<String>,
    reason: Option<String>,
}

async fn decide(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
    Form(f): Form<DecideForm>,
) -> PageResult {
    let id = params::path_id(&id, "join request")?;
    let v = JoinVerdict {
        decision: f.decision,
        role: f.role,
        reason: f.reason,
    };
    let outcome = joining::decide(&st.app, &me, id, &v).await.map(|_| ());
    after(&st, c, &me, id.to_string(), outcome, "decided").await
}

async fn withdraw(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    let id = params::path_id(&id, "join request")?;
    let outcome = joining::withdraw(&st.app, &me, id).await;
    after(&st, c, &me, id.to_string(), outcome, "withdrawn").await
}

#[derive(Deserialize)]
struct LeaveForm {
    reason: Option<String>,
}

async fn leave(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path((slug, org)): Path<(String, String)>,
    Form(f): Form<LeaveForm>,
) -> PageResult {
    let org = params::path_id(&org, "organisation")?;
    let outcome = joining::leave(&st.app, &me, &slug, org, f.reason.as_deref()).await;
    after(&st, c, &me, format!("{slug}/{org}"), outcome, "left").await
}

#[derive(Deserialize)]
struct VisibilityForm {
    /// `shown` or `hidden`.
    shown: String,
}

async fn visibility(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path((slug, org)): Path<(String, String)>,
    Form(f): Form<VisibilityForm>,
) -> PageResult {
    let org = params::path_id(&org, "organisation")?;
    let outcome = joining::set_shown(&st.app, &me, &slug, org, f.shown == "shown").await;
    after(&st, c, &me, format!("{slug}/{org}"), outcome, "visibility").await
}

// ---------------------------------------------------------------- importing members

#[derive(Template)]
#[template(path = "member_import.html")]
struct ImportPage {
    c: Chrome,
    slug: String,
    cluster_name: String,
    roles: &'static [&'static str],
    csv: String,
    role: String,
    preview: Option<ImportPreview>,
    refusal: Option<Refusal>,
}

impl ImportPage {
    fn err(&self, field: &str) -> Option<&str> {
        self.refusal
            .as_ref()
            .filter(|r| r.field == field || (field == "csv" && r.field.is_empty()))
            .map(|r| r.message.as_str())
    }
}

/// `typed`: the list and the default role as typed, shown again.
async fn import_view(
    st: &AppState,
    c: Chrome,
    slug: &str,
    (csv, role): (String, String),
    preview: Option<ImportPreview>,
    refusal: Option<Refusal>,
    status: StatusCode,
) -> PageResult {
    let cluster = atlas::cluster(&st.app, slug).await?;
    Ok(render_with(
        ImportPage {
            c,
            slug: cluster.slug,
            cluster_name: cluster.name,
            roles: ROLES,
            csv,
            role,
            preview,
            refusal,
        },
        status,
    ))
}

async fn import_form(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(_me): SignedIn,
    Path(slug): Path<String>,
) -> PageResult {
    import_view(
        &st,
        c,
        &slug,
        (String::new(), "member".into()),
        None,
        None,
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize)]
struct ImportForm {
    csv: String,
    #[serde(default)]
    role: String,
    /// Present on the preview's "add them" button.
    confirm: Option<String>,
}

async fn import_submit(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path(slug): Path<String>,
    Form(f): Form<ImportForm>,
) -> PageResult {
    let imp = MemberImport {
        csv: f.csv.clone(),
        role: some(&f.role),
        dry_run: Some(f.confirm.is_none()),
    };
    match joining::import_members(&st.app, &me, &slug, &imp).await {
        Ok(p) if p.written => Ok(Redirect::to(
            &c.href(&format!("/clusters/{slug}?imported={}#members", p.to_add)),
        )
        .into_response()),
        Ok(p) => {
            import_view(
                &st,
                c,
                &slug,
                (f.csv, f.role),
                Some(p),
                None,
                StatusCode::OK,
            )
            .await
        }
        Err(e) => {
            let (status, r) = refusal(&c, e)?;
            import_view(&st, c, &slug, (f.csv, f.role), None, Some(r), status).await
        }
    }
}
