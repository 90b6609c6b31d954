//! `hoist replay` on small generated repositories: targets from the CI
//! workflows, flags that override them, and bad input (not a repository, a
//! shallow clone, an unknown range, a Dockerfile that does not parse at one
//! commit, a workflow that cannot be read).

use std::path::Path;
use std::process::{Command, Output};

fn hoist(args: &[&str], repo: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hoist"))
        .arg("replay")
        .arg("--repo")
        .arg(repo)
        .args(args)
        .output()
        .expect("hoist runs")
}

fn git(dir: &Path, args: &[&str]) -> String {
    let o = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "T")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "T")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .env("GIT_AUTHOR_DATE", "2025-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2025-01-01T00:00:00Z")
        .output()
        .expect("git runs");
    assert!(o.status.success(), "git {args:?}: {o:?}");
    String::from_utf8(o.stdout).unwrap().trim().to_string()
}

fn commit(dir: &Path, files: &[(&str, &str)], message: &str) -> String {
    for (path, text) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "--allow-empty", "-m", message]);
    git(dir, &["rev-parse", "--short=10", "HEAD"])
}

const DOCKERFILE: &str = "FROM golang:1.23 AS build\nWORKDIR /src\nCOPY go.mod ./\nRUN go mod download\nCOPY . .\nARG COMMIT\nRUN go build -o /app .\n\nFROM debian:bookworm-slim\nCOPY --from=build /app /app\n";

const WORKFLOW: &str = r#"on:
  push:
    branches: [main]
jobs:
  image:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: docker/build-push-action@v6
        with:
          context: .
          file: docker/app.Dockerfile
          platforms: linux/amd64,linux/arm64
          build-args: |
            COMMIT=${{ github.sha }}
          cache-to: type=gha,mode=max
"#;

/// A repository of `n` commits (after the first) building docker/app.Dockerfile.
fn repo(dir: &Path, n: usize) {
    git(dir, &["init", "-q", "-b", "main"]);
    commit(
        dir,
        &[
            ("docker/app.Dockerfile", DOCKERFILE),
            ("go.mod", "module x\n"),
            ("main.go", "package main\n"),
            (".github/workflows/image.yml", WORKFLOW),
        ],
        "initial",
    );
    for i in 0..n {
        commit(
            dir,
            &[("main.go", &format!("package main\n// {i}\n"))],
            &format!("edit {i}"),
        );
    }
}

fn json(o: &Output) -> serde_json::Value {
    assert!(
        o.status.success(),
        "hoist failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).expect("JSON on stdout")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn targets_come_from_the_workflow_and_flags_override_them() {
    let tmp = tempfile::tempdir().unwrap();
    repo(tmp.path(), 4);
    let o = hoist(&["-n", "4", "--format", "json"], tmp.path());
    let doc = json(&o);
    let t = &doc["replay"]["targets"][0];
    assert_eq!(doc["replay"]["targets"].as_array().unwrap().len(), 1);
    assert_eq!(t["dockerfile"], "docker/app.Dockerfile");
    assert_eq!(t["builds_per_commit"], 2);
    assert_eq!(t["cache"], "max");
    assert!(
        t["source"]
            .as_str()
            .unwrap()
            .contains(".github/workflows/image.yml")
    );
    let err = stderr(&o);
    assert!(err.contains("Images from the CI workflows"), "{err}");
    assert!(
        err.contains("docker/app.Dockerfile (.github/workflows/image.yml"),
        "{err}"
    );
    // COMMIT is per commit: the build re-runs on every source edit.
    assert_eq!(doc["replay"]["commits"].as_array().unwrap().len(), 4);
    let steps = doc["summary"]["targets"][0]["steps"].as_array().unwrap();
    let go_build = steps
        .iter()
        .find(|s| {
            s["instruction"]
                .as_str()
                .unwrap()
                .starts_with("RUN go build")
        })
        .unwrap();
    assert_eq!(go_build["reruns"], 4, "{go_build}");
    let download = steps
        .iter()
        .find(|s| s["instruction"] == "RUN go mod download")
        .unwrap();
    assert_eq!(download["reruns"], 0, "{download}");

    let o = hoist(
        &[
            "-n",
            "4",
            "--format",
            "json",
            "--cache",
            "min",
            "--builds-per-commit",
            "3",
        ],
        tmp.path(),
    );
    let doc = json(&o);
    let t = &doc["replay"]["targets"][0];
    assert_eq!(t["cache"], "min");
    assert_eq!(t["builds_per_commit"], 3);
    assert!(stderr(&o).contains("override the workflows"));

    // -f bypasses the workflows.
    let o = hoist(
        &["-n", "2", "--format", "json", "-f", "docker/app.Dockerfile"],
        tmp.path(),
    );
    let doc = json(&o);
    assert_eq!(doc["replay"]["targets"][0]["source"], "command line");
    assert_eq!(doc["replay"]["targets"][0]["cache"], "local");
}

#[test]
fn not_a_git_repository() {
    let tmp = tempfile::tempdir().unwrap();
    let o = hoist(&["-n", "3"], tmp.path());
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("could not open a git repository"), "{err}");
    assert!(err.contains("run hoist inside a git checkout"), "{err}");
}

#[test]
fn a_range_that_does_not_exist() {
    let tmp = tempfile::tempdir().unwrap();
    repo(tmp.path(), 2);
    let o = hoist(&["--range", "v9.9..HEAD"], tmp.path());
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("unknown revision `v9.9`"), "{err}");
    let o = hoist(&["--range", "HEAD..HEAD"], tmp.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("holds no commits"), "{}", stderr(&o));
}

#[test]
fn a_shallow_clone_replays_up_to_its_boundary() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    std::fs::create_dir(&src).unwrap();
    repo(&src, 9);
    let url = format!("file://{}", src.display());
    let dst = tmp.path().join("shallow");
    let clone = |depth: &str, into: &Path| {
        let o = Command::new("git")
            .args(["clone", "-q", "--depth", depth, &url])
            .arg(into)
            .output()
            .unwrap();
        assert!(o.status.success(), "{o:?}");
    };
    clone("5", &dst);
    assert!(dst.join(".git/shallow").exists());
    let o = hoist(&["-n", "100", "--format", "json"], &dst);
    let doc = json(&o);
    assert_eq!(doc["replay"]["commits"].as_array().unwrap().len(), 4);
    let err = stderr(&o);
    assert!(err.contains("shallow clone"), "{err}");
    assert!(err.contains("covers the 4 commits after it"), "{err}");
    assert!(err.contains("git fetch --unshallow"), "{err}");

    // A depth-1 clone has nothing to compare against.
    let one = tmp.path().join("one");
    clone("1", &one);
    let o = hoist(&["-n", "10"], &one);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("shallow clone") && err.contains("needs its parent"),
        "{err}"
    );
}

#[test]
fn a_dockerfile_that_does_not_parse_is_reported_for_its_commit() {
    let tmp = tempfile::tempdir().unwrap();
    repo(tmp.path(), 2);
    let bad = commit(
        tmp.path(),
        &[(
            "docker/app.Dockerfile",
            "FROM golang:1.23 AS build\nCOPY --bogus=1 . .\n",
        )],
        "broken Dockerfile",
    );
    commit(
        tmp.path(),
        &[("main.go", "package main // x\n")],
        "edit while broken",
    );
    commit(
        tmp.path(),
        &[("docker/app.Dockerfile", DOCKERFILE)],
        "fix the Dockerfile",
    );
    commit(tmp.path(), &[("main.go", "package main // y\n")], "edit");
    let o = hoist(&["-n", "5", "--format", "json"], tmp.path());
    let doc = json(&o);
    let costs = doc["replay"]["targets"][0]["costs"].as_array().unwrap();
    let errors: Vec<bool> = costs.iter().map(|c| c.get("error").is_some()).collect();
    // The broken commit is reported, and so is the next one (its Dockerfile is
    // still broken, as CI would find); the replay goes on and the commits after
    // the fix are predicted again.
    assert_eq!(errors, vec![false, true, true, false, false], "{costs:?}");
    let err = stderr(&o);
    assert!(
        err.contains("2 of 5 commits could not be predicted"),
        "{err}"
    );
    assert!(
        err.contains(&format!("{bad}: docker/app.Dockerfile")),
        "{err}"
    );
    assert!(err.contains("unknown flag: bogus"), "{err}");
}

#[test]
fn nothing_to_replay_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    git(tmp.path(), &["init", "-q", "-b", "main"]);
    commit(tmp.path(), &[("Dockerfile", "RUN x\n")], "one");
    commit(tmp.path(), &[("Dockerfile", "RUN y\n")], "two");
    let o = hoist(&["-n", "1"], tmp.path());
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("nothing could be replayed"), "{err}");
    assert!(err.contains("RUN before the first FROM"), "{err}");
}

#[test]
fn a_workflow_that_cannot_be_read_is_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    git(tmp.path(), &["init", "-q", "-b", "main"]);
    commit(
        tmp.path(),
        &[
            ("Dockerfile", "FROM alpine\nCOPY . /src\n"),
            (".github/workflows/broken.yml", "jobs: [unclosed\n"),
            (".github/workflows/notes.yaml", "just: a mapping\n"),
            (".github/workflows/README.md", "not a workflow\n"),
        ],
        "one",
    );
    commit(tmp.path(), &[("a.txt", "a")], "two");
    let o = hoist(&["-n", "1", "--format", "json"], tmp.path());
    let doc = json(&o);
    assert_eq!(doc["replay"]["targets"][0]["dockerfile"], "Dockerfile");
    let err = stderr(&o);
    assert!(
        err.contains("warning: .github/workflows/broken.yml: not valid YAML"),
        "{err}"
    );
    assert!(
        err.contains(".github/workflows/notes.yaml: not a workflow (no `jobs:` mapping); this workflow is skipped"),
        "{err}"
    );
    assert!(!err.contains("README.md"), "{err}");
    assert!(err.contains("build no image hoist can read"), "{err}");

    // Next to a good workflow, the bad one is skipped and the good one used.
    commit(
        tmp.path(),
        &[
            ("docker/app.Dockerfile", DOCKERFILE),
            (".github/workflows/image.yml", WORKFLOW),
        ],
        "three",
    );
    let o = hoist(&["-n", "1", "--format", "json"], tmp.path());
    let doc = json(&o);
    assert_eq!(
        doc["replay"]["targets"][0]["dockerfile"],
        "docker/app.Dockerfile"
    );
    assert!(stderr(&o).contains("broken.yml: not valid YAML"));
}
