//! Partners: suggestions to complete a consortium.
//!
//! The graph of past projects is read from the database and kept by each server while the
//! data version holds (it is derived data: any server rebuilds it from the database after a
//! write, so nothing here must be shared).

use crate::{App, Origin};
use crate::{AppError, Result};
use poles_core::recommend::{self, Case, Graph, Method, Model, Reasons, Subject};
use poles_core::FieldError;
use serde::{Deserialize, Serialize};
use std::sync::{Arc, OnceLock};
use utoipa::ToSchema;

/// A consortium to complete: the partners so far and what the project is about.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct PartnerRequest {
    /// The partners so far, by registry id.
    #[serde(default)]
    pub partners: Vec<i64>,
    /// The call's topic code, e.g. `LC-SC3-RES-1-2019`.
    pub topic: Option<String>,
    /// The call's identifier, e.g. `H2020-LC-SC3-2018-2019-2020`.
    pub call: Option<String>,
    /// Programme codes, separated by `;`, e.g. `H2020-EU.3.3.`.
    pub programme: Option<String>,
    /// The funding scheme, e.g. `RIA`, `IA`, `CSA`.
    pub funding_scheme: Option<String>,
    /// How many suggestions, 1 to 50 (default 10).
    #[schema(minimum = 1, maximum = 50)]
    pub limit: Option<u32>,
}

/// An organisation suggested, why, and how strongly.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PartnerSuggestion {
    pub id: i64,
    pub name: String,
    pub country: String,
    pub kind: String,
    /// Past projects in the registry.
    pub projects: u32,
    /// The model's score (higher is likelier; comparable within one answer only).
    pub score: f64,
    pub reasons: Reasons,
}

/// The suggestions, best first, and the model that ranked them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PartnerSuggestions {
    pub items: Vec<PartnerSuggestion>,
    /// The model's training data (SHA-256) and how many consortia it learnt from.
    pub model_data_sha256: String,
    pub model_cases: usize,
}

/// The graph of past projects and the data version it was read at.
pub(crate) type KeptGraph = (i64, Arc<Graph>);

fn shipped_model() -> Result<&'static Model> {
    static MODEL: OnceLock<Option<Model>> = OnceLock::new();
    MODEL
        .get_or_init(|| recommend::shipped_model().ok())
        .as_ref()
        .ok_or_else(|| {
            AppError::Internal(poles_store::StoreError::Data(
                "the shipped partner model does not parse".into(),
            ))
        })
}

/// The graph at the current data version: this server's copy, or a fresh one read from the
/// database (one reader at a time; the others wait for it).
async fn graph(app: &App) -> Result<Arc<Graph>> {
    let version = app.data_version().await?;
    let mut slot = app.partner_graph.lock().await;
    if let Some((v, g)) = slot.as_ref() {
        if *v == version {
            return Ok(g.clone());
        }
    }
    let data = poles_store::recommend::graph_data(&app.db).await?;
    let g = Arc::new(Graph::build(data));
    *slot = Some((version, g.clone()));
    Ok(g)
}

fn text(field: &str, v: &Option<String>) -> Result<String> {
    let v = v.as_deref().map(str::trim).unwrap_or_default();
    if v.chars().count() > 200 {
        return Err(FieldError::new(field, "must be at most 200 characters").into());
    }
    Ok(v.to_string())
}

/// Suggests organisations to complete a consortium. Anyone may ask (it reads public data),
/// within the search limit: a suggestion costs what a search does.
pub async fn suggest(
    app: &App,
    origin: &Origin,
    req: &PartnerRequest,
) -> Result<PartnerSuggestions> {
    let limit = match req.limit {
        None => 10,
        Some(n @ 1..=50) => n as usize,
        Some(_) => return Err(FieldError::new("limit", "must be between 1 and 50").into()),
    };
    if req.partners.len() > 100 {
        return Err(FieldError::new("partners", "at most 100 partners").into());
    }
    let topic = text("topic", &req.topic)?;
    let call = text("call", &req.call)?;
    let programme = text("programme", &req.programme)?;
    let scheme = text("funding_scheme", &req.funding_scheme)?;
    if req.partners.is_empty() && topic.is_empty() && call.is_empty() {
        return Err(FieldError::new(
            "partners",
            "give the partners so far, or the project's topic or call",
        )
        .into());
    }
    let key = format!("search:{}", origin.ip.as_deref().unwrap_or("unknown"));
    if let Some(retry_after) =
        app.search_throttle
            .hit(&app.db, &key, app.config.search_per_minute, 60)
    {
        return Err(AppError::TooManyRequests { retry_after });
    }
    let model = shipped_model()?;
    let g = graph(app).await?;
    let mut given = Vec::new();
    for id in &req.partners {
        match g.by_id(*id) {
            Some(o) => given.push(o),
            None => return Err(FieldError::new("partners", format!("no organisation {id}")).into()),
        }
    }
    let case = Case {
        given,
        subject: Subject::new(&topic, &call, &programme, &scheme),
        exclude: None,
    };
    let items = recommend::rank(&g, &case, Method::Model(model), limit)
        .into_iter()
        .map(|s| {
            let o = &g.orgs[s.org as usize];
            PartnerSuggestion {
                id: o.id,
                name: o.name.clone(),
                country: o.country.clone(),
                kind: o.kind.as_str().to_string(),
                projects: g.degree(s.org) as u32,
                score: (s.score * 1000.0).round() / 1000.0,
                reasons: s.reasons,
            }
        })
        .collect();
    Ok(PartnerSuggestions {
        items,
        model_data_sha256: model.trained_on.data_sha256.clone(),
        model_cases: model.trained_on.cases,
    })
}
