//! The Dockerfile syntax layer: a lossless tree read exactly as BuildKit reads it,
//! a typed view over it, variable expansion, and BuildKit's `Node.Dump()` text.
//! It knows nothing about caching.

pub mod dump;
pub mod error;
pub mod heredoc;
pub mod json;
pub mod mount;
pub mod parser;
pub mod shell;
pub mod split;
pub mod text;
pub mod tree;
pub mod typed;

pub use error::SyntaxError;
pub use parser::parse;
pub use tree::{Arg, Dockerfile, Heredoc, Instruction, Item, Span, Word};
