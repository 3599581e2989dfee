//! The pages of calls: the list with the projects they funded, and a call's rules with their
//! sources (and, for members of organisations, the form to apply).

use crate::http::error::{PageError, PageResult};
use crate::http::extract::{SignedIn, Visitor};
use crate::http::params::{self, Params};
use crate::ui::chrome::Chrome;
use crate::ui::format::{euros, urlencode};
use crate::ui::render::render;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::Router;
use poles_app::access::Ability;
use poles_app::calls::{self, FundedProject};
use poles_app::worklists::{self as lists, CallWorklist, ListQuery, PickKind, Sort};
use poles_core::model::Call;
use poles_core::status::ApplicationStatus;
use poles_core::FieldError;

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/calls", get(calls_page))
        .route("/calls/{slug}", get(call))
        .route("/calls/{slug}/applications", get(worklist))
}

#[derive(Template)]
#[template(path = "calls.html")]
struct CallsPage {
    c: Chrome,
    calls: Vec<Call>,
    funded: Vec<FundedProject>,
}

impl CallsPage {
    fn euros<T: std::borrow::Borrow<i64>>(&self, cents: T) -> String {
        poles_core::format_amount(*cents.borrow(), poles_core::Currency::Eur, self.c.lang())
    }
}

async fn calls_page(State(st): State<AppState>, c: Chrome) -> PageResult {
    let calls = calls::list(&st.app).await?;
    let funded = calls::funded_projects(&st.app).await?;
    render(CallsPage { c, calls, funded })
}

#[derive(Template)]
#[template(path = "call.html")]
struct CallPage {
    c: Chrome,
    k: Call,
    /// The organisations the signed-in user may apply for, by name.
    my_orgs: Vec<(i64, String)>,
}

impl CallPage {
    fn pct<T: std::borrow::Borrow<i64>>(&self, bp: T) -> String {
        poles_core::calls::pct(*bp.borrow(), self.c.lang())
    }

    fn worklist_href(&self) -> String {
        self.c.href(&format!("/calls/{}/applications", self.k.slug))
    }

    fn optimise_href(&self) -> String {
        self.c.href(&format!("/calls/{}/optimise", self.k.slug))
    }
}

async fn call(
    State(st): State<AppState>,
    c: Chrome,
    visitor: Visitor,
    Path(slug): Path<String>,
) -> PageResult {
    let k = calls::get(&st.app, &slug).await?;
    let mut my_orgs = Vec::new();
    for o in c
        .actor
        .as_ref()
        .map(|a| a.organisations())
        .unwrap_or_default()
    {
        if c.may(Ability::ApplyFor(o)) {
            let name = lists::name_of(
                &st.app,
                visitor.caller.as_ref(),
                PickKind::Organisation,
                &o.to_string(),
            )
            .await?
            .map_or_else(|| o.to_string(), |s| s.label);
            my_orgs.push((o, name));
        }
    }
    render(CallPage { c, k, my_orgs })
}

#[derive(Template)]
#[template(path = "call_worklist.html")]
struct WorklistPage {
    c: Chrome,
    k: Call,
    list: CallWorklist,
    status: String,
    sort: String,
    page: poles_core::Page,
}

impl WorklistPage {
    fn filter_href(&self, status: &str) -> String {
        self.c.href(&format!(
            "/calls/{}/applications?status={}&sort={}",
            self.k.slug,
            urlencode(status),
            urlencode(&self.sort)
        ))
    }

    fn page_href(&self, offset: &i64) -> String {
        self.c.href(&format!(
            "/calls/{}/applications?status={}&sort={}&offset={offset}",
            self.k.slug,
            urlencode(&self.status),
            urlencode(&self.sort)
        ))
    }

    fn prev_offset(&self) -> Option<i64> {
        (self.page.offset > 0).then(|| (self.page.offset - self.page.limit).max(0))
    }

    fn next_offset(&self) -> Option<i64> {
        (self.page.offset + self.page.limit < self.list.total)
            .then_some(self.page.offset + self.page.limit)
    }

    fn sorted(&self, k: &str) -> bool {
        self.sort == k
    }

    fn all_count(&self) -> i64 {
        self.list.counts.iter().map(|c| c.count).sum()
    }

    fn euros(&self, cents: &Option<i64>) -> String {
        cents.map_or_else(|| "—".into(), |v| euros(v, self.c.lang()))
    }
}

/// A call's worklist, for the officers who run it and the funder officers of its funders:
/// every application with its status, eligibility, labels, reviews and proposal.
async fn worklist(
    State(st): State<AppState>,
    c: Chrome,
    SignedIn(me): SignedIn,
    Path(slug): Path<String>,
    Query(p): Query<Params>,
) -> PageResult {
    let status = params::get(&p, "status")
        .map(|s| ApplicationStatus::parse("status", &s))
        .transpose()?;
    let sort = match params::get(&p, "sort").as_deref() {
        None | Some("recent") => Sort::Recent,
        Some("acronym") => Sort::Acronym,
        Some("status") => Sort::Status,
        Some(_) => {
            return Err(PageError::from(FieldError::new(
                "sort",
                "must be recent, acronym or status",
            )))
        }
    };
    let page = params::page(&p)?;
    let q = ListQuery { status, sort, page };
    let list = lists::call_worklist(&st.app, &me, &slug, &q).await?;
    let k = calls::get(&st.app, &slug).await?;
    render(WorklistPage {
        c,
        k,
        list,
        status: params::get(&p, "status").unwrap_or_default(),
        sort: params::get(&p, "sort").unwrap_or_else(|| "recent".into()),
        page,
    })
}
