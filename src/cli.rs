//! Command-line arguments (clap). Wiring only: the work is in the library.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// hoist makes container image builds fast by getting the build cache right.
///
/// It reads Dockerfiles exactly as BuildKit does, models which inputs key every
/// step's cache, and tells you which steps a change re-runs and why.
#[derive(Debug, Parser)]
#[command(name = "hoist", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse Dockerfiles as BuildKit does and show the result.
    ///
    /// Without options, each file is parsed and checked with the typed view
    /// (unknown instructions, flags an instruction does not take, malformed
    /// `--mount` are errors) and an outline of its instructions is printed.
    ///
    /// `--dump` prints BuildKit's own parse-tree dump (`Node.Dump()`), the
    /// format of BuildKit's parser test files, so the two parsers can be
    /// compared line for line. Like BuildKit's parser, it accepts any `--flag`
    /// word.
    ///
    /// Exit status: 0 when every file parsed, 1 when any file has an error,
    /// 2 on bad usage.
    #[command(
        after_help = "Examples:\n  hoist parse Dockerfile\n  hoist parse --dump examples/go-service.Dockerfile\n  hoist parse --format json Dockerfile | jq '.instructions[].keyword'"
    )]
    Parse(ParseArgs),

    /// Predict which steps BuildKit re-runs after a change, and why.
    ///
    /// hoist models every step's cache key as BuildKit builds it (the command and
    /// its environment, declared ARGs, WORKDIR, USER, SHELL, the context files a
    /// COPY or bind mount reads, other stages' outputs) and compares the build
    /// before the change with the build after it. Each step is `cached`,
    /// `rebuilt`, or `uncertain` when the answer depends on bytes hoist cannot see
    /// (another stage's output, a download), with the first input that changed.
    ///
    /// Describe the change with `--changed` (paths relative to the context; a
    /// file whose mode changed counts) or `--git OLD..NEW` (changed paths and modes
    /// between two commits; the Dockerfile and ignore file are read at both).
    /// `--old-build-arg` gives the previous build's arguments when they differ,
    /// e.g. a per-commit `COMMIT` value.
    ///
    /// Exit status: 0 when the prediction was made, 1 when a Dockerfile could not
    /// be read or modelled, 2 on bad usage.
    #[command(
        after_help = "Examples:\n  hoist impact --changed cmd/server/main.go\n  hoist impact -f Dockerfile --changed go.sum --cache min\n  hoist impact --build-arg COMMIT=def456 --old-build-arg COMMIT=abc123 --changed README.md\n  hoist impact --git HEAD~1..HEAD --format json"
    )]
    Impact(ImpactArgs),

    /// Replay git history: what every commit rebuilt, what it cost, and the floor.
    ///
    /// Walks first-parent history and, for each commit, predicts every step of
    /// every image CI builds (as `hoist impact --git parent..commit` would),
    /// weighs re-run steps by their measured seconds from the timings store
    /// (`hoist measure`, `hoist timings import`; unmeasured steps are shown as
    /// such and count 0 s), and compares with the floor: the seconds an ideally
    /// keyed Dockerfile would spend, re-running only steps whose own inputs changed.
    ///
    /// Images come from `.github/workflows/*.yml` (`docker/build-push-action`,
    /// `docker buildx build`) when present, else from `-f`, else every Dockerfile
    /// at the root. A build arg whose value holds `{sha}` changes on every commit
    /// (`--build-arg COMMIT={sha}`), like `${{ github.sha }}` in a workflow.
    #[command(
        after_help = "Examples:\n  hoist replay -n 200\n  hoist replay --range v1.0..HEAD -f Dockerfile --build-arg VERSION={sha} --cache max\n  hoist replay -n 500 --html replay.html --format json > replay.json"
    )]
    Replay(ReplayArgs),

    /// Build with the real engine and record what every step cost.
    ///
    /// Runs the build through your `docker` client (`docker buildx build
    /// --progress=rawjson` when the buildx plugin is installed, else
    /// `DOCKER_BUILDKIT=1 docker build --progress=plain`; `$HOIST_DOCKER` picks
    /// another client), against whatever builder it reaches (`DOCKER_HOST`,
    /// `--builder NAME`, a remote BuildKit). Progress streams to stderr; each
    /// vertex is mapped back to its Dockerfile step and the run (seconds, cached
    /// or not, when, builder, platform) is appended to the timings store, which
    /// `hoist replay` reads. A per-step table goes to stdout.
    ///
    /// Exit status: 0 when the build succeeded and was recorded, 1 when the
    /// build or the Dockerfile failed or no engine answers, 2 on bad usage.
    #[command(
        after_help = "Examples:\n  hoist measure\n  hoist measure -f docker/api.Dockerfile --context . --target runtime\n  hoist measure --builder ci-fleet --build-arg VERSION=1.2.3\n\nNo engine? In this project: eval \"$(scripts/engine start)\""
    )]
    Measure(MeasureArgs),

    /// Check hoist against real builds: predictions over a commit range
    /// (`--git`), or that a fix builds the same image (`--fix`).
    ///
    /// With `--git OLD..NEW`: writes each commit of the first-parent range
    /// (OLD, then every commit up to NEW, in order) into a temporary
    /// directory, builds it on the same builder, and compares, step by step,
    /// what BuildKit did (cached or ran) with hoist's prediction for that
    /// commit on a builder holding the records of the builds before it. FROM
    /// steps are listed but not compared: BuildKit reports a local base image
    /// as cached or not arbitrarily. Records left on the builder by earlier
    /// runs can serve a step that the prediction (which knows only this run's
    /// builds) calls rebuilt. `-f` and `--context` are repository paths.
    ///
    /// With `--fix`: computes in memory what `hoist fix` would write (safe
    /// fixes; unsafe ones too with `--unsafe`), builds the Dockerfile as it is
    /// and the fixed one (from a temporary directory, with the same context and
    /// the same ignore file, or the fixed one when a fix edits it) on the same
    /// builder, and compares the two final images: every path's kind, contents,
    /// mode, owner and link target (not modification times), and the config
    /// (Env, Entrypoint, Cmd, User, WorkingDir, Labels, ExposedPorts, Volumes,
    /// StopSignal, Healthcheck, Shell, OnBuild). Your files are never written;
    /// the two images are removed afterwards. `-f` and `--context` are
    /// ordinary paths (default: `Dockerfile` in the context, the context being
    /// the current directory).
    ///
    /// Exit status with `--git`: 0 when every compared step agrees, 1 on any
    /// disagreement on a step hoist did not call `uncertain` (or when a commit
    /// does not build, or no engine answers), 2 on bad usage.
    ///
    /// Exit status with `--fix`: 0 when the images are identical or there is
    /// nothing to fix, 1 when they differ (or the fixed Dockerfile does not
    /// build), 2 when the check could not be made: bad usage, an unreadable
    /// Dockerfile, no engine, or the current Dockerfile does not build.
    #[command(
        after_help = "Examples:\n  hoist verify --git HEAD~3..HEAD\n  hoist verify --git v1.0..main -f docker/Dockerfile --context . --build-arg VERSION=1\n  hoist verify --fix\n  hoist verify --fix --unsafe -f docker/api.Dockerfile --context . --build-arg COMMIT=abc123\n  hoist verify --fix --select volatile-arg-too-early --target runtime\n\nNo engine? In this project: eval \"$(scripts/engine start)\""
    )]
    Verify(VerifyArgs),

    /// Read build logs into the timings store.
    Timings(TimingsArgs),

    /// Replay an example repository modelled on a real case, end to end.
    ///
    /// Writes a Go service with three images (server, control plane, worker),
    /// their cache-hostile Dockerfiles, the GitHub Actions workflow that builds
    /// them for two architectures with the gha cache, a scripted history of 321
    /// commits and a timings store (seconds modelled on the case's CI, labelled
    /// `demo`) into DIR, wiped and recreated on each run; then replays it as
    /// `hoist replay` would and writes the HTML report next to it. The output is
    /// the same on every run.
    #[command(after_help = "Examples:\n  hoist demo\n  hoist demo --dir /tmp/my-demo")]
    Demo(DemoArgs),

    /// Check Dockerfiles against hoist's cache rules.
    ///
    /// Each rule reads the build model (which inputs key which step) and
    /// reports layouts that make BuildKit re-run work it could reuse:
    /// per-build args declared too early, dependency installs keyed on the
    /// whole source, pinned downloads after the source copy, `go mod tidy`
    /// without sources, swallowed failures, unpinned bases. `docs/rules.md`
    /// describes every rule and its fix.
    ///
    /// PATH is a Dockerfile or a directory (its Dockerfiles are checked:
    /// `Dockerfile`, `Dockerfile.*`, `*.Dockerfile`, `*/Dockerfile`). A
    /// `hoist.toml` in the directory of the Dockerfile or above it, up to the
    /// repository root, selects rules, sets severities and names volatile args.
    /// `# hoist ignore=NAME` on the line before an instruction silences a rule
    /// there.
    ///
    /// Exit status: 0 when nothing at or above the failing severity (`fail-on`
    /// in hoist.toml, default warning) was found, 1 when something was, 2 on bad
    /// usage or a file that cannot be read or parsed.
    #[command(
        after_help = "Examples:\n  hoist check\n  hoist check examples/go-service.Dockerfile\n  hoist check --format sarif . > hoist.sarif\n  hoist check --ignore unpinned-base-image --format github"
    )]
    Check(CheckArgs),

    /// Apply the fixes of hoist's cache rules to Dockerfiles.
    ///
    /// Runs the rules as `hoist check` does and applies their fixes as
    /// byte-span edits: comments move with the instruction they describe, and
    /// every other byte stays as it is. After each round of fixes the file is
    /// parsed, typed and checked again, until no applicable fix remains (at
    /// most 10 rounds); running `hoist fix` on its own output changes nothing.
    /// A fix whose result does not parse is refused and nothing is written.
    ///
    /// Only `safe` fixes (the image is the same) are applied unless
    /// `--unsafe` is given; `display-only` suggestions are never applied. A
    /// move is safe only when the steps it crosses touch none of the paths it
    /// touches (COPY destinations, WORKDIR, paths in commands), install no
    /// packages it would run without, and set no USER, SHELL, WORKDIR or ENV it
    /// depends on; an unsafe fix says which line is in the way.
    ///
    /// Without `--write`, prints a unified diff of what would change
    /// (`--diff`, the default). With `--write`, replaces each changed file
    /// atomically and prints one line per file.
    ///
    /// A fix may edit the ignore file beside the Dockerfile too
    /// (`context-churn`); the diff and `--write` then cover both files.
    ///
    /// With `--compare`, writes nothing and proves the saving instead: it
    /// replays the repository's history (the last N commits) twice, with the
    /// Dockerfile as it is now and as fixed, both held constant while the
    /// commits change the context, and prints the predicted seconds of every
    /// commit before and after. Seconds come from the timings store
    /// (`hoist measure`, `hoist timings import`); unmeasured steps count 0 s,
    /// as in `hoist replay`. Build args and builds per commit come from the CI
    /// workflows, as in `hoist replay`. `hoist verify --fix` proves the fixed
    /// Dockerfile builds the same image.
    ///
    /// Exit status: with `--diff`, 0 when nothing would change and 1 when
    /// something would; with `--write` or `--compare`, 0; 2 on bad usage, a
    /// file that cannot be read or parsed, or a fix refused.
    #[command(
        after_help = "Examples:\n  hoist fix\n  hoist fix --unsafe examples/go-service.Dockerfile\n  hoist fix --write Dockerfile\n  hoist fix --select volatile-arg-too-early --write .\n  hoist fix --compare -n 300 server.Dockerfile"
    )]
    Fix(FixArgs),
}

#[derive(Debug, clap::Args)]
pub struct FixArgs {
    /// Dockerfiles or directories (default: the current directory).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Print a unified diff of what would change, write nothing (the default).
    #[arg(long, conflicts_with = "write")]
    pub diff: bool,

    /// Write the fixed files (atomically; unchanged files are not touched).
    #[arg(long, conflicts_with = "compare")]
    pub write: bool,

    /// Replay the history with the current and the fixed Dockerfile and print
    /// the predicted seconds per commit before and after; write nothing.
    #[arg(long, conflicts_with = "diff")]
    pub compare: bool,

    /// With --compare: replay the last N commits of the first-parent history.
    #[arg(
        short = 'n',
        value_name = "N",
        default_value_t = 100,
        requires = "compare"
    )]
    pub count: usize,

    /// With --compare: the output format.
    #[arg(long, value_enum, default_value_t = Format::Text, requires = "compare")]
    pub format: Format,

    /// Apply unsafe fixes too: they may change what the image holds; review them.
    #[arg(long = "unsafe")]
    pub unsafe_fixes: bool,

    /// Apply only the fixes of these rules (names or codes; comma-separated or repeated).
    #[arg(long, value_name = "NAME", value_delimiter = ',')]
    pub select: Vec<String>,

    /// Do not apply the fixes of these rules (names or codes; comma-separated or repeated).
    #[arg(long, value_name = "NAME", value_delimiter = ',')]
    pub ignore: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Dockerfiles or directories (default: the current directory).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    pub format: CheckFormat,

    /// Run only these rules (names or codes; comma-separated or repeated).
    #[arg(long, value_name = "NAME", value_delimiter = ',')]
    pub select: Vec<String>,

    /// Do not run these rules (names or codes; comma-separated or repeated).
    #[arg(long, value_name = "NAME", value_delimiter = ',')]
    pub ignore: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    Text,
    Json,
    Sarif,
    Github,
}

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Where to write the demo (default: `hoist-demo` in the system's temporary
    /// directory). Wiped first if it holds an earlier demo; refused if it holds
    /// anything else.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct TimingsArgs {
    #[command(subcommand)]
    pub command: TimingsCommand,
}

#[derive(Debug, Subcommand)]
pub enum TimingsCommand {
    /// Import existing build logs (what CI keeps) into the timings store.
    ///
    /// Reads each LOG — BuildKit's `--progress=rawjson` stream, `--progress=plain`
    /// output (buildx or the 20.10 client), or the legacy builder's `Step N/M`
    /// output (counts and cache hits only, no seconds) — maps every vertex back
    /// to its step of the Dockerfile, appends one run per log to the store and
    /// prints a per-step summary. A log that cannot be read (truncated, not a
    /// build log, or of another Dockerfile) adds nothing and is reported as
    /// `file:line: message`; runs already in the store are never lost.
    ///
    /// Exit status: 0 when every log was imported (or already was), 1 when any
    /// log could not be read or mapped, 2 on bad usage, an unreadable file, or
    /// a Dockerfile or store hoist cannot read.
    #[command(
        after_help = "Examples:\n  docker buildx build --progress=rawjson . 2> build.json && hoist timings import build.json\n  hoist timings import -f docker/api.Dockerfile ci-logs/*.log\n  hoist timings import --builder ci-fleet --format json build.log"
    )]
    Import(TimingsImportArgs),
}

#[derive(Debug, clap::Args)]
pub struct TimingsImportArgs {
    /// Build logs to import (`-` reads standard input).
    #[arg(required = true, value_name = "LOG")]
    pub logs: Vec<PathBuf>,

    /// The Dockerfile the logs were built from.
    #[arg(
        short = 'f',
        long = "file",
        value_name = "FILE",
        default_value = "Dockerfile"
    )]
    pub file: PathBuf,

    /// The timings store (default: `.hoist/timings.json` at the root of the
    /// repository holding the Dockerfile, or next to it outside a repository).
    #[arg(long, value_name = "PATH")]
    pub store: Option<PathBuf>,

    /// The builder the logs came from (default: the name a buildx plain log
    /// gives, else unknown).
    #[arg(long, value_name = "NAME")]
    pub builder: Option<String>,

    /// Build argument the logged builds used (`K=V`), to model the same build.
    #[arg(long = "build-arg", value_name = "K=V")]
    pub build_args: Vec<String>,

    /// The stage the logged builds targeted (default: the last stage).
    #[arg(long, value_name = "STAGE")]
    pub target: Option<String>,

    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    /// The repository (default: the one holding the current directory).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub repo: PathBuf,

    /// Replay the last N commits of the first-parent history.
    #[arg(short = 'n', value_name = "N", conflicts_with = "range")]
    pub count: Option<usize>,

    /// Replay the commits after OLD up to NEW.
    #[arg(long, value_name = "OLD..NEW")]
    pub range: Option<String>,

    /// Dockerfile to replay, relative to the repository root (repeatable).
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub files: Vec<String>,

    /// Build context of the `-f` files, relative to the repository root.
    #[arg(long, value_name = "DIR", default_value = "")]
    pub context: String,

    /// Build argument (`K=V`; `{sha}` in V is replaced by each commit's id).
    #[arg(long = "build-arg", value_name = "K=V")]
    pub build_args: Vec<String>,

    /// The timings store (default: `.hoist/timings.json` in the repository).
    #[arg(long, value_name = "FILE")]
    pub timings: Option<PathBuf>,

    /// Which cache each build can use.
    #[arg(long, value_enum)]
    pub cache: Option<CacheArg>,

    /// Builds of each image per commit (platforms × matrix); overrides what the
    /// workflows say (default: theirs, else 1).
    #[arg(long, value_name = "N")]
    pub builds_per_commit: Option<usize>,

    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// Also write a self-contained HTML report to FILE.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct ImpactArgs {
    /// Dockerfile to analyse (repeatable). Default: every Dockerfile in the context
    /// (`Dockerfile`, `Dockerfile.*`, `*.Dockerfile`, `*/Dockerfile`).
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// The build context directory.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub context: PathBuf,

    /// Build this stage (default: the last stage).
    #[arg(long, value_name = "STAGE")]
    pub target: Option<String>,

    /// Paths that changed, relative to the context.
    #[arg(long, value_name = "PATH", num_args = 1.., required_unless_present = "git", conflicts_with = "git")]
    pub changed: Vec<String>,

    /// Compare two commits: `OLD..NEW` (any revisions git understands).
    #[arg(long, value_name = "OLD..NEW")]
    pub git: Option<String>,

    /// Repository for `--git` (default: the one holding the context).
    #[arg(long, value_name = "DIR", requires = "git")]
    pub repo: Option<PathBuf>,

    /// Build argument of the new build (`K=V`, or `K` to take it from the environment).
    #[arg(long = "build-arg", value_name = "K=V")]
    pub build_args: Vec<String>,

    /// Build argument of the old build when it differs from the new one.
    #[arg(long = "old-build-arg", value_name = "K=V")]
    pub old_build_args: Vec<String>,

    /// Which cache the new build can use: `local` (a builder keeping every record),
    /// `max` (CI importing a mode=max cache), `min` (CI importing a mode=min cache:
    /// only the target stage's layers).
    #[arg(long, value_enum, default_value_t = CacheArg::Local)]
    pub cache: CacheArg,

    /// Target platform (os/arch[/variant]).
    #[arg(long, value_name = "PLATFORM")]
    pub platform: Option<String>,

    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CacheArg {
    Local,
    Max,
    Min,
}

#[derive(Debug, clap::Args)]
pub struct ParseArgs {
    /// Dockerfiles to read (`-` reads standard input).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Print BuildKit's `Node.Dump()` text instead of the outline.
    #[arg(long)]
    pub dump: bool,

    /// Output format of the outline.
    #[arg(long, value_enum, default_value_t = Format::Text, conflicts_with = "dump")]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct MeasureArgs {
    /// The Dockerfile (default: `Dockerfile` in the context).
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Option<PathBuf>,

    /// The build context directory.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub context: PathBuf,

    /// Build this stage (default: the last stage).
    #[arg(long, value_name = "STAGE")]
    pub target: Option<String>,

    /// Build argument (`K=V`, or `K` to take it from the environment).
    #[arg(long = "build-arg", value_name = "K=V")]
    pub build_args: Vec<String>,

    /// The buildx builder to use (needs the buildx plugin).
    #[arg(long, value_name = "NAME")]
    pub builder: Option<String>,

    /// The timings store (default: `.hoist/timings.json` at the repository root,
    /// or in the context directory outside a repository).
    #[arg(long, value_name = "PATH")]
    pub store: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The commits to build: `OLD..NEW` (OLD must be a first-parent ancestor of NEW).
    #[arg(long, value_name = "OLD..NEW", conflicts_with = "fix")]
    pub git: Option<String>,

    /// Build the Dockerfile as it is and as `hoist fix` would make it, and
    /// compare the two images (filesystem and config); writes nothing.
    #[arg(long)]
    pub fix: bool,

    /// With `--fix`: apply unsafe fixes too (they may change the image; the
    /// comparison shows whether they do).
    #[arg(long = "unsafe", requires = "fix")]
    pub unsafe_fixes: bool,

    /// With `--fix`: apply only the fixes of these rules (names or codes;
    /// comma-separated or repeated).
    #[arg(long, value_name = "NAME", value_delimiter = ',', requires = "fix")]
    pub select: Vec<String>,

    /// The Dockerfile (default: `Dockerfile` in the context). With `--git`, a
    /// path relative to the repository root; with `--fix`, an ordinary path.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Option<String>,

    /// The build context. With `--git`, relative to the repository root; with
    /// `--fix`, an ordinary path.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub context: String,

    /// Build argument of every build (`K=V`, or `K` to take it from the environment).
    #[arg(long = "build-arg", value_name = "K=V")]
    pub build_args: Vec<String>,

    /// Build this stage (default: the last stage).
    #[arg(long, value_name = "STAGE")]
    pub target: Option<String>,

    /// The buildx builder to use (needs the buildx plugin).
    #[arg(long, value_name = "NAME")]
    pub builder: Option<String>,

    /// With `--git`: the repository (default: the one holding the current directory).
    #[arg(long, value_name = "DIR", default_value = ".", conflicts_with = "fix")]
    pub repo: PathBuf,
}
