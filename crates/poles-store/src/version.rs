//! The data version: a number in the database that every write the public pages can show
//! raises inside its transaction (every audited write, every import and load). App servers
//! keep answers of public reads in memory keyed on it: one look-up of this number tells a
//! server whether what it keeps is still what the database holds, whichever server wrote.

use crate::error::Result;
use crate::util::Tx;
use crate::Db;

/// Raises the data version, in the writer's transaction (seen by readers at its commit).
pub(crate) async fn bump(tx: &mut impl Tx) -> Result<()> {
    sqlx::query(
        "INSERT INTO meta (key, value) VALUES ('data_version', '1') ON CONFLICT (key) \
         DO UPDATE SET value = CAST(CAST(meta.value AS BIGINT) + 1 AS TEXT)",
    )
    .execute(&mut **tx)
    .await?;
    // When, for the open data's "updated" date.
    sqlx::query(
        "INSERT INTO meta (key, value) VALUES ('data_changed_at', $1) ON CONFLICT (key) \
         DO UPDATE SET value = excluded.value",
    )
    .bind(crate::util::now_utc())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// When the data last changed (UTC, RFC 3339), if it ever did since this was recorded.
pub async fn changed_at(db: &Db) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT value FROM meta WHERE key = 'data_changed_at'")
            .fetch_optional(&db.pool)
            .await?,
    )
}

/// The data version now (0 before any write).
pub async fn current(db: &Db) -> Result<i64> {
    let v: Option<String> = sqlx::query_scalar("SELECT value FROM meta WHERE key = 'data_version'")
        .fetch_optional(&db.pool)
        .await?;
    Ok(v.and_then(|v| v.parse().ok()).unwrap_or(0))
}

/// After a bulk load (an import, the demo), PostgreSQL's planner statistics are those of the
/// tables before it: until autovacuum comes by, it estimates a few rows where there are
/// thousands and plans hash joins over whole tables (measured: a project's consortium 2.9 ms
/// with a scan of every organisation, 0.16 ms after). `VACUUM (ANALYZE)` brings them up to
/// date and marks the pages all-visible so that counts read indexes alone. SQLite plans
/// these queries well without statistics. The whole database, not only the tables a load
/// wrote: with the others left as migrated (never analysed), searches at ten times the data
/// took p99 59 ms on one connection instead of 19 (measured).
pub async fn after_bulk_load(db: &Db) -> Result<()> {
    if db.backend == crate::Backend::Postgres {
        sqlx::query("VACUUM (ANALYZE)").execute(&db.pool).await?;
    }
    Ok(())
}
