//! The whole-project view: the gate's answer for every root, as the
//! `tagls.gate` command returns it to the editors (VS Code's tag tree and
//! status bar, Neovim's quickfix commands).
//!
//! The answer is the one `tagls check` gives: the same scan of the files on
//! disk ([`crate::gate::scan`]), the same verdict and reason, the same
//! findings with what each means for the gate. Only the places change form:
//! `file:` URIs and LSP ranges in the encoding the client negotiated.

use std::path::{Path, PathBuf};

use ls_types::Uri;
use serde_json::{Value, json};

use crate::config::ConfigFile;
use crate::gate::{Report, Verdict};
use crate::text::{Encoding, Spans};

/// The command's answer for the roots it was asked about: see
/// `docs/ARCHITECTURE.md` ("The whole-project view") for its shape.
pub fn answer(roots: &[(PathBuf, ConfigFile)], enc: Encoding) -> Value {
    let cache = crate::scan_cache::default_dir();
    let views = roots
        .iter()
        .map(|root| {
            let report =
                crate::gate::scan(std::slice::from_ref(root), cache.as_deref(), &mut |_| {});
            view(&root.0, &report, enc)
        })
        .collect::<Vec<_>>();
    json!({ "roots": views })
}

/// One root's part of the answer.
pub fn view(root: &Path, report: &Report, enc: Encoding) -> Value {
    let at = |path: &str, span: &Spans| -> Option<(Uri, Value)> {
        let uri = Uri::from_file_path(root.join(path))?;
        let (s, e) = span[super::backend::enc_index(enc)];
        let range = json!({
            "start": { "line": s.line, "character": s.col },
            "end": { "line": e.line, "character": e.col },
        });
        Some((uri, range))
    };
    let findings: Vec<Value> = report
        .findings
        .iter()
        .filter_map(|f| {
            let (uri, range) = at(&f.path, &f.span)?;
            Some(json!({
                "uri": uri.as_str(),
                "path": f.path,
                "range": range,
                "code": f.finding.code.as_str(),
                "severity": f.finding.severity.name(),
                "gate": f.gate.map(Verdict::name),
                "message": f.finding.message,
                "tag": (!f.finding.tag.is_empty()).then_some(f.finding.tag.as_str()),
                "fix": f.finding.fix.as_ref().map(crate::findings::Fix::data),
            }))
        })
        .collect();
    let tags: Vec<Value> = report
        .tags
        .iter()
        .filter_map(|t| {
            let (uri, range) = at(&t.path, &t.span)?;
            Some(json!({
                "uri": uri.as_str(),
                "path": t.path,
                "range": range,
                "tag": t.name,
                "family": t.family.map(|f| f.name()),
                "payload": t.payload,
            }))
        })
        .collect();
    let count = |v: Verdict| report.findings.iter().filter(|f| f.gate == Some(v)).count();
    json!({
        "root": Uri::from_file_path(root).map(|u| u.as_str().to_owned()),
        "verdict": report.verdict().name(),
        "verdict_word": report.verdict_word(),
        "ra_status": report.ra_status().name(),
        "dialect": report.dialect().name(),
        "reason": report.reason(),
        "log": report.log_of(root),
        "summary": {
            "findings": report.findings.len(),
            "blocking": count(Verdict::Blocked),
            "conditional": count(Verdict::Conditional),
            "tagged_files": report.tagged_files,
            "tags": report.tags.len(),
        },
        "findings": findings,
        "tags": tags,
    })
}
