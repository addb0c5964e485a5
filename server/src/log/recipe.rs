//! The in-process evaluator of `Verification:` recipes: `ls`, `test`,
//! `[ ]`, `wc -l` and `grep`, split into words as a shell would and never
//! run. Every path is looked up and read through [`Workspace`], which
//! refuses what is outside its roots.
//!
//! It is also where secrets stop ([`crate::secrets`]): a line of a file
//! that is secret by name, or of an env file the workspace configures, is
//! named by its path and line only, and everything else that leaves (the
//! recipe itself, the lines of other files, the messages) is redacted.

use std::path::{Path, PathBuf};

use super::files::{self, Body, Stat, count_lines, plural};
use crate::secrets::{self, redact, redact_string};
use crate::workspace::fs::FileKind;
use crate::workspace::model::Workspace;
use crate::workspace::paths::{display_rel, normalize};

/// Matches listed in a grep hover, at most.
const MAX_MATCHES: usize = 20;
/// Characters of a matched line shown in a grep hover, at most.
const MAX_MATCH_CHARS: usize = 120;

/// What evaluating a recipe found, every text in it redacted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evaluation {
    /// Markdown for hover: the recipe and what each command found.
    pub hover: String,
    /// The message of the first command that failed: the recipe fails.
    pub failed: Option<String>,
    /// The message for the first command tagls cannot evaluate: the recipe
    /// must be checked by hand.
    pub unverifiable: Option<String>,
}

/// Evaluates every command of a recipe, with paths relative to `root`,
/// where such commands are run.
pub fn evaluate(recipe: &str, root: &Path, ws: &mut Workspace) -> Evaluation {
    let mut ev = Evaluator { ws, root };
    let outcomes: Vec<Outcome> = match split_commands(recipe) {
        Some(commands) => commands.iter().map(|c| ev.command(c)).collect(),
        None => vec![Outcome::Unverifiable {
            command: recipe.to_owned(),
            why: Some(
                "it uses shell syntax (pipes, redirections, substitutions or globs)".to_owned(),
            ),
        }],
    };
    let failed = outcomes.iter().find_map(|o| match o {
        Outcome::Failed(m) => Some(m.clone()),
        _ => None,
    });
    let unverifiable = outcomes.iter().find_map(|o| match o {
        Outcome::Unverifiable { command, why } => Some(match why {
            Some(why) => format!("tagls cannot evaluate `{command}`: {why}; check it by hand"),
            None => format!("tagls cannot evaluate `{command}`; check it by hand"),
        }),
        _ => None,
    });
    let parts: Vec<String> = outcomes
        .iter()
        .map(|o| match o {
            Outcome::Passed(h) => h.clone(),
            Outcome::Failed(m) => format!("**{m}**"),
            Outcome::Unverifiable { command, .. } => {
                format!("`{command}`: not evaluated; check it by hand")
            }
        })
        .collect();
    let hover = format!(
        "**Verification** {}\n\n{}",
        inline_code(recipe),
        parts.join("\n\n")
    );
    Evaluation {
        hover: redact_string(hover),
        failed: failed.map(redact_string),
        unverifiable: unverifiable.map(redact_string),
    }
}

/// What one command of a recipe found.
enum Outcome {
    /// Markdown for hover.
    Passed(String),
    /// The finding's message.
    Failed(String),
    /// The command tagls cannot evaluate.
    Unverifiable {
        command: String,
        why: Option<String>,
    },
}

struct Evaluator<'a> {
    ws: &'a mut Workspace,
    root: &'a Path,
}

impl Evaluator<'_> {
    /// A path of a recipe: relative to the root, where commands are run.
    fn command_path(&self, written: &str) -> PathBuf {
        normalize(&self.root.join(written))
    }

    fn stat(&mut self, path: &Path) -> Stat {
        files::stat(self.ws, path)
    }

    fn read(&mut self, path: &Path) -> Result<Body, Result<Stat, String>> {
        files::read(self.ws, path)
    }

    fn command(&mut self, words: &[String]) -> Outcome {
        let unverifiable = |why: Option<&str>| Outcome::Unverifiable {
            // Quoted again where needed, so the message shows a command
            // that means what the log's does.
            command: shell_words::join(words),
            why: why.map(str::to_owned),
        };
        let Some((program, args)) = words.split_first() else {
            return unverifiable(None);
        };
        match program.as_str() {
            "ls" => self.ls(args).unwrap_or_else(|| unverifiable(None)),
            "test" => self.test(args).unwrap_or_else(|| unverifiable(None)),
            "[" => match args.split_last() {
                Some((last, inner)) if last == "]" => {
                    self.test(inner).unwrap_or_else(|| unverifiable(None))
                }
                _ => unverifiable(None),
            },
            "wc" => self.wc(args).unwrap_or_else(|| unverifiable(None)),
            "grep" => match self.grep(args) {
                Ok(outcome) => outcome,
                Err(why) => unverifiable(why),
            },
            _ => unverifiable(None),
        }
    }

    /// `ls [flags] P...`: every path exists. `None` when there is no path.
    fn ls(&mut self, args: &[String]) -> Option<Outcome> {
        let paths = operands(args);
        if paths.is_empty() {
            return None;
        }
        let mut found = Vec::new();
        for p in paths {
            match self.stat(&self.command_path(p)) {
                Stat::File => found.push(format!("`{p}`: exists (file)")),
                Stat::Dir => found.push(format!("`{p}`: exists (directory)")),
                Stat::Other => found.push(format!("`{p}`: exists (special file)")),
                stat => return Some(Outcome::Failed(format!("ls: {}", stat.problem(p)))),
            }
        }
        Some(Outcome::Passed(found.join("\n\n")))
    }

    /// `test -f P`, `test -d P`, `test -e P`. `None` for anything else.
    fn test(&mut self, args: &[String]) -> Option<Outcome> {
        let [flag, p] = args else {
            return None;
        };
        let want = match flag.as_str() {
            "-f" => Some(Stat::File),
            "-d" => Some(Stat::Dir),
            "-e" => None,
            _ => return None,
        };
        let stat = self.stat(&self.command_path(p));
        let what = match stat {
            Stat::File => "file",
            Stat::Dir => "directory",
            Stat::Other => "special file",
            _ => return Some(Outcome::Failed(format!("test {flag}: {}", stat.problem(p)))),
        };
        Some(match want {
            Some(w) if w != stat => {
                let expected = if w == Stat::Dir {
                    "a directory"
                } else {
                    "a file"
                };
                Outcome::Failed(format!(
                    "test {flag}: {p} is not {expected}; it is a {what}"
                ))
            }
            _ => Outcome::Passed(format!("`{p}`: exists ({what})")),
        })
    }

    /// `wc -l P...`: every path is a readable file; the hover shows what
    /// `wc -l` prints, the number of newlines.
    fn wc(&mut self, args: &[String]) -> Option<Outcome> {
        let (flags, paths): (Vec<&String>, Vec<&String>) =
            args.iter().partition(|a| a.starts_with('-') && a.len() > 1);
        if flags.iter().any(|f| f.as_str() != "-l") || flags.is_empty() || paths.is_empty() {
            return None;
        }
        let mut counts = Vec::new();
        for p in paths {
            let path = self.command_path(p);
            let stat = self.stat(&path);
            if stat != Stat::File {
                return Some(Outcome::Failed(format!("wc: {}", stat.problem(p))));
            }
            match self.read(&path) {
                Ok(Body::Bytes(b)) => {
                    let newlines = memchr::memchr_iter(b'\n', &b).count();
                    let lines = count_lines(&b);
                    if lines == newlines {
                        counts.push(format!("`wc -l {p}`: {newlines}"));
                    } else {
                        counts.push(format!(
                            "`wc -l {p}`: {newlines} ({}; the last has no final newline)",
                            plural(lines, "line", "lines")
                        ));
                    }
                }
                Ok(Body::TooLarge) => counts.push(format!(
                    "`{p}`: exists; larger than 10 MiB, so its lines are not counted"
                )),
                Err(Ok(stat)) => return Some(Outcome::Failed(format!("wc: {}", stat.problem(p)))),
                Err(Err(e)) => {
                    return Some(Outcome::Failed(format!("wc: {p} cannot be read: {e}")));
                }
            }
        }
        Some(Outcome::Passed(counts.join("\n\n")))
    }

    /// `grep [-n] "text" P...` and `grep -r "text" DIR`. `Err` with the
    /// reason when tagls cannot evaluate it.
    fn grep(&mut self, args: &[String]) -> Result<Outcome, Option<&'static str>> {
        let opts = GrepArgs::parse(args).ok_or(None)?;
        let needle = Needle::new(&opts.pattern, opts.fixed, opts.extended, opts.ignore_case)
            .ok_or(Some(
                "its pattern is a regular expression; tagls matches text literally",
            ))?;
        let mut operands: Vec<&str> = opts.paths.iter().map(String::as_str).collect();
        if operands.is_empty() {
            if !opts.recursive {
                return Err(Some("it reads standard input"));
            }
            operands.push(".");
        }
        let mut files = Vec::new();
        for p in &operands {
            let path = self.command_path(p);
            match self.stat(&path) {
                Stat::File => files.push(path),
                Stat::Dir if opts.recursive => files.extend(self.files_under(&path)),
                Stat::Dir => {
                    return Ok(Outcome::Failed(format!(
                        "grep: {p} is a directory; add -r to search it"
                    )));
                }
                stat => return Ok(Outcome::Failed(format!("grep: {}", stat.problem(p)))),
            }
        }
        // (file, line, text): no text for a line of a secret file, which
        // is never copied out of its bytes.
        let mut matches: Vec<(String, usize, Option<String>)> = Vec::new();
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
            let secret = self.is_secret(file, &shown);
            for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                if needle.matches(line) {
                    let text = (!secret).then(|| String::from_utf8_lossy(line).trim().to_owned());
                    matches.push((shown.clone(), i + 1, text));
                }
            }
        }
        let quoted = format!("\"{}\"", opts.pattern);
        let searched = operands.join(", ");
        let skipped_note = if skipped > 0 {
            format!(
                "\n\n{} over 10 MiB not searched",
                plural(skipped, "file", "files")
            )
        } else {
            String::new()
        };
        if matches.is_empty() {
            // A file it could not search may hold the text: not a failure.
            if skipped > 0 {
                return Err(Some(
                    "a file it searches is over 10 MiB, which tagls does not search, and the rest hold no match",
                ));
            }
            if needle.has_dot {
                return Err(Some(
                    "its pattern has a `.`, which grep reads as any character; tagls matches text literally and found no match",
                ));
            }
            return Ok(Outcome::Failed(format!(
                "grep found no {quoted} in {searched}"
            )));
        }
        let mut redacted = false;
        let mut listed: Vec<String> = matches
            .iter()
            .take(MAX_MATCHES)
            .map(|(file, line, text)| match text {
                None => format!("- `{file}` line {line}"),
                Some(text) => {
                    // Redacted before it is cut, so that no part of a
                    // token is left to show.
                    let clean = redact(text);
                    redacted |= clean != text.as_str();
                    format!("- `{file}` line {line}: {}", inline_code(&shorten(&clean)))
                }
            })
            .collect();
        if matches.len() > MAX_MATCHES {
            listed.push(format!("- and {} more", matches.len() - MAX_MATCHES));
        }
        let mut hidden: Vec<&str> = matches
            .iter()
            .filter(|m| m.2.is_none())
            .map(|m| m.0.as_str())
            .collect();
        hidden.dedup();
        let mut secret_note = String::new();
        if !hidden.is_empty() {
            let mut files: Vec<String> = hidden.iter().take(5).map(|f| format!("`{f}`")).collect();
            if hidden.len() > 5 {
                files.push(format!("{} more", hidden.len() - 5));
            }
            secret_note = format!(
                "\n\nLines of secret files (env files, `.npmrc` and other credential stores, private keys, credentials) are not shown: {}.",
                files.join(", ")
            );
        }
        if redacted {
            secret_note.push_str(&format!(
                "\n\nToken-shaped values in the lines shown are replaced with `{}`.",
                secrets::REDACTED
            ));
        }
        Ok(Outcome::Passed(format!(
            "grep found {quoted} in {searched} ({}):\n\n{}{secret_note}{skipped_note}",
            plural(matches.len(), "line", "lines"),
            listed.join("\n")
        )))
    }

    /// Whether no line of a file may be shown: it is secret by name, or it
    /// is an env file of the workspace's configuration.
    fn is_secret(&self, file: &Path, shown: &str) -> bool {
        secrets::is_secret_file(Path::new(shown)) || self.ws.is_env_path(file)
    }

    /// The files under a directory, sorted, from the root's index when it
    /// has one, else from a walk of the directory. The walk follows no
    /// symlink, and every file is read through [`Workspace::read`], which
    /// refuses anything outside the roots.
    fn files_under(&mut self, dir: &Path) -> Vec<PathBuf> {
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

/// The arguments of a `grep` that tagls can evaluate.
struct GrepArgs {
    pattern: String,
    paths: Vec<String>,
    recursive: bool,
    fixed: bool,
    extended: bool,
    ignore_case: bool,
}

impl GrepArgs {
    /// `None` for an option that changes what matches in a way tagls does
    /// not evaluate (`-v`, `-w`, `-x`, `--include` ...), or no pattern.
    fn parse(args: &[String]) -> Option<GrepArgs> {
        let mut pattern = None;
        let mut paths = Vec::new();
        let (mut recursive, mut fixed, mut extended, mut ignore_case) =
            (false, false, false, false);
        let mut options_done = false;
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            if !options_done && arg == "--" {
                options_done = true;
            } else if !options_done && arg.starts_with("--") {
                match arg.as_str() {
                    "--recursive" | "--dereference-recursive" => recursive = true,
                    "--fixed-strings" => fixed = true,
                    "--extended-regexp" => extended = true,
                    "--ignore-case" => ignore_case = true,
                    "--line-number"
                    | "--quiet"
                    | "--silent"
                    | "--no-messages"
                    | "--with-filename"
                    | "--no-filename"
                    | "--files-with-matches"
                    | "--count" => {}
                    _ => return None,
                }
            } else if !options_done && arg.starts_with('-') && arg.len() > 1 {
                if arg == "-e" {
                    pattern = Some(it.next()?.clone());
                    continue;
                }
                for c in arg.chars().skip(1) {
                    match c {
                        'r' | 'R' => recursive = true,
                        'F' => fixed = true,
                        'E' => extended = true,
                        'i' => ignore_case = true,
                        'G' | 'n' | 'q' | 's' | 'H' | 'h' | 'l' | 'c' | 'I' => {}
                        _ => return None,
                    }
                }
            } else if pattern.is_none() {
                pattern = Some(arg.clone());
            } else {
                paths.push(arg.clone());
            }
        }
        Some(GrepArgs {
            pattern: pattern?,
            paths,
            recursive,
            fixed,
            extended,
            ignore_case,
        })
    }
}

/// What a grep pattern matches, evaluated as fixed text: recipes in logs
/// are written to find a literal name (`grep "JWT_SECRET" .env.example`),
/// and a fixed-string match can neither be slow nor misread. `^` and `$`
/// anchors and escaped punctuation (`\.`) are understood; any other regular
/// expression syntax makes the recipe unverifiable rather than wrongly
/// failed.
struct Needle {
    text: Vec<u8>,
    at_start: bool,
    at_end: bool,
    ignore_case: bool,
    /// An unescaped `.` was taken literally: a miss does not prove that
    /// grep would miss too.
    has_dot: bool,
}

impl Needle {
    fn new(pattern: &str, fixed: bool, extended: bool, ignore_case: bool) -> Option<Needle> {
        let fold = |s: &[u8]| {
            if ignore_case {
                s.to_ascii_lowercase()
            } else {
                s.to_vec()
            }
        };
        if fixed {
            return Some(Needle {
                text: fold(pattern.as_bytes()),
                at_start: false,
                at_end: false,
                ignore_case,
                has_dot: false,
            });
        }
        let (at_start, rest) = match pattern.strip_prefix('^') {
            Some(r) => (true, r),
            None => (false, pattern),
        };
        let (at_end, rest) = match rest.strip_suffix('$') {
            Some(r) if !r.ends_with('\\') => (true, r),
            _ => (false, rest),
        };
        let mut text = String::new();
        let mut has_dot = false;
        let mut chars = rest.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some(
                        e @ ('.' | '*' | '[' | ']' | '^' | '$' | '\\' | '/' | '-' | '"' | '\''),
                    ) => text.push(e),
                    _ => return None,
                },
                '.' => {
                    has_dot = true;
                    text.push('.');
                }
                '*' | '[' | ']' | '^' | '$' => return None,
                '+' | '?' | '(' | ')' | '{' | '}' | '|' if extended => return None,
                c => text.push(c),
            }
        }
        Some(Needle {
            text: fold(text.as_bytes()),
            at_start,
            at_end,
            ignore_case,
            has_dot,
        })
    }

    fn matches(&self, line: &[u8]) -> bool {
        let folded;
        let line = if self.ignore_case {
            folded = line.to_ascii_lowercase();
            &folded[..]
        } else {
            line
        };
        match (self.at_start, self.at_end) {
            (true, true) => line == self.text.as_slice(),
            (true, false) => line.starts_with(&self.text),
            (false, true) => line.ends_with(&self.text),
            (false, false) => memchr::memmem::find(line, &self.text).is_some(),
        }
    }
}

/// The operands of a command: its words that are not options.
fn operands(args: &[String]) -> Vec<&str> {
    let mut out = Vec::new();
    let mut options_done = false;
    for a in args {
        if !options_done && a == "--" {
            options_done = true;
        } else if options_done || !(a.starts_with('-') && a.len() > 1) {
            out.push(a.as_str());
        }
    }
    out
}

/// Splits a recipe into commands at `&&` and `;`, and each command into
/// words as a shell would. `None` when the recipe uses shell syntax whose
/// meaning tagls does not evaluate: pipes, `||`, redirections, command or
/// variable substitution, globs, subshells, a home directory.
fn split_commands(recipe: &str) -> Option<Vec<Vec<String>>> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut quote: Option<char> = None;
    let mut chars = recipe.char_indices().peekable();
    let mut word_start = true;
    while let Some((i, c)) = chars.next() {
        match (quote, c) {
            (Some('\''), '\'') => quote = None,
            (Some('\''), _) => {}
            (Some('"'), '"') => quote = None,
            (Some('"'), '$' | '`') => return None,
            (Some('"'), '\\') => {
                chars.next();
            }
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '\\') => {
                chars.next();
            }
            (None, ';') => {
                pieces.push(&recipe[start..i]);
                start = i + 1;
            }
            (None, '&') => {
                if chars.peek().map(|(_, n)| *n) != Some('&') {
                    return None;
                }
                chars.next();
                pieces.push(&recipe[start..i]);
                start = i + 2;
            }
            (None, '|' | '<' | '>' | '$' | '`' | '(' | ')' | '*' | '?' | '{' | '}') => return None,
            (None, '~') if word_start => return None,
            // A comment runs to the end of the recipe.
            (None, '#') if word_start => {
                pieces.push(&recipe[start..i]);
                start = recipe.len();
                break;
            }
            _ => {}
        }
        word_start = quote.is_none() && c.is_whitespace();
    }
    pieces.push(&recipe[start..]);
    let mut out = Vec::new();
    for piece in pieces {
        let words = shell_words::split(piece).ok()?;
        if !words.is_empty() {
            out.push(words);
        }
    }
    (!out.is_empty()).then_some(out)
}

/// A matched line, cut to [`MAX_MATCH_CHARS`] characters.
fn shorten(text: &str) -> String {
    match text.char_indices().nth(MAX_MATCH_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// `text` as Markdown inline code, with a fence longer than any run of
/// backticks inside it.
fn inline_code(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    if longest == 0 {
        format!("{fence}{text}{fence}")
    } else {
        format!("{fence} {text} {fence}")
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::log::files::MAX_FILE;
    use crate::workspace::fs::FakeFs;
    use crate::workspace::index::FileIndex;

    fn workspace(fs: FakeFs, indexed: bool) -> Workspace {
        let fs = Arc::new(fs);
        let mut ws = Workspace::new(fs.clone());
        ws.add_root(Path::new("/ws"), false);
        if indexed {
            ws.set_index(Path::new("/ws"), FileIndex::build(&*fs, Path::new("/ws")));
        }
        ws
    }

    fn eval(ws: &mut Workspace, recipe: &str) -> Evaluation {
        evaluate(recipe, Path::new("/ws"), ws)
    }

    #[test]
    fn grep_walks_through_the_index_and_caps_what_it_lists() {
        let long = format!("  needle {}  \n", "x".repeat(200));
        for indexed in [false, true] {
            let fs = FakeFs::new();
            fs.file("/ws/src/a.ts", long.repeat(25))
                .file("/ws/src/sub/b.ts", "needle\n")
                .file("/ws/other.ts", "needle\n")
                .file("/ws/src/big.bin", vec![b'n'; MAX_FILE as usize + 1]);
            let e = eval(&mut workspace(fs, indexed), "grep -r needle src");
            assert_eq!((&e.failed, &e.unverifiable), (&None, &None));
            let hover = &e.hover;
            assert!(hover.contains("(26 lines)"), "{hover}");
            assert_eq!(hover.matches("\n- `src/a.ts`").count(), 20, "{hover}");
            assert!(hover.contains("- and 6 more"), "{hover}");
            assert!(!hover.contains("other.ts"), "{hover}");
            assert!(hover.contains("1 file over 10 MiB not searched"), "{hover}");
            // Matched lines are trimmed, then cut to 120 characters.
            let shown = format!("needle {}…", "x".repeat(113));
            assert!(hover.contains(&format!("`{shown}`")), "{hover}");
        }
    }

    const STRIPE: &str = "sk_live_51HqLyjWDarjtT1zdp7dcXqNh";
    const NPM: &str = "npm_aBcD1234eFgH5678iJkL9012mNoP3456qRsT";

    /// A workspace with a secret in every kind of file that holds one, and
    /// code that names them.
    fn planted() -> FakeFs {
        let fs = FakeFs::new();
        fs.file("/ws/.env", "API_KEY=CANARY_env_value\n")
            .file("/ws/.env.example", "API_KEY=CANARY_example_value\n")
            .file(
                "/ws/.npmrc",
                format!("//registry.npmjs.org/:_authToken={NPM}\n"),
            )
            .file(
                "/ws/credentials.json",
                "{ \"API_KEY\": \"CANARY_credentials_value\" }\n",
            )
            .file(
                "/ws/certs/server.pem",
                "-----BEGIN PRIVATE KEY-----\nCANARYpemBody0API_KEY\n-----END PRIVATE KEY-----\n",
            )
            .file("/ws/id_rsa", "CANARY_ssh API_KEY\n")
            .file("/ws/id_rsa.pub", "ssh-ed25519 AAAA API_KEY public\n")
            .file(
                "/ws/src/config.ts",
                format!("const stripe = \"{STRIPE}\" // API_KEY\n"),
            )
            .file("/ws/src/app.ts", "const key = process.env.API_KEY\n");
        fs
    }

    const CANARIES: &[&str] = &[
        "CANARY_env_value",
        "CANARY_example_value",
        NPM,
        "CANARY_credentials_value",
        "CANARYpemBody0",
        "CANARY_ssh",
        STRIPE,
    ];

    fn assert_clean(e: &Evaluation) {
        let all = format!("{e:?}");
        for c in CANARIES {
            assert!(!all.contains(c), "{c} leaked: {all}");
        }
    }

    #[test]
    fn lines_of_secret_files_are_named_and_other_lines_redacted() {
        let mut ws = workspace(planted(), true);
        let e = eval(&mut ws, "grep -r \"API_KEY\" .");
        assert_clean(&e);
        assert_eq!((&e.failed, &e.unverifiable), (&None, &None));
        let hover = &e.hover;
        for hidden in [
            "- `.env` line 1\n",
            "- `.env.example` line 1\n",
            "- `certs/server.pem` line 2\n",
            "- `credentials.json` line 1\n",
            "- `id_rsa` line 1\n",
        ] {
            assert!(hover.contains(hidden), "{hidden} in {hover}");
        }
        // A public key and code are shown; a token in code is redacted.
        assert!(
            hover.contains("- `id_rsa.pub` line 1: `ssh-ed25519 AAAA API_KEY public`"),
            "{hover}"
        );
        assert!(
            hover.contains("- `src/app.ts` line 1: `const key = process.env.API_KEY`"),
            "{hover}"
        );
        assert!(
            hover.contains("- `src/config.ts` line 1: `const stripe = \"[redacted]\" // API_KEY`"),
            "{hover}"
        );
        assert!(
            hover.contains("Lines of secret files (env files, `.npmrc` and other credential stores, private keys, credentials) are not shown: `.env`, `.env.example`, `certs/server.pem`, `credentials.json`, `id_rsa`."),
            "{hover}"
        );
        assert!(
            hover
                .contains("Token-shaped values in the lines shown are replaced with `[redacted]`."),
            "{hover}"
        );

        let e = eval(&mut ws, "grep \"_authToken\" .npmrc");
        assert_clean(&e);
        assert!(e.hover.contains("- `.npmrc` line 1\n"), "{}", e.hover);
        // Nothing was hidden or redacted: no note.
        let e = eval(&mut ws, "grep -n process.env src/app.ts");
        assert!(!e.hover.contains("not shown"), "{}", e.hover);
        assert!(!e.hover.contains("[redacted]"), "{}", e.hover);
    }

    #[test]
    fn configured_env_files_are_secret_by_name_and_by_path() {
        let fs = FakeFs::new();
        fs.file("/ws/deploy.vars", "TOKEN_NAME=CANARY_vars_value\n")
            .file(
                "/ws/config/app.settings",
                "TOKEN_NAME=CANARY_settings_value\n",
            )
            .file("/ws/notes.txt", "TOKEN_NAME is documented here\n");
        let mut ws = workspace(fs, true);
        let e = eval(&mut ws, "grep -r TOKEN_NAME .");
        // Not configured: ordinary files, shown.
        assert!(e.hover.contains("CANARY_vars_value"), "{}", e.hover);
        let mut globs = globset::GlobSetBuilder::new();
        for g in ["*.vars", "config/*.settings"] {
            globs.add(globset::Glob::new(g).expect("a valid glob"));
        }
        ws.set_env_files(Path::new("/ws"), globs.build().expect("valid globs"));
        let e = eval(&mut ws, "grep -r TOKEN_NAME .");
        assert!(!e.hover.contains("CANARY_"), "{}", e.hover);
        assert!(e.hover.contains("- `deploy.vars` line 1\n"), "{}", e.hover);
        assert!(
            e.hover.contains("- `config/app.settings` line 1\n"),
            "{}",
            e.hover
        );
        assert!(
            e.hover
                .contains("- `notes.txt` line 1: `TOKEN_NAME is documented here`"),
            "{}",
            e.hover
        );
    }

    #[test]
    fn a_token_in_the_recipe_itself_is_redacted() {
        let mut ws = workspace(planted(), false);
        for recipe in [
            format!("grep \"{STRIPE}\" src/config.ts"),
            format!("grep \"{STRIPE}\" src/app.ts"),
            format!("grep -v \"{STRIPE}\" src/app.ts"),
            format!("ls {NPM} && grep x src/app.ts"),
            format!("echo {NPM} | wc -l"),
        ] {
            let e = eval(&mut ws, &recipe);
            assert_clean(&e);
            assert!(e.hover.contains("[redacted]"), "{}", e.hover);
        }
        let e = eval(&mut ws, &format!("grep \"{STRIPE}\" src/app.ts"));
        assert_eq!(
            e.failed.as_deref(),
            Some("grep found no \"[redacted]\" in src/app.ts")
        );
    }

    #[test]
    fn recipes_split_like_a_shell() {
        let words = |s: &str| split_commands(s);
        assert_eq!(
            words("grep -n 'a b' x && ls y; test -f z"),
            Some(vec![
                vec!["grep".into(), "-n".into(), "a b".into(), "x".into()],
                vec!["ls".into(), "y".into()],
                vec!["test".into(), "-f".into(), "z".into()],
            ])
        );
        for s in [
            "ls x | wc -l",
            "test -f x || echo no",
            "ls $HOME",
            "cat \"$(pwd)/x\"",
            "ls *.ts",
            "ls ~/x",
            "ls x > out",
            "sleep 1 &",
            "'unclosed",
        ] {
            assert_eq!(words(s), None, "{s}");
        }
        assert_eq!(
            words("ls 'a|b'").map(|w| w[0][1].clone()),
            Some("a|b".into())
        );
    }
}
