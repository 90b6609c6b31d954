//! `.dockerignore`, exactly as BuildKit applies it (semantics doc §7, R7.1–R7.5).
//!
//! Three upstream pieces decide which context paths an ignore file removes; each is
//! re-implemented here from its behaviour (no upstream code or test data is copied):
//!
//! * **Which file applies** — the Dockerfile frontend, `bk:frontend/dockerui/config.go`
//!   (`ReadEntrypoint` reads `<Dockerfile>.dockerignore`, `dockerIgnorePatterns` falls back to
//!   `<context>/.dockerignore`): [`ignore_file_for`].
//! * **How the file becomes patterns** — `pm:ignorefile/ignorefile.go: ReadAll`, then
//!   `pm:patternmatcher.go: New` (which trims and cleans a second time, splits off `!`, and
//!   syntax-checks with Go's `filepath.Match`): [`IgnoreFile::parse`].
//! * **How patterns decide a path** — `pm:patternmatcher.go` (each pattern becomes an exact,
//!   prefix, suffix or regexp matcher) driven by the context walker `fsu:filter.go: Walk`, which
//!   evaluates every directory before its children and hands each child the per-pattern results
//!   of its parent (`MatchesUsingParentResults`), and prunes excluded directories with
//!   `SkipDir` only when no exception could re-include something below them:
//!   [`IgnoreFile::is_excluded`], [`IgnoreFile::deciding_pattern`],
//!   [`IgnoreFile::dir_may_contain_included`].
//!
//! Behaviour modelled is that of a Unix client (Linux, macOS): `/` is the only separator and `\`
//! escapes the next character. Matching is case-sensitive even on case-insensitive disks.
//!
//! Quirks reproduced on purpose (each has a test row; the first five were also observed on a
//! real build): the walker only hands a pattern's match down to children where it was actually
//! evaluated, so `a/x` + `!a` leaves `a/x` excluded; a leading `**` followed by literals is a
//! plain suffix test (`**foo` matches `barfoo`); classes are copied into a Go regexp, so `*`/`?`
//! inside `[...]` break them (`[*]x` matches `]x`, not `*x`) and `[[:alpha:]]` is a POSIX class;
//! `\d`, `\w`, `\b`, `\x41`, `\Q` are regexp escapes, not literal letters; a BOM at the start
//! of a later line is ignored by wildcard patterns but not by literal ones; `!` inside a class is
//! literal (only `^` negates); `/!a` and `./!a` are exceptions once cleaned; `!../../a` cleans
//! to the plain pattern `a`; `.` in the regexp does not match `\n`, so `**/` cannot cross a
//! newline in a name while `**/name` (a suffix test) can.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::path::{Path, PathBuf};

/// Longest line `bufio.Scanner` accepts (its 64 KiB buffer must also hold the `\n`).
const MAX_LINE_BYTES: usize = 64 * 1024 - 1;

/// Characters that make fsutil treat an exception as "may match anywhere" (`fsu:filter.go`).
const WALKER_PATTERN_CHARS: &[char] = &['*', '[', ']', '?', '^', '\\'];

/// Why an ignore file cannot be used as BuildKit would use it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IgnoreErrorKind {
    /// A line longer than 65 535 bytes: `bufio.Scanner: token too long`, the whole file is
    /// rejected.
    LineTooLong,
    /// BuildKit rejects the pattern when the patterns are loaded: a lone `!`, or Go
    /// `filepath.Match` syntax (`syntax error in pattern`). The build fails.
    Syntax,
    /// Go's `filepath.Match` accepts the pattern but the regular expression patternmatcher builds
    /// from it does not compile (e.g. `[z-a]`, `\k`). BuildKit compiles lazily, so the context
    /// transfer fails ("failed to match excludepatterns: syntax error in pattern") as soon as the
    /// pattern is first evaluated — almost always, but not when earlier patterns shadow it for
    /// every path (observed: `*` then `\k` builds fine). hoist reports it regardless.
    Regex,
    /// BuildKit accepts the pattern but hoist cannot evaluate it (Unicode classes such as `\pL`,
    /// which only appear through unusual backslash escapes).
    Unsupported,
}

/// An ignore-file line that BuildKit rejects (or hoist cannot evaluate).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: `{pattern}`: {message}")]
pub struct IgnoreError {
    /// 1-based line number in the ignore file.
    pub line: usize,
    /// The line as written (trimmed; shortened when very long).
    pub pattern: String,
    pub message: String,
    pub kind: IgnoreErrorKind,
}

/// One effective pattern of an ignore file.
#[derive(Debug, Clone)]
pub struct Pattern {
    line: usize,
    text: String,
    pattern: String,
    exception: bool,
    matcher: Matcher,
}

impl Pattern {
    /// 1-based line of the ignore file this pattern comes from.
    pub fn line(&self) -> usize {
        self.line
    }

    /// The line as the user wrote it (surrounding whitespace trimmed).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The pattern BuildKit matches with: cleaned, leading `/` dropped, without the `!`.
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// A `!` exception (re-includes what it matches).
    pub fn is_exception(&self) -> bool {
        self.exception
    }

    fn matches(&self, path: &str) -> bool {
        self.matcher.matches(path)
    }
}

impl std::fmt::Display for Pattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.exception {
            f.write_str("!")?;
        }
        f.write_str(&self.pattern)
    }
}

/// Parsed ignore file.
///
/// Reading follows `ignorefile.ReadAll` then `patternmatcher.New`: lines are split on `\n` and
/// one trailing `\r` is dropped; a UTF-8 BOM is stripped from the first line only; a line is a
/// comment only when `#` is its very first character; lines are trimmed (Unicode whitespace) and
/// blank ones skipped; a leading `!` marks an exception (whitespace after it trimmed); the rest is
/// `filepath.Clean`ed and one leading `/` dropped (`/` alone stays `/`, matching nothing); then
/// the whole line is trimmed and cleaned once more, the `!` split off, and the pattern checked
/// with Go's `filepath.Match` syntax. Lines that end up empty are dropped, so [`Self::patterns`]
/// holds only patterns that take part in matching.
#[derive(Debug, Clone, Default)]
pub struct IgnoreFile {
    patterns: Vec<Pattern>,
}

/// The walker's verdicts for the directories of paths asked about through
/// [`IgnoreFile::is_excluded_cached`], so that each directory is evaluated once: a
/// history replay asks about files of the same few hundred directories, commit
/// after commit. Use one cache with one ignore file only.
#[derive(Default)]
pub struct ExclusionCache {
    dirs: HashMap<String, Verdict, BuildHasherDefault<FxHasher>>,
    /// Answers given, per path.
    paths: HashMap<String, bool, BuildHasherDefault<FxHasher>>,
    /// Scratch flags for the paths themselves.
    flags: Vec<bool>,
}

/// The multiply-rotate hash of rustc (`FxHasher`): these maps' keys are paths from
/// the repository, which need no protection against crafted collisions, and
/// SipHash costs more than the lookups it serves.
#[derive(Default, Clone, Copy)]
pub struct FxHasher {
    hash: u64,
}

impl FxHasher {
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(Self::SEED);
    }
}

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.add(u64::from_le_bytes(chunk.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(last));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

/// What the walker decided for one path (and the per-pattern flags handed to its children).
struct Verdict {
    excluded: bool,
    decider: Option<usize>,
    flags: Vec<bool>,
}

impl IgnoreFile {
    /// Parse ignore-file text. A bad pattern is an error naming its 1-based line.
    pub fn parse(text: &str) -> Result<IgnoreFile, IgnoreError> {
        let mut patterns = Vec::new();
        for (index, raw) in scan_lines(text).enumerate() {
            let line = index + 1;
            if raw.len() > MAX_LINE_BYTES {
                return Err(IgnoreError {
                    line,
                    pattern: shorten(raw.trim()),
                    message: "line longer than 65535 bytes (bufio.Scanner: token too long); \
                              BuildKit rejects the whole file"
                        .to_string(),
                    kind: IgnoreErrorKind::LineTooLong,
                });
            }
            let mut content = raw.strip_suffix('\r').unwrap_or(raw);
            if index == 0 {
                content = content.strip_prefix('\u{feff}').unwrap_or(content);
            }
            if content.starts_with('#') {
                continue;
            }
            let written = content.trim();
            if written.is_empty() {
                continue;
            }
            let error = |message: String, kind| IgnoreError {
                line,
                pattern: shorten(written),
                message,
                kind,
            };

            // ignorefile.ReadAll
            let (invert, body) = match written.strip_prefix('!') {
                Some(rest) => (true, rest.trim()),
                None => (false, written),
            };
            let mut body = body.to_string();
            if !body.is_empty() {
                body = go_clean(&body);
                if body.len() > 1 && body.starts_with('/') {
                    body.remove(0);
                }
            }
            let read = if invert { format!("!{body}") } else { body };

            // patternmatcher.New
            let trimmed = read.trim();
            if trimmed.is_empty() {
                continue;
            }
            let cleaned = go_clean(trimmed);
            let (exception, pattern) = match cleaned.strip_prefix('!') {
                Some("") => {
                    return Err(error(
                        "illegal exclusion pattern: \"!\"".to_string(),
                        IgnoreErrorKind::Syntax,
                    ));
                }
                Some(rest) => (true, rest.to_string()),
                None => (false, cleaned.clone()),
            };
            if !go_match_syntax_ok(&pattern) {
                return Err(error(
                    "syntax error in pattern".to_string(),
                    IgnoreErrorKind::Syntax,
                ));
            }
            let matcher = Matcher::new(&pattern).map_err(|e| match e {
                re2::ReError::Syntax(m) => error(
                    format!("syntax error in pattern (its regular expression: {m})"),
                    IgnoreErrorKind::Regex,
                ),
                re2::ReError::Unsupported(m) => error(
                    format!("hoist cannot evaluate this pattern ({m})"),
                    IgnoreErrorKind::Unsupported,
                ),
            })?;
            patterns.push(Pattern {
                line,
                text: written.to_string(),
                pattern,
                exception,
                matcher,
            });
        }
        Ok(IgnoreFile { patterns })
    }

    /// The effective patterns, in file order.
    pub fn patterns(&self) -> &[Pattern] {
        &self.patterns
    }

    /// Whether any `!` exception exists (BuildKit skips the `CopyIgnoredFile` lint then, R7.6).
    pub fn has_exceptions(&self) -> bool {
        self.patterns.iter().any(|p| p.exception)
    }

    /// Is this context-relative path (forward slashes, no leading `./` or `/`) excluded from
    /// the context?
    ///
    /// Follows BuildKit's walker: the path's directories are evaluated from the top down; for
    /// each of them the patterns run in file order and the last matching one wins; a pattern that
    /// matched a parent directory counts as matching the child, but only if it was actually
    /// evaluated there (an exception is evaluated only while the path is excluded so far, a
    /// normal pattern only while it is included). So `a` excludes `a/b/c`, and `!a/keep`
    /// re-includes `a/keep` inside the excluded `a`.
    ///
    /// For a directory the answer is about the directory entry itself: an excluded directory is
    /// still recreated when something below it is sent, and a directory that is not excluded is
    /// sent even when all its contents are (an empty directory counts for `COPY . .`, S-5).
    /// The root (`""`, `.`) is never excluded.
    pub fn is_excluded(&self, path: &str) -> bool {
        self.walk(path).last().is_some_and(|v| v.excluded)
    }

    /// [`Self::is_excluded`], taking the verdicts of the path's directories from `cache`
    /// (and adding those it had to evaluate). `cache` must have been used with this ignore
    /// file only.
    pub fn is_excluded_cached(&self, path: &str, cache: &mut ExclusionCache) -> bool {
        // Paths from git are clean already: no need to normalize them.
        let clean = path
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != "..");
        let normalized;
        let path = if clean {
            path
        } else {
            normalized = normalize(path);
            normalized.as_str()
        };
        if let Some(&excluded) = cache.paths.get(path) {
            return excluded;
        }
        let mut flags = std::mem::take(&mut cache.flags);
        flags.resize(self.patterns.len(), false);
        let excluded = match path.rsplit_once('/') {
            _ if path.is_empty() => false,
            None => self.evaluate_into(path, None, &mut flags).0,
            Some((dir, _)) => {
                self.cache_dir(dir, cache);
                let parent = Some(cache.dirs[dir].flags.as_slice());
                self.evaluate_into(path, parent, &mut flags).0
            }
        };
        cache.flags = flags;
        cache.paths.insert(path.to_string(), excluded);
        excluded
    }

    /// Evaluates `dir` (normalized, not empty) and its parents into `cache`, top down.
    fn cache_dir(&self, dir: &str, cache: &mut ExclusionCache) {
        if cache.dirs.contains_key(dir) {
            return;
        }
        let verdict = match dir.rsplit_once('/') {
            None => self.evaluate(dir, None),
            Some((up, _)) => {
                self.cache_dir(up, cache);
                self.evaluate(dir, Some(&cache.dirs[up].flags))
            }
        };
        cache.dirs.insert(dir.to_string(), verdict);
    }

    /// Which pattern (index into [`Self::patterns`]) decided the path: the last pattern that
    /// matched it (or one of its directories) — an exception when the path is re-included.
    /// `None` when no pattern matched, so the path is included by default.
    pub fn deciding_pattern(&self, path: &str) -> Option<usize> {
        self.walk(path).last().and_then(|v| v.decider)
    }

    /// May a walker have to look inside this directory? `false` exactly when BuildKit's walker
    /// (`fsu:filter.go`) skips it unread (`SkipDir`) — it, or one of its parents, is excluded and
    /// no exception can re-include anything below it.
    ///
    /// The rule: an excluded directory is skipped when the ignore file has no exception, or when
    /// every exception is "prefix-only" (after dropping a trailing `/**`, then a trailing `/*`,
    /// it contains none of `*?[]^\`) and none of them lies under the directory (exception + `/`
    /// starts with directory + `/`). A single wildcard exception such as `!**/*.txt` makes the
    /// walker read every excluded directory, however large (permission errors on excluded
    /// entries are tolerated). Pruning never changes which paths are sent — it is only the
    /// walker's shortcut — so every path under a directory for which this returns `false` is
    /// excluded.
    pub fn dir_may_contain_included(&self, dir: &str) -> bool {
        let path = normalize(dir);
        let verdicts = self.walk(&path);
        let only_prefix = self.only_prefix_exceptions();
        let mut ends = path.match_indices('/').map(|(i, _)| i).chain([path.len()]);
        for verdict in &verdicts {
            let end = ends.next().unwrap_or(path.len());
            if verdict.excluded && only_prefix && !self.exception_under(&path[..end]) {
                return false;
            }
        }
        true
    }

    /// fsutil's `onlyPrefixExcludeExceptions`.
    fn only_prefix_exceptions(&self) -> bool {
        self.patterns
            .iter()
            .filter(|p| p.exception)
            .all(|p| !without_trailing_glob(&p.pattern).contains(WALKER_PATTERN_CHARS))
    }

    /// Does some exception lie under `dir` (fsutil's check before `SkipDir`)?
    fn exception_under(&self, dir: &str) -> bool {
        let dir_slash = format!("{dir}/");
        self.patterns
            .iter()
            .filter(|p| p.exception)
            .any(|p| format!("{}/", without_trailing_glob(&p.pattern)).starts_with(&dir_slash))
    }

    /// The walker's verdicts for each directory of `path`, top down, ending with `path` itself.
    fn walk(&self, path: &str) -> Vec<Verdict> {
        let path = normalize(path);
        if path.is_empty() {
            return Vec::new();
        }
        let ends = path.match_indices('/').map(|(i, _)| i).chain([path.len()]);
        let mut verdicts: Vec<Verdict> = Vec::new();
        for end in ends {
            let parent = verdicts.last().map(|v| v.flags.as_slice());
            let verdict = self.evaluate(&path[..end], parent);
            verdicts.push(verdict);
        }
        verdicts
    }

    /// One `MatchesUsingParentResults` call. `parent` is `None` only for top-level entries,
    /// which have no parent directory to consult.
    fn evaluate(&self, path: &str, parent: Option<&[bool]>) -> Verdict {
        let mut flags = vec![false; self.patterns.len()];
        let (excluded, decider) = self.evaluate_into(path, parent, &mut flags);
        Verdict {
            excluded,
            decider,
            flags,
        }
    }

    /// [`Self::evaluate`] writing the per-pattern flags into `flags` (one per pattern);
    /// returns (excluded, decider).
    fn evaluate_into(
        &self,
        path: &str,
        parent: Option<&[bool]>,
        flags: &mut [bool],
    ) -> (bool, Option<usize>) {
        let mut excluded = false;
        let mut decider = None;
        for (i, pattern) in self.patterns.iter().enumerate() {
            let mut matched = parent.is_some_and(|p| p.get(i).copied().unwrap_or(false));
            if !matched {
                // Exceptions only run while excluded, normal patterns only while included;
                // a skipped pattern is recorded as "not matched" for the children too.
                if pattern.exception != excluded {
                    continue;
                }
                matched = pattern.matches(path);
            }
            flags[i] = matched;
            if matched {
                excluded = !pattern.exception;
                decider = Some(i);
            }
        }
        (excluded, decider)
    }
}

/// Which ignore file applies to a build (R7.1): `<dockerfile>.dockerignore` next to the
/// Dockerfile wins over `<context>/.dockerignore`; `None` when neither exists.
///
/// Pass the Dockerfile path as requested (`-f`, or `<context>/Dockerfile`): when BuildKit falls
/// back to reading a lowercase `dockerfile` it still looks for `Dockerfile.dockerignore`.
/// `exists` should answer "is a regular file (symlinks followed)": BuildKit ignores an ignore
/// "file" that is a directory. Caveat (code reading, `grpcclient` `ReadFile`): an *empty*
/// `<dockerfile>.dockerignore` arrives as "no data" through a `# syntax=` (gateway) frontend,
/// which then falls back to `.dockerignore`; the built-in frontend honours the empty file.
pub fn ignore_file_for(
    dockerfile: &Path,
    context: &Path,
    exists: &dyn Fn(&Path) -> bool,
) -> Option<PathBuf> {
    if let Some(name) = dockerfile.file_name() {
        let mut specific_name = name.to_os_string();
        specific_name.push(".dockerignore");
        let specific = dockerfile.with_file_name(specific_name);
        if exists(&specific) {
            return Some(specific);
        }
    }
    let generic = context.join(".dockerignore");
    exists(&generic).then_some(generic)
}

// ------------------------------------------------------------------------------------------
// Reading helpers

/// Lines as `bufio.ScanLines` yields them (the `\r` is still attached): split on `\n`, no empty
/// token after a final newline.
fn scan_lines(text: &str) -> impl Iterator<Item = &str> {
    let body = text.strip_suffix('\n').unwrap_or(text);
    let empty = text.is_empty();
    body.split('\n').take(if empty { 0 } else { usize::MAX })
}

/// A pattern short enough for an error message.
fn shorten(text: &str) -> String {
    const LIMIT: usize = 80;
    if text.chars().count() <= LIMIT {
        return text.to_string();
    }
    let mut short: String = text.chars().take(LIMIT).collect();
    short.push('…');
    short
}

/// Go's `filepath.Clean` on Unix: collapse `//`, drop `.`, resolve `..` lexically, no trailing
/// `/`; `""` becomes `.`.
fn go_clean(path: &str) -> String {
    if path.is_empty() {
        return ".".to_string();
    }
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for element in path.split('/') {
        match element {
            "" | "." => {}
            ".." => match parts.last() {
                Some(&last) if last != ".." => {
                    parts.pop();
                }
                _ if rooted => {}
                _ => parts.push(".."),
            },
            _ => parts.push(element),
        }
    }
    let body = parts.join("/");
    if rooted {
        format!("/{body}")
    } else if body.is_empty() {
        ".".to_string()
    } else {
        body
    }
}

/// A query path in walker form: cleaned, relative; `""` for the context root.
fn normalize(path: &str) -> String {
    let cleaned = go_clean(path);
    let relative = cleaned.trim_start_matches('/');
    if relative == "." {
        String::new()
    } else {
        relative.to_string()
    }
}

/// fsutil's `patternWithoutTrailingGlob`.
fn without_trailing_glob(pattern: &str) -> &str {
    let pattern = pattern.strip_suffix("/**").unwrap_or(pattern);
    pattern.strip_suffix("/*").unwrap_or(pattern)
}

/// Would Go's `filepath.Match(pattern, ".")` (Unix, Go ≥ 1.16, which validates the whole
/// pattern) report `ErrBadPattern`? Returns `true` when the syntax is fine.
fn go_match_syntax_ok(pattern: &str) -> bool {
    let mut rest = pattern.as_bytes();
    while !rest.is_empty() {
        let (chunk, after) = scan_chunk(rest);
        if !chunk_syntax_ok(chunk) {
            return false;
        }
        rest = after;
    }
    true
}

/// Go's `scanChunk`: skip leading stars, then take bytes up to the next `*` outside `[...]`.
fn scan_chunk(pattern: &[u8]) -> (&[u8], &[u8]) {
    let mut start = 0;
    while pattern.get(start) == Some(&b'*') {
        start += 1;
    }
    let pattern = &pattern[start..];
    let mut in_range = false;
    let mut i = 0;
    while i < pattern.len() {
        match pattern[i] {
            b'\\' if i + 1 < pattern.len() => i += 1,
            b'[' => in_range = true,
            b']' => in_range = false,
            b'*' if !in_range => break,
            _ => {}
        }
        i += 1;
    }
    pattern.split_at(i)
}

/// Go's `matchChunk` in its validating role: `[` classes must be well formed, `\` needs a
/// following byte.
fn chunk_syntax_ok(chunk: &[u8]) -> bool {
    let mut i = 0;
    while i < chunk.len() {
        match chunk[i] {
            b'[' => {
                i += 1;
                if chunk.get(i) == Some(&b'^') {
                    i += 1;
                }
                let mut ranges = 0;
                loop {
                    if chunk.get(i) == Some(&b']') && ranges > 0 {
                        i += 1;
                        break;
                    }
                    let Some(next) = class_char_end(chunk, i) else {
                        return false;
                    };
                    i = next;
                    if chunk.get(i) == Some(&b'-') {
                        let Some(next) = class_char_end(chunk, i + 1) else {
                            return false;
                        };
                        i = next;
                    }
                    ranges += 1;
                }
            }
            b'\\' => {
                if i + 1 >= chunk.len() {
                    return false;
                }
                i += 2;
            }
            _ => i += 1,
        }
    }
    true
}

/// Go's `getEsc`: one (possibly escaped) class character starting at `i`; returns the index
/// after it, or `None` on a syntax error (including "nothing follows it").
fn class_char_end(chunk: &[u8], mut i: usize) -> Option<usize> {
    match chunk.get(i) {
        None | Some(b'-') | Some(b']') => return None,
        Some(b'\\') => {
            i += 1;
            if i >= chunk.len() {
                return None;
            }
        }
        Some(_) => {}
    }
    i += utf8_len(chunk[i]);
    (i < chunk.len()).then_some(i)
}

/// Length of the UTF-8 sequence starting with `lead` (1 for stray continuation bytes, as Go's
/// decoder advances one byte on invalid input).
fn utf8_len(lead: u8) -> usize {
    match lead {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF7 => 4,
        _ => 1,
    }
}

// ------------------------------------------------------------------------------------------
// Matching one pattern

/// patternmatcher's four match types.
#[derive(Debug, Clone)]
enum Matcher {
    /// Only literal characters: the path must equal the pattern.
    Exact(String),
    /// Literals then a final `**`: byte prefix (the pattern minus its last two bytes).
    Prefix(Vec<u8>),
    /// `**` first, literals after: byte suffix (the pattern minus its first two bytes), or the
    /// suffix minus its leading `/` as the whole path.
    Suffix(Vec<u8>),
    /// Anything with `*`, `?`, `[`, `]` or `\`: the translated regular expression, and
    /// literal runs of the pattern that a matching path must contain (a cheap test that
    /// rules out most paths before the regular expression runs).
    Regex(re2::Program, Vec<String>),
}

impl Matcher {
    /// Translate a cleaned pattern the way patternmatcher's `compile` does (separator `/`),
    /// then compile the regular expression when one is needed.
    fn new(pattern: &str) -> Result<Matcher, re2::ReError> {
        #[derive(Clone, Copy, PartialEq, Eq)]
        enum Kind {
            Exact,
            Prefix,
            Suffix,
            Regexp,
        }
        let chars: Vec<char> = pattern.chars().collect();
        // Go's text/scanner silently skips a byte-order mark at the very start.
        let mut pos = usize::from(chars.first() == Some(&'\u{feff}'));
        let mut regex = String::from("^");
        let mut kind = Kind::Exact;
        let mut iteration = 0usize;
        while let Some(&ch) = chars.get(pos) {
            pos += 1;
            match ch {
                '*' if chars.get(pos) == Some(&'*') => {
                    pos += 1;
                    if chars.get(pos) == Some(&'/') {
                        pos += 1;
                    }
                    if pos == chars.len() {
                        if kind == Kind::Exact {
                            kind = Kind::Prefix;
                        } else {
                            regex.push_str(".*");
                            kind = Kind::Regexp;
                        }
                    } else {
                        regex.push_str("(.*/)?");
                        kind = Kind::Regexp;
                    }
                    if iteration == 0 {
                        kind = Kind::Suffix;
                    }
                }
                '*' => {
                    regex.push_str("[^/]*");
                    kind = Kind::Regexp;
                }
                '?' => {
                    regex.push_str("[^/]");
                    kind = Kind::Regexp;
                }
                '.' | '+' | '(' | ')' | '|' | '{' | '}' | '$' => {
                    regex.push('\\');
                    regex.push(ch);
                }
                '\\' => match chars.get(pos) {
                    Some(&escaped) => {
                        pos += 1;
                        regex.push('\\');
                        regex.push(escaped);
                        kind = Kind::Regexp;
                    }
                    None => regex.push('\\'),
                },
                '[' | ']' => {
                    regex.push(ch);
                    kind = Kind::Regexp;
                }
                _ => regex.push(ch),
            }
            iteration += 1;
        }
        let bytes = pattern.as_bytes();
        Ok(match kind {
            Kind::Exact => Matcher::Exact(pattern.to_string()),
            Kind::Prefix => Matcher::Prefix(bytes[..bytes.len().saturating_sub(2)].to_vec()),
            Kind::Suffix => Matcher::Suffix(bytes.get(2..).unwrap_or_default().to_vec()),
            Kind::Regexp => {
                regex.push('$');
                Matcher::Regex(re2::Program::compile(&regex)?, required_literals(pattern))
            }
        })
    }

    fn matches(&self, path: &str) -> bool {
        let bytes = path.as_bytes();
        match self {
            Matcher::Exact(pattern) => path == pattern,
            Matcher::Prefix(prefix) => bytes.starts_with(prefix),
            Matcher::Suffix(suffix) => {
                bytes.ends_with(suffix) || (suffix.first() == Some(&b'/') && bytes == &suffix[1..])
            }
            Matcher::Regex(program, required) => {
                required.iter().all(|r| path.contains(r.as_str())) && program.is_match(path)
            }
        }
    }
}

/// Runs of a pattern's characters that the translated regular expression matches
/// literally and consecutively, so that every matching path contains each of them.
/// Runs are split at `*`, `?` and `/` (a `/` after `**` is optional). A pattern with
/// characters whose translation is not literal (`[`, `]`, `\`, `^`, a byte-order
/// mark) gets none.
fn required_literals(pattern: &str) -> Vec<String> {
    if pattern.contains(['[', ']', '\\', '^', '\u{feff}']) {
        return Vec::new();
    }
    pattern
        .split(['*', '?', '/'])
        .filter(|run| !run.is_empty())
        .map(str::to_string)
        .collect()
}

/// The subset of Go's RE2 syntax (`regexp.Compile`, Perl flags) that patternmatcher's
/// translation can produce, with Go's semantics: `^`/`$` anchor the whole text, `.` excludes
/// `\n`, negated classes include `\n`, `\d \s \w \b` and POSIX `[:name:]` classes are ASCII,
/// `\Q…\E` quotes. Matching is a Thompson-NFA simulation (no backtracking blow-up).
mod re2 {
    /// Why a translated pattern does not compile.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub(super) enum ReError {
        /// Go's regexp rejects it.
        Syntax(String),
        /// Go accepts it; this engine does not model it.
        Unsupported(String),
    }

    fn syntax(message: &str) -> ReError {
        ReError::Syntax(message.to_string())
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Assertion {
        BeginText,
        EndText,
        WordBoundary,
        NotWordBoundary,
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Named {
        Alnum,
        Alpha,
        Ascii,
        Blank,
        Cntrl,
        Digit,
        Graph,
        Lower,
        Print,
        Punct,
        Space,
        PerlSpace,
        Upper,
        Word,
        Xdigit,
    }

    impl Named {
        fn contains(self, c: char) -> bool {
            match self {
                Named::Alnum => c.is_ascii_alphanumeric(),
                Named::Alpha => c.is_ascii_alphabetic(),
                Named::Ascii => c.is_ascii(),
                Named::Blank => c == ' ' || c == '\t',
                Named::Cntrl => c.is_ascii_control(),
                Named::Digit => c.is_ascii_digit(),
                Named::Graph => ('!'..='~').contains(&c),
                Named::Lower => c.is_ascii_lowercase(),
                Named::Print => (' '..='~').contains(&c),
                Named::Punct => c.is_ascii_punctuation(),
                Named::Space => matches!(c, '\t' | '\n' | '\x0b' | '\x0c' | '\r' | ' '),
                Named::PerlSpace => matches!(c, '\t' | '\n' | '\x0c' | '\r' | ' '),
                Named::Upper => c.is_ascii_uppercase(),
                Named::Word => is_word(c),
                Named::Xdigit => c.is_ascii_hexdigit(),
            }
        }

        fn posix(name: &str) -> Option<Named> {
            Some(match name {
                "alnum" => Named::Alnum,
                "alpha" => Named::Alpha,
                "ascii" => Named::Ascii,
                "blank" => Named::Blank,
                "cntrl" => Named::Cntrl,
                "digit" => Named::Digit,
                "graph" => Named::Graph,
                "lower" => Named::Lower,
                "print" => Named::Print,
                "punct" => Named::Punct,
                "space" => Named::Space,
                "upper" => Named::Upper,
                "word" => Named::Word,
                "xdigit" => Named::Xdigit,
                _ => return None,
            })
        }

        /// `\d \s \w` (and upper case = negated).
        fn perl(letter: char) -> Option<(Named, bool)> {
            Some(match letter {
                'd' => (Named::Digit, false),
                'D' => (Named::Digit, true),
                's' => (Named::PerlSpace, false),
                'S' => (Named::PerlSpace, true),
                'w' => (Named::Word, false),
                'W' => (Named::Word, true),
                _ => return None,
            })
        }
    }

    fn is_word(c: char) -> bool {
        c.is_ascii_alphanumeric() || c == '_'
    }

    #[derive(Debug, Clone, PartialEq, Eq)]
    enum Item {
        Range(char, char),
        Named(Named, bool),
    }

    #[derive(Debug, Clone, PartialEq, Eq)]
    struct Class {
        items: Vec<Item>,
        negated: bool,
    }

    impl Class {
        fn single(item: Item) -> Class {
            Class {
                items: vec![item],
                negated: false,
            }
        }

        fn contains(&self, c: char) -> bool {
            let hit = self.items.iter().any(|item| match *item {
                Item::Range(lo, hi) => lo <= c && c <= hi,
                Item::Named(named, negated) => named.contains(c) != negated,
            });
            hit != self.negated
        }
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Rep {
        Star,
        Plus,
        Quest,
    }

    impl Rep {
        /// The single repetition equivalent to `outer` applied to `inner` (for matching).
        fn stack(inner: Rep, outer: Rep) -> Rep {
            if inner == outer { inner } else { Rep::Star }
        }
    }

    #[derive(Debug)]
    enum Node {
        Char(char),
        Class(Class),
        AnyNotNl,
        Assert(Assertion),
        Group(Vec<Node>),
        Repeat(Box<Node>, Rep),
    }

    /// Groups nest only once in translated patterns; anything deeper is refused.
    const MAX_GROUP_DEPTH: usize = 64;

    struct Parser {
        s: Vec<char>,
        pos: usize,
    }

    impl Parser {
        fn peek(&self) -> Option<char> {
            self.s.get(self.pos).copied()
        }

        fn peek_at(&self, offset: usize) -> Option<char> {
            self.s.get(self.pos + offset).copied()
        }

        fn bump(&mut self) -> Option<char> {
            let c = self.peek();
            if c.is_some() {
                self.pos += 1;
            }
            c
        }

        fn sequence(&mut self, depth: usize) -> Result<Vec<Node>, ReError> {
            if depth > MAX_GROUP_DEPTH {
                return Err(ReError::Unsupported("groups nested too deeply".into()));
            }
            let mut nodes: Vec<Node> = Vec::new();
            let mut after_repeat = false;
            loop {
                let Some(c) = self.bump() else {
                    return if depth > 0 {
                        Err(syntax("missing closing )"))
                    } else {
                        Ok(nodes)
                    };
                };
                let mut repeated = false;
                match c {
                    '(' => {
                        if self.peek() == Some('?') {
                            return Err(ReError::Unsupported("group flags".into()));
                        }
                        let inner = self.sequence(depth + 1)?;
                        nodes.push(Node::Group(inner));
                    }
                    ')' => {
                        return if depth > 0 {
                            Ok(nodes)
                        } else {
                            Err(syntax("unexpected )"))
                        };
                    }
                    '|' => return Err(ReError::Unsupported("alternation".into())),
                    '*' | '+' | '?' => {
                        let rep = match c {
                            '*' => Rep::Star,
                            '+' => Rep::Plus,
                            _ => Rep::Quest,
                        };
                        if self.peek() == Some('?') {
                            self.pos += 1; // non-greedy: same matches
                        }
                        if after_repeat {
                            return Err(syntax("invalid nested repetition operator"));
                        }
                        let Some(last) = nodes.pop() else {
                            return Err(syntax("missing argument to repetition operator"));
                        };
                        nodes.push(match last {
                            Node::Repeat(inner, inner_rep) => {
                                Node::Repeat(inner, Rep::stack(inner_rep, rep))
                            }
                            other => Node::Repeat(Box::new(other), rep),
                        });
                        repeated = true;
                    }
                    '{' if self.counted_repeat_follows() => {
                        return Err(ReError::Unsupported("counted repetition".into()));
                    }
                    '[' => nodes.push(Node::Class(self.class()?)),
                    '.' => nodes.push(Node::AnyNotNl),
                    '^' => nodes.push(Node::Assert(Assertion::BeginText)),
                    '$' => nodes.push(Node::Assert(Assertion::EndText)),
                    '\\' => self.top_escape(&mut nodes)?,
                    other => nodes.push(Node::Char(other)),
                }
                after_repeat = repeated;
            }
        }

        /// After a `{`: does `n}`, `n,}` or `n,m}` follow (Go's repeat syntax)?
        fn counted_repeat_follows(&self) -> bool {
            let rest: String = self.s[self.pos..].iter().take(32).collect();
            let Some(close) = rest.find('}') else {
                return false;
            };
            let body = &rest[..close];
            let (min, max) = body.split_once(',').unwrap_or((body, "0"));
            !min.is_empty()
                && min.bytes().all(|b| b.is_ascii_digit())
                && max.bytes().all(|b| b.is_ascii_digit())
        }

        /// A backslash outside a class (the `\` is consumed).
        fn top_escape(&mut self, nodes: &mut Vec<Node>) -> Result<(), ReError> {
            let Some(c) = self.peek() else {
                return Err(syntax("trailing backslash at end of expression"));
            };
            let assertion = match c {
                'A' => Some(Assertion::BeginText),
                'z' => Some(Assertion::EndText),
                'b' => Some(Assertion::WordBoundary),
                'B' => Some(Assertion::NotWordBoundary),
                _ => None,
            };
            if let Some(assertion) = assertion {
                self.pos += 1;
                nodes.push(Node::Assert(assertion));
                return Ok(());
            }
            match c {
                'C' => Err(syntax("invalid escape sequence: \\C")),
                'Q' => {
                    self.pos += 1;
                    while let Some(q) = self.bump() {
                        if q == '\\' && self.peek() == Some('E') {
                            self.pos += 1;
                            break;
                        }
                        nodes.push(Node::Char(q));
                    }
                    Ok(())
                }
                'p' | 'P' => Err(ReError::Unsupported("Unicode class \\p".into())),
                _ => {
                    if let Some((named, negated)) = Named::perl(c) {
                        self.pos += 1;
                        nodes.push(Node::Class(Class::single(Item::Named(named, negated))));
                    } else {
                        let ch = self.escape()?;
                        nodes.push(Node::Char(ch));
                    }
                    Ok(())
                }
            }
        }

        /// Go's `parseEscape`, positioned just after the backslash.
        fn escape(&mut self) -> Result<char, ReError> {
            let invalid = || syntax("invalid escape sequence");
            let Some(c) = self.bump() else {
                return Err(syntax("trailing backslash at end of expression"));
            };
            let octal = |c: Option<char>| c.and_then(|c| c.to_digit(8));
            match c {
                '1'..='7' if octal(self.peek()).is_none() => Err(invalid()),
                '0'..='7' => {
                    let mut value = c.to_digit(8).unwrap_or(0);
                    for _ in 1..3 {
                        match octal(self.peek()) {
                            Some(d) => {
                                value = value * 8 + d;
                                self.pos += 1;
                            }
                            None => break,
                        }
                    }
                    char::from_u32(value).ok_or_else(invalid)
                }
                'x' => {
                    let hi = self.bump().and_then(|c| c.to_digit(16));
                    let lo = self.bump().and_then(|c| c.to_digit(16));
                    match (hi, lo) {
                        (Some(hi), Some(lo)) => char::from_u32(hi * 16 + lo).ok_or_else(invalid),
                        _ => Err(invalid()),
                    }
                }
                'a' => Ok('\x07'),
                'f' => Ok('\x0c'),
                'n' => Ok('\n'),
                'r' => Ok('\r'),
                't' => Ok('\t'),
                'v' => Ok('\x0b'),
                c if c.is_ascii() && !c.is_ascii_alphanumeric() => Ok(c),
                _ => Err(invalid()),
            }
        }

        /// Go's `parseClass`, positioned just after the `[`.
        fn class(&mut self) -> Result<Class, ReError> {
            let mut negated = false;
            if self.peek() == Some('^') {
                negated = true;
                self.pos += 1;
            }
            let mut items = Vec::new();
            let mut first = true;
            loop {
                match self.peek() {
                    None => return Err(syntax("missing closing ]")),
                    Some(']') if !first => {
                        self.pos += 1;
                        break;
                    }
                    _ => {}
                }
                first = false;
                if let Some(item) = self.posix_class()? {
                    items.push(item);
                    continue;
                }
                if self.peek() == Some('\\') {
                    match self.peek_at(1) {
                        Some('p' | 'P') => {
                            return Err(ReError::Unsupported("Unicode class \\p".into()));
                        }
                        Some(letter) => {
                            if let Some((named, negated)) = Named::perl(letter) {
                                self.pos += 2;
                                items.push(Item::Named(named, negated));
                                continue;
                            }
                        }
                        None => {}
                    }
                }
                let lo = self.class_char()?;
                let mut hi = lo;
                if self.peek() == Some('-') && self.peek_at(1).is_some_and(|c| c != ']') {
                    self.pos += 1;
                    hi = self.class_char()?;
                    if hi < lo {
                        return Err(syntax("invalid character class range"));
                    }
                }
                items.push(Item::Range(lo, hi));
            }
            Ok(Class { items, negated })
        }

        /// `[:name:]` / `[:^name:]` at the current position (Go looks for the closing `:]`
        /// anywhere in the rest of the expression; an unknown name is an error).
        fn posix_class(&mut self) -> Result<Option<Item>, ReError> {
            if self.peek() != Some('[') || self.peek_at(1) != Some(':') {
                return Ok(None);
            }
            if self.s.len() - self.pos <= 2 {
                return Ok(None);
            }
            let start = self.pos + 2;
            let Some(offset) = self.s[start..].windows(2).position(|w| w == [':', ']']) else {
                return Ok(None);
            };
            let name: String = self.s[start..start + offset].iter().collect();
            let (negated, bare) = match name.strip_prefix('^') {
                Some(bare) => (true, bare),
                None => (false, name.as_str()),
            };
            let Some(named) = Named::posix(bare) else {
                return Err(syntax("invalid character class range"));
            };
            self.pos = start + offset + 2;
            Ok(Some(Item::Named(named, negated)))
        }

        /// Go's `parseClassChar`.
        fn class_char(&mut self) -> Result<char, ReError> {
            match self.peek() {
                None => Err(syntax("missing closing ]")),
                Some('\\') => {
                    self.pos += 1;
                    self.escape()
                }
                Some(c) => {
                    self.pos += 1;
                    Ok(c)
                }
            }
        }
    }

    #[derive(Debug, Clone)]
    enum Inst {
        Char(char),
        Class(Class),
        AnyNotNl,
        Assert(Assertion),
        Split(usize, usize),
        Jmp(usize),
        Match,
    }

    /// A compiled expression.
    #[derive(Debug, Clone)]
    pub(super) struct Program {
        insts: Vec<Inst>,
    }

    impl Program {
        pub(super) fn compile(expression: &str) -> Result<Program, ReError> {
            let mut parser = Parser {
                s: expression.chars().collect(),
                pos: 0,
            };
            let nodes = parser.sequence(0)?;
            let mut insts = Vec::new();
            for node in &nodes {
                emit(node, &mut insts);
            }
            insts.push(Inst::Match);
            Ok(Program { insts })
        }

        /// Does the expression match anywhere in `text` (Go's `MatchString`)?
        pub(super) fn is_match(&self, text: &str) -> bool {
            let chars: Vec<char> = text.chars().collect();
            let mut run = Run {
                program: self,
                chars: &chars,
                marks: vec![usize::MAX; self.insts.len()],
                stack: Vec::new(),
            };
            let mut current = Vec::new();
            let mut next = Vec::new();
            if run.add(0, 0, &mut current) {
                return true;
            }
            for (pos, &c) in chars.iter().enumerate() {
                next.clear();
                for &pc in &current {
                    let consumes = match &self.insts[pc] {
                        Inst::Char(x) => *x == c,
                        Inst::Class(class) => class.contains(c),
                        Inst::AnyNotNl => c != '\n',
                        _ => false,
                    };
                    if consumes && run.add(pc + 1, pos + 1, &mut next) {
                        return true;
                    }
                }
                // Unanchored search: a match may also start here.
                if run.add(0, pos + 1, &mut next) {
                    return true;
                }
                std::mem::swap(&mut current, &mut next);
            }
            false
        }
    }

    struct Run<'a> {
        program: &'a Program,
        chars: &'a [char],
        marks: Vec<usize>,
        stack: Vec<usize>,
    }

    impl Run<'_> {
        /// Follow empty transitions from `pc` at `pos`, collecting character-consuming
        /// instructions into `list`. Returns `true` when `Match` is reachable.
        fn add(&mut self, pc: usize, pos: usize, list: &mut Vec<usize>) -> bool {
            self.stack.clear();
            self.stack.push(pc);
            while let Some(pc) = self.stack.pop() {
                if self.marks[pc] == pos {
                    continue;
                }
                self.marks[pc] = pos;
                match &self.program.insts[pc] {
                    Inst::Match => return true,
                    Inst::Jmp(target) => self.stack.push(*target),
                    Inst::Split(a, b) => {
                        self.stack.push(*b);
                        self.stack.push(*a);
                    }
                    Inst::Assert(assertion) => {
                        if self.holds(*assertion, pos) {
                            self.stack.push(pc + 1);
                        }
                    }
                    Inst::Char(_) | Inst::Class(_) | Inst::AnyNotNl => list.push(pc),
                }
            }
            false
        }

        fn holds(&self, assertion: Assertion, pos: usize) -> bool {
            let before = pos.checked_sub(1).and_then(|i| self.chars.get(i));
            let after = self.chars.get(pos);
            let boundary =
                before.is_some_and(|&c| is_word(c)) != after.is_some_and(|&c| is_word(c));
            match assertion {
                Assertion::BeginText => pos == 0,
                Assertion::EndText => pos == self.chars.len(),
                Assertion::WordBoundary => boundary,
                Assertion::NotWordBoundary => !boundary,
            }
        }
    }

    fn emit(node: &Node, out: &mut Vec<Inst>) {
        match node {
            Node::Char(c) => out.push(Inst::Char(*c)),
            Node::Class(class) => out.push(Inst::Class(class.clone())),
            Node::AnyNotNl => out.push(Inst::AnyNotNl),
            Node::Assert(assertion) => out.push(Inst::Assert(*assertion)),
            Node::Group(nodes) => {
                for node in nodes {
                    emit(node, out);
                }
            }
            Node::Repeat(inner, rep) => match rep {
                Rep::Star => {
                    let split = out.len();
                    out.push(Inst::Split(0, 0));
                    emit(inner, out);
                    out.push(Inst::Jmp(split));
                    out[split] = Inst::Split(split + 1, out.len());
                }
                Rep::Quest => {
                    let split = out.len();
                    out.push(Inst::Split(0, 0));
                    emit(inner, out);
                    out[split] = Inst::Split(split + 1, out.len());
                }
                Rep::Plus => {
                    let start = out.len();
                    emit(inner, out);
                    out.push(Inst::Split(start, out.len() + 1));
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (ignore-file text, context path, expected: excluded?)
    const CASES: &[(&str, &str, bool)] = &[
        // --- literal names, anchored at the root, parent directories count
        ("foo", "foo", true),
        ("foo", "foo/bar", true),
        ("foo", "foo/bar/baz.txt", true),
        ("foo", "foobar", false),
        ("foo", "bar/foo", false),
        ("foo/bar", "foo", false),
        ("foo/bar", "foo/bar/x", true),
        ("", "anything", false),
        // --- `*` stays inside one path element
        ("*.md", "README.md", true),
        ("*.md", "docs/a.md", false),
        ("*", "anything", true),
        ("*", "a/b", true),
        ("docs/*.md", "docs/a.md", true),
        ("docs/*.md", "docs/sub/a.md", false),
        ("*/*.md", "docs/a.md", true),
        ("a*c", "abc", true),
        ("a*c", "a/c", false),
        // --- `?` is one non-`/` character (not one byte)
        ("?.txt", "a.txt", true),
        ("?.txt", "ab.txt", false),
        ("a?c", "a/c", false),
        ("?", "é", true),
        // --- classes: ranges, `^` negation, `!` is literal, classes can match `/`
        ("[abc].txt", "b.txt", true),
        ("[abc].txt", "d.txt", false),
        ("[a-c]x", "bx", true),
        ("[^a-c]x", "bx", false),
        ("[^a-c]x", "dx", true),
        ("[!a]x", "!x", true),
        ("[!a]x", "ax", true),
        ("[!a]x", "bx", false),
        ("a[^x]b", "a/b", true),
        ("[é]", "é", true),
        ("[\\]]", "]", true),
        // --- class quirks of the regexp translation
        ("[[:alpha:]]", "q", true),
        ("[[:alpha:]]", "[]", false),
        ("[*]x", "*x", false),
        ("[*]x", "]x", true),
        ("[?]", "?", false),
        ("[?]", "^]", true),
        // --- `**`
        ("**/*.go", "main.go", true),
        ("**/*.go", "cmd/app/main.go", true),
        ("**/*.go", "main.go.txt", false),
        ("**", "x/y", true),
        ("a/**", "a", false),
        ("a/**", "a/b/c", true),
        ("a/**/b", "a/b", true),
        ("a/**/b", "a/x/y/b", true),
        ("a/**/b", "a/xb", false),
        ("**/node_modules", "node_modules", true),
        ("**/node_modules", "web/node_modules/x/y.js", true),
        ("**.md", "docs/readme.md", true),
        ("**foo", "barfoo", true),
        ("**/foo", "barfoo", false),
        ("a**", "abc/d", true),
        ("**/a/**", "x/a/b", true),
        ("**/a/**", "a", false),
        ("**/*.go", "a\nb/x.go", false),
        ("**/x.go", "a\nb/x.go", true),
        // --- backslash escapes
        ("\\*.txt", "*.txt", true),
        ("\\*.txt", "a.txt", false),
        ("a\\?", "a?", true),
        ("\\[x]", "[x]", true),
        ("\\!a", "!a", true),
        ("a\\d", "a5", true),
        ("a\\d", "ad", false),
        ("\\x41*", "AB", true),
        // --- regexp metacharacters are literal; no brace expansion
        ("{a,b}", "a", false),
        ("{a,b}", "{a,b}", true),
        ("*.{js,ts}", "app.js", false),
        ("a+b", "a+b", true),
        ("a+b", "aab", false),
        ("(x)|y", "(x)|y", true),
        ("a.b", "axb", false),
        ("a.b*", "axbc", false),
        ("$HOME", "$HOME", true),
        ("a^b", "a^b", true),
        ("a^b*", "a^bc", false),
        ("^a*", "ab", true),
        // --- filepath.Clean and the leading slash
        ("./a", "a", true),
        ("a/../b", "b", true),
        ("a/../b", "a", false),
        ("a//b", "a/b", true),
        ("a/./b", "a/b", true),
        ("a/", "a", true),
        ("a/", "a/x", true),
        ("/a", "a", true),
        ("/a", "b/a", false),
        ("//a", "a", true),
        ("/", "a", false),
        (".", "a", false),
        ("../a", "a", false),
        ("a /", "a", true),
        ("!../../a", "a", true),
        ("/!a", "!a", false),
        ("*\n/!a", "a", false),
        // --- exceptions and "last match wins"
        ("a\n!a/keep", "a/keep", false),
        ("a\n!a/keep", "a/other", true),
        ("*.md\n!README.md", "README.md", false),
        ("*.md\n!README.md", "CHANGELOG.md", true),
        ("!README.md\n*.md", "README.md", true),
        ("a\n!a\na", "a/x", true),
        ("**/*.log\n!keep.log", "keep.log", false),
        ("**/*.log\n!keep.log", "sub/keep.log", true),
        ("build\n!build/keep.txt", "build/keep.txt", false),
        ("build\n!build/keep.txt", "build/other", true),
        ("build\n!build/keep.txt", "build", true),
        ("docs/", "docs2", false),
        ("*\n! a", "a", false),
        ("*\n! a", "b", true),
        ("*\n!a/", "a/b", false),
        ("a\n!a/*.txt", "a/x.txt", false),
        ("a\n!a/*.txt", "a/x.md", true),
        ("a\n!a/*.txt", "a/sub/x.txt", true),
        ("a\n!a/sub", "a/sub/deep/x", false),
        ("a\n!a", "a/x", false),
        // walker quirk: `!a` is skipped at `a` (nothing excluded yet) so it never reaches `a/x`
        ("a/x\n!a", "a/x", true),
        ("a/x\n!a/x", "a/x", false),
        // --- comments, whitespace, line endings, BOM
        ("# comment\nfoo", "# comment", false),
        ("# comment\nfoo", "foo", true),
        ("  # not a comment", "# not a comment", true),
        ("#foo", "#foo", false),
        ("foo   ", "foo", true),
        ("\tfoo\t", "foo", true),
        ("foo\r\nbar\r\n", "bar", true),
        ("foo\r\nbar\r\n", "foo", true),
        ("\u{feff}foo", "foo", true),
        ("\u{feff}#foo\nbar", "#foo", false),
        ("x\n\u{feff}foo", "foo", false),
        ("x\n\u{feff}*.go", "a.go", true),
        ("\n\n  \nfoo\n", "foo", true),
        // --- the usual suspects
        ("Dockerfile", "Dockerfile", true),
        ("Dockerfile", "sub/Dockerfile", false),
        (".dockerignore", ".dockerignore", true),
        ("*", ".dockerignore", true),
        (".git", ".git/HEAD", true),
        (".git", ".github/workflows/ci.yml", false),
        ("**/.git", "vendor/lib/.git/config", true),
        (
            "node_modules\n*.log\n!important.log",
            "important.log",
            false,
        ),
        // --- path normalisation of the query
        ("foo", "./foo", true),
        ("foo", "/foo/", true),
        ("*", "", false),
        ("*", ".", false),
    ];

    #[test]
    fn table() {
        assert!(CASES.len() >= 60);
        let mut failures = Vec::new();
        for &(text, path, expected) in CASES {
            let file = match IgnoreFile::parse(text) {
                Ok(file) => file,
                Err(e) => {
                    failures.push(format!("{text:?}: parse error {e}"));
                    continue;
                }
            };
            let got = file.is_excluded(path);
            if got != expected {
                failures.push(format!(
                    "{text:?} / {path:?}: expected excluded={expected}, got {got} (decided by {:?})",
                    file.deciding_pattern(path).map(|i| file.patterns()[i].to_string())
                ));
            }
        }
        assert!(
            failures.is_empty(),
            "{} failures:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }

    /// What the walker sends for a context holding `files` (directories implied by the paths):
    /// paths that are not excluded, plus the directories above them.
    fn sent(file: &IgnoreFile, files: &[&str]) -> Vec<String> {
        let mut all: Vec<String> = Vec::new();
        for f in files {
            for (i, _) in f.match_indices('/') {
                all.push(f[..i].to_string());
            }
            all.push((*f).to_string());
        }
        all.sort();
        all.dedup();
        let mut out: Vec<String> = Vec::new();
        for path in &all {
            if file.is_excluded(path) {
                continue;
            }
            for (i, _) in path.match_indices('/') {
                out.push(path[..i].to_string());
            }
            out.push(path.clone());
        }
        out.sort();
        out.dedup();
        out
    }

    /// Context listings observed with a real build (`COPY . /ctx` + `find`): docker-buildx 0.13.1
    /// (which applies the patterns while sending the context) against dockerd 20.10. Expected
    /// lists are the observed ones, `.dockerignore` and `Dockerfile` included where sent.
    #[test]
    fn matches_listings_observed_on_a_real_engine() {
        let cases: &[(&str, &[&str], &[&str])] = &[
            (
                "a/x\n!a\n",
                &["a/x", "a/y"],
                &[".dockerignore", "Dockerfile", "a", "a/y"],
            ),
            (
                "[*]x\n[[:alpha:]]\n",
                &["]x", "*x", "q", "[]", "bx"],
                &["*x", ".dockerignore", "Dockerfile", "[]", "bx"],
            ),
            (
                "**foo\na\\d\n",
                &["barfoo", "foo2", "a5", "ad"],
                &[".dockerignore", "Dockerfile", "ad", "foo2"],
            ),
            (
                "*\n/!keep\n!b.txt\n!x\n",
                &["a.go", "b.txt", "keep", "x/y", "z/inner"],
                &["b.txt", "keep", "x", "x/y"],
            ),
            (
                "zz\n\u{feff}*.go\nd/**\n",
                &["a.go", "b.txt", "d/e", "d/f/g"],
                &[".dockerignore", "Dockerfile", "b.txt", "d"],
            ),
        ];
        for &(text, files, expected) in cases {
            let file = IgnoreFile::parse(text).unwrap();
            let mut context: Vec<&str> = vec![".dockerignore", "Dockerfile"];
            context.extend_from_slice(files);
            let got = sent(&file, &context);
            let mut want: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
            want.sort();
            assert_eq!(got, want, "{text:?}");
        }
    }

    fn parse_err(text: &str) -> IgnoreError {
        match IgnoreFile::parse(text) {
            Ok(file) => panic!("{text:?} parsed: {:?}", file.patterns()),
            Err(e) => e,
        }
    }

    #[test]
    fn rejected_patterns_name_their_line() {
        // (text, line, kind)
        let cases: &[(&str, usize, IgnoreErrorKind)] = &[
            ("!", 1, IgnoreErrorKind::Syntax),
            ("a\n! ", 2, IgnoreErrorKind::Syntax),
            ("a\n\n!/", 3, IgnoreErrorKind::Syntax),
            ("[", 1, IgnoreErrorKind::Syntax),
            ("ok\na[", 2, IgnoreErrorKind::Syntax),
            ("[]", 1, IgnoreErrorKind::Syntax),
            ("[^]", 1, IgnoreErrorKind::Syntax),
            ("[a-]", 1, IgnoreErrorKind::Syntax),
            ("[-a]", 1, IgnoreErrorKind::Syntax),
            ("a\\", 1, IgnoreErrorKind::Syntax),
            ("*[x", 1, IgnoreErrorKind::Syntax),
            ("x*\\", 1, IgnoreErrorKind::Syntax),
            ("[z-a]", 1, IgnoreErrorKind::Regex),
            ("\\k", 1, IgnoreErrorKind::Regex),
            ("a\\é", 1, IgnoreErrorKind::Regex),
            ("[[:foo:]]", 1, IgnoreErrorKind::Regex),
            ("\\1*", 1, IgnoreErrorKind::Regex),
            ("a\\pL", 1, IgnoreErrorKind::Unsupported),
        ];
        for &(text, line, kind) in cases {
            let e = parse_err(text);
            assert_eq!((e.line, e.kind), (line, kind), "{text:?}: {e}");
            assert!(e.to_string().starts_with(&format!("line {line}: ")), "{e}");
        }
        let e = parse_err("ok\n  [oops  ");
        assert_eq!(e.pattern, "[oops");
        assert_eq!(e.to_string(), "line 2: `[oops`: syntax error in pattern");
    }

    #[test]
    fn bufio_line_limit() {
        let longest = "a".repeat(MAX_LINE_BYTES);
        assert!(IgnoreFile::parse(&longest).is_ok());
        assert!(IgnoreFile::parse(&format!("{longest}\n")).is_ok());
        let too_long = format!("x\n{longest}b\n");
        let e = parse_err(&too_long);
        assert_eq!((e.line, e.kind), (2, IgnoreErrorKind::LineTooLong));
        assert!(e.pattern.chars().count() <= 81);
        // the `\r` of a CRLF line counts towards the limit
        let e = parse_err(&format!("{longest}\r\n"));
        assert_eq!(e.kind, IgnoreErrorKind::LineTooLong);
    }

    #[test]
    fn patterns_keep_line_text_and_cleaned_form() {
        let file =
            IgnoreFile::parse("# c\n\n*.md\n  !  /docs/../README.md  \n./ /\n./x/\nx/.. /\n")
                .unwrap();
        let got: Vec<(usize, &str, &str, bool)> = file
            .patterns()
            .iter()
            .map(|p| (p.line(), p.text(), p.pattern(), p.is_exception()))
            .collect();
        assert_eq!(
            got,
            vec![
                (3, "*.md", "*.md", false),
                (4, "!  /docs/../README.md", "README.md", true),
                (6, "./x/", "x", false),
                // cleaned to "x/.. " by ReadAll, trimmed and cleaned again by New
                (7, "x/.. /", ".", false),
            ]
        );
        assert_eq!(file.patterns()[1].to_string(), "!README.md");
        assert!(file.has_exceptions());
        assert!(!IgnoreFile::parse("a\nb").unwrap().has_exceptions());
        assert!(IgnoreFile::parse("").unwrap().patterns().is_empty());
        assert!(IgnoreFile::default().patterns().is_empty());
        // `./!a` and `/!a` become exceptions once cleaned
        let quirk = IgnoreFile::parse("./!a\n/!b").unwrap();
        assert!(quirk.patterns().iter().all(|p| p.is_exception()));
        // `!../../a` cleans to a plain `a`
        assert!(!IgnoreFile::parse("!../../a").unwrap().patterns()[0].is_exception());
    }

    #[test]
    fn deciding_pattern_is_the_last_match() {
        let file = IgnoreFile::parse("*.md\n!README.md\nbuild\n!build/keep").unwrap();
        let cases: &[(&str, Option<usize>, bool)] = &[
            ("README.md", Some(1), false),
            ("CHANGELOG.md", Some(0), true),
            ("main.go", None, false),
            ("build/x/y", Some(2), true),
            ("build/keep", Some(3), false),
            ("build/keep/inner", Some(3), false),
        ];
        for &(path, decider, excluded) in cases {
            assert_eq!(file.deciding_pattern(path), decider, "{path}");
            assert_eq!(file.is_excluded(path), excluded, "{path}");
        }
    }

    #[test]
    fn directory_pruning_follows_fsutil() {
        // (ignore text, dir, walker may need to look inside)
        let cases: &[(&str, &str, bool)] = &[
            ("", "src", true),
            ("build", "build", false),
            ("build", "build/sub", false),
            ("build", "src", true),
            ("build\n!build/keep.txt", "build", true),
            ("build\n!build/keep.txt", "build/sub", false),
            ("build\n!build/sub/**", "build/sub", true),
            ("build\n!build/sub/*", "build/sub", true),
            ("build\n!other", "build", false),
            ("build\n!**/*.txt", "build", true),
            ("build\n!**/*.txt", "build/deep/er", true),
            ("a/*", "a", true),
            ("a/*", "a/b", false),
            ("*\n!a", "a", true),
            ("*\n!a", "b", false),
        ];
        for &(text, dir, expected) in cases {
            let file = IgnoreFile::parse(text).unwrap();
            assert_eq!(
                file.dir_may_contain_included(dir),
                expected,
                "{text:?} / {dir}"
            );
        }
    }

    #[test]
    fn ignore_file_lookup() {
        let ctx = Path::new("/ctx");
        let lookup = |dockerfile: &str, present: &[&str]| {
            let present: Vec<PathBuf> = present.iter().map(PathBuf::from).collect();
            let exists = move |p: &Path| present.iter().any(|q| q == p);
            ignore_file_for(Path::new(dockerfile), ctx, &exists)
        };
        let both = ["/ctx/.dockerignore", "/ctx/Dockerfile.dockerignore"];
        assert_eq!(
            lookup("/ctx/Dockerfile", &both),
            Some(PathBuf::from("/ctx/Dockerfile.dockerignore"))
        );
        assert_eq!(
            lookup("/ctx/Dockerfile", &["/ctx/.dockerignore"]),
            Some(PathBuf::from("/ctx/.dockerignore"))
        );
        assert_eq!(lookup("/ctx/Dockerfile", &[]), None);
        assert_eq!(
            lookup(
                "/ctx/docker/app.Dockerfile",
                &[
                    "/ctx/.dockerignore",
                    "/ctx/docker/app.Dockerfile.dockerignore"
                ]
            ),
            Some(PathBuf::from("/ctx/docker/app.Dockerfile.dockerignore"))
        );
        assert_eq!(
            lookup(
                "/elsewhere/Dockerfile",
                &["/elsewhere/Dockerfile.dockerignore"]
            ),
            Some(PathBuf::from("/elsewhere/Dockerfile.dockerignore"))
        );
        // the specific file must sit next to the Dockerfile, not in the context root
        assert_eq!(
            lookup("/ctx/docker/Dockerfile", &["/ctx/Dockerfile.dockerignore"]),
            None
        );
        // a lowercase `dockerfile.dockerignore` is not looked for
        assert_eq!(
            lookup(
                "/ctx/Dockerfile",
                &["/ctx/dockerfile.dockerignore", "/ctx/.dockerignore"]
            ),
            Some(PathBuf::from("/ctx/.dockerignore"))
        );
        // relative paths work the same way
        assert_eq!(
            ignore_file_for(Path::new("Dockerfile"), Path::new("."), &|p: &Path| p
                == Path::new("Dockerfile.dockerignore")),
            Some(PathBuf::from("Dockerfile.dockerignore"))
        );
    }

    #[test]
    fn go_clean_matches_go() {
        let cases = [
            ("", "."),
            (".", "."),
            ("a/", "a"),
            ("a//b", "a/b"),
            ("./a/./b/", "a/b"),
            ("a/../b", "b"),
            ("a/..", "."),
            ("a/../..", ".."),
            ("../../a", "../../a"),
            ("/..", "/"),
            ("/../a", "/a"),
            ("//a", "/a"),
            ("!../../a", "a"),
            ("!../x", "!../x"),
        ];
        for (input, expected) in cases {
            assert_eq!(go_clean(input), expected, "{input:?}");
        }
    }

    /// Deterministic pseudo-random numbers (no crates).
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self) -> usize {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 33) as usize
        }

        fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
            items[self.next() % items.len()]
        }
    }

    #[test]
    fn never_panics_on_random_patterns() {
        #[rustfmt::skip]
        const PIECES: &[&str] = &[
            "*", "**", "?", "[", "]", "^", "!", "\\", "/", ".", "..", "-", "{", "}", "(", ")",
            "|", "$", "+", ":", "[:alpha:]", "#", " ", "\t", "\r", "\n", "a", "b", "x", "é",
            "\u{feff}", "0", "7", "d", "p", "Q", "E", "x4", "\\Q", "\\E",
        ];
        const PATHS: &[&str] = &[
            "a",
            "a/b",
            "b/a/x",
            "x/y/z",
            ".a",
            "é",
            "a\nb/c",
            "]x",
            "[a]",
            "!a",
            "a-b",
            "Dockerfile",
        ];
        let mut rng = Lcg(0x5eed);
        let (mut ok, mut errors) = (0, 0);
        for _ in 0..600 {
            let len = 1 + rng.next() % 12;
            let text: String = (0..len).map(|_| rng.pick(PIECES)).collect();
            match IgnoreFile::parse(&text) {
                Ok(file) => {
                    ok += 1;
                    for _ in 0..4 {
                        let path = rng.pick(PATHS);
                        let excluded = file.is_excluded(path);
                        match file.deciding_pattern(path) {
                            Some(i) => {
                                assert_eq!(excluded, !file.patterns()[i].is_exception(), "{text:?}")
                            }
                            None => assert!(!excluded, "{text:?} / {path:?}"),
                        }
                        let _ = file.dir_may_contain_included(path);
                    }
                }
                Err(e) => {
                    errors += 1;
                    assert!(e.line >= 1, "{text:?}");
                }
            }
        }
        assert!(ok > 100 && errors > 50, "ok={ok} errors={errors}");
    }

    #[test]
    fn required_literals_never_reject_a_match() {
        const PIECES: &[&str] = &[
            "*", "**", "**/", "?", "/", ".", "a", "b", "ab", ".md", "x.", "-", "+", "(", "$", "{",
            "^", "[a]", "\\*", "é",
        ];
        const PATHS: &[&str] = &[
            "a",
            "ab",
            "a/b",
            "b/a",
            "a.md",
            "x/a.md",
            "ab/x.md",
            "a/b/c/ab.md",
            "x.",
            "a-b",
            "a+b",
            "(a)",
            "$",
            "{a}",
            "é/a",
            "a/é.md",
            ".md",
            "a/.md",
            "*",
            "a\nb",
        ];
        let mut rng = Lcg(99);
        let mut filtered = 0;
        for _ in 0..2000 {
            let len = 1 + rng.next() % 5;
            let pattern: String = (0..len).map(|_| rng.pick(PIECES)).collect();
            let Ok(Matcher::Regex(program, required)) = Matcher::new(&pattern) else {
                continue;
            };
            let fast = Matcher::Regex(program.clone(), required.clone());
            for path in PATHS {
                let slow = program.is_match(path);
                assert_eq!(
                    fast.matches(path),
                    slow,
                    "{pattern:?} / {path:?} ({required:?})"
                );
                filtered +=
                    usize::from(!slow && !required.iter().all(|r| path.contains(r.as_str())));
            }
        }
        assert!(filtered > 1000, "filtered={filtered}");
    }

    #[test]
    fn cached_directory_verdicts_agree_with_the_walk() {
        const PIECES: &[&str] = &[
            "a",
            "b",
            "a/b",
            "a/*",
            "*",
            "**/b",
            "a/**",
            "!a",
            "!a/b",
            "!a/b/c",
            "!**/c",
            "!b/*",
            "a/b/c",
            "!*",
            "b",
            "!a/*",
            "*.md",
            "!README.md",
            "**/*.go",
            "c?",
            "[ab]/x",
        ];
        const PATHS: &[&str] = &[
            "a",
            "b",
            "c",
            "a/b",
            "b/a",
            "a/c",
            "a/b/c",
            "a/b/c/d.go",
            "b/x",
            "a/x",
            "c1/d",
            "README.md",
            "a/README.md",
            "docs/a.md",
            "./a/b",
            "a//b/c",
            "",
            ".",
        ];
        let mut rng = Lcg(7);
        for _ in 0..300 {
            let lines: Vec<&str> = (0..1 + rng.next() % 6).map(|_| rng.pick(PIECES)).collect();
            let text = lines.join("\n");
            let file = IgnoreFile::parse(&text).unwrap();
            let mut cache = ExclusionCache::default();
            // Twice: from an empty cache, then from a warm one.
            for _ in 0..2 {
                for _ in 0..PATHS.len() {
                    let path = rng.pick(PATHS);
                    assert_eq!(
                        file.is_excluded_cached(path, &mut cache),
                        file.is_excluded(path),
                        "{text:?} / {path:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn pruned_directories_hold_only_excluded_paths() {
        const PIECES: &[&str] = &[
            "a", "b", "a/b", "a/*", "*", "**/b", "a/**", "!a", "!a/b", "!a/b/c", "!**/c", "!b/*",
            "a/b/c", "!*", "b", "!a/*",
        ];
        const DIRS: &[&str] = &["a", "b", "a/b", "b/a", "a/c", "a/b/c"];
        const CHILDREN: &[&str] = &["b", "c", "x", "b/c", "c/d"];
        let mut rng = Lcg(42);
        let mut pruned = 0;
        for _ in 0..400 {
            let lines: Vec<&str> = (0..1 + rng.next() % 5).map(|_| rng.pick(PIECES)).collect();
            let text = lines.join("\n");
            let file = IgnoreFile::parse(&text).unwrap();
            for dir in DIRS {
                if file.dir_may_contain_included(dir) {
                    continue;
                }
                pruned += 1;
                assert!(
                    file.is_excluded(dir),
                    "{text:?}: pruned {dir} is not excluded"
                );
                for child in CHILDREN {
                    let path = format!("{dir}/{child}");
                    assert!(
                        file.is_excluded(&path),
                        "{text:?}: {path} under pruned {dir}"
                    );
                }
            }
        }
        assert!(pruned > 100, "pruned={pruned}");
    }
}
