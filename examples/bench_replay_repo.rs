//! Repository generator for the `hoist replay` benchmark (run it through
//! `scripts/bench-replay`).
//!
//! Writes, deterministically, one `git fast-import` stream to stdout: the
//! history of a polyglot monorepo on `refs/heads/main`.
//!
//! - The first commit holds about `--files` files (default 22,000) in a
//!   realistic tree: Go commands and packages (`cmd/`, `internal/`, `pkg/`,
//!   `api/proto/`), a web front end (`web/`), a Python service
//!   (`services/billing/`), docs, test data, deploy manifests, vendored code,
//!   scripts, CI workflows.
//! - Four Dockerfiles: `Dockerfile` and `docker/worker.Dockerfile` (context:
//!   the root), `web/Dockerfile` (context `web/`) and
//!   `services/billing/Dockerfile` (context `services/billing/`); all
//!   multi-stage or with ARGs, copying the dependency manifests first, then
//!   `COPY . .` (or the source folders). A `.dockerignore` in each context, and
//!   `.github/workflows/images.yml` building the four images with
//!   `docker/build-push-action` (two platforms, a per-commit `VERSION`).
//! - Then `--commits` - 1 more first-parent commits (default 10,199, so the
//!   last 10,000 all have a parent in range), each touching 1-10 files: about
//!   80% source only (often a few files of one package, sometimes adding or
//!   deleting one), 5% dependency manifests (go.sum, package-lock.json,
//!   requirements.txt) with some source, 2% Dockerfile edits (a version
//!   bump, a label, an extra RUN line), 1% ignore-file edits, 8% docs only,
//!   the rest tests, test data, deploy manifests and CI.
//!
//! ```text
//! cargo run --release --example bench_replay_repo -- [--files 22000] [--commits 10200] [--seed N] | git fast-import
//! ```
//!
//! A summary (files at the head, commits, Dockerfiles) goes to stderr.

use std::collections::HashMap;
use std::io::{self, BufWriter, Write};

/// splitmix64: small, fast, and the same sequence everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

fn fnv(bytes: &[u8]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

const WORDS: &[&str] = &[
    "auth",
    "billing",
    "cache",
    "config",
    "db",
    "events",
    "gateway",
    "httpx",
    "identity",
    "jobs",
    "kv",
    "ledger",
    "metrics",
    "notify",
    "orders",
    "payments",
    "queue",
    "ratelimit",
    "search",
    "session",
    "storage",
    "tenant",
    "users",
    "webhook",
    "audit",
    "catalog",
    "export",
    "importer",
    "inventory",
    "mail",
    "pricing",
    "reports",
    "scheduler",
    "shipping",
    "sync",
    "tax",
    "tracing",
    "upload",
    "validate",
    "workflow",
];
const LAYERS: &[&str] = &["store", "service", "transport", "model", "internal"];
const COMMANDS: &[&str] = &[
    "server",
    "worker",
    "migrate",
    "admin",
    "cron",
    "seed",
    "importer",
    "exporter",
    "gateway",
    "notifier",
    "reindex",
    "healthcheck",
];

/// What a file is; decides its content and which commits touch it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Go,
    GoTest,
    Proto,
    Ts,
    Py,
    PyTest,
    Doc,
    TestData,
    Deploy,
    Vendor,
    Script,
    /// Fixed content rendered by `special` (manifests, Dockerfiles, ignore files, workflows).
    Special,
}

struct File {
    path: String,
    kind: Kind,
    rev: u32,
    alive: bool,
}

/// The variable parts of the four Dockerfiles and three ignore files.
#[derive(Default)]
struct Specials {
    /// Per Dockerfile: (version patch, label counter, extra RUN line).
    docker: [(u32, u32, bool); 4],
    /// Per ignore file: number of extra comment lines, extra pattern on/off.
    ignore: [(u32, bool); 3],
    /// Manifest revisions: go.sum, package-lock.json, requirements.txt.
    manifests: [u32; 3],
    workflow: u32,
}

const DOCKERFILES: [&str; 4] = [
    "Dockerfile",
    "docker/worker.Dockerfile",
    "web/Dockerfile",
    "services/billing/Dockerfile",
];
const IGNORES: [&str; 3] = [
    ".dockerignore",
    "web/.dockerignore",
    "services/billing/.dockerignore",
];
const MANIFESTS: [&str; 3] = [
    "go.sum",
    "web/package-lock.json",
    "services/billing/requirements.txt",
];
const WORKFLOW: &str = ".github/workflows/images.yml";

fn dockerfile(which: usize, (patch, label, extra): (u32, u32, bool)) -> String {
    match which {
        0 => format!(
            r#"# syntax=docker/dockerfile:1.7
ARG GO_VERSION=1.22.{patch}
ARG ALPINE_VERSION=3.20

FROM golang:${{GO_VERSION}}-bookworm AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS=-trimpath
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    go build -ldflags "-s -w -X main.version=${{VERSION}}" -o /out/server ./cmd/server
{extra}
FROM build AS test
RUN --mount=type=cache,target=/root/.cache/go-build go test ./...

FROM alpine:${{ALPINE_VERSION}} AS runtime
RUN apk add --no-cache ca-certificates tzdata
COPY --from=build /out/server /usr/local/bin/server
COPY deploy/config/server.yaml /etc/server.yaml
LABEL org.example.build-layout="{label}"
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/server"]
"#,
            extra = if extra {
                "RUN go vet ./cmd/server\n"
            } else {
                ""
            }
        ),
        1 => format!(
            r#"ARG GO_VERSION=1.22.{patch}
FROM golang:${{GO_VERSION}} AS deps
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download

FROM deps AS build
COPY cmd/worker/ cmd/worker/
COPY internal/ internal/
COPY pkg/ pkg/
ARG VERSION=dev
ARG COMMIT=unknown
RUN go build -ldflags "-X main.version=${{VERSION}} -X main.commit=${{COMMIT}}" -o /out/worker ./cmd/worker
{extra}
FROM gcr.io/distroless/static-debian12:nonroot
LABEL org.example.build-layout="{label}"
COPY --from=build /out/worker /worker
ENTRYPOINT ["/worker"]
"#,
            extra = if extra {
                "RUN go test ./cmd/worker/...\n"
            } else {
                ""
            }
        ),
        2 => format!(
            r#"ARG NODE_VERSION=20.{patch}
FROM node:${{NODE_VERSION}}-alpine AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci

FROM deps AS build
COPY . .
ARG VERSION=dev
ENV VITE_APP_VERSION=${{VERSION}}
RUN npm run build
{extra}
FROM nginx:1.27-alpine
LABEL org.example.build-layout="{label}"
COPY nginx.conf /etc/nginx/conf.d/default.conf
COPY --from=build /app/dist /usr/share/nginx/html
"#,
            extra = if extra { "RUN npm run lint\n" } else { "" }
        ),
        _ => format!(
            r#"ARG PYTHON_VERSION=3.12.{patch}
FROM python:${{PYTHON_VERSION}}-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY requirements.txt ./
RUN pip install -r requirements.txt
COPY . .
{extra}RUN python -m compileall -q billing
LABEL org.example.build-layout="{label}"
CMD ["python", "-m", "billing"]
"#,
            extra = if extra {
                "RUN python -m pytest -q --co\n"
            } else {
                ""
            }
        ),
    }
}

fn ignore_file(which: usize, (comments, extra): (u32, bool)) -> String {
    let mut s = String::from("# What the image builds never need.\n");
    for i in 0..comments {
        s.push_str(&format!("# note {i}\n"));
    }
    s.push_str(match which {
        0 => ".git\n.github\ndocs/\n**/*.md\n!README.md\ntestdata/\nweb/node_modules\nweb/dist\ndeploy/helm\nthird_party/**/testdata\n",
        1 => "node_modules\ndist\ncoverage\n**/*.test.tsx\n**/__snapshots__\n",
        _ => "tests/\n**/__pycache__\n*.pyc\n.venv\n",
    });
    if extra {
        s.push_str("tmp/\n");
    }
    s
}

fn workflow(rev: u32) -> String {
    let mut s = format!(
        r#"name: images
# revision {rev}
on:
  push:
    branches: [main]

jobs:
  images:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
      - uses: docker/setup-qemu-action@v3
      - uses: docker/setup-buildx-action@v3
"#
    );
    let images = [
        ("server", ".", "Dockerfile"),
        ("worker", ".", "docker/worker.Dockerfile"),
        ("web", "web", "web/Dockerfile"),
        ("billing", "services/billing", "services/billing/Dockerfile"),
    ];
    for (name, context, file) in images {
        s.push_str(&format!(
            r#"      - name: Build {name}
        uses: docker/build-push-action@v6
        with:
          context: {context}
          file: {file}
          platforms: linux/amd64,linux/arm64
          push: true
          tags: ghcr.io/example/{name}:${{{{ github.sha }}}}
          build-args: |
            VERSION=${{{{ github.sha }}}}
          cache-from: type=gha,scope={name}
          cache-to: type=gha,mode=max,scope={name}
"#
        ));
    }
    s
}

fn special(path: &str, sp: &Specials) -> String {
    if let Some(i) = DOCKERFILES.iter().position(|d| *d == path) {
        return dockerfile(i, sp.docker[i]);
    }
    if let Some(i) = IGNORES.iter().position(|d| *d == path) {
        return ignore_file(i, sp.ignore[i]);
    }
    if path == WORKFLOW {
        return workflow(sp.workflow);
    }
    let lines =
        |n: u32, f: &dyn Fn(u32) -> String| (0..n).map(f).collect::<Vec<_>>().join("\n") + "\n";
    match path {
        "go.mod" => "module example.com/platform\n\ngo 1.22\n\nrequire (\n\tgithub.com/google/uuid v1.6.0\n\tgolang.org/x/sync v0.7.0\n)\n".into(),
        "go.sum" => lines(80 + sp.manifests[0], &|i| {
            format!("example.com/dep{i} v1.{}.0 h1:{:016x}=", i % 7, fnv(format!("{i}").as_bytes()))
        }),
        "web/package.json" => "{\n  \"name\": \"web\",\n  \"private\": true,\n  \"scripts\": {\"build\": \"vite build\", \"lint\": \"eslint src\"}\n}\n".into(),
        "web/package-lock.json" => lines(200 + sp.manifests[1], &|i| {
            format!("    \"node_modules/pkg-{i}\": {{\"version\": \"1.{}.{i}\"}},", i % 9)
        }),
        "services/billing/requirements.txt" => lines(30 + sp.manifests[2], &|i| {
            format!("package-{i}=={}.{}.0", i % 4 + 1, i % 11)
        }),
        "web/nginx.conf" => "server {\n  listen 80;\n  root /usr/share/nginx/html;\n}\n".into(),
        ".github/workflows/test.yml" => "name: test\non: [push, pull_request]\njobs:\n  test:\n    runs-on: ubuntu-24.04\n    steps:\n      - uses: actions/checkout@v4\n      - run: go test ./...\n".into(),
        "README.md" => "# platform\n\nThe example monorepo of hoist's replay benchmark.\n".into(),
        _ => format!("# {path}\n"),
    }
}

/// Content of an ordinary file at a revision: a few dozen lines, the revision in one of them.
fn content(f: &File) -> String {
    let h = fnv(f.path.as_bytes());
    let n = 8 + (h % 48) as usize;
    let name = f
        .path
        .rsplit('/')
        .next()
        .unwrap_or("x")
        .split('.')
        .next()
        .unwrap_or("x")
        .replace('-', "_");
    let mut s = String::with_capacity(n * 48);
    match f.kind {
        Kind::Go | Kind::GoTest | Kind::Vendor => {
            let pkg = f
                .path
                .rsplit('/')
                .nth(1)
                .unwrap_or("main")
                .replace('-', "_");
            s.push_str(&format!(
                "// Package {pkg}: {}.\npackage {pkg}\n\nconst revision{name} = {}\n\n",
                f.path, f.rev
            ));
            for i in 0..n {
                s.push_str(&format!(
                    "func {name}{i}(x int) int {{ return x*{} + {i} }}\n",
                    h % 97
                ));
            }
        }
        Kind::Proto => {
            s.push_str(&format!(
                "syntax = \"proto3\";\n// revision {}\nmessage M{} {{\n",
                f.rev,
                h % 1000
            ));
            for i in 0..n {
                s.push_str(&format!("  string field_{i} = {};\n", i + 1));
            }
            s.push_str("}\n");
        }
        Kind::Ts => {
            s.push_str(&format!(
                "// {} (revision {})\nimport React from 'react';\n\n",
                f.path, f.rev
            ));
            for i in 0..n {
                s.push_str(&format!(
                    "export const {name}{i} = (p: number) => p * {i};\n"
                ));
            }
        }
        Kind::Py | Kind::PyTest => {
            s.push_str(&format!("\"\"\"{} (revision {}).\"\"\"\n\n", f.path, f.rev));
            for i in 0..n {
                s.push_str(&format!("def {name}_{i}(x):\n    return x * {i}\n\n"));
            }
        }
        Kind::Doc => {
            s.push_str(&format!("# {name}\n\nRevision {}.\n\n", f.rev));
            for i in 0..n {
                s.push_str(&format!(
                    "Paragraph {i} about {name}, which is documented here.\n"
                ));
            }
        }
        Kind::TestData => {
            s.push_str(&format!(
                "{{\"fixture\": \"{name}\", \"revision\": {}, \"rows\": [\n",
                f.rev
            ));
            for i in 0..n {
                s.push_str(&format!(
                    "  {{\"id\": {i}, \"value\": {}}},\n",
                    (h >> (i % 32)) % 1000
                ));
            }
            s.push_str("]}\n");
        }
        Kind::Deploy => {
            s.push_str(&format!(
                "# revision {}\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n",
                f.rev
            ));
            for i in 0..n {
                s.push_str(&format!("# setting {i}: {}\n", h % 1000));
            }
        }
        Kind::Script => {
            s.push_str(&format!(
                "#!/bin/sh\n# {} revision {}\nset -eu\n",
                f.path, f.rev
            ));
            for i in 0..n {
                s.push_str(&format!("echo step {i}\n"));
            }
        }
        Kind::Special => unreachable!(),
    }
    s
}

struct Gen {
    rng: Rng,
    files: Vec<File>,
    index: HashMap<String, usize>,
    /// File indices per kind, in creation order (neighbours share a directory).
    pools: HashMap<&'static str, Vec<usize>>,
    sp: Specials,
    out: BufWriter<io::Stdout>,
    clock: i64,
    commits: usize,
}

impl Gen {
    fn add(&mut self, path: String, kind: Kind) -> usize {
        let i = self.files.len();
        self.index.insert(path.clone(), i);
        self.files.push(File {
            path,
            kind,
            rev: 0,
            alive: true,
        });
        let pool = match kind {
            Kind::Go | Kind::Proto => "go",
            Kind::GoTest => "gotest",
            Kind::Ts => "ts",
            Kind::Py => "py",
            Kind::PyTest => "pytest",
            Kind::Doc => "doc",
            Kind::TestData => "testdata",
            Kind::Deploy | Kind::Script => "ops",
            Kind::Vendor => "vendor",
            Kind::Special => "special",
        };
        self.pools.entry(pool).or_default().push(i);
        i
    }

    /// A run of 1..=n live files of a pool, starting at a random one (mostly one directory).
    fn pick_run(&mut self, pool: &str, n: usize) -> Vec<usize> {
        let items = &self.pools[pool];
        let start = self.rng.below(items.len());
        items[start..]
            .iter()
            .copied()
            .filter(|&i| self.files[i].alive)
            .take(n)
            .collect()
    }

    fn bytes(&self, i: usize) -> String {
        let f = &self.files[i];
        if f.kind == Kind::Special {
            special(&f.path, &self.sp)
        } else {
            content(f)
        }
    }

    fn data(&mut self, bytes: &[u8]) -> io::Result<()> {
        writeln!(self.out, "data {}", bytes.len())?;
        self.out.write_all(bytes)?;
        self.out.write_all(b"\n")
    }

    fn commit(&mut self, message: &str, touched: &[usize], deleted: &[usize]) -> io::Result<()> {
        const AUTHORS: &[&str] = &[
            "Ada Lovelace <ada@example.com>",
            "Grace Hopper <grace@example.com>",
            "Linus Torvalds <linus@example.com>",
            "Barbara Liskov <barbara@example.com>",
            "Ken Thompson <ken@example.com>",
        ];
        self.clock += self.rng.range(300, 7200) as i64;
        let author = *self.rng.pick(AUTHORS);
        writeln!(self.out, "commit refs/heads/main")?;
        writeln!(self.out, "author {author} {} +0000", self.clock)?;
        writeln!(self.out, "committer {author} {} +0000", self.clock)?;
        self.data(message.as_bytes())?;
        let mut touched = touched.to_vec();
        touched.sort_unstable();
        touched.dedup();
        for i in touched {
            let mode = if self.files[i].kind == Kind::Script {
                "100755"
            } else {
                "100644"
            };
            writeln!(self.out, "M {mode} inline {}", self.files[i].path)?;
            let bytes = self.bytes(i);
            self.data(bytes.as_bytes())?;
        }
        for &i in deleted {
            writeln!(self.out, "D {}", self.files[i].path)?;
        }
        writeln!(self.out)?;
        self.commits += 1;
        Ok(())
    }
}

/// The initial tree: about `target` files, in proportion per area.
fn tree(g: &mut Gen, target: usize) {
    let share = |pct: usize| (target * pct / 100).max(1);
    for p in [
        "go.mod",
        "go.sum",
        "README.md",
        "web/package.json",
        "web/package-lock.json",
        "web/nginx.conf",
        "services/billing/requirements.txt",
        WORKFLOW,
    ]
    .into_iter()
    .chain(DOCKERFILES)
    .chain(IGNORES)
    {
        g.add(p.to_string(), Kind::Special);
    }
    g.add(".github/workflows/test.yml".into(), Kind::Special);
    // cmd/: a handful of files per command.
    for c in COMMANDS {
        for f in ["main.go", "flags.go", "run.go", "version.go"] {
            g.add(format!("cmd/{c}/{f}"), Kind::Go);
        }
    }
    // internal/<domain>/<layer>/: code and tests (30%).
    let dirs: Vec<String> = WORDS
        .iter()
        .flat_map(|w| LAYERS.iter().map(move |l| format!("internal/{w}/{l}")))
        .collect();
    spread(g, &dirs, share(30), &["go", "go", "go", "_test.go"]);
    // pkg/ (8%), api/proto (1%).
    let dirs: Vec<String> = WORDS.iter().take(24).map(|w| format!("pkg/{w}")).collect();
    spread(g, &dirs, share(8), &["go", "go", "_test.go"]);
    let dirs: Vec<String> = WORDS
        .iter()
        .take(20)
        .map(|w| format!("api/proto/{w}/v1"))
        .collect();
    spread(g, &dirs, share(1), &["proto"]);
    // web/src (16%), web/public (2%).
    let dirs: Vec<String> = WORDS
        .iter()
        .flat_map(|w| {
            ["components", "pages", "hooks"]
                .iter()
                .map(move |k| format!("web/src/{k}/{w}"))
        })
        .collect();
    spread(g, &dirs, share(16), &["tsx", "tsx", "ts", "test.tsx"]);
    let dirs: Vec<String> = (0..8)
        .map(|i| format!("web/public/assets/set{i}"))
        .collect();
    spread(g, &dirs, share(2), &["json"]);
    // services/billing (10%).
    let dirs: Vec<String> = WORDS
        .iter()
        .take(30)
        .map(|w| format!("services/billing/billing/{w}"))
        .collect();
    spread(g, &dirs, share(8), &["py"]);
    let dirs: Vec<String> = WORDS
        .iter()
        .take(10)
        .map(|w| format!("services/billing/tests/{w}"))
        .collect();
    spread(g, &dirs, share(2), &["test.py"]);
    // docs (10%), testdata (12%), deploy (3%), third_party (7%), scripts (1%).
    let dirs: Vec<String> = WORDS
        .iter()
        .flat_map(|w| {
            ["guides", "reference", "adr"]
                .iter()
                .map(move |k| format!("docs/{k}/{w}"))
        })
        .collect();
    spread(g, &dirs, share(10), &["md"]);
    let dirs: Vec<String> = WORDS
        .iter()
        .map(|w| format!("testdata/{w}/golden"))
        .collect();
    spread(g, &dirs, share(12), &["json"]);
    let dirs: Vec<String> = WORDS
        .iter()
        .take(20)
        .flat_map(|w| {
            ["helm/templates", "config"]
                .iter()
                .map(move |k| format!("deploy/{k}/{w}"))
        })
        .collect();
    spread(g, &dirs, share(3), &["yaml"]);
    g.add("deploy/config/server.yaml".into(), Kind::Deploy);
    let dirs: Vec<String> = (0..30)
        .map(|i| format!("third_party/github.com/vendor{i}/lib/pkg"))
        .collect();
    spread(g, &dirs, share(7), &["vgo"]);
    let dirs = vec!["scripts".to_string(), "scripts/ci".to_string()];
    spread(g, &dirs, share(1), &["sh"]);
}

fn spread(g: &mut Gen, dirs: &[String], count: usize, exts: &[&str]) {
    for k in 0..count {
        let dir = &dirs[k % dirs.len()];
        let n = k / dirs.len();
        let ext = exts[n % exts.len()];
        let base = dir.rsplit('/').next().unwrap_or("f");
        let (name, kind) = match ext {
            "go" => (format!("{base}_{n}.go"), Kind::Go),
            "_test.go" => (format!("{base}_{n}_test.go"), Kind::GoTest),
            "vgo" => (format!("lib_{n}.go"), Kind::Vendor),
            "proto" => (format!("{base}_{n}.proto"), Kind::Proto),
            "tsx" | "ts" => (format!("{base}{n}.{ext}"), Kind::Ts),
            "test.tsx" => (format!("{base}{n}.test.tsx"), Kind::Ts),
            "py" => (format!("{base}_{n}.py"), Kind::Py),
            "test.py" => (format!("test_{base}_{n}.py"), Kind::PyTest),
            "md" => (format!("{base}-{n}.md"), Kind::Doc),
            "json" => (format!("{base}-{n}.json"), Kind::TestData),
            "yaml" => (format!("{base}-{n}.yaml"), Kind::Deploy),
            _ => (format!("{base}-{n}.sh"), Kind::Script),
        };
        g.add(format!("{dir}/{name}"), kind);
    }
}

fn main() -> io::Result<()> {
    let mut files = 22_000usize;
    let mut commits = 10_200usize;
    let mut seed = 0x7265_706c_6179_u64;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| -> usize {
            args.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{name} needs a number"))
        };
        match a.as_str() {
            "--files" => files = value("--files"),
            "--commits" => commits = value("--commits"),
            "--seed" => seed = value("--seed") as u64,
            "-h" | "--help" => {
                println!(
                    "usage: bench_replay_repo [--files 22000] [--commits 10200] [--seed N] | git fast-import"
                );
                return Ok(());
            }
            other => panic!("unexpected argument {other:?}"),
        }
    }
    let mut g = Gen {
        rng: Rng(seed),
        files: Vec::new(),
        index: HashMap::new(),
        pools: HashMap::new(),
        sp: Specials::default(),
        out: BufWriter::with_capacity(1 << 20, io::stdout()),
        clock: 1_600_000_000,
        commits: 0,
    };
    tree(&mut g, files);
    let all: Vec<usize> = (0..g.files.len()).collect();
    g.commit("Initial import of the platform monorepo", &all, &[])?;

    let source_pools = ["go", "go", "go", "gotest", "ts", "ts", "py", "pytest"];
    let mut stats: HashMap<&str, usize> = HashMap::new();
    while g.commits < commits {
        let roll = g.rng.below(1000);
        let mut touched = Vec::new();
        let mut deleted = Vec::new();
        let what;
        if roll < 800 {
            // Source: a run of files in one package, sometimes a second package,
            // sometimes a new or a deleted file.
            what = "source";
            let pool = *g.rng.pick(&source_pools);
            let n = *g.rng.pick(&[1, 1, 1, 2, 2, 3, 4, 5, 7, 10]);
            touched = g.pick_run(pool, n);
            if g.rng.chance(15) && touched.len() < 8 {
                let other = *g.rng.pick(&source_pools);
                touched.extend(g.pick_run(other, 2));
            }
            if g.rng.chance(6) {
                let near = g.files[touched[0]].path.clone();
                let dir = near.rsplit_once('/').map_or("", |(d, _)| d).to_string();
                let kind = g.files[touched[0]].kind;
                let ext = near.rsplit_once('.').map_or("txt", |(_, e)| e).to_string();
                let path = format!("{dir}/added_{}.{ext}", g.commits);
                touched.push(g.add(path, kind));
            } else if g.rng.chance(2) && touched.len() > 1 {
                let i = touched.pop().unwrap();
                g.files[i].alive = false;
                deleted.push(i);
            }
        } else if roll < 850 {
            what = "manifest";
            let m = g.rng.below(3);
            g.sp.manifests[m] += 1;
            touched.push(g.index[MANIFESTS[m]]);
            if m == 0 && g.rng.chance(40) {
                touched.push(g.index["go.mod"]);
            }
            if m == 1 && g.rng.chance(30) {
                touched.push(g.index["web/package.json"]);
            }
            if g.rng.chance(50) {
                let pool = ["go", "ts", "py"][m];
                touched.extend(g.pick_run(pool, 2));
            }
        } else if roll < 870 {
            what = "dockerfile";
            let d = g.rng.below(4);
            match g.rng.below(3) {
                0 => g.sp.docker[d].0 += 1,
                1 => g.sp.docker[d].1 += 1,
                _ => g.sp.docker[d].2 = !g.sp.docker[d].2,
            }
            touched.push(g.index[DOCKERFILES[d]]);
        } else if roll < 880 {
            what = "dockerignore";
            let i = g.rng.below(3);
            if g.rng.chance(70) {
                g.sp.ignore[i].0 += 1;
            } else {
                g.sp.ignore[i].1 = !g.sp.ignore[i].1;
            }
            touched.push(g.index[IGNORES[i]]);
        } else if roll < 960 {
            what = "docs";
            let n = g.rng.range(1, 6);
            touched = g.pick_run("doc", n);
            if g.rng.chance(10) {
                touched.push(g.index["README.md"]);
            }
        } else if roll < 980 {
            what = "testdata";
            let n = g.rng.range(1, 8);
            touched = g.pick_run("testdata", n);
        } else if roll < 995 {
            what = "ops";
            let n = g.rng.range(1, 4);
            touched = g.pick_run("ops", n);
        } else {
            what = "ci";
            g.sp.workflow += 1;
            touched.push(g.index[WORKFLOW]);
        }
        if touched.is_empty() && deleted.is_empty() {
            continue;
        }
        for &i in &touched {
            g.files[i].rev += 1;
        }
        *stats.entry(what).or_default() += 1;
        let first = &g.files[*touched.first().or(deleted.first()).unwrap()].path;
        let area = first.split('/').take(2).collect::<Vec<_>>().join("/");
        let msg = format!(
            "{area}: {what} change #{}\n\nTouches {} files.\n",
            g.commits,
            touched.len() + deleted.len()
        );
        g.commit(&msg, &touched, &deleted)?;
    }
    g.out.flush()?;
    let alive = g.files.iter().filter(|f| f.alive).count();
    let mut stats: Vec<_> = stats.into_iter().collect();
    stats.sort();
    eprintln!(
        "generated: {alive} files at the head, {} commits ({}), Dockerfiles: {}",
        g.commits,
        stats
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", "),
        DOCKERFILES.join(", ")
    );
    Ok(())
}
