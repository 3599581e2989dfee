//! The store itself, on the backend under test: demo loading, exports, the CORDIS extract.

use crate::support::{connect, fresh_db, shared};
use poles_store::import::Quiet;
use poles_store::{demo, export, import};

#[tokio::test]
async fn demo_loads_once_even_when_two_servers_start_together() {
    let (db, url) = fresh_db().await;
    let other = connect(&url).await;
    // Without CORDIS to keep this test short; the shared app loads everything.
    let (a, b) = tokio::join!(
        demo::load_if_empty(&db, false, &Quiet),
        demo::load_if_empty(&other, false, &Quiet)
    );
    let loaded = [a.expect("first"), b.expect("second")];
    assert_eq!(
        loaded.iter().filter(|r| r.is_some()).count(),
        1,
        "exactly one loads"
    );
    // 64 records of 2005-2007 and the 19 that phase V brings (new pôles, mergers).
    assert_eq!(import::count(&db, "clusters").await.unwrap(), 83);
    assert!(demo::load_if_empty(&db, false, &Quiet)
        .await
        .unwrap()
        .is_none());
    assert!(import::count(&db, "communes").await.unwrap() > 34_000);
}

#[tokio::test]
async fn postcodes_lead_to_communes_and_regions() {
    let db = connect(&shared().db_url).await;
    let communes = poles_store::registry::communes_by_postcode(&db, "38000")
        .await
        .unwrap();
    assert!(communes
        .iter()
        .any(|c| c.name == "Grenoble" && c.department == "38" && c.region == "84"));
}

#[tokio::test]
async fn exports_hold_every_public_table_and_mark_every_column() {
    let db = connect(&shared().db_url).await;
    // A column added to an exported table must be marked public or private.
    for (table, public) in export::PUBLIC_COLUMNS {
        // From the catalog: a table may hold no row in the demo (past memberships).
        let catalog = match db.backend {
            poles_store::Backend::Sqlite => "SELECT name FROM pragma_table_info($1)",
            poles_store::Backend::Postgres => {
                "SELECT CAST(column_name AS TEXT) FROM information_schema.columns WHERE table_name = $1 AND table_schema = current_schema()"
            }
        };
        let columns: Vec<String> = sqlx::query_scalar(catalog)
            .bind(*table)
            .fetch_all(&db.pool)
            .await
            .unwrap_or_else(|e| panic!("{table}: {e}"));
        assert!(!columns.is_empty(), "{table} has no column");
        let private: &[&str] = export::PRIVATE_COLUMNS
            .iter()
            .find(|(t, _)| t == table)
            .map(|(_, c)| *c)
            .unwrap_or(&[]);
        for name in columns.iter().map(String::as_str) {
            assert!(
                public.contains(&name) || private.contains(&name),
                "{table}.{name} is neither public nor private in export.rs"
            );
        }
    }
    let mut out = Vec::new();
    export::export_json(&db, &mut out).await.unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(doc["clusters"].as_array().unwrap().len(), 83);
    assert_eq!(doc["programme_phases"].as_array().unwrap().len(), 5);
    assert_eq!(doc["cluster_successions"].as_array().unwrap().len(), 19);
    // The programme's budget lines and the (illustrative) R&D zones are open data too.
    assert_eq!(doc["rd_zones"].as_array().unwrap().len(), 64);
    assert!(doc["budget_lines"].as_array().unwrap().len() >= 10);
    assert!(
        doc["organisations"][0].get("demo_key").is_none(),
        "private columns stay out"
    );
    let dir = tempfile::tempdir().unwrap();
    let files = export::export_csv(&db, dir.path()).await.unwrap();
    assert!(files.iter().any(|(t, n)| t == "projects" && *n == 7174));
    let csv = std::fs::read_to_string(dir.path().join("clusters.csv")).unwrap();
    assert!(csv.starts_with("id,slug,name"));
}

#[test]
fn the_shipped_cordis_extract_parses_whole() {
    let data = demo::cordis_data().unwrap();
    assert_eq!(data.projects.len(), 7174);
    assert_eq!(data.organisations.len(), 11210);
    assert_eq!(data.edges.len(), 28034);
    assert!(
        data.rejected.is_empty(),
        "{:?}",
        &data.rejected[..data.rejected.len().min(5)]
    );
}

#[tokio::test]
async fn an_upgraded_demo_gets_its_budgets_and_zones_once() {
    let (db, url) = fresh_db().await;
    // No demo: nothing to complete.
    assert!(!poles_store::funding::load_if_missing(&db).await.unwrap());
    demo::load_if_empty(&db, false, &Quiet)
        .await
        .unwrap()
        .unwrap();
    assert!(!poles_store::funding::load_if_missing(&db).await.unwrap());
    // A demo loaded by a version without budgets and zones.
    for sql in [
        "UPDATE call_funders SET budget_code = NULL",
        "DELETE FROM budget_movements",
        "DELETE FROM budget_lines",
        "DELETE FROM rd_zones",
        "DELETE FROM meta WHERE key = 'funding_loaded'",
    ] {
        sqlx::query(sql).execute(&db.pool).await.unwrap();
    }
    let other = connect(&url).await;
    let (a, b) = tokio::join!(
        poles_store::funding::load_if_missing(&db),
        poles_store::funding::load_if_missing(&other)
    );
    assert_eq!(
        [a.unwrap(), b.unwrap()].iter().filter(|x| **x).count(),
        1,
        "loaded once"
    );
    let zones: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM rd_zones")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(zones, 64);
    // The shipped relief rules are stored, and a changed file under the same version is refused.
    poles_store::funding::ensure_rules(&db).await.unwrap();
    sqlx::query("UPDATE relief_rules SET body = '{}'")
        .execute(&db.pool)
        .await
        .unwrap();
    let e = poles_store::funding::ensure_rules(&db).await.unwrap_err();
    assert!(e.to_string().contains("needs a new version"), "{e}");
}

/// An applied migration edited afterwards is noticed: the next start refuses the database,
/// naming the migration, and leaves it as it was.
#[tokio::test]
async fn a_start_refuses_a_database_whose_applied_migration_differs_from_the_shipped_one() {
    let (db, url) = fresh_db().await;
    let checksums: Vec<(i64, Option<String>)> =
        sqlx::query_as("SELECT version, checksum FROM schema_migrations ORDER BY version")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    assert!(checksums.len() >= 9);
    assert!(
        checksums
            .iter()
            .all(|(_, c)| c.as_ref().is_some_and(|c| c.len() == 64)),
        "every applied migration has its checksum: {checksums:?}"
    );
    // Migrating again is a no-op.
    assert!(connect(&url).await.migrate().await.unwrap().is_empty());
    // As if 0005 had been edited after this database applied it.
    sqlx::query("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 5")
        .execute(&db.pool)
        .await
        .unwrap();
    let err = connect(&url).await.migrate().await.unwrap_err().to_string();
    assert!(
        err.contains("migration 5 (applications)") && err.contains("differs from the one shipped"),
        "{err}"
    );
    // A database migrated by a newer version is refused too.
    sqlx::query("UPDATE schema_migrations SET checksum = NULL WHERE version = 5")
        .execute(&db.pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future', '2100-01-01T00:00:00Z')")
        .execute(&db.pool)
        .await
        .unwrap();
    let err = connect(&url).await.migrate().await.unwrap_err().to_string();
    assert!(err.contains("migration 9999"), "{err}");
    // A checksum missing (a database migrated before checksums) is filled in on first sight.
    sqlx::query("DELETE FROM schema_migrations WHERE version = 9999")
        .execute(&db.pool)
        .await
        .unwrap();
    connect(&url).await.migrate().await.unwrap();
    let c5: Option<String> =
        sqlx::query_scalar("SELECT checksum FROM schema_migrations WHERE version = 5")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(c5, checksums[4].1);
}
