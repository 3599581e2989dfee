//! `poles specialisation`: the region × NAF-division table and its location quotients from an
//! establishment file of the benchmark's format, through the binary as a user runs it.

#[test]
fn the_command_writes_the_table_with_its_quotients_and_counts_refused_lines() {
    let dir = std::env::temp_dir().join(format!("poles-spec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("est.csv");
    let out = dir.join("table.csv");
    std::fs::write(
        &input,
        "siret,region,department,naf,employees,created\n\
         00000000000001,84,69,62.01Z,10,2001-01-01\n\
         00000000000002,84,38,62.02A,30,2001-01-01\n\
         00000000000003,84,69,10.11Z,60,2001-01-01\n\
         00000000000004,11,75,10.11Z,100,2001-01-01\n\
         not a line\n",
    )
    .unwrap();
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_poles"))
        .args([
            "specialisation",
            input.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--threads",
            "2",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(
        stderr.contains("5 lines read (1 refused), 3 cells"),
        "{stderr}"
    );
    let table = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(
        lines[0],
        "region,division,establishments,employment,location_quotient"
    );
    // Île-de-France, division 10: (100 / 100) / (160 / 200) = 1.25.
    let idf: Vec<&str> = lines[1].split(',').collect();
    assert_eq!(&idf[..4], ["11", "10", "1", "100"]);
    assert!((idf[4].parse::<f64>().unwrap() - 1.25).abs() < 1e-12);
    // Auvergne-Rhône-Alpes, division 62: (40 / 100) / (40 / 200) = 2.
    let ara62 = lines.iter().find(|l| l.starts_with("84,62,")).unwrap();
    assert!(ara62.starts_with("84,62,2,40,"));
    assert!((ara62.rsplit(',').next().unwrap().parse::<f64>().unwrap() - 2.0).abs() < 1e-12);
    std::fs::remove_dir_all(&dir).ok();
}

mod stored {
    use crate::support::{client, connect, get_json, get_text, spawn};
    use poles_store::establishments::{import, ImportOptions};
    use poles_store::import::Quiet;

    /// The demo's registries: the national picture (generated, so fictional) with stars by
    /// the rules shipped, each pôle's territory, both languages, the exports; refusals
    /// name their field.
    #[tokio::test]
    async fn a_sector_map_with_its_legend_each_poles_place_and_the_exports() {
        let app = spawn(true);
        let db = connect(&app.db_url).await;
        assert!(poles_store::demo::load_establishments_if_empty(&db, &Quiet)
            .await
            .unwrap());
        assert!(
            !poles_store::demo::load_establishments_if_empty(&db, &Quiet)
                .await
                .unwrap(),
            "loaded once"
        );
        let base = &app.base;

        let (s, d) = get_json(&format!("{base}/api/v1/specialisation/datasets")).await;
        assert_eq!(s, 200);
        let sources: Vec<(&str, bool)> = d
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["source"].as_str().unwrap(),
                    d["fictional"].as_bool().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            sources,
            [("siene-occitanie-2014", false), ("generated-france", true)]
        );

        // The default: the widest picture (the national one), the programme's first sector.
        let (s, t) = get_json(&format!("{base}/api/v1/specialisation?sector=health")).await;
        assert_eq!(s, 200, "{t}");
        assert_eq!(t["dataset"]["source"], "generated-france");
        assert_eq!(t["level"], "region");
        let rows = t["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 13, "the thirteen metropolitan regions");

        // Each quotient as its definition, from the establishments themselves.
        let jobs = |sql: &'static str| {
            let db = db.clone();
            async move {
                sqlx::query_scalar::<_, i64>(sql)
                    .fetch_one(&db.pool)
                    .await
                    .unwrap()
            }
        };
        let all = jobs("SELECT CAST(SUM(employees) AS BIGINT) FROM establishments WHERE source = 'generated-france' AND active = 1").await;
        let health = jobs("SELECT CAST(SUM(employees) AS BIGINT) FROM establishments WHERE source = 'generated-france' AND active = 1 AND division IN ('21', '86')").await;
        let idf = jobs("SELECT CAST(SUM(employees) AS BIGINT) FROM establishments WHERE source = 'generated-france' AND active = 1 AND region = '11'").await;
        let idf_health = jobs("SELECT CAST(SUM(employees) AS BIGINT) FROM establishments WHERE source = 'generated-france' AND active = 1 AND region = '11' AND division IN ('21', '86')").await;
        let row = rows.iter().find(|r| r["area"] == "11").unwrap();
        assert_eq!(row["employment"].as_i64().unwrap(), idf_health);
        let lq = (idf_health as f64 / idf as f64) / (health as f64 / all as f64);
        assert!((row["location_quotient"].as_f64().unwrap() - lq).abs() < 1e-9);
        assert_eq!(t["sector_employment"].as_i64().unwrap(), health);
        // Sorted by quotient; stars by the rules shipped: a specialisation star at 2 or
        // more, one size star and one focus star among thirteen regions (the top tenth).
        let lqs: Vec<f64> = rows
            .iter()
            .map(|r| r["location_quotient"].as_f64().unwrap())
            .collect();
        assert!(lqs.windows(2).all(|w| w[0] >= w[1]));
        for r in rows {
            assert_eq!(
                r["specialisation_star"].as_bool().unwrap(),
                r["location_quotient"].as_f64().unwrap() >= 2.0
            );
        }
        let count = |k: &str| rows.iter().filter(|r| r[k].as_bool().unwrap()).count();
        assert_eq!((count("size_star"), count("focus_star")), (2, 2));
        assert_eq!(t["rules"]["specialisation_location_quotient"], 2.0);
        assert!(t["rules"]["source"]
            .as_str()
            .unwrap()
            .contains("European Cluster Observatory"));
        // Lyonbiopôle, a health pôle of Auvergne-Rhône-Alpes, stands in its region's row.
        let ara = rows.iter().find(|r| r["area"] == "84").unwrap();
        assert!(
            ara["poles"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["slug"] == "lyonbiopole"),
            "{ara}"
        );

        // The page: the choropleth, its legend, the fictional mark, in both languages.
        for (lang, words) in [("en", "Fictional data."), ("fr", "Données fictives.")] {
            let (s, _, html) = get_text(
                &format!("{base}/specialisation?sector=health&lang={lang}"),
                None,
            )
            .await;
            assert_eq!(s, 200);
            assert!(html.contains(words), "{lang}");
            assert!(html.contains("id=\"choropleth\""));
            assert!(html.contains("id=\"legend\""));
            assert!(html.contains("class=\"region lq-"));
            assert!(
                html.contains("data-slug=\"lyonbiopole\""),
                "the pôle on the map"
            );
        }
        // The real sample, by department (it covers one region), is not marked fictional.
        let (s, _, html) = get_text(
            &format!("{base}/specialisation?dataset=siene-occitanie-2014&lang=en"),
            None,
        )
        .await;
        assert_eq!(s, 200);
        assert!(!html.contains("Fictional data."));
        assert!(html.contains("<option value=\"department\" selected>"));
        assert!(html.contains("data-area=\"31\""), "Haute-Garonne");

        // The CSV export says its source and that it is fictional.
        let csv = client()
            .get(format!(
                "{base}/specialisation?sector=health&format=csv&lang=en"
            ))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let mut lines = csv.lines();
        assert!(lines
            .next()
            .unwrap()
            .starts_with("area,name,sector,establishments,employment,share,location_quotient"));
        assert_eq!(lines.clone().count(), 13);
        assert!(lines.all(|l| l.ends_with(",yes")));

        // Regions side by side.
        let (s, k) = get_json(&format!(
            "{base}/api/v1/specialisation/compare?regions=84,11,76&grouping=section"
        ))
        .await;
        assert_eq!(s, 200);
        assert_eq!(k["regions"].as_array().unwrap().len(), 3);
        assert!(k["rows"].as_array().unwrap().len() >= 18);
        let (s, _, html) = get_text(
            &format!("{base}/specialisation/compare?regions=84&regions=11&lang=fr"),
            None,
        )
        .await;
        assert_eq!(s, 200);
        assert!(html.contains("data-region=\"11\""));

        // Refusals name their field.
        for (q, field) in [
            ("sector=nonsense", "sector"),
            ("level=canton", "level"),
            ("grouping=isic", "grouping"),
            ("dataset=nowhere", "dataset"),
        ] {
            let (s, e) = get_json(&format!("{base}/api/v1/specialisation?{q}")).await;
            assert_eq!((s, e["error"]["field"].as_str()), (400, Some(field)), "{q}");
        }
        let eleven = "11,24,27,28,32,44,52,53,75,76,84";
        let (s, e) = get_json(&format!(
            "{base}/api/v1/specialisation/compare?regions={eleven}"
        ))
        .await;
        assert_eq!((s, e["error"]["field"].as_str()), (400, Some("regions")));

        // A pôle's territory: its regions in its sectors, and the largest establishments of
        // its sectors there, by name where the registry gives one, marked "in the territory".
        let (s, t) = get_json(&format!(
            "{base}/api/v1/clusters/aerospace-valley/territory"
        ))
        .await;
        assert_eq!(s, 200);
        let blocks = t["blocks"].as_array().unwrap();
        let real = blocks
            .iter()
            .find(|b| b["dataset"]["source"] == "siene-occitanie-2014")
            .unwrap();
        let largest = real["largest"].as_array().unwrap();
        assert!(!largest.is_empty());
        assert!(largest[0]["name"].is_string());
        let employees: Vec<i64> = largest
            .iter()
            .map(|e| e["employees"].as_i64().unwrap())
            .collect();
        assert!(employees.windows(2).all(|w| w[0] >= w[1]));
        let (s, _, html) =
            get_text(&format!("{base}/clusters/aerospace-valley?lang=en"), None).await;
        assert_eq!(s, 200);
        assert!(html.contains("id=\"territory\""));
        assert!(html.contains("In the territory, not members"));
        let (s, _) = get_json(&format!("{base}/api/v1/clusters/nowhere/territory")).await;
        assert_eq!(s, 404);
    }

    /// Two imports of one source: the change of each area's jobs between them.
    #[tokio::test]
    async fn growth_between_two_imports_of_a_source() {
        let app = spawn(true);
        let db = connect(&app.db_url).await;
        let options = ImportOptions {
            source: "registry".into(),
            ..Default::default()
        };
        let first = "siret,region,department,naf,employees,created\n\
            00000000000001,84,69,62.01Z,10,2001-01-01\n\
            00000000000002,11,75,62.01Z,10,2001-01-01\n\
            00000000000003,11,75,10.11Z,20,2001-01-01\n";
        let second = "siret,region,department,naf,employees,created\n\
            00000000000001,84,69,62.01Z,15,2001-01-01\n\
            00000000000002,11,75,62.01Z,5,2001-01-01\n\
            00000000000003,11,75,10.11Z,20,2001-01-01\n\
            00000000000004,76,31,62.02A,3,2020-01-01\n";
        let (s, before) = get_json(&format!("{}/api/v1/specialisation", app.base)).await;
        assert_eq!(s, 404, "no registry yet: {before}");
        import(&db, first.as_bytes(), &options, &Quiet)
            .await
            .unwrap();
        import(&db, second.as_bytes(), &options, &Quiet)
            .await
            .unwrap();
        let (s, t) = get_json(&format!(
            "{}/api/v1/specialisation?grouping=division&sector=62",
            app.base
        ))
        .await;
        assert_eq!(s, 200, "{t}");
        assert!(
            t["dataset"]["fictional"].as_bool().unwrap(),
            "the benchmark's format"
        );
        assert!(t["dataset"]["previous_imported_at"].is_string());
        let row = |area: &str| {
            t["rows"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["area"] == area)
                .unwrap()
                .clone()
        };
        assert_eq!(row("84")["employment_before"], 10);
        assert_eq!(row("84")["change_percent"], 50.0);
        assert_eq!(row("11")["change_percent"], -50.0);
        assert_eq!(row("76")["employment_before"], 0);
        assert!(row("76")["change_percent"].is_null(), "new: no percentage");
    }
}
