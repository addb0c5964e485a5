//! Findings: what tagls reports about a document, before any protocol sees
//! it. Each finding has a stable code; the LSP layer and the command line
//! render the same list.

mod code;

pub use code::{Code, Verdict};

use crate::resolve::{Resolution, Resolved};
use crate::tags::{Registry, Severity, Tag, due};
use crate::text::TextRange;

/// One thing to report. The scan cache keeps findings (serde); a code this
/// version does not report makes the cache unreadable, so it is not used.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Finding {
    pub range: TextRange,
    pub severity: Severity,
    /// Stable: a tag family name (`assumption`, `verdict` ...) or the name of
    /// a check (`unknown-tag`).
    pub code: Code,
    /// The tag the finding is about, without `#` and `:`.
    pub tag: smol_str::SmolStr,
    pub message: String,
    /// What a quick fix needs, so that code actions need no server state.
    pub fix: Option<Fix>,
}

/// A mechanical fix for a finding.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Fix {
    /// Replace the tag name (the `#NAME:` range) with a registered name.
    RenameTag { to: String },
    /// Create a missing file a tag names (and optionally log it).
    CreateFile { path: std::path::PathBuf },
    /// Add `NAME=` to an env file.
    AddEnvVar {
        name: String,
        file: std::path::PathBuf,
    },
    /// Create the implementation log with the method's skeleton.
    CreateLog { path: std::path::PathBuf },
    /// Log every changed file the log does not mention.
    LogChanged {
        root: std::path::PathBuf,
        count: usize,
    },
    /// Write the file's line count in place of the one a claim states
    /// (`(156 lines)` becomes `(29 lines)`): see `log::check::count_at`.
    CorrectCount { claimed: usize, lines: usize },
}

impl Finding {
    /// What the finding means for the gate.
    pub fn gate(&self, registry: &Registry) -> Option<Verdict> {
        self.code.gate_with(&self.tag, registry)
    }
}

impl Fix {
    /// The fix as JSON: a diagnostic's `data` and a JSON finding's `fix`,
    /// everything its quick fix needs.
    pub fn data(&self) -> serde_json::Value {
        use serde_json::json;
        match self {
            Fix::RenameTag { to } => json!({ "fix": "rename-tag", "to": to }),
            Fix::CreateFile { path } => json!({ "fix": "create-file", "path": path }),
            Fix::AddEnvVar { name, file } => {
                json!({ "fix": "add-env", "name": name, "file": file })
            }
            Fix::CreateLog { path } => json!({ "fix": "create-log", "path": path }),
            Fix::LogChanged { root, count } => {
                json!({ "fix": "log-changed", "root": root, "count": count })
            }
            Fix::CorrectCount { claimed, lines } => {
                json!({ "fix": "correct-count", "claimed": claimed, "lines": lines })
            }
        }
    }

    /// Reads back what [`Fix::data`] wrote. Anything else a client sends is
    /// not a fix of ours; paths are checked again when a fix runs.
    pub fn from_data(data: &serde_json::Value) -> Option<Fix> {
        let text = |key: &str| data.get(key).and_then(|v| v.as_str());
        let path = |key: &str| {
            text(key)
                .filter(|p| p.starts_with('/'))
                .map(std::path::PathBuf::from)
        };
        let is_name = |s: &str| {
            !s.is_empty()
                && s.len() <= 128
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
        };
        match text("fix")? {
            "rename-tag" => {
                let to = text("to")?;
                let valid =
                    !to.is_empty() && to.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
                valid.then(|| Fix::RenameTag { to: to.to_owned() })
            }
            "create-file" => Some(Fix::CreateFile {
                path: path("path")?,
            }),
            "add-env" => {
                let name = text("name").filter(|n| is_name(n))?;
                Some(Fix::AddEnvVar {
                    name: name.to_owned(),
                    file: path("file")?,
                })
            }
            "create-log" => Some(Fix::CreateLog {
                path: path("path")?,
            }),
            "log-changed" => Some(Fix::LogChanged {
                root: path("root")?,
                count: data.get("count")?.as_u64()? as usize,
            }),
            "correct-count" => {
                let n = |key: &str| usize::try_from(data.get(key)?.as_u64()?).ok();
                Some(Fix::CorrectCount {
                    claimed: n("claimed")?,
                    lines: n("lines")?,
                })
            }
            _ => None,
        }
    }
}

/// The env file a missing variable is added to: the one meant to list every
/// variable, without values.
pub const ENV_EXAMPLE: &str = ".env.example";

/// The findings for the tags of one document, in document order: one per
/// tag, on the tag itself (`#NAME:`), never on the whole comment.
pub fn for_tags<'a>(tags: impl IntoIterator<Item = &'a Tag>, registry: &Registry) -> Vec<Finding> {
    for_tags_with(tags, registry, |_| false)
}

/// [`for_tags`], where an assumption that names nothing tagls can check
/// (`is_unchecked`) is reported once, as `unchecked-assumption`, with its
/// family's message.
pub fn for_tags_with<'a>(
    tags: impl IntoIterator<Item = &'a Tag>,
    registry: &Registry,
    is_unchecked: impl Fn(&Tag) -> bool,
) -> Vec<Finding> {
    tags.into_iter()
        .map(|t| for_tag(t, registry, is_unchecked(t)))
        .collect()
}

fn for_tag(tag: &Tag, registry: &Registry, unchecked: bool) -> Finding {
    match registry.get(&tag.name) {
        Some(def) => {
            // The code says that a person must check it; the message is
            // the tag's own, as for any tag.
            let code = if unchecked && def.family == crate::tags::Family::Assumption {
                Code::UncheckedAssumption
            } else {
                Code::Tag(def.family)
            };
            Finding {
                range: tag.name_range,
                severity: def.severity,
                code,
                tag: tag.name.clone(),
                message: if tag.payload.is_empty() {
                    format!("{}: #{} with no text", def.family.label(), tag.name)
                } else {
                    format!("{}: {}", def.family.label(), tag.payload)
                },
                fix: None,
            }
        }
        None => Finding {
            range: tag.name_range,
            severity: Severity::Warning,
            code: Code::UnknownTag,
            tag: tag.name.clone(),
            message: match &tag.suggestion {
                Some(s) => format!("unknown tag #{}: did you mean #{s}?", tag.name),
                None => format!("unknown tag #{}: not in the tag registry", tag.name),
            },
            // The rename writes `#NAME:`, which would drop a due date.
            fix: tag
                .suggestion
                .as_ref()
                .filter(|_| tag.due.is_none())
                .map(|to| Fix::RenameTag { to: to.to_string() }),
        },
    }
}

/// The findings about the due dates of `tags` on the day `today`: a
/// `bad-due-date` on every date that cannot be read, at the text between
/// its brackets, and an `overdue` warning on every date that has passed
/// ([`due::overdue`]), at the date, saying by how many days.
pub fn for_due_dates<'a>(
    tags: impl IntoIterator<Item = &'a Tag> + Clone,
    today: jiff::civil::Date,
) -> Vec<Finding> {
    let bad = tags.clone().into_iter().filter_map(|t| {
        let d = t.due.as_ref()?;
        Some(Finding {
            range: d.range,
            severity: Severity::Warning,
            code: Code::BadDueDate,
            tag: t.name.clone(),
            message: d.problem()?,
            fix: None,
        })
    });
    let late = due::overdue(tags, today).into_iter().map(|o| Finding {
        range: o.tag.due.as_ref().map_or(o.tag.name_range, |d| d.range),
        severity: Severity::Warning,
        code: Code::Overdue,
        tag: o.tag.name.clone(),
        message: format!(
            "#{} was due on {}: {} past due",
            o.tag.name,
            o.due,
            due::days_text(o.days)
        ),
        fix: None,
    });
    let mut all: Vec<Finding> = bad.chain(late).collect();
    all.sort_by_key(|f| f.range.start);
    all
}

/// Variables the platform sets, not the project: the shell's and the
/// system's (`HOME`, `PATH`, `PWD`, `LANG`, `TZ` ...), CI's (`CI`,
/// `GITHUB_*`, `RUNNER_*`), and the toolchains' own (`NODE_ENV`, `GOPATH`,
/// `PYTHONPATH`, `VIRTUAL_ENV` ...). Code that reads one is never told to
/// declare it (docs/REFERENCES.md).
pub fn is_platform_var(name: &str) -> bool {
    PLATFORM_VARS.contains(&name) || PLATFORM_PREFIXES.iter().any(|p| name.starts_with(p))
}

/// The platform's variables by name (docs/REFERENCES.md lists them; a test
/// holds the two together).
pub const PLATFORM_VARS: &[&str] = &[
    "HOME",
    "PATH",
    "PWD",
    "OLDPWD",
    "USER",
    "USERNAME",
    "LOGNAME",
    "SHELL",
    "TERM",
    "COLORTERM",
    "LANG",
    "LANGUAGE",
    "TZ",
    "TMPDIR",
    "TEMP",
    "TMP",
    "HOSTNAME",
    "EDITOR",
    "VISUAL",
    "PAGER",
    "DISPLAY",
    "CI",
    "NO_COLOR",
    "FORCE_COLOR",
    "DEBUG",
    "NODE_ENV",
    "NODE_OPTIONS",
    "NODE_PATH",
    "NODE_DEBUG",
    "GOPATH",
    "GOROOT",
    "GOOS",
    "GOARCH",
    "GOFLAGS",
    "GOCACHE",
    "GOBIN",
    "GOPROXY",
    "CGO_ENABLED",
    "PYTHONPATH",
    "PYTHONHOME",
    "PYTHONUNBUFFERED",
    "PYTHONDONTWRITEBYTECODE",
    "PYTHONIOENCODING",
    "PYTHONWARNINGS",
    "PYTHONHASHSEED",
    "VIRTUAL_ENV",
    "CONDA_PREFIX",
    "JAVA_HOME",
    "APPDATA",
    "LOCALAPPDATA",
    "USERPROFILE",
    "PROGRAMFILES",
    "SYSTEMROOT",
    "WINDIR",
    "COMSPEC",
    "PATHEXT",
    "SSH_AUTH_SOCK",
];

/// The platform's variables by prefix: `GITHUB_` stands for `GITHUB_*`.
pub const PLATFORM_PREFIXES: &[&str] = &[
    "LC_",
    "XDG_",
    "GITHUB_",
    "RUNNER_",
    "GITLAB_",
    "CI_",
    "BUILDKITE_",
    "CIRCLE",
    "TRAVIS",
    "npm_",
    "CARGO_",
    "RUSTUP_",
    "DOCKER_",
    "KUBERNETES_",
    "JENKINS_",
    "BITBUCKET_",
];

/// Findings for references: in tags, anything that does not resolve; in
/// code (`from_code`), env variables that no env file defines.
pub fn for_references<'a>(
    resolved: impl IntoIterator<Item = &'a Resolved>,
    from_code: bool,
) -> Vec<Finding> {
    resolved
        .into_iter()
        .filter_map(|r| {
            let name = match &r.reference.kind {
                crate::resolve::RefKind::Path(s)
                | crate::resolve::RefKind::FileName(s)
                | crate::resolve::RefKind::Module(s)
                | crate::resolve::RefKind::Env(s) => s.clone(),
            };
            let (severity, code, message) = match &*r.resolution {
                Resolution::Exists { .. } | Resolution::EnvDefined(_) => return None,
                Resolution::Missing { .. } => (
                    Severity::Warning,
                    Code::MissingPath,
                    format!("{name} does not exist in the workspace"),
                ),
                Resolution::Outside { .. } => (
                    Severity::Warning,
                    Code::OutsideWorkspace,
                    format!("{name} is outside the workspace; tagls does not look there"),
                ),
                Resolution::Ambiguous { candidates } => (
                    Severity::Warning,
                    Code::AmbiguousPath,
                    format!(
                        "{name} matches {} files: {}",
                        candidates.len(),
                        candidates
                            .iter()
                            .map(|c| r.show(c))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ),
                // Code reads variables of its platform (`HOME`, `NODE_ENV`,
                // `CI`), and a workspace without an env file declares none:
                // neither is an undeclared variable.
                Resolution::EnvMissing { files }
                    if from_code && (files.is_empty() || is_platform_var(&name)) =>
                {
                    return None;
                }
                Resolution::EnvMissing { files } => {
                    let where_ = if files.is_empty() {
                        "there is no env file at the workspace root".to_owned()
                    } else {
                        format!("it is not in {}", files.join(", "))
                    };
                    if from_code {
                        (
                            Severity::Information,
                            Code::UndeclaredEnv,
                            format!("environment variable {name} is read here but {where_}"),
                        )
                    } else {
                        (
                            Severity::Warning,
                            Code::MissingEnv,
                            format!("environment variable {name}: {where_}"),
                        )
                    }
                }
            };
            let fix = match &*r.resolution {
                // Only a path with a file name is created: an extensionless
                // module path does not say which file to make.
                Resolution::Missing { tried }
                    if matches!(r.reference.kind, crate::resolve::RefKind::Path(_)) =>
                {
                    tried
                        .first()
                        .filter(|p| p.extension().is_some())
                        .map(|p| Fix::CreateFile { path: p.clone() })
                }
                Resolution::EnvMissing { .. } => r.root.as_ref().map(|root| Fix::AddEnvVar {
                    name: name.clone(),
                    file: root.join(ENV_EXAMPLE),
                }),
                _ => None,
            };
            Some(Finding {
                range: r.reference.range,
                severity,
                code,
                tag: Default::default(),
                message,
                fix,
            })
        })
        .collect()
}

/// Markdown that explains where a reference leads, for hover. Env values
/// are never shown: only the file and line that define a name.
pub fn explain_reference(r: &Resolved) -> String {
    let name = match &r.reference.kind {
        crate::resolve::RefKind::Path(s)
        | crate::resolve::RefKind::FileName(s)
        | crate::resolve::RefKind::Module(s)
        | crate::resolve::RefKind::Env(s) => s.as_str(),
    };
    match &*r.resolution {
        Resolution::Exists { path, kind } => {
            let what = if *kind == crate::workspace::fs::FileKind::Dir {
                "directory"
            } else {
                "file"
            };
            format!("`{name}`: exists ({what} `{}`)", r.show(path))
        }
        Resolution::Missing { tried } => {
            let tried: Vec<String> = tried.iter().map(|p| format!("`{}`", r.show(p))).collect();
            format!(
                "`{name}`: **missing**. Looked for {} and the usual extensions.",
                tried.join(", ")
            )
        }
        Resolution::Outside { .. } => {
            format!(
                "`{name}`: **outside the workspace**. tagls never reads or stats paths outside the workspace roots."
            )
        }
        Resolution::Ambiguous { candidates } => {
            let list: Vec<String> = candidates
                .iter()
                .map(|c| format!("- `{}`", r.show(c)))
                .collect();
            format!(
                "`{name}`: **ambiguous**, {} files match:\n\n{}",
                candidates.len(),
                list.join("\n")
            )
        }
        Resolution::EnvDefined(defs) => {
            let list: Vec<String> = defs
                .iter()
                .map(|d| format!("{} line {}", d.file, d.line + 1))
                .collect();
            format!(
                "`{name}`: environment variable defined in {}",
                list.join(", ")
            )
        }
        Resolution::EnvMissing { files } if files.is_empty() => {
            format!(
                "`{name}`: environment variable **not defined**: there is no env file at the workspace root"
            )
        }
        Resolution::EnvMissing { files } => {
            format!(
                "`{name}`: environment variable **not defined** in {}",
                files.join(", ")
            )
        }
    }
}

/// Markdown that explains a tag, for hover, on [`due::today`].
pub fn explain(tag: &Tag, registry: &Registry) -> String {
    explain_on(tag, registry, due::today())
}

/// [`explain`] on the day `today`: a due date says how it stands then.
pub fn explain_on(tag: &Tag, registry: &Registry, today: jiff::civil::Date) -> String {
    let mut text = explain_name(tag, registry);
    if let Some(d) = &tag.due {
        match d.date {
            Ok(date) => {
                text.push_str(&format!(
                    "\n\nDue **{date}**: {}.",
                    due::standing(date, today)
                ));
            }
            Err(_) => {
                let problem = d.problem().unwrap_or_default();
                text.push_str(&format!("\n\nNo due date: {problem}."));
            }
        }
    }
    text
}

fn explain_name(tag: &Tag, registry: &Registry) -> String {
    match registry.get(&tag.name) {
        Some(def) => {
            let mut text = format!(
                "**#{}**: {} ({} family)\n\n{}\n\n{}",
                def.name,
                def.description,
                def.family.name(),
                def.family.meaning(),
                def.family.advice()
            );
            if registry.needs_review(&def.name) {
                text.push_str(
                    "\n\nA high-risk tag here: while it stays, the quality gate needs a person to look (CONDITIONAL; CAUTION in the newer dialect).",
                );
            }
            text
        }
        None => {
            let hint = match &tag.suggestion {
                Some(s) => format!("Did you mean **#{s}**? A quick fix renames it."),
                None => "Register it for the project, or check the spelling.".to_owned(),
            };
            format!("**#{}**: unknown tag\n\n{hint}", tag.name)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::CommentStyle;
    use crate::tags::scan::{content_lines, scan_lines};

    fn findings(comment: &str) -> Vec<Finding> {
        let reg = Registry::builtin();
        let tags = scan_lines(&content_lines(CommentStyle::CFamily, comment, 0), &reg);
        for_tags(&tags, &reg)
    }

    #[test]
    fn due_dates_give_findings_at_the_date() {
        let reg = Registry::builtin();
        let text = "// #COMPLETION_DRIVE[2026-03-01]: a\n// #COMPLETION_DRIVE[2026-03-20]: b\n// #PATH_DECISION[2026-13-45]: c\n// #COMPLETION_DRIVE[2026-03-10]: d";
        let tags = scan_lines(&content_lines(CommentStyle::CFamily, text, 0), &reg);
        let today = jiff::civil::date(2026, 3, 10);
        let found: Vec<(Code, &str, String)> = for_due_dates(&tags, today)
            .into_iter()
            .map(|f| (f.code, &text[f.range.start..f.range.end], f.message))
            .collect();
        assert_eq!(
            found,
            [
                (
                    Code::Overdue,
                    "2026-03-01",
                    "#COMPLETION_DRIVE was due on 2026-03-01: 9 days past due".to_owned()
                ),
                (
                    Code::BadDueDate,
                    "2026-13-45",
                    "2026-13-45 is not a due date: there is no such day (YYYY-MM-DD)".to_owned()
                ),
            ]
        );
        // The tag's own finding stays on its head.
        let own = for_tags(&tags, &reg);
        assert_eq!(
            &text[own[0].range.start..own[0].range.end],
            "#COMPLETION_DRIVE[2026-03-01]:"
        );
        assert_eq!(own[0].message, "Assumption: a");
        // Hover says how a date stands.
        assert!(explain_on(&tags[1], &reg, today).ends_with("Due **2026-03-20**: due in 10 days."));
        assert!(explain_on(&tags[0], &reg, today).ends_with("Due **2026-03-01**: 9 days overdue."));
        assert!(explain_on(&tags[3], &reg, today).ends_with("due today."));
        assert!(explain_on(&tags[2], &reg, today).ends_with(
            "No due date: 2026-13-45 is not a due date: there is no such day (YYYY-MM-DD)."
        ));
        // A misspelt dated tag: the name is suggested, but no rename that
        // would drop the date.
        let f = findings("// #COMPLETION_DIRVE[2026-03-01]: x");
        assert_eq!(f[0].code, Code::UnknownTag);
        assert!(f[0].message.contains("did you mean #COMPLETION_DRIVE?"));
        assert_eq!(f[0].fix, None);
    }

    #[test]
    fn undeclared_env_only_where_the_workspace_declares_its_variables() {
        let env = |name: &str, files: &[&str]| Resolved {
            reference: crate::resolve::Reference {
                kind: crate::resolve::RefKind::Env(name.into()),
                range: TextRange::new(0, name.len()),
            },
            resolution: std::sync::Arc::new(Resolution::EnvMissing {
                files: files.iter().map(|f| f.to_string()).collect(),
            }),
            root: None,
        };
        let codes = |r: &Resolved, from_code: bool| {
            for_references([r], from_code)
                .into_iter()
                .map(|f| f.code)
                .collect::<Vec<_>>()
        };
        let example = [".env.example"];
        assert_eq!(
            codes(&env("STRIPE_KEY", &example), true),
            [Code::UndeclaredEnv]
        );
        // No env file: the workspace declares no variable.
        assert_eq!(codes(&env("STRIPE_KEY", &[]), true), []);
        // The platform's own.
        for name in [
            "HOME",
            "PWD",
            "CI",
            "NODE_ENV",
            "GOPATH",
            "GITHUB_SHA",
            "LC_ALL",
        ] {
            assert_eq!(codes(&env(name, &example), true), [], "{name}");
        }
        // A tag that names a variable is a claim about the env files.
        assert_eq!(codes(&env("NODE_ENV", &example), false), [Code::MissingEnv]);
        assert_eq!(codes(&env("STRIPE_KEY", &[]), false), [Code::MissingEnv]);
    }

    #[test]
    fn the_platform_variables_are_documented() {
        let doc = include_str!("../../../docs/REFERENCES.md");
        let listed = doc
            .split_once("<!-- platform-vars -->")
            .and_then(|(_, rest)| rest.split_once("<!-- /platform-vars -->"))
            .map(|(list, _)| list.split_whitespace().collect::<Vec<_>>().join(" "));
        let expected = format!(
            "{}; by prefix: {}",
            PLATFORM_VARS
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", "),
            PLATFORM_PREFIXES
                .iter()
                .map(|p| format!("`{p}*`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        assert_eq!(
            listed.as_deref(),
            Some(expected.as_str()),
            "docs/REFERENCES.md must list the platform variables as the code has them"
        );
        for name in [
            "HOME",
            "PATH",
            "PWD",
            "CI",
            "NODE_ENV",
            "GOPATH",
            "GOROOT",
            "USER",
            "SHELL",
            "TERM",
            "LANG",
            "TMPDIR",
            "HOSTNAME",
            "GITHUB_ACTIONS",
            "PYTHONPATH",
        ] {
            assert!(is_platform_var(name), "{name}");
        }
        assert!(!is_platform_var("STRIPE_KEY"));
    }

    #[test]
    fn severity_and_code_by_family() {
        let f = findings("// #COMPLETION_DRIVE: Assuming X");
        assert_eq!(
            (f[0].severity, f[0].code),
            (
                Severity::Information,
                Code::Tag(crate::tags::Family::Assumption)
            )
        );
        assert_eq!(f[0].message, "Assumption: Assuming X");
        let f = findings("// #FAILED_VERIFICATION: nope");
        assert_eq!(
            (f[0].severity, f[0].code),
            (Severity::Error, Code::Tag(crate::tags::Family::Verdict))
        );
        let f = findings("// #CARGO_CULT: copied");
        assert_eq!(
            (f[0].severity, f[0].code),
            (Severity::Hint, Code::Tag(crate::tags::Family::Pattern))
        );
    }

    #[test]
    fn one_finding_per_tag_on_the_tag_itself() {
        let reg = Registry::builtin();
        let text = "// #COMPLETION_DRIVE: Assuming the API returns JSON";
        let tags = scan_lines(&content_lines(CommentStyle::CFamily, text, 0), &reg);
        let f = for_tags_with(&tags, &reg, |_| true);
        assert_eq!(f.len(), 1);
        assert_eq!(
            (f[0].code, f[0].severity, f[0].tag.as_str()),
            (
                Code::UncheckedAssumption,
                Severity::Information,
                "COMPLETION_DRIVE"
            )
        );
        assert_eq!(
            &text[f[0].range.start..f[0].range.end],
            "#COMPLETION_DRIVE:"
        );
        assert_eq!(f[0].message, "Assumption: Assuming the API returns JSON");
        assert_eq!(f[0].gate(&reg), Some(Verdict::Conditional));
        // Only an assumption is ever unchecked.
        let tags = scan_lines(
            &content_lines(CommentStyle::CFamily, "// #CARGO_CULT: copied", 0),
            &reg,
        );
        assert_eq!(
            for_tags_with(&tags, &reg, |_| true)[0].code,
            Code::Tag(crate::tags::Family::Pattern)
        );
    }

    #[test]
    fn unknown_tags_warn_with_a_fix() {
        let f = findings("// #COMPLETION_DIRVE: x");
        assert_eq!(
            (f[0].severity, f[0].code),
            (Severity::Warning, Code::UnknownTag)
        );
        assert_eq!(f[0].range, TextRange::new(3, 21));
        assert_eq!(
            f[0].fix,
            Some(Fix::RenameTag {
                to: "COMPLETION_DRIVE".into()
            })
        );
    }
}
