//! A build's inputs as of a commit, and what differs in the build context
//! between two commits, read from git (no checkout).
//!
//! The change list is what BuildKit's context checksums see: changed, added
//! and removed files and mode changes (git records the executable bit and
//! symlinks), plus directories that exist in one commit's context and not the
//! other's — git has no empty directories, but a directory whose files are all
//! ignored still reaches BuildKit as an empty directory (S-5). Paths neither
//! side's ignore file lets in are dropped, and when the ignore file itself
//! changed, files whose exclusion flipped count as changed (R7.5).

use std::collections::BTreeSet;

use crate::history::{CommitId, HistoryError, Repo};
use crate::model::context;
use crate::model::ignore::IgnoreFile;
use crate::predict::ContextChange;

/// Why a commit's inputs cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    #[error(transparent)]
    History(#[from] HistoryError),
    #[error("{path} does not exist at commit {commit}")]
    NoDockerfile { path: String, commit: String },
    #[error("{path} at commit {commit}: {message}")]
    Ignore {
        path: String,
        commit: String,
        message: String,
    },
}

/// A repository path, cleaned: no leading `./` or `/`, no trailing `/`, `""` for the root.
pub fn clean_repo_path(p: &str) -> String {
    let c = crate::model::build::clean_path(&format!("/{}", p.replace('\\', "/")));
    c.trim_start_matches('/').to_string()
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}/{name}")
    }
}

/// What one commit gives a build.
#[derive(Debug, Clone)]
pub struct CommitState {
    pub id: CommitId,
    pub dockerfile: Vec<u8>,
    /// The ignore file that applies (R7.1), its repository path and text.
    pub ignore: Option<(String, String, IgnoreFile)>,
    /// Every file of the context, context-relative.
    pub files: Vec<String>,
    /// Every directory of the context that holds a file, context-relative.
    pub dirs: BTreeSet<String>,
}

impl CommitState {
    /// Reads the Dockerfile (repository path), the ignore file and the file
    /// list of the context (`context` is a repository path, `""` for the root).
    pub fn read(
        repo: &Repo,
        id: CommitId,
        dockerfile: &str,
        context: &str,
    ) -> Result<CommitState, CommitError> {
        let df = repo
            .read_file(id, dockerfile)?
            .ok_or_else(|| CommitError::NoDockerfile {
                path: dockerfile.to_string(),
                commit: id.short(),
            })?;
        let mut ignore = None;
        for candidate in [
            format!("{dockerfile}.dockerignore"),
            join(context, ".dockerignore"),
        ] {
            if let Some(bytes) = repo.read_file(id, &candidate)? {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                let parsed = IgnoreFile::parse(&text).map_err(|e| CommitError::Ignore {
                    path: candidate.clone(),
                    commit: id.short(),
                    message: e.to_string(),
                })?;
                ignore = Some((candidate, text, parsed));
                break;
            }
        }
        let mut files = Vec::new();
        let mut dirs = BTreeSet::new();
        for (path, _) in repo.list_files(id, context)? {
            let rel = if context.is_empty() {
                path
            } else {
                match path.strip_prefix(&format!("{context}/")) {
                    Some(r) => r.to_string(),
                    None => continue,
                }
            };
            let mut d = rel.as_str();
            while let Some((parent, _)) = d.rsplit_once('/') {
                if !dirs.insert(parent.to_string()) {
                    break;
                }
                d = parent;
            }
            files.push(rel);
        }
        Ok(CommitState {
            id,
            dockerfile: df,
            ignore,
            files,
            dirs,
        })
    }

    fn ignore_file(&self) -> Option<&IgnoreFile> {
        self.ignore.as_ref().map(|(_, _, i)| i)
    }
}

/// Context paths that differ between two commits, as the build sees them.
pub fn changes_between(
    repo: &Repo,
    old: &CommitState,
    new: &CommitState,
    context: &str,
) -> Result<ContextChange, CommitError> {
    let in_context = |p: &str| -> Option<String> {
        if context.is_empty() {
            Some(p.to_string())
        } else {
            p.strip_prefix(&format!("{context}/")).map(str::to_string)
        }
    };
    let mut changed: Vec<String> = repo
        .diff(old.id, new.id)?
        .into_iter()
        .filter_map(|c| in_context(&c.path))
        .collect();
    changed.extend(old.dirs.symmetric_difference(&new.dirs).cloned());
    let ignore_changed =
        old.ignore.as_ref().map(|(p, t, _)| (p, t)) != new.ignore.as_ref().map(|(p, t, _)| (p, t));
    let all: Option<Vec<String>> = ignore_changed.then(|| {
        let mut all: Vec<String> = old
            .files
            .iter()
            .chain(&new.files)
            .chain(&old.dirs)
            .chain(&new.dirs)
            .cloned()
            .collect();
        all.sort();
        all.dedup();
        all
    });
    let paths = context::visible_changes(
        &changed,
        old.ignore_file(),
        new.ignore_file(),
        all.as_deref(),
    );
    Ok(ContextChange { paths })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_paths() {
        assert_eq!(clean_repo_path("."), "");
        assert_eq!(clean_repo_path("./app/"), "app");
        assert_eq!(clean_repo_path("/a/../b/Dockerfile"), "b/Dockerfile");
    }
}
