//! The lossless syntax tree.
//!
//! A [`Dockerfile`] owns its source bytes and a list of [`Item`]s whose spans tile
//! the whole file: instructions (with their continuation lines, heredoc bodies and
//! terminators) and the trivia between them (comments, directives, blank lines).
//! Concatenating the items' text gives back the file byte for byte, which is what
//! lets the rewrite layer edit one instruction and leave everything else alone.
//!
//! Inside an instruction, values are what BuildKit's parser produced (the node
//! chain of its `Node`), each tagged with the offset in the instruction's logical
//! line (continuations joined) so that positions map back to the source.

use std::ops::Range;

/// A half-open byte range in the source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }
    pub fn range(self) -> Range<usize> {
        self.start..self.end
    }
    pub fn len(self) -> usize {
        self.end - self.start
    }
    pub fn is_empty(self) -> bool {
        self.start == self.end
    }
}

/// A parsed Dockerfile: source, parser directives, and the items tiling the file.
#[derive(Debug, Clone)]
pub struct Dockerfile {
    pub source: Vec<u8>,
    /// The escape token in effect (`\` or `` ` ``).
    pub escape: u8,
    pub directives: Vec<Directive>,
    pub items: Vec<Item>,
    pub warnings: Vec<Warning>,
    line_starts: Vec<usize>,
}

/// One piece of the file, in order; the spans of all items tile the source.
#[derive(Debug, Clone)]
pub enum Item {
    Instruction(Instruction),
    /// A comment line (including parser directives) or a blank line, with its newline.
    Trivia(Trivia),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriviaKind {
    Comment,
    Directive,
    Blank,
    /// A line that held only the escape token: BuildKit reads it as an empty line.
    LoneContinuation,
}

#[derive(Debug, Clone)]
pub struct Trivia {
    pub kind: TriviaKind,
    pub span: Span,
    pub line: usize,
}

/// A parser directive from the leading comment block (`# syntax=`, `# escape=`, `# check=`).
#[derive(Debug, Clone)]
pub struct Directive {
    pub name: String,
    pub value: String,
    pub line: usize,
    pub span: Span,
}

/// A non-fatal finding of the parser (BuildKit prints these as warnings).
#[derive(Debug, Clone)]
pub struct Warning {
    pub message: String,
    pub line: usize,
}

/// One instruction: the logical line after joining continuations, as BuildKit's
/// parser split it into keyword, `--flags` and argument nodes.
#[derive(Debug, Clone)]
pub struct Instruction {
    /// Whole extent in the source, from the first byte of its first line through
    /// the newline ending its last line (heredoc terminators included).
    pub span: Span,
    /// 1-based physical lines where it starts and ends.
    pub start_line: usize,
    pub end_line: usize,
    /// The keyword as written (`run`, `RUN`, `Run`...).
    pub keyword: Word,
    /// `--flag` words before the arguments, as BuildKit extracted them (quotes removed).
    pub flags: Vec<Word>,
    /// The argument chain (BuildKit's `Node.Next` list).
    pub args: Vec<Arg>,
    /// True when the arguments were a JSON array (exec form).
    pub json: bool,
    pub heredocs: Vec<Heredoc>,
    /// The logical line (continuations joined, comments inside dropped).
    pub logical: Vec<u8>,
    /// Maps logical-line offsets back to source offsets.
    pub map: LineMap,
}

impl Instruction {
    /// The keyword, lower-cased (`run`, `copy`, ...).
    pub fn name(&self) -> String {
        String::from_utf8_lossy(&self.keyword.value).to_ascii_lowercase()
    }

    /// The plain string arguments (nested ONBUILD instructions are skipped).
    pub fn arg_values(&self) -> impl Iterator<Item = &Word> {
        self.args.iter().filter_map(|a| match a {
            Arg::Word(w) => Some(w),
            Arg::Nested(_) => None,
        })
    }

    /// Source span of a word of this instruction (best effort across continuations).
    pub fn word_span(&self, word: &Word) -> Span {
        let start = self.map.to_source(word.at);
        let end = if word.len == 0 {
            start
        } else {
            self.map.to_source(word.at + word.len - 1) + 1
        };
        Span::new(start, end.max(start))
    }
}

/// One argument node.
#[derive(Debug, Clone)]
pub enum Arg {
    Word(Word),
    /// ONBUILD's trigger instruction.
    Nested(Box<Instruction>),
}

/// A value from the logical line and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub value: Vec<u8>,
    /// Offset of the word's first byte in the logical line.
    pub at: usize,
    /// Length of the text it was read from in the logical line.
    pub len: usize,
}

impl Word {
    pub fn new(value: impl Into<Vec<u8>>, at: usize, len: usize) -> Self {
        Word {
            value: value.into(),
            at,
            len,
        }
    }
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.value)
    }
}

/// A heredoc attached to RUN/COPY/ADD.
#[derive(Debug, Clone)]
pub struct Heredoc {
    pub name: String,
    pub file_descriptor: u32,
    /// Unquoted delimiter: the body is subject to variable expansion.
    pub expand: bool,
    /// `<<-`: leading tabs are stripped from the body and the terminator.
    pub chomp: bool,
    /// The body with its line endings, as BuildKit stores it.
    pub content: Vec<u8>,
    /// The body's lines in the source (without the terminator line).
    pub body: Span,
    /// The terminator line (without its newline).
    pub terminator: Span,
}

/// Segments of the logical line copied from the source: (logical start, source start).
///
/// Most instructions fit on one line and so have one segment: it is kept inline,
/// and only the segments of continuation lines take an allocation.
#[derive(Debug, Clone, Default)]
pub struct LineMap {
    first: Option<(usize, usize)>,
    more: Vec<(usize, usize)>,
}

impl LineMap {
    pub(crate) fn push(&mut self, logical_start: usize, source_start: usize) {
        if let Some((l, s)) = self.last() {
            if l == logical_start {
                self.pop();
            } else if source_start == s + (logical_start - l) {
                // Contiguous with the previous segment: nothing to record.
                return;
            }
        }
        match self.first {
            None => self.first = Some((logical_start, source_start)),
            Some(_) => self.more.push((logical_start, source_start)),
        }
    }

    fn last(&self) -> Option<(usize, usize)> {
        self.more.last().copied().or(self.first)
    }

    fn pop(&mut self) {
        if self.more.pop().is_none() {
            self.first = None;
        }
    }

    /// The source offset of a logical offset.
    pub fn to_source(&self, logical: usize) -> usize {
        let Some((l0, s0)) = self.first else {
            return 0;
        };
        if logical < l0 {
            return s0;
        }
        let idx = self.more.partition_point(|&(l, _)| l <= logical);
        let (l, s) = idx.checked_sub(1).map_or((l0, s0), |i| self.more[i]);
        s + (logical - l)
    }
}

/// A 1-based line and column (in characters) in a source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl Dockerfile {
    /// `line_starts` must be [`line_starts`] of `source` (the parser has it).
    pub(crate) fn new(
        source: Vec<u8>,
        escape: u8,
        directives: Vec<Directive>,
        items: Vec<Item>,
        warnings: Vec<Warning>,
        line_starts: Vec<usize>,
    ) -> Self {
        debug_assert_eq!(line_starts, self::line_starts(&source));
        Dockerfile {
            source,
            escape,
            directives,
            items,
            warnings,
            line_starts,
        }
    }

    /// The instructions, in file order.
    pub fn instructions(&self) -> impl Iterator<Item = &Instruction> {
        self.items.iter().filter_map(|i| match i {
            Item::Instruction(ins) => Some(ins),
            Item::Trivia(_) => None,
        })
    }

    /// The text of a span.
    pub fn text(&self, span: Span) -> &[u8] {
        &self.source[span.range()]
    }

    /// The file rebuilt from its items: equal to `source` byte for byte.
    pub fn reconstruct(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.source.len());
        for item in &self.items {
            let span = match item {
                Item::Instruction(i) => i.span,
                Item::Trivia(t) => t.span,
            };
            out.extend_from_slice(self.text(span));
        }
        out
    }

    /// Line and column of a byte offset.
    pub fn position(&self, offset: usize) -> Position {
        position_in(&self.source, &self.line_starts, offset)
    }

    /// The value of a parser directive, if present.
    pub fn directive(&self, name: &str) -> Option<&str> {
        self.directives
            .iter()
            .find(|d| d.name == name)
            .map(|d| d.value.as_str())
    }
}

pub(crate) fn line_starts(source: &[u8]) -> Vec<usize> {
    let mut starts = vec![0];
    starts.extend(
        source
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .map(|(i, _)| i + 1),
    );
    starts
}

pub(crate) fn position_in(source: &[u8], line_starts: &[usize], offset: usize) -> Position {
    let offset = offset.min(source.len());
    let line = line_starts.partition_point(|&s| s <= offset).max(1);
    let start = line_starts[line - 1];
    let column = String::from_utf8_lossy(&source[start..offset])
        .chars()
        .count()
        + 1;
    Position { line, column }
}
