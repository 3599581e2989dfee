//! The demo's workflow: on first start a call is open that day and a dozen fictional
//! applications sit at every stage, so each role's worklist has work; everything invented
//! is marked as such and stays out of the open data.

use crate::applications::{call, who_with, Who};
use crate::support::{client, connect, get_json, spawn};
use poles_core::Date;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::collections::BTreeMap;

async fn page(base: &str, w: &Who, path: &str) -> String {
    let r = client()
        .get(format!("{base}{path}"))
        .header("cookie", &w.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.text().await.unwrap()
}

#[tokio::test]
async fn the_demo_starts_with_a_call_open_today_and_applications_at_every_stage() {
    let server = spawn(true);
    let base = server.base.as_str();
    let db = connect(&server.db_url).await;
    let app = poles_app::App::new(db.clone(), Default::default());
    let today = Date::today();
    let w = poles_app::demo::load(&app, today)
        .await
        .unwrap()
        .expect("the first start loads the workflow");
    assert!(
        poles_app::demo::load(&app, today).await.unwrap().is_none(),
        "once per database"
    );
    assert_eq!(w.applications, 13);
    let password = |email: &str| {
        w.accounts
            .iter()
            .find(|a| a.email == email)
            .and_then(|a| a.password.clone())
            .unwrap_or_else(|| panic!("{email} created with a password"))
    };
    let officer = who_with(
        base,
        "officer@demo.poles.invalid",
        &password("officer@demo.poles.invalid"),
    )
    .await;

    // The open call's dates follow the day of first start; the past session is closed.
    let (_, open) = get_json(&format!("{base}/api/v1/calls/demo-open-call")).await;
    assert_eq!(open["fictional"], true);
    assert_eq!(open["opens_on"], today.add_days(-30).to_string());
    assert_eq!(open["deadline"], today.add_days(45).to_string());
    let (_, past) = get_json(&format!("{base}/api/v1/calls/demo-past-session")).await;
    assert_eq!(past["deadline"], today.add_days(-110).to_string());

    // The officer's worklists: every stage is there.
    let mut statuses = BTreeMap::new();
    for slug in ["demo-open-call", "demo-past-session"] {
        let (s, list) = call(
            base,
            &officer,
            Method::GET,
            &format!("/api/v1/calls/{slug}/worklist?limit=50"),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{list}");
        for item in list["items"].as_array().unwrap() {
            assert_eq!(item["fictional"], true, "{item}");
            *statuses
                .entry(item["status"].as_str().unwrap().to_string())
                .or_insert(0) += 1;
        }
    }
    let expected: BTreeMap<String, i32> = [
        ("draft", 4),
        ("submitted", 4),
        ("withdrawn", 1),
        ("rejected", 1),
        ("ineligible", 1),
        ("selected", 1),
        ("running", 1),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(statuses, expected);

    // The past session's labels came before its deadline: its projects stay eligible.
    let cristal: i64 = sqlx::query_scalar("SELECT id FROM applications WHERE acronym = 'CRISTAL'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let (_, a) = call(
        base,
        &officer,
        Method::GET,
        &format!("/api/v1/applications/{cristal}"),
        None,
    )
    .await;
    assert_eq!(a["eligibility"]["eligible"], true, "{a}");

    // The ranking and the optimiser have something to work on.
    let (_, ranking) = call(
        base,
        &officer,
        Method::GET,
        "/api/v1/calls/demo-past-session/ranking",
        None,
    )
    .await;
    assert!(ranking.as_array().unwrap().len() >= 4, "{ranking}");
    let (s, optimised) = call(
        base,
        &officer,
        Method::POST,
        "/api/v1/calls/demo-past-session/optimise",
        Some(serde_json::json!({"time_limit_ms": 500})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{optimised}");

    // Each role finds its work: the pôle's labelling queue, the reviewer's queue, the
    // region officer, the applicant's own applications.
    let manager = who_with(
        base,
        "minalogic@demo.poles.invalid",
        &password("minalogic@demo.poles.invalid"),
    )
    .await;
    let (_, queue) = call(
        base,
        &manager,
        Method::GET,
        "/api/v1/clusters/minalogic/labelling-queue?status=requested",
        None,
    )
    .await;
    assert_eq!(queue["total"], 1, "{queue}");
    let reviewer = who_with(
        base,
        "reviewer@demo.poles.invalid",
        &password("reviewer@demo.poles.invalid"),
    )
    .await;
    let (_, reviews) = call(base, &reviewer, Method::GET, "/api/v1/me/reviews", None).await;
    assert_eq!(reviews["to_do"], 1, "{reviews}");
    let applicant = who_with(
        base,
        "applicant@demo.poles.invalid",
        &password("applicant@demo.poles.invalid"),
    )
    .await;
    let (_, mine) = call(
        base,
        &applicant,
        Method::GET,
        "/api/v1/me/applications?limit=50",
        None,
    )
    .await;
    assert!(mine["total"].as_i64().unwrap() >= 5, "{mine}");
    let id = mine["items"][0]["id"].as_i64().unwrap();

    // Marked fictional on the pages that show it, in both languages.
    let html = page(base, &applicant, &format!("/applications/{id}?lang=en")).await;
    assert!(html.contains("fictional (demo)"), "application page");
    let html = page(base, &officer, "/calls/demo-open-call?lang=fr").await;
    assert!(html.contains("fictif (démo)"), "call page");
    let html = page(
        base,
        &officer,
        "/calls/demo-past-session/applications?lang=en",
    )
    .await;
    assert!(html.matches("fictional (demo)").count() >= 7, "worklist");

    // The follow-up page of a decided project: a schedule above what was decided comes back
    // as the page with the amount as typed and the reason beside the form.
    let (microflu, lead_org): (i64, i64) = sqlx::query_as(
        "SELECT id, lead_organisation_id FROM applications WHERE acronym = 'MICROFLU'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    let html = page(
        base,
        &officer,
        &format!("/applications/{microflu}/follow-up?lang=fr"),
    )
    .await;
    assert!(html.contains("Échéancier") && html.contains("fictif (démo)"));
    let r = client()
        .post(format!(
            "{base}/applications/{microflu}/follow-up/schedule?lang=en"
        ))
        .header("cookie", &officer.cookie)
        .form(&[
            ("csrf", officer.csrf.as_str()),
            ("partner_0", &lead_org.to_string()),
            ("funder_0", "state"),
            ("kind_0", "advance"),
            ("due_0", &today.to_string()),
            ("amount_0", "99999999"),
            ("amount_1", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let html = r.text().await.unwrap();
    assert!(
        html.contains(r#"value="99999999""#),
        "the amount typed is kept"
    );
    let form = html.split(r#"id="schedule""#).nth(1).unwrap();
    assert!(form.contains("field-error"), "the reason beside the form");

    // The open data leaves the invented organisations and projects out.
    let (_, orgs) = get_json(&format!("{base}/api/v1/organisations?q=Alpivision")).await;
    assert_eq!(orgs["total"], 0, "{orgs}");
    let (_, found) = get_json(&format!("{base}/api/v1/search?q=Alpivision")).await;
    assert_eq!(found["total"], 0, "{found}");
    let (_, funded) = get_json(&format!("{base}/api/v1/funded-projects")).await;
    assert!(
        !funded
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["call"].as_str().is_some_and(|c| c.starts_with("demo-"))),
        "{funded}"
    );
    let mut export = Vec::new();
    poles_store::export::export_json(&db, &mut export)
        .await
        .unwrap();
    let export: Value = serde_json::from_slice(&export).unwrap();
    let names: Vec<&str> = export["organisations"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["name"].as_str())
        .collect();
    assert!(names.len() > 10_000, "the real organisations are exported");
    assert!(!names.iter().any(|n| n.contains("Alpivision")));
}
