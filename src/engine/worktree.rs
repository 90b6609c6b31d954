//! A commit's tree written out as a directory: the temporary worktree that
//! `hoist verify` builds.
//!
//! BuildKit keys context files on their bytes *and* mode (R3.2), so the modes
//! are set explicitly rather than left to the umask: regular files 0644,
//! executables 0755, directories 0755, symlinks as links (their target is
//! what git stores). A submodule becomes an empty directory, as in a checkout
//! that did not initialise it. `.git` is not written: a checkout's `.git`
//! would be part of `COPY . .` unless ignored, and nothing in the history
//! describes it.

use std::collections::BTreeSet;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::history::{CommitId, EntryMode, HistoryError, Repo};

/// Why a tree could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WorktreeError {
    #[error(transparent)]
    History(#[from] HistoryError),
    #[error("cannot write {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is listed in commit {commit} but cannot be read")]
    Missing { path: String, commit: String },
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> WorktreeError + '_ {
    move |source| WorktreeError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A directory removed (with everything in it) when dropped.
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// A new empty directory under the system's temporary directory.
    pub fn new(prefix: &str) -> std::io::Result<TempDir> {
        static N: AtomicU64 = AtomicU64::new(0);
        let base = std::env::temp_dir();
        for _ in 0..100 {
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or_default();
            let name = format!(
                "{prefix}{}-{nanos:x}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            );
            let path = base.join(name);
            match std::fs::create_dir(&path) {
                Ok(()) => {
                    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
                    return Ok(TempDir { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(std::io::Error::other(
            "cannot create a unique temporary directory",
        ))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Writes every file of `commit` into `dest` (an existing, empty directory).
/// Returns the number of entries written.
pub fn materialize(repo: &Repo, commit: CommitId, dest: &Path) -> Result<usize, WorktreeError> {
    let files = repo.list_files(commit, "")?;
    let mut dirs: BTreeSet<PathBuf> = BTreeSet::new();
    let made_dir = |dirs: &mut BTreeSet<PathBuf>, rel: &Path| -> Result<(), WorktreeError> {
        let mut d = PathBuf::new();
        for c in rel.components() {
            d.push(c);
            if dirs.insert(d.clone()) {
                let full = dest.join(&d);
                match std::fs::create_dir(&full) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                    Err(e) => return Err(io_err(&full)(e)),
                }
                std::fs::set_permissions(&full, std::fs::Permissions::from_mode(0o755))
                    .map_err(io_err(&full))?;
            }
        }
        Ok(())
    };
    for (path, mode) in &files {
        let rel = Path::new(path);
        if let Some(parent) = rel.parent() {
            made_dir(&mut dirs, parent)?;
        }
        let full = dest.join(rel);
        let read = || -> Result<Vec<u8>, WorktreeError> {
            repo.read_file(commit, path)?
                .ok_or_else(|| WorktreeError::Missing {
                    path: path.clone(),
                    commit: commit.short(),
                })
        };
        match mode {
            EntryMode::File | EntryMode::Executable => {
                let bytes = read()?;
                std::fs::write(&full, bytes).map_err(io_err(&full))?;
                let m = if *mode == EntryMode::Executable {
                    0o755
                } else {
                    0o644
                };
                std::fs::set_permissions(&full, std::fs::Permissions::from_mode(m))
                    .map_err(io_err(&full))?;
            }
            EntryMode::Symlink => {
                let target = read()?;
                let target = PathBuf::from(std::ffi::OsStr::from_bytes(&target));
                std::os::unix::fs::symlink(&target, &full).map_err(io_err(&full))?;
            }
            EntryMode::Commit => made_dir(&mut dirs, rel)?,
            EntryMode::Tree => made_dir(&mut dirs, rel)?,
        }
    }
    Ok(files.len())
}
