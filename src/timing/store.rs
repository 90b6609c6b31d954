//! The timings store: `.hoist/timings.json` in the repository, one run per
//! measured or imported build.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::model::{Build, StepKind};

use super::mapping::Mapping;

/// The schema version this hoist reads and writes.
pub const SCHEMA_VERSION: u32 = 1;

/// The store's path relative to the repository root.
pub const DEFAULT_PATH: &str = ".hoist/timings.json";

/// Why the store cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not a hoist timings store: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error(
        "{path}: schema version {found} is newer than this hoist understands ({SCHEMA_VERSION}); upgrade hoist"
    )]
    NewerVersion { path: PathBuf, found: u32 },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// One step of one run.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StepRecord {
    /// First line of the instruction in the Dockerfile.
    pub line: usize,
    /// Stage name, or `stage-N`.
    pub stage: String,
    /// The instruction as written (logical line, blanks collapsed).
    pub instruction: String,
    /// `from`, `run`, `copy`, `add`, `workdir`.
    pub kind: String,
    /// Measured seconds; absent when the log gives none.
    pub seconds: Option<f64>,
    pub cached: bool,
    /// The step failed (its seconds are not its cost).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub failed: bool,
}

/// One build.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Run {
    /// The Dockerfile, relative to the repository root, with `/` separators.
    pub dockerfile: String,
    /// When the build ran (RFC 3339).
    pub when: String,
    /// The builder (buildx builder name, `DOCKER_HOST`...), when known.
    pub builder: Option<String>,
    /// The target platform (`linux/amd64`), when known.
    pub platform: Option<String>,
    /// `measure`, `import:<file>` or `demo`.
    pub source: String,
    pub steps: Vec<StepRecord>,
}

/// Key of a step across runs: (stage, instruction).
pub type StepKey = (String, String);

/// All runs of a repository.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Store {
    version: u32,
    runs: Vec<Run>,
}

impl Default for Store {
    fn default() -> Self {
        Store {
            version: SCHEMA_VERSION,
            runs: Vec::new(),
        }
    }
}

impl StepRecord {
    /// The record of a build step with what the log said about it.
    pub fn new(build: &Build, step: usize, cached: bool, seconds: Option<f64>) -> StepRecord {
        let st = &build.steps[step];
        StepRecord {
            line: st.line,
            stage: build.stages[st.stage].display_name(),
            instruction: st.instruction.clone(),
            kind: kind_name(st.kind).to_string(),
            seconds,
            cached,
            failed: false,
        }
    }
}

/// `from`, `run`, `copy`, `add`, `workdir`.
pub fn kind_name(kind: StepKind) -> &'static str {
    match kind {
        StepKind::From => "from",
        StepKind::Run => "run",
        StepKind::Copy => "copy",
        StepKind::Add => "add",
        StepKind::Workdir => "workdir",
    }
}

/// The records of every step of a mapping, in build order.
pub fn records(build: &Build, mapping: &Mapping) -> Vec<StepRecord> {
    mapping
        .steps
        .iter()
        .map(|t| StepRecord {
            failed: mapping.failed.contains(&t.step),
            ..StepRecord::new(build, t.step, t.cached, t.seconds)
        })
        .collect()
}

/// `./a/Dockerfile` and `a/Dockerfile` are the same store key.
fn same_dockerfile(a: &str, b: &str) -> bool {
    let clean = |s: &str| s.trim_start_matches("./").replace('\\', "/");
    clean(a) == clean(b)
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

impl Store {
    /// Reads the store; a missing (or empty) file is an empty store.
    pub fn load(path: &Path) -> Result<Store, StoreError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Store::default()),
            Err(source) => {
                return Err(StoreError::Read {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        if text.trim().is_empty() {
            return Ok(Store::default());
        }
        let invalid = |message: String| StoreError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| invalid(e.to_string()))?;
        let version = value
            .get("version")
            .and_then(|v| v.as_u64())
            .ok_or_else(|| invalid("no `version` number".into()))?;
        if version > u64::from(SCHEMA_VERSION) {
            return Err(StoreError::NewerVersion {
                path: path.to_path_buf(),
                found: u32::try_from(version).unwrap_or(u32::MAX),
            });
        }
        serde_json::from_value(value).map_err(|e| invalid(e.to_string()))
    }

    pub fn add_run(&mut self, run: Run) {
        self.runs.push(run);
    }

    /// Writes the store atomically: a temporary file in the same folder,
    /// flushed to disk, then renamed over the store. Creates the folder.
    pub fn save(&self, path: &Path) -> Result<(), StoreError> {
        let write_err = |source: std::io::Error| StoreError::Write {
            path: path.to_path_buf(),
            source,
        };
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&dir).map_err(write_err)?;
        let mut text = serde_json::to_string_pretty(self).map_err(|e| write_err(e.into()))?;
        text.push('\n');
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "timings.json".into());
        let nonce = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let tmp = dir.join(format!(".{name}.{}.{nonce}.tmp", std::process::id()));
        let result = (|| {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
            drop(f);
            std::fs::rename(&tmp, path)?;
            // Make the rename itself durable (best effort: not every system
            // lets a folder be opened).
            if let Ok(d) = std::fs::File::open(&dir) {
                let _ = d.sync_all();
            }
            Ok(())
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result.map_err(write_err)
    }

    pub fn runs(&self) -> &[Run] {
        &self.runs
    }

    pub fn version(&self) -> u32 {
        self.version
    }

    /// For replay: the median measured seconds of every (stage, instruction) of
    /// `dockerfile` (repository-relative) over the runs where the step ran (not
    /// cached, not failed, with a time).
    pub fn step_seconds(&self, dockerfile: &str) -> BTreeMap<StepKey, f64> {
        let mut samples: BTreeMap<StepKey, Vec<f64>> = BTreeMap::new();
        for run in self
            .runs
            .iter()
            .filter(|r| same_dockerfile(&r.dockerfile, dockerfile))
        {
            for s in &run.steps {
                if let (false, false, Some(secs)) = (s.cached, s.failed, s.seconds) {
                    samples
                        .entry((s.stage.clone(), s.instruction.clone()))
                        .or_default()
                        .push(secs);
                }
            }
        }
        samples
            .into_iter()
            .filter_map(|(k, v)| median(v).map(|m| (k, m)))
            .collect()
    }
}

/// Where things are for a Dockerfile: the repository root holding it (the
/// nearest folder up with `.git`, else the Dockerfile's folder), the default
/// store path in it, and the Dockerfile's repository-relative path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub root: PathBuf,
    pub store: PathBuf,
    pub dockerfile: String,
}

/// See [`Located`]. The Dockerfile must exist.
pub fn locate(dockerfile: &Path) -> std::io::Result<Located> {
    let abs = dockerfile.canonicalize()?;
    let dir = abs.parent().unwrap_or(Path::new("/")).to_path_buf();
    let root = dir
        .ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
        .unwrap_or(dir);
    let rel = abs.strip_prefix(&root).unwrap_or(&abs);
    let dockerfile = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/");
    Ok(Located {
        store: root.join(DEFAULT_PATH),
        root,
        dockerfile,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(stage: &str, instruction: &str, seconds: Option<f64>, cached: bool) -> StepRecord {
        StepRecord {
            line: 1,
            stage: stage.into(),
            instruction: instruction.into(),
            kind: "run".into(),
            seconds,
            cached,
            failed: false,
        }
    }

    fn run(dockerfile: &str, steps: Vec<StepRecord>) -> Run {
        Run {
            dockerfile: dockerfile.into(),
            when: "2026-01-01T00:00:00Z".into(),
            builder: None,
            platform: None,
            source: "demo".into(),
            steps,
        }
    }

    #[test]
    fn medians_of_runs_that_ran() {
        let mut store = Store::default();
        for (secs, cached) in [(1.0, false), (3.0, false), (0.0, true), (2.0, false)] {
            store.add_run(run(
                "./Dockerfile",
                vec![rec("build", "RUN make", Some(secs), cached)],
            ));
        }
        let mut failed = rec("build", "RUN make", Some(100.0), false);
        failed.failed = true;
        store.add_run(run(
            "Dockerfile",
            vec![failed, rec("build", "RUN x", None, false)],
        ));
        store.add_run(run(
            "other/Dockerfile",
            vec![rec("build", "RUN make", Some(9.0), false)],
        ));
        let costs = store.step_seconds("Dockerfile");
        assert_eq!(costs.len(), 1);
        assert_eq!(costs[&("build".to_string(), "RUN make".to_string())], 2.0);
        assert_eq!(median(vec![4.0, 1.0]), Some(2.5));
    }
}
