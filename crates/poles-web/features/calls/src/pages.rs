//! The pages of calls: the list with the projects they funded, and a call's rules with their
//! sources (and, for members of organisations, the form to apply).

use crate::http::error::PageResult;
use crate::ui::chrome::Chrome;
use crate::ui::render::render;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::Router;
use poles_app::access::Ability;
use poles_app::calls::{self, FundedProject};
use poles_core::model::Call;

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/calls", get(calls_page))
        .route("/calls/{slug}", get(call))
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
}

impl CallPage {
    /// The organisations the signed-in user may apply for.
    fn my_orgs(&self) -> Vec<i64> {
        self.c
            .actor
            .as_ref()
            .map(|a| a.organisations())
            .unwrap_or_default()
            .into_iter()
            .filter(|o| self.c.may(Ability::ApplyFor(*o)))
            .collect()
    }

    fn pct<T: std::borrow::Borrow<i64>>(&self, bp: T) -> String {
        poles_core::calls::pct(*bp.borrow(), self.c.lang())
    }

    fn optimise_href(&self) -> String {
        self.c.href(&format!("/calls/{}/optimise", self.k.slug))
    }
}

async fn call(State(st): State<AppState>, c: Chrome, Path(slug): Path<String>) -> PageResult {
    let k = calls::get(&st.app, &slug).await?;
    render(CallPage { c, k })
}
