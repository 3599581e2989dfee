//! The search an investor uses: today's pôles found by the words of their field in French or
//! English, ranked by relevance the same way on both databases, in groups with facets and
//! pages; a write seen by every app server at once; a search that writes nothing.

use crate::accounts::{call, make_user, sign_in, version};
use crate::support::{client, connect, get_json, get_text, shared, spawn, spawn_on};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn search(base: &str, query: &str) -> Value {
    let (status, v) = get_json(&format!("{base}/api/v1/search?{query}")).await;
    assert_eq!(status, 200, "{query}: {v}");
    v
}

fn refs(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            format!(
                "{}:{}",
                h["kind"].as_str().unwrap(),
                h["ref"].as_str().unwrap()
            )
        })
        .collect()
}

fn position(v: &Value, slug: &str) -> Option<usize> {
    refs(v).iter().position(|r| *r == format!("cluster:{slug}"))
}

#[tokio::test]
async fn an_investors_words_find_the_right_pôles_in_both_languages() {
    let base = &shared().base;
    for q in ["énergie", "energy", "ENERGIES"] {
        let v = search(base, &format!("q={q}&limit=10")).await;
        let first = refs(&v)[0].clone();
        assert!(
            ["cluster:capenergies", "cluster:tenerrdis", "cluster:derbi"].contains(&first.as_str()),
            "{q}: an energy pôle first, not {first}: {:?}",
            refs(&v)
        );
    }
    for q in ["aerospace", "a%C3%A9ronautique"] {
        let v = search(base, &format!("q={q}&limit=10")).await;
        assert!(
            position(&v, "aerospace-valley").is_some_and(|p| p < 3),
            "{q}: Aerospace Valley in the top 3: {:?}",
            refs(&v)
        );
        assert!(
            position(&v, "astech").is_some_and(|p| p < 5),
            "{q}: ASTech in the top 5: {:?}",
            refs(&v)
        );
    }
    for q in ["vaccins", "vaccines"] {
        let v = search(base, &format!("q={q}&limit=10")).await;
        assert_eq!(refs(&v)[0], "cluster:lyonbiopole", "{q}");
    }
    // A word being typed, and a typo in a name.
    let v = search(base, "q=minalog").await;
    assert_eq!(refs(&v)[0], "cluster:minalogic");
    let v = search(base, "q=minalogik").await;
    assert_eq!(refs(&v)[0], "cluster:minalogic");
    assert_eq!(v["corrections"][0]["read_as"], "minalogic");
}

#[tokio::test]
async fn results_come_in_groups_with_facets_and_pages() {
    let base = &shared().base;
    let v = search(base, "q=energy&limit=10").await;
    let groups = v["groups"].as_array().unwrap();
    let kinds: Vec<&str> = groups.iter().map(|g| g["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["cluster", "organisation", "project"]);
    let sum: i64 = groups.iter().map(|g| g["total"].as_i64().unwrap()).sum();
    assert_eq!(sum, v["total"].as_i64().unwrap());
    assert!(groups.iter().all(|g| g["total"].as_i64().unwrap() > 0));
    // Pôles first on the page of every kind.
    let clusters = groups[0]["total"].as_i64().unwrap() as usize;
    assert!(refs(&v)[..clusters.min(10)]
        .iter()
        .all(|r| r.starts_with("cluster:")));
    // The facets count the matches; choosing a value keeps its count.
    let countries = v["facets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["field"] == "country")
        .unwrap();
    let fr = countries["values"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["value"] == "FR")
        .unwrap()["count"]
        .as_i64()
        .unwrap();
    let only_fr = search(base, "q=energy&country=FR&limit=200").await;
    assert_eq!(only_fr["total"].as_i64().unwrap(), fr);
    let sector = search(base, "q=energy&sector=energy").await;
    assert!(sector["total"].as_i64().unwrap() >= 2);
    assert!(refs(&sector).iter().all(|r| r.starts_with("cluster:")));
    // Pages of one kind, without repeats.
    let p1 = search(base, "q=energy&kind=project&limit=20").await;
    let p2 = search(base, "q=energy&kind=project&limit=20&offset=20").await;
    assert!(refs(&p1).iter().all(|r| r.starts_with("project:")));
    assert_eq!(refs(&p2).len(), 20);
    assert!(refs(&p2).iter().all(|r| !refs(&p1).contains(r)));
    // A facet value that is not a code is refused beside its field.
    let (status, e) = get_json(&format!("{base}/api/v1/search?q=energy&org_kind=giant")).await;
    assert_eq!(status, 400);
    assert_eq!(e["error"]["field"], "org_kind");
    // The page shows the groups and the facets, and keeps the words when a filter is refused.
    let (status, _, html) = get_text(&format!("{base}/search?q=energie&lang=fr"), None).await;
    assert_eq!(status, 200);
    assert!(html.contains("Capénergies"));
    assert!(html.contains("Pays"), "the country facet");
    let (status, _, html) =
        get_text(&format!("{base}/search?q=energie&region=x&lang=en"), None).await;
    assert_eq!(status, 400);
    assert!(
        html.contains("Capénergies"),
        "the results without the refused filter"
    );
}

/// The top ten of a fixed list of queries, as titles: the snapshot is shared by the suite on
/// SQLite and on PostgreSQL, so both databases must rank alike.
#[tokio::test]
async fn the_ranking_is_the_same_on_both_databases() {
    let base = &shared().base;
    let mut tops = serde_json::Map::new();
    for q in [
        "energy",
        "énergie",
        "aerospace",
        "vaccines",
        "santé",
        "thales",
        "hydrogen storage",
        "université",
        "mer",
        "nanotechnologies",
    ] {
        let v = search(base, &format!("q={}&limit=10", q.replace(' ', "+"))).await;
        let top: Vec<String> = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                format!(
                    "{} {}",
                    h["kind"].as_str().unwrap(),
                    h["title"].as_str().unwrap()
                )
            })
            .collect();
        tops.insert(q.to_string(), json!(top));
    }
    insta::assert_json_snapshot!("search_top_ten", tops);
}

#[tokio::test]
async fn a_write_is_found_by_every_app_server_at_once() {
    let a = spawn(true);
    let b = spawn_on(&a.db_url, 600);
    make_user(&a, "search-admin@test.invalid", "admin", None).await;
    let admin = sign_in(&a, "search-admin@test.invalid").await;
    let found = search(&b.base, "q=Energies+2050&kind=organisation").await;
    let id = found["items"][0]["ref"].as_str().unwrap().to_string();
    let path = format!("/api/v1/organisations/{id}");
    // The other server has answered these already (and keeps the answers in memory).
    let page = format!("{}/organisations/{id}?lang=en", b.base);
    let (_, _, before) = get_text(&page, None).await;
    assert!(before.contains("ENERGIES 2050"), "{before}");
    let (_, detail) = get_json(&format!("{}{path}", b.base)).await;
    assert_eq!(detail["name"], "ENERGIES 2050");
    let v = version(&a, &path).await;
    let (status, body) = call(
        &a,
        Some(&admin),
        Method::PATCH,
        &path,
        Some(json!({"version": v, "name": "Zéphyrine Énergies 2050", "competences": "stockage d'hydrogène"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The other server finds the new name and the competences at once, by prefix and typo.
    for q in ["zephyrine", "Z%C3%A9phyr", "zephirine", "hydrogen"] {
        let v = search(&b.base, &format!("q={q}&kind=organisation&limit=200")).await;
        assert!(
            refs(&v).contains(&format!("organisation:{id}")),
            "{q}: {:?}",
            refs(&v)
        );
    }
    // What the other server kept is not served after the write.
    let (_, _, after) = get_text(&page, None).await;
    assert!(after.contains("Zéphyrine Énergies 2050"), "{after}");
    let (_, detail) = get_json(&format!("{}{path}", b.base)).await;
    assert_eq!(detail["name"], "Zéphyrine Énergies 2050");
    // The organisation list's text filter reads the same index.
    let (_, list) = get_json(&format!("{}/api/v1/organisations?q=zephyrine", b.base)).await;
    assert_eq!(list["total"], 1);
}

#[tokio::test]
async fn a_search_takes_no_write_lock() {
    let app = shared();
    let db = connect(&app.db_url).await;
    let mut conn = db.pool.acquire().await.unwrap();
    // Another writer holds the database's write lock (SQLite) or the counters' table
    // (PostgreSQL) while searches run: they must not wait for it.
    match db.backend {
        poles_store::Backend::Sqlite => {
            sqlx::query("BEGIN IMMEDIATE")
                .execute(&mut *conn)
                .await
                .unwrap();
        }
        poles_store::Backend::Postgres => {
            sqlx::query("BEGIN").execute(&mut *conn).await.unwrap();
            sqlx::query("LOCK TABLE rate_counters IN EXCLUSIVE MODE")
                .execute(&mut *conn)
                .await
                .unwrap();
        }
    }
    for q in ["energy", "aero", "vaccines"] {
        let r = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            client()
                .get(format!("{}/api/v1/search?q={q}", app.base))
                .send(),
        )
        .await
        .expect("a search does not wait for the writer")
        .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
    sqlx::query("ROLLBACK").execute(&mut *conn).await.unwrap();
}

/// Every query of the read path is served by an index on both databases: a plan that
/// regresses to a scan of a large table fails here (SQLite's `SCAN`, PostgreSQL's `Seq Scan`
/// with sequential scans priced out).
#[tokio::test]
async fn the_read_path_scans_no_large_table() {
    let db = connect(&shared().db_url).await;
    let plans = poles_store::registry::read_path_plans(&db).await.unwrap();
    assert!(plans.len() >= 14, "{plans:?}");
    let large = [
        "organisations",
        "projects",
        "project_partners",
        "memberships",
        "search_entries",
        "search_terms",
        "search_vocab",
    ];
    for (name, plan) in &plans {
        for line in plan.lines() {
            let step = line.trim_start_matches(['|', '`', '-', ' ']);
            // SQLite names the table by its alias: any scan but of the bound id list.
            let sqlite_scan = step.starts_with("SCAN ") && !step.starts_with("SCAN json_each");
            let postgres_scan = large.iter().any(|t| {
                step.contains(&format!("Seq Scan on {t} "))
                    || step.ends_with(&format!("Seq Scan on {t}"))
            });
            assert!(
                !sqlite_scan && !postgres_scan,
                "{name} scans a table:\n{plan}"
            );
        }
    }
}

/// The facet values of `field` in a search's answer.
fn facet(v: &Value, field: &str) -> Vec<String> {
    v["facets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["field"] == field)
        .flat_map(|f| f["values"].as_array().unwrap().iter())
        .map(|x| x["value"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn partners_are_found_by_what_they_offer_and_their_past_topics_with_facets() {
    let app = spawn(true);
    let base = app.base.as_str();
    let db = connect(&app.db_url).await;
    let org: i64 = sqlx::query_scalar(
        "INSERT INTO organisations (name, kind, country, source, name_key) VALUES ('Gyrotech', 'sme', 'FR', 'test', 'gyrotech') RETURNING id",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    make_user(
        &app,
        "gyro@test.invalid",
        "organisation_member",
        Some(&org.to_string()),
    )
    .await;
    make_user(
        &app,
        "gyro-pole@test.invalid",
        "cluster_manager",
        Some("minalogic"),
    )
    .await;
    let member = sign_in(&app, "gyro@test.invalid").await;
    let manager = sign_in(&app, "gyro-pole@test.invalid").await;

    // The member says what it offers and looks for, its size and activity.
    let v = version(&app, &format!("/api/v1/organisations/{org}")).await;
    let (st, e) = call(
        &app,
        Some(&member),
        Method::PATCH,
        &format!("/api/v1/organisations/{org}"),
        Some(json!({"version": v, "headcount_band": "7"})),
    )
    .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_eq!(e["error"]["field"], "headcount_band");
    let (st, _) = call(&app, Some(&member), Method::PATCH, &format!("/api/v1/organisations/{org}"),
        Some(json!({"version": v, "offer": "MEMS gyroscopes and inertial units for drones",
                    "seek": "A research lab in navigation algorithms", "headcount_band": "12", "naf_code": "26.11Z"}))).await;
    assert_eq!(st, StatusCode::OK);
    let (_, detail) = call(
        &app,
        None,
        Method::GET,
        &format!("/api/v1/organisations/{org}"),
        None,
    )
    .await;
    assert_eq!(
        detail["offer"],
        "MEMS gyroscopes and inertial units for drones"
    );

    // Found by what it offers, with its activity and size as facets.
    let found = search(base, "q=gyroscopes&kind=organisation").await;
    assert!(
        refs(&found).contains(&format!("organisation:{org}")),
        "{found}"
    );
    assert_eq!(facet(&found, "naf"), ["26"]);
    assert_eq!(facet(&found, "size"), ["12"]);
    let found = search(base, "q=gyroscopes&kind=organisation&naf=26&size=12").await;
    assert!(refs(&found).contains(&format!("organisation:{org}")));
    let none = search(base, "q=gyroscopes&kind=organisation&size=11").await;
    assert!(!refs(&none).contains(&format!("organisation:{org}")));
    for (bad, field) in [
        ("naf=2x", "naf"),
        ("size=7", "size"),
        ("pole=Not%20a%20slug", "pole"),
    ] {
        let (st, e) = get_json(&format!("{base}/api/v1/search?q=gyroscopes&{bad}")).await;
        assert_eq!(st, 400, "{bad}");
        assert_eq!(e["error"]["field"], field, "{e}");
    }

    // A member of a pôle is found under it, once the pôle accepts it.
    let (_, req) = call(
        &app,
        Some(&member),
        Method::POST,
        "/api/v1/clusters/minalogic/join-requests",
        Some(json!({"organisation_id": org})),
    )
    .await;
    let (st, _) = call(
        &app,
        Some(&manager),
        Method::POST,
        &format!("/api/v1/join-requests/{}/decision", req["id"]),
        Some(json!({"decision": "accept"})),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    let found = search(base, "q=gyroscopes&kind=organisation&pole=minalogic").await;
    assert!(
        refs(&found).contains(&format!("organisation:{org}")),
        "{found}"
    );
    assert!(facet(&found, "pole").contains(&"minalogic".to_string()));

    // An organisation is found by the topics of its past projects.
    let (word_org, topic): (i64, String) = sqlx::query_as(
        "SELECT pp.organisation_id, p.topic_title FROM project_partners pp JOIN projects p ON p.id = pp.project_id \
         JOIN organisations o ON o.id = pp.organisation_id \
         WHERE p.topic_title LIKE '%hydrogen%' AND o.name NOT LIKE '%ydrogen%' ORDER BY pp.organisation_id LIMIT 1",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    let found = search(base, "q=hydrogen&kind=organisation&limit=500").await;
    assert!(
        refs(&found).contains(&format!("organisation:{word_org}")),
        "{topic}: {found}"
    );

    // The member's page tells it how complete its profile is and what to add.
    let html = client()
        .get(format!("{base}/organisations/{org}?lang=en"))
        .header("cookie", &member.cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Your profile is 57 % complete"),
        "offer, seek, size and NAF: 4 of 7"
    );
    assert!(html.contains("To add: your competences, your website, your SIREN."));
    assert!(html.contains("MEMS gyroscopes and inertial units for drones"));
}
