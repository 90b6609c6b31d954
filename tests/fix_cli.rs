//! `hoist fix`: every fix of every rule, applied on the rule's fixtures, is
//! idempotent, leaves the bytes outside its edits as they were, and silences
//! the rule; `display-only` fixes are never applied and `unsafe` ones only
//! with `--unsafe`; the CLI's diff, `--write` and exit codes; the story's
//! Dockerfile.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use hoist::fix::{self, Options};
use hoist::rules::{self, Applicability, Config, Diagnostic, Edit, Facts};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules")
}

fn story() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/go-service.Dockerfile")
}

fn only(rule: &str) -> Config {
    Config {
        select: vec![rule.to_string()],
        ..Config::default()
    }
}

const SAFE: Options = Options {
    unsafe_fixes: false,
};
const UNSAFE: Options = Options { unsafe_fixes: true };

/// Every fixture of every rule: (rule, path, bytes).
fn fixtures() -> Vec<(String, PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for rule in rules::RULES {
        let dir = fixtures_dir().join(rule.name);
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        paths.sort();
        for p in paths {
            let bytes = fs::read(&p).unwrap();
            out.push((rule.name.to_string(), p, bytes));
        }
    }
    out
}

/// Asserts that `out` is `source` with `edits` applied and every byte between
/// the edits unchanged: walks the gaps and compares them in place.
fn assert_outside_unchanged(source: &[u8], out: &[u8], edits: &[Edit], what: &str) {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.start, e.end));
    let (mut at_src, mut at_out) = (0usize, 0usize);
    for e in sorted {
        let gap = &source[at_src..e.start];
        assert_eq!(
            &out[at_out..at_out + gap.len()],
            gap,
            "{what}: bytes {at_src}..{} changed",
            e.start
        );
        at_out += gap.len();
        assert_eq!(
            &out[at_out..at_out + e.content.len()],
            e.content.as_bytes(),
            "{what}: the edit at {} is not what the fix says",
            e.start
        );
        at_out += e.content.len();
        at_src = e.end;
    }
    assert_eq!(
        &out[at_out..],
        &source[at_src..],
        "{what}: the suffix changed"
    );
    // Prefix and suffix around all edits, directly.
    let first = edits.iter().map(|e| e.start).min().unwrap();
    let last = edits.iter().map(|e| e.end).max().unwrap();
    assert_eq!(&out[..first], &source[..first], "{what}: prefix");
    let tail = source.len() - last;
    assert_eq!(&out[out.len() - tail..], &source[last..], "{what}: suffix");
}

fn sorted_lines(b: &[u8]) -> Vec<String> {
    let mut v: Vec<String> = String::from_utf8_lossy(b)
        .lines()
        .map(|l| l.to_string())
        .collect();
    v.sort();
    v
}

fn fixable<'d>(diags: &'d [Diagnostic], rule: &str, opts: &Options) -> Vec<&'d Diagnostic> {
    diags
        .iter()
        .filter(|d| d.rule == rule && d.fix.as_ref().is_some_and(|f| opts.allows(f)))
        .collect()
}

#[test]
fn every_fix_on_its_fixtures_is_exact_idempotent_and_silences_the_rule() {
    let facts = Facts::default();
    let mut covered: Vec<String> = Vec::new();
    for (rule, path, source) in fixtures() {
        let shown = path.display().to_string();
        let config = only(&rule);
        let diags = fix::check(&shown, &source, &facts, &config).expect("fixture checks");
        let fixes = fixable(&diags, &rule, &UNSAFE);
        if fixes.is_empty() {
            continue;
        }
        covered.push(rule.clone());
        // Each fix alone: exact edits, the rest byte for byte.
        for d in &fixes {
            let f = d.fix.as_ref().unwrap();
            let out = fix::apply_edits(&source, &f.edits).expect("edits are valid");
            assert_outside_unchanged(&source, &out, &f.edits, &format!("{shown}: {}", f.message));
            hoist::syntax::parse(&out).expect("a single fix leaves a file that parses");
            // A move keeps every line: comments travel, nothing is lost.
            if f.message.starts_with("move") {
                assert_eq!(
                    sorted_lines(&out),
                    sorted_lines(&source),
                    "{shown}: {} lost or added lines",
                    f.message
                );
            }
        }
        // All of them, in rounds.
        let once = fix::fix_source(&shown, &source, &facts, &config, &UNSAFE).unwrap();
        assert!(once.converged, "{shown}: did not converge");
        assert!(once.changed(&source), "{shown}: nothing applied");
        assert!(!once.applied.is_empty());
        assert!(
            fixable(&once.remaining, &rule, &UNSAFE).is_empty(),
            "{shown}: {rule} still offers a fix after fixing: {:?}",
            once.remaining
        );
        assert!(
            once.remaining.iter().filter(|d| d.rule == rule).count()
                < diags.iter().filter(|d| d.rule == rule).count(),
            "{shown}: {rule} fires as often after the fix"
        );
        // Idempotent: fixing the fixed file changes nothing.
        let twice = fix::fix_source(&shown, &once.source, &facts, &config, &UNSAFE).unwrap();
        assert_eq!(twice.source, once.source, "{shown}: fix twice != fix once");
        assert!(twice.applied.is_empty(), "{shown}: {:?}", twice.applied);
        // And with every rule enabled, too.
        let all = Config::default();
        let a = fix::fix_source(&shown, &source, &facts, &all, &UNSAFE).unwrap();
        let b = fix::fix_source(&shown, &a.source, &facts, &all, &UNSAFE).unwrap();
        assert_eq!(
            a.source, b.source,
            "{shown}: all rules: fix twice != fix once"
        );
    }
    covered.dedup();
    for rule in [
        "volatile-arg-too-early",
        "independent-step-after-source-copy",
        "swallowed-failure",
        "download-in-manifest-chain",
    ] {
        assert!(
            covered.iter().any(|c| c == rule),
            "no fixture exercises the fix of {rule}"
        );
    }
}

#[test]
fn the_fixes_that_fire_are_the_ones_expected() {
    let facts = Facts::default();
    let expect = [
        (
            "volatile-arg-too-early/bad-before-download.Dockerfile",
            Applicability::Safe,
        ),
        // The read/write analysis proves this move safe...
        (
            "independent-step-after-source-copy/bad-apt.Dockerfile",
            Applicability::Safe,
        ),
        // ...and finds what is in the way of these: a RUN that would see the
        // moved ARG in its environment, a shared path, a WORKDIR.
        (
            "independent-step-after-source-copy/bad-curl.Dockerfile",
            Applicability::Unsafe,
        ),
        (
            "independent-step-after-source-copy/bad-unsafe-overwrites.Dockerfile",
            Applicability::Unsafe,
        ),
        (
            "independent-step-after-source-copy/bad-unsafe-workdir.Dockerfile",
            Applicability::Unsafe,
        ),
        (
            "download-in-manifest-chain/bad-named-stage.Dockerfile",
            Applicability::Safe,
        ),
        (
            "download-in-manifest-chain/bad-install-in-chain.Dockerfile",
            Applicability::Unsafe,
        ),
        (
            "swallowed-failure/bad-prewarm.Dockerfile",
            Applicability::Unsafe,
        ),
        (
            "dependency-install-after-source-copy/bad-npm.Dockerfile",
            Applicability::DisplayOnly,
        ),
    ];
    for (rel, applicability) in expect {
        let rule = rel.split('/').next().unwrap();
        let path = fixtures_dir().join(rel);
        let source = fs::read(&path).unwrap();
        let config = only(rule);
        let diags = fix::check(rel, &source, &facts, &config).unwrap();
        assert!(
            diags.iter().any(|d| d
                .fix
                .as_ref()
                .is_some_and(|f| f.applicability == applicability)),
            "{rel}: no {applicability:?} fix"
        );
        let safe = fix::fix_source(rel, &source, &facts, &config, &SAFE).unwrap();
        let unsafe_ = fix::fix_source(rel, &source, &facts, &config, &UNSAFE).unwrap();
        match applicability {
            Applicability::Safe => {
                assert!(safe.changed(&source), "{rel}: safe fix not applied");
                assert_eq!(safe.source, unsafe_.source);
            }
            Applicability::Unsafe => {
                assert!(
                    !safe.changed(&source),
                    "{rel}: unsafe fix applied without --unsafe"
                );
                assert!(
                    unsafe_.changed(&source),
                    "{rel}: unsafe fix not applied with --unsafe"
                );
            }
            Applicability::DisplayOnly => {
                assert!(!safe.changed(&source), "{rel}: display-only fix applied");
                assert!(!unsafe_.changed(&source), "{rel}: display-only fix applied");
            }
        }
    }
}

#[test]
fn comments_travel_with_the_moved_instruction() {
    let source = b"FROM alpine:3.20\nWORKDIR /src\nCOPY . .\n# Fetch the pinned tool.\n# (two comment lines)\nRUN apk add --no-cache curl\n\n# Build it.\nRUN make\n";
    let facts = Facts::default();
    let config = only("independent-step-after-source-copy");
    let out = fix::fix_source("Dockerfile", source, &facts, &config, &UNSAFE).unwrap();
    let text = String::from_utf8(out.source).unwrap();
    assert_eq!(
        text,
        "FROM alpine:3.20\nWORKDIR /src\n# Fetch the pinned tool.\n# (two comment lines)\nRUN apk add --no-cache curl\nCOPY . .\n\n# Build it.\nRUN make\n"
    );
    let source = b"FROM alpine:3.20\n# The commit, for the binary.\nARG COMMIT\nRUN apk add --no-cache curl\nRUN echo ${COMMIT} > /commit\n";
    let config = only("volatile-arg-too-early");
    let out = fix::fix_source("Dockerfile", source, &facts, &config, &SAFE).unwrap();
    assert_eq!(
        String::from_utf8(out.source).unwrap(),
        "FROM alpine:3.20\nRUN apk add --no-cache curl\n# The commit, for the binary.\nARG COMMIT\nRUN echo ${COMMIT} > /commit\n"
    );
}

#[test]
fn overlapping_fixes_are_applied_in_rounds() {
    // On the story, the move of the download (HC003) and the removal of its
    // `|| true` (HC005) edit the same bytes: one round each.
    let source = fs::read(story()).unwrap();
    let facts = Facts::default();
    let config = Config::default();
    let out = fix::fix_source("go-service.Dockerfile", &source, &facts, &config, &UNSAFE).unwrap();
    assert!(out.converged);
    assert_eq!(out.rounds, 2, "{:?}", out.applied);
    let codes: Vec<&str> = out.applied.iter().map(|a| a.code).collect();
    assert!(
        codes.contains(&"HC003") && codes.contains(&"HC005"),
        "{codes:?}"
    );
}

// ---- CLI ----

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

fn position(text: &str, needle: &str) -> usize {
    text.find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in:\n{text}"))
}

#[test]
fn story_with_unsafe_moves_the_downloads_above_the_manifest_copy() {
    let dir = tempfile::tempdir().unwrap();
    let original = fs::read_to_string(story()).unwrap();
    fs::write(dir.path().join("Dockerfile"), &original).unwrap();

    // Safe only: the move of the downloads is proven safe (no crossed step
    // touches /out/extensions); removing `|| true` is not, and is held back.
    let (code, stdout, stderr) = hoist(dir.path(), &["fix", "Dockerfile"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stdout.contains("+RUN mkdir -p /out/extensions"), "{stdout}");
    assert!(stdout.contains("|| true"), "{stdout}");
    assert!(stderr.contains("would apply 1 fix (HC003)"), "{stderr}");
    assert!(stderr.contains("1 unsafe fix not applied"), "{stderr}");

    // The preview: a unified diff, exit 1, the file untouched.
    let (code, diff, stderr) = hoist(dir.path(), &["fix", "--unsafe", "--diff", "Dockerfile"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        diff.starts_with("--- a/Dockerfile\n+++ b/Dockerfile\n@@ "),
        "{diff}"
    );
    assert!(diff.contains("+ARG DUCKDB_VERSION=v1.1.3\n"), "{diff}");
    assert!(diff.contains("-ARG DUCKDB_VERSION=v1.1.3\n"), "{diff}");
    assert!(
        diff.contains(
            "-            -o \"/out/extensions/${ext}.duckdb_extension.gz\" || true; \\\n"
        ),
        "{diff}"
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("Dockerfile")).unwrap(),
        original
    );
    // The default is the preview.
    let (code, diff2, _) = hoist(dir.path(), &["fix", "--unsafe", "Dockerfile"]);
    assert_eq!((code, diff2.as_str()), (1, diff.as_str()));

    // Written: the downloads sit above the manifest copy.
    let (code, stdout, stderr) = hoist(dir.path(), &["fix", "--unsafe", "--write", "Dockerfile"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, "Dockerfile: applied 2 fixes (HC003, HC005)\n");
    let fixed = fs::read_to_string(dir.path().join("Dockerfile")).unwrap();
    let download = position(&fixed, "RUN mkdir -p /out/extensions");
    assert!(position(&fixed, "ARG DUCKDB_VERSION") < download);
    assert!(download < position(&fixed, "COPY go.mod go.sum ./"));
    assert!(!fixed.contains("|| true"));
    assert!(fixed.starts_with(&original[..position(&original, "COPY go.mod")]));
    let tail = &original[position(&original, "\nFROM debian")..];
    assert!(fixed.ends_with(tail));

    // The rules it fixed are quiet and a second run changes nothing.
    let (_, json, _) = hoist(dir.path(), &["check", "--format", "json", "Dockerfile"]);
    assert!(!json.contains("HC003") && !json.contains("HC005"), "{json}");
    let (code, stdout, _) = hoist(dir.path(), &["fix", "--unsafe", "--diff", "Dockerfile"]);
    assert_eq!((code, stdout.as_str()), (0, ""));
    let (code, stdout, _) = hoist(dir.path(), &["fix", "--unsafe", "--write", "Dockerfile"]);
    assert_eq!((code, stdout.as_str()), (0, ""));
    assert_eq!(
        fs::read_to_string(dir.path().join("Dockerfile")).unwrap(),
        fixed
    );
}

#[test]
fn write_touches_only_the_files_that_change() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bad =
        fs::read(fixtures_dir().join("volatile-arg-too-early/bad-before-download.Dockerfile"))
            .unwrap();
    let good =
        fs::read(fixtures_dir().join("volatile-arg-too-early/good-declared-at-use.Dockerfile"))
            .unwrap();
    fs::write(d.join("Dockerfile"), &bad).unwrap();
    fs::write(d.join("api.Dockerfile"), &good).unwrap();
    let old = SystemTime::now() - Duration::from_secs(3600);
    for name in ["Dockerfile", "api.Dockerfile"] {
        fs::File::options()
            .write(true)
            .open(d.join(name))
            .unwrap()
            .set_modified(old)
            .unwrap();
    }
    let (code, stdout, stderr) = hoist(d, &["fix", "--write", "."]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, "Dockerfile: applied 1 fix (HC001)\n");
    assert_ne!(fs::read(d.join("Dockerfile")).unwrap(), bad);
    assert_eq!(fs::read(d.join("api.Dockerfile")).unwrap(), good);
    let mtime = |n: &str| fs::metadata(d.join(n)).unwrap().modified().unwrap();
    assert_eq!(
        mtime("api.Dockerfile"),
        old,
        "an unchanged file was rewritten"
    );
    assert_ne!(mtime("Dockerfile"), old);
    // No temporary files left behind.
    let mut names: Vec<String> = fs::read_dir(d)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["Dockerfile", "api.Dockerfile"]);
}

#[test]
fn select_and_ignore_choose_the_fixes() {
    let dir = tempfile::tempdir().unwrap();
    fs::copy(story(), dir.path().join("Dockerfile")).unwrap();
    let (code, diff, _) = hoist(
        dir.path(),
        &[
            "fix",
            "--unsafe",
            "--select",
            "swallowed-failure",
            "Dockerfile",
        ],
    );
    assert_eq!(code, 1);
    assert!(diff.contains("-            -o"), "{diff}");
    assert!(!diff.contains("ARG DUCKDB_VERSION"), "{diff}");
    let (code, diff, _) = hoist(
        dir.path(),
        &["fix", "--unsafe", "--ignore", "HC003,HC005", "Dockerfile"],
    );
    assert_eq!((code, diff.as_str()), (0, ""));
}

#[test]
fn usage_and_input_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::copy(story(), d.join("Dockerfile")).unwrap();
    let (code, _, stderr) = hoist(d, &["fix", "--select", "no-such-rule", "Dockerfile"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown rule"), "{stderr}");
    let (code, _, _) = hoist(d, &["fix", "--diff", "--write", "Dockerfile"]);
    assert_eq!(code, 2);
    let (code, _, stderr) = hoist(d, &["fix", "missing.Dockerfile"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("cannot read missing.Dockerfile"),
        "{stderr}"
    );
    fs::write(
        d.join("broken.Dockerfile"),
        "FROM alpine\nRUN --mount=type=nope true\n",
    )
    .unwrap();
    let before = fs::read(d.join("broken.Dockerfile")).unwrap();
    let (code, _, stderr) = hoist(d, &["fix", "--write", "--unsafe", "broken.Dockerfile"]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(fs::read(d.join("broken.Dockerfile")).unwrap(), before);
    let empty = tempfile::tempdir().unwrap();
    let (code, _, stderr) = hoist(empty.path(), &["fix"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("no Dockerfile"), "{stderr}");
}

/// `dependency-install-after-source-copy` can be applied (unsafe) when the
/// context holds the ecosystem's main manifest; it copies the ones there.
#[test]
fn dependency_install_fix_copies_the_manifests_the_context_has() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(
        d.join("Dockerfile"),
        "FROM node:22-alpine\nWORKDIR /app\nCOPY . .\nRUN npm ci\nRUN npm run build\n",
    )
    .unwrap();
    // No package.json: the fix is only shown.
    let (code, out, err) = hoist(d, &["fix", "--unsafe", "--select", "HC002", "Dockerfile"]);
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
    let (_, json, _) = hoist(d, &["check", "--select", "HC002", "--format", "json"]);
    assert!(json.contains("\"display-only\""), "{json}");

    fs::write(d.join("package.json"), "{}\n").unwrap();
    let (code, out, err) = hoist(d, &["fix", "--select", "HC002", "Dockerfile"]);
    assert_eq!((code, out.as_str()), (0, ""), "unsafe, held back: {err}");
    assert!(err.contains("1 unsafe fix not applied"), "{err}");
    let (code, out, err) = hoist(d, &["fix", "--unsafe", "--select", "HC002", "Dockerfile"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        out.contains("+COPY package.json .\n RUN npm ci\n+COPY . .\n"),
        "{out}"
    );

    // A lockfile the ignore file keeps out of the context is not copied.
    fs::write(d.join("package-lock.json"), "{}\n").unwrap();
    fs::write(d.join(".dockerignore"), "package-lock.json\n").unwrap();
    let (_, out, _) = hoist(d, &["fix", "--unsafe", "--select", "HC002", "Dockerfile"]);
    assert!(out.contains("+COPY package.json .\n"), "{out}");
    fs::remove_file(d.join(".dockerignore")).unwrap();
    let (code, out, err) = hoist(
        d,
        &[
            "fix",
            "--unsafe",
            "--write",
            "--select",
            "HC002",
            "Dockerfile",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        fs::read_to_string(d.join("Dockerfile")).unwrap(),
        "FROM node:22-alpine\nWORKDIR /app\nCOPY package.json package-lock.json ./\nRUN npm ci\nCOPY . .\nRUN npm run build\n"
    );
    let (code, out, _) = hoist(d, &["fix", "--unsafe", "--diff"]);
    assert_eq!((code, out.as_str()), (0, ""), "idempotent");
}

/// Moves the read/write analysis must not call safe: each would change the
/// image (found in review; see docs/design.md, "Safety of moves").
#[test]
fn hazards_keep_a_move_unsafe() {
    let cases: &[(&str, &str)] = &[
        (
            "a crossed ENV a moved ARG's default expands",
            "FROM alpine:3.20\nWORKDIR /app\nCOPY . .\nENV MIRROR=https://example.com\nARG URL=${MIRROR}/tool.tgz\nRUN curl -fsSL \"$URL\" -o /opt/tool.tgz\n",
        ),
        (
            "a moved step reads an ENV set after the copy",
            "FROM alpine:3.20\nWORKDIR /app\nCOPY . .\nENV TOOL_VERSION=1.2\nRUN wget -O /opt/tool https://example.com/tool-$TOOL_VERSION\n",
        ),
        (
            "a crossed RUN would see the moved ARG",
            "FROM alpine:3.20\nWORKDIR /app\nCOPY . .\nRUN echo \"v=${TOOL_VERSION:-dev}\" > /app/version.txt\nARG TOOL_VERSION=1.2.3\nRUN curl -fsSL https://example.com/tool-${TOOL_VERSION}.tgz -o /opt/tool.tgz\n",
        ),
        (
            "a crossed ARG sets what apt-get reads",
            "FROM debian:12\nWORKDIR /app\nCOPY . .\nARG DEBIAN_FRONTEND=noninteractive\nRUN apt-get update && apt-get install -y tzdata\n",
        ),
        (
            "a redirection glued to its target",
            "FROM alpine:3.20\nCOPY . /src\nCOPY env.sh /opt/env.sh\nRUN curl -fsSL https://example.com/a.gz -o /opt/a.gz && echo 'export A=1'>>/opt/env.sh\n",
        ),
        (
            "a glued redirection into the working directory",
            "FROM alpine:3.20\nCOPY . /src\nWORKDIR /opt/tool\nRUN curl -fsSL https://example.com/a.txt>a.txt\n",
        ),
        (
            "a path behind $HOME",
            "FROM alpine:3.20\nWORKDIR /app\nCOPY . /src\nCOPY tool.json /root/.config/tool.json\nRUN curl -fsSL https://example.com/tool.json -o $HOME/.config/tool.json\n",
        ),
        (
            "a path behind ~",
            "FROM alpine:3.20\nWORKDIR /app\nCOPY . /src\nCOPY tool.json /root/.config/tool.json\nRUN curl -fsSL https://example.com/tool.json -o ~/.config/tool.json\n",
        ),
        (
            "a path after cd",
            "FROM alpine:3.20\nWORKDIR /app\nCOPY . /src\nCOPY tool /root/bin/tool\nRUN cd && curl -fsSL https://example.com/tool -o bin/tool\n",
        ),
        (
            "a glob reads the working directory",
            "FROM alpine:3.20\nWORKDIR /app\nCOPY . .\nRUN curl -fsSL -o /opt/t https://x/t && echo * > /opt/list\n",
        ),
        (
            "the environment dumped",
            "FROM alpine:3.20\nWORKDIR /app\nCOPY . .\nENV MODE=prod\nRUN curl -fsSL -o /opt/t https://x/t && export -p > /opt/env\n",
        ),
        (
            "an ENV in arithmetic",
            "FROM alpine:3.20\nWORKDIR /app\nCOPY . .\nENV MAJOR=2\nRUN curl -fsSL -o /opt/t \"https://x/v$((MAJOR + 1))\"\n",
        ),
        (
            "a crossed sh -c writes the same path",
            "FROM alpine:3.20\nCOPY . /src\nRUN sh -c 'echo local > /opt/tool'\nRUN curl -fsSL -o /opt/tool https://x/tool\n",
        ),
        (
            "a crossed dd of=",
            "FROM alpine:3.20\nCOPY . /src\nRUN echo local | dd of=/opt/tool\nRUN curl -fsSL -o /opt/tool https://x/tool\n",
        ),
        (
            "a shell variable shadows the ENV of the same name",
            "FROM alpine:3.20\nENV DEST=/srv\nCOPY . /src\nRUN DEST=/opt; mkdir -p $DEST && echo local > $DEST/tool\nRUN curl -fsSL -o /opt/tool https://x/tool\n",
        ),
        (
            "a short option glued to its path",
            "FROM alpine:3.20\nWORKDIR /app\nCOPY . /opt\nRUN curl -fsSL -o /tmp/x https://x/x && tar -xf /base/t.tar -C/opt\n",
        ),
        (
            "a directory reached through a symbolic link",
            "FROM alpine:3.20\nRUN mkdir -p /srv/app && ln -s /srv/app /app\nWORKDIR /app\nCOPY . .\nRUN curl -fsSL -o /srv/app/config https://x/config\n",
        ),
        (
            "--chown makes the parents it creates",
            "FROM alpine:3.20\nCOPY --chown=1000:1000 . /srv/app/\nRUN mkdir -p /srv/cache && curl -fsSL -o /srv/cache/t https://x/t\n",
        ),
        // volatile-arg-too-early: what the ARG crosses may read it.
        (
            "a crossed RUN dumps its environment",
            "FROM alpine:3.20\nARG COMMIT\nRUN export -p > /opt/env\nRUN echo \"$COMMIT\" > /opt/commit\n",
        ),
        (
            "the ARG's default expands another variable",
            "FROM alpine:3.20\nENV CHANNEL=stable\nARG VERSION=${CHANNEL}-1\nRUN curl -fsSL -o /opt/t https://x/t\nENV CHANNEL=beta\nRUN echo \"$VERSION\" > /opt/version\n",
        ),
        (
            "a crossed cargo build runs build scripts",
            "FROM rust:1\nWORKDIR /src\nCOPY . .\nARG GIT_SHA\nRUN cargo build --release\nRUN echo \"$GIT_SHA\" > /sha\n",
        ),
        (
            "the length of the ARG",
            "FROM alpine:3.20\nARG COMMIT\nRUN echo \"${#COMMIT}\" > /opt/len\nRUN echo \"$COMMIT\" > /opt/commit\n",
        ),
        (
            "the ARG in arithmetic",
            "FROM alpine:3.20\nARG BUILD_NUMBER=41\nRUN echo \"$((BUILD_NUMBER + 1))\" > /opt/next\nRUN echo \"$BUILD_NUMBER\" > /opt/n\n",
        ),
        (
            "a path in a variable the shell sets",
            "FROM alpine:3.20\nWORKDIR /app\nCOPY . /src\nCOPY tool /opt/tool\nRUN out=/opt/tool; curl -fsSL https://example.com/tool -o \"$out\"\n",
        ),
    ];
    let facts = Facts::default();
    let config = Config::default();
    for (what, text) in cases {
        let diags = fix::check("Dockerfile", text.as_bytes(), &facts, &config).unwrap();
        let moves: Vec<_> = diags
            .iter()
            .filter(|d| matches!(d.code, "HC001" | "HC003" | "HC008"))
            .filter(|d| d.fix.is_some())
            .collect();
        // `${#COMMIT}` and `$((BUILD_NUMBER + 1))` are uses: no finding at all.
        if what.starts_with("the length") || what.starts_with("the ARG in arithmetic") {
            assert!(moves.is_empty(), "{what}: the RUN uses the ARG: {moves:?}");
            continue;
        }
        assert!(!moves.is_empty(), "{what}: no finding to test");
        for d in moves {
            let fix = d.fix.as_ref().unwrap();
            assert_eq!(
                fix.applicability,
                Applicability::Unsafe,
                "{what}: {}\n{text}",
                fix.message
            );
        }
    }
}

/// A moved step takes along the ARGs it expands and those their defaults
/// expand; then nothing it crosses sees them, and the move is safe.
#[test]
fn moved_args_take_the_args_they_expand() {
    let text = "FROM alpine:3.20\nWORKDIR /app\nCOPY . .\nARG V=1.2.3\nARG URL=https://example.com/tool-${V}.tgz\nRUN curl -fsSL \"$URL\" -o /opt/tool.tgz\n";
    let facts = Facts::default();
    let config = only("independent-step-after-source-copy");
    let out = fix::fix_source("Dockerfile", text.as_bytes(), &facts, &config, &SAFE).unwrap();
    assert_eq!(
        String::from_utf8(out.source).unwrap(),
        "FROM alpine:3.20\nWORKDIR /app\nARG V=1.2.3\nARG URL=https://example.com/tool-${V}.tgz\nRUN curl -fsSL \"$URL\" -o /opt/tool.tgz\nCOPY . .\n"
    );
}

/// The stage split of `download-in-manifest-chain` copies back exactly what
/// the step leaves, or falls back to a move.
#[test]
fn stage_split_copies_what_the_step_leaves() {
    let facts = Facts::default();
    let config = only("download-in-manifest-chain");
    let fixed = |text: &str| {
        let out = fix::fix_source("Dockerfile", text.as_bytes(), &facts, &config, &UNSAFE).unwrap();
        String::from_utf8(out.source).unwrap()
    };
    let head =
        "FROM golang:1.22 AS build\nWORKDIR /src\nCOPY go.mod go.sum ./\nRUN go mod download\n";
    // `mv` takes its source away: the copy is of the destination.
    let out = fixed(&format!(
        "{head}RUN curl -fsSL https://example.com/t.tgz -o /tmp/t.tgz && mv /tmp/t.tgz /opt/t.tgz\nCOPY . .\n"
    ));
    assert!(
        out.contains("COPY --from=build-t-tgz /opt/t.tgz /opt/t.tgz\n"),
        "{out}"
    );
    assert!(!out.contains("/tmp/t.tgz /tmp"), "{out}");
    // A link the copy would follow: no split, a move instead.
    let out = fixed(&format!(
        "{head}RUN mkdir -p /opt/tool && curl -fsSL https://example.com/tool -o /opt/tool/tool && ln -s /opt/tool/tool /usr/local/bin/tool\nCOPY . .\n"
    ));
    assert!(!out.contains("COPY --from"), "{out}");
    // A stage name is never taken twice.
    let out = fixed(&format!(
        "{head}RUN curl -fsSL https://example.com/t.tgz -o /opt/base\nCOPY . .\n"
    ));
    assert!(out.contains("FROM golang:1.22 AS build-base\n"), "{out}");
    assert!(out.contains("FROM build-base AS build-base-2\n"), "{out}");
    // An ONBUILD before the manifest copy: no split (its trigger would run twice).
    let out = fixed(
        "FROM golang:1.22 AS build\nWORKDIR /src\nONBUILD RUN echo hi > /x\nCOPY go.mod go.sum ./\nRUN go mod download\nRUN curl -fsSL https://example.com/a -o /opt/a\nCOPY . .\n",
    );
    assert!(!out.contains("build-base"), "{out}");
    // The ARGs the step needs are declared again in its stage, with the ARGs
    // their defaults expand.
    let out = fixed(&format!(
        "{head}ARG V=1.2.3\nARG URL=https://example.com/t-${{V}}\nRUN curl -fsSL $URL -o /opt/t\nCOPY . .\n"
    ));
    assert!(
        out.contains(
            "FROM build-base AS build-t\nARG V=1.2.3\nARG URL=https://example.com/t-${V}\nRUN curl"
        ),
        "{out}"
    );
}

/// `--write` changes the file a symbolic link names (the link stays) and
/// keeps the file's permissions.
#[test]
fn write_keeps_links_and_modes() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bad =
        fs::read(fixtures_dir().join("volatile-arg-too-early/bad-before-download.Dockerfile"))
            .unwrap();
    fs::create_dir(d.join("docker")).unwrap();
    fs::write(d.join("docker/app.Dockerfile"), &bad).unwrap();
    fs::set_permissions(
        d.join("docker/app.Dockerfile"),
        fs::Permissions::from_mode(0o640),
    )
    .unwrap();
    std::os::unix::fs::symlink("docker/app.Dockerfile", d.join("Dockerfile")).unwrap();
    let (code, stdout, stderr) = hoist(d, &["fix", "--write", "Dockerfile"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        fs::symlink_metadata(d.join("Dockerfile"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let written = fs::read(d.join("docker/app.Dockerfile")).unwrap();
    assert_ne!(written, bad, "the file the link names was fixed");
    let mode = fs::metadata(d.join("docker/app.Dockerfile"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o640);
}

/// A step moved from between two blank lines leaves one, not two.
#[test]
fn a_moved_step_leaves_no_double_blank_line() {
    let source =
        b"FROM alpine:3.20\nWORKDIR /app\nCOPY . .\n\nRUN apk add --no-cache jq\n\nRUN make\n";
    let config = only("independent-step-after-source-copy");
    let out = fix::fix_source("Dockerfile", source, &Facts::default(), &config, &SAFE).unwrap();
    assert_eq!(
        String::from_utf8(out.source).unwrap(),
        "FROM alpine:3.20\nWORKDIR /app\nRUN apk add --no-cache jq\nCOPY . .\n\nRUN make\n"
    );
    // CRLF files get CRLF lines, and a last line without a newline moves whole.
    let source = b"FROM alpine:3.20\r\nWORKDIR /app\r\nCOPY . .\r\nRUN apk add --no-cache jq";
    let out = fix::fix_source("Dockerfile", source, &Facts::default(), &config, &SAFE).unwrap();
    assert_eq!(
        String::from_utf8(out.source).unwrap(),
        "FROM alpine:3.20\r\nWORKDIR /app\r\nRUN apk add --no-cache jq\r\nCOPY . .\r\n"
    );
}
