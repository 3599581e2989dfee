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
