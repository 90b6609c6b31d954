//! Every output format lives here; nothing else prints to stdout.

pub mod diagnostic;
pub mod impact;
pub mod outline;
