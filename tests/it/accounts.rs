//! Accounts, roles and the audit trail, as users and attackers meet them over HTTP.

use crate::support::{client, connect, poles, spawn, spawn_full, spawn_with, App};
use poles_core::auth::{Email, Grant, NewPassword};
use poles_store::{accounts, audit};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::sync::OnceLock;

pub const PASSWORD: &str = "a long enough demo passphrase";

/// One server for the account tests (they write, so not the shared read-only one).
pub fn app() -> &'static App {
    static APP: OnceLock<App> = OnceLock::new();
    APP.get_or_init(|| spawn(true))
}

pub async fn make_user(app: &App, email: &str, role: &str, scope: Option<&str>) -> i64 {
    let db = connect(&app.db_url).await;
    let common = poles_app::common_passwords();
    let grants: Vec<Grant> = match role {
        "" => vec![],
        r => vec![Grant::parse(r, scope).unwrap()],
    };
    accounts::create_user(
        &db,
        None,
        &audit::Context::default(),
        &Email::parse("email", email).unwrap(),
        &NewPassword::parse("password", PASSWORD, &common).unwrap(),
        &grants,
    )
    .await
    .unwrap()
}

/// A signed-in browser: its session cookie and CSRF token.
#[derive(Clone)]
pub(crate) struct Browser {
    pub(crate) cookie: String,
    pub(crate) csrf: String,
}

async fn login(app: &App, email: &str, password: &str) -> reqwest::Response {
    client()
        .post(format!("{}/api/v1/session", app.base))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
}

pub(crate) async fn sign_in(app: &App, email: &str) -> Browser {
    let r = login(app, email, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK, "login of {email}");
    let set = r
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let cookie = set.split(';').next().unwrap().to_string();
    let body: Value = r.json().await.unwrap();
    Browser {
        cookie,
        csrf: body["csrf_token"].as_str().unwrap().to_string(),
    }
}

pub(crate) async fn call(
    app: &App,
    who: Option<&Browser>,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = client().request(method, format!("{}{path}", app.base));
    if let Some(b) = who {
        req = req
            .header("cookie", &b.cookie)
            .header("x-csrf-token", &b.csrf);
    }
    if let Some(body) = body {
        req = req.json(&body);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

pub(crate) async fn version(app: &App, path: &str) -> i64 {
    let (_, v) = call(app, None, Method::GET, path, None).await;
    v["version"].as_i64().unwrap()
}

async fn audit_count(app: &App, action: &str, actor: i64) -> i64 {
    let db = connect(&app.db_url).await;
    sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM audit_log WHERE action = $1 AND actor_id = $2",
    )
    .bind(action)
    .bind(actor)
    .fetch_one(&db.pool)
    .await
    .unwrap()
}

/// Every write endpoint × every role × own object / someone else's object.
#[tokio::test]
async fn write_matrix_allows_exactly_the_right_roles() {
    let app = app();
    let db = connect(&app.db_url).await;
    let own_org = poles_store::registry::organisation_id_by_demo_key(&db, "xerox")
        .await
        .unwrap()
        .unwrap();
    let other_org = poles_store::registry::organisation_id_by_demo_key(&db, "thales")
        .await
        .unwrap()
        .unwrap();
    let roles: Vec<(&str, &str, Option<String>)> = vec![
        ("admin", "admin", None),
        ("officer", "programme_officer", None),
        ("region", "region_officer", Some("84".into())),
        ("funder", "funder_officer", Some("state".into())),
        ("manager", "cluster_manager", Some("axelera".into())),
        ("member", "organisation_member", Some(own_org.to_string())),
        ("reviewer", "reviewer", None),
    ];
    let mut browsers = Vec::new();
    for (name, role, scope) in &roles {
        let email = format!("matrix-{name}@test.invalid");
        let id = make_user(app, &email, role, scope.as_deref()).await;
        browsers.push((*name, id, sign_in(app, &email).await));
    }
    // (label, expected allowed roles)
    type Case = (&'static str, Method, String, Vec<&'static str>);
    let cases: Vec<Case> = vec![
        (
            "own cluster",
            Method::PATCH,
            "/api/v1/clusters/axelera".into(),
            vec!["admin", "officer", "manager"],
        ),
        (
            "other cluster",
            Method::PATCH,
            "/api/v1/clusters/vegepolys".into(),
            vec!["admin", "officer"],
        ),
        (
            "own cluster member",
            Method::POST,
            "/api/v1/clusters/axelera/members".into(),
            vec!["admin", "officer", "manager"],
        ),
        (
            "other cluster member",
            Method::POST,
            "/api/v1/clusters/vegepolys/members".into(),
            vec!["admin", "officer"],
        ),
        (
            "own cluster partnership",
            Method::POST,
            "/api/v1/clusters/axelera/partnerships".into(),
            vec!["admin", "officer", "manager"],
        ),
        (
            "other cluster partnership",
            Method::POST,
            "/api/v1/clusters/vegepolys/partnerships".into(),
            vec!["admin", "officer"],
        ),
        (
            "label history",
            Method::POST,
            "/api/v1/clusters/axelera/labels".into(),
            vec!["admin", "officer"],
        ),
        (
            "own organisation",
            Method::PATCH,
            format!("/api/v1/organisations/{own_org}"),
            vec!["admin", "member"],
        ),
        (
            "other organisation",
            Method::PATCH,
            format!("/api/v1/organisations/{other_org}"),
            vec!["admin"],
        ),
        (
            "programme figure",
            Method::PUT,
            "/api/v1/programme/figures/test_figure".into(),
            vec!["admin", "officer"],
        ),
        (
            "news",
            Method::POST,
            "/api/v1/news".into(),
            vec!["admin", "officer", "region", "funder"],
        ),
        (
            "event",
            Method::POST,
            "/api/v1/events".into(),
            vec!["admin", "officer", "region", "funder"],
        ),
        ("users", Method::POST, "/api/v1/users".into(), vec!["admin"]),
        (
            "grant role",
            Method::POST,
            "/api/v1/users/{reviewer}/roles".into(),
            vec!["admin"],
        ),
        (
            "revoke role",
            Method::DELETE,
            "/api/v1/users/{reviewer}/roles".into(),
            vec!["admin"],
        ),
        (
            "user status",
            Method::PUT,
            "/api/v1/users/{reviewer}/status".into(),
            vec!["admin"],
        ),
        (
            "own cluster remove member",
            Method::DELETE,
            "/api/v1/clusters/axelera/members/{member}".into(),
            vec!["admin", "officer", "manager"],
        ),
        (
            "other cluster remove member",
            Method::DELETE,
            "/api/v1/clusters/vegepolys/members/{member}".into(),
            vec!["admin", "officer"],
        ),
        (
            "own cluster remove partnership",
            Method::DELETE,
            "/api/v1/clusters/axelera/partnerships/{partnership}".into(),
            vec!["admin", "officer", "manager"],
        ),
        (
            "other cluster remove partnership",
            Method::DELETE,
            "/api/v1/clusters/vegepolys/partnerships/{partnership}".into(),
            vec!["admin", "officer"],
        ),
        (
            "news removal",
            Method::DELETE,
            "/api/v1/news/{news}".into(),
            vec!["admin", "officer", "region", "funder"],
        ),
    ];
    // A user that admins act on in the role and status cases (not the reviewer who signs in).
    let reviewer_id = make_user(app, "matrix-target@test.invalid", "reviewer", None).await;
    let mut n = 0;
    for (label, method, path, allowed) in &cases {
        for (name, user_id, b) in &browsers {
            n += 1;
            let body = match *label {
                l if l.contains("remove")
                    || l.contains("removal")
                    || l.contains("role")
                    || l == "user status" =>
                {
                    json!({})
                }
                l if l.contains("cluster member") => {
                    json!({"organisation_id": 100 + n, "role": "member"})
                }
                l if l.contains("partnership") => {
                    json!({"partner": format!("foreign:matrix-{n}"), "foreign_name": format!("Matrix {n}"), "foreign_country": "DE"})
                }
                "label history" => {
                    json!({"status": "labelled", "tier": "national", "decision_date": "2019-01-01", "source": "test"})
                }
                l if l.contains("cluster") || l.contains("organisation") => {
                    let v = version(app, path).await;
                    if l.contains("cluster") {
                        json!({"version": v, "governance": format!("board {n}")})
                    } else {
                        json!({"version": v, "competences": format!("skills {n}")})
                    }
                }
                "programme figure" => {
                    json!({"key": "x", "label_en": "Test", "label_fr": "Test", "amount_cents": 100, "currency": "EUR", "per": "year", "certainty": "U", "source": "test"})
                }
                "news" => json!({"title_fr": "Titre", "title_en": "Title", "source": "test"}),
                "event" => json!({"name_fr": "Nom", "name_en": "Name", "source": "test"}),
                "users" => {
                    json!({"email": format!("created-{n}@test.invalid"), "password": PASSWORD})
                }
                _ => unreachable!(),
            };
            // Objects to remove are made fresh for each attempt, by the admin.
            let admin = &browsers[0].2;
            let cluster = if path.contains("/vegepolys/") {
                "vegepolys"
            } else {
                "axelera"
            };
            let path = if path.contains("{member}") {
                let org = 5000 + n;
                let (s, _) = call(
                    app,
                    Some(admin),
                    Method::POST,
                    &format!("/api/v1/clusters/{cluster}/members"),
                    Some(json!({"organisation_id": org})),
                )
                .await;
                assert!(s.is_success());
                path.replace("{member}", &org.to_string())
            } else if path.contains("{partnership}") {
                let (_, c) = call(
                    app,
                    Some(admin),
                    Method::POST,
                    &format!("/api/v1/clusters/{cluster}/partnerships"),
                    Some(
                        json!({"partner": format!("foreign:rm-{n}"), "foreign_name": "To remove"}),
                    ),
                )
                .await;
                path.replace("{partnership}", &c["id"].to_string())
            } else if path.contains("{news}") {
                let (_, c) = call(app, Some(admin), Method::POST, "/api/v1/news", Some(json!({"title_fr": "À retirer", "title_en": "To withdraw", "source": "test"}))).await;
                path.replace("{news}", &c["id"].to_string())
            } else {
                path.replace("{reviewer}", &reviewer_id.to_string())
            };
            let path = path.as_str();
            let body = match *label {
                "grant role" => json!({"role": "cluster_manager", "scope": format!("matrix-{n}")}),
                "revoke role" => {
                    let (s, _) = call(
                        app,
                        Some(admin),
                        Method::POST,
                        &format!("/api/v1/users/{reviewer_id}/roles"),
                        Some(json!({"role": "funder_officer", "scope": format!("fund-{n}")})),
                    )
                    .await;
                    assert!(s.is_success());
                    json!({"role": "funder_officer", "scope": format!("fund-{n}")})
                }
                "user status" => json!({"disabled": false}),
                _ => body,
            };
            let denied_before = audit_count(app, "access.denied", *user_id).await;
            let (status, resp) = call(app, Some(b), method.clone(), path, Some(body)).await;
            if allowed.contains(name) {
                assert!(
                    status.is_success(),
                    "{label}: {name} should be allowed, got {status} {resp}"
                );
            } else {
                assert_eq!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{label}: {name} should be denied, got {resp}"
                );
                assert_eq!(resp["error"]["code"], "forbidden");
                assert_eq!(
                    audit_count(app, "access.denied", *user_id).await,
                    denied_before + 1,
                    "{label}: the refusal of {name} is audited"
                );
            }
        }
        // Without signing in: 401, whatever the endpoint.
        let path = path
            .replace("{reviewer}", "1")
            .replace("{member}", "1")
            .replace("{partnership}", "1")
            .replace("{news}", "1");
        let (status, _) = call(app, None, method.clone(), &path, Some(json!({}))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{label} anonymous");
    }
    // Every allowed write left its audit row with the acting user and role.
    let admin_id = browsers[0].1;
    for action in [
        "cluster.update",
        "partnership.add",
        "label.add",
        "organisation.update",
        "figure.put",
        "news.create",
        "event.create",
        "user.create",
    ] {
        assert!(
            audit_count(app, action, admin_id).await >= 1,
            "{action} audited for the admin"
        );
    }
    let rows: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT action, role FROM audit_log WHERE actor_id = $1 AND action = 'cluster.update'",
    )
    .bind(browsers[4].1)
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert!(
        rows.iter()
            .all(|(_, role)| role.as_deref() == Some("cluster_manager")),
        "{rows:?}"
    );
    // The audit log is for officers and admins only; who acted (their e-mail address) is
    // shown to admins only.
    for (name, _, b) in &browsers {
        let (status, log) = call(
            app,
            Some(b),
            Method::GET,
            "/api/v1/audit?object_kind=cluster&object_ref=axelera",
            None,
        )
        .await;
        let expect = if ["admin", "officer", "region", "funder"].contains(name) {
            StatusCode::OK
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(status, expect, "audit log for {name}");
        if status == StatusCode::OK {
            let items = log["items"].as_array().unwrap();
            assert!(!items.is_empty());
            let emails = items
                .iter()
                .filter(|i| i["actor_email"].is_string())
                .count();
            if *name == "admin" {
                assert!(emails > 0, "admins see who acted");
            } else {
                assert_eq!(emails, 0, "{name} sees no e-mail address");
            }
            let page = client()
                .get(format!(
                    "{}/audit?object_kind=cluster&object_ref=axelera&lang=en",
                    app.base
                ))
                .header("cookie", &b.cookie)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert_eq!(
                page.contains("matrix-admin@test.invalid"),
                *name == "admin",
                "the audit page shows e-mail addresses to admins only ({name})"
            );
        }
    }
    let (_, log) = call(
        app,
        Some(&browsers[0].2),
        Method::GET,
        "/api/v1/audit?object_kind=cluster&object_ref=axelera&action=cluster.update",
        None,
    )
    .await;
    let item = &log["items"][0];
    assert!(item["changes"]["governance"]["after"]
        .as_str()
        .unwrap()
        .starts_with("board"));
    assert!(item["changes"]["governance"].get("before").is_some());
    assert!(item["request_id"].as_str().is_some_and(|r| !r.is_empty()));
}

#[tokio::test]
async fn cookie_writes_need_the_csrf_token_and_get_never_writes() {
    let app = app();
    make_user(
        app,
        "csrf@test.invalid",
        "cluster_manager",
        Some("vegepolys"),
    )
    .await;
    let b = sign_in(app, "csrf@test.invalid").await;
    let v = version(app, "/api/v1/clusters/vegepolys").await;
    let url = format!("{}/api/v1/clusters/vegepolys", app.base);
    let r = client()
        .patch(&url)
        .header("cookie", &b.cookie)
        .json(&json!({"version": v, "website": "https://a.example"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "csrf");
    let r = client()
        .patch(&url)
        .header("cookie", &b.cookie)
        .header("x-csrf-token", "0".repeat(32))
        .json(&json!({"version": v}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        version(app, "/api/v1/clusters/vegepolys").await,
        v,
        "nothing was written"
    );
    // A sign-in posted from another site is refused.
    let r = client()
        .post(format!("{}/api/v1/session", app.base))
        .header("origin", "https://evil.example")
        .json(&json!({"email": "csrf@test.invalid", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Read endpoints take no write method.
    let r = client()
        .post(format!("{}/api/v1/clusters", app.base))
        .header("cookie", &b.cookie)
        .header("x-csrf-token", &b.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn session_cookies_are_locked_down_and_rotate() {
    let app = app();
    make_user(app, "cookie@test.invalid", "reviewer", None).await;
    let r = login(app, "cookie@test.invalid", PASSWORD).await;
    let set = r
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(set.starts_with("poles_session="));
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set.contains(flag), "{flag} in {set}");
    }
    let first = sign_in(app, "cookie@test.invalid").await;
    let second = sign_in(app, "cookie@test.invalid").await;
    assert_ne!(
        first.cookie, second.cookie,
        "a new session id at every login"
    );
    assert_eq!(
        first.cookie.len(),
        "poles_session=".len() + 32,
        "128-bit ids"
    );
    let (status, me) = call(app, Some(&second), Method::GET, "/api/v1/me", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["user"]["email"], "cookie@test.invalid");
    let r = client()
        .get(format!("{}/api/v1/me", app.base))
        .header("cookie", &second.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers().get("cache-control").unwrap(), "no-store");
    // Logout ends the session on the server: the old cookie no longer works.
    let (status, _) = call(app, Some(&second), Method::DELETE, "/api/v1/session", None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = call(app, Some(&second), Method::GET, "/api/v1/me", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = call(app, Some(&first), Method::GET, "/api/v1/me", None).await;
    assert_eq!(status, StatusCode::OK, "other sessions live on");

    // Behind TLS: Secure and the __Host- prefix, and HSTS.
    let tls = spawn_with(false, true, 600);
    make_user(&tls, "tls@test.invalid", "reviewer", None).await;
    let r = login(&tls, "tls@test.invalid", PASSWORD).await;
    let set = r
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        set.starts_with("__Host-poles_session=") && set.contains("; Secure"),
        "{set}"
    );
    assert!(r.headers().get("strict-transport-security").is_some());
}

#[tokio::test]
async fn repeated_failures_are_throttled_with_retry_after() {
    let app = app();
    make_user(app, "throttle@test.invalid", "reviewer", None).await;
    for _ in 0..5 {
        let r = login(app, "throttle@test.invalid", "wrong password here").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "bad_credentials");
    }
    let r = login(app, "throttle@test.invalid", PASSWORD).await;
    assert_eq!(
        r.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    let retry: i64 = r
        .headers()
        .get("retry-after")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=15 * 60).contains(&retry), "{retry}");
    // Failures are recorded in the audit trail; an unknown e-mail answers like a wrong password.
    let r = login(app, "nobody@test.invalid", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let db = connect(&app.db_url).await;
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'login.failed'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert!(n >= 6);
}

#[tokio::test]
async fn stale_versions_are_409_with_the_current_version() {
    let app = app();
    make_user(
        app,
        "stale@test.invalid",
        "cluster_manager",
        Some("i-trans"),
    )
    .await;
    let b = sign_in(app, "stale@test.invalid").await;
    let v = version(app, "/api/v1/clusters/i-trans").await;
    let (s1, r1) = call(
        app,
        Some(&b),
        Method::PATCH,
        "/api/v1/clusters/i-trans",
        Some(json!({"version": v, "description_en": "First edit"})),
    )
    .await;
    assert_eq!(s1, StatusCode::OK);
    assert_eq!(r1["version"], v + 1);
    let (s2, r2) = call(
        app,
        Some(&b),
        Method::PATCH,
        "/api/v1/clusters/i-trans",
        Some(json!({"version": v, "description_en": "Lost edit"})),
    )
    .await;
    assert_eq!(s2, StatusCode::CONFLICT);
    assert_eq!(r2["error"]["current_version"], v + 1);
    let (_, c) = call(app, None, Method::GET, "/api/v1/clusters/i-trans", None).await;
    assert_eq!(c["description_en"], "First edit");
    // Bad input names its field and changes nothing.
    let (s3, r3) = call(
        app,
        Some(&b),
        Method::PATCH,
        "/api/v1/clusters/i-trans",
        Some(json!({"version": v + 1, "website": "not a url"})),
    )
    .await;
    assert_eq!(s3, StatusCode::BAD_REQUEST);
    assert_eq!(r3["error"]["field"], "website");
    assert_eq!(version(app, "/api/v1/clusters/i-trans").await, v + 1);
}

#[tokio::test]
async fn api_tokens_are_scoped_and_revocable() {
    let app = app();
    make_user(app, "tokens@test.invalid", "cluster_manager", Some("moveo")).await;
    let b = sign_in(app, "tokens@test.invalid").await;
    let (s, read) = call(
        app,
        Some(&b),
        Method::POST,
        "/api/v1/tokens",
        Some(json!({"name": "reader", "scope": "read"})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, write) = call(
        app,
        Some(&b),
        Method::POST,
        "/api/v1/tokens",
        Some(json!({"name": "writer", "scope": "write"})),
    )
    .await;
    let bearer = |t: &Value| format!("Bearer {}", t["token"].as_str().unwrap());
    let v = version(app, "/api/v1/clusters/moveo").await;
    let url = format!("{}/api/v1/clusters/moveo", app.base);
    let r = client()
        .patch(&url)
        .header("authorization", bearer(&read))
        .json(&json!({"version": v, "website": "https://moveo.example"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "a read token writes nothing"
    );
    let r = client()
        .patch(&url)
        .header("authorization", bearer(&write))
        .json(&json!({"version": v, "website": "https://moveo.example"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "a write token needs no CSRF token"
    );
    let (_, list) = call(app, Some(&b), Method::GET, "/api/v1/tokens", None).await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert!(
        list.to_string()
            .find(write["token"].as_str().unwrap())
            .is_none(),
        "secrets are never listed"
    );
    let (s, _) = call(
        app,
        Some(&b),
        Method::DELETE,
        &format!("/api/v1/tokens/{}", write["id"]),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let r = client()
        .get(format!("{}/api/v1/me", app.base))
        .header("authorization", bearer(&write))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let db = connect(&app.db_url).await;
    let stored: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM api_tokens")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert!(
        stored
            .iter()
            .all(|h| h.len() == 64 && !h.starts_with("pol_")),
        "stored hashed"
    );
}

#[tokio::test]
async fn disabling_a_user_ends_their_sessions_at_once() {
    let app = app();
    let target = make_user(app, "disable-me@test.invalid", "reviewer", None).await;
    make_user(app, "disabler@test.invalid", "admin", None).await;
    let victim = sign_in(app, "disable-me@test.invalid").await;
    let admin = sign_in(app, "disabler@test.invalid").await;
    let (s, _) = call(
        app,
        Some(&admin),
        Method::PUT,
        &format!("/api/v1/users/{target}/status"),
        Some(json!({"disabled": true, "reason": "left the programme"})),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = call(app, Some(&victim), Method::GET, "/api/v1/me", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(
        login(app, "disable-me@test.invalid", PASSWORD)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    // Passwords follow the policy.
    for (pw, why) in [("short", "at least 12"), ("123qweasdzxc", "common")] {
        let (s, r) = call(
            app,
            Some(&admin),
            Method::POST,
            "/api/v1/users",
            Some(json!({"email": "p@test.invalid", "password": pw})),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert_eq!(r["error"]["field"], "password");
        assert!(r["error"]["message"].as_str().unwrap().contains(why), "{r}");
    }
    let (s, r) = call(
        app,
        Some(&admin),
        Method::POST,
        &format!("/api/v1/users/{target}/roles"),
        Some(json!({"role": "cluster_manager"})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(r["error"]["field"], "scope");
}

#[tokio::test]
async fn the_second_factor_is_required_once_enabled() {
    let app = app();
    make_user(app, "totp@test.invalid", "programme_officer", None).await;
    let b = sign_in(app, "totp@test.invalid").await;
    let (_, setup) = call(app, Some(&b), Method::POST, "/api/v1/me/totp", None).await;
    let secret = poles_core::totp::base32_decode(setup["secret"].as_str().unwrap()).unwrap();
    assert!(setup["otpauth_uri"]
        .as_str()
        .unwrap()
        .starts_with("otpauth://totp/"));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let code = format!("{:06}", poles_core::totp::hotp(&secret, now / 30));
    let (s, _) = call(
        app,
        Some(&b),
        Method::POST,
        "/api/v1/me/totp/confirm",
        Some(json!({"code": code})),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let r = login(app, "totp@test.invalid", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "second_factor_required");
    let r = client()
        .post(format!("{}/api/v1/session", app.base))
        .json(&json!({"email": "totp@test.invalid", "password": PASSWORD, "code": code}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn personal_data_can_be_downloaded_and_erased_without_breaking_the_chain() {
    let app = app();
    let id = make_user(app, "erase@test.invalid", "reviewer", None).await;
    let b = sign_in(app, "erase@test.invalid").await;
    let (s, data) = call(app, Some(&b), Method::GET, "/api/v1/me/data", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(data["account"]["email"], "erase@test.invalid");
    assert!(data["audit_events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "login"));
    let (s, _) = call(
        app,
        Some(&b),
        Method::DELETE,
        "/api/v1/me",
        Some(json!({"password": "wrong password x"})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = call(
        app,
        Some(&b),
        Method::DELETE,
        "/api/v1/me",
        Some(json!({"password": PASSWORD})),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let db = connect(&app.db_url).await;
    let email: String = sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
        .bind(id)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(email, format!("erased-{id}@invalid"));
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_personal p JOIN audit_log a ON a.id = p.audit_id WHERE a.actor_id = $1 AND p.actor_email IS NOT NULL")
        .bind(id)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(left, 0);
    assert!(
        audit::verify(&db).await.unwrap().is_ok(),
        "the chain is whole after erasure"
    );
    assert_eq!(
        login(app, "erase@test.invalid", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn the_audit_trail_is_append_only_and_tampering_is_found() {
    // Its own server: tampering breaks the chain for good.
    let app = spawn(false);
    make_user(&app, "audited@test.invalid", "programme_officer", None).await;
    let b = sign_in(&app, "audited@test.invalid").await;
    for n in 0..3 {
        let (s, _) = call(
            &app,
            Some(&b),
            Method::POST,
            "/api/v1/news",
            Some(
                json!({"title_fr": format!("T{n}"), "title_en": format!("T{n}"), "source": "test"}),
            ),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED);
    }
    let db = connect(&app.db_url).await;
    let rows = audit::verify(&db).await.unwrap().unwrap();
    assert!(rows >= 5, "user, login, three news: {rows}");
    // The database refuses updates and deletes of audit rows.
    assert!(
        sqlx::query("UPDATE audit_log SET action = 'x' WHERE id = 2")
            .execute(&db.pool)
            .await
            .is_err()
    );
    assert!(sqlx::query("DELETE FROM audit_log WHERE id = 2")
        .execute(&db.pool)
        .await
        .is_err());
    // Someone with the keys of the database goes around the triggers …
    match db.backend {
        poles_store::Backend::Sqlite => {
            sqlx::query("DROP TRIGGER audit_log_no_update")
                .execute(&db.pool)
                .await
                .unwrap();
        }
        poles_store::Backend::Postgres => {
            sqlx::query("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
                .execute(&db.pool)
                .await
                .unwrap();
        }
    }
    let third: i64 = sqlx::query_scalar("SELECT id FROM audit_log ORDER BY id LIMIT 1 OFFSET 2")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE audit_log SET object_ref = 'forged' WHERE id = $1")
        .bind(third)
        .execute(&db.pool)
        .await
        .unwrap();
    // … and `poles audit verify` names the row.
    let broken = audit::verify(&db).await.unwrap().unwrap_err();
    assert_eq!(broken.id, third);
    let out = poles(&app.db_url)
        .args(["audit", "verify"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("row {third}")), "{stderr}");
}

#[tokio::test]
async fn a_reset_token_works_once() {
    let app = app();
    make_user(app, "reset@test.invalid", "reviewer", None).await;
    let before = sign_in(app, "reset@test.invalid").await;
    let (_, old_token) = call(
        app,
        Some(&before),
        Method::POST,
        "/api/v1/tokens",
        Some(json!({"name": "old"})),
    )
    .await;
    let db = connect(&app.db_url).await;
    let token = accounts::start_reset(
        &db,
        &accounts::Policy::default(),
        &audit::Context::default(),
        &Email::parse("e", "reset@test.invalid").unwrap(),
    )
    .await
    .unwrap()
    .expect("a token for an active account");
    let new = "another long passphrase here";
    let post = |pw: &'static str| {
        let token = token.clone();
        async move {
            client()
                .post(format!("{}/reset?lang=en", app.base))
                .form(&[("token", token.as_str()), ("new_password", pw)])
                .send()
                .await
                .unwrap()
        }
    };
    let r = post("password").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "the policy applies");
    let r = post(new).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        login(app, "reset@test.invalid", new).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        login(app, "reset@test.invalid", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let r = post("yet another long passphrase").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "a token works once");
    let r = client()
        .get(format!("{}/api/v1/me", app.base))
        .header(
            "authorization",
            format!("Bearer {}", old_token["token"].as_str().unwrap()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::UNAUTHORIZED,
        "a recovered account's tokens stop working"
    );
    let (s, _) = call(app, Some(&before), Method::GET, "/api/v1/me", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "and its sessions end");
    assert!(accounts::start_reset(
        &db,
        &accounts::Policy::default(),
        &audit::Context::default(),
        &Email::parse("e", "nobody@test.invalid").unwrap()
    )
    .await
    .unwrap()
    .is_none());
}

#[tokio::test]
async fn search_has_a_generous_limit_shared_through_the_database() {
    let app = spawn_with(false, false, 3);
    for _ in 0..3 {
        let r = client()
            .get(format!("{}/api/v1/search?q=lyon", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
    let r = client()
        .get(format!("{}/api/v1/search?q=lyon", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: i64 = r
        .headers()
        .get("retry-after")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry));
    let body: Value = r.json().await.unwrap();
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        !message.contains("failed attempts"),
        "a search limit is not a failed login: {message}"
    );
    let r = client()
        .get(format!("{}/search?q=lyon", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the page shares the counter"
    );
}

#[tokio::test]
async fn sessions_end_when_idle_or_too_old() {
    let policy = accounts::Policy {
        session_idle_secs: 2,
        session_absolute_secs: 4,
        ..Default::default()
    };
    let app = spawn_full(false, false, 600, policy);
    make_user(&app, "idle@test.invalid", "reviewer", None).await;
    let idle = sign_in(&app, "idle@test.invalid").await;
    tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
    let (s, _) = call(&app, Some(&idle), Method::GET, "/api/v1/me", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "idle too long");
    let busy = sign_in(&app, "idle@test.invalid").await;
    for _ in 0..5 {
        tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
        let (s, _) = call(&app, Some(&busy), Method::GET, "/api/v1/me", None).await;
        if s == StatusCode::UNAUTHORIZED {
            return;
        }
    }
    panic!("a session past its absolute lifetime still works");
}

#[tokio::test]
async fn nobody_reaches_another_users_token() {
    let app = app();
    make_user(app, "owner@test.invalid", "reviewer", None).await;
    make_user(app, "intruder@test.invalid", "reviewer", None).await;
    let owner = sign_in(app, "owner@test.invalid").await;
    let intruder = sign_in(app, "intruder@test.invalid").await;
    let (_, t) = call(
        app,
        Some(&owner),
        Method::POST,
        "/api/v1/tokens",
        Some(json!({"name": "mine"})),
    )
    .await;
    let (s, _) = call(
        app,
        Some(&intruder),
        Method::DELETE,
        &format!("/api/v1/tokens/{}", t["id"]),
        None,
    )
    .await;
    assert_eq!(
        s,
        StatusCode::NOT_FOUND,
        "someone else's token is not even seen"
    );
    let (_, list) = call(app, Some(&intruder), Method::GET, "/api/v1/tokens", None).await;
    assert!(list.as_array().unwrap().is_empty());
}

#[tokio::test]
async fn an_api_token_cannot_change_its_owners_account() {
    let app = app();
    make_user(app, "token-owner@test.invalid", "admin", None).await;
    let b = sign_in(app, "token-owner@test.invalid").await;
    let (_, t) = call(
        app,
        Some(&b),
        Method::POST,
        "/api/v1/tokens",
        Some(json!({"name": "ro", "scope": "read"})),
    )
    .await;
    let (_, w) = call(
        app,
        Some(&b),
        Method::POST,
        "/api/v1/tokens",
        Some(json!({"name": "rw", "scope": "write"})),
    )
    .await;
    for token in [&t, &w] {
        let bearer = format!("Bearer {}", token["token"].as_str().unwrap());
        for (method, path, body) in [
            (
                Method::POST,
                "/api/v1/tokens",
                json!({"name": "escalate", "scope": "write"}),
            ),
            (Method::POST, "/api/v1/me/totp", json!({})),
            (
                Method::PUT,
                "/api/v1/me/password",
                json!({"current_password": PASSWORD, "new_password": "a brand new passphrase"}),
            ),
            (Method::DELETE, "/api/v1/me", json!({"password": PASSWORD})),
        ] {
            let r = client()
                .request(method, format!("{}{path}", app.base))
                .header("authorization", &bearer)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path} with a token");
        }
        let r = client()
            .get(format!("{}/api/v1/me", app.base))
            .header("authorization", &bearer)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::OK,
            "reading one's account with a token is fine"
        );
    }
}

#[tokio::test]
async fn strangers_cannot_lock_a_user_out_and_parallel_guesses_are_counted() {
    let app = app();
    make_user(app, "target@test.invalid", "reviewer", None).await;
    let db = connect(&app.db_url).await;
    let policy = accounts::Policy::default();
    let from = |ip: &str| audit::Context {
        ip: Some(ip.to_string()),
        ..Default::default()
    };
    // An attacker guesses from one address until throttled …
    for _ in 0..policy.failures_per_account_and_address {
        let r = accounts::login(
            &db,
            &policy,
            &from("203.0.113.7"),
            "target@test.invalid",
            "guess guess guess",
            None,
            None,
        )
        .await
        .unwrap();
        assert!(matches!(r, accounts::Login::Refused));
    }
    let r = accounts::login(
        &db,
        &policy,
        &from("203.0.113.7"),
        "target@test.invalid",
        PASSWORD,
        None,
        None,
    )
    .await
    .unwrap();
    assert!(matches!(r, accounts::Login::Throttled { .. }));
    // … while the user, elsewhere, still signs in.
    let r = accounts::login(
        &db,
        &policy,
        &from("198.51.100.20"),
        "target@test.invalid",
        PASSWORD,
        None,
        None,
    )
    .await
    .unwrap();
    assert!(matches!(r, accounts::Login::Session { .. }));

    // Twenty guesses at once from one address on a fresh account: exactly the allowed
    // number are even tried.
    make_user(app, "parallel@test.invalid", "reviewer", None).await;
    let attempts = |ip: &'static str| {
        let db = db.clone();
        (0..20).map(move |_| {
            let db = db.clone();
            async move {
                accounts::login(
                    &db,
                    &policy,
                    &from(ip),
                    "parallel@test.invalid",
                    "parallel guess x",
                    None,
                    None,
                )
                .await
                .unwrap()
            }
        })
    };
    let tried = |results: &[accounts::Login]| {
        results
            .iter()
            .filter(|r| matches!(r, accounts::Login::Refused))
            .count() as i64
    };
    let results = futures_join_all(attempts("192.0.2.99")).await;
    assert_eq!(
        tried(&results),
        policy.failures_per_account_and_address,
        "the rest were throttled"
    );
    // Twenty at once from another address, on the account that now has its failures: the
    // first is tried (the address had not failed), the others wait for the account's delay.
    let results = futures_join_all(attempts("192.0.2.100")).await;
    assert_eq!(tried(&results), 1, "one tried, the rest delayed");
}

/// Runs futures concurrently on this task (no extra dependency for a join-all).
async fn futures_join_all<F: std::future::Future>(fs: impl Iterator<Item = F>) -> Vec<F::Output> {
    let handles: Vec<_> = fs.map(|f| Box::pin(f)).collect();
    let mut out = Vec::new();
    let mut pending: Vec<_> = handles.into_iter().map(Some).collect();
    let mut results: Vec<Option<F::Output>> = (0..pending.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut done = true;
        for (k, slot) in pending.iter_mut().enumerate() {
            if let Some(f) = slot {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => {
                        results[k] = Some(v);
                        *slot = None;
                    }
                    std::task::Poll::Pending => done = false,
                }
            }
        }
        if done {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    out.extend(results.into_iter().map(|r| r.expect("finished")));
    out
}

/// Region and funder officers read and act on what touches their scope only: a region
/// officer an application whose partners do their R&D in their region, a funder officer one
/// to a call their funder funds; neither runs the selection.
#[tokio::test]
async fn region_and_funder_officers_reach_only_their_scope() {
    let app = app();
    let db = connect(&app.db_url).await;
    let sme: i64 = sqlx::query_scalar(
        "SELECT id FROM organisations WHERE cordis_id IS NOT NULL AND country = 'FR' ORDER BY id LIMIT 1 OFFSET 3",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    make_user(
        app,
        "scope-lead@test.invalid",
        "organisation_member",
        Some(&sme.to_string()),
    )
    .await;
    let lead = sign_in(app, "scope-lead@test.invalid").await;
    // Two drafts of the same lead: R&D in Grenoble (region 84), and in Paris (region 11).
    let mut ids = Vec::new();
    for (acronym, commune) in [("SCOPE84", "38185"), ("SCOPE11", "75056")] {
        let (s, created) = call(
            app,
            Some(&lead),
            Method::POST,
            "/api/v1/calls/fui-25/applications",
            Some(json!({"lead_organisation_id": sme, "acronym": acronym, "title": acronym})),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{created}");
        let id = created["id"].as_i64().unwrap();
        let (s, r) = call(
            app,
            Some(&lead),
            Method::PUT,
            &format!("/api/v1/applications/{id}/partners/{sme}/budget"),
            Some(json!({"costs": {"staff": 10_000_000, "equipment": 0, "subcontracting": 0, "overheads": 0}, "rd_commune": commune})),
        )
        .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{r}");
        ids.push(id);
    }
    let (in_84, in_11) = (ids[0], ids[1]);
    let officers: Vec<(&str, &str, Option<&str>)> = vec![
        ("scope-region84@test.invalid", "region_officer", Some("84")),
        ("scope-region11@test.invalid", "region_officer", Some("11")),
        ("scope-state@test.invalid", "funder_officer", Some("state")),
        ("scope-feder@test.invalid", "funder_officer", Some("feder")),
        ("scope-officer@test.invalid", "programme_officer", None),
    ];
    // (officer, application, may read)
    let expected = [
        (0, in_84, true),
        (0, in_11, false),
        (1, in_84, false),
        (1, in_11, true),
        (2, in_84, true),
        (2, in_11, true),
        (3, in_84, false),
        (3, in_11, false),
        (4, in_84, true),
        (4, in_11, true),
    ];
    let mut browsers = Vec::new();
    for (email, role, scope) in &officers {
        let id = make_user(app, email, role, *scope).await;
        browsers.push((id, sign_in(app, email).await));
    }
    for (k, application, allowed) in expected {
        let (user_id, b) = &browsers[k];
        let who = officers[k].0;
        let denied_before = audit_count(app, "access.denied", *user_id).await;
        let (status, body) = call(
            app,
            Some(b),
            Method::GET,
            &format!("/api/v1/applications/{application}"),
            None,
        )
        .await;
        let page = client()
            .get(format!("{}/applications/{application}?lang=en", app.base))
            .header("cookie", &b.cookie)
            .send()
            .await
            .unwrap();
        let page_status = page.status();
        let html = page.text().await.unwrap();
        if allowed {
            assert_eq!(status, StatusCode::OK, "{who} reads {application}: {body}");
            assert_eq!(
                page_status,
                StatusCode::OK,
                "{who}: the page of {application}"
            );
            assert!(html.contains("SCOPE"));
        } else {
            assert_eq!(
                status,
                StatusCode::FORBIDDEN,
                "{who} must not read {application}"
            );
            assert_eq!(
                page_status,
                StatusCode::FORBIDDEN,
                "{who}: the page of {application}"
            );
            assert!(
                !html.contains("SCOPE"),
                "{who}: nothing of the application shows"
            );
            assert_eq!(
                audit_count(app, "access.denied", *user_id).await,
                denied_before + 2,
                "{who}: both refusals are audited"
            );
        }
    }
    // Writes: neither scoped officer runs the selection, even in their scope; both publish.
    for k in [0, 2] {
        let (_, b) = &browsers[k];
        let (s, _) = call(
            app,
            Some(b),
            Method::POST,
            &format!("/api/v1/applications/{in_84}/reviewers"),
            Some(json!({"reviewer_id": browsers[4].0})),
        )
        .await;
        assert_eq!(
            s,
            StatusCode::FORBIDDEN,
            "{}: assign a reviewer",
            officers[k].0
        );
        let (s, _) = call(
            app,
            Some(b),
            Method::PUT,
            "/api/v1/calls/fui-25/selection",
            Some(json!({"envelopes": [], "two_approvals_above_cents": null})),
        )
        .await;
        assert_eq!(
            s,
            StatusCode::FORBIDDEN,
            "{}: selection settings",
            officers[k].0
        );
        let (s, _) = call(
            app,
            Some(b),
            Method::POST,
            &format!("/api/v1/applications/{in_84}/partners"),
            Some(json!({"organisation_id": sme})),
        )
        .await;
        assert_eq!(
            s,
            StatusCode::FORBIDDEN,
            "{}: change a consortium",
            officers[k].0
        );
    }
}

/// A sign-in's answer carries the session: no cache may keep it.
#[tokio::test]
async fn sign_ins_are_never_cached() {
    let app = app();
    make_user(app, "nocache@test.invalid", "reviewer", None).await;
    let r = login(app, "nocache@test.invalid", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let r = client()
        .post(format!("{}/login?lang=en", app.base))
        .form(&[("email", "nocache@test.invalid"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert!(r.headers().contains_key("set-cookie"));
    assert_eq!(r.headers()["cache-control"], "no-store");
}

/// Disabling an account revokes its API tokens: re-enabling it does not bring them back.
#[tokio::test]
async fn re_enabling_a_user_does_not_revive_their_tokens() {
    let app = app();
    let target = make_user(app, "tokens-back@test.invalid", "reviewer", None).await;
    make_user(app, "tokens-admin@test.invalid", "admin", None).await;
    let owner = sign_in(app, "tokens-back@test.invalid").await;
    let admin = sign_in(app, "tokens-admin@test.invalid").await;
    let (s, t) = call(
        app,
        Some(&owner),
        Method::POST,
        "/api/v1/tokens",
        Some(json!({"name": "script", "scope": "read"})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let token = t["token"].as_str().unwrap().to_string();
    let me = || async {
        client()
            .get(format!("{}/api/v1/me", app.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status()
    };
    assert_eq!(me().await, StatusCode::OK);
    for disabled in [true, false] {
        let (s, _) = call(
            app,
            Some(&admin),
            Method::PUT,
            &format!("/api/v1/users/{target}/status"),
            Some(json!({"disabled": disabled})),
        )
        .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
    }
    assert_eq!(
        login(app, "tokens-back@test.invalid", PASSWORD)
            .await
            .status(),
        StatusCode::OK,
        "the account works again"
    );
    assert_eq!(
        me().await,
        StatusCode::UNAUTHORIZED,
        "its old token does not"
    );
}

/// `poles audit verify | head -1`: a reader that goes away is not a crash.
#[tokio::test]
async fn audit_verify_survives_a_closed_pipe() {
    let app = app();
    let mut child = poles(&app.db_url)
        .args(["audit", "verify"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Close the reading end before the command writes anything.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && !stderr.contains("panicked"),
        "{:?}: {stderr}",
        out.status
    );
}

/// The request id in the audit trail is the server's: a client's `X-Request-Id` is kept
/// only as a separate, short field, and a long or odd one is dropped.
#[tokio::test]
async fn the_request_id_is_the_servers_and_a_clients_is_kept_apart() {
    let app = app();
    let db = connect(&app.db_url).await;
    // One account per attempt, so that no throttle answers instead of the sign-in.
    let n = &std::sync::atomic::AtomicUsize::new(0);
    let fail = |client_id: String| async move {
        let email = format!(
            "reqid-{}@test.invalid",
            n.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        );
        make_user(app, &email, "reviewer", None).await;
        client()
            .post(format!("{}/api/v1/session", app.base))
            .header("x-request-id", client_id)
            .json(&json!({"email": email, "password": "not the password"}))
            .send()
            .await
            .unwrap()
    };
    let r = fail("forged".into()).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let server_id = r.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_ne!(server_id, "forged", "the server chooses the request id");
    assert!(
        server_id.len() <= 64 && server_id.bytes().all(|b| b.is_ascii_graphic()),
        "{server_id}"
    );
    let forged: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE request_id = 'forged'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(forged, 0, "a client's id is never stored as the request id");
    let (action, client_id): (String, Option<String>) =
        sqlx::query_as("SELECT action, client_request_id FROM audit_log WHERE request_id = $1")
            .bind(&server_id)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(action, "login.failed");
    assert_eq!(client_id.as_deref(), Some("forged"), "kept apart");
    // 8,000 characters, or characters that are not visible ASCII: dropped.
    for bad in ["x".repeat(8000), "a b".to_string(), "x".repeat(65)] {
        let r = fail(bad).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        let id = r.headers()["x-request-id"].to_str().unwrap().to_string();
        assert!(id.len() <= 64);
        let (request_id, client_id): (Option<String>, Option<String>) = sqlx::query_as(
            "SELECT request_id, client_request_id FROM audit_log WHERE request_id = $1",
        )
        .bind(&id)
        .fetch_one(&db.pool)
        .await
        .unwrap();
        assert_eq!(request_id.as_deref(), Some(id.as_str()));
        assert_eq!(client_id, None, "dropped");
    }
    // 64 visible characters are kept, and the officers' view shows both ids.
    let ok = "A".repeat(63) + "~";
    let r = fail(ok.clone()).await;
    let id = r.headers()["x-request-id"].to_str().unwrap().to_string();
    let (client_id,): (Option<String>,) =
        sqlx::query_as("SELECT client_request_id FROM audit_log WHERE request_id = $1")
            .bind(&id)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(client_id, Some(ok));
}

/// The personal part of audit rows (e-mail, address) changes only through erasure: the
/// database refuses any other update or delete.
#[tokio::test]
async fn audit_personal_data_changes_only_through_erasure() {
    let app = app();
    let id = make_user(app, "personal@test.invalid", "reviewer", None).await;
    let b = sign_in(app, "personal@test.invalid").await;
    let db = connect(&app.db_url).await;
    let row: i64 = sqlx::query_scalar(
        "SELECT p.audit_id FROM audit_personal p JOIN audit_log a ON a.id = p.audit_id \
         WHERE a.actor_id = $1 AND p.actor_email IS NOT NULL ORDER BY a.id DESC LIMIT 1",
    )
    .bind(id)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    for sql in [
        "UPDATE audit_personal SET actor_email = 'someone@else.invalid' WHERE audit_id = $1",
        "UPDATE audit_personal SET ip = '10.9.9.9' WHERE audit_id = $1",
        "UPDATE audit_personal SET actor_email = NULL, ip = NULL WHERE audit_id = $1",
        "DELETE FROM audit_personal WHERE audit_id = $1",
    ] {
        assert!(
            sqlx::query(sql).bind(row).execute(&db.pool).await.is_err(),
            "refused: {sql}"
        );
    }
    if db.backend == poles_store::Backend::Postgres {
        assert!(sqlx::query("TRUNCATE audit_personal")
            .execute(&db.pool)
            .await
            .is_err());
    }
    let email: Option<String> =
        sqlx::query_scalar("SELECT actor_email FROM audit_personal WHERE audit_id = $1")
            .bind(row)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(email.as_deref(), Some("personal@test.invalid"));
    // Erasure clears it, and says so in the trail.
    let (s, _) = call(
        app,
        Some(&b),
        Method::DELETE,
        "/api/v1/me",
        Some(json!({"password": PASSWORD})),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (email, ip): (Option<String>, Option<String>) =
        sqlx::query_as("SELECT actor_email, ip FROM audit_personal WHERE audit_id = $1")
            .bind(row)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!((email, ip), (None, None));
    let changes: String = sqlx::query_scalar(
        "SELECT changes FROM audit_log WHERE action = 'user.erase' AND object_ref = $1",
    )
    .bind(id.to_string())
    .fetch_one(&db.pool)
    .await
    .unwrap();
    let changes: Value = serde_json::from_str(&changes).unwrap();
    assert!(
        changes["audit_rows_cleared"]
            .as_i64()
            .is_some_and(|n| n >= 1),
        "{changes}"
    );
    // Still no way around it afterwards.
    assert!(
        sqlx::query("DELETE FROM audit_personal WHERE audit_id = $1")
            .bind(row)
            .execute(&db.pool)
            .await
            .is_err()
    );
}

/// Drops (SQLite) or disables (PostgreSQL) every trigger guarding the audit tables, as
/// someone holding the database's keys can.
async fn strip_audit_triggers(db: &poles_store::Db) {
    match db.backend {
        poles_store::Backend::Sqlite => {
            let names: Vec<String> = sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' \
                 AND tbl_name IN ('audit_log', 'audit_personal')",
            )
            .fetch_all(&db.pool)
            .await
            .unwrap();
            for n in names {
                sqlx::query(&format!("DROP TRIGGER {n}"))
                    .execute(&db.pool)
                    .await
                    .unwrap();
            }
        }
        poles_store::Backend::Postgres => {
            for t in ["audit_log", "audit_personal"] {
                sqlx::query(&format!("ALTER TABLE {t} DISABLE TRIGGER USER"))
                    .execute(&db.pool)
                    .await
                    .unwrap();
            }
        }
    }
}

/// The hash rule of the chain before it had a key: SHA-256 of the row's length-prefixed
/// fields, anyone can recompute it.
fn unkeyed_hash(prev: &str, r: &ChainRow) -> String {
    use sha2::Digest;
    let actor = r.2.map(|a| a.to_string());
    let fields: [Option<&str>; 10] = [
        Some(prev),
        Some(&r.1),
        actor.as_deref(),
        r.3.as_deref(),
        Some(&r.4),
        Some(&r.5),
        Some(&r.6),
        Some(&r.7),
        r.8.as_deref(),
        r.9.as_deref(),
    ];
    let canon: String = fields
        .iter()
        .map(|f| match f {
            Some(v) => format!("{}:{v}\n", v.len()),
            None => "~\n".to_string(),
        })
        .collect();
    sha2::Sha256::digest(canon.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

type ChainRow = (
    i64,
    String,
    Option<i64>,
    Option<String>,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
);

/// Rewrites rows from `from` on with the unkeyed rule, each linked to the one before.
async fn recompute_without_key(db: &poles_store::Db, from: i64) {
    let rows: Vec<ChainRow> = sqlx::query_as(
        "SELECT id, at, actor_id, role, action, object_kind, object_ref, changes, reason, request_id \
         FROM audit_log WHERE id >= $1 ORDER BY id",
    )
    .bind(from)
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let mut prev: String =
        sqlx::query_scalar("SELECT hash FROM audit_log WHERE id < $1 ORDER BY id DESC LIMIT 1")
            .bind(from)
            .fetch_optional(&db.pool)
            .await
            .unwrap()
            .unwrap_or_else(|| "0".repeat(64));
    for r in rows {
        let hash = unkeyed_hash(&prev, &r);
        sqlx::query("UPDATE audit_log SET prev_hash = $1, hash = $2 WHERE id = $3")
            .bind(&prev)
            .bind(&hash)
            .bind(r.0)
            .execute(&db.pool)
            .await
            .unwrap();
        prev = hash;
    }
}

/// A server with a few audited writes of its own (its trail gets tampered with).
async fn audited_server(news: usize) -> (App, poles_store::Db) {
    let app = spawn(false);
    make_user(&app, "chain@test.invalid", "programme_officer", None).await;
    let b = sign_in(&app, "chain@test.invalid").await;
    for n in 0..news {
        let (s, _) = call(
            &app,
            Some(&b),
            Method::POST,
            "/api/v1/news",
            Some(
                json!({"title_fr": format!("N{n}"), "title_en": format!("N{n}"), "source": "test"}),
            ),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED);
    }
    let db = connect(&app.db_url).await;
    (app, db)
}

fn run(c: &mut std::process::Command) -> (i32, String, String) {
    let out = c.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `poles audit head` prints the head to keep elsewhere; `verify --expect-head` then finds
/// rows cut from the end, which the chain alone cannot show.
#[tokio::test]
async fn rows_cut_from_the_end_are_found_against_a_kept_head() {
    let (app, db) = audited_server(3).await;
    let (code, head, err) = run(poles(&app.db_url).args(["audit", "head"]));
    assert_eq!(code, 0, "{err}");
    let head = head.trim().to_string();
    let (last_id, last_hash): (i64, String) =
        sqlx::query_as("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(head, format!("{last_id}:{last_hash}"));
    let (code, out, err) =
        run(poles(&app.db_url).args(["audit", "verify", "--expect-head", &head]));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("head matches"), "{out}");
    // A wrong head is refused.
    let wrong = format!("{last_id}:{}", "ab".repeat(32));
    let (code, _, err) = run(poles(&app.db_url).args(["audit", "verify", "--expect-head", &wrong]));
    assert_eq!(code, 2, "{err}");
    // Cut the last two rows.
    strip_audit_triggers(&db).await;
    for t in ["audit_personal WHERE audit_id", "audit_log WHERE id"] {
        sqlx::query(&format!("DELETE FROM {t} > $1"))
            .bind(last_id - 2)
            .execute(&db.pool)
            .await
            .unwrap();
    }
    let (code, _, err) = run(poles(&app.db_url).args(["audit", "verify"]));
    assert_eq!(code, 0, "the chain alone cannot tell: {err}");
    let (code, _, err) = run(poles(&app.db_url).args(["audit", "verify", "--expect-head", &head]));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("cut") && err.contains(&format!("row {last_id}")),
        "{err}"
    );
}

/// Row ids are in the hash: moving a row to another id breaks the chain.
#[tokio::test]
async fn renumbered_rows_break_the_chain() {
    let (_app, db) = audited_server(2).await;
    audit::verify(&db).await.unwrap().unwrap();
    strip_audit_triggers(&db).await;
    let last: i64 = sqlx::query_scalar("SELECT MAX(id) FROM audit_log")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    sqlx::query("DELETE FROM audit_personal WHERE audit_id = $1")
        .bind(last)
        .execute(&db.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE audit_log SET id = $1 WHERE id = $2")
        .bind(last + 1000)
        .bind(last)
        .execute(&db.pool)
        .await
        .unwrap();
    let broken = audit::verify(&db).await.unwrap().unwrap_err();
    assert_eq!(broken.id, last + 1000, "{broken}");
}

/// The chain has a key: rows rewritten and re-hashed by someone without it (with the rule
/// of the unkeyed chain) are found, whether they keep their key id or drop it.
#[tokio::test]
async fn a_chain_recomputed_without_the_key_is_found() {
    let (app, db) = audited_server(3).await;
    let (_, head, _) = run(poles(&app.db_url).args(["audit", "head"]));
    strip_audit_triggers(&db).await;
    let third: i64 = sqlx::query_scalar("SELECT id FROM audit_log ORDER BY id LIMIT 1 OFFSET 2")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE audit_log SET object_ref = 'forged' WHERE id = $1")
        .bind(third)
        .execute(&db.pool)
        .await
        .unwrap();
    recompute_without_key(&db, third).await;
    let broken = audit::verify(&db).await.unwrap().unwrap_err();
    assert_eq!(broken.id, third, "{broken}");
    // Passing the rewritten rows off as rows of the unkeyed era: after a keyed row, refused.
    sqlx::query("UPDATE audit_log SET key_id = NULL WHERE id >= $1")
        .bind(third)
        .execute(&db.pool)
        .await
        .unwrap();
    let broken = audit::verify(&db).await.unwrap().unwrap_err();
    assert_eq!(broken.id, third, "{broken}");
    // The whole trail passed off as unkeyed: it verifies as such (nothing in the database
    // can tell), says so, and the head kept elsewhere finds it.
    sqlx::query("UPDATE audit_log SET key_id = NULL")
        .execute(&db.pool)
        .await
        .unwrap();
    recompute_without_key(&db, 1).await;
    let (code, out, err) = run(poles(&app.db_url).args(["audit", "verify"]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("without a key"), "{out}");
    let (code, _, err) =
        run(poles(&app.db_url).args(["audit", "verify", "--expect-head", head.trim()]));
    assert_eq!(code, 2, "{err}");
}

/// A trail begun before the chain had a key (an older database) still verifies: its first
/// rows with the unkeyed rule, reported as such, the rows after them with the key.
#[tokio::test]
async fn rows_chained_before_the_key_still_verify_and_are_reported() {
    let (db, url) = crate::support::fresh_db().await;
    let mut prev = "0".repeat(64);
    for id in 1..=3i64 {
        let r: ChainRow = (
            id,
            format!("2024-01-0{id}T00:00:00Z"),
            None,
            None,
            "legacy.event".into(),
            "test".into(),
            id.to_string(),
            "{}".into(),
            None,
            Some(format!("req-{id}")),
        );
        let hash = unkeyed_hash(&prev, &r);
        sqlx::query(
            "INSERT INTO audit_log (id, at, action, object_kind, object_ref, changes, request_id, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(r.0)
        .bind(&r.1)
        .bind(&r.4)
        .bind(&r.5)
        .bind(&r.6)
        .bind(&r.7)
        .bind(&r.9)
        .bind(&prev)
        .bind(&hash)
        .execute(&db.pool)
        .await
        .unwrap();
        prev = hash;
    }
    let db = connect(&url).await;
    for n in 0..2 {
        audit::record(
            &db,
            &audit::Context::default(),
            audit::Event {
                action: "keyed.event",
                object_kind: "test",
                object_ref: n.to_string(),
                changes: json!({}),
                reason: None,
            },
        )
        .await
        .unwrap();
    }
    assert_eq!(audit::verify(&db).await.unwrap().unwrap(), 5);
    let (code, out, err) = run(poles(&url).args(["audit", "verify"]));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("3 rows (1 to 3) chained without a key") && out.contains("2 rows keyed"),
        "{out}"
    );
    let keys: Vec<Option<String>> = sqlx::query_scalar("SELECT key_id FROM audit_log ORDER BY id")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert_eq!(
        keys,
        [None, None, None, Some("test".into()), Some("test".into())]
    );
}

/// Without a configured key, a SQLite database gets one in a file beside it (mode 0600), on
/// first start; the key never enters the database. PostgreSQL refuses to write without one.
#[tokio::test]
async fn a_sqlite_database_gets_its_key_file_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.db");
    let url = format!("sqlite://{}", path.display());
    let create = |email: &str| {
        use std::io::Write;
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_poles"));
        c.env_remove("POLES_AUDIT_KEY")
            .env_remove("POLES_AUDIT_KEY_FILE")
            .args([
                "--database-url",
                &url,
                "admin",
                "create-user",
                "--email",
                email,
                "--role",
                "reviewer",
            ])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = c.spawn().unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{PASSWORD}\n").as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    create("k1@test.invalid");
    let key_file = dir.path().join("k.db.audit-key");
    let key = std::fs::read_to_string(&key_file).expect("a key file beside the database");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    create("k2@test.invalid");
    assert_eq!(
        std::fs::read_to_string(&key_file).unwrap(),
        key,
        "kept, not replaced"
    );
    let secret = key
        .lines()
        .find(|l| !l.trim_start().starts_with('#') && l.contains(':'))
        .and_then(|l| l.trim().split_once(':'))
        .map(|(_, s)| s.to_string())
        .unwrap();
    for f in ["k.db", "k.db-wal"] {
        if let Ok(bytes) = std::fs::read(dir.path().join(f)) {
            assert!(
                !String::from_utf8_lossy(&bytes).contains(&secret),
                "the key is not in {f}"
            );
        }
    }
    let mut plain = std::process::Command::new(env!("CARGO_BIN_EXE_poles"));
    plain
        .env_remove("POLES_AUDIT_KEY")
        .env_remove("POLES_AUDIT_KEY_FILE")
        .args(["--database-url", &url, "audit", "verify"]);
    let (code, out, err) = run(&mut plain);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("2 rows keyed"), "{out}");
    // Another key does not verify these rows.
    let (code, _, err) = run(std::process::Command::new(env!("CARGO_BIN_EXE_poles"))
        .env(
            "POLES_AUDIT_KEY",
            "other:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
        )
        .args(["--database-url", &url, "audit", "verify"]));
    assert_eq!(code, 2, "{err}");
    // The key can be named by a flag instead.
    let (code, _, err) = run(std::process::Command::new(env!("CARGO_BIN_EXE_poles"))
        .env_remove("POLES_AUDIT_KEY")
        .args(["--database-url", &url, "--audit-key-file"])
        .arg(&key_file)
        .args(["audit", "verify"]));
    assert_eq!(code, 0, "{err}");
    if crate::support::postgres_url().is_some() {
        let (_, pg) = crate::support::fresh_db().await;
        let (code, _, err) = run(std::process::Command::new(env!("CARGO_BIN_EXE_poles"))
            .env_remove("POLES_AUDIT_KEY")
            .env_remove("POLES_AUDIT_KEY_FILE")
            .args([
                "--database-url",
                &pg,
                "serve",
                "--no-demo",
                "--bind",
                "127.0.0.1:0",
            ]));
        assert_ne!(code, 0);
        assert!(err.contains("POLES_AUDIT_KEY"), "{err}");
    }
}

/// Rotating the key: the new key signs, the old one, kept after it, still verifies the rows
/// it signed; without it they are reported, not passed.
#[tokio::test]
async fn a_rotated_key_keeps_older_rows_verifiable() {
    use poles_store::keyring::Keyring;
    let (_, url) = crate::support::fresh_db().await;
    let old = "old:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    let new = "new:ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";
    let with = |keys: String| {
        let url = url.clone();
        async move {
            poles_store::Db::connect(&url)
                .await
                .unwrap()
                .with_audit_keys(Keyring::parse(&keys).unwrap())
        }
    };
    let event = |n: usize| audit::Event {
        action: "rotation.event",
        object_kind: "test",
        object_ref: n.to_string(),
        changes: json!({}),
        reason: None,
    };
    let before = with(old.to_string()).await;
    audit::record(&before, &audit::Context::default(), event(1))
        .await
        .unwrap();
    let rotated = with(format!("{new}, {old}")).await;
    audit::record(&rotated, &audit::Context::default(), event(2))
        .await
        .unwrap();
    let v = audit::verify_trail(&rotated, None).await.unwrap().unwrap();
    assert_eq!(
        (v.keyed, v.key_ids.clone()),
        (2, vec!["old".to_string(), "new".to_string()])
    );
    let keys: Vec<Option<String>> = sqlx::query_scalar("SELECT key_id FROM audit_log ORDER BY id")
        .fetch_all(&rotated.pool)
        .await
        .unwrap();
    assert_eq!(keys, [Some("old".into()), Some("new".into())]);
    // The old key dropped: its row cannot be checked, and verification says so.
    let broken = audit::verify(&with(new.to_string()).await)
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(broken.id, 1);
    assert!(broken.reason.contains("\"old\""), "{broken}");
    // A handle without keys writes nothing to the trail.
    let keyless = poles_store::Db::connect(&url).await.unwrap();
    assert!(
        audit::record(&keyless, &audit::Context::default(), event(3))
            .await
            .is_err()
    );
}

/// Signs in through the API from one loopback address: the response.
async fn login_from(app: &App, ip: &str, email: &str, password: &str) -> reqwest::Response {
    crate::support::client_from(ip)
        .post(format!("{}/api/v1/session", app.base))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
}

async fn active_admins(app: &App) -> i64 {
    let db = connect(&app.db_url).await;
    sqlx::query_scalar(
        "SELECT COUNT(DISTINCT u.id) FROM users u JOIN role_grants g ON g.user_id = u.id \
         WHERE u.status = 'active' AND g.role = 'admin'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap()
}

/// The only admin can neither disable their account, nor give up the admin role, nor erase
/// their account: 409 `last_admin`, naming the field. With a second active admin each of
/// these is allowed again.
#[tokio::test]
async fn the_last_active_admin_cannot_be_disabled_demoted_or_erased() {
    let app = spawn(false);
    let only = make_user(&app, "only-admin@test.invalid", "admin", None).await;
    let admin = sign_in(&app, "only-admin@test.invalid").await;
    let cases = [
        (
            Method::PUT,
            format!("/api/v1/users/{only}/status"),
            json!({"disabled": true}),
            "disabled",
        ),
        (
            Method::DELETE,
            format!("/api/v1/users/{only}/roles"),
            json!({"role": "admin"}),
            "role",
        ),
        (
            Method::DELETE,
            "/api/v1/me".to_string(),
            json!({"password": PASSWORD}),
            "account",
        ),
    ];
    for (method, path, body, field) in &cases {
        let (s, r) = call(&app, Some(&admin), method.clone(), path, Some(body.clone())).await;
        assert_eq!(s, StatusCode::CONFLICT, "{method} {path}: {r}");
        assert_eq!(r["error"]["code"], "last_admin", "{r}");
        assert_eq!(r["error"]["field"], *field, "{r}");
        assert!(
            r["error"]["message"]
                .as_str()
                .unwrap()
                .contains("last active admin"),
            "{r}"
        );
    }
    let (s, me) = call(&app, Some(&admin), Method::GET, "/api/v1/me", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(me["user"]["status"], "active");
    assert_eq!(active_admins(&app).await, 1);

    // A disabled admin does not count: disabling the second one leaves the first the last.
    let second = make_user(&app, "second-admin@test.invalid", "admin", None).await;
    let (s, r) = call(
        &app,
        Some(&admin),
        Method::PUT,
        &format!("/api/v1/users/{second}/status"),
        Some(json!({"disabled": true})),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{r}");
    let (s, _) = call(
        &app,
        Some(&admin),
        Method::PUT,
        &format!("/api/v1/users/{only}/status"),
        Some(json!({"disabled": true})),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    // Re-enabled, the second admin lets the first step down.
    let (s, _) = call(
        &app,
        Some(&admin),
        Method::PUT,
        &format!("/api/v1/users/{second}/status"),
        Some(json!({"disabled": false})),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, r) = call(
        &app,
        Some(&admin),
        Method::DELETE,
        &format!("/api/v1/users/{only}/roles"),
        Some(json!({"role": "admin"})),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{r}");
    assert_eq!(active_admins(&app).await, 1);
}

/// Two admins each giving up the role, or disabling each other, at the same moment: the
/// check runs in the change's own transaction under the write lock, so one of them wins
/// and an active admin remains.
#[tokio::test]
async fn racing_admins_cannot_leave_the_platform_without_one() {
    let app = spawn(false);
    let db = connect(&app.db_url).await;
    let a = make_user(&app, "race-a@test.invalid", "admin", None).await;
    let b = make_user(&app, "race-b@test.invalid", "admin", None).await;
    for round in 0..3 {
        let ba = sign_in(&app, "race-a@test.invalid").await;
        let bb = sign_in(&app, "race-b@test.invalid").await;
        let body = Some(json!({"role": "admin"}));
        let (pa, pb) = (
            format!("/api/v1/users/{a}/roles"),
            format!("/api/v1/users/{b}/roles"),
        );
        let ((sa, _), (sb, _)) = tokio::join!(
            call(&app, Some(&ba), Method::DELETE, &pa, body.clone()),
            call(&app, Some(&bb), Method::DELETE, &pb, body.clone()),
        );
        let mut got = [sa, sb];
        got.sort();
        assert_eq!(
            got,
            [StatusCode::NO_CONTENT, StatusCode::CONFLICT],
            "round {round}: giving up the role"
        );
        assert_eq!(active_admins(&app).await, 1, "round {round}");
        // Both admins again, then each disables the other.
        for id in [a, b] {
            sqlx::query("INSERT INTO role_grants (user_id, role, scope, granted_at) VALUES ($1, 'admin', '', '2026-01-01T00:00:00Z') ON CONFLICT (user_id, role, scope) DO NOTHING")
                .bind(id)
                .execute(&db.pool)
                .await
                .unwrap();
        }
        let ba = sign_in(&app, "race-a@test.invalid").await;
        let bb = sign_in(&app, "race-b@test.invalid").await;
        let off = Some(json!({"disabled": true}));
        let (pa, pb) = (
            format!("/api/v1/users/{b}/status"),
            format!("/api/v1/users/{a}/status"),
        );
        let ((sa, _), (sb, _)) = tokio::join!(
            call(&app, Some(&ba), Method::PUT, &pa, off.clone()),
            call(&app, Some(&bb), Method::PUT, &pb, off.clone()),
        );
        // The loser is refused (409), or finds its session already ended (401).
        let wins = [sa, sb]
            .iter()
            .filter(|s| **s == StatusCode::NO_CONTENT)
            .count();
        assert_eq!(
            wins, 1,
            "round {round}: disabling each other gave {sa} and {sb}"
        );
        assert_eq!(active_admins(&app).await, 1, "round {round}");
        sqlx::query("UPDATE users SET status = 'active' WHERE id IN ($1, $2)")
            .bind(a)
            .bind(b)
            .execute(&db.pool)
            .await
            .unwrap();
    }
}

/// Strangers rotating addresses fail on the admin's account fifty times: the admin, from an
/// address that has not failed, still signs in at once; an address that just failed waits a
/// short, stated delay (never more than a minute) instead of a lock.
#[tokio::test]
async fn rotating_addresses_cannot_lock_an_account_out() {
    let app = spawn(false);
    make_user(&app, "locked-out@test.invalid", "admin", None).await;
    for k in 10..60 {
        let r = login_from(
            &app,
            &format!("127.0.0.{k}"),
            "locked-out@test.invalid",
            "not the right one",
        )
        .await;
        assert_eq!(
            r.status(),
            StatusCode::UNAUTHORIZED,
            "guess from 127.0.0.{k}"
        );
    }
    let r = login_from(&app, "127.0.0.100", "locked-out@test.invalid", PASSWORD).await;
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "the right password from an address that has not failed is never refused"
    );
    let r = login_from(&app, "127.0.0.59", "locked-out@test.invalid", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: i64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "a delay, not a lock: {retry}");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "too_many_requests");
}

/// Behind one address (a shared NAT), people mistyping on a few accounts block nobody else;
/// what is limited per address is the number of distinct accounts failed on.
#[tokio::test]
async fn one_address_failing_on_a_few_accounts_blocks_nobody_else_behind_it() {
    let app = spawn(false);
    for k in 0..9 {
        make_user(&app, &format!("nat-{k}@test.invalid"), "reviewer", None).await;
    }
    let nat = "127.0.0.70";
    // 32 failures on 8 accounts, under the 5 per account and address.
    for round in 0..4 {
        for k in 0..8 {
            let r = login_from(&app, nat, &format!("nat-{k}@test.invalid"), "mistyped it").await;
            assert_eq!(
                r.status(),
                StatusCode::UNAUTHORIZED,
                "failure {round} on nat-{k}"
            );
        }
    }
    let r = login_from(&app, nat, "nat-8@test.invalid", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK, "a colleague behind the NAT");
    let r = login_from(&app, nat, "nat-0@test.invalid", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK, "and the one who mistyped");

    // One address trying many accounts is stopped once it failed on 30 of them.
    let sprayer = "127.0.0.71";
    for k in 0..30 {
        let r = login_from(
            &app,
            sprayer,
            &format!("spray-{k}@test.invalid"),
            "password1234!",
        )
        .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "account {k}");
    }
    let r = login_from(&app, sprayer, "nat-8@test.invalid", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "a 31st account");
    let r = login_from(&app, "127.0.0.72", "nat-8@test.invalid", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK, "from elsewhere");
}

/// Granting admin through the API needs the acting admin's current password in the body.
#[tokio::test]
async fn granting_admin_through_the_api_needs_the_password() {
    let app = app();
    make_user(app, "grant-api-admin@test.invalid", "admin", None).await;
    let target = make_user(app, "grant-api-target@test.invalid", "reviewer", None).await;
    let admin = sign_in(app, "grant-api-admin@test.invalid").await;
    let path = format!("/api/v1/users/{target}/roles");
    let is_admin = || async {
        let db = connect(&app.db_url).await;
        sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM role_grants WHERE user_id = $1 AND role = 'admin'",
        )
        .bind(target)
        .fetch_one(&db.pool)
        .await
        .unwrap()
            == 1
    };
    for (body, why) in [
        (json!({"role": "admin"}), "needs your current password"),
        (
            json!({"role": "admin", "password": "not my password at all"}),
            "is not your current password",
        ),
    ] {
        let (s, r) = call(app, Some(&admin), Method::POST, &path, Some(body)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{r}");
        assert_eq!(r["error"]["field"], "password", "{r}");
        assert!(r["error"]["message"].as_str().unwrap().contains(why), "{r}");
        assert!(!is_admin().await);
    }
    let (s, r) = call(
        app,
        Some(&admin),
        Method::POST,
        &path,
        Some(json!({"role": "admin", "password": PASSWORD})),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{r}");
    assert!(is_admin().await);
    // Other roles need no password.
    let (s, _) = call(
        app,
        Some(&admin),
        Method::POST,
        &path,
        Some(json!({"role": "programme_officer"})),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    // Creating an admin is granting admin too.
    let new = json!({"email": "new-admin@test.invalid", "password": PASSWORD, "grants": [{"role": "admin"}]});
    let (s, r) = call(
        app,
        Some(&admin),
        Method::POST,
        "/api/v1/users",
        Some(new.clone()),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{r}");
    assert_eq!(r["error"]["field"], "current_password", "{r}");
    let mut with = new;
    with["current_password"] = json!(PASSWORD);
    let (s, r) = call(app, Some(&admin), Method::POST, "/api/v1/users", Some(with)).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
}

/// The delays hold back only the addresses that failed lately: one that has not failed for
/// longer than `clean_after_secs` (a minute by default, three seconds here) signs in with the
/// right credentials however busy the attackers are. For an account with a second factor,
/// the password alone never gets through, and a throttled answer says nothing about the
/// password or the code.
#[tokio::test]
async fn delays_hold_back_only_recent_failures_and_the_second_factor_still_counts() {
    let policy = accounts::Policy {
        clean_after_secs: 3,
        ..Default::default()
    };
    let app = spawn_full(false, false, 600, policy);
    let email = "delayed@test.invalid";
    let id = make_user(&app, email, "programme_officer", None).await;
    let db = connect(&app.db_url).await;
    let secret = accounts::begin_totp(&db, id).await.unwrap();
    let key = poles_core::totp::base32_decode(&secret).unwrap();
    let code_now = || {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        format!("{:06}", poles_core::totp::hotp(&key, now / 30))
    };
    accounts::enable_totp(&db, id, &audit::Context::default(), &code_now())
        .await
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let wrong_code = (0u32..)
        .map(|k| {
            format!(
                "{:06}",
                (poles_core::totp::hotp(&key, now / 30) + 1 + k) % 1_000_000
            )
        })
        .find(|c| {
            !poles_core::totp::verify(&key, c, now) && !poles_core::totp::verify(&key, c, now + 60)
        })
        .unwrap();
    let attempt = |ip: &'static str, password: &'static str, code: Option<String>| {
        let base = app.base.clone();
        async move {
            let mut body = json!({"email": email, "password": password});
            if let Some(c) = code {
                body["code"] = json!(c);
            }
            let r = crate::support::client_from(ip)
                .post(format!("{base}/api/v1/session"))
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = r.status();
            let retry = r
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().parse::<i64>().unwrap());
            let body: Value = r.json().await.unwrap();
            (
                status,
                retry,
                body["error"]["code"].as_str().unwrap_or("").to_string(),
            )
        }
    };
    // Ten attackers, one guess each.
    for ip in [
        "127.0.0.120",
        "127.0.0.121",
        "127.0.0.122",
        "127.0.0.123",
        "127.0.0.124",
        "127.0.0.125",
        "127.0.0.126",
        "127.0.0.127",
        "127.0.0.128",
        "127.0.0.129",
    ] {
        let (s, _, _) = attempt(ip, "a wrong guess here", Some(wrong_code.clone())).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{ip}");
    }
    // The last attacker, trying again at once, waits, even with the right credentials.
    let (s, retry, _) = attempt("127.0.0.129", PASSWORD, Some(code_now())).await;
    assert_eq!(
        s,
        StatusCode::TOO_MANY_REQUESTS,
        "an attacker's address waits"
    );
    assert!(retry.is_some_and(|r| (1..=3).contains(&r)), "{retry:?}");
    // From a fresh address the right password alone asks for the code, a wrong code is a
    // failure like a wrong password …
    let (s, _, code) = attempt("127.0.0.140", PASSWORD, None).await;
    assert_eq!(
        (s, code.as_str()),
        (StatusCode::UNAUTHORIZED, "second_factor_required")
    );
    let (s, _, code) = attempt("127.0.0.140", PASSWORD, Some(wrong_code.clone())).await;
    assert_eq!(
        (s, code.as_str()),
        (StatusCode::UNAUTHORIZED, "bad_credentials")
    );
    // … after which that address waits like the attackers, even with the right code: the
    // throttled answer comes before any check.
    let (s, retry, _) = attempt("127.0.0.140", PASSWORD, Some(code_now())).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    assert!(retry.is_some_and(|r| (1..=3).contains(&r)), "{retry:?}");
    let (s, _, _) = attempt("127.0.0.141", PASSWORD, Some(code_now())).await;
    assert_eq!(s, StatusCode::OK, "a fresh address signs in");
    // Once its last failure is older than the clean-after time, an address gets its chance.
    tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
    let (s, _, _) = attempt("127.0.0.129", PASSWORD, Some(code_now())).await;
    assert_eq!(
        s,
        StatusCode::OK,
        "the delay never outlasts the address's own quiet time"
    );
}
