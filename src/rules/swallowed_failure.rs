//! `swallowed-failure` (HC005).

use crate::syntax::Span;

use super::{Applicability, Edit, Finding, Fix, Input, Rule, Severity, run_command};

/// ## What it does
/// Finds `|| true`, `|| :`, `|| exit 0` (with or without `2>/dev/null`) in a
/// `RUN`.
///
/// ## Why is this bad?
/// The step succeeds whatever happens: a download that 404s, a compile that
/// fails, a package that is gone. The build goes on and yields an image that
/// lacks what the step was for, silently, and the cache keeps that broken
/// layer until the step's inputs change.
///
/// ## Example
/// ```dockerfile
/// RUN curl -fsSLo /opt/ext.gz "$URL" || true
/// ```
///
/// ## Use instead
/// ```dockerfile
/// RUN curl -fsSLo /opt/ext.gz "$URL"
/// ```
///
/// ## Fix safety
/// Unsafe: the fix removes the fallback, so a step that fails today makes the
/// build fail. That is the point, but it changes the build's outcome.
pub const RULE: Rule = Rule {
    name: "swallowed-failure",
    code: "HC005",
    severity: Severity::Warning,
    summary: "A RUN ignores the failure of a command (`|| true`)",
    source: include_str!("swallowed_failure.rs"),
    check,
};

fn check(input: &Input) -> Vec<Finding> {
    let mut out = Vec::new();
    for step in &input.build.steps {
        let Some(cmd) = run_command(step) else {
            continue;
        };
        if !cmd.contains("||") {
            continue;
        }
        let Some(node) = input
            .file
            .instructions()
            .find(|i| i.start_line == step.line)
        else {
            continue;
        };
        // Locate each fallback in the instruction's bytes, to underline it.
        let text = input.file.text(node.span);
        for (start, end, fallback) in fallbacks(text) {
            let span = Span::new(node.span.start + start, node.span.start + end);
            let shown = String::from_utf8_lossy(&text[start..end])
                .trim()
                .to_string();
            out.push(Finding {
                span,
                message: format!(
                    "`{shown}` hides a failure: a broken step still succeeds and the image silently lacks what it was for"
                ),
                help: Some(format!(
                    "let the command fail; if a failure is expected, test for that case explicitly instead of `{fallback}`"
                )),
                fix: Some(Fix {
                    applicability: Applicability::Unsafe,
                    target: super::Target::Dockerfile,
                    message: format!("remove `{shown}`"),
                    edits: vec![Edit { start: span.start, end: span.end, content: String::new() }],
                }),
            });
        }
    }
    out
}

/// Byte ranges (with the spaces and `2>/dev/null` before them) of `|| true`,
/// `|| :`, `|| exit 0`; and the fallback as written.
fn fallbacks(text: &[u8]) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i + 1 < text.len() {
        if &text[i..i + 2] != b"||" {
            i += 1;
            continue;
        }
        let mut j = i + 2;
        while j < text.len() && matches!(text[j], b' ' | b'\t') {
            j += 1;
        }
        let rest = &text[j..];
        let word = [&b"true"[..], b":", b"exit 0", b"/bin/true"]
            .into_iter()
            .find(|w| {
                rest.starts_with(w)
                    && rest.get(w.len()).is_none_or(|c| {
                        matches!(
                            c,
                            b' ' | b'\t' | b';' | b')' | b'}' | b'\\' | b'\n' | b'\r' | b'&' | b'|'
                        )
                    })
            });
        let Some(word) = word else {
            i = j;
            continue;
        };
        let end = j + word.len();
        // Include the spaces before `||`, and a `2>/dev/null` right before it.
        let mut start = i;
        while start > 0 && matches!(text[start - 1], b' ' | b'\t') {
            start -= 1;
        }
        let redirect = b"2>/dev/null";
        if text[..start].ends_with(redirect) {
            start -= redirect.len();
            while start > 0 && matches!(text[start - 1], b' ' | b'\t') {
                start -= 1;
            }
        }
        out.push((start, end, format!("|| {}", String::from_utf8_lossy(word))));
        i = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::fallbacks;

    #[test]
    fn finds_fallbacks() {
        let t = b"RUN a 2>/dev/null || true; b || :\nc || exit 0 && d || echo x || truex";
        let f: Vec<_> = fallbacks(t)
            .into_iter()
            .map(|(s, e, _)| String::from_utf8_lossy(&t[s..e]).into_owned())
            .collect();
        assert_eq!(f, vec![" 2>/dev/null || true", " || :", " || exit 0"]);
    }
}
