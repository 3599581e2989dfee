//! Importers. `cordis`: the CORDIS Horizon 2020 extract as historical projects, organisations
//! and consortia. All-or-nothing per run (one transaction), idempotent (keyed on the source's
//! own ids), and every rejected row reported with its line and reason.

use crate::error::{Result, StoreError};
use crate::util::{fetch_json_rows, insert_batched, Cell, Tx};
use crate::Db;
use poles_core::cordis::{self, Edge, Organisation, Project, Rejected};
use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::Path;

/// Accented words of the French texts Pôles ships, to mend words the source damaged.
const ACCENTED_WORDS_GZ: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/search/accented-words.txt.gz"
));

/// Reports progress of long work; the CLI draws a bar, tests and the server stay quiet.
pub trait Progress: Send + Sync {
    fn stage(&self, name: &str, len: u64);
    fn inc(&self, n: u64);
    /// True when the user asked to stop (Ctrl-C): the import then rolls back whole.
    fn cancelled(&self) -> bool {
        false
    }
}

/// Starts a stage, or stops the import when it was cancelled.
fn stage(progress: &dyn Progress, name: &str, len: u64) -> Result<()> {
    if progress.cancelled() {
        return Err(StoreError::Data(format!(
            "import cancelled before {name}; nothing was written"
        )));
    }
    progress.stage(name, len);
    Ok(())
}

/// A progress sink that shows nothing.
pub struct Quiet;
impl Progress for Quiet {
    fn stage(&self, _: &str, _: u64) {}
    fn inc(&self, _: u64) {}
}

/// The extract, parsed and checked, before anything is written.
#[derive(Debug, Default)]
pub struct CordisData {
    pub projects: Vec<Project>,
    pub organisations: Vec<Organisation>,
    pub edges: Vec<Edge>,
    pub topics: HashMap<String, String>,
    pub rejected: Vec<Rejected>,
    /// Texts mended on reading: letters lost at the source filled from the same files' words,
    /// or text encoded twice decoded once.
    pub mended: Vec<TextMend>,
    /// Texts whose lost letters no known word could fill: kept as they are, and reported.
    pub damaged: Vec<TextMend>,
}

/// A text of the extract as read and as stored.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TextMend {
    pub file: String,
    pub line: u64,
    pub before: String,
    pub after: String,
}

/// Counts of one kind of record.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub read: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rejected: u64,
}

#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct ImportSummary {
    pub organisations: Counts,
    pub projects: Counts,
    pub partners: Counts,
    /// Every rejected row: file, line, reason.
    pub rejected: Vec<RejectedRow>,
    /// Texts mended on reading (see [`CordisData::mended`]).
    pub mended: Vec<TextMend>,
    /// Texts with letters lost at the source that could not be mended.
    pub damaged: Vec<TextMend>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct RejectedRow {
    pub file: String,
    pub line: u64,
    pub reason: String,
}

fn open(dir: &Path, name: &str) -> Result<Box<dyn Read>> {
    let plain = dir.join(name);
    if plain.exists() {
        let f = std::fs::File::open(&plain)
            .map_err(|e| StoreError::Data(format!("{}: {e}", plain.display())))?;
        return Ok(Box::new(std::io::BufReader::new(f)));
    }
    let gz = dir.join(format!("{name}.gz"));
    let f = std::fs::File::open(&gz)
        .map_err(|e| StoreError::Data(format!("{}: {e} (nor {}.gz)", plain.display(), name)))?;
    Ok(Box::new(flate2::read::GzDecoder::new(
        std::io::BufReader::new(f),
    )))
}

fn file_error(r: Rejected) -> StoreError {
    StoreError::Data(format!("{} line {}: {}", r.file, r.line, r.reason))
}

impl CordisData {
    /// Reads the extract from a folder laid out as published (plain or `.gz` files). The
    /// topic titles are optional: without them projects show their topic code only.
    pub fn read_dir(dir: &Path) -> Result<CordisData> {
        let topics_reader = open(dir, cordis::TOPICS_FILE)
            .or_else(|_| open(dir, "cordisref-H2020topics.csv"))
            .ok();
        Self::parse(
            open(dir, cordis::PROJECTS_FILE)?,
            open(dir, cordis::ORGANISATIONS_FILE)?,
            open(dir, cordis::EDGES_FILE)?,
            topics_reader,
        )
    }

    pub fn parse(
        projects: impl Read,
        organisations: impl Read,
        edges: impl Read,
        topics: Option<impl Read>,
    ) -> Result<CordisData> {
        let (projects, mut rejected) = cordis::parse_projects(projects).map_err(file_error)?;
        let (organisations, r2) = cordis::parse_organisations(organisations).map_err(file_error)?;
        let (edges, r3) = cordis::parse_edges(edges).map_err(file_error)?;
        rejected.extend(r2);
        rejected.extend(r3);
        let topics = topics
            .map(|t| cordis::parse_topics(t).into_iter().collect())
            .unwrap_or_default();
        let mut data = CordisData {
            projects,
            organisations,
            edges,
            topics,
            rejected,
            mended: vec![],
            damaged: vec![],
        };
        data.check_references();
        data.mend_texts();
        Ok(data)
    }

    /// Mends what the source's bytes allow: text encoded twice, and letters lost (U+FFFD)
    /// where exactly one known word fits — a word of the same files, or of the French texts
    /// Pôles ships (`data/search/accented-words.txt.gz`: NAF labels, commune names, the
    /// search vocabulary; "Nucl\u{fffd}aire" → "Nucléaire"); reports the rest.
    fn mend_texts(&mut self) {
        let mut lex = poles_core::text::Lexicon::default();
        let mut words = String::new();
        // Shipped and checked by the suite: a corrupt file would mend nothing, never stop.
        if flate2::read::GzDecoder::new(ACCENTED_WORDS_GZ)
            .read_to_string(&mut words)
            .is_ok()
        {
            for w in words.lines() {
                lex.learn(w);
            }
        }
        for o in &self.organisations {
            lex.learn(&o.name);
            lex.learn(o.short_name.as_deref().unwrap_or_default());
        }
        for t in self.topics.values() {
            lex.learn(t);
        }
        // The project file names each coordinator again, sometimes with its letters intact.
        for p in &self.projects {
            lex.learn(&p.coordinator);
        }
        let mut mended = Vec::new();
        let mut damaged = Vec::new();
        let mut mend = |file: &str, line: u64, text: &mut String| {
            let twice = poles_core::text::undo_double_encoding(text);
            let (after, left) = lex.mend(twice.as_deref().unwrap_or(text));
            let record = TextMend {
                file: file.to_string(),
                line,
                before: text.clone(),
                after: after.clone(),
            };
            if left {
                damaged.push(record.clone());
            }
            if after != *text {
                mended.push(record);
                *text = after;
            }
        };
        for o in &mut self.organisations {
            mend(cordis::ORGANISATIONS_FILE, o.line, &mut o.name);
            if let Some(short) = o.short_name.as_mut() {
                mend(cordis::ORGANISATIONS_FILE, o.line, short);
            }
        }
        let mut codes: Vec<String> = self.topics.keys().cloned().collect();
        codes.sort();
        for code in codes {
            if let Some(title) = self.topics.get_mut(&code) {
                mend(&format!("{} (topic {code})", cordis::TOPICS_FILE), 0, title);
            }
        }
        self.mended = mended;
        self.damaged = damaged;
    }

    /// Duplicated keys and links to unknown rows are rejected here, before any write.
    fn check_references(&mut self) {
        let mut seen = HashSet::new();
        let mut rejected = std::mem::take(&mut self.rejected);
        self.projects.retain(|p| {
            let fresh = seen.insert(p.rcn);
            if !fresh {
                rejected.push(Rejected {
                    file: cordis::PROJECTS_FILE,
                    line: p.line,
                    reason: format!("duplicate rcn {}", p.rcn),
                });
            }
            fresh
        });
        let mut seen_orgs = HashSet::new();
        self.organisations.retain(|o| {
            let fresh = seen_orgs.insert(o.id.clone());
            if !fresh {
                rejected.push(Rejected {
                    file: cordis::ORGANISATIONS_FILE,
                    line: o.line,
                    reason: format!("duplicate new_org_id {}", o.id),
                });
            }
            fresh
        });
        let mut seen_edges = HashSet::new();
        self.edges.retain(|e| {
            let reason = if !seen.contains(&e.project_rcn) {
                Some(format!("unknown project rcn {}", e.project_rcn))
            } else if !seen_orgs.contains(&e.org_id) {
                Some(format!("unknown organisation {}", e.org_id))
            } else if !seen_edges.insert((e.project_rcn, e.org_id.clone())) {
                Some("duplicate link".to_string())
            } else {
                None
            };
            if let Some(reason) = &reason {
                rejected.push(Rejected {
                    file: cordis::EDGES_FILE,
                    line: e.line,
                    reason: reason.clone(),
                });
            }
            reason.is_none()
        });
        rejected.sort_by(|a, b| (a.file, a.line).cmp(&(b.file, b.line)));
        self.rejected = rejected;
    }
}

/// Imports the extract in one transaction: either all of it lands, or nothing does.
pub async fn import_cordis(
    db: &Db,
    data: &CordisData,
    progress: &dyn Progress,
) -> Result<ImportSummary> {
    // Under the write lock: an import changes records that people edit, and is audited.
    let mut tx = crate::audit::begin_write(db).await?;
    let summary = import_cordis_tx(&mut tx, data, progress).await?;
    crate::search::rebuild(&mut tx).await?;
    crate::audit::append(
        &mut tx,
        &crate::audit::Context::default(),
        crate::audit::Event {
            action: "import.cordis",
            object_kind: "registry",
            object_ref: "cordis".into(),
            changes: serde_json::json!({
                "organisations": summary.organisations,
                "projects": summary.projects,
                "partners": summary.partners,
                "rejected": summary.rejected.len(),
            }),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    crate::version::after_bulk_load(db).await?;
    Ok(summary)
}

fn count_rejected(data: &CordisData, file: &str) -> u64 {
    data.rejected.iter().filter(|r| r.file == file).count() as u64
}

pub(crate) async fn import_cordis_tx(
    tx: &mut impl Tx,
    data: &CordisData,
    progress: &dyn Progress,
) -> Result<ImportSummary> {
    let mut summary = ImportSummary {
        rejected: data
            .rejected
            .iter()
            .map(|r| RejectedRow {
                file: r.file.to_string(),
                line: r.line,
                reason: r.reason.clone(),
            })
            .collect(),
        mended: data.mended.clone(),
        damaged: data.damaged.clone(),
        ..Default::default()
    };
    const SOURCE: &str = "CORDIS H2020 open data (EC reuse decision 2011/833/EU)";

    // Organisations, keyed on the extract's own id.
    stage(progress, "organisations", data.organisations.len() as u64)?;
    type OrgRow = (i64, String, String, Option<String>, Option<String>);
    let existing: HashMap<String, (i64, String, Option<String>, Option<String>)> =
        fetch_json_rows::<OrgRow>(
            tx,
            &["id", "cordis_id", "name", "short_name", "country"],
            "organisations WHERE cordis_id IS NOT NULL",
            "id",
            vec![],
        )
        .await?
        .into_iter()
        .map(|(id, cordis_id, name, short, country)| (cordis_id, (id, name, short, country)))
        .collect();
    let mut new_rows = Vec::new();
    let c = &mut summary.organisations;
    c.read = data.organisations.len() as u64 + count_rejected(data, cordis::ORGANISATIONS_FILE);
    c.rejected = count_rejected(data, cordis::ORGANISATIONS_FILE);
    for o in &data.organisations {
        match existing.get(&o.id) {
            None => {
                let pic =
                    o.id.bytes()
                        .all(|b| b.is_ascii_digit())
                        .then(|| o.id.clone());
                new_rows.push(vec![
                    Cell::from(o.name.as_str()),
                    crate::registry::name_key(&o.name).into(),
                    o.short_name.clone().into(),
                    cordis::infer_kind(&o.name, o.short_name.as_deref())
                        .as_str()
                        .into(),
                    o.country.clone().into(),
                    pic.into(),
                    o.id.as_str().into(),
                    SOURCE.into(),
                ]);
                c.created += 1;
            }
            Some((id, name, short, country)) => {
                if name != &o.name || short != &o.short_name || country != &o.country {
                    sqlx::query("UPDATE organisations SET name = $1, short_name = $2, country = $3, name_key = $5, version = version + 1 WHERE id = $4")
                        .bind(o.name.clone())
                        .bind(o.short_name.clone())
                        .bind(o.country.clone())
                        .bind(*id)
                        .bind(crate::registry::name_key(&o.name))
                        .execute(&mut **tx)
                        .await?;
                    c.updated += 1;
                } else {
                    c.unchanged += 1;
                }
            }
        }
        progress.inc(1);
    }
    insert_batched(
        tx,
        "organisations",
        &[
            "name",
            "name_key",
            "short_name",
            "kind",
            "country",
            "pic",
            "cordis_id",
            "source",
        ],
        new_rows,
        "",
    )
    .await?;
    let org_ids: HashMap<String, i64> = fetch_json_rows::<(String, i64)>(
        tx,
        &["cordis_id", "id"],
        "organisations WHERE cordis_id IS NOT NULL",
        "id",
        vec![],
    )
    .await?
    .into_iter()
    .collect();

    // Projects, keyed on `cordis:<rcn>`.
    stage(progress, "projects", data.projects.len() as u64)?;
    type ProjectRow = (i64, String, String, String, String, i64, i64);
    let existing: HashMap<String, (i64, String)> = fetch_json_rows::<ProjectRow>(
        tx,
        &[
            "id",
            "source_key",
            "acronym",
            "COALESCE(end_date, '')",
            "COALESCE(status, '')",
            "COALESCE(total_cost_cents, -1)",
            "COALESCE(public_funding_cents, -1)",
        ],
        "projects WHERE source_key LIKE 'cordis:%'",
        "id",
        vec![],
    )
    .await?
    .into_iter()
    .map(|(id, key, acronym, end_date, status, cost, funding)| {
        let sig = format!("{acronym}|{end_date}|{status}|{cost}|{funding}");
        (key, (id, sig))
    })
    .collect();
    let c = &mut summary.projects;
    c.rejected = count_rejected(data, cordis::PROJECTS_FILE);
    c.read = data.projects.len() as u64 + c.rejected;
    let mut new_rows = Vec::new();
    for p in &data.projects {
        let key = format!("cordis:{}", p.rcn);
        let sig = format!(
            "{}|{}|{}|{}|{}",
            p.acronym,
            p.end_date.clone().unwrap_or_default(),
            p.status,
            p.total_cost_cents.unwrap_or(-1),
            p.ec_max_contribution_cents.unwrap_or(-1)
        );
        let topic_title = data.topics.get(&p.topic).cloned();
        let opt = |v: &str| Some(v.to_string()).filter(|s| !s.is_empty());
        match existing.get(&key) {
            None => {
                new_rows.push(vec![
                    Cell::from(key),
                    p.acronym.as_str().into(),
                    opt(&p.programme).into(),
                    opt(&p.call).into(),
                    opt(&p.topic).into(),
                    topic_title.into(),
                    opt(&p.funding_scheme).into(),
                    opt(&p.status).into(),
                    p.start_date.clone().into(),
                    p.end_date.clone().into(),
                    p.total_cost_cents.into(),
                    p.ec_max_contribution_cents.into(),
                    "EUR".into(),
                    SOURCE.into(),
                ]);
                c.created += 1;
            }
            Some((id, old_sig)) => {
                if *old_sig != sig {
                    sqlx::query("UPDATE projects SET acronym = $1, end_date = $2, status = $3, total_cost_cents = $4, public_funding_cents = $5, start_date = $6 WHERE id = $7")
                        .bind(p.acronym.clone())
                        .bind(p.end_date.clone())
                        .bind(opt(&p.status))
                        .bind(p.total_cost_cents)
                        .bind(p.ec_max_contribution_cents)
                        .bind(p.start_date.clone())
                        .bind(*id)
                        .execute(&mut **tx)
                        .await?;
                    c.updated += 1;
                } else {
                    c.unchanged += 1;
                }
            }
        }
        progress.inc(1);
    }
    insert_batched(
        tx,
        "projects",
        &[
            "source_key",
            "acronym",
            "programme",
            "call",
            "topic",
            "topic_title",
            "funding_scheme",
            "status",
            "start_date",
            "end_date",
            "total_cost_cents",
            "public_funding_cents",
            "currency",
            "source",
        ],
        new_rows,
        "",
    )
    .await?;
    let project_ids: HashMap<i64, i64> = fetch_json_rows::<(i64, String)>(
        tx,
        &["id", "source_key"],
        "projects WHERE source_key LIKE 'cordis:%'",
        "id",
        vec![],
    )
    .await?
    .into_iter()
    .map(|(id, key)| {
        let rcn = key
            .trim_start_matches("cordis:")
            .parse::<i64>()
            .map_err(|_| StoreError::Data(format!("bad source key {key}")))?;
        Ok((rcn, id))
    })
    .collect::<Result<_>>()?;

    // Consortia. The extract names the coordinator, not its id: the partner whose name and
    // country match is the coordinator.
    stage(progress, "consortia", data.edges.len() as u64)?;
    let coordinator: HashMap<i64, (String, String)> = data
        .projects
        .iter()
        .map(|p| {
            (
                p.rcn,
                (p.coordinator.to_uppercase(), p.coordinator_country.clone()),
            )
        })
        .collect();
    let org_by_id: HashMap<&str, &Organisation> = data
        .organisations
        .iter()
        .map(|o| (o.id.as_str(), o))
        .collect();
    let existing: HashSet<(i64, i64)> = fetch_json_rows::<(i64, i64)>(
        tx,
        &["project_id", "organisation_id"],
        "project_partners",
        "project_id, organisation_id",
        vec![],
    )
    .await?
    .into_iter()
    .collect();
    let c = &mut summary.partners;
    c.rejected = count_rejected(data, cordis::EDGES_FILE);
    c.read = data.edges.len() as u64 + c.rejected;
    let mut new_rows = Vec::new();
    for e in &data.edges {
        let (Some(&pid), Some(&oid)) = (project_ids.get(&e.project_rcn), org_ids.get(&e.org_id))
        else {
            return Err(StoreError::Data(format!(
                "{} line {}: link to a row that was not stored",
                cordis::EDGES_FILE,
                e.line
            )));
        };
        if existing.contains(&(pid, oid)) {
            c.unchanged += 1;
        } else {
            let is_coord = match (
                coordinator.get(&e.project_rcn),
                org_by_id.get(e.org_id.as_str()),
            ) {
                (Some((name, country)), Some(o)) => {
                    o.name.to_uppercase() == *name && o.country.as_deref().unwrap_or("") == country
                }
                _ => false,
            };
            new_rows.push(vec![
                Cell::from(pid),
                oid.into(),
                if is_coord { "coordinator" } else { "partner" }.into(),
            ]);
            c.created += 1;
        }
        progress.inc(1);
    }
    insert_batched(
        tx,
        "project_partners",
        &["project_id", "organisation_id", "role"],
        new_rows,
        "",
    )
    .await?;
    stage(progress, "search index", 1)?;
    Ok(summary)
}

/// How many rows a table holds; for summaries and tests.
pub async fn count(db: &Db, table: &str) -> Result<i64> {
    let allowed = [
        "organisations",
        "projects",
        "project_partners",
        "clusters",
        "communes",
        "search_entries",
        "memberships",
        "partnerships",
        "labels",
    ];
    if !allowed.contains(&table) {
        return Err(StoreError::Data(format!("unknown table {table}")));
    }
    Ok(
        sqlx::query_scalar::<_, i64>(&format!("SELECT COUNT(*) AS n FROM {table}"))
            .fetch_one(&db.pool)
            .await?,
    )
}
