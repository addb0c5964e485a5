//! `tagls log` writing the method's template, as a user runs it: the built
//! binary, real images and logs on disk, exit codes, and `tagls check`
//! reading back what was written.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, UNIX_EPOCH};

use serde_json::Value;

const LOG: &str = ".orchestration/implementation-log.md";

/// The five sections of a new log, in the template's order.
const SKELETON: &str = "# Implementation Log\n\n## Assumptions Made\n\n## Files Created\n\n## Files Modified\n\n## Evidence Captured\n\n## Integration Points\n";

/// A valid 1×1 RGBA PNG.
const PNG_1X1: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// A 2×1 24-bit BMP: file header, BITMAPINFOHEADER, one padded row.
fn bmp_2x1() -> Vec<u8> {
    let mut b = b"BM".to_vec();
    b.extend_from_slice(&62u32.to_le_bytes());
    b.extend_from_slice(&[0; 4]);
    b.extend_from_slice(&54u32.to_le_bytes());
    b.extend_from_slice(&40u32.to_le_bytes());
    b.extend_from_slice(&2i32.to_le_bytes());
    b.extend_from_slice(&1i32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&24u16.to_le_bytes());
    b.extend_from_slice(&[0; 24]);
    b.extend_from_slice(&[0xff; 6]);
    b.extend_from_slice(&[0; 2]);
    b
}

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tagls"))
}

fn tagls(dir: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn write(root: &Path, rel: &str, bytes: &[u8]) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, bytes).unwrap();
}

/// A workspace: a folder with `.orchestration/`, and no log yet.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(".orchestration/evidence")).unwrap();
    dir
}

fn read_log(root: &Path) -> String {
    std::fs::read_to_string(root.join(LOG)).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `tagls check --format json` on a workspace.
fn check(root: &Path) -> Value {
    let out = tagls(root, &["check", "--format", "json"]);
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The findings of a check other than the information that lists claims.
fn problems(doc: &Value) -> Vec<&Value> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] != "claim")
        .collect()
}

/// Sets a file's modification time to `secs` after 1970.
fn set_mtime(path: &Path, secs: u64) {
    let file = std::fs::File::options().write(true).open(path).unwrap();
    file.set_modified(UNIX_EPOCH + Duration::from_secs(secs))
        .unwrap();
}

/// A PNG logged into a workspace without a log: the skeleton's five
/// sections in order, the entry under `## Evidence Captured` with its time,
/// once however often it is logged, and `tagls check` accepts it.
#[test]
fn a_screenshot_is_logged_and_checked() {
    let ws = workspace();
    let root = ws.path();
    let shot = ".orchestration/evidence/login/after.png";
    write(root, shot, PNG_1X1);
    set_mtime(&root.join(shot), 1_700_000_000);

    let out = tagls(
        root,
        &[
            "log",
            "screenshot",
            shot,
            "--description",
            "Login page after the fix",
            "--shows",
            "the form with #ERROR: shown in red",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        format!("logged #SCREENSHOT_CLAIMED: {shot} (PNG) in {LOG}\n")
    );
    assert_eq!(stderr(&out), "", "no warning under the evidence folder");
    let entry = format!(
        "#SCREENSHOT_CLAIMED: {shot}\n  Description: Login page after the fix\n  Shows: the form with \\#ERROR: shown in red\n  Timestamp: 2023-11-14T22:13:20Z\n"
    );
    assert_eq!(
        read_log(root),
        SKELETON.replace(
            "## Evidence Captured\n",
            &format!("## Evidence Captured\n\n{entry}")
        )
    );

    // Logged again once the file changed: updated in place.
    set_mtime(&root.join(shot), 1_700_000_060);
    let out = tagls(root, &["log", "screenshot", shot]);
    assert!(out.status.success(), "{}", stderr(&out));
    let log = read_log(root);
    assert_eq!(log.matches("#SCREENSHOT_CLAIMED:").count(), 1, "{log}");
    assert!(
        log.contains(&entry.replace("22:13:20Z", "22:14:20Z")),
        "{log}"
    );

    // What was written reads back as an accepted claim: the checker sees
    // the claim and finds nothing wrong with it.
    let doc = check(root);
    assert_eq!(doc["verdict"], "PASSED", "{doc}");
    assert_eq!(problems(&doc), Vec::<&Value>::new(), "{doc}");
    assert!(
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "claim"
                && f["tag"] == "SCREENSHOT_CLAIMED"
                && f["message"] == format!("Claim: {shot}")),
        "{doc}"
    );
}

/// A BMP outside `.orchestration/evidence/` is logged, with a warning on
/// stderr; the section is added at its place in an existing log that lacks
/// it.
#[test]
fn a_screenshot_outside_the_evidence_folder_is_logged_with_a_warning() {
    let ws = workspace();
    let root = ws.path();
    write(root, "shots/wide.bmp", &bmp_2x1());
    let before = "# Implementation Log\n\n## Files Created\n\n#FILE_CREATED: a.ts (1 line)\n\n## Integration Points\n\nby hand\n";
    write(root, LOG, before.as_bytes());
    let out = tagls(root, &["log", "screenshot", "shots/wide.bmp"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        format!("logged #SCREENSHOT_CLAIMED: shots/wide.bmp (BMP) in {LOG}\n")
    );
    assert!(
        stderr(&out).contains(
            "warning: shots/wide.bmp is not under .orchestration/evidence/, where the method keeps its evidence"
        ),
        "{}",
        stderr(&out)
    );
    let log = read_log(root);
    assert!(
        log.starts_with(
            "# Implementation Log\n\n## Files Created\n\n#FILE_CREATED: a.ts (1 line)\n\n## Evidence Captured\n\n#SCREENSHOT_CLAIMED: shots/wide.bmp\n  Description:\n  Shows:\n  Timestamp: "
        ),
        "{log}"
    );
    assert!(
        log.ends_with("Z\n\n## Integration Points\n\nby hand\n"),
        "{log}"
    );
}

/// A text file named `.png`, a missing file, a file outside the workspace or
/// reached through a symlink out of it: refused with exit 2, a message, and
/// the log unchanged byte for byte.
#[test]
fn what_is_not_a_screenshot_of_the_workspace_is_refused() {
    let parent = tempfile::tempdir().unwrap();
    let root = parent.path().join("ws");
    let elsewhere = parent.path().join("elsewhere");
    std::fs::create_dir_all(root.join(".orchestration/evidence")).unwrap();
    write(&elsewhere, "o.png", PNG_1X1);
    write(&root, ".orchestration/evidence/fake.png", b"not an image\n");
    write(&root, ".orchestration/evidence/empty.png", b"");
    std::os::unix::fs::symlink(
        elsewhere.join("o.png"),
        root.join(".orchestration/evidence/out.png"),
    )
    .unwrap();
    std::os::unix::fs::symlink(&elsewhere, root.join(".orchestration/evidence/linked")).unwrap();
    let log = "# Log\r\n\r\n## Evidence Captured\r\n\r\nkept as it is";
    write(&root, LOG, log.as_bytes());

    let outside = elsewhere.join("o.png");
    for (path, message) in [
        (
            ".orchestration/evidence/fake.png",
            "tagls: .orchestration/evidence/fake.png is not an image: its bytes are not PNG, JPEG, GIF, WebP or BMP; a screenshot must be a PNG, JPEG, GIF, WebP or BMP file\n",
        ),
        (
            ".orchestration/evidence/empty.png",
            "tagls: .orchestration/evidence/empty.png is not an image: it is empty; a screenshot must be a PNG, JPEG, GIF, WebP or BMP file\n",
        ),
        (
            ".orchestration/evidence/none.png",
            "tagls: .orchestration/evidence/none.png does not exist; nothing to log\n",
        ),
        (
            ".orchestration/evidence/out.png",
            "tagls: .orchestration/evidence/out.png is outside the workspace; a screenshot must be a file of the workspace\n",
        ),
        (
            ".orchestration/evidence/linked/o.png",
            "tagls: .orchestration/evidence/linked/o.png is outside the workspace; a screenshot must be a file of the workspace\n",
        ),
        ("../elsewhere/o.png", "is outside the workspace"),
        (outside.to_str().unwrap(), "is outside the workspace"),
        (".orchestration/evidence", "is not a regular file"),
    ] {
        let out = tagls(&root, &["log", "screenshot", path]);
        assert_eq!(out.status.code(), Some(2), "{path}: {}", stderr(&out));
        assert!(stderr(&out).contains(message), "{path}: {}", stderr(&out));
        assert_eq!(stdout(&out), "", "{path}");
        assert_eq!(
            std::fs::read(root.join(LOG)).unwrap(),
            log.as_bytes(),
            "{path}"
        );
    }
    // Nothing else was created either.
    assert!(!elsewhere.join(".orchestration").exists());
}

/// `--waiver` writes the waiver with its reason, once.
#[test]
fn the_waiver_is_logged_with_its_reason() {
    let ws = workspace();
    let root = ws.path();
    let out = tagls(root, &["log", "screenshot", "--waiver"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        format!("logged #SCREENSHOT_CLAIMED: CANNOT_CAPTURE_SECURITY_POLICY in {LOG}\n")
    );
    let waiver = "#SCREENSHOT_CLAIMED: CANNOT_CAPTURE_SECURITY_POLICY\n  Reason:\n";
    assert_eq!(
        read_log(root),
        SKELETON.replace(
            "## Evidence Captured\n",
            &format!("## Evidence Captured\n\n{waiver}")
        )
    );
    let out = tagls(
        root,
        &[
            "log",
            "screenshot",
            "--waiver",
            "--reason",
            "the admin pages show customer data",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let log = read_log(root);
    assert_eq!(
        log.matches("CANNOT_CAPTURE_SECURITY_POLICY").count(),
        1,
        "{log}"
    );
    assert!(
        log.contains(
            "#SCREENSHOT_CLAIMED: CANNOT_CAPTURE_SECURITY_POLICY\n  Reason: the admin pages show customer data\n"
        ),
        "{log}"
    );

    // Usage errors write nothing.
    let before = read_log(root);
    for args in [
        &["log", "screenshot"][..],
        &["log", "screenshot", "--reason", "x"],
        &["log", "screenshot", "a.png", "--waiver"],
    ] {
        let out = tagls(root, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(read_log(root), before, "{args:?}");
    }
}

/// `tagls log modified --changes` fills `Changes:`; without it the field is
/// written empty; its text cannot start a claim.
#[test]
fn modified_entries_carry_their_changes() {
    let ws = workspace();
    let root = ws.path();
    write(root, "src/user.ts", "a\nb\nc\n".repeat(20).as_bytes());
    write(root, "src/other.ts", b"x\n");
    let out = tagls(
        root,
        &[
            "log",
            "modified",
            "src/user.ts",
            "--lines",
            "12, 34-36",
            "--changes",
            "Added passwordHash",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = tagls(root, &["log", "modified", "src/other.ts", "--lines", "1"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        read_log(root),
        SKELETON.replace(
            "## Files Modified\n",
            "## Files Modified\n\n#FILE_MODIFIED: src/user.ts\n  Lines affected: 12, 34-36\n  Description:\n  Changes: Added passwordHash\n\n#FILE_MODIFIED: src/other.ts\n  Lines affected: 1\n  Description:\n  Changes:\n"
        )
    );
    // Again, with other changes: one entry, its changes added up.
    let out = tagls(
        root,
        &[
            "log",
            "modified",
            "src/user.ts",
            "--lines",
            "40",
            "--changes",
            "Hashed with #FILE_CREATED: x.ts (1 line)",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let log = read_log(root);
    assert_eq!(
        log.matches("#FILE_MODIFIED: src/user.ts").count(),
        1,
        "{log}"
    );
    assert!(
        log.contains(
            "#FILE_MODIFIED: src/user.ts\n  Lines affected: 40\n  Description:\n  Changes: Added passwordHash; Hashed with \\#FILE_CREATED: x.ts (1 line)\n"
        ),
        "{log}"
    );
    // The workspace checks clean, and the changes text is no claim.
    let doc = check(root);
    assert_eq!(doc["verdict"], "PASSED", "{doc}");
    assert_eq!(problems(&doc), Vec::<&Value>::new(), "{doc}");
    assert_eq!(doc["summary"]["families"]["claim"], 2, "{doc}");
}

/// `tagls log --help` names the new command and fields.
#[test]
fn the_help_describes_the_template() {
    let dir = tempfile::tempdir().unwrap();
    let out = tagls(dir.path(), &["log", "--help"]);
    let help = stdout(&out);
    assert!(help.contains("screenshot"), "{help}");
    assert!(help.contains("Integration Points"), "{help}");
    let out = tagls(dir.path(), &["log", "screenshot", "--help"]);
    let help = stdout(&out);
    for word in [
        "--waiver",
        "--reason",
        "--shows",
        "BMP",
        ".orchestration/evidence/",
    ] {
        assert!(help.contains(word), "{word}: {help}");
    }
    let out = tagls(dir.path(), &["log", "modified", "--help"]);
    assert!(stdout(&out).contains("--changes"), "{}", stdout(&out));
}
