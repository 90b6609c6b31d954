//! Byte-string helpers that behave like the Go standard library calls BuildKit's
//! parser makes (`unicode.IsSpace`, `strings.TrimSpace`, `strconv.Quote`, ...).
//!
//! BuildKit works on Go strings, which are bytes that may hold invalid UTF-8; hoist
//! keeps the same bytes so that `parse --dump` prints what BuildKit prints.

use unicode_general_category::{GeneralCategory, get_general_category};

/// Decodes one UTF-8 scalar at the start of `s` like Go's `utf8.DecodeRune`:
/// an invalid or truncated sequence yields U+FFFD with width 1.
#[inline]
pub fn decode_rune(s: &[u8]) -> (char, usize) {
    let Some(&b0) = s.first() else {
        return (char::REPLACEMENT_CHARACTER, 0);
    };
    if b0 < 0x80 {
        return (b0 as char, 1);
    }
    let width = match b0 {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => return (char::REPLACEMENT_CHARACTER, 1),
    };
    if s.len() < width {
        return (char::REPLACEMENT_CHARACTER, 1);
    }
    match std::str::from_utf8(&s[..width]) {
        Ok(text) => (
            text.chars().next().unwrap_or(char::REPLACEMENT_CHARACTER),
            width,
        ),
        Err(_) => (char::REPLACEMENT_CHARACTER, 1),
    }
}

/// Go's `unicode.IsSpace`.
#[inline]
pub fn is_space(c: char) -> bool {
    // Go's set is exactly the Unicode White_Space property, which Rust also uses.
    c.is_whitespace()
}

/// Go's `unicode.IsSpace(rune(b))` on a single byte, as BuildKit's byte-wise loops
/// call it: the byte is taken as a Latin-1 code point, so 0x85 and 0xA0 count as
/// spaces even when they are the middle of a UTF-8 sequence.
#[inline]
pub fn is_space_byte(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | b' ' | 0x85 | 0xA0)
}

/// `unicode.IsSpace` of an ASCII byte.
#[inline]
fn is_ascii_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | b' ')
}

/// The bytes `[\t\v\f\r ]` of BuildKit's `reWhitespace` regular expression.
#[inline]
pub fn is_re_whitespace(b: u8) -> bool {
    matches!(b, b'\t' | 0x0B | 0x0C | b'\r' | b' ')
}

/// Length of the leading run of Unicode white space (`bytes.TrimLeftFunc(s, unicode.IsSpace)`).
pub fn leading_space_len(s: &[u8]) -> usize {
    let mut pos = 0;
    while pos < s.len() {
        if s[pos].is_ascii() {
            // Fast path, same answer: ASCII white space is `[\t\n\v\f\r ]`.
            if is_ascii_space(s[pos]) {
                pos += 1;
                continue;
            }
            break;
        }
        let (c, w) = decode_rune(&s[pos..]);
        if w == 1 && c == char::REPLACEMENT_CHARACTER && s[pos] >= 0x80 {
            break;
        }
        if !is_space(c) {
            break;
        }
        pos += w;
    }
    pos
}

/// Length of `s` without its trailing run of Unicode white space.
pub fn trailing_trimmed_len(s: &[u8]) -> usize {
    let mut end = s.len();
    while end > 0 {
        if s[end - 1].is_ascii() {
            // Fast path, same answer: an ASCII byte is a whole rune.
            if is_ascii_space(s[end - 1]) {
                end -= 1;
                continue;
            }
            break;
        }
        // Find the start of the last rune the way utf8.DecodeLastRune does.
        let mut start = end - 1;
        let lower = end.saturating_sub(4);
        while start > lower && (s[start] & 0xC0) == 0x80 {
            start -= 1;
        }
        let (c, w) = decode_rune(&s[start..end]);
        let (c, w) = if start + w != end {
            (char::REPLACEMENT_CHARACTER, 1)
        } else {
            (c, w)
        };
        if (c == char::REPLACEMENT_CHARACTER && w == 1) || !is_space(c) {
            break;
        }
        end -= w;
    }
    end
}

/// `strings.TrimSpace` as a sub-range of `s`.
pub fn trim_space_range(s: &[u8]) -> (usize, usize) {
    let start = leading_space_len(s);
    let end = start + trailing_trimmed_len(&s[start..]);
    (start, end)
}

/// `bytes.TrimRight(s, "\r\n")`: the length without trailing CR and LF bytes.
#[inline]
pub fn trim_newline_len(s: &[u8]) -> usize {
    let mut end = s.len();
    while end > 0 && matches!(s[end - 1], b'\r' | b'\n') {
        end -= 1;
    }
    end
}

/// Go's `unicode.IsPrint`: letters, marks, numbers, punctuation, symbols and U+0020.
fn is_print(c: char) -> bool {
    use GeneralCategory::*;
    if c == ' ' {
        return true;
    }
    matches!(
        get_general_category(c),
        UppercaseLetter
            | LowercaseLetter
            | TitlecaseLetter
            | ModifierLetter
            | OtherLetter
            | NonspacingMark
            | SpacingMark
            | EnclosingMark
            | DecimalNumber
            | LetterNumber
            | OtherNumber
            | ConnectorPunctuation
            | DashPunctuation
            | OpenPunctuation
            | ClosePunctuation
            | InitialPunctuation
            | FinalPunctuation
            | OtherPunctuation
            | MathSymbol
            | CurrencySymbol
            | ModifierSymbol
            | OtherSymbol
    )
}

/// Go's `strconv.Quote` of a byte string (also what `%q` prints for a string).
pub fn go_quote(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut pos = 0;
    while pos < s.len() {
        let (c, w) = decode_rune(&s[pos..]);
        if w == 1 && c == char::REPLACEMENT_CHARACTER && s[pos] >= 0x80 {
            out.push_str(&format!("\\x{:02x}", s[pos]));
            pos += 1;
            continue;
        }
        pos += w;
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if is_print(c) => out.push(c),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// Go's `fmt.Sprintf("%q", []string{...})`.
pub fn go_quote_list<T: AsRef<[u8]>>(items: &[T]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| go_quote(s.as_ref())).collect();
    format!("[{}]", quoted.join(" "))
}

/// Appends `c` UTF-8 encoded, as Go's `strings.Builder.WriteRune` does.
#[inline]
pub fn push_rune(out: &mut Vec<u8>, c: char) {
    if c.is_ascii() {
        out.push(c as u8);
        return;
    }
    let mut buf = [0u8; 4];
    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_matches_go() {
        assert_eq!(go_quote(b"a b"), r#""a b""#);
        assert_eq!(go_quote(b"\t\"\\"), r#""\t\"\\""#);
        assert_eq!(go_quote(b"\x00\x7f"), r#""\x00\x7f""#);
        assert_eq!(go_quote(b"\xff"), r#""\xff""#);
        assert_eq!(go_quote("é€😀".as_bytes()), "\"é€😀\"");
        assert_eq!(go_quote("\u{a0}\u{200b}".as_bytes()), r#""\u00a0\u200b""#);
        assert_eq!(go_quote_list(&["--a=1", "--b"]), r#"["--a=1" "--b"]"#);
    }

    #[test]
    fn trimming_is_unicode_aware() {
        assert_eq!(trim_space_range(" \u{a0}x y\u{3000}\t".as_bytes()), (3, 6));
        assert_eq!(trim_space_range(b"   "), (3, 3));
        assert_eq!(leading_space_len(b"\xff x"), 0);
        assert_eq!(trim_newline_len(b"ab\r\n\r"), 2);
    }

    #[test]
    fn ascii_fast_path_agrees_with_unicode() {
        for b in 0..0x80u8 {
            assert_eq!(is_ascii_space(b), is_space(char::from(b)), "{b:#x}");
        }
    }

    #[test]
    fn decode_handles_invalid_bytes() {
        assert_eq!(decode_rune(b"\xe2\x82"), (char::REPLACEMENT_CHARACTER, 1));
        assert_eq!(decode_rune("€".as_bytes()), ('€', 3));
        assert_eq!(
            decode_rune(b"\xed\xa0\x80"),
            (char::REPLACEMENT_CHARACTER, 1)
        );
    }
}
