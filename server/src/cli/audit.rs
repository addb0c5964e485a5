//! `tagls audit`: what the audit ([`crate::audit`]) found, as text, Markdown,
//! JSON or CSV. Formatting only: the report is built in the core.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use crate::audit::{self, AuditReport, Options, Section, short};
use crate::history::Range;

use super::EXIT_USAGE;

/// Distinct, print-friendly colours (the Tableau 10 palette), for the
/// audit's plot and the benchmarks' plots.
pub const PALETTE: [plotters::style::RGBColor; 10] = [
    plotters::style::RGBColor(31, 119, 180),
    plotters::style::RGBColor(255, 127, 14),
    plotters::style::RGBColor(44, 160, 44),
    plotters::style::RGBColor(214, 39, 40),
    plotters::style::RGBColor(148, 103, 189),
    plotters::style::RGBColor(140, 86, 75),
    plotters::style::RGBColor(227, 119, 194),
    plotters::style::RGBColor(127, 127, 127),
    plotters::style::RGBColor(188, 189, 34),
    plotters::style::RGBColor(23, 190, 207),
];

/// Output formats of `tagls audit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum AuditFormat {
    /// For a terminal: open tags oldest first, then each tag, most
    /// recurrent first.
    Text,
    /// A report a person reads in a pull request; with --output FILE.md, a
    /// plot of tags per family over time is written beside it as FILE.svg.
    Markdown,
    /// One JSON object (schema: docs/audit-output.schema.json).
    Json,
    /// One row per open tag, with its age.
    Csv,
}

/// The arguments of `tagls audit`.
#[derive(Args, Debug)]
pub struct AuditArgs {
    /// The workspace root (default: the current directory), inside a git
    /// work tree.
    pub path: Option<PathBuf>,
    /// Read only the commits after this revision (a branch, tag or commit).
    #[arg(long, value_name = "REV", conflicts_with = "last")]
    pub since: Option<String>,
    /// Read only the last N commits.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub last: Option<u32>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = AuditFormat::Text)]
    pub format: AuditFormat,
    /// Write the result to FILE instead of stdout (atomically). With
    /// --format markdown, the plot goes beside it, with the extension .svg.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Read this configuration file instead of the workspace's .tagls.toml.
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Neither read nor write the scan cache and the history cache.
    #[arg(long)]
    pub no_cache: bool,
    /// Flag a recurring assumption as a candidate standard once it appears
    /// this many times (default 3).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(2..))]
    pub standard_threshold: Option<u32>,
}

pub fn run(args: AuditArgs) -> ExitCode {
    let roots = match super::check::roots(args.path.into_iter().collect()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("tagls: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let Some(root) = roots.first() else {
        return ExitCode::from(EXIT_USAGE);
    };
    let range = match (args.since, args.last) {
        (Some(rev), _) => Range::Since(rev),
        (None, Some(n)) => Range::Last(n as usize),
        (None, None) => Range::All,
    };
    let options = Options {
        range,
        cache_dir: if args.no_cache {
            None
        } else {
            crate::scan_cache::default_dir()
        },
        config: args.config,
        now: jiff::Timestamp::now().as_second(),
        standard_threshold: args.standard_threshold.map(|n| n as usize),
    };
    let report = match audit::audit(root, &options) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("tagls: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    for n in &report.not_seen {
        eprintln!("tagls: not seen: {n}");
    }
    let svg_name = args
        .output
        .as_deref()
        .and_then(|o| (args.format == AuditFormat::Markdown).then(|| o.with_extension("svg")));
    let text = match args.format {
        AuditFormat::Text => text(&report),
        AuditFormat::Markdown => markdown(
            &report,
            svg_name
                .as_deref()
                .and_then(Path::file_name)
                .map(|n| n.to_string_lossy().into_owned())
                .as_deref(),
        ),
        AuditFormat::Json => json(&report),
        AuditFormat::Csv => match csv(&report) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("tagls: cannot write CSV: {e}");
                return ExitCode::from(EXIT_USAGE);
            }
        },
    };
    match args.output {
        None => {
            if !super::print_result(&text) {
                return ExitCode::from(EXIT_USAGE);
            }
        }
        Some(out) => {
            if let Some(svg) = &svg_name {
                let drawn = plot(&report).and_then(|s| write_atomic(svg, s.as_bytes()));
                if let Err(e) = drawn {
                    eprintln!("tagls: cannot write {}: {e}", svg.display());
                    return ExitCode::from(EXIT_USAGE);
                }
            }
            if let Err(e) = write_atomic(&out, text.as_bytes()) {
                eprintln!("tagls: cannot write {}: {e}", out.display());
                return ExitCode::from(EXIT_USAGE);
            }
        }
    }
    ExitCode::SUCCESS
}

/// Writes `bytes` to `path` whole or not at all.
fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.as_file_mut().write_all(bytes)?;
    tmp.as_file_mut().flush()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// A date, `YYYY-MM-DD` in UTC.
fn date(secs: i64) -> String {
    jiff::Timestamp::from_second(secs)
        .map(|t| t.strftime("%Y-%m-%d").to_string())
        .unwrap_or_else(|_| secs.to_string())
}

fn age(days: Option<i64>) -> String {
    match days {
        Some(1) => "1 day".to_owned(),
        Some(d) => format!("{d} days"),
        None => "not committed".to_owned(),
    }
}

fn heading(r: &AuditReport) -> String {
    let at = match (&r.head, &r.branch) {
        (None, _) => "no commit yet".to_owned(),
        (Some(h), Some(b)) => format!("{b} at {}", short(h)),
        (Some(h), None) => format!("detached HEAD at {}", short(h)),
    };
    format!(
        "{} ({at}): {}, {} commit(s) read ({} from the cache)",
        r.root.display(),
        r.range,
        r.commits,
        r.cached_commits
    )
}

fn section_text(out: &mut String, s: &Option<Section>) {
    if let Some(s) = s {
        let _ = writeln!(out, "\n{}:", s.title);
        for l in &s.lines {
            let _ = writeln!(out, "  {l}");
        }
    }
}

/// For a terminal.
pub fn text(r: &AuditReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "tagls audit: {}", heading(r));
    let _ = writeln!(out, "\nOpen tags ({}), oldest first:", r.open.len());
    if r.open.is_empty() {
        let _ = writeln!(out, "  none");
    }
    for o in &r.open {
        let when = o
            .introduced
            .map(|t| {
                format!(
                    ", since {} in {} by {}",
                    date(t),
                    o.commit.as_deref().map(short).unwrap_or_default(),
                    o.author.as_deref().unwrap_or("?")
                )
            })
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {:>10}  {}:{}  #{}: {}{when}",
            age(o.age_days),
            o.path,
            o.line,
            o.tag,
            o.payload
        );
    }
    section_text(&mut out, &r.overdue);
    section_text(&mut out, &r.recurring);
    let _ = writeln!(out, "\nTags, most recurrent first:");
    let _ = writeln!(
        out,
        "  {:<32} {:<11} {:>5} {:>6} {:>8} {:>5}",
        "tag", "family", "now", "added", "removed", "open"
    );
    for t in &r.tags {
        let _ = writeln!(
            out,
            "  {:<32} {:<11} {:>5} {:>6} {:>8} {:>5}",
            format!("#{}", t.tag),
            t.family.unwrap_or("unknown"),
            t.now,
            t.added,
            t.removed,
            t.open
        );
    }
    let _ = writeln!(out, "\nFamilies:");
    for f in &r.families {
        let _ = writeln!(
            out,
            "  {:<44} {:>5} {:>6} {:>8} {:>5}",
            f.family, f.now, f.added, f.removed, f.open
        );
    }
    if !r.not_seen.is_empty() {
        let _ = writeln!(out, "\nNot seen:");
        for n in &r.not_seen {
            let _ = writeln!(out, "  {n}");
        }
    }
    out
}

/// Escapes what Markdown would read as table syntax or markup.
fn md(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '|' | '\\' | '`' | '*' | '_' | '<' | '>' | '[' | ']') {
            s.push('\\');
        }
        s.push(c);
    }
    s
}

fn section_md(out: &mut String, s: &Option<Section>) {
    if let Some(s) = s {
        let _ = writeln!(out, "\n## {}\n", md(&s.title));
        for l in &s.lines {
            let _ = writeln!(out, "- {}", md(l));
        }
    }
}

/// A report for a pull request. `svg` names the plot written beside it;
/// without one (on stdout) the plot is left out.
pub fn markdown(r: &AuditReport, svg: Option<&str>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Tag audit\n\n{}\n", md(&heading(r)));
    if let Some(svg) = svg {
        let _ = writeln!(out, "![Tags per family over time]({svg})\n");
    }
    let _ = writeln!(out, "## Open tags, oldest first\n");
    if r.open.is_empty() {
        let _ = writeln!(out, "None.");
    } else {
        let _ = writeln!(
            out,
            "| age | where | tag | introduced | by |\n|---|---|---|---|---|"
        );
        for o in &r.open {
            let _ = writeln!(
                out,
                "| {} | `{}:{}` | #{}: {} | {} | {} |",
                age(o.age_days),
                o.path.replace('`', "'"),
                o.line,
                md(&o.tag),
                md(&o.payload),
                o.introduced
                    .map(|t| format!(
                        "{} ({})",
                        date(t),
                        o.commit.as_deref().map(short).unwrap_or_default()
                    ))
                    .unwrap_or_else(|| "not committed".to_owned()),
                md(o.author.as_deref().unwrap_or(""))
            );
        }
    }
    section_md(&mut out, &r.overdue);
    section_md(&mut out, &r.recurring);
    let _ = writeln!(
        out,
        "\n## Tags, most recurrent first\n\n| tag | family | now | added | removed | open |\n|---|---|--:|--:|--:|--:|"
    );
    for t in &r.tags {
        let _ = writeln!(
            out,
            "| #{} | {} | {} | {} | {} | {} |",
            md(&t.tag),
            t.family.unwrap_or("unknown"),
            t.now,
            t.added,
            t.removed,
            t.open
        );
    }
    let _ = writeln!(
        out,
        "\n## Families\n\n| family | now | added | removed | open |\n|---|--:|--:|--:|--:|"
    );
    for f in &r.families {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            f.family, f.now, f.added, f.removed, f.open
        );
    }
    if !r.not_seen.is_empty() {
        let _ = writeln!(out, "\n## Not seen\n");
        for n in &r.not_seen {
            let _ = writeln!(out, "- {}", md(n));
        }
    }
    out
}

/// One JSON object, as docs/audit-output.schema.json describes it.
pub fn json(r: &AuditReport) -> String {
    let mut value = serde_json::to_value(r).unwrap_or_default();
    if let Some(obj) = value.as_object_mut() {
        obj.insert("version".to_owned(), serde_json::json!(1));
        if let Some(s) = &r.recurring {
            obj.insert("recurring".to_owned(), s.json.clone());
        }
        if let Some(s) = &r.overdue {
            obj.insert("overdue".to_owned(), s.json.clone());
        }
    }
    let mut s = serde_json::to_string_pretty(&value).unwrap_or_default();
    s.push('\n');
    s
}

/// One row per open tag, oldest first.
pub fn csv(r: &AuditReport) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "path",
        "line",
        "tag",
        "family",
        "payload",
        "commit",
        "introduced",
        "author",
        "age_days",
    ])?;
    for o in &r.open {
        w.write_record([
            o.path.clone(),
            o.line.to_string(),
            o.tag.clone(),
            o.family.unwrap_or("").to_owned(),
            o.payload.clone(),
            o.commit.clone().unwrap_or_default(),
            o.introduced.map(date).unwrap_or_default(),
            o.author.clone().unwrap_or_default(),
            o.age_days.map(|d| d.to_string()).unwrap_or_default(),
        ])?;
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The plot of tags per family over the range, as SVG.
pub fn plot(r: &AuditReport) -> std::io::Result<String> {
    use plotters::prelude::*;
    let mut svg = String::new();
    let families: Vec<&'static str> = crate::tags::Family::ALL.iter().map(|f| f.name()).collect();
    let points = &r.series;
    let (x0, x1) = match (points.first(), points.last()) {
        (Some(a), Some(b)) if b.time > a.time => (a.time as f64, b.time as f64),
        (Some(a), _) => (a.time as f64 - 86_400.0, a.time as f64 + 86_400.0),
        _ => (0.0, 1.0),
    };
    let y1 = points
        .iter()
        .flat_map(|p| p.families.values())
        .copied()
        .max()
        .unwrap_or(0)
        .max(1) as f64
        * 1.1;
    {
        let area = SVGBackend::with_string(&mut svg, (960, 480)).into_drawing_area();
        let err = |e: &dyn std::fmt::Display| std::io::Error::other(e.to_string());
        area.fill(&WHITE).map_err(|e| err(&e))?;
        let mut chart = ChartBuilder::on(&area)
            .caption("Tags per family over time", ("sans-serif", 20))
            .margin(16)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d(x0..x1, 0.0..y1)
            .map_err(|e| err(&e))?;
        let day = |v: &f64| date(*v as i64);
        chart
            .configure_mesh()
            .x_labels(6)
            .y_labels(8)
            .x_label_formatter(&day)
            .y_label_formatter(&|v: &f64| format!("{v:.0}"))
            .y_desc("tags in the code")
            .draw()
            .map_err(|e| err(&e))?;
        for (i, fam) in families.iter().enumerate() {
            let c = PALETTE[i % PALETTE.len()];
            let style = ShapeStyle::from(&c).stroke_width(2);
            // A step line: a count holds until the next commit changes it.
            let mut line: Vec<(f64, f64)> = Vec::new();
            for p in points {
                let y = p.families.get(fam).copied().unwrap_or(0) as f64;
                if let Some(&(_, prev)) = line.last() {
                    line.push((p.time as f64, prev));
                }
                line.push((p.time as f64, y));
            }
            chart
                .draw_series(LineSeries::new(line, style))
                .map_err(|e| err(&e))?
                .label(*fam)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(|e| err(&e))?;
        area.present().map_err(|e| err(&e))?;
    }
    Ok(svg)
}
