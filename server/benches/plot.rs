//! Line charts as SVG for the benchmarks, drawn with `plotters`.
//!
//! Shared by the benches through `#[path = "plot.rs"] mod plot;`; each bench
//! uses a subset, hence the `#[allow(dead_code)]` on every item. Only the
//! SVG backend is compiled in: text goes out as `<text>` elements that the
//! viewer renders with its own fonts, so no font files are needed (plotters
//! estimates text widths for layout without them).
//!
//! Full runs write their plots to `docs/bench/` at the repository root, quick
//! runs to `bench-plots/` under the cargo target directory, so that a smoke
//! run never touches the committed figures ([`out_dir`]).

use std::path::{Path, PathBuf};

use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;
use tagls::cli::audit::PALETTE;

/// One line on a chart: markers at `points` joined by straight segments, in
/// the order given (sort by x first for a function-like line).
#[allow(dead_code)]
#[derive(Clone, Debug)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

#[allow(dead_code)]
impl Series {
    pub fn new(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Series {
            name: name.into(),
            points,
        }
    }
}

/// The repository root (the parent of the `server/` package).
#[allow(dead_code)]
pub fn repo_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    root.canonicalize().unwrap_or(root)
}

/// Where a bench writes its plots: `docs/bench/` at the repository root for
/// a full run, `<target dir>/bench-plots/` for a `--quick` one. The target
/// directory is `$CARGO_TARGET_DIR` when set (a relative one is taken from
/// the repository root), else `<repo>/target`. The directory is not created
/// here; [`lines`] creates the parents of the file it writes.
#[allow(dead_code)]
pub fn out_dir(quick: bool) -> PathBuf {
    let root = repo_root();
    if !quick {
        return root.join("docs").join("bench");
    }
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                root.join(dir)
            }
        }
        _ => root.join("target"),
    };
    target.join("bench-plots")
}

#[allow(dead_code)]
fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// A compact, readable number for a tick label: `1k`, `20k`, `1.5M`, `0.25`,
/// `12`.
#[allow(dead_code)]
pub fn fmt_num(v: f64) -> String {
    fn trim(s: String) -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_owned()
        } else {
            s
        }
    }
    let a = v.abs();
    if a == 0.0 {
        "0".to_owned()
    } else if a >= 1e9 {
        format!("{}G", trim(format!("{:.2}", v / 1e9)))
    } else if a >= 1e6 {
        format!("{}M", trim(format!("{:.2}", v / 1e6)))
    } else if a >= 1e3 {
        format!("{}k", trim(format!("{:.1}", v / 1e3)))
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        trim(format!("{v:.2}"))
    } else if a >= 1e-3 {
        trim(format!("{v:.4}"))
    } else {
        format!("{v:.1e}")
    }
}

/// The drawn range of one axis: the data's extent with a margin (a factor
/// on a log axis, a fraction of the span on a linear one that also keeps
/// zero in view when the data are all positive and near it).
fn extent(values: impl Iterator<Item = f64>, log: bool) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() || !hi.is_finite() {
        return if log { (1.0, 10.0) } else { (0.0, 1.0) };
    }
    if log {
        if hi / lo < 1.0001 {
            (lo / 2.0, hi * 2.0)
        } else {
            let f = (hi / lo).powf(0.06).max(1.05);
            (lo / f, hi * f)
        }
    } else {
        let span = if hi > lo { hi - lo } else { hi.abs().max(1.0) };
        let mut lo2 = lo - span * 0.06;
        let hi2 = hi + span * 0.06;
        // Positive data start at zero when zero is not far off: a latency
        // or a size reads best against zero.
        if lo >= 0.0 && lo <= span * 1.5 {
            lo2 = 0.0;
        }
        (lo2, hi2)
    }
}

/// Draws `series` as a line chart into the SVG file `path` (its parent
/// directories are created). Each point is a marker; markers of one series
/// are joined by lines; the legend names the series. A log axis drops the
/// points that are not positive (and says so on stderr).
#[allow(dead_code)]
pub fn lines(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
    log_x: bool,
    log_y: bool,
) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    // Points a log axis cannot show are dropped, not drawn at the edge.
    let kept: Vec<Series> = series
        .iter()
        .map(|s| {
            let points: Vec<(f64, f64)> = s
                .points
                .iter()
                .copied()
                .filter(|&(x, y)| {
                    x.is_finite()
                        && y.is_finite()
                        && (!log_x || x > 0.0)
                        && (!log_y || y > 0.0)
                })
                .collect();
            if points.len() < s.points.len() {
                eprintln!(
                    "plot {}: dropped {} point(s) of {:?} (not finite, or not positive on a log axis)",
                    path.display(),
                    s.points.len() - points.len(),
                    s.name
                );
            }
            Series {
                name: s.name.clone(),
                points,
            }
        })
        .collect();
    let xs = extent(
        kept.iter().flat_map(|s| s.points.iter().map(|p| p.0)),
        log_x,
    );
    let ys = extent(
        kept.iter().flat_map(|s| s.points.iter().map(|p| p.1)),
        log_y,
    );
    let labels = Labels {
        title,
        x: x_label,
        y: y_label,
    };
    let result = match (log_x, log_y) {
        (false, false) => draw(path, &labels, &kept, xs.0..xs.1, ys.0..ys.1),
        (true, false) => draw(path, &labels, &kept, log_axis(xs), ys.0..ys.1),
        (false, true) => draw(path, &labels, &kept, xs.0..xs.1, log_axis(ys)),
        (true, true) => draw(path, &labels, &kept, log_axis(xs), log_axis(ys)),
    };
    result.map_err(|e| std::io::Error::other(format!("plot {}: {e}", path.display())))
}

/// A log axis over `lo..hi` with ticks at 1, 2 and 5 times the powers of
/// ten, finer when that gives fewer than four (plotters alone labels only
/// the powers of ten, too few when the data span one or two decades).
fn log_axis(
    (lo, hi): (f64, f64),
) -> impl AsRangedCoord<Value = f64, CoordDescType: Ranged<ValueType = f64> + ValueFormatter<f64>> {
    let ticks_with = |mults: &[f64]| {
        let mut ticks = Vec::new();
        let mut decade = 10f64.powf(lo.log10().floor());
        while decade <= hi {
            for m in mults {
                let t = decade * m;
                if t >= lo && t <= hi {
                    ticks.push(t);
                }
            }
            decade *= 10.0;
        }
        ticks
    };
    let mut ticks = ticks_with(&[1.0, 2.0, 5.0]);
    // Less than a decade or two: finer steps.
    if ticks.len() < 4 {
        ticks = ticks_with(&[1.0, 1.5, 2.0, 3.0, 5.0, 7.0]);
    }
    // A narrow range may still hold fewer than two: the ends of the range.
    if ticks.len() < 2 {
        ticks = vec![lo, (lo * hi).sqrt(), hi];
    }
    (lo..hi).log_scale().with_key_points(ticks)
}

struct Labels<'a> {
    title: &'a str,
    x: &'a str,
    y: &'a str,
}

type DrawResult = Result<(), Box<dyn std::error::Error>>;

fn draw<X, Y>(path: &Path, labels: &Labels, series: &[Series], x: X, y: Y) -> DrawResult
where
    X: AsRangedCoord<Value = f64>,
    Y: AsRangedCoord<Value = f64>,
    X::CoordDescType: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y::CoordDescType: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let root = SVGBackend::new(path, (960, 600)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(labels.title, ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(52)
        .y_label_area_size(76)
        .build_cartesian_2d(x, y)?;
    let fmt = |v: &f64| fmt_num(*v);
    chart
        .configure_mesh()
        .x_desc(labels.x)
        .y_desc(labels.y)
        .axis_desc_style(("sans-serif", 16))
        .label_style(("sans-serif", 13))
        .x_labels(12)
        .y_labels(12)
        .x_label_formatter(&fmt)
        .y_label_formatter(&fmt)
        .light_line_style(RGBColor(244, 244, 244))
        .bold_line_style(RGBColor(200, 200, 200))
        .draw()?;
    for (i, s) in series.iter().enumerate() {
        let c = colour(i);
        let line = ShapeStyle::from(&c).stroke_width(2);
        chart
            .draw_series(LineSeries::new(s.points.iter().copied(), line))?
            .label(s.name.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], line));
        chart.draw_series(
            s.points
                .iter()
                .map(|&p| Circle::new(p, 4, ShapeStyle::from(&c).filled())),
        )?;
    }
    if !series.is_empty() {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .label_font(("sans-serif", 14))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()?;
    }
    root.present()?;
    Ok(())
}
