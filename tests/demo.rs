//! `hoist demo`: the example repository, its history and the replay, the same
//! on every run.

use std::path::Path;
use std::process::Command;

fn hoist() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hoist"))
}

fn git_out(dir: &Path, args: &[&str]) -> String {
    let o = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .expect("git runs");
    assert!(o.status.success(), "git {args:?}: {o:?}");
    String::from_utf8(o.stdout).unwrap().trim().to_string()
}

/// `commits` of the class `label` in the "By change class" table.
fn class_commits(report: &str, label: &str) -> usize {
    let section = report
        .split("By change class")
        .nth(1)
        .expect("a change-class table");
    section
        .lines()
        .find(|l| l.trim_start().starts_with(label))
        .and_then(|l| {
            l[l.find(label).unwrap() + label.len()..]
                .split_whitespace()
                .next()
        })
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[test]
fn demo_is_deterministic_and_matches_the_case() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let repo = dir.join("repo");
    let run = || {
        let o = hoist().arg("demo").arg("--dir").arg(&dir).output().unwrap();
        assert!(
            o.status.success(),
            "hoist demo failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        (
            String::from_utf8(o.stdout).unwrap(),
            git_out(&repo, &["rev-parse", "HEAD"]),
        )
    };
    let (first, head1) = run();
    let (second, head2) = run();
    assert_eq!(head1, head2, "commit ids differ between runs");
    assert_eq!(first, second, "the output differs between runs");
    let out = first;

    // The repository.
    let commits: usize = git_out(&repo, &["rev-list", "--count", "HEAD"])
        .parse()
        .unwrap();
    assert!(commits >= 301, "{commits} commits");
    assert!(git_out(&repo, &["status", "--porcelain", "--untracked-files=no"]).is_empty());
    for f in [
        "Dockerfile",
        "Dockerfile.controlplane",
        "Dockerfile.worker",
        "go.mod",
        "go.sum",
        "cmd/server/main.go",
        "cmd/controlplane/main.go",
        "cmd/worker/main.go",
        "docs/architecture.md",
        "README.md",
        ".dockerignore",
    ] {
        assert!(repo.join(f).is_file(), "{f} is missing");
    }
    let dockerfile = std::fs::read_to_string(repo.join("Dockerfile")).unwrap();
    let copy_all = dockerfile.find("COPY . .").unwrap();
    let commit_arg = dockerfile.find("ARG COMMIT").unwrap();
    let first_curl = dockerfile.find("RUN curl").unwrap();
    assert!(
        copy_all < commit_arg && commit_arg < first_curl,
        "{dockerfile}"
    );
    assert_eq!(dockerfile.matches("RUN curl").count(), 5);
    let workflow = std::fs::read_to_string(repo.join(".github/workflows/images.yml")).unwrap();
    assert!(workflow.contains("platforms: linux/amd64,linux/arm64"));
    assert!(workflow.contains("cache-to: type=gha,mode=max"));
    let store = std::fs::read_to_string(repo.join(".hoist/timings.json")).unwrap();
    assert!(store.contains("\"source\": \"demo\""), "{store}");
    assert!(!store.contains("\"source\": \"measure\""));

    // The replay: targets from the workflow, three images, two architectures,
    // the worker once per DuckDB version.
    assert!(out.contains("Images from the CI workflows"), "{out}");
    assert!(out.contains("Replayed 320 commits"), "{out}");
    assert!(out.contains("12 image builds per commit"), "{out}");
    assert!(out.contains("8 builds per commit (4 matrix combinations × 2 platforms)"));
    assert_eq!(out.matches("2 builds per commit (2 platforms)").count(), 2);
    for image in [
        "Dockerfile ",
        "Dockerfile.controlplane ",
        "Dockerfile.worker ",
    ] {
        assert!(
            out.lines()
                .any(|l| l.starts_with(image) && l.contains("cache max")),
            "{image}: {out}"
        );
    }
    let source = class_commits(&out, "source-only");
    let deps = class_commits(&out, "dependency manifests");
    let bumps = class_commits(&out, "build-arg or version bumps");
    let docs = class_commits(&out, "docs/CI-only");
    let edits = class_commits(&out, "Dockerfile edits");
    assert_eq!(source + deps + bumps + docs + edits, 320, "{out}");
    assert!((280..=295).contains(&source), "{source} source-only");
    assert!((6..=14).contains(&deps), "{deps} dependency commits");
    assert!((6..=14).contains(&bumps), "{bumps} version bumps");
    assert!((4..=14).contains(&docs), "{docs} docs/CI commits");
    assert!((2..=8).contains(&edits), "{edits} Dockerfile edits");
    assert!(out.contains("100% of re-run steps measured"), "{out}");
    let html = dir.join("replay.html");
    assert!(out.contains(&format!("HTML report: {}", html.display())));
    assert!(html.is_file());

    // What the safe fixes save: every image gains, and the saving stays
    // within the headroom the replay reported.
    let fixes = out
        .split("$ hoist fix --compare")
        .nth(1)
        .expect("the fixes section");
    for image in [
        "Dockerfile ",
        "Dockerfile.controlplane ",
        "Dockerfile.worker ",
    ] {
        let line = fixes
            .lines()
            .find(|l| l.trim_start().starts_with(image))
            .unwrap_or_else(|| panic!("{image}: {fixes}"));
        assert!(
            line.contains("HC003 ×5") && line.contains("saves"),
            "{line}"
        );
    }
    let number_after = |text: &str, key: &str| -> f64 {
        let at = text.find(key).unwrap_or_else(|| panic!("{key}: {text}")) + key.len();
        text[at..]
            .split_whitespace()
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    let saved = number_after(fixes, "Total: saves");
    let total = out
        .lines()
        .find(|l| l.starts_with("Total: ") && l.contains("floor"))
        .expect("the replay's total");
    let headroom = number_after(total, "headroom");
    assert!(
        saved > 0.5 * headroom && saved <= headroom,
        "saves {saved}, headroom {headroom}"
    );
}

#[test]
fn demo_refuses_a_directory_it_did_not_make() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("precious.txt"), "keep me").unwrap();
    let o = hoist()
        .arg("demo")
        .arg("--dir")
        .arg(tmp.path())
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("was not made by `hoist demo`"), "{err}");
    assert!(tmp.path().join("precious.txt").exists());
}

/// `hoist fix --compare` on the demo: the same history replayed with the
/// server's Dockerfile as it is and as fixed; the fix never costs more, and
/// saves what the downloads after `COPY . .` cost.
#[test]
fn fix_compare_shows_the_saving_on_the_demo() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let repo = dir.join("repo");
    let o = hoist().arg("demo").arg("--dir").arg(&dir).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let run = |args: &[&str]| {
        let o = hoist().current_dir(&repo).args(args).output().unwrap();
        (
            o.status.code().unwrap_or(-1),
            String::from_utf8(o.stdout).unwrap(),
            String::from_utf8(o.stderr).unwrap(),
        )
    };
    let (code, json, err) = run(&[
        "fix",
        "--compare",
        "-n",
        "321",
        "--format",
        "json",
        "Dockerfile",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let c = &v[0];
    assert_eq!(c["dockerfile"], "Dockerfile");
    assert_eq!(c["fixes"].as_array().unwrap().len(), 5, "{c}");
    assert!(c["fixes"].as_array().unwrap().iter().all(|f| f == "HC003"));
    assert_eq!(
        c["measured_steps"], c["steps"],
        "the demo measured every step"
    );
    let rows = c["commits"].as_array().unwrap();
    assert_eq!(rows.len(), 321);
    for r in rows {
        let (now, fixed) = (
            r["current_seconds"].as_f64().unwrap(),
            r["fixed_seconds"].as_f64().unwrap(),
        );
        assert!(fixed <= now + 1e-9, "the fix costs more at {r}");
    }
    let saved = c["saved_seconds"].as_f64().unwrap();
    let current = c["current_seconds"].as_f64().unwrap();
    assert!(saved > 0.05 * current, "saves {saved} of {current}");
    // A source-only commit: the five downloads (measured in the demo's store)
    // no longer re-run, on each of the workflow's two builds.
    let source_only = rows
        .iter()
        .find(|r| r["summary"].as_str().unwrap().starts_with("catalog:"))
        .unwrap();
    let per_commit = source_only["current_seconds"].as_f64().unwrap()
        - source_only["fixed_seconds"].as_f64().unwrap();
    assert!(per_commit > 40.0, "{source_only}");

    // The text form says the same, and nothing was written.
    let (code, text, _) = run(&["fix", "--compare", "-n", "321", "Dockerfile"]);
    assert_eq!(code, 0);
    assert!(
        text.starts_with("Dockerfile: the last 321 commits, replayed with the Dockerfile as it is and as fixed (HC003 ×5)\n"),
        "{text}"
    );
    assert!(text.contains(&format!("saves {saved:.0} s")), "{text}");
    assert_eq!(git_out(&repo, &["status", "--porcelain"]), "");
}

#[test]
fn fix_compare_needs_a_repository_and_something_to_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(
        d.join("Dockerfile"),
        "FROM alpine:3.20\nARG COMMIT\nRUN apk add --no-cache curl\nRUN echo ${COMMIT} > /commit\n",
    )
    .unwrap();
    let o = hoist()
        .current_dir(d)
        .args(["fix", "--compare", "Dockerfile"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("is not in a git repository"), "{err}");
    let o = hoist()
        .current_dir(d)
        .args(["fix", "--compare", "--write", "Dockerfile"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "--compare writes nothing");

    // In a repository, a Dockerfile with nothing to fix has nothing to compare.
    git_out(d, &["init", "-q"]);
    std::fs::write(
        d.join("Dockerfile"),
        "FROM alpine:3.20
RUN true
",
    )
    .unwrap();
    let o = hoist()
        .current_dir(d)
        .args(["fix", "--compare", "Dockerfile"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert!(o.stdout.is_empty());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("Dockerfile: nothing to fix, nothing to compare"),
        "{err}"
    );

    // Something to fix but nothing measured: it says so, and prices nothing.
    std::fs::write(
        d.join("Dockerfile"),
        "FROM alpine:3.20\nWORKDIR /app\nCOPY . .\nRUN wget -O /opt/tool https://example.com/tool-1.2\n",
    )
    .unwrap();
    std::fs::write(d.join("main.txt"), "1\n").unwrap();
    let commit = |m: &str| {
        git_out(d, &["add", "-A"]);
        git_out(
            d,
            &[
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@t",
                "commit",
                "-q",
                "-m",
                m,
            ],
        );
    };
    commit("one");
    std::fs::write(d.join("main.txt"), "2\n").unwrap();
    commit("two");
    let o = hoist()
        .current_dir(d)
        .args(["fix", "--compare", "Dockerfile"])
        .output()
        .unwrap();
    let (out, err) = (
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
    );
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(
        err.contains("warning: Dockerfile: no step has a measured cost"),
        "{err}"
    );
    assert!(out.contains("(HC003)"), "{out}");
    assert!(out.contains("costs: measured for 0 of"), "{out}");
    assert!(out.contains("saves 0 s (0.0%)"), "{out}");
}
