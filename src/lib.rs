//! hoist: build-cache analysis for Dockerfiles.
//!
//! The pipeline, one module per stage: `syntax` (lossless BuildKit-compatible
//! parser) → `model` (stages, steps, cache inputs) → `report` (every output format).

pub mod engine;
pub mod fix;
pub mod history;
pub mod model;
pub mod predict;
pub mod replay;
pub mod report;
pub mod rules;
pub mod syntax;
pub mod timing;
