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
        assert!(home.matches("<circle class=\"marker").count() >= 60);
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
