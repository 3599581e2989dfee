//! Calls for projects and the live check of a project against a call's rules.

use crate::support::{client, get_json, shared};
use serde_json::{json, Value};

fn project() -> Value {
    json!({
        "partners": [
            {"name": "PME A", "kind": "sme", "lead": true, "in_labelling_territory": true, "in_lead_territory": true, "in_rd_zone": true,
             "costs": {"staff": 80_000_000, "equipment": 20_000_000, "subcontracting": 0, "overheads": 0}},
            {"name": "ETI B", "kind": "mid_size", "in_labelling_territory": true,
             "costs": {"staff": 80_000_000, "equipment": 0, "subcontracting": 0, "overheads": 0}},
            {"name": "Grand groupe C", "kind": "large_company",
             "costs": {"staff": 70_000_000, "equipment": 0, "subcontracting": 0, "overheads": 0}},
            {"name": "Labo D", "kind": "public_research", "in_labelling_territory": true, "in_lead_territory": true,
             "costs": {"staff": 50_000_000, "equipment": 0, "subcontracting": 0, "overheads": 0}}
        ],
        "labellings": [{"cluster": "minalogic", "lead": true, "labelled": true, "decided_on": "2018-01-10"}]
    })
}

async fn post(path: &str, body: &Value) -> (u16, Value) {
    let r = client()
        .post(format!("{}{path}", shared().base))
        .json(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test]
async fn calls_are_listed_with_their_sourced_rule_sets() {
    let (status, calls) = get_json(&format!("{}/api/v1/calls", shared().base)).await;
    assert_eq!(status, 200);
    assert_eq!(calls["total"], 2);
    let fui25 = calls["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["slug"] == "fui-25")
        .unwrap();
    let rates = fui25["rule_set"]["aid_rates"].as_array().unwrap();
    assert!(rates.iter().any(|r| r["kind"] == "sme"
        && r["zone"] == "inside"
        && r["rate_bp"] == 5000
        && r["certainty"] == "C"));
    assert!(rates
        .iter()
        .all(|r| !r["source"].as_str().unwrap().is_empty()));
    assert_eq!(
        fui25["rule_set"]["min_share_in_lead_territory_bp"]["value"],
        2500
    );
    let (status, _) = get_json(&format!("{}/api/v1/calls/no-such-call", shared().base)).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_project_is_checked_rule_by_rule_with_its_aid() {
    let (status, r) = post("/api/v1/calls/fui-25/check", &project()).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["rule_set"], "fui-25-2018");
    let checks = r["eligibility"]["checks"].as_array().unwrap();
    let rules: Vec<&str> = checks.iter().map(|c| c["rule"].as_str().unwrap()).collect();
    for rule in [
        "consortium.companies",
        "consortium.research",
        "consortium.lead",
        "costs.max_partner_share",
        "territory.labelling",
        "territory.lead",
        "aid.lab_share",
        "labelling.before_deadline",
    ] {
        assert!(rules.contains(&rule), "{rule} is explained");
    }
    // The call's deadline is not recorded in the shipped data: the label's date is a warning.
    let label = checks
        .iter()
        .find(|c| c["rule"] == "labelling.before_deadline")
        .unwrap();
    assert_eq!(label["outcome"], "warning");
    assert_eq!(r["eligibility"]["eligible"], true);
    // SME inside 50 % of €1,000,000; ETI inside 35 % of €800,000; large 30 % of €700,000; lab 40 % of €500,000.
    let aid: Vec<i64> = r["aid"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["aid"].as_i64().unwrap() / 100)
        .collect();
    assert_eq!(aid, vec![500_000, 280_000, 210_000, 200_000]);
    let by_funder: i64 = r["aid"]["by_funder"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["cents"].as_i64().unwrap())
        .sum();
    assert_eq!(by_funder, r["aid"]["total_aid"].as_i64().unwrap());

    // The same project under the 2007 rules: a different SME rate, no documented lab rate.
    let (_, r07) = post("/api/v1/calls/fui-2007/check", &project()).await;
    assert_eq!(
        r07["aid"]["lines"][0]["aid"].as_i64().unwrap() / 100,
        450_000
    );
    assert!(r07["aid"]["lines"][3]["rate_bp"].is_null());

    // A lab cannot lead.
    let mut p = project();
    p["partners"][0]["lead"] = json!(false);
    p["partners"][3]["lead"] = json!(true);
    let (_, r) = post("/api/v1/calls/fui-25/check", &p).await;
    assert_eq!(r["eligibility"]["eligible"], false);
    let lead = r["eligibility"]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["rule"] == "consortium.lead")
        .unwrap();
    assert_eq!(lead["outcome"], "fail");
    assert!(lead["explanation_fr"].as_str().unwrap().contains("Labo D"));
}

#[tokio::test]
async fn bad_projects_are_refused_naming_the_field() {
    let mut p = project();
    p["partners"][1]["costs"]["staff"] = json!(-5);
    let (status, r) = post("/api/v1/calls/fui-25/check", &p).await;
    assert_eq!(status, 400);
    assert_eq!(r["error"]["field"], "partners[1].costs.staff");
    let (status, r) = post("/api/v1/calls/fui-25/check", &json!({"partners": []})).await;
    assert_eq!(status, 400);
    assert_eq!(r["error"]["field"], "partners");
    let mut p = project();
    p["labellings"][0]["decided_on"] = json!("10/01/2018");
    let (status, r) = post("/api/v1/calls/fui-25/check", &p).await;
    assert_eq!(status, 400);
    assert_eq!(r["error"]["field"], "labellings[0].decided_on");
    let mut p = project();
    p["partners"][0]["kind"] = json!("bank");
    let (status, r) = post("/api/v1/calls/fui-25/check", &p).await;
    assert_eq!(
        status, 400,
        "a body that does not parse is a JSON error too"
    );
    assert_eq!(r["error"]["field"], "partners[0].kind");
    let r = client()
        .post(format!("{}/api/v1/calls/fui-25/check", shared().base))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["field"], "content-type");
    let (status, _) = post("/api/v1/calls/nope/check", &project()).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn officers_open_a_call_from_an_earlier_rule_set_which_freezes_at_submission() {
    use crate::accounts::{app, make_user};
    use crate::applications::{call as acall, who};
    use reqwest::Method;
    let app = app();
    let base = app.base.as_str();
    make_user(app, "calls-officer@test.invalid", "programme_officer", None).await;
    let o = who(base, "calls-officer@test.invalid").await;
    let (s, c) = acall(base, &o, Method::POST, "/api/v1/calls", Some(json!({
        "slug": "fui-26", "name_fr": "26e appel FUI", "name_en": "26th FUI call", "programme": "FUI",
        "opens_on": crate::support::in_days(-30), "deadline": crate::support::in_days(60), "from_call": "fui-25", "source": "test"}))).await;
    assert_eq!(s.as_u16(), 201, "{c}");
    assert_eq!(c["rule_set"]["id"], "fui-26-v1");
    assert_eq!(c["rule_set_frozen"], false);
    let mut rules = c["rule_set"].clone();
    for r in rules["aid_rates"].as_array_mut().unwrap() {
        if r["kind"] == "sme" && r["zone"] == "inside" {
            r["rate_bp"] = json!(5500);
        }
    }
    let (s, r) = acall(
        base,
        &o,
        Method::PUT,
        "/api/v1/calls/fui-26/rule-set",
        Some(rules.clone()),
    )
    .await;
    assert_eq!(s.as_u16(), 204, "{r}");
    let (_, checked) = post("/api/v1/calls/fui-25/check", &project()).await;
    assert_eq!(
        checked["aid"]["lines"][0]["aid"].as_i64().unwrap() / 100,
        500_000,
        "the earlier call keeps its rules"
    );
    let r = client()
        .post(format!("{base}/api/v1/calls/fui-26/check"))
        .json(&project())
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["aid"]["lines"][0]["aid"].as_i64().unwrap() / 100, 550_000);
    let (s, _) = acall(
        base,
        &o,
        Method::PUT,
        "/api/v1/calls/fui-26/criteria",
        Some(json!([
        {"name_fr": "Innovation", "name_en": "Innovation", "weight_bp": 6000},
        {"name_fr": "Retombées", "name_en": "Impact", "weight_bp": 4000}])),
    )
    .await;
    assert_eq!(s.as_u16(), 204);
    let mut bad = rules.clone();
    bad["cofunding"][0]["share_bp"] = json!(9000);
    let (s, r) = acall(
        base,
        &o,
        Method::PUT,
        "/api/v1/calls/fui-26/rule-set",
        Some(bad),
    )
    .await;
    assert_eq!(s.as_u16(), 400);
    assert_eq!(r["error"]["field"], "cofunding");

    // A submission freezes the rule set.
    crate::applications::submitted_to("fui-26", "calls-x").await;
    let (_, c) = get_json(&format!("{base}/api/v1/calls/fui-26")).await;
    assert_eq!(c["rule_set_frozen"], true);
    let (s, r) = acall(
        base,
        &o,
        Method::PUT,
        "/api/v1/calls/fui-26/rule-set",
        Some(rules),
    )
    .await;
    assert_eq!(s.as_u16(), 400);
    assert_eq!(r["error"]["field"], "rule_set");

    // A closed call takes no new application.
    let (s, _) = acall(base, &o, Method::POST, "/api/v1/calls", Some(json!({
        "slug": "closed-call", "name_fr": "Appel clos", "name_en": "Closed call", "programme": "FUI",
        "deadline": "2020-01-31", "from_call": "fui-25", "source": "test"}))).await;
    assert_eq!(s.as_u16(), 201);
    make_user(
        app,
        "calls-late@test.invalid",
        "organisation_member",
        Some("1"),
    )
    .await;
    let late = who(base, "calls-late@test.invalid").await;
    let (s, r) = acall(
        base,
        &late,
        Method::POST,
        "/api/v1/calls/closed-call/applications",
        Some(json!({"lead_organisation_id": 1, "acronym": "LATE", "title": "Too late"})),
    )
    .await;
    assert_eq!(s.as_u16(), 400);
    assert!(r["error"]["message"]
        .as_str()
        .unwrap()
        .contains("closed on 31 January 2020, 23:59 Paris time"));
}
