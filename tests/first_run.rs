//! The command line as a newcomer meets it: `tagls check`'s grouped output
//! with the verdict first, colour only where it belongs, `--quiet` and the
//! cap on printed findings, `tagls init` and `tagls explain`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use tagls::findings::Code;
use tagls::tags::Family;

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tagls"))
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The binary with a colour-neutral environment and a cache of its own.
fn command(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(bin());
    c.args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("CLICOLOR")
        .env("TAGLS_CACHE_DIR", dir.join("target/tagls-test-cache"));
    c
}

fn tagls(dir: &Path, args: &[&str]) -> Output {
    command(dir, args).output().unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

const DEMO_BLOCKER: &str = "examples/demo/src/api/routes/auth.ts:6:62 [missing-path] src/config/rate-limit.ts does not exist in the workspace";

/// The demo is BLOCKED by one assumption naming a missing file: the first
/// thing printed is the verdict, then that finding with its fix, and in
/// the findings by file it comes first, marked as blocking.
#[test]
fn the_summary_comes_first_and_what_blocks_is_marked_and_first() {
    let out = tagls(&repo(), &["check", "examples/demo"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.starts_with("verdict: BLOCKED (1 missing path(s))\n\nthe 3 findings that matter most, of 5 that change the verdict:\n"),
        "{text}"
    );
    // The most important finding: the blocking one, with what to do.
    let top: Vec<&str> = text.lines().skip(3).take(2).collect();
    assert_eq!(
        top,
        [
            format!("  BLOCKS {DEMO_BLOCKER}").as_str(),
            "      fix: Create src/config/rate-limit.ts, correct the path, or drop the assumption.",
        ],
        "{text}"
    );
    // The next two make the verdict conditional.
    let marked: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("  BLOCKS ") || l.starts_with("  CONDITIONAL "))
        .collect();
    assert_eq!(marked.len(), 3, "{text}");
    assert!(marked[1..].iter().all(|l| l.starts_with("  CONDITIONAL ")));

    // Grouped by file: the file with the blocking finding first, and that
    // finding first in it.
    let groups = text
        .split("\n\n")
        .filter(|g| g.starts_with("examples/demo/"))
        .collect::<Vec<_>>();
    assert_eq!(groups.len(), 5, "{text}");
    assert!(
        groups[0].starts_with(
            "examples/demo/src/api/routes/auth.ts\n  6:62: warning[missing-path] BLOCKS: src/config/rate-limit.ts does not exist in the workspace\n  19:6: information[unchecked-assumption] CONDITIONAL: "
        ),
        "{text}"
    );
    // Every finding is there once (19 is under the default cap).
    let finding_lines = groups
        .iter()
        .flat_map(|g| g.lines().skip(1))
        .filter(|l| l.starts_with("  "))
        .count();
    assert_eq!(finding_lines, 19, "{text}");
    assert!(!text.contains("not shown"), "{text}");
    // Unknown tags and patterns never block.
    assert!(
        text.contains("  9:8: warning[unknown-tag]: unknown tag #COMPLETION_DIRVE"),
        "{text}"
    );
    // The summary and the count precede the first file.
    let count = text.find("19 findings in 5 tagged files").unwrap();
    assert!(count < text.find("\nexamples/demo/").unwrap(), "{text}");
}

#[test]
fn colour_on_demand_never_in_a_pipe() {
    let demo = ["check", "examples/demo"];
    let piped = stdout(&tagls(&repo(), &demo));
    assert!(!piped.contains('\x1b'), "{piped}");

    let always = stdout(&tagls(
        &repo(),
        &[&demo[..], &["--color", "always"]].concat(),
    ));
    assert!(
        always.starts_with("verdict: \x1b[1m\x1b[31mBLOCKED\x1b[0m (1 missing path(s))\n"),
        "{always}"
    );
    assert!(always.contains("\x1b[1m\x1b[31mBLOCKS\x1b[0m"), "{always}");
    // With the escapes taken out, the text is the piped text.
    let plain = regex::Regex::new("\x1b\\[[0-9;]*m")
        .unwrap()
        .replace_all(&always, "");
    assert_eq!(plain, piped);

    // CLICOLOR_FORCE colours a pipe; NO_COLOR wins over it; --color never
    // wins over both.
    let forced = command(&repo(), &demo)
        .env("CLICOLOR_FORCE", "1")
        .output()
        .unwrap();
    assert!(stdout(&forced).contains('\x1b'));
    let no_color = command(&repo(), &demo)
        .env("CLICOLOR_FORCE", "1")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!stdout(&no_color).contains('\x1b'));
    let never = command(&repo(), &[&demo[..], &["--color", "never"]].concat())
        .env("CLICOLOR_FORCE", "1")
        .output()
        .unwrap();
    assert!(!stdout(&never).contains('\x1b'));

    // The one-line form colours its severities, and only on demand.
    let short = stdout(&tagls(
        &repo(),
        &[&demo[..], &["--format", "short", "--color", "always"]].concat(),
    ));
    assert!(
        short.contains("\x1b[1m\x1b[33mwarning[missing-path]\x1b[0m"),
        "{short}"
    );
    assert_eq!(
        tagls(&repo(), &["check", "--color", "sometimes"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn quiet_prints_the_verdict_and_what_blocks_only() {
    let out = tagls(&repo(), &["check", "examples/demo", "--quiet"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout(&out),
        "verdict: BLOCKED (1 missing path(s))\nexamples/demo/src/api/routes/auth.ts:6:62: warning[missing-path] BLOCKS: src/config/rate-limit.ts does not exist in the workspace\n"
    );
    let out = tagls(
        &repo(),
        &["check", "examples/demo", "-q", "--format", "short"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout(&out),
        "examples/demo/src/api/routes/auth.ts:6:62: warning[missing-path]: src/config/rate-limit.ts does not exist in the workspace\nverdict: BLOCKED (1 missing path(s))\n"
    );

    // CONDITIONAL: nothing blocks, so the verdict alone.
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "src/a.ts",
        "// #COMPLETION_DRIVE: Assuming the API returns {token, user}\nexport {}\n",
    );
    write(
        dir.path(),
        ".orchestration/implementation-log.md",
        "## Files Created\n#FILE_CREATED: src/a.ts (2 lines)\n",
    );
    let out = tagls(dir.path(), &["check", "--quiet"]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        stdout(&out),
        "verdict: CONDITIONAL (1 assumption(s) naming nothing checkable)\n"
    );
    // JSON and SARIF always hold everything.
    let out = tagls(dir.path(), &["check", "--quiet", "--format", "json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--quiet and --max-findings"),
        "{out:?}"
    );
}

/// A workspace with more findings than the cap: the blocking one is still
/// shown, a line counts the rest, and the exit status is the verdict's.
#[test]
fn the_cap_counts_what_it_leaves_out_and_never_changes_the_exit_status() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let notes: String = (0..60).map(|i| format!("// #MY_NOTE: {i}\n")).collect();
    write(root, "a.ts", &notes);
    write(
        root,
        "z.ts",
        "// #COMPLETION_DRIVE: Assuming src/gone.ts exists\nexport {}\n",
    );
    write(
        root,
        ".orchestration/implementation-log.md",
        "## Files Created\n#FILE_CREATED: z.ts (2 lines)\n",
    );
    let json: Value =
        serde_json::from_slice(&tagls(root, &["check", "--format", "json"]).stdout).unwrap();
    assert_eq!(json["verdict"], "BLOCKED");
    let total = json["summary"]["findings"].as_u64().unwrap() as usize;
    assert!(total > 60, "{json:#}");

    let count_findings = |text: &str| {
        text.lines()
            .filter(|l| l.starts_with("  ") && l.contains("]"))
            .filter(|l| !l.starts_with("  BLOCKS ") && !l.starts_with("  CONDITIONAL "))
            .count()
    };
    let out = tagls(root, &["check"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert_eq!(count_findings(&text), 50, "{text}");
    assert!(
        text.ends_with(&format!(
            "\n... {} more findings not shown (`--max-findings 0` shows all, `--format short` one per line)\n",
            total - 50
        )),
        "{text}"
    );
    // The file with the blocking finding comes first, so the cap keeps it.
    assert!(
        text.contains("\nz.ts\n  1:32: warning[missing-path] BLOCKS: src/gone.ts does not exist"),
        "{text}"
    );

    let out = tagls(root, &["check", "--max-findings", "1"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert_eq!(count_findings(&text), 1, "{text}");
    assert!(text.contains(&format!("... {} more findings not shown", total - 1)));

    let out = tagls(root, &["check", "--max-findings", "0"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert_eq!(count_findings(&text), total, "{text}");
    assert!(!text.contains("not shown"), "{text}");

    // The one-line form lists all unless asked.
    let out = tagls(root, &["check", "--format", "short"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout(&out).lines().filter(|l| l.contains("]: ")).count(),
        total
    );
    // `text`, the one-line form's former name, is the same form.
    assert_eq!(
        stdout(&tagls(root, &["check", "--format", "text"])),
        stdout(&out)
    );
    let out = tagls(root, &["check", "--format", "short", "--max-findings", "3"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert_eq!(text.lines().filter(|l| l.contains("]: ")).count(), 3);
    assert!(text.contains(&format!("... {} more findings not shown", total - 3)));
}

fn read(root: &Path, rel: &str) -> String {
    std::fs::read_to_string(root.join(rel)).unwrap()
}

/// `tagls init` on an empty folder: a log in the template's order, a
/// configuration the loader accepts, the CI step; then the gate on it.
#[test]
fn init_starts_the_method_and_check_says_what_comes_next() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("app");
    std::fs::create_dir(&root).unwrap();
    let out = tagls(dir.path(), &["init", "app"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{out:?}");
    assert!(
        text.contains("wrote .orchestration/implementation-log.md")
            && text.contains("wrote .tagls.toml"),
        "{text}"
    );
    assert!(text.contains("run: tagls check --since"), "{text}");
    assert!(
        text.contains("    tagls check --since origin/main .\n"),
        "{text}"
    );
    let log = read(&root, ".orchestration/implementation-log.md");
    let sections: Vec<&str> = log.lines().filter(|l| l.starts_with("## ")).collect();
    assert_eq!(
        sections,
        [
            "## Assumptions Made",
            "## Files Created",
            "## Files Modified",
            "## Evidence Captured",
            "## Integration Points"
        ]
    );
    // The configuration is read by the real loader: commented out, it is
    // the defaults; every check is named in it.
    let config = read(&root, ".tagls.toml");
    for code in Code::CHECKS {
        assert!(config.contains(&format!("# {code} = \"off\"")), "{config}");
    }
    assert_eq!(
        tagls::config::ConfigFile::parse(&config, Path::new(".tagls.toml")).unwrap(),
        tagls::config::ConfigFile::default()
    );

    // The skeleton is work not yet started: with no tag in the code there
    // is nothing to verify.
    let out = tagls(&root, &["check", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(out.stderr.is_empty(), "{out:?}");
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["findings"].as_array().unwrap().len(), 0, "{json:#}");
    assert_eq!(json["verdict"], "PASSED");

    // Once the code holds a tag, the method is in use: the log must hold a
    // claim, and the gate says so on the tag.
    write(
        &root,
        "src/b.ts",
        "// #COMPLETION_DRIVE: Assuming the cache is warm\nexport const b = 1\n",
    );
    let out = tagls(&root, &["check", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let blocking: Vec<&Value> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["gate"] == "BLOCKED")
        .collect();
    assert_eq!(blocking.len(), 1, "{json:#}");
    assert_eq!(blocking[0]["code"], "missing-log");
    assert_eq!(blocking[0]["path"], "src/b.ts");
    let out = tagls(&root, &["check"]);
    assert!(
        stdout(&out).starts_with("verdict: BLOCKED (1 missing or empty implementation log)\n"),
        "{}",
        stdout(&out)
    );
    std::fs::remove_file(root.join("src/b.ts")).unwrap();

    // The first entry, written by `tagls log`, lands in its section, and
    // the gate passes.
    write(&root, "src/a.ts", "export const a = 1\n");
    let out = tagls(&root, &["log", "created", "src/a.ts"]);
    assert!(out.status.success(), "{out:?}");
    let out = tagls(&root, &["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let log = read(&root, ".orchestration/implementation-log.md");
    let created = log.find("## Files Created").unwrap();
    let entry = log.find("#FILE_CREATED: src/a.ts (1 line)").unwrap();
    assert!(
        created < entry && entry < log.find("## Files Modified").unwrap(),
        "{log}"
    );
}

#[test]
fn init_never_overwrites_and_never_writes_outside() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // Both there: nothing to do, said, and nothing changed.
    write(root, ".tagls.toml", "log = \"docs/log.md\"\n");
    write(root, "docs/log.md", "# Mine\n");
    let out = tagls(root, &["init"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("kept docs/log.md: it exists")
            && text.contains("kept .tagls.toml: it exists"),
        "{text}"
    );
    assert!(
        text.contains("Nothing written: both files exist."),
        "{text}"
    );
    assert_eq!(read(root, ".tagls.toml"), "log = \"docs/log.md\"\n");
    assert_eq!(read(root, "docs/log.md"), "# Mine\n");

    // The configured log is where the skeleton goes.
    std::fs::remove_file(root.join("docs/log.md")).unwrap();
    let out = tagls(root, &["init"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(read(root, "docs/log.md").contains("## Files Created"));
    assert!(!root.join(".orchestration").exists());
    assert_eq!(read(root, ".tagls.toml"), "log = \"docs/log.md\"\n");

    // A log path through a symlink out of the root is refused, and nothing
    // is written where it points.
    let other = tempfile::tempdir().unwrap();
    let root2 = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(other.path(), root2.path().join(".orchestration")).unwrap();
    let out = tagls(root2.path(), &["init"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(
            "cannot write .orchestration/implementation-log.md: .orchestration is a symlink"
        ),
        "{out:?}"
    );
    assert_eq!(std::fs::read_dir(other.path()).unwrap().count(), 0);
    // What could be written was.
    assert!(root2.path().join(".tagls.toml").is_file());

    // A .tagls.toml above the root applies to it: none is written that
    // would replace it, and its log setting is followed.
    let parent = tempfile::tempdir().unwrap();
    write(parent.path(), ".tagls.toml", "log = \"notes/log.md\"\n");
    std::fs::create_dir(parent.path().join("pkg")).unwrap();
    let out = tagls(parent.path(), &["init", "pkg"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(
        stdout(&out).contains("it applies to this folder, and a .tagls.toml here would replace it"),
        "{out:?}"
    );
    assert!(!parent.path().join("pkg/.tagls.toml").exists());
    assert!(read(parent.path(), "pkg/notes/log.md").starts_with("# Implementation Log\n"));

    // A root that does not exist is a usage error.
    let out = tagls(root, &["init", "no-such-folder"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!root.join("no-such-folder").exists());
}

fn every_code() -> Vec<Code> {
    Code::CHECKS
        .into_iter()
        .chain(Family::ALL.map(Code::Tag))
        .chain([Code::Config])
        .collect()
}

#[test]
fn explain_knows_every_code() {
    let repo = repo();
    for code in every_code() {
        let out = tagls(&repo, &["explain", code.as_str()]);
        let text = stdout(&out);
        assert_eq!(out.status.code(), Some(0), "{code}: {out:?}");
        assert!(
            text.starts_with(&format!("{code}: {}\n\nVerdict:  ", code.rule())),
            "{text}"
        );
        for part in ["\nExample:  ", "\nFix:      ", "\nSilence:  "] {
            assert!(text.contains(part), "{code}: {text}");
        }
        if Code::CHECKS.contains(&code) {
            assert!(
                text.contains(&format!("`[checks]` `{code} = \"off\"`")),
                "{text}"
            );
        }
    }
    // A tag's name stands for its family.
    let text = stdout(&tagls(&repo, &["explain", "#FAILED_VERIFICATION:"]));
    assert!(
        text.starts_with("#FAILED_VERIFICATION is a verdict tag: ")
            && text.contains("\nverdict: The outcome of a verification\n")
            && text.contains("BLOCKS the verdict on #FAILED_VERIFICATION"),
        "{text}"
    );
    let text = stdout(&tagls(&repo, &["explain", "false-claim"]));
    assert!(
        text.contains("Verdict:  Always BLOCKS the verdict.\n"),
        "{text}"
    );
    let text = stdout(&tagls(&repo, &["explain", "unchecked-assumption"]));
    assert!(
        text.contains("Verdict:  Always makes the verdict CONDITIONAL"),
        "{text}"
    );
    let text = stdout(&tagls(&repo, &["explain", "missing-path"]));
    assert!(
        text.contains(
            "Fix:      Create src/config/rate-limit.ts, correct the path, or drop the assumption.\n"
        ),
        "{text}"
    );
}

#[test]
fn explain_refuses_an_unknown_code_and_lists_them() {
    let out = tagls(&repo(), &["explain", "missing-pth"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("tagls: unknown code `missing-pth`; the codes are: "),
        "{err}"
    );
    for code in every_code() {
        assert!(err.contains(code.as_str()), "{code}: {err}");
    }
}

/// `tagls check --help` lists every code with its rule, from the table.
#[test]
fn check_help_lists_every_code_and_how_to_silence_it() {
    let out = tagls(&repo(), &["check", "--help"]);
    let help = stdout(&out);
    assert_eq!(out.status.code(), Some(0));
    for code in every_code() {
        let line = help
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{code} ")))
            .unwrap_or_else(|| panic!("{code}: {help}"));
        assert!(line.ends_with(code.rule()), "{line}");
    }
    for needle in [
        "[checks]",
        "CODE = \"off\"",
        "tagls explain CODE",
        "--quiet",
        "--max-findings <N>",
        "--color <WHEN>",
    ] {
        assert!(help.contains(needle), "{needle}: {help}");
    }
}
