//! Finding references in a tag's payload: the file paths, modules and
//! environment variables it names.
//!
//! Conservative, as marksman is: a word is a reference only when its shape
//! says so for certain (`./x`, `src/a/b.ts`, `process.env.X`), or when its
//! shape is suggestive and the workspace confirms it (a bare `auth.ts` that
//! exists somewhere, a Python `services.auth` whose package exists, a
//! `src/services/auth` whose `src/` folder exists). Slashes alone never make
//! a path: `read/write/delete` is prose unless the workspace has a `read/`
//! folder. The shapes are documented in `docs/REFERENCES.md`.

use std::sync::LazyLock;

use regex::Regex;

use crate::syntax::Language;
use crate::text::TextRange;

/// Something a payload names.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RefKind {
    /// A file or directory path as written. When its shape alone does not
    /// make it one ([`PathShape::FirstSegment`]: `src/services/auth`), it is
    /// a reference only if its first segment is a folder of the workspace,
    /// as resolution checks.
    Path(String),
    /// A bare file name (`auth.ts`): a reference only if the workspace has a
    /// file of that name.
    FileName(String),
    /// A Python dotted module (`services.auth`): a reference only if its
    /// top-level package exists.
    Module(String),
    /// An environment variable.
    Env(String),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Reference {
    pub kind: RefKind,
    /// Where the name is written in the document.
    pub range: TextRange,
}

/// Accessor forms that name an environment variable for certain.
static ENV_ACCESSOR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r#"(?:process\.env|import\.meta\.env)\.([A-Za-z_][A-Za-z0-9_]*)"#,
        r#"|process\.env\[\s*["']([A-Za-z_][A-Za-z0-9_]*)["']\s*\]"#,
        r#"|os\.(?:Getenv|LookupEnv|getenv|environ\.get)\(\s*["'`]([A-Za-z_][A-Za-z0-9_]*)["'`]"#,
        r#"|os\.environ\[\s*["']([A-Za-z_][A-Za-z0-9_]*)["']\s*\]"#,
    ))
    .expect("valid regex")
});

/// Words that say the payload talks about environment variables.
static ENV_CUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\benv(?:ironment)?(?:\s+var(?:iable)?s?)?\b|\.env\b|\benv\s+file")
        .expect("valid regex")
});

/// An upper-case name with an underscore: `JWT_SECRET`.
static SNAKE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b").expect("valid regex"));

/// A one-word upper-case name right next to a cue: `PORT in .env`,
/// `env var PORT`.
static NEAR_CUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"\b([A-Z][A-Z0-9]{1,})\s+(?:is\s+)?(?:in|from)\s+(?:the\s+)?(?:\.env\b|env\b|environment\b)",
        r"|(?i:\benv(?:ironment)?\s+var(?:iable)?)\s+([A-Z][A-Z0-9]{1,})\b",
    ))
    .expect("valid regex")
});

/// File extensions that make a bare name a file name.
const FILE_EXTENSIONS: &[&str] = &[
    "ts", "tsx", "mts", "cts", "js", "jsx", "mjs", "cjs", "go", "py", "pyi", "json", "jsonc", "md",
    "yaml", "yml", "toml", "sql", "css", "scss", "html", "txt", "sh", "png", "jpg", "jpeg", "gif",
    "webp", "svg", "lock", "mod", "sum", "cfg", "ini", "xml", "proto", "graphql", "prisma",
];

/// Finds the references in `text`, which starts at byte `offset` of its
/// document. `lang` is the language of the document (None for the log).
/// `is_alias` says whether a word starts with a configured path alias.
pub fn find(
    text: &str,
    offset: usize,
    lang: Option<Language>,
    is_alias: &dyn Fn(&str) -> bool,
) -> Vec<Reference> {
    let mut out: Vec<Reference> = Vec::new();
    let mut taken: Vec<TextRange> = Vec::new();
    let at = |s: usize, e: usize| TextRange::new(offset + s, offset + e);

    for caps in ENV_ACCESSOR.captures_iter(text) {
        let whole = caps.get(0).map_or(0..0, |m| m.range());
        if let Some(name) = caps.iter().skip(1).flatten().next() {
            out.push(Reference {
                kind: RefKind::Env(name.as_str().to_owned()),
                range: at(name.start(), name.end()),
            });
        }
        taken.push(at(whole.start, whole.end));
    }

    if ENV_CUE.is_match(text) {
        let mut names: Vec<(usize, usize)> = SNAKE
            .find_iter(text)
            .map(|m| (m.start(), m.end()))
            .collect();
        for caps in NEAR_CUE.captures_iter(text) {
            if let Some(m) = caps.iter().skip(1).flatten().next() {
                names.push((m.start(), m.end()));
            }
        }
        names.sort_unstable();
        names.dedup();
        for (s, e) in names {
            let r = at(s, e);
            // Tag names (`#COMPLETION_DRIVE`) and words inside accessors are
            // not new references.
            if text[..s].ends_with('#') || taken.iter().any(|t| t.touches(r)) {
                continue;
            }
            out.push(Reference {
                kind: RefKind::Env(text[s..e].to_owned()),
                range: r,
            });
            taken.push(r);
        }
    }

    for (s, word) in words(text) {
        let r = at(s, s + word.len());
        if taken.iter().any(|t| t.touches(r)) {
            continue;
        }
        if let Some(kind) = classify(word, lang, is_alias) {
            out.push(Reference { kind, range: r });
        }
    }
    out.sort_by_key(|r| r.range.start);
    out
}

/// Whitespace-separated words with surrounding punctuation and quotes
/// stripped, with their byte offsets.
fn words(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut pos = 0;
    text.split_inclusive(char::is_whitespace)
        .filter_map(move |chunk| {
            let start = pos;
            pos += chunk.len();
            let trimmed_end = chunk.trim_end();
            let lead = trimmed_end.len()
                - trimmed_end
                    .trim_start_matches(['(', '[', '{', '"', '\'', '`', '<'])
                    .len();
            let word = trimmed_end[lead..].trim_end_matches([
                ')', ']', '}', '"', '\'', '`', '>', ',', ';', ':', '.', '!', '?',
            ]);
            (!word.is_empty()).then_some((start + lead, word))
        })
}

fn classify(
    word: &str,
    lang: Option<Language>,
    is_alias: &dyn Fn(&str) -> bool,
) -> Option<RefKind> {
    // URLs, host:port, drive letters and `key:value` are not paths.
    if word.contains("://") || word.contains(':') || word.starts_with("www.") {
        return None;
    }
    if word.starts_with('#') || word.starts_with('$') || word.starts_with('-') {
        return None;
    }
    // Env files are checked through the variables they define.
    if is_env_file_name(word.rsplit('/').next().unwrap_or(word)) {
        return None;
    }
    // Letters and digits of any script (`src/données/café.ts`), with the
    // combining accents of decomposed text; never punctuation such as
    // typographic quotes.
    if !word.chars().all(|c| {
        c.is_alphanumeric() || "._@+~/-".contains(c) || ('\u{300}'..='\u{36f}').contains(&c)
    }) {
        return None;
    }
    if word.contains('/') {
        return path_shape(word, is_alias).map(|_| RefKind::Path(word.to_owned()));
    }
    if let Some(ext) = extension(word)
        && FILE_EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str())
    {
        return Some(RefKind::FileName(word.to_owned()));
    }
    if lang == Some(Language::Python) && is_dotted_module(word) {
        return Some(RefKind::Module(word.to_owned()));
    }
    None
}

/// How a word with a slash names a path, if it does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathShape {
    /// Its shape says so: it starts `./`, `../`, `/`, `~/` or with an alias,
    /// its last segment has an extension, or it ends with `/`.
    Certain,
    /// Only if the workspace confirms it: its first segment is a folder at
    /// the root, under `baseUrl` or next to the document (`src/services/auth`
    /// with a `src/` folder). Otherwise it is prose (`read/write/delete`).
    FirstSegment,
}

/// Whether a word with a slash (made of the characters a path may hold) is
/// a path, and how sure its shape makes it. Slashes alone never make a
/// path: prose joins words with them (`and/or`, `CPU/memory/disk`).
/// `is_alias` says whether a word starts with a configured path alias.
///
/// [`RefKind::Path`] holds only words this says are paths; resolution asks
/// it again (with the aliases of the document's root, as [`find`]'s callers
/// pass them) to know whether the workspace must confirm the word.
pub fn path_shape(word: &str, is_alias: &dyn Fn(&str) -> bool) -> Option<PathShape> {
    // Something to name: not a lone `/` between two words.
    if !word.chars().any(char::is_alphanumeric) {
        return None;
    }
    let explicit = word.starts_with("./")
        || word.starts_with("../")
        || is_home(word)
        || is_file_system_path(word);
    // `/api/auth/login` is a route of a web API, not a file: a word that
    // starts with `/` is a path only as a file (an extension), a folder
    // (`/`), or under a folder every system has.
    if word.starts_with('/') && !explicit {
        let last = word.rsplit('/').next().unwrap_or_default();
        return (extension(last).is_some() && word.len() > 1).then_some(PathShape::Certain);
    }
    let alias = word.starts_with("@/") || is_alias(word);
    if word.starts_with('@') && !alias {
        // `@scope/package` is an npm package, not a path.
        return None;
    }
    let segments: Vec<&str> = word.trim_end_matches('/').split('/').collect();
    if segments.iter().skip(1).any(|s| s.is_empty()) {
        return None;
    }
    if explicit || alias {
        return Some(PathShape::Certain);
    }
    // Dates, fractions and numbers: `2024/01/15`, `1/2`, `3/4/5`, `24/7`,
    // `1.x/2.x`.
    if segments
        .iter()
        .all(|s| s.starts_with(|c: char| c.is_ascii_digit()))
    {
        return None;
    }
    // Abbreviations: `N/A`, `w/o`, `w/`, `km/h`, `I/O`, `A/B`: letters only,
    // no segment longer than two, one of them a single letter.
    if segments
        .iter()
        .all(|s| (1..=2).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphabetic()))
        && segments.iter().any(|s| s.len() == 1)
    {
        return None;
    }
    let last = segments.last().copied().unwrap_or_default();
    if extension(last).is_some() || word.ends_with('/') {
        return Some(PathShape::Certain);
    }
    Some(PathShape::FirstSegment)
}

/// Whether an absolute path starts in a folder of the system (`/etc`,
/// `/usr`, `/home`, `/Users` ...): outside the workspace, whatever follows.
fn is_file_system_path(word: &str) -> bool {
    const SYSTEM: [&str; 16] = [
        "etc", "usr", "home", "Users", "tmp", "var", "opt", "root", "bin", "srv", "mnt", "private",
        "Volumes", "proc", "dev", "sys",
    ];
    word.strip_prefix('/')
        .and_then(|rest| rest.split('/').next())
        .is_some_and(|first| SYSTEM.contains(&first))
}

/// Whether a path is in the user's home (`~/.claude/settings.json`):
/// outside every workspace, never expanded and never looked up.
pub fn is_home(path: &str) -> bool {
    path.starts_with("~/")
}

/// The extension of a file name: letters and digits after the last dot, not
/// a version number.
fn extension(name: &str) -> Option<&str> {
    let (stem, ext) = name.rsplit_once('.')?;
    let ok = !stem.is_empty()
        && !stem.ends_with('.')
        && (1..=10).contains(&ext.len())
        && ext.bytes().all(|b| b.is_ascii_alphanumeric())
        && ext.bytes().any(|b| b.is_ascii_alphabetic());
    ok.then_some(ext)
}

fn is_dotted_module(word: &str) -> bool {
    let parts: Vec<&str> = word.split('.').collect();
    parts.len() >= 2
        && parts.iter().all(|p| {
            let mut b = p.bytes();
            b.next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
                && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
        })
}

/// `.env`, `.env.example`, `.env.local` ...
pub fn is_env_file_name(name: &str) -> bool {
    name == ".env" || name.starts_with(".env.")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str, lang: Option<Language>) -> Vec<(RefKind, &str)> {
        find(text, 0, lang, &|w| w.starts_with("~app/"))
            .into_iter()
            .map(|r| {
                let s = &text[r.range.start..r.range.end];
                (r.kind, s)
            })
            .collect()
    }

    fn path(s: &str) -> RefKind {
        RefKind::Path(s.into())
    }

    #[test]
    fn paths_in_any_script_are_references() {
        assert_eq!(
            kinds(
                "Assuming src/données/café.ts exists, and 日本語/設定.json",
                None
            ),
            [
                (path("src/données/café.ts"), "src/données/café.ts"),
                (path("日本語/設定.json"), "日本語/設定.json"),
            ]
        );
        assert_eq!(kinds("see “src/a/b.ts”", None), []);
    }

    #[test]
    fn paths_that_count() {
        let got = kinds(
            "Assuming UserService exists at src/services/user.service.ts, see ./x and ../y/z.go (and `@/services/user.service`) or src/a/b or docs/ or ~app/thing",
            Some(Language::TypeScript),
        );
        let want = [
            (
                path("src/services/user.service.ts"),
                "src/services/user.service.ts",
            ),
            (path("./x"), "./x"),
            (path("../y/z.go"), "../y/z.go"),
            (path("@/services/user.service"), "@/services/user.service"),
            (path("src/a/b"), "src/a/b"),
            (path("docs/"), "docs/"),
            (path("~app/thing"), "~app/thing"),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn not_paths() {
        for text in [
            "Assuming the API returns {token, user}",
            "calls https://api.example.com/v1/users and http://localhost:3000/x",
            "connects to localhost:5432 and db:5432/app",
            "needs node v18.2.0 and version 1.2.3",
            "uses @nestjs/common and @types/node",
            "glob src/**/*.ts and template ${dir}/x.ts",
            "the word Node.js is not a path without a workspace file",
            "dated 2024/01/15 or 15/01/2024, half is 1/2, levels 3/4/5, open 24/7, on 1.x/2.x",
            "N/A, n/a, w/o, w/ care, km/h, m/s, I/O, A/B, c/o, y/n",
            "read / write and a // comment",
        ] {
            let got: Vec<_> = kinds(text, Some(Language::TypeScript))
                .into_iter()
                .filter(|(k, _)| !matches!(k, RefKind::FileName(_)))
                .collect();
            assert!(got.is_empty(), "{text}: {got:?}");
        }
        // A bare name with a file extension is only a candidate, confirmed or
        // dropped by the workspace.
        assert_eq!(
            kinds("Node.js", None),
            [(RefKind::FileName("Node.js".into()), "Node.js")]
        );
        assert!(kinds("the user.service class", None).is_empty());
    }

    fn shape(word: &str) -> Option<PathShape> {
        path_shape(word, &|w| w.starts_with("~app/"))
    }

    #[test]
    fn slashes_alone_do_not_make_a_path() {
        // Prose with slashes is a path only if the workspace has a folder
        // named like its first segment; resolution checks.
        for word in [
            "read/write/delete",
            "CPU/memory/disk",
            "and/or",
            "TCP/IP",
            "client/server/worker",
            "client/server",
            "input/output",
            "UI/UX",
            "Node.js/Deno",
            "src/services/auth",
            "internal/auth",
            "~app2/thing",
            "v1/users",
        ] {
            assert_eq!(shape(word), Some(PathShape::FirstSegment), "{word}");
        }
        // Never paths, whatever the workspace holds.
        for word in [
            "2024/01/15",
            "15/01/2024",
            "1/2",
            "3/4/5",
            "24/7",
            "1.x/2.x",
            "N/A",
            "n/a",
            "w/o",
            "w/",
            "km/h",
            "m/s",
            "I/O",
            "A/B",
            "a/b/c",
            "/",
            "//",
            "~/",
            "src//x",
            "@nestjs/common",
            // Routes of a web API.
            "/api/auth/login",
            "/users/:id",
            "/health",
        ] {
            assert_eq!(shape(word), None, "{word}");
        }
        // Paths by their shape alone.
        for word in [
            "./x",
            "../y/z.go",
            "/etc/hosts",
            "/etc/nginx",
            "/Users/me/project/src/x",
            "/public/logo.svg",
            "~/.claude/settings.json",
            "~/notes",
            "@/services/user.service",
            "~app/thing",
            "src/services/user.service.ts",
            "read/write.ts",
            "internal/auth/",
            "docs/",
            "ui/",
            "./1/2",
            "2024/report.md",
        ] {
            assert_eq!(shape(word), Some(PathShape::Certain), "{word}");
        }
        // `find` gives the candidates to resolution, which drops the
        // unconfirmed ones.
        assert_eq!(
            kinds(
                "Assuming read/write/delete permissions, src/a/b and ~/.claude/settings.json",
                None
            ),
            [
                (path("read/write/delete"), "read/write/delete"),
                (path("src/a/b"), "src/a/b"),
                (path("~/.claude/settings.json"), "~/.claude/settings.json"),
            ]
        );
    }

    #[test]
    fn env_references() {
        let got = kinds("Assuming JWT_SECRET in environment variables", None);
        assert_eq!(got, [(RefKind::Env("JWT_SECRET".into()), "JWT_SECRET")]);
        let got = kinds("Assuming PORT in .env and DATABASE_URL", None);
        assert_eq!(
            got,
            [
                (RefKind::Env("PORT".into()), "PORT"),
                (RefKind::Env("DATABASE_URL".into()), "DATABASE_URL")
            ]
        );
        let got = kinds(
            "reads process.env.API_KEY, os.Getenv(\"DB\") and os.environ['HOME_DIR']",
            None,
        );
        let names: Vec<_> = got.iter().map(|(_, s)| *s).collect();
        assert_eq!(names, ["API_KEY", "DB", "HOME_DIR"]);
        // Without a cue, an upper-case name is just a word.
        assert!(kinds("Assuming MAX_RETRIES is 3", None).is_empty());
        // Tag names are not variables.
        assert!(kinds("see #COMPLETION_DRIVE in env", None).is_empty());
    }

    #[test]
    fn python_modules_only_in_python() {
        assert_eq!(
            kinds("Assuming services.auth exists", Some(Language::Python)),
            [(RefKind::Module("services.auth".into()), "services.auth")]
        );
        assert!(kinds("Assuming services.auth exists", Some(Language::Go)).is_empty());
    }

    #[test]
    fn offsets_are_document_offsets() {
        let refs = find("see ./a.ts", 100, None, &|_| false);
        assert_eq!(refs[0].range, TextRange::new(104, 110));
    }
}
