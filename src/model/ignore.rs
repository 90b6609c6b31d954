//! placeholder, replaced by the ignore matcher
