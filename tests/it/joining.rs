//! Joining a pôle as a foreign company and as a listed organisation: the request, the
//! managers' decision, leaving and rejoining, the member's choice to be listed, through the
//! API and the pages.

use crate::accounts::{call, make_user, sign_in, Browser};
use crate::support::{client, connect, spawn, App};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn organisation(app: &App, name: &str) -> i64 {
    let db = connect(&app.db_url).await;
    sqlx::query_scalar(
        "INSERT INTO organisations (name, kind, country, source) VALUES ($1, 'sme', 'FR', 'test') RETURNING id",
    )
    .bind(name)
    .fetch_one(&db.pool)
    .await
    .unwrap()
}

async fn join(app: &App, who: &Browser, slug: &str, body: Value) -> (StatusCode, Value) {
    call(
        app,
        Some(who),
        Method::POST,
        &format!("/api/v1/clusters/{slug}/join-requests"),
        Some(body),
    )
    .await
}

fn member_names(cluster: &Value) -> Vec<String> {
    cluster["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_foreign_company_and_a_listed_one_join_a_pôle_leave_and_rejoin() {
    let app = spawn(true);
    let acme = organisation(&app, "Acme Capteurs").await;
    let a = acme.to_string();
    make_user(
        &app,
        "manager@test.invalid",
        "cluster_manager",
        Some("minalogic"),
    )
    .await;
    make_user(
        &app,
        "other@test.invalid",
        "cluster_manager",
        Some("vitagora"),
    )
    .await;
    make_user(&app, "acme@test.invalid", "organisation_member", Some(&a)).await;
    make_user(&app, "nordic@test.invalid", "", None).await;
    make_user(&app, "stranger@test.invalid", "", None).await;
    let manager = sign_in(&app, "manager@test.invalid").await;
    let other = sign_in(&app, "other@test.invalid").await;
    let member = sign_in(&app, "acme@test.invalid").await;
    let nordic = sign_in(&app, "nordic@test.invalid").await;
    let stranger = sign_in(&app, "stranger@test.invalid").await;

    // Refusals name their field.
    for (body, field) in [
        (json!({}), "organisation_id"),
        (json!({"new_name": "Nordic Sensors AB"}), "new_country"),
        (
            json!({"new_name": "Nordic Sensors AB", "new_country": "SE", "new_kind": "spaceship"}),
            "new_kind",
        ),
        (
            json!({"new_name": "Nordic Sensors AB", "new_country": "SE", "new_website": "nordic.se"}),
            "new_website",
        ),
        (json!({"organisation_id": acme}), "organisation_id"),
        (
            json!({"new_name": "Nordic Sensors AB", "new_country": "SE", "role": "king"}),
            "role",
        ),
    ] {
        let (st, e) = join(&app, &nordic, "minalogic", body.clone()).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{body} {e}");
        assert_eq!(e["error"]["field"], field, "{body} {e}");
    }
    let (st, _) = join(
        &app,
        &nordic,
        "no-such-pole",
        json!({"new_name": "X", "new_country": "SE"}),
    )
    .await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    // A foreign company Pôles does not know asks, in English.
    let (st, req) = join(
        &app,
        &nordic,
        "minalogic",
        json!({"new_name": "Nordic Sensors AB", "new_country": "se", "new_kind": "sme",
               "new_website": "https://nordic-sensors.example", "message": "MEMS sensors, looking for French integrators"}),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{req}");
    assert_eq!(req["status"], "pending");
    assert_eq!(req["new_organisation"], true);
    assert_eq!(req["country"], "SE");
    assert_eq!(req["organisation_id"], Value::Null);
    let nordic_req = req["id"].as_i64().unwrap();
    let (st, e) = join(
        &app,
        &nordic,
        "minalogic",
        json!({"new_name": "nordic sensors ab", "new_country": "SE"}),
    )
    .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "one pending request: {e}");

    // A listed organisation asks through one of its people, not to be listed publicly.
    let (st, req) = join(
        &app,
        &member,
        "minalogic",
        json!({"organisation_id": acme, "shown_publicly": false}),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{req}");
    let acme_req = req["id"].as_i64().unwrap();

    // The pôle's manager sees both; another pôle's manager none, and may not decide.
    let (_, pending) = call(
        &app,
        Some(&manager),
        Method::GET,
        "/api/v1/join-requests/pending",
        None,
    )
    .await;
    assert_eq!(pending.as_array().unwrap().len(), 2, "{pending}");
    let (_, none) = call(
        &app,
        Some(&other),
        Method::GET,
        "/api/v1/join-requests/pending",
        None,
    )
    .await;
    assert_eq!(none.as_array().unwrap().len(), 0);
    let decide = |id: i64| format!("/api/v1/join-requests/{id}/decision");
    let (st, _) = call(
        &app,
        Some(&other),
        Method::POST,
        &decide(nordic_req),
        Some(json!({"decision": "accept"})),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, e) = call(
        &app,
        Some(&manager),
        Method::POST,
        &decide(nordic_req),
        Some(json!({"decision": "decline"})),
    )
    .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_eq!(e["error"]["field"], "reason");

    // Accepted: the company is created, its applicant acts for it, it is listed.
    let (st, done) = call(
        &app,
        Some(&manager),
        Method::POST,
        &decide(nordic_req),
        Some(json!({"decision": "accept", "role": "partner"})),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{done}");
    assert_eq!(done["status"], "accepted");
    assert_eq!(done["role"], "partner");
    let nordic_org = done["organisation_id"].as_i64().unwrap();
    let (_, me) = call(&app, Some(&nordic), Method::GET, "/api/v1/me", None).await;
    assert!(
        me.to_string()
            .contains(&format!("\"scope\":\"{nordic_org}\"")),
        "{me}"
    );
    let (_, inbox) = call(&app, Some(&nordic), Method::GET, "/api/v1/inbox", None).await;
    assert!(inbox.to_string().contains("is a member of"), "{inbox}");
    let (st, again) = call(
        &app,
        Some(&manager),
        Method::POST,
        &decide(nordic_req),
        Some(json!({"decision": "accept"})),
    )
    .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{again}");
    let (_, org) = call(
        &app,
        None,
        Method::GET,
        &format!("/api/v1/organisations/{nordic_org}"),
        None,
    )
    .await;
    assert_eq!(org["country"], "SE", "{org}");

    let (_, before) = call(&app, None, Method::GET, "/api/v1/clusters/minalogic", None).await;
    let listed_before = before["members"].as_array().unwrap().len();
    let (st, _) = call(
        &app,
        Some(&manager),
        Method::POST,
        &decide(acme_req),
        Some(json!({"decision": "accept"})),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    let (_, pole) = call(&app, None, Method::GET, "/api/v1/clusters/minalogic", None).await;
    assert!(member_names(&pole).contains(&"Nordic Sensors AB".to_string()));
    assert!(
        !member_names(&pole).contains(&"Acme Capteurs".to_string()),
        "not listed at its request"
    );
    assert_eq!(pole["members"].as_array().unwrap().len(), listed_before);
    assert_eq!(pole["unlisted_members"], 1);
    let (_, acme_page) = call(
        &app,
        None,
        Method::GET,
        &format!("/api/v1/organisations/{acme}"),
        None,
    )
    .await;
    assert!(!acme_page.to_string().contains("minalogic"), "{acme_page}");

    // The member's choice, its own: a stranger or the pôle's manager may not make it.
    let vis = format!("/api/v1/clusters/minalogic/members/{acme}/visibility");
    for who in [&stranger, &manager] {
        let (st, _) = call(
            &app,
            Some(who),
            Method::PUT,
            &vis,
            Some(json!({"shown_publicly": true})),
        )
        .await;
        assert_eq!(st, StatusCode::FORBIDDEN);
    }
    let (st, _) = call(
        &app,
        Some(&member),
        Method::PUT,
        &vis,
        Some(json!({"shown_publicly": true})),
    )
    .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (_, pole) = call(&app, None, Method::GET, "/api/v1/clusters/minalogic", None).await;
    assert!(member_names(&pole).contains(&"Acme Capteurs".to_string()));
    assert_eq!(pole["unlisted_members"], 0);

    // Leaving keeps the period; the reason stays private; the organisation may ask again.
    let leave = format!("/api/v1/clusters/minalogic/members/{acme}/leave");
    let (st, _) = call(&app, Some(&stranger), Method::POST, &leave, Some(json!({}))).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = call(
        &app,
        Some(&member),
        Method::POST,
        &leave,
        Some(json!({"reason": "fees too high this year"})),
    )
    .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, _) = call(&app, Some(&member), Method::POST, &leave, Some(json!({}))).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "no longer a member");
    let (_, pole) = call(&app, None, Method::GET, "/api/v1/clusters/minalogic", None).await;
    assert!(!member_names(&pole).contains(&"Acme Capteurs".to_string()));
    let former = pole["former_members"].as_array().unwrap();
    assert!(
        former
            .iter()
            .any(|f| f["name"] == "Acme Capteurs" && f["until"].is_string()),
        "{former:?}"
    );
    assert!(!pole.to_string().contains("fees too high"));
    let (_, periods) = call(
        &app,
        Some(&member),
        Method::GET,
        "/api/v1/my/memberships",
        None,
    )
    .await;
    let p = &periods.as_array().unwrap()[0];
    assert_eq!(p["cluster_slug"], "minalogic");
    assert!(p["until"].is_string(), "{periods}");
    assert_eq!(
        p["reason"], "fees too high this year",
        "its own people see why"
    );
    let (st, req) = join(&app, &member, "minalogic", json!({"organisation_id": acme})).await;
    assert_eq!(st, StatusCode::CREATED, "rejoining: {req}");
    let rejoin = req["id"].as_i64().unwrap();
    let (st, _) = call(
        &app,
        Some(&stranger),
        Method::POST,
        &format!("/api/v1/join-requests/{rejoin}/withdraw"),
        None,
    )
    .await;
    assert_eq!(st, StatusCode::NOT_FOUND, "only one's own");
    let (st, _) = call(
        &app,
        Some(&member),
        Method::POST,
        &format!("/api/v1/join-requests/{rejoin}/withdraw"),
        None,
    )
    .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (_, mine) = call(
        &app,
        Some(&member),
        Method::GET,
        "/api/v1/join-requests",
        None,
    )
    .await;
    let statuses: Vec<&str> = mine
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["withdrawn", "accepted"]);

    // Every step is audited.
    let db = connect(&app.db_url).await;
    let audited: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE action LIKE 'cluster.join%' OR action LIKE 'member.%' ORDER BY id",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        audited,
        [
            "cluster.join_request",
            "cluster.join_request",
            "cluster.join_accepted",
            "cluster.join_accepted",
            "member.shown_publicly",
            "member.leave",
            "cluster.join_request",
            "cluster.join_withdrawn",
        ]
    );
}

#[tokio::test]
async fn the_join_form_sends_a_visitor_through_sign_in_and_keeps_a_refused_input() {
    let app = spawn(true);
    // A visitor is sent to sign in, and back to the form afterwards.
    let r = client()
        .get(format!("{}/clusters/minalogic/join?lang=en", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(
        to,
        "/login?lang=en&next=/clusters/minalogic/join%3Flang%3Den"
    );
    let login = client()
        .get(format!("{}{to}", app.base))
        .send()
        .await
        .unwrap();
    let html = login.text().await.unwrap();
    assert!(
        html.contains("name=\"next\" value=\"/clusters/minalogic/join?lang=en\""),
        "{html}"
    );
    make_user(&app, "visitor@test.invalid", "", None).await;
    let r = client()
        .post(format!("{}/login?lang=en", app.base))
        .form(&[
            ("email", "visitor@test.invalid"),
            ("password", crate::accounts::PASSWORD),
            ("next", "/clusters/minalogic/join?lang=en"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/clusters/minalogic/join?lang=en");
    let r = client()
        .post(format!("{}/login?lang=en", app.base))
        .form(&[
            ("email", "visitor@test.invalid"),
            ("password", crate::accounts::PASSWORD),
            ("next", "//evil.example/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["location"],
        "/account?lang=en",
        "never another site"
    );

    // The pôle's page offers to join; the form has no id to type.
    let b = sign_in(&app, "visitor@test.invalid").await;
    let page = |path: &str| {
        client()
            .get(format!("{}{path}", app.base))
            .header("cookie", &b.cookie)
            .send()
    };
    let html = page("/clusters/minalogic?lang=en")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("href=\"/clusters/minalogic/join?lang=en\""),
        "join link"
    );
    let html = page("/clusters/minalogic/join?lang=fr")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Rejoindre ce pôle"));
    assert!(
        html.contains("<option value=\"SE\">Suède</option>"),
        "countries by name"
    );

    // A refused form comes back with the reason beside the field and the input kept.
    let r = client()
        .post(format!("{}/clusters/minalogic/join?lang=en", app.base))
        .header("cookie", &b.cookie)
        .form(&[
            ("csrf", b.csrf.as_str()),
            ("organisation", "new"),
            ("new_name", "Nordic Sensors AB"),
            ("new_country", ""),
            ("role", "member"),
            ("message", "MEMS sensors"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"new_country-error\""), "{html}");
    assert!(html.contains("value=\"Nordic Sensors AB\""));
    assert!(html.contains("MEMS sensors</textarea>"));
    let r = client()
        .post(format!("{}/clusters/minalogic/join?lang=en", app.base))
        .header("cookie", &b.cookie)
        .form(&[
            ("csrf", b.csrf.as_str()),
            ("organisation", "new"),
            ("new_name", "Nordic Sensors AB"),
            ("new_country", "SE"),
            ("new_kind", "sme"),
            ("role", "member"),
            ("shown_publicly", "on"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/joining?done=sent&lang=en");
    let html = page("/joining?done=sent&lang=en")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Your request is sent"));
    assert!(html.contains("waiting for the pôle"));
    assert!(html.contains("Nordic Sensors AB"));
}

async fn organisation_with(app: &App, name: &str, siren: Option<&str>) -> i64 {
    let db = connect(&app.db_url).await;
    sqlx::query_scalar(
        "INSERT INTO organisations (name, kind, country, siren, source) VALUES ($1, 'sme', 'FR', $2, 'test') RETURNING id",
    )
    .bind(name)
    .bind(siren)
    .fetch_one(&db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_pôle_adds_members_from_a_list_after_a_preview_all_or_nothing() {
    let app = spawn(true);
    let acme = organisation_with(&app, "Acme Capteurs", Some("552100554")).await;
    let beta = organisation_with(&app, "Beta Labs", None).await;
    let twin1 = organisation_with(&app, "Twin SA", Some("732829320")).await;
    organisation_with(&app, "Twin SA", Some("732829338")).await;
    make_user(
        &app,
        "import@test.invalid",
        "cluster_manager",
        Some("minalogic"),
    )
    .await;
    make_user(&app, "import-stranger@test.invalid", "", None).await;
    let manager = sign_in(&app, "import@test.invalid").await;
    let stranger = sign_in(&app, "import-stranger@test.invalid").await;
    let path = "/api/v1/clusters/minalogic/members/import";

    let csv =
        "siren;role\n552100554;board\nBeta Labs\nTwin SA\nNobody Inc\n12345\n55210055400005\n";
    let (st, _) = call(
        &app,
        Some(&stranger),
        Method::POST,
        path,
        Some(json!({"csv": csv})),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, p) = call(
        &app,
        Some(&manager),
        Method::POST,
        path,
        Some(json!({"csv": csv})),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{p}");
    let outcomes: Vec<(u64, &str)> = p["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["line"].as_u64().unwrap(), l["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(
        outcomes,
        [
            (2, "matched"),
            (3, "matched"),
            (4, "ambiguous"),
            (5, "not_found"),
            (6, "invalid"),
            (7, "repeated")
        ],
        "{p}"
    );
    assert_eq!(p["lines"][0]["role"], "board");
    assert_eq!(p["lines"][0]["organisation_name"], "Acme Capteurs");
    assert_eq!(p["lines"][2]["candidates"].as_array().unwrap().len(), 2);
    assert_eq!(
        (
            p["to_add"].as_u64(),
            p["problems"].as_u64(),
            p["written"].as_bool()
        ),
        (Some(2), Some(3), Some(false))
    );

    // Not written while a line is a problem: nothing at all.
    let (st, e) = call(
        &app,
        Some(&manager),
        Method::POST,
        path,
        Some(json!({"csv": csv, "dry_run": false})),
    )
    .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_eq!(e["error"]["field"], "csv");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("nothing was written"),
        "{e}"
    );
    let members = |v: &Value| member_names(v);
    let (_, pole) = call(&app, None, Method::GET, "/api/v1/clusters/minalogic", None).await;
    assert!(!members(&pole).contains(&"Acme Capteurs".to_string()));

    // Fixed (the twin by its SIREN), written in one go; the same list again adds nothing.
    let fixed = "552100554,board\nBeta Labs\n732829320\n";
    let (st, p) = call(
        &app,
        Some(&manager),
        Method::POST,
        path,
        Some(json!({"csv": fixed, "dry_run": false})),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{p}");
    assert_eq!(
        (p["to_add"].as_u64(), p["written"].as_bool()),
        (Some(3), Some(true))
    );
    let (_, pole) = call(&app, None, Method::GET, "/api/v1/clusters/minalogic", None).await;
    for name in ["Acme Capteurs", "Beta Labs", "Twin SA"] {
        assert!(members(&pole).contains(&name.to_string()), "{name}");
    }
    let role_of = |id: i64| {
        pole["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["organisation_id"] == id)
            .map(|m| m["role"].as_str().unwrap().to_string())
    };
    assert_eq!(role_of(acme).as_deref(), Some("board"));
    assert_eq!(role_of(beta).as_deref(), Some("member"));
    assert!(role_of(twin1).is_some());
    let (_, again) = call(
        &app,
        Some(&manager),
        Method::POST,
        path,
        Some(json!({"csv": fixed, "dry_run": false})),
    )
    .await;
    assert_eq!(
        (again["to_add"].as_u64(), again["written"].as_bool()),
        (Some(0), Some(false)),
        "{again}"
    );
    assert!(again["lines"]
        .as_array()
        .unwrap()
        .iter()
        .all(|l| l["outcome"] == "already_member"));
    let db = connect(&app.db_url).await;
    let imports: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'member.import'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(imports, 1);

    // The page: paste, see the matches, confirm.
    let post = |form: Vec<(&'static str, String)>| {
        client()
            .post(format!(
                "{}/clusters/minalogic/members/import?lang=en",
                app.base
            ))
            .header("cookie", &manager.cookie)
            .form(&form)
            .send()
    };
    let gamma = organisation_with(&app, "Gamma Optics", None).await;
    let list = "Gamma Optics\nNobody Inc\n".to_string();
    let html = post(vec![
        ("csv", list),
        ("role", "member".into()),
        ("csrf", manager.csrf.clone()),
    ])
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    assert!(
        html.contains("1 organisation(s) to add; 1 line(s) to fix."),
        "{html}"
    );
    assert!(html.contains("no organisation in Pôles"));
    assert!(
        !html.contains("name=\"confirm\""),
        "no confirmation while a line is a problem"
    );
    let r = post(vec![
        ("csv", "Gamma Optics\n".into()),
        ("role", "partner".into()),
        ("confirm", "yes".into()),
        ("csrf", manager.csrf.clone()),
    ])
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, pole) = call(&app, None, Method::GET, "/api/v1/clusters/minalogic", None).await;
    assert!(pole["members"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["organisation_id"] == gamma && m["role"] == "partner"));
}

#[tokio::test]
async fn organisations_express_interest_and_share_addresses_only_on_acceptance() {
    let app = spawn(true);
    let a = organisation(&app, "Alpha Drones").await;
    let b = organisation(&app, "Beta Optics").await;
    let c = organisation(&app, "Gamma Nobody").await;
    let db = connect(&app.db_url).await;
    sqlx::query("INSERT INTO memberships (cluster_id, organisation_id, role, source) SELECT id, $1, 'member', 'test' FROM clusters WHERE slug = 'minalogic'")
        .bind(c)
        .execute(&db.pool)
        .await
        .unwrap();
    make_user(
        &app,
        "alpha@test.invalid",
        "organisation_member",
        Some(&a.to_string()),
    )
    .await;
    make_user(
        &app,
        "beta@test.invalid",
        "organisation_member",
        Some(&b.to_string()),
    )
    .await;
    make_user(&app, "nobody@test.invalid", "", None).await;
    let alpha = sign_in(&app, "alpha@test.invalid").await;
    let beta = sign_in(&app, "beta@test.invalid").await;
    let nobody = sign_in(&app, "nobody@test.invalid").await;
    let to = |id: i64| format!("/api/v1/organisations/{id}/interest");
    let hello = json!({"message": "We build drones and need your optics for a joint project."});

    // Nobody acts for Gamma in Pôles: say so, and give its pôle's contact.
    let (st, e) = call(
        &app,
        Some(&alpha),
        Method::POST,
        &to(c),
        Some(hello.clone()),
    )
    .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_eq!(e["error"]["field"], "organisation");
    let why = e["error"]["message"].as_str().unwrap();
    assert!(
        why.contains("nobody acts for Gamma Nobody") && why.contains("Minalogic"),
        "{why}"
    );
    let (st, e) = call(
        &app,
        Some(&nobody),
        Method::POST,
        &to(b),
        Some(hello.clone()),
    )
    .await;
    assert_eq!(
        (st, e["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("from_organisation_id"))
    );
    let (st, e) = call(
        &app,
        Some(&alpha),
        Method::POST,
        &to(b),
        Some(json!({"message": "hi"})),
    )
    .await;
    assert_eq!(
        (st, e["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("message"))
    );

    let (st, sent) = call(
        &app,
        Some(&alpha),
        Method::POST,
        &to(b),
        Some(hello.clone()),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{sent}");
    assert_eq!(sent["status"], "pending");
    assert_eq!(sent["from_email"], Value::Null);
    let id = sent["id"].as_i64().unwrap();
    let (st, _) = call(&app, Some(&alpha), Method::POST, &to(b), Some(hello)).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "one pending message at a time");

    // The other side reads it, without the writer's address; only it may answer.
    let (_, got) = call(&app, Some(&beta), Method::GET, "/api/v1/interests", None).await;
    assert_eq!(got[0]["from_organisation"], "Alpha Drones");
    assert_eq!(got[0]["from_email"], Value::Null);
    assert!(!got.to_string().contains("alpha@test.invalid"));
    let (_, inbox) = call(&app, Some(&beta), Method::GET, "/api/v1/inbox", None).await;
    assert!(
        inbox
            .to_string()
            .contains("is interested in your organisation"),
        "{inbox}"
    );
    let answer = format!("/api/v1/interests/{id}/answer");
    let (st, _) = call(
        &app,
        Some(&alpha),
        Method::POST,
        &answer,
        Some(json!({"accept": true})),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, done) = call(
        &app,
        Some(&beta),
        Method::POST,
        &answer,
        Some(json!({"accept": true})),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{done}");
    assert_eq!(done["status"], "accepted");
    assert_eq!(done["from_email"], "alpha@test.invalid");
    assert_eq!(done["to_email"], "beta@test.invalid");
    let (_, mine) = call(&app, Some(&alpha), Method::GET, "/api/v1/interests", None).await;
    assert_eq!(mine[0]["to_email"], "beta@test.invalid");
    let (st, _) = call(
        &app,
        Some(&beta),
        Method::POST,
        &answer,
        Some(json!({"accept": false})),
    )
    .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "answered once");

    // The pages: the form from the organisation's page, a refusal beside its field.
    let page = |path: String| {
        client()
            .get(format!("{}{path}", app.base))
            .header("cookie", &alpha.cookie)
            .send()
    };
    let html = page(format!("/organisations/{b}?lang=en"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(&format!("href=\"/organisations/{b}/interest?lang=en\"")));
    let r = client()
        .post(format!("{}/organisations/{b}/interest?lang=en", app.base))
        .header("cookie", &alpha.cookie)
        .form(&[
            ("csrf", alpha.csrf.as_str()),
            ("from", &a.to_string()),
            ("message", "short"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"message-error\""), "{html}");
    let html = page("/contacts?lang=en".into())
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("beta@test.invalid") && html.contains("Beta Optics"));
}

#[tokio::test]
async fn one_pôle_proposes_a_partnership_the_other_confirms_either_ends_it() {
    let app = spawn(true);
    make_user(
        &app,
        "p-mina@test.invalid",
        "cluster_manager",
        Some("minalogic"),
    )
    .await;
    make_user(
        &app,
        "p-vita@test.invalid",
        "cluster_manager",
        Some("vitagora"),
    )
    .await;
    let mina = sign_in(&app, "p-mina@test.invalid").await;
    let vita = sign_in(&app, "p-vita@test.invalid").await;
    let add = "/api/v1/clusters/minalogic/partnerships";
    let (st, e) = call(
        &app,
        Some(&mina),
        Method::POST,
        add,
        Some(json!({"partner": "vitagora", "kind": "friendship"})),
    )
    .await;
    assert_eq!(
        (st, e["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("kind"))
    );
    let (st, e) = call(
        &app,
        Some(&mina),
        Method::POST,
        add,
        Some(json!({"partner": "minalogic", "kind": "mou"})),
    )
    .await;
    assert_eq!(
        (st, e["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("partner"))
    );
    let (st, created) = call(
        &app,
        Some(&mina),
        Method::POST,
        add,
        Some(json!({
        "partner": "vitagora", "kind": "mou", "scope": "Sensors for food safety",
        "document_url": "https://example.org/mou.pdf", "start_date": "2026-11-01"})),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().unwrap();

    // Not public until the other pôle confirms; both managers see it in progress.
    let public = |slug: &'static str| {
        let app = &app;
        async move {
            let (_, v) = call(
                app,
                None,
                Method::GET,
                &format!("/api/v1/clusters/{slug}"),
                None,
            )
            .await;
            v["partnerships"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["id"] == id)
        }
    };
    assert!(!public("minalogic").await && !public("vitagora").await);
    let (_, waiting) = call(
        &app,
        Some(&vita),
        Method::GET,
        "/api/v1/clusters/vitagora/partnerships/in-progress",
        None,
    )
    .await;
    assert_eq!(waiting[0]["status"], "proposed", "{waiting}");
    assert_eq!(waiting[0]["document_url"], "https://example.org/mou.pdf");
    let (st, _) = call(
        &app,
        Some(&mina),
        Method::GET,
        "/api/v1/clusters/vitagora/partnerships/in-progress",
        None,
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (_, inbox) = call(&app, Some(&vita), Method::GET, "/api/v1/inbox", None).await;
    assert!(
        inbox.to_string().contains("proposes a partnership"),
        "{inbox}"
    );

    // Only the pôle it was proposed to answers.
    let (st, _) = call(
        &app,
        Some(&mina),
        Method::POST,
        &format!("/api/v1/clusters/minalogic/partnerships/{id}/answer"),
        Some(json!({"accept": true})),
    )
    .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = call(
        &app,
        Some(&vita),
        Method::POST,
        &format!("/api/v1/clusters/vitagora/partnerships/{id}/answer"),
        Some(json!({"accept": true})),
    )
    .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    assert!(public("minalogic").await && public("vitagora").await);
    let (st, _) = call(
        &app,
        Some(&vita),
        Method::POST,
        &format!("/api/v1/clusters/vitagora/partnerships/{id}/answer"),
        Some(json!({"accept": false})),
    )
    .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "answered once");

    // Either side ends it; it stays on record, ended.
    let (st, _) = call(
        &app,
        Some(&mina),
        Method::POST,
        &format!("/api/v1/clusters/minalogic/partnerships/{id}/end"),
        Some(json!({"end_date": "2026-12-01"})),
    )
    .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (_, v) = call(&app, None, Method::GET, "/api/v1/clusters/vitagora", None).await;
    let p = v["partnerships"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == id)
        .unwrap()
        .clone();
    assert_eq!(
        (p["status"].as_str(), p["end_date"].as_str()),
        (Some("ended"), Some("2026-12-01"))
    );

    // A foreign cluster has no account here: its partnership stands at once on its source.
    let (st, f) = call(&app, Some(&mina), Method::POST, add, Some(json!({
        "partner": "foreign:silicon-saxony", "foreign_name": "Silicon Saxony", "foreign_country": "DE",
        "kind": "network_membership", "source": "https://www.silicon-saxony.de"}))).await;
    assert_eq!(st, StatusCode::CREATED, "{f}");
    let fid = f["id"].as_i64().unwrap();
    let (_, v) = call(&app, None, Method::GET, "/api/v1/clusters/minalogic", None).await;
    assert!(v["partnerships"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["id"] == fid && p["status"] == "confirmed"));
    // The pôle's page shows its partners on a map of the world, shaded where they are.
    let html = client()
        .get(format!("{}/clusters/minalogic?lang=en", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("id=\"partners-map\""), "a world map");
    let de = html
        .split("<path ")
        .find(|p| p.contains("data-code=\"DE\""))
        .expect("Germany on the map");
    assert!(de.contains("shade-3") && de.contains("(1)"), "{de}");
}
