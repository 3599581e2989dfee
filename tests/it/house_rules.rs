//! Rules of the house that the compiler does not check, checked on the source tree.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Every snapshot file belongs to a snapshot assertion that still exists: a renamed or
/// removed assertion must take its snapshot with it.
#[test]
fn every_snapshot_is_referenced() {
    let dir = root().join("tests/it/snapshots");
    let mut stale = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        if !name.ends_with(".snap") {
            stale.push(name);
            continue;
        }
        // insta's names: it__{module}__{snapshot}.snap
        let parts: Vec<&str> = name.trim_end_matches(".snap").split("__").collect();
        let referenced = match parts.as_slice() {
            ["it", module, snapshot] => {
                let source = root().join(format!("tests/it/{module}.rs"));
                source.exists() && read(&source).contains(&format!("snapshot!(\"{snapshot}\""))
            }
            _ => false,
        };
        if !referenced {
            stale.push(name);
        }
    }
    assert!(stale.is_empty(), "stale snapshot files: {stale:?}");
}

/// Every `.rs` file under `dir`, with its path relative to `dir`.
fn sources(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "rs") {
                let rel = p.strip_prefix(dir).unwrap().to_path_buf();
                out.push((rel, read(&p)));
            }
        }
    }
    out.sort();
    out
}

/// The source without its comments and string literals' contents, so that a path written in
/// a doc comment or a SQL string is not taken for an import.
fn code_only(src: &str) -> String {
    src.lines()
        .map(|l| {
            let t = l.trim_start();
            if t.starts_with("//") {
                ""
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The module file a `crate::a::b::…` path names: the deepest existing `a/b.rs` or
/// `a/b/mod.rs`.
fn module_file(files: &[(PathBuf, String)], segments: &[&str]) -> Option<PathBuf> {
    for n in (1..=segments.len()).rev() {
        let base: PathBuf = segments[..n].iter().collect();
        for candidate in [base.with_extension("rs"), base.join("mod.rs")] {
            if files.iter().any(|(p, _)| *p == candidate) {
                return Some(candidate);
            }
        }
    }
    None
}

/// The files a file imports through `crate::` paths (the crate root and `mod.rs` files, which
/// only declare and re-export modules, are left out: they are the table of contents).
fn imports(files: &[(PathBuf, String)], src: &str) -> Vec<PathBuf> {
    let code = code_only(src);
    let mut out = Vec::new();
    for (k, _) in code.match_indices("crate::") {
        let rest = &code[k + "crate::".len()..];
        let path: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        let segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
        if let Some(f) = module_file(files, &segments) {
            out.push(f);
        }
    }
    out.sort();
    out.dedup();
    out
}

fn is_table_of_contents(p: &Path) -> bool {
    p == Path::new("lib.rs") || p == Path::new("main.rs") || p.ends_with("mod.rs")
}

/// The source folders of our crates, by name: the four layers, the web kit and every web
/// feature.
fn crates() -> Vec<(String, PathBuf)> {
    let mut out: Vec<(String, PathBuf)> = ["poles-core", "poles-store", "poles-app", "poles-web"]
        .iter()
        .map(|c| (c.to_string(), root().join("crates").join(c).join("src")))
        .collect();
    out.push((
        "poles-web-kit".into(),
        root().join("crates/poles-web/kit/src"),
    ));
    out
}

/// The web layer's feature folders: name and folder.
fn features() -> Vec<(String, PathBuf)> {
    let dir = root().join("crates/poles-web/src/features");
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("mod.rs").exists())
        .map(|p| (p.file_name().unwrap().to_string_lossy().to_string(), p))
        .collect();
    out.sort();
    assert!(out.len() >= 8, "the feature folders are found");
    out
}

/// No two files of a crate import each other, directly or through others: each crate is a
/// house whose floors only look down.
#[test]
fn no_import_circle_between_files_of_a_crate() {
    for (krate, dir) in crates() {
        let files = sources(&dir);
        let graph: Vec<(PathBuf, Vec<PathBuf>)> = files
            .iter()
            .filter(|(p, _)| !is_table_of_contents(p))
            .map(|(p, src)| {
                let deps = imports(&files, src)
                    .into_iter()
                    .filter(|d| d != p && !is_table_of_contents(d))
                    .collect();
                (p.clone(), deps)
            })
            .collect();
        // Depth-first search for a back edge.
        fn visit(
            node: &PathBuf,
            graph: &[(PathBuf, Vec<PathBuf>)],
            state: &mut std::collections::HashMap<PathBuf, u8>,
            path: &mut Vec<PathBuf>,
        ) -> Option<Vec<PathBuf>> {
            match state.get(node) {
                Some(1) => {
                    let start = path.iter().position(|p| p == node).unwrap_or(0);
                    let mut cycle = path[start..].to_vec();
                    cycle.push(node.clone());
                    return Some(cycle);
                }
                Some(_) => return None,
                None => {}
            }
            state.insert(node.clone(), 1);
            path.push(node.clone());
            let deps = graph
                .iter()
                .find(|(p, _)| p == node)
                .map(|(_, d)| d.clone())
                .unwrap_or_default();
            for d in &deps {
                if let Some(c) = visit(d, graph, state, path) {
                    return Some(c);
                }
            }
            path.pop();
            state.insert(node.clone(), 2);
            None
        }
        let mut state = std::collections::HashMap::new();
        for (p, _) in &graph {
            let cycle = visit(p, &graph, &mut state, &mut Vec::new());
            assert!(cycle.is_none(), "{krate}: import circle {cycle:?}");
        }
    }
}

/// A feature of the web layer never imports another: each depends on the kit and the use
/// cases only (what several features need is a use case, or lives in the kit), and no source
/// of a feature's folder names another feature, by any path the compiler would follow
/// (`crate::features::x`, `super::super::x`, or `super::x` from the folder's `mod.rs`).
#[test]
fn no_feature_imports_another() {
    let all = features();
    for (name, dir) in &all {
        for (file, src) in sources(dir) {
            let code = code_only(&src);
            for (other, _) in all.iter().filter(|(o, _)| o != name) {
                let mut paths = vec![
                    format!("features::{other}"),
                    format!("super::super::{other}"),
                ];
                if file == Path::new("mod.rs") {
                    paths.push(format!("super::{other}"));
                }
                for path in paths {
                    assert!(
                        !code.contains(&path),
                        "features/{name}/{} names the feature {other} ({path})",
                        file.display()
                    );
                }
            }
        }
    }
}

/// Who may do what is decided in the use-case layer only: the web layer cannot reach the
/// store (it is not a dependency), nothing else builds a refusal, and nothing outside the
/// use-case layer looks at an actor's roles.
#[test]
fn permissions_are_checked_in_the_use_case_layer_only() {
    for (krate, dir) in crates()
        .into_iter()
        .filter(|(k, _)| k == "poles-store" || k.starts_with("poles-web"))
    {
        if krate.starts_with("poles-web") {
            let manifest = read(&dir.parent().unwrap().join("Cargo.toml"));
            assert!(
                !manifest.contains("poles-store"),
                "{krate} must not depend on poles-store"
            );
        }
        for (p, src) in sources(&dir) {
            let code = code_only(&src);
            for needle in [
                "Denied {",
                "StoreError::Denied",
                "actor.grants",
                "g.role ==",
            ] {
                assert!(
                    !code.contains(needle),
                    "{krate}/{}: `{needle}` — permission checks belong to poles-app",
                    p.display()
                );
            }
            assert!(
                !code.contains("poles_store"),
                "{krate}/{}: the web layer reaches the store",
                p.display()
            );
        }
    }
}

/// The store stores: it never runs a rules engine (eligibility, aid, relief caps, the
/// simulator, the optimiser); the use cases do.
#[test]
fn the_store_calls_no_engine() {
    let dir = root().join("crates/poles-store/src");
    for (p, src) in sources(&dir) {
        let code = code_only(&src);
        for needle in [
            "calls::eligibility(",
            "calls::aid(",
            "check_cap(",
            "relief::simulate(",
            "optimise::",
        ] {
            assert!(
                !code.contains(needle),
                "poles-store/{}: calls the engine ({needle})",
                p.display()
            );
        }
    }
}

/// Every refusal code the use cases, the store or the core give (`FieldError::coded`) has its
/// sentence in both languages, so that a page never falls back to English for it.
#[test]
fn every_refusal_code_is_said_in_both_languages() {
    let strings: Vec<(&str, serde_json::Value)> = ["fr", "en"]
        .iter()
        .map(|l| {
            let p = root().join(format!("crates/poles-web/i18n/{l}.json"));
            (*l, serde_json::from_str(&read(&p)).unwrap())
        })
        .collect();
    let mut codes = Vec::new();
    for (_, dir) in crates() {
        for (_, src) in sources(&dir) {
            for part in src.split("FieldError::coded(").skip(1) {
                // The code is the second argument, the first string literal after a comma.
                let after_field = part.split_once(',').map_or("", |(_, rest)| rest);
                let code = after_field
                    .trim_start()
                    .strip_prefix('"')
                    .and_then(|s| s.split('"').next())
                    .unwrap_or_default();
                if !code.is_empty() && !part.starts_with("\n        field: impl") {
                    codes.push(code.to_string());
                }
            }
        }
    }
    codes.sort();
    codes.dedup();
    assert!(codes.len() >= 8, "codes found: {codes:?}");
    for code in &codes {
        for (lang, s) in &strings {
            assert!(
                s.get(format!("reason.{code}")).is_some(),
                "reason.{code} is missing in {lang}.json"
            );
        }
    }
}

/// What follows a call's first argument (after the first comma outside brackets).
fn after_first_argument(call: &str) -> Option<&str> {
    let mut depth = 0;
    for (i, ch) in call.char_indices() {
        match ch {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' if depth == 0 => return None,
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => return Some(&call[i + 1..]),
            _ => {}
        }
    }
    None
}

/// The English sentence a `FieldError::new(field, …)` call gives, when it is written in the
/// call or in a constant of its file: a literal as it is, a `format!` as its template with
/// `{0}`, `{1}`… for the values.
fn refusal_sentence(call: &str, file: &str) -> Option<String> {
    let mut rest = after_first_argument(call)?.trim_start();
    let name: String = rest
        .chars()
        .take_while(|c| c.is_ascii_uppercase() || *c == '_')
        .collect();
    if name.len() > 1 {
        rest = file.split_once(&format!("const {name}: &str = "))?.1;
    }
    let (template, rest) = match rest.strip_prefix("format!(") {
        Some(r) => (true, r.trim_start()),
        None => (false, rest),
    };
    let body = rest.strip_prefix('"')?;
    let mut text = String::new();
    let mut chars = body.chars();
    loop {
        match chars.next()? {
            '"' => break,
            '\\' => match chars.next()? {
                'n' => text.push('\n'),
                c => text.push(c),
            },
            c => text.push(c),
        }
    }
    if !template {
        return Some(text);
    }
    let mut it = text.split('{');
    let mut out = it.next().unwrap_or_default().to_string();
    for (n, part) in it.enumerate() {
        let (_, after) = part.split_once('}')?;
        out.push_str(&format!("{{{n}}}{after}"));
    }
    Some(out)
}

/// Every refusal the use cases, the store or the core say in English (`FieldError::new`) has
/// its French in the phrasebook (`crates/poles-web/i18n/refusals.fr.json`), with the same
/// values, so that a French page does not show an English sentence; and the phrasebook holds
/// no sentence that nothing says any more.
#[test]
fn every_refusal_sentence_is_said_in_french() {
    let book: std::collections::BTreeMap<String, String> = serde_json::from_str(&read(
        &root().join("crates/poles-web/i18n/refusals.fr.json"),
    ))
    .unwrap();
    // Sentences made elsewhere, which no phrasebook can hold: the JSON and query parsers'
    // (serde's words), the optimiser's internal shape errors, and the wrong-password sentence
    // the page gives in its own language.
    const MADE_ELSEWHERE: [&str; 6] = [
        "reason",
        "detail",
        "text",
        "e.to_string()",
        "wrong",
        "reauth.wrong",
    ];
    let mut said = std::collections::BTreeSet::new();
    let mut unread = Vec::new();
    for (_, dir) in crates() {
        for (file, src) in sources(&dir) {
            for call in src.split("FieldError::new(").skip(1) {
                match refusal_sentence(call, &src) {
                    Some(s) => {
                        said.insert(s);
                    }
                    None => {
                        let arg = after_first_argument(call)
                            .unwrap_or_default()
                            .trim_start()
                            .split([')', ',', '\n'])
                            .next()
                            .unwrap_or_default()
                            .trim();
                        // `to_string()` ends at its own ')'.
                        let arg = if arg.ends_with("to_string(") {
                            format!("{arg})")
                        } else {
                            arg.to_string()
                        };
                        if !MADE_ELSEWHERE.contains(&arg.as_str()) {
                            unread.push(format!("{}: {arg}", file.display()));
                        }
                    }
                }
            }
        }
    }
    assert!(
        unread.is_empty(),
        "refusals whose sentence the rule cannot read (write it in the call, or in a constant of its file): {unread:#?}"
    );
    assert!(said.len() > 150, "sentences found: {}", said.len());
    let missing: Vec<&String> = said.iter().filter(|s| !book.contains_key(*s)).collect();
    assert!(missing.is_empty(), "refusals without French: {missing:#?}");
    let unused: Vec<&String> = book.keys().filter(|k| !said.contains(*k)).collect();
    assert!(
        unused.is_empty(),
        "phrasebook sentences nothing says: {unused:#?}"
    );
    for (en, fr) in &book {
        let values = |s: &str| {
            let mut v: Vec<String> = s
                .split('{')
                .skip(1)
                .filter_map(|p| p.split_once('}').map(|(n, _)| n.to_string()))
                .collect();
            v.sort();
            v
        };
        assert_eq!(
            values(en),
            values(fr),
            "the values of {en:?} in French: {fr:?}"
        );
    }
}

/// Every text of the sources' French phrasebook (`crates/poles-web/i18n/sources.fr.json`) is a
/// source the shipped data (or the demo's, written in the code) still cites, so that an edited
/// source is not left without its French unnoticed; and its French keeps the addresses and
/// references the English has.
#[test]
fn every_source_phrase_is_cited_by_the_shipped_data() {
    let book: std::collections::BTreeMap<String, String> =
        serde_json::from_str(&read(&root().join("crates/poles-web/i18n/sources.fr.json"))).unwrap();
    let mut data = String::new();
    let mut stack = vec![root().join("data"), root().join("crates")];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p
                .extension()
                .is_some_and(|e| e == "json" || e == "csv" || e == "rs")
                && !p.ends_with("i18n/sources.fr.json")
                // Its tests quote sources; they are not the data.
                && !p.ends_with("ui/i18n.rs")
            {
                data.push_str(&read(&p));
            }
        }
    }
    let mut stale = Vec::new();
    for (en, fr) in &book {
        let json = serde_json::to_string(en).unwrap();
        let cited = data.contains(en.as_str())
            || data.contains(&json[1..json.len() - 1])
            || data.contains(&en.replace('"', "\"\""));
        if !cited {
            stale.push(en);
        }
        for token in en.split_whitespace() {
            let reference =
                token.starts_with("http") || token.contains(".md") || token.contains('§');
            if reference {
                let token = token.trim_end_matches([',', ';', ')', '.', ':']);
                assert!(
                    fr.contains(token),
                    "{token:?} of {en:?} is not in its French {fr:?}"
                );
            }
        }
    }
    assert!(
        stale.is_empty(),
        "phrasebook texts no data cites: {stale:#?}"
    );
}
