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
