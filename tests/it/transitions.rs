//! Every state has a way out: each transition of `poles_core::transitions` walked through the
//! API — its role succeeds, a wrong role gets 403, an illegal status 409 naming the current
//! one — and through the application's page (forms with their CSRF token, a refusal shown
//! next to its field with the reason kept).

use crate::accounts::{app, make_user};
use crate::applications::{call, submitted_application, submitted_to, who, Who};
use crate::support::{client, connect};
use poles_core::transitions::{APPLICATION_TRANSITIONS, PROPOSAL_TRANSITIONS};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn officer(base: &str, email: &str) -> Who {
    make_user(app(), email, "programme_officer", None).await;
    who(base, email).await
}

async fn post(base: &str, w: &Who, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    call(base, w, Method::POST, path, body).await
}

async fn status_of(base: &str, w: &Who, id: i64) -> Value {
    let (s, a) = call(
        base,
        w,
        Method::GET,
        &format!("/api/v1/applications/{id}"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{a}");
    a
}

/// A refusal for the status as it stands: 409, `illegal_transition`, naming the status.
fn assert_illegal(s: StatusCode, r: &Value, current: &str) {
    assert_eq!(s, StatusCode::CONFLICT, "{r}");
    assert_eq!(r["error"]["code"], "illegal_transition", "{r}");
    assert_eq!(r["error"]["field"], "status", "{r}");
    let m = r["error"]["message"].as_str().unwrap();
    assert!(
        m.contains(current),
        "names the current status {current}: {m}"
    );
}

/// Posts a page's form with the session's CSRF token, following nothing.
async fn form(base: &str, w: &Who, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let mut f: Vec<(&str, &str)> = vec![("csrf", w.csrf.as_str())];
    f.extend_from_slice(fields);
    client()
        .post(format!("{base}{path}"))
        .header("cookie", &w.cookie)
        .form(&f)
        .send()
        .await
        .unwrap()
}

async fn get_page(base: &str, w: &Who, path: &str) -> String {
    client()
        .get(format!("{base}{path}"))
        .header("cookie", &w.cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn audited(id: i64, action: &str) -> i64 {
    let db = connect(&app().db_url).await;
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE object_kind = 'application' AND object_ref = $1 AND action = $2",
    )
    .bind(id.to_string())
    .bind(action.to_string())
    .fetch_one(&db.pool)
    .await
    .unwrap()
}

/// The tests below walk every row of both tables; a new row fails here until it is walked.
#[test]
fn every_transition_of_the_tables_is_walked_here() {
    let walked_applications = [
        ("draft", "submit"),
        ("submitted", "reopen"),
        ("draft", "withdraw"),
        ("submitted", "withdraw"),
        ("submitted", "declare_ineligible"),
        ("submitted", "reject"),
        ("submitted", "select"),
        // Finalising, lapsing, closing and abandoning are walked in followup.rs.
        ("selected", "finalise"),
        ("selected", "lapse"),
        ("running", "close"),
        ("running", "abandon"),
    ];
    for t in APPLICATION_TRANSITIONS {
        assert!(
            walked_applications.contains(&(t.from.as_str(), t.action.as_str())),
            "not walked: {t:?}"
        );
    }
    let walked_proposals = [
        ("proposed", "approve"),
        ("proposed", "reject"),
        ("proposed", "withdraw"),
        ("approved", "lapse"),
    ];
    for t in PROPOSAL_TRANSITIONS {
        assert!(
            walked_proposals.contains(&(t.from.as_str(), t.action.as_str())),
            "not walked: {t:?}"
        );
    }
}

#[tokio::test]
async fn applicants_reopen_resubmit_and_withdraw() {
    let base = app().base.as_str();
    let id = submitted_application("tr-a").await;
    let lead = who(base, "tr-a-p0@test.invalid").await;
    let partner = who(base, "tr-a-p1@test.invalid").await;
    let o = officer(base, "tr-a-officer@test.invalid").await;
    let path = |p: &str| format!("/api/v1/applications/{id}{p}");

    // Reopen: the lead only, from submitted only.
    for w in [&partner, &o] {
        let (s, r) = post(base, w, &path("/reopen"), None).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "only the lead reopens: {r}");
    }
    let (s, r) = post(base, &lead, &path("/reopen"), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{r}");
    assert_eq!(status_of(base, &lead, id).await["status"], "draft");
    let (s, r) = post(base, &lead, &path("/reopen"), None).await;
    assert_illegal(s, &r, "draft");
    // A draft again: it changes, then is resubmitted with a new snapshot, the first kept.
    let (s, r) = call(
        base,
        &lead,
        Method::PUT,
        &path(&format!(
            "/partners/{}/budget",
            status_of(base, &lead, id).await["lead_organisation_id"]
        )),
        Some(crate::applications::budget(
            400_000,
            crate::applications::TOULOUSE,
        )),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{r}");
    let (s, r) = post(base, &partner, &path("/submit"), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{r}");
    let (s, r) = post(base, &lead, &path("/submit"), None).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let (s, r) = post(base, &lead, &path("/submit"), None).await;
    assert_illegal(s, &r, "submitted");
    let (s, subs) = call(base, &partner, Method::GET, &path("/submissions"), None).await;
    assert_eq!(s, StatusCode::OK, "{subs}");
    let subs = subs.as_array().unwrap();
    assert_eq!(subs.len(), 2, "every submission is kept: {subs:?}");
    assert_eq!(subs[0]["number"], 1);
    assert_eq!(subs[1]["number"], 2);
    assert_ne!(
        subs[0]["aid"], subs[1]["aid"],
        "the first snapshot is not overwritten by the second"
    );
    assert_eq!(subs[1]["eligible"], true);

    // Withdraw: the lead only, final.
    for w in [&partner, &o] {
        let (s, _) = post(base, w, &path("/withdraw"), Some(json!({}))).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
    let (s, r) = post(
        base,
        &lead,
        &path("/withdraw"),
        Some(json!({"reason": "x"})),
    )
    .await;
    assert_eq!(
        s,
        StatusCode::BAD_REQUEST,
        "a reason given is 3 characters at least"
    );
    assert_eq!(r["error"]["field"], "reason");
    let (s, r) = post(
        base,
        &lead,
        &path("/withdraw"),
        Some(json!({"reason": "Partner left the consortium"})),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{r}");
    let a = status_of(base, &lead, id).await;
    assert_eq!(a["status"], "withdrawn");
    assert_eq!(a["decision"]["reason"], "Partner left the consortium");
    for action in ["/withdraw", "/reopen", "/submit"] {
        let (s, r) = post(base, &lead, &path(action), Some(json!({}))).await;
        assert_illegal(s, &r, "withdrawn");
    }
    let (s, r) = post(
        base,
        &o,
        &path("/reject"),
        Some(json!({"reason": "Too late"})),
    )
    .await;
    assert_illegal(s, &r, "withdrawn");
    assert_eq!(audited(id, "application.reopen").await, 1);
    assert_eq!(audited(id, "application.submit").await, 2);
    assert_eq!(audited(id, "application.withdraw").await, 1);

    // A draft is withdrawn too, without a reason.
    let (s, c) = post(
        base,
        &lead,
        "/api/v1/calls/fui-25/applications",
        Some(json!({"lead_organisation_id": a["lead_organisation_id"], "acronym": "TRDRAFT", "title": "A draft given up"})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let draft = c["id"].as_i64().unwrap();
    let (s, r) = post(
        base,
        &lead,
        &format!("/api/v1/applications/{draft}/withdraw"),
        Some(json!({})),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{r}");
    assert_eq!(status_of(base, &lead, draft).await["status"], "withdrawn");
}

#[tokio::test]
async fn no_reopening_after_the_deadline_and_no_withdrawal_once_funded() {
    let base = app().base.as_str();
    let o1 = officer(base, "tr-d-o1@test.invalid").await;
    let o2 = officer(base, "tr-d-o2@test.invalid").await;
    let (s, r) = post(base, &o1, "/api/v1/calls", Some(json!({
        "slug": "tr-call", "name_fr": "Appel des transitions", "name_en": "Transitions call", "programme": "FUI",
        "opens_on": crate::support::in_days(-30), "deadline": crate::support::in_days(60), "from_call": "fui-25", "source": "test"}))).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let (s, r) = call(base, &o1, Method::PUT, "/api/v1/calls/tr-call/selection", Some(json!({"envelopes": [{"funder": "state", "envelope_cents": 1_000_000_000, "budget": ""}, {"funder": "region", "envelope_cents": 1_000_000_000, "budget": ""}]}))).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{r}");
    let late = submitted_to("tr-call", "tr-d").await;
    let funded = submitted_to("tr-call", "tr-f").await;
    let lead = who(base, "tr-d-p0@test.invalid").await;
    let lead_f = who(base, "tr-f-p0@test.invalid").await;

    // Funded: the last approval selects the application; it is no longer withdrawn.
    let (s, p) = post(base, &o1, &format!("/api/v1/applications/{funded}/proposals"), Some(json!({"lines": [{"funder": "state", "amount_cents": 10_000_000}, {"funder": "region", "amount_cents": 10_000_000}]}))).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let (s, r) = post(
        base,
        &o2,
        &format!("/api/v1/proposals/{}/approve", p["id"]),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(status_of(base, &lead_f, funded).await["status"], "selected");
    let (s, r) = post(
        base,
        &lead_f,
        &format!("/api/v1/applications/{funded}/withdraw"),
        Some(json!({})),
    )
    .await;
    assert_illegal(s, &r, "selected");
    let (s, r) = post(
        base,
        &o1,
        &format!("/api/v1/proposals/{}/withdraw", p["id"]),
        Some(json!({"reason": "Changed my mind"})),
    )
    .await;
    assert_illegal(s, &r, "approved");

    // The deadline passes: reopening is refused with its own code.
    let db = connect(&app().db_url).await;
    sqlx::query("UPDATE calls SET deadline = '2020-01-31' WHERE slug = 'tr-call'")
        .execute(&db.pool)
        .await
        .unwrap();
    let (s, r) = post(
        base,
        &lead,
        &format!("/api/v1/applications/{late}/reopen"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{r}");
    assert_eq!(r["error"]["code"], "deadline_passed", "{r}");
    assert_eq!(status_of(base, &lead, late).await["status"], "submitted");
}

#[tokio::test]
async fn officers_declare_ineligible_or_reject_with_a_reason_sent_to_the_applicant() {
    let base = app().base.as_str();
    let b = submitted_application("tr-b").await;
    let c = submitted_application("tr-c").await;
    let lead_b = who(base, "tr-b-p0@test.invalid").await;
    let lead_c = who(base, "tr-c-p0@test.invalid").await;
    let o = officer(base, "tr-b-officer@test.invalid").await;
    make_user(app(), "tr-b-reviewer@test.invalid", "reviewer", None).await;
    let reviewer = who(base, "tr-b-reviewer@test.invalid").await;
    let path = |id: i64, p: &str| format!("/api/v1/applications/{id}{p}");

    for w in [&lead_b, &reviewer] {
        let (s, r) = post(
            base,
            w,
            &path(b, "/ineligible"),
            Some(json!({"reason": "No label"})),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{r}");
        let (s, _) = post(
            base,
            w,
            &path(b, "/reject"),
            Some(json!({"reason": "No label"})),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
    for body in [json!({}), json!({"reason": "  "})] {
        let (s, r) = post(base, &o, &path(b, "/ineligible"), Some(body)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "the reason is required: {r}");
        assert_eq!(r["error"]["field"], "reason");
    }
    let why = "The lead cluster's label arrived after the deadline";
    let (s, r) = post(
        base,
        &o,
        &path(b, "/ineligible"),
        Some(json!({"reason": why})),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{r}");
    let a = status_of(base, &lead_b, b).await;
    assert_eq!(a["status"], "ineligible");
    assert_eq!(a["decision"]["reason"], why);
    assert_eq!(a["decision"]["status"], "ineligible");
    let (_, inbox) = call(base, &lead_b, Method::GET, "/api/v1/inbox", None).await;
    assert!(
        inbox.to_string().contains(why),
        "the reason reaches the applicant's inbox: {inbox}"
    );
    for action in ["/ineligible", "/reject"] {
        let (s, r) = post(base, &o, &path(b, action), Some(json!({"reason": why}))).await;
        assert_illegal(s, &r, "ineligible");
    }
    let (s, r) = post(base, &lead_b, &path(b, "/reopen"), None).await;
    assert_illegal(s, &r, "ineligible");
    assert_eq!(audited(b, "application.ineligible").await, 1);

    let (s, r) = post(
        base,
        &o,
        &path(c, "/reject"),
        Some(json!({"reason": "Weak impact"})),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{r}");
    let a = status_of(base, &lead_c, c).await;
    assert_eq!(a["status"], "rejected");
    assert_eq!(a["decision"]["reason"], "Weak impact");
    let (s, r) = post(base, &lead_c, &path(c, "/withdraw"), Some(json!({}))).await;
    assert_illegal(s, &r, "rejected");
    assert_eq!(audited(c, "application.reject").await, 1);
    // The applicant reads the reason on the page too.
    let html = client()
        .get(format!("{base}/applications/{c}?lang=en"))
        .header("cookie", &lead_c.cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Weak impact") && html.contains("Rejected"),
        "{html}"
    );
}

#[tokio::test]
async fn proposals_are_withdrawn_by_their_proposer_or_rejected_by_another_officer() {
    let base = app().base.as_str();
    let id = submitted_application("tr-p").await;
    let lead = who(base, "tr-p-p0@test.invalid").await;
    let o1 = officer(base, "tr-p-o1@test.invalid").await;
    let o2 = officer(base, "tr-p-o2@test.invalid").await;
    let lines = json!({"lines": [{"funder": "state", "amount_cents": 10_000_000}, {"funder": "region", "amount_cents": 5_000_000}]});
    let propose = || async {
        let (s, p) = post(
            base,
            &o1,
            &format!("/api/v1/applications/{id}/proposals"),
            Some(lines.clone()),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
        p["id"].as_i64().unwrap()
    };
    let reason = json!({"reason": "Amounts to be revised"});
    let p1 = propose().await;
    let (s, r) = post(
        base,
        &o1,
        &format!("/api/v1/applications/{id}/proposals"),
        Some(lines.clone()),
    )
    .await;
    assert_eq!(
        s,
        StatusCode::BAD_REQUEST,
        "one open proposal at a time: {r}"
    );
    // Withdrawn by its proposer only; rejected by another officer only.
    for w in [&o2, &lead] {
        let (s, _) = post(
            base,
            w,
            &format!("/api/v1/proposals/{p1}/withdraw"),
            Some(reason.clone()),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
    for w in [&o1, &lead] {
        let (s, _) = post(
            base,
            w,
            &format!("/api/v1/proposals/{p1}/reject"),
            Some(reason.clone()),
        )
        .await;
        assert_eq!(
            s,
            StatusCode::FORBIDDEN,
            "never one's own, never an applicant"
        );
    }
    let (s, r) = post(
        base,
        &o1,
        &format!("/api/v1/proposals/{p1}/withdraw"),
        Some(json!({})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{r}");
    assert_eq!(r["error"]["field"], "reason");
    let (s, r) = post(
        base,
        &o1,
        &format!("/api/v1/proposals/{p1}/withdraw"),
        Some(reason.clone()),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{r}");
    let (s, r) = post(
        base,
        &o1,
        &format!("/api/v1/proposals/{p1}/withdraw"),
        Some(reason.clone()),
    )
    .await;
    assert_illegal(s, &r, "withdrawn");
    let (s, r) = post(
        base,
        &o2,
        &format!("/api/v1/proposals/{p1}/reject"),
        Some(reason.clone()),
    )
    .await;
    assert_illegal(s, &r, "withdrawn");

    // No longer blocked: a new proposal, rejected by another officer with a reason.
    let p2 = propose().await;
    let (s, r) = post(
        base,
        &o2,
        &format!("/api/v1/proposals/{p2}/reject"),
        Some(json!({"reason": "Over the regional share"})),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{r}");
    let (s, r) = post(
        base,
        &o1,
        &format!("/api/v1/proposals/{p2}/withdraw"),
        Some(reason.clone()),
    )
    .await;
    assert_illegal(s, &r, "rejected");
    let (s, r) = post(base, &o2, &format!("/api/v1/proposals/{p2}/approve"), None).await;
    assert!(
        s.is_client_error(),
        "a rejected proposal is not approved: {r}"
    );
    let (_, inbox) = call(base, &o1, Method::GET, "/api/v1/inbox", None).await;
    assert!(
        inbox.to_string().contains("Over the regional share"),
        "the proposer is told why: {inbox}"
    );
    assert_eq!(audited(id, "funding.withdraw").await, 1);
    assert_eq!(audited(id, "funding.reject").await, 1);

    // Reopening withdraws the open proposal with the application.
    let p3 = propose().await;
    let (s, r) = post(
        base,
        &lead,
        &format!("/api/v1/applications/{id}/reopen"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{r}");
    let db = connect(&app().db_url).await;
    let status: String = sqlx::query_scalar("SELECT status FROM funding_proposals WHERE id = $1")
        .bind(p3)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(status, "withdrawn");
}

/// Through the pages: the officer's form without a reason comes back as the same page, the
/// refusal next to the field; with one, the application is rejected and the applicant reads
/// why. The applicant reopens and withdraws with the page's forms.
#[tokio::test]
async fn the_pages_change_status_with_their_forms() {
    let base = app().base.as_str();
    let id = submitted_application("tr-w").await;
    let other = submitted_application("tr-x").await;
    let officer = officer(base, "tr-w-officer@test.invalid").await;
    let lead = who(base, "tr-x-p0@test.invalid").await;

    let page = get_page(base, &officer, &format!("/applications/{id}?lang=fr")).await;
    assert!(page.contains("Déclarer inéligible") && page.contains("Rejeter le dossier"));
    let r = form(
        base,
        &officer,
        &format!("/applications/{id}/reject?lang=fr"),
        &[("reason", "")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let html = r.text().await.unwrap();
    let at = html.find("transition reject").unwrap();
    let error = html[at..].find("class=\"error\"").unwrap();
    assert!(
        error < html[at..].find("</form>").unwrap(),
        "the refusal is inside the reject form"
    );
    assert!(html.contains("Donnez un motif de 3 à 2 000 caractères."));
    let r = form(
        base,
        &officer,
        &format!("/applications/{id}/reject?lang=fr"),
        &[("reason", "Hors du périmètre de l'appel")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = get_page(base, &officer, &format!("/applications/{id}?lang=en")).await;
    assert!(
        page.contains("<q class=\"reason\">Hors du périmètre de l"),
        "the reason on the page"
    );
    // Again: the same page with the status named, 409.
    let r = form(
        base,
        &officer,
        &format!("/applications/{id}/ineligible?lang=en"),
        &[("reason", "Kept text")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("id=\"status-error\">This change is not possible from the application")
            && html.contains("status is rejected"),
        "the refusal names the status, on the page whose form is no longer offered"
    );

    // The applicant: reopen, then withdraw from the page.
    let page = get_page(base, &lead, &format!("/applications/{other}?lang=en")).await;
    assert!(
        page.contains("Reopen to change and resubmit") && page.contains("Withdraw the application")
    );
    let r = form(
        base,
        &lead,
        &format!("/applications/{other}/reopen?lang=en"),
        &[],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = form(
        base,
        &lead,
        &format!("/applications/{other}/withdraw?lang=en"),
        &[("reason", "We give up")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = get_page(base, &lead, &format!("/applications/{other}?lang=en")).await;
    assert!(page.contains("Withdrawn") && page.contains("We give up"));
    assert!(
        !page.contains("Withdraw the application"),
        "final: no way out offered"
    );
}
