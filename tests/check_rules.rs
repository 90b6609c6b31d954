//! `hoist check`: every rule fires on its `bad*` fixtures and stays quiet on
//! its `good*` ones (tests/fixtures/rules/<rule>/); the rendered diagnostics
//! and fix diffs are snapshots; the CLI's formats, configuration, suppression
//! and exit codes.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use hoist::model::{self, BuildOptions};
use hoist::report;
use hoist::rules::{self, Config, Diagnostic, Facts, Severity};
use hoist::syntax;

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules")
}

/// The findings of one rule on one file.
fn check_source(rule: &str, shown: &str, source: &[u8], facts: &Facts) -> Vec<Diagnostic> {
    let file = syntax::parse(source).expect("fixture parses");
    let typed = syntax::typed::typed(&file).expect("fixture passes the typed view");
    let build = model::build(&file, &BuildOptions::default()).expect("fixture models");
    let config = Config {
        select: vec![rule.to_string()],
        ..Config::default()
    };
    let input = rules::Input {
        path: shown,
        file: &file,
        typed: &typed,
        build: &build,
        facts,
        config: &config,
    };
    rules::check(&input)
}

/// A line diff (longest common subsequence), `-`/`+`/` ` prefixed, context trimmed to 1 line.
fn diff(old: &str, new: &str) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut rows: Vec<(char, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            rows.push((' ', a[i]));
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            rows.push(('+', b[j]));
            j += 1;
        } else {
            rows.push(('-', a[i]));
            i += 1;
        }
    }
    let near = |k: usize| {
        rows[k.saturating_sub(1)..(k + 2).min(rows.len())]
            .iter()
            .any(|r| r.0 != ' ')
    };
    let mut out = String::new();
    let mut skipped = false;
    for (k, (c, line)) in rows.iter().enumerate() {
        if *c == ' ' && !near(k) {
            if !skipped {
                out.push_str("  ...\n");
                skipped = true;
            }
            continue;
        }
        skipped = false;
        out.push_str(&format!("{c} {line}\n"));
    }
    out
}

fn facts_for(rule: &str) -> Facts {
    let mut facts = Facts::default();
    if rule == "cache-mount-on-ephemeral-ci" {
        facts.ephemeral_ci = Some(".github/workflows/build.yml".into());
    }
    if rule == "low-value-layer" {
        // The story's figures: a 4 s prewarm against a 68 s link.
        for (instruction, secs) in [
            ("RUN go mod download", 12.0),
            (
                "RUN CGO_ENABLED=1 go build github.com/pganalyze/pg_query_go/v5",
                4.1,
            ),
            ("RUN CGO_ENABLED=1 go build github.com/heavy/cgo-lib", 40.0),
            (
                "RUN CGO_ENABLED=1 go build -o /out/server ./cmd/server",
                68.0,
            ),
        ] {
            facts
                .step_seconds
                .insert(("build".to_string(), instruction.to_string()), secs);
        }
    }
    facts
}

/// Checks every fixture of a rule and returns the snapshot text.
fn rule_report(rule: &str) -> String {
    let dir = fixtures_dir().join(rule);
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "Dockerfile"))
        .collect();
    files.sort();
    assert!(
        files.iter().any(|f| name(f).starts_with("bad"))
            && files.iter().any(|f| name(f).starts_with("good")),
        "{rule}: needs bad and good fixtures"
    );
    let facts = facts_for(rule);
    let mut out = String::new();
    for path in files {
        let shown = name(&path);
        let source = fs::read(&path).unwrap();
        let diags = check_source(rule, &shown, &source, &facts);
        if shown.starts_with("bad") {
            assert!(!diags.is_empty(), "{rule} stays quiet on {shown}");
        } else {
            assert!(diags.is_empty(), "{rule} fires on {shown}: {diags:#?}");
        }
        assert!(diags.iter().all(|d| d.rule == rule));
        out.push_str(&format!("===== {shown}\n"));
        let lookup = |_: &str| Some(source.clone());
        out.push_str(&report::check::text(&diags, &lookup, false));
        for d in &diags {
            let Some(fix) = &d.fix else { continue };
            let fixed = fix.apply(&source);
            let (old, new) = (
                String::from_utf8_lossy(&source),
                String::from_utf8_lossy(&fixed),
            );
            out.push_str(&format!(
                "----- fix for line {} ({:?}): {}\n{}",
                d.line,
                fix.applicability,
                fix.message,
                diff(&old, &new)
            ));
            // The fixed file still parses, and the finding is gone.
            let after = check_source(rule, &shown, &fixed, &facts);
            assert!(
                after.len() < diags.len(),
                "{rule}: the fix for line {} of {shown} does not remove the finding:\n{}",
                d.line,
                String::from_utf8_lossy(&fixed)
            );
            // Idempotent: applying a fix to the fixed file is not needed again.
            if fix.applicability == rules::Applicability::Safe {
                let again = check_source(rule, &shown, &fixed, &facts);
                assert!(again.iter().all(|x| x.message != d.message));
            }
        }
    }
    out
}

fn name(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}

#[test]
fn every_rule_has_fixtures_and_a_snapshot() {
    for rule in rules::RULES {
        // Rules that read history are tested on a repository built by the test.
        if rule.name == "context-churn" {
            continue;
        }
        insta::assert_snapshot!(format!("rule-{}", rule.name), rule_report(rule.name));
    }
}

#[test]
fn names_and_codes_are_unique_and_documented() {
    let mut names = std::collections::BTreeSet::new();
    let mut codes = std::collections::BTreeSet::new();
    let mut table = String::new();
    for r in rules::RULES {
        assert!(names.insert(r.name), "duplicate name {}", r.name);
        assert!(codes.insert(r.code), "duplicate code {}", r.code);
        assert!(
            r.name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
            "{} is not kebab-case",
            r.name
        );
        let doc = r.doc();
        for heading in [
            "## What it does",
            "## Why is this bad?",
            "## Example",
            "## Use instead",
            "## Fix safety",
        ] {
            assert!(
                doc.contains(heading),
                "{}: no {heading:?} in its doc comment",
                r.name
            );
        }
        table.push_str(&format!("{} {} {}\n", r.code, r.name, r.severity.as_str()));
    }
    insta::assert_snapshot!("rule-codes", table);
}

/// docs/rules.md is generated from the doc comments: regenerate with
/// `HOIST_BLESS_DOCS=1 cargo test --test check_rules`.
#[test]
fn docs_rules_md_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules.md");
    let want = rules_markdown();
    if std::env::var_os("HOIST_BLESS_DOCS").is_some() {
        fs::write(&path, &want).unwrap();
    }
    let have = fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/rules.md is out of date: run HOIST_BLESS_DOCS=1 cargo test --test check_rules"
    );
}

fn rules_markdown() -> String {
    let mut out = String::from(
        "# hoist's cache rules\n\n<!-- Generated from the doc comments in src/rules/*.rs by tests/check_rules.rs; do not edit. -->\n\n`hoist check` runs these rules. Select or ignore them by name or code with\n`--select`/`--ignore` or in `hoist.toml`; silence one on an instruction with\n`# hoist ignore=NAME` on the line above it.\n\n| Code | Name | Severity | Summary |\n|------|------|----------|---------|\n",
    );
    for r in rules::RULES {
        out.push_str(&format!(
            "| {} | [`{}`](#{}) | {} | {} |\n",
            r.code,
            r.name,
            r.name,
            r.severity.as_str(),
            r.summary.replace('|', "\\|")
        ));
    }
    out.push_str(
        "\n## Configuration: `hoist.toml`\n\nRead from the Dockerfile's directory or the nearest one above it, up to the\nrepository root.\n\n```toml\nselect = [\"all\"]                      # rules to run (names or codes)\nignore = [\"unpinned-base-image\"]      # rules not to run\nfail-on = \"warning\"                   # exit 1 on findings at or above this severity\nvolatile-args = [\"RELEASE_TAG\"]       # more args that change on every build\n\n[severity]\nswallowed-failure = \"error\"\n```\n",
    );
    for r in rules::RULES {
        out.push_str(&format!(
            "\n## {}\n\nCode `{}`, severity {}.\n\n",
            r.name,
            r.code,
            r.severity.as_str()
        ));
        // One heading level down inside a rule.
        for line in r.doc().lines() {
            if let Some(h) = line.strip_prefix("## ") {
                out.push_str(&format!("### {h}\n"));
            } else {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

fn hoist(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_hoist"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn go_service_example_says_what_the_story_needed() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (code, stdout, stderr) = hoist(root, &["check", "examples/go-service.Dockerfile"]);
    assert_eq!(code, 1, "{stderr}");
    insta::assert_snapshot!("go_service_text", stdout);
    let (_, json, _) = hoist(
        root,
        &[
            "check",
            "--format",
            "json",
            "examples/go-service.Dockerfile",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let rules: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"].as_str().unwrap())
        .collect();
    // COMMIT/VERSION before the downloads, the downloads after COPY . ., the `|| true`.
    for r in [
        "volatile-arg-too-early",
        "independent-step-after-source-copy",
        "swallowed-failure",
        "unpinned-base-image",
    ] {
        assert!(rules.contains(&r), "{r} missing: {rules:?}");
    }
    for field in [
        "rule", "code", "severity", "file", "line", "column", "message", "fix",
    ] {
        assert!(v[0].get(field).is_some(), "no {field}");
    }
}

#[test]
fn formats_sarif_and_github() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (_, sarif, _) = hoist(
        root,
        &[
            "check",
            "--format",
            "sarif",
            "examples/go-service.Dockerfile",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "hoist");
    assert_eq!(
        run["tool"]["driver"]["rules"].as_array().unwrap().len(),
        rules::RULES.len()
    );
    let r0 = &run["results"][0];
    assert!(r0["ruleId"].as_str().unwrap().starts_with("HC"));
    assert_eq!(
        r0["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "examples/go-service.Dockerfile"
    );
    let (_, gh, _) = hoist(
        root,
        &[
            "check",
            "--format",
            "github",
            "examples/go-service.Dockerfile",
        ],
    );
    assert!(gh.lines().all(|l| l.starts_with("::")), "{gh}");
    assert!(gh.contains(
        "::warning file=examples/go-service.Dockerfile,line=14,col=1,endLine=14,endColumn=19,title=volatile-arg-too-early (HC001)::ARG COMMIT"
    ));
    assert!(gh.contains("::notice file="));
}

fn repo_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join(".git")).unwrap();
    for (p, text) in files {
        let full = dir.path().join(p);
        fs::create_dir_all(full.parent().unwrap()).unwrap();
        fs::write(full, text).unwrap();
    }
    dir
}

const PINNED: &str =
    "FROM alpine@sha256:0000000000000000000000000000000000000000000000000000000000000000\n";

#[test]
fn exit_codes_selection_and_suppression() {
    let bad = format!("{PINNED}ARG BUILD_DATE\nRUN apk add --no-cache curl || true\n");
    let repo = repo_with(&[("Dockerfile", &bad), ("docs/Dockerfile", PINNED)]);
    let d = repo.path();
    // A directory: its Dockerfiles, one folder down too.
    let (code, out, _) = hoist(d, &["check", "--format", "json"]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 2, "{out}");
    let (code, out, _) = hoist(d, &["check", "docs"]);
    assert_eq!((code, out.as_str()), (0, "no findings\n"));
    let (code, _, _) = hoist(
        d,
        &["check", "--ignore", "swallowed-failure,HC001", "Dockerfile"],
    );
    assert_eq!(code, 0);
    let (code, out, _) = hoist(d, &["check", "--select", "HC005", "--format", "json"]);
    assert_eq!(code, 1);
    assert!(out.contains("swallowed-failure") && !out.contains("volatile"));
    let (code, _, err) = hoist(d, &["check", "--select", "no-such-rule"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown rule"), "{err}");
    // Inline suppression.
    let quiet = format!(
        "{PINNED}# hoist ignore=volatile-arg-too-early\nARG BUILD_DATE\n# why: optional\n# hoist ignore=swallowed-failure\nRUN apk add --no-cache curl || true\n"
    );
    fs::write(d.join("Dockerfile"), quiet).unwrap();
    let (code, out, _) = hoist(d, &["check", "Dockerfile"]);
    assert_eq!((code, out.as_str()), (0, "no findings\n"));
}

#[test]
fn parse_errors_exit_2_with_a_code_frame() {
    let repo = repo_with(&[("Dockerfile", "FROM alpine\nCOPY --user=me a /b\n")]);
    let (code, _, err) = hoist(repo.path(), &["check", "Dockerfile"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("Dockerfile:2:6") && err.contains("2 | COPY --user=me a /b"),
        "{err}"
    );
    let (code, _, err) = hoist(repo.path(), &["check", "missing.Dockerfile"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn hoist_toml_sets_rules_severities_and_volatile_args() {
    let df = format!(
        "{PINNED}ARG RELEASE_TAG\nRUN apk add --no-cache curl\nRUN echo $RELEASE_TAG > /tag\n"
    );
    let repo = repo_with(&[
        ("svc/Dockerfile", &df),
        (
            "hoist.toml",
            "volatile-args = [\"RELEASE_TAG\"]\nfail-on = \"error\"\n[severity]\nvolatile-arg-too-early = \"info\"\n",
        ),
    ]);
    let (code, out, err) = hoist(
        repo.path(),
        &["check", "--format", "json", "svc/Dockerfile"],
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v[0]["rule"], "volatile-arg-too-early");
    assert_eq!(v[0]["severity"], "info");
    assert_eq!(v[0]["fix"]["applicability"], "safe");
    fs::write(repo.path().join("hoist.toml"), "select = [\"nope\"]\n").unwrap();
    let (code, _, err) = hoist(repo.path(), &["check", "svc/Dockerfile"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("hoist.toml:1") && err.contains("unknown rule"),
        "{err}"
    );
}

#[test]
fn workflow_facts_feed_the_rules() {
    let df = format!(
        "{PINNED}ARG REF\nRUN --mount=type=cache,target=/root/.cache apk add --no-cache curl\nRUN echo $REF > /ref\n"
    );
    let workflow = r#"
on: [push]
jobs:
  image:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: docker/build-push-action@v6
        with:
          context: .
          build-args: |
            REF=${{ github.sha }}
          cache-from: type=gha
          cache-to: type=gha,mode=max
"#;
    let repo = repo_with(&[
        ("Dockerfile", &df),
        (".github/workflows/build.yml", workflow),
    ]);
    let (_, out, err) = hoist(repo.path(), &["check", "--format", "json", "Dockerfile"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|_| panic!("{out}{err}"));
    let rules: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"volatile-arg-too-early"), "{out}");
    assert!(rules.contains(&"cache-mount-on-ephemeral-ci"), "{out}");
    let _ = Severity::Info;
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn context_churn_counts_docs_only_commits() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    let df =
        format!("{PINNED}WORKDIR /src\nCOPY docs/api.txt /api.txt\nCOPY . .\nRUN ./build.sh\n");
    fs::write(d.join("Dockerfile"), df).unwrap();
    fs::write(d.join(".dockerignore"), ".git\n").unwrap();
    fs::create_dir_all(d.join("docs")).unwrap();
    fs::create_dir_all(d.join(".github")).unwrap();
    let edits: [&[&str]; 6] = [
        &["main.go"],
        &["README.md"],
        &["main.go"],
        &["docs/guide.md", ".github/ci.yml"],
        &["docs/api.txt"],
        &["main.go", "README.md"],
    ];
    for (i, files) in edits.iter().enumerate() {
        for f in *files {
            fs::write(d.join(f), format!("{i}\n")).unwrap();
        }
        git(d, &["add", "-A"]);
        git(d, &["commit", "-q", "-m", &format!("c{i}")]);
    }
    let (code, out, err) = hoist(
        d,
        &["check", "--select", "context-churn", "--format", "json"],
    );
    assert_eq!(code, 1, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    // 5 commits after the root reach the context; README.md and docs/+.github
    // alone are docs-only; docs/api.txt is named by a COPY, so it counts as needed.
    assert_eq!(v.as_array().unwrap().len(), 1, "{out}");
    let msg = v[0]["message"].as_str().unwrap();
    assert!(msg.starts_with("2 of the last 5 commits (40%)"), "{msg}");
    assert_eq!(v[0]["line"], 4);
    assert!(v[0]["help"].as_str().unwrap().contains(".dockerignore"));
    assert_eq!(v[0]["fix"]["target"], "ignore-file");
    assert_eq!(v[0]["fix"]["applicability"], "unsafe");

    // The fix edits the ignore file: unsafe, so only with --unsafe.
    let (code, out, err) = hoist(d, &["fix", "--diff"]);
    assert_eq!(code, 0, "nothing safe to apply: {out}{err}");
    assert!(err.contains("1 unsafe fix not applied"), "{err}");
    let (code, out, err) = hoist(d, &["fix", "--diff", "--unsafe", "--select", "HC009"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("+++ b/.dockerignore"), "{out}");
    assert!(out.contains("+**/*.md\n"), "{out}");
    assert!(out.contains("+.github/\n"), "{out}");
    assert!(
        !out.contains("+docs/"),
        "docs/api.txt is copied by name: {out}"
    );
    assert_eq!(
        fs::read(d.join(".dockerignore")).unwrap(),
        b".git\n",
        "--diff writes nothing"
    );
    let (code, out, err) = hoist(d, &["fix", "--write", "--unsafe", "--select", "HC009"]);
    assert_eq!(code, 0, "{out}{err}");
    let ignore = fs::read_to_string(d.join(".dockerignore")).unwrap();
    assert!(
        ignore.starts_with(".git\n# Not needed in the image"),
        "{ignore}"
    );
    assert!(ignore.ends_with("**/*.md\n.github/\n"), "{ignore}");
    // Idempotent: the history seen through the new ignore file has no such commits.
    let (code, out, err) = hoist(d, &["check", "--select", "context-churn"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = hoist(d, &["fix", "--diff", "--unsafe", "--select", "HC009"]);
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
}

/// All findings of every rule on a source (default facts and configuration).
fn check_all(source: &[u8]) -> Vec<Diagnostic> {
    let file = syntax::parse(source).unwrap();
    let typed = syntax::typed::typed(&file).unwrap();
    let build = model::build(&file, &BuildOptions::default()).unwrap();
    let config = Config::default();
    let facts = Facts::default();
    let input = rules::Input {
        path: "Dockerfile",
        file: &file,
        typed: &typed,
        build: &build,
        facts: &facts,
        config: &config,
    };
    rules::check(&input)
}

/// The story's fix: moving the downloads above the dependency copy also takes
/// them out of COMMIT's and VERSION's reach; what remains is the `|| true`.
#[test]
fn moving_the_downloads_settles_the_story() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let source = fs::read(root.join("examples/go-service.Dockerfile")).unwrap();
    let before = check_all(&source);
    let fix = before
        .iter()
        .find(|d| d.rule == "independent-step-after-source-copy")
        .and_then(|d| d.fix.clone())
        .expect("a fix for the downloads");
    let after = check_all(&fix.apply(&source));
    let left: Vec<&str> = after
        .iter()
        .filter(|d| d.severity >= Severity::Warning)
        .map(|d| d.rule)
        .collect();
    assert_eq!(left, vec!["swallowed-failure"], "{after:#?}");
}

/// The story's second pull request: the worker's `go mod tidy` before the
/// source copy is an error, the prewarm's `2>/dev/null || true` a warning.
#[test]
fn the_story_worker_layout() {
    let worker = b"FROM golang:1.22-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go get github.com/marcboeker/go-duckdb@v1.8.3 && go mod tidy
RUN go mod download
RUN CGO_ENABLED=1 go build github.com/marcboeker/go-duckdb github.com/pganalyze/pg_query_go/v5 2>/dev/null || true
ARG DUCKDB_VERSION=v1.1.3
RUN curl -fsSLo /out/json.gz https://extensions.duckdb.org/${DUCKDB_VERSION}/linux_amd64/json.duckdb_extension.gz
COPY . .
ARG VERSION
ARG COMMIT
RUN go build -ldflags \"-X main.version=${VERSION} -X main.commit=${COMMIT}\" -o /out/worker ./cmd/worker
";
    let found: Vec<(&str, usize)> = check_all(worker)
        .iter()
        .filter(|d| d.severity >= Severity::Warning)
        .map(|d| (d.rule, d.line))
        .collect();
    assert_eq!(
        found,
        vec![
            ("tidy-without-sources", 4),
            ("swallowed-failure", 6),
            ("download-in-manifest-chain", 8),
        ]
    );
}

/// `low-value-layer` reads the repository's timings store.
#[test]
fn low_value_layer_reads_the_timings_store() {
    use hoist::timing::store::{Run, StepRecord, Store};
    let df =
        fs::read_to_string(fixtures_dir().join("low-value-layer/bad-prewarm.Dockerfile")).unwrap();
    let repo = repo_with(&[("Dockerfile", &df)]);
    let d = repo.path();
    let file = syntax::parse(df.as_bytes()).unwrap();
    let build = model::build(&file, &BuildOptions::default()).unwrap();
    let seconds = |instruction: &str| match instruction {
        "RUN CGO_ENABLED=1 go build github.com/pganalyze/pg_query_go/v5" => 4.0,
        "RUN CGO_ENABLED=1 go build -o /out/server ./cmd/server" => 68.0,
        _ => 1.0,
    };
    let steps = (0..build.steps.len())
        .map(|s| {
            let secs = seconds(&build.steps[s].instruction);
            StepRecord::new(&build, s, false, Some(secs))
        })
        .collect();
    let mut store = Store::default();
    store.add_run(Run {
        dockerfile: "Dockerfile".into(),
        when: "2026-01-01T00:00:00Z".into(),
        builder: None,
        platform: None,
        source: "measure".into(),
        steps,
    });
    store.save(&d.join(".hoist/timings.json")).unwrap();
    let (code, out, err) = hoist(
        d,
        &["check", "--select", "low-value-layer", "--format", "json"],
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v[0]["line"], 5, "{out}");
    assert!(
        v[0]["message"].as_str().unwrap().contains("saves 4.0 s"),
        "{out}"
    );
}

/// With a Dockerfile outside its context (`file: docker/Dockerfile`,
/// `context: .` in the workflow), the ignore file in effect is the context's,
/// and that is the one the fix edits; a negated path is not excluded again.
#[test]
fn context_churn_edits_the_ignore_file_of_the_context() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    fs::create_dir_all(d.join("docker")).unwrap();
    fs::create_dir_all(d.join(".github/workflows")).unwrap();
    fs::create_dir_all(d.join("docs")).unwrap();
    fs::write(
        d.join("docker/Dockerfile"),
        format!("{PINNED}WORKDIR /app\nCOPY . .\nRUN ./build.sh\n"),
    )
    .unwrap();
    fs::write(d.join(".dockerignore"), ".git\n!README.md\n").unwrap();
    fs::write(
        d.join(".github/workflows/ci.yml"),
        "on: push\njobs:\n  img:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: docker/build-push-action@v6\n        with:\n          context: .\n          file: docker/Dockerfile\n",
    )
    .unwrap();
    fs::write(d.join("build.sh"), "0\n").unwrap();
    let edits: [&str; 5] = [
        "docs/a.md",
        "README.md",
        "docs/a.md",
        "build.sh",
        "docs/b.md",
    ];
    for (i, f) in edits.iter().enumerate() {
        fs::write(d.join(f), format!("{i}\n")).unwrap();
        git(d, &["add", "-A"]);
        git(d, &["commit", "-q", "-m", &format!("c{i}")]);
    }
    let (code, out, err) = hoist(
        d,
        &[
            "check",
            "--select",
            "context-churn",
            "--format",
            "json",
            "docker/Dockerfile",
        ],
    );
    assert_eq!(code, 1, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v[0]["fix"]["file"], ".dockerignore", "{out}");
    let (code, out, err) = hoist(
        d,
        &[
            "fix",
            "--write",
            "--unsafe",
            "--select",
            "HC009",
            "docker/Dockerfile",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    let ignore = fs::read_to_string(d.join(".dockerignore")).unwrap();
    assert!(ignore.contains("\ndocs/\n"), "{ignore}");
    assert!(
        !ignore.contains("*.md"),
        "README.md is let back in: {ignore}"
    );
    assert!(!d.join("docker/.dockerignore").exists());
}
