//! The steps that become BuildKit vertices, and every input that keys each one.

use std::fmt;

/// What kind of vertex a step is (R1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StepKind {
    /// `FROM <image>`: an image source.
    From,
    Run,
    Copy,
    Add,
    /// `WORKDIR` other than `/`: a mkdir.
    Workdir,
}

/// Where an input's value came from, to explain a change in the user's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The instruction's own text.
    Instruction,
    /// An `ARG` declaration (line) whose value is in the input.
    Arg { name: String, line: usize },
    /// An `ENV` instruction (line).
    Env { name: String, line: usize },
    /// The base image's configuration (its ENV, WORKDIR, USER).
    Image,
    /// A `WORKDIR` instruction (line), or the default `/`.
    Workdir { line: Option<usize> },
    /// A `USER` instruction (line).
    User { line: usize },
    /// A `SHELL` instruction (line), or the default shell.
    Shell { line: Option<usize> },
    /// The build itself (platform, SOURCE_DATE_EPOCH).
    Build,
}

/// One named part of a step's definition (the op's own cache key, R1.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    /// What it is: `command`, `env COMMIT`, `cwd`, `user`, `dest`, `mount /root/.cache`...
    pub name: String,
    pub value: String,
    pub origin: Origin,
}

/// Paths of the build context a step reads; their bytes and modes key it (R3.1, R8.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextInput {
    /// Source as written after expansion, relative to the context root, cleaned
    /// (`.` for the whole context). May hold wildcards (R3.5).
    pub source: String,
    /// `--exclude` patterns of the COPY/ADD (R3.8).
    pub exclude: Vec<String>,
    /// How the instruction named it, for messages (`COPY . .`, `--mount source=go.mod`).
    pub via: String,
}

/// Bytes a step takes from another stage (`COPY --from`, `--mount from=`): keyed by
/// their content, not by the stage's definition (R6.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageInput {
    pub stage: usize,
    pub path: String,
}

/// An input hoist cannot see: its bytes live outside the repository (R9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum External {
    /// A base image by tag, not digest: the tag may move (R9.1, S-22).
    ImageTag(String),
    /// A base image by digest: stable.
    ImageDigest(String),
    /// `ADD <url>` without `--checksum`: BuildKit asks the server every build (R9.3).
    Url(String),
    /// `ADD <git>` at a ref that is not a full commit id (R9.4).
    Git(String),
}

/// A vertex of the build graph and its inputs.
#[derive(Debug, Clone)]
pub struct Step {
    /// Index of the stage in the file.
    pub stage: usize,
    /// Position among all steps of the file, in build order.
    pub index: usize,
    /// Position among the steps of its stage (0 = first vertex of the stage).
    pub ordinal: usize,
    pub line: usize,
    pub end_line: usize,
    pub kind: StepKind,
    /// The instruction as the user wrote it (first physical line, trimmed).
    pub instruction: String,
    /// The previous step of this stage (or of the stage it is `FROM`), if any.
    pub parent: Option<usize>,
    pub definition: Vec<Component>,
    pub context: Vec<ContextInput>,
    pub stages: Vec<StageInput>,
    pub external: Vec<External>,
    /// Parts of the key that only some BuildKit versions include (older
    /// engines key them, newer ones blank them): when only these change, the
    /// step is `uncertain`, not rebuilt (docs/engine.md, "the engine wins").
    pub versioned: Vec<Component>,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Instruction => write!(f, "the instruction"),
            Origin::Arg { name, line } => write!(f, "build arg {name} (declared line {line})"),
            Origin::Env { name, line } => write!(f, "ENV {name} (line {line})"),
            Origin::Image => write!(f, "the base image"),
            Origin::Workdir { line: Some(l) } => write!(f, "WORKDIR (line {l})"),
            Origin::Workdir { line: None } => write!(f, "the working directory"),
            Origin::User { line } => write!(f, "USER (line {line})"),
            Origin::Shell { line: Some(l) } => write!(f, "SHELL (line {l})"),
            Origin::Shell { line: None } => write!(f, "the default shell"),
            Origin::Build => write!(f, "the build settings"),
        }
    }
}
