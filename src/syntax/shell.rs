//! BuildKit's Dockerfile shell lexer: variable expansion and word splitting.
//!
//! This is a re-implementation of `frontend/dockerfile/shell/lex.go` of
//! moby/buildkit (the version with `EnvGetter`, `ProcessWordWithMatches` and the
//! `${X#p}` / `${X%p}` / `${X/p/r}` forms), rule R2.7 of
//! `shared/docs/buildkit-cache-semantics.md`. The frontend runs it over the arguments of
//! ENV, LABEL, COPY/ADD, WORKDIR, USER, ARG, ... (R2.8), and the parser runs it
//! in "raw" mode to find heredoc markers (R2.9). The goal is to produce exactly
//! the strings BuildKit produces, so the structure follows lex.go closely and the
//! places where BuildKit differs from a POSIX shell are kept on purpose; each one
//! is marked "BuildKit quirk" below and pinned by a test.
//!
//! Summary of the rules (all from lex.go):
//! - `'...'` is literal; `"..."` allows `$` and the escape token before `"`, `$`
//!   or the escape token itself; any other escaped char outside quotes is taken
//!   literally and an escape at the very end of the input is dropped.
//! - `$NAME`, `${NAME}` and the modifiers `:-` `-` `:+` `+` `:?` `?` `#` `##` `%`
//!   `%%` `/` `//`. Unset and set-but-empty differ for the forms without `:`.
//! - A name is a run of letters, digits and `_`; a leading digit takes only the
//!   digit run (`$12a` is `$12` then `a`); `@ * # ? - $ !` are one-char names.
//!   `$` not followed by a name is kept literally.
//! - Patterns know `*`, `?` and escapes; brackets are literal (BuildKit turns the
//!   pattern into a Go regular expression and escapes `[`).
//! - Word splitting happens on unquoted white space, including white space that
//!   comes out of an unquoted expansion.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

// ---------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------

/// A configured lexer; mirrors BuildKit's `shell.Lex`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lexer {
    /// Escape token of the Dockerfile: `\` (default) or `` ` `` (R2.3).
    pub escape: char,
    /// Keep quote characters in the output (`Lex.RawQuotes`).
    pub raw_quotes: bool,
    /// Keep escape tokens in the output (`Lex.RawEscapes`).
    pub raw_escapes: bool,
    /// Leave references to unset variables as written (`Lex.SkipUnsetEnv`).
    pub skip_unset_env: bool,
    /// Treat quotes as ordinary characters (`Lex.SkipProcessQuotes`).
    pub skip_processing_quotes: bool,
}

impl Default for Lexer {
    fn default() -> Self {
        Lexer::new('\\')
    }
}

/// Where variable values come from. `None` means unset, which is distinct from
/// set-but-empty (`${X-w}` vs `${X:-w}`).
pub trait Env {
    fn get(&self, name: &str) -> Option<String>;
}

/// No variables at all (BuildKit's `emptyEnvs`, used by the heredoc detector).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoEnv;

impl Env for NoEnv {
    fn get(&self, _name: &str) -> Option<String> {
        None
    }
}

impl Env for HashMap<String, String> {
    fn get(&self, name: &str) -> Option<String> {
        HashMap::get(self, name).cloned()
    }
}

impl Env for BTreeMap<String, String> {
    fn get(&self, name: &str) -> Option<String> {
        BTreeMap::get(self, name).cloned()
    }
}

/// An ordered list of `(key, value)` pairs. When a key repeats, the last one
/// wins: BuildKit's `EnvsFromSlice` fills a map in order, overwriting earlier
/// entries. (Older lexers kept the first; current master keeps the last.) Keys are
/// compared exactly, as `NormalizeEnvKey` does on Linux.
impl Env for [(String, String)] {
    fn get(&self, name: &str) -> Option<String> {
        self.iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }
}

impl Env for Vec<(String, String)> {
    fn get(&self, name: &str) -> Option<String> {
        Env::get(self.as_slice(), name)
    }
}

impl<T: Env + ?Sized> Env for &T {
    fn get(&self, name: &str) -> Option<String> {
        (**self).get(name)
    }
}

/// The result of [`Lexer::process_word_with_matches`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expansion {
    /// The expanded word (quotes removed unless `raw_quotes`).
    pub result: String,
    /// Names that were looked up and found set (possibly empty).
    pub matched: BTreeSet<String>,
    /// Names that were looked up and found unset.
    pub unmatched: BTreeSet<String>,
}

/// An expansion failure. Displays like BuildKit's error:
/// `failed to process "<word>": <kind>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("failed to process {}: {kind}", go_quote(.word))]
pub struct ExpandError {
    /// The whole input word, as given to the lexer.
    pub word: String,
    /// What went wrong; its `Display` is BuildKit's inner message.
    pub kind: ExpandErrorKind,
}

/// The inner error messages of lex.go, worded as BuildKit words them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExpandErrorKind {
    #[error("unexpected end of statement while looking for matching single-quote")]
    UnterminatedSingleQuote,
    #[error("unexpected end of statement while looking for matching double-quote")]
    UnterminatedDoubleQuote,
    /// Reaching the end while looking for a stop character; BuildKit's callers
    /// always replace this with one of the `Missing*` errors, kept for fidelity.
    #[error("unexpected end of statement while looking for matching {0}")]
    UnexpectedEnd(char),
    #[error("syntax error: missing '}}'")]
    MissingBrace,
    #[error("syntax error: missing '/' in ${{}}")]
    MissingSlash,
    /// `${}`, `${:...}`, `${{...`, `${}...`.
    #[error("syntax error: bad substitution")]
    BadSubstitution,
    /// The modifier text as BuildKit prints it: `=`, `:=`, `:#`, ` `, ... and
    /// `\u{FFFD}` when the input ended right after the name (`${X`).
    #[error("unsupported modifier ({0}) in substitution")]
    UnsupportedModifier(String),
    /// `${X?msg}` / `${X:?msg}` with X unset; `message` is the user's text or
    /// "is not allowed to be unset".
    #[error("{name}: {message}")]
    Unset { name: String, message: String },
    /// `${X:?msg}` with X empty; `message` is the user's text or "is not allowed
    /// to be empty".
    #[error("{name}: {message}")]
    Empty { name: String, message: String },
    /// A `#`/`%`/`/` pattern that BuildKit cannot turn into a regular expression.
    /// For `%`/`%%` the pattern is shown reversed, as BuildKit shows it.
    #[error("invalid pattern ({pattern}) in substitution: {reason}")]
    InvalidPattern { pattern: String, reason: String },
    /// hoist's own limit, not BuildKit's: more than [`MAX_NESTING`] `$`
    /// expansions inside one another. BuildKit has no limit (Go stacks grow);
    /// the lexer recurses, and this keeps a hostile line from overflowing the
    /// stack. Real Dockerfiles nest a few levels.
    #[error("variable expansions nested too deeply (more than {0} levels)")]
    TooDeep(usize),
}

/// How many `$` expansions may be open inside one another; see
/// [`ExpandErrorKind::TooDeep`].
pub const MAX_NESTING: usize = 100;

impl Lexer {
    /// `shell.NewLex(escapeToken)`: all flags off.
    pub fn new(escape: char) -> Self {
        Lexer {
            escape,
            raw_quotes: false,
            raw_escapes: false,
            skip_unset_env: false,
            skip_processing_quotes: false,
        }
    }

    /// `ProcessWord`: the expanded word as one string; white space is kept.
    pub fn process_word(&self, word: &str, env: &dyn Env) -> Result<String, ExpandError> {
        self.process(word, env).map(|out| out.result)
    }

    /// `ProcessWords`: the expanded input split into words on unquoted white
    /// space (also white space produced by unquoted expansions).
    pub fn process_words(&self, word: &str, env: &dyn Env) -> Result<Vec<String>, ExpandError> {
        self.process(word, env).map(|out| out.words)
    }

    /// `ProcessWordWithMatches`: the expanded word plus the names that were looked
    /// up, split into set and unset. BuildKit uses this to know which ARGs an
    /// instruction used; note that every reference counts, including ones inside a
    /// default that was not needed (`${A:-$B}` looks up B even when A is set).
    pub fn process_word_with_matches(
        &self,
        word: &str,
        env: &dyn Env,
    ) -> Result<Expansion, ExpandError> {
        self.process(word, env).map(|out| Expansion {
            result: out.result,
            matched: out.matched,
            unmatched: out.unmatched,
        })
    }

    fn process(&self, word: &str, env: &dyn Env) -> Result<Processed, ExpandError> {
        let mut sw = ShellWord {
            lex: self,
            env,
            scanner: Scanner::new(word),
            raw_escapes: self.raw_escapes,
            words_buffer: String::new(),
            depth: 0,
            matched: BTreeSet::new(),
            unmatched: BTreeSet::new(),
        };
        match sw.process_stop_on(None, self.raw_escapes) {
            Ok((result, words)) => Ok(Processed {
                result,
                words,
                matched: sw.matched,
                unmatched: sw.unmatched,
            }),
            Err(kind) => Err(ExpandError {
                word: word.to_string(),
                kind,
            }),
        }
    }
}

struct Processed {
    result: String,
    words: Vec<String>,
    matched: BTreeSet<String>,
    unmatched: BTreeSet<String>,
}

// ---------------------------------------------------------------------------
// Character input
// ---------------------------------------------------------------------------

/// The part of Go's `text/scanner` that lex.go uses: `Peek` and `Next` over
/// runes, `None` standing for `scanner.EOF`.
struct Scanner {
    chars: Vec<char>,
    pos: usize,
}

impl Scanner {
    fn new(text: &str) -> Self {
        let chars: Vec<char> = text.chars().collect();
        // BuildKit quirk: text/scanner silently drops a byte order mark at the
        // very start of its input, so a word starting with U+FEFF loses it.
        let pos = usize::from(chars.first() == Some(&'\u{FEFF}'));
        Scanner { chars, pos }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn next_char(&mut self) -> Option<char> {
        let c = self.peek();
        if c.is_some() {
            self.pos += 1;
        }
        c
    }
}

/// Go's `string(ch)` for a scanner result: EOF (-1) becomes U+FFFD.
fn rune_str(c: Option<char>) -> String {
    c.unwrap_or(char::REPLACEMENT_CHARACTER).to_string()
}

// ---------------------------------------------------------------------------
// Word splitting (lex.go `wordsStruct`)
// ---------------------------------------------------------------------------

/// The words collected by one `process_stop_on` level. The word being built lives
/// in [`ShellWord::words_buffer`], shared by all levels, as in BuildKit.
#[derive(Default)]
struct Words {
    words: Vec<String>,
    in_word: bool,
}

impl Words {
    /// An unquoted character: white space ends the current word (if it has text).
    fn add_char(&mut self, buf: &mut String, ch: char) {
        if is_go_space(ch) && self.in_word {
            if !buf.is_empty() {
                self.words.push(std::mem::take(buf));
                self.in_word = false;
            }
        } else if !is_go_space(ch) {
            self.add_raw_char(buf, ch);
        }
    }

    /// A character that never splits (escaped).
    fn add_raw_char(&mut self, buf: &mut String, ch: char) {
        buf.push(ch);
        self.in_word = true;
    }

    /// The value of an unquoted `$` expansion: split like typed text.
    fn add_string(&mut self, buf: &mut String, s: &str) {
        for ch in s.chars() {
            self.add_char(buf, ch);
        }
    }

    /// The content of a quoted string: never splits. An empty `""` marks the word
    /// as started but adds no text, and a word without text is never emitted, so
    /// `a "" b` gives two words, like BuildKit (not three, like a shell).
    fn add_raw_string(&mut self, buf: &mut String, s: &str) {
        buf.push_str(s);
        self.in_word = true;
    }

    fn finish(mut self, buf: &mut String) -> Vec<String> {
        if !buf.is_empty() {
            self.words.push(std::mem::take(buf));
            self.in_word = false;
        }
        self.words
    }
}

// ---------------------------------------------------------------------------
// The lexer proper (lex.go `shellWord`)
// ---------------------------------------------------------------------------

struct ShellWord<'a> {
    lex: &'a Lexer,
    env: &'a dyn Env,
    scanner: Scanner,
    /// Current raw-escapes mode; patterns switch it on temporarily.
    raw_escapes: bool,
    /// BuildKit quirk: one buffer for the word being built, shared by the outer
    /// level and the nested levels that read `${X:-word}`, `${X#pattern}`, ...;
    /// each level clears it when it starts and takes its content when it ends.
    /// Text of the current word written before such a `${...}` is therefore
    /// lost from `process_words` (not from `process_word`): `pre${X:-mid}post`
    /// splits to `midpost`.
    words_buffer: String,
    /// Open `process_dollar` calls, bounded by [`MAX_NESTING`].
    depth: usize,
    matched: BTreeSet<String>,
    unmatched: BTreeSet<String>,
}

type Step<T> = Result<T, ExpandErrorKind>;

impl ShellWord<'_> {
    /// `processStopOn`: reads until `stop` (consumed) or the end of input (`None`).
    /// Returns the text and its words.
    fn process_stop_on(
        &mut self,
        stop: Option<char>,
        raw_escapes: bool,
    ) -> Step<(String, Vec<String>)> {
        let saved = self.raw_escapes;
        self.raw_escapes = raw_escapes;
        let out = self.stop_on_inner(stop);
        self.raw_escapes = saved;
        out
    }

    fn stop_on_inner(&mut self, stop: Option<char>) -> Step<(String, Vec<String>)> {
        let mut result = String::new();
        self.words_buffer.clear();
        let mut words = Words::default();
        let quotes = !self.lex.skip_processing_quotes;

        while let Some(ch) = self.scanner.peek() {
            if stop == Some(ch) {
                self.scanner.next_char();
                return Ok((result, words.finish(&mut self.words_buffer)));
            }
            if ch == '$' || (quotes && (ch == '\'' || ch == '"')) {
                let text = match ch {
                    '$' => self.process_dollar()?,
                    '\'' => self.process_single_quote()?,
                    _ => self.process_double_quote()?,
                };
                result.push_str(&text);
                if ch == '$' {
                    // Unquoted expansions are split again on white space.
                    words.add_string(&mut self.words_buffer, &text);
                } else {
                    words.add_raw_string(&mut self.words_buffer, &text);
                }
                continue;
            }

            self.scanner.next_char();
            let mut ch = ch;
            if ch == self.lex.escape {
                if self.raw_escapes {
                    words.add_raw_char(&mut self.words_buffer, ch);
                    result.push(ch);
                }
                // The escape token takes the next char literally; at the end of
                // the input it is dropped (kept only in raw mode, above).
                match self.scanner.next_char() {
                    None => break,
                    Some(next) => {
                        ch = next;
                        words.add_raw_char(&mut self.words_buffer, ch);
                    }
                }
            } else {
                words.add_char(&mut self.words_buffer, ch);
            }
            result.push(ch);
        }

        if let Some(stop) = stop {
            return Err(ExpandErrorKind::UnexpectedEnd(stop));
        }
        Ok((result, words.finish(&mut self.words_buffer)))
    }

    /// `processSingleQuote`: everything up to the next `'` is literal; there is no
    /// way to escape a `'` inside.
    fn process_single_quote(&mut self) -> Step<String> {
        let mut out = String::new();
        let open = self.scanner.next_char();
        if self.lex.raw_quotes {
            out.extend(open);
        }
        loop {
            match self.scanner.next_char() {
                None => return Err(ExpandErrorKind::UnterminatedSingleQuote),
                Some('\'') => {
                    if self.lex.raw_quotes {
                        out.push('\'');
                    }
                    return Ok(out);
                }
                Some(c) => out.push(c),
            }
        }
    }

    /// `processDoubleQuote`: `$` expands; the escape token escapes only `"`, `$`
    /// and itself, before anything else it stays literal.
    fn process_double_quote(&mut self) -> Step<String> {
        let mut out = String::new();
        let open = self.scanner.next_char();
        if self.lex.raw_quotes {
            out.extend(open);
        }
        loop {
            match self.scanner.peek() {
                None => return Err(ExpandErrorKind::UnterminatedDoubleQuote),
                Some('"') => {
                    self.scanner.next_char();
                    if self.lex.raw_quotes {
                        out.push('"');
                    }
                    return Ok(out);
                }
                Some('$') => {
                    let value = self.process_dollar()?;
                    out.push_str(&value);
                }
                Some(c) => {
                    self.scanner.next_char();
                    let mut ch = c;
                    if ch == self.lex.escape {
                        if self.raw_escapes {
                            out.push(ch);
                        }
                        match self.scanner.peek() {
                            // Dropped; the loop then reports the missing quote.
                            None => continue,
                            Some(next) if next == '"' || next == '$' || next == self.lex.escape => {
                                self.scanner.next_char();
                                ch = next;
                            }
                            // BuildKit quirk: in raw-escapes mode a non-escaping
                            // escape token is written twice (`"a\b"` -> `a\\b`).
                            Some(_) => {}
                        }
                    }
                    out.push(ch);
                }
            }
        }
    }

    /// `processDollar`, called with the scanner on the `$`. Every recursion of
    /// the lexer passes through here, so this is where nesting is bounded.
    fn process_dollar(&mut self) -> Step<String> {
        if self.depth >= MAX_NESTING {
            return Err(ExpandErrorKind::TooDeep(MAX_NESTING));
        }
        self.depth += 1;
        let out = self.process_dollar_inner();
        self.depth -= 1;
        out
    }

    fn process_dollar_inner(&mut self) -> Step<String> {
        self.scanner.next_char();

        // $NAME
        if self.scanner.peek() != Some('{') {
            let name = self.process_name();
            if name.is_empty() {
                return Ok("$".to_string());
            }
            return Ok(match self.get_env(&name) {
                Some(value) => value,
                None if self.lex.skip_unset_env => format!("${name}"),
                None => String::new(),
            });
        }

        // ${...}
        self.scanner.next_char();
        match self.scanner.peek() {
            None => return Err(ExpandErrorKind::MissingBrace),
            Some('{' | '}' | ':') => return Err(ExpandErrorKind::BadSubstitution),
            Some(_) => {}
        }
        let name = self.process_name();
        let mut ch = self.scanner.next_char();
        let mut chs = rune_str(ch);

        match ch {
            Some('}') => Ok(match self.get_env(&name) {
                Some(value) => value,
                None if self.lex.skip_unset_env => format!("${{{name}}}"),
                None => String::new(),
            }),
            Some(':' | '+' | '-' | '?' | '#' | '%') => {
                // In Go this is a `case ':'` that falls through into the modifier
                // case whatever the next char is, so `${X:x}` reads the word
                // before failing on the unknown modifier.
                let null_is_unset = ch == Some(':');
                if null_is_unset {
                    ch = self.scanner.next_char();
                    chs.push_str(&rune_str(ch));
                }
                // Patterns keep their escapes so that `\*` stays a literal star.
                let raw = matches!(ch, Some('#' | '%'));
                if null_is_unset && raw {
                    return Err(ExpandErrorKind::UnsupportedModifier(chs));
                }
                let word = match self.process_stop_on(Some('}'), raw) {
                    Ok((word, _)) => word,
                    Err(err) => return Err(self.missing_or(ExpandErrorKind::MissingBrace, err)),
                };

                // The word is expanded (and its names looked up) before the
                // variable itself, whether or not the word is needed.
                let value = self.get_env(&name);
                if value.is_none() && self.lex.skip_unset_env {
                    return Ok(format!("${{{name}{chs}{word}}}"));
                }
                self.apply_modifier(ch, &chs, &name, value, word)
            }
            Some('/') => self.process_replace(&name),
            _ => Err(ExpandErrorKind::UnsupportedModifier(chs)),
        }
    }

    /// The `-`, `+`, `?`, `#`, `%` modifiers once the word has been read;
    /// `null_is_unset` (the `:` forms) is told by `chs` starting with `:`.
    fn apply_modifier(
        &self,
        ch: Option<char>,
        chs: &str,
        name: &str,
        value: Option<String>,
        word: String,
    ) -> Step<String> {
        let null_is_unset = chs.starts_with(':');
        let set = value.is_some();
        let value = value.unwrap_or_default();
        let missing = !set || (null_is_unset && value.is_empty());
        match ch {
            Some('-') => Ok(if missing { word } else { value }),
            Some('+') => Ok(if missing { String::new() } else { word }),
            Some('?') => {
                if !set {
                    Err(ExpandErrorKind::Unset {
                        name: name.to_string(),
                        message: message_or(word, "is not allowed to be unset"),
                    })
                } else if null_is_unset && value.is_empty() {
                    Err(ExpandErrorKind::Empty {
                        name: name.to_string(),
                        message: message_or(word, "is not allowed to be empty"),
                    })
                } else {
                    Ok(value)
                }
            }
            Some(op @ ('#' | '%')) => {
                // `##`/`%%` = longest match. BuildKit looks at the first char of
                // the *expanded* word, so a `#` coming from a variable counts too.
                let (pattern, greedy) = match word.strip_prefix(op) {
                    Some(rest) => (rest.to_string(), true),
                    None => (word, false),
                };
                if op == '%' {
                    trim_suffix(&pattern, &value, greedy)
                } else {
                    trim_prefix(&pattern, &value, greedy)
                }
            }
            _ => Err(ExpandErrorKind::UnsupportedModifier(chs.to_string())),
        }
    }

    /// `${NAME/pattern/replacement}` and `${NAME//pattern/replacement}`, with the
    /// scanner just after the first `/`.
    fn process_replace(&mut self, name: &str) -> Step<String> {
        let replace_all = self.scanner.peek() == Some('/');
        if replace_all {
            self.scanner.next_char();
        }
        let pattern = match self.process_stop_on(Some('/'), true) {
            Ok((pattern, _)) => pattern,
            Err(err) => return Err(self.missing_or(ExpandErrorKind::MissingSlash, err)),
        };
        let replacement = match self.process_stop_on(Some('}'), true) {
            Ok((replacement, _)) => replacement,
            Err(err) => return Err(self.missing_or(ExpandErrorKind::MissingBrace, err)),
        };

        let value = match self.get_env(name) {
            Some(value) => value,
            // BuildKit quirk: written back with a single `/` even for `//`.
            None if self.lex.skip_unset_env => {
                return Ok(format!("${{{name}/{pattern}/{replacement}}}"));
            }
            None => String::new(),
        };

        let glob = Glob::compile(&pattern).map_err(|reason| ExpandErrorKind::InvalidPattern {
            pattern: pattern.clone(),
            reason,
        })?;
        let text: Vec<char> = value.chars().collect();
        if replace_all {
            Ok(glob.replace_all(&text, &replacement))
        } else {
            // The first (leftmost) match is replaced by the text as is.
            Ok(match glob.find_from(&text, 0, true) {
                Some((start, end)) => {
                    let mut out: String = text[..start].iter().collect();
                    out.push_str(&replacement);
                    out.extend(&text[end..]);
                    out
                }
                None => value,
            })
        }
    }

    /// A nested read that failed: at the end of the input BuildKit reports the
    /// missing delimiter instead of the nested error.
    fn missing_or(&self, missing: ExpandErrorKind, err: ExpandErrorKind) -> ExpandErrorKind {
        if self.scanner.peek().is_none() {
            missing
        } else {
            err
        }
    }

    /// `processName`: letters, digits and `_`; a leading digit reads only the
    /// digit run; a leading special parameter is a one-char name.
    fn process_name(&mut self) -> String {
        let mut name = String::new();
        while let Some(ch) = self.scanner.peek() {
            if name.is_empty() && is_go_digit(ch) {
                while let Some(d) = self.scanner.peek().filter(|&d| is_go_digit(d)) {
                    self.scanner.next_char();
                    name.push(d);
                }
                return name;
            }
            if name.is_empty() && is_special_param(ch) {
                self.scanner.next_char();
                return ch.to_string();
            }
            if !is_go_letter(ch) && !is_go_digit(ch) && ch != '_' {
                break;
            }
            self.scanner.next_char();
            name.push(ch);
        }
        name
    }

    /// `getEnv`: looks the name up and records it as matched or unmatched.
    fn get_env(&mut self, name: &str) -> Option<String> {
        let value = self.env.get(name);
        if value.is_some() {
            self.matched.insert(name.to_string());
        } else {
            self.unmatched.insert(name.to_string());
        }
        value
    }
}

fn message_or(word: String, default: &str) -> String {
    if word.is_empty() {
        default.to_string()
    } else {
        word
    }
}

/// POSIX special parameters that lex.go reads as one-char names (`0` is caught
/// earlier as a digit).
fn is_special_param(c: char) -> bool {
    matches!(c, '@' | '*' | '#' | '?' | '-' | '$' | '!' | '0')
}

// ---------------------------------------------------------------------------
// Patterns for `#`, `%` and `/`
// ---------------------------------------------------------------------------
//
// BuildKit converts the pattern to a Go regular expression (`*` -> `.*` or the
// lazy `.*?`, `?` -> `.`, everything else escaped) and uses the leftmost match,
// where the regexp engine prefers alternatives the way a backtracking matcher
// does. The matcher below explores exactly that preference order. Two
// consequences worth knowing:
// - `.` does not match a newline in Go, so neither `*` nor `?` crosses one.
// - `%`/`%%` (shortest/longest suffix) are done by reversing both the value and
//   the pattern and trimming a prefix, as BuildKit does.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GlobTok {
    Lit(char),
    /// `?`: any one char but newline.
    Any,
    /// `*`: any run of chars without newline.
    Star,
}

#[derive(Debug)]
struct Glob {
    toks: Vec<GlobTok>,
}

impl Glob {
    /// `convertShellPatternToRegex`, minus the regex text. The error is the
    /// reason BuildKit gives (`invalid escape '\x'`).
    fn compile(pattern: &str) -> Result<Glob, String> {
        let mut s = Scanner::new(pattern);
        let mut toks = Vec::new();
        while let Some(tok) = s.next_char() {
            match tok {
                '*' => toks.push(GlobTok::Star),
                '?' => toks.push(GlobTok::Any),
                '\\' => {
                    // `\}` and `\/` protect ${} syntax; the backslash is not part
                    // of the pattern and the char is then read as a literal.
                    if matches!(s.peek(), Some('}' | '/')) {
                        continue;
                    }
                    // Always `\`, whatever the Dockerfile's escape token is.
                    let next = s.next_char();
                    match next {
                        Some(c @ ('*' | '?' | '\\')) => toks.push(GlobTok::Lit(c)),
                        other => return Err(format!("invalid escape '\\{}'", rune_str(other))),
                    }
                }
                c => toks.push(GlobTok::Lit(c)),
            }
        }
        Ok(Glob { toks })
    }

    /// End of the preferred match that starts at `start`, if any. `greedy`
    /// chooses `.*` (prefer longer) or `.*?` (prefer shorter) for every star.
    fn match_at(&self, text: &[char], start: usize, greedy: bool) -> Option<usize> {
        // Depth-first search over (pattern index, text index) in preference
        // order. A state seen before has already failed (the first success
        // ends the search), so each star state is expanded once: O(len^2).
        let mut stack = vec![(0usize, start)];
        let mut seen: HashSet<(usize, usize)> = HashSet::new();
        let can_take = |i: usize| text.get(i).is_some_and(|&c| c != '\n');
        while let Some((p, i)) = stack.pop() {
            let Some(&tok) = self.toks.get(p) else {
                return Some(i);
            };
            match tok {
                GlobTok::Lit(c) => {
                    if text.get(i) == Some(&c) {
                        stack.push((p + 1, i + 1));
                    }
                }
                GlobTok::Any => {
                    if can_take(i) {
                        stack.push((p + 1, i + 1));
                    }
                }
                GlobTok::Star => {
                    if !seen.insert((p, i)) {
                        continue;
                    }
                    // Pushed last = tried first.
                    if greedy {
                        stack.push((p + 1, i));
                        if can_take(i) {
                            stack.push((p, i + 1));
                        }
                    } else {
                        if can_take(i) {
                            stack.push((p, i + 1));
                        }
                        stack.push((p + 1, i));
                    }
                }
            }
        }
        None
    }

    /// The leftmost match starting at or after `from` (unanchored search).
    fn find_from(&self, text: &[char], from: usize, greedy: bool) -> Option<(usize, usize)> {
        (from..=text.len()).find_map(|s| self.match_at(text, s, greedy).map(|e| (s, e)))
    }

    /// Go's `Regexp.ReplaceAllString`: every non-overlapping match, with an empty
    /// match right after a previous match skipped, and the replacement read as a
    /// template (see [`expand_template`]).
    fn replace_all(&self, text: &[char], template: &str) -> String {
        let mut out = String::new();
        let mut last_end = 0;
        let mut search = 0;
        while search <= text.len() {
            let Some((start, end)) = self.find_from(text, search, true) else {
                break;
            };
            out.extend(&text[last_end..start]);
            if end > last_end || start == 0 {
                let matched: String = text[start..end].iter().collect();
                expand_template(&mut out, template, &matched);
            }
            last_end = end;
            // Advance past the match, and by at least one char.
            let width = usize::from(search < text.len());
            if search + width > end {
                search += width;
            } else if search + 1 > end {
                search += 1;
            } else {
                search = end;
            }
        }
        out.extend(&text[last_end..]);
        out
    }
}

/// `trimPrefix`: removes the preferred match anchored at the start.
fn trim_prefix(pattern: &str, value: &str, greedy: bool) -> Step<String> {
    let glob = Glob::compile(pattern).map_err(|reason| ExpandErrorKind::InvalidPattern {
        pattern: pattern.to_string(),
        reason,
    })?;
    let text: Vec<char> = value.chars().collect();
    Ok(match glob.match_at(&text, 0, greedy) {
        Some(end) => text[end..].iter().collect(),
        None => value.to_string(),
    })
}

/// `trimSuffix`: a prefix trim on the reversed value with the reversed pattern.
fn trim_suffix(pattern: &str, value: &str, greedy: bool) -> Step<String> {
    let reversed_value: String = value.chars().rev().collect();
    let trimmed = trim_prefix(&reverse_pattern(pattern), &reversed_value, greedy)?;
    Ok(trimmed.chars().rev().collect())
}

/// `reversePattern`: reverses chars but keeps each `\x` pair in order
/// (`a\*c` -> `c\*a`). A lone trailing `\` is moved to the front as a plain char.
fn reverse_pattern(pattern: &str) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    // Split into units (an escape pair or one char), then emit the units in
    // reverse order, each unit itself unchanged.
    let mut units: Vec<&[char]> = Vec::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        let width = if chars[i] == '\\' && i + 1 < chars.len() {
            2
        } else {
            1
        };
        units.push(&chars[i..i + width]);
        i += width;
    }
    units.into_iter().rev().flatten().collect()
}

/// Go's `Regexp.Expand` for a regexp without groups: in the replacement of
/// `${X//p/r}`, `$$` is `$`, `$0` / `${0}` is the matched text, any other
/// well-formed `$name` / `${name}` is empty, and a malformed `$` is literal.
/// (The single `${X/p/r}` form inserts the replacement as is.)
fn expand_template(out: &mut String, template: &str, matched: &str) {
    let mut rest = template;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        rest = &rest[pos + 1..];
        if let Some(after) = rest.strip_prefix('$') {
            out.push('$');
            rest = after;
            continue;
        }
        match template_name(rest) {
            None => out.push('$'),
            Some((name, after)) => {
                if name == "0" {
                    out.push_str(matched);
                }
                rest = after;
            }
        }
    }
    out.push_str(rest);
}

/// Go's `extract`: the name after a `$` in a template and the text after it.
fn template_name(s: &str) -> Option<(&str, &str)> {
    let (brace, body) = match s.strip_prefix('{') {
        Some(body) => (true, body),
        None => (false, s),
    };
    let len: usize = body
        .chars()
        .take_while(|&c| is_go_letter(c) || is_go_digit(c) || c == '_')
        .map(char::len_utf8)
        .sum();
    if len == 0 {
        return None;
    }
    let name = &body[..len];
    let after = &body[len..];
    if brace {
        return after.strip_prefix('}').map(|after| (name, after));
    }
    Some((name, after))
}

// ---------------------------------------------------------------------------
// Go character classes
// ---------------------------------------------------------------------------

/// Go's `unicode.IsSpace`: the Unicode White_Space property, as in Rust.
fn is_go_space(c: char) -> bool {
    c.is_whitespace()
}

/// Go's `unicode.IsDigit`: general category Nd (decimal digits), Unicode 15.0
/// as in the Go releases BuildKit is built with.
fn is_go_digit(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_digit();
    }
    let cp = c as u32;
    DECIMAL_DIGITS
        .iter()
        .any(|&(lo, hi)| (lo..=hi).contains(&cp))
}

/// Go's `unicode.IsLetter` (category L), approximated with std: Alphabetic
/// minus numbers. Exact for Latin-1 and all letters; it also accepts the
/// combining vowel signs and circled letters that Unicode calls Alphabetic
/// but Go does not count as letters (only matters for such chars in names).
fn is_go_letter(c: char) -> bool {
    c.is_alphabetic() && !c.is_numeric()
}

/// Ranges of general category Nd (Unicode 15.0).
#[rustfmt::skip]
const DECIMAL_DIGITS: &[(u32, u32)] = &[
    (0x30, 0x39), (0x660, 0x669), (0x6F0, 0x6F9), (0x7C0, 0x7C9), (0x966, 0x96F),
    (0x9E6, 0x9EF), (0xA66, 0xA6F), (0xAE6, 0xAEF), (0xB66, 0xB6F), (0xBE6, 0xBEF),
    (0xC66, 0xC6F), (0xCE6, 0xCEF), (0xD66, 0xD6F), (0xDE6, 0xDEF), (0xE50, 0xE59),
    (0xED0, 0xED9), (0xF20, 0xF29), (0x1040, 0x1049), (0x1090, 0x1099), (0x17E0, 0x17E9),
    (0x1810, 0x1819), (0x1946, 0x194F), (0x19D0, 0x19D9), (0x1A80, 0x1A89), (0x1A90, 0x1A99),
    (0x1B50, 0x1B59), (0x1BB0, 0x1BB9), (0x1C40, 0x1C49), (0x1C50, 0x1C59), (0xA620, 0xA629),
    (0xA8D0, 0xA8D9), (0xA900, 0xA909), (0xA9D0, 0xA9D9), (0xA9F0, 0xA9F9), (0xAA50, 0xAA59),
    (0xABF0, 0xABF9), (0xFF10, 0xFF19), (0x104A0, 0x104A9), (0x10D30, 0x10D39), (0x11066, 0x1106F),
    (0x110F0, 0x110F9), (0x11136, 0x1113F), (0x111D0, 0x111D9), (0x112F0, 0x112F9), (0x11450, 0x11459),
    (0x114D0, 0x114D9), (0x11650, 0x11659), (0x116C0, 0x116C9), (0x11730, 0x11739), (0x118E0, 0x118E9),
    (0x11950, 0x11959), (0x11C50, 0x11C59), (0x11D50, 0x11D59), (0x11DA0, 0x11DA9), (0x11F50, 0x11F59),
    (0x16A60, 0x16A69), (0x16AC0, 0x16AC9), (0x16B50, 0x16B59), (0x1D7CE, 0x1D7FF), (0x1E140, 0x1E149),
    (0x1E2F0, 0x1E2F9), (0x1E4F0, 0x1E4F9), (0x1E950, 0x1E959), (0x1FBF0, 0x1FBF9),
];

/// Go's `strconv.Quote`, for error messages. Printability (`unicode.IsPrint`)
/// is approximated with std: control chars, white space other than the space,
/// the common format chars and private-use chars are escaped.
fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if is_go_print(c) => out.push(c),
            c if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

fn is_go_print(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    let cp = c as u32;
    let format_or_private = matches!(cp,
        0xAD | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F | 0x890..=0x891 | 0x8E2 | 0x180E
        | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F
        | 0xFEFF | 0xFFF9..=0xFFFB | 0x110BD | 0x110CD | 0x13430..=0x1343F
        | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A | 0xE0001 | 0xE0020..=0xE007F
        | 0xE000..=0xF8FF | 0xF0000..=0x10FFFF);
    !(c.is_control() || c.is_whitespace() || format_or_private)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// The environment most tables use.
    fn std_env() -> Vec<(String, String)> {
        env(&[
            ("PWD", "/home"),
            ("SET", "val"),
            ("EMPTY", ""),
            ("X", "xxyy"),
            ("P", "/a/b/c.txt"),
            ("F", "/tmp/tmp/bar.txt"),
            ("A", "ab"),
            ("AB", "x y"),
            ("H", "#"),
            ("KOREAN", "한국어"),
            ("변수", "값"),
            ("naïve", "n"),
            ("_", "u"),
            ("12", "d"),
            ("V", "[ab]c"),
            ("V2", "ac"),
            ("NL", "a\nb"),
            ("STAR", "*a"),
            ("BS", "a\\"),
            ("BR", "a}b"),
        ])
    }

    type Expect = Result<&'static str, ExpandErrorKind>;

    fn unsupported(m: &str) -> Expect {
        Err(ExpandErrorKind::UnsupportedModifier(m.to_string()))
    }
    fn unset(name: &str, message: &str) -> Expect {
        Err(ExpandErrorKind::Unset {
            name: name.into(),
            message: message.into(),
        })
    }
    fn empty(name: &str, message: &str) -> Expect {
        Err(ExpandErrorKind::Empty {
            name: name.into(),
            message: message.into(),
        })
    }
    fn bad_pattern(pattern: &str, reason: &str) -> Expect {
        Err(ExpandErrorKind::InvalidPattern {
            pattern: pattern.into(),
            reason: reason.into(),
        })
    }

    /// Runs `process_word` over a table; every failure is reported at once.
    fn check_words(lexer: &Lexer, vars: &dyn Env, cases: &[(&str, Expect)]) {
        let mut failures = Vec::new();
        for (input, expected) in cases {
            let got = lexer.process_word(input, vars).map_err(|e| e.kind);
            let expected = expected.clone().map(str::to_string);
            if got != expected {
                failures.push(format!("{input:?}: expected {expected:?}, got {got:?}"));
            }
        }
        assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    }

    fn check_split(lexer: &Lexer, vars: &dyn Env, cases: &[(&str, &[&str])]) {
        let mut failures = Vec::new();
        for (input, expected) in cases {
            let got = lexer.process_words(input, vars);
            let want: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
            if got.as_ref() != Ok(&want) {
                failures.push(format!("{input:?}: expected {want:?}, got {got:?}"));
            }
        }
        assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    }

    #[test]
    fn plain_references() {
        check_words(
            &Lexer::new('\\'),
            &std_env(),
            &[
                ("hello", Ok("hello")),
                ("", Ok("")),
                ("$PWD", Ok("/home")),
                ("${PWD}", Ok("/home")),
                ("a$PWD/b", Ok("a/home/b")),
                ("$PWDx", Ok("")),
                ("${PWD}x", Ok("/homex")),
                ("$UNSET", Ok("")),
                ("${UNSET}", Ok("")),
                ("$EMPTY.", Ok(".")),
                ("$KOREAN", Ok("한국어")),
                ("$변수!", Ok("값!")),
                ("${변수}", Ok("값")),
                ("$naïve", Ok("n")),
                ("$_", Ok("u")),
                ("$_x", Ok("")),
            ],
        );
    }

    #[test]
    fn dollar_without_name_and_special_names() {
        check_words(
            &Lexer::new('\\'),
            &std_env(),
            &[
                ("$", Ok("$")),
                ("a$", Ok("a$")),
                ("$ x", Ok("$ x")),
                ("$/x", Ok("$/x")),
                ("$.", Ok("$.")),
                ("$%", Ok("$%")),
                // Digits: only the digit run is the name.
                ("$12a", Ok("da")),
                ("${12}", Ok("d")),
                ("$1", Ok("")),
                ("$0abc", Ok("abc")),
                // One-char special parameters, never set in a Dockerfile.
                ("$$", Ok("")),
                ("$$$", Ok("$")),
                ("$@x", Ok("x")),
                ("$*x", Ok("x")),
                ("$#x", Ok("x")),
                ("$?x", Ok("x")),
                ("$-x", Ok("x")),
                ("$!x", Ok("x")),
                ("${@}", Ok("")),
                ("${#}", Ok("")),
                // `#` is a name here, so `${#X}` is "modifier X".
                ("${#X}", unsupported("X")),
                // `--` = name `-` with the `-` modifier.
                ("${--w}", Ok("w")),
                // A digit in the Arabic-Indic range is a Go digit too.
                ("$\u{663}x", Ok("x")),
                // Superscript two is a number but not a decimal digit.
                ("$\u{b2}", Ok("$\u{b2}")),
            ],
        );
    }

    #[test]
    fn default_alternative_and_required_forms() {
        check_words(
            &Lexer::new('\\'),
            &std_env(),
            &[
                ("${SET:-w}", Ok("val")),
                ("${EMPTY:-w}", Ok("w")),
                ("${UNSET:-w}", Ok("w")),
                ("${SET-w}", Ok("val")),
                ("${EMPTY-w}", Ok("")),
                ("${UNSET-w}", Ok("w")),
                ("${SET:+w}", Ok("w")),
                ("${EMPTY:+w}", Ok("")),
                ("${UNSET:+w}", Ok("")),
                ("${SET+w}", Ok("w")),
                ("${EMPTY+w}", Ok("w")),
                ("${UNSET+w}", Ok("")),
                ("${SET:-}", Ok("val")),
                ("${UNSET:-}", Ok("")),
                ("${SET:?m}", Ok("val")),
                ("${EMPTY:?m}", empty("EMPTY", "m")),
                ("${UNSET:?m}", unset("UNSET", "m")),
                ("${EMPTY:?}", empty("EMPTY", "is not allowed to be empty")),
                ("${UNSET:?}", unset("UNSET", "is not allowed to be unset")),
                ("${SET?m}", Ok("val")),
                ("${EMPTY?m}", Ok("")),
                ("${UNSET?m}", unset("UNSET", "m")),
                ("${UNSET?}", unset("UNSET", "is not allowed to be unset")),
                ("${UNSET?need $SET here}", unset("UNSET", "need val here")),
            ],
        );
    }

    #[test]
    fn nested_words_in_modifiers() {
        check_words(
            &Lexer::new('\\'),
            &std_env(),
            &[
                ("${UNSET:-$SET}", Ok("val")),
                ("${UNSET:-${SET}x}", Ok("valx")),
                ("${UNSET:-${UNSET2:-deep}}", Ok("deep")),
                ("${SET:+<${SET}>}", Ok("<val>")),
                ("${UNSET:-\"a b\"}", Ok("a b")),
                ("${UNSET:-\"}\"}", Ok("}")),
                ("${UNSET:-'$SET'}", Ok("$SET")),
                ("${UNSET:-a\\}b}", Ok("a}b")),
                ("${UNSET:-a b}c", Ok("a bc")),
                // A nested error is reported as is...
                ("${UNSET:-${UNSET2:?oops}}", unset("UNSET2", "oops")),
                // ...unless the input is used up: then the brace is missing.
                ("${UNSET:-'abc}", Err(ExpandErrorKind::MissingBrace)),
            ],
        );
    }

    #[test]
    fn syntax_errors() {
        check_words(
            &Lexer::new('\\'),
            &std_env(),
            &[
                ("${", Err(ExpandErrorKind::MissingBrace)),
                ("${}", Err(ExpandErrorKind::BadSubstitution)),
                ("${:}", Err(ExpandErrorKind::BadSubstitution)),
                ("${:-x}", Err(ExpandErrorKind::BadSubstitution)),
                ("${{X}}", Err(ExpandErrorKind::BadSubstitution)),
                ("${}x", Err(ExpandErrorKind::BadSubstitution)),
                // Input ends after the name: Go prints EOF as U+FFFD.
                ("${X", unsupported("\u{FFFD}")),
                ("${X y}", unsupported(" ")),
                ("${X=y}", unsupported("=")),
                ("${X:=y}", unsupported(":=")),
                ("${X:x}", unsupported(":x")),
                ("${X:#x}", unsupported(":#")),
                ("${X:%x}", unsupported(":%")),
                ("${X:", Err(ExpandErrorKind::MissingBrace)),
                ("${X:-", Err(ExpandErrorKind::MissingBrace)),
                ("${X:-abc", Err(ExpandErrorKind::MissingBrace)),
                ("${X#abc", Err(ExpandErrorKind::MissingBrace)),
                // `\}` inside a pattern does not close it.
                ("${X#a\\}", Err(ExpandErrorKind::MissingBrace)),
                ("${X/a", Err(ExpandErrorKind::MissingSlash)),
                ("${X/}", Err(ExpandErrorKind::MissingSlash)),
                ("${X//}", Err(ExpandErrorKind::MissingSlash)),
                ("${X//ww}", Err(ExpandErrorKind::MissingSlash)),
                ("${X/a/b", Err(ExpandErrorKind::MissingBrace)),
                ("\"abc", Err(ExpandErrorKind::UnterminatedDoubleQuote)),
                ("\"a\\", Err(ExpandErrorKind::UnterminatedDoubleQuote)),
                ("'abc", Err(ExpandErrorKind::UnterminatedSingleQuote)),
                ("a 'b\" c", Err(ExpandErrorKind::UnterminatedSingleQuote)),
            ],
        );
    }

    #[test]
    fn prefix_and_suffix_patterns() {
        check_words(
            &Lexer::new('\\'),
            &std_env(),
            &[
                ("${X#x}", Ok("xyy")),
                ("${X##x}", Ok("xyy")),
                ("${X#*x}", Ok("xyy")),
                ("${X##*x}", Ok("yy")),
                ("${X#*}", Ok("xxyy")),
                ("${X##*}", Ok("")),
                ("${X#?}", Ok("xyy")),
                ("${X#y}", Ok("xxyy")),
                ("${X#}", Ok("xxyy")),
                ("${X##}", Ok("xxyy")),
                ("${X#*x*y}", Ok("y")),
                ("${X%y}", Ok("xxy")),
                ("${X%y*}", Ok("xxy")),
                ("${X%%y*}", Ok("xx")),
                ("${X%}", Ok("xxyy")),
                ("${X%%}", Ok("xxyy")),
                ("${P##*/}", Ok("c.txt")),
                ("${P#*/}", Ok("a/b/c.txt")),
                ("${P%/*}", Ok("/a/b")),
                ("${P%%/*}", Ok("")),
                ("${P%.txt}", Ok("/a/b/c")),
                ("${P%.*}", Ok("/a/b/c")),
                ("${UNSET#x}", Ok("")),
                ("${X#$UNSET}", Ok("xxyy")),
                ("${X#${SET:+x}}", Ok("xyy")),
                // Greediness is decided on the expanded word.
                ("${X#${H}x*}", Ok("")),
                // Escapes: `\*` and `\?` are literal, `\\` a backslash.
                ("${STAR#\\*}", Ok("a")),
                ("${STAR#*}", Ok("*a")),
                ("${STAR##\\**}", Ok("")),
                ("${STAR#\\?}", Ok("*a")),
                // Brackets are literal, not a character class.
                ("${V#[ab]}", Ok("c")),
                ("${V2#[ab]}", Ok("ac")),
                // Wildcards do not cross a newline (Go's `.`).
                ("${NL#*b}", Ok("a\nb")),
                ("${NL#a?b}", Ok("a\nb")),
                ("${NL#a\nb}", Ok("")),
                // Quotes inside a pattern are removed; the star still matches.
                ("${X#'x'*}", Ok("xyy")),
                // Escapes other than `\*`, `\?`, `\\`, `\}`, `\/` are errors; for
                // `%` BuildKit shows the reversed pattern.
                ("${X#\\x}", bad_pattern("\\x", "invalid escape '\\x'")),
                ("${X%a\\x}", bad_pattern("\\xa", "invalid escape '\\x'")),
                ("${BR#a\\}}", Ok("b")),
                (
                    "${X#$BS}",
                    bad_pattern("a\\", "invalid escape '\\\u{FFFD}'"),
                ),
                ("${X%$BS}", bad_pattern("\\a", "invalid escape '\\a'")),
            ],
        );
    }

    #[test]
    fn replace_patterns() {
        let mut vars = std_env();
        vars.extend(env(&[
            ("R0", "[$0]"),
            ("R1", "$1"),
            ("RD", "$$"),
            ("RB", "<${0}>"),
            ("RM", "${0"),
            ("RN", "$x."),
        ]));
        check_words(
            &Lexer::new('\\'),
            &vars,
            &[
                ("${F/tmp/T}", Ok("/T/tmp/bar.txt")),
                ("${F//tmp/T}", Ok("/T/T/bar.txt")),
                ("${F/\\//_}", Ok("_tmp/tmp/bar.txt")),
                ("${F//\\//_}", Ok("_tmp_tmp_bar.txt")),
                ("${F//\\//\\/}", Ok("\\/tmp\\/tmp\\/bar.txt")),
                ("${F/t*p/X}", Ok("/X/bar.txt")),
                ("${F/?/X}", Ok("Xtmp/tmp/bar.txt")),
                ("${F/nomatch/X}", Ok("/tmp/tmp/bar.txt")),
                ("${A/a/}", Ok("b")),
                ("${A/$EMPTY/-}", Ok("-ab")),
                ("${A//$EMPTY/-}", Ok("-a-b-")),
                ("${A///}", Ok("ab")),
                // No second, empty match right after a match (Go's ReplaceAll).
                ("${A//*/X}", Ok("X")),
                ("${A//b*/X}", Ok("aX")),
                ("${A/*/X}", Ok("X")),
                ("${UNSET///}", Ok("")),
                ("${UNSET/a/b}", Ok("")),
                ("${V/[ab]/-}", Ok("-c")),
                ("${X/\\q/-}", bad_pattern("\\q", "invalid escape '\\q'")),
                // `//` reads the replacement as a Go regexp template.
                ("${A//a/$R0}", Ok("[a]b")),
                ("${A/a/$R0}", Ok("[$0]b")),
                ("${A//a/$R1}", Ok("b")),
                ("${A//a/$RD}", Ok("$b")),
                ("${A//a/$RB}", Ok("<a>b")),
                ("${A//a/$RM}", Ok("${0b")),
                ("${A//a/$RN}", Ok(".b")),
                ("${A//a/\\$0\\$0}", Ok("\\a\\ab")),
                ("${A//a/$}", Ok("$b")),
            ],
        );
    }

    #[test]
    fn quotes_and_escapes() {
        check_words(
            &Lexer::new('\\'),
            &std_env(),
            &[
                ("'$PWD'", Ok("$PWD")),
                ("\"$PWD\"", Ok("/home")),
                ("\"'$PWD'\"", Ok("'/home'")),
                ("'\"$PWD\"'", Ok("\"$PWD\"")),
                ("he'll'o", Ok("hello")),
                ("'a\\'", Ok("a\\")),
                ("\"a\\\"b\"", Ok("a\"b")),
                ("\"a\\$b\"", Ok("a$b")),
                ("\"a\\\\b\"", Ok("a\\b")),
                ("\"a\\nb\"", Ok("a\\nb")),
                ("\"a\\'b\"", Ok("a\\'b")),
                ("\\$PWD", Ok("$PWD")),
                ("\\${PWD}", Ok("${PWD}")),
                ("\\\\", Ok("\\")),
                ("\\\\$SET", Ok("\\val")),
                ("a\\", Ok("a")),
                ("\\'a", Ok("'a")),
                ("\\\"", Ok("\"")),
                ("\\n", Ok("n")),
                ("\\한", Ok("한")),
                ("\"${UNSET:-a\\\"b}\"", Ok("a\"b")),
                ("a  b", Ok("a  b")),
            ],
        );
    }

    #[test]
    fn backtick_escape_token() {
        check_words(
            &Lexer::new('`'),
            &std_env(),
            &[
                ("`$PWD", Ok("$PWD")),
                ("\\$PWD", Ok("\\/home")),
                ("a``b", Ok("a`b")),
                ("\"a`\"b\"", Ok("a\"b")),
                ("\"`$PWD\"", Ok("$PWD")),
                ("\"\\$PWD\"", Ok("\\/home")),
                ("C:\\path", Ok("C:\\path")),
                ("a`", Ok("a")),
                // Patterns always use `\`, whatever the escape token.
                ("${STAR#\\*}", Ok("a")),
            ],
        );
    }

    #[test]
    fn raw_quotes_and_raw_escapes() {
        let vars = std_env();
        let mut raw_q = Lexer::new('\\');
        raw_q.raw_quotes = true;
        check_words(
            &raw_q,
            &vars,
            &[
                ("'a b'", Ok("'a b'")),
                ("\"$PWD\"", Ok("\"/home\"")),
                ("\"a\\\"b\"", Ok("\"a\"b\"")),
                ("${UNSET:-'x'}", Ok("'x'")),
            ],
        );

        let mut raw_e = Lexer::new('\\');
        raw_e.raw_escapes = true;
        check_words(
            &raw_e,
            &vars,
            &[
                ("a\\ b", Ok("a\\ b")),
                ("\\$PWD", Ok("\\$PWD")),
                ("a\\", Ok("a\\")),
                ("\"a\\\"b\"", Ok("a\\\"b")),
                // BuildKit quirk: a non-escaping escape in double quotes doubles.
                ("\"a\\nb\"", Ok("a\\\\nb")),
            ],
        );
    }

    #[test]
    fn heredoc_detector_mode() {
        // parser.go heredocsFromLine: raw quotes, raw escapes, unset kept.
        let mut lexer = Lexer::new('\\');
        lexer.raw_quotes = true;
        lexer.raw_escapes = true;
        lexer.skip_unset_env = true;
        check_split(
            &lexer,
            &NoEnv,
            &[
                ("cat <<\"EOF\" x", &["cat", "<<\"EOF\"", "x"]),
                ("cat <<'EOF'", &["cat", "<<'EOF'"]),
                ("cat <<EOF", &["cat", "<<EOF"]),
                ("cat <<$EOF", &["cat", "<<$EOF"]),
                ("cat <<${EOF}", &["cat", "<<${EOF}"]),
                ("3<<-EOF a\\ b", &["3<<-EOF", "a\\ b"]),
                (
                    "echo \"a b\" <<E1 <<E2",
                    &["echo", "\"a b\"", "<<E1", "<<E2"],
                ),
            ],
        );
    }

    #[test]
    fn skip_unset_env_keeps_references() {
        let mut lexer = Lexer::new('\\');
        lexer.skip_unset_env = true;
        check_words(
            &lexer,
            &std_env(),
            &[
                ("$UNSET", Ok("$UNSET")),
                ("${UNSET}", Ok("${UNSET}")),
                ("$SET", Ok("val")),
                ("$$", Ok("$$")),
                ("$1", Ok("$1")),
                ("${UNSET:-a}", Ok("${UNSET:-a}")),
                ("${UNSET:-$SET}", Ok("${UNSET:-val}")),
                ("${UNSET-'q'}", Ok("${UNSET-q}")),
                ("${UNSET:?e}", Ok("${UNSET:?e}")),
                ("${UNSET#x}", Ok("${UNSET#x}")),
                ("${UNSET##x}", Ok("${UNSET##x}")),
                ("${UNSET/a/b}", Ok("${UNSET/a/b}")),
                // BuildKit quirk: `//` comes back as `/`.
                ("${UNSET//a/b}", Ok("${UNSET/a/b}")),
                // Unknown modifiers are not reported for unset names.
                ("${UNSET:x}", Ok("${UNSET:x}")),
                ("${SET:x}", unsupported(":x")),
                ("${SET:-a}", Ok("val")),
            ],
        );
    }

    #[test]
    fn skip_processing_quotes() {
        let mut lexer = Lexer::new('\\');
        lexer.skip_processing_quotes = true;
        check_words(
            &lexer,
            &std_env(),
            &[
                ("'$PWD'", Ok("'/home'")),
                ("\"a", Ok("\"a")),
                ("\\'", Ok("'")),
            ],
        );
        check_split(&lexer, &std_env(), &[("\"a b\"", &["\"a", "b\""])]);
    }

    #[test]
    fn word_splitting() {
        check_split(
            &Lexer::new('\\'),
            &std_env(),
            &[
                ("a b  c", &["a", "b", "c"]),
                ("  a  ", &["a"]),
                ("", &[]),
                ("a\tb\nc", &["a", "b", "c"]),
                ("a\u{3000}b", &["a", "b"]),
                ("\"a b\" c", &["a b", "c"]),
                ("'a b'c", &["a bc"]),
                ("\\ a", &[" a"]),
                ("a\\ b", &["a b"]),
                // Unquoted expansions are split, quoted ones are not.
                ("$AB", &["x", "y"]),
                ("\"$AB\"", &["x y"]),
                ("p${AB}q", &["px", "yq"]),
                ("$EMPTY", &[]),
                ("a$EMPTY b", &["a", "b"]),
                // Empty quotes do not make a word.
                ("a \"\" b", &["a", "b"]),
                ("\"\"", &[]),
                ("''x", &["x"]),
                // BuildKit quirk: the default of `${X:-...}` is split after
                // expansion, even its quoted parts.
                ("${UNSET:-\"a b\"}", &["a", "b"]),
                ("a ${UNSET:-b}", &["a", "b"]),
                // BuildKit quirk: a modifier form drops the text of the current
                // word before it (shared, reset buffer); plain forms do not.
                ("pre${UNSET:-mid}post", &["midpost"]),
                ("pre${SET}post", &["prevalpost"]),
                ("pre${SET#v}post", &["alpost"]),
            ],
        );
        // process_word is not affected by the buffer quirk.
        check_words(
            &Lexer::new('\\'),
            &std_env(),
            &[("pre${UNSET:-mid}post", Ok("premidpost"))],
        );
    }

    #[test]
    fn matches_and_unmatches() {
        let lexer = Lexer::new('\\');
        let vars = env(&[("FOO", "xxx"), ("BAR", ""), ("A", "a")]);
        let cases: &[(&str, &str, &[&str], &[&str])] = &[
            ("x", "x", &[], &[]),
            ("x ${UNUSED}", "x ", &[], &["UNUSED"]),
            (
                "${FOO-aaa} ${BAR-bbb} ${BAZ-ccc}",
                "xxx  ccc",
                &["BAR", "FOO"],
                &["BAZ"],
            ),
            (
                "${FOO:-aaa} ${BAR:-bbb} ${BAZ:-ccc}",
                "xxx bbb ccc",
                &["BAR", "FOO"],
                &["BAZ"],
            ),
            (
                "${FOO:+aaa} ${BAR:+bbb} ${BAZ:+ccc}",
                "aaa  ",
                &["BAR", "FOO"],
                &["BAZ"],
            ),
            ("'$FOO' \\$BAR", "$FOO $BAR", &[], &[]),
            // The default is expanded even when it is not used.
            ("${A:-$B}", "a", &["A"], &["B"]),
            ("${FOO#$A}${FOO/$C/x}", "xxxxxxx", &["A", "FOO"], &["C"]),
            ("$1 $@ ${#}", "  ", &[], &["#", "1", "@"]),
            ("$FOO$FOO", "xxxxxx", &["FOO"], &[]),
        ];
        for (input, result, matched, unmatched) in cases {
            let got = lexer.process_word_with_matches(input, &vars).unwrap();
            let expected = Expansion {
                result: result.to_string(),
                matched: matched.iter().map(|s| s.to_string()).collect(),
                unmatched: unmatched.iter().map(|s| s.to_string()).collect(),
            };
            assert_eq!(got, expected, "input {input:?}");
        }
        assert!(lexer.process_word_with_matches("${BAR:?}", &vars).is_err());
    }

    #[test]
    fn env_sources() {
        let lexer = Lexer::new('\\');
        let list = env(&[("A", "1"), ("B", "2"), ("A", "3")]);
        // Duplicates: the last one wins, as in BuildKit's EnvsFromSlice.
        assert_eq!(lexer.process_word("$A$B", &list).unwrap(), "32");
        let slice: &[(String, String)] = &list;
        assert_eq!(lexer.process_word("$A", &slice).unwrap(), "3");
        let map: HashMap<String, String> = list.iter().cloned().collect();
        assert_eq!(lexer.process_word("${B}", &map).unwrap(), "2");
        let tree: BTreeMap<String, String> = list.iter().cloned().collect();
        assert_eq!(lexer.process_word("${B-x}", &tree).unwrap(), "2");
        assert_eq!(lexer.process_word("${B-x}", &NoEnv).unwrap(), "x");
        // Names are case-sensitive (BuildKit on Linux).
        assert_eq!(lexer.process_word("${a-lower}", &list).unwrap(), "lower");
    }

    #[test]
    fn lexer_defaults() {
        let lexer = Lexer::new('`');
        assert_eq!(lexer.escape, '`');
        assert!(!lexer.raw_quotes && !lexer.raw_escapes);
        assert!(!lexer.skip_unset_env && !lexer.skip_processing_quotes);
        assert_eq!(Lexer::default().escape, '\\');
    }

    #[test]
    fn leading_byte_order_mark_is_dropped() {
        let lexer = Lexer::new('\\');
        assert_eq!(
            lexer.process_word("\u{FEFF}x\u{FEFF}", &NoEnv).unwrap(),
            "x\u{FEFF}"
        );
        // Also at the start of a pattern (text/scanner again).
        let vars = env(&[("X", "ab")]);
        assert_eq!(lexer.process_word("${X#\u{FEFF}a}", &vars).unwrap(), "b");
    }

    #[test]
    fn error_messages_match_buildkit() {
        let lexer = Lexer::new('\\');
        let vars = env(&[("E", "")]);
        let cases = [
            (
                "${X:?}",
                "failed to process \"${X:?}\": X: is not allowed to be unset",
            ),
            (
                "${E:?}",
                "failed to process \"${E:?}\": E: is not allowed to be empty",
            ),
            (
                "${X?go away}",
                "failed to process \"${X?go away}\": X: go away",
            ),
            (
                "\"a",
                "failed to process \"\\\"a\": unexpected end of statement while looking for matching double-quote",
            ),
            (
                "'a",
                "failed to process \"'a\": unexpected end of statement while looking for matching single-quote",
            ),
            ("${", "failed to process \"${\": syntax error: missing '}'"),
            (
                "${}",
                "failed to process \"${}\": syntax error: bad substitution",
            ),
            (
                "${X/a",
                "failed to process \"${X/a\": syntax error: missing '/' in ${}",
            ),
            (
                "${X=a}",
                "failed to process \"${X=a}\": unsupported modifier (=) in substitution",
            ),
            (
                "${E#\\x}",
                "failed to process \"${E#\\\\x}\": invalid pattern (\\x) in substitution: invalid escape '\\x'",
            ),
            (
                "a\n${",
                "failed to process \"a\\n${\": syntax error: missing '}'",
            ),
        ];
        for (input, message) in cases {
            let err = lexer.process_word(input, &vars).unwrap_err();
            assert_eq!(err.to_string(), message, "input {input:?}");
            assert_eq!(err.word, input);
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let lexer = Lexer::new('\\');
        // Within the limit: works like BuildKit.
        let ok = format!(
            "{}x{}",
            "${a:-\"".repeat(MAX_NESTING),
            "\"}".repeat(MAX_NESTING)
        );
        assert_eq!(lexer.process_word(&ok, &NoEnv).unwrap(), "x");
        let deeper = format!(
            "{}x{}",
            "${a:-".repeat(MAX_NESTING + 1),
            "}".repeat(MAX_NESTING + 1)
        );
        assert_eq!(
            lexer.process_word(&deeper, &NoEnv).unwrap_err().kind,
            ExpandErrorKind::TooDeep(MAX_NESTING)
        );
        // Far beyond it, on a small stack: still an error, no overflow.
        let hostile = "${a:-\"".repeat(50_000);
        let result = std::thread::Builder::new()
            .stack_size(1 << 20)
            .spawn(move || {
                Lexer::new('\\')
                    .process_word(&hostile, &NoEnv)
                    .map_err(|e| e.kind)
            })
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(result, Err(ExpandErrorKind::TooDeep(MAX_NESTING)));
        // Sequential (not nested) expansions are not limited.
        let long = "$a${a:-b}".repeat(10_000);
        assert_eq!(
            lexer.process_word(&long, &NoEnv).unwrap(),
            "b".repeat(10_000)
        );
    }

    #[test]
    fn pattern_helpers() {
        assert_eq!(reverse_pattern("a\\*c"), "c\\*a");
        assert_eq!(reverse_pattern("\\\\\\ab"), "b\\a\\\\");
        assert_eq!(reverse_pattern("ab\\"), "\\ba");
        assert_eq!(reverse_pattern("👽\\🚀🖖"), "🖖\\🚀👽");
        assert!(Glob::compile("\\").is_err());
        assert!(Glob::compile("\\x").is_err());
        assert!(Glob::compile("\\\\\\").is_err());
        assert_eq!(
            Glob::compile("\\}a\\/").unwrap().toks,
            vec![GlobTok::Lit('}'), GlobTok::Lit('a'), GlobTok::Lit('/')]
        );
        let mut out = String::new();
        expand_template(&mut out, "$$|$0|${0}|$00|${x|$", "M");
        assert_eq!(out, "$|M|M||${x|$");
    }

    #[test]
    fn never_panics_on_random_input() {
        const ALPHABET: &[char] = &[
            '$', '{', '}', ':', '-', '+', '?', '#', '%', '/', '\\', '\'', '"', 'a', 'b', ' ', '*',
            '`', '\n', 'é', '0',
        ];
        let vars = env(&[("a", "x y"), ("b", ""), ("ab", "a*b")]);
        let mut lexers = Vec::new();
        for bits in 0..32u32 {
            let mut lexer = Lexer::new(if bits & 1 == 0 { '\\' } else { '`' });
            lexer.raw_quotes = bits & 2 != 0;
            lexer.raw_escapes = bits & 4 != 0;
            lexer.skip_unset_env = bits & 8 != 0;
            lexer.skip_processing_quotes = bits & 16 != 0;
            lexers.push(lexer);
        }
        // xorshift64: deterministic, no dependency.
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut rand = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut ok = 0;
        for round in 0..600 {
            let len = (rand() % 24) as usize;
            let input: String = (0..len)
                .map(|_| ALPHABET[(rand() % ALPHABET.len() as u64) as usize])
                .collect();
            let lexer = &lexers[round % lexers.len()];
            let word = lexer.process_word(&input, &vars);
            let words = lexer.process_words(&input, &vars);
            let with = lexer.process_word_with_matches(&input, &vars);
            // All entry points run the same lexer: they fail together.
            assert_eq!(word.is_ok(), words.is_ok(), "input {input:?}");
            assert_eq!(
                word.clone().ok(),
                with.map(|e| e.result).ok(),
                "input {input:?}"
            );
            ok += usize::from(word.is_ok());
        }
        // The generator must reach both outcomes to be a useful test.
        assert!(ok > 50 && ok < 600, "ok = {ok}");
    }
}
