//! Rendering errors against the user's file: a `path:line:column: message` line,
//! then a code frame.

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

use crate::syntax::SyntaxError;

/// Longest source line shown in a frame; longer lines are cut around the error.
const FRAME_WIDTH: usize = 160;

/// One line: `path:line:column: error: message`.
pub fn one_line(path: &str, err: &SyntaxError) -> String {
    format!("{path}:{}:{}: error: {}", err.line, err.column, err.message)
}

/// The full report: the one-line summary, a code frame, and the help if any.
pub fn render(path: &str, source: &[u8], err: &SyntaxError, color: bool) -> String {
    let (line_text, start, end) = frame_line(source, err);
    let title = format!("{} ({path}:{}:{})", err.message, err.line, err.column);
    let mut groups = vec![
        Level::ERROR.primary_title(title.as_str()).element(
            Snippet::source(line_text.as_str())
                .line_start(err.line)
                .path(path)
                .annotation(AnnotationKind::Primary.span(start..end)),
        ),
    ];
    if let Some(help) = &err.help {
        groups.push(Group::with_title(
            Level::HELP.secondary_title(help.as_str()),
        ));
    }
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    renderer.render(&groups).to_string()
}

/// The erroneous line as text (lossy, cut to a readable width) and the byte range
/// to underline in it.
fn frame_line(source: &[u8], err: &SyntaxError) -> (String, usize, usize) {
    let at = err.span.start.min(source.len());
    let line_start = source[..at]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let line_end = source[at..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(source.len(), |i| at + i);
    let line_end = line_end - usize::from(line_end > line_start && source[line_end - 1] == b'\r');
    // Keep a window around the error so a 10 MB line still gives a short frame.
    let from = if at - line_start > FRAME_WIDTH / 2 {
        at - FRAME_WIDTH / 2
    } else {
        line_start
    };
    let to = line_end.min(from + FRAME_WIDTH).max(from);
    let before = String::from_utf8_lossy(&source[from..at.max(from).min(to)]).into_owned();
    let marked_end = err.span.end.clamp(at, to);
    let marked = String::from_utf8_lossy(&source[at.min(to)..marked_end]).into_owned();
    let after = String::from_utf8_lossy(&source[marked_end..to]).into_owned();
    let clean = |s: String| s.replace(['\0', '\t'], " ");
    let (before, marked, after) = (clean(before), clean(marked), clean(after));
    let text = format!("{before}{marked}{after}");
    let start = before.len();
    // Underline at least one character when there is one to underline.
    let end = (start + marked.len()).max(start + usize::from(start < text.len()));
    let end = end.min(text.len()).max(start);
    let end = (end..=text.len())
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(text.len());
    (text, start, end)
}
