//! The OpenAPI document tells the truth. Every operation it lists is driven here against a
//! server with the demo data — anonymously, then with the roles it needs, by session cookie
//! or API token — and every answer is checked against the document: its status must be
//! documented for the operation, its body must validate against that status's schema (with
//! `$ref`s, by a JSON-schema validator), an answer documented without content has none, and
//! exactly the operations documented as needing a sign-in answer 401 anonymously. An operation
//! of the document that is not driven to a success fails the test, unless it is listed in
//! [`SKIPPED`] with its reason.

use crate::accounts::{make_user, PASSWORD};
use crate::support::{client, connect, spawn};
use reqwest::header::HeaderMap;
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Operations that are not driven to a success here, with the reason.
const SKIPPED: &[(&str, &str)] = &[];

/// Where the document is loaded in the validator (never fetched).
const DOC_URL: &str = "http://poles.invalid/openapi.json";

/// Who calls.
#[derive(Clone)]
enum Auth {
    Anonymous,
    Cookie { cookie: String, csrf: String },
    Bearer(String),
}

/// A request body: JSON, or bytes of a type (a PDF).
enum Payload {
    Json(Value),
    Raw(Vec<u8>, &'static str),
}

struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Value,
}

/// The document, its response schemas compiled, and what was driven.
struct Checker {
    /// Responses documented with a body of another type than JSON, and that type.
    binary: BTreeMap<(String, String), String>,
    base: String,
    doc: Value,
    schemas: boon::Schemas,
    /// (operation, status) → the compiled body schema, `None` for an answer without content.
    responses: BTreeMap<(String, String), Option<boon::SchemaIndex>>,
    /// Operation → statuses seen.
    seen: BTreeMap<String, BTreeSet<u16>>,
    anonymous: BTreeSet<String>,
    failures: Vec<String>,
}

/// Follows a local `$ref` (`#/components/…`) of the document.
fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => resolve(
            doc,
            doc.pointer(r.trim_start_matches('#'))
                .unwrap_or_else(|| panic!("dangling $ref {r}")),
        ),
        None => v,
    }
}

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

impl Checker {
    async fn new(base: &str) -> Checker {
        let r = client()
            .get(format!("{base}/api/openapi.json"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let mut doc: Value = r.json().await.unwrap();
        // Each response schema is put where the validator can find it by a plain pointer,
        // beside the components its `$ref`s name.
        let mut found = Vec::new();
        let mut binary = BTreeMap::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in METHODS {
                let Some(op) = item.get(method) else { continue };
                let key = format!("{} {path}", method.to_uppercase());
                for (status, response) in op["responses"].as_object().unwrap() {
                    let response = resolve(&doc, response);
                    // A body of another type than JSON (a PDF) is checked by its type alone.
                    if let Some(kind) = response.get("content").and_then(|c| {
                        c.as_object()
                            .and_then(|m| m.keys().find(|k| *k != "application/json").cloned())
                    }) {
                        binary.insert((key.clone(), status.clone()), kind);
                        continue;
                    }
                    let schema = response
                        .get("content")
                        .map(|c| c["application/json"]["schema"].clone());
                    found.push((key.clone(), status.clone(), schema));
                }
            }
        }
        let mut bodies = Vec::new();
        for (_, _, schema) in &found {
            if let Some(s) = schema {
                bodies.push(s.clone());
            }
        }
        doc["x-test-bodies"] = Value::from(bodies);
        let mut compiler = boon::Compiler::new();
        compiler.enable_format_assertions();
        compiler.add_resource(DOC_URL, doc.clone()).unwrap();
        let mut schemas = boon::Schemas::new();
        let mut responses = BTreeMap::new();
        let mut n = 0;
        for (key, status, schema) in found {
            let index = match schema {
                Some(_) => {
                    let loc = format!("{DOC_URL}#/x-test-bodies/{n}");
                    n += 1;
                    Some(
                        compiler
                            .compile(&loc, &mut schemas)
                            .unwrap_or_else(|e| panic!("{key} {status}: {e:#}")),
                    )
                }
                None => None,
            };
            responses.insert((key, status), index);
        }
        Checker {
            base: base.to_string(),
            binary,
            doc,
            schemas,
            responses,
            seen: BTreeMap::new(),
            anonymous: BTreeSet::new(),
            failures: Vec::new(),
        }
    }

    /// Every operation of the document, as `METHOD /path/{param}`.
    fn operations(&self) -> Vec<String> {
        let mut ops = Vec::new();
        for (path, item) in self.doc["paths"].as_object().unwrap() {
            for method in METHODS {
                if item.get(method).is_some() {
                    ops.push(format!("{} {path}", method.to_uppercase()));
                }
            }
        }
        ops
    }

    fn operation(&self, op: &str) -> &Value {
        let (method, path) = op.split_once(' ').unwrap();
        self.doc["paths"][path]
            .get(method.to_lowercase())
            .unwrap_or_else(|| panic!("{op} is not in the document"))
    }

    /// Calls `op` (`METHOD /path/{param}`) with its path parameters in order, a query string
    /// and a JSON body, and checks the answer against the document.
    async fn call(
        &mut self,
        who: &Auth,
        op: &str,
        args: &[&dyn std::fmt::Display],
        query: &str,
        body: Option<Value>,
    ) -> Answer {
        self.send(who, op, args, query, body.map(Payload::Json))
            .await
    }

    /// Calls `op` as [`Checker::call`] does, with a JSON body or a body of another type.
    async fn send(
        &mut self,
        who: &Auth,
        op: &str,
        args: &[&dyn std::fmt::Display],
        query: &str,
        body: Option<Payload>,
    ) -> Answer {
        let (method, template) = op.split_once(' ').unwrap();
        let mut path = String::new();
        let mut rest = template;
        let mut args = args.iter();
        while let Some(start) = rest.find('{') {
            let end = rest.find('}').unwrap();
            path.push_str(&rest[..start]);
            path.push_str(
                &args
                    .next()
                    .unwrap_or_else(|| panic!("{op}: too few arguments"))
                    .to_string(),
            );
            rest = &rest[end + 1..];
        }
        path.push_str(rest);
        assert!(args.next().is_none(), "{op}: too many arguments");
        let url = if query.is_empty() {
            format!("{}{path}", self.base)
        } else {
            format!("{}{path}?{query}", self.base)
        };
        let mut req = client().request(Method::from_bytes(method.as_bytes()).unwrap(), url);
        match who {
            Auth::Anonymous => {}
            Auth::Cookie { cookie, csrf } => {
                req = req.header("cookie", cookie).header("x-csrf-token", csrf);
            }
            Auth::Bearer(token) => req = req.bearer_auth(token),
        }
        match body {
            Some(Payload::Json(b)) => req = req.json(&b),
            Some(Payload::Raw(bytes, kind)) => req = req.header("content-type", kind).body(bytes),
            None => {}
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap();
        self.seen.entry(op.to_string()).or_default().insert(status);
        if matches!(who, Auth::Anonymous) {
            self.anonymous.insert(op.to_string());
        }
        let body = self.check(op, &path, status, &headers, &text);
        Answer {
            status,
            headers,
            body,
        }
    }

    /// Checks one answer; a mismatch is kept to fail the test at the end with all of them.
    fn check(
        &mut self,
        op: &str,
        path: &str,
        status: u16,
        headers: &HeaderMap,
        text: &str,
    ) -> Value {
        let what = format!("{op} ({path}) answered {status}");
        self.operation(op);
        if let Some(kind) = self.binary.get(&(op.to_string(), status.to_string())) {
            let got = headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            if !got.starts_with(kind.as_str()) {
                self.failures
                    .push(format!("{what} as {got}, documented as {kind}"));
            }
            return Value::Null;
        }
        let Some(schema) = self.responses.get(&(op.to_string(), status.to_string())) else {
            self.failures.push(format!(
                "{what}, a status the document does not list: {text}"
            ));
            return serde_json::from_str(text).unwrap_or(Value::Null);
        };
        let Some(schema) = *schema else {
            if !text.is_empty() {
                self.failures
                    .push(format!("{what} with a body, documented without: {text}"));
            }
            return Value::Null;
        };
        let json_type = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if !json_type {
            self.failures
                .push(format!("{what} without a JSON content type: {headers:?}"));
        }
        let body: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                self.failures
                    .push(format!("{what} with a body that is not JSON ({e}): {text}"));
                return Value::Null;
            }
        };
        if let Err(e) = self.schemas.validate(&body, schema) {
            let mut shown = body.to_string();
            shown.truncate(600);
            self.failures.push(format!(
                "{what}, a body the document refuses: {e:#}\n  body: {shown}"
            ));
        }
        body
    }

    /// Calls and insists on `expected`, so that the journey stops where it went wrong.
    async fn expect(
        &mut self,
        expected: u16,
        who: &Auth,
        op: &str,
        args: &[&dyn std::fmt::Display],
        query: &str,
        body: Option<Value>,
    ) -> Value {
        let a = self.call(who, op, args, query, body).await;
        assert_eq!(
            a.status,
            expected,
            "{op} {args:?}: {}",
            a.body,
            args = args.iter().map(|a| a.to_string()).collect::<Vec<_>>()
        );
        a.body
    }

    /// Signs in by `POST /api/v1/session`.
    async fn sign_in(&mut self, email: &str) -> Auth {
        let a = self
            .call(
                &Auth::Anonymous,
                "POST /api/v1/session",
                &[],
                "",
                Some(json!({"email": email, "password": PASSWORD})),
            )
            .await;
        assert_eq!(a.status, 200, "{email}: {}", a.body);
        let cookie = a.headers["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        Auth::Cookie {
            cookie,
            csrf: a.body["csrf_token"].as_str().unwrap().to_string(),
        }
    }
}

/// A value for each path parameter of an operation that names nothing.
fn placeholders(op: &Value) -> Vec<String> {
    op["parameters"]
        .as_array()
        .map(|ps| {
            ps.iter()
                .filter(|p| p["in"] == "path")
                .map(|p| {
                    if p["schema"]["type"] == "integer" {
                        "987654321".to_string()
                    } else {
                        "no-such-thing".to_string()
                    }
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The token of the last mail's link to `path` for `to`, read from the outbox.
async fn mailed_token(db_url: &str, to: &str, path: &str) -> String {
    let db = connect(db_url).await;
    let body: String = sqlx::query_scalar(
        "SELECT body FROM mail_outbox WHERE to_address = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(to)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    let key = format!("{path}?token=");
    let at = body.find(&key).unwrap() + key.len();
    body[at..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect()
}

fn today() -> String {
    crate::followup::chrono_today()
}

#[tokio::test]
async fn every_operation_answers_as_the_document_says() {
    let app = spawn(true);
    let base = app.base.as_str();
    let db = connect(&app.db_url).await;
    poles_store::demo::load_establishments_if_empty(&db, &poles_store::import::Quiet)
        .await
        .unwrap();
    let mut c = Checker::new(base).await;
    let anon = Auth::Anonymous;

    // The checker is not vacuous: a body its schema refuses is reported.
    let mut json_type = HeaderMap::new();
    json_type.insert(
        "content-type",
        reqwest::header::HeaderValue::from_static("application/json"),
    );
    let op = "GET /api/v1/clusters/{slug}";
    c.check(op, "/x", 404, &json_type, r#"{"error": {"code": 404}}"#);
    assert_eq!(c.failures.len(), 1, "{:?}", c.failures);
    c.failures.clear();

    // 1. Anonymously, every operation: exactly those documented with a security requirement
    //    answer 401, and every answer is as documented (400, 404 … included).
    for op in c.operations() {
        let doc_op = c.operation(&op).clone();
        let args = placeholders(&doc_op);
        let args: Vec<&dyn std::fmt::Display> =
            args.iter().map(|a| a as &dyn std::fmt::Display).collect();
        let body = doc_op.get("requestBody").map(|_| json!({}));
        let a = c.call(&anon, &op, &args, "", body).await;
        let secured = doc_op
            .get("security")
            .and_then(Value::as_array)
            .is_some_and(|s| !s.is_empty());
        assert_eq!(
            a.status == 401,
            secured,
            "{op}: anonymously {} ({}), documented {}",
            a.status,
            a.body,
            if secured {
                "as needing a sign-in"
            } else {
                "as public"
            }
        );
    }

    // 2. The public registry and programme.
    let list = c
        .expect(
            200,
            &anon,
            "GET /api/v1/clusters",
            &[],
            "limit=3&offset=1",
            None,
        )
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 3);
    c.expect(400, &anon, "GET /api/v1/clusters", &[], "limit=501", None)
        .await;
    c.expect(
        200,
        &anon,
        "GET /api/v1/clusters/{slug}",
        &[&"minalogic"],
        "",
        None,
    )
    .await;
    let orgs = c
        .expect(
            200,
            &anon,
            "GET /api/v1/organisations",
            &[],
            "country=FR&limit=3",
            None,
        )
        .await;
    let org = orgs["items"][0]["id"].as_i64().unwrap();
    c.expect(
        200,
        &anon,
        "GET /api/v1/organisations/{id}",
        &[&org],
        "",
        None,
    )
    .await;
    let projects = c
        .expect(
            200,
            &anon,
            "GET /api/v1/projects",
            &[],
            "q=graphene&limit=3",
            None,
        )
        .await;
    let project = projects["items"][0]["id"].as_i64().unwrap();
    let project_partner: i64 = sqlx::query_scalar(
        "SELECT organisation_id FROM project_partners ORDER BY project_id, organisation_id LIMIT 1",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    c.expect(
        200,
        &anon,
        "GET /api/v1/projects/{id}",
        &[&project],
        "",
        None,
    )
    .await;
    for op in [
        "GET /api/v1/partnerships",
        "GET /api/v1/programme/figures",
        "GET /api/v1/sectors",
        "GET /api/v1/regions",
        "GET /api/v1/news",
        "GET /api/v1/events",
        "GET /api/v1/calls",
        "GET /api/v1/funded-projects",
        "GET /api/v1/budgets",
        "GET /api/v1/relief/rules",
    ] {
        c.expect(200, &anon, op, &[], "", None).await;
    }
    c.expect(
        200,
        &anon,
        "GET /api/v1/search",
        &[],
        "q=minalogic&limit=5",
        None,
    )
    .await;
    c.expect(
        200,
        &anon,
        "POST /api/v1/recommendations/partners",
        &[],
        "",
        Some(json!({"partners": [project_partner], "topic": "LCE-10-2016", "limit": 5})),
    )
    .await;
    c.expect(
        200,
        &anon,
        "GET /api/v1/communes",
        &[],
        "postcode=38000",
        None,
    )
    .await;
    c.expect(
        200,
        &anon,
        "GET /api/v1/rd-zones",
        &[],
        "postcode=38000",
        None,
    )
    .await;
    c.expect(
        200,
        &anon,
        "GET /api/v1/clusters/{slug}/rd-zone",
        &[&"minalogic"],
        "",
        None,
    )
    .await;
    c.expect(
        200,
        &anon,
        "GET /api/v1/calls/{slug}",
        &[&"fui-25"],
        "",
        None,
    )
    .await;
    c.expect(
        200,
        &anon,
        "GET /api/v1/calls/{slug}/envelopes",
        &[&"fui-25"],
        "",
        None,
    )
    .await;
    c.expect(200, &anon, "POST /api/v1/calls/{slug}/check", &[&"fui-25"], "", Some(json!({
        "partners": [
            {"name": "PME A", "kind": "sme", "lead": true, "in_labelling_territory": true, "in_lead_territory": true,
             "costs": {"staff": 80_000_000, "equipment": 20_000_000, "subcontracting": 0, "overheads": 0}},
            {"name": "Labo D", "kind": "public_research", "in_labelling_territory": true,
             "costs": {"staff": 50_000_000, "equipment": 0, "subcontracting": 0, "overheads": 0}}
        ],
        "labellings": [{"cluster": "minalogic", "lead": true, "labelled": true, "decided_on": "2018-01-10"}]
    }))).await;
    c.expect(200, &anon, "POST /api/v1/simulate", &[], "", Some(json!({
        "size": "sme", "staff": 40, "turnover_cents": 600_000_000, "balance_sheet_cents": 400_000_000,
        "founded_on": "1990-01-01", "rd_share_bp": 1000, "rd_staff": 0, "rd_wages_cents": 0,
        "profits_cents": [100_000_000], "flat_tax_cents": 375_000, "start": "2008-01-01", "postcode": "38000",
        "years": 3
    }))).await;

    // 3. Accounts: an admin signs in by cookie and makes an API token, used from then on.
    make_user(&app, "oa-admin@test.invalid", "admin", None).await;
    let admin_cookie = c.sign_in("oa-admin@test.invalid").await;
    c.expect(200, &admin_cookie, "GET /api/v1/me", &[], "", None)
        .await;
    c.expect(200, &admin_cookie, "GET /api/v1/me/sessions", &[], "", None)
        .await;
    c.expect(200, &admin_cookie, "GET /api/v1/me/data", &[], "", None)
        .await;
    let t = c
        .expect(
            201,
            &admin_cookie,
            "POST /api/v1/tokens",
            &[],
            "",
            Some(json!({"name": "oa", "scope": "write"})),
        )
        .await;
    let admin = Auth::Bearer(t["token"].as_str().unwrap().to_string());
    // A token cannot make tokens: that takes the session.
    c.expect(
        403,
        &admin,
        "POST /api/v1/tokens",
        &[],
        "",
        Some(json!({"name": "escalate"})),
    )
    .await;
    let spare = c
        .expect(
            201,
            &admin_cookie,
            "POST /api/v1/tokens",
            &[],
            "",
            Some(json!({"name": "spare"})),
        )
        .await;
    c.expect(200, &admin, "GET /api/v1/tokens", &[], "", None)
        .await;
    c.expect(
        204,
        &admin_cookie,
        "DELETE /api/v1/tokens/{id}",
        &[&spare["id"]],
        "",
        None,
    )
    .await;
    c.expect(200, &admin, "GET /api/v1/users", &[], "", None)
        .await;
    let u = c
        .expect(
            201,
            &admin,
            "POST /api/v1/users",
            &[],
            "",
            Some(json!({
        "email": "oa-new@test.invalid", "password": PASSWORD, "grants": [{"role": "reviewer"}]})),
        )
        .await;
    let uid = u["id"].as_i64().unwrap();
    let grant = json!({"role": "cluster_manager", "scope": "minalogic"});
    c.expect(
        204,
        &admin,
        "POST /api/v1/users/{id}/roles",
        &[&uid],
        "",
        Some(grant.clone()),
    )
    .await;
    c.expect(
        204,
        &admin,
        "DELETE /api/v1/users/{id}/roles",
        &[&uid],
        "",
        Some(grant),
    )
    .await;
    c.expect(
        204,
        &admin,
        "PUT /api/v1/users/{id}/status",
        &[&uid],
        "",
        Some(json!({"disabled": true, "reason": "test"})),
    )
    .await;
    c.expect(
        204,
        &admin,
        "PUT /api/v1/users/{id}/status",
        &[&uid],
        "",
        Some(json!({"disabled": false})),
    )
    .await;
    c.expect(
        200,
        &admin,
        "GET /api/v1/audit",
        &[],
        "limit=5&offset=0",
        None,
    )
    .await;

    // One's own account: a second factor, a new password, signing out, erasure.
    for who in ["oa-totp", "oa-password", "oa-erase"] {
        make_user(&app, &format!("{who}@test.invalid"), "", None).await;
    }
    let me = c.sign_in("oa-totp@test.invalid").await;
    let setup = c
        .expect(200, &me, "POST /api/v1/me/totp", &[], "", None)
        .await;
    let secret = poles_core::totp::base32_decode(setup["secret"].as_str().unwrap()).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let code = format!("{:06}", poles_core::totp::hotp(&secret, now / 30));
    c.expect(
        204,
        &me,
        "POST /api/v1/me/totp/confirm",
        &[],
        "",
        Some(json!({"code": code})),
    )
    .await;
    let me = c.sign_in("oa-password@test.invalid").await;
    c.expect(
        204,
        &me,
        "PUT /api/v1/me/password",
        &[],
        "",
        Some(json!({
        "current_password": PASSWORD, "new_password": "another long enough passphrase"})),
    )
    .await;
    c.expect(204, &me, "DELETE /api/v1/session", &[], "", None)
        .await;
    let me = c.sign_in("oa-erase@test.invalid").await;
    c.expect(
        204,
        &me,
        "DELETE /api/v1/me",
        &[],
        "",
        Some(json!({"password": PASSWORD})),
    )
    .await;

    // 4. The registry's writes, by token.
    let v = c
        .expect(
            200,
            &anon,
            "GET /api/v1/clusters/{slug}",
            &[&"axelera"],
            "",
            None,
        )
        .await["version"]
        .clone();
    c.expect(
        200,
        &admin,
        "PATCH /api/v1/clusters/{slug}",
        &[&"axelera"],
        "",
        Some(json!({"version": v, "governance": "A board"})),
    )
    .await;
    c.expect(
        409,
        &admin,
        "PATCH /api/v1/clusters/{slug}",
        &[&"axelera"],
        "",
        Some(json!({"version": v, "governance": "Stale"})),
    )
    .await;
    let xerox = poles_store::registry::organisation_id_by_demo_key(&db, "xerox")
        .await
        .unwrap()
        .unwrap();
    let v = c
        .expect(
            200,
            &anon,
            "GET /api/v1/organisations/{id}",
            &[&xerox],
            "",
            None,
        )
        .await["version"]
        .clone();
    c.expect(
        200,
        &admin,
        "PATCH /api/v1/organisations/{id}",
        &[&xerox],
        "",
        Some(json!({"version": v, "competences": "Printing"})),
    )
    .await;
    let news = c
        .expect(
            201,
            &admin,
            "POST /api/v1/news",
            &[],
            "",
            Some(json!({"title_fr": "Titre", "title_en": "Title", "source": "test"})),
        )
        .await;
    c.expect(
        204,
        &admin,
        "DELETE /api/v1/news/{id}",
        &[&news["id"]],
        "",
        None,
    )
    .await;
    c.expect(
        201,
        &admin,
        "POST /api/v1/events",
        &[],
        "",
        Some(json!({"name_fr": "Nom", "name_en": "Name", "source": "test"})),
    )
    .await;
    c.expect(
        204,
        &admin,
        "POST /api/v1/clusters/{slug}/members",
        &[&"axelera"],
        "",
        Some(json!({"organisation_id": org, "role": "member"})),
    )
    .await;
    c.expect(
        204,
        &admin,
        "DELETE /api/v1/clusters/{slug}/members/{organisation_id}",
        &[&"axelera", &org],
        "",
        None,
    )
    .await;
    let p = c
        .expect(
            201,
            &admin,
            "POST /api/v1/clusters/{slug}/partnerships",
            &[&"axelera"],
            "",
            Some(json!({
        "partner": "foreign:oa-partner", "foreign_name": "OA Partner", "foreign_country": "DE"})),
        )
        .await;
    c.expect(
        204,
        &admin,
        "DELETE /api/v1/clusters/{slug}/partnerships/{id}",
        &[&"axelera", &p["id"]],
        "",
        None,
    )
    .await;
    // A partnership proposed by one pôle, confirmed by the other (an admin acts for both),
    // then ended.
    let q = c
        .expect(
            201,
            &admin,
            "POST /api/v1/clusters/{slug}/partnerships",
            &[&"axelera"],
            "",
            Some(json!({"partner": "minalogic", "kind": "mou"})),
        )
        .await;
    c.expect(
        200,
        &admin,
        "GET /api/v1/clusters/{slug}/partnerships/in-progress",
        &[&"minalogic"],
        "",
        None,
    )
    .await;
    c.expect(
        204,
        &admin,
        "POST /api/v1/clusters/{slug}/partnerships/{id}/answer",
        &[&"minalogic", &q["id"]],
        "",
        Some(json!({"accept": true})),
    )
    .await;
    c.expect(
        204,
        &admin,
        "POST /api/v1/clusters/{slug}/partnerships/{id}/end",
        &[&"axelera", &q["id"]],
        "",
        Some(json!({})),
    )
    .await;
    c.expect(201, &admin, "POST /api/v1/clusters/{slug}/labels", &[&"axelera"], "", Some(json!({
        "status": "labelled", "tier": "national", "decision_date": "2019-01-01", "source": "test"}))).await;
    c.expect(
        204,
        &admin,
        "PUT /api/v1/programme/figures/{key}",
        &[&"oa_figure"],
        "",
        Some(json!({
        "key": "x", "label_en": "Test", "label_fr": "Test", "amount_cents": 100, "currency": "EUR",
        "per": "year", "certainty": "U", "source": "test"})),
    )
    .await;

    // 5. A call opened by an officer.
    make_user(&app, "oa-o1@test.invalid", "programme_officer", None).await;
    make_user(&app, "oa-o2@test.invalid", "programme_officer", None).await;
    let o1 = c.sign_in("oa-o1@test.invalid").await;
    let o2 = c.sign_in("oa-o2@test.invalid").await;
    let call = c.expect(201, &o1, "POST /api/v1/calls", &[], "", Some(json!({
        "slug": "oa-call", "name_fr": "Appel", "name_en": "Call", "programme": "FUI",
        "opens_on": crate::support::in_days(-30), "deadline": crate::support::in_days(60), "from_call": "fui-25", "source": "test"}))).await;
    c.expect(
        204,
        &o1,
        "PUT /api/v1/calls/{slug}/rule-set",
        &[&"oa-call"],
        "",
        Some(call["rule_set"].clone()),
    )
    .await;
    c.expect(
        204,
        &o1,
        "PUT /api/v1/calls/{slug}/criteria",
        &[&"oa-call"],
        "",
        Some(json!([
        {"name_fr": "Innovation", "name_en": "Innovation", "weight_bp": 6000},
        {"name_fr": "Retombées", "name_en": "Impact", "weight_bp": 4000}])),
    )
    .await;

    // 6. An application, from draft to submission.
    let orgs: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM organisations WHERE cordis_id IS NOT NULL AND country = 'FR' ORDER BY id LIMIT 4",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let kinds = ["sme", "large_company", "mid_size", "public_research"];
    let mut people = Vec::new();
    for (k, o) in orgs.iter().enumerate() {
        let email = format!("oa-p{k}@test.invalid");
        make_user(&app, &email, "organisation_member", Some(&o.to_string())).await;
        people.push(c.sign_in(&email).await);
    }
    let lead = people[0].clone();
    let a = c
        .expect(
            201,
            &lead,
            "POST /api/v1/calls/{slug}/applications",
            &[&"fui-25"],
            "",
            Some(json!({
        "lead_organisation_id": orgs[0], "acronym": "OAPI", "title": "Project OAPI"})),
        )
        .await;
    let id = a["id"].as_i64().unwrap();
    c.expect(
        200,
        &lead,
        "GET /api/v1/applications/{id}/partner-suggestions",
        &[&id],
        "",
        None,
    )
    .await;
    for o in &orgs[1..] {
        c.expect(
            204,
            &lead,
            "POST /api/v1/applications/{id}/partners",
            &[&id],
            "",
            Some(json!({"organisation_id": o})),
        )
        .await;
    }
    for (k, o) in orgs.iter().enumerate() {
        c.expect(
            204,
            &people[k],
            "POST /api/v1/applications/{id}/partners/{organisation_id}/answer",
            &[&id, o],
            "",
            Some(json!({"accept": true, "declared_kind": kinds[k]})),
        )
        .await;
        c.expect(
            204,
            &lead,
            "PUT /api/v1/applications/{id}/partners/{organisation_id}/budget",
            &[&id, o],
            "",
            Some(crate::applications::budget(
                500_000,
                crate::applications::TOULOUSE,
            )),
        )
        .await;
    }
    let notes = c
        .expect(200, &people[1], "GET /api/v1/inbox", &[], "", None)
        .await;
    let note = notes[0]["id"]
        .as_i64()
        .expect("the invitation is in the partner's inbox");
    c.expect(
        204,
        &people[1],
        "POST /api/v1/inbox/{id}/read",
        &[&note],
        "",
        None,
    )
    .await;
    c.expect(
        204,
        &lead,
        "POST /api/v1/applications/{id}/labelling",
        &[&id],
        "",
        Some(json!({"cluster": "aerospace-valley", "lead": true})),
    )
    .await;
    make_user(
        &app,
        "oa-av@test.invalid",
        "cluster_manager",
        Some("aerospace-valley"),
    )
    .await;
    let manager = c.sign_in("oa-av@test.invalid").await;
    c.expect(
        200,
        &manager,
        "GET /api/v1/clusters/{slug}/labelling-requests",
        &[&"aerospace-valley"],
        "",
        None,
    )
    .await;
    c.expect(
        200,
        &manager,
        "GET /api/v1/clusters/{slug}/labelling-queue",
        &[&"aerospace-valley"],
        "status=requested",
        None,
    )
    .await;
    c.expect(
        200,
        &lead,
        "GET /api/v1/me/applications",
        &[],
        "sort=acronym",
        None,
    )
    .await;
    c.expect(
        204,
        &manager,
        "POST /api/v1/applications/{id}/labelling/{cluster}",
        &[&id, &"aerospace-valley"],
        "",
        Some(json!({"labelled": true})),
    )
    .await;
    c.expect(
        200,
        &lead,
        "GET /api/v1/applications/{id}",
        &[&id],
        "",
        None,
    )
    .await;
    let e = c
        .expect(
            200,
            &lead,
            "POST /api/v1/applications/{id}/submit",
            &[&id],
            "",
            None,
        )
        .await;
    assert_eq!(e["eligible"], true, "{e}");

    // 6b. Ways out: every submission kept; reopened (refused from draft) and resubmitted;
    // other applications withdrawn, declared ineligible and rejected; a proposal withdrawn by
    // its proposer and one rejected by another officer.
    c.expect(
        200,
        &lead,
        "GET /api/v1/applications/{id}/submissions",
        &[&id],
        "",
        None,
    )
    .await;
    c.expect(
        204,
        &lead,
        "POST /api/v1/applications/{id}/reopen",
        &[&id],
        "",
        None,
    )
    .await;
    let e = c
        .expect(
            409,
            &lead,
            "POST /api/v1/applications/{id}/reopen",
            &[&id],
            "",
            None,
        )
        .await;
    assert_eq!(e["error"]["code"], "illegal_transition", "{e}");
    c.expect(
        200,
        &lead,
        "POST /api/v1/applications/{id}/submit",
        &[&id],
        "",
        None,
    )
    .await;
    let mut others = Vec::new();
    for prefix in ["oa-w", "oa-i", "oa-x"] {
        others.push(crate::applications::submitted_on(&app, "fui-25", prefix, 100_000).await);
    }
    let w_lead = c.sign_in("oa-w-p0@test.invalid").await;
    c.expect(
        204,
        &w_lead,
        "POST /api/v1/applications/{id}/withdraw",
        &[&others[0]],
        "",
        Some(json!({"reason": "The consortium split"})),
    )
    .await;
    let e = c
        .expect(
            400,
            &o1,
            "POST /api/v1/applications/{id}/ineligible",
            &[&others[1]],
            "",
            Some(json!({})),
        )
        .await;
    assert_eq!(e["error"]["field"], "reason", "{e}");
    let p = c.expect(201, &o1, "POST /api/v1/applications/{id}/proposals", &[&others[2]], "", Some(json!({"lines": [
        {"funder": "state", "amount_cents": 1_000_000}, {"funder": "region", "amount_cents": 1_000_000}]}))).await;
    c.expect(
        204,
        &o1,
        "POST /api/v1/proposals/{id}/withdraw",
        &[&p["id"]],
        "",
        Some(json!({"reason": "Amounts to revise"})),
    )
    .await;
    let p = c.expect(201, &o1, "POST /api/v1/applications/{id}/proposals", &[&others[2]], "", Some(json!({"lines": [
        {"funder": "state", "amount_cents": 1_000_000}, {"funder": "region", "amount_cents": 1_000_000}]}))).await;
    c.expect(
        204,
        &o2,
        "POST /api/v1/proposals/{id}/reject",
        &[&p["id"]],
        "",
        Some(json!({"reason": "Over the regional share"})),
    )
    .await;
    c.expect(
        204,
        &o1,
        "POST /api/v1/applications/{id}/ineligible",
        &[&others[1]],
        "",
        Some(json!({"reason": "No label before the deadline"})),
    )
    .await;
    c.expect(
        204,
        &o1,
        "POST /api/v1/applications/{id}/reject",
        &[&others[2]],
        "",
        Some(json!({"reason": "Weak impact"})),
    )
    .await;

    // 7. Review and selection.
    let r1 = make_user(&app, "oa-r1@test.invalid", "reviewer", None).await;
    let r2 = make_user(&app, "oa-r2@test.invalid", "reviewer", None).await;
    for r in [r1, r2] {
        c.expect(
            204,
            &o1,
            "POST /api/v1/applications/{id}/reviewers",
            &[&id],
            "",
            Some(json!({"reviewer_id": r})),
        )
        .await;
    }
    let rev1 = c.sign_in("oa-r1@test.invalid").await;
    let rev2 = c.sign_in("oa-r2@test.invalid").await;
    c.expect(
        200,
        &rev1,
        "GET /api/v1/me/reviews",
        &[],
        "done=false",
        None,
    )
    .await;
    c.expect(
        200,
        &o1,
        "GET /api/v1/calls/{slug}/worklist",
        &[&"oa-call"],
        "",
        None,
    )
    .await;
    c.expect(
        200,
        &rev1,
        "GET /api/v1/applications/{id}/review",
        &[&id],
        "",
        None,
    )
    .await;
    c.expect(
        204,
        &rev1,
        "POST /api/v1/applications/{id}/review",
        &[&id],
        "",
        Some(json!({"scores": [{"criterion": 1, "score": 7, "comment": "Sound"}]})),
    )
    .await;
    c.expect(
        200,
        &rev1,
        "GET /api/v1/applications/{id}/review",
        &[&id],
        "",
        None,
    )
    .await;
    c.expect(
        204,
        &rev2,
        "POST /api/v1/applications/{id}/review/conflict",
        &[&id],
        "",
        Some(json!({"reason": "I advised the lead"})),
    )
    .await;
    c.expect(
        200,
        &o1,
        "GET /api/v1/calls/{slug}/ranking",
        &[&"fui-25"],
        "",
        None,
    )
    .await;
    c.expect(
        204,
        &o1,
        "PUT /api/v1/calls/{slug}/selection",
        &[&"fui-25"],
        "",
        Some(json!({"envelopes": [
        {"funder": "state", "envelope_cents": 1_000_000_000, "budget": ""},
        {"funder": "region", "envelope_cents": 1_000_000_000, "budget": ""}]})),
    )
    .await;
    c.expect(
        200,
        &anon,
        "GET /api/v1/calls/{slug}/envelopes",
        &[&"fui-25"],
        "",
        None,
    )
    .await;
    c.expect(
        200,
        &o1,
        "POST /api/v1/calls/{slug}/optimise",
        &[&"fui-25"],
        "",
        Some(json!({})),
    )
    .await;
    let p = c.expect(201, &o1, "POST /api/v1/applications/{id}/proposals", &[&id], "", Some(json!({"lines": [
        {"funder": "state", "amount_cents": 30_000_000}, {"funder": "region", "amount_cents": 15_000_000}]}))).await;
    let approved = c
        .expect(
            200,
            &o2,
            "POST /api/v1/proposals/{id}/approve",
            &[&p["id"]],
            "",
            None,
        )
        .await;
    assert_eq!(approved["status"], "approved", "{approved}");

    // 8. After the decision.
    c.expect(
        204,
        &lead,
        "PUT /api/v1/applications/{id}/agreement",
        &[&id],
        "",
        Some(json!({"status": "signed"})),
    )
    .await;
    c.expect(
        200,
        &o1,
        "POST /api/v1/applications/{id}/finalise",
        &[&id],
        "",
        None,
    )
    .await;
    c.expect(204, &o1, "PUT /api/v1/applications/{id}/schedule", &[&id], "", Some(json!({"lines": [
        {"organisation_id": orgs[0], "funder": "state", "kind": "advance", "due_on": "2027-01-15", "amount_cents": 10_000_000},
        {"organisation_id": orgs[1], "funder": "state", "kind": "final", "due_on": "2029-01-15", "amount_cents": 20_000_000}]}))).await;
    let claim = c
        .expect(
            201,
            &people[1],
            "POST /api/v1/applications/{id}/claims",
            &[&id],
            "",
            Some(json!({
        "organisation_id": orgs[1], "funder": "state", "kind": "interim", "amount_cents": 5_000_000,
        "expenses_cents": 20_000_000, "statement": "Staff, first months"})),
        )
        .await;
    // Two people release a payment: the proposer cannot release it (409), another can.
    for (status, who) in [(200, &o1), (409, &o1), (200, &o2)] {
        c.expect(
            status,
            who,
            "POST /api/v1/claims/{id}/decision",
            &[&claim["id"]],
            "",
            Some(json!({"pay": true, "paid_on": today()})),
        )
        .await;
    }
    let m = c
        .expect(
            201,
            &lead,
            "POST /api/v1/applications/{id}/milestones",
            &[&id],
            "",
            Some(json!({"title": "Prototype", "due_on": "2028-01-01"})),
        )
        .await;
    c.expect(
        204,
        &lead,
        "POST /api/v1/applications/{id}/milestones/{milestone}/done",
        &[&id, &m["id"]],
        "",
        Some(json!({"done_on": today(), "evidence": "demo"})),
    )
    .await;
    c.expect(
        200,
        &lead,
        "GET /api/v1/applications/{id}/funding",
        &[&id],
        "",
        None,
    )
    .await;
    c.expect(200, &anon, "GET /api/v1/funded-projects", &[], "", None)
        .await;
    c.expect(
        204,
        &o1,
        "PUT /api/v1/applications/{id}/status",
        &[&id],
        "",
        Some(json!({"status": "closed", "reason": "final report accepted"})),
    )
    .await;
    c.expect(
        200,
        &o1,
        "POST /api/v1/calls/{slug}/lapse",
        &[&"fui-25"],
        "",
        Some(json!({})),
    )
    .await;

    // 9. The programme's money.
    let year = &today()[..4];
    c.expect(
        201,
        &o1,
        "POST /api/v1/budgets",
        &[],
        "",
        Some(json!({"code": "oa-line", "funder": "state",
        "funder_kind": "ministry", "name_fr": "Ligne", "name_en": "Line", "programme": "FUI",
        "period_start": format!("{year}-01-01"), "period_end": format!("{year}-12-31"),
        "amount_cents": 1_500_000, "currency": "EUR", "certainty": "U", "source": "test"})),
    )
    .await;
    c.expect(201, &o1, "POST /api/v1/relief/records", &[], "", Some(json!({
        "organisation_id": orgs[0], "scheme": "rd_zone_tax", "granted_on": "2013-12-01", "amount_cents": 100_000}))).await;
    c.expect(
        200,
        &o1,
        "GET /api/v1/relief/records",
        &[],
        &format!("organisation={}", orgs[0]),
        None,
    )
    .await;
    c.expect(
        200,
        &o1,
        "GET /api/v1/relief/caps",
        &[],
        &format!("year=2013&organisation={}", orgs[0]),
        None,
    )
    .await;
    // A typed query that does not parse is refused in the JSON error shape.
    let e = c
        .expect(400, &o1, "GET /api/v1/relief/caps", &[], "year=soon", None)
        .await;
    assert_eq!(e["error"]["code"], "bad_request", "{e}");
    c.expect(200, &o1, "GET /api/v1/budgets", &[], "", None)
        .await;

    // 4. Sign-up and its verification, the reset by mail (the links read from the outbox:
    // this server has no SMTP), organisation claims and the outbox.
    let newcomer = "oa-signup@test.invalid";
    c.expect(
        202,
        &anon,
        "POST /api/v1/signup",
        &[],
        "",
        Some(json!({"email": newcomer, "password": PASSWORD, "display_name": "New"})),
    )
    .await;
    let token = mailed_token(&app.db_url, newcomer, "/verify").await;
    c.expect(
        204,
        &anon,
        "POST /api/v1/signup/verify",
        &[],
        "",
        Some(json!({"token": token})),
    )
    .await;
    c.expect(
        202,
        &anon,
        "POST /api/v1/password-reset",
        &[],
        "",
        Some(json!({"email": newcomer})),
    )
    .await;
    let token = mailed_token(&app.db_url, newcomer, "/reset").await;
    c.expect(
        204,
        &anon,
        "POST /api/v1/password-reset/finish",
        &[],
        "",
        Some(json!({"token": token, "new_password": "oa another long passphrase"})),
    )
    .await;
    let db = connect(&app.db_url).await;
    sqlx::query(
        "INSERT INTO organisations (name, kind, country, siren, source) VALUES ('OA Claimable', 'sme', 'FR', '732829320', 'test')",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    make_user(&app, "oa-claimant@test.invalid", "", None).await;
    let claimant = c.sign_in("oa-claimant@test.invalid").await;
    let k = c
        .expect(
            201,
            &claimant,
            "POST /api/v1/membership-requests",
            &[],
            "",
            Some(json!({"organisation": "732829320", "message": "OA"})),
        )
        .await;
    c.expect(
        200,
        &claimant,
        "GET /api/v1/membership-requests",
        &[],
        "",
        None,
    )
    .await;
    c.expect(
        200,
        &admin,
        "GET /api/v1/membership-requests/pending",
        &[],
        "",
        None,
    )
    .await;
    c.expect(
        204,
        &admin,
        "POST /api/v1/membership-requests/{id}/decision",
        &[&k["id"]],
        "",
        Some(json!({"approve": false, "reason": "OA"})),
    )
    .await;
    c.expect(200, &admin, "GET /api/v1/admin/outbox", &[], "", None)
        .await;

    // 5. Joining a pôle: a company Pôles does not know asks, an officer accepts, its person
    // chooses not to be listed, it leaves, asks again and withdraws.
    let pole = "minalogic";
    let j = c
        .expect(
            201,
            &claimant,
            "POST /api/v1/clusters/{slug}/join-requests",
            &[&pole],
            "",
            Some(json!({"new_name": "OA Nordic AB", "new_country": "SE", "message": "OA"})),
        )
        .await;
    c.expect(200, &claimant, "GET /api/v1/join-requests", &[], "", None)
        .await;
    c.expect(
        200,
        &admin,
        "GET /api/v1/join-requests/pending",
        &[],
        "",
        None,
    )
    .await;
    let j = c
        .expect(
            200,
            &admin,
            "POST /api/v1/join-requests/{id}/decision",
            &[&j["id"]],
            "",
            Some(json!({"decision": "accept"})),
        )
        .await;
    let joined = j["organisation_id"].as_i64().unwrap();
    c.expect(200, &claimant, "GET /api/v1/my/memberships", &[], "", None)
        .await;
    c.expect(
        204,
        &claimant,
        "PUT /api/v1/clusters/{slug}/members/{organisation_id}/visibility",
        &[&pole, &joined],
        "",
        Some(json!({"shown_publicly": false})),
    )
    .await;
    c.expect(
        204,
        &claimant,
        "POST /api/v1/clusters/{slug}/members/{organisation_id}/leave",
        &[&pole, &joined],
        "",
        Some(json!({"reason": "OA"})),
    )
    .await;
    let again = c
        .expect(
            201,
            &claimant,
            "POST /api/v1/clusters/{slug}/join-requests",
            &[&pole],
            "",
            Some(json!({"organisation_id": joined})),
        )
        .await;
    c.expect(
        200,
        &admin,
        "POST /api/v1/clusters/{slug}/members/import",
        &[&pole],
        "",
        Some(json!({"csv": "732829320\nOA Nordic AB\n"})),
    )
    .await;
    // 6. Interest between organisations: one writes, the other accepts.
    let m = c
        .expect(
            201,
            &people[0],
            "POST /api/v1/organisations/{id}/interest",
            &[&orgs[1]],
            "",
            Some(json!({"message": "OpenAPI: shall we work together?"})),
        )
        .await;
    c.expect(200, &people[1], "GET /api/v1/interests", &[], "", None)
        .await;
    c.expect(
        200,
        &people[1],
        "POST /api/v1/interests/{id}/answer",
        &[&m["id"]],
        "",
        Some(json!({"accept": true})),
    )
    .await;
    // 7. A label campaign: opened, a candidacy written and submitted, a committee seated
    // and assigned, marks, a region's opinion, a synthesis, a decision proposed, rejected,
    // proposed again and approved.
    let today = poles_core::Date::today();
    c.expect(200, &anon, "GET /api/v1/label-campaigns", &[], "", None)
        .await;
    c.expect(
        201,
        &o1,
        "POST /api/v1/label-campaigns",
        &[],
        "",
        Some(json!({
            "slug": "oa-phase", "phase": "V", "name_en": "OA", "name_fr": "OA",
            "opens_on": today.add_days(-1).to_string(), "closes_on": today.add_days(10).to_string(),
            "label_from": today.add_days(30).to_string(), "label_until": today.add_days(400).to_string(),
            "criteria": [{"name_en": "A", "name_fr": "A", "weight": 1, "source_title": "OA"}],
            "outcomes": [{"outcome": "labelled", "months": 12}], "regions": ["76"]
        })),
    )
    .await;
    let (camp, pole) = ("oa-phase", "aerospace-valley");
    c.expect(
        200,
        &manager,
        "PUT /api/v1/label-campaigns/{slug}/candidacies/{pole}",
        &[&camp, &pole],
        "",
        Some(json!({"strategy": "OA", "governance": "OA", "targets": "OA"})),
    )
    .await;
    let pdf = b"%PDF-1.4\n% OpenAPI\n%%EOF\n".to_vec();
    let attach = "POST /api/v1/label-campaigns/{slug}/candidacies/{pole}/documents";
    let first = c
        .send(
            &manager,
            attach,
            &[&camp, &pole],
            "name=oa.pdf",
            Some(Payload::Raw(pdf.clone(), "application/pdf")),
        )
        .await;
    assert_eq!(first.status, 201, "{}", first.body);
    let doc = c
        .send(
            &manager,
            attach,
            &[&camp, &pole],
            "name=oa2.pdf",
            Some(Payload::Raw(pdf, "application/pdf")),
        )
        .await
        .body;
    c.expect(
        204,
        &manager,
        "DELETE /api/v1/label-campaigns/{slug}/candidacies/{pole}/documents/{id}",
        &[&camp, &pole, &doc["id"]],
        "",
        None,
    )
    .await;
    c.expect(
        200,
        &manager,
        "GET /api/v1/label-campaigns/{slug}/candidacies/{pole}/documents/{id}",
        &[&camp, &pole, &first.body["id"]],
        "",
        None,
    )
    .await;
    c.expect(
        200,
        &manager,
        "POST /api/v1/label-campaigns/{slug}/candidacies/{pole}/submit",
        &[&camp, &pole],
        "",
        None,
    )
    .await;
    c.expect(
        200,
        &o1,
        "GET /api/v1/label-campaigns/{slug}/candidacies",
        &[&camp],
        "",
        None,
    )
    .await;
    c.expect(
        204,
        &o1,
        "POST /api/v1/label-campaigns/{slug}/committee",
        &[&camp],
        "",
        Some(json!({"user_id": r1})),
    )
    .await;
    c.expect(
        200,
        &o1,
        "GET /api/v1/label-campaigns/{slug}/committee",
        &[&camp],
        "",
        None,
    )
    .await;
    c.expect(
        204,
        &o1,
        "POST /api/v1/label-campaigns/{slug}/candidacies/{pole}/reviewers",
        &[&camp, &pole],
        "",
        Some(json!({"reviewer_id": r1})),
    )
    .await;
    c.expect(
        200,
        &rev1,
        "PUT /api/v1/label-campaigns/{slug}/candidacies/{pole}/review",
        &[&camp, &pole],
        "",
        Some(json!({"scores": [{"criterion": 1, "score": 7, "comment": "OA"}]})),
    )
    .await;
    make_user(
        &app,
        "oa-occitanie@test.invalid",
        "region_officer",
        Some("76"),
    )
    .await;
    let occitanie = c.sign_in("oa-occitanie@test.invalid").await;
    c.expect(
        204,
        &occitanie,
        "PUT /api/v1/label-campaigns/{slug}/candidacies/{pole}/opinion",
        &[&camp, &pole],
        "",
        Some(json!({"opinion": "favourable"})),
    )
    .await;
    c.expect(
        204,
        &o1,
        "PUT /api/v1/label-campaigns/{slug}/candidacies/{pole}/synthesis",
        &[&camp, &pole],
        "",
        Some(json!({"synthesis": "OA"})),
    )
    .await;
    c.expect(
        200,
        &o1,
        "GET /api/v1/label-campaigns/{slug}/candidacies/{pole}",
        &[&camp, &pole],
        "",
        None,
    )
    .await;
    let decision = json!({"cluster": pole, "outcome": "labelled", "legal_act": "OA", "act_date": today.to_string()});
    let d = c
        .expect(
            201,
            &o1,
            "POST /api/v1/label-campaigns/{slug}/decisions",
            &[&camp],
            "",
            Some(decision.clone()),
        )
        .await;
    c.expect(
        200,
        &o2,
        "POST /api/v1/label-decisions/{id}/rejection",
        &[&d["id"]],
        "",
        Some(json!({"reason": "OA"})),
    )
    .await;
    let d = c
        .expect(
            201,
            &o1,
            "POST /api/v1/label-campaigns/{slug}/decisions",
            &[&camp],
            "",
            Some(decision),
        )
        .await;
    c.expect(
        200,
        &o2,
        "POST /api/v1/label-decisions/{id}/approval",
        &[&d["id"]],
        "",
        None,
    )
    .await;
    c.expect(
        201,
        &manager,
        "POST /api/v1/clusters/{slug}/esca-labels",
        &[&pole],
        "",
        Some(json!({"level": "bronze", "awarded_on": today.to_string(), "source_title": "OA"})),
    )
    .await;
    c.expect(
        200,
        &anon,
        "GET /api/v1/clusters/{slug}/european-profile",
        &[&pole],
        "",
        None,
    )
    .await;
    c.expect(
        200,
        &o1,
        "PUT /api/v1/clusters/{slug}/performance/targets",
        &[&pole],
        "",
        Some(json!({"targets": [{"indicator": "members", "target": 100}]})),
    )
    .await;
    c.expect(
        200,
        &manager,
        "PUT /api/v1/clusters/{slug}/performance/values",
        &[&pole],
        "",
        Some(json!({"year": 2025, "indicator": "money_raised_cents", "value": 100, "source_title": "OA"})),
    )
    .await;
    c.expect(
        200,
        &anon,
        "GET /api/v1/clusters/{slug}/performance",
        &[&pole],
        "phase=V",
        None,
    )
    .await;
    c.expect(
        200,
        &anon,
        "GET /api/v1/performance",
        &[],
        "year=2025",
        None,
    )
    .await;
    c.expect(
        200,
        &anon,
        "GET /api/v1/label-campaigns/{slug}",
        &[&camp],
        "",
        None,
    )
    .await;
    c.expect(
        204,
        &claimant,
        "POST /api/v1/join-requests/{id}/withdraw",
        &[&again["id"]],
        "",
        None,
    )
    .await;

    // 8. Regional specialisation: the registries, a sector's table, regions side by side,
    // a pôle's territory.
    c.expect(
        200,
        &anon,
        "GET /api/v1/specialisation/datasets",
        &[],
        "",
        None,
    )
    .await;
    c.expect(
        200,
        &anon,
        "GET /api/v1/specialisation",
        &[],
        "dataset=generated-france&grouping=division&sector=62",
        None,
    )
    .await;
    c.expect(
        200,
        &anon,
        "GET /api/v1/specialisation/compare",
        &[],
        "regions=84,11,76",
        None,
    )
    .await;
    c.expect(
        200,
        &anon,
        "GET /api/v1/clusters/{slug}/territory",
        &[&"aerospace-valley"],
        "",
        None,
    )
    .await;

    c.expect(200, &anon, "GET /api/v1/open-data", &[], "", None)
        .await;
    c.expect(200, &anon, "GET /api/v1/eu-funds", &[], "", None)
        .await;

    // Every answer was as documented …
    assert!(
        c.failures.is_empty(),
        "{} answers disagree with the document:\n{}",
        c.failures.len(),
        c.failures.join("\n")
    );
    // … and every operation was driven, anonymously and to a success.
    let skipped: BTreeMap<&str, &str> = SKIPPED.iter().copied().collect();
    let mut missing = Vec::new();
    for op in c.operations() {
        let succeeded = c
            .seen
            .get(&op)
            .is_some_and(|s| s.iter().any(|s| (200..300).contains(s)));
        if !c.anonymous.contains(&op) {
            missing.push(format!("{op}: never called anonymously"));
        }
        match (succeeded, skipped.get(op.as_str())) {
            (false, None) => missing.push(format!(
                "{op}: never answered with a success (seen {:?}); drive it or list it in SKIPPED with the reason",
                c.seen.get(&op)
            )),
            (true, Some(_)) => missing.push(format!("{op}: listed in SKIPPED but driven: unlist it")),
            _ => {}
        }
    }
    for op in skipped.keys() {
        if !c.operations().iter().any(|o| o == op) {
            missing.push(format!("{op}: listed in SKIPPED but not in the document"));
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}
