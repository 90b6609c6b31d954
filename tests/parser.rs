//! Parser fixtures: each `tests/fixtures/parser/NAME.Dockerfile` must dump to the
//! hand-written `NAME.dump` (BuildKit's `Node.Dump()` text) and reproduce its
//! source byte for byte; each file under `parse-errors/` and `typed-errors/`
//! must be rejected with the snapshotted error.

use std::fs;
use std::path::{Path, PathBuf};

use hoist::report::diagnostic;
use hoist::syntax::{self, dump, typed};

fn fixtures(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir);
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "Dockerfile"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fixtures in {}", dir.display());
    files
}

fn stem(path: &Path) -> String {
    path.file_stem().unwrap().to_string_lossy().into_owned()
}

#[test]
fn dumps_match_buildkit() {
    for path in fixtures("parser") {
        let source = fs::read(&path).unwrap();
        let file = syntax::parse(&source).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let expected = fs::read_to_string(path.with_extension("dump")).unwrap();
        assert_eq!(
            dump::dump(&file),
            expected.trim_end_matches('\n'),
            "dump of {}",
            path.display()
        );
    }
}

#[test]
fn every_fixture_round_trips() {
    let dirs = ["parser", "typed-errors"];
    for path in dirs.iter().flat_map(|d| fixtures(d)) {
        let source = fs::read(&path).unwrap();
        let file = syntax::parse(&source).unwrap();
        assert_eq!(
            file.reconstruct(),
            source,
            "round trip of {}",
            path.display()
        );
        let mut previous_end = 0;
        for item in &file.items {
            let span = match item {
                syntax::Item::Instruction(i) => i.span,
                syntax::Item::Trivia(t) => t.span,
            };
            assert_eq!(
                span.start,
                previous_end,
                "items of {} tile the file",
                path.display()
            );
            previous_end = span.end;
        }
    }
}

#[test]
fn valid_fixtures_pass_the_typed_view() {
    for path in fixtures("parser") {
        let source = fs::read(&path).unwrap();
        let file = syntax::parse(&source).unwrap();
        // Two fixtures hold lines BuildKit's parser takes but its typed layer
        // rejects (the parser-test example `COPY --user=me`, an ONBUILD whose
        // trigger is not an instruction).
        let expected = match stem(&path).as_str() {
            "flags" => Some("unknown flag: user"),
            "keywords" => Some("unknown instruction: [\"not\","),
            _ => None,
        };
        let got = typed::typed(&file).err().map(|e| e.message);
        assert_eq!(got.as_deref(), expected, "{}", path.display());
    }
}

/// Renders the error each fixture of `dir` gets from `check` into one report.
fn error_report(dir: &str, check: impl Fn(&[u8]) -> Result<(), syntax::SyntaxError>) -> String {
    let mut report = String::new();
    for path in fixtures(dir) {
        let source = fs::read(&path).unwrap();
        let err = check(&source).expect_err(&stem(&path));
        let shown = format!("{}.Dockerfile", stem(&path));
        report.push_str(&format!("--- {}\n", stem(&path)));
        report.push_str(&diagnostic::render(&shown, &source, &err, false));
        report.push_str("\n\n");
    }
    report
}

#[test]
fn parse_errors() {
    insta::assert_snapshot!(error_report("parse-errors", |s| syntax::parse(s).map(|_| ())));
}

#[test]
fn typed_errors() {
    insta::assert_snapshot!(error_report("typed-errors", |s| {
        let file = syntax::parse(s).expect("typed-error fixtures parse");
        typed::typed(&file).map(|_| ())
    }));
}

#[test]
fn spans_point_at_source_words() {
    let source = b"FROM alpine\nCOPY --chown=app \\\n     src/ /dst/\n";
    let file = syntax::parse(source).unwrap();
    let copy = file.instructions().nth(1).unwrap();
    assert_eq!(copy.start_line, 2);
    assert_eq!(copy.end_line, 3);
    let flag = copy.word_span(&copy.flags[0]);
    assert_eq!(&source[flag.range()], b"--chown=app");
    let words: Vec<_> = copy.arg_values().collect();
    assert_eq!(&source[copy.word_span(words[0]).range()], b"src/");
    assert_eq!(&source[copy.word_span(words[1]).range()], b"/dst/");
    assert_eq!(
        file.position(copy.word_span(words[1]).start),
        syntax::tree::Position {
            line: 3,
            column: 11
        }
    );
}

#[test]
fn heredoc_bodies_and_flags() {
    let source = b"FROM a\nRUN <<-EOT bash\n\techo hi\n\tEOT\nCOPY <<'X' /x\n$Y\nX\n";
    let file = syntax::parse(source).unwrap();
    let run = file.instructions().nth(1).unwrap();
    let h = &run.heredocs[0];
    assert_eq!((h.name.as_str(), h.chomp, h.expand), ("EOT", true, true));
    assert_eq!(h.content, b"\techo hi\n");
    assert_eq!(&source[h.terminator.range()], b"\tEOT");
    assert_eq!((run.start_line, run.end_line), (2, 4));
    let copy = file.instructions().nth(2).unwrap();
    assert!(!copy.heredocs[0].expand);
    assert_eq!(copy.heredocs[0].content, b"$Y\n");
}

#[test]
fn warns_on_empty_continuation_lines() {
    let file = syntax::parse(b"FROM a\nRUN echo \\\n\n  b\n").unwrap();
    assert_eq!(file.warnings.len(), 1);
    assert!(file.warnings[0].message.contains("Empty continuation line"));
}

#[test]
fn directives_only_in_the_leading_block() {
    let file = syntax::parse(
        b"# check=skip=all\n#Syntax = x:1 \n# escape=`\nFROM a\n# escape=\\\nRUN a `\n b\n",
    )
    .unwrap();
    assert_eq!(file.directive("check"), Some("skip=all"));
    assert_eq!(file.directive("syntax"), Some("x:1"));
    assert_eq!(file.escape, b'`');
    assert_eq!(dump::dump(&file), "(from \"a\")\n(run \"a  b\")");
    // A comment ends the block: the later directive is a plain comment.
    let file = syntax::parse(b"# hello\n# escape=`\nFROM a\nRUN a `\n").unwrap();
    assert_eq!(file.escape, b'\\');
    assert_eq!(dump::dump(&file), "(from \"a\")\n(run \"a `\")");
}
