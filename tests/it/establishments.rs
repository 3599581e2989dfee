//! Establishment registries imported (issue 16, begun): the three formats told apart by their
//! headers, region and department from the commune where the file blanks them, employment from
//! the headcount or the band, refused lines with their reason, all or nothing, idempotent.

use crate::support::{connect, spawn};
use poles_store::establishments::import;
use poles_store::establishments::ImportOptions;
use poles_store::import::Quiet;

fn opts(source: &str) -> ImportOptions {
    ImportOptions {
        source: source.into(),
        ..Default::default()
    }
}

const SIENE: &str = "SIRET,Code_activite,Tranche_eff__INSEE,Dernier_eff__physique,Date_de_creation,Code_commune,Code_Etat,Code_Region,Code_Departement\n\
01765005200016,8110Z,01,1,25/12/1994,30189,1,RR,DD\n\
03508729500016,8110Z,12,,01/01/1973,31149,3,RR,DD\n\
12345678900011,62.01Z,02,4,01/01/2001,99999,1,RR,DD\n\
123,62.01Z,02,4,01/01/2001,31149,1,RR,DD\n";

const SIRENE: &str = "siret,codeCommuneEtablissement,activitePrincipaleEtablissement,trancheEffectifsEtablissement,dateCreationEtablissement,etatAdministratifEtablissement\n\
44306184100047,69123,62.01Z,21,2010-06-01,A\n\
44306184100047,69123,62.01Z,22,2010-06-01,A\n\
55208131766522,75056,29.10Z,53,1960-01-01,F\n";

const BENCH: &str = "siret,region,department,naf,employees,created\n\
76574999198256,11,94,46.19A,3,2006-11-01\n";

#[tokio::test]
async fn the_three_formats_are_imported_all_or_nothing_and_again_to_the_same_rows() {
    let app = spawn(true);
    let db = connect(&app.db_url).await;

    let r = import(&db, SIENE.as_bytes(), &opts("siene-test"), &Quiet)
        .await
        .unwrap();
    assert_eq!(
        (r.format, r.lines, r.imported, r.rejected),
        ("siene", 4, 2, 2)
    );
    assert!(
        r.first_rejections
            .iter()
            .any(|(_, why)| why.contains("99999")),
        "{r:?}"
    );
    assert!(
        r.first_rejections
            .iter()
            .any(|(_, why)| why.contains("14 digits")),
        "{r:?}"
    );
    let (region, dept, employees, active): (String, String, i64, i64) = sqlx::query_as(
        "SELECT region, department, employees, active FROM establishments WHERE siret = '03508729500016'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        (region.as_str(), dept.as_str(), employees, active),
        ("76", "31", 35, 0),
        "the band's estimate"
    );

    let r = import(&db, SIRENE.as_bytes(), &opts("sirene-test"), &Quiet)
        .await
        .unwrap();
    assert_eq!(
        (r.format, r.imported, r.rejected),
        ("sirene", 2, 1),
        "a repeated siret: {r:?}"
    );
    let employees: i64 =
        sqlx::query_scalar("SELECT employees FROM establishments WHERE siret = '44306184100047'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(employees, 150, "the last line kept");

    let r = import(&db, BENCH.as_bytes(), &opts("bench-test"), &Quiet)
        .await
        .unwrap();
    assert_eq!((r.format, r.imported), ("bench", 1));

    // Again: the same rows, no more.
    let count = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM establishments")
            .fetch_one(&db.pool)
            .await
            .unwrap()
    };
    assert_eq!(count().await, 5);
    import(&db, SIENE.as_bytes(), &opts("siene-test"), &Quiet)
        .await
        .unwrap();
    assert_eq!(count().await, 5);

    // A file of no known format writes nothing.
    let e = import(&db, b"a,b\n1,2\n", &opts("other"), &Quiet)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("none of the formats"), "{e}");
    assert_eq!(count().await, 5);
    let imports: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM establishment_imports")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(imports, 4);
}
