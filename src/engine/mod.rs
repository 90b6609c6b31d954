//! Real builds: hoist's predictions and costs checked against a real BuildKit.
//!
//! - [`docker`] runs a build through the user's `docker` client (`docker buildx
//!   build --progress=rawjson` when the buildx plugin is there, else
//!   `DOCKER_BUILDKIT=1 docker build --progress=plain`), echoing progress to
//!   stderr while capturing it; the log is read by [`crate::timing`].
//! - [`worktree`] materialises a commit's tree (modes and symlinks included)
//!   into a temporary directory: the "temporary worktree" of `hoist verify`.
//! - [`agreement`] predicts a build against every earlier build of a sequence
//!   (a local builder keeps all their records) and compares the prediction,
//!   step by step, with what the engine did.
//! - [`commits`] reads a build's inputs at a commit and the context paths
//!   that differ between two commits (empty directories included).
//! - [`image`] reads a built image (`docker export` of a container made
//!   from it, `docker image inspect`) and compares two: `verify --fix`'s
//!   proof that a fix builds the same image.
//! - [`report`] holds the text tables of `measure` and `verify`.
//! - [`progress`] renders a rawjson stream as plain-progress lines for people.
//!
//! hoist never needs its own daemon: it drives whatever builder the user's
//! client reaches (`DOCKER_HOST`, a buildx builder, a remote BuildKit).

pub mod agreement;
pub mod commits;
pub mod docker;
pub mod image;
pub mod progress;
pub mod report;
pub mod worktree;

pub use agreement::{Check, Earlier, Outcome, Status, Tally, check, predict_against_earlier};
pub use commits::{CommitState, changes_between};
pub use docker::{BuildOutput, BuildRequest, Docker, EngineError, ProgressFormat};
pub use worktree::{TempDir, materialize};
