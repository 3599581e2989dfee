//! Partners: suggestions to complete a consortium.
//!
//! The graph of past projects is read from the database and kept by each server while the
//! data version holds (it is derived data: any server rebuilds it from the database after a
//! write, so nothing here must be shared).

use crate::{App, Caller, Origin};
use crate::{AppError, Result};
use poles_core::calls::Outcome;
use poles_core::recommend::{self, Case, Graph, Method, Model, Reasons, Subject};
use poles_core::FieldError;
use poles_core::OrgKind;
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
    /// What the project is about, in words (its title, keywords or summary, at most 2,000
    /// characters), for a project without a topic code: the topic is then the one the past
    /// projects that best match these words share.
    pub text: Option<String>,
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
    /// The topic code the suggestions were ranked for when it was read from `text` (the
    /// one the best-matching past projects share), with those projects' titles.
    pub inferred_topic: Option<String>,
    pub inferred_from: Vec<String>,
    /// The model's training data (SHA-256) and how many consortia it learnt from.
    pub model_data_sha256: String,
    pub model_cases: usize,
}

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

/// The graph at the current data version (see [`crate::readcache::Derived`]).
async fn graph(app: &App) -> Result<Arc<Graph>> {
    let version = app.data_version().await?;
    app.partner_graph
        .at(version, || async {
            Ok(Graph::build(
                poles_store::recommend::graph_data(&app.db).await?,
            ))
        })
        .await
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
    let words = req.text.as_deref().map(str::trim).unwrap_or_default();
    if words.chars().count() > 2000 {
        return Err(FieldError::new("text", "must be at most 2,000 characters").into());
    }
    if req.partners.is_empty() && topic.is_empty() && call.is_empty() && words.is_empty() {
        return Err(FieldError::new(
            "partners",
            "give the partners so far, or the project's topic, call or words",
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
    let mut subject = Subject::new(&topic, &call, &programme, &scheme);
    let (mut inferred_topic, mut inferred_from) = (None, Vec::new());
    if topic.is_empty() && !words.is_empty() {
        if let Some((like, titles)) = subject_like(app, &g, words).await? {
            // The words give the topic; what the request says of the call and programme
            // stays.
            subject = Subject::new(
                &like.topic,
                if call.is_empty() { &like.call } else { &call },
                &if programme.is_empty() {
                    like.programmes.join(";")
                } else {
                    programme.clone()
                },
                if scheme.is_empty() {
                    &like.scheme
                } else {
                    &scheme
                },
            );
            inferred_topic = Some(like.topic);
            inferred_from = titles;
        }
    }
    let case = Case {
        given,
        subject,
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
        inferred_topic,
        inferred_from,
        model_data_sha256: model.trained_on.data_sha256.clone(),
        model_cases: model.trained_on.cases,
    })
}

/// What past projects resembling `words` are about: the registry's text search over
/// projects, its best matches (at most twenty, within three quarters of the best one's
/// relevance), and the subject most of them share
/// ([`Graph::subject_like`]), with the titles of the matches on that topic (at most five).
async fn subject_like(app: &App, g: &Graph, words: &str) -> Result<Option<(Subject, Vec<String>)>> {
    // The search takes a query of at most 200 characters: the first words.
    let mut q = String::new();
    for w in words.split_whitespace() {
        if q.chars().count() + w.chars().count() + 1 > 200 {
            break;
        }
        q.push_str(w);
        q.push(' ');
    }
    let req = poles_store::search::SearchRequest {
        q: q.trim().to_string(),
        kind: Some("project".into()),
        ..Default::default()
    };
    let hits = poles_store::search::search(
        &app.db,
        &req,
        poles_core::Page {
            limit: 20,
            offset: 0,
        },
        None,
    )
    .await?;
    // Only the matches close to the best one: when no project holds every word, the
    // search's tail holds one word of several ("cells" for "fuel cells"), and its many
    // unrelated projects would outvote the few that match.
    let best = hits.items.first().map_or(0, |h| h.score);
    let ids: Vec<(i64, String)> = hits
        .items
        .into_iter()
        .filter(|h| h.score * 4 >= best * 3)
        .filter_map(|h| h.reference.parse().ok().map(|id| (id, h.title)))
        .collect();
    let list: Vec<i64> = ids.iter().map(|(id, _)| *id).collect();
    Ok(g.subject_like(&list).map(|s| {
        let titles = ids
            .iter()
            .filter(|(id, _)| g.project(*id).is_some_and(|p| p.subject.topic == s.topic))
            .take(5)
            .map(|(_, t)| t.clone())
            .collect();
        (s, titles)
    }))
}

/// A kind of partner the call's rules still require of a consortium.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PartnerNeed {
    /// The rule (`consortium.companies`, `consortium.research`, `territory.labelling`).
    pub rule: String,
    /// The rule's check as it stands, in both languages, and its source.
    pub explanation_fr: String,
    pub explanation_en: String,
    pub source: String,
}

/// Help to complete a draft's consortium: what the call's rules still require, and
/// organisations suggested for it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConsortiumHelp {
    pub needs: Vec<PartnerNeed>,
    pub suggestions: PartnerSuggestions,
    /// For each suggestion (same order), the rule whose missing kind it fills, if any.
    pub fills: Vec<Option<String>>,
}

/// The rules whose failure a new partner of some kind would mend.
const PARTNER_RULES: &[&str] = &[
    "consortium.companies",
    "consortium.research",
    "territory.labelling",
];

fn fills(rule: &str, kind: OrgKind) -> bool {
    match rule {
        "consortium.companies" => kind.is_company(),
        "consortium.research" => kind.is_research_or_training(),
        _ => false,
    }
}

/// Suggestions to complete a draft application's consortium, for its lead: its partners
/// so far, its title and keywords as the topic's words; what the call's rules still require
/// of the consortium; at least three suggestions of each missing kind when the graph has
/// them.
pub async fn for_application(
    app: &App,
    caller: &Caller,
    origin: &Origin,
    id: i64,
) -> Result<ConsortiumHelp> {
    crate::applications::lead_cap(app, caller, id).await?;
    let a = crate::applications::load(app, id).await?;
    let needs: Vec<PartnerNeed> = a
        .eligibility
        .checks
        .iter()
        .filter(|c| c.outcome == Outcome::Fail && PARTNER_RULES.contains(&c.rule))
        .map(|c| PartnerNeed {
            rule: c.rule.to_string(),
            explanation_fr: c.explanation_fr.clone(),
            explanation_en: c.explanation_en.clone(),
            source: c.source.clone(),
        })
        .collect();
    let words = [Some(a.title.as_str()), a.keywords.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let req = PartnerRequest {
        partners: a.partners.iter().map(|p| p.organisation_id).collect(),
        text: Some(words.chars().take(2000).collect()),
        limit: Some(50),
        ..Default::default()
    };
    let g = graph(app).await?;
    // Partners the graph does not know (no past project) give nothing to go on: left out.
    let req = PartnerRequest {
        partners: req
            .partners
            .into_iter()
            .filter(|p| g.by_id(*p).is_some())
            .collect(),
        ..req
    };
    let mut all = suggest(app, origin, &req).await?;
    let kind_of =
        |s: &PartnerSuggestion| OrgKind::parse("kind", &s.kind).unwrap_or(OrgKind::Unknown);
    // The ten best, then up to three of each missing kind among the fifty.
    let mut keep: Vec<usize> = (0..all.items.len().min(10)).collect();
    for n in &needs {
        let have = keep
            .iter()
            .filter(|&&i| fills(&n.rule, kind_of(&all.items[i])))
            .count();
        let more: Vec<usize> = (0..all.items.len())
            .filter(|i| !keep.contains(i) && fills(&n.rule, kind_of(&all.items[*i])))
            .take(3usize.saturating_sub(have))
            .collect();
        keep.extend(more);
    }
    let items: Vec<PartnerSuggestion> = keep.iter().map(|&i| all.items[i].clone()).collect();
    let fills_list = items
        .iter()
        .map(|s| {
            needs
                .iter()
                .find(|n| fills(&n.rule, kind_of(s)))
                .map(|n| n.rule.clone())
        })
        .collect();
    all.items = items;
    Ok(ConsortiumHelp {
        needs,
        suggestions: all,
        fills: fills_list,
    })
}
