//! `grep`: its options, the files it searches, and the lines it selects,
//! from files or from the command before it in a pipeline.

use std::path::{Path, PathBuf};

use globset::{GlobBuilder, GlobMatcher};
use regex::bytes::Regex;

use super::files::{Body, Stat};
use super::pattern::{self, Mode, Syntax};
use super::{Evaluator, Hidden, Line, Outcome};
use crate::workspace::fs::FileKind;
use crate::workspace::paths::display_rel;

/// The arguments of a `grep` that tagls can evaluate.
#[derive(Debug, Default)]
pub(super) struct GrepArgs {
    pub patterns: Vec<String>,
    pub paths: Vec<String>,
    pub recursive: bool,
    pub syntax: Option<Syntax>,
    pub mode: Mode,
    pub invert: bool,
    pub count: bool,
    pub list: bool,
    pub quiet: bool,
    pub line_number: bool,
    /// `-H` (true) or `-h` (false).
    pub with_filename: Option<bool>,
    pub max_count: Option<usize>,
    pub skip_binary: bool,
    pub include: Vec<GlobMatcher>,
    pub exclude: Vec<GlobMatcher>,
    pub exclude_dir: Vec<GlobMatcher>,
}

fn name_glob(g: &str) -> Result<GlobMatcher, String> {
    GlobBuilder::new(g)
        .backslash_escape(true)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|_| format!("`{g}` is not a glob tagls can read"))
}

fn number(v: &str) -> Result<usize, String> {
    v.parse()
        .map_err(|_| format!("`{v}` is not a number grep would take"))
}

impl GrepArgs {
    /// `Err` with the reason for an option tagls does not evaluate.
    pub(super) fn parse(args: &[String]) -> Result<GrepArgs, String> {
        let mut g = GrepArgs::default();
        let mut explicit = false;
        let mut operands = Vec::new();
        let mut options_done = false;
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            if options_done || arg == "-" || !arg.starts_with('-') {
                if arg == "-" && !options_done {
                    return Err("it reads standard input".to_owned());
                }
                operands.push(arg.clone());
            } else if arg == "--" {
                options_done = true;
            } else if let Some(long) = arg.strip_prefix("--") {
                let (name, value) = match long.split_once('=') {
                    Some((n, v)) => (n, Some(v.to_owned())),
                    None => (long, None),
                };
                let value = |it: &mut std::slice::Iter<'_, String>| -> Result<String, String> {
                    match &value {
                        Some(v) => Ok(v.clone()),
                        None => it
                            .next()
                            .cloned()
                            .ok_or_else(|| format!("`--{name}` has no value")),
                    }
                };
                match name {
                    "recursive" | "dereference-recursive" => g.recursive = true,
                    "fixed-strings" => g.syntax = Some(Syntax::Fixed),
                    "extended-regexp" => g.syntax = Some(Syntax::Extended),
                    "basic-regexp" => g.syntax = Some(Syntax::Basic),
                    "ignore-case" => g.mode.ignore_case = true,
                    "no-ignore-case" => g.mode.ignore_case = false,
                    "word-regexp" => g.mode.word = true,
                    "line-regexp" => g.mode.line = true,
                    "invert-match" => g.invert = true,
                    "count" => g.count = true,
                    "files-with-matches" => g.list = true,
                    "quiet" | "silent" => g.quiet = true,
                    "line-number" => g.line_number = true,
                    "with-filename" => g.with_filename = Some(true),
                    "no-filename" => g.with_filename = Some(false),
                    "no-messages" | "only-matching" | "text" | "byte-offset" | "initial-tab"
                    | "null" | "color" | "colour" => {}
                    "binary-files" => match value(&mut it)?.as_str() {
                        "without-match" => g.skip_binary = true,
                        "binary" | "text" => {}
                        v => return Err(format!("`--binary-files={v}` is not evaluated")),
                    },
                    "regexp" => {
                        g.patterns.push(value(&mut it)?);
                        explicit = true;
                    }
                    "max-count" => g.max_count = Some(number(&value(&mut it)?)?),
                    "context" | "after-context" | "before-context" => {
                        number(&value(&mut it)?)?;
                    }
                    "include" => g.include.push(name_glob(&value(&mut it)?)?),
                    "exclude" => g.exclude.push(name_glob(&value(&mut it)?)?),
                    "exclude-dir" => g.exclude_dir.push(name_glob(&value(&mut it)?)?),
                    "perl-regexp" => {
                        return Err("its pattern is a Perl regular expression (`-P`)".to_owned());
                    }
                    "files-without-match" => {
                        return Err("it lists files without a match (`-L`)".to_owned());
                    }
                    "file" => return Err("it reads its patterns from a file".to_owned()),
                    _ => return Err(format!("grep's `--{name}` is not evaluated")),
                }
            } else {
                let flags: Vec<char> = arg.chars().skip(1).collect();
                // `-3`: lines of context.
                if flags.iter().all(|c| c.is_ascii_digit()) {
                    continue;
                }
                let mut k = 0;
                while k < flags.len() {
                    let c = flags[k];
                    k += 1;
                    // An option with a value takes the rest of the word, or
                    // the next word.
                    let mut value =
                        |it: &mut std::slice::Iter<'_, String>| -> Result<String, String> {
                            let rest: String = flags[k..].iter().collect();
                            k = flags.len();
                            if rest.is_empty() {
                                it.next()
                                    .cloned()
                                    .ok_or_else(|| format!("`-{c}` has no value"))
                            } else {
                                Ok(rest)
                            }
                        };
                    match c {
                        'r' | 'R' => g.recursive = true,
                        'F' => g.syntax = Some(Syntax::Fixed),
                        'E' => g.syntax = Some(Syntax::Extended),
                        'G' => g.syntax = Some(Syntax::Basic),
                        'i' | 'y' => g.mode.ignore_case = true,
                        'w' => g.mode.word = true,
                        'x' => g.mode.line = true,
                        'v' => g.invert = true,
                        'c' => g.count = true,
                        'l' => g.list = true,
                        'q' => g.quiet = true,
                        'n' => g.line_number = true,
                        'H' => g.with_filename = Some(true),
                        'h' => g.with_filename = Some(false),
                        'I' => g.skip_binary = true,
                        's' | 'o' | 'a' | 'b' | 'T' | 'Z' | 'U' => {}
                        'e' => {
                            g.patterns.push(value(&mut it)?);
                            explicit = true;
                        }
                        'm' => g.max_count = Some(number(&value(&mut it)?)?),
                        'A' | 'B' | 'C' => {
                            number(&value(&mut it)?)?;
                        }
                        'P' => {
                            return Err(
                                "its pattern is a Perl regular expression (`-P`)".to_owned()
                            );
                        }
                        'L' => return Err("it lists files without a match (`-L`)".to_owned()),
                        'f' => return Err("it reads its patterns from a file".to_owned()),
                        'z' => return Err("it reads lines ended by NUL (`-z`)".to_owned()),
                        c => return Err(format!("grep's `-{c}` is not evaluated")),
                    }
                }
            }
        }
        if !explicit {
            if operands.is_empty() {
                return Err("it has no pattern".to_owned());
            }
            g.patterns.push(operands.remove(0));
        }
        g.paths = operands;
        Ok(g)
    }

    pub(super) fn regex(&self) -> Result<Regex, String> {
        pattern::compile(
            &self.patterns,
            self.syntax.unwrap_or(Syntax::Basic),
            self.mode,
        )
    }

    /// The patterns as a message quotes them.
    pub(super) fn quoted(&self) -> String {
        self.patterns
            .iter()
            .map(|p| format!("\"{p}\""))
            .collect::<Vec<_>>()
            .join(" or ")
    }

    /// Whether a file found under a searched folder is searched.
    fn wants(&self, name: &str) -> bool {
        if self.exclude.iter().any(|g| g.is_match(name)) {
            return false;
        }
        self.include.is_empty() || self.include.iter().any(|g| g.is_match(name))
    }
}

/// Whether bytes are binary as grep judges them: a NUL in the first 32 KiB
/// or bytes that are not UTF-8.
pub(super) fn is_binary(bytes: &[u8]) -> bool {
    memchr::memchr(0, &bytes[..bytes.len().min(32 * 1024)]).is_some()
        || std::str::from_utf8(bytes).is_err()
}

/// What a grep over files found.
pub(super) struct Found {
    /// The lines it selected, as it prints them.
    pub lines: Vec<Line>,
    /// Files over 10 MiB it did not search.
    pub skipped: usize,
    /// What it searched, for messages.
    pub operands: Vec<String>,
    /// Whether it prints file names.
    pub names: bool,
}

impl Evaluator<'_> {
    /// `grep` over files, the first stage of a pipeline or the whole
    /// command. `Err` with what the command comes to when it fails or
    /// cannot be evaluated.
    pub(super) fn grep_files(&mut self, g: &GrepArgs) -> Result<Found, Outcome> {
        let re = g.regex().map_err(|w| Outcome::unverifiable(Some(w)))?;
        let mut operands: Vec<String> = g.paths.clone();
        if operands.is_empty() {
            if !g.recursive {
                return Err(Outcome::unverifiable(Some(
                    "it reads standard input".to_owned(),
                )));
            }
            operands.push(".".to_owned());
        }
        let mut files = Vec::new();
        for p in &operands {
            let path = self.command_path(p);
            match self.stat(&path) {
                Stat::File => {
                    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
                    if name.is_none_or(|n| g.wants(&n)) {
                        files.push(path);
                    }
                }
                Stat::Dir if g.recursive => {
                    let under = self.files_under(&path);
                    for f in under {
                        let rel = f.strip_prefix(&path).unwrap_or(&f);
                        let dirs_ok = rel.parent().is_none_or(|parent| {
                            parent.components().all(|c| {
                                let n = c.as_os_str().to_string_lossy();
                                !g.exclude_dir.iter().any(|x| x.is_match(n.as_ref()))
                            })
                        });
                        let name = f.file_name().map(|n| n.to_string_lossy().into_owned());
                        if dirs_ok && name.is_some_and(|n| g.wants(&n)) {
                            files.push(f);
                        }
                    }
                }
                Stat::Dir => {
                    return Err(Outcome::failed(format!(
                        "grep: {p} is a directory; add -r to search it"
                    )));
                }
                stat => return Err(Outcome::failed(format!("grep: {}", self.problem(stat, p)))),
            }
        }
        let many = g
            .with_filename
            .unwrap_or(g.recursive || operands.len() > 1 || files.len() > 1);
        let mut lines = Vec::new();
        let mut skipped = 0usize;
        for file in &files {
            let bytes = match self.read(file) {
                Ok(Body::Bytes(b)) => b,
                Ok(Body::TooLarge) => {
                    skipped += 1;
                    continue;
                }
                // With -r, a file that vanished or cannot be read is skipped,
                // as `grep -s` would; a named file was statted above.
                Err(_) => continue,
            };
            let shown = display_rel(file, self.root);
            let binary = is_binary(&bytes);
            if binary && g.skip_binary {
                continue;
            }
            let hidden = if self.is_secret(file, &shown) {
                Some(Hidden::Secret)
            } else if binary {
                Some(Hidden::Binary)
            } else {
                None
            };
            let mut selected = 0usize;
            let max = g.max_count.unwrap_or(usize::MAX);
            let body = bytes.strip_suffix(b"\n").unwrap_or(&bytes);
            if bytes.is_empty() {
                continue;
            }
            for (i, line) in body.split(|b| *b == b'\n').enumerate() {
                if selected >= max {
                    break;
                }
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                if re.is_match(line) == g.invert {
                    continue;
                }
                selected += 1;
                let mut prefix = String::new();
                if many {
                    prefix.push_str(&shown);
                    prefix.push(':');
                }
                if g.line_number {
                    prefix.push_str(&format!("{}:", i + 1));
                }
                lines.push(Line {
                    prefix,
                    content: line.to_vec(),
                    file: Some(shown.clone()),
                    number: Some(i + 1),
                    hidden,
                });
            }
        }
        Ok(Found {
            lines,
            skipped,
            operands,
            names: many,
        })
    }

    /// The files under a directory, sorted, from the root's index when it
    /// has one, else from a walk of the directory. The walk follows no
    /// symlink, and every file is read through [`Workspace::read`], which
    /// refuses anything outside the roots.
    ///
    /// [`Workspace::read`]: crate::workspace::model::Workspace::read
    pub(super) fn files_under(&mut self, dir: &Path) -> Vec<PathBuf> {
        let indexed = self.ws.root_for(dir).and_then(|root| {
            let index = root.index.as_ref()?;
            let rel = dir.strip_prefix(&root.path).ok()?;
            Some(
                index
                    .paths()
                    .filter(|(p, k)| *k == FileKind::File && p.starts_with(rel))
                    .map(|(p, _)| root.path.join(p))
                    .collect::<Vec<_>>(),
            )
        });
        let mut files = indexed.unwrap_or_else(|| {
            self.ws
                .fs()
                .walk(dir)
                .into_iter()
                .filter(|(_, k)| *k == FileKind::File)
                .map(|(p, _)| dir.join(p))
                .collect()
        });
        files.sort();
        files
    }
}

/// The lines of `input` a grep in a pipeline selects, as it prints them.
pub(super) fn filter(g: &GrepArgs, re: &Regex, input: &[Line]) -> Vec<Line> {
    let max = g.max_count.unwrap_or(usize::MAX);
    let mut out = Vec::new();
    for (i, line) in input.iter().enumerate() {
        if out.len() >= max {
            break;
        }
        if re.is_match(&line.text()) == g.invert {
            continue;
        }
        let mut l = line.clone();
        if g.line_number {
            l.prefix = format!("{}:{}", i + 1, l.prefix);
        }
        out.push(l);
    }
    out
}
