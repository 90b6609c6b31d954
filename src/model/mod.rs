//! The build model: which inputs key each step's cache.
//! Owns `.dockerignore` matching today; stages and steps come with the impact work.

pub mod ignore;
