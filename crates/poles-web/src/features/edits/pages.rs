//! HTML forms for the registry's writes, shown on the pages to the people allowed to use
//! them. Each handler calls the use case (403 and an audit row for a caller without the
//! right) and goes back to the page it came from.

use crate::http::error::PageResult;
use crate::http::extract::SignedIn;
use crate::http::params;
use crate::ui::chrome::Chrome;
use crate::ui::format::urlencode;
use crate::AppState;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::post;
use axum::{Form, Router};
use poles_app::edits::{
    self, ClusterPatch, EventInput, FigureInput, LabelInput, MemberInput, NewsInput,
    OrganisationPatch, PartnershipInput,
};
use poles_app::worklists::{self as lists, PickKind, Resolved};
use poles_app::AppError;
use poles_core::FieldError;
use serde::Deserialize;

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/clusters/{slug}/edit", post(cluster_edit))
        .route("/clusters/{slug}/members", post(member_add))
        .route("/clusters/{slug}/members/{org}/remove", post(member_remove))
        .route("/clusters/{slug}/partnerships", post(partnership_add))
        .route(
            "/clusters/{slug}/partnerships/{id}/answer",
            post(partnership_answer),
        )
        .route(
            "/clusters/{slug}/partnerships/{id}/end",
            post(partnership_end),
        )
        .route(
            "/clusters/{slug}/partnerships/{id}/remove",
            post(partnership_remove),
        )
        .route("/clusters/{slug}/labels", post(label_add))
        .route("/organisations/{id}/edit", post(organisation_edit))
        .route("/news/new", post(news_add))
        .route("/news/{id}/remove", post(news_remove))
        .route("/events/new", post(event_add))
        .route("/programme/figures", post(figure_put))
}

/// Empty form fields mean "none".
fn opt(s: Option<String>) -> Option<String> {
    s.filter(|v| !v.trim().is_empty())
}

/// A form field that is always sent: empty clears the value.
fn cleared(s: String) -> Option<Option<String>> {
    Some(opt(Some(s)))
}

fn back(c: &Chrome, path: &str) -> PageResult {
    Ok(Redirect::to(&c.href(path)).into_response())
}

#[derive(Deserialize)]
struct ClusterEditForm {
    version: i64,
    description_fr: String,
    description_en: String,
    website: String,
    governance: String,
}

async fn cluster_edit(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path(slug): Path<String>,
    Form(f): Form<ClusterEditForm>,
) -> PageResult {
    let patch = ClusterPatch {
        version: f.version,
        description_fr: cleared(f.description_fr),
        description_en: cleared(f.description_en),
        website: cleared(f.website),
        governance: cleared(f.governance),
    };
    edits::update_cluster(&st.app, &me, &slug, &patch).await?;
    back(&c, &format!("/clusters/{slug}"))
}

/// The member chosen by name (the suggestion picked sets `organisation_value`).
#[derive(Deserialize)]
struct MemberForm {
    #[serde(default)]
    organisation: String,
    #[serde(alias = "organisation_id")]
    organisation_value: Option<String>,
    role: String,
    since: Option<String>,
    source: Option<String>,
}

/// Adds a member chosen by name. A name that matches several or nothing, or a refused
/// member, goes back to the pôle's page with the typed name and the reason or the choices
/// beside the field (the page resolves the name again).
async fn member_add(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path(slug): Path<String>,
    Form(f): Form<MemberForm>,
) -> PageResult {
    let again = |typed: &str, refused: Option<&str>| {
        let mut to = format!("/clusters/{slug}?member={}", urlencode(typed));
        if let Some(r) = refused {
            to.push_str(&format!("&member_refused={}", urlencode(r)));
        }
        Ok(Redirect::to(&format!("{}#add-member", c.href(&to))).into_response())
    };
    let r = lists::resolve(
        &st.app,
        Some(&me),
        PickKind::Organisation,
        &f.organisation,
        f.organisation_value.as_deref(),
    )
    .await?;
    let Resolved::One(org) = r else {
        return again(&f.organisation, None);
    };
    let Ok(organisation_id) = org.value.parse::<i64>() else {
        return again(&f.organisation, None);
    };
    let m = MemberInput {
        organisation_id,
        role: f.role,
        since: opt(f.since),
        source: opt(f.source),
    };
    match edits::add_member(&st.app, &me, &slug, &m).await {
        Ok(()) => back(&c, &format!("/clusters/{slug}")),
        Err(AppError::Invalid(e)) => again(&org.label, Some(&c.reason(&e))),
        Err(e) => Err(e.into()),
    }
}

async fn member_remove(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path((slug, org)): Path<(String, String)>,
) -> PageResult {
    let org = params::path_id(&org, "membership")?;
    edits::remove_member(&st.app, &me, &slug, org).await?;
    back(&c, &format!("/clusters/{slug}"))
}

/// The partner is another pôle chosen by name (the suggestion picked sets `pole_value`),
/// or a foreign cluster described by its name, country and website.
#[derive(Deserialize)]
struct PartnershipForm {
    #[serde(default)]
    pole: String,
    pole_value: Option<String>,
    foreign_name: Option<String>,
    foreign_country: Option<String>,
    foreign_website: Option<String>,
    kind: Option<String>,
    start_date: Option<String>,
    scope: Option<String>,
    source: Option<String>,
    document_url: Option<String>,
}

async fn partnership_add(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path(slug): Path<String>,
    Form(f): Form<PartnershipForm>,
) -> PageResult {
    let again = |typed: &str, refused: Option<&str>| {
        let mut to = format!("/clusters/{slug}?partner={}", urlencode(typed));
        if let Some(r) = refused {
            to.push_str(&format!("&partner_refused={}", urlencode(r)));
        }
        Ok(Redirect::to(&format!("{}#add-partnership", c.href(&to))).into_response())
    };
    let foreign_name = opt(f.foreign_name);
    let partner = match &foreign_name {
        // A foreign partner is named, never typed as an identifier: its key is made from
        // its name.
        Some(name) => format!("foreign:{}", poles_core::text::slugify(name)),
        None => {
            let r = lists::resolve(
                &st.app,
                Some(&me),
                PickKind::Cluster,
                &f.pole,
                f.pole_value.as_deref(),
            )
            .await?;
            let Resolved::One(pole) = r else {
                return again(&f.pole, None);
            };
            pole.value
        }
    };
    let p = PartnershipInput {
        partner,
        foreign_name,
        foreign_country: opt(f.foreign_country),
        foreign_website: opt(f.foreign_website),
        kind: opt(f.kind).unwrap_or_else(|| "partnership".into()),
        start_date: opt(f.start_date),
        scope: opt(f.scope),
        source: opt(f.source),
        document_url: opt(f.document_url),
    };
    match edits::add_partnership(&st.app, &me, &slug, &p).await {
        Ok(_) => back(&c, &format!("/clusters/{slug}")),
        Err(AppError::Invalid(e)) => {
            // The field by its label on the form, where it has one; never its internal name.
            let label = match e.field.as_str() {
                "start_date" => Some("partnership.start"),
                "kind" => Some("partnership.kind"),
                "scope" => Some("partnership.scope"),
                "document_url" => Some("partnership.document"),
                _ => None,
            };
            again(&f.pole, Some(&c.labelled_reason(label, &e)))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct PartnershipAnswerForm {
    /// `accept` or `decline`.
    answer: String,
}

async fn partnership_answer(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path((slug, id)): Path<(String, String)>,
    Form(f): Form<PartnershipAnswerForm>,
) -> PageResult {
    let id = params::path_id(&id, "partnership")?;
    edits::answer_partnership(&st.app, &me, &slug, id, f.answer == "accept").await?;
    back(&c, &format!("/clusters/{slug}"))
}

async fn partnership_end(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path((slug, id)): Path<(String, String)>,
) -> PageResult {
    let id = params::path_id(&id, "partnership")?;
    edits::end_partnership(&st.app, &me, &slug, id, &None).await?;
    back(&c, &format!("/clusters/{slug}"))
}

async fn partnership_remove(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path((slug, id)): Path<(String, String)>,
) -> PageResult {
    let id = params::path_id(&id, "partnership")?;
    edits::remove_partnership(&st.app, &me, &slug, id).await?;
    back(&c, &format!("/clusters/{slug}"))
}

#[derive(Deserialize)]
struct LabelForm {
    tier: Option<String>,
    status: String,
    decision_date: Option<String>,
    valid_from: Option<String>,
    valid_until: Option<String>,
    legal_act: Option<String>,
    note: Option<String>,
    source: String,
}

async fn label_add(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path(slug): Path<String>,
    Form(f): Form<LabelForm>,
) -> PageResult {
    let l = LabelInput {
        tier: opt(f.tier),
        status: f.status,
        decision_date: opt(f.decision_date),
        valid_from: opt(f.valid_from),
        valid_until: opt(f.valid_until),
        legal_act: opt(f.legal_act),
        note: opt(f.note),
        source: f.source,
    };
    edits::add_label(&st.app, &me, &slug, &l).await?;
    back(&c, &format!("/clusters/{slug}"))
}

#[derive(Deserialize)]
struct OrganisationForm {
    version: i64,
    name: String,
    short_name: String,
    website: String,
    competences: String,
    siren: String,
    naf_code: String,
    #[serde(default)]
    headcount_band: String,
    #[serde(default)]
    offer: String,
    #[serde(default)]
    seek: String,
}

async fn organisation_edit(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
    Form(f): Form<OrganisationForm>,
) -> PageResult {
    let id = params::path_id(&id, "organisation")?;
    let p = OrganisationPatch {
        version: f.version,
        name: Some(Some(f.name)),
        short_name: cleared(f.short_name),
        website: cleared(f.website),
        competences: cleared(f.competences),
        siren: cleared(f.siren),
        naf_code: cleared(f.naf_code),
        headcount_band: cleared(f.headcount_band),
        offer: cleared(f.offer),
        seek: cleared(f.seek),
    };
    edits::update_organisation(&st.app, &me, id, &p).await?;
    back(&c, &format!("/organisations/{id}"))
}

#[derive(Deserialize)]
struct NewsForm {
    cluster: Option<String>,
    published_on: Option<String>,
    title_fr: String,
    title_en: String,
    body_fr: Option<String>,
    body_en: Option<String>,
    source: String,
}

async fn news_add(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Form(f): Form<NewsForm>,
) -> PageResult {
    let n = NewsInput {
        cluster: opt(f.cluster),
        published_on: opt(f.published_on),
        title_fr: f.title_fr,
        title_en: f.title_en,
        body_fr: opt(f.body_fr),
        body_en: opt(f.body_en),
        source: f.source,
    };
    edits::create_news(&st.app, &me, &n).await?;
    back(&c, "/news")
}

#[derive(Deserialize)]
struct ReasonForm {
    reason: Option<String>,
}

async fn news_remove(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
    Form(f): Form<ReasonForm>,
) -> PageResult {
    let id = params::path_id(&id, "news item")?;
    edits::delete_news(&st.app, &me, id, opt(f.reason)).await?;
    back(&c, "/news")
}

#[derive(Deserialize)]
struct EventForm {
    name_fr: String,
    name_en: String,
    starts_on: Option<String>,
    place: Option<String>,
    description_fr: Option<String>,
    description_en: Option<String>,
    source: String,
}

async fn event_add(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Form(f): Form<EventForm>,
) -> PageResult {
    let e = EventInput {
        name_fr: f.name_fr,
        name_en: f.name_en,
        starts_on: opt(f.starts_on),
        place: opt(f.place),
        description_fr: opt(f.description_fr),
        description_en: opt(f.description_en),
        source: f.source,
    };
    edits::create_event(&st.app, &me, &e).await?;
    back(&c, "/news")
}

#[derive(Deserialize)]
struct FigureForm {
    key: String,
    label_fr: String,
    label_en: String,
    /// In whole currency units, as people write amounts.
    amount: String,
    currency: String,
    period_start: Option<String>,
    period_end: Option<String>,
    per: String,
    funder: Option<String>,
    certainty: String,
    source: String,
}

/// An amount as people write it, in any currency ("1 500 000", "1500000,50") into cents.
fn amount_cents(raw: &str) -> Result<i64, FieldError> {
    poles_core::cordis::parse_amount_cents(&raw.replace(['\u{202f}', ' '], ""))
        .ok()
        .flatten()
        .ok_or_else(|| FieldError::new("amount", "must be an amount such as 1500000 or 1500000,50"))
}

async fn figure_put(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Form(f): Form<FigureForm>,
) -> PageResult {
    let input = FigureInput {
        key: f.key.trim().to_string(),
        label_en: f.label_en,
        label_fr: f.label_fr,
        amount_cents: amount_cents(&f.amount)?,
        currency: f.currency,
        period_start: opt(f.period_start),
        period_end: opt(f.period_end),
        per: f.per,
        funder: opt(f.funder),
        certainty: f.certainty,
        source: f.source,
    };
    edits::put_figure(&st.app, &me, &input).await?;
    back(&c, "/programme/2007")
}
