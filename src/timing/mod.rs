//! Real build timings: reading BuildKit progress logs (`log`), mapping their
//! vertices back onto the model's steps (`mapping`), and the timings store in
//! the repository (`store`, `.hoist/timings.json`).
//!
//! Time values come only from logs and measurements: a step whose log carries
//! no time (a `CACHED` line, the legacy builder) has no seconds.

pub mod log;
pub mod mapping;
pub mod store;
pub mod time;

pub use log::{BuildLog, LogError, LogFormat, VertexTiming, parse_log};
pub use mapping::{Mapping, StepTiming, map_log, map_steps};
pub use store::{Run, StepRecord, Store, StoreError};
