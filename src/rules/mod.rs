//! Cache rules: one file per rule, each with its documentation, detection and
//! fix. Rules read the model (steps, inputs, origins), never the raw text.

use std::collections::BTreeSet;

use crate::model::{Build, Origin, Step, StepKind};
use crate::syntax::typed::{Command, CommandLine, Typed};
use crate::syntax::{Dockerfile, Instruction, Item, Span};

pub mod cache_mount_on_ephemeral_ci;
pub mod classify;
pub mod config;
pub mod context_churn;
pub mod dependency_install_after_source_copy;
pub mod download_in_manifest_chain;
pub mod effects;
pub mod independent_step_after_source_copy;
pub mod low_value_layer;
pub mod swallowed_failure;
pub mod tidy_without_sources;
pub mod unpinned_base_image;
pub mod volatile_arg_too_early;

pub use config::Config;

/// How much a finding matters; `Ord` from least to most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "info" => Some(Severity::Info),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

/// Whether a fix may be applied without review (ruff's applicability).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Applicability {
    /// Builds the same image, faster.
    Safe,
    /// Likely right, but may change what the image holds: review it.
    Unsafe,
    /// A suggestion to show; it cannot be applied as is.
    DisplayOnly,
}

/// Replace the bytes `start..end` with `content` (an insertion when empty).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Edit {
    pub start: usize,
    pub end: usize,
    pub content: String,
}

/// The file a fix edits.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Target {
    /// The Dockerfile checked.
    #[default]
    Dockerfile,
    /// Its ignore file, by name in the Dockerfile's directory
    /// (`Churn::ignore_file`); the edits are against `Churn::ignore_text`.
    IgnoreFile(String),
}

impl Target {
    /// The path of the edited file, given the Dockerfile's.
    pub fn path(&self, dockerfile: &str) -> String {
        match self {
            Target::Dockerfile => dockerfile.to_string(),
            Target::IgnoreFile(name) => {
                let joined = match dockerfile.rsplit_once(['/', '\\']) {
                    Some((dir, _)) => format!("{dir}/{name}"),
                    None => name.clone(),
                };
                // `docker/../.dockerignore` → `.dockerignore`
                let mut parts: Vec<&str> = Vec::new();
                for p in joined.split('/') {
                    match p {
                        "." => {}
                        ".." if parts.last().is_some_and(|l| *l != ".." && !l.is_empty()) => {
                            parts.pop();
                        }
                        p => parts.push(p),
                    }
                }
                parts.join("/")
            }
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Target::Dockerfile => "dockerfile",
            Target::IgnoreFile(_) => "ignore-file",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Fix {
    pub applicability: Applicability,
    /// The file the edits apply to.
    pub target: Target,
    /// What the fix does, in one sentence.
    pub message: String,
    /// Non-overlapping byte-span edits against the original file.
    pub edits: Vec<Edit>,
}

impl Fix {
    /// The file with the edits applied.
    pub fn apply(&self, source: &[u8]) -> Vec<u8> {
        let mut edits = self.edits.clone();
        edits.sort_by_key(|e| (e.start, e.end));
        let mut out = Vec::with_capacity(source.len());
        let mut at = 0;
        for e in &edits {
            out.extend_from_slice(&source[at..e.start.max(at)]);
            out.extend_from_slice(e.content.as_bytes());
            at = e.end.max(at);
        }
        out.extend_from_slice(&source[at..]);
        out
    }
}

/// What a rule reports, before selection and suppression.
#[derive(Debug, Clone)]
pub struct Finding {
    /// Bytes to underline.
    pub span: Span,
    pub message: String,
    pub help: Option<String>,
    pub fix: Option<Fix>,
}

/// A finding of a rule in a file, ready to report.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Diagnostic {
    pub rule: &'static str,
    pub code: &'static str,
    pub severity: Severity,
    pub file: String,
    #[serde(skip)]
    pub span: Span,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub message: String,
    pub help: Option<String>,
    pub fix: Option<Fix>,
}

/// One rule: its identity, its default severity, its documentation and its check.
pub struct Rule {
    pub name: &'static str,
    pub code: &'static str,
    pub severity: Severity,
    /// One line: what it finds.
    pub summary: &'static str,
    /// The rule's source file: its documentation is the doc comment on `RULE`.
    pub source: &'static str,
    pub check: fn(&Input) -> Vec<Finding>,
}

impl Rule {
    /// The documentation (What it does / Why is this bad? / Example / Use
    /// instead / Fix safety): the `///` comment above `pub const RULE`.
    pub fn doc(&self) -> String {
        let mut lines: Vec<&str> = Vec::new();
        for line in self.source.lines() {
            if let Some(rest) = line.strip_prefix("///") {
                lines.push(rest.strip_prefix(' ').unwrap_or(rest));
            } else if line.starts_with("pub const RULE") {
                break;
            } else {
                lines.clear();
            }
        }
        let mut out = lines.join("\n");
        out.push('\n');
        out
    }
}

/// Every rule, in code order.
pub const RULES: &[Rule] = &[
    volatile_arg_too_early::RULE,
    dependency_install_after_source_copy::RULE,
    independent_step_after_source_copy::RULE,
    tidy_without_sources::RULE,
    swallowed_failure::RULE,
    unpinned_base_image::RULE,
    cache_mount_on_ephemeral_ci::RULE,
    download_in_manifest_chain::RULE,
    context_churn::RULE,
    low_value_layer::RULE,
];

/// A rule by name or code.
pub fn find(name: &str) -> Option<&'static Rule> {
    RULES
        .iter()
        .find(|r| r.name == name || r.code.eq_ignore_ascii_case(name))
}

/// What the repository around the Dockerfile says (workflows, configuration).
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// Build args whose value changes on every build.
    pub volatile_args: BTreeSet<String>,
    /// When CI builds this Dockerfile on ephemeral runners with an exported
    /// cache: where that was read (a workflow file).
    pub ephemeral_ci: Option<String>,
    /// What the recent history changed in the build context, when known.
    pub churn: Option<Churn>,
    /// The build context, relative to the repository root, when a CI
    /// workflow names it (else the Dockerfile's directory is assumed).
    pub context: Option<String>,
    /// The top of the build context holds symbolic links (a `COPY` brings
    /// them, and paths through them are not seen).
    pub context_links: bool,
    /// Names of the files at the top of the build context (the Dockerfile's
    /// directory), when known: which manifests a fix can copy.
    pub context_files: Option<std::sync::Arc<BTreeSet<String>>>,
    /// Measured seconds of each step when it ran (median), by (stage name,
    /// instruction) as the timings store keys them; empty when unmeasured.
    pub step_seconds: std::collections::BTreeMap<(String, String), f64>,
}

/// Recent commits of the repository as seen from the build context.
#[derive(Debug, Clone, Default)]
pub struct Churn {
    /// Commits walked whose changes reach the context (after the ignore file).
    pub commits: usize,
    /// For each of those commits that changed only documentation, CI or test
    /// paths: those paths, relative to the context.
    pub docs_only: Vec<Vec<String>>,
    /// The ignore file, for messages (`.dockerignore`, `Dockerfile.dockerignore`).
    pub ignore_file: String,
    /// Its bytes (empty when there is none): what an ignore-file fix edits.
    pub ignore_text: Vec<u8>,
}

/// Names of build args that usually carry a per-build value.
pub const VOLATILE_ARG_NAMES: &[&str] = &[
    "VERSION",
    "APP_VERSION",
    "BUILD_VERSION",
    "COMMIT",
    "COMMIT_SHA",
    "GIT_COMMIT",
    "GIT_SHA",
    "GIT_REVISION",
    "GIT_DESCRIBE",
    "SHA",
    "REVISION",
    "VCS_REF",
    "SOURCE_COMMIT",
    "BUILD_DATE",
    "BUILD_TIME",
    "BUILD_TIMESTAMP",
    "BUILD_NUMBER",
    "BUILD_ID",
    "CI_COMMIT_SHA",
    "CI_COMMIT_SHORT_SHA",
    "GITHUB_SHA",
    "GIT_HEAD",
    "GIT_HASH",
    "COMMIT_HASH",
    "GIT_COMMIT_SHA",
    "BUILD_HASH",
];

/// One instruction of a stage and the step it became, if any.
pub struct Entry<'t, 'a> {
    pub typed: &'t Typed<'a>,
    pub step: Option<usize>,
}

/// What a rule reads: the file, its typed view, its model, and the repository's facts.
pub struct Input<'t, 'a> {
    pub path: &'t str,
    pub file: &'a Dockerfile,
    pub typed: &'t [Typed<'a>],
    pub build: &'t Build,
    pub facts: &'t Facts,
    pub config: &'t Config,
}

impl<'t, 'a> Input<'t, 'a> {
    /// The instructions of each stage (FROM first), with their steps.
    pub fn stages(&self) -> Vec<Vec<Entry<'t, 'a>>> {
        let mut out: Vec<Vec<Entry>> = Vec::new();
        for t in self.typed {
            if matches!(t.command, Command::From(_)) {
                out.push(Vec::new());
            }
            let Some(stage) = out.len().checked_sub(1) else {
                continue;
            };
            let step = self.build.stages.get(stage).and_then(|s| {
                s.steps
                    .iter()
                    .copied()
                    .find(|&i| self.build.steps[i].line == t.node.start_line)
            });
            out[stage].push(Entry { typed: t, step });
        }
        out
    }

    /// Is this arg name volatile (changes on every build)?
    pub fn is_volatile(&self, name: &str) -> bool {
        VOLATILE_ARG_NAMES.contains(&name.to_ascii_uppercase().as_str())
            || self.facts.volatile_args.contains(name)
            || self.config.volatile_args.iter().any(|a| a == name)
    }

    /// The text of an instruction, from its first byte through its last newline.
    pub fn text(&self, node: &Instruction) -> String {
        String::from_utf8_lossy(self.file.text(node.span)).into_owned()
    }

    /// The file's line ending (`\r\n` when its first line ends so), for
    /// lines a fix writes.
    pub fn eol(&self) -> &'static str {
        let src = &self.file.source;
        match src.iter().position(|&b| b == b'\n') {
            Some(i) if i > 0 && src[i - 1] == b'\r' => "\r\n",
            _ => "\n",
        }
    }

    /// The text of a span, ending with a line ending even when it is the
    /// last line of a file without one (moved elsewhere, it must not run
    /// into the next instruction).
    pub fn block_text(&self, span: Span) -> String {
        let mut text = String::from_utf8_lossy(self.file.text(span)).into_owned();
        if !text.ends_with('\n') {
            text.push_str(self.eol());
        }
        text
    }

    /// The span to delete when a block moves away: the block, and one blank
    /// line after it when a blank line also precedes it (so that removing it
    /// does not leave two blank lines where there was one).
    pub fn removal_span(&self, block: Span) -> Span {
        let src = &self.file.source;
        let head = &src[..block.start];
        let blank_before = head.ends_with(b"\n\n") || head.ends_with(b"\n\r\n");
        let after = &src[block.end.min(src.len())..];
        let blank_after = if after.starts_with(b"\r\n") {
            Some(2)
        } else if after.starts_with(b"\n") {
            Some(1)
        } else {
            None
        };
        match blank_after {
            Some(n) if blank_before => Span::new(block.start, block.end + n),
            _ => block,
        }
    }

    /// The span of the instruction's own first line, without the newline.
    pub fn head_span(&self, node: &Instruction) -> Span {
        let text = self.file.text(node.span);
        let end = text.iter().position(|&b| b == b'\n').unwrap_or(text.len());
        let end = end - usize::from(end > 0 && text[end - 1] == b'\r');
        Span::new(node.span.start, node.span.start + end)
    }

    /// The span of the instruction with the comment lines directly above it:
    /// comments travel with the line they describe.
    pub fn block_span(&self, node: &Instruction) -> Span {
        let mut start = node.span.start;
        let mut prev: Option<Span> = None;
        for item in &self.file.items {
            match item {
                Item::Instruction(i) if i.span == node.span => break,
                Item::Trivia(t) if t.kind == crate::syntax::tree::TriviaKind::Comment => {
                    prev = Some(prev.map_or(t.span, |p| Span::new(p.start, t.span.end)));
                }
                _ => prev = None,
            }
        }
        if let Some(p) = prev
            && p.end == node.span.start
        {
            start = p.start;
        }
        Span::new(start, node.span.end)
    }
}

/// The command a RUN step runs, as the model keyed it (shell text or exec argv).
pub fn run_command(step: &Step) -> Option<String> {
    if step.kind != StepKind::Run {
        return None;
    }
    let mut text = step
        .definition
        .iter()
        .find(|c| c.name == "command")
        .map(|c| {
            c.value
                .strip_prefix("shell ")
                .or_else(|| c.value.strip_prefix("exec "))
                .unwrap_or(&c.value)
                .to_string()
        })?;
    for c in &step.definition {
        if c.name.starts_with("heredoc ") {
            text.push('\n');
            text.push_str(&c.value);
        }
    }
    Some(text)
}

/// The command of a typed RUN (for instructions, not steps).
pub fn typed_command(t: &Typed) -> Option<String> {
    match &t.command {
        Command::Run(run) => Some(match &run.command {
            CommandLine::Shell(s) => s.clone(),
            CommandLine::Exec(args) => args.join(" "),
        }),
        _ => None,
    }
}

/// The steps before `step` in its chain (its stage and the stages it is built
/// `FROM`), nearest first.
pub fn prior_steps(build: &Build, step: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let mut at = build.steps[step].parent;
    while let Some(p) = at {
        if out.contains(&p) {
            break;
        }
        out.push(p);
        at = build.steps[p].parent;
    }
    out
}

/// Does `text` expand the variable `name` (`$NAME`, `${NAME}`, `${NAME:-x}`)?
pub fn references(text: &str, name: &str) -> bool {
    // `${#NAME}`, `${!NAME}`, and arithmetic `$(( NAME + 1 ))` name it bare.
    if text.contains(&format!("${{#{name}")) || text.contains(&format!("${{!{name}")) {
        return true;
    }
    let mut from = 0;
    while let Some(p) = text[from..].find("$((") {
        let start = from + p + 3;
        let end = text[start..].find("))").map_or(text.len(), |e| start + e);
        let inner = &text[start..end];
        if inner
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .any(|w| w == name)
        {
            return true;
        }
        from = start;
    }
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(p) = text[i..].find('$') {
        let at = i + p + 1;
        let rest = &text[at..];
        let (body, braced) = match rest.strip_prefix('{') {
            Some(r) => (r, true),
            None => (rest, false),
        };
        if let Some(after) = body.strip_prefix(name) {
            let next = after.bytes().next();
            let ok = if braced {
                matches!(
                    next,
                    Some(b'}' | b':' | b'-' | b'+' | b'?' | b'#' | b'%' | b'/')
                )
            } else {
                !matches!(next, Some(c) if c.is_ascii_alphanumeric() || c == b'_')
            };
            if ok {
                return true;
            }
        }
        i = at;
        if i >= bytes.len() {
            break;
        }
    }
    false
}

/// Is the step keyed on the build arg declared at `line` named `name`?
pub fn keyed_on_arg(step: &Step, name: &str, line: usize) -> bool {
    step.definition
        .iter()
        .any(|c| matches!(&c.origin, Origin::Arg { name: n, line: l } if n == name && *l == line))
}

/// The simple commands of a shell text: split at `&&`, `||`, `;`, `|`,
/// newlines, with leading `VAR=value` assignments removed; each as its words.
pub fn simple_commands(text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut chars = text.chars().peekable();
    let flush_word = |word: &mut String, words: &mut Vec<String>| {
        if !word.is_empty() {
            words.push(std::mem::take(word));
        }
    };
    let flush_cmd = |words: &mut Vec<String>, out: &mut Vec<Vec<String>>| {
        let w: Vec<String> = std::mem::take(words)
            .into_iter()
            .skip_while(|w| {
                matches!(
                    w.as_str(),
                    "do" | "then" | "else" | "elif" | "if" | "while" | "until" | "!" | "{" | "time"
                )
            })
            .skip_while(|w| {
                w.contains('=')
                    && w.split('=').next().is_some_and(|n| {
                        !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    })
            })
            .collect();
        if !w.is_empty() {
            out.push(w);
        }
    };
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                if c == q {
                    quote = None;
                } else if c == '\\' && q == '"' {
                    if let Some(n) = chars.next() {
                        word.push(n);
                    }
                } else {
                    word.push(c);
                }
            }
            None => match c {
                '\'' | '"' => quote = Some(c),
                '\\' => {
                    if let Some(n) = chars.next()
                        && n != '\n'
                    {
                        word.push(n);
                    }
                }
                ' ' | '\t' => flush_word(&mut word, &mut words),
                // A redirection is a word of its own (`>`, `>>`, `2>`, `&>`,
                // `<`, `2>&1` as `2>&` `1`), glued to its target or not.
                '>' | '<' => {
                    let fd = !word.is_empty() && word.chars().all(|ch| ch.is_ascii_digit());
                    let mut op = if fd {
                        std::mem::take(&mut word)
                    } else {
                        flush_word(&mut word, &mut words);
                        String::new()
                    };
                    op.push(c);
                    while let Some(&n) = chars.peek() {
                        if n == '>' || n == '&' || n == '|' {
                            op.push(n);
                            chars.next();
                        } else {
                            break;
                        }
                    }
                    words.push(op);
                }
                '&' if chars.peek() == Some(&'>') => {
                    flush_word(&mut word, &mut words);
                    word.push('&');
                    let mut op = std::mem::take(&mut word);
                    while let Some(&n) = chars.peek() {
                        if n == '>' || n == '&' {
                            op.push(n);
                            chars.next();
                        } else {
                            break;
                        }
                    }
                    words.push(op);
                }
                ';' | '\n' | '|' | '&' | '(' | ')' => {
                    flush_word(&mut word, &mut words);
                    flush_cmd(&mut words, &mut out);
                }
                _ => word.push(c),
            },
        }
    }
    flush_word(&mut word, &mut words);
    flush_cmd(&mut words, &mut out);
    out
}

/// Runs every selected rule on one file; applies inline suppressions and the
/// configured severities. Sorted by position, then code.
pub fn check(input: &Input) -> Vec<Diagnostic> {
    let suppressed = suppressions(input.file);
    let mut out = Vec::new();
    for rule in RULES {
        if !input.config.enabled(rule) {
            continue;
        }
        let severity = input.config.severity(rule);
        for f in (rule.check)(input) {
            let pos = input.file.position(f.span.start);
            let end = input.file.position(f.span.end);
            if suppressed
                .iter()
                .any(|(line, names)| *line == pos.line && names.iter().any(|n| rule_is(rule, n)))
                || suppressed_at(input, f.span.start, &suppressed, rule)
            {
                continue;
            }
            out.push(Diagnostic {
                rule: rule.name,
                code: rule.code,
                severity,
                file: input.path.to_string(),
                span: f.span,
                line: pos.line,
                column: pos.column,
                end_line: end.line,
                end_column: end.column,
                message: f.message,
                help: f.help,
                fix: f.fix,
            });
        }
    }
    out.sort_by(|a, b| (a.line, a.column, a.code).cmp(&(b.line, b.column, b.code)));
    out
}

fn rule_is(rule: &Rule, name: &str) -> bool {
    name == "all" || rule.name == name || rule.code.eq_ignore_ascii_case(name)
}

/// A finding inside an instruction is suppressed by a comment above the instruction.
fn suppressed_at(input: &Input, offset: usize, sup: &[(usize, Vec<String>)], rule: &Rule) -> bool {
    input
        .file
        .instructions()
        .find(|i| i.span.start <= offset && offset < i.span.end.max(i.span.start + 1))
        .is_some_and(|i| {
            sup.iter().any(|(line, names)| {
                *line == i.start_line && names.iter().any(|n| rule_is(rule, n))
            })
        })
}

/// `# hoist ignore=NAME[,NAME]` comments: the line of the instruction they precede
/// (comment lines directly above it count) and the names.
fn suppressions(file: &Dockerfile) -> Vec<(usize, Vec<String>)> {
    let mut out = Vec::new();
    let mut pending: Vec<String> = Vec::new();
    for item in &file.items {
        match item {
            Item::Trivia(t) => {
                let text = String::from_utf8_lossy(file.text(t.span));
                let body = text.trim().trim_start_matches('#').trim();
                if let Some(rest) = body
                    .strip_prefix("hoist ignore=")
                    .or_else(|| body.strip_prefix("hoist: ignore="))
                {
                    pending.extend(
                        rest.split([',', ' '])
                            .map(str::trim)
                            .filter(|s| !s.is_empty())
                            .map(String::from),
                    );
                } else if t.kind == crate::syntax::tree::TriviaKind::Blank {
                    pending.clear();
                }
            }
            Item::Instruction(i) => {
                if !pending.is_empty() {
                    out.push((i.start_line, std::mem::take(&mut pending)));
                }
            }
        }
    }
    out
}
