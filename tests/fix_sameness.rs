//! `hoist verify --fix` on the real engine: every fix kind builds the same
//! image, and the comparison does fail when an image changes.
//!
//! Each row of [`ROWS`] is a tiny project: a first stage `tools` (on the
//! offline `hoist-base:1`) that installs a fake, deterministic `curl` (and
//! `wget`, the same script) into `/usr/local/bin` — `curl -fsSL URL -o FILE`
//! writes `downloaded URL` into FILE — and a fake `go` whose `go mod download`
//! keeps go.mod and go.sum under `/root/go/pkg`, so the rules that look for
//! downloads and dependency installs fire without a network; then the stages under test, built `FROM tools`.
//! The binary runs `hoist verify --fix` in the project and the row states the
//! fix kind it proves (its code must be among the applied fixes, so a row
//! whose rule stops firing fails) and the verdict: identical images, these
//! differences, or a build that fails. A row without `--unsafe` proves a
//! safe fix (only safe fixes are applied then).
//!
//! No nonce is needed (unlike the ground-truth suite): a step served from an
//! earlier run's cache holds what a run of the same chain of keys made, so
//! the comparison is the same.
//!
//! Add a fix kind: add a row. `HOIST_ROW=name` runs the rows whose name
//! contains `name`.
//!
//! Run: `eval "$(scripts/engine env)"; cargo test --test fix_sameness -- --nocapture`.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use hoist::engine::image::{self, CONTAINER_LABEL, Verdict};
use hoist::engine::{BuildRequest, Docker};

/// The first stage of every row: the fake downloaders.
const TOOLS: &str = r#"FROM hoist-base:1 AS tools
RUN mkdir -p /usr/local/bin /opt && printf '%s\n' '#!/bin/sh' 'out=; url=; next=' 'for a in "$@"; do' '  if [ -n "$next" ]; then out=$a; next=; continue; fi' '  case $a in' '    -o|-*o|-O) next=1 ;;' '    http*) url=$a ;;' '  esac' 'done' 'if [ -n "$out" ]; then echo "downloaded $url" > "$out"; else echo "downloaded $url"; fi' > /usr/local/bin/curl && chmod 755 /usr/local/bin/curl && ln -s curl /usr/local/bin/wget
RUN printf '%s\n' '#!/bin/sh' 'mkdir -p /root/go/pkg && cat go.mod go.sum > /root/go/pkg/deps.txt' > /usr/local/bin/go && chmod 755 /usr/local/bin/go
"#;

/// What `hoist verify --fix` must conclude.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// Exit 0, `identical: N files, config equal`.
    Identical,
    /// Exit 1, differences starting with these lines, and the note that the
    /// fix is unsafe.
    Differs(&'static [&'static str]),
    /// Exit 1: the current Dockerfile builds, the fixed one does not.
    FixedFails,
    /// Exit 2: the current Dockerfile does not build (nothing to compare).
    CurrentFails,
}

/// One project and what verifying its fix must show.
struct Row {
    name: &'static str,
    /// The fix kind the row is about: this code must be among the applied fixes.
    code: &'static str,
    /// Where the Dockerfile is, in the project (the context).
    file: &'static str,
    /// The Dockerfile after the `tools` stage.
    dockerfile: &'static str,
    /// Other files of the context (path, contents).
    files: &'static [(&'static str, &'static str)],
    /// When not empty, the project is a git repository: everything is
    /// committed, then each entry is one more commit appending a line to
    /// that path (the history `context-churn` reads).
    history: &'static [&'static str],
    /// Arguments after `hoist verify --fix`.
    args: &'static [&'static str],
    expect: Expect,
}

const ROWS: &[Row] = &[
    Row {
        name: "volatile_arg_too_early",
        code: "HC001",
        file: "Dockerfile",
        dockerfile: r#"FROM tools
WORKDIR /app
ARG COMMIT
RUN curl -fsSL https://example.com/tool-1.2.tgz -o /opt/tool.tgz
COPY . .
RUN echo "commit=${COMMIT}" > /app/version
"#,
        files: &[("main.txt", "hello\n")],
        history: &[],
        args: &[
            "--select",
            "volatile-arg-too-early",
            "--build-arg",
            "COMMIT=4f2a9c1",
        ],
        expect: Expect::Identical,
    },
    Row {
        name: "independent_step_after_source_copy",
        code: "HC003",
        file: "Dockerfile",
        dockerfile: r#"FROM tools
WORKDIR /app
COPY . .
RUN curl -fsSL https://example.com/ext-1.1.3.gz -o /opt/ext.gz
RUN cat main.txt > /app/out
"#,
        files: &[("main.txt", "hello\n")],
        history: &[],
        // No --unsafe: the read/write analysis proves this move safe.
        args: &["--select", "independent-step-after-source-copy"],
        expect: Expect::Identical,
    },
    Row {
        name: "swallowed_failure",
        code: "HC005",
        file: "Dockerfile",
        dockerfile: r#"FROM tools
WORKDIR /app
RUN curl -fsSL https://example.com/ext-1.1.3.gz -o /opt/ext.gz || true
COPY . .
"#,
        files: &[("main.txt", "hello\n")],
        history: &[],
        args: &["--unsafe", "--select", "swallowed-failure"],
        expect: Expect::Identical,
    },
    Row {
        // The manifests are copied first and the install moves between the
        // copies (unsafe in general: here it reads only the manifests).
        name: "dependency_install_after_source_copy",
        code: "HC002",
        file: "Dockerfile",
        dockerfile: r#"FROM tools
WORKDIR /src
COPY . .
RUN go mod download
RUN cat main.txt > /out.txt
"#,
        files: &[
            ("go.mod", "module example.com/app\n"),
            ("go.sum", "example.com/dep v1.0.0 h1:abc=\n"),
            ("main.txt", "hello\n"),
        ],
        history: &[],
        args: &[
            "--unsafe",
            "--select",
            "dependency-install-after-source-copy",
        ],
        expect: Expect::Identical,
    },
    Row {
        // The ARG moves with it (and the ARG its default expands); nothing
        // it crosses expands them or runs a script.
        name: "independent_step_with_its_args",
        code: "HC003",
        file: "Dockerfile",
        dockerfile: r#"FROM tools
WORKDIR /app
COPY . .
ARG TOOL_VERSION=1.2.3
ARG TOOL_URL=https://example.com/tool-${TOOL_VERSION}.tgz
RUN mkdir -p /opt/tool && curl -fsSL "$TOOL_URL" -o /opt/tool/tool.tgz
RUN cat main.txt > /app/out
"#,
        files: &[("main.txt", "hello\n")],
        history: &[],
        args: &["--select", "independent-step-after-source-copy"],
        expect: Expect::Identical,
    },
    Row {
        // The split stage's output is a directory holding a link, made
        // through a temporary file moved into place.
        name: "download_in_manifest_chain_directory",
        code: "HC008",
        file: "Dockerfile",
        dockerfile: r#"FROM tools AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
RUN mkdir -p /opt/tool/bin && curl -fsSL https://example.com/tool-1.0 -o /tmp/tool && mv /tmp/tool /opt/tool/bin/tool && chmod 755 /opt/tool/bin/tool && ln -s /opt/tool/bin/tool /opt/tool/bin/current
COPY . .
RUN cat main.txt > /out.txt
"#,
        files: &[
            ("go.mod", "module example.com/app\n"),
            ("go.sum", "example.com/dep v1.0.0 h1:abc=\n"),
            ("main.txt", "hello\n"),
        ],
        history: &[],
        args: &["--select", "download-in-manifest-chain"],
        expect: Expect::Identical,
    },
    Row {
        // The move above the manifest copy is unsafe (the install and the
        // download share /root): the stage split is offered, unsafe, and
        // builds the same image here.
        name: "download_in_manifest_chain_split",
        code: "HC008",
        file: "Dockerfile",
        dockerfile: r#"FROM tools AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
RUN mkdir -p /root/.local/bin && curl -fsSL https://example.com/tool-1.0 -o /root/.local/bin/tool
COPY . .
RUN cat main.txt > /out.txt
"#,
        files: &[
            ("go.mod", "module example.com/app\n"),
            ("go.sum", "example.com/dep v1.0.0 h1:abc=\n"),
            ("main.txt", "hello\n"),
        ],
        history: &[],
        args: &["--unsafe", "--select", "download-in-manifest-chain"],
        expect: Expect::Identical,
    },
    Row {
        name: "download_in_manifest_chain",
        code: "HC008",
        file: "Dockerfile",
        dockerfile: r#"FROM tools AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN cat go.mod go.sum > /deps.txt
RUN curl -fsSL https://example.com/ext-1.1.3.gz -o /opt/ext.gz
COPY . .
RUN cat main.txt > /out.txt
"#,
        files: &[
            ("go.mod", "module example.com/app\n"),
            ("go.sum", "example.com/dep v1.0.0 h1:abc=\n"),
            ("main.txt", "hello\n"),
        ],
        history: &[],
        // No --unsafe: the command names the only path it writes.
        args: &["--select", "download-in-manifest-chain"],
        expect: Expect::Identical,
    },
    Row {
        // The ignore-file edit: the copy is in a build stage whose output
        // does not depend on docs/, so the final image is the same.
        name: "context_churn",
        code: "HC009",
        file: "Dockerfile",
        dockerfile: r#"FROM tools AS build
WORKDIR /src
COPY . .
RUN cat main.txt > /out.txt

FROM tools
COPY --from=build /out.txt /out.txt
"#,
        files: &[
            ("main.txt", "hello\n"),
            ("docs/guide.md", "guide\n"),
            (".dockerignore", ".git\n"),
        ],
        history: &[
            "docs/guide.md",
            "docs/guide.md",
            "docs/guide.md",
            "main.txt",
        ],
        args: &["--unsafe", "--select", "context-churn"],
        expect: Expect::Identical,
    },
    Row {
        // A Dockerfile with an ignore file of its own
        // (`<name>.dockerignore`): the fixed build must read it too, or
        // secret.txt would be in the fixed image only.
        name: "own_ignore_file",
        code: "HC005",
        file: "docker/app.Dockerfile",
        dockerfile: r#"FROM tools
WORKDIR /app
RUN curl -fsSL https://example.com/ext-1.1.3.gz -o /opt/ext.gz || true
COPY . .
"#,
        files: &[
            ("main.txt", "hello\n"),
            ("secret.txt", "not for the image\n"),
            ("docker/app.Dockerfile.dockerignore", "secret.txt\n"),
        ],
        history: &[],
        args: &["--unsafe", "-f", "docker/app.Dockerfile", "--context", "."],
        expect: Expect::Identical,
    },
    // ---- negative controls: the comparison fails when the image changes.
    Row {
        // The moved ARG reaches a crossed RUN that reads its environment:
        // hoist calls the move unsafe, and it does change the image.
        name: "negative_moved_arg_reaches_a_script",
        code: "HC003",
        file: "Dockerfile",
        dockerfile: r#"FROM tools
WORKDIR /app
COPY . .
RUN echo "v=${TOOL_VERSION:-dev}" > /app/version.txt
ARG TOOL_VERSION=1.2.3
RUN curl -fsSL https://example.com/tool-${TOOL_VERSION}.tgz -o /opt/tool.tgz
"#,
        files: &[("main.txt", "hello\n")],
        history: &[],
        args: &["--unsafe", "--select", "independent-step-after-source-copy"],
        expect: Expect::Differs(&["content differs: /app/version.txt"]),
    },
    Row {
        // What the read/write analysis guards against: the download writes a
        // path the crossed `COPY . .` also writes. hoist calls the move
        // unsafe, and it does change the image (the copy now wins).
        name: "negative_move_across_a_copy_of_the_same_path",
        code: "HC003",
        file: "Dockerfile",
        dockerfile: r#"FROM tools
WORKDIR /app
COPY . .
RUN mkdir -p /app/vendor && curl -fsSL https://example.com/lib-1.2.js -o /app/vendor/lib.js
"#,
        files: &[("vendor/lib.js", "// the vendored copy\n")],
        history: &[],
        args: &["--unsafe", "--select", "independent-step-after-source-copy"],
        expect: Expect::Differs(&["content differs: /app/vendor/lib.js"]),
    },
    Row {
        // The ARG is in the environment of the RUN it crosses, which reads it
        // through `env`: the unsafe move changes /env.txt.
        name: "negative_arg_read_from_environment",
        code: "HC001",
        file: "Dockerfile",
        dockerfile: r#"FROM tools
ARG COMMIT
RUN env | sort > /env.txt
RUN echo "commit=${COMMIT}" > /version
"#,
        files: &[],
        history: &[],
        args: &[
            "--unsafe",
            "--select",
            "volatile-arg-too-early",
            "--build-arg",
            "COMMIT=4f2a9c1",
        ],
        expect: Expect::Differs(&["content differs: /env.txt"]),
    },
    Row {
        // The same ignore-file edit with the copy in the final stage: docs/
        // is no longer in the image (and this shows the fixed build reads
        // the edited ignore file).
        name: "negative_context_churn_in_final_stage",
        code: "HC009",
        file: "Dockerfile",
        dockerfile: r#"FROM tools
WORKDIR /app
COPY . .
RUN cat main.txt > /out.txt
"#,
        files: &[
            ("main.txt", "hello\n"),
            ("docs/guide.md", "guide\n"),
            (".dockerignore", ".git\n"),
        ],
        history: &[
            "docs/guide.md",
            "docs/guide.md",
            "docs/guide.md",
            "main.txt",
        ],
        args: &["--unsafe", "--select", "context-churn"],
        expect: Expect::Differs(&["only in current: /app/docs (and 1 path under it)"]),
    },
    Row {
        // Removing `|| true` from a command that fails: the fixed Dockerfile
        // does not build.
        name: "negative_swallowed_failure_that_fails",
        code: "HC005",
        file: "Dockerfile",
        dockerfile: r#"FROM tools
RUN cat /nonexistent > /copy || true
"#,
        files: &[],
        history: &[],
        args: &["--unsafe", "--select", "swallowed-failure"],
        expect: Expect::FixedFails,
    },
    Row {
        // A Dockerfile that does not build as it is: nothing to compare with.
        name: "error_current_does_not_build",
        code: "HC001",
        file: "Dockerfile",
        dockerfile: r#"FROM tools
ARG COMMIT
RUN curl -fsSL https://example.com/tool-1.2.tgz -o /opt/tool.tgz
RUN echo "${COMMIT}" > /version && exit 3
"#,
        files: &[],
        history: &[],
        args: &[
            "--select",
            "volatile-arg-too-early",
            "--build-arg",
            "COMMIT=1",
        ],
        expect: Expect::CurrentFails,
    },
];

// ------------------------------------------------------------------ harness

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=hoist test",
            "-c",
            "user.email=test@hoist.invalid",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn write(dir: &Path, rel: &str, content: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, content).unwrap();
}

/// Every file under `dir` (but `.git`) and its bytes.
fn files_of(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.file_name().is_some_and(|n| n == ".git") {
                continue;
            }
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.insert(
                    p.strip_prefix(root).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// The row's project in a fresh temporary directory.
fn project(row: &Row) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("hoist-sameness-")
        .tempdir()
        .unwrap();
    let d = dir.path();
    write(d, row.file, &format!("{TOOLS}\n{}", row.dockerfile));
    for (rel, content) in row.files {
        write(d, rel, content);
    }
    if !row.history.is_empty() {
        git(d, &["init", "-q", "-b", "main"]);
        git(d, &["add", "-A"]);
        git(d, &["commit", "-q", "-m", "initial"]);
        for (i, rel) in row.history.iter().enumerate() {
            let p = d.join(rel);
            let mut text = std::fs::read_to_string(&p).unwrap_or_default();
            text.push_str(&format!("edit {i}\n"));
            std::fs::write(&p, text).unwrap();
            git(d, &["commit", "-q", "-a", "-m", &format!("edit {rel}")]);
        }
    }
    dir
}

/// Runs the binary in `dir` against the engine; also returns its pid.
fn hoist(engine: Option<&support::Engine>, dir: &Path, args: &[&str]) -> (Output, u32) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hoist"));
    cmd.args(args).current_dir(dir);
    if let Some(e) = engine {
        cmd.env("HOIST_DOCKER", &e.docker)
            .env("DOCKER_HOST", &e.host);
    }
    let child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run hoist");
    let pid = child.id();
    (child.wait_with_output().expect("wait for hoist"), pid)
}

/// Images tagged by the hoist process `pid` and containers it labelled,
/// still in the engine (there must be none once it has exited).
fn leftovers(engine: &support::Engine, pid: u32) -> String {
    let run = |args: &[&str]| {
        let out = engine.command().args(args).output().expect("run docker");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    let images = run(&[
        "image",
        "ls",
        "--quiet",
        "--filter",
        &format!("reference=hoist-verify-{pid}-*"),
    ]);
    let containers = run(&[
        "ps",
        "--all",
        "--quiet",
        "--filter",
        &format!("label={CONTAINER_LABEL}={pid}"),
    ]);
    format!("{images}{containers}")
}

/// Runs one row; `Err` says what went wrong.
fn run_row(engine: &support::Engine, row: &Row) -> Result<String, String> {
    let dir = project(row);
    let before = files_of(dir.path());
    let mut args = vec!["verify", "--fix"];
    args.extend(row.args);
    let (out, pid) = hoist(Some(engine), dir.path(), &args);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let code = out.status.code();
    let shown = format!(
        "hoist {}\nexit {code:?}\n--- stdout\n{stdout}--- stderr (end)\n{}",
        args.join(" "),
        stderr
            .lines()
            .rev()
            .take(30)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n")
    );
    let fail = |why: &str| Err(format!("{why}\n{shown}"));
    if !stdout
        .lines()
        .any(|l| l.trim_start().starts_with(&format!("{} ", row.code)))
    {
        return fail(&format!("no {} fix was applied", row.code));
    }
    if files_of(dir.path()) != before {
        return fail("hoist verify --fix changed the project's files");
    }
    let left = leftovers(engine, pid);
    if !left.is_empty() {
        return fail(&format!("images or containers left behind: {left}"));
    }
    match row.expect {
        Expect::Identical => {
            if code != Some(0) || !stdout.contains("identical: ") {
                return fail("expected identical images (exit 0)");
            }
            if !stdout.contains(" files, config equal") || !stdout.contains("built: current in ") {
                return fail("expected the build times and `N files, config equal`");
            }
        }
        Expect::Differs(lines) => {
            if code != Some(1) || !stdout.contains("the images differ") {
                return fail("expected differences (exit 1)");
            }
            for l in lines {
                if !stdout.lines().any(|s| s.trim().starts_with(l)) {
                    return fail(&format!("expected the difference `{l}`"));
                }
            }
            if !stdout.contains("note: the applied fix is unsafe") {
                return fail("expected the note that the fix is unsafe");
            }
        }
        Expect::FixedFails => {
            if code != Some(1) || !stdout.contains("the fixed Dockerfile does NOT build") {
                return fail("expected the fixed build to fail (exit 1)");
            }
        }
        Expect::CurrentFails => {
            if code != Some(2) || !stderr.contains("does not build as it is") {
                return fail("expected the current build to fail (exit 2)");
            }
            if stdout.contains("built: ") {
                return fail("the fixed Dockerfile must not be built");
            }
        }
    }
    Ok(stdout
        .lines()
        .filter(|l| {
            l.starts_with(&format!("  {} ", row.code))
                || l.starts_with("identical")
                || l.starts_with("the images differ")
                || l.starts_with("  content differs")
                || l.starts_with("  only in")
                || l.starts_with("built")
        })
        .map(|l| l.split(" (the fixed build").next().unwrap_or(l).trim())
        .collect::<Vec<_>>()
        .join("; "))
}

// ------------------------------------------------------------------ tests

#[test]
fn every_fix_kind_builds_the_same_image() {
    let Some(engine) = support::engine() else {
        return;
    };
    let filter = std::env::var("HOIST_ROW").unwrap_or_default();
    let mut failures = Vec::new();
    let mut ran = 0;
    for row in ROWS.iter().filter(|r| r.name.contains(&filter)) {
        ran += 1;
        match run_row(&engine, row) {
            Ok(summary) => eprintln!("ok   {:<40} {} {summary}", row.name, row.code),
            Err(why) => {
                eprintln!("FAIL {:<40} {}", row.name, row.code);
                failures.push(format!("== {} ({})\n{why}", row.name, row.code));
            }
        }
    }
    eprintln!("{ran} rows, {} failed", failures.len());
    assert!(ran > 0, "HOIST_ROW={filter:?} matches no row");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Two hand-written Dockerfiles through the library: every kind of
/// difference the real export and inspect can show, in the stable order.
#[test]
fn different_images_are_told_apart() {
    let Some(engine) = support::engine() else {
        return;
    };
    let docker = Docker::detect_with(engine.docker.clone(), None).expect("docker client");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "current.Dockerfile",
        "FROM hoist-base:1\n\
         RUN echo one > /a && chmod 644 /a && echo same > /b && mkdir -p /d/e && echo x > /d/e/f && ln -s /a /l\n\
         USER 1000\n",
    );
    write(
        d,
        "fixed.Dockerfile",
        "FROM hoist-base:1\n\
         RUN echo two > /a && chmod 755 /a && echo same > /b && chown 1000:1000 /b && echo y > /only-fixed && ln -s /b /l\n",
    );
    let args = BTreeMap::new();
    let current_df = d.join("current.Dockerfile");
    let fixed_df = d.join("fixed.Dockerfile");
    let current = BuildRequest {
        context: d,
        dockerfile: Some(&current_df),
        target: None,
        build_args: &args,
        echo: false,
        timeout: Some(support::BUILD_TIMEOUT),
    };
    let fixed = BuildRequest {
        dockerfile: Some(&fixed_df),
        ..current.clone()
    };
    let cmp = image::build_and_compare(&docker, &current, &fixed, &mut |_| {}).unwrap();
    let Verdict::Compared { paths, differences } = &cmp.verdict else {
        panic!(
            "expected both builds to succeed: {:?}\n{}",
            cmp.verdict,
            cmp.current.tail(30)
        );
    };
    assert!(*paths > 100, "busybox has hundreds of paths: {paths}");
    let shown: Vec<String> = differences.iter().map(|d| d.to_string()).collect();
    assert_eq!(
        shown,
        [
            "content differs: /a",
            "mode differs: /a 0644 → 0755",
            "owner differs: /b 0:0 → 1000:1000",
            "only in current: /d (and 2 paths under it)",
            "link target differs: /l /a → /b",
            "only in fixed: /only-fixed",
            r#"config User differs: "1000" → (unset)"#,
        ]
    );

    // The same Dockerfile twice: nothing differs (mtimes and the files
    // `docker create` adds are not compared).
    let again = BuildRequest {
        dockerfile: Some(&current_df),
        ..current.clone()
    };
    let cmp = image::build_and_compare(&docker, &current, &again, &mut |_| {}).unwrap();
    assert!(
        matches!(&cmp.verdict, Verdict::Compared { differences, .. } if differences.is_empty()),
        "{:?}",
        cmp.verdict
    );
    let images = engine
        .command()
        .args([
            "image",
            "ls",
            "--quiet",
            "--filter",
            &format!("reference=hoist-verify-{}-*", std::process::id()),
        ])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&images.stdout).trim().is_empty(),
        "the images were not removed"
    );
}

/// Needs no engine: with nothing to fix, nothing is built (the daemon
/// address below answers nothing); with a fix and no daemon, exit 2 and a
/// message that says what to do.
#[test]
fn nothing_to_fix_builds_nothing_and_no_engine_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let no_daemon = |cmd: &mut Command| {
        cmd.env("DOCKER_HOST", "unix:///nonexistent/hoist-test.sock");
    };
    write(d, "Dockerfile", "FROM hoist-base:1\nRUN echo hi > /x\n");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hoist"));
    cmd.args(["verify", "--fix"]).current_dir(d);
    no_daemon(&mut cmd);
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("Dockerfile: nothing to fix, so nothing was built"),
        "{stdout}"
    );

    // An unsafe fix held back is nothing to build either, and says so.
    write(
        d,
        "Dockerfile",
        "FROM hoist-base:1\nRUN echo hi > /x || true\n",
    );
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hoist"));
    cmd.args(["verify", "--fix"]).current_dir(d);
    no_daemon(&mut cmd);
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("1 unsafe fix not applied: rerun with --unsafe"),
        "{stdout}"
    );

    // With --unsafe there is a fix, and no daemon to build it on.
    let client = std::env::var("HOIST_DOCKER")
        .ok()
        .filter(|c| !c.is_empty())
        .or_else(|| {
            ["/usr/local/bin/docker", "/usr/bin/docker"]
                .iter()
                .find(|p| Path::new(p).exists())
                .map(|p| p.to_string())
        });
    let Some(client) = client else {
        support::skipped("verify --fix without a daemon: no docker client installed");
        return;
    };
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hoist"));
    cmd.args(["verify", "--fix", "--unsafe"])
        .current_dir(d)
        .env("HOIST_DOCKER", &client);
    no_daemon(&mut cmd);
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("HC005 swallowed-failure (unsafe)"),
        "{stdout}"
    );
    assert!(
        stderr.contains("cannot reach the Docker daemon"),
        "{stderr}"
    );
    assert!(stderr.contains("scripts/engine start"), "{stderr}");
    // The user's file is as it was.
    assert_eq!(
        std::fs::read_to_string(d.join("Dockerfile")).unwrap(),
        "FROM hoist-base:1\nRUN echo hi > /x || true\n"
    );
}

/// Usage errors: exit 2 before anything runs.
#[test]
fn usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_hoist"))
            .args(args)
            .current_dir(d)
            .env("DOCKER_HOST", "unix:///nonexistent/hoist-test.sock")
            .output()
            .unwrap()
    };
    let stderr = |o: &Output| String::from_utf8_lossy(&o.stderr).into_owned();
    // Neither --git nor --fix; both; --unsafe without --fix.
    for args in [
        &["verify"][..],
        &["verify", "--fix", "--git", "HEAD~1..HEAD"],
        &["verify", "--git", "HEAD~1..HEAD", "--unsafe"],
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
    // No Dockerfile; a context that is not a directory; an unknown rule.
    let out = run(&["verify", "--fix"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot read Dockerfile"),
        "{}",
        stderr(&out)
    );
    let out = run(&["verify", "--fix", "--context", "missing"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not a directory"), "{}", stderr(&out));
    write(d, "Dockerfile", "FROM hoist-base:1\n");
    let out = run(&["verify", "--fix", "--select", "no-such-rule"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("unknown rule"), "{}", stderr(&out));
}

/// The attack corpus (`tests/fixtures/safe-fixes/NN/` from a first attack,
/// `2-NN/` from a second): projects written to break the read/write analysis
/// (globs, `export -p`, `$((...))`, `sh -c`, shell variables that shadow an
/// ENV, symlinked directories, `--chown` parents, archives, `gzip`, several
/// `-o`, parents a crossed step makes, cache mounts, `npm ci` scripts, PATH,
/// umask, links after `cd`, context symlinks, build-time ARG values...). Each whose safe fixes change
/// anything must build the same image; the others are where hoist now
/// declines a safe fix. Each case is the `tools` stage plus the lines under
/// test; build args COMMIT and GIT_SHA are given for the cases that need one.
#[test]
fn the_attack_corpus_safe_fixes_build_the_same_image() {
    let Some(engine) = support::engine() else {
        return;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/safe-fixes");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("Dockerfile").is_file())
        .collect();
    cases.sort();
    assert!(cases.len() >= 70, "the corpus is there: {}", cases.len());
    let (mut verified, mut declined, mut failures) = (0, 0, Vec::new());
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let (diff, _) = hoist(None, case, &["fix", "--diff", "Dockerfile"]);
        if diff.stdout.is_empty() {
            declined += 1;
            continue;
        }
        // Build args: COMMIT and GIT_SHA, and those a `build-args` file lists.
        let mut args: Vec<String> = [
            "verify",
            "--fix",
            "--build-arg",
            "COMMIT=abc",
            "--build-arg",
            "GIT_SHA=abc",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        if let Ok(extra) = std::fs::read_to_string(case.join("build-args")) {
            for line in extra.lines().filter(|l| !l.trim().is_empty()) {
                args.push("--build-arg".into());
                args.push(line.trim().to_string());
            }
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (out, pid) = hoist(Some(&engine), case, &args);
        let stdout = String::from_utf8_lossy(&out.stdout);
        if out.status.code() == Some(0) && stdout.contains("identical:") {
            verified += 1;
        } else {
            failures.push(format!(
                "== {name}: exit {:?}\n{}\n{stdout}{}",
                out.status.code(),
                String::from_utf8_lossy(&diff.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let left = leftovers(&engine, pid);
        assert!(left.is_empty(), "{name}: left behind: {left}");
    }
    eprintln!(
        "attack corpus: {} cases, {verified} safe fixes built the same image, {declined} without a safe fix, {} failed",
        cases.len(),
        failures.len()
    );
    assert!(verified > 0 && declined > 0);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
