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

pub(crate) async fn form_session(base: &str, email: &str) -> (String, String) {
    let r = form_login(base, email, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "sign-in of {email}");
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
        .get(format!("{base}/account"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    (cookie.clone(), csrf_of(&html))
}

pub(crate) async fn post_form(
    base: &str,
    path: &str,
    session: &(String, String),
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let mut form: Vec<(&str, &str)> = vec![("csrf", session.1.as_str())];
    form.extend_from_slice(fields);
    client()
        .post(format!("{base}{path}"))
        .header("cookie", &session.0)
        .form(&form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn every_registry_write_has_its_form() {
    let app = app();
    let db = crate::support::connect(&app.db_url).await;
    let org = poles_store::registry::organisation_id_by_demo_key(&db, "ibm")
        .await
        .unwrap()
        .expect("IBM is in the press kit");
    make_user(
        app,
        "form-manager@test.invalid",
        "cluster_manager",
        Some("moveo"),
    )
    .await;
    make_user(app, "form-officer@test.invalid", "programme_officer", None).await;
    make_user(
        app,
        "form-member@test.invalid",
        "organisation_member",
        Some(&org.to_string()),
    )
    .await;
    let manager = form_session(&app.base, "form-manager@test.invalid").await;
    let officer = form_session(&app.base, "form-officer@test.invalid").await;
    let member = form_session(&app.base, "form-member@test.invalid").await;

    let page = |s: &(String, String), path: String| {
        let cookie = s.0.clone();
        async move {
            client()
                .get(path)
                .header("cookie", cookie)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let html = page(&manager, format!("{}/clusters/moveo?lang=en", app.base)).await;
    assert!(html.contains("Add a member") && html.contains("Add a partnership"));
    assert!(
        !html.contains("Add a label decision"),
        "labels are for officers"
    );
    let org_s = org.to_string();
    let r = post_form(
        &app.base,
        "/clusters/moveo/members",
        &manager,
        &[
            ("organisation_id", org_s.as_str()),
            ("role", "member"),
            ("since", "2006-03-06"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, c) = crate::support::get_json(&format!("{}/api/v1/clusters/moveo", app.base)).await;
    assert!(c["members"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["organisation_id"] == org));
    // A member is chosen by name: a name that matches nothing comes back to the pôle's page
    // with the typed name and the reason beside the field.
    let r = post_form(
        &app.base,
        "/clusters/moveo/members?lang=en",
        &manager,
        &[
            ("organisation", "Nowhere Widgets Unlimited"),
            ("role", "member"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert!(
        to.contains("member=Nowhere") && to.ends_with("#add-member"),
        "{to}"
    );
    let html = page(&manager, format!("{}{to}", app.base)).await;
    let form = html.split(r#"id="add-member""#).nth(1).unwrap();
    assert!(
        form.contains(r#"value="Nowhere Widgets Unlimited""#),
        "{form}"
    );
    assert!(form.contains("No name matches."), "{form}");
    let r = post_form(
        &app.base,
        &format!("/clusters/moveo/members/{org}/remove"),
        &manager,
        &[],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = post_form(
        &app.base,
        "/clusters/moveo/partnerships",
        &manager,
        &[
            ("foreign_name", "Bayern Innovativ"),
            ("foreign_country", "DE"),
            ("start_date", "2008-01-01"),
            ("source", "test"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = post_form(
        &app.base,
        "/clusters/moveo/partnerships",
        &manager,
        &[("foreign_name", "X Cluster"), ("start_date", "not a date")],
    )
    .await;
    // Bad input comes back on the pôle's page, its field named beside the form.
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert!(to.ends_with("#add-partnership"), "{to}");
    let back = page(&manager, format!("{}{to}", app.base)).await;
    // By its label in the page's language (French here), not its internal name.
    assert!(
        back.contains("Début — « not a date » n&#39;est pas une date AAAA-MM-JJ")
            || back.contains("Début — « not a date » n'est pas une date AAAA-MM-JJ"),
        "bad input names its field: {back}"
    );
    assert!(!back.contains("start_date:"));
    // A partner pôle is chosen by its name.
    let r = post_form(
        &app.base,
        "/clusters/moveo/partnerships",
        &manager,
        &[("pole", "Minalogic"), ("kind", "mou")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(!r.headers()["location"]
        .to_str()
        .unwrap()
        .contains("partner_refused"));

    let r = post_form(
        &app.base,
        "/clusters/moveo/labels",
        &officer,
        &[
            ("tier", "national"),
            ("status", "labelled"),
            ("decision_date", "2019-02-05"),
            ("valid_from", "2019-01-01"),
            ("valid_until", "2022-12-31"),
            ("source", "Phase IV decision"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = post_form(
        &app.base,
        "/clusters/moveo/labels",
        &manager,
        &[("status", "labelled"), ("source", "x")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = post_form(
        &app.base,
        "/news/new",
        &officer,
        &[
            ("title_fr", "Appel ouvert"),
            ("title_en", "Call open"),
            ("source", "test"),
            ("cluster", "moveo"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = post_form(
        &app.base,
        "/events/new",
        &officer,
        &[
            ("name_fr", "Journée"),
            ("name_en", "Day"),
            ("starts_on", "2026-12-01"),
            ("source", "test"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    let html = page(&member, format!("{}/organisations/{org}?lang=en", app.base)).await;
    assert!(
        html.contains("Edit the organisation"),
        "{}",
        &html[..html.len().min(3000)]
    );
    let version = html
        .split("name=\"version\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let r = post_form(
        &app.base,
        &format!("/organisations/{org}/edit"),
        &member,
        &[
            ("version", version.as_str()),
            ("name", "IBM"),
            ("short_name", ""),
            ("website", "https://www.ibm.com"),
            ("competences", "Semiconductors, software"),
            ("siren", ""),
            ("naf_code", "62.01Z"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, o) =
        crate::support::get_json(&format!("{}/api/v1/organisations/{org}", app.base)).await;
    assert_eq!(o["naf_code"], "62.01Z");
    assert_eq!(o["website"], "https://www.ibm.com");
    let r = post_form(
        &app.base,
        &format!("/organisations/{org}/edit"),
        &member,
        &[
            ("version", version.as_str()),
            ("name", "IBM"),
            ("short_name", ""),
            ("website", ""),
            ("competences", ""),
            ("siren", ""),
            ("naf_code", ""),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "a stale form is refused");
}

/// The row of the users page that shows `email`: from its cell to the end of the row.
fn row_of<'a>(html: &'a str, email: &str) -> &'a str {
    let start = html
        .find(&format!("<td>{email}</td>"))
        .unwrap_or_else(|| panic!("a row for {email}"));
    let end = html[start..].find("</tr>").expect("the row ends") + start;
    &html[start..end]
}

async fn page(base: &str, path: &str, session: &(String, String)) -> String {
    client()
        .get(format!("{base}{path}"))
        .header("cookie", &session.0)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn is_admin(db_url: &str, user: i64) -> bool {
    let db = crate::support::connect(db_url).await;
    sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM role_grants WHERE user_id = $1 AND role = 'admin'",
    )
    .bind(user)
    .fetch_one(&db.pool)
    .await
    .unwrap()
        == 1
}

/// The add-role control of every row starts on no role; submitted as is, it is refused with
/// the reason beside it. Choosing admin asks for confirmation and the admin's password, and
/// grants nothing until the right one is typed.
#[tokio::test]
async fn the_add_role_control_defaults_to_no_role_and_admin_asks_for_the_password() {
    let app = app();
    make_user(app, "roles-page-admin@test.invalid", "admin", None).await;
    let target = make_user(app, "roles-page-target@test.invalid", "reviewer", None).await;
    let s = form_session(&app.base, "roles-page-admin@test.invalid").await;
    let html = page(&app.base, "/admin/users?lang=en", &s).await;
    let row = row_of(&html, "roles-page-target@test.invalid");
    let select = &row[row
        .find("<select name=\"role\"")
        .expect("an add-role control")..];
    let first = &select[select.find("<option").unwrap()..];
    assert!(
        first.starts_with("<option value=\"\" selected>"),
        "the add-role control starts on no role: {}",
        &first[..first.len().min(80)]
    );
    assert!(
        !select[..select.find("</select>").unwrap()].contains("value=\"admin\" selected"),
        "admin is never preselected"
    );

    let grant = format!("/admin/users/{target}/roles?lang=en");
    let r = post_form(&app.base, &grant, &s, &[("role", ""), ("scope", "")]).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let html = r.text().await.unwrap();
    let row = row_of(&html, "roles-page-target@test.invalid");
    assert!(
        row.contains("id=\"role-error-") && row.contains("Choose a role to add."),
        "the refusal sits beside the control: {row}"
    );

    // Admin: a confirmation with the password field, and nothing granted yet.
    let r = post_form(&app.base, &grant, &s, &[("role", "admin"), ("scope", "")]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    let row = row_of(&html, "roles-page-target@test.invalid");
    assert!(
        row.contains("name=\"password\"") && row.contains("Grant admin"),
        "{row}"
    );
    assert!(!is_admin(&app.db_url, target).await);
    let r = post_form(
        &app.base,
        &grant,
        &s,
        &[
            ("role", "admin"),
            ("scope", ""),
            ("password", "not my password!"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let html = r.text().await.unwrap();
    let row = row_of(&html, "roles-page-target@test.invalid");
    assert!(
        row.contains("id=\"password-error-") && row.contains("is not your current password"),
        "{row}"
    );
    assert!(!is_admin(&app.db_url, target).await);
    let r = post_form(
        &app.base,
        &grant,
        &s,
        &[("role", "admin"), ("scope", ""), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(is_admin(&app.db_url, target).await);
    // Other roles are granted in one step.
    let r = post_form(
        &app.base,
        &grant,
        &s,
        &[("role", "reviewer"), ("scope", "")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // A scope is typed by its name: the region's, the pôle's; the row shows it by name.
    for (role, typed) in [
        ("region_officer", "Bretagne"),
        ("cluster_manager", "Minalogic"),
    ] {
        let r = post_form(&app.base, &grant, &s, &[("role", role), ("scope", typed)]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{role} {typed}");
    }
    let html = page(&app.base, "/admin/users?lang=en", &s).await;
    let row = row_of(&html, "roles-page-target@test.invalid");
    assert!(row.contains("region officer · Bretagne"), "{row}");
    assert!(row.contains("· Minalogic<"), "{row}");
    // A name that matches nothing is refused beside the control, nothing granted.
    let r = post_form(
        &app.base,
        &grant,
        &s,
        &[("role", "region_officer"), ("scope", "Atlantis")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let html = r.text().await.unwrap();
    let row = row_of(&html, "roles-page-target@test.invalid");
    assert!(row.contains("Atlantis"), "{row}");
}

/// Through the pages too, the last active admin can neither disable their account, nor drop
/// the admin role, nor erase the account; the reason shows beside the control.
#[tokio::test]
async fn the_pages_refuse_to_remove_the_last_admin_beside_the_control() {
    let app = crate::support::spawn(false);
    let me = make_user(&app, "page-only-admin@test.invalid", "admin", None).await;
    let s = form_session(&app.base, "page-only-admin@test.invalid").await;
    for (path, fields, id) in [
        (
            format!("/admin/users/{me}/status?lang=en"),
            vec![("disabled", "true")],
            "status-error-",
        ),
        (
            format!("/admin/users/{me}/roles/revoke?lang=en"),
            vec![("role", "admin"), ("scope", "")],
            "role-error-",
        ),
    ] {
        let r = post_form(&app.base, &path, &s, &fields).await;
        assert_eq!(r.status(), StatusCode::CONFLICT, "{path}");
        let html = r.text().await.unwrap();
        let row = row_of(&html, "page-only-admin@test.invalid");
        assert!(
            row.contains(id) && row.contains("The last active admin cannot"),
            "{path}: {row}"
        );
    }
    let r = post_form(
        &app.base,
        "/account/erase?lang=en",
        &s,
        &[("password", PASSWORD)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.unwrap();
    let erase = &html[html
        .find("<details open>")
        .expect("the erasure form is open")..];
    assert!(
        erase.contains("id=\"erase-error\"") && erase.contains("The last active admin cannot"),
        "{erase}"
    );
    assert!(is_admin(&app.db_url, me).await);
    let html = page(&app.base, "/admin/users?lang=en", &s).await;
    assert!(row_of(&html, "page-only-admin@test.invalid").contains("<td>active</td>"));
}
