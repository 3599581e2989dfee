//! `poles`: the thin binary over the Pôles crates. `serve` (the default) runs the platform;
//! `migrate`, `import`, `export`, `backup` and `restore` manage its data.
#![forbid(unsafe_code)]

mod specialisation;

use anyhow::Context;
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use poles_app::accounts::{self, RoleInput};
use poles_app::mail;
use poles_app::App;
use poles_store::import::{self, CordisData, Progress};
use poles_store::keyring::Keyring;
use poles_store::{audit, backup, demo, export, Db};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Parser)]
#[command(
    name = "poles",
    version,
    about = "Pôles: the open platform of a competitiveness-cluster programme"
)]
struct Cli {
    /// Database URL: sqlite:///abs/path.db, sqlite://relative.db or postgres://user@host:port/db
    #[arg(
        long,
        env = "POLES_DATABASE_URL",
        default_value = "sqlite://poles.db",
        global = true
    )]
    database_url: String,
    /// Seconds a request waits for a database connection before it is answered 503
    /// (default: 5 on PostgreSQL, 60 on SQLite)
    #[arg(long, env = "POLES_DB_ACQUIRE_TIMEOUT", global = true)]
    db_acquire_timeout: Option<u64>,
    /// A file holding the audit chain's keys (ID:HEX, the first one signs). Without it the
    /// keys are POLES_AUDIT_KEY, or on SQLite the file DATABASE.audit-key beside the
    /// database, created on first start
    #[arg(long, env = "POLES_AUDIT_KEY_FILE", global = true, value_name = "FILE")]
    audit_key_file: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the atlas and the API (the default command)
    Serve(ServeArgs),
    /// Apply pending database migrations
    Migrate,
    /// Import data into the registry
    #[command(subcommand)]
    Import(ImportCommand),
    /// Export the registry's public data
    #[command(subcommand)]
    Export(ExportCommand),
    /// Manage accounts
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Check the audit trail
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Write a backup of the whole database (one consistent snapshot, taken beside a
    /// working server) to FILE: gzip'd JSON lines, the same on SQLite and PostgreSQL
    Backup { file: PathBuf },
    /// Restore a backup into this database, which must be new (migrated, without data):
    /// all or nothing
    Restore { file: PathBuf },
    /// Partner suggestions: answer cases in a batch, train the ranking model
    #[command(subcommand)]
    Recommend(RecommendCommand),
    /// Regional specialisation: the region × NAF-division employment table and its location
    /// quotients from an establishment file of the benchmark's format
    /// (`siret,region,department,naf,employees,created`), as CSV (needs no database)
    Specialisation {
        file: PathBuf,
        /// Where to write the table (default: standard output)
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Readers folding the file (default: the machine's cores)
        #[arg(long)]
        threads: Option<usize>,
    },
}

#[derive(Subcommand)]
enum RecommendCommand {
    /// Suggest partners for each consortium of a JSON-lines file: reads
    /// {"id", "given": [CORDIS new_org_id…], "topics", "call", "programme", "fundingScheme"}
    /// per line, prints {"id", "ranked": [new_org_id…]} per line (never a given one). An
    /// unknown given id is reported on standard error and ignored; a malformed line is
    /// reported with its number and skipped, and the command then exits 2
    Partners {
        #[arg(long, value_name = "FILE.jsonl")]
        batch: PathBuf,
        /// How many organisations per case, at most
        #[arg(long, default_value_t = 50)]
        k: usize,
        /// model (the ranking model), or a baseline: walk (three-step random walk),
        /// copartners (past partners of the given ones), popularity
        #[arg(long, default_value = "model")]
        method: String,
        /// A model file written by `poles recommend train` (default: the shipped one)
        #[arg(long, value_name = "FILE")]
        model: Option<PathBuf>,
    },
    /// Train the ranking model on this database's consortia and write it as JSON
    Train {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Consortia to learn from, at most
        #[arg(long, default_value_t = 3000)]
        cases: usize,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a user; the password is read from standard input
    CreateUser {
        #[arg(long)]
        email: String,
        /// admin, programme_officer, region_officer, funder_officer, cluster_manager, organisation_member or reviewer
        #[arg(long)]
        role: String,
        /// The role's object: a region code, a funder, a cluster slug or an organisation id
        #[arg(long)]
        scope: Option<String>,
    },
    /// Print a one-time password-reset token for a user: the operator's fallback when mail
    /// does not reach them (people ask for a link by mail at /reset)
    ResetPassword {
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute the chain with the audit keys; exits 2 naming the first broken row
    Verify {
        /// The head printed earlier by `poles audit head` and kept outside the database:
        /// rows cut from the end of the trail are found only so
        #[arg(long, value_name = "ID:HASH")]
        expect_head: Option<audit::Head>,
    },
    /// Print the last row as ID:HASH, to keep outside the database
    Head,
    /// Print a new random audit key (ID:HEX); to rotate, put it first in POLES_AUDIT_KEY or
    /// the key file and keep the old keys after it
    NewKey,
}

#[derive(clap::Args, Default)]
struct ServeArgs {
    /// Address to listen on
    #[arg(long, env = "POLES_BIND", default_value = "127.0.0.1:8080")]
    bind: String,
    /// Do not load the demo data into an empty database
    #[arg(long)]
    no_demo: bool,
    /// Served over TLS (directly or behind a proxy): Secure `__Host-` cookies and HSTS
    #[arg(long, env = "POLES_SECURE_COOKIES")]
    secure_cookies: bool,
    /// Searches a client (an address) may make per minute, over every app server
    #[arg(long, env = "POLES_SEARCH_PER_MINUTE", default_value_t = 600)]
    search_per_minute: i64,
    /// Compute every public answer instead of keeping them in memory while the data has
    /// not changed (to measure the computation itself)
    #[arg(long, env = "POLES_NO_READ_CACHE")]
    no_read_cache: bool,
    #[command(flatten)]
    mail: MailArgs,
}

#[derive(clap::Args, Default)]
struct MailArgs {
    /// The SMTP server mail leaves through: smtp://HOST:PORT (plain, a local relay),
    /// smtp://USER:PASS@HOST?tls=required (STARTTLS), smtps://USER:PASS@HOST (TLS from the
    /// start). Without it mail waits in the outbox (admins see it at /admin/mail) until a
    /// server is configured: nothing is lost
    #[arg(long, env = "POLES_SMTP_URL")]
    smtp_url: Option<String>,
    /// The sender of the mail
    #[arg(
        long,
        env = "POLES_MAIL_FROM",
        default_value = "Pôles <noreply@localhost>"
    )]
    mail_from: String,
    /// The site's public address, for the links in mails (default: http://BIND)
    #[arg(long, env = "POLES_PUBLIC_URL")]
    public_url: Option<String>,
}

#[derive(Subcommand)]
enum ImportCommand {
    /// An establishment registry: the Ministry of Labour's SIENE extract, INSEE's SIRENE
    /// establishment stock file, or the benchmark's format (told apart by their headers).
    /// All or nothing; the same file again changes nothing; refused lines are listed
    Establishments {
        file: PathBuf,
        /// The source's name, under which a later import replaces these rows (default: the
        /// file's name)
        #[arg(long)]
        source: Option<String>,
        /// How pages name it, in English
        #[arg(long)]
        title_en: Option<String>,
        /// How pages name it, in French
        #[arg(long)]
        title_fr: Option<String>,
        /// The date its figures describe (YYYY or YYYY-MM-DD)
        #[arg(long)]
        reference_date: Option<String>,
        /// Generated data: marked fictional wherever it is shown (always so for the
        /// benchmark's format)
        #[arg(long)]
        fictional: bool,
    },
    /// The CORDIS H2020 extract (projects.tsv, organizations.tsv, project_org_edges.tsv)
    Cordis {
        dir: PathBuf,
        /// Refuse the whole import when any row is rejected
        #[arg(long)]
        strict: bool,
    },
}

#[derive(Subcommand)]
enum ExportCommand {
    /// The registry as one JSON document, to a file or standard output
    Json { out: Option<PathBuf> },
    /// The registry as one CSV file per table, into a folder
    Csv { dir: PathBuf },
}

/// Writes to standard output; a reader that went away (`poles audit verify | head -1`) is
/// not an error worth a panic.
fn print_out(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// A progress bar on a terminal (indicatif hides it when standard error is not one), and
/// the Ctrl-C flag that cancels an import between stages.
struct Bar(Mutex<Option<ProgressBar>>, Arc<AtomicBool>);

impl Progress for Bar {
    fn stage(&self, name: &str, len: u64) {
        let mut slot = self.0.lock().expect("progress lock");
        if let Some(old) = slot.take() {
            old.finish();
        }
        let bar = ProgressBar::new(len).with_message(name.to_string());
        bar.set_style(
            ProgressStyle::with_template("{msg:>15} [{bar:40}] {pos}/{len} {elapsed}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        *slot = Some(bar);
    }

    fn inc(&self, n: u64) {
        if let Some(b) = self.0.lock().expect("progress lock").as_ref() {
            b.inc(n);
        }
    }

    fn cancelled(&self) -> bool {
        self.1.load(Ordering::Relaxed)
    }
}

impl Bar {
    /// `stopping` is what Ctrl-C prints.
    fn new(stopping: &'static str) -> Bar {
        let flag = Arc::new(AtomicBool::new(false));
        let set = flag.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("stopping: {stopping}");
                set.store(true, Ordering::Relaxed);
            }
        });
        Bar(Mutex::new(None), flag)
    }
    fn finish(&self) {
        if let Some(b) = self.0.lock().expect("progress lock").take() {
            b.finish();
        }
    }
}

/// `poles recommend partners --batch`: one answer line per case line, in order.
async fn recommend_batch(
    db: &Db,
    batch: &Path,
    k: usize,
    method: &str,
    model_file: Option<&Path>,
) -> anyhow::Result<()> {
    use poles_core::recommend::{self, Case, Graph, Method, Model, Subject};
    let model: Model = match model_file {
        Some(path) => serde_json::from_str(&std::fs::read_to_string(path)?)
            .with_context(|| format!("model {}", path.display()))?,
        None => recommend::shipped_model()?,
    };
    let data = poles_store::recommend::graph_data(db).await?;
    let graph = Graph::build(data);
    let method = match method {
        "model" => Method::Model(&model),
        "walk" => Method::Walk,
        "copartners" => Method::CoPartners,
        "popularity" => Method::Popularity,
        other => anyhow::bail!("unknown method {other}: model, walk, copartners or popularity"),
    };
    #[derive(serde::Deserialize)]
    struct Line {
        id: serde_json::Value,
        given: Vec<String>,
        #[serde(default)]
        topics: String,
        #[serde(default)]
        call: String,
        #[serde(default)]
        programme: String,
        #[serde(default, rename = "fundingScheme")]
        funding_scheme: String,
    }
    let text = std::fs::read_to_string(batch).with_context(|| format!("{}", batch.display()))?;
    let mut malformed = 0;
    let mut out = String::new();
    for (n, raw) in text.lines().enumerate() {
        if raw.trim().is_empty() {
            continue;
        }
        let line: Line = match serde_json::from_str(raw) {
            Ok(l) => l,
            Err(e) => {
                eprintln!("line {}: malformed, skipped: {e}", n + 1);
                malformed += 1;
                continue;
            }
        };
        let mut given = Vec::new();
        for key in &line.given {
            match graph.by_key(key) {
                Some(o) => given.push(o),
                None => eprintln!("line {}: unknown organisation {key}, ignored", n + 1),
            }
        }
        let case = Case {
            given,
            subject: Subject::new(
                &line.topics,
                &line.call,
                &line.programme,
                &line.funding_scheme,
            ),
            exclude: None,
        };
        let ranked: Vec<&str> = recommend::rank(&graph, &case, method, k)
            .iter()
            .map(|s| graph.orgs[s.org as usize].key.as_str())
            .filter(|key| !line.given.iter().any(|g| g == key))
            .collect();
        out.push_str(&serde_json::to_string(
            &serde_json::json!({ "id": line.id, "ranked": ranked }),
        )?);
        out.push('\n');
    }
    print_out(&out)?;
    if malformed > 0 {
        eprintln!("{malformed} malformed lines skipped");
        std::process::exit(2);
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn,tower_http=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    if let Some(Command::Audit(AuditCommand::NewKey)) = cli.command {
        return print_out(&format!("{}\n", Keyring::generate()));
    }
    if let Some(Command::Specialisation { file, out, threads }) = &cli.command {
        return specialisation::run(file, out.as_deref(), *threads);
    }
    let db = Db::connect_with(
        &cli.database_url,
        cli.db_acquire_timeout.map(std::time::Duration::from_secs),
    )
    .await
    .with_context(|| format!("cannot open the database {}", cli.database_url))?;
    let applied = db.migrate().await.context("migrations failed")?;
    if !applied.is_empty() {
        tracing::info!(?applied, backend = db.backend.name(), "migrations applied");
    }
    // Commands that write to the audit trail need its key (created on first start beside a
    // SQLite database); the others read it when it is there.
    let writes = matches!(
        cli.command,
        None | Some(Command::Serve(_) | Command::Import(_) | Command::Admin(_))
    );
    let keys = audit_keys(
        cli.audit_key_file.as_deref(),
        &db,
        &cli.database_url,
        writes,
    )
    .await?;
    let db = match keys {
        Some(keys) => db.with_audit_keys(keys),
        None if writes => anyhow::bail!(
            "the audit trail needs a key: set POLES_AUDIT_KEY=ID:HEX (make one with \
             `poles audit new-key`) or name a key file with --audit-key-file"
        ),
        None => db,
    };
    match cli.command.unwrap_or(Command::Serve(ServeArgs {
        bind: std::env::var("POLES_BIND").unwrap_or_else(|_| "127.0.0.1:8080".into()),
        no_demo: false,
        secure_cookies: std::env::var("POLES_SECURE_COOKIES")
            .is_ok_and(|v| v == "true" || v == "1"),
        search_per_minute: std::env::var("POLES_SEARCH_PER_MINUTE")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(600),
        no_read_cache: std::env::var("POLES_NO_READ_CACHE").is_ok_and(|v| v == "true" || v == "1"),
        mail: MailArgs {
            smtp_url: std::env::var("POLES_SMTP_URL")
                .ok()
                .filter(|v| !v.is_empty()),
            mail_from: std::env::var("POLES_MAIL_FROM")
                .unwrap_or_else(|_| "Pôles <noreply@localhost>".into()),
            public_url: std::env::var("POLES_PUBLIC_URL").ok(),
        },
    })) {
        Command::Serve(args) => serve(db, args).await,
        Command::Migrate => {
            println!("migrations applied: {applied:?}");
            Ok(())
        }
        Command::Import(ImportCommand::Establishments {
            file,
            source,
            title_en,
            title_fr,
            reference_date,
            fictional,
        }) => {
            let open = || {
                std::fs::File::open(&file)
                    .with_context(|| format!("cannot read {}", file.display()))
            };
            let source = source.unwrap_or_else(|| {
                file.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| file.display().to_string())
            });
            let bar = Bar::new("the import will roll back");
            let options = poles_store::establishments::ImportOptions {
                source,
                title_en,
                title_fr,
                reference_date,
                fictional,
            };
            // A plain file streams (the national registry's are gigabytes); a .gz one is small.
            let report = if file.extension().is_some_and(|e| e == "gz") {
                let mut packed = Vec::new();
                std::io::Read::read_to_end(&mut open()?, &mut packed)?;
                let bytes = demo::gunzip(&packed);
                poles_store::establishments::import(&db, &bytes, &options, &bar).await?
            } else {
                let f = open()?;
                let len = f.metadata()?.len();
                poles_store::establishments::import_from(
                    &db,
                    std::io::BufReader::with_capacity(1 << 20, f),
                    len,
                    &options,
                    &bar,
                )
                .await?
            };
            bar.finish();
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(())
        }
        Command::Import(ImportCommand::Cordis { dir, strict }) => {
            let data = CordisData::read_dir(&dir)?;
            if strict && !data.rejected.is_empty() {
                for r in &data.rejected {
                    eprintln!("{} line {}: {}", r.file, r.line, r.reason);
                }
                anyhow::bail!(
                    "{} rows rejected; nothing imported (--strict)",
                    data.rejected.len()
                );
            }
            let bar = Bar::new("the import will roll back");
            let summary = import::import_cordis(&db, &data, &bar).await?;
            bar.finish();
            println!("{}", serde_json::to_string_pretty(&summary)?);
            Ok(())
        }
        Command::Recommend(RecommendCommand::Train { out, seed, cases }) => {
            let data = poles_store::recommend::graph_data(&db).await?;
            let hash = poles_store::recommend::data_sha256(&data);
            let graph = poles_core::recommend::Graph::build(data);
            let model = poles_core::recommend::train(&graph, seed, cases, &hash);
            std::fs::write(&out, serde_json::to_string_pretty(&model)? + "\n")?;
            eprintln!(
                "trained on {} consortia of {} projects (data {}): {}",
                model.trained_on.cases,
                model.trained_on.projects,
                &hash[..12],
                out.display()
            );
            Ok(())
        }
        Command::Recommend(RecommendCommand::Partners {
            batch,
            k,
            method,
            model,
        }) => recommend_batch(&db, &batch, k, &method, model.as_deref()).await,
        // Answered before the database is opened (it needs none).
        Command::Specialisation { file, out, threads } => {
            specialisation::run(&file, out.as_deref(), threads)
        }
        Command::Export(ExportCommand::Json { out }) => {
            match out {
                Some(path) => {
                    let f = std::fs::File::create(&path)?;
                    export::export_json(&db, std::io::BufWriter::new(f)).await?;
                }
                None => export::export_json(&db, std::io::stdout().lock()).await?,
            }
            Ok(())
        }
        Command::Admin(AdminCommand::CreateUser { email, role, scope }) => {
            let mut password = String::new();
            std::io::stdin().read_line(&mut password)?;
            let app = App::new(db, Default::default());
            let id = accounts::create_user_from_cli(
                &app,
                &email,
                password.trim_end_matches(['\n', '\r']),
                &RoleInput { role, scope },
            )
            .await?;
            println!("user {id} created: {}", email.trim().to_lowercase());
            Ok(())
        }
        Command::Admin(AdminCommand::ResetPassword { email }) => {
            let app = App::new(db, Default::default());
            match accounts::start_reset_from_cli(&app, &email).await? {
                Some(token) => {
                    println!("one-time reset token (valid 1 hour): {token}");
                    println!("use it at /reset?token={token}");
                    Ok(())
                }
                None => anyhow::bail!("no active account with that e-mail"),
            }
        }
        Command::Audit(AuditCommand::Verify { expect_head }) => {
            match audit::verify_trail(&db, expect_head.as_ref()).await? {
                Ok(v) => print_out(&verified(&v, expect_head.is_some())),
                Err(broken) => {
                    eprintln!("audit trail BROKEN at row {}: {}", broken.id, broken.reason);
                    std::process::exit(2);
                }
            }
        }
        Command::Audit(AuditCommand::Head) => match audit::head(&db).await? {
            Some(head) => print_out(&format!("{head}\n")),
            None => {
                eprintln!("the audit trail is empty");
                Ok(())
            }
        },
        Command::Audit(AuditCommand::NewKey) => print_out(&format!("{}\n", Keyring::generate())),
        Command::Backup { file } => {
            let started = std::time::Instant::now();
            let bar = Bar::new("no backup will be written");
            let summary = backup::backup(&db, &file, &bar).await;
            bar.finish();
            let summary = summary?;
            println!(
                "backup written to {}: {} tables, {} rows, schema version {}, in {:.1} s\nsha256 {}",
                file.display(),
                summary.tables.len(),
                summary.rows(),
                summary.header.schema_version,
                started.elapsed().as_secs_f64(),
                summary.sha256
            );
            Ok(())
        }
        Command::Restore { file } => {
            let started = std::time::Instant::now();
            let bar = Bar::new("the restore will roll back");
            let summary = backup::restore(&db, &file, &bar).await;
            bar.finish();
            let summary = summary?;
            println!(
                "restored {}: {} tables, {} rows (backup of {} made {}), in {:.1} s",
                file.display(),
                summary.tables.len(),
                summary.rows(),
                summary.header.backend,
                summary.header.created_at,
                started.elapsed().as_secs_f64()
            );
            println!("check it with `poles audit verify` (with the audit key the source used)");
            Ok(())
        }
        Command::Export(ExportCommand::Csv { dir }) => {
            for (table, rows) in export::export_csv(&db, &dir).await? {
                println!("{table}.csv: {rows} rows");
            }
            Ok(())
        }
    }
}

/// The audit chain's keys: `POLES_AUDIT_KEY`, else the file named by `--audit-key-file`,
/// else on SQLite the file beside the database — created when `create` (first start) unless
/// the trail is already signed with a key that would then be missing.
async fn audit_keys(
    file: Option<&Path>,
    db: &Db,
    url: &str,
    create: bool,
) -> anyhow::Result<Option<Keyring>> {
    let env = std::env::var("POLES_AUDIT_KEY")
        .ok()
        .filter(|v| !v.trim().is_empty());
    match (env, file) {
        (Some(_), Some(_)) => anyhow::bail!(
            "the audit key is given twice: POLES_AUDIT_KEY and --audit-key-file (or POLES_AUDIT_KEY_FILE)"
        ),
        (Some(text), None) => return Ok(Some(Keyring::parse(&text).context("POLES_AUDIT_KEY")?)),
        (None, Some(path)) => return Ok(Some(Keyring::read_file(path)?)),
        (None, None) => {}
    }
    let Some(path) = poles_store::db::sqlite_file(url).map(|db_file| {
        let mut name = db_file.into_os_string();
        name.push(".audit-key");
        PathBuf::from(name)
    }) else {
        return Ok(None);
    };
    if path.exists() {
        return Ok(Some(Keyring::read_file(&path)?));
    }
    if !create {
        return Ok(None);
    }
    let used = audit::key_ids_in_use(db).await?;
    if !used.is_empty() {
        anyhow::bail!(
            "the audit trail is signed with the key(s) {used:?}, but {} is missing and no key \
             is configured: restore the key file or set POLES_AUDIT_KEY",
            path.display()
        );
    }
    let keys = Keyring::create_file(&path)?;
    tracing::warn!(
        file = %path.display(),
        key = keys.current(),
        "audit key created beside the database: keep a copy elsewhere, never with the database's backups"
    );
    Ok(Some(keys))
}

/// The report of `poles audit verify`.
fn verified(v: &audit::Verified, head_checked: bool) -> String {
    let mut out = format!("audit trail intact: {} rows verified\n", v.rows());
    if let Some(to) = v.unkeyed_to {
        out.push_str(&format!(
            "  {} rows (1 to {to}) chained without a key, before the chain had one: checked with \
             the unkeyed rule, they are vouched for only by the keyed rows after them and by a \
             head kept outside the database\n",
            v.unkeyed
        ));
    }
    if v.keyed > 0 {
        out.push_str(&format!(
            "  {} rows keyed (keys: {})\n",
            v.keyed,
            v.key_ids.join(", ")
        ));
    }
    if let Some(head) = &v.head {
        if head_checked {
            out.push_str("the head kept outside the database is there: head matches\n");
        }
        out.push_str(&format!(
            "head: {head} (keep it outside the database; `poles audit verify --expect-head {head}` \
             then finds rows cut from the end)\n"
        ));
    }
    out
}

async fn serve(db: Db, args: ServeArgs) -> anyhow::Result<()> {
    let missing: Vec<String> = audit::key_ids_in_use(&db)
        .await?
        .into_iter()
        .filter(|id| db.audit_keys().is_some_and(|k| !k.ids().any(|k| k == id)))
        .collect();
    if !missing.is_empty() {
        tracing::warn!(
            ?missing,
            "the audit trail has rows signed with keys that are not configured: keep old keys after the current one, or `poles audit verify` fails"
        );
    }
    poles_store::funding::ensure_rules(&db).await?;
    if poles_store::funding::load_if_missing(&db).await? {
        tracing::info!("budgets and R&D zones loaded into an existing demo");
    }
    if poles_store::today::load_if_missing(&db).await? {
        tracing::info!("today's programme (phase V) loaded into an existing demo");
    }
    if poles_store::labels::load_history_if_missing(&db).await? {
        tracing::info!("the past label campaigns loaded from their sources");
    }
    if poles_store::search::ensure_current(&db).await? {
        tracing::info!("search index built again for this version");
    }
    let keyed = poles_store::registry::fill_name_keys(&db).await?;
    if keyed > 0 {
        tracing::info!(organisations = keyed, "sort keys given to organisations");
    }
    if !args.no_demo {
        let bar = Bar::new("the import will roll back");
        if let Some(report) = demo::load_if_empty(&db, true, &bar).await? {
            bar.finish();
            tracing::info!(
                clusters = report.clusters,
                communes = report.communes,
                projects = report.cordis.projects.created,
                organisations = report.cordis.organisations.created,
                "demo data loaded"
            );
        }
        let bar = Bar::new("the import will roll back");
        if demo::load_establishments_if_empty(&db, &bar).await? {
            bar.finish();
            tracing::info!("establishment registries loaded");
        }
        let app = App::new(db.clone(), Default::default());
        load_workflow(&app).await?;
    }
    let listener = tokio::net::TcpListener::bind(&args.bind)
        .await
        .with_context(|| format!("cannot listen on {}", args.bind))?;
    tracing::info!("Pôles serving on http://{}", listener.local_addr()?);
    let auth = poles_web::AuthConfig {
        secure_cookies: args.secure_cookies,
    };
    let config = poles_app::Config {
        public_url: args
            .mail
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", args.bind)),
        search_per_minute: args.search_per_minute,
        read_cache: !args.no_read_cache,
        ..Default::default()
    };
    let app = App::new(db, config);
    match &args.mail.smtp_url {
        Some(url) => {
            let settings = mail::SenderSettings::new(url.clone(), args.mail.mail_from.clone());
            let transport = mail::transport(&settings)
                .map_err(|e| anyhow::anyhow!("mail cannot be sent: {e}"))?;
            tokio::spawn(mail::run_sender(app.clone(), settings, transport));
            tracing::info!("mail leaves through SMTP from the outbox");
        }
        None => tracing::warn!(
            "no SMTP server configured (--smtp-url / POLES_SMTP_URL): mail waits in the outbox (/admin/mail)"
        ),
    }
    let app = poles_web::router(poles_web::AppState::new(app, auth));
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}

/// The demo's workflow (accounts, a call open today, applications at every stage), once per
/// demo database; the accounts' passwords are printed once: there are no default passwords.
async fn load_workflow(app: &App) -> anyhow::Result<()> {
    let Some(w) = poles_app::demo::load(app, poles_core::Date::today()).await? else {
        return Ok(());
    };
    println!(
        "Demo workflow: {} fictional applications in the calls {}",
        w.applications,
        w.calls.join(", ")
    );
    println!("Demo accounts (passwords shown once):");
    for a in &w.accounts {
        let password = a.password.as_deref().unwrap_or("(unchanged)");
        println!("  {:<34} {:<20} {password}", a.email, a.role);
    }
    Ok(())
}
