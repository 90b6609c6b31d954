//! `--git OLD..NEW` inputs for `hoist impact` (placeholder until the history module lands).

use std::path::Path;

pub fn inputs(
    _range: &str,
    _repo: Option<&Path>,
    _context: &Path,
    _dockerfile: &Path,
    _ignore: Option<&Path>,
) -> anyhow::Result<(
    crate::commands::Inputs,
    crate::commands::Inputs,
    Vec<String>,
)> {
    anyhow::bail!("--git is not available yet")
}
