//! Running a real BuildKit build through the user's `docker` client.
//!
//! Which client: `$HOIST_DOCKER` when set (the project's `scripts/engine`
//! exports it), else `docker` from `PATH`. With the buildx plugin (`docker
//! buildx version` works) hoist runs `docker buildx build --progress=rawjson`,
//! which gives per-vertex `cached` flags and start/completion times and honours
//! `--builder NAME`; without it `DOCKER_BUILDKIT=1 docker build
//! --progress=plain` (a 20.10 client has BuildKit built in). `DOCKER_HOST`,
//! `DOCKER_CONFIG` and the rest of the environment pass through unchanged.
//! hoist never passes `--pull`, `--no-cache` or `--network`: they change what
//! is cached or the keys themselves.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::progress::RawJsonEcho;

/// How long the probes (`docker version`, `docker buildx version`) may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(60);

/// Why a build could not be run at all (a build that runs and fails is a
/// [`BuildOutput`] with a failed status, not an error).
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(
        "cannot run the docker client `{client}`: {detail}; install Docker's CLI (with the buildx plugin), or set HOIST_DOCKER to the docker binary to use"
    )]
    ClientMissing { client: String, detail: String },

    #[error(
        "cannot reach the Docker daemon{host}: {detail}. Start one and point DOCKER_HOST at it — in this project: `eval \"$(scripts/engine start)\"` — or pass --builder NAME for a buildx builder"
    )]
    Unreachable { host: String, detail: String },

    #[error(
        "`{client}` cannot build with BuildKit: {detail}. Install the docker-buildx plugin, or set HOIST_DOCKER to a client with BuildKit built in (Docker 20.10-22.x, e.g. Debian's /usr/bin/docker)"
    )]
    NoBuildKit { client: String, detail: String },

    #[error(
        "--builder {name}: `{client}` has no buildx plugin, and only buildx knows builders; install docker-buildx or drop --builder"
    )]
    BuilderNeedsBuildx { name: String, client: String },

    #[error("--builder {name}: {detail}; list the builders with `docker buildx ls`")]
    UnknownBuilder { name: String, detail: String },

    #[error("{what}: {detail}")]
    Command { what: String, detail: String },

    #[error("docker build did not finish within {0:?}; it was stopped")]
    Timeout(Duration),

    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
}

/// The progress format a build was run with (the log's format).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressFormat {
    /// `--progress=rawjson` (buildx): a stream of `SolveStatus` JSON values.
    RawJson,
    /// `--progress=plain`: `#N [stage k/n] ...` lines.
    Plain,
}

/// The user's docker client, probed.
#[derive(Debug, Clone)]
pub struct Docker {
    /// The client binary (`$HOIST_DOCKER`, else `docker`).
    pub client: PathBuf,
    /// The buildx plugin is there: builds use `docker buildx build --progress=rawjson`.
    pub buildx: bool,
    /// `--builder NAME` (buildx only).
    pub builder: Option<String>,
}

/// One build.
#[derive(Debug, Clone)]
pub struct BuildRequest<'a> {
    pub context: &'a Path,
    /// `-f`; default: `<context>/Dockerfile` (docker's own default).
    pub dockerfile: Option<&'a Path>,
    pub target: Option<&'a str>,
    pub build_args: &'a BTreeMap<String, String>,
    /// Echo the progress on stderr while the build runs (rawjson is rendered
    /// as plain-progress lines; the captured log keeps the raw text).
    pub echo: bool,
    /// Stop the build (and what docker spawned) after this long.
    pub timeout: Option<Duration>,
}

/// What a build printed and how it ended.
#[derive(Debug, Clone)]
pub struct BuildOutput {
    /// The progress stream exactly as docker printed it (stderr).
    pub log: String,
    pub format: ProgressFormat,
    /// docker's standard output (image id with the classic client, usually empty).
    pub stdout: String,
    pub status: ExitStatus,
    /// Wall time of the whole `docker build` command.
    pub wall: Duration,
}

impl BuildOutput {
    pub fn success(&self) -> bool {
        self.status.success()
    }

    /// The last lines of the log, for an error message.
    pub fn tail(&self, lines: usize) -> String {
        let all: Vec<&str> = self.log.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// The last lines of the log as people read it: a rawjson log is rendered
    /// as plain-progress lines first (as the echo shows it), a plain log is
    /// [`BuildOutput::tail`].
    pub fn readable_tail(&self, lines: usize) -> String {
        if self.format == ProgressFormat::Plain {
            return self.tail(lines);
        }
        let mut echo = RawJsonEcho::default();
        let mut text: Vec<u8> = Vec::new();
        for line in self.log.split_inclusive('\n') {
            echo.line(line, &mut text);
        }
        echo.finish(&mut text);
        let text = String::from_utf8_lossy(&text);
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }
}

/// Output of a short command.
pub(super) struct Captured {
    pub(super) status: ExitStatus,
    pub(super) stdout: String,
    pub(super) stderr: String,
}

fn host_note() -> String {
    match std::env::var("DOCKER_HOST") {
        Ok(h) if !h.is_empty() => format!(" at DOCKER_HOST={h}"),
        _ => " (DOCKER_HOST is not set, so the client's default socket)".to_string(),
    }
}

pub(super) fn one_line(s: &str) -> String {
    let t = s.trim();
    let first = t.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or(t);
    first.trim().to_string()
}

impl Docker {
    /// The client from `$HOIST_DOCKER`, else `docker`.
    pub fn client_from_env() -> PathBuf {
        std::env::var_os("HOIST_DOCKER")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("docker"))
    }

    /// Finds the client, whether it has buildx, and checks that the builder
    /// answers. Errors say what to do.
    pub fn detect(builder: Option<&str>) -> Result<Docker, EngineError> {
        Self::detect_with(Self::client_from_env(), builder)
    }

    pub fn detect_with(client: PathBuf, builder: Option<&str>) -> Result<Docker, EngineError> {
        let name = client.display().to_string();
        let buildx = match capture(&client, &["buildx", "version"]) {
            Ok(out) => out.status.success(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(EngineError::ClientMissing {
                    client: name,
                    detail: "not found".into(),
                });
            }
            Err(e) => {
                return Err(EngineError::ClientMissing {
                    client: name,
                    detail: e.to_string(),
                });
            }
        };
        let docker = Docker {
            client,
            buildx,
            builder: builder.map(str::to_string),
        };
        if let Some(b) = builder {
            if !buildx {
                return Err(EngineError::BuilderNeedsBuildx {
                    name: b.to_string(),
                    client: name,
                });
            }
            let out = docker.run_probe(&["buildx", "inspect", b])?;
            if !out.status.success() {
                return Err(EngineError::UnknownBuilder {
                    name: b.to_string(),
                    detail: one_line(&out.stderr),
                });
            }
            return Ok(docker);
        }
        let out = docker.run_probe(&["version", "--format", "{{.Server.Version}}"])?;
        if out.status.success() {
            return Ok(docker);
        }
        // A buildx builder that is not the daemon (remote BuildKit, kubernetes)
        // works without one.
        if buildx
            && let Ok(inspect) = docker.run_probe(&["buildx", "inspect"])
            && inspect.status.success()
            && let Some(driver) = inspect
                .stdout
                .lines()
                .find_map(|l| l.trim().strip_prefix("Driver:"))
            && !matches!(driver.trim(), "docker" | "docker-container")
        {
            return Ok(docker);
        }
        Err(EngineError::Unreachable {
            host: host_note(),
            detail: one_line(&(out.stderr + &out.stdout)),
        })
    }

    pub(super) fn run_probe(&self, args: &[&str]) -> Result<Captured, EngineError> {
        capture(&self.client, args).map_err(|e| EngineError::Io {
            what: format!("cannot run {} {}", self.client.display(), args.join(" ")),
            source: e,
        })
    }

    /// What to call the builder in reports: `--builder`, else `DOCKER_HOST`,
    /// else `default`.
    pub fn builder_label(&self) -> String {
        if let Some(b) = &self.builder {
            return b.clone();
        }
        match std::env::var("DOCKER_HOST") {
            Ok(h) if !h.is_empty() => h,
            _ => "default".to_string(),
        }
    }

    /// The builder's platform (`linux/amd64`), best effort.
    pub fn platform(&self) -> Option<String> {
        if let Some(b) = &self.builder {
            let out = capture(&self.client, &["buildx", "inspect", b]).ok()?;
            let line = out
                .stdout
                .lines()
                .find_map(|l| l.trim().strip_prefix("Platforms:"))?
                .to_string();
            return line
                .split(',')
                .next()
                .map(|p| p.trim().trim_end_matches('*').to_string())
                .filter(|p| !p.is_empty());
        }
        let out = capture(
            &self.client,
            &["version", "--format", "{{.Server.Os}}/{{.Server.Arch}}"],
        )
        .ok()?;
        let p = out.stdout.trim().to_string();
        (out.status.success() && p.contains('/')).then_some(p)
    }

    /// The format [`Docker::build`] produces.
    pub fn format(&self) -> ProgressFormat {
        if self.buildx {
            ProgressFormat::RawJson
        } else {
            ProgressFormat::Plain
        }
    }

    /// The command line of a build (without the client), for messages and tests.
    pub fn build_args(&self, req: &BuildRequest) -> Vec<String> {
        self.build_args_tagged(req, None)
    }

    /// The command line of a build whose result is tagged `tag` in the
    /// daemon's image store: `-t TAG`, and with buildx also `--load` (a
    /// `docker-container` builder keeps its result to itself otherwise; for
    /// the `docker` driver it is what happens anyway).
    pub fn build_args_tagged(&self, req: &BuildRequest, tag: Option<&str>) -> Vec<String> {
        let mut args: Vec<String> = Vec::new();
        if self.buildx {
            args.extend(["buildx".into(), "build".into(), "--progress=rawjson".into()]);
            if let Some(b) = &self.builder {
                args.push(format!("--builder={b}"));
            }
        } else {
            args.extend(["build".into(), "--progress=plain".into()]);
        }
        if let Some(t) = tag {
            args.push(format!("--tag={t}"));
            if self.buildx {
                args.push("--load".into());
            }
        }
        if let Some(f) = req.dockerfile {
            args.push("-f".into());
            args.push(f.display().to_string());
        }
        if let Some(t) = req.target {
            args.push(format!("--target={t}"));
        }
        for (k, v) in req.build_args {
            args.push("--build-arg".into());
            args.push(format!("{k}={v}"));
        }
        args.push(req.context.display().to_string());
        args
    }

    /// Runs one build. The progress is captured (and echoed on stderr when
    /// asked); a failing build is a normal result with a failed status.
    pub fn build(&self, req: &BuildRequest) -> Result<BuildOutput, EngineError> {
        self.run_build(req, None)
    }

    /// [`Docker::build`], with the result tagged `tag` in the daemon's image
    /// store (see [`Docker::build_args_tagged`]), for reading it afterwards.
    /// The caller removes the image ([`crate::engine::image::remove_image`]).
    pub fn build_tagged(&self, req: &BuildRequest, tag: &str) -> Result<BuildOutput, EngineError> {
        self.run_build(req, Some(tag))
    }

    fn run_build(&self, req: &BuildRequest, tag: Option<&str>) -> Result<BuildOutput, EngineError> {
        let args = self.build_args_tagged(req, tag);
        let mut cmd = Command::new(&self.client);
        cmd.args(&args)
            .env("DOCKER_BUILDKIT", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if req.timeout.is_some() {
            // Own process group, so a timeout also stops the buildx plugin.
            cmd.process_group(0);
        }
        let started = Instant::now();
        let mut child = cmd.spawn().map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                EngineError::ClientMissing {
                    client: self.client.display().to_string(),
                    detail: "not found".into(),
                }
            } else {
                EngineError::Io {
                    what: format!("cannot run {}", self.client.display()),
                    source: e,
                }
            }
        })?;
        let echo = req.echo;
        let format = self.format();
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();
        let out_thread = thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut s) = stdout {
                let _ = s.read_to_end(&mut buf);
            }
            String::from_utf8_lossy(&buf).into_owned()
        });
        let captured = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&captured);
        let err_thread = thread::spawn(move || {
            let Some(s) = stderr else { return };
            let mut reader = BufReader::new(s);
            let mut echo_json = RawJsonEcho::default();
            let mut line = Vec::new();
            let err = std::io::stderr();
            loop {
                line.clear();
                match reader.read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
                let text = String::from_utf8_lossy(&line);
                if let Ok(mut c) = sink.lock() {
                    c.push_str(&text);
                }
                if echo {
                    let mut e = err.lock();
                    match format {
                        ProgressFormat::RawJson => echo_json.line(&text, &mut e),
                        ProgressFormat::Plain => {
                            let _ = e.write_all(text.as_bytes());
                        }
                    }
                    let _ = e.flush();
                }
            }
            if echo {
                echo_json.finish(&mut std::io::stderr().lock());
            }
        });
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) => {}
                Err(e) => {
                    return Err(EngineError::Io {
                        what: "waiting for docker build".into(),
                        source: e,
                    });
                }
            }
            if let Some(t) = req.timeout
                && started.elapsed() >= t
            {
                let _ = Command::new("kill")
                    .args(["-KILL", "--", &format!("-{}", child.id())])
                    .status();
                let _ = child.kill();
                let _ = child.wait();
                return Err(EngineError::Timeout(t));
            }
            thread::sleep(Duration::from_millis(10));
        };
        let stdout = out_thread.join().unwrap_or_default();
        let _ = err_thread.join();
        let log = captured.lock().map(|c| c.clone()).unwrap_or_default();
        let wall = started.elapsed();
        if echo && !stdout.trim().is_empty() {
            eprint!("{stdout}");
        }
        let output = BuildOutput {
            log,
            format,
            stdout,
            status,
            wall,
        };
        if !output.success() {
            if output.log.contains("buildx component is missing") {
                return Err(EngineError::NoBuildKit {
                    client: self.client.display().to_string(),
                    detail: one_line(&output.log),
                });
            }
            if let Some(detail) = unreachable_message(&output.log) {
                return Err(EngineError::Unreachable {
                    host: host_note(),
                    detail,
                });
            }
        }
        Ok(output)
    }
}

/// The client's "cannot connect" message, when the log is just that.
fn unreachable_message(log: &str) -> Option<String> {
    // A build that started prints progress; then the message is the build's own.
    if log.contains("\"vertexes\"") || log.lines().any(|l| l.starts_with('#')) {
        return None;
    }
    let l = log.to_lowercase();
    (l.contains("cannot connect to the docker daemon")
        || l.contains("is the docker daemon running")
        || (l.contains("dial unix") && l.contains("connect:")))
    .then(|| one_line(log))
}

/// Runs a short command and captures its output (killed after [`PROBE_TIMEOUT`]).
pub(super) fn capture(client: &Path, args: &[&str]) -> std::io::Result<Captured> {
    let mut child = Command::new(client)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait()? {
            break s;
        }
        if started.elapsed() > PROBE_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!(
                    "{} {} did not answer within {PROBE_TIMEOUT:?}",
                    client.display(),
                    args.join(" ")
                ),
            ));
        }
        thread::sleep(Duration::from_millis(10));
    };
    Ok(Captured {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines() {
        let args: BTreeMap<String, String> =
            [("V".to_string(), "2".to_string())].into_iter().collect();
        let req = BuildRequest {
            context: Path::new("/ctx"),
            dockerfile: Some(Path::new("/ctx/app.Dockerfile")),
            target: Some("build"),
            build_args: &args,
            echo: false,
            timeout: None,
        };
        let buildx = Docker {
            client: "docker".into(),
            buildx: true,
            builder: Some("fleet".into()),
        };
        assert_eq!(
            buildx.build_args(&req).join(" "),
            "buildx build --progress=rawjson --builder=fleet -f /ctx/app.Dockerfile --target=build --build-arg V=2 /ctx"
        );
        let classic = Docker {
            client: "docker".into(),
            buildx: false,
            builder: None,
        };
        assert_eq!(
            classic.build_args(&req).join(" "),
            "build --progress=plain -f /ctx/app.Dockerfile --target=build --build-arg V=2 /ctx"
        );
        assert_eq!(
            buildx
                .build_args_tagged(&req, Some("hoist-verify-1-0:current"))
                .join(" "),
            "buildx build --progress=rawjson --builder=fleet --tag=hoist-verify-1-0:current --load -f /ctx/app.Dockerfile --target=build --build-arg V=2 /ctx"
        );
        assert_eq!(
            classic.build_args_tagged(&req, Some("t:1")).join(" "),
            "build --progress=plain --tag=t:1 -f /ctx/app.Dockerfile --target=build --build-arg V=2 /ctx"
        );
    }

    #[test]
    fn missing_client_is_a_clear_error() {
        let err =
            Docker::detect_with(PathBuf::from("/nonexistent/hoist-test-docker"), None).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("cannot run the docker client"), "{msg}");
        assert!(msg.contains("HOIST_DOCKER"), "{msg}");
    }

    #[test]
    fn unreachable_daemon_messages() {
        assert!(
            unreachable_message(
                "Cannot connect to the Docker daemon at unix:///x.sock. Is the docker daemon running?\n"
            )
            .is_some()
        );
        assert!(unreachable_message("#5 [2/2] RUN false\n#5 ERROR: exit code: 1\n").is_none());
    }
}
