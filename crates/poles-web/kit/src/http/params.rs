//! Query parameters and path segments, parsed at the boundary; shared by pages and API so
//! both refuse the same bad input with the same field name. Checks that need the database
//! (does this sector exist?) are the use cases' own.

use crate::http::error::ApiError;
use poles_core::{FieldError, Page};
use std::collections::HashMap;

pub type Params = HashMap<String, String>;

/// A parameter as typed, trimmed; empty as absent.
pub fn get(p: &Params, k: &str) -> Option<String> {
    p.get(k)
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

pub fn page(p: &Params) -> Result<Page, ApiError> {
    Ok(Page::parse(
        get(p, "limit").as_deref(),
        get(p, "offset").as_deref(),
    )?)
}

/// A path id: a positive integer, else 404 (an id that cannot exist is simply not found).
pub fn path_id(raw: &str, what: &'static str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or(ApiError::not_found(what))
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
            FieldError::coded(
                field,
                "euros_format",
                vec![],
                "must be an amount in euros, e.g. 250000 or 250000,50",
            )
        })
}
