//! Backup and restore: the drill (a backup under write load restores every write
//! acknowledged before it, whole and with its audit chain intact), damaged files and
//! non-empty targets refused with nothing written, and the move between SQLite and
//! PostgreSQL.

use crate::accounts::{make_user, PASSWORD};
use crate::support::{
    client, connect, fresh_db, fresh_postgres_db, fresh_sqlite_db, postgres_url, spawn, temp_path,
    App,
};
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use poles_store::backup::{self, Summary};
use poles_store::import::Quiet;
use poles_store::{audit, edits, Db};
use serde_json::{json, Value};
use sha2::Digest;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A signed-in API client: its session cookie and CSRF token.
struct Session {
    cookie: String,
    csrf: String,
}

async fn sign_in(app: &App, email: &str) -> Session {
    let r = client()
        .post(format!("{}/api/v1/session", app.base))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "sign-in of {email}");
    let cookie = r.headers()["set-cookie"].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_string();
    let body: Value = r.json().await.unwrap();
    Session {
        cookie,
        csrf: body["csrf_token"].as_str().unwrap().to_string(),
    }
}

/// Runs the `poles` binary on a database; its success and its standard error.
async fn poles(db_url: &str, args: &[&str]) -> (bool, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_poles"))
        .arg("--database-url")
        .arg(db_url)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .await
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// Rows of every table but the rows a migration seeds: zero in a database restore may use.
async fn data_rows(db: &Db, summary: &Summary) -> i64 {
    let mut n = 0;
    for (table, _) in &summary.tables {
        let sql = if table == "meta" {
            "SELECT COUNT(*) FROM meta WHERE key <> 'write_lock'".to_string()
        } else {
            format!("SELECT COUNT(*) FROM {table}")
        };
        n += sqlx::query_scalar::<_, i64>(&sql)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    }
    n
}

/// Every table's row count equals the backup's.
async fn assert_counts(db: &Db, summary: &Summary) {
    for (table, rows) in &summary.tables {
        // The data version (a counter of writes for the servers' caches, and its time) and the search
        // index's version (restore builds the index) are not backed up.
        let only_data = if table == "meta" {
            " WHERE key NOT IN ('data_version', 'data_changed_at', 'search_index_version')"
        } else {
            ""
        };
        let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}{only_data}"))
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert_eq!(n as u64, *rows, "rows of {table}");
    }
}

/// The lines of a backup, decompressed.
fn lines(path: &Path) -> Vec<String> {
    let mut text = String::new();
    GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    text.lines().map(str::to_string).collect()
}

/// Writes `lines` as a backup, with a trailer whose checksum matches them (as a careful
/// forger or a bug would).
fn write_resealed(path: &Path, lines: &[String]) {
    let (body, trailer) = lines.split_at(lines.len() - 1);
    let mut content = String::new();
    for l in body {
        content.push_str(l);
        content.push('\n');
    }
    let mut trailer: Value = serde_json::from_str(&trailer[0]).unwrap();
    trailer["end"]["sha256"] = Value::String(
        sha2::Sha256::digest(content.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
    );
    content.push_str(&trailer.to_string());
    content.push('\n');
    write_gz(path, content.as_bytes());
}

fn write_gz(path: &Path, bytes: &[u8]) {
    let mut gz = GzEncoder::new(std::fs::File::create(path).unwrap(), Default::default());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap();
}

/// A backup's rows per table, each row as the JSON of its columns by name, sorted: equal for
/// two backups of the same data, whichever backend each was taken on.
fn contents(path: &Path) -> BTreeMap<String, Vec<String>> {
    let lines = lines(path);
    let header: Value = serde_json::from_str(&lines[0]).unwrap();
    let columns: BTreeMap<String, Vec<String>> = header["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let cols = t["columns"].as_array().unwrap();
            (
                t["name"].as_str().unwrap().to_string(),
                cols.iter()
                    .map(|c| c.as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect();
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut current = String::new();
    for l in &lines[1..lines.len() - 1] {
        let v: Value = serde_json::from_str(l).unwrap();
        if let Some(t) = v.get("table") {
            current = t.as_str().unwrap().to_string();
            out.entry(current.clone()).or_default();
        } else {
            let row: BTreeMap<&str, &Value> = columns[&current]
                .iter()
                .map(String::as_str)
                .zip(v.as_array().unwrap())
                .collect();
            out.get_mut(&current)
                .unwrap()
                .push(serde_json::to_string(&row).unwrap());
        }
    }
    for rows in out.values_mut() {
        rows.sort();
    }
    out
}

/// An acknowledged write of the load.
struct Acked {
    kind: &'static str,
    id: i64,
    sent: Instant,
    acked: Instant,
}

/// The restore drill: clients write news and events through the API while the CLI takes a
/// backup; the backup restores into a new database with every write acknowledged before it
/// started, its counts, and an audit chain that verifies. Prints the drill's figures.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_under_write_load_restores_every_acknowledged_write() {
    let app = spawn(true);
    make_user(&app, "drill@test.invalid", "admin", None).await;
    let session = Arc::new(sign_in(&app, "drill@test.invalid").await);
    let stop = Arc::new(AtomicBool::new(false));
    let acked: Arc<Mutex<Vec<Acked>>> = Arc::default();
    let mut writers = Vec::new();
    for w in 0..6 {
        let (base, session, stop, acked) = (
            app.base.clone(),
            session.clone(),
            stop.clone(),
            acked.clone(),
        );
        writers.push(tokio::spawn(async move {
            let http = client();
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                i += 1;
                let (kind, body) = if i % 2 == 0 {
                    (
                        "news",
                        json!({"title_fr": format!("Drill {w}-{i}"), "title_en": format!("Drill {w}-{i}"), "source": "drill"}),
                    )
                } else {
                    (
                        "events",
                        json!({"name_fr": format!("Drill {w}-{i}"), "name_en": format!("Drill {w}-{i}"), "source": "drill"}),
                    )
                };
                let sent = Instant::now();
                let r = http
                    .post(format!("{base}/api/v1/{kind}"))
                    .header("cookie", &session.cookie)
                    .header("x-csrf-token", &session.csrf)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status().as_u16(), 201, "{kind} written");
                let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
                acked.lock().unwrap().push(Acked {
                    kind,
                    id,
                    sent,
                    acked: Instant::now(),
                });
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let file = temp_path("drill.poles.gz");
    let file_arg = file.to_str().unwrap();
    let t0 = Instant::now();
    let (ok, out) = poles(&app.db_url, &["backup", file_arg]).await;
    let t1 = Instant::now();
    assert!(ok, "backup: {out}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }

    let (target, target_url) = fresh_db().await;
    let t2 = Instant::now();
    let (ok, out) = poles(&target_url, &["restore", file_arg]).await;
    let restore_secs = t2.elapsed().as_secs_f64();
    assert!(ok, "restore: {out}");

    let summary = backup::check(&file).unwrap();
    assert_counts(&target, &summary).await;
    let audit_rows = summary
        .tables
        .iter()
        .find(|(t, _)| t == "audit_log")
        .unwrap()
        .1;
    assert_eq!(
        audit::verify(&target).await.unwrap(),
        Ok(audit_rows),
        "the restored audit chain verifies"
    );
    let news: Vec<i64> = sqlx::query_scalar("SELECT id FROM news")
        .fetch_all(&target.pool)
        .await
        .unwrap();
    let events: Vec<i64> = sqlx::query_scalar("SELECT id FROM events")
        .fetch_all(&target.pool)
        .await
        .unwrap();
    let present = |w: &Acked| match w.kind {
        "news" => news.contains(&w.id),
        _ => events.contains(&w.id),
    };
    let acked = std::mem::take(&mut *acked.lock().unwrap());
    let before: Vec<&Acked> = acked.iter().filter(|w| w.acked < t0).collect();
    let after: Vec<&Acked> = acked.iter().filter(|w| w.sent > t1).collect();
    let during = acked.len() - before.len() - after.len();
    assert!(
        before.len() > 10,
        "a real load before the backup: {}",
        before.len()
    );
    assert!(!after.is_empty(), "the load went on after the backup");
    for w in &before {
        assert!(
            present(w),
            "{} {} acknowledged before the backup is restored",
            w.kind,
            w.id
        );
    }
    for w in &after {
        assert!(
            !present(w),
            "{} {} sent after the backup is not in it",
            w.kind,
            w.id
        );
    }
    // Every restored item came with its audit row: one snapshot, not a torn read.
    let unaudited: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM news n WHERE n.source = 'drill' AND NOT EXISTS \
         (SELECT 1 FROM audit_log a WHERE a.object_kind = 'news' \
          AND a.object_ref = CAST(n.id AS TEXT) AND a.action = 'news.create')",
    )
    .fetch_one(&target.pool)
    .await
    .unwrap();
    assert_eq!(unaudited, 0);

    // The restored database takes new writes (PostgreSQL's identities were moved on) …
    let id = edits::create_news(
        &target,
        &audit::Context::default(),
        &edits::NewNews {
            cluster: None,
            published_on: None,
            title_fr: "Après".into(),
            title_en: "After".into(),
            body_fr: None,
            body_en: None,
            source: "drill".into(),
        },
    )
    .await
    .unwrap();
    assert!(news.iter().all(|n| *n < id));
    // … and backs up to the same rows, the new one aside.
    let again = temp_path("again.poles.gz");
    sqlx::query("DELETE FROM news WHERE id = $1")
        .bind(id)
        .execute(&target.pool)
        .await
        .unwrap();
    let second = backup::backup(&target, &again, &Quiet).await.unwrap();
    let mut first = contents(&file);
    let mut second_rows = contents(&again);
    for c in [&mut first, &mut second_rows] {
        c.remove("audit_log");
        c.remove("audit_personal");
    }
    assert_eq!(first, second_rows);
    assert_eq!(second.rows(), summary.rows() + 2, "two audit rows more");

    eprintln!(
        "backup drill on {}: {} rows in {} tables ({} bytes gzip'd); backup {:.2} s under a load \
         of 6 clients ({} writes acknowledged before it, {} during it, {} after it); restore \
         {:.2} s; audit chain of {} rows verified",
        target.backend.name(),
        summary.rows(),
        summary.tables.len(),
        std::fs::metadata(&file).unwrap().len(),
        (t1 - t0).as_secs_f64(),
        before.len(),
        during,
        after.len(),
        restore_secs,
        audit_rows
    );
}

/// A small database with audited writes and an organisation whose parent has a higher id,
/// inserted a batch later (a self reference restore must set once its target is in).
async fn small_source() -> (App, Db) {
    let app = spawn(false);
    make_user(&app, "small@test.invalid", "programme_officer", None).await;
    let s = sign_in(&app, "small@test.invalid").await;
    for n in 0..3 {
        let r = client()
            .post(format!("{}/api/v1/news", app.base))
            .header("cookie", &s.cookie)
            .header("x-csrf-token", &s.csrf)
            .json(&json!({"title_fr": format!("N{n}"), "title_en": format!("N{n}"), "source": "test"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 201);
    }
    let db = connect(&app.db_url).await;
    // The child first, its parent more than one insert batch later.
    let mut tx = db.pool.begin().await.unwrap();
    for id in (900_001_i64..=900_601).chain([900_700]) {
        sqlx::query(
            "INSERT INTO organisations (id, name, kind, source) VALUES ($1, $2, 'company', 'test')",
        )
        .bind(id)
        .bind(format!("Organisation {id}"))
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    sqlx::query("UPDATE organisations SET parent_id = 900700 WHERE id = 900001")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    (app, db)
}

#[tokio::test]
async fn a_damaged_backup_is_refused_and_leaves_the_target_empty() {
    let (_app, source) = small_source().await;
    let good = temp_path("good.poles.gz");
    let summary = backup::backup(&source, &good, &Quiet).await.unwrap();
    assert!(summary.rows() > 10);
    let (target, target_url) = fresh_db().await;
    let good_lines = lines(&good);

    let mut damaged = Vec::new();
    // Cut in the middle of the gzip stream.
    let bytes = std::fs::read(&good).unwrap();
    let cut = temp_path("cut.poles.gz");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    damaged.push(("cut", cut, "cut short"));
    // Not a backup at all.
    let junk = temp_path("junk.poles.gz");
    std::fs::write(&junk, b"id,name\n1,x\n").unwrap();
    damaged.push(("junk", junk, "not a Pôles backup"));
    // Whole lines lost at the end: no trailer.
    let short = temp_path("short.poles.gz");
    let mut text = good_lines[..good_lines.len() - 1].join("\n");
    text.push('\n');
    write_gz(&short, text.as_bytes());
    damaged.push(("no trailer", short, "cut short"));
    // A value changed inside: the checksum no longer matches.
    let edited = temp_path("edited.poles.gz");
    let mut text = good_lines.join("\n").replacen("\"N1\"", "\"N9\"", 1);
    assert!(text.contains("N9"));
    text.push('\n');
    write_gz(&edited, text.as_bytes());
    damaged.push(("edited", edited, "checksum"));
    // Resealed with another schema version.
    let mut other = good_lines.clone();
    let mut header: Value = serde_json::from_str(&other[0]).unwrap();
    header["schema_version"] = json!(1);
    other[0] = header.to_string();
    let old = temp_path("old.poles.gz");
    write_resealed(&old, &other);
    damaged.push(("old schema", old, "schema version 1"));
    // Resealed, but a news item names a cluster that does not exist: the database refuses
    // it midway, after the tables before it went in — and the whole restore rolls back.
    let mut dangling = good_lines.clone();
    let news_at = dangling
        .iter()
        .position(|l| l == "{\"table\":\"news\"}")
        .unwrap();
    let mut row: Vec<Value> = serde_json::from_str(&dangling[news_at + 1]).unwrap();
    let cluster_col = serde_json::from_str::<Value>(&dangling[0]).unwrap()["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "news")
        .unwrap()["columns"]
        .as_array()
        .unwrap()
        .iter()
        .position(|c| c == "cluster_id")
        .unwrap();
    row[cluster_col] = json!(424_242);
    dangling[news_at + 1] = Value::Array(row).to_string();
    let fk = temp_path("fk.poles.gz");
    write_resealed(&fk, &dangling);
    assert!(backup::check(&fk).is_ok(), "a well-formed file");
    damaged.push(("dangling reference", fk, "database error"));

    for (what, file, expected) in &damaged {
        let err = backup::restore(&target, file, &Quiet).await.unwrap_err();
        assert!(
            err.to_string().contains(expected),
            "{what}: {err} should say {expected:?}"
        );
        assert_eq!(
            data_rows(&target, &summary).await,
            0,
            "{what}: nothing restored"
        );
    }
    // The command line says so and fails.
    let (ok, out) = poles(&target_url, &["restore", damaged[0].1.to_str().unwrap()]).await;
    assert!(!ok);
    assert!(out.contains("cut short"), "{out}");

    // The target is still new: the good file restores into it.
    backup::restore(&target, &good, &Quiet).await.unwrap();
    assert_counts(&target, &summary).await;
    assert!(audit::verify(&target).await.unwrap().is_ok());
    let parent: Option<i64> =
        sqlx::query_scalar("SELECT parent_id FROM organisations WHERE id = 900001")
            .fetch_one(&target.pool)
            .await
            .unwrap();
    assert_eq!(parent, Some(900_700));
    assert_eq!(contents(&good), {
        let again = temp_path("again.poles.gz");
        backup::backup(&target, &again, &Quiet).await.unwrap();
        contents(&again)
    });
}

#[tokio::test]
async fn restoring_into_a_database_that_holds_data_is_refused() {
    let (app, source) = small_source().await;
    let file = temp_path("small.poles.gz");
    let summary = backup::backup(&source, &file, &Quiet).await.unwrap();
    // Into its own source.
    let err = backup::restore(&source, &file, &Quiet).await.unwrap_err();
    assert!(err.to_string().contains("not empty"), "{err}");
    assert_counts(&source, &summary).await;
    // Into a new database where one account was made.
    let (target, target_url) = fresh_db().await;
    let target_app = App {
        base: app.base.clone(),
        db_url: target_url.clone(),
    };
    make_user(&target_app, "early@test.invalid", "reviewer", None).await;
    let err = backup::restore(&target, &file, &Quiet).await.unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("not empty") && msg.contains("users (1 rows)"),
        "{msg}"
    );
    let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(&target.pool)
        .await
        .unwrap();
    assert_eq!(users, 1, "nothing restored beside it");
    let (ok, out) = poles(&target_url, &["restore", file.to_str().unwrap()]).await;
    assert!(!ok && out.contains("not empty"), "{out}");
}

/// SQLite → PostgreSQL → SQLite: the same rows all the way, the audit chain verifying on
/// each. Runs when a PostgreSQL server is given.
#[tokio::test]
async fn a_backup_moves_between_sqlite_and_postgresql() {
    let Some(admin) = postgres_url() else {
        eprintln!("skipped: POLES_TEST_DATABASE_URL names no PostgreSQL server");
        return;
    };
    let (lite, _) = fresh_sqlite_db().await;
    poles_store::demo::load_if_empty(&lite, true, &Quiet)
        .await
        .unwrap()
        .unwrap();
    edits::create_news(
        &lite,
        &audit::Context::default(),
        &edits::NewNews {
            cluster: Some("minalogic".into()),
            published_on: None,
            title_fr: "Déménagement".into(),
            title_en: "Moving".into(),
            body_fr: None,
            body_en: None,
            source: "test".into(),
        },
    )
    .await
    .unwrap();
    let a = temp_path("from-sqlite.poles.gz");
    let t = Instant::now();
    let summary = backup::backup(&lite, &a, &Quiet).await.unwrap();
    let backup_secs = t.elapsed().as_secs_f64();

    let (pg, _) = fresh_postgres_db(&admin).await;
    let t = Instant::now();
    backup::restore(&pg, &a, &Quiet).await.unwrap();
    let restore_secs = t.elapsed().as_secs_f64();
    assert_counts(&pg, &summary).await;
    assert!(audit::verify(&pg).await.unwrap().is_ok());
    let b = temp_path("from-postgres.poles.gz");
    backup::backup(&pg, &b, &Quiet).await.unwrap();

    let (lite2, _) = fresh_sqlite_db().await;
    backup::restore(&lite2, &b, &Quiet).await.unwrap();
    assert!(audit::verify(&lite2).await.unwrap().is_ok());
    let c = temp_path("back-to-sqlite.poles.gz");
    backup::backup(&lite2, &c, &Quiet).await.unwrap();

    let (ca, cb, cc) = (contents(&a), contents(&b), contents(&c));
    assert_eq!(ca, cb, "SQLite → PostgreSQL keeps every row");
    assert_eq!(cb, cc, "PostgreSQL → SQLite keeps every row");
    eprintln!(
        "SQLite → PostgreSQL: {} rows, backup {backup_secs:.2} s on SQLite, restore \
         {restore_secs:.2} s on PostgreSQL",
        summary.rows()
    );
}
