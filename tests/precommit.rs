//! tagls as a pre-commit hook, run by the real pre-commit framework (PyPI,
//! pinned by tests/install-precommit.sh) from this repository's
//! `.pre-commit-hooks.yaml`, on a real git repository: `git commit` is
//! refused while the commit carries a false claim, with the finding shown,
//! and goes through once it is fixed. A missing pre-commit skips the test,
//! unless `TAGLS_REQUIRE_EDITORS=1`, which makes it a failure.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The pre-commit to run: `TAGLS_PRE_COMMIT`, else the one
/// tests/install-precommit.sh recorded, else one on the PATH.
fn pre_commit() -> Option<PathBuf> {
    let recorded = || {
        let env = std::fs::read_to_string(repo().join("target/precommit.env")).ok()?;
        env.lines()
            .find_map(|l| l.strip_prefix("TAGLS_PRE_COMMIT="))
            .map(PathBuf::from)
    };
    let on_path = || {
        std::env::var_os("PATH").and_then(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join("pre-commit"))
                .find(|c| c.is_file())
        })
    };
    let found = std::env::var_os("TAGLS_PRE_COMMIT")
        .map(PathBuf::from)
        .or_else(recorded)
        .filter(|p| p.is_file())
        .or_else(on_path);
    if found.is_none() {
        if std::env::var("TAGLS_REQUIRE_EDITORS").is_ok_and(|v| v.trim() == "1") {
            panic!(
                "pre-commit is required (TAGLS_REQUIRE_EDITORS=1) but not installed. \
                 Run `bash tests/install-precommit.sh` in {}.",
                repo().display()
            );
        }
        eprintln!(
            "note: skipping the pre-commit test: pre-commit is not installed. Run \
             `bash tests/install-precommit.sh` (set TAGLS_REQUIRE_EDITORS=1 to make this a failure)."
        );
    }
    found
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A command with the test's environment: tagls on the PATH, pre-commit's
/// cache and tagls's scan cache inside the test's folder, and a git that
/// reads no user configuration.
fn command(program: &Path, dir: &Path, home: &Path) -> Command {
    let tagls_dir = Path::new(env!("CARGO_BIN_EXE_tagls")).parent().unwrap();
    let path = std::env::join_paths(std::iter::once(tagls_dir.to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    let mut c = Command::new(program);
    c.current_dir(dir)
        .env("PATH", path)
        .env("PRE_COMMIT_HOME", home.join("pre-commit"))
        .env("TAGLS_CACHE_DIR", home.join("tagls-cache"))
        .env("HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@t")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@t")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .env("NO_COLOR", "1");
    c
}

fn run(mut c: Command) -> Output {
    c.output().unwrap()
}

fn ok(out: Output) -> String {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    text
}

#[test]
fn pre_commit_refuses_a_false_claim_and_takes_the_fix() {
    let Some(pre_commit) = pre_commit() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let git = |dir: &Path, args: &[&str]| {
        let mut c = command(Path::new("git"), dir, &home);
        c.args(args);
        c
    };

    // A hook repository holding this repository's .pre-commit-hooks.yaml,
    // so that pre-commit reads it as users' configurations name it.
    let hooks = tmp.path().join("hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    std::fs::copy(
        repo().join(".pre-commit-hooks.yaml"),
        hooks.join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    let mut validate = command(&pre_commit, &hooks, &home);
    validate.args(["validate-manifest", ".pre-commit-hooks.yaml"]);
    ok(run(validate));
    ok(run(git(&hooks, &["init", "-q"])));
    ok(run(git(&hooks, &["add", "."])));
    ok(run(git(&hooks, &["commit", "-qm", "hooks"])));
    let rev = ok(run(git(&hooks, &["rev-parse", "HEAD"])));

    let ws = tmp.path().join("ws");
    std::fs::create_dir_all(&ws).unwrap();
    ok(run(git(&ws, &["init", "-q"])));
    write(
        &ws,
        ".pre-commit-config.yaml",
        &format!(
            "repos:\n  - repo: {}\n    rev: {}\n    hooks:\n      - id: tagls\n",
            hooks.display(),
            rev.trim()
        ),
    );
    let mut install = command(&pre_commit, &ws, &home);
    install.arg("install");
    ok(run(install));

    // The first commit claims 99 lines of a file that has 2.
    write(
        &ws,
        "src/a.ts",
        "// #COMPLETION_DRIVE: Assuming src/b.ts exists\nexport {}\n",
    );
    write(&ws, "src/b.ts", "export const b = 1\n");
    write(
        &ws,
        ".orchestration/implementation-log.md",
        "## Files Created\n#FILE_CREATED: src/a.ts (99 lines)\n#FILE_CREATED: src/b.ts (1 line)\n",
    );
    ok(run(git(&ws, &["add", "."])));
    let refused = run(git(&ws, &["commit", "-m", "work"]));
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&refused.stdout),
        String::from_utf8_lossy(&refused.stderr)
    );
    assert!(!refused.status.success(), "{said}");
    assert!(
        said.contains("false-claim") && said.contains("src/a.ts has 2 lines, not 99"),
        "{said}"
    );
    assert!(said.contains("verdict: BLOCKED"), "{said}");
    assert!(
        !run(git(&ws, &["rev-parse", "--verify", "-q", "HEAD"]))
            .status
            .success()
    );

    // Fixed, it goes through.
    write(
        &ws,
        ".orchestration/implementation-log.md",
        "## Files Created\n#FILE_CREATED: src/a.ts (2 lines)\n#FILE_CREATED: src/b.ts (1 line)\n",
    );
    ok(run(git(&ws, &["add", "."])));
    let passed = ok(run(git(&ws, &["commit", "-m", "work"])));
    assert!(
        passed.contains("tagls check (staged files)") && passed.contains("Passed"),
        "{passed}"
    );

    // A problem already in the workspace, committed without the hook, does
    // not hold back a commit of files it is not about...
    write(
        &ws,
        "src/c.ts",
        "// #COMPLETION_DRIVE: Assuming src/nowhere.ts exists\nexport {}\n",
    );
    ok(run(git(&ws, &["add", "src/c.ts"])));
    ok(run(git(
        &ws,
        &["commit", "-qm", "elsewhere", "--no-verify"],
    )));
    write(&ws, "src/d.ts", "export const d = 1\n");
    ok(run(git(&ws, &["add", "src/d.ts"])));
    ok(run(git(&ws, &["commit", "-qm", "d"])));

    // ...but a commit of a file the log makes a false claim about is
    // refused, though the log itself is not staged.
    write(
        &ws,
        "src/a.ts",
        "// #COMPLETION_DRIVE: Assuming src/b.ts exists\nexport {}\n// more\n",
    );
    ok(run(git(&ws, &["add", "src/a.ts"])));
    let refused = run(git(&ws, &["commit", "-m", "a"]));
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&refused.stdout),
        String::from_utf8_lossy(&refused.stderr)
    );
    assert!(!refused.status.success(), "{said}");
    assert!(
        said.contains(".orchestration/implementation-log.md"),
        "{said}"
    );
    // Against HEAD, the file the log says was created is not new.
    assert!(
        said.contains("[false-claim] BLOCKS: src/a.ts is not new"),
        "{said}"
    );
    assert!(!said.contains("src/nowhere.ts"), "{said}");
}
