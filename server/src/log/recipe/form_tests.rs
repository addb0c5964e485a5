//! One test per recipe form: what a user sees (passed, failed, not
//! evaluated, and the hover), refusals included.

use std::path::Path;
use std::sync::Arc;

use super::*;
use crate::workspace::fs::{FakeFs, RealFs};

use crate::log::testing::PNG_1X1;

fn workspace(fs: FakeFs) -> Workspace {
    let mut ws = Workspace::new(Arc::new(fs));
    ws.add_root(Path::new("/ws"), false);
    ws
}

fn eval(ws: &mut Workspace, recipe: &str) -> Evaluation {
    evaluate(recipe, Path::new("/ws"), ws)
}

#[track_caller]
fn passes(ws: &mut Workspace, recipe: &str) -> Evaluation {
    let e = eval(ws, recipe);
    assert_eq!(
        (&e.failed, &e.unverifiable),
        (&None, &None),
        "{recipe}: {}",
        e.hover
    );
    assert!(
        e.commands.iter().all(|c| c.status == RunStatus::Passed),
        "{e:?}"
    );
    e
}

#[track_caller]
fn fails(ws: &mut Workspace, recipe: &str) -> String {
    let e = eval(ws, recipe);
    assert!(
        e.commands.iter().any(|c| c.status == RunStatus::Failed),
        "{e:?}"
    );
    e.failed
        .unwrap_or_else(|| panic!("{recipe} did not fail: {}", e.hover))
}

#[track_caller]
fn unverifiable(ws: &mut Workspace, recipe: &str) -> String {
    let e = eval(ws, recipe);
    assert_eq!(e.failed, None, "{recipe}");
    assert!(
        e.commands
            .iter()
            .any(|c| c.status == RunStatus::NotEvaluated),
        "{e:?}"
    );
    e.unverifiable
        .unwrap_or_else(|| panic!("{recipe} was evaluated: {}", e.hover))
}

fn evidence() -> FakeFs {
    let fs = FakeFs::new();
    fs.file(
        "/ws/.orchestration/evidence/task-234/api-test-1.png",
        PNG_1X1,
    )
    .file(
        "/ws/.orchestration/evidence/task-234/api-test-2.png",
        PNG_1X1,
    )
    .file("/ws/.orchestration/evidence/task-234/notes.txt", "a\nb\n")
    .file("/ws/src/a.ts", "export const a = 1\n")
    .file(
        "/ws/src/b.ts",
        "export const b = 2\nimport { a } from './a'\n",
    )
    .file("/ws/src/.hidden.ts", "export const h = 3\n")
    .file("/ws/src/deep/c/d.ts", "export const d = 4\n")
    .file("/ws/src/deep/c/e.js", "export const e = 5\n")
    .file("/outside/secret.txt", "CANARY_outside\n");
    fs
}

#[test]
fn ls_expands_globs_inside_the_workspace_only() {
    let mut ws = workspace(evidence());
    let e = passes(
        &mut ws,
        "ls .orchestration/evidence/task-234/api-test-*.png",
    );
    assert_eq!(
        e.hover,
        "**Verification** `ls .orchestration/evidence/task-234/api-test-*.png`\n\n\
         `.orchestration/evidence/task-234/api-test-1.png`: exists (file)\n\n\
         `.orchestration/evidence/task-234/api-test-2.png`: exists (file)"
    );
    assert_eq!(
        e.commands,
        [CommandRun {
            command: "ls .orchestration/evidence/task-234/api-test-*.png".into(),
            status: RunStatus::Passed,
            output: ".orchestration/evidence/task-234/api-test-1.png\n\
                     .orchestration/evidence/task-234/api-test-2.png"
                .into(),
        }]
    );
    assert_eq!(
        fails(&mut ws, "ls .orchestration/evidence/task-234/ui-*.png"),
        "ls: no file matches .orchestration/evidence/task-234/ui-*.png"
    );
    // `?`, `[...]`, `**`; hidden files only for a pattern that starts with `.`.
    let e = passes(&mut ws, "ls src/?.ts src/[b].ts");
    assert!(
        e.hover.contains("`src/a.ts`") && e.hover.contains("`src/b.ts`"),
        "{}",
        e.hover
    );
    let e = passes(&mut ws, "ls src/**/*.ts");
    assert_eq!(
        e.commands[0].output, "src/a.ts\nsrc/b.ts\nsrc/deep/c/d.ts",
        "{}",
        e.hover
    );
    let e = passes(&mut ws, "ls src/.*.ts");
    assert_eq!(e.commands[0].output, "src/.hidden.ts");
    // Quoted, a glob character is itself.
    assert_eq!(
        fails(&mut ws, "ls 'src/*.ts'"),
        "ls: src/*.ts does not exist"
    );
    // Never outside the workspace.
    for recipe in [
        "ls ../*",
        "ls /**/*",
        "ls /outside/*.txt",
        "ls ../outside/*",
    ] {
        let glob = recipe.trim_start_matches("ls ");
        assert_eq!(
            fails(&mut ws, recipe),
            format!("ls: {glob} is outside the workspace; not checked")
        );
    }
    assert!(unverifiable(&mut ws, "ls src/*/../../../outside/*").contains("`..` after a wildcard"));
}

#[test]
fn globs_expand_in_the_operands_of_other_commands() {
    let mut ws = workspace(evidence());
    let e = passes(&mut ws, "wc -l src/*.ts");
    assert_eq!(e.commands[0].output, "1 src/a.ts\n2 src/b.ts");
    let e = passes(&mut ws, "grep -n export src/*.ts");
    assert_eq!(
        e.commands[0].output,
        "src/a.ts:1:export const a = 1\nsrc/b.ts:1:export const b = 2"
    );
    assert_eq!(
        fails(&mut ws, "grep export src/*.py"),
        "grep: no file matches src/*.py"
    );
    let e = passes(&mut ws, "file .orchestration/evidence/*/*.png");
    assert!(
        e.hover.contains("api-test-2.png`: PNG image, 1×1"),
        "{}",
        e.hover
    );
}

#[test]
fn a_glob_over_a_huge_tree_stops() {
    let fs = FakeFs::new();
    for i in 0..(glob::MAX_MATCHES + 10) {
        fs.file(format!("/ws/big/f{i}.txt"), "");
    }
    let mut ws = workspace(fs);
    let why = unverifiable(&mut ws, "ls big/*.txt");
    assert!(why.contains("matches more than 2000 paths"), "{why}");
}

#[test]
fn file_says_what_each_file_is() {
    let fs = evidence();
    fs.file("/ws/empty.txt", "")
        .file("/ws/blob.bin", [0u8, 1, 2, 3])
        .file("/ws/cut.png", &PNG_1X1[..20])
        .dir("/ws/folder");
    let mut ws = workspace(fs);
    let e = passes(
        &mut ws,
        "file .orchestration/evidence/task-234/api-test-1.png empty.txt src/b.ts blob.bin folder",
    );
    assert_eq!(
        e.hover,
        "**Verification** `file .orchestration/evidence/task-234/api-test-1.png empty.txt src/b.ts blob.bin folder`\n\n\
         `.orchestration/evidence/task-234/api-test-1.png`: PNG image, 1×1\n\n\
         `empty.txt`: empty\n\n\
         `src/b.ts`: text, 2 lines\n\n\
         `blob.bin`: data\n\n\
         `folder`: directory"
    );
    assert_eq!(
        e.commands[0].output.lines().next(),
        Some(".orchestration/evidence/task-234/api-test-1.png: PNG image, 1×1")
    );
    // The real `file` exits 0 on a missing file; the recipe means it exists.
    assert_eq!(
        fails(&mut ws, "file .orchestration/evidence/task-234/missing.png"),
        "file: .orchestration/evidence/task-234/missing.png does not exist"
    );
    assert_eq!(
        fails(&mut ws, "file ../outside/secret.txt"),
        "file: ../outside/secret.txt is outside the workspace; not checked"
    );
    assert!(
        passes(&mut ws, "file cut.png")
            .hover
            .contains("PNG image data, cut short or damaged")
    );
    assert!(unverifiable(&mut ws, "file --mime-type src/a.ts").contains("`--mime-type`"));
}

#[test]
fn find_evaluates_the_common_subset_and_never_runs_actions() {
    let mut ws = workspace(evidence());
    let e = passes(&mut ws, "find src -name '*.ts'");
    assert_eq!(
        e.commands[0].output,
        "src/.hidden.ts\nsrc/a.ts\nsrc/b.ts\nsrc/deep/c/d.ts"
    );
    assert!(
        e.hover
            .contains("find found 4 paths for -name *.ts in src:\n\n- `src/.hidden.ts`"),
        "{}",
        e.hover
    );
    let e = passes(&mut ws, "find . -maxdepth 2 -type d -name 'de*'");
    assert_eq!(e.commands[0].output, "./src/deep");
    let e = passes(&mut ws, "find src -type f -iname 'D.TS'");
    assert_eq!(e.commands[0].output, "src/deep/c/d.ts");
    let e = passes(&mut ws, "find . -path './src/deep/*' -type f");
    assert_eq!(e.commands[0].output, "./src/deep/c/d.ts\n./src/deep/c/e.js");
    assert_eq!(
        fails(&mut ws, "find src -maxdepth 1 -name '*.js'"),
        "find found nothing for -name *.js in src"
    );
    // `.git` is not entered; `node_modules` neither, so a miss proves
    // nothing there.
    let fs = evidence();
    fs.file("/ws/.git/config", "");
    assert_eq!(
        fails(&mut workspace(fs), "find . -name config"),
        "find found nothing for -name config in ."
    );
    let fs = evidence();
    fs.file("/ws/node_modules/x/index.js", "");
    let mut big = workspace(fs);
    let e = passes(&mut big, "find . -name '*.ts' -path './src/*'");
    assert!(e.commands[0].output.contains("./src/a.ts"));
    let why = unverifiable(&mut big, "find . -name index.js");
    assert!(
        why.contains("but tagls does not walk `./node_modules`, where it may be"),
        "{why}"
    );
    assert_eq!(
        fails(&mut ws, "find nowhere -name x"),
        "find: nowhere does not exist"
    );
    assert_eq!(
        fails(&mut ws, "find .. -name secret.txt"),
        "find: .. is outside the workspace; not checked"
    );
    for (recipe, pred) in [
        ("find . -name '*.ts' -exec rm {} \\;", "-exec"),
        ("find . -name '*.ts' -delete", "-delete"),
        ("find . -name a -o -name b", "-o"),
        ("find . -newer src/a.ts", "-newer"),
    ] {
        let why = unverifiable(&mut ws, recipe);
        assert!(
            why.contains(&format!("find's `{pred}` is not evaluated")),
            "{why}"
        );
    }
}

#[test]
fn grep_reads_its_options_and_real_patterns() {
    let fs = evidence();
    fs.file("/ws/.env", "API_KEY=CANARY_env_value\n")
        .file("/ws/node_modules/x/index.ts", "export const a = 1\n")
        .file("/ws/src/deep/c/test.ts", "Export Const Loud = 1\n");
    let mut ws = workspace(fs);
    let out = |ws: &mut Workspace, r: &str| passes(ws, r).commands[0].output.clone();
    assert_eq!(
        out(&mut ws, "grep -rl 'export const' src"),
        "src/.hidden.ts\nsrc/a.ts\nsrc/b.ts\nsrc/deep/c/d.ts\nsrc/deep/c/e.js"
    );
    assert_eq!(out(&mut ws, "grep -c export src/b.ts"), "1");
    assert_eq!(out(&mut ws, "grep -q export src/b.ts"), "");
    assert_eq!(
        out(
            &mut ws,
            "grep -rn --include='*.ts' --exclude-dir=c 'const [ab] ' src"
        ),
        "src/a.ts:1:export const a = 1\nsrc/b.ts:1:export const b = 2"
    );
    assert_eq!(
        out(
            &mut ws,
            "grep -r --exclude=*.ts -e 'const e' -e nothing src"
        ),
        "src/deep/c/e.js:export const e = 5"
    );
    assert_eq!(
        out(&mut ws, "grep -rhi 'export const loud' src"),
        "Export Const Loud = 1"
    );
    assert_eq!(
        out(&mut ws, "grep -Ew 'const (a|b)' src/b.ts"),
        "export const b = 2"
    );
    assert_eq!(
        out(&mut ws, r"grep 'const \(a\|b\)' src/a.ts"),
        "export const a = 1"
    );
    assert_eq!(
        out(&mut ws, "grep -F './a' src/b.ts"),
        "import { a } from './a'"
    );
    assert_eq!(
        out(&mut ws, "grep -E '^export const [a-z] = [0-9]+$' src/a.ts"),
        "export const a = 1"
    );
    assert_eq!(
        out(&mut ws, "grep -v export src/b.ts"),
        "import { a } from './a'"
    );
    assert_eq!(
        fails(&mut ws, "grep -w 'const' src/deep/c/test.ts"),
        "grep found no \"const\" in src/deep/c/test.ts"
    );
    // A `.` is any character, as grep reads it.
    assert_eq!(out(&mut ws, "grep 'a.=' src/a.ts"), "export const a = 1");
    // What cannot be translated is not evaluated, never failed.
    assert!(unverifiable(&mut ws, r"grep '\(a\)\1' src/a.ts").contains("back-reference"));
    assert!(unverifiable(&mut ws, r"grep -P '\d+' src/a.ts").contains("Perl"));
    assert!(unverifiable(&mut ws, r"grep '\d' src/a.ts").contains("`\\d`"));
    assert!(unverifiable(&mut ws, "grep -f patterns.txt src/a.ts").contains("from a file"));
    // Env files: line numbers only.
    let e = passes(&mut ws, "grep -rn API_KEY .");
    assert!(!format!("{e:?}").contains("CANARY_env_value"), "{e:?}");
    assert!(e.hover.contains("- `.env` line 1\n"), "{}", e.hover);
    assert_eq!(
        e.commands[0].output,
        ".env:1:[a line of a secret file; not shown]"
    );
}

#[test]
fn sed_head_tail_and_cat_show_a_few_lines() {
    let fs = evidence();
    fs.file(
        "/ws/ten.txt",
        (1..=10).map(|i| format!("line {i}\n")).collect::<String>(),
    )
    .file("/ws/.env.local", "A=CANARY_a\nB=CANARY_b\nC=CANARY_c\n")
    .file("/ws/blob.bin", [0u8, 159, 146, 150])
    .file(
        "/ws/src/token.ts",
        "const k = \"sk_live_51HqLyjWDarjtT1zdp7dcXqNh\"\n",
    );
    let mut ws = workspace(fs);
    let e = passes(&mut ws, "sed -n '3,4p' ten.txt");
    assert_eq!(
        e.hover,
        "**Verification** `sed -n '3,4p' ten.txt`\n\n`ten.txt`: exists, 10 lines; lines 3-4:\n\n\
         - `ten.txt` line 3: `line 3`\n- `ten.txt` line 4: `line 4`"
    );
    assert_eq!(e.commands[0].output, "line 3\nline 4");
    assert_eq!(
        passes(&mut ws, "sed -n 10p ten.txt").commands[0].output,
        "line 10"
    );
    assert_eq!(
        fails(&mut ws, "sed -n '11,20p' ten.txt"),
        "sed: ten.txt has 10 lines; line 11 is past its end"
    );
    for recipe in [
        "sed 's/a/b/' ten.txt",
        "sed -n '/x/p' ten.txt",
        "sed -i -n 1p ten.txt",
    ] {
        let why = unverifiable(&mut ws, recipe);
        assert!(why.contains("sed"), "{why}");
    }
    assert_eq!(
        passes(&mut ws, "head -n 2 ten.txt").commands[0].output,
        "line 1\nline 2"
    );
    assert_eq!(
        passes(&mut ws, "tail -2 ten.txt").commands[0].output,
        "line 9\nline 10"
    );
    assert_eq!(
        passes(&mut ws, "tail -n +9 ten.txt").commands[0].output,
        "line 9\nline 10"
    );
    let e = passes(&mut ws, "cat ten.txt");
    // The hover shows the first lines only.
    assert!(
        e.hover.contains("`ten.txt` line 5: `line 5`\n- and 5 more")
            || e.hover.contains("line 5: `line 5`"),
        "{}",
        e.hover
    );
    assert!(!e.hover.contains("line 6`"), "{}", e.hover);
    assert_eq!(
        fails(&mut ws, "cat missing.txt"),
        "cat: missing.txt does not exist"
    );
    assert_eq!(
        fails(&mut ws, "head -n 1 ../outside/secret.txt"),
        "head: ../outside/secret.txt is outside the workspace; not checked"
    );
    // Secret files: no line; tokens redacted.
    for recipe in [
        "sed -n '1,3p' .env.local",
        "cat .env.local",
        "head .env.local",
    ] {
        let e = passes(&mut ws, recipe);
        assert!(!format!("{e:?}").contains("CANARY"), "{e:?}");
    }
    let e = passes(&mut ws, "head -n 3 blob.bin");
    assert!(
        e.hover
            .ends_with("`blob.bin`: exists, 1 line; lines 1-1; binary, so its lines are not shown"),
        "{}",
        e.hover
    );
    let e = passes(&mut ws, "cat src/token.ts");
    assert!(!format!("{e:?}").contains("sk_live_51"), "{e:?}");
    assert!(e.hover.contains("[redacted]"), "{}", e.hover);
}

#[test]
fn pipelines_into_grep_read_what_the_first_command_prints() {
    let fs = evidence();
    fs.file("/ws/.env", "API_KEY=CANARY_env_value\nPORT=1\n");
    let mut ws = workspace(fs);
    let e = passes(&mut ws, "cat src/b.ts | grep import");
    assert_eq!(
        e.hover,
        "**Verification** `cat src/b.ts | grep import`\n\n\
         grep found \"import\" in the output of `cat src/b.ts` (1 line):\n\n\
         - `src/b.ts` line 2: `import { a } from './a'`"
    );
    assert_eq!(
        e.commands,
        [CommandRun {
            command: "cat src/b.ts | grep import".into(),
            status: RunStatus::Passed,
            output: "import { a } from './a'".into(),
        }]
    );
    // The second grep reads the first's output, file names included.
    let e = passes(&mut ws, "grep -rn export src | grep -v deep | grep b.ts");
    assert_eq!(e.commands[0].output, "src/b.ts:1:export const b = 2");
    assert_eq!(
        passes(&mut ws, "ls .orchestration/evidence/task-234 | grep -c png").commands[0].output,
        "2"
    );
    assert_eq!(
        passes(&mut ws, "find src -type f | grep -E '\\.js$' | wc -l").commands[0].output,
        "1"
    );
    assert_eq!(
        fails(&mut ws, "cat src/a.ts | grep nothing"),
        "grep found no \"nothing\" in the output of `cat src/a.ts`"
    );
    assert!(
        unverifiable(&mut ws, "grep nothing src/a.ts | wc -l").contains("cannot tell whether 0")
    );
    // Secret lines are matched, never shown.
    let e = passes(&mut ws, "cat .env | grep API");
    assert!(!format!("{e:?}").contains("CANARY"), "{e:?}");
    assert!(e.hover.contains("- `.env` line 1"), "{}", e.hover);
    // head, tail, sort and uniq arrange; `wc -l` counts.
    assert_eq!(passes(&mut ws, "ls src | wc -l").commands[0].output, "3");
    assert_eq!(
        passes(&mut ws, "find src -type f | sort -r | head -n 2").commands[0].output,
        "src/deep/c/e.js\nsrc/deep/c/d.ts"
    );
    assert_eq!(
        passes(&mut ws, "cat src/b.ts | tail -1 | grep -c import").commands[0].output,
        "1"
    );
    let e = passes(&mut ws, "cat src/a.ts src/a.ts | sort | uniq");
    assert_eq!(e.commands[0].output, "export const a = 1");
    for (recipe, why) in [
        ("npm ls | grep react", "does not evaluate `npm`"),
        ("cat src/a.ts | xargs grep a", "not `xargs grep a`"),
        ("cat src/a.ts | sort -n | grep a", "not `sort -n`"),
        (
            "ls src/none | wc -l",
            "there are none (ls: src/none does not exist)",
        ),
        (
            "find src -name '*.py' | wc -l",
            "there are none (find found nothing",
        ),
        ("cat src/a.ts | grep nothing | wc -l", "there are none"),
        ("grep -r x src | grep -f list", "from a file"),
    ] {
        let got = unverifiable(&mut ws, recipe);
        assert!(got.contains(why), "{recipe}: {got}");
    }
    // `ls -l` is listed as names: a name found is found, a miss or an
    // anchored pattern proves nothing.
    assert_eq!(
        passes(&mut ws, "ls -la src | grep deep").commands[0].output,
        "deep"
    );
    assert!(unverifiable(&mut ws, "ls -l src | grep '^d'").contains("long format"));
    assert!(unverifiable(&mut ws, "ls -l src | grep nothing").contains("long format"));
}

#[test]
fn shell_syntax_tagls_does_not_evaluate_says_why() {
    let mut ws = workspace(evidence());
    for (recipe, why) in [
        (
            "npm test",
            "tagls cannot evaluate `npm test`; check it by hand",
        ),
        (
            "ls src > out.txt",
            "tagls cannot evaluate `ls src > out.txt`: it redirects input or output; check it by hand",
        ),
        (
            "grep $NAME src/a.ts",
            "tagls cannot evaluate `grep $NAME src/a.ts`: it uses variables or command substitution; check it by hand",
        ),
        (
            "ls $(pwd)",
            "tagls cannot evaluate `ls $(pwd)`: it uses variables or command substitution; check it by hand",
        ),
    ] {
        assert_eq!(unverifiable(&mut ws, recipe), why);
    }
    // `[` is a command, not a glob; `echo` prints.
    let e = passes(
        &mut ws,
        "[ -f src/a.ts ] && [ -d src ] && echo \"found it\"",
    );
    assert_eq!(e.commands[2].output, "found it");
    assert!(e.hover.ends_with("`echo` prints `found it`"), "{}", e.hover);
    assert_eq!(
        fails(&mut ws, "[ -d src/a.ts ]"),
        "test -d: src/a.ts is not a directory; it is a file"
    );
    // `&&` and `;` chains: every command, the first failure reported.
    let e = eval(&mut ws, "ls src/a.ts && ls src/none.ts; npm test");
    assert_eq!(e.failed.as_deref(), Some("ls: src/none.ts does not exist"));
    let statuses: Vec<RunStatus> = e.commands.iter().map(|c| c.status).collect();
    assert_eq!(
        statuses,
        [
            RunStatus::Passed,
            RunStatus::Failed,
            RunStatus::NotEvaluated
        ]
    );
    assert_eq!(e.commands[1].output, "ls: src/none.ts does not exist");
    assert_eq!(e.commands[2].command, "npm test");
}

#[test]
fn hostile_recipes_never_panic() {
    let mut ws = workspace(evidence());
    let huge = "a".repeat(100_000);
    let many = "ls src/a.ts && ".repeat(100) + "ls src/a.ts";
    let deep = "(".repeat(500) + "a" + &")".repeat(500);
    for recipe in [
        huge.as_str(),
        many.as_str(),
        deep.as_str(),
        "\"unbalanced",
        "grep 'x",
        "ls \0 src",
        "grep x\0y src/a.ts",
        "ls ../../etc/passwd",
        "cat ../../etc/passwd",
        "grep -r root /etc",
        "ls /**/*",
        "grep -E '((((((((((a*)*)*)*)*)*)*)*)*)*)' src/a.ts",
        "grep -E 'a{1000}{1000}{1000}' src/a.ts",
        "grep '[[:alpha:' src/a.ts",
        "grep -e",
        "grep",
        "sed -n '99999999999999999999p' src/a.ts",
        "head -n 99999999999999999999999 src/a.ts",
        "find . -maxdepth",
        "find . -name '['",
        "file",
        "[ -f",
        "git",
        "git diff | grep",
        "| grep x",
        "ls src/[",
        "ls 'src/*'/*",
        "\u{202e}ls src",
    ] {
        let e = eval(&mut ws, recipe);
        assert!(
            e.failed.is_some() || e.unverifiable.is_some() || !e.commands.is_empty(),
            "{recipe}"
        );
        assert!(!format!("{e:?}").contains("CANARY_outside"), "{recipe}");
    }
    let e = eval(&mut ws, &many);
    assert!(e.unverifiable.unwrap().contains("first 32 commands"));
}

/// A git repository in a temporary folder, with a committed file, a change
/// to it, and a committed env file with a changed secret.
fn repo() -> (tempfile::TempDir, std::path::PathBuf, Workspace) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let root = dir.path().join("ws");
    std::fs::create_dir_all(root.join("src")).unwrap();
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .arg("-C")
            .arg(&root)
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args([
                "-c",
                "commit.gpgsign=false",
                "-c",
                "init.defaultBranch=main",
            ])
            .args(args)
            .output()
            .expect("git runs");
        assert!(out.status.success(), "git {args:?}: {out:?}");
    };
    std::fs::write(root.join("src/a.ts"), "export const a = 1\n").unwrap();
    std::fs::write(root.join(".env"), "API_KEY=old\n").unwrap();
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-qm", "first commit"]);
    std::fs::write(
        root.join("src/a.ts"),
        "export const a = 1\nexport const added = 2\n",
    )
    .unwrap();
    std::fs::write(root.join(".env"), "API_KEY=CANARY_git_value\n").unwrap();
    std::fs::write(root.join("src/new.ts"), "new\n").unwrap();
    let mut ws = Workspace::new(Arc::new(RealFs));
    ws.add_root(&root, false);
    (dir, root, ws)
}

#[test]
fn git_stages_run_the_real_git_read_only() {
    let (_dir, root, mut ws) = repo();
    let ev = |ws: &mut Workspace, r: &str| evaluate(r, &root, ws);
    let pass = |ws: &mut Workspace, r: &str| {
        let e = ev(ws, r);
        assert_eq!(
            (&e.failed, &e.unverifiable),
            (&None, &None),
            "{r}: {}",
            e.hover
        );
        e
    };
    let e = pass(&mut ws, "git diff | grep 'added'");
    assert_eq!(e.commands[0].output, "+export const added = 2");
    assert!(
        e.hover.contains("grep found \"added\" in the output of `git diff` (1 line):\n\n- `+export const added = 2`"),
        "{}",
        e.hover
    );
    assert_eq!(
        pass(&mut ws, "git diff --stat | grep -c 'src/a.ts'").commands[0].output,
        "1"
    );
    assert_eq!(
        pass(&mut ws, "git diff --name-only HEAD -- src | grep a.ts").commands[0].output,
        "src/a.ts"
    );
    assert_eq!(
        pass(&mut ws, "git diff --name-status | grep -E '^M'").commands[0].output,
        "M\t.env\nM\tsrc/a.ts"
    );
    assert_eq!(
        pass(&mut ws, "git status --short | grep new.ts").commands[0].output,
        "?? src/new.ts"
    );
    assert_eq!(
        pass(&mut ws, "git status --porcelain | grep -c '^ M'").commands[0].output,
        "2"
    );
    assert!(
        pass(&mut ws, "git log --oneline -n 5 | grep 'first commit'").commands[0]
            .output
            .ends_with(" first commit")
    );
    assert!(
        pass(&mut ws, "git log --oneline -1 | grep first").commands[0]
            .output
            .contains("first")
    );
    let e = ev(&mut ws, "git log --oneline | grep 'second commit'");
    assert_eq!(
        e.failed.as_deref(),
        Some("grep found no \"second commit\" in the output of `git log --oneline`")
    );
    // The diff of a secret file is matched, never shown.
    let e = pass(&mut ws, "git diff | grep API_KEY");
    assert!(!format!("{e:?}").contains("CANARY_git_value"), "{e:?}");
    assert!(!format!("{e:?}").contains("API_KEY=old"), "{e:?}");
    assert!(
        e.hover.contains("- a line of `.env` (not shown)"),
        "{}",
        e.hover
    );
    // A bare git command passes when git succeeds.
    let e = pass(&mut ws, "git diff --stat");
    assert!(e.hover.contains("src/a.ts"), "{}", e.hover);
    let e = ev(&mut ws, "git diff no-such-revision | grep x");
    assert!(
        e.failed
            .is_some_and(|m| m.starts_with("git diff no-such-revision: "))
    );
    // Refused: what writes, runs a program, or reads outside.
    for (recipe, why) in [
        ("git diff --output=/tmp/x | grep a", "`--output=/tmp/x`"),
        ("git diff --ext-diff | grep a", "`--ext-diff`"),
        ("git diff --textconv | grep a", "`--textconv`"),
        ("git -c core.pager=evil diff | grep a", "not `git -c`"),
        (
            "git --exec-path=/tmp diff | grep a",
            "not `git --exec-path=/tmp`",
        ),
        ("git push | grep a", "not `git push`"),
        ("git difftool | grep a", "not `git difftool`"),
        (
            "git diff -- ../outside | grep a",
            "../outside is outside the workspace",
        ),
        (
            "git diff ../../etc | grep a",
            "../../etc is outside the workspace",
        ),
        ("git diff HEAD:.env | grep a", "HEAD:.env"),
        ("git log --format=%H -p | grep a", "`--format=%H`"),
        ("git status -- :/ | grep a", "pathspec"),
    ] {
        let e = ev(&mut ws, recipe);
        assert_eq!(e.failed, None, "{recipe}");
        let got = e.unverifiable.unwrap_or_default();
        assert!(got.contains(why), "{recipe}: {got}");
    }
    // Nothing was written by the runs above.
    let status = std::process::Command::new("git")
        .arg("-C")
        .arg(&root)
        .args(["status", "--porcelain"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&status.stdout),
        " M .env\n M src/a.ts\n?? src/new.ts\n"
    );
}

#[test]
fn git_outside_a_work_tree_is_unverifiable() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("plain");
    std::fs::create_dir_all(&root).unwrap();
    let mut ws = Workspace::new(Arc::new(RealFs));
    ws.add_root(&root, false);
    let e = evaluate("git status --short | grep x", &root, &mut ws);
    assert_eq!(
        e.unverifiable.as_deref(),
        Some(
            "tagls cannot evaluate `git status --short | grep x`: the workspace root is not a git work tree; check it by hand"
        )
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

    /// Any recipe made of shell-looking pieces is evaluated without a
    /// panic, and nothing outside the workspace shows.
    #[test]
    fn any_recipe_is_evaluated_without_a_panic(
        pieces in proptest::collection::vec(
            proptest::sample::select(vec![
                "ls", "grep", "-r", "-E", "-e", "-n", "-w", "--include=*.ts", "find", "-name",
                "-maxdepth", "1", "sed", "-n", "'1,2p'", "head", "tail", "cat", "file", "wc", "-l",
                "src", "src/*.ts", "src/**", "../", "/etc/*", "..", "*", "?", "[", "]", "'", "\"",
                "\\", "|", "&&", ";", "#", "$", "(", ")", "{a,b}", "~", "x\\(y", "a+b", "^",
                "[[:alpha:]]", "\\1", ".env", "test", "-f", "\u{0}", "é", "\n",
            ]),
            0..12,
        )
    ) {
        let mut ws = workspace(evidence());
        let recipe = pieces.join(" ");
        let e = eval(&mut ws, &recipe);
        let all = format!("{e:?}");
        proptest::prop_assert!(!all.contains("CANARY_outside"));
        proptest::prop_assert!(!e.commands.is_empty());
    }
}
