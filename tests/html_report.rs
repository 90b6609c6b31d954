//! The HTML replay report: structure, escaping and self-containment on synthetic
//! replays, then the page in headless Chromium (cell count in the rendered DOM, no
//! console messages, a screenshot at /tmp/hoist-report.png for a human to look at).
//!
//! Without /usr/bin/chromium the Chromium test prints `SKIPPED: ...` and passes,
//! except under `CI=true`, where it fails (scripts/test installs chromium).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use hoist::predict::Verdict;
use hoist::replay::summary::summarize;
use hoist::replay::{Cell, ChangeClass, CommitCost, CommitRow, Replay, StepId, TargetReplay};
use hoist::report::html;

// ---------------------------------------------------------------- helpers

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// Writes to the real stderr (libtest captures `eprintln!` of passing tests).
fn say(what: &str) {
    let _ = writeln!(std::io::stderr(), "{what}");
}

fn count(hay: &str, needle: &str) -> usize {
    hay.matches(needle).count()
}

/// The page split into its target sections (the text of each, up to the next).
fn target_sections(page: &str) -> Vec<&str> {
    page.split("<section class=\"target\"").skip(1).collect()
}

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn commit(i: usize, class: ChangeClass, summary: &str, rng: &mut Rng) -> CommitRow {
    let id: String = (0..5)
        .map(|_| format!("{:08x}", rng.next() as u32))
        .collect();
    CommitRow {
        short: id[..7].to_string(),
        id,
        summary: summary.to_string(),
        time: 1_714_000_000 + i as i64 * 9_000 + rng.below(3_000) as i64,
        class,
        changed_paths: 1 + rng.below(6),
    }
}

fn step(stage: &str, instruction: &str) -> StepId {
    StepId {
        stage: stage.into(),
        instruction: instruction.into(),
    }
}

/// Costs of one commit's row, the way the replay adds them up.
fn cost_of(row: &[Option<Cell>], seconds: &[Option<f64>], error: Option<String>) -> CommitCost {
    let mut c = CommitCost {
        seconds: 0.0,
        floor_seconds: 0.0,
        unmeasured: 0,
        rebuilt: 0,
        uncertain: 0,
        error,
    };
    for (cell, secs) in row.iter().zip(seconds) {
        let Some(cell) = cell else { continue };
        match cell.verdict {
            Verdict::Cached => continue,
            Verdict::Rebuilt => c.rebuilt += 1,
            Verdict::Uncertain => c.uncertain += 1,
        }
        match secs {
            Some(s) => {
                c.seconds += s;
                if cell.necessary {
                    c.floor_seconds += s;
                }
            }
            None => c.unmeasured += 1,
        }
    }
    c
}

fn cell(verdict: Verdict, necessary: bool) -> Option<Cell> {
    Some(Cell { verdict, necessary })
}

// ---------------------------------------------------------------- a small replay

const EVIL_SUMMARY: &str = "fix: <script>alert(\"pwned\")</script> & 'quotes'";
const EVIL_STEP: &str = "RUN echo \"<b>bold</b>\" && printf '%s' </dev/null";

/// 5 commits; target A has 3 steps, target B 4 (its last step appears at commit 3,
/// commit 4 fails to parse).
fn small() -> Replay {
    let mut rng = Rng(7);
    let classes = [
        ChangeClass::Source,
        ChangeClass::Dependencies,
        ChangeClass::Source,
        ChangeClass::DockerfileEdit,
        ChangeClass::DocsCi,
    ];
    let commits: Vec<CommitRow> = classes
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let summary = if i == 2 {
                EVIL_SUMMARY.to_string()
            } else {
                format!("commit number {i}")
            };
            commit(i, c, &summary, &mut rng)
        })
        .collect();
    use Verdict::{Cached as C, Rebuilt as R, Uncertain as U};
    let a_cells = vec![
        vec![cell(C, false), cell(R, true), cell(R, true)],
        vec![cell(C, false), cell(R, true), cell(R, true)],
        vec![cell(C, false), cell(R, true), cell(R, false)],
        vec![cell(R, true), cell(R, false), cell(U, false)],
        vec![cell(C, false), cell(C, false), cell(C, false)],
    ];
    let a_secs = vec![Some(5.0), Some(2.5), None];
    let b_cells = vec![
        vec![cell(C, false), cell(R, false), cell(R, true), None],
        vec![cell(C, false), cell(R, true), cell(R, true), None],
        vec![cell(C, false), cell(R, false), cell(U, true), None],
        vec![cell(R, true), cell(R, false), cell(R, false), cell(R, true)],
        vec![None, None, None, None],
    ];
    let b_secs = vec![Some(3.0), Some(40.0), Some(12.0), Some(1.0)];
    let mk = |dockerfile: &str,
              steps: Vec<StepId>,
              secs: Vec<Option<f64>>,
              cells: Vec<Vec<Option<Cell>>>,
              fail_at: Option<usize>| {
        let costs = cells
            .iter()
            .enumerate()
            .map(|(i, row)| {
                cost_of(
                    row,
                    &secs,
                    (Some(i) == fail_at)
                        .then(|| "Dockerfile:3:1: unknown instruction <FORM>".into()),
                )
            })
            .collect();
        TargetReplay {
            dockerfile: dockerfile.into(),
            context: String::new(),
            builds_per_commit: 2,
            cache: "max".into(),
            source: ".github/workflows/build.yml".into(),
            steps,
            step_seconds: secs,
            cells,
            costs,
        }
    };
    Replay {
        commits,
        targets: vec![
            mk(
                "Dockerfile",
                vec![
                    step("build", "FROM golang:1.22 AS build"),
                    step("build", "COPY . ."),
                    step("build", EVIL_STEP),
                ],
                a_secs,
                a_cells,
                None,
            ),
            mk(
                "web/Dockerfile",
                vec![
                    step("stage-0", "FROM node:20"),
                    step("stage-0", "COPY . ."),
                    step("stage-0", "RUN npm ci"),
                    step("stage-0", "RUN npm run build"),
                ],
                b_secs,
                b_cells,
                Some(4),
            ),
        ],
    }
}

// ---------------------------------------------------------------- a realistic replay

const D: u8 = 1; // Dockerfile edit
const V: u8 = 2; // version bump
const P: u8 = 4; // dependency manifests
const S: u8 = 8; // source
const O: u8 = 16; // docs / CI

fn bit(c: ChangeClass) -> u8 {
    match c {
        ChangeClass::DockerfileEdit => D,
        ChangeClass::VersionBump => V,
        ChangeClass::Dependencies => P,
        ChangeClass::Source => S,
        ChangeClass::DocsCi => O,
        ChangeClass::Empty => 0,
    }
}

/// A step of a modelled Dockerfile.
struct Spec {
    stage: usize,
    instruction: &'static str,
    seconds: Option<f64>,
    /// Classes that change this step's own cache key.
    key: u8,
    /// Classes for which an ideally keyed Dockerfile re-runs it.
    need: u8,
    /// Copies from (or, for a FROM, builds on) this stage: re-runs when that stage
    /// re-ran, uncertain for a copy.
    from: Option<usize>,
    /// Always uncertain when re-run (a download).
    download: bool,
    /// First commit whose build has it.
    since: usize,
}

fn sp(stage: usize, instruction: &'static str, seconds: f64, key: u8, need: u8) -> Spec {
    Spec {
        stage,
        instruction,
        seconds: Some(seconds),
        key,
        need,
        from: None,
        download: false,
        since: 0,
    }
}

struct Model {
    dockerfile: &'static str,
    context: &'static str,
    builds: usize,
    stages: &'static [&'static str],
    steps: Vec<Spec>,
    /// Share of source/dependency commits that touch this image's context.
    sees: f64,
    /// A commit whose Dockerfile fails to parse.
    broken_at: Option<usize>,
}

fn models() -> Vec<Model> {
    let mut api = Model {
        dockerfile: "Dockerfile",
        context: "",
        builds: 2,
        stages: &["build", "stage-1"],
        steps: vec![
            sp(0, "FROM golang:1.22-bookworm AS build", 6.2, V, V),
            sp(
                0,
                "RUN apt-get update && apt-get install -y --no-install-recommends git make protobuf-compiler",
                38.5,
                0,
                0,
            ),
            sp(0, "WORKDIR /src", 0.1, 0, 0),
            sp(0, "COPY . .", 2.4, S | P | O, S | P),
            sp(0, "RUN go mod download", 41.0, 0, P | V),
            sp(0, "RUN go generate ./...", 12.4, 0, S),
            sp(0, "RUN go vet ./...", 17.9, 0, S | P),
            sp(
                0,
                "RUN CGO_ENABLED=0 go build -trimpath -ldflags=\"-s -w\" -o /out/api ./cmd/api",
                71.3,
                0,
                S | P | V,
            ),
            sp(
                1,
                "FROM gcr.io/distroless/static-debian12:nonroot",
                2.1,
                V,
                V,
            ),
            Spec {
                from: Some(0),
                ..sp(
                    1,
                    "COPY --from=build /out/api /usr/local/bin/api",
                    0.6,
                    0,
                    S | P | V,
                )
            },
            sp(1, "USER nonroot:nonroot", 0.1, 0, 0),
        ],
        sees: 1.0,
        broken_at: Some(203),
    };
    // A step added by a Dockerfile edit midway, never measured.
    api.steps.insert(
        8,
        Spec {
            seconds: None,
            since: 140,
            ..sp(0, "RUN go test -short ./...", 0.0, 0, S | P)
        },
    );
    let worker = Model {
        dockerfile: "worker/Dockerfile",
        context: "worker",
        builds: 2,
        stages: &["deps", "build", "final"],
        steps: vec![
            sp(0, "FROM golang:1.22-bookworm AS deps", 6.2, V, V),
            sp(0, "WORKDIR /src", 0.1, 0, 0),
            sp(0, "COPY go.mod go.sum ./", 0.3, P, P),
            sp(0, "RUN go mod download", 41.0, 0, P),
            Spec {
                from: Some(0),
                ..sp(1, "FROM deps AS build", 0.0, 0, 0)
            },
            sp(1, "COPY . .", 1.9, S | P | O, S | P),
            sp(
                1,
                "RUN --mount=type=cache,target=/root/.cache/go-build go build -o /out/worker ./cmd/worker",
                48.7,
                0,
                S | P,
            ),
            sp(2, "FROM debian:bookworm-slim", 3.4, V, V),
            Spec {
                download: true,
                ..sp(
                    2,
                    "RUN curl -fsSL -o /usr/local/bin/tini \"$TINI_URL\" && chmod +x /usr/local/bin/tini",
                    4.8,
                    0,
                    0,
                )
            },
            sp(2, "RUN useradd --system worker", 0.9, 0, 0),
            Spec {
                from: Some(1),
                ..sp(
                    2,
                    "COPY --from=build /out/worker /usr/local/bin/worker",
                    0.4,
                    0,
                    S | P,
                )
            },
            sp(2, "USER worker", 0.1, 0, 0),
        ],
        sees: 0.35,
        broken_at: None,
    };
    let web = Model {
        dockerfile: "web/Dockerfile",
        context: "web",
        builds: 1,
        stages: &["build", "stage-1"],
        steps: vec![
            sp(0, "FROM node:20-bookworm AS build", 8.8, V, V),
            sp(0, "WORKDIR /app", 0.1, 0, 0),
            sp(0, "COPY . .", 3.1, S | P | O, S | P),
            sp(0, "RUN npm ci --no-audit --no-fund", 92.4, 0, P),
            sp(0, "RUN npm run lint", 21.0, 0, S),
            sp(0, "RUN npm run build", 55.2, 0, S | P),
            sp(1, "FROM nginx:1.27-alpine", 2.7, V, V),
            sp(1, "RUN apk add --no-cache curl", 6.3, 0, 0),
            sp(
                1,
                "COPY nginx.conf /etc/nginx/conf.d/default.conf",
                0.2,
                S,
                S,
            ),
            Spec {
                from: Some(0),
                ..sp(
                    1,
                    "COPY --from=build /app/dist /usr/share/nginx/html",
                    1.1,
                    0,
                    S | P,
                )
            },
            sp(1, "EXPOSE 8080", 0.0, 0, 0),
            sp(
                1,
                "HEALTHCHECK CMD curl -fsS localhost:8080/healthz || exit 1",
                0.0,
                0,
                0,
            ),
        ],
        sees: 0.3,
        broken_at: None,
    };
    vec![api, worker, web]
}

const SUMMARIES: &[&str] = &[
    "internal/api: handle empty pagination cursor",
    "cmd/api: log request ids",
    "internal/store: retry serialization failures",
    "fix flaky TestWorkerShutdown",
    "web: tidy the settings form",
    "internal/auth: rotate signing keys daily",
    "refactor: split handler.go",
    "worker: back off on 429 from upstream",
    "metrics: add queue depth gauge",
    "web: dark mode for the dashboard",
];

/// `n` commits with the mix of the demo (about 90% source-only, 3% dependency
/// bumps, 3% version bumps, 2% docs, the rest Dockerfile and CI edits), replayed
/// through three modelled Dockerfiles.
fn realistic(n: usize, seed: u64) -> Replay {
    let mut rng = Rng(seed.max(1));
    let models = models();
    let mut commits = Vec::with_capacity(n);
    let mut edits = Vec::with_capacity(n);
    for i in 0..n {
        let x = rng.unit();
        let mut class = match x {
            x if x < 0.90 => ChangeClass::Source,
            x if x < 0.93 => ChangeClass::Dependencies,
            x if x < 0.96 => ChangeClass::VersionBump,
            x if x < 0.98 => ChangeClass::DocsCi,
            _ => ChangeClass::DockerfileEdit,
        };
        let mut edited = rng.below(3);
        if i == 140 {
            class = ChangeClass::DockerfileEdit;
            edited = 0;
        }
        if models
            .iter()
            .any(|m| m.broken_at.is_some_and(|b| b + 1 == i))
        {
            class = ChangeClass::DockerfileEdit;
        }
        let summary = match class {
            ChangeClass::Source => SUMMARIES[rng.below(SUMMARIES.len())].to_string(),
            ChangeClass::Dependencies => "go.mod: bump google.golang.org/grpc".to_string(),
            ChangeClass::VersionBump => "Dockerfile: bump GO_VERSION".to_string(),
            ChangeClass::DocsCi => "docs: update the runbook".to_string(),
            _ => "Dockerfile: reorder layers".to_string(),
        };
        commits.push(commit(i, class, &summary, &mut rng));
        // Which images this commit touches (source changes are local to a context).
        let seen: Vec<bool> = models
            .iter()
            .map(|m| {
                !matches!(class, ChangeClass::Source | ChangeClass::Dependencies)
                    || rng.unit() < m.sees
            })
            .collect();
        edits.push((edited, seen));
    }
    let targets = models
        .iter()
        .enumerate()
        .map(|(mi, m)| {
            let steps: Vec<StepId> = m
                .steps
                .iter()
                .map(|s| step(m.stages[s.stage], s.instruction))
                .collect();
            let seconds: Vec<Option<f64>> = m.steps.iter().map(|s| s.seconds).collect();
            let mut cells = Vec::with_capacity(n);
            let mut costs = Vec::with_capacity(n);
            for (i, c) in commits.iter().enumerate() {
                if m.broken_at == Some(i) {
                    let row = vec![None; steps.len()];
                    costs.push(cost_of(
                        &row,
                        &seconds,
                        Some(format!(
                            "{}:14:1: unknown instruction: RUNN (did you mean RUN?)",
                            m.dockerfile
                        )),
                    ));
                    cells.push(row);
                    continue;
                }
                let (edited, ref seen) = edits[i];
                let class = if seen[mi] { bit(c.class) } else { 0 };
                // The edited step: the `edited`-th RUN of the first stage.
                let edited_step = (class == D).then(|| {
                    m.steps
                        .iter()
                        .enumerate()
                        .filter(|(_, s)| s.stage == 0 && s.instruction.starts_with("RUN"))
                        .nth(edited)
                        .map_or(1, |(k, _)| k)
                });
                let stages = m.stages.len();
                let mut broken = vec![false; stages];
                let mut needed_out = vec![false; stages];
                let mut row = Vec::with_capacity(steps.len());
                for (k, s) in m.steps.iter().enumerate() {
                    if i < s.since {
                        row.push(None);
                        continue;
                    }
                    let chain = broken[s.stage];
                    let own = s.key & class != 0 || edited_step == Some(k) || i == s.since && i > 0;
                    let from = s.from.is_some_and(|f| broken[f]);
                    let rerun = chain || own || from;
                    let necessary = s.need & class != 0
                        || edited_step == Some(k)
                        || (i == s.since && i > 0)
                        || s.from.is_some_and(|f| needed_out[f]);
                    if rerun {
                        broken[s.stage] = true;
                        needed_out[s.stage] |= necessary;
                    }
                    // Copying another stage's output is uncertain; building on it is not.
                    let copies = from && !own && !chain && !s.instruction.starts_with("FROM");
                    let verdict = match (rerun, s.download || copies) {
                        (false, _) => Verdict::Cached,
                        (true, true) => Verdict::Uncertain,
                        (true, false) => Verdict::Rebuilt,
                    };
                    row.push(Some(Cell {
                        verdict,
                        necessary: rerun && necessary,
                    }));
                }
                costs.push(cost_of(&row, &seconds, None));
                cells.push(row);
            }
            TargetReplay {
                dockerfile: m.dockerfile.into(),
                context: m.context.into(),
                builds_per_commit: m.builds,
                cache: "max".into(),
                source: ".github/workflows/images.yml".into(),
                steps,
                step_seconds: seconds,
                cells,
                costs,
            }
        })
        .collect();
    Replay { commits, targets }
}

// ---------------------------------------------------------------- structure

#[test]
fn one_cell_per_step_and_commit() {
    let replay = small();
    let page = html::page(&replay, &summarize(&replay));
    let sections = target_sections(&page);
    assert_eq!(sections.len(), 2);
    assert_eq!(count(sections[0], "class=\"cell\""), 3 * 5);
    assert_eq!(count(sections[1], "class=\"cell\""), 4 * 5);
    assert_eq!(count(&page, "<rect class=\"cell\""), 35);
    // Every verdict is drawn as often as the input has it.
    for (t, section) in replay.targets.iter().zip(&sections) {
        let mut want = [0usize; 4]; // rebuilt, uncertain, cached, absent/failed
        for row in &t.cells {
            for c in row {
                match c.as_ref().map(|c| c.verdict) {
                    Some(Verdict::Rebuilt) => want[0] += 1,
                    Some(Verdict::Uncertain) => want[1] += 1,
                    Some(Verdict::Cached) => want[2] += 1,
                    None => want[3] += 1,
                }
            }
        }
        let got = [
            count(section, "data-verdict=\"rebuilt\""),
            count(section, "data-verdict=\"uncertain\""),
            count(section, "data-verdict=\"cached\""),
            count(section, "data-verdict=\"absent\"") + count(section, "data-verdict=\"failed\""),
        ];
        assert_eq!(got, want, "{}", t.dockerfile);
    }
    // The failed commit of web/Dockerfile: its 4 cells say so, and the bars mark it.
    assert_eq!(count(sections[1], "data-verdict=\"failed\""), 4);
    assert_eq!(count(sections[1], "class=\"mark-failed\""), 1);
    // Target A has an unmeasured step that re-ran at commits 0..=3.
    assert_eq!(count(sections[0], "class=\"mark-unmeasured\""), 4);
    for needle in [
        "<h3>Per step</h3>",
        "<h3>The floor</h3>",
        "By change class",
        "unmeasured",
        "CI minutes",
        "<title>",
    ] {
        assert!(page.contains(needle), "missing {needle:?}");
    }
    assert!(page.starts_with("<!doctype html>"));
    assert!(page.trim_end().ends_with("</html>"));
}

#[test]
fn escapes_commit_summaries_and_instructions() {
    let replay = small();
    let page = html::page(&replay, &summarize(&replay));
    assert!(!page.contains("<script"), "a <script> reached the page");
    assert!(!page.contains("<b>bold"));
    assert!(page.contains(
        "fix: &lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt; &amp; &#39;quotes&#39;"
    ));
    assert!(page.contains("RUN echo &quot;&lt;b&gt;bold&lt;/b&gt;&quot; &amp;&amp; printf"));
    assert!(page.contains("unknown instruction &lt;FORM&gt;"));
}

/// No URL, no external resource, no script: the page loads nothing.
fn assert_self_contained(page: &str) {
    for bad in [
        "http://", "https://", "<script", "src=", "url(", "@import", "<link", "<iframe", "<object",
        "<embed", "<img",
    ] {
        assert!(!page.contains(bad), "page contains {bad:?}");
    }
    for (i, _) in page.match_indices("href=\"") {
        assert!(
            page[i + 6..].starts_with('#'),
            "non-fragment link: {}",
            &page[i..(i + 60).min(page.len())]
        );
    }
    assert!(page.contains("Content-Security-Policy"));
}

#[test]
fn page_is_self_contained() {
    let replay = small();
    assert_self_contained(&html::page(&replay, &summarize(&replay)));
    let mut replay = realistic(300, 11);
    // A URL in a commit summary stays text, never a link.
    replay.commits[5].summary = "see issue at example.org/x".into();
    assert_self_contained(&html::page(&replay, &summarize(&replay)));
}

#[test]
fn realistic_replay_has_all_cells() {
    let replay = realistic(300, 11);
    let summary = summarize(&replay);
    let page = html::page(&replay, &summary);
    let sections = target_sections(&page);
    assert_eq!(sections.len(), 3);
    for (t, s) in replay.targets.iter().zip(&sections) {
        assert_eq!(
            count(s, "class=\"cell\""),
            t.steps.len() * 300,
            "{}",
            t.dockerfile
        );
    }
    assert!(
        !page.contains("consecutive commits"),
        "300 commits need no aggregation"
    );
    // The generator really produces every kind of cell.
    for v in ["rebuilt", "uncertain", "cached", "absent", "failed"] {
        assert!(
            page.contains(&format!("data-verdict=\"{v}\"")),
            "no {v} cell"
        );
    }
    assert!(summary.headroom_ci_minutes > 0.0);
    assert!(summary.measured_share < 1.0);
}

#[test]
fn long_ranges_aggregate_columns() {
    // 1,000 commits: 2 commits per column, 500 columns.
    let replay = realistic(1_000, 3);
    let page = html::page(&replay, &summarize(&replay));
    assert!(
        page.contains("1,000 commits are too many for one column each"),
        "the page must say it aggregates"
    );
    assert!(page.contains("500 columns of 2 consecutive commits"));
    for (t, s) in replay.targets.iter().zip(target_sections(&page)) {
        assert_eq!(count(s, "class=\"cell\""), t.steps.len() * 500);
    }

    // 10,000 commits and 42 steps: 17 commits per column, 589 columns.
    let mut replay = realistic(10_000, 5);
    replay.targets.truncate(1);
    let t = &mut replay.targets[0];
    let extra = 42 - t.steps.len();
    for k in 0..extra {
        t.steps
            .push(step("test", &format!("RUN ./ci/check-{k:02}.sh")));
        t.step_seconds.push(Some(1.0 + k as f64));
    }
    for (i, row) in t.cells.iter_mut().enumerate() {
        for k in 0..extra {
            row.push(Some(Cell {
                verdict: if (i + k) % 3 == 0 {
                    Verdict::Rebuilt
                } else {
                    Verdict::Cached
                },
                necessary: k % 2 == 0,
            }));
        }
    }
    let started = Instant::now();
    let page = html::page(&replay, &summarize(&replay));
    let took = started.elapsed();
    assert!(page.contains("589 columns of 17 consecutive commits"));
    assert_eq!(count(&page, "class=\"cell\""), 42 * 589);
    say(&format!(
        "html_report: 10,000 commits × 42 steps rendered in {took:.2?}, {:.1} MB",
        page.len() as f64 / 1e6
    ));
    assert!(page.len() < 20_000_000, "page is {} bytes", page.len());
    // The chart's width is capped whatever the number of commits.
    let widths: Vec<f64> = page
        .match_indices("<svg class=\"replay\" width=\"")
        .map(|(i, m)| {
            let rest = &page[i + m.len()..];
            rest[..rest.find('"').unwrap()].parse().unwrap()
        })
        .collect();
    assert!(
        !widths.is_empty() && widths.iter().all(|&w| w <= 1400.0),
        "{widths:?}"
    );
}

#[test]
fn empty_replay_renders() {
    let replay = Replay {
        commits: vec![],
        targets: vec![],
    };
    let page = html::page(&replay, &summarize(&replay));
    assert!(page.contains("The range holds no commits"));
    assert_eq!(count(&page, "class=\"cell\""), 0);
}

// ---------------------------------------------------------------- Chromium

/// Debian's chromium; `HOIST_CHROMIUM` names another binary (or a missing one, to
/// see the skip).
fn chromium_bin() -> PathBuf {
    std::env::var_os("HOIST_CHROMIUM")
        .filter(|p| !p.is_empty())
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from)
}

struct Run {
    stdout: String,
    stderr: String,
    took: Duration,
}

/// Runs headless Chromium with a fresh profile; fails the test after 120 s.
fn chromium(args: &[&str], dir: &Path) -> Run {
    let profile = tempfile::tempdir_in(dir).expect("profile dir");
    let mut cmd = Command::new(chromium_bin());
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
    ])
    .arg(format!("--user-data-dir={}", profile.path().display()))
    .args(args)
    .stdin(Stdio::null());
    let out_path = dir.join("chromium.stdout");
    let err_path = dir.join("chromium.stderr");
    cmd.stdout(std::fs::File::create(&out_path).unwrap());
    cmd.stderr(std::fs::File::create(&err_path).unwrap());
    let started = Instant::now();
    let mut child = cmd.spawn().expect("start chromium");
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for chromium") {
            break status;
        }
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium {args:?} did not finish in 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let took = started.elapsed();
    let stdout = std::fs::read_to_string(&out_path).unwrap_or_default();
    let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
    assert!(
        status.success(),
        "chromium {args:?} failed ({status}):\n{}",
        tail(&stderr, 40)
    );
    Run {
        stdout,
        stderr,
        took,
    }
}

fn tail(s: &str, lines: usize) -> String {
    let all: Vec<&str> = s.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Console messages in Chromium's `--enable-logging=stderr --v=1` output: every
/// console call, uncaught exception and CSP violation is logged as
/// `[pid:tid:time:INFO:CONSOLE:line] "message", source: url (line)` (older
/// releases wrote `CONSOLE(line)`). The page has no script, so any is an error.
fn console_messages(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.contains(":CONSOLE:") || l.contains(":CONSOLE(") || l.contains("Uncaught"))
        .collect()
}

fn dom_check(page_path: &Path, dir: &Path) -> (Run, Vec<String>) {
    let url = format!("file://{}", page_path.display());
    let run = chromium(
        &["--enable-logging=stderr", "--v=1", "--dump-dom", &url],
        dir,
    );
    let console = console_messages(&run.stderr)
        .into_iter()
        .map(str::to_string)
        .collect();
    (run, console)
}

#[test]
fn chromium_renders_report() {
    let bin = chromium_bin();
    if !bin.exists() {
        if in_ci() {
            panic!(
                "{} is missing under CI=true: scripts/test installs the `chromium` package",
                bin.display()
            );
        }
        say(&format!(
            "SKIPPED: chromium_renders_report: chromium not installed ({} missing; apt-get install chromium)",
            bin.display()
        ));
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let replay = realistic(300, 11);
    let page = html::page(&replay, &summarize(&replay));
    let expected: usize = replay.targets.iter().map(|t| t.steps.len() * 300).sum();
    let page_path = dir.path().join("report.html");
    std::fs::write(&page_path, &page).unwrap();
    let _ = std::fs::write("/tmp/hoist-report.html", &page);

    // 1. The DOM Chromium built: every cell is there, nothing on the console.
    let (run, console) = dom_check(&page_path, dir.path());
    let dom_cells = count(&run.stdout, "class=\"cell\"");
    say(&format!(
        "html_report: chromium --dump-dom of {:.1} MB page took {:.2?}: {dom_cells} cells, {} console messages",
        page.len() as f64 / 1e6,
        run.took,
        console.len()
    ));
    assert!(
        run.stdout.contains("</html>"),
        "no DOM dumped:\n{}",
        tail(&run.stderr, 40)
    );
    assert_eq!(dom_cells, expected, "cells in the rendered DOM");
    assert_eq!(
        target_sections(&run.stdout)
            .iter()
            .map(|s| count(s, "class=\"cell\""))
            .collect::<Vec<_>>(),
        replay
            .targets
            .iter()
            .map(|t| t.steps.len() * 300)
            .collect::<Vec<_>>()
    );
    assert!(
        console.is_empty(),
        "console messages:\n{}",
        console.join("\n")
    );

    // 2. The check itself: a page that throws must be caught.
    let bad_path = dir.path().join("bad.html");
    std::fs::write(
        &bad_path,
        page.replacen("</body>", "<script>throw 1</script></body>", 1),
    )
    .unwrap();
    let (bad, bad_console) = dom_check(&bad_path, dir.path());
    say(&format!(
        "html_report: control page with <script>throw 1</script> took {:.2?}: {} console messages",
        bad.took,
        bad_console.len()
    ));
    assert!(
        !bad_console.is_empty(),
        "the console check missed an uncaught exception (has Chromium's log format changed?):\n{}",
        tail(&bad.stderr, 40)
    );

    // 3. A screenshot for a human.
    let shot = PathBuf::from(
        std::env::var("HOIST_REPORT_SCREENSHOT").unwrap_or_else(|_| "/tmp/hoist-report.png".into()),
    );
    let _ = std::fs::remove_file(&shot);
    let size = std::env::var("HOIST_REPORT_WINDOW").unwrap_or_else(|_| "1400,1800".into());
    let url = format!("file://{}", page_path.display());
    let run = chromium(
        &[
            &format!("--screenshot={}", shot.display()),
            &format!("--window-size={size}"),
            &url,
        ],
        dir.path(),
    );
    let png = std::fs::read(&shot).unwrap_or_default();
    assert!(
        png.starts_with(b"\x89PNG"),
        "no screenshot at {}:\n{}",
        shot.display(),
        tail(&run.stderr, 40)
    );
    say(&format!(
        "html_report: screenshot {} ({} KB) took {:.2?}",
        shot.display(),
        png.len() / 1024,
        run.took
    ));
}
