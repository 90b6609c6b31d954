//! End-to-end tests of `hoist impact`: the built binary runs in a temporary
//! build context (as its current directory, so every path it prints is
//! relative and stable) and its output, exit status and errors are checked.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

/// A Go service in the usual shape: a build stage, a test stage built `FROM` it
/// and a runtime stage copying the binary out of it.
const GO_SERVICE: &str = r#"# syntax=docker/dockerfile:1
ARG GO_VERSION=1.22

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY cmd/ cmd/
COPY internal/ internal/
ARG COMMIT=unknown
RUN go build -ldflags "-X main.commit=${COMMIT}" -o /out/server ./cmd/server

FROM build AS test
COPY testdata/ testdata/
RUN go test ./...

FROM debian:bookworm-slim AS runtime
RUN apt-get update && apt-get install -y ca-certificates
COPY config/*.yaml /etc/server/
COPY --from=build /out/server /usr/local/bin/server
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/server"]
"#;

/// A build context in a temporary directory.
struct Ctx {
    dir: tempfile::TempDir,
}

impl Ctx {
    fn new() -> Ctx {
        Ctx {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn with(files: &[(&str, &str)]) -> Ctx {
        let ctx = Ctx::new();
        for (path, text) in files {
            ctx.write(path, text);
        }
        ctx
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, rel: &str, text: &str) {
        let path = self.path().join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    /// Run `hoist ARGS...` with the context as current directory.
    fn hoist(&self, args: &[&str]) -> Run {
        run_in(self.path(), args)
    }
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    #[track_caller]
    fn ok(self) -> Run {
        assert_eq!(
            self.code,
            Some(0),
            "expected success\nstdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    /// Asserts the exit status and that stderr mentions every `needle`.
    #[track_caller]
    fn fails(self, code: i32, needles: &[&str]) -> Run {
        assert_eq!(
            self.code,
            Some(code),
            "exit status\nstdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        for needle in needles {
            assert!(
                self.stderr.contains(needle),
                "stderr should mention {needle:?}:\n{}",
                self.stderr
            );
        }
        self
    }

    #[track_caller]
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

fn run_in(dir: &Path, args: &[&str]) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(env!("CARGO_BIN_EXE_hoist"))
        .args(args)
        .current_dir(dir)
        .env_remove("COMMIT")
        .env("NO_COLOR", "1")
        .output()
        .expect("run hoist");
    Run {
        code: status.code(),
        stdout: String::from_utf8(stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(stderr).expect("stderr is UTF-8"),
    }
}

fn go_service() -> Ctx {
    Ctx::with(&[("Dockerfile", GO_SERVICE)])
}

/// `(line, verdict)` of every step of one file's JSON report.
fn verdicts(report: &Value) -> Vec<(u64, String)> {
    report["steps"]
        .as_array()
        .expect("steps is an array")
        .iter()
        .map(|s| {
            (
                s["line"].as_u64().expect("line is a number"),
                s["verdict"]
                    .as_str()
                    .expect("verdict is a string")
                    .to_string(),
            )
        })
        .collect()
}

fn step(report: &Value, line: u64) -> &Value {
    report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["line"] == line)
        .unwrap_or_else(|| panic!("no step at line {line}: {report:#}"))
}

fn verdict(report: &Value, line: u64) -> &str {
    step(report, line)["verdict"].as_str().unwrap()
}

fn reason(report: &Value, line: u64) -> &str {
    step(report, line)["reason"].as_str().unwrap()
}

fn owned(pairs: &[(u64, &str)]) -> Vec<(u64, String)> {
    pairs.iter().map(|(l, v)| (*l, v.to_string())).collect()
}

// ---------------------------------------------------------------------------
// Output

#[test]
fn text_output_of_a_source_and_config_change() {
    let ctx = go_service();
    let run = ctx
        .hoist(&[
            "impact",
            "-f",
            "Dockerfile",
            "--changed",
            "internal/store/db.go",
            "config/app.yaml",
            "docs/guide.md",
        ])
        .ok();
    assert!(run.stderr.is_empty(), "stderr: {}", run.stderr);
    assert!(
        !run.stdout.contains('\x1b'),
        "no colour when stdout is a pipe"
    );
    insta::assert_snapshot!("text_go_service", run.stdout);
}

#[test]
fn json_output_has_every_documented_field() {
    let ctx = go_service();
    let run = ctx
        .hoist(&[
            "impact",
            "-f",
            "Dockerfile",
            "--changed",
            "cmd/server/main.go",
            "--format",
            "json",
        ])
        .ok();
    let r = run.json();
    assert!(r.is_object(), "one -f file gives one object: {r:#}");
    assert_eq!(r["file"], "Dockerfile");
    assert_eq!(r["target"], "runtime");
    assert_eq!(r["cache"], "local");

    let steps = r["steps"].as_array().unwrap();
    // The test stage is not built for the runtime target.
    assert!(steps.iter().all(|s| s["stage"] != "test"), "{r:#}");
    for (i, s) in steps.iter().enumerate() {
        for key in [
            "stage",
            "index",
            "line",
            "instruction",
            "verdict",
            "reason",
            "inputs_changed",
        ] {
            assert!(s.get(key).is_some(), "step {i} lacks {key}: {s:#}");
        }
        assert!(s["inputs_changed"].is_array());
        assert!(!s["reason"].as_str().unwrap().is_empty());
        let v = s["verdict"].as_str().unwrap();
        assert!(["cached", "rebuilt", "uncertain"].contains(&v), "{v}");
        // A cached step has no changed inputs, any other has at least one.
        assert_eq!(
            s["inputs_changed"].as_array().unwrap().is_empty(),
            v == "cached",
            "{s:#}"
        );
    }
    assert_eq!(
        verdicts(&r),
        owned(&[
            (4, "cached"),
            (5, "cached"),
            (6, "cached"),
            (7, "cached"),
            (8, "rebuilt"),
            (9, "rebuilt"),
            (11, "rebuilt"),
            (17, "cached"),
            (18, "cached"),
            (19, "cached"),
            (20, "uncertain"),
        ])
    );

    let copy_cmd = step(&r, 8);
    assert_eq!(copy_cmd["stage"], "build");
    assert_eq!(copy_cmd["index"], 4);
    assert_eq!(copy_cmd["instruction"], "COPY cmd/ cmd/");
    assert!(
        copy_cmd["reason"]
            .as_str()
            .unwrap()
            .contains("cmd/server/main.go"),
        "{copy_cmd:#}"
    );
    assert!(reason(&r, 9).contains("line 8"), "{}", reason(&r, 9));
    // The instruction is the whole (expanded-line) text, not the table's cut.
    assert_eq!(
        step(&r, 11)["instruction"],
        r#"RUN go build -ldflags "-X main.commit=${COMMIT}" -o /out/server ./cmd/server"#
    );
    // `index` counts every step of the file, the test stage's two included.
    let from_runtime = step(&r, 17);
    assert_eq!(from_runtime["stage"], "runtime");
    assert_eq!(from_runtime["index"], 9);
    assert!(reason(&r, 20).contains("build"), "{}", reason(&r, 20));
    let indices: Vec<u64> = steps.iter().map(|s| s["index"].as_u64().unwrap()).collect();
    assert_eq!(indices, [0, 1, 2, 3, 4, 5, 6, 9, 10, 11, 12]);

    assert_eq!(
        r["summary"],
        serde_json::json!({"steps": 11, "cached": 7, "rebuilt": 3, "uncertain": 1})
    );
}

#[test]
fn json_snapshot_of_a_build_arg_change() {
    let ctx = go_service();
    let run = ctx
        .hoist(&[
            "impact",
            "-f",
            "Dockerfile",
            "--changed",
            "README.md",
            "--build-arg",
            "COMMIT=def456",
            "--old-build-arg",
            "COMMIT=abc123",
            "--format",
            "json",
        ])
        .ok();
    run.json();
    insta::assert_snapshot!("json_build_arg_change", run.stdout);
}

#[test]
fn text_summary_counts_match_the_table() {
    let ctx = go_service();
    let run = ctx
        .hoist(&["impact", "-f", "Dockerfile", "--changed", "go.sum"])
        .ok();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines[0], "Dockerfile (target runtime, cache local)");
    let rows = &lines[2..lines.len() - 1];
    assert_eq!(rows.len(), 11, "{}", run.stdout);
    let count = |w: &str| rows.iter().filter(|l| l.contains(w)).count();
    assert_eq!(
        *lines.last().unwrap(),
        format!(
            "  {} of 11 steps re-run, {} uncertain, {} cached",
            count(" rebuilt "),
            count(" uncertain "),
            count(" cached ")
        )
    );
}

// ---------------------------------------------------------------------------
// Discovery and ignore files

fn three_dockerfiles() -> Ctx {
    Ctx::with(&[
        ("Dockerfile", "FROM alpine\nCOPY . /app\n"),
        ("api.Dockerfile", "FROM alpine AS api\nCOPY . /api\n"),
        ("svc/Dockerfile", "FROM alpine\nCOPY svc/ /svc\n"),
        // Not Dockerfiles: too deep, or not named like one.
        ("deep/er/Dockerfile", "FROM scratch\nNOT AN INSTRUCTION\n"),
        ("README.md", "# hi\n"),
        ("svc/main.go", "package main\n"),
    ])
}

#[test]
fn discovery_finds_every_dockerfile_and_json_is_an_array() {
    let ctx = three_dockerfiles();
    let run = ctx
        .hoist(&["impact", "--changed", "svc/main.go", "--format", "json"])
        .ok();
    let all = run.json();
    let reports = all.as_array().expect("several Dockerfiles give an array");
    let files: Vec<&str> = reports
        .iter()
        .map(|r| r["file"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["Dockerfile", "api.Dockerfile", "svc/Dockerfile"]);
    assert_eq!(reports[1]["target"], "api");
    for r in reports {
        assert_eq!(
            verdicts(r),
            owned(&[(1, "cached"), (2, "rebuilt")]),
            "{r:#}"
        );
    }
    assert!(reason(&reports[2], 2).contains("svc/main.go"));

    // Text: one table per file, in the same order.
    let text = ctx.hoist(&["impact", "--changed", "README.md"]).ok().stdout;
    let headers: Vec<&str> = text.lines().filter(|l| !l.starts_with(' ')).collect();
    assert_eq!(
        headers,
        [
            "Dockerfile (target stage-0, cache local)",
            "api.Dockerfile (target api, cache local)",
            "svc/Dockerfile (target stage-0, cache local)",
        ]
    );
}

#[test]
fn discovery_with_context_flag_from_elsewhere() {
    let ctx = three_dockerfiles();
    fs::create_dir(ctx.path().join("elsewhere")).unwrap();
    let run = run_in(
        ctx.path().join("elsewhere").as_path(),
        &["impact", "--context", "..", "--changed", "svc/main.go"],
    )
    .ok();
    assert_eq!(
        run.stdout.matches(" cache local)").count(),
        3,
        "{}",
        run.stdout
    );
    assert_eq!(run.stdout.matches(" rebuilt ").count(), 3, "{}", run.stdout);
}

/// Run from `svc/`, the folder holding `svc/Dockerfile`: discovery strips the
/// current directory from `<context>/svc`, leaving an empty path that is not a
/// directory, and skips `svc/Dockerfile`.
#[test]
fn discovery_from_inside_a_folder_holding_a_dockerfile() {
    let ctx = three_dockerfiles();
    let run = run_in(
        ctx.path().join("svc").as_path(),
        &["impact", "--context", "..", "--changed", "svc/main.go"],
    )
    .ok();
    assert_eq!(
        run.stdout.matches(" cache local)").count(),
        3,
        "{}",
        run.stdout
    );
}

#[test]
fn dockerignore_hides_a_changed_path() {
    let ctx = Ctx::with(&[
        ("Dockerfile", "FROM alpine\nCOPY . /app\nRUN make -C /app\n"),
        (".dockerignore", "docs\n*.md\n!README.md\n"),
    ]);
    let impact = |path: &str| {
        ctx.hoist(&[
            "impact",
            "-f",
            "Dockerfile",
            "--changed",
            path,
            "--format",
            "json",
        ])
        .ok()
        .json()
    };
    let all_cached = owned(&[(1, "cached"), (2, "cached"), (3, "cached")]);
    let rebuilt = owned(&[(1, "cached"), (2, "rebuilt"), (3, "rebuilt")]);
    assert_eq!(verdicts(&impact("docs/guide.txt")), all_cached);
    assert_eq!(verdicts(&impact("NOTES.md")), all_cached);
    // The exception brings README.md back into the context.
    let r = impact("README.md");
    assert_eq!(verdicts(&r), rebuilt);
    assert!(reason(&r, 2).contains("README.md"));
    assert_eq!(verdicts(&impact("main.go")), rebuilt);
    // Without the ignore file the same change is seen.
    fs::remove_file(ctx.path().join(".dockerignore")).unwrap();
    assert_eq!(verdicts(&impact("docs/guide.txt")), rebuilt);
}

#[test]
fn dockerfile_specific_ignore_file_wins_over_dockerignore() {
    let ctx = Ctx::with(&[
        ("Dockerfile", "FROM alpine\nCOPY . /app\n"),
        ("api.Dockerfile", "FROM alpine\nCOPY . /api\n"),
        ("api.Dockerfile.dockerignore", "docs\n"),
        (".dockerignore", "web\n"),
    ]);
    let impact = |path: &str| -> Vec<(String, String)> {
        let all = ctx
            .hoist(&["impact", "--changed", path, "--format", "json"])
            .ok()
            .json();
        all.as_array()
            .expect("two Dockerfiles (the ignore file is not one)")
            .iter()
            .map(|r| {
                (
                    r["file"].as_str().unwrap().to_string(),
                    verdict(r, 2).to_string(),
                )
            })
            .collect()
    };
    let pair = |a: &str, b: &str| {
        vec![
            ("Dockerfile".to_string(), a.to_string()),
            ("api.Dockerfile".to_string(), b.to_string()),
        ]
    };
    // api.Dockerfile uses only its own ignore file: .dockerignore does not apply.
    assert_eq!(impact("docs/a.md"), pair("rebuilt", "cached"));
    assert_eq!(impact("web/app.js"), pair("cached", "rebuilt"));
}

// ---------------------------------------------------------------------------
// Build arguments, cache modes, targets

#[test]
fn build_args_old_and_new() {
    let ctx = go_service();
    let impact = |extra: &[&str]| {
        let mut args = vec![
            "impact",
            "-f",
            "Dockerfile",
            "--changed",
            "docs/x.md",
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        ctx.hoist(&args).ok().json()
    };
    // The same value in both builds changes nothing.
    let r = impact(&["--build-arg", "COMMIT=abc"]);
    assert_eq!(r["summary"]["cached"], r["summary"]["steps"], "{r:#}");

    let r = impact(&["--build-arg", "COMMIT=def", "--old-build-arg", "COMMIT=abc"]);
    assert_eq!(verdict(&r, 9), "cached");
    assert_eq!(verdict(&r, 11), "rebuilt");
    assert!(
        reason(&r, 11).contains("COMMIT") && reason(&r, 11).contains("line 10"),
        "{}",
        reason(&r, 11)
    );
    assert_eq!(r["summary"]["rebuilt"], 1);

    // A global ARG used in FROM: the base image changes, so the whole stage does.
    let r = impact(&[
        "--build-arg",
        "GO_VERSION=1.23",
        "--old-build-arg",
        "GO_VERSION=1.22",
    ]);
    assert_eq!(verdict(&r, 4), "rebuilt");
    assert_eq!(verdict(&r, 11), "rebuilt");
    assert_eq!(verdict(&r, 18), "cached");
    assert!(!reason(&r, 4).is_empty());
}

#[test]
fn a_bare_build_arg_is_read_from_the_environment() {
    let ctx = go_service();
    let out = Command::new(env!("CARGO_BIN_EXE_hoist"))
        .args([
            "impact",
            "-f",
            "Dockerfile",
            "--changed",
            "docs/x.md",
            "--build-arg",
            "COMMIT",
            "--old-build-arg",
            "COMMIT=abc",
            "--format",
            "json",
        ])
        .current_dir(ctx.path())
        .env("COMMIT", "from-env")
        .output()
        .unwrap();
    assert!(out.status.success());
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(verdict(&r, 11), "rebuilt");
    // The environment value equals the old one: nothing changes.
    let out = Command::new(env!("CARGO_BIN_EXE_hoist"))
        .args([
            "impact",
            "-f",
            "Dockerfile",
            "--changed",
            "docs/x.md",
            "--build-arg",
            "COMMIT",
            "--old-build-arg",
            "COMMIT=abc",
            "--format",
            "json",
        ])
        .current_dir(ctx.path())
        .env("COMMIT", "abc")
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(verdict(&r, 11), "cached");
}

#[test]
fn cache_min_rebuilds_stages_outside_the_target_chain_from_from() {
    let ctx = go_service();
    let impact = |cache: &str| {
        ctx.hoist(&[
            "impact",
            "-f",
            "Dockerfile",
            "--changed",
            "go.sum",
            "--cache",
            cache,
            "--format",
            "json",
        ])
        .ok()
        .json()
    };
    let local = impact("local");
    assert_eq!(local["cache"], "local");
    assert_eq!(verdict(&local, 4), "cached");
    assert_eq!(verdict(&local, 5), "cached");
    assert_eq!(verdict(&local, 6), "rebuilt");

    let min = impact("min");
    assert_eq!(min["cache"], "min");
    assert_eq!(
        verdicts(&min),
        owned(&[
            (4, "rebuilt"),
            (5, "rebuilt"),
            (6, "rebuilt"),
            (7, "rebuilt"),
            (8, "rebuilt"),
            (9, "rebuilt"),
            (11, "rebuilt"),
            (17, "cached"),
            (18, "cached"),
            (19, "cached"),
            (20, "uncertain"),
        ])
    );
    assert!(reason(&min, 4).contains("mode=min"), "{}", reason(&min, 4));

    // Text output names the cache mode in the header.
    let text = ctx
        .hoist(&[
            "impact",
            "-f",
            "Dockerfile",
            "--changed",
            "go.sum",
            "--cache",
            "min",
        ])
        .ok()
        .stdout;
    assert!(
        text.starts_with("Dockerfile (target runtime, cache min)\n"),
        "{text}"
    );
}

#[test]
fn target_selects_the_stage_and_what_it_needs() {
    let ctx = go_service();
    let r = ctx
        .hoist(&[
            "impact",
            "-f",
            "Dockerfile",
            "--target",
            "test",
            "--changed",
            "testdata/case.json",
            "--format",
            "json",
        ])
        .ok()
        .json();
    assert_eq!(r["target"], "test");
    let stages: Vec<&str> = r["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["stage"].as_str().unwrap())
        .collect();
    assert!(!stages.contains(&"runtime"), "{stages:?}");
    assert_eq!(stages.last(), Some(&"test"));
    assert_eq!(verdict(&r, 11), "cached");
    assert_eq!(verdict(&r, 14), "rebuilt");
    assert_eq!(verdict(&r, 15), "rebuilt");
    assert_eq!(r["summary"]["rebuilt"], 2);

    // The same change is invisible to the default (runtime) target.
    let r = ctx
        .hoist(&[
            "impact",
            "-f",
            "Dockerfile",
            "--changed",
            "testdata/case.json",
            "--format",
            "json",
        ])
        .ok()
        .json();
    assert_eq!(r["target"], "runtime");
    assert_eq!(r["summary"]["rebuilt"], 0, "{r:#}");
}

#[test]
fn absolute_changed_paths_inside_the_context_are_made_relative() {
    let ctx = go_service();
    let abs = ctx
        .path()
        .canonicalize()
        .unwrap()
        .join("cmd/server/main.go");
    let r = ctx
        .hoist(&[
            "impact",
            "-f",
            "Dockerfile",
            "--changed",
            abs.to_str().unwrap(),
            "--format",
            "json",
        ])
        .ok()
        .json();
    assert_eq!(verdict(&r, 8), "rebuilt");
    assert!(reason(&r, 8).contains("cmd/server/main.go"));
    assert!(!reason(&r, 8).contains(ctx.path().to_str().unwrap()));
}

// ---------------------------------------------------------------------------
// Bad input

#[test]
fn missing_context_directory() {
    let ctx = go_service();
    ctx.hoist(&["impact", "--context", "nope", "--changed", "a"])
        .fails(2, &["build context nope cannot be opened", "--context"]);
}

#[test]
fn context_that_is_a_file() {
    let ctx = go_service();
    ctx.hoist(&["impact", "--context", "Dockerfile", "--changed", "a"])
        .fails(2, &["Dockerfile is not a directory"]);
}

#[test]
fn unknown_target_lists_the_stages() {
    let ctx = go_service();
    let run = ctx
        .hoist(&[
            "impact",
            "-f",
            "Dockerfile",
            "--target",
            "prod",
            "--changed",
            "a",
        ])
        .fails(
            1,
            &["Dockerfile", "\"prod\" not found", "build, test, runtime"],
        );
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}

#[test]
fn unparsable_dockerfile_shows_a_code_frame() {
    let ctx = Ctx::with(&[("bad.Dockerfile", "FROM alpine\nRUN true\nENV ONLY_A_NAME\n")]);
    ctx.hoist(&["impact", "-f", "bad.Dockerfile", "--changed", "a"])
        .fails(
            1,
            &[
                "error: ENV must have two arguments",
                "--> bad.Dockerfile:3:1",
                "3 | ENV ONLY_A_NAME",
                "help:",
            ],
        );
}

#[test]
fn dockerfile_rejected_by_the_typed_view() {
    let ctx = Ctx::with(&[("Dockerfile", "FROM alpine\nCOPY --user=me a /b\n")]);
    ctx.hoist(&["impact", "-f", "Dockerfile", "--changed", "a"])
        .fails(
            1,
            &[
                "unknown flag: user",
                "--> Dockerfile:2:6",
                "2 | COPY --user=me a /b",
                "COPY takes --from",
            ],
        );
}

#[test]
fn one_bad_dockerfile_does_not_hide_the_others() {
    let ctx = Ctx::with(&[
        ("Dockerfile", "FROM alpine\nCOPY . /app\n"),
        ("broken.Dockerfile", "FROM alpine\nFROBNICATE\n"),
    ]);
    let run = ctx
        .hoist(&["impact", "--changed", "x", "--format", "json"])
        .fails(1, &["broken.Dockerfile:2:1"]);
    let all = run.json();
    let files: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["file"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["Dockerfile"]);
}

#[test]
fn no_dockerfile_in_the_context() {
    let ctx = Ctx::with(&[("README.md", "hi\n"), ("a/b/Dockerfile", "FROM alpine\n")]);
    ctx.hoist(&["impact", "--changed", "README.md"])
        .fails(2, &["no Dockerfile in", "name one with -f"]);
}

#[test]
fn missing_dockerfile_named_with_f() {
    let ctx = go_service();
    let run = ctx.hoist(&["impact", "-f", "nope.Dockerfile", "--changed", "a"]);
    assert_ne!(run.code, Some(0));
    assert!(
        run.stderr.contains("cannot read nope.Dockerfile"),
        "{}",
        run.stderr
    );
}

#[test]
fn malformed_git_range() {
    let ctx = go_service();
    for (range, why) in [
        ("HEAD", "no `..`"),
        ("HEAD..", "new revision"),
        ("a..b..c", "more than once"),
    ] {
        ctx.hoist(&["impact", "-f", "Dockerfile", "--git", range])
            .fails(2, &[&format!("invalid range `{range}`"), why, "OLD..NEW"]);
    }
}

#[test]
fn changed_and_git_conflict_and_one_is_required() {
    let ctx = go_service();
    ctx.hoist(&["impact", "-f", "Dockerfile"])
        .fails(2, &["--changed"]);
    ctx.hoist(&[
        "impact",
        "-f",
        "Dockerfile",
        "--changed",
        "a",
        "--git",
        "HEAD~1..HEAD",
    ])
    .fails(2, &["cannot be used with"]);
}

#[test]
fn build_arg_without_a_name() {
    let ctx = go_service();
    ctx.hoist(&[
        "impact",
        "-f",
        "Dockerfile",
        "--changed",
        "a",
        "--build-arg",
        "=x",
    ])
    .fails(2, &["--build-arg \"=x\"", "name before `=` is empty"]);
}

#[test]
fn unknown_cache_mode() {
    let ctx = go_service();
    ctx.hoist(&[
        "impact",
        "-f",
        "Dockerfile",
        "--changed",
        "a",
        "--cache",
        "remote",
    ])
    .fails(2, &["invalid value 'remote'", "local, max, min"]);
}

// ---------------------------------------------------------------------------
// Help and version

#[test]
fn help_and_version() {
    let dir = tempfile::tempdir().unwrap();
    let top = run_in(dir.path(), &["--help"]).ok();
    assert!(top.stdout.contains("impact"), "{}", top.stdout);
    assert!(top.stdout.contains("parse"), "{}", top.stdout);

    let help = run_in(dir.path(), &["impact", "--help"]).ok();
    for flag in ["--changed", "--git", "--cache", "--target", "--build-arg"] {
        assert!(help.stdout.contains(flag), "{flag}: {}", help.stdout);
    }
    assert!(!help.stdout.contains("not available"), "{}", help.stdout);

    let version = run_in(dir.path(), &["--version"]).ok();
    assert_eq!(
        version.stdout.trim(),
        format!("hoist {}", env!("CARGO_PKG_VERSION"))
    );
}
