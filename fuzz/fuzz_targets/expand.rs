//! `expand` fuzz target: BuildKit's shell lexer on arbitrary text, with every
//! combination of its flags and a few fixed environments, must never panic.

#![no_main]

use hoist::syntax::shell::{Env, Lexer, NoEnv};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // First byte: lexer flags and environment; the rest is the word.
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let word = String::from_utf8_lossy(rest);
    let lexer = Lexer {
        escape: if mode & 1 == 0 { '\\' } else { '`' },
        raw_quotes: mode & 2 != 0,
        raw_escapes: mode & 4 != 0,
        skip_unset_env: mode & 8 != 0,
        skip_processing_quotes: mode & 16 != 0,
    };
    let small: Vec<(String, String)> = vec![
        ("A".into(), "a".into()),
        ("EMPTY".into(), String::new()),
        ("SPACES".into(), " x  y ".into()),
        ("PATH".into(), "/usr/local/bin:/usr/bin".into()),
        ("GLOB".into(), "*?[a]\\$".into()),
        ("QUOTES".into(), "'\"`\\".into()),
        ("UNI".into(), "é€😀\u{a0}".into()),
        ("A".into(), "again".into()),
    ];
    let env: &dyn Env = match (mode >> 5) & 3 {
        0 => &NoEnv,
        _ => &small,
    };
    let single = lexer.process_word(&word, env);
    let words = lexer.process_words(&word, env);
    let matches = lexer.process_word_with_matches(&word, env);
    // The three entry points run the same machine: they fail together.
    assert_eq!(single.is_ok(), words.is_ok(), "{word:?}");
    assert_eq!(single.is_ok(), matches.is_ok(), "{word:?}");
    if let (Ok(s), Ok(m)) = (&single, &matches) {
        assert_eq!(s, &m.result);
    }
    if let Err(e) = single {
        let _ = e.to_string();
    }
});
