//! A span-aware scanner for dotenv files: which variables a `.env` file
//! defines and where their names are, never their values.
//!
//! The syntax is the one dotenv tools share: `KEY=value` and
//! `export KEY=value`, blanks around `=`, `#` comments, and single, double or
//! back-quoted values that may run over several lines. A value is quoted only
//! when it starts with a quote, as in Node's dotenv and python-dotenv; a quote
//! that never closes leaves a one-line value, so that a half-typed file still
//! shows the keys after it. Lines break at `\n`, `\r\n` and a lone `\r`, the
//! same breaks the rest of tagls counts.

use crate::text::TextRange;

/// One variable an env file defines. The value is never kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvKey {
    pub name: String,
    /// The 0-based line of the name.
    pub line: u32,
    /// The name's bytes.
    pub range: TextRange,
}

const BOM: &str = "\u{feff}";

/// The keys `text` defines, in document order. Lines that are not
/// definitions are skipped; a key defined twice is reported twice.
pub fn scan(text: &str) -> Vec<EnvKey> {
    let mut scanner = Scanner {
        bytes: text.as_bytes(),
        pos: if text.starts_with(BOM) { BOM.len() } else { 0 },
        line: 0,
    };
    let mut out = Vec::new();
    while scanner.pos < scanner.bytes.len() {
        if let Some((range, line)) = scanner.definition() {
            out.push(EnvKey {
                // Names are ASCII by construction, so the range lies on char
                // boundaries.
                name: text[range.start..range.end].to_owned(),
                line,
                range,
            });
        }
    }
    out
}

struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
    line: usize,
}

impl Scanner<'_> {
    /// Reads one logical line (a definition with its possibly multi-line
    /// value, a comment, a blank or an invalid line) and moves past it. The
    /// name's range and line if the line defines a key.
    fn definition(&mut self) -> Option<(TextRange, u32)> {
        let line = u32::try_from(self.line).unwrap_or(u32::MAX);
        let end = self.line_end(self.pos);
        let found = self.parse(end);
        let name = found.map(|(name, value)| {
            if let Some(close) = self.closing_quote(value, end) {
                // The value runs to its closing quote; whatever follows it on
                // that line is a comment or noise, never a key.
                self.count_breaks(self.pos, close);
                self.pos = close;
            }
            name
        });
        let end = self.line_end(self.pos);
        self.pos = end;
        self.skip_break();
        name.map(|n| (n, line))
    }

    /// The name's range and the value's start in the line
    /// `[self.pos, end)`, if the line is a definition.
    fn parse(&self, end: usize) -> Option<(TextRange, usize)> {
        let start = self.skip_blanks(self.pos, end);
        let mut name = self.name_at(start, end)?;
        let mut after = self.skip_blanks(name.end, end);
        // `export` is a prefix when a name follows it and a key of its own
        // when `=` does.
        if &self.bytes[name.start..name.end] == b"export"
            && after > name.end
            && self.bytes.get(after) != Some(&b'=')
        {
            name = self.name_at(after, end)?;
            after = self.skip_blanks(name.end, end);
        }
        if after >= end || self.bytes[after] != b'=' {
            return None;
        }
        Some((name, self.skip_blanks(after + 1, end)))
    }

    /// A name `[A-Za-z_][A-Za-z0-9_.]*` starting at `at`.
    fn name_at(&self, at: usize, end: usize) -> Option<TextRange> {
        let first = *self.bytes.get(at).filter(|_| at < end)?;
        if !(first.is_ascii_alphabetic() || first == b'_') {
            return None;
        }
        let len = self.bytes[at..end]
            .iter()
            .position(|&b| !(b.is_ascii_alphanumeric() || b == b'_' || b == b'.'))
            .unwrap_or(end - at);
        Some(TextRange::new(at, at + len))
    }

    /// If the value at `value` opens a quote, the offset just past the quote
    /// that closes it. A backslash escapes the next byte, so `\"` does not
    /// close a double-quoted value. `None` for an unquoted value and for a
    /// quote that never closes.
    fn closing_quote(&self, value: usize, line_end: usize) -> Option<usize> {
        if value >= line_end {
            return None;
        }
        let quote = self.bytes[value];
        if !matches!(quote, b'"' | b'\'' | b'`') {
            return None;
        }
        let mut i = value + 1;
        while i < self.bytes.len() {
            match self.bytes[i] {
                b'\\' => i += 2,
                b if b == quote => return Some(i + 1),
                _ => i += 1,
            }
        }
        None
    }

    fn skip_blanks(&self, mut at: usize, end: usize) -> usize {
        while at < end && matches!(self.bytes[at], b' ' | b'\t') {
            at += 1;
        }
        at
    }

    /// The offset of the first line break at or after `at`, or the end.
    fn line_end(&self, at: usize) -> usize {
        self.bytes[at..]
            .iter()
            .position(|&b| b == b'\n' || b == b'\r')
            .map_or(self.bytes.len(), |p| at + p)
    }

    /// Moves past one line break at `self.pos`, if there is one.
    fn skip_break(&mut self) {
        match self.bytes.get(self.pos) {
            Some(b'\r') if self.bytes.get(self.pos + 1) == Some(&b'\n') => self.pos += 2,
            Some(b'\r' | b'\n') => self.pos += 1,
            _ => return,
        }
        self.line += 1;
    }

    /// Counts the line breaks in `[from, to)` into `self.line`.
    fn count_breaks(&mut self, from: usize, to: usize) {
        let span = &self.bytes[from..to];
        for (i, &b) in span.iter().enumerate() {
            let crlf = b == b'\r' && span.get(i + 1) == Some(&b'\n');
            if b == b'\n' || (b == b'\r' && !crlf) {
                self.line += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// `(name, line)` pairs, after checking that every range slices to its
    /// name.
    fn keys(text: &str) -> Vec<(String, u32)> {
        scan(text)
            .into_iter()
            .map(|k| {
                assert_eq!(text.get(k.range.start..k.range.end), Some(k.name.as_str()));
                (k.name, k.line)
            })
            .collect()
    }

    fn owned(pairs: &[(&str, u32)]) -> Vec<(String, u32)> {
        pairs.iter().map(|&(n, l)| (n.to_owned(), l)).collect()
    }

    #[test]
    fn plain_export_spaced_and_empty_definitions() {
        let text = "A=1\nexport B=2\n  C =  3\nD=\nE= # just a comment\nexport\tF=x\nG.H_1=y\n";
        assert_eq!(
            keys(text),
            owned(&[
                ("A", 0),
                ("B", 1),
                ("C", 2),
                ("D", 3),
                ("E", 4),
                ("F", 5),
                ("G.H_1", 6)
            ])
        );
    }

    #[test]
    fn export_alone_is_a_key_when_followed_by_equals() {
        assert_eq!(
            keys("export=1\nexport =2\nexport\n"),
            owned(&[("export", 0), ("export", 1)])
        );
    }

    #[test]
    fn comments_and_blank_lines_define_nothing() {
        let text = "# A=1\n\n   \n  # B=2\nC=3 # D=4\nE=v#not-a-comment\n";
        assert_eq!(keys(text), owned(&[("C", 4), ("E", 5)]));
    }

    #[test]
    fn invalid_lines_are_skipped() {
        let text = "1A=x\n-B=x\nC\nD E=x\n=x\nexport\nexport 9=x\nF=ok\nG:x\n日本語=x\nH=ok\n";
        assert_eq!(keys(text), owned(&[("F", 7), ("H", 10)]));
    }

    #[test]
    fn lines_inside_multi_line_quoted_values_are_not_keys() {
        let text = "A=\"first\nNOT_A=1\nlast\"\nB='x\nNOT_B=2' # done\nC=`\nNOT_C=3\n`\nD=4\n";
        assert_eq!(keys(text), owned(&[("A", 0), ("B", 3), ("C", 5), ("D", 8)]));
    }

    #[test]
    fn escaped_quotes_do_not_close_a_value() {
        let text = "A=\"say \\\"hi\\\"\nNOT_A=1\"\nB='it\\'s\nNOT_B=2'\nC=3\n";
        assert_eq!(keys(text), owned(&[("A", 0), ("B", 2), ("C", 4)]));
    }

    #[test]
    fn a_quote_inside_an_unquoted_value_opens_nothing() {
        let text = "A=it's\nB=2\n";
        assert_eq!(keys(text), owned(&[("A", 0), ("B", 1)]));
    }

    #[test]
    fn an_unclosed_quote_ends_with_its_line() {
        // The user is still typing the value of A; B and C stay known.
        let text = "A=\"half typed\nB=2\nC='x'\n";
        assert_eq!(keys(text), owned(&[("A", 0), ("B", 1), ("C", 2)]));
    }

    #[test]
    fn crlf_lone_cr_and_bom() {
        let text = "\u{feff}A=1\r\nB=\"x\r\ny\"\r\nC=3\rD=4";
        assert_eq!(keys(text), owned(&[("A", 0), ("B", 1), ("C", 3), ("D", 4)]));
        let a = &scan(text)[0];
        assert_eq!(a.range, TextRange::new(3, 4));
    }

    #[test]
    fn ranges_are_bytes_after_multi_byte_values() {
        let text = "A=日本語 🎉\nB=\"𝄞\n𝄞\"\nC=1\n";
        let found = scan(text);
        let c = &found[2];
        assert_eq!((c.name.as_str(), c.line), ("C", 3));
        assert_eq!(c.range.start, text.find("C=").unwrap_or_default());
    }

    #[test]
    fn values_are_not_kept() {
        let text = "SECRET=hunter2\nTOKEN=\"s3cr3t\nmore\"\n";
        let debug = format!("{:?}", scan(text));
        assert!(
            !debug.contains("hunter2") && !debug.contains("s3cr3t"),
            "{debug}"
        );
    }

    #[test]
    fn every_prefix_scans_without_panicking() {
        let text = "\u{feff}export A=\"x\\\"\r\n日本語\" # c\rB='\\\nC=`y`\nexport\nD=\\\n";
        for (i, _) in text.char_indices() {
            let prefix = &text[..i];
            for k in scan(prefix) {
                assert_eq!(
                    prefix.get(k.range.start..k.range.end),
                    Some(k.name.as_str())
                );
            }
        }
    }

    /// Valid env files, checked against dotenvy. dotenvy knows no back-quoted
    /// values and no lone `\r` breaks, so these texts avoid both.
    const ORACLE_TEXTS: [&str; 8] = [
        "A=1\nB=two\nC=\n",
        "export A=1\nexport   B = 2\nexport=3\n",
        "# comment\n\n  A=1 # trailing\nB=\"quoted # not a comment\"\nC='single'\n",
        "A=\"multi\nline\nNOT_A=value\"\nB='also\nNOT_B=multi'\nC=3\n",
        "A=\"esc \\\"quote\\\" and \\n newline\"\nB=s\\ pace\nC=\"\\$DOLLAR\"\n",
        "A=1\r\nB=\"crlf\r\nNOT_B=x\"\r\nC=3\r\n",
        "HOST=localhost\nURL=http://$HOST:8080\nFULL=\"${HOST}/path\"\nEMPTY_SUB=$NOPE_NOT_SET\n",
        "  A.B=dots\n\tC_D=tab\nE=v#hash\nF=\"日本語 🎉\"\n_G=under\n",
    ];

    #[test]
    fn names_match_dotenvy_on_valid_files() {
        for text in ORACLE_TEXTS {
            let expected: BTreeSet<String> = dotenvy::from_read_iter(text.as_bytes())
                .map(|item| match item {
                    Ok((name, _value)) => name,
                    Err(e) => panic!("oracle text is not valid for dotenvy: {e}\n{text}"),
                })
                .collect();
            let found: BTreeSet<String> = scan(text).into_iter().map(|k| k.name).collect();
            assert_eq!(found, expected, "{text}");
        }
    }
}
