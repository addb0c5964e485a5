//! `tagls init [ROOT]`: the log's skeleton, a commented `.tagls.toml` and
//! the CI step, for a workspace that starts using the method.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::config::{self, ConfigFile, DEFAULT_UI_FILES, MAX_FILE_SIZE_LIMIT, Settings};
use crate::findings::Code;
use crate::log::write::{SKELETON_SECTIONS, skeleton, update_file};
use crate::tags::Family;
use crate::workspace::paths::display_rel;

use super::EXIT_USAGE;

/// Adds a line to a command's result, which [`super::print_result`] writes
/// at once.
macro_rules! say {
    ($out:ident, $($arg:tt)*) => {{
        $out.push_str(&format!($($arg)*));
        $out.push('\n');
    }};
}

/// `.tagls.toml` with every key commented out at its default (docs/CONFIG.md).
/// Uncommented, every setting parses (a test does it).
pub fn config_template() -> String {
    let defaults = ConfigFile::default();
    let settings = Settings::from_file(&defaults);
    let list = |items: &[&str]| {
        format!(
            "[{}]",
            items
                .iter()
                .map(|s| format!("\"{s}\""))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let mut out = String::new();
    out.push_str(
        "# tagls configuration (docs/CONFIG.md). Every key is commented out at its default:\n\
         # uncomment a line to change it. Paths and globs are relative to this folder.\n\n",
    );
    out.push_str(&format!(
        "# Where the implementation log is.\n# log = \"{}\"\n\n",
        settings.log
    ));
    out.push_str(
        "# Env files at the root, as names or globs.\n# env-files = [\".env\", \".env.*\"]\n\n",
    );
    out.push_str("# Files tagls does not look at (no diagnostics, not checked), as globs.\n# ignore = []\n\n");
    out.push_str(&format!(
        "# Files larger than this many bytes are not parsed (at most {MAX_FILE_SIZE_LIMIT}).\n# max-file-size = {}\n\n",
        settings.max_file_size
    ));
    out.push_str(&format!(
        "# Whether environment variables read in code are checked (undeclared-env).\n# env-in-code = {}\n\n",
        settings.env_in_code
    ));
    out.push_str(
        "# The git revision the log's claims are checked against (`tagls check --since REV`\n\
         # overrides it). Unset: the working tree against HEAD.\n# git-base = \"origin/main\"\n\n",
    );
    out.push_str(&format!(
        "# Files whose change is visual work and needs a screenshot (missing-screenshot).\n# ui-files = {}\n\n",
        list(&DEFAULT_UI_FILES)
    ));
    out.push_str(
        "# The form of the method: \"original\" (.orchestration/), \"os2\" (the newer form,\n\
         # .claude/orchestration/, PASS / CAUTION / FAIL), or \"auto\" to infer it from the folders.\n\
         # dialect = \"auto\"\n\n",
    );
    out.push_str(&format!(
        "# Markdown plans and reports whose tags count (outside code fences), as globs.\n# plans = {}\n\n",
        list(&crate::config::DEFAULT_PLANS)
    ));
    out.push_str(
        "# A team's own tag, or changes to a built-in one (`enabled = false` takes it out,\n\
         # `resolve = false` stops checking what it names, `review = true` has it hold the\n\
         # verdict at CONDITIONAL while it stays).\n\
         # [tags.QUESTION_SUPPRESSION]\n\
         # family = \"assumption\"   # assumption | pattern | suggestion | decision | claim | verdict\n\
         # severity = \"warning\"    # error | warning | information | hint | off\n\
         # description = \"A question the author chose not to ask.\"\n\
         # enabled = true\n\
         # resolve = true\n\
         # review = false\n\n",
    );
    out.push_str(
        "# Severity per tag family (default: each tag's own): error | warning | information | hint | off.\n# [families]\n",
    );
    for f in Family::ALL {
        out.push_str(&format!("# {} = \"off\"\n", f.name()));
    }
    out.push_str(
        "\n# Severity per check (default: as `tagls explain CODE` says); \"off\" drops the check's\n\
         # findings, and then they do not count towards the verdict.\n# [checks]\n",
    );
    for c in Code::CHECKS {
        out.push_str(&format!(
            "# {:<24} # {}\n",
            format!("{c} = \"off\""),
            c.rule()
        ));
    }
    out
}

/// The CI step `tagls init` prints.
pub fn ci_snippet() -> &'static str {
    "Run the gate in CI (exit status 0 PASSED, 3 CONDITIONAL, 1 BLOCKED). GitHub Actions, after\n\
     `actions/checkout` with `fetch-depth: 0`, with tagls on the PATH:\n\
     \n\
     \x20     - name: tagls check\n\
     \x20       run: tagls check --since \"origin/${{ github.base_ref || github.event.repository.default_branch }}\" .\n\
     \n\
     Any other CI, as a shell step:\n\
     \n\
     \x20   tagls check --since origin/main .\n"
}

/// What became of one file.
enum Outcome {
    Written,
    Kept,
    Failed(String),
}

/// Writes `path` (inside `root`) with `text` unless it exists: atomically,
/// through the one writer (`log::write::update_file`), which refuses
/// symlinks and anything outside the root.
fn write_new(root: &Path, path: &Path, text: &str) -> Outcome {
    if std::fs::symlink_metadata(path).is_ok() {
        return Outcome::Kept;
    }
    let mut kept = false;
    let result = update_file(root, path, |old| {
        // Created meanwhile: kept as it is.
        if old.is_empty() {
            text.to_owned()
        } else {
            kept = true;
            old.to_owned()
        }
    });
    match result {
        Ok(()) if kept => Outcome::Kept,
        Ok(()) => Outcome::Written,
        Err(e) => Outcome::Failed(e.to_string()),
    }
}

pub fn run(root: Option<PathBuf>) -> ExitCode {
    let root = match super::check::roots(root.into_iter().collect()) {
        Ok(mut roots) => roots.remove(0),
        Err(e) => {
            eprintln!("tagls: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    // The log goes where the configuration in force says.
    let settings = match config::load(&root, None) {
        Ok(file) => Settings::for_root(&file, &root),
        Err(e) => {
            eprintln!("tagls: {e}; fix it, then run `tagls init` again");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let files = [
        (
            settings.log_path(&root),
            skeleton("\n"),
            format!(
                "the implementation log's skeleton ({})",
                SKELETON_SECTIONS.join(", ")
            ),
        ),
        (
            root.join(config::FILE_NAME),
            config_template(),
            "every setting, commented out at its default".to_owned(),
        ),
    ];
    // A .tagls.toml in a folder above already applies here: a new one
    // would replace it for this root.
    let applies = config::workspace_file(&root);
    let (mut written, mut failed) = (0, 0);
    let mut out = String::new();
    for (path, text, what) in &files {
        let shown = display_rel(path, &root);
        if let Some(above) = applies
            .as_ref()
            .filter(|a| *a != path && path.ends_with(config::FILE_NAME))
        {
            say!(
                out,
                "kept {}: it applies to this folder, and a {} here would replace it",
                above.display(),
                config::FILE_NAME
            );
            continue;
        }
        match write_new(&root, path, text) {
            Outcome::Written => {
                written += 1;
                say!(out, "wrote {shown}: {what}");
            }
            Outcome::Kept => {
                say!(
                    out,
                    "kept {shown}: it exists, and tagls init never overwrites a file"
                )
            }
            Outcome::Failed(e) => {
                failed += 1;
                eprintln!("tagls: cannot write {shown}: {e}");
            }
        }
    }
    say!(
        out,
        "\nRecord the work in the log as it is done (`tagls log created <path>`, `tagls log modified\n\
         <path>`, or the editor's code actions). While neither the code nor the log holds a tag,\n\
         `tagls check` has nothing to verify; once the code does, the log must hold a claim\n\
         (missing-log blocks until then).\n"
    );
    out.push_str(ci_snippet());
    let code = if failed > 0 {
        ExitCode::from(EXIT_USAGE)
    } else if written == 0 {
        say!(out, "\nNothing written: both files exist.");
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    };
    if super::print_result(&out) {
        code
    } else {
        ExitCode::from(EXIT_USAGE)
    }
}

/// Where `tagls init claude` writes Claude Code's project settings.
pub const CLAUDE_SETTINGS: &str = ".claude/settings.json";

/// The command the hooks run (tagls on the PATH Claude Code runs hooks with).
pub const HOOK_COMMAND: &str = "tagls hook";

/// The events `tagls init claude` hooks.
pub const HOOKED_EVENTS: [&str; 2] = ["Stop", "SubagentStop"];

/// Whether a hook's command runs `tagls hook`, by whatever path to tagls.
fn runs_tagls_hook(command: &str) -> bool {
    shell_words::split(command).is_ok_and(|w| {
        w.len() >= 2 && Path::new(&w[0]).file_name() == Some("tagls".as_ref()) && w[1] == "hook"
    })
}

/// Whether the settings already run `tagls hook` on `event`.
fn hooked(settings: &serde_json::Value, event: &str) -> bool {
    use serde_json::Value;
    let Some(groups) = settings
        .get("hooks")
        .and_then(|h| h.get(event))
        .and_then(Value::as_array)
    else {
        return false;
    };
    groups.iter().any(|g| {
        g.get("hooks")
            .and_then(Value::as_array)
            .is_some_and(|hooks| {
                hooks.iter().any(|h| {
                    h.get("command")
                        .and_then(Value::as_str)
                        .is_some_and(runs_tagls_hook)
                })
            })
    })
}

/// One matcher group that runs `tagls hook`, as Claude Code's settings
/// write hooks (`{"hooks": [{"type": "command", "command": ...}]}`).
fn hook_group() -> jsonc_parser::cst::CstInputValue {
    use jsonc_parser::cst::CstInputValue as V;
    V::Object(vec![(
        "hooks".to_owned(),
        V::Array(vec![V::Object(vec![
            ("type".to_owned(), V::String("command".to_owned())),
            ("command".to_owned(), V::String(HOOK_COMMAND.to_owned())),
        ])]),
    )])
}

/// Claude Code's settings (`text`, empty when there is no file) with hooks
/// that run `tagls hook` on [`HOOKED_EVENTS`], and the events they were
/// added to (none: the text comes back as it was). Everything else in the
/// file stays as written, in its order, with its formatting. A file that is
/// not a JSON object, or whose `hooks` (or an event's list) has another
/// shape, is an error and is not changed.
pub fn merge_claude_settings(text: &str) -> Result<(String, Vec<&'static str>), String> {
    use serde_json::Value;
    if text.trim().is_empty() {
        let groups =
            serde_json::json!([{ "hooks": [{ "type": "command", "command": HOOK_COMMAND }] }]);
        let hooks: serde_json::Map<String, Value> = HOOKED_EVENTS
            .iter()
            .map(|e| ((*e).to_owned(), groups.clone()))
            .collect();
        let settings = serde_json::json!({ "hooks": hooks });
        let text = serde_json::to_string_pretty(&settings).map_err(|e| e.to_string())? + "\n";
        return Ok((text, HOOKED_EVENTS.to_vec()));
    }
    // Claude Code reads strict JSON: so does this.
    let value: Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    if !value.is_object() {
        return Err("not a JSON object".to_owned());
    }
    if let Some(hooks) = value.get("hooks") {
        if !hooks.is_object() {
            return Err("its `hooks` is not an object".to_owned());
        }
        for event in HOOKED_EVENTS {
            if hooks.get(event).is_some_and(|v| !v.is_array()) {
                return Err(format!("its `hooks.{event}` is not a list"));
            }
        }
    }
    let missing: Vec<&'static str> = HOOKED_EVENTS
        .into_iter()
        .filter(|e| !hooked(&value, e))
        .collect();
    if missing.is_empty() {
        return Ok((text.to_owned(), missing));
    }
    let root = jsonc_parser::cst::CstRootNode::parse(text, &jsonc_parser::ParseOptions::default())
        .map_err(|e| format!("not valid JSON: {e}"))?;
    let settings = root.object_value().ok_or("not a JSON object")?;
    let hooks = settings
        .object_value_or_create("hooks")
        .ok_or("its `hooks` is not an object")?;
    for event in &missing {
        hooks
            .array_value_or_create(event)
            .ok_or_else(|| format!("its `hooks.{event}` is not a list"))?
            .append(hook_group());
    }
    let mut out = root.to_string();
    if text.ends_with('\n') && !out.ends_with('\n') {
        out.push('\n');
    }
    Ok((out, missing))
}

/// `tagls init claude [ROOT]`: hooks that run `tagls hook` on Stop and
/// SubagentStop, in `.claude/settings.json`.
pub fn claude(root: Option<PathBuf>) -> ExitCode {
    let root = match super::check::roots(root.into_iter().collect()) {
        Ok(mut roots) => roots.remove(0),
        Err(e) => {
            eprintln!("tagls: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let path = root.join(CLAUDE_SETTINGS);
    let mut merged: Result<(bool, Vec<&'static str>), String> = Ok((false, Vec::new()));
    let written = update_file(&root, &path, |old| match merge_claude_settings(old) {
        Ok((new, added)) => {
            merged = Ok((old.trim().is_empty(), added));
            new
        }
        Err(e) => {
            merged = Err(e);
            old.to_owned()
        }
    });
    let outcome = written.map_err(|e| e.to_string()).and(merged);
    let mut out = String::new();
    let code = match outcome {
        Err(e) => {
            eprintln!("tagls: cannot update {CLAUDE_SETTINGS}: {e}; nothing was changed");
            ExitCode::from(EXIT_USAGE)
        }
        Ok((_, added)) if added.is_empty() => {
            say!(
                out,
                "kept {CLAUDE_SETTINGS}: {} already run `{HOOK_COMMAND}`",
                HOOKED_EVENTS.join(" and ")
            );
            ExitCode::from(1)
        }
        Ok((new, added)) => {
            if new {
                say!(
                    out,
                    "wrote {CLAUDE_SETTINGS}: {} run `{HOOK_COMMAND}`",
                    added.join(" and ")
                );
            } else {
                say!(
                    out,
                    "updated {CLAUDE_SETTINGS}: {} now run `{HOOK_COMMAND}`; every other setting kept",
                    added.join(" and ")
                );
            }
            say!(
                out,
                "\nBefore Claude Code stops, tagls checks the workspace and the claims of its final\n\
                 message, and sends it back to work while something blocks (docs/AGENTS.md).\n\
                 `tagls` must be on the PATH Claude Code runs hooks with."
            );
            ExitCode::SUCCESS
        }
    };
    if super::print_result(&out) {
        code
    } else {
        ExitCode::from(EXIT_USAGE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every commented setting, uncommented, is read by the real loader.
    #[test]
    fn the_template_parses_commented_and_uncommented() {
        let text = config_template();
        let path = Path::new(".tagls.toml");
        assert_eq!(
            ConfigFile::parse(&text, path).unwrap(),
            ConfigFile::default()
        );
        let setting = regex::Regex::new(r"^# (\[[a-z.A-Z_]+\]|[a-z-]+ = )").unwrap();
        let uncommented: String = text
            .lines()
            .map(|l| {
                if setting.is_match(l) {
                    format!("{}\n", &l[2..])
                } else {
                    format!("{l}\n")
                }
            })
            .collect();
        let file = ConfigFile::parse(&uncommented, path).unwrap();
        assert_eq!(file.log.as_deref(), Some(crate::log::DEFAULT_LOG_PATH));
        assert_eq!(file.max_file_size, Some(2 * 1024 * 1024));
        assert_eq!(file.env_in_code, Some(true));
        assert_eq!(file.ui_files.unwrap().len(), DEFAULT_UI_FILES.len());
        assert_eq!(file.checks.len(), Code::CHECKS.len());
        assert_eq!(file.families.len(), Family::ALL.len());
        assert!(file.tags.contains_key("QUESTION_SUPPRESSION"));
    }
}
