//! `tagls audit` on real git repositories built in temporary folders, with
//! commits at set dates: counts over the range, ages from the introducing
//! commit, moves and renames, the history cache, bad input, every format.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::cli::{bin, repo, write};

/// A repository under construction, with its own history cache.
struct Repo {
    dir: tempfile::TempDir,
    cache: tempfile::TempDir,
}

impl Repo {
    fn new() -> Repo {
        let r = Repo {
            dir: tempfile::tempdir().unwrap(),
            cache: tempfile::tempdir().unwrap(),
        };
        r.git(&["init", "-q", "-b", "main"]);
        r
    }

    fn root(&self) -> PathBuf {
        self.dir.path().canonicalize().unwrap()
    }

    fn git_at(&self, date: &str, args: &[&str]) -> String {
        let out = Command::new("git")
            .arg("-C")
            .arg(self.dir.path())
            .args([
                "-c",
                "user.name=Ada Lovelace",
                "-c",
                "user.email=ada@example.com",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .env("GIT_AUTHOR_DATE", date)
            .env("GIT_COMMITTER_DATE", date)
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

    fn git(&self, args: &[&str]) -> String {
        self.git_at("2026-01-01T00:00:00Z", args)
    }

    fn write(&self, rel: &str, text: &str) {
        write(self.dir.path(), rel, text);
    }

    /// Commits everything at `date`; the commit's id.
    fn commit(&self, date: &str, msg: &str) -> String {
        self.git(&["add", "-A"]);
        self.git_at(date, &["commit", "-q", "--allow-empty", "-m", msg]);
        self.git(&["rev-parse", "HEAD"])
    }

    fn audit_in(&self, dir: &Path, args: &[&str]) -> Output {
        Command::new(bin())
            .arg("audit")
            .args(args)
            .current_dir(dir)
            .env("TAGLS_CACHE_DIR", self.cache.path())
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    }

    fn audit(&self, args: &[&str]) -> Output {
        self.audit_in(self.dir.path(), args)
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--format", "json"];
        all.extend_from_slice(args);
        let out = self.audit(&all);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

fn row<'a>(doc: &'a Value, tag: &str) -> &'a Value {
    doc["tags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["tag"] == tag)
        .unwrap_or_else(|| panic!("no row for {tag}: {doc:#}"))
}

fn counts(doc: &Value, tag: &str) -> [u64; 4] {
    let r = row(doc, tag);
    ["now", "added", "removed", "open"].map(|k| r[k].as_u64().unwrap())
}

fn open_at<'a>(doc: &'a Value, path: &str) -> &'a Value {
    doc["open"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["path"] == path)
        .unwrap_or_else(|| panic!("no open tag in {path}: {doc:#}"))
}

const JAN: &str = "2026-01-01T10:00:00Z";
const FEB: &str = "2026-02-01T10:00:00Z";
const MAR: &str = "2026-03-01T10:00:00Z";

/// Three commits: tags added, one removed, a file renamed and a tag line
/// moved within its file.
fn history() -> (Repo, [String; 3]) {
    let r = Repo::new();
    r.write(
        "src/a.ts",
        "// #COMPLETION_DRIVE: Assuming the API returns a token\nconst decoy = \"#COMPLETION_DRIVE: not a tag, a string\";\n// #PATH_DECISION: ropes for text\n// #CARGO_CULT: copied retry loop\nexport const a = 1;\n",
    );
    r.write(".orchestration/implementation-log.md", "# Log\n");
    let c1 = r.commit(JAN, "one");
    r.write(
        "src/b.py",
        "x = 1\n# #COMPLETION_DRIVE: Assuming the queue drains\ny = 2\n",
    );
    r.write(
        "src/a.ts",
        "// #COMPLETION_DRIVE: Assuming the API returns a token\nconst decoy = \"#COMPLETION_DRIVE: not a tag, a string\";\n// #PATH_DECISION: ropes for text\nexport const a = 1;\n",
    );
    let c2 = r.commit(FEB, "two");
    // The file moves, and its tag line moves down below new code.
    std::fs::create_dir_all(r.dir.path().join("src/lib")).unwrap();
    r.git(&["mv", "src/a.ts", "src/lib/a.ts"]);
    r.write(
        "src/lib/a.ts",
        "export const z = 0;\nexport const y = 0;\n// #PATH_DECISION: ropes for text\n// #COMPLETION_DRIVE: Assuming the API returns a token\nconst decoy = \"#COMPLETION_DRIVE: not a tag, a string\";\nexport const a = 1;\n",
    );
    r.write(
        "src/b.py",
        "y = 2\nz = 3\nx = 1\n# #COMPLETION_DRIVE: Assuming the queue drains\n",
    );
    let c3 = r.commit(MAR, "three");
    (r, [c1, c2, c3])
}

#[test]
fn counts_over_the_range_and_ages_from_the_introducing_commit() {
    let (r, [c1, c2, _]) = history();
    let doc = r.json(&[]);
    assert_eq!(doc["commits"], 3);
    assert_eq!(doc["branch"], "main");
    // The string in code is not a tag; the rename and the move are neither
    // a removal nor an addition.
    assert_eq!(counts(&doc, "COMPLETION_DRIVE"), [2, 2, 0, 2], "{doc:#}");
    assert_eq!(counts(&doc, "CARGO_CULT"), [0, 1, 1, 0], "{doc:#}");
    assert_eq!(counts(&doc, "PATH_DECISION"), [1, 1, 0, 0], "{doc:#}");
    let fam = doc["families"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["family"] == "assumption")
        .unwrap();
    assert_eq!(
        (fam["now"].as_u64(), fam["open"].as_u64()),
        (Some(2), Some(2))
    );

    let a = open_at(&doc, "src/lib/a.ts");
    assert_eq!(a["line"], 4);
    assert_eq!(
        a["commit"],
        c1.as_str(),
        "a renamed, moved line keeps its age"
    );
    assert_eq!(a["introduced"], 1_767_261_600);
    assert_eq!(a["author"], "Ada Lovelace");
    let b = open_at(&doc, "src/b.py");
    assert_eq!(b["commit"], c2.as_str(), "a moved line keeps its age");
    // Oldest first.
    assert_eq!(doc["open"][0]["path"], "src/lib/a.ts");
    let now = doc["generated"].as_i64().unwrap();
    assert_eq!(
        a["age_days"].as_i64().unwrap(),
        (now - 1_767_261_600) / 86_400
    );

    // The range: only the last commit, which moved and renamed.
    let last = r.json(&["--last", "1"]);
    assert_eq!(last["commits"], 1);
    assert_eq!(counts(&last, "COMPLETION_DRIVE"), [2, 0, 0, 2], "{last:#}");
    let since = r.json(&["--since", &c1]);
    assert_eq!(since["commits"], 2);
    assert_eq!(
        counts(&since, "COMPLETION_DRIVE"),
        [2, 1, 0, 2],
        "{since:#}"
    );
    assert_eq!(counts(&since, "CARGO_CULT"), [0, 0, 1, 0], "{since:#}");
}

#[test]
fn the_text_lists_the_oldest_open_tag_first() {
    let (r, _) = history();
    let out = r.audit(&[]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let a = text.find("src/lib/a.ts:4  #COMPLETION_DRIVE").expect(&text);
    let b = text.find("src/b.py:4  #COMPLETION_DRIVE").expect(&text);
    assert!(a < b, "{text}");
    assert!(text.contains("since 2026-01-01"), "{text}");
    assert!(!text.contains("not a tag, a string"), "{text}");
}

#[test]
fn every_format() {
    let (r, _) = history();
    let doc = r.json(&[]);
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("docs/audit-output.schema.json")).unwrap(),
    )
    .unwrap();
    let v = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = v.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}\n{doc:#}");
    assert!(
        doc["recurring"].is_array() && doc["overdue"].is_array(),
        "{doc:#}"
    );

    let out = r.audit(&["--format", "csv"]);
    let csv = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "path,line,tag,family,payload,commit,introduced,author,age_days"
    );
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(
        lines[1].starts_with(
            "src/lib/a.ts,4,COMPLETION_DRIVE,assumption,Assuming the API returns a token,"
        ),
        "{csv}"
    );
    assert!(lines[1].contains(",2026-01-01,Ada Lovelace,"), "{csv}");

    // Markdown on stdout: the tables, no plot.
    let out = r.audit(&["--format", "markdown"]);
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.starts_with("# Tag audit"), "{md}");
    assert!(
        md.contains("| #COMPLETION\\_DRIVE | assumption | 2 | 2 | 0 | 2 |"),
        "{md}"
    );
    assert!(!md.contains(".svg"), "{md}");

    // To a file: the plot beside it, linked.
    let out_dir = tempfile::tempdir().unwrap();
    let report = out_dir.path().join("report.md");
    let out = r.audit(&["--format", "markdown", "--output", report.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    let md = std::fs::read_to_string(&report).unwrap();
    assert!(
        md.contains("![Tags per family over time](report.svg)"),
        "{md}"
    );
    let svg = std::fs::read_to_string(out_dir.path().join("report.svg")).unwrap();
    assert!(svg.starts_with("<svg"), "{svg:.200}");
    assert!(svg.contains("assumption"), "the legend names the families");

    // Text and JSON to a file too.
    let json_file = out_dir.path().join("audit.json");
    let out = r.audit(&["--format", "json", "--output", json_file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(json_file).unwrap()).unwrap();
    assert_eq!(written["commits"], 3);
}

#[test]
fn the_cache_serves_a_second_run_and_follows_new_and_rewritten_commits() {
    let (r, _) = history();
    let first = r.json(&[]);
    assert_eq!(first["cached_commits"], 0);
    let second = r.json(&[]);
    assert_eq!(second["cached_commits"], 3, "every commit from the cache");
    assert_eq!(second["tags"], first["tags"]);
    assert_eq!(second["open"], first["open"]);

    // A new commit: only it is read.
    r.write("src/c.go", "package c\n// #CONTEXT_DEGRADED: from memory\n");
    r.commit("2026-04-01T10:00:00Z", "four");
    let third = r.json(&[]);
    assert_eq!(
        (third["commits"].as_u64(), third["cached_commits"].as_u64()),
        (Some(4), Some(3))
    );
    assert_eq!(
        counts(&third, "CONTEXT_DEGRADED"),
        [1, 1, 0, 1],
        "{third:#}"
    );

    // Rewritten: the amended commit has a new id and other content; the
    // cache must not answer for it.
    r.write("src/c.go", "package c\n// #CONTEXT_ROT: long session\n");
    r.git(&["add", "-A"]);
    r.git_at(
        "2026-04-02T10:00:00Z",
        &["commit", "-q", "--amend", "-m", "four again"],
    );
    let amended = r.json(&[]);
    assert_eq!(
        (
            amended["commits"].as_u64(),
            amended["cached_commits"].as_u64()
        ),
        (Some(4), Some(3))
    );
    assert!(
        amended["tags"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["tag"] != "CONTEXT_DEGRADED"),
        "{amended:#}"
    );
    assert_eq!(counts(&amended, "CONTEXT_ROT"), [1, 1, 0, 0], "{amended:#}");

    // A rebase that drops a commit: the history is what git now says.
    r.git(&["reset", "-q", "--hard", "HEAD~2"]);
    let rebased = r.json(&[]);
    assert_eq!(rebased["commits"], 2);
    assert_eq!(
        counts(&rebased, "COMPLETION_DRIVE"),
        [2, 2, 0, 2],
        "{rebased:#}"
    );
}

#[test]
fn payloads_are_redacted() {
    let r = Repo::new();
    r.write(
        "src/k.ts",
        "// #COMPLETION_DRIVE: Assuming token ghp_T8CANARYgithubToken0123456789abcdef works\nexport {};\n",
    );
    r.commit(JAN, "key");
    for format in ["text", "json", "csv", "markdown"] {
        let out = r.audit(&["--format", format]);
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!all.contains("T8CANARY"), "{format}: {all}");
        assert!(all.contains("Assuming token"), "{format}: {all}");
    }
}

#[test]
fn no_repository_and_an_unknown_revision_are_usage_errors() {
    let plain = tempfile::tempdir().unwrap();
    let r = Repo::new();
    let out = r.audit_in(plain.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is not in a git work tree"), "{err}");
    assert!(out.stdout.is_empty());

    r.write("a.ts", "// #COMPLETION_DRIVE: Assuming x\n");
    r.commit(JAN, "one");
    for rev in ["no-such-branch", "--output=/tmp/x", ""] {
        let out = r.audit(&[&format!("--since={rev}")]);
        assert_eq!(out.status.code(), Some(2), "{rev}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("names no commit"), "{rev}: {err}");
    }
}

#[test]
fn a_repository_with_no_commit_counts_what_is_there_now() {
    let r = Repo::new();
    r.write("a.ts", "// #COMPLETION_DRIVE: Assuming x\n");
    let doc = r.json(&[]);
    assert_eq!(doc["commits"], 0);
    assert_eq!(doc["head"], Value::Null);
    assert_eq!(counts(&doc, "COMPLETION_DRIVE"), [1, 0, 0, 1]);
    assert_eq!(doc["open"][0]["commit"], Value::Null);
    assert!(
        doc["not_seen"][0]
            .as_str()
            .unwrap()
            .contains("no commit yet"),
        "{doc:#}"
    );
}

#[test]
fn a_detached_head_is_said() {
    let (r, [c1, ..]) = history();
    r.git(&["checkout", "-q", "--detach", &c1]);
    let doc = r.json(&[]);
    assert_eq!(doc["branch"], Value::Null);
    assert_eq!(doc["commits"], 1);
    let out = r.audit(&[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("detached HEAD at "), "{text}");
}

#[test]
fn a_shallow_clone_says_what_it_could_not_see() {
    let (r, _) = history();
    let clone = tempfile::tempdir().unwrap();
    let url = format!("file://{}", r.root().display());
    let ok = Command::new("git")
        .args(["clone", "-q", "--depth", "1", &url])
        .arg(clone.path().join("c"))
        .stdin(Stdio::null())
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let out = r.audit_in(&clone.path().join("c"), &["--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["commits"], 1);
    let said = doc["not_seen"].to_string();
    assert!(said.contains("shallow"), "{doc:#}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("shallow"));
    // What the graft holds counts as added: said, not hidden.
    assert_eq!(counts(&doc, "COMPLETION_DRIVE")[1], 2, "{doc:#}");
}

#[test]
fn a_huge_file_in_history_is_skipped_and_said() {
    let r = Repo::new();
    let mut big = String::from("// #COMPLETION_DRIVE: Assuming huge\n");
    while big.len() < 3 * 1024 * 1024 {
        big.push_str("export const filler = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';\n");
    }
    r.write("src/huge.ts", &big);
    r.write("src/blob.bin", "\0\u{1}\u{2}#COMPLETION_DRIVE: x\0");
    r.write("src/ok.ts", "// #COMPLETION_DRIVE: Assuming small\n");
    r.commit(JAN, "huge");
    std::fs::remove_file(r.dir.path().join("src/huge.ts")).unwrap();
    r.commit(FEB, "gone");
    let doc = r.json(&[]);
    assert_eq!(
        counts(&doc, "COMPLETION_DRIVE")[1],
        1,
        "only the small file is read: {doc:#}"
    );
    let said = doc["not_seen"].to_string();
    assert!(said.contains("src/huge.ts"), "{doc:#}");
}

/// The payloads of a recurring group, sorted: what a reader checks.
fn group_payloads(group: &Value) -> Vec<String> {
    let mut p: Vec<String> = group["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["payload"].as_str().unwrap().to_owned())
        .collect();
    p.sort();
    p
}

/// Assumptions that say the same thing in different words are grouped
/// across files and across history (a tag since removed still counts);
/// another number is another assumption; the threshold decides which
/// group is a candidate standard; a secret in a payload stays hidden.
#[test]
fn recurring_assumptions_are_grouped_over_history() {
    let r = Repo::new();
    r.write(
        "src/nav.ts",
        "// #COMPLETION_DRIVE: Assuming mobile breakpoint is 768px\nexport const nav = 1;\n",
    );
    r.write(
        "src/old.ts",
        "// #COMPLETION_DRIVE: mobile breakpoint assumed to be 768 px\nexport const old = 1;\n",
    );
    r.commit(JAN, "first");
    // The second file's assumption is removed; history still holds it.
    r.write("src/old.ts", "export const old = 1;\n");
    r.write(
        "src/grid.tsx",
        "// #COMPLETION_DRIVE: Assuming the mobile breakpoint is 768px\n// #COMPLETION_DRIVE: Assuming tablet breakpoint is 1024px\nconst s = \"#COMPLETION_DRIVE: Assuming mobile breakpoint is 768px\";\nexport default s;\n",
    );
    r.write(
        "src/env.ts",
        "// #COMPLETION_DRIVE: Assuming JWT_SECRET is set in the environment (ghp_T8CANARYgithubToken0123456789abcdef)\n// #COMPLETION_DRIVE: JWT_SECRET assumed to be set in the environment (ghp_T8CANARYgithubToken0123456789abcdef)\nexport {};\n",
    );
    r.commit(FEB, "second");

    let doc = r.json(&[]);
    let groups = doc["recurring"].as_array().unwrap();
    assert_eq!(groups.len(), 2, "{doc:#}");
    // Most frequent first: the breakpoint, three times in three files (one
    // of them only in history); the string decoy and 1024px are not in it.
    let bp = &groups[0];
    assert_eq!(bp["count"], 3, "{bp:#}");
    assert_eq!(
        bp["files"],
        serde_json::json!(["src/grid.tsx", "src/nav.ts", "src/old.ts"])
    );
    assert_eq!(bp["candidate"], true);
    assert_eq!(
        group_payloads(bp),
        [
            "Assuming mobile breakpoint is 768px",
            "Assuming the mobile breakpoint is 768px",
            "mobile breakpoint assumed to be 768 px",
        ]
    );
    let old = bp["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["path"] == "src/old.ts")
        .unwrap();
    assert!(old["line"].is_null(), "{old:#}");
    // Twice: a group, below the default threshold of three.
    let env = &groups[1];
    assert_eq!(env["count"], 2);
    assert_eq!(env["candidate"], false);

    // A threshold of two makes both candidates.
    let two = r.json(&["--standard-threshold", "2"]);
    assert!(
        two["recurring"]
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["candidate"] == true),
        "{two:#}"
    );

    let text = r.audit(&["--format", "text"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("Recurring assumptions, most frequent first:\n  Assuming mobile breakpoint is 768px: 3 times in 3 file(s), a candidate standard (src/grid.tsx, src/nav.ts, src/old.ts)"),
        "{text}"
    );
    for format in ["text", "json", "markdown"] {
        let out = r.audit(&["--format", format]);
        assert!(
            !String::from_utf8_lossy(&out.stdout).contains("T8CANARY"),
            "{format}"
        );
    }
}

/// Tags past their due date are listed, longest overdue first, as
/// `tagls check` reports them; a tag due in the future is not.
#[test]
fn overdue_tags_are_listed() {
    let r = Repo::new();
    r.write(
        "src/a.ts",
        "// #COMPLETION_DRIVE[2003-05-01]: Assuming the cache is warm\n// #COMPLETION_DRIVE[2999-12-31]: Assuming a far future\nexport {};\n",
    );
    r.write(
        "src/b.py",
        "# #CONTEXT_DEGRADED[2001-01-01]: Assuming the schema did not change\n",
    );
    r.commit(JAN, "dated");
    let doc = r.json(&[]);
    let overdue = doc["overdue"].as_array().unwrap();
    let places: Vec<(String, u64, String)> = overdue
        .iter()
        .map(|o| {
            (
                o["path"].as_str().unwrap().to_owned(),
                o["line"].as_u64().unwrap(),
                o["due"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        places,
        [
            ("src/b.py".to_owned(), 1, "2001-01-01".to_owned()),
            ("src/a.ts".to_owned(), 1, "2003-05-01".to_owned()),
        ],
        "{doc:#}"
    );
    // The same findings as the gate's.
    let check = Command::new(bin())
        .args(["check", "--format", "json"])
        .current_dir(r.dir.path())
        .env("TAGLS_CACHE_DIR", r.cache.path())
        .output()
        .unwrap();
    let check: Value = serde_json::from_slice(&check.stdout).unwrap();
    let from_check: Vec<String> = check["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "overdue")
        .map(|f| f["message"].as_str().unwrap().to_owned())
        .collect();
    let mut from_audit: Vec<String> = overdue
        .iter()
        .map(|o| o["message"].as_str().unwrap().to_owned())
        .collect();
    from_audit.sort();
    let mut from_check = from_check;
    from_check.sort();
    assert_eq!(from_audit, from_check);
    let text = r.audit(&[]);
    let text = String::from_utf8_lossy(&text.stdout);
    let at = text
        .find("Overdue tags:\n  src/b.py:1: #CONTEXT_DEGRADED was due on 2001-01-01")
        .unwrap_or_else(|| panic!("{text}"));
    assert!(text[at..].contains("src/a.ts:1: #COMPLETION_DRIVE was due on 2003-05-01"));
}
