//! Does a changed context path fall under a COPY/ADD source or bind-mount source?
//! Plain sources select a file or a whole directory tree (R3.3); wildcard sources
//! are matched segment by segment with Go's `path.Match` (R3.5).

use crate::model::ContextInput;
use crate::model::ignore::IgnoreFile;

/// Go's `path.Match` for one path segment: `*`, `?`, `[...]` (with `^` or `!`
/// negation and ranges), and `\` escapes. A malformed pattern matches nothing.
pub fn segment_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    match_from(&p, 0, &n, 0)
}

fn match_from(p: &[char], mut pi: usize, n: &[char], mut ni: usize) -> bool {
    while pi < p.len() {
        match p[pi] {
            '*' => {
                // Collapse runs of stars, then try every split point.
                while pi < p.len() && p[pi] == '*' {
                    pi += 1;
                }
                if pi == p.len() {
                    return !n[ni..].contains(&'/');
                }
                for k in ni..=n.len() {
                    if k > ni && n[k - 1] == '/' {
                        break;
                    }
                    if match_from(p, pi, n, k) {
                        return true;
                    }
                }
                return false;
            }
            '?' => {
                if ni >= n.len() || n[ni] == '/' {
                    return false;
                }
                pi += 1;
                ni += 1;
            }
            '[' => {
                if ni >= n.len() || n[ni] == '/' {
                    return false;
                }
                let c = n[ni];
                pi += 1;
                let negate = pi < p.len() && (p[pi] == '^' || p[pi] == '!');
                if negate {
                    pi += 1;
                }
                let mut matched = false;
                let mut first = true;
                loop {
                    if pi >= p.len() {
                        return false; // unterminated class: bad pattern
                    }
                    if p[pi] == ']' && !first {
                        pi += 1;
                        break;
                    }
                    first = false;
                    let mut lo = p[pi];
                    if lo == '\\' {
                        pi += 1;
                        if pi >= p.len() {
                            return false;
                        }
                        lo = p[pi];
                    }
                    pi += 1;
                    let mut hi = lo;
                    if pi + 1 < p.len() && p[pi] == '-' && p[pi + 1] != ']' {
                        hi = p[pi + 1];
                        if hi == '\\' {
                            if pi + 2 >= p.len() {
                                return false;
                            }
                            hi = p[pi + 2];
                            pi += 1;
                        }
                        pi += 2;
                    }
                    if lo <= c && c <= hi {
                        matched = true;
                    }
                }
                if matched == negate {
                    return false;
                }
                ni += 1;
            }
            '\\' => {
                pi += 1;
                if pi >= p.len() || ni >= n.len() || p[pi] != n[ni] {
                    return false;
                }
                pi += 1;
                ni += 1;
            }
            c => {
                if ni >= n.len() || n[ni] != c {
                    return false;
                }
                pi += 1;
                ni += 1;
            }
        }
    }
    ni == n.len()
}

fn has_wildcard(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// True when a change at `path` (a file, or a directory under which something
/// changed) alters what `input` selects.
pub fn selects(input: &ContextInput, path: &str, exclude: Option<&IgnoreFile>) -> bool {
    if let Some(ex) = exclude
        && ex.is_excluded(path)
    {
        return false;
    }
    let source = input.source.as_str();
    // `.` on either side: the whole context.
    if source == "." || path == "." {
        return true;
    }
    if !has_wildcard(source) {
        let under = |inner: &str, outer: &str| {
            inner
                .strip_prefix(outer)
                .is_some_and(|rest| rest.starts_with('/'))
        };
        return path == source || under(path, source) || under(source, path);
    }
    let pat: Vec<&str> = source.split('/').collect();
    let segs: Vec<&str> = path.split('/').collect();
    // A path below a matched entry is inside it; a path above is a directory
    // holding candidates.
    pat.iter()
        .zip(segs.iter())
        .all(|(p, s)| segment_match(p, s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(source: &str) -> ContextInput {
        ContextInput {
            source: source.into(),
            exclude: Vec::new(),
            via: String::new(),
        }
    }

    #[test]
    fn go_path_match() {
        assert!(segment_match("*.go", "main.go"));
        assert!(!segment_match("*.go", "main.rs"));
        assert!(segment_match("file?", "file1"));
        assert!(segment_match("[a-c]x", "bx"));
        assert!(!segment_match("[^a-c]x", "bx"));
        assert!(segment_match("\\*", "*"));
        assert!(!segment_match("[a", "a"));
        assert!(segment_match("*", ""));
    }

    #[test]
    fn plain_sources_select_trees() {
        assert!(selects(&input("."), "anything/at/all", None));
        assert!(selects(&input("src"), "src/main.go", None));
        assert!(!selects(&input("src"), "srcx/main.go", None));
        assert!(selects(&input("go.mod"), "go.mod", None));
        assert!(!selects(&input("go.mod"), "go.sum", None));
        // A changed directory may hold the selected file.
        assert!(selects(&input("cmd/app/main.go"), "cmd", None));
    }

    #[test]
    fn wildcard_sources() {
        assert!(selects(&input("package*.json"), "package-lock.json", None));
        assert!(!selects(&input("package*.json"), "src/package.json", None));
        assert!(selects(&input("cmd/*/main.go"), "cmd/api/main.go", None));
        assert!(selects(&input("conf/*"), "conf/a/b.yaml", None));
        assert!(!selects(&input("*.txt"), "docs/a.txt", None));
    }

    #[test]
    fn excludes_drop_paths() {
        let ex = IgnoreFile::parse("*.md\n").unwrap();
        assert!(!selects(&input("."), "README.md", Some(&ex)));
        assert!(selects(&input("."), "main.go", Some(&ex)));
    }
}
