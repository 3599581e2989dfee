//! Connecting, configuring and migrating either backend, chosen by the URL's scheme.

use crate::error::{Result, StoreError};
use crate::keyring::Keyring;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A migration: applied once, in order, never edited after it shipped.
struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "registry",
        sqlite: include_str!("../migrations/sqlite/0001_registry.sql"),
        postgres: include_str!("../migrations/postgres/0001_registry.sql"),
    },
    Migration {
        version: 2,
        name: "accounts",
        sqlite: include_str!("../migrations/sqlite/0002_accounts.sql"),
        postgres: include_str!("../migrations/postgres/0002_accounts.sql"),
    },
    Migration {
        version: 3,
        name: "rate_limits",
        sqlite: include_str!("../migrations/sqlite/0003_rate_limits.sql"),
        postgres: include_str!("../migrations/postgres/0003_rate_limits.sql"),
    },
    Migration {
        version: 4,
        name: "calls",
        sqlite: include_str!("../migrations/sqlite/0004_calls.sql"),
        postgres: include_str!("../migrations/postgres/0004_calls.sql"),
    },
    Migration {
        version: 5,
        name: "applications",
        sqlite: include_str!("../migrations/sqlite/0005_applications.sql"),
        postgres: include_str!("../migrations/postgres/0005_applications.sql"),
    },
    Migration {
        version: 6,
        name: "review_selection",
        sqlite: include_str!("../migrations/sqlite/0006_review_selection.sql"),
        postgres: include_str!("../migrations/postgres/0006_review_selection.sql"),
    },
    Migration {
        version: 7,
        name: "payments",
        sqlite: include_str!("../migrations/sqlite/0007_payments.sql"),
        postgres: include_str!("../migrations/postgres/0007_payments.sql"),
    },
    Migration {
        version: 8,
        name: "notifications",
        sqlite: include_str!("../migrations/sqlite/0008_notifications.sql"),
        postgres: include_str!("../migrations/postgres/0008_notifications.sql"),
    },
    Migration {
        version: 9,
        name: "funding",
        sqlite: include_str!("../migrations/sqlite/0009_funding.sql"),
        postgres: include_str!("../migrations/postgres/0009_funding.sql"),
    },
    Migration {
        version: 10,
        name: "audit_key",
        sqlite: include_str!("../migrations/sqlite/0010_audit_key.sql"),
        postgres: include_str!("../migrations/postgres/0010_audit_key.sql"),
    },
    Migration {
        version: 11,
        name: "login_throttle",
        sqlite: include_str!("../migrations/sqlite/0011_login_throttle.sql"),
        postgres: include_str!("../migrations/postgres/0011_login_throttle.sql"),
    },
    Migration {
        version: 12,
        name: "transitions",
        sqlite: include_str!("../migrations/sqlite/0012_transitions.sql"),
        postgres: include_str!("../migrations/postgres/0012_transitions.sql"),
    },
    Migration {
        version: 13,
        name: "limits",
        sqlite: include_str!("../migrations/sqlite/0013_limits.sql"),
        postgres: include_str!("../migrations/postgres/0013_limits.sql"),
    },
    Migration {
        version: 14,
        name: "mail_signup_claims",
        sqlite: include_str!("../migrations/sqlite/0014_mail_signup_claims.sql"),
        postgres: include_str!("../migrations/postgres/0014_mail_signup_claims.sql"),
    },
    Migration {
        version: 15,
        name: "demo_fictional",
        sqlite: include_str!("../migrations/sqlite/0015_demo_fictional.sql"),
        postgres: include_str!("../migrations/postgres/0015_demo_fictional.sql"),
    },
    Migration {
        version: 16,
        name: "today",
        sqlite: include_str!("../migrations/sqlite/0016_today.sql"),
        postgres: include_str!("../migrations/postgres/0016_today.sql"),
    },
    Migration {
        version: 17,
        name: "name_keys",
        sqlite: include_str!("../migrations/sqlite/0017_name_keys.sql"),
        postgres: include_str!("../migrations/postgres/0017_name_keys.sql"),
    },
    Migration {
        version: 18,
        name: "contact_source",
        sqlite: include_str!("../migrations/sqlite/0018_contact_source.sql"),
        postgres: include_str!("../migrations/postgres/0018_contact_source.sql"),
    },
    Migration {
        version: 19,
        name: "search_index",
        sqlite: include_str!("../migrations/sqlite/0019_search_index.sql"),
        postgres: include_str!("../migrations/postgres/0019_search_index.sql"),
    },
    Migration {
        version: 20,
        name: "read_indexes",
        sqlite: include_str!("../migrations/sqlite/0020_read_indexes.sql"),
        postgres: include_str!("../migrations/postgres/0020_read_indexes.sql"),
    },
    Migration {
        version: 21,
        name: "joining",
        sqlite: include_str!("../migrations/sqlite/0021_joining.sql"),
        postgres: include_str!("../migrations/postgres/0021_joining.sql"),
    },
    Migration {
        version: 22,
        name: "label_campaigns",
        sqlite: include_str!("../migrations/sqlite/0022_label_campaigns.sql"),
        postgres: include_str!("../migrations/postgres/0022_label_campaigns.sql"),
    },
    Migration {
        version: 23,
        name: "specialisation",
        sqlite: include_str!("../migrations/sqlite/0023_specialisation.sql"),
        postgres: include_str!("../migrations/postgres/0023_specialisation.sql"),
    },
];

/// The schema version this binary migrates to: the last shipped migration's.
pub fn schema_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// Every shipped migration's script on a backend, in order (for checks over what they do).
#[cfg(test)]
pub(crate) fn migration_scripts(backend: Backend) -> impl Iterator<Item = (i64, &'static str)> {
    MIGRATIONS.iter().map(move |m| (m.version, m.sql(backend)))
}

impl Migration {
    fn sql(&self, backend: Backend) -> &'static str {
        match backend {
            Backend::Sqlite => self.sqlite,
            Backend::Postgres => self.postgres,
        }
    }

    /// SHA-256 of the script this backend runs: a shipped migration edited after it was
    /// applied somewhere no longer matches, and that database refuses to start.
    fn checksum(&self, backend: Backend) -> String {
        crate::util::sha256_hex(self.sql(backend))
    }
}

/// Refuses a database whose applied migrations differ from the shipped ones, or that was
/// migrated by a newer version of Pôles.
fn check_applied(backend: Backend, applied: &[(i64, Option<String>)]) -> Result<()> {
    for (version, checksum) in applied {
        let Some(m) = MIGRATIONS.iter().find(|m| m.version == *version) else {
            return Err(StoreError::Data(format!(
                "the database has migration {version}, which this version of Pôles does not know: \
                 it was migrated by a newer version"
            )));
        };
        if let Some(c) = checksum {
            if *c != m.checksum(backend) {
                return Err(StoreError::Data(format!(
                    "migration {version} ({}) applied to this database differs from the one shipped \
                     (checksum {c}, expected {}): applied migrations are never edited; add a new one",
                    m.name,
                    m.checksum(backend)
                )));
            }
        }
    }
    Ok(())
}

/// Arbitrary key of the PostgreSQL advisory lock that serialises migrations between app servers.
const MIGRATION_LOCK: i64 = 7_263_001;

#[derive(Clone, Debug)]
pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
    /// The keys that sign and verify the audit chain, never stored in the database (see
    /// [`crate::keyring`]); without them the audit trail cannot be written.
    audit_keys: Option<Keyring>,
}

/// The file of a SQLite URL (`sqlite:///abs.db`, `sqlite://rel.db`, `sqlite:rel.db`); `None`
/// for PostgreSQL or an in-memory database.
pub fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path.starts_with(":memory:") {
        return None;
    }
    Some(PathBuf::from(path))
}

/// Turns the documented URL forms into what the driver accepts:
/// `sqlite:///abs.db`, `sqlite://rel.db` (created if missing) and `postgres://…`.
fn driver_url(url: &str) -> Result<(Backend, String)> {
    if let Some(rest) = url.strip_prefix("sqlite://") {
        if rest.is_empty() {
            return Err(StoreError::Url(url.to_string()));
        }
        let sep = if rest.contains('?') { '&' } else { '?' };
        let with_mode = if rest.contains("mode=") {
            url.to_string()
        } else {
            format!("{url}{sep}mode=rwc")
        };
        Ok((Backend::Sqlite, with_mode))
    } else if url.starts_with("sqlite:") {
        Ok((Backend::Sqlite, url.to_string()))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok((Backend::Postgres, url.to_string()))
    } else {
        Err(StoreError::Url(url.to_string()))
    }
}

/// How long a request waits for a database connection before it is refused as unavailable,
/// unless configured: on PostgreSQL a few seconds, so that an outage answers 503 quickly
/// instead of hanging every request; on SQLite (one file, no outage to wait out) a writer may
/// wait for another's long transaction.
pub fn default_acquire_timeout(backend: Backend) -> Duration {
    match backend {
        Backend::Postgres => Duration::from_secs(5),
        Backend::Sqlite => Duration::from_secs(60),
    }
}

impl Db {
    pub async fn connect(url: &str) -> Result<Db> {
        Self::connect_with(url, None).await
    }

    /// [`Db::connect`] with the pool's acquire timeout (see [`default_acquire_timeout`]).
    pub async fn connect_with(url: &str, acquire_timeout: Option<Duration>) -> Result<Db> {
        sqlx::any::install_default_drivers();
        let (backend, driver_url) = driver_url(url)?;
        let opts = AnyConnectOptions::from_str(&driver_url)?;
        let acquire_timeout = acquire_timeout.unwrap_or(default_acquire_timeout(backend));
        let pool = match backend {
            Backend::Sqlite => {
                AnyPoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(acquire_timeout)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            // WAL lets readers go on during a long import; FULL makes a
                            // committed write survive a power cut; the busy timeout makes a
                            // second writer wait instead of failing.
                            conn.execute("PRAGMA journal_mode = WAL").await?;
                            conn.execute("PRAGMA synchronous = FULL").await?;
                            conn.execute("PRAGMA foreign_keys = ON").await?;
                            conn.execute("PRAGMA busy_timeout = 60000").await?;
                            Ok(())
                        })
                    })
                    .connect_with(opts)
                    .await?
            }
            Backend::Postgres => {
                // Several app servers share one PostgreSQL and its connection limit (100 by
                // default): ten each unless said otherwise, given back after half a minute
                // unused.
                AnyPoolOptions::new()
                    .max_connections(postgres_pool_size())
                    .min_connections(0)
                    .idle_timeout(Duration::from_secs(30))
                    .acquire_timeout(acquire_timeout)
                    .connect_with(opts)
                    .await?
            }
        };
        Ok(Db {
            pool,
            backend,
            audit_keys: None,
        })
    }

    /// This handle, signing the audit rows it writes with the first of `keys` and verifying
    /// the chain with all of them.
    pub fn with_audit_keys(mut self, keys: Keyring) -> Db {
        self.audit_keys = Some(keys);
        self
    }

    pub fn audit_keys(&self) -> Option<&Keyring> {
        self.audit_keys.as_ref()
    }

    /// Applies the migrations not yet applied; returns their versions. Safe to run from
    /// several app servers at once (an advisory lock on PostgreSQL, a write lock on SQLite).
    pub async fn migrate(&self) -> Result<Vec<i64>> {
        let mut conn = self.pool.acquire().await?;
        match self.backend {
            Backend::Postgres => {
                conn.execute(format!("SELECT pg_advisory_lock({MIGRATION_LOCK})").as_str())
                    .await?;
            }
            Backend::Sqlite => {
                conn.execute("BEGIN IMMEDIATE").await?;
            }
        }
        let result = self.migrate_locked(&mut conn).await;
        match self.backend {
            Backend::Postgres => {
                conn.execute(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})").as_str())
                    .await?;
            }
            Backend::Sqlite => {
                conn.execute(if result.is_ok() { "COMMIT" } else { "ROLLBACK" })
                    .await?;
            }
        }
        result
    }

    async fn migrate_locked(&self, conn: &mut sqlx::AnyConnection) -> Result<Vec<i64>> {
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, \
             name TEXT NOT NULL, applied_at TEXT NOT NULL)",
        )
        .await?;
        // The checksum of what was applied; databases migrated before checksums existed get
        // them filled in below, on the trust of first sight.
        let has_checksum: i64 = match self.backend {
            Backend::Sqlite => sqlx::query_scalar(
                "SELECT COUNT(*) FROM pragma_table_info('schema_migrations') WHERE name = 'checksum'",
            )
            .fetch_one(&mut *conn)
            .await?,
            Backend::Postgres => sqlx::query_scalar(
                "SELECT COUNT(*) FROM information_schema.columns \
                 WHERE table_name = 'schema_migrations' AND column_name = 'checksum'",
            )
            .fetch_one(&mut *conn)
            .await?,
        };
        if has_checksum == 0 {
            conn.execute("ALTER TABLE schema_migrations ADD COLUMN checksum TEXT")
                .await?;
        }
        let applied: Vec<(i64, Option<String>)> =
            sqlx::query_as("SELECT version, checksum FROM schema_migrations")
                .fetch_all(&mut *conn)
                .await?;
        check_applied(self.backend, &applied)?;
        for (version, checksum) in &applied {
            if let (None, Some(m)) = (checksum, MIGRATIONS.iter().find(|m| m.version == *version)) {
                sqlx::query("UPDATE schema_migrations SET checksum = $1 WHERE version = $2")
                    .bind(m.checksum(self.backend))
                    .bind(*version)
                    .execute(&mut *conn)
                    .await?;
            }
        }
        let mut done = Vec::new();
        for m in MIGRATIONS {
            if applied.iter().any(|(v, _)| *v == m.version) {
                continue;
            }
            let sql = m.sql(self.backend);
            // On SQLite we are already inside BEGIN IMMEDIATE; PostgreSQL gets its own
            // transaction per migration. DDL is transactional on both.
            if self.backend == Backend::Postgres {
                conn.execute("BEGIN").await?;
            }
            let res = async {
                // One script, run as such: both drivers execute every statement of an
                // unparameterised query, triggers and function bodies included.
                conn.execute(sql).await?;
                sqlx::query(
                    "INSERT INTO schema_migrations (version, name, applied_at, checksum) VALUES ($1, $2, $3, $4)",
                )
                .bind(m.version)
                .bind(m.name)
                .bind(crate::util::now_utc())
                .bind(m.checksum(self.backend))
                .execute(&mut *conn)
                .await?;
                Ok::<_, sqlx::Error>(())
            }
            .await;
            if self.backend == Backend::Postgres {
                conn.execute(if res.is_ok() { "COMMIT" } else { "ROLLBACK" })
                    .await?;
            }
            res?;
            done.push(m.version);
        }
        Ok(done)
    }

    /// True when the database answers a trivial query.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}

/// Connections each server keeps to PostgreSQL at most: `POLES_DB_MAX_CONNECTIONS`, else 10.
/// Several app servers (or a test suite's many servers) must fit in the database's own limit.
fn postgres_pool_size() -> u32 {
    std::env::var("POLES_DB_MAX_CONNECTIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_choose_the_backend() {
        assert_eq!(
            driver_url("sqlite://poles.db").unwrap(),
            (Backend::Sqlite, "sqlite://poles.db?mode=rwc".to_string())
        );
        assert_eq!(
            driver_url("sqlite:///tmp/p.db").unwrap().1,
            "sqlite:///tmp/p.db?mode=rwc"
        );
        assert_eq!(
            driver_url("postgres://postgres@127.0.0.1:5432/test")
                .unwrap()
                .0,
            Backend::Postgres
        );
        assert!(driver_url("mysql://x").is_err());
    }

    #[test]
    fn sqlite_urls_name_their_file() {
        assert_eq!(sqlite_file("sqlite://poles.db"), Some("poles.db".into()));
        assert_eq!(
            sqlite_file("sqlite:///tmp/p.db?mode=rwc"),
            Some("/tmp/p.db".into())
        );
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://u@h/db"), None);
    }
}
