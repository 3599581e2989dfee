//! The programme's money: budgets, R&D zones, the benefits simulator, relief caps that
//! hold under concurrent records, and the allocation optimiser on a real call.

use crate::accounts::{app, make_user};
use crate::applications::{call, submitted_scaled, who};
use crate::support::{client, connect, shared, spawn};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn get(base: &str, path: &str) -> (StatusCode, Value) {
    let r = client().get(format!("{base}{path}")).send().await.unwrap();
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

async fn page(base: &str, path: &str) -> (StatusCode, String) {
    let r = client().get(format!("{base}{path}")).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

#[tokio::test]
async fn budgets_show_committed_paid_and_available_per_funder_in_their_currency() {
    let base = shared().base.as_str();
    let (s, b) = get(base, "/api/v1/budgets").await;
    assert_eq!(s, StatusCode::OK);
    let line = |code: &str| {
        b["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["code"] == code)
            .unwrap_or_else(|| panic!("{code}"))
            .clone()
    };
    // FUI-23: the sources record the State's €38M as committed in 2017.
    let fui23 = line("fui23-state");
    assert_eq!(fui23["amount_cents"], 3_800_000_000i64);
    assert_eq!(fui23["committed_cents"], 3_800_000_000i64);
    assert_eq!(fui23["available_cents"], 0);
    assert_eq!(fui23["by_year"][0]["year"], 2017);
    // The press kit's dollars stay dollars, marked K.
    let pk = line("pk-ministries-2007");
    assert_eq!(pk["currency"], "USD");
    assert_eq!(pk["amount_cents"], 29_700_000_000i64);
    assert_eq!(pk["certainty"], "K");
    // Per-funder totals never add two currencies.
    let ministries: Vec<&Value> = b["by_funder"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["funder"] == "ministries" || f["funder"] == "state")
        .collect();
    assert!(ministries.iter().any(|f| f["currency"] == "USD"));
    assert!(ministries.iter().any(|f| f["currency"] == "EUR"));
    // The shipped FUI 2007 call draws on the FUI 2006-2008 line.
    let (_, c) = get(base, "/api/v1/calls/fui-2007").await;
    let state = c["funders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["funder"] == "state")
        .unwrap();
    assert_eq!(state["budget"], "fui-2006-2008");

    for lang in ["fr", "en"] {
        let (s, html) = page(base, &format!("/budgets?lang={lang}")).await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("line-fui23-state"));
        assert!(
            html.matches("<svg class=\"chart\"").count() >= 4,
            "charts drawn"
        );
        assert!(html.contains("programme_tax_annual") || html.contains("cap-programme_tax_annual"));
    }
    let (_, html) = page(base, "/budgets?lang=en").await;
    assert!(
        html.contains("enforced as"),
        "the dollar cap shows its stated euro basis"
    );
    // Company caps and the record form are for officers only.
    assert!(!html.contains("/budgets/relief"));
}

#[tokio::test]
async fn rd_zones_are_found_by_commune_and_postcode() {
    let base = shared().base.as_str();
    let (s, z) = get(base, "/api/v1/rd-zones?postcode=38000").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(z[0]["cluster"], "minalogic");
    assert_eq!(z[0]["commune"], "38185");
    assert_eq!(z[0]["illustrative"], true);
    let (_, z) = get(base, "/api/v1/rd-zones?commune=31555").await;
    let clusters: Vec<&str> = z
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["cluster"].as_str().unwrap())
        .collect();
    assert!(clusters.contains(&"aerospace-valley") && clusters.contains(&"cancer-bio-sante"));
    let (_, z) = get(base, "/api/v1/rd-zones?commune=23001").await;
    assert_eq!(z, json!([]));
    let (s, e) = get(base, "/api/v1/rd-zones").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(e["error"]["field"], "commune");
    let (s, e) = get(base, "/api/v1/rd-zones?postcode=38%27--").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(e["error"]["field"], "postcode");
    let (_, z) = get(base, "/api/v1/clusters/minalogic/rd-zone").await;
    assert!(z.as_array().unwrap().len() >= 4);
    let (_, html) = page(base, "/clusters/minalogic?lang=en").await;
    assert!(html.contains("id=\"rd-zone\""));
    assert!(html.contains("Grenoble") && html.contains("Illustrative list"));
}

fn profile(start: &str) -> Value {
    json!({
        "size": "sme", "staff": 40, "turnover_cents": 600_000_000, "balance_sheet_cents": 400_000_000,
        "founded_on": "1990-01-01", "rd_share_bp": 1000, "rd_staff": 0, "rd_wages_cents": 0,
        "profits_cents": [100_000_000], "flat_tax_cents": 375_000, "start": start, "postcode": "38000",
        "years": 6
    })
}

#[tokio::test]
async fn the_simulator_says_when_a_scheme_closed() {
    let base = shared().base.as_str();
    let post = |body: Value| async move {
        let r = client()
            .post(format!("{base}/api/v1/simulate"))
            .json(&body)
            .send()
            .await
            .unwrap();
        (r.status(), r.json::<Value>().await.unwrap())
    };
    let scheme = |r: &Value, code: &str| {
        r["simulation"]["schemes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["scheme"] == code)
            .cloned()
            .unwrap()
    };
    // The day before the R&D-zone relief closed to new entrants: 1,000,000 of profit, tax
    // 1/3 exactly = 333,333.33, exempt 100 %; plus the 3,750 flat tax; under the €500k de
    // minimis of 2007-2009.
    let (s, before) = post(profile("2009-11-16")).await;
    assert_eq!(s, StatusCode::OK, "{before}");
    assert_eq!(before["zones"][0]["cluster"], "minalogic");
    assert_eq!(scheme(&before, "rd_zone_tax")["status"], "open");
    let y2009 = &before["simulation"]["years"][0];
    assert_eq!(y2009["year"], 2009);
    let profit_tax = y2009["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["item"] == "profit_tax")
        .unwrap();
    assert_eq!(profit_tax["cents"], 33_333_333);
    let source = profit_tax["source"].as_str().unwrap();
    assert!(source.contains("public sources on the pôles programme") && !source.contains(".md"));
    assert_eq!(y2009["total_cents"], 33_333_333 + 375_000);
    // The day it closed.
    let (_, after) = post(profile("2009-11-17")).await;
    let z = scheme(&after, "rd_zone_tax");
    assert_eq!(z["status"], "closed");
    assert!(z["explanation_en"].as_str().unwrap().contains("2009-11-17"));
    assert!(z["explanation_fr"].as_str().unwrap().contains("Fermé"));
    assert_eq!(after["simulation"]["total_cents"], 0);
    // Pôle social relief: abolished for projects validated from 2007.
    assert_eq!(scheme(&after, "pole_social")["status"], "closed");
    // With a call: the grant line cites the call's rate.
    let mut p = profile("2007-06-01");
    p["call"] = json!("fui-2007");
    p["project_costs"] =
        json!({"staff": 100_000_000, "equipment": 0, "subcontracting": 0, "overheads": 0});
    let (_, g) = post(p).await;
    let grant: i64 = g["simulation"]["years"][0]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["item"].as_str().unwrap().starts_with("grant:"))
        .map(|l| l["cents"].as_i64().unwrap())
        .sum();
    assert_eq!(grant, 45_000_000, "45 % of €1M for an SME in the zone");
    // Bad input: 400 naming the field.
    let mut bad = profile("2009-02-30x");
    let (s, e) = post(bad.clone()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(e["error"]["field"], "start");
    bad["start"] = json!("2009-01-01");
    bad["rd_share_bp"] = json!(20_000);
    let (_, e) = post(bad).await;
    assert_eq!(e["error"]["field"], "rd_share_bp");

    // The whole answer for a worked profile, kept as a snapshot (the same on both databases).
    let mut worked = profile("2007-03-15");
    worked["founded_on"] = json!("2003-05-01");
    worked["rd_share_bp"] = json!(2500);
    worked["rd_staff"] = json!(12);
    worked["rd_wages_cents"] = json!(54_000_000);
    worked["profits_cents"] = json!([-10_000_000, 25_000_000, 40_000_000]);
    worked["local_taxes_cents"] = json!(2_500_000);
    worked["local_exemption_voted"] = json!(true);
    worked["call"] = json!("fui-2007");
    worked["project_costs"] =
        json!({"staff": 90_000_000, "equipment": 30_000_000, "subcontracting": 0, "overheads": 0});
    worked["years"] = json!(8);
    let (s, answer) = post(worked).await;
    assert_eq!(s, StatusCode::OK);
    insta::assert_json_snapshot!("simulation_worked_profile", answer);

    // The page, in both languages, with its chart, lines and assumptions.
    let q = "start=2007-03-15&size=sme&staff=40&turnover=6000000&balance_sheet=4000000&founded_on=2003-05-01&independent=on&rd_share=25&postcode=38000&rd_staff=12&rd_wages=540000&project_costs=1200000&profits=-100000%2C+250000&flat_tax=3750&local_taxes=25000&local_voted=on&other_de_minimis=0&years=8&call=fui-2007";
    let (s, en) = page(base, &format!("/simulator?lang=en&{q}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(en.contains("What the programme could give"));
    assert!(en.contains("<svg class=\"chart\""));
    assert!(en.contains("Young innovative company"));
    assert!(en.contains("Assumptions"));
    let (_, fr) = page(base, &format!("/simulator?lang=fr&{q}")).await;
    assert!(fr.contains("Ce que le programme pourrait apporter"));
    assert!(fr.contains("Hypothèses"));
    let (_, err) = page(base, "/simulator?lang=en&start=2007-01-01&staff=many").await;
    assert!(err.contains("data-field=\"staff\""));
}

/// The simulator for a company of 2026 and for one of 2007, through the API and the page.
#[tokio::test]
async fn the_simulator_knows_2026_and_2007() {
    let base = shared().base.as_str();
    let post = |body: Value| async move {
        let r = client()
            .post(format!("{base}/api/v1/simulate"))
            .json(&body)
            .send()
            .await
            .unwrap();
        (r.status(), r.json::<Value>().await.unwrap())
    };
    // An SME in Toulouse, project validated in March 2026, asking for the 2018 call: the call
    // is closed, no grant is counted; its €600,000 of R&D staff costs give a CIR base of
    // 600,000 + 40 % × 600,000 = 840,000 and a credit of 30 % = 252,000.
    let (s, r) = post(json!({
        "size": "sme", "staff": 30, "turnover_cents": 400_000_000, "balance_sheet_cents": 300_000_000,
        "founded_on": "2003-01-01", "rd_share_bp": 1500, "rd_staff": 8, "rd_wages_cents": 45_000_000,
        "rd_staff_costs_cents": 60_000_000, "profits_cents": [0], "start": "2026-03-16",
        "postcode": "31000", "call": "fui-25", "years": 1,
        "project_costs": {"staff": 100_000_000, "equipment": 0, "subcontracting": 0, "overheads": 0}
    }))
    .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let sim = &r["simulation"];
    let lines = sim["years"][0]["lines"].as_array().unwrap();
    assert!(lines
        .iter()
        .all(|l| !l["item"].as_str().unwrap().starts_with("grant")));
    let cir = lines.iter().find(|l| l["scheme"] == "cir").unwrap();
    assert_eq!(cir["cents"], 25_200_000);
    assert!(cir["rule_en"].as_str().unwrap().contains("base €840,000"));
    assert_eq!(sim["total_cents"], 25_200_000);
    assert_eq!(sim["confirmed_cents"], 25_200_000);
    assert_eq!(sim["unconfirmed_cents"], 0);
    let closed = sim["schemes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["scheme"] == "call:fui-25")
        .unwrap();
    assert_eq!(closed["status"], "closed");
    assert!(closed["explanation_en"]
        .as_str()
        .unwrap()
        .starts_with("Closed on 2018-12-31"));
    // No call is open for a project of 2026; each says when it closed.
    let calls = r["calls"].as_array().unwrap();
    assert!(calls.len() >= 2);
    assert!(calls
        .iter()
        .filter(|c| c["call"] == "fui-25" || c["call"] == "fui-2007")
        .all(|c| c["status"] == "closed"));
    // The 23-year-old company reads what the JEI requires.
    let jei = sim["schemes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["scheme"] == "jei")
        .unwrap();
    assert!(jei["explanation_en"]
        .as_str()
        .unwrap()
        .contains("founded less than 8 years before the project's date (this one: 23 years)"));

    // The 2007 case: an SME of 60 staff in Grenoble, founded March 2001, R&D 20 % of charges,
    // €675k of R&D wages, a €1M FUI-2007 project validated on 1 June 2007 (the core's unit
    // test writes out each figure): €1,380,416.66 with the rules of version 2.
    let (s, r) = post(json!({
        "size": "sme", "staff": 60, "turnover_cents": 600_000_000, "balance_sheet_cents": 400_000_000,
        "founded_on": "2001-03-01", "rd_share_bp": 2000, "rd_staff": 12, "rd_wages_cents": 67_500_000,
        "profits_cents": [-10_000_000, 25_000_000, 40_000_000], "flat_tax_cents": 375_000,
        "local_taxes_cents": 2_500_000, "local_exemption_voted": true, "start": "2007-06-01",
        "postcode": "38000", "call": "fui-2007", "years": 8,
        "project_costs": {"staff": 100_000_000, "equipment": 0, "subcontracting": 0, "overheads": 0}
    }))
    .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["simulation"]["total_cents"], 138_041_666);
    assert_eq!(r["simulation"]["confirmed_cents"], 90_625_000);
    assert_eq!(r["simulation"]["rules"], "relief v2");

    // The page: the 2018 call is not offered for 2026, it is listed with why; the headline
    // gives the confirmed amount.
    let q = "start=2026-03-16&size=sme&staff=30&turnover=4000000&balance_sheet=3000000&founded_on=2003-01-01&independent=on&rd_share=15&postcode=31000&rd_staff=8&rd_wages=450000&rd_staff_costs=600000&other_rd_spending=0&innovation_spending=0&project_costs=1000000&profits=0&flat_tax=0&local_taxes=0&other_de_minimis=0&years=1&call=fui-25";
    let (s, en) = page(base, &format!("/simulator?lang=en&{q}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(!en.contains("<option value=\"fui-25\""));
    assert!(en.contains("data-call=\"fui-25\""));
    assert!(en.contains("Closed on 2018-12-31"));
    assert!(en.contains("€252,000 in 2026, all on figures confirmed by a public source."));
    assert!(en.contains("Research tax credit (CIR)"));
    let (_, fr) = page(base, &format!("/simulator?lang=fr&{q}")).await;
    assert!(fr.contains("Clos le 2018-12-31"));
    // The rules' sources in French too (the law's own references kept).
    assert!(
        fr.contains("Loi de finances 2025-127 du 14 février 2025"),
        "{fr}"
    );
    assert!(!fr.contains("Finance law 2025-127"));
    assert!(en.contains("Finance law 2025-127 of 14 Feb 2025"));
    assert!(
        fr.contains("Crédit d&#39;impôt recherche (CIR)")
            || fr.contains("Crédit d'impôt recherche (CIR)")
    );
    // A refused figure is said beside its label, in the page's language, never by the
    // field's internal name.
    let bad = q.replace("staff=30", "staff=trente");
    let (s, fr) = page(base, &format!("/simulator?lang=fr&{bad}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        fr.contains("data-field=\"staff\">Effectif — doit être un nombre entier</p>"),
        "{fr}"
    );
    let (_, en) = page(base, &format!("/simulator?lang=en&{bad}")).await;
    assert!(en.contains("data-field=\"staff\">Staff"), "{en}");
    assert!(en.contains(" — must be a whole number</p>"), "{en}");
    // Nothing applies: words, not a chart of empty bars.
    let empty = q
        .replace("rd_staff_costs=600000", "rd_staff_costs=0")
        .replace("rd_wages=450000", "rd_wages=0")
        .replace("rd_staff=8", "rd_staff=0");
    let (_, en) = page(base, &format!("/simulator?lang=en&{empty}")).await;
    assert!(en.contains("No amount for a project of 2026-03-16"), "{en}");
    assert!(!en.contains("<svg class=\"chart\""));
    assert!(!en.contains("Conditions not met"));
    // A 2007 date offers the 2007 call.
    let (_, en) = page(base, "/simulator?lang=en&start=2007-06-01&size=sme&staff=60&turnover=6000000&balance_sheet=4000000&founded_on=2001-03-01&independent=on&rd_share=20&postcode=38000&rd_staff=12&rd_wages=675000&project_costs=1000000&profits=-100000%2C+250000%2C+400000&flat_tax=3750&local_taxes=25000&local_voted=on&other_de_minimis=0&years=8&call=fui-2007").await;
    assert!(en.contains("<option value=\"fui-2007\" selected>"));
    assert!(
        en.contains("€906,250 confirmed over 2007-2012; up to €1,380,416.66"),
        "{en}"
    );
}

/// Records relief through the API as an officer.
async fn record(
    base: &str,
    o: &crate::applications::Who,
    org: i64,
    scheme: &str,
    on: &str,
    cents: i64,
) -> (StatusCode, Value) {
    call(
        base,
        o,
        Method::POST,
        "/api/v1/relief/records",
        Some(json!({"organisation_id": org, "scheme": scheme, "granted_on": on, "amount_cents": cents})),
    )
    .await
}

#[tokio::test]
async fn a_company_de_minimis_holds_under_concurrent_records() {
    let app = app();
    let base = app.base.as_str();
    make_user(
        app,
        "relief-officer@test.invalid",
        "programme_officer",
        None,
    )
    .await;
    let o = who(base, "relief-officer@test.invalid").await;
    let db = connect(&app.db_url).await;
    let org: i64 = sqlx::query_scalar("SELECT id FROM organisations ORDER BY id DESC LIMIT 1")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    // 2013: the cap is €200k over 2011-2013. Ten records of €30k at once: six fit.
    let results = record_all(
        base,
        &o,
        (0..10)
            .map(|k| (org, format!("2013-03-{:02}", k + 1), 3_000_000))
            .collect(),
    )
    .await;
    let ok = results
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    assert_eq!(ok, 6, "{results:?}");
    for (s, r) in results.iter().filter(|(s, _)| *s != StatusCode::CREATED) {
        assert_eq!(*s, StatusCode::BAD_REQUEST);
        assert_eq!(r["error"]["field"], "amount_cents");
        assert!(
            r["error"]["message"]
                .as_str()
                .unwrap()
                .contains("De minimis"),
            "{r}"
        );
    }
    // €20k are left in the window: a €20k record fits, one more euro does not.
    let (s, _) = record(base, &o, org, "rd_zone_tax", "2013-12-01", 2_000_000).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = record(base, &o, org, "rd_zone_tax", "2013-12-02", 100).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // In 2014 the window is 2012-2014: still €200k used.
    let (s, _) = record(base, &o, org, "rd_zone_tax", "2014-01-02", 100).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // 2016: window 2014-2016, empty.
    let (s, _) = record(base, &o, org, "rd_zone_tax", "2016-01-02", 100).await;
    assert_eq!(s, StatusCode::CREATED);
    // A back-dated record must fit in every window it falls in: €150k in 2018, then €150k
    // dated 2017 would make 2016-2018 hold €300k.
    let (s, _) = record(base, &o, org, "rd_zone_tax", "2018-05-01", 15_000_000).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, e) = record(base, &o, org, "rd_zone_tax", "2017-05-01", 15_000_000).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("window 2016-2018"),
        "{e}"
    );
    let (s, caps) = call(
        base,
        &o,
        Method::GET,
        &format!("/api/v1/relief/caps?year=2013&organisation={org}"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let dm = caps
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["cap"] == "de_minimis")
        .unwrap();
    assert_eq!(dm["used_cents"], 20_000_000);
    assert_eq!(dm["left_cents"], 0);
    // The organisation's page shows its relief to officers only.
    let html = client()
        .get(format!("{base}/organisations/{org}?lang=en"))
        .header("cookie", &o.cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("id=\"relief\"") && html.contains("rd_zone_tax"));
    let (_, public) = page(base, &format!("/organisations/{org}?lang=en")).await;
    assert!(!public.contains("id=\"relief\""));
    // Only officers see companies' caps and record relief; refusals are audited as usual.
    let anon = client()
        .get(format!("{base}/api/v1/relief/caps"))
        .send()
        .await
        .unwrap();
    assert_eq!(anon.status(), StatusCode::UNAUTHORIZED);
    make_user(
        app,
        "relief-member@test.invalid",
        "organisation_member",
        Some(&org.to_string()),
    )
    .await;
    let m = who(base, "relief-member@test.invalid").await;
    let (s, _) = record(base, &m, org, "jei", "2013-01-01", 100).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, e) = record(base, &o, org, "no_such", "2013-01-01", 100).await;
    assert_eq!(
        (s, e["error"]["field"].clone()),
        (StatusCode::BAD_REQUEST, json!("scheme"))
    );
    let (s, e) = record(base, &o, org, "jei", "2013-02-30x", 100).await;
    assert_eq!(
        (s, e["error"]["field"].clone()),
        (StatusCode::BAD_REQUEST, json!("granted_on"))
    );
}

/// Sends relief records all at once, each from its own task.
async fn record_all(
    base: &str,
    o: &crate::applications::Who,
    rows: Vec<(i64, String, i64)>,
) -> Vec<(StatusCode, Value)> {
    let mut set = tokio::task::JoinSet::new();
    for (org, on, cents) in rows {
        let (base, o) = (base.to_string(), o.clone());
        set.spawn(async move { record(&base, &o, org, "rd_zone_tax", &on, cents).await });
    }
    set.join_all().await
}

#[tokio::test]
async fn the_programme_annual_cap_holds_under_concurrent_records() {
    // A server of its own: this test fills the programme's 2007 tax-relief cap.
    let app = spawn(true);
    let base = app.base.as_str();
    make_user(&app, "cap-officer@test.invalid", "programme_officer", None).await;
    let o = who(base, "cap-officer@test.invalid").await;
    let db = connect(&app.db_url).await;
    let orgs: Vec<i64> = sqlx::query_scalar("SELECT id FROM organisations ORDER BY id LIMIT 505")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    // 499 companies already got €200k each in 2007: €99.8M of the €100M the $129M cap is
    // enforced at.
    for org in &orgs[..499] {
        sqlx::query("INSERT INTO relief_records (organisation_id, scheme, family, year, granted_on, amount_cents, currency, recorded_at) VALUES ($1, 'rd_zone_tax', 'tax', 2007, '2007-06-01', 20000000, 'EUR', '2026-01-01T00:00:00Z')")
            .bind(*org)
            .execute(&db.pool)
            .await
            .unwrap();
    }
    // Five more companies at once, €100k each: two fit.
    let results = record_all(
        base,
        &o,
        orgs[499..504]
            .iter()
            .map(|org| (*org, "2007-09-01".to_string(), 10_000_000))
            .collect(),
    )
    .await;
    let ok = results
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    assert_eq!(ok, 2, "{results:?}");
    let refused = results
        .iter()
        .find(|(s, _)| *s == StatusCode::BAD_REQUEST)
        .unwrap();
    assert!(
        refused.1["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Programme annual cap"),
        "{refused:?}"
    );
    let (_, caps) = call(base, &o, Method::GET, "/api/v1/relief/caps?year=2007", None).await;
    let annual = caps
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["cap"] == "programme_tax_annual")
        .unwrap();
    assert_eq!(annual["stated_currency"], "USD");
    assert_eq!(annual["stated_cents"], 12_900_000_000i64);
    assert_eq!(annual["limit_eur_cents"], 10_000_000_000i64);
    assert_eq!(annual["used_cents"], 10_000_000_000i64);
    assert_eq!(annual["left_cents"], 0);
    // 2009 is outside the press kit's period: the cap no longer applies.
    let (s, r) = record(base, &o, orgs[504], "rd_zone_tax", "2009-03-01", 10_000_000).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    // The officer's page shows the caps, the records and the form.
    let page = client()
        .get(format!("{base}/budgets?lang=en&year=2007"))
        .header("cookie", &o.cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("/budgets/relief"));
    assert!(page.contains("De minimis cap per company"));
    assert!(page.contains("Relief recorded, per year and scheme"));
    // An officer adds a budget line through the page's form.
    let post = |fields: Vec<(&'static str, &'static str)>| {
        let (base, o) = (base.to_string(), o.clone());
        async move {
            let mut form = vec![("csrf", o.csrf.clone())];
            form.extend(fields.into_iter().map(|(k, v)| (k, v.to_string())));
            client()
                .post(format!("{base}/budgets/lines?lang=en"))
                .header("cookie", &o.cookie)
                .form(&form)
                .send()
                .await
                .unwrap()
        }
    };
    let fields = vec![
        ("code", "region-84-2027"),
        ("funder", "region:84"),
        ("funder_kind", "region"),
        ("name_fr", "Région Auvergne-Rhône-Alpes, 2027"),
        ("name_en", "Auvergne-Rhône-Alpes region, 2027"),
        ("programme", "FUI"),
        ("period_start", "2027-01-01"),
        ("period_end", "2027-12-31"),
        ("amount", "12 500 000"),
        ("currency", "EUR"),
        ("certainty", "U"),
        ("source", "officer entry"),
    ];
    let r = post(fields.clone()).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .ends_with("#line-region-84-2027"));
    let (_, b) = get(base, "/api/v1/budgets").await;
    let added = b["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["code"] == "region-84-2027")
        .unwrap()
        .clone();
    assert_eq!(added["amount_cents"], 1_250_000_000i64);
    assert_eq!(added["available_cents"], 1_250_000_000i64);
    // The same code again: an error page naming the field, nothing added.
    let again = post(fields).await.text().await.unwrap();
    assert!(
        again.contains("code") && again.contains("already used"),
        "{again}"
    );
}

#[tokio::test]
async fn the_optimiser_beats_rank_order_and_explains_why() {
    let app = app();
    let base = app.base.as_str();
    make_user(app, "opt-officer@test.invalid", "programme_officer", None).await;
    let o = who(base, "opt-officer@test.invalid").await;
    let (s, r) = call(base, &o, Method::POST, "/api/v1/calls", Some(json!({"slug": "opt-call", "name_fr": "Appel optimiseur", "name_en": "Optimiser call", "programme": "FUI", "from_call": "fui-25", "deadline": crate::support::in_days(60), "source": "test"}))).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    // A asks much; B and C less. FUI-25 rates on the four partners (SME 50 %, large 30 %,
    // mid-size 35 %, lab 40 %) give 1.55 × the partner's costs in aid, half from the State.
    let a = submitted_scaled("opt-call", "opt-a", 1_000_000).await; // State €775,000
    let b = submitted_scaled("opt-call", "opt-b", 400_000).await; // State €310,000
    let c = submitted_scaled("opt-call", "opt-c", 400_000).await; // State €310,000
    let reviewer = make_user(app, "opt-reviewer@test.invalid", "reviewer", None).await;
    let rv = who(base, "opt-reviewer@test.invalid").await;
    for (id, score) in [(a, 9), (b, 8), (c, 7)] {
        let (s, r) = call(
            base,
            &o,
            Method::POST,
            &format!("/api/v1/applications/{id}/reviewers"),
            Some(json!({"reviewer_id": reviewer})),
        )
        .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{r}");
        let (s, r) = call(
            base,
            &rv,
            Method::POST,
            &format!("/api/v1/applications/{id}/review"),
            Some(json!({"scores": [{"criterion": 1, "score": score}]})),
        )
        .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{r}");
    }
    // State €800,000: rank order funds A (775,000) and stops at B; B + C (620,000) score more.
    let (s, r) = call(base, &o, Method::POST, "/api/v1/calls/opt-call/optimise", Some(json!({
        "envelopes": [{"funder": "state", "available_cents": 80_000_000}, {"funder": "region", "available_cents": 1_000_000_000},
                      {"funder": "region:76", "available_cents": 1_000_000_000}]}))).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["status"], "optimal");
    assert_eq!(r["rank_order"]["selected"], json!([a]));
    assert_eq!(r["rank_order"]["objective"], 900);
    assert_eq!(r["optimiser"]["selected"], json!([b, c]));
    assert_eq!(r["optimiser"]["objective"], 1500);
    assert_eq!(
        r["optimiser"]["spent"],
        json!([62_000_000, 62_000_000, 62_000_000]),
        "State, regions, and region 76's share of B and C"
    );
    assert_eq!(r["rank_order_stopped_at"], json!([2, "state"]));
    assert_eq!(r["changes"].as_array().unwrap().len(), 3);
    assert!(r["changes"][0]["reason_en"]
        .as_str()
        .unwrap()
        .contains("what it asks (state €775,000) no longer fits"));
    // Never overspends.
    for (k, spent) in r["optimiser"]["spent"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        assert!(spent.as_i64().unwrap() <= r["envelopes"][k]["available_cents"].as_i64().unwrap());
    }
    // Without figures it uses the call's envelopes, which must be set; an unknown funder is refused.
    let (s, e) = call(
        base,
        &o,
        Method::POST,
        "/api/v1/calls/opt-call/optimise",
        Some(json!({})),
    )
    .await;
    assert_eq!(
        (s, e["error"]["field"].clone()),
        (StatusCode::BAD_REQUEST, json!("envelopes"))
    );
    assert!(
        e["error"]["message"].as_str().unwrap().contains("not set"),
        "{e}"
    );
    let (s, e) = call(
        base,
        &o,
        Method::POST,
        "/api/v1/calls/opt-call/optimise",
        Some(json!({"envelopes": [{"funder": "anr", "available_cents": 1}]})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not a funder"),
        "{e}"
    );
    // Figures given only for some funders keep the call's envelopes for the others.
    let (s, _) = call(base, &o, Method::PUT, "/api/v1/calls/opt-call/selection", Some(json!({
        "envelopes": [{"funder": "state", "envelope_cents": 80_000_000}, {"funder": "region", "envelope_cents": 1_000_000_000}]}))).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, r) = call(
        base,
        &o,
        Method::POST,
        "/api/v1/calls/opt-call/optimise",
        Some(json!({"envelopes": [{"funder": "region:76", "available_cents": 70_000_000}]})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(
        r["envelopes"][0]["available_cents"], 80_000_000,
        "the State's envelope still holds"
    );
    // Region 76 has €700,000: B and C (620,000) fit, A (775,000) never could.
    assert_eq!(r["optimiser"]["selected"], json!([b, c]));
    // Applicants may not run it.
    let (s, _) = call(
        base,
        &rv,
        Method::POST,
        "/api/v1/calls/opt-call/optimise",
        Some(json!({})),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // The page, for officers.
    let html = client()
        .get(format!(
            "{base}/calls/opt-call/optimise?lang=fr&run=1&env_state=800000&env_region=10000000"
        ))
        .header("cookie", &o.cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("id=\"objective-optimiser\">15,00"), "{html}");
    assert!(html.contains("id=\"objective-rank\">9,00"));
    assert!(html.contains("Écarté par l&#39;optimiseur"));
    // Region 76's own envelope, offered because the projects' R&D is done there: €600,000
    // leaves room for B or C, not both, and never for A (€775,000 from the region).
    assert!(html.contains("name=\"env_region:76\""));
    assert!(html.contains("Occitanie"));
    let html = client()
        .get(format!(
            "{base}/calls/opt-call/optimise?lang=en&run=1&env_state=800000&env_region=10000000&env_region:76=600000"
        ))
        .header("cookie", &o.cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // Rank order stops at A at once; the optimiser funds B, the better of the two that fit.
    assert!(html.contains("id=\"objective-optimiser\">8.00"), "{html}");
    assert!(html.contains("id=\"objective-rank\">0.00"));
}

#[tokio::test]
async fn approvals_never_overspend_the_budget_line_a_call_draws_on() {
    let app = app();
    let base = app.base.as_str();
    make_user(app, "bl-officer1@test.invalid", "programme_officer", None).await;
    make_user(app, "bl-officer2@test.invalid", "programme_officer", None).await;
    let o1 = who(base, "bl-officer1@test.invalid").await;
    let o2 = who(base, "bl-officer2@test.invalid").await;
    let (s, r) = call(base, &o1, Method::POST, "/api/v1/calls", Some(json!({"slug": "budget-call", "name_fr": "Appel budget", "name_en": "Budget call", "programme": "FUI", "from_call": "fui-25", "deadline": crate::support::in_days(60), "source": "test"}))).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    // A dollar line cannot back a euro envelope; an unknown line is refused.
    for (line, why) in [
        ("pk-ministries-2007", "USD"),
        ("no-such-line", "no budget line"),
    ] {
        let (s, e) = call(
            base,
            &o1,
            Method::PUT,
            "/api/v1/calls/budget-call/selection",
            Some(json!({
            "envelopes": [{"funder": "state", "envelope_cents": 100_000_000, "budget": line}]})),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert_eq!(e["error"]["field"], "budget");
        assert!(e["error"]["message"].as_str().unwrap().contains(why), "{e}");
    }
    // A line of the sources: FUI-23, 2017. A decision today cannot draw on it.
    let (s, r) = call(
        base,
        &o1,
        Method::PUT,
        "/api/v1/calls/budget-call/selection",
        Some(json!({
        "envelopes": [{"funder": "state", "envelope_cents": 100_000_000, "budget": "fui23-state"},
                      {"funder": "region", "envelope_cents": 100_000_000}]})),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{r}");
    let id = submitted_scaled("budget-call", "bl", 100_000).await;
    let (s, p) = call(base, &o1, Method::POST, &format!("/api/v1/applications/{id}/proposals"), Some(json!({"lines": [{"funder": "state", "amount_cents": 1_000_000}, {"funder": "region", "amount_cents": 1_000_000}]}))).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let (s, e) = call(
        base,
        &o2,
        Method::POST,
        &format!("/api/v1/proposals/{}/approve", p["id"]),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["field"], "budget");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("covers 2017-01-01 to 2017-12-31"),
        "{e}"
    );
    // A line of this year with €15,000 left, drawn on by both funders: €10,000 + €10,000 do not fit.
    // Officers add budget lines through the API; the line is checked field by field.
    let year = poles_store::funding::current_year();
    let line = json!({"code": "test-line", "funder": "state", "funder_kind": "ministry", "name_fr": "Ligne de test",
        "name_en": "Test line", "programme": "FUI", "period_start": format!("{year}-01-01"), "period_end": format!("{year}-12-31"),
        "amount_cents": 1_500_000, "currency": "EUR", "certainty": "U", "source": "test"});
    let mut bad = line.clone();
    bad["currency"] = json!("GBP");
    let (s, e) = call(base, &o1, Method::POST, "/api/v1/budgets", Some(bad)).await;
    assert_eq!(
        (s, e["error"]["field"].clone()),
        (StatusCode::BAD_REQUEST, json!("currency"))
    );
    let (s, r) = call(
        base,
        &o1,
        Method::POST,
        "/api/v1/budgets",
        Some(line.clone()),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let (s, e) = call(
        base,
        &o1,
        Method::POST,
        "/api/v1/budgets",
        Some(line.clone()),
    )
    .await;
    assert_eq!(
        (s, e["error"]["field"].clone()),
        (StatusCode::BAD_REQUEST, json!("code"))
    );
    make_user(
        app,
        "bl-member@test.invalid",
        "organisation_member",
        Some("1"),
    )
    .await;
    let member = who(base, "bl-member@test.invalid").await;
    let (s, _) = call(base, &member, Method::POST, "/api/v1/budgets", Some(line)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, r) = call(base, &o1, Method::PUT, "/api/v1/calls/budget-call/selection", Some(json!({
        "envelopes": [{"funder": "state", "envelope_cents": 100_000_000, "budget": "test-line"},
                      {"funder": "region", "envelope_cents": 100_000_000, "budget": "test-line"}]}))).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{r}");
    let (s, e) = call(
        base,
        &o2,
        Method::POST,
        &format!("/api/v1/proposals/{}/approve", p["id"]),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("test-line would be overspent: 0 committed + 2000000 proposed > 1500000"),
        "{e}"
    );
    let (_, b) = get(base, "/api/v1/budgets").await;
    let row = b["by_call"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["call"] == "budget-call" && r["funder"] == "state")
        .unwrap();
    assert_eq!(row["budget"], "test-line");
    assert_eq!(row["envelope_cents"], 100_000_000);
    assert_eq!(row["committed_cents"], 0);
}
