//! Inputs found by `scripts/fuzz` that once made hoist panic, kept byte for byte
//! with the behaviour they must have now. Each test names the fuzz target that
//! found it.

use hoist::report::diagnostic;
use hoist::syntax::{self, dump, typed};

/// Parses, checks the tree is lossless, and renders any typed error: what the
/// `parse` fuzz target does.
fn typed_error(source: &[u8]) -> syntax::SyntaxError {
    let file = syntax::parse(source).expect("parses");
    assert_eq!(file.reconstruct(), source);
    let _ = dump::dump(&file);
    let err = typed::typed(&file).expect_err("typed view rejects it");
    assert!(err.span.end <= source.len());
    let _ = diagnostic::render("Dockerfile", source, &err, false);
    err
}

/// `parse` target: a flag error inside an ONBUILD trigger indexed the outer
/// instruction's (empty) flag list and panicked. It must point at the trigger's flag.
#[test]
fn onbuild_trigger_with_unknown_flag() {
    let source = b"ONBUILD COPY --o";
    let err = typed_error(source);
    assert_eq!(err.message, "unknown flag: o");
    assert_eq!(&source[err.span.range()], b"--o");
    assert_eq!((err.line, err.column), (1, 14));
}

/// Same bug, second flag of the trigger, outer instruction with no flags either.
#[test]
fn onbuild_trigger_with_bad_flag_value() {
    let source = b"FROM alpine\nONBUILD RUN --mount=type=cache,target=/c --network=nope true\n";
    let err = typed_error(source);
    assert_eq!(err.message, "unsupported network mode \"nope\"");
    assert_eq!(&source[err.span.range()], b"--network=nope");
    assert_eq!(err.line, 2);
}

/// An unknown trigger keyword is reported at the trigger, not at `ONBUILD`.
#[test]
fn onbuild_unknown_trigger_points_at_the_trigger() {
    let source = b"FROM alpine\nONBUILD FOO bar\n";
    let err = typed_error(source);
    assert_eq!(err.message, "unknown instruction: FOO");
    assert_eq!(&source[err.span.range()], b"FOO");
    assert_eq!((err.line, err.column), (2, 9));
}

/// `parse` target: in `ENV`/`LABEL` pairs, the position of `=` was taken from
/// the value, where each invalid UTF-8 byte had become a 3-byte U+FFFD, so the
/// spans of the key, the `=` and the value ran past the word, here past the end
/// of the file.
#[test]
fn env_pair_with_invalid_utf8_keeps_spans_in_the_source() {
    let source: &[u8] = b"FROne\nENV \x01\0\0sA\xff\xff\xff\xff\xff\xff\0\x1e=\xd1\xdf\xbd\xf5";
    let file = syntax::parse(source).expect("parses");
    assert_eq!(file.reconstruct(), source);
    let env = file.instructions().nth(1).unwrap();
    let spans: Vec<&[u8]> = env
        .arg_values()
        .map(|w| &source[env.word_span(w).range()])
        .collect();
    assert_eq!(
        spans,
        [
            &b"\x01\0\0sA\xff\xff\xff\xff\xff\xff\0\x1e"[..],
            b"\xd1\xdf\xbd\xf5",
            b"="
        ]
    );
    // The values are still BuildKit's: invalid bytes read as U+FFFD.
    let values: Vec<String> = env.arg_values().map(|w| w.text().into_owned()).collect();
    assert_eq!(
        values[0],
        "\u{1}\0\0sA\u{fffd}\u{fffd}\u{fffd}\u{fffd}\u{fffd}\u{fffd}\0\u{1e}"
    );
    assert_eq!(values[2], "=");
}

#[test]
fn label_pairs_after_invalid_utf8_point_at_their_own_text() {
    let source = b"FROM a\nLABEL \xff\xff=\xff b=c\n";
    let file = syntax::parse(source).unwrap();
    let label = file.instructions().nth(1).unwrap();
    let spans: Vec<&[u8]> = label
        .arg_values()
        .map(|w| &source[label.word_span(w).range()])
        .collect();
    assert_eq!(spans, [&b"\xff\xff"[..], b"\xff", b"=", b"b", b"c", b"="]);
}
