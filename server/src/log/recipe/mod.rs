//! The in-process evaluator of `Verification:` recipes, split into words
//! as a shell would and never run through one: `ls`, `test`, `[ ]`,
//! `wc -l`, `grep`, `file`, `find`, `sed -n`, `head`, `tail`, `cat`, globs in
//! their operands, and pipelines that end in `grep` (`git diff | grep X`).
//! Every path is looked up and read through [`Workspace`], which refuses
//! what is outside its roots; `git` is the only program run, as an argument
//! list with a fixed set of subcommands and options ([`git`]).
//!
//! It is also where secrets stop ([`crate::secrets`]): a line of a file
//! that is secret by name, or of an env file the workspace configures, is
//! named by its path and line only, and everything else that leaves (the
//! recipe itself, the lines of other files, the messages) is redacted.

mod find;
mod git;
mod glob;
mod grep;
mod lex;
mod pattern;
mod text;

use std::path::{Path, PathBuf};

use super::files::{self, Body, Stat, count_lines, plural};
use crate::secrets::{self, redact, redact_string};
use crate::workspace::model::Workspace;
use crate::workspace::paths::normalize;

use grep::GrepArgs;
use lex::{Pipeline, Word};

/// Lines listed in a hover or a command's output, at most.
const MAX_MATCHES: usize = 20;
/// Characters of a line shown in a hover, at most.
const MAX_MATCH_CHARS: usize = 120;
/// A longer recipe is not evaluated.
const MAX_RECIPE: usize = 16 * 1024;
/// Commands of a recipe evaluated, at most.
const MAX_COMMANDS: usize = 32;
/// `git` runs of a recipe, at most.
const MAX_GIT_RUNS: usize = 4;

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
    /// What each command of the recipe (each pipeline between `&&` or `;`)
    /// did, in order, for a verification report.
    pub commands: Vec<CommandRun>,
}

/// What one command of a recipe did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandRun {
    /// The command as written in the recipe (a whole pipeline), redacted.
    pub command: String,
    pub status: RunStatus,
    /// What a person running it would have seen, redacted, at most 20
    /// lines and a last line saying how many more there were; lines of
    /// secret files are replaced by a note. For a command that failed
    /// without printing anything (a grep that found nothing, a missing
    /// file), the finding's message; for a command tagls did not evaluate,
    /// the reason.
    pub output: String,
}

/// How a command of a recipe came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunStatus {
    Passed,
    Failed,
    NotEvaluated,
}

impl RunStatus {
    /// In words, as the report says it.
    pub fn name(self) -> &'static str {
        match self {
            RunStatus::Passed => "passed",
            RunStatus::Failed => "failed",
            RunStatus::NotEvaluated => "not evaluated",
        }
    }
}

/// Evaluates every command of a recipe, with paths relative to `root`,
/// where such commands are run.
pub fn evaluate(recipe: &str, root: &Path, ws: &mut Workspace) -> Evaluation {
    let mut ev = Evaluator {
        ws,
        root,
        unmatched: Vec::new(),
        git_runs: 0,
    };
    let mut runs: Vec<(String, Outcome)> = Vec::new();
    let whole = |why: &str| {
        vec![(
            recipe.to_owned(),
            Outcome::unverifiable(Some(why.to_owned())),
        )]
    };
    if recipe.len() > MAX_RECIPE {
        runs = whole("it is longer than 16 KiB");
    } else if recipe.contains('\0') {
        runs = whole("it holds a NUL character");
    } else {
        match lex::split(recipe) {
            Ok(pipelines) if pipelines.is_empty() => {
                runs.push((recipe.to_owned(), Outcome::unverifiable(None)));
            }
            Ok(pipelines) => {
                for p in pipelines.iter().take(MAX_COMMANDS) {
                    let outcome = ev.pipeline(p);
                    runs.push((p.written.clone(), outcome));
                }
                if pipelines.len() > MAX_COMMANDS {
                    let rest: Vec<&str> = pipelines[MAX_COMMANDS..]
                        .iter()
                        .map(|p| p.written.as_str())
                        .collect();
                    runs.push((
                        rest.join("; "),
                        Outcome::unverifiable(Some(format!(
                            "tagls evaluates the first {MAX_COMMANDS} commands of a recipe"
                        ))),
                    ));
                }
            }
            Err(why) => runs = whole(why),
        }
    }
    let failed = runs.iter().find_map(|(_, o)| match o {
        Outcome::Failed { message, .. } => Some(message.clone()),
        _ => None,
    });
    let unverifiable = runs.iter().find_map(|(command, o)| match o {
        Outcome::Unverifiable(why) => Some(match why {
            Some(why) => format!("tagls cannot evaluate `{command}`: {why}; check it by hand"),
            None => format!("tagls cannot evaluate `{command}`; check it by hand"),
        }),
        _ => None,
    });
    let parts: Vec<String> = runs
        .iter()
        .map(|(command, o)| match o {
            Outcome::Passed { hover, .. } => hover.clone(),
            Outcome::Failed { message, .. } => format!("**{message}**"),
            Outcome::Unverifiable(Some(why)) => {
                format!(
                    "{}: not evaluated ({why}); check it by hand",
                    inline_code(command)
                )
            }
            Outcome::Unverifiable(None) => {
                format!("{}: not evaluated; check it by hand", inline_code(command))
            }
        })
        .collect();
    let hover = format!(
        "**Verification** {}\n\n{}",
        inline_code(recipe),
        parts.join("\n\n")
    );
    let commands = runs
        .into_iter()
        .map(|(command, o)| {
            let (status, output) = match o {
                Outcome::Passed { output, .. } => (RunStatus::Passed, output),
                Outcome::Failed { message, output } if output.is_empty() => {
                    (RunStatus::Failed, message)
                }
                Outcome::Failed { output, .. } => (RunStatus::Failed, output),
                Outcome::Unverifiable(why) => (
                    RunStatus::NotEvaluated,
                    why.unwrap_or_else(|| "tagls does not evaluate this command".to_owned()),
                ),
            };
            CommandRun {
                command: redact_string(command),
                status,
                output: redact_string(output),
            }
        })
        .collect();
    Evaluation {
        hover: redact_string(hover),
        failed: failed.map(redact_string),
        unverifiable: unverifiable.map(redact_string),
        commands,
    }
}

/// What one command of a recipe found.
enum Outcome {
    Passed {
        /// Markdown for hover.
        hover: String,
        /// What the command prints.
        output: String,
    },
    Failed {
        /// The finding's message.
        message: String,
        /// What the command prints, if anything.
        output: String,
    },
    /// tagls cannot evaluate the command; why, when it can say.
    Unverifiable(Option<String>),
}

impl Outcome {
    fn failed(message: String) -> Outcome {
        Outcome::Failed {
            message,
            output: String::new(),
        }
    }

    fn unverifiable(why: Option<String>) -> Outcome {
        Outcome::Unverifiable(why)
    }
}

/// Why a line's text is not shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hidden {
    /// It is a line of a secret file.
    Secret,
    /// It is a line of a binary file.
    Binary,
}

/// A line a command prints.
#[derive(Clone, Debug)]
struct Line {
    /// What the command prints before the line's text (`file:12:`).
    prefix: String,
    content: Vec<u8>,
    /// The file it comes from, as written or relative to the root.
    file: Option<String>,
    /// Its number in that file.
    number: Option<usize>,
    hidden: Option<Hidden>,
}

impl Line {
    /// A line of a command's own (a file's name, a count).
    fn plain(text: String) -> Line {
        Line {
            prefix: String::new(),
            content: text.into_bytes(),
            file: None,
            number: None,
            hidden: None,
        }
    }

    /// The bytes the next command of a pipeline reads.
    fn text(&self) -> Vec<u8> {
        let mut t = self.prefix.as_bytes().to_vec();
        t.extend_from_slice(&self.content);
        t
    }

    /// The line as a person would see it printed, with what may not be
    /// shown replaced.
    fn shown(&self) -> String {
        match self.hidden {
            Some(Hidden::Secret) => format!("{}[a line of a secret file; not shown]", self.prefix),
            Some(Hidden::Binary) => format!(
                "Binary file {} matches",
                self.file.as_deref().unwrap_or("(standard input)")
            ),
            None => format!("{}{}", self.prefix, String::from_utf8_lossy(&self.content)),
        }
    }
}

/// Lines as a command prints them, at most [`MAX_MATCHES`].
fn printed(lines: &[Line]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut binary_files: Vec<&str> = Vec::new();
    for l in lines {
        // grep says once per binary file that it matches.
        if l.hidden == Some(Hidden::Binary) {
            let f = l.file.as_deref().unwrap_or("");
            if binary_files.contains(&f) {
                continue;
            }
            binary_files.push(f);
        }
        if out.len() == MAX_MATCHES {
            out.push(format!("… and more ({} lines in all)", lines.len()));
            break;
        }
        out.push(redact(&l.shown()).into_owned());
    }
    out.join("\n")
}

/// Markdown items for lines a command found: a line of a secret file by
/// its file and number only, others redacted and cut; with the notes on
/// what was hidden or redacted.
fn listed(lines: &[Line]) -> String {
    let mut redacted = false;
    let mut items: Vec<String> = Vec::new();
    let mut binary_files: Vec<&str> = Vec::new();
    for l in lines.iter().take(MAX_MATCHES) {
        let file = l.file.as_deref();
        items.push(match (l.hidden, file.zip(l.number)) {
            (Some(Hidden::Secret), Some((f, n))) => format!("- `{f}` line {n}"),
            (Some(Hidden::Secret), None) => format!(
                "- a line of `{}` (not shown)",
                file.unwrap_or("a secret file")
            ),
            (Some(Hidden::Binary), _) => {
                // grep says once per binary file that it matches.
                let f = file.unwrap_or("(standard input)");
                if binary_files.contains(&f) {
                    continue;
                }
                binary_files.push(f);
                format!("- `{f}`: a binary file matches")
            }
            (None, place) => {
                let content = String::from_utf8_lossy(&l.content);
                let text = match place {
                    Some(_) => content.trim().to_owned(),
                    None => format!("{}{}", l.prefix, content.trim()),
                };
                // Redacted before it is cut, so that no part of a token is
                // left to show.
                let clean = redact(&text);
                redacted |= clean != text.as_str();
                let code = inline_code(&shorten(&clean));
                match place {
                    Some((f, n)) => format!("- `{f}` line {n}: {code}"),
                    None => format!("- {code}"),
                }
            }
        });
    }
    if lines.len() > MAX_MATCHES {
        items.push(format!("- and {} more", lines.len() - MAX_MATCHES));
    }
    let mut hidden: Vec<&str> = lines
        .iter()
        .filter(|l| l.hidden == Some(Hidden::Secret))
        .filter_map(|l| l.file.as_deref())
        .collect();
    hidden.dedup();
    let mut notes = String::new();
    if !hidden.is_empty() {
        let mut files: Vec<String> = hidden.iter().take(5).map(|f| format!("`{f}`")).collect();
        if hidden.len() > 5 {
            files.push(format!("{} more", hidden.len() - 5));
        }
        notes = format!(
            "\n\nLines of secret files (env files, `.npmrc` and other credential stores, private keys, credentials) are not shown: {}.",
            files.join(", ")
        );
    }
    if redacted {
        notes.push_str(&format!(
            "\n\nToken-shaped values in the lines shown are replaced with `{}`.",
            secrets::REDACTED
        ));
    }
    format!("{}{notes}", items.join("\n"))
}

/// What the first command of a pipeline printed, for the commands after it.
struct Produced {
    lines: Vec<Line>,
    /// Markdown for hover when the command stands alone.
    hover: String,
    /// The lines are not exactly what the command prints (`ls -l` is
    /// listed as names): a miss proves nothing.
    approximate: bool,
}

struct Evaluator<'a> {
    ws: &'a mut Workspace,
    root: &'a Path,
    /// Globs that matched no file, left as written, as a shell does.
    unmatched: Vec<String>,
    git_runs: usize,
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

    /// What a command says about an operand that is not what it needs.
    fn problem(&self, stat: Stat, p: &str) -> String {
        if stat == Stat::Missing && self.unmatched.iter().any(|u| u == p) {
            format!("no file matches {p}")
        } else {
            stat.problem(p)
        }
    }

    /// Whether no line of a file may be shown: it is secret by name, or it
    /// is an env file of the workspace's configuration.
    fn is_secret(&self, file: &Path, shown: &str) -> bool {
        secrets::is_secret_file(Path::new(shown)) || self.ws.is_env_path(file)
    }

    /// The words of a command as it receives them: globs expanded, as a
    /// shell does, through the workspace.
    fn expand(&mut self, words: &[Word]) -> Result<Vec<String>, Outcome> {
        let Some((program, args)) = words.split_first() else {
            return Err(Outcome::unverifiable(None));
        };
        if program.glob.as_deref().is_some_and(glob::is_valid) {
            return Err(Outcome::unverifiable(Some(
                "its command name is a glob".to_owned(),
            )));
        }
        let mut out = vec![program.text.clone()];
        for w in args {
            match &w.glob {
                Some(g) if glob::is_valid(g) => match glob::expand(self.ws, self.root, g) {
                    glob::Expanded::Paths(paths) => out.extend(paths),
                    glob::Expanded::NoMatch => {
                        self.unmatched.push(w.text.clone());
                        out.push(w.text.clone());
                    }
                    glob::Expanded::Outside => {
                        return Err(Outcome::failed(format!(
                            "{}: {} is outside the workspace; not checked",
                            program.text, w.text
                        )));
                    }
                    glob::Expanded::Unsupported(why) => {
                        return Err(Outcome::unverifiable(Some(format!(
                            "the glob `{}`: {why}",
                            w.text
                        ))));
                    }
                },
                _ => out.push(w.text.clone()),
            }
        }
        Ok(out)
    }

    fn pipeline(&mut self, p: &Pipeline) -> Outcome {
        let mut stages = Vec::new();
        for s in &p.stages {
            match self.expand(s) {
                Ok(words) => stages.push(words),
                Err(o) => return o,
            }
        }
        match stages.as_slice() {
            [one] => self.command(one),
            _ => self.pipe(&stages),
        }
    }

    fn command(&mut self, words: &[String]) -> Outcome {
        let Some((program, args)) = words.split_first() else {
            return Outcome::unverifiable(None);
        };
        let alone = |r: Result<Produced, Outcome>| match r {
            Ok(p) => Outcome::Passed {
                output: printed(&p.lines),
                hover: p.hover,
            },
            Err(o) => o,
        };
        match program.as_str() {
            "ls" => alone(self.ls(args)),
            "test" => self.test(args).unwrap_or(Outcome::unverifiable(None)),
            "[" => match args.split_last() {
                Some((last, inner)) if last == "]" => {
                    self.test(inner).unwrap_or(Outcome::unverifiable(None))
                }
                _ => Outcome::unverifiable(None),
            },
            "wc" => self.wc(args).unwrap_or(Outcome::unverifiable(None)),
            "grep" => self.grep(args),
            "file" => self.file(args),
            "find" => alone(self.find(args)),
            "sed" | "head" | "tail" | "cat" => alone(self.text(program, args)),
            "git" => alone(self.git(args)),
            // `test -f X && echo found`: it prints, and succeeds.
            "echo" => {
                let text = args
                    .iter()
                    .skip_while(|a| matches!(a.as_str(), "-n" | "-e" | "-E"))
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" ");
                Outcome::Passed {
                    hover: format!("`echo` prints {}", inline_code(&shorten(&text))),
                    output: text,
                }
            }
            _ => Outcome::unverifiable(None),
        }
    }

    /// `ls [flags] P...`: every path exists. The lines are what it lists:
    /// a file's name, a folder's entries.
    fn ls(&mut self, args: &[String]) -> Result<Produced, Outcome> {
        let paths = operands(args);
        if paths.is_empty() {
            return Err(Outcome::unverifiable(None));
        }
        let flags: String = args
            .iter()
            .take_while(|a| *a != "--")
            .filter(|a| a.starts_with('-') && a.len() > 1)
            .flat_map(|a| a.chars().skip(1))
            .collect();
        let all = flags.contains('a') || flags.contains('A');
        let approximate = flags.chars().any(|c| !"1aAdFp".contains(c));
        let mut found = Vec::new();
        let mut lines = Vec::new();
        for p in &paths {
            let path = self.command_path(p);
            match self.stat(&path) {
                Stat::File => {
                    found.push(format!("`{p}`: exists (file)"));
                    lines.push(Line::plain(p.to_string()));
                }
                Stat::Dir => {
                    found.push(format!("`{p}`: exists (directory)"));
                    if flags.contains('d') {
                        lines.push(Line::plain(p.to_string()));
                    } else {
                        let entries = glob::list_dir(self.ws, &path).unwrap_or_default();
                        lines.extend(
                            entries
                                .into_iter()
                                .filter(|(n, _)| all || !n.starts_with('.'))
                                .map(|(n, _)| Line::plain(n)),
                        );
                    }
                }
                Stat::Other => {
                    found.push(format!("`{p}`: exists (special file)"));
                    lines.push(Line::plain(p.to_string()));
                }
                stat => {
                    return Err(Outcome::failed(format!("ls: {}", self.problem(stat, p))));
                }
            }
        }
        if found.len() > MAX_MATCHES {
            let more = found.len() - MAX_MATCHES;
            found.truncate(MAX_MATCHES);
            found.push(format!("and {more} more"));
        }
        Ok(Produced {
            lines,
            hover: found.join("\n\n"),
            approximate,
        })
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
            _ => {
                return Some(Outcome::failed(format!(
                    "test {flag}: {}",
                    self.problem(stat, p)
                )));
            }
        };
        Some(match want {
            Some(w) if w != stat => {
                let expected = if w == Stat::Dir {
                    "a directory"
                } else {
                    "a file"
                };
                Outcome::failed(format!(
                    "test {flag}: {p} is not {expected}; it is a {what}"
                ))
            }
            _ => Outcome::Passed {
                hover: format!("`{p}`: exists ({what})"),
                output: String::new(),
            },
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
        let mut output = Vec::new();
        for p in paths {
            let path = self.command_path(p);
            let stat = self.stat(&path);
            if stat != Stat::File {
                return Some(Outcome::failed(format!("wc: {}", self.problem(stat, p))));
            }
            match self.read(&path) {
                Ok(Body::Bytes(b)) => {
                    let newlines = memchr::memchr_iter(b'\n', &b).count();
                    let lines = count_lines(&b);
                    output.push(format!("{newlines} {p}"));
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
                Err(Ok(stat)) => {
                    return Some(Outcome::failed(format!("wc: {}", self.problem(stat, p))));
                }
                Err(Err(e)) => {
                    return Some(Outcome::failed(format!("wc: {p} cannot be read: {e}")));
                }
            }
        }
        if counts.len() > MAX_MATCHES {
            let more = counts.len() - MAX_MATCHES;
            counts.truncate(MAX_MATCHES);
            counts.push(format!("and {more} more"));
        }
        output.truncate(MAX_MATCHES);
        Some(Outcome::Passed {
            hover: counts.join("\n\n"),
            output: output.join("\n"),
        })
    }

    /// `grep ... P...` over files.
    fn grep(&mut self, args: &[String]) -> Outcome {
        let g = match GrepArgs::parse(args) {
            Ok(g) => g,
            Err(why) => return Outcome::unverifiable(Some(why)),
        };
        let found = match self.grep_files(&g) {
            Ok(f) => f,
            Err(o) => return o,
        };
        let searched = found.operands.join(", ");
        self.grep_outcome(
            &g,
            found.lines,
            &searched,
            found.skipped,
            false,
            Some(found.names),
        )
    }

    /// What a grep that selected `lines` from `searched` comes to.
    fn grep_outcome(
        &mut self,
        g: &GrepArgs,
        lines: Vec<Line>,
        searched: &str,
        skipped: usize,
        approximate: bool,
        // Whether it prints file names; `None` when it reads a pipe.
        names: Option<bool>,
    ) -> Outcome {
        let quoted = g.quoted();
        let skipped_note = if skipped > 0 {
            format!(
                "\n\n{} over 10 MiB not searched",
                plural(skipped, "file", "files")
            )
        } else {
            String::new()
        };
        if lines.is_empty() {
            // A file it could not search may hold the text: not a failure.
            if skipped > 0 {
                return Outcome::unverifiable(Some(
                    "a file it searches is over 10 MiB, which tagls does not search, and the rest hold no match".to_owned(),
                ));
            }
            if approximate {
                return Outcome::unverifiable(Some(
                    "tagls lists the names `ls` prints, not its long format, and found no match in them".to_owned(),
                ));
            }
            return Outcome::failed(format!("grep found no {quoted} in {searched}"));
        }
        // A name found is found in the long format too, unless the
        // pattern is anchored at the start of the line or inverted.
        if approximate && (g.invert || g.mode.line || g.patterns.iter().any(|p| p.contains('^'))) {
            return Outcome::unverifiable(Some(
                "tagls lists the names `ls` prints, not its long format".to_owned(),
            ));
        }
        let what = if g.invert {
            format!("lines without {quoted}")
        } else {
            quoted
        };
        let hover = format!(
            "grep found {what} in {searched} ({}):\n\n{}{skipped_note}",
            plural(lines.len(), "line", "lines"),
            listed(&lines)
        );
        let output = if g.quiet {
            String::new()
        } else if g.list {
            let mut files: Vec<String> = Vec::new();
            for l in &lines {
                let f = match names {
                    Some(_) => l.file.clone().unwrap_or_default(),
                    None => "(standard input)".to_owned(),
                };
                if !files.contains(&f) {
                    files.push(f);
                }
            }
            files.truncate(MAX_MATCHES);
            files.join("\n")
        } else if g.count {
            let mut counts: Vec<(String, usize)> = Vec::new();
            for l in &lines {
                let f = match names {
                    Some(true) => l.file.clone().unwrap_or_default(),
                    _ => String::new(),
                };
                match counts.iter_mut().find(|(x, _)| *x == f) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((f, 1)),
                }
            }
            counts
                .iter()
                .take(MAX_MATCHES)
                .map(|(f, n)| {
                    if f.is_empty() {
                        n.to_string()
                    } else {
                        format!("{f}:{n}")
                    }
                })
                .collect::<Vec<_>>()
                .join("\n")
        } else {
            printed(&lines)
        };
        Outcome::Passed { hover, output }
    }

    /// A pipeline: its first command prints lines, and each command after
    /// it reads them: `grep` selects, `head`, `tail`, `sort` and `uniq`
    /// arrange, and a last `wc -l` counts. A pipeline whose last reader is
    /// `grep` passes when it selects a line; one counted by `wc -l`, when
    /// the count is not 0; any other when its first command succeeds.
    fn pipe(&mut self, stages: &[Vec<String>]) -> Outcome {
        let mut stages = stages;
        let mut count = false;
        if let Some((last, init)) = stages.split_last()
            && last.len() == 2
            && last[0] == "wc"
            && last[1] == "-l"
        {
            count = true;
            stages = init;
        }
        let Some((first, rest)) = stages.split_first() else {
            return Outcome::unverifiable(None);
        };
        let mut filters = Vec::new();
        for stage in rest {
            match Filter::parse(stage) {
                Ok(f) => filters.push(f),
                Err(why) => return Outcome::unverifiable(Some(why)),
            }
        }
        if filters.is_empty() && !count {
            return Outcome::unverifiable(None);
        }
        let written = shell_words::join(first);
        let mut searched = format!("the output of `{written}`");
        // The grep whose result is the pipeline's, while it is the last
        // command that reads.
        let mut decider: Option<GrepArgs> = None;
        let mut skipped = 0;
        let mut names = None;
        let produced = match first[0].as_str() {
            "git" => self.git(&first[1..]),
            "grep" => {
                let g = match GrepArgs::parse(&first[1..]) {
                    Ok(g) => g,
                    Err(why) => return Outcome::unverifiable(Some(why)),
                };
                let found = self.grep_files(&g);
                if let Ok(f) = &found {
                    // A file it did not search may hold what the rest of
                    // the pipeline looks for.
                    skipped = f.skipped;
                    searched = f.operands.join(", ");
                    names = Some(f.names);
                }
                decider = Some(g);
                found.map(|f| Produced {
                    lines: f.lines,
                    hover: String::new(),
                    approximate: false,
                })
            }
            "ls" => self.ls(&first[1..]),
            "find" => self.find(&first[1..]),
            "cat" | "head" | "tail" | "sed" => self.text(&first[0], &first[1..]),
            other => {
                return Outcome::unverifiable(Some(format!(
                    "tagls does not evaluate `{other}`, whose output the pipe reads"
                )));
            }
        };
        let produced = match produced {
            Ok(p) => p,
            // `wc -l` counts 0 lines of a command that failed.
            Err(Outcome::Failed { message, .. }) if count => {
                return Outcome::unverifiable(Some(format!(
                    "it counts lines, and there are none ({message}); tagls cannot tell whether 0 is expected"
                )));
            }
            Err(o) => return o,
        };
        let mut lines = produced.lines;
        for filter in filters {
            match filter {
                Filter::Grep(g) => {
                    if !g.paths.is_empty() || g.recursive {
                        // grep reads its files, not the pipe.
                        match self.grep_files(&g) {
                            Ok(f) => {
                                lines = f.lines;
                                skipped = f.skipped;
                                searched = f.operands.join(", ");
                                names = Some(f.names);
                            }
                            Err(o) => return o,
                        }
                    } else {
                        let re = match g.regex() {
                            Ok(re) => re,
                            Err(why) => return Outcome::unverifiable(Some(why)),
                        };
                        lines = grep::filter(&g, &re, &lines);
                        names = None;
                    }
                    decider = Some(g);
                }
                other => {
                    other.apply(&mut lines);
                    decider = None;
                }
            }
        }
        if count {
            // `| wc -l` prints a count, and succeeds whatever it is; the
            // method reads a count of 0 as "not found", but some recipes
            // expect 0.
            if lines.is_empty() {
                return Outcome::unverifiable(Some(
                    "it counts lines, and there are none; tagls cannot tell whether 0 is expected"
                        .to_owned(),
                ));
            }
            let n = lines.len();
            return Outcome::Passed {
                hover: format!(
                    "`wc -l` counts {} from {searched}:\n\n{}",
                    plural(n, "line", "lines"),
                    listed(&lines)
                ),
                output: n.to_string(),
            };
        }
        match decider {
            Some(g) => {
                self.grep_outcome(&g, lines, &searched, skipped, produced.approximate, names)
            }
            None => Outcome::Passed {
                hover: if lines.is_empty() {
                    format!("`{written}` printed nothing")
                } else {
                    format!(
                        "{} of {searched}:\n\n{}",
                        plural(lines.len(), "line", "lines"),
                        listed(&lines)
                    )
                },
                output: printed(&lines),
            },
        }
    }

    /// `git ...`: the real git, checked first ([`git::check`]).
    fn git(&mut self, args: &[String]) -> Result<Produced, Outcome> {
        let cmd =
            git::check(args, self.ws, self.root).map_err(|w| Outcome::unverifiable(Some(w)))?;
        if self.git_runs >= MAX_GIT_RUNS {
            return Err(Outcome::unverifiable(Some(format!(
                "tagls runs git at most {MAX_GIT_RUNS} times for a recipe"
            ))));
        }
        self.git_runs += 1;
        let written = format!("git {}", shell_words::join(args));
        match git::output(&cmd, self.root, self.ws) {
            git::GitOutput::Printed(lines) => {
                let hover = if lines.is_empty() {
                    format!("`{written}` printed nothing")
                } else {
                    format!(
                        "`{written}` printed {}:\n\n{}",
                        plural(lines.len(), "line", "lines"),
                        listed(&lines)
                    )
                };
                Ok(Produced {
                    lines,
                    hover,
                    approximate: false,
                })
            }
            git::GitOutput::Failed(message) => {
                Err(Outcome::failed(format!("{written}: {message}")))
            }
            git::GitOutput::Unavailable(why) => Err(Outcome::unverifiable(Some(why))),
        }
    }
}

/// A command that reads a pipe.
enum Filter {
    Grep(GrepArgs),
    /// `head -n N`: the first N lines.
    Head(usize),
    /// `tail -n N`: the last N lines.
    Tail(usize),
    /// `tail -n +N`: from line N.
    From(usize),
    /// `sort [-r] [-u]`.
    Sort {
        reverse: bool,
        unique: bool,
    },
    /// `uniq`: adjacent duplicates once.
    Uniq,
}

impl Filter {
    fn parse(words: &[String]) -> Result<Filter, String> {
        let (program, args) = words.split_first().ok_or_else(String::new)?;
        let unsupported = || {
            format!(
                "tagls evaluates a pipe only into grep, head, tail, sort, uniq or a last `wc -l`, not `{}`",
                shell_words::join(words)
            )
        };
        match program.as_str() {
            "grep" => GrepArgs::parse(args).map(Filter::Grep),
            "head" | "tail" => {
                let count = match args {
                    [] => "10".to_owned(),
                    [n, c] if n == "-n" => c.clone(),
                    [o] if o.starts_with("-n") => o[2..].to_owned(),
                    [o] if o.starts_with('-') => o[1..].to_owned(),
                    _ => return Err(unsupported()),
                };
                let (plus, digits) = match count.strip_prefix('+') {
                    Some(d) => (true, d),
                    None => (false, count.as_str()),
                };
                let n: usize = digits.parse().map_err(|_| unsupported())?;
                Ok(match (program.as_str(), plus) {
                    ("head", false) => Filter::Head(n),
                    ("tail", false) => Filter::Tail(n),
                    ("tail", true) => Filter::From(n),
                    _ => return Err(unsupported()),
                })
            }
            "sort" => {
                let (mut reverse, mut unique) = (false, false);
                for a in args {
                    match a.as_str() {
                        "-r" => reverse = true,
                        "-u" => unique = true,
                        "-ru" | "-ur" => (reverse, unique) = (true, true),
                        _ => return Err(unsupported()),
                    }
                }
                Ok(Filter::Sort { reverse, unique })
            }
            "uniq" if args.is_empty() => Ok(Filter::Uniq),
            _ => Err(unsupported()),
        }
    }

    /// Applies any filter but `grep`.
    fn apply(self, lines: &mut Vec<Line>) {
        match self {
            Filter::Grep(_) => {}
            Filter::Head(n) => lines.truncate(n),
            Filter::Tail(n) => {
                let cut = lines.len().saturating_sub(n);
                lines.drain(..cut);
            }
            Filter::From(n) => {
                let cut = n.saturating_sub(1).min(lines.len());
                lines.drain(..cut);
            }
            Filter::Sort { reverse, unique } => {
                lines.sort_by_key(Line::text);
                if reverse {
                    lines.reverse();
                }
                if unique {
                    lines.dedup_by_key(|l| l.text());
                }
            }
            Filter::Uniq => lines.dedup_by_key(|l| l.text()),
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

/// A line, cut to [`MAX_MATCH_CHARS`] characters.
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

    use super::*;
    use crate::log::files::MAX_FILE;
    use crate::workspace::fs::FakeFs;

    use crate::log::testing::workspace;

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
        let texts = |s: &str| {
            lex::split(s).map(|ps| {
                ps.into_iter()
                    .map(|p| {
                        p.stages
                            .into_iter()
                            .map(|st| st.into_iter().map(|w| w.text).collect::<Vec<_>>())
                            .collect::<Vec<_>>()
                    })
                    .collect::<Vec<_>>()
            })
        };
        assert_eq!(
            texts("grep -n 'a b' x && ls y; test -f z"),
            Ok(vec![
                vec![vec!["grep".into(), "-n".into(), "a b".into(), "x".into()]],
                vec![vec!["ls".into(), "y".into()]],
                vec![vec!["test".into(), "-f".into(), "z".into()]],
            ])
        );
        assert_eq!(
            texts("git diff --stat | grep -c x"),
            Ok(vec![vec![
                vec!["git".into(), "diff".into(), "--stat".into()],
                vec!["grep".into(), "-c".into(), "x".into()],
            ]])
        );
        for (s, why) in [
            ("test -f x || echo no", "it uses `||`"),
            ("ls $HOME", "it uses variables or command substitution"),
            (
                "cat \"$(pwd)/x\"",
                "it uses variables or command substitution",
            ),
            ("ls ~/x", "it names a home directory (`~`)"),
            ("ls x > out", "it redirects input or output"),
            ("ls x 2>/dev/null", "it redirects input or output"),
            (
                "sleep 1 &",
                "it runs a command in the background or redirects output (`&`)",
            ),
            ("'unclosed", "a quote is not closed"),
            ("ls src/{a,b}.ts", "it uses brace expansion"),
            ("(cd src && ls)", "it uses a subshell or parentheses"),
            ("ls x |", "a pipe has no command after it"),
        ] {
            assert_eq!(texts(s), Err(why), "{s}");
        }
        let words = lex::split("ls 'a|b' src/*.ts 'q*'\\?x [ # note").unwrap();
        assert_eq!(
            words[0].stages[0],
            vec![
                Word::plain("ls"),
                Word::plain("a|b"),
                Word {
                    text: "src/*.ts".into(),
                    glob: Some("src/*.ts".into())
                },
                Word::plain("q*?x"),
                Word {
                    text: "[".into(),
                    glob: Some("[".into())
                },
            ]
        );
        assert_eq!(words[0].written, "ls 'a|b' src/*.ts 'q*'\\?x [");
        // A comment ends its line; the next line is another command.
        let ps = lex::split("ls a # note && ls b\nls c #x\n# only\nls d").unwrap();
        let written: Vec<&str> = ps.iter().map(|p| p.written.as_str()).collect();
        assert_eq!(written, ["ls a", "ls c", "ls d"]);
        let many_comments = "#\n".repeat(8000) + "ls a";
        assert_eq!(lex::split(&many_comments).unwrap().len(), 1);
        // Hostile input: no panic, a reason or words.
        for s in [
            "\"",
            "\\",
            "&&",
            "|",
            ";;;",
            "#",
            "a\0b",
            "\u{202e}ls",
            "ls \"a\\",
        ] {
            let _ = lex::split(s);
        }
    }
}

#[cfg(test)]
mod form_tests;
