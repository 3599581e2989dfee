//! The edge of the server as a hostile client meets it: control characters in every kind of
//! input, oversized requests, wrong methods and cross-site forms, each refused in the shape
//! of every other error (JSON on `/api`, a page elsewhere) and on both databases alike.

use crate::account_pages::{form_session, post_form};
use crate::accounts::{app, make_user, PASSWORD};
use crate::support::{client, connect};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn error_of(r: reqwest::Response) -> (StatusCode, Value) {
    let status = r.status();
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json"),
        "{status}: not the JSON error shape"
    );
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert!(r.headers().contains_key("content-security-policy"));
    (status, r.json().await.unwrap())
}

async fn api_session(base: &str, email: &str) -> (String, String) {
    let r = client()
        .post(format!("{base}/api/v1/session"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let cookie = r.headers()["set-cookie"].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_string();
    let body: Value = r.json().await.unwrap();
    (cookie, body["csrf_token"].as_str().unwrap().to_string())
}

#[tokio::test]
async fn control_characters_are_refused_naming_the_field_and_nothing_is_stored() {
    let app = app();
    make_user(app, "edge-admin@example.org", "admin", None).await;
    let (cookie, csrf) = api_session(&app.base, "edge-admin@example.org").await;

    // Anonymous: a path, a sign-in, a search.
    let r = client()
        .get(format!("{}/api/v1/clusters/a%00b", app.base))
        .send()
        .await
        .unwrap();
    let (status, e) = error_of(r).await;
    assert_eq!(
        (status, e["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("path"))
    );
    let r = client()
        .post(format!("{}/api/v1/session", app.base))
        .json(&json!({"email": "a\u{0}b@example.org", "password": "x"}))
        .send()
        .await
        .unwrap();
    let (status, e) = error_of(r).await;
    assert_eq!(
        (status, e["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("email"))
    );
    assert_eq!(e["error"]["code"], "bad_request");
    let r = client()
        .get(format!("{}/api/v1/clusters?q=aero%01", app.base))
        .send()
        .await
        .unwrap();
    let (status, e) = error_of(r).await;
    assert_eq!(
        (status, e["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("q"))
    );

    // Signed in: a news body (nested field names are JSON paths) and an audit filter.
    let r = client()
        .post(format!("{}/api/v1/news", app.base))
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .json(&json!({"title_fr": "EdgeNul\u{0}A", "title_en": "Title", "source": "test"}))
        .send()
        .await
        .unwrap();
    let (status, e) = error_of(r).await;
    assert_eq!(
        (status, e["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("title_fr"))
    );
    let r = client()
        .get(format!("{}/api/v1/audit?action=login%00", app.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    let (status, e) = error_of(r).await;
    assert_eq!(
        (status, e["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("action"))
    );

    // Line breaks and tabs are text, not control: a multi-line news title is taken.
    let r = client()
        .post(format!("{}/api/v1/news", app.base))
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .json(&json!({"title_fr": "Deux\nlignes", "title_en": "Two\tparts", "source": "test"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);

    // A page and a form answer with a page that names the field.
    let r = client()
        .get(format!("{}/clusters/x%00?lang=en", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(r.text().await.unwrap().contains("path"));
    let session = form_session(&app.base, "edge-admin@example.org").await;
    let r = post_form(
        &app.base,
        "/news/new?lang=en",
        &session,
        &[
            ("title_fr", "EdgeNul\u{0}B"),
            ("title_en", "Nul"),
            ("source", "test"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(r.text().await.unwrap().contains("title_fr"));

    let db = connect(&app.db_url).await;
    let stored: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM news WHERE title_fr LIKE 'EdgeNul%'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(stored, 0, "a refused write stores nothing");
}

#[tokio::test]
async fn http_refusals_come_in_the_error_shape_with_the_security_headers() {
    let app = app();
    // 405, with the methods the route has.
    let r = client()
        .delete(format!("{}/api/v1/clusters", app.base))
        .send()
        .await
        .unwrap();
    let allow = r
        .headers()
        .get("allow")
        .map(|v| v.to_str().unwrap().to_string());
    let (status, e) = error_of(r).await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (StatusCode::METHOD_NOT_ALLOWED, Some("method_not_allowed"))
    );
    assert!(allow.is_some_and(|a| a.contains("GET")));

    // 413 announced by its length.
    let r = client()
        .post(format!("{}/api/v1/session", app.base))
        .header("content-type", "application/json")
        .body(vec![b' '; 1024 * 1024 + 1])
        .send()
        .await
        .unwrap();
    let (status, e) = error_of(r).await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large"))
    );

    // 414 and 431.
    let r = client()
        .get(format!(
            "{}/api/v1/clusters?q={}",
            app.base,
            "a".repeat(9000)
        ))
        .send()
        .await
        .unwrap();
    let (status, e) = error_of(r).await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (StatusCode::URI_TOO_LONG, Some("uri_too_long"))
    );
    let r = client()
        .get(format!("{}/api/v1/clusters", app.base))
        .header("x-padding", "a".repeat(17 * 1024))
        .send()
        .await
        .unwrap();
    let (status, e) = error_of(r).await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            Some("headers_too_large")
        )
    );

    // Off the API the same refusals are pages of the site.
    let r = client()
        .get(format!(
            "{}/clusters?lang=fr&q={}",
            app.base,
            "a".repeat(9000)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::URI_TOO_LONG);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(r.text().await.unwrap().contains("8 Kio"));
}

/// A chunked body says nothing of its length: the limit is found while reading it, and the
/// answer must still be a 413 in the error shape (it was a 400).
#[tokio::test]
async fn a_chunked_body_over_the_limit_is_a_413() {
    let app = app();
    let addr = app.base.trim_start_matches("http://").to_string();
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /api/v1/session HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![b' '; 64 * 1024];
    for _ in 0..20 {
        let mut part = format!("{:x}\r\n", chunk.len()).into_bytes();
        part.extend_from_slice(&chunk);
        part.extend_from_slice(b"\r\n");
        if s.write_all(&part).await.is_err() {
            break; // the server answered and closed early: read what it said
        }
    }
    let _ = s.write_all(b"0\r\n\r\n").await;
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{answer}"
    );
    assert!(answer.contains("payload_too_large"), "{answer}");
}

#[tokio::test]
async fn a_form_posted_without_its_token_gets_a_page_not_json() {
    let app = app();
    make_user(app, "edge-officer@example.org", "admin", None).await;
    let (cookie, _) = form_session(&app.base, "edge-officer@example.org").await;
    let r = post_form(
        &app.base,
        "/news/new?lang=en",
        &(cookie, "not-the-token".into()),
        &[("title_fr", "T"), ("title_en", "T"), ("source", "test")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(r.text().await.unwrap().contains("reload the page"));
}
