//! Answers of public reads kept in one app server's memory, each valid while the data
//! version it was computed at is the database's ([`poles_store::version`]): a server checks
//! that one number per request, so a write on any server is seen by the next read on every
//! server, and a burst of the same reads costs one computation. Bounded in entries and age
//! (what depends on today's date, such as which phase is current, is recomputed at least
//! once a minute).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug)]
struct Inner<V> {
    version: i64,
    entries: HashMap<String, (Instant, V)>,
}

#[derive(Debug)]
pub struct ReadCache<V> {
    inner: Mutex<Inner<V>>,
    max_entries: usize,
    max_age: Duration,
}

impl<V: Clone> ReadCache<V> {
    pub fn new(max_entries: usize, max_age: Duration) -> Self {
        ReadCache {
            inner: Mutex::new(Inner {
                version: i64::MIN,
                entries: HashMap::new(),
            }),
            max_entries,
            max_age,
        }
    }

    /// The answer kept for `key` at data version `version`, if any and fresh.
    pub fn get(&self, version: i64, key: &str) -> Option<V> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if inner.version != version {
            // The data changed (or this server is behind): nothing kept holds.
            inner.version = version;
            inner.entries.clear();
            return None;
        }
        let (at, v) = inner.entries.get(key)?;
        (at.elapsed() < self.max_age).then(|| v.clone())
    }

    /// Keeps an answer computed at data version `version` (not if the data moved on since;
    /// never in a cache of no entries).
    pub fn put(&self, version: i64, key: String, value: V) {
        if self.max_entries == 0 {
            return;
        }
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if version < inner.version {
            return;
        }
        if version > inner.version {
            inner.version = version;
            inner.entries.clear();
        }
        if inner.entries.len() >= self.max_entries {
            let max_age = self.max_age;
            inner.entries.retain(|_, (at, _)| at.elapsed() < max_age);
            if inner.entries.len() >= self.max_entries {
                inner.entries.clear();
            }
        }
        inner.entries.insert(key, (Instant::now(), value));
    }
}

/// Data derived from the database that computing answers needs whole (the partner graph,
/// the search's facet values), kept at the data version it was read at: a server reads it
/// again at the first use after a write on any server, one reader at a time (the others
/// wait for its read). Kept even when answers are not: it is how an answer is computed.
#[derive(Debug)]
pub struct Derived<T> {
    slot: tokio::sync::Mutex<Option<(i64, std::sync::Arc<T>)>>,
}

impl<T> Default for Derived<T> {
    fn default() -> Self {
        Derived {
            slot: tokio::sync::Mutex::new(None),
        }
    }
}

impl<T> Derived<T> {
    /// The value at `version`: this server's copy, or what `read` gives (then kept).
    pub async fn at<F, Fut>(&self, version: i64, read: F) -> crate::Result<std::sync::Arc<T>>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = crate::Result<T>>,
    {
        let mut slot = self.slot.lock().await;
        if let Some((v, t)) = slot.as_ref() {
            if *v == version {
                return Ok(t.clone());
            }
        }
        let t = std::sync::Arc::new(read().await?);
        *slot = Some((version, t.clone()));
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_holds_until_the_data_version_moves() {
        let c = ReadCache::new(2, Duration::from_secs(60));
        c.put(3, "a".into(), 1);
        assert_eq!(c.get(3, "a"), Some(1));
        assert_eq!(c.get(4, "a"), None, "a write elsewhere");
        c.put(3, "a".into(), 1);
        assert_eq!(c.get(4, "a"), None, "computed before the write: not kept");
        c.put(4, "a".into(), 2);
        c.put(4, "b".into(), 3);
        c.put(4, "c".into(), 4);
        assert_eq!(c.get(4, "c"), Some(4), "bounded, the newest kept");
    }
}
