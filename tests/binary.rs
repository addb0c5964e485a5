//! The built binary, started the way a user or an editor starts it.

mod support;

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
    assert_eq!(
        d["diagnostics"][0],
        json!({
            "range": { "start": { "line": 1, "character": 3 }, "end": { "line": 1, "character": 49 } },
            "severity": 3,
            "code": "assumption",
            "source": "tagls",
            "message": "Assumption: Assuming UserService exists",
        })
    );
    c.finish().await;
}

#[test]
fn check_lists_the_tags_of_the_demo_workspace() {
    let out = Command::new(bin())
        .args(["check", "examples/demo"])
        .current_dir(repo())
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains(
            "examples/demo/src/api/routes/auth.ts:3:4: information[assumption]: Assumption: Assuming UserService exists at src/services/user.service.ts\n"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "examples/demo/src/services/user.service.ts:9:8: warning[unknown-tag]: unknown tag #COMPLETION_DIRVE: did you mean #COMPLETION_DRIVE?\n"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("examples/demo/worker/main.go:8:4: information[assumption]"),
        "{stdout}"
    );
    assert!(
        stdout.contains("examples/demo/scripts/seed.py:4:3: information[verdict]"),
        "{stdout}"
    );
    // Strings and colours in the demo are not tags.
    assert!(!stdout.contains("FFFFFF"), "{stdout}");
    assert!(stdout.ends_with("\n15 findings in 4 files: 6 assumption, 2 decision, 1 missing-path, 2 pattern, 1 suggestion, 1 undeclared-env, 1 unknown-tag, 1 verdict\n"), "{stdout}");
}

#[test]
fn check_exits_1_on_an_error_and_2_on_a_missing_path() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.py"),
        "# #FAILED_VERIFICATION: returns None\n",
    )
    .unwrap();
    let out = Command::new(bin())
        .arg("check")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let out = Command::new(bin())
        .args(["check", "/nonexistent/tagls"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("/nonexistent/tagls: no such file or directory")
    );
}
