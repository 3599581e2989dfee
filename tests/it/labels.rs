//! The label process through the API and the pages: an officer opens a campaign, pôles'
//! managers write and submit candidacies, the committee (State and regional members) scores
//! blind with conflicts refused, a region gives its opinion, decisions go under four eyes and
//! publish the pôle's label history; a probation ends with a decision of its own; a merger
//! carries the members. And the past campaigns loaded from their public sources.

use crate::accounts::{call, make_user, sign_in, Browser};
use crate::support::{client, connect, spawn, App};
use poles_core::Date;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn req(
    app: &App,
    who: Option<&Browser>,
    m: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    call(app, who, m, path, body).await
}

fn campaign_body(slug: &str) -> Value {
    let today = Date::today();
    json!({
        "slug": slug,
        "phase": "V",
        "name_en": "Phase VI (test)",
        "name_fr": "Phase VI (essai)",
        "opens_on": today.add_days(-1).to_string(),
        "closes_on": today.add_days(20).to_string(),
        "label_from": today.add_days(60).to_string(),
        "label_until": today.add_days(60 + 4 * 365).to_string(),
        "documents": ["Stratégie", "Gouvernance"],
        "criteria": [
            {"name_en": "Wealth and jobs", "name_fr": "Richesse et emplois", "weight": 3, "source_title": "Press kit 2007"},
            {"name_en": "Partnerships", "name_fr": "Partenariats", "weight": 1, "source_title": "Press kit 2007"}
        ],
        "outcomes": [
            {"outcome": "labelled", "months": 48},
            {"outcome": "probation", "months": 12},
            {"outcome": "not_labelled"},
            {"outcome": "merger"}
        ],
        "regions": ["84", "27"]
    })
}

fn field(v: &Value) -> &str {
    v["error"]["field"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn a_campaign_runs_from_opening_to_a_published_probation_and_its_review() {
    let app = spawn(true);
    make_user(&app, "officer1@test.invalid", "programme_officer", None).await;
    make_user(&app, "officer2@test.invalid", "programme_officer", None).await;
    make_user(
        &app,
        "mgr@test.invalid",
        "cluster_manager",
        Some("minalogic"),
    )
    .await;
    make_user(
        &app,
        "vit@test.invalid",
        "cluster_manager",
        Some("vitagora"),
    )
    .await;
    let ra = make_user(&app, "ra@test.invalid", "reviewer", None).await;
    let rb = make_user(&app, "rb@test.invalid", "reviewer", None).await;
    let rc = make_user(&app, "rc@test.invalid", "reviewer", None).await;
    let region = make_user(&app, "ara@test.invalid", "region_officer", Some("84")).await;
    make_user(&app, "idf@test.invalid", "region_officer", Some("11")).await;
    let nobody = make_user(&app, "nobody@test.invalid", "", None).await;
    let o1 = sign_in(&app, "officer1@test.invalid").await;
    let o2 = sign_in(&app, "officer2@test.invalid").await;
    let mgr = sign_in(&app, "mgr@test.invalid").await;
    let vit = sign_in(&app, "vit@test.invalid").await;
    let a = sign_in(&app, "ra@test.invalid").await;
    let c = sign_in(&app, "rc@test.invalid").await;
    let ara = sign_in(&app, "ara@test.invalid").await;
    let idf = sign_in(&app, "idf@test.invalid").await;

    // rb acts for an organisation that is a member of Minalogic: tied to the pôle.
    let db = connect(&app.db_url).await;
    let org: i64 = sqlx::query_scalar(
        "INSERT INTO organisations (name, kind, country, source) VALUES ('Tied Sensors', 'sme', 'FR', 'test') RETURNING id",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    sqlx::query("INSERT INTO memberships (cluster_id, organisation_id, role, source) SELECT id, $1, 'member', 'test' FROM clusters WHERE slug = 'minalogic'")
        .bind(org)
        .execute(&db.pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO role_grants (user_id, role, scope, granted_at) VALUES ($1, 'organisation_member', $2, '2026-01-01T00:00:00Z')")
        .bind(rb)
        .bind(org.to_string())
        .execute(&db.pool)
        .await
        .unwrap();
    let vitagora_members: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM memberships m JOIN clusters c ON c.id = m.cluster_id WHERE c.slug = 'vitagora'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();

    // Opening: officers only, every refusal names its field.
    let (s, _) = req(
        &app,
        Some(&mgr),
        Method::POST,
        "/api/v1/label-campaigns",
        Some(campaign_body("phase-6")),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let mut bad = campaign_body("phase-6");
    bad["criteria"] = json!([]);
    let (s, v) = req(
        &app,
        Some(&o1),
        Method::POST,
        "/api/v1/label-campaigns",
        Some(bad),
    )
    .await;
    assert_eq!((s, field(&v)), (StatusCode::BAD_REQUEST, "criteria"));
    let mut bad = campaign_body("phase-6");
    bad["closes_on"] = json!("2000-01-01");
    let (s, v) = req(
        &app,
        Some(&o1),
        Method::POST,
        "/api/v1/label-campaigns",
        Some(bad),
    )
    .await;
    assert_eq!((s, field(&v)), (StatusCode::BAD_REQUEST, "closes_on"));
    let mut bad = campaign_body("phase-6");
    bad["outcomes"] = json!([{"outcome": "probation"}]);
    let (s, v) = req(
        &app,
        Some(&o1),
        Method::POST,
        "/api/v1/label-campaigns",
        Some(bad),
    )
    .await;
    assert_eq!(
        (s, field(&v)),
        (StatusCode::BAD_REQUEST, "outcomes[0].months")
    );
    let (s, v) = req(
        &app,
        Some(&o1),
        Method::POST,
        "/api/v1/label-campaigns",
        Some(campaign_body("phase-6")),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["criteria"].as_array().unwrap().len(), 2);
    assert_eq!(v["regions"].as_array().unwrap().len(), 2);
    let (s, v) = req(
        &app,
        Some(&o1),
        Method::POST,
        "/api/v1/label-campaigns",
        Some(campaign_body("phase-6")),
    )
    .await;
    assert_eq!((s, field(&v)), (StatusCode::BAD_REQUEST, "slug"));

    // The candidacy: its managers write it, another pôle's may not; submitting needs the
    // strategy, the governance and the targets.
    let base = "/api/v1/label-campaigns/phase-6/candidacies";
    let (s, _) = req(
        &app,
        Some(&vit),
        Method::PUT,
        &format!("{base}/minalogic"),
        Some(json!({"strategy": "x"})),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = req(&app, Some(&mgr), Method::PUT, &format!("{base}/minalogic"), Some(json!({"strategy": "Nanoélectronique et logiciel embarqué", "budget_cents": 250_000_000, "staff_fte_hundredths": 1200}))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "draft");
    let version = v["version"].as_i64().unwrap();
    assert!(
        v["facts"]["members"].as_i64().unwrap() >= 1,
        "members counted: {v}"
    );
    let (s, v) = req(
        &app,
        Some(&mgr),
        Method::POST,
        &format!("{base}/minalogic/submit"),
        None,
    )
    .await;
    assert_eq!((s, field(&v)), (StatusCode::BAD_REQUEST, "governance"));
    let (s, v) = req(&app, Some(&mgr), Method::PUT, &format!("{base}/minalogic"), Some(json!({"strategy": "Nanoélectronique", "governance": "Association loi 1901", "targets": "30 projets par an", "version": version + 7}))).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    let (s, _) = req(&app, Some(&mgr), Method::PUT, &format!("{base}/minalogic"), Some(json!({"strategy": "Nanoélectronique", "governance": "Association loi 1901", "targets": "30 projets par an", "summary_en": "Nanoelectronics", "version": version}))).await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = req(
        &app,
        Some(&mgr),
        Method::POST,
        &format!("{base}/minalogic/submit"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "submitted");
    let (s, v) = req(
        &app,
        Some(&mgr),
        Method::PUT,
        &format!("{base}/minalogic"),
        Some(json!({"strategy": "late edit"})),
    )
    .await;
    assert_eq!((s, field(&v)), (StatusCode::BAD_REQUEST, "candidacy"));
    // Vitagora submits too (it merges below).
    let (s, _) = req(&app, Some(&vit), Method::PUT, &format!("{base}/vitagora"), Some(json!({"strategy": "Agroalimentaire", "governance": "Association", "targets": "Fusionner"}))).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = req(
        &app,
        Some(&vit),
        Method::POST,
        &format!("{base}/vitagora/submit"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);

    // The committee: State members are officers or reviewers, a region's its officers.
    let committee = "/api/v1/label-campaigns/phase-6/committee";
    let (s, v) = req(
        &app,
        Some(&o1),
        Method::POST,
        committee,
        Some(json!({"user_id": nobody})),
    )
    .await;
    assert_eq!((s, field(&v)), (StatusCode::BAD_REQUEST, "user_id"));
    let (s, v) = req(
        &app,
        Some(&o1),
        Method::POST,
        committee,
        Some(json!({"user_id": region, "region": "11"})),
    )
    .await;
    assert_eq!((s, field(&v)), (StatusCode::BAD_REQUEST, "user_id"));
    for (u, r) in [(ra, None), (rb, None), (rc, None), (region, Some("84"))] {
        let (s, v) = req(
            &app,
            Some(&o1),
            Method::POST,
            committee,
            Some(json!({"user_id": u, "region": r})),
        )
        .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    }
    let (s, v) = req(&app, Some(&o1), Method::GET, committee, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v.as_array().unwrap().len(), 4);

    // Assignment: a member tied to the pôle is refused with the organisation named.
    let reviewers = format!("{base}/minalogic/reviewers");
    let (s, v) = req(
        &app,
        Some(&o1),
        Method::POST,
        &reviewers,
        Some(json!({"reviewer_id": rb})),
    )
    .await;
    assert_eq!((s, field(&v)), (StatusCode::BAD_REQUEST, "reviewer_id"));
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Tied Sensors"),
        "{v}"
    );
    for r in [ra, rc] {
        let (s, v) = req(
            &app,
            Some(&o1),
            Method::POST,
            &reviewers,
            Some(json!({"reviewer_id": r})),
        )
        .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    }

    // Blind scoring, with the machinery of the calls for projects.
    let review = format!("{base}/minalogic/review");
    let (s, v) = req(
        &app,
        Some(&a),
        Method::PUT,
        &review,
        Some(json!({"scores": [{"criterion": 1, "score": 8}]})),
    )
    .await;
    assert_eq!((s, field(&v)), (StatusCode::BAD_REQUEST, "scores"));
    let (s, v) = req(
        &app,
        Some(&a),
        Method::PUT,
        &review,
        Some(json!({"scores": [{"criterion": 1, "score": 8}, {"criterion": 2, "score": 11}]})),
    )
    .await;
    assert_eq!((s, field(&v)), (StatusCode::BAD_REQUEST, "scores[2].score"));
    let (s, v) = req(
        &app,
        Some(&c),
        Method::GET,
        &format!("{base}/minalogic"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["my_review"]["submitted"], false);
    let (s, v) = req(&app, Some(&a), Method::PUT, &review, Some(json!({"scores": [{"criterion": 1, "score": 8, "comment": "Solide"}, {"criterion": 2, "score": 4}]}))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["others"].as_array().unwrap().len(), 0);
    let (s, v) = req(
        &app,
        Some(&c),
        Method::PUT,
        &review,
        Some(json!({"scores": [{"criterion": 1, "score": 7}, {"criterion": 2, "score": 5}]})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let others = v["others"].as_array().unwrap();
    assert_eq!(others[0]["reviewer"], "reviewer 1");
    assert!(!v.to_string().contains("ra@test.invalid"), "never named");
    let (s, _) = req(
        &app,
        Some(&a),
        Method::PUT,
        &review,
        Some(json!({"scores": [{"criterion": 1, "score": 8}, {"criterion": 2, "score": 4}]})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "once");

    // A visitor reads no candidacy; the region of the pôle gives its opinion, another not.
    let (s, v) = req(&app, None, Method::GET, &format!("{base}/minalogic"), None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(v["candidacy"].is_null() && v["synthesis"].is_null(), "{v}");
    let opinion = format!("{base}/minalogic/opinion");
    let (s, _) = req(
        &app,
        Some(&idf),
        Method::PUT,
        &opinion,
        Some(json!({"opinion": "favourable"})),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = req(
        &app,
        Some(&ara),
        Method::PUT,
        &opinion,
        Some(json!({"opinion": "maybe"})),
    )
    .await;
    assert_eq!((s, field(&v)), (StatusCode::BAD_REQUEST, "opinion"));
    let (s, _) = req(
        &app,
        Some(&ara),
        Method::PUT,
        &opinion,
        Some(json!({"opinion": "reserved", "comment": "Ancrage régional à renforcer"})),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = req(
        &app,
        Some(&o1),
        Method::PUT,
        &format!("{base}/minalogic/synthesis"),
        Some(json!({"synthesis": "Bonne stratégie, partenariats à étoffer."})),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, v) = req(
        &app,
        Some(&o1),
        Method::GET,
        &format!("{base}/minalogic"),
        None,
    )
    .await;
    // Criterion 1: (8 + 7) / 2 = 7.50, weight 3; criterion 2: 4.50, weight 1 → 6.75.
    assert_eq!(v["synthesis"]["weighted_total"], 675, "{v}");
    assert_eq!(v["synthesis"]["reviews"], 2);
    assert_eq!(v["opinions"][0]["opinion"], "reserved");
    assert_eq!(v["assignments"].as_array().unwrap().len(), 2);

    // Four eyes: a probation needs its conditions; its proposer does not approve it.
    let decisions = "/api/v1/label-campaigns/phase-6/decisions";
    let probation = json!({"cluster": "minalogic", "outcome": "probation", "months": 12, "legal_act": "Décision ministérielle (essai)", "act_date": Date::today().to_string()});
    let (s, v) = req(
        &app,
        Some(&o1),
        Method::POST,
        decisions,
        Some(probation.clone()),
    )
    .await;
    assert_eq!((s, field(&v)), (StatusCode::BAD_REQUEST, "conditions"));
    let mut with = probation.clone();
    with["conditions"] = json!("Renforcer l'animation des PME");
    let (s, v) = req(&app, Some(&o1), Method::POST, decisions, Some(with.clone())).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_i64().unwrap();
    assert!(v["review_date"].is_string());
    let (s, v) = req(&app, Some(&o1), Method::POST, decisions, Some(with)).await;
    assert_eq!(
        (s, field(&v)),
        (StatusCode::BAD_REQUEST, "cluster"),
        "one open proposal"
    );
    let (s, _) = req(
        &app,
        None,
        Method::GET,
        "/api/v1/label-campaigns/phase-6",
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (_, v) = req(
        &app,
        None,
        Method::GET,
        "/api/v1/label-campaigns/phase-6",
        None,
    )
    .await;
    assert_eq!(
        v["decisions"].as_array().unwrap().len(),
        0,
        "not public before approval"
    );
    let (s, _) = req(
        &app,
        Some(&o1),
        Method::POST,
        &format!("/api/v1/label-decisions/{id}/approval"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = req(
        &app,
        Some(&o2),
        Method::POST,
        &format!("/api/v1/label-decisions/{id}/approval"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "approved");
    let (s, v) = req(
        &app,
        Some(&o2),
        Method::POST,
        &format!("/api/v1/label-decisions/{id}/approval"),
        None,
    )
    .await;
    assert_eq!(
        (s, field(&v)),
        (StatusCode::BAD_REQUEST, "decision"),
        "approved once"
    );

    // Public: the campaign's decisions, the pôle's label history with the act.
    let (_, v) = req(
        &app,
        None,
        Method::GET,
        "/api/v1/label-campaigns/phase-6",
        None,
    )
    .await;
    assert_eq!(v["decisions"][0]["outcome"], "probation");
    let (_, v) = req(&app, None, Method::GET, "/api/v1/clusters/minalogic", None).await;
    let last = v["label_history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["status"], "probation", "{last}");
    let html = client()
        .get(format!("{}/clusters/minalogic?lang=fr", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Décision ministérielle (essai)"),
        "history on the pôle's page"
    );
    // The managers now read the synthesis.
    let (_, v) = req(
        &app,
        Some(&mgr),
        Method::GET,
        &format!("{base}/minalogic"),
        None,
    )
    .await;
    assert_eq!(v["synthesis"]["weighted_total"], 675);

    // The probation's review: confirmed, proposed by one officer, approved by the other.
    let (s, v) = req(&app, Some(&o2), Method::POST, decisions, Some(json!({"cluster": "vitagora", "outcome": "confirmed", "legal_act": "x", "act_date": Date::today().to_string()}))).await;
    assert_eq!(
        (s, field(&v)),
        (StatusCode::BAD_REQUEST, "outcome"),
        "vitagora is not on probation"
    );
    let (s, v) = req(&app, Some(&o2), Method::POST, decisions, Some(json!({"cluster": "minalogic", "outcome": "confirmed", "legal_act": "Décision de confirmation", "act_date": Date::today().to_string()}))).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_i64().unwrap();
    let (s, _) = req(
        &app,
        Some(&o1),
        Method::POST,
        &format!("/api/v1/label-decisions/{id}/approval"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (_, v) = req(&app, None, Method::GET, "/api/v1/clusters/minalogic", None).await;
    let last = v["label_history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["status"], "labelled", "{last}");

    // A rejected proposal, with its reason; then a merger that carries the members.
    let (s, v) = req(&app, Some(&o1), Method::POST, decisions, Some(json!({"cluster": "vitagora", "outcome": "merger", "legal_act": "Arrêté de fusion", "act_date": Date::today().to_string()}))).await;
    assert_eq!((s, field(&v)), (StatusCode::BAD_REQUEST, "merged_into"));
    let (s, v) = req(&app, Some(&o1), Method::POST, decisions, Some(json!({"cluster": "vitagora", "outcome": "labelled", "legal_act": "Arrêté", "act_date": Date::today().to_string()}))).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_i64().unwrap();
    let (s, v) = req(
        &app,
        Some(&o2),
        Method::POST,
        &format!("/api/v1/label-decisions/{id}/rejection"),
        Some(json!({"reason": ""})),
    )
    .await;
    assert_eq!((s, field(&v)), (StatusCode::BAD_REQUEST, "reason"));
    let (s, v) = req(
        &app,
        Some(&o2),
        Method::POST,
        &format!("/api/v1/label-decisions/{id}/rejection"),
        Some(json!({"reason": "Fusion annoncée"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["status"], "rejected");
    let (s, v) = req(&app, Some(&o1), Method::POST, decisions, Some(json!({"cluster": "vitagora", "outcome": "merger", "merged_into": "minalogic", "legal_act": "Arrêté de fusion", "act_date": Date::today().to_string()}))).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_i64().unwrap();
    let (s, _) = req(
        &app,
        Some(&o2),
        Method::POST,
        &format!("/api/v1/label-decisions/{id}/approval"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let left: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM memberships m JOIN clusters c ON c.id = m.cluster_id WHERE c.slug = 'vitagora'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    let past: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM past_memberships p JOIN clusters c ON c.id = p.cluster_id WHERE c.slug = 'vitagora' AND p.reason = 'merger'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!((left, past), (0, vitagora_members));
    let (_, v) = req(&app, None, Method::GET, "/api/v1/clusters/vitagora", None).await;
    let last = v["label_history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["status"], "delabelled", "{last}");

    // Every step is in the audit trail.
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action IN ('label_campaign.open', 'candidacy.submit', 'candidacy.review', 'candidacy.opinion', 'label_decision.approve')",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(n, 1 + 2 + 2 + 1 + 3);

    // The pages, in both languages, for the officer and the manager.
    for (who, path, text) in [
        (&o1, "/labels/phase-6?lang=en", "Selection committee"),
        (&o1, "/labels/phase-6/minalogic?lang=fr", "Note pondérée"),
        (
            &mgr,
            "/labels/phase-6/minalogic/file?lang=fr",
            "Nanoélectronique",
        ),
        (&mgr, "/labels?lang=fr", "Campagnes de labellisation"),
    ] {
        let r = client()
            .get(format!("{}{path}", app.base))
            .header("cookie", &who.cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let html = r.text().await.unwrap();
        assert!(html.contains(text), "{path}: {text}");
    }
}

#[tokio::test]
async fn the_past_campaigns_are_loaded_with_their_sources_and_tied_to_the_labels() {
    let app = spawn(true);
    let (s, v) = req(&app, None, Method::GET, "/api/v1/label-campaigns", None).await;
    assert_eq!(s, StatusCode::OK);
    let slugs: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["historical"] == true)
        .map(|c| c["slug"].as_str().unwrap())
        .collect();
    for s in [
        "label-2005",
        "evaluation-2008",
        "decisions-2010",
        "phase-3",
        "phase-4",
        "phase-5",
    ] {
        assert!(slugs.contains(&s), "{s} in {slugs:?}");
    }
    let (_, v) = req(
        &app,
        None,
        Method::GET,
        "/api/v1/label-campaigns/phase-5",
        None,
    )
    .await;
    assert!(v["campaign"]["source_title"]
        .as_str()
        .unwrap()
        .contains("phase V"));
    let labels = v["labels"].as_array().unwrap();
    assert_eq!(labels.len(), 55, "the 55 pôles of phase V");
    let derbi = labels
        .iter()
        .find(|l| l["cluster_slug"] == "derbi")
        .unwrap();
    assert_eq!(derbi["status"], "probation");
    let (_, v) = req(
        &app,
        None,
        Method::GET,
        "/api/v1/label-campaigns/label-2005",
        None,
    )
    .await;
    assert!(v["labels"].as_array().unwrap().len() >= 60, "the 2005 list");
    // Candidacies are refused in a past campaign.
    make_user(
        &app,
        "mgr@test.invalid",
        "cluster_manager",
        Some("minalogic"),
    )
    .await;
    let mgr = sign_in(&app, "mgr@test.invalid").await;
    let (s, v) = req(
        &app,
        Some(&mgr),
        Method::PUT,
        "/api/v1/label-campaigns/phase-5/candidacies/minalogic",
        Some(json!({"strategy": "x"})),
    )
    .await;
    assert_eq!((s, field(&v)), (StatusCode::BAD_REQUEST, "campaign"));
    // The probations of phase V wait for their review; it is decided in the campaign that
    // decided them, under four eyes, and only that.
    make_user(&app, "o1@test.invalid", "programme_officer", None).await;
    make_user(&app, "o2@test.invalid", "programme_officer", None).await;
    let o1 = sign_in(&app, "o1@test.invalid").await;
    let o2 = sign_in(&app, "o2@test.invalid").await;
    let html = client()
        .get(format!("{}/labels?lang=en", app.base))
        .header("cookie", &o1.cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Probations to review") && html.contains("Derbi"),
        "the officers' list"
    );
    let decisions = "/api/v1/label-campaigns/phase-5/decisions";
    let (s, v) = req(&app, Some(&o1), Method::POST, decisions, Some(json!({"cluster": "derbi", "outcome": "labelled", "legal_act": "x", "act_date": "2024-01-15"}))).await;
    assert_eq!((s, field(&v)), (StatusCode::BAD_REQUEST, "campaign"));
    let (s, v) = req(&app, Some(&o1), Method::POST, decisions, Some(json!({"cluster": "derbi", "outcome": "confirmed", "legal_act": "Décision de confirmation (essai)", "act_date": "2024-01-15"}))).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_i64().unwrap();
    let (s, _) = req(
        &app,
        Some(&o2),
        Method::POST,
        &format!("/api/v1/label-decisions/{id}/approval"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (_, v) = req(&app, None, Method::GET, "/api/v1/clusters/derbi", None).await;
    let last = v["label_history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["status"], "labelled", "{last}");
    let html = client()
        .get(format!("{}/labels/phase-5?lang=en", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("History") && html.contains("47 labelled for four years"));
}

#[tokio::test]
async fn the_european_profile_is_waived_for_labelled_poles_and_esca_labels_expire() {
    let app = spawn(true);
    make_user(
        &app,
        "mgr@test.invalid",
        "cluster_manager",
        Some("minalogic"),
    )
    .await;
    make_user(
        &app,
        "vit@test.invalid",
        "cluster_manager",
        Some("vitagora"),
    )
    .await;
    let mgr = sign_in(&app, "mgr@test.invalid").await;
    let vit = sign_in(&app, "vit@test.invalid").await;
    let path = "/api/v1/clusters/minalogic/european-profile";
    let (s, v) = req(&app, None, Method::GET, path, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["check"]["waived"], true, "labelled in phase V: {v}");
    assert_eq!(
        v["check"]["staff"], "unknown",
        "no candidacy gives the staff"
    );
    assert_eq!(v["check"]["english_page"], "met");
    assert!(v["check"]["rules"]["source_title"]
        .as_str()
        .unwrap()
        .contains("Cluster Collaboration Platform"));

    let esca = "/api/v1/clusters/minalogic/esca-labels";
    let body =
        json!({"level": "bronze", "awarded_on": "2025-06-01", "source_title": "ESCA register"});
    let (s, _) = req(&app, Some(&vit), Method::POST, esca, Some(body.clone())).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = req(
        &app,
        Some(&mgr),
        Method::POST,
        esca,
        Some(json!({"level": "silver", "awarded_on": "2025-06-01", "source_title": "ESCA"})),
    )
    .await;
    assert_eq!(
        (s, field(&v)),
        (StatusCode::BAD_REQUEST, "expires_on"),
        "no source gives Silver's validity"
    );
    let (s, v) = req(
        &app,
        Some(&mgr),
        Method::POST,
        esca,
        Some(json!({"level": "platinum", "awarded_on": "2025-06-01", "source_title": "ESCA"})),
    )
    .await;
    assert_eq!((s, field(&v)), (StatusCode::BAD_REQUEST, "level"));
    let (s, v) = req(&app, Some(&mgr), Method::POST, esca, Some(body)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["expires_on"], "2027-05-31", "Bronze: two years");
    let (_, v) = req(&app, None, Method::GET, path, None).await;
    assert_eq!(v["esca"].as_array().unwrap().len(), 1);
    assert_eq!(v["esca_current"], true);

    let html = client()
        .get(format!("{}/clusters/minalogic/europe?lang=fr", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Dispensé") && html.contains("Bronze"),
        "{html}"
    );
}

#[tokio::test]
async fn performance_contracts_compute_what_poles_knows_and_keep_what_is_entered_with_its_source() {
    let app = spawn(true);
    make_user(&app, "officer@test.invalid", "programme_officer", None).await;
    make_user(
        &app,
        "mgr@test.invalid",
        "cluster_manager",
        Some("minalogic"),
    )
    .await;
    make_user(
        &app,
        "vit@test.invalid",
        "cluster_manager",
        Some("vitagora"),
    )
    .await;
    let officer = sign_in(&app, "officer@test.invalid").await;
    let mgr = sign_in(&app, "mgr@test.invalid").await;
    let vit = sign_in(&app, "vit@test.invalid").await;
    let path = "/api/v1/clusters/minalogic/performance";

    let (s, v) = req(&app, None, Method::GET, path, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["phase"], "V", "today's phase");
    assert_eq!(v["years"], json!([2023, 2024, 2025, 2026]));
    let members = v["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["indicator"] == "members")
        .unwrap()
        .clone();
    assert_eq!(members["computed_by_poles"], true);
    let computed = members["years"][3]["computed"].as_i64().unwrap();
    assert!(computed >= 1, "Minalogic's recorded members: {members}");

    // Targets: the officers'; a manager may not set them.
    let targets = json!({"phase": "V", "targets": [{"indicator": "members", "target": computed * 2}, {"indicator": "money_raised_cents", "target": 500_000_000}]});
    let (s, _) = req(
        &app,
        Some(&mgr),
        Method::PUT,
        &format!("{path}/targets"),
        Some(targets.clone()),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = req(
        &app,
        Some(&officer),
        Method::PUT,
        &format!("{path}/targets"),
        Some(json!({"targets": [{"indicator": "happiness", "target": 1}]})),
    )
    .await;
    assert_eq!(
        (s, field(&v)),
        (StatusCode::BAD_REQUEST, "targets[0].indicator")
    );
    let (s, v) = req(
        &app,
        Some(&officer),
        Method::PUT,
        &format!("{path}/targets"),
        Some(targets),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let members = v["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["indicator"] == "members")
        .unwrap()
        .clone();
    assert_eq!(members["progress_percent"], 50);

    // Values: the pôle's managers enter what Pôles cannot compute, with a source.
    let value = json!({"year": 2025, "indicator": "money_raised_cents", "value": 120_000_000, "source_title": "Rapport d'activité 2025"});
    let (s, _) = req(
        &app,
        Some(&vit),
        Method::PUT,
        &format!("{path}/values"),
        Some(value.clone()),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = req(&app, Some(&mgr), Method::PUT, &format!("{path}/values"), Some(json!({"year": 2025, "indicator": "money_raised_cents", "value": 1, "source_title": ""}))).await;
    assert_eq!((s, field(&v)), (StatusCode::BAD_REQUEST, "source_title"));
    let (s, v) = req(
        &app,
        Some(&mgr),
        Method::PUT,
        &format!("{path}/values"),
        Some(json!({"year": 1990, "indicator": "members", "value": 1, "source_title": "x"})),
    )
    .await;
    assert_eq!((s, field(&v)), (StatusCode::BAD_REQUEST, "year"));
    let (s, v) = req(
        &app,
        Some(&mgr),
        Method::PUT,
        &format!("{path}/values"),
        Some(value),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let money = v["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["indicator"] == "money_raised_cents")
        .unwrap()
        .clone();
    assert_eq!(money["years"][2]["value"], 120_000_000);
    assert_eq!(money["years"][2]["source_title"], "Rapport d'activité 2025");
    assert_eq!(money["computed_by_poles"], false);

    // The programme's dashboard: the pôles labelled in the phase, totals, reaching targets.
    let (s, v) = req(
        &app,
        None,
        Method::GET,
        "/api/v1/performance?phase=V&year=2025",
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["year"], 2025);
    assert_eq!(v["poles"].as_array().unwrap().len(), 55);
    let k = v["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .position(|i| i == "money_raised_cents")
        .unwrap();
    assert_eq!(v["totals"][k]["total"], 120_000_000);
    assert_eq!(v["totals"][k]["with_target"], 1);
    let (s, v) = req(
        &app,
        None,
        Method::GET,
        "/api/v1/performance?year=1990",
        None,
    )
    .await;
    assert_eq!((s, field(&v)), (StatusCode::BAD_REQUEST, "year"));

    // The pages, and the CSV export with its formula guard.
    for (path, text) in [
        ("/clusters/minalogic/performance?lang=fr", "activité 2025"),
        (
            "/performance?lang=en&year=2025",
            "Pôles reaching their target",
        ),
    ] {
        let html = client()
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(html.contains(text), "{path}: {text}");
    }
    let csv = client()
        .get(format!("{}/performance?year=2025&format=csv", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.starts_with("pole,members,members_target"), "{csv}");
    assert_eq!(csv.lines().count(), 56);
}

#[tokio::test]
async fn a_candidacy_takes_pdfs_only_within_its_limits_and_its_readers_download_them() {
    let app = spawn(true);
    make_user(&app, "officer@test.invalid", "programme_officer", None).await;
    make_user(
        &app,
        "mgr@test.invalid",
        "cluster_manager",
        Some("minalogic"),
    )
    .await;
    make_user(
        &app,
        "vit@test.invalid",
        "cluster_manager",
        Some("vitagora"),
    )
    .await;
    let officer = sign_in(&app, "officer@test.invalid").await;
    let mgr = sign_in(&app, "mgr@test.invalid").await;
    let vit = sign_in(&app, "vit@test.invalid").await;
    let (s, _) = req(
        &app,
        Some(&officer),
        Method::POST,
        "/api/v1/label-campaigns",
        Some(campaign_body("phase-6")),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let base = "/api/v1/label-campaigns/phase-6/candidacies/minalogic";
    let (s, _) = req(
        &app,
        Some(&mgr),
        Method::PUT,
        base,
        Some(json!({"strategy": "S", "governance": "G", "targets": "T"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let upload = |who: &Browser, name: &str, bytes: Vec<u8>| {
        client()
            .post(format!("{}{base}/documents?name={name}", app.base))
            .header("cookie", &who.cookie)
            .header("x-csrf-token", &who.csrf)
            .header("content-type", "application/pdf")
            .body(bytes)
            .send()
    };
    let pdf = |size: usize| {
        let mut b = b"%PDF-1.7\n".to_vec();
        b.resize(size, b'x');
        b
    };
    let r = upload(&mgr, "notes.txt", b"plain text".to_vec())
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let v: Value = r.json().await.unwrap();
    assert_eq!(field(&v), "document");
    let r = upload(&vit, "x.pdf", pdf(100)).await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Above 10 MB: refused by the use case just above, at the door well above.
    let r = upload(&mgr, "big.pdf", pdf(10_200_000)).await.unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    // A declared length above the door's limit is answered at once, before any byte of it.
    {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let addr = app.base.trim_start_matches("http://").to_string();
        let mut sock = tokio::net::TcpStream::connect(&addr).await.unwrap();
        let head = format!(
            "POST {base}/documents?name=huge.pdf HTTP/1.1\r\nHost: {addr}\r\nCookie: {}\r\nX-Csrf-Token: {}\r\n\
             Content-Type: application/pdf\r\nContent-Length: 12000000\r\nConnection: close\r\n\r\n",
            mgr.cookie, mgr.csrf
        );
        sock.write_all(head.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        let _ = sock.read_to_end(&mut answer).await;
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    }
    // 50 MB together at most.
    for k in 0..5 {
        let r = upload(&mgr, &format!("annexe-{k}"), pdf(9_900_000))
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED, "{k}");
    }
    let r = upload(&mgr, "one-more.pdf", pdf(1_000_000)).await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let small = pdf(2_000);
    let r = upload(&mgr, "strategie", small.clone()).await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED, "49.5 MB and 2 kB fit");

    let (_, v) = req(&app, Some(&mgr), Method::GET, base, None).await;
    let docs = v["documents"].as_array().unwrap().clone();
    assert_eq!(docs.len(), 6);
    assert_eq!(docs[0]["name"], "annexe-0.pdf", "the extension added");
    let id = docs[0]["id"].as_i64().unwrap();
    // Its managers and the officers download it; a visitor does not.
    let bytes = client()
        .get(format!("{}{base}/documents/{id}", app.base))
        .header("cookie", &officer.cookie)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(bytes.len(), 9_900_000);
    assert!(bytes.starts_with(b"%PDF-"));
    let r = client()
        .get(format!("{}{base}/documents/{id}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = client()
        .get(format!("{}{base}/documents/{id}", app.base))
        .header("cookie", &vit.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // Removed, then submitted: no more changes.
    let (s, _) = req(
        &app,
        Some(&mgr),
        Method::DELETE,
        &format!("{base}/documents/{id}"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = req(
        &app,
        Some(&mgr),
        Method::POST,
        &format!("{base}/submit"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let r = upload(&mgr, "late.pdf", small).await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // The page lists them, with the download link.
    let html = client()
        .get(format!("{}/labels/phase-6/minalogic?lang=en", app.base))
        .header("cookie", &mgr.cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("annexe-1.pdf") && html.contains("/labels/phase-6/minalogic/documents/"));
}
