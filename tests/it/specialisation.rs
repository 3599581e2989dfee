//! `poles specialisation`: the region × NAF-division table and its location quotients from an
//! establishment file of the benchmark's format, through the binary as a user runs it.

#[test]
fn the_command_writes_the_table_with_its_quotients_and_counts_refused_lines() {
    let dir = std::env::temp_dir().join(format!("poles-spec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("est.csv");
    let out = dir.join("table.csv");
    std::fs::write(
        &input,
        "siret,region,department,naf,employees,created\n\
         00000000000001,84,69,62.01Z,10,2001-01-01\n\
         00000000000002,84,38,62.02A,30,2001-01-01\n\
         00000000000003,84,69,10.11Z,60,2001-01-01\n\
         00000000000004,11,75,10.11Z,100,2001-01-01\n\
         not a line\n",
    )
    .unwrap();
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_poles"))
        .args([
            "specialisation",
            input.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--threads",
            "2",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(
        stderr.contains("5 lines read (1 refused), 3 cells"),
        "{stderr}"
    );
    let table = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(
        lines[0],
        "region,division,establishments,employment,location_quotient"
    );
    // Île-de-France, division 10: (100 / 100) / (160 / 200) = 1.25.
    let idf: Vec<&str> = lines[1].split(',').collect();
    assert_eq!(&idf[..4], ["11", "10", "1", "100"]);
    assert!((idf[4].parse::<f64>().unwrap() - 1.25).abs() < 1e-12);
    // Auvergne-Rhône-Alpes, division 62: (40 / 100) / (40 / 200) = 2.
    let ara62 = lines.iter().find(|l| l.starts_with("84,62,")).unwrap();
    assert!(ara62.starts_with("84,62,2,40,"));
    assert!((ara62.rsplit(',').next().unwrap().parse::<f64>().unwrap() - 2.0).abs() < 1e-12);
    std::fs::remove_dir_all(&dir).ok();
}
