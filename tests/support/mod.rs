//! Shared helpers for tests that talk to a real Docker engine.
//!
//! The engine is started by `scripts/engine start` (which `scripts/test` and
//! `.ci/run` call) and described by the environment it prints:
//! `DOCKER_HOST`, `HOIST_DOCKER` (the docker client to use for BuildKit builds),
//! `HOIST_DOCKER_BUILDX` (`1` when that client builds through buildx, so
//! `--progress=rawjson` is available) and `DOCKER_CONFIG` (where the buildx
//! plugin lives). Without an engine, tests skip visibly — except in CI
//! (`CI=true`), where a missing engine is a failure.
//!
//! Use it from a test file with `mod support;`.
#![allow(dead_code)]

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The offline base image made by `scripts/engine` (busybox, no registry needed).
pub const BASE_IMAGE: &str = "hoist-base:1";

/// How long one `docker build` may take before the test fails instead of hanging.
pub const BUILD_TIMEOUT: Duration = Duration::from_secs(300);

/// A running Docker engine the tests may build against.
#[derive(Debug, Clone)]
pub struct Engine {
    /// Docker client binary to use for BuildKit builds (`HOIST_DOCKER`).
    pub docker: PathBuf,
    /// The daemon address (`DOCKER_HOST`).
    pub host: String,
    /// Whether `docker` builds through buildx (`--progress=rawjson` works).
    pub buildx: bool,
}

/// Output of one `docker build`.
#[derive(Debug)]
pub struct Build {
    pub status: ExitStatus,
    /// The progress stream (docker prints it on stderr).
    pub progress: String,
    pub stdout: String,
    pub elapsed: Duration,
}

impl Build {
    pub fn success(&self) -> bool {
        self.status.success()
    }

    /// Panics with the whole progress text unless the build succeeded.
    pub fn assert_success(&self) -> &Self {
        assert!(
            self.success(),
            "docker build failed ({}):\n{}\n{}",
            self.status,
            self.stdout,
            self.progress
        );
        self
    }
}

/// Whether this run is CI (`CI=true`), where a missing engine fails the test.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// The name of the running test (libtest names each test's thread after it).
fn test_name() -> String {
    thread::current()
        .name()
        .filter(|n| *n != "main")
        .unwrap_or("<unknown test>")
        .to_string()
}

/// The engine, if `DOCKER_HOST` is set, the daemon answers and has [`BASE_IMAGE`].
///
/// Otherwise: in CI this panics (the engine is part of CI); elsewhere it prints
/// `SKIPPED: <test>: no Docker engine (run scripts/engine start)` to stderr and
/// returns `None`, and the test should return early.
pub fn engine() -> Option<Engine> {
    match probe() {
        Ok(engine) => Some(engine),
        Err(why) => {
            let test = test_name();
            if in_ci() {
                panic!(
                    "{test}: no Docker engine in CI: {why}. \
                     .ci/run must start it with `eval \"$(scripts/engine start)\"` (via scripts/test)."
                );
            }
            skipped(&format!(
                "{test}: no Docker engine (run scripts/engine start): {why}"
            ));
            None
        }
    }
}

/// Prints `SKIPPED: <what>` on the real stderr: libtest captures `eprintln!`
/// of passing tests, but not direct writes, so the line shows in every run.
pub fn skipped(what: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED: {what}");
}

fn docker_client() -> PathBuf {
    if let Some(d) = std::env::var_os("HOIST_DOCKER").filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    // Debian's 20.10 client has a working built-in BuildKit client; a newer
    // client without the buildx plugin does not.
    let debian = Path::new("/usr/bin/docker");
    if debian.exists() {
        debian.to_path_buf()
    } else {
        PathBuf::from("docker")
    }
}

fn probe() -> Result<Engine, String> {
    let host = std::env::var("DOCKER_HOST")
        .ok()
        .filter(|h| !h.is_empty())
        .ok_or("DOCKER_HOST is not set")?;
    let docker = docker_client();
    let mut cmd = Command::new(&docker);
    cmd.args(["version", "--format", "{{.Server.Version}}"])
        .env("DOCKER_HOST", &host);
    let out = run(cmd, Duration::from_secs(30))
        .map_err(|e| format!("cannot run {}: {e}", docker.display()))?;
    if !out.status.success() {
        return Err(format!(
            "daemon at {host} does not answer ({} version: {})",
            docker.display(),
            out.stderr.trim()
        ));
    }
    let mut cmd = Command::new(&docker);
    cmd.args(["image", "inspect", "--format", "{{.Id}}", BASE_IMAGE])
        .env("DOCKER_HOST", &host);
    let out = run(cmd, Duration::from_secs(30))
        .map_err(|e| format!("cannot run {}: {e}", docker.display()))?;
    if !out.status.success() {
        return Err(format!(
            "the daemon at {host} has no {BASE_IMAGE} image ({})",
            out.stderr.trim()
        ));
    }
    let buildx = std::env::var("HOIST_DOCKER_BUILDX").is_ok_and(|v| v == "1");
    Ok(Engine {
        docker,
        host,
        buildx,
    })
}

impl Engine {
    /// A `docker` command aimed at this engine, with BuildKit on.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(&self.docker);
        cmd.env("DOCKER_HOST", &self.host)
            .env("DOCKER_BUILDKIT", "1");
        cmd
    }

    /// `docker build --progress=plain <extra args> <context>`.
    pub fn build(&self, context: &Path, extra: &[&str]) -> Build {
        self.build_with_progress(context, "plain", extra)
    }

    /// `docker build --progress=<progress> <extra args> <context>`; `rawjson`
    /// needs [`Engine::buildx`]. Never passes `--pull` (it fails offline).
    pub fn build_with_progress(&self, context: &Path, progress: &str, extra: &[&str]) -> Build {
        let mut cmd = self.command();
        cmd.arg("build")
            .arg(format!("--progress={progress}"))
            .args(extra)
            .arg(context);
        let started = Instant::now();
        let out = run(cmd, BUILD_TIMEOUT)
            .unwrap_or_else(|e| panic!("cannot run {} build: {e}", self.docker.display()));
        Build {
            status: out.status,
            progress: out.stderr,
            stdout: out.stdout,
            elapsed: started.elapsed(),
        }
    }
}

/// A build context in a temporary directory, removed on drop.
pub struct Context {
    dir: tempfile::TempDir,
}

impl Context {
    /// A context holding only this Dockerfile.
    pub fn new(dockerfile: &str) -> Self {
        Self::with_files(dockerfile, &[])
    }

    /// A context holding this Dockerfile and `(relative path, contents)` files.
    pub fn with_files(dockerfile: &str, files: &[(&str, &str)]) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("hoist-ctx-")
            .tempdir()
            .expect("create temporary build context");
        let ctx = Self { dir };
        ctx.write("Dockerfile", dockerfile);
        for (path, contents) in files {
            ctx.write(path, contents);
        }
        ctx
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes (or overwrites) a file in the context, creating its directories.
    pub fn write(&self, rel: &str, contents: &str) {
        let path = self.dir.path().join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create context directory");
        }
        std::fs::write(&path, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }
}

/// A string unique to this test process and call, for cache-busting a step so
/// that its first build really runs (the engine's cache outlives test runs).
pub fn nonce() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!(
        "{}-{nanos}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// What `--progress=plain` says about the step whose title contains `needle`
/// (e.g. `"RUN echo hi"`): this is a deliberately small reader for tests, not
/// hoist's parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlainStep {
    /// No step header with that title.
    Missing,
    /// `#N CACHED`.
    Cached,
    /// `#N DONE <time>` and never CACHED.
    Built,
    /// `#N ERROR ...`.
    Failed,
    /// Header seen but neither DONE, CACHED nor ERROR.
    Unfinished,
}

pub fn plain_step(progress: &str, needle: &str) -> PlainStep {
    // Headers look like `#5 [2/2] RUN echo hi > /x`; a step's ids follow order of
    // first appearance, so collect every id whose header carries the title.
    let ids: Vec<&str> = progress
        .lines()
        .filter_map(|l| {
            let (id, rest) = l.strip_prefix('#')?.split_once(' ')?;
            (rest.starts_with('[') && rest.contains(needle)).then_some(id)
        })
        .collect();
    if ids.is_empty() {
        return PlainStep::Missing;
    }
    let (mut cached, mut done, mut failed) = (false, false, false);
    for line in progress.lines() {
        let Some((id, rest)) = line.strip_prefix('#').and_then(|l| l.split_once(' ')) else {
            continue;
        };
        if !ids.contains(&id) {
            continue;
        }
        cached |= rest == "CACHED";
        done |= rest.starts_with("DONE");
        failed |= rest.starts_with("ERROR");
    }
    match (failed, cached, done) {
        (true, _, _) => PlainStep::Failed,
        (_, true, _) => PlainStep::Cached,
        (_, _, true) => PlainStep::Built,
        _ => PlainStep::Unfinished,
    }
}

struct Output {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

/// Reads a child's pipe to the end on its own thread.
fn drain<R: Read + Send + 'static>(pipe: Option<R>) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut buf);
        }
        String::from_utf8_lossy(&buf).into_owned()
    })
}

/// Runs a command to completion, killing it after `timeout`.
fn run(mut cmd: Command, timeout: Duration) -> std::io::Result<Output> {
    // Own process group, so a timeout also kills what docker spawned (the
    // buildx plugin), which would otherwise keep the pipes open.
    let mut child = cmd
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let out = drain(child.stdout.take());
    let err = drain(child.stderr.take());
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.kill();
            let _ = child.wait();
            return Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("{cmd:?} timed out after {timeout:?}"),
            ));
        }
        thread::sleep(Duration::from_millis(20));
    };
    Ok(Output {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    })
}
