//! [`Repo`]: the gix-backed implementation of the history queries.

use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use gix::ObjectId;
use gix::objs::TreeRefIter;
use gix::objs::tree::{EntryKind, name_order};
use gix::prelude::FindExt;

use super::{Change, ChangeKind, CommitId, CommitInfo, EntryMode, HistoryError};

/// Object cache size. A diff of commit N and its parent reads the same trees as
/// the diff of N+1 and N (every unchanged directory, and N's changed ones): the
/// cache serves those from memory. Walking newest first, only the trees of the
/// last few commits are hot; 16 MiB holds them, and a bigger cache only grows
/// the process (measured with `scripts/bench-replay`).
const OBJECT_CACHE_BYTES: usize = 16 * 1024 * 1024;

/// Delta-base cache size, when the repository's configuration sets none (git's
/// default is 96 MiB; here, 32 MiB did as well as 96).
const PACK_CACHE_BYTES: usize = 32 * 1024 * 1024;

/// An open repository. Read-only: nothing here writes to the repository.
///
/// Not `Sync` (gix's repository handle isn't, and we keep reusable buffers in a
/// `RefCell`); open one per thread if needed.
pub struct Repo {
    repo: gix::Repository,
    /// Decompression buffers reused across calls, one per tree being held while
    /// descending, so a diff of 10,000 commits does not allocate per tree.
    buffers: RefCell<Vec<Vec<u8>>>,
    /// The root tree of each commit a walk read, so that diffing those commits
    /// does not decode them again.
    trees: RefCell<HashMap<ObjectId, ObjectId>>,
    /// The last walk of more than one commit, with its arguments: a replay
    /// walks its range twice (to check where it starts, then to replay it).
    last_walk: RefCell<Option<(WalkArgs, Vec<CommitInfo>)>>,
}

type WalkArgs = (CommitId, Option<CommitId>, Option<usize>);

impl Repo {
    /// Opens the repository containing `dir` (discover upwards). Errors name the dir and say what to do.
    ///
    /// Discovery mirrors `git`: hoist is usually pointed at a build context or a
    /// Dockerfile somewhere inside a checkout, not at its root.
    pub fn open(dir: &Path) -> Result<Repo, HistoryError> {
        let mut repo = gix::discover(dir).map_err(|err| HistoryError::NotARepository {
            dir: dir.to_path_buf(),
            detail: err.to_string(),
        })?;
        repo.object_cache_size_if_unset(OBJECT_CACHE_BYTES);
        // gix's default delta-base cache is a 64-entry list searched linearly;
        // git's is a hash map of 96 MiB (`core.deltaBaseCacheLimit`), which
        // gix uses too when that is configured.
        let configured = repo
            .config_snapshot()
            .integer("core.deltaBaseCacheLimit")
            .is_some();
        if !configured {
            repo.objects.set_pack_cache(|| {
                Box::new(gix::odb::pack::cache::lru::MemoryCappedHashmap::new(
                    PACK_CACHE_BYTES,
                ))
            });
        }
        Ok(Repo {
            repo,
            buffers: RefCell::new(Vec::new()),
            trees: RefCell::new(HashMap::new()),
            last_walk: RefCell::new(None),
        })
    }

    /// Path of the work tree root (for relating a context dir to repo paths).
    ///
    /// `None` for a bare repository, where history can still be read but no
    /// directory on disk corresponds to the tree.
    pub fn workdir(&self) -> Option<PathBuf> {
        self.repo.workdir().map(Path::to_path_buf)
    }

    /// Resolves a revision spec (`HEAD`, `main~3`, a sha prefix, a tag) to a commit id. Unknown revision => clear error naming it.
    ///
    /// Annotated tags are peeled to the commit they point at, since every later
    /// query works on commits.
    pub fn resolve(&self, rev: &str) -> Result<CommitId, HistoryError> {
        let unknown = |detail: String| HistoryError::UnknownRevision {
            rev: rev.to_string(),
            detail,
        };
        if rev.trim().is_empty() {
            return Err(unknown("the revision is empty".to_string()));
        }
        if rev.contains("..") {
            return Err(unknown(
                "that is a range, but one revision is expected here".to_string(),
            ));
        }
        // gix's outermost message is generic ("couldn't parse revision"); its first
        // cause says what was wrong ("Reference \"x\" could not be found",
        // "... ancestor number 5 is out of range").
        let id = self.repo.rev_parse_single(rev).map_err(|err| {
            let cause = err.iter_errors().nth(1).map(|cause| cause.to_string());
            unknown(cause.unwrap_or_else(|| err.to_string()))
        })?;
        let object = id.object().map_err(|err| unknown(err.to_string()))?;
        let kind = object.kind;
        match object.peel_to_commit() {
            Ok(commit) => Ok(CommitId(commit.id)),
            Err(_) => Err(HistoryError::NotACommit {
                rev: rev.to_string(),
                kind: kind.to_string(),
            }),
        }
    }

    /// Changed paths between two commits' trees (no rename tracking): every added, deleted, modified blob and every mode change (including 100644<->100755, symlinks, submodules as entries), with repo-relative slash paths. Recurse into trees; when a whole tree is added/deleted, list every file in it.
    ///
    /// Sorted by path (byte order), then kind. A path that turned from a file into
    /// a directory (or back) appears as a deletion of one and additions of the other.
    pub fn diff(&self, old: CommitId, new: CommitId) -> Result<Vec<Change>, HistoryError> {
        self.diff_pruned(old, new, &|_| true)
    }

    /// The same with an optional pruning predicate: `interesting(dir_path) -> bool`; subtrees for which it returns false are not descended (their changes are reported as one `Change` for the directory path with kind Modified, so callers still know "something under dir/ changed"). Needed for speed on huge repos.
    ///
    /// `interesting` gets repo-relative directory paths without a trailing slash
    /// (`"src"`, `"src/app"`), and is asked only about directories that differ
    /// between the two commits (unchanged subtrees have the same tree id and are
    /// never read). It is asked again for every directory below an interesting one,
    /// including inside wholly added or deleted directories. A pruned directory's
    /// `Change` has `old_mode`/`new_mode` `Some(Tree)` on the sides where it exists.
    pub fn diff_pruned(
        &self,
        old: CommitId,
        new: CommitId,
        interesting: &dyn Fn(&str) -> bool,
    ) -> Result<Vec<Change>, HistoryError> {
        let old_tree = self.commit_tree(old)?;
        let new_tree = self.commit_tree(new)?;
        let mut walk = TreeDiff {
            repo: self,
            buffers: std::mem::take(&mut *self.buffers.borrow_mut()),
            path: String::new(),
            interesting,
            changes: Vec::new(),
        };
        let result = walk.trees(Some(old_tree), Some(new_tree));
        *self.buffers.borrow_mut() = std::mem::take(&mut walk.buffers);
        result?;
        let mut changes = walk.changes;
        changes.sort_by(|a, b| a.path.cmp(&b.path).then(a.kind.cmp(&b.kind)));
        Ok(changes)
    }

    /// Bytes of a file at a commit, None if absent (or not a blob).
    ///
    /// `path` is repo-relative with `/` separators; a leading `./` or `/` and empty
    /// or `.` components are ignored. For a symlink this returns the link target
    /// (what git stores), not the file it points to; check the mode with
    /// [`Repo::list_files`] if that matters. Directories and submodules give `None`.
    pub fn read_file(&self, commit: CommitId, path: &str) -> Result<Option<Vec<u8>>, HistoryError> {
        let root = self.commit_tree(commit)?;
        let Some((id, kind)) = self.lookup(root, path)? else {
            return Ok(None);
        };
        if matches!(kind, EntryKind::Tree | EntryKind::Commit) {
            return Ok(None);
        }
        let mut buf = Vec::new();
        let blob = self.repo.objects.find_blob(&id, &mut buf).map_err(|err| {
            self.object_error(
                id,
                format!("blob of `{path}` at commit {}", commit.short()),
                err,
            )
        })?;
        Ok(Some(blob.data.to_vec()))
    }

    /// Every file path (and its mode) in a commit's tree under `prefix` ("" = all), sorted.
    ///
    /// "Files" are all non-directory entries: regular and executable files,
    /// symlinks and submodules (as one entry each, since their content is not in
    /// this repository). `prefix` is a directory path (a trailing `/` is allowed);
    /// if it names a file, that file alone is listed; if it does not exist the list
    /// is empty.
    pub fn list_files(
        &self,
        commit: CommitId,
        prefix: &str,
    ) -> Result<Vec<(String, EntryMode)>, HistoryError> {
        let root = self.commit_tree(commit)?;
        let components: Vec<&str> = path_components(prefix).collect();
        let mut files = Vec::new();
        if components.is_empty() {
            let mut path = String::new();
            self.collect_files(root, &mut path, &mut files)?;
        } else {
            let mut path = components.join("/");
            match self.lookup(root, &path)? {
                None => {}
                Some((id, EntryKind::Tree)) => self.collect_files(id, &mut path, &mut files)?,
                Some((_, kind)) => files.push((path, entry_mode(kind))),
            }
        }
        files.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(files)
    }

    /// First-parent walk from `head` (inclusive), newest first, at most `limit` commits, stopping after `stop` (exclusive) when given. Each item: id, first parent id (None for root), author time (unix secs), summary line.
    ///
    /// First-parent only, like `git log --first-parent`: on a mainline with merge
    /// commits, each merge is one step whose diff against its first parent is
    /// everything the merged branch brought in, which is how CI saw it. `stop` is
    /// compared against first-parent commits only: if it is not on that chain the
    /// walk goes on to the root (or `limit`). At a shallow clone's boundary the walk
    /// ends quietly; the last commit's `parent` then names a missing commit.
    pub fn first_parent_walk(
        &self,
        head: CommitId,
        stop: Option<CommitId>,
        limit: Option<usize>,
    ) -> Result<Vec<CommitInfo>, HistoryError> {
        let args = (head, stop, limit);
        if let Some((last, walk)) = &*self.last_walk.borrow()
            && *last == args
        {
            return Ok(walk.clone());
        }
        let mut out = Vec::new();
        let mut trees = self.trees.borrow_mut();
        let mut buf = Vec::new();
        let mut next = Some(head.0);
        while let Some(id) = next {
            if stop.is_some_and(|stop| stop.0 == id)
                || limit.is_some_and(|limit| out.len() >= limit)
            {
                break;
            }
            let commit = match self.repo.objects.find_commit(&id, &mut buf) {
                Ok(commit) => commit,
                // The shallow boundary: the previous commit's parent isn't here.
                Err(err) if id != head.0 && err.classify().is_not_found() && self.is_shallow() => {
                    break;
                }
                Err(err) => return Err(self.object_error(id, "commit".to_string(), err)),
            };
            trees.insert(id, commit.tree());
            let parent = commit.parents().next();
            let time = commit
                .author()
                .map_err(|err| corrupt(id, "author line of commit", err))?
                .seconds();
            out.push(CommitInfo {
                id: CommitId(id),
                parent: parent.map(CommitId),
                time,
                summary: commit.message().summary().to_string(),
            });
            next = parent;
        }
        if out.len() > 1 {
            *self.last_walk.borrow_mut() = Some((args, out.clone()));
        }
        Ok(out)
    }

    /// The root tree id of `commit`.
    fn commit_tree(&self, commit: CommitId) -> Result<ObjectId, HistoryError> {
        if let Some(tree) = self.trees.borrow().get(&commit.0) {
            return Ok(*tree);
        }
        let mut buf = self.take_buffer();
        let result = self
            .repo
            .objects
            .find_commit_iter(&commit.0, &mut buf)
            .and_then(|mut iter| iter.tree_id())
            .map_err(|err| self.object_error(commit.0, "commit".to_string(), err));
        self.give_buffer(buf);
        result
    }

    /// Finds the entry at `path` below the tree `root`: its id and kind.
    fn lookup(
        &self,
        root: ObjectId,
        path: &str,
    ) -> Result<Option<(ObjectId, EntryKind)>, HistoryError> {
        let mut buf = self.take_buffer();
        let result = self.lookup_with(&mut buf, root, path);
        self.give_buffer(buf);
        result
    }

    fn lookup_with(
        &self,
        buf: &mut Vec<u8>,
        root: ObjectId,
        path: &str,
    ) -> Result<Option<(ObjectId, EntryKind)>, HistoryError> {
        let mut current = (root, EntryKind::Tree);
        for component in path_components(path) {
            if current.1 != EntryKind::Tree {
                return Ok(None);
            }
            let tree = current.0;
            let entries = self.tree_iter(tree, buf, path)?;
            let mut found = None;
            for entry in entries {
                let entry = entry.map_err(|err| corrupt(tree, "tree entry", err))?;
                if entry.filename == component.as_bytes() {
                    found = Some((entry.oid.to_owned(), entry.mode.kind()));
                    break;
                }
            }
            match found {
                Some(next) => current = next,
                None => return Ok(None),
            }
        }
        if path_components(path).next().is_none() {
            return Ok(None);
        }
        Ok(Some(current))
    }

    /// Appends every non-tree entry below `tree` to `out`, `path` being its location.
    fn collect_files(
        &self,
        tree: ObjectId,
        path: &mut String,
        out: &mut Vec<(String, EntryMode)>,
    ) -> Result<(), HistoryError> {
        let mut buf = self.take_buffer();
        let entries = self.tree_iter(tree, &mut buf, path)?;
        for entry in entries {
            let entry = entry.map_err(|err| corrupt(tree, "tree entry", err))?;
            let len = push_component(path, entry.filename);
            match entry.mode.kind() {
                EntryKind::Tree => self.collect_files(entry.oid.to_owned(), path, out)?,
                kind => out.push((path.clone(), entry_mode(kind))),
            }
            path.truncate(len);
        }
        self.give_buffer(buf);
        Ok(())
    }

    /// The bytes of the tree object `id` (its entries as stored).
    fn tree_data<'b>(
        &self,
        id: ObjectId,
        buf: &'b mut Vec<u8>,
        path: &str,
    ) -> Result<&'b [u8], HistoryError> {
        let what = || {
            if path.is_empty() {
                "root tree".to_string()
            } else {
                format!("tree of `{path}`")
            }
        };
        match gix::objs::Find::try_find(&self.repo.objects, &id, buf) {
            Ok(Some(data)) if data.kind == gix::objs::Kind::Tree => Ok(data.data),
            Ok(Some(data)) => Err(corrupt(
                id,
                &what(),
                format!("expected a tree, found a {}", data.kind),
            )),
            Ok(None) => Err(self.missing(id, what())),
            Err(err) => Err(self.object_error(id, what(), err)),
        }
    }

    fn tree_iter<'b>(
        &self,
        id: ObjectId,
        buf: &'b mut Vec<u8>,
        path: &str,
    ) -> Result<TreeRefIter<'b>, HistoryError> {
        self.repo.objects.find_tree_iter(&id, buf).map_err(|err| {
            let what = if path.is_empty() {
                "root tree".to_string()
            } else {
                format!("tree of `{path}`")
            };
            self.object_error(id, what, err)
        })
    }

    fn take_buffer(&self) -> Vec<u8> {
        self.buffers.borrow_mut().pop().unwrap_or_default()
    }

    fn give_buffer(&self, buf: Vec<u8>) {
        self.buffers.borrow_mut().push(buf);
    }

    fn is_shallow(&self) -> bool {
        self.repo.is_shallow().unwrap_or(false)
    }

    /// Maps a failed object lookup: missing objects get advice (usually a shallow
    /// clone, which CI systems make by default), anything else is corruption.
    fn object_error(&self, id: ObjectId, what: String, err: gix::Error) -> HistoryError {
        if err.classify().is_not_found() {
            self.missing(id, what)
        } else {
            corrupt(id, &what, err)
        }
    }

    fn missing(&self, id: ObjectId, what: String) -> HistoryError {
        let hint = if self.is_shallow() {
            "; this is a shallow clone: fetch more history (`git fetch --deepen=N` or `git fetch --unshallow`)"
        } else {
            "; check that the revision exists in this repository (`git cat-file -t <id>`)"
        };
        HistoryError::MissingObject {
            id: id.to_string(),
            what,
            hint: hint.to_string(),
        }
    }
}

fn corrupt(id: impl std::fmt::Display, what: &str, err: impl std::fmt::Display) -> HistoryError {
    HistoryError::Corrupt {
        id: id.to_string(),
        what: what.to_string(),
        detail: err.to_string(),
    }
}

/// The walk state of one tree diff. Recursion depth is the directory depth; each
/// level holds its two trees' data in buffers taken from `buffers`.
struct TreeDiff<'a> {
    repo: &'a Repo,
    buffers: Vec<Vec<u8>>,
    /// Path of the directory being compared, then of the current entry.
    path: String,
    interesting: &'a dyn Fn(&str) -> bool,
    changes: Vec<Change>,
}

impl TreeDiff<'_> {
    /// Compares the directory at `self.path`, present as `old` and/or `new`.
    ///
    /// Entries of both trees come sorted in git's tree order, so one merge pass
    /// pairs them up. Tree ids are content hashes: equal ids mean equal subtrees,
    /// which are skipped without being read.
    fn trees(&mut self, old: Option<ObjectId>, new: Option<ObjectId>) -> Result<(), HistoryError> {
        let mut old_buf = self.buffers.pop().unwrap_or_default();
        let mut new_buf = self.buffers.pop().unwrap_or_default();
        let hash_len = self.repo.repo.object_hash().len_in_bytes();
        let mut old_entries = match old {
            Some(id) => Some(RawEntries::new(
                self.repo.tree_data(id, &mut old_buf, &self.path)?,
                id,
                hash_len,
            )),
            None => None,
        };
        let mut new_entries = match new {
            Some(id) => Some(RawEntries::new(
                self.repo.tree_data(id, &mut new_buf, &self.path)?,
                id,
                hash_len,
            )),
            None => None,
        };
        let (mut a, mut b) = next_pair(&mut old_entries, &mut new_entries)?;
        loop {
            let order = match (&a, &b) {
                (None, None) => break,
                (Some(x), Some(y)) if x.raw == y.raw => {
                    (a, b) = next_pair(&mut old_entries, &mut new_entries)?;
                    continue;
                }
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                // A file and a directory of the same name are not equal here (the
                // directory sorts as if its name ended in '/'): they are reported as
                // a deletion plus an addition, the way git does.
                (Some(x), Some(y)) => {
                    name_order(x.name, x.mode()?.is_tree(), y.name, y.mode()?.is_tree())
                }
            };
            match order {
                Ordering::Less => {
                    self.entry(a.as_ref(), None)?;
                    a = next_raw(&mut old_entries)?;
                }
                Ordering::Greater => {
                    self.entry(None, b.as_ref())?;
                    b = next_raw(&mut new_entries)?;
                }
                Ordering::Equal => {
                    self.entry(a.as_ref(), b.as_ref())?;
                    (a, b) = next_pair(&mut old_entries, &mut new_entries)?;
                }
            }
        }
        self.buffers.push(old_buf);
        self.buffers.push(new_buf);
        Ok(())
    }

    /// Handles one name present in the old tree, the new tree or both (then both
    /// entries are trees, or both are not).
    fn entry(
        &mut self,
        old: Option<&RawEntry<'_>>,
        new: Option<&RawEntry<'_>>,
    ) -> Result<(), HistoryError> {
        let Some(named) = old.or(new) else {
            return Ok(());
        };
        let same_id = matches!((old, new), (Some(x), Some(y)) if x.oid == y.oid);
        let old_raw = old.map(RawEntry::mode).transpose()?;
        let new_raw = new.map(RawEntry::mode).transpose()?;
        if same_id && old_raw == new_raw {
            return Ok(());
        }
        let len = push_component(&mut self.path, named.name);
        let is_tree = named.mode()?.is_tree();
        let old_mode = old_raw.map(|m| entry_mode(m.kind()));
        let new_mode = new_raw.map(|m| entry_mode(m.kind()));
        if is_tree {
            if !same_id {
                if (self.interesting)(&self.path) {
                    self.trees(old.map(|e| e.oid.to_owned()), new.map(|e| e.oid.to_owned()))?;
                } else {
                    self.push(ChangeKind::Modified, old_mode, new_mode);
                }
            }
        } else {
            let kind = match (old_mode, new_mode) {
                (None, _) => Some(ChangeKind::Added),
                (_, None) => Some(ChangeKind::Deleted),
                _ if !same_id => Some(ChangeKind::Modified),
                (x, y) if x != y => Some(ChangeKind::ModeChanged),
                _ => None,
            };
            if let Some(kind) = kind {
                self.push(kind, old_mode, new_mode);
            }
        }
        self.path.truncate(len);
        Ok(())
    }

    fn push(&mut self, kind: ChangeKind, old_mode: Option<EntryMode>, new_mode: Option<EntryMode>) {
        self.changes.push(Change {
            path: self.path.clone(),
            kind,
            old_mode,
            new_mode,
        });
    }
}

/// One entry of a tree object as stored: `<octal mode> <name>\0<id>`.
struct RawEntry<'a> {
    /// The whole entry, for comparing two entries at once.
    raw: &'a [u8],
    name: &'a [u8],
    oid: &'a gix::oid,
    tree: ObjectId,
}

impl RawEntry<'_> {
    fn mode(&self) -> Result<gix::objs::tree::EntryMode, HistoryError> {
        gix::objs::tree::EntryMode::from_bytes(self.raw)
            .ok_or_else(|| corrupt(self.tree, "tree entry", "invalid mode"))
    }
}

/// The entries of a tree object, parsed in place (lighter than gix's
/// `TreeRefIter`, which a diff of thousands of commits spends much time in).
struct RawEntries<'a> {
    data: &'a [u8],
    tree: ObjectId,
    hash_len: usize,
}

impl<'a> RawEntries<'a> {
    fn new(data: &'a [u8], tree: ObjectId, hash_len: usize) -> RawEntries<'a> {
        RawEntries {
            data,
            tree,
            hash_len,
        }
    }

    fn next(&mut self) -> Result<Option<RawEntry<'a>>, HistoryError> {
        let data = self.data;
        if data.is_empty() {
            return Ok(None);
        }
        let bad = |detail: &str| corrupt(self.tree, "tree entry", detail);
        let space = data
            .iter()
            .take(8)
            .position(|&b| b == b' ')
            .ok_or_else(|| bad("no mode"))?;
        let name_start = space + 1;
        let end = self.entry_len(data)?;
        let id_start = end - self.hash_len;
        if id_start <= name_start {
            return Err(bad("no name"));
        }
        self.data = &data[end..];
        Ok(Some(RawEntry {
            raw: &data[..end],
            name: &data[name_start..id_start - 1],
            oid: gix::oid::from_bytes_unchecked(&data[id_start..end]),
            tree: self.tree,
        }))
    }

    /// The length of the entry `data` starts with.
    fn entry_len(&self, data: &[u8]) -> Result<usize, HistoryError> {
        let nul =
            find_nul(data).ok_or_else(|| corrupt(self.tree, "tree entry", "unterminated name"))?;
        let end = nul + 1 + self.hash_len;
        if end > data.len() {
            return Err(corrupt(self.tree, "tree entry", "truncated id"));
        }
        Ok(end)
    }

    /// Skips, on both sides, the entries that are byte for byte the same (same
    /// mode, name and id): most entries of two versions of a tree. Their bytes
    /// are compared a word at a time, and only one side is parsed.
    fn skip_common(&mut self, other: &mut RawEntries<'a>) -> Result<(), HistoryError> {
        let common = common_prefix(self.data, other.data);
        let mut pos = 0;
        while pos < common {
            let end = pos + self.entry_len(&self.data[pos..])?;
            if end > common {
                break;
            }
            pos = end;
        }
        self.data = &self.data[pos..];
        other.data = &other.data[pos..];
        Ok(())
    }
}

/// The next entries of the old and the new tree.
type Pair<'a> = (Option<RawEntry<'a>>, Option<RawEntry<'a>>);

/// The next entries of both trees, after those they have in common.
fn next_pair<'a>(
    old: &mut Option<RawEntries<'a>>,
    new: &mut Option<RawEntries<'a>>,
) -> Result<Pair<'a>, HistoryError> {
    if let (Some(o), Some(n)) = (old.as_mut(), new.as_mut()) {
        o.skip_common(n)?;
    }
    Ok((next_raw(old)?, next_raw(new)?))
}

/// The length of the longest common prefix of `a` and `b`, compared a word at a time.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let word = |s: &[u8], i: usize| u64::from_le_bytes(s[i..i + 8].try_into().expect("8 bytes"));
    let mut i = 0;
    while i + 8 <= n {
        let diff = word(a, i) ^ word(b, i);
        if diff != 0 {
            return i + (diff.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < n && a[i] == b[i] {
        i += 1;
    }
    i
}

/// The position of the first zero byte of `data`, looked for a word at a time.
fn find_nul(data: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let mut i = 0;
    while i + 8 <= data.len() {
        let w = u64::from_le_bytes(data[i..i + 8].try_into().expect("8 bytes"));
        // Flags the lowest zero byte exactly (higher flags may be false alarms).
        let zero = w.wrapping_sub(ONES) & !w & HIGHS;
        if zero != 0 {
            return Some(i + (zero.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    data[i..].iter().position(|&b| b == 0).map(|p| i + p)
}

/// The next entry of an optional tree.
fn next_raw<'a>(
    entries: &mut Option<RawEntries<'a>>,
) -> Result<Option<RawEntry<'a>>, HistoryError> {
    match entries {
        Some(entries) => entries.next(),
        None => Ok(None),
    }
}

/// Appends `name` to `path` as a new component; returns the length to truncate back to.
///
/// Names that are not UTF-8 are converted lossily: Dockerfile paths are UTF-8, so
/// such files can't be named by a `COPY` source anyway, and only their presence matters.
fn push_component(path: &mut String, name: &[u8]) -> usize {
    let len = path.len();
    if !path.is_empty() {
        path.push('/');
    }
    match std::str::from_utf8(name) {
        Ok(name) => path.push_str(name),
        Err(_) => path.push_str(&String::from_utf8_lossy(name)),
    }
    len
}

/// The components of a user-given repo-relative path.
fn path_components(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|c| !c.is_empty() && *c != ".")
}

fn entry_mode(kind: EntryKind) -> EntryMode {
    match kind {
        EntryKind::Blob => EntryMode::File,
        EntryKind::BlobExecutable => EntryMode::Executable,
        EntryKind::Link => EntryMode::Symlink,
        EntryKind::Tree => EntryMode::Tree,
        EntryKind::Commit => EntryMode::Commit,
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::fs;
    use std::path::Path;
    use std::process::Command;

    use super::*;

    /// A throwaway repository driven by the `git` CLI, isolated from the user's
    /// and system config, with deterministic identities and dates.
    struct Fixture {
        dir: tempfile::TempDir,
        clock: i64,
    }

    impl Fixture {
        fn new() -> Fixture {
            let fixture = Fixture {
                dir: tempfile::tempdir().unwrap(),
                clock: 1_700_000_000,
            };
            fixture.git(&["init", "-q", "-b", "main"]);
            fixture
        }

        fn path(&self) -> &Path {
            self.dir.path()
        }

        fn git(&self, args: &[&str]) -> String {
            let date = format!("@{} +0000", self.clock);
            let out = Command::new("git")
                .args(args)
                .current_dir(self.path())
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .env("GIT_AUTHOR_NAME", "A U Thor")
                .env("GIT_AUTHOR_EMAIL", "author@example.com")
                .env("GIT_COMMITTER_NAME", "C O Mitter")
                .env("GIT_COMMITTER_EMAIL", "committer@example.com")
                .env("GIT_AUTHOR_DATE", &date)
                .env("GIT_COMMITTER_DATE", &date)
                .output()
                .expect("the git CLI runs");
            assert!(
                out.status.success(),
                "git {args:?} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8(out.stdout).unwrap().trim().to_string()
        }

        fn write(&self, path: &str, content: &str) {
            let full = self.path().join(path);
            fs::create_dir_all(full.parent().unwrap()).unwrap();
            fs::write(full, content).unwrap();
        }

        /// Stages everything and commits one second after the previous commit.
        fn commit(&mut self, message: &str) -> CommitId {
            self.git(&["add", "-A"]);
            self.commit_index(message)
        }

        /// Commits the index as it is (for entries `git add` would undo).
        fn commit_index(&mut self, message: &str) -> CommitId {
            self.clock += 1;
            self.git(&["commit", "-q", "--allow-empty", "-m", message]);
            self.head()
        }

        fn head(&self) -> CommitId {
            self.rev("HEAD")
        }

        fn rev(&self, rev: &str) -> CommitId {
            let hex = self.git(&["rev-parse", &format!("{rev}^{{commit}}")]);
            CommitId(ObjectId::from_hex(hex.as_bytes()).unwrap())
        }

        fn open(&self) -> Repo {
            Repo::open(self.path()).unwrap()
        }
    }

    /// Two commits exercising every kind of change.
    fn two_commits() -> (Fixture, CommitId, CommitId) {
        let mut f = Fixture::new();
        f.write("Dockerfile", "FROM alpine\nCOPY . /app\n");
        f.write("src/main.rs", "fn main() {}\n");
        f.write("src/lib/util.rs", "pub fn util() {}\n");
        f.write("docs/a.md", "a\n");
        f.write("docs/b.md", "b\n");
        f.write("run.sh", "#!/bin/sh\necho hi\n");
        f.write("conf", "key: value\n");
        std::os::unix::fs::symlink("Dockerfile", f.path().join("link")).unwrap();
        let c1 = f.commit("first");

        f.write("src/main.rs", "fn main() { println!(\"hi\"); }\n");
        f.git(&["update-index", "--chmod=+x", "run.sh"]);
        fs::set_permissions(
            f.path().join("run.sh"),
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .unwrap();
        f.write("assets/img/logo.png", "png\n");
        f.write("assets/css/site.css", "body {}\n");
        fs::remove_dir_all(f.path().join("docs")).unwrap();
        fs::remove_file(f.path().join("conf")).unwrap();
        f.write("conf/app.yaml", "key: value\n");
        fs::remove_file(f.path().join("link")).unwrap();
        std::os::unix::fs::symlink("src/main.rs", f.path().join("link")).unwrap();
        f.git(&["add", "-A"]);
        // A submodule entry (gitlink); its commit need not exist here.
        let gitlink = format!("160000,{c1},vendor/sub");
        f.git(&["update-index", "--add", "--cacheinfo", &gitlink]);
        let c2 = f.commit_index("second");
        (f, c1, c2)
    }

    fn change(
        path: &str,
        kind: ChangeKind,
        old: Option<EntryMode>,
        new: Option<EntryMode>,
    ) -> Change {
        Change {
            path: path.to_string(),
            kind,
            old_mode: old,
            new_mode: new,
        }
    }

    use ChangeKind::*;
    use EntryMode::*;

    #[test]
    fn diff_lists_every_change_sorted() {
        let (f, c1, c2) = two_commits();
        let repo = f.open();
        let expected = vec![
            change("assets/css/site.css", Added, None, Some(File)),
            change("assets/img/logo.png", Added, None, Some(File)),
            change("conf", Deleted, Some(File), None),
            change("conf/app.yaml", Added, None, Some(File)),
            change("docs/a.md", Deleted, Some(File), None),
            change("docs/b.md", Deleted, Some(File), None),
            change("link", Modified, Some(Symlink), Some(Symlink)),
            change("run.sh", ModeChanged, Some(File), Some(Executable)),
            change("src/main.rs", Modified, Some(File), Some(File)),
            change("vendor/sub", Added, None, Some(Commit)),
        ];
        assert_eq!(repo.diff(c1, c2).unwrap(), expected);

        // Reversed, every addition is a deletion and vice versa.
        let reversed = repo.diff(c2, c1).unwrap();
        assert_eq!(reversed.len(), expected.len());
        assert_eq!(
            reversed[0],
            change("assets/css/site.css", Deleted, Some(File), None)
        );
        assert_eq!(
            reversed[7],
            change("run.sh", ModeChanged, Some(Executable), Some(File))
        );

        assert_eq!(repo.diff(c2, c2).unwrap(), vec![]);
    }

    #[test]
    fn word_at_a_time_scans_agree_with_bytewise_ones() {
        let mut seed = 0x1234_5678_u64;
        let mut byte = || {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            // Mostly a few values, so that zeros and equal runs are common.
            [0u8, 1, 0x80, 0xff, b'a'][(seed >> 33) as usize % 5]
        };
        for len in 0..40 {
            for _ in 0..50 {
                let a: Vec<u8> = (0..len).map(|_| byte()).collect();
                let mut b = a.clone();
                let cut = if len == 0 { 0 } else { (byte() as usize) % len };
                b.truncate(len - cut / 2);
                if cut < b.len() {
                    b[cut] = b[cut].wrapping_add(1);
                }
                let naive = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
                assert_eq!(common_prefix(&a, &b), naive, "{a:?} {b:?}");
                assert_eq!(find_nul(&a), a.iter().position(|&x| x == 0), "{a:?}");
            }
        }
    }

    #[test]
    fn diff_pruned_skips_uninteresting_dirs_and_only_asks_about_changed_ones() {
        let (f, c1, c2) = two_commits();
        let repo = f.open();
        let asked = RefCell::new(Vec::new());
        let interesting = |dir: &str| {
            asked.borrow_mut().push(dir.to_string());
            dir != "assets" && dir != "docs"
        };
        let changes = repo.diff_pruned(c1, c2, &interesting).unwrap();
        let expected = vec![
            change("assets", Modified, None, Some(Tree)),
            change("conf", Deleted, Some(File), None),
            change("conf/app.yaml", Added, None, Some(File)),
            change("docs", Modified, Some(Tree), None),
            change("link", Modified, Some(Symlink), Some(Symlink)),
            change("run.sh", ModeChanged, Some(File), Some(Executable)),
            change("src/main.rs", Modified, Some(File), Some(File)),
            change("vendor/sub", Added, None, Some(Commit)),
        ];
        assert_eq!(changes, expected);
        // `src/lib` is unchanged (same tree id): never asked, never read.
        let mut asked = asked.into_inner();
        asked.sort();
        assert_eq!(asked, ["assets", "conf", "docs", "src", "vendor"]);

        // Pruning a modified directory reports it as modified on both sides.
        let changes = repo.diff_pruned(c1, c2, &|dir| dir != "src").unwrap();
        assert!(changes.contains(&change("src", Modified, Some(Tree), Some(Tree))));
        assert!(!changes.iter().any(|c| c.path.starts_with("src/")));
    }

    #[test]
    fn read_file_at_old_and_new_commits() {
        let (f, c1, c2) = two_commits();
        let repo = f.open();
        let read = |c, p| {
            repo.read_file(c, p)
                .unwrap()
                .map(|b| String::from_utf8(b).unwrap())
        };
        assert_eq!(read(c1, "src/main.rs").as_deref(), Some("fn main() {}\n"));
        assert_eq!(
            read(c2, "src/main.rs").as_deref(),
            Some("fn main() { println!(\"hi\"); }\n")
        );
        assert_eq!(
            read(c2, "./src//main.rs").as_deref(),
            Some("fn main() { println!(\"hi\"); }\n")
        );
        assert_eq!(read(c1, "docs/a.md").as_deref(), Some("a\n"));
        assert_eq!(read(c2, "docs/a.md"), None, "deleted file");
        assert_eq!(read(c1, "nope.txt"), None);
        assert_eq!(read(c2, "src"), None, "a directory is not a file");
        assert_eq!(read(c2, "src/main.rs/x"), None, "a file has no children");
        assert_eq!(read(c2, ""), None);
        assert_eq!(read(c2, "vendor/sub"), None, "a submodule is not a file");
        assert_eq!(
            read(c1, "link").as_deref(),
            Some("Dockerfile"),
            "symlink target"
        );
        assert_eq!(read(c1, "conf").as_deref(), Some("key: value\n"));
        assert_eq!(read(c2, "conf"), None);
    }

    #[test]
    fn list_files_whole_tree_and_under_prefix() {
        let (f, c1, c2) = two_commits();
        let repo = f.open();
        let all = repo.list_files(c2, "").unwrap();
        let expected: Vec<(String, EntryMode)> = [
            ("Dockerfile", File),
            ("assets/css/site.css", File),
            ("assets/img/logo.png", File),
            ("conf/app.yaml", File),
            ("link", Symlink),
            ("run.sh", Executable),
            ("src/lib/util.rs", File),
            ("src/main.rs", File),
            ("vendor/sub", Commit),
        ]
        .into_iter()
        .map(|(p, m)| (p.to_string(), m))
        .collect();
        assert_eq!(all, expected);

        let names = |c, prefix| -> Vec<String> {
            repo.list_files(c, prefix)
                .unwrap()
                .into_iter()
                .map(|(p, _)| p)
                .collect()
        };
        assert_eq!(names(c2, "src"), ["src/lib/util.rs", "src/main.rs"]);
        assert_eq!(names(c2, "src/"), ["src/lib/util.rs", "src/main.rs"]);
        assert_eq!(names(c1, "docs"), ["docs/a.md", "docs/b.md"]);
        assert_eq!(names(c2, "docs"), Vec::<String>::new());
        assert_eq!(names(c2, "run.sh"), ["run.sh"]);
        assert_eq!(
            repo.list_files(c1, "run.sh").unwrap(),
            [("run.sh".to_string(), File)]
        );
    }

    #[test]
    fn resolve_revisions_and_report_bad_ones() {
        let (f, c1, c2) = two_commits();
        f.git(&["tag", "-a", "v1", "-m", "release 1", &c1.to_string()]);
        let repo = f.open();
        assert_eq!(repo.resolve("HEAD").unwrap(), c2);
        assert_eq!(repo.resolve("HEAD~1").unwrap(), c1);
        assert_eq!(repo.resolve("main~1").unwrap(), c1);
        assert_eq!(
            repo.resolve("v1").unwrap(),
            c1,
            "annotated tag peeled to its commit"
        );
        assert_eq!(repo.resolve(&c1.short()).unwrap(), c1);
        assert_eq!(c1.short().len(), 10);
        assert_eq!(c1.to_string().len(), 40);

        let err = repo.resolve("no-such-branch").unwrap_err().to_string();
        assert_eq!(
            err,
            "unknown revision `no-such-branch`: Reference \"no-such-branch\" could not be found; \
             use a branch, tag, commit id or an expression like `HEAD~3`"
        );
        let err = repo.resolve("HEAD~5").unwrap_err().to_string();
        assert!(err.starts_with("unknown revision `HEAD~5`: "), "{err}");
        assert!(err.contains("out of range"), "{err}");
        let err = repo.resolve("HEAD~1..HEAD").unwrap_err().to_string();
        assert!(
            err.contains("that is a range, but one revision is expected here"),
            "{err}"
        );
        let err = repo.resolve("HEAD^{tree}").unwrap_err().to_string();
        assert_eq!(
            err,
            "revision `HEAD^{tree}` names a tree, not a commit; name a commit, branch or tag instead"
        );
        assert!(repo.resolve("").is_err());
    }

    #[test]
    fn first_parent_walk_follows_mainline_only() {
        let mut f = Fixture::new();
        f.write("a", "1");
        let c1 = f.commit("one");
        f.write("a", "2");
        let c2 = f.commit("two\n\nwith a body");
        f.git(&["checkout", "-q", "-b", "feature"]);
        f.write("feature.txt", "f1");
        let f1 = f.commit("feature one");
        f.write("feature.txt", "f2");
        f.commit("feature two");
        f.git(&["checkout", "-q", "main"]);
        f.write("a", "3");
        let c3 = f.commit("three");
        f.clock += 1;
        f.git(&["merge", "-q", "--no-ff", "-m", "merge feature", "feature"]);
        let m = f.head();
        let repo = f.open();

        let walk = repo.first_parent_walk(m, None, None).unwrap();
        let ids: Vec<CommitId> = walk.iter().map(|c| c.id).collect();
        assert_eq!(
            ids,
            [m, c3, c2, c1],
            "feature commits are not on the first-parent chain"
        );
        let summaries: Vec<&str> = walk.iter().map(|c| c.summary.as_str()).collect();
        assert_eq!(summaries, ["merge feature", "three", "two", "one"]);
        let parents: Vec<Option<CommitId>> = walk.iter().map(|c| c.parent).collect();
        assert_eq!(parents, [Some(c3), Some(c2), Some(c1), None]);
        let times: Vec<i64> = walk.iter().map(|c| c.time).collect();
        assert_eq!(
            times,
            [1_700_000_006, 1_700_000_005, 1_700_000_002, 1_700_000_001]
        );

        let limited = repo.first_parent_walk(m, None, Some(2)).unwrap();
        assert_eq!(limited.iter().map(|c| c.id).collect::<Vec<_>>(), [m, c3]);
        let stopped = repo.first_parent_walk(m, Some(c2), None).unwrap();
        assert_eq!(stopped.iter().map(|c| c.id).collect::<Vec<_>>(), [m, c3]);
        assert_eq!(repo.first_parent_walk(m, Some(m), None).unwrap(), vec![]);
        assert_eq!(repo.first_parent_walk(m, None, Some(0)).unwrap(), vec![]);
        // A stop that isn't on the chain doesn't stop the walk.
        assert_eq!(repo.first_parent_walk(m, Some(f1), None).unwrap().len(), 4);

        // Diffing a merge against its first parent shows what the branch brought in.
        let merged = repo.diff(c3, m).unwrap();
        assert_eq!(merged, vec![change("feature.txt", Added, None, Some(File))]);
    }

    #[test]
    fn open_discovers_upwards_and_explains_failure() {
        let (f, _, c2) = two_commits();
        let repo = Repo::open(&f.path().join("src/lib")).unwrap();
        assert_eq!(repo.resolve("HEAD").unwrap(), c2);
        let workdir = repo.workdir().unwrap();
        assert_eq!(
            workdir.canonicalize().unwrap(),
            f.path().canonicalize().unwrap()
        );

        let empty = tempfile::tempdir().unwrap();
        let err = Repo::open(empty.path()).err().expect("not a repository");
        let msg = err.to_string();
        assert!(
            msg.starts_with(&format!(
                "could not open a git repository at or above {}: ",
                empty.path().display()
            )),
            "{msg}"
        );
        assert!(
            msg.ends_with("run hoist inside a git checkout, or pass a directory that is one"),
            "{msg}"
        );
    }

    #[test]
    fn missing_commit_is_reported() {
        let (f, c1, _) = two_commits();
        let repo = f.open();
        // The gitlink's id is a commit, but a made-up id is not in the repository.
        let bogus =
            CommitId(ObjectId::from_hex(b"0123456789012345678901234567890123456789").unwrap());
        let err = repo.diff(c1, bogus).unwrap_err().to_string();
        assert!(
            err.starts_with("missing git object 0123456789012345678901234567890123456789 (commit)"),
            "{err}"
        );
    }
}
