//! Today's programme first, the 2005-2007 one as history: the phase V pôles with their head
//! office, website and published size (each dated and sourced), renamings and mergers, lists
//! that sort, count their filters and export, and no working file named on a public page.

use crate::support::{client, get_json, get_text, shared};
use serde_json::Value;

async fn list(query: &str) -> Value {
    let (status, v) = get_json(&format!(
        "{}/api/v1/clusters?limit=200&{query}",
        shared().base
    ))
    .await;
    assert_eq!(status, 200, "{query}: {v}");
    v
}

fn slugs(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["slug"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn the_list_shows_todays_pôles_first_and_the_2007_ones_as_history() {
    let today = list("").await;
    assert_eq!(
        today["total"], 55,
        "the 55 pôles of phase V (decision of 27 March 2023)"
    );
    for c in today["items"].as_array().unwrap() {
        assert_eq!(c["phase"], "V", "{}", c["slug"]);
        // Phases after 2008 have no tiers: none is carried over from 2005.
        assert!(c["label"].is_null(), "{}", c["slug"]);
    }
    let probation: Vec<String> = today["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "probation")
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(probation.len(), 6, "{probation:?}");
    assert!(probation.iter().any(|n| n == "Derbi"));

    let history = list("programme=history").await;
    let old = slugs(&history);
    assert!(old.len() >= 60, "the 2005-2007 list: {}", old.len());
    // Merged pôles live on in history only.
    assert!(old.contains(&"pegase".to_string()) && !slugs(&today).contains(&"pegase".to_string()));
    let all = list("programme=all").await;
    assert!(all["total"].as_i64().unwrap() > history["total"].as_i64().unwrap());

    let (status, v) = get_json(&format!("{}/api/v1/clusters?programme=2007", shared().base)).await;
    assert_eq!(status, 400);
    assert_eq!(v["error"]["field"], "programme", "{v}");
}

#[tokio::test]
async fn a_renamed_pôle_keeps_its_record_and_a_merged_one_points_to_its_successor() {
    let (_, nextmove) = get_json(&format!("{}/api/v1/clusters/moveo", shared().base)).await;
    assert_eq!(nextmove["name"], "NextMove");
    assert!(nextmove["aliases"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["name"] == "Mov'eo" && a["kind"] == "former"));
    let phases: Vec<&str> = nextmove["label_history"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l["phase"].as_str())
        .collect();
    assert_eq!(phases, ["I", "V"], "its 2005 label and its 2023 one");
    assert!(nextmove["label"].is_null(), "no tier after 2008");

    let (_, plastipolis) =
        get_json(&format!("{}/api/v1/clusters/plastipolis", shared().base)).await;
    assert_eq!(plastipolis["succeeded_by"]["slug"], "polymeris");
    assert_eq!(plastipolis["succeeded_by"]["kind"], "merged");
    assert!(plastipolis["succeeded_by"]["source"]["url"]
        .as_str()
        .unwrap()
        .starts_with("https://"));
    let (_, polymeris) = get_json(&format!("{}/api/v1/clusters/polymeris", shared().base)).await;
    let from: Vec<&str> = polymeris["predecessors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["slug"].as_str().unwrap())
        .collect();
    assert!(
        from.contains(&"plastipolis") && from.contains(&"elastopole"),
        "{from:?}"
    );
}

#[tokio::test]
async fn a_profile_gives_its_size_with_date_and_source_and_says_what_is_not_collected() {
    let base = &shared().base;
    let (_, av) = get_json(&format!("{base}/api/v1/clusters/aerospace-valley")).await;
    assert_eq!(av["head_office"]["city"], "Toulouse");
    assert_eq!(av["head_office"]["commune"], "31555");
    let members = &av["published"][0];
    assert_eq!(members["kind"], "members");
    assert_eq!(members["value"], 854);
    assert_eq!(members["as_of"], "2018");
    assert!(members["source"]["title"].as_str().unwrap().len() > 10);

    let (status, _, page) =
        get_text(&format!("{base}/clusters/aerospace-valley?lang=en"), None).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("<strong>854</strong> members (2018)"),
        "size, dated"
    );
    assert!(page.contains("Le Journal des Entreprises"), "its publisher");
    assert!(
        page.contains("labelled for 4 years"),
        "phase V's term in words"
    );
    assert!(page.contains("The marker stands at the head office"));
    // Capénergies' head office is not in the sources yet: the page says so, and its marker
    // says what it stands for.
    let (_, _, cap) = get_text(&format!("{base}/clusters/capenergies?lang=en"), None).await;
    assert!(cap.contains("not yet collected"));
    assert!(cap.contains("the marker stands near the centre of the"));
    let (_, _, fr) = get_text(&format!("{base}/clusters/capenergies?lang=fr"), None).await;
    assert!(fr.contains("pas encore recueilli"));
}

#[tokio::test]
async fn lists_sort_on_folded_names_count_their_filters_and_export_the_view() {
    let base = &shared().base;
    let names: Vec<String> = list("programme=history&sort=name").await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    let at = |n: &str| {
        names
            .iter()
            .position(|x| x == n)
            .unwrap_or_else(|| panic!("{n} in {names:?}"))
    };
    // A byte order would put "Céréales Vallée" after "Cosmetic Valley".
    assert!(at("Céréales Vallée") < at("Cosmetic Valley"));
    let by_members = list("sort=members").await;
    let counts: Vec<i64> = by_members["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["published_members"].as_i64())
        .collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "{counts:?}");

    let (_, _, page) = get_text(&format!("{base}/clusters?lang=en&sector=energy"), None).await;
    assert!(page.contains("aria-current=\"page\""), "the programme tabs");
    assert!(
        page.contains("Energy (6)"),
        "the sector filter counts its rows"
    );
    assert!(
        !page.contains(" (0)</option>"),
        "no choice that gives no row is offered"
    );
    assert!(page.contains("href=\"/clusters.csv?"), "export of the view");
    // A refused filter value gives the page, with the reason beside its field.
    let (status, _, refused) =
        get_text(&format!("{base}/clusters?lang=en&sector=nope"), None).await;
    assert_eq!(status, 400);
    assert!(
        refused.contains("aria-invalid=\"true\""),
        "the field at fault is marked"
    );
    assert!(refused.contains("unknown sector code"));
    assert!(
        refused.contains("class=\"cluster-row\""),
        "the list without the refused filter"
    );
    let (_, _, none) = get_text(&format!("{base}/clusters?lang=en&q=zzzzzz"), None).await;
    assert!(none.contains("No pôle matches these filters."));
    assert!(none.contains("Clear the filters"));

    let r = client()
        .get(format!("{base}/clusters.csv?sector=energy"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = r.text().await.unwrap();
    let mut lines = csv.lines();
    assert!(lines
        .next()
        .unwrap()
        .starts_with("slug,name,status,tier,phase,"));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 6);
    assert!(rows.iter().all(|r| r.contains("energy")), "{rows:?}");
}

#[tokio::test]
async fn no_public_page_names_a_working_file_and_history_is_labelled() {
    let base = &shared().base;
    for path in [
        "/",
        "/programme/2007",
        "/clusters",
        "/clusters?programme=history",
        "/clusters/aerospace-valley",
        "/clusters/pegase",
        "/budgets",
        "/calls/fui-25",
        "/calls/fui-2007",
        "/news",
        "/partnerships",
        "/simulator",
    ] {
        for lang in ["en", "fr"] {
            let sep = if path.contains('?') { '&' } else { '?' };
            let (status, _, page) = get_text(&format!("{base}{path}{sep}lang={lang}"), None).await;
            assert_eq!(status, 200, "{path}");
            for internal in ["programme-rules", "NOTES.md", ".md §", "§2", "§3"] {
                assert!(!page.contains(internal), "{path} ({lang}) names {internal}");
            }
        }
    }
    let (_, _, home) = get_text(&format!("{base}/?lang=en"), None).await;
    assert!(
        home.contains("Phase V (2023-2026): 55 pôles"),
        "today first"
    );
    assert!(
        home.contains("href=\"/programme/2007?lang=en\""),
        "history one click away"
    );
    assert!(
        !home.contains("$645"),
        "the 2006-2008 money is history, not today's"
    );
    let (_, _, history) = get_text(&format!("{base}/programme/2007?lang=en"), None).await;
    assert!(history.contains("History: the programme as the Invest in France Agency"));
    assert!(
        history.contains("$645"),
        "the press kit's money, on the history page"
    );
}

#[tokio::test]
async fn the_organisation_list_counts_its_choices_sorts_and_exports_the_view() {
    let base = &shared().base;
    let (status, _, page) =
        get_text(&format!("{base}/organisations?lang=en&country=FR"), None).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("<option value=\"FR\" selected>France ("),
        "countries by name, with their counts"
    );
    assert!(
        page.contains("<option value=\"university\""),
        "kinds with counts"
    );
    assert!(
        page.contains("href=\"/organisations.csv?country=FR\""),
        "export of the view"
    );
    // A country typed as a name is refused beside its field, with the list still there.
    let (status, _, refused) = get_text(
        &format!("{base}/organisations?lang=en&country=France"),
        None,
    )
    .await;
    assert_eq!(status, 400);
    assert!(refused.contains("aria-invalid=\"true\""));
    assert!(
        refused.contains("<table>"),
        "the list without the refused filter"
    );

    let (_, by_projects) = get_json(&format!(
        "{base}/api/v1/organisations?country=FR&sort=projects&limit=50"
    ))
    .await;
    let counts: Vec<i64> = by_projects["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["projects"].as_i64().unwrap())
        .collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "{counts:?}");
    assert!(
        counts[0] > 10,
        "the most active French organisations first: {counts:?}"
    );

    let csv = client()
        .get(format!(
            "{base}/organisations.csv?country=FR&kind=university"
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    let (_, total) = get_json(&format!(
        "{base}/api/v1/organisations?country=FR&kind=university&limit=1"
    ))
    .await;
    assert_eq!(
        rows.len() as i64,
        total["total"].as_i64().unwrap(),
        "the whole view, not a page"
    );
    assert!(
        rows.iter().all(|r| r.contains(",university,FR,")),
        "{:?}",
        &rows[..3]
    );
}

#[tokio::test]
async fn organisations_sort_on_their_folded_names_the_same_on_both_databases() {
    let base = &shared().base;
    let (status, v) = get_json(&format!("{base}/api/v1/organisations?limit=200")).await;
    assert_eq!(status, 200);
    let names: Vec<&str> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    let keys: Vec<String> = names
        .iter()
        .map(|n| poles_core::text::normalize(n))
        .collect();
    assert!(
        keys.windows(2).all(|w| w[0] <= w[1]),
        "sorted on the folded name, not the bytes: {names:?}"
    );
    // Mixed-case names sit among upper-case ones (a byte order would put them after "Z").
    assert!(
        names.iter().any(|n| n.chars().any(char::is_lowercase)),
        "{names:?}"
    );
}

#[tokio::test]
async fn imported_organisations_get_a_kind_where_their_name_says_it() {
    let base = &shared().base;
    let total = |q: &str| {
        let url = format!("{base}/api/v1/organisations?limit=1&{q}");
        async move { get_json(&url).await.1["total"].as_i64().unwrap() }
    };
    let all = total("").await;
    let unknown = total("kind=unknown").await;
    // The legal form (SA, GmbH, Ltd…) says a company, a university or research body its name.
    assert!(
        unknown * 2 < all,
        "most organisations have a kind: {unknown} unknown of {all}"
    );
    assert!(total("kind=company").await > 3000);
    let (_, cnrs) = get_json(&format!(
        "{base}/api/v1/organisations?q=centre%20national%20recherche%20scientifique&limit=5"
    ))
    .await;
    assert!(
        cnrs["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["kind"] == "public_research"),
        "{cnrs}"
    );
    let (_, _, page) = get_text(&format!("{base}/organisations?lang=fr"), None).await;
    assert!(
        page.contains("Entreprise (taille non connue) ("),
        "the kind is named in words, with its count"
    );
}

#[tokio::test]
async fn the_project_list_filters_by_part_and_year_with_counts_sorts_and_exports() {
    let base = &shared().base;
    let transport = "H2020-EU.3.4.";
    let (status, _, page) = get_text(&format!("{base}/projects?lang=en&year=2015"), None).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("<option value=\"2015\" selected>2015 ("),
        "years with their counts"
    );
    // The part named in words, with how many projects of 2015 it holds.
    let marker = format!("<option value=\"{transport}\">Smart, green and integrated transport (");
    let at = page
        .find(&marker)
        .expect("the transport part among the choices")
        + marker.len();
    let shown: i64 = page[at..page[at..].find(')').unwrap() + at]
        .parse()
        .unwrap();
    let (status, v) = get_json(&format!(
        "{base}/api/v1/projects?part={transport}&year=2015&limit=200&sort=cost"
    ))
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        v["total"].as_i64().unwrap(),
        shown,
        "the count is the view's total"
    );
    let items = v["items"].as_array().unwrap();
    assert!(!items.is_empty());
    for p in items {
        assert!(p["programme"].as_str().unwrap().contains(transport), "{p}");
        assert!(
            p["start_date"].as_str().unwrap().starts_with("2015-"),
            "{p}"
        );
    }
    let costs: Vec<i64> = items
        .iter()
        .map(|p| p["total_cost"]["cents"].as_i64().unwrap_or(-1))
        .collect();
    assert!(
        costs.windows(2).all(|w| w[0] >= w[1]),
        "largest first: {costs:?}"
    );

    let csv = client()
        .get(format!("{base}/projects.csv?part={transport}&year=2015"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().contains("programme_part"));
    assert_eq!(lines.count() as i64, shown, "the whole view, not a page");

    // A part that does not exist is refused beside its field, the list still shown.
    let (status, _, refused) =
        get_text(&format!("{base}/projects?lang=en&part=H2020-XX"), None).await;
    assert_eq!(status, 400);
    assert!(refused.contains("aria-invalid=\"true\"") && refused.contains("<table>"));
    let (status, v) = get_json(&format!("{base}/api/v1/projects?year=soon")).await;
    assert_eq!(status, 400);
    assert_eq!(v["error"]["field"], "year", "{v}");

    // A project's page names its programme's part in words; the code stays out of the text.
    let id = items[0]["id"].as_i64().unwrap();
    let (_, _, one) = get_text(&format!("{base}/projects/{id}?lang=fr"), None).await;
    assert!(
        one.contains("Horizon 2020 — ") && one.contains("Transports intelligents"),
        "{id}"
    );
    assert!(!one.contains(&format!(">{transport}<")));
}
