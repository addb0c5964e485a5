//! Languages, their tree-sitter grammars and the comment queries that find
//! where tags can live.
//!
//! Each language has one query file under `server/queries/`, compiled once at
//! first use. The only capture name a query may use is `comment`.

pub mod env;

use std::sync::OnceLock;

use tree_sitter::{Node, Query, QueryCursor, StreamingIterator, Tree};

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

    /// The source of this language's comment query.
    pub fn query_source(self) -> &'static str {
        match self {
            Language::TypeScript => include_str!("../../queries/typescript.scm"),
            Language::Tsx => include_str!("../../queries/tsx.scm"),
            Language::JavaScript => include_str!("../../queries/javascript.scm"),
            Language::Go => include_str!("../../queries/go.scm"),
            Language::Python => include_str!("../../queries/python.scm"),
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

    /// The compiled comment query. Query sources ship inside the binary and a
    /// test compiles every one, so failing here is a build defect.
    pub fn comment_query(self) -> &'static Query {
        static QUERIES: [OnceLock<Query>; 5] = [const { OnceLock::new() }; 5];
        QUERIES[self.index()].get_or_init(|| {
            Query::new(&self.grammar(), self.query_source()).unwrap_or_else(|e| {
                panic!("the bundled {} query does not compile: {e}", self.name())
            })
        })
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

/// Byte ranges of the comment nodes of `tree` that intersect `within`, in
/// document order. `text` gives the bytes the tree was parsed from.
pub fn comments_in<T: tree_sitter::TextProvider<I>, I: AsRef<[u8]>>(
    lang: Language,
    tree: &Tree,
    within: Option<TextRange>,
    text: T,
) -> Vec<TextRange> {
    let query = lang.comment_query();
    let mut cursor = QueryCursor::new();
    if let Some(r) = within {
        cursor.set_byte_range(r.start..r.end);
    }
    let mut out = Vec::new();
    let mut matches = cursor.matches(query, tree.root_node(), text);
    while let Some(m) = matches.next() {
        for cap in m.captures() {
            push_comment(&mut out, cap.node);
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

fn push_comment(out: &mut Vec<TextRange>, node: Node<'_>) {
    let r = node.byte_range();
    if r.start < r.end {
        out.push(TextRange::new(r.start, r.end));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_query_compiles_and_captures_only_comments() {
        for lang in Language::ALL {
            let q = lang.comment_query();
            assert_eq!(q.capture_names(), &["comment"], "{}", lang.name());
        }
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
