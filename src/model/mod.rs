//! The build model: stages, the steps that become BuildKit vertices, and the
//! inputs that key each step's cache; `.dockerignore` matching.

pub mod build;
pub mod context;
pub mod ignore;
pub mod stage;
pub mod step;

pub use build::{Build, BuildOptions, ModelError, build};
pub use stage::{Base, Stage};
pub use step::{Component, ContextInput, External, Origin, StageInput, Step, StepKind};
