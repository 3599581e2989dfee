//! Fixed-window request counters in the database, so that a limit holds across every app
//! server. Used for generous limits on costly public endpoints (search).

use crate::error::Result;
use crate::util::{fmt_unix, now_unix};
use crate::Db;

/// Counts one hit of `key` in the current window of `window_secs`; returns `Some(seconds to
/// wait)` when the limit is passed.
pub async fn hit(db: &Db, key: &str, limit: i64, window_secs: i64) -> Result<Option<i64>> {
    let now = now_unix();
    let start = now - now.rem_euclid(window_secs);
    let window = fmt_unix(start);
    let hits: i64 = sqlx::query_scalar(
        "INSERT INTO rate_counters (key, window_start, hits) VALUES ($1, $2, 1) \
         ON CONFLICT (key, window_start) DO UPDATE SET hits = rate_counters.hits + 1 RETURNING hits",
    )
    .bind(key.to_string())
    .bind(window.clone())
    .fetch_one(&db.pool)
    .await?;
    if hits == 1 {
        // The first hit of a window clears this key's older windows.
        sqlx::query("DELETE FROM rate_counters WHERE key = $1 AND window_start < $2")
            .bind(key.to_string())
            .bind(window)
            .execute(&db.pool)
            .await?;
    }
    Ok((hits > limit).then(|| (start + window_secs - now).max(1)))
}

/// Adds counts gathered in an app server's memory to the shared counters, in one
/// transaction: `(key, window start in Unix seconds, hits)`. Answers each key's total over
/// every server in that window, in the same order. Windows older than `keep_after` go.
pub async fn add_batch(
    db: &Db,
    counts: &[(String, i64, i64)],
    keep_after: i64,
) -> Result<Vec<i64>> {
    let mut tx = db.pool.begin().await?;
    let mut totals = Vec::with_capacity(counts.len());
    for (key, start, hits) in counts {
        let total: i64 = sqlx::query_scalar(
            "INSERT INTO rate_counters (key, window_start, hits) VALUES ($1, $2, $3) \
             ON CONFLICT (key, window_start) DO UPDATE SET hits = rate_counters.hits + excluded.hits \
             RETURNING hits",
        )
        .bind(key.clone())
        .bind(fmt_unix(*start))
        .bind(*hits)
        .fetch_one(&mut *tx)
        .await?;
        totals.push(total);
    }
    sqlx::query("DELETE FROM rate_counters WHERE key LIKE 'batch:%' AND window_start < $1")
        .bind(fmt_unix(keep_after))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(totals)
}
