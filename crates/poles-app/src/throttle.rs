//! An approximate, shared rate limit that costs no database write per request: each app
//! server counts hits in memory and adds them to the shared counters in the database in one
//! batch every [`FLUSH_EVERY`], reading back the total over every server.
//!
//! What a client can get through in one window of a limit `L` with `S` app servers: one
//! server alone refuses past `L` exactly (its own hits count at once); across servers, what
//! each has not flushed yet is unseen by the others, so the worst case is `L` plus what the
//! client sends to the other servers in one flush interval and a half, and never more than
//! `S × L`. Exact limits (the login throttle) use [`poles_store::rate::hit`] instead.

use poles_store::Db;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How often an app server adds its counts to the shared ones.
pub const FLUSH_EVERY: Duration = Duration::from_millis(1500);

#[derive(Debug, Default)]
struct Count {
    window_start: i64,
    /// Hits here not yet added to the database.
    pending: i64,
    /// The total over every server at the last flush.
    shared: i64,
}

/// The counts of one app server.
#[derive(Debug, Default)]
pub struct Throttle {
    counts: Mutex<HashMap<String, Count>>,
    flushing: AtomicBool,
}

fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl Throttle {
    /// Counts a hit of `key`; `Some(seconds to wait)` past `limit` hits in the window.
    /// Starts the flushing task on first use.
    pub fn hit(self: &Arc<Self>, db: &Db, key: &str, limit: i64, window_secs: i64) -> Option<i64> {
        if !self.flushing.swap(true, Ordering::Relaxed) {
            let me = Arc::clone(self);
            let db = db.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(FLUSH_EVERY);
                loop {
                    tick.tick().await;
                    if let Err(e) = me.flush(&db, window_secs).await {
                        tracing::warn!(error = %e, "rate counters not flushed");
                    }
                }
            });
        }
        let now = now_unix();
        let start = now - now.rem_euclid(window_secs);
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let c = counts.entry(key.to_string()).or_default();
        if c.window_start != start {
            *c = Count {
                window_start: start,
                ..Count::default()
            };
        }
        c.pending += 1;
        (c.shared + c.pending > limit).then(|| (start + window_secs - now).max(1))
    }

    /// Adds the pending counts to the shared ones and reads the totals back.
    pub async fn flush(&self, db: &Db, window_secs: i64) -> Result<(), poles_store::StoreError> {
        let batch: Vec<(String, i64, i64)> = {
            let counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
            counts
                .iter()
                .filter(|(_, c)| c.pending > 0)
                .map(|(k, c)| (format!("batch:{k}"), c.window_start, c.pending))
                .collect()
        };
        if batch.is_empty() {
            return Ok(());
        }
        let now = now_unix();
        let totals = poles_store::rate::add_batch(db, &batch, now - 2 * window_secs).await?;
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        for ((key, start, sent), total) in batch.iter().zip(totals) {
            let key = key.trim_start_matches("batch:");
            if let Some(c) = counts.get_mut(key).filter(|c| c.window_start == *start) {
                c.pending -= sent;
                c.shared = total;
            }
        }
        // Keys whose window is over and nothing pending are forgotten.
        counts.retain(|_, c| c.pending > 0 || c.window_start + window_secs > now);
        Ok(())
    }
}
