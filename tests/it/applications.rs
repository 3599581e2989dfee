//! A project's path through a call, over the API: drafting, consortium, budgets, labelling
//! by two clusters, live eligibility and aid, submission.

use crate::accounts::{app, make_user, PASSWORD};
use crate::support::{client, connect, get_json, App};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

#[derive(Clone)]
pub struct Who {
    pub cookie: String,
    pub csrf: String,
}

pub async fn who(base: &str, email: &str) -> Who {
    who_with(base, email, PASSWORD).await
}

/// [`who`] with a password of one's own (the demo's accounts have random ones).
pub async fn who_with(base: &str, email: &str, password: &str) -> Who {
    let r = client()
        .post(format!("{base}/api/v1/session"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{email}");
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
    let body: Value = r.json().await.unwrap();
    Who {
        cookie,
        csrf: body["csrf_token"].as_str().unwrap().to_string(),
    }
}

pub async fn call(
    base: &str,
    w: &Who,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = client()
        .request(method, format!("{base}{path}"))
        .header("cookie", &w.cookie)
        .header("x-csrf-token", &w.csrf);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    (
        status,
        serde_json::from_str(&r.text().await.unwrap()).unwrap_or(Value::Null),
    )
}

/// A partner's budget of `euros` with its R&D done in `commune` (INSEE code): the territory
/// and the R&D zone follow from the commune.
pub fn budget(euros: i64, commune: &str) -> Value {
    json!({"costs": {"staff": euros * 80, "equipment": euros * 20, "subcontracting": 0, "overheads": 0},
           "rd_commune": commune})
}

/// Toulouse, in Aerospace Valley's territory (Occitanie) and its illustrative R&D zone.
pub const TOULOUSE: &str = "31555";
/// Grenoble, in Minalogic's territory (Auvergne-Rhône-Alpes) and its illustrative R&D zone.
pub const GRENOBLE: &str = "38185";

#[tokio::test]
async fn a_consortium_drafts_gets_labelled_and_submits() {
    let app = app();
    let base = app.base.as_str();
    let db = connect(&app.db_url).await;
    let key = |k: &'static str| {
        let db = db.clone();
        async move {
            poles_store::registry::organisation_id_by_demo_key(&db, k)
                .await
                .unwrap()
                .unwrap()
        }
    };
    // Four organisations of the registry; the SME is a CORDIS organisation that declares its size.
    let sme: i64 = sqlx::query_scalar("SELECT id FROM organisations WHERE cordis_id IS NOT NULL AND country = 'FR' ORDER BY id LIMIT 1").fetch_one(&db.pool).await.unwrap();
    let (xerox, leti, motorola) = (
        key("xerox").await,
        key("cea-leti").await,
        key("motorola").await,
    );
    for (email, org) in [
        ("app-sme@test.invalid", sme),
        ("app-xerox@test.invalid", xerox),
        ("app-leti@test.invalid", leti),
        ("app-moto@test.invalid", motorola),
    ] {
        make_user(app, email, "organisation_member", Some(&org.to_string())).await;
    }
    make_user(
        app,
        "app-minalogic@test.invalid",
        "cluster_manager",
        Some("minalogic"),
    )
    .await;
    make_user(
        app,
        "app-capdigital@test.invalid",
        "cluster_manager",
        Some("cap-digital"),
    )
    .await;
    make_user(
        app,
        "app-outsider@test.invalid",
        "organisation_member",
        Some("999999"),
    )
    .await;
    let lead = who(base, "app-sme@test.invalid").await;

    // The lead drafts; someone else cannot draft in its name.
    let outsider = who(base, "app-outsider@test.invalid").await;
    let (s, _) = call(
        base,
        &outsider,
        Method::POST,
        "/api/v1/calls/fui-25/applications",
        Some(json!({"lead_organisation_id": sme, "acronym": "X", "title": "X"})),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, created) = call(base, &lead, Method::POST, "/api/v1/calls/fui-25/applications", Some(json!({
        "lead_organisation_id": sme, "acronym": "NANOSENS", "title": "Capteurs nanométriques pour l'industrie",
        "summary_fr": "Résumé.", "summary_en": "Summary.", "keywords": "nano, capteurs", "duration_months": 36}))).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().unwrap();
    let path = |p: &str| format!("/api/v1/applications/{id}{p}");

    // Consortium: three invited partners answer and declare themselves.
    for org in [xerox, leti, motorola] {
        let (s, r) = call(
            base,
            &lead,
            Method::POST,
            &path("/partners"),
            Some(json!({"organisation_id": org})),
        )
        .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{r}");
    }
    let (s, _) = call(base, &lead, Method::POST, &path("/submit"), None).await;
    assert_eq!(
        s,
        StatusCode::BAD_REQUEST,
        "invited partners have not answered"
    );
    let (s, _) = call(
        base,
        &lead,
        Method::POST,
        &path(&format!("/partners/{sme}/answer")),
        Some(json!({"accept": true, "declared_kind": "sme"})),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    for (email, org, kind) in [
        ("app-xerox@test.invalid", xerox, "large_company"),
        ("app-leti@test.invalid", leti, "public_research"),
        ("app-moto@test.invalid", motorola, "large_company"),
    ] {
        let w = who(base, email).await;
        let (s, r) = call(
            base,
            &w,
            Method::POST,
            &path(&format!("/partners/{org}/answer")),
            Some(json!({"accept": true, "declared_kind": kind})),
        )
        .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{email}: {r}");
        let (s, _) = call(
            base,
            &w,
            Method::PUT,
            &path(&format!("/partners/{sme}/budget")),
            Some(budget(1, GRENOBLE)),
        )
        .await;
        assert_eq!(
            s,
            StatusCode::FORBIDDEN,
            "a partner cannot set another partner's budget"
        );
    }
    // Budgets: the lead enters them (euros × 100 = cents).
    // Motorola does its R&D in Toulouse, outside both labelling pôles' territories.
    for (org, euros, commune) in [
        (sme, 1_000_000, GRENOBLE),
        (xerox, 800_000, GRENOBLE),
        (leti, 500_000, GRENOBLE),
        (motorola, 700_000, TOULOUSE),
    ] {
        let (s, r) = call(
            base,
            &lead,
            Method::PUT,
            &path(&format!("/partners/{org}/budget")),
            Some(budget(euros, commune)),
        )
        .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{r}");
    }
    let (s, r) = call(base, &lead, Method::PUT, &path(&format!("/partners/{sme}/budget")), Some(json!({"costs": {"staff": 1, "equipment": 0, "subcontracting": 0, "overheads": 0}, "rd_commune": "99999"}))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(r["error"]["field"], "rd_commune");

    // Not yet labelled: the live check says so.
    let (_, a) = call(base, &lead, Method::GET, &path(""), None).await;
    assert_eq!(a["eligibility"]["eligible"], false);
    // Labelling: Minalogic leads, Cap Digital co-labels.
    let (s, _) = call(
        base,
        &lead,
        Method::POST,
        &path("/labelling"),
        Some(json!({"cluster": "minalogic", "lead": true})),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = call(
        base,
        &lead,
        Method::POST,
        &path("/labelling"),
        Some(json!({"cluster": "cap-digital", "lead": true})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "one lead cluster");
    let (s, _) = call(
        base,
        &lead,
        Method::POST,
        &path("/labelling"),
        Some(json!({"cluster": "cap-digital"})),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let mina = who(base, "app-minalogic@test.invalid").await;
    let capd = who(base, "app-capdigital@test.invalid").await;
    let (_, inbox) = call(
        base,
        &mina,
        Method::GET,
        "/api/v1/clusters/minalogic/labelling-requests",
        None,
    )
    .await;
    assert!(inbox
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["application_id"] == id && r["status"] == "requested"));
    let (s, _) = call(
        base,
        &capd,
        Method::POST,
        &path("/labelling/minalogic"),
        Some(json!({"labelled": true})),
    )
    .await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "only Minalogic's managers decide for Minalogic"
    );
    for (w, cluster) in [(&mina, "minalogic"), (&capd, "cap-digital")] {
        let (s, r) = call(base, w, Method::POST, &path(&format!("/labelling/{cluster}")), Some(json!({"labelled": true, "reasons": "Strong consortium", "decided_on": "2018-01-10"}))).await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{r}");
    }
    // A cluster manager asked to label reads the application; an outsider does not.
    let (s, _) = call(base, &capd, Method::GET, &path(""), None).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = call(base, &outsider, Method::GET, &path(""), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    let (_, notes) = call(base, &lead, Method::GET, "/api/v1/inbox", None).await;
    assert_eq!(
        notes
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["kind"] == "labelling_decision"
                && n["text_en"].as_str().unwrap().contains("project NANOSENS.")
                && n["link"] == format!("/applications/{id}"))
            .count(),
        2,
        "the lead hears of both decisions"
    );
    let xw = who(base, "app-xerox@test.invalid").await;
    let (_, notes) = call(base, &xw, Method::GET, "/api/v1/inbox", None).await;
    assert!(
        notes
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "invitation"),
        "invited partners are told"
    );

    // Live eligibility and aid with the FUI-25 rules.
    let (_, a) = call(base, &lead, Method::GET, &path(""), None).await;
    assert_eq!(a["eligibility"]["eligible"], true, "{}", a["eligibility"]);
    let aid: Vec<i64> = a["aid"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["aid"].as_i64().unwrap() / 100)
        .collect();
    // Lead SME inside 50 % of 1,000,000; then by name: CEA-Leti lab 40 % of 500,000;
    // Motorola large 30 % of 700,000; Xerox large 30 % of 800,000.
    assert_eq!(aid, vec![500_000, 200_000, 210_000, 240_000]);
    assert_eq!(a["partners"][0]["rd_region"], "84", "commune → region");
    // Territory and R&D zone come from the commune: Grenoble is in Minalogic's region and
    // its (illustrative) R&D zone; Toulouse is in neither labelling pôle's.
    let partner = |org: i64| {
        a["partners"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["organisation_id"] == org)
            .unwrap()
            .clone()
    };
    let (lead_p, moto_p) = (partner(sme), partner(motorola));
    assert_eq!(lead_p["in_labelling_territory"], true);
    assert_eq!(lead_p["in_lead_territory"], true);
    assert_eq!(lead_p["in_rd_zone"], true);
    assert_eq!(lead_p["rd_zone_illustrative"], true);
    assert_eq!(moto_p["rd_region"], "76");
    assert_eq!(moto_p["in_labelling_territory"], false);
    assert_eq!(moto_p["in_rd_zone"], false);
    assert_eq!(a["rd_zone_illustrative"], true);

    // The pages: the application with its rules explained, and the printable label letter.
    let html = client()
        .get(format!("{base}/applications/{id}?lang=en"))
        .header("cookie", &lead.cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("NANOSENS") && html.contains("class=\"check pass\""));
    assert!(
        html.contains("Largest share"),
        "each rule explained with its numbers"
    );
    let letter = client()
        .get(format!(
            "{base}/applications/{id}/label-letter/minalogic?lang=fr"
        ))
        .header("cookie", &capd.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(letter.status(), StatusCode::OK);
    let letter = letter.text().await.unwrap();
    assert!(
        letter.contains("Lettre de labellisation")
            && letter.contains("NANOSENS")
            && letter.contains("pôle chef de file")
    );
    let r = client()
        .get(format!("{base}/applications/{id}?lang=en"))
        .header("cookie", &outsider.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let inbox = client()
        .get(format!("{base}/inbox?lang=en"))
        .header("cookie", &lead.cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(inbox.contains("labelled project"));

    // Submission checks, keeps the result and freezes the rule set.
    let (s, e) = call(base, &lead, Method::POST, &path("/submit"), None).await;
    assert_eq!(s, StatusCode::OK, "{e}");
    assert_eq!(e["eligible"], true);
    let (_, a) = call(base, &lead, Method::GET, &path(""), None).await;
    assert_eq!(a["status"], "submitted");
    assert_eq!(a["eligibility_at_submission"]["eligible"], true);
    let (_, c) = get_json(&format!("{base}/api/v1/calls/fui-25")).await;
    assert_eq!(c["rule_set_frozen"], true);
    let (s, _) = call(
        base,
        &lead,
        Method::POST,
        &path("/partners"),
        Some(json!({"organisation_id": 1})),
    )
    .await;
    assert_eq!(
        s,
        StatusCode::BAD_REQUEST,
        "a submitted application no longer changes"
    );
    let (s, r) = call(base, &lead, Method::POST, &path("/submit"), None).await;
    assert_eq!(s, StatusCode::CONFLICT, "submitted once: {r}");
    assert_eq!(r["error"]["code"], "illegal_transition");
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE object_kind = 'application' AND object_ref = $1",
    )
    .bind(id.to_string())
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert!(n >= 15, "every step is audited: {n}");
}

/// Builds a submitted, eligible FUI-25 application with its own users (`prefix` keeps them apart).
pub async fn submitted_application(prefix: &str) -> i64 {
    submitted_to("fui-25", prefix).await
}

/// [`submitted_application`] to a given call.
pub async fn submitted_to(call_slug: &str, prefix: &str) -> i64 {
    submitted_scaled(call_slug, prefix, 500_000).await
}

/// [`submitted_to`], each of the four partners budgeting `euros` of costs.
pub async fn submitted_scaled(call_slug: &str, prefix: &str, euros: i64) -> i64 {
    submitted_on(app(), call_slug, prefix, euros).await
}

/// [`submitted_scaled`] on a server of one's own.
pub async fn submitted_on(app: &App, call_slug: &str, prefix: &str, euros: i64) -> i64 {
    let base = app.base.as_str();
    let db = connect(&app.db_url).await;
    let orgs: Vec<i64> = sqlx::query_scalar("SELECT id FROM organisations WHERE cordis_id IS NOT NULL AND country = 'FR' ORDER BY id LIMIT 4")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    let kinds = ["sme", "large_company", "mid_size", "public_research"];
    let mut people = Vec::new();
    for (k, org) in orgs.iter().enumerate() {
        let email = format!("{prefix}-p{k}@test.invalid");
        make_user(app, &email, "organisation_member", Some(&org.to_string())).await;
        people.push(who(base, &email).await);
    }
    let lead = &people[0];
    let (s, c) = call(base, lead, Method::POST, &format!("/api/v1/calls/{call_slug}/applications"), Some(json!({"lead_organisation_id": orgs[0], "acronym": prefix.to_uppercase(), "title": format!("Project {prefix}")}))).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let id = c["id"].as_i64().unwrap();
    for org in &orgs[1..] {
        call(
            base,
            lead,
            Method::POST,
            &format!("/api/v1/applications/{id}/partners"),
            Some(json!({"organisation_id": org})),
        )
        .await;
    }
    for (k, org) in orgs.iter().enumerate() {
        let (s, r) = call(
            base,
            &people[k],
            Method::POST,
            &format!("/api/v1/applications/{id}/partners/{org}/answer"),
            Some(json!({"accept": true, "declared_kind": kinds[k]})),
        )
        .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{r}");
        let (s, r) = call(
            base,
            lead,
            Method::PUT,
            &format!("/api/v1/applications/{id}/partners/{org}/budget"),
            Some(budget(euros, TOULOUSE)),
        )
        .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{r}");
    }
    call(
        base,
        lead,
        Method::POST,
        &format!("/api/v1/applications/{id}/labelling"),
        Some(json!({"cluster": "aerospace-valley", "lead": true})),
    )
    .await;
    let manager = format!("{prefix}-av@test.invalid");
    make_user(app, &manager, "cluster_manager", Some("aerospace-valley")).await;
    let m = who(base, &manager).await;
    let (s, _) = call(
        base,
        &m,
        Method::POST,
        &format!("/api/v1/applications/{id}/labelling/aerospace-valley"),
        Some(json!({"labelled": true})),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, e) = call(
        base,
        lead,
        Method::POST,
        &format!("/api/v1/applications/{id}/submit"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(e["eligible"], true, "{e}");
    id
}
