//! Hostile inputs: every one must give a tree or a clear error, never a panic
//! or a hang.

use hoist::syntax::{self, dump};

#[test]
fn non_utf8_bytes_are_kept_and_quoted_like_go() {
    let source = b"FROM alpine\nRUN echo \xff\xfe caf\xc3\xa9\nLABEL k=\xff\n";
    let file = syntax::parse(source).unwrap();
    assert_eq!(file.reconstruct(), source);
    // RUN keeps raw bytes; ENV/LABEL words go through a rune decoder (U+FFFD).
    assert_eq!(
        dump::dump(&file),
        "(from \"alpine\")\n(run \"echo \\xff\\xfe café\")\n(label \"k\" \"\u{fffd}\" \"=\")"
    );
}

#[test]
fn nul_bytes_are_ordinary_bytes() {
    let source = b"FROM alpine\nRUN echo a\0b\n\0\n";
    let file = syntax::parse(source).unwrap();
    assert_eq!(file.reconstruct(), source);
    assert_eq!(
        dump::dump(&file),
        "(from \"alpine\")\n(run \"echo a\\x00b\")\n(\\x00 \"\")".replace("(\\x00", "(\u{0}")
    );
}

#[test]
fn a_ten_megabyte_line_is_rejected_like_buildkit() {
    let mut source = b"FROM alpine\nRUN echo ".to_vec();
    source.extend(std::iter::repeat_n(b'x', 10 * 1024 * 1024));
    source.push(b'\n');
    let err = syntax::parse(&source).unwrap_err();
    assert_eq!(
        err.message,
        "dockerfile line greater than max allowed size of 65535"
    );
    assert_eq!((err.line, err.column), (2, 1));
    assert!(err.help.is_some());
}

#[test]
fn the_longest_line_buildkit_reads_is_accepted() {
    // bufio.Scanner's 64 KiB buffer holds the line with its newline.
    let mut source = b"FROM alpine\nRUN ".to_vec();
    source.extend(std::iter::repeat_n(b'x', 65536 - 5));
    source.push(b'\n');
    assert!(syntax::parse(&source).is_ok());
    source.insert(20, b'x');
    assert!(syntax::parse(&source).is_err());
}

#[test]
fn two_hundred_thousand_lines() {
    let mut source = String::from("FROM alpine AS base\n");
    for i in 0..200_000 {
        match i % 4 {
            0 => source.push_str(&format!("RUN echo {i} \\\n")),
            1 => source.push_str("    && true\n"),
            2 => source.push_str("# comment\n"),
            _ => source.push_str(&format!("ENV K{i}=v{i}\n")),
        }
    }
    let file = syntax::parse(source.as_bytes()).unwrap();
    assert_eq!(file.instructions().count(), 1 + 50_000 * 2);
    assert_eq!(file.reconstruct(), source.as_bytes());
}

#[test]
fn unterminated_json_is_shell_form() {
    let file = syntax::parse(b"FROM a\nCMD [\"a\", \"b\"\n").unwrap();
    assert_eq!(
        dump::dump(&file),
        "(from \"a\")\n(cmd \"[\\\"a\\\", \\\"b\\\"\")"
    );
}

#[test]
fn unterminated_heredoc_names_the_instruction_line() {
    let err = syntax::parse(b"FROM a\nRUN <<EOF\nline\n").unwrap_err();
    assert_eq!(err.message, "unterminated heredoc");
    assert_eq!(err.line, 2);
}

#[test]
fn pseudo_random_inputs_never_panic() {
    // A small xorshift generator over an alphabet rich in Dockerfile syntax.
    let alphabet: &[&[u8]] = &[
        b"FROM ",
        b"RUN ",
        b"COPY ",
        b"ENV ",
        b"ONBUILD ",
        b"HEALTHCHECK ",
        b"ARG ",
        b"LABEL ",
        b"\\",
        b"`",
        b"\n",
        b"\r\n",
        b" ",
        b"\t",
        b"#",
        b"# escape=`\n",
        b"<<",
        b"<<-",
        b"EOF",
        b"\"",
        b"'",
        b"[",
        b"]",
        b",",
        b"=",
        b"--",
        b"--mount=",
        b"$",
        b"{",
        b"}",
        b"\xff",
        b"\xef\xbb\xbf",
        b"\0",
        b"a",
        b"1",
    ];
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..3000 {
        let mut input = Vec::new();
        let len = (state % 40) as usize;
        for _ in 0..len {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            input.extend_from_slice(alphabet[(state % alphabet.len() as u64) as usize]);
        }
        if let Ok(file) = syntax::parse(&input) {
            assert_eq!(file.reconstruct(), input);
            let _ = dump::dump(&file);
            let _ = syntax::typed::typed(&file);
        }
    }
}
