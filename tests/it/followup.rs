//! After the decision: finalisation within the window or lapse, schedule, claims, payments
//! never beyond the decision, milestones, status, and the public list of funded projects.

use crate::accounts::{app, make_user};
use crate::applications::{call, submitted_scaled, submitted_to, who, Who};
use crate::support::{connect, get_json};
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn decided(base: &str, o1: &Who, o2: &Who, id: i64, state: i64, region: i64) -> i64 {
    let (s, p) = call(base, o1, Method::POST, &format!("/api/v1/applications/{id}/proposals"), Some(json!({"lines": [{"funder": "state", "amount_cents": state}, {"funder": "region", "amount_cents": region}]}))).await;
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
    assert_eq!(r["status"], "approved");
    p["id"].as_i64().unwrap()
}

#[tokio::test]
async fn a_decided_project_is_finalised_paid_and_closed() {
    let app = app();
    let base = app.base.as_str();
    let id = submitted_to("fui-2007", "fu-a").await;
    make_user(app, "fu-o1@test.invalid", "programme_officer", None).await;
    make_user(app, "fu-o2@test.invalid", "programme_officer", None).await;
    let (o1, o2) = (
        who(base, "fu-o1@test.invalid").await,
        who(base, "fu-o2@test.invalid").await,
    );
    // Decided today in the 2007 call: its State envelope must not draw on the 2006-2008 line.
    let (s, _) = call(base, &o1, Method::PUT, "/api/v1/calls/fui-2007/selection", Some(json!({"envelopes": [{"funder": "state", "envelope_cents": 1_000_000_000, "budget": ""}, {"funder": "region", "envelope_cents": 1_000_000_000}]}))).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    decided(base, &o1, &o2, id, 30_000_000, 15_000_000).await;
    let lead = who(base, "fu-a-p0@test.invalid").await;
    let partner = who(base, "fu-a-p1@test.invalid").await;
    let db = connect(&app.db_url).await;
    let orgs: Vec<i64> = sqlx::query_scalar("SELECT organisation_id FROM application_partners WHERE application_id = $1 ORDER BY CASE role WHEN 'lead' THEN 0 ELSE 1 END, organisation_id").bind(id).fetch_all(&db.pool).await.unwrap();
    let partner_org: i64 = sqlx::query_scalar("SELECT scope FROM role_grants g JOIN users u ON u.id = g.user_id WHERE u.email = 'fu-a-p1@test.invalid'").fetch_one(&db.pool).await.map(|s: String| s.parse().unwrap()).unwrap();

    let (s, r) = call(
        base,
        &o1,
        Method::POST,
        &format!("/api/v1/applications/{id}/finalise"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(r["error"]["field"], "consortium_agreement");
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
        &o1,
        Method::POST,
        &format!("/api/v1/applications/{id}/finalise"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{r}");

    // The schedule never plans more than was decided per funder.
    let (s, r) = call(base, &o1, Method::PUT, &format!("/api/v1/applications/{id}/schedule"), Some(json!({"lines": [
        {"organisation_id": orgs[0], "funder": "state", "kind": "advance", "due_on": "2027-01-15", "amount_cents": 40_000_000}]}))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{r}");
    let (s, r) = call(base, &o1, Method::PUT, &format!("/api/v1/applications/{id}/schedule"), Some(json!({"lines": [
        {"organisation_id": orgs[0], "funder": "state", "kind": "advance", "due_on": "2027-01-15", "amount_cents": 10_000_000},
        {"organisation_id": partner_org, "funder": "state", "kind": "final", "due_on": "2029-01-15", "amount_cents": 20_000_000},
        {"organisation_id": orgs[0], "funder": "region", "kind": "advance", "due_on": "2027-02-01", "amount_cents": 15_000_000}]}))).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{r}");

    // A partner claims with its expense statement; the officer pays, never beyond the decision.
    let (s, c1) = call(base, &partner, Method::POST, &format!("/api/v1/applications/{id}/claims"), Some(json!({
        "organisation_id": partner_org, "funder": "state", "kind": "interim", "amount_cents": 20_000_000, "expenses_cents": 55_000_000,
        "statement": "Staff 400 k€, equipment 150 k€ (first 12 months)"}))).await;
    assert_eq!(s, StatusCode::CREATED, "{c1}");
    // Two people: one officer proposes the payment, another releases it.
    let (s, r) = call(
        base,
        &o1,
        Method::POST,
        &format!("/api/v1/claims/{}/decision", c1["id"]),
        Some(json!({"pay": true, "paid_on": "2027-06-30"})),
    )
    .await;
    assert_eq!(
        (s, &r["step"]),
        (StatusCode::OK, &json!("release_proposed"))
    );
    let (s, r) = call(
        base,
        &o2,
        Method::POST,
        &format!("/api/v1/claims/{}/decision", c1["id"]),
        Some(json!({"pay": true})),
    )
    .await;
    assert_eq!((s, &r["step"]), (StatusCode::OK, &json!("paid")));
    let (_, c2) = call(base, &partner, Method::POST, &format!("/api/v1/applications/{id}/claims"), Some(json!({
        "organisation_id": partner_org, "funder": "state", "kind": "final", "amount_cents": 20_000_000, "expenses_cents": 60_000_000, "statement": "Final statement"}))).await;
    let (s, r) = call(
        base,
        &o1,
        Method::POST,
        &format!("/api/v1/claims/{}/decision", c2["id"]),
        Some(json!({"pay": true})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "20 + 20 > 30 decided: {r}");
    let (s, _) = call(
        base,
        &partner,
        Method::POST,
        &format!("/api/v1/applications/{id}/milestones"),
        Some(json!({"title": "x", "due_on": "2028-01-01"})),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "milestones are the lead's");
    let (s, _) = call(
        base,
        &lead,
        Method::POST,
        &format!("/api/v1/applications/{id}/milestones"),
        Some(json!({"title": "Prototype", "due_on": "2028-01-01"})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);

    let (_, f) = call(
        base,
        &lead,
        Method::GET,
        &format!("/api/v1/applications/{id}/funding"),
        None,
    )
    .await;
    assert_eq!(f["status"], "running");
    let state = f["by_funder"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["funder"] == "state")
        .unwrap();
    assert_eq!(
        (
            state["decided_cents"].as_i64(),
            state["scheduled_cents"].as_i64(),
            state["paid_cents"].as_i64(),
            state["remaining_cents"].as_i64()
        ),
        (
            Some(30_000_000),
            Some(30_000_000),
            Some(20_000_000),
            Some(10_000_000)
        )
    );
    assert_eq!(f["milestones"][0]["title"], "Prototype");
    assert!(f["finalisation_deadline"].as_str().is_some());

    let (_, public) = get_json(&format!("{base}/api/v1/funded-projects")).await;
    assert!(public
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["application_id"] == id && p["status"] == "running"));
    let (s, _) = call(
        base,
        &o1,
        Method::PUT,
        &format!("/api/v1/applications/{id}/status"),
        Some(json!({"status": "closed", "reason": "final report accepted"})),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn a_selection_not_finalised_in_time_lapses_and_frees_the_envelope() {
    let app = app();
    let base = app.base.as_str();
    make_user(app, "fu-b-o1@test.invalid", "programme_officer", None).await;
    make_user(app, "fu-b-o2@test.invalid", "programme_officer", None).await;
    let (o1, o2) = (
        who(base, "fu-b-o1@test.invalid").await,
        who(base, "fu-b-o2@test.invalid").await,
    );
    // A call of its own, so that lapsing touches no other test's projects.
    let (s, r) = call(
        base,
        &o1,
        Method::POST,
        "/api/v1/calls",
        Some(json!({
        "slug": "lapse-test", "name_fr": "Appel test", "name_en": "Test call", "programme": "FUI",
        "from_call": "fui-2007", "source": "test"})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let id = submitted_to("lapse-test", "fu-b").await;
    let (s, _) = call(base, &o1, Method::PUT, "/api/v1/calls/lapse-test/selection", Some(json!({"envelopes": [{"funder": "state", "envelope_cents": 1_000_000_000}, {"funder": "region", "envelope_cents": 1_000_000_000}]}))).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    decided(base, &o1, &o2, id, 1_000_000, 500_000).await;
    let (s, none) = call(
        base,
        &o1,
        Method::POST,
        "/api/v1/calls/lapse-test/lapse",
        Some(json!({})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        !none.as_array().unwrap().iter().any(|x| *x == id),
        "not lapsed today"
    );
    // Seven months on (the rule is six), it lapses.
    let later = poles_store::followup::add_months(&chrono_today(), 7).unwrap();
    let (s, lapsed) = call(
        base,
        &o1,
        Method::POST,
        "/api/v1/calls/lapse-test/lapse",
        Some(json!({"as_of": later})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        lapsed.as_array().unwrap().iter().any(|x| *x == id),
        "{lapsed}"
    );
    let (_, f) = call(
        base,
        &o1,
        Method::GET,
        &format!("/api/v1/applications/{id}/funding"),
        None,
    )
    .await;
    assert_eq!(f["status"], "lapsed");
    let (s, _) = call(
        base,
        &o1,
        Method::POST,
        &format!("/api/v1/applications/{id}/finalise"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

/// Today's date, UTC, from the system clock.
pub fn chrono_today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let days = secs / 86_400;
    // Days since 1970-01-01 to a civil date (the same conversion the platform uses).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// A whole call through the API, from its opening to payments.
#[tokio::test]
async fn a_whole_call_from_opening_to_payments() {
    let app = app();
    let base = app.base.as_str();
    make_user(app, "whole-o1@test.invalid", "programme_officer", None).await;
    make_user(app, "whole-o2@test.invalid", "programme_officer", None).await;
    let reviewer = make_user(app, "whole-r@test.invalid", "reviewer", None).await;
    let (o1, o2) = (
        who(base, "whole-o1@test.invalid").await,
        who(base, "whole-o2@test.invalid").await,
    );
    // Opening: a call from an earlier one, its criteria, envelopes and threshold.
    let (s, r) = call(base, &o1, Method::POST, "/api/v1/calls", Some(json!({
        "slug": "whole-call", "name_fr": "Appel complet", "name_en": "Whole call", "programme": "FUI",
        "opens_on": crate::support::in_days(-30), "deadline": crate::support::in_days(60), "from_call": "fui-25", "source": "test"}))).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let (s, _) = call(
        base,
        &o1,
        Method::PUT,
        "/api/v1/calls/whole-call/criteria",
        Some(json!([
        {"name_fr": "Innovation", "name_en": "Innovation", "weight_bp": 6000},
        {"name_fr": "Retombées", "name_en": "Impact", "weight_bp": 4000}])),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = call(base, &o1, Method::PUT, "/api/v1/calls/whole-call/selection", Some(json!({
        "envelopes": [{"funder": "state", "envelope_cents": 200_000_000}, {"funder": "region", "envelope_cents": 200_000_000}],
        "two_approvals_above_cents": 500_000_000}))).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    // Consortium, budgets, labelling, submission.
    // €1,000,000 of costs per partner: the State's share of the aid is €775,000.
    let id = submitted_scaled("whole-call", "whole", 1_000_000).await;
    // Review on both criteria, ranking.
    let (s, _) = call(
        base,
        &o1,
        Method::POST,
        &format!("/api/v1/applications/{id}/reviewers"),
        Some(json!({"reviewer_id": reviewer})),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let rv = who(base, "whole-r@test.invalid").await;
    let (s, r) = call(
        base,
        &rv,
        Method::POST,
        &format!("/api/v1/applications/{id}/review"),
        Some(json!({"scores": [{"criterion": 1, "score": 8}, {"criterion": 2, "score": 6}]})),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{r}");
    let (_, ranking) = call(
        base,
        &o1,
        Method::GET,
        "/api/v1/calls/whole-call/ranking",
        None,
    )
    .await;
    // 8 × 60 % + 6 × 40 % = 7.2 → 720 hundredths.
    assert_eq!(ranking[0]["weighted_total"], 720);
    // Decision, finalisation, payments.
    decided(base, &o1, &o2, id, 40_000_000, 20_000_000).await;
    let lead = who(base, "whole-p0@test.invalid").await;
    let (s, _) = call(
        base,
        &lead,
        Method::PUT,
        &format!("/api/v1/applications/{id}/agreement"),
        Some(json!({"status": "signed"})),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = call(
        base,
        &o1,
        Method::POST,
        &format!("/api/v1/applications/{id}/finalise"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let db = connect(&app.db_url).await;
    let lead_org: i64 =
        sqlx::query_scalar("SELECT lead_organisation_id FROM applications WHERE id = $1")
            .bind(id)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    let (s, r) = call(base, &o1, Method::PUT, &format!("/api/v1/applications/{id}/schedule"), Some(json!({"lines": [
        {"organisation_id": lead_org, "funder": "state", "kind": "advance", "due_on": "2027-01-15", "amount_cents": 40_000_000},
        {"organisation_id": lead_org, "funder": "region", "kind": "final", "due_on": "2029-01-15", "amount_cents": 20_000_000}]}))).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{r}");
    let (s, c) = call(base, &lead, Method::POST, &format!("/api/v1/applications/{id}/claims"), Some(json!({
        "organisation_id": lead_org, "funder": "state", "kind": "advance", "amount_cents": 40_000_000, "expenses_cents": 0, "statement": "Advance on signature"}))).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    for o in [&o2, &o1] {
        let (s, r) = call(
            base,
            o,
            Method::POST,
            &format!("/api/v1/claims/{}/decision", c["id"]),
            Some(json!({"pay": true})),
        )
        .await;
        assert_eq!(
            s,
            StatusCode::OK,
            "proposed by one officer, released by another: {r}"
        );
    }
    let (_, m) = call(
        base,
        &lead,
        Method::POST,
        &format!("/api/v1/applications/{id}/milestones"),
        Some(json!({"title": "Demonstrator", "due_on": "2028-06-30"})),
    )
    .await;
    let (s, _) = call(
        base,
        &lead,
        Method::POST,
        &format!("/api/v1/applications/{id}/milestones/{}/done", m["id"]),
        Some(json!({"done_on": "2026-06-15", "evidence": "Demo report"})),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, f) = call(
        base,
        &lead,
        Method::GET,
        &format!("/api/v1/applications/{id}/funding"),
        None,
    )
    .await;
    let state = f["by_funder"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["funder"] == "state")
        .unwrap();
    assert_eq!(
        (
            state["paid_cents"].as_i64(),
            state["remaining_cents"].as_i64()
        ),
        (Some(40_000_000), Some(0))
    );
    assert_eq!(f["milestones"][0]["done_on"], "2026-06-15");
    let (_, env) = call(
        base,
        &o1,
        Method::GET,
        "/api/v1/calls/whole-call/envelopes",
        None,
    )
    .await;
    assert!(env
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["funder"] == "state" && e["committed_cents"] == 40_000_000));
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE object_kind = 'application' AND object_ref = $1",
    )
    .bind(id.to_string())
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert!(n >= 20, "every step of the call is in the audit trail: {n}");
}
