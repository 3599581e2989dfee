//! The limits real programmes enforce: no funding decision above the aid the rules compute
//! for its funder (API and pages), territory and R&D zone from the R&D commune, payments
//! released by a second officer, dates checked, and region officers deciding their
//! region's share within its envelope and never the State's.

use crate::accounts::{app, make_user};
use crate::applications::{budget, call, submitted_scaled, who, Who, GRENOBLE, TOULOUSE};
use crate::support::{client, connect};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// A page form posted with the session of `w` (its CSRF token in the form): the status and
/// the body.
async fn post_form(
    base: &str,
    w: &Who,
    path: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String) {
    let mut form: Vec<(&str, &str)> = vec![("csrf", w.csrf.as_str())];
    form.extend_from_slice(fields);
    let r = client()
        .post(format!("{base}{path}"))
        .header("cookie", &w.cookie)
        .form(&form)
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

async fn page(base: &str, w: &Who, path: &str) -> String {
    client()
        .get(format!("{base}{path}"))
        .header("cookie", &w.cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

fn funder_cents(a: &Value, funder: &str) -> i64 {
    a["aid"]["by_funder"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["funder"] == funder)
        .unwrap()["cents"]
        .as_i64()
        .unwrap()
}

async fn officers(prefix: &str) -> (Who, Who) {
    let app = app();
    for n in 1..=2 {
        make_user(
            app,
            &format!("{prefix}-o{n}@test.invalid"),
            "programme_officer",
            None,
        )
        .await;
    }
    (
        who(&app.base, &format!("{prefix}-o1@test.invalid")).await,
        who(&app.base, &format!("{prefix}-o2@test.invalid")).await,
    )
}

fn lines(state: i64, region: i64) -> Value {
    json!({"lines": [{"funder": "state", "amount_cents": state}, {"funder": "region", "amount_cents": region}]})
}

#[tokio::test]
async fn a_decision_never_exceeds_the_aid_computed_for_its_funder() {
    let app = app();
    let base = app.base.as_str();
    let (o1, o2) = officers("lim-aid").await;
    // A call of its own (FUI-25 rules), so that its envelopes are this test's.
    let (s, r) = call(
        base,
        &o1,
        Method::POST,
        "/api/v1/calls",
        Some(json!({
        "slug": "lim-aid", "name_fr": "Appel plafond", "name_en": "Capped call", "programme": "FUI",
        "deadline": crate::support::in_days(60), "from_call": "fui-25", "source": "test"})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let id = submitted_scaled("lim-aid", "lim-aid", 500_000).await;
    let (_, a) = call(
        base,
        &o1,
        Method::GET,
        &format!("/api/v1/applications/{id}"),
        None,
    )
    .await;
    // Four partners of €500,000 in Toulouse, labelled by Aerospace Valley (FUI-25): SME 50 %,
    // large 30 %, mid-size 35 %, lab 40 % = €775,000, half of it the State's.
    assert_eq!(a["aid"]["total_aid"], 77_500_000);
    let state = funder_cents(&a, "state");
    assert_eq!(state, 38_750_000);

    // €1.3M for the State, through the API: refused, naming the line and the maximum.
    let path = format!("/api/v1/applications/{id}/proposals");
    let (s, r) = call(base, &o1, Method::POST, &path, Some(lines(130_000_000, 0))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{r}");
    assert_eq!(r["error"]["field"], "lines[0].amount_cents");
    let msg = r["error"]["message"].as_str().unwrap();
    assert!(msg.contains("at most €387,500.00"), "{msg}");
    // The same through the application's page: it comes back with the amounts as typed
    // and the reason beside the State's field.
    let r = client()
        .post(format!("{base}/applications/{id}/proposals?lang=en"))
        .header("cookie", &o1.cookie)
        .form(&[
            ("csrf", o1.csrf.as_str()),
            ("amount_state", "1300000"),
            ("amount_region", "0"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert!(to.contains("#propose"), "{to}");
    let html = page(base, &o1, &to).await;
    let field = html
        .split(r#"name="amount_state""#)
        .nth(1)
        .expect("the State's field");
    assert!(
        field.starts_with(r#" size="10" required value="1300000" aria-invalid="true""#),
        "{field}"
    );
    let error = html
        .split(r#"id="error-amount_state""#)
        .nth(1)
        .expect("the error beside the field");
    assert!(
        error.contains("€1,300,000 for State exceeds the aid")
            && error.contains("at most €387,500 (of a total aid of €775,000)"),
        "{error}"
    );
    // Refused in French: in French words and format.
    let r = client()
        .post(format!("{base}/applications/{id}/proposals?lang=fr"))
        .header("cookie", &o1.cookie)
        .form(&[
            ("csrf", o1.csrf.as_str()),
            ("amount_state", "1300000"),
            ("amount_region", "0"),
        ])
        .send()
        .await
        .unwrap();
    let to = r.headers()["location"].to_str().unwrap().to_string();
    let html = page(base, &o1, &to).await;
    let error = html
        .split(r#"id="error-amount_state""#)
        .nth(1)
        .expect("the error beside the field");
    assert!(
        error.contains("pour État dépasse l&#39;aide") && error.contains("au plus"),
        "{error}"
    );
    // The page tells the officer the limit before they type.
    assert!(page(base, &o1, &format!("/applications/{id}?lang=en"))
        .await
        .contains("amount may exceed the aid the call"));
    let db = connect(&app.db_url).await;
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM funding_proposals WHERE application_id = $1")
            .bind(id)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(n, 0, "nothing refused was written");

    // Exactly the computed aid is accepted; the approval checks again.
    let (s, _) = call(base, &o1, Method::PUT, "/api/v1/calls/lim-aid/selection", Some(json!({
        "envelopes": [{"funder": "state", "envelope_cents": 10_000_000_000i64}, {"funder": "region", "envelope_cents": 10_000_000_000i64}]}))).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, p) = call(
        base,
        &o1,
        Method::POST,
        &path,
        Some(lines(state, 1_000_000)),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    // Should the computed aid fall meanwhile (here the data is changed underneath), the
    // approval refuses the line that now exceeds it.
    sqlx::query(
        "UPDATE application_partners SET staff_cents = staff_cents / 2 WHERE application_id = $1",
    )
    .bind(id)
    .execute(&db.pool)
    .await
    .unwrap();
    let approve = format!("/api/v1/proposals/{}/approve", p["id"]);
    let (s, r) = call(base, &o2, Method::POST, &approve, None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{r}");
    assert_eq!(r["error"]["field"], "lines[0].amount_cents");
    sqlx::query(
        "UPDATE application_partners SET staff_cents = staff_cents * 2 WHERE application_id = $1",
    )
    .bind(id)
    .execute(&db.pool)
    .await
    .unwrap();
    let (s, r) = call(base, &o2, Method::POST, &approve, None).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["status"], "approved");
}

#[tokio::test]
async fn territory_and_rd_zone_come_from_the_commune_never_from_a_box() {
    let app = app();
    let base = app.base.as_str();
    let db = connect(&app.db_url).await;
    let org: i64 = sqlx::query_scalar("SELECT id FROM organisations WHERE cordis_id IS NOT NULL AND country = 'FR' ORDER BY id LIMIT 1")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    make_user(
        app,
        "lim-terr@test.invalid",
        "organisation_member",
        Some(&org.to_string()),
    )
    .await;
    let lead = who(base, "lim-terr@test.invalid").await;
    let (s, c) = call(
        base,
        &lead,
        Method::POST,
        "/api/v1/calls/fui-25/applications",
        Some(json!({
        "lead_organisation_id": org, "acronym": "TERR", "title": "Territory from the commune"})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let id = c["id"].as_i64().unwrap();
    let path = |p: &str| format!("/api/v1/applications/{id}{p}");
    let (s, _) = call(
        base,
        &lead,
        Method::POST,
        &path("/labelling"),
        Some(json!({"cluster": "minalogic", "lead": true})),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);

    let (s, r) = call(
        base,
        &lead,
        Method::POST,
        &path(&format!("/partners/{org}/answer")),
        Some(json!({"accept": true, "declared_kind": "sme"})),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{r}");
    // An unknown commune: 400 on the commune field.
    let (s, r) = call(
        base,
        &lead,
        Method::PUT,
        &path(&format!("/partners/{org}/budget")),
        Some(budget(100_000, "99999")),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(r["error"]["field"], "rd_commune");

    // Toulouse with the old boxes ticked: the boxes are not inputs any more, the commune decides.
    let mut b = budget(100_000, TOULOUSE);
    b["in_labelling_territory"] = json!(true);
    b["in_lead_territory"] = json!(true);
    let (s, r) = call(
        base,
        &lead,
        Method::PUT,
        &path(&format!("/partners/{org}/budget")),
        Some(b),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{r}");
    let (_, a) = call(base, &lead, Method::GET, &path(""), None).await;
    let p = &a["partners"][0];
    assert_eq!(p["rd_region"], "76");
    assert_eq!(
        p["in_labelling_territory"], false,
        "Toulouse is not in Minalogic's region"
    );
    assert_eq!(p["in_lead_territory"], false);
    assert_eq!(p["in_rd_zone"], false);
    assert_eq!(a["rd_zone_illustrative"], false);

    // Grenoble: in Minalogic's region and its illustrative R&D zone, and every result says so.
    let (s, _) = call(
        base,
        &lead,
        Method::PUT,
        &path(&format!("/partners/{org}/budget")),
        Some(budget(100_000, GRENOBLE)),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, a) = call(base, &lead, Method::GET, &path(""), None).await;
    let p = &a["partners"][0];
    assert_eq!(p["rd_commune_name"], "Grenoble");
    assert_eq!(p["in_labelling_territory"], true);
    assert_eq!(p["in_lead_territory"], true);
    assert_eq!(p["in_rd_zone"], true);
    assert_eq!(p["rd_zone_illustrative"], true);
    assert_eq!(a["rd_zone_illustrative"], true);
    // The SME rate inside the territory (50 %) applies: it follows from the commune.
    assert_eq!(a["aid"]["lines"][0]["rate_bp"], 5000);

    // The pages show it computed, with the note, in both languages; no box to tick.
    let en = page(base, &lead, &format!("/applications/{id}?lang=en")).await;
    assert!(
        en.contains(r#"class="note illustrative""#) && en.contains("Illustrative R&#38;D zone"),
        "{en}"
    );
    assert!(!en.contains(r#"name="in_labelling_territory""#));
    assert!(!en.contains(r#"name="in_lead_territory""#));
    let fr = page(base, &lead, &format!("/applications/{id}?lang=fr")).await;
    assert!(fr.contains("Zone de R&#38;D illustrative"));
    // Through the page's form too, an unknown commune is refused on its field.
    let (s, html) = post_form(
        base,
        &lead,
        &format!("/applications/{id}/partners/{org}/budget?lang=en"),
        &[
            ("staff", "1000"),
            ("equipment", "0"),
            ("subcontracting", "0"),
            ("overheads", "0"),
            ("rd_commune", "99999"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(html.contains("INSEE"), "{html}");
}

/// A decided, finalised (running) project and its partners' people; `prefix` keeps them apart.
async fn running(prefix: &str, o1: &Who, o2: &Who) -> (i64, Who, Who, i64) {
    let app = app();
    let base = app.base.as_str();
    // A call of its own (the 2007 rules), so that its envelopes are this test's.
    let slug = format!("{prefix}-call");
    let (s, r) = call(
        base,
        o1,
        Method::POST,
        "/api/v1/calls",
        Some(json!({
        "slug": slug, "name_fr": "Appel 2007", "name_en": "2007 call", "programme": "FUI",
        "deadline": crate::support::in_days(60), "from_call": "fui-2007", "source": "test"})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let id = submitted_scaled(&slug, prefix, 500_000).await;
    let (s, _) = call(base, o1, Method::PUT, &format!("/api/v1/calls/{slug}/selection"), Some(json!({"envelopes": [
        {"funder": "state", "envelope_cents": 100_000_000_000i64, "budget": ""}, {"funder": "region", "envelope_cents": 100_000_000_000i64}]}))).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, p) = call(
        base,
        o1,
        Method::POST,
        &format!("/api/v1/applications/{id}/proposals"),
        Some(lines(30_000_000, 15_000_000)),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let (s, r) = call(
        base,
        o2,
        Method::POST,
        &format!("/api/v1/proposals/{}/approve", p["id"]),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let lead = who(base, &format!("{prefix}-p0@test.invalid")).await;
    let partner = who(base, &format!("{prefix}-p1@test.invalid")).await;
    let (s, _) = call(
        base,
        &lead,
        Method::PUT,
        &format!("/api/v1/applications/{id}/agreement"),
        Some(json!({"status": "signed"})),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, r) = call(
        base,
        o1,
        Method::POST,
        &format!("/api/v1/applications/{id}/finalise"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let db = connect(&app.db_url).await;
    let partner_org: i64 = sqlx::query_scalar(
        "SELECT scope FROM role_grants g JOIN users u ON u.id = g.user_id WHERE u.email = $1",
    )
    .bind(format!("{prefix}-p1@test.invalid"))
    .fetch_one(&db.pool)
    .await
    .map(|s: String| s.parse().unwrap())
    .unwrap();
    (id, lead, partner, partner_org)
}

#[tokio::test]
async fn a_payment_is_proposed_by_one_officer_and_released_by_another() {
    let app = app();
    let base = app.base.as_str();
    let (o1, o2) = officers("lim-pay").await;
    let (id, _lead, partner, partner_org) = running("lim-pay", &o1, &o2).await;
    let (s, c) = call(base, &partner, Method::POST, &format!("/api/v1/applications/{id}/claims"), Some(json!({
        "organisation_id": partner_org, "funder": "state", "kind": "interim", "amount_cents": 5_000_000,
        "expenses_cents": 20_000_000, "statement": "Staff, first months"}))).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let decision = format!("/api/v1/claims/{}/decision", c["id"]);
    let (s, r) = call(
        base,
        &o1,
        Method::POST,
        &decision,
        Some(json!({"pay": true, "paid_on": "2026-01-15"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["step"], "release_proposed");
    let funding = format!("/api/v1/applications/{id}/funding");
    let (_, f) = call(base, &partner, Method::GET, &funding, None).await;
    assert_eq!(
        f["claims"][0]["status"], "claimed",
        "not paid by one person"
    );
    assert_eq!(
        f["claims"][0]["release_proposed_by"],
        "lim-pay-o1@test.invalid"
    );
    assert_eq!(f["by_funder"][0]["paid_cents"], 0);
    // The proposer cannot release it.
    let (s, r) = call(
        base,
        &o1,
        Method::POST,
        &decision,
        Some(json!({"pay": true})),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{r}");
    assert_eq!(r["error"]["code"], "same_officer");
    // Another officer releases it, on the date proposed.
    let (s, r) = call(
        base,
        &o2,
        Method::POST,
        &decision,
        Some(json!({"pay": true})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["step"], "paid");
    let (_, f) = call(base, &partner, Method::GET, &funding, None).await;
    let claim = &f["claims"][0];
    assert_eq!(claim["status"], "paid");
    assert_eq!(claim["paid_on"], "2026-01-15");
    assert_eq!(claim["release_proposed_by"], "lim-pay-o1@test.invalid");
    assert_eq!(claim["decided_by"], "lim-pay-o2@test.invalid");
    // Both steps are in the audit trail.
    let db = connect(&app.db_url).await;
    let actions: Vec<String> = sqlx::query_scalar("SELECT action FROM audit_log WHERE object_kind = 'application' AND object_ref = $1 AND action LIKE 'payment.%' ORDER BY id")
        .bind(id.to_string())
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert_eq!(
        actions,
        vec!["payment.claim", "payment.propose", "payment.pay"]
    );
}

#[tokio::test]
async fn dates_are_checked_milestones_not_in_the_future_relief_not_without_its_project() {
    let app = app();
    let base = app.base.as_str();
    let (o1, o2) = officers("lim-date").await;
    let (id, lead, _partner, partner_org) = running("lim-date", &o1, &o2).await;
    let (s, m) = call(
        base,
        &lead,
        Method::POST,
        &format!("/api/v1/applications/{id}/milestones"),
        Some(json!({"title": "Prototype", "due_on": "2028-01-01"})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    let done = format!("/api/v1/applications/{id}/milestones/{}/done", m["id"]);
    let (s, r) = call(
        base,
        &lead,
        Method::POST,
        &done,
        Some(json!({"done_on": "2099-06-15"})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{r}");
    assert_eq!(r["error"]["field"], "done_on");
    assert!(r["error"]["message"].as_str().unwrap().contains("future"));
    let (s, r) = call(
        base,
        &lead,
        Method::POST,
        &done,
        Some(json!({"done_on": "2026-01-15"})),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{r}");

    // The social relief of pôle projects: never without its project.
    let relief = |application: Option<i64>| {
        json!({"organisation_id": partner_org, "scheme": "pole_social",
        "granted_on": "2006-06-01", "amount_cents": 100_000, "application_id": application})
    };
    let (s, r) = call(
        base,
        &o1,
        Method::POST,
        "/api/v1/relief/records",
        Some(relief(None)),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{r}");
    assert_eq!(r["error"]["field"], "application_id");
    let (s, r) = call(
        base,
        &o1,
        Method::POST,
        "/api/v1/relief/records",
        Some(relief(Some(id))),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    // The page's form, the company and the project chosen by name: the same refusal on
    // the project, beside its field, with what was typed kept.
    let db = connect(&app.db_url).await;
    let org_name: String = sqlx::query_scalar("SELECT name FROM organisations WHERE id = $1")
        .bind(partner_org)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let acronym: String = sqlx::query_scalar("SELECT acronym FROM applications WHERE id = $1")
        .bind(id)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let org_value = partner_org.to_string();
    let form = |project: &'static str, acronym: &str| {
        vec![
            ("organisation", org_name.clone()),
            ("organisation_value", org_value.clone()),
            ("scheme", "pole_social".to_string()),
            ("granted_on", "2006-06-02".to_string()),
            ("amount", "1000".to_string()),
            (project, acronym.to_string()),
        ]
    };
    let fields = form("project", "");
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (s, html) = post_form(base, &o1, "/budgets/relief?lang=en", &fields).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let project = html
        .split(r#"name="project""#)
        .nth(1)
        .expect("the project's field");
    assert!(project.contains("name the project"), "{project}");
    assert!(html.contains(r#"name="amount" inputmode="decimal" required value="1000""#));
    assert!(html.contains(&format!(r#"name="organisation_value" value="{org_value}""#)));
    // Typed by its acronym, the project is found and the relief recorded.
    let fields = form("project", &acronym);
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (s, html) = post_form(base, &o1, "/budgets/relief?lang=en", &fields).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{html}");
}

#[tokio::test]
async fn region_officers_decide_their_regions_share_within_the_envelope_never_the_states() {
    let app = app();
    let base = app.base.as_str();
    let (o1, o2) = officers("lim-reg").await;
    // A call of its own, so that its envelopes are this test's.
    let (s, r) = call(base, &o1, Method::POST, "/api/v1/calls", Some(json!({
        "slug": "lim-region", "name_fr": "Appel région", "name_en": "Region call", "programme": "FUI",
        "deadline": crate::support::in_days(60), "from_call": "fui-25", "source": "test"}))).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let (s, _) = call(base, &o1, Method::PUT, "/api/v1/calls/lim-region/selection", Some(json!({"envelopes": [
        {"funder": "state", "envelope_cents": 100_000_000}, {"funder": "region", "envelope_cents": 30_000_000}]}))).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    // R&D in Toulouse (Occitanie, 76); region share of the aid €387,500.
    let id = submitted_scaled("lim-region", "lim-reg", 500_000).await;
    for (email, scope) in [
        ("lim-reg-r76a", "76"),
        ("lim-reg-r76b", "76"),
        ("lim-reg-r84", "84"),
    ] {
        make_user(
            app,
            &format!("{email}@test.invalid"),
            "region_officer",
            Some(scope),
        )
        .await;
    }
    let r76a = who(base, "lim-reg-r76a@test.invalid").await;
    let r76b = who(base, "lim-reg-r76b@test.invalid").await;
    let r84 = who(base, "lim-reg-r84@test.invalid").await;
    // The region officer's page offers the region's line alone; another region's, nothing.
    let html = page(base, &r76b, &format!("/applications/{id}?lang=en")).await;
    assert!(html.contains(r#"name="amount_region""#), "{html}");
    assert!(!html.contains(r#"name="amount_state""#));
    let path = format!("/api/v1/applications/{id}/proposals");
    let region = |cents: i64| json!({"lines": [{"funder": "region", "amount_cents": cents}]});

    // Not the State's line, not another region's application.
    let (s, r) = call(
        base,
        &r76a,
        Method::POST,
        &path,
        Some(lines(10_000_000, 10_000_000)),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{r}");
    let (s, _) = call(base, &r84, Method::POST, &path, Some(region(10_000_000))).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Within the aid but beyond the region's envelope of €300,000.
    let (s, r) = call(base, &r76a, Method::POST, &path, Some(region(35_000_000))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{r}");
    assert_eq!(r["error"]["field"], "lines[0].amount_cents");
    assert!(r["error"]["message"].as_str().unwrap().contains("envelope"));
    // Beyond the aid computed for the region.
    let (s, _) = call(
        base,
        &o1,
        Method::PUT,
        "/api/v1/calls/lim-region/selection",
        Some(json!({"envelopes": [
        {"funder": "region", "envelope_cents": 100_000_000}]})),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, r) = call(base, &r76a, Method::POST, &path, Some(region(40_000_000))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{r}");
    assert!(r["error"]["message"]
        .as_str()
        .unwrap()
        .contains("at most €387,500.00"));
    // Within both: proposed by one region officer, approved by another of the region.
    let (s, p) = call(base, &r76a, Method::POST, &path, Some(region(25_000_000))).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let approve = format!("/api/v1/proposals/{}/approve", p["id"]);
    let (s, _) = call(base, &r84, Method::POST, &approve, None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, r) = call(base, &r76a, Method::POST, &approve, None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "never one's own: {r}");
    let (s, r) = call(base, &r76b, Method::POST, &approve, None).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["status"], "approved");
    let (_, env) = call(
        base,
        &o1,
        Method::GET,
        "/api/v1/calls/lim-region/envelopes",
        None,
    )
    .await;
    let reg = env
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["funder"] == "region")
        .unwrap();
    assert_eq!(reg["committed_cents"], 25_000_000);

    // The region's decision does not select the project: the State decides its own share
    // after it; neither decides twice.
    let app_path = format!("/api/v1/applications/{id}");
    let (_, a) = call(base, &o1, Method::GET, &app_path, None).await;
    assert_eq!(a["status"], "submitted", "{a}");
    let (s, r) = call(base, &r76a, Method::POST, &path, Some(region(1_000_000))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{r}");
    assert_eq!(r["error"]["field"], "lines[0].amount_cents");
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("already decided"),
        "{r}"
    );
    let (s, _) = call(base, &o1, Method::PUT, "/api/v1/calls/lim-region/selection", Some(json!({"envelopes": [
        {"funder": "state", "envelope_cents": 100_000_000}, {"funder": "region", "envelope_cents": 100_000_000}]}))).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let state = json!({"lines": [{"funder": "state", "amount_cents": 30_000_000}]});
    let (s, p) = call(base, &o1, Method::POST, &path, Some(state)).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let approve = format!("/api/v1/proposals/{}/approve", p["id"]);
    let (s, r) = call(base, &o2, Method::POST, &approve, None).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let (_, a) = call(base, &o1, Method::GET, &app_path, None).await;
    assert_eq!(a["status"], "selected", "{a}");
    let (_, f) = call(base, &o1, Method::GET, &format!("{app_path}/funding"), None).await;
    let decided = |funder: &str| {
        f["by_funder"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["funder"] == funder)
            .map(|x| x["decided_cents"].clone())
    };
    assert_eq!(decided("region"), Some(json!(25_000_000)), "{f}");
    assert_eq!(decided("state"), Some(json!(30_000_000)), "{f}");
}
