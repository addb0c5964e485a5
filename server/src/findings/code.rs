//! The one list of finding codes: each code's stable name, what it means
//! for the gate, how the gate's summary counts it, the rule's text and what
//! a person does about it. Every face (the server, `tagls check`, the
//! report, SARIF) reads these; none spells a code itself.

use serde::{Deserialize, Serialize};

use crate::tags::{Family, Registry};

/// The method's verdict on a workspace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Verdict {
    Passed,
    Conditional,
    Blocked,
}

impl Verdict {
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Passed => "PASSED",
            Verdict::Conditional => "CONDITIONAL",
            Verdict::Blocked => "BLOCKED",
        }
    }
}

/// What a finding is about: a registered tag (by its family) or a check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    /// A registered tag; its code is its family's name.
    Tag(Family),
    /// An unregistered, tag-shaped name.
    UnknownTag,
    /// A path in a tag that does not exist.
    MissingPath,
    /// A path in a tag (or a claim) that leaves the workspace.
    OutsideWorkspace,
    /// A file name in a tag that several files have.
    AmbiguousPath,
    /// An environment variable a tag names that no env file defines.
    MissingEnv,
    /// An environment variable the code reads that no env file defines.
    UndeclaredEnv,
    /// A claim that the workspace contradicts: a missing file, a wrong line
    /// count, a screenshot that is not an image.
    FalseClaim,
    /// A `Verification:` recipe that fails when tagls evaluates it.
    VerificationFailed,
    /// A `Verification:` recipe tagls cannot evaluate, or a file it cannot
    /// read.
    Unverifiable,
    /// A field or claim that tagls cannot read, such as `Lines affected: most`.
    BadField,
    /// The workspace uses tags, but its implementation log is missing, empty
    /// or holds no claim.
    MissingLog,
    /// An assumption that names nothing tagls can check.
    UncheckedAssumption,
    /// Files git reports changed that no log entry mentions: one finding
    /// for them all.
    UnloggedChange,
    /// A source file tagls did not parse (too large or binary) that holds a
    /// tag-shaped text (`#NAME:`) in the bytes it read.
    SkippedFile,
    /// A Jupyter notebook that is not valid JSON or not the shape nbformat
    /// writes: its tags are not checked. One finding, at the bad place.
    BadNotebook,
    /// Visual work (a change to UI files) with no screenshot in the log.
    MissingScreenshot,
    /// A screenshot waived by `CANNOT_CAPTURE_SECURITY_POLICY`: a person
    /// must look at the visual change.
    ScreenshotWaived,
    /// A configuration file that cannot be used.
    Config,
    /// The phase state file (`phase_state.json`) is not JSON, or not the
    /// shape the method writes: one finding, at the bad place.
    BadPhaseState,
    /// A gate's `gate_decision` is not `PASS`, `CAUTION` or `FAIL`.
    BadGateDecision,
    /// A gate of the phase state decided `FAIL`.
    GateFailed,
    /// A gate of the phase state decided `CAUTION`.
    GateCaution,
    /// A gate that needs evidence (the design gate) decided `PASS` with no
    /// evidence path.
    MissingEvidence,
    /// An evidence path of a gate that is missing, empty, outside the
    /// workspace or not what it claims to be (an image that is not one).
    BadEvidence,
    /// An open `ra_events` entry whose tag is no longer in its file.
    StaleEvent,
    /// A `files_modified` entry of a phase that does not exist.
    MissingModifiedFile,
    /// An assumption tag in code that no `ra_events` entry records.
    UnrecordedAssumption,
    /// The text between a tag's brackets is not a due date
    /// (`#COMPLETION_DRIVE[2026-13-45]:`).
    BadDueDate,
    /// A tag past its due date.
    Overdue,
}

impl Code {
    /// The checks, in the order documentation lists them: the codes a
    /// `[checks]` table may name.
    pub const CHECKS: [Code; 28] = [
        Code::UnknownTag,
        Code::MissingPath,
        Code::OutsideWorkspace,
        Code::AmbiguousPath,
        Code::MissingEnv,
        Code::UndeclaredEnv,
        Code::FalseClaim,
        Code::VerificationFailed,
        Code::Unverifiable,
        Code::BadField,
        Code::MissingLog,
        Code::UncheckedAssumption,
        Code::UnloggedChange,
        Code::SkippedFile,
        Code::BadNotebook,
        Code::MissingScreenshot,
        Code::ScreenshotWaived,
        Code::BadPhaseState,
        Code::BadGateDecision,
        Code::GateFailed,
        Code::GateCaution,
        Code::MissingEvidence,
        Code::BadEvidence,
        Code::StaleEvent,
        Code::MissingModifiedFile,
        Code::UnrecordedAssumption,
        Code::BadDueDate,
        Code::Overdue,
    ];

    /// The stable name: a diagnostic's `code`, a JSON finding's `code`, a
    /// SARIF rule's id.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Tag(family) => family.name(),
            Code::UnknownTag => "unknown-tag",
            Code::MissingPath => "missing-path",
            Code::OutsideWorkspace => "outside-workspace",
            Code::AmbiguousPath => "ambiguous-path",
            Code::MissingEnv => "missing-env",
            Code::UndeclaredEnv => "undeclared-env",
            Code::FalseClaim => "false-claim",
            Code::VerificationFailed => "verification-failed",
            Code::Unverifiable => "unverifiable",
            Code::BadField => "bad-field",
            Code::MissingLog => "missing-log",
            Code::UncheckedAssumption => "unchecked-assumption",
            Code::UnloggedChange => "unlogged-change",
            Code::SkippedFile => "skipped-file",
            Code::BadNotebook => "bad-notebook",
            Code::MissingScreenshot => "missing-screenshot",
            Code::ScreenshotWaived => "screenshot-waived",
            Code::Config => "config",
            Code::BadPhaseState => "bad-phase-state",
            Code::BadGateDecision => "bad-gate-decision",
            Code::GateFailed => "gate-failed",
            Code::GateCaution => "gate-caution",
            Code::MissingEvidence => "missing-evidence",
            Code::BadEvidence => "bad-evidence",
            Code::StaleEvent => "stale-event",
            Code::MissingModifiedFile => "missing-modified-file",
            Code::UnrecordedAssumption => "unrecorded-assumption",
            Code::BadDueDate => "bad-due-date",
            Code::Overdue => "overdue",
        }
    }

    /// The code with this name.
    pub fn parse(name: &str) -> Option<Code> {
        Code::CHECKS
            .into_iter()
            .chain(Family::ALL.map(Code::Tag))
            .chain([Code::Config])
            .find(|c| c.as_str() == name)
    }

    /// What a finding with this code means for the gate, given the tag it
    /// is about and that tag's family (`None` when the tag is not
    /// registered or there is none). A tag the registry does not know
    /// never changes the verdict.
    pub fn gate(self, tag: &str, family: Option<Family>) -> Option<Verdict> {
        match self {
            Code::FalseClaim
            | Code::VerificationFailed
            | Code::MissingLog
            | Code::MissingScreenshot
            | Code::BadPhaseState
            | Code::BadGateDecision
            | Code::GateFailed
            | Code::MissingEvidence
            | Code::BadEvidence
            | Code::StaleEvent
            | Code::MissingModifiedFile => Some(Verdict::Blocked),
            Code::MissingPath | Code::OutsideWorkspace | Code::MissingEnv
                if matches!(family, Some(Family::Assumption | Family::Claim)) =>
            {
                Some(Verdict::Blocked)
            }
            Code::Tag(Family::Verdict) if tag == "FAILED_VERIFICATION" => Some(Verdict::Blocked),
            Code::Tag(Family::Verdict) if tag == "CANNOT_VERIFY_WITHOUT_RUNTIME" => {
                Some(Verdict::Conditional)
            }
            Code::Unverifiable
            | Code::AmbiguousPath
            | Code::UncheckedAssumption
            | Code::SkippedFile
            | Code::BadNotebook
            | Code::ScreenshotWaived
            | Code::GateCaution
            | Code::UnrecordedAssumption => Some(Verdict::Conditional),
            _ => None,
        }
    }

    /// How the gate's one-line reason counts findings of this code.
    pub fn gate_label(self, tag: &str) -> &'static str {
        match self {
            Code::FalseClaim => "false claim(s)",
            Code::VerificationFailed => "failed verification recipe(s)",
            Code::MissingLog => "missing or empty implementation log",
            Code::MissingPath => "missing path(s)",
            Code::OutsideWorkspace => "path(s) outside the workspace",
            Code::MissingEnv => "undefined environment variable(s)",
            Code::AmbiguousPath => "ambiguous file name(s)",
            Code::Unverifiable => "recipe(s) to check by hand",
            Code::UncheckedAssumption => "assumption(s) naming nothing checkable",
            Code::SkippedFile => "skipped file(s) that may hold tags",
            Code::BadNotebook => "unreadable notebook(s)",
            Code::MissingScreenshot => "visual change(s) without a screenshot",
            Code::ScreenshotWaived => "waived screenshot(s) to check by hand",
            Code::BadPhaseState => "unreadable phase state",
            Code::BadGateDecision => "unreadable gate decision(s)",
            Code::GateFailed => "gate(s) that decided FAIL",
            Code::GateCaution => "gate(s) that decided CAUTION",
            Code::MissingEvidence => "PASS decision(s) without evidence",
            Code::BadEvidence => "missing or invalid evidence file(s)",
            Code::StaleEvent => "phase event(s) whose tag is gone",
            Code::MissingModifiedFile => "missing modified file(s) in the phase state",
            Code::UnrecordedAssumption => "assumption(s) no phase event records",
            Code::Tag(Family::Verdict) if tag == "FAILED_VERIFICATION" => {
                "#FAILED_VERIFICATION item(s)"
            }
            Code::Tag(Family::Verdict) => "item(s) that need a runtime check",
            Code::Tag(_) => "high-risk tag(s) to review",
            _ => "finding(s)",
        }
    }

    /// The rule in a sentence (SARIF's short description).
    pub fn rule(self) -> &'static str {
        match self {
            Code::Tag(Family::Assumption) => "An assumption: believed but not checked",
            Code::Tag(Family::Pattern) => "A suspicious habit the author flagged",
            Code::Tag(Family::Suggestion) => "A follow-up someone should do",
            Code::Tag(Family::Decision) => "A recorded decision",
            Code::Tag(Family::Claim) => "A claim of work done",
            Code::Tag(Family::Verdict) => "The outcome of a verification",
            Code::UnknownTag => "A tag-shaped name that is not registered",
            Code::MissingPath => "A path a tag names does not exist",
            Code::OutsideWorkspace => "A path a tag names leaves the workspace",
            Code::AmbiguousPath => "A file name a tag names matches several files",
            Code::MissingEnv => "An environment variable a tag names is in no env file",
            Code::UndeclaredEnv => "An environment variable the code reads is in no env file",
            Code::FalseClaim => "A claim in the implementation log is false",
            Code::VerificationFailed => "A verification recipe in the log fails",
            Code::Unverifiable => "A verification recipe tagls cannot evaluate",
            Code::BadField => "A field of a log entry cannot be read",
            Code::MissingLog => {
                "The workspace uses tags but its implementation log is missing, empty or holds no claim"
            }
            Code::UncheckedAssumption => "An assumption that names nothing checkable",
            Code::UnloggedChange => "Files git reports changed that no log entry mentions",
            Code::SkippedFile => {
                "A file too large or binary to parse holds a tag-shaped text that tagls did not check"
            }
            Code::BadNotebook => {
                "A Jupyter notebook is not valid JSON or not the shape nbformat writes, so its tags are not checked"
            }
            Code::MissingScreenshot => {
                "Visual work (a change to UI files) has no screenshot in the log"
            }
            Code::ScreenshotWaived => {
                "A screenshot was waived by a security policy: a person must check the visual change"
            }
            Code::Config => "A configuration file that cannot be used",
            Code::BadPhaseState => {
                "The phase state file is not JSON, or not the shape the method writes"
            }
            Code::BadGateDecision => "A gate's decision is not PASS, CAUTION or FAIL",
            Code::GateFailed => "A gate of the phase state decided FAIL",
            Code::GateCaution => "A gate of the phase state decided CAUTION",
            Code::MissingEvidence => "A gate that needs evidence decided PASS without any",
            Code::BadEvidence => {
                "An evidence file of a gate is missing, empty, outside the workspace or not what it claims to be"
            }
            Code::StaleEvent => "An open phase event names a tag that is no longer in its file",
            Code::MissingModifiedFile => "A file a phase lists as modified does not exist",
            Code::UnrecordedAssumption => "An assumption in code that no phase event records",
            Code::BadDueDate => "The text between a tag's brackets is not a due date (YYYY-MM-DD)",
            Code::Overdue => "A tag is past its due date",
        }
    }

    /// What has to change for a finding to go away; `subject` is the text
    /// it is on (a path, a variable, a claim).
    pub fn fix_text(self, subject: &str) -> String {
        match self {
            Code::FalseClaim => {
                "Correct the claim to match the file, or finish the work it claims.".to_owned()
            }
            Code::VerificationFailed => "Make the recipe pass, or correct it.".to_owned(),
            Code::MissingPath => {
                format!("Create {subject}, correct the path, or drop the assumption.")
            }
            Code::OutsideWorkspace => {
                "Point the reference inside the workspace; tagls does not look outside it."
                    .to_owned()
            }
            Code::MissingEnv => format!("Add {subject}= to .env.example, or correct the name."),
            Code::MissingLog => {
                "Create the log and record the work (`tagls log created <path>`).".to_owned()
            }
            Code::Tag(Family::Verdict) => {
                "Fix what failed, then replace the tag with #VERIFIED.".to_owned()
            }
            Code::Unverifiable => "Run the recipe by hand and record the result.".to_owned(),
            Code::AmbiguousPath => "Name the file by its path from the workspace root.".to_owned(),
            Code::UncheckedAssumption => {
                "Check the assumption by hand, then remove the tag or record the check.".to_owned()
            }
            Code::UnloggedChange => {
                "Log the file (`tagls log created|modified <path>`), or revert it.".to_owned()
            }
            Code::SkippedFile => {
                "Check its tags by hand, move them to a smaller file, or raise max-file-size."
                    .to_owned()
            }
            Code::BadNotebook => {
                "Correct the notebook at the place named (Jupyter saves valid notebooks), or check its tags by hand."
                    .to_owned()
            }
            Code::UnknownTag => {
                "Correct the spelling, or register the tag in .tagls.toml.".to_owned()
            }
            Code::MissingScreenshot => "Capture the change under .orchestration/evidence/ and log it (`tagls log screenshot <path>`).".to_owned(),
            Code::ScreenshotWaived => "Look at the visual change yourself, or capture a screenshot where the policy allows.".to_owned(),
            Code::BadPhaseState => "Correct the file at the place named; nothing else in it is checked until it reads.".to_owned(),
            Code::BadGateDecision => "Write PASS, CAUTION or FAIL.".to_owned(),
            Code::GateFailed => "Fix what the gate found and decide it again.".to_owned(),
            Code::GateCaution => "Look at what the gate flagged, then decide PASS or FAIL.".to_owned(),
            Code::MissingEvidence => "Capture the evidence (a screenshot) and list it in evidence_paths.".to_owned(),
            Code::BadEvidence => format!("Capture {subject} again inside the workspace, or correct the path."),
            Code::StaleEvent => "Mark the event \"resolved\": true, or put the tag back.".to_owned(),
            Code::MissingModifiedFile => format!("Create {subject}, or correct the list."),
            Code::UnrecordedAssumption => "Record the assumption as an ra_events entry of the phase, or resolve and remove the tag.".to_owned(),
            Code::BadDueDate => "Write the date as YYYY-MM-DD (`#COMPLETION_DRIVE[2026-03-01]:`), or drop the brackets.".to_owned(),
            Code::Overdue => "Settle what the tag is about and remove it, or set a new date if it may wait.".to_owned(),
            _ => "Review it.".to_owned(),
        }
    }

    /// Text that gives a finding with this code (`tagls explain`, docs/CHECK.md).
    pub fn example(self) -> &'static str {
        match self {
            Code::Tag(Family::Assumption) => {
                "// #COMPLETION_DRIVE: Assuming UserService exists at src/services/user.service.ts"
            }
            Code::Tag(Family::Pattern) => {
                "// #CARGO_CULT: copied the retry loop from the payments client"
            }
            Code::Tag(Family::Suggestion) => {
                "// #SUGGEST_VALIDATION: check the email format before saving"
            }
            Code::Tag(Family::Decision) => {
                "// #PATH_DECISION: sessions live in Redis, not in the database"
            }
            Code::Tag(Family::Claim) => {
                "#FILE_CREATED: src/api/routes/auth.ts (26 lines)   (an entry of the log)"
            }
            Code::Tag(Family::Verdict) => {
                "# #CANNOT_VERIFY_WITHOUT_RUNTIME: needs a running database"
            }
            Code::UnknownTag => "// #COMPLETION_DIRVE: Assuming the cache is warm   (misspelt)",
            Code::MissingPath => {
                "// #COMPLETION_DRIVE: Assuming src/config/rate-limit.ts exists   (no such file)"
            }
            Code::OutsideWorkspace => {
                "// #COMPLETION_DRIVE: Assuming ../shared/auth.ts exports verify()"
            }
            Code::AmbiguousPath => {
                "// #COMPLETION_DRIVE: Assuming index.ts exports the router   (src/index.ts and lib/index.ts exist)"
            }
            Code::MissingEnv => {
                "// #COMPLETION_DRIVE: Assuming process.env.RATE_LIMIT_MAX is set   (no env file defines it)"
            }
            Code::UndeclaredEnv => "const port = process.env.PORT   (no env file defines PORT)",
            Code::FalseClaim => {
                "#FILE_CREATED: src/a.ts (156 lines)   (in the log, while src/a.ts has 2 lines)"
            }
            Code::VerificationFailed => {
                "Verification: grep \"model User\" prisma/schema.prisma   (under a log entry; the file has no such text)"
            }
            Code::Unverifiable => {
                "Verification: Runtime test required   (under a log entry: a person must run it)"
            }
            Code::BadField => "Lines affected: most of the file   (under #FILE_MODIFIED)",
            Code::MissingLog => {
                "// #COMPLETION_DRIVE: ...   (in code, while .orchestration/implementation-log.md is missing or holds no #FILE_CREATED, #FILE_MODIFIED or #SCREENSHOT_CLAIMED)"
            }
            Code::UncheckedAssumption => {
                "// #COMPLETION_DRIVE: Assuming the API returns {token, user}"
            }
            Code::UnloggedChange => {
                "src/b.ts changed (git status) and no entry of the log names it"
            }
            Code::SkippedFile => {
                "// #COMPLETION_DRIVE: ...   (in a 3 MiB generated bundle, over max-file-size)"
            }
            Code::BadNotebook => {
                "{ \"cells\": [ { \"cell_type\": \"code\", \"source\": 3 } ] }   (analysis.ipynb: a source that is not text)"
            }
            Code::MissingScreenshot => {
                "#FILE_MODIFIED: src/components/LoginForm.tsx   (and no #SCREENSHOT_CLAIMED in the log)"
            }
            Code::ScreenshotWaived => "#SCREENSHOT_CLAIMED: CANNOT_CAPTURE_SECURITY_POLICY",
            Code::Config => "[checks] missing-pth = \"warning\"   (in .tagls.toml: no such check)",
            Code::BadPhaseState => {
                "{ \"implementation\": { \"ra_events\": [ { \"tag\": \"#COMPLETION_DRIVE\", } ] } }   (phase_state.json: a trailing comma)"
            }
            Code::BadGateDecision => {
                "\"gates\": { \"design_qa\": { \"gate_decision\": \"OK\" } }   (in phase_state.json)"
            }
            Code::GateFailed => {
                "\"gates\": { \"code_review\": { \"gate_decision\": \"FAIL\" } }   (in phase_state.json)"
            }
            Code::GateCaution => {
                "\"gates\": { \"code_review\": { \"gate_decision\": \"CAUTION\" } }   (in phase_state.json)"
            }
            Code::MissingEvidence => {
                "\"gates\": { \"design_qa\": { \"gate_decision\": \"PASS\" } }   (in phase_state.json: no evidence_paths)"
            }
            Code::BadEvidence => {
                "\"evidence_paths\": [\".claude/orchestration/evidence/after.png\"]   (in phase_state.json; the file is missing, empty or not an image)"
            }
            Code::StaleEvent => {
                "{ \"tag\": \"#COMPLETION_DRIVE\", \"file\": \"src/cart.ts\", \"resolved\": false }   (in phase_state.json; src/cart.ts no longer has the tag)"
            }
            Code::MissingModifiedFile => {
                "\"files_modified\": [\"src/old.ts\"]   (in phase_state.json; no such file)"
            }
            Code::UnrecordedAssumption => {
                "// #COMPLETION_DRIVE: Assuming prices include VAT   (in code; no ra_events entry of phase_state.json records it)"
            }
            Code::BadDueDate => "// #COMPLETION_DRIVE[2026-13-45]: Assuming the v1 API stays up",
            Code::Overdue => {
                "// #COMPLETION_DRIVE[2001-01-01]: Assuming the v1 API stays up   (a date that has passed)"
            }
        }
    }

    /// The text [`Code::example`] is about, as [`Code::fix_text`] takes it.
    pub fn example_subject(self) -> &'static str {
        match self {
            Code::MissingPath => "src/config/rate-limit.ts",
            Code::MissingEnv => "RATE_LIMIT_MAX",
            Code::Tag(_)
            | Code::UnknownTag
            | Code::OutsideWorkspace
            | Code::AmbiguousPath
            | Code::UndeclaredEnv
            | Code::FalseClaim
            | Code::VerificationFailed
            | Code::Unverifiable
            | Code::BadField
            | Code::MissingLog
            | Code::UncheckedAssumption
            | Code::UnloggedChange
            | Code::SkippedFile
            | Code::BadNotebook
            | Code::MissingScreenshot
            | Code::ScreenshotWaived
            | Code::Config
            | Code::BadPhaseState
            | Code::BadGateDecision
            | Code::GateFailed
            | Code::GateCaution
            | Code::MissingEvidence
            | Code::StaleEvent
            | Code::UnrecordedAssumption
            | Code::BadDueDate
            | Code::Overdue => "",
            Code::BadEvidence => ".claude/orchestration/evidence/after.png",
            Code::MissingModifiedFile => "src/old.ts",
        }
    }

    /// How a finding with this code is turned off or made quieter
    /// (docs/CONFIG.md: `[checks]`, `[families]`, `[tags.NAME]`, inline
    /// suppressions).
    pub fn silence_text(self) -> String {
        let inline = "In code, a `tagls: ignore-next-line` comment silences the line below it, and `tagls: ignore-file` the whole file.";
        match self {
            Code::Tag(family) => format!(
                "In .tagls.toml: `[families]` `{family} = \"off\"` drops every {family} tag's own finding; `[tags.NAME]` `severity = \"off\"` one tag's, `enabled = false` takes the tag out. A severity (\"error\", \"warning\", \"information\", \"hint\") changes how it is shown, not the verdict. {inline}",
                family = family.name()
            ),
            Code::UnknownTag
            | Code::MissingPath
            | Code::OutsideWorkspace
            | Code::AmbiguousPath
            | Code::MissingEnv
            | Code::UndeclaredEnv
            | Code::FalseClaim
            | Code::VerificationFailed
            | Code::Unverifiable
            | Code::BadField
            | Code::MissingLog
            | Code::UncheckedAssumption
            | Code::UnloggedChange
            | Code::SkippedFile
            | Code::BadNotebook
            | Code::MissingScreenshot
            | Code::ScreenshotWaived
            | Code::BadPhaseState
            | Code::BadGateDecision
            | Code::GateFailed
            | Code::GateCaution
            | Code::MissingEvidence
            | Code::BadEvidence
            | Code::StaleEvent
            | Code::MissingModifiedFile
            | Code::UnrecordedAssumption
            | Code::BadDueDate
            | Code::Overdue => format!(
                "In .tagls.toml: `[checks]` `{self} = \"off\"` drops it from the editor and from `tagls check`, and then it does not count towards the verdict; a severity (\"error\", \"warning\", \"information\", \"hint\") changes how it is shown, not the verdict. {inline}"
            ),
            Code::Config => "It cannot be silenced: fix the file. The editor keeps the file's last good version in force meanwhile; `tagls check` stops with exit status 2.".to_owned(),
        }
    }

    /// What a finding with this code does to the verdict, in words, for the
    /// tags of `registry`: read from [`Code::gate`], never stated apart.
    pub fn effect_text(self, registry: &Registry) -> String {
        // Every registered tag a finding of this code can be on, and none.
        let tags: Vec<(&str, Option<Family>)> = registry
            .defs()
            .iter()
            .filter(|d| !matches!(self, Code::Tag(f) if f != d.family))
            .map(|d| (d.name.as_str(), Some(d.family)))
            .collect();
        let untagged = match self {
            Code::Tag(_) => None,
            _ => Some(self.gate("", None)),
        };
        let outcomes: Vec<Option<Verdict>> = tags
            .iter()
            .map(|(t, f)| self.gate(t, *f))
            .chain(untagged)
            .collect();
        let words = |v: Option<Verdict>| match v {
            Some(Verdict::Blocked) => "BLOCKS the verdict",
            Some(Verdict::Conditional) => {
                "makes the verdict CONDITIONAL (a person must look), unless something blocks"
            }
            _ => "informational: it does not change the verdict",
        };
        if outcomes.windows(2).all(|w| w[0] == w[1]) {
            let v = outcomes.first().copied().flatten();
            return match v {
                Some(_) => format!("Always {}.", words(v)),
                None => format!("{}{}.", words(v)[..1].to_uppercase(), &words(v)[1..]),
            };
        }
        // Where the outcome differs: by family where a whole family agrees,
        // else by tag.
        let mut parts = Vec::new();
        for v in [Some(Verdict::Blocked), Some(Verdict::Conditional)] {
            let mut on: Vec<String> = Vec::new();
            for family in Family::ALL {
                let of: Vec<&str> = tags
                    .iter()
                    .filter(|(_, f)| *f == Some(family))
                    .map(|(t, _)| *t)
                    .collect();
                let hit: Vec<&str> = of
                    .iter()
                    .copied()
                    .filter(|t| self.gate(t, Some(family)) == v)
                    .collect();
                if hit.is_empty() {
                    continue;
                }
                if hit.len() == of.len() && !matches!(self, Code::Tag(_)) {
                    on.push(family.name().to_owned());
                } else {
                    on.extend(hit.iter().map(|t| format!("#{t}")));
                }
            }
            if !on.is_empty() {
                let what = match v {
                    Some(Verdict::Blocked) => "BLOCKS the verdict",
                    _ => "makes it CONDITIONAL",
                };
                let last = on.pop().unwrap_or_default();
                let on = if on.is_empty() {
                    last
                } else {
                    format!("{} and {last}", on.join(", "))
                };
                let on = if matches!(self, Code::Tag(_)) {
                    on
                } else {
                    format!("{on} tags")
                };
                parts.push(format!("{what} on {on}"));
            }
        }
        format!(
            "{}; otherwise informational: it does not change the verdict.",
            parts.join("; ")
        )
    }

    /// What a finding with this code means, given the registry: the tag's
    /// family is looked up for the gate.
    pub fn gate_with(self, tag: &str, registry: &Registry) -> Option<Verdict> {
        // A tag that a person must review (a dialect's high-risk tag, or one
        // configured so) holds the gate while it stays.
        if matches!(self, Code::Tag(_)) && registry.needs_review(tag) {
            return Some(Verdict::Conditional);
        }
        self.gate(tag, registry.get(tag).map(|d| d.family))
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Code {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Code, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Code::parse(&name).ok_or_else(|| serde::de::Error::custom(format!("unknown code {name}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_reads_back_from_its_name() {
        for code in Code::CHECKS
            .into_iter()
            .chain(Family::ALL.map(Code::Tag))
            .chain([Code::Config])
        {
            assert_eq!(Code::parse(code.as_str()), Some(code));
            assert_ne!(code.rule(), "", "{code}");
        }
        assert_eq!(Code::parse("missing-pth"), None);
    }

    #[test]
    fn the_gate_by_code() {
        assert_eq!(
            Code::FalseClaim.gate("FILE_CREATED", Some(Family::Claim)),
            Some(Verdict::Blocked)
        );
        assert_eq!(
            Code::MissingPath.gate("CARGO_CULT", Some(Family::Pattern)),
            None
        );
        assert_eq!(
            Code::MissingPath.gate("COMPLETION_DRIVE", Some(Family::Assumption)),
            Some(Verdict::Blocked)
        );
        assert_eq!(
            Code::Tag(Family::Verdict).gate("CANNOT_VERIFY_WITHOUT_RUNTIME", Some(Family::Verdict)),
            Some(Verdict::Conditional)
        );
        assert_eq!(Code::UndeclaredEnv.gate("", None), None);
        assert_eq!(Code::SkippedFile.gate("", None), Some(Verdict::Conditional));
        // Unknown tags never change the verdict, whatever they name.
        assert_eq!(Code::MissingPath.gate("MY_NOTE", None), None);
        assert_eq!(
            Code::MissingScreenshot.gate("", None),
            Some(Verdict::Blocked)
        );
    }
}
