//! From a parsed Dockerfile and build options to the build graph: stages, the
//! state BuildKit's frontend keeps while dispatching (ARG values, ENV order,
//! WORKDIR, USER, SHELL, platform), and for every vertex the inputs of its key.
//!
//! This follows `dockerfile2llb/convert.go` as written down in
//! `buildkit-cache-semantics.md`; rule ids are cited where behaviour follows them.

use std::collections::BTreeMap;

use crate::syntax::shell::{Env, Lexer};
use crate::syntax::typed::{self, Command, CommandLine, Typed};
use crate::syntax::{Dockerfile, Instruction, SyntaxError};

use super::stage::{self, Base, Stage};
use super::step::{Component, ContextInput, External, Origin, StageInput, Step, StepKind};

/// How the build is invoked.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// `--build-arg` values.
    pub build_args: BTreeMap<String, String>,
    /// `--target`; default: the last stage.
    pub target: Option<String>,
    /// Target platform (`linux/amd64` when not given).
    pub platform: Option<String>,
}

/// The build graph of one Dockerfile under one set of options.
#[derive(Debug, Clone)]
pub struct Build {
    pub stages: Vec<Stage>,
    pub steps: Vec<Step>,
    /// Index of the target stage.
    pub target: usize,
    /// Stages BuildKit builds for the target (R6.3).
    pub reachable: Vec<bool>,
    /// The target stage and the stages it is built `FROM` (what `mode=min` exports, R10.2).
    pub target_chain: Vec<bool>,
}

/// Why a Dockerfile cannot be modelled.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ModelError {
    #[error(transparent)]
    Syntax(#[from] SyntaxError),
    #[error("target stage {target:?} not found; the stages are: {stages}")]
    UnknownTarget { target: String, stages: String },
    #[error("line {line}: {message}")]
    Line { line: usize, message: String },
}

/// The environment of a stage, in BuildKit's order (R4.5, S-9).
#[derive(Debug, Clone, Default)]
struct EnvList {
    vars: Vec<(String, String, Origin)>,
}

impl EnvList {
    /// `AddEnv`: replace and move to the end.
    fn add(&mut self, name: &str, value: String, origin: Origin) {
        self.vars.retain(|(n, _, _)| n != name);
        self.vars.push((name.to_string(), value, origin));
    }
}

impl Env for EnvList {
    fn get(&self, name: &str) -> Option<String> {
        self.vars
            .iter()
            .rev()
            .find(|(n, _, _)| n == name)
            .map(|(_, v, _)| v.clone())
    }
}

/// What the frontend tracks while dispatching one stage.
#[derive(Debug, Clone)]
struct State {
    env: EnvList,
    cwd: String,
    cwd_origin: Origin,
    /// The cwd as an absolute WORKDIR wrote it, when that differs from `cwd`.
    cwd_written: Option<String>,
    user: Option<(String, usize)>,
    shell: (Vec<String>, Option<usize>),
    platform: String,
    /// Last vertex of the stage so far.
    last: Option<usize>,
    /// Base image reference (for the opaque image-config component).
    image: Option<String>,
}

/// Automatic platform args (R5.1) for a `os/arch[/variant]` platform.
fn platform_args(prefix: &str, platform: &str) -> Vec<(String, String)> {
    let mut parts = platform.split('/');
    let os = parts.next().unwrap_or("linux").to_string();
    let arch = parts.next().unwrap_or("amd64").to_string();
    let variant = parts.next().unwrap_or("").to_string();
    vec![
        (format!("{prefix}PLATFORM"), platform.to_string()),
        (format!("{prefix}OS"), os),
        (format!("{prefix}ARCH"), arch),
        (format!("{prefix}VARIANT"), variant),
    ]
}

/// `path.Clean` for slash paths.
pub fn clean_path(p: &str) -> String {
    let rooted = p.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|s| *s != "..") {
                    out.pop();
                } else if !rooted {
                    out.push("..");
                }
            }
            s => out.push(s),
        }
    }
    let joined = out.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

/// A path relative to the working directory made absolute; a trailing `/` is kept
/// because it is part of the copy action (R3.1, R3.7).
fn resolve_dest(cwd: &str, dest: &str) -> String {
    let trailing = dest.ends_with('/') || dest == "." || dest.ends_with("/.");
    let joined = if dest.starts_with('/') {
        clean_path(dest)
    } else {
        clean_path(&format!("{cwd}/{dest}"))
    };
    if trailing && joined != "/" {
        format!("{joined}/")
    } else {
        joined
    }
}

/// A context source cleaned to a root-relative path (`.` for the whole context).
fn context_path(source: &str) -> String {
    let c = clean_path(&format!("/{source}"));
    let rel = c.trim_start_matches('/');
    if rel.is_empty() {
        ".".to_string()
    } else {
        rel.to_string()
    }
}

fn is_url(s: &str) -> bool {
    s.starts_with("http://") || s.starts_with("https://")
}

fn is_git(s: &str) -> bool {
    s.starts_with("git@") || s.starts_with("git://") || s.ends_with(".git") || s.contains(".git#")
}

struct Builder<'a> {
    file: &'a Dockerfile,
    opts: &'a BuildOptions,
    lexer: Lexer,
    meta: EnvList,
    stages: Vec<Stage>,
    steps: Vec<Step>,
    states: Vec<State>,
    typed: Vec<Typed<'a>>,
    /// ONBUILD instructions per stage.
    triggers: Vec<Vec<&'a Instruction>>,
}

/// Builds the graph. The file must pass the typed view.
pub fn build(file: &Dockerfile, opts: &BuildOptions) -> Result<Build, ModelError> {
    let typed = typed::typed(file)?;
    let mut b = Builder {
        file,
        opts,
        lexer: Lexer::new(char::from(file.escape)),
        meta: EnvList::default(),
        stages: Vec::new(),
        steps: Vec::new(),
        states: Vec::new(),
        typed,
        triggers: Vec::new(),
    };
    b.run()?;
    let target = match &opts.target {
        None => b.stages.len().saturating_sub(1),
        Some(t) => stage::find(&b.stages, t).ok_or_else(|| ModelError::UnknownTarget {
            target: t.clone(),
            stages: b
                .stages
                .iter()
                .map(|s| s.display_name())
                .collect::<Vec<_>>()
                .join(", "),
        })?,
    };
    if b.stages.is_empty() {
        return Err(ModelError::Line {
            line: 1,
            message: "no FROM instruction: a Dockerfile must start a stage with FROM".into(),
        });
    }
    let reachable = stage::reachable(&b.stages, target);
    let target_chain = stage::base_chain(&b.stages, target);
    Ok(Build {
        stages: b.stages,
        steps: b.steps,
        target,
        reachable,
        target_chain,
    })
}

impl<'a> Builder<'a> {
    fn platform(&self) -> String {
        self.opts
            .platform
            .clone()
            .unwrap_or_else(|| "linux/amd64".to_string())
    }

    fn expand(&self, word: &str, env: &dyn Env, line: usize) -> Result<String, ModelError> {
        self.lexer
            .process_word(word, env)
            .map_err(|e| ModelError::Line {
                line,
                message: e.to_string(),
            })
    }

    fn run(&mut self) -> Result<(), ModelError> {
        let platform = self.platform();
        for (k, v) in platform_args("BUILD", &platform)
            .into_iter()
            .chain(platform_args("TARGET", &platform))
        {
            self.meta.add(&k, v, Origin::Build);
        }
        let typed = std::mem::take(&mut self.typed);
        for t in &typed {
            let line = t.node.start_line;
            match &t.command {
                Command::From(from) => self.start_stage(t.node, from, line)?,
                Command::Arg(decls) if self.stages.is_empty() => {
                    // Global ARGs: only FROM lines and in-stage redeclarations see them (R5.1).
                    for d in decls {
                        let value = match self.opts.build_args.get(&d.name) {
                            Some(v) => Some(v.clone()),
                            None => match &d.default {
                                Some(def) => Some(self.expand(def, &self.meta.clone(), line)?),
                                None => None,
                            },
                        };
                        if let Some(v) = value {
                            self.meta.add(
                                &d.name,
                                v,
                                Origin::Arg {
                                    name: d.name.clone(),
                                    line,
                                },
                            );
                        }
                    }
                }
                _ if self.stages.is_empty() => {
                    return Err(ModelError::Line {
                        line,
                        message: format!(
                            "{} before the first FROM: only ARG may come before FROM",
                            t.node.keyword.text().to_uppercase()
                        ),
                    });
                }
                _ => {
                    let stage = self.stages.len() - 1;
                    self.dispatch(stage, t, false)?;
                }
            }
        }
        Ok(())
    }

    fn start_stage(
        &mut self,
        node: &'a Instruction,
        from: &typed::From,
        line: usize,
    ) -> Result<(), ModelError> {
        let index = self.stages.len();
        let image = self.expand(&from.image, &self.meta.clone(), line)?;
        let platform = match &from.platform {
            Some(p) => self.expand(p, &self.meta.clone(), line)?,
            None => self.platform(),
        };
        let name = from.alias.as_ref().map(|a| a.to_lowercase());
        // FROM <stage> only looks at earlier stages (convert.go toDispatchState).
        let base = if image.eq_ignore_ascii_case("scratch") {
            Base::Scratch
        } else if let Some(s) = stage::find(&self.stages, &image) {
            Base::Stage(s)
        } else {
            Base::Image(image.clone())
        };
        let mut state = match &base {
            Base::Stage(s) => {
                let mut st = self.states[*s].clone();
                st.platform = platform.clone();
                st
            }
            _ => State {
                env: EnvList::default(),
                cwd: "/".into(),
                cwd_origin: Origin::Workdir { line: None },
                cwd_written: None,
                user: None,
                shell: (vec!["/bin/sh".into(), "-c".into()], None),
                platform: platform.clone(),
                last: None,
                image: match &base {
                    Base::Image(i) => Some(i.clone()),
                    _ => None,
                },
            },
        };
        self.stages.push(Stage {
            index,
            name,
            line,
            base: base.clone(),
            deps: match &base {
                Base::Stage(s) => vec![*s],
                _ => Vec::new(),
            },
            steps: Vec::new(),
            onbuild: Vec::new(),
        });
        if let Base::Image(image) = &base {
            let external = if image.contains("@sha256:") {
                External::ImageDigest(image.clone())
            } else {
                External::ImageTag(image.clone())
            };
            let step = self.push_step(
                index,
                node,
                StepKind::From,
                None,
                vec![
                    Component {
                        name: "image".into(),
                        value: image.clone(),
                        origin: Origin::Instruction,
                    },
                    Component {
                        name: "platform".into(),
                        value: platform,
                        origin: Origin::Build,
                    },
                ],
            );
            self.steps[step].external.push(external);
            state.last = Some(step);
        }
        self.states.push(state);
        self.triggers.push(Vec::new());
        // ONBUILD triggers of a parent stage run first in the child (R6.6).
        if let Base::Stage(parent) = base {
            let triggers = self.triggers[parent].clone();
            for t in triggers {
                if let Ok(typed) = typed::check(self.file, t)
                    && let Command::Onbuild(inner) = typed.command
                {
                    self.dispatch(index, &inner, true)?;
                }
            }
        }
        Ok(())
    }

    fn push_step(
        &mut self,
        stage: usize,
        node: &Instruction,
        kind: StepKind,
        parent: Option<usize>,
        definition: Vec<Component>,
    ) -> usize {
        let index = self.steps.len();
        let ordinal = self.stages[stage].steps.len();
        // The logical line (continuations joined), blanks collapsed: what a user
        // recognises, on one line.
        let text = String::from_utf8_lossy(&node.logical).into_owned();
        let first_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
        self.steps.push(Step {
            stage,
            index,
            ordinal,
            line: node.start_line,
            end_line: node.end_line,
            kind,
            instruction: first_line,
            parent,
            definition,
            context: Vec::new(),
            stages: Vec::new(),
            external: Vec::new(),
            versioned: Vec::new(),
        });
        self.stages[stage].steps.push(index);
        index
    }

    /// Components every RUN carries from the stage state (R4.1).
    fn run_state(&self, st: &State) -> Vec<Component> {
        let mut out = Vec::new();
        if let Some(image) = &st.image {
            out.push(Component {
                name: "image config".into(),
                value: image.clone(),
                origin: Origin::Image,
            });
        }
        for (name, value, origin) in &st.env.vars {
            out.push(Component {
                name: format!("env {name}"),
                value: value.clone(),
                origin: origin.clone(),
            });
        }
        out.push(Component {
            name: "cwd".into(),
            value: st.cwd.clone(),
            origin: st.cwd_origin.clone(),
        });
        if let Some((user, line)) = &st.user {
            out.push(Component {
                name: "user".into(),
                value: user.clone(),
                origin: Origin::User { line: *line },
            });
        }
        out.push(Component {
            name: "platform".into(),
            value: st.platform.clone(),
            origin: Origin::Build,
        });
        out
    }

    fn resolve_stage_ref(&self, name: &str, current: usize) -> Option<usize> {
        if let Ok(i) = name.parse::<usize>() {
            return (i < self.stages.len() && i != current).then_some(i);
        }
        stage::find(&self.stages, name).filter(|&s| s != current)
    }

    fn dispatch(
        &mut self,
        stage: usize,
        t: &Typed<'a>,
        from_trigger: bool,
    ) -> Result<(), ModelError> {
        let node = t.node;
        let line = node.start_line;
        let st = self.states[stage].clone();
        match &t.command {
            Command::Env(pairs) => {
                // All values of one ENV see the state before it (R2.7).
                let mut expanded = Vec::new();
                for kv in pairs {
                    let key = self.expand(&kv.key, &st.env, line)?;
                    let value = self.expand(&kv.value, &st.env, line)?;
                    expanded.push((key, value));
                }
                let s = &mut self.states[stage];
                for (key, value) in expanded {
                    s.env.add(
                        &key,
                        value,
                        Origin::Env {
                            name: key.clone(),
                            line,
                        },
                    );
                }
            }
            Command::Arg(decls) => {
                for d in decls {
                    let env = self.states[stage].env.clone();
                    // R5.2: build arg, else expanded default, else the global value.
                    let value = match self.opts.build_args.get(&d.name) {
                        Some(v) => Some(v.clone()),
                        None => match &d.default {
                            Some(def) => Some(self.expand(def, &env, line)?),
                            None => self.meta.get(&d.name),
                        },
                    };
                    if let Some(v) = value {
                        self.states[stage].env.add(
                            &d.name,
                            v,
                            Origin::Arg {
                                name: d.name.clone(),
                                line,
                            },
                        );
                    }
                }
            }
            Command::User(user) => {
                let u = self.expand(user, &st.env, line)?;
                self.states[stage].user = Some((u, line));
            }
            Command::Shell(shell) => {
                self.states[stage].shell = (shell.clone(), Some(line));
            }
            Command::Onbuild(_) if !from_trigger => {
                self.stages[stage].onbuild.push(line);
                self.triggers[stage].push(node);
            }
            Command::Workdir(dir) => {
                let d = self.expand(dir, &st.env, line)?;
                let path = resolve_dest(&st.cwd, &d);
                let path = if path.len() > 1 {
                    path.trim_end_matches('/').to_string()
                } else {
                    path
                };
                {
                    let s = &mut self.states[stage];
                    s.cwd = path.clone();
                    s.cwd_origin = Origin::Workdir { line: Some(line) };
                    // BuildKit before v0.12 keeps an absolute WORKDIR as written
                    // as the RUN cwd (`/app/` is not `/app`); newer ones clean
                    // it. A relative one is joined and cleaned by both
                    // (docs/engine.md, "the engine wins").
                    s.cwd_written = (d.starts_with('/') && d != path).then(|| d.clone());
                }
                // R4.3: a mkdir vertex unless the path is `/`.
                if path != "/" {
                    let mut def = vec![Component {
                        name: "path".into(),
                        value: path,
                        origin: Origin::Instruction,
                    }];
                    if let Some((user, uline)) = &st.user {
                        def.push(Component {
                            name: "owner".into(),
                            value: user.clone(),
                            origin: Origin::User { line: *uline },
                        });
                    }
                    let step = self.push_step(stage, node, StepKind::Workdir, st.last, def);
                    // S-13: SOURCE_DATE_EPOCH is the mkdir's timestamp — from
                    // BuildKit v0.11 on; older engines (the project's v0.8) ignore
                    // it (docs/engine.md).
                    if let Some(epoch) = self.opts.build_args.get("SOURCE_DATE_EPOCH") {
                        self.steps[step].versioned.push(Component {
                            name:
                                "SOURCE_DATE_EPOCH (keyed into WORKDIR by BuildKit v0.11 and later)"
                                    .into(),
                            value: epoch.clone(),
                            origin: Origin::Build,
                        });
                    }
                    self.states[stage].last = Some(step);
                }
            }
            Command::Run(run) => {
                let mut def = Vec::new();
                // The argv is SHELL + text for the shell form (R4.6); the shell is
                // kept as its own component so a SHELL change is named as such.
                let command = match &run.command {
                    CommandLine::Exec(args) => {
                        format!("exec {}", serde_json::to_string(args).unwrap_or_default())
                    }
                    CommandLine::Shell(text) => format!("shell {text}"),
                };
                def.push(Component {
                    name: "command".into(),
                    value: command,
                    origin: Origin::Instruction,
                });
                if matches!(run.command, CommandLine::Shell(_)) {
                    def.push(Component {
                        name: "shell".into(),
                        value: st.shell.0.join(" "),
                        origin: Origin::Shell { line: st.shell.1 },
                    });
                }
                for h in run.heredocs {
                    def.push(Component {
                        name: format!("heredoc {}", h.name),
                        value: String::from_utf8_lossy(&h.content).into_owned(),
                        origin: Origin::Instruction,
                    });
                }
                def.extend(self.run_state(&st));
                if let Some(n) = &run.network {
                    def.push(Component {
                        name: "network".into(),
                        value: n.clone(),
                        origin: Origin::Instruction,
                    });
                }
                if let Some(s) = &run.security {
                    def.push(Component {
                        name: "security".into(),
                        value: s.clone(),
                        origin: Origin::Instruction,
                    });
                }
                for d in &run.devices {
                    def.push(Component {
                        name: "device".into(),
                        value: d.clone(),
                        origin: Origin::Instruction,
                    });
                }
                let mut context = Vec::new();
                let mut stages = Vec::new();
                let mut external = Vec::new();
                let mut versioned = Vec::new();
                if let Some(written) = &st.cwd_written {
                    versioned.push(Component {
                        name: "working directory as written (keyed by BuildKit before v0.12)"
                            .into(),
                        value: written.clone(),
                        origin: st.cwd_origin.clone(),
                    });
                }
                // R8.5: mounts are sorted by target; options are expanded except `from`.
                let mut mounts = run.mounts.clone();
                mounts.sort_by(|a, b| a.target.cmp(&b.target));
                for m in &mounts {
                    use crate::syntax::mount::MountType;
                    let target = match &m.target {
                        Some(t) => resolve_dest(&st.cwd, &self.expand(t, &st.env, line)?),
                        // BuildKit mounts a bind, cache or tmpfs mount without
                        // a target at the working directory, never at `/`.
                        None if !matches!(m.kind, MountType::Secret | MountType::Ssh) => {
                            let t = clean_path(&st.cwd);
                            if t == "/" {
                                return Err(ModelError::Line {
                                    line,
                                    message: format!(
                                        "invalid mount target \"/\": a {} mount without target= is mounted at the working directory, which is / here; add target=/path or a WORKDIR",
                                        m.kind.as_str()
                                    ),
                                });
                            }
                            t
                        }
                        None => String::new(),
                    };
                    let source = match &m.source {
                        Some(s) => Some(self.expand(s, &st.env, line)?),
                        None => None,
                    };
                    let kind = m.kind.as_str();
                    let mut desc = format!("type={kind},target={target},readonly={}", m.readonly);
                    match m.kind {
                        MountType::Cache => {
                            for (k, v) in [("uid", m.uid), ("gid", m.gid), ("mode", m.mode)] {
                                if let Some(v) = v {
                                    desc.push_str(&format!(",{k}={v}"));
                                }
                            }
                            // R8.2: the id defaults to the target. BuildKit v0.13+
                            // keys the id only in that default form (id = target,
                            // sharing shared) and blanks any other; older engines
                            // key id and sharing always (docs/engine.md).
                            let raw_target = match &m.target {
                                Some(t) => self.expand(t, &st.env, line)?,
                                None => String::new(),
                            };
                            let id = match &m.id {
                                Some(i) => self.expand(i, &st.env, line)?,
                                None => raw_target,
                            };
                            let sharing = m
                                .sharing
                                .map(|s| format!("{s:?}").to_lowercase())
                                .unwrap_or_else(|| "shared".into());
                            if id == target && sharing == "shared" {
                                desc.push_str(&format!(",id={id}"));
                            } else {
                                desc.push_str(",id=(blanked)");
                            }
                            versioned.push(Component {
                                name: format!(
                                    "cache mount {target}: id and sharing (keyed by BuildKit before v0.13)"
                                ),
                                value: format!("id={id},sharing={sharing}"),
                                origin: Origin::Instruction,
                            });
                        }
                        MountType::Tmpfs => {
                            if let Some(size) = &m.size {
                                desc.push_str(&format!(",size={size}"));
                            }
                        }
                        MountType::Secret | MountType::Ssh => {
                            // R8.4: ids and options count, contents do not.
                            for (k, v) in [("id", m.id.clone()), ("env", m.env.clone())] {
                                if let Some(v) = v {
                                    desc.push_str(&format!(
                                        ",{k}={}",
                                        self.expand(&v, &st.env, line)?
                                    ));
                                }
                            }
                            desc.push_str(&format!(",required={}", m.required));
                            for (k, v) in [("uid", m.uid), ("gid", m.gid), ("mode", m.mode)] {
                                if let Some(v) = v {
                                    desc.push_str(&format!(",{k}={v}"));
                                }
                            }
                        }
                        MountType::Bind => {
                            if let Some(s) = &source {
                                desc.push_str(&format!(",source={s}"));
                            }
                        }
                    }
                    def.push(Component {
                        name: format!("mount {target}"),
                        value: desc,
                        origin: Origin::Instruction,
                    });
                    let reads_source = matches!(m.kind, MountType::Bind)
                        || (matches!(m.kind, MountType::Cache) && m.from.is_some());
                    if reads_source {
                        let src = source.clone().unwrap_or_else(|| "/".into());
                        match &m.from {
                            Some(from) => match self.resolve_stage_ref(from, stage) {
                                Some(s) => {
                                    self.stages[stage].deps.push(s);
                                    stages.push(StageInput {
                                        stage: s,
                                        path: clean_path(&format!("/{src}")),
                                    });
                                }
                                None => external.push(External::ImageTag(from.clone())),
                            },
                            None => context.push(ContextInput {
                                source: context_path(&src),
                                exclude: Vec::new(),
                                via: format!("--mount=type=bind,source={src}"),
                            }),
                        }
                    }
                }
                let step = self.push_step(stage, node, StepKind::Run, st.last, def);
                let s = &mut self.steps[step];
                s.context = context;
                s.stages = stages;
                s.external = external;
                s.versioned = versioned;
                self.states[stage].last = Some(step);
            }
            Command::Copy(copy) | Command::Add(copy) => {
                let is_add = matches!(t.command, Command::Add(_));
                let kind = if is_add {
                    StepKind::Add
                } else {
                    StepKind::Copy
                };
                let mut def = Vec::new();
                let dest = resolve_dest(&st.cwd, &self.expand(&copy.dest, &st.env, line)?);
                let dest_origin = if copy.dest.starts_with('/') {
                    Origin::Instruction
                } else {
                    st.cwd_origin.clone()
                };
                def.push(Component {
                    name: "dest".into(),
                    value: dest,
                    origin: dest_origin,
                });
                for (name, value) in [
                    ("chown", &copy.chown),
                    ("chmod", &copy.chmod),
                    ("checksum", &copy.checksum),
                ] {
                    if let Some(v) = value {
                        def.push(Component {
                            name: format!("--{name}"),
                            value: self.expand(v, &st.env, line)?,
                            origin: Origin::Instruction,
                        });
                    }
                }
                let mut flags = Vec::new();
                if copy.link {
                    flags.push("--link".to_string());
                }
                if copy.parents {
                    flags.push("--parents".to_string());
                }
                if copy.keep_git_dir {
                    flags.push("--keep-git-dir".to_string());
                }
                if let Some(u) = copy.unpack {
                    flags.push(format!("--unpack={u}"));
                }
                let mut excludes = Vec::new();
                for e in &copy.exclude {
                    excludes.push(self.expand(e, &st.env, line)?);
                }
                flags.extend(excludes.iter().map(|e| format!("--exclude={e}")));
                if !flags.is_empty() {
                    def.push(Component {
                        name: "flags".into(),
                        value: flags.join(" "),
                        origin: Origin::Instruction,
                    });
                }
                let mut context = Vec::new();
                let mut stages = Vec::new();
                let mut external = Vec::new();
                let from_stage = copy
                    .from
                    .as_ref()
                    .map(|f| (f.clone(), self.resolve_stage_ref(f, stage)));
                if let Some((f, None)) = &from_stage {
                    external.push(if f.contains("@sha256:") {
                        External::ImageDigest(f.clone())
                    } else {
                        External::ImageTag(f.clone())
                    });
                    def.push(Component {
                        name: "from image".into(),
                        value: f.clone(),
                        origin: Origin::Instruction,
                    });
                }
                for src in &copy.sources {
                    if let Some(name) = src.strip_prefix("<<")
                        && let Some(h) = copy
                            .heredocs
                            .iter()
                            .find(|h| h.name == name.trim_start_matches('-'))
                    {
                        // R2.9: a heredoc source is a file made from its (expanded) body.
                        let body = String::from_utf8_lossy(&h.content).into_owned();
                        let body = if h.expand {
                            self.expand(&body, &st.env, line).unwrap_or(body)
                        } else {
                            body
                        };
                        def.push(Component {
                            name: format!("heredoc {}", h.name),
                            value: body,
                            origin: Origin::Instruction,
                        });
                        continue;
                    }
                    let s = self.expand(src, &st.env, line)?;
                    // S-7: only the base name of a source is in the copy action.
                    let base = s
                        .trim_end_matches('/')
                        .rsplit('/')
                        .next()
                        .unwrap_or("")
                        .to_string();
                    def.push(Component {
                        name: "source".into(),
                        value: base,
                        origin: Origin::Instruction,
                    });
                    match &from_stage {
                        Some((_, Some(from))) => {
                            stages.push(StageInput {
                                stage: *from,
                                path: clean_path(&format!("/{s}")),
                            });
                        }
                        Some((_, None)) => {}
                        None if is_add && is_url(&s) => {
                            if copy.checksum.is_none() {
                                external.push(External::Url(s.clone()));
                            }
                            def.push(Component {
                                name: "url".into(),
                                value: s.clone(),
                                origin: Origin::Instruction,
                            });
                        }
                        None if is_add && is_git(&s) => {
                            let pinned = s.rsplit_once('#').is_some_and(|(_, r)| {
                                r.len() == 40 && r.bytes().all(|b| b.is_ascii_hexdigit())
                            });
                            if !pinned {
                                external.push(External::Git(s.clone()));
                            }
                            def.push(Component {
                                name: "git".into(),
                                value: s.clone(),
                                origin: Origin::Instruction,
                            });
                        }
                        None => context.push(ContextInput {
                            source: context_path(&s),
                            exclude: excludes.clone(),
                            via: format!("{} {}", if is_add { "ADD" } else { "COPY" }, s),
                        }),
                    }
                }
                if let Some((_, Some(from))) = &from_stage {
                    self.stages[stage].deps.push(*from);
                }
                let step = self.push_step(stage, node, kind, st.last, def);
                let s = &mut self.steps[step];
                s.context = context;
                s.stages = stages;
                s.external = external;
                self.states[stage].last = Some(step);
            }
            // R4.8: image-config instructions create no vertex.
            _ => {}
        }
        Ok(())
    }
}
