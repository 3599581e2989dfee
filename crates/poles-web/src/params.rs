//! Query parameters of lists, parsed once into checked filters; shared by pages and API so
//! both refuse the same bad input with the same field name.

use crate::error::ApiError;
use poles_core::{CountryCode, FieldError, LabelStatus, OrgKind, Page, RegionCode, Slug, Tier};
use poles_store::registry::{self, ClusterFilter, OrganisationFilter, ProjectFilter};
use poles_store::Db;
use std::collections::HashMap;

pub type Params = HashMap<String, String>;

fn get<'a>(p: &'a Params, k: &str) -> Option<&'a str> {
    p.get(k).map(|s| s.trim()).filter(|s| !s.is_empty())
}

pub fn page(p: &Params) -> Result<Page, ApiError> {
    Ok(Page::parse(get(p, "limit"), get(p, "offset"))?)
}

pub fn q(p: &Params) -> Result<Option<String>, ApiError> {
    match get(p, "q") {
        Some(q) if q.chars().count() > 200 => {
            Err(FieldError::new("q", "must be at most 200 characters").into())
        }
        other => Ok(other.map(str::to_string)),
    }
}

pub async fn cluster_filter(db: &Db, p: &Params) -> Result<ClusterFilter, ApiError> {
    let sector = match get(p, "sector") {
        Some(s) if registry::sector_exists(db, s).await? => Some(s.to_string()),
        Some(_) => return Err(FieldError::new("sector", "unknown sector code").into()),
        None => None,
    };
    let region = match get(p, "region") {
        Some(r) => {
            let code = RegionCode::parse("region", r)?;
            if !registry::region_exists(db, code.as_str()).await? {
                return Err(FieldError::new("region", "unknown region code").into());
            }
            Some(code.as_str().to_string())
        }
        None => None,
    };
    Ok(ClusterFilter {
        sector,
        region,
        label: get(p, "label")
            .map(|l| Tier::parse("label", l))
            .transpose()?,
        status: get(p, "status")
            .map(|s| LabelStatus::parse("status", s))
            .transpose()?,
        q: q(p)?,
    })
}

pub fn organisation_filter(p: &Params) -> Result<OrganisationFilter, ApiError> {
    Ok(OrganisationFilter {
        q: q(p)?,
        country: get(p, "country")
            .map(|c| CountryCode::parse("country", c).map(|c| c.as_str().to_string()))
            .transpose()?,
        kind: get(p, "kind")
            .map(|k| OrgKind::parse("kind", k))
            .transpose()?,
    })
}

pub async fn project_filter(db: &Db, p: &Params) -> Result<ProjectFilter, ApiError> {
    let cluster = match get(p, "cluster") {
        Some(c) => {
            let slug = Slug::parse("cluster", c)?;
            if !registry::cluster_exists(db, slug.as_str()).await? {
                return Err(FieldError::new("cluster", "unknown cluster").into());
            }
            Some(slug.as_str().to_string())
        }
        None => None,
    };
    let organisation = get(p, "organisation")
        .map(|o| {
            o.parse::<i64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| FieldError::new("organisation", "must be a positive integer id"))
        })
        .transpose()?;
    Ok(ProjectFilter {
        q: q(p)?,
        cluster,
        organisation,
    })
}

/// A path id: a positive integer, else 404 (an id that cannot exist is simply not found).
pub fn path_id(raw: &str, what: &'static str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or(ApiError::NotFound(what))
}

/// Euros as people type them in forms ("1 500 000", "1500000,50", "-100 000 €") into cents,
/// read by the same parser as the imports; empty is 0. `negative`: whether a loss or a
/// negative figure may be typed.
pub fn euros(field: &str, raw: &str, negative: bool) -> Result<i64, FieldError> {
    let cleaned: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '\u{202f}' | '€'))
        .collect();
    if cleaned.is_empty() {
        return Ok(0);
    }
    poles_core::cordis::parse_amount_cents(&cleaned)
        .ok()
        .flatten()
        .filter(|v| negative || *v >= 0)
        .ok_or_else(|| {
            FieldError::new(
                field,
                "must be an amount in euros, e.g. 250000 or 250000,50",
            )
        })
}
