//! What the rules need to know about copies and commands: which context paths
//! are dependency manifests, which copies bring the source tree, which commands
//! install dependencies and which only fetch pinned things.

use crate::model::{Step, StepKind};

use super::simple_commands;

/// Files that declare dependencies (see `ecosystems.md`).
const MANIFESTS: &[&str] = &[
    "go.mod",
    "go.sum",
    "go.work",
    "go.work.sum",
    "package.json",
    "package-lock.json",
    "npm-shrinkwrap.json",
    "yarn.lock",
    ".yarnrc.yml",
    ".npmrc",
    "pnpm-lock.yaml",
    "pnpm-workspace.yaml",
    "requirements.txt",
    "pyproject.toml",
    "poetry.lock",
    "uv.lock",
    "Pipfile",
    "Pipfile.lock",
    "setup.cfg",
    "Gemfile",
    "Gemfile.lock",
    "composer.json",
    "composer.lock",
    "pom.xml",
    "build.gradle",
    "build.gradle.kts",
    "settings.gradle",
    "settings.gradle.kts",
    "gradle.properties",
    "Cargo.toml",
    "Cargo.lock",
    "mix.exs",
    "mix.lock",
    "packages.lock.json",
    "Directory.Packages.props",
    "Directory.Build.props",
    "NuGet.config",
    "nuget.config",
    "global.json",
];

/// Is this context path a dependency manifest (or a lockfile)?
pub fn is_manifest(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    // A wildcard (`package*.json`, `*.csproj`) that names manifests.
    if name.contains(['*', '?']) {
        let literal = name.trim_matches(['*', '?']);
        return !literal.is_empty()
            && (MANIFESTS.iter().any(|m| glob(name, m))
                || ["requirements.txt", "app.csproj", "app.fsproj", "app.sln"]
                    .iter()
                    .any(|m| glob(name, m)));
    }
    MANIFESTS.contains(&name)
        || (name.starts_with("requirements") && name.ends_with(".txt"))
        || name.ends_with(".csproj")
        || name.ends_with(".fsproj")
        || name.ends_with(".sln")
        || name.ends_with(".gemspec")
}

/// `*` and `?` wildcard match of a whole name.
fn glob(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    // Classic two-pointer match with backtracking to the last `*`.
    let (mut i, mut j, mut star, mut mark) = (0, 0, None, 0);
    while j < n.len() {
        if i < p.len() && (p[i] == '?' || p[i] == n[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some(i);
            mark = j;
            i += 1;
        } else if let Some(s) = star {
            i = s + 1;
            mark += 1;
            j = mark;
        } else {
            return false;
        }
    }
    p[i..].iter().all(|&c| c == '*')
}

/// What a COPY/ADD (or a bind mount) brings from the context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Brings {
    Nothing,
    /// Only manifests and lockfiles.
    Manifests,
    /// Named files that are not manifests (`COPY settings.json /etc/app/`):
    /// they change when those files change, not with every source edit.
    Files,
    /// Source files: the whole context, a directory, or a wildcard.
    Source,
}

/// Does a context source name one file (`config/app.json`), not a directory,
/// the whole context or a wildcard? Judged from the name: a last component
/// with an extension. A directory named like a file is taken for a file (the
/// rules then stay quiet rather than report a wrong finding).
fn is_named_file(source: &str) -> bool {
    let name = source.rsplit('/').next().unwrap_or(source);
    !source.ends_with('/')
        && !source.contains(['*', '?', '['])
        && name.rsplit_once('.').is_some_and(|(stem, ext)| {
            !stem.is_empty()
                && (1..=5).contains(&ext.len())
                && ext.chars().all(|c| c.is_ascii_alphanumeric())
        })
}

pub fn brings(step: &Step) -> Brings {
    if !matches!(step.kind, StepKind::Copy | StepKind::Add) || step.context.is_empty() {
        return Brings::Nothing;
    }
    if step.context.iter().all(|c| is_manifest(&c.source)) {
        Brings::Manifests
    } else if step
        .context
        .iter()
        .all(|c| is_manifest(&c.source) || is_named_file(&c.source))
    {
        Brings::Files
    } else {
        Brings::Source
    }
}

/// Does a COPY bring the whole context (or a large part of it, `src/`)?
pub fn is_source_copy(step: &Step) -> bool {
    brings(step) == Brings::Source
}

/// Does the RUN read manifests from the context through a bind mount?
pub fn binds_context(step: &Step) -> bool {
    step.kind == StepKind::Run && !step.context.is_empty()
}

/// The ecosystem of a dependency-install command, with the manifests to copy first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ecosystem {
    pub name: &'static str,
    pub manifests: &'static [&'static str],
}

const GO: Ecosystem = Ecosystem {
    name: "go",
    manifests: &["go.mod", "go.sum"],
};
const NPM: Ecosystem = Ecosystem {
    name: "npm",
    manifests: &["package.json", "package-lock.json"],
};
const YARN: Ecosystem = Ecosystem {
    name: "yarn",
    manifests: &["package.json", "yarn.lock"],
};
const PNPM: Ecosystem = Ecosystem {
    name: "pnpm",
    manifests: &["package.json", "pnpm-lock.yaml"],
};
const PIP: Ecosystem = Ecosystem {
    name: "pip",
    manifests: &["requirements.txt"],
};
const UV: Ecosystem = Ecosystem {
    name: "uv",
    manifests: &["pyproject.toml", "uv.lock"],
};
const POETRY: Ecosystem = Ecosystem {
    name: "poetry",
    manifests: &["pyproject.toml", "poetry.lock"],
};
const BUNDLER: Ecosystem = Ecosystem {
    name: "bundler",
    manifests: &["Gemfile", "Gemfile.lock"],
};
const COMPOSER: Ecosystem = Ecosystem {
    name: "composer",
    manifests: &["composer.json", "composer.lock"],
};
const MAVEN: Ecosystem = Ecosystem {
    name: "maven",
    manifests: &["pom.xml"],
};
const DOTNET: Ecosystem = Ecosystem {
    name: "dotnet",
    manifests: &["*.csproj"],
};
const CARGO: Ecosystem = Ecosystem {
    name: "cargo",
    manifests: &["Cargo.toml", "Cargo.lock"],
};

/// The dependency-install command among a RUN's commands, if any: the
/// ecosystem and the command as written.
pub fn dependency_install(command: &str) -> Option<(Ecosystem, String)> {
    for words in simple_commands(command) {
        let w: Vec<&str> = words.iter().map(String::as_str).collect();
        let prog = w[0].rsplit('/').next().unwrap_or(w[0]);
        // The subcommand: the first word that is not an option
        // (`pip --no-cache-dir install -r ...`).
        let sub = w[1..]
            .iter()
            .copied()
            .find(|x| !x.starts_with('-'))
            .unwrap_or("");
        let has = |flag: &str| {
            w.iter()
                .any(|x| *x == flag || x.starts_with(&format!("{flag}=")))
        };
        let eco = match prog {
            "go" if sub == "mod" && w.get(2) == Some(&"download") => Some(GO),
            "npm"
                if matches!(sub, "ci" | "install" | "i")
                    && w.len() <= 4
                    && !has("-g")
                    && !has("--global") =>
            {
                Some(NPM)
            }
            "yarn" if w.len() == 1 || sub == "install" => Some(YARN),
            "pnpm" if matches!(sub, "install" | "i" | "fetch") => Some(PNPM),
            "pip" | "pip3" if sub == "install" && (has("-r") || has("--requirement")) => Some(PIP),
            "python" | "python3"
                if w.windows(3).any(|x| x == ["-m", "pip", "install"])
                    && (has("-r") || has("--requirement")) =>
            {
                Some(PIP)
            }
            "uv" if sub == "sync"
                || (sub == "pip" && w.get(2) == Some(&"install") && has("-r")) =>
            {
                Some(UV)
            }
            "poetry" if sub == "install" => Some(POETRY),
            "bundle" if sub == "install" || w.len() == 1 => Some(BUNDLER),
            "composer" if sub == "install" => Some(COMPOSER),
            "mvn" | "mvnw" | "./mvnw" if w.iter().any(|x| x.starts_with("dependency:")) => {
                Some(MAVEN)
            }
            "dotnet" if sub == "restore" => Some(DOTNET),
            "cargo" if matches!(sub, "fetch" | "build") => Some(CARGO),
            _ => None,
        };
        if let Some(e) = eco {
            return Some((e, words.join(" ")));
        }
    }
    None
}

/// `go mod tidy` / `go mod vendor`: commands that read the imports of the source.
pub fn source_reading_go_mod(command: &str) -> Option<String> {
    simple_commands(command).into_iter().find_map(|w| {
        let prog = w[0].rsplit('/').next().unwrap_or(&w[0]).to_string();
        (prog == "go"
            && w.get(1).map(String::as_str) == Some("mod")
            && matches!(w.get(2).map(String::as_str), Some("tidy" | "vendor")))
        .then(|| w.join(" "))
    })
}

/// Programs that neither read the source tree nor depend on it when given
/// absolute paths: package managers, downloaders, file tools.
const FETCH: &[&str] = &["curl", "wget", "git"];
const INSTALL: &[&str] = &["apt-get", "apt", "apk", "yum", "dnf", "microdnf", "zypper"];
const NEUTRAL: &[&str] = &[
    "mkdir",
    "rm",
    "chmod",
    "chown",
    "tar",
    "gunzip",
    "gzip",
    "unzip",
    "xz",
    "echo",
    "ln",
    "mv",
    "true",
    "set",
    "export",
    "test",
    "[",
    "for",
    "do",
    "done",
    "if",
    "then",
    "else",
    "fi",
    "while",
    "dpkg",
    "update-ca-certificates",
    "useradd",
    "groupadd",
    "adduser",
    "addgroup",
    "sha256sum",
    "printf",
    "install",
    "touch",
    "cd",
];

/// Does this RUN only download or install things named in the command (and
/// build args)? Such a step depends on nothing the source tree holds. Returns
/// the downloading/installing commands.
pub fn independent_fetch(command: &str) -> Option<Vec<String>> {
    let mut fetches = Vec::new();
    for w in simple_commands(command) {
        let prog = w[0].rsplit('/').next().unwrap_or(&w[0]);
        // A relative path argument may name a source file.
        let relative = w[1..]
            .iter()
            .any(|a| a.starts_with("./") || a.starts_with("../"));
        if relative {
            return None;
        }
        if FETCH.contains(&prog) {
            if prog == "git" && w.get(1).map(String::as_str) != Some("clone") {
                return None;
            }
            fetches.push(w.join(" "));
        } else if INSTALL.contains(&prog) {
            if w.iter().any(|x| matches!(x.as_str(), "install" | "add")) {
                fetches.push(w.join(" "));
            }
        } else if matches!(prog, "pip" | "pip3")
            && w.get(1).map(String::as_str) == Some("install")
            && pinned_packages(&w[2..], |p| p.contains("=="))
        {
            // `pip install tool==1.2`: named, pinned packages only.
            fetches.push(w.join(" "));
        } else if prog == "gem"
            && w.get(1).map(String::as_str) == Some("install")
            && w.iter()
                .any(|x| x == "-v" || x == "--version" || x.starts_with("--version="))
        {
            fetches.push(w.join(" "));
        } else if prog == "go" && w.get(1).map(String::as_str) == Some("install") {
            // `go install pkg@version` ignores the module in the working
            // directory; `@latest` (or a branch) is not pinned: cached above
            // the copy, it would never be refreshed.
            if !w[2..].iter().any(|a| a.contains('@'))
                || w[2..].iter().any(|a| {
                    a.ends_with("@latest") || a.ends_with("@master") || a.ends_with("@main")
                })
            {
                return None;
            }
            fetches.push(w.join(" "));
        } else if !NEUTRAL.contains(&prog) && !prog.starts_with("${") {
            return None;
        }
    }
    (!fetches.is_empty()).then_some(fetches)
}

/// Does every command of the RUN only download, install packages or install
/// dependencies (with file tools around them)? Such a RUN does not read
/// arbitrary variables from its environment; any other command (a build, a
/// script, `node -e`) may.
pub fn only_installs(command: &str) -> bool {
    if super::effects::dumps_env(command) || command.contains("$(") || command.contains('`') {
        return false;
    }
    simple_commands(command).iter().all(|w| {
        let prog = w[0].rsplit('/').next().unwrap_or(&w[0]);
        FETCH.contains(&prog)
            || INSTALL.contains(&prog)
            || NEUTRAL.contains(&prog)
            || (prog == "go" && w.get(1).map(String::as_str) == Some("install"))
            // `go mod download` only fetches; npm, pip, bundler, composer,
            // cargo... run package or project scripts, which may read the
            // environment.
            || dependency_install(&w.join(" ")).is_some_and(|(eco, _)| eco.name == "go")
    })
}

/// Are the package arguments (not options) all pinned, and is there one?
/// Files, directories and requirement files are not packages.
pub fn pinned_packages(args: &[String], pinned: impl Fn(&str) -> bool) -> bool {
    let mut any = false;
    let mut skip_next = false;
    for a in args {
        if skip_next {
            skip_next = false;
            continue;
        }
        if a.starts_with('-') {
            // Options that take a file or a source make it something else.
            if matches!(
                a.as_str(),
                "-r" | "--requirement" | "-e" | "--editable" | "-c" | "--constraint"
            ) {
                return false;
            }
            skip_next = matches!(
                a.as_str(),
                "-i" | "--index-url" | "--extra-index-url" | "-t" | "--target"
            );
            continue;
        }
        if a.contains('/') || a == "." || !pinned(a) {
            return false;
        }
        any = true;
    }
    any
}
