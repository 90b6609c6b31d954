//! The build context as BuildKit sends it: which Dockerfiles a context holds,
//! which ignore file applies (R7.1), and which changed paths the build can see.

use super::ignore::IgnoreFile;

/// Names hoist treats as Dockerfiles when none is given: `Dockerfile`,
/// `Dockerfile.*`, `*.Dockerfile`, and `<dir>/Dockerfile` one level down.
pub fn is_dockerfile_name(rel: &str) -> bool {
    let parts: Vec<&str> = rel.split('/').collect();
    let name = parts[parts.len() - 1];
    if name.ends_with(".dockerignore") {
        return false;
    }
    let named = name == "Dockerfile"
        || (name.starts_with("Dockerfile.") && name.len() > "Dockerfile.".len())
        || (name.ends_with(".Dockerfile") && name.len() > ".Dockerfile".len());
    match parts.len() {
        1 => named,
        2 => name == "Dockerfile",
        _ => false,
    }
}

/// Changed paths (context-relative) that matter to a build: a path matters if it
/// is in the context before or after the change (R7.5). `all_files` lists every
/// file of the context after the change, when known; it lets a changed ignore
/// file bring in paths whose exclusion flipped.
pub fn visible_changes(
    changed: &[String],
    old_ignore: Option<&IgnoreFile>,
    new_ignore: Option<&IgnoreFile>,
    all_files: Option<&[String]>,
) -> Vec<String> {
    let excluded = |ig: Option<&IgnoreFile>, p: &str| ig.is_some_and(|i| i.is_excluded(p));
    let mut out: Vec<String> = changed
        .iter()
        .filter(|p| !(excluded(old_ignore, p) && excluded(new_ignore, p)))
        .cloned()
        .collect();
    if let Some(all) = all_files {
        for p in all {
            if excluded(old_ignore, p) != excluded(new_ignore, p) {
                out.push(p.clone());
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// A user-given path made relative to the context root, with `/` separators;
/// `None` when it lies outside the context. Relative paths are relative to the
/// context; absolute ones must be inside it.
pub fn relative_to_context(path: &str, context_abs: &str) -> Option<String> {
    let p = path.replace('\\', "/");
    let ctx = super::build::clean_path(context_abs);
    let rel = if p.starts_with('/') {
        let cleaned = super::build::clean_path(&p);
        if cleaned == ctx {
            String::new()
        } else {
            cleaned
                .strip_prefix(&format!("{}/", ctx.trim_end_matches('/')))?
                .to_string()
        }
    } else {
        p
    };
    // Cleaning a relative path keeps leading `..`: those leave the context.
    let cleaned = super::build::clean_path(&rel);
    if cleaned == ".." || cleaned.starts_with("../") {
        return None;
    }
    Some(cleaned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockerfile_names() {
        for yes in [
            "Dockerfile",
            "Dockerfile.worker",
            "api.Dockerfile",
            "svc/Dockerfile",
        ] {
            assert!(is_dockerfile_name(yes), "{yes}");
        }
        for no in [
            "Dockerfile.dockerignore",
            "a/b/Dockerfile",
            "README.md",
            ".Dockerfile",
            "svc/x.Dockerfile",
        ] {
            assert!(!is_dockerfile_name(no), "{no}");
        }
    }

    #[test]
    fn ignored_changes_are_invisible() {
        let ig = IgnoreFile::parse("docs\n*.md\n").unwrap();
        let changed = vec![
            "docs/a.txt".to_string(),
            "main.go".into(),
            "README.md".into(),
        ];
        assert_eq!(
            visible_changes(&changed, Some(&ig), Some(&ig), None),
            vec!["main.go"]
        );
        // A path the new ignore file excludes left the context: that is a change.
        let old = IgnoreFile::parse("").unwrap();
        assert_eq!(
            visible_changes(
                &[],
                Some(&old),
                Some(&ig),
                Some(&["README.md".into(), "x".into()])
            ),
            vec!["README.md"]
        );
    }

    #[test]
    fn paths_relative_to_context() {
        let rel = |p| relative_to_context(p, "/repo/app");
        assert_eq!(rel("/repo/app/main.go").as_deref(), Some("main.go"));
        assert_eq!(rel("./cmd/../go.mod").as_deref(), Some("go.mod"));
        assert_eq!(rel(".").as_deref(), Some("."));
        assert_eq!(rel("/repo/app").as_deref(), Some("."));
        // Outside the context: a sibling with the same prefix, `..`, another root.
        assert_eq!(rel("/repo/app2/src/main.go"), None);
        assert_eq!(rel("../src/x"), None);
        assert_eq!(rel("/repo/app/../app2/x"), None);
        assert_eq!(rel("/etc/passwd"), None);
    }
}
