//! Syntax errors: what is wrong, and where (line, column, span) in the file.

use super::tree::Span;

/// A Dockerfile that BuildKit would reject, with the place to show the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{column}: {message}")]
pub struct SyntaxError {
    pub message: String,
    /// 1-based line and column (in characters) where the problem is.
    pub line: usize,
    pub column: usize,
    /// The bytes to underline in a code frame.
    pub span: Span,
    /// What the user can do about it, when there is something to say.
    pub help: Option<String>,
}
