//! The JSON (exec) form of instruction arguments, read as Go's `encoding/json`
//! reads it into `[]interface{}` (rule R2.5): the whole text must be one valid JSON
//! value, else BuildKit falls back to the shell form; a valid array holding
//! anything but strings is an error.

use super::text::push_rune;

/// Why the text is not an array of strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonError {
    /// Does not start with `[` (after leading white space).
    NotArray,
    /// Not valid JSON: BuildKit then reads the arguments as shell form.
    Syntax,
    /// Valid JSON array with a non-string element: an error in BuildKit.
    NotStringArray,
}

/// One decoded string and the range of its token in the input.
pub struct JsonString {
    pub value: Vec<u8>,
    pub at: usize,
    pub len: usize,
}

/// Go's decoder gives up past this nesting depth.
const MAX_DEPTH: usize = 10_000;

pub fn parse_string_array(text: &[u8]) -> Result<Vec<JsonString>, JsonError> {
    let start = super::text::leading_space_len(text);
    if text.get(start) != Some(&b'[') {
        return Err(JsonError::NotArray);
    }
    let mut p = Parser {
        s: text,
        pos: start,
        top_strings: Vec::new(),
        top_non_string: false,
    };
    p.document().ok_or(JsonError::Syntax)?;
    p.skip_ws();
    if p.pos != text.len() {
        return Err(JsonError::Syntax);
    }
    if p.top_non_string {
        return Err(JsonError::NotStringArray);
    }
    Ok(p.top_strings)
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
    top_strings: Vec<JsonString>,
    top_non_string: bool,
}

impl Parser<'_> {
    fn skip_ws(&mut self) {
        while matches!(self.s.get(self.pos), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    /// Parses one complete value (iteratively: nesting depth is bounded by Go's
    /// limit, not by our stack). Elements of the top-level array (depth 1) are
    /// recorded.
    fn document(&mut self) -> Option<()> {
        enum Frame {
            Array,
            Object,
        }
        let mut stack: Vec<Frame> = Vec::new();
        loop {
            self.skip_ws();
            let depth = stack.len();
            let at = self.pos;
            let mut opened = false;
            match *self.s.get(self.pos)? {
                b'[' => {
                    self.pos += 1;
                    self.skip_ws();
                    if self.s.get(self.pos) == Some(&b']') {
                        self.pos += 1;
                    } else {
                        stack.push(Frame::Array);
                        opened = true;
                    }
                }
                b'{' => {
                    self.pos += 1;
                    self.skip_ws();
                    if self.s.get(self.pos) == Some(&b'}') {
                        self.pos += 1;
                    } else {
                        self.key()?;
                        stack.push(Frame::Object);
                        opened = true;
                    }
                }
                b'"' => {
                    let value = self.string()?;
                    if depth == 1 {
                        self.top_strings.push(JsonString {
                            value,
                            at,
                            len: self.pos - at,
                        });
                    }
                }
                b't' => self.literal(b"true")?,
                b'f' => self.literal(b"false")?,
                b'n' => self.literal(b"null")?,
                b'-' | b'0'..=b'9' => self.number()?,
                _ => return None,
            }
            if depth == 1 && self.s[at] != b'"' {
                self.top_non_string = true;
            }
            if stack.len() > MAX_DEPTH {
                return None;
            }
            if opened {
                continue;
            }
            // A value is complete: close the containers it ends.
            loop {
                self.skip_ws();
                match stack.last() {
                    None => return Some(()),
                    Some(Frame::Array) => match *self.s.get(self.pos)? {
                        b',' => {
                            self.pos += 1;
                            break;
                        }
                        b']' => {
                            self.pos += 1;
                            stack.pop();
                        }
                        _ => return None,
                    },
                    Some(Frame::Object) => match *self.s.get(self.pos)? {
                        b',' => {
                            self.pos += 1;
                            self.key()?;
                            break;
                        }
                        b'}' => {
                            self.pos += 1;
                            stack.pop();
                        }
                        _ => return None,
                    },
                }
            }
        }
    }

    /// An object key and its colon.
    fn key(&mut self) -> Option<()> {
        self.skip_ws();
        if self.s.get(self.pos) != Some(&b'"') {
            return None;
        }
        self.string()?;
        self.skip_ws();
        if self.s.get(self.pos) != Some(&b':') {
            return None;
        }
        self.pos += 1;
        Some(())
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        if self.s[self.pos..].starts_with(word) {
            self.pos += word.len();
            Some(())
        } else {
            None
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while matches!(self.s.get(self.pos), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Option<()> {
        if self.s.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        match self.s.get(self.pos)? {
            b'0' => self.pos += 1,
            b'1'..=b'9' => {
                self.digits();
            }
            _ => return None,
        }
        if self.s.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return None;
            }
        }
        if matches!(self.s.get(self.pos), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.s.get(self.pos), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return None;
            }
        }
        Some(())
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.s.get(self.pos..self.pos + 4)?;
        let text = std::str::from_utf8(digits).ok()?;
        if !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        self.pos += 4;
        u32::from_str_radix(text, 16).ok()
    }

    /// A string token; invalid UTF-8 and lone surrogates decode to U+FFFD as in Go.
    fn string(&mut self) -> Option<Vec<u8>> {
        self.pos += 1; // opening quote
        // Fast path: the plain run (no escape, control or non-ASCII byte) is
        // copied at once; a string that is all plain ends right there.
        let start = self.pos;
        let plain = self.s[start..]
            .iter()
            .position(|&b| !matches!(b, 0x20..=0x7f) || b == b'"' || b == b'\\')
            .map_or(self.s.len(), |i| start + i);
        self.pos = plain;
        if self.s.get(plain) == Some(&b'"') {
            self.pos += 1;
            return Some(self.s[start..plain].to_vec());
        }
        let mut out = Vec::with_capacity(plain - start + 16);
        out.extend_from_slice(&self.s[start..plain]);
        loop {
            let b = *self.s.get(self.pos)?;
            match b {
                b'"' => {
                    self.pos += 1;
                    return Some(out);
                }
                0x00..=0x1f => return None,
                b'\\' => {
                    self.pos += 1;
                    let e = *self.s.get(self.pos)?;
                    self.pos += 1;
                    match e {
                        b'"' | b'\\' | b'/' => out.push(e),
                        b'b' => out.push(0x08),
                        b'f' => out.push(0x0c),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'u' => {
                            let first = self.hex4()?;
                            let c = if (0xD800..0xDC00).contains(&first) {
                                // A high surrogate combines with a following \u low one.
                                let save = self.pos;
                                let low = if self.s.get(self.pos..self.pos + 2) == Some(b"\\u") {
                                    self.pos += 2;
                                    self.hex4()
                                } else {
                                    None
                                };
                                match low {
                                    Some(low) if (0xDC00..0xE000).contains(&low) => char::from_u32(
                                        0x10000 + ((first - 0xD800) << 10) + (low - 0xDC00),
                                    ),
                                    _ => {
                                        self.pos = save;
                                        None
                                    }
                                }
                            } else {
                                char::from_u32(first)
                            };
                            push_rune(&mut out, c.unwrap_or(char::REPLACEMENT_CHARACTER));
                        }
                        _ => return None,
                    }
                }
                0x80.. => {
                    let (c, w) = super::text::decode_rune(&self.s[self.pos..]);
                    push_rune(&mut out, c);
                    self.pos += w;
                }
                _ => {
                    out.push(b);
                    self.pos += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str) -> Result<Vec<String>, JsonError> {
        parse_string_array(text.as_bytes()).map(|v| {
            v.into_iter()
                .map(|s| String::from_utf8(s.value).unwrap())
                .collect()
        })
    }

    #[test]
    fn arrays_of_strings() {
        assert_eq!(values(r#"["a", "b c"]"#).unwrap(), vec!["a", "b c"]);
        assert_eq!(values(r#"  [ ]  "#).unwrap(), Vec::<String>::new());
        assert_eq!(values(r#"["\u00e9\n\/"]"#).unwrap(), vec!["é\n/"]);
        assert_eq!(values(r#"["\ud83d\ude00"]"#).unwrap(), vec!["😀"]);
        assert_eq!(values(r#"["\ud83d"]"#).unwrap(), vec!["\u{fffd}"]);
    }

    #[test]
    fn shell_form_fallbacks() {
        assert_eq!(values("echo [x]"), Err(JsonError::NotArray));
        assert_eq!(values("['a']"), Err(JsonError::Syntax));
        assert_eq!(values(r#"["a" "b"]"#), Err(JsonError::Syntax));
        assert_eq!(values(r#"["a"] trailing"#), Err(JsonError::Syntax));
        assert_eq!(values(r#"["a",]"#), Err(JsonError::Syntax));
        assert_eq!(values(r#"["a"#), Err(JsonError::Syntax));
        assert_eq!(values("[\"a\tb\"]"), Err(JsonError::Syntax));
        assert_eq!(values(r#"["\x"]"#), Err(JsonError::Syntax));
        assert_eq!(values("[01]"), Err(JsonError::Syntax));
    }

    #[test]
    fn non_strings_are_errors() {
        assert_eq!(values(r#"["a", 1]"#), Err(JsonError::NotStringArray));
        assert_eq!(values(r#"[["a"]]"#), Err(JsonError::NotStringArray));
        assert_eq!(
            values(r#"[{"a": [1, 2.5e3, true, null]}]"#),
            Err(JsonError::NotStringArray)
        );
        // An invalid document is shell form even if it also holds non-strings.
        assert_eq!(values(r#"[1, "a""#), Err(JsonError::Syntax));
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let deep = "[".repeat(20_000) + &"]".repeat(20_000);
        assert_eq!(values(&deep), Err(JsonError::Syntax));
    }
}
