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

    /// Whole days from the commit's author time to `now` (seconds since the
    /// Unix epoch); `None` for a line not committed yet.
    pub fn age_days(&self, now: i64) -> Option<i64> {
        self.commit.as_ref()?;
        Some((now - self.time?).max(0) / 86_400)
    }

    /// The line's origin in words: "Introduced 143 days ago by Ada Lovelace
    /// in 1a2b3c4 (2026-07-14)", or "Not committed yet".
    pub fn describe(&self, now: i64) -> String {
        let (Some(commit), Some(time), Some(days)) = (&self.commit, self.time, self.age_days(now))
        else {
            return "Not committed yet".to_owned();
        };
        let when = match days {
            0 => "today".to_owned(),
            1 => "1 day ago".to_owned(),
            n => format!("{n} days ago"),
        };
        let by = self
            .author
            .as_deref()
            .filter(|a| !a.trim().is_empty())
            .map(|a| format!(" by {}", a.trim()))
            .unwrap_or_default();
        let short: String = commit.chars().take(7).collect();
        let date = jiff::Timestamp::from_second(time)
            .map(|t| format!(" ({})", t.to_zoned(jiff::tz::TimeZone::UTC).date()))
            .unwrap_or_default();
        format!("Introduced {when}{by} in {short}{date}")
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

/// The origin of each line (1-based) of `text`, an editor's version of
/// `rel` (relative to `root`): `git blame --contents -`, so that the lines
/// are the ones the user sees, and a line git does not have is
/// [`Origin::uncommitted`], as is every line of a file git does not track.
/// `None` when git cannot answer (not in a repository, git missing).
pub fn contents(root: &Path, rel: &str, text: &str) -> Option<HashMap<u32, Origin>> {
    blame_contents(root, rel, text).or_else(|| {
        untracked(root, rel).then(|| {
            let lines = text.lines().count().max(1) as u32;
            (1..=lines).map(|n| (n, Origin::uncommitted())).collect()
        })
    })
}

/// Whether git, asked in `root`, tracks no file at `rel`.
fn untracked(root: &Path, rel: &str) -> bool {
    let mut c = crate::log::git::command(root);
    c.args(["ls-files", "-z", "--", rel])
        .stdin(Stdio::null())
        .stderr(Stdio::null());
    c.output()
        .is_ok_and(|out| out.status.success() && out.stdout.is_empty())
}

fn blame_contents(root: &Path, rel: &str, text: &str) -> Option<HashMap<u32, Origin>> {
    use std::io::{Read as _, Write as _};
    let mut c = crate::log::git::command(root);
    c.args([
        "-c",
        "core.quotePath=false",
        "blame",
        "--porcelain",
        "-M",
        "-C",
        "--contents",
        "-",
        "--",
        rel,
    ])
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::null());
    let mut child = c.spawn().ok()?;
    let stdin = child.stdin.take();
    let input = text.as_bytes().to_vec();
    // Written on a thread of its own: git may answer before it has read
    // the whole text, and a full pipe both ways would stall both.
    let writer = std::thread::spawn(move || {
        if let Some(mut s) = stdin {
            let _ = s.write_all(&input);
        }
    });
    let mut out = Vec::new();
    if let Some(mut so) = child.stdout.take() {
        let _ = so.read_to_end(&mut out);
    }
    let _ = writer.join();
    let status = child.wait().ok()?;
    if !status.success() {
        return None;
    }
    Some(parse(&String::from_utf8_lossy(&out)))
}

/// The commit `HEAD` names in the repository around `root`; `None` outside
/// a repository or before its first commit.
pub fn head(root: &Path) -> Option<String> {
    let mut c = crate::log::git::command(root);
    c.args(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"])
        .stdin(Stdio::null())
        .stderr(Stdio::null());
    let out = c.output().ok()?;
    let head = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    (out.status.success() && !head.is_empty()).then_some(head)
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

    #[test]
    fn an_origin_in_words() {
        let o = Origin {
            commit: Some("1a2b3c4d".repeat(5)),
            time: Some(1_784_000_000),
            author: Some("Ada Lovelace".to_owned()),
        };
        let now = 1_784_000_000 + 143 * 86_400 + 3_600;
        assert_eq!(o.age_days(now), Some(143));
        assert_eq!(
            o.describe(now),
            "Introduced 143 days ago by Ada Lovelace in 1a2b3c4 (2026-07-14)"
        );
        assert_eq!(Origin::uncommitted().describe(now), "Not committed yet");
        assert_eq!(Origin::uncommitted().age_days(now), None);
    }
}
