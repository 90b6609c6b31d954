//! `hoist demo`: write the example repository of `hoist::replay::demo` and
//! replay it, as `hoist replay` would. Everything printed on stdout is the
//! same on every run; how long it took goes to stderr.

use std::cell::RefCell;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::rc::Rc;
use std::time::Instant;

use anyhow::Context;

use crate::cli::{DemoArgs, Format, ReplayArgs};
use hoist::fix::Options;

use super::check::Setup;
use super::fix::fix_file;
use super::fix_compare::compare;
use hoist::replay::demo::{self, Kind};

/// Marks a directory as made by `hoist demo`, so a later run may wipe it.
const MARKER: &str = ".hoist-demo";

/// One buffer written through two handles, so the replay's notes and its
/// report come out in the order they were written.
#[derive(Clone, Default)]
struct Shared(Rc<RefCell<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What the safe fixes would save on the same history (`hoist fix --compare`
/// on each Dockerfile).
fn fixes(repo: &Path, out: &mut dyn Write) -> anyhow::Result<()> {
    writeln!(
        out,
        "\n$ hoist fix --compare -n {} Dockerfile Dockerfile.controlplane Dockerfile.worker   (in {})",
        demo::SCRIPTED_COMMITS,
        repo.display()
    )?;
    writeln!(
        out,
        "The safe fixes: each Dockerfile as it is now and as fixed, held constant over the same\n{} commits (CI minutes, all builds):",
        demo::SCRIPTED_COMMITS
    )?;
    let mut setup = Setup::new(&[], &[]);
    let (mut current, mut saved) = (0.0, 0.0);
    for image in demo::IMAGES {
        let name = image.dockerfile();
        let path = repo.join(name);
        let fixed = fix_file(&mut setup, &path, &Options::default(), false)
            .map_err(|e| anyhow::anyhow!("{}", e.message))?;
        match compare(&path, &fixed, demo::SCRIPTED_COMMITS)? {
            Some(c) => {
                writeln!(
                    out,
                    "  {name:<24} {:<10} {:>9.1} → {:>9.1}, saves {:>7.1} ({:.1}%)",
                    super::fix::codes_of(c.fixes.iter().map(String::as_str)),
                    c.current_seconds / 60.0,
                    c.fixed_seconds / 60.0,
                    c.saved_seconds / 60.0,
                    100.0 * c.saved_seconds / c.current_seconds.max(f64::MIN_POSITIVE)
                )?;
                current += c.current_seconds;
                saved += c.saved_seconds;
            }
            None => writeln!(out, "  {name:<24} nothing to fix")?,
        }
    }
    writeln!(
        out,
        "Total: saves {:.1} of {:.1} CI minutes ({:.1}%). `hoist fix --write` applies them; `hoist verify --fix` builds both and proves the image is the same.",
        saved / 60.0,
        current / 60.0,
        100.0 * saved / current.max(f64::MIN_POSITIVE)
    )?;
    Ok(())
}

/// Empties `dir` if an earlier demo made it; refuses to touch anything else.
fn prepare(dir: &Path) -> anyhow::Result<()> {
    if dir.exists() {
        let mine = dir.join(MARKER).exists();
        let empty = std::fs::read_dir(dir)
            .with_context(|| format!("cannot read {}", dir.display()))?
            .next()
            .is_none();
        anyhow::ensure!(
            mine || empty,
            "{} exists and was not made by `hoist demo`; remove it or choose another directory with --dir",
            dir.display()
        );
        std::fs::remove_dir_all(dir)
            .with_context(|| format!("cannot remove the earlier demo in {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::write(
        dir.join(MARKER),
        "made by `hoist demo`; the next run wipes this directory\n",
    )
    .with_context(|| format!("cannot write in {}", dir.display()))?;
    Ok(())
}

pub fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let dir = args
        .dir
        .unwrap_or_else(|| std::env::temp_dir().join("hoist-demo"));
    let started = Instant::now();
    prepare(&dir)?;
    let repo = dir.join("repo");
    let generated = demo::generate(&repo)?;
    let store = demo::timings(&generated);
    let store_path = repo.join(".hoist").join("timings.json");
    store.save(&store_path)?;
    let written = started.elapsed().as_secs_f64();

    let buf = Shared::default();
    let mut out = buf.clone();
    let count = |k: Kind| {
        generated
            .kinds
            .iter()
            .find(|(x, _)| *x == k)
            .map_or(0, |x| x.1)
    };
    writeln!(
        out,
        "hoist demo: a Go service modelled on a real case, a Postgres wire-protocol server on DuckDB\n"
    )?;
    writeln!(out, "Wrote {}:", repo.display())?;
    writeln!(
        out,
        "  a Go module (go.mod, go.sum) with cmd/server, cmd/controlplane, cmd/worker,\n    {} packages under internal/ and docs/: {} files at HEAD",
        generated.packages, generated.files
    )?;
    writeln!(
        out,
        "  Dockerfile, Dockerfile.controlplane, Dockerfile.worker with the case's layout:\n    COPY go.mod go.sum, go mod download, COPY . ., the ARGs (VERSION and COMMIT among\n    them), go build, then five extension downloads; .dockerignore excludes only .git,\n    data/ and IDE folders"
    )?;
    writeln!(
        out,
        "  .github/workflows/images.yml: server and control plane for 2 architectures, the\n    worker for {} DuckDB versions x 2 architectures, cache-to type=gha,mode=max",
        demo::DUCKDB_VERSIONS.len()
    )?;
    let mix: Vec<String> = [
        Kind::Source,
        Kind::GoSum,
        Kind::Extension,
        Kind::Docs,
        Kind::Dockerfile,
        Kind::Ci,
    ]
    .iter()
    .map(|k| format!("{} {}", count(*k), k.label()))
    .collect();
    writeln!(
        out,
        "  {} commits: the initial import, then {},\n    {}",
        generated.commits,
        mix[..2].join(", "),
        mix[2..].join(", ")
    )?;
    writeln!(
        out,
        "  .hoist/timings.json: {} runs labelled \"demo\", seconds modelled on the case's CI\n    (about 288 s server, 241 s control plane, 367 s worker per build); not measured here",
        store.runs().len()
    )?;
    writeln!(out)?;

    let html = dir.join("replay.html");
    let replay_args = ReplayArgs {
        repo: repo.clone(),
        count: Some(demo::SCRIPTED_COMMITS),
        range: None,
        files: Vec::new(),
        context: String::new(),
        build_args: Vec::new(),
        timings: None,
        cache: None,
        builds_per_commit: None,
        format: Format::Text,
        html: Some(html.clone()),
    };
    writeln!(
        out,
        "$ hoist replay --repo {} -n {} --html {}",
        repo.display(),
        demo::SCRIPTED_COMMITS,
        html.display()
    )?;
    let replay_started = Instant::now();
    let mut log = buf.clone();
    let code = super::replay::execute(&replay_args, &mut out, &mut log)?;
    let replayed = replay_started.elapsed().as_secs_f64();
    fixes(&repo, &mut out)?;
    std::io::stdout().write_all(&buf.0.borrow())?;
    eprintln!(
        "(demo written in {written:.2} s: history script {:.2} s, git fast-import and checkout {:.2} s, {} KiB stream; replay {replayed:.2} s)",
        generated.script_seconds,
        generated.import_seconds,
        generated.stream_bytes / 1024
    );
    Ok(code)
}
