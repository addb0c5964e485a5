//! Jupyter notebooks (`.ipynb`): the cells of the JSON file, each cell's
//! source as the text the cell holds (JSON escapes decoded, an array of
//! strings joined), and the way back from a byte of that text to the byte
//! of the `.ipynb` file it was written as. Code cells are in the notebook's
//! language (`metadata.kernelspec.language`, else
//! `metadata.language_info.name`, else Python); Markdown cells are Markdown;
//! raw cells and every cell's `outputs` are never read.

use jsonc_parser::ast::{Array, Object, Value};

use crate::syntax::Language;
use crate::text::TextRange;

/// What a cell holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CellKind {
    /// Code in a language tagls parses.
    Code(Language),
    Markdown,
}

/// A cell's source, decoded, with where each of its bytes was written.
#[derive(Clone, Debug)]
pub struct Source {
    /// The text of the cell.
    pub text: String,
    /// For each byte of `text`: the range in the file of what it was
    /// written as (a character, or an escape such as `\n` or `\u00e9`).
    written: Vec<(u32, u32)>,
    /// Where the source ends in the file: the closing quote of its last
    /// string (or the `]` of an empty array).
    end: usize,
}

impl Source {
    /// The offset in the file of `offset` in the cell's text, as a start:
    /// the first byte of what it was written as.
    pub fn start_in_file(&self, offset: usize) -> usize {
        self.written
            .get(offset)
            .map_or(self.end, |&(start, _)| start as usize)
    }

    /// The offset in the file of `offset` in the cell's text, as an end:
    /// just after what the byte before it was written as.
    pub fn end_in_file(&self, offset: usize) -> usize {
        match offset.checked_sub(1).and_then(|i| self.written.get(i)) {
            Some(&(_, end)) => end as usize,
            None => self.start_in_file(offset),
        }
    }

    /// A range of the cell's text as a range of the file.
    pub fn range_in_file(&self, r: TextRange) -> TextRange {
        let start = self.start_in_file(r.start);
        if r.start >= r.end {
            return TextRange::new(start, start);
        }
        TextRange::new(start, self.end_in_file(r.end).max(start))
    }

    /// The offset in the cell's text of a byte of the file, if the source
    /// was written there.
    pub fn offset_of(&self, in_file: usize) -> Option<usize> {
        let i = self
            .written
            .partition_point(|&(_, end)| end as usize <= in_file);
        let &(start, _) = self.written.get(i)?;
        (start as usize <= in_file).then_some(i)
    }
}

/// A cell tagls reads.
#[derive(Clone, Debug)]
pub struct Cell {
    /// Its index among all the notebook's cells, from 0.
    pub index: usize,
    pub kind: CellKind,
    pub source: Source,
}

/// A notebook's readable cells.
#[derive(Clone, Debug, Default)]
pub struct Notebook {
    pub cells: Vec<Cell>,
}

/// Why a notebook cannot be read, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Malformed {
    pub range: TextRange,
    pub message: String,
}

/// Whether a path names a notebook.
pub fn is_notebook(path: &str) -> bool {
    path.rsplit_once('.')
        .is_some_and(|(_, ext)| ext.eq_ignore_ascii_case("ipynb"))
}

/// Reads a notebook. Code cells in a language tagls does not parse are
/// left out, as are raw cells.
pub fn parse(text: &str) -> Result<Notebook, Malformed> {
    let parsed = jsonc_parser::parse_to_ast(text, &Default::default(), &crate::text::strict_json())
        .map_err(|e| {
            let r = e.range();
            Malformed {
                range: TextRange::new(r.start, r.end.max(r.start)),
                message: format!(
                    "this notebook is not valid JSON: {}; its tags are not checked",
                    e.kind().to_string().to_lowercase()
                ),
            }
        })?;
    let Some(Value::Object(top)) = &parsed.value else {
        return Err(Malformed {
            range: TextRange::new(0, text.len().min(1)),
            message: "a notebook is a JSON object with a `cells` array; its tags are not checked"
                .to_owned(),
        });
    };
    let Some(cells) = top.get("cells") else {
        return Err(Malformed {
            range: TextRange::new(top.range.start, top.range.start + 1),
            message: "this notebook has no `cells` array; its tags are not checked".to_owned(),
        });
    };
    let Value::Array(cells) = &cells.value else {
        return Err(wrong(
            &cells.value,
            "`cells` must be an array of cells; the notebook's tags are not checked",
        ));
    };
    let language = language_of(top);
    let mut out = Notebook::default();
    for (index, cell) in cells.elements.iter().enumerate() {
        let Value::Object(cell) = cell else {
            return Err(wrong(
                cell,
                &format!("cell {index} must be a JSON object; the notebook's tags are not checked"),
            ));
        };
        let kind = match cell.get_string("cell_type").map(|s| s.value.as_ref()) {
            Some("code") => match language {
                Some(lang) => CellKind::Code(lang),
                None => continue,
            },
            Some("markdown") => CellKind::Markdown,
            // Raw cells, and cells of a kind nbformat does not know.
            _ => continue,
        };
        let Some(source) = cell.get("source") else {
            continue;
        };
        out.cells.push(Cell {
            index,
            kind,
            source: source_of(text, &source.value, index)?,
        });
    }
    Ok(out)
}

/// The cell at a byte of the file, and the line there within the cell's
/// source (from 1), if the byte is in a cell's source.
pub fn cell_at(notebook: &Notebook, in_file: usize) -> Option<(usize, usize)> {
    notebook.cells.iter().find_map(|c| {
        let at = c.source.offset_of(in_file)?;
        let line = c.source.text.as_bytes()[..at]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        Some((c.index, line + 1))
    })
}

fn wrong(v: &Value, message: &str) -> Malformed {
    Malformed {
        range: crate::text::json_range(v),
        message: message.to_owned(),
    }
}

/// The language of the notebook's code cells: what its kernel says, Python
/// when it says nothing; `None` for a language tagls does not parse.
fn language_of(top: &Object) -> Option<Language> {
    let metadata = top.get_object("metadata");
    let named = metadata
        .and_then(|m| m.get_object("kernelspec"))
        .and_then(|k| k.get_string("language"))
        .or_else(|| {
            metadata
                .and_then(|m| m.get_object("language_info"))
                .and_then(|l| l.get_string("name"))
        });
    match named {
        None => Some(Language::Python),
        Some(name) => {
            let name = name.value.to_ascii_lowercase();
            Language::from_language_id(&name)
                .or_else(|| Language::ALL.into_iter().find(|l| l.name() == name))
        }
    }
}

/// A cell's `source`: a string, or an array of strings that are its lines.
fn source_of(text: &str, v: &Value, index: usize) -> Result<Source, Malformed> {
    let mut source = Source {
        text: String::new(),
        written: Vec::new(),
        end: crate::text::json_range(v).end.saturating_sub(1),
    };
    let not_text = || {
        wrong(
            v,
            &format!(
                "the source of cell {index} must be a string or an array of strings; the notebook's tags are not checked"
            ),
        )
    };
    match v {
        Value::StringLit(s) => decode(
            text,
            TextRange::new(s.range.start, s.range.end),
            &mut source,
        ),
        Value::Array(Array { elements, .. }) => {
            for e in elements {
                let Value::StringLit(s) = e else {
                    return Err(not_text());
                };
                decode(
                    text,
                    TextRange::new(s.range.start, s.range.end),
                    &mut source,
                );
            }
        }
        _ => return Err(not_text()),
    }
    Ok(source)
}

/// Decodes the JSON string literal at `lit` (quotes included) onto the
/// end of `out`. The parser has checked it, so every escape is whole.
fn decode(text: &str, lit: TextRange, out: &mut Source) {
    let Some(raw) = text.get(lit.start + 1..lit.end.saturating_sub(1)) else {
        return;
    };
    let base = lit.start + 1;
    out.end = lit.end - 1;
    let bytes = raw.as_bytes();
    let mut i = 0;
    let push = |out: &mut Source, s: &str, from: usize, to: usize| {
        out.text.push_str(s);
        for _ in 0..s.len() {
            out.written.push(((base + from) as u32, (base + to) as u32));
        }
    };
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            let len = raw[i..].chars().next().map_or(1, char::len_utf8);
            push(out, &raw[i..i + len], i, i + len);
            i += len;
            continue;
        }
        let Some(&esc) = bytes.get(i + 1) else {
            break;
        };
        let simple = match esc {
            b'n' => Some('\n'),
            b't' => Some('\t'),
            b'r' => Some('\r'),
            b'b' => Some('\u{8}'),
            b'f' => Some('\u{c}'),
            b'"' => Some('"'),
            b'\\' => Some('\\'),
            b'/' => Some('/'),
            _ => None,
        };
        if let Some(c) = simple {
            push(out, c.encode_utf8(&mut [0; 4]), i, i + 2);
            i += 2;
            continue;
        }
        // `\uXXXX`, and a surrogate pair as two of them.
        let hex = |at: usize| {
            raw.get(at..at + 4)
                .and_then(|h| u32::from_str_radix(h, 16).ok())
        };
        let Some(high) = hex(i + 2) else {
            break;
        };
        let (c, len) = if (0xD800..0xDC00).contains(&high)
            && raw.get(i + 6..i + 8) == Some("\\u")
            && let Some(low) = hex(i + 8).filter(|l| (0xDC00..0xE000).contains(l))
        {
            let c = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
            (char::from_u32(c).unwrap_or('\u{fffd}'), 12)
        } else {
            (char::from_u32(high).unwrap_or('\u{fffd}'), 6)
        };
        push(out, c.encode_utf8(&mut [0; 4]), i, i + len);
        i += len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NB: &str = r##"{
 "cells": [
  {"cell_type": "markdown", "metadata": {}, "source": ["# Title\n", "<!-- caf\u00e9 \"x\" -->"]},
  {"cell_type": "code", "execution_count": 1, "metadata": {}, "outputs": [{"text": ["# out"]}],
   "source": "x = 1\n# é \ud834\udd1e\tend"},
  {"cell_type": "raw", "metadata": {}, "source": "raw"}
 ],
 "metadata": {"kernelspec": {"language": "python", "name": "python3"}},
 "nbformat": 4, "nbformat_minor": 5
}"##;

    #[test]
    fn cells_decode_and_map_back_to_the_file() {
        let nb = parse(NB).unwrap();
        assert_eq!(nb.cells.len(), 2);
        let md = &nb.cells[0];
        assert_eq!(md.kind, CellKind::Markdown);
        assert_eq!(md.source.text, "# Title\n<!-- café \"x\" -->");
        let code = &nb.cells[1];
        assert_eq!(code.index, 1);
        assert_eq!(code.kind, CellKind::Code(Language::Python));
        assert_eq!(code.source.text, "x = 1\n# é 𝄞\tend");
        // Every part of the text maps to what it was written as.
        let at = |src: &Source, s: &str| {
            let i = src.text.find(s).unwrap();
            let r = src.range_in_file(TextRange::new(i, i + s.len()));
            &NB[r.start..r.end]
        };
        assert_eq!(at(&md.source, "café"), "caf\\u00e9");
        assert_eq!(at(&md.source, "\"x\""), "\\\"x\\\"");
        assert_eq!(at(&md.source, "# Title"), "# Title");
        assert_eq!(at(&md.source, "Title\n"), "Title\\n");
        assert_eq!(at(&code.source, "𝄞\tend"), "\\ud834\\udd1e\\tend");
        assert_eq!(at(&code.source, "# é"), "# é");
        // And back.
        let end = NB.find("\\tend").unwrap();
        assert_eq!(cell_at(&nb, end + 2), Some((1, 2)));
        assert_eq!(cell_at(&nb, NB.find("# out").unwrap()), None);
        assert_eq!(cell_at(&nb, NB.find("<!--").unwrap()), Some((0, 2)));
    }

    #[test]
    fn malformed_notebooks_say_where() {
        let bad = parse("{\"cells\": [1,]}").unwrap_err();
        assert!(bad.message.contains("not valid JSON"), "{}", bad.message);
        let bad = parse("{\"cells\": {}}").unwrap_err();
        assert_eq!(bad.range, TextRange::new(10, 12));
        let bad = parse("{\"cells\": [{\"cell_type\": \"code\", \"source\": 3}]}").unwrap_err();
        assert!(bad.message.contains("cell 0"), "{}", bad.message);
        assert!(parse("[]").is_err());
        assert!(parse("").is_err());
    }

    #[test]
    fn the_kernel_names_the_language() {
        let nb = |meta: &str| {
            let text = format!(
                "{{\"cells\": [{{\"cell_type\": \"code\", \"source\": \"\"}}], \"metadata\": {meta}}}"
            );
            parse(&text).unwrap().cells.first().map(|c| c.kind)
        };
        assert_eq!(nb("{}"), Some(CellKind::Code(Language::Python)));
        assert_eq!(
            nb("{\"language_info\": {\"name\": \"R\"}}"),
            None,
            "R is not parsed"
        );
        assert_eq!(
            nb("{\"kernelspec\": {\"language\": \"rust\"}}"),
            Some(CellKind::Code(Language::Rust))
        );
        assert_eq!(
            nb("{\"language_info\": {\"name\": \"typescript\"}}"),
            Some(CellKind::Code(Language::TypeScript))
        );
    }
}
