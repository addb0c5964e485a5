//! Rules of the house, checked in `cargo test`: the core knows nothing of the
//! protocol, and every source file says what lives in it.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn only_the_lsp_layer_knows_the_protocol() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let lsp = src().join("lsp");
    let mut offenders = Vec::new();
    // The crate roots wire the layers together; everything else below the
    // protocol layer must not name it.
    let roots = [src().join("main.rs"), src().join("lib.rs")];
    for f in files
        .iter()
        .filter(|f| !f.starts_with(&lsp) && !roots.contains(f))
    {
        let text = std::fs::read_to_string(f).unwrap();
        for needle in ["ls_types", "tower_lsp_server", "lsp::"] {
            if text.contains(needle) {
                offenders.push(format!("{} mentions {needle}", f.display()));
            }
        }
    }
    assert!(offenders.is_empty(), "{offenders:#?}");
}

#[test]
fn every_source_file_starts_with_a_doc_comment() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests"),
        &mut files,
    );
    let missing: Vec<_> = files
        .iter()
        .filter(|f| !std::fs::read_to_string(f).unwrap().starts_with("//!"))
        .collect();
    assert!(missing.is_empty(), "{missing:#?}");
}

/// The modules of the crate (`src/<name>.rs` or `src/<name>/`) and the
/// others each one uses, from its code outside comments and tests.
fn module_uses() -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut uses: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
        Default::default();
    for f in files {
        let rel = f.strip_prefix(src()).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = first.trim_end_matches(".rs").to_owned();
        if module == "lib" || module == "main" {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        let entry = uses.entry(module.clone()).or_default();
        for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
            for (i, _) in line.match_indices("crate::") {
                let name: String = line[i + "crate::".len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() && name != module {
                    entry.insert(name);
                }
            }
        }
    }
    uses
}

/// Layers point one way: no module uses one that uses it back, directly or
/// through others (docs/ARCHITECTURE.md).
#[test]
fn no_import_cycles_between_modules() {
    let uses = module_uses();
    let mut cycles = Vec::new();
    for start in uses.keys() {
        // Every module reachable from `start`, with the path that reached it.
        let mut paths = vec![vec![start.clone()]];
        let mut seen = std::collections::BTreeSet::new();
        while let Some(path) = paths.pop() {
            let last = path.last().unwrap();
            for next in uses.get(last).into_iter().flatten() {
                if next == start {
                    cycles.push(format!("{} -> {start}", path.join(" -> ")));
                } else if seen.insert(next.clone()) {
                    let mut longer = path.clone();
                    longer.push(next.clone());
                    paths.push(longer);
                }
            }
        }
    }
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

/// The checks a user can configure are the list of finding codes, in the
/// schema of `.tagls.toml` and in VS Code's settings alike.
#[test]
fn every_check_is_configurable_wherever_settings_are_written() {
    let codes: Vec<String> = tagls::findings::Code::CHECKS
        .iter()
        .map(|c| c.as_str().to_owned())
        .collect();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let read = |p: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(repo.join(p)).unwrap()).unwrap()
    };
    let schema = read("docs/tagls.schema.json");
    let in_schema: Vec<String> = schema["properties"]["checks"]["propertyNames"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(in_schema, codes, "docs/tagls.schema.json");
    let package = read("editors/vscode/package.json");
    let in_vscode: Vec<String> =
        package["contributes"]["configuration"]["properties"]["tagls.checks"]["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
    let mut sorted = codes.clone();
    sorted.sort();
    assert_eq!(in_vscode, sorted, "editors/vscode/package.json");
}

/// README.md and docs/TAGS.md list every built-in tag, each in its family's
/// row, so the documentation cannot fall behind the registry.
#[test]
fn every_registered_tag_is_listed_with_its_family() {
    let reg = tagls::tags::Registry::builtin();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for doc in ["README.md", "docs/TAGS.md"] {
        let text = std::fs::read_to_string(repo.join(doc)).unwrap();
        for def in reg.defs() {
            let row = format!("| {} |", def.family.name());
            let listed = text
                .lines()
                .filter(|l| l.starts_with(&row))
                .any(|l| l.contains(&format!("`#{}`", def.name)));
            assert!(
                listed,
                "{doc} does not list #{} in its {} row",
                def.name,
                def.family.name()
            );
        }
    }
}
