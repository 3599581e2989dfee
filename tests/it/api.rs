use crate::support::{client, get_json, shared};
use serde_json::Value;

fn items(v: &Value) -> &Vec<Value> {
    v["items"].as_array().expect("items array")
}

#[tokio::test]
async fn clusters_list_has_the_documented_shape_and_filters() {
    let app = shared();
    let (status, all) = get_json(&format!(
        "{}/api/v1/clusters?programme=history&limit=500",
        app.base
    ))
    .await;
    assert_eq!(status, 200);
    assert_eq!(all["total"], 64, "63 pôles of 2005-2007 + Photonique");
    let first = &items(&all)[0];
    for key in [
        "slug",
        "name",
        "official_name",
        "label",
        "regions",
        "sectors",
        "members",
        "phase",
        "city",
        "published_members",
    ] {
        assert!(first.get(key).is_some(), "missing {key} in {first}");
    }
    let leading = items(&all).iter().filter(|c| c["leading"] == true).count();
    assert_eq!(leading, 16, "the press kit's 16 leading clusters");

    let (_, ict) = get_json(&format!(
        "{}/api/v1/clusters?sector=ict&limit=500",
        app.base
    ))
    .await;
    assert!(ict["total"].as_i64().unwrap() >= 5);
    for c in items(&ict) {
        assert!(c["sectors"].as_array().unwrap().iter().any(|s| s == "ict"));
    }
    let slugs: Vec<&str> = items(&ict)
        .iter()
        .map(|c| c["slug"].as_str().unwrap())
        .collect();
    for s in [
        "minalogic",
        "solutions-communicantes-securisees",
        "systematic-paris-region",
        "cap-digital",
        "images-et-reseaux",
    ] {
        assert!(
            slugs.contains(&s),
            "{s} is one of the five ICT leading clusters; got {slugs:?}"
        );
    }

    let (_, mondial) = get_json(&format!(
        "{}/api/v1/clusters?programme=history&label=mondial&limit=500",
        app.base
    ))
    .await;
    // The tier is the first phase's (2005): later phases have none.
    assert!(items(&mondial).iter().all(|c| c["tier_2005"] == "mondial"));
    assert!(mondial["total"].as_i64().unwrap() >= 6);

    let (_, ara) = get_json(&format!("{}/api/v1/clusters?region=84&limit=500", app.base)).await;
    assert!(items(&ara)
        .iter()
        .all(|c| c["regions"].as_array().unwrap().iter().any(|r| r == "84")));
    assert!(items(&ara).iter().any(|c| c["slug"] == "lyonbiopole"));

    let (_, q) = get_json(&format!("{}/api/v1/clusters?q=nanotech", app.base)).await;
    assert_eq!(items(&q)[0]["slug"], "minalogic");

    let (_, delabelled) = get_json(&format!(
        "{}/api/v1/clusters?programme=history&status=delabelled&limit=500",
        app.base
    ))
    .await;
    assert_eq!(
        delabelled["total"], 6,
        "6 pôles lost their label on 11 May 2010"
    );

    let (_, page) = get_json(&format!(
        "{}/api/v1/clusters?programme=history&limit=10&offset=60",
        app.base
    ))
    .await;
    assert_eq!(items(&page).len(), 4);
    assert_eq!(page["total"], 64);
}

#[tokio::test]
async fn bad_parameters_are_400_naming_the_parameter() {
    let app = shared();
    for (query, field) in [
        ("/api/v1/clusters?limit=0", "limit"),
        ("/api/v1/clusters?limit=abc", "limit"),
        ("/api/v1/clusters?offset=-3", "offset"),
        ("/api/v1/clusters?sector=space", "sector"),
        ("/api/v1/clusters?region=999", "region"),
        ("/api/v1/clusters?region=99", "region"),
        ("/api/v1/clusters?label=gold", "label"),
        ("/api/v1/clusters?status=maybe", "status"),
        ("/api/v1/organisations?country=FRA", "country"),
        ("/api/v1/organisations?kind=bank", "kind"),
        ("/api/v1/projects?cluster=Not+A+Slug", "cluster"),
        ("/api/v1/projects?cluster=no-such-cluster", "cluster"),
        ("/api/v1/projects?organisation=x", "organisation"),
        ("/api/v1/search", "q"),
        ("/api/v1/search?q=a&kind=city", "kind"),
        ("/api/v1/communes?postcode=380", "postcode"),
        ("/api/v1/communes", "postcode"),
    ] {
        let (status, body) = get_json(&format!("{}{query}", app.base)).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(body["error"]["code"], "bad_request", "{query}");
        assert_eq!(body["error"]["field"], field, "{query}: {body}");
        assert!(!body["error"]["message"].as_str().unwrap().is_empty());
    }
}

#[tokio::test]
async fn unknown_things_are_404() {
    let app = shared();
    for path in [
        "/api/v1/clusters/no-such-cluster",
        "/api/v1/organisations/999999999",
        "/api/v1/organisations/abc",
        "/api/v1/projects/0",
        "/api/v1/projects/999999999",
        "/api/v1/nothing-here",
    ] {
        let (status, body) = get_json(&format!("{}{path}", app.base)).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(body["error"]["code"], "not_found", "{path}");
    }
}

#[tokio::test]
async fn a_cluster_has_members_labels_partnerships_and_projects() {
    let app = shared();
    let (status, c) = get_json(&format!("{}/api/v1/clusters/minalogic", app.base)).await;
    assert_eq!(status, 200);
    insta::assert_json_snapshot!("cluster_minalogic", c);

    let (_, scs) = get_json(&format!(
        "{}/api/v1/clusters/solutions-communicantes-securisees",
        app.base
    ))
    .await;
    let partners: Vec<&str> = scs["partnerships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["b"]["name"].as_str().unwrap())
        .collect();
    assert!(
        partners.iter().any(|p| p.contains("Torino Wireless")),
        "{partners:?}"
    );
    assert!(scs["partnerships"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["start_date"] == "2007-01-12"));

    // A project counts for a pôle through a member taking part itself, never through the
    // member's wider group: CEA-Leti is a member of Minalogic, the CEA as a whole (156 H2020
    // projects in the extract) is not; Thales is in Cap Digital, its 12 CORDIS entities are
    // other companies of the group.
    assert_eq!(c["projects"], 0, "no project through the CEA as a whole");
    let (_, cap) = get_json(&format!("{}/api/v1/clusters/cap-digital", app.base)).await;
    assert_eq!(cap["projects"], 0, "{}", cap["projects"]);
    let (_, list) = get_json(&format!(
        "{}/api/v1/projects?cluster=cap-digital&limit=500",
        app.base
    ))
    .await;
    assert_eq!(list["total"], cap["projects"]);
}

#[tokio::test]
async fn organisations_and_projects_come_from_cordis() {
    let app = shared();
    let (_, orgs) = get_json(&format!(
        "{}/api/v1/organisations?country=FR&kind=university&limit=5",
        app.base
    ))
    .await;
    assert!(orgs["total"].as_i64().unwrap() > 20);
    for o in items(&orgs) {
        assert_eq!(o["country"], "FR");
        assert_eq!(o["kind"], "university");
    }
    let (_, q) = get_json(&format!(
        "{}/api/v1/organisations?q=universitat+barcelona",
        app.base
    ))
    .await;
    assert!(items(&q)
        .iter()
        .any(|o| o["name"].as_str().unwrap().contains("BARCELONA")));

    let (_, projects) =
        get_json(&format!("{}/api/v1/projects?q=graphene&limit=50", app.base)).await;
    assert!(projects["total"].as_i64().unwrap() > 0);
    let id = items(&projects)[0]["id"].as_i64().unwrap();
    let (status, p) = get_json(&format!("{}/api/v1/projects/{id}", app.base)).await;
    assert_eq!(status, 200);
    let partners = p["partners"].as_array().unwrap();
    assert!(!partners.is_empty());
    assert_eq!(p["total_cost"]["currency"], "EUR");

    // The coordinator is identified by name and country among the partners.
    let (_, all) = get_json(&format!("{}/api/v1/projects?limit=100", app.base)).await;
    let mut coordinators = 0;
    for pr in items(&all).iter().take(30) {
        let (_, d) = get_json(&format!("{}/api/v1/projects/{}", app.base, pr["id"])).await;
        coordinators += d["partners"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| x["role"] == "coordinator")
            .count();
    }
    assert!(
        coordinators >= 25,
        "most projects have their coordinator found: {coordinators}/30"
    );

    let org = items(&orgs)[0]["id"].as_i64().unwrap();
    let (status, detail) = get_json(&format!("{}/api/v1/organisations/{org}", app.base)).await;
    assert_eq!(status, 200);
    assert_eq!(
        detail["project_count"].as_i64().unwrap(),
        detail["projects"].as_array().unwrap().len().min(100) as i64
    );
}

#[tokio::test]
async fn search_ranks_clusters_organisations_and_projects() {
    let app = shared();
    let (status, r) = get_json(&format!("{}/api/v1/search?q=Minalogic", app.base)).await;
    assert_eq!(status, 200);
    assert_eq!(r["items"][0]["kind"], "cluster");
    assert_eq!(r["items"][0]["ref"], "minalogic");

    let (_, r) = get_json(&format!("{}/api/v1/search?q=thales", app.base)).await;
    assert!(r["total"].as_i64().unwrap() >= 5);
    assert!(items(&r).iter().any(|h| h["kind"] == "organisation"));

    // Accents and case do not matter.
    let (_, a) = get_json(&format!("{}/api/v1/search?q=P%C3%B4le+MER", app.base)).await;
    let (_, b) = get_json(&format!("{}/api/v1/search?q=pole+mer", app.base)).await;
    assert_eq!(a["items"], b["items"]);
    assert!(items(&a).iter().any(|h| h["ref"] == "pole-mer-bretagne"));

    let (_, k) = get_json(&format!(
        "{}/api/v1/search?q=energy&kind=project&limit=5",
        app.base
    ))
    .await;
    assert!(items(&k).iter().all(|h| h["kind"] == "project"));
}

#[tokio::test]
async fn programme_figures_keep_their_currency_and_source() {
    let app = shared();
    let (_, f) = get_json(&format!("{}/api/v1/programme/figures", app.base)).await;
    let figures = f["figures"].as_array().unwrap();
    let usd645 = figures
        .iter()
        .find(|x| x["amount"]["cents"] == 64_500_000_000i64)
        .expect("the press kit's $645M a year");
    assert_eq!(usd645["amount"]["currency"], "USD");
    assert_eq!(usd645["certainty"], "K");
    assert!(figures
        .iter()
        .any(|x| x["amount"]["currency"] == "EUR" && x["certainty"] == "C"));
    assert!(figures
        .iter()
        .all(|x| !x["source"].as_str().unwrap().is_empty()));
    assert_eq!(f["label_criteria"].as_array().unwrap().len(), 4);
    assert_eq!(f["benefits"].as_array().unwrap().len(), 5);
    assert!(f["surveys"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["percent"] == 79));

    let (_, c) = get_json(&format!("{}/api/v1/communes?postcode=69001", app.base)).await;
    assert!(
        c.as_array().unwrap().iter().any(|x| x["region"] == "84"),
        "{c}"
    );
    let (_, news) = get_json(&format!("{}/api/v1/news", app.base)).await;
    assert!(news
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["cluster"] == "solutions-communicantes-securisees"));
    let (_, events) = get_json(&format!("{}/api/v1/events", app.base)).await;
    assert!(events
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["place"] == "Sophia Antipolis"));
    let (_, p) = get_json(&format!("{}/api/v1/partnerships", app.base)).await;
    assert!(p.as_array().unwrap().len() >= 8);
    let (_, r) = get_json(&format!("{}/api/v1/regions", app.base)).await;
    let ara = r
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["code"] == "84")
        .unwrap();
    let former: Vec<&str> = ara["former_regions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap())
        .collect();
    assert_eq!(former, vec!["Auvergne", "Rhône-Alpes"]);
}

#[tokio::test]
async fn openapi_document_is_stable() {
    let app = shared();
    let (status, doc) = get_json(&format!("{}/api/openapi.json", app.base)).await;
    assert_eq!(status, 200);
    assert_eq!(
        doc["openapi"].as_str().map(|v| v.starts_with("3.")),
        Some(true)
    );
    insta::assert_json_snapshot!("openapi", doc);
}

#[tokio::test]
async fn health_answers_when_the_database_does() {
    let app = shared();
    let r = crate::support::client()
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
}

/// When the database cannot be reached, requests are refused at once as unavailable (503 with
/// `Retry-After`): in the JSON error shape on the API, as a page of the site on pages, and by
/// the health check — never as a 500 or a hang.
#[tokio::test]
async fn an_unreachable_database_answers_503_with_retry_after() {
    let app = crate::support::spawn_outage();
    let r = client()
        .get(format!("{}/api/v1/clusters", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["retry-after"], "5");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unavailable");
    let r = client()
        .get(format!("{}/clusters?lang=en", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    assert!(r.headers().contains_key("retry-after"));
    let html = r.text().await.unwrap();
    assert!(
        html.contains("<header") && html.contains("try again in a few seconds"),
        "{html}"
    );
    // With a session cookie, the caller cannot even be resolved: still a page.
    let r = client()
        .get(format!("{}/clusters?lang=en", app.base))
        .header("cookie", format!("poles_session={}", "ab".repeat(16)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    assert!(r.text().await.unwrap().contains("<header"));
    let r = client()
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    assert!(r.headers().contains_key("retry-after"));
}
