//! `hoist impact --git OLD..NEW`: the Dockerfile and ignore file as of each
//! commit, and the context paths that changed between them (mode changes
//! included), read from git history rather than the work tree.

use std::path::Path;

use anyhow::Context;

use crate::commands::Inputs;
use hoist::history::{self, CommitId, Repo};
use hoist::model::{context, ignore::IgnoreFile};

/// A repository path as a slash string relative to the work tree root.
fn repo_relative(path: &Path, workdir: &Path) -> anyhow::Result<String> {
    let rel = path.strip_prefix(workdir).with_context(|| {
        format!(
            "{} is outside the repository at {}; pass --repo",
            path.display(),
            workdir.display()
        )
    })?;
    Ok(rel.to_string_lossy().replace('\\', "/"))
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}/{name}")
    }
}

/// The ignore file that applies at a commit (R7.1) and its parsed patterns.
fn ignore_at(
    repo: &Repo,
    commit: CommitId,
    dockerfile: &str,
    context_prefix: &str,
) -> anyhow::Result<(Option<String>, Option<IgnoreFile>)> {
    for candidate in [
        format!("{dockerfile}.dockerignore"),
        join(context_prefix, ".dockerignore"),
    ] {
        if let Some(bytes) = repo.read_file(commit, &candidate)? {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let parsed = IgnoreFile::parse(&text)
                .map_err(|e| anyhow::anyhow!("{candidate} at {}: {e}", commit.short()))?;
            return Ok((Some(text), Some(parsed)));
        }
    }
    Ok((None, None))
}

pub fn inputs(
    range: &str,
    repo_dir: Option<&Path>,
    context_dir: &Path,
    dockerfile: &Path,
    _ignore_on_disk: Option<&Path>,
) -> anyhow::Result<(Inputs, Inputs, Vec<String>)> {
    let (old_rev, new_rev) = history::parse_range(range)?;
    let repo = Repo::open(repo_dir.unwrap_or(context_dir))?;
    let workdir = repo
        .workdir()
        .context("the repository has no work tree; pass --repo pointing at a checkout")?;
    let workdir = workdir.canonicalize().unwrap_or(workdir);
    let old = repo.resolve(&old_rev)?;
    let new = repo.resolve(&new_rev)?;
    let context_prefix = repo_relative(context_dir, &workdir)?;
    let dockerfile_abs = dockerfile
        .canonicalize()
        .unwrap_or_else(|_| dockerfile.to_path_buf());
    let dockerfile_rel = repo_relative(&dockerfile_abs, &workdir)?;

    let read = |commit: CommitId, rev: &str| -> anyhow::Result<Vec<u8>> {
        repo.read_file(commit, &dockerfile_rel)?.with_context(|| {
            format!(
                "{dockerfile_rel} does not exist at {rev} ({}); nothing to compare",
                commit.short()
            )
        })
    };
    // A Dockerfile added in the range: nothing of it was built before, so every
    // step is new (an empty scratch build stands for "nothing").
    let old_df = match repo.read_file(old, &dockerfile_rel)? {
        Some(bytes) => bytes,
        None => {
            eprintln!("note: {dockerfile_rel} does not exist at {old_rev}; every step is new");
            b"FROM scratch\n".to_vec()
        }
    };
    let new_df = read(new, &new_rev)?;
    let (old_ig_text, old_ig) = ignore_at(&repo, old, &dockerfile_rel, &context_prefix)?;
    let (new_ig_text, new_ig) = ignore_at(&repo, new, &dockerfile_rel, &context_prefix)?;

    let in_context = |p: &str| -> Option<String> {
        if context_prefix.is_empty() {
            Some(p.to_string())
        } else {
            p.strip_prefix(&format!("{context_prefix}/"))
                .map(str::to_string)
        }
    };
    let changed: Vec<String> = repo
        .diff(old, new)?
        .into_iter()
        .filter_map(|c| in_context(&c.path))
        .collect();
    // A changed ignore file can bring files in or out of the context (R7.5).
    let all_files = if old_ig_text != new_ig_text {
        let mut all: Vec<String> = Vec::new();
        for commit in [old, new] {
            all.extend(
                repo.list_files(commit, &context_prefix)?
                    .into_iter()
                    .filter_map(|(p, _)| in_context(&p)),
            );
        }
        all.sort();
        all.dedup();
        Some(all)
    } else {
        None
    };
    let visible = context::visible_changes(
        &changed,
        old_ig.as_ref(),
        new_ig.as_ref(),
        all_files.as_deref(),
    );
    let _ = context_dir;
    Ok((
        Inputs {
            dockerfile: old_df,
            ignore: old_ig,
        },
        Inputs {
            dockerfile: new_df,
            ignore: new_ig,
        },
        visible,
    ))
}
