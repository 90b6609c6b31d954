//! Every output format lives here; nothing else prints to stdout.

pub mod diagnostic;
pub mod outline;
