//! The built binary, started the way a user or an editor starts it.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;
use support::{ClientOptions, file_uri, start_binary};

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tagls"))
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[tokio::test]
async fn the_binary_publishes_diagnostics_over_stdio() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("app.ts");
    let text = "// 日本語\n// #COMPLETION_DRIVE: Assuming UserService exists\nexport {}\n";
    std::fs::write(&file, text).unwrap();
    let mut c = start_binary(
        &bin(),
        ClientOptions {
            root: Some(dir.path().to_path_buf()),
            ..ClientOptions::default()
        },
    )
    .await;
    let uri = file_uri(&file);
    c.open(&uri, "typescript", text).await;
    let d = c.diagnostics(&uri).await;
    // The note about the missing log may come first.
    let assumption = d["diagnostics"]
        .as_array()
        .and_then(|all| all.iter().find(|d| d["code"] == "unchecked-assumption"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        assumption,
        json!({
            "range": { "start": { "line": 1, "character": 3 }, "end": { "line": 1, "character": 21 } },
            "severity": 3,
            "code": "unchecked-assumption",
            "source": "tagls",
            "message": "Assumption: Assuming UserService exists",
        })
    );
    c.finish().await;
}

#[test]
fn check_lists_the_tags_of_the_demo_workspace() {
    let out = Command::new(bin())
        .args(["check", "--format", "short", "examples/demo"])
        .current_dir(repo())
        .env_remove("CLICOLOR_FORCE")
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    // The demo is BLOCKED on purpose: one assumption names a file that does
    // not exist.
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    for line in [
        "examples/demo/src/api/routes/auth.ts:3:4: information[assumption]: Assumption: Assuming UserService exists at src/services/user.service.ts\n",
        "examples/demo/src/api/routes/auth.ts:6:62: warning[missing-path]: src/config/rate-limit.ts does not exist in the workspace\n",
        "examples/demo/src/services/user.service.ts:9:8: warning[unknown-tag]: unknown tag #COMPLETION_DIRVE: did you mean #COMPLETION_DRIVE?\n",
        "examples/demo/worker/main.go:15:58: information[undeclared-env]: environment variable WORKER_CONCURRENCY is read here but it is not in .env.example\n",
        "examples/demo/scripts/seed.py:4:3: information[verdict]: Verdict: needs a running database\n",
        // One finding for an assumption that names nothing checkable.
        "examples/demo/scripts/seed.py:3:3: information[unchecked-assumption]: Assumption: the seed format is written from memory of the old fixtures\n",
        "examples/demo/.orchestration/implementation-log.md:4:1: information[claim]: Claim: src/api/routes/auth.ts (26 lines)\n",
    ] {
        assert!(stdout.contains(line), "{line}{stdout}");
    }
    // Strings and colours in the demo are not tags; JWT_SECRET is in .env.example.
    assert!(!stdout.contains("FFFFFF"), "{stdout}");
    assert!(!stdout.contains("JWT_SECRET is"), "{stdout}");
    assert!(
        !stdout.contains("information[assumption]: Assumption: the seed format"),
        "{stdout}"
    );
    assert!(
        stdout.ends_with(
            "\n19 findings in 5 tagged files\ntags: 6 assumption, 2 pattern, 1 suggestion, 2 decision, 3 claim, 1 verdict, 1 unknown\nra_status: present_unresolved\nverdict: BLOCKED (1 missing path(s))\n"
        ),
        "{stdout}"
    );
}
