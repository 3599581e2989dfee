//! Writes to the registry. Each function takes the capability that authorises it (built
//! only by `poles_core::auth` after the role check), writes in one transaction with its
//! audit row, and refuses a stale version with `Conflict`.

use crate::audit::{self, diff, Context, Event};
use crate::error::{Result, StoreError};
use crate::util::{date, i, os, s, text};
use crate::Db;
use poles_core::auth::{ClusterWrite, ContentWrite, OrganisationWrite, ProgrammeWrite};
use poles_core::{FieldError, LabelStatus, Tier};
use serde::Deserialize;
use serde_json::{json, Value};
use sqlx::{Any, Transaction};
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

fn url(field: &str, v: &Option<String>) -> Result<Option<String>> {
    let v = text(field, v, 300)?;
    if let Some(u) = &v {
        if !(u.starts_with("https://") || u.starts_with("http://"))
            || u.contains(char::is_whitespace)
        {
            return Err(FieldError::new(field, "must be an http(s) address").into());
        }
    }
    Ok(v)
}

/// Checks the caller's version against the stored one.
fn check_version(stored: i64, expected: i64) -> Result<()> {
    if stored != expected {
        Err(StoreError::Conflict { current: stored })
    } else {
        Ok(())
    }
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

/// Applies patches to a row's optional text columns: each column's new value (unchanged when
/// its patch is absent), with its before/after recorded in `changes` for the audit row.
fn merge<'c>(
    row: &sqlx::any::AnyRow,
    patches: &[(&'c str, &Patch<String>)],
    changes: &mut Vec<(&'c str, serde_json::Value, serde_json::Value)>,
) -> Result<Vec<Option<String>>> {
    patches
        .iter()
        .map(|(col, patch)| {
            let before = os(row, col)?;
            let after = match patch {
                None => before.clone(),
                Some(v) => v.clone(),
            };
            changes.push((col, json!(before), json!(after)));
            Ok(after)
        })
        .collect()
}

pub async fn update_cluster(
    db: &Db,
    cap: &ClusterWrite,
    ctx: &Context,
    p: &ClusterPatch,
) -> Result<i64> {
    let new = |field: &str, v: &Patch<String>, max: usize, is_url: bool| -> Result<Patch<String>> {
        match v {
            None => Ok(None),
            Some(v) => Ok(Some(if is_url {
                url(field, v)?
            } else {
                text(field, v, max)?
            })),
        }
    };
    let d_fr = new("description_fr", &p.description_fr, 5000, false)?;
    let d_en = new("description_en", &p.description_en, 5000, false)?;
    let web = new("website", &p.website, 300, true)?;
    let gov = new("governance", &p.governance, 2000, false)?;
    let mut tx = audit::begin_write(db).await?;
    let Some(row) = sqlx::query("SELECT id, version, description_fr, description_en, website, governance FROM clusters WHERE slug = $1")
        .bind(cap.cluster.clone())
        .fetch_optional(&mut *tx)
        .await?
    else {
        return Err(StoreError::NotFound("cluster"));
    };
    check_version(i(&row, "version")?, p.version)?;
    let mut changes = Vec::new();
    let merged = merge(
        &row,
        &[
            ("description_fr", &d_fr),
            ("description_en", &d_en),
            ("website", &web),
            ("governance", &gov),
        ],
        &mut changes,
    )?;
    let version = p.version + 1;
    sqlx::query("UPDATE clusters SET description_fr = $1, description_en = $2, website = $3, governance = $4, version = $5 WHERE id = $6")
        .bind(merged[0].clone())
        .bind(merged[1].clone())
        .bind(merged[2].clone())
        .bind(merged[3].clone())
        .bind(version)
        .bind(i(&row, "id")?)
        .execute(&mut *tx)
        .await?;
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: "cluster.update",
            object_kind: "cluster",
            object_ref: cap.cluster.clone(),
            changes: diff(&changes),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(version)
}

async fn cluster_id(tx: &mut Transaction<'static, Any>, slug: &str) -> Result<i64> {
    sqlx::query_scalar("SELECT id FROM clusters WHERE slug = $1")
        .bind(slug.to_string())
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(StoreError::NotFound("cluster"))
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

pub async fn add_member(db: &Db, cap: &ClusterWrite, ctx: &Context, m: &MemberInput) -> Result<()> {
    if !["member", "founding_member", "partner", "board"].contains(&m.role.as_str()) {
        return Err(
            FieldError::new("role", "must be member, founding_member, partner or board").into(),
        );
    }
    let since = date("since", &m.since)?;
    let source =
        text("source", &m.source, 500)?.unwrap_or_else(|| "declared by the cluster".into());
    let mut tx = audit::begin_write(db).await?;
    let cid = cluster_id(&mut tx, &cap.cluster).await?;
    if sqlx::query("SELECT 1 FROM organisations WHERE id = $1")
        .bind(m.organisation_id)
        .fetch_optional(&mut *tx)
        .await?
        .is_none()
    {
        return Err(FieldError::new("organisation_id", "no such organisation").into());
    }
    let n = sqlx::query("INSERT INTO memberships (cluster_id, organisation_id, role, since, source) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (cluster_id, organisation_id) DO NOTHING")
        .bind(cid)
        .bind(m.organisation_id)
        .bind(m.role.clone())
        .bind(since.clone())
        .bind(source.clone())
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(FieldError::new("organisation_id", "is already a member").into());
    }
    sqlx::query("UPDATE clusters SET version = version + 1 WHERE id = $1")
        .bind(cid)
        .execute(&mut *tx)
        .await?;
    audit::append(&mut tx, ctx, Event {
        action: "member.add",
        object_kind: "cluster",
        object_ref: cap.cluster.clone(),
        changes: json!({"member": {"before": null, "after": {"organisation_id": m.organisation_id, "role": m.role, "since": since, "source": source}}}),
        reason: None,
    }).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn remove_member(
    db: &Db,
    cap: &ClusterWrite,
    ctx: &Context,
    organisation_id: i64,
) -> Result<()> {
    let mut tx = audit::begin_write(db).await?;
    let cid = cluster_id(&mut tx, &cap.cluster).await?;
    let Some(before) = sqlx::query("SELECT role, since, source FROM memberships WHERE cluster_id = $1 AND organisation_id = $2")
        .bind(cid)
        .bind(organisation_id)
        .fetch_optional(&mut *tx)
        .await?
    else {
        return Err(StoreError::NotFound("membership"));
    };
    sqlx::query("DELETE FROM memberships WHERE cluster_id = $1 AND organisation_id = $2")
        .bind(cid)
        .bind(organisation_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE clusters SET version = version + 1 WHERE id = $1")
        .bind(cid)
        .execute(&mut *tx)
        .await?;
    audit::append(&mut tx, ctx, Event {
        action: "member.remove",
        object_kind: "cluster",
        object_ref: cap.cluster.clone(),
        changes: json!({"member": {"before": {"organisation_id": organisation_id, "role": s(&before, "role")?, "since": os(&before, "since")?}, "after": null}}),
        reason: None,
    }).await?;
    tx.commit().await?;
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
    #[serde(default = "default_partnership_kind")]
    pub kind: String,
    pub start_date: Option<String>,
    pub scope: Option<String>,
    pub source: Option<String>,
}

fn default_partnership_kind() -> String {
    "partnership".into()
}

pub async fn add_partnership(
    db: &Db,
    cap: &ClusterWrite,
    ctx: &Context,
    p: &PartnershipInput,
) -> Result<i64> {
    let start = date("start_date", &p.start_date)?;
    let scope = text("scope", &p.scope, 2000)?;
    let source =
        text("source", &p.source, 500)?.unwrap_or_else(|| "declared by the cluster".into());
    let kind = text("kind", &Some(p.kind.clone()), 60)?
        .ok_or_else(|| FieldError::new("kind", "is required"))?;
    let mut tx = audit::begin_write(db).await?;
    let cid = cluster_id(&mut tx, &cap.cluster).await?;
    let (b_cluster, b_foreign): (Option<i64>, Option<i64>) = match p
        .partner
        .strip_prefix("foreign:")
    {
        None => {
            poles_core::Slug::parse("partner", &p.partner)?;
            let id = match cluster_id(&mut tx, &p.partner).await {
                Err(StoreError::NotFound(_)) => {
                    return Err(FieldError::new("partner", "no such cluster").into())
                }
                other => other?,
            };
            if id == cid {
                return Err(FieldError::new("partner", "a cluster cannot partner itself").into());
            }
            (Some(id), None)
        }
        Some(slug) => {
            poles_core::Slug::parse("partner", slug)?;
            let existing: Option<i64> =
                sqlx::query_scalar("SELECT id FROM foreign_clusters WHERE slug = $1")
                    .bind(slug.to_string())
                    .fetch_optional(&mut *tx)
                    .await?;
            let id = match existing {
                Some(id) => id,
                None => {
                    let name = text("foreign_name", &p.foreign_name, 200)?.ok_or_else(|| {
                        FieldError::new("foreign_name", "is required for a new foreign partner")
                    })?;
                    let country = match p.foreign_country.as_deref().filter(|c| !c.is_empty()) {
                        Some(c) => Some(
                            poles_core::CountryCode::parse("foreign_country", c)?
                                .as_str()
                                .to_string(),
                        ),
                        None => None,
                    };
                    sqlx::query_scalar("INSERT INTO foreign_clusters (slug, name, country, kind) VALUES ($1, $2, $3, 'cluster') RETURNING id")
                        .bind(slug.to_string())
                        .bind(name)
                        .bind(country)
                        .fetch_one(&mut *tx)
                        .await?
                }
            };
            (None, Some(id))
        }
    };
    let id: i64 = sqlx::query_scalar("INSERT INTO partnerships (a_cluster_id, b_cluster_id, b_foreign_id, kind, start_date, scope, source) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
        .bind(cid)
        .bind(b_cluster)
        .bind(b_foreign)
        .bind(kind.clone())
        .bind(start.clone())
        .bind(scope.clone())
        .bind(source.clone())
        .fetch_one(&mut *tx)
        .await?;
    sqlx::query("UPDATE clusters SET version = version + 1 WHERE id = $1")
        .bind(cid)
        .execute(&mut *tx)
        .await?;
    audit::append(&mut tx, ctx, Event {
        action: "partnership.add",
        object_kind: "cluster",
        object_ref: cap.cluster.clone(),
        changes: json!({"partnership": {"before": null, "after": {"id": id, "partner": p.partner, "kind": kind, "start_date": start, "scope": scope, "source": source}}}),
        reason: None,
    }).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn remove_partnership(db: &Db, cap: &ClusterWrite, ctx: &Context, id: i64) -> Result<()> {
    let mut tx = audit::begin_write(db).await?;
    let cid = cluster_id(&mut tx, &cap.cluster).await?;
    let n = sqlx::query(
        "DELETE FROM partnerships WHERE id = $1 AND (a_cluster_id = $2 OR b_cluster_id = $2)",
    )
    .bind(id)
    .bind(cid)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(StoreError::NotFound("partnership"));
    }
    sqlx::query("UPDATE clusters SET version = version + 1 WHERE id = $1")
        .bind(cid)
        .execute(&mut *tx)
        .await?;
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: "partnership.remove",
            object_kind: "cluster",
            object_ref: cap.cluster.clone(),
            changes: json!({"partnership": {"before": {"id": id}, "after": null}}),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
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
}

pub async fn update_organisation(
    db: &Db,
    cap: &OrganisationWrite,
    ctx: &Context,
    p: &OrganisationPatch,
) -> Result<i64> {
    let name = match &p.name {
        None => None,
        Some(v) => {
            Some(text("name", v, 300)?.ok_or_else(|| FieldError::new("name", "cannot be empty"))?)
        }
    };
    let website = p.website.as_ref().map(|v| url("website", v)).transpose()?;
    let short = p
        .short_name
        .as_ref()
        .map(|v| text("short_name", v, 100))
        .transpose()?;
    let comp = p
        .competences
        .as_ref()
        .map(|v| text("competences", v, 5000))
        .transpose()?;
    let siren = match &p.siren {
        None => None,
        Some(v) => {
            let v = text("siren", v, 20)?;
            if let Some(sv) = &v {
                if sv.len() != 9 || !sv.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(FieldError::new("siren", "must be 9 digits").into());
                }
            }
            Some(v)
        }
    };
    let naf = p
        .naf_code
        .as_ref()
        .map(|v| text("naf_code", v, 10))
        .transpose()?;
    let mut tx = audit::begin_write(db).await?;
    let Some(row) = sqlx::query("SELECT version, name, short_name, website, competences, siren, naf_code FROM organisations WHERE id = $1")
        .bind(cap.organisation_id)
        .fetch_optional(&mut *tx)
        .await?
    else {
        return Err(StoreError::NotFound("organisation"));
    };
    check_version(i(&row, "version")?, p.version)?;
    if let Some(Some(code)) = &naf {
        if sqlx::query("SELECT 1 FROM naf_codes WHERE code = $1")
            .bind(code.clone())
            .fetch_optional(&mut *tx)
            .await?
            .is_none()
        {
            return Err(FieldError::new("naf_code", "is not a NAF rév. 2 code").into());
        }
    }
    let before_name = s(&row, "name")?;
    let after_name = name.clone().unwrap_or(before_name.clone());
    let mut changes = vec![("name", json!(before_name), json!(after_name))];
    let values = merge(
        &row,
        &[
            ("short_name", &short),
            ("website", &website),
            ("competences", &comp),
            ("siren", &siren),
            ("naf_code", &naf),
        ],
        &mut changes,
    )?;
    let version = p.version + 1;
    sqlx::query("UPDATE organisations SET name = $1, short_name = $2, website = $3, competences = $4, siren = $5, naf_code = $6, version = $7 WHERE id = $8")
        .bind(after_name)
        .bind(values[0].clone())
        .bind(values[1].clone())
        .bind(values[2].clone())
        .bind(values[3].clone())
        .bind(values[4].clone())
        .bind(version)
        .bind(cap.organisation_id)
        .execute(&mut *tx)
        .await?;
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: "organisation.update",
            object_kind: "organisation",
            object_ref: cap.organisation_id.to_string(),
            changes: diff(&changes),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(version)
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

pub async fn add_label(
    db: &Db,
    cap: &ProgrammeWrite,
    ctx: &Context,
    slug: &str,
    l: &LabelInput,
) -> Result<i64> {
    let _ = cap;
    let tier = l
        .tier
        .as_deref()
        .filter(|t| !t.is_empty())
        .map(|t| Tier::parse("tier", t))
        .transpose()?;
    let status = LabelStatus::parse("status", &l.status)?;
    let decision = date("decision_date", &l.decision_date)?;
    let from = date("valid_from", &l.valid_from)?;
    let until = date("valid_until", &l.valid_until)?;
    if let (Some(f), Some(u)) = (&from, &until) {
        if u < f {
            return Err(FieldError::new("valid_until", "is before valid_from").into());
        }
    }
    let source = text("source", &Some(l.source.clone()), 1000)?
        .ok_or_else(|| FieldError::new("source", "is required"))?;
    let act = text("legal_act", &l.legal_act, 500)?;
    let note = text("note", &l.note, 2000)?;
    let mut tx = audit::begin_write(db).await?;
    let cid = cluster_id(&mut tx, slug).await?;
    let id: i64 = sqlx::query_scalar("INSERT INTO labels (cluster_id, tier, status, decision_date, valid_from, valid_until, legal_act, note, source) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")
        .bind(cid)
        .bind(tier.map(|t| t.as_str()))
        .bind(status.as_str())
        .bind(decision.clone())
        .bind(from.clone())
        .bind(until.clone())
        .bind(act.clone())
        .bind(note.clone())
        .bind(source.clone())
        .fetch_one(&mut *tx)
        .await?;
    sqlx::query("UPDATE clusters SET version = version + 1 WHERE id = $1")
        .bind(cid)
        .execute(&mut *tx)
        .await?;
    audit::append(&mut tx, ctx, Event {
        action: "label.add",
        object_kind: "cluster",
        object_ref: slug.to_string(),
        changes: json!({"label": {"before": null, "after": {"id": id, "tier": tier, "status": status, "decision_date": decision, "valid_from": from, "valid_until": until, "legal_act": act, "source": source}}}),
        reason: note,
    }).await?;
    tx.commit().await?;
    Ok(id)
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

pub async fn put_figure(
    db: &Db,
    cap: &ProgrammeWrite,
    ctx: &Context,
    f: &FigureInput,
) -> Result<()> {
    let _ = cap;
    poles_core::Slug::parse("key", &f.key.replace('_', "-"))?;
    let currency = poles_core::Currency::parse("currency", &f.currency)?;
    if f.amount_cents < 0 {
        return Err(FieldError::new("amount_cents", "must not be negative").into());
    }
    if f.per != "year" && f.per != "period" {
        return Err(FieldError::new("per", "must be year or period").into());
    }
    if !["K", "C", "U"].contains(&f.certainty.as_str()) {
        return Err(FieldError::new("certainty", "must be K, C or U").into());
    }
    let start = date("period_start", &f.period_start)?;
    let end = date("period_end", &f.period_end)?;
    let label_en = text("label_en", &Some(f.label_en.clone()), 300)?
        .ok_or_else(|| FieldError::new("label_en", "is required"))?;
    let label_fr = text("label_fr", &Some(f.label_fr.clone()), 300)?
        .ok_or_else(|| FieldError::new("label_fr", "is required"))?;
    let source = text("source", &Some(f.source.clone()), 1000)?
        .ok_or_else(|| FieldError::new("source", "is required"))?;
    let mut tx = audit::begin_write(db).await?;
    let before = sqlx::query("SELECT amount_cents, currency, period_start, period_end, per, certainty, source FROM figures WHERE key = $1")
        .bind(f.key.clone())
        .fetch_optional(&mut *tx)
        .await?;
    let before_json: Value = match &before {
        Some(r) => {
            json!({"amount_cents": i(r, "amount_cents")?, "currency": s(r, "currency")?, "period_start": os(r, "period_start")?, "period_end": os(r, "period_end")?, "per": s(r, "per")?, "certainty": s(r, "certainty")?, "source": s(r, "source")?})
        }
        None => Value::Null,
    };
    sqlx::query("DELETE FROM figures WHERE key = $1")
        .bind(f.key.clone())
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO figures (key, label_en, label_fr, amount_cents, currency, period_start, period_end, per, funder, certainty, source) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
        .bind(f.key.clone())
        .bind(label_en)
        .bind(label_fr)
        .bind(f.amount_cents)
        .bind(currency.as_str())
        .bind(start.clone())
        .bind(end.clone())
        .bind(f.per.clone())
        .bind(f.funder.clone())
        .bind(f.certainty.clone())
        .bind(source.clone())
        .execute(&mut *tx)
        .await?;
    audit::append(&mut tx, ctx, Event {
        action: "figure.put",
        object_kind: "figure",
        object_ref: f.key.clone(),
        changes: json!({"figure": {"before": before_json, "after": {"amount_cents": f.amount_cents, "currency": currency, "period_start": start, "period_end": end, "per": f.per, "certainty": f.certainty, "source": source}}}),
        reason: None,
    }).await?;
    tx.commit().await?;
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

pub async fn create_news(db: &Db, cap: &ContentWrite, ctx: &Context, n: &NewsInput) -> Result<i64> {
    let _ = cap;
    let date_v = date("published_on", &n.published_on)?;
    let title_fr = text("title_fr", &Some(n.title_fr.clone()), 300)?
        .ok_or_else(|| FieldError::new("title_fr", "is required"))?;
    let title_en = text("title_en", &Some(n.title_en.clone()), 300)?
        .ok_or_else(|| FieldError::new("title_en", "is required"))?;
    let body_fr = text("body_fr", &n.body_fr, 20_000)?;
    let body_en = text("body_en", &n.body_en, 20_000)?;
    let source = text("source", &Some(n.source.clone()), 1000)?
        .ok_or_else(|| FieldError::new("source", "is required"))?;
    let mut tx = audit::begin_write(db).await?;
    let cluster = match n.cluster.as_deref().filter(|c| !c.is_empty()) {
        Some(slug) => match cluster_id(&mut tx, slug).await {
            Err(StoreError::NotFound(_)) => {
                return Err(FieldError::new("cluster", "no such cluster").into())
            }
            other => Some(other?),
        },
        None => None,
    };
    let id: i64 = sqlx::query_scalar("INSERT INTO news (cluster_id, published_on, title_en, title_fr, body_en, body_fr, source) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
        .bind(cluster)
        .bind(date_v.clone())
        .bind(title_en.clone())
        .bind(title_fr.clone())
        .bind(body_en)
        .bind(body_fr)
        .bind(source.clone())
        .fetch_one(&mut *tx)
        .await?;
    audit::append(&mut tx, ctx, Event {
        action: "news.create",
        object_kind: "news",
        object_ref: id.to_string(),
        changes: json!({"news": {"before": null, "after": {"title_fr": title_fr, "title_en": title_en, "published_on": date_v, "cluster": n.cluster, "source": source}}}),
        reason: None,
    }).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn delete_news(
    db: &Db,
    cap: &ContentWrite,
    ctx: &Context,
    id: i64,
    reason: Option<String>,
) -> Result<()> {
    let _ = cap;
    let mut tx = audit::begin_write(db).await?;
    let Some(r) = sqlx::query("SELECT title_fr, title_en, source FROM news WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
    else {
        return Err(StoreError::NotFound("news item"));
    };
    sqlx::query("DELETE FROM news WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit::append(&mut tx, ctx, Event {
        action: "news.delete",
        object_kind: "news",
        object_ref: id.to_string(),
        changes: json!({"news": {"before": {"title_fr": s(&r, "title_fr")?, "title_en": s(&r, "title_en")?, "source": s(&r, "source")?}, "after": null}}),
        reason,
    }).await?;
    tx.commit().await?;
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

pub async fn create_event(
    db: &Db,
    cap: &ContentWrite,
    ctx: &Context,
    e: &EventInput,
) -> Result<i64> {
    let _ = cap;
    let starts = date("starts_on", &e.starts_on)?;
    let name_fr = text("name_fr", &Some(e.name_fr.clone()), 300)?
        .ok_or_else(|| FieldError::new("name_fr", "is required"))?;
    let name_en = text("name_en", &Some(e.name_en.clone()), 300)?
        .ok_or_else(|| FieldError::new("name_en", "is required"))?;
    let place = text("place", &e.place, 200)?;
    let d_fr = text("description_fr", &e.description_fr, 10_000)?;
    let d_en = text("description_en", &e.description_en, 10_000)?;
    let source = text("source", &Some(e.source.clone()), 1000)?
        .ok_or_else(|| FieldError::new("source", "is required"))?;
    let mut tx = audit::begin_write(db).await?;
    let id: i64 = sqlx::query_scalar("INSERT INTO events (name_en, name_fr, starts_on, place, description_en, description_fr, source) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
        .bind(name_en.clone())
        .bind(name_fr.clone())
        .bind(starts.clone())
        .bind(place.clone())
        .bind(d_en)
        .bind(d_fr)
        .bind(source.clone())
        .fetch_one(&mut *tx)
        .await?;
    audit::append(&mut tx, ctx, Event {
        action: "event.create",
        object_kind: "event",
        object_ref: id.to_string(),
        changes: json!({"event": {"before": null, "after": {"name_fr": name_fr, "name_en": name_en, "starts_on": starts, "place": place, "source": source}}}),
        reason: None,
    }).await?;
    tx.commit().await?;
    Ok(id)
}
