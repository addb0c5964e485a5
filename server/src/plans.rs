//! Markdown plans and reports: the Markdown files a workspace names
//! (`plans` in its configuration; by default those in both dialects'
//! orchestration folders) hold tags in their prose, like comments in code.
//! Their tags are found as the log's are (CommonMark: never in code
//! fences, indented code, inline code or HTML comments), and what they name
//! resolves as in code. The log itself and the verification report that
//! tagls writes are not plans.

use std::path::Path;
use std::sync::Arc;

use crate::analysis::{self, Analysis};
use crate::config::Settings;
use crate::resolve;
use crate::tags::{Registry, Tag};
use crate::workspace::model::Workspace;

pub use crate::dialect::VERIFICATION_REPORT;

/// The tags in a plan's prose, in order.
pub fn tags(text: &str, registry: &Registry) -> Vec<Tag> {
    crate::log::parse(text, registry)
        .entries
        .into_iter()
        .map(|e| e.tag)
        .collect()
}

/// A plan's analysis: its tags (as [`tags`] finds them in `text`) and what
/// their payloads name, resolved from the plan at `path`.
pub fn analyze(
    tags: Arc<[Tag]>,
    path: &Path,
    ws: &mut Workspace,
    cache: &mut resolve::Cache,
    settings: &Settings,
) -> Analysis {
    let tag_refs = analysis::resolve_tags(&tags, path, None, ws, cache, settings);
    Analysis {
        tags,
        tag_refs: tag_refs.into(),
        ..Analysis::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_count_in_prose_only() {
        let text = "# Plan\n\n#PATH_DECISION: use sqlite\n\n```md\n#PATH_DECISION: a fenced example\n```\n\nSee `#COMPLETION_DRIVE: inline` and #Potential_Issue: the cache is never cleared\n";
        let names: Vec<(String, String)> = tags(text, &Registry::builtin())
            .into_iter()
            .map(|t| (t.name.to_string(), t.payload.to_string()))
            .collect();
        assert_eq!(
            names,
            [
                ("PATH_DECISION".to_owned(), "use sqlite".to_owned()),
                (
                    "Potential_Issue".to_owned(),
                    "the cache is never cleared".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn bold_tags_read_as_plain_ones() {
        let text = "**#Potential_Issue:** the cache is never cleared\n\n- **#PATH_DECISION**: sqlite\n\n**#Heading:** not a tag\n";
        let names: Vec<(String, String)> = tags(text, &Registry::builtin())
            .into_iter()
            .map(|t| (t.name.to_string(), t.payload.to_string()))
            .collect();
        assert_eq!(
            names,
            [
                (
                    "Potential_Issue".to_owned(),
                    "the cache is never cleared".to_owned()
                ),
                ("PATH_DECISION".to_owned(), "sqlite".to_owned()),
            ]
        );
    }
}
