//! Whether two builds made the same image: `hoist verify --fix` builds the
//! current and the fixed Dockerfile and compares the final images here.
//!
//! - **Filesystem**: a container is created from each image (`docker create`,
//!   never started) and its root filesystem streamed out with `docker
//!   export` into a tar reader ([`Filesystem::from_container_export`]). Per
//!   path: the kind (file, directory, symlink, device, fifo), the permission
//!   bits (setuid, setgid and sticky included), the owner (uid:gid), for a
//!   regular file its size and SHA-256, for a symlink its target, for a
//!   device its numbers, and the extended attributes tar carries (file
//!   capabilities). Modification times are not compared: every build stamps
//!   its own. A hard link is compared as the file it links to (its contents;
//!   which paths share an inode is not compared).
//! - **Config** (`docker image inspect`): the fields that change how a
//!   container of the image runs, [`CONFIG_FIELDS`]. An unset field, `null`,
//!   `""`, `[]` and `{}` are the same (clients render an unset field
//!   differently; none of them sets anything).
//!
//! The differences come in a stable order: filesystem differences by path,
//! then config differences in [`CONFIG_FIELDS`] order.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;

use sha2::{Digest, Sha256};

use super::docker::{BuildOutput, BuildRequest, Docker, EngineError, capture, one_line};

/// Paths that `docker create` itself puts into every container, which
/// therefore say nothing about the build and are left out: `/.dockerenv`
/// (docker's marker file) and the files the daemon bind-mounts over the
/// image's at run time (`/etc/hostname`, `/etc/hosts`, `/etc/resolv.conf`;
/// the export shows docker's empty placeholders, not the image's own copies,
/// so the image's versions of these three cannot be compared this way).
/// The mount points `docker create` also adds (`/dev`, `/dev/pts`,
/// `/dev/shm`, `/dev/console`, `/proc`, `/sys`) stay in: they are the same
/// in both containers.
pub const CONTAINER_FILES: [&str; 4] = [
    "/.dockerenv",
    "/etc/hostname",
    "/etc/hosts",
    "/etc/resolv.conf",
];

/// The label (`hoist.verify.pid=<pid>`) on the containers made to read images.
pub const CONTAINER_LABEL: &str = "hoist.verify.pid";

/// The config fields compared, in the order their differences are listed.
pub const CONFIG_FIELDS: [&str; 12] = [
    "Env",
    "Entrypoint",
    "Cmd",
    "User",
    "WorkingDir",
    "Labels",
    "ExposedPorts",
    "Volumes",
    "StopSignal",
    "Healthcheck",
    "Shell",
    "OnBuild",
];

/// What a path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    File,
    Dir,
    Symlink,
    CharDevice,
    BlockDevice,
    Fifo,
    /// Any other tar entry type (its type byte).
    Other(u8),
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Kind::File => f.write_str("file"),
            Kind::Dir => f.write_str("directory"),
            Kind::Symlink => f.write_str("symlink"),
            Kind::CharDevice => f.write_str("character device"),
            Kind::BlockDevice => f.write_str("block device"),
            Kind::Fifo => f.write_str("fifo"),
            Kind::Other(b) => write!(f, "tar entry type {:?}", *b as char),
        }
    }
}

/// One path of an image's filesystem, as compared (no modification time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub kind: Kind,
    /// Permission bits with setuid, setgid and sticky (`mode & 0o7777`).
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    /// Regular files: the size in bytes.
    pub size: u64,
    /// Regular files: SHA-256 of the contents.
    pub digest: Option<[u8; 32]>,
    /// Symlinks: the target as stored. A hard link whose target was not seen
    /// before it in the stream keeps its target here.
    pub link: Option<String>,
    /// Devices: major and minor numbers.
    pub device: Option<(u32, u32)>,
    /// Extended attributes (PAX `SCHILY.xattr.*` records).
    pub xattrs: BTreeMap<String, Vec<u8>>,
}

/// An image's filesystem: every path (absolute, no trailing slash) and what it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filesystem {
    pub entries: BTreeMap<String, Entry>,
}

/// `bin/`, `./bin`, `/bin/` → `/bin`; the root is `/`.
fn normalize(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let mut parts: Vec<&str> = Vec::new();
    for part in text.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

fn sha256<R: Read>(mut reader: R) -> std::io::Result<[u8; 32]> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(&hasher.finalize());
    Ok(out)
}

fn parse_number(bytes: &[u8]) -> Option<u64> {
    std::str::from_utf8(bytes).ok()?.trim().parse().ok()
}

impl Filesystem {
    /// Reads a tar stream (any tar: ustar, GNU, PAX) without unpacking it.
    pub fn from_tar<R: Read>(reader: R) -> std::io::Result<Filesystem> {
        use tar::EntryType;
        let mut archive = tar::Archive::new(reader);
        let mut entries: BTreeMap<String, Entry> = BTreeMap::new();
        for item in archive.entries()? {
            let mut item = item?;
            let header = item.header();
            let ty = header.entry_type();
            if matches!(ty, EntryType::XGlobalHeader | EntryType::XHeader) {
                continue;
            }
            let path = normalize(&item.path_bytes());
            let mode = header.mode()? & 0o7777;
            let mut uid = header.uid()?;
            let mut gid = header.gid()?;
            let device = match ty {
                EntryType::Char | EntryType::Block => Some((
                    header.device_major()?.unwrap_or(0),
                    header.device_minor()?.unwrap_or(0),
                )),
                _ => None,
            };
            let link = item
                .link_name_bytes()
                .map(|l| String::from_utf8_lossy(&l).into_owned());
            let mut xattrs = BTreeMap::new();
            if let Some(pax) = item.pax_extensions()? {
                for ext in pax {
                    let ext = ext?;
                    let Ok(key) = ext.key() else { continue };
                    if let Some(name) = key.strip_prefix("SCHILY.xattr.") {
                        xattrs.insert(name.to_string(), ext.value_bytes().to_vec());
                    } else if key == "uid" {
                        uid = parse_number(ext.value_bytes()).unwrap_or(uid);
                    } else if key == "gid" {
                        gid = parse_number(ext.value_bytes()).unwrap_or(gid);
                    }
                }
            }
            let mut entry = Entry {
                kind: Kind::File,
                mode,
                uid,
                gid,
                size: 0,
                digest: None,
                link: None,
                device,
                xattrs,
            };
            match ty {
                EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => {
                    entry.size = item.size();
                    entry.digest = Some(sha256(&mut item)?);
                }
                EntryType::Link => {
                    // A hard link carries no contents: take its target's.
                    let target = normalize(link.as_deref().unwrap_or("").as_bytes());
                    match entries.get(&target) {
                        Some(t) if t.kind == Kind::File && t.link.is_none() => {
                            entry.size = t.size;
                            entry.digest = t.digest;
                        }
                        _ => entry.link = Some(target),
                    }
                }
                EntryType::Directory => entry.kind = Kind::Dir,
                EntryType::Symlink => {
                    entry.kind = Kind::Symlink;
                    entry.link = link;
                }
                EntryType::Char => entry.kind = Kind::CharDevice,
                EntryType::Block => entry.kind = Kind::BlockDevice,
                EntryType::Fifo => entry.kind = Kind::Fifo,
                other => entry.kind = Kind::Other(other.as_byte()),
            }
            entries.insert(path, entry);
        }
        Ok(Filesystem { entries })
    }

    /// [`Filesystem::from_tar`] of a `docker export` stream, without
    /// [`CONTAINER_FILES`] (which `docker create` made, not the build).
    pub fn from_container_export<R: Read>(reader: R) -> std::io::Result<Filesystem> {
        let mut fs = Self::from_tar(reader)?;
        for p in CONTAINER_FILES {
            fs.entries.remove(p);
        }
        Ok(fs)
    }

    /// Number of paths (files, directories, links, ...).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// The compared part of an image's config ([`CONFIG_FIELDS`]), with empty
/// values left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageConfig {
    pub fields: BTreeMap<&'static str, serde_json::Value>,
}

fn is_empty_value(v: &serde_json::Value) -> bool {
    use serde_json::Value;
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

impl ImageConfig {
    /// From `docker image inspect` output: the whole array, one image object,
    /// or its `Config` object alone (`--format '{{json .Config}}'`).
    pub fn from_json(text: &str) -> Result<ImageConfig, String> {
        let value: serde_json::Value =
            serde_json::from_str(text.trim()).map_err(|e| format!("not JSON: {e}"))?;
        let image = match &value {
            serde_json::Value::Array(items) => items
                .first()
                .ok_or_else(|| "an empty list of images".to_string())?,
            v => v,
        };
        let config = match image.get("Config") {
            Some(c) => c,
            None => image,
        };
        let config = match config {
            serde_json::Value::Object(o) => o,
            serde_json::Value::Null => return Ok(ImageConfig::default()),
            _ => return Err("the config is not a JSON object".to_string()),
        };
        let mut fields = BTreeMap::new();
        for name in CONFIG_FIELDS {
            if let Some(v) = config.get(name)
                && !is_empty_value(v)
            {
                fields.insert(name, v.clone());
            }
        }
        Ok(ImageConfig { fields })
    }
}

/// What is compared of one image.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Image {
    pub files: Filesystem,
    pub config: ImageConfig,
}

/// One way the fixed image differs from the current one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Difference {
    /// The path is in the current image only; `under` counts the paths
    /// below it (a directory), which are not listed one by one.
    OnlyInCurrent {
        path: String,
        under: usize,
    },
    OnlyInFixed {
        path: String,
        under: usize,
    },
    Kind {
        path: String,
        current: Kind,
        fixed: Kind,
    },
    Content {
        path: String,
        current_size: u64,
        fixed_size: u64,
    },
    Mode {
        path: String,
        current: u32,
        fixed: u32,
    },
    Owner {
        path: String,
        current: (u64, u64),
        fixed: (u64, u64),
    },
    LinkTarget {
        path: String,
        current: String,
        fixed: String,
    },
    Device {
        path: String,
        current: (u32, u32),
        fixed: (u32, u32),
    },
    Xattrs {
        path: String,
        names: Vec<String>,
    },
    Config {
        field: &'static str,
        current: Option<serde_json::Value>,
        fixed: Option<serde_json::Value>,
    },
}

fn show_value(v: &Option<serde_json::Value>) -> String {
    match v {
        None => "(unset)".to_string(),
        Some(v) => serde_json::to_string(v).unwrap_or_default(),
    }
}

fn show_only(f: &mut fmt::Formatter<'_>, side: &str, path: &str, under: usize) -> fmt::Result {
    write!(f, "only in {side}: {path}")?;
    match under {
        0 => Ok(()),
        1 => write!(f, " (and 1 path under it)"),
        n => write!(f, " (and {n} paths under it)"),
    }
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Difference::OnlyInCurrent { path, under } => show_only(f, "current", path, *under),
            Difference::OnlyInFixed { path, under } => show_only(f, "fixed", path, *under),
            Difference::Kind {
                path,
                current,
                fixed,
            } => write!(f, "kind differs: {path} {current} → {fixed}"),
            Difference::Content {
                path,
                current_size,
                fixed_size,
            } => {
                write!(f, "content differs: {path}")?;
                if current_size != fixed_size {
                    write!(f, " ({current_size} → {fixed_size} bytes)")?;
                }
                Ok(())
            }
            Difference::Mode {
                path,
                current,
                fixed,
            } => write!(f, "mode differs: {path} {current:04o} → {fixed:04o}"),
            Difference::Owner {
                path,
                current,
                fixed,
            } => write!(
                f,
                "owner differs: {path} {}:{} → {}:{}",
                current.0, current.1, fixed.0, fixed.1
            ),
            Difference::LinkTarget {
                path,
                current,
                fixed,
            } => write!(f, "link target differs: {path} {current} → {fixed}"),
            Difference::Device {
                path,
                current,
                fixed,
            } => write!(
                f,
                "device differs: {path} {},{} → {},{}",
                current.0, current.1, fixed.0, fixed.1
            ),
            Difference::Xattrs { path, names } => {
                write!(
                    f,
                    "extended attributes differ: {path} ({})",
                    names.join(", ")
                )
            }
            Difference::Config {
                field,
                current,
                fixed,
            } => write!(
                f,
                "config {field} differs: {} → {}",
                show_value(current),
                show_value(fixed)
            ),
        }
    }
}

/// The differences of one path present in both images.
fn compare_entry(path: &str, a: &Entry, b: &Entry, out: &mut Vec<Difference>) {
    let path = path.to_string();
    if a.kind != b.kind {
        out.push(Difference::Kind {
            path,
            current: a.kind,
            fixed: b.kind,
        });
        return;
    }
    if a.digest != b.digest || a.size != b.size {
        out.push(Difference::Content {
            path: path.clone(),
            current_size: a.size,
            fixed_size: b.size,
        });
    }
    if a.mode != b.mode {
        out.push(Difference::Mode {
            path: path.clone(),
            current: a.mode,
            fixed: b.mode,
        });
    }
    if (a.uid, a.gid) != (b.uid, b.gid) {
        out.push(Difference::Owner {
            path: path.clone(),
            current: (a.uid, a.gid),
            fixed: (b.uid, b.gid),
        });
    }
    if a.link != b.link {
        out.push(Difference::LinkTarget {
            path: path.clone(),
            current: a.link.clone().unwrap_or_default(),
            fixed: b.link.clone().unwrap_or_default(),
        });
    }
    if a.device != b.device {
        out.push(Difference::Device {
            path: path.clone(),
            current: a.device.unwrap_or_default(),
            fixed: b.device.unwrap_or_default(),
        });
    }
    if a.xattrs != b.xattrs {
        let mut names: Vec<String> = a
            .xattrs
            .iter()
            .filter(|(k, v)| b.xattrs.get(*k) != Some(*v))
            .map(|(k, _)| k.clone())
            .collect();
        names.extend(
            b.xattrs
                .keys()
                .filter(|k| !a.xattrs.contains_key(*k))
                .cloned(),
        );
        names.sort();
        out.push(Difference::Xattrs { path, names });
    }
}

/// Paths below `dir` in `fs` (sorted order puts them right after it).
fn count_under(fs: &Filesystem, dir: &str) -> usize {
    let prefix = if dir == "/" {
        "/".to_string()
    } else {
        format!("{dir}/")
    };
    fs.entries
        .range(prefix.clone()..)
        .take_while(|(p, _)| p.starts_with(&prefix))
        .count()
}

/// How the fixed filesystem differs from the current one, by path. A path
/// in one image only is listed once, with the number of paths under it.
pub fn compare_files(current: &Filesystem, fixed: &Filesystem) -> Vec<Difference> {
    let mut out = Vec::new();
    // Directories reported as only in one image (with a trailing slash):
    // the paths under them are counted, not listed. (They need not come
    // right after it in byte order: `/opt/ext-x` sorts before `/opt/ext/a`.)
    let mut collapsed: Vec<String> = Vec::new();
    let mut paths: Vec<&String> = current.entries.keys().chain(fixed.entries.keys()).collect();
    paths.sort();
    paths.dedup();
    for path in paths {
        if collapsed.iter().any(|d| path.starts_with(d.as_str())) {
            continue;
        }
        let only = |fs: &Filesystem, e: &Entry| -> usize {
            if e.kind == Kind::Dir {
                count_under(fs, path)
            } else {
                0
            }
        };
        match (current.entries.get(path), fixed.entries.get(path)) {
            (Some(a), Some(b)) => compare_entry(path, a, b, &mut out),
            (Some(a), None) => {
                let under = only(current, a);
                if under > 0 {
                    collapsed.push(format!("{}/", path.trim_end_matches('/')));
                }
                out.push(Difference::OnlyInCurrent {
                    path: path.clone(),
                    under,
                });
            }
            (None, Some(b)) => {
                let under = only(fixed, b);
                if under > 0 {
                    collapsed.push(format!("{}/", path.trim_end_matches('/')));
                }
                out.push(Difference::OnlyInFixed {
                    path: path.clone(),
                    under,
                });
            }
            (None, None) => {}
        }
    }
    out
}

/// How the fixed config differs from the current one, in [`CONFIG_FIELDS`] order.
pub fn compare_config(current: &ImageConfig, fixed: &ImageConfig) -> Vec<Difference> {
    CONFIG_FIELDS
        .iter()
        .filter_map(|field| {
            let a = current.fields.get(field);
            let b = fixed.fields.get(field);
            (a != b).then(|| Difference::Config {
                field,
                current: a.cloned(),
                fixed: b.cloned(),
            })
        })
        .collect()
}

/// Every difference: the filesystem's by path, then the config's.
pub fn compare(current: &Image, fixed: &Image) -> Vec<Difference> {
    let mut out = compare_files(&current.files, &fixed.files);
    out.extend(compare_config(&current.config, &fixed.config));
    out
}

// ------------------------------------------------------------------ engine

/// A tag unique to this process and call: `hoist-verify-<pid>-<n>:<label>`.
pub fn unique_tag(label: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "hoist-verify-{}-{}:{label}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

fn command_error(docker: &Docker, args: &[&str], detail: &str) -> EngineError {
    EngineError::Command {
        what: format!("`{} {}` failed", docker.client.display(), args.join(" ")),
        detail: one_line(detail),
    }
}

fn run_short(docker: &Docker, args: &[&str]) -> Result<String, EngineError> {
    let out = capture(&docker.client, args).map_err(|e| EngineError::Io {
        what: format!("cannot run {} {}", docker.client.display(), args.join(" ")),
        source: e,
    })?;
    if !out.status.success() {
        return Err(command_error(docker, args, &(out.stderr + &out.stdout)));
    }
    Ok(out.stdout)
}

/// An image tag in the daemon's store, removed (`docker image rm --force`)
/// when dropped, also when what came after failed. Removing a tag that was
/// never made is harmless.
pub struct TaggedImage<'d> {
    docker: &'d Docker,
    pub tag: String,
}

impl<'d> TaggedImage<'d> {
    /// A new unique tag ([`unique_tag`]); nothing is made yet.
    pub fn new(docker: &'d Docker, label: &str) -> TaggedImage<'d> {
        TaggedImage {
            docker,
            tag: unique_tag(label),
        }
    }
}

impl Drop for TaggedImage<'_> {
    fn drop(&mut self) {
        remove_image(self.docker, &self.tag);
    }
}

/// Removes an image tag (best effort: the image may not exist).
pub fn remove_image(docker: &Docker, image: &str) {
    let _ = capture(&docker.client, &["image", "rm", "--force", image]);
}

/// A container made by `docker create`, removed with its anonymous volumes
/// when dropped.
struct Container<'d> {
    docker: &'d Docker,
    id: String,
}

impl Drop for Container<'_> {
    fn drop(&mut self) {
        let _ = capture(
            &self.docker.client,
            &["rm", "--force", "--volumes", &self.id],
        );
    }
}

/// The compared config of `image` (`docker image inspect`).
pub fn inspect_config(docker: &Docker, image: &str) -> Result<ImageConfig, EngineError> {
    let args = ["image", "inspect", "--format", "{{json .Config}}", image];
    let text = run_short(docker, &args)?;
    ImageConfig::from_json(&text).map_err(|e| command_error(docker, &args, &e))
}

/// The filesystem of `image`: `docker create` (never started) and `docker
/// export` streamed into the tar reader; the container is removed afterwards.
pub fn export_files(docker: &Docker, image: &str) -> Result<Filesystem, EngineError> {
    // A command is given so that an image without CMD or ENTRYPOINT can be
    // created too; the container never runs, so it is never looked up. The
    // label names this process, so that a leftover container can be found.
    let label = format!("{CONTAINER_LABEL}={}", std::process::id());
    let create = [
        "create",
        "--label",
        label.as_str(),
        image,
        "/hoist-verify-never-started",
    ];
    let id = run_short(docker, &create)?
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map(|l| l.trim().to_string())
        .ok_or_else(|| command_error(docker, &create, "printed no container id"))?;
    let container = Container { docker, id };
    let mut child = Command::new(&docker.client)
        .args(["export", &container.id])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| EngineError::Io {
            what: format!("cannot run {} export", docker.client.display()),
            source: e,
        })?;
    let stderr = child.stderr.take();
    let err_thread = thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut s) = stderr {
            let _ = s.read_to_end(&mut buf);
        }
        String::from_utf8_lossy(&buf).into_owned()
    });
    let read = match child.stdout.take() {
        Some(out) => Filesystem::from_container_export(out),
        None => Err(std::io::Error::other("no standard output")),
    };
    // The pipe is closed by now, so a failed read also ends the export.
    let status = child.wait().map_err(|e| EngineError::Io {
        what: "waiting for docker export".into(),
        source: e,
    })?;
    let stderr = err_thread.join().unwrap_or_default();
    let args = ["export", container.id.as_str()];
    if !status.success() {
        return Err(command_error(docker, &args, &stderr));
    }
    read.map_err(|e| command_error(docker, &args, &format!("cannot read its tar stream: {e}")))
}

/// The compared parts of `image` (a tag or id in the daemon's store).
pub fn read_image(docker: &Docker, image: &str) -> Result<Image, EngineError> {
    Ok(Image {
        config: inspect_config(docker, image)?,
        files: export_files(docker, image)?,
    })
}

/// How a comparison of two builds ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The current Dockerfile does not build: there is nothing to compare
    /// with (the fixed one was not built).
    CurrentFailed,
    /// The current Dockerfile builds, the fixed one does not.
    FixedFailed,
    /// Both built; `paths` is the number of paths of the current image.
    Compared {
        paths: usize,
        differences: Vec<Difference>,
    },
}

/// Two builds and how their images compare.
#[derive(Debug, Clone)]
pub struct Comparison {
    pub current: BuildOutput,
    /// `None` when the current build failed (the fixed one is not built then).
    pub fixed: Option<BuildOutput>,
    pub verdict: Verdict,
}

/// Builds `current` and then `fixed` on the same builder, each tagged with
/// a unique tag, reads both images and compares them. The images and the
/// containers made to read them are removed before returning, whatever
/// happened. `status` receives a line before each build and before the
/// images are read.
pub fn build_and_compare(
    docker: &Docker,
    current: &BuildRequest,
    fixed: &BuildRequest,
    status: &mut dyn FnMut(&str),
) -> Result<Comparison, EngineError> {
    let current_tag = TaggedImage::new(docker, "current");
    let fixed_tag = TaggedImage::new(docker, "fixed");
    status("building the current Dockerfile");
    let current_out = docker.build_tagged(current, &current_tag.tag)?;
    if !current_out.success() {
        return Ok(Comparison {
            current: current_out,
            fixed: None,
            verdict: Verdict::CurrentFailed,
        });
    }
    status("building the fixed Dockerfile");
    let fixed_out = docker.build_tagged(fixed, &fixed_tag.tag)?;
    if !fixed_out.success() {
        return Ok(Comparison {
            current: current_out,
            fixed: Some(fixed_out),
            verdict: Verdict::FixedFailed,
        });
    }
    status("reading both images (docker create, docker export, docker image inspect)");
    let a = read_image(docker, &current_tag.tag)?;
    let b = read_image(docker, &fixed_tag.tag)?;
    Ok(Comparison {
        current: current_out,
        fixed: Some(fixed_out),
        verdict: Verdict::Compared {
            paths: a.files.len(),
            differences: compare(&a, &b),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tar stream built in memory: (path, kind, mode, uid, gid, contents or link target).
    struct TarBuilder {
        builder: tar::Builder<Vec<u8>>,
    }

    impl TarBuilder {
        fn new() -> TarBuilder {
            TarBuilder {
                builder: tar::Builder::new(Vec::new()),
            }
        }

        fn header(ty: tar::EntryType, mode: u32, owner: (u64, u64), size: u64) -> tar::Header {
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(ty);
            h.set_mode(mode);
            h.set_uid(owner.0);
            h.set_gid(owner.1);
            h.set_size(size);
            h.set_mtime(1_700_000_000);
            h
        }

        fn file(mut self, path: &str, mode: u32, owner: (u64, u64), data: &[u8]) -> Self {
            let mut h = Self::header(tar::EntryType::Regular, mode, owner, data.len() as u64);
            self.builder.append_data(&mut h, path, data).unwrap();
            self
        }

        fn dir(mut self, path: &str, mode: u32) -> Self {
            let mut h = Self::header(tar::EntryType::Directory, mode, (0, 0), 0);
            self.builder
                .append_data(&mut h, path, std::io::empty())
                .unwrap();
            self
        }

        fn link(mut self, ty: tar::EntryType, path: &str, target: &str) -> Self {
            let mut h = Self::header(ty, 0o777, (0, 0), 0);
            self.builder.append_link(&mut h, path, target).unwrap();
            self
        }

        fn mtime(mut self, path: &str, mtime: u64, data: &[u8]) -> Self {
            let mut h = Self::header(tar::EntryType::Regular, 0o644, (0, 0), data.len() as u64);
            h.set_mtime(mtime);
            self.builder.append_data(&mut h, path, data).unwrap();
            self
        }

        fn fs(self) -> Filesystem {
            let bytes = self.builder.into_inner().unwrap();
            Filesystem::from_container_export(bytes.as_slice()).unwrap()
        }
    }

    /// A small image: /bin, /bin/sh, /bin/ls → sh, /etc/app.conf.
    fn base() -> TarBuilder {
        TarBuilder::new()
            .dir("bin/", 0o755)
            .file("bin/sh", 0o755, (0, 0), b"#!shell")
            .link(tar::EntryType::Symlink, "bin/ls", "sh")
            .dir("etc/", 0o755)
            .file("etc/app.conf", 0o644, (0, 0), b"port=80\n")
    }

    fn diffs(a: &Filesystem, b: &Filesystem) -> Vec<String> {
        compare_files(a, b).iter().map(|d| d.to_string()).collect()
    }

    #[test]
    fn paths_are_normalized_and_entries_read() {
        let fs = base().fs();
        let paths: Vec<&str> = fs.entries.keys().map(String::as_str).collect();
        assert_eq!(
            paths,
            ["/bin", "/bin/ls", "/bin/sh", "/etc", "/etc/app.conf"]
        );
        let sh = &fs.entries["/bin/sh"];
        assert_eq!((sh.kind, sh.mode, sh.size), (Kind::File, 0o755, 7));
        assert!(sh.digest.is_some());
        assert_eq!(fs.entries["/bin/ls"].kind, Kind::Symlink);
        assert_eq!(fs.entries["/bin/ls"].link.as_deref(), Some("sh"));
        assert_eq!(fs.entries["/etc"].kind, Kind::Dir);
        assert_eq!(normalize(b"./a//b/"), "/a/b");
        assert_eq!(normalize(b"./"), "/");
    }

    #[test]
    fn identical_streams_have_no_differences_and_mtimes_are_ignored() {
        let a = base().mtime("x", 1, b"same").fs();
        let b = base().mtime("x", 999_999, b"same").fs();
        assert_eq!(a.len(), 6);
        assert!(diffs(&a, &b).is_empty());
    }

    #[test]
    fn container_files_are_left_out() {
        let a = base()
            .file(".dockerenv", 0o755, (0, 0), b"")
            .file("etc/hostname", 0o644, (0, 0), b"abc123\n")
            .file("etc/hosts", 0o644, (0, 0), b"127.0.0.1 abc123\n")
            .file("etc/resolv.conf", 0o644, (0, 0), b"nameserver 1.1.1.1\n")
            .fs();
        let b = base().fs();
        assert!(diffs(&a, &b).is_empty(), "{:?}", diffs(&a, &b));
    }

    #[test]
    fn content_difference() {
        let a = base().file("app", 0o644, (0, 0), b"v1").fs();
        let b = base().file("app", 0o644, (0, 0), b"v2").fs();
        assert_eq!(diffs(&a, &b), ["content differs: /app"]);
        let c = base().file("app", 0o644, (0, 0), b"v10").fs();
        assert_eq!(diffs(&a, &c), ["content differs: /app (2 → 3 bytes)"]);
    }

    #[test]
    fn mode_difference() {
        let a = base().file("app", 0o644, (0, 0), b"x").fs();
        let b = base().file("app", 0o755, (0, 0), b"x").fs();
        assert_eq!(diffs(&a, &b), ["mode differs: /app 0644 → 0755"]);
        let c = base().file("app", 0o4755, (0, 0), b"x").fs();
        assert_eq!(diffs(&b, &c), ["mode differs: /app 0755 → 4755"]);
    }

    #[test]
    fn owner_difference() {
        let a = base().file("app", 0o644, (0, 0), b"x").fs();
        let b = base().file("app", 0o644, (1000, 1000), b"x").fs();
        assert_eq!(diffs(&a, &b), ["owner differs: /app 0:0 → 1000:1000"]);
    }

    #[test]
    fn files_only_in_one_image() {
        let a = base().file("x", 0o644, (0, 0), b"x").fs();
        let b = base().file("y", 0o644, (0, 0), b"y").fs();
        assert_eq!(diffs(&a, &b), ["only in current: /x", "only in fixed: /y"]);
    }

    #[test]
    fn a_directory_only_in_one_image_is_listed_once() {
        let a = base()
            .dir("opt/", 0o755)
            .dir("opt/ext/", 0o755)
            .file("opt/ext/a", 0o644, (0, 0), b"a")
            .file("opt/ext/b", 0o644, (0, 0), b"b")
            .file("opt/ext-x", 0o644, (0, 0), b"c")
            .fs();
        let b = base()
            .dir("opt/", 0o755)
            .file("opt/ext-x", 0o644, (0, 0), b"c")
            .fs();
        assert_eq!(
            diffs(&a, &b),
            ["only in current: /opt/ext (and 2 paths under it)"]
        );
        assert_eq!(
            diffs(&b, &a),
            ["only in fixed: /opt/ext (and 2 paths under it)"]
        );
    }

    #[test]
    fn kind_and_link_differences() {
        let a = base()
            .file("x", 0o644, (0, 0), b"x")
            .link(tar::EntryType::Symlink, "l", "/bin/sh")
            .fs();
        let b = base()
            .dir("x/", 0o755)
            .link(tar::EntryType::Symlink, "l", "/bin/ls")
            .fs();
        assert_eq!(
            diffs(&a, &b),
            [
                "link target differs: /l /bin/sh → /bin/ls",
                "kind differs: /x file → directory",
            ]
        );
    }

    #[test]
    fn hard_links_compare_as_their_target() {
        let a = base()
            .file("a", 0o644, (0, 0), b"data")
            .link(tar::EntryType::Link, "b", "a")
            .fs();
        let b = base()
            .file("a", 0o644, (0, 0), b"data")
            .file("b", 0o644, (0, 0), b"data")
            .fs();
        assert_eq!(a.entries["/b"].digest, a.entries["/a"].digest);
        // Mode comes from the link's own header here (0777 in the builder).
        assert_eq!(diffs(&a, &b), ["mode differs: /b 0777 → 0644"]);
    }

    #[test]
    fn differences_are_in_path_order_and_several_per_path() {
        let a = base()
            .file("z", 0o644, (0, 0), b"1")
            .file("a", 0o644, (0, 0), b"1")
            .fs();
        let b = base()
            .file("a", 0o600, (1, 2), b"2")
            .file("z", 0o644, (0, 0), b"1")
            .fs();
        assert_eq!(
            diffs(&a, &b),
            [
                "content differs: /a",
                "mode differs: /a 0644 → 0600",
                "owner differs: /a 0:0 → 1:2",
            ]
        );
    }

    #[test]
    fn config_fields_compared_and_empties_equal() {
        let a = ImageConfig::from_json(
            r#"[{"Id":"sha256:1","Config":{"Env":["PATH=/bin","A=1"],"Cmd":["sh"],"Labels":null,"Entrypoint":null,"User":"","Hostname":"abc"}}]"#,
        )
        .unwrap();
        let b = ImageConfig::from_json(
            r#"{"Env":["PATH=/bin"],"Cmd":["sh"],"Labels":{},"Entrypoint":[],"WorkingDir":"/app","Hostname":"def"}"#,
        )
        .unwrap();
        let d: Vec<String> = compare_config(&a, &b)
            .iter()
            .map(|d| d.to_string())
            .collect();
        assert_eq!(
            d,
            [
                r#"config Env differs: ["PATH=/bin","A=1"] → ["PATH=/bin"]"#,
                r#"config WorkingDir differs: (unset) → "/app""#,
            ]
        );
        assert!(compare_config(&a, &a.clone()).is_empty());
        assert!(ImageConfig::from_json("not json").is_err());
    }

    #[test]
    fn whole_image_comparison_lists_files_then_config() {
        let a = Image {
            files: base().file("x", 0o644, (0, 0), b"x").fs(),
            config: ImageConfig::from_json(r#"{"User":"app"}"#).unwrap(),
        };
        let b = Image {
            files: base().fs(),
            config: ImageConfig::from_json(r#"{"User":"root"}"#).unwrap(),
        };
        let d: Vec<String> = compare(&a, &b).iter().map(|d| d.to_string()).collect();
        assert_eq!(
            d,
            [
                "only in current: /x",
                r#"config User differs: "app" → "root""#
            ]
        );
        assert!(compare(&a, &a.clone()).is_empty());
    }

    #[test]
    fn long_paths_and_extended_attributes() {
        let long = format!("opt/{}/file", "d".repeat(150));
        let a = base().file(&long, 0o644, (0, 0), b"x").fs();
        assert!(a.entries.contains_key(&format!("/{long}")));

        let with_caps = |value: &[u8]| {
            let mut t = base();
            t.builder
                .append_pax_extensions([("SCHILY.xattr.security.capability", value)])
                .unwrap();
            t.file("usr/bin/ping", 0o755, (0, 0), b"elf").fs()
        };
        let b = with_caps(b"cap_net_raw+ep");
        assert_eq!(
            b.entries["/usr/bin/ping"].xattrs["security.capability"],
            b"cap_net_raw+ep"
        );
        let c = with_caps(b"cap_net_admin+ep");
        assert_eq!(
            diffs(&b, &c),
            ["extended attributes differ: /usr/bin/ping (security.capability)"]
        );
        let plain = base().file("usr/bin/ping", 0o755, (0, 0), b"elf").fs();
        assert_eq!(diffs(&plain, &plain.clone()), Vec::<String>::new());
        assert_eq!(
            diffs(&plain, &b),
            ["extended attributes differ: /usr/bin/ping (security.capability)"]
        );
    }

    #[test]
    fn unique_tags() {
        let a = unique_tag("current");
        let b = unique_tag("current");
        assert_ne!(a, b);
        assert!(a.starts_with(&format!("hoist-verify-{}-", std::process::id())));
        assert!(a.ends_with(":current"));
    }
}
