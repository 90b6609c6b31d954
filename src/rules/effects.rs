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

/// A word without an option name (`--output=/x` → `/x`).
fn path_part(word: &str) -> &str {
    if let Some((key, value)) = word.split_once('=')
        && !key.contains('/')
    {
        // `--output=/x`, `of=/x` (dd), `DESTDIR=/x`
        return value;
    }
    if word.starts_with('-') {
        // `-C/opt`, `-o/x`: a short option glued to a path.
        return word.find('/').map_or("", |at| &word[at..]);
    }
    word
}

/// Programs that run a script or another command given as arguments: what
/// they touch cannot be read from the words (`sh -c '...'`, `eval`, `xargs`).
const INTERPRETERS: &[&str] = &[
    "sh", "bash", "dash", "ash", "zsh", "ksh", "busybox", "eval", "exec", "xargs", "find", "env",
    "nohup", "timeout", "nice", "su", "runuser", "sudo", "chroot", "watch", "source", ".",
    "python", "python3", "perl", "ruby", "node", "awk", "sed", "dd",
];

/// Does the command print or copy its whole environment (so it reads every
/// variable: `env`, `printenv`, `export -p`, `set` with no arguments)?
pub fn dumps_env(cmd: &str) -> bool {
    simple_commands(cmd).iter().any(|w| {
        let prog = program(w);
        // Its arguments, without redirections and their targets.
        let args: Vec<&String> = (1..w.len())
            .filter(|&k| !is_redirect(&w[k]) && !is_redirect(&w[k - 1]))
            .map(|k| &w[k])
            .collect();
        matches!(prog, "env" | "printenv" | "compgen")
            || (matches!(prog, "export" | "set" | "declare" | "typeset")
                && args.iter().all(|a| *a == "-p"))
    })
}

/// Names the command itself assigns (`NAME=value`, `for NAME in`, `read
/// NAME`, `export NAME=...`): their values are not the ENV's.
fn assigned_names(cmd: &str) -> Vec<String> {
    let mut out = Vec::new();
    let bytes = cmd.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let starts_word = i == 0
            || matches!(
                bytes[i - 1],
                b' ' | b'\t' | b';' | b'&' | b'|' | b'(' | b'\n'
            );
        if starts_word && (bytes[i].is_ascii_alphabetic() || bytes[i] == b'_') {
            let end = bytes[i..]
                .iter()
                .position(|c| !(c.is_ascii_alphanumeric() || *c == b'_'))
                .map_or(bytes.len(), |e| i + e);
            if bytes.get(end) == Some(&b'=') {
                out.push(cmd[i..end].to_string());
            }
            i = end.max(i + 1);
        } else {
            i += 1;
        }
    }
    for w in simple_commands(cmd) {
        match w[0].as_str() {
            "for" | "read" | "local" => out.extend(
                w[1..]
                    .iter()
                    .filter(|a| !a.starts_with('-') && *a != "in")
                    .take(if w[0] == "for" { 1 } else { usize::MAX })
                    .cloned(),
            ),
            _ => {}
        }
    }
    out
}

/// Is the word a redirection operator (`>`, `>>`, `2>`, `&>`, `<`, `2>&`)?
fn is_redirect(word: &str) -> bool {
    let bare = word.trim_start_matches(|c: char| c.is_ascii_digit() || c == '&');
    !bare.is_empty() && bare.starts_with(['>', '<'])
}

/// Where a RUN runs and what its shell knows: the working directory, the
/// variables the model sets (ENV and ARG), the home directory.
#[derive(Debug, Clone, Default)]
pub struct Ctx {
    pub cwd: String,
    /// False when no WORKDIR of the Dockerfile set it: the base image's
    /// config may have (hoist does not read images), so relative paths
    /// could be anywhere.
    pub cwd_known: bool,
    pub env: std::collections::BTreeMap<String, String>,
    /// `None` when it cannot be known (a non-root USER).
    pub home: Option<String>,
}

impl Ctx {
    /// A context with no variables, as root.
    pub fn at(cwd: &str) -> Ctx {
        Ctx {
            cwd: cwd.to_string(),
            cwd_known: true,
            env: Default::default(),
            home: Some("/root".into()),
        }
    }

    /// The context of a RUN step, from its key's components.
    pub fn of(step: &Step) -> Ctx {
        let mut ctx = Ctx::at(&cwd(step));
        ctx.cwd_known = step.definition.iter().any(|c| {
            c.name == "cwd" && !matches!(c.origin, crate::model::Origin::Workdir { line: None })
        });
        for c in &step.definition {
            // A build arg's value is the build's to choose: only ENV values
            // the Dockerfile or the image sets are known.
            if let Some(name) = c.name.strip_prefix("env ")
                && !matches!(c.origin, crate::model::Origin::Arg { .. })
            {
                ctx.env.insert(name.to_string(), c.value.clone());
            }
            if c.name == "user" && !matches!(c.value.as_str(), "root" | "0" | "0:0" | "root:root") {
                ctx.home = None;
            }
        }
        if let Some(h) = ctx.env.get("HOME") {
            ctx.home = Some(h.clone());
        }
        ctx
    }

    /// This context without the variables `cmd` assigns itself.
    pub fn shadowed_by(&self, cmd: &str) -> Ctx {
        let mut ctx = self.clone();
        for name in assigned_names(cmd) {
            ctx.env.remove(&name);
            if name == "HOME" {
                ctx.home = None;
            }
        }
        ctx
    }

    /// `~` and the variables it knows, substituted (`$X`, `${X}`).
    fn expand(&self, word: &str) -> Option<String> {
        // `~`: the home directory, or a directory named `~` when quoted
        // (the words no longer show quotes): either way, not known.
        if word.starts_with('~') {
            return None;
        }
        let word = word.to_string();
        let mut out = String::new();
        let mut rest = word.as_str();
        while let Some(at) = rest.find('$') {
            out.push_str(&rest[..at]);
            let after = &rest[at + 1..];
            let (name, len) = match after.strip_prefix('{') {
                Some(b) => match b.find('}') {
                    Some(end)
                        if b[..end]
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_') =>
                    {
                        (&b[..end], end + 2)
                    }
                    _ => ("", 0),
                },
                None => {
                    let end = after
                        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                        .unwrap_or(after.len());
                    (&after[..end], end)
                }
            };
            match self.env.get(name).filter(|_| !name.is_empty()) {
                // Split into several words by the shell: not one path.
                Some(v) if v.contains(char::is_whitespace) => return None,
                Some(v) => {
                    out.push_str(v);
                    rest = &after[len..];
                }
                None => {
                    // Unknown: keep it, and stop (what follows is not literal).
                    out.push_str(&rest[at..]);
                    return Some(out);
                }
            }
        }
        out.push_str(rest);
        Some(out)
    }
}

/// What a word names, as a path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Where {
    /// An absolute, clean path (a directory stands for what is under it).
    Path(String),
    /// A path hoist cannot resolve (`$DEST`, `~` of an unknown user).
    Unknown,
    /// Not a path.
    NotAPath,
}

/// Programs whose operands are files.
const FILE_PROGRAMS: &[&str] = &[
    "mkdir",
    "rm",
    "cp",
    "mv",
    "ln",
    "touch",
    "chmod",
    "chown",
    "install",
    "tar",
    "unzip",
    "gunzip",
    "gzip",
    "xz",
    "cd",
    "cat",
    "sha256sum",
];

/// Options whose value is a file or directory.
const PATH_OPTIONS: &[&str] = &[
    "-o",
    "-O",
    "-P",
    "-C",
    "-d",
    "-f",
    "--output",
    "--output-document",
    "--directory-prefix",
    "--directory",
    "--file",
];

/// What the word at `k` of a simple command names, resolved against `cwds`.
fn locate(w: &[String], k: usize, ctx: &Ctx, cwds: &[String]) -> Vec<Where> {
    let word = path_part(&w[k]);
    if word.is_empty() || is_redirect(word) || word.contains("://") {
        return vec![Where::NotAPath];
    }
    let in_path_position = FILE_PROGRAMS.contains(&program(w))
        || (k > 0 && (is_redirect(&w[k - 1]) || PATH_OPTIONS.contains(&w[k - 1].as_str())))
        || w[k].starts_with("--") && w[k].contains('=');
    let Some(expanded) = ctx.expand(word) else {
        return vec![Where::Unknown];
    };
    if expanded.contains("://") {
        return vec![Where::NotAPath];
    }
    // Modes and owners (`chmod 755 f`, `chown app:app f`, `install -m 0755`).
    let prog = program(w);
    let first_operand = (1..k).all(|j| w[j].starts_with('-'));
    if expanded.chars().all(|c| c.is_ascii_digit())
        || (matches!(prog, "chmod" | "chown") && first_operand)
        || (k > 0
            && matches!(
                w[k - 1].as_str(),
                "-m" | "--mode" | "-g" | "--group" | "--owner"
            ))
        || (prog == "install" && k > 0 && w[k - 1] == "-o")
    {
        return vec![Where::NotAPath];
    }
    if !(expanded.starts_with('/') || expanded.contains('/')) {
        // A bare name: a file in the working directory only where a path is
        // expected; an unknown variable there could be anything.
        return if !in_path_position || expanded.starts_with('-') {
            vec![Where::NotAPath]
        } else if expanded.starts_with(['$', '`']) || !ctx.cwd_known {
            vec![Where::Unknown]
        } else {
            cwds.iter()
                .map(|c| Where::Path(resolve(c, &expanded)))
                .collect()
        };
    }
    if expanded.starts_with("/dev/") || expanded.starts_with("/proc/") {
        return vec![Where::NotAPath];
    }
    if !expanded.starts_with('/') && !ctx.cwd_known {
        return vec![Where::Unknown];
    }
    match literal_prefix(&expanded) {
        Some(lit) if lit.starts_with('/') => vec![Where::Path(resolve("/", lit))],
        Some(lit) => cwds.iter().map(|c| Where::Path(resolve(c, lit))).collect(),
        None if expanded.starts_with(['$', '`']) => vec![Where::Unknown],
        None => cwds.iter().map(|c| Where::Path(c.clone())).collect(),
    }
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

/// Is the program a script run by its path (`./build.sh`, `/opt/x/run`)?
fn w0_is_path(words: &[String]) -> bool {
    words[0].contains('/')
        && !words[0].starts_with("/usr/")
        && !words[0].starts_with("/bin/")
        && !words[0].starts_with("/sbin/")
}

/// The program of a simple command (`/usr/bin/curl` → `curl`).
fn program(words: &[String]) -> &str {
    words[0].rsplit('/').next().unwrap_or(&words[0])
}

/// The effects of a `RUN` whose command is `cmd`, run in `ctx`.
pub fn of_command(cmd: &str, ctx: &Ctx) -> Effects {
    let ctx = &ctx.shadowed_by(cmd);
    let mut paths = Vec::new();
    if !cwd_free(cmd, ctx) {
        paths.push(if ctx.cwd_known {
            ctx.cwd.clone()
        } else {
            "/".to_string()
        });
    }
    // Command substitution and scripts run by name: anything.
    if cmd.contains("$(") || cmd.contains('`') {
        paths.push("/".to_string());
    }
    // Relative paths resolve against the working directory and against any
    // directory a `cd` may have entered (subshells make the order unsure).
    let mut cwds = vec![ctx.cwd.clone()];
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
        if INTERPRETERS.contains(&prog)
            || prog == "umask"
            || prog.starts_with("./")
            || w0_is_path(&words)
        {
            paths.push("/".to_string());
            continue;
        }
        if prog == "cd" {
            let to = match words.get(1) {
                None => vec![ctx.home.clone().map_or(Where::Unknown, Where::Path)],
                Some(_) => locate(&words, 1, ctx, &cwds),
            };
            for t in to {
                let dir = match t {
                    Where::Path(p) => p,
                    _ => "/".to_string(),
                };
                paths.push(dir.clone());
                cwds.push(dir);
            }
            continue;
        }
        for k in 1..words.len() {
            for place in locate(&words, k, ctx, &cwds) {
                match place {
                    Where::Path(p) => paths.push(p),
                    Where::Unknown => paths.push("/".to_string()),
                    Where::NotAPath => {}
                }
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
            of_command(&run_command(step).unwrap_or_default(), &Ctx::of(step))
        }
        (Command::Copy(c) | Command::Add(c), Some(step)) => {
            let dest = step
                .definition
                .iter()
                .find(|x| x.name == "dest")
                .map_or_else(|| c.dest.clone(), |x| x.value.clone());
            // Named files (manifests, not directories or wildcards) land at
            // `dest/name`; anything else may fill the whole destination.
            // (A file only when the context's listing says so: a directory
            // named `package.json` would spread its contents.)
            let listed = |src: &str| {
                input
                    .facts
                    .context_files
                    .as_ref()
                    .is_some_and(|f| f.contains(src.trim_start_matches("./")))
            };
            let files = c.from.is_none()
                && c.sources.iter().all(|src| {
                    super::classify::is_manifest(src)
                        && !src.contains(['*', '?', '['])
                        && listed(src)
                });
            let cwd_unknown = !c.dest.starts_with('/')
                && step.definition.iter().any(|x| {
                    x.name == "dest"
                        && matches!(x.origin, crate::model::Origin::Workdir { line: None })
                });
            let mut paths: Vec<String> = if cwd_unknown {
                vec!["/".to_string()]
            } else if files && dest.ends_with('/') {
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
            // With --chown, the directories it makes on the way are the
            // owner's: whoever makes them first decides who owns them.
            if c.chown.is_some()
                && let Some(top) = resolve("/", &dest).split('/').nth(1)
                && !top.is_empty()
            {
                paths.push(format!("/{top}"));
            }
            normalize(&mut paths);
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

/// The names a text expands (`$NAME`, `${NAME...}`).
pub fn referenced_names(text: &str) -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        let after = rest[at + 1..].strip_prefix('{').unwrap_or(&rest[at + 1..]);
        let end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        if end > 0 {
            out.insert(after[..end].to_string());
        }
        rest = &rest[at + 1..];
    }
    out
}

/// The ARG instructions among `range` that the RUN `cmd` needs: those it
/// expands, and those their defaults expand, transitively.
pub fn needed_args<'e, 't, 'a>(range: &'e [Entry<'t, 'a>], cmd: &str) -> Vec<&'e Entry<'t, 'a>> {
    let mut names = referenced_names(cmd);
    loop {
        let before = names.len();
        for x in range {
            if let Command::Arg(decls) = &x.typed.command
                && decls.iter().any(|d| names.contains(&d.name))
            {
                for d in decls {
                    if let Some(v) = &d.default {
                        names.extend(referenced_names(v));
                    }
                }
            }
        }
        if names.len() == before {
            break;
        }
    }
    range
        .iter()
        .filter(|x| {
            matches!(&x.typed.command, Command::Arg(decls)
                if decls.iter().any(|d| names.contains(&d.name)))
        })
        .collect()
}

/// Why running the RUN `moved` before the instructions `crossed` may change
/// the image, or `None` when the text shows it cannot. `carried` are its
/// ARGs: moved with it above `crossed` (which then see them declared), or,
/// with `copied`, declared again where it goes (the originals stay).
pub fn move_hazard(
    input: &Input,
    moved: &Entry,
    carried: &[&Entry],
    copied: bool,
    crossed: &[&Entry],
) -> Option<String> {
    let step = &input.build.steps[moved.step?];
    let cmd = run_command(step)?;
    let ctx = Ctx::of(step);
    // Mount points appear in the image, and a --network or --security flag
    // may change what the command does where it lands.
    if let Command::Run(run) = &moved.typed.command
        && (!run.mounts.is_empty() || !moved.typed.node.flags.is_empty())
    {
        return Some(
            "it has flags (--mount, --network, --security): their effects are not followed"
                .to_string(),
        );
    }
    // Another user owns what it makes; the base image's USER is not known either.
    if ctx.home.is_none() {
        return Some("it runs as another user than root: who owns the directories it makes depends on the order".to_string());
    }
    let Some(links) = links_before(input, moved.step?) else {
        return Some(
            "an earlier step makes a symbolic link hoist cannot place (after a `cd`, or in the working directory)".to_string(),
        );
    };
    // Symbolic links in the context arrive with a `COPY`: paths through them
    // are not seen.
    if input.facts.context_links
        && crossed.iter().any(|c| {
            c.step
                .is_some_and(|s| !input.build.steps[s].context.is_empty())
        })
    {
        return Some(
            "the build context holds symbolic links, and it crosses a copy of it".to_string(),
        );
    }
    let mut mine = of_command(&cmd, &ctx);
    // The directories its paths are in must exist where it runs: a crossed
    // step may be what makes them.
    let made = made_dirs(&cmd, &ctx);
    let parents: Vec<String> = mine
        .paths
        .iter()
        .filter(|p| !made.iter().any(|m| overlaps(p, m) && p.len() >= m.len()))
        .filter_map(|p| p.rsplit_once('/').map(|(d, _)| d.to_string()))
        .filter(|d| !d.is_empty())
        .collect();
    mine.paths.extend(parents);
    // Programs come from the PATH too: a crossed step may put one there.
    if let Some(path) = ctx.env.get("PATH") {
        mine.paths.extend(
            path.split(':')
                .filter(|d| d.starts_with('/') && !PROGRAMS.contains(d))
                .map(String::from),
        );
    }
    normalize(&mut mine.paths);
    let mine = widen(mine, &links);
    // What the moved instructions read: the command and the ARG defaults.
    let mut reads = cmd.clone();
    for a in carried {
        reads.push('\n');
        reads.push_str(&String::from_utf8_lossy(&a.typed.node.logical));
    }
    let carried_names: Vec<(&str, usize)> = carried
        .iter()
        .flat_map(|a| match &a.typed.command {
            Command::Arg(decls) => decls
                .iter()
                .map(|d| (d.name.as_str(), a.typed.node.start_line))
                .collect(),
            _ => Vec::new(),
        })
        .collect();
    for c in crossed {
        let line = c.typed.node.start_line;
        let dumps = dumps_env(&cmd);
        let sets = |name: &str| references(&reads, name) || env_sensitive(name) || dumps;
        let what = match &c.typed.command {
            Command::Workdir(_) if !cwd_free(&cmd, &ctx) => Some(format!(
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
                .find(|kv| sets(&kv.key))
                .map(|kv| format!("it would run without the ENV {} set on line {line}", kv.key)),
            Command::Arg(decls) => decls.iter().find(|d| sets(&d.name)).map(|d| {
                format!(
                    "it would run without the ARG {} declared on line {line}",
                    d.name
                )
            }),
            _ => None,
        };
        if what.is_some() {
            return what;
        }
        // A carried ARG is declared earlier: what lies between its new place
        // and its old one sees it (R5.2), in its text and in a RUN's environment.
        if !copied {
            let text = String::from_utf8_lossy(&c.typed.node.logical).into_owned();
            let run = c.step.and_then(|s| run_command(&input.build.steps[s]));
            for (name, declared) in &carried_names {
                if line > *declared {
                    continue;
                }
                if references(&text, name)
                    || c.typed
                        .node
                        .heredocs
                        .iter()
                        .any(|h| references(&String::from_utf8_lossy(&h.content), name))
                {
                    return Some(format!(
                        "line {line} expands ${name}, which it would then see declared (line {declared})"
                    ));
                }
                if let Some(run) = &run {
                    let plain = super::classify::only_installs(run);
                    if !plain || env_sensitive(name) {
                        return Some(format!(
                            "the RUN on line {line} would see ARG {name} (line {declared}) in its environment"
                        ));
                    }
                }
            }
        }
        let theirs = widen(of_step(input, c), &links);
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

/// Directories the command makes with their parents (`mkdir -p`, `install
/// -d`, `curl --create-dirs -o`): what lies in them needs nothing before.
fn made_dirs(cmd: &str, ctx: &Ctx) -> Vec<String> {
    let mut out = Vec::new();
    for w in simple_commands(cmd) {
        let prog = program(&w);
        let abs = |a: &str| {
            ctx.expand(a)
                .and_then(|e| literal_prefix(&e).map(str::to_string))
                .filter(|l| l.starts_with('/'))
                .map(|l| resolve("/", &l))
        };
        let parents = w.iter().any(|a| {
            a == "-p"
                || a == "--parents"
                || (a.starts_with('-') && !a.starts_with("--") && a.contains('p'))
        });
        match prog {
            "mkdir" if parents => {
                out.extend(
                    w[1..]
                        .iter()
                        .filter(|a| !a.starts_with('-'))
                        .filter_map(|a| abs(a)),
                );
            }
            "install" if w.iter().any(|a| a == "-d") => {
                out.extend(
                    w[1..]
                        .iter()
                        .filter(|a| !a.starts_with('-'))
                        .filter_map(|a| abs(a)),
                );
            }
            "curl" if w.iter().any(|a| a == "--create-dirs") => {
                for (k, a) in w.iter().enumerate() {
                    if (a == "-o" || a == "--output")
                        && let Some(v) = w.get(k + 1).and_then(|v| abs(v))
                    {
                        out.extend(
                            v.rsplit_once('/')
                                .map(|(d, _)| d.to_string())
                                .filter(|d| !d.is_empty()),
                        );
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// Symbolic links the steps before `step` (in its chain) make: (link, target),
/// absolute. A path through a link is also the path it points to.
fn links_before(input: &Input, step: usize) -> Option<Vec<(String, String)>> {
    let mut out = Vec::new();
    for p in super::prior_steps(input.build, step) {
        let st = &input.build.steps[p];
        let Some(cmd) = run_command(st) else { continue };
        let ctx = Ctx::of(st);
        for w in simple_commands(&cmd) {
            if program(&w) != "ln" || !w[1..].iter().any(|a| a.starts_with('-') && a.contains('s'))
            {
                continue;
            }
            let ops: Vec<&String> = w[1..].iter().filter(|a| !a.starts_with('-')).collect();
            // After a `cd`, or with one operand, the link's place is not known.
            if ops.len() != 2 || cmd.contains("cd ") {
                return None;
            }
            if let [target, link] = ops.as_slice()
                && let (Some(t), Some(l)) = (ctx.expand(target), ctx.expand(link))
            {
                let link = resolve(&ctx.cwd, &l);
                let parent = link
                    .rsplit_once('/')
                    .map_or("/", |(d, _)| if d.is_empty() { "/" } else { d })
                    .to_string();
                out.push((link, resolve(&parent, &t)));
            }
        }
    }
    Some(out)
}

/// The effects with every path also named through the links.
fn widen(mut e: Effects, links: &[(String, String)]) -> Effects {
    let mut more = Vec::new();
    for p in &e.paths {
        for (link, target) in links {
            for (from, to) in [(link, target), (target, link)] {
                if let Some(rest) = p.strip_prefix(from.as_str())
                    && (rest.is_empty() || rest.starts_with('/'))
                {
                    more.push(format!("{to}{rest}"));
                }
            }
        }
    }
    e.paths.extend(more);
    normalize(&mut e.paths);
    e
}

/// Does the command use its working directory? False only when every simple
/// command is one whose files are all named by absolute paths.
pub fn cwd_free(cmd: &str, ctx: &Ctx) -> bool {
    simple_commands(cmd)
        .iter()
        .all(|w| command_cwd_free(w, ctx))
}

fn command_cwd_free(w: &[String], ctx: &Ctx) -> bool {
    let prog = program(w);
    // `$PWD`, `pwd`, a relative glob (`echo *`), `test -e name`: the
    // working directory is read without a path naming it.
    let implicit = prog == "pwd"
        || w.iter().any(|a| {
            a.contains("PWD")
                || (a.contains(['*', '?', '[']) && !a.starts_with('/') && !a.contains("://"))
        })
        || (matches!(prog, "test" | "[" | "[[")
            && w[1..].iter().any(|a| {
                !a.starts_with(['-', '/', '$', '"', ']'])
                    && !a.is_empty()
                    && a.chars().any(|c| c.is_ascii_alphabetic())
            }));
    if implicit || INTERPRETERS.contains(&prog) {
        return false;
    }
    let abs = |s: &str| s == "-" || ctx.expand(s).is_some_and(|e| e.starts_with('/'));
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
        "ln" => operands().count() >= 2 && operands().next_back().is_some_and(|x| abs(x)),
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
        // Named packages, no requirement file or local path.
        "pip" | "pip3" => {
            w.get(1).map(String::as_str) == Some("install")
                && super::classify::pinned_packages(&w[2..], |_| true)
        }
        "gem" => w.get(1).map(String::as_str) == Some("install"),
        "echo" | "printf" | "true" | "set" | "export" | "test" | "[" | "for" | "do" | "done"
        | "if" | "then" | "else" | "fi" | "while" | "exit" | ":" => true,
        _ => false,
    }
}

/// The paths a fetch command leaves in the image (what a `COPY --from` of
/// its own stage must carry), outermost first; `None` when the command writes
/// anything it does not name (an install, a relative path, a variable hoist
/// does not know, a deletion of what it did not make, a `cd`) or makes a
/// symbolic link a `COPY --from` would follow.
pub fn outputs(cmd: &str, ctx: &Ctx) -> Option<Vec<String>> {
    let ctx = &ctx.shadowed_by(cmd);
    if cmd.contains("$(") || cmd.contains('`') {
        return None;
    }
    let mut out: Vec<String> = Vec::new();
    // Directories it makes: their own mode and owner would not survive a
    // `COPY --from` (which makes the destination directory itself).
    let mut dirs: Vec<String> = Vec::new();
    for w in simple_commands(cmd) {
        let prog = program(&w);
        // Operands: not options, not redirections nor their targets.
        let operands: Vec<&String> = (1..w.len())
            .filter(|&k| !w[k].starts_with('-') && !is_redirect(&w[k]) && !is_redirect(&w[k - 1]))
            .map(|k| &w[k])
            .collect();
        let path = |p: &str| -> Option<String> {
            let p = ctx.expand(p)?;
            let lit = literal_prefix(&p)?;
            lit.starts_with('/').then(|| resolve("/", lit))
        };
        // Made by the command (at or under one of its outputs).
        let made =
            |p: &str, out: &Vec<String>| out.iter().any(|o| overlaps(p, o) && p.len() >= o.len());
        // Redirections write their targets.
        for (k, x) in w.iter().enumerate() {
            if !is_redirect(x)
                || x.trim_start_matches(|c: char| c.is_ascii_digit())
                    .starts_with('<')
            {
                continue;
            }
            let t = w.get(k + 1).map_or("", String::as_str);
            if x.ends_with('&') || t.starts_with("/dev/") {
                continue;
            }
            out.push(path(t)?);
        }
        match prog {
            "curl" => {
                let remote_name = w.iter().any(|x| {
                    x.starts_with("--remote-name")
                        || (x.starts_with('-') && !x.starts_with("--") && x.contains(['O', 'J']))
                });
                if remote_name {
                    return None;
                }
                // Every `-o FILE` (one per URL).
                for (k, x) in w.iter().enumerate() {
                    let value = if x == "-o" || x == "--output" {
                        w.get(k + 1).map(String::as_str)
                    } else if let Some(v) = x.strip_prefix("--output=") {
                        Some(v)
                    } else if x.starts_with('-') && !x.starts_with("--") && x.ends_with('o') {
                        w.get(k + 1).map(String::as_str)
                    } else {
                        None
                    };
                    if let Some(v) = value {
                        out.push(path(v)?);
                    }
                }
            }
            "wget" => match opt_value(&w, 'O', &["--output-document"]) {
                Some("-") => {}
                Some(o) => out.push(path(o)?),
                None => out.push(path(opt_value(&w, 'P', &["--directory-prefix"])?)?),
            },
            // Extraction sets the directory's own mode from the archive.
            "tar" | "unzip" => return None,
            "git" if w.get(1).map(String::as_str) == Some("clone") => {
                let d = path(operands.last()?)?;
                dirs.push(d.clone());
                out.push(d);
            }
            "mkdir" => {
                if w.iter().any(|x| x == "-m" || x.starts_with("--mode")) {
                    return None;
                }
                for o in &operands {
                    let d = path(o)?;
                    dirs.push(d.clone());
                    out.push(d);
                }
            }
            // Changes to what the command itself made, not to a directory
            // a `COPY --from` would make anew.
            "chmod" | "chown" | "touch" => {
                let skip = usize::from(matches!(prog, "chmod" | "chown"));
                for o in operands.iter().skip(skip) {
                    let p = path(o)?;
                    if !made(&p, &out) || (prog != "touch" && dirs.contains(&p)) {
                        return None;
                    }
                }
            }
            // `gzip F` leaves F.gz, `gunzip F.gz` leaves F.
            "gzip" | "gunzip" | "xz" | "unxz" | "bzip2" | "bunzip2" => {
                let unpack = matches!(prog, "gunzip" | "unxz" | "bunzip2")
                    || w.iter().any(|x| x == "-d" || x == "--decompress");
                let ext = match prog {
                    "gzip" | "gunzip" => ".gz",
                    "xz" | "unxz" => ".xz",
                    _ => ".bz2",
                };
                if w.iter()
                    .any(|x| x == "-k" || x == "--keep" || x == "-c" || x == "--stdout")
                {
                    return None;
                }
                for o in &operands {
                    let p = path(o)?;
                    let k = out.iter().position(|x| *x == p)?;
                    let renamed = if unpack {
                        p.strip_suffix(ext)?.to_string()
                    } else {
                        format!("{p}{ext}")
                    };
                    out[k] = renamed;
                }
            }
            "rm" => {
                for o in &operands {
                    let p = path(o)?;
                    // Only a file it wrote itself; a directory it made may
                    // leave its parents behind.
                    match out.iter().position(|x| *x == p) {
                        Some(k) if !dirs.contains(&p) => {
                            out.remove(k);
                        }
                        _ if made(&p, &out) && !out.contains(&p) => {}
                        _ => return None,
                    }
                }
            }
            // A move takes away its sources, which must be the command's own.
            "mv" => {
                let (dest, sources) = operands.split_last()?;
                for src in sources {
                    let p = path(src)?;
                    match out.iter().position(|x| *x == p) {
                        Some(k) if !dirs.contains(&p) => {
                            out.remove(k);
                        }
                        _ => return None,
                    }
                }
                out.push(path(dest)?);
            }
            "cp" => out.push(path(operands.last()?)?),
            "install" => {
                if w.iter()
                    .any(|x| x == "-m" || x.starts_with("--mode") || x == "-o" || x == "-g")
                {
                    return None;
                }
                if w.iter().any(|x| x == "-d" || x == "--directory") {
                    for o in &operands {
                        let d = path(o)?;
                        dirs.push(d.clone());
                        out.push(d);
                    }
                } else {
                    out.push(path(operands.last()?)?);
                }
            }
            // A link inside a directory the command made is copied as a
            // link; one of its own outputs would be followed by `COPY --from`.
            "ln" => {
                let p = path(operands.last()?)?;
                if !out
                    .iter()
                    .any(|o| p != *o && overlaps(&p, o) && p.len() > o.len())
                {
                    return None;
                }
            }
            "echo" | "printf" | "true" | "set" | "test" | "[" | "for" | "do" | "done" | "if"
            | "then" | "else" | "fi" | "while" | "exit" | ":" | "sha256sum" => {}
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
    fn redirections_are_words_of_their_own() {
        let w = |t: &str| super::super::simple_commands(t);
        assert_eq!(w("echo x>>/f"), [["echo", "x", ">>", "/f"]]);
        assert_eq!(
            w("make 2>&1 | tee /log"),
            vec![vec!["make", "2>&", "1"], vec!["tee", "/log"]]
        );
        assert_eq!(w("cmd &>/dev/null"), [["cmd", "&>", "/dev/null"]]);
        assert_eq!(w("echo 'a>b' > out"), [["echo", "a>b", ">", "out"]]);
        assert_eq!(w("sort <in"), [["sort", "<", "in"]]);
    }

    #[test]
    fn variables_home_and_cd() {
        let mut ctx = Ctx::at("/app");
        ctx.env.insert("OUT".into(), "/opt/out".into());
        let e = of_command("curl -fsSL https://x/a -o $OUT/a", &ctx);
        assert_eq!(e.paths, ["/opt/out/a"]);
        let e = of_command("curl -fsSL https://x/a -o ~/.config/a", &ctx);
        assert_eq!(e.paths, ["/"], "`~` or a quoted \"~\" directory: not known");
        let e = of_command("curl -fsSL https://x/a -o \"$DEST\"", &ctx);
        assert_eq!(e.paths, ["/"], "an unknown variable may be anything");
        let e = of_command("cd /opt && curl -fsSL https://x/a -o bin/a", &ctx);
        assert!(e.paths.contains(&"/opt".to_string()), "{e:?}");
        assert!(e.paths.contains(&"/app".to_string()), "{e:?}");
        let e = of_command("cd && curl -fsSL https://x/a -o bin/a", &ctx);
        assert!(e.paths.contains(&"/root".to_string()), "{e:?}");
        ctx.home = None;
        let e = of_command("curl -fsSL https://x/a -o ~/a", &ctx);
        assert_eq!(e.paths, ["/"], "the home of an unknown user");
        assert_eq!(
            outputs("curl -fsSL https://x/a -o $OUT/a", &Ctx::at("/")),
            None
        );
    }

    #[test]
    fn outputs_follow_moves_and_refuse_links_they_would_follow() {
        let ctx = Ctx::at("/src");
        assert_eq!(
            outputs("curl -fsSL https://x/t -o /tmp/t && mv /tmp/t /opt/t", &ctx),
            Some(vec!["/opt/t".to_string()])
        );
        assert_eq!(outputs("mv /etc/x /opt/x", &ctx), None, "not its own file");
        assert_eq!(
            outputs(
                "mkdir -p /opt/tool /opt/bin && curl -fsSL https://x/t -o /opt/tool/t && ln -s /opt/tool/t /opt/bin/t",
                &ctx
            ),
            Some(vec!["/opt/bin".to_string(), "/opt/tool".to_string()])
        );
        assert_eq!(
            outputs(
                "curl -fsSL https://x/t -o /opt/t && ln -s /opt/t /usr/local/bin/t",
                &ctx
            ),
            None
        );
        assert_eq!(outputs("curl -fsSLO https://x/t", &ctx), None);
        assert_eq!(
            outputs("cd /opt && curl -fsSL https://x/t -o t", &ctx),
            None
        );
        assert_eq!(
            outputs(
                "curl -fsSL https://x/t -o /opt/a && echo ok>/opt/a.sha",
                &ctx
            ),
            Some(vec!["/opt/a".to_string(), "/opt/a.sha".to_string()])
        );
    }

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
        let e = of_command(
            "CGO_ENABLED=1 go build -o /out/server ./cmd/server",
            &Ctx::at("/src"),
        );
        assert!(e.paths.contains(&"/out/server".to_string()), "{e:?}");
        assert!(e.paths.contains(&"/src".to_string()), "{e:?}");
        assert!(e.paths.contains(&"/root".to_string()), "a toolchain: {e:?}");
        assert!(
            !e.paths.contains(&"/usr".to_string()),
            "not a system install: {e:?}"
        );
        let e = of_command(
            "mkdir -p /out/ext && curl -fsSL https://x/${V}/a.gz -o /out/ext/${V}.gz",
            &Ctx::at("/src"),
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
        let install = of_command("apt-get install -y curl", &Ctx::at("/"));
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
        let facts = super::super::Facts {
            context_files: Some(std::sync::Arc::new(
                ["go.mod", "go.sum"].iter().map(|s| s.to_string()).collect(),
            )),
            ..Default::default()
        };
        let (facts, config) = (facts, super::super::Config::default());
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
        assert_eq!(e[3].paths, ["/app", "/etc/group", "/etc/passwd"]);
        assert_eq!(e[4].paths, ["/srv"]);
        assert_eq!(
            e[5].paths,
            ["/app"],
            "an unknown command uses its directory"
        );
        assert!(e[5].reads_system && !e[2].reads_system);
    }

    fn cwd_free_at(cmd: &str) -> bool {
        cwd_free(cmd, &Ctx::at("/src"))
    }

    #[test]
    fn working_directory_use() {
        assert!(cwd_free_at("curl -fsSL https://x/a -o /opt/a"));
        assert!(cwd_free_at("mkdir -p /opt && wget -O /opt/a https://x/a"));
        assert!(!cwd_free_at("curl -fsSLO https://x/a"));
        assert!(!cwd_free_at("wget https://x/a"));
        assert!(!cwd_free_at("curl -o a https://x/a"));
        assert!(cwd_free_at("curl -fsSL https://x/a.tgz | tar -xz -C /opt"));
        assert!(!cwd_free_at("curl -fsSL https://x/a.tgz | tar -xz"));
        assert!(cwd_free_at("apt-get update && apt-get install -y curl"));
        assert!(!cwd_free_at("echo hi > out.txt"));
        assert!(cwd_free_at("echo hi > /out.txt"));
    }

    #[test]
    fn outputs_of_fetches() {
        assert_eq!(
            outputs(
                "mkdir -p /out/ext && for e in a b; do curl -fsSL \"https://x/${e}\" -o \"/out/ext/${e}.gz\" || true; done",
                &Ctx::at("/src")
            ),
            Some(vec!["/out/ext".to_string()])
        );
        assert_eq!(
            outputs(
                "curl -fsSLo /tmp/t.gz https://x/t.gz && gunzip /tmp/t.gz && mv /tmp/t /opt/t",
                &Ctx::at("/")
            ),
            Some(vec!["/opt/t".to_string()]),
            "`-fsSLo FILE` names its output; gunzip renames it"
        );
        assert_eq!(
            outputs(
                "curl -fsSL -o /tmp/t.tgz https://x/t.tgz && mkdir -p /opt/t && tar -xzf /tmp/t.tgz -C /opt/t && rm /tmp/t.tgz",
                &Ctx::at("/")
            ),
            None,
            "an archive sets the mode of the directory it is unpacked into"
        );
        let ctx = Ctx::at("/");
        assert_eq!(
            outputs(
                "curl -fsSL -o /opt/a https://x/a -o /opt/b https://x/b",
                &ctx
            ),
            Some(vec!["/opt/a".to_string(), "/opt/b".to_string()])
        );
        assert_eq!(
            outputs(
                "curl -fsSL -o /opt/a https://x/a && echo ok > /dev/stderr",
                &ctx
            ),
            Some(vec!["/opt/a".to_string()])
        );
        assert_eq!(
            outputs("curl -o /opt/d https://x/d && gzip /opt/d", &ctx),
            Some(vec!["/opt/d.gz".to_string()])
        );
        assert_eq!(
            outputs(
                "mkdir -p /srv/s && chmod 700 /srv/s && curl -o /srv/s/x https://x",
                &ctx
            ),
            None
        );
        assert_eq!(
            outputs(
                "mkdir -p /opt/t/tmp /opt/bin && curl -o /opt/bin/t https://x && rm -r /opt/t/tmp",
                &ctx
            ),
            None
        );
        assert_eq!(
            outputs(
                "install -d /opt/cache /opt/bin && curl -o /opt/bin/t https://x",
                &ctx
            ),
            Some(vec!["/opt/bin".to_string(), "/opt/cache".to_string()])
        );
        assert_eq!(outputs("sh -c 'curl -o /opt/t https://x'", &ctx), None);
        assert_eq!(outputs("apt-get install -y curl", &Ctx::at("/")), None);
        assert_eq!(outputs("curl -O https://x/a", &Ctx::at("/")), None);
        assert_eq!(outputs("wget https://x/a", &Ctx::at("/")), None);
        assert_eq!(
            outputs("rm -rf /etc/x && wget -O /a https://x/a", &Ctx::at("/")),
            None
        );
    }
}
