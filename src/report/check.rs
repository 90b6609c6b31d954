//! `hoist check` output: text with code frames, JSON, SARIF 2.1.0, GitHub
//! workflow annotations.

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use serde_json::{Value, json};

use crate::rules::{Applicability, Diagnostic, RULES, Severity};

/// Text: one code frame per diagnostic, then a summary line.
pub fn text(
    diags: &[Diagnostic],
    sources: &dyn Fn(&str) -> Option<Vec<u8>>,
    color: bool,
) -> String {
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut out = String::new();
    for d in diags {
        let level = match d.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
            Severity::Info => Level::INFO,
        };
        let title = format!("{} [{}]", d.message, d.rule);
        let source = sources(&d.file).unwrap_or_default();
        let (text, start, end, first_line) = frame(&source, d.span.start, d.span.end);
        let mut groups = vec![
            level.primary_title(title.as_str()).id(d.code).element(
                Snippet::source(text.as_str())
                    .line_start(first_line)
                    .path(d.file.as_str())
                    .annotation(AnnotationKind::Primary.span(start..end)),
            ),
        ];
        if let Some(help) = &d.help {
            groups.push(Group::with_title(
                Level::HELP.secondary_title(help.as_str()),
            ));
        }
        let fix_note;
        if let Some(fix) = &d.fix {
            fix_note = format!(
                "fix ({}): {}",
                applicability(fix.applicability),
                fix.message
            );
            groups.push(Group::with_title(
                Level::NOTE.secondary_title(fix_note.as_str()),
            ));
        }
        out.push_str(&renderer.render(&groups).to_string());
        out.push_str("\n\n");
    }
    out.push_str(&summary(diags));
    out
}

fn applicability(a: Applicability) -> &'static str {
    match a {
        Applicability::Safe => "safe",
        Applicability::Unsafe => "unsafe",
        Applicability::DisplayOnly => "display-only",
    }
}

/// `3 findings (1 error, 1 warning, 1 info)` or `no findings`.
pub fn summary(diags: &[Diagnostic]) -> String {
    if diags.is_empty() {
        return "no findings\n".to_string();
    }
    let count = |s| diags.iter().filter(|d| d.severity == s).count();
    let mut parts = Vec::new();
    for (s, word) in [
        (Severity::Error, "error"),
        (Severity::Warning, "warning"),
        (Severity::Info, "info"),
    ] {
        let n = count(s);
        if n > 0 {
            parts.push(format!(
                "{n} {word}{}",
                if n > 1 && s != Severity::Info {
                    "s"
                } else {
                    ""
                }
            ));
        }
    }
    let fixable = diags
        .iter()
        .filter(|d| {
            d.fix
                .as_ref()
                .is_some_and(|f| f.applicability == Applicability::Safe)
        })
        .count();
    format!(
        "{} finding{} ({}){}\n",
        diags.len(),
        if diags.len() == 1 { "" } else { "s" },
        parts.join(", "),
        if fixable > 0 {
            format!("; {fixable} with a safe fix")
        } else {
            String::new()
        }
    )
}

/// The lines holding `start..end` (at most 6, cut to a readable width), the
/// range to underline in them, and the first line's number.
fn frame(source: &[u8], start: usize, end: usize) -> (String, usize, usize, usize) {
    let start = start.min(source.len());
    let end = end.clamp(start, source.len());
    let line_start = source[..start]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let first_line = source[..line_start].iter().filter(|&&b| b == b'\n').count() + 1;
    let mut line_end = source[end..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(source.len(), |i| end + i);
    // At most six lines in a frame.
    if let Some(cut) = source[line_start..line_end]
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(5)
        .map(|(i, _)| line_start + i)
    {
        line_end = cut;
    }
    let end = end.min(line_end);
    let before = String::from_utf8_lossy(&source[line_start..start]).replace('\t', " ");
    let marked = String::from_utf8_lossy(&source[start..end]).replace('\t', " ");
    let after = String::from_utf8_lossy(&source[end..line_end]).replace('\t', " ");
    let text = format!("{before}{marked}{after}");
    let text = text.trim_end_matches('\r').to_string();
    let a = before.len().min(text.len());
    let b = (a + marked.len())
        .max(a + usize::from(a < text.len()))
        .min(text.len());
    (text, a, b, first_line)
}

/// JSON: an array of findings with stable fields.
pub fn json(diags: &[Diagnostic]) -> Value {
    Value::Array(
        diags
            .iter()
            .map(|d| {
                json!({
                    "rule": d.rule,
                    "code": d.code,
                    "severity": d.severity.as_str(),
                    "file": d.file,
                    "line": d.line,
                    "column": d.column,
                    "end_line": d.end_line,
                    "end_column": d.end_column,
                    "message": d.message,
                    "help": d.help,
                    "fix": d.fix.as_ref().map(|f| json!({
                        "applicability": applicability(f.applicability),
                        "message": f.message,
                        "target": f.target.as_str(),
                        "file": f.target.path(&d.file),
                        "edits": f.edits.iter().map(|e| json!({
                            "start": e.start, "end": e.end, "content": e.content,
                        })).collect::<Vec<_>>(),
                    })),
                })
            })
            .collect(),
    )
}

/// SARIF 2.1.0: one run, every rule described, one result per finding.
pub fn sarif(diags: &[Diagnostic]) -> Value {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|r| {
            json!({
                "id": r.code,
                "name": r.name,
                "shortDescription": { "text": r.summary },
                "fullDescription": { "text": r.doc() },
                "defaultConfiguration": { "level": level(r.severity) },
            })
        })
        .collect();
    let results: Vec<Value> = diags
        .iter()
        .map(|d| {
            let mut message = d.message.clone();
            if let Some(h) = &d.help {
                message.push_str(&format!(" ({h})"));
            }
            json!({
                "ruleId": d.code,
                "ruleIndex": RULES.iter().position(|r| r.code == d.code).unwrap_or(0),
                "level": level(d.severity),
                "message": { "text": message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": d.file.replace('\\', "/") },
                        "region": {
                            "startLine": d.line,
                            "startColumn": d.column,
                            "endLine": d.end_line,
                            "endColumn": d.end_column,
                        }
                    }
                }],
                "properties": { "rule": d.rule },
                "fixes": d.fix.iter().filter(|f| !f.edits.is_empty()).map(|f| json!({
                    "description": { "text": format!("{} ({})", f.message, applicability(f.applicability)) },
                    "artifactChanges": [{
                        "artifactLocation": { "uri": f.target.path(&d.file).replace('\\', "/") },
                        "replacements": f.edits.iter().map(|e| json!({
                            "deletedRegion": { "byteOffset": e.start, "byteLength": e.end - e.start },
                            "insertedContent": { "text": e.content },
                        })).collect::<Vec<_>>(),
                    }],
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "hoist",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }]
    })
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// GitHub workflow commands: `::warning file=F,line=L,col=C,title=T::message`.
pub fn github(diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diags {
        let kind = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let mut message = d.message.clone();
        if let Some(h) = &d.help {
            message.push_str(&format!("; {h}"));
        }
        out.push_str(&format!(
            "::{kind} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
            property(&d.file),
            d.line,
            d.column,
            d.end_line,
            d.end_column,
            property(&format!("{} ({})", d.rule, d.code)),
            data(&message)
        ));
    }
    out
}

/// Escaping of workflow command data.
fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escaping of workflow command properties.
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}
