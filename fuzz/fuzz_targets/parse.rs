//! `parse` fuzz target: any bytes must give a tree or an error, never a panic.
//!
//! On a tree: the items' spans tile the input, `reconstruct()` gives the input
//! back, every instruction's lines are in order, every word's span lies in the
//! file, and `dump`, `typed`, the outlines and the error renderer do not panic.
//! On an error: its span lies in the file and the code frame renders.

#![no_main]

use hoist::report::{diagnostic, outline};
use hoist::syntax::{self, Arg, Instruction, Item, dump, typed};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let file = match syntax::parse(data) {
        Ok(file) => file,
        Err(err) => {
            check_error(data, &err);
            return;
        }
    };
    assert_eq!(file.source, data);
    assert_eq!(
        file.reconstruct(),
        data,
        "reconstruct() differs from the input"
    );

    let mut end = 0;
    let mut last_line = 0;
    for item in &file.items {
        let span = match item {
            Item::Instruction(ins) => {
                check_instruction(data, ins);
                assert!(
                    ins.start_line > last_line,
                    "instruction at line {} after line {last_line}",
                    ins.start_line
                );
                last_line = ins.end_line;
                ins.span
            }
            Item::Trivia(t) => {
                assert!(
                    t.line >= last_line,
                    "trivia line {} before {last_line}",
                    t.line
                );
                last_line = t.line;
                t.span
            }
        };
        assert_eq!(span.start, end, "items do not tile the input");
        assert!(span.start < span.end, "empty item {span:?}");
        end = span.end;
    }
    assert_eq!(end, data.len(), "items stop before the end of the input");
    for d in &file.directives {
        assert!(d.span.end <= data.len());
    }

    let _ = dump::dump(&file);
    let _ = outline::text("fuzz", &file);
    let _ = outline::json("fuzz", &file);
    if let Err(err) = typed::typed(&file) {
        check_error(data, &err);
    }
});

fn check_instruction(data: &[u8], ins: &Instruction) {
    assert!(
        ins.start_line >= 1 && ins.start_line <= ins.end_line,
        "lines {}..{} of {:?}",
        ins.start_line,
        ins.end_line,
        ins.span
    );
    assert!(ins.span.end <= data.len());
    let words = std::iter::once(&ins.keyword)
        .chain(&ins.flags)
        .chain(ins.args.iter().filter_map(|a| match a {
            Arg::Word(w) => Some(w),
            Arg::Nested(_) => None,
        }));
    for word in words {
        let span = ins.word_span(word);
        assert!(
            span.start <= span.end && span.end <= data.len(),
            "word span {span:?}"
        );
    }
    for h in &ins.heredocs {
        assert!(h.body.start <= h.body.end && h.body.end <= h.terminator.start);
        assert!(h.terminator.end <= ins.span.end);
    }
    for arg in &ins.args {
        if let Arg::Nested(inner) = arg {
            for w in std::iter::once(&inner.keyword).chain(&inner.flags) {
                let span = inner.word_span(w);
                assert!(span.end <= data.len());
            }
        }
    }
}

fn check_error(data: &[u8], err: &syntax::SyntaxError) {
    assert!(
        err.span.start <= err.span.end && err.span.end <= data.len(),
        "error span {:?} outside {} bytes: {err}",
        err.span,
        data.len()
    );
    assert!(err.line >= 1 && err.column >= 1, "error position {err}");
    let _ = diagnostic::render("fuzz", data, err, false);
    let _ = diagnostic::one_line("fuzz", err);
}
