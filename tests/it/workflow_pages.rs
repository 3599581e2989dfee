//! The main journey through the HTML forms, as people use them: an applicant builds a
//! consortium and submits; two clusters label; a reviewer scores; an officer proposes and
//! another approves.

use crate::accounts::{app, make_user, PASSWORD};
use crate::support::{client, connect};
use reqwest::StatusCode;

struct Browser {
    cookie: String,
    csrf: String,
}

async fn browser(base: &str, email: &str) -> Browser {
    let r = client()
        .post(format!("{base}/login?lang=en"))
        .form(&[("email", email), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{email}");
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
    let i = html.find("name=\"csrf\" value=\"").unwrap() + 19;
    Browser {
        csrf: html[i..i + 32].to_string(),
        cookie,
    }
}

impl Browser {
    async fn get(&self, base: &str, path: &str) -> String {
        client()
            .get(format!("{base}{path}"))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// Posts a form and follows nothing: returns the status and where it sends.
    async fn post(&self, base: &str, path: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
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
        let status = r.status();
        if status != StatusCode::SEE_OTHER {
            let body = r.text().await.unwrap();
            panic!("{path}: {status}: {}", &body[..body.len().min(400)]);
        }
        (status, to)
    }
}

#[tokio::test]
async fn the_main_journey_through_the_forms() {
    let app = app();
    let base = app.base.as_str();
    let db = connect(&app.db_url).await;
    let orgs: Vec<i64> = sqlx::query_scalar("SELECT id FROM organisations WHERE cordis_id IS NOT NULL AND country = 'FR' ORDER BY id LIMIT 4 OFFSET 10")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    for (k, org) in orgs.iter().enumerate() {
        make_user(
            app,
            &format!("wf-p{k}@test.invalid"),
            "organisation_member",
            Some(&org.to_string()),
        )
        .await;
    }
    make_user(
        app,
        "wf-mina@test.invalid",
        "cluster_manager",
        Some("minalogic"),
    )
    .await;
    make_user(
        app,
        "wf-scs@test.invalid",
        "cluster_manager",
        Some("solutions-communicantes-securisees"),
    )
    .await;
    let reviewer = make_user(app, "wf-reviewer@test.invalid", "reviewer", None).await;
    make_user(app, "wf-o1@test.invalid", "programme_officer", None).await;
    make_user(app, "wf-o2@test.invalid", "programme_officer", None).await;

    // An officer opens a call of its own for this journey, with its envelopes.
    let o1 = browser(base, "wf-o1@test.invalid").await;
    for (method, path, body) in [
        (
            reqwest::Method::POST,
            "/api/v1/calls",
            serde_json::json!({"slug": "wf-call", "name_fr": "Appel parcours", "name_en": "Journey call", "programme": "FUI", "from_call": "fui-25", "deadline": crate::support::in_days(60), "source": "test"}),
        ),
        (
            reqwest::Method::PUT,
            "/api/v1/calls/wf-call/selection",
            serde_json::json!({"envelopes": [{"funder": "state", "envelope_cents": 100_000_000}, {"funder": "region", "envelope_cents": 100_000_000}]}),
        ),
    ] {
        let r = client()
            .request(method, format!("{base}{path}"))
            .header("cookie", &o1.cookie)
            .header("x-csrf-token", &o1.csrf)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
    }

    // The applicant finds the call and starts a draft.
    let lead = browser(base, "wf-p0@test.invalid").await;
    let call = lead.get(base, "/calls/wf-call?lang=en").await;
    assert!(call.contains("Apply to this call"));
    let lead_org = orgs[0].to_string();
    let (_, to) = lead
        .post(
            base,
            "/calls/wf-call/apply?lang=en",
            &[
                ("lead_organisation_id", lead_org.as_str()),
                ("acronym", "FORMS"),
                ("title", "Built through the forms"),
                ("duration_months", "24"),
            ],
        )
        .await;
    let id: i64 = to
        .trim_start_matches("/applications/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let app_path = format!("/applications/{id}");
    for org in &orgs[1..] {
        lead.post(
            base,
            &format!("{app_path}/invite?lang=en"),
            &[("organisation_id", org.to_string().as_str())],
        )
        .await;
    }
    // Each partner answers on the application's page and the lead enters the budgets.
    let kinds = ["sme", "large_company", "mid_size", "university"];
    for (k, org) in orgs.iter().enumerate() {
        let p = if k == 0 {
            browser(base, "wf-p0@test.invalid").await
        } else {
            browser(base, &format!("wf-p{k}@test.invalid")).await
        };
        let page = p.get(base, &format!("{app_path}?lang=en")).await;
        assert!(
            page.contains("Declared kind"),
            "partner {k} sees its answer form"
        );
        p.post(
            base,
            &format!("{app_path}/partners/{org}/answer?lang=en"),
            &[
                ("accept", "yes"),
                ("declared_kind", kinds[k]),
                ("independent", "on"),
            ],
        )
        .await;
        lead.post(
            base,
            &format!("{app_path}/partners/{org}/budget?lang=en"),
            &[
                ("staff", "400 000"),
                ("equipment", "100000"),
                ("subcontracting", "0"),
                ("overheads", "0"),
                ("rd_commune", "38185"),
            ],
        )
        .await;
    }
    lead.post(
        base,
        &format!("{app_path}/labelling?lang=en"),
        &[("cluster", "minalogic"), ("lead", "on")],
    )
    .await;
    lead.post(
        base,
        &format!("{app_path}/labelling?lang=en"),
        &[("cluster", "solutions-communicantes-securisees")],
    )
    .await;
    // Two clusters label it.
    for (email, cluster) in [
        ("wf-mina@test.invalid", "minalogic"),
        ("wf-scs@test.invalid", "solutions-communicantes-securisees"),
    ] {
        let m = browser(base, email).await;
        assert!(m
            .get(base, &format!("{app_path}?lang=en"))
            .await
            .contains(r#"name="labelled""#));
        m.post(
            base,
            &format!("{app_path}/labelling/{cluster}?lang=en"),
            &[("labelled", "yes"), ("reasons", "Good fit")],
        )
        .await;
    }
    let page = lead.get(base, &format!("{app_path}?lang=en")).await;
    assert!(
        page.contains(r#"<span class="ok">eligible</span>"#),
        "eligible before submission"
    );
    lead.post(base, &format!("{app_path}/submit?lang=en"), &[])
        .await;
    assert!(lead
        .get(base, &format!("{app_path}?lang=en"))
        .await
        .contains("submitted"));

    // A reviewer scores; an officer proposes; another approves.
    o1.post(
        base,
        &format!("{app_path}/reviewers?lang=en"),
        &[("reviewer_id", reviewer.to_string().as_str())],
    )
    .await;
    let r = browser(base, "wf-reviewer@test.invalid").await;
    let page = r.get(base, &format!("{app_path}?lang=en")).await;
    assert!(
        page.contains("Submit the review"),
        "the assigned reviewer reads the project and scores it"
    );
    r.post(
        base,
        &format!("{app_path}/review?lang=en"),
        &[("score_1", "8"), ("comment_1", "Convincing")],
    )
    .await;
    o1.post(
        base,
        &format!("{app_path}/proposals?lang=en"),
        &[("amount_state", "300000"), ("amount_region", "150000")],
    )
    .await;
    let pid: i64 = sqlx::query_scalar("SELECT id FROM funding_proposals WHERE application_id = $1")
        .bind(id)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let o2 = browser(base, "wf-o2@test.invalid").await;
    o2.post(
        base,
        &format!("{app_path}/proposals/{pid}/approve?lang=en"),
        &[],
    )
    .await;
    let page = o2.get(base, &format!("{app_path}?lang=en")).await;
    assert!(
        page.contains(&format!("#{pid}")) && page.contains("approved"),
        "the decision is on the page"
    );
    let status: String = sqlx::query_scalar("SELECT status FROM applications WHERE id = $1")
        .bind(id)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(status, "selected");
}
