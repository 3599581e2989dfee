use crate::support::{get_text, shared};

#[tokio::test]
async fn home_page_in_both_languages() {
    let app = shared();
    let (status, headers, fr) = get_text(&format!("{}/", app.base), None).await;
    assert_eq!(status, 200);
    assert!(fr.contains("<html lang=\"fr\">"));
    // An icon, where every browser asks for it (no 404 beside every page).
    assert!(fr.contains(r#"<link rel="icon" href="/static/favicon.svg""#));
    for path in ["/favicon.ico", "/static/favicon.svg"] {
        let (status, headers, icon) = get_text(&format!("{}{path}", app.base), None).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(headers["content-type"], "image/svg+xml");
        assert!(icon.starts_with("<svg"));
    }
    assert!(fr.contains("Les pôles de compétitivité"));
    assert!(
        fr.contains("<svg id=\"map\""),
        "the map is drawn server-side"
    );
    assert_eq!(
        fr.matches("class=\"region shade-").count(),
        13,
        "13 metropolitan regions"
    );
    assert_eq!(
        fr.matches("class=\"marker-link\"").count(),
        55,
        "a marker per pôle of today's programme"
    );
    let (_, _, history) = get_text(&format!("{}/programme/2007", app.base), None).await;
    assert!(
        history.contains("645 M $"),
        "press kit money, never converted"
    );
    let csp = headers
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
    assert_eq!(headers.get("x-content-type-options").unwrap(), "nosniff");
    assert!(headers
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("text/html"));

    let (_, _, en) = get_text(&format!("{}/?lang=en", app.base), None).await;
    assert!(en.contains("<html lang=\"en\">"));
    assert!(
        en.contains("France&#39;s competitiveness clusters")
            || en.contains("France's competitiveness clusters")
    );
    assert!(
        en.contains("Phase V (2023-2026)"),
        "today's programme first"
    );

    // Accept-Language when there is no ?lang=, and ?lang= wins over it.
    let (_, _, en2) = get_text(&format!("{}/", app.base), Some("en-GB,en;q=0.9")).await;
    assert!(en2.contains("<html lang=\"en\">"));
    let (_, _, fr2) = get_text(&format!("{}/?lang=fr", app.base), Some("en-GB")).await;
    assert!(fr2.contains("<html lang=\"fr\">"));
    // The phase's source in the page's language: its publisher, named in English in the data.
    assert!(
        fr2.contains("Direction générale des entreprises (DGE)"),
        "{fr2}"
    );
    assert!(en2.contains("Directorate-General for Enterprise (DGE)"));
}

#[tokio::test]
async fn every_page_renders_in_both_languages() {
    let app = shared();
    for path in [
        "/",
        "/clusters",
        "/clusters?sector=ict&region=84&label=mondial&q=nano",
        "/clusters?programme=history&sort=city",
        "/programme/2007",
        "/clusters/minalogic",
        "/clusters/solutions-communicantes-securisees",
        "/organisations",
        "/organisations?q=thales&country=FR",
        "/organisations/1",
        "/projects",
        "/projects?cluster=minalogic",
        "/projects/1",
        "/regions",
        "/regions/84",
        "/sectors",
        "/sectors/health",
        "/partnerships",
        "/news",
        "/search?q=lyon",
        "/calls",
        "/calls/fui-25",
        "/calls/fui-2007",
    ] {
        for lang in ["fr", "en"] {
            let sep = if path.contains('?') { '&' } else { '?' };
            let url = format!("{}{path}{sep}lang={lang}", app.base);
            let (status, _, body) = get_text(&url, None).await;
            assert_eq!(status, 200, "{url}");
            assert!(body.contains(&format!("<html lang=\"{lang}\">")), "{url}");
            assert!(
                !body.contains("nav.") && !body.contains("cluster.name"),
                "untranslated key on {url}"
            );
        }
    }
}

#[tokio::test]
async fn cluster_page_lists_members_by_kind_and_partners_by_country() {
    let app = shared();
    let (_, _, html) = get_text(&format!("{}/clusters/minalogic?lang=en", app.base), None).await;
    assert!(html.contains("Minalogic"));
    assert!(html.contains("Large company"));
    assert!(html.contains("Xerox") && html.contains("Yamatake"));
    assert!(html.contains("Label history"));
    let (_, _, scs) = get_text(
        &format!(
            "{}/clusters/solutions-communicantes-securisees?lang=fr",
            app.base
        ),
        None,
    )
    .await;
    assert!(
        scs.contains("Italie"),
        "partners grouped by country, in French"
    );
    assert!(scs.contains("Torino Wireless"));
}

#[tokio::test]
async fn pages_answer_errors_as_pages() {
    let app = shared();
    let (status, _, body) = get_text(&format!("{}/clusters/nope?lang=en", app.base), None).await;
    assert_eq!(status, 404);
    assert!(body.contains("This page does not exist"));
    let (status, _, body) = get_text(&format!("{}/clusters?sector=space", app.base), None).await;
    assert_eq!(status, 400);
    assert!(body.contains("sector"));
    let (status, _, _) = get_text(&format!("{}/no/such/page", app.base), None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn filters_and_search_work_from_the_pages() {
    let app = shared();
    let (_, _, html) = get_text(
        &format!("{}/clusters?sector=chemicals&lang=en", app.base),
        None,
    )
    .await;
    assert!(html.contains("Axelera"));
    assert!(!html.contains(">Minalogic<"));
    let (_, _, html) = get_text(&format!("{}/search?q=lyonbiopole&lang=en", app.base), None).await;
    assert!(html.contains("/clusters/lyonbiopole"));
    let (_, _, html) = get_text(&format!("{}/partnerships?lang=en", app.base), None).await;
    assert!(html.contains("<svg id=\"network\""));
    assert!(html.contains("SafeTrans"));
}
