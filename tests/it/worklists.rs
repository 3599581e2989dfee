//! Where people find their work, and names instead of ids: each worklist shows the right
//! items to the right role and refuses the others; the name pickers work without JavaScript
//! for one, several and no matches; a refused form comes back with its input; inbox items
//! link to their page and name the project; deadlines are Paris instants.

use crate::accounts::{app, make_user, PASSWORD};
use crate::support::{client, connect};
use reqwest::StatusCode;

struct Person {
    cookie: String,
    csrf: String,
}

async fn person(base: &str, email: &str) -> Person {
    let r = client()
        .post(format!("{base}/login?lang=en"))
        .form(&[("email", email), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{email}");
    let cookie = r.headers()["set-cookie"]
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
    let i = html.find("name=\"csrf\" value=\"").unwrap() + 19;
    Person {
        csrf: html[i..i + 32].to_string(),
        cookie,
    }
}

impl Person {
    async fn get(&self, base: &str, path: &str) -> (StatusCode, String) {
        let r = client()
            .get(format!("{base}{path}"))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap();
        (r.status(), r.text().await.unwrap())
    }

    /// Posts a form: the status, where it sends, and the page when it comes back.
    async fn post(
        &self,
        base: &str,
        path: &str,
        fields: &[(&str, &str)],
    ) -> (StatusCode, String, String) {
        let mut form: Vec<(&str, &str)> = vec![("csrf", self.csrf.as_str())];
        form.extend_from_slice(fields);
        let r = client()
            .post(format!("{base}{path}"))
            .header("cookie", &self.cookie)
            .form(&form)
            .send()
            .await
            .unwrap();
        let to = r
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_string())
            .unwrap_or_default();
        (r.status(), to, r.text().await.unwrap())
    }

    async fn api(&self, base: &str, method: reqwest::Method, path: &str, body: serde_json::Value) {
        let r = client()
            .request(method, format!("{base}{path}"))
            .header("cookie", &self.cookie)
            .header("x-csrf-token", &self.csrf)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
    }
}

/// Organisations whose name no other organisation has (so that typing it gives one match).
async fn unique_orgs(db_url: &str, n: i64) -> Vec<(i64, String)> {
    let db = connect(db_url).await;
    sqlx::query_as::<_, (i64, String)>(
        "SELECT o.id, o.name FROM organisations o WHERE o.cordis_id IS NOT NULL AND o.country = 'FR' \
         AND LENGTH(o.name) > 12 AND (SELECT COUNT(*) FROM organisations p WHERE LOWER(p.name) LIKE '%' || LOWER(o.name) || '%') = 1 \
         ORDER BY o.id LIMIT $1 OFFSET 40",
    )
    .bind(n)
    .fetch_all(&db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn worklists_show_each_role_its_items_and_pickers_take_names() {
    let app = app();
    let base = app.base.as_str();
    let orgs = unique_orgs(&app.db_url, 3).await;
    assert_eq!(orgs.len(), 3);
    let ((lead_org, _), (partner_org, partner_name), (other_org, _)) =
        (orgs[0].clone(), orgs[1].clone(), orgs[2].clone());
    make_user(
        app,
        "wl-lead@test.invalid",
        "organisation_member",
        Some(&lead_org.to_string()),
    )
    .await;
    make_user(
        app,
        "wl-partner@test.invalid",
        "organisation_member",
        Some(&partner_org.to_string()),
    )
    .await;
    make_user(
        app,
        "wl-other@test.invalid",
        "organisation_member",
        Some(&other_org.to_string()),
    )
    .await;
    make_user(
        app,
        "wl-mina@test.invalid",
        "cluster_manager",
        Some("minalogic"),
    )
    .await;
    make_user(
        app,
        "wl-scs@test.invalid",
        "cluster_manager",
        Some("solutions-communicantes-securisees"),
    )
    .await;
    make_user(app, "wl-reviewer@test.invalid", "reviewer", None).await;
    make_user(app, "wl-o1@test.invalid", "programme_officer", None).await;
    make_user(
        app,
        "wl-state@test.invalid",
        "funder_officer",
        Some("state"),
    )
    .await;
    make_user(app, "wl-region@test.invalid", "region_officer", Some("84")).await;

    let o1 = person(base, "wl-o1@test.invalid").await;
    for (slug, deadline) in [("wl-call", "2035-12-31"), ("wl-late", "2035-12-31")] {
        o1.api(
            base,
            reqwest::Method::POST,
            "/api/v1/calls",
            serde_json::json!({"slug": slug, "name_fr": "Appel listes", "name_en": "Worklist call", "programme": "FUI", "from_call": "fui-25", "deadline": deadline, "source": "test"}),
        )
        .await;
    }

    // Deadlines are Paris instants, in the reader's language.
    let (_, page) = o1.get(base, "/calls/wl-call?lang=en").await;
    assert!(
        page.contains("31 December 2035, 23:59 Paris time"),
        "{page}"
    );
    let (_, page) = o1.get(base, "/calls/wl-call?lang=fr").await;
    assert!(page.contains("31 décembre 2035 à 23:59 (heure de Paris)"));

    // The lead organisation is chosen by its name; a refused draft keeps what was typed.
    let lead = person(base, "wl-lead@test.invalid").await;
    let (_, page) = lead.get(base, "/calls/wl-call/apply?lang=en").await;
    assert!(page.contains(&format!(r#"<option value="{lead_org}">"#)));
    assert!(
        !page.contains(&format!(">{lead_org}</option>")),
        "not the bare id"
    );
    let lo = lead_org.to_string();
    let (status, _, page) = lead
        .post(
            base,
            "/calls/wl-call/apply?lang=en",
            &[
                ("lead_organisation_id", &lo),
                ("acronym", " "),
                ("title", "Kept title"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains(r#"value="Kept title""#) && page.contains("is required"),
        "{page}"
    );
    let (status, to, _) = lead
        .post(
            base,
            "/calls/wl-call/apply?lang=en",
            &[
                ("lead_organisation_id", &lo),
                ("acronym", "WLAPP"),
                ("title", "Found in the lists"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let id: i64 = to
        .trim_start_matches("/applications/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let app_path = format!("/applications/{id}");
    let (_, to, _) = lead
        .post(
            base,
            "/calls/wl-late/apply?lang=en",
            &[
                ("lead_organisation_id", &lo),
                ("acronym", "WLLATE"),
                ("title", "Too late"),
            ],
        )
        .await;
    let late: i64 = to
        .trim_start_matches("/applications/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();

    // A partner by name without JavaScript: no match, several, then one.
    let (status, _, page) = lead
        .post(
            base,
            &format!("{app_path}/invite?lang=en"),
            &[("organisation", "zzqx no such organisation")],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("No name matches.") && page.contains(r#"value="zzqx no such organisation""#)
    );
    let (status, _, page) = lead
        .post(
            base,
            &format!("{app_path}/invite?lang=en"),
            &[("organisation", "univ")],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("Several names match")
            && page.contains(r#"type="radio" name="organisation_value""#),
        "{page}"
    );
    let (status, _, _) = lead
        .post(
            base,
            &format!("{app_path}/invite?lang=en"),
            &[("organisation", &partner_name)],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "one match is used");
    // Inviting it again is refused beside the field, with the name kept.
    let (status, _, page) = lead
        .post(
            base,
            &format!("{app_path}/invite?lang=en"),
            &[("organisation", &partner_name)],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("is already in the consortium")
            && page.contains(r#"id="organisation-error""#)
    );

    // Submitting with a partner who has not answered: the same page, the reason beside the button.
    let (status, _, page) = lead
        .post(base, &format!("{app_path}/submit?lang=en"), &[])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains(r#"id="submit-error""#) && page.contains("have not answered"),
        "{page}"
    );

    // The cluster by its displayed name; the commune by its name; a bad amount keeps the input.
    let (status, _, _) = lead
        .post(
            base,
            &format!("{app_path}/labelling?lang=en"),
            &[("cluster", "Minalogic"), ("lead", "on")],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "the displayed name is accepted"
    );
    let budget = format!("{app_path}/partners/{lead_org}/budget?lang=en");
    let (status, _, page) = lead
        .post(
            base,
            &budget,
            &[
                ("staff", "12abc"),
                ("equipment", "0"),
                ("subcontracting", "0"),
                ("overheads", "0"),
                ("rd_commune", "Grenoble"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains(r#"value="12abc""#) && page.contains("Staff (€): must be an amount"),
        "{page}"
    );
    let (status, _, _) = lead
        .post(
            base,
            &budget,
            &[
                ("staff", "100000"),
                ("equipment", "0"),
                ("subcontracting", "0"),
                ("overheads", "0"),
                ("rd_commune", "Grenoble"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = lead.get(base, &format!("{app_path}?lang=en")).await;
    assert!(
        page.contains(r#"value="Grenoble""#)
            && page.contains(r#"name="rd_commune_value" value="38185""#)
    );

    // My applications: the lead and the invited partner see it with their next step; another
    // organisation does not.
    let (_, page) = lead.get(base, "/applications?lang=en").await;
    assert!(
        page.contains("WLAPP") && page.contains("Wait for the invited partners to answer"),
        "{page}"
    );
    assert!(page.contains("31 December 2035, 23:59 Paris time"));
    let (_, page) = lead
        .get(base, "/applications?lang=en&status=submitted")
        .await;
    assert!(!page.contains("WLAPP"), "the status filter");
    let (_, page) = lead.get(base, "/account?lang=en").await;
    assert!(
        page.contains("My applications")
            && page.contains(&format!(r#"href="/applications/{id}?lang=en""#))
    );
    let partner = person(base, "wl-partner@test.invalid").await;
    let (_, page) = partner.get(base, "/applications?lang=en").await;
    assert!(page.contains("WLAPP") && page.contains("Answer the invitation"));
    let (_, page) = person(base, "wl-other@test.invalid")
        .await
        .get(base, "/applications?lang=en")
        .await;
    assert!(!page.contains("WLAPP"));

    // The inbox links to the page and names the project.
    let (_, page) = partner.get(base, "/inbox?lang=en").await;
    assert!(
        page.contains("project WLAPP")
            && page.contains(&format!(r#"href="/applications/{id}?lang=en""#)),
        "{page}"
    );
    assert!(!page.contains("/api/v1/applications") && !page.contains(&format!("#{id}")));

    // The labelling queue: the pôle's managers only.
    let mina = person(base, "wl-mina@test.invalid").await;
    let (status, page) = mina
        .get(base, "/clusters/minalogic/labelling-requests?lang=en")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("WLAPP") && page.contains(">requested ("),
        "{page}"
    );
    let (_, page) = mina
        .get(
            base,
            "/clusters/minalogic/labelling-requests?lang=en&status=labelled",
        )
        .await;
    assert!(!page.contains("WLAPP"));
    let scs = person(base, "wl-scs@test.invalid").await;
    let (status, _) = scs
        .get(base, "/clusters/minalogic/labelling-requests?lang=en")
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The partner answers; the lead submits; the late call closed meanwhile.
    let (status, _, _) = partner
        .post(
            base,
            &format!("{app_path}/partners/{partner_org}/answer?lang=en"),
            &[
                ("accept", "yes"),
                ("declared_kind", "sme"),
                ("independent", "on"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, _) = lead
        .post(base, &format!("{app_path}/submit?lang=en"), &[])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let db = connect(&app.db_url).await;
    sqlx::query("UPDATE calls SET deadline = '2020-01-31' WHERE slug = 'wl-late'")
        .execute(&db.pool)
        .await
        .unwrap();
    let (status, _, page) = lead
        .post(base, &format!("/applications/{late}/submit?lang=en"), &[])
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "refused after the deadline instant"
    );
    assert!(
        page.contains("the call closed on 31 January 2020, 23:59 Paris time"),
        "{page}"
    );

    // The call's worklist: officers and the call's funders' officers, nobody else.
    let (status, page) = o1.get(base, "/calls/wl-call/applications?lang=en").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("WLAPP") && page.contains("submitted (1)") && page.contains("0/1"),
        "{page}"
    );
    let (status, _) = person(base, "wl-state@test.invalid")
        .await
        .get(base, "/calls/wl-call/applications?lang=en")
        .await;
    assert_eq!(status, StatusCode::OK);
    for who in ["wl-region@test.invalid", "wl-lead@test.invalid"] {
        let (status, _) = person(base, who)
            .await
            .get(base, "/calls/wl-call/applications?lang=en")
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}");
    }

    // A reviewer chosen by e-mail; an unknown name comes back to the page, kept.
    let (status, to, _) = o1
        .post(
            base,
            &format!("{app_path}/reviewers?lang=en"),
            &[("reviewer", "nobody-by-that-name")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = o1.get(base, &to).await;
    assert!(page.contains("No name matches.") && page.contains(r#"value="nobody-by-that-name""#));
    let (status, to, _) = o1
        .post(
            base,
            &format!("{app_path}/reviewers?lang=en"),
            &[("reviewer", "wl-reviewer@test.invalid")],
        )
        .await;
    assert_eq!(
        (status, to.as_str()),
        (
            StatusCode::SEE_OTHER,
            format!("{app_path}?lang=en").as_str()
        )
    );
    let reviewer = person(base, "wl-reviewer@test.invalid").await;
    let (status, page) = reviewer.get(base, "/reviews?lang=en").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("WLAPP") && page.contains("To do (1)"),
        "{page}"
    );
    let (_, page) = reviewer.get(base, "/reviews?lang=en&show=done").await;
    assert!(!page.contains("WLAPP"));
    let (status, _) = lead.get(base, "/reviews?lang=en").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Suggestions: the registry for anyone, people for officers only.
    let r = client()
        .get(format!("{base}/suggest/commune?q=grenob"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains(r#"data-value="38185""#));
    let (_, html) = o1.get(base, "/suggest/user?q=wl-review").await;
    assert!(html.contains("wl-reviewer@test.invalid"));
    let (status, html) = lead.get(base, "/suggest/user?q=wl-review").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(!html.contains("wl-reviewer@test.invalid"));
}
