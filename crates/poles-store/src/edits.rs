//! Writes to the registry. The use-case layer checks who may write and validates the values;
//! each function here writes in one transaction with its audit row, refuses a stale version
//! with `Conflict`, and checks what only the database knows (that the cluster, organisation,
//! partner or NAF code exists; that a member is not already one).

use crate::audit::{self, diff, Context, Event};
use crate::error::{Result, StoreError};
use crate::joining::cluster_id;
use crate::util::{from_row, parsed};
use crate::Db;
use poles_core::status::PartnershipStatus;
use poles_core::{Currency, FieldError, LabelStatus, Tier};
use serde_json::{json, Value};

/// A field of a patch: absent = unchanged, `None` inside = cleared.
pub type Patch<T> = Option<Option<T>>;

/// Checks the caller's version against the stored one.
fn check_version(stored: i64, expected: i64) -> Result<()> {
    if stored != expected {
        Err(StoreError::Conflict { current: stored })
    } else {
        Ok(())
    }
}

/// A cluster's profile fields to change, validated.
#[derive(Debug, Clone, Default)]
pub struct ClusterProfile {
    /// The version read.
    pub version: i64,
    pub description_fr: Patch<String>,
    pub description_en: Patch<String>,
    pub website: Patch<String>,
    pub governance: Patch<String>,
}

/// Applies patches to a row's optional text columns, each given as `(column, stored value,
/// patch)`: each column's new value (unchanged when its patch is absent), with its
/// before/after recorded in `changes` for the audit row.
fn merge<'c, const N: usize>(
    fields: [(&'c str, Option<String>, &Patch<String>); N],
    changes: &mut Vec<(&'c str, serde_json::Value, serde_json::Value)>,
) -> [Option<String>; N] {
    fields.map(|(col, before, patch)| {
        let after = match patch {
            None => before.clone(),
            Some(v) => v.clone(),
        };
        changes.push((col, json!(before), json!(after)));
        after
    })
}

/// The profile columns of a cluster that its managers edit.
struct ClusterProfileRow {
    id: i64,
    version: i64,
    description_fr: Option<String>,
    description_en: Option<String>,
    website: Option<String>,
    governance: Option<String>,
}
from_row!(ClusterProfileRow {
    id,
    version,
    description_fr,
    description_en,
    website,
    governance
});

/// Changes a cluster's profile; its new version.
pub async fn update_cluster(
    db: &Db,
    cluster: &str,
    ctx: &Context,
    p: &ClusterProfile,
) -> Result<i64> {
    let mut tx = audit::begin_write(db).await?;
    let Some(row) = sqlx::query_as::<_, ClusterProfileRow>("SELECT id, version, description_fr, description_en, website, governance FROM clusters WHERE slug = $1")
        .bind(cluster.to_string())
        .fetch_optional(&mut *tx)
        .await?
    else {
        return Err(StoreError::NotFound("cluster"));
    };
    check_version(row.version, p.version)?;
    let mut changes = Vec::new();
    let [description_fr, description_en, website, governance] = merge(
        [
            ("description_fr", row.description_fr, &p.description_fr),
            ("description_en", row.description_en, &p.description_en),
            ("website", row.website, &p.website),
            ("governance", row.governance, &p.governance),
        ],
        &mut changes,
    );
    let version = p.version + 1;
    sqlx::query("UPDATE clusters SET description_fr = $1, description_en = $2, website = $3, governance = $4, version = $5 WHERE id = $6")
        .bind(description_fr)
        .bind(description_en)
        .bind(website)
        .bind(governance)
        .bind(version)
        .bind(row.id)
        .execute(&mut *tx)
        .await?;
    crate::search::reindex_cluster(&mut tx, db.backend, row.id).await?;
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: "cluster.update",
            object_kind: "cluster",
            object_ref: cluster.to_string(),
            changes: diff(&changes),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(version)
}

/// A member to add to a cluster, validated.
#[derive(Debug, Clone)]
pub struct NewMember {
    pub organisation_id: i64,
    /// `member`, `founding_member`, `partner` or `board`.
    pub role: String,
    /// `YYYY-MM-DD`.
    pub since: Option<String>,
    pub source: String,
}

pub async fn add_member(db: &Db, cluster: &str, ctx: &Context, m: &NewMember) -> Result<()> {
    let mut tx = audit::begin_write(db).await?;
    let cid = cluster_id(&mut tx, cluster).await?;
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
        .bind(m.since.clone())
        .bind(m.source.clone())
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(FieldError::new("organisation_id", "is already a member").into());
    }
    // A member of a pôle ranks higher in the search.
    crate::search::reindex_organisation(&mut tx, db.backend, m.organisation_id).await?;
    sqlx::query("UPDATE clusters SET version = version + 1 WHERE id = $1")
        .bind(cid)
        .execute(&mut *tx)
        .await?;
    audit::append(&mut tx, ctx, Event {
        action: "member.add",
        object_kind: "cluster",
        object_ref: cluster.to_string(),
        changes: json!({"member": {"before": null, "after": {"organisation_id": m.organisation_id, "role": m.role, "since": m.since, "source": m.source}}}),
        reason: None,
    }).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn remove_member(
    db: &Db,
    cluster: &str,
    ctx: &Context,
    organisation_id: i64,
) -> Result<()> {
    let mut tx = audit::begin_write(db).await?;
    let cid = cluster_id(&mut tx, cluster).await?;
    // The period is kept in the pôle's history.
    let Some((role, since)) =
        crate::joining::end_membership(&mut tx, cid, organisation_id, None).await?
    else {
        return Err(StoreError::NotFound("membership"));
    };
    crate::search::reindex_organisation(&mut tx, db.backend, organisation_id).await?;
    sqlx::query("UPDATE clusters SET version = version + 1 WHERE id = $1")
        .bind(cid)
        .execute(&mut *tx)
        .await?;
    audit::append(&mut tx, ctx, Event {
        action: "member.remove",
        object_kind: "cluster",
        object_ref: cluster.to_string(),
        changes: json!({"member": {"before": {"organisation_id": organisation_id, "role": role, "since": since}, "after": null}}),
        reason: None,
    }).await?;
    tx.commit().await?;
    Ok(())
}

/// The other side of a partnership.
#[derive(Debug, Clone)]
pub enum Partner {
    /// Another cluster of the programme, by its slug.
    Cluster(String),
    /// A foreign cluster or network, by its slug; `name` (required) and `country` are used
    /// when the slug is new.
    Foreign {
        slug: String,
        name: Option<String>,
        country: Option<String>,
        website: Option<String>,
    },
}

impl Partner {
    /// As the partner was named: the slug, or `foreign:<slug>`.
    fn reference(&self) -> String {
        match self {
            Partner::Cluster(slug) => slug.clone(),
            Partner::Foreign { slug, .. } => format!("foreign:{slug}"),
        }
    }
}

/// A partnership to record, validated.
#[derive(Debug, Clone)]
pub struct NewPartnership {
    pub partner: Partner,
    pub kind: String,
    pub start_date: Option<String>,
    pub scope: Option<String>,
    pub source: String,
    pub document_url: Option<String>,
    /// What the other pôle's managers read in their inbox (French, English), when the
    /// partner is a pôle: it is then a proposal they confirm or decline.
    pub notice: (String, String),
}

pub async fn add_partnership(
    db: &Db,
    cluster: &str,
    ctx: &Context,
    p: &NewPartnership,
) -> Result<i64> {
    let mut tx = audit::begin_write(db).await?;
    let cid = cluster_id(&mut tx, cluster).await?;
    let (b_cluster, b_foreign): (Option<i64>, Option<i64>) = match &p.partner {
        Partner::Cluster(slug) => {
            let id = match cluster_id(&mut tx, slug).await {
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
        Partner::Foreign {
            slug,
            name,
            country,
            website,
        } => {
            let existing: Option<i64> =
                sqlx::query_scalar("SELECT id FROM foreign_clusters WHERE slug = $1")
                    .bind(slug.clone())
                    .fetch_optional(&mut *tx)
                    .await?;
            let id = match existing {
                Some(id) => id,
                None => {
                    let name = name.clone().ok_or_else(|| {
                        FieldError::new("foreign_name", "is required for a new foreign partner")
                    })?;
                    sqlx::query_scalar("INSERT INTO foreign_clusters (slug, name, country, kind, website) VALUES ($1, $2, $3, 'cluster', $4) RETURNING id")
                        .bind(slug.clone())
                        .bind(name)
                        .bind(country.clone())
                        .bind(website.clone())
                        .fetch_one(&mut *tx)
                        .await?
                }
            };
            (None, Some(id))
        }
    };
    if b_cluster == Some(cid) {
        return Err(FieldError::new("partner", "is this pôle itself").into());
    }
    // Another pôle confirms in Pôles; a foreign cluster has no account here, so the record
    // stands on its source and document.
    let status = if b_cluster.is_some() {
        PartnershipStatus::Proposed
    } else {
        PartnershipStatus::Confirmed
    };
    let id: i64 = sqlx::query_scalar("INSERT INTO partnerships (a_cluster_id, b_cluster_id, b_foreign_id, kind, start_date, scope, source, status, document_url) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")
        .bind(cid)
        .bind(b_cluster)
        .bind(b_foreign)
        .bind(p.kind.clone())
        .bind(p.start_date.clone())
        .bind(p.scope.clone())
        .bind(p.source.clone())
        .bind(status.as_str())
        .bind(p.document_url.clone())
        .fetch_one(&mut *tx)
        .await?;
    if let Partner::Cluster(other) = &p.partner {
        crate::inbox::notify(
            &mut tx,
            crate::inbox::To::Cluster(other),
            "partnership.proposed",
            p.notice.0.clone(),
            p.notice.1.clone(),
            Some(format!("/clusters/{other}#partnerships")),
        )
        .await?;
    }
    sqlx::query("UPDATE clusters SET version = version + 1 WHERE id = $1")
        .bind(cid)
        .execute(&mut *tx)
        .await?;
    audit::append(&mut tx, ctx, Event {
        action: "partnership.add",
        object_kind: "cluster",
        object_ref: cluster.to_string(),
        changes: json!({"partnership": {"before": null, "after": {"id": id, "partner": p.partner.reference(), "kind": p.kind, "start_date": p.start_date, "scope": p.scope, "source": p.source}}}),
        reason: None,
    }).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn remove_partnership(db: &Db, cluster: &str, ctx: &Context, id: i64) -> Result<()> {
    let mut tx = audit::begin_write(db).await?;
    let cid = cluster_id(&mut tx, cluster).await?;
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
            object_ref: cluster.to_string(),
            changes: json!({"partnership": {"before": {"id": id}, "after": null}}),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The other pôle confirms or declines a partnership proposed to it.
pub async fn answer_partnership(
    db: &Db,
    cluster: &str,
    ctx: &Context,
    id: i64,
    accept: bool,
    notice: (String, String),
) -> Result<()> {
    let mut tx = audit::begin_write(db).await?;
    let cid = cluster_id(&mut tx, cluster).await?;
    let row: Option<(String, String)> = sqlx::query_as(
        "SELECT p.status, c.slug FROM partnerships p JOIN clusters c ON c.id = p.a_cluster_id \
         WHERE p.id = $1 AND p.b_cluster_id = $2",
    )
    .bind(id)
    .bind(cid)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((status, proposer)) = row else {
        return Err(StoreError::NotFound("partnership"));
    };
    if parsed::<PartnershipStatus>(status)? != PartnershipStatus::Proposed {
        return Err(FieldError::new("partnership", "was already answered").into());
    }
    let after = if accept {
        PartnershipStatus::Confirmed
    } else {
        PartnershipStatus::Declined
    };
    sqlx::query("UPDATE partnerships SET status = $1, answered_at = $2 WHERE id = $3")
        .bind(after.as_str())
        .bind(crate::util::now_utc())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE clusters SET version = version + 1 WHERE id = $1 OR slug = $2")
        .bind(cid)
        .bind(proposer.clone())
        .execute(&mut *tx)
        .await?;
    crate::inbox::notify(
        &mut tx,
        crate::inbox::To::Cluster(&proposer),
        "partnership.answered",
        notice.0,
        notice.1,
        Some(format!("/clusters/{proposer}#partnerships")),
    )
    .await?;
    audit::append(&mut tx, ctx, Event {
        action: if accept { "partnership.confirm" } else { "partnership.decline" },
        object_kind: "cluster",
        object_ref: cluster.to_string(),
        changes: json!({"partnership": id, "status": {"before": "proposed", "after": after.as_str()}}),
        reason: None,
    }).await?;
    tx.commit().await?;
    Ok(())
}

/// Either side ends a confirmed partnership (`end_date`, else today); it stays in the record.
pub async fn end_partnership(
    db: &Db,
    cluster: &str,
    ctx: &Context,
    id: i64,
    end_date: Option<String>,
) -> Result<()> {
    let mut tx = audit::begin_write(db).await?;
    let cid = cluster_id(&mut tx, cluster).await?;
    let status: Option<String> = sqlx::query_scalar(
        "SELECT status FROM partnerships WHERE id = $1 AND (a_cluster_id = $2 OR b_cluster_id = $2)",
    )
    .bind(id)
    .bind(cid)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(status) = status else {
        return Err(StoreError::NotFound("partnership"));
    };
    if parsed::<PartnershipStatus>(status)? != PartnershipStatus::Confirmed {
        return Err(FieldError::new("partnership", "only a confirmed partnership ends").into());
    }
    let end = end_date.unwrap_or_else(|| crate::util::now_utc()[..10].to_string());
    sqlx::query("UPDATE partnerships SET status = 'ended', end_date = $1 WHERE id = $2")
        .bind(end.clone())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE clusters SET version = version + 1 WHERE id IN (SELECT a_cluster_id FROM partnerships WHERE id = $1) OR id IN (SELECT b_cluster_id FROM partnerships WHERE id = $1)")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: "partnership.end",
            object_kind: "cluster",
            object_ref: cluster.to_string(),
            changes: json!({"partnership": id, "end_date": end}),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// An organisation's fields to change, validated (`name` cannot be cleared).
#[derive(Debug, Clone, Default)]
pub struct OrganisationProfile {
    /// The version read.
    pub version: i64,
    pub name: Option<String>,
    pub short_name: Patch<String>,
    pub website: Patch<String>,
    pub competences: Patch<String>,
    pub siren: Patch<String>,
    /// Checked here against the NAF rév. 2 codes.
    pub naf_code: Patch<String>,
    /// INSEE's headcount band code (checked by the use case).
    pub headcount_band: Patch<String>,
    /// What the organisation offers partners, and what it looks for.
    pub offer: Patch<String>,
    pub seek: Patch<String>,
}

/// The columns of an organisation that its profile edits.
struct OrganisationProfileRow {
    version: i64,
    name: String,
    short_name: Option<String>,
    website: Option<String>,
    competences: Option<String>,
    siren: Option<String>,
    naf_code: Option<String>,
    headcount_band: Option<String>,
    offer: Option<String>,
    seek: Option<String>,
}
from_row!(OrganisationProfileRow {
    version,
    name,
    short_name,
    website,
    competences,
    siren,
    naf_code,
    headcount_band,
    offer,
    seek
});

/// Changes an organisation; its new version.
pub async fn update_organisation(
    db: &Db,
    organisation_id: i64,
    ctx: &Context,
    p: &OrganisationProfile,
) -> Result<i64> {
    let mut tx = audit::begin_write(db).await?;
    let Some(row) = sqlx::query_as::<_, OrganisationProfileRow>("SELECT version, name, short_name, website, competences, siren, naf_code, headcount_band, offer, seek FROM organisations WHERE id = $1")
        .bind(organisation_id)
        .fetch_optional(&mut *tx)
        .await?
    else {
        return Err(StoreError::NotFound("organisation"));
    };
    check_version(row.version, p.version)?;
    if let Some(Some(code)) = &p.naf_code {
        if sqlx::query("SELECT 1 FROM naf_codes WHERE code = $1")
            .bind(code.clone())
            .fetch_optional(&mut *tx)
            .await?
            .is_none()
        {
            return Err(FieldError::new("naf_code", "is not a NAF rév. 2 code").into());
        }
    }
    let after_name = p.name.clone().unwrap_or(row.name.clone());
    let mut changes = vec![("name", json!(row.name), json!(after_name))];
    let [short_name, website, competences, siren, naf_code, headcount_band, offer, seek] = merge(
        [
            ("short_name", row.short_name, &p.short_name),
            ("website", row.website, &p.website),
            ("competences", row.competences, &p.competences),
            ("siren", row.siren, &p.siren),
            ("naf_code", row.naf_code, &p.naf_code),
            ("headcount_band", row.headcount_band, &p.headcount_band),
            ("offer", row.offer, &p.offer),
            ("seek", row.seek, &p.seek),
        ],
        &mut changes,
    );
    let version = p.version + 1;
    sqlx::query("UPDATE organisations SET name = $1, short_name = $2, website = $3, competences = $4, siren = $5, naf_code = $6, version = $7, name_key = $9, headcount_band = $10, offer = $11, seek = $12 WHERE id = $8")
        .bind(after_name.clone())
        .bind(short_name)
        .bind(website)
        .bind(competences)
        .bind(siren)
        .bind(naf_code)
        .bind(version)
        .bind(organisation_id)
        .bind(crate::registry::name_key(&after_name))
        .bind(headcount_band)
        .bind(offer)
        .bind(seek)
        .execute(&mut *tx)
        .await?;
    crate::search::reindex_organisation(&mut tx, db.backend, organisation_id).await?;
    audit::append(
        &mut tx,
        ctx,
        Event {
            action: "organisation.update",
            object_kind: "organisation",
            object_ref: organisation_id.to_string(),
            changes: diff(&changes),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(version)
}

/// A label decision to add to a cluster's history, validated.
#[derive(Debug, Clone)]
pub struct NewLabel {
    pub tier: Option<Tier>,
    pub status: LabelStatus,
    pub decision_date: Option<String>,
    pub valid_from: Option<String>,
    pub valid_until: Option<String>,
    pub legal_act: Option<String>,
    /// Recorded as the reason of the audit row too.
    pub note: Option<String>,
    pub source: String,
}

pub async fn add_label(db: &Db, ctx: &Context, slug: &str, l: &NewLabel) -> Result<i64> {
    let mut tx = audit::begin_write(db).await?;
    let cid = cluster_id(&mut tx, slug).await?;
    let id: i64 = sqlx::query_scalar("INSERT INTO labels (cluster_id, tier, status, decision_date, valid_from, valid_until, legal_act, note, source) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")
        .bind(cid)
        .bind(l.tier.map(|t| t.as_str()))
        .bind(l.status.as_str())
        .bind(l.decision_date.clone())
        .bind(l.valid_from.clone())
        .bind(l.valid_until.clone())
        .bind(l.legal_act.clone())
        .bind(l.note.clone())
        .bind(l.source.clone())
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
        changes: json!({"label": {"before": null, "after": {"id": id, "tier": l.tier, "status": l.status, "decision_date": l.decision_date, "valid_from": l.valid_from, "valid_until": l.valid_until, "legal_act": l.legal_act, "source": l.source}}}),
        reason: l.note.clone(),
    }).await?;
    tx.commit().await?;
    Ok(id)
}

/// A programme figure, validated; created or replaced by its key.
#[derive(Debug, Clone)]
pub struct Figure {
    pub key: String,
    pub label_en: String,
    pub label_fr: String,
    /// In cents of `currency`.
    pub amount_cents: i64,
    pub currency: Currency,
    pub period_start: Option<String>,
    pub period_end: Option<String>,
    /// `year` or `period`.
    pub per: String,
    pub funder: Option<String>,
    /// `K`, `C` or `U`.
    pub certainty: String,
    pub source: String,
}

/// A stored figure, as the audit row records what a new one replaced. Its values are
/// recorded as stored, without interpretation.
struct FigureRow {
    amount_cents: i64,
    currency: String,
    period_start: Option<String>,
    period_end: Option<String>,
    per: String,
    certainty: String,
    source: String,
}
from_row!(FigureRow {
    amount_cents,
    currency,
    period_start,
    period_end,
    per,
    certainty,
    source
});

pub async fn put_figure(db: &Db, ctx: &Context, f: &Figure) -> Result<()> {
    let mut tx = audit::begin_write(db).await?;
    let before = sqlx::query_as::<_, FigureRow>("SELECT amount_cents, currency, period_start, period_end, per, certainty, source FROM figures WHERE key = $1")
        .bind(f.key.clone())
        .fetch_optional(&mut *tx)
        .await?;
    let before_json: Value = match before {
        Some(r) => {
            json!({"amount_cents": r.amount_cents, "currency": r.currency, "period_start": r.period_start, "period_end": r.period_end, "per": r.per, "certainty": r.certainty, "source": r.source})
        }
        None => Value::Null,
    };
    sqlx::query("DELETE FROM figures WHERE key = $1")
        .bind(f.key.clone())
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO figures (key, label_en, label_fr, amount_cents, currency, period_start, period_end, per, funder, certainty, source) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
        .bind(f.key.clone())
        .bind(f.label_en.clone())
        .bind(f.label_fr.clone())
        .bind(f.amount_cents)
        .bind(f.currency.as_str())
        .bind(f.period_start.clone())
        .bind(f.period_end.clone())
        .bind(f.per.clone())
        .bind(f.funder.clone())
        .bind(f.certainty.clone())
        .bind(f.source.clone())
        .execute(&mut *tx)
        .await?;
    audit::append(&mut tx, ctx, Event {
        action: "figure.put",
        object_kind: "figure",
        object_ref: f.key.clone(),
        changes: json!({"figure": {"before": before_json, "after": {"amount_cents": f.amount_cents, "currency": f.currency, "period_start": f.period_start, "period_end": f.period_end, "per": f.per, "certainty": f.certainty, "source": f.source}}}),
        reason: None,
    }).await?;
    tx.commit().await?;
    Ok(())
}

/// A news item or press clipping, validated.
#[derive(Debug, Clone)]
pub struct NewNews {
    /// The slug of the cluster it is about (checked here), if any.
    pub cluster: Option<String>,
    pub published_on: Option<String>,
    pub title_fr: String,
    pub title_en: String,
    pub body_fr: Option<String>,
    pub body_en: Option<String>,
    pub source: String,
}

pub async fn create_news(db: &Db, ctx: &Context, n: &NewNews) -> Result<i64> {
    let mut tx = audit::begin_write(db).await?;
    let cluster = match n.cluster.as_deref() {
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
        .bind(n.published_on.clone())
        .bind(n.title_en.clone())
        .bind(n.title_fr.clone())
        .bind(n.body_en.clone())
        .bind(n.body_fr.clone())
        .bind(n.source.clone())
        .fetch_one(&mut *tx)
        .await?;
    audit::append(&mut tx, ctx, Event {
        action: "news.create",
        object_kind: "news",
        object_ref: id.to_string(),
        changes: json!({"news": {"before": null, "after": {"title_fr": n.title_fr, "title_en": n.title_en, "published_on": n.published_on, "cluster": n.cluster, "source": n.source}}}),
        reason: None,
    }).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn delete_news(db: &Db, ctx: &Context, id: i64, reason: Option<String>) -> Result<()> {
    let mut tx = audit::begin_write(db).await?;
    let Some((title_fr, title_en, source)) = sqlx::query_as::<_, (String, String, String)>(
        "SELECT title_fr, title_en, source FROM news WHERE id = $1",
    )
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
        changes: json!({"news": {"before": {"title_fr": title_fr, "title_en": title_en, "source": source}, "after": null}}),
        reason,
    }).await?;
    tx.commit().await?;
    Ok(())
}

/// An event of the programme, validated.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub name_fr: String,
    pub name_en: String,
    pub starts_on: Option<String>,
    pub place: Option<String>,
    pub description_fr: Option<String>,
    pub description_en: Option<String>,
    pub source: String,
}

pub async fn create_event(db: &Db, ctx: &Context, e: &NewEvent) -> Result<i64> {
    let mut tx = audit::begin_write(db).await?;
    let id: i64 = sqlx::query_scalar("INSERT INTO events (name_en, name_fr, starts_on, place, description_en, description_fr, source) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
        .bind(e.name_en.clone())
        .bind(e.name_fr.clone())
        .bind(e.starts_on.clone())
        .bind(e.place.clone())
        .bind(e.description_en.clone())
        .bind(e.description_fr.clone())
        .bind(e.source.clone())
        .fetch_one(&mut *tx)
        .await?;
    audit::append(&mut tx, ctx, Event {
        action: "event.create",
        object_kind: "event",
        object_ref: id.to_string(),
        changes: json!({"event": {"before": null, "after": {"name_fr": e.name_fr, "name_en": e.name_en, "starts_on": e.starts_on, "place": e.place, "source": e.source}}}),
        reason: None,
    }).await?;
    tx.commit().await?;
    Ok(id)
}
