//! The audit: what a workspace's tags did over its git history, and which
//! of those left open have been open the longest.
//!
//! The report is built here from plain data; `tagls audit` only formats it.
//! "Now" is the gate's own scan of the working tree ([`crate::gate::scan`]),
//! and "still open" is what the gate counts as open
//! ([`crate::gate::Report::open_assumptions`], the RA status's notion): no
//! rule is derived again here. What changed over the range comes from
//! [`crate::history`], and the age of each open tag from the commit that
//! introduced its line ([`crate::history::blame`]).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::config::{ConfigFile, Settings};
use crate::gate::{self, Located, TagPlace};
use crate::history::{self, HistoryError, Range, Repo, cache::HistoryCache};
use crate::tags::Family;

/// How to audit.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub range: Range,
    /// Where the scan cache and the history cache are kept; `None` reads
    /// everything again and writes nothing.
    pub cache_dir: Option<PathBuf>,
    /// A configuration file to read instead of the root's `.tagls.toml`.
    pub config: Option<PathBuf>,
    /// The time ages are counted to, seconds since the Unix epoch.
    pub now: i64,
    /// How many times an assumption must recur to be flagged as a candidate
    /// standard; `None` takes the grouping's default
    /// ([`crate::recur::Options::threshold`]).
    pub standard_threshold: Option<usize>,
}

/// One tag name over the range.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TagRow {
    pub tag: String,
    /// Its family, when the registry knows the name.
    pub family: Option<&'static str>,
    /// In the workspace now (code and log).
    pub now: usize,
    /// Added and removed by the commits of the range (code comments).
    pub added: usize,
    pub removed: usize,
    /// Of those now, the ones the gate counts as open.
    pub open: usize,
}

/// One family over the range: its tags' rows added up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FamilyRow {
    pub family: &'static str,
    pub now: usize,
    pub added: usize,
    pub removed: usize,
    pub open: usize,
}

/// A tag still open, with the commit that introduced its line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OpenTag {
    pub path: String,
    /// 1-based.
    pub line: u32,
    pub tag: String,
    pub family: Option<&'static str>,
    /// Redacted: a token-shaped value in it is hidden.
    pub payload: String,
    /// The introducing commit; `None` when the line is not committed yet.
    pub commit: Option<String>,
    /// When it was introduced (author time, seconds since the Unix epoch).
    pub introduced: Option<i64>,
    pub author: Option<String>,
    /// Whole days from `introduced` to the audit's time.
    pub age_days: Option<i64>,
}

/// Tags per family present in the code after a commit of the range.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SeriesPoint {
    pub commit: String,
    pub time: i64,
    pub families: BTreeMap<&'static str, usize>,
}

/// A section another part of the core adds to a built report (see
/// [`AuditReport::recurring`] and [`AuditReport::overdue`]): its title,
/// its lines for the text and Markdown formats, and its JSON value.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Section {
    pub title: String,
    pub lines: Vec<String>,
    pub json: serde_json::Value,
}

/// What the audit found.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AuditReport {
    pub root: PathBuf,
    /// The audit's time, seconds since the Unix epoch.
    pub generated: i64,
    pub head: Option<String>,
    /// The branch, `None` when `HEAD` is detached or there is no commit.
    pub branch: Option<String>,
    /// The range read, in words (`all history`, `since v1`, `last 20 commits`).
    pub range: String,
    /// Commits in the range, and how many of them came from the cache.
    pub commits: usize,
    pub cached_commits: usize,
    pub families: Vec<FamilyRow>,
    pub tags: Vec<TagRow>,
    /// Open tags, oldest first.
    pub open: Vec<OpenTag>,
    /// Oldest first: the state before the range, then one point per
    /// commit of the range that changed a tag (its state after it).
    pub series: Vec<SeriesPoint>,
    /// What the audit could not see, in sentences (a shallow clone's
    /// missing history, blobs too large to read, no commit yet).
    pub not_seen: Vec<String>,
    /// Assumptions that say the same thing in different words, now and in
    /// the commits of the range ([`crate::recur`]), most frequent first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recurring: Option<Section>,
    /// Tags past their due date: the gate's own `overdue` findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overdue: Option<Section>,
}

/// Why an audit has no answer at all.
#[derive(Debug)]
pub enum AuditError {
    History(HistoryError),
    Config(String),
}

impl std::fmt::Display for AuditError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuditError::History(e) => e.fmt(f),
            AuditError::Config(e) => f.write_str(e),
        }
    }
}

impl From<HistoryError> for AuditError {
    fn from(e: HistoryError) -> Self {
        AuditError::History(e)
    }
}

fn range_words(range: &Range) -> String {
    match range {
        Range::All => "all history".to_owned(),
        Range::Since(rev) => format!("since {rev}"),
        Range::Last(1) => "the last commit".to_owned(),
        Range::Last(n) => format!("the last {n} commits"),
    }
}

/// The family name of a tag place, when the registry knows it.
fn family_name(f: Option<Family>) -> Option<&'static str> {
    f.map(Family::name)
}

/// The tag each open finding is about: the nearest tag of that name at or
/// above the finding's line in its file (a reference in a continuation
/// line belongs to the tag above it).
fn open_places<'a>(report: &'a gate::Report, open: &[&Located]) -> Vec<&'a TagPlace> {
    let mut by_file: HashMap<(&Path, &str), Vec<&TagPlace>> = HashMap::new();
    for t in &report.tags {
        by_file
            .entry((t.root.as_path(), t.path.as_str()))
            .or_default()
            .push(t);
    }
    let mut out: Vec<&TagPlace> = Vec::new();
    for f in open {
        let Some(places) = by_file.get(&(f.root.as_path(), f.path.as_str())) else {
            continue;
        };
        let line0 = f.line.saturating_sub(1);
        let best = places
            .iter()
            .filter(|t| t.name == f.finding.tag.as_str() && t.span[0].0.line <= line0)
            .max_by_key(|t| t.span[0].0.line);
        if let Some(t) = best
            && !out.iter().any(|o| std::ptr::eq(*o, *t))
        {
            out.push(t);
        }
    }
    out
}

/// The origin of each line of a file, by 1-based line.
type Lines = HashMap<u32, history::blame::Origin>;

/// Audits the workspace at `root`.
pub fn audit(root: &Path, options: &Options) -> Result<AuditReport, AuditError> {
    let repo = history::repo(root)?;
    // `--since` naming nothing is an error before any work is done.
    if let Range::Since(rev) = &options.range
        && (repo.head.is_none() || history::resolve(&repo, rev).is_none())
    {
        return Err(HistoryError::UnknownRevision(rev.clone()).into());
    }
    let configured = gate::configure(&[root.to_path_buf()], options.config.as_deref())
        .map_err(|e| AuditError::Config(e.to_string()))?;
    let config_file = configured
        .first()
        .map(|(_, f)| f.clone())
        .unwrap_or_else(ConfigFile::default);
    let settings = Settings::for_root(&config_file, root);
    let registry = &settings.registry;
    let report = gate::scan(&configured, options.cache_dir.as_deref(), &mut |_| {});

    let mut cache = match &options.cache_dir {
        Some(dir) => HistoryCache::open(dir, root, registry),
        None => HistoryCache::off(),
    };
    let hist = history::read(&repo, &options.range, registry, &mut cache)?;
    let mut built = build(&repo, options, &report, &hist, registry, &mut cache);
    built.recurring = Some(recurring(&report, &hist, registry, options));
    built.overdue = Some(overdue(&report));
    let _ = cache.save();
    Ok(built)
}

fn build(
    repo: &Repo,
    options: &Options,
    report: &gate::Report,
    hist: &history::History,
    registry: &crate::tags::Registry,
    cache: &mut HistoryCache,
) -> AuditReport {
    let family_of = |name: &str| registry.get(name).map(|d| d.family);
    let mut rows: BTreeMap<String, TagRow> = BTreeMap::new();
    let mut bump = |name: &str, f: &dyn Fn(&mut TagRow)| {
        let r = rows.entry(name.to_owned()).or_insert_with(|| TagRow {
            tag: name.to_owned(),
            family: family_name(family_of(name)),
            now: 0,
            added: 0,
            removed: 0,
            open: 0,
        });
        f(r);
    };
    for t in &report.tags {
        bump(&t.name, &|r| r.now += 1);
    }
    for c in &hist.commits {
        for k in &c.added {
            bump(&k.name, &|r| r.added += 1);
        }
        for k in &c.removed {
            bump(&k.name, &|r| r.removed += 1);
        }
    }
    let open_findings = report.open_assumptions();
    let places = open_places(report, &open_findings);
    for t in &places {
        bump(&t.name, &|r| r.open += 1);
    }

    // Ages: one blame per file with open tags, several at once.
    let mut paths: Vec<&str> = places.iter().map(|t| t.path.as_str()).collect();
    paths.sort_unstable();
    paths.dedup();
    // A file's blame is kept for one HEAD and one content of the file: a
    // second audit of an unchanged tree runs none.
    let key = |p: &str| -> Option<history::cache::BlameKey> {
        let bytes = std::fs::read(repo.root.join(p)).ok()?;
        Some((
            repo.head.clone().unwrap_or_default(),
            p.to_owned(),
            xxhash_rust::xxh3::xxh3_64(&bytes),
        ))
    };
    let mut blames: HashMap<&str, Option<Lines>> = HashMap::new();
    let mut todo: Vec<(&str, Option<history::cache::BlameKey>)> = Vec::new();
    for p in paths {
        let k = key(p);
        match k.as_ref().and_then(|k| cache.blame(k)) {
            Some(b) => {
                blames.insert(p, Some(b));
            }
            None => todo.push((p, k)),
        }
    }
    let fresh: Vec<(&str, Option<history::cache::BlameKey>, Option<Lines>)> = {
        use rayon::prelude::*;
        todo.into_par_iter()
            .map(|(p, k)| (p, k, history::blame::file(&repo.root, p)))
            .collect()
    };
    for (p, k, b) in fresh {
        if let (Some(k), Some(b)) = (k, &b)
            && repo.head.is_some()
        {
            cache.put_blame(k, b);
        }
        blames.insert(p, b);
    }
    let mut open: Vec<OpenTag> = places
        .iter()
        .map(|t| {
            let line = t.span[0].0.line + 1;
            let origin = blames
                .get(t.path.as_str())
                .and_then(Option::as_ref)
                .and_then(|b| b.get(&line).cloned())
                .unwrap_or_else(history::blame::Origin::uncommitted);
            OpenTag {
                path: t.path.clone(),
                line,
                tag: t.name.clone(),
                family: family_name(t.family),
                payload: crate::secrets::redact_string(history::normalise(&t.payload)),
                age_days: origin.time.map(|time| (options.now - time).max(0) / 86_400),
                commit: origin.commit,
                introduced: origin.time,
                author: origin.author,
            }
        })
        .collect();
    // Oldest first; lines not committed yet last.
    open.sort_by(|a, b| {
        (a.introduced.is_none(), a.introduced, &a.path, a.line).cmp(&(
            b.introduced.is_none(),
            b.introduced,
            &b.path,
            b.line,
        ))
    });

    let mut tags: Vec<TagRow> = rows.into_values().collect();
    // Most recurrent first: added most often over the range, then most
    // present now.
    tags.sort_by(|a, b| {
        (b.added, b.now, b.open)
            .cmp(&(a.added, a.now, a.open))
            .then_with(|| a.tag.cmp(&b.tag))
    });
    let families: Vec<FamilyRow> = Family::ALL
        .iter()
        .map(|f| {
            let of = tags.iter().filter(|r| r.family == Some(f.name()));
            of.fold(
                FamilyRow {
                    family: f.name(),
                    now: 0,
                    added: 0,
                    removed: 0,
                    open: 0,
                },
                |mut s, r| {
                    s.now += r.now;
                    s.added += r.added;
                    s.removed += r.removed;
                    s.open += r.open;
                    s
                },
            )
        })
        .collect();

    let series = series(report, hist, &family_of);

    let mut not_seen = Vec::new();
    if repo.head.is_none() {
        not_seen.push(
            "the repository has no commit yet: no history to read; only the tags now are counted"
                .to_owned(),
        );
    }
    if repo.shallow {
        not_seen.push(format!(
            "the clone is shallow: history before {} was not fetched, and the oldest commit fetched counts every tag it holds as added (git fetch --unshallow reads it all)",
            hist.commits
                .last()
                .map(|c| short(&c.id))
                .unwrap_or_else(|| "its oldest commit".to_owned())
        ));
    }
    let mut unread: Vec<&str> = hist
        .commits
        .iter()
        .flat_map(|c| c.not_seen.iter().map(String::as_str))
        .collect();
    unread.sort_unstable();
    unread.dedup();
    if !unread.is_empty() {
        let shown: Vec<&str> = unread.iter().take(5).copied().collect();
        not_seen.push(format!(
            "{} file(s) had versions not read (larger than {} MiB, or binary): {}{}",
            unread.len(),
            history::MAX_BLOB_SIZE / (1024 * 1024),
            shown.join(", "),
            if unread.len() > shown.len() {
                ", ..."
            } else {
                ""
            }
        ));
    }

    AuditReport {
        root: repo.root.clone(),
        generated: options.now,
        head: repo.head.clone(),
        branch: repo.branch.clone(),
        range: range_words(&options.range),
        commits: hist.commits.len(),
        cached_commits: hist.cached,
        families,
        tags,
        open,
        series,
        not_seen,
        recurring: None,
        overdue: None,
    }
}

/// Assumptions that recur: the assumption tags now and those the range's
/// commits added (each file, tag and payload once), grouped by
/// [`crate::recur::groups`]. Labels are redacted as payloads are.
fn recurring(
    report: &gate::Report,
    hist: &history::History,
    registry: &crate::tags::Registry,
    options: &Options,
) -> Section {
    let is_assumption =
        |name: &str| registry.get(name).map(|d| d.family) == Some(Family::Assumption);
    let mut seen: std::collections::HashSet<(String, String, String)> = Default::default();
    let mut items: Vec<crate::recur::Item> = Vec::new();
    let mut add = |path: &str, tag: &str, payload: &str, line: usize| {
        let key = (path.to_owned(), tag.to_owned(), history::normalise(payload));
        if seen.insert(key) {
            items.push(crate::recur::Item {
                tag: tag.to_owned(),
                payload: payload.to_owned(),
                path: path.to_owned(),
                line,
            });
        }
    };
    for t in report.tags.iter().filter(|t| is_assumption(&t.name)) {
        add(&t.path, &t.name, &t.payload, t.span[0].0.line as usize + 1);
    }
    for c in &hist.commits {
        for k in c.added.iter().filter(|k| is_assumption(&k.name)) {
            add(&k.path, &k.name, &k.payload, 0);
        }
    }
    let defaults = crate::recur::Options::default();
    let groups = crate::recur::groups(
        &items,
        &crate::recur::Options {
            threshold: options.standard_threshold.unwrap_or(defaults.threshold),
            registry: registry.clone(),
            ..defaults
        },
    );
    let mut lines = Vec::new();
    let mut json = Vec::new();
    for g in &groups {
        let label = crate::secrets::redact_string(g.label.clone());
        lines.push(format!(
            "{label}: {} times in {} file(s){} ({})",
            g.members.len(),
            g.files.len(),
            if g.candidate {
                ", a candidate standard"
            } else {
                ""
            },
            g.files.join(", ")
        ));
        let members: Vec<serde_json::Value> = g
            .members
            .iter()
            .map(|&i| {
                let it = &items[i];
                serde_json::json!({
                    "path": it.path,
                    "line": (it.line > 0).then_some(it.line),
                    "tag": it.tag,
                    "payload": crate::secrets::redact_string(history::normalise(&it.payload)),
                })
            })
            .collect();
        json.push(serde_json::json!({
            "label": label,
            "count": g.members.len(),
            "files": g.files,
            "candidate": g.candidate,
            "members": members,
        }));
    }
    if lines.is_empty() {
        lines.push("none".to_owned());
    }
    Section {
        title: "Recurring assumptions, most frequent first".to_owned(),
        lines,
        json: serde_json::Value::Array(json),
    }
}

/// Tags past their due date, as the gate reports them (`overdue`
/// findings: the one rule, [`crate::tags::overdue`]), most overdue first.
fn overdue(report: &gate::Report) -> Section {
    let mut found: Vec<&Located> = report
        .findings
        .iter()
        .filter(|f| f.finding.code == crate::findings::Code::Overdue)
        .collect();
    // The finding sits on the due date (`YYYY-MM-DD`): the earliest first.
    found.sort_by(|a, b| (&a.subject, &a.path, a.line).cmp(&(&b.subject, &b.path, b.line)));
    let lines: Vec<String> = if found.is_empty() {
        vec!["none".to_owned()]
    } else {
        found
            .iter()
            .map(|f| format!("{}:{}: {}", f.path, f.line, f.finding.message))
            .collect()
    };
    let json = found
        .iter()
        .map(|f| {
            serde_json::json!({
                "path": f.path,
                "line": f.line,
                "tag": f.finding.tag.as_str(),
                "due": f.subject,
                "message": f.finding.message,
            })
        })
        .collect();
    Section {
        title: "Overdue tags".to_owned(),
        lines,
        json: serde_json::Value::Array(json),
    }
}

/// A commit's id as people write it.
pub fn short(id: &str) -> String {
    id.chars().take(12).collect()
}

/// Tags per family in the code over the range, walked back from now: each
/// commit's additions are taken off and its removals put back.
fn series(
    report: &gate::Report,
    hist: &history::History,
    family_of: &dyn Fn(&str) -> Option<Family>,
) -> Vec<SeriesPoint> {
    let mut counts: BTreeMap<&'static str, isize> =
        Family::ALL.iter().map(|f| (f.name(), 0)).collect();
    // History reads code comments: the log's tags are not in the series.
    for t in report
        .tags
        .iter()
        .filter(|t| history::may_hold_tags(&t.path))
    {
        if let Some(f) = t.family {
            *counts.entry(f.name()).or_default() += 1;
        }
    }
    let snapshot = |counts: &BTreeMap<&'static str, isize>| {
        counts
            .iter()
            .map(|(k, v)| (*k, (*v).max(0) as usize))
            .collect::<BTreeMap<_, _>>()
    };
    let mut points = Vec::new();
    for c in &hist.commits {
        if c.added.is_empty() && c.removed.is_empty() {
            continue;
        }
        points.push(SeriesPoint {
            commit: c.id.clone(),
            time: c.time,
            families: snapshot(&counts),
        });
        for k in &c.added {
            if let Some(f) = family_of(&k.name) {
                *counts.entry(f.name()).or_default() -= 1;
            }
        }
        for k in &c.removed {
            if let Some(f) = family_of(&k.name) {
                *counts.entry(f.name()).or_default() += 1;
            }
        }
    }
    // The state before the range, at the start of the plot.
    if let Some(oldest) = hist.commits.last() {
        points.push(SeriesPoint {
            commit: "before".to_owned(),
            time: oldest.time - 1,
            families: snapshot(&counts),
        });
    }
    points.reverse();
    points
}
