//! Completion: tag names after `#`, a due date after `#NAME[`, the log's
//! fields under an entry, paths and env variable names inside a tag's
//! payload.

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
    /// A due date.
    Date,
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
    /// The day a due date is offered from ([`crate::tags::due::today`]).
    pub today: jiff::civil::Date,
}

/// How far ahead the offered due date is.
pub const DUE_IN_DAYS: i64 = 14;

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

    if let Some(items) = due_date(cx, &before, line_start, offset) {
        return items;
    }

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

/// After `#NAME[` of a registered tag, with the digits and dashes of a date
/// typed so far: the date [`DUE_IN_DAYS`] from today, then `]: ` unless the
/// line already closes the bracket.
fn due_date(cx: &Context<'_>, before: &str, line_start: usize, offset: usize) -> Option<Vec<Item>> {
    if !(cx.in_comment || cx.is_log) {
        return None;
    }
    let typed_len = before
        .bytes()
        .rev()
        .take_while(|b| b.is_ascii_digit() || *b == b'-')
        .count();
    let head = before[..before.len() - typed_len].strip_suffix('[')?;
    let name_len = head
        .bytes()
        .rev()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
        .count();
    let name = &head[head.len() - name_len..];
    let hash = head[..head.len() - name_len].strip_suffix('#')?;
    let boundary = hash
        .chars()
        .next_back()
        .is_none_or(|c| c.is_whitespace() || matches!(c, '(' | '[' | '{' | '*' | '-' | '>'));
    if !boundary || cx.registry.get(name).is_none() {
        return None;
    }
    let date = cx
        .today
        .checked_add(jiff::Span::new().days(DUE_IN_DAYS))
        .ok()?;
    let after = crate::text::aligned_slice(
        cx.rope,
        offset
            ..cx.rope
                .len_bytes()
                .min(offset + crate::tags::due::MAX_TEXT + 2),
    )
    .to_string();
    // The rest of a date already there is replaced, up to its `]`.
    let rest = after
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b'-')
        .count();
    let closed = after[rest..].starts_with(']');
    let text = if closed {
        date.to_string()
    } else {
        format!("{date}]: ")
    };
    let start = line_start + before.len() - typed_len;
    Some(vec![Item {
        label: date.to_string(),
        text,
        range: TextRange::new(start, offset + if closed { rest } else { 0 }),
        kind: ItemKind::Date,
        detail: Some(format!("due in {DUE_IN_DAYS} days")),
        documentation: Some(
            "A due date: once it has passed, the tag is an `overdue` warning.".to_owned(),
        ),
    }])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, today: jiff::civil::Date) -> (String, Vec<Item>) {
        let cursor = text.find('$').expect("a $0 cursor");
        let text = text.replacen("$0", "", 1);
        let rope = Rope::from_str(&text);
        let registry = Registry::builtin();
        let list_dir = |_: &str| Vec::new();
        let cx = Context {
            rope: &rope,
            registry: &registry,
            tags: &[],
            in_comment: true,
            is_log: false,
            list_dir: &list_dir,
            env_names: &[],
            today,
        };
        let items = complete(&cx, cursor);
        (text, items)
    }

    /// The text after applying the one item.
    fn applied(text: &str, item: &Item) -> String {
        let mut out = text.to_owned();
        out.replace_range(item.range.start..item.range.end, &item.text);
        out
    }

    #[test]
    fn a_due_date_is_offered_after_the_bracket() {
        let today = jiff::civil::date(2026, 12, 25);
        let (text, items) = at("// 日本語 #COMPLETION_DRIVE[$0", today);
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].label, "2027-01-08");
        assert_eq!(items[0].kind, ItemKind::Date);
        assert_eq!(
            applied(&text, &items[0]),
            "// 日本語 #COMPLETION_DRIVE[2027-01-08]: "
        );
        // What is typed of a date is replaced; a closing bracket is kept.
        let (text, items) = at("// #PATH_DECISION[20$0]: keep", today);
        assert_eq!(
            applied(&text, &items[0]),
            "// #PATH_DECISION[2027-01-08]: keep"
        );
        let (text, items) = at("// #PATH_DECISION[$02026-01-01]: keep", today);
        assert_eq!(
            applied(&text, &items[0]),
            "// #PATH_DECISION[2027-01-08]: keep"
        );
        // Not after an unregistered name, an index, or a glued `#`.
        for text in ["// #NOT_A_TAG[$0", "// arr[$0", "// a#COMPLETION_DRIVE[$0"] {
            assert!(at(text, today).1.is_empty(), "{text}");
        }
    }
}
