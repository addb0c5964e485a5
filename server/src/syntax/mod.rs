//! Languages, their tree-sitter grammars, and where in a tree tags can live.
//!
//! Tags live in comments: in every grammar tagls parses, the node of kind
//! `comment`. They are found by a walk of the tree that compares node kind
//! ids, which costs about half of what a `(comment) @comment` query does on
//! the same tree (docs/BENCHMARKS.md). Python's docstrings are documentation
//! too: the string that is the first statement of a module, class or
//! function counts as a comment; no other string does.

pub mod defs;
pub mod env;
pub mod lex;

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
}

impl Language {
    pub const ALL: [Language; 5] = [
        Language::TypeScript,
        Language::Tsx,
        Language::JavaScript,
        Language::Go,
        Language::Python,
    ];

    /// The language of a document, by LSP language id first and by file
    /// extension second. `None` for anything tagls does not parse.
    pub fn detect(language_id: Option<&str>, path: &str) -> Option<Language> {
        if let Some(lang) = language_id.and_then(Language::from_language_id) {
            return Some(lang);
        }
        let file = path.rsplit(['/', '\\']).next().unwrap_or(path);
        let ext = file.rsplit_once('.')?.1;
        Language::from_extension(ext)
    }

    pub fn from_language_id(id: &str) -> Option<Language> {
        Some(match id {
            "typescript" => Language::TypeScript,
            "typescriptreact" => Language::Tsx,
            // The JavaScript grammar parses JSX as well.
            "javascript" | "javascriptreact" | "jsx" => Language::JavaScript,
            "go" => Language::Go,
            "python" => Language::Python,
            _ => return None,
        })
    }

    pub fn from_extension(ext: &str) -> Option<Language> {
        Some(match ext {
            "ts" | "mts" | "cts" => Language::TypeScript,
            "tsx" => Language::Tsx,
            "js" | "mjs" | "cjs" | "jsx" => Language::JavaScript,
            "go" => Language::Go,
            "py" | "pyi" => Language::Python,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Language::TypeScript => "typescript",
            Language::Tsx => "tsx",
            Language::JavaScript => "javascript",
            Language::Go => "go",
            Language::Python => "python",
        }
    }

    pub fn grammar(self) -> tree_sitter::Language {
        match self {
            Language::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
            Language::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
            Language::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
            Language::Go => tree_sitter_go::LANGUAGE.into(),
            Language::Python => tree_sitter_python::LANGUAGE.into(),
        }
    }

    /// How comments start in this language, which decides how their markers
    /// are stripped.
    pub fn comment_style(self) -> CommentStyle {
        match self {
            Language::Python => CommentStyle::Hash,
            _ => CommentStyle::CFamily,
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    /// The kind id of comment nodes in this language's grammar. A test
    /// checks that every grammar has one.
    pub fn comment_kind(self) -> u16 {
        static KINDS: [OnceLock<u16>; 5] = [const { OnceLock::new() }; 5];
        *KINDS[self.index()].get_or_init(|| self.grammar().id_for_node_kind("comment", true))
    }

    /// A new parser for this language.
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
    /// `// line` and `/* block */`
    CFamily,
    /// `# line`
    Hash,
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
    let kind = lang.comment_kind();
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
        if node.kind_id() == kind {
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
            let kind = lang.comment_kind();
            assert_ne!(kind, 0, "{}", lang.name());
            assert!(lang.grammar().node_kind_is_named(kind), "{}", lang.name());
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
        assert_eq!(Language::detect(Some("rust"), "main.rs"), None);
        assert_eq!(Language::detect(None, "Makefile"), None);
    }
}
