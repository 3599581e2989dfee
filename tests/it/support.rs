//! Test support: fresh databases on SQLite (always) or PostgreSQL (when
//! `POLES_TEST_DATABASE_URL` names one), and real servers on port 0.

use poles_store::import::Quiet;
use poles_store::{demo, Db};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// The audit key of every test database (`ID:HEX`, as `POLES_AUDIT_KEY` takes it).
pub const AUDIT_KEY: &str = "test:7e57ab1e7e57ab1e7e57ab1e7e57ab1e7e57ab1e7e57ab1e7e57ab1e7e57ab1e";

/// The `poles` command on a test database, with the tests' audit key in its environment.
pub fn poles(db_url: &str) -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_poles"));
    c.env("POLES_AUDIT_KEY", AUDIT_KEY)
        .env_remove("POLES_AUDIT_KEY_FILE")
        .args(["--database-url", db_url]);
    c
}

/// The day `n` days from today (`YYYY-MM-DD`): calls open today and close later, whenever
/// the tests run.
pub fn in_days(n: i64) -> String {
    poles_core::Date::today().add_days(n).to_string()
}

/// The PostgreSQL server to test on, if any: `postgres://user@host:port/db`.
pub fn postgres_url() -> Option<String> {
    std::env::var("POLES_TEST_DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))
}

fn tempdir() -> &'static tempfile::TempDir {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("temp dir"))
}

/// Drops the databases earlier runs left behind, once per process.
async fn sweep_postgres(admin: &str) {
    static SWEPT: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    SWEPT
        .get_or_init(|| async {
            let db = Db::connect(admin).await.expect("PostgreSQL reachable");
            let names: Vec<String> = sqlx::query_scalar(
                "SELECT CAST(datname AS TEXT) FROM pg_database WHERE datname LIKE 'poles_test_%'",
            )
            .fetch_all(&db.pool)
            .await
            .expect("list databases");
            let mine = format!("poles_test_{}_", std::process::id());
            for n in names.iter().filter(|n| !n.starts_with(&mine)) {
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {n} WITH (FORCE)"))
                    .execute(&db.pool)
                    .await;
            }
            db.pool.close().await;
        })
        .await;
}

/// A new, empty, migrated database of the backend under test, and its URL.
pub async fn fresh_db() -> (Db, String) {
    match postgres_url() {
        Some(admin) => fresh_postgres_db(&admin).await,
        None => fresh_sqlite_db().await,
    }
}

/// A new, empty, migrated SQLite database, whatever the backend under test.
pub async fn fresh_sqlite_db() -> (Db, String) {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let url = format!(
        "sqlite://{}",
        tempdir().path().join(format!("t{n}.db")).display()
    );
    migrated(url).await
}

/// A new, empty, migrated database on the PostgreSQL server `admin` names.
pub async fn fresh_postgres_db(admin: &str) -> (Db, String) {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    sweep_postgres(admin).await;
    let name = format!("poles_test_{}_{n}", std::process::id());
    let db = Db::connect(admin).await.expect("PostgreSQL reachable");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&db.pool)
        .await
        .expect("create test database");
    db.pool.close().await;
    let base = admin.rsplit_once('/').expect("URL has a database").0;
    migrated(format!("{base}/{name}")).await
}

async fn migrated(url: String) -> (Db, String) {
    let db = connect(&url).await;
    db.migrate().await.expect("migrate");
    // A key file beside a SQLite database, as `poles` finds it when nothing else is given.
    if let Some(file) = poles_store::db::sqlite_file(&url) {
        let mut name = file.into_os_string();
        name.push(".audit-key");
        std::fs::write(&name, format!("{AUDIT_KEY}\n")).expect("key file");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&name, std::fs::Permissions::from_mode(0o600))
                .expect("key file mode");
        }
    }
    (db, url)
}

/// A file name in the tests' temporary folder.
pub fn temp_path(name: &str) -> std::path::PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    tempdir().path().join(format!("{n}-{name}"))
}

/// A running server: its base URL and its database's URL. Tests that need the database
/// itself open their own pool with [`connect`], on their own runtime.
pub struct App {
    pub base: String,
    pub db_url: String,
}

/// A handle on a test database, signing the audit chain with the tests' key.
pub async fn connect(url: &str) -> Db {
    Db::connect(url)
        .await
        .expect("connect")
        .with_audit_keys(poles_store::keyring::Keyring::parse(AUDIT_KEY).expect("test key"))
}

/// Starts a server on 127.0.0.1:0 over a fresh database (with the demo data if `demo`), on
/// a thread and runtime of its own, so that it outlives the test that started it.
pub fn spawn(demo: bool) -> App {
    spawn_with(demo, false, 600)
}

/// [`spawn`], choosing whether cookies are `Secure` (as behind TLS) and the search limit.
pub fn spawn_with(demo: bool, secure_cookies: bool, search_per_minute: i64) -> App {
    spawn_full(demo, secure_cookies, search_per_minute, Default::default())
}

/// [`spawn`] with every setting.
pub fn spawn_full(
    demo: bool,
    secure_cookies: bool,
    search_per_minute: i64,
    policy: poles_store::accounts::Policy,
) -> App {
    start_server(None, demo, secure_cookies, search_per_minute, policy, None)
}

/// A server whose mail leaves through the SMTP server at `smtp_url` (a test sink), its sender
/// looking at the outbox every 100 ms and retrying a failed mail after a second; without a
/// URL, mail stays in the outbox. Links in mails point at the server itself.
pub fn spawn_mail(smtp_url: Option<String>, policy: poles_store::accounts::Policy) -> App {
    start_server(None, false, false, 600, policy, Some(smtp_url))
}

/// One more server over the database of a running one, as a deployment runs several app
/// servers on one PostgreSQL: it shares nothing with the first but the database.
pub fn spawn_on(db_url: &str, search_per_minute: i64) -> App {
    start_server(
        Some(db_url.to_string()),
        false,
        false,
        search_per_minute,
        Default::default(),
        None,
    )
}

fn start_server(
    existing: Option<String>,
    demo: bool,
    secure_cookies: bool,
    search_per_minute: i64,
    policy: poles_store::accounts::Policy,
    mail: Option<Option<String>>,
) -> App {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let (db, url) = match existing {
                Some(url) => (connect(&url).await, url),
                None => fresh_db().await,
            };
            if demo {
                demo::load_if_empty(&db, true, &Quiet)
                    .await
                    .expect("demo loads")
                    .expect("first load");
            }
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            let base = format!("http://{}", listener.local_addr().expect("addr"));
            tx.send((base.clone(), url)).expect("send addr");
            let config = poles_app::Config {
                policy,
                search_per_minute,
                public_url: base,
                read_cache: true,
            };
            let app = poles_app::App::new(db, config);
            if let Some(Some(smtp)) = mail {
                let mut s =
                    poles_app::mail::SenderSettings::new(smtp, "Pôles <noreply@poles.test>".into());
                s.poll = std::time::Duration::from_millis(100);
                s.retry_base_secs = 1;
                s.retry_max_secs = 1;
                s.timeout = std::time::Duration::from_secs(5);
                let transport = poles_app::mail::transport(&s).expect("SMTP settings");
                tokio::spawn(poles_app::mail::run_sender(app.clone(), s, transport));
            }
            let state = poles_web::AppState::new(app, poles_web::AuthConfig { secure_cookies });
            let app = poles_web::router(state);
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .await
            .expect("serve");
        });
    });
    let (base, db_url) = rx.recv().expect("server starts");
    App { base, db_url }
}

/// One server with the whole demo data (CORDIS included), shared by the read-only tests.
pub fn shared() -> &'static App {
    static APP: OnceLock<App> = OnceLock::new();
    APP.get_or_init(|| {
        let app = spawn(true);
        // With the establishment registries too (the specialisation pages read them).
        let url = app.db_url.clone();
        std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime")
                .block_on(async {
                    let db = connect(&url).await;
                    demo::load_establishments_if_empty(&db, &Quiet)
                        .await
                        .expect("the registries load");
                })
        })
        .join()
        .expect("the registries load");
        app
    })
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// A client whose connections come from `ip`, one of the loopback addresses (127.0.0.x):
/// the server sees it as the caller's address (it reads the peer address of the
/// connection; there is no proxy header to trust).
pub fn client_from(ip: &str) -> reqwest::Client {
    let ip: std::net::IpAddr = ip.parse().expect("an IP address");
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .local_address(ip)
        .build()
        .expect("client")
}

pub async fn get_json(url: &str) -> (u16, serde_json::Value) {
    let r = client().get(url).send().await.expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.expect("json body"))
}

pub async fn get_text(
    url: &str,
    accept_language: Option<&str>,
) -> (u16, reqwest::header::HeaderMap, String) {
    let mut req = client().get(url);
    if let Some(l) = accept_language {
        req = req.header("Accept-Language", l);
    }
    let r = req.send().await.expect("request");
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.text().await.expect("text body"))
}

/// A server whose database has gone away (its pool closed after the start), as in an
/// outage: every request that needs the database must be refused as unavailable.
pub fn spawn_outage() -> App {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let (db, url) = fresh_db().await;
            let state = poles_web::AppState::new(
                poles_app::App::new(db.clone(), Default::default()),
                Default::default(),
            );
            db.pool.close().await;
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            let base = format!("http://{}", listener.local_addr().expect("addr"));
            tx.send((base, url)).expect("send addr");
            axum::serve(
                listener,
                poles_web::router(state)
                    .into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .await
            .expect("serve");
        });
    });
    let (base, db_url) = rx.recv().expect("server starts");
    App { base, db_url }
}
