//! Every output format lives here; nothing else prints to stdout.
