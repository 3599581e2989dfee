//! Test support: fresh databases on SQLite (always) or PostgreSQL (when
//! `POLES_TEST_DATABASE_URL` names one), and real servers on port 0.

use poles_store::import::Quiet;
use poles_store::{demo, Db};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

static COUNTER: AtomicUsize = AtomicUsize::new(0);

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
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let url = match postgres_url() {
        Some(admin) => {
            sweep_postgres(&admin).await;
            let name = format!("poles_test_{}_{n}", std::process::id());
            let db = Db::connect(&admin).await.expect("PostgreSQL reachable");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&db.pool)
                .await
                .expect("create test database");
            db.pool.close().await;
            let base = admin.rsplit_once('/').expect("URL has a database").0;
            format!("{base}/{name}")
        }
        None => format!(
            "sqlite://{}",
            tempdir().path().join(format!("t{n}.db")).display()
        ),
    };
    let db = Db::connect(&url).await.expect("connect test database");
    db.migrate().await.expect("migrate");
    (db, url)
}

/// A running server: its base URL and its database's URL. Tests that need the database
/// itself open their own pool with [`connect`], on their own runtime.
pub struct App {
    pub base: String,
    pub db_url: String,
}

pub async fn connect(url: &str) -> Db {
    Db::connect(url).await.expect("connect")
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
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let (db, url) = fresh_db().await;
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
            tx.send((base, url)).expect("send addr");
            let config = poles_app::Config {
                policy,
                search_per_minute,
            };
            let state = poles_web::AppState::new(
                poles_app::App::new(db, config),
                poles_web::AuthConfig { secure_cookies },
            );
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
    APP.get_or_init(|| spawn(true))
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
