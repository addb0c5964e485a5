//! The dialects of the tag method: the original kit's form and the newer
//! orchestration form (docs/TAGS.md, "Dialects"). A workspace names its
//! dialect in `.tagls.toml` (`dialect = "original" | "os2" | "auto"`), or
//! tagls infers it from the folders present. The dialect decides where the
//! log is by default, which tags a person must review before the gate
//! passes, and the words the verdict is spoken in; the tags of both are
//! registered in every dialect, since workspaces mix them.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::findings::Verdict;
use crate::tags::{Registry, Severity};

/// What a configuration says about the dialect.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Choice {
    /// Inferred from the folders at the root ([`Dialect::detect`]).
    #[default]
    Auto,
    Original,
    Os2,
}

/// The form of the method a workspace is written in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Dialect {
    /// The original kit: `.orchestration/`, verdicts PASSED / CONDITIONAL /
    /// BLOCKED.
    #[default]
    Original,
    /// The newer orchestration form: `.claude/orchestration/`, verdicts
    /// PASS / CAUTION / FAIL, high-risk tags that hold the gate.
    Os2,
}

/// The folder the newer form keeps its files in.
pub const OS2_FOLDER: &str = ".claude/orchestration";

/// Where the original kit's implementation log sits (the log's default,
/// `crate::log::DEFAULT_LOG_PATH`).
pub const ORIGINAL_LOG_PATH: &str = ".orchestration/implementation-log.md";

/// The verification report `tagls report` writes, relative to the root: a
/// generated file, never a plan.
pub const VERIFICATION_REPORT: &str = ".orchestration/verification-report.md";

/// Where the newer form's implementation log sits.
pub const OS2_LOG_PATH: &str = ".claude/orchestration/temp/implementation-log.md";

/// The newer form's high-risk tags: while one stays, the gate says
/// CAUTION. An ignored `#POISON_PATH` is the dialect's own example; a task
/// beyond the agent's scope or its grasp needs a person as much.
pub const OS2_REVIEW: [&str; 3] = ["POISON_PATH", "SCOPE_EXCEEDED", "COMPLEXITY_EXCEEDED"];

impl Dialect {
    /// The dialect of a root from what is on disk: a `.claude/orchestration`
    /// folder means the newer form, anything else the original. Symlinks are
    /// not followed.
    pub fn detect(root: &Path) -> Dialect {
        let is_dir = std::fs::symlink_metadata(root.join(OS2_FOLDER)).is_ok_and(|m| m.is_dir());
        if is_dir {
            Dialect::Os2
        } else {
            Dialect::Original
        }
    }

    /// The dialect a choice makes at `root` (the original without a root).
    pub fn of(choice: Choice, root: Option<&Path>) -> Dialect {
        match choice {
            Choice::Original => Dialect::Original,
            Choice::Os2 => Dialect::Os2,
            Choice::Auto => root.map_or(Dialect::Original, Dialect::detect),
        }
    }

    /// The stable name, as the configuration and the JSON output spell it.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Original => "original",
            Dialect::Os2 => "os2",
        }
    }

    /// The verdict in this dialect's words. The exit status does not
    /// depend on them: 0, 3 and 1 in both.
    pub fn verdict_word(self, verdict: Verdict) -> &'static str {
        match (self, verdict) {
            (Dialect::Original, v) => v.name(),
            (Dialect::Os2, Verdict::Passed) => "PASS",
            (Dialect::Os2, Verdict::Conditional) => "CAUTION",
            (Dialect::Os2, Verdict::Blocked) => "FAIL",
        }
    }

    /// The log of a root when the configuration names none: the dialect's
    /// own place, unless a log already sits at the other one.
    pub fn default_log(self, root: Option<&Path>) -> &'static str {
        let exists = |rel: &str| {
            root.is_some_and(|r| std::fs::symlink_metadata(r.join(rel)).is_ok_and(|m| m.is_file()))
        };
        match self {
            Dialect::Original => ORIGINAL_LOG_PATH,
            Dialect::Os2 if !exists(OS2_LOG_PATH) && exists(ORIGINAL_LOG_PATH) => ORIGINAL_LOG_PATH,
            Dialect::Os2 => OS2_LOG_PATH,
        }
    }

    /// The registry as this dialect reads the built-in tags: in the newer
    /// form, its high-risk tags are warnings that a person must review.
    pub fn adjust(self, registry: &mut Registry) {
        if self != Dialect::Os2 {
            return;
        }
        for name in OS2_REVIEW {
            if let Some(mut def) = registry.get(name).cloned() {
                def.severity = def.severity.min(Severity::Warning);
                registry.insert(def);
                registry.set_review(name, true);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_original_log_is_the_default_log() {
        assert_eq!(ORIGINAL_LOG_PATH, crate::log::DEFAULT_LOG_PATH);
    }

    #[test]
    fn verdict_words_follow_the_dialect() {
        let words = |d: Dialect| {
            [Verdict::Passed, Verdict::Conditional, Verdict::Blocked].map(|v| d.verdict_word(v))
        };
        assert_eq!(
            words(Dialect::Original),
            ["PASSED", "CONDITIONAL", "BLOCKED"]
        );
        assert_eq!(words(Dialect::Os2), ["PASS", "CAUTION", "FAIL"]);
    }

    #[test]
    fn the_newer_form_reviews_its_high_risk_tags() {
        let mut reg = Registry::builtin();
        Dialect::Original.adjust(&mut reg);
        assert!(!reg.needs_review("POISON_PATH"));
        Dialect::Os2.adjust(&mut reg);
        assert!(reg.needs_review("POISON_PATH"));
        assert_eq!(reg.get("POISON_PATH").unwrap().severity, Severity::Warning);
        assert!(!reg.needs_review("CARGO_CULT"));
    }
}
