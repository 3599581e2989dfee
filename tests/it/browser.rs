//! The main journeys in a real headless browser (Debian's `chromium`): what a person sees
//! after the page has loaded and its script has run. Set `POLES_SKIP_BROWSER=1` to skip on a
//! machine without Chromium; CI installs it and never skips.

use crate::support::shared;
use std::process::Command;

fn chromium() -> Option<&'static str> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
}

/// The DOM after load, as Chromium serialises it.
fn rendered_dom(url: &str) -> String {
    let bin = chromium().expect(
        "Chromium is needed for the browser tests: apt-get install chromium (or set POLES_SKIP_BROWSER=1)",
    );
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=3000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(url)
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn skip() -> bool {
    std::env::var("POLES_SKIP_BROWSER").is_ok_and(|v| v == "1")
}

#[test]
fn home_and_cluster_pages_as_a_person_sees_them() {
    if skip() {
        eprintln!("browser test skipped: POLES_SKIP_BROWSER=1");
        return;
    }
    let app = shared();
    for (lang, title, members_heading) in [
        ("fr", "Les pôles de compétitivité", "Membres"),
        ("en", "France's competitiveness clusters", "Members"),
    ] {
        let home = rendered_dom(&format!("{}/?lang={lang}", app.base));
        assert!(
            home.contains(&format!("<html lang=\"{lang}\" class=\"js\">")),
            "our script ran"
        );
        assert!(home.contains(title));
        assert!(home.contains("<svg id=\"map\""), "the map is drawn");
        assert_eq!(home.matches("class=\"region shade-").count(), 13);
        assert_eq!(
            home.matches("<circle class=\"marker").count(),
            55,
            "today's pôles"
        );
        assert!(
            home.contains("id=\"map-tip\""),
            "the map's tooltip is in place"
        );

        let cluster = rendered_dom(&format!("{}/clusters/minalogic?lang={lang}", app.base));
        assert!(cluster.contains("<h1>Minalogic"));
        assert!(cluster.contains(members_heading));
        for member in ["Xerox", "Yamatake", "CEA-Leti"] {
            assert!(cluster.contains(member), "{member} is listed");
        }
        assert!(cluster.matches("class=\"member\"").count() >= 3);
    }
    let partners = rendered_dom(&format!("{}/partnerships?lang=en", app.base));
    assert!(partners.contains("<svg id=\"network\""));
    assert!(
        partners.matches("class=\"link\"").count() >= 8,
        "a line per partnership"
    );
}

/// The main journey of a call in Chromium, driven by playwright-core (`tests/browser/journey.mjs`):
/// an applicant builds a consortium and submits, two clusters label, a reviewer scores, an
/// officer proposes and another approves — every step a click in a real page.
#[tokio::test]
async fn the_main_journey_in_chromium() {
    if skip() {
        eprintln!("browser journey skipped: POLES_SKIP_BROWSER=1");
        return;
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = root.join("tests/browser/journey.mjs");
    assert!(
        root.join("tests/browser/node_modules/playwright-core")
            .exists(),
        "run `npm ci` in tests/browser first (or set POLES_SKIP_BROWSER=1)"
    );
    let app = crate::accounts::app();
    let base = app.base.as_str();
    let db = crate::support::connect(&app.db_url).await;
    let orgs: Vec<(i64, String)> = sqlx::query_as("SELECT id, name FROM organisations WHERE cordis_id IS NOT NULL AND country = 'FR' ORDER BY id LIMIT 4 OFFSET 20")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    let kinds = ["sme", "large_company", "mid_size", "public_research"];
    let mut partners = Vec::new();
    for (k, (org, name)) in orgs.iter().enumerate() {
        let email = format!("br-p{k}@test.invalid");
        crate::accounts::make_user(app, &email, "organisation_member", Some(&org.to_string()))
            .await;
        partners.push(serde_json::json!({"email": email, "organisation": org, "name": name, "kind": kinds[k]}));
    }
    crate::accounts::make_user(
        app,
        "br-m1@test.invalid",
        "cluster_manager",
        Some("images-et-reseaux"),
    )
    .await;
    crate::accounts::make_user(
        app,
        "br-m2@test.invalid",
        "cluster_manager",
        Some("cap-digital"),
    )
    .await;
    let reviewer = crate::accounts::make_user(app, "br-r@test.invalid", "reviewer", None).await;
    crate::accounts::make_user(app, "br-o1@test.invalid", "programme_officer", None).await;
    crate::accounts::make_user(app, "br-o2@test.invalid", "programme_officer", None).await;
    // A call of its own, with envelopes, opened by an officer through the API.
    let o = crate::applications::who(base, "br-o1@test.invalid").await;
    for (method, path, body) in [
        (
            reqwest::Method::POST,
            "/api/v1/calls",
            serde_json::json!({"slug": "browser-call", "name_fr": "Appel navigateur", "name_en": "Browser call", "programme": "FUI", "from_call": "fui-25", "deadline": crate::support::in_days(60), "source": "test"}),
        ),
        (
            reqwest::Method::PUT,
            "/api/v1/calls/browser-call/selection",
            serde_json::json!({"envelopes": [{"funder": "state", "envelope_cents": 100_000_000}, {"funder": "region", "envelope_cents": 100_000_000}]}),
        ),
    ] {
        let (status, body) = crate::applications::call(base, &o, method, path, Some(body)).await;
        assert!(status.is_success(), "{path}: {status} {body}");
    }
    let shot = tempfile::Builder::new().suffix(".png").tempfile().unwrap();
    let cfg = serde_json::json!({
        "base": base,
        "chromium": chromium().expect("Chromium is needed (apt-get install chromium, or POLES_SKIP_BROWSER=1)"),
        "password": crate::accounts::PASSWORD,
        "call": "browser-call",
        "partners": partners,
        "clusters": [{"slug": "images-et-reseaux", "manager": "br-m1@test.invalid"}, {"slug": "cap-digital", "manager": "br-m2@test.invalid"}],
        "reviewer": {"id": reviewer, "email": "br-r@test.invalid"},
        "officers": ["br-o1@test.invalid", "br-o2@test.invalid"],
        "screenshot": shot.path(),
    });
    let out = tokio::process::Command::new("node")
        .arg(&script)
        .env("POLES_JOURNEY", cfg.to_string())
        .output()
        .await
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "journey failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("selected"), "{stdout}");
    assert!(
        stdout.contains("budgets, relief caps and simulator"),
        "{stdout}"
    );
    let status: String = sqlx::query_scalar("SELECT a.status FROM applications a JOIN calls c ON c.id = a.call_id WHERE c.slug = 'browser-call' AND a.acronym = 'BROWSER'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(status, "selected");
    assert!(
        std::fs::metadata(shot.path()).unwrap().len() > 10_000,
        "a screenshot of the decided application"
    );
}

/// Each role's journey through the demo's workflow in Chromium (`tests/browser/roles.mjs`):
/// the applicant submits, reopens, resubmits and withdraws; the pôle's manager labels from
/// its queue; the reviewer scores from theirs; an officer rejects one application in French
/// and, refused a proposal above the aid, proposes within it for a second officer to
/// approve; the region's officer decides the region's share alone.
#[tokio::test]
async fn each_role_finishes_its_journey_in_chromium() {
    if skip() {
        eprintln!("browser journey skipped: POLES_SKIP_BROWSER=1");
        return;
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = root.join("tests/browser/roles.mjs");
    let server = crate::support::spawn(true);
    let base = server.base.as_str();
    let db = crate::support::connect(&server.db_url).await;
    let app = poles_app::App::new(db.clone(), Default::default());
    let w = poles_app::demo::load(&app, poles_core::Date::today())
        .await
        .unwrap()
        .expect("the workflow loads");
    let passwords: serde_json::Map<String, serde_json::Value> = w
        .accounts
        .iter()
        .filter_map(|a| Some((a.email.clone(), a.password.clone()?.into())))
        .collect();
    let id = |acronym: &'static str| {
        let db = db.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT id FROM applications WHERE acronym = $1")
                .bind(acronym)
                .fetch_one(&db.pool)
                .await
                .unwrap()
        }
    };
    // The aid the rules compute for VISIO-Q, per funder, in whole euros.
    let officer = crate::applications::who_with(
        base,
        "officer@demo.poles.invalid",
        passwords["officer@demo.poles.invalid"].as_str().unwrap(),
    )
    .await;
    let visio = id("VISIO-Q").await;
    let (_, a) = crate::applications::call(
        base,
        &officer,
        reqwest::Method::GET,
        &format!("/api/v1/applications/{visio}"),
        None,
    )
    .await;
    let euros = |funder: &str| {
        a["aid"]["by_funder"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["funder"] == funder)
            .map_or(0, |f| f["cents"].as_i64().unwrap() / 100)
    };
    let cfg = serde_json::json!({
        "base": base,
        "chromium": chromium().expect("Chromium is needed (apt-get install chromium, or POLES_SKIP_BROWSER=1)"),
        "passwords": passwords,
        "visio": {"state_euros": euros("state"), "region_euros": euros("region")},
        "cristal": id("CRISTAL").await,
        "microflu": id("MICROFLU").await,
        "today": poles_core::Date::today().to_string(),
    });
    let run = |cfg: serde_json::Value| {
        let script = script.clone();
        async move {
            let out = tokio::process::Command::new("node")
                .arg(&script)
                .env("POLES_JOURNEY", cfg.to_string())
                .output()
                .await
                .expect("node runs");
            let stdout = String::from_utf8_lossy(&out.stdout).to_string();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "journey failed:\n{stdout}\n{stderr}");
            stdout
        }
    };
    let stdout = run(cfg.clone()).await;
    assert!(stdout.contains("journey ok: every role"), "{stdout}");

    // A newcomer signs up, verifies the address through the mailed link, asks to act for an
    // organisation, is approved by an admin, and starts a draft: no operator on the way.
    let mut newcomer = cfg.clone();
    newcomer["part"] = "signup".into();
    newcomer["newcomer"] = serde_json::json!({"email": "nouvelle@test.invalid", "password": "a long enough newcomer passphrase", "organisation": "Alpivision Capteurs SAS"});
    let stdout = run(newcomer.clone()).await;
    assert!(stdout.contains("journey ok: signed up"), "{stdout}");
    let body: String = sqlx::query_scalar(
        "SELECT body FROM mail_outbox WHERE to_address = 'nouvelle@test.invalid' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    let link = body
        .split_whitespace()
        .find(|w| w.contains("/verify?token="))
        .expect("the mail carries the verification link")
        .to_string();
    newcomer["part"] = "member".into();
    newcomer["newcomer"]["verify"] = format!("{link}&lang=en").into();
    let stdout = run(newcomer).await;
    assert!(stdout.contains("journey ok: newcomer"), "{stdout}");
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM applications WHERE acronym = 'NOUVEAU'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(n, 1);
    // What the clicks did, as stored.
    let status = |acronym: &'static str| {
        let db = db.clone();
        async move {
            sqlx::query_scalar::<_, String>("SELECT status FROM applications WHERE acronym = $1")
                .bind(acronym)
                .fetch_one(&db.pool)
                .await
                .unwrap()
        }
    };
    assert_eq!(status("GRAPHENE-A").await, "submitted");
    assert_eq!(status("NEIGE").await, "withdrawn");
    assert_eq!(status("SOBRIETE").await, "rejected");
    assert_eq!(status("VISIO-Q").await, "selected");
    assert_eq!(status("CRISTAL").await, "submitted");
    assert_eq!(status("MICROFLU").await, "running");
    let paid: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM payment_claims c JOIN applications a ON a.id = c.application_id WHERE a.acronym = 'MICROFLU' AND c.status = 'paid' AND c.amount_cents = 5000000")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(paid, 1, "the advance claimed in the page is paid");
    let region: i64 = sqlx::query_scalar("SELECT l.amount_cents FROM funding_lines l JOIN funding_proposals p ON p.id = l.proposal_id WHERE p.application_id = $1 AND p.status = 'approved' AND l.funder = 'region'")
        .bind(id("CRISTAL").await)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(region, 10_000_000);
}

/// An investor's visit on a phone, in both languages (`tests/browser/atlas.mjs`): the menu
/// folded, today's pôles first, a sector filter whose count matches the list, the view's
/// export, a profile with its own map, the 2007 programme as history; and every public page
/// no wider than a 390 px screen.
#[tokio::test]
async fn an_investor_finds_todays_poles_on_a_phone() {
    if skip() {
        eprintln!("browser journey skipped: POLES_SKIP_BROWSER=1");
        return;
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let app = shared();
    let pages = [
        "/?lang=fr",
        "/?lang=en",
        "/clusters?lang=fr",
        "/clusters?programme=history&lang=en",
        "/clusters/aerospace-valley?lang=fr",
        "/clusters/pegase?lang=en",
        "/programme/2007?lang=fr",
        "/organisations?lang=fr",
        "/organisations/1?lang=en",
        "/projects?lang=fr",
        "/projects?lang=en&part=H2020-EU.3.3.&sort=cost",
        "/projects/1?lang=en",
        "/regions?lang=fr",
        "/regions/84?lang=en",
        "/sectors?lang=fr",
        "/sectors/ict?lang=en",
        "/partnerships?lang=fr",
        "/news?lang=fr",
        "/search?q=energie&lang=fr",
        "/calls?lang=fr",
        "/calls/fui-25?lang=en",
        "/budgets?lang=fr",
        "/simulator?lang=en",
        "/specialisation?lang=fr",
        "/specialisation?dataset=siene-occitanie-2014&lang=en",
        "/specialisation/compare?lang=en",
        "/dashboards?lang=fr",
        "/open-data?lang=en",
        "/login?lang=fr",
        "/signup?lang=en",
    ];
    let cfg = serde_json::json!({
        "base": app.base,
        "chromium": chromium().expect("Chromium is needed (apt-get install chromium, or POLES_SKIP_BROWSER=1)"),
        "pages": pages,
    });
    let out = tokio::process::Command::new("node")
        .arg(root.join("tests/browser/atlas.mjs"))
        .env("POLES_JOURNEY", cfg.to_string())
        .output()
        .await
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "journey failed:\n{stdout}\n{stderr}");
    assert!(
        stdout.contains("journey ok: atlas on a phone (fr)")
            && stdout.contains("journey ok: atlas on a phone (en)")
            && stdout.contains("journey ok: every public page fits a phone")
            && stdout.contains("journey ok: axe-core finds no WCAG 2.1 AA violation"),
        "{stdout}"
    );
    // The widths, for the closing note.
    eprintln!("{stdout}");
}

/// Partners in Chromium (`tests/browser/partners.mjs`): a foreign company signs in from a
/// pôle's page, searches partners by competence, asks to join as an organisation Pôles does
/// not know yet and gets the manager's answer; the manager imports members from a list.
#[tokio::test]
async fn a_foreign_company_joins_a_pole_and_a_manager_imports_members() {
    if skip() {
        eprintln!("browser journey skipped: POLES_SKIP_BROWSER=1");
        return;
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let app = crate::support::spawn(true);
    let db = crate::support::connect(&app.db_url).await;
    sqlx::query(
        "INSERT INTO organisations (name, kind, country, source, name_key) VALUES ('Listed Optics SAS', 'sme', 'FR', 'test', 'listed optics sas')",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    crate::accounts::make_user(&app, "br-foreign@test.invalid", "", None).await;
    crate::accounts::make_user(
        &app,
        "br-pole@test.invalid",
        "cluster_manager",
        Some("minalogic"),
    )
    .await;
    let cfg = serde_json::json!({
        "base": app.base,
        "chromium": chromium().expect("Chromium is needed (apt-get install chromium, or POLES_SKIP_BROWSER=1)"),
        "password": crate::accounts::PASSWORD,
        "pole": "minalogic",
        "foreign": "br-foreign@test.invalid",
        "manager": "br-pole@test.invalid",
        "listed": "Listed Optics SAS",
    });
    let out = tokio::process::Command::new("node")
        .arg(root.join("tests/browser/partners.mjs"))
        .env("POLES_JOURNEY", cfg.to_string())
        .output()
        .await
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "journey failed:\n{stdout}\n{stderr}");
    assert!(
        stdout.contains("journey ok: a foreign company joined")
            && stdout.contains("journey ok: members imported"),
        "{stdout}"
    );
}

/// The label process in Chromium (`tests/browser/labels.mjs`): an officer opens a campaign,
/// a pôle's manager submits a candidacy on a phone, two committee members score, an officer
/// proposes "probation 12 months" and another approves it; the public page shows it.
#[tokio::test]
async fn a_label_campaign_runs_from_opening_to_a_published_probation() {
    if skip() {
        eprintln!("browser journey skipped: POLES_SKIP_BROWSER=1");
        return;
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let app = crate::support::spawn(true);
    for (who, role, scope) in [
        ("br-o1@test.invalid", "programme_officer", None),
        ("br-o2@test.invalid", "programme_officer", None),
        ("br-r1@test.invalid", "reviewer", None),
        ("br-r2@test.invalid", "reviewer", None),
        ("br-mgr@test.invalid", "cluster_manager", Some("minalogic")),
    ] {
        crate::accounts::make_user(&app, who, role, scope).await;
    }
    let cfg = serde_json::json!({
        "base": app.base,
        "chromium": chromium().expect("Chromium is needed (apt-get install chromium, or POLES_SKIP_BROWSER=1)"),
        "password": crate::accounts::PASSWORD,
        "pole": "minalogic",
        "officer1": "br-o1@test.invalid",
        "officer2": "br-o2@test.invalid",
        "reviewer1": "br-r1@test.invalid",
        "reviewer2": "br-r2@test.invalid",
        "manager": "br-mgr@test.invalid",
    });
    let out = tokio::process::Command::new("node")
        .arg(root.join("tests/browser/labels.mjs"))
        .env("POLES_JOURNEY", cfg.to_string())
        .output()
        .await
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "journey failed:\n{stdout}\n{stderr}");
    assert!(
        stdout.contains("journey ok: candidacy submitted")
            && stdout.contains("journey ok: two committee members scored")
            && stdout.contains("journey ok: probation published"),
        "{stdout}"
    );
}
