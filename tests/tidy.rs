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
