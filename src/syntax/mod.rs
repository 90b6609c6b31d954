//! The Dockerfile syntax layer: a lossless tree read exactly as BuildKit reads it,
//! a typed view over it, variable expansion, and BuildKit's `Node.Dump()` text.

pub mod shell;
