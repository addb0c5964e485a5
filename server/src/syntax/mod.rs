//! Languages, their tree-sitter grammars, and where in a tree tags can live.
//!
//! Tags live in comments: in every grammar tagls parses, the nodes of the
//! kinds its [`Spec`] lists (`comment`, or `line_comment` and
//! `block_comment`, ...). They are found by a walk of the tree that compares
//! node kind ids, which costs about half of what a `(comment) @comment` query does on
//! the same tree (docs/BENCHMARKS.md). Python's docstrings are documentation
//! too: the string that is the first statement of a module, class or
//! function counts as a comment; no other string does.

pub mod defs;
pub mod embed;
pub mod env;
pub mod lex;
pub mod markdown;
pub mod notebook;

use std::sync::OnceLock;

use tree_sitter::Tree;

use crate::text::TextRange;

/// A language tagls parses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Language {
    TypeScript,
    Tsx,
    JavaScript,
    Go,
    Python,
    Swift,
    Rust,
    Java,
    Kotlin,
    CSharp,
    C,
    Cpp,
    Ruby,
    Php,
    Bash,
    Css,
    Scss,
    Lua,
    Yaml,
    Toml,
    Html,
    Vue,
    Svelte,
}

/// What tagls knows of a language: plain data, one entry per language
/// ([`Language::spec`]). Adding a language is adding an entry here, a
/// grammar crate, and, where the language reads environment variables, a
/// query under `server/queries/env/` (docs/LANGUAGES.md).
pub struct Spec {
    /// The name in messages and docs.
    pub name: &'static str,
    /// The LSP language ids editors send for it.
    pub language_ids: &'static [&'static str],
    /// File extensions, without the dot.
    pub extensions: &'static [&'static str],
    /// Whole file names that hold this language whatever their extension.
    pub file_names: &'static [&'static str],
    /// The grammar's node kinds that are comments. A comment node's children
    /// (Rust's `doc_comment`) are never visited, so a tag is read once.
    pub comment_kinds: &'static [&'static str],
    /// How its comment markers are stripped.
    pub style: CommentStyle,
    grammar: fn() -> tree_sitter::Language,
}

macro_rules! grammar {
    ($lang:expr) => {{
        fn grammar() -> tree_sitter::Language {
            $lang.into()
        }
        grammar
    }};
}

static SPECS: [Spec; Language::ALL.len()] = [
    Spec {
        name: "typescript",
        language_ids: &["typescript"],
        extensions: &["ts", "mts", "cts"],
        file_names: &[],
        comment_kinds: &["comment"],
        style: CommentStyle::CFamily,
        grammar: grammar!(tree_sitter_typescript::LANGUAGE_TYPESCRIPT),
    },
    Spec {
        name: "tsx",
        language_ids: &["typescriptreact"],
        extensions: &["tsx"],
        file_names: &[],
        comment_kinds: &["comment"],
        style: CommentStyle::CFamily,
        grammar: grammar!(tree_sitter_typescript::LANGUAGE_TSX),
    },
    Spec {
        name: "javascript",
        // The JavaScript grammar parses JSX as well.
        language_ids: &["javascript", "javascriptreact", "jsx"],
        extensions: &["js", "mjs", "cjs", "jsx"],
        file_names: &[],
        comment_kinds: &["comment"],
        style: CommentStyle::CFamily,
        grammar: grammar!(tree_sitter_javascript::LANGUAGE),
    },
    Spec {
        name: "go",
        language_ids: &["go"],
        extensions: &["go"],
        file_names: &[],
        comment_kinds: &["comment"],
        style: CommentStyle::CFamily,
        grammar: grammar!(tree_sitter_go::LANGUAGE),
    },
    Spec {
        name: "python",
        language_ids: &["python"],
        extensions: &["py", "pyi"],
        file_names: &[],
        comment_kinds: &["comment"],
        style: CommentStyle::Hash,
        grammar: grammar!(tree_sitter_python::LANGUAGE),
    },
    Spec {
        name: "swift",
        language_ids: &["swift"],
        extensions: &["swift"],
        file_names: &[],
        comment_kinds: &["comment", "multiline_comment"],
        style: CommentStyle::CFamily,
        grammar: grammar!(tree_sitter_swift::LANGUAGE),
    },
    Spec {
        name: "rust",
        language_ids: &["rust"],
        extensions: &["rs"],
        file_names: &[],
        // `doc_comment` is a child of these two.
        comment_kinds: &["line_comment", "block_comment"],
        style: CommentStyle::CFamily,
        grammar: grammar!(tree_sitter_rust::LANGUAGE),
    },
    Spec {
        name: "java",
        language_ids: &["java"],
        extensions: &["java"],
        file_names: &[],
        comment_kinds: &["line_comment", "block_comment"],
        style: CommentStyle::CFamily,
        grammar: grammar!(tree_sitter_java::LANGUAGE),
    },
    Spec {
        name: "kotlin",
        language_ids: &["kotlin"],
        extensions: &["kt", "kts"],
        file_names: &[],
        comment_kinds: &["line_comment", "block_comment"],
        style: CommentStyle::CFamily,
        grammar: grammar!(tree_sitter_kotlin_ng::LANGUAGE),
    },
    Spec {
        name: "csharp",
        language_ids: &["csharp", "cs", "c-sharp"],
        extensions: &["cs", "csx"],
        file_names: &[],
        comment_kinds: &["comment"],
        style: CommentStyle::CFamily,
        grammar: grammar!(tree_sitter_c_sharp::LANGUAGE),
    },
    Spec {
        name: "c",
        language_ids: &["c"],
        extensions: &["c", "h"],
        file_names: &[],
        comment_kinds: &["comment"],
        style: CommentStyle::CFamily,
        grammar: grammar!(tree_sitter_c::LANGUAGE),
    },
    Spec {
        name: "cpp",
        language_ids: &["cpp", "cuda-cpp"],
        extensions: &[
            "cpp", "cc", "cxx", "c++", "hpp", "hh", "hxx", "h++", "ipp", "inl",
        ],
        file_names: &[],
        comment_kinds: &["comment"],
        style: CommentStyle::CFamily,
        grammar: grammar!(tree_sitter_cpp::LANGUAGE),
    },
    Spec {
        name: "ruby",
        language_ids: &["ruby"],
        extensions: &["rb", "rake", "gemspec", "ru"],
        file_names: &["Gemfile", "Rakefile", "Podfile", "Fastfile", "Brewfile"],
        comment_kinds: &["comment"],
        style: CommentStyle::Hash,
        grammar: grammar!(tree_sitter_ruby::LANGUAGE),
    },
    Spec {
        name: "php",
        language_ids: &["php"],
        extensions: &["php", "phtml"],
        file_names: &[],
        comment_kinds: &["comment"],
        style: CommentStyle::CFamilyOrHash,
        grammar: grammar!(tree_sitter_php::LANGUAGE_PHP),
    },
    Spec {
        name: "bash",
        language_ids: &["shellscript", "bash", "sh", "zsh"],
        extensions: &["sh", "bash", "zsh", "ksh"],
        file_names: &[".bashrc", ".bash_profile", ".profile", ".zshrc", ".envrc"],
        comment_kinds: &["comment"],
        style: CommentStyle::Hash,
        grammar: grammar!(tree_sitter_bash::LANGUAGE),
    },
    Spec {
        name: "css",
        // The CSS grammar reads `//` comments inside rules (`js_comment`),
        // as Less writes them.
        language_ids: &["css", "less"],
        extensions: &["css", "less"],
        file_names: &[],
        comment_kinds: &["comment", "js_comment"],
        style: CommentStyle::CFamily,
        grammar: grammar!(tree_sitter_css::LANGUAGE),
    },
    Spec {
        name: "scss",
        language_ids: &["scss"],
        extensions: &["scss"],
        file_names: &[],
        comment_kinds: &["comment", "js_comment"],
        style: CommentStyle::CFamily,
        grammar: tree_sitter_scss::language,
    },
    Spec {
        name: "lua",
        language_ids: &["lua"],
        extensions: &["lua"],
        file_names: &[],
        comment_kinds: &["comment"],
        style: CommentStyle::Lua,
        grammar: grammar!(tree_sitter_lua::LANGUAGE),
    },
    Spec {
        name: "yaml",
        language_ids: &["yaml", "dockercompose", "github-actions-workflow"],
        extensions: &["yaml", "yml"],
        file_names: &[],
        comment_kinds: &["comment"],
        style: CommentStyle::Hash,
        grammar: grammar!(tree_sitter_yaml::LANGUAGE),
    },
    Spec {
        name: "toml",
        language_ids: &["toml"],
        extensions: &["toml"],
        file_names: &[],
        comment_kinds: &["comment"],
        style: CommentStyle::Hash,
        grammar: grammar!(tree_sitter_toml_ng::LANGUAGE),
    },
    Spec {
        name: "html",
        language_ids: &["html"],
        extensions: &["html", "htm", "xhtml"],
        file_names: &[],
        comment_kinds: &["comment"],
        style: CommentStyle::Markup,
        grammar: grammar!(tree_sitter_html::LANGUAGE),
    },
    Spec {
        // No maintained Vue grammar links with the tree-sitter in use; a
        // component is HTML-shaped at the top level, and its `<script>` and
        // `<style>` are parsed as embedded code (`syntax::embed`).
        name: "vue",
        language_ids: &["vue"],
        extensions: &["vue"],
        file_names: &[],
        comment_kinds: &["comment"],
        style: CommentStyle::Markup,
        grammar: grammar!(tree_sitter_html::LANGUAGE),
    },
    Spec {
        name: "svelte",
        language_ids: &["svelte"],
        extensions: &["svelte"],
        file_names: &[],
        comment_kinds: &["comment"],
        style: CommentStyle::Markup,
        grammar: grammar!(tree_sitter_svelte_ng::LANGUAGE),
    },
];

impl Language {
    pub const ALL: [Language; 23] = [
        Language::TypeScript,
        Language::Tsx,
        Language::JavaScript,
        Language::Go,
        Language::Python,
        Language::Swift,
        Language::Rust,
        Language::Java,
        Language::Kotlin,
        Language::CSharp,
        Language::C,
        Language::Cpp,
        Language::Ruby,
        Language::Php,
        Language::Bash,
        Language::Css,
        Language::Scss,
        Language::Lua,
        Language::Yaml,
        Language::Toml,
        Language::Html,
        Language::Vue,
        Language::Svelte,
    ];

    /// What tagls knows of this language.
    pub fn spec(self) -> &'static Spec {
        &SPECS[self.index()]
    }

    /// The language of a document, by LSP language id first and by file
    /// name or extension second. `None` for anything tagls does not parse.
    pub fn detect(language_id: Option<&str>, path: &str) -> Option<Language> {
        if let Some(lang) = language_id.and_then(Language::from_language_id) {
            return Some(lang);
        }
        let file = path.rsplit(['/', '\\']).next().unwrap_or(path);
        if let Some(lang) = Language::ALL
            .into_iter()
            .find(|l| l.spec().file_names.contains(&file))
        {
            return Some(lang);
        }
        let ext = file.rsplit_once('.')?.1;
        Language::from_extension(ext)
    }

    pub fn from_language_id(id: &str) -> Option<Language> {
        Language::ALL
            .into_iter()
            .find(|l| l.spec().language_ids.contains(&id))
    }

    pub fn from_extension(ext: &str) -> Option<Language> {
        Language::ALL
            .into_iter()
            .find(|l| l.spec().extensions.contains(&ext))
    }

    pub fn name(self) -> &'static str {
        self.spec().name
    }

    pub fn grammar(self) -> tree_sitter::Language {
        (self.spec().grammar)()
    }

    /// How comments start in this language, which decides how their markers
    /// are stripped.
    pub fn comment_style(self) -> CommentStyle {
        self.spec().style
    }

    fn index(self) -> usize {
        self as usize
    }

    /// The kind ids of comment nodes in this language's grammar. A test
    /// checks that every grammar has each of them.
    pub fn comment_kinds(self) -> &'static [u16] {
        static KINDS: [OnceLock<Vec<u16>>; Language::ALL.len()] =
            [const { OnceLock::new() }; Language::ALL.len()];
        KINDS[self.index()].get_or_init(|| {
            let grammar = self.grammar();
            self.spec()
                .comment_kinds
                .iter()
                .map(|kind| grammar.id_for_node_kind(kind, true))
                .collect()
        })
    }

    /// A new parser for this language. Parsers are made when a file of the
    /// language is first read, so a grammar no file uses costs nothing at
    /// run time.
    pub fn parser(self) -> tree_sitter::Parser {
        let mut parser = tree_sitter::Parser::new();
        // Grammars are compiled in with a matching ABI; a test parses each one.
        parser
            .set_language(&self.grammar())
            .unwrap_or_else(|e| panic!("the bundled {} grammar is incompatible: {e}", self.name()));
        parser
    }
}

/// How a language writes comments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommentStyle {
    /// `// line` and `/* block */`, with their doc forms (`///`, `//!`,
    /// `/** */`, `/*! */`); blocks may nest (Swift, Rust, Kotlin).
    CFamily,
    /// `# line` (Python's docstrings and Ruby's `=begin`/`=end` too).
    Hash,
    /// PHP: `//`, `/* */` and `#`.
    CFamilyOrHash,
    /// Lua: `-- line` and `--[[ block ]]` (with any level of `=`).
    Lua,
    /// HTML: `<!-- block -->`.
    Markup,
}

/// What a [`preorder`] walk does after a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Visit {
    /// Visit its children next.
    Descend,
    /// Go on after it, without its children.
    Skip,
    /// End the walk.
    Stop,
}

/// Visits the nodes of `tree` in document order (pre-order), as `visit`
/// says, without recursion: a deeply nested file cannot overflow the stack.
pub fn preorder<'t>(tree: &'t Tree, mut visit: impl FnMut(tree_sitter::Node<'t>) -> Visit) {
    let mut cursor = tree.walk();
    'walk: loop {
        match visit(cursor.node()) {
            Visit::Stop => return,
            Visit::Descend if cursor.goto_first_child() => continue,
            Visit::Descend | Visit::Skip => {}
        }
        loop {
            if cursor.goto_next_sibling() {
                continue 'walk;
            }
            if !cursor.goto_parent() {
                break 'walk;
            }
        }
    }
}

/// The kind ids of the Python nodes that hold a docstring.
struct DocKinds {
    module: u16,
    function: u16,
    class: u16,
    block: u16,
    expression: u16,
    string: u16,
    comment: u16,
}

impl DocKinds {
    fn python() -> &'static DocKinds {
        static KINDS: OnceLock<DocKinds> = OnceLock::new();
        KINDS.get_or_init(|| {
            let g = Language::Python.grammar();
            let id = |kind| g.id_for_node_kind(kind, true);
            DocKinds {
                module: id("module"),
                function: id("function_definition"),
                class: id("class_definition"),
                block: id("block"),
                expression: id("expression_statement"),
                string: id("string"),
                comment: id("comment"),
            }
        })
    }

    /// The docstring of `node` when it is a module, a class or a function:
    /// its first statement, comments aside, when that is a string alone (a
    /// concatenation is not a docstring to Python either). Its prefix is
    /// read with its text: [`crate::tags::scan::content_lines`] finds no
    /// lines in a bytes or f-string.
    fn docstring<'t>(&self, node: tree_sitter::Node<'t>) -> Option<tree_sitter::Node<'t>> {
        let kind = node.kind_id();
        let body = if kind == self.module {
            node
        } else if kind == self.function || kind == self.class {
            node.child_by_field_name("body")?
        } else {
            return None;
        };
        let mut cursor = body.walk();
        let first = body
            .named_children(&mut cursor)
            .find(|c| c.kind_id() != self.comment)?;
        if first.kind_id() != self.expression || first.named_child_count() != 1 {
            return None;
        }
        let string = first.named_child(0)?;
        (string.kind_id() == self.string).then_some(string)
    }
}

/// Where a rescan of the comments up to `offset` must reach: in Python, the
/// end of the first statement at or after it, comments aside, since an edit
/// before a string can make it a docstring or take that away.
pub fn docstring_reach(lang: Language, tree: &Tree, offset: usize) -> usize {
    if lang != Language::Python {
        return offset;
    }
    let k = DocKinds::python();
    let mut reach = offset;
    preorder(tree, |node| {
        if node.end_byte() < offset {
            return Visit::Skip;
        }
        let statement = node.start_byte() >= offset
            && node.is_named()
            && node.kind_id() != k.comment
            && node
                .parent()
                .is_some_and(|p| p.kind_id() == k.module || p.kind_id() == k.block);
        if statement {
            reach = reach.max(node.end_byte());
            Visit::Stop
        } else if node.start_byte() < offset || node.kind_id() == k.block {
            Visit::Descend
        } else {
            // Inside it there is no statement, only its parts (a large
            // literal has many).
            Visit::Skip
        }
    });
    reach
}

/// Byte ranges of the comment nodes of `tree` that intersect `within`, in
/// document order. In Python, docstrings count as comments.
pub fn comments_in(lang: Language, tree: &Tree, within: Option<TextRange>) -> Vec<TextRange> {
    let kinds = lang.comment_kinds();
    let docs = (lang == Language::Python).then(DocKinds::python);
    let (lo, hi) = within.map_or((0, usize::MAX), |r| (r.start, r.end));
    let intersects = |start: usize, end: usize| match within {
        None => true,
        // As a query cursor's byte range: an empty node counts when it sits
        // inside the range.
        Some(_) => start < hi && (end > lo || (start == end && start >= lo)),
    };
    let mut out = Vec::new();
    preorder(tree, |node| {
        let (start, end) = (node.start_byte(), node.end_byte());
        if within.is_some() && start >= hi && start > lo {
            // Everything after this node starts later still.
            return Visit::Stop;
        }
        if kinds.contains(&node.kind_id()) {
            if start < end && intersects(start, end) {
                out.push(TextRange::new(start, end));
            }
            Visit::Skip
        } else if intersects(start, end) {
            // A comment between a definition's header and its docstring
            // comes after it in the walk, so the list is sorted at the end.
            if let Some(doc) = docs.and_then(|d| d.docstring(node)) {
                let (s, e) = (doc.start_byte(), doc.end_byte());
                if s < e && intersects(s, e) {
                    out.push(TextRange::new(s, e));
                }
            }
            Visit::Descend
        } else {
            Visit::Skip
        }
    });
    if !out.is_sorted_by_key(|r| r.start) {
        out.sort_by_key(|r| r.start);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_grammar_has_comment_nodes() {
        for lang in Language::ALL {
            let kinds = lang.comment_kinds();
            assert_eq!(kinds.len(), lang.spec().comment_kinds.len());
            for (&kind, name) in kinds.iter().zip(lang.spec().comment_kinds) {
                assert_ne!(kind, 0, "{} has no {name}", lang.name());
                assert!(lang.grammar().node_kind_is_named(kind), "{}", lang.name());
            }
            // Every grammar links and parses with the tree-sitter in use.
            assert!(lang.parser().parse("", None).is_some(), "{}", lang.name());
        }
    }

    #[test]
    fn the_walk_finds_every_comment_and_only_within() {
        let src = "// a\nconst x = 1; /* b */\nfunction f() {\n  // c\n  return '// not';\n}\n";
        let tree = Language::TypeScript.parser().parse(src, None).unwrap();
        let all: Vec<&str> = comments_in(Language::TypeScript, &tree, None)
            .iter()
            .map(|r| &src[r.start..r.end])
            .collect();
        assert_eq!(all, ["// a", "/* b */", "// c"]);
        let c = src.find("// c").unwrap();
        let some = comments_in(Language::TypeScript, &tree, Some(TextRange::new(c, c + 1)));
        assert_eq!(some, [TextRange::new(c, c + 4)]);
        let none = comments_in(Language::TypeScript, &tree, Some(TextRange::new(5, 10)));
        assert!(none.is_empty());
    }

    #[test]
    fn python_docstrings_count_as_comments_and_no_other_string() {
        let src = "\"\"\"module\"\"\"\nX = \"\"\"not\"\"\"\n\nclass C:\n    # a\n    '''class'''\n    y = 'not'\n\n    def f(self, a,  # b\n          c):\n        r\"\"\"function\"\"\"\n        \"not\"\n\ndef g():\n    x = 1\n    \"not\"\n";
        let tree = Language::Python.parser().parse(src, None).unwrap();
        let all: Vec<&str> = comments_in(Language::Python, &tree, None)
            .iter()
            .map(|r| &src[r.start..r.end])
            .collect();
        assert_eq!(
            all,
            [
                "\"\"\"module\"\"\"",
                "# a",
                "'''class'''",
                "# b",
                "r\"\"\"function\"\"\""
            ]
        );
        let f = src.find("r\"\"\"").unwrap();
        let some = comments_in(Language::Python, &tree, Some(TextRange::new(f, f + 1)));
        assert_eq!(some, [TextRange::new(f, f + 15)]);
    }

    #[test]
    fn languages_by_id_then_extension() {
        assert_eq!(
            Language::detect(Some("typescriptreact"), "a.ts"),
            Some(Language::Tsx)
        );
        assert_eq!(
            Language::detect(Some("plaintext"), "a.py"),
            Some(Language::Python)
        );
        assert_eq!(
            Language::detect(None, "/x/y.jsx"),
            Some(Language::JavaScript)
        );
        assert_eq!(
            Language::detect(Some("rust"), "main.txt"),
            Some(Language::Rust)
        );
        assert_eq!(Language::detect(None, "a/Gemfile"), Some(Language::Ruby));
        assert_eq!(Language::detect(None, "x.scss"), Some(Language::Scss));
        assert_eq!(Language::detect(None, "Makefile"), None);
        assert_eq!(Language::detect(None, "notes.txt"), None);
        // Every extension and id names one language only.
        for a in Language::ALL {
            for b in Language::ALL.into_iter().filter(|&b| b != a) {
                for e in a.spec().extensions {
                    assert!(!b.spec().extensions.contains(e), "{e}");
                }
                for id in a.spec().language_ids {
                    assert!(!b.spec().language_ids.contains(id), "{id}");
                }
            }
        }
    }
}
