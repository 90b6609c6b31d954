//! The parser proper: BuildKit's `parser.Parse` loop, step for step, recording
//! where every piece came from so that the tree is lossless.
//!
//! What BuildKit does and hoist mirrors (rules R2.3, R2.4, R2.9):
//! - lines are read like `bufio.Scanner` with a 64 KiB token limit;
//! - a BOM on the first line is dropped;
//! - parser directives are only read in the leading block of comment lines;
//! - an instruction's first line is left-trimmed; a line ending in the escape
//!   token continues on the next physical line, whose leading white space is kept;
//!   comment lines and empty lines inside a continuation are skipped;
//! - RUN/COPY/ADD (also as ONBUILD triggers) in shell form read heredoc bodies
//!   from the following lines.

use super::error::SyntaxError;
use super::heredoc;
use super::split::{self, Parsed};
use super::text::{leading_space_len, trim_newline_len};
use super::tree::{
    Arg, Directive, Dockerfile, Heredoc, Instruction, Item, LineMap, Span, Trivia, TriviaKind,
    Warning, Word, line_starts, position_in,
};

/// bufio.MaxScanTokenSize: BuildKit cannot read a longer line.
const MAX_LINE: usize = 64 * 1024;

/// Parses a Dockerfile's bytes. Never panics; any input gives a tree or an error.
pub fn parse(source: &[u8]) -> Result<Dockerfile, SyntaxError> {
    Parser::new(source).run()
}

/// Physical lines as `bufio.Scanner` with BuildKit's `scanLines` yields them.
struct Lines<'a> {
    src: &'a [u8],
    pos: usize,
    /// Set when a line exceeded the scanner's buffer: the start of that line.
    too_long: Option<usize>,
    /// Where each line read so far starts (`0`, then after each newline): once
    /// every line is read, the file's [`line_starts`].
    starts: Vec<usize>,
}

impl Lines<'_> {
    fn next_line(&mut self) -> Option<Span> {
        if self.too_long.is_some() || self.pos >= self.src.len() {
            return None;
        }
        let rest = &self.src[self.pos..];
        let len = match rest.iter().position(|&b| b == b'\n') {
            Some(i) if i < MAX_LINE => i + 1,
            // Without a newline, the scanner errors once its full buffer holds no token.
            None if rest.len() < MAX_LINE => rest.len(),
            _ => {
                self.too_long = Some(self.pos);
                return None;
            }
        };
        let span = Span::new(self.pos, self.pos + len);
        self.pos += len;
        if rest[len - 1] == b'\n' {
            self.starts.push(self.pos);
        }
        Some(span)
    }
}

struct Directives {
    escape: u8,
    done: bool,
    found: Vec<Directive>,
}

impl Directives {
    /// `possibleParserDirective`: true when `line` was taken as a directive.
    fn possible(&mut self, line: &[u8], line_no: usize, span: Span) -> Result<bool, String> {
        if self.done {
            return Ok(false);
        }
        let Some((name, value)) = match_directive(line) else {
            self.done = true;
            return Ok(false);
        };
        let name = name.to_ascii_lowercase();
        if !matches!(name.as_str(), "syntax" | "escape" | "check") {
            self.done = true;
            return Ok(false);
        }
        if self.found.iter().any(|d| d.name == name) {
            return Err(format!("only one {name} parser directive can be used"));
        }
        if name == "escape" {
            if value != "`" && value != "\\" {
                return Err(format!(
                    "invalid escape token '{value}' does not match ` or \\"
                ));
            }
            self.escape = value.as_bytes()[0];
        }
        self.found.push(Directive {
            name,
            value,
            line: line_no,
            span,
        });
        Ok(true)
    }
}

/// `^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$` with Go's ASCII `\s`.
fn match_directive(line: &[u8]) -> Option<(String, String)> {
    let is_ws = |b: u8| matches!(b, b'\t' | b'\n' | 0x0C | b'\r' | b' ');
    let mut pos = 1;
    if line.first() != Some(&b'#') {
        return None;
    }
    while pos < line.len() && is_ws(line[pos]) {
        pos += 1;
    }
    let name_start = pos;
    if !line.get(pos)?.is_ascii_alphabetic() {
        return None;
    }
    while pos < line.len() && line[pos].is_ascii_alphanumeric() {
        pos += 1;
    }
    let name = String::from_utf8_lossy(&line[name_start..pos]).into_owned();
    while pos < line.len() && is_ws(line[pos]) {
        pos += 1;
    }
    if line.get(pos) != Some(&b'=') {
        return None;
    }
    let rest = &line[pos + 1..];
    if rest.is_empty() || rest.contains(&b'\n') {
        return None;
    }
    let lead = rest.iter().take_while(|&&b| is_ws(b)).count();
    let value = if lead == rest.len() {
        // Only white space: the lazy group still needs one character, the last.
        &rest[rest.len() - 1..]
    } else {
        let trail = rest.iter().rev().take_while(|&&b| is_ws(b)).count();
        &rest[lead..rest.len() - trail]
    };
    Some((name, String::from_utf8_lossy(value).into_owned()))
}

/// `trimContinuationCharacter`: BuildKit's regex `([^E])E[ \t]*$|^E[ \t]*$`
/// for escape token E. Returns the kept length and whether the line continues.
/// (An escaped escape token before the final one is not recognised: `a\\\`
/// does not continue, as in BuildKit.)
fn trim_continuation(line: &[u8], escape: u8) -> (usize, bool) {
    let mut end = line.len();
    while end > 0 && matches!(line[end - 1], b' ' | b'\t') {
        end -= 1;
    }
    if end == 0 || line[end - 1] != escape {
        return (line.len(), false);
    }
    if end == 1 || line[end - 2] != escape {
        return (end - 1, true);
    }
    (line.len(), false)
}

struct Parser<'a> {
    src: &'a [u8],
    lines: Lines<'a>,
    directives: Directives,
    line_no: usize,
    items: Vec<Item>,
    warnings: Vec<Warning>,
    /// Scratch list of an instruction's source ranges, reused.
    pieces: Vec<(usize, usize)>,
}

/// A line after `processLine`: the kept bytes as a source range.
struct Processed {
    start: usize,
    end: usize,
}

impl<'a> Parser<'a> {
    fn new(src: &'a [u8]) -> Self {
        Parser {
            src,
            lines: Lines {
                src,
                pos: 0,
                too_long: None,
                // Lines average over 30 bytes in real files.
                starts: {
                    let mut starts = Vec::with_capacity(src.len() / 32 + 2);
                    starts.push(0);
                    starts
                },
            },
            directives: Directives {
                escape: b'\\',
                done: false,
                found: Vec::new(),
            },
            line_no: 0,
            // About one item per 40 bytes in real files: reserving that spares
            // most reallocations (and copies) of the large items as the list
            // grows; the excess is given back at the end.
            items: Vec::with_capacity(src.len() / 40 + 8),
            warnings: Vec::new(),
            pieces: Vec::new(),
        }
    }

    fn error_at(&self, offset: usize, span: Span, message: String) -> SyntaxError {
        // Errors are rare: the line table is built for them on demand.
        let pos = position_in(self.src, &line_starts(self.src), offset);
        SyntaxError {
            message,
            line: pos.line,
            column: pos.column,
            span,
            help: None,
        }
    }

    fn is_comment(&self, span: Span) -> bool {
        let raw = &self.src[span.start..span.start + trim_newline_len(&self.src[span.range()])];
        let lead = leading_space_len(raw);
        raw.get(lead) == Some(&b'#')
    }

    /// `processLine`: drop the newline, maybe the leading white space, and the
    /// whole text if it is a comment; feed the directive parser.
    fn process_line(
        &mut self,
        span: Span,
        strip_left: bool,
        first: bool,
    ) -> Result<(Processed, bool), SyntaxError> {
        let mut start = span.start;
        if first && self.src[start..span.end].starts_with(&[0xEF, 0xBB, 0xBF]) {
            start += 3;
        }
        let end = start + trim_newline_len(&self.src[start..span.end]);
        if strip_left {
            start += leading_space_len(&self.src[start..end]);
        }
        let token = &self.src[start..end];
        let is_directive = self
            .directives
            .possible(token, self.line_no + 1, Span::new(start, end))
            .map_err(|m| {
                let mut err = self.error_at(start, Span::new(start, end), m);
                err.help = Some(
                    "parser directives (`# syntax=`, `# escape=`, `# check=`) may appear once each, at the top of the file; escape takes only \\ or `".into(),
                );
                err
            })?;
        let kept = if token.first() == Some(&b'#') {
            Processed { start, end: start }
        } else {
            Processed { start, end }
        };
        Ok((kept, is_directive))
    }

    fn push_trivia(&mut self, kind: TriviaKind, span: Span) {
        self.items.push(Item::Trivia(Trivia {
            kind,
            span,
            line: self.line_no,
        }));
    }

    fn run(mut self) -> Result<Dockerfile, SyntaxError> {
        while let Some(span) = self.lines.next_line() {
            let first = self.line_no == 0;
            let (kept, is_directive) = self.process_line(span, true, first)?;
            self.line_no += 1;
            let start_line = self.line_no;
            let escape = self.directives.escape;
            let (kept_len, continues) = trim_continuation(&self.src[kept.start..kept.end], escape);
            if !continues && kept_len == 0 {
                let kind = if is_directive {
                    TriviaKind::Directive
                } else if self.is_comment(span) {
                    TriviaKind::Comment
                } else {
                    TriviaKind::Blank
                };
                self.push_trivia(kind, span);
                continue;
            }
            self.instruction(span, kept, kept_len, continues, start_line)?;
        }

        if !self.items.iter().any(|i| matches!(i, Item::Instruction(_))) {
            let end = self.src.len();
            let at = self.lines.too_long.unwrap_or(end);
            // Point at the last line of the file rather than past its end.
            let at = if at == end && end > 0 {
                self.src[..end - 1]
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |i| i + 1)
            } else {
                at
            };
            let mut err = self.error_at(at, Span::new(at, at), "file with no instructions".into());
            err.help = Some("a Dockerfile needs at least a FROM instruction".into());
            return Err(err);
        }
        if let Some(at) = self.lines.too_long {
            let line_end = self.src[at..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(self.src.len(), |i| at + i);
            let mut err = self.error_at(
                at,
                Span::new(at, (at + 80).min(line_end)),
                format!(
                    "dockerfile line greater than max allowed size of {}",
                    MAX_LINE - 1
                ),
            );
            err.help = Some("BuildKit reads at most 64 KiB per physical line; split the line with the escape token".into());
            return Err(err);
        }
        self.items.shrink_to_fit();
        Ok(Dockerfile::new(
            self.src.to_vec(),
            self.directives.escape,
            self.directives.found,
            self.items,
            self.warnings,
            self.lines.starts,
        ))
    }

    /// Reads one instruction whose first physical line is `first_span`.
    fn instruction(
        &mut self,
        first_span: Span,
        kept: Processed,
        kept_len: usize,
        mut continues: bool,
        start_line: usize,
    ) -> Result<(), SyntaxError> {
        // The source ranges that make up the logical line, gathered first so
        // that the line is allocated once, at its size.
        let mut pieces = std::mem::take(&mut self.pieces);
        pieces.clear();
        pieces.push((kept.start, kept.start + kept_len));
        let mut end = first_span.end;
        let mut empty_continuation = false;
        while continues {
            let Some(span) = self.lines.next_line() else {
                break;
            };
            let (kept, _) = self.process_line(span, false, false)?;
            self.line_no += 1;
            end = span.end;
            if self.is_comment(span) {
                continue;
            }
            if leading_space_len(&self.src[kept.start..kept.end]) == kept.end - kept.start {
                empty_continuation = true;
                continue;
            }
            let (len, more) =
                trim_continuation(&self.src[kept.start..kept.end], self.directives.escape);
            pieces.push((kept.start, kept.start + len));
            continues = more;
        }
        let mut logical = Vec::with_capacity(pieces.iter().map(|(a, b)| b - a).sum());
        let mut map = LineMap::default();
        for &(a, b) in &pieces {
            map.push(logical.len(), a);
            logical.extend_from_slice(&self.src[a..b]);
        }
        self.pieces = pieces;
        if empty_continuation {
            self.warnings.push(Warning {
                message: format!(
                    "Empty continuation line found in: {}",
                    String::from_utf8_lossy(&logical)
                ),
                line: self.line_no,
            });
        }

        let span_so_far = Span::new(first_span.start, end);
        let escape = self.directives.escape;
        let mut ins = new_instruction(&logical, 0, escape, &map, false).map_err(|message| {
            let at = kept.start;
            let help = help_for(&message);
            let mut err = self.error_at(
                at,
                Span::new(at, trimmed_end(self.src, span_so_far)),
                message,
            );
            err.help = help;
            err
        })?;
        ins.start_line = start_line;
        // Moved in rather than copied by new_instruction.
        ins.logical = logical;
        ins.map = map;

        if can_contain_heredoc(&ins) && has_heredoc_operator(&ins.logical) {
            let markers = heredoc::markers(&ins.logical).map_err(|message| {
                self.error_at(
                    kept.start,
                    Span::new(kept.start, trimmed_end(self.src, span_so_far)),
                    message,
                )
            })?;
            for marker in markers {
                let body_start = end;
                let mut terminator = None;
                let mut content = Vec::new();
                while let Some(span) = self.lines.next_line() {
                    self.line_no += 1;
                    end = span.end;
                    let raw = &self.src[span.range()];
                    let mut candidate = &raw[..trim_newline_len(raw)];
                    if marker.chomp {
                        let tabs = candidate.iter().take_while(|&&b| b == b'\t').count();
                        candidate = &candidate[tabs..];
                    }
                    if candidate == marker.name.as_bytes() {
                        terminator =
                            Some(Span::new(span.start, span.start + trim_newline_len(raw)));
                        break;
                    }
                    content.extend_from_slice(raw);
                }
                let Some(terminator) = terminator else {
                    let mut err = self.error_at(
                        kept.start,
                        Span::new(
                            kept.start,
                            trimmed_end(self.src, Span::new(first_span.start, first_span.end)),
                        ),
                        "unterminated heredoc".into(),
                    );
                    err.help = Some(format!(
                        "end the heredoc with a line holding only `{}`",
                        marker.name
                    ));
                    return Err(err);
                };
                ins.heredocs.push(Heredoc {
                    name: marker.name,
                    file_descriptor: marker.file_descriptor,
                    expand: marker.expand,
                    chomp: marker.chomp,
                    content,
                    body: Span::new(body_start, terminator.start),
                    terminator,
                });
            }
        }

        ins.span = Span::new(first_span.start, end);
        ins.end_line = self.line_no;
        // An ONBUILD trigger lives on its parent's lines.
        for arg in &mut ins.args {
            if let Arg::Nested(inner) = arg {
                inner.span = ins.span;
                inner.start_line = ins.start_line;
                inner.end_line = ins.end_line;
            }
        }
        self.items.push(Item::Instruction(ins));
        Ok(())
    }
}

/// What to suggest for a line parser's error.
fn help_for(message: &str) -> Option<String> {
    if message.ends_with("must have two arguments") {
        Some("give a value: `ENV NAME=value` (or the legacy `ENV NAME value`)".into())
    } else if message.starts_with("Syntax error - can't find =") {
        Some("every word after the first `name=value` must also be `name=value`; quote values that hold spaces".into())
    } else if message == split::NOT_STRING_ARRAY {
        Some(
            "exec form takes a flat JSON array of strings, e.g. [\"/app\", \"--port\", \"80\"]"
                .into(),
        )
    } else {
        None
    }
}

/// The end of a span without its trailing newline (for underlining).
fn trimmed_end(src: &[u8], span: Span) -> usize {
    span.start + trim_newline_len(&src[span.range()])
}

/// Whether `<<` occurs in `line` (a quick test before looking for markers).
fn has_heredoc_operator(line: &[u8]) -> bool {
    let mut rest = line;
    while let Some(i) = rest.iter().position(|&b| b == b'<') {
        if rest.get(i + 1) == Some(&b'<') {
            return true;
        }
        rest = &rest[i + 1..];
    }
    false
}

/// `canContainHeredoc`: RUN/COPY/ADD in shell form, also as an ONBUILD trigger.
fn can_contain_heredoc(ins: &Instruction) -> bool {
    // `ins.name() == name` without building the lower-cased string.
    let is =
        |ins: &Instruction, name: &str| ins.keyword.value.eq_ignore_ascii_case(name.as_bytes());
    let target = if is(ins, "onbuild") {
        match ins.args.first() {
            Some(Arg::Nested(inner)) => inner.as_ref(),
            _ => ins,
        }
    } else {
        ins
    };
    (is(target, "run") || is(target, "copy") || is(target, "add")) && !target.json
}

/// `newNodeFromLine`: keyword, flags, and the arguments as the keyword's line
/// parser shapes them. `base` is the offset of `line` in the logical line.
/// With `copy_line` the node gets copies of `line` and `map`; without, they are
/// left empty for the caller to move its own in.
fn new_instruction(
    line: &[u8],
    base: usize,
    escape: u8,
    map: &LineMap,
    copy_line: bool,
) -> Result<Instruction, String> {
    let parts = split::split_command(line, base);
    let (a, b) = parts.args;
    let rest = &line[a..b];
    let at = base + a;
    // The keyword ASCII-lower-cased on the stack; a longer one is no keyword.
    let mut lower = [0u8; 16];
    let kw = &parts.keyword.value;
    let keyword: &[u8] = match lower.get_mut(..kw.len()) {
        Some(buf) => {
            buf.copy_from_slice(kw);
            buf.make_ascii_lowercase();
            buf
        }
        None => b"",
    };
    let mut args: Vec<Arg> = Vec::new();
    let mut json = false;
    let mut words = |parsed: Parsed, args: &mut Vec<Arg>| {
        json = parsed.json;
        // Each arm runs once, on an empty list: collecting reuses the words'
        // allocation (Arg and Word have the same layout).
        *args = parsed.words.into_iter().map(Arg::Word).collect();
    };
    match keyword {
        b"add" | b"copy" | b"volume" => words(split::maybe_json_to_list(rest, at)?, &mut args),
        b"run" | b"cmd" | b"entrypoint" | b"shell" => {
            words(split::maybe_json(rest, at)?, &mut args)
        }
        b"arg" => words(split::name_or_name_val(rest, at, escape), &mut args),
        b"env" => words(split::name_val(rest, at, escape, "ENV")?, &mut args),
        b"label" => words(split::name_val(rest, at, escape, "LABEL")?, &mut args),
        b"expose" | b"from" => {
            let parsed = if rest.is_empty() {
                Parsed {
                    words: Vec::new(),
                    json: false,
                }
            } else {
                split::whitespace_list(rest, at)
            };
            words(parsed, &mut args)
        }
        b"healthcheck" => words(split::health_config(rest, at)?, &mut args),
        b"maintainer" | b"stopsignal" | b"user" | b"workdir" => {
            words(split::single_string(rest, at), &mut args)
        }
        b"onbuild" => {
            if !rest.is_empty() {
                let inner = new_instruction(rest, at, escape, map, true)?;
                args.push(Arg::Nested(Box::new(inner)));
            }
        }
        // Unknown instructions keep one empty argument node (`parseIgnore`); the
        // typed view reports them.
        _ => args.push(Arg::Word(Word::new(Vec::new(), at, 0))),
    }
    Ok(Instruction {
        span: Span::default(),
        start_line: 0,
        end_line: 0,
        keyword: parts.keyword,
        flags: parts.flags,
        args,
        json,
        heredocs: Vec::new(),
        logical: if copy_line { line.to_vec() } else { Vec::new() },
        map: if copy_line {
            map.clone()
        } else {
            LineMap::default()
        },
    })
}
