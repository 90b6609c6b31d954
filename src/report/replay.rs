//! `hoist replay` output: text tables and the JSON document.

use serde::Serialize;

use crate::replay::Replay;
use crate::replay::summary::Summary;

/// The JSON document: the summary first, then the per-commit detail.
#[derive(Serialize)]
pub struct ReplayDocument<'a> {
    pub summary: &'a Summary,
    pub replay: &'a Replay,
}

/// Writes the document as `serde_json::to_writer_pretty` does, byte for byte,
/// but faster: a replay's document holds millions of values (one cell per step
/// and commit), and serde_json's pretty printer writes each level of
/// indentation separately.
pub fn write_json(out: &mut dyn std::io::Write, doc: &ReplayDocument) -> std::io::Result<()> {
    let mut buffered = std::io::BufWriter::with_capacity(1 << 16, out);
    let mut ser = serde_json::Serializer::with_formatter(&mut buffered, Pretty::default());
    doc.serialize(&mut ser).map_err(std::io::Error::other)?;
    std::io::Write::flush(&mut buffered)
}

/// serde_json's `PrettyFormatter` with a two-space indent, writing a line
/// break and its indentation at once.
#[derive(Default)]
struct Pretty {
    level: usize,
    has_value: bool,
}

impl Pretty {
    /// `prefix` (`\n` or `,\n`) then the indentation of the current level.
    fn line<W: ?Sized + std::io::Write>(&self, w: &mut W, comma: bool) -> std::io::Result<()> {
        const SPACES: &[u8; 128] = &[b' '; 128];
        w.write_all(if comma { b",\n" } else { b"\n" })?;
        let mut width = self.level * 2;
        while width > 0 {
            let n = width.min(SPACES.len());
            w.write_all(&SPACES[..n])?;
            width -= n;
        }
        Ok(())
    }
}

impl serde_json::ser::Formatter for Pretty {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.level += 1;
        self.has_value = false;
        w.write_all(b"[")
    }

    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.level -= 1;
        if self.has_value {
            self.line(w, false)?;
        }
        w.write_all(b"]")
    }

    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.line(w, !first)
    }

    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, _w: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.level += 1;
        self.has_value = false;
        w.write_all(b"{")
    }

    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.level -= 1;
        if self.has_value {
            self.line(w, false)?;
        }
        w.write_all(b"}")
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.line(w, !first)
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _w: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

fn secs(s: f64) -> String {
    if s >= 120.0 {
        format!("{:.1} min", s / 60.0)
    } else {
        format!("{s:.1} s")
    }
}

fn cut(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(width.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

pub fn text(replay: &Replay, summary: &Summary) -> String {
    let mut out = String::new();
    let first = replay
        .commits
        .first()
        .map(|c| c.short.as_str())
        .unwrap_or("");
    let last = replay
        .commits
        .last()
        .map(|c| c.short.as_str())
        .unwrap_or("");
    out.push_str(&format!(
        "Replayed {} commits ({first}..{last}), {} image build{} per commit\n",
        summary.commits,
        summary
            .targets
            .iter()
            .map(|t| t.builds_per_commit)
            .sum::<usize>(),
        if summary
            .targets
            .iter()
            .map(|t| t.builds_per_commit)
            .sum::<usize>()
            == 1
        {
            ""
        } else {
            "s"
        }
    ));
    for (t, tr) in summary.targets.iter().zip(&replay.targets) {
        out.push_str(&format!(
            "\n{} (context {}, cache {}, {} build{} per commit; from {})\n",
            t.dockerfile,
            if tr.context.is_empty() {
                "."
            } else {
                &tr.context
            },
            tr.cache,
            t.builds_per_commit,
            if t.builds_per_commit == 1 { "" } else { "s" },
            tr.source
        ));
        out.push_str(&format!(
            "  {:<10} {:<46} {:>7} {:>9} {:>10} {:>9}\n",
            "stage", "step", "re-runs", "seconds", "s/commit", "needed"
        ));
        for s in &t.steps {
            out.push_str(&format!(
                "  {:<10} {:<46} {:>6.0}% {:>9} {:>10} {:>8.0}%\n",
                cut(&s.stage, 10),
                cut(&s.instruction, 46),
                s.rebuild_rate * 100.0,
                s.seconds
                    .map(|x| format!("{x:.1}"))
                    .unwrap_or_else(|| "unmeasured".into()),
                s.expected_seconds_per_commit
                    .map(|x| format!("{x:.1}"))
                    .unwrap_or_else(|| "-".into()),
                s.necessary_share * 100.0,
            ));
        }
        out.push_str(&format!(
            "  per commit: {} spent, floor {}, headroom {} per build; {:.0} of {:.0} CI minutes over the range are headroom\n",
            secs(t.seconds_per_commit),
            secs(t.floor_seconds_per_commit),
            secs(t.headroom_seconds_per_commit),
            t.headroom_ci_minutes,
            t.ci_minutes
        ));
        if t.unmeasured_reruns > 0 {
            out.push_str(&format!(
                "  {} re-run steps had no measurement (run `hoist measure` or `hoist timings import`); they count 0 s\n",
                t.unmeasured_reruns
            ));
        }
        if t.failed_commits > 0 {
            out.push_str(&format!(
                "  {} commits could not be predicted (see --format json for why)\n",
                t.failed_commits
            ));
        }
    }
    out.push_str("\nBy change class (all builds):\n");
    out.push_str(&format!(
        "  {:<28} {:>7} {:>12} {:>12}\n",
        "class", "commits", "CI minutes", "floor"
    ));
    for c in &summary.classes {
        out.push_str(&format!(
            "  {:<28} {:>7} {:>12.1} {:>12.1}\n",
            c.label,
            c.commits,
            c.seconds / 60.0,
            c.floor_seconds / 60.0
        ));
    }
    out.push_str(&format!(
        "\nTotal: {:.1} CI minutes, floor {:.1}, headroom {:.1} ({:.0}%); {:.0}% of re-run steps measured\n",
        summary.ci_minutes,
        summary.floor_ci_minutes,
        summary.headroom_ci_minutes,
        if summary.ci_minutes > 0.0 { summary.headroom_ci_minutes / summary.ci_minutes * 100.0 } else { 0.0 },
        summary.measured_share * 100.0
    ));
    out
}
