//! `tagls check` on real code: parts of Django, rxjs and Go's standard
//! library (`tests/real-corpus.sh` fetches them; `tests/install-tools.sh`
//! runs it). Untouched, they hold nothing to verify; seeded with tags at
//! known places and with tag-shaped decoys in strings, URLs, colours and
//! files of other languages, they give exactly the seeded findings.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

#[path = "support/real_corpus.rs"]
mod real_corpus;

use real_corpus::{Part, Score};

/// A few hundred files of each language, with the static files, templates,
/// translations and test data around them.
const PARTS: &[Part] = &[
    Part {
        corpus: "django",
        under: &[
            "django/db",
            "django/utils",
            "django/contrib/admin",
            "tests/utils_tests",
        ],
    },
    Part {
        corpus: "rxjs",
        under: &["src", "dist/esm", "dist/types/internal/operators"],
    },
    Part {
        corpus: "go",
        under: &["src/net/http", "src/go"],
    },
];

/// The corpus copied into a fresh folder, `work` inside `tmp`.
fn copy(tmp: &Path) -> (std::path::PathBuf, real_corpus::Copied) {
    let base = real_corpus::ensure(&["django", "rxjs", "go"]);
    let work = tmp.join("work");
    let copied = real_corpus::copy(&base, PARTS, &work);
    assert!(
        copied.sources.len() > 600,
        "the corpus is smaller than expected: {} source files",
        copied.sources.len()
    );
    (work, copied)
}

/// `tagls check --format json` of `root` with the scan cache in `cache`:
/// the exit status and the report.
fn check(root: &Path, cache: &Path) -> (Option<i32>, Value) {
    check_with(root, cache, &[])
}

fn check_with(root: &Path, cache: &Path, extra: &[&str]) -> (Option<i32>, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_tagls"))
        .args(["check", "--format", "json"])
        .args(extra)
        .arg(".")
        .current_dir(root)
        .env("TAGLS_CACHE_DIR", cache)
        .output()
        .expect("run tagls");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code(), doc)
}

fn git(root: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(root)
        .output()
        .expect("run git");
    assert!(out.status.success(), "git {args:?}: {out:?}");
}

/// The findings, one per line, for a failure message.
fn listed(doc: &Value) -> String {
    real_corpus::findings_of(doc)
        .iter()
        .take(40)
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

fn assert_nothing_to_verify(what: &str, status: Option<i32>, doc: &Value) {
    assert_eq!(
        doc["findings"].as_array().map(Vec::len),
        Some(0),
        "{what}: findings on untouched real code:\n{}",
        listed(doc)
    );
    assert_eq!(doc["verdict"], "PASSED", "{what}");
    assert_eq!(
        doc["reason"], "no tags and no claims: nothing to verify",
        "{what}"
    );
    assert_eq!(status, Some(0), "{what}");
}

/// Untouched real code in a fresh repository where every file is
/// untracked: no tag, no claim, so no `unlogged-change`, no `undeclared-env`
/// (there is no env file), nothing to verify, cold and warm.
#[test]
fn untouched_real_code_in_a_fresh_repository_has_nothing_to_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let (work, _) = copy(tmp.path());
    git(&work, &["init", "-q"]);
    let cache = tmp.path().join("cache");
    let (status, cold) = check(&work, &cache);
    assert_nothing_to_verify("first check", status, &cold);
    let (status, warm) = check(&work, &cache);
    assert_nothing_to_verify("check with the scan cache", status, &warm);
}

/// The same with a configuration that names env files none of which exists:
/// the variables the code reads are not reported.
#[test]
fn untouched_real_code_with_its_env_file_absent_has_nothing_to_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let (work, _) = copy(tmp.path());
    std::fs::write(
        work.join(".tagls.toml"),
        "env-files = [\".env.production\", \"config/*.env\"]\n",
    )
    .unwrap();
    let (status, doc) = check(&work, &tmp.path().join("cache"));
    assert_nothing_to_verify("env file absent", status, &doc);
}

/// Seeded real code gives exactly the seeded findings: every one of them
/// (recall), and nothing else (precision): the decoys are invisible. The
/// check with the scan cache warm says the same.
#[test]
fn seeded_real_code_gives_exactly_the_seeded_findings() {
    let tmp = tempfile::tempdir().unwrap();
    let (work, copied) = copy(tmp.path());
    let seeded = real_corpus::seed(&work, &copied, 5);
    assert!(seeded.files > 100, "seeded {} files", seeded.files);
    let cache = tmp.path().join("cache");
    for run in ["first check", "check with the scan cache"] {
        let (status, doc) = check(&work, &cache);
        let score = Score::of(&seeded.expected, &real_corpus::findings_of(&doc));
        let show = |v: &[real_corpus::Expected]| {
            v.iter()
                .take(30)
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert!(
            score.noise.is_empty() && score.missed.is_empty(),
            "{run}: precision {:.4}, recall {:.4}\nnot seeded ({}):\n{}\nmissed ({}):\n{}",
            score.precision(),
            score.recall(),
            score.noise.len(),
            show(&score.noise),
            score.missed.len(),
            show(&score.missed)
        );
        assert_eq!(doc["verdict"], "BLOCKED", "{run}");
        assert_eq!(status, Some(1), "{run}");
    }
}

/// Without an env file, code's env reads report nothing, and a check does
/// not parse a file for them; once an env file appears, the reads of the
/// files the cache holds as unchanged are reported, exactly as a check
/// without the cache reports them.
#[test]
fn an_env_file_created_after_a_check_reports_the_reads_of_unchanged_files() {
    let tmp = tempfile::tempdir().unwrap();
    let (work, _) = copy(tmp.path());
    real_corpus::age(&work);
    let cache = tmp.path().join("cache");
    let (status, doc) = check(&work, &cache);
    assert_nothing_to_verify("before the env file", status, &doc);

    std::fs::write(work.join(".env"), "UNRELATED_SETTING=1\n").unwrap();
    let (_, cached) = check(&work, &cache);
    let (_, fresh) = check_with(&work, &cache, &["--no-cache"]);
    let found = real_corpus::findings_of(&cached);
    assert_eq!(found, real_corpus::findings_of(&fresh));
    assert!(
        found.len() >= 10 && found.iter().all(|f| f.code == "undeclared-env"),
        "{}",
        listed(&cached)
    );
    // Django's autoreloader reads DJANGO_WATCHMAN_TIMEOUT; Go's net/http
    // reads GODEBUG-style settings through os.Getenv.
    for path in ["django/django/utils/autoreload.py", "go/src/net/http/"] {
        assert!(
            found.iter().any(|f| f.path.starts_with(path)),
            "no env read reported under {path}:\n{}",
            listed(&cached)
        );
    }
}

/// Every source file under `dir`, with its language.
fn sources(dir: &Path, out: &mut Vec<(std::path::PathBuf, tagls::syntax::Language)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            sources(&path, out);
        } else if kind.is_file()
            && let Some(lang) = tagls::syntax::Language::detect(None, &path.to_string_lossy())
        {
            out.push((path, lang));
        }
    }
}

/// A first check finds the comments of a file that holds a tag with a
/// lexer, where the lexer is sure, instead of a parse: on real code, it finds
/// exactly the comments (and Python docstrings) the parse finds, and it is
/// sure of most files. `TAGLS_LEX_ALL=1` checks every file of the corpus, not
/// only the parts the other tests use.
#[test]
fn the_lexer_finds_the_comments_the_parse_finds() {
    use tagls::syntax::{Language, comments_in, lex};
    let base = real_corpus::ensure(&["django", "rxjs", "go"]);
    let all = std::env::var_os("TAGLS_LEX_ALL").is_some();
    let mut files = Vec::new();
    for part in PARTS {
        if all {
            sources(&base.join(part.corpus), &mut files);
        } else {
            for under in part.under {
                sources(&base.join(part.corpus).join(under), &mut files);
            }
        }
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let mut differ = Vec::new();
    let mut broken = Vec::new();
    let mut sure: std::collections::BTreeMap<&str, (usize, usize)> = Default::default();
    for (path, lang) in &files {
        // The other languages are always parsed.
        if !lex::covers(*lang) {
            continue;
        }
        let bytes = std::fs::read(path).unwrap();
        if bytes.len() > 2 * 1024 * 1024 {
            continue;
        }
        let text = String::from_utf8_lossy(&bytes);
        let counts = sure.entry(lang.name()).or_default();
        counts.1 += 1;
        let Some(lexed) = lex::comments(*lang, &text) else {
            continue;
        };
        counts.0 += 1;
        let tree = lang.parser().parse(text.as_bytes(), None).unwrap();
        let parsed = comments_in(*lang, &tree, None);
        if lexed != parsed {
            let first = lexed
                .iter()
                .zip(&parsed)
                .find(|(a, b)| a != b)
                .map(|(a, b)| (a.start, b.start))
                .unwrap_or((lexed.len(), parsed.len()));
            let line = format!(
                "{} ({} lexed, {} parsed; first difference at byte {} lexed, {} parsed)",
                path.strip_prefix(&base).unwrap().display(),
                lexed.len(),
                parsed.len(),
                first.0,
                first.1,
            );
            // Where the text is not valid, the parse's error recovery can
            // drop a comment inside the broken construct; the lexer keeps it.
            if tree.root_node().has_error() {
                broken.push(line);
            } else {
                differ.push(line);
            }
        }
    }
    eprintln!("files the lexer is sure of, by language: {sure:?}");
    eprintln!("files with syntax errors whose comments the parse finds differently: {broken:#?}");
    assert!(
        differ.is_empty(),
        "{} files differ:\n{}",
        differ.len(),
        differ.join("\n")
    );
    for (lang, (lexed, total)) in &sure {
        assert!(
            *lexed * 10 >= *total * 9 || *lang == Language::Tsx.name(),
            "{lang}: the lexer is sure of {lexed} files of {total}"
        );
    }
}
