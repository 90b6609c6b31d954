//! Build logs → timings: the readers on real logs captured from the engine
//! (`tests/fixtures/logs/`, see its README), the mapping onto the model's
//! steps, truncated and foreign logs, the store, and `hoist timings import`.

mod support;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use hoist::model::{self, Build, BuildOptions};
use hoist::timing::store::{self, Run, StepRecord, Store, StoreError};
use hoist::timing::{BuildLog, LogFormat, map_log, parse_log};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/logs")
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(fixtures().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn model(dockerfile: &str) -> Build {
    let parsed = hoist::syntax::parse(fixture(dockerfile).as_bytes()).unwrap();
    model::build(&parsed, &BuildOptions::default()).unwrap()
}

fn log(name: &str) -> BuildLog {
    parse_log(&fixture(name)).unwrap_or_else(|e| panic!("{name}:{e}"))
}

/// Every captured log with the Dockerfile it was built from.
const LOGS: &[(&str, &str, LogFormat)] = &[
    (
        "multi-rawjson-fresh.log",
        "multi.Dockerfile",
        LogFormat::RawJson,
    ),
    (
        "multi-rawjson-commit.log",
        "multi.Dockerfile",
        LogFormat::RawJson,
    ),
    (
        "multi-plain-buildx.log",
        "multi.Dockerfile",
        LogFormat::Plain,
    ),
    ("multi-plain-2010.log", "multi.Dockerfile", LogFormat::Plain),
    (
        "multi-plain-2010-cached.log",
        "multi.Dockerfile",
        LogFormat::Plain,
    ),
    (
        "multi-legacy-fresh.log",
        "multi.Dockerfile",
        LogFormat::Legacy,
    ),
    (
        "multi-legacy-commit.log",
        "multi.Dockerfile",
        LogFormat::Legacy,
    ),
    ("fail-rawjson.log", "fail.Dockerfile", LogFormat::RawJson),
    ("fail-plain-buildx.log", "fail.Dockerfile", LogFormat::Plain),
    ("fail-plain-2010.log", "fail.Dockerfile", LogFormat::Plain),
    ("fail-legacy.log", "fail.Dockerfile", LogFormat::Legacy),
    (
        "single-rawjson.log",
        "single.Dockerfile",
        LogFormat::RawJson,
    ),
    (
        "single-plain-2010.log",
        "single.Dockerfile",
        LogFormat::Plain,
    ),
    (
        "onbuild-rawjson.log",
        "onbuild.Dockerfile",
        LogFormat::RawJson,
    ),
    (
        "onbuild-plain-2010.log",
        "onbuild.Dockerfile",
        LogFormat::Plain,
    ),
    (
        "parallel-rawjson.log",
        "parallel.Dockerfile",
        LogFormat::RawJson,
    ),
    (
        "parallel-plain-buildx.log",
        "parallel.Dockerfile",
        LogFormat::Plain,
    ),
    (
        "parallel-plain-2010.log",
        "parallel.Dockerfile",
        LogFormat::Plain,
    ),
];

// ---------------------------------------------------------------------------
// Readers on real logs

#[test]
fn every_real_log_is_read_in_its_format() {
    for (name, _, format) in LOGS {
        assert_eq!(log(name).format, *format, "{name}");
    }
}

fn vertex<'a>(log: &'a BuildLog, prefix: &str) -> &'a hoist::timing::VertexTiming {
    log.vertices
        .iter()
        .find(|v| v.name.starts_with(prefix))
        .unwrap_or_else(|| panic!("no vertex {prefix}: {:#?}", log.vertices))
}

#[test]
fn rawjson_gives_seconds_start_times_and_cache_hits() {
    let l = log("multi-rawjson-commit.log");
    // Internal vertices are kept; the mapping ignores them.
    assert_eq!(l.vertices.len(), 13);
    let run = vertex(&l, "[builder 6/6] RUN");
    assert_eq!(
        run.name,
        "[builder 6/6] RUN echo \"build d4e5f6\" > /out.txt && sleep 0.5"
    );
    assert!(!run.cached);
    assert_eq!(run.seconds, Some(0.781));
    assert_eq!(
        run.started.as_deref(),
        Some("2026-11-25T16:32:35.640291354Z")
    );
    let deps = vertex(&l, "[builder 4/6] RUN");
    assert!(deps.cached);
    // Reported not cached, then cached: the final state wins.
    assert!(vertex(&l, "[builder 1/6] FROM").cached);
}

#[test]
fn rawjson_failure_and_trailing_error_text() {
    let l = log("fail-rawjson.log");
    let failed = vertex(&l, "[build 4/5] RUN");
    assert_eq!(
        failed.error.as_deref(),
        Some(
            "executor failed running [/bin/sh -c echo \"compiling\" && sleep 0.3 && echo \"error: boom\" >&2 && exit 3]: exit code: 3"
        )
    );
    assert_eq!(failed.seconds, Some(0.685));
    // Announced but never started: not in the log's vertices.
    assert!(!l.vertices.iter().any(|v| v.name.contains("RUN echo never")));
}

#[test]
fn plain_from_buildx_and_from_the_2010_client() {
    let buildx = log("multi-plain-buildx.log");
    let v2010 = log("multi-plain-2010.log");
    assert_eq!(vertex(&buildx, "[builder 6/6]").seconds, Some(0.9));
    assert!(vertex(&buildx, "[builder 4/6]").cached);
    assert_eq!(vertex(&buildx, "[builder 4/6]").seconds, None);
    // `#4 DONE 0.0s`, then later `#4 CACHED`: one vertex, cached at the end.
    let from = vertex(&buildx, "[builder 1/6] FROM");
    assert!(from.cached);
    assert_eq!(from.seconds, Some(0.0));
    assert_eq!(vertex(&v2010, "[builder 4/6]").seconds, Some(1.3));
    assert!(!vertex(&v2010, "[builder 4/6]").cached);
    // `#0 building with ...` is not a vertex.
    assert!(
        !buildx
            .vertices
            .iter()
            .any(|v| v.name.contains("building with"))
    );
    assert_eq!(
        hoist::timing::log::builder_name(&fixture("multi-plain-buildx.log")).as_deref(),
        Some("default")
    );
}

#[test]
fn plain_interleaved_vertices() {
    // `#5 ...` when another vertex interrupts, then `#5 [b 2/2] RUN ...` again.
    let l = log("parallel-plain-buildx.log");
    let b = vertex(&l, "[b 2/2] RUN");
    assert_eq!(b.seconds, Some(3.4));
    assert_eq!(
        l.vertices
            .iter()
            .filter(|v| v.name.starts_with("[b 2/2]"))
            .count(),
        1
    );
}

#[test]
fn plain_failure() {
    for name in ["fail-plain-buildx.log", "fail-plain-2010.log"] {
        let l = log(name);
        let v = vertex(&l, "[build 4/5] RUN");
        assert_eq!(
            v.error.as_deref(),
            Some(
                "executor failed running [/bin/sh -c echo \"compiling\" && sleep 0.3 && echo \"error: boom\" >&2 && exit 3]: exit code: 3"
            ),
            "{name}"
        );
    }
}

#[test]
fn legacy_counts_and_cache_hits_only() {
    let l = log("multi-legacy-commit.log");
    assert_eq!(l.vertices.len(), 16);
    assert!(l.vertices.iter().all(|v| v.seconds.is_none()));
    let cached: Vec<&str> = l
        .vertices
        .iter()
        .filter(|v| v.cached)
        .map(|v| v.name.as_str())
        .collect();
    assert!(cached.contains(&"Step 4/16 : COPY go.mod ./"), "{cached:?}");
    assert!(!vertex(&l, "Step 9/16").cached);
    // The 28.x client's deprecation notice, colour codes around stderr output,
    // and the error with no newline before it.
    let f = log("fail-legacy.log");
    assert_eq!(
        vertex(&f, "Step 4/7").error.as_deref(),
        Some(
            "The command '/bin/sh -c echo \"compiling\" && sleep 0.3 && echo \"error: boom\" >&2 && exit 3' returned a non-zero code: 3"
        )
    );
}

// ---------------------------------------------------------------------------
// Mapping

fn mapping_table(log_name: &str, dockerfile: &str) -> String {
    let build = model(dockerfile);
    let m = map_log(&build, &log(log_name));
    let mut s = String::new();
    for t in &m.steps {
        let step = &build.steps[t.step];
        let _ = writeln!(
            s,
            "{:>3} {:<8} {:<6} {:<7} {:<6} {}",
            step.line,
            build.stages[step.stage].display_name(),
            if t.cached { "cached" } else { "ran" },
            t.seconds.map(|x| format!("{x:.3}")).unwrap_or("-".into()),
            if m.failed.contains(&t.step) {
                "FAILED"
            } else {
                ""
            },
            step.instruction
        );
    }
    for u in &m.unmatched {
        let _ = writeln!(s, "unmatched: {u}");
    }
    s
}

#[test]
fn mapping_of_every_real_log() {
    for (name, dockerfile, _) in LOGS {
        let table = mapping_table(name, dockerfile);
        assert!(!table.contains("unmatched"), "{name}:\n{table}");
        insta::assert_snapshot!(format!("mapping-{}", name.trim_end_matches(".log")), table);
    }
}

#[test]
fn a_shared_base_image_vertex_serves_every_stage_built_from_it() {
    // `[b 1/2] FROM docker.io/library/hoist-base:1` is the only FROM vertex.
    let build = model("parallel.Dockerfile");
    let l = log("parallel-plain-2010.log");
    assert_eq!(
        l.vertices
            .iter()
            .filter(|v| v.name.contains("] FROM "))
            .count(),
        1
    );
    let m = map_log(&build, &l);
    let froms: Vec<usize> = m
        .steps
        .iter()
        .filter(|t| build.steps[t.step].kind == model::StepKind::From)
        .map(|t| build.steps[t.step].line)
        .collect();
    assert_eq!(froms, [1, 5, 9]);
}

#[test]
fn unreachable_stages_get_no_base_image() {
    // `test` (FROM builder) is not built by BuildKit; the legacy builder builds it.
    let build = model("multi.Dockerfile");
    let test_steps = |log_name: &str| {
        map_log(&build, &log(log_name))
            .steps
            .iter()
            .filter(|t| build.steps[t.step].stage == 1)
            .count()
    };
    assert_eq!(test_steps("multi-rawjson-fresh.log"), 0);
    assert_eq!(test_steps("multi-legacy-fresh.log"), 1);
}

#[test]
fn the_log_of_another_dockerfile_does_not_map() {
    let m = map_log(&model("multi.Dockerfile"), &log("fail-rawjson.log"));
    assert!(
        m.unmatched
            .iter()
            .any(|u| u == "[build 2/5] RUN echo preparing"),
        "{m:#?}"
    );
    let m = map_log(&model("single.Dockerfile"), &log("multi-plain-2010.log"));
    assert!(!m.unmatched.is_empty(), "{m:#?}");
}

#[test]
fn labels_win_over_text_and_text_is_the_fallback() {
    // Same instruction in two stages: `RUN cat /out.txt` in `test` and `stage-2`.
    let build = model("multi.Dockerfile");
    let l = BuildLog {
        format: LogFormat::Plain,
        vertices: vec![hoist::timing::VertexTiming {
            name: "[stage-2 3/4] RUN cat /out.txt".into(),
            cached: false,
            seconds: Some(1.0),
            started: None,
            error: None,
        }],
    };
    let m = map_log(&build, &l);
    assert_eq!(build.steps[m.steps[0].step].line, 19);
    // An index that does not fit (an image with no layers takes no index in
    // BuildKit): the instruction text still finds the step.
    let l = BuildLog {
        format: LogFormat::Plain,
        vertices: vec![hoist::timing::VertexTiming {
            name: "[builder 2/6] COPY go.mod ./".into(),
            cached: true,
            seconds: None,
            started: None,
            error: None,
        }],
    };
    let m = map_log(&build, &l);
    assert_eq!(build.steps[m.steps[0].step].line, 4);
}

// ---------------------------------------------------------------------------
// Truncated and foreign logs

/// The first `n` lines of a text.
fn head(text: &str, n: usize) -> String {
    text.lines().take(n).map(|l| format!("{l}\n")).collect()
}

#[test]
fn truncated_plain_log_names_its_last_line() {
    let text = fixture("multi-plain-2010.log");
    // Cut right after the RUN's output, before `#8 DONE 1.3s`.
    let cut = text
        .lines()
        .position(|l| l.starts_with("#8 0.248"))
        .unwrap()
        + 1;
    let e = parse_log(&head(&text, cut)).unwrap_err();
    assert_eq!(e.line, cut);
    assert!(
        e.message
            .contains("`[builder 4/6] RUN echo \"deps for go 1.22\" > /deps.txt &&     cat go.mod && sleep 1` (line 32) never finished"),
        "{e}"
    );
}

#[test]
fn truncated_rawjson_names_the_cut_value_or_the_running_vertex() {
    let text = fixture("multi-rawjson-fresh.log");
    // Inside a JSON value: the line where that value starts.
    let e = parse_log(&head(&text, 12)).unwrap_err();
    assert_eq!(e.line, 9, "{e}");
    assert!(e.message.contains("ends inside this JSON value"), "{e}");
    // At a value boundary while a vertex runs.
    let e = parse_log(&head(&text, 17)).unwrap_err();
    assert_eq!(e.line, 17, "{e}");
    assert!(
        e.message
            .contains("vertex `[internal] load build definition from Dockerfile` (started on line 9) never completed"),
        "{e}"
    );
}

#[test]
fn truncated_legacy_log() {
    let text = fixture("multi-legacy-fresh.log");
    // Inside a RUN: the step that never finished.
    let e = parse_log(&head(&text, 18)).unwrap_err();
    assert_eq!(e.line, 18);
    assert!(e.message.contains("`Step 6/16 : RUN echo"), "{e}");
    assert!(e.message.contains("(line 15) never finished"), "{e}");
    // Between steps: fewer steps than announced and no `Successfully built`.
    let e = parse_log(&head(&text, 10)).unwrap_err();
    assert_eq!(e.line, 10);
    assert!(e.message.contains("after step 4 of 16"), "{e}");
}

#[test]
fn every_prefix_of_a_real_log_reads_or_fails_within_it() {
    for (name, _, _) in LOGS {
        let text = fixture(name);
        let total = text.lines().count();
        for n in 1..total {
            if let Err(e) = parse_log(&head(&text, n)) {
                assert!(e.line >= 1 && e.line <= n, "{name} cut at {n}: {e}");
            }
        }
        assert!(parse_log(&text).is_ok(), "{name}");
    }
}

#[test]
fn foreign_files_are_not_build_logs() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let e = parse_log(&readme).unwrap_err();
    assert_eq!(e.line, 1);
    assert!(e.message.starts_with("not a build log"), "{e}");

    let e = parse_log(&fixture("multi.Dockerfile")).unwrap_err();
    assert_eq!(e.line, 1);

    // The shape buildx's docs show for `history logs --progress rawjson`,
    // which is not what it prints.
    let e = parse_log("\n{\"id\":\"buildx_step_1\",\"status\":\"START\"}\n").unwrap_err();
    assert_eq!(e.line, 2);
    assert!(e.message.contains("not a BuildKit SolveStatus"), "{e}");

    // A package.json: JSON, but another shape, over several lines.
    let e = parse_log("{\n  \"name\": \"x\",\n  \"version\": \"1.0.0\"\n}\n").unwrap_err();
    assert_eq!(e.line, 1);

    // Broken JSON: the line of the syntax error.
    let e = parse_log("{\"vertexes\": [\n  {\"digest\": \"sha256:a\",,}\n]}\n").unwrap_err();
    assert_eq!(e.line, 2, "{e}");
    assert!(e.message.starts_with("invalid JSON"), "{e}");

    assert_eq!(parse_log("   \n\n").unwrap_err().line, 1);
}

// ---------------------------------------------------------------------------
// Store

fn demo_run(n: usize) -> Run {
    Run {
        dockerfile: "Dockerfile".into(),
        when: format!("2026-01-0{n}T00:00:00Z"),
        builder: Some("default".into()),
        platform: None,
        source: "demo".into(),
        steps: vec![StepRecord {
            line: 3,
            stage: "builder".into(),
            instruction: "RUN make".into(),
            kind: "run".into(),
            seconds: Some(n as f64),
            cached: false,
            failed: false,
        }],
    }
}

#[test]
fn store_round_trip_and_append() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".hoist/timings.json");
    // Missing file: an empty store.
    let mut s = Store::load(&path).unwrap();
    assert!(s.runs().is_empty());
    s.add_run(demo_run(1));
    s.save(&path).unwrap();
    let mut again = Store::load(&path).unwrap();
    assert_eq!(again, s);
    again.add_run(demo_run(2));
    again.add_run(demo_run(3));
    again.save(&path).unwrap();
    let last = Store::load(&path).unwrap();
    assert_eq!(last.runs(), &[demo_run(1), demo_run(2), demo_run(3)]);
    assert_eq!(
        last.step_seconds("Dockerfile")[&("builder".to_string(), "RUN make".to_string())],
        2.0
    );
    // Only the store in the folder: no temporary file left behind.
    let names: Vec<String> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["timings.json"]);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.starts_with("{\n  \"version\": 1,\n  \"runs\": ["),
        "{text}"
    );
}

#[test]
fn store_save_replaces_by_rename() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("timings.json");
    let mut s = Store::default();
    s.add_run(demo_run(1));
    s.save(&path).unwrap();
    let before = std::fs::metadata(&path).unwrap().ino();
    // A reader holding the old file keeps seeing a whole store.
    let held = std::fs::File::open(&path).unwrap();
    s.add_run(demo_run(2));
    s.save(&path).unwrap();
    let after = std::fs::metadata(&path).unwrap().ino();
    assert_ne!(before, after, "save must write a new file and rename it");
    let old: Store = serde_json::from_reader(held).unwrap();
    assert_eq!(old.runs().len(), 1);
    assert_eq!(Store::load(&path).unwrap().runs().len(), 2);
}

#[test]
fn store_save_fails_cleanly_when_the_folder_cannot_be_written() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "not a folder").unwrap();
    let e = Store::default()
        .save(&blocker.join("timings.json"))
        .unwrap_err();
    assert!(matches!(e, StoreError::Write { .. }), "{e}");
}

#[test]
fn store_refuses_what_it_cannot_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("timings.json");
    std::fs::write(&path, "{\"version\": 99, \"runs\": [], \"new\": 1}").unwrap();
    let e = Store::load(&path).unwrap_err();
    assert!(
        matches!(e, StoreError::NewerVersion { found: 99, .. }),
        "{e}"
    );
    std::fs::write(&path, "{\"runs\": [").unwrap();
    assert!(matches!(
        Store::load(&path).unwrap_err(),
        StoreError::Invalid { .. }
    ));
    std::fs::write(&path, "{\"version\": 1, \"runs\": [{\"dockerfile\": 3}]}").unwrap();
    assert!(matches!(
        Store::load(&path).unwrap_err(),
        StoreError::Invalid { .. }
    ));
}

#[test]
fn locate_finds_the_repository_root() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::create_dir_all(root.join(".git")).unwrap();
    std::fs::create_dir_all(root.join("docker/api")).unwrap();
    std::fs::write(root.join("docker/api/Dockerfile"), "FROM x\n").unwrap();
    let l = store::locate(&root.join("docker/api/Dockerfile")).unwrap();
    assert_eq!(l.root, root);
    assert_eq!(l.dockerfile, "docker/api/Dockerfile");
    assert_eq!(l.store, root.join(".hoist/timings.json"));
}

// ---------------------------------------------------------------------------
// `hoist timings import`

/// A repository holding one Dockerfile and copies of some logs.
struct Repo {
    dir: tempfile::TempDir,
}

impl Repo {
    fn new(dockerfile: &str, logs: &[&str]) -> Repo {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".git")).unwrap();
        std::fs::write(dir.path().join("Dockerfile"), fixture(dockerfile)).unwrap();
        std::fs::create_dir(dir.path().join("logs")).unwrap();
        for l in logs {
            std::fs::write(dir.path().join("logs").join(l), fixture(l)).unwrap();
        }
        Repo { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn hoist(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_hoist"))
            .args(args)
            .current_dir(self.path())
            .output()
            .unwrap()
    }

    fn store(&self) -> Store {
        Store::load(&self.path().join(".hoist/timings.json")).unwrap()
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn import_prints_a_summary_and_appends_one_run_per_log() {
    let repo = Repo::new(
        "multi.Dockerfile",
        &[
            "multi-rawjson-fresh.log",
            "multi-plain-2010.log",
            "multi-legacy-commit.log",
        ],
    );
    let out = repo.hoist(&[
        "timings",
        "import",
        "logs/multi-rawjson-fresh.log",
        "logs/multi-plain-2010.log",
        "logs/multi-legacy-commit.log",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "");
    insta::assert_snapshot!("import-summary", text(&out.stdout));

    let store = repo.store();
    let runs = store.runs();
    assert_eq!(runs.len(), 3);
    assert_eq!(runs[0].source, "import:logs/multi-rawjson-fresh.log");
    assert_eq!(runs[0].when, "2026-11-25T16:32:32Z");
    assert_eq!(runs[0].dockerfile, "Dockerfile");
    assert_eq!(runs[0].builder, None);
    let deps = &runs[0].steps[3];
    assert_eq!(
        (deps.line, deps.stage.as_str(), deps.kind.as_str()),
        (6, "builder", "run")
    );
    assert_eq!((deps.seconds, deps.cached), (Some(1.304), false));
    // Legacy: cache hits, no times.
    assert!(runs[2].steps.iter().all(|s| s.seconds.is_none()));
    assert_eq!(runs[2].steps.iter().filter(|s| s.cached).count(), 6);
    // Medians over the runs that ran the step (1.304 and 1.3).
    let costs = store.step_seconds("Dockerfile");
    let key = (
        "builder".to_string(),
        "RUN echo \"deps for go $GO_VERSION\" > /deps.txt && cat go.mod && sleep 1".to_string(),
    );
    assert!((costs[&key] - 1.302).abs() < 1e-9, "{costs:?}");
}

#[test]
fn import_keeps_earlier_runs_and_skips_a_log_already_imported() {
    let repo = Repo::new("multi.Dockerfile", &["multi-plain-buildx.log"]);
    let mut earlier = Store::default();
    earlier.add_run(demo_run(1));
    earlier
        .save(&repo.path().join(".hoist/timings.json"))
        .unwrap();
    let args = ["timings", "import", "logs/multi-plain-buildx.log"];
    let out = repo.hoist(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("plain log, 9 steps (3 ran, 6 cached), builder default"),
        "{}",
        text(&out.stdout)
    );
    let runs = repo.store().runs().to_vec();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0], demo_run(1));
    assert_eq!(runs[1].builder.as_deref(), Some("default"));

    let out = repo.hoist(&args);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        text(&out.stdout).contains("already in the store"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(repo.store().runs().len(), 2);
}

#[test]
fn a_bad_log_adds_nothing_and_exits_1_the_good_ones_are_imported() {
    let repo = Repo::new("multi.Dockerfile", &["multi-rawjson-commit.log"]);
    let full = fixture("multi-plain-2010.log");
    std::fs::write(repo.path().join("logs/cut.log"), head(&full, 32)).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"),
        repo.path().join("logs/README.md"),
    )
    .unwrap();
    let out = repo.hoist(&[
        "timings",
        "import",
        "logs/cut.log",
        "logs/README.md",
        "logs/multi-rawjson-commit.log",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(
        lines[0].starts_with("logs/cut.log:32: the log ends here, but vertex `[builder 4/6] RUN"),
        "{stderr}"
    );
    assert!(
        lines[1].starts_with("logs/README.md:1: not a build log"),
        "{stderr}"
    );
    assert!(text(&out.stdout).contains("1 of 3 logs added"));
    let runs = repo.store().runs().to_vec();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].source, "import:logs/multi-rawjson-commit.log");
}

#[test]
fn a_log_of_another_dockerfile_is_refused() {
    let repo = Repo::new("multi.Dockerfile", &["fail-plain-2010.log"]);
    let out = repo.hoist(&["timings", "import", "logs/fail-plain-2010.log"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).starts_with(
            "logs/fail-plain-2010.log: vertex `[build 1/5] FROM docker.io/library/hoist-base:1` is no step of Dockerfile (nor are 3 more)"
        ),
        "{}",
        text(&out.stderr)
    );
    assert!(!repo.path().join(".hoist").exists());
}

#[test]
fn failed_steps_are_recorded_as_failed() {
    let repo = Repo::new("fail.Dockerfile", &["fail-rawjson.log", "fail-legacy.log"]);
    let out = repo.hoist(&[
        "timings",
        "import",
        "--builder",
        "ci",
        "logs/fail-rawjson.log",
        "logs/fail-legacy.log",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let runs = repo.store().runs().to_vec();
    for run in &runs {
        assert_eq!(run.builder.as_deref(), Some("ci"));
        let failed: Vec<usize> = run
            .steps
            .iter()
            .filter(|s| s.failed)
            .map(|s| s.line)
            .collect();
        assert_eq!(failed, [4], "{run:#?}");
    }
    // A failed step's time is not its cost.
    assert!(
        !repo
            .store()
            .step_seconds("Dockerfile")
            .keys()
            .any(|(_, i)| i.contains("exit 3"))
    );
    let json = std::fs::read_to_string(repo.path().join(".hoist/timings.json")).unwrap();
    assert!(json.contains("\"failed\": true"), "{json}");
}

#[test]
fn import_json_output() {
    let repo = Repo::new("single.Dockerfile", &["single-rawjson.log"]);
    std::fs::write(repo.path().join("logs/empty.log"), "").unwrap();
    let out = repo.hoist(&[
        "timings",
        "import",
        "--format",
        "json",
        "logs/single-rawjson.log",
        "logs/empty.log",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["dockerfile"], "Dockerfile");
    assert_eq!(v["store"], ".hoist/timings.json");
    assert_eq!(v["runs_in_store"], 1);
    assert_eq!(v["imported"][0]["format"], "rawjson");
    assert_eq!(v["imported"][0]["added"], true);
    assert_eq!(
        v["imported"][0]["run"]["steps"].as_array().unwrap().len(),
        12
    );
    assert_eq!(v["failed"][0]["log"], "logs/empty.log");
    assert_eq!(v["failed"][0]["line"], 1);
    assert_eq!(v["failed"][0]["message"], "the log is empty");
}

#[test]
fn store_and_dockerfile_options_and_usage_errors() {
    let repo = Repo::new("multi.Dockerfile", &["single-plain-2010.log"]);
    std::fs::create_dir(repo.path().join("svc")).unwrap();
    std::fs::write(
        repo.path().join("svc/app.Dockerfile"),
        fixture("single.Dockerfile"),
    )
    .unwrap();
    let out = repo.hoist(&[
        "timings",
        "import",
        "-f",
        "svc/app.Dockerfile",
        "--store",
        "custom.json",
        "logs/single-plain-2010.log",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let s = Store::load(&repo.path().join("custom.json")).unwrap();
    assert_eq!(s.runs()[0].dockerfile, "svc/app.Dockerfile");

    // An unreadable log: exit 2, the others still imported.
    let out = repo.hoist(&[
        "timings",
        "import",
        "-f",
        "svc/app.Dockerfile",
        "--store",
        "custom.json",
        "logs/missing.log",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).starts_with("logs/missing.log: cannot read logs/missing.log"),
        "{}",
        text(&out.stderr)
    );
    // A store it cannot read is left alone.
    std::fs::write(repo.path().join("custom.json"), "{broken").unwrap();
    let out = repo.hoist(&[
        "timings",
        "import",
        "-f",
        "svc/app.Dockerfile",
        "--store",
        "custom.json",
        "logs/single-plain-2010.log",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("not a hoist timings store"));
    assert_eq!(
        std::fs::read_to_string(repo.path().join("custom.json")).unwrap(),
        "{broken"
    );
    // No log: usage.
    assert_eq!(repo.hoist(&["timings", "import"]).status.code(), Some(2));
    // No Dockerfile.
    let out = repo.hoist(&["timings", "import", "-f", "nope", "logs/x.log"]);
    assert_eq!(out.status.code(), Some(2));
}

// ---------------------------------------------------------------------------
// Against the real engine: a log captured now imports like the fixtures.

#[test]
fn engine_logs_import() {
    let Some(engine) = support::engine() else {
        return;
    };
    let nonce = support::nonce();
    let dockerfile = format!(
        "FROM hoist-base:1 AS build\nARG N={nonce}\nRUN echo \"$N\" > /n\nCOPY a.txt /a\n\nFROM hoist-base:1\nCOPY --from=build /n /n\n"
    );
    let ctx = support::Context::with_files(&dockerfile, &[("a.txt", "a\n")]);
    std::fs::create_dir(ctx.path().join(".git")).unwrap();
    let progress = if engine.buildx { "rawjson" } else { "plain" };
    let first = engine.build_with_progress(ctx.path(), progress, &[]);
    first.assert_success();
    let second = engine.build_with_progress(ctx.path(), "plain", &[]);
    second.assert_success();
    std::fs::write(ctx.path().join("first.log"), &first.progress).unwrap();
    std::fs::write(ctx.path().join("second.log"), &second.progress).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_hoist"))
        .args(["timings", "import", "first.log", "second.log"])
        .current_dir(ctx.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}\n{}",
        text(&out.stderr),
        first.progress,
        second.progress
    );
    let store = Store::load(&ctx.path().join(".hoist/timings.json")).unwrap();
    let runs = store.runs();
    assert_eq!(runs.len(), 2);
    let run_step = |r: &Run| {
        r.steps
            .iter()
            .find(|s| s.line == 3)
            .cloned()
            .unwrap_or_else(|| panic!("{r:#?}"))
    };
    let ran = run_step(&runs[0]);
    assert!(!ran.cached && ran.seconds.is_some(), "{ran:?}");
    assert!(run_step(&runs[1]).cached);
    for r in runs {
        assert_eq!(r.steps.len(), 5, "{r:#?}");
    }
}
