//! Read-only access to a project's git history.
//!
//! hoist predicts cache behaviour *over time*: which commits would have invalidated
//! which build steps. That needs three things from git, all of them fast on large
//! repositories: resolve revisions, walk first-parent history, and list the paths
//! that changed between two commits (and read files such as the Dockerfile and
//! `.dockerignore` as they were at a commit).
//!
//! Everything goes through [`gix`] (pure Rust, no libgit2, no `git` process), see
//! [`Repo`]. Tree diffs are a hand-written merge of the two trees' entries rather than
//! gix's high-level diff: it sets up a blob-diff pipeline per call (slow, see
//! `shared/docs/git-history.md`), and gix's low-level `Visit` cannot skip a
//! subtree, which [`Repo::diff_pruned`] needs.

mod git;

use std::fmt;

pub use git::Repo;

/// A commit's object id.
///
/// A small `Copy` wrapper so callers need not depend on gix's types; `Display`
/// prints the full hex id, [`CommitId::short`] an abbreviation for humans.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CommitId(pub(crate) gix::ObjectId);

impl CommitId {
    /// The first 10 hex digits: as long as git's default abbreviation grows to in
    /// big repositories, for display only (uniqueness is not checked).
    pub fn short(&self) -> String {
        let mut hex = self.0.to_string();
        hex.truncate(10);
        hex
    }
}

impl fmt::Display for CommitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for CommitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CommitId({})", self.0)
    }
}

/// What kind of entry a tree holds at a path (git's entry modes).
///
/// The mode matters to the build cache: BuildKit's content checksum covers file
/// permissions, so `chmod +x` invalidates a `COPY` just like an edit does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntryMode {
    /// A regular file, `100644`.
    File,
    /// An executable file, `100755`.
    Executable,
    /// A symbolic link, `120000`; its blob holds the link target.
    Symlink,
    /// A directory, `040000`.
    Tree,
    /// A submodule (a gitlink to a commit of another repository), `160000`.
    Commit,
}

impl EntryMode {
    /// The octal mode as git prints it, for reports.
    pub fn octal(self) -> &'static str {
        match self {
            EntryMode::File => "100644",
            EntryMode::Executable => "100755",
            EntryMode::Symlink => "120000",
            EntryMode::Tree => "040000",
            EntryMode::Commit => "160000",
        }
    }
}

impl fmt::Display for EntryMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.octal())
    }
}

/// How a path differs between two commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChangeKind {
    /// The path exists only in the new commit.
    Added,
    /// The path exists only in the old commit.
    Deleted,
    /// The content differs (the mode may differ too), or, for a directory that
    /// [`Repo::diff_pruned`] did not descend into, something below it changed.
    Modified,
    /// Same content, only the mode differs (e.g. `chmod +x`).
    ModeChanged,
}

/// One changed path between two commits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Change {
    /// Repo-relative path with `/` separators, no leading or trailing slash.
    pub path: String,
    pub kind: ChangeKind,
    /// Mode in the old commit; `None` when the path did not exist there.
    pub old_mode: Option<EntryMode>,
    /// Mode in the new commit; `None` when the path does not exist there.
    pub new_mode: Option<EntryMode>,
}

/// A commit as seen by a first-parent walk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitInfo {
    pub id: CommitId,
    /// The first parent, `None` for a root commit. At a shallow clone's boundary this
    /// names a commit that is not in the repository.
    pub parent: Option<CommitId>,
    /// Author time in seconds since the Unix epoch (the time the change was written,
    /// which is what people expect to see; rebases keep it).
    pub time: i64,
    /// The first paragraph of the message folded onto one line, like `git log --oneline`.
    pub summary: String,
}

/// Everything that can go wrong reading history. Each message says what failed,
/// for which directory, revision or path, and what the user can do about it.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error(
        "could not open a git repository at or above {}: {detail}; run hoist inside a git checkout, or pass a directory that is one",
        dir.display()
    )]
    NotARepository {
        dir: std::path::PathBuf,
        detail: String,
    },

    #[error(
        "unknown revision `{rev}`: {detail}; use a branch, tag, commit id or an expression like `HEAD~3`"
    )]
    UnknownRevision { rev: String, detail: String },

    #[error("revision `{rev}` names a {kind}, not a commit; name a commit, branch or tag instead")]
    NotACommit { rev: String, kind: String },

    #[error("invalid range `{range}`: {reason}; write it as OLD..NEW, e.g. `main..HEAD`")]
    InvalidRange { range: String, reason: &'static str },

    #[error("missing git object {id} ({what}){hint}")]
    MissingObject {
        id: String,
        what: String,
        /// Extra advice, e.g. to deepen a shallow clone; empty or starting with "; ".
        hint: String,
    },

    #[error(
        "could not read git object {id} ({what}): {detail}; the repository may be corrupt, check it with `git fsck`"
    )]
    Corrupt {
        id: String,
        what: String,
        detail: String,
    },
}

/// Splits a revision range `OLD..NEW` into its two revision specs.
///
/// Only the two-dot form is accepted, and both sides must be given: hoist needs two
/// concrete endpoints, and git's defaulting of an empty side to `HEAD` or its
/// three-dot symmetric difference would silently mean something else.
pub fn parse_range(range: &str) -> Result<(String, String), HistoryError> {
    let invalid = |reason| HistoryError::InvalidRange {
        range: range.to_string(),
        reason,
    };
    if range.contains("...") {
        return Err(invalid("the three-dot form is not supported"));
    }
    let Some((old, new)) = range.split_once("..") else {
        return Err(invalid("there is no `..` between the two revisions"));
    };
    let (old, new) = (old.trim(), new.trim());
    match (old.is_empty(), new.is_empty()) {
        (true, true) => Err(invalid("both revisions are missing")),
        (true, false) => Err(invalid("the old revision (before `..`) is missing")),
        (false, true) => Err(invalid("the new revision (after `..`) is missing")),
        (false, false) if new.contains("..") => Err(invalid("it contains `..` more than once")),
        (false, false) => Ok((old.to_string(), new.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_range_splits_two_sides() {
        assert_eq!(
            parse_range("main~3..HEAD").unwrap(),
            ("main~3".to_string(), "HEAD".to_string())
        );
        assert_eq!(
            parse_range("v1.0..abc123").unwrap(),
            ("v1.0".to_string(), "abc123".to_string())
        );
    }

    #[test]
    fn parse_range_rejects_malformed() {
        let msg = |r: &str| parse_range(r).unwrap_err().to_string();
        assert_eq!(
            msg("HEAD"),
            "invalid range `HEAD`: there is no `..` between the two revisions; write it as OLD..NEW, e.g. `main..HEAD`"
        );
        assert!(msg("..HEAD").contains("the old revision (before `..`) is missing"));
        assert!(msg("main..").contains("the new revision (after `..`) is missing"));
        assert!(msg("..").contains("both revisions are missing"));
        assert!(msg("a...b").contains("three-dot"));
        assert!(msg("a..b..c").contains("more than once"));
    }

    #[test]
    fn entry_mode_octal() {
        assert_eq!(EntryMode::Executable.to_string(), "100755");
        assert_eq!(EntryMode::Commit.octal(), "160000");
    }
}
