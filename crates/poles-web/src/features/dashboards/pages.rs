//! Funding dashboards, the page: per programming period, the EU amounts by region and by
//! year (stacked by fund), each chart with its table and a CSV export.

use crate::http::error::PageResult;
use crate::http::params::{self, Params};
use crate::ui::charts::{stacked_bars, Row};
use crate::ui::chrome::Chrome;
use crate::ui::format;
use crate::ui::render::{csv_download, render_with};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use poles_app::dashboards::{self, EuFunds, EuLine, EuPeriod};

pub fn pages() -> Router<AppState> {
    Router::new().route("/dashboards", get(page))
}

struct Chart {
    period: String,
    by: &'static str,
    svg: String,
}

#[derive(Template)]
#[template(path = "dashboards.html")]
struct Page {
    c: Chrome,
    eu: EuFunds,
    charts: Vec<Chart>,
}

impl Page {
    fn money(&self, cents: &i64) -> String {
        format::euros(*cents, self.c.t.lang)
    }
    fn label(&self, l: &EuLine) -> String {
        if l.key.is_empty() {
            self.c.t.t("dash.unknown").to_string()
        } else {
            l.label.clone()
        }
    }
    fn chart(&self, period: &str, by: &str) -> String {
        self.charts
            .iter()
            .find(|c| c.period == period && c.by == by)
            .map(|c| c.svg.clone())
            .unwrap_or_default()
    }
    fn csv_href(&self, p: &EuPeriod, by: &str) -> String {
        self.c.href(&format!(
            "/dashboards?period={}&by={by}&format=csv",
            p.period
        ))
    }
}

async fn page(State(st): State<AppState>, c: Chrome, Query(q): Query<Params>) -> PageResult {
    let eu = dashboards::eu_funds(&st.app).await?;
    let lang = c.t.lang;
    if params::get(&q, "format").as_deref() == Some("csv") {
        let period = params::get(&q, "period").unwrap_or_default();
        let by = params::get(&q, "by").unwrap_or_else(|| "region".into());
        let p = eu
            .periods
            .iter()
            .find(|p| p.period == period)
            .ok_or(poles_app::AppError::NotFound("period"))?;
        let list = if by == "year" {
            &p.by_year
        } else {
            &p.by_region
        };
        let mut header = vec![
            if by == "year" { "year" } else { "region" }.to_string(),
            "name".into(),
            "operations".into(),
            "eu_amount_eur".into(),
            "total_eur".into(),
        ];
        header.extend(p.funds.iter().map(|f| format!("eu_amount_{f}_eur")));
        header.push("source".into());
        let eur = |c: i64| format!("{}.{:02}", c / 100, c % 100);
        let rows = list.iter().map(|l| {
            let mut r = vec![
                l.key.clone(),
                l.label.clone(),
                l.operations.to_string(),
                eur(l.eu_cents),
                eur(l.total_cents),
            ];
            r.extend(l.eu_cents_by_fund.iter().map(|c| eur(*c)));
            r.push(p.source.clone());
            r
        });
        let header: Vec<&str> = header.iter().map(String::as_str).collect();
        return Ok(csv_download(
            &format!("eu-funds-{}-by-{by}.csv", p.period),
            &header,
            rows,
        ));
    }
    let unknown = c.t.t("dash.unknown").to_string();
    let mut charts = Vec::new();
    for p in &eu.periods {
        for (by, key) in [("region", "dash.chart_region"), ("year", "dash.chart_year")] {
            let list = if by == "year" {
                &p.by_year
            } else {
                &p.by_region
            };
            let rows: Vec<Row> = list
                .iter()
                .map(|l| Row {
                    label: if l.key.is_empty() {
                        unknown.clone()
                    } else {
                        l.label.clone()
                    },
                    values: l.eu_cents_by_fund.clone(),
                })
                .collect();
            charts.push(Chart {
                period: p.period.clone(),
                by,
                svg: stacked_bars(
                    &format!("{} — {}", c.t.t(key), p.period),
                    &p.funds,
                    &rows,
                    |v| format::euros(v, lang),
                ),
            });
        }
    }
    Ok(render_with(Page { c, eu, charts }, StatusCode::OK))
}
