//! The registry of tag names: built-in data that a project can extend.

use std::collections::HashMap;

/// What kind of statement a tag makes; configuration files name it in
/// lowercase (`family = "assumption"`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    Assumption,
    Pattern,
    Suggestion,
    Decision,
    Claim,
    Verdict,
}

impl Family {
    pub const ALL: [Family; 6] = [
        Family::Assumption,
        Family::Pattern,
        Family::Suggestion,
        Family::Decision,
        Family::Claim,
        Family::Verdict,
    ];

    /// The stable name of the family, also used as the diagnostic code of its
    /// tags.
    pub fn name(self) -> &'static str {
        match self {
            Family::Assumption => "assumption",
            Family::Pattern => "pattern",
            Family::Suggestion => "suggestion",
            Family::Decision => "decision",
            Family::Claim => "claim",
            Family::Verdict => "verdict",
        }
    }

    /// The family's name as a message starts with it.
    pub fn label(self) -> &'static str {
        match self {
            Family::Assumption => "Assumption",
            Family::Pattern => "Pattern",
            Family::Suggestion => "Suggestion",
            Family::Decision => "Decision",
            Family::Claim => "Claim",
            Family::Verdict => "Verdict",
        }
    }

    /// What the family means, for hover.
    pub fn meaning(self) -> &'static str {
        match self {
            Family::Assumption => "Something the author believed but did not check.",
            Family::Pattern => "A suspicious habit the author flagged in their own work.",
            Family::Suggestion => "A follow-up that someone should do.",
            Family::Decision => "A recorded choice: permanent documentation.",
            Family::Claim => "Something the author says was done.",
            Family::Verdict => "The outcome of a verification.",
        }
    }

    /// What to do about a tag of this family, for hover.
    pub fn advice(self) -> &'static str {
        match self {
            Family::Assumption => {
                "Check what it names, then remove the tag or log the check. Until then the quality gate needs a person to look."
            }
            Family::Pattern => {
                "Review the code it marks and fix the habit, or remove the tag once reviewed."
            }
            Family::Suggestion => {
                "Do the follow-up or turn it into a tracked task, then remove the tag."
            }
            Family::Decision => "Keep it: decisions stay in the code as documentation.",
            Family::Claim => {
                "Claims belong in the implementation log, where tagls checks them against the workspace."
            }
            Family::Verdict => {
                "Act on the outcome: a failed verification blocks the quality gate until it is fixed."
            }
        }
    }
}

/// How loudly a finding is shown. Ordered from most to least severe.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Severity {
    Error,
    Warning,
    Information,
    Hint,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Information => "information",
            Severity::Hint => "hint",
        }
    }
}

/// One registered tag name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagDef {
    /// The name without `#` and `:`.
    pub name: String,
    pub family: Family,
    pub severity: Severity,
    /// What this particular tag says, for hover.
    pub description: String,
}

/// The tag names tagls knows, by name.
#[derive(Clone, Debug)]
pub struct Registry {
    defs: Vec<TagDef>,
    by_name: HashMap<String, usize>,
    /// Tags that keep the verdict CONDITIONAL while they stay in the
    /// workspace: the high-risk tags of a dialect (`crate::dialect`).
    review: std::collections::BTreeSet<String>,
}

const BUILTIN: &[(&str, Family, Severity, &str)] = &[
    (
        "COMPLETION_DRIVE",
        Family::Assumption,
        Severity::Information,
        "An assumption made to keep going without checking.",
    ),
    (
        "COMPLETION_DRIVE_INTEGRATION",
        Family::Assumption,
        Severity::Information,
        "An assumption about how this code connects to something else: a service, a file, an environment variable.",
    ),
    (
        "CONTEXT_DEGRADED",
        Family::Assumption,
        Severity::Information,
        "Written from memory of earlier context that may no longer be accurate.",
    ),
    (
        "CARGO_CULT",
        Family::Pattern,
        Severity::Hint,
        "Code copied or added out of habit, not because it is needed here.",
    ),
    (
        "PATTERN_MOMENTUM",
        Family::Pattern,
        Severity::Hint,
        "A pattern continued because it was used before, not because it fits.",
    ),
    (
        "ASSUMPTION_BLINDNESS",
        Family::Pattern,
        Severity::Hint,
        "An assumption so familiar that it was not questioned.",
    ),
    (
        "CONTEXT_ROT",
        Family::Pattern,
        Severity::Hint,
        "Context that has gone stale since it was written.",
    ),
    (
        "FALSE_COMPLETION",
        Family::Pattern,
        Severity::Hint,
        "Work that looks finished but is not.",
    ),
    (
        "POISON_PATH",
        Family::Pattern,
        Severity::Hint,
        "An approach that leads somewhere bad if continued.",
    ),
    (
        "SUGGEST_ERROR_HANDLING",
        Family::Suggestion,
        Severity::Hint,
        "Error handling is missing here.",
    ),
    (
        "SUGGEST_VERIFY",
        Family::Suggestion,
        Severity::Hint,
        "This should be verified.",
    ),
    (
        "COMPLETION_DRIVE_SUGGESTION",
        Family::Suggestion,
        Severity::Hint,
        "A suggestion made while completing other work.",
    ),
    (
        "PATH_DECISION",
        Family::Decision,
        Severity::Hint,
        "A choice between approaches, recorded.",
    ),
    (
        "PATH_RATIONALE",
        Family::Decision,
        Severity::Hint,
        "Why a choice was made.",
    ),
    (
        "COMPLETION_DRIVE_IMPL",
        Family::Assumption,
        Severity::Information,
        "An assumption made while implementing: a detail of the plan filled in without checking.",
    ),
    (
        "CONTEXT_RECONSTRUCT",
        Family::Assumption,
        Severity::Information,
        "Context rebuilt from inference after it was lost: what the code around it was believed to be.",
    ),
    (
        "PLAN_UNCERTAINTY",
        Family::Assumption,
        Severity::Information,
        "A point the plan left open, settled here by a guess that someone must confirm.",
    ),
    (
        "LOW_EVIDENCE",
        Family::Assumption,
        Severity::Information,
        "Research: a statement resting on little evidence.",
    ),
    (
        "SOURCE_DISAGREEMENT",
        Family::Assumption,
        Severity::Information,
        "Research: sources disagree; the statement takes one side without settling it.",
    ),
    (
        "SUSPECT_SOURCE",
        Family::Assumption,
        Severity::Information,
        "Research: the statement rests on a source of doubtful reliability.",
    ),
    (
        "OUT_OF_DATE",
        Family::Assumption,
        Severity::Information,
        "Research: the source may describe an older version than the one in use.",
    ),
    (
        "RATE_LIMITED",
        Family::Assumption,
        Severity::Information,
        "Research: a source could not be read (rate limited), so a question is answered without it.",
    ),
    (
        "RETRY_EXHAUSTED",
        Family::Assumption,
        Severity::Information,
        "Research: a sub-question abandoned after its retries; the report must say so in its methodology.",
    ),
    (
        "RESOLUTION_PRESSURE",
        Family::Pattern,
        Severity::Hint,
        "Pressure to settle a question quickly, which pushed towards an answer before it was known.",
    ),
    (
        "COMPLEXITY_EXCEEDED",
        Family::Pattern,
        Severity::Hint,
        "The problem grew beyond what could be handled well in one pass.",
    ),
    (
        "SCOPE_EXCEEDED",
        Family::Pattern,
        Severity::Hint,
        "The task goes beyond the agent's scope; someone else should take it up.",
    ),
    (
        "TOKEN_VIOLATION",
        Family::Pattern,
        Severity::Hint,
        "A design-token rule not followed, such as a hard-coded colour or a size off the grid.",
    ),
    (
        "ASSOCIATIVE_GENERATION",
        Family::Pattern,
        Severity::Hint,
        "Code produced by association with similar code, not from this problem's needs.",
    ),
    (
        "BEST_PRACTICE_TENSION",
        Family::Pattern,
        Severity::Hint,
        "A general best practice at odds with what this code base does.",
    ),
    (
        "FALSE_FLUENCY",
        Family::Pattern,
        Severity::Hint,
        "Text or code that reads confidently but is not backed by knowledge.",
    ),
    (
        "FIXED_FRAMING",
        Family::Pattern,
        Severity::Hint,
        "The problem kept in its first framing although another fits better.",
    ),
    (
        "PARADIGM_CLASH",
        Family::Pattern,
        Severity::Hint,
        "Two programming paradigms mixed where one was expected.",
    ),
    (
        "PHANTOM_PATTERN",
        Family::Pattern,
        Severity::Hint,
        "A pattern seen where there is none, or an API remembered that does not exist.",
    ),
    (
        "TRAINING_CONTRADICTION",
        Family::Pattern,
        Severity::Hint,
        "What was learnt in general contradicts what this project does.",
    ),
    (
        "PATTERN_CONFLICT",
        Family::Pattern,
        Severity::Hint,
        "Competing valid approaches; the choice between them is not settled.",
    ),
    (
        "GOSSAMER_KNOWLEDGE",
        Family::Pattern,
        Severity::Hint,
        "Weakly held knowledge that the code relies on.",
    ),
    (
        "POOR_OUTPUT_INTUITION",
        Family::Pattern,
        Severity::Hint,
        "A sensed gap in the analysis or the output.",
    ),
    (
        "SUGGEST_CLEANUP",
        Family::Suggestion,
        Severity::Hint,
        "Code that should be cleaned up.",
    ),
    (
        "SUGGEST_DEFENSIVE",
        Family::Suggestion,
        Severity::Hint,
        "A defensive check would make this safer.",
    ),
    (
        "SUGGEST_EDGE_CASE",
        Family::Suggestion,
        Severity::Hint,
        "An edge case that should be handled or tested.",
    ),
    (
        "SUGGEST_VALIDATION",
        Family::Suggestion,
        Severity::Hint,
        "Input that should be validated.",
    ),
    (
        "POTENTIAL_ISSUE",
        Family::Suggestion,
        Severity::Hint,
        "A possible problem noticed along the way, worth a follow-up.",
    ),
    (
        "Potential_Issue",
        Family::Suggestion,
        Severity::Hint,
        "A problem outside the task's scope, worth a follow-up (written in this mixed case).",
    ),
    (
        "ARCHITECTURE_DECISION",
        Family::Decision,
        Severity::Hint,
        "A choice about the structure of the system, recorded.",
    ),
    (
        "FILE_CREATED",
        Family::Claim,
        Severity::Information,
        "A file the author says they created.",
    ),
    (
        "FILE_MODIFIED",
        Family::Claim,
        Severity::Information,
        "A file the author says they modified.",
    ),
    (
        "SCREENSHOT_CLAIMED",
        Family::Claim,
        Severity::Information,
        "A screenshot the author says they captured.",
    ),
    (
        "VERIFIED",
        Family::Verdict,
        Severity::Hint,
        "Checked and found true.",
    ),
    (
        "FAILED_VERIFICATION",
        Family::Verdict,
        Severity::Error,
        "Checked and found false.",
    ),
    (
        "CANNOT_VERIFY_WITHOUT_RUNTIME",
        Family::Verdict,
        Severity::Information,
        "Can only be checked by running the program; a person must look.",
    ),
];

impl Default for Registry {
    fn default() -> Self {
        Registry::builtin()
    }
}

impl Registry {
    /// The built-in tags of the method.
    pub fn builtin() -> Registry {
        let mut reg = Registry {
            defs: Vec::new(),
            by_name: HashMap::new(),
            review: Default::default(),
        };
        for &(name, family, severity, description) in BUILTIN {
            reg.insert(TagDef {
                name: name.to_owned(),
                family,
                severity,
                description: description.to_owned(),
            });
        }
        reg
    }

    /// Adds a tag, replacing any existing definition of the same name.
    pub fn insert(&mut self, def: TagDef) {
        match self.by_name.get(&def.name) {
            Some(&i) => self.defs[i] = def,
            None => {
                self.by_name.insert(def.name.clone(), self.defs.len());
                self.defs.push(def);
            }
        }
    }

    /// Takes a tag out of the registry.
    pub fn remove(&mut self, name: &str) {
        self.review.remove(name);
        if self.by_name.remove(name).is_some() {
            self.defs.retain(|d| d.name != name);
            self.by_name = self
                .defs
                .iter()
                .enumerate()
                .map(|(i, d)| (d.name.clone(), i))
                .collect();
        }
    }

    /// Marks a registered tag as one that a person must review while it
    /// stays (`true`), or takes the mark off.
    pub fn set_review(&mut self, name: &str, on: bool) {
        if on && self.by_name.contains_key(name) {
            self.review.insert(name.to_owned());
        } else {
            self.review.remove(name);
        }
    }

    /// Whether a tag keeps the verdict CONDITIONAL while it stays.
    pub fn needs_review(&self, name: &str) -> bool {
        self.review.contains(name)
    }

    pub fn get(&self, name: &str) -> Option<&TagDef> {
        self.by_name.get(name).map(|&i| &self.defs[i])
    }

    pub fn defs(&self) -> &[TagDef] {
        &self.defs
    }

    /// The registered name closest to an unknown one, if it is close enough
    /// to be a typo of it.
    pub fn closest(&self, unknown: &str) -> Option<&TagDef> {
        let budget = (unknown.len() / 5).clamp(1, 3);
        // An edit changes at most one letter of each name, so the distance
        // is at least the letters one name has more of than the other (tag
        // names are ASCII): only names within the budget of that are
        // compared.
        let bag = |name: &str| {
            let mut counts = [0i16; 128];
            for b in name.bytes() {
                counts[usize::from(b & 0x7f)] += 1;
            }
            counts
        };
        let mine = bag(unknown);
        let near = |name: &str| {
            let theirs = bag(name);
            let (mut more, mut fewer) = (0, 0);
            for (a, b) in mine.iter().zip(theirs.iter()) {
                if a > b {
                    more += a - b;
                } else {
                    fewer += b - a;
                }
            }
            more.max(fewer) as usize <= budget
        };
        self.defs
            .iter()
            .filter(|d| near(&d.name))
            .map(|d| (strsim::damerau_levenshtein(unknown, &d.name), d))
            .filter(|&(dist, _)| dist <= budget)
            .min_by_key(|&(dist, d)| (dist, d.name.len()))
            .map(|(_, d)| d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_find_their_tag() {
        let reg = Registry::builtin();
        assert_eq!(
            reg.closest("COMPLETION_DIRVE").unwrap().name,
            "COMPLETION_DRIVE"
        );
        assert_eq!(reg.closest("FILE_CRATED").unwrap().name, "FILE_CREATED");
        assert_eq!(reg.closest("VERIFED").unwrap().name, "VERIFIED");
        assert!(reg.closest("QUESTION_SUPPRESSION").is_none());
        assert!(reg.closest("TODO").is_none());
    }

    #[test]
    fn every_builtin_tag_has_a_family_and_description() {
        let reg = Registry::builtin();
        assert_eq!(reg.defs().len(), 50);
        for fam in Family::ALL {
            assert!(reg.defs().iter().any(|d| d.family == fam), "{fam:?}");
        }
        assert_eq!(
            reg.get("FAILED_VERIFICATION").unwrap().severity,
            Severity::Error
        );
    }
}
