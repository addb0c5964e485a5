//! Commands that show a file: `file`, `cat`, `head`, `tail` and
//! `sed -n 'a,bp'`. They pass when the file is there (and, for `sed`, has
//! the first line it prints); their hover shows a few lines, redacted, and
//! none of a secret file.

use super::files::{self, Body, NotAnImage, Stat, count_lines, plural};
use super::grep::is_binary;
use super::{Evaluator, Hidden, Line, Outcome, Produced, listed};
use crate::workspace::paths::display_rel;

/// Lines of a file a `cat`, `head` or `tail` hover shows.
const SHOWN: usize = 5;

/// What `file` says a file is.
fn describe(bytes: &[u8]) -> String {
    match files::image(bytes) {
        Ok(i) => return format!("{} image, {}×{}", i.format, i.width, i.height),
        Err(NotAnImage::Empty) => return "empty".to_owned(),
        Err(NotAnImage::Damaged(format)) => {
            return format!("{format} image data, cut short or damaged");
        }
        Err(NotAnImage::Unknown) => {}
    }
    if is_binary(bytes) {
        "data".to_owned()
    } else {
        format!("text, {}", plural(count_lines(bytes), "line", "lines"))
    }
}

impl Evaluator<'_> {
    /// `file P...`: every path exists; the hover says what each is.
    pub(super) fn file(&mut self, args: &[String]) -> Outcome {
        let mut paths = Vec::new();
        let mut options_done = false;
        for a in args {
            if options_done || !a.starts_with('-') || a == "-" {
                paths.push(a.as_str());
            } else if a == "--" {
                options_done = true;
            } else if !matches!(
                a.as_str(),
                "-b" | "--brief" | "-L" | "--dereference" | "-h" | "--no-dereference"
            ) {
                return Outcome::unverifiable(Some(format!("file's `{a}` is not evaluated")));
            }
        }
        if paths.is_empty() {
            return Outcome::unverifiable(None);
        }
        let mut hover = Vec::new();
        let mut output = Vec::new();
        for p in paths {
            let path = self.command_path(p);
            let what = match self.stat(&path) {
                Stat::Dir => "directory".to_owned(),
                Stat::Other => "special file".to_owned(),
                Stat::File => match self.read(&path) {
                    Ok(Body::Bytes(b)) => describe(&b),
                    Ok(Body::TooLarge) => "larger than 10 MiB; not examined".to_owned(),
                    Err(Ok(stat)) => {
                        return Outcome::failed(format!("file: {}", self.problem(stat, p)));
                    }
                    Err(Err(e)) => {
                        return Outcome::failed(format!("file: {p} cannot be read: {e}"));
                    }
                },
                stat => return Outcome::failed(format!("file: {}", self.problem(stat, p))),
            };
            hover.push(format!("`{p}`: {what}"));
            output.push(format!("{p}: {what}"));
        }
        hover.truncate(super::MAX_MATCHES);
        output.truncate(super::MAX_MATCHES);
        Outcome::Passed {
            hover: hover.join("\n\n"),
            output: output.join("\n"),
        }
    }

    /// The lines of a file a command reads, and how many it has; `None`
    /// lines when it is too large to read.
    fn lines_of(&mut self, program: &str, p: &str) -> Result<Option<Vec<Line>>, Outcome> {
        let path = self.command_path(p);
        let stat = self.stat(&path);
        if stat != Stat::File {
            return Err(Outcome::failed(format!(
                "{program}: {}",
                self.problem(stat, p)
            )));
        }
        let bytes = match self.read(&path) {
            Ok(Body::Bytes(b)) => b,
            Ok(Body::TooLarge) => return Ok(None),
            Err(Ok(stat)) => {
                return Err(Outcome::failed(format!(
                    "{program}: {}",
                    self.problem(stat, p)
                )));
            }
            Err(Err(e)) => {
                return Err(Outcome::failed(format!(
                    "{program}: {p} cannot be read: {e}"
                )));
            }
        };
        let shown = display_rel(&path, self.root);
        let hidden = if self.is_secret(&path, &shown) {
            Some(Hidden::Secret)
        } else if is_binary(&bytes) {
            Some(Hidden::Binary)
        } else {
            None
        };
        if bytes.is_empty() {
            return Ok(Some(Vec::new()));
        }
        let body = bytes.strip_suffix(b"\n").unwrap_or(&bytes);
        Ok(Some(
            body.split(|b| *b == b'\n')
                .enumerate()
                .map(|(i, l)| Line {
                    prefix: String::new(),
                    content: l.strip_suffix(b"\r").unwrap_or(l).to_vec(),
                    file: Some(p.to_owned()),
                    number: Some(i + 1),
                    hidden,
                })
                .collect(),
        ))
    }

    /// `cat F...`, `head [-n N] F...`, `tail [-n N] F...`,
    /// `sed -n 'Np' F`, `sed -n 'a,bp' F`.
    pub(super) fn text(&mut self, program: &str, args: &[String]) -> Result<Produced, Outcome> {
        let unverifiable = |why: &str| Err(Outcome::unverifiable(Some(why.to_owned())));
        // Which lines, 1-based and inclusive: from, to (None: to the end),
        // or the last `n` (tail).
        let mut from = 1usize;
        let mut to: Option<usize> = None;
        let mut last: Option<usize> = None;
        let mut files: Vec<&str> = Vec::new();
        let mut script = None;
        let mut quiet = false;
        let mut it = args.iter();
        let mut options_done = false;
        while let Some(a) = it.next() {
            if options_done || !a.starts_with('-') || a == "-" {
                if program == "sed" && script.is_none() {
                    script = Some(a.as_str());
                } else {
                    files.push(a.as_str());
                }
                continue;
            }
            if a == "--" {
                options_done = true;
                continue;
            }
            let count = match (program, a.as_str()) {
                ("sed", "-n" | "--quiet" | "--silent") => {
                    quiet = true;
                    continue;
                }
                ("head" | "tail", "-n") => it.next().map(String::as_str),
                ("head" | "tail", o) if o.starts_with("--lines=") => Some(&o[8..]),
                ("head" | "tail", o) if o.starts_with("-n") => Some(&o[2..]),
                ("head" | "tail", o) if o[1..].chars().all(|c| c.is_ascii_digit()) => Some(&o[1..]),
                _ => return unverifiable(&format!("{program}'s `{a}` is not evaluated")),
            };
            let Some(count) = count else {
                return unverifiable("its line count is missing");
            };
            let (plus, digits) = match count.strip_prefix('+') {
                Some(d) if program == "tail" => (true, d),
                _ => (false, count),
            };
            let Ok(n) = digits.parse::<usize>() else {
                return unverifiable(&format!("`{count}` is not a line count tagls reads"));
            };
            match (program, plus) {
                ("head", _) => to = Some(n),
                ("tail", true) => from = n.max(1),
                _ => last = Some(n),
            }
        }
        if program == "tail" && last.is_none() && from == 1 {
            last = Some(10);
        }
        if program == "head" && to.is_none() {
            to = Some(10);
        }
        if program == "sed" {
            let (Some(script), true, [_]) = (script, quiet, files.as_slice()) else {
                return unverifiable(
                    "tagls evaluates only `sed -n 'Np' FILE` and `sed -n 'a,bp' FILE`",
                );
            };
            let Some((a, b)) = sed_range(script) else {
                return unverifiable(
                    "tagls evaluates only `sed -n 'Np' FILE` and `sed -n 'a,bp' FILE`",
                );
            };
            from = a;
            to = b;
        }
        if files.is_empty() {
            return unverifiable("it reads standard input");
        }
        let mut lines = Vec::new();
        let mut hover = Vec::new();
        for p in files {
            let Some(all) = self.lines_of(program, p)? else {
                if program == "sed" {
                    return unverifiable(
                        "the file is larger than 10 MiB, which tagls does not read",
                    );
                }
                hover.push(format!(
                    "`{p}`: exists; larger than 10 MiB, so its lines are not shown"
                ));
                continue;
            };
            let total = all.len();
            if program == "sed" && total < from {
                return Err(Outcome::failed(format!(
                    "sed: {p} has {}; line {from} is past its end",
                    plural(total, "line", "lines")
                )));
            }
            let start = match last {
                Some(n) => total.saturating_sub(n),
                None => from.saturating_sub(1).min(total),
            };
            let end = to.map_or(total, |t| t.min(total)).max(start);
            let selected: Vec<Line> = all[start..end].to_vec();
            let what = match (program, selected.first(), selected.last()) {
                (_, None, _) | (_, _, None) => {
                    format!("`{p}`: exists, {}", plural(total, "line", "lines"))
                }
                ("cat", _, _) => format!("`{p}`: exists, {}", plural(total, "line", "lines")),
                (_, Some(a), Some(b)) => format!(
                    "`{p}`: exists, {}; lines {}-{}",
                    plural(total, "line", "lines"),
                    a.number.unwrap_or(0),
                    b.number.unwrap_or(0)
                ),
            };
            let shown_lines = if program == "sed" {
                &selected[..]
            } else {
                &selected[..selected.len().min(SHOWN)]
            };
            if shown_lines
                .first()
                .is_some_and(|l| l.hidden == Some(Hidden::Binary))
            {
                hover.push(format!("{what}; binary, so its lines are not shown"));
            } else if shown_lines.is_empty() {
                hover.push(what);
            } else {
                hover.push(format!("{what}:\n\n{}", listed(shown_lines)));
            }
            lines.extend(selected);
        }
        Ok(Produced {
            lines,
            hover: hover.join("\n\n"),
            approximate: false,
        })
    }
}

/// `Np`, `a,bp`, `a,$p` (spaces allowed): the first line and the last.
fn sed_range(script: &str) -> Option<(usize, Option<usize>)> {
    let body = script.trim().strip_suffix('p')?.trim_end();
    let number = |s: &str| -> Option<usize> {
        let s = s.trim();
        (!s.is_empty() && s.len() < 12 && s.chars().all(|c| c.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
            .filter(|n| *n > 0)
    };
    match body.split_once(',') {
        None => {
            let n = number(body)?;
            Some((n, Some(n)))
        }
        Some((a, b)) => {
            let a = number(a)?;
            if b.trim() == "$" {
                return Some((a, None));
            }
            // `5,3p` prints line 5 alone.
            Some((a, Some(number(b)?.max(a))))
        }
    }
}
