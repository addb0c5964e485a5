//! Completion: tag names after `#`, the log's fields under an entry, paths
//! and env variable names inside a tag's payload.

use ropey::Rope;

use crate::tags::{Registry, Tag};
use crate::text::TextRange;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemKind {
    Tag,
    Field,
    File,
    Folder,
    Env,
}

/// One completion: `text` replaces `range`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub label: String,
    pub text: String,
    pub range: TextRange,
    pub kind: ItemKind,
    pub detail: Option<String>,
    pub documentation: Option<String>,
}

/// What completion needs to know about the document and the workspace.
pub struct Context<'a> {
    pub rope: &'a Rope,
    pub registry: &'a Registry,
    pub tags: &'a [Tag],
    /// Whether the offset is in a comment (always true in the log's prose).
    pub in_comment: bool,
    pub is_log: bool,
    /// Paths under a workspace-relative folder (`""` for the root): name and
    /// whether it is a folder.
    pub list_dir: &'a dyn Fn(&str) -> Vec<(String, bool)>,
    /// Variable names the env files define.
    pub env_names: &'a [String],
}

/// The fields a log entry may have.
pub const FIELDS: &[(&str, &str)] = &[
    ("Description", "What the file or change is."),
    ("Purpose", "Why it exists."),
    ("Lines affected", "The changed lines: `8, 102-115`."),
    (
        "Verification",
        "A recipe tagls evaluates: `ls P`, `test -f P`, `wc -l P`, `grep \"text\" P`.",
    ),
];

pub fn complete(cx: &Context<'_>, offset: usize) -> Vec<Item> {
    let rope = cx.rope;
    let offset = offset.min(rope.len_bytes());
    let line_idx = rope.byte_to_line(offset);
    let line_start = rope.line_to_byte(line_idx);
    let before: String = crate::text::aligned_slice(rope, line_start..offset).to_string();

    // `#NAME` being typed.
    let word_len = before
        .bytes()
        .rev()
        .take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_')
        .count();
    let hash = before.len() - word_len;
    if hash > 0 && before.as_bytes()[hash - 1] == b'#' && (cx.in_comment || cx.is_log) {
        let prev = before[..hash - 1].chars().next_back();
        let boundary = prev
            .is_none_or(|c| c.is_whitespace() || matches!(c, '(' | '[' | '{' | '*' | '-' | '>'));
        if boundary {
            // The `#` is part of what is replaced, and of the item's text,
            // so no client doubles it, whether or not it counts `#` as a
            // word character; and only the names that start with what is
            // typed are offered, since some clients (Neovim) leave the
            // filtering of items with a text edit to the server.
            let range = TextRange::new(line_start + hash - 1, offset);
            let typed = &before[hash..];
            return cx
                .registry
                .defs()
                .iter()
                .filter(|d| d.name.starts_with(typed))
                .map(|d| Item {
                    label: format!("#{}", d.name),
                    text: format!("#{}: ", d.name),
                    range,
                    kind: ItemKind::Tag,
                    detail: Some(format!("{} tag", d.family.name())),
                    documentation: Some(d.description.clone()),
                })
                .collect();
        }
    }

    // A field under a log entry: an indented line, only letters so far.
    if cx.is_log
        && before.starts_with([' ', '\t'])
        && before
            .trim_start()
            .chars()
            .all(|c| c.is_ascii_alphabetic() || c == ' ')
    {
        let under_entry = cx.tags.iter().any(|t| {
            let first = rope.byte_to_line(t.name_range.start);
            let last = rope.byte_to_line(t.full_range().end.min(rope.len_bytes()));
            first < line_idx && line_idx <= last + 1
        });
        if under_entry {
            let typed = before.trim_start();
            let range = TextRange::new(offset - typed.len(), offset);
            return FIELDS
                .iter()
                .filter(|(k, _)| {
                    k.to_ascii_lowercase()
                        .starts_with(&typed.to_ascii_lowercase())
                })
                .map(|(k, doc)| Item {
                    label: format!("{k}:"),
                    text: format!("{k}: "),
                    range,
                    kind: ItemKind::Field,
                    detail: Some("log entry field".to_owned()),
                    documentation: Some((*doc).to_owned()),
                })
                .collect();
        }
    }

    // Inside a tag's payload: paths, and variable names.
    let in_payload = cx.tags.iter().any(|t| {
        t.name_range.end <= offset
            && offset <= line_start + before.len()
            && rope.byte_to_line(t.name_range.start) == line_idx
    });
    if !in_payload {
        return Vec::new();
    }
    let word: &str = before
        .rsplit([' ', '\t', '`', '"', '\'', '('])
        .next()
        .unwrap_or_default();
    let range = TextRange::new(offset - word.len(), offset);
    if !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
    {
        return cx
            .env_names
            .iter()
            .filter(|n| n.starts_with(word))
            .map(|n| Item {
                label: n.clone(),
                text: n.clone(),
                range,
                kind: ItemKind::Env,
                detail: Some("environment variable".to_owned()),
                documentation: None,
            })
            .collect();
    }
    if word.contains('/')
        || (!word.is_empty()
            && word
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-@".contains(&b)))
    {
        let (dir, stem) = match word.rfind('/') {
            Some(i) => (&word[..i], &word[i + 1..]),
            None => ("", word),
        };
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        return (cx.list_dir)(dir.trim_start_matches("./"))
            .into_iter()
            .filter(|(name, _)| name.starts_with(stem))
            .map(|(name, is_dir)| Item {
                label: if is_dir {
                    format!("{name}/")
                } else {
                    name.clone()
                },
                text: if is_dir {
                    format!("{prefix}{name}/")
                } else {
                    format!("{prefix}{name}")
                },
                range,
                kind: if is_dir {
                    ItemKind::Folder
                } else {
                    ItemKind::File
                },
                detail: None,
                documentation: None,
            })
            .collect();
    }
    Vec::new()
}
