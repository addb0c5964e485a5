//! Replays every input the fuzzers ever crashed on, and the fuzzers' seed
//! inputs, through the check of the target that reads it.
//!
//! Crashing inputs live in `tests/fixtures/fuzz-regressions/`, named
//! `<target>-<short>.bin` after the fuzz target (`server/fuzz/fuzz_targets/`);
//! seeds live in `server/fuzz/seeds/<target>/`. The checks are the fuzz
//! crate's own (`server/fuzz/src/lib.rs`), compiled in here, so a kept input
//! fails this test exactly when it would crash its fuzz target again.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

#[path = "../server/fuzz/src/lib.rs"]
mod checks;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn check_for(target: &str) -> Option<checks::Check> {
    checks::TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .map(|&(_, check)| check)
}

/// Runs each input through its check and lists the ones that fail.
fn replay(inputs: &[(PathBuf, String)]) -> Vec<String> {
    let mut failures = Vec::new();
    for (path, target) in inputs {
        let Some(check) = check_for(target) else {
            failures.push(format!(
                "{}: no fuzz target named `{target}`",
                path.display()
            ));
            continue;
        };
        let data = std::fs::read(path).unwrap();
        if catch_unwind(AssertUnwindSafe(|| check(&data))).is_err() {
            failures.push(format!("{} fails the `{target}` check", path.display()));
        }
    }
    failures
}

#[test]
fn crashing_inputs_stay_fixed() {
    let dir = repo().join("tests/fixtures/fuzz-regressions");
    let mut inputs = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "bin") {
            continue;
        }
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let target = name.split_once('-').map_or(name.as_str(), |(t, _)| t);
        inputs.push((path.clone(), target.to_owned()));
    }
    inputs.sort();
    let failures = replay(&inputs);
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn seed_inputs_pass_their_checks() {
    let mut inputs = Vec::new();
    for &(target, _) in checks::TARGETS {
        let dir = repo().join("server/fuzz/seeds").join(target);
        let entries: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| {
                panic!(
                    "cannot read the seeds of `{target}` in {}: {e}",
                    dir.display()
                )
            })
            .map(|e| e.unwrap().path())
            .collect();
        assert!(!entries.is_empty(), "no seeds for `{target}`");
        inputs.extend(entries.into_iter().map(|p| (p, target.to_owned())));
    }
    inputs.sort();
    let failures = replay(&inputs);
    assert!(failures.is_empty(), "{failures:#?}");
}
