//! End-to-end tests of `hoist verify` and `hoist measure` against the real
//! engine (`scripts/engine`), run through the built binary; plus their errors
//! when no engine or no docker client is there (those need no engine).

mod support;

use std::path::Path;
use std::process::{Command, Output};

fn hoist(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hoist"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run hoist")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn git(dir: &Path, args: &[&str]) -> String {
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
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn write(dir: &Path, rel: &str, content: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, content).unwrap();
}

fn commit(dir: &Path, msg: &str) -> String {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", msg]);
    git(dir, &["rev-parse", "HEAD"])
}

/// Four commits: a source edit, a manifest edit plus a mode change, and a
/// `.dockerignore`d file; `hoist verify` builds all four and agrees on every step.
#[test]
fn verify_a_small_history_then_measure() {
    let Some(_engine) = support::engine() else {
        return;
    };
    let repo = tempfile::Builder::new()
        .prefix("hoist-verify-")
        .tempdir()
        .unwrap();
    let dir = repo.path();
    git(dir, &["init", "-q", "-b", "main"]);
    let nonce = support::nonce().replace('-', "");
    write(
        dir,
        "app/Dockerfile",
        &format!(
            "FROM hoist-base:1\nWORKDIR /s-{nonce}\nCOPY deps.txt ./\nRUN cat deps.txt > /deps\nCOPY . .\nRUN ls -l > /ls\n"
        ),
    );
    write(dir, "app/deps.txt", "dep v1\n");
    write(dir, "app/main.txt", "main v1\n");
    write(dir, "app/run.sh", "echo run\n");
    write(dir, "README.md", "outside the context\n");
    let c1 = commit(dir, "first");
    write(dir, "app/main.txt", "main v2\n");
    commit(dir, "edit main");
    write(dir, "app/deps.txt", "dep v2\n");
    git(dir, &["update-index", "--chmod=+x", "app/run.sh"]);
    std::fs::set_permissions(
        dir.join("app/run.sh"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    commit(dir, "bump deps, make run.sh executable");
    write(dir, "app/.dockerignore", "*.log\n");
    write(dir, "README.md", "still outside\n");
    let c4 = commit(dir, "ignore logs");

    let range = format!("{c1}..{c4}");
    let out = hoist(dir, &["verify", "--git", &range, "--context", "app"]);
    let (stdout, stderr) = text(&out);
    eprintln!("{stdout}");
    assert!(
        out.status.success(),
        "hoist verify failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    assert!(stdout.contains("commit 4/4"), "{stdout}");
    // 3 compared builds × (WORKDIR, COPY, RUN, COPY, RUN).
    assert!(stdout.contains("15/15 steps agree"), "{stdout}");
    assert!(stdout.contains("FROM steps are not compared"), "{stdout}");
    // commit 2: only the `COPY . .` half re-runs.
    assert!(
        stdout.contains("edit main: built in") && stdout.contains("5/5 steps agree"),
        "{stdout}"
    );

    // measure the work tree once: the store is written at the repository root.
    let out = hoist(dir, &["measure", "--context", "app"]);
    let (stdout, stderr) = text(&out);
    assert!(
        out.status.success(),
        "hoist measure failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    assert!(stdout.contains("RUN cat deps.txt > /deps"), "{stdout}");
    let store = dir.join(".hoist/timings.json");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&store).expect("store written")).unwrap();
    let runs = json["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1, "{json:#}");
    assert_eq!(runs[0]["dockerfile"], "app/Dockerfile", "{json:#}");
    assert_eq!(runs[0]["source"], "measure", "{json:#}");
    let steps = runs[0]["steps"].as_array().expect("steps");
    assert_eq!(steps.len(), 6, "{json:#}");
    // Everything was built by verify's last commit with the same bytes.
    assert!(
        steps
            .iter()
            .filter(|s| s["kind"] != "from")
            .all(|s| s["cached"] == true),
        "{json:#}"
    );
}

/// A range whose OLD is not an ancestor, and an empty range, are usage errors
/// (exit 2) that need no engine.
#[test]
fn verify_rejects_bad_ranges() {
    let repo = tempfile::tempdir().unwrap();
    let dir = repo.path();
    git(dir, &["init", "-q", "-b", "main"]);
    write(dir, "Dockerfile", "FROM hoist-base:1\nRUN echo 1\n");
    let c1 = commit(dir, "one");
    let out = hoist(dir, &["verify", "--git", &format!("{c1}..{c1}")]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("same commit"), "{stderr}");
    git(dir, &["checkout", "-q", "-b", "side"]);
    write(dir, "a.txt", "side\n");
    let side = commit(dir, "side");
    git(dir, &["checkout", "-q", "main"]);
    write(dir, "b.txt", "main\n");
    commit(dir, "main 2");
    let out = hoist(dir, &["verify", "--git", &format!("{side}..main")]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("not on the first-parent history"),
        "{stderr}"
    );
}

/// No docker client, or no daemon: a clear error that says what to do.
#[test]
fn measure_without_engine_says_what_to_do() {
    let ctx = tempfile::tempdir().unwrap();
    write(ctx.path(), "Dockerfile", "FROM hoist-base:1\nRUN echo 1\n");
    let out = Command::new(env!("CARGO_BIN_EXE_hoist"))
        .args(["measure"])
        .current_dir(ctx.path())
        .env("HOIST_DOCKER", "/nonexistent/docker")
        .output()
        .unwrap();
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot run the docker client"), "{stderr}");
    assert!(stderr.contains("HOIST_DOCKER"), "{stderr}");

    // A client that exists, pointed at a socket nobody listens on.
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
        support::skipped("measure_without_engine_says_what_to_do: no docker client installed");
        return;
    };
    let out = Command::new(env!("CARGO_BIN_EXE_hoist"))
        .args(["measure"])
        .current_dir(ctx.path())
        .env("HOIST_DOCKER", &client)
        .env("DOCKER_HOST", "unix:///nonexistent/hoist-test.sock")
        .output()
        .unwrap();
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot reach the Docker daemon"),
        "{stderr}"
    );
    assert!(stderr.contains("scripts/engine start"), "{stderr}");
    assert!(stderr.contains("DOCKER_HOST"), "{stderr}");
    // Nothing was recorded.
    assert!(!ctx.path().join(".hoist").exists());
}
