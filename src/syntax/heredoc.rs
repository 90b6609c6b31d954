//! Finding heredoc markers on a RUN/COPY/ADD line (rule R2.9): the line is split
//! into shell words with quotes kept, and each word of the form `[fd]<<[-]NAME`
//! opens a heredoc. A quoted NAME turns off expansion of the body.

use super::shell::{Lexer, NoEnv};

/// A heredoc marker found on an instruction line; the body is read afterwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    pub name: String,
    pub file_descriptor: u32,
    pub expand: bool,
    pub chomp: bool,
}

/// All heredoc markers of a logical line, in order.
pub fn markers(line: &[u8]) -> Result<Vec<Marker>, String> {
    let text = String::from_utf8_lossy(line);
    let mut lexer = Lexer::new('\\');
    lexer.raw_quotes = true;
    lexer.raw_escapes = true;
    lexer.skip_unset_env = true;
    // BuildKit ignores lexing errors here: such a line simply has no heredocs.
    let words = lexer.process_words(&text, &NoEnv).unwrap_or_default();
    let mut out = Vec::new();
    for word in words {
        if let Some(marker) = parse_marker(&word)? {
            out.push(marker);
        }
    }
    Ok(out)
}

/// One word against `^(\d*)<<(-?)([^<]*)$`.
pub fn parse_marker(word: &str) -> Result<Option<Marker>, String> {
    let digits = word.bytes().take_while(u8::is_ascii_digit).count();
    let Some(after) = word[digits..].strip_prefix("<<") else {
        return Ok(None);
    };
    let (chomp, rest) = match after.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, after),
    };
    if rest.contains('<') || rest.is_empty() {
        return Ok(None);
    }
    // strconv.ParseUint failure (overflow) leaves the descriptor at 0.
    let file_descriptor = word[..digits].parse::<u32>().unwrap_or(0);

    let mut lexer = Lexer::new('\\');
    lexer.skip_unset_env = true;
    let words = lexer
        .process_words(rest, &NoEnv)
        .map_err(|e| e.to_string())?;
    if words.len() != 1 {
        return Ok(None);
    }
    lexer.raw_quotes = true;
    let raw = lexer
        .process_words(rest, &NoEnv)
        .map_err(|e| e.to_string())?;
    if raw.len() != words.len() {
        return Err(format!(
            "internal lexing of heredoc produced inconsistent results: {rest}"
        ));
    }
    let quotes = |s: &str| s.matches(['\'', '"']).count();
    Ok(Some(Marker {
        expand: quotes(&words[0]) == quotes(&raw[0]),
        name: words.into_iter().next().unwrap_or_default(),
        file_descriptor,
        chomp,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(line: &str) -> Vec<(String, bool, bool, u32)> {
        markers(line.as_bytes())
            .unwrap()
            .into_iter()
            .map(|m| (m.name, m.expand, m.chomp, m.file_descriptor))
            .collect()
    }

    #[test]
    fn marker_forms() {
        assert_eq!(names("RUN <<EOF"), vec![("EOF".into(), true, false, 0)]);
        assert_eq!(names("RUN <<-EOF"), vec![("EOF".into(), true, true, 0)]);
        assert_eq!(
            names(r#"RUN <<"EOF""#),
            vec![("EOF".into(), false, false, 0)]
        );
        assert_eq!(names("RUN <<'EOF'"), vec![("EOF".into(), false, false, 0)]);
        assert_eq!(
            names("RUN 3<<EOF cat"),
            vec![("EOF".into(), true, false, 3)]
        );
        assert_eq!(
            names("COPY <<A <<B /dest/"),
            vec![("A".into(), true, false, 0), ("B".into(), true, false, 0)]
        );
    }

    #[test]
    fn not_markers() {
        assert!(names("RUN echo a<<b").is_empty());
        assert!(names("RUN <<").is_empty());
        assert!(names("RUN echo '<<EOF'").is_empty());
        assert!(names("RUN echo \"unterminated <<EOF").is_empty());
    }
}
