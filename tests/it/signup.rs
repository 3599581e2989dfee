//! Mail, self sign-up, password reset by mail and organisation claims, against a local SMTP
//! sink (`smtp_sink`) that can also play an outage.

use crate::accounts::{make_user, PASSWORD};
use crate::smtp_sink::{Mode, Sink};
use crate::support::{client, connect, spawn_mail, App};
use poles_store::accounts::Policy;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::Duration;

/// A signed-in client: session cookie and CSRF token.
struct Session {
    cookie: String,
    csrf: String,
}

async fn login(app: &App, email: &str, password: &str) -> (StatusCode, Option<Session>, Value) {
    let r = client()
        .post(format!("{}/api/v1/session", app.base))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap();
    let status = r.status();
    let cookie = r
        .headers()
        .get("set-cookie")
        .map(|c| c.to_str().unwrap().split(';').next().unwrap().to_string());
    let body: Value = r.json().await.unwrap_or(Value::Null);
    let session = cookie.map(|cookie| Session {
        cookie,
        csrf: body["csrf_token"].as_str().unwrap_or_default().to_string(),
    });
    (status, session, body)
}

async fn sign_in(app: &App, email: &str) -> Session {
    let (s, session, body) = login(app, email, PASSWORD).await;
    assert_eq!(s, StatusCode::OK, "sign-in of {email}: {body}");
    session.unwrap()
}

async fn call(
    app: &App,
    who: Option<&Session>,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = client().request(method, format!("{}{path}", app.base));
    if let Some(s) = who {
        req = req
            .header("cookie", &s.cookie)
            .header("x-csrf-token", &s.csrf);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn form(
    app: &App,
    who: Option<&Session>,
    path: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String, Option<String>) {
    let mut req = client().post(format!("{}{path}", app.base));
    let mut fields: Vec<(&str, &str)> = fields.to_vec();
    if let Some(s) = who {
        req = req.header("cookie", &s.cookie);
        fields.push(("csrf", &s.csrf));
    }
    let r = req.form(&fields).send().await.unwrap();
    let status = r.status();
    let location = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string());
    (status, r.text().await.unwrap(), location)
}

async fn page(app: &App, who: Option<&Session>, path: &str) -> (StatusCode, String) {
    let mut req = client().get(format!("{}{path}", app.base));
    if let Some(s) = who {
        req = req.header("cookie", &s.cookie);
    }
    let r = req.send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

/// The outbox row of the last mail to `to`: attempts, last error, sent at.
async fn outbox_row(app: &App, to: &str) -> (i64, Option<String>, Option<String>) {
    let db = connect(&app.db_url).await;
    sqlx::query_as(
        "SELECT attempts, last_error, sent_at FROM mail_outbox WHERE to_address = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(to)
    .fetch_one(&db.pool)
    .await
    .unwrap()
}

async fn until(what: &str, mut check: impl AsyncFnMut() -> bool) {
    for _ in 0..150 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting until {what}");
}

#[tokio::test]
async fn mail_survives_an_smtp_outage_and_is_delivered_once() {
    let sink = Sink::start(Mode::Refuse);
    let app = spawn_mail(Some(sink.url()), Policy::default());
    let to = "outage@test.invalid";
    let (s, _) = call(
        &app,
        None,
        Method::POST,
        "/api/v1/signup",
        Some(json!({"email": to, "password": PASSWORD})),
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    // The server refuses (421): the row stays, its attempts are counted, its error kept.
    until("two refused attempts", async || sink.turned_away() >= 2).await;
    until("the failures recorded", async || {
        outbox_row(&app, to).await.0 >= 2
    })
    .await;
    let (attempts, error, sent) = outbox_row(&app, to).await;
    assert!(attempts >= 2 && sent.is_none(), "{attempts} {sent:?}");
    assert!(
        error.is_some_and(|e| !e.is_empty()),
        "the last error is kept"
    );
    // Then it closes connections without a word: still kept, still retried.
    sink.set_mode(Mode::Close);
    let before = sink.turned_away();
    until("a closed connection", async || sink.turned_away() > before).await;
    until("the failure recorded", async || {
        outbox_row(&app, to).await.0 > attempts
    })
    .await;
    assert_eq!(sink.count_to(to), 0);
    // Back up: the mail arrives, once.
    sink.set_mode(Mode::Accept);
    let mail = sink.wait_for(to).await;
    assert_eq!(mail.from, "noreply@poles.test");
    assert_eq!(mail.token("/verify").len(), 48, "{}", mail.text);
    assert!(mail.text.contains(&format!("{}/verify?token=", app.base)));
    until("marked sent", async || {
        outbox_row(&app, to).await.2.is_some()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(sink.count_to(to), 1, "a sent mail is never sent again");
}

#[tokio::test]
async fn without_smtp_mail_waits_in_the_outbox_that_admins_see() {
    let app = spawn_mail(None, Policy::default());
    make_user(&app, "admin@test.invalid", "admin", None).await;
    make_user(&app, "member@test.invalid", "", None).await;
    let to = "waiting@test.invalid";
    let (s, _) = call(
        &app,
        None,
        Method::POST,
        "/api/v1/signup",
        Some(json!({"email": to, "password": PASSWORD})),
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let admin = sign_in(&app, "admin@test.invalid").await;
    let (s, list) = call(
        &app,
        Some(&admin),
        Method::GET,
        "/api/v1/admin/outbox",
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let row = list
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["to_address"] == to)
        .expect("the mail waits");
    assert_eq!(row["attempts"], 0);
    assert!(row["sent_at"].is_null());
    assert!(row.get("body").is_none(), "bodies hold one-time links");
    let (s, html) = page(&app, Some(&admin), "/admin/mail?lang=en").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains(to) && html.contains("waiting"));
    let other = sign_in(&app, "member@test.invalid").await;
    let (s, _) = call(
        &app,
        Some(&other),
        Method::GET,
        "/api/v1/admin/outbox",
        None,
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn sign_up_verify_then_sign_in() {
    let sink = Sink::start(Mode::Accept);
    let app = spawn_mail(Some(sink.url()), Policy::default());
    let (s, html) = page(&app, None, "/signup?lang=en").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("name=\"password\""));
    // A refused form comes back with the reason beside the field and the input kept.
    let (s, html, _) = form(
        &app,
        None,
        "/signup?lang=en",
        &[
            ("email", "not-an-address"),
            ("display_name", "Ada"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(html.contains("value=\"not-an-address\"") && html.contains("value=\"Ada\""));
    assert!(html.contains("id=\"email-error\"") && html.contains("is not an e-mail address"));
    let (s, html, _) = form(
        &app,
        None,
        "/signup?lang=fr",
        &[("email", "ada@test.invalid"), ("password", "password")],
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(html.contains("id=\"password-error\""), "{html}");
    let to = "ada@test.invalid";
    let (s, _, location) = form(
        &app,
        None,
        "/signup?lang=en",
        &[
            ("email", to),
            ("display_name", "Ada"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(location.unwrap().starts_with("/signup?sent=1"));
    // Not before the address is verified.
    let (s, _, body) = login(&app, to, PASSWORD).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "email_unverified");
    let (s, _, body) = login(&app, to, "a wrong password of length").await;
    assert_eq!(
        s,
        StatusCode::UNAUTHORIZED,
        "a wrong password says nothing: {body}"
    );
    let mail = sink.wait_for(to).await;
    let token = mail.token("/verify");
    let (s, html) = page(&app, None, &format!("/verify?token={token}&lang=en")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains(&token),
        "opening the link verifies nothing by itself"
    );
    let (s, _, body) = login(&app, to, PASSWORD).await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    let (s, _, location) = form(&app, None, "/verify?lang=en", &[("token", &token)]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(location.unwrap().starts_with("/login?verified=1"));
    let (s, html, _) = form(&app, None, "/verify?lang=en", &[("token", &token)]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "a link works once");
    assert!(html.contains("id=\"token-error\""));
    sign_in(&app, to).await;
    // Signing up again with the address says the same, and mails its owner instead.
    let (s, _) = call(
        &app,
        None,
        Method::POST,
        "/api/v1/signup",
        Some(json!({"email": to, "password": "yet another passphrase here"})),
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    until("the second mail", async || sink.count_to(to) == 2).await;
    let again = sink.wait_for(to).await;
    assert!(again.text.contains("/reset") && !again.text.contains("/verify?token="));
    sign_in(&app, to).await;
    // An expired link is refused.
    let late = "late@test.invalid";
    let (s, _) = call(
        &app,
        None,
        Method::POST,
        "/api/v1/signup",
        Some(json!({"email": late, "password": PASSWORD})),
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let token = sink.wait_for(late).await.token("/verify");
    let db = connect(&app.db_url).await;
    sqlx::query(
        "UPDATE email_verifications SET expires_at = '2000-01-01T00:00:00Z' WHERE used_at IS NULL",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    let (s, body) = call(
        &app,
        None,
        Method::POST,
        "/api/v1/signup/verify",
        Some(json!({"token": token})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["field"], "token");
    let audited: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action IN ('user.signup', 'user.verify_email', 'user.signup_existing')",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(audited, 4);
}

#[tokio::test]
async fn sign_ups_are_throttled_per_address() {
    let policy = Policy {
        mail_requests_per_address: 2,
        ..Default::default()
    };
    let app = spawn_mail(None, policy);
    for (n, expected) in [
        (1, StatusCode::ACCEPTED),
        (2, StatusCode::ACCEPTED),
        (3, StatusCode::TOO_MANY_REQUESTS),
    ] {
        let (s, _) = call(
            &app,
            None,
            Method::POST,
            "/api/v1/signup",
            Some(json!({"email": format!("many{n}@test.invalid"), "password": PASSWORD})),
        )
        .await;
        assert_eq!(s, expected, "sign-up {n}");
    }
}

#[tokio::test]
async fn a_password_is_reset_by_mail_without_telling_who_exists() {
    let sink = Sink::start(Mode::Accept);
    let app = spawn_mail(Some(sink.url()), Policy::default());
    let to = "forgetful@test.invalid";
    make_user(&app, to, "reviewer", None).await;
    let (s, html) = page(&app, None, "/reset?lang=en").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("action=\"/reset/request"));
    let (s, html, _) = form(&app, None, "/reset/request?lang=en", &[("email", "nope")]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(html.contains("id=\"email-error\"") && html.contains("value=\"nope\""));
    let (s1, _, l1) = form(
        &app,
        None,
        "/reset/request?lang=en",
        &[("email", "nobody@test.invalid")],
    )
    .await;
    let (s2, _, l2) = form(&app, None, "/reset/request?lang=en", &[("email", to)]).await;
    assert_eq!((s1, &l1), (s2, &l2), "the same answer for a stranger");
    assert_eq!(s2, StatusCode::SEE_OTHER);
    let (s, _) = call(
        &app,
        None,
        Method::POST,
        "/api/v1/password-reset",
        Some(json!({"email": "nobody@test.invalid"})),
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let mail = sink.wait_for(to).await;
    assert_eq!(sink.count_to("nobody@test.invalid"), 0);
    let token = mail.token("/reset");
    let new = "a brand new passphrase";
    let (s, _, _) = form(
        &app,
        None,
        "/reset?lang=en",
        &[("token", &token), ("new_password", new)],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(login(&app, to, new).await.0, StatusCode::OK);
    assert_eq!(login(&app, to, PASSWORD).await.0, StatusCode::UNAUTHORIZED);
    let (s, body) = call(
        &app,
        None,
        Method::POST,
        "/api/v1/password-reset/finish",
        Some(json!({"token": token, "new_password": "one more new passphrase"})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "a link works once: {body}");
}

async fn organisation(app: &App, name: &str, siren: Option<&str>, pic: Option<&str>) -> i64 {
    let db = connect(&app.db_url).await;
    sqlx::query_scalar(
        "INSERT INTO organisations (name, kind, country, siren, pic, source) VALUES ($1, 'sme', 'FR', $2, $3, 'test') RETURNING id",
    )
    .bind(name)
    .bind(siren)
    .bind(pic)
    .fetch_one(&db.pool)
    .await
    .unwrap()
}

async fn grants(app: &App, who: &str) -> Vec<String> {
    let s = sign_in(app, who).await;
    let (_, me) = call(app, Some(&s), Method::GET, "/api/v1/me", None).await;
    me["user"]["grants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            format!(
                "{}:{}",
                g["role"].as_str().unwrap(),
                g["scope"].as_str().unwrap()
            )
        })
        .collect()
}

#[tokio::test]
async fn organisations_are_claimed_and_decided_by_admins_or_members_only() {
    let sink = Sink::start(Mode::Accept);
    let app = spawn_mail(Some(sink.url()), Policy::default());
    let acme = organisation(&app, "Acme Capteurs", Some("552100554"), Some("999999990")).await;
    let beta = organisation(&app, "Beta Labs", None, Some("912345678")).await;
    let (a, s) = (acme.to_string(), beta.to_string());
    make_user(&app, "admin@test.invalid", "admin", None).await;
    make_user(&app, "acme@test.invalid", "organisation_member", Some(&a)).await;
    make_user(&app, "beta@test.invalid", "organisation_member", Some(&s)).await;
    make_user(&app, "stranger@test.invalid", "", None).await;
    make_user(&app, "claimant@test.invalid", "", None).await;
    make_user(&app, "second@test.invalid", "", None).await;
    let claimant = sign_in(&app, "claimant@test.invalid").await;

    // Named by SIREN (Luhn-checked), PIC or name; refusals name the field.
    for (key, why) in [
        ("12345", "9 digits"),
        ("552100555", "no organisation"),
        ("Nobody Inc", "no organisation"),
    ] {
        let (st, body) = call(
            &app,
            Some(&claimant),
            Method::POST,
            "/api/v1/membership-requests",
            Some(json!({"organisation": key})),
        )
        .await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{key}");
        assert_eq!(body["error"]["field"], "organisation");
        assert!(
            body["error"]["message"].as_str().unwrap().contains(why),
            "{body}"
        );
    }
    let (st, claim) = call(
        &app,
        Some(&claimant),
        Method::POST,
        "/api/v1/membership-requests",
        Some(json!({"organisation": "552 100 554", "message": "I run its R&D"})),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{claim}");
    assert_eq!(claim["organisation_name"], "Acme Capteurs");
    assert_eq!(claim["status"], "pending");
    let id = claim["id"].as_i64().unwrap();
    let (st, _) = call(
        &app,
        Some(&claimant),
        Method::POST,
        "/api/v1/membership-requests",
        Some(json!({"organisation": "999999990"})),
    )
    .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "one pending request at a time");

    // Who sees it, who may decide.
    let member = sign_in(&app, "acme@test.invalid").await;
    let other_member = sign_in(&app, "beta@test.invalid").await;
    let stranger = sign_in(&app, "stranger@test.invalid").await;
    let (_, pending) = call(
        &app,
        Some(&member),
        Method::GET,
        "/api/v1/membership-requests/pending",
        None,
    )
    .await;
    assert_eq!(pending.as_array().unwrap().len(), 1);
    assert_eq!(pending[0]["claimant_email"], "claimant@test.invalid");
    for who in [&other_member, &stranger] {
        let (_, pending) = call(
            &app,
            Some(who),
            Method::GET,
            "/api/v1/membership-requests/pending",
            None,
        )
        .await;
        assert_eq!(pending, json!([]));
    }
    let decide = format!("/api/v1/membership-requests/{id}/decision");
    for who in [&other_member, &stranger, &claimant] {
        let (st, _) = call(
            &app,
            Some(who),
            Method::POST,
            &decide,
            Some(json!({"approve": true})),
        )
        .await;
        assert_eq!(st, StatusCode::FORBIDDEN);
    }
    let (st, body) = call(
        &app,
        Some(&member),
        Method::POST,
        &decide,
        Some(json!({"approve": false})),
    )
    .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["field"], "reason");
    let (st, _) = call(
        &app,
        Some(&member),
        Method::POST,
        &decide,
        Some(json!({"approve": true})),
    )
    .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, _) = call(
        &app,
        Some(&member),
        Method::POST,
        &decide,
        Some(json!({"approve": true})),
    )
    .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "decided once");
    assert!(grants(&app, "claimant@test.invalid")
        .await
        .contains(&format!("organisation_member:{acme}")));
    let mail = sink.wait_for("claimant@test.invalid").await;
    assert!(mail.text.contains("approved") && mail.text.contains("Acme Capteurs"));
    let (_, inbox) = call(&app, Some(&claimant), Method::GET, "/api/v1/inbox", None).await;
    assert!(inbox.to_string().contains("Acme Capteurs"), "{inbox}");

    // Declined by an admin, with the reason told; named by its name this time; the page.
    let second = sign_in(&app, "second@test.invalid").await;
    let (st, html, _) = form(
        &app,
        Some(&second),
        "/memberships?lang=en",
        &[("organisation", "12345")],
    )
    .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(html.contains("value=\"12345\"") && html.contains("id=\"organisation-error\""));
    let (st, _, _) = form(
        &app,
        Some(&second),
        "/memberships?lang=en",
        &[("organisation", "beta labs")],
    )
    .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let (_, mine) = call(
        &app,
        Some(&second),
        Method::GET,
        "/api/v1/membership-requests",
        None,
    )
    .await;
    let id2 = mine[0]["id"].as_i64().unwrap();
    let admin = sign_in(&app, "admin@test.invalid").await;
    let (st, html) = page(&app, Some(&admin), "/memberships?lang=en").await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains(&format!("/memberships/{id2}/decide")));
    let (st, html, _) = form(
        &app,
        Some(&admin),
        &format!("/memberships/{id2}/decide?lang=en"),
        &[("decision", "decline"), ("reason", "")],
    )
    .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(html.contains(&format!("id=\"reason-error-{id2}\"")));
    let (st, _, _) = form(
        &app,
        Some(&admin),
        &format!("/memberships/{id2}/decide?lang=en"),
        &[("decision", "decline"), ("reason", "not on the staff list")],
    )
    .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let (_, mine) = call(
        &app,
        Some(&second),
        Method::GET,
        "/api/v1/membership-requests",
        None,
    )
    .await;
    assert_eq!(mine[0]["status"], "declined");
    assert_eq!(mine[0]["reason"], "not on the staff list");
    assert!(!grants(&app, "second@test.invalid")
        .await
        .iter()
        .any(|g| g.starts_with("organisation_member")));
    let mail = sink.wait_for("second@test.invalid").await;
    assert!(mail.text.contains("not on the staff list"));
    let db = connect(&app.db_url).await;
    let audited: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE action LIKE 'organisation.claim%' ORDER BY id",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        audited,
        [
            "organisation.claim",
            "organisation.claim_approved",
            "organisation.claim",
            "organisation.claim_declined"
        ]
    );
    let denied: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'access.denied' AND object_ref = $1",
    )
    .bind(format!("organisation {acme}"))
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(denied, 3, "refused decisions are audited");
}

#[tokio::test]
async fn two_senders_on_one_database_never_send_a_mail_twice() {
    let sink = Sink::start(Mode::Accept);
    let policy = Policy {
        mail_requests_per_address: 100,
        ..Default::default()
    };
    // The server itself has no SMTP: the mail waits until the two senders below take it.
    let app = spawn_mail(None, policy);
    let n = 24;
    for k in 0..n {
        let (s, _) = call(
            &app,
            None,
            Method::POST,
            "/api/v1/signup",
            Some(json!({"email": format!("crowd{k}@test.invalid"), "password": PASSWORD})),
        )
        .await;
        assert_eq!(s, StatusCode::ACCEPTED);
    }
    // Two app servers' senders, each with its own pool, racing on the same outbox.
    for _ in 0..2 {
        let db = connect(&app.db_url).await;
        let server = poles_app::App::new(db, Default::default());
        let mut s = poles_app::mail::SenderSettings::new(sink.url(), "noreply@poles.test".into());
        s.poll = Duration::from_millis(10);
        let transport = poles_app::mail::transport(&s).unwrap();
        tokio::spawn(poles_app::mail::run_sender(server, s, transport));
    }
    until("every mail delivered", async || sink.received().len() >= n).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sink.received().len(), n, "no mail twice");
    for k in 0..n {
        assert_eq!(sink.count_to(&format!("crowd{k}@test.invalid")), 1);
    }
}
