//! placeholder, replaced by the shell lexer
