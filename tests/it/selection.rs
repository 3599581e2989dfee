//! Blind review, ranking, four-eyes decisions and envelopes that racing approvals never overspend.

use crate::accounts::{app, make_user};
use crate::applications::{call, submitted_application, submitted_scaled, who};
use crate::support::connect;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn reviewers_score_blind_and_the_call_is_ranked() {
    let app = app();
    let base = app.base.as_str();
    let a = submitted_application("rev-a").await;
    let b = submitted_application("rev-b").await;
    let r1 = make_user(app, "rev-1@test.invalid", "reviewer", None).await;
    let r2 = make_user(app, "rev-2@test.invalid", "reviewer", None).await;
    // A reviewer who belongs to a partner organisation of the project is refused.
    let db = connect(&app.db_url).await;
    let partner: i64 = sqlx::query_scalar(
        "SELECT organisation_id FROM application_partners WHERE application_id = $1 LIMIT 1",
    )
    .bind(a)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    let r3 = make_user(app, "rev-3@test.invalid", "reviewer", None).await;
    sqlx::query("INSERT INTO role_grants (user_id, role, scope, granted_at) VALUES ($1, 'organisation_member', $2, '2026-01-01T00:00:00Z')")
        .bind(r3).bind(partner.to_string()).execute(&db.pool).await.unwrap();
    make_user(app, "rev-officer@test.invalid", "programme_officer", None).await;
    let officer = who(base, "rev-officer@test.invalid").await;
    for (app_id, reviewer) in [(a, r1), (a, r2), (b, r1)] {
        let (s, r) = call(
            base,
            &officer,
            Method::POST,
            &format!("/api/v1/applications/{app_id}/reviewers"),
            Some(json!({"reviewer_id": reviewer})),
        )
        .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{r}");
    }
    let (s, r) = call(
        base,
        &officer,
        Method::POST,
        &format!("/api/v1/applications/{a}/reviewers"),
        Some(json!({"reviewer_id": r3})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(r["error"]["message"]
        .as_str()
        .unwrap()
        .contains("partner organisation"));

    let one = who(base, "rev-1@test.invalid").await;
    let two = who(base, "rev-2@test.invalid").await;
    let (s, r) = call(
        base,
        &two,
        Method::POST,
        &format!("/api/v1/applications/{a}/review"),
        Some(json!({"scores": [{"criterion": 1, "score": 6, "comment": "Sound"}]})),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{r}");
    let (_, view) = call(
        base,
        &one,
        Method::GET,
        &format!("/api/v1/applications/{a}/review"),
        None,
    )
    .await;
    assert!(
        view["others"].is_null(),
        "blind before one's own review: {view}"
    );
    let (s, _) = call(
        base,
        &one,
        Method::POST,
        &format!("/api/v1/applications/{a}/review"),
        Some(json!({"scores": [{"criterion": 1, "score": 11}]})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "scores are 0 to 10");
    let (s, _) = call(
        base,
        &one,
        Method::POST,
        &format!("/api/v1/applications/{a}/review"),
        Some(json!({"scores": [{"criterion": 1, "score": 9}]})),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, view) = call(
        base,
        &one,
        Method::GET,
        &format!("/api/v1/applications/{a}/review"),
        None,
    )
    .await;
    assert_eq!(
        view["others"][0]["scores"][0]["score"], 6,
        "others' scores once one's own are in"
    );
    assert_eq!(
        view["others"][0]["reviewer"], "reviewer 1",
        "and without names"
    );
    let (s, _) = call(
        base,
        &one,
        Method::POST,
        &format!("/api/v1/applications/{a}/review"),
        Some(json!({"scores": [{"criterion": 1, "score": 1}]})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "a review is submitted once");
    let (s, _) = call(
        base,
        &one,
        Method::POST,
        &format!("/api/v1/applications/{b}/review"),
        Some(json!({"scores": [{"criterion": 1, "score": 4}]})),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = call(
        base,
        &two,
        Method::GET,
        &format!("/api/v1/applications/{b}/review"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "not assigned");

    let (s, ranking) = call(
        base,
        &officer,
        Method::GET,
        "/api/v1/calls/fui-25/ranking",
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let ids: Vec<i64> = ranking
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["application_id"].as_i64().unwrap())
        .collect();
    let pa = ids.iter().position(|x| *x == a).unwrap();
    let pb = ids.iter().position(|x| *x == b).unwrap();
    assert!(pa < pb, "7.5 ranks above 4");
    let row = &ranking[pa];
    assert_eq!(row["averages"][0]["average"], 750);
    let (s, _) = call(
        base,
        &one,
        Method::GET,
        "/api/v1/calls/fui-25/ranking",
        None,
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn four_eyes_and_envelopes_hold_when_approvals_race() {
    let app = app();
    let base = app.base.as_str();
    // €2,000,000 of costs per partner: an aid of €3,100,000, each funder's share €1,550,000,
    // so that the proposals below stay within the computed aid and meet the envelopes.
    let x = submitted_scaled("fui-25", "sel-x", 2_000_000).await;
    let y = submitted_scaled("fui-25", "sel-y", 2_000_000).await;
    let z = submitted_scaled("fui-25", "sel-z", 2_000_000).await;
    for n in 1..=3 {
        make_user(
            app,
            &format!("sel-officer{n}@test.invalid"),
            "programme_officer",
            None,
        )
        .await;
    }
    let o1 = who(base, "sel-officer1@test.invalid").await;
    let o2 = who(base, "sel-officer2@test.invalid").await;
    let o3 = who(base, "sel-officer3@test.invalid").await;
    // Envelopes in cents: State €1,000,000 and region €1,000,000; two approvers above €1.5M.
    let (s, r) = call(base, &o1, Method::PUT, "/api/v1/calls/fui-25/selection", Some(json!({
        "envelopes": [{"funder": "state", "envelope_cents": 100_000_000}, {"funder": "region", "envelope_cents": 100_000_000}],
        "two_approvals_above_cents": 150_000_000}))).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{r}");
    let (_, px) = call(base, &o1, Method::POST, &format!("/api/v1/applications/{x}/proposals"), Some(json!({"lines": [{"funder": "state", "amount_cents": 60_000_000}, {"funder": "region", "amount_cents": 60_000_000}]}))).await;
    let (_, py) = call(base, &o1, Method::POST, &format!("/api/v1/applications/{y}/proposals"), Some(json!({"lines": [{"funder": "state", "amount_cents": 60_000_000}, {"funder": "region", "amount_cents": 30_000_000}]}))).await;
    let (px, py) = (px["id"].as_i64().unwrap(), py["id"].as_i64().unwrap());
    let (s, r) = call(
        base,
        &o1,
        Method::POST,
        &format!("/api/v1/proposals/{px}/approve"),
        None,
    )
    .await;
    assert_eq!(
        s,
        StatusCode::BAD_REQUEST,
        "a proposer never approves their own proposal"
    );
    assert!(r["error"]["message"]
        .as_str()
        .unwrap()
        .contains("own proposal"));

    // Two officers approve at the same moment; together they would overspend the State envelope.
    let (path_x, path_y) = (
        format!("/api/v1/proposals/{px}/approve"),
        format!("/api/v1/proposals/{py}/approve"),
    );
    let (rx, ry) = tokio::join!(
        call(base, &o2, Method::POST, &path_x, None),
        call(base, &o3, Method::POST, &path_y, None)
    );
    let approved = [&rx, &ry]
        .iter()
        .filter(|(s, _)| *s == StatusCode::OK)
        .count();
    assert_eq!(approved, 1, "exactly one fits: {rx:?} {ry:?}");
    let refused = if rx.0 == StatusCode::OK { &ry } else { &rx };
    assert_eq!(refused.1["error"]["field"], "envelope");
    let winner = if rx.0 == StatusCode::OK { &rx.1 } else { &ry.1 };
    assert_eq!(winner["status"], "approved");
    assert!(
        winner["validation_date"]
            .as_str()
            .is_some_and(|d| d.len() == 10),
        "the approval date is the validation date"
    );
    let (_, env) = call(
        base,
        &o1,
        Method::GET,
        "/api/v1/calls/fui-25/envelopes",
        None,
    )
    .await;
    let state = env
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["funder"] == "state")
        .unwrap();
    assert_eq!(state["committed_cents"], 60_000_000);
    assert!(
        state["committed_cents"].as_i64().unwrap() <= state["envelope_cents"].as_i64().unwrap()
    );

    // Above the threshold, two approvers besides the proposer.
    let (_, pz) = call(base, &o1, Method::POST, &format!("/api/v1/applications/{z}/proposals"), Some(json!({"lines": [{"funder": "state", "amount_cents": 30_000_000}, {"funder": "region", "amount_cents": 130_000_000}]}))).await;
    let pz = pz["id"].as_i64().unwrap();
    let (s, first) = call(
        base,
        &o2,
        Method::POST,
        &format!("/api/v1/proposals/{pz}/approve"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(first["status"], "proposed");
    assert_eq!(first["approvals_needed"], 2);
    let (s, _) = call(
        base,
        &o2,
        Method::POST,
        &format!("/api/v1/proposals/{pz}/approve"),
        None,
    )
    .await;
    assert_eq!(
        s,
        StatusCode::BAD_REQUEST,
        "the same officer twice does not count"
    );
    let (s, second) = call(
        base,
        &o3,
        Method::POST,
        &format!("/api/v1/proposals/{pz}/approve"),
        None,
    )
    .await;
    // The region envelope: €600,000 or €300,000 already committed + €1,300,000 > €1,000,000.
    assert_eq!(s, StatusCode::BAD_REQUEST, "{second}");
    assert_eq!(second["error"]["field"], "envelope");
}
