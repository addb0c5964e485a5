//! Configuration: `.tagls.toml` at the workspace root, a user-level file,
//! and the editor's settings, merged into one [`Settings`] that the server
//! and the command line apply the same way.
//!
//! Precedence, lowest first: built-in defaults, the user file
//! (`<config dir>/tagls/config.toml`), the workspace file (`.tagls.toml`,
//! found upward from the root), the editor's settings
//! (`initializationOptions`, then `workspace/configuration` section
//! `tagls`). A later layer replaces a scalar, extends a table key by key,
//! and replaces a list whole.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};

use crate::findings::{Code, Finding};
use crate::tags::{Family, Registry, Severity, TagDef};
use crate::text::TextRange;

/// The workspace configuration file's name.
pub const FILE_NAME: &str = crate::workspace::root::CONFIG_FILE;

/// A severity, or `off` to drop the finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Warning,
    Information,
    Hint,
    Off,
}

impl Level {
    fn severity(self) -> Option<Severity> {
        match self {
            Level::Error => Some(Severity::Error),
            Level::Warning => Some(Severity::Warning),
            Level::Information => Some(Severity::Information),
            Level::Hint => Some(Severity::Hint),
            Level::Off => None,
        }
    }
}

/// One `[tags.NAME]` table: a custom tag, or changes to a built-in one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TagConfig {
    pub family: Option<Family>,
    pub severity: Option<Level>,
    pub description: Option<String>,
    /// `false` takes a built-in tag out of the registry.
    pub enabled: Option<bool>,
    /// Whether what the tag names is resolved (default true).
    pub resolve: Option<bool>,
    /// Whether the tag keeps the verdict CONDITIONAL while it stays, as the
    /// newer dialect's high-risk tags do.
    pub review: Option<bool>,
}

/// The largest `max-file-size` a configuration may set, 256 MiB: a larger
/// one would have tagls read and parse files of any size.
pub const MAX_FILE_SIZE_LIMIT: u64 = 256 * 1024 * 1024;

/// What counts as visual work unless `ui-files` says otherwise: components,
/// styles, templates and native views. A change to one of these needs a
/// screenshot in the log.
pub const DEFAULT_UI_FILES: [&str; 16] = [
    "**/*.tsx",
    "**/*.jsx",
    "**/*.vue",
    "**/*.svelte",
    "**/*.astro",
    "**/*.css",
    "**/*.scss",
    "**/*.sass",
    "**/*.less",
    "**/*.html",
    "**/*.liquid",
    "**/*View.swift",
    "**/Views/**/*.swift",
    "**/*.storyboard",
    "**/*.xib",
    "**/res/layout/**/*.xml",
];

/// Where the phase state (the method's newer form, docs/PHASE.md) is unless
/// `phase-state` says otherwise.
pub const DEFAULT_PHASE_STATE: &str = ".claude/orchestration/phase_state.json";

/// Which gates of the phase state need evidence for a PASS unless
/// `evidence-gates` says otherwise: a gate whose name contains `design`.
pub const DEFAULT_EVIDENCE_GATES: [&str; 1] = ["design"];

/// The Markdown files whose tags count unless `plans` says otherwise: the
/// plans and reports in both dialects' orchestration folders.
pub const DEFAULT_PLANS: [&str; 2] = [".orchestration/**/*.md", ".claude/orchestration/**/*.md"];

/// How old, in days, an assumption must be for the editor's code lens
/// ("assumed 143 days ago") when `age-hint-days` is unset.
pub const DEFAULT_AGE_HINT_DAYS: u32 = 90;

/// The file format, every field optional so that layers can be merged.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ConfigFile {
    /// The implementation log, relative to the workspace root.
    pub log: Option<String>,
    /// Env files at the workspace root, as file names or globs.
    pub env_files: Option<Vec<String>>,
    /// Files tagls does not look at, as globs relative to the root.
    pub ignore: Option<Vec<String>>,
    /// Files larger than this many bytes are not parsed.
    pub max_file_size: Option<u64>,
    /// Whether environment variables read in code are checked.
    pub env_in_code: Option<bool>,
    /// The git revision the log's claims are checked against (`tagls check
    /// --since REV`); the working tree against `HEAD` when unset.
    pub git_base: Option<String>,
    /// Files whose change is visual work, which needs a screenshot, as
    /// globs relative to the root.
    pub ui_files: Option<Vec<String>>,
    /// The form of the method the workspace is written in; `auto` (the
    /// default) infers it from the folders at the root (`crate::dialect`).
    pub dialect: Option<crate::dialect::Choice>,
    /// Markdown plans and reports whose tags count, as globs relative to
    /// the root ([`DEFAULT_PLANS`]).
    pub plans: Option<Vec<String>>,
    #[serde(default)]
    pub tags: BTreeMap<String, TagConfig>,
    /// Severity per tag family.
    #[serde(default)]
    pub families: BTreeMap<Family, Level>,
    /// Severity per check, by its code.
    #[serde(default)]
    pub checks: BTreeMap<String, Level>,
    /// The task's phase state (the method's newer form), relative to the
    /// workspace root.
    pub phase_state: Option<String>,
    /// Which gates of the phase state need evidence for a PASS: a gate
    /// whose name contains one of these (ignoring case).
    pub evidence_gates: Option<Vec<String>>,
    /// Assumptions that git says are older than this many days get a code
    /// lens in the editor ("assumed 143 days ago"); `0` turns it off.
    pub age_hint_days: Option<u32>,
}

/// An editor setting as the configuration reads it, or `None` when it is
/// unset. A settings form edits a single type, so each setting has a value
/// that means "unset" (what `.tagls.toml` or the default says applies):
/// `null` for any of them, `""` for `log` and `git-base`, an empty list for
/// `env-files`, `ignore` and `ui-files`, `0` for `max-file-size`, and
/// `"default"` for `env-in-code`, whose other choices are `"on"` and `"off"`
/// (or `true` and `false`).
fn editor_unset(key: &str, value: &serde_json::Value) -> Option<serde_json::Value> {
    use serde_json::Value;
    match (key, value) {
        (_, Value::Null) => None,
        ("log" | "git-base" | "phase-state" | "dialect", Value::String(s))
            if s.trim().is_empty() =>
        {
            None
        }
        ("env-files" | "ignore" | "ui-files" | "evidence-gates" | "plans", Value::Array(items))
            if items.is_empty() =>
        {
            None
        }
        ("max-file-size", Value::Number(n)) if n.as_u64() == Some(0) => None,
        ("env-in-code", Value::String(s)) => match s.as_str() {
            "default" => None,
            "on" => Some(Value::Bool(true)),
            "off" => Some(Value::Bool(false)),
            _ => Some(value.clone()),
        },
        _ => Some(value.clone()),
    }
}

/// A configuration file that could not be used, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub path: PathBuf,
    /// The offending bytes of the file, when known.
    pub range: Option<TextRange>,
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot read {}: {}", self.path.display(), self.message)
    }
}

impl ConfigFile {
    /// Parses a file's text. Unknown keys, wrong types and unknown check
    /// names are errors with their place in the text.
    pub fn parse(text: &str, path: &Path) -> Result<ConfigFile, ConfigError> {
        let file: ConfigFile = toml::from_str(text).map_err(|e| ConfigError {
            path: path.to_path_buf(),
            range: e.span().map(|s| TextRange::new(s.start, s.end)),
            message: e.message().trim().to_owned(),
        })?;
        file.validate(text, path)?;
        Ok(file)
    }

    /// Parses the JSON an editor sends (`initializationOptions`,
    /// `workspace/configuration`). `null`, `[]` and `{}` are an empty layer:
    /// "no settings" reaches the server in all three shapes, and `[]` is how
    /// Neovim encodes Lua's empty table, as in `setup({ settings = {} })`.
    /// A setting left at the value an editor's settings form starts from is
    /// unset (see [`editor_unset`]).
    pub fn from_json(value: &serde_json::Value) -> Result<ConfigFile, String> {
        let value = &match value {
            serde_json::Value::Object(keys) => serde_json::Value::Object(
                keys.iter()
                    .filter_map(|(k, v)| Some((k.clone(), editor_unset(k, v)?)))
                    .collect(),
            ),
            other => other.clone(),
        };
        let empty = match value {
            serde_json::Value::Null => true,
            serde_json::Value::Array(items) => items.is_empty(),
            serde_json::Value::Object(keys) => keys.is_empty(),
            _ => false,
        };
        if empty {
            return Ok(ConfigFile::default());
        }
        let file: ConfigFile = serde_json::from_value(value.clone()).map_err(|e| e.to_string())?;
        file.validate("", Path::new("settings"))
            .map_err(|e| e.message)?;
        Ok(file)
    }

    fn validate(&self, text: &str, path: &Path) -> Result<(), ConfigError> {
        let at = |needle: &str| {
            text.find(needle)
                .map(|i| TextRange::new(i, i + needle.len()))
        };
        if let Some(log) = &self.log {
            let p = Path::new(log);
            let inside = !log.trim().is_empty()
                && p.is_relative()
                && p.components().all(|c| {
                    matches!(
                        c,
                        std::path::Component::Normal(_) | std::path::Component::CurDir
                    )
                });
            if !inside {
                return Err(ConfigError {
                    path: path.to_path_buf(),
                    range: at(log),
                    message: format!(
                        "log `{log}` must be a path inside the workspace, relative to its root, such as `.orchestration/implementation-log.md`"
                    ),
                });
            }
        }
        if let Some(phase) = &self.phase_state
            && !is_inside_path(phase)
        {
            return Err(ConfigError {
                path: path.to_path_buf(),
                range: at(phase),
                message: format!(
                    "phase-state `{phase}` must be a path inside the workspace, relative to its root, such as `{}`",
                    DEFAULT_PHASE_STATE
                ),
            });
        }
        if let Some(base) = &self.git_base
            && (base.trim().is_empty()
                || base.starts_with('-')
                || base.contains(char::is_whitespace))
        {
            return Err(ConfigError {
                path: path.to_path_buf(),
                range: at(base),
                message: format!(
                    "git-base `{base}` must be a git revision, such as `origin/main` or a commit"
                ),
            });
        }
        if let Some(size) = self.max_file_size
            && size > MAX_FILE_SIZE_LIMIT
        {
            return Err(ConfigError {
                path: path.to_path_buf(),
                range: at(&size.to_string()),
                message: format!(
                    "max-file-size {size} is above the largest size tagls parses, {MAX_FILE_SIZE_LIMIT} bytes (256 MiB); lower it"
                ),
            });
        }
        for check in self.checks.keys() {
            if !Code::CHECKS.iter().any(|c| c.as_str() == check) {
                return Err(ConfigError {
                    path: path.to_path_buf(),
                    range: at(check),
                    message: format!(
                        "unknown check `{check}`; known checks: {}",
                        Code::CHECKS.map(Code::as_str).join(", ")
                    ),
                });
            }
        }
        for name in self.tags.keys() {
            // A built-in name in mixed case (`Potential_Issue`) may be
            // changed or turned off; new names are upper-case.
            let builtin = Registry::builtin().get(name).is_some();
            let valid = builtin
                || name.len() >= 2
                    && name.as_bytes()[0].is_ascii_uppercase()
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
            if !valid {
                return Err(ConfigError {
                    path: path.to_path_buf(),
                    range: at(name),
                    message: format!(
                        "tag name `{name}` must be upper-case letters, digits and underscores, starting with a letter"
                    ),
                });
            }
        }
        for glob in self
            .ignore
            .iter()
            .flatten()
            .chain(self.env_files.iter().flatten())
            .chain(self.ui_files.iter().flatten())
            .chain(self.plans.iter().flatten())
        {
            if let Err(e) = Glob::new(glob) {
                return Err(ConfigError {
                    path: path.to_path_buf(),
                    range: at(glob),
                    message: format!("bad glob `{glob}`: {e}"),
                });
            }
        }
        Ok(())
    }

    /// This layer with `over` on top.
    pub fn merged(mut self, over: ConfigFile) -> ConfigFile {
        self.log = over.log.or(self.log);
        self.env_files = over.env_files.or(self.env_files);
        self.ignore = over.ignore.or(self.ignore);
        self.max_file_size = over.max_file_size.or(self.max_file_size);
        self.env_in_code = over.env_in_code.or(self.env_in_code);
        self.git_base = over.git_base.or(self.git_base);
        self.ui_files = over.ui_files.or(self.ui_files);
        self.dialect = over.dialect.or(self.dialect);
        self.plans = over.plans.or(self.plans);
        for (name, t) in over.tags {
            let base = self.tags.remove(&name).unwrap_or_default();
            self.tags.insert(
                name,
                TagConfig {
                    family: t.family.or(base.family),
                    severity: t.severity.or(base.severity),
                    description: t.description.or(base.description),
                    enabled: t.enabled.or(base.enabled),
                    resolve: t.resolve.or(base.resolve),
                    review: t.review.or(base.review),
                },
            );
        }
        self.families.extend(over.families);
        self.checks.extend(over.checks);
        self.phase_state = over.phase_state.or(self.phase_state);
        self.evidence_gates = over.evidence_gates.or(self.evidence_gates);
        self.age_hint_days = over.age_hint_days.or(self.age_hint_days);
        self
    }
}

/// Whether a configured path stays inside the workspace: relative, with no
/// `..` and no root.
fn is_inside_path(text: &str) -> bool {
    let p = Path::new(text);
    !text.trim().is_empty()
        && p.is_relative()
        && p.components().all(|c| {
            matches!(
                c,
                std::path::Component::Normal(_) | std::path::Component::CurDir
            )
        })
}

/// The configuration in force: what every part of tagls reads.
#[derive(Clone, Debug)]
pub struct Settings {
    pub registry: Registry,
    pub log: String,
    pub env_files: GlobSet,
    pub ignore: GlobSet,
    pub max_file_size: u64,
    pub env_in_code: bool,
    /// The revision claims are checked against; `HEAD` when `None`.
    pub git_base: Option<String>,
    /// Files whose change is visual work ([`DEFAULT_UI_FILES`]).
    pub ui_files: GlobSet,
    /// Tags whose references are not resolved.
    pub unresolved_tags: Vec<String>,
    /// The phase state, relative to the root ([`DEFAULT_PHASE_STATE`]).
    pub phase_state: String,
    /// Gates whose name contains one of these (ignoring case) need evidence
    /// for a PASS.
    pub evidence_gates: Vec<String>,
    /// Assumptions older than this many days (by git blame) get a code lens
    /// in the editor; `0`: none ([`DEFAULT_AGE_HINT_DAYS`]).
    pub age_hint_days: u32,
    /// The form of the method the root is written in.
    pub dialect: crate::dialect::Dialect,
    /// Markdown plans and reports whose tags count ([`DEFAULT_PLANS`]).
    pub plans: GlobSet,
    families: BTreeMap<Family, Level>,
    checks: BTreeMap<String, Level>,
    tag_levels: BTreeMap<String, Level>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings::from_file(&ConfigFile::default())
    }
}

fn glob_set(globs: &[String]) -> GlobSet {
    let mut b = GlobSetBuilder::new();
    for g in globs {
        // Validated on parse; a bad one here is skipped.
        if let Ok(glob) = Glob::new(g) {
            b.add(glob);
        }
    }
    b.build().unwrap_or_else(|_| GlobSet::empty())
}

impl Settings {
    /// The settings of a file with no root to look at: an `auto` dialect
    /// is the original one, and the log is where the configuration or that
    /// dialect puts it.
    pub fn from_file(file: &ConfigFile) -> Settings {
        Settings::build(file, None)
    }

    /// The settings of a root: an `auto` dialect is inferred from its
    /// folders, and without a `log` key the log is where the dialect keeps
    /// it (`crate::dialect::Dialect::default_log`).
    pub fn for_root(file: &ConfigFile, root: &Path) -> Settings {
        Settings::build(file, Some(root))
    }

    fn build(file: &ConfigFile, root: Option<&Path>) -> Settings {
        let dialect = crate::dialect::Dialect::of(file.dialect.unwrap_or_default(), root);
        let mut registry = Registry::builtin();
        dialect.adjust(&mut registry);
        let mut tag_levels = BTreeMap::new();
        let mut unresolved = Vec::new();
        for (name, t) in &file.tags {
            if t.enabled == Some(false) {
                registry.remove(name);
                continue;
            }
            let existing = registry.get(name).cloned();
            let family = t
                .family
                .or(existing.as_ref().map(|d| d.family))
                .unwrap_or(Family::Assumption);
            let severity = t
                .severity
                .and_then(Level::severity)
                .or(existing.as_ref().map(|d| d.severity))
                .unwrap_or(default_severity(family));
            registry.insert(TagDef {
                name: name.clone(),
                family,
                severity,
                description: t
                    .description
                    .clone()
                    .or(existing.map(|d| d.description))
                    .unwrap_or_else(|| format!("A project tag ({} family).", family.name())),
            });
            if let Some(level) = t.severity {
                tag_levels.insert(name.clone(), level);
            }
            if t.resolve == Some(false) {
                unresolved.push(name.clone());
            }
            if let Some(review) = t.review {
                registry.set_review(name, review);
            }
        }
        Settings {
            registry,
            log: file
                .log
                .clone()
                .unwrap_or_else(|| dialect.default_log(root).to_owned()),
            env_files: glob_set(
                file.env_files
                    .as_deref()
                    .unwrap_or(&[".env".to_owned(), ".env.*".to_owned()]),
            ),
            ignore: glob_set(file.ignore.as_deref().unwrap_or_default()),
            max_file_size: file.max_file_size.unwrap_or(2 * 1024 * 1024),
            env_in_code: file.env_in_code.unwrap_or(true),
            git_base: file.git_base.clone(),
            ui_files: glob_set(
                &file
                    .ui_files
                    .clone()
                    .unwrap_or_else(|| DEFAULT_UI_FILES.map(str::to_owned).to_vec()),
            ),
            unresolved_tags: unresolved,
            phase_state: file
                .phase_state
                .clone()
                .unwrap_or_else(|| DEFAULT_PHASE_STATE.to_owned()),
            evidence_gates: file
                .evidence_gates
                .clone()
                .unwrap_or_else(|| DEFAULT_EVIDENCE_GATES.map(str::to_owned).to_vec()),
            age_hint_days: file.age_hint_days.unwrap_or(DEFAULT_AGE_HINT_DAYS),
            dialect,
            plans: glob_set(
                &file
                    .plans
                    .clone()
                    .unwrap_or_else(|| DEFAULT_PLANS.map(str::to_owned).to_vec()),
            ),
            families: file.families.clone(),
            checks: file.checks.clone(),
            tag_levels,
        }
    }

    /// The implementation log of a root: where the log is, for every face.
    pub fn log_path(&self, root: &Path) -> PathBuf {
        crate::workspace::paths::normalize(&root.join(&self.log))
    }

    /// Whether `path` is the implementation log of `root`.
    pub fn is_log(&self, root: &Path, path: &Path) -> bool {
        crate::workspace::paths::normalize(path) == self.log_path(root)
    }

    /// The phase state of a root: where it is, for every face.
    pub fn phase_state_path(&self, root: &Path) -> PathBuf {
        crate::workspace::paths::normalize(&root.join(&self.phase_state))
    }

    /// Whether `path` is the phase state of `root`.
    pub fn is_phase_state(&self, root: &Path, path: &Path) -> bool {
        crate::workspace::paths::normalize(path) == self.phase_state_path(root)
    }

    /// Whether a PASS of the gate named `gate` needs evidence.
    pub fn needs_evidence(&self, gate: &str) -> bool {
        let gate = gate.to_lowercase();
        self.evidence_gates
            .iter()
            .any(|g| !g.is_empty() && gate.contains(&g.to_lowercase()))
    }

    /// Whether `path` is a Markdown plan or report of `root` whose tags
    /// count: it matches `plans`, and it is neither the log (read as the
    /// log) nor the verification report tagls writes.
    pub fn is_plan(&self, root: &Path, path: &Path) -> bool {
        let path = crate::workspace::paths::normalize(path);
        let Ok(rel) = path.strip_prefix(root) else {
            return false;
        };
        let markdown = rel
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("md") || e.eq_ignore_ascii_case("markdown"));
        markdown
            && !self.is_log(root, &path)
            && rel != Path::new(crate::dialect::VERIFICATION_REPORT)
            && self.plans.is_match(rel)
    }

    /// Whether a path relative to the root is ignored.
    pub fn is_ignored(&self, rel: &Path) -> bool {
        self.ignore.is_match(rel)
    }

    /// Applies severities and `off` to findings: a tag's own level wins over
    /// its family's; a check's level applies to its code.
    pub fn apply(&self, findings: Vec<Finding>) -> Vec<Finding> {
        findings
            .into_iter()
            .filter_map(|mut f| {
                let level = if let Some(check) = self.checks.get(f.code.as_str()) {
                    Some(*check)
                } else if let Some(def) = self.registry.get(&f.tag).filter(|d| {
                    f.code == Code::Tag(d.family) || f.code == Code::UncheckedAssumption
                }) {
                    // An unchecked assumption is the tag's finding: it takes
                    // the tag's or the family's severity, but only its own
                    // check turns it off, since it counts towards the verdict.
                    self.tag_levels
                        .get(&def.name)
                        .copied()
                        .or_else(|| self.families.get(&def.family).copied())
                        .filter(|l| f.code != Code::UncheckedAssumption || l.severity().is_some())
                } else {
                    None
                };
                match level {
                    None => Some(f),
                    Some(l) => {
                        f.severity = l.severity()?;
                        Some(f)
                    }
                }
            })
            .collect()
    }
}

fn default_severity(family: Family) -> Severity {
    match family {
        Family::Assumption | Family::Claim => Severity::Information,
        Family::Pattern | Family::Suggestion | Family::Decision => Severity::Hint,
        Family::Verdict => Severity::Information,
    }
}

/// The user-level file: `<config dir>/tagls/config.toml`.
pub fn user_file() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("tagls").join("config.toml"))
}

/// The workspace file for a root: `.tagls.toml` in it or the nearest folder
/// above it that has one.
pub fn workspace_file(root: &Path) -> Option<PathBuf> {
    root.ancestors()
        .map(|d| d.join(FILE_NAME))
        .find(|p| p.is_file())
}

/// Reads and merges the files for a root: the user file, then the
/// workspace file (or `explicit`, as `--config` names it). Errors say which
/// file and where: the command line stops on the first.
pub fn load(root: &Path, explicit: Option<&Path>) -> Result<ConfigFile, ConfigError> {
    let loaded = Loader::default().load(root, explicit);
    match loaded.errors.into_iter().next() {
        Some((e, _)) => Err(e),
        None => Ok(loaded.file),
    }
}

/// The largest configuration file read.
const MAX_CONFIG_FILE: u64 = 1024 * 1024;

/// A configuration file's text: a regular file (reached without a symlink
/// unless `follow`), at most [`MAX_CONFIG_FILE`] bytes, in UTF-8.
fn read_config(path: &Path, follow: bool) -> std::io::Result<String> {
    let bytes = if follow {
        // The user's own file may be a link (dotfile managers make them):
        // the file it leads to is read, if it is a regular file.
        let meta = std::fs::metadata(path)?;
        if !meta.is_file() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "not a regular file",
            ));
        }
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(
            &mut std::io::Read::take(std::fs::File::open(path)?, MAX_CONFIG_FILE + 1),
            &mut bytes,
        )?;
        if bytes.len() as u64 > MAX_CONFIG_FILE {
            return Err(std::io::Error::new(
                std::io::ErrorKind::FileTooLarge,
                format!("larger than {MAX_CONFIG_FILE} bytes"),
            ));
        }
        bytes
    } else {
        let meta = std::fs::symlink_metadata(path)?;
        crate::workspace::fs::read_after_lstat(path, &meta, MAX_CONFIG_FILE)?
    };
    String::from_utf8(bytes)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8 text"))
}

/// What [`Loader::load`] read for a root.
#[derive(Clone, Debug, Default)]
pub struct Loaded {
    /// The user file and the workspace file merged; a file with an error
    /// counts with its last good version, if there was one.
    pub file: ConfigFile,
    /// The files that could not be used, each with its text.
    pub errors: Vec<(ConfigError, String)>,
}

/// Loads the configuration of roots the same way for every face: the
/// server keeps one for its whole life, so that a file that stops parsing
/// keeps its last good version in force; the command line uses a fresh one.
#[derive(Clone, Debug, Default)]
pub struct Loader {
    last_good: std::collections::HashMap<PathBuf, ConfigFile>,
}

impl Loader {
    /// Reads and merges the files for a root: the user file, then the
    /// workspace file (or `explicit`).
    pub fn load(&mut self, root: &Path, explicit: Option<&Path>) -> Loaded {
        let mut loaded = Loaded::default();
        let files = [
            user_file(),
            explicit
                .map(Path::to_path_buf)
                .or_else(|| workspace_file(root)),
        ];
        for (i, path) in files.into_iter().enumerate() {
            let Some(path) = path else { continue };
            // The workspace file is read only as a regular file reached
            // without a symlink, and bounded: a repository cannot point it
            // at a file outside, a FIFO or a device. The user's own file and
            // one named on the command line may be links.
            let follow = i == 0 || explicit.is_some();
            let text = match read_config(&path, follow) {
                Ok(t) => t,
                Err(e)
                    if e.kind() == std::io::ErrorKind::NotFound
                        && explicit != Some(path.as_path()) =>
                {
                    self.last_good.remove(&path);
                    continue;
                }
                Err(e) => {
                    let error = ConfigError {
                        path: path.clone(),
                        range: None,
                        message: e.to_string(),
                    };
                    loaded.errors.push((error, String::new()));
                    continue;
                }
            };
            match ConfigFile::parse(&text, &path) {
                Ok(layer) => {
                    self.last_good.insert(path, layer.clone());
                    loaded.file = std::mem::take(&mut loaded.file).merged(layer);
                }
                Err(e) => {
                    if let Some(good) = self.last_good.get(&path) {
                        loaded.file = std::mem::take(&mut loaded.file).merged(good.clone());
                    }
                    loaded.errors.push((e, text));
                }
            }
        }
        loaded
    }
}

/// The configuration in force for each root of a workspace, and for
/// documents under none.
#[derive(Clone, Debug, Default)]
pub struct RootSettings {
    /// Longest root first, so that nested roots win.
    roots: Vec<(PathBuf, ConfigFile, Arc<Settings>)>,
    outside: Arc<Settings>,
}

impl RootSettings {
    /// Sets a root's configuration (its merged layers); returns whether
    /// what is in force there changed.
    pub fn set(&mut self, root: &Path, file: ConfigFile) -> bool {
        if let Some(entry) = self.roots.iter_mut().find(|(r, _, _)| r == root) {
            if entry.1 == file {
                return false;
            }
            entry.2 = Arc::new(Settings::for_root(&file, root));
            entry.1 = file;
            return true;
        }
        let settings = Arc::new(Settings::for_root(&file, root));
        self.roots.push((root.to_path_buf(), file, settings));
        self.roots
            .sort_by_key(|(r, _, _)| std::cmp::Reverse(r.as_os_str().len()));
        true
    }

    /// Settings made again for the roots whose dialect or default log, as
    /// the disk now says (a `.claude/orchestration/` folder or a log that
    /// appeared), differ from those in force; returns whether any did.
    pub fn refresh_dialects(&mut self) -> bool {
        let mut changed = false;
        for (root, file, settings) in &mut self.roots {
            let dialect = crate::dialect::Dialect::of(file.dialect.unwrap_or_default(), Some(root));
            let log = match &file.log {
                Some(log) => log.as_str(),
                None => dialect.default_log(Some(root)),
            };
            if dialect != settings.dialect || log != settings.log {
                *settings = Arc::new(Settings::for_root(file, root));
                changed = true;
            }
        }
        changed
    }

    /// Sets the configuration of documents under no root.
    pub fn set_outside(&mut self, file: &ConfigFile) -> bool {
        let settings = Settings::from_file(file);
        if format!("{settings:?}") == format!("{:?}", self.outside) {
            return false;
        }
        self.outside = Arc::new(settings);
        true
    }

    /// The settings for a path: its root's, else those outside any root.
    pub fn for_path(&self, path: Option<&Path>) -> &Arc<Settings> {
        path.and_then(|p| {
            self.roots
                .iter()
                .find(|(r, _, _)| p.starts_with(r))
                .map(|(_, _, s)| s)
        })
        .unwrap_or(&self.outside)
    }

    /// A root's merged configuration, as the gate takes it.
    pub fn file_of(&self, root: &Path) -> Option<&ConfigFile> {
        self.roots
            .iter()
            .find(|(r, _, _)| r == root)
            .map(|(_, f, _)| f)
    }

    /// Every root with its settings.
    pub fn roots(&self) -> impl Iterator<Item = (&Path, &Arc<Settings>)> {
        self.roots.iter().map(|(r, _, s)| (r.as_path(), s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_point_at_the_offending_text() {
        let text = "log = \"x.md\"\n[checks]\nmissing-pth = \"warning\"\n";
        let e = ConfigFile::parse(text, Path::new(".tagls.toml")).unwrap_err();
        assert_eq!(
            &text[e.range.unwrap().start..e.range.unwrap().end],
            "missing-pth"
        );
        let text = "[tags.QUESTION_SUPPRESSION]\nfamily = \"assumptoin\"\n";
        let e = ConfigFile::parse(text, Path::new(".tagls.toml")).unwrap_err();
        assert!(e.message.contains("unknown variant"), "{}", e.message);
        assert_eq!(
            &text[e.range.unwrap().start..e.range.unwrap().end],
            "\"assumptoin\""
        );
    }

    #[test]
    fn layers_merge_key_by_key() {
        let user = ConfigFile::parse(
            "env-in-code = false\n[checks]\nunknown-tag = \"off\"\n",
            Path::new("u"),
        )
        .unwrap();
        let ws = ConfigFile::parse("[checks]\nmissing-path = \"error\"\n", Path::new("w")).unwrap();
        let editor =
            ConfigFile::from_json(&serde_json::json!({ "checks": { "unknown-tag": "hint" } }))
                .unwrap();
        let m = user.merged(ws).merged(editor);
        assert_eq!(m.env_in_code, Some(false));
        assert_eq!(m.checks["unknown-tag"], Level::Hint);
        assert_eq!(m.checks["missing-path"], Level::Error);
    }

    #[test]
    fn editor_settings_that_say_nothing_are_an_empty_layer() {
        for nothing in [
            serde_json::Value::Null,
            serde_json::json!([]),
            serde_json::json!({}),
        ] {
            assert_eq!(
                ConfigFile::from_json(&nothing),
                Ok(ConfigFile::default()),
                "{nothing}"
            );
        }
        // A list with items, or a scalar, is still not a settings table.
        for wrong in [serde_json::json!(["log"]), serde_json::json!("log.md")] {
            let e = ConfigFile::from_json(&wrong).unwrap_err();
            assert!(e.contains("expected"), "{wrong}: {e}");
        }
    }

    #[test]
    fn editor_settings_at_their_form_defaults_are_unset() {
        let form = serde_json::json!({
            "log": "", "git-base": " ", "env-files": [], "ignore": [], "ui-files": [],
            "max-file-size": 0, "env-in-code": "default", "tags": {}, "families": {},
            "checks": {},
        });
        assert_eq!(ConfigFile::from_json(&form), Ok(ConfigFile::default()));
        let nulls = serde_json::json!({
            "log": null, "git-base": null, "env-files": null, "max-file-size": null,
            "env-in-code": null,
        });
        assert_eq!(ConfigFile::from_json(&nulls), Ok(ConfigFile::default()));
        let set = ConfigFile::from_json(&serde_json::json!({
            "log": "docs/log.md", "env-files": ["config.env"], "max-file-size": 10,
            "env-in-code": "off",
        }))
        .unwrap();
        assert_eq!(set.log.as_deref(), Some("docs/log.md"));
        assert_eq!(set.env_files, Some(vec!["config.env".to_owned()]));
        assert_eq!(set.max_file_size, Some(10));
        assert_eq!(set.env_in_code, Some(false));
        for (value, want) in [
            (serde_json::json!("on"), Some(true)),
            (serde_json::json!(true), Some(true)),
            (serde_json::json!(false), Some(false)),
        ] {
            let file = ConfigFile::from_json(&serde_json::json!({ "env-in-code": value })).unwrap();
            assert_eq!(file.env_in_code, want, "{value}");
        }
        let e =
            ConfigFile::from_json(&serde_json::json!({ "env-in-code": "sometimes" })).unwrap_err();
        assert!(
            e.contains("expected a boolean") || e.contains("invalid type"),
            "{e}"
        );
    }

    #[test]
    fn custom_tags_and_levels() {
        let file = ConfigFile::parse(
            "[tags.QUESTION_SUPPRESSION]\nfamily = \"assumption\"\nseverity = \"warning\"\ndescription = \"A question not asked.\"\n[tags.CARGO_CULT]\nenabled = false\n[families]\ndecision = \"off\"\n",
            Path::new(".tagls.toml"),
        )
        .unwrap();
        let s = Settings::from_file(&file);
        let def = s.registry.get("QUESTION_SUPPRESSION").unwrap();
        assert_eq!(
            (def.family, def.severity),
            (Family::Assumption, Severity::Warning)
        );
        assert!(s.registry.get("CARGO_CULT").is_none());
        let decision = Finding {
            range: TextRange::default(),
            severity: Severity::Hint,
            code: Code::Tag(Family::Decision),
            tag: "PATH_DECISION".into(),
            message: String::new(),
            fix: None,
        };
        assert!(s.apply(vec![decision]).is_empty());
    }

    /// An unchecked assumption is its tag's finding for severity, but only
    /// its own check turns it off: it counts towards the verdict.
    #[test]
    fn an_unchecked_assumption_is_off_only_by_its_check() {
        let levels = |toml: &str| {
            let file = ConfigFile::parse(toml, Path::new(".tagls.toml")).unwrap();
            let unchecked = Finding {
                range: TextRange::default(),
                severity: Severity::Information,
                code: Code::UncheckedAssumption,
                tag: "COMPLETION_DRIVE".into(),
                message: String::new(),
                fix: None,
            };
            Settings::from_file(&file)
                .apply(vec![unchecked])
                .iter()
                .map(|f| f.severity)
                .collect::<Vec<_>>()
        };
        assert_eq!(levels(""), [Severity::Information]);
        assert_eq!(
            levels("[families]\nassumption = \"off\"\n"),
            [Severity::Information]
        );
        assert_eq!(
            levels("[families]\nassumption = \"warning\"\n"),
            [Severity::Warning]
        );
        assert_eq!(
            levels("[tags.COMPLETION_DRIVE]\nseverity = \"hint\"\n"),
            [Severity::Hint]
        );
        assert_eq!(levels("[checks]\nunchecked-assumption = \"off\"\n"), []);
        assert_eq!(
            levels(
                "[checks]\nunchecked-assumption = \"error\"\n[families]\nassumption = \"hint\"\n"
            ),
            [Severity::Error]
        );
    }

    #[test]
    fn the_phase_state_stays_inside_and_its_evidence_gates_match_by_name() {
        let bad = ConfigFile::parse(
            "phase-state = \"../state.json\"\n",
            Path::new(".tagls.toml"),
        )
        .unwrap_err();
        assert!(
            bad.message.starts_with("phase-state `../state.json`"),
            "{bad}"
        );
        let file = ConfigFile::parse(
            "phase-state = \"state/p.json\"\nevidence-gates = [\"Visual\"]\n",
            Path::new(".tagls.toml"),
        )
        .unwrap();
        let s = Settings::from_file(&file);
        assert!(s.is_phase_state(Path::new("/w"), Path::new("/w/state/./p.json")));
        assert!(s.needs_evidence("final_visual_check") && !s.needs_evidence("design_qa"));
        let d = Settings::default();
        assert!(d.needs_evidence("Design_QA") && !d.needs_evidence("code_review"));
        assert_eq!(
            d.phase_state_path(Path::new("/w")),
            Path::new("/w/.claude/orchestration/phase_state.json")
        );
        // An editor's empty value leaves the file's in force.
        let layer =
            ConfigFile::from_json(&serde_json::json!({ "phase-state": "", "evidence-gates": [] }))
                .unwrap();
        assert_eq!(layer, ConfigFile::default());
    }
}
