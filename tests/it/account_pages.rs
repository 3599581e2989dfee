//! The account pages as a person uses them: HTML forms with the CSRF token in a hidden field.

use crate::accounts::{app, make_user, PASSWORD};
use crate::support::client;
use reqwest::StatusCode;

fn csrf_of(html: &str) -> String {
    let i =
        html.find("name=\"csrf\" value=\"").expect("a CSRF field") + "name=\"csrf\" value=\"".len();
    html[i..i + 32].to_string()
}

async fn form_login(base: &str, email: &str, password: &str) -> reqwest::Response {
    client()
        .post(format!("{base}/login?lang=en"))
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn sign_in_manage_tokens_and_edit_a_cluster_through_forms() {
    let app = app();
    make_user(
        app,
        "forms@test.invalid",
        "cluster_manager",
        Some("vitagora"),
    )
    .await;
    let r = form_login(&app.base, "forms@test.invalid", "not the password").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Wrong e-mail, password or code"));

    let r = form_login(&app.base, "forms@test.invalid", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let cookie = r
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let get = |path: String| {
        let cookie = cookie.clone();
        async move {
            client()
                .get(path)
                .header("cookie", cookie)
                .send()
                .await
                .unwrap()
        }
    };
    let account = get(format!("{}/account?lang=en", app.base)).await;
    assert_eq!(account.status(), StatusCode::OK);
    assert_eq!(account.headers().get("cache-control").unwrap(), "no-store");
    let html = account.text().await.unwrap();
    assert!(html.contains("forms@test.invalid") && html.contains("cluster manager"));
    let csrf = csrf_of(&html);

    // A form without its CSRF field is refused; with it, the token is shown once.
    let r = client()
        .post(format!("{}/account/tokens?lang=en", app.base))
        .header("cookie", &cookie)
        .form(&[("name", "laptop"), ("scope", "read")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = client()
        .post(format!("{}/account/tokens?lang=en", app.base))
        .header("cookie", &cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("name", "laptop"),
            ("scope", "read"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("Your new token") && html.contains("pol_"));

    // The cluster page offers its manager the edit form, and the form saves.
    let page = get(format!("{}/clusters/vitagora?lang=en", app.base))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Edit the cluster"));
    let version = page
        .split("name=\"version\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let r = client()
        .post(format!("{}/clusters/vitagora/edit?lang=en", app.base))
        .header("cookie", &cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("version", version.as_str()),
            ("description_fr", "Goût, nutrition, santé."),
            ("description_en", "Taste, nutrition, health."),
            ("website", "https://www.vitagora.com"),
            ("governance", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, c) = crate::support::get_json(&format!("{}/api/v1/clusters/vitagora", app.base)).await;
    assert_eq!(c["website"], "https://www.vitagora.com");
    let other = get(format!("{}/clusters/vegepolys?lang=en", app.base))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !other.contains("Edit the cluster"),
        "no edit form on another cluster"
    );

    // Admin and audit pages are for their roles only.
    assert_eq!(
        get(format!("{}/admin/users", app.base)).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        get(format!("{}/audit", app.base)).await.status(),
        StatusCode::FORBIDDEN
    );
    // Signed out, the account page sends to the sign-in page.
    let r = client()
        .get(format!("{}/account", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(r
        .headers()
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("/login"));
}

#[tokio::test]
async fn officers_read_the_audit_log_with_filters() {
    let app = app();
    make_user(app, "auditor@test.invalid", "programme_officer", None).await;
    let r = form_login(&app.base, "auditor@test.invalid", PASSWORD).await;
    let cookie = r
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let html = client()
        .get(format!("{}/audit?lang=en&action=login", app.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("class=\"audit-row\""));
    assert!(html.contains("auditor@test.invalid"));
    assert!(
        !html.contains("<td>user.create</td>"),
        "filtered on the action"
    );
    let r = client()
        .get(format!("{}/audit?from=yesterday", app.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}
