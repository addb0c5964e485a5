//! A document's analysis: its tags, and what the references in them (and
//! the env uses in its code) resolve to in the workspace. The LSP layer and
//! the command line both render this.

use std::path::Path;
use std::sync::Arc;

use crate::config::Settings;
use crate::document::{Document, Suppression};
use crate::findings::{self, Finding};
use crate::log::LogDoc;
use crate::log::check::Check;
use crate::log::git::GitState;
use crate::resolve::{self, RefKind, Reference, Resolved};
use crate::tags::{Registry, Tag, due};
use crate::text::TextRange;
use crate::workspace::model::Workspace;

/// Everything tagls knows about one document.
#[derive(Clone, Debug, Default)]
pub struct Analysis {
    pub tags: Arc<[Tag]>,
    /// References in tag payloads, in document order.
    pub tag_refs: Arc<[Resolved]>,
    /// Environment variables the code reads.
    pub env_uses: Arc<[Resolved]>,
    /// In the implementation log: what each claim check found.
    pub checks: Arc<[Check]>,
    /// Lines that `tagls: ignore-next-line` silences, as byte ranges.
    pub suppressed: Arc<[TextRange]>,
    /// For a file that is not parsed ([`Skip`]) but may hold tags: the
    /// finding that says so.
    pub skipped: Option<Finding>,
    /// In the phase state: where its values lead (an event to its tag in
    /// code, an evidence path to its file).
    pub links: Arc<[crate::phase::Link]>,
}

impl Analysis {
    /// Everything to report, in document order, after the configuration's
    /// severities and the inline suppressions: what the editor shows for
    /// the document and what `tagls check` reports for its file.
    ///
    /// Token-shaped values in messages (a tag's payload is quoted in its
    /// finding) are hidden here, so that no face shows one.
    ///
    /// Whether a due date has passed depends on the day: it is decided here,
    /// on [`due::today`], each time findings are made.
    pub fn findings(&self, settings: &Settings) -> Vec<Finding> {
        self.findings_on(settings, due::today())
    }

    /// [`Analysis::findings`] on the day `today`.
    pub fn findings_on(&self, settings: &Settings, today: jiff::civil::Date) -> Vec<Finding> {
        let mut all = self.raw_findings_on(&settings.registry, today);
        all.retain(|f| {
            !self
                .suppressed
                .iter()
                .any(|r| r.contains_inclusive(f.range.start))
        });
        for f in &mut all {
            f.message = crate::secrets::redact_string(std::mem::take(&mut f.message));
        }
        settings.apply(all)
    }

    /// Everything to report, as found, before configuration, on
    /// [`due::today`].
    pub fn raw_findings(&self, registry: &Registry) -> Vec<Finding> {
        self.raw_findings_on(registry, due::today())
    }

    /// Everything to report, as found on the day `today`, before
    /// configuration.
    pub fn raw_findings_on(&self, registry: &Registry, today: jiff::civil::Date) -> Vec<Finding> {
        // In document order, as the tags are.
        let mut unchecked: Vec<usize> = self
            .unchecked_assumptions(registry)
            .iter()
            .map(|t| t.name_range.start)
            .collect();
        unchecked.sort_unstable();
        let mut all = findings::for_tags_with(self.tags.iter(), registry, |t| {
            unchecked.binary_search(&t.name_range.start).is_ok()
        });
        all.extend(findings::for_references(self.tag_refs.iter(), false));
        all.extend(findings::for_references(self.env_uses.iter(), true));
        all.extend(findings::for_due_dates(self.tags.iter(), today));
        // A check that starts on a tag says more than the tag's own
        // finding there (`#FILE_CREATED:` with no path is a `bad-field`):
        // one finding for the tag.
        let checks: Vec<Finding> = self
            .checks
            .iter()
            .filter_map(|c| c.finding.clone())
            .collect();
        all.retain(|f| {
            !matches!(f.code, findings::Code::Tag(_))
                || !checks
                    .iter()
                    .any(|c| c.range.start == f.range.start && c.tag == f.tag)
        });
        all.extend(checks);
        all.extend(self.skipped.clone());
        // A reference's finding carries the tag it was found in, for the gate.
        for f in all.iter_mut().filter(|f| f.tag.is_empty()) {
            if let Some(t) = self.tags.iter().find(|t| t.payload_range.touches(f.range)) {
                f.tag = t.name.clone();
            }
        }
        all.sort_by_key(|f| f.range.start);
        all
    }

    /// Assumption tags that name nothing tagls can check: no path, module or
    /// variable in their payload.
    pub fn unchecked_assumptions(&self, registry: &Registry) -> Vec<&Tag> {
        self.tags
            .iter()
            .filter(|t| {
                registry
                    .get(&t.name)
                    .is_some_and(|d| d.family == crate::tags::Family::Assumption)
            })
            .filter(|t| {
                let named = |r: &crate::text::TextRange| t.payload_range.touches(*r);
                // A log entry whose recipe or references were checked names
                // something checkable, whatever the check found.
                !self.tag_refs.iter().any(|r| named(&r.reference.range))
                    && !self
                        .checks
                        .iter()
                        .any(|c| named(&c.range) || c.entry == Some(t.name_range.start))
            })
            .collect()
    }

    /// Every resolved reference, tag references first.
    pub fn all_refs(&self) -> impl Iterator<Item = &Resolved> {
        self.tag_refs.iter().chain(self.env_uses.iter())
    }

    /// Whether a finding depends on the day it is made: a tag has a due
    /// date, which is overdue from some day on. What such a file reports is
    /// made again on every scan, never kept.
    pub fn depends_on_today(&self) -> bool {
        self.tags
            .iter()
            .any(|t| t.due.as_ref().is_some_and(|d| d.date.is_ok()))
    }
}

/// How much of a file that is not parsed is read for a tag-shaped text.
pub const SKIPPED_HEAD: u64 = 1024 * 1024;
/// How much of a file is looked at for NUL bytes, the mark of binary content.
pub const BINARY_HEAD: usize = 8192;

/// Why a source file is not parsed: the same rule for a document the editor
/// opened and for a file `tagls check` reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Skip {
    /// Larger than `max-file-size`.
    TooLarge { size: u64, limit: u64 },
    /// NUL bytes in its first 8 KiB: binary content.
    Binary,
}

impl Skip {
    /// Why a file of `size` bytes that starts with `head` is not parsed
    /// under a size `limit`, if it is not.
    pub fn of(size: u64, head: &[u8], limit: u64) -> Option<Skip> {
        if size > limit {
            return Some(Skip::TooLarge { size, limit });
        }
        let head = head.get(..BINARY_HEAD).unwrap_or(head);
        head.contains(&0).then_some(Skip::Binary)
    }

    /// Why, in words.
    pub fn why(&self) -> String {
        match self {
            Skip::TooLarge { size, limit } => format!(
                "larger than the size limit of {limit} bytes ({size} bytes; see max-file-size)"
            ),
            Skip::Binary => "binary content".to_owned(),
        }
    }
}

/// Whether `bytes` hold a tag-shaped text: `#`, a capital letter, more
/// letters, digits or underscores (a registered name such as
/// `#Potential_Issue:` may be in mixed case), a due date in brackets or
/// none, then `:`.
pub fn holds_tag_shape(bytes: &[u8]) -> bool {
    memchr::memchr_iter(b'#', bytes).any(|i| {
        let rest = bytes.get(i + 1..).unwrap_or_default();
        let name = rest
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
            .count();
        // A due date may stand between the name and the colon.
        let colon =
            crate::tags::scan::due_brackets(rest, name).map_or(name, |(_, close)| close + 1);
        rest.first().is_some_and(u8::is_ascii_uppercase) && rest.get(colon) == Some(&b':')
    })
}

/// What a file that is not parsed for `skip` reports: a `skipped-file`
/// finding at its start when `head` (its first [`SKIPPED_HEAD`] bytes, or
/// fewer) holds a tag-shaped text, since tagls checked none of its tags.
pub fn skipped(skip: &Skip, head: &[u8]) -> Analysis {
    let head = head.get(..SKIPPED_HEAD as usize).unwrap_or(head);
    let skipped = holds_tag_shape(head).then(|| Finding {
        range: TextRange::new(0, 0),
        severity: crate::tags::Severity::Warning,
        code: findings::Code::SkippedFile,
        tag: Default::default(),
        message: format!(
            "this file is not checked ({}), but it holds tag-shaped text (#NAME:); check its tags by hand",
            skip.why()
        ),
        fix: None,
    });
    Analysis {
        skipped,
        ..Analysis::default()
    }
}

/// Finds and resolves the references of a document at `path`, as the
/// settings say.
pub fn analyze(
    doc: &Document,
    path: Option<&Path>,
    ws: &mut Workspace,
    settings: &Settings,
) -> Analysis {
    analyze_cached(doc, path, ws, &mut resolve::Cache::default(), settings)
}

/// Whether a document counts as tagged: it holds a registered tag (an
/// unknown `#TODO:` does not put a workspace under the method's rules) and
/// is not silenced whole (`tagls: ignore-file`). Cheap: nothing is copied.
pub fn has_tags(doc: &Document, registry: &Registry) -> bool {
    doc.tags().any(|t| registry.get(&t.name).is_some())
        && !doc
            .suppressions()
            .any(|(kind, _)| kind == Suppression::File)
}

/// What highlighting needs of a document: its tags (none in a silenced
/// file), with nothing resolved.
pub fn tags_only(doc: &Document) -> Analysis {
    if doc
        .suppressions()
        .any(|(kind, _)| kind == Suppression::File)
    {
        return Analysis::default();
    }
    Analysis {
        tags: doc.tags().cloned().collect(),
        ..Analysis::default()
    }
}

/// [`analyze`], reusing resolutions from earlier calls while the workspace
/// has not changed.
pub fn analyze_cached(
    doc: &Document,
    path: Option<&Path>,
    ws: &mut Workspace,
    cache: &mut resolve::Cache,
    settings: &Settings,
) -> Analysis {
    let rope = doc.rope();
    let mut suppressed = Vec::new();
    for (kind, at) in doc.suppressions() {
        match kind {
            // The whole file is silenced: as if it had no tags.
            Suppression::File => return Analysis::default(),
            Suppression::NextLine => {
                let line = rope.byte_to_line(at.min(rope.len_bytes())) + 1;
                if line < rope.len_lines() {
                    let start = rope.line_to_byte(line);
                    let end = rope.line_to_byte(line + 1).saturating_sub(1).max(start);
                    suppressed.push(TextRange::new(start, end));
                }
            }
        }
    }
    let tags: Arc<[Tag]> = doc.tags().cloned().collect();
    let Some(path) = path else {
        return Analysis {
            tags,
            suppressed: suppressed.into(),
            ..Analysis::default()
        };
    };
    let lang = Some(doc.language());
    let tag_refs = resolve_tags(&tags, path, lang, ws, cache, settings);
    let uses: Vec<Reference> = if settings.env_in_code {
        doc.env_uses()
            .map(|u| Reference {
                kind: RefKind::Env(u.name.clone()),
                range: u.name_range,
            })
            .collect()
    } else {
        Vec::new()
    };
    let env_uses = resolve::resolve_all_cached(ws, cache, path, lang, uses);
    Analysis {
        tags,
        tag_refs: tag_refs.into(),
        env_uses: env_uses.into(),
        checks: Arc::from([]),
        suppressed: suppressed.into(),
        skipped: None,
        links: Arc::from([]),
    }
}

/// Finds and resolves the references in the payloads of `tags`, found in
/// the file at `path` (of `lang`, when it is source code): what a tag names
/// resolves the same way in code and in a Markdown plan.
pub fn resolve_tags(
    tags: &[Tag],
    path: &Path,
    lang: Option<crate::syntax::Language>,
    ws: &mut Workspace,
    cache: &mut resolve::Cache,
    settings: &Settings,
) -> Vec<Resolved> {
    let (root, aliases) = ws
        .root_for(path)
        .map(|r| (r.path.clone(), Arc::clone(&r.aliases)))
        .unwrap_or_default();
    let is_alias = |w: &str| aliases.matches(w);
    let mut payload_refs = cache.payload_refs(ws, &root);
    let refs: Vec<Reference> = tags
        .iter()
        .filter(|t| !settings.unresolved_tags.iter().any(|n| *n == t.name))
        .flat_map(|t| payload_refs.find(&t.payload, t.payload_range.start, lang, &is_alias))
        .collect();
    resolve::resolve_all_cached(ws, cache, path, lang, refs)
}

/// Checks the implementation log at `path`, parsed as `log` from `text`:
/// its claims (against git too, with `git`, what git says about the log's
/// root: [`crate::log::git::state`]), the files git reports changed that no
/// entry mentions, and the method's rule that visual work has a screenshot.
pub fn analyze_log(
    log: &LogDoc,
    text: &str,
    path: &Path,
    ws: &mut Workspace,
    git: Option<&GitState>,
    settings: &Settings,
) -> Analysis {
    let mut checks = crate::log::check::check(log, text, path, ws, git);
    let root = ws.root_for(path).map(|r| r.path.clone());
    if let Some(root) = root
        && let Some(git) = git
    {
        let claimed = crate::log::check::claimed_paths(log);
        let missing = crate::log::unlogged::unlogged(git.changed.clone(), &claimed);
        if !missing.is_empty() {
            let message = crate::log::unlogged::message(&missing, &git.base);
            checks.push(Check {
                range: TextRange::new(0, 0),
                entry: None,
                runs: None,
                hover: message.clone(),
                finding: Some(Finding {
                    range: TextRange::new(0, 0),
                    severity: crate::tags::Severity::Information,
                    code: findings::Code::UnloggedChange,
                    tag: Default::default(),
                    message,
                    fix: Some(findings::Fix::LogChanged {
                        root: root.clone(),
                        count: missing.len(),
                    }),
                }),
            });
        }
    }
    checks.extend(crate::log::check::visual_work(
        log,
        git,
        &settings.ui_files,
        &settings.registry,
    ));
    checks.sort_by_key(|c| c.range.start);
    Analysis {
        tags: log.entries.iter().map(|e| e.tag.clone()).collect(),
        checks: checks.into(),
        ..Analysis::default()
    }
}

/// Checks the phase state at `path` from its `text` ([`crate::phase::check`]);
/// with `code_tags`, every tag of its root's code, also that each
/// assumption is recorded.
pub fn analyze_phase(
    text: &str,
    path: &Path,
    ws: &mut Workspace,
    settings: &Settings,
    code_tags: Option<&[crate::phase::CodeTag]>,
) -> Analysis {
    let checked = crate::phase::check(text, path, ws, settings, code_tags);
    Analysis {
        checks: checked.checks.into(),
        links: checked.links.into(),
        ..Analysis::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::CommentStyle;
    use crate::tags::scan::{content_lines, scan_lines};

    /// One finding per tag: an unchecked assumption once, and a check that
    /// starts on a tag instead of the tag's own finding.
    #[test]
    fn one_finding_per_tag() {
        let reg = Registry::builtin();
        let text = "// #COMPLETION_DRIVE: Assuming the API returns JSON\n// #FILE_CREATED:";
        let tags: Arc<[Tag]> =
            scan_lines(&content_lines(CommentStyle::CFamily, text, 0), &reg).into();
        let claim = tags[1].clone();
        let bad = Finding {
            range: claim.head_range(),
            severity: crate::tags::Severity::Warning,
            code: findings::Code::BadField,
            tag: claim.name.clone(),
            message: "#FILE_CREATED names no file".to_owned(),
            fix: None,
        };
        let a = Analysis {
            tags,
            checks: Arc::from([Check {
                range: claim.head_range(),
                entry: Some(claim.name_range.start),
                runs: None,
                finding: Some(bad),
                hover: String::new(),
            }]),
            ..Analysis::default()
        };
        let found: Vec<(findings::Code, &str)> = a
            .raw_findings(&reg)
            .iter()
            .map(|f| (f.code, &text[f.range.start..f.range.end]))
            .collect();
        assert_eq!(
            found,
            [
                (findings::Code::UncheckedAssumption, "#COMPLETION_DRIVE:"),
                (findings::Code::BadField, "#FILE_CREATED:"),
            ]
        );
    }
}
