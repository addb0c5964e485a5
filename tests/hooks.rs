//! `tagls hook` and `tagls init claude` as Claude Code runs them: the built
//! binary, one event on stdin in the documented shape (recorded payloads
//! under tests/fixtures/hooks, with the test's paths filled in), the answer
//! on stdout and the exit status; workspaces in real git repositories.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tagls"))
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/hooks")
}

/// A recorded payload with `{{NAME}}` filled in (JSON-escaped).
fn payload(name: &str, fill: &[(&str, &str)]) -> String {
    let mut text = std::fs::read_to_string(fixtures().join(name)).unwrap();
    for (key, value) in fill {
        let escaped = serde_json::to_string(value).unwrap();
        text = text.replace(&format!("{{{{{key}}}}}"), &escaped[1..escaped.len() - 1]);
    }
    text
}

struct Answer {
    status: i32,
    stdout: String,
    stderr: String,
}

impl Answer {
    /// The JSON answer on stdout.
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("{e}: {:?} / {:?}", self.stdout, self.stderr))
    }

    /// The reason of a `Stop` block, or `None` when the agent may stop.
    fn block_reason(&self) -> Option<String> {
        assert_eq!(self.status, 0, "{}", self.stderr);
        if self.stdout.trim().is_empty() {
            return None;
        }
        let v = self.json();
        (v["decision"] == "block").then(|| v["reason"].as_str().unwrap().to_owned())
    }
}

/// Runs `tagls <args>` in `dir` with `stdin`, as Claude Code runs a hook:
/// its own cache, user configuration and home folder.
fn run(dir: &Path, args: &[&str], stdin: Vec<u8>, home: &Path) -> Answer {
    let env = tempfile::tempdir().unwrap();
    let mut child = Command::new(bin())
        .args(args)
        .current_dir(dir)
        .env("TAGLS_CACHE_DIR", env.path().join("cache"))
        .env("XDG_CONFIG_HOME", env.path().join("config"))
        .env("HOME", home)
        .env_remove("CLAUDE_PROJECT_DIR")
        .env_remove("CLAUDE_CONFIG_DIR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    // The hook may stop reading early (a huge event): a closed pipe is fine.
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    Answer {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn hook(root: &Path, event: String, home: &Path) -> Answer {
    run(root, &["hook"], event.into_bytes(), home)
}

fn git(root: &Path, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(root)
        .args([
            "-c",
            "user.name=Agent",
            "-c",
            "user.email=agent@example.com",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {out:?}");
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

const LOG: &str = ".orchestration/implementation-log.md";

/// A project in git with an agent's work on top, uncommitted: `src/a.ts`
/// created and logged, plus `extra` lines in the log.
fn workspace(extra_log: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    write(&root, "README.md", "# shop\n");
    write(&root, ".env.example", "PORT=\n");
    git(&root, &["init", "-q"]);
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-q", "-m", "base"]);
    write(
        &root,
        "src/a.ts",
        "// #COMPLETION_DRIVE: Assuming PORT is in .env.example\nexport const a = 1\n",
    );
    write(
        &root,
        LOG,
        &format!("## Files Created\n#FILE_CREATED: src/a.ts (2 lines)\n{extra_log}"),
    );
    (dir, root)
}

fn blocked() -> (tempfile::TempDir, PathBuf) {
    workspace("#FILE_CREATED: src/gone.ts (30 lines)\n")
}

fn passed() -> (tempfile::TempDir, PathBuf) {
    workspace("")
}

fn stop_event(root: &Path, fixture: &str, transcript: &Path) -> String {
    payload(
        fixture,
        &[
            ("CWD", root.to_str().unwrap()),
            ("TRANSCRIPT", transcript.to_str().unwrap()),
        ],
    )
}

/// A transcript whose last assistant turn is `message`, at `path`.
fn transcript(path: &Path, message: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, payload("transcript.jsonl", &[("MESSAGE", message)])).unwrap();
}

#[test]
fn a_stop_on_a_blocked_workspace_blocks_with_each_finding_and_its_fix() {
    let (_dir, root) = blocked();
    let home = tempfile::tempdir().unwrap();
    let none = root.join("no-transcript.jsonl");
    let answer = hook(&root, stop_event(&root, "stop.json", &none), home.path());
    let reason = answer.block_reason().expect("blocked");
    assert!(
        reason.contains("the gate is BLOCKED (1 false claim(s))"),
        "{reason}"
    );
    assert!(
        reason.contains(&format!(
            "- {LOG}:3: [false-claim] src/gone.ts does not exist\n  fix: Correct the claim to match the file, or finish the work it claims."
        )),
        "{reason}"
    );
    // The true claim is not listed.
    assert!(!reason.contains("src/a.ts"), "{reason}");
    // `tagls check` decides the same.
    let check = Command::new(bin())
        .args(["check", "--format", "json", "--no-cache", "."])
        .current_dir(&root)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&check.stdout).unwrap();
    assert_eq!(report["verdict"], "BLOCKED");
}

#[test]
fn an_agent_sent_back_once_may_stop_and_the_user_is_told_what_is_open() {
    let (_dir, root) = blocked();
    let home = tempfile::tempdir().unwrap();
    let none = root.join("no-transcript.jsonl");
    let answer = hook(
        &root,
        stop_event(&root, "stop-continuing.json", &none),
        home.path(),
    );
    assert_eq!(answer.block_reason(), None);
    let note = answer.json()["systemMessage"].as_str().unwrap().to_owned();
    assert!(
        note.contains("it was sent back once already")
            && note.contains("src/gone.ts does not exist"),
        "{note}"
    );
    // The first stop of the same workspace is still blocked.
    let first = hook(&root, stop_event(&root, "stop.json", &none), home.path());
    assert!(first.block_reason().is_some());
}

#[test]
fn a_passed_workspace_lets_the_agent_stop() {
    let (_dir, root) = passed();
    let home = tempfile::tempdir().unwrap();
    let none = root.join("no-transcript.jsonl");
    let answer = hook(&root, stop_event(&root, "stop.json", &none), home.path());
    assert_eq!(answer.block_reason(), None, "{}", answer.stdout);
    assert_eq!(answer.stdout, "");
}

#[test]
fn a_conditional_workspace_lets_the_agent_stop_with_a_note() {
    let (_dir, root) = passed();
    write(
        &root,
        "src/b.ts",
        "// #COMPLETION_DRIVE: Assuming the API returns {token, user}\nexport {}\n",
    );
    let home = tempfile::tempdir().unwrap();
    let none = root.join("no-transcript.jsonl");
    let answer = hook(&root, stop_event(&root, "stop.json", &none), home.path());
    assert_eq!(answer.block_reason(), None);
    let note = answer.json()["systemMessage"].as_str().unwrap().to_owned();
    assert!(note.starts_with("tagls: CONDITIONAL ("), "{note}");
}

#[test]
fn false_claims_of_the_final_message_block_and_true_ones_pass() {
    let (_dir, root) = passed();
    let home = tempfile::tempdir().unwrap();
    let path = root.join(".claude/session.jsonl");

    transcript(
        &path,
        "All done. I created src/nope.ts (12 lines) and recorded it in the log.",
    );
    let answer = hook(&root, stop_event(&root, "stop.json", &path), home.path());
    let reason = answer.block_reason().expect("a false claim blocks");
    assert!(
        reason.contains("your final message makes 1 claim the workspace does not bear out"),
        "{reason}"
    );
    assert!(
        reason.contains(
            "- your final message (\"I created src/nope.ts (12 lines) and recorded it in the log.\"): [false-claim] src/nope.ts does not exist"
        ),
        "{reason}"
    );
    // Only the last turn counts: an earlier "I created src/draft.ts" is not
    // a claim of the final message.
    assert!(!reason.contains("draft"), "{reason}");

    transcript(
        &path,
        "All done. I created `src/a.ts` (2 lines) and updated src/a.ts line 2.",
    );
    let answer = hook(&root, stop_event(&root, "stop.json", &path), home.path());
    assert_eq!(answer.block_reason(), None, "{}", answer.stdout);

    // A subagent's message comes in the event itself.
    let event = |message: &str| {
        payload(
            "subagent-stop.json",
            &[
                ("CWD", root.to_str().unwrap()),
                ("TRANSCRIPT", root.join("none.jsonl").to_str().unwrap()),
                ("MESSAGE", message),
            ],
        )
    };
    let answer = hook(
        &root,
        event("I set DATABASE_URL in .env.example."),
        home.path(),
    );
    let reason = answer
        .block_reason()
        .expect("an undeclared variable blocks");
    assert!(
        reason.contains(
            "[missing-env] environment variable DATABASE_URL: it is not in .env.example\n  fix: Add DATABASE_URL= to .env.example"
        ),
        "{reason}"
    );
    let answer = hook(&root, event("I set PORT in .env.example."), home.path());
    assert_eq!(answer.block_reason(), None, "{}", answer.stdout);
}

#[test]
fn a_transcript_is_read_only_inside_the_workspace_or_claude_codes_folder() {
    let (_dir, root) = passed();
    let home = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let outside = elsewhere.path().join("session.jsonl");
    transcript(&outside, "I created src/nope.ts.");
    let answer = hook(&root, stop_event(&root, "stop.json", &outside), home.path());
    assert_eq!(answer.block_reason(), None, "{}", answer.stdout);
    assert!(
        answer
            .stderr
            .contains("is not read: it is outside the workspace"),
        "{}",
        answer.stderr
    );

    // Claude Code keeps transcripts under ~/.claude/projects.
    let own = home
        .path()
        .join(".claude/projects/-work-shop/session.jsonl");
    transcript(&own, "I created src/nope.ts.");
    let answer = hook(&root, stop_event(&root, "stop.json", &own), home.path());
    let reason = answer.block_reason().expect("read");
    assert!(reason.contains("src/nope.ts does not exist"), "{reason}");

    // A symlink inside the workspace to the file outside is not followed out.
    let link = root.join("session.jsonl");
    std::os::unix::fs::symlink(&outside, &link).unwrap();
    let answer = hook(&root, stop_event(&root, "stop.json", &link), home.path());
    assert_eq!(answer.block_reason(), None, "{}", answer.stdout);
    assert!(answer.stderr.contains("is not read"), "{}", answer.stderr);
}

#[test]
fn bad_input_gets_one_message_and_a_non_blocking_exit() {
    let (_dir, root) = passed();
    let home = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let mut huge = vec![b' '; 32 * 1024 * 1024 + 16];
    huge.extend_from_slice(b"{}");
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"{\"hook_event_name\": \"Stop\"".to_vec(), "is not JSON"),
        (b"[\"Stop\"]".to_vec(), "not a JSON object"),
        (b"{}".to_vec(), "has no `hook_event_name`"),
        (
            br#"{"hook_event_name": "UserPromptSubmit", "prompt": "hi"}"#.to_vec(),
            "UserPromptSubmit is not an event tagls answers",
        ),
        (
            br#"{"hook_event_name": "Stop", "stop_hook_active": "yes"}"#.to_vec(),
            "`stop_hook_active` must be true or false",
        ),
        (
            stop_event(elsewhere.path(), "stop.json", &root.join("x.jsonl")).into_bytes(),
            "is outside the workspace",
        ),
        (huge, "larger than 32 MiB"),
    ];
    // A mistake in the hook's command line is not a block either.
    let answer = run(&root, &["hook", "--bogus"], b"{}".to_vec(), home.path());
    assert_eq!(answer.status, 1, "{}", answer.stderr);
    assert_eq!(answer.stdout, "");
    for (input, expected) in cases {
        let answer = run(&root, &["hook"], input, home.path());
        assert_eq!(answer.status, 1, "{expected}: {}", answer.stderr);
        assert_eq!(answer.stdout, "", "{expected}");
        assert_eq!(answer.stderr.lines().count(), 1, "{}", answer.stderr);
        assert!(
            answer.stderr.starts_with("tagls hook: ") && answer.stderr.contains(expected),
            "{expected}: {}",
            answer.stderr
        );
    }
}

#[test]
fn pre_tool_use_denies_only_a_write_outside_the_workspace() {
    let (_dir, root) = passed();
    let home = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let event = |file: &str| {
        payload(
            "pre-tool-use-write.json",
            &[
                ("CWD", root.to_str().unwrap()),
                ("TRANSCRIPT", "/nowhere.jsonl"),
                ("FILE", file),
            ],
        )
    };
    let outside = elsewhere.path().join("b.ts");
    let answer = hook(&root, event(outside.to_str().unwrap()), home.path());
    assert_eq!(answer.status, 0);
    let out = &answer.json()["hookSpecificOutput"];
    assert_eq!(out["hookEventName"], "PreToolUse");
    assert_eq!(out["permissionDecision"], "deny");
    assert!(
        out["permissionDecisionReason"]
            .as_str()
            .unwrap()
            .contains("is outside the workspace"),
        "{out}"
    );
    // `..` out of the workspace, and a folder symlinked out of it.
    let answer = hook(&root, event("../b.ts"), home.path());
    assert_eq!(
        answer.json()["hookSpecificOutput"]["permissionDecision"],
        "deny"
    );
    std::os::unix::fs::symlink(elsewhere.path(), root.join("out")).unwrap();
    let answer = hook(&root, event("out/b.ts"), home.path());
    assert_eq!(
        answer.json()["hookSpecificOutput"]["permissionDecision"],
        "deny"
    );
    // Inside: no answer, so the agent's own permissions apply.
    for inside in ["src/b.ts", root.join("src/new/c.ts").to_str().unwrap()] {
        let answer = hook(&root, event(inside), home.path());
        assert_eq!((answer.status, answer.stdout.as_str()), (0, ""), "{inside}");
    }
}

#[test]
fn init_claude_writes_the_hooks_and_merges_them_into_settings() {
    let (_dir, root) = blocked();
    let home = tempfile::tempdir().unwrap();
    let settings = root.join(".claude/settings.json");
    let init = || run(&root, &["init", "claude"], Vec::new(), home.path());

    let out = init();
    assert_eq!(out.status, 0, "{}", out.stderr);
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(&settings).unwrap()).unwrap();
    for event in ["Stop", "SubagentStop"] {
        assert_eq!(
            written["hooks"][event],
            serde_json::json!([{ "hooks": [{ "type": "command", "command": "tagls hook" }] }])
        );
    }
    // The command it wrote is the hook: run as Claude Code runs it.
    let command = written["hooks"]["Stop"][0]["hooks"][0]["command"]
        .as_str()
        .unwrap();
    let words: Vec<&str> = command.split_whitespace().collect();
    assert_eq!(words[0], "tagls");
    let none = root.join("none.jsonl");
    let answer = run(
        &root,
        &words[1..],
        stop_event(&root, "stop.json", &none).into_bytes(),
        home.path(),
    );
    assert!(answer.block_reason().is_some());

    // Again: nothing to do.
    let before = std::fs::read(&settings).unwrap();
    let out = init();
    assert_eq!(out.status, 1);
    assert!(
        out.stdout.starts_with("kept .claude/settings.json"),
        "{}",
        out.stdout
    );
    assert_eq!(std::fs::read(&settings).unwrap(), before);

    // Merged into a file of the user's: everything kept, in its order.
    let theirs = r#"{
  "permissions": { "allow": ["Bash(npm test)"], "deny": [] },
  "hooks": {
    "PreToolUse": [{ "matcher": "Bash", "hooks": [{ "type": "command", "command": "./guard.sh" }] }],
    "Stop": [{ "hooks": [{ "type": "command", "command": "npm test", "timeout": 120 }] }]
  },
  "model": "opus"
}
"#;
    std::fs::write(&settings, theirs).unwrap();
    let out = init();
    assert_eq!(out.status, 0, "{}", out.stderr);
    let text = std::fs::read_to_string(&settings).unwrap();
    let merged: Value = serde_json::from_str(&text).unwrap();
    let original: Value = serde_json::from_str(theirs).unwrap();
    assert_eq!(merged["permissions"], original["permissions"]);
    assert_eq!(merged["model"], "opus");
    assert_eq!(
        merged["hooks"]["PreToolUse"],
        original["hooks"]["PreToolUse"]
    );
    assert_eq!(merged["hooks"]["Stop"][0], original["hooks"]["Stop"][0]);
    assert_eq!(
        merged["hooks"]["Stop"][1]["hooks"][0]["command"],
        "tagls hook"
    );
    assert_eq!(
        merged["hooks"]["SubagentStop"][0]["hooks"][0]["command"],
        "tagls hook"
    );
    let order = |key: &str| text.find(key).unwrap();
    assert!(
        order("\"permissions\"") < order("\"hooks\"") && order("\"hooks\"") < order("\"model\"")
    );

    // A file that is not valid JSON is an error, and is left as it is.
    let broken = "{ \"model\": \"opus\", }\n";
    std::fs::write(&settings, broken).unwrap();
    let out = init();
    assert_eq!(out.status, 2);
    assert!(
        out.stderr
            .contains("cannot update .claude/settings.json: not valid JSON")
            && out.stderr.contains("nothing was changed"),
        "{}",
        out.stderr
    );
    assert_eq!(std::fs::read_to_string(&settings).unwrap(), broken);
    // So is a `hooks` of another shape.
    std::fs::write(&settings, "{\"hooks\": []}").unwrap();
    let out = init();
    assert_eq!(out.status, 2);
    assert!(
        out.stderr.contains("`hooks` is not an object"),
        "{}",
        out.stderr
    );
    assert_eq!(
        std::fs::read_to_string(&settings).unwrap(),
        "{\"hooks\": []}"
    );
}
