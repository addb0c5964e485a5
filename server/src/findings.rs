//! Findings: what tagls reports about a document, before any protocol sees
//! it. Each finding has a stable code; the LSP layer and the command line
//! render the same list.

use crate::resolve::{Resolution, Resolved};
use crate::tags::{Registry, Severity, Tag};
use crate::text::TextRange;

/// The code of an unregistered, tag-shaped name.
pub const UNKNOWN_TAG: &str = "unknown-tag";
/// A path in a tag that does not exist.
pub const MISSING_PATH: &str = "missing-path";
/// A path in a tag that leaves the workspace.
pub const OUTSIDE_WORKSPACE: &str = "outside-workspace";
/// A file name in a tag that several files have.
pub const AMBIGUOUS_PATH: &str = "ambiguous-path";
/// An environment variable a tag names that no env file defines.
pub const MISSING_ENV: &str = "missing-env";
/// An environment variable the code reads that no env file defines.
pub const UNDECLARED_ENV: &str = "undeclared-env";

/// One thing to report. The scan cache keeps findings (serde); a code this
/// version does not report makes the cache unreadable, so it is not used.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Finding {
    pub range: TextRange,
    pub severity: Severity,
    /// Stable: a tag family name (`assumption`, `verdict` ...) or the name of
    /// a check (`unknown-tag`).
    #[serde(deserialize_with = "known_code")]
    pub code: Code,
    /// The tag the finding is about, without `#` and `:`.
    pub tag: smol_str::SmolStr,
    pub message: String,
    /// What a quick fix needs, so that code actions need no server state.
    pub fix: Option<Fix>,
}

/// A finding's code. (Named, so that serde does not take the field for one
/// borrowed from the input, which no `'static` field can be.)
type Code = &'static str;

/// Reads a code as the `&'static` one tagls reports; any other is an error.
fn known_code<'de, D: serde::Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
    let code = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
    crate::config::CHECKS
        .iter()
        .copied()
        .chain(crate::tags::Family::ALL.map(crate::tags::Family::name))
        .chain([UNLOGGED_CHANGE])
        .find(|c| *c == code)
        .ok_or_else(|| serde::de::Error::custom(format!("unknown code {code}")))
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
}

/// A file git reports changed that no log entry mentions.
pub const UNLOGGED_CHANGE: &str = "unlogged-change";

/// The env file a missing variable is added to: the one meant to list every
/// variable, without values.
pub const ENV_EXAMPLE: &str = ".env.example";

/// The code of the note that the implementation log is missing, empty or
/// holds no claim.
pub const MISSING_LOG: &str = "missing-log";

/// The findings for the tags of one document, in document order.
pub fn for_tags<'a>(tags: impl IntoIterator<Item = &'a Tag>, registry: &Registry) -> Vec<Finding> {
    tags.into_iter().map(|t| for_tag(t, registry)).collect()
}

fn for_tag(tag: &Tag, registry: &Registry) -> Finding {
    match registry.get(&tag.name) {
        Some(def) => Finding {
            range: tag.head_range(),
            severity: def.severity,
            code: def.family.name(),
            tag: tag.name.clone(),
            message: if tag.payload.is_empty() {
                format!("{}: #{} with no text", def.family.label(), tag.name)
            } else {
                format!("{}: {}", def.family.label(), tag.payload)
            },
            fix: None,
        },
        None => Finding {
            range: tag.name_range,
            severity: Severity::Warning,
            code: UNKNOWN_TAG,
            tag: tag.name.clone(),
            message: match &tag.suggestion {
                Some(s) => format!("unknown tag #{}: did you mean #{s}?", tag.name),
                None => format!("unknown tag #{}: not in the tag registry", tag.name),
            },
            fix: tag
                .suggestion
                .as_ref()
                .map(|to| Fix::RenameTag { to: to.to_string() }),
        },
    }
}

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
                    MISSING_PATH,
                    format!("{name} does not exist in the workspace"),
                ),
                Resolution::Outside { .. } => (
                    Severity::Warning,
                    OUTSIDE_WORKSPACE,
                    format!("{name} is outside the workspace; tagls does not look there"),
                ),
                Resolution::Ambiguous { candidates } => (
                    Severity::Warning,
                    AMBIGUOUS_PATH,
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
                Resolution::EnvMissing { files } => {
                    let where_ = if files.is_empty() {
                        "there is no env file at the workspace root".to_owned()
                    } else {
                        format!("it is not in {}", files.join(", "))
                    };
                    if from_code {
                        (
                            Severity::Information,
                            UNDECLARED_ENV,
                            format!("environment variable {name} is read here but {where_}"),
                        )
                    } else {
                        (
                            Severity::Warning,
                            MISSING_ENV,
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

/// Markdown that explains a tag, for hover.
pub fn explain(tag: &Tag, registry: &Registry) -> String {
    match registry.get(&tag.name) {
        Some(def) => format!(
            "**#{}**: {} ({} family)\n\n{}\n\n{}",
            def.name,
            def.description,
            def.family.name(),
            def.family.meaning(),
            def.family.advice()
        ),
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
    fn severity_and_code_by_family() {
        let f = findings("// #COMPLETION_DRIVE: Assuming X");
        assert_eq!(
            (f[0].severity, f[0].code),
            (Severity::Information, "assumption")
        );
        assert_eq!(f[0].message, "Assumption: Assuming X");
        let f = findings("// #FAILED_VERIFICATION: nope");
        assert_eq!((f[0].severity, f[0].code), (Severity::Error, "verdict"));
        let f = findings("// #CARGO_CULT: copied");
        assert_eq!((f[0].severity, f[0].code), (Severity::Hint, "pattern"));
    }

    #[test]
    fn unknown_tags_warn_with_a_fix() {
        let f = findings("// #COMPLETION_DIRVE: x");
        assert_eq!((f[0].severity, f[0].code), (Severity::Warning, UNKNOWN_TAG));
        assert_eq!(f[0].range, TextRange::new(3, 21));
        assert_eq!(
            f[0].fix,
            Some(Fix::RenameTag {
                to: "COMPLETION_DRIVE".into()
            })
        );
    }
}
