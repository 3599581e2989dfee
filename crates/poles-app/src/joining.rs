//! Joining a pôle. A signed-in person asks for an organisation they act for — or, for one
//! the registry does not hold yet (a foreign company, say), for the organisation their
//! request names, created on acceptance — to join a pôle; the pôle's managers (or the
//! programme's officers) accept, with a role, or decline with a reason. Members leave (by
//! their own choice or their pôle's) and may rejoin; the periods are kept. Whether the
//! public pages list a member is the member's choice. Every step is audited; the other side
//! is told in its inbox.

use crate::edits::{cluster, text, url};
use crate::{access, App, AppError, Caller, Result};
use poles_core::{CountryCode, FieldError, OrgKind};
use poles_store::joining::{self as store, JoinDecision, Joiner, NewJoin};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use poles_store::joining::{JoinRequest, MembershipPeriod};

/// The roles a member may hold in a pôle.
pub const ROLES: &[&str] = &["member", "founding_member", "partner", "board"];

fn role(field: &str, v: Option<&str>) -> Result<String> {
    let r = v
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .unwrap_or("member");
    if ROLES.contains(&r) {
        Ok(r.to_string())
    } else {
        Err(FieldError::new(field, "must be member, founding_member, partner or board").into())
    }
}

/// A request to join a pôle.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct JoinAsk {
    /// The organisation asking, one the caller acts for (its id in the registry). Leave it
    /// out and give `new_name` for an organisation the registry does not hold yet.
    pub organisation_id: Option<i64>,
    /// The name of an organisation the registry does not hold (created on acceptance).
    pub new_name: Option<String>,
    /// Its country (ISO 3166-1 alpha-2 code), required with `new_name`.
    pub new_country: Option<String>,
    /// Its kind (`sme`, `large_company`, `startup`, `university`, …); `company` if left out.
    pub new_kind: Option<String>,
    /// Its website (http or https).
    pub new_website: Option<String>,
    /// The role asked for: `member` (the default), `founding_member`, `partner` or `board`.
    pub role: Option<String>,
    /// Whether the pôle's public pages and open data may list the organisation (default yes).
    pub shown_publicly: Option<bool>,
    /// A word for the pôle's managers: what the organisation does, what it seeks.
    pub message: Option<String>,
}

/// Asks for an organisation to join a pôle; its id.
pub async fn apply(app: &App, caller: &Caller, slug: &str, ask: &JoinAsk) -> Result<JoinRequest> {
    let slug = cluster(slug)?;
    let role = role("role", ask.role.as_deref())?;
    let message = text("message", &ask.message, 1000)?;
    let new_name = text("new_name", &ask.new_name, 200)?;
    let (joiner, by) = match (ask.organisation_id, new_name) {
        (Some(id), None) => {
            // Only someone who acts for the organisation asks for it.
            let cap = app
                .allowed(caller, access::organisation_write(&caller.actor, id))
                .await
                .map_err(|e| match e {
                    AppError::Forbidden(_) => FieldError::new(
                        "organisation_id",
                        "you do not act for this organisation: claim it first (Memberships)",
                    )
                    .into(),
                    e => e,
                })?;
            (Joiner::Known(id), cap.by)
        }
        (None, Some(name)) => {
            let cap = access::self_service(&caller.actor);
            let country = CountryCode::parse(
                "new_country",
                ask.new_country.as_deref().unwrap_or_default(),
            )?;
            let kind = match ask
                .new_kind
                .as_deref()
                .map(str::trim)
                .filter(|k| !k.is_empty())
            {
                None => OrgKind::Company,
                Some(k) => match OrgKind::parse("new_kind", k)? {
                    OrgKind::Unknown => {
                        return Err(FieldError::new("new_kind", "say what kind it is").into())
                    }
                    k => k,
                },
            };
            let website = url("new_website", &ask.new_website)?;
            (
                Joiner::New {
                    name,
                    country: country.as_str().to_string(),
                    kind: kind.as_str().to_string(),
                    website,
                },
                cap.by,
            )
        }
        (Some(_), Some(_)) => {
            return Err(FieldError::new(
                "new_name",
                "name a new organisation or choose one you act for, not both",
            )
            .into())
        }
        (None, None) => {
            return Err(FieldError::new(
                "organisation_id",
                "choose the organisation that asks, or name it if Pôles does not know it yet",
            )
            .into())
        }
    };
    let known = match &joiner {
        Joiner::Known(id) => Some(*id),
        Joiner::New { .. } => None,
    };
    let (cluster_name, org_name) = store::names(&app.db, slug.as_str(), known).await?;
    let org_name = org_name.unwrap_or_else(|| match &joiner {
        Joiner::New { name, .. } => name.clone(),
        Joiner::Known(_) => String::new(),
    });
    let notice = (
        format!("« {org_name} » demande à rejoindre {cluster_name}."),
        format!("\"{org_name}\" asks to join {cluster_name}."),
    );
    let id = store::create(
        &app.db,
        &caller.ctx(by),
        &NewJoin {
            cluster: slug.as_str().to_string(),
            user_id: by.user_id,
            joiner,
            role,
            shown_publicly: ask.shown_publicly.unwrap_or(true),
            message,
            notice,
        },
    )
    .await?;
    store::get(&app.db, id)
        .await?
        .map(|(j, _)| j)
        .ok_or(AppError::NotFound("join request"))
}

/// One's own requests, newest first.
pub async fn mine(app: &App, caller: &Caller) -> Result<Vec<JoinRequest>> {
    let cap = access::self_service(&caller.actor);
    Ok(store::of_user(&app.db, cap.by.user_id).await?)
}

/// The pending requests the caller may decide: every pôle's for officers, their pôles' for
/// managers, none for others.
pub async fn to_decide(app: &App, caller: &Caller) -> Result<Vec<JoinRequest>> {
    if access::programme_write(&caller.actor).is_ok() {
        return Ok(store::pending(&app.db, None).await?);
    }
    let clusters = access::managed_clusters(&caller.actor);
    if clusters.is_empty() {
        return Ok(Vec::new());
    }
    Ok(store::pending(&app.db, Some(&clusters)).await?)
}

/// A decision on a request.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct JoinVerdict {
    /// `accept` or `decline`.
    pub decision: String,
    /// The role granted on acceptance; the one asked for if left out.
    pub role: Option<String>,
    /// Why it is declined (required to decline).
    pub reason: Option<String>,
}

/// Accepts (the organisation becomes a member from today) or declines with a reason.
pub async fn decide(app: &App, caller: &Caller, id: i64, v: &JoinVerdict) -> Result<JoinRequest> {
    let (req, _) = store::get(&app.db, id)
        .await?
        .ok_or(AppError::NotFound("join request"))?;
    let cap = app
        .allowed(
            caller,
            access::cluster_write(&caller.actor, &req.cluster_slug),
        )
        .await?;
    let accept = match v.decision.as_str() {
        "accept" => true,
        "decline" => false,
        _ => return Err(FieldError::new("decision", "must be accept or decline").into()),
    };
    let role = match v.role.as_deref() {
        Some(r) if !r.trim().is_empty() => role("role", Some(r))?,
        _ => req.role.clone(),
    };
    let reason = text("reason", &v.reason, 1000)?;
    if !accept && reason.is_none() {
        return Err(FieldError::new("reason", "say why the request is declined").into());
    }
    let (org, pole) = (&req.organisation_name, &req.cluster_name);
    let notice = if accept {
        (
            format!("« {org} » est membre de {pole} : la demande est acceptée."),
            format!("\"{org}\" is a member of {pole}: the request is accepted."),
        )
    } else {
        let r = reason.clone().unwrap_or_default();
        (
            format!("La demande de « {org} » pour rejoindre {pole} est refusée : {r}"),
            format!("The request of \"{org}\" to join {pole} is declined: {r}"),
        )
    };
    store::decide(
        &app.db,
        &caller.ctx(cap.by),
        id,
        cap.by.user_id,
        JoinDecision {
            accept,
            role,
            reason,
            notice,
        },
    )
    .await?;
    store::get(&app.db, id)
        .await?
        .map(|(j, _)| j)
        .ok_or(AppError::NotFound("join request"))
}

/// Withdraws one's own pending request.
pub async fn withdraw(app: &App, caller: &Caller, id: i64) -> Result<()> {
    let cap = access::self_service(&caller.actor);
    store::withdraw(&app.db, &caller.ctx(cap.by), id, cap.by.user_id).await?;
    Ok(())
}

/// Ends a membership today (the member leaves, or its pôle ends it), with an optional
/// reason kept in the history (not shown publicly).
pub async fn leave(
    app: &App,
    caller: &Caller,
    slug: &str,
    organisation_id: i64,
    reason: Option<&str>,
) -> Result<()> {
    let slug = cluster(slug)?;
    let cap = app
        .allowed(
            caller,
            access::membership_end(&caller.actor, slug.as_str(), organisation_id),
        )
        .await?;
    let reason = text("reason", &reason.map(str::to_string), 1000)?;
    store::leave(
        &app.db,
        &caller.ctx(cap.by),
        slug.as_str(),
        organisation_id,
        reason.as_deref(),
    )
    .await?;
    Ok(())
}

/// The member's choice: whether public pages and the open data list it in this pôle.
pub async fn set_shown(
    app: &App,
    caller: &Caller,
    slug: &str,
    organisation_id: i64,
    shown: bool,
) -> Result<()> {
    let slug = cluster(slug)?;
    let cap = app
        .allowed(
            caller,
            access::organisation_write(&caller.actor, organisation_id),
        )
        .await?;
    store::set_shown(
        &app.db,
        &caller.ctx(cap.by),
        slug.as_str(),
        cap.organisation_id,
        shown,
    )
    .await?;
    Ok(())
}

/// The memberships, current and past, of the organisations the caller acts for.
pub async fn my_memberships(app: &App, caller: &Caller) -> Result<Vec<MembershipPeriod>> {
    let orgs = access::own_organisations(&caller.actor);
    Ok(store::periods_of(&app.db, &orgs).await?)
}

/// The organisations the caller acts for, by name (for the join form's choice).
pub async fn my_organisations(app: &App, caller: &Caller) -> Result<Vec<(i64, String)>> {
    let orgs = access::own_organisations(&caller.actor);
    Ok(store::organisation_names(&app.db, &orgs).await?)
}

/// A pôle's members to add from a list, as its managers paste or upload it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct MemberImport {
    /// CSV (comma or semicolon): per line, the organisation's SIREN (9 digits), SIRET (14
    /// digits), PIC or name, then optionally its role (`member`, `founding_member`,
    /// `partner`, `board`). A first line naming the columns (`siren`, `siret`, `name`…) is
    /// skipped. At most 2,000 lines.
    pub csv: String,
    /// The role of the lines that give none (default `member`).
    pub role: Option<String>,
    /// `true` (the default): match and report, write nothing. `false`: write, only if every
    /// line matched one organisation (already-members are left as they are).
    pub dry_run: Option<bool>,
}

/// What one line of an import found.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportLine {
    /// Its line number in the file.
    pub line: usize,
    /// What it named.
    pub input: String,
    pub role: String,
    /// `matched` (to add), `already_member`, `repeated` (an earlier line named it; both
    /// left as nothing to do), `ambiguous`, `not_found` or `invalid`.
    pub outcome: String,
    pub organisation_id: Option<i64>,
    pub organisation_name: Option<String>,
    /// For an ambiguous line: the organisations it could be (give the SIREN instead).
    pub candidates: Vec<String>,
    /// For an invalid line: why.
    pub reason: Option<String>,
}

/// The import's preview (or its result): every line's outcome, how many would be (or were)
/// added, how many lines stop the import.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportPreview {
    pub lines: Vec<ImportLine>,
    pub to_add: usize,
    pub problems: usize,
    /// Whether the members were added (never when a line is a problem).
    pub written: bool,
}

const IMPORT_MAX_LINES: usize = 2000;
const IMPORT_MAX_BYTES: usize = 500_000;

/// Adds members to a pôle from a list (its managers, officers): first a preview of every
/// line's match, then — when every line matched — all of them in one transaction. Lines
/// naming a member already, or repeating an earlier line, are left as they are, so that
/// importing the same list twice adds nothing the second time.
pub async fn import_members(
    app: &App,
    caller: &Caller,
    slug: &str,
    imp: &MemberImport,
) -> Result<ImportPreview> {
    let slug = cluster(slug)?;
    let cap = app
        .allowed(caller, access::cluster_write(&caller.actor, slug.as_str()))
        .await?;
    if imp.csv.len() > IMPORT_MAX_BYTES {
        return Err(FieldError::new("csv", "is larger than 500 kB: split the list").into());
    }
    let default_role = role("role", imp.role.as_deref())?;
    let delimiter = match imp.csv.lines().next() {
        Some(first) if first.contains(';') && !first.contains(',') => b';',
        _ => b',',
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .delimiter(delimiter)
        .from_reader(imp.csv.as_bytes());
    let mut lines = Vec::new();
    let mut seen: Vec<i64> = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let n = i + 1;
        if lines.len() >= IMPORT_MAX_LINES {
            return Err(FieldError::new("csv", "has more than 2,000 lines: split the list").into());
        }
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                lines.push(problem(
                    n,
                    "",
                    &default_role,
                    "invalid",
                    format!("not CSV: {e}"),
                ));
                continue;
            }
        };
        let input = record.get(0).unwrap_or("").to_string();
        if input.is_empty() && record.iter().all(str::is_empty) {
            continue;
        }
        let header = [
            "siren",
            "siret",
            "name",
            "nom",
            "organisation",
            "organization",
            "pic",
        ];
        if n == 1 && header.contains(&input.to_lowercase().as_str()) {
            continue;
        }
        let line_role = match record.get(1).filter(|r| !r.is_empty()) {
            None => default_role.clone(),
            Some(r) => match role("role", Some(r)) {
                Ok(r) => r,
                Err(_) => {
                    lines.push(problem(
                        n,
                        &input,
                        r,
                        "invalid",
                        "the role must be member, founding_member, partner or board".into(),
                    ));
                    continue;
                }
            },
        };
        let digits: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        let found: Vec<(i64, String)> =
            if digits.len() == 14 && digits.bytes().all(|b| b.is_ascii_digit()) {
                if !poles_core::auth::luhn(&digits) {
                    lines.push(problem(
                        n,
                        &input,
                        &line_role,
                        "invalid",
                        "not a SIRET: its check digit is wrong".into(),
                    ));
                    continue;
                }
                store::by_siret(&app.db, &digits).await?
            } else {
                match crate::membership::find(app, &input).await {
                    Ok(list) => list.into_iter().map(|o| (o.id, o.name)).collect(),
                    Err(AppError::Invalid(f)) => {
                        lines.push(problem(n, &input, &line_role, "invalid", f.reason));
                        continue;
                    }
                    Err(e) => return Err(e),
                }
            };
        let mut line = problem(n, &input, &line_role, "", String::new());
        line.reason = None;
        match found.as_slice() {
            [] => line.outcome = "not_found".into(),
            [(id, name)] => {
                line.organisation_id = Some(*id);
                line.organisation_name = Some(name.clone());
                line.outcome = if seen.contains(id) {
                    "repeated".into()
                } else {
                    seen.push(*id);
                    "matched".into()
                };
            }
            many => {
                line.outcome = "ambiguous".into();
                line.candidates = many.iter().map(|(_, name)| name.clone()).collect();
            }
        }
        lines.push(line);
    }
    if lines.is_empty() {
        return Err(FieldError::new("csv", "names no organisation").into());
    }
    let already = store::members_among(&app.db, slug.as_str(), &seen).await?;
    for l in &mut lines {
        if l.outcome == "matched" && l.organisation_id.is_some_and(|id| already.contains(&id)) {
            l.outcome = "already_member".into();
        }
    }
    let problems = lines
        .iter()
        .filter(|l| ["ambiguous", "not_found", "invalid"].contains(&l.outcome.as_str()))
        .count();
    let to_add: Vec<(i64, String)> = lines
        .iter()
        .filter(|l| l.outcome == "matched")
        .filter_map(|l| l.organisation_id.map(|id| (id, l.role.clone())))
        .collect();
    let mut preview = ImportPreview {
        to_add: to_add.len(),
        problems,
        written: false,
        lines,
    };
    if imp.dry_run.unwrap_or(true) || to_add.is_empty() {
        return Ok(preview);
    }
    if problems > 0 {
        let first = preview
            .lines
            .iter()
            .find(|l| ["ambiguous", "not_found", "invalid"].contains(&l.outcome.as_str()))
            .map(|l| {
                format!(
                    "line {} ({}): {}",
                    l.line,
                    l.input,
                    l.outcome.replace('_', " ")
                )
            })
            .unwrap_or_default();
        return Err(FieldError::new(
            "csv",
            format!("{problems} line(s) match no single organisation, first {first}: fix or remove them; nothing was written"),
        )
        .into());
    }
    let today = poles_core::Date::today().to_string();
    store::add_members(
        &app.db,
        &caller.ctx(cap.by),
        slug.as_str(),
        &store::NewMembers {
            members: to_add,
            since: today.clone(),
            source: format!("imported by the pôle's team on {today}"),
        },
    )
    .await?;
    preview.written = true;
    Ok(preview)
}

fn problem(line: usize, input: &str, role: &str, outcome: &str, reason: String) -> ImportLine {
    ImportLine {
        line,
        input: input.to_string(),
        role: role.to_string(),
        outcome: outcome.to_string(),
        organisation_id: None,
        organisation_name: None,
        candidates: vec![],
        reason: Some(reason),
    }
}
