//! Worklists — where each person finds their work — and the name pickers. An applicant's
//! applications with the next step in words; a call's applications for the officers who run
//! it (and the funder officers of its funders); a cluster's labelling queue for its
//! managers; a reviewer's assignments. Each is filtered by status, counted and paged. The
//! pickers suggest organisations, clusters, communes, regions (public) and users (officers
//! only) by name, and resolve a typed name: exactly one match is used, several are listed,
//! none is refused next to the field.

use crate::access;
use crate::{App, Caller, Result};
use poles_core::paris::Deadline;
use poles_core::status::{ApplicationStatus, LabellingStatus};
use poles_core::{FieldError, Page};
use poles_store::worklists as store;
use serde::Serialize;
use utoipa::ToSchema;

pub use poles_store::worklists::{
    ApplicationLine, LabellingCount, LabellingLine, LabellingQueue, ListQuery, PickKind,
    ReviewLine, ReviewQueue, Sort, StatusCount, Suggestion,
};

/// What an applicant does next, in words the page translates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NextStep {
    /// One of the caller's organisations is invited and has not answered.
    AnswerInvitation,
    /// A draft whose call closed: it can no longer be submitted.
    DeadlinePassed,
    /// Invited partners have not answered yet.
    WaitForPartners,
    /// No cluster was asked to label the project yet.
    AskForLabel,
    /// A cluster has not decided yet.
    WaitForLabels,
    /// Everything is in: the lead may submit.
    Submit,
    /// Submitted: the officers review and select.
    WaitForSelection,
    /// Selected: agreement, payments and milestones.
    FollowUp,
    /// Nothing more to do.
    Nothing,
}

impl NextStep {
    /// Its wire name, which the pages translate.
    pub fn as_str(&self) -> &'static str {
        match self {
            NextStep::AnswerInvitation => "answer_invitation",
            NextStep::DeadlinePassed => "deadline_passed",
            NextStep::WaitForPartners => "wait_for_partners",
            NextStep::AskForLabel => "ask_for_label",
            NextStep::WaitForLabels => "wait_for_labels",
            NextStep::Submit => "submit",
            NextStep::WaitForSelection => "wait_for_selection",
            NextStep::FollowUp => "follow_up",
            NextStep::Nothing => "nothing",
        }
    }
}

/// An application as its applicant's list shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MyApplication {
    #[serde(flatten)]
    pub line: ApplicationLine,
    pub next_step: NextStep,
    /// The call's deadline as an instant: Unix seconds (the end of its day in Paris).
    pub deadline_unix: Option<i64>,
}

/// A page of the caller's applications with counts per status.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MyApplications {
    pub items: Vec<MyApplication>,
    pub total: i64,
    pub counts: Vec<StatusCount>,
}

fn next_step(l: &ApplicationLine, invited: bool) -> NextStep {
    let closed = l
        .call_deadline
        .is_some_and(|d| Deadline::end_of(d).passed());
    match l.status {
        ApplicationStatus::Draft if closed => NextStep::DeadlinePassed,
        ApplicationStatus::Draft if invited => NextStep::AnswerInvitation,
        ApplicationStatus::Draft if l.partners_pending > 0 => NextStep::WaitForPartners,
        ApplicationStatus::Draft if l.labels_requested == 0 => NextStep::AskForLabel,
        ApplicationStatus::Draft if l.labels_granted + l.labels_refused < l.labels_requested => {
            NextStep::WaitForLabels
        }
        ApplicationStatus::Draft => NextStep::Submit,
        ApplicationStatus::Submitted => NextStep::WaitForSelection,
        ApplicationStatus::Selected | ApplicationStatus::Running => NextStep::FollowUp,
        _ => NextStep::Nothing,
    }
}

/// The applications of the caller's organisations (as lead or partner that did not decline),
/// with the next step of each. Anyone signed in: without an organisation, the list is empty.
pub async fn my_applications(app: &App, caller: &Caller, q: &ListQuery) -> Result<MyApplications> {
    let orgs = access::own_organisations(&caller.actor);
    let list = store::of_organisations(&app.db, &orgs, q).await?;
    let mut items = Vec::with_capacity(list.items.len());
    for line in list.items {
        let invited = line.status == ApplicationStatus::Draft
            && line.partners_pending > 0
            && !store::pending_invitations(&app.db, line.id, &orgs)
                .await?
                .is_empty();
        items.push(MyApplication {
            next_step: next_step(&line, invited),
            deadline_unix: line.call_deadline.map(|d| Deadline::end_of(d).unix()),
            line,
        });
    }
    Ok(MyApplications {
        items,
        total: list.total,
        counts: list.counts,
    })
}

/// An application in its call's worklist: the stored line and its eligibility now (the rules
/// engine on the application as it stands) and as checked at submission.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WorklistLine {
    #[serde(flatten)]
    pub line: ApplicationLine,
    pub eligible: bool,
    pub eligible_at_submission: Option<bool>,
}

/// A page of a call's worklist.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CallWorklist {
    pub items: Vec<WorklistLine>,
    pub total: i64,
    pub counts: Vec<StatusCount>,
}

/// Every application of a call with its status, eligibility, labels, reviews and proposal:
/// for the officers who run calls, and for funder officers of one of the call's funders.
pub async fn call_worklist(
    app: &App,
    caller: &Caller,
    call: &str,
    q: &ListQuery,
) -> Result<CallWorklist> {
    let funders = store::call_funders(&app.db, call)
        .await?
        .ok_or(crate::AppError::NotFound("call"))?;
    app.allowed(caller, access::call_worklist(&caller.actor, &funders))
        .await?;
    let list = store::of_call(&app.db, call, q).await?;
    let mut items = Vec::with_capacity(list.items.len());
    for line in list.items {
        let a = crate::applications::load(app, line.id).await?;
        items.push(WorklistLine {
            eligible: a.eligibility.eligible,
            eligible_at_submission: a
                .eligibility_at_submission
                .as_ref()
                .and_then(|e| e.get("eligible"))
                .and_then(serde_json::Value::as_bool),
            line,
        });
    }
    Ok(CallWorklist {
        items,
        total: list.total,
        counts: list.counts,
    })
}

/// A cluster's labelling queue: its managers (and admins) only.
pub async fn labelling_queue(
    app: &App,
    caller: &Caller,
    cluster: &str,
    status: Option<LabellingStatus>,
    page: Page,
) -> Result<LabellingQueue> {
    let cap = app
        .allowed(caller, access::labelling_decision(&caller.actor, cluster))
        .await?;
    store::labelling_queue(&app.db, &cap.cluster, status, page)
        .await?
        .ok_or(crate::AppError::NotFound("cluster"))
}

/// The reviews assigned to the caller (reviewers only); `done` filters.
pub async fn review_queue(
    app: &App,
    caller: &Caller,
    done: Option<bool>,
    page: Page,
) -> Result<ReviewQueue> {
    let cap = app
        .allowed(caller, access::reviewing(&caller.actor))
        .await?;
    Ok(store::review_queue(&app.db, cap.by.user_id, done, page).await?)
}

/// The worklists a person has besides their applications: the labelling queues of the
/// clusters they manage, and their reviews.
#[derive(Debug, Clone)]
pub struct MyWorklists {
    pub clusters: Vec<String>,
    pub reviewer: bool,
}

/// Which worklists to link for the caller.
pub fn my_worklists(caller: &Caller) -> MyWorklists {
    MyWorklists {
        clusters: access::managed_clusters(&caller.actor),
        reviewer: access::reviewing(&caller.actor).is_ok(),
    }
}

/// How many suggestions a picker shows.
const SUGGESTIONS: i64 = 10;

/// The registry is public; people are not: users are suggested to officers only.
async fn check_kind(app: &App, caller: Option<&Caller>, kind: PickKind) -> Result<()> {
    match kind {
        PickKind::User => {
            let caller = caller.ok_or(crate::AppError::Unauthenticated)?;
            app.allowed(caller, access::people_read(&caller.actor))
                .await?;
        }
        PickKind::Application => {
            let caller = caller.ok_or(crate::AppError::Unauthenticated)?;
            app.allowed(caller, access::programme_write(&caller.actor))
                .await?;
        }
        _ => {}
    }
    Ok(())
}

/// What a typed query is searched as: trimmed, lower case, at most 100 characters.
fn query(q: &str) -> String {
    q.trim()
        .chars()
        .take(100)
        .collect::<String>()
        .to_lowercase()
}

/// Suggestions for a name being typed (at least two characters; fewer gives none).
pub async fn suggest(
    app: &App,
    caller: Option<&Caller>,
    kind: PickKind,
    q: &str,
) -> Result<Vec<Suggestion>> {
    check_kind(app, caller, kind).await?;
    let q = query(q);
    if q.chars().count() < 2 {
        return Ok(Vec::new());
    }
    Ok(store::suggest(&app.db, kind, &q, SUGGESTIONS).await?)
}

/// The name of a value (an organisation id, a cluster slug, a commune code…), to show a
/// stored reference by its name.
pub async fn name_of(
    app: &App,
    caller: Option<&Caller>,
    kind: PickKind,
    value: &str,
) -> Result<Option<Suggestion>> {
    check_kind(app, caller, kind).await?;
    Ok(store::named(&app.db, kind, value).await?)
}

/// A typed name, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    One(Suggestion),
    /// Several match: the page lists them next to the field.
    Many(Vec<Suggestion>),
    /// Nothing matches (or nothing was typed).
    None,
}

impl Resolved {
    /// The one match, or the refusal to show next to `field`.
    pub fn one(self, field: &str) -> std::result::Result<Suggestion, FieldError> {
        match self {
            Resolved::One(s) => Ok(s),
            Resolved::Many(_) => Err(FieldError::new(field, "matches several names: choose one")),
            Resolved::None => Err(FieldError::new(field, "matches no name")),
        }
    }
}

/// Resolves what a picker sent: `chosen` is the value a suggestion or a listed choice set
/// (kept when it still names what is typed), else the `typed` name is searched: one match is
/// used, several are returned to choose from; an exact name among several wins.
pub async fn resolve(
    app: &App,
    caller: Option<&Caller>,
    kind: PickKind,
    typed: &str,
    chosen: Option<&str>,
) -> Result<Resolved> {
    check_kind(app, caller, kind).await?;
    let q = query(typed);
    if let Some(v) = chosen.map(str::trim).filter(|v| !v.is_empty()) {
        if let Some(s) = store::named(&app.db, kind, v).await? {
            // Chosen among the suggestions or the listed choices of what is typed (a name
            // typed over a choice is searched afresh).
            if q.is_empty() || s.label.to_lowercase().contains(&q) || s.value.to_lowercase() == q {
                return Ok(Resolved::One(s));
            }
        }
    }
    if q.is_empty() {
        return Ok(Resolved::None);
    }
    let found = store::suggest(&app.db, kind, &q, SUGGESTIONS).await?;
    let exact: Vec<&Suggestion> = found
        .iter()
        .filter(|s| s.label.to_lowercase() == q || s.value.to_lowercase() == q)
        .collect();
    Ok(match (found.len(), exact.as_slice()) {
        (0, _) => Resolved::None,
        (1, _) => found
            .into_iter()
            .next()
            .map_or(Resolved::None, Resolved::One),
        (_, [one]) => Resolved::One((*one).clone()),
        _ => Resolved::Many(found),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(status: ApplicationStatus) -> ApplicationLine {
        ApplicationLine {
            id: 1,
            acronym: "X".into(),
            title: "X".into(),
            call: "c".into(),
            call_name_fr: "c".into(),
            call_name_en: "c".into(),
            call_deadline: None,
            status,
            submitted_at: None,
            lead_organisation: "L".into(),
            partners_pending: 0,
            labels_requested: 1,
            labels_granted: 1,
            labels_refused: 0,
            reviews_assigned: 0,
            reviews_done: 0,
            proposal_status: None,
            proposal_cents: None,
            fictional: false,
        }
    }

    #[test]
    fn the_next_step_follows_the_application() {
        let mut l = line(ApplicationStatus::Draft);
        assert_eq!(next_step(&l, false), NextStep::Submit);
        assert_eq!(next_step(&l, true), NextStep::AnswerInvitation);
        l.labels_granted = 0;
        assert_eq!(next_step(&l, false), NextStep::WaitForLabels);
        l.labels_requested = 0;
        assert_eq!(next_step(&l, false), NextStep::AskForLabel);
        l.partners_pending = 2;
        assert_eq!(next_step(&l, false), NextStep::WaitForPartners);
        l.call_deadline = poles_core::Date::new(2007, 6, 1);
        assert_eq!(next_step(&l, false), NextStep::DeadlinePassed);
        assert_eq!(
            next_step(&line(ApplicationStatus::Submitted), false),
            NextStep::WaitForSelection
        );
        assert_eq!(
            next_step(&line(ApplicationStatus::Rejected), false),
            NextStep::Nothing
        );
    }
}
