//! `poles import cordis`: all-or-nothing, idempotent, every rejected row reported.

use crate::support::fresh_db;
use poles_store::import::{self, CordisData, Progress, Quiet};
use std::path::Path;

const PROJECTS: &str = "rcn\treference\tacronym\tstatus\tprogramme\ttopics\tstartDate\tendDate\ttotalCost\tecMaxContribution\tcall\tfundingScheme\tcoordinator\tcoordinatorCountry\tnumOrg\ttotalContrib\n\
1001\t9001\tALPHA\tSIGNED\tH2020-EU.2.1.1.\tICT-01-2014\t2015-01-01\t2017-12-31\t1234567,89\t1000000,00\tH2020-ICT-2014-1\tRIA\tUNIVERSITE GRENOBLE ALPES\tFR\t 2\t1000000,00\n\
1002\t9002\tBETA\tSIGNED\tH2020-EU.3.1.\tPHC-01-2014\t2015-06-01\t2018-05-31\t 500000,00\t 400000,5\tH2020-PHC-2014\tRIA\t\"ACME \"\"LABS\"\" SARL\"\tFR\t 1\t400000,50\n\
oops\t9003\tBAD\tSIGNED\tp\tt\t2015-01-01\t2016-01-01\t1,00\t1,00\tc\tCSA\tX\tFR\t 1\t1,00\n\
1004\t9004\tLATE\tSIGNED\tp\tt\t2016-01-01\t2015-01-01\t1,00\t1,00\tc\tCSA\tX\tFR\t 1\t1,00\n";

const ORGS: &str = "new_org_id\tname\tshortName\tname_normal\tcountry\tnumProj\tnproj_with_contrib\ttotContribution\n\
999000001\tUNIVERSITE GRENOBLE ALPES\tUGA\tFR-uga\tFR\t 1\t 1\t600000,00\n\
0a1b2c3d4e5f60718293a4b5c6d7e8f9\t\"ACME \"\"LABS\"\" SARL\"\tACME\tFR-acme\tFR\t 2\t 2\t800000,50\n\
999000003\tSTICHTING TEST\t\tNL-test\tNL\t 1\t 1\t1,00\n";

const EDGES: &str = "projectRcn\tnew_org_id\n\
1001\t999000001\n\
1001\t0a1b2c3d4e5f60718293a4b5c6d7e8f9\n\
1002\t0a1b2c3d4e5f60718293a4b5c6d7e8f9\n\
1002\t777\n\
5555\t999000003\n";

fn write_fixture(dir: &Path) {
    std::fs::write(dir.join("projects.tsv"), PROJECTS).unwrap();
    std::fs::write(dir.join("organizations.tsv"), ORGS).unwrap();
    std::fs::write(dir.join("project_org_edges.tsv"), EDGES).unwrap();
}

#[tokio::test]
async fn import_reports_rejects_and_is_idempotent() {
    let (db, _) = fresh_db().await;
    let dir = tempfile::tempdir().unwrap();
    write_fixture(dir.path());
    let data = CordisData::read_dir(dir.path()).unwrap();
    let s = import::import_cordis(&db, &data, &Quiet).await.unwrap();
    assert_eq!(
        (s.projects.read, s.projects.created, s.projects.rejected),
        (4, 2, 2)
    );
    assert_eq!(
        (
            s.organisations.created,
            s.partners.created,
            s.partners.rejected
        ),
        (3, 3, 2)
    );
    let lines: Vec<(String, u64)> = s
        .rejected
        .iter()
        .map(|r| (r.file.clone(), r.line))
        .collect();
    assert!(lines.contains(&("projects.tsv".into(), 4)), "{lines:?}");
    assert!(lines.contains(&("projects.tsv".into(), 5)));
    assert!(
        lines.contains(&("project_org_edges.tsv".into(), 5)),
        "unknown organisation 777"
    );
    assert!(s
        .rejected
        .iter()
        .any(|r| r.reason.contains("unknown project rcn 5555")));

    // The coordinator is found by name and country; quoted names are unquoted.
    let row = sqlx::query_scalar::<_, String>("SELECT role FROM project_partners pp JOIN organisations o ON o.id = pp.organisation_id JOIN projects p ON p.id = pp.project_id WHERE p.acronym = 'BETA' AND o.name = 'ACME \"LABS\" SARL'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(row, "coordinator");
    let kind = sqlx::query_scalar::<_, String>(
        "SELECT kind FROM organisations WHERE cordis_id = '999000001'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(kind, "university", "inferred from the name");
    let cost = sqlx::query_scalar::<_, i64>(
        "SELECT total_cost_cents FROM projects WHERE acronym = 'ALPHA'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(cost, 123_456_789);

    // A second run changes nothing.
    let again = import::import_cordis(&db, &data, &Quiet).await.unwrap();
    assert_eq!(
        (
            again.projects.created,
            again.projects.updated,
            again.projects.unchanged
        ),
        (0, 0, 2)
    );
    assert_eq!(
        (again.organisations.created, again.partners.created),
        (0, 0)
    );
    assert_eq!(import::count(&db, "projects").await.unwrap(), 2);
    assert_eq!(import::count(&db, "project_partners").await.unwrap(), 3);

    // A changed source row is updated in place.
    std::fs::write(
        dir.path().join("projects.tsv"),
        PROJECTS.replace("2017-12-31", "2018-06-30"),
    )
    .unwrap();
    let changed = CordisData::read_dir(dir.path()).unwrap();
    let s3 = import::import_cordis(&db, &changed, &Quiet).await.unwrap();
    assert_eq!((s3.projects.updated, s3.projects.unchanged), (1, 1));
    assert_eq!(import::count(&db, "projects").await.unwrap(), 2);
}

/// Cancels the import when it reaches the given stage.
struct CancelAt(&'static str, std::sync::atomic::AtomicBool);
impl Progress for CancelAt {
    fn stage(&self, name: &str, _: u64) {
        if name == self.0 {
            self.1.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    }
    fn inc(&self, _: u64) {}
    fn cancelled(&self) -> bool {
        self.1.load(std::sync::atomic::Ordering::SeqCst)
    }
}

#[tokio::test]
async fn a_failed_import_leaves_the_database_as_it_was() {
    let (db, _) = fresh_db().await;
    let dir = tempfile::tempdir().unwrap();
    write_fixture(dir.path());
    let data = CordisData::read_dir(dir.path()).unwrap();
    // Stopped after organisations and projects were written, before the consortia.
    let err = import::import_cordis(&db, &data, &CancelAt("projects", Default::default()))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("cancelled"));
    assert_eq!(import::count(&db, "organisations").await.unwrap(), 0);
    assert_eq!(import::count(&db, "projects").await.unwrap(), 0);
    assert_eq!(import::count(&db, "search_entries").await.unwrap(), 0);

    // A file without its required columns is refused before anything is written.
    std::fs::write(dir.path().join("project_org_edges.tsv"), "a\tb\n1\t2\n").unwrap();
    let err = CordisData::read_dir(dir.path()).unwrap_err();
    assert!(err.to_string().contains("projectRcn"), "{err}");
    let missing = tempfile::tempdir().unwrap();
    assert!(CordisData::read_dir(missing.path()).is_err());
}

#[test]
fn letters_lost_in_the_shipped_extract_are_mended_where_a_known_word_fits() {
    let data = poles_store::demo::cordis_data().unwrap();
    let after: Vec<&str> = data.mended.iter().map(|m| m.after.as_str()).collect();
    // From the files' own words (a Spanish name) and from the French texts Pôles ships
    // (the NAF labels: "nucléaire", "université").
    assert!(after.iter().any(|a| a.contains("COMPAÑIA")), "{after:?}");
    assert!(after.iter().any(|a| a.contains("Nucléaire")), "{after:?}");
    assert!(
        after
            .iter()
            .any(|a| a.to_lowercase().contains("université")),
        "{after:?}"
    );
    // What no known word fits is kept as it was, and reported.
    assert!(!data.damaged.is_empty());
    assert!(data.damaged.iter().all(|d| d.after.contains('\u{fffd}')));
    // Every mend only fills lost letters or decodes text encoded twice: never a longer text.
    for m in &data.mended {
        assert!(m.after.chars().count() <= m.before.chars().count(), "{m:?}");
    }
    eprintln!(
        "mended {}, damaged {}",
        data.mended.len(),
        data.damaged.len()
    );
}
