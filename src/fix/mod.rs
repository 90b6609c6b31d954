//! `hoist fix`: apply the rules' fixes to a Dockerfile.
//!
//! A fix is a set of byte-span [`Edit`]s against the file as it was checked.
//! Each round checks the file, takes the applicable fixes in position order,
//! keeps those whose edits touch none of the fixes already taken (a fix is
//! applied whole or not at all), applies them, and parses, types and models
//! the result again. Rounds go on until no applicable fix remains or
//! [`MAX_ROUNDS`] have run. Bytes outside the edited spans are copied as they
//! are; which lines a span covers (comments travel with the instruction they
//! describe) is the rules' business (`Input::block_span`).

use crate::model::{self, BuildOptions};
use crate::rules::{self, Applicability, Config, Diagnostic, Edit, Facts, Fix, Target};
use crate::syntax;

/// Rounds of check-and-apply before giving up on reaching a fixed point.
pub const MAX_ROUNDS: usize = 10;

/// Which fixes to apply.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Apply `unsafe` fixes too (never `display-only` ones).
    pub unsafe_fixes: bool,
}

impl Options {
    /// May this fix be applied?
    pub fn allows(&self, fix: &Fix) -> bool {
        match fix.applicability {
            Applicability::Safe => true,
            Applicability::Unsafe => self.unsafe_fixes,
            Applicability::DisplayOnly => false,
        }
    }
}

/// One fix that was applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub rule: &'static str,
    pub code: &'static str,
    /// The line of the finding, in the file as of the round that fixed it.
    pub line: usize,
    pub applicability: Applicability,
    pub message: String,
    /// 1-based.
    pub round: usize,
}

/// The result of fixing one file.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The file after every applied fix.
    pub source: Vec<u8>,
    pub applied: Vec<Applied>,
    /// Rounds that applied something.
    pub rounds: usize,
    /// False when fixes were still applicable after [`MAX_ROUNDS`] rounds, or
    /// when the fixes went back to an earlier state of the file.
    pub converged: bool,
    /// The findings on the fixed file.
    pub remaining: Vec<Diagnostic>,
    /// The ignore file after the applied ignore-file fixes; `None` when none
    /// was applied.
    pub ignore: Option<Vec<u8>>,
}

impl Outcome {
    pub fn changed(&self, original: &[u8]) -> bool {
        self.source != original
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FixError {
    /// The file as given does not parse or model: nothing to fix.
    #[error("{0}")]
    Syntax(syntax::SyntaxError),
    #[error("{0}")]
    Model(model::ModelError),
    /// A rule produced edits outside the file or overlapping each other.
    #[error("the fix of {rule} ({code}) has an invalid edit {start}..{end} (file of {len} bytes)")]
    BadEdit {
        rule: &'static str,
        code: &'static str,
        start: usize,
        end: usize,
        len: usize,
    },
    /// Applying the fixes of a round left a file hoist cannot read: a rule bug.
    #[error(
        "refused: applying {fixes} would leave a file hoist cannot read ({}{message}); nothing was written",
        if *line > 0 { format!("line {line}, column {column}: ") } else { String::new() }
    )]
    Broken {
        fixes: String,
        line: usize,
        column: usize,
        message: String,
        /// The text that failed, for debugging.
        text: Vec<u8>,
    },
}

/// The findings of the enabled rules on `source`.
pub fn check(
    path: &str,
    source: &[u8],
    facts: &Facts,
    config: &Config,
) -> Result<Vec<Diagnostic>, FixError> {
    let file = syntax::parse(source).map_err(FixError::Syntax)?;
    let typed = syntax::typed::typed(&file).map_err(FixError::Syntax)?;
    let build = model::build(&file, &BuildOptions::default()).map_err(|e| match e {
        model::ModelError::Syntax(s) => FixError::Syntax(s),
        e => FixError::Model(e),
    })?;
    let input = rules::Input {
        path,
        file: &file,
        typed: &typed,
        build: &build,
        facts,
        config,
    };
    Ok(rules::check(&input))
}

/// Do two edits touch? Closed intervals: an insertion at the boundary of
/// another edit counts, since the order of the two would be ambiguous.
fn touch(a: &Edit, b: &Edit) -> bool {
    a.start <= b.end && b.start <= a.end
}

/// The applicable fixes of `diags`, in order, keeping only those whose edits
/// touch no edit of a fix kept before them.
pub fn select<'d>(diags: &'d [Diagnostic], opts: &Options) -> Vec<&'d Diagnostic> {
    let mut taken: Vec<(&Target, &Edit)> = Vec::new();
    let mut out = Vec::new();
    for d in diags {
        let Some(fix) = &d.fix else { continue };
        if !opts.allows(fix) || fix.edits.is_empty() {
            continue;
        }
        if fix.edits.iter().any(|e| {
            taken
                .iter()
                .any(|(target, t)| **target == fix.target && touch(e, t))
        }) {
            continue;
        }
        taken.extend(fix.edits.iter().map(|e| (&fix.target, e)));
        out.push(d);
    }
    out
}

/// `source` with `edits` applied. Edits must lie inside the file and not
/// overlap (an insertion may sit at the start or end of another edit; among
/// edits at the same offset, insertions come first, in the given order).
pub fn apply_edits(source: &[u8], edits: &[Edit]) -> Result<Vec<u8>, (usize, usize)> {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.start, e.end));
    let mut out = Vec::with_capacity(source.len());
    let mut at = 0;
    for e in sorted {
        if e.start > e.end || e.end > source.len() || e.start < at {
            return Err((e.start, e.end));
        }
        out.extend_from_slice(&source[at..e.start]);
        out.extend_from_slice(e.content.as_bytes());
        at = e.end;
    }
    out.extend_from_slice(&source[at..]);
    Ok(out)
}

/// Fix one file: rounds of check, select, apply and re-parse, until no
/// applicable fix remains or [`MAX_ROUNDS`] have run.
pub fn fix_source(
    path: &str,
    source: &[u8],
    facts: &Facts,
    config: &Config,
    opts: &Options,
) -> Result<Outcome, FixError> {
    let ignore = facts.churn.as_ref().map_or(&[][..], |c| &c.ignore_text[..]);
    fix_with(source, ignore, opts, |text| {
        check(path, text, facts, config)
    })
}

/// [`fix_source`] with the check given: it must parse, type and model the
/// text (an `Err` after a round refuses the fixes of that round).
/// `ignore_source` is the ignore file that [`Target::IgnoreFile`] edits are
/// against. Its fixes are applied in one round only: the check does not see
/// the ignore file, so later rounds would offer the same edit again.
pub fn fix_with(
    source: &[u8],
    ignore_source: &[u8],
    opts: &Options,
    mut check: impl FnMut(&[u8]) -> Result<Vec<Diagnostic>, FixError>,
) -> Result<Outcome, FixError> {
    let mut current = source.to_vec();
    let mut seen: Vec<Vec<u8>> = vec![current.clone()];
    let mut applied = Vec::new();
    let mut diags = check(&current)?;
    let mut rounds = 0;
    let mut converged = true;
    let mut ignore: Option<Vec<u8>> = None;
    loop {
        let mut chosen = select(&diags, opts);
        if ignore.is_some() {
            chosen.retain(|d| {
                d.fix
                    .as_ref()
                    .is_some_and(|f| f.target == Target::Dockerfile)
            });
        }
        if chosen.is_empty() {
            break;
        }
        if rounds == MAX_ROUNDS {
            converged = false;
            break;
        }
        rounds += 1;
        let mut edits = Vec::new();
        let mut ignore_edits = Vec::new();
        for d in &chosen {
            let fix = d.fix.as_ref().expect("selected fixes exist");
            let len = match fix.target {
                Target::Dockerfile => current.len(),
                Target::IgnoreFile(_) => ignore_source.len(),
            };
            for e in &fix.edits {
                if e.start > e.end || e.end > len {
                    return Err(FixError::BadEdit {
                        rule: d.rule,
                        code: d.code,
                        start: e.start,
                        end: e.end,
                        len,
                    });
                }
            }
            match fix.target {
                Target::Dockerfile => edits.extend(fix.edits.iter().cloned()),
                Target::IgnoreFile(_) => ignore_edits.extend(fix.edits.iter().cloned()),
            }
        }
        let bad = |(start, end), len| FixError::BadEdit {
            rule: chosen[0].rule,
            code: chosen[0].code,
            start,
            end,
            len,
        };
        let next = apply_edits(&current, &edits).map_err(|e| bad(e, current.len()))?;
        if !ignore_edits.is_empty() {
            ignore = Some(
                apply_edits(ignore_source, &ignore_edits)
                    .map_err(|e| bad(e, ignore_source.len()))?,
            );
        }
        let names = || {
            chosen
                .iter()
                .map(|d| format!("{} ({}, line {})", d.rule, d.code, d.line))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let next_diags = match check(&next) {
            Ok(d) => d,
            Err(FixError::Syntax(e)) => {
                return Err(FixError::Broken {
                    fixes: names(),
                    line: e.line,
                    column: e.column,
                    message: e.message,
                    text: next,
                });
            }
            Err(e) => {
                return Err(FixError::Broken {
                    fixes: names(),
                    line: 0,
                    column: 0,
                    message: e.to_string(),
                    text: next,
                });
            }
        };
        for d in &chosen {
            let fix = d.fix.as_ref().expect("selected fixes exist");
            applied.push(Applied {
                rule: d.rule,
                code: d.code,
                line: d.line,
                applicability: fix.applicability,
                message: fix.message.clone(),
                round: rounds,
            });
        }
        if next == current {
            // The Dockerfile edits changed nothing: applying them again would
            // not either (an ignore-file fix is not offered again).
            if ignore_edits.is_empty() {
                break;
            }
            diags = next_diags;
            continue;
        }
        if seen.contains(&next) {
            // Back to an earlier state: the fixes undo each other.
            current = next;
            diags = next_diags;
            converged = false;
            break;
        }
        seen.push(next.clone());
        current = next;
        diags = next_diags;
    }
    Ok(Outcome {
        source: current,
        applied,
        rounds,
        converged,
        remaining: diags,
        ignore,
    })
}

/// A unified diff of `old` and `new` (3 lines of context), with `a/` and `b/`
/// headers for `path`; empty when they are equal.
pub fn unified_diff(path: &str, old: &[u8], new: &[u8]) -> String {
    if old == new {
        return String::new();
    }
    let old = String::from_utf8_lossy(old);
    let new = String::from_utf8_lossy(new);
    let diff = similar::TextDiff::from_lines(old.as_ref(), new.as_ref());
    let mut out = diff
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .missing_newline_hint(true)
        .to_string();
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(start: usize, end: usize, content: &str) -> Edit {
        Edit {
            start,
            end,
            content: content.to_string(),
        }
    }

    #[test]
    fn applies_edits_by_span() {
        let src = b"abcdef";
        let out = apply_edits(src, &[edit(4, 5, "X"), edit(0, 0, ">"), edit(1, 3, "")]).unwrap();
        assert_eq!(out, b">adXf");
        assert_eq!(
            apply_edits(src, &[edit(1, 3, ""), edit(2, 4, "")]),
            Err((2, 4))
        );
        assert_eq!(apply_edits(src, &[edit(5, 9, "")]), Err((5, 9)));
        // An insertion at the start of a deletion goes before it.
        assert_eq!(
            apply_edits(src, &[edit(2, 4, ""), edit(2, 2, "+")]).unwrap(),
            b"ab+ef"
        );
    }

    fn diag(line: usize, applicability: Applicability, edits: Vec<Edit>) -> Diagnostic {
        Diagnostic {
            rule: "test-rule",
            code: "HC999",
            severity: rules::Severity::Warning,
            file: "Dockerfile".into(),
            span: crate::syntax::Span::new(0, 0),
            line,
            column: 1,
            end_line: line,
            end_column: 1,
            message: "m".into(),
            help: None,
            fix: Some(Fix {
                applicability,
                target: crate::rules::Target::Dockerfile,
                message: "f".into(),
                edits,
            }),
        }
    }

    /// A checker that parses like the real one and reports what `rule` says.
    fn checker(
        rule: impl Fn(&[u8]) -> Vec<Diagnostic>,
    ) -> impl FnMut(&[u8]) -> Result<Vec<Diagnostic>, FixError> {
        move |text| {
            let file = syntax::parse(text).map_err(FixError::Syntax)?;
            syntax::typed::typed(&file).map_err(FixError::Syntax)?;
            Ok(rule(text))
        }
    }

    const UNSAFE: Options = Options { unsafe_fixes: true };

    #[test]
    fn a_fix_that_breaks_the_file_is_refused() {
        let src = b"FROM alpine\nRUN true\n";
        let rule = |t: &[u8]| {
            if t.starts_with(b"FROM") {
                vec![diag(1, Applicability::Safe, vec![edit(0, 4, "FORM")])]
            } else {
                vec![]
            }
        };
        match fix_with(src, b"", &UNSAFE, checker(rule)) {
            Err(FixError::Broken { fixes, line, .. }) => {
                assert!(fixes.contains("test-rule (HC999, line 1)"), "{fixes}");
                assert_eq!(line, 1);
            }
            other => panic!("{other:?}"),
        }
        // A broken typed view is refused too.
        let rule = |t: &[u8]| {
            if t.ends_with(b"RUN true\n") {
                vec![diag(
                    2,
                    Applicability::Safe,
                    vec![edit(12, 15, "RUN --mount=type=nope")],
                )]
            } else {
                vec![]
            }
        };
        assert!(matches!(
            fix_with(src, b"", &UNSAFE, checker(rule)),
            Err(FixError::Broken { .. })
        ));
    }

    #[test]
    fn rounds_stop_at_the_limit_and_on_a_cycle() {
        let src = b"FROM alpine\n";
        // Always one more line to add: stops after MAX_ROUNDS, not converged.
        let rule = |t: &[u8]| {
            vec![diag(
                1,
                Applicability::Safe,
                vec![edit(t.len(), t.len(), "RUN true\n")],
            )]
        };
        let out = fix_with(src, b"", &UNSAFE, checker(rule)).unwrap();
        assert_eq!(out.rounds, MAX_ROUNDS);
        assert!(!out.converged);
        assert_eq!(out.applied.len(), MAX_ROUNDS);
        // Two states that flip into each other.
        let rule = |t: &[u8]| {
            let to = if t.ends_with(b"RUN a\n") {
                "RUN b\n"
            } else {
                "RUN a\n"
            };
            let at = t.len() - 6;
            if t.len() > 12 {
                vec![diag(2, Applicability::Safe, vec![edit(at, t.len(), to)])]
            } else {
                vec![diag(
                    1,
                    Applicability::Safe,
                    vec![edit(t.len(), t.len(), "RUN a\n")],
                )]
            }
        };
        let out = fix_with(src, b"", &UNSAFE, checker(rule)).unwrap();
        assert!(!out.converged);
        assert!(out.rounds < MAX_ROUNDS);
        // Unsafe and display-only fixes are held back as asked.
        let rule = |t: &[u8]| {
            if t.len() == src.len() {
                vec![
                    diag(
                        1,
                        Applicability::Unsafe,
                        vec![edit(t.len(), t.len(), "RUN u\n")],
                    ),
                    diag(1, Applicability::DisplayOnly, vec![edit(0, 0, "# d\n")]),
                ]
            } else {
                vec![]
            }
        };
        let safe = fix_with(src, b"", &Options::default(), checker(rule)).unwrap();
        assert_eq!(safe.source, src);
        let all = fix_with(src, b"", &UNSAFE, checker(rule)).unwrap();
        assert_eq!(all.source, b"FROM alpine\nRUN u\n");
    }

    #[test]
    fn touching_edits_conflict() {
        assert!(touch(&edit(2, 4, ""), &edit(4, 4, "x")));
        assert!(touch(&edit(2, 4, ""), &edit(3, 6, "")));
        assert!(!touch(&edit(2, 4, ""), &edit(5, 6, "")));
    }
}
