//! Partner suggestions: `poles recommend partners --batch` on the shipped CORDIS extract.

use crate::support::{fresh_db, poles};
use poles_store::import::{self, CordisData, Quiet};

/// A consortium of the extract with at least four partners: its CORDIS ids, in order.
async fn a_consortium(db: &poles_store::Db) -> Vec<String> {
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT pp.project_id, o.cordis_id FROM project_partners pp \
         JOIN organisations o ON o.id = pp.organisation_id \
         WHERE pp.project_id = (SELECT project_id FROM project_partners GROUP BY project_id \
         HAVING COUNT(*) >= 4 ORDER BY project_id LIMIT 1) ORDER BY o.cordis_id",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    rows.into_iter().map(|(_, id)| id).collect()
}

#[tokio::test]
async fn the_batch_command_answers_each_case_in_order_and_reports_bad_lines() {
    let (db, url) = fresh_db().await;
    let data = CordisData::read_dir(std::path::Path::new("data/cordis-h2020")).unwrap();
    import::import_cordis(&db, &data, &Quiet).await.unwrap();
    let members = a_consortium(&db).await;
    let given: Vec<&str> = members[..3].iter().map(String::as_str).collect();
    let dir = tempfile::tempdir().unwrap();
    let case = |id: &str, given: &[&str]| {
        serde_json::json!({"id": id, "given": given, "topics": "LCE-10-2016", "call": "H2020-LCE-2016-RES-CCS-RIA",
            "programme": "H2020-EU.3.3.2.", "fundingScheme": "RIA"})
        .to_string()
    };
    let mut with_unknown = given.clone();
    with_unknown.push("not-an-organisation");
    let lines = [
        case("a", &with_unknown),
        "{not json".to_string(),
        case("b", &given[..2]),
    ];
    let file = dir.path().join("cases.jsonl");
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();

    for method in ["model", "walk", "copartners", "popularity"] {
        let out = poles(&url)
            .args(["recommend", "partners", "--batch"])
            .arg(&file)
            .args(["--k", "7", "--method", method])
            .env("RUST_LOG", "warn")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{method}: {stderr}");
        assert!(stderr.contains("line 2: malformed"), "{stderr}");
        assert!(
            stderr.contains("line 1: unknown organisation not-an-organisation"),
            "{stderr}"
        );
        let answers: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(answers.len(), 2, "{method}: one answer per good line");
        for (answer, (id, given)) in answers.iter().zip([("a", &given[..]), ("b", &given[..2])]) {
            assert_eq!(answer["id"], id);
            let ranked: Vec<&str> = answer["ranked"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            assert_eq!(ranked.len(), 7, "{method}: k organisations");
            assert!(
                ranked.iter().all(|r| !given.contains(r)),
                "{method}: {ranked:?}"
            );
            let mut distinct = ranked.clone();
            distinct.sort_unstable();
            distinct.dedup();
            assert_eq!(distinct.len(), ranked.len());
        }
    }
    // The walk from three members of a consortium reaches its fourth, a past partner of
    // theirs in the very project.
    std::fs::write(&file, case("c", &given) + "\n").unwrap();
    let out = poles(&url)
        .args(["recommend", "partners", "--batch"])
        .arg(&file)
        .args(["--k", "50", "--method", "copartners"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let answer: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).trim()).unwrap();
    assert!(
        answer["ranked"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == members[3].as_str()),
        "{answer}"
    );
}

#[tokio::test]
async fn the_api_suggests_partners_with_reasons_and_refuses_bad_requests() {
    let app = crate::support::shared();
    let db = crate::support::connect(&app.db_url).await;
    let members: Vec<i64> = {
        let keys = a_consortium(&db).await;
        let mut ids = Vec::new();
        for k in &keys {
            let id: i64 = sqlx::query_scalar("SELECT id FROM organisations WHERE cordis_id = $1")
                .bind(k)
                .fetch_one(&db.pool)
                .await
                .unwrap();
            ids.push(id);
        }
        ids
    };
    let url = format!("{}/api/v1/recommendations/partners", app.base);
    let c = crate::support::client();
    let res = c
        .post(&url)
        .json(
            &serde_json::json!({"partners": &members[..3], "topic": "LCE-10-2016",
            "funding_scheme": "RIA", "limit": 5}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 5);
    for item in items {
        let id = item["id"].as_i64().unwrap();
        assert!(
            !members[..3].contains(&id),
            "a given partner suggested: {item}"
        );
        assert!(item["name"].as_str().is_some_and(|n| !n.is_empty()));
    }
    // The best one has a reason a person can read: past partners or projects on the topic.
    let top = &items[0]["reasons"];
    assert!(
        !top["past_partners"].as_array().unwrap().is_empty()
            || top["same_topic_family"].as_u64().unwrap() > 0,
        "{top}"
    );
    assert_eq!(body["model_data_sha256"].as_str().unwrap().len(), 64);

    for (bad, field) in [
        (serde_json::json!({"partners": [-5]}), "partners"),
        (serde_json::json!({"partners": [], "topic": ""}), "partners"),
        (
            serde_json::json!({"partners": &members[..1], "limit": 0}),
            "limit",
        ),
        (
            serde_json::json!({"partners": &members[..1], "topic": "x".repeat(201)}),
            "topic",
        ),
    ] {
        let res = c.post(&url).json(&bad).send().await.unwrap();
        assert_eq!(res.status(), 400, "{bad}");
        let err: serde_json::Value = res.json().await.unwrap();
        assert_eq!(err["error"]["field"], field, "{err}");
    }
}

#[tokio::test]
async fn the_api_reads_the_topic_from_words_when_no_code_is_given() {
    let app = crate::support::shared();
    let res = crate::support::client()
        .post(format!("{}/api/v1/recommendations/partners", app.base))
        .json(&serde_json::json!({"text": "hydrogen fuel cells storage", "limit": 5}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    let topic = body["inferred_topic"]
        .as_str()
        .expect("a topic read from the words");
    assert!(!topic.is_empty());
    let from = body["inferred_from"].as_array().unwrap();
    assert!(!from.is_empty() && from.len() <= 5, "{body}");
    assert_eq!(body["items"].as_array().unwrap().len(), 5);
    let top = &body["items"][0]["reasons"];
    assert!(
        ["same_topic", "same_topic_family", "same_call"]
            .iter()
            .any(|k| top[k].as_u64().unwrap() > 0),
        "the best one worked on the topic or in its call: {top}"
    );
}

#[tokio::test]
async fn a_drafts_lead_gets_the_kinds_its_call_requires_and_partners_to_invite() {
    use crate::applications::{call, who};
    use reqwest::Method;
    let app = crate::accounts::app();
    let base = app.base.as_str();
    let db = crate::support::connect(&app.db_url).await;
    // A French CORDIS company with past projects leads; an outsider reads nothing.
    let lead_org: i64 = sqlx::query_scalar(
        "SELECT o.id FROM organisations o JOIN project_partners pp ON pp.organisation_id = o.id \
         WHERE o.country = 'FR' AND o.cordis_id IS NOT NULL AND o.kind IN ('company', 'sme', 'large_company', 'mid_size') \
         GROUP BY o.id ORDER BY COUNT(*) DESC, o.id LIMIT 1",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    crate::accounts::make_user(
        app,
        "help-lead@test.invalid",
        "organisation_member",
        Some(&lead_org.to_string()),
    )
    .await;
    crate::accounts::make_user(
        app,
        "help-outsider@test.invalid",
        "organisation_member",
        Some("999998"),
    )
    .await;
    let lead = who(base, "help-lead@test.invalid").await;
    let outsider = who(base, "help-outsider@test.invalid").await;
    let (st, created) = call(
        base,
        &lead,
        Method::POST,
        "/api/v1/calls/fui-25/applications",
        Some(serde_json::json!({"lead_organisation_id": lead_org, "acronym": "H2STORE",
            "title": "Hydrogen storage for fuel cell vehicles", "keywords": "hydrogen; fuel cells; tanks"})),
    )
    .await;
    assert_eq!(st, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    let path = format!("/api/v1/applications/{id}/partner-suggestions");
    let (st, _) = call(base, &outsider, Method::GET, &path, None).await;
    assert_eq!(st, 403);

    let (st, help) = call(base, &lead, Method::GET, &path, None).await;
    assert_eq!(st, 200, "{help}");
    let needs: Vec<&str> = help["needs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["rule"].as_str().unwrap())
        .collect();
    // A company alone: the rules still ask for a research organisation and another company,
    // with their source.
    assert!(needs.contains(&"consortium.research"), "{help}");
    assert!(needs.contains(&"consortium.companies"), "{help}");
    assert!(help["needs"][0]["source"]
        .as_str()
        .is_some_and(|s| !s.is_empty()));
    assert!(help["suggestions"]["inferred_topic"].is_string(), "{help}");
    let items = help["suggestions"]["items"].as_array().unwrap();
    assert!(items.len() >= 10, "{help}");
    assert!(items.iter().all(|s| s["id"].as_i64() != Some(lead_org)));
    let fills = help["fills"].as_array().unwrap();
    assert_eq!(fills.len(), items.len());
    let labs: Vec<&serde_json::Value> = items
        .iter()
        .zip(fills)
        .filter(|(_, f)| f.as_str() == Some("consortium.research"))
        .map(|(s, _)| s)
        .collect();
    assert!(
        labs.len() >= 3,
        "three research organisations among the suggestions: {help}"
    );
    for l in &labs {
        assert!(
            ["public_research", "university", "training"].contains(&l["kind"].as_str().unwrap())
        );
    }

    // On the draft's page, with an invitation one click away.
    let html = crate::support::client()
        .get(format!("{base}/applications/{id}?lang=en"))
        .header("cookie", &lead.cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Complete the consortium"), "{html}");
    assert!(html.contains("a research or training organisation"));
    let lab = labs[0]["id"].as_i64().unwrap();
    assert!(html.contains(&format!("name=\"organisation_value\" value=\"{lab}\"")));
    let r = crate::support::client()
        .post(format!("{base}/applications/{id}/invite?lang=en"))
        .header("cookie", &lead.cookie)
        .form(&[
            ("csrf", lead.csrf.as_str()),
            ("organisation", labs[0]["name"].as_str().unwrap()),
            ("organisation_value", &lab.to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, help) = call(base, &lead, Method::GET, &path, None).await;
    let items = help["suggestions"]["items"].as_array().unwrap();
    assert!(
        items.iter().all(|s| s["id"].as_i64() != Some(lab)),
        "an invited partner is not suggested again"
    );
}
