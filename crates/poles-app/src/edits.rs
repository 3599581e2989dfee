//! Writes to the registry: a cluster's profile, members, partnerships and label history (its
//! managers and programme officers; labels for officers only), an organisation's profile (its
//! members), the programme's figures (officers) and news and events (officers of every kind).
//! Each checks the capability, validates the input into the store's values, then writes
//! through the store, which refuses a stale version with a conflict.

use crate::{access, App, AppError, Caller, Result};
use poles_core::{CountryCode, Currency, FieldError, LabelStatus, Slug, Tier};
use poles_store::edits::{
    self as store, ClusterProfile, Figure, NewEvent, NewLabel, NewMember, NewNews, NewPartnership,
    OrganisationProfile, Partner,
};
use serde::Deserialize;
use utoipa::ToSchema;

/// A field of a patch: absent = unchanged, `null` = cleared.
pub type Patch<T> = Option<Option<T>>;

/// Deserialises a present field (even `null`) as `Some`, so that absent stays `None`.
fn present<'de, D, T>(d: D) -> std::result::Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

pub(crate) type Checked<T> = std::result::Result<T, FieldError>;

/// An optional text, trimmed, empty as `None`, at most `max` characters.
pub(crate) fn text(field: &str, v: &Option<String>, max: usize) -> Checked<Option<String>> {
    match v.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) if t.chars().count() > max => Err(FieldError::new(
            field,
            format!("must have at most {max} characters"),
        )),
        Some(t) => Ok(Some(t.to_string())),
    }
}

/// A required text, trimmed, at most `max` characters.
pub(crate) fn required(field: &str, v: &str, max: usize) -> Checked<String> {
    text(field, &Some(v.to_string()), max)?.ok_or_else(|| FieldError::new(field, "is required"))
}

/// An optional `YYYY-MM-DD` date, empty as `None`.
fn date(field: &str, v: &Option<String>) -> Checked<Option<String>> {
    match v.as_deref().filter(|d| !d.trim().is_empty()) {
        None => Ok(None),
        // The core's refusal as it is (with its code), so that pages say it in their language.
        Some(d) => poles_core::Date::parse(field, d).map(|d| Some(d.to_string())),
    }
}

/// An optional http(s) address.
pub(crate) fn url(field: &str, v: &Option<String>) -> Checked<Option<String>> {
    let v = text(field, v, 300)?;
    if let Some(u) = &v {
        if !(u.starts_with("https://") || u.starts_with("http://"))
            || u.contains(char::is_whitespace)
        {
            return Err(FieldError::new(field, "must be an http(s) address"));
        }
    }
    Ok(v)
}

/// A patch of an optional text column, its new value checked by `check`.
fn patch(
    p: &Patch<String>,
    check: impl Fn(&Option<String>) -> Checked<Option<String>>,
) -> Checked<Patch<String>> {
    p.as_ref().map(check).transpose()
}

/// The cluster named in a path: a malformed slug is simply not found.
pub(crate) fn cluster(raw: &str) -> Result<Slug> {
    Slug::parse("slug", raw).map_err(|_| AppError::NotFound("cluster"))
}

/// Editable fields of a cluster's profile.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ClusterPatch {
    /// The version read; a stale one is refused with 409.
    pub version: i64,
    #[serde(default, deserialize_with = "present")]
    pub description_fr: Patch<String>,
    #[serde(default, deserialize_with = "present")]
    pub description_en: Patch<String>,
    #[serde(default, deserialize_with = "present")]
    pub website: Patch<String>,
    #[serde(default, deserialize_with = "present")]
    pub governance: Patch<String>,
}

/// Edits a cluster's profile (its managers, programme officers, admins); the new version.
pub async fn update_cluster(
    app: &App,
    caller: &Caller,
    slug: &str,
    p: &ClusterPatch,
) -> Result<i64> {
    let slug = cluster(slug)?;
    let cap = app
        .allowed(caller, access::cluster_write(&caller.actor, slug.as_str()))
        .await?;
    let profile = ClusterProfile {
        version: p.version,
        description_fr: patch(&p.description_fr, |v| text("description_fr", v, 5000))?,
        description_en: patch(&p.description_en, |v| text("description_en", v, 5000))?,
        website: patch(&p.website, |v| url("website", v))?,
        governance: patch(&p.governance, |v| text("governance", v, 2000))?,
    };
    Ok(store::update_cluster(&app.db, &cap.cluster, &caller.ctx(cap.by), &profile).await?)
}

/// A member to add to a cluster.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct MemberInput {
    pub organisation_id: i64,
    /// `member`, `founding_member`, `partner` or `board`.
    #[serde(default = "default_member_role")]
    pub role: String,
    /// `YYYY-MM-DD`.
    pub since: Option<String>,
    pub source: Option<String>,
}

fn default_member_role() -> String {
    "member".into()
}

/// Adds a member organisation to a cluster.
pub async fn add_member(app: &App, caller: &Caller, slug: &str, m: &MemberInput) -> Result<()> {
    let slug = cluster(slug)?;
    let cap = app
        .allowed(caller, access::cluster_write(&caller.actor, slug.as_str()))
        .await?;
    if !["member", "founding_member", "partner", "board"].contains(&m.role.as_str()) {
        return Err(
            FieldError::new("role", "must be member, founding_member, partner or board").into(),
        );
    }
    let member = NewMember {
        organisation_id: m.organisation_id,
        role: m.role.clone(),
        since: date("since", &m.since)?,
        source: text("source", &m.source, 500)?.unwrap_or_else(|| "declared by the cluster".into()),
    };
    store::add_member(&app.db, &cap.cluster, &caller.ctx(cap.by), &member).await?;
    Ok(())
}

/// Removes a member organisation from a cluster.
pub async fn remove_member(
    app: &App,
    caller: &Caller,
    slug: &str,
    organisation_id: i64,
) -> Result<()> {
    let slug = cluster(slug)?;
    let cap = app
        .allowed(caller, access::cluster_write(&caller.actor, slug.as_str()))
        .await?;
    store::remove_member(&app.db, &cap.cluster, &caller.ctx(cap.by), organisation_id).await?;
    Ok(())
}

/// A partnership from this cluster to another cluster (`partner` = its slug) or to a
/// foreign cluster or network (`partner` = `foreign:<slug>`, created when `foreign_name`
/// is given and the slug is new).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct PartnershipInput {
    pub partner: String,
    pub foreign_name: Option<String>,
    pub foreign_country: Option<String>,
    /// The foreign cluster's website, when it is new here.
    pub foreign_website: Option<String>,
    #[serde(default = "default_partnership_kind")]
    pub kind: String,
    pub start_date: Option<String>,
    pub scope: Option<String>,
    pub source: Option<String>,
    /// The agreement's text or its announcement (http or https).
    pub document_url: Option<String>,
}

/// The kinds of partnership: a memorandum of understanding, a joint project, membership of
/// a network, and the wider records of the sources.
pub const PARTNERSHIP_KINDS: &[&str] = &[
    "mou",
    "joint_project",
    "network_membership",
    "international_partnership",
    "partnership",
];

fn default_partnership_kind() -> String {
    "partnership".into()
}

/// Records a partnership of a cluster; its id.
pub async fn add_partnership(
    app: &App,
    caller: &Caller,
    slug: &str,
    p: &PartnershipInput,
) -> Result<i64> {
    let slug = cluster(slug)?;
    let cap = app
        .allowed(caller, access::cluster_write(&caller.actor, slug.as_str()))
        .await?;
    let start_date = date("start_date", &p.start_date)?;
    let scope = text("scope", &p.scope, 2000)?;
    let source =
        text("source", &p.source, 500)?.unwrap_or_else(|| "declared by the cluster".into());
    let kind = required("kind", &p.kind, 60)?;
    if !PARTNERSHIP_KINDS.contains(&kind.as_str()) {
        return Err(FieldError::new(
            "kind",
            "must be mou, joint_project, network_membership, international_partnership or partnership",
        )
        .into());
    }
    let document_url = url("document_url", &p.document_url)?;
    let partner = match p.partner.strip_prefix("foreign:") {
        None => Partner::Cluster(Slug::parse("partner", &p.partner)?.as_str().to_string()),
        Some(foreign) => Partner::Foreign {
            slug: Slug::parse("partner", foreign)?.as_str().to_string(),
            name: text("foreign_name", &p.foreign_name, 200)?,
            country: p
                .foreign_country
                .as_deref()
                .filter(|c| !c.is_empty())
                .map(|c| CountryCode::parse("foreign_country", c))
                .transpose()?
                .map(|c| c.as_str().to_string()),
            website: url("foreign_website", &p.foreign_website)?,
        },
    };
    let who = cap.cluster.clone();
    let new = NewPartnership {
        partner,
        kind,
        start_date,
        scope,
        source,
        document_url,
        notice: (
            format!("Le pôle {who} propose un partenariat : à confirmer ou décliner."),
            format!("The pôle {who} proposes a partnership: confirm or decline it."),
        ),
    };
    Ok(store::add_partnership(&app.db, &cap.cluster, &caller.ctx(cap.by), &new).await?)
}

/// Removes a partnership of a cluster.
pub async fn remove_partnership(app: &App, caller: &Caller, slug: &str, id: i64) -> Result<()> {
    let slug = cluster(slug)?;
    let cap = app
        .allowed(caller, access::cluster_write(&caller.actor, slug.as_str()))
        .await?;
    store::remove_partnership(&app.db, &cap.cluster, &caller.ctx(cap.by), id).await?;
    Ok(())
}

/// The other pôle's managers confirm (it becomes public) or decline a partnership proposed
/// to their pôle.
pub async fn answer_partnership(
    app: &App,
    caller: &Caller,
    slug: &str,
    id: i64,
    accept: bool,
) -> Result<()> {
    let slug = cluster(slug)?;
    let cap = app
        .allowed(caller, access::cluster_write(&caller.actor, slug.as_str()))
        .await?;
    let who = cap.cluster.clone();
    let notice = if accept {
        (
            format!("Le pôle {who} confirme le partenariat proposé."),
            format!("The pôle {who} confirms the partnership you proposed."),
        )
    } else {
        (
            format!("Le pôle {who} décline le partenariat proposé."),
            format!("The pôle {who} declines the partnership you proposed."),
        )
    };
    store::answer_partnership(
        &app.db,
        &cap.cluster,
        &caller.ctx(cap.by),
        id,
        accept,
        notice,
    )
    .await?;
    Ok(())
}

/// Either pôle ends a confirmed partnership, on `end_date` or today; it stays on record.
pub async fn end_partnership(
    app: &App,
    caller: &Caller,
    slug: &str,
    id: i64,
    end_date: &Option<String>,
) -> Result<()> {
    let slug = cluster(slug)?;
    let cap = app
        .allowed(caller, access::cluster_write(&caller.actor, slug.as_str()))
        .await?;
    let end = date("end_date", end_date)?;
    store::end_partnership(&app.db, &cap.cluster, &caller.ctx(cap.by), id, end).await?;
    Ok(())
}

/// A pôle's partnerships proposed (by it or to it) or declined, for its managers.
pub async fn partnerships_in_progress(
    app: &App,
    caller: &Caller,
    slug: &str,
) -> Result<Vec<poles_core::model::Partnership>> {
    let slug = cluster(slug)?;
    app.allowed(caller, access::cluster_write(&caller.actor, slug.as_str()))
        .await?;
    let id = poles_store::joining::cluster_id_of(&app.db, slug.as_str()).await?;
    Ok(poles_store::registry::partnerships_in_progress(&app.db, id).await?)
}

/// A label decision to add to a cluster's history.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct LabelInput {
    pub tier: Option<String>,
    pub status: String,
    pub decision_date: Option<String>,
    pub valid_from: Option<String>,
    pub valid_until: Option<String>,
    pub legal_act: Option<String>,
    pub note: Option<String>,
    pub source: String,
}

/// Adds a label decision to a cluster's history (programme officers, admins); its id.
pub async fn add_label(app: &App, caller: &Caller, slug: &str, l: &LabelInput) -> Result<i64> {
    let slug = cluster(slug)?;
    let cap = app
        .allowed(caller, access::programme_write(&caller.actor))
        .await?;
    let tier = l
        .tier
        .as_deref()
        .filter(|t| !t.is_empty())
        .map(|t| Tier::parse("tier", t))
        .transpose()?;
    let status = LabelStatus::parse("status", &l.status)?;
    let decision_date = date("decision_date", &l.decision_date)?;
    let valid_from = date("valid_from", &l.valid_from)?;
    let valid_until = date("valid_until", &l.valid_until)?;
    if let (Some(f), Some(u)) = (&valid_from, &valid_until) {
        if u < f {
            return Err(FieldError::new("valid_until", "is before the start of validity").into());
        }
    }
    let label = NewLabel {
        tier,
        status,
        decision_date,
        valid_from,
        valid_until,
        source: required("source", &l.source, 1000)?,
        legal_act: text("legal_act", &l.legal_act, 500)?,
        note: text("note", &l.note, 2000)?,
    };
    Ok(store::add_label(&app.db, &caller.ctx(cap.by), slug.as_str(), &label).await?)
}

/// Editable fields of an organisation.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct OrganisationPatch {
    pub version: i64,
    #[serde(default, deserialize_with = "present")]
    pub name: Patch<String>,
    #[serde(default, deserialize_with = "present")]
    pub short_name: Patch<String>,
    #[serde(default, deserialize_with = "present")]
    pub website: Patch<String>,
    #[serde(default, deserialize_with = "present")]
    pub competences: Patch<String>,
    #[serde(default, deserialize_with = "present")]
    pub siren: Patch<String>,
    #[serde(default, deserialize_with = "present")]
    pub naf_code: Patch<String>,
    /// INSEE's headcount band of the organisation (`00` none, `01` 1 or 2, `02` 3 to 5, `03`
    /// 6 to 9, `11` 10 to 19, `12` 20 to 49, `21` 50 to 99, `22` 100 to 199, `31` 200 to 249,
    /// `32` 250 to 499, `41` 500 to 999, `42` 1,000 to 1,999, `51` 2,000 to 4,999, `52`
    /// 5,000 to 9,999, `53` 10,000 or more).
    #[serde(default, deserialize_with = "present")]
    pub headcount_band: Patch<String>,
    /// What the organisation offers partners (skills, equipment, markets).
    #[serde(default, deserialize_with = "present")]
    pub offer: Patch<String>,
    /// What it looks for (partners, skills, investors).
    #[serde(default, deserialize_with = "present")]
    pub seek: Patch<String>,
}

fn band(v: &Option<String>) -> Checked<Option<String>> {
    let v = text("headcount_band", v, 2)?;
    if let Some(b) = &v {
        if !poles_core::HEADCOUNT_BANDS
            .iter()
            .any(|(code, _, _)| code == b)
        {
            return Err(FieldError::new(
                "headcount_band",
                "is not one of INSEE's headcount bands (00, 01, 02, 03, 11, 12, 21, 22, 31, 32, 41, 42, 51, 52, 53)",
            ));
        }
    }
    Ok(v)
}

fn siren(v: &Option<String>) -> Checked<Option<String>> {
    let v = text("siren", v, 20)?;
    if let Some(sv) = &v {
        if sv.len() != 9 || !sv.bytes().all(|b| b.is_ascii_digit()) {
            return Err(FieldError::new("siren", "must be 9 digits"));
        }
    }
    Ok(v)
}

/// Edits an organisation (its members, admins); the new version.
pub async fn update_organisation(
    app: &App,
    caller: &Caller,
    organisation_id: i64,
    p: &OrganisationPatch,
) -> Result<i64> {
    let cap = app
        .allowed(
            caller,
            access::organisation_write(&caller.actor, organisation_id),
        )
        .await?;
    let name = match &p.name {
        None => None,
        Some(v) => {
            Some(text("name", v, 300)?.ok_or_else(|| FieldError::new("name", "cannot be empty"))?)
        }
    };
    let profile = OrganisationProfile {
        version: p.version,
        name,
        website: patch(&p.website, |v| url("website", v))?,
        short_name: patch(&p.short_name, |v| text("short_name", v, 100))?,
        competences: patch(&p.competences, |v| text("competences", v, 5000))?,
        siren: patch(&p.siren, siren)?,
        naf_code: patch(&p.naf_code, |v| text("naf_code", v, 10))?,
        headcount_band: patch(&p.headcount_band, band)?,
        offer: patch(&p.offer, |v| text("offer", v, 2000))?,
        seek: patch(&p.seek, |v| text("seek", v, 2000))?,
    };
    Ok(
        store::update_organisation(&app.db, cap.organisation_id, &caller.ctx(cap.by), &profile)
            .await?,
    )
}

/// A programme figure, created or replaced by its key.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct FigureInput {
    pub key: String,
    pub label_en: String,
    pub label_fr: String,
    /// In cents of `currency`.
    pub amount_cents: i64,
    pub currency: String,
    pub period_start: Option<String>,
    pub period_end: Option<String>,
    /// `year` or `period`.
    pub per: String,
    pub funder: Option<String>,
    /// `K`, `C` or `U`.
    pub certainty: String,
    pub source: String,
}

/// Creates or replaces a programme figure by its key (programme officers, admins).
pub async fn put_figure(app: &App, caller: &Caller, f: &FigureInput) -> Result<()> {
    let cap = app
        .allowed(caller, access::programme_write(&caller.actor))
        .await?;
    Slug::parse("key", &f.key.replace('_', "-"))?;
    let currency = Currency::parse("currency", &f.currency)?;
    if f.amount_cents < 0 {
        return Err(FieldError::new("amount_cents", "must not be negative").into());
    }
    if f.per != "year" && f.per != "period" {
        return Err(FieldError::new("per", "must be year or period").into());
    }
    if !["K", "C", "U"].contains(&f.certainty.as_str()) {
        return Err(FieldError::new("certainty", "must be K, C or U").into());
    }
    let figure = Figure {
        key: f.key.clone(),
        period_start: date("period_start", &f.period_start)?,
        period_end: date("period_end", &f.period_end)?,
        label_en: required("label_en", &f.label_en, 300)?,
        label_fr: required("label_fr", &f.label_fr, 300)?,
        source: required("source", &f.source, 1000)?,
        amount_cents: f.amount_cents,
        currency,
        per: f.per.clone(),
        funder: f.funder.clone(),
        certainty: f.certainty.clone(),
    };
    store::put_figure(&app.db, &caller.ctx(cap.by), &figure).await?;
    Ok(())
}

/// A news item or press clipping.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewsInput {
    pub cluster: Option<String>,
    pub published_on: Option<String>,
    pub title_fr: String,
    pub title_en: String,
    pub body_fr: Option<String>,
    pub body_en: Option<String>,
    pub source: String,
}

/// Publishes a news item (officers, admins); its id.
pub async fn create_news(app: &App, caller: &Caller, n: &NewsInput) -> Result<i64> {
    let cap = app
        .allowed(caller, access::content_write(&caller.actor))
        .await?;
    let news = NewNews {
        published_on: date("published_on", &n.published_on)?,
        title_fr: required("title_fr", &n.title_fr, 300)?,
        title_en: required("title_en", &n.title_en, 300)?,
        body_fr: text("body_fr", &n.body_fr, 20_000)?,
        body_en: text("body_en", &n.body_en, 20_000)?,
        source: required("source", &n.source, 1000)?,
        cluster: n.cluster.clone().filter(|c| !c.is_empty()),
    };
    Ok(store::create_news(&app.db, &caller.ctx(cap.by), &news).await?)
}

/// Withdraws a news item (officers, admins), with the reason given, if any.
pub async fn delete_news(
    app: &App,
    caller: &Caller,
    id: i64,
    reason: Option<String>,
) -> Result<()> {
    let cap = app
        .allowed(caller, access::content_write(&caller.actor))
        .await?;
    store::delete_news(&app.db, &caller.ctx(cap.by), id, reason).await?;
    Ok(())
}

/// An event of the programme.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct EventInput {
    pub name_fr: String,
    pub name_en: String,
    pub starts_on: Option<String>,
    pub place: Option<String>,
    pub description_fr: Option<String>,
    pub description_en: Option<String>,
    pub source: String,
}

/// Publishes an event (officers, admins); its id.
pub async fn create_event(app: &App, caller: &Caller, e: &EventInput) -> Result<i64> {
    let cap = app
        .allowed(caller, access::content_write(&caller.actor))
        .await?;
    let event = NewEvent {
        starts_on: date("starts_on", &e.starts_on)?,
        name_fr: required("name_fr", &e.name_fr, 300)?,
        name_en: required("name_en", &e.name_en, 300)?,
        place: text("place", &e.place, 200)?,
        description_fr: text("description_fr", &e.description_fr, 10_000)?,
        description_en: text("description_en", &e.description_en, 10_000)?,
        source: required("source", &e.source, 1000)?,
    };
    Ok(store::create_event(&app.db, &caller.ctx(cap.by), &event).await?)
}
