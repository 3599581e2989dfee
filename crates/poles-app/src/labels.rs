//! The State's label as a process. Officers open a campaign (a call for candidacies for a
//! phase) with weighted criteria, outcomes and co-deciding regions; a pôle's managers write
//! and submit its candidacy before the deadline; officers form a committee of State and
//! regional members and assign them (a member tied to the pôle is refused); members score
//! blind with the review machinery the calls for projects use ([`poles_core::review`]);
//! the co-deciding regions give their opinion; an officer proposes a decision and another
//! approves it, which publishes it on the pôle's label history. A probation ends with a
//! decision of its own: confirmed or de-labelled.

use crate::edits::{cluster, text, url};
use crate::{access, App, AppError, Caller, Result};
use poles_core::review::{self, ReviewView, Score, Synthesis};
use poles_core::{Date, FieldError, Slug};
use poles_store::labels::{
    self as store, CandidacyText, CriterionIn, LabelTerm, NewCampaign, NewDecision,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use poles_core::eccp::{EccpCheck, Verdict};
pub use poles_store::labels::{
    Campaign, CampaignLabel, CampaignSummary, Candidacy, CandidacyAssignment, CandidacyLine,
    CommitteeMember, Document, Eligible, EscaLabel, Facts, LabelDecision, Opinion, ProbationDue,
};

/// The outcomes a campaign may allow, in the order forms list them.
pub const OUTCOMES: &[&str] = &["labelled", "probation", "not_labelled", "merger"];
/// What a region may think of a candidacy.
pub const OPINIONS: &[&str] = &["favourable", "reserved", "unfavourable"];
/// The tiers of 2005 (a decision may give none: today's phases have no tiers).
pub const TIERS: &[&str] = &["mondial", "vocation_mondiale", "national"];

/// Every campaign, the latest first: public.
pub async fn campaigns(app: &App) -> Result<Vec<CampaignSummary>> {
    Ok(store::campaigns(&app.db).await?)
}

/// One campaign: public.
pub async fn campaign(app: &App, slug: &str) -> Result<Campaign> {
    Ok(store::campaign(&app.db, slug).await?)
}

/// A weighted criterion with its source.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct CriterionAsk {
    pub name_en: String,
    pub name_fr: String,
    /// A positive whole number; the synthesis divides by the sum.
    pub weight: i64,
    /// What sets the criterion (a law, a call's text, the press kit).
    pub source_title: String,
    pub source_url: Option<String>,
}

/// An outcome a campaign allows, with its duration in months (`labelled`, `probation`).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct OutcomeAsk {
    /// `labelled`, `probation`, `not_labelled` or `merger`.
    pub outcome: String,
    pub months: Option<i64>,
}

/// A campaign as an officer opens it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CampaignAsk {
    /// Short name in addresses: lower-case letters, digits and hyphens.
    pub slug: String,
    /// The programme phase it fills (`V`, or a phase the programme has).
    pub phase: Option<String>,
    pub name_en: String,
    pub name_fr: String,
    /// Candidacies from this day to `closes_on` (Paris time) included: `YYYY-MM-DD`.
    pub opens_on: String,
    pub closes_on: String,
    /// The period the label is granted for.
    pub label_from: String,
    pub label_until: String,
    /// The documents asked for.
    #[serde(default)]
    pub documents: Vec<String>,
    pub criteria: Vec<CriterionAsk>,
    pub outcomes: Vec<OutcomeAsk>,
    /// The regions that co-decide (region codes).
    #[serde(default)]
    pub regions: Vec<String>,
}

fn required(field: &str, v: &str, max: usize) -> Result<String> {
    text(field, &Some(v.to_string()), max)?
        .ok_or_else(|| FieldError::new(field, "is required").into())
}

/// The State's four criteria of the press kit, each with its source: what a new campaign's
/// form starts from (officers add today's phase objectives with their own source).
pub fn default_criteria() -> Result<Vec<CriterionAsk>> {
    Ok(store::default_criteria()?
        .into_iter()
        .map(|c| CriterionAsk {
            name_en: c.name_en,
            name_fr: c.name_fr,
            weight: c.weight,
            source_title: c.source_title,
            source_url: c.source_url,
        })
        .collect())
}

/// What the form opening a campaign starts from: the default criteria (officers only, the
/// refusal audited like any other).
pub async fn new_campaign_form(app: &App, caller: &Caller) -> Result<Vec<CriterionAsk>> {
    app.allowed(caller, access::label_officer(&caller.actor))
        .await?;
    default_criteria()
}

/// Opens a campaign (officers).
pub async fn open_campaign(app: &App, caller: &Caller, a: &CampaignAsk) -> Result<Campaign> {
    let cap = app
        .allowed(caller, access::label_officer(&caller.actor))
        .await?;
    let slug = Slug::parse("slug", a.slug.trim())?;
    let name_en = required("name_en", &a.name_en, 200)?;
    let name_fr = required("name_fr", &a.name_fr, 200)?;
    let opens_on = Date::parse("opens_on", a.opens_on.trim())?;
    let closes_on = Date::parse("closes_on", a.closes_on.trim())?;
    if closes_on < opens_on {
        return Err(FieldError::new("closes_on", "must not be before the opening day").into());
    }
    let label_from = Date::parse("label_from", a.label_from.trim())?;
    let label_until = Date::parse("label_until", a.label_until.trim())?;
    if label_until < label_from {
        return Err(FieldError::new("label_until", "must not be before the label's start").into());
    }
    if label_from < closes_on {
        return Err(
            FieldError::new("label_from", "the label starts after the candidacies close").into(),
        );
    }
    let documents = a
        .documents
        .iter()
        .enumerate()
        .map(|(k, d)| text(&format!("documents[{k}]"), &Some(d.clone()), 200))
        .collect::<std::result::Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .collect::<Vec<_>>();
    if a.criteria.is_empty() {
        return Err(FieldError::new("criteria", "a campaign has at least one criterion").into());
    }
    if a.criteria.len() > 20 {
        return Err(FieldError::new("criteria", "at most 20 criteria").into());
    }
    let mut criteria = Vec::new();
    for (k, c) in a.criteria.iter().enumerate() {
        let f = |x: &str| format!("criteria[{k}].{x}");
        if !(1..=100).contains(&c.weight) {
            return Err(FieldError::new(f("weight"), "must be 1 to 100").into());
        }
        criteria.push(CriterionIn {
            name_en: required(&f("name_en"), &c.name_en, 300)?,
            name_fr: required(&f("name_fr"), &c.name_fr, 300)?,
            weight: c.weight,
            source_title: required(&f("source_title"), &c.source_title, 300)?,
            source_url: url(&f("source_url"), &c.source_url)?,
        });
    }
    if a.outcomes.is_empty() {
        return Err(FieldError::new("outcomes", "allow at least one outcome").into());
    }
    let mut outcomes: Vec<(String, Option<i64>)> = Vec::new();
    for (k, o) in a.outcomes.iter().enumerate() {
        let f = |x: &str| format!("outcomes[{k}].{x}");
        if !OUTCOMES.contains(&o.outcome.as_str()) {
            return Err(FieldError::new(
                f("outcome"),
                "must be labelled, probation, not_labelled or merger",
            )
            .into());
        }
        if outcomes.iter().any(|(x, _)| *x == o.outcome) {
            return Err(FieldError::new(f("outcome"), "is listed twice").into());
        }
        let months = match (o.outcome.as_str(), o.months) {
            ("labelled" | "probation", None) => {
                return Err(FieldError::new(f("months"), "say for how many months").into())
            }
            (_, Some(m)) if !(1..=120).contains(&m) => {
                return Err(FieldError::new(f("months"), "must be 1 to 120").into())
            }
            ("labelled" | "probation", m) => m,
            _ => None,
        };
        outcomes.push((o.outcome.clone(), months));
    }
    let mut regions = a.regions.clone();
    regions.sort();
    regions.dedup();
    let phase = a
        .phase
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(String::from);
    store::create_campaign(
        &app.db,
        &caller.ctx(cap.by),
        cap.by.user_id,
        &NewCampaign {
            slug: slug.as_str().to_string(),
            phase,
            name_en,
            name_fr,
            opens_on,
            closes_on,
            label_from,
            label_until,
            documents,
            criteria,
            outcomes,
            regions,
        },
    )
    .await?;
    campaign(app, slug.as_str()).await
}

/// The label rows a campaign decided (from its sources or published here): public.
pub async fn campaign_labels(app: &App, slug: &str) -> Result<Vec<CampaignLabel>> {
    Ok(store::campaign_labels(&app.db, slug).await?)
}

/// What a pôle's page of a campaign shows: the candidacy (or, before one is started, what
/// Pôles knows of the pôle), and what the caller may do.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CandidacyView {
    pub candidacy: Option<Candidacy>,
    /// The facts a candidacy shows, computed now.
    pub facts: Facts,
    /// The committee's marks per criterion and weighted (officers; the pôle's managers once
    /// a decision is published).
    pub synthesis: Option<Synthesis>,
    /// Who reviews it (officers).
    pub assignments: Vec<CandidacyAssignment>,
    /// The caller's own review, blind, when they are assigned.
    pub my_review: Option<ReviewView>,
    /// The co-deciding regions' opinions (officers, regions, the pôle's managers).
    pub opinions: Vec<Opinion>,
    /// The pôle's regions that co-decide this campaign (codes).
    pub co_deciding_regions: Vec<String>,
    /// The decisions for this pôle in this campaign: every status for officers, the
    /// approved ones for everyone else.
    pub decisions: Vec<LabelDecision>,
    /// The candidacy's attachments (for those who read the candidacy).
    pub documents: Vec<Document>,
}

/// A pôle's candidacy to a campaign as the caller may read it: its managers and the
/// officers read it whole; committee members assigned to it and officers of its
/// co-deciding regions once it is submitted; a visitor reads only the published decisions.
pub async fn candidacy(
    app: &App,
    caller: Option<&Caller>,
    campaign: &str,
    pole: &str,
) -> Result<CandidacyView> {
    let pole = cluster(pole)?;
    let c = store::campaign(&app.db, campaign).await?;
    let actor = caller.map(|c| &c.actor);
    let officer = actor.is_some_and(|a| access::label_officer(a).is_ok());
    let manager = actor.is_some_and(|a| access::candidacy_write(a, pole.as_str()).is_ok());
    let regions = store::co_deciding_regions(&app.db, &c.slug, pole.as_str()).await?;
    let region = actor.is_some_and(|a| access::region_opinion(a, &regions).is_ok());
    let k = store::candidacy(&app.db, &c.slug, pole.as_str()).await?;
    let submitted = k.as_ref().is_some_and(|k| k.status == "submitted");
    let my_review = match (caller, submitted) {
        (Some(me), true) => {
            match store::marks(&app.db, &c.slug, pole.as_str(), Some(me.actor.user_id)).await {
                Ok((done, marks)) => Some(review::blind(me.actor.user_id, done, marks)),
                Err(poles_store::StoreError::NotFound(_)) => None,
                Err(e) => return Err(e.into()),
            }
        }
        _ => None,
    };
    let reviewer = my_review.is_some();
    let all_decisions = store::decisions(&app.db, &c.slug)
        .await?
        .into_iter()
        .filter(|d| d.cluster_slug == pole.as_str());
    let decisions: Vec<LabelDecision> = if officer {
        all_decisions.collect()
    } else {
        all_decisions.filter(|d| d.status == "approved").collect()
    };
    let published = decisions.iter().any(|d| d.status == "approved");
    let facts = match &k {
        Some(k) => k.facts.clone(),
        None => store::facts(&app.db, pole.as_str()).await?,
    };
    let readable = officer || manager || (submitted && (reviewer || region));
    let submitted_or_started = k.is_some();
    let synthesis = if submitted && (officer || (manager && published)) {
        let (_, marks) = store::marks(&app.db, &c.slug, pole.as_str(), None).await?;
        let weights = store::weights(&app.db, &c.slug).await?;
        Some(review::synthesis(&weights, &marks))
    } else {
        None
    };
    Ok(CandidacyView {
        candidacy: if readable {
            k.map(|mut k| {
                if !(officer || (manager && published)) {
                    k.synthesis = None;
                }
                k
            })
        } else {
            None
        },
        facts,
        synthesis,
        assignments: if officer && submitted {
            store::assignments(&app.db, &c.slug, pole.as_str()).await?
        } else {
            Vec::new()
        },
        my_review,
        opinions: if submitted && (officer || region || manager) {
            store::opinions(&app.db, &c.slug, pole.as_str()).await?
        } else {
            Vec::new()
        },
        co_deciding_regions: regions,
        decisions,
        documents: if readable && submitted_or_started {
            store::documents(&app.db, &c.slug, pole.as_str()).await?
        } else {
            Vec::new()
        },
    })
}

/// A candidacy's text as its managers write it.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct CandidacyAsk {
    /// Strategy and roadmap, in French.
    pub strategy: Option<String>,
    pub governance: Option<String>,
    /// International partnerships and ambitions.
    pub international: Option<String>,
    /// Targets for the phase.
    pub targets: Option<String>,
    /// An optional summary in English.
    pub summary_en: Option<String>,
    /// Yearly budget in cents.
    pub budget_cents: Option<i64>,
    /// Management staff in hundredths of a full-time equivalent (150 = 1.5 FTE).
    pub staff_fte_hundredths: Option<i64>,
    /// The version read, to refuse overwriting another manager's edit (409).
    pub version: Option<i64>,
}

/// The deadline of a campaign: the end of its closing day in Paris.
fn deadline_passed(c: &Campaign) -> Result<bool> {
    let close = Date::parse("closes_on", &c.closes_on)?;
    Ok(poles_core::paris::Deadline::end_of(close).passed())
}

fn open_now(c: &Campaign) -> Result<()> {
    if c.historical {
        return Err(
            FieldError::new("campaign", "is a past campaign: it takes no candidacy").into(),
        );
    }
    let opens = Date::parse("opens_on", &c.opens_on)?;
    if Date::today() < opens {
        return Err(FieldError::new(
            "campaign",
            format!("opens for candidacies on {}", c.opens_on),
        )
        .into());
    }
    if deadline_passed(c)? {
        return Err(FieldError::new(
            "campaign",
            format!("closed for candidacies on {}", c.closes_on),
        )
        .into());
    }
    Ok(())
}

/// Saves a pôle's draft candidacy (its managers, while the campaign is open).
pub async fn save(
    app: &App,
    caller: &Caller,
    campaign: &str,
    pole: &str,
    a: &CandidacyAsk,
) -> Result<Candidacy> {
    let pole = cluster(pole)?;
    let cap = app
        .allowed(
            caller,
            access::candidacy_write(&caller.actor, pole.as_str()),
        )
        .await?;
    let c = store::campaign(&app.db, campaign).await?;
    open_now(&c)?;
    if a.budget_cents.is_some_and(|b| b < 0) {
        return Err(FieldError::new("budget_cents", "must not be negative").into());
    }
    if a.staff_fte_hundredths
        .is_some_and(|s| !(0..=100_000).contains(&s))
    {
        return Err(FieldError::new("staff_fte_hundredths", "must be 0 to 1000 FTE").into());
    }
    let t = CandidacyText {
        strategy: text("strategy", &a.strategy, 20_000)?,
        governance: text("governance", &a.governance, 10_000)?,
        international: text("international", &a.international, 10_000)?,
        targets: text("targets", &a.targets, 10_000)?,
        summary_en: text("summary_en", &a.summary_en, 5_000)?,
        budget_cents: a.budget_cents,
        staff_fte_hundredths: a.staff_fte_hundredths,
    };
    store::save_draft(
        &app.db,
        &caller.ctx(cap.by),
        &c.slug,
        &cap.cluster,
        &t,
        a.version,
    )
    .await?;
    store::candidacy(&app.db, &c.slug, &cap.cluster)
        .await?
        .ok_or(AppError::NotFound("candidacy"))
}

/// Submits a pôle's candidacy before the deadline: its strategy, governance and targets
/// must be written.
pub async fn submit(app: &App, caller: &Caller, campaign: &str, pole: &str) -> Result<Candidacy> {
    let pole = cluster(pole)?;
    let cap = app
        .allowed(
            caller,
            access::candidacy_write(&caller.actor, pole.as_str()),
        )
        .await?;
    let c = store::campaign(&app.db, campaign).await?;
    open_now(&c)?;
    let k = store::candidacy(&app.db, &c.slug, &cap.cluster)
        .await?
        .ok_or_else(|| FieldError::new("candidacy", "write the candidacy first"))?;
    for (field, v) in [
        ("strategy", &k.strategy),
        ("governance", &k.governance),
        ("targets", &k.targets),
    ] {
        if v.is_none() {
            return Err(FieldError::new(field, "is required to submit").into());
        }
    }
    store::submit(
        &app.db,
        &caller.ctx(cap.by),
        cap.by.user_id,
        &c.slug,
        &cap.cluster,
    )
    .await?;
    store::candidacy(&app.db, &c.slug, &cap.cluster)
        .await?
        .ok_or(AppError::NotFound("candidacy"))
}

/// A campaign's candidacies (officers).
pub async fn candidacies(app: &App, caller: &Caller, campaign: &str) -> Result<Vec<CandidacyLine>> {
    app.allowed(caller, access::label_officer(&caller.actor))
        .await?;
    Ok(store::candidacies(&app.db, campaign).await?)
}

/// A campaign's committee (officers).
pub async fn committee(app: &App, caller: &Caller, campaign: &str) -> Result<Vec<CommitteeMember>> {
    app.allowed(caller, access::label_officer(&caller.actor))
        .await?;
    Ok(store::committee(&app.db, campaign).await?)
}

/// The pôles the caller manages, `(slug, name)`, for their candidacies' links.
pub async fn my_poles(app: &App, caller: Option<&Caller>) -> Result<Vec<(String, String)>> {
    let Some(me) = caller else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for slug in access::managed_clusters(&me.actor) {
        if let Ok(c) = crate::atlas::cluster(app, &slug).await {
            out.push((c.slug, c.name));
        }
    }
    Ok(out)
}

/// The pôles on probation by their latest label, the earliest review first (officers).
pub async fn probations(app: &App, caller: &Caller) -> Result<Vec<ProbationDue>> {
    app.allowed(caller, access::label_officer(&caller.actor))
        .await?;
    Ok(store::probations(&app.db).await?)
}

/// Everyone who may sit on a committee, by name (officers, for the committee's form).
pub async fn eligible(app: &App, caller: &Caller) -> Result<Vec<Eligible>> {
    app.allowed(caller, access::label_officer(&caller.actor))
        .await?;
    Ok(store::eligible(&app.db).await?)
}

/// Someone to seat on a committee.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CommitteeAsk {
    pub user_id: i64,
    /// A region code for a member on a co-deciding region's side; none for the State's.
    pub region: Option<String>,
}

/// Seats a member on a campaign's committee (officers): on the State's side an officer or
/// a reviewer, on a co-deciding region's side that region's officer.
pub async fn add_member(
    app: &App,
    caller: &Caller,
    campaign: &str,
    a: &CommitteeAsk,
) -> Result<()> {
    let cap = app
        .allowed(caller, access::label_officer(&caller.actor))
        .await?;
    let region = a.region.as_deref().map(str::trim).filter(|r| !r.is_empty());
    let grants = store::grants_of(&app.db, a.user_id).await?;
    if !access::may_sit(&grants, region) {
        return Err(match region {
            None => FieldError::new(
                "user_id",
                "sits on the State's side as a programme officer or a reviewer",
            ),
            Some(_) => FieldError::new("user_id", "sits for a region as that region's officer"),
        }
        .into());
    }
    store::add_committee_member(
        &app.db,
        &caller.ctx(cap.by),
        cap.by.user_id,
        campaign,
        a.user_id,
        if region.is_some() { "region" } else { "state" },
        region,
    )
    .await?;
    Ok(())
}

/// Assigns a committee member to a submitted candidacy (officers). A member tied to the
/// pôle — their organisation is its member, or they manage it — is refused.
pub async fn assign(
    app: &App,
    caller: &Caller,
    campaign: &str,
    pole: &str,
    reviewer_id: i64,
) -> Result<()> {
    let pole = cluster(pole)?;
    let cap = app
        .allowed(caller, access::label_officer(&caller.actor))
        .await?;
    let (orgs, manages) = store::ties(&app.db, reviewer_id, pole.as_str()).await?;
    if manages {
        return Err(FieldError::new("reviewer_id", "manages this pôle").into());
    }
    if let Some(o) = orgs.first() {
        return Err(FieldError::new(
            "reviewer_id",
            format!("acts for {o}, a member of this pôle"),
        )
        .into());
    }
    store::assign(
        &app.db,
        &caller.ctx(cap.by),
        cap.by.user_id,
        campaign,
        pole.as_str(),
        reviewer_id,
    )
    .await?;
    Ok(())
}

/// Submits one's scores for a candidacy one is assigned: every criterion, 0 to 10, once.
pub async fn score(
    app: &App,
    caller: &Caller,
    campaign: &str,
    pole: &str,
    scores: &[Score],
) -> Result<ReviewView> {
    let pole = cluster(pole)?;
    let cap = app
        .allowed(caller, access::committee_scoring(&caller.actor))
        .await?;
    store::submit_scores(
        &app.db,
        &caller.ctx(cap.by),
        cap.by.user_id,
        campaign,
        pole.as_str(),
        scores,
    )
    .await?;
    let (done, marks) =
        store::marks(&app.db, campaign, pole.as_str(), Some(cap.by.user_id)).await?;
    Ok(review::blind(cap.by.user_id, done, marks))
}

/// One's review of a candidacy one is assigned.
pub async fn my_review(
    app: &App,
    caller: &Caller,
    campaign: &str,
    pole: &str,
) -> Result<ReviewView> {
    let pole = cluster(pole)?;
    let cap = app
        .allowed(caller, access::committee_scoring(&caller.actor))
        .await?;
    let (done, marks) =
        store::marks(&app.db, campaign, pole.as_str(), Some(cap.by.user_id)).await?;
    Ok(review::blind(cap.by.user_id, done, marks))
}

/// A region's opinion.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct OpinionAsk {
    /// `favourable`, `reserved` or `unfavourable`.
    pub opinion: String,
    pub comment: Option<String>,
}

/// Records the opinion of the caller's region (one of the pôle's regions that co-decide).
pub async fn give_opinion(
    app: &App,
    caller: &Caller,
    campaign: &str,
    pole: &str,
    a: &OpinionAsk,
) -> Result<()> {
    let pole = cluster(pole)?;
    let regions = store::co_deciding_regions(&app.db, campaign, pole.as_str()).await?;
    let cap = app
        .allowed(caller, access::region_opinion(&caller.actor, &regions))
        .await?;
    if !OPINIONS.contains(&a.opinion.as_str()) {
        return Err(
            FieldError::new("opinion", "must be favourable, reserved or unfavourable").into(),
        );
    }
    let comment = text("comment", &a.comment, 5000)?;
    store::record_opinion(
        &app.db,
        &caller.ctx(cap.by),
        cap.by.user_id,
        campaign,
        pole.as_str(),
        &cap.region,
        &a.opinion,
        comment.as_deref(),
    )
    .await?;
    Ok(())
}

/// The committee's synthesis, in words.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SynthesisAsk {
    pub synthesis: String,
}

/// Writes the committee's synthesis of a submitted candidacy (officers).
pub async fn write_synthesis(
    app: &App,
    caller: &Caller,
    campaign: &str,
    pole: &str,
    a: &SynthesisAsk,
) -> Result<()> {
    let pole = cluster(pole)?;
    let cap = app
        .allowed(caller, access::label_officer(&caller.actor))
        .await?;
    let s = required("synthesis", &a.synthesis, 20_000)?;
    store::set_synthesis(
        &app.db,
        &caller.ctx(cap.by),
        cap.by.user_id,
        campaign,
        pole.as_str(),
        &s,
    )
    .await?;
    Ok(())
}

/// A decision as an officer proposes it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct DecisionAsk {
    /// The pôle (its slug).
    pub cluster: String,
    /// `labelled`, `probation`, `not_labelled`, `merger` (the campaign's outcomes), or after
    /// a probation `confirmed` or `delabelled`.
    pub outcome: String,
    /// `mondial`, `vocation_mondiale` or `national`, where the phase has tiers.
    pub tier: Option<String>,
    /// How long the label or the probation runs, in months (the campaign's figure if left
    /// out).
    pub months: Option<i64>,
    /// The probation's conditions.
    pub conditions: Option<String>,
    /// The pôle a merger carries this one into (its slug).
    pub merged_into: Option<String>,
    /// The legal act (decree, order, ministerial decision) and its date.
    pub legal_act: String,
    pub act_date: String,
}

/// The day `months` months after `d`, clamped to the month's last day.
fn add_months(d: Date, months: i64) -> Date {
    let total = d.year() as i64 * 12 + (d.month() as i64 - 1) + months;
    let (y, m) = ((total / 12) as i32, (total % 12 + 1) as u8);
    let day = d.day().min(poles_core::date::days_in_month(y, m));
    Date::new(y, m, day).unwrap_or(d)
}

/// Proposes a decision for a pôle (officers): one of the campaign's outcomes for a pôle
/// that submitted a candidacy, or — for a pôle on probation — its confirmation or
/// de-labelling. Another officer approves it.
pub async fn propose(
    app: &App,
    caller: &Caller,
    campaign: &str,
    a: &DecisionAsk,
) -> Result<LabelDecision> {
    let cap = app
        .allowed(caller, access::label_officer(&caller.actor))
        .await?;
    let pole = Slug::parse("cluster", a.cluster.trim())?;
    let c = store::campaign(&app.db, campaign).await?;
    // A past campaign takes no new candidacy, but the review of a probation it decided is
    // decided in it.
    let review = matches!(a.outcome.as_str(), "confirmed" | "delabelled");
    if c.historical && !review {
        return Err(FieldError::new(
            "campaign",
            "is a past campaign loaded from its sources: only the review of a probation is decided in it",
        )
        .into());
    }
    let legal_act = required("legal_act", &a.legal_act, 300)?;
    let act_date = Date::parse("act_date", a.act_date.trim())?;
    let tier = match a.tier.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) if TIERS.contains(&t) => Some(t.to_string()),
        Some(_) => {
            return Err(
                FieldError::new("tier", "must be mondial, vocation_mondiale or national").into(),
            )
        }
        None => None,
    };
    let conditions = text("conditions", &a.conditions, 5000)?;
    let (kind, months) = match a.outcome.as_str() {
        "confirmed" | "delabelled" => {
            let now = store::current_status(&app.db, pole.as_str()).await?;
            if now.as_deref() != Some("probation") {
                return Err(FieldError::new(
                    "outcome",
                    "a pôle is confirmed or de-labelled at the end of a probation: this one is not on probation",
                )
                .into());
            }
            ("probation_review", None)
        }
        o => {
            let Some(allowed) = c.outcomes.iter().find(|x| x.outcome == o) else {
                return Err(
                    FieldError::new("outcome", "is not an outcome this campaign allows").into(),
                );
            };
            let k = store::candidacy(&app.db, &c.slug, pole.as_str()).await?;
            if k.is_none_or(|k| k.status != "submitted") {
                return Err(FieldError::new(
                    "cluster",
                    "has no submitted candidacy in this campaign",
                )
                .into());
            }
            let months = match a.months {
                Some(m) if !(1..=120).contains(&m) => {
                    return Err(FieldError::new("months", "must be 1 to 120").into())
                }
                Some(m) if o == "labelled" || o == "probation" => Some(m),
                _ => allowed.months,
            };
            if o == "probation" && conditions.is_none() {
                return Err(
                    FieldError::new("conditions", "a probation states its conditions").into(),
                );
            }
            ("campaign", months)
        }
    };
    let merged_into = match (a.outcome.as_str(), a.merged_into.as_deref().map(str::trim)) {
        ("merger", Some(m)) if !m.is_empty() => {
            Some(Slug::parse("merged_into", m)?.as_str().to_string())
        }
        ("merger", _) => {
            return Err(FieldError::new("merged_into", "name the pôle it merges into").into())
        }
        _ => None,
    };
    let label_from = Date::parse("label_from", &c.label_from)?;
    let review_date = (a.outcome == "probation").then(|| {
        let start = label_from.max(act_date);
        add_months(start, months.unwrap_or(12))
    });
    let id = store::propose(
        &app.db,
        &caller.ctx(cap.by),
        cap.by.user_id,
        &c.slug,
        &NewDecision {
            cluster: pole.as_str().to_string(),
            kind: kind.to_string(),
            outcome: a.outcome.clone(),
            tier,
            months,
            conditions,
            review_date,
            merged_into,
            legal_act,
            act_date,
        },
    )
    .await?;
    Ok(store::decision(&app.db, id).await?)
}

/// Approves (publishes) a decision: an officer other than its proposer. The pôle's label
/// history gains its row: labelled for its months from the label's start (to the
/// campaign's end at most), on probation until its review date, de-labelled otherwise.
pub async fn approve(app: &App, caller: &Caller, id: i64) -> Result<LabelDecision> {
    let d = store::decision(&app.db, id).await?;
    let cap = app
        .allowed(
            caller,
            access::label_approver_of(&caller.actor, d.proposed_by),
        )
        .await?;
    let c = store::campaign(&app.db, &d.campaign).await?;
    let act = Date::parse("act_date", &d.act_date)?;
    let from = Date::parse("label_from", &c.label_from)?.max(act);
    let until = Date::parse("label_until", &c.label_until)?;
    let term = match d.outcome.as_str() {
        "labelled" => LabelTerm {
            status: "labelled",
            valid_from: from,
            valid_until: Some(
                d.months
                    .map_or(until, |m| add_months(from, m).add_days(-1).min(until)),
            ),
        },
        "confirmed" => LabelTerm {
            status: "labelled",
            valid_from: act,
            valid_until: Some(until),
        },
        "probation" => LabelTerm {
            status: "probation",
            valid_from: from,
            valid_until: d
                .review_date
                .as_deref()
                .map(|r| Date::parse("review_date", r))
                .transpose()?,
        },
        _ => LabelTerm {
            status: "delabelled",
            valid_from: act,
            valid_until: None,
        },
    };
    store::settle(
        &app.db,
        &caller.ctx(cap.by),
        cap.by.user_id,
        id,
        Some(term),
        None,
    )
    .await?;
    Ok(store::decision(&app.db, id).await?)
}

/// Why a proposal is rejected.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct RejectAsk {
    pub reason: String,
}

/// Rejects a proposal with a reason: an officer other than its proposer.
pub async fn reject(app: &App, caller: &Caller, id: i64, a: &RejectAsk) -> Result<LabelDecision> {
    let d = store::decision(&app.db, id).await?;
    let cap = app
        .allowed(
            caller,
            access::label_approver_of(&caller.actor, d.proposed_by),
        )
        .await?;
    let reason = required("reason", &a.reason, 2000)?;
    store::settle(
        &app.db,
        &caller.ctx(cap.by),
        cap.by.user_id,
        id,
        None,
        Some(&reason),
    )
    .await?;
    Ok(store::decision(&app.db, id).await?)
}

/// A campaign's decisions: every status for officers, the approved ones for everyone else.
pub async fn decisions(
    app: &App,
    caller: Option<&Caller>,
    campaign: &str,
) -> Result<Vec<LabelDecision>> {
    let officer = caller.is_some_and(|c| access::label_officer(&c.actor).is_ok());
    Ok(store::decisions(&app.db, campaign)
        .await?
        .into_iter()
        .filter(|d| officer || d.status == "approved")
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_added_to_the_calendar() {
        let d = |s: &str| Date::parse("d", s).unwrap();
        assert_eq!(add_months(d("2023-01-01"), 12), d("2024-01-01"));
        assert_eq!(add_months(d("2023-01-31"), 1), d("2023-02-28"));
        assert_eq!(add_months(d("2023-11-15"), 2), d("2024-01-15"));
    }
}

/// A pôle's European side: the ECCP profile check (its waiver and what a full check would
/// find) and its ESCA cluster-management labels.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EuropeanProfile {
    pub check: EccpCheck,
    pub esca: Vec<EscaLabel>,
    /// Whether its latest ESCA label still runs today.
    pub esca_current: bool,
}

/// A pôle's European profile: public.
pub async fn european_profile(app: &App, pole: &str) -> Result<EuropeanProfile> {
    let pole = cluster(pole)?;
    let rules = store::eccp_rules()?;
    let facts = store::eccp_facts(&app.db, pole.as_str()).await?;
    let esca = store::esca_labels(&app.db, pole.as_str()).await?;
    let today = Date::today().to_string();
    Ok(EuropeanProfile {
        check: poles_core::eccp::check(&rules, &facts),
        esca_current: esca.first().is_some_and(|l| l.expires_on >= today),
        esca,
    })
}

/// An ESCA label as a pôle's managers (or the officers) record it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct EscaAsk {
    /// `bronze`, `silver` or `gold`.
    pub level: String,
    pub awarded_on: String,
    /// Computed from the level's validity where a source gives it (Bronze: two years);
    /// required otherwise.
    pub expires_on: Option<String>,
    /// Where the label is attested (ESCA's register, the label's certificate).
    pub source_title: String,
    pub source_url: Option<String>,
}

/// The ESCA levels.
pub const ESCA_LEVELS: &[&str] = &["bronze", "silver", "gold"];

/// Records an ESCA label of a pôle: its managers, or the programme's officers.
pub async fn record_esca(app: &App, caller: &Caller, pole: &str, a: &EscaAsk) -> Result<EscaLabel> {
    let pole = cluster(pole)?;
    let cap = app
        .allowed(caller, access::cluster_write(&caller.actor, pole.as_str()))
        .await?;
    let Some((validity, _)) = store::esca_level(a.level.trim())? else {
        return Err(FieldError::new("level", "must be bronze, silver or gold").into());
    };
    let awarded = Date::parse("awarded_on", a.awarded_on.trim())?;
    let expires = match a
        .expires_on
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        Some(e) => Date::parse("expires_on", e)?,
        None => match validity {
            Some(m) => add_months(awarded, m).add_days(-1),
            None => {
                return Err(FieldError::new(
                    "expires_on",
                    "give the expiry: no source at hand gives this level's validity",
                )
                .into())
            }
        },
    };
    if expires < awarded {
        return Err(FieldError::new("expires_on", "must not be before the award").into());
    }
    let source = required("source_title", &a.source_title, 300)?;
    let url = url("source_url", &a.source_url)?;
    Ok(store::record_esca(
        &app.db,
        &caller.ctx(cap.by),
        cap.by.user_id,
        pole.as_str(),
        a.level.trim(),
        awarded,
        expires,
        &source,
        url.as_deref(),
    )
    .await?)
}

/// A candidacy's attachment: PDF only, at most this many bytes (a limit of the platform,
/// not a rule of the programme).
pub const DOCUMENT_MAX_BYTES: usize = 10_000_000;
/// A candidacy's attachments together.
pub const DOCUMENTS_MAX_BYTES: i64 = 50_000_000;

/// Attaches a PDF to a pôle's draft candidacy (its managers, while the campaign is open).
pub async fn attach(
    app: &App,
    caller: &Caller,
    campaign: &str,
    pole: &str,
    name: &str,
    content: &[u8],
) -> Result<Document> {
    let pole = cluster(pole)?;
    let cap = app
        .allowed(
            caller,
            access::candidacy_write(&caller.actor, pole.as_str()),
        )
        .await?;
    let c = store::campaign(&app.db, campaign).await?;
    open_now(&c)?;
    let name = required("name", name, 200)?;
    if content.is_empty() {
        return Err(FieldError::new("document", "is empty").into());
    }
    if content.len() > DOCUMENT_MAX_BYTES {
        return Err(FieldError::new("document", "must be at most 10 MB").into());
    }
    // A PDF begins with its signature; anything else is refused, whatever its name says.
    if !content.starts_with(b"%PDF-") {
        return Err(FieldError::new("document", "must be a PDF file").into());
    }
    let name = if name.to_lowercase().ends_with(".pdf") {
        name
    } else {
        format!("{name}.pdf")
    };
    Ok(store::add_document(
        &app.db,
        &caller.ctx(cap.by),
        cap.by.user_id,
        &c.slug,
        &cap.cluster,
        &name,
        content,
        DOCUMENTS_MAX_BYTES,
    )
    .await?)
}

/// A candidacy's attachment, for those who may read the candidacy.
pub async fn document(
    app: &App,
    caller: &Caller,
    campaign: &str,
    pole: &str,
    id: i64,
) -> Result<(String, Vec<u8>)> {
    let v = candidacy(app, Some(caller), campaign, pole).await?;
    if v.candidacy.is_none() || !v.documents.iter().any(|d| d.id == id) {
        return Err(AppError::NotFound("document"));
    }
    Ok(store::document(&app.db, campaign, pole, id).await?)
}

/// Removes an attachment from a pôle's draft candidacy (its managers).
pub async fn detach(app: &App, caller: &Caller, campaign: &str, pole: &str, id: i64) -> Result<()> {
    let pole = cluster(pole)?;
    let cap = app
        .allowed(
            caller,
            access::candidacy_write(&caller.actor, pole.as_str()),
        )
        .await?;
    Ok(store::remove_document(&app.db, &caller.ctx(cap.by), campaign, &cap.cluster, id).await?)
}
