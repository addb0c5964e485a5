//! `find DIR [-maxdepth N] [-mindepth N] [-type f|d|l] [-name P | -iname P
//! | -path P | -ipath P]`: the common subset, walked through the
//! workspace without following symlinks, with bounded work, and without
//! entering `.git` or the folders excluded by default (`node_modules`,
//! `target`, `dist`, `vendor`: a miss is then not evaluated). Any other
//! predicate (`-exec`, `-delete`, `-o` ...) is never evaluated.

use std::path::Path;

use globset::{GlobBuilder, GlobMatcher};

use super::files::{Stat, plural};
use super::glob::{self, MAX_ENTRIES, MAX_MATCHES, join_written};
use super::{Evaluator, Line, Outcome, Produced, inline_code};
use crate::workspace::fs::FileKind;
use crate::workspace::walk::is_default_exclude;

enum Test {
    Name(GlobMatcher),
    Path(GlobMatcher),
    Type(FileKind),
}

struct Walk {
    tests: Vec<Test>,
    min: usize,
    max: usize,
    found: Vec<String>,
    entries: usize,
    stopped: bool,
    /// Folders excluded by default (`node_modules` ...) not entered.
    pruned: Vec<String>,
}

impl Walk {
    fn visit(&mut self, written: &str, name: &str, kind: FileKind, depth: usize) {
        if depth < self.min || depth > self.max {
            return;
        }
        let ok = self.tests.iter().all(|t| match t {
            Test::Name(m) => m.is_match(name),
            Test::Path(m) => m.is_match(written),
            Test::Type(k) => *k == kind,
        });
        if ok {
            if self.found.len() >= MAX_MATCHES {
                self.stopped = true;
            } else {
                self.found.push(written.to_owned());
            }
        }
    }
}

impl Evaluator<'_> {
    pub(super) fn find(&mut self, args: &[String]) -> Result<Produced, Outcome> {
        let unverifiable = |why: String| Err(Outcome::unverifiable(Some(why)));
        let mut i = 0;
        let mut starts: Vec<String> = Vec::new();
        while i < args.len() && !args[i].starts_with('-') && args[i] != "!" && args[i] != "(" {
            starts.push(args[i].clone());
            i += 1;
        }
        if starts.is_empty() {
            starts.push(".".to_owned());
        }
        let mut walk = Walk {
            tests: Vec::new(),
            min: 0,
            max: usize::MAX,
            found: Vec::new(),
            entries: 0,
            stopped: false,
            pruned: Vec::new(),
        };
        let mut described = Vec::new();
        while i < args.len() {
            let pred = args[i].as_str();
            i += 1;
            if pred == "-print" {
                continue;
            }
            const TAKES_VALUE: &[&str] = &[
                "-maxdepth",
                "-mindepth",
                "-type",
                "-name",
                "-iname",
                "-path",
                "-ipath",
                "-wholename",
                "-iwholename",
            ];
            if !TAKES_VALUE.contains(&pred) {
                return unverifiable(format!(
                    "find's `{pred}` is not evaluated (tagls evaluates -name, -iname, -path, -type, -maxdepth and -mindepth)"
                ));
            }
            let Some(value) = args.get(i).cloned() else {
                return unverifiable(format!("find's `{pred}` has no value"));
            };
            i += 1;
            match pred {
                "-maxdepth" | "-mindepth" => {
                    let Ok(n) = value.parse::<usize>() else {
                        return unverifiable(format!("`{pred} {value}` is not a depth"));
                    };
                    if pred == "-maxdepth" {
                        walk.max = n;
                    } else {
                        walk.min = n;
                    }
                }
                "-type" => {
                    let kind = match value.as_str() {
                        "f" => FileKind::File,
                        "d" => FileKind::Dir,
                        "l" => FileKind::Symlink,
                        _ => {
                            return unverifiable(format!(
                                "find's `-type {value}` is not evaluated"
                            ));
                        }
                    };
                    walk.tests.push(Test::Type(kind));
                    described.push(format!("-type {value}"));
                }
                "-name" | "-iname" | "-path" | "-ipath" | "-wholename" | "-iwholename" => {
                    let Ok(g) = GlobBuilder::new(&value)
                        .literal_separator(false)
                        .backslash_escape(true)
                        .case_insensitive(pred.starts_with("-i"))
                        .build()
                    else {
                        return unverifiable(format!("`{value}` is not a pattern tagls can read"));
                    };
                    let m = g.compile_matcher();
                    walk.tests
                        .push(if pred.ends_with("name") && !pred.contains("whole") {
                            Test::Name(m)
                        } else {
                            Test::Path(m)
                        });
                    described.push(format!("{pred} {value}"));
                }
                _ => {
                    return unverifiable(format!(
                        "find's `{pred}` is not evaluated (tagls evaluates -name, -iname, -path, -type, -maxdepth and -mindepth)"
                    ));
                }
            }
        }
        for start in &starts {
            let path = self.command_path(start);
            let stat = self.stat(&path);
            let name = Path::new(start)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| start.clone());
            match stat {
                Stat::File => walk.visit(start, &name, FileKind::File, 0),
                Stat::Other => walk.visit(start, &name, FileKind::Other, 0),
                Stat::Dir => {
                    walk.visit(start, &name, FileKind::Dir, 0);
                    self.find_under(&mut walk, &path, start, 1);
                }
                stat => {
                    return Err(Outcome::failed(format!(
                        "find: {}",
                        self.problem(stat, start)
                    )));
                }
            }
        }
        let searched = starts.join(", ");
        let what = if described.is_empty() {
            "anything".to_owned()
        } else {
            described.join(" ")
        };
        if walk.found.is_empty() {
            if walk.stopped {
                return unverifiable(format!(
                    "it searches more than {MAX_ENTRIES} entries, where tagls stops"
                ));
            }
            if let Some(dir) = walk.pruned.first() {
                return unverifiable(format!(
                    "find found nothing for {what} in {searched}, but tagls does not walk {dir}, where it may be"
                ));
            }
            return Err(Outcome::failed(format!(
                "find found nothing for {what} in {searched}"
            )));
        }
        let mut items: Vec<String> = walk
            .found
            .iter()
            .take(super::MAX_MATCHES)
            .map(|f| format!("- {}", inline_code(f)))
            .collect();
        if walk.found.len() > super::MAX_MATCHES {
            let more = walk.found.len() - super::MAX_MATCHES;
            items.push(format!(
                "- and {more}{} more",
                if walk.stopped { "+" } else { "" }
            ));
        }
        Ok(Produced {
            hover: format!(
                "find found {} for {what} in {searched}:\n\n{}",
                plural(walk.found.len(), "path", "paths"),
                items.join("\n")
            ),
            lines: walk.found.into_iter().map(Line::plain).collect(),
            approximate: false,
        })
    }

    fn find_under(&mut self, walk: &mut Walk, dir: &Path, written: &str, depth: usize) {
        if depth > walk.max || walk.stopped {
            return;
        }
        let entries = glob::list_dir(self.ws, dir).unwrap_or_default();
        walk.entries += entries.len();
        if walk.entries > MAX_ENTRIES {
            walk.stopped = true;
            return;
        }
        for (name, kind) in entries {
            let shown = join_written(written, &name);
            walk.visit(&shown, &name, kind, depth);
            // Folders the workspace's walk skips: `.git` holds nothing a
            // recipe looks for; the others may, so a miss is not proof.
            if kind != FileKind::Dir || name == ".git" {
            } else if is_default_exclude(&name) {
                walk.pruned.push(format!("`{shown}`"));
            } else {
                self.find_under(walk, &dir.join(&name), &shown, depth + 1);
            }
            if walk.stopped {
                return;
            }
        }
    }
}
