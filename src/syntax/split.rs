//! Splitting a logical line into keyword, `--flags` and argument text, and the
//! per-instruction argument shapes (BuildKit's `split_command.go` and
//! `line_parsers.go`). Every value keeps its offset in the logical line.

use super::json::{self, JsonError};
use super::text::{
    decode_rune, is_re_whitespace, is_space, is_space_byte, push_rune, trim_space_range,
};
use super::tree::Word;

/// Keyword, flags and the argument range of a logical line (offsets into `line`).
pub struct Split {
    pub keyword: Word,
    pub flags: Vec<Word>,
    pub args: (usize, usize),
}

/// `splitCommand`: trim, cut the keyword at the first `[\t\v\f\r ]+` run, then
/// extract leading `--flag` words.
pub fn split_command(line: &[u8], base: usize) -> Split {
    let (ts, te) = trim_space_range(line);
    let trimmed = &line[ts..te];
    let cut = trimmed.iter().position(|&b| is_re_whitespace(b));
    let Some(cut) = cut else {
        return Split {
            keyword: Word::new(trimmed, base + ts, te - ts),
            flags: Vec::new(),
            args: (te, te),
        };
    };
    let mut rest = ts + cut;
    while rest < te && is_re_whitespace(line[rest]) {
        rest += 1;
    }
    let (after_flags, flags) = extract_builder_flags(&line[rest..te], base + rest);
    let args_text = &line[rest + after_flags..te];
    let (a, b) = trim_space_range(args_text);
    Split {
        keyword: Word::new(&trimmed[..cut], base + ts, cut),
        flags,
        args: (rest + after_flags + a, rest + after_flags + b),
    }
}

/// `extractBuilderFlags`: reads words that start with `--` until the first word
/// that does not, or a lone `--`. Returns the offset where the arguments start.
///
/// BuildKit walks this text byte by byte and turns each byte into a rune, so a
/// non-ASCII byte becomes the Latin-1 character of that value; the escape is
/// always `\` here, whatever the file's escape directive says.
fn extract_builder_flags(line: &[u8], base: usize) -> (usize, Vec<Word>) {
    extract_builder_flags_with(line, base, true)
}

/// [`extract_builder_flags`]; `fast` allows the fast path (the tests compare both).
fn extract_builder_flags_with(line: &[u8], base: usize, fast: bool) -> (usize, Vec<Word>) {
    #[derive(PartialEq)]
    enum Phase {
        Spaces,
        Word,
        Quote,
    }
    let mut words = Vec::new();
    let mut phase = Phase::Spaces;
    let mut word: Vec<u8> = Vec::new();
    let mut word_start = 0;
    let mut quote = 0u8;
    let mut blank_ok = false;
    let mut pos = 0;
    while pos <= line.len() {
        let ch = if pos < line.len() { line[pos] } else { 0 };
        if phase == Phase::Spaces {
            if pos == line.len() {
                break;
            }
            if is_space_byte(ch) {
                pos += 1;
                continue;
            }
            if ch != b'-' || pos + 1 == line.len() || line[pos + 1] != b'-' {
                return (pos, words);
            }
            // Fast path: a flag without quotes, escapes or non-ASCII bytes is its
            // own text, and the loop below would copy it byte for byte.
            let end = line[pos..]
                .iter()
                .position(|&b| is_space_byte(b))
                .map_or(line.len(), |i| pos + i);
            let text = &line[pos..end];
            if fast
                && text
                    .iter()
                    .all(|&b| b.is_ascii() && !matches!(b, b'\'' | b'"' | b'\\'))
            {
                if text == b"--" {
                    return (end, words);
                }
                words.push(Word::new(text, base + pos, end - pos));
                pos = end;
                continue;
            }
            phase = Phase::Word;
            word_start = pos;
            if word.capacity() == 0 {
                word.reserve(64);
            }
        }
        if pos == line.len() {
            if word != b"--" && (blank_ok || !word.is_empty()) {
                words.push(Word::new(word, base + word_start, pos - word_start));
            }
            break;
        }
        if phase == Phase::Word {
            if is_space_byte(ch) {
                phase = Phase::Spaces;
                if word == b"--" {
                    return (pos, words);
                }
                if blank_ok || !word.is_empty() {
                    // Copied out at its size; `word` stays as a scratch buffer.
                    words.push(Word::new(
                        word.as_slice(),
                        base + word_start,
                        pos - word_start,
                    ));
                }
                word.clear();
                blank_ok = false;
                pos += 1;
                continue;
            }
            if ch == b'\'' || ch == b'"' {
                quote = ch;
                blank_ok = true;
                phase = Phase::Quote;
                pos += 1;
                continue;
            }
            let mut c = ch;
            if ch == b'\\' {
                if pos + 1 == line.len() {
                    pos += 1;
                    continue;
                }
                pos += 1;
                c = line[pos];
            }
            push_rune(&mut word, char::from(c));
            pos += 1;
            continue;
        }
        // In a quote.
        if ch == quote {
            phase = Phase::Word;
            pos += 1;
            continue;
        }
        let mut c = ch;
        if ch == b'\\' {
            if pos + 1 == line.len() {
                phase = Phase::Word;
                pos += 1;
                continue;
            }
            pos += 1;
            c = line[pos];
        }
        push_rune(&mut word, char::from(c));
        pos += 1;
    }
    (line.len(), words)
}

/// The argument node chain an instruction's line parser produced.
pub struct Parsed {
    pub words: Vec<Word>,
    pub json: bool,
}

/// Errors a line parser reports (BuildKit's wording).
pub type LineError = String;

pub const NOT_STRING_ARRAY: &str =
    "when using JSON array syntax, arrays must be comprised of strings only";

/// `parseStringsWhitespaceDelimited`.
pub fn whitespace_list(rest: &[u8], base: usize) -> Parsed {
    let mut words = Vec::new();
    let mut pos = 0;
    while pos < rest.len() {
        let start = pos;
        while pos < rest.len() && !is_re_whitespace(rest[pos]) {
            pos += 1;
        }
        words.push(Word::new(&rest[start..pos], base + start, pos - start));
        while pos < rest.len() && is_re_whitespace(rest[pos]) {
            pos += 1;
        }
    }
    Parsed { words, json: false }
}

/// `parseString`: the whole argument text as one value.
pub fn single_string(rest: &[u8], base: usize) -> Parsed {
    let words = if rest.is_empty() {
        Vec::new()
    } else {
        vec![Word::new(rest, base, rest.len())]
    };
    Parsed { words, json: false }
}

fn json_words(rest: &[u8], base: usize) -> Result<Parsed, JsonError> {
    let strings = json::parse_string_array(rest)?;
    Ok(Parsed {
        words: strings
            .into_iter()
            .map(|s| Word::new(s.value, base + s.at, s.len))
            .collect(),
        json: true,
    })
}

/// `parseMaybeJSON`: JSON array, else the whole text as one shell-form string.
pub fn maybe_json(rest: &[u8], base: usize) -> Result<Parsed, LineError> {
    if rest.is_empty() {
        return Ok(Parsed {
            words: Vec::new(),
            json: false,
        });
    }
    match json_words(rest, base) {
        Ok(parsed) => Ok(parsed),
        Err(JsonError::NotStringArray) => Err(NOT_STRING_ARRAY.to_string()),
        Err(_) => Ok(single_string(rest, base)),
    }
}

/// `parseMaybeJSONToList`: JSON array, else a whitespace-separated list.
pub fn maybe_json_to_list(rest: &[u8], base: usize) -> Result<Parsed, LineError> {
    match json_words(rest, base) {
        Ok(parsed) => Ok(parsed),
        Err(JsonError::NotStringArray) => Err(NOT_STRING_ARRAY.to_string()),
        Err(_) => Ok(whitespace_list(rest, base)),
    }
}

/// `parseHealthConfig`: a type word (`CMD`, `NONE`) then a maybe-JSON command.
pub fn health_config(rest: &[u8], base: usize) -> Result<Parsed, LineError> {
    let sep = rest
        .iter()
        .position(|&b| is_space_byte(b))
        .unwrap_or(rest.len());
    if sep == 0 {
        return Ok(Parsed {
            words: Vec::new(),
            json: false,
        });
    }
    let mut next = sep;
    while next < rest.len() && is_space_byte(rest[next]) {
        next += 1;
    }
    let cmd = maybe_json(&rest[next..], base + next)?;
    let mut words = vec![Word::new(&rest[..sep], base, sep)];
    words.extend(cmd.words);
    Ok(Parsed {
        words,
        json: cmd.json,
    })
}

/// `parseWords`: space-separated words, quotes kept, the escape token protecting
/// the next character (not inside single quotes). Invalid UTF-8 becomes U+FFFD.
pub fn parse_words(rest: &[u8], base: usize, escape: u8) -> Vec<Word> {
    parse_words_with(rest, base, escape, true)
}

/// [`parse_words`]; `fast` allows the fast paths (the tests compare both: without
/// them, this is the character-by-character loop of BuildKit).
fn parse_words_with(rest: &[u8], base: usize, escape: u8, fast: bool) -> Vec<Word> {
    #[derive(PartialEq)]
    enum Phase {
        Spaces,
        Word,
        Quote,
    }
    // Fast path: in valid UTF-8 that does not end with the escape token, every
    // character read is kept as it is written, so a word's value is its own
    // text: only the boundaries need finding, nothing is copied byte by byte.
    let verbatim = fast && rest.last() != Some(&escape) && std::str::from_utf8(rest).is_ok();
    let escape_byte = escape;
    let escape = char::from(escape);
    let mut words = Vec::new();
    let mut phase = Phase::Spaces;
    let mut word: Vec<u8> = Vec::new();
    let mut word_start = 0;
    let mut quote = '\0';
    let mut blank_ok = false;
    let mut pos = 0;
    let mut ch = '\0';
    let mut width = 0;
    // Appends a character read to the word's value (not needed when verbatim).
    let keep = |word: &mut Vec<u8>, ch: char| {
        if !verbatim {
            push_rune(word, ch);
        }
    };
    while pos <= rest.len() {
        if fast && phase != Phase::Spaces && pos < rest.len() {
            // A run of ASCII characters the loop would only keep: white space,
            // quotes and the escape token end it (non-ASCII takes the long way).
            let quote_byte = quote as u8;
            let run = rest[pos..]
                .iter()
                .position(|&b| {
                    !b.is_ascii()
                        || b == escape_byte
                        || match phase {
                            Phase::Word => is_space_byte(b) || b == b'\'' || b == b'"',
                            _ => b == quote_byte,
                        }
                })
                .unwrap_or(rest.len() - pos);
            if run > 0 {
                if !verbatim {
                    word.extend_from_slice(&rest[pos..pos + run]);
                }
                pos += run;
                continue;
            }
        }
        if pos != rest.len() {
            (ch, width) = decode_rune(&rest[pos..]);
        }
        if phase == Phase::Spaces {
            if pos == rest.len() {
                break;
            }
            if is_space(ch) && !(ch == char::REPLACEMENT_CHARACTER && width == 1) {
                pos += width;
                continue;
            }
            phase = Phase::Word;
            word_start = pos;
            if !verbatim && word.capacity() == 0 {
                word.reserve(64);
            }
        }
        // A verbatim word holds every character read since word_start.
        let value = if verbatim {
            &rest[word_start..pos]
        } else {
            word.as_slice()
        };
        if pos == rest.len() {
            if blank_ok || !value.is_empty() {
                words.push(Word::new(value, base + word_start, pos - word_start));
            }
            break;
        }
        if phase == Phase::Word {
            if is_space(ch) {
                phase = Phase::Spaces;
                if blank_ok || !value.is_empty() {
                    // Copied out at its size; `word` stays as a scratch buffer.
                    words.push(Word::new(value, base + word_start, pos - word_start));
                }
                word.clear();
                blank_ok = false;
                pos += width;
                continue;
            }
            if ch == '\'' || ch == '"' {
                quote = ch;
                blank_ok = true;
                phase = Phase::Quote;
            }
            if ch == escape {
                if pos + width == rest.len() {
                    pos += width;
                    continue;
                }
                keep(&mut word, ch);
                pos += width;
                (ch, width) = decode_rune(&rest[pos..]);
            }
            keep(&mut word, ch);
            pos += width;
            continue;
        }
        // In a quote.
        if ch == quote {
            phase = Phase::Word;
        }
        if ch == escape && quote != '\'' {
            if pos + width == rest.len() {
                phase = Phase::Word;
                pos += width;
                continue;
            }
            pos += width;
            keep(&mut word, ch);
            (ch, width) = decode_rune(&rest[pos..]);
        }
        keep(&mut word, ch);
        pos += width;
    }
    words
}

/// `parseNameVal` for ENV and LABEL: `k=v k2=v2`, or the legacy `k v` form. Each
/// pair becomes the triple key, value, separator (`=` or empty for legacy).
pub fn name_val(rest: &[u8], base: usize, escape: u8, key: &str) -> Result<Parsed, LineError> {
    let words = parse_words(rest, base, escape);
    let Some(first) = words.first() else {
        return Ok(Parsed {
            words: Vec::new(),
            json: false,
        });
    };
    if !first.value.contains(&b'=') {
        let cut = rest.iter().position(|&b| is_re_whitespace(b));
        let Some(cut) = cut else {
            return Err(format!("{key} must have two arguments"));
        };
        let mut value_start = cut;
        while value_start < rest.len() && is_re_whitespace(rest[value_start]) {
            value_start += 1;
        }
        return Ok(Parsed {
            words: vec![
                Word::new(&rest[..cut], base, cut),
                Word::new(
                    &rest[value_start..],
                    base + value_start,
                    rest.len() - value_start,
                ),
                Word::new(Vec::new(), base + rest.len(), 0),
            ],
            json: false,
        });
    }
    let mut out = Vec::with_capacity(words.len() * 3);
    for word in words {
        let Some(eq) = word.value.iter().position(|&b| b == b'=') else {
            return Err(format!(
                "Syntax error - can't find = in {}. Must be of the form: name=value",
                super::text::go_quote(&word.value)
            ));
        };
        // `eq` indexes the value, where each invalid UTF-8 byte became a 3-byte
        // U+FFFD; the source positions come from the word's own text, whose
        // first `=` is the same one (the value is that text, re-encoded).
        let text_start = word.at - base;
        let text = &rest[text_start..text_start + word.len];
        let src_eq = text
            .iter()
            .position(|&b| b == b'=')
            .unwrap_or(eq.min(word.len.saturating_sub(1)));
        let eq_at = word.at + src_eq;
        let value = Word::new(
            &word.value[eq + 1..],
            word.at + src_eq + 1,
            word.len.saturating_sub(src_eq + 1),
        );
        // The key keeps the word's allocation.
        let mut key = word;
        key.value.truncate(eq);
        key.len = src_eq;
        out.push(key);
        out.push(value);
        out.push(Word::new(&b"="[..], eq_at, 1));
    }
    Ok(Parsed {
        words: out,
        json: false,
    })
}

/// `parseNameOrNameVal` for ARG: each word as is (`name`, `name=value`).
pub fn name_or_name_val(rest: &[u8], base: usize, escape: u8) -> Parsed {
    Parsed {
        words: parse_words(rest, base, escape),
        json: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(words: &[Word]) -> Vec<String> {
        words.iter().map(|w| w.text().into_owned()).collect()
    }

    #[test]
    fn flags_are_split_like_buildkit() {
        let s = split_command(b"COPY --from=a --chown=\"x y\" -- --z /d", 0);
        assert_eq!(s.keyword.text(), "COPY");
        assert_eq!(values(&s.flags), vec!["--from=a", "--chown=x y"]);
        let line = b"COPY --from=a --chown=\"x y\" -- --z /d";
        assert_eq!(&line[s.args.0..s.args.1], b"--z /d");
    }

    #[test]
    fn flag_offsets_point_into_the_line() {
        let line = b"RUN  --mount=type=cache,target=/x  echo";
        let s = split_command(line, 0);
        let f = &s.flags[0];
        assert_eq!(&line[f.at..f.at + f.len], b"--mount=type=cache,target=/x");
        assert_eq!(&line[s.args.0..s.args.1], b"echo");
    }

    #[test]
    fn words_keep_quotes_and_escapes() {
        let w = parse_words(br#"a="b c" d\ e 'f\g'"#, 0, b'\\');
        assert_eq!(values(&w), vec![r#"a="b c""#, r"d\ e", r"'f\g'"]);
    }

    /// Strings over an alphabet of the characters the word splitters treat
    /// specially, in every combination up to a length, plus a pseudo-random
    /// sample of longer ones.
    fn tricky_inputs() -> Vec<Vec<u8>> {
        let alphabet: [&[u8]; 12] = [
            b"a",
            b" ",
            b"\t",
            b"'",
            b"\"",
            b"\\",
            b"`",
            b"-",
            b"=",
            "\u{a0}".as_bytes(),
            "\u{3000}é".as_bytes(),
            b"\xff",
        ];
        let mut out = vec![Vec::new()];
        let mut frontier = vec![Vec::new()];
        for _ in 0..4 {
            let mut next = Vec::new();
            for prefix in &frontier {
                for piece in alphabet {
                    let mut s: Vec<u8> = prefix.clone();
                    s.extend_from_slice(piece);
                    next.push(s);
                }
            }
            out.extend(next.iter().cloned());
            frontier = next;
        }
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            let mut s = b"--".to_vec();
            for _ in 0..(seed % 24) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                s.extend_from_slice(alphabet[(seed % alphabet.len() as u64) as usize]);
            }
            out.push(s);
        }
        out
    }

    #[test]
    fn fast_paths_agree_with_the_byte_by_byte_loops() {
        for input in tricky_inputs() {
            for escape in [b'\\', b'`'] {
                assert_eq!(
                    parse_words_with(&input, 3, escape, true),
                    parse_words_with(&input, 3, escape, false),
                    "parse_words {:?}",
                    String::from_utf8_lossy(&input)
                );
            }
            let mut flags = b"--".to_vec();
            flags.extend_from_slice(&input);
            for line in [&input, &flags] {
                let (fast_at, fast) = extract_builder_flags_with(line, 5, true);
                let (slow_at, slow) = extract_builder_flags_with(line, 5, false);
                assert_eq!(
                    (fast_at, fast),
                    (slow_at, slow),
                    "flags {:?}",
                    String::from_utf8_lossy(line)
                );
            }
        }
    }

    #[test]
    fn env_forms() {
        let p = name_val(b"A=1 B=\"x y\"", 0, b'\\', "ENV").unwrap();
        assert_eq!(values(&p.words), vec!["A", "1", "=", "B", "\"x y\"", "="]);
        let p = name_val(b"A  1 2", 0, b'\\', "ENV").unwrap();
        assert_eq!(values(&p.words), vec!["A", "1 2", ""]);
        assert!(name_val(b"PATH", 0, b'\\', "ENV").is_err());
        assert!(name_val(b"A=1 B", 0, b'\\', "ENV").is_err());
    }
}
