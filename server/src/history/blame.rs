//! Which commit introduced each line of a file: `git blame --porcelain
//! -M -C` on the working tree, so that a line moved within a file or from
//! another file changed in the same commit keeps the age of the commit that
//! first wrote it.

use std::collections::HashMap;
use std::path::Path;
use std::process::Stdio;

use serde::{Deserialize, Serialize};

/// Where a line comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    /// The commit that introduced the line; `None` when it is not
    /// committed yet.
    pub commit: Option<String>,
    /// That commit's author time, seconds since the Unix epoch.
    pub time: Option<i64>,
    pub author: Option<String>,
}

impl Origin {
    pub fn uncommitted() -> Origin {
        Origin {
            commit: None,
            time: None,
            author: None,
        }
    }
}

/// The origin of each line (1-based) of `rel` (relative to `root`), as the
/// working tree has it. `None` when git cannot blame the file (untracked,
/// or no commit yet).
pub fn file(root: &Path, rel: &str) -> Option<HashMap<u32, Origin>> {
    let mut c = crate::log::git::command(root);
    c.args([
        "-c",
        "core.quotePath=false",
        "blame",
        "--porcelain",
        "-M",
        "-C",
        "--",
        rel,
    ])
    .stderr(Stdio::null());
    let out = c.output().ok()?;
    if !out.status.success() {
        return None;
    }
    Some(parse(&String::from_utf8_lossy(&out.stdout)))
}

/// Parses `git blame --porcelain`.
fn parse(out: &str) -> HashMap<u32, Origin> {
    let mut meta: HashMap<&str, (Option<i64>, Option<&str>)> = HashMap::new();
    let mut lines: Vec<(u32, &str)> = Vec::new();
    let mut current: Option<&str> = None;
    for line in out.lines() {
        if line.starts_with('\t') {
            continue;
        }
        let mut words = line.split(' ');
        let first = words.next().unwrap_or("");
        if first.len() >= 40 && first.bytes().all(|b| b.is_ascii_hexdigit()) {
            let final_line = words.nth(1).and_then(|w| w.parse::<u32>().ok());
            current = Some(first);
            if let Some(n) = final_line {
                lines.push((n, first));
            }
            meta.entry(first).or_default();
            continue;
        }
        let Some(sha) = current else { continue };
        if let Some(t) = line.strip_prefix("author-time ") {
            meta.entry(sha).or_default().0 = t.trim().parse().ok();
        } else if let Some(a) = line.strip_prefix("author ") {
            meta.entry(sha).or_default().1 = Some(a);
        }
    }
    lines
        .into_iter()
        .map(|(n, sha)| {
            let (time, author) = meta.get(sha).copied().unwrap_or_default();
            let origin = if sha.bytes().all(|b| b == b'0') {
                Origin::uncommitted()
            } else {
                Origin {
                    commit: Some(sha.to_owned()),
                    time,
                    author: author.map(str::to_owned),
                }
            };
            (n, origin)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn porcelain_lines_and_their_commits() {
        let a = "a".repeat(40);
        let z = "0".repeat(40);
        let out = format!(
            "{a} 1 1 2\nauthor Ada\nauthor-time 1700000000\nsummary x\nfilename f.ts\n\tone\n{a} 2 2\n\ttwo\n{z} 3 3 1\nauthor Not Committed Yet\nauthor-time 1800000000\n\tthree\n"
        );
        let got = parse(&out);
        assert_eq!(got[&1].commit.as_deref(), Some(a.as_str()));
        assert_eq!(got[&2].time, Some(1_700_000_000));
        assert_eq!(got[&2].author.as_deref(), Some("Ada"));
        assert_eq!(got[&3], Origin::uncommitted());
    }
}
