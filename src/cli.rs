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
