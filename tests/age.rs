//! How old a tag is and who introduced it, in the editor: the hover line and
//! the code lens on old assumptions, from git blame of the editor's text, on
//! real repositories with commits at set dates, through the built binary.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use support::{ClientOptions, TestClient, file_uri, start_binary, write};

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tagls"))
}

const DAY: i64 = 86_400;

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A time `days` and half a day ago: far from a day's boundary, so the age
/// the server works out a moment later is the same.
fn days_ago(days: i64) -> i64 {
    now() - days * DAY - DAY / 2
}

/// Runs git in `dir` as `author`, with author and committer dates at `time`.
fn git_as(dir: &Path, author: &str, time: i64, args: &[&str]) -> String {
    let date = format!("@{time} +0000");
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", &format!("user.name={author}")])
        .args(["-c", "user.email=someone@example.com"])
        .args(["-c", "commit.gpgsign=false"])
        .args(args)
        .env("GIT_AUTHOR_DATE", &date)
        .env("GIT_COMMITTER_DATE", &date)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn init(dir: &Path) {
    git_as(dir, "nobody", now(), &["init", "-q", "-b", "main"]);
}

/// Commits everything in `dir` as `author` at `time`; the commit's id.
fn commit(dir: &Path, author: &str, time: i64) -> String {
    git_as(dir, author, time, &["add", "-A"]);
    git_as(dir, author, time, &["commit", "-q", "-m", "work"]);
    git_as(dir, author, time, &["rev-parse", "HEAD"])
}

/// What the hover line says of a commit, from the date set and the clock.
fn introduced(id: &str, author: &str, time: i64) -> String {
    let days = (now() - time) / DAY;
    let date = jiff::Timestamp::from_second(time)
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    format!(
        "Introduced {days} days ago by {author} in {} ({date})",
        &id[..7]
    )
}

async fn client(folders: &[&Path], settings: Option<Value>) -> TestClient {
    start_binary(
        &bin(),
        ClientOptions {
            root: Some(folders[0].to_path_buf()),
            folders: folders.iter().map(|f| f.to_path_buf()).collect(),
            initialization_options: settings,
            ..ClientOptions::default()
        },
    )
    .await
}

async fn hover(c: &mut TestClient, uri: &str, line: u32) -> String {
    let h = c
        .request(
            "textDocument/hover",
            json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": 6 } }),
        )
        .await;
    h["contents"]["value"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Asks for the hover again until it holds `wanted`: the answer of git
/// comes from another thread, and a hover asked before it omits the line.
async fn hover_until(c: &mut TestClient, uri: &str, line: u32, wanted: &str) -> String {
    let deadline = tokio::time::Instant::now() + support::TIMEOUT;
    loop {
        let text = hover(c, uri, line).await;
        if text.contains(wanted) {
            return text;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for a hover with {wanted:?}; the last one was {text:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

async fn lenses(c: &mut TestClient, uri: &str) -> Vec<(u64, String)> {
    let all = c
        .request(
            "textDocument/codeLens",
            json!({ "textDocument": { "uri": uri } }),
        )
        .await;
    all.as_array()
        .map(|all| {
            all.iter()
                .map(|l| {
                    (
                        l["range"]["start"]["line"].as_u64().unwrap_or_default(),
                        l["command"]["title"]
                            .as_str()
                            .unwrap_or_default()
                            .to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

const OLD_TS: &str =
    "// 日本語 🙂\n// #COMPLETION_DRIVE: Assuming the API returns a token\nexport const a = 1;\n";

#[tokio::test]
async fn hover_says_when_a_tag_was_introduced_and_by_whom() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    init(&root);
    write(&root, "src/a.ts", OLD_TS);
    let t1 = days_ago(143);
    let c1 = commit(&root, "Ada Lovelace", t1);
    let mut c = client(&[&root], None).await;
    let uri = file_uri(&root.join("src/a.ts"));
    c.open(&uri, "typescript", OLD_TS).await;

    let text = hover_until(&mut c, &uri, 1, "Introduced").await;
    assert!(
        text.ends_with(&introduced(&c1, "Ada Lovelace", t1)),
        "{text}"
    );
    assert!(
        text.contains("COMPLETION_DRIVE"),
        "the tag's own hover stays: {text}"
    );

    // A tag typed in the editor, not saved: git does not have its line.
    let edited = format!("{OLD_TS}// #CONTEXT_DEGRADED: Assuming the cache is warm\n");
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "text": edited }] }),
    )
    .await;
    hover_until(&mut c, &uri, 3, "Not committed yet").await;
    // The old tag keeps its age: the editor's lines are what git blames.
    let text = hover_until(&mut c, &uri, 1, "Introduced").await;
    assert!(
        text.ends_with(&introduced(&c1, "Ada Lovelace", t1)),
        "{text}"
    );

    // Saved and committed by someone else: the new line has its commit.
    write(&root, "src/a.ts", &edited);
    c.notify(
        "textDocument/didSave",
        json!({ "textDocument": { "uri": uri } }),
    )
    .await;
    let t2 = days_ago(3);
    let c2 = commit(&root, "Grace Hopper", t2);
    let text = hover_until(&mut c, &uri, 3, "Grace Hopper").await;
    assert!(
        text.ends_with(&introduced(&c2, "Grace Hopper", t2)),
        "{text}"
    );
    let text = hover(&mut c, &uri, 1).await;
    assert!(
        text.ends_with(&introduced(&c1, "Ada Lovelace", t1)),
        "{text}"
    );

    // A file git does not track at all.
    write(&root, "src/b.ts", OLD_TS);
    let b = file_uri(&root.join("src/b.ts"));
    c.open(&b, "typescript", OLD_TS).await;
    hover_until(&mut c, &b, 1, "Not committed yet").await;
    c.finish().await;
}

/// An old assumption, a young one and an old decision.
fn aged_repository(root: &Path) -> (i64, i64) {
    init(root);
    write(
        root,
        "src/a.ts",
        "// #COMPLETION_DRIVE: Assuming the API returns a token\n// #PATH_DECISION: ropes for text\nexport const a = 1;\n",
    );
    let old = days_ago(200);
    commit(root, "Ada Lovelace", old);
    write(
        root,
        "src/a.ts",
        "// #COMPLETION_DRIVE: Assuming the API returns a token\n// #PATH_DECISION: ropes for text\nexport const a = 1;\n// #COMPLETION_DRIVE_INTEGRATION: Assuming JWT_SECRET is set\n",
    );
    let young = days_ago(20);
    commit(root, "Ada Lovelace", young);
    (old, young)
}

#[tokio::test]
async fn old_assumptions_get_a_lens_past_the_threshold() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let (old, _) = aged_repository(&root);
    write(&root, ".tagls.toml", "age-hint-days = 30\n");
    let text = std::fs::read_to_string(root.join("src/a.ts")).unwrap();
    let mut c = client(&[&root], None).await;
    let uri = file_uri(&root.join("src/a.ts"));
    c.open(&uri, "typescript", &text).await;
    c.diagnostics(&uri).await;
    // The answer of git comes later: the editor is asked to fetch lenses
    // again, and a later request has it.
    c.wait_for(
        |m| m["method"] == "workspace/codeLens/refresh",
        "workspace/codeLens/refresh",
    )
    .await;
    let deadline = tokio::time::Instant::now() + support::TIMEOUT;
    let got = loop {
        let got = lenses(&mut c, &uri).await;
        if got.iter().any(|(_, t)| t.starts_with("assumed")) {
            break got;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for an age lens; the last lenses were {got:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    let ages: Vec<_> = got
        .iter()
        .filter(|(_, t)| t.starts_with("assumed"))
        .collect();
    let wanted = format!("assumed {} days ago", (now() - old) / DAY);
    // The young assumption (20 days) and the old decision get none.
    assert_eq!(ages, vec![&(0, wanted)], "{got:?}");
    c.finish().await;
}

#[tokio::test]
async fn no_age_lens_when_it_is_off() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    aged_repository(&root);
    let text = std::fs::read_to_string(root.join("src/a.ts")).unwrap();
    let mut c = client(&[&root], Some(json!({ "age-hint-days": 0 }))).await;
    let uri = file_uri(&root.join("src/a.ts"));
    c.open(&uri, "typescript", &text).await;
    // Git has answered once the hover says so.
    hover_until(&mut c, &uri, 0, "Introduced").await;
    let got = lenses(&mut c, &uri).await;
    assert!(!got.is_empty(), "the file's own lens stays");
    assert!(
        got.iter().all(|(_, t)| !t.starts_with("assumed")),
        "{got:?}"
    );
    c.finish().await;
}

#[tokio::test]
async fn no_repository_or_no_commit_gives_no_age_and_no_error() {
    let plain = tempfile::tempdir().unwrap();
    let plain = plain.path().canonicalize().unwrap();
    let empty = tempfile::tempdir().unwrap();
    let empty = empty.path().canonicalize().unwrap();
    init(&empty);
    let real = tempfile::tempdir().unwrap();
    let real = real.path().canonicalize().unwrap();
    init(&real);
    for root in [&plain, &empty, &real] {
        write(root, "src/a.ts", OLD_TS);
    }
    let t = days_ago(10);
    commit(&real, "Ada Lovelace", t);
    let mut c = client(&[&plain, &empty, &real], None).await;
    let uris: Vec<String> = [&plain, &empty, &real]
        .iter()
        .map(|r| file_uri(&r.join("src/a.ts")))
        .collect();
    for uri in &uris {
        c.open(uri, "typescript", OLD_TS).await;
    }
    for uri in &uris[..2] {
        let text = hover(&mut c, uri, 1).await;
        assert!(text.contains("COMPLETION_DRIVE"), "{text}");
    }
    // The repository with a commit answers; the others were asked first.
    hover_until(&mut c, &uris[2], 1, "Introduced").await;
    for uri in &uris[..2] {
        let text = hover(&mut c, uri, 1).await;
        assert!(text.contains("COMPLETION_DRIVE"), "{text}");
        assert!(
            !text.contains("Introduced") && !text.contains("Not committed"),
            "{text}"
        );
    }
    let said = c.drain().await;
    assert!(!said.contains("\"type\":1"), "no error: {said}");
    assert!(!said.to_lowercase().contains("git failed"), "{said}");
    c.finish().await;
}
