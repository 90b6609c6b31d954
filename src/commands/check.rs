//! `hoist check`: run the cache rules on Dockerfiles and report the findings.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::cli::{CheckArgs, CheckFormat};
use hoist::history::Repo;
use hoist::model::{self, BuildOptions};
use hoist::predict::CacheMode;
use hoist::replay::ArgValue;
use hoist::replay::workflow;
use hoist::report;
use hoist::rules::{self, Churn, Config, Diagnostic, Facts};
use hoist::syntax;

/// The directory holding `.git` at or above `dir`.
pub(super) fn repo_root(dir: &Path) -> Option<PathBuf> {
    let abs = dir.canonicalize().ok()?;
    abs.ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
}

/// The nearest `hoist.toml` at or above `dir`, up to the repository root.
pub(super) fn find_config(dir: &Path) -> Option<PathBuf> {
    let abs = dir.canonicalize().ok()?;
    for d in abs.ancestors() {
        let p = d.join("hoist.toml");
        if p.is_file() {
            return Some(p);
        }
        if d.join(".git").exists() {
            break;
        }
    }
    None
}

/// What the repository's workflows say about one Dockerfile.
pub(super) fn workflow_facts(root: &Path, dockerfile: &Path) -> Facts {
    let mut facts = Facts::default();
    let Ok(abs) = dockerfile.canonicalize() else {
        return facts;
    };
    let Ok(rel) = abs.strip_prefix(root) else {
        return facts;
    };
    let rel = rel.to_string_lossy().replace('\\', "/");
    let Ok(entries) = std::fs::read_dir(root.join(workflow::WORKFLOW_DIR)) else {
        return facts;
    };
    let mut files: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    files.sort();
    for path in files {
        let name = path.to_string_lossy().into_owned();
        if !(name.ends_with(".yml") || name.ends_with(".yaml")) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let shown = format!(
            "{}/{}",
            workflow::WORKFLOW_DIR,
            path.file_name().unwrap_or_default().to_string_lossy()
        );
        let Ok(parsed) = workflow::parse_workflow(&shown, &text) else {
            continue;
        };
        for t in parsed.targets {
            if model::build::clean_path(&t.dockerfile) != rel {
                continue;
            }
            for (k, v) in &t.build_args {
                if matches!(v, ArgValue::PerCommit(_)) {
                    facts.volatile_args.insert(k.clone());
                }
            }
            if facts.context.is_none() {
                facts.context = Some(model::build::clean_path(&t.context));
            }
            if t.cache != CacheMode::Local && facts.ephemeral_ci.is_none() {
                facts.ephemeral_ci = Some(t.source.clone());
            }
        }
    }
    facts
}

/// Commits of recent history to read for `context-churn`.
const CHURN_COMMITS: usize = 200;

/// What the last commits changed in the context of `dockerfile` (its directory),
/// after its ignore file. `None` outside a repository or when history cannot be read.
fn history_churn(root: &Path, dockerfile: &Path, context: Option<&str>) -> Option<Churn> {
    let abs = dockerfile.canonicalize().ok()?;
    let dockerfile_dir = abs.parent()?;
    // The context: the workflow's, else the Dockerfile's directory.
    let context_dir = match context {
        Some(c) if c != "." && !c.is_empty() => root.join(c),
        Some(_) => root.to_path_buf(),
        None => dockerfile_dir.to_path_buf(),
    };
    let context_rel = context_dir
        .strip_prefix(root)
        .ok()?
        .to_string_lossy()
        .replace('\\', "/");
    let name = abs.file_name()?.to_string_lossy().into_owned();
    // BuildKit reads `<Dockerfile>.dockerignore` beside the Dockerfile first,
    // then the context's `.dockerignore`; the fix edits the one in effect,
    // named relative to the Dockerfile's directory.
    let own = dockerfile_dir.join(format!("{name}.dockerignore"));
    let (ignore_path, ignore_file) = if own.is_file() {
        (own, format!("{name}.dockerignore"))
    } else {
        let path = context_dir.join(".dockerignore");
        let shown = relative_to(dockerfile_dir, &path);
        (path, shown)
    };
    let ignore = super::read_ignore(&ignore_path).ok().flatten();
    let ignore_text = std::fs::read(&ignore_path).unwrap_or_default();
    let repo = Repo::open(root).ok()?;
    let head = repo.resolve("HEAD").ok()?;
    let walk = repo
        .first_parent_walk(head, None, Some(CHURN_COMMITS))
        .ok()?;
    let prefix = if context_rel.is_empty() {
        String::new()
    } else {
        format!("{context_rel}/")
    };
    let mut churn = Churn {
        ignore_file,
        ignore_text,
        ..Churn::default()
    };
    for c in walk {
        let Some(parent) = c.parent else { continue };
        let Ok(changes) = repo.diff(parent, c.id) else {
            continue;
        };
        let visible: Vec<String> = changes
            .iter()
            .filter_map(|ch| ch.path.strip_prefix(&prefix).map(str::to_string))
            .filter(|p| !ignore.as_ref().is_some_and(|i| i.is_excluded(p)))
            .collect();
        if visible.is_empty() {
            continue;
        }
        churn.commits += 1;
        if visible.iter().all(|p| docs_ci_or_tests(p)) {
            churn.docs_only.push(visible);
        }
    }
    Some(churn)
}

/// `path` relative to the directory `from` (`../.dockerignore`).
fn relative_to(from: &Path, path: &Path) -> String {
    let from: Vec<_> = from.components().collect();
    let to: Vec<_> = path.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_string(); from.len() - common];
    parts.extend(
        to[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}

/// Paths no image needs: documentation, CI configuration, tests.
fn docs_ci_or_tests(path: &str) -> bool {
    hoist::replay::classify::is_docs_or_ci(path)
        || path.starts_with("tests/")
        || path.starts_with("test/")
        || path.contains("/testdata/")
        || path.ends_with("_test.go")
}

/// Measured seconds per step from the repository's timings store, if any.
fn measured(dockerfile: &Path) -> std::collections::BTreeMap<(String, String), f64> {
    let Ok(loc) = hoist::timing::store::locate(dockerfile) else {
        return Default::default();
    };
    match hoist::timing::store::Store::load(&loc.store) {
        Ok(store) => store.step_seconds(&loc.dockerfile),
        Err(_) => Default::default(),
    }
}

/// What the rules read besides the Dockerfile: its `hoist.toml` (read once per
/// file found) with the command line's selection, and the repository's facts.
pub(super) struct Setup {
    select: Vec<String>,
    ignore: Vec<String>,
    configs: BTreeMap<Option<PathBuf>, Config>,
    /// The files of each context directory seen (many Dockerfiles may share one).
    /// Whether each context directory seen holds symbolic links at its top.
    links: std::cell::RefCell<BTreeMap<PathBuf, bool>>,
    listings: std::cell::RefCell<
        BTreeMap<PathBuf, Option<std::sync::Arc<std::collections::BTreeSet<String>>>>,
    >,
}

impl Setup {
    pub fn new(select: &[String], ignore: &[String]) -> Setup {
        Setup {
            select: select.to_vec(),
            ignore: ignore.to_vec(),
            configs: BTreeMap::new(),
            listings: Default::default(),
            links: Default::default(),
        }
    }

    fn dir(path: &Path) -> &Path {
        path.parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
    }

    /// The configuration that applies to the Dockerfile at `path`; `Err` is
    /// the message for a `hoist.toml` that does not parse.
    pub fn config(&mut self, path: &Path) -> Result<Config, String> {
        let config_path = find_config(Self::dir(path));
        let mut config = match self.configs.get(&config_path) {
            Some(c) => c.clone(),
            None => {
                let c = match &config_path {
                    None => Config::default(),
                    Some(p) => {
                        let text = std::fs::read_to_string(p).unwrap_or_default();
                        Config::parse(&text).map_err(|e| {
                            format!("{}:{}: error: {}", p.display(), e.line, e.message)
                        })?
                    }
                };
                self.configs.insert(config_path, c.clone());
                c
            }
        };
        if !self.select.is_empty() {
            config.select = self.select.clone();
        }
        config.ignore.extend(self.ignore.iter().cloned());
        Ok(config)
    }

    /// What the repository says about the Dockerfile (workflows; recent
    /// history and measured timings when the rules that read them are on).
    pub fn facts(&self, path: &Path, config: &Config) -> Facts {
        let dir = Self::dir(path);
        let context_files = config
            .enabled(&hoist::rules::dependency_install_after_source_copy::RULE)
            .then(|| {
                self.listings
                    .borrow_mut()
                    .entry(dir.to_path_buf())
                    .or_insert_with(|| {
                        // What the context sends: the ignore file's exclusions
                        // are not there for a COPY to find.
                        let ignore = super::read_ignore(&dir.join(".dockerignore"))
                            .ok()
                            .flatten();
                        std::fs::read_dir(dir).ok().map(|entries| {
                            std::sync::Arc::new(
                                entries
                                    .flatten()
                                    .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                                    .map(|e| e.file_name().to_string_lossy().into_owned())
                                    .filter(|n| !ignore.as_ref().is_some_and(|i| i.is_excluded(n)))
                                    .collect(),
                            )
                        })
                    })
                    .clone()
            })
            .flatten();
        let context_links = *self
            .links
            .borrow_mut()
            .entry(dir.to_path_buf())
            .or_insert_with(|| {
                std::fs::read_dir(dir).is_ok_and(|entries| {
                    entries
                        .flatten()
                        .any(|e| e.file_type().is_ok_and(|t| t.is_symlink()))
                })
            });
        let Some(root) = repo_root(Self::dir(path)) else {
            return Facts {
                context_files,
                context_links,
                ..Facts::default()
            };
        };
        let mut f = workflow_facts(&root, path);
        f.context_files = context_files;
        f.context_links = context_links;
        if config.enabled(&hoist::rules::context_churn::RULE) {
            f.churn = history_churn(&root, path, f.context.as_deref());
        }
        if config.enabled(&hoist::rules::low_value_layer::RULE) {
            f.step_seconds = measured(path);
        }
        f
    }
}

pub(super) fn usage(message: impl std::fmt::Display) -> anyhow::Result<ExitCode> {
    eprintln!("error: {message}");
    Ok(ExitCode::from(2))
}

pub fn run(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let files = match super::rule_inputs(&args.select, &args.ignore, &args.paths) {
        Ok(files) => files,
        Err(message) => return usage(message),
    };
    let color = std::io::stdout().is_terminal();
    let err_color = std::io::stderr().is_terminal();
    let mut input_error = false;
    let mut diags: Vec<Diagnostic> = Vec::new();
    let mut sources: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut setup = Setup::new(&args.select, &args.ignore);
    let mut failed = false;
    for path in &files {
        let shown = path.display().to_string();
        let shown = shown.strip_prefix("./").unwrap_or(&shown).to_string();
        let source = match std::fs::read(path) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: cannot read {shown}: {e}");
                input_error = true;
                continue;
            }
        };
        let file = match syntax::parse(&source) {
            Ok(f) => f,
            Err(err) => {
                eprintln!(
                    "{}",
                    report::diagnostic::render(&shown, &source, &err, err_color)
                );
                input_error = true;
                continue;
            }
        };
        let typed = match syntax::typed::typed(&file) {
            Ok(t) => t,
            Err(err) => {
                eprintln!(
                    "{}",
                    report::diagnostic::render(&shown, &source, &err, err_color)
                );
                input_error = true;
                continue;
            }
        };
        let build = match model::build(&file, &BuildOptions::default()) {
            Ok(b) => b,
            Err(model::ModelError::Syntax(err)) => {
                eprintln!(
                    "{}",
                    report::diagnostic::render(&shown, &source, &err, err_color)
                );
                input_error = true;
                continue;
            }
            Err(e) => {
                eprintln!("{shown}: error: {e}");
                input_error = true;
                continue;
            }
        };
        let config = match setup.config(path) {
            Ok(c) => c,
            Err(message) => {
                eprintln!("{message}");
                return Ok(ExitCode::from(2));
            }
        };
        let facts = setup.facts(path, &config);
        let input = rules::Input {
            path: &shown,
            file: &file,
            typed: &typed,
            build: &build,
            facts: &facts,
            config: &config,
        };
        let found = rules::check(&input);
        failed |= found.iter().any(|d| d.severity >= config.fail_on);
        diags.extend(found);
        sources.insert(shown, source);
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match args.format {
        CheckFormat::Text => {
            let lookup = |f: &str| sources.get(f).cloned();
            write!(out, "{}", report::check::text(&diags, &lookup, color))?;
        }
        CheckFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &report::check::json(&diags))?;
            writeln!(out)?;
        }
        CheckFormat::Sarif => {
            serde_json::to_writer_pretty(&mut out, &report::check::sarif(&diags))?;
            writeln!(out)?;
        }
        CheckFormat::Github => write!(out, "{}", report::check::github(&diags))?,
    }
    Ok(if input_error {
        ExitCode::from(2)
    } else if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
