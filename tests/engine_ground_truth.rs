//! The ground-truth suite: tiny projects built on the real BuildKit in a
//! sequence of states; for every build after the first, hoist's prediction
//! (against every earlier build of the project, as a local builder holds their
//! records) must equal what the engine did, for every step except `FROM`
//! (BuildKit reports a local base image as cached or not arbitrarily).
//!
//! Every project is unique to the run: each stage starts with
//! `WORKDIR /s-<nonce>-<stage>` right after `FROM`, and every later key chains
//! on that vertex, so records of earlier test runs cannot serve any step
//! (COPY keys do not include ENV, so a nonce in an ENV would not do).
//!
//! Each build also states what the scenario is about (`expect`: one letter
//! per compared step, in file order: `C` cached, `R` ran, `U` hoist says
//! uncertain and either answer agrees), so a scenario that stops exercising
//! its rule fails too.
//!
//! Run: `eval "$(scripts/engine env)"; cargo test --test engine_ground_truth -- --nocapture`.
//! `HOIST_SCENARIO=name` runs the scenarios whose name contains `name`.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use hoist::engine::{self, BuildRequest, Docker, Earlier, Outcome, Status};
use hoist::model::{self, BuildOptions, StepKind, context, ignore::IgnoreFile};
use hoist::predict::{ContextChange, Verdict};
use hoist::syntax;
use hoist::timing;

// ------------------------------------------------------------------ harness

/// One context entry as BuildKit's checksum sees it (mtime left out on purpose).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    Dir(u32),
    File(u32, Vec<u8>),
    Link(PathBuf),
}

fn snapshot(root: &Path) -> BTreeMap<String, Entry> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Entry>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for p in entries {
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            let md = std::fs::symlink_metadata(&p).unwrap();
            let mode = md.permissions().mode() & 0o7777;
            if md.file_type().is_symlink() {
                out.insert(rel, Entry::Link(std::fs::read_link(&p).unwrap()));
            } else if md.is_dir() {
                out.insert(rel, Entry::Dir(mode));
                walk(root, &p, out);
            } else {
                out.insert(rel, Entry::File(mode, std::fs::read(&p).unwrap()));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// One built state of a project.
struct State {
    build: model::Build,
    files: BTreeMap<String, Entry>,
    ignore: Option<(String, IgnoreFile)>,
}

/// What one scenario found.
#[derive(Default)]
struct Outcomes {
    builds: usize,
    /// Steps compared after the first build: agreeing, and all.
    agree: usize,
    compared: usize,
    /// Uncertain predictions and what the engine did (`true` = cached).
    uncertain: Vec<bool>,
    from_skipped: usize,
    failures: Vec<String>,
    seconds: f64,
}

struct Project {
    name: &'static str,
    docker: Docker,
    dir: tempfile::TempDir,
    nonce: String,
    args: BTreeMap<String, String>,
    target: Option<String>,
    states: Vec<State>,
    out: Outcomes,
}

const BUILD_TIMEOUT: Duration = Duration::from_secs(300);

impl Project {
    fn new(name: &'static str, docker: Docker) -> Project {
        let dir = tempfile::Builder::new()
            .prefix("hoist-gt-")
            .tempdir()
            .expect("temporary directory");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        Project {
            name,
            docker,
            dir,
            nonce: support::nonce().replace('-', ""),
            args: BTreeMap::new(),
            target: None,
            states: Vec::new(),
            out: Outcomes::default(),
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Writes a file (mode 0644; `{n}` becomes the run's nonce), creating folders.
    fn file(&mut self, rel: &str, text: &str) -> &mut Self {
        let p = self.path(rel);
        if let Some(parent) = p.parent() {
            self.mkdir_path(parent);
        }
        std::fs::write(&p, text.replace("{n}", &self.nonce)).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        self
    }

    fn dockerfile(&mut self, text: &str) -> &mut Self {
        self.file("Dockerfile", text)
    }

    fn mkdir_path(&self, p: &Path) {
        if !p.exists() {
            if let Some(parent) = p.parent() {
                self.mkdir_path(parent);
            }
            std::fs::create_dir(p).unwrap();
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    }

    fn mkdir(&mut self, rel: &str) -> &mut Self {
        let p = self.path(rel);
        self.mkdir_path(&p);
        self
    }

    fn chmod(&mut self, rel: &str, mode: u32) -> &mut Self {
        std::fs::set_permissions(self.path(rel), std::fs::Permissions::from_mode(mode)).unwrap();
        self
    }

    /// Changes only the modification time.
    fn touch(&mut self, rel: &str) -> &mut Self {
        let f = std::fs::File::options()
            .write(true)
            .open(self.path(rel))
            .unwrap();
        f.set_modified(SystemTime::now() + Duration::from_secs(3600))
            .unwrap();
        self
    }

    fn remove(&mut self, rel: &str) -> &mut Self {
        std::fs::remove_file(self.path(rel)).unwrap();
        self
    }

    fn rename(&mut self, from: &str, to: &str) -> &mut Self {
        std::fs::rename(self.path(from), self.path(to)).unwrap();
        self
    }

    fn symlink(&mut self, rel: &str, target: &str) -> &mut Self {
        let p = self.path(rel);
        let _ = std::fs::remove_file(&p);
        std::os::unix::fs::symlink(target, p).unwrap();
        self
    }

    fn arg(&mut self, k: &str, v: &str) -> &mut Self {
        self.args.insert(k.to_string(), v.to_string());
        self
    }

    fn target(&mut self, t: &str) -> &mut Self {
        self.target = Some(t.to_string());
        self
    }

    fn fail(&mut self, msg: String) {
        self.out.failures.push(format!("{}: {msg}", self.name));
    }

    /// Builds the current state and compares. `expect` has one letter per
    /// compared (reachable, non-FROM) step in file order.
    fn build(&mut self, expect: &str) -> &mut Self {
        let n = self.states.len();
        let ctx = self.dir.path().to_path_buf();
        let df_path = ctx.join("Dockerfile");
        let text = std::fs::read(&df_path).unwrap();
        let parsed = syntax::parse(&text).expect("scenario Dockerfile parses");
        let opts = BuildOptions {
            build_args: self.args.clone(),
            target: self.target.clone(),
            platform: None,
        };
        let build = model::build(&parsed, &opts).expect("scenario Dockerfile models");
        let ignore = model::ignore::ignore_file_for(&df_path, &ctx, &|p| p.is_file()).map(|p| {
            let t = std::fs::read_to_string(p).unwrap();
            let parsed = IgnoreFile::parse(&t).expect("scenario ignore file parses");
            (t, parsed)
        });
        let files = snapshot(&ctx);

        let changes: Vec<ContextChange> = self
            .states
            .iter()
            .map(|old| change_between(old, &files, ignore.as_ref()))
            .collect();
        let earlier: Vec<Earlier> = self
            .states
            .iter()
            .zip(changes)
            .enumerate()
            .map(|(j, (s, change))| Earlier {
                build: &s.build,
                change,
                label: format!("state {}", j + 1),
            })
            .collect();
        let impacts = engine::predict_against_earlier(&build, &earlier);

        let t0 = Instant::now();
        let req = BuildRequest {
            context: &ctx,
            dockerfile: Some(&df_path),
            target: self.target.as_deref(),
            build_args: &self.args,
            echo: false,
            timeout: Some(BUILD_TIMEOUT),
        };
        let out = self.docker.build(&req).expect("docker build runs");
        self.out.seconds += t0.elapsed().as_secs_f64();
        self.out.builds += 1;
        if !out.success() {
            self.fail(format!(
                "build {} failed ({}):\n{}",
                n + 1,
                out.status,
                out.tail(30)
            ));
            return self.push(build, files, ignore);
        }
        let log = match timing::parse_log(&out.log) {
            Ok(l) => l,
            Err(e) => {
                self.fail(format!("build {}: cannot read the log: {e}", n + 1));
                return self.push(build, files, ignore);
            }
        };
        let mapping = timing::map_log(&build, &log);
        let checks = engine::check(&build, &impacts, &mapping);

        let compared: Vec<&engine::Check> = checks
            .iter()
            .filter(|c| build.steps[c.step].kind != StepKind::From)
            .collect();
        self.out.from_skipped += checks.len() - compared.len();
        let got: String = compared
            .iter()
            .map(|c| match (c.predicted, c.outcome) {
                (Verdict::Uncertain, _) => 'U',
                (_, Outcome::Cached) => 'C',
                (_, Outcome::Ran) => 'R',
                (_, Outcome::Failed) => 'F',
                (_, Outcome::Missing) => '-',
            })
            .collect();
        let engine_did: String = compared
            .iter()
            .map(|c| match c.outcome {
                Outcome::Cached => 'C',
                Outcome::Ran => 'R',
                Outcome::Failed => 'F',
                Outcome::Missing => '-',
            })
            .collect();
        let predicted: String = compared
            .iter()
            .map(|c| match c.predicted {
                Verdict::Cached => 'C',
                Verdict::Rebuilt => 'R',
                Verdict::Uncertain => 'U',
            })
            .collect();
        let mut problems = Vec::new();
        if n == 0 {
            // The first build of a unique project runs everything.
            if engine_did.chars().any(|c| c != 'R') {
                problems.push(format!(
                    "first build is not all ran: engine {engine_did} (records from another run?)"
                ));
            }
        } else {
            for c in &compared {
                self.out.compared += usize::from(c.status != Status::Uncertain);
                match c.status {
                    Status::Agree => self.out.agree += 1,
                    Status::Uncertain => self.out.uncertain.push(c.outcome == Outcome::Cached),
                    _ => {
                        let step = &build.steps[c.step];
                        problems.push(format!(
                            "line {} `{}`: hoist {} ({}), engine {}",
                            step.line, step.instruction, c.predicted, c.reason, c.outcome
                        ));
                    }
                }
            }
        }
        if got != expect && n > 0 || (n == 0 && engine_did != expect) {
            problems.push(format!(
                "scenario expects {expect}, got predicted {predicted} / engine {engine_did}"
            ));
        }
        let uncertain_note = compared
            .iter()
            .filter(|c| c.predicted == Verdict::Uncertain)
            .map(|c| {
                format!(
                    "line {} uncertain: engine {}",
                    build.steps[c.step].line, c.outcome
                )
            })
            .collect::<Vec<_>>();
        eprintln!(
            "  {:<34} build {}: predicted {predicted:<8} engine {engine_did:<8} {}{}",
            self.name,
            n + 1,
            if problems.is_empty() {
                "ok"
            } else {
                "MISMATCH"
            },
            if uncertain_note.is_empty() {
                String::new()
            } else {
                format!(" ({})", uncertain_note.join(", "))
            }
        );
        if !problems.is_empty() {
            let detail = format!(
                "build {}: {}\n--- log tail ---\n{}",
                n + 1,
                problems.join("; "),
                plain_summary(&log)
            );
            self.fail(detail);
        }
        self.push(build, files, ignore)
    }

    fn push(
        &mut self,
        build: model::Build,
        files: BTreeMap<String, Entry>,
        ignore: Option<(String, IgnoreFile)>,
    ) -> &mut Self {
        self.states.push(State {
            build,
            files,
            ignore,
        });
        self
    }
}

fn plain_summary(log: &timing::BuildLog) -> String {
    log.vertices
        .iter()
        .map(|v| format!("{} {}", v.name, if v.cached { "CACHED" } else { "DONE" }))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Context paths that differ between an earlier state and now, after the
/// ignore files of both (as `hoist verify` computes them from git).
fn change_between(
    old: &State,
    new: &BTreeMap<String, Entry>,
    new_ignore: Option<&(String, IgnoreFile)>,
) -> ContextChange {
    let keys: BTreeSet<&String> = old.files.keys().chain(new.keys()).collect();
    let changed: Vec<String> = keys
        .iter()
        .filter(|k| old.files.get(**k) != new.get(**k))
        .map(|k| k.to_string())
        .collect();
    let ignore_changed = old.ignore.as_ref().map(|(t, _)| t) != new_ignore.map(|(t, _)| t);
    let all: Option<Vec<String>> =
        ignore_changed.then(|| keys.iter().map(|k| k.to_string()).collect());
    ContextChange {
        paths: context::visible_changes(
            &changed,
            old.ignore.as_ref().map(|(_, i)| i),
            new_ignore.map(|(_, i)| i),
            all.as_deref(),
        ),
    }
}

// ------------------------------------------------------------------ scenarios

type Scenario = (&'static str, &'static str, fn(&mut Project));

/// (name, rule, body). Dockerfiles use `{n}` for the run's nonce.
const SCENARIOS: &[Scenario] = &[
    ("source_edit", "R3.1", |p| {
        p.dockerfile(
            "FROM hoist-base:1\nWORKDIR /s-{n}\nCOPY src/ ./src/\nRUN cat src/* > /out.txt\nCOPY README.md ./\nRUN echo done\n",
        )
        .file("src/a.txt", "a1\n")
        .file("README.md", "readme\n")
        .file("docs/guide.md", "guide\n")
        .build("RRRRR");
        p.file("src/a.txt", "a2\n").build("CRRRR");
        p.file("README.md", "readme 2\n").build("CCCRR");
        p.file("docs/guide.md", "guide 2\n").build("CCCCC");
    }),
    ("manifest_edit", "R3.1 R6.1", |p| {
        p.dockerfile(
            "FROM hoist-base:1\nWORKDIR /s-{n}\nCOPY go.mod go.sum ./\nRUN cat go.mod > /deps.txt\nCOPY . .\nRUN cat main.go > /app.txt\n",
        )
        .file("go.mod", "module x\n")
        .file("go.sum", "")
        .file("main.go", "package main\n")
        .build("RRRRR");
        p.file("main.go", "package main // 2\n").build("CCCRR");
        p.file("go.mod", "module x\nrequire y v1\n").build("CRRRR");
    }),
    ("wildcard_sources", "R3.5", |p| {
        p.dockerfile("FROM hoist-base:1\nWORKDIR /s-{n}\nCOPY *.json ./\nRUN cat *.json > /cfg\n")
            .file("a.json", "{}\n")
            .file("notes.txt", "n\n")
            .build("RRR");
        p.file("notes.txt", "n2\n").build("CCC");
        p.file("b.json", "[]\n").build("CRR");
        p.rename("b.json", "c.json").build("CRR");
    }),
    ("declared_unused_arg", "R5.3 S-1", |p| {
        p.dockerfile(
            "FROM hoist-base:1\nWORKDIR /s-{n}\nARG BUILD_ID\nCOPY a.txt ./\nRUN cat a.txt\nRUN echo second\n",
        )
        .file("a.txt", "a\n")
        .arg("BUILD_ID", "1")
        .build("RRRR");
        p.arg("BUILD_ID", "2").build("CCRR");
    }),
    ("arg_between_copy_and_run", "R5.3", |p| {
        p.dockerfile(
            "FROM hoist-base:1\nWORKDIR /s-{n}\nCOPY a.txt ./\nRUN cat a.txt > /one\nARG V\nCOPY b.txt ./\nRUN cat b.txt\n",
        )
        .file("a.txt", "a\n")
        .file("b.txt", "b\n")
        .arg("V", "1")
        .build("RRRRR");
        p.arg("V", "2").build("CCCCR");
    }),
    ("arg_value_equal_to_default", "R5.3 e6-e", |p| {
        p.dockerfile("FROM hoist-base:1\nWORKDIR /s-{n}\nARG V=1\nRUN echo $V\n")
            .build("RR");
        p.arg("V", "1").build("CC");
        p.arg("V", "2").build("CR");
    }),
    ("env_change_skips_copy", "R3.4 S-2", |p| {
        p.dockerfile("FROM hoist-base:1\nWORKDIR /s-{n}\nENV E=1\nCOPY a.txt ./\nRUN cat a.txt\n")
            .file("a.txt", "a\n")
            .build("RRR");
        p.dockerfile("FROM hoist-base:1\nWORKDIR /s-{n}\nENV E=2\nCOPY a.txt ./\nRUN cat a.txt\n")
            .build("CCR");
    }),
    ("env_order", "S-9 S-12", |p| {
        p.dockerfile(
            "FROM hoist-base:1\nWORKDIR /s-{n}\nENV X=1\nENV Y=2\nCOPY a.txt ./\nRUN env\n",
        )
        .file("a.txt", "a\n")
        .build("RRR");
        p.dockerfile(
            "FROM hoist-base:1\nWORKDIR /s-{n}\nENV Y=2\nENV X=1\nCOPY a.txt ./\nRUN env\n",
        )
        .build("CCR");
        p.dockerfile(
            "FROM hoist-base:1\nWORKDIR /s-{n}\nENV X=1\nENV Y=2\nCOPY a.txt ./\nRUN env\n",
        )
        .build("CCC");
    }),
    ("env_same_value_moves", "R4.5 S-9", |p| {
        p.dockerfile("FROM hoist-base:1\nWORKDIR /s-{n}\nENV X=1\nENV Y=2\nRUN env\n")
            .build("RR");
        p.dockerfile("FROM hoist-base:1\nWORKDIR /s-{n}\nENV X=1\nENV Y=2\nENV X=1\nRUN env\n")
            .build("CR");
    }),
    ("label_edit", "R4.8 S-3", |p| {
        p.dockerfile(
            "FROM hoist-base:1\nWORKDIR /s-{n}\nLABEL version=1\nCOPY a.txt ./\nRUN cat a.txt\n",
        )
        .file("a.txt", "a\n")
        .build("RRR");
        p.dockerfile(
            "FROM hoist-base:1\nWORKDIR /s-{n}\nLABEL version=2 team=x\nCOPY a.txt ./\nRUN cat a.txt\n",
        )
        .build("CCC");
    }),
    ("cmd_expose_edits", "R4.8 S-3", |p| {
        p.dockerfile(
            "FROM hoist-base:1\nWORKDIR /s-{n}\nRUN echo one\nEXPOSE 80\nCMD [\"sh\"]\nRUN echo two\n",
        )
        .build("RRR");
        p.dockerfile(
            "FROM hoist-base:1\nWORKDIR /s-{n}\nRUN echo one\nEXPOSE 81\nCMD [\"echo\", \"x\"]\nENTRYPOINT [\"/bin/sh\", \"-c\"]\nSTOPSIGNAL SIGTERM\nVOLUME /data\nRUN echo two\n",
        )
        .build("CCC");
    }),
    ("workdir_change", "R4.3 S-21", |p| {
        p.dockerfile(
            "FROM hoist-base:1\nWORKDIR /s-{n}\nWORKDIR app\nCOPY a.txt .\nRUN cat a.txt\n",
        )
        .file("a.txt", "a\n")
        .build("RRRR");
        p.dockerfile(
            "FROM hoist-base:1\nWORKDIR /s-{n}\nWORKDIR app2\nCOPY a.txt .\nRUN cat a.txt\n",
        )
        .build("CRRR");
    }),
    ("user_before_copy", "R4.4 R3.4", |p| {
        p.dockerfile("FROM hoist-base:1\nWORKDIR /s-{n}\nCOPY a.txt ./\nRUN cat a.txt\n")
            .file("a.txt", "a\n")
            .build("RRR");
        p.dockerfile(
            "FROM hoist-base:1\nWORKDIR /s-{n}\nUSER 1000\nCOPY a.txt ./\nRUN cat a.txt\n",
        )
        .build("CCR");
    }),
    ("user_owns_workdir", "R4.4 R4.3", |p| {
        p.dockerfile("FROM hoist-base:1\nWORKDIR /s-{n}\nWORKDIR sub\nRUN pwd\n")
            .build("RRR");
        p.dockerfile("FROM hoist-base:1\nWORKDIR /s-{n}\nUSER 1000\nWORKDIR sub\nRUN pwd\n")
            .build("CRR");
    }),
    ("dockerignore_root_pattern", "R7.3", |p| {
        p.dockerfile("FROM hoist-base:1\nWORKDIR /s-{n}\nCOPY . ./\nRUN ls -R > /ls\n")
            .file(".dockerignore", "*.log\n")
            .file("a.txt", "a\n")
            .file("top.log", "1\n")
            .file("sub/nested.log", "1\n")
            .build("RRR");
        p.file("top.log", "2\n").build("CCC");
        p.file("sub/nested.log", "2\n").build("CRR");
    }),
    ("dockerignore_exception", "R7.4", |p| {
        p.dockerfile("FROM hoist-base:1\nWORKDIR /s-{n}\nCOPY . ./\nRUN ls -R > /ls\n")
            .file(".dockerignore", "build\n!build/keep.txt\n")
            .file("build/keep.txt", "k\n")
            .file("build/other.txt", "o\n")
            .build("RRR");
        p.file("build/other.txt", "o2\n").build("CCC");
        p.file("build/keep.txt", "k2\n").build("CRR");
    }),
    ("dockerignore_doublestar", "R7.3 e9", |p| {
        p.dockerfile("FROM hoist-base:1\nWORKDIR /s-{n}\nCOPY . ./\nRUN ls -R > /ls\n")
            .file(".dockerignore", "**/*.log\n!keep.log\n")
            .file("keep.log", "k\n")
            .file("sub/a.log", "a\n")
            .file("sub/keep.log", "k\n")
            .build("RRR");
        p.file("sub/a.log", "a2\n").build("CCC");
        p.file("sub/keep.log", "k2\n").build("CCC");
        p.file("keep.log", "k2\n").build("CRR");
    }),
    ("dockerignore_edit", "R7.5", |p| {
        p.dockerfile("FROM hoist-base:1\nWORKDIR /s-{n}\nCOPY . ./\nRUN ls -R > /ls\n")
            .file(".dockerignore", ".dockerignore\nDockerfile\n")
            .file("a.txt", "a\n")
            .file("docs/a.md", "doc\n")
            .build("RRR");
        p.file(".dockerignore", ".dockerignore\nDockerfile\ndocs\n")
            .build("CRR");
        p.file("docs/a.md", "doc 2\n").build("CCC");
        p.file(".dockerignore", ".dockerignore\nDockerfile\ndocs\n*.bak\n")
            .build("CCC");
    }),
    ("dockerfile_ignored", "S-4 e3-f", |p| {
        p.dockerfile("FROM hoist-base:1\nWORKDIR /s-{n}\nCOPY . ./\nRUN ls > /ls\n")
            .file(".dockerignore", "Dockerfile\n")
            .file("a.txt", "a\n")
            .build("RRR");
        p.dockerfile("# a comment\nFROM hoist-base:1\nWORKDIR /s-{n}\nCOPY . ./\nRUN ls > /ls\n")
            .build("CCC");
    }),
    ("dockerfile_in_copy_dot", "S-4", |p| {
        p.dockerfile("FROM hoist-base:1\nWORKDIR /s-{n}\nCOPY . ./\nRUN ls > /ls\n")
            .file("a.txt", "a\n")
            .build("RRR");
        p.dockerfile("# a comment\nFROM hoist-base:1\nWORKDIR /s-{n}\nCOPY . ./\nRUN ls > /ls\n")
            .build("CRR");
    }),
    ("comments_blank_lines_case", "R1.4 R2.6", |p| {
        p.dockerfile("FROM hoist-base:1\nWORKDIR /s-{n}\nCOPY a.txt ./\nRUN cat a.txt\n")
            .file("a.txt", "a\n")
            .build("RRR");
        p.dockerfile(
            "# why\nFROM hoist-base:1\n\nworkdir /s-{n}\n# copy it\nCOPY a.txt ./\n\n\nrun cat a.txt\n",
        )
        .build("CCC");
    }),
    ("empty_new_folder", "S-5 R3.3", |p| {
        p.dockerfile("FROM hoist-base:1\nWORKDIR /s-{n}\nCOPY . ./\nRUN ls -R > /ls\n")
            .file(".dockerignore", "**/*.log\n")
            .file("a.txt", "a\n")
            .build("RRR");
        p.file("newdir/only.log", "ignored\n").build("CRR");
        p.mkdir("emptydir").build("CRR");
        p.file("newdir/second.log", "ignored\n").build("CCC");
    }),
    ("mode_change", "R3.2 S-6", |p| {
        p.dockerfile("FROM hoist-base:1\nWORKDIR /s-{n}\nCOPY run.sh ./\nRUN ls -l run.sh\n")
            .file("run.sh", "echo hi\n")
            .file("other.sh", "echo other\n")
            .build("RRR");
        p.chmod("run.sh", 0o755).build("CRR");
        p.chmod("other.sh", 0o755).build("CCC");
    }),
    ("mtime_touch", "R3.2", |p| {
        p.dockerfile("FROM hoist-base:1\nWORKDIR /s-{n}\nCOPY a.txt ./\nRUN cat a.txt\n")
            .file("a.txt", "a\n")
            .build("RRR");
        p.touch("a.txt").build("CCC");
    }),
    ("chmod_flag_does_not_help", "S-6 e5-c", |p| {
        p.dockerfile(
            "FROM hoist-base:1\nWORKDIR /s-{n}\nCOPY --chmod=600 data.txt ./\nRUN ls -l data.txt\n",
        )
        .file("data.txt", "d\n")
        .build("RRR");
        p.chmod("data.txt", 0o664).build("CRR");
    }),
    ("copy_from_changed_bytes", "R6.4", |p| {
        p.dockerfile(
            "FROM hoist-base:1 AS build\nWORKDIR /s-{n}-b\nARG V=1\nRUN echo \"v$V\" > /out.txt\n\
             FROM hoist-base:1\nWORKDIR /s-{n}-f\nCOPY --from=build /out.txt ./\nRUN cat out.txt\n",
        )
        .build("RRRRR");
        p.arg("V", "2").build("CRCUU");
    }),
    ("copy_from_identical_bytes", "R6.4 S-8", |p| {
        p.dockerfile(
            "FROM hoist-base:1 AS build\nWORKDIR /s-{n}-b\nARG V=1\nRUN echo same > /out.txt\n\
             FROM hoist-base:1\nWORKDIR /s-{n}-f\nCOPY --from=build /out.txt ./\nRUN cat out.txt\n",
        )
        .build("RRRRR");
        p.arg("V", "2").build("CRCUU");
    }),
    ("copy_from_untouched_stage", "R6.4 R6.1", |p| {
        p.dockerfile(
            "FROM hoist-base:1 AS build\nWORKDIR /s-{n}-b\nCOPY lib.txt ./\nRUN cat lib.txt > /lib.out\n\
             FROM hoist-base:1\nWORKDIR /s-{n}-f\nCOPY --from=build /lib.out ./\nCOPY app.txt ./\nRUN cat lib.out app.txt\n",
        )
        .file("lib.txt", "lib\n")
        .file("app.txt", "app\n")
        .build("RRRRRRR");
        p.file("app.txt", "app 2\n").build("CCCCCRR");
        p.file("lib.txt", "lib 2\n").build("CRRCUUU");
    }),
    ("unreachable_stage", "R6.3 S-20", |p| {
        p.dockerfile(
            "FROM hoist-base:1 AS unused\nWORKDIR /s-{n}-u\nRUN echo unused1\n\
             FROM hoist-base:1 AS build\nWORKDIR /s-{n}-b\nRUN echo built > /b.txt\n\
             FROM hoist-base:1\nWORKDIR /s-{n}-f\nCOPY --from=build /b.txt ./\n",
        )
        .build("RRRR");
        p.dockerfile(
            "FROM hoist-base:1 AS unused\nWORKDIR /s-{n}-u\nRUN echo unused2 && exit 1\n\
             FROM hoist-base:1 AS build\nWORKDIR /s-{n}-b\nRUN echo built > /b.txt\n\
             FROM hoist-base:1\nWORKDIR /s-{n}-f\nCOPY --from=build /b.txt ./\n",
        )
        .build("CCCC");
    }),
    ("target_stage", "R6.3 --target", |p| {
        p.dockerfile(
            "FROM hoist-base:1 AS build\nWORKDIR /s-{n}-b\nCOPY src.txt ./\nRUN cat src.txt > /o\n\
             FROM hoist-base:1 AS test\nWORKDIR /s-{n}-t\nCOPY test.txt ./\nRUN cat test.txt\n",
        )
        .file("src.txt", "s\n")
        .file("test.txt", "t\n")
        .target("build")
        .build("RRR");
        p.file("test.txt", "t2\n").build("CCC");
        p.file("src.txt", "s2\n").build("CRR");
        p.target("test").build("RRR");
    }),
    ("bind_mount_source", "R8.1", |p| {
        p.dockerfile(
            "FROM hoist-base:1\nWORKDIR /s-{n}\nCOPY a.txt ./\nRUN --mount=type=bind,source=cfg,target=/cfg cat /cfg/x.conf\n",
        )
        .file("a.txt", "a\n")
        .file("cfg/x.conf", "x=1\n")
        .file("other.txt", "o\n")
        .build("RRR");
        p.file("cfg/x.conf", "x=2\n").build("CCR");
        p.file("other.txt", "o2\n").build("CCC");
    }),
    ("bind_mount_whole_context", "S-16 R8.1", |p| {
        p.dockerfile(
            "FROM hoist-base:1\nWORKDIR /s-{n}\nRUN --mount=type=bind,target=/src ls /src\n",
        )
        .file("any.txt", "a\n")
        .build("RR");
        p.file("any.txt", "a2\n").build("CR");
    }),
    ("cache_mount", "R8.2 S-17", |p| {
        p.dockerfile(
            "FROM hoist-base:1\nWORKDIR /s-{n}\nCOPY a.txt ./\nRUN --mount=type=cache,target=/cache cat a.txt >> /cache/log; cat /cache/log\n",
        )
        .file("a.txt", "a\n")
        .file("other.txt", "o\n")
        .build("RRR");
        p.file("other.txt", "o2\n").build("CCC");
        p.file("a.txt", "a2\n").build("CRR");
    }),
    ("cache_mount_target", "R8.2", |p| {
        p.dockerfile(
            "FROM hoist-base:1\nWORKDIR /s-{n}\nRUN --mount=type=cache,target=/cache echo x >> /cache/log\n",
        )
        .build("RR");
        p.dockerfile(
            "FROM hoist-base:1\nWORKDIR /s-{n}\nRUN --mount=type=cache,target=/cache2 echo x >> /cache2/log\n",
        )
        .build("CR");
    }),
    ("shell_change", "R4.6 e8-c", |p| {
        p.dockerfile("FROM hoist-base:1\nWORKDIR /s-{n}\nRUN echo a\nRUN [\"echo\", \"b\"]\n")
            .build("RRR");
        p.dockerfile(
            "FROM hoist-base:1\nWORKDIR /s-{n}\nSHELL [\"/bin/sh\", \"-ec\"]\nRUN echo a\nRUN [\"echo\", \"b\"]\n",
        )
        .build("CRR");
    }),
    ("shell_exec_form_unaffected", "R4.6", |p| {
        p.dockerfile("FROM hoist-base:1\nWORKDIR /s-{n}\nRUN [\"echo\", \"x\"]\n")
            .build("RR");
        p.dockerfile(
            "FROM hoist-base:1\nWORKDIR /s-{n}\nSHELL [\"/bin/sh\", \"-ec\"]\nRUN [\"echo\", \"x\"]\n",
        )
        .build("CC");
    }),
    ("revert_dockerfile", "R1.5 S-12", |p| {
        p.dockerfile("FROM hoist-base:1\nWORKDIR /s-{n}\nRUN echo v1\nRUN echo after\n")
            .build("RRR");
        p.dockerfile("FROM hoist-base:1\nWORKDIR /s-{n}\nRUN echo v2\nRUN echo after\n")
            .build("CRR");
        p.dockerfile("FROM hoist-base:1\nWORKDIR /s-{n}\nRUN echo v1\nRUN echo after\n")
            .build("CCC");
    }),
    ("revert_content", "R1.5 R3.2", |p| {
        p.dockerfile("FROM hoist-base:1\nWORKDIR /s-{n}\nCOPY a.txt ./\nRUN cat a.txt\n")
            .file("a.txt", "v1\n")
            .build("RRR");
        p.file("a.txt", "v2\n").build("CRR");
        p.file("a.txt", "v1\n").build("CCC");
    }),
    ("revert_dockerfile_not_content", "R1.5 R3.1", |p| {
        // The RUN line goes back to an earlier state's text while the copied
        // file moved on: the old record does not serve the COPY.
        p.dockerfile(
            "FROM hoist-base:1\nWORKDIR /s-{n}\nRUN echo x\nCOPY a.txt ./\nRUN cat a.txt\n",
        )
        .file("a.txt", "v1\n")
        .build("RRRR");
        p.dockerfile(
            "FROM hoist-base:1\nWORKDIR /s-{n}\nRUN echo y\nCOPY a.txt ./\nRUN cat a.txt\n",
        )
        .file("a.txt", "v2\n")
        .build("CRRR");
        p.dockerfile(
            "FROM hoist-base:1\nWORKDIR /s-{n}\nRUN echo x\nCOPY a.txt ./\nRUN cat a.txt\n",
        )
        .build("CCRR");
    }),
    ("undeclared_build_arg", "R5.6", |p| {
        p.dockerfile("FROM hoist-base:1\nWORKDIR /s-{n}\nRUN echo x\n")
            .build("RR");
        p.arg("UNDECLARED", "1").build("CC");
        p.arg("UNDECLARED", "2").build("CC");
    }),
    ("proxy_arg_undeclared", "R5.7 S-18", |p| {
        p.dockerfile("FROM hoist-base:1\nWORKDIR /s-{n}\nRUN echo x\n")
            .build("RR");
        p.arg("HTTP_PROXY", "http://proxy1:3128").build("CC");
        p.arg("HTTP_PROXY", "http://proxy2:3128").build("CC");
    }),
    ("proxy_arg_declared", "R5.7", |p| {
        p.dockerfile("FROM hoist-base:1\nWORKDIR /s-{n}\nARG HTTP_PROXY\nRUN echo x\n")
            .arg("HTTP_PROXY", "http://proxy1:3128")
            .build("RR");
        p.arg("HTTP_PROXY", "http://proxy2:3128").build("CR");
    }),
    ("arg_after_env", "S-10", |p| {
        p.dockerfile("FROM hoist-base:1\nWORKDIR /s-{n}\nENV X=a\nARG X\nRUN echo $X\n")
            .arg("X", "b")
            .build("RR");
        p.arg("X", "c").build("CR");
    }),
    ("arg_scope_per_stage", "R5.4 e6-b", |p| {
        p.dockerfile(
            "FROM hoist-base:1 AS one\nWORKDIR /s-{n}-1\nARG S1\nRUN echo \"one $S1\" > /one.txt\n\
             FROM hoist-base:1\nWORKDIR /s-{n}-2\nRUN echo two > /two.txt\nCOPY --from=one /one.txt ./\n",
        )
        .arg("S1", "a")
        .build("RRRRR");
        p.arg("S1", "b").build("CRCCU");
    }),
    ("global_arg_redeclared", "R5.5 e6-c", |p| {
        p.dockerfile(
            "ARG G=1\nFROM hoist-base:1 AS one\nWORKDIR /s-{n}-1\nRUN echo one > /one\n\
             FROM hoist-base:1\nWORKDIR /s-{n}-2\nARG G\nRUN echo two\nCOPY --from=one /one ./\n",
        )
        .build("RRRRR");
        p.arg("G", "2").build("CCCRR");
    }),
    ("global_arg_not_redeclared", "R5.1 e6-d", |p| {
        p.dockerfile("ARG G=1\nFROM hoist-base:1\nWORKDIR /s-{n}\nRUN echo x\n")
            .build("RR");
        p.arg("G", "2").build("CC");
    }),
    ("arg_in_copy_dest", "R5.3 R2.8", |p| {
        p.dockerfile("FROM hoist-base:1\nWORKDIR /s-{n}\nARG D=a\nCOPY a.txt $D/\nRUN ls -R\n")
            .file("a.txt", "a\n")
            .build("RRR");
        p.arg("D", "b").build("CRR");
    }),
    ("from_stage_inherits", "R6.2", |p| {
        p.dockerfile(
            "FROM hoist-base:1 AS base\nWORKDIR /s-{n}-b\nRUN echo base > /base.txt\nFROM base\nRUN cat /base.txt\n",
        )
        .build("RRR");
        p.dockerfile(
            "FROM hoist-base:1 AS base\nWORKDIR /s-{n}-b\nRUN echo base2 > /base.txt\nFROM base\nRUN cat /base.txt\n",
        )
        .build("CRR");
    }),
    ("run_text_whitespace_case", "R2.6", |p| {
        p.dockerfile("FROM hoist-base:1\nWORKDIR /s-{n}\nRUN echo a b\n")
            .build("RR");
        p.dockerfile("FROM hoist-base:1\nWORKDIR /s-{n}\nRUN echo a  b\n")
            .build("CR");
        p.dockerfile("FROM hoist-base:1\nWORKDIR /s-{n}\nrun    echo a  b\n")
            .build("CC");
    }),
    ("continuation_comment_indent", "R2.4 R2.6 e12", |p| {
        p.dockerfile("FROM hoist-base:1\nWORKDIR /s-{n}\nRUN echo a \\\n    b\n")
            .build("RR");
        p.dockerfile("FROM hoist-base:1\nWORKDIR /s-{n}\nRUN echo a \\\n# note\n    b\n")
            .build("CC");
        p.dockerfile("FROM hoist-base:1\nWORKDIR /s-{n}\nRUN echo a \\\n  b\n")
            .build("CR");
    }),
    ("copy_chown", "R3.8", |p| {
        p.dockerfile("FROM hoist-base:1\nWORKDIR /s-{n}\nCOPY a.txt ./\nRUN ls -ln a.txt\n")
            .file("a.txt", "a\n")
            .build("RRR");
        p.dockerfile(
            "FROM hoist-base:1\nWORKDIR /s-{n}\nCOPY --chown=1000:1000 a.txt ./\nRUN ls -ln a.txt\n",
        )
        .build("CRR");
    }),
    ("multiple_sources", "R3.6", |p| {
        p.dockerfile(
            "FROM hoist-base:1\nWORKDIR /s-{n}\nCOPY a.txt b.txt ./\nRUN cat a.txt b.txt\n",
        )
        .file("a.txt", "a\n")
        .file("b.txt", "b\n")
        .build("RRR");
        p.file("b.txt", "b2\n").build("CRR");
    }),
    ("deleted_file", "R3.3", |p| {
        p.dockerfile("FROM hoist-base:1\nWORKDIR /s-{n}\nCOPY src/ ./src/\nRUN ls src\n")
            .file("src/a.txt", "a\n")
            .file("src/b.txt", "b\n")
            .build("RRR");
        p.remove("src/b.txt").build("CRR");
    }),
    ("symlink", "R3.2", |p| {
        p.dockerfile("FROM hoist-base:1\nWORKDIR /s-{n}\nCOPY . ./\nRUN ls -l > /ls\n")
            .file("a.txt", "a\n")
            .file("b.txt", "b\n")
            .build("RRR");
        p.symlink("link", "a.txt").build("CRR");
        p.symlink("link", "b.txt").build("CRR");
    }),
    ("tmpfs_mount", "R8.3", |p| {
        p.dockerfile(
            "FROM hoist-base:1\nWORKDIR /s-{n}\nCOPY a.txt ./\nRUN --mount=type=tmpfs,target=/t cp a.txt /t/ && ls /t\n",
        )
        .file("a.txt", "a\n")
        .file("other.txt", "o\n")
        .build("RRR");
        p.file("other.txt", "o2\n").build("CCC");
        p.dockerfile(
            "FROM hoist-base:1\nWORKDIR /s-{n}\nCOPY a.txt ./\nRUN --mount=type=tmpfs,target=/t2 cp a.txt /t2/ && ls /t2\n",
        )
        .build("CCR");
    }),
    (
        "cache_mount_id_and_sharing",
        "R8.2 (version-dependent)",
        |p| {
            p.dockerfile(
            "FROM hoist-base:1\nWORKDIR /s-{n}\nRUN --mount=type=cache,target=/c echo x >> /c/log\n",
        )
        .build("RR");
            // Leaving the default id (= target) re-keys the RUN on every version.
            p.dockerfile(
            "FROM hoist-base:1\nWORKDIR /s-{n}\nRUN --mount=type=cache,id=a-{n},sharing=locked,target=/c echo x >> /c/log\n",
        )
        .build("CR");
            // Another explicit id: BuildKit v0.13+ blanks it, older engines (this
            // one) key it.
            p.dockerfile(
            "FROM hoist-base:1\nWORKDIR /s-{n}\nRUN --mount=type=cache,id=b-{n},sharing=locked,target=/c echo x >> /c/log\n",
        )
        .build("CU");
            // The default spelled out is the default.
            p.dockerfile(
            "FROM hoist-base:1\nWORKDIR /s-{n}\nRUN --mount=type=cache,id=/c,sharing=shared,target=/c echo x >> /c/log\n",
        )
        .build("CC");
        },
    ),
    ("add_local_file", "R3.9 R3.1", |p| {
        p.dockerfile("FROM hoist-base:1\nWORKDIR /s-{n}\nADD a.txt ./\nRUN cat a.txt\n")
            .file("a.txt", "a\n")
            .file("b.txt", "b\n")
            .build("RRR");
        p.file("b.txt", "b2\n").build("CCC");
        p.file("a.txt", "a2\n").build("CRR");
    }),
    ("copy_from_stage_index", "R6.3 R6.4", |p| {
        p.dockerfile(
            "FROM hoist-base:1\nWORKDIR /s-{n}-0\nCOPY a.txt /a.txt\n\
             FROM hoist-base:1\nWORKDIR /s-{n}-1\nCOPY --from=0 /a.txt ./\nRUN cat a.txt\n",
        )
        .file("a.txt", "a\n")
        .build("RRRRR");
        p.file("a.txt", "a2\n").build("CRCUU");
    }),
    ("env_one_instruction_old_values", "R2.7 R4.1", |p| {
        p.dockerfile("FROM hoist-base:1\nWORKDIR /s-{n}\nENV A=1\nENV A=2 B=$A\nRUN echo $B\n")
            .build("RR");
        // B keeps the value A had before the instruction: still 1.
        p.dockerfile("FROM hoist-base:1\nWORKDIR /s-{n}\nENV A=1\nENV A=2 B=1\nRUN echo $B\n")
            .build("CC");
        p.dockerfile("FROM hoist-base:1\nWORKDIR /s-{n}\nENV A=1\nENV B=$A A=2\nRUN echo $B\n")
            .build("CR");
    }),
    ("healthcheck_onbuild_edit", "R4.8", |p| {
        p.dockerfile("FROM hoist-base:1\nWORKDIR /s-{n}\nHEALTHCHECK CMD true\nRUN echo x\n")
            .build("RR");
        p.dockerfile(
            "FROM hoist-base:1\nWORKDIR /s-{n}\nHEALTHCHECK --interval=5s CMD false\nONBUILD RUN echo later\nRUN echo x\n",
        )
        .build("CC");
    }),
    ("source_date_epoch", "R5.8 S-13 (version-dependent)", |p| {
        // v0.11+ writes the epoch into the WORKDIR mkdir; this v0.8 engine
        // ignores an undeclared SOURCE_DATE_EPOCH.
        p.dockerfile("FROM hoist-base:1\nWORKDIR /s-{n}\nRUN echo x\n")
            .arg("SOURCE_DATE_EPOCH", "1")
            .build("RR");
        p.arg("SOURCE_DATE_EPOCH", "2").build("UU");
    }),
    ("onbuild_in_same_file", "R6.6", |p| {
        p.dockerfile(
            "FROM hoist-base:1 AS base\nWORKDIR /s-{n}-b\nONBUILD RUN echo trigger 1\n\
             FROM base\nRUN echo child\n",
        )
        .build("RRR");
        p.dockerfile(
            "FROM hoist-base:1 AS base\nWORKDIR /s-{n}-b\nONBUILD RUN echo trigger 2\n\
             FROM base\nRUN echo child\n",
        )
        .build("CRR");
    }),
    ("workdir_spelling", "R4.3 (version-dependent)", |p| {
        // Re-spelling the same directory: an absolute clean path equals the
        // relative one; BuildKit before v0.12 (this engine) keeps an absolute
        // WORKDIR as written as the RUN cwd, newer ones clean it, so a
        // trailing slash re-keys the RUN there (never the mkdir): uncertain.
        p.dockerfile("FROM hoist-base:1\nWORKDIR /s-{n}\nWORKDIR app\nRUN pwd\n")
            .build("RRR");
        p.dockerfile("FROM hoist-base:1\nWORKDIR /s-{n}\nWORKDIR /s-{n}/app\nRUN pwd\n")
            .build("CCC");
        p.dockerfile("FROM hoist-base:1\nWORKDIR /s-{n}\nWORKDIR /s-{n}/app/\nRUN pwd\n")
            .build("CCU");
    }),
];

// ------------------------------------------------------------------ runner

#[test]
fn ground_truth() {
    let Some(_engine) = support::engine() else {
        return;
    };
    let docker = Docker::detect(None).expect("docker client for the engine");
    let filter = std::env::var("HOIST_SCENARIO").unwrap_or_default();
    let todo: Vec<&Scenario> = SCENARIOS
        .iter()
        .filter(|(name, _, _)| name.contains(filter.as_str()))
        .collect();
    assert!(
        !todo.is_empty(),
        "no scenario matches HOIST_SCENARIO={filter}"
    );
    let threads: usize = std::env::var("HOIST_GT_THREADS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(2);
    eprintln!(
        "ground truth: {} scenarios on {} ({}), {threads} at a time",
        todo.len(),
        docker.client.display(),
        if docker.buildx {
            "buildx, rawjson"
        } else {
            "plain progress"
        }
    );
    let started = Instant::now();
    let queue = Mutex::new(todo.iter().enumerate());
    let results: Mutex<Vec<(usize, &'static str, &'static str, Outcomes)>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            s.spawn(|| {
                loop {
                    let Some((i, (name, rule, body))) = queue.lock().unwrap().next() else {
                        break;
                    };
                    let mut p = Project::new(name, docker.clone());
                    body(&mut p);
                    results.lock().unwrap().push((i, name, rule, p.out));
                }
            });
        }
    });
    let wall = started.elapsed();
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|r| r.0);

    eprintln!(
        "\n{:<36} {:<30} {:>6} {:>9} {:>9}",
        "scenario", "rule", "builds", "agree", "uncertain"
    );
    let (mut agree, mut compared, mut builds, mut from) = (0, 0, 0, 0);
    let (mut unc_cached, mut unc_ran) = (0, 0);
    let mut failures = Vec::new();
    for (_, name, rule, o) in &results {
        let uc = o.uncertain.iter().filter(|c| **c).count();
        let ur = o.uncertain.len() - uc;
        eprintln!(
            "{:<36} {:<30} {:>6} {:>9} {:>9}{}",
            name,
            rule,
            o.builds,
            format!("{}/{}", o.agree, o.compared),
            if o.uncertain.is_empty() {
                "-".to_string()
            } else {
                format!("{uc}C {ur}R")
            },
            if o.failures.is_empty() {
                ""
            } else {
                "  FAILED"
            }
        );
        agree += o.agree;
        compared += o.compared;
        builds += o.builds;
        from += o.from_skipped;
        unc_cached += uc;
        unc_ran += ur;
        failures.extend(o.failures.iter().cloned());
    }
    let summary = format!(
        "ground truth: {agree}/{compared} steps agree across {} scenarios ({builds} builds, {:.1}s); \
         {} uncertain (engine cached {unc_cached}, ran {unc_ran}); {from} FROM steps not compared",
        results.len(),
        wall.as_secs_f64(),
        unc_cached + unc_ran
    );
    eprintln!("\n{summary}");
    assert!(
        failures.is_empty(),
        "{} problems:\n{}\n{summary}",
        failures.len(),
        failures.join("\n\n")
    );
    assert_eq!(agree, compared, "{summary}");
    if filter.is_empty() {
        assert!(results.len() >= 40, "the suite needs at least 40 scenarios");
    }
}
