//! Open data: the catalogue lists every public dataset with its licence, source and columns;
//! its files leave only public rows and columns, neutralise formulas, and are the same bytes
//! (the same ETag) on every app server, with 304 and byte ranges.

use crate::support::{client, connect, get_json, get_text, spawn, spawn_on};
use poles_store::import::Quiet;

#[tokio::test]
async fn every_public_dataset_downloads_the_same_from_every_server() {
    poles_app::opendata::check_descriptions().expect("every exported table described");
    let app = spawn(true);
    let db = connect(&app.db_url).await;
    poles_store::demo::load_establishments_if_empty(&db, &Quiet)
        .await
        .unwrap();
    // A call of the demo's own invention stays out; a formula in a text is neutralised.
    let (fictional, real): (String, String) = sqlx::query_as(
        "SELECT (SELECT slug FROM calls ORDER BY id LIMIT 1), (SELECT slug FROM calls ORDER BY id DESC LIMIT 1)",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_ne!(fictional, real, "the demo has two calls at least");
    sqlx::query("UPDATE calls SET fictional = 1 WHERE slug = $1")
        .bind(&fictional)
        .execute(&db.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE clusters SET note = '=HYPERLINK(\"http://evil.example\")' WHERE slug = 'aerospace-valley'")
        .execute(&db.pool)
        .await
        .unwrap();
    let base = &app.base;

    let (s, k) = get_json(&format!("{base}/api/v1/open-data")).await;
    assert_eq!(s, 200);
    let names: Vec<&str> = k["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    for t in [
        "clusters",
        "labels",
        "memberships",
        "partnerships",
        "projects",
        "calls",
        "funding_proposals",
        "funding_lines",
        "payment_claims",
        "budget_lines",
        "specialisation_cells",
    ] {
        assert!(names.contains(&t), "{t} in the catalogue");
    }
    for d in k["datasets"].as_array().unwrap() {
        assert!(!d["licence"].as_str().unwrap().is_empty());
        assert!(!d["source_fr"].as_str().unwrap().is_empty());
        assert!(!d["columns"].as_array().unwrap().is_empty());
    }
    // Each dataset's source, in the page's language.
    for (lang, words, source) in [
        ("en", "Open data", "CORDIS open data"),
        ("fr", "Données ouvertes", "Données ouvertes CORDIS"),
    ] {
        let (s, _, html) = get_text(&format!("{base}/open-data?lang={lang}"), None).await;
        assert_eq!(s, 200);
        assert!(html.contains(words));
        assert!(html.contains(source), "{lang}: {source}");
        assert!(html.contains("href=\"/open-data/specialisation_cells.csv\""));
    }

    let get = |url: String, headers: Vec<(&'static str, String)>| async move {
        let mut r = client().get(url);
        for (k, v) in headers {
            r = r.header(k, v);
        }
        let r = r.send().await.unwrap();
        let status = r.status().as_u16();
        let h = r.headers().clone();
        (status, h, r.bytes().await.unwrap().to_vec())
    };
    let (s, h, calls) = get(format!("{base}/open-data/calls.csv"), vec![]).await;
    assert_eq!(s, 200);
    assert_eq!(h["content-type"], "text/csv; charset=utf-8");
    let calls = String::from_utf8(calls).unwrap();
    assert!(
        calls.contains(&real) && !calls.contains(&fictional),
        "{calls}"
    );
    assert!(!calls.lines().next().unwrap().contains("fictional"));

    let (s, h, clusters) = get(format!("{base}/open-data/clusters.csv"), vec![]).await;
    assert_eq!(s, 200);
    let etag = h["etag"].to_str().unwrap().to_string();
    assert_eq!(h["accept-ranges"], "bytes");
    assert!(
        String::from_utf8_lossy(&clusters).contains("'=HYPERLINK"),
        "neutralised"
    );
    // Not changed: 304. A part: 206 with its range. Past the end: 416.
    let (s, _, body) = get(
        format!("{base}/open-data/clusters.csv"),
        vec![("if-none-match", etag.clone())],
    )
    .await;
    assert_eq!((s, body.len()), (304, 0));
    let (s, h, part) = get(
        format!("{base}/open-data/clusters.csv"),
        vec![("range", "bytes=10-109".into())],
    )
    .await;
    assert_eq!(s, 206);
    assert_eq!(part, clusters[10..110]);
    assert_eq!(
        h["content-range"].to_str().unwrap(),
        format!("bytes 10-109/{}", clusters.len())
    );
    let (s, _, _) = get(
        format!("{base}/open-data/clusters.csv"),
        vec![("range", format!("bytes={}-", clusters.len() + 5))],
    )
    .await;
    assert_eq!(s, 416);

    // Another app server over the same database: the same bytes, the same ETag.
    let other = spawn_on(&app.db_url, 600);
    let (s, h, again) = get(format!("{}/open-data/clusters.csv", other.base), vec![]).await;
    assert_eq!(s, 200);
    assert_eq!(h["etag"].to_str().unwrap(), etag);
    assert_eq!(again, clusters);

    // The specialisation tables say which rows are generated.
    let (s, _, cells) = get(
        format!("{base}/open-data/specialisation_cells.json"),
        vec![],
    )
    .await;
    assert_eq!(s, 200);
    let cells: serde_json::Value = serde_json::from_slice(&cells).unwrap();
    let cells = cells.as_array().unwrap();
    assert!(cells.iter().any(|c| c["fictional"] == "1"));
    assert!(cells.iter().any(|c| c["fictional"] == "0"));

    // Unknown files and tables that are not open: 404.
    for f in ["users.csv", "clusters.xml", "nothing"] {
        let (s, _, _) = get(format!("{base}/open-data/{f}"), vec![]).await;
        assert_eq!(s, 404, "{f}");
    }
}

/// The funding dashboards: the regional EU-fund operations by region and year, each chart
/// with its table and export, each period with its source.
#[tokio::test]
async fn eu_funds_by_region_and_year_with_their_source() {
    let app = crate::support::shared();
    let base = &app.base;
    let (s, d) = get_json(&format!("{base}/api/v1/eu-funds")).await;
    assert_eq!(s, 200);
    let periods = d["periods"].as_array().unwrap();
    let p = &periods[0];
    assert_eq!(p["period"], "2014-2020", "the latest first");
    assert_eq!(p["operations"], 1834, "every operation of the file");
    assert!(p["source"].as_str().unwrap().contains("fonds européens"));
    let by_region = p["by_region"].as_array().unwrap();
    let sum: i64 = by_region
        .iter()
        .map(|l| l["operations"].as_i64().unwrap())
        .sum();
    assert_eq!(sum, 1834, "every operation in one line, the unlocated last");
    let occitanie = by_region.iter().find(|l| l["key"] == "76").unwrap();
    let funds: i64 = occitanie["eu_cents_by_fund"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .sum();
    assert_eq!(funds, occitanie["eu_cents"].as_i64().unwrap());
    assert_eq!(periods[1]["period"], "2007-2013");
    for (lang, words) in [
        ("en", "Funding dashboards"),
        ("fr", "Tableaux de bord des financements"),
    ] {
        let (s, _, html) = get_text(&format!("{base}/dashboards?lang={lang}"), None).await;
        assert_eq!(s, 200);
        assert!(html.contains(words));
        assert!(html.contains("<svg class=\"chart\""));
        assert!(html.contains("class=\"eu-by-region\""));
    }
    let csv = client()
        .get(format!(
            "{base}/dashboards?period=2014-2020&by=year&format=csv"
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.starts_with("year,name,operations,eu_amount_eur"));
    assert!(csv.contains("\n2015,2015,1281,"));
}
