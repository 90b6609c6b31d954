//! The self-contained HTML replay report (`hoist replay --html FILE`).
//!
//! One file: inline CSS and inline SVG, no script, no reference to anything outside
//! the page (a Content-Security-Policy forbids loading anything, so a stray
//! reference would show as a console error rather than a request). Every text that
//! comes from the repository (commit summaries, instructions, paths, errors) goes
//! through [`escape`].
//!
//! Per target: a heat map of steps (rows) by commits (columns), one
//! `<rect class="cell" data-verdict="...">` per step and column, the measured
//! seconds per commit as stacked bars (floor + headroom) on the same x axis, the
//! floor, and the per-step table; then the per-class table and the totals.
//! Above [`MAX_COLUMNS`] commits, consecutive commits share a column (the page
//! says so); the cell count is then steps × columns.

use std::fmt::Write as _;

use crate::predict::Verdict;
use crate::replay::summary::{StepSummary, Summary, TargetSummary};
use crate::replay::{ChangeClass, CommitCost, CommitRow, Replay, TargetReplay};

/// Above this many commits, heat-map columns aggregate consecutive commits.
pub const MAX_COLUMNS: usize = 600;

/// Commits per heat-map column and the number of columns, for `n` commits.
pub fn columns(n: usize) -> (usize, usize) {
    if n == 0 {
        return (1, 0);
    }
    let per = n.div_ceil(MAX_COLUMNS);
    (per, n.div_ceil(per))
}

/// Escapes text for HTML content and (quoted) attribute values. Control
/// characters other than tab and newline become U+FFFD.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' => out.push(ch),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

// ---------------------------------------------------------------- layout

/// Left gutter of the charts: row number, stage, instruction.
const LABEL_W: f64 = 392.0;
const NUM_X: f64 = 22.0;
const STAGE_X: f64 = 28.0;
const STAGE_CHARS: usize = 11;
const INSTR_X: f64 = 106.0;
const INSTR_CHARS: usize = 41;
/// Right gutter: the re-run rate of each row.
const RIGHT_W: f64 = 60.0;
const PLOT_MAX_W: f64 = 860.0;
const CELL_MAX_W: f64 = 16.0;
const STRIP_H: f64 = 8.0;
const STAGE_GAP: f64 = 5.0;
const BAR_H: f64 = 120.0;
const LANE_H: f64 = 12.0;

type Rgb = (u8, u8, u8);

const RERUN_WASTE: Rgb = (0xe8, 0x59, 0x0c);
const RERUN_NEED: Rgb = (0x1c, 0x6d, 0xc0);
const UNC_WASTE: Rgb = (0xff, 0xc0, 0x78);
const UNC_NEED: Rgb = (0x9c, 0xcf, 0xf7);
const CACHED: Rgb = (0xdc, 0xdf, 0xe3);
const ABSENT: Rgb = (0xf8, 0xf9, 0xfa);
const FAILED: Rgb = (0xff, 0xa8, 0xa8);
const ERROR_MARK: Rgb = (0xe0, 0x31, 0x31);
const UNMEASURED_MARK: Rgb = (0x49, 0x50, 0x57);

fn hex((r, g, b): Rgb) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// `a` at t = 0, `b` at t = 1.
fn mix(a: Rgb, b: Rgb, t: f64) -> Rgb {
    let t = t.clamp(0.0, 1.0);
    let l = |x: u8, y: u8| (x as f64 + (y as f64 - x as f64) * t).round() as u8;
    (l(a.0, b.0), l(a.1, b.1), l(a.2, b.2))
}

fn class_colour(c: ChangeClass) -> Rgb {
    match c {
        ChangeClass::DockerfileEdit => (0x86, 0x2e, 0x9c),
        ChangeClass::VersionBump => (0xd6, 0x33, 0x6c),
        ChangeClass::Dependencies => (0x2f, 0x9e, 0x44),
        ChangeClass::Source => (0xad, 0xb5, 0xbd),
        ChangeClass::DocsCi => (0x66, 0xd9, 0xe8),
        ChangeClass::Empty => (0xf1, 0xf3, 0xf5),
    }
}

const ALL_CLASSES: [ChangeClass; 6] = [
    ChangeClass::DockerfileEdit,
    ChangeClass::VersionBump,
    ChangeClass::Dependencies,
    ChangeClass::Source,
    ChangeClass::DocsCi,
    ChangeClass::Empty,
];

// ---------------------------------------------------------------- formatting

macro_rules! w {
    ($($t:tt)*) => {
        let _ = write!($($t)*);
    };
}

fn cut(s: &str, n: usize) -> String {
    let s = s.trim();
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// `x` with `decimals` decimals and thousands separators.
fn num(x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let s = format!("{:.*}", decimals, x.abs());
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s.as_str(), None),
    };
    let mut out = String::new();
    if x < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0') {
        out.push('−');
    }
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

fn pct(x: f64) -> String {
    format!("{}%", num(x * 100.0, 0))
}

/// Seconds with their unit.
fn dur(s: f64) -> String {
    format!("{} s", num(s, 1))
}

/// `YYYY-MM-DD` (UTC) of a Unix time.
fn date(t: i64) -> String {
    let z = t.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", num(n as f64, 0), if n == 1 { one } else { many })
}

/// A "nice" upper bound (1, 2, 2.5, 5 × 10^k) at or above `x`.
fn nice_ceil(x: f64) -> f64 {
    if x <= 0.0 || !x.is_finite() {
        return 1.0;
    }
    let p = 10f64.powf(x.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if m * p >= x * 0.999_999 {
            return m * p;
        }
    }
    10.0 * p
}

// ---------------------------------------------------------------- the page

const CSS: &str = r#"
:root{--fg:#212529;--muted:#5f6b76;--line:#dee2e6;--bg:#f4f5f7}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue","DejaVu Sans",Arial,sans-serif}
main{max-width:1400px;margin:0 auto;padding:20px 20px 40px}
h1{font-size:22px;margin:0 0 2px}
h2{font-size:18px;margin:0 0 2px;font-weight:600}
h2 code{font-size:17px}
h3{font-size:12px;margin:18px 0 6px;text-transform:uppercase;letter-spacing:.06em;color:#495057}
p{margin:6px 0}
section,header,footer{background:#fff;border:1px solid var(--line);border-radius:6px;padding:14px 16px;margin:14px 0}
footer{background:transparent;border:0;padding:0 4px;color:var(--muted);font-size:12.5px}
.muted{color:var(--muted)}
.note{font-size:12.5px;color:var(--muted)}
.warn{color:#a61e4d}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono","Liberation Mono",monospace;font-size:12.5px}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:10px 0 4px}
.card{border:1px solid var(--line);border-radius:6px;padding:6px 12px;min-width:150px}
.card .v{font-size:20px;font-weight:600;font-variant-numeric:tabular-nums}
.card .k{font-size:12px;color:var(--muted)}
.card.hot .v{color:#c2410c}
nav{font-size:13px;margin-top:6px}
nav a{color:#1c6dc0;text-decoration:none;margin-right:14px}
.legend{display:flex;flex-wrap:wrap;gap:4px 18px;font-size:12.5px;margin:4px 0}
.legend b{font-weight:600;margin-right:2px}
.sw{display:inline-block;width:12px;height:12px;border-radius:2px;vertical-align:-2px;margin-right:5px;border:1px solid rgba(0,0,0,.18)}
.chart{overflow-x:auto;margin:8px 0 0}
.chart svg{display:block;max-width:100%;height:auto}
svg text{font-size:11px;fill:#343a40;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",Arial,sans-serif}
svg text.m{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono","Liberation Mono",monospace}
svg text.dim{fill:#6c757d}
svg .axis{stroke:#adb5bd;stroke-width:1}
svg .grid{stroke:#e9ecef;stroke-width:1}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:3px 8px;border-bottom:1px solid #edf0f2;text-align:left;vertical-align:top}
th{font-weight:600;color:#495057;border-bottom:2px solid var(--line);white-space:nowrap;font-size:12px}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.i{word-break:break-word}
td.s{white-space:nowrap}
tbody tr:hover{background:#f8f9fa}
tfoot td{font-weight:600;border-top:2px solid var(--line);border-bottom:0}
.rate{display:inline-block;width:60px;height:8px;background:#e9ecef;border-radius:2px;margin-right:6px;vertical-align:0}
.rate>span{display:block;height:8px;background:#868e96;border-radius:2px}
.floor{display:flex;flex-wrap:wrap;gap:8px 28px;align-items:center}
.floor p{max-width:640px}
"#;

pub fn page(replay: &Replay, summary: &Summary) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let n = replay.commits.len();
    let (per, cols) = columns(n);
    let title = match (replay.commits.first(), replay.commits.last()) {
        (Some(a), Some(b)) => format!(
            "hoist replay: {} ({}..{})",
            plural(n, "commit", "commits"),
            a.short,
            b.short
        ),
        _ => "hoist replay".to_string(),
    };
    w!(
        out,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <meta name=\"generator\" content=\"hoist {}\">\n<title>{}</title>\n<style>{}</style>\n</head>\n<body>\n<main>\n",
        env!("CARGO_PKG_VERSION"),
        escape(&title),
        CSS
    );
    header(&mut out, replay, summary, per, cols);
    legend(&mut out, per);
    for (i, t) in replay.targets.iter().enumerate() {
        target_section(&mut out, i, t, summary.targets.get(i), &replay.commits, per);
    }
    classes(&mut out, summary);
    w!(
        out,
        "<footer><p>Generated by hoist {}. Seconds are measured durations of one run of a step \
         (the timings store); a re-run step without a measurement counts 0 s and is marked \
         “unmeasured”, never estimated. Uncertain steps (their inputs depend on bytes hoist \
         cannot know) count as re-run. CI minutes = seconds × builds per commit ÷ 60. The floor \
         is what an ideally keyed Dockerfile would spend: only the steps whose own inputs \
         changed.</p></footer>\n</main>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION")
    );
    out
}

fn header(out: &mut String, replay: &Replay, s: &Summary, per: usize, cols: usize) {
    let n = replay.commits.len();
    out.push_str("<header>\n<h1>hoist replay</h1>\n");
    match (replay.commits.first(), replay.commits.last()) {
        (Some(a), Some(b)) => {
            let builds: usize = replay.targets.iter().map(|t| t.builds_per_commit).sum();
            w!(
                out,
                "<p class=\"muted\">{} from <code>{}</code> ({}) to <code>{}</code> ({}), oldest first · \
                 {} · {} per commit</p>\n",
                plural(n, "commit", "commits"),
                escape(&a.short),
                date(a.time),
                escape(&b.short),
                date(b.time),
                plural(replay.targets.len(), "image", "images"),
                plural(builds, "image build", "image builds"),
            );
        }
        _ => out.push_str("<p class=\"muted\">The range holds no commits.</p>\n"),
    }
    let headroom_share = if s.ci_minutes > 0.0 {
        s.headroom_ci_minutes / s.ci_minutes
    } else {
        0.0
    };
    out.push_str("<div class=\"cards\">\n");
    let card = |out: &mut String, v: String, k: &str, hot: bool| {
        w!(
            out,
            "<div class=\"card{}\"><div class=\"v\">{}</div><div class=\"k\">{}</div></div>\n",
            if hot { " hot" } else { "" },
            v,
            k
        );
    };
    card(
        out,
        format!("{} min", num(s.ci_minutes, 1)),
        "CI minutes spent (measured, all builds)",
        false,
    );
    card(
        out,
        format!("{} min", num(s.floor_ci_minutes, 1)),
        "floor: an ideally keyed Dockerfile",
        false,
    );
    card(
        out,
        format!(
            "{} min <span class=\"muted\" style=\"font-size:14px;font-weight:400\">{}</span>",
            num(s.headroom_ci_minutes, 1),
            pct(headroom_share)
        ),
        "headroom: avoidable CI minutes",
        s.headroom_ci_minutes > 0.0,
    );
    card(
        out,
        pct(s.measured_share),
        "of re-run steps have a measured duration",
        false,
    );
    out.push_str("</div>\n");
    if per > 1 {
        w!(
            out,
            "<p class=\"note\">{} commits are too many for one column each: the heat maps and bars \
             show {} columns of {} consecutive commits (the last may hold fewer).</p>\n",
            num(n as f64, 0),
            num(cols as f64, 0),
            per
        );
    }
    if replay.targets.len() > 1 {
        out.push_str("<nav>");
        for (i, t) in replay.targets.iter().enumerate() {
            w!(
                out,
                "<a href=\"#target-{}\">{}</a>",
                i + 1,
                escape(&t.dockerfile)
            );
        }
        out.push_str("<a href=\"#classes\">by change class</a></nav>\n");
    }
    out.push_str("</header>\n");
}

fn swatch(c: Rgb) -> String {
    format!("<span class=\"sw\" style=\"background:{}\"></span>", hex(c))
}

fn legend(out: &mut String, per: usize) {
    out.push_str("<section class=\"legend-box\">\n<div class=\"legend\"><b>Heat map</b>");
    for (c, label) in [
        (
            RERUN_WASTE,
            "re-run, avoidable (an ideally keyed Dockerfile would not)",
        ),
        (RERUN_NEED, "re-run, needed (its own inputs changed)"),
        (UNC_WASTE, "uncertain, avoidable"),
        (UNC_NEED, "uncertain, needed"),
        (CACHED, "cached"),
        (ABSENT, "absent (not in that commit's build)"),
        (FAILED, "prediction failed"),
    ] {
        w!(out, "<span>{}{}</span>", swatch(c), escape(label));
    }
    out.push_str("</div>\n<div class=\"legend\"><b>Bars</b>");
    w!(
        out,
        "<span>{}floor: seconds of needed re-runs</span><span>{}headroom: seconds of avoidable re-runs</span>\
         <span>{}commit with unmeasured re-run steps (counted 0 s)</span><span>{}prediction failed</span>",
        swatch(RERUN_NEED),
        swatch(RERUN_WASTE),
        swatch(UNMEASURED_MARK),
        swatch(ERROR_MARK)
    );
    out.push_str("</div>\n<div class=\"legend\"><b>Change class</b>");
    for c in ALL_CLASSES {
        w!(out, "<span>{}{}</span>", swatch(class_colour(c)), c.label());
    }
    out.push_str("</div>\n");
    if per > 1 {
        w!(
            out,
            "<p class=\"note\">Each column aggregates {per} commits: a cell's hue is the kind of \
             re-run that dominates (orange avoidable, blue needed, light when mostly uncertain), \
             its strength the share of those commits that re-ran the step (grey: none did); \
             bars show the mean seconds per commit; the change-class strip shows the weightiest \
             class in the column.</p>\n"
        );
    }
    out.push_str("</section>\n");
}

// ---------------------------------------------------------------- one target

/// Which commits a column covers.
fn col_range(c: usize, per: usize, n: usize) -> std::ops::Range<usize> {
    c * per..((c + 1) * per).min(n)
}

fn cell_fill(verdict: Verdict, necessary: bool) -> Rgb {
    match (verdict, necessary) {
        (Verdict::Rebuilt, false) => RERUN_WASTE,
        (Verdict::Rebuilt, true) => RERUN_NEED,
        (Verdict::Uncertain, false) => UNC_WASTE,
        (Verdict::Uncertain, true) => UNC_NEED,
        (Verdict::Cached, _) => CACHED,
    }
}

fn verdict_text(verdict: Verdict, necessary: bool) -> &'static str {
    match (verdict, necessary) {
        (Verdict::Rebuilt, false) => "re-run, avoidable (an ideally keyed Dockerfile would not)",
        (Verdict::Rebuilt, true) => "re-run, needed (its own inputs changed)",
        (Verdict::Uncertain, false) => "uncertain (counted as re-run), avoidable",
        (Verdict::Uncertain, true) => "uncertain (counted as re-run), needed",
        (Verdict::Cached, _) => "cached",
    }
}

#[derive(Default)]
struct Tally {
    rebuilt_need: usize,
    rebuilt_waste: usize,
    unc_need: usize,
    unc_waste: usize,
    cached: usize,
    absent: usize,
    failed: usize,
}

impl Tally {
    fn reruns(&self) -> usize {
        self.rebuilt_need + self.rebuilt_waste + self.unc_need + self.unc_waste
    }
    fn present(&self) -> usize {
        self.reruns() + self.cached
    }
    /// (data-verdict, fill) of an aggregated cell.
    fn look(&self) -> (&'static str, Rgb) {
        let present = self.present();
        if present == 0 {
            return if self.failed > self.absent {
                ("failed", FAILED)
            } else {
                ("absent", ABSENT)
            };
        }
        let reruns = self.reruns();
        let rebuilt = self.rebuilt_need + self.rebuilt_waste;
        let uncertain = self.unc_need + self.unc_waste;
        let verdict = if rebuilt >= uncertain && rebuilt >= self.cached {
            "rebuilt"
        } else if uncertain >= self.cached {
            "uncertain"
        } else {
            "cached"
        };
        if reruns == 0 {
            return (verdict, CACHED);
        }
        let waste = self.rebuilt_waste + self.unc_waste;
        let base = match (waste * 2 >= reruns, rebuilt >= uncertain) {
            (true, true) => RERUN_WASTE,
            (true, false) => UNC_WASTE,
            (false, true) => RERUN_NEED,
            (false, false) => UNC_NEED,
        };
        let share = reruns as f64 / present as f64;
        (verdict, mix(CACHED, base, 0.3 + 0.7 * share))
    }
}

struct Geometry {
    per: usize,
    cols: usize,
    cell_w: f64,
    row_h: f64,
    plot_w: f64,
}

impl Geometry {
    fn x(&self, col: usize) -> f64 {
        LABEL_W + col as f64 * self.cell_w
    }
    /// Drawn width of a column (a 1 px gap when there is room for one).
    fn inner_w(&self) -> f64 {
        if self.cell_w >= 5.0 {
            self.cell_w - 1.0
        } else {
            self.cell_w
        }
    }
}

fn target_section(
    out: &mut String,
    idx: usize,
    t: &TargetReplay,
    ts: Option<&TargetSummary>,
    commits: &[CommitRow],
    per: usize,
) {
    let n = commits.len();
    let cols = n.div_ceil(per);
    let steps = t.steps.len();
    let cell_w = if cols == 0 {
        CELL_MAX_W
    } else {
        (PLOT_MAX_W / cols as f64).min(CELL_MAX_W)
    };
    let g = Geometry {
        per,
        cols,
        cell_w,
        row_h: match steps {
            0..=40 => 14.0,
            41..=80 => 12.0,
            _ => 10.0,
        },
        plot_w: cell_w * cols as f64,
    };
    w!(
        out,
        "<section class=\"target\" id=\"target-{}\">\n<h2><code>{}</code></h2>\n\
         <p class=\"muted\">context <code>{}</code> · cache <code>{}</code> · {} per commit · from {} · {}</p>\n",
        idx + 1,
        escape(&t.dockerfile),
        escape(if t.context.is_empty() {
            "."
        } else {
            &t.context
        }),
        escape(&t.cache),
        plural(t.builds_per_commit, "build", "builds"),
        escape(&t.source),
        plural(steps, "step", "steps"),
    );
    if let Some(ts) = ts {
        floor_panel(out, t, ts, n);
    }
    out.push_str("<h3>Steps × commits, and measured seconds per commit</h3>\n");
    if cols == 0 || steps == 0 {
        out.push_str("<p class=\"note\">Nothing to draw: no commits or no steps.</p>\n");
    } else {
        chart(out, t, ts, commits, &g);
    }
    if let Some(ts) = ts {
        step_table(out, t, ts);
    }
    out.push_str("</section>\n");
}

fn floor_panel(out: &mut String, t: &TargetReplay, ts: &TargetSummary, n: usize) {
    let spent = ts.seconds_per_commit;
    let floor = ts.floor_seconds_per_commit;
    let head = ts.headroom_seconds_per_commit.max(0.0);
    let share = if spent > 0.0 { head / spent } else { 0.0 };
    out.push_str("<h3>The floor</h3>\n<div class=\"floor\">\n");
    // Two horizontal bars: this Dockerfile against the ideally keyed one.
    let (w, bar_max) = (600.0, 330.0);
    let scale = if spent > 0.0 { bar_max / spent } else { 0.0 };
    let label_x = 150.0;
    w!(
        out,
        "<svg width=\"{w}\" height=\"58\" viewBox=\"0 0 {w} 58\" role=\"img\" aria-label=\"seconds per commit: spent against the floor\">\n"
    );
    let bars = [
        ("this Dockerfile", floor, head, spent),
        ("ideally keyed (floor)", floor, 0.0, floor),
    ];
    for (i, (label, f, h, total)) in bars.into_iter().enumerate() {
        let y = 6.0 + i as f64 * 26.0;
        w!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            label_x - 8.0,
            y + 13.0,
            label
        );
        w!(
            out,
            "<rect x=\"{label_x}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"18\" fill=\"{}\"><title>floor: {} per build</title></rect>",
            f * scale,
            hex(RERUN_NEED),
            dur(f)
        );
        if h > 0.0 {
            w!(
                out,
                "<rect x=\"{:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"18\" fill=\"{}\"><title>headroom: {} per build</title></rect>",
                label_x + f * scale,
                h * scale,
                hex(RERUN_WASTE),
                dur(h)
            );
        }
        w!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\">{} / commit</text>\n",
            label_x + total * scale + 6.0,
            y + 13.0,
            dur(total)
        );
    }
    out.push_str("</svg>\n");
    let builds = n * t.builds_per_commit;
    w!(
        out,
        "<p>One build spends <b>{}</b> per commit on average (measured); an ideally keyed \
         Dockerfile would spend <b>{}</b>: headroom <b>{}</b> per commit ({} of the time).<br>\
         Over the range, {} × {} = {}: <b>{} CI minutes</b>, floor {} min, headroom \
         <b>{} CI minutes</b>.</p>\n",
        dur(spent),
        dur(floor),
        dur(head),
        pct(share),
        plural(n, "commit", "commits"),
        plural(t.builds_per_commit, "build per commit", "builds per commit"),
        plural(builds, "build", "builds"),
        num(ts.ci_minutes, 1),
        num(ts.ci_minutes - ts.headroom_ci_minutes, 1),
        num(ts.headroom_ci_minutes, 1),
    );
    out.push_str("</div>\n");
    if ts.unmeasured_reruns > 0 {
        let all = ts.unmeasured_reruns + ts.measured_reruns;
        w!(
            out,
            "<p class=\"note warn\">{} of {} re-run steps had no measured duration and count 0 s: \
             the figures above are a lower bound (run <code>hoist measure</code> or \
             <code>hoist timings import</code>).</p>\n",
            num(ts.unmeasured_reruns as f64, 0),
            num(all as f64, 0)
        );
    }
    if ts.failed_commits > 0 {
        let first = t
            .costs
            .iter()
            .zip(0..)
            .find_map(|(c, i)| c.error.as_ref().map(|e| (i, e)));
        w!(
            out,
            "<p class=\"note warn\">{} could not be predicted{}.</p>\n",
            plural(ts.failed_commits, "commit", "commits"),
            first
                .map(|(i, e)| format!(" (first, commit #{}: {})", i + 1, escape(&cut(e, 160))))
                .unwrap_or_default()
        );
    }
}

/// A heat-map row's label; the stage name only on the first row of a stage.
fn row_label(out: &mut String, i: usize, stage: &str, instr: &str, y: f64, show_stage: bool) {
    w!(
        out,
        "<g><title>{} · {}</title><text class=\"dim\" x=\"{NUM_X}\" y=\"{y:.1}\" text-anchor=\"end\">{}</text>\
         <text class=\"m dim\" x=\"{STAGE_X}\" y=\"{y:.1}\">{}</text><text class=\"m\" x=\"{INSTR_X}\" y=\"{y:.1}\">{}</text></g>\n",
        escape(stage),
        escape(&cut(instr, 400)),
        i + 1,
        if show_stage {
            escape(&cut(stage, STAGE_CHARS))
        } else {
            String::new()
        },
        escape(&cut(instr, INSTR_CHARS)),
    );
}

fn commit_label(c: &CommitRow, i: usize) -> String {
    format!(
        "#{} {} {}\n{} · {}",
        i + 1,
        c.short,
        cut(&c.summary, 72),
        date(c.time),
        c.class.label()
    )
}

fn column_label(commits: &[CommitRow], r: &std::ops::Range<usize>) -> String {
    if r.len() == 1 {
        return commit_label(&commits[r.start], r.start);
    }
    let (a, b) = (&commits[r.start], &commits[r.end - 1]);
    format!(
        "#{}–#{} ({} commits) {}..{}\n{} – {}",
        r.start + 1,
        r.end,
        r.len(),
        a.short,
        b.short,
        date(a.time),
        date(b.time)
    )
}

fn chart(
    out: &mut String,
    t: &TargetReplay,
    ts: Option<&TargetSummary>,
    commits: &[CommitRow],
    g: &Geometry,
) {
    let n = commits.len();
    let steps = t.steps.len();
    let heat_top = STRIP_H + 8.0;
    // Row tops, with a gap between stages.
    let mut row_y = Vec::with_capacity(steps);
    let mut y = heat_top;
    for s in 0..steps {
        if s > 0 && t.steps[s - 1].stage != t.steps[s].stage {
            y += STAGE_GAP;
        }
        row_y.push(y);
        y += g.row_h;
    }
    let heat_h = y - heat_top;
    let bars_top = heat_top + heat_h + 18.0;
    let lanes_top = bars_top + BAR_H + 6.0;
    let axis_top = lanes_top + 2.0 * LANE_H + 6.0;
    let height = axis_top + 34.0;
    let width = LABEL_W + g.plot_w + RIGHT_W;
    let iw = g.inner_w();
    let ch = g.row_h - 1.0;
    w!(
        out,
        "<div class=\"chart\"><svg class=\"replay\" width=\"{width:.0}\" height=\"{height:.0}\" \
         viewBox=\"0 0 {width:.0} {height:.0}\" role=\"img\" aria-label=\"heat map of {} steps by {} commits and seconds per commit\">\n",
        steps,
        n
    );
    let ranges: Vec<_> = (0..g.cols).map(|c| col_range(c, g.per, n)).collect();
    let labels: Vec<String> = ranges
        .iter()
        .map(|r| escape(&column_label(commits, r)))
        .collect();

    // Change-class strip.
    w!(
        out,
        "<text class=\"dim\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">change class</text>\n<g shape-rendering=\"crispEdges\">",
        LABEL_W - 6.0,
        STRIP_H
    );
    for (c, r) in ranges.iter().enumerate() {
        let class = commits[r.clone()]
            .iter()
            .map(|x| x.class)
            .min()
            .unwrap_or(ChangeClass::Empty);
        w!(
            out,
            "<rect x=\"{:.2}\" y=\"1\" width=\"{iw:.2}\" height=\"{STRIP_H}\" fill=\"{}\"><title>{}</title></rect>",
            g.x(c),
            hex(class_colour(class)),
            labels[c]
        );
    }
    out.push_str("</g>\n");

    // Row labels and the re-run rate on the right.
    for (s, id) in t.steps.iter().enumerate() {
        let y = row_y[s] + g.row_h - 3.5;
        let first_of_stage = s == 0 || t.steps[s - 1].stage != id.stage;
        row_label(out, s, &id.stage, &id.instruction, y, first_of_stage);
        if let Some(ss) = ts.and_then(|ts| ts.steps.get(s)) {
            w!(
                out,
                "<text class=\"dim\" x=\"{:.1}\" y=\"{y:.1}\" text-anchor=\"end\">{}</text>\n",
                LABEL_W + g.plot_w + RIGHT_W - 4.0,
                if ss.present == 0 {
                    "–".to_string()
                } else {
                    pct(ss.rebuild_rate)
                }
            );
        }
    }
    w!(
        out,
        "<text class=\"dim\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">re-run</text>\n",
        LABEL_W + g.plot_w + RIGHT_W - 4.0,
        STRIP_H
    );

    // The heat map: one rect per step and column.
    out.push_str("<g class=\"heatmap\" shape-rendering=\"crispEdges\">\n");
    for (s, id) in t.steps.iter().enumerate() {
        let y = row_y[s];
        let step_label = escape(&format!("{} · {}", id.stage, cut(&id.instruction, 90)));
        for (c, r) in ranges.iter().enumerate() {
            let x = g.x(c);
            let (verdict, fill, detail) = if r.len() == 1 {
                let i = r.start;
                let cell = t
                    .cells
                    .get(i)
                    .and_then(|row| row.get(s))
                    .and_then(|c| c.as_ref());
                match cell {
                    Some(cell) => (
                        cell.verdict.to_string(),
                        cell_fill(cell.verdict, cell.necessary),
                        verdict_text(cell.verdict, cell.necessary).to_string(),
                    ),
                    None => match t.costs.get(i).and_then(|c| c.error.as_ref()) {
                        Some(e) => (
                            "failed".to_string(),
                            FAILED,
                            format!("prediction failed: {}", cut(e, 160)),
                        ),
                        None => (
                            "absent".to_string(),
                            ABSENT,
                            "absent (not in this commit's build)".to_string(),
                        ),
                    },
                }
            } else {
                let mut tally = Tally::default();
                for i in r.clone() {
                    match t
                        .cells
                        .get(i)
                        .and_then(|row| row.get(s))
                        .and_then(|c| c.as_ref())
                    {
                        Some(cell) => match (cell.verdict, cell.necessary) {
                            (Verdict::Rebuilt, true) => tally.rebuilt_need += 1,
                            (Verdict::Rebuilt, false) => tally.rebuilt_waste += 1,
                            (Verdict::Uncertain, true) => tally.unc_need += 1,
                            (Verdict::Uncertain, false) => tally.unc_waste += 1,
                            (Verdict::Cached, _) => tally.cached += 1,
                        },
                        None if t.costs.get(i).is_some_and(|c| c.error.is_some()) => {
                            tally.failed += 1
                        }
                        None => tally.absent += 1,
                    }
                }
                let (v, fill) = tally.look();
                let mut d = format!(
                    "re-run in {} of {} (avoidable {}, needed {}",
                    tally.reruns(),
                    r.len(),
                    tally.rebuilt_waste + tally.unc_waste,
                    tally.rebuilt_need + tally.unc_need
                );
                if tally.unc_need + tally.unc_waste > 0 {
                    w!(d, "; uncertain {}", tally.unc_need + tally.unc_waste);
                }
                w!(d, "), cached {}", tally.cached);
                if tally.absent > 0 {
                    w!(d, ", absent {}", tally.absent);
                }
                if tally.failed > 0 {
                    w!(d, ", failed {}", tally.failed);
                }
                (v.to_string(), fill, d)
            };
            w!(
                out,
                "<rect class=\"cell\" data-verdict=\"{verdict}\" x=\"{x:.2}\" y=\"{y:.1}\" width=\"{iw:.2}\" height=\"{ch:.1}\" fill=\"{}\"><title>{}\n{}\n{}</title></rect>",
                hex(fill),
                labels[c],
                step_label,
                escape(&detail)
            );
        }
        out.push('\n');
    }
    out.push_str("</g>\n");

    // Stacked bars: mean measured seconds per commit of the column.
    let vals: Vec<(f64, f64, usize, usize)> = ranges
        .iter()
        .map(|r| {
            let costs: Vec<&CommitCost> = r.clone().filter_map(|i| t.costs.get(i)).collect();
            let k = costs.len().max(1) as f64;
            let secs: f64 = costs.iter().map(|c| c.seconds).sum::<f64>() / k;
            let floor: f64 = costs.iter().map(|c| c.floor_seconds).sum::<f64>() / k;
            let unmeasured = costs.iter().filter(|c| c.unmeasured > 0).count();
            let failed = costs.iter().filter(|c| c.error.is_some()).count();
            (secs, floor.min(secs), unmeasured, failed)
        })
        .collect();
    let max = vals.iter().map(|v| v.0).fold(0.0, f64::max);
    // 3 to 5 gridlines at a "nice" step.
    let step = nice_ceil(max / 4.0);
    let intervals = ((max / step).ceil() as usize).clamp(1, 5);
    let top = step * intervals as f64;
    let decimals = if step.fract() == 0.0 {
        0
    } else if (step * 10.0).fract().abs() < 1e-9 {
        1
    } else {
        2
    };
    let scale = BAR_H / top;
    for k in 0..=intervals {
        let v = step * k as f64;
        let y = bars_top + BAR_H - v * scale;
        w!(
            out,
            "<line class=\"{}\" x1=\"{LABEL_W}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/>\
             <text class=\"dim\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\n",
            if k == 0 { "axis" } else { "grid" },
            LABEL_W + g.plot_w,
            LABEL_W - 6.0,
            y + 4.0,
            num(v, decimals)
        );
    }
    w!(
        out,
        "<text x=\"{:.1}\" y=\"{:.1}\">seconds per build{}</text>\
         <text class=\"dim\" x=\"{:.1}\" y=\"{:.1}\">(measured; floor + headroom)</text>\n",
        INSTR_X,
        bars_top + 10.0,
        if g.per > 1 { ", mean per commit" } else { "" },
        INSTR_X,
        bars_top + 24.0
    );
    out.push_str("<g class=\"bars\" shape-rendering=\"crispEdges\">\n");
    let base = bars_top + BAR_H;
    for (c, &(secs, floor, unmeasured, failed)) in vals.iter().enumerate() {
        let x = g.x(c);
        let r = &ranges[c];
        let mut tip = format!(
            "{}\n{} measured per build: floor {} + headroom {}",
            labels[c],
            dur(secs),
            dur(floor),
            dur(secs - floor)
        );
        if r.len() == 1 {
            if let Some(cost) = t.costs.get(r.start) {
                w!(
                    tip,
                    "\n{} re-run, {} uncertain, {} unmeasured",
                    cost.rebuilt,
                    cost.uncertain,
                    cost.unmeasured
                );
                if let Some(e) = &cost.error {
                    w!(tip, "\nprediction failed: {}", escape(&cut(e, 160)));
                }
            }
        } else {
            if unmeasured > 0 {
                w!(tip, "\n{unmeasured} commits with unmeasured re-run steps");
            }
            if failed > 0 {
                w!(tip, "\n{failed} commits could not be predicted");
            }
        }
        w!(out, "<g><title>{tip}</title>");
        if failed > 0 {
            w!(
                out,
                "<rect x=\"{x:.2}\" y=\"{bars_top:.1}\" width=\"{iw:.2}\" height=\"{BAR_H}\" fill=\"{}\" fill-opacity=\"0.35\"/>",
                hex(FAILED)
            );
        }
        let fh = floor * scale;
        let hh = (secs - floor).max(0.0) * scale;
        if fh > 0.0 {
            w!(
                out,
                "<rect class=\"bar-floor\" x=\"{x:.2}\" y=\"{:.2}\" width=\"{iw:.2}\" height=\"{fh:.2}\" fill=\"{}\"/>",
                base - fh,
                hex(RERUN_NEED)
            );
        }
        if hh > 0.0 {
            w!(
                out,
                "<rect class=\"bar-headroom\" x=\"{x:.2}\" y=\"{:.2}\" width=\"{iw:.2}\" height=\"{hh:.2}\" fill=\"{}\"/>",
                base - fh - hh,
                hex(RERUN_WASTE)
            );
        }
        // A transparent target so a thin or empty bar still has a tooltip.
        w!(
            out,
            "<rect x=\"{x:.2}\" y=\"{bars_top:.1}\" width=\"{:.2}\" height=\"{:.1}\" fill=\"transparent\"/>",
            g.cell_w,
            BAR_H + 2.0 * LANE_H + 6.0
        );
        if unmeasured > 0 {
            w!(
                out,
                "<rect class=\"mark-unmeasured\" x=\"{x:.2}\" y=\"{:.1}\" width=\"{iw:.2}\" height=\"{:.1}\" fill=\"{}\"/>",
                lanes_top,
                LANE_H - 2.0,
                hex(UNMEASURED_MARK)
            );
        }
        if failed > 0 {
            w!(
                out,
                "<rect class=\"mark-failed\" x=\"{x:.2}\" y=\"{:.1}\" width=\"{iw:.2}\" height=\"{:.1}\" fill=\"{}\"/>",
                lanes_top + LANE_H,
                LANE_H - 2.0,
                hex(ERROR_MARK)
            );
        }
        out.push_str("</g>\n");
    }
    out.push_str("</g>\n");
    w!(
        out,
        "<text class=\"dim\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">unmeasured steps</text>\
         <text class=\"dim\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">prediction failed</text>\n",
        LABEL_W - 6.0,
        lanes_top + LANE_H - 2.0,
        LABEL_W - 6.0,
        lanes_top + 2.0 * LANE_H - 2.0
    );

    // The commit axis.
    let ticks = ((g.plot_w / 120.0).floor() as usize)
        .clamp(1, 10)
        .min(g.cols);
    let mut picked: Vec<usize> = (0..ticks)
        .map(|k| {
            if ticks == 1 {
                0
            } else {
                (k as f64 * (g.cols - 1) as f64 / (ticks - 1) as f64).round() as usize
            }
        })
        .collect();
    picked.dedup();
    w!(
        out,
        "<line class=\"axis\" x1=\"{LABEL_W}\" x2=\"{:.1}\" y1=\"{axis_top:.1}\" y2=\"{axis_top:.1}\"/>\
         <text class=\"dim\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">commit (oldest first)</text>\n",
        LABEL_W + g.plot_w,
        LABEL_W - 6.0,
        axis_top + 13.0
    );
    let last = picked.len().saturating_sub(1);
    for (k, &c) in picked.iter().enumerate() {
        let r = &ranges[c];
        let x = g.x(c) + g.cell_w / 2.0;
        let anchor = if picked.len() == 1 || k == 0 {
            "start"
        } else if k == last {
            "end"
        } else {
            "middle"
        };
        let tx = match anchor {
            "start" => g.x(c),
            "end" => g.x(c) + g.cell_w,
            _ => x,
        };
        let commit = &commits[r.start];
        w!(
            out,
            "<line class=\"axis\" x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{axis_top:.1}\" y2=\"{:.1}\"/>\
             <text x=\"{tx:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\"><tspan class=\"m\">#{} {}</tspan></text>\
             <text class=\"dim\" x=\"{tx:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">{}</text>\n",
            axis_top + 4.0,
            axis_top + 15.0,
            r.start + 1,
            escape(&commit.short),
            axis_top + 28.0,
            date(commit.time)
        );
    }
    out.push_str("</svg></div>\n");
}

fn step_table(out: &mut String, t: &TargetReplay, ts: &TargetSummary) {
    out.push_str(
        "<h3>Per step</h3>\n<table class=\"steps\">\n<thead><tr><th class=\"n\">#</th><th>stage</th><th>step</th>\
         <th>re-run rate</th><th class=\"n\">re-runs / builds with it</th><th class=\"n\">seconds per run</th>\
         <th class=\"n\">seconds per commit</th><th class=\"n\">avoidable s per commit</th>\
         <th class=\"n\">share needed</th></tr></thead>\n<tbody>\n",
    );
    for (i, s) in ts.steps.iter().enumerate() {
        step_row(out, i, s, t.step_seconds.get(i).copied().flatten());
    }
    out.push_str("</tbody>\n");
    let measured_total: f64 = ts
        .steps
        .iter()
        .filter_map(|s| s.expected_seconds_per_commit)
        .sum();
    w!(
        out,
        "<tfoot><tr><td></td><td colspan=\"5\">all steps (measured)</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td></td></tr></tfoot>\n</table>\n",
        num(measured_total, 1),
        num(
            ts.steps
                .iter()
                .filter_map(|s| s
                    .expected_seconds_per_commit
                    .map(|e| e * (1.0 - s.necessary_share)))
                .sum::<f64>(),
            1
        )
    );
    out.push_str(
        "<p class=\"note\">Re-run rate: share of the commits whose build had the step that re-ran it \
         (uncertain counted as re-run). Seconds per commit = rate × seconds per run. Share needed: of \
         those re-runs, how many an ideally keyed Dockerfile would also do.</p>\n",
    );
}

fn step_row(out: &mut String, i: usize, s: &StepSummary, seconds: Option<f64>) {
    let seconds = seconds.or(s.seconds);
    let avoidable = s
        .expected_seconds_per_commit
        .map(|e| e * (1.0 - s.necessary_share));
    w!(
        out,
        "<tr><td class=\"n muted\">{}</td><td class=\"s\"><code>{}</code></td><td class=\"i\"><code>{}</code></td>\
         <td class=\"n\"><span class=\"rate\"><span style=\"width:{:.0}%\"></span></span>{}</td>\
         <td class=\"n\">{} / {}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n",
        i + 1,
        escape(&s.stage),
        escape(&cut(&s.instruction, 300)),
        s.rebuild_rate * 100.0,
        pct(s.rebuild_rate),
        num(s.reruns as f64, 0),
        num(s.present as f64, 0),
        seconds
            .map(|x| format!("{} s", num(x, 1)))
            .unwrap_or_else(|| "<span class=\"warn\">unmeasured</span>".into()),
        s.expected_seconds_per_commit
            .map(|x| format!("{} s", num(x, 1)))
            .unwrap_or_else(|| "–".into()),
        avoidable
            .map(|x| format!("{} s", num(x, 1)))
            .unwrap_or_else(|| "–".into()),
        if s.reruns == 0 {
            "–".to_string()
        } else {
            pct(s.necessary_share)
        },
    );
}

// ---------------------------------------------------------------- classes and totals

fn classes(out: &mut String, s: &Summary) {
    out.push_str(
        "<section id=\"classes\">\n<h2>By change class</h2>\n<p class=\"muted\">All images, all builds \
         (CI minutes count every build: seconds × builds per commit ÷ 60).</p>\n\
         <table class=\"classes\">\n<thead><tr><th>class</th><th class=\"n\">commits</th><th class=\"n\">share of commits</th>\
         <th class=\"n\">CI minutes</th><th class=\"n\">floor (min)</th><th class=\"n\">headroom (min)</th>\
         <th class=\"n\">headroom share</th><th class=\"n\">CI minutes per commit</th></tr></thead>\n<tbody>\n",
    );
    let total = s.commits.max(1) as f64;
    for c in &s.classes {
        let min = c.seconds / 60.0;
        let floor = c.floor_seconds / 60.0;
        w!(
            out,
            "<tr><td>{}{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n",
            swatch(class_colour(c.class)),
            escape(&c.label),
            num(c.commits as f64, 0),
            pct(c.commits as f64 / total),
            num(min, 1),
            num(floor, 1),
            num(min - floor, 1),
            if min > 0.0 {
                pct((min - floor) / min)
            } else {
                "–".into()
            },
            num(min / c.commits.max(1) as f64, 2),
        );
    }
    w!(
        out,
        "</tbody>\n<tfoot><tr><td>total</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
         <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr></tfoot>\n</table>\n",
        num(s.commits as f64, 0),
        if s.commits > 0 { "100%" } else { "–" },
        num(s.ci_minutes, 1),
        num(s.floor_ci_minutes, 1),
        num(s.headroom_ci_minutes, 1),
        if s.ci_minutes > 0.0 {
            pct(s.headroom_ci_minutes / s.ci_minutes)
        } else {
            "–".into()
        },
        num(s.ci_minutes / total, 2),
    );
    if s.measured_share >= 1.0 {
        out.push_str("<p class=\"note\">Every re-run step had a measured duration.</p>\n");
    } else {
        w!(
            out,
            "<p class=\"note warn\">{} of re-run steps had a measured duration; the rest count 0 s, \
             so the minutes above are a lower bound.</p>\n",
            pct(s.measured_share)
        );
    }
    out.push_str("</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_controls() {
        assert_eq!(
            escape("<script>alert('x') & \"y\"</script>\u{0}"),
            "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;\u{FFFD}"
        );
    }

    #[test]
    fn columns_aggregate_above_the_cap() {
        assert_eq!(columns(0), (1, 0));
        assert_eq!(columns(300), (1, 300));
        assert_eq!(columns(600), (1, 600));
        assert_eq!(columns(601), (2, 301));
        assert_eq!(columns(1000), (2, 500));
        assert_eq!(columns(10_000), (17, 589));
    }

    #[test]
    fn numbers_and_dates() {
        assert_eq!(num(1234567.891, 1), "1,234,567.9");
        assert_eq!(num(999.0, 0), "999");
        assert_eq!(num(-0.01, 1), "0.0");
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(1_700_000_000), "2023-11-14");
        assert_eq!(nice_ceil(73.0), 100.0);
        assert_eq!(nice_ceil(180.0), 200.0);
        assert_eq!(nice_ceil(21.0), 25.0);
    }
}
