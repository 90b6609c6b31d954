//! What a step touches in the image's filesystem, as far as its text says:
//! the basis of a move's safety (`hoist fix`).
//!
//! A move of step M above steps C₁..Cₙ builds the same image when M reads
//! nothing a Cᵢ writes and writes nothing a Cᵢ reads or writes, and when M runs
//! in the same environment (working directory, user, shell, the variables it
//! reads). The analysis reads the text only:
//! - `COPY`/`ADD` write their destination (and read `/etc/passwd` and
//!   `/etc/group` with a named `--chown`);
//! - `WORKDIR` writes (creates) its directory;
//! - a `RUN` touches the absolute paths its command names, the relative ones
//!   joined to its working directory, and the working directory itself
//!   unless every command it runs names its files by absolute paths; it
//!   reads the system directories (it runs programs from them); a package or
//!   dependency install writes them, and the home and toolchain directories.
//!
//! Read and write are not told apart for paths a command names: two steps
//! naming the same path conflict even when both only read it. What a script
//! touches without naming it (`./build.sh` writing `/opt/x`) is not seen; the
//! rules' documentation says so.

use crate::model::{Step, StepKind};
use crate::syntax::typed::Command;

use super::{Entry, Input, references, run_command, simple_commands};

/// What system package managers write.
const SYSTEM: &[&str] = &[
    "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/var",
];

/// Where programs, their libraries and their configuration are read from:
/// every `RUN` reads these.
const PROGRAMS: &[&str] = &[
    "/bin",
    "/sbin",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/usr/bin",
    "/usr/sbin",
    "/usr/lib",
    "/usr/libexec",
    "/usr/local/bin",
    "/usr/local/sbin",
    "/etc",
];

/// Where language dependency installs and toolchains keep their state.
const HOMES: &[&str] = &[
    "/root",
    "/home",
    "/go",
    "/opt/conda",
    "/usr/local/lib",
    "/usr/local/share",
    "/usr/local/bundle",
    "/usr/local/cargo",
];

/// System package managers and account tools.
const SYSTEM_INSTALLERS: &[&str] = &[
    "apt-get",
    "apt",
    "apk",
    "yum",
    "dnf",
    "microdnf",
    "zypper",
    "dpkg",
    "useradd",
    "groupadd",
    "adduser",
    "addgroup",
    "update-ca-certificates",
];

/// Language package managers and toolchains; the first group also installs
/// programs (`/usr/local/bin`).
const SCRIPT_INSTALLERS: &[&str] = &["pip", "pip3", "uv", "poetry", "gem", "bundle"];
const LANGUAGE_INSTALLERS: &[&str] = &[
    "go", "cargo", "npm", "yarn", "pnpm", "composer", "mvn", "gradle", "dotnet", "mix",
];

/// Variables that change what common programs do without being named.
fn env_sensitive(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    matches!(
        upper.as_str(),
        "PATH" | "HOME" | "SHELL" | "LANG" | "TZ" | "DEBIAN_FRONTEND" | "CGO_ENABLED"
    ) || upper.ends_with("_PROXY")
        || [
            "GO", "LC_", "APT", "PIP_", "NPM_", "CURL", "WGET", "GIT_", "SSL_", "LD_",
        ]
        .iter()
        .any(|p| upper.starts_with(p))
}

/// The paths a step may read or write, and whether it runs programs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Effects {
    /// Absolute, clean paths (a directory stands for everything under it).
    pub paths: Vec<String>,
    /// Runs programs: reads [`PROGRAMS`].
    pub reads_system: bool,
}

/// Do two absolute paths overlap (one is the other or lies under it)?
pub fn overlaps(a: &str, b: &str) -> bool {
    let under = |x: &str, dir: &str| {
        dir == "/" || x == dir || x.strip_prefix(dir).is_some_and(|r| r.starts_with('/'))
    };
    under(a, b) || under(b, a)
}

/// How two steps' effects meet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Clash {
    /// Both touch this path (the longer of the two overlapping ones).
    Path(String),
    /// The first changes where the second's programs come from (this path).
    Programs(String),
    /// The second changes where the first's programs come from.
    ProgramsOf(String),
}

impl Effects {
    /// How `self` and `other` meet, if they do.
    pub fn conflict(&self, other: &Effects) -> Option<Clash> {
        for p in &self.paths {
            if let Some(q) = other.paths.iter().find(|q| overlaps(p, q)) {
                return Some(Clash::Path(if p.len() >= q.len() { p } else { q }.clone()));
            }
            if other.reads_system && PROGRAMS.iter().any(|s| overlaps(p, s)) {
                return Some(Clash::Programs(p.clone()));
            }
        }
        if self.reads_system {
            for q in &other.paths {
                if PROGRAMS.iter().any(|s| overlaps(q, s)) {
                    return Some(Clash::ProgramsOf(q.clone()));
                }
            }
        }
        None
    }
}

/// `dir` joined with `path` and cleaned (`.`/`..` resolved), absolute.
pub fn resolve(cwd: &str, path: &str) -> String {
    let joined = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("{}/{path}", cwd.trim_end_matches('/'))
    };
    let mut parts: Vec<&str> = Vec::new();
    for c in joined.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    format!("/{}", parts.join("/"))
}

/// The part of a word that names a path before any variable or wildcard:
/// `/out/ext/${name}.gz` → `/out/ext`; `None` when nothing is left.
fn literal_prefix(word: &str) -> Option<&str> {
    let cut = word.find(['$', '*', '?', '[', '`']).unwrap_or(word.len());
    if cut == word.len() {
        return Some(word);
    }
    let head = &word[..cut];
    let dir = &head[..head.rfind('/')?];
    Some(if dir.is_empty() { "/" } else { dir })
}

/// A word without a redirection prefix (`>/x`, `2>>/x`, `&>/x`) or an option
/// name (`--output=/x`).
fn path_part(word: &str) -> &str {
    let w = word.trim_start_matches(|c: char| c.is_ascii_digit() || c == '&');
    let w = w.trim_start_matches('>').trim_start_matches('<');
    if w.starts_with('-') {
        return w.split_once('=').map_or("", |(_, v)| v);
    }
    w
}

/// Does the word look like a path (and not a URL, a flag, a plain word)?
fn pathlike(word: &str) -> bool {
    !word.is_empty() && !word.contains("://") && (word.starts_with('/') || word.contains('/'))
}

/// The value of an option of a simple command: `--long=v`, `--long v`,
/// `-s v`, `-s/v` (glued), or `-abs v` (a cluster of short options ending in
/// it). `tar xzf FILE`: an old-style first word counts as a cluster.
fn opt_value<'w>(w: &'w [String], short: char, longs: &[&str]) -> Option<&'w str> {
    for (k, x) in w.iter().enumerate().skip(1) {
        for l in longs {
            if x == l {
                return w.get(k + 1).map(String::as_str);
            }
            if let Some(v) = x.strip_prefix(l).and_then(|r| r.strip_prefix('=')) {
                return Some(v);
            }
        }
        let cluster = match x.strip_prefix('-') {
            Some(c) if !c.starts_with('-') => c,
            None if k == 1 && program(w) == "tar" => x.as_str(),
            _ => continue,
        };
        if let Some(at) = cluster.find(short)
            && cluster[..at].chars().all(|c| c.is_ascii_alphabetic())
        {
            let rest = &cluster[at + short.len_utf8()..];
            return if rest.is_empty() {
                w.get(k + 1).map(String::as_str)
            } else {
                Some(rest)
            };
        }
    }
    None
}

/// The program of a simple command (`/usr/bin/curl` → `curl`).
fn program(words: &[String]) -> &str {
    words[0].rsplit('/').next().unwrap_or(&words[0])
}

/// The effects of a `RUN` whose command is `cmd`, run in `cwd`.
pub fn of_command(cmd: &str, cwd: &str) -> Effects {
    let mut paths = Vec::new();
    if !cwd_free(cmd) {
        paths.push(cwd.to_string());
    }
    for words in simple_commands(cmd) {
        let prog = program(&words);
        if SYSTEM_INSTALLERS.contains(&prog) {
            paths.extend(SYSTEM.iter().chain(HOMES).map(|s| s.to_string()));
        } else if SCRIPT_INSTALLERS.contains(&prog)
            || (LANGUAGE_INSTALLERS.contains(&prog)
                && words
                    .iter()
                    .any(|w| matches!(w.as_str(), "-g" | "--global")))
        {
            paths.extend(HOMES.iter().map(|s| s.to_string()));
            paths.push("/usr/local/bin".to_string());
        } else if LANGUAGE_INSTALLERS.contains(&prog) {
            paths.extend(HOMES.iter().map(|s| s.to_string()));
        }
        for w in &words[1..] {
            let p = path_part(w);
            if !pathlike(p) || p.starts_with("/dev/") || p.starts_with("/proc/") {
                continue;
            }
            if let Some(lit) = literal_prefix(p) {
                paths.push(resolve(cwd, lit));
            }
        }
    }
    normalize(&mut paths);
    Effects {
        paths,
        reads_system: true,
    }
}

fn normalize(paths: &mut Vec<String>) {
    paths.sort();
    paths.dedup();
    // Keep the outermost of nested paths.
    let all = paths.clone();
    paths.retain(|p| {
        !all.iter()
            .any(|q| q != p && overlaps(p, q) && q.len() < p.len())
    });
}

/// The working directory a RUN step runs in (`/` when the model has none).
pub fn cwd(step: &Step) -> String {
    step.definition
        .iter()
        .find(|c| c.name == "cwd")
        .map_or_else(|| "/".to_string(), |c| c.value.clone())
}

/// The effects of a step (any kind) as a crossed step.
pub fn of_step(input: &Input, e: &Entry) -> Effects {
    let step = e.step.map(|s| &input.build.steps[s]);
    match (&e.typed.command, step) {
        (_, Some(step)) if step.kind == StepKind::Run => {
            of_command(&run_command(step).unwrap_or_default(), &cwd(step))
        }
        (Command::Copy(c) | Command::Add(c), Some(step)) => {
            let dest = step
                .definition
                .iter()
                .find(|x| x.name == "dest")
                .map_or_else(|| c.dest.clone(), |x| x.value.clone());
            // Named files (manifests, not directories or wildcards) land at
            // `dest/name`; anything else may fill the whole destination.
            let files = c.from.is_none()
                && c.sources
                    .iter()
                    .all(|src| super::classify::is_manifest(src) && !src.contains(['*', '?', '[']));
            let mut paths: Vec<String> = if files && dest.ends_with('/') {
                c.sources
                    .iter()
                    .map(|src| resolve(&dest, src.rsplit('/').next().unwrap_or(src)))
                    .collect()
            } else {
                vec![resolve("/", &dest)]
            };
            if c.chown
                .as_deref()
                .is_some_and(|o| !o.chars().all(|ch| ch.is_ascii_digit() || ch == ':'))
            {
                paths.extend(["/etc/passwd".to_string(), "/etc/group".to_string()]);
            }
            Effects {
                paths,
                reads_system: false,
            }
        }
        (Command::Workdir(_), Some(step)) => Effects {
            paths: step
                .definition
                .iter()
                .find(|x| x.name == "path")
                .map(|x| vec![x.value.clone()])
                .unwrap_or_default(),
            reads_system: false,
        },
        _ => Effects::default(),
    }
}

/// Why moving the RUN `moved` above the instructions `crossed` may change
/// the image, or `None` when the text shows it cannot. `carried` are the
/// instructions that move with it (its ARGs).
pub fn move_hazard(input: &Input, moved: &Entry, crossed: &[&Entry]) -> Option<String> {
    let step = &input.build.steps[moved.step?];
    let cmd = run_command(step)?;
    let here = cwd(step);
    let mine = of_command(&cmd, &here);
    for c in crossed {
        let line = c.typed.node.start_line;
        let what = match &c.typed.command {
            Command::Workdir(_) if !cwd_free(&cmd) => Some(format!(
                "it would run before the WORKDIR on line {line} and uses its working directory"
            )),
            Command::User(_) => Some(format!(
                "it would run before the USER on line {line}, as another user"
            )),
            Command::Shell(_) => Some(format!(
                "it would run before the SHELL on line {line}, in another shell"
            )),
            Command::Env(kvs) => kvs
                .iter()
                .find(|kv| references(&cmd, &kv.key) || env_sensitive(&kv.key))
                .map(|kv| format!("it would run without the ENV {} set on line {line}", kv.key)),
            Command::Onbuild(_) => None,
            _ => None,
        };
        if what.is_some() {
            return what;
        }
        let theirs = of_step(input, c);
        if let Some(clash) = mine.conflict(&theirs) {
            let instr = c
                .step
                .map(|s| input.build.steps[s].instruction.clone())
                .unwrap_or_else(|| input.text(c.typed.node).trim().to_string());
            let other = format!(
                "line {line} (`{}`)",
                super::independent_step_after_source_copy::shorten(&instr)
            );
            return Some(match clash {
                Clash::Path(p) => format!("{other} and it both touch {p}"),
                Clash::Programs(p) => {
                    format!("it changes {p}, where the programs of {other} come from")
                }
                Clash::ProgramsOf(p) => {
                    format!("{other} changes {p}, where its programs come from")
                }
            });
        }
    }
    None
}

/// Does the command use its working directory? False only when every simple
/// command is one whose files are all named by absolute paths.
pub fn cwd_free(cmd: &str) -> bool {
    simple_commands(cmd).iter().all(|w| command_cwd_free(w))
}

fn command_cwd_free(w: &[String]) -> bool {
    let prog = program(w);
    let abs = |s: &str| s.starts_with('/') || s == "-";
    // Redirection targets must be absolute.
    let redirects_ok = w.iter().enumerate().all(|(k, x)| {
        let bare = x.trim_start_matches(|c: char| c.is_ascii_digit() || c == '&');
        if let Some(t) = bare.strip_prefix(">>").or_else(|| bare.strip_prefix('>')) {
            let t = if t.is_empty() {
                w.get(k + 1).map_or("", String::as_str)
            } else {
                t
            };
            return abs(t) || t.starts_with('&');
        }
        true
    });
    if !redirects_ok {
        return false;
    }
    let operands = || {
        w[1..]
            .iter()
            .filter(|x| !x.starts_with('-') && !x.starts_with('>') && !x.starts_with("2>"))
    };
    match prog {
        "curl" => {
            !w.iter().any(|x| {
                matches!(
                    x.as_str(),
                    "-O" | "--remote-name" | "--remote-name-all" | "-J"
                ) || (x.starts_with('-') && !x.starts_with("--") && x.contains('O'))
            }) && opt_value(w, 'o', &["--output"]).is_none_or(abs)
        }
        "wget" => opt_value(w, 'O', &["--output-document"])
            .or_else(|| opt_value(w, 'P', &["--directory-prefix"]))
            .is_some_and(abs),
        "tar" => {
            opt_value(w, 'C', &["--directory"]).is_some_and(abs)
                && opt_value(w, 'f', &["--file"]).is_none_or(abs)
        }
        "unzip" => opt_value(w, 'd', &[]).is_some_and(abs),
        "git" => {
            w.get(1).map(String::as_str) == Some("clone")
                && operands().skip(1).last().is_some_and(|d| abs(d))
        }
        "mkdir" | "rm" | "touch" | "gunzip" | "gzip" | "xz" | "sha256sum" | "cp" | "mv"
        | "install" => operands().all(|x| abs(x)),
        "chmod" | "chown" => operands().skip(1).all(|x| abs(x)),
        "ln" => operands().next_back().is_some_and(|x| abs(x)),
        "apt-get"
        | "apt"
        | "apk"
        | "yum"
        | "dnf"
        | "microdnf"
        | "zypper"
        | "dpkg"
        | "update-ca-certificates"
        | "useradd"
        | "groupadd"
        | "adduser"
        | "addgroup" => true,
        "go" => w.get(1).map(String::as_str) == Some("install"),
        "echo" | "printf" | "true" | "set" | "export" | "test" | "[" | "for" | "do" | "done"
        | "if" | "then" | "else" | "fi" | "while" | "cd" | "exit" | ":" => true,
        _ => false,
    }
}

/// The paths a fetch command leaves in the image (what a `COPY --from` of
/// its own stage must carry), outermost first; `None` when the command writes
/// anything it does not name (an install, a relative path, a deletion of
/// what it did not make).
pub fn outputs(cmd: &str, cwd: &str) -> Option<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for w in simple_commands(cmd) {
        let prog = program(&w);
        let operands: Vec<&String> = w[1..].iter().filter(|x| !x.starts_with('-')).collect();
        let path = |p: &str| -> Option<String> {
            p.starts_with('/')
                .then(|| literal_prefix(p).map(|l| resolve(cwd, l)))
                .flatten()
        };
        let made =
            |p: &str, out: &Vec<String>| out.iter().any(|o| overlaps(p, o) && p.len() >= o.len());
        // Redirections write their targets.
        for (k, x) in w.iter().enumerate() {
            let bare = x.trim_start_matches(|c: char| c.is_ascii_digit() || c == '&');
            if let Some(t) = bare.strip_prefix(">>").or_else(|| bare.strip_prefix('>')) {
                let t = if t.is_empty() {
                    w.get(k + 1)?.as_str()
                } else {
                    t
                };
                if t.starts_with('&') || t == "/dev/null" {
                    continue;
                }
                out.push(path(t)?);
            }
        }
        match prog {
            "curl" => {
                if let Some(o) = opt_value(&w, 'o', &["--output"]) {
                    out.push(path(o)?);
                } else if w.iter().any(|x| x == "-O" || x == "--remote-name") {
                    return None;
                }
            }
            "wget" => match opt_value(&w, 'O', &["--output-document"]) {
                Some("-") => {}
                Some(o) => out.push(path(o)?),
                None => out.push(path(opt_value(&w, 'P', &["--directory-prefix"])?)?),
            },
            "tar" => {
                let x = w.get(1).is_some_and(|a| {
                    (a.starts_with('-') && !a.starts_with("--") || !a.starts_with('-'))
                        && a.contains('x')
                }) || w.iter().any(|a| a == "--extract");
                if x {
                    out.push(path(opt_value(&w, 'C', &["--directory"])?)?);
                } else {
                    return None;
                }
            }
            "unzip" => out.push(path(opt_value(&w, 'd', &[])?)?),
            "git" if w.get(1).map(String::as_str) == Some("clone") => {
                out.push(path(operands.last()?)?);
            }
            "mkdir" => {
                for o in &operands {
                    out.push(path(o)?);
                }
            }
            // Changes to what the command itself made.
            "chmod" | "chown" | "touch" | "gunzip" | "gzip" | "xz" => {
                let skip = usize::from(matches!(prog, "chmod" | "chown"));
                for o in operands.iter().skip(skip) {
                    let p = path(o)?;
                    if !made(&p, &out) {
                        return None;
                    }
                }
            }
            "rm" => {
                for o in &operands {
                    let p = path(o)?;
                    if let Some(k) = out.iter().position(|x| *x == p) {
                        out.remove(k);
                    } else if !made(&p, &out) {
                        return None;
                    }
                }
            }
            "ln" | "mv" | "cp" | "install" => {
                let last = path(operands.last()?)?;
                out.push(last);
            }
            "echo" | "printf" | "true" | "set" | "export" | "test" | "[" | "for" | "do"
            | "done" | "if" | "then" | "else" | "fi" | "while" | "exit" | ":" | "sha256sum"
            | "cd" => {}
            _ => return None,
        }
    }
    normalize(&mut out);
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlap_is_by_component() {
        assert!(overlaps("/out", "/out/x"));
        assert!(overlaps("/out/x", "/out"));
        assert!(overlaps("/", "/anything"));
        assert!(!overlaps("/out", "/outside"));
        assert!(!overlaps("/out/server", "/out/extensions"));
    }

    #[test]
    fn resolves_relative_paths_against_the_working_directory() {
        assert_eq!(resolve("/src", "./cmd/server"), "/src/cmd/server");
        assert_eq!(resolve("/src/", "../x"), "/x");
        assert_eq!(resolve("/src", "/abs/./y"), "/abs/y");
    }

    #[test]
    fn a_run_touches_named_paths_and_its_directory() {
        let e = of_command("CGO_ENABLED=1 go build -o /out/server ./cmd/server", "/src");
        assert!(e.paths.contains(&"/out/server".to_string()), "{e:?}");
        assert!(e.paths.contains(&"/src".to_string()), "{e:?}");
        assert!(e.paths.contains(&"/root".to_string()), "a toolchain: {e:?}");
        assert!(
            !e.paths.contains(&"/usr".to_string()),
            "not a system install: {e:?}"
        );
        let e = of_command(
            "mkdir -p /out/ext && curl -fsSL https://x/${V}/a.gz -o /out/ext/${V}.gz",
            "/src",
        );
        assert_eq!(
            e.paths,
            vec!["/out/ext".to_string()],
            "names only absolute paths"
        );
    }

    #[test]
    fn conflicts() {
        let fetch = Effects {
            paths: vec!["/out/ext".into()],
            reads_system: true,
        };
        let copy = Effects {
            paths: vec!["/src".into()],
            reads_system: false,
        };
        let install = of_command("apt-get install -y curl", "/");
        let writes_out = Effects {
            paths: vec!["/out".into()],
            reads_system: false,
        };
        assert_eq!(fetch.conflict(&copy), None);
        let Some(Clash::ProgramsOf(system)) = fetch.conflict(&install) else {
            panic!("an install writes what curl runs from");
        };
        assert!(SYSTEM.contains(&system.as_str()), "{system}");
        assert!(matches!(install.conflict(&fetch), Some(Clash::Programs(_))));
        assert_eq!(
            fetch.conflict(&writes_out),
            Some(Clash::Path("/out/ext".into()))
        );
        assert_eq!(copy.conflict(&fetch), None);
    }

    /// The effects of each instruction of the last stage of `text`.
    fn stage_effects(text: &str) -> Vec<Effects> {
        let file = crate::syntax::parse(text.as_bytes()).unwrap();
        let typed = crate::syntax::typed::typed(&file).unwrap();
        let build = crate::model::build(&file, &crate::model::BuildOptions::default()).unwrap();
        let (facts, config) = (
            super::super::Facts::default(),
            super::super::Config::default(),
        );
        let input = Input {
            path: "Dockerfile",
            file: &file,
            typed: &typed,
            build: &build,
            facts: &facts,
            config: &config,
        };
        let stages = input.stages();
        stages
            .last()
            .unwrap()
            .iter()
            .map(|e| of_step(&input, e))
            .collect()
    }

    #[test]
    fn copies_write_their_destination() {
        let e = stage_effects(
            "FROM alpine\nWORKDIR /app\nCOPY go.mod go.sum ./\nCOPY --chown=app . .\nCOPY src/ /srv/\nRUN make\n",
        );
        assert_eq!(e[1].paths, ["/app"], "WORKDIR makes its directory");
        assert_eq!(
            e[2].paths,
            ["/app/go.mod", "/app/go.sum"],
            "named manifests land by name"
        );
        assert_eq!(e[3].paths, ["/app", "/etc/passwd", "/etc/group"]);
        assert_eq!(e[4].paths, ["/srv"]);
        assert_eq!(
            e[5].paths,
            ["/app"],
            "an unknown command uses its directory"
        );
        assert!(e[5].reads_system && !e[2].reads_system);
    }

    #[test]
    fn working_directory_use() {
        assert!(cwd_free("curl -fsSL https://x/a -o /opt/a"));
        assert!(cwd_free("mkdir -p /opt && wget -O /opt/a https://x/a"));
        assert!(!cwd_free("curl -fsSLO https://x/a"));
        assert!(!cwd_free("wget https://x/a"));
        assert!(!cwd_free("curl -o a https://x/a"));
        assert!(cwd_free("curl -fsSL https://x/a.tgz | tar -xz -C /opt"));
        assert!(!cwd_free("curl -fsSL https://x/a.tgz | tar -xz"));
        assert!(cwd_free("apt-get update && apt-get install -y curl"));
        assert!(!cwd_free("echo hi > out.txt"));
        assert!(cwd_free("echo hi > /out.txt"));
    }

    #[test]
    fn outputs_of_fetches() {
        assert_eq!(
            outputs(
                "mkdir -p /out/ext && for e in a b; do curl -fsSL \"https://x/${e}\" -o \"/out/ext/${e}.gz\" || true; done",
                "/src"
            ),
            Some(vec!["/out/ext".to_string()])
        );
        assert_eq!(
            outputs(
                "curl -fsSLo /tmp/t.tgz https://x/t.tgz && tar -xzf /tmp/t.tgz -C /opt/t && rm /tmp/t.tgz",
                "/"
            ),
            Some(vec!["/opt/t".to_string()]),
            "`-fsSLo FILE` names its output"
        );
        assert_eq!(
            outputs(
                "curl -fsSL -o /tmp/t.tgz https://x/t.tgz && mkdir -p /opt/t && tar -xzf /tmp/t.tgz -C /opt/t && rm /tmp/t.tgz",
                "/"
            ),
            Some(vec!["/opt/t".to_string()])
        );
        assert_eq!(outputs("apt-get install -y curl", "/"), None);
        assert_eq!(outputs("curl -O https://x/a", "/"), None);
        assert_eq!(outputs("wget https://x/a", "/"), None);
        assert_eq!(
            outputs("rm -rf /etc/x && wget -O /a https://x/a", "/"),
            None
        );
    }
}
