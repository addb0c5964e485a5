//! Environment-variable uses in code (`process.env.X`, `os.Getenv("X")`,
//! `os.environ["X"]`), found with one tree-sitter query per language.
//!
//! The queries live under `server/queries/env/` and are compiled once at first
//! use. Only names written out in the source are found: a computed key such as
//! `process.env[name]` names no variable tagls could check.

use std::cell::RefCell;
use std::sync::OnceLock;

use tree_sitter::{Node, Query, QueryCursor, StreamingIterator, TextProvider, Tree};

use super::Language;
use crate::text::TextRange;

/// The capture that holds the variable's name. Every other capture in an env
/// query starts with `_` and exists only for predicates or for the extent of
/// the match.
pub const NAME_CAPTURE: &str = "env.name";

/// One use of an environment variable in code.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EnvUse {
    pub name: String,
    /// The name's bytes, without the quotes of a string literal.
    pub name_range: TextRange,
    /// The whole matched expression, so that an edit anywhere inside it (say,
    /// to `process`) can invalidate the use.
    pub match_range: TextRange,
}

/// The source of a language's env query, for a language that has one.
pub fn query_source(lang: Language) -> Option<&'static str> {
    Some(match lang {
        // The three grammars name these nodes alike: one query serves them.
        Language::TypeScript | Language::Tsx | Language::JavaScript => {
            include_str!("../../queries/env/ecmascript.scm")
        }
        Language::Go => include_str!("../../queries/env/go.scm"),
        Language::Python => include_str!("../../queries/env/python.scm"),
        Language::Swift => include_str!("../../queries/env/swift.scm"),
        Language::Rust => include_str!("../../queries/env/rust.scm"),
        Language::Java => include_str!("../../queries/env/java.scm"),
        Language::Kotlin => include_str!("../../queries/env/kotlin.scm"),
        Language::CSharp => include_str!("../../queries/env/csharp.scm"),
        Language::C => include_str!("../../queries/env/c.scm"),
        Language::Cpp => include_str!("../../queries/env/cpp.scm"),
        Language::Ruby => include_str!("../../queries/env/ruby.scm"),
        Language::Php => include_str!("../../queries/env/php.scm"),
        // Shell reads every variable as `$X`, its own as well as the
        // environment's; style sheets, Lua, data and markup files read none
        // that tagls could tell apart.
        Language::Bash
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

/// The compiled env query, for a language that has one. Query sources ship
/// inside the binary and a test compiles every one, so failing here is a
/// build defect.
pub fn query(lang: Language) -> Option<&'static Query> {
    static QUERIES: [OnceLock<Option<Query>>; Language::ALL.len()] =
        [const { OnceLock::new() }; Language::ALL.len()];
    QUERIES[lang.index()]
        .get_or_init(|| {
            let source = query_source(lang)?;
            Some(Query::new(&lang.grammar(), source).unwrap_or_else(|e| {
                panic!(
                    "the bundled {} env query does not compile: {e}",
                    lang.name()
                )
            }))
        })
        .as_ref()
}

/// The environment-variable uses of `tree` whose matched expression overlaps
/// or touches `within`, in document order and without duplicates. `text`
/// gives the bytes the tree was parsed from.
pub fn env_uses_in<T: TextProvider<I>, I: AsRef<[u8]>>(
    lang: Language,
    tree: &Tree,
    within: Option<TextRange>,
    text: T,
) -> Vec<EnvUse> {
    let text = RefCell::new(text);
    let ranges: Vec<std::ops::Range<usize>> = match within {
        // Tree-sitter keeps only nodes that overlap the range; one byte of
        // slack on each side lets a use that merely touches it through, and
        // the filter below then applies the exact rule.
        Some(r) => std::iter::once(r.start.saturating_sub(1)..r.end.saturating_add(1)).collect(),
        None => {
            let mut source = Vec::new();
            for chunk in text.borrow_mut().text(tree.root_node()) {
                source.extend_from_slice(chunk.as_ref());
            }
            accessor_regions(lang, tree, &source)
        }
    };
    // Compiling a query costs more than a parse of most files: a text with
    // no accessor has no use to find.
    if ranges.is_empty() {
        return Vec::new();
    }
    let Some(query) = query(lang) else {
        return Vec::new();
    };
    let Some(name_index) = query.capture_index_for_name(NAME_CAPTURE) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut cursor = QueryCursor::new();
    for range in ranges {
        cursor.set_byte_range(range);
        // The cursor owns the text provider while it runs the predicates, and
        // the names are read through the same provider between matches.
        let mut matches = cursor.matches(query, tree.root_node(), SharedText(&text));
        while let Some(m) = matches.next() {
            let mut name_node = None;
            let mut cover: Option<TextRange> = None;
            for cap in m.captures() {
                let r = TextRange::from(cap.node.byte_range());
                cover = Some(cover.map_or(r, |c| c.cover(r)));
                if cap.index == name_index {
                    name_node = Some(cap.node);
                }
            }
            let (Some(node), Some(match_range)) = (name_node, cover) else {
                continue;
            };
            if within.is_some_and(|w| !match_range.touches(w)) {
                continue;
            }
            // A name node with named children holds escape sequences (Python
            // nests them inside the string's content); tagls does not decode
            // them, so it does not guess a name either.
            if node.named_child_count() > 0 {
                continue;
            }
            let Some(name) = node_text(&mut *text.borrow_mut(), node) else {
                continue;
            };
            if name.is_empty() {
                continue;
            }
            out.push(EnvUse {
                name,
                name_range: TextRange::from(node.byte_range()),
                match_range,
            });
        }
    }
    out.sort_unstable_by(|a, b| {
        (a.name_range, a.match_range, &a.name).cmp(&(b.name_range, b.match_range, &b.name))
    });
    out.dedup();
    out
}

/// The identifiers an env read cannot do without, one of which every
/// pattern of the language's query compares a node with (a test checks
/// that each pattern names one). None for a language without a query.
pub fn accessor_words(lang: Language) -> &'static [&'static [u8]] {
    match lang {
        Language::TypeScript | Language::Tsx | Language::JavaScript => &[b"env"],
        Language::Go => &[b"Getenv", b"LookupEnv"],
        Language::Python => &[b"environ", b"getenv"],
        Language::Swift => &[b"environment", b"getenv"],
        Language::Rust => &[b"var", b"var_os", b"env", b"option_env"],
        Language::Java | Language::Kotlin => &[b"getenv"],
        Language::CSharp => &[b"GetEnvironmentVariable"],
        Language::C | Language::Cpp => &[b"getenv", b"secure_getenv"],
        Language::Ruby => &[b"ENV"],
        Language::Php => &[b"getenv", b"_ENV"],
        Language::Bash
        | Language::Css
        | Language::Scss
        | Language::Lua
        | Language::Yaml
        | Language::Toml
        | Language::Html
        | Language::Vue
        | Language::Svelte => &[],
    }
}

/// Whether `source` may read an environment variable: it holds one of the
/// identifiers every env read needs, as a word of its own (`environment` or
/// `dotenv` is no `env`). `false` is certain, since the tree is only asked
/// about an identifier of exactly these bytes; `true` only means that the
/// tree must be asked.
pub fn may_read_env(lang: Language, source: &[u8]) -> bool {
    // A host file reads the environment in its scripts.
    let lang = super::embed::script_language(lang).unwrap_or(lang);
    // Bytes that continue an identifier: around such a byte, the word is
    // part of a longer name. Other bytes, non-ASCII ones included, may end
    // one.
    let dollar = matches!(
        lang,
        Language::TypeScript | Language::Tsx | Language::JavaScript
    );
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || (dollar && b == b'$');
    accessor_words(lang).iter().any(|w| {
        memchr::memmem::find_iter(source, w).any(|at| {
            let before = at.checked_sub(1).map(|i| source[i]);
            let after = source.get(at + w.len()).copied();
            !before.is_some_and(ident) && !after.is_some_and(ident)
        })
    })
}

/// How far above the accessor identifier a pattern's outermost node can be:
/// `os.environ.get("X")` is the deepest, with the call three levels up.
const PATTERN_DEPTH: usize = 3;

/// The parts of the tree where a use can be: around each accessor identifier,
/// the node [`PATTERN_DEPTH`] levels up, merged and in order. `source` is
/// the text of the root node. A whole-tree
/// query costs as much as the parse itself; these regions are a few nodes.
fn accessor_regions(lang: Language, tree: &Tree, source: &[u8]) -> Vec<std::ops::Range<usize>> {
    let root = tree.root_node();
    let mut regions: Vec<std::ops::Range<usize>> = Vec::new();
    for word in accessor_words(lang) {
        // `source` is the root node's text, which starts at its first token.
        for at in memchr::memmem::find_iter(source, word) {
            let at = at + root.start_byte();
            let end = at + word.len();
            let Some(mut node) = root.descendant_for_byte_range(at, end) else {
                continue;
            };
            // Only an identifier of exactly these bytes can be compared
            // equal; the word inside a longer name, a string or a comment
            // cannot.
            if node.start_byte() != at || node.end_byte() != end {
                continue;
            }
            for _ in 0..PATTERN_DEPTH {
                match node.parent() {
                    Some(p) => node = p,
                    None => break,
                }
            }
            regions.push(node.byte_range());
        }
    }
    regions.sort_unstable_by_key(|r| (r.start, r.end));
    let mut merged: Vec<std::ops::Range<usize>> = Vec::with_capacity(regions.len());
    for r in regions {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    merged
}

/// The text of `node`, joined from the provider's chunks. `None` if the bytes
/// are not UTF-8, which a name taken from a document never is.
fn node_text<T: TextProvider<I>, I: AsRef<[u8]>>(text: &mut T, node: Node<'_>) -> Option<String> {
    let mut bytes = Vec::new();
    for chunk in text.text(node) {
        bytes.extend_from_slice(chunk.as_ref());
    }
    String::from_utf8(bytes).ok()
}

/// Lends one text provider to the query cursor and to [`node_text`] in turn.
struct SharedText<'a, T>(&'a RefCell<T>);

impl<T: TextProvider<I>, I: AsRef<[u8]>> TextProvider<I> for SharedText<'_, T> {
    type I = T::I;

    fn text(&mut self, node: Node) -> Self::I {
        self.0.borrow_mut().text(node)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_accessor_as_a_word_of_its_own_may_read_env() {
        let ts = Language::TypeScript;
        for yes in [
            "process.env.X",
            "import.meta.env.X",
            "const { env } = process",
            "env",
        ] {
            assert!(may_read_env(ts, yes.as_bytes()), "{yes}");
        }
        for no in [
            "the environment",
            "dotenv.config()",
            "$env",
            "env_file",
            "ENV",
        ] {
            assert!(!may_read_env(ts, no.as_bytes()), "{no}");
        }
        assert!(may_read_env(Language::Python, b"os.environ['X']"));
        assert!(!may_read_env(Language::Python, b"environment = 1"));
        assert!(may_read_env(Language::Go, b"os.Getenv(\"X\")"));
        assert!(!may_read_env(Language::Go, b"myGetenv()"));
    }

    /// The names found in `src`, after checking that every `name_range`
    /// slices to its name and lies inside its `match_range`.
    fn names(lang: Language, src: &str) -> Vec<String> {
        uses(lang, src, None).into_iter().map(|u| u.name).collect()
    }

    fn uses(lang: Language, src: &str, within: Option<TextRange>) -> Vec<EnvUse> {
        let tree = lang
            .parser()
            .parse(src, None)
            .unwrap_or_else(|| panic!("{} failed to parse", lang.name()));
        let found = env_uses_in(lang, &tree, within, src.as_bytes());
        if within.is_none() {
            // The regions around the accessor identifiers find exactly what
            // a query over the whole tree finds.
            let whole = env_uses_in(
                lang,
                &tree,
                Some(TextRange::new(0, src.len())),
                src.as_bytes(),
            );
            assert_eq!(found, whole, "{}: {src}", lang.name());
            assert!(may_read_env(lang, src.as_bytes()) || found.is_empty());
        }
        for u in &found {
            assert_eq!(&src[u.name_range.start..u.name_range.end], u.name);
            assert!(
                u.match_range.start <= u.name_range.start && u.name_range.end <= u.match_range.end,
                "{u:?}"
            );
        }
        found
    }

    #[test]
    fn every_env_query_compiles_and_captures_a_name() {
        for lang in Language::ALL {
            let Some(source) = query_source(lang) else {
                assert!(accessor_words(lang).is_empty(), "{}", lang.name());
                continue;
            };
            let q = Query::new(&lang.grammar(), source)
                .unwrap_or_else(|e| panic!("{} env query: {e}", lang.name()));
            let captures = q.capture_names();
            assert!(captures.contains(&NAME_CAPTURE), "{}", lang.name());
            for c in captures {
                assert!(
                    *c == NAME_CAPTURE || c.starts_with('_'),
                    "{} env query has an unknown capture @{c}",
                    lang.name()
                );
            }
            // The cached query is the same source.
            assert_eq!(
                query(lang).map(|q| q.pattern_count()),
                Some(q.pattern_count())
            );
        }
    }

    const JS_SOURCE: &str = r#"
// 日本語 🎉 𝄞 before every target, so byte offsets are not char offsets.
const a = process.env.DOT_NAME;
const b = process.env["DOUBLE_QUOTED"] + process.env['SINGLE_QUOTED'];
const { PLAIN, RENAMED: alias, DEFAULTED = 'd', "QUOTED_KEY": q, ...rest } = process.env;
let { LET_PLAIN } = process.env;
({ ASSIGNED } = process.env);
const v = import.meta.env.VITE_NAME;
const o = process.env?.OPTIONAL_CHAIN?.trim();
// Not uses: computed keys, other objects, strings and comments.
const c = process.env[name];
const d = process.env[`TEMPLATE`];
const e = env.NOT_PROCESS;
const f = process.environment.NOT_ENV;
const g = "process.env.IN_STRING";
// process.env.IN_COMMENT
const h = foo.process.env.NESTED;
const i = process.env["ESCAPED\u0041"];
const j = process.env[""];
const k = import.meta.other.NOT_ENV;
const { NOT_FROM_ENV } = process;
"#;

    const JS_EXPECTED: [&str; 10] = [
        "DOT_NAME",
        "DOUBLE_QUOTED",
        "SINGLE_QUOTED",
        "PLAIN",
        "RENAMED",
        "DEFAULTED",
        "QUOTED_KEY",
        "LET_PLAIN",
        "ASSIGNED",
        "VITE_NAME",
    ];

    #[test]
    fn javascript_finds_process_env_and_import_meta_env() {
        let mut expected = JS_EXPECTED.to_vec();
        expected.push("OPTIONAL_CHAIN");
        assert_eq!(names(Language::JavaScript, JS_SOURCE), expected);
    }

    #[test]
    fn jsx_is_parsed_by_the_javascript_grammar() {
        let src = "const el = <div title={process.env.TITLE}>{process.env['BODY']}</div>;";
        assert_eq!(names(Language::JavaScript, src), ["TITLE", "BODY"]);
    }

    #[test]
    fn typescript_and_tsx_find_the_same_forms() {
        let ts = format!(
            "{JS_SOURCE}\nconst t: string = process.env.TYPED!;\nconst {{ ANNOTATED }}: Env = process.env;\n"
        );
        let mut expected = JS_EXPECTED.to_vec();
        expected.extend(["OPTIONAL_CHAIN", "TYPED", "ANNOTATED"]);
        assert_eq!(names(Language::TypeScript, &ts), expected);
        let tsx = format!("{ts}\nconst el = <p>{{process.env.IN_JSX}}</p>;\n");
        expected.push("IN_JSX");
        assert_eq!(names(Language::Tsx, &tsx), expected);
    }

    #[test]
    fn match_range_covers_the_whole_expression() {
        let src = "x = process.env[\"KEY\"];\nconst { A, B: b } = process.env;";
        let found = uses(Language::JavaScript, src, None);
        let slices: Vec<_> = found
            .iter()
            .map(|u| &src[u.match_range.start..u.match_range.end])
            .collect();
        assert_eq!(
            slices,
            [
                "process.env[\"KEY\"]",
                "{ A, B: b } = process.env",
                "{ A, B: b } = process.env"
            ]
        );
    }

    #[test]
    fn go_finds_getenv_and_lookupenv_with_literal_names() {
        let src = r#"package main

import "os"

// 日本語 🎉 𝄞 before every target.
func main() {
	a := os.Getenv("INTERPRETED")
	b, ok := os.LookupEnv(`RAW`)
	c := os.Getenv("DEFAULTED" + "")
	// Not uses: computed keys, other packages, Python spelling, escapes.
	d := os.Getenv(key)
	e := env.Getenv("OTHER_PACKAGE")
	f := os.getenv("LOWERCASE")
	g := os.Getenv("ESCAPED\x41")
	h := os.Getenv("")
	i := os.Setenv("SETTER", "v")
	j := "os.Getenv(\"IN_STRING\")"
	// os.Getenv("IN_COMMENT")
}
"#;
        assert_eq!(names(Language::Go, src), ["INTERPRETED", "RAW"]);
    }

    #[test]
    fn python_finds_environ_and_getenv_with_literal_names() {
        let src = r#"import os

# 日本語 🎉 𝄞 before every target.
a = os.environ["SUBSCRIPT"]
b = os.environ.get('GET')
c = os.environ.get("GET_DEFAULT", "d")
d = os.getenv("GETENV")
e = os.getenv('GETENV_DEFAULT', None)
f = os.environ["""TRIPLE"""]
# Not uses: computed keys, other objects, escapes, interpolation, strings.
g = os.environ[key]
h = os.environ.get(key, "d")
i = os.getenv(f"{prefix}_URL")
j = environ["BARE"]
k = os.Getenv("GO_SPELLING")
l = os.environment["NOT_ENVIRON"]
m = os.getenv("ESCAPED\x41")
n = os.getenv("")
o = "os.environ['IN_STRING']"
# os.getenv("IN_COMMENT")
p = os.environ.pop("POP")
"#;
        assert_eq!(
            names(Language::Python, src),
            [
                "SUBSCRIPT",
                "GET",
                "GET_DEFAULT",
                "GETENV",
                "GETENV_DEFAULT",
                "TRIPLE"
            ]
        );
    }

    #[test]
    fn swift_finds_process_info_environment_and_getenv() {
        let src = r#"import Foundation
// 日本語 🎉 𝄞 before every target.
let a = ProcessInfo.processInfo.environment["API_KEY"]
let b = getenv("C_STYLE")
// Not uses: escapes, interpolation, computed keys, strings, other objects.
let c = ProcessInfo.processInfo.environment["X\u{41}"]
let d = ProcessInfo.processInfo.environment["\(prefix)_URL"]
let e = ProcessInfo.processInfo.environment[key]
let f = "ProcessInfo.processInfo.environment[\"IN_STRING\"]"
let g = other.processInfo.environment["OTHER"]
// ProcessInfo.processInfo.environment["IN_COMMENT"]
"#;
        assert_eq!(names(Language::Swift, src), ["API_KEY", "C_STYLE"]);
    }

    #[test]
    fn rust_finds_env_var_and_the_env_macros() {
        let src = r##"// 日本語 🎉 𝄞 before every target.
fn main() {
    let a = std::env::var("DATABASE_URL");
    let b = env::var_os("VAR_OS");
    let c = env!("AT_BUILD");
    let d = option_env!("MAYBE_AT_BUILD");
    // Not uses: escapes, raw strings, computed keys, other paths, strings.
    let e = std::env::var("ESCAPED\x41");
    let f = std::env::var(key);
    let g = std::env::set_var("SETTER", "v");
    let h = config::var("OTHER_MODULE");
    let i = "std::env::var(\"IN_STRING\")";
    // std::env::var("IN_COMMENT")
}
"##;
        assert_eq!(
            names(Language::Rust, src),
            ["DATABASE_URL", "VAR_OS", "AT_BUILD", "MAYBE_AT_BUILD"]
        );
    }

    #[test]
    fn java_and_kotlin_find_system_getenv() {
        let java = r#"class A {
  // 日本語 🎉 𝄞 before every target.
  String a = System.getenv("JAVA_KEY");
  String b = System.getenv("X\u0041");
  String c = System.getenv(key);
  String d = Other.getenv("OTHER");
  String e = "System.getenv(\"IN_STRING\")";
}
"#;
        assert_eq!(names(Language::Java, java), ["JAVA_KEY"]);
        let kotlin = r#"// 日本語 🎉 𝄞 before every target.
val a = System.getenv("KT_KEY")
val b = System.getenv()["KT_MAP"]
val c = "x ${System.getenv("IN_TEMPLATE")}"
val d = System.getenv("${prefix}_URL")
val e = Other.getenv("OTHER")
val f = "System.getenv(\"IN_STRING\")"
"#;
        assert_eq!(
            names(Language::Kotlin, kotlin),
            ["KT_KEY", "KT_MAP", "IN_TEMPLATE"]
        );
    }

    #[test]
    fn csharp_finds_get_environment_variable() {
        let src = r#"class A {
  // 日本語 🎉 𝄞 before every target.
  string a = Environment.GetEnvironmentVariable("CS_KEY");
  string b = System.Environment.GetEnvironmentVariable("CS_FULL");
  string c = Environment.GetEnvironmentVariable(key);
  string d = Environment.GetEnvironmentVariable("X\u0041");
  string e = Other.GetEnvironmentVariable("OTHER");
  string f = "Environment.GetEnvironmentVariable(\"IN_STRING\")";
}
"#;
        assert_eq!(names(Language::CSharp, src), ["CS_KEY", "CS_FULL"]);
    }

    #[test]
    fn c_and_cpp_find_getenv() {
        let c = "#include <stdlib.h>\n/* 日本語 🎉 𝄞 */\nchar *a = getenv(\"C_KEY\");\nchar *b = secure_getenv(\"C_SECURE\");\nchar *c = getenv(key);\nchar *d = \"getenv(\\\"IN_STRING\\\")\";\n";
        assert_eq!(names(Language::C, c), ["C_KEY", "C_SECURE"]);
        let cpp = "// 日本語 🎉 𝄞\nauto a = std::getenv(\"CPP_KEY\");\nauto b = getenv(\"CPP_BARE\");\nauto c = other::getenv(\"OTHER\");\nauto r = R\"(getenv(\"RAW\"))\";\n";
        assert_eq!(names(Language::Cpp, cpp), ["CPP_KEY", "CPP_BARE"]);
    }

    #[test]
    fn ruby_finds_env_subscripts_and_fetch() {
        let src = r##"# 日本語 🎉 𝄞 before every target.
a = ENV["RB_KEY"]
b = ENV.fetch("RB_FETCH")
c = ENV.fetch('RB_DEFAULT', 'x')
d = ENV['RB_SINGLE']
# Not uses: interpolation, computed keys, other constants, strings.
e = ENV["#{prefix}_URL"]
f = ENV[key]
g = CONFIG["NOT_ENV"]
h = "ENV['IN_STRING']"
"##;
        assert_eq!(
            names(Language::Ruby, src),
            ["RB_KEY", "RB_FETCH", "RB_DEFAULT", "RB_SINGLE"]
        );
    }

    #[test]
    fn php_finds_getenv_and_the_env_superglobal() {
        let src = r#"<?php
// 日本語 🎉 𝄞 before every target.
$a = getenv('PHP_KEY');
$b = $_ENV['PHP_ENV'];
$c = getenv("PHP_DOUBLE");
// Not uses: other arrays, computed keys, interpolation, strings.
$d = $_GET['NOT_ENV'];
$e = getenv($key);
$f = getenv("{$prefix}_URL");
$g = "getenv('IN_STRING')";
"#;
        assert_eq!(
            names(Language::Php, src),
            ["PHP_KEY", "PHP_ENV", "PHP_DOUBLE"]
        );
    }

    #[test]
    fn languages_without_a_query_find_no_use() {
        for lang in [Language::Bash, Language::Css, Language::Yaml] {
            assert!(!may_read_env(lang, b"echo $HOME ENV getenv env"));
            assert!(names(lang, "x").is_empty());
        }
        // Markup has no query of its own; its scripts read as JavaScript
        // does (`syntax::embed`), so a host file with `env` is parsed.
        for lang in [Language::Html, Language::Vue, Language::Svelte] {
            assert!(query_source(lang).is_none());
            assert!(may_read_env(lang, b"<script>process.env.X</script>"));
            assert!(!may_read_env(lang, b"<p>the environment</p>"));
        }
    }

    #[test]
    fn within_limits_results_to_uses_that_touch_the_range() {
        let src = "a = process.env.FIRST;\nb = process.env.SECOND;\nc = process.env.THIRD;\n";
        let second = src.find("process.env.SECOND").unwrap_or_default();
        let line = TextRange::new(second, second + "process.env.SECOND".len());
        let names_within = |r: TextRange| -> Vec<String> {
            uses(Language::JavaScript, src, Some(r))
                .into_iter()
                .map(|u| u.name)
                .collect()
        };
        assert_eq!(names_within(line), ["SECOND"]);
        // An edit at either edge of a use, or in its middle, sees it.
        assert_eq!(names_within(TextRange::new(line.end, line.end)), ["SECOND"]);
        assert_eq!(
            names_within(TextRange::new(line.start, line.start)),
            ["SECOND"]
        );
        assert_eq!(
            names_within(TextRange::new(second + 3, second + 4)),
            ["SECOND"]
        );
        // A range between uses sees none.
        assert_eq!(
            names_within(TextRange::new(second - 3, second - 2)),
            Vec::<String>::new()
        );
        assert_eq!(
            names_within(TextRange::new(0, src.len())),
            ["FIRST", "SECOND", "THIRD"]
        );
    }

    #[test]
    fn a_chunked_text_provider_reads_the_same_names() {
        // A rope hands text over in chunks; split every node's bytes in two.
        let src = "const { CHUNKED } = process.env; process.env.SPLIT_NAME;";
        let tree = Language::JavaScript
            .parser()
            .parse(src, None)
            .unwrap_or_else(|| panic!("javascript failed to parse"));
        let chunked = |node: Node<'_>| {
            let r = node.byte_range();
            let mid = r.start + r.len() / 2;
            [&src.as_bytes()[r.start..mid], &src.as_bytes()[mid..r.end]].into_iter()
        };
        let found: Vec<_> = env_uses_in(Language::JavaScript, &tree, None, chunked)
            .into_iter()
            .map(|u| u.name)
            .collect();
        assert_eq!(found, ["CHUNKED", "SPLIT_NAME"]);
    }
}
