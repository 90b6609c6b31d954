//! Smoke tests against the real Docker engine started by `scripts/engine`:
//! the engine, the base image and the BuildKit client work, and the plain
//! progress shows cache hits the way hoist expects to read them.

mod support;

use support::{Context, PlainStep, plain_step};

/// The Dockerfile from the engine notes, built twice: the second build must
/// report the RUN step as CACHED.
#[test]
fn second_build_reports_run_step_cached() {
    let Some(engine) = support::engine() else {
        return;
    };
    let ctx = Context::new("FROM hoist-base:1\nRUN echo hi > /x\n");

    let first = engine.build(ctx.path(), &[]);
    first.assert_success();
    // The engine's cache outlives test runs, so the first build may hit it too.
    let state = plain_step(&first.progress, "RUN echo hi > /x");
    assert!(
        matches!(state, PlainStep::Built | PlainStep::Cached),
        "first build: RUN step is {state:?}:\n{}",
        first.progress
    );

    let second = engine.build(ctx.path(), &[]);
    second.assert_success();
    assert_eq!(
        plain_step(&second.progress, "RUN echo hi > /x"),
        PlainStep::Cached,
        "second build should reuse the RUN step:\n{}",
        second.progress
    );
    eprintln!(
        "engine smoke: {} builds in {:?} then {:?}",
        engine.docker.display(),
        first.elapsed,
        second.elapsed
    );
}

/// A step no earlier build has seen runs on the first build and is CACHED on
/// the second; changing the context file it copies runs it again.
#[test]
fn cache_miss_then_hit_then_miss_on_change() {
    let Some(engine) = support::engine() else {
        return;
    };
    let nonce = support::nonce();
    let run = format!("RUN echo {nonce} > /x");
    let ctx = Context::with_files(
        &format!("FROM hoist-base:1\n{run}\nCOPY app.txt /app.txt\nRUN cat /app.txt\n"),
        &[("app.txt", "v1\n")],
    );

    let first = engine.build(ctx.path(), &[]);
    first.assert_success();
    assert_eq!(
        plain_step(&first.progress, &run),
        PlainStep::Built,
        "a new step must run on the first build:\n{}",
        first.progress
    );

    let second = engine.build(ctx.path(), &[]);
    second.assert_success();
    for step in [run.as_str(), "COPY app.txt /app.txt", "RUN cat /app.txt"] {
        assert_eq!(
            plain_step(&second.progress, step),
            PlainStep::Cached,
            "{step} should be cached on the rebuild:\n{}",
            second.progress
        );
    }

    ctx.write("app.txt", "v2\n");
    let third = engine.build(ctx.path(), &[]);
    third.assert_success();
    assert_eq!(plain_step(&third.progress, &run), PlainStep::Cached);
    assert_eq!(
        plain_step(&third.progress, "RUN cat /app.txt"),
        PlainStep::Built,
        "a changed COPY source must invalidate the steps after it:\n{}",
        third.progress
    );
}

/// A failing RUN makes the build fail and the step report ERROR.
#[test]
fn failing_run_is_reported() {
    let Some(engine) = support::engine() else {
        return;
    };
    let nonce = support::nonce();
    let ctx = Context::new(&format!("FROM hoist-base:1\nRUN echo {nonce} && exit 3\n"));
    let build = engine.build(ctx.path(), &[]);
    assert!(!build.success(), "build should fail:\n{}", build.progress);
    assert_eq!(
        plain_step(&build.progress, "exit 3"),
        PlainStep::Failed,
        "{}",
        build.progress
    );
}

/// With buildx, `--progress=rawjson` gives a stream of JSON `SolveStatus`
/// objects (buildx 0.13 indents them, so they span several lines).
#[test]
fn rawjson_progress_when_buildx() {
    let Some(engine) = support::engine() else {
        return;
    };
    if !engine.buildx {
        support::skipped(&format!(
            "rawjson_progress_when_buildx: {} has no buildx (HOIST_DOCKER_BUILDX != 1)",
            engine.docker.display()
        ));
        return;
    }
    let ctx = Context::new("FROM hoist-base:1\nRUN echo hi > /x\n");
    engine.build(ctx.path(), &[]).assert_success();
    let build = engine.build_with_progress(ctx.path(), "rawjson", &[]);
    build.assert_success();
    let mut cached = false;
    let mut objects = 0;
    for value in
        serde_json::Deserializer::from_str(&build.progress).into_iter::<serde_json::Value>()
    {
        let value = value.unwrap_or_else(|e| panic!("not JSON: {e}:\n{}", build.progress));
        objects += 1;
        for v in value["vertexes"].as_array().into_iter().flatten() {
            if v["name"]
                .as_str()
                .is_some_and(|n| n.ends_with("RUN echo hi > /x"))
                && v["cached"] == serde_json::Value::Bool(true)
            {
                cached = true;
            }
        }
    }
    assert!(objects > 0, "no JSON objects:\n{}", build.progress);
    assert!(
        cached,
        "no cached vertex for the RUN step:\n{}",
        build.progress
    );
}
