//! Several app servers on one database, as a deployment that outgrew one machine runs them:
//! nothing that must be shared may live in one server's memory.

use crate::accounts::{app, make_user, PASSWORD};
use crate::applications::{call, submitted_on, who};
use crate::support::{client, spawn, spawn_on, spawn_with};
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn login(base: &str, email: &str, password: &str) -> StatusCode {
    client()
        .post(format!("{base}/api/v1/session"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn sessions_and_login_throttles_are_shared_between_servers() {
    let a = app();
    let b = spawn_on(&a.db_url, 600);
    make_user(a, "two-servers@test.invalid", "admin", None).await;

    // A session made on one server works on the other, and so does its sign-out.
    let me = who(&a.base, "two-servers@test.invalid").await;
    let (s, body) = call(&b.base, &me, Method::GET, "/api/v1/me", None).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, _) = call(&b.base, &me, Method::DELETE, "/api/v1/session", None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = call(&a.base, &me, Method::GET, "/api/v1/me", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "signed out everywhere");

    // Failures from one address count on every server alike: five wrong passwords spread
    // over the two servers, and the sixth attempt is throttled on either.
    make_user(a, "two-throttle@test.invalid", "", None).await;
    for n in 0..5 {
        let base = if n % 2 == 0 { &a.base } else { &b.base };
        let s = login(base, "two-throttle@test.invalid", "wrong password here").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "failure {}", n + 1);
    }
    for base in [&a.base, &b.base] {
        let s = login(base, "two-throttle@test.invalid", "wrong password here").await;
        assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "on {base}");
    }
    assert_eq!(
        login(&b.base, "two-throttle-unknown@test.invalid", PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "another account from the same address is not throttled"
    );
}

/// The search limit is a fixed window counted in each server's memory and added to the
/// shared counters in the database every 1.5 s (a search writes nothing). Within one window a
/// server alone refuses past the limit at once; two servers together accept at least the
/// limit and at most twice it (the design's worst case: the limit on each server before the
/// counts meet); once the counts have met, both servers refuse.
#[tokio::test]
async fn the_search_limit_holds_across_servers() {
    const LIMIT: i64 = 10;
    let a = spawn_with(true, false, LIMIT);
    let b = spawn_on(&a.db_url, LIMIT);
    let window = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            / 60
    };
    // Start early in a window, so that the whole test stays in one.
    while std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        % 60
        > 40
    {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    let before = window();
    let mut set = tokio::task::JoinSet::new();
    for n in 0..3 * LIMIT {
        let base = if n % 2 == 0 {
            a.base.clone()
        } else {
            b.base.clone()
        };
        set.spawn(async move {
            client()
                .get(format!("{base}/api/v1/search?q=aero"))
                .send()
                .await
                .unwrap()
                .status()
        });
    }
    let statuses = set.join_all().await;
    let accepted = statuses.iter().filter(|s| **s == StatusCode::OK).count() as i64;
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count() as i64;
    assert_eq!(accepted + refused, 3 * LIMIT, "{statuses:?}");
    assert!(
        (LIMIT..=2 * LIMIT).contains(&accepted),
        "between the limit and twice it: {accepted}"
    );
    // After a flush or two, each server knows the other's count and refuses.
    tokio::time::sleep(std::time::Duration::from_millis(4000)).await;
    for base in [&a.base, &b.base] {
        let s = client()
            .get(format!("{base}/api/v1/search?q=aero"))
            .send()
            .await
            .unwrap()
            .status();
        if window() == before {
            assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "on {base}");
        }
    }
}

/// Two officers approve at the same moment on two servers; together the proposals would
/// overspend the State envelope, so exactly one is approved.
#[tokio::test]
async fn approvals_racing_on_two_servers_never_overspend() {
    let a = spawn(true);
    let b = spawn_on(&a.db_url, 600);
    // €1,000,000 of costs per partner: an aid of €1,550,000, the State's share €775,000.
    let x = submitted_on(&a, "fui-25", "srv-x", 1_000_000).await;
    let y = submitted_on(&a, "fui-25", "srv-y", 1_000_000).await;
    for n in 1..=3 {
        let email = format!("srv-officer{n}@test.invalid");
        make_user(&a, &email, "programme_officer", None).await;
    }
    let o1 = who(&a.base, "srv-officer1@test.invalid").await;
    let o2 = who(&a.base, "srv-officer2@test.invalid").await;
    let o3 = who(&b.base, "srv-officer3@test.invalid").await;
    let (s, r) = call(&a.base, &o1, Method::PUT, "/api/v1/calls/fui-25/selection", Some(json!({
        "envelopes": [{"funder": "state", "envelope_cents": 100_000_000}, {"funder": "region", "envelope_cents": 100_000_000}],
        "two_approvals_above_cents": 150_000_000}))).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{r}");
    // Each proposal takes €600,000 of the State's €1,000,000: one fits, two do not.
    let mut ids = Vec::new();
    for app_id in [x, y] {
        let (s, p) = call(
            &a.base,
            &o1,
            Method::POST,
            &format!("/api/v1/applications/{app_id}/proposals"),
            Some(json!({"lines": [{"funder": "state", "amount_cents": 60_000_000}]})),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
        ids.push(p["id"].as_i64().unwrap());
    }
    let (path_x, path_y) = (
        format!("/api/v1/proposals/{}/approve", ids[0]),
        format!("/api/v1/proposals/{}/approve", ids[1]),
    );
    let (rx, ry) = tokio::join!(
        call(&a.base, &o2, Method::POST, &path_x, None),
        call(&b.base, &o3, Method::POST, &path_y, None)
    );
    let approved = [&rx, &ry]
        .iter()
        .filter(|(s, _)| *s == StatusCode::OK)
        .count();
    assert_eq!(approved, 1, "exactly one fits: {rx:?} {ry:?}");
    let refused = if rx.0 == StatusCode::OK { &ry } else { &rx };
    assert_eq!(refused.1["error"]["field"], "envelope");
    let (_, env) = call(
        &b.base,
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
}
