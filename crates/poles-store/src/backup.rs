//! Backup and restore in one logical format that Pôles writes itself, the same on both
//! backends: no external tool whose version must match the server's, and a backup made on
//! SQLite restores into PostgreSQL (and back).
//!
//! A backup is gzip'd JSON lines:
//! - a header: `{"format": "poles-backup", "format_version": 1, "schema_version": …,
//!   "backend": …, "created_at": …, "poles_version": …, "tables": [{"name", "columns",
//!   "types"}]}`, tables in foreign-key order (a table after every table it references);
//! - per table, `{"table": NAME}` then one line per row, an array of its values in the
//!   header's column order (ordered by primary key), each an integer, a string or null;
//! - a trailer: `{"end": {"rows": {TABLE: COUNT}, "sha256": …}}`, the SHA-256 of every
//!   line before it (newlines included), so that a damaged or cut file is refused.
//!
//! The schema holds only `BIGINT`/`INTEGER` and `TEXT` columns, but for the search index,
//! which is derived data: never backed up, built again by restore. [`backup`] refuses any
//! other type rather than guess. It reads one consistent snapshot (PostgreSQL: a REPEATABLE READ,
//! READ ONLY transaction; SQLite: one read transaction, a WAL snapshot), so it runs beside
//! a working server. Tables and columns come from the catalog; the migrations' own table is
//! left out (restore recreates it by migrating).
//!
//! [`restore`] checks the whole file first, then refuses a schema version other than this
//! binary's and a target that holds any data, and inserts every table in one transaction:
//! all or nothing. It only inserts (the audit tables are append-only); a row that references
//! a later row of its own table gets that column set once the table is in. On PostgreSQL the
//! identity sequences are then moved past the restored ids.
//!
//! The audit chain's key is not in the database, hence never in a backup.

use crate::error::{Result, StoreError};
use crate::import::Progress;
use crate::util::{insert_batched, Cell};
use crate::{audit, Backend, Db};
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use futures_util::TryStreamExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::Row;
use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

pub const FORMAT: &str = "poles-backup";
pub const FORMAT_VERSION: i64 = 1;

/// The migrations' bookkeeping: never backed up, recreated by migrating the target.
const MIGRATIONS_TABLE: &str = "schema_migrations";

/// The rows the migrations themselves insert (keys of `meta`), and the data version that
/// restore's own write transaction raises (`crate::version`): a freshly migrated database
/// holds them, so they do not make it "not empty", and restore replaces them with the
/// backup's. A test checks that no migration inserts anything else.
pub(crate) const SEEDED_META: &[&str] = &["write_lock", "data_version", "data_changed_at"];

/// The search index: derived from the other tables (and holding posting lists as bytes),
/// never backed up; restore builds it again from what it restored.
const DERIVED_TABLES: &[&str] = &[
    "search_entries",
    "search_terms",
    "search_vocab",
    "search_stats",
];

/// Rows per insert batch and per progress step.
const BATCH: usize = 500;

/// What a column holds, in the backup as in the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Integer,
    Text,
}

/// A table as the header describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableDef {
    pub name: String,
    pub columns: Vec<String>,
    pub types: Vec<Kind>,
}

/// The first line of a backup.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Header {
    pub format: String,
    pub format_version: i64,
    pub schema_version: i64,
    pub backend: String,
    pub created_at: String,
    pub poles_version: String,
    pub tables: Vec<TableDef>,
}

#[derive(Serialize, Deserialize)]
struct TableStart {
    table: String,
}

#[derive(Serialize, Deserialize)]
struct Trailer {
    end: End,
}

#[derive(Serialize, Deserialize)]
struct End {
    rows: BTreeMap<String, u64>,
    sha256: String,
}

/// What a backup holds: its header, rows per table in file order, and its checksum.
#[derive(Debug, Clone)]
pub struct Summary {
    pub header: Header,
    pub tables: Vec<(String, u64)>,
    pub sha256: String,
}

impl Summary {
    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|(_, n)| n).sum()
    }
}

fn refused(msg: impl Into<String>) -> StoreError {
    StoreError::Backup(msg.into())
}

fn io_error(path: &Path, e: std::io::Error) -> StoreError {
    refused(format!("{}: {e}", path.display()))
}

fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

// ---------------------------------------------------------------------------------------
// The catalog
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Column {
    name: String,
    kind: Kind,
    nullable: bool,
    identity: bool,
}

#[derive(Debug, Clone)]
struct ForeignKey {
    parent: String,
    from: Vec<String>,
    to: Vec<String>,
}

#[derive(Debug, Clone)]
struct Table {
    name: String,
    columns: Vec<Column>,
    pk: Vec<String>,
    fks: Vec<ForeignKey>,
}

impl Table {
    fn def(&self) -> TableDef {
        TableDef {
            name: self.name.clone(),
            columns: self.columns.iter().map(|c| c.name.clone()).collect(),
            types: self.columns.iter().map(|c| c.kind).collect(),
        }
    }
}

fn kind_of(backend: Backend, table: &str, column: &str, declared: &str) -> Result<Kind> {
    let t = declared.trim().to_ascii_lowercase();
    match (backend, t.as_str()) {
        (Backend::Sqlite, "integer" | "bigint") | (Backend::Postgres, "bigint") => {
            Ok(Kind::Integer)
        }
        (_, "text") => Ok(Kind::Text),
        _ => Err(refused(format!(
            "table {table}, column {column}: type {declared:?} is not one the backup format \
             carries (BIGINT and TEXT only); the format needs a new version first"
        ))),
    }
}

/// Every table of the database but the migrations' own, sorted by name, with its columns
/// in declared order, its primary key and its foreign keys.
async fn catalog(tx: &mut impl crate::util::Tx, backend: Backend) -> Result<Vec<Table>> {
    let names: Vec<String> = match backend {
        Backend::Sqlite => {
            sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'table' \
                 AND substr(name, 1, 7) <> 'sqlite_' ORDER BY name",
            )
            .fetch_all(&mut **tx)
            .await?
        }
        Backend::Postgres => {
            sqlx::query_scalar(
                "SELECT CAST(table_name AS TEXT) FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1",
            )
            .fetch_all(&mut **tx)
            .await?
        }
    };
    let mut tables = Vec::new();
    for name in names
        .into_iter()
        .filter(|n| n != MIGRATIONS_TABLE && !DERIVED_TABLES.contains(&n.as_str()))
    {
        let table = match backend {
            Backend::Sqlite => sqlite_table(tx, name).await?,
            Backend::Postgres => postgres_table(tx, name).await?,
        };
        tables.push(table);
    }
    Ok(tables)
}

async fn sqlite_table(tx: &mut impl crate::util::Tx, name: String) -> Result<Table> {
    let cols: Vec<(String, String, i64, i64)> = sqlx::query_as(
        "SELECT name, type, \"notnull\", pk FROM pragma_table_info($1) ORDER BY cid",
    )
    .bind(&name)
    .fetch_all(&mut **tx)
    .await?;
    let mut columns = Vec::new();
    let mut pk: Vec<(i64, String)> = Vec::new();
    for (col, declared, notnull, pk_pos) in cols {
        columns.push(Column {
            kind: kind_of(Backend::Sqlite, &name, &col, &declared)?,
            nullable: notnull == 0,
            identity: false,
            name: col.clone(),
        });
        if pk_pos > 0 {
            pk.push((pk_pos, col));
        }
    }
    pk.sort();
    let pk: Vec<String> = pk.into_iter().map(|(_, c)| c).collect();
    let rows: Vec<(i64, String, String, Option<String>)> = sqlx::query_as(
        "SELECT id, \"table\", \"from\", \"to\" FROM pragma_foreign_key_list($1) ORDER BY id, seq",
    )
    .bind(&name)
    .fetch_all(&mut **tx)
    .await?;
    let mut fks: Vec<(i64, ForeignKey)> = Vec::new();
    for (id, parent, from, to) in rows {
        match fks.last_mut() {
            Some((last, fk)) if *last == id => {
                fk.from.push(from);
                fk.to.extend(to);
            }
            _ => fks.push((
                id,
                ForeignKey {
                    parent,
                    from: vec![from],
                    to: to.into_iter().collect(),
                },
            )),
        }
    }
    let mut out = Table {
        name,
        columns,
        pk,
        fks: fks.into_iter().map(|(_, fk)| fk).collect(),
    };
    // `REFERENCES t` without columns names the parent's primary key; filled in by the caller
    // when the parent is known. Only self references need it here.
    for fk in &mut out.fks {
        if fk.to.is_empty() && fk.parent == out.name {
            fk.to = out.pk.clone();
        }
    }
    Ok(out)
}

async fn postgres_table(tx: &mut impl crate::util::Tx, name: String) -> Result<Table> {
    let cols: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT CAST(column_name AS TEXT), CAST(data_type AS TEXT), CAST(is_nullable AS TEXT), \
         CAST(is_identity AS TEXT) FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
    )
    .bind(&name)
    .fetch_all(&mut **tx)
    .await?;
    let mut columns = Vec::new();
    for (col, declared, nullable, identity) in cols {
        columns.push(Column {
            kind: kind_of(Backend::Postgres, &name, &col, &declared)?,
            nullable: nullable == "YES",
            identity: identity == "YES",
            name: col,
        });
    }
    let pk: Vec<String> = sqlx::query_scalar(
        "SELECT CAST(k.column_name AS TEXT) FROM information_schema.table_constraints t \
         JOIN information_schema.key_column_usage k ON k.constraint_name = t.constraint_name \
         AND k.table_schema = t.table_schema AND k.table_name = t.table_name \
         WHERE t.constraint_type = 'PRIMARY KEY' AND t.table_schema = current_schema() \
         AND t.table_name = $1 ORDER BY k.ordinal_position",
    )
    .bind(&name)
    .fetch_all(&mut **tx)
    .await?;
    let rows: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT CAST(c.conname AS TEXT), CAST(p.relname AS TEXT), CAST(a.attname AS TEXT), \
         CAST(pa.attname AS TEXT) \
         FROM pg_constraint c \
         JOIN pg_class t ON t.oid = c.conrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         JOIN pg_class p ON p.oid = c.confrelid \
         CROSS JOIN LATERAL unnest(c.conkey, c.confkey) WITH ORDINALITY AS k(attnum, fattnum, ord) \
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum \
         JOIN pg_attribute pa ON pa.attrelid = c.confrelid AND pa.attnum = k.fattnum \
         WHERE c.contype = 'f' AND n.nspname = current_schema() AND t.relname = $1 \
         ORDER BY c.conname, k.ord",
    )
    .bind(&name)
    .fetch_all(&mut **tx)
    .await?;
    let mut fks: Vec<(String, ForeignKey)> = Vec::new();
    for (con, parent, from, to) in rows {
        match fks.last_mut() {
            Some((last, fk)) if *last == con => {
                fk.from.push(from);
                fk.to.push(to);
            }
            _ => fks.push((
                con,
                ForeignKey {
                    parent,
                    from: vec![from],
                    to: vec![to],
                },
            )),
        }
    }
    Ok(Table {
        name,
        columns,
        pk,
        fks: fks.into_iter().map(|(_, fk)| fk).collect(),
    })
}

/// The tables in an order where each comes after every table it references (self references
/// aside), ties broken by name so that the order is the same on both backends.
fn fk_order(tables: &[Table]) -> Result<Vec<Table>> {
    let mut left: Vec<&Table> = tables.iter().collect();
    left.sort_by(|a, b| a.name.cmp(&b.name));
    let mut done: HashSet<&str> = HashSet::new();
    let mut out = Vec::new();
    while !left.is_empty() {
        let ready = left.iter().position(|t| {
            t.fks
                .iter()
                .all(|fk| fk.parent == t.name || done.contains(fk.parent.as_str()))
        });
        let Some(i) = ready else {
            let names: Vec<&str> = left.iter().map(|t| t.name.as_str()).collect();
            return Err(refused(format!(
                "the tables {names:?} reference each other in a circle; the backup format \
                 cannot order them"
            )));
        };
        let t = left.remove(i);
        done.insert(t.name.as_str());
        out.push(t.clone());
    }
    Ok(out)
}

async fn applied_version(tx: &mut impl crate::util::Tx) -> Result<Option<i64>> {
    Ok(
        sqlx::query_scalar(&format!("SELECT MAX(version) FROM {MIGRATIONS_TABLE}"))
            .fetch_one(&mut **tx)
            .await?,
    )
}

// ---------------------------------------------------------------------------------------
// Backup
// ---------------------------------------------------------------------------------------

/// Writes lines into the gzip stream, hashing every byte of the content.
struct Sink {
    out: GzEncoder<BufWriter<File>>,
    hash: Sha256,
    buf: Vec<u8>,
}

impl Sink {
    fn line<T: Serialize + ?Sized>(&mut self, v: &T) -> std::io::Result<()> {
        self.buf.clear();
        serde_json::to_writer(&mut self.buf, v)?;
        self.buf.push(b'\n');
        self.hash.update(&self.buf);
        self.out.write_all(&self.buf)
    }
}

/// `FILE.partial` beside `FILE`: written first, renamed once complete and synced, so that a
/// failed or interrupted backup never leaves a file under the name of a good one.
fn partial_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    path.with_file_name(name)
}

/// Writes a backup of the whole database to `path` (replaced only once the backup is
/// complete). Runs beside a working server: it reads one consistent snapshot.
pub async fn backup(db: &Db, path: &Path, progress: &dyn Progress) -> Result<Summary> {
    let partial = partial_path(path);
    match backup_to(db, &partial, progress).await {
        Ok(summary) => {
            std::fs::rename(&partial, path).map_err(|e| io_error(path, e))?;
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                // The rename itself survives a power cut once the folder is synced.
                if let Ok(d) = File::open(dir) {
                    let _ = d.sync_all();
                }
            }
            Ok(summary)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(e)
        }
    }
}

async fn backup_to(db: &Db, path: &Path, progress: &dyn Progress) -> Result<Summary> {
    let file = File::create(path).map_err(|e| io_error(path, e))?;
    let mut sink = Sink {
        out: GzEncoder::new(BufWriter::new(file), Compression::default()),
        hash: Sha256::new(),
        buf: Vec::new(),
    };
    let io = |e: std::io::Error| io_error(path, e);
    let mut tx = db.pool.begin().await?;
    if db.backend == Backend::Postgres {
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await?;
    }
    // On SQLite the first read starts the snapshot; every later read of the transaction
    // sees the database as it was then.
    let Some(schema_version) = applied_version(&mut tx).await? else {
        return Err(refused("the database is not migrated: nothing to back up"));
    };
    let tables = fk_order(&catalog(&mut tx, db.backend).await?)?;
    let header = Header {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        schema_version,
        backend: db.backend.name().into(),
        created_at: crate::util::now_utc(),
        poles_version: env!("CARGO_PKG_VERSION").into(),
        tables: tables.iter().map(Table::def).collect(),
    };
    sink.line(&header).map_err(io)?;
    let mut counts = Vec::new();
    for t in &tables {
        let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {}", quote(&t.name)))
            .fetch_one(&mut *tx)
            .await?;
        progress.stage(&t.name, u64::try_from(total).unwrap_or(0));
        sink.line(&TableStart {
            table: t.name.clone(),
        })
        .map_err(io)?;
        let cols: Vec<String> = t.columns.iter().map(|c| quote(&c.name)).collect();
        let mut sql = format!("SELECT {} FROM {}", cols.join(", "), quote(&t.name));
        if t.name == "meta" {
            // A counter of writes for the servers' caches, and the search index's version
            // (the index is derived data: restore builds it and records its version), not data.
            sql.push_str(
                " WHERE key NOT IN ('data_version', 'data_changed_at', 'search_index_version')",
            );
        }
        if !t.pk.is_empty() {
            let pk: Vec<String> = t.pk.iter().map(|c| quote(c)).collect();
            sql.push_str(&format!(" ORDER BY {}", pk.join(", ")));
        }
        let (mut n, mut pending): (u64, u64) = (0, 0);
        let mut values: Vec<Value> = Vec::with_capacity(t.columns.len());
        {
            let mut rows = sqlx::query(&sql).fetch(&mut *tx);
            while let Some(row) = rows.try_next().await? {
                values.clear();
                for (i, c) in t.columns.iter().enumerate() {
                    let v = match c.kind {
                        Kind::Integer => row.try_get::<Option<i64>, _>(i).map(|v| v.into()),
                        Kind::Text => row.try_get::<Option<String>, _>(i).map(|v| v.into()),
                    }
                    .map_err(|e| {
                        refused(format!(
                            "table {}, column {}: a stored value cannot be read as {:?}: {e}",
                            t.name, c.name, c.kind
                        ))
                    })?;
                    values.push(v);
                }
                sink.line(&values).map_err(io)?;
                n += 1;
                pending += 1;
                if pending == BATCH as u64 {
                    progress.inc(pending);
                    pending = 0;
                    if progress.cancelled() {
                        return Err(refused("backup cancelled; no file was written"));
                    }
                }
            }
        }
        progress.inc(pending);
        counts.push((t.name.clone(), n));
    }
    tx.rollback().await?;
    let sha256 = crate::util::hex(&sink.hash.clone().finalize());
    let trailer = Trailer {
        end: End {
            rows: counts.iter().cloned().collect(),
            sha256: sha256.clone(),
        },
    };
    let mut line = serde_json::to_vec(&trailer).map_err(|e| io(e.into()))?;
    line.push(b'\n');
    sink.out.write_all(&line).map_err(io)?;
    let file = sink
        .out
        .finish()
        .map_err(io)?
        .into_inner()
        .map_err(|e| io(e.into_error()))?;
    file.sync_all().map_err(io)?;
    Ok(Summary {
        header,
        tables: counts,
        sha256,
    })
}

// ---------------------------------------------------------------------------------------
// Reading a backup
// ---------------------------------------------------------------------------------------

enum Item {
    /// A table starts: its index in the header.
    Table(usize),
    Row(Vec<Value>),
}

/// Reads a backup line by line, checking its structure as it goes: the header first, the
/// tables in the header's order, rows of the right length and types, and a trailer whose
/// counts and checksum match, followed by nothing.
struct Reader {
    path: PathBuf,
    lines: BufReader<GzDecoder<File>>,
    hash: Sha256,
    buf: String,
    line: u64,
    header: Header,
    current: Option<usize>,
    counts: Vec<u64>,
    summary: Option<Summary>,
}

impl Reader {
    fn open(path: &Path) -> Result<Reader> {
        use std::io::{Read, Seek};
        let not_ours = || refused(format!("{} is not a Pôles backup", path.display()));
        let mut file = File::open(path).map_err(|e| io_error(path, e))?;
        let mut magic = [0u8; 2];
        if file.read_exact(&mut magic).is_err() || magic != [0x1f, 0x8b] {
            return Err(not_ours());
        }
        file.rewind().map_err(|e| io_error(path, e))?;
        let mut lines = BufReader::new(GzDecoder::new(file));
        let mut buf = String::new();
        lines.read_line(&mut buf).map_err(|e| {
            refused(format!(
                "{} is damaged or cut short: {e}; nothing was restored",
                path.display()
            ))
        })?;
        let header: Header = serde_json::from_str(&buf).map_err(|_| not_ours())?;
        if header.format != FORMAT {
            return Err(not_ours());
        }
        if header.format_version != FORMAT_VERSION {
            return Err(refused(format!(
                "{} is in backup format version {}; this Pôles reads version {FORMAT_VERSION}: \
                 restore it with the version of Pôles that made it ({})",
                path.display(),
                header.format_version,
                header.poles_version
            )));
        }
        for t in &header.tables {
            if t.columns.len() != t.types.len() || t.columns.is_empty() {
                return Err(refused(format!(
                    "{}: the header describes table {} badly",
                    path.display(),
                    t.name
                )));
            }
        }
        let mut hash = Sha256::new();
        hash.update(buf.as_bytes());
        let counts = vec![0; header.tables.len()];
        Ok(Reader {
            path: path.to_path_buf(),
            lines,
            hash,
            buf,
            line: 1,
            header,
            current: None,
            counts,
            summary: None,
        })
    }

    fn bad(&self, what: impl std::fmt::Display) -> StoreError {
        refused(format!(
            "{} is damaged at line {}: {what}; nothing was restored",
            self.path.display(),
            self.line
        ))
    }

    /// The next table start or row; `None` after a trailer that matches (see `summary`).
    fn next(&mut self) -> Result<Option<Item>> {
        if self.summary.is_some() {
            return Ok(None);
        }
        self.buf.clear();
        let n = self.lines.read_line(&mut self.buf).map_err(|e| {
            refused(format!(
                "{} is damaged or cut short after line {}: {e}; nothing was restored",
                self.path.display(),
                self.line
            ))
        })?;
        self.line += 1;
        if n == 0 || !self.buf.ends_with('\n') {
            return Err(self.bad("the file ends before its trailer (cut short)"));
        }
        if self.buf.starts_with('[') {
            let Some(t) = self.current else {
                return Err(self.bad("a row before any table"));
            };
            let row: Vec<Value> = serde_json::from_str(&self.buf).map_err(|e| self.bad(e))?;
            let def = &self.header.tables[t];
            if row.len() != def.columns.len() {
                return Err(self.bad(format!(
                    "a row of {} has {} values for {} columns",
                    def.name,
                    row.len(),
                    def.columns.len()
                )));
            }
            for ((v, kind), col) in row.iter().zip(&def.types).zip(&def.columns) {
                let fits = match (kind, v) {
                    (_, Value::Null) => true,
                    (Kind::Integer, Value::Number(n)) => n.is_i64(),
                    (Kind::Text, Value::String(_)) => true,
                    _ => false,
                };
                if !fits {
                    return Err(self.bad(format!("{}.{} holds {v}, not {kind:?}", def.name, col)));
                }
            }
            self.hash.update(self.buf.as_bytes());
            self.counts[t] += 1;
            return Ok(Some(Item::Row(row)));
        }
        if let Ok(start) = serde_json::from_str::<TableStart>(&self.buf) {
            let next = self.current.map_or(0, |c| c + 1);
            if self.header.tables.get(next).map(|t| &t.name) != Some(&start.table) {
                return Err(self.bad(format!("table {} out of order", start.table)));
            }
            self.hash.update(self.buf.as_bytes());
            self.current = Some(next);
            return Ok(Some(Item::Table(next)));
        }
        if let Ok(trailer) = serde_json::from_str::<Trailer>(&self.buf) {
            if self.current.map_or(0, |c| c + 1) != self.header.tables.len() {
                return Err(self.bad("the trailer comes before the last table"));
            }
            let sha256 = crate::util::hex(&self.hash.clone().finalize());
            if trailer.end.sha256 != sha256 {
                return Err(self.bad(format!(
                    "its content does not match its checksum (SHA-256 {sha256}, recorded {})",
                    trailer.end.sha256
                )));
            }
            let tables: Vec<(String, u64)> = self
                .header
                .tables
                .iter()
                .zip(&self.counts)
                .map(|(t, n)| (t.name.clone(), *n))
                .collect();
            let recorded: Vec<(String, u64)> = trailer.end.rows.into_iter().collect();
            let mut counted = tables.clone();
            counted.sort();
            if counted != recorded {
                return Err(self.bad("the rows per table differ from the trailer's counts"));
            }
            let mut rest = String::new();
            let more = self.lines.read_line(&mut rest).map_err(|e| {
                refused(format!(
                    "{} is damaged after its trailer: {e}",
                    self.path.display()
                ))
            })?;
            if more != 0 {
                return Err(self.bad("there is more after the trailer"));
            }
            self.summary = Some(Summary {
                header: self.header.clone(),
                tables,
                sha256,
            });
            return Ok(None);
        }
        Err(self.bad("a line that is neither a table, a row nor the trailer"))
    }
}

/// Reads a whole backup and checks it (structure, types, counts, checksum) without a
/// database; what it holds.
pub fn check(path: &Path) -> Result<Summary> {
    let mut r = Reader::open(path)?;
    while r.next()?.is_some() {}
    r.summary.ok_or_else(|| refused("unreachable: no trailer"))
}

// ---------------------------------------------------------------------------------------
// Restore
// ---------------------------------------------------------------------------------------

/// Restores a backup into a freshly migrated, empty database, all or nothing. The file is
/// checked whole first; then the schema versions must match, and the target must hold no
/// data (nothing but what the migrations insert).
pub async fn restore(db: &Db, path: &Path, progress: &dyn Progress) -> Result<Summary> {
    progress.stage("checking the file", 1);
    let owned = path.to_path_buf();
    let checked = tokio::task::spawn_blocking(move || check(&owned))
        .await
        .map_err(|e| refused(format!("checking the backup failed: {e}")))??;
    progress.inc(1);
    let ours = crate::db::schema_version();
    let theirs = checked.header.schema_version;
    if theirs > ours {
        return Err(refused(format!(
            "this backup has schema version {theirs}, made by a newer Pôles ({}); this one is at \
             version {ours}: restore it with Pôles {} or later",
            checked.header.poles_version, checked.header.poles_version
        )));
    }
    if theirs < ours {
        return Err(refused(format!(
            "this backup has schema version {theirs} (Pôles {}); this Pôles is at version {ours}: \
             restore it with the version of Pôles that made it, then start this version on the \
             restored database, which migrates it",
            checked.header.poles_version
        )));
    }
    // Holds the audit write lock: no audited write can slip in beside the restore.
    let mut tx = audit::begin_write(db).await?;
    let applied = applied_version(&mut tx).await?;
    if applied != Some(ours) {
        return Err(refused(format!(
            "the target database is at schema version {applied:?}, not {ours}: run `poles migrate` \
             on it first"
        )));
    }
    let tables = catalog(&mut tx, db.backend).await?;
    let plan = plan(&checked.header, &tables)?;
    refuse_unless_empty(&mut tx, &tables).await?;
    if tables.iter().any(|t| t.name == "meta") {
        let keys: Vec<String> = SEEDED_META.iter().map(|k| format!("'{k}'")).collect();
        sqlx::query(&format!(
            "DELETE FROM meta WHERE key IN ({})",
            keys.join(", ")
        ))
        .execute(&mut *tx)
        .await?;
    }

    let mut reader = Reader::open(path)?;
    let mut current: Option<Loading> = None;
    while let Some(item) = reader.next()? {
        match item {
            Item::Table(i) => {
                if let Some(done) = current.take() {
                    done.finish(&mut tx).await?;
                }
                let (name, n) = &checked.tables[i];
                progress.stage(name, *n);
                current = Some(Loading::new(&plan[i], db.backend));
            }
            Item::Row(row) => {
                let Some(l) = current.as_mut() else {
                    return Err(refused("a row before any table"));
                };
                l.push(row)?;
                if l.batch.len() >= BATCH {
                    l.flush(&mut tx).await?;
                    progress.inc(BATCH as u64);
                    if progress.cancelled() {
                        return Err(refused("restore cancelled; nothing was restored"));
                    }
                }
            }
        }
    }
    if let Some(done) = current.take() {
        done.finish(&mut tx).await?;
    }
    let read = reader
        .summary
        .ok_or_else(|| refused("unreachable: no trailer"))?;
    if read.sha256 != checked.sha256 {
        return Err(refused(format!(
            "{} changed while it was being restored; nothing was restored",
            path.display()
        )));
    }
    progress.stage("search index", 1);
    crate::search::rebuild(&mut tx).await?;
    progress.inc(1);
    if db.backend == Backend::Postgres {
        for t in &tables {
            for c in t.columns.iter().filter(|c| c.identity) {
                sqlx::query(&format!(
                    "SELECT setval(pg_get_serial_sequence($1, $2), m) \
                     FROM (SELECT MAX({}) AS m FROM {}) x WHERE m IS NOT NULL",
                    quote(&c.name),
                    quote(&t.name)
                ))
                .bind(&t.name)
                .bind(&c.name)
                .execute(&mut *tx)
                .await?;
            }
        }
    }
    tx.commit().await?;
    Ok(checked)
}

/// How one table of the backup goes into the target.
struct TablePlan {
    name: String,
    /// The backup's column names, quoted, in the backup's order.
    columns: Vec<String>,
    types: Vec<Kind>,
    /// Self references: (referencing column, referenced column), indices into `columns`.
    selfs: Vec<(usize, usize)>,
    /// The primary key's columns, indices into `columns` (to set self references later).
    pk: Vec<usize>,
}

/// Matches the backup's tables with the target's: the same tables, the same columns of the
/// same kinds (in any order), and the file's order a valid insertion order there.
fn plan(header: &Header, tables: &[Table]) -> Result<Vec<TablePlan>> {
    let mismatch = |what: String| {
        refused(format!(
            "the backup does not fit this database's schema: {what}"
        ))
    };
    let mut seen: HashSet<&str> = HashSet::new();
    let mut plans = Vec::new();
    for def in &header.tables {
        let Some(t) = tables.iter().find(|t| t.name == def.name) else {
            return Err(mismatch(format!("this database has no table {}", def.name)));
        };
        let mut names: Vec<&str> = def.columns.iter().map(String::as_str).collect();
        let mut theirs: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
        names.sort_unstable();
        theirs.sort_unstable();
        if names != theirs {
            return Err(mismatch(format!(
                "table {} has columns {theirs:?} here, {names:?} in the backup",
                t.name
            )));
        }
        let index = |col: &str| def.columns.iter().position(|c| c == col);
        for (col, kind) in def.columns.iter().zip(&def.types) {
            let here = t.columns.iter().find(|c| &c.name == col).map(|c| c.kind);
            if here != Some(*kind) {
                return Err(mismatch(format!(
                    "{}.{col} is {here:?} here, {kind:?} in the backup",
                    t.name
                )));
            }
        }
        let mut selfs = Vec::new();
        for fk in &t.fks {
            if fk.parent == t.name {
                let (Some(from), Some(to), 1, 1) = (
                    fk.from.first().and_then(|c| index(c)),
                    fk.to.first().and_then(|c| index(c)),
                    fk.from.len(),
                    fk.to.len(),
                ) else {
                    return Err(mismatch(format!(
                        "table {} references itself through several columns",
                        t.name
                    )));
                };
                if !t.columns.iter().any(|c| c.name == fk.from[0] && c.nullable) {
                    return Err(mismatch(format!(
                        "{}.{} references its own table and cannot be empty",
                        t.name, fk.from[0]
                    )));
                }
                selfs.push((from, to));
            } else if !seen.contains(fk.parent.as_str()) {
                return Err(mismatch(format!(
                    "table {} comes before {}, which it references",
                    t.name, fk.parent
                )));
            }
        }
        let pk: Option<Vec<usize>> = t.pk.iter().map(|c| index(c)).collect();
        let pk = pk.unwrap_or_default();
        if !selfs.is_empty() && pk.is_empty() {
            return Err(mismatch(format!(
                "table {} references itself but has no primary key",
                t.name
            )));
        }
        seen.insert(t.name.as_str());
        plans.push(TablePlan {
            name: t.name.clone(),
            columns: def.columns.iter().map(|c| quote(c)).collect(),
            types: def.types.clone(),
            selfs,
            pk,
        });
    }
    if let Some(t) = tables.iter().find(|t| !seen.contains(t.name.as_str())) {
        return Err(mismatch(format!("the backup has no table {}", t.name)));
    }
    Ok(plans)
}

/// Refuses a target that holds any data: every table empty, but for the rows the
/// migrations insert.
async fn refuse_unless_empty(tx: &mut impl crate::util::Tx, tables: &[Table]) -> Result<()> {
    let mut full = Vec::new();
    for t in tables {
        let mut sql = format!("SELECT COUNT(*) FROM {}", quote(&t.name));
        if t.name == "meta" {
            let keys: Vec<String> = SEEDED_META.iter().map(|k| format!("'{k}'")).collect();
            sql.push_str(&format!(" WHERE key NOT IN ({})", keys.join(", ")));
        }
        let n: i64 = sqlx::query_scalar(&sql).fetch_one(&mut **tx).await?;
        if n > 0 {
            full.push(format!("{} ({n} rows)", t.name));
        }
    }
    if full.is_empty() {
        return Ok(());
    }
    Err(refused(format!(
        "the target database is not empty ({}): a backup restores only into a new database \
         that nothing but `poles migrate` has touched (`poles serve` loads the demo and the \
         relief rules); create a new database and restore into it",
        full.join(", ")
    )))
}

/// One table being inserted: a batch of rows, the values of the referenced column seen so
/// far (for self references) and the self references to set once the table is in.
struct Loading<'p> {
    plan: &'p TablePlan,
    backend: Backend,
    batch: Vec<Vec<Cell>>,
    seen: Vec<HashSet<String>>,
    later: Vec<(Vec<Cell>, usize, Cell)>,
}

impl<'p> Loading<'p> {
    fn new(plan: &'p TablePlan, backend: Backend) -> Loading<'p> {
        Loading {
            plan,
            backend,
            batch: Vec::new(),
            seen: vec![HashSet::new(); plan.selfs.len()],
            later: Vec::new(),
        }
    }

    fn cell(&self, kind: Kind, v: Value) -> Result<Cell> {
        Ok(match (kind, v) {
            (Kind::Integer, Value::Number(n)) => Cell::I(n.as_i64()),
            (Kind::Integer, _) => Cell::I(None),
            (Kind::Text, Value::String(s)) => {
                if self.backend == Backend::Postgres && s.contains('\0') {
                    return Err(refused(format!(
                        "table {}: a text holds a NUL character, which PostgreSQL cannot store; \
                         nothing was restored",
                        self.plan.name
                    )));
                }
                Cell::T(Some(s))
            }
            (Kind::Text, _) => Cell::T(None),
        })
    }

    fn push(&mut self, row: Vec<Value>) -> Result<()> {
        let plan = self.plan;
        for (k, (_, to)) in plan.selfs.iter().enumerate() {
            if let Some(v) = row.get(*to).filter(|v| !v.is_null()) {
                self.seen[k].insert(v.to_string());
            }
        }
        let mut deferred = Vec::new();
        for (k, (from, _)) in plan.selfs.iter().enumerate() {
            if let Some(v) = row.get(*from).filter(|v| !v.is_null()) {
                if !self.seen[k].contains(&v.to_string()) {
                    deferred.push(*from);
                }
            }
        }
        let mut cells = Vec::with_capacity(row.len());
        for (i, (v, kind)) in row.into_iter().zip(&plan.types).enumerate() {
            if deferred.contains(&i) {
                // A reference to a row of this table not inserted yet: set once it is.
                cells.push(self.cell(*kind, Value::Null)?);
                let value = self.cell(*kind, v)?;
                self.later.push((Vec::new(), i, value));
            } else {
                cells.push(self.cell(*kind, v)?);
            }
        }
        let n = deferred.len();
        let start = self.later.len() - n;
        for entry in &mut self.later[start..] {
            entry.0 = plan.pk.iter().map(|&p| cells[p].clone()).collect();
        }
        self.batch.push(cells);
        Ok(())
    }

    async fn flush(&mut self, tx: &mut impl crate::util::Tx) -> Result<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut self.batch);
        let cols: Vec<&str> = self.plan.columns.iter().map(String::as_str).collect();
        insert_batched(tx, &quote(&self.plan.name), &cols, rows, "").await?;
        Ok(())
    }

    async fn finish(mut self, tx: &mut impl crate::util::Tx) -> Result<()> {
        self.flush(tx).await?;
        for (key, col, value) in std::mem::take(&mut self.later) {
            let mut sql = format!(
                "UPDATE {} SET {} = $1 WHERE ",
                quote(&self.plan.name),
                self.plan.columns[col]
            );
            let conds: Vec<String> = self
                .plan
                .pk
                .iter()
                .enumerate()
                .map(|(k, &p)| format!("{} = ${}", self.plan.columns[p], k + 2))
                .collect();
            sql.push_str(&conds.join(" AND "));
            crate::util::query_with(&sql, std::iter::once(value).chain(key))
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Restore lets a fresh database's seeded rows stand in for "empty" and replaces them:
    /// every row a migration inserts must be one of those.
    #[test]
    fn migrations_insert_only_the_seeded_meta_rows() {
        for backend in [Backend::Sqlite, Backend::Postgres] {
            for (version, sql) in crate::db::migration_scripts(backend) {
                let upper = sql.to_ascii_uppercase();
                for (at, _) in upper.match_indices("INSERT INTO") {
                    let rest = &sql[at..];
                    let seeded = SEEDED_META.iter().any(|k| {
                        rest.starts_with(&format!("INSERT INTO meta (key, value) VALUES ('{k}',"))
                    });
                    assert!(
                        seeded,
                        "migration {version} ({backend:?}) inserts rows other than the seeded \
                         meta keys: list them in backup::SEEDED_META (and check restore): {}",
                        &rest[..rest.len().min(80)]
                    );
                }
            }
        }
    }

    /// Every value is an integer, a string or null: a column of any other type (a float, a
    /// boolean, a timestamp…) stops the backup instead of being written approximately.
    #[test]
    fn only_integer_and_text_columns_are_carried() {
        for (backend, declared, kind) in [
            (Backend::Sqlite, "INTEGER", Some(Kind::Integer)),
            (Backend::Sqlite, "BIGINT", Some(Kind::Integer)),
            (Backend::Sqlite, "TEXT", Some(Kind::Text)),
            (Backend::Sqlite, "REAL", None),
            (Backend::Sqlite, "", None),
            (Backend::Postgres, "bigint", Some(Kind::Integer)),
            (Backend::Postgres, "text", Some(Kind::Text)),
            (Backend::Postgres, "integer", None),
            (Backend::Postgres, "double precision", None),
            (Backend::Postgres, "boolean", None),
        ] {
            assert_eq!(
                kind_of(backend, "t", "c", declared).ok(),
                kind,
                "{declared}"
            );
        }
    }

    fn table(name: &str, parents: &[&str]) -> Table {
        Table {
            name: name.into(),
            columns: vec![],
            pk: vec!["id".into()],
            fks: parents
                .iter()
                .map(|p| ForeignKey {
                    parent: p.to_string(),
                    from: vec!["x".into()],
                    to: vec!["id".into()],
                })
                .collect(),
        }
    }

    #[test]
    fn tables_come_after_what_they_reference() {
        let order = fk_order(&[
            table("a", &["c"]),
            table("b", &[]),
            table("c", &["b", "c"]),
            table("d", &["a", "b"]),
        ])
        .unwrap();
        let names: Vec<&str> = order.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["b", "c", "a", "d"]);
        assert!(fk_order(&[table("a", &["b"]), table("b", &["a"])]).is_err());
    }
}
