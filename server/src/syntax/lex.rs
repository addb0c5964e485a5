//! Comments found without a parse: a lexer per language that finds the
//! comment nodes (and Python's docstrings) exactly where the grammar does,
//! or says it cannot be sure.
//!
//! A first check of a workspace reads every file that holds a tag, and the
//! parse was most of its cost (docs/BENCHMARKS.md). What a tag scan needs
//! of a file it does not show in an editor is where its comments are, and
//! for that a lexer is enough wherever the language's lexical grammar decides
//! it on its own. Where it does not, the lexer gives up (`None`) and the file
//! is parsed:
//!
//! - Go: its lexical grammar is context-free; only text that is not Go
//!   (an unterminated string, rune or comment) is given up on.
//! - TypeScript and JavaScript: a `/` starts a regular expression or
//!   divides, depending on what comes before it. The token before decides, as
//!   in every JavaScript tokenizer (`)` divides unless it closes the condition
//!   of `if`, `while`, `for` or `with`); a `/` after `}` or after `++` / `--`
//!   is given up on, as is a `<` where an expression starts in a grammar with
//!   JSX (JavaScript, TSX: its text is not code), unbalanced brackets, and any
//!   unterminated literal.
//! - Python: a docstring is the string that is the first statement of a
//!   module, a class or a function, alone in it; the lexer follows the
//!   statements as far as that needs (logical lines, brackets, `def` and
//!   `class` headers). An unterminated string or an unbalanced bracket is
//!   given up on.
//!
//! The comments of every source file of the real-code corpus (Django, rxjs,
//! Go's standard library), as the lexer finds them, are those the parse finds
//! (`tests/real_code.rs`), but where a syntax error makes the parse's error
//! recovery drop a comment that the lexer keeps (two files of Go's test data,
//! broken on purpose).

use crate::syntax::Language;
use crate::text::TextRange;

/// Whether the lexer knows `lang`; for any other language [`comments`] is
/// `None` and the file is parsed.
pub fn covers(lang: Language) -> bool {
    lexer(lang).is_some()
}

/// The comments of `text`, in document order, as [`super::comments_in`] finds
/// them in its parse (Python's docstrings included); `None` when the lexer
/// cannot be sure, and the text must be parsed.
pub fn comments(lang: Language, text: &str) -> Option<Vec<TextRange>> {
    lexer(lang)?(text.as_bytes())
}

type Lexer = fn(&[u8]) -> Option<Vec<TextRange>>;

/// The lexer of a language, if it has one.
fn lexer(lang: Language) -> Option<Lexer> {
    Some(match lang {
        Language::Go => go,
        Language::TypeScript => |b| {
            js(
                b,
                Js {
                    jsx: false,
                    ts: true,
                },
            )
        },
        Language::Tsx => |b| {
            js(
                b,
                Js {
                    jsx: true,
                    ts: true,
                },
            )
        },
        Language::JavaScript => |b| {
            js(
                b,
                Js {
                    jsx: true,
                    ts: false,
                },
            )
        },
        Language::Python => python,
        Language::Swift
        | Language::Rust
        | Language::Java
        | Language::Kotlin
        | Language::CSharp
        | Language::C
        | Language::Cpp
        | Language::Ruby
        | Language::Php
        | Language::Bash
        | Language::Css
        | Language::Scss
        | Language::Lua
        | Language::Yaml
        | Language::Toml
        | Language::Html
        | Language::Vue
        | Language::Svelte => return None,
    })
}

/// The end of a string literal that starts at `start` with `quote`: after its
/// closing quote. A backslash escapes the next byte (a line break too, where
/// `continues` says a string may go on over it); `None` at a bare line break
/// or the end of the text.
fn quoted(b: &[u8], start: usize, quote: u8, continues: bool) -> Option<usize> {
    let mut i = start + 1;
    loop {
        match *b.get(i)? {
            b'\\' => {
                if !continues && matches!(b.get(i + 1), Some(b'\n' | b'\r')) {
                    return None;
                }
                // `\` CR LF continues over both.
                i += if b.get(i + 1) == Some(&b'\r') && b.get(i + 2) == Some(&b'\n') {
                    3
                } else {
                    2
                };
            }
            b'\n' | b'\r' => return None,
            c if c == quote => return Some(i + 1),
            _ => i += 1,
        }
    }
}

/// The end of a `/* */` comment that starts at `start`, after its `*/`.
fn block_end(b: &[u8], start: usize) -> Option<usize> {
    memchr::memmem::find(&b[start + 2..], b"*/").map(|at| start + 2 + at + 2)
}

fn go(b: &[u8]) -> Option<Vec<TextRange>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' => match b.get(i + 1) {
                Some(b'/') => {
                    let end = memchr::memchr(b'\n', &b[i..]).map_or(b.len(), |n| i + n);
                    out.push(TextRange::new(i, end));
                    i = end;
                }
                Some(b'*') => {
                    let end = block_end(b, i)?;
                    out.push(TextRange::new(i, end));
                    i = end;
                }
                _ => i += 1,
            },
            b'`' => i += 1 + memchr::memchr(b'`', &b[i + 1..])? + 1,
            q @ (b'"' | b'\'') => i = quoted(b, i, q, false)?,
            _ => i += 1,
        }
    }
    Some(out)
}

/// What came before a JavaScript token, as far as a `/` after it cares.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Before {
    /// An expression may start here: a `/` starts a regular expression.
    Operand,
    /// An expression ended: a `/` divides.
    Operator,
    /// `}`, `++` or `--`: either.
    Unsure,
}

/// What an open bracket of JavaScript is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Open {
    Brace,
    /// `${` in a template: its `}` goes back into the template.
    Substitution,
    Paren,
    /// The `(` after `if`, `while`, `for` or `with`: after its `)` a
    /// statement starts.
    Condition,
    Bracket,
}

const REGEX_AFTER: &[&[u8]] = &[
    b"return",
    b"typeof",
    b"instanceof",
    b"in",
    b"of",
    b"new",
    b"delete",
    b"void",
    b"throw",
    b"case",
    b"do",
    b"else",
    b"yield",
    b"await",
    b"extends",
];

const CONDITION_AFTER: &[&[u8]] = &[b"if", b"while", b"for", b"with"];

fn is_js_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80
}

/// JavaScript's line terminators: LF, CR, U+2028 and U+2029.
fn js_line_end(b: &[u8], from: usize) -> usize {
    let mut i = from;
    while i < b.len() {
        match b[i] {
            b'\n' | b'\r' => return i,
            0xE2 if b.get(i + 1) == Some(&0x80) && matches!(b.get(i + 2), Some(0xA8 | 0xA9)) => {
                return i;
            }
            _ => i += 1,
        }
    }
    i
}

/// Which grammar a JavaScript text is lexed for.
#[derive(Clone, Copy)]
struct Js {
    /// Whether `<` may start JSX.
    jsx: bool,
    /// Whether a `!` right after an operand is TypeScript's non-null
    /// assertion (`x! / 2` divides).
    ts: bool,
}

fn js(b: &[u8], Js { jsx, ts }: Js) -> Option<Vec<TextRange>> {
    let mut out = Vec::new();
    let mut stack: Vec<Open> = Vec::new();
    let mut before = Before::Operand;
    // Whether the last word was `if`, `while`, `for` or `with`.
    let mut condition = false;
    let mut i = 0;
    if b.starts_with(b"#!") {
        i = js_line_end(b, 0);
    }
    // Inside a template literal, from `i`: to its end or its next `${`.
    let template = |mut i: usize, stack: &mut Vec<Open>| -> Option<(usize, Before)> {
        loop {
            match *b.get(i)? {
                b'\\' => i += 2,
                b'`' => return Some((i + 1, Before::Operator)),
                b'$' if b.get(i + 1) == Some(&b'{') => {
                    stack.push(Open::Substitution);
                    return Some((i + 2, Before::Operand));
                }
                _ => i += 1,
            }
        }
    };
    while i < b.len() {
        let c = b[i];
        let was_condition = std::mem::take(&mut condition);
        match c {
            b' ' | b'\t' | b'\n' | b'\r' | 0x0B | 0x0C => {
                condition = was_condition;
                i += 1;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                let end = js_line_end(b, i);
                out.push(TextRange::new(i, end));
                condition = was_condition;
                i = end;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let end = block_end(b, i)?;
                out.push(TextRange::new(i, end));
                condition = was_condition;
                i = end;
            }
            b'/' => match before {
                Before::Unsure => return None,
                Before::Operator => {
                    before = Before::Operand;
                    i += 1;
                }
                Before::Operand => {
                    i = regex_end(b, i)?;
                    before = Before::Operator;
                }
            },
            b'"' | b'\'' => {
                i = quoted(b, i, c, true)?;
                before = Before::Operator;
            }
            b'`' => (i, before) = template(i + 1, &mut stack)?,
            b'{' => {
                stack.push(Open::Brace);
                before = Before::Operand;
                i += 1;
            }
            b'}' => match stack.pop()? {
                Open::Substitution => (i, before) = template(i + 1, &mut stack)?,
                Open::Brace => {
                    before = Before::Unsure;
                    i += 1;
                }
                _ => return None,
            },
            b'(' => {
                stack.push(if was_condition {
                    Open::Condition
                } else {
                    Open::Paren
                });
                before = Before::Operand;
                i += 1;
            }
            b')' => {
                before = match stack.pop()? {
                    Open::Paren => Before::Operator,
                    Open::Condition => Before::Operand,
                    _ => return None,
                };
                i += 1;
            }
            b'[' => {
                stack.push(Open::Bracket);
                before = Before::Operand;
                i += 1;
            }
            b']' => {
                if stack.pop()? != Open::Bracket {
                    return None;
                }
                before = Before::Operator;
                i += 1;
            }
            b'+' | b'-' if b.get(i + 1) == Some(&c) => {
                before = Before::Unsure;
                i += 2;
            }
            b'<' if jsx && before == Before::Operand => return None,
            b'!' if ts
                && before == Before::Operator
                && i > 0
                && !b[i - 1].is_ascii_whitespace()
                && b.get(i + 1) != Some(&b'=') =>
            {
                i += 1;
            }
            b'.' if b.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                i = word_end(b, i + 1);
                before = Before::Operator;
            }
            b'#' | b'\\' => {
                // A private name (`#x`) or a word with an escape in it.
                i = word_end(b, i + 1);
                before = Before::Operator;
            }
            c if is_js_word(c) => {
                let end = word_end(b, i);
                let word = &b[i..end];
                let after_dot = b[..i]
                    .iter()
                    .rev()
                    .find(|c| !c.is_ascii_whitespace())
                    .is_some_and(|&c| c == b'.');
                before = if !after_dot && REGEX_AFTER.contains(&word) {
                    Before::Operand
                } else {
                    Before::Operator
                };
                condition = !after_dot && CONDITION_AFTER.contains(&word);
                i = end;
            }
            _ => {
                before = Before::Operand;
                i += 1;
            }
        }
    }
    stack.is_empty().then_some(out)
}

/// The end of a run of word bytes from `i` (letters, digits, `_`, `$`, any
/// byte of a non-ASCII character, and `\` escapes).
fn word_end(b: &[u8], mut i: usize) -> usize {
    while i < b.len() {
        if b[i] == b'\\' {
            i += 2;
        } else if is_js_word(b[i]) {
            i += 1;
        } else {
            break;
        }
    }
    i.min(b.len())
}

/// The end of a regular expression literal that starts at `start` (`/`),
/// its flags included.
fn regex_end(b: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    let mut class = false;
    loop {
        match *b.get(i)? {
            b'\\' => {
                if matches!(b.get(i + 1), Some(b'\n' | b'\r') | None) {
                    return None;
                }
                i += 2;
            }
            b'\n' | b'\r' => return None,
            b'[' => {
                class = true;
                i += 1;
            }
            b']' => {
                class = false;
                i += 1;
            }
            b'/' if !class => break,
            _ => i += 1,
        }
    }
    Some(word_end(b, i + 1))
}

/// What the Python lexer expects of the next token, for docstrings.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Doc {
    /// The first statement of a module or a body: a string here is a
    /// docstring if it is alone in its statement.
    Expected,
    /// A string that is a docstring if the statement ends after it.
    Candidate(usize, usize),
    /// Nothing to look for until a `def` or `class` header ends.
    No,
}

fn python(b: &[u8]) -> Option<Vec<TextRange>> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    // Whether the next token starts a statement.
    let mut statement = true;
    // Inside a `def` or `class` header, waiting for its `:`.
    let mut header = false;
    let mut doc = Doc::Expected;
    let mut i = 0;
    let mut sorted = true;
    // The statement ended: a docstring candidate is one.
    let end_statement = |doc: &mut Doc, out: &mut Vec<TextRange>, sorted: &mut bool| {
        if let Doc::Candidate(s, e) = *doc {
            *sorted &= out.last().is_none_or(|l: &TextRange| l.end <= s);
            out.push(TextRange::new(s, e));
        }
        if *doc != Doc::Expected {
            *doc = Doc::No;
        }
    };
    while i < b.len() {
        let c = b[i];
        match c {
            b' ' | b'\t' | 0x0C => i += 1,
            b'\\' if matches!(b.get(i + 1), Some(b'\n' | b'\r')) => {
                i += if b.get(i + 1..i + 3) == Some(b"\r\n") {
                    3
                } else {
                    2
                };
            }
            b'\n' | b'\r' => {
                if depth == 0 {
                    end_statement(&mut doc, &mut out, &mut sorted);
                    statement = true;
                }
                i += 1;
            }
            b'#' => {
                let end = memchr::memchr(b'\n', &b[i..]).map_or(b.len(), |n| i + n);
                out.push(TextRange::new(i, end));
                i = end;
            }
            b'"' | b'\'' => {
                let end = py_string(b, i)?;
                string_token(&mut doc, i, end);
                statement = false;
                i = end;
            }
            c if c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80 => {
                let mut end = i;
                while end < b.len()
                    && (b[end].is_ascii_alphanumeric() || b[end] == b'_' || b[end] >= 0x80)
                {
                    end += 1;
                }
                let word = &b[i..end];
                if matches!(b.get(end), Some(b'"' | b'\'')) && is_string_prefix(word) {
                    let close = py_string(b, end)?;
                    string_token(&mut doc, i, close);
                    statement = false;
                    i = close;
                    continue;
                }
                if doc == Doc::Expected {
                    doc = Doc::No;
                } else if let Doc::Candidate(..) = doc {
                    doc = Doc::No;
                }
                if statement && depth == 0 && (word == b"def" || word == b"class") {
                    header = true;
                }
                // `async def`: the next word still starts the statement.
                statement = statement && word == b"async";
                i = end;
            }
            _ => {
                match c {
                    b'(' | b'[' | b'{' => depth += 1,
                    b')' | b']' | b'}' => depth = depth.checked_sub(1)?,
                    b':' if depth == 0 && header && b.get(i + 1) != Some(&b'=') => {
                        header = false;
                        statement = false;
                        doc = Doc::Expected;
                        i += 1;
                        continue;
                    }
                    b';' if depth == 0 => {
                        end_statement(&mut doc, &mut out, &mut sorted);
                        statement = true;
                        i += 1;
                        continue;
                    }
                    _ => {}
                }
                if doc != Doc::No {
                    doc = Doc::No;
                }
                statement = false;
                i += 1;
            }
        }
    }
    if depth != 0 {
        return None;
    }
    end_statement(&mut doc, &mut out, &mut sorted);
    if !sorted {
        out.sort_by_key(|r| r.start);
    }
    Some(out)
}

/// A string token from `start` to `end`: the docstring candidate if one is
/// expected, and the end of any candidate before it (two strings in a row
/// are a concatenation, which is no docstring).
fn string_token(doc: &mut Doc, start: usize, end: usize) {
    *doc = match *doc {
        Doc::Expected => Doc::Candidate(start, end),
        Doc::Candidate(..) | Doc::No => Doc::No,
    };
}

/// Whether `word` is the prefix of a Python string: `r`, `u`, `b`, `f` and
/// the pairs `br`, `rb`, `fr`, `rf`, in any case.
fn is_string_prefix(word: &[u8]) -> bool {
    let lower: Vec<u8> = word.iter().map(u8::to_ascii_lowercase).collect();
    matches!(
        lower.as_slice(),
        b"r" | b"u" | b"b" | b"f" | b"br" | b"rb" | b"fr" | b"rf"
    )
}

/// The end of a Python string whose quote is at `q`: single or triple
/// quoted. A backslash keeps the next character from ending it, raw or not.
fn py_string(b: &[u8], q: usize) -> Option<usize> {
    let quote = b[q];
    let triple = b.get(q + 1) == Some(&quote) && b.get(q + 2) == Some(&quote);
    if !triple {
        return quoted(b, q, quote, true);
    }
    let mut i = q + 3;
    loop {
        match *b.get(i)? {
            b'\\' => i += 2,
            c if c == quote && b.get(i + 1) == Some(&quote) && b.get(i + 2) == Some(&quote) => {
                return Some(i + 3);
            }
            _ => i += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::comments_in;

    #[test]
    fn only_the_languages_with_a_lexer_are_lexed() {
        for lang in Language::ALL {
            let lexed = comments(lang, "// #A: x\n# #B: y\n");
            assert_eq!(lexed.is_some(), covers(lang), "{}", lang.name());
        }
    }

    /// The comments the parse finds, where the lexer is sure.
    fn agrees(lang: Language, src: &str) -> bool {
        let Some(lexed) = comments(lang, src) else {
            return false;
        };
        let tree = lang.parser().parse(src, None).unwrap();
        let parsed = comments_in(lang, &tree, None);
        let show = |v: &[TextRange]| -> Vec<String> {
            v.iter().map(|r| src[r.start..r.end].to_owned()).collect()
        };
        assert_eq!(show(&lexed), show(&parsed), "{} in {src:?}", lang.name());
        true
    }

    #[test]
    fn go_comments_are_those_of_the_parse() {
        for src in [
            "package a\n// #A: x\nfunc f() string { return \"// no\" + `/* no\n*/` } /* b */\n",
            "package a\nvar r = '\"' // c\nvar s = \"\\\"// no\" // d\r\nvar t = 1 / 2 /* e\n */\n",
            "package a\n\n/*\n#COMPLETION_DRIVE: x\n*/\nfunc g() { x := '/' ; _ = x }\n",
        ] {
            assert!(agrees(Language::Go, src), "{src:?}");
        }
        assert_eq!(comments(Language::Go, "package a\nvar s = \"open\n"), None);
        assert_eq!(comments(Language::Go, "package a\n/* open\n"), None);
    }

    #[test]
    fn javascript_comments_are_those_of_the_parse() {
        for (lang, src) in [
            (
                Language::TypeScript,
                "// a\nconst x = 1; /* b */\nfunction f() {\n  // c\n  return '// not';\n}\n",
            ),
            (
                Language::TypeScript,
                "const r = /\\/\\/ no [/*]/g; // c\nconst d = a / b / c; // d\nif (x) /'/.test(y); // e\n",
            ),
            (
                Language::TypeScript,
                "const t = `a ${ b ? `// ${c}` : '/*' } // no`; // yes\nconst u = x.return / 2 // f\n",
            ),
            (
                Language::TypeScript,
                "class A<T> { #p = 1; m(): Array<string> { return [] } } // g\nlet n = .5 / 2 // h\n",
            ),
            (
                Language::JavaScript,
                "#!/usr/bin/env node\n// a\nconst x = typeof /re/ // b\n",
            ),
            (
                Language::TypeScript,
                "f(ms! / this.factor); // a\nconst n = !/x/.test(s) // b\nif (a! !== b) {} // c\n",
            ),
            (
                Language::TypeScript,
                "const o = { a: '}', b: \"{\" } // c\nconst e = `\\`${'`'}` /* d */\n",
            ),
        ] {
            assert!(agrees(lang, src), "{src:?}");
        }
    }

    #[test]
    fn javascript_gives_up_where_the_token_before_does_not_decide() {
        // JSX text is not code.
        assert_eq!(
            comments(Language::Tsx, "const a = <p>don't // x</p>\n"),
            None
        );
        assert_eq!(comments(Language::TypeScript, "{}\n/a/.test(b)\n"), None);
        assert_eq!(comments(Language::TypeScript, "a++ / 2\n"), None);
        assert_eq!(comments(Language::TypeScript, "f(a\n"), None);
        assert_eq!(comments(Language::TypeScript, "const s = 'open\n"), None);
        assert_eq!(comments(Language::TypeScript, "const s = `open\n"), None);
        // Generic types are not JSX in TypeScript.
        assert!(agrees(
            Language::TypeScript,
            "const a = <T>(x: T) => x // c\n"
        ));
    }

    #[test]
    fn python_comments_and_docstrings_are_those_of_the_parse() {
        for src in [
            "\"\"\"module\"\"\"\nX = \"\"\"not\"\"\"\n\nclass C:\n    # a\n    '''class'''\n    y = 'not'\n\n    def f(self, a,  # b\n          c):\n        r\"\"\"function\"\"\"\n        \"not\"\n\ndef g():\n    x = 1\n    \"not\"\n",
            "# c\n'''doc''' # d\nasync def f(x: 'T' = {'a': 1}) -> \"R\": \"one-line\"\nx = f\"{y!r} # no\"\n",
            "def f():\n    \"a\" \"b\"\n    return 1\nclass D(object): pass\ndef g(): return \"x\"\n",
            "x = 1\n\"\"\"not a docstring\"\"\"\ndef h(a=lambda: 'x'):\n    \"\"\"yes\\\"\"\" \"\"\"\n",
            "def f():\n    'a'.strip()\n    # e\nclass E:\n    \"\"\"doc\"\"\"; x = 1\n",
            "s = 'a\\\n# not'\nt = rb'\\' # no'  # yes\r\nu = 1 \\\n  # c\n",
        ] {
            assert!(agrees(Language::Python, src), "{src:?}");
        }
        assert_eq!(comments(Language::Python, "x = 'open\n"), None);
        assert_eq!(comments(Language::Python, "x = (1,\n"), None);
    }
}
